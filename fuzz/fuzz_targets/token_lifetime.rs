//! Lifetime judgement on arbitrary dates: `nbf`, `exp` and the evaluation
//! time (`--now`) as numbers anywhere in (and beyond) the range of Unix
//! seconds, as fractions, and as strings of any text (RFC 3339 with any offset
//! included). Judging the token, reading `--now`, and rendering the report in
//! every format must not panic, and `token.lifetime` is always there.
//!
//! Input layout: `flags`, three 8-byte little-endian integers (nbf, exp, now),
//! then text split on `0xff` into the nbf, exp and now strings. Missing pieces
//! are zero or empty.
#![no_main]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use idtoken_doctor::clock;
use idtoken_doctor::render::{self, RenderOptions};
use idtoken_doctor::report::{CheckId, Report};
use idtoken_doctor::token::{self, TokenContext};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};
use time::OffsetDateTime;

/// Splits `len` bytes off the front of `data`, or all that is left.
fn take<'a>(data: &mut &'a [u8], len: usize) -> &'a [u8] {
    let (head, tail) = data.split_at(len.min(data.len()));
    *data = tail;
    head
}

fn int(data: &mut &[u8]) -> i64 {
    let mut bytes = [0u8; 8];
    let head = take(data, 8);
    bytes[..head.len()].copy_from_slice(head);
    i64::from_le_bytes(bytes)
}

/// A date claim in the form the two flag bits pick.
fn claim(form: u8, number: i64, text: &str) -> Value {
    match form & 3 {
        0 => json!(number),
        // Near the ends of the range: the skew added or taken must not overflow.
        1 => json!(number.rem_euclid(1_000) + 253_402_300_000),
        2 => json!(f64::from_bits(number as u64)),
        _ => Value::String(text.to_string()),
    }
}

fuzz_target!(|input: &[u8]| {
    let mut data = input;
    let flags = take(&mut data, 1).first().copied().unwrap_or(0);
    let (nbf, exp, now) = (int(&mut data), int(&mut data), int(&mut data));
    let text = String::from_utf8_lossy(data);
    let mut texts = text.split('\u{fffd}');
    let (nbf_text, exp_text, now_text) = (
        texts.next().unwrap_or_default(),
        texts.next().unwrap_or_default(),
        texts.next().unwrap_or_default(),
    );

    let now = if flags & 64 == 0 {
        OffsetDateTime::from_unix_timestamp(now).ok()
    } else {
        clock::parse_instant(now_text).ok()
    };
    let now = now.unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let _ = (clock::utc(now), clock::rfc3339(now));

    let claims = json!({
        "nbf": claim(flags, nbf, nbf_text),
        "exp": claim(flags >> 2, exp, exp_text),
        "iat": claim(flags >> 4, nbf, now_text),
        "appctx": {"version": "ExIdTok.V1", "amurl": "https://mail.contoso.test/autodiscover/metadata/json/1", "msexchuid": "x"},
    });
    let header = json!({"typ": "JWT", "alg": "RS256", "x5t": "CJm8qtUsgjlUB7j0IavXO7vEaUc"});
    let raw = format!(
        "{}.{}.c2ln",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let analysis = token::analyze(&raw, &TokenContext { now, audience: None });
    let lifetime = analysis
        .check(CheckId::TokenLifetime)
        .expect("token.lifetime is always judged");
    assert!(!lifetime.summary.is_empty());

    let mut report = Report::new("decode", now, flags & 128 != 0);
    report.token = analysis.facts();
    report.extend(analysis.checks);
    let options = RenderOptions::default();
    let _ = render::human(&report, &options);
    let _ = render::markdown(&report, &options);
    let _ = render::json_line(&report, &options);
    let _ = render::junit(std::slice::from_ref(&report), &options);
});
