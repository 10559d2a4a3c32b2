//! The judgements of the `tls` link: pure functions of what the handshake
//! and the certificate checks found, so that each can be tested without a
//! network.

use rustls::{AlertDescription, CertificateError, Error as TlsError};
use serde_json::{json, Value};
use time::{Duration, OffsetDateTime};

use super::cert::CertSummary;
use crate::clock;
use crate::remedy::Remedy;
use crate::report::{Check, CheckId, Status};

/// A server certificate expiring sooner than this is a warning.
pub(crate) const RENEW_WITHIN: Duration = Duration::days(30);

/// Where the verdicts are about, for summaries.
#[derive(Debug, Clone)]
pub(crate) struct Context {
    /// The host, as the certificate must name it.
    pub host: String,
    /// `host:port`, as summaries quote it.
    pub authority: String,
    /// The budget, as "timed out after N s" quotes it.
    pub budget_text: String,
}

/// Why a handshake did not complete.
#[derive(Debug, Clone)]
pub(crate) enum HandshakeFailure {
    /// The budget ran out.
    TimedOut,
    /// The server closed the connection before the handshake completed.
    PeerClosed,
    /// rustls refused the conversation (an alert, a protocol error, a certificate).
    Tls(TlsError),
    /// The socket failed (reset, say).
    Io(String),
    /// The host cannot be put in a TLS ClientHello.
    BadServerName(String),
}

/// What the handshake did.
#[derive(Debug, Clone, Default)]
pub(crate) struct HandshakeFacts {
    /// Why it did not complete; `None` when it did.
    pub failure: Option<HandshakeFailure>,
    /// The negotiated protocol version ("TLS 1.3"), once known.
    pub protocol: Option<String>,
    /// The negotiated cipher suite, once known.
    pub cipher_suite: Option<String>,
    /// The server name sent (SNI); `None` for an IP literal.
    pub sni: Option<String>,
    /// How many bytes the server sent.
    pub server_bytes: usize,
    /// The server's first bytes (up to 64), to recognise a non-TLS answer.
    pub first_bytes: Vec<u8>,
    /// The proxy the connection went through, if any.
    pub proxy: Option<String>,
    /// Whether the server asked for a client certificate (a CertificateRequest).
    pub client_cert_requested: bool,
}

impl HandshakeFacts {
    /// Whether the handshake got as far as refusing the server's certificate
    /// (it is then the certificate checks that fail, not the handshake).
    pub fn stopped_at_certificate(&self) -> bool {
        matches!(
            self.failure,
            Some(HandshakeFailure::Tls(TlsError::InvalidCertificate(_)))
        )
    }
}

/// Whether the chain leads to a trusted root, judged apart from validity dates.
#[derive(Debug, Clone)]
pub(crate) enum TrustFinding {
    /// It does; `via_ca_file` when only a `--ca-file` anchor makes it so.
    Trusted {
        /// Whether the anchor came from `--ca-file` rather than the public roots.
        via_ca_file: bool,
    },
    /// It does not, for this reason.
    Untrusted(TlsError),
    /// It could not be judged (no moment at which the whole chain is valid).
    Undetermined(String),
}

/// Whether the leaf names the host.
#[derive(Debug, Clone)]
pub(crate) enum NameFinding {
    /// It does.
    Valid,
    /// It does not.
    Invalid,
    /// It could not be judged.
    Undetermined(String),
}

/// The trust anchors verification used, for the report.
#[derive(Debug, Clone, Default)]
pub(crate) struct Anchors {
    /// How many public roots (webpki-roots).
    pub public: usize,
    /// The `--ca-file` path and how many anchors it gave, when given.
    pub ca_file: Option<(String, usize)>,
}

impl Anchors {
    fn describe(&self) -> String {
        match &self.ca_file {
            Some((path, n)) => format!(
                "{} public roots (webpki-roots) and {n} from --ca-file {path}",
                self.public
            ),
            None => format!("{} public roots (webpki-roots)", self.public),
        }
    }
}

/// `tls.handshake`.
pub(crate) fn judge_handshake(facts: &HandshakeFacts, ctx: &Context) -> Check {
    let negotiated = match (&facts.protocol, &facts.cipher_suite) {
        (Some(p), Some(c)) => format!("{p} ({c})"),
        (Some(p), None) => p.clone(),
        _ => "TLS".to_string(),
    };
    let mut cause = None;
    let check = match &facts.failure {
        None => Check::pass(
            CheckId::TlsHandshake,
            format!("{negotiated} handshake with {} completed", ctx.authority),
        ),
        Some(_) if facts.stopped_at_certificate() => Check::pass(
            CheckId::TlsHandshake,
            format!(
                "{negotiated} negotiated with {}; the client then refused the server's certificate (see tls.trust, tls.name, tls.validity)",
                ctx.authority
            ),
        ),
        Some(failure) => {
            let refusal = describe_failure(failure, facts, ctx);
            cause = refusal.cause;
            Check::fail(CheckId::TlsHandshake, refusal.summary, refusal.remedy)
        }
    };
    let mut check = check
        .with_detail("sni", facts.sni.clone().map_or(Value::Null, Value::from))
        .with_detail("server_bytes", facts.server_bytes);
    if let Some(cause) = cause {
        check = check.with_detail("cause", cause.as_str());
    }
    if let Some(protocol) = &facts.protocol {
        check = check.with_detail("protocol", protocol.as_str());
    }
    if let Some(suite) = &facts.cipher_suite {
        check = check.with_detail("cipher_suite", suite.as_str());
    }
    if facts.client_cert_requested {
        check = check.with_detail("client_certificate_requested", true);
    }
    if let Some(proxy) = &facts.proxy {
        check = check.with_detail("proxy", proxy.as_str());
    }
    // The raw evidence matters only when the handshake itself is to blame.
    if check.status == Status::Fail {
        if !facts.first_bytes.is_empty() {
            check = check.with_detail("server_first_bytes", printable(&facts.first_bytes));
        }
        if let Some(HandshakeFailure::Tls(e)) = &facts.failure {
            check = check.with_detail("error", e.to_string());
        }
    }
    check
}

/// Why a handshake failed, in the contract's words (`details.cause`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HandshakeCause {
    /// The server speaks only TLS 1.1 or older.
    ProtocolVersion,
    /// The server asked for a client certificate, then refused without one.
    ClientCertificateRequired,
    /// Something other than TLS answers on the port.
    NotTls,
    /// Another TLS alert (or protocol error).
    Alert,
    /// The server closed (or reset) the connection.
    Closed,
    /// The budget ran out.
    Timeout,
}

