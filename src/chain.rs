//! Walks the links of the chain in order, stops at the first broken one and
//! marks every later check as skipped. The commands choose which links to walk.

use std::borrow::Cow;
use std::net::{IpAddr, SocketAddr};
use std::sync::mpsc::{self, Receiver};
use std::sync::Arc;
use std::thread;

use url::Url;

use crate::budget::Budget;
use crate::metadata::{self, MetadataDocument};
use crate::progress::Progress;
use crate::remedy::Remedy;
use crate::report::{Check, CheckId, Report, Stage, Status};
use crate::settings::{NetSettings, Settings};
use crate::target::Target;
use crate::token::{self, Token, TokenContext};
use crate::{dns, ews, http, key, tcp, tls};

/// Where the metadata document comes from.
#[derive(Debug, Clone)]
pub enum MetadataSource {
    /// Fetch the amurl, as SSI does.
    Amurl,
    /// A document saved to a file (offline), already read.
    File {
        /// The path, as the user gave it.
        path: String,
        /// The file's bytes.
        body: Vec<u8>,
    },
    /// Fetch this URL instead of the amurl (the commands walk it as the target).
    Url(Target),
}

/// What the network links found for one metadata URL: shared by every token
/// that names the same amurl in a batch.
#[derive(Debug, Clone)]
pub struct NetworkFindings {
    /// The checks of dns, tcp, tls, http and metadata (and ews when asked).
    pub checks: Vec<Check>,
    /// The parsed metadata document, when the links up to metadata held.
    pub document: Option<Arc<MetadataDocument>>,
    /// Notes for the report (a proxy, extra anchors).
    pub notes: Vec<String>,
}

/// The first failing check among `checks`, in chain order.
pub(crate) fn first_failure(checks: &[Check]) -> Option<CheckId> {
    checks
        .iter()
        .filter(|c| c.status.stops_the_chain())
        .map(|c| c.id)
        .min()
}

/// Runs dns, tcp, tls and http against `target`, bounded by one budget, then
/// judges the metadata document (and probes EWS when `probe_ews`).
///
/// The GET goes over the connection whose TLS was judged, and EWS is asked on
/// its own connection as soon as the address is known, beside the metadata
/// GET: the links cost the round trips of one request. EWS is still judged
/// after the metadata links, and skipped when one of them broke.
pub fn walk_network(
    target: &Target,
    net: &NetSettings,
    settings: &Settings,
    probe_ews: bool,
    source: &MetadataSource,
    progress: &Progress,
) -> NetworkFindings {
    let budget = Budget::new(net.timeout);
    let mut checks: Vec<Check> = Vec::new();
    let mut notes = network_notes(net);

    let mut ews = None;
    let start_ews = |addresses: &[IpAddr]| {
        if probe_ews {
            ews = Some(EwsProbe::start(target, addresses, net, &budget));
        }
    };
    let connected = connect_links(
        target,
        net,
        settings,
        &budget,
        &mut checks,
        progress,
        start_ews,
    );
    // A saved document is borrowed, not copied: it may be tens of MiB.
    let body: Option<Cow<'_, [u8]>> = match (connected, source) {
        (_, MetadataSource::File { path, body }) => {
            for id in CheckId::of_stage(Stage::Http) {
                checks.push(Check::skip(
                    *id,
                    format!("the metadata document was read from {path}"),
                ));
            }
            Some(Cow::Borrowed(body.as_slice()))
        }
        (Some(connection), MetadataSource::Amurl) => {
            progress.stage(Stage::Http, &target.host);
            let outcome = connection.get(target, net, &budget);
            adopt(&mut checks, outcome.handshake);
            checks.extend(outcome.checks);
            outcome.body.map(Cow::Owned)
        }
        (Some(_), MetadataSource::Url(other)) => {
            notes.push(format!(
                "the metadata document was fetched from {} (--metadata) instead of the amurl",
                other.url
            ));
            progress.stage(Stage::Http, &other.host);
            let (fetched, body) = fetch_elsewhere(other, net, settings, &budget, progress);
            checks.extend(fetched);
            body
        }
        _ => None,
    };

    let document = match body {
        Some(body) if first_failure(&checks).is_none() => {
            let outcome = metadata::judge(&body, settings.now);
            checks.extend(outcome.checks);
            outcome.document.map(Arc::new)
        }
        _ => None,
    };

    if probe_ews {
        let ews_check = match (first_failure(&checks), ews) {
            (Some(broken), _) => {
                Check::skip(CheckId::EwsReachable, format!("skipped: {broken} failed"))
            }
            (None, Some(ews)) => ews.finish(progress),
            (None, None) => Check::skip(CheckId::EwsReachable, "skipped: not reached"),
        };
        checks.push(ews_check);
    }
    NetworkFindings {
        checks,
        document,
        notes,
    }
}

