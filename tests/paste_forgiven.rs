//! The contract's "Pasted input, forgiven": invisible characters in a pasted
//! token, several JWTs in one paste, a token that lost its header, a file
//! path given to `probe`, an e-mail address given to `decode`. Offline.

mod cli_support;

use base64::Engine;
use cli_support::*;
use idtoken_doctor::report::CheckId;
use idtoken_doctor::token::{analyze, TokenAnalysis, TokenContext};

fn judge(input: &str) -> TokenAnalysis {
    analyze(
        input,
        &TokenContext {
            now: NOW,
            audience: None,
        },
    )
}

fn statuses(analysis: &TokenAnalysis) -> Vec<String> {
    analysis
        .checks
        .iter()
        .map(|c| format!("{} {:?}", c.id, c.status))
        .collect()
}

fn detail<'a>(analysis: &'a TokenAnalysis, id: CheckId, name: &str) -> &'a serde_json::Value {
    &analysis.check(id).expect("the check").details[name]
}

/// An unsigned JWT with these claims (its signature is 256 bytes of `A`).
fn jwt(header: &str, claims: &str) -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.{}",
        b64.encode(header),
        b64.encode(claims),
        "A".repeat(342)
    )
}

fn entra_token() -> String {
    jwt(
        r#"{"typ":"JWT","alg":"RS256","kid":"k1"}"#,
        r#"{"aud":"api://ssi","iss":"https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0","tid":"72f988bf-86f1-41af-91ab-2d7cd011db47","ver":"2.0","scp":"access_as_user"}"#,
    )
}

#[test]
fn invisible_characters_in_a_pasted_token_are_removed_and_counted() {
    let token = GOOD_TOKEN.as_str();
    let clean = judge(token);
    assert!(clean.notes.is_empty(), "{:?}", clean.notes);
    let mut pasted = String::new();
    let invisibles = [
        '\u{200B}', '\u{200C}', '\u{200D}', '\u{2060}', '\u{FEFF}', '\u{00AD}', '\u{00A0}',
    ];
    for (i, c) in token.chars().enumerate() {
        pasted.push(c);
        if i % 100 == 50 {
            pasted.push(invisibles[(i / 100) % invisibles.len()]);
        }
    }
    let inserted = token.len().saturating_sub(51).div_ceil(100);
    let judged = judge(&format!("Bearer\u{00A0}{pasted}\u{200B}\r\n"));
    assert_eq!(statuses(&judged), statuses(&clean));
    assert_eq!(
        judged.token.as_ref().and_then(|t| t.amurl()),
        clean.token.as_ref().and_then(|t| t.amurl())
    );
    assert_eq!(judged.notes.len(), 1, "{:?}", judged.notes);
    assert!(
        judged.notes[0].starts_with(&format!("{inserted} invisible characters were removed")),
        "{:?}",
        judged.notes
    );
    // A no-break space before the token separates it; it is not counted.
    let spaced = judge(&format!("Authorization: Bearer\u{00A0}{token}"));
    assert_eq!(statuses(&spaced), statuses(&clean));
    assert!(spaced.notes.is_empty(), "{:?}", spaced.notes);
}

#[test]
fn the_note_reaches_the_report() {
    let token = GOOD_TOKEN.as_str();
    let pasted = format!("{}\u{00AD}{}", &token[..40], &token[40..]);
    let output = run(doctor().args(["decode", &pasted, "--now", NOW_TEXT, "--format", "json"]));
    assert_code(&output, 0);
    let value = report(&output);
    let notes = value["notes"].as_array().expect("notes");
    assert!(
        notes.iter().any(|n| n
            .as_str()
            .is_some_and(|n| n.starts_with("1 invisible character was removed"))),
        "{notes:?}"
    );
}

