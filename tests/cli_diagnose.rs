//! `idtoken-doctor diagnose` and `keys` end to end: tokens signed in the
//! test with keys generated in the test, against a lab Exchange on 127.0.0.1.

mod e2e_support;

use std::net::{IpAddr, Ipv4Addr};

use e2e_support::*;
use idtoken_doctor::lab::authcert::AuthCert;
use idtoken_doctor::lab::dns::Zone;
use idtoken_doctor::lab::https::{Behaviour, HttpsServer};
use serde_json::Value;
use tempfile::NamedTempFile;
use time::OffsetDateTime;

/// `diagnose TOKEN` with the lab's flags (loopback allowed).
fn diagnose(lab: &Lab, token: &str) -> Vec<String> {
    let mut args = strings(&["diagnose", token]);
    args.extend(lab.args());
    args
}

/// A lab Exchange publishing `certs`, EWS answering 401.
fn publishing(lab: &Lab, certs: &[&AuthCert]) -> HttpsServer {
    lab.exchange(
        Behaviour::json(metadata_of(certs)),
        Behaviour::unauthorized(&["Negotiate", "NTLM"]),
    )
}

/// A file holding `text`.
fn file_with(text: &str) -> NamedTempFile {
    let file = NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), text).expect("write");
    file
}

fn path_of(file: &NamedTempFile) -> String {
    file.path().display().to_string()
}

fn assert_key_checks_pass(report: &Value) {
    for id in ["key.match", "key.certificate", "key.signature"] {
        assert_eq!(status(report, id), "pass", "{id}: {}", summary(report, id));
    }
}

// ---------------------------------------------------------------------------
// The key link
// ---------------------------------------------------------------------------

#[test]
fn a_healthy_chain_passes_every_key_check_in_every_format() {
    let lab = Lab::new();
    let server = lab.healthy_exchange();
    let jwt = token(auth_cert(), &amurl(&server));
    let report = assert_all_formats(&diagnose(&lab, &jwt), ALL_STAGES, Expect::Healthy);
    assert_eq!(report["command"], "diagnose");
    assert_key_checks_pass(&report);
    assert!(summary(&report, "key.match").contains(&auth_cert().x5t));
    assert_eq!(status(&report, "ews.reachable"), "pass");
    assert_eq!(
        report["token"]["appctx"]["amurl"],
        amurl(&server),
        "the report shows the decoded token"
    );
    let signature = jwt.rsplit('.').next().expect("signature");
    assert!(
        !report.to_string().contains(signature),
        "no signature in the report"
    );
    // The token is never sent anywhere: no request carries it.
    for request in server.requests() {
        assert!(!request.target.contains("eyJ"));
        assert!(request.headers.iter().all(|(_, v)| !v.contains("eyJ")));
    }
}

#[test]
fn key_match_fails_when_the_x5t_is_not_in_the_metadata() {
    let lab = Lab::new();
    let server = publishing(&lab, &[other_auth_cert()]);
    let jwt = token(auth_cert(), &amurl(&server));
    let report = assert_all_formats(
        &diagnose(&lab, &jwt),
        ALL_STAGES,
        Expect::Broken("key.match", 70),
    );
    let text = summary(&report, "key.match");
    assert!(
        text.contains(&auth_cert().x5t),
        "names the token's x5t: {text}"
    );
    assert!(
        text.contains(&other_auth_cert().x5t),
        "lists the published thumbprints: {text}"
    );
    assert_eq!(status(&report, "metadata.keys"), "pass");
    assert_eq!(status(&report, "key.signature"), "skip");
}

