//! `idtoken-doctor keys TOKEN --metadata FILE`: the offline key link, as a
//! customer's saved metadata document would be checked. No network at all.

mod cli_support;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::LazyLock;

use cli_support::*;
use idtoken_doctor::lab::authcert::{metadata_json, AuthCert, DeclaredX5t, MetadataOptions};
use serde_json::Value;
use time::Duration;

/// Another organisation's auth certificate, with its own key.
static STRANGER: LazyLock<AuthCert> = LazyLock::new(|| {
    AuthCert::generate(NOW - Duration::days(30), NOW + Duration::days(700)).expect("a certificate")
});

/// An auth certificate that expired the day before [`NOW`].
static EXPIRED: LazyLock<AuthCert> = LazyLock::new(|| {
    AuthCert::generate(NOW - Duration::days(5 * 365), NOW - Duration::days(1))
        .expect("a certificate")
});

const KEYS_CHECKS: [&str; 16] = [
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
    "metadata.document",
    "metadata.keys",
    "metadata.certificate",
    "key.match",
    "key.certificate",
    "key.signature",
];

const NETWORK_STAGES: [&str; 5] = ["dns", "tcp", "tls", "http", "ews"];

fn keys(dir: &Path, token: &str, metadata: &Path, extra: &[&str]) -> Output {
    let token_file = write_file(dir, "token.txt", token);
    run(doctor()
        .args(["keys", &format!("@{}", token_file.display())])
        .args(["--metadata", &metadata.display().to_string()])
        .args(["--now", NOW_TEXT])
        .args(extra))
}

fn keys_json(dir: &Path, token: &str, metadata: &Path, extra: &[&str]) -> (Output, Value) {
    let output = keys(
        dir,
        token,
        metadata,
        &[&["--format", "json"], extra].concat(),
    );
    let report = report(&output);
    (output, report)
}

fn metadata_file(dir: &Path, certs: &[&AuthCert]) -> PathBuf {
    write_file(dir, "metadata.json", metadata_for(certs))
}

fn summary(report: &Value, id: &str) -> String {
    check(report, id)["summary"]
        .as_str()
        .expect("a summary")
        .to_string()
}

#[test]
fn a_published_signing_certificate_passes_every_key_check() {
    let dir = tempfile::tempdir().expect("temp dir");
    let metadata = metadata_file(dir.path(), &[&STRANGER, &AUTH]);
    let token = GOOD_TOKEN.as_str();
    let (output, report) = keys_json(dir.path(), token, &metadata, &[]);
    assert_code(&output, 0);
    assert_eq!(report["command"], "keys");
    for id in [
        "metadata.document",
        "metadata.keys",
        "metadata.certificate",
        "key.match",
        "key.certificate",
        "key.signature",
    ] {
        assert_eq!(status(&report, id), "pass", "{id}: {report:#}");
    }
    assert_eq!(report["verdict"]["status"], "healthy");
    assert_no_secret(&output, token);
    for format in ["human", "markdown", "junit"] {
        // -v: the human report names every check only when asked.
        let output = keys(dir.path(), token, &metadata, &["--format", format, "-v"]);
        assert_code(&output, 0);
        assert!(stdout(&output).contains("key.signature"), "{format}");
        assert_no_secret(&output, token);
    }
}

#[test]
fn the_keys_report_lists_token_metadata_and_key_checks_and_no_network_ones() {
    let dir = tempfile::tempdir().expect("temp dir");
    let metadata = metadata_file(dir.path(), &[&AUTH]);
    let (output, report) = keys_json(dir.path(), &GOOD_TOKEN, &metadata, &[]);
    assert_code(&output, 0);
    assert_eq!(report["schema"], "idtoken-doctor/report/v1");
    assert_eq!(check_ids(&report), KEYS_CHECKS);
    for check in report["checks"].as_array().expect("checks") {
        let stage = check["stage"].as_str().expect("a stage");
        let id = check["id"].as_str().expect("an id");
        assert!(
            id.starts_with(&format!("{stage}.")),
            "{id} in stage {stage}"
        );
        assert!(
            !NETWORK_STAGES.contains(&stage),
            "no network link was checked, yet {id} is reported as {}",
            check["status"]
        );
    }
    assert_eq!(report["token"]["header"]["x5t"], AUTH.x5t.as_str());
    assert_eq!(report["target"]["host"], "mail.contoso.com");
    let notes = report["notes"].to_string();
    assert!(
        notes.contains("file"),
        "the report says where the document came from: {notes}"
    );
}

