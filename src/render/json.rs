//! The JSON format: exactly the contract's report shape, for scripts.
//!
//! The report is first built as typed structs declared in the contract's key
//! order, so the printed text lists `schema`, `tool_version`, `command`, ... in
//! that order (a `serde_json::Value` would sort the keys). Nested objects taken
//! from the report (claims, details) keep serde_json's order.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

use super::{broken_link, healthy_summary, RenderOptions};
use crate::clock;
use crate::report::{Check, Report, TokenFacts, SCHEMA};

/// The report as the contract's JSON object: `schema`, `tool_version`,
/// `command`, `evaluated_at` (RFC 3339, UTC), `target` (or null), `token` (or
/// null; never the signature or the raw token), `checks` in stage order, and the
/// `verdict` with its exit code. `notes` is added after them.
pub fn json(report: &Report, opts: &RenderOptions) -> Value {
    // Serialising plain structs of strings, numbers and JSON values cannot fail.
    serde_json::to_value(ReportJson::of(report, opts)).unwrap_or(Value::Null)
}

/// The report as one line of JSON, keys in the contract's order, for `--batch`
/// output (one object per line).
pub fn json_line(report: &Report, opts: &RenderOptions) -> String {
    let text = serde_json::to_string(&ReportJson::of(report, opts)).unwrap_or_default();
    crate::text::escape_json_text(text)
}

/// The report as indented JSON, keys in the contract's order.
pub(super) fn json_pretty(report: &Report, opts: &RenderOptions) -> String {
    let text = serde_json::to_string_pretty(&ReportJson::of(report, opts)).unwrap_or_default();
    crate::text::escape_json_text(text)
}

/// The JSON Schema of the report, generated from the types that print it.
pub fn report_schema() -> Value {
    serde_json::to_value(schemars::schema_for!(ReportJson<'static>)).unwrap_or(Value::Null)
}

/// An idtoken-doctor report: every check of the command's links and one verdict.
#[derive(Serialize, JsonSchema)]
#[schemars(title = "idtoken-doctor report", deny_unknown_fields)]
struct ReportJson<'a> {
    /// Always `idtoken-doctor/report/v1`.
    #[schemars(extend("const" = "idtoken-doctor/report/v1"))]
    schema: &'static str,
    /// The version of the tool that wrote the report.
    tool_version: &'static str,
    /// The subcommand: decode, probe, keys, diagnose or demo.
    #[schemars(extend("enum" = ["decode", "probe", "keys", "diagnose", "demo"]))]
    command: &'static str,
    /// When token lifetime and certificate validity were judged (RFC 3339, UTC).
    evaluated_at: String,
    /// The metadata URL and its host and port; null when no URL was found.
    target: Option<TargetJson<'a>>,
    /// The decoded token (never its signature or the raw token); null without a token.
    token: Option<TokenJson<'a>>,
    /// Every check of the command's links, in chain order, skipped ones included.
    checks: Vec<CheckJson<'a>>,
    /// The first failure in chain order, or healthy.
    verdict: VerdictJson,
    /// How the checks were made, when a reader must know (a proxy, extra trust anchors, redaction).
    notes: &'a [String],
}

/// Where the chain points.
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct TargetJson<'a> {
    /// The authentication metadata URL (appctx.amurl).
    amurl: &'a str,
    /// Its host (IPv6 literals without brackets).
    host: &'a str,
    /// Its port (443 when the URL names none).
    port: u16,
}

/// The token as reports show it; the time claims stay in `claims` as found.
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct TokenJson<'a> {
    /// The JOSE header (typ, alg, x5t, and kid on Exchange Online).
    header: &'a Map<String, Value>,
    /// The payload claims, appctx as found (object or JSON string).
    claims: &'a Map<String, Value>,
    /// The application context, parsed into an object.
    appctx: &'a Map<String, Value>,
    /// amurl and msexchuid concatenated: the user's unique id.
    unique_id: Option<&'a str>,
}

