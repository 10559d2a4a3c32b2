//! The `http` link against the lab server on 127.0.0.1: every answer a
//! misconfigured Exchange or reverse proxy gives, judged end to end.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use idtoken_doctor::budget::Budget;
use idtoken_doctor::http::{self, HttpOutcome};
use idtoken_doctor::lab::https::{Behaviour, HttpsServer, Response, Route};
use idtoken_doctor::lab::pki::Pki;
use idtoken_doctor::remedy::Remedy;
use idtoken_doctor::report::{Check, CheckId, Status};
use idtoken_doctor::settings::{NetSettings, ProxySetting};
use idtoken_doctor::target::Target;
use url::Url;

const HOST: &str = "mail.contoso.test";
const PATH: &str = "/autodiscover/metadata/json/1";
const DOCUMENT: &str = r#"{"id":"_1","version":"1.0","keys":[]}"#;

struct Lab {
    pki: Pki,
    server: HttpsServer,
}

impl Lab {
    fn start(behaviour: impl Into<Behaviour>) -> Lab {
        let pki = Pki::new().expect("pki");
        let identity = pki.leaf(HOST).build().expect("leaf").identity();
        let server =
            HttpsServer::start(identity, vec![Route::new(PATH, behaviour)]).expect("server");
        Lab { pki, server }
    }

    fn net(&self, timeout: Duration) -> NetSettings {
        net_with_roots(vec![self.pki.ca_der()], timeout)
    }

    fn target(&self) -> Target {
        Target::from_url(&self.server.url(HOST, PATH)).expect("target")
    }

    fn run(&self) -> (HttpOutcome, Duration) {
        self.run_within(Duration::from_secs(10))
    }

    fn run_within(&self, timeout: Duration) -> (HttpOutcome, Duration) {
        let net = self.net(timeout);
        let budget = Budget::new(timeout);
        let outcome = http::run(&self.target(), self.server.addr(), &net, &budget);
        (outcome, budget.elapsed())
    }
}

fn net_with_roots(
    extra_roots: Vec<rustls_pki_types::CertificateDer<'static>>,
    timeout: Duration,
) -> NetSettings {
    idtoken_doctor::lab::loopback_net(extra_roots, timeout)
}

fn access(outcome: &HttpOutcome) -> &Check {
    assert_eq!(outcome.checks.len(), 2, "{:#?}", outcome.checks);
    assert_eq!(outcome.checks[0].id, CheckId::HttpAccess);
    &outcome.checks[0]
}

fn content(outcome: &HttpOutcome) -> &Check {
    assert_eq!(outcome.checks[1].id, CheckId::HttpContent);
    &outcome.checks[1]
}

#[test]
fn a_200_json_document_passes_and_is_handed_on() {
    let lab = Lab::start(Behaviour::json(DOCUMENT));
    let (outcome, _) = lab.run();
    assert_eq!(
        access(&outcome).status,
        Status::Pass,
        "{:#?}",
        outcome.checks
    );
    assert_eq!(content(&outcome).status, Status::Pass);
    assert_eq!(outcome.body.as_deref(), Some(DOCUMENT.as_bytes()));
    assert_eq!(access(&outcome).details["status_line"], "HTTP/1.1 200 OK");
    assert_eq!(
        access(&outcome).details["connected_to"][0],
        lab.server.addr().to_string()
    );
}

