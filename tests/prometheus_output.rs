//! `--format prometheus` end to end: every demo scenario and the lab targets
//! give the contract's metrics with the right values, and `promtool check
//! metrics` accepts every exposition (single targets and batches).
//!
//! Unix only: `promtool` and `prometheus` are Debian's Linux programs, which a
//! Windows build of the tests (run under wine) cannot start.
#![cfg(unix)]

mod e2e_support;
mod prom_support;

use std::io::Write as _;

use e2e_support::*;
use idtoken_doctor::lab::https::Behaviour;
use idtoken_doctor::lab::scenario::Scenario;
use idtoken_doctor::report::Stage;
use prom_support::*;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

const DAY: f64 = 86_400.0;

fn now() -> f64 {
    OffsetDateTime::now_utc().unix_timestamp() as f64
}

/// Unix seconds of an RFC 3339 text in a JSON report.
fn unix(value: &Value) -> f64 {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"));
    OffsetDateTime::parse(text, &Rfc3339)
        .unwrap_or_else(|e| panic!("{text}: {e}"))
        .unix_timestamp() as f64
}

/// The check each scenario breaks (none for `healthy`).
fn broken_check(scenario: Scenario) -> Option<&'static str> {
    match scenario {
        Scenario::Healthy => None,
        Scenario::InternalHost => Some("dns.name"),
        Scenario::FirewallDrop => Some("tcp.connect"),
        Scenario::SelfSigned | Scenario::IncompleteChain => Some("tls.trust"),
        Scenario::Tls10 => Some("tls.handshake"),
        Scenario::Auth401 | Scenario::LoginRedirect | Scenario::PreauthProxy => Some("http.access"),
        Scenario::CallbackToken => Some("token.kind"),
        Scenario::X5tMismatch => Some("key.match"),
        Scenario::ExpiredAuthCert => Some("key.certificate"),
        Scenario::BadSignature => Some("key.signature"),
        Scenario::NaaHealthy => None,
        Scenario::NaaGraphToken => Some("token.header"),
        Scenario::NaaKeyRolled => Some("key.match"),
        Scenario::MailboxOnPremises | Scenario::MailboxExchangeOnline => None,
    }
}

/// Asserts what every report's series share: one success, one exit code, one
/// duration, and one check series per check of `stages`, all with `target`.
fn assert_series_of_one_target(all: &[Sample], stages: &[Stage], exit_code: i32) -> String {
    let success = named(all, "idtoken_doctor_success");
    assert_eq!(success.len(), 1, "{success:?}");
    let target = success[0].label("target").to_string();
    // A token that names no amurl (a callback token) has no target to label.
    let no_amurl = named(all, "idtoken_doctor_check")
        .iter()
        .any(|s| s.label("check") == "token.amurl" && s.label("status") == "fail");
    assert!(
        target.starts_with("https://") || (no_amurl && target.is_empty()),
        "target label {target:?}"
    );
    assert!(all.iter().all(|s| s.label("target") == target), "{all:#?}");
    assert_eq!(success[0].value, f64::from(u8::from(exit_code == 0)));
    let code = named(all, "idtoken_doctor_exit_code");
    assert_eq!(code.len(), 1);
    assert_eq!(code[0].value, f64::from(exit_code));
    let duration = named(all, "idtoken_doctor_duration_seconds");
    assert_eq!(duration.len(), 1);
    assert!(duration[0].value >= 0.0);
    let checks = named(all, "idtoken_doctor_check");
    let ids: Vec<&str> = checks.iter().map(|s| s.label("check")).collect();
    assert_eq!(
        ids,
        check_ids(stages),
        "one series per check, in report order"
    );
    for sample in &checks {
        assert_eq!(sample.value, 1.0);
        assert_eq!(sample.label("stage"), stage_of(sample.label("check")));
        assert!(
            ["pass", "warn", "fail", "skip", "error"].contains(&sample.label("status")),
            "{sample:?}"
        );
    }
    target
}

/// The checks whose series say `fail`.
fn failing(all: &[Sample]) -> Vec<&str> {
    named(all, "idtoken_doctor_check")
        .into_iter()
        .filter(|s| s.label("status") == "fail")
        .map(|s| s.label("check"))
        .collect()
}

