//! The NAA chain end to end: tokens minted here for a lab Entra ID on
//! 127.0.0.1 (Entra's real host name, a certificate from a test CA, reached
//! with `--resolve login.microsoftonline.com:PORT:127.0.0.1 --allow-private
//! --ca-file`), one test per check showing its failure, and the healthy walk.

mod cli_support;

use std::sync::LazyLock;

use cli_support::{assert_code, check, doctor, report, run, status, write_file};
use idtoken_doctor::entra::{discovery_for_domain, walk_entra_network};
use idtoken_doctor::lab::entra::{Documents, EntraKey, EntraLab, AUTHORITY, DOMAIN, TENANT_ID};
use idtoken_doctor::lab::https::Behaviour;
use idtoken_doctor::lab::loopback_net;
use idtoken_doctor::lab::mint::TokenMint;
use idtoken_doctor::progress::Progress;
use idtoken_doctor::settings::{NetSettings, Pin, Settings};
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};

/// The lab's TLS certificate is judged at the real clock (as `--now` leaves
/// TLS), so the tokens and keys are made around it too.
static NOW: LazyLock<OffsetDateTime> = LazyLock::new(OffsetDateTime::now_utc);

fn key(kid: &str, from: Duration, to: Duration) -> EntraKey {
    EntraKey::generate(kid, *NOW + from, *NOW + to).expect("a key")
}

static CURRENT: LazyLock<EntraKey> =
    LazyLock::new(|| key("current-kid", -Duration::days(30), Duration::days(4 * 365)));
static NEXT: LazyLock<EntraKey> =
    LazyLock::new(|| key("next-kid", -Duration::days(1), Duration::days(5 * 365)));
static ROLLED: LazyLock<EntraKey> =
    LazyLock::new(|| key("rolled-kid", -Duration::days(400), Duration::days(300)));
static EXPIRED: LazyLock<EntraKey> =
    LazyLock::new(|| key("expired-kid", -Duration::days(700), -Duration::days(1)));

/// A lab Entra publishing `keys`, its documents changed by `tweak`.
fn lab_with(keys: &[&EntraKey], tweak: impl FnOnce(&mut Documents)) -> EntraLab {
    let (listener, mut documents) = EntraLab::documents(keys).expect("a listener");
    tweak(&mut documents);
    EntraLab::start(listener, documents).expect("the lab Entra starts")
}

fn lab() -> EntraLab {
    lab_with(&[&CURRENT, &NEXT], |_| {})
}

fn sign(mint: &TokenMint, key: &EntraKey) -> String {
    mint.sign(&key.cert.private_key).expect("signed")
}

/// `command TOKEN` against the lab, as JSON, with `extra` flags.
fn against(lab: &EntraLab, command: &str, token: &str, extra: &[&str]) -> (Value, i32) {
    let dir = tempfile::tempdir().expect("a directory");
    let ca = write_file(dir.path(), "ca.pem", lab.pki.ca_pem());
    let resolve = format!("{AUTHORITY}:{}:127.0.0.1", lab.port());
    let output = run(doctor()
        .args([command, token, "--format", "json", "--timeout", "10"])
        .args(["--resolve", &resolve, "--allow-private", "--no-system-dns"])
        .arg("--ca-file")
        .arg(&ca)
        .args(extra));
    let code = output.status.code().expect("an exit code");
    (report(&output), code)
}

fn diagnose(lab: &EntraLab, token: &str) -> (Value, i32) {
    against(lab, "diagnose", token, &[])
}

fn healthy_token(lab: &EntraLab) -> String {
    sign(&lab.mint(&CURRENT, *NOW - Duration::minutes(5)), &CURRENT)
}

