//! The report model every stage writes into and every renderer reads from.
//!
//! A [`Report`] is a list of [`Check`]s, each with a stable [`CheckId`] of the
//! contract, plus the facts about the target and the token. Renderers turn it
//! into text without knowing how any check was made.

mod check;
mod ids;

pub use check::{Check, Status};
pub use ids::{CheckId, Stage};

use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::remedy::commands::{commands_for, Facts};

/// Identifies the report format for scripts reading the JSON output.
pub const SCHEMA: &str = "idtoken-doctor/report/v1";

/// Where the chain points: the metadata URL and the host and port it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetInfo {
    /// The authentication metadata URL (`appctx.amurl`, or built from a host).
    pub amurl: String,
    /// The URL's host, without brackets for IPv6 literals.
    pub host: String,
    /// The URL's port, 443 when the URL names none.
    pub port: u16,
}

/// The decoded token, as shown in reports: never the signature or the raw token.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TokenFacts {
    /// The JOSE header.
    pub header: Map<String, Value>,
    /// The payload claims (with `appctx` as found: object or string).
    pub claims: Map<String, Value>,
    /// The application context, parsed into an object when it was a JSON string.
    pub appctx: Map<String, Value>,
    /// The unique user id: amurl and msexchuid, as Exchange and SSI form it.
    pub unique_id: Option<String>,
    /// The time claims found (`nbf`, `exp`, `iat`), as instants, for display.
    pub times: Vec<(String, OffsetDateTime)>,
}

/// Exit code of an inconclusive verdict: the first check that did not pass
/// could not be made from this machine.
pub const EXIT_INCONCLUSIVE: i32 = crate::exits::INCONCLUSIVE;

/// The outcome of a whole report: the first broken link, or healthy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// No check failed (and, under `--strict`, none warned).
    Healthy,
    /// The first failing check in stage order.
    Broken {
        /// The check that names the broken link.
        check: CheckId,
        /// Its one-line summary.
        summary: String,
        /// Who must change what.
        remedy: String,
    },
    /// The first check that did not pass is an `error`: it could not be made
    /// from this machine, so nothing is known against the target.
    Inconclusive {
        /// The check that could not be made.
        check: CheckId,
        /// Its one-line summary.
        summary: String,
        /// What the person running the tool can do.
        remedy: String,
    },
}

impl Verdict {
    /// The process exit code of the contract: 0 when healthy, 3 when
    /// inconclusive, else the stage's code.
    pub fn exit_code(&self) -> i32 {
        match self {
            Verdict::Healthy => 0,
            Verdict::Broken { check, .. } => check.stage().exit_code(),
            Verdict::Inconclusive { .. } => EXIT_INCONCLUSIVE,
        }
    }

    /// The verdict's status as the contract spells it: `healthy`, `fail` or
    /// `inconclusive`.
    pub fn status_str(&self) -> &'static str {
        match self {
            Verdict::Healthy => "healthy",
            Verdict::Broken { .. } => "fail",
            Verdict::Inconclusive { .. } => "inconclusive",
        }
    }

    /// The check the verdict rests on, with its summary and remedy; `None`
    /// when healthy.
    pub fn finding(&self) -> Option<(CheckId, &str, &str)> {
        match self {
            Verdict::Healthy => None,
            Verdict::Broken {
                check,
                summary,
                remedy,
            }
            | Verdict::Inconclusive {
                check,
                summary,
                remedy,
            } => Some((*check, summary.as_str(), remedy.as_str())),
        }
    }
}

/// Everything one command found out about one target.
#[derive(Debug, Clone)]
pub struct Report {
    /// The subcommand that produced the report (`decode`, `probe`, ...).
    pub command: &'static str,
    /// The instant token lifetime and certificate validity were judged at.
    pub evaluated_at: OffsetDateTime,
    /// The metadata URL and host, once known.
    pub target: Option<TargetInfo>,
    /// The decoded token, when the input was a token.
    pub token: Option<TokenFacts>,
    /// Facts about how the probe ran that a reader must know (a proxy, extra anchors).
    pub notes: Vec<String>,
    /// Whether warnings count as failures.
    pub strict: bool,
    /// Wall time of the run for this target, once it is over (the Prometheus
    /// format's `idtoken_doctor_duration_seconds`).
    pub elapsed: Option<std::time::Duration>,
    checks: Vec<Check>,
}