/// What the report says of how the network was reached: a proxy, extra
/// trust anchors (both differ from how SSI reaches it).
pub(crate) fn network_notes(net: &NetSettings) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(proxy) = &net.proxy {
        notes.push(format!(
            "reached through the proxy {}: SSI connects directly, so a proxy can hide a firewall problem",
            proxy.shown()
        ));
    }
    if let Some(path) = &net.ca_file {
        notes.push(format!(
            "extra trust anchors from {} were added to the public roots: SSI trusts only public roots",
            path.display()
        ));
    }
    notes
}

/// Puts `handshake` (the `tls.handshake` the request revealed) in place of
/// the one the `tls` link gave.
pub(crate) fn adopt(checks: &mut [Check], handshake: Option<Check>) {
    if let Some(handshake) = handshake {
        if let Some(slot) = checks.iter_mut().find(|c| c.id == CheckId::TlsHandshake) {
            *slot = handshake;
        }
    }
}

/// `ews.reachable` under way on its own thread and connection, within the
/// same budget. A probe whose chain breaks earlier is never waited for: its
/// thread ends by itself, at the latest when the budget does.
struct EwsProbe {
    url: Url,
    answer: Receiver<Check>,
}

impl EwsProbe {
    /// Starts asking EWS. `addresses` are the target's vetted addresses (the
    /// one the tcp link connected to first), used
    /// when the EWS URL is on the amurl's host and port (no second DNS
    /// lookup, with or without a proxy: behind one they are what the
    /// private-address rule was judged on); another host is resolved on the
    /// EWS thread.
    fn start(target: &Target, addresses: &[IpAddr], net: &NetSettings, budget: &Budget) -> Self {
        let url = net.ews_url.clone().unwrap_or_else(|| target.ews_url());
        let same_endpoint = url
            .host_str()
            .map(|h| {
                h.trim_matches(['[', ']'])
                    .eq_ignore_ascii_case(&target.host)
            })
            .unwrap_or(false)
            && url.port_or_known_default() == Some(target.port);
        let peers: Vec<SocketAddr> = if same_endpoint {
            addresses
                .iter()
                .map(|ip| SocketAddr::new(*ip, target.port))
                .collect()
        } else {
            Vec::new()
        };
        let (sender, answer) = mpsc::channel();
        let (thread_url, thread_net, thread_budget) = (url.clone(), net.clone(), *budget);
        let spawned = thread::Builder::new().name("ews".into()).spawn(move || {
            let check = ews::run_at(&thread_url, &peers, &thread_net, &thread_budget);
            // The walk may have gone on without EWS (an earlier link broke).
            let _ = sender.send(check);
        });
        if let Err(e) = spawned {
            let (sender, answer) = mpsc::channel();
            let _ = sender.send(Check::error(
                CheckId::EwsReachable,
                format!("EWS could not be asked: no thread for it ({e})"),
                Remedy::EwsUnreachable,
            ));
            return EwsProbe { url, answer };
        }
        EwsProbe { url, answer }
    }

    /// The check, once the thread has it (it keeps to the budget).
    fn finish(self, progress: &Progress) -> Check {
        progress.stage(Stage::Ews, self.url.host_str().unwrap_or_default());
        self.answer.recv().unwrap_or_else(|_| {
            Check::error(
                CheckId::EwsReachable,
                "EWS could not be asked: its thread ended without an answer",
                Remedy::EwsUnreachable,
            )
        })
    }
}

