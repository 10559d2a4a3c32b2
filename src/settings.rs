//! The options every stage reads, parsed and checked once from the command line.

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use time::OffsetDateTime;
use url::Url;

/// The public resolvers asked when `--dns-server` is not given.
pub const DEFAULT_DNS_SERVERS: [&str; 3] = ["1.1.1.1", "8.8.8.8", "9.9.9.9"];

/// The same resolvers' own DNS-over-HTTPS endpoints (RFC 8484), asked only
/// when none of them answers on port 53 from here (outbound DNS blocked).
/// Sources: developers.cloudflare.com/1.1.1.1/encryption/dns-over-https/,
/// developers.google.com/speed/public-dns/docs/doh, quad9.net/service/service-addresses-and-features.
pub const DEFAULT_DOH_FALLBACK: [&str; 3] = [
    "https://1.1.1.1/dns-query",
    "https://8.8.8.8/dns-query",
    "https://9.9.9.9/dns-query",
];

/// For tests only: replaces the default resolver set (what is asked when
/// `--dns-server` is not given), since the real one is not on loopback. A
/// comma-separated list of `ADDR[:PORT]` (asked on port 53's protocols) and
/// `https://…` URLs (the DNS-over-HTTPS fallback).
pub const TEST_DEFAULT_DNS_ENV: &str = "IDTOKEN_DOCTOR_TEST_DEFAULT_DNS";

/// A `--resolve HOST:PORT:ADDR` pin, curl's syntax.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    /// The host name, lower-cased.
    pub host: String,
    /// The port the pin applies to.
    pub port: u16,
    /// The address to use instead of asking DNS.
    pub addr: IpAddr,
}

impl Pin {
    /// Parses `HOST:PORT:ADDR` (ADDR may be an IPv6 address, bracketed or not).
    pub fn parse(text: &str) -> Result<Self, UsageError> {
        let bad = || {
            UsageError(format!(
                "--resolve `{text}`: expected HOST:PORT:ADDR, e.g. mail.contoso.com:443:203.0.113.7"
            ))
        };
        let mut parts = text.splitn(3, ':');
        let (host, port, addr) = (parts.next(), parts.next(), parts.next());
        let (Some(host), Some(port), Some(addr)) = (host, port, addr) else {
            return Err(bad());
        };
        let host = host
            .trim_matches(['[', ']'])
            .trim_end_matches('.')
            .to_ascii_lowercase();
        let port: u16 = port.parse().map_err(|_| bad())?;
        let addr: IpAddr = addr.trim_matches(['[', ']']).parse().map_err(|_| bad())?;
        if host.is_empty() {
            return Err(bad());
        }
        Ok(Pin { host, port, addr })
    }
}

/// An HTTP CONNECT proxy to reach targets through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxySetting {
    /// The proxy's URL (`http://host:port`), credentials included: never
    /// print it, print [`ProxySetting::shown`].
    pub url: Url,
    /// Whether it came from the environment (`--proxy env`).
    pub from_env: bool,
}

impl ProxySetting {
    /// The proxy as every report shows it: without user name or password.
    pub fn shown(&self) -> String {
        crate::net::redact_url(&self.url)
    }

    /// The `Proxy-Authorization` value for the credentials in the URL
    /// (`Basic …`, sent pre-emptively as curl does), if it has any.
    pub fn authorization(&self) -> Option<String> {
        use base64::Engine;
        let (user, password) = self.credentials()?;
        Some(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        ))
    }

    /// The user name and password of the URL, decoded, if it has any.
    fn credentials(&self) -> Option<(String, String)> {
        if self.url.username().is_empty() && self.url.password().is_none() {
            return None;
        }
        let decode = |text: &str| {
            url::form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes())
                .next()
                .map(|(_, value)| value.into_owned())
                .unwrap_or_default()
        };
        Some((
            decode(self.url.username()),
            decode(self.url.password().unwrap_or_default()),
        ))
    }

    /// `text` (something the proxy sent back) without the credentials: the
    /// `Basic` value, `user:password` and the password, as sent or as written
    /// in the URL, each become `(hidden)`.
    pub fn scrub(&self, text: &str) -> String {
        let Some((_, password)) = self.credentials() else {
            return text.to_string();
        };
        let basic = self.authorization().unwrap_or_default();
        let value = basic.trim_start_matches("Basic ").to_string();
        // Longest first: the password is part of the pair.
        let mut secrets = vec![
            value,
            password,
            self.url.password().unwrap_or_default().to_string(),
        ];
        secrets.retain(|s| !s.is_empty());
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.iter().fold(text.to_string(), |shown, secret| {
            shown.replace(secret.as_str(), "(hidden)")
        })
    }
}

