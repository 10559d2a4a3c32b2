//! Minting Exchange user identity tokens signed RS256 with a key the caller holds,
//! for tests and `demo`.
//!
//! The defaults follow a real on-premises token (appctx as a JSON string, `nbf`
//! and `exp` as numbers, eight hours apart, `isbrowserhostedapp` `"True"`); every
//! claim can be changed, removed or given the wrong form to exercise a check.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand_core::OsRng;
use rsa::pkcs1v15::SigningKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::RsaPrivateKey;
use serde_json::{json, Map, Value};
use sha2::Sha256;
use time::{Duration, OffsetDateTime};

/// Exchange's application id: `iss` and `appctxsender` are `<this>@<realm>`.
pub const EXCHANGE_APP_ID: &str = "00000002-0000-0ff1-ce00-000000000000";

/// How long Exchange makes identity tokens valid.
pub const TOKEN_LIFETIME: Duration = Duration::hours(8);

/// A fresh 2048-bit RSA key, the size Exchange Server Auth Certificates use.
pub fn generate_key() -> Result<RsaPrivateKey, rsa::Error> {
    RsaPrivateKey::new(&mut OsRng, 2048)
}

/// A builder for one signed identity token.
#[derive(Debug, Clone)]
pub struct TokenMint {
    x5t: String,
    kid: bool,
    realm: String,
    audience: String,
    amurl: String,
    msexchuid: String,
    version: String,
    nbf: OffsetDateTime,
    exp: OffsetDateTime,
    times_as_strings: bool,
    appctx_as_object: bool,
    tamper_signature: bool,
    header_overrides: Map<String, Value>,
    removed_header: Vec<String>,
    claim_overrides: Map<String, Value>,
    removed_claims: Vec<String>,
    appctx_overrides: Map<String, Value>,
    removed_appctx: Vec<String>,
}

impl TokenMint {
    /// A token for the certificate with thumbprint `x5t`, valid from `at` for
    /// [`TOKEN_LIFETIME`], for realm `contoso.com`, amurl
    /// `https://mail.contoso.com:443/autodiscover/metadata/json/1`.
    pub fn new(x5t: impl Into<String>, at: OffsetDateTime) -> Self {
        TokenMint {
            x5t: x5t.into(),
            kid: false,
            realm: "contoso.com".to_string(),
            audience: "https://addin.contoso.com/outlook/taskpane.html".to_string(),
            amurl: "https://mail.contoso.com:443/autodiscover/metadata/json/1".to_string(),
            msexchuid: "53e925fa-76ba-45e1-be0f-4ef08b59d389".to_string(),
            version: "ExIdTok.V1".to_string(),
            nbf: at,
            exp: at + TOKEN_LIFETIME,
            times_as_strings: false,
            appctx_as_object: false,
            tamper_signature: false,
            header_overrides: Map::new(),
            removed_header: Vec::new(),
            claim_overrides: Map::new(),
            removed_claims: Vec::new(),
            appctx_overrides: Map::new(),
            removed_appctx: Vec::new(),
        }
    }

