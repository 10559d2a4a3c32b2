//! Remedy commands and the customer reply, end to end: `key.match` names the
//! token's certificate by the thumbprint Exchange lists; every command of every
//! demo scenario is quoted safely for its shell and stands unwrapped in the
//! human report; every scenario's `--format reply` is a short ASCII message
//! without a user identifier, with the line that checks the fix.

mod e2e_support;

use e2e_support::*;
use idtoken_doctor::lab::https::Behaviour;
use idtoken_doctor::lab::scenario::Scenario;
use serde_json::Value;
use sha1::{Digest, Sha1};

/// The SHA-1 of a certificate's DER as Get-ExchangeCertificate lists it.
fn exchange_thumbprint(der: &[u8]) -> String {
    Sha1::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

/// The `commands` of a check of a JSON report (none when the key is absent).
fn commands<'a>(report: &'a Value, id: &str) -> Vec<&'a Value> {
    check(report, id)["commands"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default()
}

fn runs(commands: &[&Value]) -> Vec<String> {
    commands
        .iter()
        .map(|c| c["run"].as_str().expect("run").to_string())
        .collect()
}

#[test]
fn key_match_on_a_renewed_certificate_finds_the_tokens_certificate_by_its_hex_thumbprint() {
    let lab = Lab::new();
    // The auth certificate was renewed: the metadata publishes the new one,
    // the token names the old one.
    let server = lab.exchange(
        Behaviour::json(metadata_of(&[other_auth_cert()])),
        Behaviour::unauthorized(&["Negotiate", "NTLM"]),
    );
    let jwt = token(auth_cert(), &amurl(&server));
    let mut args = strings(&["diagnose", &jwt]);
    args.extend(lab.args());
    let report = assert_json(&args, ALL_STAGES, Expect::Broken("key.match", 70));

    let old = exchange_thumbprint(&auth_cert().der);
    let new = exchange_thumbprint(&other_auth_cert().der);
    let key_match = check(&report, "key.match");
    assert_eq!(key_match["details"]["token_thumbprint"], old.as_str());
    assert_eq!(
        key_match["details"]["published"][0]["thumbprint"],
        new.as_str()
    );
    assert_eq!(
        check(&report, "token.header")["details"]["thumbprint"],
        old.as_str()
    );

    let listed = commands(&report, "key.match");
    let runs = runs(&listed);
    assert!(runs[0].starts_with("Get-AuthConfig"), "{runs:?}");
    assert!(
        runs.iter()
            .any(|r| r.starts_with(&format!("Get-ExchangeCertificate -Thumbprint {old} "))),
        "{runs:?}"
    );
    assert_eq!(listed[0]["shell"], "exchange-management-shell");
    // Read-only ones first.
    let changes: Vec<bool> = listed
        .iter()
        .map(|c| c["changes"].as_bool().expect("changes"))
        .collect();
    let mut sorted = changes.clone();
    sorted.sort();
    assert_eq!(changes, sorted);
    // A check whose remedy names no command carries no `commands` key.
    assert!(check(&report, "key.signature").get("commands").is_none());
}

/// Why `run` is not safe to paste into `shell`, if it is not: quotes that do
/// not close, a `"` inside a single-quoted PowerShell string, a line break, a
/// backtick continuing the line.
fn quoting_problem(shell: &str, run: &str) -> Option<String> {
    if run.contains('\n') || run.contains('\r') {
        return Some("a line break".into());
    }
    if run.trim_end().ends_with('`') {
        return Some("a trailing backtick".into());
    }
    #[derive(PartialEq)]
    enum State {
        Outside,
        Single,
        Double,
    }
    let mut state = State::Outside;
    let chars: Vec<char> = run.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match (shell, &state, c) {
            (_, State::Outside, '\'') => state = State::Single,
            (_, State::Outside, '"') => state = State::Double,
            ("sh", State::Outside, '\\') => i += 1,
            ("sh", State::Single, '\'') => state = State::Outside,
            ("sh", State::Double, '\\') => i += 1,
            ("sh", State::Double, '"') => state = State::Outside,
            (_, State::Single, '\'') if next == Some('\'') => i += 1,
            (_, State::Single, '\'') => state = State::Outside,
            (_, State::Single, '"') => {
                return Some(format!("a stray \" inside a single-quoted string at {i}"))
            }
            (_, State::Double, '`') => i += 1,
            (_, State::Double, '"') if next == Some('"') => i += 1,
            (_, State::Double, '"') => state = State::Outside,
            _ => {}
        }
        i += 1;
    }
    (state != State::Outside).then(|| "a quote that does not close".to_string())
}

#[test]
fn the_quoting_check_catches_what_it_must() {
    assert_eq!(
        quoting_problem("powershell", "Get-X 'a''b' \"c`\"d\""),
        None
    );
    assert!(quoting_problem("powershell", "Get-X 'a").is_some());
    assert!(quoting_problem("powershell", "Get-X 'a\"b'").is_some());
    assert!(quoting_problem("powershell", "Get-X \"a").is_some());
    assert_eq!(quoting_problem("sh", "curl 'a'\\''b'"), None);
    assert!(quoting_problem("sh", "curl 'a'b'").is_some());
}

/// Digits and hex thumbprints differ from run to run (ports, lab
/// certificates): compare commands with them masked.
fn masked(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut digits = false;
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let hex_run = chars[i..]
            .iter()
            .take_while(|c| c.is_ascii_hexdigit() && !c.is_ascii_lowercase())
            .count();
        if hex_run == 40 {
            out.push('H');
            i += 40;
            digits = false;
            continue;
        }
        let c = chars[i];
        if c.is_ascii_digit() {
            if !digits {
                out.push('0');
            }
            digits = true;
        } else {
            out.push(c);
            digits = false;
        }
        i += 1;
    }
    out
}

