//! `explain [TEXT]`: what a ticket's error text means, offline.

use std::io::IsTerminal;

use crate::cli::ExplainArgs;
use crate::explain::{self, ExplainFormat};
use crate::settings::UsageError;

use super::output::{emit, open_output, width};

/// Exit code when nothing in the text was recognised.
const NOTHING_RECOGNISED: i32 = 1;

/// Reads the text as TOKEN is read, explains it and prints the findings:
/// exit 0 when something was recognised, 1 when nothing was.
pub fn run(args: &ExplainArgs) -> Result<i32, UsageError> {
    if let Some(path) = &args.output {
        open_output(path)?;
    }
    let text = super::chain_commands::read_token(args.text.as_deref())?;
    let findings = explain::explain(&text, time::OffsetDateTime::now_utc());
    let characters = text.chars().count();
    emit(&match args.format {
        ExplainFormat::Human => {
            let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
            explain::human(&findings, characters, width(to_terminal))
        }
        ExplainFormat::Json => explain::json(&findings),
        ExplainFormat::Markdown => explain::markdown(&findings, characters),
    });
    Ok(if findings.is_empty() {
        NOTHING_RECOGNISED
    } else {
        0
    })
}
