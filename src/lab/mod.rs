//! Everything `demo`, the tests and the benchmarks need to stand up a
//! misconfigured Exchange on 127.0.0.1: certificates, servers, DNS, tokens.
//! Nothing here ever listens on or connects to anything but loopback.

/// Exchange Server Auth Certificates (RSA) and metadata documents.
pub mod authcert;
/// A local DNS server answering from a fixed zone.
pub mod dns;
/// A local HTTPS server with scripted behaviours.
pub mod https;
/// Signing identity tokens with a key the caller holds.
pub mod mint;
/// Test certification authorities and server certificates.
pub mod pki;
/// The `demo` scenarios: a whole Exchange on loopback with one link broken.
pub mod scenario;
