//! `key.match`, `key.certificate` and `key.signature` against metadata made
//! with the lab's auth certificates, and tokens signed here with their keys.

use std::sync::LazyLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use idtoken_doctor::key;
use idtoken_doctor::lab::authcert::{metadata_json, AuthCert, DeclaredX5t, MetadataOptions};
use idtoken_doctor::metadata::{self, MetadataDocument};
use idtoken_doctor::remedy::Remedy;
use idtoken_doctor::report::{Check, CheckId, Status};
use rsa::pkcs1v15::SigningKey;
use rsa::signature::{SignatureEncoding as _, Signer as _};
use sha2::Sha256;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const NOW: OffsetDateTime = datetime!(2026-06-01 12:00:00 UTC);

/// The Exchange Server Auth Certificate that signs the tokens.
static CURRENT: LazyLock<AuthCert> = LazyLock::new(|| {
    AuthCert::generate(NOW - Duration::days(400), NOW + Duration::days(1400)).expect("auth cert")
});
/// Another organisation's (or a replaced) auth certificate, with its own key.
static OTHER: LazyLock<AuthCert> = LazyLock::new(|| {
    AuthCert::generate(NOW - Duration::days(100), NOW + Duration::days(1700)).expect("auth cert")
});

/// A token's signing input (`header.payload`) naming `x5t`.
fn signing_input(x5t: &str) -> String {
    let header = format!(r#"{{"typ":"JWT","alg":"RS256","x5t":"{x5t}"}}"#);
    let payload = r#"{"aud":"https://addin.example/app.html","iss":"00000002-0000-0ff1-ce00-000000000000@*","nbf":1780300000,"exp":1780328800,"appctx":"{\"msexchuid\":\"a\",\"version\":\"ExIdTok.V1\",\"amurl\":\"https://mail.contoso.example/autodiscover/metadata/json/1\"}"}"#;
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload)
    )
}

/// RS256 with rsa's own signer, independent of the lab's helper.
fn sign(cert: &AuthCert, input: &str) -> Vec<u8> {
    SigningKey::<Sha256>::new(cert.private_key.clone())
        .sign(input.as_bytes())
        .to_vec()
}

fn document_of(keys: &[&AuthCert], declared_x5t: DeclaredX5t) -> MetadataDocument {
    let text = metadata_json(
        keys,
        &MetadataOptions {
            declared_x5t,
            ..MetadataOptions::default()
        },
    );
    metadata::judge(text.as_bytes(), NOW)
        .document
        .expect("a document")
}

/// The three key checks for a token with header `x5t`, signed by `signer`.
fn judge_token(
    x5t: Option<&str>,
    signer: &AuthCert,
    document: &MetadataDocument,
    now: OffsetDateTime,
) -> Vec<Check> {
    let input = signing_input(x5t.unwrap_or_default());
    let signature = sign(signer, &input);
    let checks = key::judge(x5t, input.as_bytes(), &signature, document, now);
    assert_eq!(
        checks.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![
            CheckId::KeyMatch,
            CheckId::KeyCertificate,
            CheckId::KeySignature
        ]
    );
    for check in &checks {
        assert!(!check.summary.is_empty() && !check.summary.contains('\n'));
    }
    checks
}

fn statuses(checks: &[Check]) -> Vec<Status> {
    checks.iter().map(|c| c.status).collect()
}

#[test]
fn published_key_valid_certificate_good_signature_all_pass() {
    let document = document_of(&[&OTHER, &CURRENT], DeclaredX5t::Computed);
    let checks = judge_token(Some(&CURRENT.x5t), &CURRENT, &document, NOW);
    assert_eq!(statuses(&checks), vec![Status::Pass; 3], "{checks:#?}");
    assert!(checks[0].summary.contains("key 2"), "{}", checks[0].summary);
    assert!(
        checks[0].summary.contains(&CURRENT.x5t),
        "{}",
        checks[0].summary
    );
    assert_eq!(
        checks[0].details["matched_on"],
        "declared and computed thumbprint"
    );
    assert_eq!(checks[0].details["x5t_text_differs"], false);
    assert_eq!(
        checks[0].details["key"]["computed_x5t"],
        CURRENT.x5t.as_str()
    );
    assert!(
        checks[2].summary.contains("verifies"),
        "{}",
        checks[2].summary
    );
}

