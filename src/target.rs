//! What a command probes: the authentication metadata URL and its host and port.

use std::fmt;

use url::{Host, Url};

use crate::report::TargetInfo;

/// The path Exchange serves its authentication metadata document at.
pub const METADATA_PATH: &str = "/autodiscover/metadata/json/1";

/// A parsed metadata URL: what every network stage works on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The full URL to fetch.
    pub url: Url,
    /// The host, without brackets for IPv6 literals, lower-cased.
    pub host: String,
    /// The port, the scheme's default when the URL names none.
    pub port: u16,
}

/// Why a text is not a usable metadata URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetError {
    /// The text does not parse as an absolute URL.
    NotAUrl(String),
    /// The URL has no host.
    NoHost,
    /// The scheme is neither https nor http.
    UnsupportedScheme(String),
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetError::NotAUrl(why) => write!(f, "not an absolute URL ({why})"),
            TargetError::NoHost => f.write_str("the URL names no host"),
            TargetError::UnsupportedScheme(s) => {
                write!(f, "scheme `{s}` is not https (SSI fetches only https)")
            }
        }
    }
}

impl std::error::Error for TargetError {}

impl Target {
    /// Parses an absolute http(s) URL.
    pub fn from_url(text: &str) -> Result<Self, TargetError> {
        let url = Url::parse(text.trim()).map_err(|e| TargetError::NotAUrl(e.to_string()))?;
        match url.scheme() {
            "https" | "http" => {}
            other => return Err(TargetError::UnsupportedScheme(other.to_string())),
        }
        let host = match url.host() {
            Some(Host::Domain(d)) => d.trim_end_matches('.').to_ascii_lowercase(),
            Some(Host::Ipv4(ip)) => ip.to_string(),
            Some(Host::Ipv6(ip)) => ip.to_string(),
            None => return Err(TargetError::NoHost),
        };
        if host.is_empty() {
            return Err(TargetError::NoHost);
        }
        let port = url.port_or_known_default().unwrap_or(443);
        Ok(Target { url, host, port })
    }

    /// The metadata URL Exchange serves on `host` (a bare host name, maybe with `:port`).
    pub fn from_host(host: &str) -> Result<Self, TargetError> {
        Self::from_url(&format!("https://{}{METADATA_PATH}", host.trim()))
    }

    /// Reads a probe target: an absolute URL, or else a bare host name.
    pub fn parse(text: &str) -> Result<Self, TargetError> {
        let text = text.trim();
        if text.contains("://") {
            Self::from_url(text)
        } else {
            Self::from_host(text.trim_end_matches('/'))
        }
    }

    /// Whether the URL is plain http, which SSI does not fetch.
    pub fn is_plain_http(&self) -> bool {
        self.url.scheme() == "http"
    }

    /// `host:port` as a socket address text, with brackets for IPv6.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The EWS endpoint SSI calls next, on the same host and port.
    pub fn ews_url(&self) -> Url {
        let mut url = self.url.clone();
        url.set_path("/EWS/Exchange.asmx");
        url.set_query(None);
        url.set_fragment(None);
        url
    }

    /// The facts about the target that reports show.
    pub fn info(&self) -> TargetInfo {
        TargetInfo {
            amurl: self.url.to_string(),
            host: self.host.clone(),
            port: self.port,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_host_means_the_metadata_url() {
        let t = Target::parse("Mail.Contoso.com").expect("parses");
        assert_eq!(
            t.url.as_str(),
            "https://mail.contoso.com/autodiscover/metadata/json/1"
        );
        assert_eq!((t.host.as_str(), t.port), ("mail.contoso.com", 443));
    }

    #[test]
    fn a_host_with_port_keeps_the_port() {
        let t = Target::parse("mail.contoso.com:8443").expect("parses");
        assert_eq!(t.port, 8443);
        assert_eq!(
            t.ews_url().as_str(),
            "https://mail.contoso.com:8443/EWS/Exchange.asmx"
        );
    }

    #[test]
    fn ipv6_literals_lose_their_brackets_in_host_only() {
        let t = Target::parse("https://[::1]:4443/autodiscover/metadata/json/1").expect("parses");
        assert_eq!(t.host, "::1");
        assert_eq!(t.authority(), "[::1]:4443");
    }

    #[test]
    fn other_schemes_are_refused() {
        assert_eq!(
            Target::parse("ftp://mail.contoso.com/x"),
            Err(TargetError::UnsupportedScheme("ftp".into()))
        );
        assert!(Target::parse("http://mail.contoso.com/x")
            .expect("parses")
            .is_plain_http());
        assert!(matches!(
            Target::parse("https://"),
            Err(TargetError::NotAUrl(_))
        ));
    }
}