/// How the metadata GET will reach the target once dns, tcp and tls held.
pub(crate) enum Connection {
    /// The TLS connection the `tls` link established (boxed: it is large).
    Secured(SocketAddr, Box<tls::Session>),
    /// A plain-http target: a new connection to this address.
    Plain(SocketAddr),
}

impl Connection {
    /// The address the connection goes to (the server, or the proxy).
    pub(crate) fn peer(&self) -> SocketAddr {
        match self {
            Connection::Secured(peer, _) | Connection::Plain(peer) => *peer,
        }
    }

    /// The GET of `target` over this connection, which is kept for a next
    /// GET to the same host and port when it is a TLS one.
    pub(crate) fn get_keeping(
        self,
        target: &Target,
        net: &NetSettings,
        budget: &Budget,
    ) -> (http::HttpOutcome, Option<http::KeptConnection>) {
        match self {
            Connection::Secured(peer, session) => {
                let (outcome, kept) = http::run_keeping(target, peer, *session, net, budget);
                (outcome, Some(kept))
            }
            Connection::Plain(peer) => (http::run(target, peer, net, budget), None),
        }
    }

    /// The GET of `target` over this connection.
    pub(crate) fn get(
        self,
        target: &Target,
        net: &NetSettings,
        budget: &Budget,
    ) -> http::HttpOutcome {
        match self {
            Connection::Secured(peer, session) => {
                http::run_over(target, peer, *session, net, budget)
            }
            Connection::Plain(peer) => http::run(target, peer, net, budget),
        }
    }
}

/// dns, tcp and tls for `target`; the connection to carry the GET when they
/// held. `resolved` is called with the addresses, the one tcp connects to
/// first, as soon as that one is known (after dns when it is the only one).
pub(crate) fn connect_links(
    target: &Target,
    net: &NetSettings,
    settings: &Settings,
    budget: &Budget,
    checks: &mut Vec<Check>,
    progress: &Progress,
    resolved: impl FnOnce(&[IpAddr]),
) -> Option<Connection> {
    progress.stage(Stage::Dns, &target.host);
    let found = dns::run(target, net, budget);
    checks.extend(found.checks);
    if first_failure(checks).is_some() {
        return None;
    }
    // EWS goes first to the address the tcp link connects to (a name may
    // have more addresses than the HTTP client takes): known now when only
    // one may be connected to, else once tcp has connected.
    let mut resolved = Some(resolved);
    let candidates = found
        .addresses
        .iter()
        .filter(|ip| crate::net::connect_allowed(**ip, net.allow_private))
        .count();
    if candidates <= 1 {
        if let Some(resolved) = resolved.take() {
            resolved(&found.addresses);
        }
    }
    progress.stage(Stage::Tcp, &target.host);
    let connected = tcp::run(target, &found.addresses, net, budget);
    checks.extend(connected.checks);
    let (Some(stream), Some(peer)) = (connected.stream, connected.reached) else {
        return None;
    };
    if let Some(resolved) = resolved.take() {
        let mut order = vec![peer.ip()];
        order.extend(found.addresses.iter().filter(|ip| **ip != peer.ip()));
        resolved(&order);
    }
    if target.is_plain_http() {
        for id in CheckId::of_stage(Stage::Tls) {
            checks.push(Check::skip(*id, "the URL is plain http: no TLS"));
        }
        return Some(Connection::Plain(peer));
    }
    progress.stage(Stage::Tls, &target.host);
    let (secured, session) = tls::establish(stream, target, net, budget, settings.now);
    checks.extend(secured.checks);
    if first_failure(checks).is_some() {
        return None;
    }
    session.map(|session| Connection::Secured(peer, Box::new(session)))
}

