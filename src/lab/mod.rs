//! Everything `demo`, the tests and the benchmarks need to stand up a
//! misconfigured Exchange on 127.0.0.1: certificates, servers, DNS, tokens.
//! Nothing here ever listens on or connects to anything but loopback.

pub mod authcert;
pub mod autodiscover;
pub mod dns;
pub mod entra;
pub mod https;
pub mod legacy_tls;
pub mod mint;
pub mod pki;
pub mod scenario;

/// Network settings that reach only loopback servers trusting `extra_roots`
/// (the lab CA, or none) besides the public roots, within `timeout`: no
/// resolver and no pin yet (the caller adds its lab DNS server or `--resolve`
/// pins).
pub fn loopback_net(
    extra_roots: Vec<rustls_pki_types::CertificateDer<'static>>,
    timeout: std::time::Duration,
) -> crate::settings::NetSettings {
    crate::settings::NetSettings {
        timeout,
        pins: Vec::new(),
        dns_servers: Vec::new(),
        doh: Default::default(),
        system_dns: false,
        proxy: None,
        env_proxy_unused: None,
        ca_file: None,
        extra_roots,
        allow_private: true,
        ews_url: None,
    }
}
