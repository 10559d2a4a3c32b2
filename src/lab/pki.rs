//! A throw-away public key infrastructure for the lab: a root CA (what a test
//! hands to `--ca-file`), intermediates, and server certificates with every
//! defect the `tls` link diagnoses.
//!
//! ```no_run
//! use idtoken_doctor::lab::pki::Pki;
//! use time::Duration;
//!
//! let pki = Pki::new()?;
//! // A healthy server: leaf issued by the intermediate, both sent.
//! let good = pki.leaf("mail.contoso.test").build()?;
//! // The classic misconfiguration: the server sends only its leaf.
//! let incomplete = pki.leaf("mail.contoso.test").without_intermediate().build()?;
//! let expired = pki.leaf("mail.contoso.test").expired().build()?;
//! let renew_soon = pki.leaf("mail.contoso.test").expires_in(Duration::days(10)).build()?;
//! let self_signed = pki.leaf("mail.contoso.test").self_signed().build()?;
//! let identity = good.identity(); // ready for `lab::https::HttpsServer`
//! std::fs::write("ca.pem", pki.ca_pem()).ok(); // for --ca-file
//! # Ok::<(), rcgen::Error>(())
//! ```
//!
//! Keys are ECDSA P-256 (rcgen with ring cannot generate RSA keys, and TLS does
//! not need them). Validity periods are relative to the real clock, since the
//! handshake is verified at the real clock whatever `--now` says.

use std::fmt;
use std::net::IpAddr;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, SanType,
};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::{Duration, OffsetDateTime};

/// The organisation every lab certificate names, so nobody mistakes one for a real one.
const LAB_ORGANISATION: &str = "idtoken-doctor lab";

/// The certificate and key a TLS server presents: exactly what rustls's
/// `ServerConfig::with_single_cert` takes.
pub struct ServerIdentity {
    /// The certificates the server sends, leaf first, in the order sent.
    /// Any length: a lone leaf, leaf plus intermediates, or fifty certificates.
    pub chain: Vec<CertificateDer<'static>>,
    /// The leaf's private key.
    pub key: PrivateKeyDer<'static>,
}

impl Clone for ServerIdentity {
    fn clone(&self) -> Self {
        ServerIdentity {
            chain: self.chain.clone(),
            key: self.key.clone_key(),
        }
    }
}

impl fmt::Debug for ServerIdentity {
    /// Shows the chain length, never the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerIdentity")
            .field("chain_len", &self.chain.len())
            .field("key", &"[elided]")
            .finish()
    }
}

/// A certification authority of the lab: a root, or an intermediate under one.
pub struct TestCa {
    common_name: String,
    issuer: CertifiedIssuer<'static, KeyPair>,
    /// What a server sends above a leaf this CA issued: this CA's certificate
    /// and the intermediates above it (empty for a root, which is never sent).
    sent_above_leaf: Vec<CertificateDer<'static>>,
}

impl fmt::Debug for TestCa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestCa")
            .field("common_name", &self.common_name)
            .field("intermediates_sent", &self.sent_above_leaf.len())
            .finish()
    }
}

impl TestCa {
    /// A new self-signed root CA, valid from a year ago for ten years.
    pub fn root(common_name: &str) -> Result<TestCa, rcgen::Error> {
        let params = ca_params(common_name);
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate()?)?;
        Ok(TestCa {
            common_name: common_name.to_string(),
            issuer,
            sent_above_leaf: Vec::new(),
        })
    }

    /// A new intermediate CA issued by this one.
    pub fn issue_intermediate(&self, common_name: &str) -> Result<TestCa, rcgen::Error> {
        let mut params = ca_params(common_name);
        params.use_authority_key_identifier_extension = true;
        let issuer = CertifiedIssuer::signed_by(params, KeyPair::generate()?, &self.issuer)?;
        let mut sent_above_leaf = vec![issuer.der().clone()];
        sent_above_leaf.extend(self.sent_above_leaf.iter().cloned());
        Ok(TestCa {
            common_name: common_name.to_string(),
            issuer,
            sent_above_leaf,
        })
    }

    /// The CA's common name (what a certificate it issued names as issuer CN).
    pub fn common_name(&self) -> &str {
        &self.common_name
    }

    /// The CA's own certificate, DER.
    pub fn cert_der(&self) -> &CertificateDer<'static> {
        self.issuer.der()
    }

    /// The CA's own certificate, PEM (for a root: the `--ca-file` contents).
    pub fn cert_pem(&self) -> String {
        self.issuer.pem()
    }

    /// The certificates a server sends above a leaf issued by this CA: this
    /// CA's certificate and the intermediates above it, nearest first; empty
    /// for a root.
    pub fn chain_above_leaf(&self) -> &[CertificateDer<'static>] {
        &self.sent_above_leaf
    }

    fn issue(&self, params: &CertificateParams, key: &KeyPair) -> Result<Vec<u8>, rcgen::Error> {
        Ok(params.signed_by(key, &self.issuer)?.der().to_vec())
    }
}

