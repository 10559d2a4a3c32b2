//! An anonymous GET of the amurl, the way SSI makes it: no credentials, no
//! redirects followed, at most 1 MiB of body, to the address the `tcp` link
//! connected to, within the shared budget.
//!
//! [`judge()`] decides `http.access` and `http.content` from the gathered
//! [`HttpFacts`]; [`run`] gathers them. The request itself (agent, pinned
//! resolver, trust anchors) lives in one place that `ews` and
//! `keys --metadata URL` ([`fetch`]) use too.

pub(crate) mod client;
pub mod front_end;
mod judge;

use std::net::{IpAddr, SocketAddr};

use url::{Host, Url};

pub use client::{BODY_LIMIT, USER_AGENT};
pub(crate) use judge::name_front_end;
pub use judge::{
    html_title, judge, login_hint, parse_challenges, sanitize, strip_bom, BodyOutcome, Challenge,
    HttpFacts,
};

use crate::budget::Budget;
use crate::remedy::Remedy;
use crate::report::{Check, CheckId, Status};
use crate::settings::NetSettings;
use crate::target::Target;
use crate::tls::{Session, SessionRecord};
use client::{BodyRead, Destination, Failure};
use std::sync::Arc;

/// What the `http` link found.
#[derive(Debug, Clone)]
pub struct HttpOutcome {
    /// `http.access` and `http.content`, in that order.
    pub checks: Vec<Check>,
    /// The document (without a UTF-8 byte order mark) when `http.content` passed.
    pub body: Option<Vec<u8>>,
    /// `tls.handshake` as it really went, when the server refused the request
    /// for want of a client certificate after a handshake that looked
    /// complete (the `http` checks are then skipped): it replaces the one the
    /// `tls` link gave.
    pub handshake: Option<Check>,
}

/// Runs the `http` link: GETs `target.url` from `peer` (the target's
/// address `tcp` connected to, already vetted), through a tunnel to it when
/// `net.proxy` is set.
///
/// A plain-http target is fetched too (over http, to say what answers) but
/// `http.access` fails: SSI fetches only https.
pub fn run(target: &Target, peer: SocketAddr, net: &NetSettings, budget: &Budget) -> HttpOutcome {
    run_via(target, peer, Via::Fresh, net, budget)
}

/// A TLS connection that carried one GET (see [`run_keeping`]) and may carry
/// the next one to the same host and port.
#[derive(Debug)]
pub struct KeptConnection {
    agent: client::SessionAgent,
    record: Arc<SessionRecord>,
    peer: SocketAddr,
}

impl KeptConnection {
    /// Runs the `http` link on `target` (same host and port) over the kept
    /// connection; over a new one to the same address when the server did
    /// not keep it open, as any HTTP client retries an idempotent GET.
    pub fn run(&self, target: &Target, net: &NetSettings, budget: &Budget) -> HttpOutcome {
        let via = Via::Kept(&self.agent, Arc::clone(&self.record));
        run_via(target, self.peer, via, net, budget)
    }
}

/// Runs the `http` link like [`run_over`], and keeps the connection for a
/// next GET to the same host and port ([`KeptConnection::run`]): two
/// documents for the round trips of one connection.
pub fn run_keeping(
    target: &Target,
    peer: SocketAddr,
    session: Session,
    net: &NetSettings,
    budget: &Budget,
) -> (HttpOutcome, KeptConnection) {
    let record = session.record();
    let destination = Destination::new(&target.url);
    let kept = KeptConnection {
        agent: client::SessionAgent::new(&destination, session, peer, budget),
        record,
        peer,
    };
    let via = Via::Kept(&kept.agent, Arc::clone(&kept.record));
    (run_via(target, peer, via, net, budget), kept)
}

/// How a GET reaches the server.
enum Via<'a> {
    /// A new connection.
    Fresh,
    /// The connection the `tls` link established, with what its handshake recorded.
    Kept(&'a client::SessionAgent, Arc<SessionRecord>),
}

/// Runs the `http` link like [`run`], over `session`: the TLS connection the
/// `tls` link established to `peer` (directly, or through the proxy's
/// tunnel to it), so the GET costs no new connection or handshake.
pub fn run_over(
    target: &Target,
    peer: SocketAddr,
    session: Session,
    net: &NetSettings,
    budget: &Budget,
) -> HttpOutcome {
    let record = session.record();
    let destination = Destination::new(&target.url);
    let agent = client::SessionAgent::new(&destination, session, peer, budget);
    run_via(target, peer, Via::Kept(&agent, record), net, budget)
}

