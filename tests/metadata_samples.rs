//! The real-world samples: a complete SharePoint STS response and Microsoft's
//! documented Exchange format with its certificate cut short.

use idtoken_doctor::metadata::{self, MetadataOutcome};
use idtoken_doctor::remedy::Remedy;
use idtoken_doctor::report::{CheckId, Status};
use time::macros::datetime;
use time::OffsetDateTime;

const SHAREPOINT: &[u8] =
    include_bytes!("fixtures/metadata/sharepoint-sts-metadata.real-response.json");
const MS_DOCS: &[u8] =
    include_bytes!("fixtures/metadata/exchange-auth-metadata.ms-docs-format.json");

fn at(now: OffsetDateTime, body: &[u8]) -> MetadataOutcome {
    metadata::judge(body, now)
}

fn ids(outcome: &MetadataOutcome) -> Vec<CheckId> {
    outcome.checks.iter().map(|c| c.id).collect()
}

#[test]
fn sharepoint_sample_parses_with_its_known_thumbprint() {
    let document = metadata::read_document(SHAREPOINT).expect("a document");
    assert_eq!(document.family, Some(metadata::Family::SharePointSts));
    assert_eq!(document.keys.len(), 1);
    assert!(
        document.ignored_keys.is_empty(),
        "{:?}",
        document.ignored_keys
    );
    let key = &document.keys[0];
    assert_eq!(key.computed_x5t, "i_gz5qfYp5YPWAK1__0YhZnipLI");
    assert_eq!(key.declared_x5t, None);
    assert_eq!(key.usage.as_deref(), Some("Signing"));
    assert!(
        key.subject.contains("SharePoint Security Token Service"),
        "{}",
        key.subject
    );
    assert!(
        key.issuer.contains("SharePoint Root Authority"),
        "{}",
        key.issuer
    );
    assert_eq!(key.not_before, datetime!(2026-03-11 20:26:53 UTC));
    assert_eq!(key.not_after.year(), 9999);
    assert_eq!(key.key_algorithm, "RSA 2048-bit");
    assert_eq!(
        document.issuer.as_deref(),
        Some("00000003-0000-0ff1-ce00-000000000000@af90cc03-4a26-45e9-906a-609cebcebbde")
    );
    // The thumbprint in the admin's hex form agrees with the x5t.
    assert_eq!(
        metadata::thumbprint_from_text(&key.thumbprint_hex),
        metadata::thumbprint_from_text(&key.computed_x5t)
    );
}

#[test]
fn sharepoint_sample_is_named_as_not_exchange_and_lists_facts() {
    let outcome = at(datetime!(2026-06-01 00:00:00 UTC), SHAREPOINT);
    assert_eq!(
        ids(&outcome),
        vec![
            CheckId::MetadataDocument,
            CheckId::MetadataKeys,
            CheckId::MetadataCertificate
        ]
    );
    let document = &outcome.checks[0];
    assert_eq!(document.status, Status::Fail, "{document:?}");
    assert_eq!(document.details["family"], "sharepoint-sts");
    assert_eq!(document.remedy, Some(Remedy::MetadataFamilySharePoint));
    assert!(
        document.summary.contains("SharePoint"),
        "{}",
        document.summary
    );
    let facts = &document.details["keys"][0];
    assert_eq!(facts["computed_x5t"], "i_gz5qfYp5YPWAK1__0YhZnipLI");
    assert_eq!(facts["usage"], "Signing");
    assert_eq!(facts["not_before"], "2026-03-11T20:26:53Z");
    assert!(facts["declared_x5t"].is_null());
    // The key link has nothing to search: the document is not Exchange's.
    assert!(outcome.document.is_none());
    for skipped in &outcome.checks[1..] {
        assert_eq!(skipped.status, Status::Skip, "{skipped:?}");
    }
}

/// The SharePoint sample's certificate, published under Exchange's service name.
fn as_if_exchange() -> Vec<u8> {
    String::from_utf8_lossy(SHAREPOINT)
        .replace(
            "00000003-0000-0ff1-ce00-000000000000",
            "00000002-0000-0ff1-ce00-000000000000",
        )
        .into_bytes()
}

#[test]
fn the_same_certificate_under_exchanges_name_passes_and_lists_facts() {
    let outcome = at(datetime!(2026-06-01 00:00:00 UTC), &as_if_exchange());
    for check in &outcome.checks {
        assert_eq!(check.status, Status::Pass, "{check:?}");
    }
    let certificate = &outcome.checks[2];
    assert!(
        certificate.summary.contains("no keyinfo.x5t declared"),
        "{}",
        certificate.summary
    );
}

#[test]
fn sharepoint_certificate_before_its_start_warns() {
    let outcome = at(datetime!(2026-01-01 00:00:00 UTC), &as_if_exchange());
    let certificate = &outcome.checks[2];
    assert_eq!(certificate.status, Status::Warn, "{certificate:?}");
    assert_eq!(certificate.remedy, Some(Remedy::MetadataCertificate));
    assert!(
        certificate.summary.contains("not valid until 2026-03-11"),
        "{}",
        certificate.summary
    );
}

#[test]
fn ms_docs_sample_with_a_cut_certificate_has_no_usable_key() {
    let outcome = at(datetime!(2026-06-01 00:00:00 UTC), MS_DOCS);
    let [document, keys, certificate] = &outcome.checks[..] else {
        panic!("three checks: {:?}", outcome.checks)
    };
    assert_eq!(document.status, Status::Pass, "{document:?}");
    assert!(
        document.summary.contains("(Exchange)"),
        "{}",
        document.summary
    );
    assert_eq!(keys.status, Status::Fail);
    assert_eq!(keys.remedy, Some(Remedy::MetadataNoKeys));
    assert!(keys.summary.contains("cut short"), "{}", keys.summary);
    assert!(keys.summary.contains("key 1"), "{}", keys.summary);
    assert_eq!(certificate.status, Status::Skip);
    let parsed = outcome.document.expect("still a document");
    assert!(parsed.keys.is_empty());
    assert_eq!(parsed.ignored_keys.len(), 1);
    // MIIHNTCC announces a 0x0735-byte body: 1849 bytes in all.
    assert!(
        parsed.ignored_keys[0].contains("1849 bytes"),
        "{}",
        parsed.ignored_keys[0]
    );
    assert_eq!(parsed.name.as_deref(), Some("Exchange"));
    assert_eq!(parsed.realm.as_deref(), Some("*"));
    assert_eq!(parsed.version.as_deref(), Some("1.0"));
    assert_eq!(
        parsed.id.as_deref(),
        Some("_70b34511-d105-4e2b-9675-39f53305bb01")
    );
    assert_eq!(
        parsed.allowed_audiences,
        vec!["00000002-0000-0ff1-ce00-000000000000@*".to_string()]
    );
}
