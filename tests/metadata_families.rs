//! `metadata.document`'s `details.family`: key documents that are not
//! Exchange's (an Entra ID JWKS, an OpenID configuration, Azure ACS metadata,
//! SharePoint's STS metadata) fail with their own remedy, and a near miss (an
//! Exchange document) is not misnamed. Also: a document with several keys is
//! searched whole.

mod cli_support;

use cli_support::*;
use idtoken_doctor::key;
use idtoken_doctor::lab::authcert::{metadata_json, AuthCert, DeclaredX5t, MetadataOptions};
use idtoken_doctor::metadata::{self, Family, MetadataOutcome};
use idtoken_doctor::remedy::Remedy;
use idtoken_doctor::report::{CheckId, Status};
use serde_json::json;
use time::Duration;

fn judge(text: &str) -> MetadataOutcome {
    metadata::judge(text.as_bytes(), NOW)
}

fn family(outcome: &MetadataOutcome) -> Option<&str> {
    outcome.checks[0]
        .details
        .get("family")
        .and_then(|v| v.as_str())
}

/// An auth certificate's base64 DER, as the documents below publish it.
fn certificate_base64() -> String {
    let document: serde_json::Value =
        serde_json::from_str(&metadata_for(&[&AUTH])).expect("the lab's metadata is JSON");
    document["keys"][0]["keyvalue"]["value"]
        .as_str()
        .expect("a certificate value")
        .to_string()
}

#[test]
fn an_entra_id_key_set_is_entra_jwks() {
    let jwks = json!({"keys": [{
        "kty": "RSA", "use": "sig", "kid": "nOo3ZDrODXEK1jKWhXslHR_KXEg",
        "x5t": "nOo3ZDrODXEK1jKWhXslHR_KXEg", "n": "oaLLT9hkcSj2", "e": "AQAB",
        "x5c": [certificate_base64()],
        "issuer": "https://login.microsoftonline.com/{tenantid}/v2.0"
    }]})
    .to_string();
    let outcome = judge(&jwks);
    let document = &outcome.checks[0];
    assert_eq!(document.id, CheckId::MetadataDocument);
    assert_eq!(document.status, Status::Fail);
    assert_eq!(family(&outcome), Some("entra-jwks"));
    assert_eq!(document.remedy, Some(Remedy::MetadataFamilyJwks));
    assert!(
        Remedy::MetadataFamilyJwks
            .text()
            .contains("/autodiscover/metadata/json/1"),
        "the remedy names Exchange's own document"
    );
    assert!(outcome.document.is_none());
}

#[test]
fn an_openid_configuration_is_named() {
    let openid = json!({
        "issuer": "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0",
        "jwks_uri": "https://login.microsoftonline.com/common/discovery/v2.0/keys",
        "authorization_endpoint": "https://login.microsoftonline.com/common/oauth2/v2.0/authorize"
    })
    .to_string();
    let outcome = judge(&openid);
    assert_eq!(outcome.checks[0].status, Status::Fail);
    assert_eq!(family(&outcome), Some("openid-configuration"));
    assert_eq!(outcome.checks[0].remedy, Some(Remedy::MetadataFamilyOpenId));
}

#[test]
fn azure_acs_metadata_is_acs() {
    let acs = json!({
        "version": "1.0",
        "realm": "9188040d-6c67-4c5b-b112-36a304b66dad",
        "serviceName": "00000001-0000-0000-c000-000000000000",
        "issuer": "00000001-0000-0000-c000-000000000000@9188040d-6c67-4c5b-b112-36a304b66dad",
        "allowedAudiences": ["00000001-0000-0000-c000-000000000000@9188040d-6c67-4c5b-b112-36a304b66dad"],
        "keys": [{"usage": "signing", "keyValue": {"type": "x509Certificate", "value": certificate_base64()}}],
        "endpoints": [
            {"location": "https://accounts.accesscontrol.windows.net/tokens/OAuth/2", "protocol": "OAuth2", "usage": "issuance"},
            {"location": "https://accounts.accesscontrol.windows.net/v2/tokens/OAuth/2", "protocol": "OAuth2", "usage": "management"}
        ]
    });
    let outcome = judge(&acs.to_string());
    assert_eq!(outcome.checks[0].status, Status::Fail);
    assert_eq!(family(&outcome), Some("acs"));
    assert_eq!(outcome.checks[0].remedy, Some(Remedy::MetadataFamilyAcs));
    // Told by its endpoints alone too, with the service name removed.
    let mut anonymous = acs.clone();
    anonymous["serviceName"] = json!("x");
    anonymous["issuer"] = json!("x@y");
    assert_eq!(family(&judge(&anonymous.to_string())), Some("acs"));
}

