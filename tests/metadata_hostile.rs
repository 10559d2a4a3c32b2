//! Hostile documents: many keys, deep nesting, huge strings. They must be
//! judged without crashing, with bounded summaries and details.

use std::sync::LazyLock;

use base64::Engine as _;
use idtoken_doctor::key;
use idtoken_doctor::lab::authcert::AuthCert;
use idtoken_doctor::metadata::{
    self, MetadataOutcome, MAX_DOCUMENT_BYTES, MAX_KEYS_EXAMINED, MAX_KEYS_IN_DETAILS,
};
use idtoken_doctor::remedy::Remedy;
use idtoken_doctor::report::{CheckId, Status};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2026-06-01 12:00:00 UTC);

static CERT: LazyLock<AuthCert> = LazyLock::new(|| {
    AuthCert::generate(NOW - Duration::days(10), NOW + Duration::days(1000)).expect("auth cert")
});

fn key_entry(der: &[u8]) -> String {
    format!(
        r#"{{"usage":"signing","keyvalue":{{"type":"x509Certificate","value":"{}"}}}}"#,
        base64::engine::general_purpose::STANDARD.encode(der)
    )
}

fn document(entries: impl Iterator<Item = String>) -> String {
    let keys: Vec<String> = entries.collect();
    format!(r#"{{"name":"Exchange","keys":[{}]}}"#, keys.join(","))
}

fn assert_bounded(outcome: &MetadataOutcome) {
    for check in &outcome.checks {
        assert!(
            check.summary.len() < 4000,
            "{}: {} chars",
            check.id,
            check.summary.len()
        );
        assert!(!check.summary.contains('\n'), "{}", check.summary);
        let details = serde_json::Value::Object(check.details.clone()).to_string();
        assert!(
            details.len() < 200_000,
            "{}: details of {} bytes",
            check.id,
            details.len()
        );
    }
}

#[test]
fn ten_thousand_distinct_certificates_are_all_read() {
    // Flipping bytes of the signature gives distinct, still parseable
    // certificates (nothing here verifies the certificate's own signature).
    let entries = (0..10_000u32).map(|i| {
        let mut der = CERT.der.clone();
        let len = der.len();
        der[len - 2] = (i >> 8) as u8;
        der[len - 1] = i as u8;
        key_entry(&der)
    });
    let outcome = metadata::judge(document(entries).as_bytes(), NOW);
    assert_bounded(&outcome);
    let statuses: Vec<Status> = outcome.checks.iter().map(|c| c.status).collect();
    assert_eq!(statuses, vec![Status::Pass; 3], "{:?}", outcome.checks);
    let document = outcome.document.as_ref().expect("document");
    assert_eq!(document.keys.len(), 10_000);
    let mut thumbprints: Vec<&str> = document
        .keys
        .iter()
        .map(|k| k.computed_x5t.as_str())
        .collect();
    thumbprints.sort_unstable();
    thumbprints.dedup();
    assert_eq!(thumbprints.len(), 10_000);
    let keys = &outcome.checks[1];
    assert_eq!(
        keys.details["keys"].as_array().map(Vec::len),
        Some(MAX_KEYS_IN_DETAILS)
    );
    assert_eq!(keys.details["keys_usable"], 10_000);
    assert!(keys.summary.contains("and 9997 more"), "{}", keys.summary);
}

#[test]
fn ten_thousand_copies_of_one_certificate_are_read() {
    let entry = key_entry(&CERT.der);
    let outcome = metadata::judge(document((0..10_000).map(|_| entry.clone())).as_bytes(), NOW);
    assert_bounded(&outcome);
    let document = outcome.document.as_ref().expect("document");
    assert_eq!(document.keys.len(), 10_000);
    assert!(document.keys.iter().all(|k| k.computed_x5t == CERT.x5t));
    assert_eq!(document.keys[9_999].index, 10_000);
}

#[test]
fn keys_beyond_the_cap_are_not_examined_but_said() {
    let total = MAX_KEYS_EXAMINED + 5;
    let mut entries: Vec<String> = (0..total - 1).map(|_| "{}".to_string()).collect();
    entries.push(key_entry(&CERT.der));
    let outcome = metadata::judge(document(entries.into_iter()).as_bytes(), NOW);
    assert_bounded(&outcome);
    let keys = &outcome.checks[1];
    assert_eq!(
        keys.status,
        Status::Fail,
        "the one good key lies beyond the cap"
    );
    let document = outcome.document.as_ref().expect("document");
    assert_eq!(document.ignored_keys.len(), MAX_KEYS_EXAMINED + 1);
    let last = document.ignored_keys.last().expect("note");
    assert!(last.contains("not examined"), "{last}");
    assert!(last.contains(&format!("..{total}")), "{last}");
    assert_eq!(
        keys.details["ignored_keys"].as_array().map(Vec::len),
        Some(MAX_KEYS_IN_DETAILS)
    );
}

#[test]
fn nesting_a_hundred_thousand_deep_is_reported_not_followed() {
    for body in [
        "[".repeat(100_000),
        format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
        format!("{}1{}", r#"{"a":"#.repeat(100_000), "}".repeat(100_000)),
        format!(r#"{{"keys":[{}]}}"#, "[".repeat(100_000)),
    ] {
        let outcome = metadata::judge(body.as_bytes(), NOW);
        let document = &outcome.checks[0];
        assert_eq!(document.status, Status::Fail);
        assert_eq!(document.remedy, Some(Remedy::MetadataNotExchange));
        assert!(
            document.summary.contains("deeper than"),
            "{}",
            document.summary
        );
        assert!(outcome.document.is_none());
        assert_bounded(&outcome);
    }
}

#[test]
fn nesting_within_the_limit_inside_a_key_is_rejected_quietly() {
    let deep = format!("{}{}", "[".repeat(120), "]".repeat(120));
    let body = format!(
        r#"{{"keys":[{{"keyvalue":{{"type":"x509Certificate","value":{deep}}}}},{}]}}"#,
        key_entry(&CERT.der)
    );
    let outcome = metadata::judge(body.as_bytes(), NOW);
    assert_eq!(
        outcome.checks[1].status,
        Status::Pass,
        "{:?}",
        outcome.checks
    );
    let document = outcome.document.as_ref().expect("document");
    assert_eq!(document.keys.len(), 1);
    assert!(
        document.ignored_keys[0].contains("JSON array of 1 items"),
        "{:?}",
        document.ignored_keys
    );
}

#[test]
fn huge_strings_are_clipped_in_summaries_and_details() {
    let huge = "x".repeat(4 << 20);
    let body = format!(
        r#"{{"id":"{huge}","name":"{huge}","{huge}":1,"keys":[{{"usage":"{huge}","keyinfo":{{"x5t":"{huge}"}},"keyvalue":{{"type":"x509Certificate","value":"{}"}}}},{{"keyvalue":{{"type":"{huge}","value":"A"}}}}]}}"#,
        base64::engine::general_purpose::STANDARD.encode(&CERT.der)
    );
    assert!(body.len() < MAX_DOCUMENT_BYTES);
    let outcome = metadata::judge(body.as_bytes(), NOW);
    assert_bounded(&outcome);
    let certificate = &outcome.checks[2];
    assert_eq!(
        certificate.status,
        Status::Warn,
        "the declared x5t is not the thumbprint"
    );
    let document = outcome.document.as_ref().expect("document");
    assert_eq!(document.id.as_ref().map(String::len), Some(4 << 20));
}

#[test]
fn an_oversized_certificate_value_is_refused_before_decoding() {
    let value = "A".repeat(metadata::MAX_CERTIFICATE_CHARS + 4);
    let body =
        format!(r#"{{"keys":[{{"keyvalue":{{"type":"x509Certificate","value":"{value}"}}}}]}}"#);
    let outcome = metadata::judge(body.as_bytes(), NOW);
    assert_eq!(outcome.checks[1].status, Status::Fail);
    assert!(
        outcome.checks[1].summary.contains("KiB accepted"),
        "{}",
        outcome.checks[1].summary
    );
}

#[test]
fn a_document_over_the_size_cap_is_refused() {
    let body = vec![b' '; MAX_DOCUMENT_BYTES + 1];
    let outcome = metadata::judge(&body, NOW);
    let document = &outcome.checks[0];
    assert_eq!(document.status, Status::Fail);
    assert_eq!(document.remedy, Some(Remedy::MetadataTooLarge));
    assert_eq!(document.details["bytes"], MAX_DOCUMENT_BYTES + 1);
}

#[test]
fn binary_garbage_is_not_json() {
    let body: Vec<u8> = (0..4096u32).map(|i| (i * 7 + 3) as u8).collect();
    let outcome = metadata::judge(&body, NOW);
    assert_eq!(outcome.checks[0].status, Status::Fail);
    assert_eq!(outcome.checks[0].id, CheckId::MetadataDocument);
    assert_eq!(outcome.checks[0].remedy, Some(Remedy::MetadataNotJson));
    assert_bounded(&outcome);
}

/// A small deterministic generator, so a failure can be replayed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

const SIGNED: &[u8] = b"eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJ4In0";

#[test]
fn mutated_and_truncated_documents_never_panic() {
    let entry = key_entry(&CERT.der);
    let good = format!(
        r#"{{"id":"_x","keyinfo":1,"keys":[{entry},{{"usage":"signing","keyinfo":{{"x5t":"{}"}},"keyvalue":{{"type":"x509Certificate","value":"{}"}}}}]}}"#,
        CERT.x5t,
        base64::engine::general_purpose::STANDARD.encode(&CERT.der)
    );
    let bytes = good.as_bytes();
    // Every truncation point.
    for end in 0..bytes.len() {
        let outcome = metadata::judge(&bytes[..end], NOW);
        assert_eq!(outcome.checks.len(), 3);
    }
    // Random single and multiple byte changes, including non-ASCII and quotes.
    let alphabet = b"AZaz09+/=-_.\"\\{}[]:, \n\xC3\xA9\x00\xFF";
    let mut rng = Lcg(0x5eed);
    let mut parsed_some = false;
    let signature = CERT.sign_rs256(SIGNED);
    for _ in 0..3000 {
        let mut mutated = bytes.to_vec();
        for _ in 0..=(rng.next() % 4) {
            let at = (rng.next() as usize) % mutated.len();
            mutated[at] = alphabet[(rng.next() as usize) % alphabet.len()];
        }
        let outcome = metadata::judge(&mutated, NOW);
        assert_eq!(outcome.checks.len(), 3);
        if let Some(document) = &outcome.document {
            parsed_some = true;
            let checks = key::judge(Some(&CERT.x5t), SIGNED, &signature, document, NOW);
            assert_eq!(checks.len(), 3);
        }
        for check in &outcome.checks {
            assert!(!check.summary.contains('\n'), "{}", check.summary);
        }
    }
    assert!(parsed_some, "some mutations leave the JSON intact");
}
