//! Malformed input: every kind gets a token.* failure that says what is wrong and
//! where, never a panic and never a bare parser message.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use idtoken_doctor::input::read_input;
use idtoken_doctor::report::{Check, CheckId, Stage, Status};
use idtoken_doctor::token::{analyze, TokenAnalysis, TokenContext};
use time::macros::datetime;

fn b64(text: &str) -> String {
    URL_SAFE_NO_PAD.encode(text)
}

/// A stand-in for a 2048-bit RSA signature: the token stage never verifies it.
fn signature() -> String {
    URL_SAFE_NO_PAD.encode([0x5a; 256])
}

const HEADER: &str = r#"{"typ":"JWT","alg":"RS256","x5t":"CJm8qtUsgjlUB7j0IavXO7vEaUc"}"#;

fn payload_with(appctx: &str, extra: &str) -> String {
    format!(
        r#"{{"aud":"https://addin.contoso.com/a.html","iss":"00000002-0000-0ff1-ce00-000000000000@contoso.com","nbf":1714557600,"exp":1714586400,"appctxsender":"00000002-0000-0ff1-ce00-000000000000@contoso.com","isbrowserhostedapp":"True","appctx":{appctx}{extra}}}"#
    )
}

fn good_appctx() -> String {
    r#""{\"msexchuid\":\"53e925fa-76ba-45e1-be0f-4ef08b59d389\",\"version\":\"ExIdTok.V1\",\"amurl\":\"https://mail.contoso.com/autodiscover/metadata/json/1\"}""#.to_string()
}

fn token_from(header: &str, payload: &str) -> String {
    format!("{}.{}.{}", b64(header), b64(payload), signature())
}

fn judge(input: &str) -> TokenAnalysis {
    let analysis = analyze(
        input,
        &TokenContext {
            now: datetime!(2024-05-01 12:00:00 UTC),
            audience: None,
        },
    );
    let ids: Vec<CheckId> = analysis.checks.iter().map(|c| c.id).collect();
    assert_eq!(ids, CheckId::of_stage(Stage::Token), "all nine, in order");
    for c in &analysis.checks {
        assert!(!c.summary.contains('\n'), "{}: one line", c.id);
        assert!(c.summary.len() < 400, "{}: a short summary", c.id);
        if c.status == Status::Fail || c.status == Status::Warn {
            assert!(c.remedy.is_some(), "{} has a remedy", c.id);
        }
    }
    analysis
}

fn failing(analysis: &TokenAnalysis, id: CheckId, words: &str) -> Check {
    let c = analysis.check(id).expect("present").clone();
    assert_eq!(c.status, Status::Fail, "{id}: {}", c.summary);
    assert!(
        c.summary.contains(words),
        "{id}: `{}` lacks `{words}`",
        c.summary
    );
    c
}

fn assert_skipped_after(analysis: &TokenAnalysis, id: CheckId) {
    for c in analysis.checks.iter().filter(|c| c.id > id) {
        assert_eq!(c.status, Status::Skip, "{} after {id}", c.id);
    }
}

#[test]
fn the_well_formed_baseline_passes() {
    let analysis = judge(&token_from(HEADER, &payload_with(&good_appctx(), "")));
    for c in &analysis.checks {
        assert_ne!(c.status, Status::Fail, "{}: {}", c.id, c.summary);
    }
}

#[test]
fn empty_and_blank_input() {
    let empty = judge("");
    failing(&empty, CheckId::TokenInput, "the input is empty");
    assert_skipped_after(&empty, CheckId::TokenInput);
    failing(&judge(" \r\n\t "), CheckId::TokenInput, "only whitespace");
}

#[test]
fn text_without_a_token() {
    let c = failing(
        &judge("Unable to validate the client identity token"),
        CheckId::TokenInput,
        "nothing starts with eyJ",
    );
    assert_eq!(c.details["input_characters"], 44);
    failing(
        &judge(&format!("token{}", token_from(HEADER, "{}"))),
        CheckId::TokenInput,
        "`eyJ` at line 1, column 6 is glued to the text before it",
    );
}

