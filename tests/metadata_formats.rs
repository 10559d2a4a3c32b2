//! Metadata documents as servers really write them, made with the lab's auth
//! certificates: casing variants, escaped slashes, missing or wrong x5t,
//! wrapped and unpadded base64, and JSON that is not a metadata document.

use std::sync::LazyLock;

use idtoken_doctor::lab::authcert::{
    metadata_json, AuthCert, DeclaredX5t, KeyNameCasing, MetadataOptions,
};
use idtoken_doctor::metadata::{self, MetadataOutcome};
use idtoken_doctor::remedy::Remedy;
use idtoken_doctor::report::{Check, CheckId, Status};
use serde_json::json;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2026-06-01 12:00:00 UTC);

static CURRENT: LazyLock<AuthCert> = LazyLock::new(|| {
    AuthCert::generate(NOW - Duration::days(400), NOW + Duration::days(1400)).expect("auth cert")
});
static EXPIRED: LazyLock<AuthCert> = LazyLock::new(|| {
    AuthCert::for_key(
        CURRENT.private_key.clone(),
        NOW - Duration::days(2000),
        NOW - Duration::days(30),
    )
    .expect("expired auth cert")
});

const OPENID: &[u8] = include_bytes!("fixtures/metadata/openid-configuration.json");
const JSON_ERROR: &[u8] = include_bytes!("fixtures/metadata/json-error.json");

fn judge(text: &str) -> MetadataOutcome {
    metadata::judge(text.as_bytes(), NOW)
}

fn check(outcome: &MetadataOutcome, id: CheckId) -> &Check {
    outcome
        .checks
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("{id} missing from {:?}", outcome.checks))
}

fn statuses(outcome: &MetadataOutcome) -> Vec<Status> {
    outcome.checks.iter().map(|c| c.status).collect()
}

fn with(options: MetadataOptions) -> String {
    metadata_json(&[&CURRENT], &options)
}

#[test]
fn exchange_format_passes_every_check() {
    let text = with(MetadataOptions::default());
    let outcome = judge(&text);
    assert_eq!(
        statuses(&outcome),
        vec![Status::Pass; 3],
        "{:?}",
        outcome.checks
    );
    let document = outcome.document.expect("document");
    assert_eq!(document.name.as_deref(), Some("Exchange"));
    assert_eq!(
        document.service_name.as_deref(),
        Some("00000002-0000-0ff1-ce00-000000000000")
    );
    assert!(document
        .id
        .as_deref()
        .is_some_and(|id| id.starts_with('_') && id.len() == 37));
    let key = &document.keys[0];
    assert_eq!(key.computed_x5t, CURRENT.x5t);
    assert_eq!(key.declared_x5t.as_deref(), Some(CURRENT.x5t.as_str()));
    assert_eq!(key.der, CURRENT.der);
    assert_eq!(key.subject, "CN=Microsoft Exchange Server Auth Certificate");
    assert_eq!(key.issuer, key.subject);
    assert_eq!(key.not_before, CURRENT.not_before);
    assert_eq!(key.not_after, CURRENT.not_after);
    assert_eq!(key.key_algorithm, "RSA 2048-bit");
    assert_eq!(key.declared_x5t_consistent(), Some(true));
    let certificate = check(&judge(&text), CheckId::MetadataCertificate).clone();
    assert!(
        certificate.summary.contains(&CURRENT.x5t),
        "{}",
        certificate.summary
    );
    let until = idtoken_doctor::clock::utc(CURRENT.not_after);
    assert!(
        certificate.summary.contains(&until),
        "{}",
        certificate.summary
    );
}

