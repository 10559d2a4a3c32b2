//! The human report as a person meets it: every demo scenario within the
//! contract's budget at 100 columns, symbols that survive Windows PowerShell's
//! capture, `--output FILE`, and the prompt of `decode -`.

mod cli_support;

use cli_support::*;

/// The scenarios `demo --list` names: other scenarios may be added, so the list
/// is read from the tool rather than written here.
fn scenarios() -> Vec<String> {
    let output = run(doctor().args(["demo", "--list"]));
    assert_code(&output, 0);
    let names: Vec<String> = stdout(&output)
        .lines()
        .skip(1)
        // A description that goes on under itself is indented past the names.
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    assert!(names.len() >= 10, "{names:?}");
    names
}

fn demo(name: &str, extra: &[&str]) -> std::process::Output {
    run(doctor()
        .args(["demo", name])
        .args(extra)
        .env("COLUMNS", "100"))
}

#[test]
fn every_demo_scenario_fits_the_budget_at_100_columns_and_names_its_warnings() {
    for name in scenarios() {
        let human = demo(&name, &[]);
        let text = stdout(&human);
        let lines: Vec<&str> = text.lines().collect();
        // A healthy chain in 20 lines; a chain that is broken, or whose
        // verdict is a warning that matters (a mailbox in Exchange Online), 30.
        let budget = if code(&human) == 0 && name != "mailbox-exchange-online" {
            20
        } else {
            30
        };
        assert!(
            lines.len() <= budget,
            "{name}: {} lines, budget {budget}:\n{text}",
            lines.len()
        );
        // A remedy's command stands whole on its line, however long (the
        // contract): `[PS]`, `PS>` or `$` and the command, never wrapped.
        let is_command = |line: &str| {
            let line = line.trim_start();
            ["[PS] ", "PS> ", "$ "].iter().any(|p| line.starts_with(p))
        };
        for line in lines.iter().filter(|l| !is_command(l)) {
            assert!(
                line.chars().count() <= 100,
                "{name}: {} columns: {line}",
                line.chars().count()
            );
        }
        assert!(!text.contains("Exit code"), "{name}: {text}");

        // Every warning has its line, and a healthy verdict names them all.
        let json = report(&demo(&name, &["--format", "json"]));
        let warnings: Vec<String> = json["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .filter(|c| c["status"] == "warn")
            .map(|c| c["id"].as_str().expect("id").to_string())
            .collect();
        let verdict: String = text
            .split("\nVerdict: ")
            .nth(1)
            .expect("a verdict")
            .to_string();
        for id in &warnings {
            assert!(
                text.contains(&format!(" ! {id}: ")),
                "{name}: no line for {id}:\n{text}"
            );
            if code(&human) == 0 {
                assert!(verdict.contains(id.as_str()), "{name}: {verdict}");
            }
        }
    }
}

/// Code page 437, the OEM code page PowerShell 5.1 decodes captured output with
/// on an English Windows: bytes 128 to 255.
const CP437_HIGH: &str = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u{a0}";

/// `bytes` as PowerShell 5.1 reads a native program's captured output.
fn as_code_page_437(bytes: &[u8]) -> String {
    let high: Vec<char> = CP437_HIGH.chars().collect();
    assert_eq!(high.len(), 128);
    bytes
        .iter()
        .map(|b| match b {
            0..=127 => char::from(*b),
            _ => high[usize::from(b - 128)],
        })
        .collect()
}

/// The flags that make a captured output ASCII here: none on Windows, where
/// anything but a console is ASCII by default; `--ascii` elsewhere, where pipes
/// are UTF-8 by convention.
fn capture_flags() -> &'static [&'static str] {
    if cfg!(windows) {
        &[]
    } else {
        &["--ascii"]
    }
}

#[test]
fn captured_output_of_every_format_reads_the_same_in_code_page_437() {
    let token = fixture_path("exchange-onprem-identity-token.deepnetsecurity.jwt");
    let token = format!("@{}", token.display());
    let mut runs: Vec<(String, std::process::Output)> = Vec::new();
    for format in ["human", "json", "markdown", "junit"] {
        for scenario in ["healthy", "auth-401", "x5t-mismatch"] {
            let output = demo(
                scenario,
                &[&["--format", format][..], capture_flags()].concat(),
            );
            runs.push((format!("demo {scenario} --format {format}"), output));
        }
        for verbose in [&[][..], &["-v"][..]] {
            let output = run(doctor()
                .args(["decode", &token, "--now", NOW_TEXT, "--format", format])
                .args(verbose)
                .args(capture_flags()));
            runs.push((format!("decode --format {format} {verbose:?}"), output));
        }
    }
    for (what, output) in &runs {
        let seen = as_code_page_437(&output.stdout);
        assert!(!seen.trim().is_empty(), "{what}: empty");
        let garbled: Vec<char> = seen.chars().filter(|c| !c.is_ascii()).collect();
        assert!(garbled.is_empty(), "{what}: {garbled:?} in\n{seen}");
    }
}