#[test]
fn the_identity_token_is_judged_among_several_wherever_it_stands() {
    let identity = GOOD_TOKEN.as_str();
    let entra = entra_token();
    let curl = format!(
        "curl 'https://ssi.example/api/auth' -H 'Authorization: Bearer {entra}' \\\n  --data-raw '{{\"idToken\":\"{identity}\"}}'"
    );
    let judged = judge(&curl);
    assert_eq!(
        detail(&judged, CheckId::TokenKind, "kind"),
        "exchange-identity"
    );
    assert_eq!(detail(&judged, CheckId::TokenInput, "line"), 2);
    assert_eq!(judged.notes.len(), 1, "{:?}", judged.notes);
    let note = &judged.notes[0];
    assert!(
        note.starts_with(
            "the input holds 2 JWTs: the one judged is the exchange-identity at line 2"
        ),
        "{note}"
    );
    assert!(note.contains("the others: entra at line 1"), "{note}");

    // Without an identity token the first is judged, and the note says so.
    let callback = jwt(
        r#"{"typ":"JWT","alg":"RS256","x5t":"abc"}"#,
        r#"{"ver":"Exchange.Callback.V1","aud":"00000002-0000-0ff1-ce00-000000000000/mail.contoso.com@contoso.com"}"#,
    );
    let judged = judge(&format!("{entra} {callback}"));
    assert_eq!(detail(&judged, CheckId::TokenKind, "kind"), "entra");
    assert!(
        judged.notes[0].contains("the others: exchange-callback at line 1"),
        "{:?}",
        judged.notes
    );

    // One token: no note.
    assert!(judge(identity).notes.is_empty());
}

#[test]
fn a_token_that_lost_its_header_is_a_fragment_with_its_claims() {
    let token = GOOD_TOKEN.as_str();
    let headless = token.split_once('.').expect("dots").1;
    let judged = judge(headless);
    let input = judged.check(CheckId::TokenInput).expect("token.input");
    assert_eq!(format!("{:?}", input.status), "Fail");
    assert_eq!(input.details["looks_like"], "jwt-fragment");
    assert!(
        input.summary.contains("the first is a payload"),
        "{}",
        input.summary
    );
    let claims = judged.token.as_ref().expect("its claims");
    assert_eq!(
        claims.amurl(),
        Some("https://mail.contoso.com:443/autodiscover/metadata/json/1")
    );
    assert!(claims.header().is_empty());

    let output = run(doctor().args(["decode", headless, "--now", NOW_TEXT, "--format", "json"]));
    assert_code(&output, 10);
    assert_no_secret(&output, token);
    let value = report(&output);
    assert!(value["token"]["claims"]["exp"].is_number(), "{value}");
    assert_eq!(value["target"]["host"], "mail.contoso.com");
    assert_eq!(
        check(&value, "token.input")["details"]["looks_like"],
        "jwt-fragment"
    );
}

#[test]
fn probe_refuses_a_file_path_and_points_to_at_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    let saved = write_file(dir.path(), "token.txt", GOOD_TOKEN.as_str());
    let saved = saved.display().to_string();
    for target in [
        r"C:\Users\kim\token.txt",
        "./token.txt",
        r".\token.txt",
        saved.as_str(),
    ] {
        let output = run(doctor().args(["probe", target, "--timeout", "1"]));
        assert_code(&output, 2);
        let said = stderr(&output);
        assert!(said.contains("is a file path"), "{target}: {said}");
        assert!(said.contains(&format!("@{target}")), "{target}: {said}");
        assert!(stdout(&output).is_empty(), "{target}");
    }
}

#[test]
fn decode_points_an_address_to_probe() {
    let output = run(doctor().args(["decode", "alice@contoso.com", "--format", "json"]));
    assert_code(&output, 10);
    let value = report(&output);
    let summary = check(&value, "token.input")["summary"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(summary.contains("is an e-mail address"), "{summary}");
    assert!(
        summary.contains("idtoken-doctor probe alice@contoso.com"),
        "{summary}"
    );
    assert!(!summary.contains("file name"), "{summary}");
}
