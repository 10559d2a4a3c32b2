//! `idtoken-doctor decode` as a user runs it: every format, every exit code of
//! the token stage, `--now`, `--audience`, `--redact`, `--strict`, and the
//! messy ways a token reaches the tool. Entirely offline.

mod cli_support;

use cli_support::*;
use time::Duration;

const FORMATS: [&str; 4] = ["human", "json", "markdown", "junit"];

fn decode(token: &str, extra: &[&str]) -> std::process::Output {
    run(doctor()
        .args(["decode", token, "--now", NOW_TEXT])
        .args(extra))
}

fn decode_json(token: &str, extra: &[&str]) -> (std::process::Output, serde_json::Value) {
    let output = decode(token, &[&["--format", "json"], extra].concat());
    let report = report(&output);
    (output, report)
}

#[test]
fn a_good_token_is_healthy_in_every_format() {
    let token = GOOD_TOKEN.as_str();
    for format in FORMATS {
        let output = decode(token, &["--format", format]);
        assert_code(&output, 0);
        assert_no_secret(&output, token);
        let text = stdout(&output);
        assert!(text.contains("mail.contoso.com"), "{format}: {text}");
        assert!(
            stderr(&output).is_empty(),
            "{format}: {}",
            describe(&output)
        );
        match format {
            "human" => {
                assert!(
                    text.contains("Verdict: the token holds (its network links were not checked"),
                    "{text}"
                );
                // A pipe on Windows gets ASCII symbols (PowerShell would garble others).
                let pass = if cfg!(windows) { "+" } else { "✔" };
                assert!(text.contains(&format!("\n  token     {pass} ")), "{text}");
            }
            "markdown" => {
                assert!(text.starts_with("## "), "{text}");
                assert!(
                    text.contains("| Stage | Check | Status | Summary |"),
                    "{text}"
                );
                assert!(text.contains("**Verdict:** the token holds"), "{text}");
                for id in TOKEN_CHECKS {
                    assert!(text.contains(&format!("`{id}`")), "markdown lacks {id}");
                }
            }
            "junit" => {
                let document = roxmltree::Document::parse(&text).expect("well-formed XML");
                let suites = document.root_element();
                assert_eq!(suites.tag_name().name(), "testsuites");
                let cases: Vec<_> = suites
                    .descendants()
                    .filter(|n| n.has_tag_name("testcase"))
                    .collect();
                let names: Vec<_> = cases.iter().filter_map(|c| c.attribute("name")).collect();
                assert_eq!(names, TOKEN_CHECKS);
                assert!(cases
                    .iter()
                    .all(|c| c.attribute("classname") == Some("token")));
                assert!(!text.contains("<failure"), "{text}");
                // Only token.audience is skipped (no --audience).
                assert_eq!(
                    suites
                        .descendants()
                        .filter(|n| n.has_tag_name("skipped"))
                        .count(),
                    1
                );
            }
            _ => {
                let parsed: serde_json::Value = serde_json::from_str(&text).expect("JSON");
                assert_eq!(parsed["verdict"]["status"], "healthy");
            }
        }
    }
}

