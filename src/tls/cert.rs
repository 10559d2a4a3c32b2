//! What a certificate the server sent says about itself, for reports.

use std::net::IpAddr;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate, X509Name};
use x509_parser::public_key::PublicKey;

use crate::clock;

/// The facts of one certificate of the chain the server sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertSummary {
    /// The subject distinguished name (`CN=mail.contoso.com, O=Contoso`).
    pub subject: String,
    /// The subject's common name, when it has one.
    pub subject_cn: Option<String>,
    /// The issuer distinguished name.
    pub issuer: String,
    /// The issuer's common name, when it has one.
    pub issuer_cn: Option<String>,
    /// Start of the validity period, UTC.
    pub not_before: OffsetDateTime,
    /// End of the validity period, UTC.
    pub not_after: OffsetDateTime,
    /// The DNS names among the subject alternative names.
    pub dns_names: Vec<String>,
    /// The IP addresses among the subject alternative names.
    pub ip_addresses: Vec<IpAddr>,
    /// SHA-256 fingerprint of the DER, upper-case hex pairs joined by colons.
    pub sha256: String,
    /// Whether subject and issuer are the same name (a self-signed certificate).
    pub self_signed: bool,
    /// The algorithm its issuer signed it with (`sha256WithRSAEncryption`).
    pub signature_algorithm: String,
    /// The size in bits of its public key when that is an RSA key.
    pub rsa_key_bits: Option<usize>,
}

impl CertSummary {
    /// Reads a DER certificate; the error says why it cannot be read.
    pub fn from_der(der: &[u8]) -> Result<CertSummary, String> {
        let (_, cert) = X509Certificate::from_der(der)
            .map_err(|e| format!("not a readable X.509 certificate ({e})"))?;
        let mut dns_names = Vec::new();
        let mut ip_addresses = Vec::new();
        if let Ok(Some(sans)) = cert.subject_alternative_name() {
            for name in &sans.value.general_names {
                match name {
                    GeneralName::DNSName(dns) => dns_names.push(dns.to_string()),
                    GeneralName::IPAddress(bytes) => {
                        if let Some(ip) = ip_from_bytes(bytes) {
                            ip_addresses.push(ip);
                        }
                    }
                    _ => {}
                }
            }
        }
        Ok(CertSummary {
            subject: cert.subject().to_string(),
            subject_cn: common_name(cert.subject()),
            issuer: cert.issuer().to_string(),
            issuer_cn: common_name(cert.issuer()),
            not_before: cert.validity().not_before.to_datetime(),
            not_after: cert.validity().not_after.to_datetime(),
            dns_names,
            ip_addresses,
            sha256: fingerprint(der),
            self_signed: cert.subject().as_raw() == cert.issuer().as_raw(),
            signature_algorithm: signature_name(&cert.signature_algorithm.algorithm.to_id_string()),
            rsa_key_bits: match cert.public_key().parsed() {
                Ok(PublicKey::RSA(rsa)) => Some(rsa.key_size()),
                _ => None,
            },
        })
    }

    /// The weak hash its issuer signed it with ("SHA-1", "MD5"), if any. A
    /// self-signed certificate's own signature is not checked by clients (a
    /// root is trusted as it is), so it never counts.
    pub fn weak_signature_hash(&self) -> Option<&'static str> {
        if self.self_signed {
            return None;
        }
        WEAK_SIGNATURES
            .iter()
            .find(|(name, _)| *name == self.signature_algorithm)
            .map(|(_, hash)| *hash)
    }

    /// Whether its key is an RSA key under 2048 bits, which TLS clients refuse.
    pub fn weak_rsa_key(&self) -> bool {
        self.rsa_key_bits.is_some_and(|bits| bits < MIN_RSA_BITS)
    }

    /// The subject as people name it: its CN, else the whole name.
    pub fn subject_label(&self) -> &str {
        self.subject_cn.as_deref().unwrap_or(&self.subject)
    }

    /// The issuer as people name it: its CN, else the whole name.
    pub fn issuer_label(&self) -> &str {
        self.issuer_cn.as_deref().unwrap_or(&self.issuer)
    }

    /// Every subject alternative name (DNS names, then IP addresses), as text.
    pub fn names(&self) -> Vec<String> {
        self.dns_names
            .iter()
            .cloned()
            .chain(self.ip_addresses.iter().map(IpAddr::to_string))
            .collect()
    }

    /// Whether the certificate is valid at `now`.
    pub fn valid_at(&self, now: OffsetDateTime) -> bool {
        self.not_before <= now && now <= self.not_after
    }

    /// The summary as report details.
    pub fn to_json(&self) -> Value {
        json!({
            "subject": self.subject,
            "issuer": self.issuer,
            "not_before": clock::rfc3339(self.not_before),
            "not_after": clock::rfc3339(self.not_after),
            "subject_alt_names": self.names(),
            "sha256": self.sha256,
            "self_signed": self.self_signed,
            "signature_algorithm": self.signature_algorithm,
            "rsa_key_bits": self.rsa_key_bits,
        })
    }
}