#[test]
fn every_demo_scenario_gives_the_contracts_metrics_with_its_values() {
    for scenario in Scenario::ALL {
        let run = doctor(["demo", scenario.name(), "--format", "prometheus"]);
        let expected_code = scenario.expected_exit_code();
        assert_eq!(
            run.code, expected_code,
            "{scenario}: {}{}",
            run.stdout, run.stderr
        );
        promtool_check_metrics(&run.stdout);
        let all = samples(&run.stdout);
        assert_series_of_one_target(&all, scenario.stages(), expected_code);
        // The verdict's check is the first that fails; any other failure is
        // in the same stage (the chain stops there).
        let fails = failing(&all);
        assert_eq!(
            fails.first().copied(),
            broken_check(scenario),
            "{scenario}:\n{}",
            run.stdout
        );
        if let Some(first) = fails.first() {
            assert!(
                fails.iter().all(|f| stage_of(f) == stage_of(first)),
                "{fails:?}"
            );
        }

        // The server certificate is seen once the server sent one (tls.trust is
        // judged), whether or not it is trusted.
        let tls = named(
            &all,
            "idtoken_doctor_tls_certificate_expiry_timestamp_seconds",
        );
        let reaches_tls = named(&all, "idtoken_doctor_check")
            .iter()
            .any(|s| s.label("check") == "tls.trust" && s.label("status") != "skip");
        assert_eq!(tls.len(), usize::from(reaches_tls), "{scenario}: {tls:?}");
        if let Some(tls) = tls.first() {
            assert!(
                tls.value > now(),
                "{scenario}: the lab certificate is valid"
            );
        }

        // The published signing certificates, once the document is read.
        let auth = named(
            &all,
            "idtoken_doctor_auth_certificate_expiry_timestamp_seconds",
        );
        let (count, low, high) = match scenario {
            // The signing certificate: valid for three more years.
            Scenario::Healthy | Scenario::BadSignature | Scenario::MailboxOnPremises => {
                (1, now() + 1000.0 * DAY, now() + 1100.0 * DAY)
            }
            // The renewed certificate: five more years.
            Scenario::X5tMismatch => (1, now() + 1800.0 * DAY, now() + 1830.0 * DAY),
            // Expired twelve days ago.
            Scenario::ExpiredAuthCert => (1, now() - 13.0 * DAY, now() - 11.0 * DAY),
            _ => (0, 0.0, 0.0),
        };
        assert_eq!(auth.len(), count, "{scenario}: {auth:?}");
        for sample in auth {
            assert!(
                (low..high).contains(&sample.value),
                "{scenario}: auth certificate expiry {} outside {low}..{high}",
                sample.value
            );
            assert_eq!(
                sample.label("x5t").len(),
                27,
                "a SHA-1 in base64url: {sample:?}"
            );
        }
    }
}

#[test]
fn lab_probe_metrics_carry_the_facts_of_the_json_report() {
    let lab = Lab::new();
    let server = lab.healthy_exchange();
    let target = amurl(&server);
    let mut args = strings(&["probe", target.as_str()]);
    args.extend(lab.args());

    let mut json_args = args.clone();
    json_args.extend(strings(&["--format", "json"]));
    let json = doctor(&json_args).json();
    let mut prom_args = args;
    prom_args.extend(strings(&["--format", "prometheus"]));
    let run = doctor(&prom_args);
    assert_eq!(run.code, 0, "{}", run.stdout);
    promtool_check_metrics(&run.stdout);
    let all = samples(&run.stdout);
    let label = assert_series_of_one_target(&all, PROBE_STAGES, 0);
    assert_eq!(label, json["target"]["amurl"].as_str().expect("amurl"));
    for sample in named(&all, "idtoken_doctor_check") {
        let id = sample.label("check");
        assert_eq!(sample.label("status"), status(&json, id), "{id}");
    }

    let tls = one(
        &all,
        "idtoken_doctor_tls_certificate_expiry_timestamp_seconds",
        &[],
    );
    assert_eq!(
        tls.value,
        unix(&check(&json, "tls.validity")["details"]["not_after"])
    );
    let published = check(&json, "metadata.keys")["details"]["keys"]
        .as_array()
        .expect("keys")
        .clone();
    assert_eq!(published.len(), 1);
    let x5t = published[0]["computed_x5t"].as_str().expect("x5t");
    assert_eq!(x5t, auth_cert().x5t);
    let auth = one(
        &all,
        "idtoken_doctor_auth_certificate_expiry_timestamp_seconds",
        &[("x5t", x5t)],
    );
    assert_eq!(auth.value, unix(&published[0]["not_after"]));
}

