//! Stand-ins for the Exchange Server Auth Certificate and the metadata
//! document Exchange publishes it in, for tests and `demo`.
//!
//! The real certificate is self-signed, RSA 2048, subject
//! `CN=Microsoft Exchange Server Auth Certificate`, valid five years. rcgen
//! with ring cannot generate RSA keys, so the key comes from the `rsa` crate
//! and reaches rcgen as PKCS#8 DER (`KeyPair::from_pkcs8_der_and_sign_algo`
//! with `PKCS_RSA_SHA256`); rcgen then signs the certificate with ring.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use rcgen::{CertificateParams, DistinguishedName, DnType, KeyPair, SerialNumber};
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::EncodePrivateKey as _;
use rsa::signature::{SignatureEncoding as _, Signer as _};
use rsa::RsaPrivateKey;
use rustls_pki_types::PrivatePkcs8KeyDer;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::metadata::{x5t_of, EXCHANGE_SERVICE_NAME};

/// The subject common name Exchange gives its auth certificate.
pub const AUTH_CERT_COMMON_NAME: &str = "Microsoft Exchange Server Auth Certificate";

/// Why an auth certificate could not be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthCertError(String);

impl fmt::Display for AuthCertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AuthCertError {}

/// An Exchange-Server-Auth-Certificate-like identity: an RSA key and a
/// self-signed certificate for it.
#[derive(Clone)]
pub struct AuthCert {
    /// The private key, for signing identity tokens.
    pub private_key: RsaPrivateKey,
    /// The certificate, DER-encoded.
    pub der: Vec<u8>,
    /// base64url (no padding) SHA-1 of the DER: the token header's `x5t`.
    pub x5t: String,
    /// Start of validity.
    pub not_before: OffsetDateTime,
    /// End of validity.
    pub not_after: OffsetDateTime,
}

impl fmt::Debug for AuthCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The private key stays out of debug output.
        f.debug_struct("AuthCert")
            .field("x5t", &self.x5t)
            .field("not_before", &self.not_before)
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

impl AuthCert {
    /// A new RSA 2048 key and a self-signed certificate for it, valid
    /// `not_before`..`not_after` (either may lie in the past, for expired ones).
    pub fn generate(
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> Result<Self, AuthCertError> {
        let key = RsaPrivateKey::new(&mut rand_core::OsRng, 2048)
            .map_err(|e| AuthCertError(format!("generating an RSA 2048 key failed: {e}")))?;
        Self::for_key(key, not_before, not_after)
    }

    /// A self-signed certificate for an existing key (a renewed certificate
    /// for the same key, or a quick second certificate in a test). The key
    /// must be 2048 to 8192 bits with exponent 65537 (ring's requirement).
    pub fn for_key(
        private_key: RsaPrivateKey,
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> Result<Self, AuthCertError> {
        let pkcs8 = private_key
            .to_pkcs8_der()
            .map_err(|e| AuthCertError(format!("encoding the key as PKCS#8 failed: {e}")))?;
        let key_pair = KeyPair::from_pkcs8_der_and_sign_algo(
            &PrivatePkcs8KeyDer::from(pkcs8.as_bytes()),
            &rcgen::PKCS_RSA_SHA256,
        )
        .map_err(|e| AuthCertError(format!("rcgen refused the RSA key: {e}")))?;
        let mut params = CertificateParams::default();
        let mut name = DistinguishedName::new();
        name.push(DnType::CommonName, AUTH_CERT_COMMON_NAME);
        params.distinguished_name = name;
        params.not_before = not_before;
        params.not_after = not_after;
        let mut serial = [0u8; 16];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut serial);
        serial[0] &= 0x7f;
        params.serial_number = Some(SerialNumber::from_slice(&serial));
        let certificate = params
            .self_signed(&key_pair)
            .map_err(|e| AuthCertError(format!("signing the certificate failed: {e}")))?;
        let der = certificate.der().to_vec();
        Ok(AuthCert {
            x5t: x5t_of(&der),
            private_key,
            der,
            not_before,
            not_after,
        })
    }

    /// The certificate as standard padded base64, as metadata documents carry it.
    pub fn base64_der(&self) -> String {
        STANDARD.encode(&self.der)
    }

    /// The certificate in PEM.
    pub fn pem(&self) -> String {
        let body = self.base64_der();
        let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
        for line in body.as_bytes().chunks(64) {
            pem.push_str(&String::from_utf8_lossy(line));
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
        pem
    }

    /// The RS256 signature (RSASSA-PKCS1-v1_5, SHA-256) of `signing_input`
    /// (`header.payload`) with this certificate's key.
    pub fn sign_rs256(&self, signing_input: &[u8]) -> Vec<u8> {
        SigningKey::<Sha256>::new(self.private_key.clone())
            .sign(signing_input)
            .to_vec()
    }
}

/// How the key entries spell their field names and values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyNameCasing {
    /// Exchange's and Microsoft's documented form: `keyinfo`, `keyvalue`,
    /// `x509Certificate`, `signing`.
    #[default]
    Exchange,
    /// The form SharePoint's STS and others use: `keyInfo`, `keyValue`,
    /// `x509certificate`, `Signing`.
    Camel,
    /// Capitalised names: `Usage`, `KeyInfo`, `KeyValue`, `Type`, `Value`,
    /// `X509CERTIFICATE`, `SIGNING`.
    Shouting,
}

/// What each key declares as `keyinfo.x5t`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DeclaredX5t {
    /// The certificate's real thumbprint.
    #[default]
    Computed,
    /// No `keyinfo` at all.
    Omitted,
    /// A well-formed thumbprint of something else (the SHA-1 of the DER with
    /// its last byte flipped): the declared x5t differs from the computed one.
    Wrong,
    /// This exact text.
    Text(String),
}

