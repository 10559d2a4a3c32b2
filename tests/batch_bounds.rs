//! `--batch` reads its list as it goes and bounds what it holds: a line that
//! never ends (`/dev/zero`, an endless pipe) is a usage error within a few
//! megabytes, not gigabytes.
//!
//! Linux only: it reads `/dev/zero` and the children's peak memory from
//! `getrusage`; the bound itself is the same code on every platform.
#![cfg(target_os = "linux")]

use std::io::Write;
use std::process::{Command, Stdio};

/// The largest resident set, in KiB, of the children this test process waited for.
fn children_peak_rss_kib() -> i64 {
    // SAFETY: getrusage fills the zeroed struct it is given, nothing else.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let ok = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    assert_eq!(ok, 0);
    usage.ru_maxrss
}

/// The bound on a child's memory here: far below what reading the whole
/// input would take, far above what the tool needs.
const PEAK_KIB: i64 = 128 * 1024;

fn doctor(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_idtoken-doctor"));
    command
        .args(args)
        .args(["--dns-server", "127.0.0.1:1", "--no-system-dns"])
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

#[test]
fn dev_zero_is_a_line_over_the_bound() {
    for command in ["probe", "diagnose"] {
        let output = doctor(&[command, "--batch", "/dev/zero"])
            .stdin(Stdio::null())
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains("--batch /dev/zero: line 1 holds more than 64 KiB"),
            "{stderr}"
        );
        assert!(output.stdout.is_empty());
    }
    assert!(
        children_peak_rss_kib() < PEAK_KIB,
        "{} KiB",
        children_peak_rss_kib()
    );
}

#[test]
fn an_endless_pipe_is_read_as_it_goes_and_refused() {
    let mut child = doctor(&["probe", "--batch", "-"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("runs");
    let mut stdin = child.stdin.take().expect("stdin");
    // One good target, then a line that never ends: the writer stops when
    // the tool stops reading (a closed pipe), as `yes` would.
    let writer = std::thread::spawn(move || {
        let chunk = vec![b'y'; 1 << 16];
        if stdin.write_all(b"bad.invalid\n").is_err() {
            return 0;
        }
        let mut sent = 0usize;
        while stdin.write_all(&chunk).is_ok() {
            sent += chunk.len();
            if sent > 1 << 30 {
                break;
            }
        }
        sent
    });
    let output = child.wait_with_output().expect("runs");
    let sent = writer.join().expect("writer");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--batch -: line 2 holds more than 64 KiB"),
        "{stderr}"
    );
    assert!(sent < 1 << 30, "the tool kept reading: {sent} bytes");
    // The target before the endless line was worked on and reported.
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("line 1  bad.invalid"), "{stdout}");
    assert!(
        children_peak_rss_kib() < PEAK_KIB,
        "{} KiB",
        children_peak_rss_kib()
    );
}

/// `--format prometheus` groups each metric's samples, so a batch writes its
/// exposition at the end; what it keeps until then stays out of memory (in
/// temporary files): 20,000 hosts inconclusive at once (no resolver answers)
/// stay within the bound, and the exposition has every one of them.
#[test]
fn a_prometheus_batch_keeps_its_samples_out_of_memory() {
    const HOSTS: usize = 20_000;
    let list = tempfile::NamedTempFile::new().expect("list");
    let text: String = (0..HOSTS)
        .map(|i| format!("https://h{i}.contoso.test/autodiscover/metadata/json/1\n"))
        .collect();
    std::fs::write(list.path(), text).expect("write the list");
    let path = list.path().display().to_string();
    let output = doctor(&["probe", "--batch", &path, "--format", "prometheus"])
        .args(["--jobs", "16", "--timeout", "2"])
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    let exposition = String::from_utf8_lossy(&output.stdout);
    let successes = exposition
        .lines()
        .filter(|l| l.starts_with("idtoken_doctor_success{"))
        .count();
    assert_eq!(successes, HOSTS);
    for family in ["idtoken_doctor_success", "idtoken_doctor_check"] {
        let groups = exposition
            .lines()
            .filter(|l| *l == format!("# TYPE {family} gauge"))
            .count();
        assert_eq!(groups, 1, "{family}: one group");
    }
    assert!(exposition.ends_with("\n"));
    // Kept in memory, these samples took some 160 MB here.
    assert!(
        children_peak_rss_kib() < PEAK_KIB / 2,
        "{} KiB",
        children_peak_rss_kib()
    );
}
