//! One judged link: a [`Check`] with its [`Status`], summary, remedy and facts.

use std::fmt;

use serde_json::{Map, Value};

use super::CheckId;
use crate::remedy::commands::Command;
use crate::remedy::Remedy;

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// The link holds.
    Pass,
    /// The link holds today but something needs attention.
    Warn,
    /// The link is broken.
    Fail,
    /// Not applicable, or a link before it broke.
    Skip,
    /// The check could not be made from this machine, for a reason on this
    /// side (its network, its proxy), not the target's: the verdict is then
    /// inconclusive, not a failure of the target.
    Error,
}

impl Status {
    /// The status as the contract spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Warn => "warn",
            Status::Fail => "fail",
            Status::Skip => "skip",
            Status::Error => "error",
        }
    }

    /// Whether the status stops the walk: the link is broken (`fail`) or could
    /// not be judged from here (`error`), so the links after it are not checked.
    pub fn stops_the_chain(self) -> bool {
        matches!(self, Status::Fail | Status::Error)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A judged link of the chain.
///
/// Fails and warnings always carry a remedy: the constructors make a remedy-less
/// failure impossible to build.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// The contract's identifier.
    pub id: CheckId,
    /// The outcome.
    pub status: Status,
    /// One line saying what was found.
    pub summary: String,
    /// Who must change what; present on every fail, warn and error.
    pub remedy: Option<Remedy>,
    /// The facts that prove the judgement (addresses, certificate names, headers).
    pub details: Map<String, Value>,
    /// The remedy's commands, ready to paste, read-only ones first; filled
    /// in when the check joins a report (see [`super::Report::push`]).
    pub commands: Vec<Command>,
}

impl Check {
    fn new(
        id: CheckId,
        status: Status,
        summary: impl Into<String>,
        remedy: Option<Remedy>,
    ) -> Self {
        Check {
            id,
            status,
            summary: summary.into(),
            remedy,
            details: Map::new(),
            commands: Vec::new(),
        }
    }

    /// The link holds.
    pub fn pass(id: CheckId, summary: impl Into<String>) -> Self {
        Self::new(id, Status::Pass, summary, None)
    }

    /// The link holds but needs attention; `remedy` says what to do.
    pub fn warn(id: CheckId, summary: impl Into<String>, remedy: Remedy) -> Self {
        Self::new(id, Status::Warn, summary, Some(remedy))
    }

    /// The link is broken; `remedy` says who must change what.
    pub fn fail(id: CheckId, summary: impl Into<String>, remedy: Remedy) -> Self {
        Self::new(id, Status::Fail, summary, Some(remedy))
    }

    /// The check could not be made from this machine for a reason on this
    /// side; `remedy` speaks to the person running the tool.
    pub fn error(id: CheckId, summary: impl Into<String>, remedy: Remedy) -> Self {
        Self::new(id, Status::Error, summary, Some(remedy))
    }

    /// The check does not apply or could not run; `reason` says why.
    pub fn skip(id: CheckId, reason: impl Into<String>) -> Self {
        Self::new(id, Status::Skip, reason, None)
    }

    /// Adds one fact to the details.
    pub fn with_detail(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.details.insert(key.to_string(), value.into());
        self
    }

    /// The remedy's text, if the check has one.
    pub fn remedy_text(&self) -> Option<&'static str> {
        self.remedy.map(Remedy::text)
    }
}
