//! `explain`'s findings as text: human, JSON and Markdown say the same.
//! Quoted text came from the ticket, so every format escapes it by the one
//! rule in [`crate::text`].

use serde::Serialize;

use super::Finding;
use crate::render::{code_span, markdown_inline as md, wrap, LongWords};
use crate::text::{escape_controls, escape_json_text};

/// The JSON document's `schema`.
pub const SCHEMA: &str = "idtoken-doctor/explain/v1";

/// The formats `explain` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExplainFormat {
    /// Words for a terminal.
    Human,
    /// `{"schema", "findings"}`.
    Json,
    /// For pasting into a ticket.
    Markdown,
}

/// What explain knows, for the message when nothing was recognised.
const KNOWN: &str = "SSI's add-in messages, Microsoft's sign-in pop-up codes ([7q6ck]), AADSTS codes, Office.js errors 9017/9018, Outlook versions and builds, tokens, amurls and e-mail addresses";

/// The human format, wrapped to `width` columns (`None`: not wrapped); a
/// word longer than a line (a URL, a command) stands whole on its own.
pub fn human(findings: &[Finding], characters: usize, width: Option<usize>) -> String {
    let mut out = String::new();
    let mut put = |first: &str, text: &str, indent: usize| {
        let lines = wrap(
            text,
            width,
            first.chars().count(),
            indent,
            LongWords::Overflow,
        );
        for (i, line) in lines.iter().enumerate() {
            let lead = if i == 0 {
                first.to_string()
            } else {
                " ".repeat(indent)
            };
            out.push_str(&format!("{lead}{line}\n"));
        }
    };
    if findings.is_empty() {
        put(
            "",
            &format!(
                "Nothing recognised in the text ({characters} characters). explain knows {KNOWN}."
            ),
            0,
        );
        return out;
    }
    put(
        "",
        &format!("Recognised {} in the text:", count(findings.len())),
        0,
    );
    for (i, f) in findings.iter().enumerate() {
        put("", "", 0);
        let number = format!("{}. ", i + 1);
        let title = format!(
            "{} ({}, chain: {})",
            escape_controls(&f.text),
            f.kind_words(),
            f.chain
        );
        put(&number, &title, number.len());
        for (label, value) in [
            ("Meaning", &f.meaning),
            ("Remedy", &f.remedy),
            ("Next", &f.next),
            ("Source", &f.source),
        ] {
            put(&format!("   {label:<8} "), &escape_controls(value), 12);
        }
    }
    out
}

fn count(n: usize) -> String {
    if n == 1 {
        "1 thing".to_string()
    } else {
        format!("{n} things")
    }
}

/// The JSON document, pretty-printed.
pub fn json(findings: &[Finding]) -> String {
    /// The document, its fields in the contract's order.
    #[derive(Serialize)]
    struct Document<'a> {
        schema: &'static str,
        findings: &'a [Finding],
    }
    let document = Document {
        schema: SCHEMA,
        findings,
    };
    let text = serde_json::to_string_pretty(&document).unwrap_or_default();
    escape_json_text(text) + "\n"
}

/// Markdown: a heading and one section per finding.
pub fn markdown(findings: &[Finding], characters: usize) -> String {
    if findings.is_empty() {
        return format!(
            "## idtoken-doctor explain\n\nNothing recognised in the text ({characters} characters).\n"
        );
    }
    let mut out = format!(
        "## idtoken-doctor explain\n\nRecognised {}.\n",
        count(findings.len())
    );
    for f in findings {
        out.push_str(&format!(
            "\n### {}\n\n- **Kind:** {} (`{}`), code {}\n- **Chain:** {}\n- **Meaning:** {}\n- **Remedy:** {}\n- **Next:** {}\n- **Source:** {}\n",
            md(&f.text),
            f.kind_words(),
            f.kind,
            code_span(&f.code, false),
            f.chain,
            md(&f.meaning),
            md(&f.remedy),
            md(&f.next),
            md(&f.source)
        ));
    }
    out
}
