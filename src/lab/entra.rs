//! A Microsoft Entra ID on 127.0.0.1 for the NAA chain: the discovery
//! documents (v2 and v1, by tenant id and by domain) and the JSON Web Key Set
//! of one tenant, served over TLS under Entra's real host name with a
//! certificate from the lab CA, and an unknown tenant answered as Entra
//! answers it (400 with AADSTS90002). The documents name the server's own
//! port, so tokens minted for it reach it with `--resolve HOST:PORT:127.0.0.1`.

use std::io;
use std::net::{IpAddr, Ipv4Addr};

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use rsa::traits::PublicKeyParts as _;
use serde_json::{json, Value};
use time::OffsetDateTime;

use super::authcert::AuthCert;
use super::https::{Behaviour, HttpsServer, Mode, Response, Route};
use super::mint::TokenMint;
use super::pki::Pki;

/// The authority host the lab plays.
pub const AUTHORITY: &str = "login.microsoftonline.com";

/// The lab tenant's id.
pub const TENANT_ID: &str = "9b1a2e4c-5d6f-4a8b-9c0d-1e2f3a4b5c6d";

/// The lab tenant's verified domain (discovery by domain).
pub const DOMAIN: &str = "contoso.com";

/// SSI's API as the lab's tokens name it in `aud` (its application id).
pub const SSI_API: &str = "5f3c1a0e-8d4b-4d5e-9a0f-2b1c3d4e5f60";

/// One signing key of the tenant: an RSA key, its `kid`, and the
/// certificate Entra publishes with it in `x5c`.
#[derive(Debug, Clone)]
pub struct EntraKey {
    /// The key id.
    pub kid: String,
    /// The key and its certificate.
    pub cert: AuthCert,
}

impl EntraKey {
    /// A fresh key whose certificate is valid `not_before`..`not_after`.
    pub fn generate(
        kid: &str,
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    ) -> Result<EntraKey, String> {
        let cert = AuthCert::generate(not_before, not_after).map_err(|e| e.to_string())?;
        Ok(EntraKey {
            kid: kid.to_string(),
            cert,
        })
    }

    /// The key as Entra's JWKS lists it, with the per-key `issuer` template.
    pub fn jwk(&self, issuer: &str) -> Value {
        let public = self.cert.private_key.to_public_key();
        json!({
            "kty": "RSA",
            "use": "sig",
            "kid": self.kid,
            "x5t": self.cert.x5t,
            "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
            "x5c": [STANDARD.encode(&self.cert.der)],
            "issuer": issuer,
        })
    }
}

/// The documents the lab serves, made by [`EntraLab::documents`] and
/// changeable before [`EntraLab::start`].
#[derive(Debug, Clone)]
pub struct Documents {
    /// The v2 discovery document (by tenant id and by domain).
    pub v2: Value,
    /// The v1 discovery document.
    pub v1: Value,
    /// The key set.
    pub jwks: Value,
    /// Replaces the v2 discovery answer (a 404, an HTML page).
    pub v2_answer: Option<Behaviour>,
    /// Replaces the key set's answer.
    pub jwks_answer: Option<Behaviour>,
}

/// A running lab Entra; it stops when dropped.
#[derive(Debug)]
pub struct EntraLab {
    /// The server.
    pub server: HttpsServer,
    /// The lab CA (its root is the trust anchor).
    pub pki: Pki,
}

/// What Entra answers for a tenant it does not know.
pub fn unknown_tenant(tenant: &str) -> Behaviour {
    let body = json!({
        "error": "invalid_tenant",
        "error_description": format!(
            "AADSTS90002: Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Trace ID: 0c1d2e3f-0000-0000-0000-000000000000 Correlation ID: 1a2b3c4d-0000-0000-0000-000000000000 Timestamp: 2026-12-07 10:00:00Z"
        ),
        "error_codes": [90002],
        "error_uri": "https://login.microsoftonline.com/error?code=90002"
    });
    let mut answer = Response::json(body.to_string());
    answer.status = 400;
    Behaviour::Respond(answer)
}

impl EntraLab {
    /// A listener for the lab and the documents of the tenant publishing
    /// `keys`, naming the listener's port: change them, then [`EntraLab::start`].
    pub fn documents(keys: &[&EntraKey]) -> io::Result<(std::net::TcpListener, Documents)> {
        Self::documents_naming(keys, None)
    }

