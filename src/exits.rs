//! The process exit codes shared across layers. Besides these: 0 healthy, the
//! stages' codes ([`crate::report::Stage::exit_code`]: 10 token … 80 ews) and
//! `ssi-ips --check`'s 0/1. Scripts and CI jobs depend on every one of them
//! (the contract's "Verdict and exit codes").

/// A usage error, or input that cannot be read at all (a missing `@PATH`).
pub const USAGE: i32 = 2;

/// Inconclusive: the first check that did not pass could not be made from
/// this machine (an `error` check: its network, its proxy).
pub const INCONCLUSIVE: i32 = 3;
