//! `token.input`'s `details.looks_like` through the command line: what people
//! paste instead of a token gets named, with a remedy that fits, on `decode`,
//! `keys` and `probe` alike (none of these touches the network). Also: a token
//! quoted in an e-mail and UTF-16 without a byte order mark are read whole.

mod cli_support;

use cli_support::*;
use idtoken_doctor::remedy::Remedy;
use serde_json::Value;

fn decode_json(input: &str) -> (std::process::Output, Value) {
    let output = run(doctor()
        .args(["decode", "-", "--format", "json", "--now", NOW_TEXT])
        .write_stdin(input.to_string()));
    let report = report(&output);
    (output, report)
}

fn looks_like(report: &Value) -> String {
    check(report, "token.input")["details"]["looks_like"]
        .as_str()
        .unwrap_or("(none)")
        .to_string()
}

fn remedy(report: &Value) -> String {
    check(report, "token.input")["remedy"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn every_looks_like_value_is_produced_on_its_case() {
    let opaque = format!(
        "EwBYBMl6BAAUBKgm8k1UswUNwklmy2v7U/S+1fEAAUlyhUCUxeDZH5t+{}",
        "bato7NqyUfYa/+Zl".repeat(30)
    );
    let cases = [
        ("", "empty", Remedy::PasteToken),
        ("   \n", "empty", Remedy::PasteToken),
        (
            "https://mail.contoso.com/autodiscover/metadata/json/1",
            "url",
            Remedy::UseProbe,
        ),
        ("mail.contoso.com", "url", Remedy::UseProbe),
        ("eyJ0eXAiOiJKV1Qi", "jwt-fragment", Remedy::TokenTruncated),
        (
            r#"{"alg":"RS256","typ":"JWT","x5t":"5dLw-NqTtnCcQ6nophQ8A9YvmoA"}"#,
            "decoded-claims",
            Remedy::PasteRawToken,
        ),
        (opaque.as_str(), "opaque-token", Remedy::OpaqueToken),
        ("please find the token attached", "text", Remedy::PasteToken),
    ];
    for (input, expected, expected_remedy) in cases {
        let (output, report) = decode_json(input);
        assert_code(&output, 10);
        assert_eq!(looks_like(&report), expected, "{input:?}");
        assert_eq!(remedy(&report), expected_remedy.text(), "{input:?}");
    }
}

#[test]
fn a_url_given_to_decode_or_keys_points_to_probe_not_to_a_file() {
    for command in ["decode", "keys"] {
        let output = run(doctor().args([
            command,
            "https://mail.contoso.com/autodiscover/metadata/json/1",
            "--format",
            "json",
        ]));
        assert_code(&output, 10);
        let report = report(&output);
        let summary = check(&report, "token.input")["summary"]
            .as_str()
            .expect("a summary")
            .to_string();
        assert!(summary.contains("probe"), "{summary}");
        assert!(!summary.contains("file name"), "{summary}");
        assert_eq!(looks_like(&report), "url");
    }
}

#[test]
fn a_file_name_is_still_told_to_use_at_path() {
    let (output, report) = decode_json("token.jwt");
    assert_code(&output, 10);
    assert_eq!(looks_like(&report), "text");
    let summary = check(&report, "token.input")["summary"].to_string();
    assert!(summary.contains("@PATH"), "{summary}");
}

#[test]
fn probe_of_a_short_eyj_is_a_truncated_token_not_a_host() {
    let output = run(doctor().args(["probe", "eyJhbGciOi", "--format", "json"]));
    assert_code(&output, 10);
    let report = report(&output);
    assert_eq!(status(&report, "token.input"), "fail");
    assert_eq!(looks_like(&report), "jwt-fragment");
    assert_eq!(status(&report, "dns.name"), "skip");
}

#[test]
fn a_damaged_header_keeps_its_precise_message() {
    // The header lost a character: still found as a token, and token.encoding
    // (not token.input) says what is wrong.
    let token = GOOD_TOKEN.as_str();
    let damaged = format!("{}{}", &token[..10], &token[11..]);
    let (output, report) = decode_json(&damaged);
    assert_code(&output, 10);
    assert_eq!(status(&report, "token.input"), "pass");
    assert_eq!(status(&report, "token.encoding"), "fail");
    assert!(check(&report, "token.input")["details"]
        .get("looks_like")
        .is_none());
}

#[test]
fn a_token_quoted_in_an_email_is_unquoted() {
    let token = GOOD_TOKEN.as_str();
    let mut quoted = String::from("On Mon, Ann wrote:\n");
    for chunk in token.as_bytes().chunks(76) {
        quoted.push_str("> ");
        quoted.push_str(std::str::from_utf8(chunk).expect("ascii"));
        quoted.push('\n');
    }
    let (output, report) = decode_json(&quoted);
    assert_code(&output, 0);
    let input = check(&report, "token.input");
    assert_eq!(input["status"], "pass");
    assert_eq!(input["details"]["unquoted_email"], true);
    assert!(
        !input["summary"].to_string().contains("only part"),
        "{input}"
    );
}

#[test]
fn utf16_without_a_byte_order_mark_is_read() {
    let token = GOOD_TOKEN.as_str();
    let bytes: Vec<u8> = format!("{token}\r\n")
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let output = run(doctor()
        .args(["decode", "-", "--format", "json", "--now", NOW_TEXT])
        .write_stdin(bytes));
    assert_code(&output, 0);
    assert_eq!(status(&report(&output), "token.input"), "pass");
}
