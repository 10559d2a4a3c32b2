//! Certificate handling from metadata: fuzzed certificate bytes published in
//! an otherwise well-formed metadata document, judged by `metadata::judge`,
//! then matched and verified by `key::judge` against a fuzzed `x5t` and
//! signature; the same bytes also go through the TLS stage's
//! `CertSummary::from_der`, which reads the certificates a server sends.
//!
//! Input layout (so that a seed is a real certificate behind a short prefix):
//! `flags`, `x5t_len`, `x5t_len` bytes of x5t text, `sig_len` (two bytes,
//! little-endian, at most 1023), `sig_len` bytes of signature, then the DER.
//! Missing pieces are empty.
#![no_main]

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use idtoken_doctor::tls::CertSummary;
use idtoken_doctor::{key, metadata};
use libfuzzer_sys::fuzz_target;
use serde_json::json;
use time::OffsetDateTime;

/// Splits `len` bytes off the front of `data`, or all that is left.
fn take<'a>(data: &mut &'a [u8], len: usize) -> &'a [u8] {
    let (head, tail) = data.split_at(len.min(data.len()));
    *data = tail;
    head
}

fuzz_target!(|input: &[u8]| {
    let mut data = input;
    let flags = take(&mut data, 1).first().copied().unwrap_or(0);
    let x5t_len = take(&mut data, 1).first().copied().unwrap_or(0);
    let x5t_text = String::from_utf8_lossy(take(&mut data, usize::from(x5t_len))).into_owned();
    let sig_len = match take(&mut data, 2) {
        [low, high] => usize::from(u16::from_le_bytes([*low, *high]) & 0x3ff),
        _ => 0,
    };
    let signature = take(&mut data, sig_len).to_vec();
    let der = data;

    let _ = CertSummary::from_der(der).map(|summary| {
        let now = OffsetDateTime::from_unix_timestamp(1_750_000_000).expect("a valid instant");
        let _ = (summary.names(), summary.valid_at(now), summary.to_json());
    });

    // Publish the bytes the ways real documents do: standard padded base64 or
    // base64url, optionally wrapped, with or without a declared x5t.
    let mut value = if flags & 1 == 0 {
        STANDARD.encode(der)
    } else {
        URL_SAFE_NO_PAD.encode(der)
    };
    if flags & 2 != 0 {
        value = value
            .as_bytes()
            .chunks(64)
            .map(|line| String::from_utf8_lossy(line).into_owned())
            .collect::<Vec<_>>()
            .join("\r\n");
    }
    let computed_x5t = metadata::x5t_of(der);
    let mut entry = json!({
        "usage": "signing",
        "keyvalue": { "type": "x509Certificate", "value": value },
    });
    if flags & 4 != 0 {
        let declared = if flags & 8 == 0 {
            &computed_x5t
        } else {
            &x5t_text
        };
        entry["keyinfo"] = json!({ "x5t": declared });
    }
    let document = json!({
        "id": "_fuzz",
        "version": "1.0",
        "name": "Exchange",
        "realm": "contoso.test",
        "serviceName": "00000002-0000-0ff1-ce00-000000000000",
        "issuer": "00000002-0000-0ff1-ce00-000000000000@contoso.test",
        "allowedAudiences": ["00000002-0000-0ff1-ce00-000000000000@contoso.test"],
        "keys": [entry],
        "endpoints": [],
    });
    let body = serde_json::to_vec(&document).expect("a JSON value serialises");

    // Judge at an instant the flags pick: now-ish, the distant past or future,
    // so that validity arithmetic meets extreme certificate dates from both sides.
    let now = match flags >> 6 {
        0 => OffsetDateTime::from_unix_timestamp(1_750_000_000),
        1 => OffsetDateTime::from_unix_timestamp(0),
        2 => OffsetDateTime::from_unix_timestamp(253_402_300_799), // 9999-12-31T23:59:59Z
        _ => OffsetDateTime::from_unix_timestamp(-62_135_596_800), // 0001-01-01T00:00:00Z
    }
    .expect("a valid instant");
    let outcome = metadata::judge(&body, now);
    assert_eq!(outcome.checks.len(), 3);
    let Some(document) = outcome.document else {
        panic!("a well-formed document with a keys array is a document");
    };
    for key in &document.keys {
        let _ = (key.label(), key.validity_text(), key.facts(now));
    }

    // The token's x5t: the certificate's own (so matching succeeds and the
    // signature is tried against its key) or the fuzzed text.
    let x5t = if flags & 16 == 0 {
        computed_x5t.as_str()
    } else {
        x5t_text.as_str()
    };
    let signing_input = b"eyJhbGciOiJSUzI1NiJ9.eyJmdXp6Ijp0cnVlfQ";
    let checks = key::judge(Some(x5t), signing_input, &signature, &document, now);
    assert_eq!(checks.len(), 3, "the key stage returns all three checks");
});
