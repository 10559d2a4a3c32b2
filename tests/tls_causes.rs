//! TLS as it really breaks (badssl.com's catalogue, and what old Exchange
//! front ends serve): every `details.cause` of the tls checks is produced by
//! a server on 127.0.0.1 that breaks that way, and a near miss is not
//! misnamed. The chain is walked as `probe` walks it, so causes that show
//! only after the handshake (a client certificate refused by a TLS 1.3 alert
//! or by nginx's 400) are seen where they really surface.

use std::io::{Read, Write};
use std::net::{IpAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use idtoken_doctor::chain::{self, MetadataSource, NetworkFindings};
use idtoken_doctor::lab::authcert::{metadata_json, AuthCert, MetadataOptions};
use idtoken_doctor::lab::https::{Behaviour, HttpsServer, Mode, Response, Route};
use idtoken_doctor::lab::legacy_tls::{LegacyAnswer, LegacyTlsServer};
use idtoken_doctor::lab::pki::{Pki, ServerIdentity};
use idtoken_doctor::progress::Progress;
use idtoken_doctor::report::{Check, CheckId, Status};
use idtoken_doctor::settings::{NetSettings, Pin, ProxySetting, Settings};
use idtoken_doctor::target::Target;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use time::OffsetDateTime;
use url::Url;

const HOST: &str = "mail.contoso.test";
const METADATA: &str = "/autodiscover/metadata/json/1";

/// Walks dns (pinned), tcp, tls, http and ews against `port` on 127.0.0.1.
fn walk(port: u16, roots: Vec<CertificateDer<'static>>) -> NetworkFindings {
    walk_with(&settings(port, roots), port)
}

fn settings(port: u16, roots: Vec<CertificateDer<'static>>) -> NetSettings {
    NetSettings {
        timeout: Duration::from_secs(10),
        pins: vec![Pin {
            host: HOST.into(),
            port,
            addr: IpAddr::from([127, 0, 0, 1]),
        }],
        dns_servers: Vec::new(),
        system_dns: false,
        proxy: None,
        env_proxy_unused: None,
        ca_file: None,
        extra_roots: roots,
        allow_private: true,
        ews_url: None,
        doh: Default::default(),
    }
}

fn walk_with(net: &NetSettings, port: u16) -> NetworkFindings {
    let settings = Settings {
        now: OffsetDateTime::now_utc(),
        strict: false,
        audience: None,
        net: Some(net.clone()),
    };
    let target = Target::from_url(&format!("https://{HOST}:{port}{METADATA}")).expect("target");
    chain::walk_network(
        &target,
        net,
        &settings,
        true,
        &MetadataSource::Amurl,
        &Progress::hidden(),
    )
}

fn check(findings: &NetworkFindings, id: CheckId) -> &Check {
    findings
        .checks
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("{id} missing from {:#?}", findings.checks))
}

fn cause(check: &Check) -> Option<&str> {
    check.details.get("cause").and_then(|v| v.as_str())
}

/// Asserts that `id` is the first check that fails, with `cause`.
fn broken_at<'a>(findings: &'a NetworkFindings, id: CheckId, want: &str) -> &'a Check {
    let first = findings
        .checks
        .iter()
        .find(|c| c.status == Status::Fail)
        .unwrap_or_else(|| panic!("nothing fails: {:#?}", findings.checks));
    assert_eq!(first.id, id, "{:#?}", findings.checks);
    assert_eq!(cause(first), Some(want), "{first:#?}");
    first
}