#[test]
fn a_certificate_published_without_keyinfo_is_found_by_its_thumbprint() {
    let dir = tempfile::tempdir().expect("temp dir");
    let document = metadata_json(
        &[&AUTH],
        &MetadataOptions {
            declared_x5t: DeclaredX5t::Omitted,
            escape_slashes: true,
            wrap_certificate: Some(76),
            ..MetadataOptions::default()
        },
    );
    let metadata = write_file(dir.path(), "metadata.json", document);
    let (output, report) = keys_json(dir.path(), &GOOD_TOKEN, &metadata, &[]);
    assert_code(&output, 0);
    assert_eq!(status(&report, "key.match"), "pass");
    assert_eq!(status(&report, "key.signature"), "pass");
}

#[test]
fn an_x5t_missing_from_the_metadata_fails_key_match_and_lists_the_published_ones() {
    let dir = tempfile::tempdir().expect("temp dir");
    let metadata = metadata_file(dir.path(), &[&STRANGER]);
    let (output, report) = keys_json(dir.path(), &GOOD_TOKEN, &metadata, &[]);
    assert_code(&output, 70);
    assert_eq!(status(&report, "metadata.keys"), "pass");
    assert_eq!(status(&report, "key.match"), "fail");
    assert_eq!(status(&report, "key.certificate"), "skip");
    assert_eq!(status(&report, "key.signature"), "skip");
    assert_eq!(report["verdict"]["check"], "key.match");
    assert_eq!(report["verdict"]["exit_code"], 70);
    let text = summary(&report, "key.match");
    assert!(text.contains(&AUTH.x5t), "names the token's x5t: {text}");
    assert!(
        text.contains(&STRANGER.x5t),
        "lists the published one: {text}"
    );
    let published = check(&report, "key.match")["details"].to_string();
    assert!(published.contains(&STRANGER.x5t), "{published}");
    assert!(check(&report, "key.match")["remedy"]
        .as_str()
        .expect("a remedy")
        .contains("Set-AuthConfig"));
    // The human report shows the published thumbprint too.
    let human = stdout(&keys(dir.path(), &GOOD_TOKEN, &metadata, &[]));
    assert!(human.contains(&STRANGER.x5t), "{human}");
}

#[test]
fn a_renewed_certificate_for_the_same_key_is_named_as_such() {
    let dir = tempfile::tempdir().expect("temp dir");
    let renewed = AuthCert::for_key(
        AUTH.private_key.clone(),
        NOW - Duration::days(2),
        NOW + Duration::days(365),
    )
    .expect("a renewed certificate");
    let metadata = metadata_file(dir.path(), &[&renewed]);
    let (output, report) = keys_json(dir.path(), &GOOD_TOKEN, &metadata, &[]);
    assert_code(&output, 70);
    assert_eq!(status(&report, "key.match"), "fail");
    assert!(check(&report, "key.match")["details"]
        .to_string()
        .contains(&renewed.x5t));
}

#[test]
fn a_tampered_signature_fails_key_signature() {
    let dir = tempfile::tempdir().expect("temp dir");
    let metadata = metadata_file(dir.path(), &[&AUTH]);
    let tampered = sign(&mint().tamper_signature());
    let (output, report) = keys_json(dir.path(), &tampered, &metadata, &[]);
    assert_code(&output, 70);
    assert_eq!(status(&report, "key.match"), "pass");
    assert_eq!(status(&report, "key.certificate"), "pass");
    assert_eq!(status(&report, "key.signature"), "fail");
    assert_eq!(report["verdict"]["check"], "key.signature");
    let text = summary(&report, "key.signature");
    assert!(
        text.contains("RS256") || text.contains("signature"),
        "{text}"
    );
    assert!(check(&report, "key.signature")["remedy"].is_string());
    assert_no_secret(&output, &tampered);
    // A token signed by another key under our certificate's x5t fails the same way.
    let forged = TokenMintExt::signed_by(&mint(), &STRANGER);
    let (output, report) = keys_json(dir.path(), &forged, &metadata, &[]);
    assert_code(&output, 70);
    assert_eq!(report["verdict"]["check"], "key.signature");
}