#[test]
fn the_json_report_has_the_contracts_shape() {
    let token = GOOD_TOKEN.as_str();
    let (output, report) = decode_json(token, &[]);
    assert_code(&output, 0);
    assert_eq!(report["schema"], "idtoken-doctor/report/v1");
    assert_eq!(report["command"], "decode");
    assert_eq!(report["tool_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(report["evaluated_at"], NOW_TEXT);
    assert_eq!(report["target"]["host"], "mail.contoso.com");
    assert_eq!(report["target"]["port"], 443);
    let facts = &report["token"];
    assert_eq!(facts["header"]["alg"], "RS256");
    assert_eq!(facts["header"]["x5t"], AUTH.x5t.as_str());
    assert_eq!(
        facts["claims"]["aud"],
        "https://addin.contoso.com/outlook/taskpane.html"
    );
    assert_eq!(facts["appctx"]["version"], "ExIdTok.V1");
    assert_eq!(facts["appctx"]["msexchuid"], MSEXCHUID);
    assert_eq!(
        facts["unique_id"],
        format!("https://mail.contoso.com:443/autodiscover/metadata/json/1{MSEXCHUID}")
    );
    assert_eq!(check_ids(&report), TOKEN_CHECKS);
    for check in report["checks"].as_array().expect("checks") {
        assert_eq!(check["stage"], "token");
        for key in ["summary", "remedy", "details"] {
            assert!(check.get(key).is_some(), "{key} missing in {check}");
        }
    }
    assert_eq!(status(&report, "token.audience"), "skip");
    for id in TOKEN_CHECKS.iter().filter(|id| **id != "token.audience") {
        assert_eq!(status(&report, id), "pass", "{id}");
    }
    let verdict = &report["verdict"];
    assert_eq!(verdict["status"], "healthy");
    assert_eq!(verdict["exit_code"], 0);
    assert!(verdict["check"].is_null() && verdict["stage"].is_null());
}

#[test]
fn appctx_as_an_object_and_times_as_strings_decode_alike() {
    let token = sign(&mint().appctx_as_object().times_as_strings());
    let (output, report) = decode_json(&token, &[]);
    assert_code(&output, 0);
    assert_eq!(report["token"]["appctx"]["msexchuid"], MSEXCHUID);
    assert!(report["token"]["claims"]["appctx"].is_object());
    assert_eq!(status(&report, "token.version"), "pass");
    assert_eq!(status(&report, "token.lifetime"), "pass");
    assert_eq!(
        check(&report, "token.lifetime")["details"]["exp_form"],
        "string"
    );
}

#[test]
fn an_expired_token_warns_and_fails_only_under_strict() {
    let expired = sign(&mint().lifetime(NOW - Duration::days(2), NOW - Duration::days(1)));
    let (output, report) = decode_json(&expired, &[]);
    assert_code(&output, 0);
    assert_eq!(status(&report, "token.lifetime"), "warn");
    assert_eq!(report["verdict"]["status"], "healthy");
    let lifetime = check(&report, "token.lifetime");
    assert!(lifetime["summary"]
        .as_str()
        .expect("summary")
        .contains("expired"));
    assert!(lifetime["remedy"].is_string(), "a warn carries a remedy");

    let (output, report) = decode_json(&expired, &["--strict"]);
    assert_code(&output, 10);
    assert_eq!(report["verdict"]["status"], "fail");
    assert_eq!(report["verdict"]["check"], "token.lifetime");
    assert_eq!(report["verdict"]["exit_code"], 10);
    for format in FORMATS {
        assert_code(&decode(&expired, &["--strict", "--format", format]), 10);
    }
    let junit = stdout(&decode(&expired, &["--strict", "--format", "junit"]));
    assert!(
        junit.contains("<failure"),
        "a strict warn is a failure: {junit}"
    );
    let junit = stdout(&decode(&expired, &["--format", "junit"]));
    assert!(!junit.contains("<failure"), "a warn is no failure: {junit}");
}

#[test]
fn now_moves_the_lifetime_judgement() {
    let token = GOOD_TOKEN.as_str();
    let at = |now: &str| {
        let output = run(doctor().args(["decode", token, "--format", "json", "--now", now]));
        assert_code(&output, 0);
        let report = report(&output);
        let summary = check(&report, "token.lifetime")["summary"]
            .as_str()
            .expect("summary")
            .to_string();
        (status(&report, "token.lifetime"), summary, report)
    };
    let (inside, _, report) = at(NOW_TEXT);
    assert_eq!(inside, "pass");
    assert_eq!(report["evaluated_at"], NOW_TEXT);
    // Unix seconds are accepted too.
    let (inside, _, _) = at(&NOW.unix_timestamp().to_string());
    assert_eq!(inside, "pass");
    let (late, summary, report) = at("2026-06-03T12:00:00Z");
    assert_eq!(late, "warn");
    assert!(summary.contains("expired"), "{summary}");
    assert_eq!(report["evaluated_at"], "2026-06-03T12:00:00Z");
    let (early, summary, _) = at("2026-06-01T10:00:00Z");
    assert_eq!(early, "warn");
    assert!(
        summary.contains("not valid") || summary.contains("not yet"),
        "{summary}"
    );
    // Within the five minutes of skew before nbf: still fine.
    let (skewed, _, _) = at("2026-06-01T10:56:00Z");
    assert_eq!(skewed, "pass");
}

#[test]
fn an_invalid_now_is_a_usage_error() {
    for bad in ["yesterday", "2026-13-45T00:00:00Z", ""] {
        let output = run(doctor().args(["decode", GOOD_TOKEN.as_str(), "--now", bad]));
        assert_code(&output, 2);
        assert!(stderr(&output).contains("--now"), "{}", describe(&output));
        assert!(output.stdout.is_empty(), "{}", describe(&output));
    }
}

#[test]
fn input_without_a_jwt_fails_token_input() {
    for text in ["hello world", "", "Bearer ", "{\"token\": null}"] {
        let (output, report) = decode_json(text, &[]);
        assert_code(&output, 10);
        assert_eq!(status(&report, "token.input"), "fail", "{text:?}");
        assert_eq!(report["verdict"]["check"], "token.input");
        assert_eq!(report["verdict"]["exit_code"], 10);
        assert!(report["verdict"]["remedy"].is_string());
        assert_eq!(check_ids(&report), TOKEN_CHECKS, "every check is listed");
        for id in &TOKEN_CHECKS[1..] {
            assert_eq!(status(&report, id), "skip", "{id} after a missing token");
        }
    }
    for format in FORMATS {
        assert_code(&decode("hello world", &["--format", format]), 10);
    }
}

#[test]
fn damaged_base64_fails_token_encoding_and_says_where() {
    let token = GOOD_TOKEN.as_str();
    let (header, rest) = token.split_once('.').expect("dot");
    let damaged = format!("{header}.{}*{}", &rest[..10], &rest[10..]);
    let (output, report) = decode_json(&damaged, &[]);
    assert_code(&output, 10);
    assert_eq!(status(&report, "token.input"), "pass");
    assert_eq!(status(&report, "token.encoding"), "fail");
    assert_eq!(report["verdict"]["check"], "token.encoding");
    let summary = check(&report, "token.encoding")["summary"]
        .as_str()
        .expect("summary");
    assert!(summary.contains("payload"), "names the part: {summary}");
    assert!(summary.contains('*'), "names the character: {summary}");
    assert_no_secret(&output, token);
    // Base64 that is not JSON.
    let not_json = format!("eyJub3QganNvbg.{rest}");
    let (output, report) = decode_json(&not_json, &[]);
    assert_code(&output, 10);
    assert_eq!(report["verdict"]["check"], "token.encoding");
}

#[test]
fn a_missing_at_path_is_a_usage_error_naming_the_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("no-such-token.jwt");
    for format in FORMATS {
        let output = run(doctor().args([
            "decode",
            &format!("@{}", missing.display()),
            "--format",
            format,
        ]));
        assert_code(&output, 2);
        assert!(
            stderr(&output).contains(&missing.display().to_string()),
            "{}",
            describe(&output)
        );
        assert!(output.stdout.is_empty(), "{}", describe(&output));
    }
}

#[test]
fn at_path_reads_the_token_from_a_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write_file(dir.path(), "token.txt", format!("{}\r\n", *GOOD_TOKEN));
    let output = run(doctor().args([
        "decode",
        &format!("@{}", path.display()),
        "--now",
        NOW_TEXT,
        "--format",
        "json",
    ]));
    assert_code(&output, 0);
    assert_eq!(report(&output)["token"]["appctx"]["msexchuid"], MSEXCHUID);
}