/// Fetches a `--metadata URL` other than the amurl: its own dns, tcp and tls
/// links must hold, but they are not the amurl's, so a failure among them is
/// reported as the fetch's (`http.access`) rather than under the amurl's ids.
pub(crate) fn fetch_elsewhere(
    other: &Target,
    net: &NetSettings,
    settings: &Settings,
    budget: &Budget,
    progress: &Progress,
) -> (Vec<Check>, Option<Cow<'static, [u8]>>) {
    let mut links = Vec::new();
    let connection = connect_links(other, net, settings, budget, &mut links, progress, |_| {});
    let Some(connection) = connection else {
        let broken = links
            .into_iter()
            .filter(|c| c.status.stops_the_chain())
            .min_by_key(|c| c.id);
        let (summary, remedy) = match broken {
            Some(c) => (
                format!("{} failed: {}", c.id, c.summary),
                c.remedy.unwrap_or(Remedy::MetadataNotFound),
            ),
            None => ("no connection".to_string(), Remedy::MetadataNotFound),
        };
        let check = Check::fail(
            CheckId::HttpAccess,
            format!(
                "the --metadata URL {} could not be fetched: {summary}",
                other.url
            ),
            remedy,
        );
        return (vec![check], None);
    };
    let outcome = connection.get(other, net, budget);
    if let Some(refused) = outcome.handshake {
        let check = Check::fail(
            CheckId::HttpAccess,
            format!(
                "the --metadata URL {} could not be fetched: {} failed: {}",
                other.url, refused.id, refused.summary
            ),
            refused.remedy.unwrap_or(Remedy::MetadataNotFound),
        );
        return (vec![check], None);
    }
    (outcome.checks, outcome.body.map(Cow::Owned))
}

/// Runs the token link on raw input and records it in the report.
pub fn walk_token(report: &mut Report, input: &str, settings: &Settings) -> Option<Token> {
    let ctx = TokenContext {
        now: settings.now,
        audience: settings.audience.clone(),
    };
    let analysis = token::analyze(input, &ctx);
    report.notes.extend(analysis.notes);
    report.extend(analysis.checks);
    if let Some(token) = &analysis.token {
        report.token = Some(token.facts());
    }
    analysis.token
}

/// Adds network findings to a report and the key link when a token and a document are at hand.
pub fn conclude(
    report: &mut Report,
    token: Option<&Token>,
    findings: Option<&NetworkFindings>,
    key_link: bool,
    settings: &Settings,
) {
    if let Some(findings) = findings {
        report.notes.extend(findings.notes.iter().cloned());
        report.extend(findings.checks.iter().cloned());
    }
    if key_link {
        // Only a link before `key` stops it: EWS, probed with the network
        // links, comes after the key link in the chain.
        let broken = report
            .checks()
            .into_iter()
            .any(|c| c.status.stops_the_chain() && c.id.stage() < Stage::Key);
        let document = findings.and_then(|f| f.document.as_deref());
        if let (Some(token), Some(document), false) = (token, document, broken) {
            let signature = token.signature().unwrap_or_default();
            report.extend(key::judge(
                token.x5t(),
                token.signing_input(),
                signature,
                document,
                settings.now,
            ));
        }
    }
    // EWS is probed with the rest of the network links (and shared in a batch),
    // but a broken key link comes first in the chain: EWS is then not reached.
    let broken_before_ews = report
        .checks()
        .into_iter()
        .filter(|c| c.status.stops_the_chain() && c.id.stage() < Stage::Ews)
        .map(|c| c.id)
        .min();
    if let Some(broken) = broken_before_ews {
        if report.get(CheckId::EwsReachable).is_some() {
            report.push(Check::skip(
                CheckId::EwsReachable,
                format!("skipped: {broken} failed"),
            ));
        }
    }
}

/// Fills every check of `stages` that has no result with a skip, naming the
/// broken link when there is one.
pub fn skip_the_rest(report: &mut Report, stages: &[Stage]) {
    let broken = report
        .checks()
        .into_iter()
        .find(|c| c.status.stops_the_chain())
        .map(|c| (c.id, c.status));
    let reason = match broken {
        Some((id, Status::Error)) => format!("skipped: {id} could not be checked from here"),
        Some((id, _)) => format!("skipped: {id} failed"),
        None => "skipped: not reached".to_string(),
    };
    for stage in stages {
        report.skip_stage(*stage, &reason);
    }
}
