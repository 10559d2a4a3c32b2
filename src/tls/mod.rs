//! The `tls` link: does the server complete a TLS handshake, does its chain
//! verify to a public root, does the certificate name the host, and is it
//! within its validity period?
//!
//! [`run`] drives one handshake over a connection the `tcp` stage opened,
//! records the chain the server sends even when verification fails, and
//! charges each failure to the one check that names its cause: an unknown
//! issuer or a missing intermediate is `tls.trust`, a wrong name `tls.name`,
//! expiry `tls.validity`, everything before the certificate `tls.handshake`.
//!
//! Trust and name are judged apart from the dates (the chain is re-verified
//! at a moment when all its certificates are valid), so an expired
//! self-signed certificate shows both faults. Validity is judged at the
//! evaluation time (`--now`); the handshake itself verifies at the real clock.

mod cert;
mod judge;
mod session;

use std::io::{self, Read};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{
    verify_server_cert_signed_by_trust_anchor, verify_server_name, ResolvesClientCert,
    WebPkiServerVerifier,
};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::sign::CertifiedKey;
use rustls::{
    ClientConfig, ClientConnection, DigitallySignedStruct, ProtocolVersion, RootCertStore,
    SignatureScheme,
};
use time::OffsetDateTime;

pub use cert::CertSummary;
use judge::{Anchors, Context, HandshakeFacts, HandshakeFailure, NameFinding, TrustFinding};
pub use session::{Session, SessionRecord};

use crate::budget::Budget;
use crate::report::{Check, CheckId, Status};
use crate::settings::NetSettings;
use crate::target::Target;

/// What the `tls` stage found.
#[derive(Debug, Clone)]
pub struct TlsOutcome {
    /// `tls.handshake`, `tls.trust`, `tls.name`, `tls.validity`, in that order.
    pub checks: Vec<Check>,
    /// Whether later stages may go on: the handshake completed, trust and
    /// name passed, and the certificate is not outside its validity.
    pub secure: bool,
    /// The certificates the server sent, leaf first (those that could be read).
    pub chain: Vec<CertSummary>,
}

/// The crypto provider everything TLS here uses (ring only; see CRATE-NOTES).
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The trust anchors: the public roots (webpki-roots) plus `--ca-file`'s.
pub fn root_store(net: &NetSettings) -> RootCertStore {
    let mut store = public_roots();
    store.add_parsable_certificates(net.extra_roots.iter().cloned());
    store
}

fn public_roots() -> RootCertStore {
    RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    }
}

/// What the server presented and what verification (at the real clock) said.
#[derive(Debug, Clone)]
struct Presented {
    chain: Vec<CertificateDer<'static>>,
    verdict: Result<(), rustls::Error>,
}

/// A certificate verifier that records the chain the server sent, then lets
/// the standard webpki verifier decide. rustls forgets the chain when
/// verification fails (`peer_certificates()` is then `None`).
#[derive(Debug)]
struct RecordingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    seen: Mutex<Option<Presented>>,
}

