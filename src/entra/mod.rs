//! The nested app authentication (NAA) chain: a Microsoft Entra ID token is
//! validated on its tenant's OpenID Connect discovery document and JSON Web
//! Key Set (JWKS), not on an Exchange amurl. The stages and check ids are the
//! legacy chain's; what each check judges here is in the contract's table
//! "Exchange Online and nested app authentication".
//!
//! Field knowledge lives in tables ([`authorities`], [`audiences`]); the
//! judgements of the documents ([`documents`]) and of the key ([`key`]) are
//! pure functions; [`walk_entra_network`] gathers the facts with the same
//! dns, tcp, tls and http machinery as the legacy chain.

pub mod audiences;
pub mod authorities;
pub mod documents;
pub mod key;
mod walk;

pub use walk::{fetched_findings, offline_findings, walk_entra_network, EntraFindings};

use url::Url;

use authorities::Authority;

/// The two forms of an Entra `iss`, which must agree with the token's `ver`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssuerForm {
    /// `https://sts.windows.net/{tid}/`: v1.0 tokens.
    V1,
    /// `https://{authority}/{tid}/v2.0`: v2.0 tokens.
    V2,
}

impl IssuerForm {
    /// The `ver` claim that goes with this form.
    pub fn version(self) -> &'static str {
        match self {
            IssuerForm::V1 => "1.0",
            IssuerForm::V2 => "2.0",
        }
    }
}

/// An `iss` on an Entra authority, taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntraIssuer {
    /// The authority of its host.
    pub authority: &'static Authority,
    /// The port, when `iss` names one (Entra's never do; the lab's do, to
    /// reach a server on a port of its own under the real host name).
    pub port: Option<u16>,
    /// The tenant segment of the path.
    pub tenant: String,
    /// v1 or v2.
    pub form: IssuerForm,
}

/// Why an `iss` is not an Entra issuer, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssuerProblem {
    /// Not an https URL.
    NotAUrl,
    /// The host is no Entra authority (the host is given).
    NotEntra(String),
    /// The path is neither `/{tid}/` nor `/{tid}/v2.0`.
    Path(String),
}

impl std::fmt::Display for IssuerProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IssuerProblem::NotAUrl => f.write_str("not an https URL"),
            IssuerProblem::NotEntra(host) => write!(
                f,
                "its host {host} is not a Microsoft Entra ID authority ({})",
                authorities::hosts()
            ),
            IssuerProblem::Path(path) => write!(
                f,
                "its path {path} is neither /{{tenant}}/ (v1.0) nor /{{tenant}}/v2.0 (v2.0)"
            ),
        }
    }
}

/// Takes `iss` apart: an https URL on an Entra authority whose path is the
/// tenant, followed by `/v2.0` for the v2 form.
pub fn parse_issuer(iss: &str) -> Result<EntraIssuer, IssuerProblem> {
    let url = Url::parse(iss.trim()).map_err(|_| IssuerProblem::NotAUrl)?;
    if url.scheme() != "https" {
        return Err(IssuerProblem::NotAUrl);
    }
    let host = url.host_str().ok_or(IssuerProblem::NotAUrl)?;
    let authority =
        authorities::authority(host).ok_or_else(|| IssuerProblem::NotEntra(host.to_string()))?;
    let path = url.path();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (tenant, form) = match segments.as_slice() {
        [tenant] if !tenant.is_empty() => (tenant, IssuerForm::V1),
        [tenant, "v2.0"] if !tenant.is_empty() => (tenant, IssuerForm::V2),
        _ => return Err(IssuerProblem::Path(crate::text::excerpt(path, 80))),
    };
    Ok(EntraIssuer {
        authority,
        port: url.port(),
        tenant: tenant.to_string(),
        form,
    })
}

