//! The "Friendly CLI" of issue 5: help with examples, the version with its
//! commit, completions identical to the committed files, usage errors that
//! say what to do, environment defaults for CI, colour only where it belongs,
//! no panic on a closed pipe, and the demo's list of scenarios. Nothing here
//! opens a network connection.

mod cli_support;

use std::process::{Output, Stdio};

use cli_support::spawn_support::retrying_wine_start;
use cli_support::*;

const SUBCOMMANDS: [&str; 7] = [
    "decode",
    "probe",
    "keys",
    "diagnose",
    "ssi-ips",
    "demo",
    "completions",
];

const SCENARIOS: [&str; 18] = [
    "healthy",
    "callback-token",
    "internal-host",
    "firewall-drop",
    "self-signed",
    "incomplete-chain",
    "tls-1.0",
    "auth-401",
    "login-redirect",
    "preauth-proxy",
    "x5t-mismatch",
    "expired-auth-cert",
    "bad-signature",
    "naa-healthy",
    "naa-graph-token",
    "naa-key-rolled",
    "mailbox-on-premises",
    "mailbox-exchange-online",
];

/// Text in which no token can be found: commands stop at `token.input`
/// (exit 10) before any network link, whatever their flags.
const NO_TOKEN: &str = "there is no token in this text";

#[test]
fn help_of_every_subcommand_has_examples() {
    for sub in SUBCOMMANDS {
        for args in [vec![sub, "--help"], vec!["help", sub]] {
            let output = run(doctor().args(&args));
            assert_code(&output, 0);
            let text = stdout(&output);
            assert!(text.contains("Examples"), "{args:?}: {text}");
            assert!(
                text.contains(&format!("idtoken-doctor {sub}")),
                "{args:?} shows a runnable example: {text}"
            );
        }
    }
    let output = run(doctor().arg("--help"));
    assert_code(&output, 0);
    let text = stdout(&output);
    for sub in SUBCOMMANDS {
        assert!(text.contains(sub), "top-level help lists {sub}: {text}");
    }
}

#[test]
fn version_names_the_version_and_the_commit() {
    let output = run(doctor().arg("--version"));
    assert_code(&output, 0);
    let text = stdout(&output);
    let prefix = format!("idtoken-doctor {} (commit ", env!("CARGO_PKG_VERSION"));
    let commit = text
        .trim_end()
        .strip_prefix(&prefix)
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("`{text}` is not `{prefix}COMMIT)`"));
    assert!(
        commit == "unknown" || (commit.len() >= 7 && commit.chars().all(|c| c.is_ascii_hexdigit())),
        "commit `{commit}`"
    );
    // Built from a git checkout, it is that checkout's commit.
    let git = std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output();
    if let Some(git) = git.ok().filter(|g| g.status.success()) {
        let head = String::from_utf8_lossy(&git.stdout).trim().to_string();
        assert_eq!(commit, head, "--version names the commit built");
    }
    // Subcommands answer --version the same way.
    let sub = stdout(&run(doctor().args(["decode", "--version"])));
    assert!(sub.contains(&format!("(commit {commit})")), "{sub}");
}

#[test]
fn completions_print_the_committed_files() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("completions");
    for (shell, file) in [
        ("bash", "idtoken-doctor.bash"),
        ("zsh", "_idtoken-doctor"),
        ("fish", "idtoken-doctor.fish"),
        ("powershell", "_idtoken-doctor.ps1"),
        ("elvish", "idtoken-doctor.elv"),
    ] {
        let output = run(doctor().args(["completions", shell]));
        assert_code(&output, 0);
        let committed = std::fs::read(dir.join(file)).expect("a committed completion file");
        assert!(!committed.is_empty(), "{file}");
        assert!(
            output.stdout == committed,
            "`completions {shell}` differs from completions/{file}"
        );
        let text = stdout(&output);
        for sub in SUBCOMMANDS {
            assert!(text.contains(sub), "{shell} completes {sub}");
        }
    }
}

fn assert_usage_error(output: &Output, mentions: &[&str]) {
    assert_code(output, 2);
    assert!(output.stdout.is_empty(), "{}", describe(output));
    let message = stderr(output);
    for needle in mentions {
        assert!(message.contains(needle), "`{needle}` missing: {message}");
    }
}