    /// [`EntraLab::documents`] naming `port` instead of the listener's (a
    /// proxy in front of the lab, say).
    pub fn documents_naming(
        keys: &[&EntraKey],
        port: Option<u16>,
    ) -> io::Result<(std::net::TcpListener, Documents)> {
        let listener = HttpsServer::bind(IpAddr::V4(Ipv4Addr::LOCALHOST))?;
        let port = match port {
            Some(port) => port,
            None => listener.local_addr()?.port(),
        };
        let base = format!("https://{AUTHORITY}:{port}");
        let template = format!("{base}/{{tenantid}}/v2.0");
        let jwks = json!({"keys": keys.iter().map(|k| k.jwk(&template)).collect::<Vec<_>>()});
        let v2 = json!({
            "issuer": format!("{base}/{TENANT_ID}/v2.0"),
            "jwks_uri": format!("{base}/{TENANT_ID}/discovery/v2.0/keys"),
            "authorization_endpoint": format!("{base}/{TENANT_ID}/oauth2/v2.0/authorize"),
            "token_endpoint": format!("{base}/{TENANT_ID}/oauth2/v2.0/token"),
            "id_token_signing_alg_values_supported": ["RS256"],
            "tenant_region_scope": "EU",
            "cloud_instance_name": "microsoftonline.com",
        });
        let v1 = json!({
            "issuer": format!("https://sts.windows.net:{port}/{TENANT_ID}/"),
            "jwks_uri": format!("{base}/{TENANT_ID}/discovery/keys"),
            "authorization_endpoint": format!("{base}/{TENANT_ID}/oauth2/authorize"),
            "cloud_instance_name": "microsoftonline.com",
        });
        Ok((
            listener,
            Documents {
                v2,
                v1,
                jwks,
                v2_answer: None,
                jwks_answer: None,
            },
        ))
    }

    /// Serves `documents` on `listener` under [`AUTHORITY`].
    pub fn start(listener: std::net::TcpListener, documents: Documents) -> io::Result<EntraLab> {
        let pki = Pki::new().map_err(io::Error::other)?;
        let leaf = pki.leaf(AUTHORITY).build().map_err(io::Error::other)?;
        // Entra keeps its connections open between requests.
        let json = |v: &Value| {
            Behaviour::Respond(Response::json(v.to_string()).header("Connection", "keep-alive"))
        };
        let v2 = documents.v2_answer.unwrap_or_else(|| json(&documents.v2));
        let jwks = documents
            .jwks_answer
            .unwrap_or_else(|| json(&documents.jwks));
        let discovery = "v2.0/.well-known/openid-configuration";
        let routes = vec![
            Route::new(&format!("/{TENANT_ID}/{discovery}"), v2.clone()),
            Route::new(&format!("/{DOMAIN}/{discovery}"), v2),
            Route::new(
                &format!("/{TENANT_ID}/.well-known/openid-configuration"),
                json(&documents.v1),
            ),
            Route::new(&format!("/{TENANT_ID}/discovery/v2.0/keys"), jwks.clone()),
            Route::new(&format!("/{TENANT_ID}/discovery/keys"), jwks),
            Route::any(unknown_tenant("the requested tenant")),
        ];
        let server = HttpsServer::start_listening(listener, Mode::Tls(leaf.identity()), routes)?;
        Ok(EntraLab { server, pki })
    }

    /// The lab's port.
    pub fn port(&self) -> u16 {
        self.server.port()
    }

    /// The v2 issuer of the lab tenant, naming `port`.
    pub fn issuer_v2_at(port: u16) -> String {
        format!("https://{AUTHORITY}:{port}/{TENANT_ID}/v2.0")
    }

    /// The v2 issuer of the lab tenant.
    pub fn issuer_v2(&self) -> String {
        Self::issuer_v2_at(self.port())
    }

    /// The v1 issuer of the lab tenant.
    pub fn issuer_v1(&self) -> String {
        format!("https://sts.windows.net:{}/{TENANT_ID}/", self.port())
    }

    /// A v2 access token for SSI's API signed by `key`, valid from `at`.
    pub fn mint(&self, key: &EntraKey, at: OffsetDateTime) -> TokenMint {
        TokenMint::new(String::new(), at).entra(&key.kid, &self.issuer_v2(), TENANT_ID, SSI_API)
    }
}