/// One judged link.
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct CheckJson<'a> {
    /// The stable id, `stage.name`.
    #[schemars(extend("pattern" = "^(token|dns|tcp|tls|http|metadata|key|ews)\\.[a-z_]+$"))]
    id: &'static str,
    /// The link of the chain.
    #[schemars(extend("enum" = ["token", "dns", "tcp", "tls", "http", "metadata", "key", "ews"]))]
    stage: &'static str,
    /// pass, warn, fail, skip (not applicable, or a link before it broke) or
    /// error (the check could not be made from this machine).
    #[schemars(extend("enum" = ["pass", "warn", "fail", "skip", "error"]))]
    status: &'static str,
    /// One line saying what was found.
    summary: &'a str,
    /// Who must change what; present on every fail and warn, null otherwise.
    remedy: Option<&'static str>,
    /// The facts that prove the judgement.
    details: &'a Map<String, Value>,
    /// The remedy's commands, ready to paste, read-only ones first; only on a
    /// fail or warn whose remedy names a cmdlet, a setting or a firewall change.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schemars(default)]
    commands: Vec<CommandJson<'a>>,
}

/// One command of a remedy.
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct CommandJson<'a> {
    /// Where it runs.
    #[schemars(extend("enum" = ["powershell", "exchange-management-shell", "sh"]))]
    shell: &'static str,
    /// The command line, whole, its values filled in.
    run: &'a str,
    /// What it shows or does.
    purpose: &'static str,
    /// Whether it changes configuration.
    changes: bool,
}

/// The verdict of the report.
#[derive(Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
struct VerdictJson {
    /// healthy, fail, or inconclusive (the first check that did not pass is an error).
    #[schemars(extend("enum" = ["healthy", "fail", "inconclusive"]))]
    status: &'static str,
    /// The stage of the first failure; null when healthy.
    stage: Option<&'static str>,
    /// The id of the first failure; null when healthy.
    check: Option<&'static str>,
    /// What was found.
    summary: String,
    /// Who must change what; null when healthy.
    remedy: Option<String>,
    /// The process exit code: 0 healthy, 3 inconclusive, 10 token, 20 dns, 30 tcp, 40 tls, 50 http, 60 metadata, 70 key, 80 ews.
    #[schemars(extend("enum" = [0, 3, 10, 20, 30, 40, 50, 60, 70, 80]))]
    exit_code: i32,
}

impl<'a> ReportJson<'a> {
    fn of(report: &'a Report, opts: &RenderOptions) -> Self {
        ReportJson {
            schema: SCHEMA,
            tool_version: opts.tool_version,
            command: report.command,
            evaluated_at: clock::rfc3339(report.evaluated_at),
            target: report.target.as_ref().map(|t| TargetJson {
                amurl: &t.amurl,
                host: &t.host,
                port: t.port,
            }),
            token: report.token.as_ref().map(TokenJson::of),
            checks: report.checks().into_iter().map(CheckJson::of).collect(),
            verdict: VerdictJson::of(report),
            notes: &report.notes,
        }
    }
}

impl<'a> TokenJson<'a> {
    fn of(token: &'a TokenFacts) -> Self {
        TokenJson {
            header: &token.header,
            claims: &token.claims,
            appctx: &token.appctx,
            unique_id: token.unique_id.as_deref(),
        }
    }
}

impl<'a> CheckJson<'a> {
    fn of(check: &'a Check) -> Self {
        CheckJson {
            id: check.id.as_str(),
            stage: check.id.stage().as_str(),
            status: check.status.as_str(),
            summary: &check.summary,
            remedy: check.remedy_text(),
            details: &check.details,
            commands: check
                .commands
                .iter()
                .map(|c| CommandJson {
                    shell: c.shell.as_str(),
                    run: &c.run,
                    purpose: c.purpose,
                    changes: c.changes,
                })
                .collect(),
        }
    }
}