#[test]
fn audience_equal_query_only_and_different() {
    let token = sign(&mint().audience("https://addin.contoso.com/outlook/taskpane.html?et=abc123"));
    let (output, report) = decode_json(
        &token,
        &[
            "--audience",
            "https://addin.contoso.com/outlook/taskpane.html?et=abc123",
        ],
    );
    assert_code(&output, 0);
    assert_eq!(status(&report, "token.audience"), "pass");

    let (output, report) = decode_json(
        &token,
        &[
            "--audience",
            "https://addin.contoso.com/outlook/taskpane.html",
        ],
    );
    assert_code(&output, 0);
    assert_eq!(status(&report, "token.audience"), "warn");
    assert!(check(&report, "token.audience")["remedy"].is_string());
    let (output, _) = decode_json(
        &token,
        &[
            "--audience",
            "https://addin.contoso.com/outlook/taskpane.html",
            "--strict",
        ],
    );
    assert_code(&output, 10);

    let (output, report) = decode_json(
        &token,
        &[
            "--audience",
            "https://other.example.com/outlook/taskpane.html",
        ],
    );
    assert_code(&output, 10);
    assert_eq!(status(&report, "token.audience"), "fail");
    assert_eq!(report["verdict"]["check"], "token.audience");
    let summary = check(&report, "token.audience")["summary"]
        .as_str()
        .expect("summary");
    assert!(summary.contains("other.example.com"), "{summary}");
}

