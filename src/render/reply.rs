//! `--format reply`: the message a support engineer sends the customer. Plain
//! ASCII, at most 25 lines, prose wrapped at [`WIDTH`] columns, a
//! command or URL whole on a line of its own: what was checked and when, what
//! is broken in plain words, who must do what, the commands, and the
//! `idtoken-doctor probe` line that checks the fix. User identifiers are
//! always hidden, as under `--redact`, whatever the flags say.

use super::ascii::{fold, Escape};
use super::redact::redact;
use super::wrap::{wrap, LongWords};
use crate::clock;
use crate::report::{CheckId, Report, Stage, Verdict};
use crate::text::escape_controls;

/// The columns prose is wrapped at (a mail client's line).
pub const WIDTH: usize = 72;

/// The warnings a healthy reply tells, most telling first (chain order): the
/// message stays within its 25 lines.
const MAX_WARNINGS: usize = 1;

/// What a broken link means, for someone who does not know the chain. A stage
/// not listed here is described by its check's summary.
const PLAIN: &[(Stage, &str)] = &[
    (
        Stage::Mailbox,
        "The mailbox's address does not lead to what SSI needs: Autodiscover or Microsoft Entra ID does not give a usable answer for it.",
    ),
    (
        Stage::Token,
        "The identity token the add-in sent cannot be used: it is not the Exchange user identity token SSI validates, or it is damaged.",
    ),
    (
        Stage::Dns,
        "The host name in the add-in's identity token cannot be reached from the internet: it is an internal name, unknown to public DNS, or it resolves to private addresses only.",
    ),
    (
        Stage::Tcp,
        "A connection to the Exchange server's HTTPS port cannot be opened from the internet.",
    ),
    (
        Stage::Tls,
        "The secure (HTTPS) connection to the Exchange server cannot be set up or is not trusted.",
    ),
    (
        Stage::Http,
        "The metadata URL does not hand its document to an anonymous request from the internet.",
    ),
    (
        Stage::Metadata,
        "The metadata URL does not serve a usable Exchange authentication metadata document.",
    ),
    (
        Stage::Key,
        "The identity token cannot be verified with the signing certificate your Exchange server publishes.",
    ),
    (
        Stage::Ews,
        "Exchange Web Services (EWS), which SSI calls after validating the token, do not answer from the internet.",
    ),
];

/// The customer message for `report` (a copy of it is redacted first).
pub fn reply(report: &Report) -> String {
    let mut report = report.clone();
    redact(&mut report);
    let mut lines: Vec<String> = Vec::new();
    let when = clock::utc(report.evaluated_at);
    match &report.target {
        Some(target) => {
            prose(
                &mut lines,
                &format!(
                    "On {when} we checked, the way SAP C4C Server-Side Integration (SSI) does from the internet:"
                ),
            );
            lines.push(escape_controls(&target.amurl));
        }
        None => prose(
            &mut lines,
            &format!("On {when} we checked the identity token your add-in sent to SAP C4C Server-Side Integration (SSI)."),
        ),
    }
    lines.push(String::new());
    let verdict = report.verdict();
    match &verdict {
        Verdict::Healthy => {
            prose(
                &mut lines,
                if on_the_naa_chain(&report) {
                    "All links hold: SSI can fetch Microsoft Entra ID's discovery document and keys for your tenant."
                } else {
                    "All links hold: SSI can fetch the metadata and validate the identity token."
                },
            );
            let warnings: Vec<&crate::report::Check> = report
                .checks()
                .into_iter()
                .filter(|c| c.status == crate::report::Status::Warn)
                .collect();
            if warnings.is_empty() {
                prose(&mut lines, "Nothing needs to change on your side.");
            }
            // A warning can matter more than the links that hold (a mailbox
            // in Exchange Online, an auth certificate about to expire).
            for warning in warnings.iter().take(MAX_WARNINGS) {
                lines.push(String::new());
                prose(&mut lines, &format!("Note: {}", escape_controls(&warning.summary)));
                if let Some(remedy) = warning.remedy {
                    prose(&mut lines, &format!("What to do: {}", remedy.text()));
                }
            }
        }
        Verdict::Inconclusive { .. } => prose(
            &mut lines,
            "We could not complete the check from our side, for a reason on our network, not yours. We will repeat it and come back to you; nothing needs to change on your side yet.",
        ),
        Verdict::Broken {
            check,
            summary,
            remedy,
        } => {
            let plain = PLAIN
                .iter()
                .find(|(stage, _)| *stage == check.stage())
                .map(|(_, text)| (*text).to_string())
                .unwrap_or_else(|| escape_controls(summary));
            prose(&mut lines, &plain);
            lines.push(String::new());
            prose(&mut lines, &format!("What to do: {remedy}"));
            let commands = report
                .get(*check)
                .map(|c| c.commands.as_slice())
                .unwrap_or_default();
            if !commands.is_empty() {
                lines.push(String::new());
                prose(&mut lines, "Commands, read-only ones first:");
                for command in commands {
                    let shell = command.shell.label();
                    let changes = if command.changes {
                        ", changes configuration"
                    } else {
                        ""
                    };
                    lines.push(format!(
                        "{}  # {shell}{changes}",
                        escape_controls(&command.run)
                    ));
                }
            }
        }
    }
    if !matches!(verdict, Verdict::Healthy) {
        lines.push(String::new());
        check_the_fix(&mut lines, &report);
    }
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    fold(&text, Escape::Text)
}

