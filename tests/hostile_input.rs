//! Issue 9: a token or a server must never crash, stall or unmask the tool.
//! Each test runs the binary on an input that used to panic, grow without
//! bound, or print or look up a token, and checks that it now ends with a
//! clear message and leaks nothing.

mod cli_support;

use std::net::UdpSocket;
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use cli_support::{assert_code, code, describe, doctor, report, run, status, stderr, stdout};
use serde_json::{json, Value};

/// An unsigned token (the signature is a placeholder) with these claims.
fn token(claims: &Value) -> String {
    let header = json!({"typ": "JWT", "alg": "RS256", "x5t": "CJm8qtUsgjlUB7j0IavXO7vEaUc"});
    format!(
        "{}.{}.c2lnbmF0dXJlLXBsYWNlaG9sZGVyLWJ5dGVzLXRoYXQtYXJlLWxvbmc",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

/// The claims of an ordinary Exchange identity token, with `msexchuid` and dates given.
fn claims(msexchuid: &str, nbf: Value, exp: Value) -> Value {
    json!({
        "aud": "https://addin.contoso.com/taskpane.html",
        "iss": "00000002-0000-0ff1-ce00-000000000000@contoso.com",
        "nbf": nbf,
        "exp": exp,
        "appctxsender": "00000002-0000-0ff1-ce00-000000000000@contoso.com",
        "isbrowserhostedapp": "true",
        "appctx": json!({
            "msexchuid": msexchuid,
            "version": "ExIdTok.V1",
            "amurl": "https://mail.contoso.com/autodiscover/metadata/json/1"
        }).to_string()
    })
}

fn ordinary_token() -> String {
    token(&claims(
        "53e925fa-76ba-45e1-be0f-4ef08b59d389",
        json!(1_700_000_000),
        json!(1_700_028_800),
    ))
}

/// Asserts that no stream carries any part of `token`, in any case.
fn assert_no_token_text(output: &std::process::Output, token: &str) {
    let both = format!("{}{}", stdout(output), stderr(output)).to_lowercase();
    for part in token.split('.') {
        let piece = &part[..part.len().min(24)].to_lowercase();
        assert!(
            !both.contains(piece.as_str()),
            "`{piece}` shown:\n{}",
            describe(output)
        );
    }
}

/// A UDP socket standing in for a resolver, to prove that nothing asked it.
fn silent_resolver() -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("a UDP port");
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("a timeout");
    socket
}

fn assert_not_asked(socket: &UdpSocket) {
    let mut buffer = [0u8; 1500];
    assert!(
        socket.recv_from(&mut buffer).is_err(),
        "a DNS query was sent"
    );
}

#[test]
fn dates_at_the_ends_of_time_do_not_panic() {
    let msexchuid = "53e925fa-76ba-45e1-be0f-4ef08b59d389";
    for (nbf, exp) in [
        (json!(1_700_000_000), json!(253_402_300_799_i64)),
        (json!(1_700_000_000), json!("9999-12-31T23:59:59Z")),
        (json!(-377_705_116_800_i64), json!(1_800_000_000)),
        (json!("-9999-01-01T00:00:00Z"), json!(1_800_000_000)),
    ] {
        let raw = token(&claims(msexchuid, nbf.clone(), exp.clone()));
        for format in ["human", "json"] {
            let output = run(doctor().args([
                "decode",
                &raw,
                "--format",
                format,
                "--now",
                "2026-06-01T12:00:00Z",
            ]));
            let exit = code(&output);
            assert!(
                exit == 0 || exit == 10,
                "nbf {nbf} exp {exp}: {}",
                describe(&output)
            );
            // JSON lists every check; the human report names the verdict.
            let expected = if format == "json" {
                "token.lifetime"
            } else {
                "Verdict"
            };
            assert!(stdout(&output).contains(expected), "{}", describe(&output));
        }
    }
}

#[test]
fn redact_survives_wide_whitespace_and_escape_sequences_in_msexchuid() {
    let guid = "430a2c5c-ae2e-4d3c-9a0b-2b8e0f6d7f11";
    for msexchuid in [
        format!("\u{3000}{guid}@contoso.com"),
        // 37 bytes of wide whitespace: the GUID's length, 36, falls inside a character.
        format!("\u{3000}{}{guid}@contoso.com", "\u{a0}".repeat(17)),
        format!("\u{a0}{guid}"),
        format!("\u{1b}[31m{guid}\u{7}@contoso.com"),
    ] {
        let raw = token(&claims(
            &msexchuid,
            json!(1_700_000_000),
            json!(1_700_028_800),
        ));
        for format in ["human", "json", "markdown", "junit"] {
            let output = run(doctor().args(["decode", &raw, "--redact", "--format", format]));
            assert_ne!(code(&output), 101, "{}", describe(&output));
            let both = format!("{}{}", stdout(&output), stderr(&output));
            assert!(
                !both.contains("430a2c5c"),
                "{format}: {}",
                describe(&output)
            );
            assert!(!both.contains('\u{1b}'), "{format}: raw escape");
        }
    }
}

/// Unix only: `/dev/zero` is the file without end.
#[cfg(unix)]
#[test]
fn a_ca_file_without_end_is_refused() {
    let output = run(doctor().args([
        "probe",
        "mail.contoso.com",
        "--ca-file",
        "/dev/zero",
        "--no-system-dns",
        "--dns-server",
        "127.0.0.1:9",
    ]));
    assert_code(&output, 2);
    assert!(
        stderr(&output).contains("--ca-file /dev/zero: the file holds more than"),
        "{}",
        describe(&output)
    );
}

#[test]
fn absurd_timeouts_are_usage_errors() {
    for timeout in ["1e-9", "0.0001", "0"] {
        let output = run(doctor().args(["probe", "mail.contoso.com", "--timeout", timeout]));
        assert_code(&output, 2);
        assert!(
            stderr(&output).contains("from 0.001 (1 ms) to 3600"),
            "{}",
            describe(&output)
        );
    }
}

#[test]
fn a_token_in_a_flag_is_refused_without_being_shown() {
    let raw = ordinary_token();
    let resolver = silent_resolver();
    let dns = resolver.local_addr().expect("an address").to_string();
    let cases: Vec<Vec<String>> = vec![
        vec![
            "probe".into(),
            "mail.contoso.com".into(),
            "--proxy".into(),
            raw.clone(),
        ],
        vec![
            "keys".into(),
            raw.clone(),
            "--metadata".into(),
            format!("https://{raw}/"),
        ],
        vec![
            "diagnose".into(),
            raw.clone(),
            "--metadata".into(),
            format!("https://{raw}/"),
        ],
        vec![
            "decode".into(),
            "--audience".into(),
            raw.clone(),
            raw.clone(),
        ],
        vec![
            "probe".into(),
            "mail.contoso.com".into(),
            "--ews-url".into(),
            format!("https://x/{raw}"),
        ],
    ];
    for args in cases {
        let mut cmd = doctor();
        cmd.args(&args);
        if args[0] != "decode" {
            cmd.args(["--no-system-dns", "--dns-server", &dns, "--timeout", "2"]);
        }
        let output = run(&mut cmd);
        assert_code(&output, 2);
        assert!(
            stderr(&output).contains("holds a token (not shown)"),
            "{}",
            describe(&output)
        );
        assert_no_token_text(&output, &raw);
    }
    assert_not_asked(&resolver);
}

#[test]
fn a_token_glued_to_a_probe_target_is_never_resolved_nor_shown() {
    let raw = ordinary_token();
    let resolver = silent_resolver();
    let dns = resolver.local_addr().expect("an address").to_string();
    for target in [format!("x{raw}"), format!("x{raw}.contoso.com")] {
        for format in ["human", "json", "junit", "markdown"] {
            let output = run(doctor().args([
                "probe",
                &target,
                "--format",
                format,
                "--no-system-dns",
                "--dns-server",
                &dns,
                "--timeout",
                "2",
            ]));
            assert_ne!(code(&output), 101, "{}", describe(&output));
            assert_no_token_text(&output, &raw);
        }
    }
    assert_not_asked(&resolver);
}

#[test]
fn a_host_beyond_dns_limits_fails_dns_name_before_any_query() {
    let resolver = silent_resolver();
    let dns = resolver.local_addr().expect("an address").to_string();
    for host in [
        format!("{}.contoso.com", "a".repeat(64)),
        format!("{}contoso.com", "abcdefgh.".repeat(30)),
    ] {
        let output = run(doctor().args([
            "probe",
            &host,
            "--format",
            "json",
            "--no-system-dns",
            "--dns-server",
            &dns,
            "--timeout",
            "2",
        ]));
        assert_code(&output, 20);
        let report = report(&output);
        assert_eq!(status(&report, "dns.name"), "fail");
        assert_eq!(status(&report, "dns.resolve"), "skip");
    }
    assert_not_asked(&resolver);
}