impl HandshakeCause {
    /// The value of `details.cause`.
    pub fn as_str(self) -> &'static str {
        match self {
            HandshakeCause::ProtocolVersion => "protocol-version",
            HandshakeCause::ClientCertificateRequired => "client-certificate-required",
            HandshakeCause::NotTls => "not-tls",
            HandshakeCause::Alert => "alert",
            HandshakeCause::Closed => "closed",
            HandshakeCause::Timeout => "timeout",
        }
    }
}

/// A failed handshake as the report tells it.
struct Refusal {
    summary: String,
    remedy: Remedy,
    cause: Option<HandshakeCause>,
}

impl Refusal {
    fn new(summary: String, remedy: Remedy, cause: HandshakeCause) -> Self {
        Refusal {
            summary,
            remedy,
            cause: Some(cause),
        }
    }
}

/// The alerts a server sends when it requires a client certificate and got
/// none: OpenSSL `handshake_failure` (TLS 1.2) or `certificate_required`
/// (TLS 1.3, RFC 8446 section 4.4.2.4), others `bad_certificate`,
/// `access_denied` or `unknown_ca`.
fn refuses_missing_certificate(alert: AlertDescription) -> bool {
    matches!(
        alert,
        AlertDescription::HandshakeFailure
            | AlertDescription::CertificateRequired
            | AlertDescription::BadCertificate
            | AlertDescription::AccessDenied
            | AlertDescription::UnknownCA
            | AlertDescription::CertificateUnknown
    )
}

fn describe_failure(failure: &HandshakeFailure, facts: &HandshakeFacts, ctx: &Context) -> Refusal {
    use HandshakeCause as C;
    let at = &ctx.authority;
    let asked = facts.client_cert_requested;
    if let Some(version) = old_protocol(failure, &facts.first_bytes) {
        return Refusal::new(
            format!(
                "{at} speaks only {version}: SSI needs TLS 1.2 or newer ({})",
                match failure {
                    HandshakeFailure::Tls(e) => describe_tls_error(e),
                    _ => "its ServerHello names an outdated version".to_string(),
                }
            ),
            Remedy::TlsProtocolVersion,
            C::ProtocolVersion,
        );
    }
    match failure {
        HandshakeFailure::TimedOut if facts.server_bytes == 0 => Refusal::new(
            format!(
                "no TLS answer from {at}: timed out after {} (the connection was accepted, then nothing came back)",
                ctx.budget_text
            ),
            Remedy::TimedOut,
            C::Timeout,
        ),
        HandshakeFailure::TimedOut => Refusal::new(
            format!(
                "the TLS handshake with {at} stalled: timed out after {} with {} byte(s) received from the server",
                ctx.budget_text, facts.server_bytes
            ),
            Remedy::TimedOut,
            C::Timeout,
        ),
        _ if not_tls(&facts.first_bytes).is_some() => Refusal::new(
            format!(
                "{at} does not speak TLS: {}",
                not_tls(&facts.first_bytes).unwrap_or_default()
            ),
            Remedy::TlsHandshake,
            C::NotTls,
        ),
        HandshakeFailure::Tls(TlsError::AlertReceived(alert))
            if asked && refuses_missing_certificate(*alert) =>
        {
            client_certificate_refusal(ctx, &format!("alert {}", alert_name(*alert)))
        }
        HandshakeFailure::PeerClosed | HandshakeFailure::Io(_) if asked => {
            client_certificate_refusal(ctx, "closing the connection")
        }
        HandshakeFailure::PeerClosed if facts.server_bytes == 0 => Refusal::new(
            format!("{at} closed the connection without a TLS answer (no TLS on this port, or the ClientHello was refused)"),
            Remedy::TlsClosed,
            C::Closed,
        ),
        HandshakeFailure::PeerClosed => Refusal::new(
            format!("{at} closed the connection in the middle of the TLS handshake"),
            Remedy::TlsClosed,
            C::Closed,
        ),
        HandshakeFailure::Tls(e @ TlsError::InvalidMessage(_)) => Refusal::new(
            format!("the TLS handshake with {at} failed: {}", describe_tls_error(e)),
            Remedy::TlsHandshake,
            C::NotTls,
        ),
        HandshakeFailure::Tls(e) => Refusal::new(
            format!("the TLS handshake with {at} failed: {}", describe_tls_error(e)),
            Remedy::TlsAlert,
            C::Alert,
        ),
        HandshakeFailure::Io(e) => Refusal::new(
            format!("the connection to {at} failed during the TLS handshake: {e}"),
            Remedy::TlsClosed,
            C::Closed,
        ),
        HandshakeFailure::BadServerName(host) => Refusal {
            summary: format!("`{host}` cannot be sent as a TLS server name"),
            remedy: Remedy::TlsName,
            cause: None,
        },
    }
}

fn client_certificate_refusal(ctx: &Context, how: &str) -> Refusal {
    Refusal::new(
        format!(
            "{} asked for a client certificate and refused the connection without one ({how}): SSI presents no client certificate",
            ctx.authority
        ),
        Remedy::TlsClientCertificate,
        HandshakeCause::ClientCertificateRequired,
    )
}

/// `tls.handshake` when the handshake completed but the server, having asked
/// for a client certificate, refused the request made over it: by an alert
/// after the handshake (TLS 1.3 servers send it with their first reply), or
/// by an HTTP answer saying so (nginx's 400 "No required SSL certificate was
/// sent", IIS's 403.7). `None` when nothing says so: a server that asks but
/// does not require is fine.
pub(crate) fn judge_late_refusal(
    facts: &HandshakeFacts,
    ctx: &Context,
    late_error: Option<&TlsError>,
    status: Option<u16>,
    body: &[u8],
) -> Option<Check> {
    if !facts.client_cert_requested {
        return None;
    }
    let how = match (late_error, status) {
        (Some(TlsError::AlertReceived(alert)), _) if refuses_missing_certificate(*alert) => {
            format!("alert {} after the handshake", alert_name(*alert))
        }
        (_, Some(code @ (400 | 403))) if says_certificate_missing(code, body) => format!(
            "HTTP {code}: {}",
            if code == 400 {
                "No required SSL certificate was sent"
            } else {
                "403.7, client certificate required"
            }
        ),
        _ => return None,
    };
    let refusal = client_certificate_refusal(ctx, &how);
    let mut check = Check::fail(CheckId::TlsHandshake, refusal.summary, refusal.remedy)
        .with_detail("cause", HandshakeCause::ClientCertificateRequired.as_str())
        .with_detail("sni", facts.sni.clone().map_or(Value::Null, Value::from))
        .with_detail("client_certificate_requested", true);
    if let Some(protocol) = &facts.protocol {
        check = check.with_detail("protocol", protocol.as_str());
    }
    if let Some(status) = status {
        check = check.with_detail("http_status", status);
    }
    if let Some(e) = late_error {
        check = check.with_detail("error", e.to_string());
    }
    Some(check)
}