/// DNS-over-HTTPS resolvers (RFC 8484).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DohSettings {
    /// Resolvers named as `https://…/dns-query` by `--dns-server`: asked
    /// beside the others, from the start.
    pub servers: Vec<Url>,
    /// Asked only when no resolver answered on port 53: the default
    /// resolvers' own endpoints. Empty when `--dns-server` named resolvers
    /// (one named as `ADDR:PORT` has no fallback).
    pub fallback: Vec<Url>,
}

/// A command-line value that cannot be used; exit code 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// How the network stages reach a target.
#[derive(Debug, Clone)]
pub struct NetSettings {
    /// The whole network budget for one target.
    pub timeout: Duration,
    /// `--resolve` pins.
    pub pins: Vec<Pin>,
    /// The public resolvers to ask on port 53's protocols (UDP, TCP when truncated).
    pub dns_servers: Vec<SocketAddr>,
    /// DNS-over-HTTPS resolvers, and the fallback to them.
    pub doh: DohSettings,
    /// Whether to ask the system resolver too (for split-horizon detection).
    pub system_dns: bool,
    /// The proxy to go through, if any.
    pub proxy: Option<ProxySetting>,
    /// A proxy found in the environment but not used (for a hint when a direct connection fails).
    pub env_proxy_unused: Option<String>,
    /// The `--ca-file` path, when given.
    pub ca_file: Option<PathBuf>,
    /// Extra trust anchors from `--ca-file`.
    pub extra_roots: Vec<CertificateDer<'static>>,
    /// Whether non-public addresses may be connected to.
    pub allow_private: bool,
    /// `--ews-url`, when given.
    pub ews_url: Option<Url>,
}

/// The network flags as the user gave them, before they are checked (the
/// command line fills it from its own arguments).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NetFlags {
    /// `--timeout SECS`: the network budget of one target.
    pub timeout: f64,
    /// `--resolve HOST:PORT:ADDR`, curl's syntax.
    pub resolve: Vec<String>,
    /// `--dns-server ADDR[:PORT]|URL`.
    pub dns_server: Vec<String>,
    /// `--no-system-dns`.
    pub no_system_dns: bool,
    /// `--proxy URL|env`.
    pub proxy: Option<String>,
    /// `--ca-file PEM`.
    pub ca_file: Option<PathBuf>,
    /// `--allow-private`.
    pub allow_private: bool,
    /// `--ews-url URL`.
    pub ews_url: Option<String>,
}