fn run_via(
    target: &Target,
    peer: SocketAddr,
    via: Via<'_>,
    net: &NetSettings,
    budget: &Budget,
) -> HttpOutcome {
    let destination = Destination::new(&target.url);
    let addrs = vetted(&[peer.ip()], peer.port(), net);
    let record = match &via {
        Via::Kept(_, record) => Some(Arc::clone(record)),
        Via::Fresh => None,
    };
    let outcome = match (&addrs, via) {
        (Ok(addrs), Via::Kept(agent, _)) => {
            let asked = record
                .as_ref()
                .is_some_and(|r| r.client_certificate_requested());
            // An error page may say why a client certificate was wanted.
            let read = |status: u16| {
                (200..300).contains(&status) || (asked && matches!(status, 400 | 403))
            };
            match agent.get(&destination, budget) {
                Ok(Some(answer)) => Ok(gather(answer, &destination, budget, read)),
                // The server closed the kept connection: a new one, as any
                // HTTP client retries an idempotent GET.
                Ok(None) => exchange(&destination, addrs, net, budget, true),
                Err(failure) => Err(failure),
            }
        }
        (Ok(addrs), Via::Fresh) => exchange(&destination, addrs, net, budget, true),
        (Err(why), _) => Err(Failure::NotAllowed(why.clone())),
    };
    if let Some(record) = &record {
        let (status, body): (Option<u16>, &[u8]) = match &outcome {
            Ok(facts) => (
                Some(facts.status),
                match &facts.body {
                    BodyOutcome::Complete(bytes) => bytes,
                    _ => &[],
                },
            ),
            Err(_) => (None, &[]),
        };
        if let Some(handshake) = record.client_certificate_refusal(status, body) {
            let why = "not judged: the server refused the TLS client (see tls.handshake)";
            return HttpOutcome {
                checks: vec![
                    Check::skip(CheckId::HttpAccess, why),
                    Check::skip(CheckId::HttpContent, why),
                ],
                body: None,
                handshake: Some(handshake),
            };
        }
    }
    let (mut checks, body) = match outcome {
        Ok(facts) => {
            let checks = judge(&facts);
            let body = match (&checks[1].status, facts.body) {
                (Status::Pass, BodyOutcome::Complete(bytes)) => Some(strip_bom(&bytes).to_vec()),
                _ => None,
            };
            (checks, body)
        }
        Err(failure) => (
            vec![
                access_failure(&destination.url, &failure, budget, net),
                Check::skip(
                    CheckId::HttpContent,
                    "not judged: no HTTP answer (see http.access)",
                ),
            ],
            None,
        ),
    };
    if let (Ok(addrs), Some(access)) = (&addrs, checks.first_mut()) {
        annotate(access, &destination, addrs, net);
    }
    HttpOutcome {
        checks,
        body,
        handshake: None,
    }
}

/// Downloads a document the way [`run`] does and returns its bytes (without a
/// byte order mark), or why not in one line: for `keys --metadata URL`.
///
/// `peer` is an address already vetted for the URL's host; without one the
/// host is resolved with [`crate::dns::resolve_for_connect`] and only
/// addresses the `--allow-private` rule admits are used.
pub fn fetch(
    url: &Url,
    peer: Option<SocketAddr>,
    net: &NetSettings,
    budget: &Budget,
) -> Result<Vec<u8>, String> {
    let destination = Destination::new(url);
    if !matches!(url.scheme(), "https" | "http") {
        return Err(format!("{url}: only https (or http) URLs can be fetched"));
    }
    let addrs = addresses(&destination.url, peer, net, budget).map_err(|u| u.why)?;
    let facts = exchange(&destination, &addrs, net, budget, true).map_err(|f| {
        format!(
            "GET {}: {}",
            destination.url,
            f.describe(&budget.total_secs_text())
        )
    })?;
    let checks = judge(&facts);
    // Plain http is the caller's explicit choice here; only the answer matters.
    if facts.status != 200 || checks[1].status != Status::Pass {
        let first_bad = checks
            .iter()
            .find(|c| matches!(c.status, Status::Fail | Status::Warn))
            .map(|c| c.summary.clone())
            .unwrap_or_else(|| format!("GET {}: {}", destination.url, facts.status_line()));
        return Err(first_bad);
    }
    match facts.body {
        BodyOutcome::Complete(bytes) => Ok(strip_bom(&bytes).to_vec()),
        _ => Err(format!(
            "GET {}: the body could not be read",
            destination.url
        )),
    }
}