#[test]
fn ascii_json_carries_the_same_values() {
    let token = fixture_path("exchange-onprem-identity-token.deepnetsecurity.jwt");
    let token = format!("@{}", token.display());
    let json = |extra: &[&str]| {
        report(&run(doctor()
            .args(["decode", &token, "--now", NOW_TEXT, "--format", "json"])
            .args(extra)))
    };
    assert_eq!(json(&["--ascii"]), json(&[]));
}

#[test]
fn unix_pipes_keep_the_unicode_symbols() {
    if cfg!(windows) {
        return;
    }
    let output = demo("healthy", &[]);
    assert!(stdout(&output).contains('✔'), "{}", describe(&output));
}

#[test]
fn output_file_gets_the_report_as_utf8_without_bom_and_stdout_stays_empty() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("ticket.md");
    let token = fixture_path("exchange-onprem-identity-token.deepnetsecurity.jwt");
    let output = run(doctor().args([
        "decode",
        &format!("@{}", token.display()),
        "--now",
        NOW_TEXT,
        "--format",
        "markdown",
        "--output",
        &path.to_string_lossy(),
    ]));
    assert_code(&output, 0);
    assert!(output.stdout.is_empty(), "{}", describe(&output));
    let bytes = std::fs::read(&path).expect("the file is written");
    assert!(bytes.starts_with(b"## idtoken-doctor decode"), "no BOM");
    let text = String::from_utf8(bytes).expect("UTF-8");
    assert!(text.contains("✔ pass"), "{text}");

    // A path that cannot be written is a usage error, said in words.
    let output = run(doctor().args([
        "demo",
        "--output",
        &dir.path().join("no/such/dir/report.txt").to_string_lossy(),
    ]));
    assert_code(&output, 2);
    let message = stderr(&output);
    assert!(message.contains("--output"), "{message}");
    assert!(message.contains("no such file or folder"), "{message}");
    assert!(!message.contains("os error"), "{message}");
}

#[cfg(unix)]
#[test]
fn decode_dash_on_a_terminal_says_what_it_waits_for() {
    use std::io::{Read, Write};
    use std::os::fd::FromRawFd;
    use std::process::Stdio;

    let (mut master, slave) = {
        let (mut master, mut slave) = (0, 0);
        // SAFETY: openpty writes two descriptors into the integers passed; the
        // name, termios and window size arguments may be null.
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        assert_eq!(rc, 0, "openpty");
        // SAFETY: both descriptors were just opened and are owned here alone.
        unsafe {
            (
                std::fs::File::from_raw_fd(master),
                std::fs::File::from_raw_fd(slave),
            )
        }
    };
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("idtoken-doctor"))
        .args(["decode", "-", "--now", NOW_TEXT, "--format", "json"])
        .stdin(Stdio::from(slave))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // The token, then end of input as a person types it: Ctrl-D.
    master
        .write_all(format!("{}\n\x04", GOOD_TOKEN.as_str()).as_bytes())
        .expect("type");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while child.try_wait().expect("wait").is_none() {
        assert!(std::time::Instant::now() < deadline, "decode - hangs");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("read");
    assert!(
        err.contains("paste the token, then Ctrl-D (on Windows Ctrl-Z, Enter)"),
        "{err}"
    );
    assert_eq!(child.wait().expect("status").code(), Some(0), "{err}");
}

#[test]
fn a_piped_decode_dash_prints_no_prompt() {
    let output = run(doctor()
        .args(["decode", "-", "--now", NOW_TEXT])
        .write_stdin(GOOD_TOKEN.as_str()));
    assert_code(&output, 0);
    assert!(stderr(&output).is_empty(), "{}", describe(&output));
}

#[test]
fn a_token_beside_batch_is_a_usage_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let list = write_file(dir.path(), "hosts.txt", "mail.contoso.test\n");
    for command in ["diagnose", "probe"] {
        let output =
            run(doctor().args([command, "@token.txt", "--batch", &list.to_string_lossy()]));
        assert_code(&output, 2);
        let message = stderr(&output);
        assert!(message.contains("--batch"), "{command}: {message}");
    }
}
