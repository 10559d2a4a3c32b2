//! `--redact`: hides user identifiers in a report before it is rendered, so every
//! format inherits it.
//!
//! What is hidden, wherever it appears (claims, `appctx` as object or as JSON
//! string, the unique id, check summaries and details at any depth, notes, the
//! target, even object keys):
//!
//! - the user part of `msexchuid` (the GUID before any `@realm`), in any case;
//! - the unique id (amurl followed by `msexchuid`), as a whole;
//! - e-mail-like values, `local@domain.tld`.
//!
//! What is kept, because it identifies an organisation or an application and
//! not a person, and a reader needs it to follow the diagnosis:
//!
//! - the realm after `@` in `msexchuid`, `iss` and `appctxsender` (the tenant:
//!   `token.issuer` compares them);
//! - `iss` and `appctxsender` themselves: their part before `@` is a Microsoft
//!   first-party application id (`00000002-0000-0ff1-ce00-000000000000` is
//!   Exchange; all such ids end in `-0000-0ff1-ce00-000000000000`), so
//!   `00000002-0000-0ff1-ce00-000000000000@contoso.com` is not an e-mail address;
//! - the amurl, host names, addresses and certificates (they name servers).
//!
//! Each hidden value becomes a pseudonym such as `[redacted-email:3f9a1c2e]`:
//! the first 32 bits of a SHA-256 of the kind and the lower-cased value. Equal
//! values give equal pseudonyms in every report, so two reports can still be
//! compared; the value cannot be read back, though someone who already knows
//! an identifier can confirm it, which is the price of comparability.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::report::Report;

/// The note a redacted report carries, so that a reader knows why values are missing.
pub const REDACTED_NOTE: &str = "user identifiers are redacted (--redact): msexchuid, unique id and e-mail addresses are shown as pseudonyms; equal pseudonyms stand for equal values";

/// Identifiers shorter than this are replaced only where they are a
/// `msexchuid` field, not inside other text, where they would match by chance.
const MIN_SEARCHABLE_LEN: usize = 6;

/// Hides the user identifiers of `report` in place (see the module notes for
/// what is hidden and what is kept). Redacting twice changes nothing more.
pub fn redact(report: &mut Report) {
    let mut redactor = Redactor::default();
    if let Some(token) = &report.token {
        for object in [&token.claims, &token.appctx, &token.header] {
            redactor.collect_user_ids(&Value::Object(object.clone()));
        }
        if let Some(Value::String(appctx)) = token.claims.get("appctx") {
            if let Ok(parsed) = serde_json::from_str::<Value>(appctx) {
                redactor.collect_user_ids(&parsed);
            }
        }
        if let Some(unique_id) = &token.unique_id {
            if !is_pseudonym(unique_id) && !unique_id.is_empty() {
                redactor.unique_ids.push(unique_id.clone());
            }
        }
    }
    for check in report.checks() {
        redactor.collect_user_ids(&Value::Object(check.details.clone()));
    }
    // Longest first, so that an id containing another is replaced whole.
    redactor
        .user_ids
        .sort_by_key(|id| std::cmp::Reverse(id.len()));
    redactor.user_ids.dedup();

    if let Some(token) = report.token.as_mut() {
        token.header = redactor.object(&token.header);
        token.claims = redactor.object(&token.claims);
        if let Some(Value::String(appctx)) = token.claims.get("appctx").cloned() {
            token.claims.insert(
                "appctx".into(),
                Value::String(redactor.appctx_string(&appctx)),
            );
        }
        token.appctx = redactor.object(&token.appctx);
        token.unique_id = token.unique_id.as_deref().map(|id| {
            if is_pseudonym(id) {
                id.to_string()
            } else {
                pseudonym("unique-id", id)
            }
        });
    }
    if let Some(target) = report.target.as_mut() {
        target.amurl = redactor.text(&target.amurl);
        target.host = redactor.text(&target.host);
    }
    for note in report.notes.iter_mut() {
        *note = redactor.text(note);
    }
    for check in report.checks_mut() {
        check.summary = redactor.text(&check.summary);
        check.details = redactor.object(&check.details);
    }
    if !report.notes.iter().any(|n| n == REDACTED_NOTE) {
        report.notes.push(REDACTED_NOTE.to_string());
    }
}

/// The identifiers found in a report, and how to hide them in any value.
#[derive(Debug, Default)]
struct Redactor {
    /// The user parts of every `msexchuid` found.
    user_ids: Vec<String>,
    /// The unique ids found.
    unique_ids: Vec<String>,
}

