//! Every token.* check, made to pass and made to fail or warn, on tokens minted
//! and signed in the test with a freshly generated RSA key.

use std::sync::OnceLock;

use idtoken_doctor::lab::mint::{generate_key, TokenMint, EXCHANGE_APP_ID};
use idtoken_doctor::remedy::Remedy;
use idtoken_doctor::report::{Check, CheckId, Stage, Status};
use idtoken_doctor::token::{analyze, AppctxForm, TokenAnalysis, TokenContext};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use rsa::RsaPrivateKey;
use serde_json::json;
use sha2::Sha256;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// The thumbprint the minted tokens name (that of the deepnetsecurity sample).
const X5T: &str = "CJm8qtUsgjlUB7j0IavXO7vEaUc";
/// When the minted tokens are issued.
const ISSUED: OffsetDateTime = datetime!(2024-05-01 10:00:00 UTC);

fn key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| generate_key().expect("an RSA key"))
}

fn mint() -> TokenMint {
    TokenMint::new(X5T, ISSUED)
}

/// Judges a minted token one hour after issue, with an optional `--audience`.
fn judge_with(mint: &TokenMint, now: OffsetDateTime, audience: Option<&str>) -> TokenAnalysis {
    let raw = mint.sign(key()).expect("signed");
    let analysis = analyze(
        &raw,
        &TokenContext {
            now,
            audience: audience.map(str::to_string),
        },
    );
    let ids: Vec<CheckId> = analysis.checks.iter().map(|c| c.id).collect();
    assert_eq!(ids, CheckId::of_stage(Stage::Token), "all nine, in order");
    assert_no_secrets(&analysis, &raw);
    analysis
}

fn judge(mint: &TokenMint) -> TokenAnalysis {
    judge_with(mint, ISSUED + Duration::hours(1), None)
}

fn check(analysis: &TokenAnalysis, id: CheckId) -> &Check {
    analysis.check(id).expect("every check is present")
}

/// The signature and the raw token never appear in checks or facts; every fail
/// and warn has a remedy.
fn assert_no_secrets(analysis: &TokenAnalysis, raw: &str) {
    let signature = raw.rsplit('.').next().expect("a part");
    for c in &analysis.checks {
        let said = format!(
            "{} {}",
            c.summary,
            serde_json::Value::Object(c.details.clone())
        );
        assert!(!said.contains(raw), "{} shows the raw token", c.id);
        assert!(!said.contains(signature), "{} shows the signature", c.id);
        assert!(!c.summary.contains('\n'), "{}: one line", c.id);
        if matches!(c.status, Status::Fail | Status::Warn) {
            assert!(c.remedy.is_some(), "{} has a remedy", c.id);
        }
    }
    if let Some(facts) = analysis.facts() {
        assert!(!format!("{facts:?}").contains(signature));
    }
}

/// Asserts one check's status and that its summary contains `words`.
fn expect(analysis: &TokenAnalysis, id: CheckId, status: Status, words: &str) -> Check {
    let c = check(analysis, id).clone();
    assert_eq!(c.status, status, "{id}: {}", c.summary);
    assert!(
        c.summary.contains(words),
        "{id}: `{}` lacks `{words}`",
        c.summary
    );
    c
}

#[test]
fn a_healthy_token_passes_everything_and_its_signature_verifies() {
    let analysis = judge_with(
        &mint(),
        ISSUED + Duration::hours(1),
        Some("https://addin.contoso.com/outlook/taskpane.html"),
    );
    for c in &analysis.checks {
        assert_eq!(c.status, Status::Pass, "{}: {}", c.id, c.summary);
    }
    let token = analysis.token.as_ref().expect("decoded");
    let verifier = VerifyingKey::<Sha256>::new(key().to_public_key());
    let signature = Signature::try_from(token.signature().expect("signature")).expect("256 bytes");
    assert!(verifier.verify(token.signing_input(), &signature).is_ok());
}

#[test]
fn a_tampered_signature_still_decodes_but_does_not_verify() {
    let analysis = judge(&mint().tamper_signature());
    expect(&analysis, CheckId::TokenEncoding, Status::Pass, "256 bytes");
    let token = analysis.token.as_ref().expect("decoded");
    let verifier = VerifyingKey::<Sha256>::new(key().to_public_key());
    let signature = Signature::try_from(token.signature().expect("signature")).expect("256 bytes");
    assert!(verifier.verify(token.signing_input(), &signature).is_err());
}