#[test]
fn usage_errors_exit_2_with_a_hint() {
    // An unknown flag: clap names it and points at --help.
    let output = run(doctor().args(["decode", "--bogus", "x"]));
    assert_usage_error(&output, &["--bogus", "--help"]);
    // A misspelt flag gets a suggestion.
    let output = run(doctor().args(["decode", "x", "--foramt", "json"]));
    assert_usage_error(&output, &["--foramt", "--format"]);
    // A bad --format value lists the good ones.
    for sub in ["decode", "keys", "probe", "diagnose"] {
        let output = run(doctor().args([sub, NO_TOKEN, "--format", "yaml"]));
        assert_usage_error(&output, &["yaml", "human", "json", "markdown", "junit"]);
    }
    let output = run(doctor().args(["ssi-ips", "--format", "csv"]));
    assert_usage_error(&output, &["csv", "plain"]);
    let output = run(doctor().args(["decode", NO_TOKEN, "--color", "sometimes"]));
    assert_usage_error(&output, &["sometimes", "always", "never"]);
    // An unknown subcommand, a missing argument, an unknown shell or scenario.
    let output = run(doctor().arg("diagnoze"));
    assert_usage_error(&output, &["diagnoze", "diagnose"]);
    let output = run(doctor().arg("probe"));
    assert_usage_error(&output, &["TARGET", "--help"]);
    let output = run(doctor().args(["completions", "tcsh"]));
    assert_usage_error(&output, &["tcsh", "bash", "powershell"]);
    let output = run(doctor().args(["demo", "no-such-scenario"]));
    assert_usage_error(&output, &["no-such-scenario", "healthy", "bad-signature"]);
    // Our own checks of values say what was expected.
    let output = run(doctor().args(["decode", NO_TOKEN, "--now", "yesterday"]));
    assert_usage_error(&output, &["--now", "yesterday", "RFC 3339"]);
    let output = run(doctor().args(["decode", "@"]));
    assert_usage_error(&output, &["@PATH"]);
    let output = run(doctor().args(["probe", NO_TOKEN, "--resolve", "nonsense"]));
    assert_usage_error(&output, &["--resolve", "HOST:PORT:ADDR"]);
    let output = run(doctor().args(["diagnose", NO_TOKEN, "--jobs", "0"]));
    assert_usage_error(&output, &["--jobs"]);
}

#[test]
fn idtoken_doctor_timeout_is_honoured() {
    // A valid value is the default clap shows, and the flag wins over it.
    let output = run(doctor()
        .args(["probe", "--help"])
        .env("IDTOKEN_DOCTOR_TIMEOUT", "7"));
    assert!(
        stdout(&output).contains("IDTOKEN_DOCTOR_TIMEOUT=7"),
        "{}",
        describe(&output)
    );
    for sub in ["probe", "keys", "diagnose"] {
        for bad in ["0", "-3", "100000"] {
            let output = run(doctor()
                .args([sub, NO_TOKEN])
                .env("IDTOKEN_DOCTOR_TIMEOUT", bad));
            assert_usage_error(&output, &["--timeout", "IDTOKEN_DOCTOR_TIMEOUT"]);
        }
        let output = run(doctor()
            .args([sub, NO_TOKEN])
            .env("IDTOKEN_DOCTOR_TIMEOUT", "soon"));
        assert_usage_error(&output, &["--timeout", "soon"]);
        // The flag overrides the environment: no usage error, the input has no token.
        let output = run(doctor()
            .args([sub, NO_TOKEN, "--timeout", "5"])
            .env("IDTOKEN_DOCTOR_TIMEOUT", "0"));
        assert_code(&output, 10);
        // Without the variable the same command line is fine.
        let output = run(doctor().args([sub, NO_TOKEN]));
        assert_code(&output, 10);
    }
}

#[test]
fn idtoken_doctor_dns_server_is_honoured() {
    let output = run(doctor()
        .args(["diagnose", "--help"])
        .env("IDTOKEN_DOCTOR_DNS_SERVER", "127.0.0.1:5353,::1"));
    assert!(
        stdout(&output).contains("IDTOKEN_DOCTOR_DNS_SERVER=127.0.0.1:5353,::1"),
        "{}",
        describe(&output)
    );
    for sub in ["probe", "keys", "diagnose"] {
        for bad in ["resolver.example", "127.0.0.1,bogus", "1.1.1.1:port"] {
            let output = run(doctor()
                .args([sub, NO_TOKEN])
                .env("IDTOKEN_DOCTOR_DNS_SERVER", bad));
            assert_usage_error(&output, &["--dns-server", "IDTOKEN_DOCTOR_DNS_SERVER"]);
        }
        // A comma-separated list of good addresses is accepted.
        let output = run(doctor()
            .args([sub, NO_TOKEN])
            .env("IDTOKEN_DOCTOR_DNS_SERVER", "127.0.0.1:5353, [::1]:53"));
        assert_code(&output, 10);
        // The flag overrides the environment.
        let output = run(doctor()
            .args([sub, NO_TOKEN, "--dns-server", "127.0.0.1"])
            .env("IDTOKEN_DOCTOR_DNS_SERVER", "bogus"));
        assert_code(&output, 10);
    }
}

