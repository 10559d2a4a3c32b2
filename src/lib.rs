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
pub mod catalog;
pub mod chain;
pub mod cli;
pub mod clock;
pub mod commands;
pub mod dns;
pub mod entra;
pub mod ews;
pub mod exits;
pub mod explain;
pub mod http;
pub mod input;
pub mod key;
pub mod lab;
pub mod mailbox;
pub mod metadata;
pub mod net;
pub mod progress;
pub mod remedy;
pub mod render;
pub mod report;
pub mod settings;
pub mod ssi_ips;
pub mod target;
pub mod tcp;
pub mod text;
pub mod tls;
pub mod token;

pub use commands::run;