#[test]
fn claims_decode_in_both_forms_of_appctx_and_times() {
    for (mint, form, time_form) in [
        (mint(), AppctxForm::JsonString, "number"),
        (mint().appctx_as_object(), AppctxForm::Object, "number"),
        (mint().times_as_strings(), AppctxForm::JsonString, "string"),
        (
            mint().appctx_as_object().times_as_strings(),
            AppctxForm::Object,
            "string",
        ),
    ] {
        let analysis = judge(&mint);
        let token = analysis.token.as_ref().expect("decoded");
        assert_eq!(token.appctx_form(), &form);
        assert_eq!(token.x5t(), Some(X5T));
        assert_eq!(
            token.amurl(),
            Some("https://mail.contoso.com:443/autodiscover/metadata/json/1")
        );
        assert_eq!(token.appctx()["version"], "ExIdTok.V1");
        assert_eq!(
            token.claims()["iss"],
            format!("{EXCHANGE_APP_ID}@contoso.com")
        );
        let facts = analysis.facts().expect("facts");
        assert_eq!(facts.appctx, mint.appctx());
        assert_eq!(facts.claims, mint.claims());
        assert_eq!(facts.header, mint.header());
        assert_eq!(
            facts.unique_id.as_deref(),
            Some("https://mail.contoso.com:443/autodiscover/metadata/json/153e925fa-76ba-45e1-be0f-4ef08b59d389")
        );
        assert_eq!(
            facts.times,
            vec![
                ("nbf".to_string(), ISSUED),
                ("exp".to_string(), ISSUED + Duration::hours(8))
            ]
        );
        let lifetime = expect(
            &analysis,
            CheckId::TokenLifetime,
            Status::Pass,
            "valid from",
        );
        assert_eq!(lifetime.details["nbf_form"], time_form);
        assert_eq!(lifetime.details["exp_form"], time_form);
        let version = expect(&analysis, CheckId::TokenVersion, Status::Pass, "ExIdTok.V1");
        let form_name = if form == AppctxForm::Object {
            "object"
        } else {
            "JSON string"
        };
        assert_eq!(version.details["appctx_form"], form_name);
    }
}

#[test]
fn input_passes_on_a_token_and_fails_without_one() {
    let analysis = judge(&mint());
    expect(
        &analysis,
        CheckId::TokenInput,
        Status::Pass,
        "found a JWT of 3 parts",
    );
    let none = analyze(
        "hello",
        &TokenContext {
            now: ISSUED,
            audience: None,
        },
    );
    let c = none.check(CheckId::TokenInput).expect("input");
    assert_eq!(c.status, Status::Fail);
    assert_eq!(c.remedy, Some(Remedy::PasteToken));
    assert!(none.token.is_none());
    for later in &none.checks[1..] {
        assert_eq!(later.status, Status::Skip, "{}", later.id);
    }
}

#[test]
fn encoding_passes_and_fails_on_a_damaged_character() {
    expect(
        &judge(&mint()),
        CheckId::TokenEncoding,
        Status::Pass,
        "are base64url JSON objects",
    );
    let raw = mint().sign(key()).expect("signed");
    let (header, rest) = raw.split_once('.').expect("dot");
    let damaged = format!("{header}.{}/{}", &rest[..20], &rest[21..]);
    let analysis = analyze(
        &damaged,
        &TokenContext {
            now: ISSUED,
            audience: None,
        },
    );
    let c = expect(
        &analysis,
        CheckId::TokenEncoding,
        Status::Fail,
        "the payload (2nd part) has '/' at character 21",
    );
    assert_eq!(c.remedy, Some(Remedy::TokenDamaged));
    assert!(analysis.token.is_none());
    for later in &analysis.checks[2..] {
        assert_eq!(later.status, Status::Skip, "{}", later.id);
    }
}