impl RecordingVerifier {
    fn presented(&self) -> Option<Presented> {
        self.seen
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        let chain = std::iter::once(end_entity)
            .chain(intermediates)
            .map(|c| c.clone().into_owned())
            .collect();
        *self.seen.lock().unwrap_or_else(PoisonError::into_inner) = Some(Presented {
            chain,
            verdict: verdict.as_ref().map(|_| ()).map_err(Clone::clone),
        });
        verdict
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Runs the `tls` stage over `stream`, a connection to the target already
/// open (directly or through a proxy tunnel). The server name sent (SNI) is
/// the target host, unless it is an IP literal. Blocks for at most
/// `budget.remaining()`; validity is judged at `now`. The connection is
/// closed afterwards: [`establish`] keeps it for the request.
pub fn run(
    stream: TcpStream,
    target: &Target,
    net: &NetSettings,
    budget: &Budget,
    now: OffsetDateTime,
) -> TlsOutcome {
    let (outcome, session) = establish(stream, target, net, budget, now);
    if let Some(session) = session {
        session.close(budget);
    }
    outcome
}

/// Runs the `tls` stage like [`run`] and, when the link holds (`secure`),
/// hands back the established connection, so that the request goes over the
/// very connection whose chain was judged: no second handshake, no second
/// round trip.
pub fn establish(
    stream: TcpStream,
    target: &Target,
    net: &NetSettings,
    budget: &Budget,
    now: OffsetDateTime,
) -> (TlsOutcome, Option<Session>) {
    let ctx = Context {
        host: target.host.clone(),
        authority: target.authority(),
        budget_text: budget.total_secs_text(),
    };
    let roots = Arc::new(root_store(net));
    let anchors = Anchors {
        public: webpki_roots::TLS_SERVER_ROOTS.len(),
        ca_file: (!net.extra_roots.is_empty()).then(|| {
            let path = net.ca_file.as_ref().map_or_else(
                || "(in-process anchors, no file)".to_string(),
                |p| p.display().to_string(),
            );
            (path, net.extra_roots.len())
        }),
    };
    let proxy = net.proxy.as_ref().map(|p| p.shown());

    let server_name = ServerName::try_from(target.host.clone()).ok();
    let verifier =
        WebPkiServerVerifier::builder_with_provider(Arc::clone(&roots), provider()).build();
    let (Some(server_name), Ok(verifier)) = (server_name, verifier) else {
        let facts = HandshakeFacts {
            failure: Some(HandshakeFailure::BadServerName(target.host.clone())),
            proxy,
            ..HandshakeFacts::default()
        };
        return (judged(&facts, None, &anchors, &ctx, now), None);
    };
    let recorder = Arc::new(RecordingVerifier {
        inner: verifier,
        seen: Mutex::new(None),
    });
    let (mut facts, connection) = handshake(
        stream,
        server_name.clone(),
        Arc::clone(&recorder) as _,
        budget,
    );
    facts.proxy = proxy;
    let presented = recorder.presented();
    let assessed = presented
        .as_ref()
        .map(|p| assess(p, &server_name, &roots, !net.extra_roots.is_empty()));
    let outcome = judged(
        &facts,
        assessed.as_ref().zip(presented.as_ref()),
        &anchors,
        &ctx,
        now,
    );
    let session = match connection {
        Some((conn, stream)) if outcome.secure => Some(Session::new(conn, stream, facts, ctx)),
        _ => None,
    };
    (outcome, session)
}

/// The judged checks, from the facts gathered.
fn judged(
    facts: &HandshakeFacts,
    certificate: Option<(&Assessment, &Presented)>,
    anchors: &Anchors,
    ctx: &Context,
    now: OffsetDateTime,
) -> TlsOutcome {
    let handshake = judge::judge_handshake(facts, ctx);
    let Some((assessment, presented)) = certificate else {
        let why = if handshake.status == Status::Fail {
            "the handshake failed before the server sent a certificate"
        } else {
            "the server's certificate was not seen"
        };
        let checks = vec![
            handshake,
            Check::skip(CheckId::TlsTrust, why),
            Check::skip(CheckId::TlsName, why),
            Check::skip(CheckId::TlsValidity, why),
        ];
        return TlsOutcome {
            checks,
            secure: false,
            chain: Vec::new(),
        };
    };
    let chain = &assessment.chain;
    let mut trust_finding = assessment.trust.clone();
    // Should rustls refuse for a reason the separate checks do not explain
    // (not a date), charge it to trust rather than report a healthy chain:
    // the verifier's verdict, or a certificate error later in the handshake
    // (the server's signature made with a key clients refuse).
    let handshake_refusal = match &facts.failure {
        Some(HandshakeFailure::Tls(e @ rustls::Error::InvalidCertificate(_))) => Some(e),
        _ => None,
    };
    let refusal = presented.verdict.as_ref().err().or(handshake_refusal);
    if let (Some(e), TrustFinding::Trusted { .. }, NameFinding::Valid) =
        (refusal, &trust_finding, &assessment.name)
    {
        if !judge::is_time_error(e) {
            trust_finding = TrustFinding::Untrusted(e.clone());
        }
    }
    let mut trust = judge::judge_trust(&trust_finding, chain, anchors, ctx);
    if assessment.unreadable > 0 {
        trust = trust.with_detail("unreadable_certificates", assessment.unreadable);
    }
    let name = judge::judge_name(&assessment.name, chain.first(), ctx);
    let validity = judge::judge_validity(chain, now, presented.verdict.as_ref().err(), ctx);
    let secure = facts.failure.is_none()
        && trust.status == Status::Pass
        && name.status == Status::Pass
        && validity.status != Status::Fail;
    TlsOutcome {
        checks: vec![handshake, trust, name, validity],
        secure,
        chain: chain.clone(),
    }
}

/// Trust and name of the presented chain, each judged on its own.
#[derive(Debug, Clone)]
struct Assessment {
    chain: Vec<CertSummary>,
    unreadable: usize,
    trust: TrustFinding,
    name: NameFinding,
}

fn assess(
    presented: &Presented,
    server_name: &ServerName<'_>,
    roots: &RootCertStore,
    have_extra_roots: bool,
) -> Assessment {
    let summaries: Vec<Result<CertSummary, String>> = presented
        .chain
        .iter()
        .map(|der| CertSummary::from_der(der))
        .collect();
    let unreadable = summaries.iter().filter(|s| s.is_err()).count();
    let chain: Vec<CertSummary> = summaries.into_iter().filter_map(Result::ok).collect();
    let Some((leaf_der, intermediates)) = presented.chain.split_first() else {
        return Assessment {
            chain,
            unreadable,
            trust: TrustFinding::Undetermined("the server sent no certificate".into()),
            name: NameFinding::Undetermined("the server sent no certificate".into()),
        };
    };
    let leaf = match ParsedCertificate::try_from(leaf_der) {
        Ok(leaf) => leaf,
        Err(e) => {
            return Assessment {
                chain,
                unreadable,
                trust: TrustFinding::Untrusted(e),
                name: NameFinding::Undetermined("the certificate cannot be read".into()),
            }
        }
    };
    let name = match verify_server_name(&leaf, server_name) {
        Ok(()) => NameFinding::Valid,
        Err(rustls::Error::InvalidCertificate(
            rustls::CertificateError::NotValidForName
            | rustls::CertificateError::NotValidForNameContext { .. },
        )) => NameFinding::Invalid,
        Err(e) => NameFinding::Undetermined(format!("the name could not be checked: {e}")),
    };
    let trust = judge_trust_apart_from_dates(&leaf, intermediates, roots, &chain, have_extra_roots);
    Assessment {
        chain,
        unreadable,
        trust,
        name,
    }
}

/// Verifies the chain to the roots at moments when its certificates are
/// valid, so that dates (judged by `tls.validity`) do not hide trust faults.
fn judge_trust_apart_from_dates(
    leaf: &ParsedCertificate<'_>,
    intermediates: &[CertificateDer<'_>],
    roots: &RootCertStore,
    chain: &[CertSummary],
    have_extra_roots: bool,
) -> TrustFinding {
    let algorithms = provider().signature_verification_algorithms.all;
    let verify_at = |store: &RootCertStore, at: UnixTime| {
        verify_server_cert_signed_by_trust_anchor(leaf, store, intermediates, at, algorithms)
    };
    let mut last_time_error = None;
    for at in verification_moments(chain) {
        match verify_at(roots, at) {
            Ok(()) => {
                let via_ca_file = have_extra_roots && verify_at(&public_roots(), at).is_err();
                return TrustFinding::Trusted { via_ca_file };
            }
            Err(e) if judge::is_time_error(&e) => last_time_error = Some(e),
            Err(e) => return TrustFinding::Untrusted(e),
        }
    }
    TrustFinding::Undetermined(match last_time_error {
        Some(e) => format!(
            "trust could not be judged apart from the dates: there is no moment at which the whole chain is valid ({e})"
        ),
        None => "trust could not be judged: the certificate dates cannot be read".into(),
    })
}

/// The real clock, then a moment when every certificate sent is valid, then
/// the middle of the leaf's validity.
fn verification_moments(chain: &[CertSummary]) -> Vec<UnixTime> {
    let mut moments = vec![UnixTime::now()];
    let latest_start = chain.iter().map(|c| c.not_before).max();
    let earliest_end = chain.iter().map(|c| c.not_after).min();
    if let (Some(start), Some(end)) = (latest_start, earliest_end) {
        if start <= end {
            moments.extend(unix_time(start + (end - start) / 2));
        }
    }
    if let Some(leaf) = chain.first() {
        moments.extend(unix_time(
            leaf.not_before + (leaf.not_after - leaf.not_before) / 2,
        ));
    }
    moments
}

fn unix_time(t: OffsetDateTime) -> Option<UnixTime> {
    u64::try_from(t.unix_timestamp())
        .ok()
        .map(|secs| UnixTime::since_unix_epoch(Duration::from_secs(secs)))
}

/// Reads from the socket, keeping count of the bytes and the first few.
struct Tally<'a> {
    stream: &'a mut TcpStream,
    total: usize,
    first: Vec<u8>,
}

impl Read for Tally<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.stream.read(buf)?;
        self.total += n;
        let room = 64usize.saturating_sub(self.first.len());
        self.first.extend_from_slice(&buf[..n.min(room)]);
        Ok(n)
    }
}

