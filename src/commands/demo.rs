//! `demo [SCENARIO]`: `diagnose` against an Exchange on 127.0.0.1 with one link broken.

use time::OffsetDateTime;

use crate::chain::MetadataSource;
use crate::cli::DemoArgs;
use crate::lab::scenario::{Lab, Scenario};
use crate::progress::Progress;
use crate::render;
use crate::settings::{evaluation_time, Settings, UsageError};

use super::batch::Cache;
use super::chain_commands::{finish, probe_one, token_chain};
use super::emit;

/// The list a reader scans: wrapped to the terminal (or `COLUMNS`), and to 100
/// columns at most where neither says, like `--help`.
fn list() -> String {
    const NAME_COLUMN: usize = 24;
    let width = render::report_width(std::env::var_os("COLUMNS").as_deref(), terminal_width())
        .unwrap_or(100)
        .min(100);
    let mut out = String::from("Scenarios (idtoken-doctor demo SCENARIO):\n");
    for scenario in Scenario::ALL {
        let head = format!(
            "  {:<NAME_COLUMN$} exit {:>2}  ",
            scenario.name(),
            scenario.expected_exit_code(),
        );
        let indent = head.len();
        out.push_str(&head);
        out.push_str(&render::wrap_words(scenario.about(), width, indent));
        out.push('\n');
    }
    out
}

/// The width of the terminal standard output is, if it is one.
fn terminal_width() -> Option<usize> {
    use std::io::IsTerminal;
    let stdout = std::io::stdout();
    if !stdout.is_terminal() {
        return None;
    }
    terminal_size::terminal_size_of(stdout).map(|(w, _)| usize::from(w.0))
}

/// Runs one scenario and prints its report; exits with the verdict's code.
pub fn run(args: &DemoArgs) -> Result<i32, UsageError> {
    if args.list {
        emit(&list());
        return Ok(0);
    }
    let scenario = match args.scenario.as_deref() {
        None => Scenario::Healthy,
        Some(name) => Scenario::from_name(name)
            .ok_or_else(|| UsageError(format!("no demo scenario `{name}`.\n{}", list())))?,
    };
    let now = evaluation_time(args.output.now.as_deref())?;
    let lab =
        Lab::start(scenario, OffsetDateTime::now_utc()).map_err(|e| UsageError(e.to_string()))?;
    let settings = Settings {
        now,
        strict: args.output.strict,
        audience: None,
        net: Some(lab.net.clone()),
    };
    let progress = Progress::for_terminal(args.output.format);
    let probe_ews = true;
    let mut report = match lab.address {
        Some(address) => {
            let mut report = probe_one(address, &settings, &Cache::default(), &progress);
            report.command = "demo";
            report
        }
        None => token_chain(
            "demo",
            &lab.token,
            &settings,
            &MetadataSource::Amurl,
            probe_ews,
            &Cache::default(),
            &progress,
        ),
    };
    report.notes.insert(
        0,
        format!(
            "demo scenario `{scenario}`: {}; everything runs on 127.0.0.1 with a lab CA and a lab DNS server",
            scenario.about()
        ),
    );
    Ok(finish(vec![report], &args.output, &progress, false))
}