#[test]
fn key_match_also_matches_on_the_computed_thumbprint() {
    use idtoken_doctor::lab::authcert::{metadata_json, DeclaredX5t, MetadataOptions};
    let lab = Lab::new();
    // Keys without keyinfo.x5t: the tool computes each certificate's thumbprint.
    let document = metadata_json(
        &[auth_cert()],
        &MetadataOptions {
            declared_x5t: DeclaredX5t::Omitted,
            ..MetadataOptions::default()
        },
    );
    let server = lab.exchange(
        Behaviour::json(document),
        Behaviour::unauthorized(&["NTLM"]),
    );
    let report = assert_json(
        &diagnose(&lab, &token(auth_cert(), &amurl(&server))),
        ALL_STAGES,
        Expect::Healthy,
    );
    assert_key_checks_pass(&report);
}

#[test]
fn key_signature_fails_for_a_tampered_token() {
    let lab = Lab::new();
    let server = lab.healthy_exchange();
    let jwt = sign(
        mint(auth_cert(), &amurl(&server)).tamper_signature(),
        auth_cert(),
    );
    let report = assert_all_formats(
        &diagnose(&lab, &jwt),
        ALL_STAGES,
        Expect::Broken("key.signature", 70),
    );
    assert_eq!(status(&report, "key.match"), "pass");
    assert_eq!(status(&report, "key.certificate"), "pass");
    assert!(summary(&report, "key.signature").contains("does not verify"));
    assert_eq!(status(&report, "ews.reachable"), "skip");
}

#[test]
fn key_signature_fails_for_a_token_signed_by_another_key_under_the_same_x5t() {
    let lab = Lab::new();
    let server = lab.healthy_exchange();
    // The header names the published certificate, another key signed it.
    let jwt = sign(mint(auth_cert(), &amurl(&server)), other_auth_cert());
    assert_json(
        &diagnose(&lab, &jwt),
        ALL_STAGES,
        Expect::Broken("key.signature", 70),
    );
}

#[test]
fn key_certificate_fails_for_an_expired_auth_certificate() {
    let lab = Lab::new();
    let server = publishing(&lab, &[expired_auth_cert()]);
    let jwt = token(expired_auth_cert(), &amurl(&server));
    let report = assert_all_formats(
        &diagnose(&lab, &jwt),
        ALL_STAGES,
        Expect::Broken("key.certificate", 70),
    );
    assert_eq!(status(&report, "key.match"), "pass");
    assert!(summary(&report, "key.certificate").contains("expired"));
    assert!(check(&report, "key.certificate")["remedy"]
        .as_str()
        .is_some_and(|r| r.contains("Set-AuthConfig")));
    // The published certificate is expired too: the metadata stage warns.
    assert_eq!(status(&report, "metadata.certificate"), "warn");
}

#[test]
fn key_certificate_warns_within_sixty_days_and_fails_after_now_moves_past_expiry() {
    let lab = Lab::new();
    let now = OffsetDateTime::now_utc();
    let expiring = AuthCert::generate(
        now - time::Duration::days(300),
        now + time::Duration::days(30),
    )
    .expect("auth certificate");
    let server = publishing(&lab, &[&expiring]);
    let jwt = token(&expiring, &amurl(&server));

    let report = assert_json(&diagnose(&lab, &jwt), ALL_STAGES, Expect::Healthy);
    assert_eq!(status(&report, "key.certificate"), "warn");

    // --now 40 days on: the auth certificate has expired then (the token too, a warning).
    let later = (now + time::Duration::days(40))
        .unix_timestamp()
        .to_string();
    let mut args = diagnose(&lab, &jwt);
    args.extend(strings(&["--now", &later]));
    let report = assert_json(&args, ALL_STAGES, Expect::Broken("key.certificate", 70));
    assert_eq!(status(&report, "token.lifetime"), "warn");
}

// ---------------------------------------------------------------------------
// A broken link in each stage gives that stage's exit code
// ---------------------------------------------------------------------------

