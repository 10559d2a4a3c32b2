//! Exchange Online's Autodiscover, Entra's tenant discovery and a customer's
//! Autodiscover v2, played on 127.0.0.1:443 under their real names: the tool
//! reaches them through `--resolve HOST:443:127.0.0.1` (pins) and a lab CA,
//! and asks the same URLs it asks on the internet.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use super::entra::EntraKey;
use super::https::{Behaviour, HttpsServer, Mode, RecordedRequest, Response, Route};
use super::pki::Pki;
use crate::settings::Pin;

/// Exchange Online's Autodiscover host.
pub const ONLINE_HOST: &str = "outlook.office365.com";

/// Microsoft Entra ID's sign-in host, which serves the discovery documents.
pub const LOGIN_HOST: &str = "login.microsoftonline.com";

/// The tenant id the lab's Entra names.
pub const LAB_TENANT_ID: &str = "9a1c2b3d-4e5f-4a6b-8c7d-0e1f2a3b4c5d";

/// The path of the Autodiscover v2 answer for `address` (its query is ignored
/// by the lab's routes).
pub fn autodiscover_path(address: &str) -> String {
    format!("/autodiscover/autodiscover.json/v1.0/{address}")
}

/// The path of Entra's discovery document for `domain`.
pub fn tenant_discovery_path(domain: &str) -> String {
    format!("/{domain}/v2.0/.well-known/openid-configuration")
}

/// An Autodiscover v2 answer naming `ews_url`; with `server_location`, as
/// Exchange Online answers for its own mailboxes.
pub fn ews_answer(ews_url: &str, server_location: Option<&str>) -> Behaviour {
    let mut answer = serde_json::json!({"Protocol": "EWS", "Url": ews_url});
    if let Some(location) = server_location {
        answer["ServerLocation"] = location.into();
    }
    Behaviour::json(answer.to_string())
}

/// Entra's discovery document for a domain of tenant `tenant_id` (the fields
/// the tool reads, as the global cloud answers them).
pub fn openid_configuration(tenant_id: &str) -> Behaviour {
    let issuer = format!("https://{LOGIN_HOST}/{tenant_id}/v2.0");
    Behaviour::json(
        serde_json::json!({
            "issuer": issuer,
            "jwks_uri": format!("https://{LOGIN_HOST}/{tenant_id}/discovery/v2.0/keys"),
            "token_endpoint": format!("https://{LOGIN_HOST}/{tenant_id}/oauth2/v2.0/token"),
            "cloud_instance_name": "microsoftonline.com",
            "tenant_region_scope": "EU",
        })
        .to_string(),
    )
}

/// The tenant's own documents on Entra's host, as the NAA links fetch them
/// once the tenant is known: its v2 discovery document by tenant id, and its
/// key set holding `key` (with the issuer template Entra gives its keys).
pub fn tenant_documents(tenant_id: &str, key: &EntraKey) -> Vec<Route> {
    let keys = serde_json::json!({
        "keys": [key.jwk(&format!("https://{LOGIN_HOST}/{{tenantid}}/v2.0"))],
    });
    vec![
        Route::new(
            &format!("/{tenant_id}/v2.0/.well-known/openid-configuration"),
            openid_configuration(tenant_id),
        )
        .on_host(LOGIN_HOST),
        Route::new(
            &format!("/{tenant_id}/discovery/v2.0/keys"),
            Behaviour::json(keys.to_string()),
        )
        .on_host(LOGIN_HOST),
    ]
}

/// What Entra answers for a domain no tenant has: 400 with AADSTS90002.
pub fn no_tenant(domain: &str) -> Behaviour {
    let body = serde_json::json!({
        "error": "invalid_tenant",
        "error_description": format!(
            "AADSTS90002: Tenant '{domain}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.\r\nTrace ID: 0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
        ),
        "error_codes": [90002],
    });
    Behaviour::Respond(
        Response::new(400)
            .header("Content-Type", "application/json; charset=utf-8")
            .body(body.to_string()),
    )
}

/// One HTTPS server on 127.0.0.1:443 playing several real hosts, routed by
/// `Host`, with one certificate naming them all.
#[derive(Debug)]
pub struct Port443 {
    server: HttpsServer,
    hosts: Vec<String>,
}

impl Port443 {
    /// Starts the server for `hosts` (the first is the certificate's subject),
    /// answering by `routes`. Waits while another lab holds the port.
    pub fn start(pki: &Pki, hosts: &[&str], routes: Vec<Route>) -> io::Result<Port443> {
        let (first, rest) = hosts
            .split_first()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no host to play"))?;
        let mut leaf = pki.leaf(first);
        for host in rest {
            leaf = leaf.also_named(host);
        }
        let leaf = leaf.build().map_err(io::Error::other)?;
        let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 443);
        let server = HttpsServer::start_at(addr, Mode::Tls(leaf.identity()), routes)?;
        Ok(Port443 {
            server,
            hosts: hosts.iter().map(|h| h.to_string()).collect(),
        })
    }

    /// The pins that send each host to the server (`--resolve HOST:443:127.0.0.1`).
    pub fn pins(&self) -> Vec<Pin> {
        self.hosts
            .iter()
            .map(|host| Pin {
                host: host.clone(),
                port: 443,
                addr: IpAddr::V4(Ipv4Addr::LOCALHOST),
            })
            .collect()
    }

    /// The same pins as command-line arguments.
    pub fn resolve_args(&self) -> Vec<String> {
        self.hosts
            .iter()
            .flat_map(|host| ["--resolve".to_string(), format!("{host}:443:127.0.0.1")])
            .collect()
    }

    /// The requests received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.server.requests()
    }
}