#[test]
fn casing_variants_escaped_slashes_wrapping_and_missing_padding_read_alike() {
    for casing in [
        KeyNameCasing::Exchange,
        KeyNameCasing::Camel,
        KeyNameCasing::Shouting,
    ] {
        let text = with(MetadataOptions {
            casing,
            escape_slashes: true,
            wrap_certificate: Some(64),
            strip_padding: true,
            metadata_url: Some("https://mail.contoso.example/autodiscover/metadata/json/1".into()),
            ..MetadataOptions::default()
        });
        assert!(text.contains("\\/autodiscover\\/"), "{text}");
        let outcome = judge(&text);
        assert_eq!(
            statuses(&outcome),
            vec![Status::Pass; 3],
            "{casing:?}: {:?}",
            outcome.checks
        );
        let document = outcome.document.expect("document");
        assert_eq!(
            document.keys.len(),
            1,
            "{casing:?}: {:?}",
            document.ignored_keys
        );
        assert_eq!(document.keys[0].computed_x5t, CURRENT.x5t);
        assert_eq!(document.keys[0].der, CURRENT.der);
    }
    let camel = with(MetadataOptions {
        casing: KeyNameCasing::Camel,
        ..MetadataOptions::default()
    });
    assert!(
        camel.contains("\"keyValue\"")
            && camel.contains("x509certificate")
            && camel.contains("Signing")
    );
}

#[test]
fn missing_x5t_is_computed_and_said() {
    let outcome = judge(&with(MetadataOptions {
        declared_x5t: DeclaredX5t::Omitted,
        ..MetadataOptions::default()
    }));
    assert_eq!(statuses(&outcome), vec![Status::Pass; 3]);
    let document = outcome.document.as_ref().expect("document");
    assert_eq!(document.keys[0].declared_x5t, None);
    assert_eq!(document.keys[0].computed_x5t, CURRENT.x5t);
    let certificate = check(&outcome, CheckId::MetadataCertificate);
    assert!(
        certificate.summary.contains("no keyinfo.x5t declared"),
        "{}",
        certificate.summary
    );
}

#[test]
fn wrong_declared_x5t_warns_naming_both_thumbprints() {
    let outcome = judge(&with(MetadataOptions {
        declared_x5t: DeclaredX5t::Wrong,
        ..MetadataOptions::default()
    }));
    assert_eq!(check(&outcome, CheckId::MetadataKeys).status, Status::Pass);
    let certificate = check(&outcome, CheckId::MetadataCertificate);
    assert_eq!(certificate.status, Status::Warn);
    assert_eq!(certificate.remedy, Some(Remedy::MetadataCertificate));
    let declared = outcome.document.as_ref().expect("document").keys[0]
        .declared_x5t
        .clone()
        .expect("declared");
    assert_ne!(declared, CURRENT.x5t);
    assert!(
        certificate.summary.contains(&declared),
        "{}",
        certificate.summary
    );
    assert!(
        certificate.summary.contains(&CURRENT.x5t),
        "{}",
        certificate.summary
    );
}

#[test]
fn declared_x5t_with_padding_or_in_hex_is_consistent() {
    let hex =
        metadata::hex_upper(&metadata::thumbprint_from_text(&CURRENT.x5t).expect("thumbprint"));
    for declared in [format!("{}=", CURRENT.x5t), hex] {
        let outcome = judge(&with(MetadataOptions {
            declared_x5t: DeclaredX5t::Text(declared.clone()),
            ..MetadataOptions::default()
        }));
        assert_eq!(
            check(&outcome, CheckId::MetadataCertificate).status,
            Status::Pass,
            "{declared}"
        );
    }
}

#[test]
fn expired_published_certificate_warns_beside_a_current_one() {
    let text = metadata_json(&[&CURRENT, &EXPIRED], &MetadataOptions::default());
    let outcome = judge(&text);
    assert_eq!(check(&outcome, CheckId::MetadataKeys).status, Status::Pass);
    let certificate = check(&outcome, CheckId::MetadataCertificate);
    assert_eq!(certificate.status, Status::Warn);
    assert!(
        certificate.summary.starts_with("1 of 2"),
        "{}",
        certificate.summary
    );
    assert!(
        certificate.summary.contains("expired"),
        "{}",
        certificate.summary
    );
    assert!(
        certificate.summary.contains("30 days 0 h ago"),
        "{}",
        certificate.summary
    );
    assert!(
        certificate.summary.contains(&EXPIRED.x5t),
        "{}",
        certificate.summary
    );
    let listed = certificate.details["certificates"]
        .as_array()
        .expect("list");
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[1]["issues"].as_array().map(Vec::len), Some(1));
}