/// `demo NAME` in `args`' format, its standard output (COLUMNS set to `columns`).
fn demo(name: &str, args: &[&str], columns: &str) -> String {
    let output = assert_cmd::Command::new(env!("CARGO_BIN_EXE_idtoken-doctor"))
        .args(["demo", name])
        .args(args)
        .env("COLUMNS", columns)
        .env("NO_COLOR", "1")
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .expect("the binary runs");
    String::from_utf8(output.stdout).expect("UTF-8")
}

#[test]
fn every_command_of_every_demo_is_quoted_safely_and_stands_unwrapped_at_60_columns() {
    let mut seen = 0;
    for scenario in Scenario::ALL {
        let name = scenario.name();
        let json: Value =
            serde_json::from_str(&demo(name, &["--format", "json"], "60")).expect("JSON");
        let human = masked(&demo(name, &[], "60"));
        let verbose = masked(&demo(name, &["-v"], "60"));
        let verdict = json["verdict"]["check"].as_str();
        for check in json["checks"].as_array().expect("checks") {
            let id = check["id"].as_str().expect("id");
            let listed = check["commands"].as_array().cloned().unwrap_or_default();
            if check.get("commands").is_some() {
                assert!(!listed.is_empty(), "{name} {id}: an empty commands list");
            }
            for command in &listed {
                seen += 1;
                let shell = command["shell"].as_str().expect("shell");
                assert!(
                    ["powershell", "exchange-management-shell", "sh"].contains(&shell),
                    "{shell}"
                );
                let run = command["run"].as_str().expect("run");
                assert_eq!(quoting_problem(shell, run), None, "{name} {id}: {run}");
                let run = masked(run);
                let mut views = vec![("-v", &verbose)];
                if verdict == Some(id) {
                    views.push(("default", &human));
                }
                for (view, text) in views {
                    assert!(
                        text.lines().any(|l| l.contains(&run)),
                        "{name} {id} ({view}): `{run}` is not whole on one line of\n{text}"
                    );
                }
            }
        }
    }
    assert!(seen >= 10, "only {seen} commands in every demo");
}

#[test]
fn every_demo_reply_is_short_ascii_without_identifiers_and_says_how_to_check_the_fix() {
    for scenario in Scenario::ALL {
        let name = scenario.name();
        let json: Value =
            serde_json::from_str(&demo(name, &["--format", "json"], "100")).expect("JSON");
        let text = demo(name, &["--format", "reply"], "100");
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.len() <= 25, "{name}: {} lines\n{text}", lines.len());
        assert!(text.is_ascii(), "{name}:\n{text}");
        for line in &lines {
            let is_command = line.contains("  # ") || line.starts_with("idtoken-doctor ");
            let one_word = !line.trim().contains(' ');
            assert!(
                line.len() <= 72 || is_command || one_word,
                "{name}: {} columns: {line}",
                line.len()
            );
        }
        for id in ["ews.", "key.", "tls.", "http.", "token.", "dns.", "tcp."] {
            assert!(
                !text.contains(&format!("({id}")),
                "{name}: a check id\n{text}"
            );
        }
        // No identifier of the user: not the msexchuid, not the unique id, no
        // e-mail address.
        let token = &json["token"];
        let mut identifiers: Vec<String> = Vec::new();
        for place in [&token["appctx"], &token["claims"]] {
            if let Some(uid) = place["msexchuid"].as_str() {
                identifiers.push(uid.to_string());
                identifiers.extend(uid.split('@').next().map(str::to_string));
            }
        }
        identifiers.extend(token["unique_id"].as_str().map(str::to_string));
        for id in &identifiers {
            assert!(!text.contains(id.as_str()), "{name}: {id} in\n{text}");
        }
        for word in text.split_whitespace() {
            assert!(
                !word.contains('@') || word == "@token.txt",
                "{name}: {word} in\n{text}"
            );
        }
        if scenario.expected_exit_code() == 0 {
            assert!(text.contains("All links hold"), "{text}");
        } else {
            assert!(
                lines.iter().any(|l| l.starts_with("idtoken-doctor probe ")),
                "{name}: no probe line\n{text}"
            );
        }
    }
}

#[test]
fn a_batch_reply_is_one_message_per_target() {
    let lab = Lab::new();
    let healthy = lab.healthy_exchange();
    let broken = lab.exchange(
        Behaviour::unauthorized(&["Negotiate", "NTLM"]),
        Behaviour::unauthorized(&["NTLM"]),
    );
    let list = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(
        list.path(),
        format!("{}\n{}\n", amurl(&healthy), amurl(&broken)),
    )
    .expect("write");
    let mut args = strings(&["probe", "--batch", &list.path().display().to_string()]);
    args.extend(lab.args());
    args.extend(strings(&["--format", "reply"]));
    let run = doctor(&args);
    assert_eq!(run.code, 50, "{}\n{}", run.stdout, run.stderr);
    let messages: Vec<&str> = run.stdout.split("\n-----").collect();
    assert_eq!(messages.len(), 2, "{}", run.stdout);
    assert!(messages[0].contains("All links hold"));
    assert!(messages[1].contains(&format!("idtoken-doctor probe {}", amurl(&broken))));
    assert!(messages[1].contains("appcmd.exe set config"));
}