#[test]
fn color_always_never_pipes_and_no_color() {
    let token = GOOD_TOKEN.as_str();
    let decode = |extra: &[&str]| {
        run(doctor()
            .args(["decode", token, "--now", NOW_TEXT])
            .args(extra))
    };
    let always = decode(&["--color", "always"]);
    assert_code(&always, 0);
    assert!(has_ansi(&stdout(&always)), "--color always colours a pipe");
    for output in [
        decode(&["--color", "never"]),
        decode(&[]),
        decode(&["--color", "auto"]),
    ] {
        assert!(!has_ansi(&stdout(&output)), "{}", stdout(&output));
    }
    let no_color = run(doctor()
        .args(["decode", token, "--now", NOW_TEXT, "--color", "auto"])
        .env("NO_COLOR", "1"));
    assert!(!has_ansi(&stdout(&no_color)));
    // Machine formats are never coloured, whatever --color says.
    for format in ["json", "markdown", "junit"] {
        let output = decode(&["--color", "always", "--format", format]);
        assert!(!has_ansi(&stdout(&output)), "{format}: {}", stdout(&output));
    }
    let json = decode(&["--color", "always", "--format", "json"]);
    report(&json);
    // ssi-ips follows the same rules.
    let ips = |extra: &[&str]| stdout(&run(doctor().arg("ssi-ips").args(extra)));
    assert!(has_ansi(&ips(&["--color", "always"])));
    assert!(!has_ansi(&ips(&["--color", "never"])));
    assert!(!has_ansi(&ips(&[])));
    assert!(!has_ansi(&ips(&["--color", "always", "--format", "plain"])));
}

/// Runs the binary on a pseudo-terminal (util-linux `script`) and returns what it printed.
#[cfg(target_os = "linux")]
fn on_a_terminal(args: &[&str], env: &[(&str, &str)]) -> String {
    let binary = assert_cmd::cargo::cargo_bin("idtoken-doctor");
    let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
    let command_line = std::iter::once(binary.display().to_string())
        .chain(args.iter().map(|a| a.to_string()))
        .map(|a| quote(&a))
        .collect::<Vec<_>>()
        .join(" ");
    let mut script = std::process::Command::new("script");
    script
        .args(["-q", "-c", &command_line, "/dev/null"])
        .env_remove("NO_COLOR")
        .env("TERM", "xterm-256color")
        .stdin(Stdio::null());
    for (key, value) in env {
        script.env(key, value);
    }
    let output = script
        .output()
        .expect("util-linux `script` runs (it gives the binary a terminal)");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[cfg(target_os = "linux")]
#[test]
fn auto_colours_a_terminal_unless_no_color_or_a_dumb_terminal() {
    let token = GOOD_TOKEN.as_str();
    let args = ["decode", token, "--now", NOW_TEXT];
    let coloured = on_a_terminal(&args, &[]);
    assert!(coloured.contains("Verdict:"), "{coloured}");
    assert!(has_ansi(&coloured), "a terminal is coloured: {coloured}");
    let plain = on_a_terminal(&args, &[("NO_COLOR", "1")]);
    assert!(plain.contains("Verdict:"), "{plain}");
    assert!(!has_ansi(&plain), "NO_COLOR: {plain}");
    let dumb = on_a_terminal(&args, &[("TERM", "dumb")]);
    assert!(!has_ansi(&dumb), "TERM=dumb: {dumb}");
    let never = on_a_terminal(&[&args[..], &["--color", "never"]].concat(), &[]);
    assert!(!has_ansi(&never), "--color never: {never}");
    let json = on_a_terminal(&[&args[..], &["--format", "json"]].concat(), &[]);
    assert!(!has_ansi(&json), "json on a terminal: {json}");
    assert!(!on_a_terminal(&args, &[]).contains(token));
}

/// The commands whose output is checked against a closed pipe.
fn closed_pipe_commands(dir: &std::path::Path) -> Vec<Vec<String>> {
    let token = write_file(dir, "token.txt", GOOD_TOKEN.as_str());
    let metadata = write_file(dir, "metadata.json", metadata_for(&[&AUTH]));
    let token_arg = format!("@{}", token.display());
    let mut commands: Vec<Vec<String>> = Vec::new();
    for format in ["human", "json", "markdown", "junit"] {
        commands.push(vec![
            "decode".into(),
            token_arg.clone(),
            "--format".into(),
            format.into(),
        ]);
        commands.push(vec![
            "keys".into(),
            token_arg.clone(),
            "--metadata".into(),
            metadata.display().to_string(),
            "--format".into(),
            format.into(),
        ]);
    }
    for format in ["human", "json", "markdown", "plain"] {
        commands.push(vec!["ssi-ips".into(), "--format".into(), format.into()]);
    }
    commands.push(vec![
        "ssi-ips".into(),
        "--check".into(),
        "20.79.94.109".into(),
    ]);
    commands.push(vec!["demo".into(), "--list".into()]);
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        commands.push(vec!["completions".into(), shell.into()]);
    }
    commands.push(vec!["--help".into()]);
    commands.push(vec!["decode".into(), "--help".into()]);
    commands.push(vec!["--version".into()]);
    commands
}