/// The usual lab set-up: a root and one intermediate under it.
#[derive(Debug)]
pub struct Pki {
    /// "Contoso Lab Root CA": the trust anchor tests pass to `--ca-file`.
    pub root: TestCa,
    /// "Contoso Lab Issuing CA 1": issues leaves by default.
    pub intermediate: TestCa,
}

impl Pki {
    /// A new root and intermediate, with fresh keys.
    pub fn new() -> Result<Pki, rcgen::Error> {
        let root = TestCa::root("Contoso Lab Root CA")?;
        let intermediate = root.issue_intermediate("Contoso Lab Issuing CA 1")?;
        Ok(Pki { root, intermediate })
    }

    /// The root certificate as PEM: write it to a file for `--ca-file`.
    pub fn ca_pem(&self) -> String {
        self.root.cert_pem()
    }

    /// The root certificate, DER: for `NetSettings::extra_roots`.
    pub fn ca_der(&self) -> CertificateDer<'static> {
        self.root.cert_der().clone()
    }

    /// Starts a server certificate for `name` (a DNS name or an IP address),
    /// by default issued by the intermediate and sent with it, valid from 30
    /// days ago for a year.
    pub fn leaf(&self, name: &str) -> LeafBuilder<'_> {
        LeafBuilder {
            pki: self,
            names: vec![name.to_string()],
            issuer: LeafIssuer::Intermediate,
            send_issuers: true,
            not_before: None,
            not_after: None,
            cn_only: false,
        }
    }
}

/// Who signs a leaf.
enum LeafIssuer {
    /// The PKI's intermediate.
    Intermediate,
    /// The leaf's own key: a self-signed certificate.
    SelfSigned,
    /// A fresh chain of this many intermediates under the root, the last one signing.
    FreshChain(usize),
}

/// Options for one server certificate; [`LeafBuilder::build`] makes it.
pub struct LeafBuilder<'a> {
    pki: &'a Pki,
    names: Vec<String>,
    issuer: LeafIssuer,
    send_issuers: bool,
    not_before: Option<OffsetDateTime>,
    not_after: Option<OffsetDateTime>,
    cn_only: bool,
}

impl<'a> LeafBuilder<'a> {
    /// Names the host only in the subject common name, with no subject
    /// alternative names: how certificates were made before RFC 6125.
    pub fn cn_only(mut self) -> Self {
        self.cn_only = true;
        self
    }

    /// Adds a subject alternative name (a DNS name, or an IP address).
    pub fn also_named(mut self, name: &str) -> Self {
        self.names.push(name.to_string());
        self
    }

    /// Issued by the intermediate, but the server sends only the leaf: the
    /// "incomplete chain" misconfiguration.
    pub fn without_intermediate(mut self) -> Self {
        self.issuer = LeafIssuer::Intermediate;
        self.send_issuers = false;
        self
    }

    /// Signed by its own key: subject and issuer are the same, nothing is sent with it.
    pub fn self_signed(mut self) -> Self {
        self.issuer = LeafIssuer::SelfSigned;
        self
    }