#[test]
fn redact_hides_user_identifiers_in_every_format() {
    let plain = sign(&mint());
    let with_realm = sign(&mint().msexchuid(format!("{MSEXCHUID}@contoso.com")));
    let as_object = sign(&mint().appctx_as_object());
    for token in [&plain, &with_realm, &as_object] {
        // Without --redact the identifier is there (so the test below can fail).
        assert!(stdout(&decode(token, &[])).contains(MSEXCHUID));
        for format in FORMATS {
            let output = decode(token, &["--redact", "--format", format]);
            assert_code(&output, 0);
            let text = format!("{}{}", stdout(&output), stderr(&output));
            assert!(
                !text.contains(MSEXCHUID),
                "{format} shows msexchuid: {text}"
            );
            assert!(
                !text.contains("53e925fa"),
                "{format} shows part of it: {text}"
            );
            assert!(
                !text.contains(&format!("json/1{MSEXCHUID}")),
                "{format} shows the unique id"
            );
            assert_no_secret(&output, token);
        }
        let (_, report) = decode_json(token, &["--redact"]);
        let unique_id = report["token"]["unique_id"].as_str().unwrap_or("");
        assert!(!unique_id.contains(MSEXCHUID), "{unique_id}");
        assert_ne!(report["token"]["appctx"]["msexchuid"], MSEXCHUID);
        // Redaction does not change the judgement.
        assert_eq!(report["verdict"]["status"], "healthy");
    }
}

/// The token broken into lines of `width` characters joined by `separator`.
fn wrapped(token: &str, width: usize, separator: &str) -> String {
    token
        .as_bytes()
        .chunks(width)
        .map(|chunk| std::str::from_utf8(chunk).expect("ASCII"))
        .collect::<Vec<_>>()
        .join(separator)
}

#[test]
fn pasted_mess_on_standard_input_decodes() {
    let token = GOOD_TOKEN.as_str();
    let pastes = [
        format!("  \"{token}\"  \n"),
        format!("'{token}'"),
        format!("Bearer {token}\n"),
        format!("Authorization: Bearer {token}\r\nHost: ssi.example\r\n"),
        format!("{}\r\n", wrapped(token, 76, "\r\n")),
        format!(
            "Token:\r\n{}\r\nThanks, Kim\r\n",
            wrapped(token, 64, "\r\n")
        ),
        format!("{{\"token\":\"{token}\",\"phoneNumbers\":[]}}"),
        format!("{{\n  \"request\": {{\n    \"idToken\": \"{token}\"\n  }}\n}}\n"),
        format!(
            "2026-06-01T11:59:59Z WARN ssi.auth - validation failed for idToken={token}&mailbox=1\n"
        ),
    ];
    for paste in &pastes {
        for how in [&["decode", "-"][..], &["decode"][..]] {
            let output = run(doctor()
                .args(how)
                .args(["--now", NOW_TEXT, "--format", "json"])
                .write_stdin(paste.as_bytes()));
            assert_code(&output, 0);
            let report = report(&output);
            assert_eq!(status(&report, "token.input"), "pass", "{paste:?}");
            assert_eq!(report["token"]["appctx"]["msexchuid"], MSEXCHUID);
            assert_no_secret(&output, token);
        }
    }
}

#[test]
fn an_empty_pipe_is_no_token_not_a_hang() {
    let output = run(doctor()
        .args(["decode", "--format", "json"])
        .write_stdin(""));
    assert_code(&output, 10);
    assert_eq!(status(&report(&output), "token.input"), "fail");
}

#[test]
fn the_token_and_signature_never_appear_in_any_output() {
    let good = GOOD_TOKEN.as_str();
    let expired = sign(&mint().lifetime(NOW - Duration::days(3), NOW - Duration::days(2)));
    let bad_header = sign(&mint().header_field("alg", "HS256"));
    let tampered = sign(&mint().tamper_signature());
    for token in [good, &expired, &bad_header, &tampered] {
        for format in FORMATS {
            for extra in [&[][..], &["--strict"][..], &["--redact"][..]] {
                let output = decode(token, &[&["--format", format], extra].concat());
                assert_no_secret(&output, token);
            }
        }
    }
    // Also when the token comes from standard input and the input is damaged.
    let cut = &good[..good.len() - 20];
    let output = run(doctor()
        .args(["decode", "-", "--format", "json"])
        .write_stdin(format!("{cut}*")));
    assert!(!stdout(&output).contains(cut) && !stderr(&output).contains(cut));
}