#[test]
fn the_request_is_anonymous_and_says_who_it_is() {
    let lab = Lab::start(Behaviour::json(DOCUMENT));
    let with_credentials = format!("https://admin:secret@{HOST}:{}{PATH}", lab.server.port());
    let target = Target::from_url(&with_credentials).expect("target");
    let budget = Budget::new(Duration::from_secs(10));
    let outcome = http::run(
        &target,
        lab.server.addr(),
        &lab.net(Duration::from_secs(10)),
        &budget,
    );
    assert_eq!(access(&outcome).status, Status::Pass);
    assert!(access(&outcome).details.contains_key("credentials_dropped"));
    let requests = lab.server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "GET");
    assert_eq!(request.target, PATH);
    assert_eq!(
        request.header("user-agent"),
        Some(concat!("idtoken-doctor/", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(request.header("accept"), Some("application/json"));
    assert_eq!(
        request.header("host"),
        Some(format!("{HOST}:{}", lab.server.port()).as_str())
    );
    for absent in [
        "authorization",
        "cookie",
        "accept-encoding",
        "proxy-authorization",
    ] {
        assert_eq!(request.header(absent), None, "{absent} must not be sent");
    }
}

#[test]
fn a_401_names_negotiate_ntlm_and_basic() {
    let lab = Lab::start(Behaviour::unauthorized(&[
        "Negotiate",
        "NTLM",
        "Basic realm=\"x\"",
    ]));
    let (outcome, _) = lab.run();
    let check = access(&outcome);
    assert_eq!(check.status, Status::Fail);
    assert_eq!(check.remedy, Some(Remedy::MetadataAuthentication));
    for scheme in ["Negotiate", "NTLM", "Basic realm=\"x\""] {
        assert!(
            check.summary.contains(scheme),
            "{scheme}: {}",
            check.summary
        );
    }
    assert_eq!(content(&outcome).status, Status::Skip);
    assert_eq!(outcome.body, None);
}

#[test]
fn a_403_and_a_404_and_a_500_fail_with_their_remedies() {
    for (status, remedy) in [
        (403, Remedy::MetadataForbidden),
        (404, Remedy::MetadataNotFound),
        (500, Remedy::MetadataServerError),
    ] {
        let lab = Lab::start(Behaviour::status(status));
        let (outcome, _) = lab.run();
        let check = access(&outcome);
        assert_eq!(check.status, Status::Fail, "{status}");
        assert_eq!(check.remedy, Some(remedy), "{status}");
        assert!(
            check.summary.contains(&status.to_string()),
            "{}",
            check.summary
        );
        assert_eq!(content(&outcome).status, Status::Skip);
    }
}

#[test]
fn a_302_reports_its_location_and_is_not_followed() {
    let location = "https://sts.contoso.test/adfs/ls/?wa=wsignin1.0";
    let lab = Lab::start(Behaviour::redirect(location));
    let (outcome, _) = lab.run();
    let check = access(&outcome);
    assert_eq!(check.status, Status::Fail);
    assert_eq!(check.remedy, Some(Remedy::FrontEndAdfs));
    assert_eq!(check.details["front_end"], "adfs");
    assert!(check.summary.contains(location), "{}", check.summary);
    assert!(check.summary.contains("AD FS"), "{}", check.summary);
    assert_eq!(check.details["location"], location);
    assert_eq!(lab.server.requests().len(), 1, "the redirect was followed");
}

/// What each product in front of Exchange answers an anonymous GET of the
/// metadata URL, in the shape of its recorded answers (see the sources in
/// `src/http/front_end.rs`), and the `front_end` it must be named by.
fn front_end_answers() -> Vec<(Response, Option<&'static str>)> {
    let app_proxy = "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/authorize\
        ?response_type=code&client_id=5f3c&scope=openid&redirect_uri=https%3a%2f%2fmail-contoso.msappproxy.net%2f\
        &state=AppProxyState%3a%7b%22InvalidTokenRetry%22%3anull%7d%23EndOfStateParam%23";
    vec![
        (Response::redirect(app_proxy), Some("entra-app-proxy")),
        (
            Response::html(
                200,
                "<!DOCTYPE html><html><head><title>Sign in to your account</title></head><body></body></html>",
            ),
            Some("entra-app-proxy"),
        ),
        (
            Response::redirect("https://sts.contoso.test/adfs/ls/?wa=wsignin1.0&wtrealm=urn%3aAppProxy%3acom"),
            Some("adfs"),
        ),
        (
            Response::redirect("/my.policy")
                .header("Server", "BigIP")
                .header("Set-Cookie", "LastMRH_Session=0b1c;path=/;secure")
                .header("Set-Cookie", "MRHSession=5a6d;path=/;secure"),
            Some("f5-big-ip"),
        ),
        (
            Response::redirect("/logon/LogonPoint/tmindex.html")
                .header("Set-Cookie", "NSC_TMAS=abc;Secure;Path=/"),
            Some("citrix-netscaler"),
        ),
        (
            Response::redirect("/lm_auth_proxy?LMimage=1&LMlogon=1"),
            Some("kemp"),
        ),
        (
            Response::unauthorized(&["Negotiate", "Kerberos", "NTLM"])
                .header("Proxy-Support", "Session-Based-Authentication")
                .header("Via", "1.1 TMG01"),
            Some("forefront-tmg"),
        ),
        (
            // TMG without its session header: its reason phrase says it all.
            Response::unauthorized(&["Negotiate", "NTLM"]).reason(
                "Unauthorized ( The server requires authorization to fulfill the request. \
                 Access to the Web server is denied. Contact the server administrator.  )",
            ),
            Some("forefront-tmg"),
        ),
        (
            Response::new(403)
                .reason(
                    "Forbidden ( The server denied the specified Uniform Resource Locator (URL). \
                     Contact the server administrator.  )",
                )
                .header("Via", "1.1 TMG01"),
            Some("forefront-tmg"),
        ),
        (
            Response::html(403, "<html><head><title>Just a moment...</title></head></html>")
                .header("Server", "cloudflare")
                .header("cf-ray", "8a1b2c3d4e5f6a7b-FRA")
                .header("cf-mitigated", "challenge"),
            Some("cloudflare"),
        ),
        (
            Response::redirect("https://mail.contoso.test/owa/auth/logon.aspx?url=https%3a%2f%2fmail&reason=0"),
            Some("owa-forms"),
        ),
        (
            Response::unauthorized(&["Bearer", "Basic Realm=\"\""])
                .header("X-CalculatedFETarget", "DB3PR0102CU001.internal.outlook.com")
                .header("X-FEServer", "DB3PR0102CA0017"),
            Some("exchange-online"),
        ),
        // Near misses: a plain redirect to an unknown host, a bare redirect to
        // Entra ID sign-in, on-premises Exchange's own 401 with X-FEServer.
        (Response::redirect("https://www.contoso.test/"), None),
        (
            Response::redirect("https://login.microsoftonline.com/common/oauth2/authorize?client_id=x"),
            None,
        ),
        (
            Response::unauthorized(&["Negotiate", "NTLM"])
                .header("Server", "Microsoft-IIS/10.0")
                .header("X-FEServer", "EXCH01"),
            None,
        ),
    ]
}

#[test]
fn every_front_end_is_named_on_its_answer_and_only_there() {
    for (response, expected) in front_end_answers() {
        let shown = format!(
            "{} {:?} {:?}",
            response.status, response.reason, response.headers
        );
        let lab = Lab::start(Behaviour::Respond(response));
        let (outcome, _) = lab.run();
        let named: Vec<&str> = outcome
            .checks
            .iter()
            .filter_map(|c| c.details.get("front_end").and_then(|v| v.as_str()))
            .collect();
        match expected {
            Some(id) => {
                assert!(
                    named.contains(&id),
                    "{id} on {shown}: {:#?}",
                    outcome.checks
                );
                let failing = outcome
                    .checks
                    .iter()
                    .find(|c| c.status == Status::Fail)
                    .expect("a failing check");
                assert_eq!(failing.details["front_end"], id, "{shown}");
                assert!(
                    failing
                        .remedy
                        .is_some_and(|r| r != Remedy::MetadataRedirect
                            && r != Remedy::MetadataAuthentication),
                    "the product's own remedy on {shown}: {:?}",
                    failing.remedy
                );
            }
            None => assert!(named.is_empty(), "nothing named on {shown}: {named:?}"),
        }
    }
}

#[test]
fn ews_behind_a_front_end_still_answers_and_is_named() {
    let pki = Pki::new().expect("pki");
    let identity = pki.leaf(HOST).build().expect("leaf").identity();
    let ews = "/EWS/Exchange.asmx";
    for (response, expected) in front_end_answers() {
        let shown = format!(
            "{} {:?} {:?}",
            response.status, response.reason, response.headers
        );
        let server = HttpsServer::start(
            identity.clone(),
            vec![Route::new(ews, Behaviour::Respond(response))],
        )
        .expect("server");
        let url = Url::parse(&server.url(HOST, ews)).expect("url");
        let net = net_with_roots(vec![pki.ca_der()], Duration::from_secs(10));
        let budget = Budget::new(Duration::from_secs(10));
        let check = idtoken_doctor::ews::run(&url, Some(server.addr()), &net, &budget);
        assert_eq!(check.status, Status::Pass, "{shown}: {check:?}");
        assert_eq!(
            check.details.get("front_end").and_then(|v| v.as_str()),
            // The sign-in page is judged only where a body is read: not on EWS.
            expected.filter(|_| !shown.starts_with("200")),
            "{shown}"
        );
    }
}

#[test]
fn a_redirect_loop_is_named_as_one() {
    let lab = Lab::start(Behaviour::RedirectToSelf);
    let (outcome, _) = lab.run();
    assert!(
        access(&outcome).summary.contains("itself"),
        "{}",
        access(&outcome).summary
    );
    assert_eq!(lab.server.requests().len(), 1);
}

#[test]
fn an_html_login_page_is_not_json() {
    let page = "<!DOCTYPE html><html><head><title>Sign In - Outlook</title></head>\
        <body><form action=\"/owa/auth.owa\"><input type=\"password\"></form></body></html>";
    let lab = Lab::start(Behaviour::html(200, page));
    let (outcome, _) = lab.run();
    assert_eq!(access(&outcome).status, Status::Pass);
    let check = content(&outcome);
    assert_eq!(check.status, Status::Fail);
    assert_eq!(check.remedy, Some(Remedy::MetadataNotJson));
    assert!(
        check
            .summary
            .contains("HTML page titled \"Sign In - Outlook\""),
        "{}",
        check.summary
    );
    assert_eq!(outcome.body, None);
}

#[test]
fn a_two_mib_body_is_too_large() {
    let lab = Lab::start(Behaviour::LargeBody { len: 2 << 20 });
    let (outcome, _) = lab.run();
    assert_eq!(access(&outcome).status, Status::Pass);
    let check = content(&outcome);
    assert_eq!(check.status, Status::Fail);
    assert_eq!(check.remedy, Some(Remedy::MetadataTooLarge));
    assert!(
        check.summary.contains("larger than 1 MiB"),
        "{}",
        check.summary
    );
}

#[test]
fn a_body_within_the_limit_is_read_whole() {
    let lab = Lab::start(Behaviour::LargeBody { len: 900 * 1024 });
    let (outcome, _) = lab.run();
    assert_eq!(
        content(&outcome).status,
        Status::Pass,
        "{:#?}",
        outcome.checks
    );
    assert_eq!(outcome.body.map(|b| b.len()), Some(900 * 1024));
}

#[test]
fn a_body_that_trickles_times_out_in_content_within_the_budget() {
    let lab = Lab::start(Behaviour::SlowBody {
        response: Response::json(DOCUMENT),
        interval: Duration::from_secs(1),
    });
    let budget = Duration::from_secs(3);
    let (outcome, elapsed) = lab.run_within(budget);
    assert_eq!(
        access(&outcome).status,
        Status::Pass,
        "{:#?}",
        outcome.checks
    );
    let check = content(&outcome);
    assert_eq!(check.status, Status::Fail);
    assert!(
        check.summary.contains("timed out after 3 s"),
        "{}",
        check.summary
    );
    assert!(
        elapsed < budget + Duration::from_secs(1),
        "took {elapsed:?}"
    );
}

#[test]
fn headers_that_never_end_time_out_in_access() {
    let lab = Lab::start(Behaviour::SlowHeaders {
        response: Response::json(DOCUMENT),
        interval: Duration::from_secs(1),
    });
    let (outcome, _) = lab.run_within(Duration::from_secs(2));
    let check = access(&outcome);
    assert_eq!(check.status, Status::Fail);
    assert_eq!(check.remedy, Some(Remedy::TimedOut));
    assert!(
        check.summary.contains("timed out after 2 s"),
        "{}",
        check.summary
    );
    assert_eq!(content(&outcome).status, Status::Skip);
}

#[test]
fn a_response_head_near_the_limit_is_still_read() {
    // Front ends add long Content-Security-Policy and Set-Cookie headers; 60 KiB
    // of head stays under ureq's 64 KiB limit, and must fit the input buffer.
    let padding = "x".repeat(3_000);
    let mut response = Response::new(200)
        .header("Content-Type", "application/json")
        .body(DOCUMENT);
    for n in 0..20 {
        response = response.header(&format!("X-Padding-{n}"), &padding);
    }
    let lab = Lab::start(Behaviour::Respond(response));
    let (outcome, _) = lab.run();
    assert_eq!(
        access(&outcome).status,
        Status::Pass,
        "{:#?}",
        outcome.checks
    );
    assert_eq!(outcome.body.as_deref(), Some(DOCUMENT.as_bytes()));
}

#[test]
fn an_endless_header_block_is_an_access_failure() {
    let lab = Lab::start(Behaviour::EndlessHeaders);
    let (outcome, _) = lab.run_within(Duration::from_secs(5));
    let check = access(&outcome);
    assert_eq!(check.status, Status::Fail, "{:#?}", outcome.checks);
    assert_eq!(content(&outcome).status, Status::Skip);
}

#[test]
fn a_hangup_after_the_request_is_no_http_answer() {
    let lab = Lab::start(Behaviour::Hangup);
    let (outcome, _) = lab.run();
    let check = access(&outcome);
    assert_eq!(check.status, Status::Fail);
    assert!(
        check.summary.contains("no HTTP answer"),
        "{}",
        check.summary
    );
}

#[test]
fn an_untrusted_certificate_is_reported_by_access() {
    let lab = Lab::start(Behaviour::json(DOCUMENT));
    let net = net_with_roots(Vec::new(), Duration::from_secs(5));
    let budget = Budget::new(Duration::from_secs(5));
    let outcome = http::run(&lab.target(), lab.server.addr(), &net, &budget);
    let check = access(&outcome);
    assert_eq!(check.status, Status::Fail);
    assert_eq!(check.remedy, Some(Remedy::TlsChainUntrusted));
    assert!(check.summary.contains("TLS failed"), "{}", check.summary);
}

#[test]
fn a_plain_http_target_fails_access_but_its_answer_is_shown() {
    let server = HttpsServer::start_plain(vec![Route::new(PATH, Behaviour::json(DOCUMENT))])
        .expect("server");
    let target = Target::from_url(&server.url(HOST, PATH)).expect("target");
    let net = net_with_roots(Vec::new(), Duration::from_secs(5));
    let budget = Budget::new(Duration::from_secs(5));
    let outcome = http::run(&target, server.addr(), &net, &budget);
    let check = access(&outcome);
    assert_eq!(check.status, Status::Fail);
    assert_eq!(check.remedy, Some(Remedy::UseHttps));
    assert!(check.summary.contains("200 OK"), "{}", check.summary);
    assert_eq!(content(&outcome).status, Status::Pass);
}

#[test]
fn a_private_peer_is_refused_without_allow_private() {
    let lab = Lab::start(Behaviour::json(DOCUMENT));
    let mut net = lab.net(Duration::from_secs(5));
    net.allow_private = false;
    let budget = Budget::new(Duration::from_secs(5));
    let outcome = http::run(&lab.target(), lab.server.addr(), &net, &budget);
    assert_eq!(access(&outcome).status, Status::Fail);
    assert_eq!(access(&outcome).remedy, Some(Remedy::PublicAddress));
    assert!(access(&outcome).summary.contains("--allow-private"));
    assert!(!access(&outcome).details.contains_key("connected_to"));
    assert_eq!(lab.server.connections(), 0);
}

#[test]
fn fetch_returns_the_document_or_says_why_not() {
    let lab = Lab::start(Behaviour::json(DOCUMENT));
    let url = Url::parse(&lab.server.url(HOST, PATH)).expect("url");
    let net = lab.net(Duration::from_secs(5));
    let budget = Budget::new(Duration::from_secs(5));
    let body = http::fetch(&url, Some(lab.server.addr()), &net, &budget).expect("document");
    assert_eq!(body, DOCUMENT.as_bytes());

    let denied = Lab::start(Behaviour::unauthorized(&["Negotiate", "NTLM"]));
    let url = Url::parse(&denied.server.url(HOST, PATH)).expect("url");
    let error = http::fetch(
        &url,
        Some(denied.server.addr()),
        &denied.net(Duration::from_secs(5)),
        &budget,
    )
    .expect_err("a 401 is no document");
    assert!(error.contains("401") && error.contains("NTLM"), "{error}");
}

#[test]
fn fetch_of_an_ip_literal_connects_only_when_allowed() {
    let lab = Lab::start(Behaviour::json(DOCUMENT));
    let url = Url::parse(&lab.server.url("127.0.0.1", PATH)).expect("url");
    let mut net = lab.net(Duration::from_secs(5));
    net.allow_private = false;
    let budget = Budget::new(Duration::from_secs(5));
    let error = http::fetch(&url, None, &net, &budget).expect_err("loopback is not public");
    assert!(error.contains("--allow-private"), "{error}");
    assert_eq!(lab.server.connections(), 0);
}

/// A minimal HTTP CONNECT proxy on loopback that tunnels every CONNECT to `to`
/// (the lab server), whatever host it names, and remembers what it was asked.
fn start_connect_proxy(to: SocketAddr) -> (SocketAddr, std::sync::mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (asked, heard) = std::sync::mpsc::channel();
    thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let asked = asked.clone();
            thread::spawn(move || tunnel(client, to, asked));
        }
    });
    (addr, heard)
}