impl VerdictJson {
    fn of(report: &Report) -> Self {
        let verdict = report.verdict();
        let exit_code = verdict.exit_code();
        match broken_link(&verdict) {
            None => VerdictJson {
                status: "healthy",
                stage: None,
                check: None,
                summary: healthy_summary(report),
                remedy: None,
                exit_code,
            },
            Some((stage, check, summary, remedy)) => VerdictJson {
                status: verdict.status_str(),
                stage: Some(stage),
                check: Some(check),
                summary: summary.to_string(),
                remedy: Some(remedy.to_string()),
                exit_code,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remedy::Remedy;
    use crate::render::fixtures;
    use crate::report::CheckId;
    use serde_json::json;

    fn keys(value: &Value) -> Vec<&str> {
        let mut keys: Vec<&str> = value
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        keys
    }

    fn sorted(mut keys: Vec<&'static str>) -> Vec<&'static str> {
        keys.sort_unstable();
        keys
    }

    #[test]
    fn top_level_shape_follows_the_contract() {
        let value = json(&fixtures::broken_at_tls(), &RenderOptions::default());
        assert_eq!(
            keys(&value),
            sorted(vec![
                "schema",
                "tool_version",
                "command",
                "evaluated_at",
                "target",
                "token",
                "checks",
                "verdict",
                "notes"
            ])
        );
        assert_eq!(value["schema"], "idtoken-doctor/report/v1");
        assert_eq!(value["tool_version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(value["command"], "probe");
        assert_eq!(value["evaluated_at"], "2026-11-21T10:00:00Z");
        assert_eq!(
            value["target"],
            json!({"amurl": "https://mail.contoso.com/autodiscover/metadata/json/1", "host": "mail.contoso.com", "port": 443})
        );
        assert_eq!(value["token"], Value::Null);
        assert_eq!(value["notes"], json!([]));
    }

    #[test]
    fn printed_keys_follow_the_contract_order() {
        let report = fixtures::broken_at_tls();
        let opts = RenderOptions::default();
        for text in [json_line(&report, &opts), json_pretty(&report, &opts)] {
            let position = |key: &str| {
                text.find(&format!("\"{key}\":"))
                    .unwrap_or_else(|| panic!("{key} missing"))
            };
            let order = [
                "schema",
                "tool_version",
                "command",
                "evaluated_at",
                "target",
                "token",
                "checks",
                "verdict",
                "notes",
            ];
            assert!(
                order.windows(2).all(|w| position(w[0]) < position(w[1])),
                "{text}"
            );
            let first_check = &text[position("checks")..];
            let check_position = |key: &str| {
                first_check
                    .find(&format!("\"{key}\":"))
                    .unwrap_or_else(|| panic!("{key} missing"))
            };
            let check_order = ["id", "stage", "status", "summary", "remedy", "details"];
            assert!(check_order
                .windows(2)
                .all(|w| check_position(w[0]) < check_position(w[1])));
        }
    }

    #[test]
    fn tool_version_comes_from_the_options() {
        let opts = RenderOptions {
            tool_version: "9.9.9-test",
            ..RenderOptions::default()
        };
        assert_eq!(
            json(&fixtures::healthy(), &opts)["tool_version"],
            "9.9.9-test"
        );
    }

    #[test]
    fn checks_are_in_stage_order_with_every_field_typed() {
        let report = fixtures::broken_at_tls();
        let value = json(&report, &RenderOptions::default());
        let checks = value["checks"].as_array().expect("checks array");
        let ids: Vec<&str> = checks
            .iter()
            .map(|c| c["id"].as_str().expect("id"))
            .collect();
        let expected: Vec<&str> = CheckId::ALL
            .iter()
            .filter(|id| report.get(**id).is_some())
            .map(|id| id.as_str())
            .collect();
        assert_eq!(ids, expected);
        // Skipped checks are listed too.
        assert!(ids.contains(&"ews.reachable"));
        for check in checks {
            // `commands` only where a remedy names some.
            let mut expected = vec!["id", "stage", "status", "summary", "remedy", "details"];
            if let Some(commands) = check.get("commands") {
                assert!(!commands.as_array().expect("a list").is_empty());
                assert!(["fail", "warn"].contains(&check["status"].as_str().expect("status")));
                expected.push("commands");
            }
            assert_eq!(keys(check), sorted(expected));
            let id = check["id"].as_str().expect("id");
            assert_eq!(check["stage"].as_str(), id.split('.').next());
            let status = check["status"].as_str().expect("status");
            assert!(["pass", "warn", "fail", "skip"].contains(&status));
            assert!(check["summary"].is_string());
            assert!(check["details"].is_object());
            match status {
                "fail" | "warn" => assert!(check["remedy"].is_string()),
                _ => assert!(check["remedy"].is_null()),
            }
        }
        let trust = &checks[ids
            .iter()
            .position(|i| *i == "tls.trust")
            .expect("tls.trust")];
        assert_eq!(trust["status"], "fail");
        assert_eq!(trust["remedy"], Remedy::TlsSelfSigned.text());
        assert_eq!(
            trust["details"]["certificate"]["subject"],
            "CN=mail.contoso.com"
        );
        assert_eq!(trust["details"]["chain_length"], 1);
    }

    #[test]
    fn broken_verdict_names_stage_check_and_exit_code() {
        let value = json(&fixtures::broken_at_tls(), &RenderOptions::default());
        assert_eq!(
            value["verdict"],
            json!({
                "status": "fail",
                "stage": "tls",
                "check": "tls.trust",
                "summary": "the server certificate CN=mail.contoso.com is self-signed",
                "remedy": Remedy::TlsSelfSigned.text(),
                "exit_code": 40,
            })
        );
        let token = json(&fixtures::broken_at_token(), &RenderOptions::default());
        assert_eq!(token["verdict"]["exit_code"], 10);
        assert_eq!(token["verdict"]["check"], "token.input");
        let http = json(&fixtures::broken_at_http(false), &RenderOptions::default());
        assert_eq!(http["verdict"]["exit_code"], 50);
        // Under --strict the earlier dns warning is the verdict.
        let strict = json(&fixtures::broken_at_http(true), &RenderOptions::default());
        assert_eq!(strict["verdict"]["check"], "dns.split_horizon");
        assert_eq!(strict["verdict"]["status"], "fail");
        assert_eq!(strict["verdict"]["exit_code"], 20);
    }

    #[test]
    fn healthy_verdict_has_nulls_and_exit_code_zero() {
        let value = json(&fixtures::healthy(), &RenderOptions::default());
        let verdict = &value["verdict"];
        assert_eq!(
            keys(verdict),
            sorted(vec![
                "status",
                "stage",
                "check",
                "summary",
                "remedy",
                "exit_code"
            ])
        );
        assert_eq!(verdict["status"], "healthy");
        assert!(verdict["stage"].is_null());
        assert!(verdict["check"].is_null());
        assert!(verdict["remedy"].is_null());
        assert_eq!(verdict["exit_code"], 0);
        assert_eq!(
            verdict["summary"],
            "every link of the chain that was checked holds, with 1 warning: token.lifetime"
        );
    }

    #[test]
    fn token_has_header_claims_appctx_unique_id_and_no_times() {
        let value = json(&fixtures::healthy(), &RenderOptions::default());
        let token = &value["token"];
        assert_eq!(
            keys(token),
            sorted(vec!["header", "claims", "appctx", "unique_id"])
        );
        assert_eq!(token["header"]["alg"], "RS256");
        // appctx stays as found in the claims (a string here) and parsed beside them.
        assert!(token["claims"]["appctx"].is_string());
        assert_eq!(token["appctx"]["version"], "ExIdTok.V1");
        assert_eq!(token["claims"]["exp"], 1584123179);
        assert_eq!(
            token["unique_id"],
            format!("{}{}", fixtures::AMURL, fixtures::MSEXCHUID)
        );
        let mut no_id = fixtures::healthy();
        if let Some(token) = no_id.token.as_mut() {
            token.unique_id = None;
        }
        assert!(json(&no_id, &RenderOptions::default())["token"]["unique_id"].is_null());
    }

    #[test]
    fn notes_are_listed() {
        let mut report = fixtures::broken_at_tls();
        report
            .notes
            .push("extra trust anchors from --ca-file were used".into());
        let value = json(&report, &RenderOptions::default());
        assert_eq!(
            value["notes"],
            json!(["extra trust anchors from --ca-file were used"])
        );
    }

    #[test]
    fn json_line_is_one_line_holding_the_same_object() {
        let report = fixtures::hostile();
        let line = json_line(&report, &RenderOptions::default());
        assert!(!line.contains('\n'));
        let parsed: Value = serde_json::from_str(&line).expect("valid JSON");
        assert_eq!(parsed, json(&report, &RenderOptions::default()));
        // Hostile text survives intact, escaped by JSON itself.
        let fail = parsed["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .find(|c| c["id"] == "http.access")
            .expect("http.access");
        assert_eq!(fail["summary"], format!("fail: {}", fixtures::HOSTILE));
    }
}