impl Report {
    /// Starts an empty report for `command`, judged at `evaluated_at`.
    pub fn new(command: &'static str, evaluated_at: OffsetDateTime, strict: bool) -> Self {
        Report {
            command,
            evaluated_at,
            target: None,
            token: None,
            notes: Vec::new(),
            strict,
            elapsed: None,
            checks: Vec::new(),
        }
    }

    /// Adds checks; a later check with the same id replaces an earlier one.
    pub fn extend(&mut self, checks: impl IntoIterator<Item = Check>) {
        for check in checks {
            self.push(check);
        }
    }

    /// Adds one check; a later check with the same id replaces an earlier one.
    /// A failing or warning check gets its remedy's commands here, filled from
    /// its details and the report's target (see [`crate::remedy::commands`]).
    pub fn push(&mut self, mut check: Check) {
        if check.commands.is_empty() && matches!(check.status, Status::Fail | Status::Warn) {
            if let Some(remedy) = check.remedy {
                check.commands = commands_for(remedy, &self.command_facts(&check));
            }
        }
        match self.checks.iter_mut().find(|c| c.id == check.id) {
            Some(existing) => *existing = check,
            None => self.checks.push(check),
        }
    }

    /// What a check's commands are filled from: the target, and the
    /// certificate the check names (for `key.match`, the token's).
    fn command_facts<'a>(&'a self, check: &'a Check) -> Facts<'a> {
        let thumbprint = ["token_thumbprint", "thumbprint"]
            .iter()
            .find_map(|key| check.details.get(*key).and_then(Value::as_str));
        Facts {
            host: self.target.as_ref().map(|t| t.host.as_str()),
            port: self.target.as_ref().map(|t| t.port),
            amurl: self.target.as_ref().map(|t| t.amurl.as_str()),
            thumbprint,
        }
    }

    /// Marks every check of `stage` that has no result yet as skipped, with `reason`.
    pub fn skip_stage(&mut self, stage: Stage, reason: &str) {
        for id in CheckId::of_stage(stage) {
            if self.get(*id).is_none() {
                self.checks.push(Check::skip(*id, reason));
            }
        }
    }