#[test]
fn exchange_documents_are_not_misnamed() {
    // Exchange's own: an endpoint for `metadata`, keys with keyinfo.x5t.
    let with_endpoint = metadata_json(
        &[&AUTH],
        &MetadataOptions {
            metadata_url: Some("https://mail.contoso.com/autodiscover/metadata/json/1".into()),
            ..MetadataOptions::default()
        },
    );
    // No keyinfo.x5t and no endpoints is still Exchange's (real documents vary).
    let bare = metadata_json(
        &[&AUTH],
        &MetadataOptions {
            declared_x5t: DeclaredX5t::Omitted,
            ..MetadataOptions::default()
        },
    );
    for text in [with_endpoint, bare] {
        let outcome = judge(&text);
        assert_eq!(outcome.checks[0].status, Status::Pass, "{text}");
        assert_eq!(family(&outcome), None);
        assert_eq!(outcome.document.and_then(|d| d.family), None);
    }
}

#[test]
fn every_family_has_a_distinct_id_and_its_own_remedy() {
    for (i, f) in Family::ALL.iter().enumerate() {
        assert!(Family::ALL[..i].iter().all(|g| g.id() != f.id()));
        assert!(Family::ALL[..i].iter().all(|g| g.remedy() != f.remedy()));
    }
}

#[test]
fn the_tokens_key_is_found_when_it_is_the_second_of_several() {
    // A rollover: the next certificate is published first, the one that signed
    // the token second (Microsoft's validation sample reads only keys[0]).
    let next = AuthCert::generate(NOW - Duration::days(1), NOW + Duration::days(1800))
        .expect("an auth certificate");
    let text = metadata_for(&[&next, &AUTH]);
    let document = judge(&text).document.expect("a document");
    assert_eq!(document.keys.len(), 2);
    let token = GOOD_TOKEN.as_str();
    let (signing_input, signature) = token.rsplit_once('.').expect("three parts");
    let signature = base64_url(signature);
    let checks = key::judge(
        Some(&AUTH.x5t),
        signing_input.as_bytes(),
        &signature,
        &document,
        NOW,
    );
    for check in &checks {
        assert_eq!(check.status, Status::Pass, "{check:?}");
    }
    assert!(
        checks[0].summary.contains("key 2"),
        "names the second key: {}",
        checks[0].summary
    );
}

fn base64_url(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .expect("base64url")
}

#[test]
fn keys_with_sharepoints_document_fails_metadata_document_not_the_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let token_file = write_file(dir.path(), "token.txt", GOOD_TOKEN.as_str());
    let sharepoint = fixture_path("metadata/sharepoint-sts-metadata.real-response.json");
    let output = run(doctor()
        .args(["keys", &format!("@{}", token_file.display())])
        .args(["--metadata", &sharepoint.display().to_string()])
        .args(["--now", NOW_TEXT, "--format", "json"]));
    assert_code(&output, 60);
    let report = report(&output);
    assert_eq!(report["verdict"]["check"], "metadata.document");
    assert_eq!(
        check(&report, "metadata.document")["details"]["family"],
        "sharepoint-sts"
    );
    assert_eq!(status(&report, "key.match"), "skip");
}