/// Signing a mint with a key other than [`AUTH`]'s.
trait TokenMintExt {
    fn signed_by(&self, cert: &AuthCert) -> String;
}

impl TokenMintExt for idtoken_doctor::lab::mint::TokenMint {
    fn signed_by(&self, cert: &AuthCert) -> String {
        self.sign(&cert.private_key).expect("a signed token")
    }
}

#[test]
fn an_expired_auth_certificate_fails_key_certificate_unless_now_is_inside_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let metadata = metadata_file(dir.path(), &[&EXPIRED]);
    let token = mint_for(&EXPIRED).signed_by(&EXPIRED);
    let (output, report) = keys_json(dir.path(), &token, &metadata, &[]);
    assert_code(&output, 70);
    assert_eq!(status(&report, "key.match"), "pass");
    assert_eq!(status(&report, "key.certificate"), "fail");
    assert_eq!(report["verdict"]["check"], "key.certificate");
    let text = summary(&report, "key.certificate");
    assert!(text.contains("expired"), "{text}");
    let remedy = check(&report, "key.certificate")["remedy"]
        .as_str()
        .expect("a remedy")
        .to_string();
    assert!(
        remedy.contains("auth") || remedy.contains("Auth"),
        "{remedy}"
    );
    // The document publishing an expired certificate is itself worth a warning.
    assert_eq!(status(&report, "metadata.certificate"), "warn");

    // A year earlier the certificate was valid; the token is then not yet valid,
    // which only warns.
    let earlier = (NOW - Duration::days(365)).unix_timestamp().to_string();
    let output = run(doctor()
        .args(["keys", &token, "--metadata"])
        .arg(&metadata)
        .args(["--now", &earlier, "--format", "json"]));
    assert_code(&output, 0);
    let report = cli_support::report(&output);
    assert_eq!(status(&report, "key.certificate"), "pass");
    assert_eq!(status(&report, "key.signature"), "pass");
    assert_eq!(status(&report, "metadata.certificate"), "pass");
    assert_eq!(status(&report, "token.lifetime"), "warn");
}

#[test]
fn an_auth_certificate_expiring_soon_warns() {
    let dir = tempfile::tempdir().expect("temp dir");
    let expiring = AuthCert::generate(NOW - Duration::days(1800), NOW + Duration::days(20))
        .expect("a certificate");
    let metadata = metadata_file(dir.path(), &[&expiring]);
    let token = mint_for(&expiring).signed_by(&expiring);
    let (output, report) = keys_json(dir.path(), &token, &metadata, &[]);
    assert_code(&output, 0);
    assert_eq!(status(&report, "key.certificate"), "warn");
    let (output, report) = keys_json(dir.path(), &token, &metadata, &["--strict"]);
    assert_code(&output, 70);
    assert_eq!(report["verdict"]["check"], "key.certificate");
}

