//! A DNS-over-HTTPS client (RFC 8484): one POST of a DNS wire message per
//! query, on the tool's own HTTP stack.
//!
//! Why not hickory's `https-ring`: it cannot go through an HTTP CONNECT
//! proxy, and the fallback exists for networks that block port 53, where a
//! proxy is often the only way out. ureq already does the proxy (with its
//! credentials), the public roots and `--ca-file`, so DoH costs one POST
//! and no second TLS or HTTP stack.

use std::io::Read;
use std::sync::Arc;
use std::time::Instant;

use hickory_proto::op::Message;
use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};
use ureq::{Agent, Proxy};
use url::Url;

use crate::http::client::{public_roots, USER_AGENT};
use crate::settings::NetSettings;

/// The media type of a DNS message (RFC 8484 §6).
const DNS_MESSAGE: &str = "application/dns-message";

/// The largest answer read: a DNS message is at most 64 KiB.
const ANSWER_LIMIT: u64 = 65_535;

/// Why a DoH query got no DNS answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum DohError {
    /// The budget ran out.
    TimedOut,
    /// No DNS answer: the endpoint, the proxy or the path to them failed.
    Unreachable(String),
    /// This machine has no route to the endpoint (or to the proxy).
    NoRoute(String),
    /// The endpoint replied 200, but with something that is no DNS message.
    NotDns,
}

/// An agent for DoH queries: the public roots and `--ca-file`, the `--proxy`
/// when given (never the environment's otherwise), bounded by `deadline`.
pub(super) fn agent(net: &NetSettings, deadline: Instant) -> Result<Agent, String> {
    let mut roots: Vec<Certificate<'static>> = public_roots().to_vec();
    roots.extend(
        net.extra_roots
            .iter()
            .map(|der| Certificate::from_der(der.as_ref()).to_owned()),
    );
    let tls = TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .root_certs(RootCerts::Specific(Arc::new(roots)))
        .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .build();
    let proxy = match &net.proxy {
        Some(setting) => Some(
            Proxy::new(setting.url.as_str())
                .map_err(|e| format!("proxy {}: {e}", setting.shown()))?,
        ),
        None => None,
    };
    let config = Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .timeout_global(Some(deadline.saturating_duration_since(Instant::now())))
        .user_agent(USER_AGENT)
        .accept(DNS_MESSAGE)
        .accept_encoding("")
        .max_idle_connections(0)
        .proxy(proxy)
        .tls_config(tls)
        .build();
    Ok(Agent::new_with_config(config))
}

/// POSTs one query to `url` and reads the DNS answer.
pub(super) fn post(agent: &Agent, url: &Url, query: &[u8]) -> Result<Message, DohError> {
    let mut response = agent
        .post(url.as_str())
        .content_type(DNS_MESSAGE)
        .send(query)
        .map_err(|e| match e {
            ureq::Error::Timeout(_) => DohError::TimedOut,
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => DohError::TimedOut,
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::NetworkUnreachable => {
                DohError::NoRoute(format!("io: {io}"))
            }
            other => DohError::Unreachable(other.to_string()),
        })?;
    let status = response.status();
    if status.as_u16() != 200 {
        return Err(DohError::Unreachable(format!(
            "HTTP {} instead of a DNS answer",
            status.as_u16()
        )));
    }
    let mut body = Vec::new();
    response
        .body_mut()
        .as_reader()
        .take(ANSWER_LIMIT)
        .read_to_end(&mut body)
        .map_err(|e| DohError::Unreachable(format!("reading the answer: {e}")))?;
    Message::from_vec(&body).map_err(|_| DohError::NotDns)
}
