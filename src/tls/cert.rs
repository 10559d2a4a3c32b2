//! What a certificate the server sent says about itself, for reports.

use std::net::IpAddr;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate, X509Name};

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
        })
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
        })
    }
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
    }

    #[test]
    fn garbage_is_not_a_certificate() {
        assert!(CertSummary::from_der(b"not der")
            .unwrap_err()
            .contains("X.509"));
    }
}
