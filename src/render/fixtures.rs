//! Reports built by hand for the renderer tests: a healthy chain, chains broken
//! at several links, one full of hostile text and one full of user identifiers.

use serde_json::{json, Map, Value};
use time::macros::datetime;
use time::OffsetDateTime;

use crate::remedy::Remedy;
use crate::report::{Check, CheckId, Report, Stage, TargetInfo, TokenFacts};

/// The evaluation instant of every fixture.
pub const EVALUATED_AT: OffsetDateTime = datetime!(2026-11-21 10:00:00 UTC);

/// The user id of the token fixtures (a real sample's, from a public add-in).
pub const MSEXCHUID: &str = "430a2c5c-7104-4b86-91d2-eab4e3f68120";
/// The realm of the token fixtures.
pub const REALM: &str = "deepnetsecurity.com";
/// The metadata URL of the token fixtures.
pub const AMURL: &str = "https://mail.deepnetsecurity.com:443/autodiscover/metadata/json/1";

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("fixture is not an object: {other}"),
    }
}

/// The decoded form of the public on-premises sample token, with `msexchuid` as
/// given (bare or with `@realm`) and `appctx` as the JSON string real tokens carry.
pub fn token_facts(msexchuid: &str) -> TokenFacts {
    let appctx = json!({"msexchuid": msexchuid, "version": "ExIdTok.V1", "amurl": AMURL});
    let appctx_string = appctx.to_string();
    TokenFacts {
        header: object(json!({"typ": "JWT", "alg": "RS256", "x5t": "BgD59nRiBzfnNATih8RagYy3zrg"})),
        claims: object(json!({
            "iss": format!("00000002-0000-0ff1-ce00-000000000000@{REALM}"),
            "aud": "https://helpdesk.deepnetsecurity.com/outlook/taskpane.html",
            "nbf": 1584094379,
            "exp": 1584123179,
            "appctxsender": format!("00000002-0000-0ff1-ce00-000000000000@{REALM}"),
            "isbrowserhostedapp": "True",
            "appctx": appctx_string,
        })),
        appctx: object(appctx),
        unique_id: Some(format!("{AMURL}{msexchuid}")),
        times: vec![
            ("nbf".to_string(), datetime!(2020-03-13 10:12:59 UTC)),
            ("exp".to_string(), datetime!(2020-03-13 18:12:59 UTC)),
        ],
    }
}

fn target(host: &str) -> TargetInfo {
    TargetInfo {
        amurl: format!("https://{host}/autodiscover/metadata/json/1"),
        host: host.to_string(),
        port: 443,
    }
}

/// Every check of `stages` passing with a plain summary.
fn passing(stages: &[Stage]) -> Vec<Check> {
    CheckId::ALL
        .into_iter()
        .filter(|id| stages.contains(&id.stage()))
        .map(|id| Check::pass(id, format!("{id} holds")))
        .collect()
}

/// `diagnose` of a healthy chain with an old token: a lifetime warning, the
/// audience check skipped, facts on the network checks.
pub fn healthy() -> Report {
    let mut report = Report::new("diagnose", EVALUATED_AT, false);
    report.target = Some(target("mail.deepnetsecurity.com"));
    report.token = Some(token_facts(MSEXCHUID));
    report.extend(passing(&Stage::TOKEN_CHAIN));
    report.push(Check::warn(
        CheckId::TokenLifetime,
        "the token expired 6 years 252 days ago (exp 2020-03-13 18:12:59 UTC)",
        Remedy::TokenLifetime,
    ));
    report.push(Check::skip(CheckId::TokenAudience, "no --audience given"));
    report.push(
        Check::pass(CheckId::DnsResolve, "public resolvers answer 203.0.113.10")
            .with_detail("addresses", json!(["203.0.113.10"]))
            .with_detail("resolvers", json!(["1.1.1.1", "8.8.8.8", "9.9.9.9"])),
    );
    report.push(
        Check::pass(CheckId::TlsTrust, "the chain verifies to a public root").with_detail(
            "chain",
            json!([
                {"subject": "CN=mail.deepnetsecurity.com", "issuer": "CN=R11, O=Let's Encrypt"},
                {"subject": "CN=R11, O=Let's Encrypt", "issuer": "CN=ISRG Root X1"}
            ]),
        ),
    );
    report
}

/// `probe` of a host whose server certificate is self-signed: dns and tcp pass,
/// `tls.trust` fails, everything after it is skipped.
pub fn broken_at_tls() -> Report {
    let mut report = Report::new("probe", EVALUATED_AT, false);
    report.target = Some(target("mail.contoso.com"));
    report.extend(passing(&[Stage::Dns, Stage::Tcp]));
    report.push(
        Check::pass(CheckId::DnsAddress, "203.0.113.7 is public")
            .with_detail("addresses", json!(["203.0.113.7", "2001:db8::7"])),
    );
    report.push(Check::pass(
        CheckId::TlsHandshake,
        "TLS 1.3 handshake completed",
    ));
    report.push(
        Check::fail(
            CheckId::TlsTrust,
            "the server certificate CN=mail.contoso.com is self-signed",
            Remedy::TlsSelfSigned,
        )
        .with_detail(
            "certificate",
            json!({
                "subject": "CN=mail.contoso.com",
                "issuer": "CN=mail.contoso.com",
                "not_before": "2026-01-01T00:00:00Z",
                "not_after": "2027-01-01T00:00:00Z",
            }),
        )
        .with_detail("chain_length", 1),
    );
    report.skip_stage(Stage::Tls, "tls.trust failed");
    for stage in [Stage::Http, Stage::Metadata, Stage::Ews] {
        report.skip_stage(stage, "an earlier link broke (tls.trust)");
    }
    report
}

