//! `idtoken-doctor`: walks the chain SAP Cloud for Customer Server-Side
//! Integration (SSI) follows to validate an Exchange user identity token
//! (token, dns, tcp, tls, http, metadata, key, ews) and names the link that
//! breaks, why, and who must change what.
//!
//! The binary only parses the command line and calls [`run`]. Each link of the
//! chain is a module that owns its checks; the checks land in a
//! [`report::Report`] that the renderers turn into text.

#![warn(missing_docs)]

pub mod budget;
/// The catalog of checks: meaning, typical cause and remedies of each.
pub mod catalog;
/// Walking the links in order, stopping at the first broken one.
pub mod chain;
pub mod cli;
pub mod clock;
pub mod commands;
/// The `dns` link: is the amurl host a public name with public addresses?
pub mod dns;
/// The `ews` link: does Exchange Web Services answer on the amurl's host?
pub mod ews;
/// The `http` link: an anonymous GET of the amurl, no redirects followed.
pub mod http;
/// Reading the token from arguments, files and standard input, forgivingly.
pub mod input;
/// The `key` link: x5t match, auth certificate validity, RS256 signature.
pub mod key;
/// An in-process Exchange impersonator on loopback, for `demo`, tests and benchmarks.
pub mod lab;
/// The `metadata` link: the Exchange authentication metadata document.
pub mod metadata;
/// Address classification and other network helpers shared by the stages.
pub mod net;
/// A spinner naming the link under way, for terminals only.
pub mod progress;
pub mod remedy;
/// Renderers: human, json, markdown and junit text from a report.
pub mod render;
pub mod report;
pub mod settings;
/// The SSI egress IP ranges of the knowledge-base article.
pub mod ssi_ips;
pub mod target;
/// The `tcp` link: does the port accept a connection?
pub mod tcp;
/// The `tls` link: handshake, trust, name and validity of the server certificate.
pub mod tls;
/// The `token` link: the pasted Exchange user identity token itself.
pub mod token;

pub use commands::run;