#[test]
fn header_passes_and_fails_on_typ_alg_and_x5t() {
    expect(
        &judge(&mint()),
        CheckId::TokenHeader,
        Status::Pass,
        "typ JWT, alg RS256, x5t CJm8",
    );
    let with_kid = expect(
        &judge(&mint().with_kid()),
        CheckId::TokenHeader,
        Status::Pass,
        ", kid (the same thumbprint in hex)",
    );
    assert_eq!(with_kid.details["kid_matches_x5t"], true);
    let other_kid = expect(
        &judge(&mint().header_field("kid", "00")),
        CheckId::TokenHeader,
        Status::Pass,
        "kid (not the same thumbprint as x5t; SSI uses x5t)",
    );
    assert_eq!(other_kid.details["kid_matches_x5t"], false);
    expect(
        &judge(&mint().header_field("alg", "HS256")),
        CheckId::TokenHeader,
        Status::Fail,
        "alg is `HS256`, not RS256",
    );
    expect(
        &judge(&mint().header_field("typ", "at+jwt")),
        CheckId::TokenHeader,
        Status::Fail,
        "typ is `at+jwt`, not JWT",
    );
    expect(
        &judge(&mint().without_header_field("x5t")),
        CheckId::TokenHeader,
        Status::Fail,
        "x5t is missing",
    );
    expect(
        &judge(&mint().header_field("x5t", 7)),
        CheckId::TokenHeader,
        Status::Fail,
        "x5t is a number (7), not a thumbprint string",
    );
    expect(
        &judge(&mint().header_field("x5t", "short")),
        CheckId::TokenHeader,
        Status::Warn,
        "not the base64url of a 20-byte SHA-1 thumbprint",
    );
    let both = expect(
        &judge(
            &mint()
                .header_field("alg", "none")
                .without_header_field("typ"),
        ),
        CheckId::TokenHeader,
        Status::Fail,
        "typ is missing (JWT expected); alg is `none`, not RS256",
    );
    assert_eq!(both.remedy, Some(Remedy::TokenHeader));
}

#[test]
fn version_passes_and_fails() {
    expect(
        &judge(&mint()),
        CheckId::TokenVersion,
        Status::Pass,
        "appctx.version is ExIdTok.V1",
    );
    expect(
        &judge(&mint().version("ExIdTok.V2")),
        CheckId::TokenVersion,
        Status::Fail,
        "appctx.version is `ExIdTok.V2`, not ExIdTok.V1",
    );
    expect(
        &judge(&mint().appctx_field("version", 1)),
        CheckId::TokenVersion,
        Status::Fail,
        "appctx.version is a number (1), not the string ExIdTok.V1",
    );
    expect(
        &judge(&mint().without_appctx_field("version")),
        CheckId::TokenVersion,
        Status::Fail,
        "appctx has no version",
    );
    let missing = judge(&mint().without("appctx"));
    expect(
        &missing,
        CheckId::TokenVersion,
        Status::Fail,
        "the payload has no appctx claim",
    );
    // The amurl inside it is then not judged twice.
    expect(
        &missing,
        CheckId::TokenAmurl,
        Status::Skip,
        "see token.version",
    );
    expect(
        &missing,
        CheckId::TokenDeprecation,
        Status::Skip,
        "no usable amurl",
    );
}

#[test]
fn amurl_passes_fails_and_warns() {
    let pass = expect(
        &judge(&mint()),
        CheckId::TokenAmurl,
        Status::Pass,
        "https://mail.contoso.com:443/autodiscover/metadata/json/1",
    );
    assert_eq!(pass.details["host"], "mail.contoso.com");
    assert_eq!(pass.details["port"], 443);
    expect(
        &judge(&mint().without_appctx_field("amurl")),
        CheckId::TokenAmurl,
        Status::Fail,
        "appctx.amurl is missing",
    );
    let number = expect(
        &judge(&mint().appctx_field("amurl", 42)),
        CheckId::TokenAmurl,
        Status::Fail,
        "appctx.amurl is a number (42), not a URL string",
    );
    assert_eq!(number.remedy, Some(Remedy::TokenClaims));
    expect(
        &judge(&mint().amurl("/autodiscover/metadata/json/1")),
        CheckId::TokenAmurl,
        Status::Fail,
        "is not an absolute URL",
    );
    let http = expect(
        &judge(&mint().amurl("http://mail.contoso.com/autodiscover/metadata/json/1")),
        CheckId::TokenAmurl,
        Status::Fail,
        "uses http, not https",
    );
    assert_eq!(http.remedy, Some(Remedy::UseHttps));
    expect(
        &judge(&mint().amurl("ftp://mail.contoso.com/autodiscover/metadata/json/1")),
        CheckId::TokenAmurl,
        Status::Fail,
        "uses ftp, not https",
    );
    let path = expect(
        &judge(&mint().amurl("https://mail.contoso.com/owa/")),
        CheckId::TokenAmurl,
        Status::Warn,
        "path is /owa/, not /autodiscover/metadata/json/1",
    );
    assert_eq!(path.remedy, Some(Remedy::TokenAmurlPath));
    // The path is matched without regard to case, as IIS serves it.
    expect(
        &judge(&mint().amurl("https://mail.contoso.com/Autodiscover/Metadata/Json/1")),
        CheckId::TokenAmurl,
        Status::Pass,
        "appctx.amurl is",
    );
}