#[test]
fn a_healthy_v2_token_walks_discovery_then_jwks_and_verifies_by_kid() {
    let lab = lab();
    let (report, code) = diagnose(&lab, &healthy_token(&lab));
    assert_eq!(code, 0, "{report:#}");
    for id in [
        "token.kind",
        "token.header",
        "token.version",
        "token.amurl",
        "token.audience",
        "token.issuer",
        "tls.trust",
        "http.access",
        "http.content",
        "metadata.document",
        "metadata.keys",
        "metadata.certificate",
        "key.match",
        "key.certificate",
        "key.signature",
    ] {
        assert_eq!(status(&report, id), "pass", "{id}: {report:#}");
    }
    assert_eq!(status(&report, "token.deprecation"), "skip");
    assert_eq!(status(&report, "ews.reachable"), "skip");
    let kind = check(&report, "token.kind");
    assert_eq!(kind["details"]["kind"], "entra");
    assert_eq!(kind["details"]["token_use"], "access");
    let base = format!("https://{AUTHORITY}:{}/{TENANT_ID}", lab.port());
    let discovery = format!("{base}/v2.0/.well-known/openid-configuration");
    assert_eq!(
        check(&report, "token.amurl")["details"]["discovery"],
        discovery
    );
    let access = check(&report, "http.access");
    assert_eq!(
        access["details"]["url"],
        format!("{base}/discovery/v2.0/keys")
    );
    assert_eq!(access["details"]["urls"][0], discovery);
    assert_eq!(
        check(&report, "metadata.document")["details"]["family"],
        "entra-jwks"
    );
    assert_eq!(report["target"]["host"], AUTHORITY);
    let paths: Vec<String> = lab
        .server
        .requests()
        .iter()
        .map(|r| r.target.clone())
        .collect();
    assert_eq!(
        paths,
        [
            format!("/{TENANT_ID}/v2.0/.well-known/openid-configuration"),
            format!("/{TENANT_ID}/discovery/v2.0/keys")
        ]
    );
    // One TLS connection (the one tls judged) carries both GETs.
    assert_eq!(lab.server.connections(), 1);
    // Anonymous GETs: the token is never sent.
    assert!(lab
        .server
        .requests()
        .iter()
        .all(|r| r.header("authorization").is_none()));
}

#[test]
fn a_v1_token_is_checked_on_the_v1_discovery_document() {
    let lab = lab();
    let mint = lab
        .mint(&CURRENT, *NOW - Duration::minutes(5))
        .claim("iss", lab.issuer_v1())
        .claim("ver", "1.0");
    let (report, code) = diagnose(&lab, &sign(&mint, &CURRENT));
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        check(&report, "token.amurl")["details"]["discovery"],
        format!(
            "https://{AUTHORITY}:{}/{TENANT_ID}/.well-known/openid-configuration",
            lab.port()
        )
    );
    assert_eq!(status(&report, "key.signature"), "pass");
}

/// The token check that fails, with exit code 10, for a token made by `change`.
fn token_failure(change: impl FnOnce(TokenMint) -> TokenMint, id: &str) -> Value {
    let lab = lab();
    let mint = change(lab.mint(&CURRENT, *NOW - Duration::minutes(5)));
    let (report, code) = diagnose(&lab, &sign(&mint, &CURRENT));
    assert_eq!(code, 10, "{report:#}");
    assert_eq!(status(&report, id), "fail", "{report:#}");
    assert_eq!(report["verdict"]["check"], id, "{report:#}");
    assert_eq!(
        lab.server.requests().len(),
        0,
        "a broken token fetches nothing"
    );
    check(&report, id).clone()
}

#[test]
fn ver_against_the_form_of_iss() {
    let failed = token_failure(|m| m.claim("ver", "1.0"), "token.version");
    assert!(
        failed["summary"].as_str().unwrap().contains("v2.0 form"),
        "{failed:#}"
    );
}

#[test]
fn a_nonce_in_the_header_is_a_graph_token() {
    let failed = token_failure(|m| m.header_field("nonce", "abc"), "token.header");
    assert!(
        failed["summary"]
            .as_str()
            .unwrap()
            .contains("Microsoft Graph"),
        "{failed:#}"
    );
}

#[test]
fn a_token_for_microsoft_graph_fails_the_audience() {
    let failed = token_failure(
        |m| m.audience("https://graph.microsoft.com"),
        "token.audience",
    );
    assert_eq!(failed["details"]["microsoft_api"], "Microsoft Graph");
}

#[test]
fn the_tenant_in_iss_must_be_tid() {
    token_failure(
        |m| m.claim("tid", "9188040d-6c67-4c5b-b112-36a304b66dad"),
        "token.issuer",
    );
}

#[test]
fn a_tid_token_from_another_issuer_fails_the_discovery_url() {
    let failed = token_failure(
        |m| m.claim("iss", "https://idp.contoso.test/tenant/v2.0"),
        "token.amurl",
    );
    assert!(failed["summary"]
        .as_str()
        .unwrap()
        .contains("not a Microsoft Entra ID authority"));
}