#[test]
fn one_part() {
    let analysis = judge(&format!("header only:\n  {}\n", b64(HEADER)));
    failing(
        &analysis,
        CheckId::TokenInput,
        "starting with eyJ at line 2, column 3",
    );
    failing(&analysis, CheckId::TokenInput, "has no dots");
    assert_skipped_after(&analysis, CheckId::TokenInput);
}

#[test]
fn two_parts() {
    let payload = payload_with(&good_appctx(), "");
    let analysis = judge(&format!("{}.{}", b64(HEADER), b64(&payload)));
    assert_eq!(
        analysis.check(CheckId::TokenInput).expect("input").status,
        Status::Pass
    );
    failing(
        &analysis,
        CheckId::TokenEncoding,
        "the token has 2 parts (header.payload)",
    );
    let token = analysis.token.expect("header and payload are usable");
    assert!(token.signature().is_none());
}

#[test]
fn four_parts() {
    let analysis = judge(&format!("{}.more", token_from(HEADER, "{}")));
    let c = failing(&analysis, CheckId::TokenEncoding, "the token has 4 parts");
    assert_eq!(c.details["parts"], 4);
}

#[test]
fn invalid_base64url_names_the_part_the_character_and_its_position() {
    let header = b64(HEADER);
    let payload = b64(&payload_with(&good_appctx(), ""));
    let sig = signature();

    let bad_header = format!("{}!{}.{payload}.{sig}", &header[..10], &header[11..]);
    let c = failing(
        &judge(&bad_header),
        CheckId::TokenEncoding,
        "the header (1st part) has '!' at character 11 (character 11 of the token): not a base64url character",
    );
    assert_eq!(c.details["part"], "header");
    assert_eq!(c.details["character"], "'!'");

    let bad_payload = format!("{header}.{}+{}.{sig}", &payload[..29], &payload[30..]);
    let at = header.len() + 1 + 30;
    failing(
        &judge(&bad_payload),
        CheckId::TokenEncoding,
        &format!("the payload (2nd part) has '+' at character 30 (character {at} of the token): that is standard base64"),
    );

    let bad_sig = format!("{header}.{payload}.{}*{}", &sig[..99], &sig[100..]);
    let analysis = judge(&bad_sig);
    failing(
        &analysis,
        CheckId::TokenEncoding,
        "the signature (3rd part) has '*' at character 100",
    );
    // The content is still judged; only the signature is unusable.
    let token = analysis.token.as_ref().expect("header and payload decode");
    assert!(token.signature().is_none());
    assert_eq!(
        analysis.check(CheckId::TokenAmurl).expect("amurl").status,
        Status::Pass
    );

    let shortened = format!("{}\u{2026}{}", &header[..20], &header[21..]);
    failing(
        &judge(&format!("{shortened}.{payload}.{sig}")),
        CheckId::TokenEncoding,
        "U+2026 at character 21",
    );
}

#[test]
fn valid_base64_that_is_not_json() {
    let analysis = judge(&format!(
        "{}.{}.{}",
        b64(HEADER),
        b64("<html><body>Sign in"),
        signature()
    ));
    let c = failing(
        &analysis,
        CheckId::TokenEncoding,
        "the payload (2nd part) decodes to text that is not JSON (expected value at line 1 column 1); it starts with `<html><body>Sign in`",
    );
    assert_eq!(c.remedy, Some(idtoken_doctor::remedy::Remedy::TokenDamaged));
    assert!(analysis.token.is_none());
    assert_skipped_after(&analysis, CheckId::TokenEncoding);

    // A character changed in copying usually breaks the JSON mid-way.
    let header = b64(HEADER);
    let damaged = format!("{}_{}", &header[..4], &header[5..]);
    let analysis = judge(&format!("{damaged}.{}.{}", b64("{}"), signature()));
    failing(
        &analysis,
        CheckId::TokenEncoding,
        "the header (1st part) decodes to",
    );
}