    /// Issued at the end of a fresh chain of `count` intermediates under the
    /// root, all sent: `intermediates(49)` gives a server that sends 50
    /// certificates.
    pub fn intermediates(mut self, count: usize) -> Self {
        self.issuer = LeafIssuer::FreshChain(count);
        self.send_issuers = true;
        self
    }

    /// Valid from `not_before` to `not_after`.
    pub fn valid(mut self, not_before: OffsetDateTime, not_after: OffsetDateTime) -> Self {
        self.not_before = Some(not_before);
        self.not_after = Some(not_after);
        self
    }

    /// Expired 30 days ago (valid for a year before that).
    pub fn expired(self) -> Self {
        let now = now_to_the_second();
        self.valid(now - Duration::days(395), now - Duration::days(30))
    }

    /// Valid only from 30 days on.
    pub fn not_yet_valid(self) -> Self {
        let now = now_to_the_second();
        self.valid(now + Duration::days(30), now + Duration::days(395))
    }

    /// Valid since 30 days ago, expiring `remaining` from now.
    pub fn expires_in(self, remaining: Duration) -> Self {
        let now = now_to_the_second();
        self.valid(now - Duration::days(30), now + remaining)
    }

    /// Makes the key and the certificate.
    pub fn build(self) -> Result<Leaf, rcgen::Error> {
        let now = now_to_the_second();
        let mut params = CertificateParams::default();
        params.distinguished_name = distinguished_name(&self.names[0]);
        params.subject_alt_names = self
            .names
            .iter()
            .map(|name| match name.parse::<IpAddr>() {
                Ok(ip) => Ok(SanType::IpAddress(ip)),
                Err(_) => Ok(SanType::DnsName(name.as_str().try_into()?)),
            })
            .collect::<Result<Vec<_>, rcgen::Error>>()?;
        if self.cn_only {
            params.subject_alt_names.clear();
        }
        params.not_before = self.not_before.unwrap_or(now - Duration::days(30));
        params.not_after = self.not_after.unwrap_or(now + Duration::days(365));
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension =
            !matches!(self.issuer, LeafIssuer::SelfSigned);

        let key = KeyPair::generate()?;
        let fresh_chain;
        let (der, sent_above) = match self.issuer {
            LeafIssuer::SelfSigned => (params.self_signed(&key)?.der().to_vec(), Vec::new()),
            LeafIssuer::Intermediate => (
                self.pki.intermediate.issue(&params, &key)?,
                self.pki.intermediate.chain_above_leaf().to_vec(),
            ),
            LeafIssuer::FreshChain(count) => {
                fresh_chain = fresh_intermediates(&self.pki.root, count)?;
                let ca = fresh_chain.as_ref().unwrap_or(&self.pki.root);
                (ca.issue(&params, &key)?, ca.chain_above_leaf().to_vec())
            }
        };
        let cert = CertificateDer::from(der);
        let mut chain = vec![cert.clone()];
        if self.send_issuers {
            chain.extend(sent_above);
        }
        Ok(Leaf {
            cert,
            key: PrivatePkcs8KeyDer::from(key.serialize_der()),
            chain,
        })
    }
}

/// A chain of `count` intermediates under `root`; the last one (None for zero).
fn fresh_intermediates(root: &TestCa, count: usize) -> Result<Option<TestCa>, rcgen::Error> {
    let mut last: Option<TestCa> = None;
    for level in 1..=count {
        let parent = last.as_ref().unwrap_or(root);
        last = Some(parent.issue_intermediate(&format!("Contoso Lab Intermediate {level}"))?);
    }
    Ok(last)
}

/// A server certificate, its key, and what the server sends.
pub struct Leaf {
    cert: CertificateDer<'static>,
    key: PrivatePkcs8KeyDer<'static>,
    chain: Vec<CertificateDer<'static>>,
}

impl fmt::Debug for Leaf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Leaf")
            .field("chain_len", &self.chain.len())
            .finish_non_exhaustive()
    }
}