#[test]
fn the_lab_signer_makes_the_same_signatures() {
    let input = signing_input(&CURRENT.x5t);
    assert_eq!(CURRENT.sign_rs256(input.as_bytes()), sign(&CURRENT, &input));
}

#[test]
fn undeclared_x5t_matches_on_the_computed_thumbprint_and_says_so() {
    let document = document_of(&[&CURRENT], DeclaredX5t::Omitted);
    let checks = judge_token(Some(&CURRENT.x5t), &CURRENT, &document, NOW);
    assert_eq!(statuses(&checks), vec![Status::Pass; 3]);
    assert!(
        checks[0].summary.contains("declares no keyinfo.x5t"),
        "{}",
        checks[0].summary
    );
    assert_eq!(
        checks[0].details["matched_on"],
        "computed thumbprint (no keyinfo.x5t declared)"
    );
}

#[test]
fn computed_match_with_a_different_declared_x5t_warns() {
    let document = document_of(&[&CURRENT], DeclaredX5t::Wrong);
    let checks = judge_token(Some(&CURRENT.x5t), &CURRENT, &document, NOW);
    assert_eq!(
        statuses(&checks),
        vec![Status::Warn, Status::Pass, Status::Pass]
    );
    assert_eq!(checks[0].remedy, Some(Remedy::MetadataCertificate));
    assert!(
        checks[0].summary.contains("will not find it"),
        "{}",
        checks[0].summary
    );
}

#[test]
fn declared_match_on_another_certificate_warns_and_the_signature_fails() {
    // The document publishes OTHER's certificate under CURRENT's x5t.
    let document = document_of(&[&OTHER], DeclaredX5t::Text(CURRENT.x5t.clone()));
    let checks = judge_token(Some(&CURRENT.x5t), &CURRENT, &document, NOW);
    assert_eq!(
        statuses(&checks),
        vec![Status::Warn, Status::Pass, Status::Fail]
    );
    assert!(
        checks[0].summary.contains("publishes another certificate"),
        "{}",
        checks[0].summary
    );
    assert!(
        checks[0].summary.contains(&OTHER.x5t),
        "{}",
        checks[0].summary
    );
    assert_eq!(checks[2].remedy, Some(Remedy::SignatureInvalid));
}

#[test]
fn unpublished_x5t_fails_listing_the_published_certificates() {
    let document = document_of(&[&OTHER], DeclaredX5t::Computed);
    let checks = judge_token(Some(&CURRENT.x5t), &CURRENT, &document, NOW);
    assert_eq!(
        statuses(&checks),
        vec![Status::Fail, Status::Skip, Status::Skip]
    );
    let fail = &checks[0];
    assert_eq!(fail.remedy, Some(Remedy::KeyNotPublished));
    for expected in [
        CURRENT.x5t.as_str(),
        OTHER.x5t.as_str(),
        "CN=Microsoft Exchange Server Auth Certificate",
    ] {
        assert!(
            fail.summary.contains(expected),
            "{expected}: {}",
            fail.summary
        );
    }
    // The likely causes are the remedy's to say, once.
    let remedy = Remedy::KeyNotPublished.text();
    assert!(
        remedy.contains("renewed or replaced") && remedy.contains("another Exchange organisation")
    );
    assert!(!fail.summary.contains("renewed"));
    assert!(!fail.summary.contains("yet the signature verifies"));
    assert_eq!(fail.details["published_total"], 1);
    assert_eq!(
        fail.details["published"][0]["computed_x5t"],
        OTHER.x5t.as_str()
    );
    assert_eq!(fail.details["token_x5t"], CURRENT.x5t.as_str());
    let hex = fail.details["token_thumbprint"].as_str().expect("hex");
    assert_eq!(hex.len(), 40);
    assert!(checks[2].summary.contains("key.match fails"));
}