/// Options for [`metadata_json`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataOptions {
    /// `realm` (Exchange on-premises: `*` or the organisation's realm).
    pub realm: String,
    /// Field-name casing of the key entries.
    pub casing: KeyNameCasing,
    /// What the keys declare as `keyinfo.x5t`.
    pub declared_x5t: DeclaredX5t,
    /// Write `/` as `\/` in strings, as .NET serialisers do.
    pub escape_slashes: bool,
    /// Break the base64 certificate into lines of this many characters
    /// (`\r\n` between them), as some serialisers do.
    pub wrap_certificate: Option<usize>,
    /// Leave the base64 padding (`=`) off the certificate.
    pub strip_padding: bool,
    /// The metadata URL for the `endpoints` entry; none written when absent.
    pub metadata_url: Option<String>,
}

impl Default for MetadataOptions {
    fn default() -> Self {
        MetadataOptions {
            realm: "*".to_string(),
            casing: KeyNameCasing::default(),
            declared_x5t: DeclaredX5t::default(),
            escape_slashes: false,
            wrap_certificate: None,
            strip_padding: false,
            metadata_url: None,
        }
    }
}

/// An Exchange authentication metadata document publishing `keys`, in
/// Exchange's format (id `_<guid>`, version, name `Exchange`, realm,
/// serviceName, issuer, allowedAudiences, keys, endpoints), pretty-printed.
/// The id is derived from the certificates, so the same keys give the same document.
pub fn metadata_json(keys: &[&AuthCert], options: &MetadataOptions) -> String {
    let issuer = format!("{EXCHANGE_SERVICE_NAME}@{}", options.realm);
    let mut document = json!({
        "id": format!("_{}", guid_from(keys)),
        "version": "1.0",
        "name": "Exchange",
        "realm": options.realm,
        "serviceName": EXCHANGE_SERVICE_NAME,
        "issuer": issuer,
        "allowedAudiences": [issuer],
        "keys": keys.iter().map(|key| key_entry(key, options)).collect::<Vec<_>>(),
    });
    if let (Some(url), Value::Object(map)) = (&options.metadata_url, &mut document) {
        map.insert(
            "endpoints".to_string(),
            json!([{"location": url, "protocol": "OAuth2", "usage": "metadata"}]),
        );
    }
    let text = serde_json::to_string_pretty(&document).unwrap_or_else(|_| document.to_string());
    if options.escape_slashes {
        // Outside strings JSON has no `/`, so every one is inside a string,
        // where `\/` is a valid escape for it.
        text.replace('/', "\\/")
    } else {
        text
    }
}

/// One entry of `keys`.
fn key_entry(key: &AuthCert, options: &MetadataOptions) -> Value {
    let (usage, keyinfo, keyvalue, kind, value, x509, signing) = match options.casing {
        KeyNameCasing::Exchange => (
            "usage",
            "keyinfo",
            "keyvalue",
            "type",
            "value",
            "x509Certificate",
            "signing",
        ),
        KeyNameCasing::Camel => (
            "usage",
            "keyInfo",
            "keyValue",
            "type",
            "value",
            "x509certificate",
            "Signing",
        ),
        KeyNameCasing::Shouting => (
            "Usage",
            "KeyInfo",
            "KeyValue",
            "Type",
            "Value",
            "X509CERTIFICATE",
            "SIGNING",
        ),
    };
    let mut certificate = key.base64_der();
    if options.strip_padding {
        certificate = certificate.trim_end_matches('=').to_string();
    }
    if let Some(width) = options.wrap_certificate.filter(|w| *w > 0) {
        certificate = certificate
            .as_bytes()
            .chunks(width)
            .map(|line| String::from_utf8_lossy(line).into_owned())
            .collect::<Vec<_>>()
            .join("\r\n");
    }
    let mut entry = serde_json::Map::new();
    entry.insert(usage.to_string(), json!(signing));
    let declared = match &options.declared_x5t {
        DeclaredX5t::Computed => Some(key.x5t.clone()),
        DeclaredX5t::Omitted => None,
        DeclaredX5t::Wrong => {
            let mut other = key.der.clone();
            if let Some(last) = other.last_mut() {
                *last ^= 0xff;
            }
            Some(x5t_of(&other))
        }
        DeclaredX5t::Text(text) => Some(text.clone()),
    };
    if let Some(x5t) = declared {
        entry.insert(keyinfo.to_string(), json!({ "x5t": x5t }));
    }
    entry.insert(
        keyvalue.to_string(),
        json!({ (kind): x509, (value): certificate }),
    );
    Value::Object(entry)
}