fn tunnel(mut client: TcpStream, to: SocketAddr, asked: std::sync::mpsc::Sender<String>) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match client.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head).to_string();
    let _ = asked.send(head.lines().next().unwrap_or_default().to_string());
    let Ok(upstream) = TcpStream::connect(to) else {
        return;
    };
    if client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .is_err()
    {
        return;
    }
    let (Ok(mut client_read), Ok(mut upstream_write)) = (client.try_clone(), upstream.try_clone())
    else {
        return;
    };
    let upload = thread::spawn(move || std::io::copy(&mut client_read, &mut upstream_write));
    let mut upstream_read = upstream;
    let _ = std::io::copy(&mut upstream_read, &mut client);
    let _ = upload.join();
}

#[test]
fn through_a_proxy_the_request_is_tunnelled_and_the_report_says_so() {
    let lab = Lab::start(Behaviour::json(DOCUMENT));
    let (proxy, heard) = start_connect_proxy(lab.server.addr());
    let mut net = lab.net(Duration::from_secs(10));
    net.proxy = Some(ProxySetting {
        url: Url::parse(&format!("http://{proxy}")).expect("proxy url"),
        from_env: false,
    });
    let budget = Budget::new(Duration::from_secs(10));
    let started = Instant::now();
    let outcome = http::run(&lab.target(), lab.server.addr(), &net, &budget);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        access(&outcome).status,
        Status::Pass,
        "{:#?}",
        outcome.checks
    );
    assert_eq!(content(&outcome).status, Status::Pass);
    let connect = heard.recv_timeout(Duration::from_secs(1)).expect("CONNECT");
    // The vetted address, never the name: the proxy's resolver may differ.
    assert_eq!(connect, format!("CONNECT {} HTTP/1.1", lab.server.addr()));
    assert!(access(&outcome).details.contains_key("proxy_note"));
}

