//! What the command-line tests share: the binary with a clean environment,
//! an Exchange-Server-Auth-Certificate-like key made once per test binary,
//! tokens minted with it, and helpers to read reports.
//!
//! Each `tests/cli_*.rs` file uses a different subset, hence the allowance for
//! unused items.
#![allow(dead_code)]

#[path = "../spawn_support/mod.rs"]
pub mod spawn_support;

use std::path::Path;
use std::process::Output;
use std::sync::LazyLock;

use assert_cmd::Command;
use idtoken_doctor::lab::authcert::{metadata_json, AuthCert, MetadataOptions};
use idtoken_doctor::lab::mint::TokenMint;
use serde_json::Value;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

/// The instant every test judges at (`--now`), so that results do not depend on the clock.
pub const NOW: OffsetDateTime = datetime!(2026-06-01 12:00:00 UTC);

/// [`NOW`] as the tests pass it to `--now`.
pub const NOW_TEXT: &str = "2026-06-01T12:00:00Z";

/// The msexchuid the default mint puts in `appctx` (a bare GUID, as real tokens carry).
pub const MSEXCHUID: &str = "53e925fa-76ba-45e1-be0f-4ef08b59d389";

/// The ten token checks, in the contract's order.
pub const TOKEN_CHECKS: [&str; 10] = [
    "token.input",
    "token.encoding",
    "token.kind",
    "token.header",
    "token.version",
    "token.amurl",
    "token.lifetime",
    "token.audience",
    "token.issuer",
    "token.deprecation",
];

/// The auth certificate that signs the tests' tokens: valid a year before
/// [`NOW`] to four years after.
pub static AUTH: LazyLock<AuthCert> = LazyLock::new(|| {
    AuthCert::generate(NOW - Duration::days(365), NOW + Duration::days(4 * 365))
        .expect("an auth certificate")
});

/// A mint for a token signed by [`AUTH`], valid from an hour before [`NOW`] for eight hours.
pub fn mint() -> TokenMint {
    TokenMint::new(AUTH.x5t.clone(), NOW - Duration::hours(1))
}

/// A mint for a token signed by `cert`, valid from an hour before [`NOW`].
pub fn mint_for(cert: &AuthCert) -> TokenMint {
    TokenMint::new(cert.x5t.clone(), NOW - Duration::hours(1))
}

/// The token `mint` makes, signed with [`AUTH`]'s key.
pub fn sign(mint: &TokenMint) -> String {
    mint.sign(&AUTH.private_key).expect("a signed token")
}

/// The default token: healthy at [`NOW`].
pub static GOOD_TOKEN: LazyLock<String> = LazyLock::new(|| sign(&mint()));

/// A metadata document publishing `certs`, in Exchange's own format.
pub fn metadata_for(certs: &[&AuthCert]) -> String {
    metadata_json(certs, &MetadataOptions::default())
}

/// The signature part of a compact token.
pub fn signature_of(token: &str) -> &str {
    token.rsplit('.').next().expect("a dot")
}

/// The binary, with no environment variable that would change its behaviour
/// inherited from whoever runs the tests.
pub fn doctor() -> Command {
    let mut cmd = Command::cargo_bin("idtoken-doctor").expect("the binary is built");
    for var in [
        "NO_COLOR",
        "CLICOLOR",
        "CLICOLOR_FORCE",
        "TERM",
        "CI",
        "IDTOKEN_DOCTOR_TIMEOUT",
        "IDTOKEN_DOCTOR_DNS_SERVER",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// Runs `cmd` with a time limit (no offline command needs more than a few seconds).
pub fn run(cmd: &mut Command) -> Output {
    cmd.timeout(std::time::Duration::from_secs(60));
    spawn_support::retrying_wine_start(|| cmd.output()).expect("the binary runs")
}

/// The exit code; a signal or a timeout is a test failure.
pub fn code(output: &Output) -> i32 {
    output
        .status
        .code()
        .unwrap_or_else(|| panic!("killed by a signal or timed out: {}", describe(output)))
}

/// Standard output as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Both streams, for assertion messages.
pub fn describe(output: &Output) -> String {
    format!(
        "status {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        output.status,
        stdout(output),
        stderr(output)
    )
}

/// Asserts the exit code, showing both streams when it differs.
pub fn assert_code(output: &Output, expected: i32) {
    assert_eq!(
        output.status.code(),
        Some(expected),
        "exit code\n{}",
        describe(output)
    );
}

/// Standard output parsed as one JSON report.
pub fn report(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON object ({e}):\n{}", describe(output)))
}

/// The ids of the report's checks, in order.
pub fn check_ids(report: &Value) -> Vec<String> {
    report["checks"]
        .as_array()
        .expect("a checks array")
        .iter()
        .map(|c| c["id"].as_str().expect("an id").to_string())
        .collect()
}

/// The check with `id`.
pub fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .expect("a checks array")
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {report:#}"))
}

/// The status of the check with `id`.
pub fn status(report: &Value, id: &str) -> String {
    check(report, id)["status"]
        .as_str()
        .expect("a status")
        .to_string()
}

/// Asserts that neither stream carries the raw token or its signature.
pub fn assert_no_secret(output: &Output, token: &str) {
    let signature = signature_of(token);
    for (name, text) in [("stdout", stdout(output)), ("stderr", stderr(output))] {
        assert!(!text.contains(token), "{name} carries the raw token");
        assert!(
            !text.contains(signature),
            "{name} carries the token's signature"
        );
    }
}

/// Writes `content` to `name` in `dir` and returns the path.
pub fn write_file(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).expect("a temporary file");
    path
}

/// A fixture of `tests/fixtures/`, by name.
pub fn fixture_path(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// Whether `text` carries an ANSI escape sequence.
pub fn has_ansi(text: &str) -> bool {
    text.contains("\u{1b}[")
}