#[test]
fn a_certificate_renewed_on_the_same_key_is_recognised_by_its_signature() {
    // Exchange renewed the auth certificate for the same key and published
    // only the new one; the token still names the old certificate.
    let renewed = AuthCert::for_key(
        CURRENT.private_key.clone(),
        NOW - Duration::days(1),
        NOW + Duration::days(1800),
    )
    .expect("renewed");
    assert_ne!(renewed.x5t, CURRENT.x5t);
    let document = document_of(&[&renewed], DeclaredX5t::Computed);
    let checks = judge_token(Some(&CURRENT.x5t), &CURRENT, &document, NOW);
    assert_eq!(checks[0].status, Status::Fail);
    assert!(
        checks[0]
            .summary
            .contains("yet the signature verifies with key 1"),
        "{}",
        checks[0].summary
    );
    assert_eq!(
        checks[0].details["signature_verifies_with"][0],
        renewed.x5t.as_str()
    );
}

#[test]
fn x5t_in_hex_or_with_padding_still_matches() {
    let document = document_of(&[&CURRENT], DeclaredX5t::Computed);
    let bytes = metadata::thumbprint_from_text(&CURRENT.x5t).expect("thumbprint");
    for x5t in [
        metadata::hex_upper(&bytes),
        format!("{}=", CURRENT.x5t),
        base64::engine::general_purpose::STANDARD.encode(bytes),
    ] {
        let checks = judge_token(Some(&x5t), &CURRENT, &document, NOW);
        assert_eq!(statuses(&checks), vec![Status::Pass; 3], "{x5t}");
        assert_eq!(checks[0].details["x5t_text_differs"], true, "{x5t}");
        assert!(
            checks[0].summary.contains("differ in form"),
            "{}",
            checks[0].summary
        );
    }
}

#[test]
fn a_malformed_x5t_fails_and_says_it_is_no_thumbprint() {
    let document = document_of(&[&CURRENT], DeclaredX5t::Computed);
    let checks = judge_token(Some("not-a-thumbprint!"), &CURRENT, &document, NOW);
    assert_eq!(checks[0].status, Status::Fail);
    assert!(
        checks[0]
            .summary
            .contains("not a base64url SHA-1 thumbprint"),
        "{}",
        checks[0].summary
    );
}