#[test]
fn a_body_without_content_length_is_cut_off_after_one_mib() {
    // Close-delimited: no Content-Length, so the limit must be counted while reading.
    let addr = answer_once(|stream| {
        let _ = stream.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n",
        );
        let chunk = vec![b' '; 64 * 1024];
        for _ in 0..48 {
            if stream.write_all(&chunk).is_err() {
                return;
            }
        }
    });
    let target = Target::from_url(&format!("http://{HOST}:{}{PATH}", addr.port())).expect("target");
    let net = net_with_roots(Vec::new(), Duration::from_secs(5));
    let budget = Budget::new(Duration::from_secs(5));
    let outcome = http::run(&target, addr, &net, &budget);
    let check = content(&outcome);
    assert_eq!(check.status, Status::Fail, "{:#?}", outcome.checks);
    assert_eq!(check.remedy, Some(Remedy::MetadataTooLarge));
    assert!(
        check.summary.contains("more than that was sent"),
        "{}",
        check.summary
    );
}

#[test]
fn an_early_hints_answer_before_the_response_lends_it_no_reason_phrase() {
    let addr = answer_once(|stream| {
        let answer = "HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n\
            HTTP/1.1 403 Forbidden ( The server denied the specified Uniform Resource Locator (URL). )\r\n\
            Content-Length: 0\r\nConnection: close\r\n\r\n";
        let _ = stream.write_all(answer.as_bytes());
    });
    let target = Target::from_url(&format!("http://{HOST}:{}{PATH}", addr.port())).expect("target");
    let net = net_with_roots(Vec::new(), Duration::from_secs(5));
    let budget = Budget::new(Duration::from_secs(5));
    let outcome = http::run(&target, addr, &net, &budget);
    let check = access(&outcome);
    assert_eq!(check.status, Status::Fail, "{:#?}", outcome.checks);
    let status_line = check.details["status_line"].as_str().expect("status_line");
    assert!(
        status_line.starts_with("HTTP/1.1 403 ") && !status_line.contains("Early Hints"),
        "{status_line}"
    );
}

/// A plain-HTTP server on 127.0.0.1 for one request: it reads the request,
/// then `answer` writes whatever it likes on the connection.
fn answer_once(answer: impl FnOnce(&mut TcpStream) + Send + 'static) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    thread::spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            answer(&mut stream);
        }
    });
    addr
}