/// Whether an HTTP error page says that a client certificate was missing:
/// nginx (`ngx_http_request.c`: "No required SSL certificate was sent") and
/// IIS (substatus 403.7, "Client certificate required").
fn says_certificate_missing(status: u16, body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&body[..body.len().min(64 * 1024)]).to_ascii_lowercase();
    match status {
        400 => text.contains("no required ssl certificate was sent"),
        403 => text.contains("403.7") || text.contains("client certificate required"),
        _ => false,
    }
}

/// The outdated version a server speaks, if the failure shows one: its
/// protocol_version alert (OpenSSL's answer to a ClientHello it cannot meet),
/// rustls refusing its ServerHello, or the ServerHello's version itself.
fn old_protocol(failure: &HandshakeFailure, first: &[u8]) -> Option<&'static str> {
    let named = server_hello_version(first).or_else(|| record_version(first));
    match failure {
        HandshakeFailure::Tls(
            TlsError::AlertReceived(AlertDescription::ProtocolVersion)
            | TlsError::PeerIncompatible(rustls::PeerIncompatible::ServerDoesNotSupportTls12Or13),
        ) => Some(named.unwrap_or("TLS 1.1 or older")),
        _ => server_hello_version(first),
    }
}

/// The version an old ServerHello names (bytes 9 and 10 of its record), when
/// it is older than TLS 1.2.
fn server_hello_version(first: &[u8]) -> Option<&'static str> {
    match first {
        [0x16, _, _, _, _, 0x02, _, _, _, major, minor, ..] => old_version_name(*major, *minor),
        _ => None,
    }
}

/// The record-layer version of the server's first record, when older than TLS 1.2.
fn record_version(first: &[u8]) -> Option<&'static str> {
    match first {
        [0x15 | 0x16, major, minor, ..] => old_version_name(*major, *minor),
        _ => None,
    }
}

fn old_version_name(major: u8, minor: u8) -> Option<&'static str> {
    match (major, minor) {
        (2, _) => Some("SSL 2"),
        (3, 0) => Some("SSL 3.0"),
        (3, 1) => Some("TLS 1.0"),
        (3, 2) => Some("TLS 1.1"),
        _ => None,
    }
}

/// What a non-TLS answer looks like, if the server's first bytes are one.
fn not_tls(first: &[u8]) -> Option<String> {
    if first.starts_with(b"HTTP/") {
        let line = first
            .split(|b| *b == b'\r' || *b == b'\n')
            .next()
            .unwrap_or(first);
        return Some(format!(
            "it answered in plain HTTP (`{}`), so this port serves HTTP, not HTTPS",
            printable(line)
        ));
    }
    // A TLS record starts with a content type: 20 to 24.
    match first.first() {
        Some(b) if !(0x14..=0x18).contains(b) => Some(format!(
            "its first bytes are not a TLS record (`{}`)",
            printable(first)
        )),
        _ => None,
    }
}

/// An alert as RFC 8446 names it (`protocol_version`, `unknown_ca`).
fn alert_name(alert: AlertDescription) -> String {
    let debug = format!("{alert:?}");
    let mut name = String::new();
    let mut previous_lower = false;
    for c in debug.chars() {
        if c.is_ascii_uppercase() && previous_lower {
            name.push('_');
        }
        previous_lower = c.is_ascii_lowercase();
        name.push(c.to_ascii_lowercase());
    }
    // rustls spells this one the British way; the RFC does not.
    name.replace("unrecognised", "unrecognized")
}

fn describe_tls_error(e: &TlsError) -> String {
    match e {
        TlsError::AlertReceived(AlertDescription::ProtocolVersion) => {
            "the server refused TLS 1.2 and 1.3 (alert protocol_version): it offers only an outdated protocol".into()
        }
        TlsError::AlertReceived(AlertDescription::HandshakeFailure) => {
            "the server refused the handshake (alert handshake_failure): no protocol version or cipher suite in common with TLS 1.2/1.3 clients, or it does not serve this host name".into()
        }
        TlsError::AlertReceived(AlertDescription::UnrecognisedName) => {
            "the server does not serve this host name (alert unrecognized_name for the SNI sent)".into()
        }
        TlsError::AlertReceived(alert) => format!("the server sent alert {}", alert_name(*alert)),
        TlsError::PeerIncompatible(rustls::PeerIncompatible::ServerDoesNotSupportTls12Or13) => {
            "the server answered with a protocol older than TLS 1.2".into()
        }
        TlsError::PeerIncompatible(why) => {
            format!("no TLS 1.2/1.3 protocol, cipher suite or signature scheme in common ({why:?})")
        }
        TlsError::InvalidMessage(why) => format!("the server sent something that is not valid TLS ({why:?})"),
        other => other.to_string(),
    }
}

/// The server's bytes as text: printable ASCII kept, the rest as `\xNN`.
fn printable(bytes: &[u8]) -> String {
    bytes
        .iter()
        .take(64)
        .map(|b| match b {
            0x20..=0x7e => (*b as char).to_string(),
            _ => format!("\\x{b:02x}"),
        })
        .collect()
}

/// `tls.trust`.
pub(crate) fn judge_trust(
    finding: &TrustFinding,
    chain: &[CertSummary],
    anchors: &Anchors,
    ctx: &Context,
) -> Check {
    let check = match finding {
        TrustFinding::Trusted { via_ca_file: false } => Check::pass(
            CheckId::TlsTrust,
            format!(
                "the chain from {} ({} certificate(s) sent) verifies to a public root",
                ctx.authority,
                chain.len()
            ),
        ),
        TrustFinding::Trusted { via_ca_file: true } => Check::pass(
            CheckId::TlsTrust,
            format!(
                "the chain from {} verifies to a root from --ca-file (not a public root: SSI trusts only public roots)",
                ctx.authority
            ),
        ),
        TrustFinding::Untrusted(e) => {
            let (summary, remedy, cause) =
                weakness(chain, ctx).unwrap_or_else(|| describe_untrusted(e, chain, ctx));
            let check = Check::fail(CheckId::TlsTrust, summary, remedy);
            match cause {
                Some(cause) => check.with_detail("cause", cause),
                None => check,
            }
        }
        TrustFinding::Undetermined(why) => Check::skip(CheckId::TlsTrust, why.clone()),
    };
    let mut check = check
        .with_detail(
            "chain",
            Value::Array(chain.iter().map(CertSummary::to_json).collect()),
        )
        .with_detail("trust_anchors", anchors.describe());
    if let TrustFinding::Trusted { via_ca_file } = finding {
        check = check.with_detail("anchored_by_ca_file", *via_ca_file);
    }
    if let Some((path, _)) = &anchors.ca_file {
        check = check.with_detail("ca_file", path.as_str());
    }
    if let TrustFinding::Untrusted(e) = finding {
        check = check.with_detail("error", e.to_string());
    }
    check
}