impl NetSettings {
    /// Checks and converts the network flags.
    pub fn from_args(args: &NetFlags) -> Result<Self, UsageError> {
        // Under a millisecond no connection can even start, and reports would
        // say "timed out after 0.0 s".
        if !(args.timeout.is_finite() && args.timeout >= MIN_TIMEOUT_SECS && args.timeout <= 3600.0)
        {
            let from_env = env_value(TIMEOUT_ENV)
                .and_then(|v| v.trim().parse::<f64>().ok())
                .is_some_and(|v| v == args.timeout || (v.is_nan() && args.timeout.is_nan()));
            return Err(UsageError(format!(
                "--timeout {}: give a number of seconds from 0.001 (1 ms) to 3600{}",
                args.timeout,
                if from_env {
                    from_env_note(TIMEOUT_ENV)
                } else {
                    String::new()
                }
            )));
        }
        for (flag, values) in [
            ("--proxy", args.proxy.iter().collect::<Vec<_>>()),
            ("--ews-url", args.ews_url.iter().collect()),
            ("--resolve", args.resolve.iter().collect()),
            ("--dns-server", args.dns_server.iter().collect()),
        ] {
            for value in values {
                refuse_token(flag, value)?;
            }
        }
        let pins = args
            .resolve
            .iter()
            .map(|p| Pin::parse(p))
            .collect::<Result<Vec<_>, _>>()?;
        let test_defaults = env_value(TEST_DEFAULT_DNS_ENV);
        let defaults: Vec<&str> = match &test_defaults {
            Some(list) => list.split(',').map(str::trim).collect(),
            None => DEFAULT_DNS_SERVERS
                .iter()
                .chain(DEFAULT_DOH_FALLBACK.iter())
                .copied()
                .collect(),
        };
        let named = !args.dns_server.is_empty();
        let servers: Vec<&str> = if !named {
            defaults
        } else {
            args.dns_server
                .iter()
                .map(|s| s.as_str())
                .filter(|s| !s.trim().is_empty())
                .collect()
        };
        let env_servers = env_value(DNS_SERVER_ENV).unwrap_or_default();
        let resolvers = servers
            .into_iter()
            .map(|text| {
                parse_dns_server(text).map_err(|UsageError(message)| {
                    // A CI job may have set the value without passing the flag.
                    let from_env = env_servers.split(',').any(|v| v.trim() == text.trim());
                    if from_env {
                        UsageError(format!("{message}{}", from_env_note(DNS_SERVER_ENV)))
                    } else {
                        UsageError(message)
                    }
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut dns_servers = Vec::new();
        let mut doh = DohSettings::default();
        for resolver in resolvers {
            match resolver {
                ResolverSpec::Port53(addr) => dns_servers.push(addr),
                // The default set's DoH endpoints are its fallback; a user's are asked at once.
                ResolverSpec::Https(url) if named => doh.servers.push(url),
                ResolverSpec::Https(url) => doh.fallback.push(url),
            }
        }
        let env_proxy = env_proxy();
        let proxy = match args.proxy.as_deref() {
            None => None,
            Some("env") => match &env_proxy {
                Some(text) => Some(ProxySetting {
                    url: parse_proxy(text)?,
                    from_env: true,
                }),
                None => return Err(UsageError(
                    "--proxy env: none of HTTPS_PROXY, https_proxy, ALL_PROXY, all_proxy is set"
                        .into(),
                )),
            },
            Some(text) => Some(ProxySetting {
                url: parse_proxy(text)?,
                from_env: false,
            }),
        };
        let env_proxy_unused = if proxy.is_none() { env_proxy } else { None };
        let extra_roots = match &args.ca_file {
            Some(path) => load_anchors(path)?,
            None => Vec::new(),
        };
        let ews_url = match &args.ews_url {
            Some(text) => Some(Url::parse(text).map_err(|e| {
                UsageError(format!("--ews-url `{text}` is not an absolute URL ({e})"))
            })?),
            None => None,
        };
        Ok(NetSettings {
            timeout: Duration::from_secs_f64(args.timeout),
            pins,
            dns_servers,
            doh,
            system_dns: !args.no_system_dns,
            proxy,
            env_proxy_unused,
            ca_file: args.ca_file.clone(),
            extra_roots,
            allow_private: args.allow_private,
            ews_url,
        })
    }

    /// The pinned address for `host:port`, if `--resolve` gave one.
    pub fn pinned(&self, host: &str, port: u16) -> Option<IpAddr> {
        self.pins
            .iter()
            .find(|p| p.port == port && p.host.eq_ignore_ascii_case(host))
            .map(|p| p.addr)
    }
}

/// The shortest `--timeout` taken: one millisecond.
pub const MIN_TIMEOUT_SECS: f64 = 0.001;

/// Refuses a flag's value that holds a JWT (`--proxy <token>` for `--proxy env`,
/// a token pasted into `--audience` or a URL): a token is never printed,
/// looked up as a host nor sent anywhere, so the value is not even quoted.
pub fn refuse_token(flag: &str, value: &str) -> Result<(), UsageError> {
    if crate::input::contains_jwt(value) {
        return Err(UsageError(format!(
            "{flag} holds a token (not shown): a token is never sent anywhere nor printed. \
             Give {flag} its own value, and the token as the TOKEN argument, @FILE or standard input"
        )));
    }
    Ok(())
}

/// One `--dns-server` value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ResolverSpec {
    /// `ADDR[:PORT]`: asked over UDP (TCP when the answer is truncated).
    Port53(SocketAddr),
    /// `https://HOST[:PORT]/dns-query`: DNS over HTTPS.
    Https(Url),
}

fn parse_dns_server(text: &str) -> Result<ResolverSpec, UsageError> {
    let text = text.trim();
    if text.contains("://") {
        let bad = |why: String| {
            UsageError(format!(
                "--dns-server `{text}`: {why}; a DNS-over-HTTPS resolver is named as https://HOST[:PORT]/dns-query"
            ))
        };
        let mut url = Url::parse(text).map_err(|e| bad(format!("not a URL ({e})")))?;
        if url.scheme() != "https" || url.host_str().is_none() {
            return Err(bad("only https URLs name a resolver".into()));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(bad("credentials in the URL are not supported".into()));
        }
        if url.path() == "/" {
            url.set_path("/dns-query");
        }
        return Ok(ResolverSpec::Https(url));
    }
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(ResolverSpec::Port53(addr));
    }
    text.trim_matches(['[', ']'])
        .parse::<IpAddr>()
        .map(|ip| ResolverSpec::Port53(SocketAddr::new(ip, 53)))
        .map_err(|_| {
            UsageError(format!(
                "--dns-server `{text}`: expected an IP address, optionally with :PORT, or a https://HOST[:PORT]/dns-query URL"
            ))
        })
}

fn parse_proxy(text: &str) -> Result<Url, UsageError> {
    let with_scheme = if text.contains("://") {
        text.to_string()
    } else {
        format!("http://{text}")
    };
    let url = Url::parse(&with_scheme)
        .map_err(|e| UsageError(format!("--proxy `{text}` is not a URL ({e})")))?;
    if url.scheme() != "http" || url.host_str().is_none() {
        return Err(UsageError(format!(
            "--proxy `{text}`: give an HTTP CONNECT proxy as http://HOST:PORT"
        )));
    }
    Ok(url)
}

/// The environment variable that sets `--timeout` (declared on the flag in `cli.rs`).
const TIMEOUT_ENV: &str = "IDTOKEN_DOCTOR_TIMEOUT";

/// The environment variable that sets `--dns-server` (declared on the flag in `cli.rs`).
const DNS_SERVER_ENV: &str = "IDTOKEN_DOCTOR_DNS_SERVER";

/// The value of an environment variable, when it is set and not empty.
fn env_value(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// Tells a user who never typed the flag where its bad value came from.
fn from_env_note(name: &str) -> String {
    format!(" (set by the environment variable {name}; fix or unset it, or pass the flag)")
}

fn env_proxy() -> Option<String> {
    ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
        .iter()
        .filter_map(|name| std::env::var(name).ok())
        .find(|v| !v.trim().is_empty())
}

/// The largest `--ca-file` read: a bundle of every public root is under 1 MiB.
pub const MAX_CA_FILE_BYTES: u64 = 8 << 20;

fn load_anchors(path: &PathBuf) -> Result<Vec<CertificateDer<'static>>, UsageError> {
    use std::io::Read;
    let shown = path.display();
    // Read one byte past the cap, no more: `--ca-file /dev/zero` (or a log
    // passed by mistake) must not exhaust memory.
    let mut pem = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_CA_FILE_BYTES + 1).read_to_end(&mut pem))
        .map_err(|e| {
            UsageError(format!(
                "--ca-file {shown}: cannot read it ({})",
                crate::text::io_problem(&e)
            ))
        })?;
    if pem.len() as u64 > MAX_CA_FILE_BYTES {
        return Err(UsageError(format!(
            "--ca-file {shown}: the file holds more than {} MiB, and a PEM bundle of CA certificates is far smaller: pass the CA certificates themselves",
            MAX_CA_FILE_BYTES >> 20
        )));
    }
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| UsageError(format!("--ca-file {shown}: not valid PEM ({e})")))?;
    if certs.is_empty() {
        return Err(UsageError(format!(
            "--ca-file {shown}: no CERTIFICATE block found"
        )));
    }
    Ok(certs)
}

