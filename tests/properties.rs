//! Property tests for issue 9: whatever a token carries (claims, dates,
//! strings of any characters) and whatever text a server plants in a report,
//! the token stage does not panic, and no renderer, redacted or not, lets a
//! control, bidi or invisible character through raw, shows the token, or
//! writes JSON or JUnit that does not parse.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use idtoken_doctor::chain::{skip_the_rest, walk_token};
use idtoken_doctor::cli::Format;
use idtoken_doctor::remedy::Remedy;
use idtoken_doctor::render::{json, redact, render_reports, RenderOptions};
use idtoken_doctor::report::{Check, CheckId, Report, Stage};
use idtoken_doctor::settings::Settings;
use idtoken_doctor::text::must_escape;
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use time::macros::datetime;

/// Characters that hostile text is made of: escape sequences, C1 controls,
/// bidi and invisible characters, markup, quotes, multi-byte whitespace.
const NASTY: &[char] = &[
    '\u{0}',
    '\u{7}',
    '\u{8}',
    '\t',
    '\n',
    '\r',
    '\u{1b}',
    '\u{7f}',
    '\u{85}',
    '\u{9b}',
    '\u{9d}',
    '\u{a0}',
    '\u{ad}',
    '\u{61c}',
    '\u{200b}',
    '\u{200d}',
    '\u{200e}',
    '\u{202a}',
    '\u{202e}',
    '\u{2028}',
    '\u{2029}',
    '\u{2066}',
    '\u{2069}',
    '\u{3000}',
    '\u{feff}',
    '\u{fffe}',
    '\u{ffff}',
    '\u{e0041}',
    '<',
    '>',
    '&',
    '"',
    '\'',
    '|',
    '`',
    '\\',
    '[',
    ']',
    '@',
    '%',
    '.',
    ']',
    '*',
    '_',
];

/// A string of ordinary and hostile characters.
fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            3 => any::<char>(),
            3 => prop::sample::select(NASTY),
            2 => prop::char::range('a', 'z'),
        ],
        0..24,
    )
    .prop_map(String::from_iter)
}

/// A date claim as tokens carry them and as they should not: numbers across
/// and beyond the whole range, fractions, and strings.
fn date() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        (-377_705_116_800_i64..=253_402_300_799_i64).prop_map(Value::from),
        prop_oneof![
            Just(253_402_300_799_i64),
            Just(253_402_300_500_i64),
            Just(-377_705_116_800_i64),
            Just(-377_705_116_600_i64),
        ]
        .prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        (-9999i32..=9999, 1u8..=12, 0i8..=23, -23i8..=23).prop_map(|(y, m, h, off)| {
            Value::String(format!(
                "{}{:04}-{m:02}-28T{h:02}:59:59{:+03}:00",
                if y < 0 { "-" } else { "" },
                y.unsigned_abs(),
                off
            ))
        }),
        any::<i64>().prop_map(|n| Value::String(n.to_string())),
        text().prop_map(Value::String),
    ]
}

/// Any JSON value a claim may hold, a few levels deep.
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(text(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// The claims of a token: the fields the checks read, with arbitrary values,
/// and arbitrary extra claims; `appctx` as an object or as a JSON string.
fn claims() -> impl Strategy<Value = Map<String, Value>> {
    (
        (text(), date(), date(), any::<bool>()),
        (value(), value(), text(), text()),
        prop::collection::btree_map(text(), value(), 0..4),
    )
        .prop_map(
            |((msexchuid, nbf, exp, as_string), (aud, version, amurl, iss), extra)| {
                let appctx = json!({
                    "msexchuid": msexchuid,
                    "version": version,
                    "amurl": format!("https://{amurl}/autodiscover/metadata/json/1"),
                });
                let mut claims: Map<String, Value> = extra.into_iter().collect();
                claims.insert("nbf".into(), nbf);
                claims.insert("exp".into(), exp);
                claims.insert("aud".into(), aud);
                claims.insert("iss".into(), Value::String(iss));
                claims.insert(
                    "appctx".into(),
                    if as_string {
                        Value::String(appctx.to_string())
                    } else {
                        appctx
                    },
                );
                claims
            },
        )
}

const SIGNATURE: &str = "c2lnbmF0dXJlLWJ5dGVzLXRoYXQtbXVzdC1uZXZlci1iZS1zaG93bg";

fn token_of(header: &Map<String, Value>, claims: &Map<String, Value>) -> String {
    format!(
        "{}.{}.{SIGNATURE}",
        URL_SAFE_NO_PAD.encode(Value::Object(header.clone()).to_string()),
        URL_SAFE_NO_PAD.encode(Value::Object(claims.clone()).to_string())
    )
}

fn settings(audience: Option<String>) -> Settings {
    Settings {
        now: datetime!(2026-06-01 12:00:00 UTC),
        strict: false,
        audience,
        net: None,
    }
}

/// Every format, as batch output too.
const FORMATS: [(Format, bool); 6] = [
    (Format::Human, false),
    (Format::Markdown, false),
    (Format::Junit, false),
    (Format::Json, false),
    (Format::Json, true),
    (Format::Human, true),
];

/// `value` with every number replaced by null: serde_json reads a float back
/// to the nearest double, not always the one written (its `float_roundtrip`
/// feature is off), and numbers are not what these properties are about.
fn without_numbers(value: Value) -> Value {
    match value {
        Value::Number(_) => Value::Null,
        Value::Array(items) => Value::Array(items.into_iter().map(without_numbers).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, without_numbers(v)))
                .collect(),
        ),
        other => other,
    }
}