/// A summary, its remedy and the contract's `details.cause`, when one names it.
type Finding = (String, Remedy, Option<&'static str>);

/// A chain refused because of what it is made of, read from the certificates
/// themselves whatever error verification gave (a weak key surfaces as a bad
/// signature, an unsupported algorithm or a failed handshake signature): a
/// certificate signed with SHA-1 or MD5, or an RSA key under 2048 bits. A lone
/// self-signed certificate is named as that, whatever it is made of.
fn weakness(chain: &[CertSummary], ctx: &Context) -> Option<Finding> {
    let at = &ctx.authority;
    if matches!(chain, [only] if only.self_signed) {
        return None;
    }
    let role = |i: usize| {
        if i == 0 {
            "the server certificate"
        } else {
            "the intermediate"
        }
    };
    if let Some((i, cert, hash)) = chain
        .iter()
        .enumerate()
        .find_map(|(i, c)| c.weak_signature_hash().map(|h| (i, c, h)))
    {
        return Some((
            format!(
                "{} {} from {at} is signed with {hash} ({}), which TLS clients no longer accept",
                role(i),
                cert.subject_label(),
                cert.signature_algorithm
            ),
            Remedy::TlsWeakSignature,
            Some("weak-signature"),
        ));
    }
    let (i, cert) = chain.iter().enumerate().find(|(_, c)| c.weak_rsa_key())?;
    Some((
        format!(
            "{} {} from {at} has a {}-bit RSA key; TLS clients refuse RSA keys under {} bits",
            role(i),
            cert.subject_label(),
            cert.rsa_key_bits.unwrap_or_default(),
            super::cert::MIN_RSA_BITS
        ),
        Remedy::TlsWeakKey,
        Some("weak-key"),
    ))
}

fn describe_untrusted(e: &TlsError, chain: &[CertSummary], ctx: &Context) -> Finding {
    let at = &ctx.authority;
    let cert_error = match e {
        TlsError::InvalidCertificate(c) => Some(c),
        _ => None,
    };
    match (cert_error, chain.first()) {
        (Some(CertificateError::UnknownIssuer), Some(leaf)) => {
            let end = chain_end(leaf, chain);
            if chain.len() == 1 && leaf.self_signed {
                (
                    format!(
                        "{at} presents a self-signed certificate ({}): no public root vouches for it",
                        leaf.subject_label()
                    ),
                    Remedy::TlsSelfSigned,
                    Some("self-signed"),
                )
            } else if std::ptr::eq(end, leaf) {
                let sent = if chain.len() == 1 {
                    "the server sent only the leaf".to_string()
                } else {
                    format!(
                        "none of the {} certificates {at} sent is the leaf's issuer",
                        chain.len()
                    )
                };
                (
                    format!(
                        "intermediate missing: {sent} ({}), issued by {}, which is not a trusted root",
                        leaf.subject_label(),
                        leaf.issuer_label()
                    ),
                    Remedy::TlsIncompleteChain,
                    Some("incomplete-chain"),
                )
            } else if end.self_signed {
                (
                    format!(
                        "the chain from {at} ends in the root {}, which is not a trusted public root",
                        end.subject_label()
                    ),
                    Remedy::TlsChainUntrusted,
                    Some("unknown-issuer"),
                )
            } else {
                (
                    format!(
                        "the chain from {at} ends at {}, issued by {}, which is not a trusted public root",
                        end.subject_label(),
                        end.issuer_label()
                    ),
                    Remedy::TlsChainUntrusted,
                    Some("unknown-issuer"),
                )
            }
        }
        (Some(CertificateError::BadSignature), _) => (
            format!("a signature in the chain from {at} does not verify"),
            Remedy::TlsChainUntrusted,
            None,
        ),
        (Some(CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. }), _) => (
            format!("the certificate from {at} is not issued for server authentication (extended key usage)"),
            Remedy::TlsChainUntrusted,
            None,
        ),
        (Some(CertificateError::BadEncoding), _) => (
            format!("a certificate in the chain from {at} is malformed"),
            Remedy::TlsChainUntrusted,
            None,
        ),
        // webpki's limits on path building come wrapped in `Other`; only their
        // names identify them.
        (Some(CertificateError::Other(other)), _) if format!("{other:?}").contains("Maximum") => (
            format!(
                "the chain from {at} ({} certificates sent) is longer or more tangled than TLS clients build ({other:?})",
                chain.len()
            ),
            Remedy::TlsChainUntrusted,
            None,
        ),
        (Some(cert_error), _) => (
            format!("the chain from {at} does not verify to a public root ({cert_error:?})"),
            Remedy::TlsChainUntrusted,
            None,
        ),
        (None, _) => (
            format!("the chain from {at} does not verify to a public root: {e}"),
            Remedy::TlsChainUntrusted,
            None,
        ),
    }
}

/// The last certificate reached by following issuer names from `leaf`
/// through the certificates sent (`leaf` itself when its issuer was not sent).
fn chain_end<'a>(leaf: &'a CertSummary, chain: &'a [CertSummary]) -> &'a CertSummary {
    let mut current = leaf;
    // At most one step per certificate sent, so a loop of names cannot hang us.
    for _ in 0..chain.len() {
        if current.self_signed {
            break;
        }
        match chain
            .iter()
            .find(|c| c.subject == current.issuer && !std::ptr::eq(*c, current))
        {
            Some(issuer) => current = issuer,
            None => break,
        }
    }
    current
}