#[test]
fn an_id_token_warns_and_the_chain_goes_on() {
    let lab = lab();
    let mint = lab
        .mint(&CURRENT, *NOW - Duration::minutes(5))
        .without("scp")
        .claim("nonce", "n");
    let (report, code) = diagnose(&lab, &sign(&mint, &CURRENT));
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(status(&report, "token.audience"), "warn");
    assert_eq!(check(&report, "token.kind")["details"]["token_use"], "id");
    assert_eq!(status(&report, "key.signature"), "pass");
}

/// The failing check, with exit code `code`, of a healthy token against a
/// lab whose documents `tweak` changed (and whose keys are `keys`).
fn document_failure(
    keys: &[&EntraKey],
    tweak: impl FnOnce(&mut Documents),
    code: i32,
    id: &str,
) -> Value {
    let lab = lab_with(keys, tweak);
    let (report, exit) = diagnose(&lab, &healthy_token(&lab));
    assert_eq!(exit, code, "{report:#}");
    assert_eq!(report["verdict"]["check"], id, "{report:#}");
    check(&report, id).clone()
}

#[test]
fn a_missing_discovery_document_fails_http_access_naming_it() {
    let failed = document_failure(
        &[&CURRENT],
        |d| d.v2_answer = Some(Behaviour::status(404)),
        50,
        "http.access",
    );
    assert!(failed["details"]["url"]
        .as_str()
        .unwrap()
        .ends_with("/v2.0/.well-known/openid-configuration"));
}

#[test]
fn an_html_discovery_answer_fails_http_content() {
    document_failure(
        &[&CURRENT],
        |d| d.v2_answer = Some(Behaviour::html(200, "<html><title>Sign in</title></html>")),
        50,
        "http.content",
    );
}

#[test]
fn a_missing_jwks_fails_http_access_naming_the_jwks_uri() {
    let failed = document_failure(
        &[&CURRENT],
        |d| d.jwks_answer = Some(Behaviour::status(404)),
        50,
        "http.access",
    );
    assert!(failed["details"]["url"]
        .as_str()
        .unwrap()
        .ends_with("/discovery/v2.0/keys"));
}

#[test]
fn a_discovery_issuer_of_another_tenant_fails_metadata_document() {
    let failed = document_failure(
        &[&CURRENT],
        |d| {
            let other = d.v2["issuer"]
                .as_str()
                .unwrap()
                .replace(TENANT_ID, "other-tenant");
            d.v2["issuer"] = other.into();
        },
        60,
        "metadata.document",
    );
    assert!(
        failed["summary"].as_str().unwrap().contains("other-tenant"),
        "{failed:#}"
    );
}