/// Whether `report` walked the chain of nested app authentication: an Entra
/// token, or a mailbox in Exchange Online.
fn on_the_naa_chain(report: &Report) -> bool {
    let detail = |id: CheckId, key: &str, value: &str| {
        report
            .get(id)
            .and_then(|c| c.details.get(key))
            .is_some_and(|v| v == value)
    };
    detail(CheckId::TokenKind, "kind", "entra")
        || detail(CheckId::MailboxLocation, "location", "exchange-online")
}

/// `text` wrapped at [`WIDTH`] columns, a word longer than a line on its own.
fn prose(lines: &mut Vec<String>, text: &str) {
    lines.extend(wrap(text, Some(WIDTH), 0, 0, LongWords::Overflow));
}

/// How to check the fix: `probe` of the metadata URL, or of a fresh token
/// when the token itself is what is broken (or names no metadata URL).
fn check_the_fix(lines: &mut Vec<String>, report: &Report) {
    let token_broken = report.broken_at_or_before(Stage::Token);
    match &report.target {
        Some(target) if !token_broken => {
            prose(lines, "To check the fix, run (or ask us to run):");
            lines.push(format!(
                "idtoken-doctor probe {}",
                escape_controls(&target.amurl)
            ));
        }
        _ => {
            prose(
                lines,
                "To check the fix, save a new token from the add-in as token.txt and run (or send it to us):",
            );
            lines.push("idtoken-doctor probe @token.txt".to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::fixtures;

    /// The most lines one message may have.
    const MAX_LINES: usize = 25;

    fn assert_shape(text: &str) {
        assert!(text.is_ascii(), "{text}");
        assert!(text.lines().count() <= MAX_LINES, "{text}");
    }

    #[test]
    fn a_broken_chain_says_what_who_and_how_to_check_the_fix() {
        let report = fixtures::broken_at_tls();
        let text = reply(&report);
        assert_shape(&text);
        assert!(text.contains("https://mail.contoso.com/autodiscover/metadata/json/1\n"));
        assert!(text.contains("HTTPS"));
        assert!(!text.contains("tls.trust"), "no check ids: {text}");
        assert!(text.contains(
            "\nidtoken-doctor probe https://mail.contoso.com/autodiscover/metadata/json/1\n"
        ));
        // Prose at 72 columns; a command (it ends in a comment naming its
        // shell) or the probe line stands whole, however long.
        for line in text.lines() {
            let command = line.contains("  # ") || line.starts_with("idtoken-doctor ");
            assert!(line.len() <= WIDTH || command, "{line}");
        }
        assert!(text.contains("\nopenssl s_client -connect mail.contoso.com:443 "));
    }

    #[test]
    fn a_healthy_chain_gets_a_short_reply_that_names_its_first_warning() {
        // The fixture's token is old: its lifetime is a warning, told.
        let text = reply(&fixtures::healthy());
        assert_shape(&text);
        assert!(text.contains("All links hold"));
        assert!(text.contains("\nNote: "), "{text}");
        assert!(!text.contains("Nothing needs to change"), "{text}");

        let mut clean = fixtures::healthy();
        for check in clean.checks_mut() {
            if check.status == crate::report::Status::Warn {
                check.status = crate::report::Status::Pass;
                check.remedy = None;
            }
        }
        let text = reply(&clean);
        assert_shape(&text);
        assert!(text.contains("Nothing needs to change"), "{text}");
        assert!(text.lines().count() <= 8, "{text}");
    }
}