#[test]
fn no_x5t_or_no_keys_skips_every_check() {
    let document = document_of(&[&CURRENT], DeclaredX5t::Computed);
    let checks = judge_token(None, &CURRENT, &document, NOW);
    assert_eq!(statuses(&checks), vec![Status::Skip; 3]);
    assert!(checks[0].summary.contains("no x5t"));
    let empty = metadata::judge(br#"{"keys":[]}"#, NOW)
        .document
        .expect("document");
    let checks = judge_token(Some(&CURRENT.x5t), &CURRENT, &empty, NOW);
    assert_eq!(statuses(&checks), vec![Status::Skip; 3]);
    assert!(checks[0].summary.contains("metadata.keys"));
}

#[test]
fn expired_auth_certificate_fails_naming_dates() {
    let document = document_of(&[&CURRENT], DeclaredX5t::Computed);
    let later = CURRENT.not_after + Duration::days(3);
    let checks = judge_token(Some(&CURRENT.x5t), &CURRENT, &document, later);
    assert_eq!(
        statuses(&checks),
        vec![Status::Pass, Status::Fail, Status::Pass]
    );
    let certificate = &checks[1];
    assert_eq!(certificate.remedy, Some(Remedy::AuthCertificateExpired));
    assert!(
        certificate.summary.contains("expired"),
        "{}",
        certificate.summary
    );
    assert!(
        certificate.summary.contains("3 days 0 h ago"),
        "{}",
        certificate.summary
    );
    assert!(
        certificate
            .summary
            .contains(&idtoken_doctor::clock::utc(CURRENT.not_after)),
        "{}",
        certificate.summary
    );
    assert_eq!(certificate.details["days_left"], -3);
}

#[test]
fn expired_certificate_made_as_such_fails_too() {
    let expired = AuthCert::for_key(
        OTHER.private_key.clone(),
        NOW - Duration::days(1900),
        NOW - Duration::days(75),
    )
    .expect("expired cert");
    let document = document_of(&[&expired], DeclaredX5t::Computed);
    let checks = judge_token(Some(&expired.x5t), &expired, &document, NOW);
    assert_eq!(
        statuses(&checks),
        vec![Status::Pass, Status::Fail, Status::Pass]
    );
    assert!(
        checks[1].summary.contains("75 days 0 h ago"),
        "{}",
        checks[1].summary
    );
}

#[test]
fn auth_certificate_not_yet_valid_fails() {
    let document = document_of(&[&CURRENT], DeclaredX5t::Computed);
    let earlier = CURRENT.not_before - Duration::hours(5);
    let checks = judge_token(Some(&CURRENT.x5t), &CURRENT, &document, earlier);
    assert_eq!(checks[1].status, Status::Fail);
    assert_eq!(checks[1].remedy, Some(Remedy::AuthCertificateExpired));
    assert!(
        checks[1].summary.contains("not valid yet"),
        "{}",
        checks[1].summary
    );
    assert!(
        checks[1].summary.contains("in 5 h 0 min"),
        "{}",
        checks[1].summary
    );
}

#[test]
fn auth_certificate_within_sixty_days_warns_and_beyond_passes() {
    let document = document_of(&[&CURRENT], DeclaredX5t::Computed);
    let soon = CURRENT.not_after - Duration::days(59);
    let checks = judge_token(Some(&CURRENT.x5t), &CURRENT, &document, soon);
    assert_eq!(checks[1].status, Status::Warn);
    assert_eq!(checks[1].remedy, Some(Remedy::AuthCertificateRenewSoon));
    assert!(
        checks[1].summary.contains("in 59 days"),
        "{}",
        checks[1].summary
    );
    let later = CURRENT.not_after - Duration::days(61);
    let checks = judge_token(Some(&CURRENT.x5t), &CURRENT, &document, later);
    assert_eq!(checks[1].status, Status::Pass);
}

#[test]
fn a_tampered_signature_fails() {
    let document = document_of(&[&CURRENT], DeclaredX5t::Computed);
    let input = signing_input(&CURRENT.x5t);
    let mut signature = sign(&CURRENT, &input);
    signature[100] ^= 0x01;
    let checks = key::judge(
        Some(&CURRENT.x5t),
        input.as_bytes(),
        &signature,
        &document,
        NOW,
    );
    assert_eq!(
        statuses(&checks),
        vec![Status::Pass, Status::Pass, Status::Fail]
    );
    assert_eq!(checks[2].remedy, Some(Remedy::SignatureInvalid));
    assert!(
        checks[2]
            .summary
            .contains("damaged in copying or signed by another server"),
        "{}",
        checks[2].summary
    );
}

#[test]
fn a_tampered_payload_fails() {
    let document = document_of(&[&CURRENT], DeclaredX5t::Computed);
    let input = signing_input(&CURRENT.x5t);
    let signature = sign(&CURRENT, &input);
    let tampered = format!("{input}x");
    let checks = key::judge(
        Some(&CURRENT.x5t),
        tampered.as_bytes(),
        &signature,
        &document,
        NOW,
    );
    assert_eq!(checks[2].status, Status::Fail);
}

#[test]
fn a_token_signed_by_another_certificates_key_fails_and_names_it() {
    // The header names CURRENT, but OTHER's key signed: both are published.
    let document = document_of(&[&CURRENT, &OTHER], DeclaredX5t::Computed);
    let checks = judge_token(Some(&CURRENT.x5t), &OTHER, &document, NOW);
    assert_eq!(
        statuses(&checks),
        vec![Status::Pass, Status::Pass, Status::Fail]
    );
    assert!(
        checks[2].summary.contains("it does verify with key 2"),
        "{}",
        checks[2].summary
    );
    assert_eq!(checks[2].details["verifies_with"][0], OTHER.x5t.as_str());
    // Only CURRENT published: no other key to name.
    let document = document_of(&[&CURRENT], DeclaredX5t::Computed);
    let checks = judge_token(Some(&CURRENT.x5t), &OTHER, &document, NOW);
    assert_eq!(checks[2].status, Status::Fail);
    assert!(
        !checks[2].summary.contains("it does verify"),
        "{}",
        checks[2].summary
    );
}

#[test]
fn a_cut_or_missing_signature_fails_saying_so() {
    let document = document_of(&[&CURRENT], DeclaredX5t::Computed);
    let input = signing_input(&CURRENT.x5t);
    let signature = sign(&CURRENT, &input);
    let checks = key::judge(
        Some(&CURRENT.x5t),
        input.as_bytes(),
        &signature[..200],
        &document,
        NOW,
    );
    assert_eq!(checks[2].status, Status::Fail);
    assert!(
        checks[2].summary.contains("200 bytes"),
        "{}",
        checks[2].summary
    );
    assert!(
        checks[2].summary.contains("256-byte"),
        "{}",
        checks[2].summary
    );
    let checks = key::judge(Some(&CURRENT.x5t), input.as_bytes(), &[], &document, NOW);
    assert_eq!(checks[2].status, Status::Fail);
    assert!(
        checks[2].summary.contains("no signature"),
        "{}",
        checks[2].summary
    );
}

#[test]
fn a_non_rsa_certificate_cannot_verify_rs256() {
    let key_pair = rcgen::KeyPair::generate().expect("ecdsa key");
    let params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    let der = params
        .self_signed(&key_pair)
        .expect("certificate")
        .der()
        .to_vec();
    let text = format!(
        r#"{{"keys":[{{"usage":"signing","keyvalue":{{"type":"x509Certificate","value":"{}"}}}}]}}"#,
        base64::engine::general_purpose::STANDARD.encode(&der)
    );
    let document = metadata::judge(text.as_bytes(), NOW)
        .document
        .expect("document");
    assert_eq!(document.keys[0].key_algorithm, "EC");
    let x5t = metadata::x5t_of(&der);
    let checks = judge_token(Some(&x5t), &CURRENT, &document, NOW);
    assert_eq!(checks[0].status, Status::Pass);
    assert_eq!(checks[2].status, Status::Fail);
    assert_eq!(checks[2].remedy, Some(Remedy::MetadataCertificate));
    assert!(
        checks[2].summary.contains("not RSA"),
        "{}",
        checks[2].summary
    );
}

#[test]
fn a_token_against_ten_thousand_published_keys_is_judged() {
    let text = format!(
        r#"{{"keys":[{}]}}"#,
        vec![
            format!(
                r#"{{"keyvalue":{{"type":"x509Certificate","value":"{}"}}}}"#,
                OTHER.base64_der()
            );
            10_000
        ]
        .join(",")
    );
    let document = metadata::judge(text.as_bytes(), NOW)
        .document
        .expect("document");
    assert_eq!(document.keys.len(), 10_000);
    let checks = judge_token(Some(&CURRENT.x5t), &CURRENT, &document, NOW);
    assert_eq!(checks[0].status, Status::Fail);
    assert!(
        checks[0].summary.len() < 2000,
        "{}",
        checks[0].summary.len()
    );
    assert_eq!(
        checks[0].details["published"].as_array().map(Vec::len),
        Some(50)
    );
    assert_eq!(checks[0].details["published_total"], 10_000);
}