#[test]
fn json_that_is_not_an_object() {
    let analysis = judge(&format!(
        "{}.{}.{}",
        b64(HEADER),
        b64("[1,2,3]"),
        signature()
    ));
    failing(
        &analysis,
        CheckId::TokenEncoding,
        "the payload (2nd part) decodes to JSON that is an array, not an object",
    );
    let analysis = judge(&format!(
        "{}.{}.{}",
        b64(HEADER),
        b64("\"JWT\""),
        signature()
    ));
    failing(
        &analysis,
        CheckId::TokenEncoding,
        "the payload (2nd part) decodes to JSON that is a string, not an object",
    );
    let analysis = judge(&format!("{}.{}.{}", b64(HEADER), b64("42"), signature()));
    failing(
        &analysis,
        CheckId::TokenEncoding,
        "the payload (2nd part) decodes to JSON that is a number, not an object",
    );
}

#[test]
fn appctx_neither_object_nor_json_string() {
    let number = judge(&token_from(HEADER, &payload_with("7", "")));
    let c = failing(
        &number,
        CheckId::TokenVersion,
        "appctx is a number (7), neither a JSON object nor a JSON string holding one",
    );
    assert_eq!(c.details["appctx_form"], "invalid");
    let not_json = judge(&token_from(
        HEADER,
        &payload_with(r#""msexchuid=1;amurl=x""#, ""),
    ));
    failing(&not_json, CheckId::TokenVersion, "appctx is a string that is not JSON (expected value at line 1 column 1); it starts with `msexchuid=1;amurl=x`");
    let array = judge(&token_from(
        HEADER,
        &payload_with(r#""[\"ExIdTok.V1\"]""#, ""),
    ));
    failing(
        &array,
        CheckId::TokenVersion,
        "appctx is a JSON string holding an array, not an object",
    );
    for analysis in [&number, &not_json, &array] {
        let amurl = analysis.check(CheckId::TokenAmurl).expect("amurl");
        assert_eq!(amurl.status, Status::Skip, "charged to token.version only");
    }
}

#[test]
fn numbers_where_strings_belong_and_the_reverse() {
    let amurl_number = r#"{"msexchuid":"u","version":"ExIdTok.V1","amurl":443}"#;
    failing(
        &judge(&token_from(HEADER, &payload_with(amurl_number, ""))),
        CheckId::TokenAmurl,
        "appctx.amurl is a number (443), not a URL string",
    );
    let version_number = r#"{"msexchuid":"u","version":1.0,"amurl":"https://m.contoso.com/autodiscover/metadata/json/1"}"#;
    failing(
        &judge(&token_from(HEADER, &payload_with(version_number, ""))),
        CheckId::TokenVersion,
        "appctx.version is a number (1.0), not the string ExIdTok.V1",
    );
    let exp_object = payload_with(&good_appctx(), "")
        .replace(r#""exp":1714586400"#, r#""exp":{"$date":1714586400}"#);
    failing(
        &judge(&token_from(HEADER, &exp_object)),
        CheckId::TokenLifetime,
        "exp is an object, not a number of Unix seconds",
    );
    let exp_text =
        payload_with(&good_appctx(), "").replace(r#""exp":1714586400"#, r#""exp":"tomorrow""#);
    failing(
        &judge(&token_from(HEADER, &exp_text)),
        CheckId::TokenLifetime,
        "exp is the string `tomorrow`, neither Unix seconds nor an RFC 3339 time",
    );
    let nbf_bool = payload_with(&good_appctx(), "").replace(r#""nbf":1714557600"#, r#""nbf":true"#);
    failing(
        &judge(&token_from(HEADER, &nbf_bool)),
        CheckId::TokenLifetime,
        "nbf is a boolean (true), not a number of Unix seconds",
    );
    failing(
        &judge(&token_from(
            r#"{"typ":"JWT","alg":256,"x5t":"CJm8qtUsgjlUB7j0IavXO7vEaUc"}"#,
            &payload_with(&good_appctx(), ""),
        )),
        CheckId::TokenHeader,
        "alg is a number (256), not the string RS256",
    );
}

#[test]
fn non_utf8_bytes_in_the_input() {
    let raw = token_from(HEADER, &payload_with(&good_appctx(), ""));
    let mut bytes = raw.clone().into_bytes();
    let at = b64(HEADER).len() + 1 + 40;
    bytes[at] = 0xff;
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    std::io::Write::write_all(&mut file, &bytes).expect("write");
    let text = read_input(Some(&format!("@{}", file.path().display()))).expect("read lossily");
    let analysis = judge(&text);
    let c = failing(
        &analysis,
        CheckId::TokenEncoding,
        "the payload (2nd part) has U+FFFD at character 41",
    );
    assert!(
        c.summary.contains("a byte in the input that is not UTF-8"),
        "{}",
        c.summary
    );

    // Bytes around the token are just not part of it.
    let mut framed = b"\xfe\xff log: ".to_vec();
    framed.extend_from_slice(raw.as_bytes());
    framed.extend_from_slice(b" \xc3\x28\n");
    std::io::Write::write_all(&mut file.reopen().expect("reopen"), &framed).expect("write");
    let text = read_input(Some(&format!("@{}", file.path().display()))).expect("read lossily");
    let analysis = judge(&text);
    assert_eq!(
        analysis
            .check(CheckId::TokenEncoding)
            .expect("encoding")
            .status,
        Status::Pass
    );
}

#[test]
fn decoded_bytes_that_are_not_utf8() {
    let payload = URL_SAFE_NO_PAD.encode(b"{\"aud\":\"\xe9\"}");
    failing(
        &judge(&format!("{}.{payload}.{}", b64(HEADER), signature())),
        CheckId::TokenEncoding,
        "decodes to bytes that are not UTF-8 text (byte 0xE9 at offset 8 of the decoded payload)",
    );
}

#[test]
fn a_ten_megabyte_paste() {
    let token = token_from(HEADER, &payload_with(&good_appctx(), ""));
    let junk = "INFO request handled in 3 ms; user=jdoe\n".repeat(10 * 1024 * 1024 / 40);

    let analysis = judge(&junk);
    let c = failing(
        &analysis,
        CheckId::TokenInput,
        "no JWT in the input (10485760 characters)",
    );
    assert_eq!(c.details["input_characters"], 10485760);

    let around = format!("{junk}Authorization: Bearer {token}\r\n{junk}");
    let analysis = judge(&around);
    let input = analysis.check(CheckId::TokenInput).expect("input");
    assert_eq!(input.status, Status::Pass);
    assert_eq!(input.details["line"], 262145);
    assert_eq!(
        analysis
            .check(CheckId::TokenEncoding)
            .expect("encoding")
            .status,
        Status::Pass
    );

    // Ten megabytes shaped like a token: a failure with a short, exact summary.
    let blob = format!(
        "{}.{}.{}",
        b64(HEADER),
        "A".repeat(10 * 1024 * 1024),
        signature()
    );
    let analysis = judge(&blob);
    failing(
        &analysis,
        CheckId::TokenEncoding,
        "the payload (2nd part) decodes to",
    );
}

#[test]
fn every_truncation_and_every_single_character_damage_is_judged_without_panic() {
    let token = token_from(HEADER, &payload_with(&good_appctx(), ""));
    for cut in 0..token.len() {
        let analysis = judge(&token[..cut]);
        let failed = analysis.checks.iter().any(|c| c.status == Status::Fail);
        let encoding = analysis
            .check(CheckId::TokenEncoding)
            .expect("encoding")
            .status;
        // A cut token fails somewhere, unless only signature characters that
        // still form valid base64url were lost: token.encoding then warns on a
        // length no RSA key makes, and the key stage catches the rest.
        let complete = matches!(encoding, Status::Pass | Status::Warn);
        assert!(failed || complete, "cut at {cut}");
    }
    for (i, _) in token.char_indices().step_by(7) {
        for replacement in ['!', '+', '.', '\u{FFFD}', ' ', '\n', '"'] {
            let mut damaged = token.clone();
            damaged.replace_range(i..i + 1, &replacement.to_string());
            let _ = judge(&damaged);
        }
    }
}

#[test]
fn a_file_name_without_its_at_sign_gets_a_hint() {
    failing(
        &judge("./token.jwt"),
        CheckId::TokenInput,
        "`./token.jwt` looks like a file name; to read a file, pass @PATH",
    );
}