impl Redactor {
    /// Finds every `msexchuid` field (any case of the key, at any depth) in `value`.
    fn collect_user_ids(&mut self, value: &Value) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    if key.eq_ignore_ascii_case("msexchuid") {
                        if let Value::String(id) = child {
                            let user = user_part(id);
                            if !user.is_empty() && !is_pseudonym(user) {
                                self.user_ids.push(user.to_string());
                            }
                        }
                    }
                    self.collect_user_ids(child);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| self.collect_user_ids(v)),
            _ => {}
        }
    }

    /// `text` with every identifier replaced by its pseudonym.
    fn text(&self, text: &str) -> String {
        let mut out = text.to_string();
        for id in &self.unique_ids {
            out = replace_ignoring_ascii_case(&out, id, &pseudonym("unique-id", id));
        }
        for id in self
            .user_ids
            .iter()
            .filter(|id| id.len() >= MIN_SEARCHABLE_LEN)
        {
            out = replace_ignoring_ascii_case(&out, id, &pseudonym("msexchuid", id));
        }
        redact_emails(&out)
    }

    /// A JSON value with every string and key redacted, and every `msexchuid`
    /// field's user part replaced even when it is too short to search for.
    fn value(&self, value: &Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.text(s)),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.value(v)).collect()),
            Value::Object(map) => Value::Object(self.object(map)),
            other => other.clone(),
        }
    }

    fn object(&self, map: &Map<String, Value>) -> Map<String, Value> {
        map.iter()
            .map(|(key, child)| {
                let child = match child {
                    Value::String(id) if key.eq_ignore_ascii_case("msexchuid") => {
                        Value::String(self.msexchuid(id))
                    }
                    other => self.value(other),
                };
                (self.text(key), child)
            })
            .collect()
    }

    /// A `msexchuid` value with its user part hidden and its realm kept.
    fn msexchuid(&self, id: &str) -> String {
        let user = user_part(id);
        if user.is_empty() || is_pseudonym(user) {
            return self.text(id);
        }
        let realm = &id[user.len()..];
        format!("{}{}", pseudonym("msexchuid", user), self.text(realm))
    }

    /// The `appctx` claim when it is a JSON string. Searching the text finds
    /// real (GUID) ids; an id too short to search for is reached by parsing the
    /// string and writing it back, which loses only its original spacing.
    fn appctx_string(&self, appctx: &str) -> String {
        let searched = self.text(appctx);
        let short_id_left = self
            .user_ids
            .iter()
            .any(|id| id.len() < MIN_SEARCHABLE_LEN && searched.contains(id.as_str()));
        if !short_id_left {
            return searched;
        }
        match serde_json::from_str::<Value>(appctx) {
            Ok(parsed) => self.value(&parsed).to_string(),
            Err(_) => searched,
        }
    }
}

/// The part of a `msexchuid` before `@realm` (all of it when there is no realm).
fn user_part(id: &str) -> &str {
    id.split('@').next().unwrap_or_default().trim()
}

fn is_pseudonym(text: &str) -> bool {
    text.starts_with("[redacted")
}

/// A stable pseudonym for `value` of `kind`: `[redacted-KIND:8 hex digits]`.
fn pseudonym(kind: &str, value: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"idtoken-doctor/redact/v1\0");
    hasher.update(kind.as_bytes());
    hasher.update(b"\0");
    hasher.update(value.trim().to_lowercase().as_bytes());
    let digest = hasher.finalize();
    let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    format!("[redacted-{kind}:{hex}]")
}

/// `haystack` with every occurrence of `needle`, in any ASCII case, replaced.
fn replace_ignoring_ascii_case(haystack: &str, needle: &str, replacement: &str) -> String {
    if needle.is_empty() {
        return haystack.to_string();
    }
    // ASCII lower-casing keeps every byte offset, so positions found in the
    // lower-cased copy are valid (and on char boundaries) in the original.
    let lower_haystack = haystack.to_ascii_lowercase();
    let lower_needle = needle.to_ascii_lowercase();
    let mut out = String::with_capacity(haystack.len());
    let mut copied = 0;
    for (start, _) in lower_haystack.match_indices(&lower_needle) {
        if start < copied {
            continue;
        }
        out.push_str(&haystack[copied..start]);
        out.push_str(replacement);
        copied = start + needle.len();
    }
    out.push_str(&haystack[copied..]);
    out
}

fn is_local_part_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-')
}

fn is_domain_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-')
}

/// A domain of at least two non-empty labels whose last label (the TLD) is
/// two or more letters.
fn looks_like_mail_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty())
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|b| b.is_ascii_alphabetic()))
}