/// A GUID-shaped identifier derived from the certificates.
fn guid_from(keys: &[&AuthCert]) -> String {
    let mut hasher = Sha256::new();
    for key in keys {
        hasher.update(&key.der);
    }
    let h = hasher.finalize();
    let hex: String = h.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::LazyLock;
    use time::macros::datetime;
    use time::Duration;

    const NOW: OffsetDateTime = datetime!(2026-06-01 12:00:00 UTC);

    static CERT: LazyLock<AuthCert> = LazyLock::new(|| {
        AuthCert::generate(NOW - Duration::days(1), NOW + Duration::days(365)).expect("auth cert")
    });

    fn parse(options: &MetadataOptions) -> Value {
        serde_json::from_str(&metadata_json(&[&CERT], options)).expect("valid JSON")
    }

    #[test]
    fn certificate_is_exchange_like_and_its_x5t_is_its_thumbprint() {
        let (_, certificate) = x509_parser::parse_x509_certificate(&CERT.der).expect("x509");
        assert_eq!(
            certificate.subject().to_string(),
            format!("CN={AUTH_CERT_COMMON_NAME}")
        );
        assert_eq!(certificate.subject(), certificate.issuer());
        assert_eq!(
            certificate.validity().not_after.to_datetime(),
            CERT.not_after
        );
        assert_eq!(CERT.x5t, x5t_of(&CERT.der));
        assert_eq!(CERT.x5t.len(), 27);
        assert!(CERT.pem().starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert!(!format!("{:?}", *CERT).contains("private"));
    }

    #[test]
    fn a_second_certificate_for_the_same_key_differs() {
        let again = AuthCert::for_key(CERT.private_key.clone(), CERT.not_before, CERT.not_after)
            .expect("second certificate");
        assert_ne!(
            again.x5t, CERT.x5t,
            "a fresh serial number makes another certificate"
        );
    }

    #[test]
    fn documents_have_exchanges_shape() {
        let document = parse(&MetadataOptions {
            metadata_url: Some("https://mail.example/autodiscover/metadata/json/1".into()),
            ..MetadataOptions::default()
        });
        assert_eq!(document["name"], "Exchange");
        assert_eq!(document["serviceName"], EXCHANGE_SERVICE_NAME);
        assert_eq!(document["issuer"], format!("{EXCHANGE_SERVICE_NAME}@*"));
        assert_eq!(document["allowedAudiences"][0], document["issuer"]);
        assert_eq!(document["keys"][0]["keyinfo"]["x5t"], CERT.x5t.as_str());
        assert_eq!(document["keys"][0]["keyvalue"]["type"], "x509Certificate");
        assert_eq!(
            document["keys"][0]["keyvalue"]["value"],
            CERT.base64_der().as_str()
        );
        assert_eq!(document["endpoints"][0]["protocol"], "OAuth2");
        let id = document["id"].as_str().expect("id");
        assert!(id.starts_with('_') && id.matches('-').count() == 4, "{id}");
        assert_eq!(parse(&MetadataOptions::default())["id"], id);
    }

    #[test]
    fn options_change_names_x5t_and_encoding() {
        let camel = parse(&MetadataOptions {
            casing: KeyNameCasing::Camel,
            declared_x5t: DeclaredX5t::Omitted,
            ..MetadataOptions::default()
        });
        let key = &camel["keys"][0];
        assert!(key.get("keyInfo").is_none() && key.get("keyinfo").is_none());
        assert_eq!(key["keyValue"]["type"], "x509certificate");
        assert_eq!(key["usage"], "Signing");
        let shouting = parse(&MetadataOptions {
            casing: KeyNameCasing::Shouting,
            declared_x5t: DeclaredX5t::Wrong,
            wrap_certificate: Some(76),
            strip_padding: true,
            ..MetadataOptions::default()
        });
        let key = &shouting["keys"][0];
        let declared = key["KeyInfo"]["x5t"].as_str().expect("x5t");
        assert_ne!(declared, CERT.x5t);
        assert_eq!(declared.len(), 27);
        let value = key["KeyValue"]["Value"].as_str().expect("value");
        assert!(value.contains("\r\n") && !value.ends_with('='));
        let escaped = metadata_json(
            &[&CERT],
            &MetadataOptions {
                escape_slashes: true,
                metadata_url: Some("https://mail.example/x".into()),
                ..MetadataOptions::default()
            },
        );
        assert!(!escaped.contains("//mail") && escaped.contains(r"https:\/\/mail.example\/x"));
    }
}