fn metadata_routes() -> Vec<Route> {
    vec![
        Route::new(METADATA, Behaviour::json(r#"{"keys":[]}"#)),
        Route::new(
            "/EWS/Exchange.asmx",
            Behaviour::unauthorized(&["Negotiate"]),
        ),
    ]
}

/// A server certificate and chain made once with OpenSSL (see
/// tests/fixtures/tls/make.sh for the commands): rcgen with ring cannot sign
/// with SHA-1 nor make RSA keys.
fn fixture(dir: &str) -> (ServerIdentity, CertificateDer<'static>) {
    let path = |file: &str| {
        format!(
            "{}/tests/fixtures/tls/{dir}/{file}",
            env!("CARGO_MANIFEST_DIR")
        )
    };
    let chain = CertificateDer::pem_file_iter(path("chain.pem"))
        .expect("chain")
        .collect::<Result<Vec<_>, _>>()
        .expect("chain pem");
    let key = PrivateKeyDer::from_pem_file(path("leaf.key")).expect("key");
    let root = CertificateDer::from_pem_file(path("root.pem")).expect("root");
    (ServerIdentity { chain, key }, root)
}

#[test]
fn a_tls_1_0_only_server_is_protocol_version() {
    for answer in [
        LegacyAnswer::ProtocolVersionAlert,
        LegacyAnswer::ServerHello,
    ] {
        let server = LegacyTlsServer::start(answer).expect("server");
        let findings = walk(server.port(), Vec::new());
        let handshake = broken_at(&findings, CheckId::TlsHandshake, "protocol-version");
        assert!(
            handshake.summary.contains("TLS 1.0"),
            "{}",
            handshake.summary
        );
        assert!(
            handshake.summary.contains("SSI needs TLS 1.2 or newer"),
            "{}",
            handshake.summary
        );
        assert_eq!(check(&findings, CheckId::EwsReachable).status, Status::Skip);
    }
}

#[test]
fn a_required_client_certificate_refused_by_alert_is_the_handshake() {
    let pki = Pki::new().expect("pki");
    let leaf = pki.leaf(HOST).build().expect("leaf");
    let server =
        HttpsServer::start_mode(Mode::ClientCertRequired(leaf.identity()), metadata_routes())
            .expect("server");
    let findings = walk(server.port(), vec![pki.ca_der()]);
    let handshake = broken_at(
        &findings,
        CheckId::TlsHandshake,
        "client-certificate-required",
    );
    assert!(
        handshake.summary.contains("client certificate"),
        "{}",
        handshake.summary
    );
    assert_eq!(handshake.details["client_certificate_requested"], true);
    // The certificate itself was fine; the http link never judged anything.
    assert_eq!(check(&findings, CheckId::TlsTrust).status, Status::Pass);
    assert_eq!(check(&findings, CheckId::HttpAccess).status, Status::Skip);
    assert_eq!(check(&findings, CheckId::EwsReachable).status, Status::Skip);
}

#[test]
fn nginx_400_for_a_missing_client_certificate_is_the_handshake() {
    let pki = Pki::new().expect("pki");
    let leaf = pki.leaf(HOST).build().expect("leaf");
    // nginx with `ssl_verify_client on` (ngx_http_request.c's error page).
    let page = "<html>\r\n<head><title>400 No required SSL certificate was sent</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>No required SSL certificate was sent</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
    let server = HttpsServer::start_mode(
        Mode::ClientCertOptional(leaf.identity()),
        vec![Route::any(
            Response::html(400, page).header("Server", "nginx"),
        )],
    )
    .expect("server");
    let findings = walk(server.port(), vec![pki.ca_der()]);
    let handshake = broken_at(
        &findings,
        CheckId::TlsHandshake,
        "client-certificate-required",
    );
    assert!(
        handshake
            .summary
            .contains("No required SSL certificate was sent"),
        "{}",
        handshake.summary
    );
    assert_eq!(check(&findings, CheckId::HttpAccess).status, Status::Skip);
}

#[test]
fn near_misses_of_client_certificates_are_not_misnamed() {
    let pki = Pki::new().expect("pki");
    let leaf = pki.leaf(HOST).build().expect("leaf");
    // Asks for a certificate but does not require one, and serves the document.
    let optional =
        HttpsServer::start_mode(Mode::ClientCertOptional(leaf.identity()), metadata_routes())
            .expect("server");
    let findings = walk(optional.port(), vec![pki.ca_der()]);
    let handshake = check(&findings, CheckId::TlsHandshake);
    assert_eq!(handshake.status, Status::Pass, "{handshake:#?}");
    assert_eq!(handshake.details["client_certificate_requested"], true);
    assert_eq!(check(&findings, CheckId::HttpAccess).status, Status::Pass);

    // A plain 400 page from a server that never asked is http's, not tls's.
    let plain = HttpsServer::start(
        leaf.identity(),
        vec![Route::any(Response::html(
            400,
            "<title>400 No required SSL certificate was sent</title>",
        ))],
    )
    .expect("server");
    let findings = walk(plain.port(), vec![pki.ca_der()]);
    assert_eq!(check(&findings, CheckId::TlsHandshake).status, Status::Pass);
    assert_eq!(check(&findings, CheckId::HttpAccess).status, Status::Fail);
    assert_eq!(cause(check(&findings, CheckId::TlsHandshake)), None);
}

#[test]
fn plain_http_closed_and_silent_ports_have_their_causes() {
    let plain = HttpsServer::start_plain(metadata_routes()).expect("server");
    broken_at(
        &walk(plain.port(), Vec::new()),
        CheckId::TlsHandshake,
        "not-tls",
    );
    let closing = HttpsServer::start_mode(Mode::CloseImmediately, Vec::new()).expect("server");
    broken_at(
        &walk(closing.port(), Vec::new()),
        CheckId::TlsHandshake,
        "closed",
    );
}

#[test]
fn trust_causes() {
    let pki = Pki::new().expect("pki");
    let serve =
        |identity: ServerIdentity| HttpsServer::start(identity, metadata_routes()).expect("server");
    let self_signed = serve(
        pki.leaf(HOST)
            .self_signed()
            .build()
            .expect("leaf")
            .identity(),
    );
    broken_at(
        &walk(self_signed.port(), vec![pki.ca_der()]),
        CheckId::TlsTrust,
        "self-signed",
    );
    let incomplete = serve(
        pki.leaf(HOST)
            .without_intermediate()
            .build()
            .expect("leaf")
            .identity(),
    );
    broken_at(
        &walk(incomplete.port(), vec![pki.ca_der()]),
        CheckId::TlsTrust,
        "incomplete-chain",
    );
    let unknown = serve(pki.leaf(HOST).build().expect("leaf").identity());
    broken_at(
        &walk(unknown.port(), Vec::new()),
        CheckId::TlsTrust,
        "unknown-issuer",
    );
}

#[test]
fn a_sha1_signed_certificate_is_weak_signature() {
    let (identity, root) = fixture("weak-signature");
    let server = HttpsServer::start(identity, metadata_routes()).expect("server");
    let findings = walk(server.port(), vec![root]);
    let trust = broken_at(&findings, CheckId::TlsTrust, "weak-signature");
    assert!(trust.summary.contains("SHA-1"), "{}", trust.summary);
    assert_eq!(
        trust.details["chain"][0]["signature_algorithm"],
        "sha1WithRSAEncryption"
    );
    // Without its root it is still named by what it is made of.
    let (identity, _) = fixture("weak-signature");
    let server = HttpsServer::start(identity, metadata_routes()).expect("server");
    broken_at(
        &walk(server.port(), Vec::new()),
        CheckId::TlsTrust,
        "weak-signature",
    );
}

#[test]
fn a_1024_bit_rsa_intermediate_is_weak_key() {
    let (identity, root) = fixture("weak-key");
    let server = HttpsServer::start(identity, metadata_routes()).expect("server");
    let findings = walk(server.port(), vec![root]);
    let trust = broken_at(&findings, CheckId::TlsTrust, "weak-key");
    assert!(
        trust.summary.contains("1024-bit RSA key"),
        "{}",
        trust.summary
    );
    assert_eq!(trust.details["chain"][1]["rsa_key_bits"], 1024);
}

#[test]
fn name_causes() {
    let pki = Pki::new().expect("pki");
    let cn_only = HttpsServer::start(
        pki.leaf(HOST).cn_only().build().expect("leaf").identity(),
        metadata_routes(),
    )
    .expect("server");
    let findings = walk(cn_only.port(), vec![pki.ca_der()]);
    let name = broken_at(&findings, CheckId::TlsName, "cn-only");
    assert!(
        name.summary.contains("only in its subject CN"),
        "{}",
        name.summary
    );

    let other = HttpsServer::start(
        pki.leaf("www.fabrikam.test")
            .build()
            .expect("leaf")
            .identity(),
        metadata_routes(),
    )
    .expect("server");
    broken_at(
        &walk(other.port(), vec![pki.ca_der()]),
        CheckId::TlsName,
        "mismatch",
    );
    // A CN naming another host, with no SANs at all, is a mismatch too.
    let other_cn = HttpsServer::start(
        pki.leaf("www.fabrikam.test")
            .cn_only()
            .build()
            .expect("leaf")
            .identity(),
        metadata_routes(),
    )
    .expect("server");
    broken_at(
        &walk(other_cn.port(), vec![pki.ca_der()]),
        CheckId::TlsName,
        "mismatch",
    );
}

#[test]
fn validity_causes() {
    let pki = Pki::new().expect("pki");
    let expired = HttpsServer::start(
        pki.leaf(HOST).expired().build().expect("leaf").identity(),
        metadata_routes(),
    )
    .expect("server");
    broken_at(
        &walk(expired.port(), vec![pki.ca_der()]),
        CheckId::TlsValidity,
        "expired",
    );
    let early = HttpsServer::start(
        pki.leaf(HOST)
            .not_yet_valid()
            .build()
            .expect("leaf")
            .identity(),
        metadata_routes(),
    )
    .expect("server");
    broken_at(
        &walk(early.port(), vec![pki.ca_der()]),
        CheckId::TlsValidity,
        "not-yet-valid",
    );
    let soon = HttpsServer::start(
        pki.leaf(HOST)
            .expires_in(time::Duration::days(10))
            .build()
            .expect("leaf")
            .identity(),
        metadata_routes(),
    )
    .expect("server");
    let findings = walk(soon.port(), vec![pki.ca_der()]);
    let validity = check(&findings, CheckId::TlsValidity);
    assert_eq!(validity.status, Status::Warn);
    assert_eq!(cause(validity), Some("expiring"));
}

#[test]
fn one_connection_carries_the_handshake_and_the_get() {
    let pki = Pki::new().expect("pki");
    let leaf = pki.leaf(HOST).build().expect("leaf");
    let now = OffsetDateTime::now_utc();
    let auth = AuthCert::generate(
        now - time::Duration::days(1),
        now + time::Duration::days(365),
    )
    .expect("auth certificate");
    let document = metadata_json(&[&auth], &MetadataOptions::default());
    let routes = vec![
        Route::new(METADATA, Behaviour::json(document)),
        Route::new(
            "/EWS/Exchange.asmx",
            Behaviour::unauthorized(&["Negotiate"]),
        ),
    ];
    let server = HttpsServer::start(leaf.identity(), routes).expect("server");
    let findings = walk(server.port(), vec![pki.ca_der()]);
    assert!(
        findings.checks.iter().all(|c| c.status != Status::Fail),
        "{:#?}",
        findings.checks
    );
    assert_eq!(check(&findings, CheckId::EwsReachable).status, Status::Pass);
    // Two connections: the judged TLS connection carrying the metadata GET,
    // and EWS's own. (Before: a third, for a separate tls handshake.)
    assert_eq!(server.connections(), 2);
    assert_eq!(server.requests().len(), 2);
}

/// A minimal HTTP CONNECT proxy on loopback tunnelling every CONNECT to `to`;
/// it counts the tunnels it opened.
fn start_connect_proxy(to: std::net::SocketAddr) -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let tunnels = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&tunnels);
    thread::spawn(move || {
        for mut client in listener.incoming().flatten() {
            let counted = Arc::clone(&counted);
            thread::spawn(move || {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match client.read(&mut byte) {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                }
                let Ok(upstream) = TcpStream::connect(to) else {
                    return;
                };
                counted.fetch_add(1, Ordering::SeqCst);
                if client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .is_err()
                {
                    return;
                }
                let (Ok(mut from_client), Ok(mut to_server)) =
                    (client.try_clone(), upstream.try_clone())
                else {
                    return;
                };
                let upload = thread::spawn(move || std::io::copy(&mut from_client, &mut to_server));
                let mut from_server = upstream;
                let _ = std::io::copy(&mut from_server, &mut client);
                let _ = upload.join();
            });
        }
    });
    (addr, tunnels)
}

#[test]
fn through_a_proxy_one_tunnel_carries_the_handshake_and_the_get() {
    let pki = Pki::new().expect("pki");
    let leaf = pki.leaf(HOST).build().expect("leaf");
    let server = HttpsServer::start(leaf.identity(), metadata_routes()).expect("server");
    let (proxy, tunnels) = start_connect_proxy(server.addr());
    let mut net = settings(server.port(), vec![pki.ca_der()]);
    net.proxy = Some(ProxySetting {
        url: Url::parse(&format!("http://{proxy}")).expect("proxy url"),
        from_env: false,
    });
    let findings = walk_with(&net, server.port());
    assert_eq!(
        check(&findings, CheckId::HttpAccess).status,
        Status::Pass,
        "{:#?}",
        findings.checks
    );
    // The metadata GET rode the tunnel its TLS was judged over.
    assert_eq!(
        server
            .requests()
            .iter()
            .filter(|r| r.target == METADATA)
            .count(),
        1
    );
    // At most two tunnels: that one, and EWS's (asked beside it; a third,
    // for a separate handshake, is gone).
    let opened = tunnels.load(Ordering::SeqCst);
    assert!((1..=2).contains(&opened), "{opened} tunnels");
}