impl EntraIssuer {
    /// The discovery document's URL for this issuer: v2
    /// `https://{authority}/{tid}/v2.0/.well-known/openid-configuration`, v1
    /// `https://login.microsoftonline.com/{tid}/.well-known/openid-configuration`
    /// (the cloud's own host outside the public cloud).
    pub fn discovery_url(&self) -> Url {
        let (host, suffix) = match self.form {
            IssuerForm::V2 => (self.authority.host, "/v2.0"),
            IssuerForm::V1 => (self.authority.v1_discovery_host, ""),
        };
        let port = self.port.map(|p| format!(":{p}")).unwrap_or_default();
        let text = format!(
            "https://{host}{port}/{}{suffix}/.well-known/openid-configuration",
            self.tenant
        );
        // The tenant was one path segment of a parsed URL: it stays one.
        Url::parse(&text).unwrap_or_else(|_| discovery_for_domain(host, "common"))
    }
}

/// The v2 discovery URL of `tenant` (a GUID or a domain) on `host`: how a
/// domain's tenant is found from outside, anonymously.
pub fn discovery_for_domain(host: &str, tenant: &str) -> Url {
    let mut url = Url::parse("https://login.microsoftonline.com/").expect("a valid constant URL");
    if url.set_host(Some(host)).is_err() {
        return url;
    }
    url.path_segments_mut()
        .map(|mut p| {
            p.clear()
                .extend([tenant, "v2.0", ".well-known", "openid-configuration"]);
        })
        .ok();
    url
}

/// Whether `text` is a tenant id: a GUID in its 8-4-4-4-12 hex form.
pub fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TID: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

    #[test]
    fn v1_and_v2_issuers_give_the_contracts_discovery_urls() {
        let v2 = parse_issuer(&format!("https://login.microsoftonline.com/{TID}/v2.0")).unwrap();
        assert_eq!(v2.form, IssuerForm::V2);
        assert_eq!(
            v2.discovery_url().as_str(),
            format!(
                "https://login.microsoftonline.com/{TID}/v2.0/.well-known/openid-configuration"
            )
        );
        let v1 = parse_issuer(&format!("https://sts.windows.net/{TID}/")).unwrap();
        assert_eq!(v1.form, IssuerForm::V1);
        assert_eq!(
            v1.discovery_url().as_str(),
            format!("https://login.microsoftonline.com/{TID}/.well-known/openid-configuration")
        );
        let gov = parse_issuer(&format!("https://login.microsoftonline.us/{TID}/v2.0")).unwrap();
        assert_eq!(gov.authority.cloud, authorities::Cloud::UsGovernment);
        assert!(gov
            .discovery_url()
            .as_str()
            .starts_with("https://login.microsoftonline.us/"));
        let china = parse_issuer(&format!(
            "https://login.partner.microsoftonline.cn/{TID}/v2.0"
        ))
        .unwrap();
        assert_eq!(china.authority.cloud, authorities::Cloud::China);
    }

    #[test]
    fn other_issuers_are_refused_with_the_reason() {
        assert!(matches!(
            parse_issuer("https://accounts.google.com"),
            Err(IssuerProblem::NotEntra(_))
        ));
        assert!(matches!(
            parse_issuer("https://login.microsoftonline.com/a/b/c"),
            Err(IssuerProblem::Path(_))
        ));
        assert_eq!(parse_issuer("sts.windows.net"), Err(IssuerProblem::NotAUrl));
        assert_eq!(
            parse_issuer(&format!("http://sts.windows.net/{TID}/")),
            Err(IssuerProblem::NotAUrl)
        );
    }

    #[test]
    fn a_domains_discovery_url_and_guids() {
        assert_eq!(
            discovery_for_domain("login.microsoftonline.com", "contoso.com").as_str(),
            "https://login.microsoftonline.com/contoso.com/v2.0/.well-known/openid-configuration"
        );
        assert!(is_guid(TID));
        assert!(!is_guid("contoso.com"));
        assert!(!is_guid("72f988bf-86f1-41af-91ab-2d7cd011db4"));
    }
}