impl Leaf {
    /// The leaf certificate, DER.
    pub fn cert_der(&self) -> &CertificateDer<'static> {
        &self.cert
    }

    /// The leaf certificate, PEM.
    pub fn cert_pem(&self) -> String {
        pem("CERTIFICATE", &self.cert)
    }

    /// The private key, PKCS#8 PEM.
    pub fn key_pem(&self) -> String {
        pem("PRIVATE KEY", self.key.secret_pkcs8_der())
    }

    /// The certificates the server sends, leaf first.
    pub fn chain(&self) -> &[CertificateDer<'static>] {
        &self.chain
    }

    /// The chain as PEM, leaf first (a server's "fullchain.pem").
    pub fn chain_pem(&self) -> String {
        self.chain
            .iter()
            .map(|der| pem("CERTIFICATE", der))
            .collect()
    }

    /// What a rustls server needs to present this certificate.
    pub fn identity(&self) -> ServerIdentity {
        ServerIdentity {
            chain: self.chain.clone(),
            key: PrivateKeyDer::Pkcs8(self.key.clone_key()),
        }
    }
}

/// PEM armour around DER, 64 characters a line.
pub fn pem(label: &str, der: &[u8]) -> String {
    let encoded = STANDARD.encode(der);
    let mut text = format!("-----BEGIN {label}-----\n");
    for line in encoded.as_bytes().chunks(64) {
        text.push_str(&String::from_utf8_lossy(line));
        text.push('\n');
    }
    text.push_str(&format!("-----END {label}-----\n"));
    text
}

fn ca_params(common_name: &str) -> CertificateParams {
    let now = now_to_the_second();
    let mut params = CertificateParams::default();
    params.distinguished_name = distinguished_name(common_name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = now - Duration::days(365);
    params.not_after = now + Duration::days(3650);
    params
}

fn distinguished_name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::OrganizationName, LAB_ORGANISATION);
    name.push(DnType::CommonName, common_name);
    name
}

fn now_to_the_second() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(0).unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_parser::prelude::*;

    fn parse(der: &[u8]) -> X509Certificate<'_> {
        X509Certificate::from_der(der).expect("parses").1
    }

    #[test]
    fn default_leaf_is_sent_with_its_intermediate() {
        let pki = Pki::new().expect("pki");
        let leaf = pki
            .leaf("mail.contoso.test")
            .also_named("127.0.0.1")
            .build()
            .expect("leaf");
        assert_eq!(leaf.chain().len(), 2);
        assert_eq!(&leaf.chain()[1], pki.intermediate.cert_der());
        let cert = parse(leaf.cert_der());
        assert_eq!(cert.issuer(), parse(pki.intermediate.cert_der()).subject());
        let sans = cert
            .subject_alternative_name()
            .expect("ok")
            .expect("present");
        assert_eq!(sans.value.general_names.len(), 2);
    }

    #[test]
    fn chain_options_change_what_is_sent() {
        let pki = Pki::new().expect("pki");
        let alone = pki
            .leaf("a.test")
            .without_intermediate()
            .build()
            .expect("leaf");
        assert_eq!(alone.chain().len(), 1);
        let own = pki.leaf("a.test").self_signed().build().expect("leaf");
        let cert = parse(own.cert_der());
        assert_eq!(cert.subject(), cert.issuer());
        let long = pki.leaf("a.test").intermediates(49).build().expect("leaf");
        assert_eq!(long.chain().len(), 50);
        assert!(pki.ca_pem().starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(own.key_pem().starts_with("-----BEGIN PRIVATE KEY-----"));
        assert_eq!(alone.chain_pem(), alone.cert_pem());
    }

    #[test]
    fn validity_options_set_the_dates() {
        let pki = Pki::new().expect("pki");
        let now = OffsetDateTime::now_utc();
        let expired = pki.leaf("a.test").expired().build().expect("leaf");
        assert!(parse(expired.cert_der()).validity().not_after.to_datetime() < now);
        let future = pki.leaf("a.test").not_yet_valid().build().expect("leaf");
        assert!(parse(future.cert_der()).validity().not_before.to_datetime() > now);
        let soon = pki
            .leaf("a.test")
            .expires_in(Duration::days(10))
            .build()
            .expect("leaf");
        let left = parse(soon.cert_der()).validity().not_after.to_datetime() - now;
        assert!(left > Duration::days(9) && left <= Duration::days(10));
    }
}