/// Whether an I/O error is a socket timeout (Linux says WouldBlock).
fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Bounds the next blocking call by what is left of the budget.
fn arm(stream: &TcpStream, budget: &Budget) -> Result<(), HandshakeFailure> {
    let left = budget.remaining();
    if left.is_zero() {
        return Err(HandshakeFailure::TimedOut);
    }
    stream
        .set_read_timeout(Some(left))
        .and_then(|()| stream.set_write_timeout(Some(left)))
        .map_err(|e| HandshakeFailure::Io(e.to_string()))
}

/// Drives the client side of the handshake by hand, so that the deadline is
/// checked between every read: a server that sends one byte a second never
/// lets a blocking read time out, but it does run out the budget. Returns the
/// connection when the handshake completed.
fn handshake(
    mut stream: TcpStream,
    server_name: ServerName<'static>,
    verifier: Arc<dyn ServerCertVerifier>,
    budget: &Budget,
) -> (HandshakeFacts, Option<(ClientConnection, TcpStream)>) {
    let mut facts = HandshakeFacts {
        sni: match &server_name {
            ServerName::DnsName(name) => Some(name.as_ref().to_string()),
            _ => None,
        },
        ..HandshakeFacts::default()
    };
    let asked = Arc::new(CertificateRequests::default());
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map(|b| {
            b.dangerous()
                .with_custom_certificate_verifier(verifier)
                .with_client_cert_resolver(Arc::clone(&asked) as _)
        });
    let conn = config.map_err(HandshakeFailure::Tls).and_then(|c| {
        ClientConnection::new(Arc::new(c), server_name).map_err(HandshakeFailure::Tls)
    });
    let mut conn = match conn {
        Ok(conn) => conn,
        Err(failure) => {
            facts.failure = Some(failure);
            return (facts, None);
        }
    };
    if let Err(e) = stream.set_nonblocking(false) {
        facts.failure = Some(HandshakeFailure::Io(e.to_string()));
        return (facts, None);
    }
    let mut tally_total = 0;
    let mut first = Vec::new();
    let result = drive(&mut conn, &mut stream, budget, &mut tally_total, &mut first);
    facts.server_bytes = tally_total;
    facts.first_bytes = first;
    facts.client_cert_requested = asked.seen();
    facts.protocol = conn.protocol_version().map(|v| match v {
        ProtocolVersion::TLSv1_2 => "TLS 1.2".to_string(),
        ProtocolVersion::TLSv1_3 => "TLS 1.3".to_string(),
        other => format!("{other:?}"),
    });
    facts.cipher_suite = conn
        .negotiated_cipher_suite()
        .map(|s| format!("{:?}", s.suite()));
    match result {
        Ok(()) => (facts, Some((conn, stream))),
        Err(failure) => {
            facts.failure = Some(failure);
            (facts, None)
        }
    }
}