    /// The realm after `@` in `iss` and `appctxsender`.
    pub fn realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = realm.into();
        self
    }

    /// `aud`: the add-in URL.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audience = audience.into();
        self
    }

    /// `appctx.amurl`: the authentication metadata URL.
    pub fn amurl(mut self, amurl: impl Into<String>) -> Self {
        self.amurl = amurl.into();
        self
    }

    /// `appctx.msexchuid`: a bare GUID by default, as in real tokens; may carry `@realm`.
    pub fn msexchuid(mut self, msexchuid: impl Into<String>) -> Self {
        self.msexchuid = msexchuid.into();
        self
    }

    /// `appctx.version` (`ExIdTok.V1` by default).
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    /// `nbf` and `exp`.
    pub fn lifetime(mut self, nbf: OffsetDateTime, exp: OffsetDateTime) -> Self {
        self.nbf = nbf;
        self.exp = exp;
        self
    }

    /// Writes `nbf` and `exp` as strings of Unix seconds, as Microsoft's documentation shows them.
    pub fn times_as_strings(mut self) -> Self {
        self.times_as_strings = true;
        self
    }

    /// Writes `appctx` as a JSON object, as Microsoft's documentation shows it
    /// (real tokens carry a JSON string).
    pub fn appctx_as_object(mut self) -> Self {
        self.appctx_as_object = true;
        self
    }

    /// Adds `kid`, the thumbprint in upper-case hex, as Exchange Online does.
    pub fn with_kid(mut self) -> Self {
        self.kid = true;
        self
    }

    /// Flips a bit of the signature after signing: a token damaged in transit.
    pub fn tamper_signature(mut self) -> Self {
        self.tamper_signature = true;
        self
    }

    /// Sets (or replaces) a header field, e.g. `alg` to `HS256`.
    pub fn header_field(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.header_overrides.insert(name.to_string(), value.into());
        self
    }

    /// Leaves a header field out, e.g. `x5t`.
    pub fn without_header_field(mut self, name: &str) -> Self {
        self.removed_header.push(name.to_string());
        self
    }

    /// Sets (or replaces) a claim as is, e.g. `exp` to an object, or `appctx` to a
    /// number (which then wins over the appctx built from the fields).
    pub fn claim(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.claim_overrides.insert(name.to_string(), value.into());
        self
    }

    /// Leaves a claim out.
    pub fn without(mut self, name: &str) -> Self {
        self.removed_claims.push(name.to_string());
        self
    }

    /// Sets (or replaces) a field inside `appctx`, e.g. `amurl` to a number.
    pub fn appctx_field(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.appctx_overrides.insert(name.to_string(), value.into());
        self
    }

    /// Leaves a field of `appctx` out.
    pub fn without_appctx_field(mut self, name: &str) -> Self {
        self.removed_appctx.push(name.to_string());
        self
    }

    /// Turns the mint into a Microsoft Entra ID access token's, as nested
    /// app authentication returns one: header `kid` (no `x5t`), `iss` and
    /// `tid` of the tenant, `ver` by the form of `iss` (v2 ends in `/v2.0`),
    /// the API's `aud`, a delegated `scp`, and no Exchange claims.
    pub fn entra(self, kid: &str, iss: &str, tid: &str, aud: &str) -> Self {
        let ver = if iss.trim_end_matches('/').ends_with("/v2.0") {
            "2.0"
        } else {
            "1.0"
        };
        let lifetime = Duration::minutes(75);
        let nbf = self.nbf;
        self.header_field("kid", kid)
            .without_header_field("x5t")
            .without("appctx")
            .without("appctxsender")
            .without("isbrowserhostedapp")
            .lifetime(nbf, nbf + lifetime)
            .audience(aud)
            .claim("iss", iss)
            .claim("tid", tid)
            .claim("ver", ver)
            .claim("iat", nbf.unix_timestamp())
            .claim("scp", "access_as_user")
            .claim("azp", "5f3c1a0e-8d4b-4d5e-9a0f-2b1c3d4e5f61")
            .claim("oid", "c73b8759-34b2-4186-aa8c-04d149dcc77a")
            .claim("name", "Ann Lab")
            .claim("preferred_username", "ann@contoso.com")
    }

    /// The header as it will be signed.
    pub fn header(&self) -> Map<String, Value> {
        let mut header = Map::new();
        header.insert("typ".into(), "JWT".into());
        header.insert("alg".into(), "RS256".into());
        header.insert("x5t".into(), self.x5t.clone().into());
        if self.kid {
            if let Ok(bytes) = URL_SAFE_NO_PAD.decode(&self.x5t) {
                let hex: String = bytes.iter().map(|b| format!("{b:02X}")).collect();
                header.insert("kid".into(), hex.into());
            }
        }
        header.extend(self.header_overrides.clone());
        for name in &self.removed_header {
            header.remove(name);
        }
        header
    }

    /// The appctx object (before it is turned into a string, by default).
    pub fn appctx(&self) -> Map<String, Value> {
        let mut appctx = Map::new();
        appctx.insert("msexchuid".into(), self.msexchuid.clone().into());
        appctx.insert("version".into(), self.version.clone().into());
        appctx.insert("amurl".into(), self.amurl.clone().into());
        appctx.extend(self.appctx_overrides.clone());
        for name in &self.removed_appctx {
            appctx.remove(name);
        }
        appctx
    }

    /// The payload claims as they will be signed.
    pub fn claims(&self) -> Map<String, Value> {
        let sender = format!("{EXCHANGE_APP_ID}@{}", self.realm);
        let time = |t: OffsetDateTime| {
            let secs = t.unix_timestamp();
            if self.times_as_strings {
                Value::String(secs.to_string())
            } else {
                json!(secs)
            }
        };
        let appctx = Value::Object(self.appctx());
        let appctx = if self.appctx_as_object {
            appctx
        } else {
            Value::String(appctx.to_string())
        };
        let mut claims = Map::new();
        claims.insert("aud".into(), self.audience.clone().into());
        claims.insert("iss".into(), sender.clone().into());
        claims.insert("nbf".into(), time(self.nbf));
        claims.insert("exp".into(), time(self.exp));
        claims.insert("appctxsender".into(), sender.into());
        claims.insert("isbrowserhostedapp".into(), "True".into());
        claims.insert("appctx".into(), appctx);
        claims.extend(self.claim_overrides.clone());
        for name in &self.removed_claims {
            claims.remove(name);
        }
        claims
    }

    /// The compact token `header.payload.signature`, signed RS256 with `key`.
    pub fn sign(&self, key: &RsaPrivateKey) -> Result<String, rsa::signature::Error> {
        let header = URL_SAFE_NO_PAD.encode(Value::Object(self.header()).to_string());
        let payload = URL_SAFE_NO_PAD.encode(Value::Object(self.claims()).to_string());
        let signing_input = format!("{header}.{payload}");
        let signer = SigningKey::<Sha256>::new(key.clone());
        let mut signature = signer.try_sign(signing_input.as_bytes())?.to_vec();
        if self.tamper_signature {
            let middle = signature.len() / 2;
            if let Some(byte) = signature.get_mut(middle) {
                *byte ^= 0x01;
            }
        }
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::signature::Verifier;
    use std::sync::OnceLock;
    use time::macros::datetime;

    fn key() -> &'static RsaPrivateKey {
        static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
        KEY.get_or_init(|| generate_key().expect("an RSA key"))
    }

    fn verifies(token: &str) -> bool {
        let (input, sig) = token.rsplit_once('.').expect("three parts");
        let sig = URL_SAFE_NO_PAD.decode(sig).expect("base64url");
        let verifier = VerifyingKey::<Sha256>::new(key().to_public_key());
        let sig = Signature::try_from(sig.as_slice()).expect("signature");
        verifier.verify(input.as_bytes(), &sig).is_ok()
    }

    #[test]
    fn mints_a_verifiable_token_with_exchange_defaults() {
        let at = datetime!(2024-05-01 10:00:00 UTC);
        let mint = TokenMint::new("CJm8qtUsgjlUB7j0IavXO7vEaUc", at);
        let token = mint.sign(key()).expect("signed");
        assert_eq!(token.split('.').count(), 3);
        assert!(verifies(&token));
        let claims = mint.claims();
        assert_eq!(claims["nbf"], at.unix_timestamp());
        assert_eq!(claims["exp"], (at + TOKEN_LIFETIME).unix_timestamp());
        assert_eq!(claims["iss"], format!("{EXCHANGE_APP_ID}@contoso.com"));
        let appctx: Value =
            serde_json::from_str(claims["appctx"].as_str().expect("a string")).expect("JSON");
        assert_eq!(appctx["version"], "ExIdTok.V1");
    }

    #[test]
    fn a_tampered_signature_does_not_verify() {
        let mint = TokenMint::new("x", OffsetDateTime::UNIX_EPOCH).tamper_signature();
        assert!(!verifies(&mint.sign(key()).expect("signed")));
    }

    #[test]
    fn forms_and_overrides_apply() {
        let mint = TokenMint::new("CJm8qtUsgjlUB7j0IavXO7vEaUc", OffsetDateTime::UNIX_EPOCH)
            .times_as_strings()
            .appctx_as_object()
            .with_kid()
            .appctx_field("amurl", 42)
            .without_appctx_field("msexchuid")
            .claim("exp", json!({}))
            .without("aud")
            .header_field("alg", "HS256");
        let claims = mint.claims();
        assert_eq!(claims["nbf"], "0");
        assert_eq!(claims["exp"], json!({}));
        assert_eq!(claims["appctx"]["amurl"], 42);
        assert!(claims["appctx"].get("msexchuid").is_none());
        assert!(!claims.contains_key("aud"));
        let header = mint.header();
        assert_eq!(header["alg"], "HS256");
        assert_eq!(header["kid"], "0899BCAAD52C82395407B8F421ABD73BBBC46947");
    }
}