#[test]
fn the_real_samples_decode() {
    let samples = [
        (
            "exchange-onprem-identity-token.deepnetsecurity.jwt",
            0,
            "mail.deepnetsecurity.com",
        ),
        (
            "exchange-hosted-identity-token.hqfinanz-spec.jwt",
            0,
            "outlook.onvertical.com",
        ),
        // Header and payload only: the signature was cut in the stored copy.
        (
            "exchange-online-identity-token.office-js-issue720.header-payload.txt",
            10,
            "outlook.office365.com",
        ),
    ];
    for (name, expected, host) in samples {
        let path = fixture_path(name);
        let raw = std::fs::read_to_string(&path).expect("fixture");
        let jwt = idtoken_doctor::input::find_token(&raw).expect("a token in the fixture");
        for format in FORMATS {
            let output = run(doctor().args([
                "decode",
                &format!("@{}", path.display()),
                "--format",
                format,
            ]));
            assert_code(&output, expected);
            assert!(
                stdout(&output).contains(host),
                "{name}: {}",
                describe(&output)
            );
            if jwt.parts() == 3 {
                assert_no_secret(&output, jwt.text());
            }
        }
        let output = run(doctor().args([
            "decode",
            &format!("@{}", path.display()),
            "--format",
            "json",
        ]));
        let report = report(&output);
        assert_eq!(check_ids(&report), TOKEN_CHECKS, "{name}");
        assert!(report["token"]["header"]["x5t"].is_string(), "{name}");
        assert_eq!(report["token"]["appctx"]["version"], "ExIdTok.V1", "{name}");
        // These tokens are years old: the lifetime warns.
        assert_eq!(status(&report, "token.lifetime"), "warn", "{name}");
        if expected == 10 {
            assert_eq!(report["verdict"]["check"], "token.encoding", "{name}");
            assert_eq!(status(&report, "token.deprecation"), "warn", "{name}");
        }
    }
}

#[test]
fn a_ten_megabyte_paste_with_a_token_in_it_decodes() {
    let token = GOOD_TOKEN.as_str();
    let junk = "INFO nothing to see here, just a busy log line\n".repeat(110_000);
    let paste = format!("{junk}idToken={token}\n{junk}");
    assert!(paste.len() > 10_000_000);
    let output = run(doctor()
        .args(["decode", "--now", NOW_TEXT, "--format", "json"])
        .write_stdin(paste));
    assert_code(&output, 0);
    let report = report(&output);
    assert_eq!(report["token"]["appctx"]["msexchuid"], MSEXCHUID);
}

#[test]
fn input_over_the_cap_is_refused_with_exit_2() {
    let cap = idtoken_doctor::input::MAX_INPUT_BYTES;
    let mut paste = GOOD_TOKEN.clone().into_bytes();
    paste.push(b'\n');
    paste.resize(cap + 1, b'x');
    let output = run(doctor().args(["decode", "-"]).write_stdin(paste.clone()));
    assert_code(&output, 2);
    assert!(
        stderr(&output).contains("standard input"),
        "{}",
        describe(&output)
    );
    assert!(stderr(&output).contains("MiB"), "{}", describe(&output));
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write_file(dir.path(), "huge.log", &paste);
    let output = run(doctor().args(["decode", &format!("@{}", path.display())]));
    assert_code(&output, 2);
    assert!(
        stderr(&output).contains(&path.display().to_string()),
        "{}",
        describe(&output)
    );
    // Exactly at the cap is still read.
    paste.truncate(cap);
    let output = run(doctor()
        .args(["decode", "-", "--now", NOW_TEXT])
        .write_stdin(paste));
    assert_code(&output, 0);
}