#[test]
fn a_utf8_byte_order_mark_is_tolerated() {
    let mut body = b"\xEF\xBB\xBF".to_vec();
    body.extend(with(MetadataOptions::default()).into_bytes());
    let outcome = metadata::judge(&body, NOW);
    assert_eq!(statuses(&outcome), vec![Status::Pass; 3]);
}

#[test]
fn pem_armoured_certificate_value_is_read() {
    let text = json!({
        "keys": [{"usage": "signing", "keyvalue": {"type": "x509Certificate", "value": CURRENT.pem()}}]
    })
    .to_string();
    let outcome = judge(&text);
    assert_eq!(
        statuses(&outcome),
        vec![Status::Pass; 3],
        "{:?}",
        outcome.checks
    );
}

#[test]
fn html_is_not_json() {
    let outcome = judge("<!DOCTYPE html><html><body>Sign in</body></html>");
    let document = check(&outcome, CheckId::MetadataDocument);
    assert_eq!(document.status, Status::Fail);
    assert_eq!(document.remedy, Some(Remedy::MetadataNotJson));
    assert!(
        document.summary.contains("not JSON"),
        "{}",
        document.summary
    );
    assert!(document.summary.contains("HTML"), "{}", document.summary);
    assert_eq!(
        statuses(&outcome),
        vec![Status::Fail, Status::Skip, Status::Skip]
    );
    assert!(outcome.document.is_none());
}

#[test]
fn empty_body_fails_as_empty() {
    let outcome = judge("  \n");
    let document = check(&outcome, CheckId::MetadataDocument);
    assert_eq!(document.status, Status::Fail);
    assert!(document.summary.contains("empty"), "{}", document.summary);
}

#[test]
fn openid_configuration_is_named() {
    let outcome = metadata::judge(OPENID, NOW);
    let document = check(&outcome, CheckId::MetadataDocument);
    assert_eq!(document.status, Status::Fail);
    assert_eq!(document.remedy, Some(Remedy::MetadataFamilyOpenId));
    assert_eq!(document.details["family"], "openid-configuration");
    assert!(
        document.summary.contains("no keys array"),
        "{}",
        document.summary
    );
    assert!(document.summary.contains("OpenID"), "{}", document.summary);
    assert!(document.details["fields"]
        .as_array()
        .is_some_and(|f| f.len() == 10));
}

#[test]
fn json_error_object_is_named_with_its_message() {
    let outcome = metadata::judge(JSON_ERROR, NOW);
    let document = check(&outcome, CheckId::MetadataDocument);
    assert_eq!(document.status, Status::Fail);
    assert!(
        document.summary.contains("JSON error object"),
        "{}",
        document.summary
    );
    assert!(
        document.summary.contains("Access denied"),
        "{}",
        document.summary
    );
}