#[test]
fn lifetime_passes_and_warns_with_skew() {
    let expired = judge_with(&mint(), ISSUED + Duration::days(2), None);
    let c = expect(
        &expired,
        CheckId::TokenLifetime,
        Status::Warn,
        "expired 1 day 16 h ago (exp 2024-05-01 18:00:00 UTC, evaluated at 2024-05-03 10:00:00 UTC)",
    );
    assert_eq!(c.remedy, Some(Remedy::TokenLifetime));
    assert_eq!(c.details["exp"], "2024-05-01T18:00:00Z");
    assert_eq!(c.details["skew_seconds"], 300);
    expect(
        &judge_with(&mint(), ISSUED - Duration::hours(2), None),
        CheckId::TokenLifetime,
        Status::Warn,
        "not valid yet: nbf 2024-05-01 10:00:00 UTC is in 2 h 0 min",
    );
    // Within five minutes either side, the clocks may simply differ.
    expect(
        &judge_with(
            &mint(),
            ISSUED + Duration::hours(8) + Duration::minutes(4),
            None,
        ),
        CheckId::TokenLifetime,
        Status::Pass,
        "within the 5 min clock skew",
    );
    expect(
        &judge_with(&mint(), ISSUED - Duration::minutes(4), None),
        CheckId::TokenLifetime,
        Status::Pass,
        "within the 5 min clock skew",
    );
    expect(
        &judge_with(
            &mint(),
            ISSUED + Duration::hours(8) + Duration::minutes(6),
            None,
        ),
        CheckId::TokenLifetime,
        Status::Warn,
        "expired 6 min 0 s ago",
    );
    // String times are judged the same way.
    expect(
        &judge_with(&mint().times_as_strings(), ISSUED + Duration::days(2), None),
        CheckId::TokenLifetime,
        Status::Warn,
        "expired 1 day 16 h ago",
    );
}

#[test]
fn lifetime_fails_on_malformed_times() {
    let object = expect(
        &judge(&mint().claim("exp", json!({"at": 1}))),
        CheckId::TokenLifetime,
        Status::Fail,
        "exp is an object, not a number of Unix seconds",
    );
    assert_eq!(object.remedy, Some(Remedy::TokenClaims));
    assert_eq!(object.details["exp_form"], "invalid");
    expect(
        &judge(&mint().claim("nbf", "yesterday")),
        CheckId::TokenLifetime,
        Status::Fail,
        "nbf is the string `yesterday`, neither Unix seconds nor an RFC 3339 time",
    );
    expect(
        &judge(&mint().without("exp")),
        CheckId::TokenLifetime,
        Status::Fail,
        "the token has no exp claim",
    );
    expect(
        &judge(&mint().lifetime(ISSUED, ISSUED - Duration::hours(1))),
        CheckId::TokenLifetime,
        Status::Fail,
        "is before nbf",
    );
    // A token without nbf is judged on exp alone.
    expect(
        &judge(&mint().without("nbf")),
        CheckId::TokenLifetime,
        Status::Pass,
        "valid until 2024-05-01 18:00:00 UTC",
    );
}