/// A client-certificate resolver that has no certificate to give: it records
/// that the server asked (a CertificateRequest) and lets the handshake go on
/// without one, as SSI does.
#[derive(Debug, Default)]
struct CertificateRequests {
    asked: AtomicBool,
}

impl CertificateRequests {
    fn seen(&self) -> bool {
        self.asked.load(Ordering::Relaxed)
    }
}

impl ResolvesClientCert for CertificateRequests {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        self.asked.store(true, Ordering::Relaxed);
        None
    }

    fn has_certs(&self) -> bool {
        false
    }
}

fn drive(
    conn: &mut ClientConnection,
    stream: &mut TcpStream,
    budget: &Budget,
    total: &mut usize,
    first: &mut Vec<u8>,
) -> Result<(), HandshakeFailure> {
    let io_failure = |e: io::Error| {
        if is_timeout(&e) {
            HandshakeFailure::TimedOut
        } else {
            HandshakeFailure::Io(e.to_string())
        }
    };
    while conn.is_handshaking() {
        while conn.wants_write() {
            arm(stream, budget)?;
            conn.write_tls(stream).map_err(io_failure)?;
        }
        if !conn.is_handshaking() {
            break;
        }
        arm(stream, budget)?;
        let mut tally = Tally {
            stream,
            total: *total,
            first: std::mem::take(first),
        };
        let read = conn.read_tls(&mut tally);
        *total = tally.total;
        *first = tally.first;
        match read {
            Ok(0) => return Err(HandshakeFailure::PeerClosed),
            Ok(_) => {}
            Err(e) => return Err(io_failure(e)),
        }
        if let Err(e) = conn.process_new_packets() {
            // Send our alert before reporting, as a well-behaved client does.
            if arm(stream, budget).is_ok() {
                let _ = conn.write_tls(stream);
            }
            return Err(HandshakeFailure::Tls(e));
        }
    }
    // TLS 1.2 ends with our Finished still to flush.
    while conn.wants_write() {
        arm(stream, budget)?;
        conn.write_tls(stream).map_err(io_failure)?;
    }
    Ok(())
}
