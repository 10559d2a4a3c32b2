//! Real tokens pasted the messy ways support tickets carry them are found intact.

use idtoken_doctor::input::{extract_jwt, find_token};
use idtoken_doctor::report::{CheckId, Status};
use idtoken_doctor::token::{analyze, TokenContext};
use time::macros::datetime;

fn sample() -> String {
    let path = format!(
        "{}/tests/fixtures/exchange-onprem-identity-token.deepnetsecurity.jwt",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path)
        .expect("fixture readable")
        .trim()
        .to_string()
}

/// The token broken into lines of `width` characters, joined by `separator`.
fn wrapped(token: &str, width: usize, separator: &str) -> String {
    token
        .as_bytes()
        .chunks(width)
        .map(|line| std::str::from_utf8(line).expect("ASCII"))
        .collect::<Vec<_>>()
        .join(separator)
}

#[test]
fn a_token_wrapped_at_any_width_is_joined() {
    let token = sample();
    for width in 8..=200 {
        for separator in ["\n", "\r\n", " \r\n  ", "\t\n"] {
            let pasted = format!(
                "Token:\r\n{}\r\nThanks, Kim",
                wrapped(&token, width, separator)
            );
            assert_eq!(
                extract_jwt(&pasted).as_deref(),
                Some(token.as_str()),
                "width {width}, separator {separator:?}"
            );
        }
    }
}

#[test]
fn messy_pastes_of_a_real_token_are_found() {
    let token = sample();
    let pastes = [
        format!("\n\n   {token}   \n"),
        format!("\"{token}\""),
        format!("Bearer {token}"),
        format!("Authorization: Bearer {token}\r\nHost: ssi.example\r\n"),
        format!("{{\"token\":\"{token}\",\"phoneNumbers\":[]}}"),
        format!("{{\n  \"request\": {{\n    \"token\": \"{token}\"\n  }}\n}}"),
        format!(
            "2024-05-01T10:00:00Z WARN  ssi.auth - validation failed for idToken={token}&mailbox=1"
        ),
        format!("https://addin.contoso.com/callback#id_token={token}&state=x"),
        format!("> {token}"),
    ];
    for pasted in pastes {
        assert_eq!(
            extract_jwt(&pasted).as_deref(),
            Some(token.as_str()),
            "{pasted:?}"
        );
    }
}

#[test]
fn a_wrapped_paste_is_reported_as_joined_and_judged() {
    let token = sample();
    let pasted = format!(
        "Hi,\r\nhere is the token:\r\n\r\n{}\r\n",
        wrapped(&token, 76, "\r\n")
    );
    let found = find_token(&pasted).expect("found");
    assert_eq!(found.line(), 4);
    assert_eq!(found.joined_line_breaks(), token.len().div_ceil(76) - 1);
    let analysis = analyze(
        &pasted,
        &TokenContext {
            now: datetime!(2020-03-13 12:00:00 UTC),
            audience: None,
        },
    );
    let input = analysis.check(CheckId::TokenInput).expect("input");
    assert_eq!(input.status, Status::Pass);
    assert!(
        input.summary.ends_with("13 line breaks inside it joined"),
        "{}",
        input.summary
    );
    assert!(analysis
        .checks
        .iter()
        .all(|c| c.status == Status::Pass || c.id == CheckId::TokenAudience));
}

#[test]
fn ten_megabytes_of_junk_around_a_real_token() {
    let token = sample();
    let junk: String = (0..10 * 1024 * 1024 / 64)
        .map(|i| format!("{i:>10} some log text without tokens, eyJ-less, = . \" \n"))
        .collect();
    let pasted = format!("{junk}{token}\n{junk}");
    assert_eq!(extract_jwt(&pasted), Some(token));
}