#[test]
fn a_batch_is_one_valid_exposition_with_a_distinct_target_each() {
    let lab = Lab::new();
    let healthy = lab.healthy_exchange();
    let guarded = lab.exchange(
        Behaviour::unauthorized(&["Negotiate", "NTLM"]),
        Behaviour::unauthorized(&["Negotiate", "NTLM"]),
    );
    let mut list = tempfile::NamedTempFile::new().expect("batch file");
    writeln!(
        list,
        "# three targets, one twice\n{}\n{}\n{}\nexchange01.contoso.local",
        amurl(&healthy),
        amurl(&guarded),
        amurl(&healthy)
    )
    .expect("write");
    let mut args = strings(&["probe", "--batch"]);
    args.push(list.path().display().to_string());
    args.extend(lab.args());
    args.extend(strings(&["--format", "prometheus"]));
    let run = doctor(&args);
    assert_eq!(
        run.code, 50,
        "the first failure in input order: {}",
        run.stdout
    );
    promtool_check_metrics(&run.stdout);
    assert_eq!(
        run.stdout
            .matches("# TYPE idtoken_doctor_success gauge")
            .count(),
        1
    );
    let all = samples(&run.stdout);
    let success = named(&all, "idtoken_doctor_success");
    let targets: Vec<&str> = success.iter().map(|s| s.label("target")).collect();
    assert_eq!(
        targets,
        vec![
            amurl(&healthy).as_str(),
            amurl(&guarded).as_str(),
            format!("{} #3", amurl(&healthy)).as_str(),
            "https://exchange01.contoso.local/autodiscover/metadata/json/1",
        ]
    );
    let values: Vec<f64> = success.iter().map(|s| s.value).collect();
    assert_eq!(values, vec![1.0, 0.0, 1.0, 0.0]);
    let codes: Vec<f64> = named(&all, "idtoken_doctor_exit_code")
        .iter()
        .map(|s| s.value)
        .collect();
    assert_eq!(codes, vec![0.0, 50.0, 0.0, 20.0]);
    for target in targets {
        let checks = all
            .iter()
            .filter(|s| s.name == "idtoken_doctor_check" && s.label("target") == target)
            .count();
        assert_eq!(checks, check_ids(PROBE_STAGES).len(), "{target}");
    }
}