/// The smallest RSA key TLS clients accept (CA/Browser Forum baseline
/// requirements; webpki refuses smaller ones).
pub const MIN_RSA_BITS: usize = 2048;

/// Certificate signature algorithms by OID, with their names as OpenSSL prints them.
const SIGNATURE_ALGORITHMS: &[(&str, &str)] = &[
    ("1.2.840.113549.1.1.2", "md2WithRSAEncryption"),
    ("1.2.840.113549.1.1.4", "md5WithRSAEncryption"),
    ("1.2.840.113549.1.1.5", "sha1WithRSAEncryption"),
    ("1.3.14.3.2.29", "sha1WithRSA"),
    ("1.2.840.113549.1.1.10", "rsassaPss"),
    ("1.2.840.113549.1.1.11", "sha256WithRSAEncryption"),
    ("1.2.840.113549.1.1.12", "sha384WithRSAEncryption"),
    ("1.2.840.113549.1.1.13", "sha512WithRSAEncryption"),
    ("1.2.840.10045.4.1", "ecdsa-with-SHA1"),
    ("1.2.840.10045.4.3.2", "ecdsa-with-SHA256"),
    ("1.2.840.10045.4.3.3", "ecdsa-with-SHA384"),
    ("1.2.840.10045.4.3.4", "ecdsa-with-SHA512"),
    ("1.2.840.10040.4.3", "dsa-with-SHA1"),
    ("1.3.101.112", "ED25519"),
];

/// The signature algorithms made with a broken hash, and that hash.
const WEAK_SIGNATURES: &[(&str, &str)] = &[
    ("md2WithRSAEncryption", "MD2"),
    ("md5WithRSAEncryption", "MD5"),
    ("sha1WithRSAEncryption", "SHA-1"),
    ("sha1WithRSA", "SHA-1"),
    ("ecdsa-with-SHA1", "SHA-1"),
    ("dsa-with-SHA1", "SHA-1"),
];

/// A signature algorithm's name, or its OID when it has none here.
fn signature_name(oid: &str) -> String {
    SIGNATURE_ALGORITHMS
        .iter()
        .find(|(id, _)| *id == oid)
        .map_or_else(|| oid.to_string(), |(_, name)| (*name).to_string())
}

fn common_name(name: &X509Name<'_>) -> Option<String> {
    name.iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_string)
}

fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::pki::Pki;
    use rustls_pki_types::pem::PemObject;

    #[test]
    fn summarises_a_lab_leaf() {
        let pki = Pki::new().expect("pki");
        let leaf = pki
            .leaf("mail.contoso.test")
            .also_named("127.0.0.1")
            .build()
            .expect("leaf");
        let summary = CertSummary::from_der(leaf.cert_der()).expect("summary");
        assert_eq!(summary.subject_label(), "mail.contoso.test");
        assert_eq!(summary.issuer_label(), "Contoso Lab Issuing CA 1");
        assert!(summary.subject.contains("CN=mail.contoso.test"));
        assert_eq!(summary.names(), vec!["mail.contoso.test", "127.0.0.1"]);
        assert!(!summary.self_signed);
        assert_eq!(summary.sha256.len(), 32 * 3 - 1);
        assert!(summary.valid_at(OffsetDateTime::now_utc()));
        let root = CertSummary::from_der(pki.root.cert_der()).expect("root");
        assert!(root.self_signed);
        assert_eq!(summary.to_json()["subject_alt_names"][1], "127.0.0.1");
        assert_eq!(summary.signature_algorithm, "ecdsa-with-SHA256");
        assert_eq!(summary.rsa_key_bits, None);
        assert_eq!(summary.weak_signature_hash(), None);
        assert!(!summary.weak_rsa_key());
    }

    /// The committed OpenSSL certificates (tests/fixtures/tls/make.sh).
    fn fixture_chain(dir: &str) -> Vec<CertSummary> {
        let path = format!(
            "{}/tests/fixtures/tls/{dir}/chain.pem",
            env!("CARGO_MANIFEST_DIR")
        );
        let pem = std::fs::read(path).expect("fixture");
        rustls_pki_types::CertificateDer::pem_slice_iter(&pem)
            .map(|der| CertSummary::from_der(&der.expect("pem")).expect("summary"))
            .collect()
    }

    #[test]
    fn reads_weak_hashes_and_small_rsa_keys() {
        let sha1 = fixture_chain("weak-signature");
        assert_eq!(sha1[0].signature_algorithm, "sha1WithRSAEncryption");
        assert_eq!(sha1[0].weak_signature_hash(), Some("SHA-1"));
        let small = fixture_chain("weak-key");
        assert_eq!(small[1].subject_label(), "Contoso Lab 1024-bit Issuing CA");
        assert_eq!(small[1].rsa_key_bits, Some(1024));
        assert!(small[1].weak_rsa_key());
        assert!(!small[0].weak_rsa_key());
        assert_eq!(small[0].weak_signature_hash(), None);
    }

    #[test]
    fn garbage_is_not_a_certificate() {
        assert!(CertSummary::from_der(b"not der")
            .unwrap_err()
            .contains("X.509"));
    }
}
