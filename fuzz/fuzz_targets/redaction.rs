//! `--redact` on arbitrary text: a token whose `msexchuid`, claims and
//! addresses are fuzzed strings (wide whitespace, escape sequences, quotes,
//! any script), and a report whose summaries and details repeat them. Redaction
//! must not panic, must be idempotent, and no searchable `msexchuid` (six
//! bytes or more) may survive in the token, the summaries or the details;
//! every format must still render.
//!
//! Input layout: text (lossy UTF-8) split on `0xff` into the msexchuid, a
//! free claim, a summary and a detail key. Missing pieces are empty.
#![no_main]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use idtoken_doctor::remedy::Remedy;
use idtoken_doctor::render::{self, RenderOptions};
use idtoken_doctor::report::{Check, CheckId, Report};
use idtoken_doctor::token::{self, TokenContext};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};
use time::OffsetDateTime;

/// Every string of `value` (keys included), pseudonyms blanked out with `mark`.
fn strings(value: &Value, mark: char, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(blank_pseudonyms(s, mark)),
        Value::Array(items) => items.iter().for_each(|v| strings(v, mark, out)),
        Value::Object(map) => {
            for (key, child) in map {
                out.push(blank_pseudonyms(key, mark));
                strings(child, mark, out);
            }
        }
        _ => {}
    }
}

/// `text` with each `[redacted…]` pseudonym replaced by `mark` (a character
/// the msexchuid does not hold, so that pseudonyms side by side cannot spell
/// it), leaving only what redaction kept.
fn blank_pseudonyms(text: &str, mark: char) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("[redacted") {
        out.push_str(&rest[..start]);
        out.push(mark);
        rest = match rest[start..].find(']') {
            Some(end) => &rest[start + end + 1..],
            None => "",
        };
    }
    out.push_str(rest);
    out
}

fuzz_target!(|input: &[u8]| {
    let text = String::from_utf8_lossy(input);
    let mut parts = text.split('\u{fffd}');
    let msexchuid = parts.next().unwrap_or_default();
    let free = parts.next().unwrap_or_default();
    let summary = parts.next().unwrap_or_default();
    let key = parts.next().unwrap_or_default();

    let appctx = json!({
        "version": "ExIdTok.V1",
        "amurl": "https://mail.contoso.test/autodiscover/metadata/json/1",
        "msexchuid": msexchuid,
    });
    let claims = json!({
        "nbf": 1_700_000_000,
        "exp": 1_700_028_800,
        "iss": "00000002-0000-0ff1-ce00-000000000000@contoso.test",
        "appctx": appctx.to_string(),
        "smtp": free,
        key: format!("{free} {msexchuid}"),
    });
    let header = json!({"typ": "JWT", "alg": "RS256", "x5t": "CJm8qtUsgjlUB7j0IavXO7vEaUc"});
    let raw = format!(
        "{}.{}.c2ln",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let now = OffsetDateTime::from_unix_timestamp(1_700_000_100).expect("a valid instant");
    let analysis = token::analyze(&raw, &TokenContext { now, audience: None });
    let mut report = Report::new("decode", now, false);
    report.token = analysis.facts();
    report.extend(analysis.checks);
    report.push(
        Check::warn(
            CheckId::TlsValidity,
            format!("{summary} {msexchuid} {free}"),
            Remedy::TlsRenewSoon,
        )
        .with_detail(key, json!([summary, msexchuid.to_uppercase(), {"msexchuid": msexchuid}])),
    );

    render::redact(&mut report);
    let options = RenderOptions::default();
    let once = render::json_line(&report, &options);
    render::redact(&mut report);
    assert_eq!(once, render::json_line(&report, &options), "redaction is idempotent");

    let user = msexchuid.split('@').next().unwrap_or_default().trim();
    if user.len() >= 6 && !user.starts_with("[redacted") && user.is_ascii() {
        let mark = ['\0', '\u{1}', '\u{2}', '\u{3}', '\u{4}', '\u{5}', '\u{6}', '\u{e000}']
            .into_iter()
            .find(|c| !user.contains(*c))
            .unwrap_or('\u{e001}');
        let mut kept = Vec::new();
        if let Some(token) = &report.token {
            strings(&Value::Object(token.claims.clone()), mark, &mut kept);
            strings(&Value::Object(token.appctx.clone()), mark, &mut kept);
            kept.extend(token.unique_id.iter().map(|u| blank_pseudonyms(u, mark)));
        }
        for check in report.checks() {
            kept.push(blank_pseudonyms(&check.summary, mark));
            strings(&Value::Object(check.details.clone()), mark, &mut kept);
        }
        let user = user.to_ascii_lowercase();
        for text in kept {
            assert!(
                !text.to_ascii_lowercase().contains(&user),
                "msexchuid survives redaction"
            );
        }
    }
    let _ = render::human(&report, &options);
    let _ = render::markdown(&report, &options);
    let _ = render::junit(std::slice::from_ref(&report), &options);
});