#[test]
fn the_templated_issuer_of_a_multi_tenant_document_is_accepted() {
    let lab = lab_with(&[&CURRENT], |d| {
        let templated = d.v2["issuer"]
            .as_str()
            .unwrap()
            .replace(TENANT_ID, "{tenantid}");
        d.v2["issuer"] = templated.into();
    });
    let (report, code) = diagnose(&lab, &healthy_token(&lab));
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn a_key_set_without_rsa_keys_fails_metadata_keys() {
    let failed = document_failure(
        &[&CURRENT],
        |d| {
            d.jwks = json!({"keys": [{"kty": "EC", "kid": "ec-kid", "crv": "P-256", "x": "AA", "y": "AA"}]})
        },
        60,
        "metadata.keys",
    );
    assert!(
        failed["summary"].as_str().unwrap().contains("kty is EC"),
        "{failed:#}"
    );
}

#[test]
fn an_unknown_kid_fails_key_match_listing_the_published_kids() {
    let lab = lab();
    let token = sign(&lab.mint(&ROLLED, *NOW - Duration::minutes(5)), &ROLLED);
    let (report, code) = diagnose(&lab, &token);
    assert_eq!(code, 70, "{report:#}");
    let failed = check(&report, "key.match");
    assert_eq!(failed["status"], "fail");
    assert_eq!(
        failed["details"]["published_kids"],
        json!(["current-kid", "next-kid"])
    );
    assert!(failed["summary"].as_str().unwrap().contains("rolled-kid"));
}

#[test]
fn an_expired_x5c_fails_key_certificate_and_warns_in_metadata() {
    let lab = lab_with(&[&EXPIRED, &CURRENT], |_| {});
    let token = sign(&lab.mint(&EXPIRED, *NOW - Duration::minutes(5)), &EXPIRED);
    let (report, code) = diagnose(&lab, &token);
    assert_eq!(code, 70, "{report:#}");
    assert_eq!(status(&report, "metadata.certificate"), "warn");
    assert_eq!(status(&report, "key.certificate"), "fail");
    assert_eq!(report["verdict"]["check"], "key.certificate");
}

#[test]
fn a_damaged_signature_fails_key_signature() {
    let lab = lab();
    let mint = lab
        .mint(&CURRENT, *NOW - Duration::minutes(5))
        .tamper_signature();
    let (report, code) = diagnose(&lab, &sign(&mint, &CURRENT));
    assert_eq!(code, 70, "{report:#}");
    assert_eq!(report["verdict"]["check"], "key.signature");
}

#[test]
fn probe_walks_the_network_links_of_an_entra_token() {
    let lab = lab();
    let (report, code) = against(&lab, "probe", &healthy_token(&lab), &[]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(status(&report, "metadata.keys"), "pass");
    assert_eq!(status(&report, "ews.reachable"), "skip");
    assert!(report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["stage"] != "key"));
}

#[test]
fn keys_with_a_saved_jwks_is_offline() {
    let lab = lab();
    let token = healthy_token(&lab);
    let dir = tempfile::tempdir().expect("a directory");
    // A key published for another tenant (the consumer tenant) does not take the token.
    let consumers = "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0";
    let jwks = json!({"keys": [CURRENT.jwk(consumers)]});
    let path = write_file(dir.path(), "jwks.json", jwks.to_string());
    let output = run(doctor()
        .args(["keys", &token, "--format", "json", "--metadata"])
        .arg(&path));
    let first = report(&output);
    assert_eq!(status(&first, "key.match"), "fail", "{first:#}");
    let jwks = json!({"keys": [CURRENT.jwk(&lab.issuer_v2().replace(TENANT_ID, "{tenantid}"))]});
    let path = write_file(dir.path(), "jwks.json", jwks.to_string());
    let output = run(doctor()
        .args(["keys", &token, "--format", "json", "--metadata"])
        .arg(&path));
    assert_code(&output, 0);
    let second = report(&output);
    assert_eq!(status(&second, "key.signature"), "pass", "{second:#}");
    assert_eq!(status(&second, "metadata.document"), "pass");
    assert_eq!(lab.server.requests().len(), 0, "offline");
}

fn lab_net(lab: &EntraLab) -> NetSettings {
    let pin = Pin::parse(&format!("{AUTHORITY}:{}:127.0.0.1", lab.port())).expect("a pin");
    NetSettings {
        pins: vec![pin],
        ..loopback_net(vec![lab.pki.ca_der()], std::time::Duration::from_secs(10))
    }
}

#[test]
fn the_library_walk_finds_a_domains_tenant_and_refuses_an_unknown_domain() {
    let lab = lab();
    let net = lab_net(&lab);
    let settings = Settings {
        now: *NOW,
        strict: false,
        audience: None,
        net: Some(net.clone()),
    };
    let mut url = discovery_for_domain(AUTHORITY, DOMAIN);
    url.set_port(Some(lab.port())).expect("a port");
    let found = walk_entra_network(&url, None, &net, &settings, &Progress::hidden());
    let discovery = found.discovery.expect("the discovery document");
    assert_eq!(discovery.tenant_id.as_deref(), Some(TENANT_ID));
    assert_eq!(found.jwks.expect("the key set").keys.len(), 2);
    assert!(
        found.checks.iter().all(|c| !c.status.stops_the_chain()),
        "{:#?}",
        found.checks
    );

    let mut unknown = discovery_for_domain(AUTHORITY, "unknown.example");
    unknown.set_port(Some(lab.port())).expect("a port");
    let refused = walk_entra_network(&unknown, None, &net, &settings, &Progress::hidden());
    let access = refused
        .checks
        .iter()
        .find(|c| c.id.to_string() == "http.access")
        .expect("http.access");
    assert!(access.status.stops_the_chain());
    assert!(access.summary.contains("400"), "{}", access.summary);
    assert!(refused.discovery.is_none());
}
