//! Gathers the network facts of the NAA chain: dns, tcp and tls on the
//! authority host of the discovery URL, the GET of the discovery document,
//! then the GET of its `jwks_uri`, and the judgement of both documents. The
//! machinery is the legacy chain's ([`crate::chain`], [`crate::http`]).

use std::sync::Arc;

use url::Url;

use super::documents::{self, Discovery, ExpectedIssuer, Jwks};
use crate::budget::Budget;
use crate::chain::{self, Connection};
use crate::http::KeptConnection;
use crate::progress::Progress;
use crate::remedy::Remedy;
use crate::report::{Check, CheckId, Stage, Status};
use crate::settings::{NetSettings, Settings};
use crate::target::Target;

/// What the network links of the NAA chain found: shared in shape with the
/// legacy chain's [`chain::NetworkFindings`], with Entra's documents.
#[derive(Debug, Clone)]
pub struct EntraFindings {
    /// The checks of dns, tcp, tls, http and metadata, in chain order (the
    /// links after a broken one are left out: the caller skips them).
    pub checks: Vec<Check>,
    /// The discovery document, when it was read.
    pub discovery: Option<Discovery>,
    /// The key set, when it was read.
    pub jwks: Option<Arc<Jwks>>,
    /// Notes for the report (a proxy, extra anchors).
    pub notes: Vec<String>,
}

/// Walks dns, tcp and tls on the host of `discovery_url`, GETs the discovery
/// document and then its `jwks_uri` (each an anonymous GET that must give
/// 200 with JSON; `details.url` names the one judged), and judges both
/// documents (`metadata.document`, `metadata.keys`, `metadata.certificate`).
/// No token is needed: the key checks are the caller's.
///
/// `expected`, when given (a token's `iss` and `tid`), is what the discovery
/// document's `issuer` must equal once its `{tenantid}` is replaced by the
/// `tid`. Without it (a tenant found from a mail domain), any issuer is taken
/// and [`Discovery::tenant_id`] says which tenant answered.
///
/// A `jwks_uri` on the same host and port is fetched from the address the
/// discovery document came from (no second DNS lookup); one elsewhere is
/// walked with its own dns, tcp and tls, any failure of which is charged to
/// `http.access`. Everything runs within one `net.timeout` budget.
pub fn walk_entra_network(
    discovery_url: &Url,
    expected: Option<&ExpectedIssuer>,
    net: &NetSettings,
    settings: &Settings,
    progress: &Progress,
) -> EntraFindings {
    let budget = Budget::new(net.timeout);
    let mut findings = EntraFindings {
        checks: Vec::new(),
        discovery: None,
        jwks: None,
        notes: chain::network_notes(net),
    };
    let target = match Target::from_url(discovery_url.as_str()) {
        Ok(target) => target,
        Err(e) => {
            findings.checks.push(Check::fail(
                CheckId::HttpAccess,
                format!("the discovery URL {discovery_url} cannot be fetched: {e}"),
                Remedy::EntraDiscovery,
            ));
            return findings;
        }
    };
    let checks = &mut findings.checks;
    let Some(connection) =
        chain::connect_links(&target, net, settings, &budget, checks, progress, |_| {})
    else {
        return findings;
    };
    let peer = connection.peer();
    progress.stage(Stage::Http, &target.host);
    let (discovery_http, body, kept) = get(connection, &target, net, &budget, checks);
    let Some(body) = body.filter(|_| chain::first_failure(&discovery_http).is_none()) else {
        checks.extend(discovery_http);
        return findings;
    };
    let discovery = match documents::read_discovery(&target.url, &body) {
        Ok(d) => d,
        Err(failed) => {
            checks.extend(discovery_http);
            checks.push(failed);
            return findings;
        }
    };
    if let Some(mismatch) = expected.and_then(|e| documents::issuer_mismatch(&discovery, e)) {
        checks.extend(discovery_http);
        checks.push(mismatch);
        findings.discovery = Some(discovery);
        return findings;
    }
    let over = Over {
        authority: &target,
        peer,
        kept: kept.as_ref(),
    };
    let (jwks_http, body) =
        fetch_jwks(&discovery.jwks_uri, &over, net, settings, &budget, progress);
    checks.extend(merge(discovery_http, jwks_http));
    if let Some(body) = body.filter(|_| chain::first_failure(checks).is_none()) {
        match documents::read_jwks(discovery.jwks_uri.as_str(), &body) {
            Ok(jwks) => {
                checks.push(documents::document_pass(
                    Some(&discovery),
                    discovery.jwks_uri.as_str(),
                    &jwks,
                ));
                checks.extend(documents::judge_keys(&jwks, settings.now));
                findings.jwks = Some(Arc::new(jwks));
            }
            Err(failed) => checks.push(failed),
        }
    }
    findings.discovery = Some(discovery);
    findings
}

