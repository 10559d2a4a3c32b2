//! Everything `demo`, the tests and the benchmarks need to stand up a
//! misconfigured Exchange on 127.0.0.1: certificates, servers, DNS, tokens.
//! Nothing here ever listens on or connects to anything but loopback.

pub mod authcert;
pub mod dns;
pub mod entra;
pub mod https;
pub mod legacy_tls;
pub mod mint;
pub mod pki;
pub mod scenario;