#[test]
fn human_output_shows_times_in_utc_and_relative_to_now() {
    let output = decode(&GOOD_TOKEN, &[]);
    let text = stdout(&output);
    assert!(
        text.contains("2026-06-01 11:00:00 UTC (1 h 0 min ago)"),
        "{text}"
    );
    assert!(
        text.contains("2026-06-01 19:00:00 UTC (in 7 h 0 min)"),
        "{text}"
    );
    assert!(text.contains("unique id"), "{text}");
    assert!(text.contains(MSEXCHUID), "{text}");
    let later = run(doctor().args([
        "decode",
        GOOD_TOKEN.as_str(),
        "--now",
        "2026-06-01T20:00:00Z",
    ]));
    let text = stdout(&later);
    assert!(
        text.contains("2026-06-01 19:00:00 UTC (1 h 0 min ago)"),
        "{text}"
    );
}

#[test]
fn an_exchange_online_token_warns_of_the_deprecation() {
    let token = sign(
        &mint()
            .amurl("https://outlook.office365.com:443/autodiscover/metadata/json/1")
            .with_kid(),
    );
    let (output, report) = decode_json(&token, &[]);
    assert_code(&output, 0);
    assert_eq!(status(&report, "token.deprecation"), "warn");
    assert!(report["token"]["header"]["kid"].is_string());
    assert!(check(&report, "token.deprecation")["remedy"].is_string());
    let (output, report) = decode_json(&token, &["--strict"]);
    assert_code(&output, 10);
    assert_eq!(report["verdict"]["check"], "token.deprecation");
}

#[test]
fn header_version_amurl_and_issuer_problems_are_charged_to_their_checks() {
    let cases = [
        (
            sign(&mint().header_field("alg", "HS256")),
            "token.header",
            10,
        ),
        (
            sign(&mint().without_header_field("x5t")),
            "token.header",
            10,
        ),
        (sign(&mint().version("ExIdTok.V2")), "token.version", 10),
        (
            sign(&mint().amurl("http://mail.contoso.com/autodiscover/metadata/json/1")),
            "token.amurl",
            10,
        ),
        (
            sign(&mint().without_appctx_field("amurl")),
            "token.amurl",
            10,
        ),
        // Warnings: exit 0, and 10 under --strict.
        (
            sign(&mint().amurl("https://mail.contoso.com/other/path")),
            "token.amurl",
            0,
        ),
        (
            sign(&mint().msexchuid(format!("{MSEXCHUID}@fabrikam.com"))),
            "token.issuer",
            0,
        ),
    ];
    for (token, id, expected) in cases {
        let (output, report) = decode_json(&token, &[]);
        assert_code(&output, expected);
        let wanted = if expected == 0 { "warn" } else { "fail" };
        assert_eq!(status(&report, id), wanted, "{id}: {report:#}");
        assert!(check(&report, id)["remedy"].is_string(), "{id}");
        let (output, report) = decode_json(&token, &["--strict"]);
        assert_code(&output, 10);
        assert_eq!(report["verdict"]["check"], id);
        assert_no_secret(&output, &token);
    }
}

#[test]
fn redact_hides_e_mail_addresses_too() {
    let token = sign(&mint().claim("smtp", "kim.doe@contoso.com"));
    assert!(stdout(&decode(&token, &[])).contains("kim.doe@contoso.com"));
    for format in FORMATS {
        let output = decode(&token, &["--redact", "--format", format]);
        assert_code(&output, 0);
        assert!(
            !stdout(&output).contains("kim.doe@contoso.com"),
            "{format}: {}",
            stdout(&output)
        );
    }
}

#[test]
fn bytes_that_are_not_utf8_around_a_token_do_not_matter() {
    let mut paste = b"\xff\xfe junk \x80 ".to_vec();
    paste.extend_from_slice(GOOD_TOKEN.as_bytes());
    paste.extend_from_slice(b" \xc3\x28 more");
    let output = run(doctor()
        .args(["decode", "--now", NOW_TEXT, "--format", "json"])
        .write_stdin(paste));
    assert_code(&output, 0);
    assert_eq!(report(&output)["verdict"]["status"], "healthy");
}

#[test]
fn a_utf16_file_saved_by_windows_powershell_decodes() {
    // `Get-Clipboard > token.txt` in Windows PowerShell 5.1 writes UTF-16LE with a BOM.
    let token = sign(&mint());
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(
        format!("{token}\r\n")
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("token.txt");
    std::fs::write(&path, bytes).expect("write");
    let output = run(doctor()
        .args(["decode", "--now", NOW_TEXT, "--format", "json"])
        .arg(format!("@{}", path.display())));
    assert_code(&output, 0);
    assert_eq!(status(&report(&output), "token.encoding"), "pass");
}