/// Renders `report` in every format and checks what must hold of each output.
fn assert_renders_safely(report: &Report, raw_token: Option<&str>) -> Result<(), TestCaseError> {
    let opts = RenderOptions::default();
    for (format, batch) in FORMATS {
        let text = render_reports(std::slice::from_ref(report), format, batch, &opts);
        let raw: Vec<char> = text
            .chars()
            .filter(|c| must_escape(*c) && *c != '\n')
            .collect();
        prop_assert!(raw.is_empty(), "{:?}: raw {:?}", format, raw);
        prop_assert!(
            !text.contains(SIGNATURE),
            "{:?} shows the signature",
            format
        );
        if let Some(raw_token) = raw_token {
            prop_assert!(!text.contains(raw_token), "{:?} shows the token", format);
        }
        match format {
            Format::Json => {
                let parsed: Value = serde_json::from_str(text.trim_end())
                    .map_err(|e| TestCaseError::fail(format!("not JSON: {e}")))?;
                prop_assert_eq!(
                    without_numbers(parsed),
                    without_numbers(json(report, &opts))
                );
            }
            Format::Junit => {
                roxmltree::Document::parse(&text)
                    .map_err(|e| TestCaseError::fail(format!("not XML: {e}")))?;
            }
            _ => {}
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_token_is_judged_and_rendered_safely(
        claims in claims(),
        header_extra in prop::collection::btree_map(text(), value(), 0..3),
        audience in prop::option::of(text()),
        redacted in any::<bool>(),
    ) {
        // Extra header fields after a letter, as every JOSE header's keys are:
        // a header starting `{"1` or `{""` is not `eyJ…` and is no JWT at all.
        let mut header: Map<String, Value> =
            header_extra.into_iter().map(|(k, v)| (format!("x{k}"), v)).collect();
        header.insert("typ".into(), json!("JWT"));
        header.insert("alg".into(), json!("RS256"));
        header.insert("x5t".into(), json!("CJm8qtUsgjlUB7j0IavXO7vEaUc"));
        let raw = token_of(&header, &claims);
        let mut report = Report::new("decode", datetime!(2026-06-01 12:00:00 UTC), false);
        walk_token(&mut report, &raw, &settings(audience));
        skip_the_rest(&mut report, &[Stage::Token]);
        prop_assert!(report.token.is_some(), "the token decodes");
        if redacted {
            redact(&mut report);
            redact(&mut report);
        }
        assert_renders_safely(&report, Some(&raw))?;
    }

    #[test]
    fn any_text_a_server_plants_is_rendered_safely(
        summary in text(),
        key in text(),
        detail in value(),
        note in text(),
        host in text(),
        redacted in any::<bool>(),
    ) {
        let mut report = Report::new("probe", datetime!(2026-06-01 12:00:00 UTC), true);
        report.notes.push(note);
        report.push(Check::pass(CheckId::DnsName, format!("{host} is a name")));
        report.push(Check::warn(CheckId::TlsValidity, summary.clone(), Remedy::TlsRenewSoon)
            .with_detail(&key, detail.clone()));
        report.push(Check::fail(CheckId::HttpAccess, summary, Remedy::MetadataRedirect)
            .with_detail("location", detail));
        skip_the_rest(&mut report, &Stage::ALL);
        if redacted {
            redact(&mut report);
        }
        assert_renders_safely(&report, None)?;
    }
}
