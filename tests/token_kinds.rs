//! `token.kind`'s `details.kind` on tokens shaped like the real public ones
//! (callback tokens decoded in office-js issues, OWA attachment URLs with a
//! `token=` parameter committed to GitHub, Entra ID v1 and v2 tokens, the
//! identity-token samples), each kind produced on its case and near misses not
//! misnamed. The tokens are built here with the same claims; none is copied.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use idtoken_doctor::remedy::Remedy;
use idtoken_doctor::report::{Check, CheckId, Status};
use idtoken_doctor::token::{analyze, TokenContext};
use serde_json::{json, Value};
use time::macros::datetime;

const TENANT: &str = "b1051c4b-3b94-41ab-9441-e73a72342fdd";

fn jwt(header: Value, claims: Value) -> String {
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        "A".repeat(342)
    )
}

fn exchange_header() -> Value {
    json!({"alg": "RS256", "kid": "E5D2F0F8DA93B6709C43A9E8A6143C03D62F9A80", "typ": "JWT", "x5t": "5dLw-NqTtnCcQ6nophQ8A9YvmoA"})
}

fn kind_check(input: &str) -> Check {
    let ctx = TokenContext {
        now: datetime!(2024-06-20 12:00:00 UTC),
        audience: None,
    };
    analyze(input, &ctx)
        .check(CheckId::TokenKind)
        .cloned()
        .expect("token.kind")
}

fn kind(input: &str) -> String {
    let check = kind_check(input);
    check.details["kind"].as_str().expect("a kind").to_string()
}

/// A callback token as getCallbackTokenAsync returns it in Outlook on the web.
fn callback_token() -> String {
    let appctx = json!({"oid": "c73b8759-34b2-4186-aa8c-04d149dcc77a", "smtp": "ann@contoso.com", "upn": "ann@contoso.com", "scope": "ParentItemId:AAMkADliYTYxYmU3"});
    jwt(
        exchange_header(),
        json!({
            "nameid": format!("35c7da4b-7af9-4e1a-ac4a-a2255a8f3e36@{TENANT}"),
            "ver": "Exchange.Callback.V1",
            "appctxsender": format!("https://localhost:3000/@{TENANT}"),
            "appctx": appctx.to_string(),
            "issring": "WW",
            "happ": "owa",
            "nbf": 1718819491, "exp": 1718819791,
            "iss": format!("00000002-0000-0ff1-ce00-000000000000@{TENANT}"),
            "aud": format!("00000002-0000-0ff1-ce00-000000000000/outlook.office365.com@{TENANT}"),
        }),
    )
}

/// An OWA attachment-download token.
fn download_token() -> String {
    let appctx = json!({"msexchprot": "owa", "puid": "1153977025717792236", "scope": "OwaDownload", "oid": "fe11635c-7404-4333-82dc-9c11b186e39e"});
    jwt(
        exchange_header(),
        json!({
            "origin": "https://outlook.office365.com",
            "ver": "Exchange.Callback.V1",
            "appctxsender": format!("OwaDownload@{TENANT}"),
            "issring": "WW",
            "appctx": appctx.to_string(),
            "nbf": 1718887570, "exp": 1718888170,
            "iss": format!("00000002-0000-0ff1-ce00-000000000000@{TENANT}"),
            "aud": format!("00000002-0000-0ff1-ce00-000000000000/attachments.office.net@{TENANT}"),
            "happ": "owa",
        }),
    )
}

#[test]
fn a_callback_token_is_exchange_callback_and_names_its_exchange() {
    let check = kind_check(&callback_token());
    assert_eq!(check.status, Status::Fail);
    assert_eq!(check.details["kind"], "exchange-callback");
    assert_eq!(check.remedy, Some(Remedy::TokenKindCallback));
    assert!(
        check.summary.contains("outlook.office365.com"),
        "{}",
        check.summary
    );
    assert!(Remedy::TokenKindCallback
        .text()
        .contains("getUserIdentityTokenAsync"));
}

#[test]
fn a_callback_token_without_ver_is_told_by_its_audience() {
    let appctx = json!({"oid": "o", "puid": "p"});
    let token = jwt(
        exchange_header(),
        json!({"aud": "00000002-0000-0ff1-ce00-000000000000/mail.contoso.com@contoso.com", "appctx": appctx.to_string()}),
    );
    assert_eq!(kind(&token), "exchange-callback");
}

