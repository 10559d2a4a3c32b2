//! `idtoken-doctor explain` as a user runs it: text as an argument, `@PATH`
//! and standard input; every format; exit 0 when something was recognised,
//! 1 when nothing was, 2 when the input cannot be read. Entirely offline.

mod cli_support;

use cli_support::*;

#[test]
fn a_ticket_text_is_explained_in_every_format() {
    let ticket = "Something went wrong. [7q6ck]";
    for format in ["human", "json", "markdown"] {
        let output = run(doctor().args(["explain", ticket, "--format", format]));
        assert_code(&output, 0);
        let text = stdout(&output);
        assert!(text.contains("7q6ck"), "{format}: {text}");
        assert!(text.contains("naa"), "{format}: {text}");
        assert!(stderr(&output).is_empty(), "{}", describe(&output));
    }
}

#[test]
fn nothing_recognised_exits_1() {
    let output = run(doctor().args(["explain", "the add-in is slow", "--format", "json"]));
    assert_code(&output, 1);
    let value: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    assert_eq!(value["schema"], "idtoken-doctor/explain/v1");
    assert_eq!(value["findings"], serde_json::json!([]));
    let human = run(doctor().args(["explain", "the add-in is slow"]));
    assert_code(&human, 1);
    assert!(
        stdout(&human).contains("Nothing recognised"),
        "{}",
        describe(&human)
    );
}

#[test]
fn the_text_comes_from_a_file_or_standard_input() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write_file(
        dir.path(),
        "ticket.txt",
        "Hi,\r\nOutlook says: Unable to load the identity token. Please restart Microsoft Outlook\r\n\
         Version 2408 (Build 17928.20392 Click-to-Run) Semi-Annual Enterprise Channel\r\n",
    );
    let output = run(doctor().args([
        "explain",
        &format!("@{}", path.display()),
        "--format",
        "json",
    ]));
    assert_code(&output, 0);
    let value: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("JSON");
    let kinds: Vec<&str> = value["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["kind"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(kinds, ["ssi-message", "outlook-build"]);

    let piped = run(doctor()
        .args(["explain", "-", "--format", "json"])
        .write_stdin("AADSTS700046: Invalid Reply Address"));
    assert_code(&piped, 0);
    assert!(
        stdout(&piped).contains("\"code\": \"AADSTS700046\""),
        "{}",
        describe(&piped)
    );

    let missing = run(doctor().args(["explain", "@/nonexistent/ticket.txt"]));
    assert_code(&missing, 2);
    assert!(
        stderr(&missing).contains("/nonexistent/ticket.txt"),
        "{}",
        describe(&missing)
    );
}

#[test]
fn a_token_in_the_ticket_is_never_printed() {
    let token = GOOD_TOKEN.as_str();
    for format in ["human", "json", "markdown"] {
        let output =
            run(doctor().args(["explain", &format!("token: {token}"), "--format", format]));
        assert_code(&output, 0);
        assert_no_secret(&output, token);
        assert!(
            stdout(&output).contains("idtoken-doctor diagnose"),
            "{format}"
        );
    }
}
