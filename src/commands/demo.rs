//! `demo [SCENARIO]`: `diagnose` against an Exchange on 127.0.0.1 with one link broken.

use time::OffsetDateTime;

use crate::chain::MetadataSource;
use crate::cli::DemoArgs;
use crate::lab::scenario::{Lab, Scenario};
use crate::progress::Progress;
use crate::settings::{evaluation_time, Settings, UsageError};

use super::batch::Cache;
use super::chain_commands::{finish, probe_one, token_chain};
use super::emit;

fn list() -> String {
    let mut out = String::from("Scenarios (idtoken-doctor demo SCENARIO):\n");
    for scenario in Scenario::ALL {
        out.push_str(&format!(
            "  {:<18} exit {:>2}  {}\n",
            scenario.name(),
            scenario.expected_exit_code(),
            scenario.about()
        ));
    }
    out
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
