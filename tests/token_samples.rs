//! The real identity tokens in `tests/fixtures` (copied from `shared/samples`)
//! decode, and are judged as what they are: old, genuine Exchange tokens.

use idtoken_doctor::report::{CheckId, Status};
use idtoken_doctor::token::{analyze, AppctxForm, TokenAnalysis, TokenContext};
use time::macros::datetime;
use time::OffsetDateTime;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).expect("fixture readable")
}

fn at(now: OffsetDateTime) -> TokenContext {
    TokenContext {
        now,
        audience: None,
    }
}

fn status(analysis: &TokenAnalysis, id: CheckId) -> Status {
    analysis.check(id).expect("every check is present").status
}

fn assert_all_nine(analysis: &TokenAnalysis) {
    let ids: Vec<CheckId> = analysis.checks.iter().map(|c| c.id).collect();
    assert_eq!(ids, CheckId::of_stage(idtoken_doctor::report::Stage::Token));
}

/// Nothing a check says may contain the signature part or the raw token.
fn assert_no_signature_in_checks(analysis: &TokenAnalysis, raw: &str) {
    let raw = raw.trim();
    let signature = raw.rsplit('.').next().expect("a part");
    for check in &analysis.checks {
        let said = format!("{} {:?}", check.summary, check.details);
        assert!(!said.contains(raw), "{} leaks the token", check.id);
        assert!(
            !said.contains(signature),
            "{} leaks the last part",
            check.id
        );
    }
    if let Some(facts) = analysis.facts() {
        assert!(!format!("{facts:?}").contains(signature));
    }
}

#[test]
fn the_on_premises_sample_decodes_with_appctx_from_a_json_string() {
    let raw = fixture("exchange-onprem-identity-token.deepnetsecurity.jwt");
    let analysis = analyze(&raw, &at(datetime!(2020-03-13 12:00:00 UTC)));
    assert_all_nine(&analysis);
    let token = analysis.token.as_ref().expect("decodes");
    assert_eq!(token.x5t(), Some("CJm8qtUsgjlUB7j0IavXO7vEaUc"));
    assert_eq!(
        token.amurl(),
        Some("https://mail.deepnetsecurity.com:443/autodiscover/metadata/json/1")
    );
    assert_eq!(token.appctx_form(), &AppctxForm::JsonString);
    assert_eq!(token.claims()["nbf"], 1584094379);
    assert_eq!(token.signature().map(<[u8]>::len), Some(256));
    let (signed, _) = raw.trim().rsplit_once('.').expect("three parts");
    assert_eq!(token.signing_input(), signed.as_bytes());

    let facts = analysis.facts().expect("facts");
    assert_eq!(
        facts.unique_id.as_deref(),
        Some("https://mail.deepnetsecurity.com:443/autodiscover/metadata/json/1430a2c5c-7104-4b86-91d2-eab4e3f68120")
    );
    let times: Vec<(&str, i64)> = facts
        .times
        .iter()
        .map(|(name, t)| (name.as_str(), t.unix_timestamp()))
        .collect();
    assert_eq!(times, [("nbf", 1584094379), ("exp", 1584123179)]);
    assert_eq!(facts.appctx["version"], "ExIdTok.V1");

    // Judged at a time inside its lifetime, every check holds.
    for check in &analysis.checks {
        let expected = if check.id == CheckId::TokenAudience {
            Status::Skip
        } else {
            Status::Pass
        };
        assert_eq!(check.status, expected, "{}: {}", check.id, check.summary);
    }
    let issuer = analysis.check(CheckId::TokenIssuer).expect("issuer");
    assert_eq!(
        issuer.summary,
        "iss and appctxsender name the realm `deepnetsecurity.com` (msexchuid without a realm, not compared)"
    );
    assert_no_signature_in_checks(&analysis, &raw);
}