/// The addresses to connect to for `url`'s host: `peer` when given, the
/// literal when the host is an IP address, else what
/// [`crate::dns::resolve_for_connect`] answers; always filtered through the
/// `--allow-private` rule. With a proxy they are what the tunnel goes to.
pub(crate) fn addresses(
    url: &Url,
    peer: Option<SocketAddr>,
    net: &NetSettings,
    budget: &Budget,
) -> Result<Vec<SocketAddr>, crate::dns::Unresolved> {
    let port = url.port_or_known_default().unwrap_or(443);
    if let Some(peer) = peer {
        return Ok(vetted(&[peer.ip()], port, net)?);
    }
    let ips = match url.host() {
        Some(Host::Ipv4(ip)) => vec![IpAddr::V4(ip)],
        Some(Host::Ipv6(ip)) => vec![IpAddr::V6(ip)],
        Some(Host::Domain(name)) => {
            crate::dns::resolve_for_connect(name.trim_end_matches('.'), port, net, budget)?
        }
        None => return Err(format!("{url} names no host").into()),
    };
    Ok(vetted(&ips, port, net)?)
}

/// The addresses the tool may connect to, or why none: never a non-public
/// address without `--allow-private`.
pub(crate) fn vetted(
    ips: &[IpAddr],
    port: u16,
    net: &NetSettings,
) -> Result<Vec<SocketAddr>, String> {
    let allowed: Vec<SocketAddr> = ips
        .iter()
        .filter(|ip| crate::net::connect_allowed(**ip, net.allow_private))
        .map(|ip| SocketAddr::new(*ip, port))
        .collect();
    match (allowed.is_empty(), ips.first()) {
        (false, _) => Ok(allowed),
        (true, Some(first)) => Err(crate::net::refusal(*first)),
        (true, None) => Err("no address to connect to".to_string()),
    }
}

/// Makes the request and gathers the facts; `read_document_bodies` reads the
/// body of 2xx answers (anything else is judged on its status alone).
pub(crate) fn exchange(
    destination: &Destination,
    addrs: &[SocketAddr],
    net: &NetSettings,
    budget: &Budget,
    read_document_bodies: bool,
) -> Result<HttpFacts, Failure> {
    exchange_reading(destination, addrs, net, budget, |status| {
        read_document_bodies && (200..300).contains(&status)
    })
}

/// [`exchange`], reading the body of the answers whose status `read` names
/// (an error document, such as Entra's 400 for an unknown tenant, says why).
pub(crate) fn exchange_reading(
    destination: &Destination,
    addrs: &[SocketAddr],
    net: &NetSettings,
    budget: &Budget,
    read: impl Fn(u16) -> bool,
) -> Result<HttpFacts, Failure> {
    let answer = client::get(destination, addrs, net, budget)?;
    Ok(gather(answer, destination, budget, read))
}

/// The facts of an answer; the body is read when `read_body` says so for its status.
fn gather(
    answer: client::Answer,
    destination: &Destination,
    budget: &Budget,
    read_body: impl Fn(u16) -> bool,
) -> HttpFacts {
    let client::Answer {
        mut response,
        sent_reason,
    } = answer;
    let status = response.status();
    let reason = status.canonical_reason().unwrap_or_default();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = if read_body(status.as_u16()) {
        match client::read_body(&mut response, budget) {
            BodyRead::Complete(bytes) => BodyOutcome::Complete(bytes),
            BodyRead::TooLarge { declared } => BodyOutcome::TooLarge { declared },
            BodyRead::Broken {
                received,
                failure: Failure::TimedOut,
            } => BodyOutcome::TimedOut {
                received,
                after: budget.total_secs_text(),
            },
            BodyRead::Broken { received, failure } => BodyOutcome::Failed {
                received,
                error: failure.describe(&budget.total_secs_text()),
            },
        }
    } else {
        BodyOutcome::NotRead
    };
    HttpFacts {
        url: destination.url.clone(),
        version: format!("{:?}", response.version()),
        status: status.as_u16(),
        reason: reason.to_string(),
        sent_reason: sent_reason
            .filter(|sent| !sent.is_empty() && !sent.eq_ignore_ascii_case(reason)),
        headers,
        body,
    }
}