/// Everything a command's stages read.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The instant lifetimes and validity are judged at (`--now`, or the clock).
    pub now: OffsetDateTime,
    /// Warnings count as failures.
    pub strict: bool,
    /// The add-in URL `aud` must equal.
    pub audience: Option<String>,
    /// How to reach the network (absent for offline commands).
    pub net: Option<NetSettings>,
}

/// Parses `--now`, or takes the clock.
pub fn evaluation_time(now: Option<&str>) -> Result<OffsetDateTime, UsageError> {
    match now {
        None => Ok(OffsetDateTime::now_utc()),
        Some(text) => {
            crate::clock::parse_instant(text).map_err(|e| UsageError(format!("--now: {e}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_read_curl_syntax() {
        let pin = Pin::parse("Mail.Contoso.com:443:127.0.0.1").expect("v4");
        assert_eq!(
            pin,
            Pin {
                host: "mail.contoso.com".into(),
                port: 443,
                addr: "127.0.0.1".parse().expect("ip")
            }
        );
        let v6 = Pin::parse("mail.contoso.com:8443:[::1]").expect("v6");
        assert_eq!(v6.addr, "::1".parse::<IpAddr>().expect("ip"));
        let bare_v6 = Pin::parse("mail.contoso.com:8443:::1").expect("bare v6");
        assert_eq!(bare_v6.addr, v6.addr);
        assert!(Pin::parse("mail.contoso.com:443").is_err());
        assert!(Pin::parse("mail.contoso.com:https:1.2.3.4").is_err());
    }

    #[test]
    fn dns_servers_default_to_port_53() {
        let port53 = |text: &str| ResolverSpec::Port53(text.parse().expect("sa"));
        assert_eq!(
            parse_dns_server("127.0.0.1").expect("ip"),
            port53("127.0.0.1:53")
        );
        assert_eq!(
            parse_dns_server("127.0.0.1:5353").expect("ip"),
            port53("127.0.0.1:5353")
        );
        assert_eq!(parse_dns_server("::1").expect("ip"), port53("[::1]:53"));
        assert!(parse_dns_server("dns.google").is_err());
    }

    #[test]
    fn dns_servers_may_be_dns_over_https_urls() {
        let https = |text: &str| ResolverSpec::Https(Url::parse(text).expect("url"));
        assert_eq!(
            parse_dns_server("https://127.0.0.1:8443/dns-query").expect("doh"),
            https("https://127.0.0.1:8443/dns-query")
        );
        assert_eq!(
            parse_dns_server("https://dns.google").expect("doh"),
            https("https://dns.google/dns-query")
        );
        assert!(parse_dns_server("http://dns.google/dns-query").is_err());
        assert!(parse_dns_server("https://u:p@dns.google/dns-query").is_err());
    }

    #[test]
    fn proxy_credentials_become_basic_authorization_and_are_never_shown() {
        let setting = ProxySetting {
            url: parse_proxy("http://alice:S3cr%40t@proxy.corp:3128").expect("url"),
            from_env: false,
        };
        // base64("alice:S3cr@t")
        assert_eq!(
            setting.authorization().as_deref(),
            Some("Basic YWxpY2U6UzNjckB0")
        );
        assert_eq!(setting.shown(), "http://proxy.corp:3128/");
        let bare = ProxySetting {
            url: parse_proxy("proxy.corp:3128").expect("url"),
            from_env: false,
        };
        assert_eq!(bare.authorization(), None);
        assert_eq!(bare.scrub("HTTP/1.1 200 OK"), "HTTP/1.1 200 OK");
    }

    #[test]
    fn what_a_proxy_echoes_is_shown_without_the_credentials() {
        let setting = ProxySetting {
            url: parse_proxy("http://alice:S3cr%40t@proxy.corp:3128").expect("url"),
            from_env: false,
        };
        let echoed = "HTTP/1.1 403 denied alice:S3cr@t (Basic YWxpY2U6UzNjckB0, S3cr%40t)";
        assert_eq!(
            setting.scrub(echoed),
            "HTTP/1.1 403 denied alice:(hidden) (Basic (hidden), (hidden))"
        );
    }

    #[test]
    fn proxies_must_be_http_connect_proxies() {
        assert_eq!(
            parse_proxy("proxy.corp:3128").expect("bare").as_str(),
            "http://proxy.corp:3128/"
        );
        assert!(parse_proxy("socks5://proxy:1080").is_err());
    }
}
