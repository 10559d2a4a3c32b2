//! The metadata document parser on arbitrary bytes: whatever a server sends
//! as its authentication metadata, judging it (and describing its keys, as
//! reports do) must not panic, and always yields the three metadata checks.
#![no_main]

use idtoken_doctor::metadata;
use libfuzzer_sys::fuzz_target;
use time::OffsetDateTime;

fuzz_target!(|data: &[u8]| {
    let now = OffsetDateTime::from_unix_timestamp(1_750_000_000).expect("a valid instant");
    let outcome = metadata::judge(data, now);
    assert_eq!(
        outcome.checks.len(),
        3,
        "the metadata stage returns all three checks"
    );
    if let Some(document) = &outcome.document {
        for key in &document.keys {
            let _ = (key.label(), key.validity_text(), key.facts(now));
            let _ = key.declared_x5t_consistent();
        }
    }
});