#[test]
fn the_on_premises_sample_is_expired_today() {
    let raw = fixture("exchange-onprem-identity-token.deepnetsecurity.jwt");
    let analysis = analyze(&raw, &at(datetime!(2024-05-01 10:00:00 UTC)));
    let lifetime = analysis.check(CheckId::TokenLifetime).expect("lifetime");
    assert_eq!(lifetime.status, Status::Warn);
    assert!(
        lifetime
            .summary
            .starts_with("expired 4 years 49 days ago (exp 2020-03-13 18:12:59 UTC"),
        "{}",
        lifetime.summary
    );
    assert_eq!(lifetime.details["exp_form"], "number");
}

#[test]
fn the_hosted_sample_decodes_and_is_not_exchange_online() {
    let raw = fixture("exchange-hosted-identity-token.hqfinanz-spec.jwt");
    let analysis = analyze(&raw, &at(datetime!(2018-08-14 10:00:00 UTC)));
    assert_all_nine(&analysis);
    let token = analysis.token.as_ref().expect("decodes");
    assert_eq!(token.x5t(), Some("ID6_Y31siXaJqK9oPRjUmJMC3yM"));
    assert_eq!(
        token.amurl(),
        Some("https://outlook.onvertical.com:443/autodiscover/metadata/json/1")
    );
    assert_eq!(token.claims()["isbrowserhostedapp"], "True");
    assert_eq!(status(&analysis, CheckId::TokenEncoding), Status::Pass);
    assert_eq!(status(&analysis, CheckId::TokenLifetime), Status::Pass);
    // outlook.onvertical.com is a hoster's name, not Microsoft's.
    assert_eq!(status(&analysis, CheckId::TokenDeprecation), Status::Pass);
    assert_eq!(status(&analysis, CheckId::TokenIssuer), Status::Pass);
    assert_no_signature_in_checks(&analysis, &raw);
}

#[test]
fn the_exchange_online_header_and_payload_decode_and_the_cut_is_named() {
    let raw = fixture("exchange-online-identity-token.office-js-issue720.header-payload.txt");
    let analysis = analyze(&raw, &at(datetime!(2019-09-10 14:00:00 UTC)));
    assert_all_nine(&analysis);

    let input = analysis.check(CheckId::TokenInput).expect("input");
    assert_eq!(input.status, Status::Pass);
    assert_eq!(input.details["line"], 3, "the comment lines are skipped");
    let encoding = analysis.check(CheckId::TokenEncoding).expect("encoding");
    assert_eq!(encoding.status, Status::Fail);
    assert!(encoding.summary.contains("2 parts"), "{}", encoding.summary);
    assert!(encoding.summary.contains("signature part is missing"));

    let token = analysis.token.as_ref().expect("header and payload decode");
    assert_eq!(token.signature(), None);
    assert_eq!(token.x5t(), Some("BgD59nRiBzfnNATih8RagYy3zrg"));
    assert_eq!(
        token.header()["kid"],
        "0600F9F674620737E73404E287C45A818CB7CEB8"
    );
    assert_eq!(
        token.amurl(),
        Some("https://outlook.office365.com:443/autodiscover/metadata/json/1")
    );
    assert_eq!(
        token.msexchuid(),
        Some("b86a0723-f3ee-4804-853a-6e6e4dbb1590")
    );

    let header = analysis.check(CheckId::TokenHeader).expect("header");
    assert_eq!(header.status, Status::Pass);
    assert_eq!(header.details["kid_matches_x5t"], true);
    assert_eq!(status(&analysis, CheckId::TokenVersion), Status::Pass);
    assert_eq!(status(&analysis, CheckId::TokenAmurl), Status::Pass);
    assert_eq!(status(&analysis, CheckId::TokenLifetime), Status::Pass);
    assert_eq!(status(&analysis, CheckId::TokenIssuer), Status::Pass);
    let deprecation = analysis
        .check(CheckId::TokenDeprecation)
        .expect("deprecation");
    assert_eq!(deprecation.status, Status::Warn);
    assert!(deprecation.summary.contains("outlook.office365.com"));
    assert!(deprecation.summary.contains("February 2025"));
    assert!(deprecation.summary.contains("since 31 October 2025"));
    assert!(deprecation.summary.contains("nested app authentication"));
}