/// `decode` of input holding no token at all.
pub fn broken_at_token() -> Report {
    let mut report = Report::new("decode", EVALUATED_AT, false);
    report.push(Check::fail(
        CheckId::TokenInput,
        "no JWT (three base64url parts starting with eyJ) in the input",
        Remedy::PasteToken,
    ));
    report.skip_stage(Stage::Token, "no token");
    report
}

/// `probe` whose metadata URL is guarded by authentication, with a warning in
/// `dns` and the full set of checks of the command's stages.
pub fn broken_at_http(strict: bool) -> Report {
    let mut report = Report::new("probe", EVALUATED_AT, strict);
    report.target = Some(target("mail.fabrikam.com"));
    report.extend(passing(&[Stage::Dns, Stage::Tcp, Stage::Tls]));
    report.push(
        Check::warn(
            CheckId::DnsSplitHorizon,
            "the system resolver answers 10.0.0.5, the public resolvers 203.0.113.20",
            Remedy::SplitHorizon,
        )
        .with_detail("system", json!(["10.0.0.5"]))
        .with_detail("public", json!(["203.0.113.20"])),
    );
    report.push(
        Check::fail(
            CheckId::HttpAccess,
            "GET https://mail.fabrikam.com/autodiscover/metadata/json/1 answered 401 Unauthorized (Negotiate, NTLM)",
            Remedy::MetadataAuthentication,
        )
        .with_detail("status_line", "HTTP/1.1 401 Unauthorized")
        .with_detail("www_authenticate", json!(["Negotiate", "NTLM"])),
    );
    for stage in [Stage::Http, Stage::Metadata, Stage::Ews] {
        report.skip_stage(stage, "an earlier link broke (http.access)");
    }
    report
}

/// Text a hostile server or token might plant: markup, a CDATA end, quotes,
/// an ANSI escape, a control character, a pipe and a line break.
pub const HOSTILE: &str =
    "<script>alert(\"x\")</script> ]]> it's a & b | c\nd \u{1b}[31mred\u{1} \u{7f}end";

/// Text that shows a reader something other than what is there: bidi
/// overrides and isolates, line separators, zero-width and invisible
/// characters, C1 controls (CSI, NEL) and DEL.
pub const SPOOFING: &str = "evil\u{202e}gpj.exe\u{202c} \u{2066}x\u{2069}\u{200e}\u{200f}\u{61c} a\u{2028}b\u{2029}c zero\u{200b}width\u{200d}\u{2060}\u{feff}soft\u{ad}hyphen \u{9b}31m\u{85}\u{7f}\u{1b}]0;title\u{7} tag\u{e0041}";

/// A `probe` report whose summaries, details and notes carry [`HOSTILE`] text.
pub fn hostile() -> Report {
    hostile_with(HOSTILE)
}

/// A `probe` report whose summaries, details and notes carry `text`.
pub fn hostile_with(text: &str) -> Report {
    let mut report = Report::new("probe", EVALUATED_AT, true);
    report.target = Some(target("mail.contoso.com"));
    report.notes.push(format!("note: {text}"));
    report.extend(passing(&[Stage::Dns, Stage::Tcp, Stage::Tls]));
    report.push(
        Check::warn(
            CheckId::TlsValidity,
            format!("warn: {text}"),
            Remedy::TlsRenewSoon,
        )
        .with_detail("hostile", text),
    );
    report.push(
        Check::fail(
            CheckId::HttpAccess,
            format!("fail: {text}"),
            Remedy::MetadataRedirect,
        )
        .with_detail("location", text)
        .with_detail(text, json!({"nested": [text, 1, null, true]})),
    );
    report.push(Check::skip(CheckId::HttpContent, format!("skip: {text}")));
    report.skip_stage(Stage::Metadata, "an earlier link broke");
    report.skip_stage(Stage::Ews, "an earlier link broke");
    report
}

/// The e-mail address planted in [`with_user_identifiers`].
pub const EMAIL: &str = "Jane.Doe+ssi@contoso-mail.example.com";

/// A `diagnose` report carrying the user's identifiers everywhere a real one
/// might: `msexchuid` with a realm in the token, the unique id, the bare GUID in
/// a summary and upper-cased in details, and an e-mail address in several places.
pub fn with_user_identifiers() -> Report {
    let mut report = healthy();
    let msexchuid_with_realm = format!("{MSEXCHUID}@{REALM}");
    let mut token = token_facts(&msexchuid_with_realm);
    token
        .claims
        .insert("smtp".to_string(), Value::String(EMAIL.to_string()));
    let unique_id = token.unique_id.clone().unwrap_or_default();
    report.token = Some(token);
    report.notes.push(format!("token pasted by {EMAIL}"));
    report.push(
        Check::warn(
            CheckId::TokenIssuer,
            format!("the realm of msexchuid {msexchuid_with_realm} differs from that of iss"),
            Remedy::TokenIssuer,
        )
        .with_detail("msexchuid", msexchuid_with_realm.as_str())
        .with_detail("upper", MSEXCHUID.to_uppercase())
        .with_detail(
            "contacts",
            json!([{"mail": EMAIL}, format!("mailto:{EMAIL}")]),
        ),
    );
    report.push(
        Check::pass(
            CheckId::KeySignature,
            format!("signature verifies for {unique_id}"),
        )
        .with_detail("unique_id", unique_id.as_str()),
    );
    report
}