#[test]
fn audience_is_skipped_passes_warns_and_fails() {
    expect(
        &judge(&mint()),
        CheckId::TokenAudience,
        Status::Skip,
        "no --audience given",
    );
    let url = "https://addin.contoso.com/outlook/taskpane.html";
    let now = ISSUED + Duration::hours(1);
    expect(
        &judge_with(&mint(), now, Some(url)),
        CheckId::TokenAudience,
        Status::Pass,
        "aud equals --audience",
    );
    let query = expect(
        &judge_with(&mint().audience(format!("{url}?et=abc123")), now, Some(url)),
        CheckId::TokenAudience,
        Status::Warn,
        "differs from --audience https://addin.contoso.com/outlook/taskpane.html only in the query string",
    );
    assert_eq!(query.remedy, Some(Remedy::TokenAudience));
    expect(
        &judge_with(&mint(), now, Some("https://other.example/addin.html")),
        CheckId::TokenAudience,
        Status::Fail,
        "is not --audience https://other.example/addin.html",
    );
    expect(
        &judge_with(&mint().without("aud"), now, Some(url)),
        CheckId::TokenAudience,
        Status::Fail,
        "the token has no aud claim",
    );
    expect(
        &judge_with(&mint().claim("aud", 5), now, Some(url)),
        CheckId::TokenAudience,
        Status::Fail,
        "aud is a number (5), not the add-in URL string",
    );
    expect(
        &judge_with(
            &mint().claim("aud", json!([url, "https://b/"])),
            now,
            Some(url),
        ),
        CheckId::TokenAudience,
        Status::Pass,
        "aud equals --audience",
    );
}

#[test]
fn issuer_passes_and_warns_on_disagreeing_realms() {
    expect(
        &judge(&mint()),
        CheckId::TokenIssuer,
        Status::Pass,
        "iss and appctxsender name the realm `contoso.com` (msexchuid without a realm, not compared)",
    );
    expect(
        &judge(&mint().msexchuid("53e925fa-76ba-45e1-be0f-4ef08b59d389@CONTOSO.com")),
        CheckId::TokenIssuer,
        Status::Pass,
        "iss, appctxsender and msexchuid name the realm",
    );
    let disagree = expect(
        &judge(&mint().msexchuid("53e925fa-76ba-45e1-be0f-4ef08b59d389@fabrikam.com")),
        CheckId::TokenIssuer,
        Status::Warn,
        "the realms disagree: iss `contoso.com`, appctxsender `contoso.com`, msexchuid `fabrikam.com`",
    );
    assert_eq!(disagree.remedy, Some(Remedy::TokenIssuer));
    assert_eq!(disagree.details["msexchuid_realm"], "fabrikam.com");
    expect(
        &judge(&mint().claim("appctxsender", format!("{EXCHANGE_APP_ID}@fabrikam.com"))),
        CheckId::TokenIssuer,
        Status::Warn,
        "the realms disagree",
    );
    expect(
        &judge(&mint().claim("iss", 12)),
        CheckId::TokenIssuer,
        Status::Warn,
        "iss is a number (12), not a string",
    );
}

#[test]
fn deprecation_passes_on_premises_and_warns_for_exchange_online() {
    expect(
        &judge(&mint()),
        CheckId::TokenDeprecation,
        Status::Pass,
        "mail.contoso.com is not Exchange Online",
    );
    expect(
        &judge(&mint().amurl("https://outlook.contoso.com/autodiscover/metadata/json/1")),
        CheckId::TokenDeprecation,
        Status::Pass,
        "outlook.contoso.com is not Exchange Online",
    );
    let online = expect(
        &judge(&mint().amurl("https://outlook.office365.com:443/autodiscover/metadata/json/1")),
        CheckId::TokenDeprecation,
        Status::Warn,
        "outlook.office365.com is Exchange Online",
    );
    assert_eq!(online.remedy, Some(Remedy::ExchangeOnlineDeprecation));
    expect(
        &judge(&mint().amurl(
            "https://by2pr06mb2229.namprd06.prod.outlook.com:444/autodiscover/metadata/json/1",
        )),
        CheckId::TokenDeprecation,
        Status::Warn,
        "is Exchange Online",
    );
    expect(
        &judge(&mint().appctx_field("amurl", 1)),
        CheckId::TokenDeprecation,
        Status::Skip,
        "no usable amurl",
    );
}