#[test]
fn other_json_shapes_fail_the_document() {
    for (text, says) in [
        ("[1, 2, 3]", "JSON array of 3 items"),
        ("\"keys\"", "JSON string"),
        ("null", "JSON null"),
        (r#"{"keys": {"a": 1}}"#, "`keys` is a JSON object"),
        (r#"{"Keys": "none"}"#, "`keys` is a JSON string"),
        (r#"{"foo": 1, "bar": 2}"#, "fields"),
        ("{}", "empty JSON object"),
    ] {
        let outcome = judge(text);
        let document = check(&outcome, CheckId::MetadataDocument);
        assert_eq!(document.status, Status::Fail, "{text}");
        assert_eq!(document.remedy, Some(Remedy::MetadataNotExchange), "{text}");
        assert!(
            document.summary.contains(says),
            "{text}: {}",
            document.summary
        );
        assert_eq!(statuses(&outcome)[1..], [Status::Skip, Status::Skip]);
    }
}

#[test]
fn empty_keys_array_fails_the_keys_check() {
    let outcome = judge(r#"{"name": "Exchange", "keys": []}"#);
    assert_eq!(
        statuses(&outcome),
        vec![Status::Pass, Status::Fail, Status::Skip]
    );
    let keys = check(&outcome, CheckId::MetadataKeys);
    assert_eq!(keys.remedy, Some(Remedy::MetadataNoKeys));
    assert!(keys.summary.contains("empty"), "{}", keys.summary);
}

#[test]
fn a_jwks_key_set_is_recognised() {
    let text = json!({"keys": [{"kty": "RSA", "kid": "abc", "n": "xyz", "e": "AQAB"}]}).to_string();
    let outcome = judge(&text);
    let document = check(&outcome, CheckId::MetadataDocument);
    assert_eq!(document.status, Status::Fail);
    assert_eq!(document.details["family"], "entra-jwks");
    assert_eq!(document.remedy, Some(Remedy::MetadataFamilyJwks));
    assert!(
        document.summary.contains("JSON Web Key"),
        "{}",
        document.summary
    );
    assert_eq!(check(&outcome, CheckId::MetadataKeys).status, Status::Skip);
}

#[test]
fn each_rejected_key_says_why() {
    let mut trailing = CURRENT.der.clone();
    trailing.extend([0u8; 3]);
    let trailing = idtoken_doctor_base64(&trailing);
    let text = json!({"keys": [
        "just a string",
        {"usage": "signing"},
        {"keyvalue": "MIIB"},
        {"keyvalue": {"type": "symmetric", "value": "AAAA"}},
        {"keyvalue": {"type": 5, "value": "AAAA"}},
        {"keyvalue": {"value": "AAAA"}},
        {"keyvalue": {"type": "x509Certificate"}},
        {"keyvalue": {"type": "x509Certificate", "value": 12}},
        {"keyvalue": {"type": "x509Certificate", "value": ""}},
        {"keyvalue": {"type": "x509Certificate", "value": "not base64 at all!"}},
        {"keyvalue": {"type": "x509Certificate", "value": "AAAAAAAA"}},
        {"keyvalue": {"type": "x509Certificate", "value": trailing}},
    ]})
    .to_string();
    let outcome = judge(&text);
    let keys = check(&outcome, CheckId::MetadataKeys);
    assert_eq!(keys.status, Status::Fail);
    assert!(keys.summary.contains("and 9 more"), "{}", keys.summary);
    let ignored = &outcome.document.as_ref().expect("document").ignored_keys;
    let expected = [
        "key 1: is a JSON string",
        "key 2: has no keyvalue",
        "key 3: keyvalue is a JSON string",
        "key 4: keyvalue.type is `symmetric`",
        "key 5: keyvalue.type is the JSON number 5",
        "key 6: keyvalue has no type",
        "key 7: keyvalue has no value",
        "key 8: keyvalue.value is the JSON number 12",
        "key 9: keyvalue.value is empty",
        "key 10: keyvalue.value is not base64",
        "key 11: keyvalue.value is base64 but not an X.509 certificate",
        "key 12: keyvalue.value holds 3 bytes after the end of the certificate",
    ];
    assert_eq!(ignored.len(), expected.len(), "{ignored:#?}");
    for (reason, start) in ignored.iter().zip(expected) {
        assert!(
            reason.starts_with(start),
            "{reason} should start with {start}"
        );
    }
    assert_eq!(keys.details["ignored_total"], 12);
}

#[test]
fn one_good_key_among_bad_ones_passes_and_mentions_the_others() {
    let text = json!({"keys": [
        {"keyvalue": {"type": "x509Certificate", "value": "MIIHNTCC..."}},
        {"usage": "encryption", "keyvalue": {"type": "X509CERTIFICATE", "value": CURRENT.base64_der()}},
    ]})
    .to_string();
    let outcome = judge(&text);
    let keys = check(&outcome, CheckId::MetadataKeys);
    assert_eq!(keys.status, Status::Pass);
    assert!(
        keys.summary.contains("1 other key(s) not usable"),
        "{}",
        keys.summary
    );
    assert!(
        keys.summary.contains("key 2 has usage `encryption`"),
        "{}",
        keys.summary
    );
    let document = outcome.document.as_ref().expect("document");
    assert_eq!(document.keys[0].index, 2);
    assert_eq!(document.keys[0].usage.as_deref(), Some("encryption"));
}

fn idtoken_doctor_base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