#[test]
fn keys_with_a_saved_document_gives_the_auth_certificate_expiry() {
    let mut document = tempfile::NamedTempFile::new().expect("metadata file");
    document
        .write_all(metadata_of(&[auth_cert(), expired_auth_cert()]).as_bytes())
        .expect("write");
    let token = token(
        auth_cert(),
        "https://mail.contoso.test/autodiscover/metadata/json/1",
    );
    let run = doctor([
        "keys",
        token.as_str(),
        "--metadata",
        &document.path().display().to_string(),
        "--format",
        "prometheus",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    promtool_check_metrics(&run.stdout);
    assert!(
        !run.stdout.contains(&token[..20]),
        "no token in the metrics"
    );
    let all = samples(&run.stdout);
    assert_series_of_one_target(&all, KEYS_OFFLINE_STAGES, 0);
    let auth = named(
        &all,
        "idtoken_doctor_auth_certificate_expiry_timestamp_seconds",
    );
    let x5ts: Vec<&str> = auth.iter().map(|s| s.label("x5t")).collect();
    assert_eq!(
        x5ts,
        vec![auth_cert().x5t.as_str(), expired_auth_cert().x5t.as_str()]
    );
    assert!(auth[0].value > now() + 1000.0 * DAY);
    assert!(auth[1].value < now() - 11.0 * DAY);
    assert!(named(
        &all,
        "idtoken_doctor_tls_certificate_expiry_timestamp_seconds"
    )
    .is_empty());
}

/// The `sh` block after the marker comment naming `marker` in docs/monitoring.md.
fn doc_script(marker: &str) -> String {
    let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/monitoring.md"))
        .expect("docs/monitoring.md");
    let after = doc
        .split_once(&format!("<!-- {marker}"))
        .unwrap_or_else(|| panic!("docs/monitoring.md has no `<!-- {marker}` marker"))
        .1;
    let block = after.split_once("```sh\n").expect("an sh block follows").1;
    block
        .split_once("```")
        .expect("the block ends")
        .0
        .to_string()
}

/// `text` with `from` replaced by `to`, asserting `from` is there.
fn substitute(text: &str, from: &str, to: &str) -> String {
    assert!(
        text.contains(from),
        "docs/monitoring.md's script no longer holds `{from}`: update this test with it"
    );
    text.replace(from, to)
}

#[test]
fn the_documented_textfile_script_renames_a_valid_exposition_into_place() {
    let lab = Lab::new();
    let healthy = lab.healthy_exchange();
    let dir = tempfile::tempdir().expect("temp dir");
    let collector = dir.path().join("textfile");
    std::fs::create_dir(&collector).expect("collector directory");
    let targets = dir.path().join("targets.txt");
    std::fs::write(
        &targets,
        format!("{}\nexchange01.contoso.local\n", amurl(&healthy)),
    )
    .expect("targets");

    let mut script = doc_script("textfile script");
    script = substitute(
        &script,
        "dir=/var/lib/prometheus/node-exporter",
        &format!("dir='{}'", collector.display()),
    );
    script = substitute(
        &script,
        "/etc/idtoken-doctor/targets.txt",
        &targets.display().to_string(),
    );
    let command = format!(
        "'{}' probe {}",
        env!("CARGO_BIN_EXE_idtoken-doctor"),
        lab.args().join(" ")
    );
    script = substitute(&script, "idtoken-doctor probe", &command);
    let path = dir.path().join("textfile.sh");
    std::fs::write(&path, script).expect("script");

    let status = std::process::Command::new("sh")
        .arg(&path)
        .env("NO_COLOR", "1")
        .env_remove("IDTOKEN_DOCTOR_TIMEOUT")
        .env_remove("IDTOKEN_DOCTOR_DNS_SERVER")
        .status()
        .expect("sh runs");
    assert!(status.success(), "{status}");
    let names: Vec<String> = std::fs::read_dir(&collector)
        .expect("read the directory")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        vec!["idtoken-doctor.prom"],
        "no temporary file is left"
    );
    let text = std::fs::read_to_string(collector.join("idtoken-doctor.prom")).expect("metrics");
    promtool_check_metrics(&text);
    let all = samples(&text);
    let success: Vec<f64> = named(&all, "idtoken_doctor_success")
        .iter()
        .map(|s| s.value)
        .collect();
    assert_eq!(success, vec![1.0, 0.0]);

    // A usage error writes nothing: the last file stays as it was.
    std::fs::write(&targets, "# no targets\n").expect("targets");
    let status = std::process::Command::new("sh")
        .arg(&path)
        .status()
        .expect("sh runs");
    assert_eq!(status.code(), Some(2));
    let kept = std::fs::read_to_string(collector.join("idtoken-doctor.prom")).expect("metrics");
    assert_eq!(kept, text);
    assert_eq!(std::fs::read_dir(&collector).expect("dir").count(), 1);
}

#[test]
fn diagnose_metrics_carry_no_token_and_no_user_id() {
    let lab = Lab::new();
    let server = lab.healthy_exchange();
    let user = "6c8e2a1f-0d3b-4f7a-9e55-1b2c3d4e5f60";
    let signed = sign(
        mint(auth_cert(), &amurl(&server)).msexchuid(format!("{user}@contoso.test")),
        auth_cert(),
    );
    let mut args = strings(&["diagnose", signed.as_str(), "--format", "prometheus"]);
    args.extend(lab.args());
    let run = doctor(&args);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    promtool_check_metrics(&run.stdout);
    assert_series_of_one_target(&samples(&run.stdout), &Stage::TOKEN_CHAIN, 0);
    for part in signed.split('.') {
        assert!(
            !run.stdout.contains(&part[..24]),
            "a piece of the token in:\n{}",
            run.stdout
        );
    }
    assert!(
        !run.stdout.contains(user),
        "the user id in:\n{}",
        run.stdout
    );
    assert!(!run.stdout.contains("@contoso.test"), "{}", run.stdout);
}