/// The GET of `target` over `connection`: its two http checks (each naming
/// the URL, a failure given Entra's remedy), the body when they passed, and
/// the connection kept for the next GET.
fn get(
    connection: Connection,
    target: &Target,
    net: &NetSettings,
    budget: &Budget,
    checks: &mut [Check],
) -> (Vec<Check>, Option<Vec<u8>>, Option<KeptConnection>) {
    let (outcome, kept) = connection.get_keeping(target, net, budget);
    chain::adopt(checks, outcome.handshake);
    (label(outcome.checks, &target.url), outcome.body, kept)
}

/// Where the discovery document came from: the key set on the same host and
/// port is fetched over the same connection.
struct Over<'a> {
    authority: &'a Target,
    peer: std::net::SocketAddr,
    kept: Option<&'a KeptConnection>,
}

/// The http checks of one GET, naming its URL; a failure of the answer
/// (not of this machine) gets Entra's remedy.
fn label(checks: Vec<Check>, url: &Url) -> Vec<Check> {
    checks
        .into_iter()
        .map(|mut check| {
            if check.status == Status::Fail && check.remedy != Some(Remedy::TimedOut) {
                check.remedy = Some(Remedy::EntraDiscovery);
            }
            check.with_detail("url", url.as_str())
        })
        .collect()
}

/// The GET of the key set: over the discovery document's connection when
/// the `jwks_uri` is on its host and port (a new one to the same address
/// when the server closed it), else walked on its own host.
fn fetch_jwks(
    jwks_uri: &Url,
    over: &Over<'_>,
    net: &NetSettings,
    settings: &Settings,
    budget: &Budget,
    progress: &Progress,
) -> (Vec<Check>, Option<Vec<u8>>) {
    let target = match Target::from_url(jwks_uri.as_str()) {
        Ok(target) => target,
        Err(e) => {
            let check = Check::fail(
                CheckId::HttpAccess,
                format!("the jwks_uri {jwks_uri} cannot be fetched: {e}"),
                Remedy::EntraDiscovery,
            );
            return (vec![check], None);
        }
    };
    progress.stage(Stage::Http, &target.host);
    if target.host == over.authority.host && target.port == over.authority.port {
        let outcome = match over.kept {
            Some(kept) => kept.run(&target, net, budget),
            None => crate::http::run(&target, over.peer, net, budget),
        };
        return (label(outcome.checks, jwks_uri), outcome.body);
    }
    let (checks, body) = chain::fetch_elsewhere(&target, net, settings, budget, progress);
    (label(checks, jwks_uri), body.map(|b| b.into_owned()))
}

/// One `http.access` and one `http.content` for the two GETs: the key set's
/// where it failed, else both passing, named together.
fn merge(discovery: Vec<Check>, jwks: Vec<Check>) -> Vec<Check> {
    discovery
        .into_iter()
        .map(|first| {
            let Some(second) = jwks.iter().find(|c| c.id == first.id) else {
                return first;
            };
            if second.status != Status::Pass {
                return second.clone();
            }
            let urls = [first.details.get("url"), second.details.get("url")];
            let mut merged = Check::pass(
                first.id,
                format!("{}; then {}", first.summary, second.summary),
            );
            merged.details = second.details.clone();
            merged.with_detail(
                "urls",
                urls.into_iter().flatten().cloned().collect::<Vec<_>>(),
            )
        })
        .collect()
}

/// The metadata checks of a key set read from `body` (`source` names it).
fn key_set_findings(source: &str, body: &[u8], now: time::OffsetDateTime) -> EntraFindings {
    let mut checks = Vec::new();
    let jwks = match documents::read_jwks(source, body) {
        Ok(jwks) => {
            checks.push(documents::document_pass(None, source, &jwks));
            checks.extend(documents::judge_keys(&jwks, now));
            Some(Arc::new(jwks))
        }
        Err(failed) => {
            checks.push(failed);
            None
        }
    };
    EntraFindings {
        checks,
        discovery: None,
        jwks,
        notes: Vec::new(),
    }
}

/// The metadata checks of a key set saved to a file (`keys TOKEN --metadata
/// jwks.json`, offline).
pub fn offline_findings(path: &str, body: &[u8], now: time::OffsetDateTime) -> EntraFindings {
    key_set_findings(path, body, now)
}

/// The key set at `url` (`keys TOKEN --metadata URL`), fetched as the http
/// link fetches any document, then judged.
pub fn fetched_findings(url: &Url, net: &NetSettings, now: time::OffsetDateTime) -> EntraFindings {
    let budget = Budget::new(net.timeout);
    match crate::http::fetch(url, None, net, &budget) {
        Ok(body) => {
            let mut findings = key_set_findings(url.as_str(), &body, now);
            let fetched = Check::pass(
                CheckId::HttpAccess,
                format!("GET {url}: 200 with JSON (the --metadata URL)"),
            )
            .with_detail("url", url.as_str());
            findings.checks.insert(0, fetched);
            findings.notes = chain::network_notes(net);
            findings
        }
        Err(why) => EntraFindings {
            checks: vec![Check::fail(
                CheckId::HttpAccess,
                format!("the --metadata URL could not be fetched: {why}"),
                Remedy::EntraDiscovery,
            )
            .with_detail("url", url.as_str())],
            discovery: None,
            jwks: None,
            notes: chain::network_notes(net),
        },
    }
}