/// When the request went through `--proxy` and the proxy itself failed it
/// (refused the connection, or answered CONNECT with an error such as 407):
/// `id` is an `error` with cause `proxy`, nothing being known about the target.
pub(crate) fn proxy_failure(
    id: CheckId,
    url: &Url,
    failure: &Failure,
    net: &NetSettings,
) -> Option<Check> {
    let proxy = net.proxy.as_ref()?;
    if let Failure::ProxyRefusedAddress {
        destination,
        status_line,
    } = failure
    {
        let host = url.host_str().unwrap_or_default();
        return Some(
            Check::error(
                id,
                format!(
                    "GET {url}: {}",
                    crate::net::proxy::address_refusal(
                        &proxy.shown(),
                        destination,
                        host,
                        &sanitize(status_line, 200)
                    )
                ),
                Remedy::ProxyFailed,
            )
            .with_detail("cause", "proxy")
            .with_detail("proxy_refuses_addresses", true),
        );
    }
    if !matches!(failure, Failure::Proxy(_) | Failure::Refused(_)) {
        return None;
    }
    let check = Check::error(
        id,
        format!(
            "GET {url}: the proxy {} failed it ({}): nothing is known about the target from here",
            proxy.shown(),
            failure.describe("")
        ),
        Remedy::ProxyFailed,
    )
    .with_detail("cause", "proxy");
    Some(match failure.raw() {
        Some(raw) => check.with_detail("error", sanitize(raw, 300)),
        None => check,
    })
}

/// `http.access` when no complete status line and headers came back.
fn access_failure(url: &Url, failure: &Failure, budget: &Budget, net: &NetSettings) -> Check {
    if let Some(check) = proxy_failure(CheckId::HttpAccess, url, failure, net) {
        return check;
    }
    let what = failure.describe(&budget.total_secs_text());
    let remedy = match failure {
        Failure::TimedOut => Remedy::TimedOut,
        Failure::Refused(_) => Remedy::PortClosed,
        Failure::Tls {
            certificate: true, ..
        } => Remedy::TlsChainUntrusted,
        Failure::Tls { .. } => Remedy::TlsHandshake,
        Failure::Proxy(_) | Failure::ProxyRefusedAddress { .. } | Failure::NoAddress => {
            Remedy::Unreachable
        }
        Failure::NotAllowed(_) => Remedy::PublicAddress,
        Failure::Reset(_) | Failure::Malformed(_) | Failure::Other(_) => {
            Remedy::MetadataServerError
        }
    };
    let summary = match failure {
        Failure::TimedOut => {
            format!("GET {url}: no complete status line and headers: {what}")
        }
        Failure::NotAllowed(_) => format!("GET {url}: not attempted: {what}"),
        _ => format!("GET {url}: no HTTP answer: {what}"),
    };
    let mut check = Check::fail(CheckId::HttpAccess, summary, remedy);
    if let Some(raw) = failure.raw() {
        check = check.with_detail("error", sanitize(raw, 300));
    }
    if let (None, Some(env)) = (&net.proxy, &net.env_proxy_unused) {
        if failure.is_connectivity() {
            check = check.with_detail(
                "proxy_hint",
                format!(
                    "a proxy is set in the environment ({}); if this machine must use it, retry with --proxy env (SSI itself connects directly)",
                    sanitize(&crate::net::redact_proxy_text(env), 120)
                ),
            );
        }
    }
    check
}

/// Adds how the request was made to `check`'s details: the address, a proxy,
/// dropped credentials, extra trust anchors.
pub(crate) fn annotate(
    check: &mut Check,
    destination: &Destination,
    addrs: &[SocketAddr],
    net: &NetSettings,
) {
    let details = &mut check.details;
    if let Some(proxy) = &net.proxy {
        details.insert("proxy".into(), proxy.shown().into());
        details.insert(
            "proxy_note".into(),
            "sent through a tunnel to the address the tool resolved and vetted (the proxy resolved no name); SSI connects directly".into(),
        );
    }
    let shown: Vec<String> = addrs.iter().map(SocketAddr::to_string).collect();
    details.insert("connected_to".into(), serde_json::json!(shown));
    if destination.had_credentials {
        details.insert(
            "credentials_dropped".into(),
            "the URL carried a user name or password; they were not sent".into(),
        );
    }
    if !net.extra_roots.is_empty() {
        details.insert(
            "extra_trust_anchors".into(),
            format!(
                "{} certificate(s) from --ca-file trusted besides the public roots",
                net.extra_roots.len()
            )
            .into(),
        );
    }
}