    /// The result of one check, if it was made or skipped.
    pub fn get(&self, id: CheckId) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }

    /// The checks in stage order, then in the contract's order within a stage.
    pub fn checks(&self) -> Vec<&Check> {
        let mut sorted: Vec<&Check> = self.checks.iter().collect();
        sorted.sort_by_key(|c| c.id);
        sorted
    }

    /// Mutable access to every check, for whole-report passes such as redaction.
    pub fn checks_mut(&mut self) -> impl Iterator<Item = &mut Check> {
        self.checks.iter_mut()
    }

    /// Whether a check counts against the chain: a fail or an error, or a warn
    /// under `--strict`.
    pub fn counts_as_failure(&self, check: &Check) -> bool {
        match check.status {
            Status::Fail | Status::Error => true,
            Status::Warn => self.strict,
            Status::Pass | Status::Skip => false,
        }
    }

    /// The first failure in stage order (with `--strict`, the first fail, error
    /// or warn); inconclusive when that check is an `error`.
    pub fn verdict(&self) -> Verdict {
        match self
            .checks()
            .into_iter()
            .find(|c| self.counts_as_failure(c))
        {
            None => Verdict::Healthy,
            Some(check) => {
                let check_id = check.id;
                let summary = check.summary.clone();
                let remedy = check.remedy_text().unwrap_or_default().to_string();
                if check.status == Status::Error {
                    Verdict::Inconclusive {
                        check: check_id,
                        summary,
                        remedy,
                    }
                } else {
                    Verdict::Broken {
                        check: check_id,
                        summary,
                        remedy,
                    }
                }
            }
        }
    }

    /// Whether the walk stopped (a fail or an error) in `stage` or before it.
    pub fn broken_at_or_before(&self, stage: Stage) -> bool {
        self.checks
            .iter()
            .any(|c| c.status.stops_the_chain() && c.id.stage() <= stage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remedy::Remedy;

    fn report(strict: bool) -> Report {
        Report::new("test", OffsetDateTime::UNIX_EPOCH, strict)
    }

    #[test]
    fn verdict_is_first_fail_in_stage_order_not_insertion_order() {
        let mut r = report(false);
        r.push(Check::fail(
            CheckId::HttpAccess,
            "401",
            Remedy::MetadataAuthentication,
        ));
        r.push(Check::fail(
            CheckId::TlsTrust,
            "self-signed",
            Remedy::TlsChainUntrusted,
        ));
        let verdict = r.verdict();
        assert_eq!(verdict.exit_code(), 40);
        assert!(matches!(
            verdict,
            Verdict::Broken {
                check: CheckId::TlsTrust,
                ..
            }
        ));
    }

    #[test]
    fn warnings_break_the_chain_only_when_strict() {
        let mut lenient = report(false);
        lenient.push(Check::warn(
            CheckId::TokenLifetime,
            "expired",
            Remedy::TokenLifetime,
        ));
        assert_eq!(lenient.verdict(), Verdict::Healthy);
        let mut strict = report(true);
        strict.extend(lenient.checks().into_iter().cloned());
        assert_eq!(strict.verdict().exit_code(), 10);
    }

    #[test]
    fn an_error_first_makes_the_verdict_inconclusive_exit_3() {
        let mut r = report(false);
        r.push(Check::fail(
            CheckId::HttpAccess,
            "401",
            Remedy::MetadataAuthentication,
        ));
        r.push(Check::error(
            CheckId::DnsResolve,
            "no resolver could be reached from here",
            Remedy::DnsResolversUnreachable,
        ));
        let verdict = r.verdict();
        assert_eq!(verdict.exit_code(), EXIT_INCONCLUSIVE);
        assert_eq!(verdict.status_str(), "inconclusive");
        assert_eq!(verdict.finding().map(|f| f.0), Some(CheckId::DnsResolve));
        assert!(r.broken_at_or_before(Stage::Dns));
    }

    #[test]
    fn a_fail_before_an_error_is_a_failure_of_the_target() {
        let mut r = report(false);
        r.push(Check::error(
            CheckId::TcpConnect,
            "the proxy refused",
            Remedy::ProxyFailed,
        ));
        r.push(Check::fail(
            CheckId::DnsName,
            "internal",
            Remedy::InternalHostName,
        ));
        assert_eq!(r.verdict().exit_code(), 20);
        assert_eq!(r.verdict().status_str(), "fail");
    }

    #[test]
    fn skip_stage_fills_every_missing_check_of_the_stage() {
        let mut r = report(false);
        r.push(Check::pass(CheckId::TlsHandshake, "TLS 1.3"));
        r.skip_stage(Stage::Tls, "an earlier link broke");
        let tls: Vec<_> = r
            .checks()
            .into_iter()
            .filter(|c| c.id.stage() == Stage::Tls)
            .map(|c| (c.id, c.status))
            .collect();
        assert_eq!(
            tls,
            vec![
                (CheckId::TlsHandshake, Status::Pass),
                (CheckId::TlsTrust, Status::Skip),
                (CheckId::TlsName, Status::Skip),
                (CheckId::TlsValidity, Status::Skip),
            ]
        );
    }

    #[test]
    fn a_later_result_replaces_an_earlier_one() {
        let mut r = report(false);
        r.push(Check::skip(CheckId::EwsReachable, "not yet"));
        r.push(Check::pass(CheckId::EwsReachable, "401 from IIS"));
        assert_eq!(r.checks().len(), 1);
        assert_eq!(r.checks()[0].status, Status::Pass);
    }
}