#[test]
fn a_file_that_is_not_a_metadata_document_fails_the_metadata_stage() {
    let dir = tempfile::tempdir().expect("temp dir");
    let openid = fixture_path("metadata/openid-configuration.json");
    let not_metadata = write_file(dir.path(), "other.json", r#"{"hello": "world"}"#);
    let html = write_file(
        dir.path(),
        "login.html",
        "<!DOCTYPE html><html><body>Sign in</body></html>",
    );
    for file in [openid, not_metadata, html] {
        let (output, report) = keys_json(dir.path(), &GOOD_TOKEN, &file, &[]);
        assert_code(&output, 60);
        assert_eq!(status(&report, "metadata.document"), "fail", "{file:?}");
        assert_eq!(report["verdict"]["stage"], "metadata");
        assert_eq!(report["verdict"]["exit_code"], 60);
        for id in ["key.match", "key.certificate", "key.signature"] {
            assert_eq!(status(&report, id), "skip", "{id} after a bad document");
        }
        assert_eq!(check_ids(&report), KEYS_CHECKS);
    }
}

#[test]
fn a_missing_metadata_file_is_a_usage_error_naming_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("saved-metadata.json");
    for arg in [
        missing.display().to_string(),
        format!("@{}", missing.display()),
    ] {
        let output = run(doctor().args(["keys", GOOD_TOKEN.as_str(), "--metadata", &arg]));
        assert_code(&output, 2);
        assert!(
            stderr(&output).contains(&missing.display().to_string()),
            "{}",
            describe(&output)
        );
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn a_broken_token_stops_before_the_key_link() {
    let dir = tempfile::tempdir().expect("temp dir");
    let metadata = metadata_file(dir.path(), &[&AUTH]);
    let (output, report) = keys_json(dir.path(), "no token in this text", &metadata, &[]);
    assert_code(&output, 10);
    assert_eq!(report["verdict"]["check"], "token.input");
    assert_eq!(check_ids(&report), KEYS_CHECKS);
    for id in &KEYS_CHECKS[9..] {
        assert_eq!(status(&report, id), "skip", "{id}");
    }
}

#[test]
fn keys_reads_the_token_from_standard_input() {
    let dir = tempfile::tempdir().expect("temp dir");
    let metadata = metadata_file(dir.path(), &[&AUTH]);
    for how in [&["keys", "-"][..], &["keys"][..]] {
        let output = run(doctor()
            .args(how)
            .arg("--metadata")
            .arg(&metadata)
            .args(["--now", NOW_TEXT, "--format", "json"])
            .write_stdin(format!("Authorization: Bearer {}\r\n", *GOOD_TOKEN)));
        assert_code(&output, 0);
        assert_eq!(status(&report(&output), "key.signature"), "pass");
    }
}

#[test]
fn an_oversized_metadata_file_is_refused_without_reading_it_all() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A sparse file far beyond any document: only the cap is read.
    let huge = dir.path().join("huge.json");
    std::fs::File::create(&huge)
        .and_then(|file| file.set_len(512 << 20))
        .expect("a sparse file");
    let output = run(doctor()
        .args(["keys", GOOD_TOKEN.as_str(), "--metadata"])
        .arg(&huge));
    assert_code(&output, 2);
    let message = stderr(&output);
    assert!(message.contains(&huge.display().to_string()), "{message}");
    assert!(message.contains("MiB"), "{message}");
    // A document just under the cap is still judged (here: not JSON, so exit 60).
    let large = write_file(dir.path(), "large.json", vec![b' '; 2 << 20]);
    let output = run(doctor()
        .args(["keys", GOOD_TOKEN.as_str(), "--metadata"])
        .arg(&large));
    assert_code(&output, 60);
}

#[cfg(target_os = "linux")]
#[test]
fn an_endless_metadata_file_is_refused_too() {
    // Under a memory limit, so that a regression fails this test instead of the machine.
    let binary = assert_cmd::cargo::cargo_bin("idtoken-doctor");
    let output = std::process::Command::new("sh")
        .args(["-c", "ulimit -v 4000000 && exec \"$0\" \"$@\""])
        .arg(&binary)
        .args(["keys", GOOD_TOKEN.as_str(), "--metadata", "/dev/zero"])
        .output()
        .expect("sh runs");
    assert_code(&output, 2);
    let message = stderr(&output);
    assert!(
        message.contains("/dev/zero") && message.contains("MiB"),
        "{message}"
    );
    assert!(!message.contains("out of memory"), "{message}");
}

#[test]
fn a_metadata_document_saved_as_utf16_by_windows_powershell_is_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(
        metadata_for(&[&AUTH])
            .encode_utf16()
            .flat_map(u16::to_le_bytes),
    );
    let path = dir.path().join("metadata-utf16.json");
    std::fs::write(&path, bytes).expect("write");
    let (output, report) = keys_json(dir.path(), GOOD_TOKEN.as_str(), &path, &[]);
    assert_code(&output, 0);
    assert_eq!(status(&report, "key.signature"), "pass", "{report:#}");
}
