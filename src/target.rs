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
    /// The text does not parse as an absolute URL; the words say what is wrong.
    NotAUrl(&'static str),
    /// The URL has no host.
    NoHost,
    /// The scheme is neither https nor http.
    UnsupportedScheme(String),
    /// An e-mail address (`user@contoso.com`): a mailbox, not a server.
    EmailAddress,
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetError::NotAUrl(why) => write!(
                f,
                "not an absolute URL ({why}); expected https://HOST/autodiscover/metadata/json/1 \
                 or a host name"
            ),
            TargetError::NoHost => f.write_str("the URL names no host"),
            TargetError::UnsupportedScheme(s) => {
                write!(f, "scheme `{s}` is not https (SSI fetches only https)")
            }
            TargetError::EmailAddress => f.write_str(
                "it looks like an e-mail address, but not a whole one (user@contoso.com), and \
                 it is not a host: give the full address, the Exchange server's host name (the \
                 host of the token's amurl, such as mail.contoso.com) or the token itself",
            ),
        }
    }
}

/// What was wrong with a URL, in words: the `url` crate's own messages
/// ("relative URL without a base") mean nothing to the person who typed it.
fn url_problem(error: url::ParseError) -> &'static str {
    match error {
        url::ParseError::EmptyHost => "no host after https://",
        url::ParseError::InvalidPort => "the port is not a number from 1 to 65535",
        url::ParseError::InvalidIpv4Address => "the IPv4 address is malformed",
        url::ParseError::InvalidIpv6Address => "the IPv6 address is malformed",
        url::ParseError::InvalidDomainCharacter => {
            "the host name holds a character no host name can"
        }
        url::ParseError::RelativeUrlWithoutBase => "it does not start with https://",
        _ => "it is malformed",
    }
}

impl std::error::Error for TargetError {}

impl Target {
    /// Parses an absolute http(s) URL.
    pub fn from_url(text: &str) -> Result<Self, TargetError> {
        let url = Url::parse(text.trim()).map_err(|e| TargetError::NotAUrl(url_problem(e)))?;
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

    /// Reads a probe target: an absolute URL, or else a bare host name (with
    /// an optional port), which means the host's metadata URL. A host followed
    /// by a path (`mail.contoso.com/owa`) is that URL over https, not the
    /// metadata path appended to it; an e-mail address is refused.
    pub fn parse(text: &str) -> Result<Self, TargetError> {
        let text = text.trim();
        if text.contains("://") {
            return Self::from_url(text);
        }
        let (authority, path) = match text.find('/') {
            Some(slash) => text.split_at(slash),
            None => (text, ""),
        };
        if authority.contains('@') {
            return Err(TargetError::EmailAddress);
        }
        if path.trim_end_matches('/').is_empty() {
            Self::from_host(authority)
        } else {
            Self::from_url(&format!("https://{text}"))
        }
    }

    /// A word for the person who typed this target when it is not the metadata
    /// path: SSI fetches the amurl the token names, which is the metadata URL.
    pub fn path_hint(&self) -> Option<String> {
        if self.url.path() == METADATA_PATH {
            return None;
        }
        let mut suggested = self.url.clone();
        suggested.set_path(METADATA_PATH);
        suggested.set_query(None);
        suggested.set_fragment(None);
        Some(format!(
            "{} is not the metadata URL: SSI fetches the amurl the token names, which on \
             Exchange is {suggested} (probe that, the host alone, or the token)",
            self.url
        ))
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
    fn a_host_with_a_path_keeps_its_path() {
        let t = Target::parse("mail.contoso.com/owa").expect("parses");
        assert_eq!(t.url.as_str(), "https://mail.contoso.com/owa");
        assert_eq!(
            Target::parse("mail.contoso.com/")
                .expect("parses")
                .url
                .as_str(),
            "https://mail.contoso.com/autodiscover/metadata/json/1"
        );
        let hint = t.path_hint().expect("a hint");
        assert!(
            hint.contains("SSI fetches the amurl the token names"),
            "{hint}"
        );
        assert!(hint.contains("https://mail.contoso.com/autodiscover/metadata/json/1"));
    }

    #[test]
    fn a_url_without_the_metadata_path_gets_a_hint() {
        for text in [
            "https://mail.contoso.com",
            "https://mail.contoso.com:8443/ews?x=1",
        ] {
            let t = Target::parse(text).expect("parses");
            // Probed as given: an amurl may sit on another path behind a proxy.
            assert_ne!(t.url.path(), METADATA_PATH);
            let hint = t.path_hint().expect("a hint");
            assert!(hint.contains("/autodiscover/metadata/json/1 ("), "{hint}");
            assert!(!hint.contains("?x=1 ("), "{hint}");
        }
        let metadata = Target::parse("mail.contoso.com").expect("parses");
        assert_eq!(metadata.path_hint(), None);
    }

    #[test]
    fn an_e_mail_address_is_not_a_host() {
        assert_eq!(
            Target::parse("kim.doe@contoso.com"),
            Err(TargetError::EmailAddress)
        );
        let said = TargetError::EmailAddress.to_string();
        assert!(said.contains("not a whole one"), "{said}");
    }

    #[test]
    fn url_errors_are_said_in_words() {
        let error = Target::parse("https://mail.contoso.com:99999/x").expect_err("bad port");
        let said = error.to_string();
        assert!(said.contains("the port is not a number"), "{said}");
        assert!(!said.contains("invalid port number"), "{said}");
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