#[test]
fn broken_token_exits_10() {
    let lab = Lab::new();
    let server = lab.healthy_exchange();
    let jwt = sign(
        mint(auth_cert(), &amurl(&server)).header_field("alg", "HS256"),
        auth_cert(),
    );
    let report = assert_json(
        &diagnose(&lab, &jwt),
        ALL_STAGES,
        Expect::Broken("token.header", 10),
    );
    assert!(summary(&report, "token.header").contains("HS256"));
    assert_eq!(server.connections(), 0);

    let report = assert_all_formats(
        &diagnose(&lab, "this is not a token at all"),
        ALL_STAGES,
        Expect::Broken("token.input", 10),
    );
    assert!(report["token"].is_null());
}

#[test]
fn broken_dns_exits_20() {
    let lab = Lab::new();
    let jwt = token(
        auth_cert(),
        "https://exchange01.contoso.local/autodiscover/metadata/json/1",
    );
    let mut args = strings(&["diagnose", &jwt]);
    args.extend(lab.public_args());
    assert_all_formats(&args, ALL_STAGES, Expect::Broken("dns.name", 20));
    assert!(lab.dns.queries().is_empty());
}

#[test]
fn broken_tcp_exits_30() {
    let lab = Lab::new();
    let jwt = token(
        auth_cert(),
        &format!("https://{HOST}:{}{METADATA_PATH}", closed_port()),
    );
    assert_json(
        &diagnose(&lab, &jwt),
        ALL_STAGES,
        Expect::Broken("tcp.connect", 30),
    );
}

#[test]
fn broken_tls_exits_40() {
    let lab = Lab::new();
    let leaf = lab.pki.leaf(HOST).self_signed().build().expect("leaf");
    let server = HttpsServer::start(
        leaf.identity(),
        exchange_routes(
            Behaviour::json(metadata_of(&[auth_cert()])),
            Behaviour::unauthorized(&["NTLM"]),
        ),
    )
    .expect("server");
    let jwt = token(auth_cert(), &amurl(&server));
    assert_json(
        &diagnose(&lab, &jwt),
        ALL_STAGES,
        Expect::Broken("tls.trust", 40),
    );
}

#[test]
fn broken_http_exits_50() {
    let lab = Lab::new();
    let server = lab.exchange(
        Behaviour::unauthorized(&["Negotiate", "NTLM"]),
        Behaviour::unauthorized(&["Negotiate", "NTLM"]),
    );
    let jwt = token(auth_cert(), &amurl(&server));
    let report = assert_json(
        &diagnose(&lab, &jwt),
        ALL_STAGES,
        Expect::Broken("http.access", 50),
    );
    assert!(summary(&report, "http.access").contains("Negotiate"));
}