fn assert_no_panic(output: &Output, what: &str) {
    assert_ne!(
        output.status.code(),
        Some(101),
        "{what}: {}",
        describe(output)
    );
    assert!(
        output.status.code().is_some(),
        "{what} killed: {}",
        describe(output)
    );
    assert!(
        !stderr(output).contains("panicked"),
        "{what}: {}",
        describe(output)
    );
}

#[test]
fn a_closed_standard_output_is_not_a_panic() {
    let dir = tempfile::tempdir().expect("temp dir");
    for args in closed_pipe_commands(dir.path()) {
        // The reading end is closed before the binary starts: every write fails.
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        let mut command =
            std::process::Command::new(assert_cmd::cargo::cargo_bin("idtoken-doctor"));
        command
            .args(&args)
            .stdin(Stdio::null())
            .stdout(writer)
            .stderr(Stdio::piped());
        let output = retrying_wine_start(|| command.output()).expect("the binary runs");
        assert_no_panic(&output, &args.join(" "));
    }
}

#[test]
fn a_closed_standard_error_is_not_a_panic_either() {
    // Usage errors are written to standard error: `2>&1 | head -c0` must not panic.
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = format!("@{}", dir.path().join("missing.jwt").display());
    for args in [
        vec!["decode", missing.as_str()],
        vec!["decode", NO_TOKEN, "--now", "yesterday"],
        vec!["keys", NO_TOKEN, "--metadata", missing.as_str()],
        vec!["ssi-ips", "--check", "nonsense"],
        vec!["ssi-ips", "--landscape", "nowhere"],
        vec!["demo", "no-such-scenario"],
        vec!["decode", "--bogus"],
    ] {
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        let errors = writer.try_clone().expect("a second handle");
        let mut command =
            std::process::Command::new(assert_cmd::cargo::cargo_bin("idtoken-doctor"));
        command
            .args(&args)
            .stdin(Stdio::null())
            .stdout(writer)
            .stderr(errors);
        let status = retrying_wine_start(|| command.status()).expect("the binary runs");
        assert_eq!(status.code(), Some(2), "{args:?}: {status:?}");
    }
}

#[cfg(unix)]
#[test]
fn piping_into_head_is_not_a_panic() {
    let binary = assert_cmd::cargo::cargo_bin("idtoken-doctor");
    let dir = tempfile::tempdir().expect("temp dir");
    let token = write_file(dir.path(), "token.txt", GOOD_TOKEN.as_str());
    for args in [
        "ssi-ips".to_string(),
        "ssi-ips --format json".to_string(),
        "completions zsh".to_string(),
        "demo --list".to_string(),
        format!("decode '@{}' --format junit", token.display()),
    ] {
        // `head` leaves after one byte; the binary's own status is the first of PIPESTATUS.
        let output = std::process::Command::new("bash")
            .arg("-c")
            .arg(format!(
                "'{}' {args} | head -c 1 >/dev/null; echo \"${{PIPESTATUS[0]}}\"",
                binary.display()
            ))
            .stdin(Stdio::null())
            .output()
            .expect("bash runs");
        let status = stdout(&output).trim().to_string();
        assert!(
            status == "0" || status == "141",
            "{args}: status {status}\n{}",
            describe(&output)
        );
        assert!(
            !stderr(&output).contains("panicked"),
            "{args}: {}",
            describe(&output)
        );
    }
}

#[test]
fn demo_list_names_every_scenario() {
    let output = run(doctor().args(["demo", "--list"]));
    assert_code(&output, 0);
    let text = stdout(&output);
    let listed: Vec<&str> = text
        .lines()
        .skip(1)
        // A description that goes on under itself is indented past the names.
        .filter(|l| !l.starts_with("   "))
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert_eq!(listed, SCENARIOS, "{text}");
    // Each line names the exit code the scenario ends with.
    for (scenario, code) in SCENARIOS.iter().zip([
        0, 10, 20, 30, 40, 40, 40, 50, 50, 50, 70, 70, 70, 0, 10, 70, 0, 0,
    ]) {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{scenario} ")))
            .expect("a line");
        assert!(line.contains(&format!("exit {code:>2}")), "{line}");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn no_token_and_a_terminal_on_standard_input_is_a_usage_error() {
    // The tool must not wait silently for a paste nobody is going to make.
    let text = on_a_terminal(&["decode"], &[]);
    assert!(text.contains("standard input is a terminal"), "{text}");
    assert!(text.contains("@PATH"), "{text}");
}