/// `tls.name`.
pub(crate) fn judge_name(
    finding: &NameFinding,
    leaf: Option<&CertSummary>,
    ctx: &Context,
) -> Check {
    let names = leaf.map(CertSummary::names).unwrap_or_default();
    let check = match finding {
        NameFinding::Valid => Check::pass(
            CheckId::TlsName,
            format!("the certificate is valid for {}", ctx.host),
        ),
        NameFinding::Invalid => {
            let cn = leaf.and_then(|l| l.subject_cn.as_deref());
            let cn_only = names.is_empty() && cn.is_some_and(|cn| name_matches(cn, &ctx.host));
            let (summary, remedy, cause) = if cn_only {
                (
                    format!(
                        "the certificate of {} names {} only in its subject CN, without subject alternative names: TLS clients read only subjectAltName (RFC 6125), so it is valid for no host",
                        ctx.authority,
                        cn.unwrap_or_default()
                    ),
                    Remedy::TlsCnOnly,
                    "cn-only",
                )
            } else {
                let has = if names.is_empty() {
                    let cn = leaf.map(CertSummary::subject_label).unwrap_or("none");
                    format!("it has no subject alternative names (its CN, {cn}, is not used by TLS clients)")
                } else {
                    format!("it names {}", names.join(", "))
                };
                (
                    format!(
                        "the certificate of {} is not valid for {}: {has}",
                        ctx.authority, ctx.host
                    ),
                    Remedy::TlsName,
                    "mismatch",
                )
            };
            Check::fail(CheckId::TlsName, summary, remedy).with_detail("cause", cause)
        }
        NameFinding::Undetermined(why) => Check::skip(CheckId::TlsName, why.clone()),
    };
    check
        .with_detail("host", ctx.host.as_str())
        .with_detail("certificate_names", names)
}

/// Whether a certificate name (`mail.contoso.com`, `*.contoso.com`) covers
/// `host`, as a TLS client would match it in a subjectAltName.
fn name_matches(name: &str, host: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    match name.strip_prefix("*.") {
        Some(parent) => host
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest == parent),
        None => name == host,
    }
}

/// Whether a verification error is about dates.
pub(crate) fn is_time_error(e: &TlsError) -> bool {
    matches!(
        e,
        TlsError::InvalidCertificate(
            CertificateError::Expired
                | CertificateError::ExpiredContext { .. }
                | CertificateError::NotValidYet
                | CertificateError::NotValidYetContext { .. }
        )
    )
}

/// Whether a verification error says "not valid yet" (rather than expired).
fn is_not_yet_valid_error(e: &TlsError) -> bool {
    matches!(
        e,
        TlsError::InvalidCertificate(
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. }
        )
    )
}