/// A Microsoft first-party application id (`xxxxxxxx-0000-0ff1-ce00-000000000000`),
/// the part before `@` in `iss` and `appctxsender`: an application, not a person.
fn is_first_party_app_id(local: &str) -> bool {
    let lower = local.to_ascii_lowercase();
    match lower.split_once('-') {
        Some((head, rest)) => {
            head.len() == 8
                && head.bytes().all(|b| b.is_ascii_hexdigit())
                && rest == "0000-0ff1-ce00-000000000000"
        }
        None => false,
    }
}

/// `text` with every e-mail-like `local@domain.tld` replaced by its pseudonym.
fn redact_emails(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut search_from = 0;
    while let Some(offset) = text[search_from..].find('@') {
        let at = search_from + offset;
        // Every boundary below sits next to an ASCII byte, so slicing is safe.
        let mut start = at;
        while start > copied && is_local_part_byte(bytes[start - 1]) {
            start -= 1;
        }
        while start < at && bytes[start] == b'.' {
            start += 1;
        }
        let mut end = at + 1;
        while end < bytes.len() && is_domain_byte(bytes[end]) {
            end += 1;
        }
        while end > at + 1 && matches!(bytes[end - 1], b'.' | b'-') {
            end -= 1;
        }
        let local = &text[start..at];
        let domain = &text[at + 1..end];
        if !local.is_empty() && looks_like_mail_domain(domain) && !is_first_party_app_id(local) {
            out.push_str(&text[copied..start]);
            out.push_str(&pseudonym("email", &text[start..end]));
            copied = end;
            search_from = end;
        } else {
            search_from = at + 1;
        }
    }
    out.push_str(&text[copied..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Format;
    use crate::render::{fixtures, render_reports, RenderOptions};

    fn redacted() -> Report {
        let mut report = fixtures::with_user_identifiers();
        redact(&mut report);
        report
    }

    /// Every rendering of `report`, in all four formats, pretty and compact JSON.
    fn all_formats(report: &Report) -> Vec<(&'static str, String)> {
        let opts = RenderOptions::default();
        let reports = std::slice::from_ref(report);
        vec![
            (
                "human",
                render_reports(reports, Format::Human, false, &opts),
            ),
            ("json", render_reports(reports, Format::Json, false, &opts)),
            (
                "json-line",
                render_reports(reports, Format::Json, true, &opts),
            ),
            (
                "markdown",
                render_reports(reports, Format::Markdown, false, &opts),
            ),
            (
                "junit",
                render_reports(reports, Format::Junit, false, &opts),
            ),
        ]
    }

    #[test]
    fn unredacted_fixture_does_carry_the_identifiers() {
        // Guards the test below: it must have something to find.
        for (format, text) in all_formats(&fixtures::with_user_identifiers()) {
            let lower = text.to_lowercase();
            assert!(lower.contains(fixtures::MSEXCHUID), "{format}");
            assert!(lower.contains(&fixtures::EMAIL.to_lowercase()), "{format}");
        }
    }

    #[test]
    fn no_user_identifier_survives_in_any_format() {
        let report = redacted();
        let unique_id = format!("{}{}", fixtures::AMURL, fixtures::MSEXCHUID);
        for (format, text) in all_formats(&report) {
            let lower = text.to_lowercase();
            assert!(
                !lower.contains(fixtures::MSEXCHUID),
                "{format} leaks msexchuid"
            );
            // Not even the GUID's first group, in any case.
            assert!(
                !lower.contains("430a2c5c"),
                "{format} leaks part of msexchuid"
            );
            assert!(!lower.contains("jane.doe"), "{format} leaks the e-mail");
            assert!(
                !lower.contains("contoso-mail"),
                "{format} leaks the e-mail domain"
            );
            assert!(
                !lower.contains(&unique_id.to_lowercase()),
                "{format} leaks the unique id"
            );
            assert!(text.contains("[redacted-msexchuid:"), "{format}");
            assert!(text.contains("[redacted-email:"), "{format}");
            assert!(text.contains("[redacted-unique-id:"), "{format}");
        }
    }

    #[test]
    fn realms_application_ids_and_servers_are_kept() {
        let report = redacted();
        let token = report.token.as_ref().expect("token");
        let iss = format!("00000002-0000-0ff1-ce00-000000000000@{}", fixtures::REALM);
        assert_eq!(token.claims["iss"], iss.as_str());
        assert_eq!(token.claims["appctxsender"], iss.as_str());
        assert_eq!(token.appctx["amurl"], fixtures::AMURL);
        let msexchuid = token.appctx["msexchuid"].as_str().expect("msexchuid");
        assert!(msexchuid.starts_with("[redacted-msexchuid:"));
        assert!(msexchuid.ends_with(&format!("]@{}", fixtures::REALM)));
        // appctx as a JSON string is still valid JSON, with the same pseudonym.
        let appctx: Value =
            serde_json::from_str(token.claims["appctx"].as_str().expect("string")).expect("JSON");
        assert_eq!(appctx["msexchuid"], msexchuid);
        assert_eq!(
            report.target.as_ref().map(|t| t.host.as_str()),
            Some("mail.deepnetsecurity.com")
        );
        assert!(report.notes.iter().any(|n| n == REDACTED_NOTE));
    }

    #[test]
    fn pseudonyms_are_stable_across_reports_and_distinct_per_value() {
        let a = redacted();
        let b = redacted();
        let opts = RenderOptions::default();
        assert_eq!(
            crate::render::json(&a, &opts),
            crate::render::json(&b, &opts)
        );
        let upper_in_details = a
            .get(crate::report::CheckId::TokenIssuer)
            .and_then(|c| c.details.get("upper"))
            .and_then(Value::as_str)
            .expect("upper");
        let in_appctx = a.token.as_ref().expect("token").appctx["msexchuid"]
            .as_str()
            .expect("msexchuid");
        // The upper-cased GUID gets the same pseudonym as the lower-cased one.
        assert!(in_appctx.starts_with(upper_in_details));
        assert_ne!(pseudonym("email", "a@b.com"), pseudonym("email", "c@b.com"));
        assert_eq!(pseudonym("email", "A@B.com"), pseudonym("email", "a@b.com"));
    }

    #[test]
    fn redacting_twice_changes_nothing_more() {
        let once = redacted();
        let mut twice = once.clone();
        redact(&mut twice);
        let opts = RenderOptions::default();
        assert_eq!(
            crate::render::json(&once, &opts),
            crate::render::json(&twice, &opts)
        );
    }

    #[test]
    fn short_msexchuid_is_hidden_in_fields_without_touching_other_text() {
        let mut report = fixtures::healthy();
        report.token = Some(fixtures::token_facts("42"));
        report.push(crate::report::Check::pass(
            crate::report::CheckId::DnsName,
            "port 8442 is fine",
        ));
        redact(&mut report);
        let token = report.token.as_ref().expect("token");
        assert!(token.appctx["msexchuid"]
            .as_str()
            .expect("string")
            .starts_with("[redacted-msexchuid:"));
        let appctx: Value =
            serde_json::from_str(token.claims["appctx"].as_str().expect("string")).expect("JSON");
        assert!(appctx["msexchuid"]
            .as_str()
            .expect("string")
            .starts_with("[redacted-msexchuid:"));
        assert_eq!(
            report
                .get(crate::report::CheckId::DnsName)
                .map(|c| c.summary.as_str()),
            Some("port 8442 is fine")
        );
    }

    #[test]
    fn email_detection() {
        let hidden = |t: &str| redact_emails(t) != t;
        assert!(hidden("mail jane@contoso.com now"));
        assert!(hidden("<john.smith+tag@sub.example.co.uk>"));
        assert!(hidden("mailto:a_b@x-y.org."));
        assert!(!hidden("00000002-0000-0ff1-ce00-000000000000@contoso.com"));
        assert!(!hidden("00000003-0000-0ff1-CE00-000000000000@contoso.com"));
        assert!(!hidden(
            "00000002-0000-0ff1-ce00-000000000000@2987e69a-0a16-4e8e-93e4-fa7d981911df"
        ));
        assert!(!hidden("user@localhost"));
        assert!(!hidden("@contoso.com"));
        assert!(!hidden("a@b.c1"));
        assert_eq!(
            redact_emails("to: jane@contoso.com, bob@contoso.com."),
            format!(
                "to: {}, {}.",
                pseudonym("email", "jane@contoso.com"),
                pseudonym("email", "bob@contoso.com")
            )
        );
        // Text around multi-byte characters is cut on character boundaries.
        assert_eq!(
            redact_emails("ä jane@contoso.com ü"),
            format!("ä {} ü", pseudonym("email", "jane@contoso.com"))
        );
    }

    #[test]
    fn case_insensitive_replacement() {
        assert_eq!(replace_ignoring_ascii_case("xAbCyabc", "abc", "#"), "x#y#");
        assert_eq!(replace_ignoring_ascii_case("ääABC", "abc", "#"), "ää#");
        assert_eq!(replace_ignoring_ascii_case("aaaa", "aa", "#"), "##");
    }
}