#[test]
fn a_download_token_pasted_inside_its_url_is_found_and_is_owa_download() {
    let url = format!(
        "https://attachments.office.net/owa/ann%40contoso.com/service.svc/s/GetAttachmentThumbnail\
         ?id=AAMkAGZkYWFkZjEwLTE3NTgtNDkwNC1hNTNiLWRiYzQyYzA4MmE1YQBGAAAAAAD%3D&thumbnailType=2\
         &token={}&X-OWA-CANARY=bdvoV5Aj--gAAAAAAAAAAOBCQ_omkdwYddJOqP1ukHQ7Nkfo.\
         &owa=outlook.office365.com&scriptVer=20240607002.20&animation=true",
        download_token()
    );
    let check = kind_check(&url);
    assert_eq!(check.details["kind"], "owa-download");
    assert_eq!(check.remedy, Some(Remedy::TokenKindOwaDownload));
    assert!(
        check.summary.contains("attachments.office.net"),
        "{}",
        check.summary
    );
}

#[test]
fn entra_v1_and_v2_tokens_are_entra_and_say_which() {
    let tid = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    let v1 = jwt(
        json!({"typ": "JWT", "alg": "RS256", "x5t": "nOo3ZDrODXEK1jKWhXslHR_KXEg", "kid": "nOo3ZDrODXEK1jKWhXslHR_KXEg"}),
        json!({"aud": "api://addin.contoso.com/b5f0", "iss": format!("https://sts.windows.net/{tid}/"),
               "appid": "b5f0", "scp": "access_as_user", "tid": tid, "ver": "1.0"}),
    );
    let check = kind_check(&v1);
    assert_eq!(check.details["kind"], "entra");
    assert!(
        check.summary.contains("v1.0 access token"),
        "{}",
        check.summary
    );
    // Its chain is Entra's (nested app authentication): the kind passes.
    assert_eq!(check.status, Status::Pass);
    assert_eq!(check.details["token_use"], "access");
    assert_eq!(check.remedy, None);
    let v2 = jwt(
        json!({"typ": "JWT", "alg": "RS256", "kid": "nOo3ZDrODXEK1jKWhXslHR_KXEg"}),
        json!({"aud": "b5f0", "iss": format!("https://login.microsoftonline.com/{tid}/v2.0"),
               "nonce": "n", "preferred_username": "ann@contoso.com", "ver": "2.0"}),
    );
    let check = kind_check(&v2);
    assert_eq!(check.details["kind"], "entra");
    assert!(check.summary.contains("v2.0 ID token"), "{}", check.summary);
}

#[test]
fn the_identity_token_samples_are_exchange_identity() {
    for sample in [
        "exchange-onprem-identity-token.deepnetsecurity.jwt",
        "exchange-hosted-identity-token.hqfinanz-spec.jwt",
        "exchange-online-identity-token.office-js-issue720.header-payload.txt",
    ] {
        let path = format!("{}/tests/fixtures/{sample}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&path).expect("a sample");
        let check = kind_check(&text);
        assert_eq!(check.details["kind"], "exchange-identity", "{sample}");
        assert_eq!(check.status, Status::Pass, "{sample}");
    }
}

#[test]
fn near_misses_are_not_misnamed() {
    // An issuer that only looks like Entra's host is another JWT.
    let lookalike = jwt(
        json!({"alg": "RS256"}),
        json!({"iss": "https://sts.windows.net.example.org/x/", "sub": "s"}),
    );
    assert_eq!(kind(&lookalike), "other-jwt");
    // Another identity provider's token.
    let google = jwt(
        json!({"alg": "RS256", "kid": "k"}),
        json!({"iss": "https://accounts.google.com", "sub": "1", "aud": "x"}),
    );
    assert_eq!(kind(&google), "other-jwt");
    // An identity token whose aud is the add-in URL is not a callback token,
    // even issued by Exchange for the same tenant.
    let appctx = json!({"msexchuid": "u", "version": "ExIdTok.V1", "amurl": "https://mail.contoso.com/autodiscover/metadata/json/1"});
    let identity = jwt(
        exchange_header(),
        json!({"aud": "https://addin.contoso.com/taskpane.html", "iss": format!("00000002-0000-0ff1-ce00-000000000000@{TENANT}"),
               "appctxsender": format!("00000002-0000-0ff1-ce00-000000000000@{TENANT}"), "appctx": appctx.to_string()}),
    );
    assert_eq!(kind(&identity), "exchange-identity");
    // A callback token is not taken for a download token.
    assert_eq!(kind(&callback_token()), "exchange-callback");
}