/// `tls.validity`, judged at `now`; `real_clock_error` is the verification
/// error of the handshake (at the real clock), if any.
pub(crate) fn judge_validity(
    chain: &[CertSummary],
    now: OffsetDateTime,
    real_clock_error: Option<&TlsError>,
    ctx: &Context,
) -> Check {
    let Some(leaf) = chain.first() else {
        return Check::skip(CheckId::TlsValidity, "the server sent no certificate");
    };
    let when = |t: OffsetDateTime| format!("{} ({})", clock::utc(t), clock::relative(t, now));
    let outside_now: Vec<&CertSummary> = chain[1..].iter().filter(|c| !c.valid_at(now)).collect();
    let check = if now > leaf.not_after {
        Check::fail(
            CheckId::TlsValidity,
            format!(
                "the certificate of {} ({}) expired on {}",
                ctx.authority,
                leaf.subject_label(),
                when(leaf.not_after)
            ),
            Remedy::TlsValidity,
        )
        .with_detail("cause", "expired")
    } else if now < leaf.not_before {
        Check::fail(
            CheckId::TlsValidity,
            format!(
                "the certificate of {} ({}) is not valid before {}",
                ctx.authority,
                leaf.subject_label(),
                when(leaf.not_before)
            ),
            Remedy::TlsNotYetValid,
        )
        .with_detail("cause", "not-yet-valid")
    } else if let Some(e) = real_clock_error.filter(|e| is_time_error(e)) {
        match outside_now.first() {
            Some(issuer) => Check::fail(
                CheckId::TlsValidity,
                format!(
                    "the intermediate {} that {} sends is outside its validity ({} to {})",
                    issuer.subject_label(),
                    ctx.authority,
                    clock::utc(issuer.not_before),
                    clock::utc(issuer.not_after)
                ),
                Remedy::TlsValidity,
            )
            .with_detail(
                "cause",
                if issuer.not_after < now {
                    "expired"
                } else {
                    "not-yet-valid"
                },
            ),
            // Valid at --now, but the handshake (at the real clock) refused
            // it: nothing can be fetched over it, so the link is broken here,
            // not later in http.
            None => Check::fail(
                CheckId::TlsValidity,
                format!(
                    "the certificate is valid at {}, but at the real clock the handshake refused it ({e})",
                    clock::utc(now)
                ),
                Remedy::TlsValidity,
            )
            .with_detail(
                "cause",
                if is_not_yet_valid_error(e) {
                    "not-yet-valid"
                } else {
                    "expired"
                },
            ),
        }
    } else if leaf.not_after - now < RENEW_WITHIN {
        Check::warn(
            CheckId::TlsValidity,
            format!(
                "the certificate of {} ({}) expires on {}",
                ctx.authority,
                leaf.subject_label(),
                when(leaf.not_after)
            ),
            Remedy::TlsRenewSoon,
        )
        .with_detail("cause", "expiring")
    } else {
        Check::pass(
            CheckId::TlsValidity,
            format!("the certificate is valid until {}", when(leaf.not_after)),
        )
    };
    let mut check = check
        .with_detail("not_before", clock::rfc3339(leaf.not_before))
        .with_detail("not_after", clock::rfc3339(leaf.not_after))
        .with_detail("evaluated_at", clock::rfc3339(now))
        .with_detail("days_left", (leaf.not_after - now).whole_days());
    if !outside_now.is_empty() {
        check = check.with_detail(
            "chain_certificates_outside_validity",
            json!(outside_now
                .iter()
                .map(|c| c.subject.clone())
                .collect::<Vec<_>>()),
        );
    }
    check
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-21 10:00:00 UTC);

    fn ctx() -> Context {
        Context {
            host: "mail.contoso.com".into(),
            authority: "mail.contoso.com:443".into(),
            budget_text: "15 s".into(),
        }
    }

    fn cert(subject: &str, issuer: &str) -> CertSummary {
        CertSummary {
            subject: format!("CN={subject}"),
            subject_cn: Some(subject.into()),
            issuer: format!("CN={issuer}"),
            issuer_cn: Some(issuer.into()),
            not_before: NOW - Duration::days(100),
            not_after: NOW + Duration::days(200),
            dns_names: vec![subject.into()],
            ip_addresses: vec![],
            sha256: "00".into(),
            self_signed: subject == issuer,
            signature_algorithm: "sha256WithRSAEncryption".into(),
            rsa_key_bits: Some(2048),
        }
    }

    fn unknown_issuer() -> TrustFinding {
        TrustFinding::Untrusted(TlsError::InvalidCertificate(
            CertificateError::UnknownIssuer,
        ))
    }

    #[test]
    fn unknown_issuer_is_told_apart_by_the_chain() {
        let anchors = Anchors::default();
        let leaf = cert("mail.contoso.com", "Contoso Issuing CA");
        let self_signed = judge_trust(
            &unknown_issuer(),
            &[cert("mail.contoso.com", "mail.contoso.com")],
            &anchors,
            &ctx(),
        );
        assert_eq!(self_signed.remedy, Some(Remedy::TlsSelfSigned));
        assert!(self_signed.summary.contains("self-signed"));

        let alone = judge_trust(
            &unknown_issuer(),
            std::slice::from_ref(&leaf),
            &anchors,
            &ctx(),
        );
        assert_eq!(alone.remedy, Some(Remedy::TlsIncompleteChain));
        assert!(alone.summary.contains("the server sent only the leaf"));
        assert!(alone.summary.contains("issued by Contoso Issuing CA"));

        let wrong_intermediate = judge_trust(
            &unknown_issuer(),
            &[leaf.clone(), cert("Other CA", "Other Root")],
            &anchors,
            &ctx(),
        );
        assert_eq!(wrong_intermediate.remedy, Some(Remedy::TlsIncompleteChain));

        let unknown_root = judge_trust(
            &unknown_issuer(),
            &[leaf.clone(), cert("Contoso Issuing CA", "Contoso Root")],
            &anchors,
            &ctx(),
        );
        assert_eq!(unknown_root.remedy, Some(Remedy::TlsChainUntrusted));
        assert!(unknown_root.summary.contains("issued by Contoso Root"));

        let root_sent = judge_trust(
            &unknown_issuer(),
            &[
                leaf,
                cert("Contoso Issuing CA", "Contoso Root"),
                cert("Contoso Root", "Contoso Root"),
            ],
            &anchors,
            &ctx(),
        );
        assert!(root_sent.summary.contains("ends in the root Contoso Root"));
        assert_eq!(root_sent.details["chain"].as_array().map(Vec::len), Some(3));
    }

    #[test]
    fn trust_passes_and_says_when_ca_file_was_needed() {
        let anchors = Anchors {
            public: 150,
            ca_file: Some(("ca.pem".into(), 1)),
        };
        let chain = [cert("mail.contoso.com", "CA")];
        let public = judge_trust(
            &TrustFinding::Trusted { via_ca_file: false },
            &chain,
            &anchors,
            &ctx(),
        );
        assert_eq!(public.status, Status::Pass);
        assert_eq!(public.details["anchored_by_ca_file"], false);
        let private = judge_trust(
            &TrustFinding::Trusted { via_ca_file: true },
            &chain,
            &anchors,
            &ctx(),
        );
        assert!(private.summary.contains("--ca-file"));
        assert_eq!(private.details["ca_file"], "ca.pem");
        assert!(private.details["trust_anchors"]
            .as_str()
            .unwrap_or_default()
            .contains("1 from --ca-file"));
    }

    #[test]
    fn name_mismatch_lists_the_names() {
        let mut leaf = cert("www.fabrikam.com", "CA");
        leaf.dns_names.push("fabrikam.com".into());
        let check = judge_name(&NameFinding::Invalid, Some(&leaf), &ctx());
        assert_eq!(check.status, Status::Fail);
        assert!(
            check.summary.contains("www.fabrikam.com, fabrikam.com"),
            "{}",
            check.summary
        );
        leaf.dns_names.clear();
        let bare = judge_name(&NameFinding::Invalid, Some(&leaf), &ctx());
        assert!(bare.summary.contains("no subject alternative names"));
        assert_eq!(
            judge_name(&NameFinding::Valid, Some(&leaf), &ctx()).status,
            Status::Pass
        );
    }

    #[test]
    fn validity_is_judged_at_now() {
        let mut leaf = cert("mail.contoso.com", "CA");
        assert_eq!(
            judge_validity(&[leaf.clone()], NOW, None, &ctx()).status,
            Status::Pass
        );
        leaf.not_after = NOW + Duration::days(10);
        let soon = judge_validity(&[leaf.clone()], NOW, None, &ctx());
        assert_eq!(
            (soon.status, soon.remedy),
            (Status::Warn, Some(Remedy::TlsRenewSoon))
        );
        assert_eq!(soon.details["days_left"], 10);
        leaf.not_after = NOW - Duration::days(1);
        let expired = judge_validity(&[leaf.clone()], NOW, None, &ctx());
        assert_eq!(
            (expired.status, expired.remedy),
            (Status::Fail, Some(Remedy::TlsValidity))
        );
        assert!(expired.summary.contains("expired on 2026-11-20"));
        leaf.not_before = NOW + Duration::days(1);
        leaf.not_after = NOW + Duration::days(300);
        assert!(judge_validity(&[leaf], NOW, None, &ctx())
            .summary
            .contains("not valid before"));
    }

    #[test]
    fn validity_reconciles_the_real_clock() {
        let leaf = cert("mail.contoso.com", "CA");
        let expired_at_real_clock = TlsError::InvalidCertificate(CertificateError::Expired);
        let refused = judge_validity(
            std::slice::from_ref(&leaf),
            NOW,
            Some(&expired_at_real_clock),
            &ctx(),
        );
        assert_eq!(refused.status, Status::Fail);
        assert!(refused.summary.contains("real clock"));
        let mut old_ca = cert("CA", "Root");
        old_ca.not_after = NOW - Duration::days(3);
        let fail = judge_validity(&[leaf, old_ca], NOW, Some(&expired_at_real_clock), &ctx());
        assert_eq!(fail.status, Status::Fail);
        assert!(fail.summary.contains("intermediate CA"));
    }

    #[test]
    fn handshake_failures_say_what_happened() {
        let silent = HandshakeFacts {
            failure: Some(HandshakeFailure::TimedOut),
            ..Default::default()
        };
        let check = judge_handshake(&silent, &ctx());
        assert_eq!(
            (check.status, check.remedy),
            (Status::Fail, Some(Remedy::TimedOut))
        );
        assert!(check.summary.contains("timed out after 15 s"));
        assert!(check.summary.contains("nothing came back"));

        let trickle = HandshakeFacts {
            failure: Some(HandshakeFailure::TimedOut),
            server_bytes: 3,
            first_bytes: vec![0x16, 3, 3],
            ..Default::default()
        };
        assert!(judge_handshake(&trickle, &ctx())
            .summary
            .contains("stalled: timed out after 15 s with 3 byte(s)"));

        let plain = HandshakeFacts {
            failure: Some(HandshakeFailure::Tls(TlsError::InvalidMessage(
                rustls::InvalidMessage::InvalidContentType,
            ))),
            server_bytes: 40,
            first_bytes: b"HTTP/1.1 400 Bad Request\r\nServer: x".to_vec(),
            ..Default::default()
        };
        let check = judge_handshake(&plain, &ctx());
        assert!(
            check
                .summary
                .contains("plain HTTP (`HTTP/1.1 400 Bad Request`)"),
            "{}",
            check.summary
        );
        assert_eq!(check.remedy, Some(Remedy::TlsHandshake));

        let alert = HandshakeFacts {
            failure: Some(HandshakeFailure::Tls(TlsError::AlertReceived(
                AlertDescription::ProtocolVersion,
            ))),
            server_bytes: 7,
            first_bytes: vec![0x15, 3, 3, 0, 2, 2, 70],
            ..Default::default()
        };
        assert!(judge_handshake(&alert, &ctx())
            .summary
            .contains("outdated protocol"));

        let closed = HandshakeFacts {
            failure: Some(HandshakeFailure::PeerClosed),
            ..Default::default()
        };
        assert!(judge_handshake(&closed, &ctx())
            .summary
            .contains("closed the connection without a TLS answer"));
    }

    #[test]
    fn a_refused_certificate_is_not_a_handshake_failure() {
        let facts = HandshakeFacts {
            failure: Some(HandshakeFailure::Tls(TlsError::InvalidCertificate(
                CertificateError::UnknownIssuer,
            ))),
            protocol: Some("TLS 1.3".into()),
            cipher_suite: Some("TLS13_AES_256_GCM_SHA384".into()),
            sni: Some("mail.contoso.com".into()),
            server_bytes: 2000,
            first_bytes: vec![0x16],
            proxy: None,
            client_cert_requested: false,
        };
        let check = judge_handshake(&facts, &ctx());
        assert_eq!(check.status, Status::Pass);
        assert_eq!(check.details["protocol"], "TLS 1.3");
    }

    fn failing(failure: HandshakeFailure, first: &[u8], asked: bool) -> Check {
        let facts = HandshakeFacts {
            failure: Some(failure),
            server_bytes: first.len(),
            first_bytes: first.to_vec(),
            client_cert_requested: asked,
            ..Default::default()
        };
        judge_handshake(&facts, &ctx())
    }

    fn cause(check: &Check) -> &str {
        check
            .details
            .get("cause")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    fn alert(description: AlertDescription) -> HandshakeFailure {
        HandshakeFailure::Tls(TlsError::AlertReceived(description))
    }

    #[test]
    fn every_handshake_failure_has_its_cause() {
        // OpenSSL's answer to a TLS 1.2 ClientHello when it speaks only TLS 1.0.
        let tls10_alert = [0x15, 3, 1, 0, 2, 2, 70];
        let old = failing(
            alert(AlertDescription::ProtocolVersion),
            &tls10_alert,
            false,
        );
        assert_eq!(cause(&old), "protocol-version");
        assert_eq!(old.remedy, Some(Remedy::TlsProtocolVersion));
        assert!(old.summary.contains("TLS 1.0"), "{}", old.summary);
        assert!(old.summary.contains("SSI needs TLS 1.2 or newer"));
        // A ServerHello naming TLS 1.1, which rustls refuses.
        let hello = [0x16, 3, 2, 0, 0x4a, 2, 0, 0, 0x46, 3, 2];
        let refused = HandshakeFailure::Tls(TlsError::PeerIncompatible(
            rustls::PeerIncompatible::ServerDoesNotSupportTls12Or13,
        ));
        let old_hello = failing(refused, &hello, false);
        assert_eq!(cause(&old_hello), "protocol-version");
        assert!(
            old_hello.summary.contains("TLS 1.1"),
            "{}",
            old_hello.summary
        );

        let tls12 = [0x15, 3, 3, 0, 2, 2, 40];
        for (failure, first, asked, want) in [
            (
                alert(AlertDescription::HandshakeFailure),
                &tls12[..],
                true,
                "client-certificate-required",
            ),
            (
                alert(AlertDescription::CertificateRequired),
                &tls12[..],
                true,
                "client-certificate-required",
            ),
            (
                HandshakeFailure::PeerClosed,
                &[0x16, 3, 3][..],
                true,
                "client-certificate-required",
            ),
            // The same alert from a server that never asked: a near miss.
            (
                alert(AlertDescription::HandshakeFailure),
                &tls12[..],
                false,
                "alert",
            ),
            (
                alert(AlertDescription::UnrecognisedName),
                &tls12[..],
                false,
                "alert",
            ),
            (HandshakeFailure::PeerClosed, &[][..], false, "closed"),
            (
                HandshakeFailure::Io("connection reset by peer".into()),
                &[][..],
                false,
                "closed",
            ),
            (HandshakeFailure::TimedOut, &[][..], false, "timeout"),
            (
                HandshakeFailure::PeerClosed,
                &b"HTTP/1.1 400 Bad Request"[..],
                false,
                "not-tls",
            ),
            (
                HandshakeFailure::PeerClosed,
                &b"SSH-2.0-OpenSSH_9.2"[..],
                false,
                "not-tls",
            ),
        ] {
            let check = failing(failure.clone(), first, asked);
            assert_eq!(check.status, Status::Fail);
            assert_eq!(cause(&check), want, "{failure:?}: {}", check.summary);
        }
        assert_eq!(alert_name(AlertDescription::UnknownCA), "unknown_ca");
        assert_eq!(
            alert_name(AlertDescription::UnrecognisedName),
            "unrecognized_name"
        );
        assert_eq!(
            alert_name(AlertDescription::ProtocolVersion),
            "protocol_version"
        );
        let named = failing(alert(AlertDescription::UnrecognisedName), &tls12, false);
        assert!(
            named.summary.contains("unrecognized_name"),
            "{}",
            named.summary
        );
        let other = failing(alert(AlertDescription::DecodeError), &tls12, false);
        assert!(
            other.summary.contains("alert decode_error"),
            "{}",
            other.summary
        );
        let asked = failing(alert(AlertDescription::CertificateRequired), &tls12, true);
        assert_eq!(asked.remedy, Some(Remedy::TlsClientCertificate));
        assert_eq!(asked.details["client_certificate_requested"], true);
    }

    #[test]
    fn a_late_refusal_is_the_handshake_only_when_the_server_asked() {
        let asked = HandshakeFacts {
            client_cert_requested: true,
            protocol: Some("TLS 1.3".into()),
            ..Default::default()
        };
        let alert = TlsError::AlertReceived(AlertDescription::CertificateRequired);
        let by_alert = judge_late_refusal(&asked, &ctx(), Some(&alert), None, b"");
        let by_alert = by_alert.expect("refused by alert");
        assert_eq!(cause(&by_alert), "client-certificate-required");
        assert_eq!(by_alert.id, CheckId::TlsHandshake);
        let nginx =
            b"<html><head><title>400 No required SSL certificate was sent</title></head></html>";
        let by_nginx = judge_late_refusal(&asked, &ctx(), None, Some(400), nginx);
        assert!(by_nginx
            .expect("nginx")
            .summary
            .contains("No required SSL certificate"));
        let iis = b"<h2>403.7 - Forbidden: Client certificate required.</h2>";
        assert!(judge_late_refusal(&asked, &ctx(), None, Some(403), iis).is_some());
        // Near misses: an optional request answered 200, a 400 for another
        // reason, the same page from a server that never asked.
        assert!(judge_late_refusal(&asked, &ctx(), None, Some(200), b"{}").is_none());
        assert!(judge_late_refusal(&asked, &ctx(), None, Some(400), b"Bad Request").is_none());
        let never = HandshakeFacts::default();
        assert!(judge_late_refusal(&never, &ctx(), None, Some(400), nginx).is_none());
        assert!(judge_late_refusal(&never, &ctx(), Some(&alert), None, b"").is_none());
    }

    #[test]
    fn trust_causes_come_from_the_chain() {
        let anchors = Anchors::default();
        let cause_of = |finding: &TrustFinding, chain: &[CertSummary]| {
            let check = judge_trust(finding, chain, &anchors, &ctx());
            (cause(&check).to_string(), check.remedy)
        };
        let leaf = cert("mail.contoso.com", "Contoso Issuing CA");
        let ca = cert("Contoso Issuing CA", "Contoso Root");
        assert_eq!(
            cause_of(
                &unknown_issuer(),
                &[cert("mail.contoso.com", "mail.contoso.com")]
            )
            .0,
            "self-signed"
        );
        assert_eq!(
            cause_of(&unknown_issuer(), std::slice::from_ref(&leaf)).0,
            "incomplete-chain"
        );
        assert_eq!(
            cause_of(&unknown_issuer(), &[leaf.clone(), ca.clone()]).0,
            "unknown-issuer"
        );

        let mut sha1 = leaf.clone();
        sha1.signature_algorithm = "sha1WithRSAEncryption".into();
        let unsupported =
            TrustFinding::Untrusted(TlsError::InvalidCertificate(CertificateError::BadSignature));
        assert_eq!(
            cause_of(&unsupported, &[sha1, ca.clone()]),
            ("weak-signature".to_string(), Some(Remedy::TlsWeakSignature))
        );
        let mut md5_ca = ca.clone();
        md5_ca.signature_algorithm = "md5WithRSAEncryption".into();
        let check = judge_trust(&unsupported, &[leaf.clone(), md5_ca], &anchors, &ctx());
        assert!(check.summary.contains("MD5"), "{}", check.summary);

        // A 1024-bit leaf fails the handshake signature: rustls says "bad signature".
        let mut small = leaf.clone();
        small.rsa_key_bits = Some(1024);
        let bad =
            TrustFinding::Untrusted(TlsError::InvalidCertificate(CertificateError::BadSignature));
        let check = judge_trust(&bad, &[small, ca.clone()], &anchors, &ctx());
        assert_eq!(cause(&check), "weak-key");
        assert!(
            check.summary.contains("1024-bit RSA key"),
            "{}",
            check.summary
        );

        // A self-signed SHA-1 root sent along is not a weak link, and a
        // lone self-signed certificate is named as that.
        let mut old_root = cert("Contoso Root", "Contoso Root");
        old_root.signature_algorithm = "sha1WithRSAEncryption".into();
        assert_eq!(
            cause_of(&unknown_issuer(), &[leaf.clone(), ca, old_root.clone()]).0,
            "unknown-issuer"
        );
        assert_eq!(cause_of(&unknown_issuer(), &[old_root]).0, "self-signed");
        let trusted = judge_trust(
            &TrustFinding::Trusted { via_ca_file: false },
            &[leaf],
            &anchors,
            &ctx(),
        );
        assert!(trusted.details.get("cause").is_none());
    }

    #[test]
    fn name_causes_tell_a_cn_only_certificate_from_a_mismatch() {
        let mut leaf = cert("mail.contoso.com", "CA");
        leaf.dns_names.clear();
        let cn_only = judge_name(&NameFinding::Invalid, Some(&leaf), &ctx());
        assert_eq!(cause(&cn_only), "cn-only");
        assert_eq!(cn_only.remedy, Some(Remedy::TlsCnOnly));
        assert!(
            cn_only.summary.contains("only in its subject CN"),
            "{}",
            cn_only.summary
        );
        let mut wildcard = cert("*.contoso.com", "CA");
        wildcard.dns_names.clear();
        assert_eq!(
            cause(&judge_name(&NameFinding::Invalid, Some(&wildcard), &ctx())),
            "cn-only"
        );
        // A CN naming another host, without SANs, is a plain mismatch.
        let mut other = cert("www.fabrikam.com", "CA");
        other.dns_names.clear();
        assert_eq!(
            cause(&judge_name(&NameFinding::Invalid, Some(&other), &ctx())),
            "mismatch"
        );
        let mut deeper = cert("*.com", "CA");
        deeper.dns_names.clear();
        assert_eq!(
            cause(&judge_name(&NameFinding::Invalid, Some(&deeper), &ctx())),
            "mismatch"
        );
        let named = cert("www.fabrikam.com", "CA");
        assert_eq!(
            cause(&judge_name(&NameFinding::Invalid, Some(&named), &ctx())),
            "mismatch"
        );
    }

    #[test]
    fn validity_causes() {
        let mut leaf = cert("mail.contoso.com", "CA");
        leaf.not_after = NOW + Duration::days(10);
        assert_eq!(
            cause(&judge_validity(&[leaf.clone()], NOW, None, &ctx())),
            "expiring"
        );
        leaf.not_after = NOW - Duration::days(1);
        assert_eq!(
            cause(&judge_validity(&[leaf.clone()], NOW, None, &ctx())),
            "expired"
        );
        leaf.not_before = NOW + Duration::days(1);
        leaf.not_after = NOW + Duration::days(300);
        let early = judge_validity(&[leaf], NOW, None, &ctx());
        assert_eq!(
            (cause(&early), early.remedy),
            ("not-yet-valid", Some(Remedy::TlsNotYetValid))
        );
        let fine = cert("mail.contoso.com", "CA");
        let at_real_clock = TlsError::InvalidCertificate(CertificateError::NotValidYet);
        let refused = judge_validity(
            std::slice::from_ref(&fine),
            NOW,
            Some(&at_real_clock),
            &ctx(),
        );
        assert_eq!(cause(&refused), "not-yet-valid");
        assert!(judge_validity(&[fine], NOW, None, &ctx())
            .details
            .get("cause")
            .is_none());
    }
}