#[test]
fn broken_metadata_exits_60() {
    let lab = Lab::new();
    let server = lab.exchange(
        Behaviour::json(r#"{"error":"not here"}"#),
        Behaviour::unauthorized(&["NTLM"]),
    );
    let jwt = token(auth_cert(), &amurl(&server));
    assert_json(
        &diagnose(&lab, &jwt),
        ALL_STAGES,
        Expect::Broken("metadata.document", 60),
    );
}

#[test]
fn broken_key_exits_70() {
    let lab = Lab::new();
    let server = publishing(&lab, &[other_auth_cert()]);
    let jwt = token(auth_cert(), &amurl(&server));
    assert_json(
        &diagnose(&lab, &jwt),
        ALL_STAGES,
        Expect::Broken("key.match", 70),
    );
}

#[test]
fn broken_ews_exits_80() {
    let lab = Lab::new();
    let server = lab.exchange(
        Behaviour::json(metadata_of(&[auth_cert()])),
        Behaviour::Hangup,
    );
    let jwt = token(auth_cert(), &amurl(&server));
    let report = assert_all_formats(
        &diagnose(&lab, &jwt),
        ALL_STAGES,
        Expect::Broken("ews.reachable", 80),
    );
    assert_key_checks_pass(&report);
}

// ---------------------------------------------------------------------------
// --metadata FILE|URL
// ---------------------------------------------------------------------------

#[test]
fn diagnose_with_a_saved_metadata_file_checks_the_network_but_reads_the_file() {
    let lab = Lab::new();
    // The server's metadata URL would fail; the saved document is used instead.
    let server = lab.exchange(
        Behaviour::unauthorized(&["NTLM"]),
        Behaviour::unauthorized(&["NTLM"]),
    );
    let saved = file_with(&metadata_of(&[auth_cert()]));
    let jwt = token(auth_cert(), &amurl(&server));
    let mut args = diagnose(&lab, &jwt);
    args.extend(strings(&["--metadata", &path_of(&saved)]));
    let report = assert_all_formats(&args, ALL_STAGES, Expect::Healthy);
    assert_key_checks_pass(&report);
    for id in ["http.access", "http.content"] {
        assert_eq!(status(&report, id), "skip", "{id}");
        assert!(
            summary(&report, id).contains(&path_of(&saved)),
            "{}",
            summary(&report, id)
        );
    }
    assert_eq!(status(&report, "tls.trust"), "pass");
    assert_eq!(status(&report, "ews.reachable"), "pass");
    assert_eq!(
        requests_for(&server, METADATA_PATH),
        0,
        "the file replaces the fetch"
    );

    // The same file with a token the document does not vouch for.
    let stranger = token(other_auth_cert(), &amurl(&server));
    let mut args = diagnose(&lab, &stranger);
    args.extend(strings(&["--metadata", &path_of(&saved)]));
    assert_json(&args, ALL_STAGES, Expect::Broken("key.match", 70));
}

#[test]
fn diagnose_with_a_metadata_url_fetches_that_url() {
    let lab = Lab::new();
    let alternate = "/alternate/metadata.json";
    let leaf = lab.pki.leaf(HOST).build().expect("leaf");
    let server = HttpsServer::start(
        leaf.identity(),
        vec![
            idtoken_doctor::lab::https::Route::new(METADATA_PATH, Behaviour::status(404)),
            idtoken_doctor::lab::https::Route::new(
                alternate,
                Behaviour::json(metadata_of(&[auth_cert()])),
            ),
            idtoken_doctor::lab::https::Route::new(EWS_PATH, Behaviour::unauthorized(&["NTLM"])),
        ],
    )
    .expect("server");
    let jwt = token(auth_cert(), &amurl(&server));
    let mut args = diagnose(&lab, &jwt);
    args.extend(strings(&["--metadata", &server.url(HOST, alternate)]));
    let report = assert_json(&args, ALL_STAGES, Expect::Healthy);
    assert_key_checks_pass(&report);
    assert_eq!(requests_for(&server, alternate), 1);
    assert_eq!(requests_for(&server, METADATA_PATH), 0);
}

#[test]
fn a_missing_metadata_file_is_a_usage_error_naming_the_path() {
    let run = doctor([
        "keys",
        "eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
        "--metadata",
        "/nonexistent/md.json",
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("/nonexistent/md.json"),
        "{}",
        run.stderr
    );
}

// ---------------------------------------------------------------------------
// keys
// ---------------------------------------------------------------------------

/// `keys TOKEN --metadata FILE`, with a lab DNS server named so any query would show.
fn keys_offline(lab: &Lab, token: &str, metadata: &NamedTempFile) -> Vec<String> {
    strings(&[
        "keys",
        token,
        "--metadata",
        &path_of(metadata),
        "--dns-server",
        &lab.dns.addr().to_string(),
        "--no-system-dns",
    ])
}

#[test]
fn keys_offline_with_a_saved_document_passes_and_fails() {
    let lab = Lab::new();
    let saved = file_with(&metadata_of(&[auth_cert()]));
    let amurl = format!("https://{HOST}{METADATA_PATH}");

    let report = assert_all_formats(
        &keys_offline(&lab, &token(auth_cert(), &amurl), &saved),
        KEYS_OFFLINE_STAGES,
        Expect::Healthy,
    );
    assert_eq!(report["command"], "keys");
    assert_key_checks_pass(&report);

    assert_all_formats(
        &keys_offline(&lab, &token(other_auth_cert(), &amurl), &saved),
        KEYS_OFFLINE_STAGES,
        Expect::Broken("key.match", 70),
    );
    let tampered = sign(mint(auth_cert(), &amurl).tamper_signature(), auth_cert());
    assert_json(
        &keys_offline(&lab, &tampered, &saved),
        KEYS_OFFLINE_STAGES,
        Expect::Broken("key.signature", 70),
    );
    assert!(
        lab.dns.queries().is_empty(),
        "offline: {:?}",
        lab.dns.queries()
    );
}

#[test]
fn keys_offline_strict_makes_an_expired_published_certificate_the_verdict() {
    let lab = Lab::new();
    let saved = file_with(&metadata_of(&[expired_auth_cert(), auth_cert()]));
    let jwt = token(auth_cert(), &format!("https://{HOST}{METADATA_PATH}"));

    let report = assert_json(
        &keys_offline(&lab, &jwt, &saved),
        KEYS_OFFLINE_STAGES,
        Expect::Healthy,
    );
    assert_eq!(status(&report, "metadata.certificate"), "warn");

    let mut strict = keys_offline(&lab, &jwt, &saved);
    strict.push("--strict".into());
    assert_all_formats(
        &strict,
        KEYS_OFFLINE_STAGES,
        Expect::Broken("metadata.certificate", 60),
    );
}

#[test]
fn keys_fetches_the_metadata_over_the_network_without_ews() {
    let lab = Lab::new();
    let server = lab.healthy_exchange();
    let mut args = strings(&["keys", &token(auth_cert(), &amurl(&server))]);
    args.extend(lab.args());
    let report = assert_all_formats(&args, KEYS_NETWORK_STAGES, Expect::Healthy);
    assert_key_checks_pass(&report);
    assert_eq!(status(&report, "http.access"), "pass");
    assert_eq!(requests_for(&server, METADATA_PATH), 4);
    assert_eq!(
        requests_for(&server, EWS_PATH),
        0,
        "keys does not probe EWS"
    );

    let mut args = strings(&["keys", &token(other_auth_cert(), &amurl(&server))]);
    args.extend(lab.args());
    assert_json(&args, KEYS_NETWORK_STAGES, Expect::Broken("key.match", 70));
}

#[test]
fn keys_over_the_network_reports_a_broken_network_link() {
    let lab = Lab::with_zone(Zone::new().address(HOST, IpAddr::V4(Ipv4Addr::LOCALHOST)));
    let jwt = token(
        auth_cert(),
        &format!("https://{HOST}:{}{METADATA_PATH}", closed_port()),
    );
    let mut args = strings(&["keys", &jwt]);
    args.extend(lab.args());
    assert_json(
        &args,
        KEYS_NETWORK_STAGES,
        Expect::Broken("tcp.connect", 30),
    );
}

// ---------------------------------------------------------------------------
// The time bound and --redact
// ---------------------------------------------------------------------------

#[test]
fn diagnose_ends_within_the_budget_when_the_metadata_never_comes() {
    let lab = Lab::new();
    let server = lab.exchange(Behaviour::NoAnswer, Behaviour::unauthorized(&["NTLM"]));
    let mut args = diagnose(&lab, &token(auth_cert(), &amurl(&server)));
    args.extend(strings(&["--timeout", "2"]));
    let run = doctor(args.iter().chain(&strings(&["--format", "json"])));
    assert!(
        run.elapsed < std::time::Duration::from_millis(3500),
        "`diagnose --timeout 2` took {:?}",
        run.elapsed
    );
    assert_eq!(run.code, 50, "{}", run.stdout);
    let report = run.json();
    assert_json_report(&report, ALL_STAGES, Expect::Broken("http.access", 50));
    assert!(summary(&report, "http.access").contains("timed out after 2 s"));
}

#[test]
fn redact_hides_the_user_in_every_format() {
    let lab = Lab::new();
    let server = lab.healthy_exchange();
    let user = "7f3c9a52-1b2d-4e8f-9a0b-c1d2e3f4a5b6";
    let jwt = sign(
        mint(auth_cert(), &amurl(&server)).msexchuid(user),
        auth_cert(),
    );
    for format in ["human", "json", "markdown", "junit"] {
        let mut args = diagnose(&lab, &jwt);
        // -v: the human report shows the token's claims only when asked.
        args.extend(strings(&["--format", format, "-v"]));
        let plain = doctor(&args);
        // JUnit lists checks, not the decoded token: it has no user to hide.
        if format != "junit" {
            assert!(
                plain.stdout.contains(user),
                "{format} shows the user without --redact"
            );
        }
        args.push("--redact".into());
        let redacted = doctor(&args);
        assert_eq!(redacted.code, 0, "{format}");
        assert!(
            !redacted.stdout.contains(user),
            "{format} hides the user with --redact:\n{}",
            redacted.stdout
        );
    }
}

#[test]
fn keys_with_a_metadata_url_fetches_it_even_when_the_amurl_is_internal() {
    let lab = Lab::new();
    let server = lab.healthy_exchange();
    // The token names an internal amurl; the engineer has the public URL.
    let jwt = token(
        auth_cert(),
        "https://exchange01.contoso.local/autodiscover/metadata/json/1",
    );
    let mut args = strings(&["keys", &jwt, "--metadata", &amurl(&server)]);
    args.extend(lab.args());
    let report = assert_all_formats(&args, KEYS_NETWORK_STAGES, Expect::Healthy);
    assert_key_checks_pass(&report);
    assert!(summary(&report, "http.access").contains(&amurl(&server)));
    assert!(report["notes"].to_string().contains("--metadata"));
    assert_eq!(requests_for(&server, METADATA_PATH), 4);

    // diagnose walks the chain as SSI does: the internal amurl is the broken link.
    let mut args = strings(&["diagnose", &jwt, "--metadata", &amurl(&server)]);
    args.extend(lab.args());
    assert_json(&args, ALL_STAGES, Expect::Broken("dns.name", 20));
}

#[test]
fn diagnose_with_a_metadata_url_takes_the_document_from_it_and_walks_the_amurl() {
    let lab = Lab::new();
    // The amurl's Exchange guards its metadata; the engineer has a copy elsewhere.
    let guarded = lab.exchange(
        Behaviour::unauthorized(&["Negotiate", "NTLM"]),
        Behaviour::unauthorized(&["Negotiate"]),
    );
    let copy = lab.healthy_exchange();
    let jwt = token(auth_cert(), &amurl(&guarded));
    let mut args = strings(&["diagnose", &jwt, "--metadata", &amurl(&copy)]);
    args.extend(lab.args());
    let report = assert_json(&args, ALL_STAGES, Expect::Healthy);
    assert_key_checks_pass(&report);
    assert!(report["notes"].to_string().contains("--metadata"));
    assert_eq!(requests_for(&guarded, METADATA_PATH), 0);
    assert_eq!(requests_for(&copy, METADATA_PATH), 1);
    assert_eq!(
        requests_for(&guarded, EWS_PATH),
        1,
        "EWS is the amurl host's"
    );

    // A --metadata URL that cannot be reached is the fetch's failure, not the amurl's links'.
    let closed = format!("https://{HOST}:{}{METADATA_PATH}", closed_port());
    let mut args = strings(&["diagnose", &jwt, "--metadata", &closed]);
    args.extend(lab.args());
    let report = assert_json(&args, ALL_STAGES, Expect::Broken("http.access", 50));
    assert_eq!(status(&report, "tcp.connect"), "pass");
    assert!(summary(&report, "http.access").contains("tcp.connect failed"));
}
