//! Hints that fit the mistake: a probe target that is not the metadata URL, an
//! e-mail address given as a host, a token whose signature was cut off, and
//! error messages that say what was wrong in words rather than a library's.
//! Nothing here leaves 127.0.0.1.

mod cli_support;

use cli_support::*;

/// `probe TARGET` kept on this machine: the host pinned to 127.0.0.1 on port
/// 1 (nothing listens), no resolver asked.
fn probe_here(target: &str) -> serde_json::Value {
    let output = run(doctor().args([
        "probe",
        target,
        "--resolve",
        "mail.contoso.test:1:127.0.0.1",
        "--allow-private",
        "--no-system-dns",
        "--dns-server",
        "127.0.0.1:1",
        "--timeout",
        "3",
        "--format",
        "json",
    ]));
    report(&output)
}

#[test]
fn a_url_without_the_metadata_path_is_probed_with_a_hint() {
    for (given, probed) in [
        (
            "https://mail.contoso.test:1",
            "https://mail.contoso.test:1/",
        ),
        (
            "https://mail.contoso.test:1/owa/",
            "https://mail.contoso.test:1/owa/",
        ),
        // A host with a path is that URL, not …/owa/autodiscover/metadata/json/1.
        ("mail.contoso.test:1/owa", "https://mail.contoso.test:1/owa"),
    ] {
        let report = probe_here(given);
        assert_eq!(report["target"]["amurl"], probed, "{given}");
        let notes = report["notes"].to_string();
        assert!(
            notes.contains("SSI fetches the amurl the token names"),
            "{given}: {notes}"
        );
        assert!(
            notes.contains("https://mail.contoso.test:1/autodiscover/metadata/json/1"),
            "{given}: {notes}"
        );
    }
    // The metadata URL itself, or a bare host, needs no hint.
    for given in [
        "mail.contoso.test:1",
        "https://mail.contoso.test:1/autodiscover/metadata/json/1",
    ] {
        let report = probe_here(given);
        assert!(
            !report["notes"]
                .to_string()
                .contains("is not the metadata URL"),
            "{given}: {report:#}"
        );
    }
}

#[test]
fn a_partial_e_mail_address_is_not_taken_for_a_host() {
    // A whole address is a mailbox (tests/cli_mailbox.rs); this one names no domain.
    let output = run(doctor().args(["probe", "kim.doe@contoso", "--format", "json"]));
    assert_code(&output, 10);
    let report = report(&output);
    assert_eq!(status(&report, "token.input"), "fail");
    let summary = check(&report, "token.input")["summary"].to_string();
    assert!(summary.contains("not a whole one"), "{summary}");
    // Nothing was looked up: no network link ran.
    assert_eq!(status(&report, "dns.name"), "skip");
}

#[test]
fn a_signature_cut_off_in_copying_fails_token_encoding() {
    let token = GOOD_TOKEN.as_str();
    let (head, signature) = token.rsplit_once('.').expect("three parts");
    assert_eq!(signature.len(), 342, "a 2048-bit signature");
    // 40 base64url characters are 30 bytes.
    let cut = format!("{head}.{}", &signature[..40]);
    let output = run(doctor().args(["decode", &cut, "--now", NOW_TEXT, "--format", "json"]));
    assert_code(&output, 10);
    let judged = report(&output);
    assert_eq!(status(&judged, "token.encoding"), "fail");
    assert_eq!(judged["verdict"]["check"], "token.encoding");
    let encoding = check(&judged, "token.encoding");
    assert_eq!(encoding["details"]["signature_bytes"], 30);
    assert!(
        encoding["summary"]
            .to_string()
            .contains("cut off in copying"),
        "{encoding:#}"
    );
    // The whole token still passes.
    let output = run(doctor().args(["decode", token, "--now", NOW_TEXT, "--format", "json"]));
    assert_eq!(status(&report(&output), "token.encoding"), "pass");
}

#[test]
fn errors_say_what_was_wrong_in_words() {
    let dir = tempfile::tempdir().expect("tempdir");
    let token = write_file(dir.path(), "token.txt", GOOD_TOKEN.as_str());
    let token = format!("@{}", token.display());
    let missing = dir.path().join("missing.json");
    let missing = missing.to_string_lossy();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            strings(&["decode", &format!("@{missing}")]),
            "no such file or folder",
        ),
        (
            strings(&["decode", &format!("@{}", dir.path().display())]),
            "it is a folder, not a file",
        ),
        (
            strings(&["keys", &token, "--metadata", &missing]),
            "no such file or folder",
        ),
        (
            strings(&["probe", "mail.contoso.test", "--ca-file", &missing]),
            "no such file or folder",
        ),
        (
            strings(&["probe", "mail.contoso.test", "--timeout", "abc"]),
            "not a number of seconds",
        ),
        (
            strings(&["decode", &token, "--now", "2024-13-01"]),
            "neither RFC 3339 (2024-05-01T10:00:00Z) nor Unix seconds",
        ),
        (
            strings(&[
                "probe",
                "https://mail.contoso.test:99999/x",
                "--format",
                "json",
            ]),
            "the port is not a number",
        ),
    ];
    for (args, expected) in cases {
        let output = run(doctor().args(&args));
        let said = format!("{}{}", stderr(&output), stdout(&output));
        assert!(said.contains(expected), "{args:?}: {said}");
        for leak in [
            "os error",
            "invalid float literal",
            "could not be parsed",
            "invalid port number",
            "I/O error",
        ] {
            assert!(!said.contains(leak), "{args:?} leaks `{leak}`: {said}");
        }
    }
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}
