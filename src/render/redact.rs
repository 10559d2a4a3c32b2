//! `--redact`: hides user identifiers in a report before it is rendered, so every
//! format inherits it.
//!
//! What is hidden, wherever it appears (claims, `appctx` as object or as JSON
//! string, the unique id, check summaries and details at any depth, notes, the
//! target, even object keys):
//!
//! - the user part of `msexchuid` (the GUID before any `@realm`, or a number),
//!   in any case, raw or as JSON escapes write it inside the `appctx` string;
//! - the unique id (amurl followed by `msexchuid`), as a whole;
//! - the values of the claims of an Entra ID token that name a person
//!   ([`PERSON_CLAIMS`]: `name`, `upn`, `oid`, `ipaddr` and the like), in the
//!   claims and wherever else their text appears;
//! - e-mail-like values, `local@domain.tld`: in any script (`jörg@bücher.de`),
//!   with an IDNA TLD (`xn--p1ai`), an address literal (`alice@[203.0.113.5]`),
//!   a quoted local part (`"john doe"@contoso.com`), or the at-sign
//!   percent-encoded (`alice%40contoso.com`).
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

use aho_corasick::{AhoCorasick, MatchKind};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::report::Report;

/// The note a redacted report carries, so that a reader knows why values are missing.
pub const REDACTED_NOTE: &str = "user identifiers are redacted (--redact): msexchuid, unique id, e-mail addresses and the claims that name a person are shown as pseudonyms; equal pseudonyms stand for equal values";

/// The claims of a Microsoft Entra ID token that name a person or their
/// device's address (the contract's `--redact`; their meanings:
/// https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference
/// and id-token-claims-reference).
pub const PERSON_CLAIMS: &[&str] = &[
    "name",
    "given_name",
    "family_name",
    "upn",
    "unique_name",
    "preferred_username",
    "email",
    "ipaddr",
    "oid",
    "sub",
];

/// Identifiers shorter than this are replaced only where they are a
/// `msexchuid` field, not inside other text, where they would match by chance.
const MIN_SEARCHABLE_LEN: usize = 6;

/// What stands in for text when the identifiers cannot be searched for at
/// all (an automaton too large to build): hiding everything is the safe side.
const ALL_HIDDEN: &str = "[redacted]";

/// Hides the user identifiers of `report` in place (see the module notes for
/// what is hidden and what is kept). Redacting twice changes nothing more.
///
/// Linear in the size of the report: the identifiers are collected first,
/// then every string is searched once for all of them together (an
/// Aho-Corasick automaton), whatever their number.
pub fn redact(report: &mut Report) {
    let mut ids = Collected::default();
    if let Some(token) = &report.token {
        for object in [&token.claims, &token.appctx, &token.header] {
            ids.collect_in_object(object);
        }
        if let Some(Value::String(appctx)) = token.claims.get("appctx") {
            if let Ok(parsed) = serde_json::from_str::<Value>(appctx) {
                ids.collect(&parsed);
            }
        }
        if let Some(unique_id) = &token.unique_id {
            if !is_pseudonym(unique_id) && !unique_id.is_empty() {
                ids.unique_ids.push(unique_id.clone());
            }
        }
        for (claim, value) in person_claims(&token.claims) {
            if !is_pseudonym(&value) {
                ids.person.push((claim, value));
            }
        }
    }
    for check in report.checks() {
        ids.collect_in_object(&check.details);
    }
    let redactor = Redactor::new(ids);

    if let Some(token) = report.token.as_mut() {
        token.header = redactor.object(&token.header);
        // The `appctx` string is redacted from the original: text replacement
        // alone may leave it no JSON (a numeric msexchuid).
        let appctx_claim = match token.claims.get("appctx") {
            Some(Value::String(appctx)) => Some(appctx.clone()),
            _ => None,
        };
        let people = person_claims(&token.claims);
        token.claims = redactor.object(&token.claims);
        // Each person claim by its key, however short its value (a short
        // one is not searched for in other text).
        for (claim, value) in people {
            if !is_pseudonym(&value) {
                token
                    .claims
                    .insert(claim.clone(), Value::String(pseudonym(&claim, &value)));
            }
        }
        if let Some(appctx) = appctx_claim {
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

/// The identifiers found in a report.
#[derive(Debug, Default)]
struct Collected {
    /// The user parts of every `msexchuid` found (strings, and numbers as written).
    user_ids: Vec<String>,
    /// The unique ids found.
    unique_ids: Vec<String>,
    /// The person claims of an Entra token found: (claim, value).
    person: Vec<(String, String)>,
}

impl Collected {
    fn collect_in_object(&mut self, map: &Map<String, Value>) {
        for (key, child) in map {
            self.collect_field(key, child);
        }
    }

    /// Finds every `msexchuid` field (any case of the key, at any depth) in `value`.
    fn collect(&mut self, value: &Value) {
        match value {
            Value::Object(map) => self.collect_in_object(map),
            Value::Array(items) => items.iter().for_each(|v| self.collect(v)),
            _ => {}
        }
    }

    fn collect_field(&mut self, key: &str, child: &Value) {
        if key.eq_ignore_ascii_case("msexchuid") {
            let id = match child {
                Value::String(id) => Some(id.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            };
            if let Some(id) = id {
                let user = user_part(&id);
                if !user.is_empty() && !is_pseudonym(user) {
                    self.user_ids.push(user.to_string());
                }
            }
        }
        self.collect(child);
    }
}

/// How to hide the identifiers found in any value: one automaton over all of
/// them, each pattern with its pseudonym.
struct Redactor {
    /// The user ids, for the fields too short to search for.
    short_ids: Vec<String>,
    /// The automaton over every searchable form of every id; `Err` when it
    /// could not be built (then all text is hidden).
    searcher: Result<Option<AhoCorasick>, ()>,
    /// The pseudonym of each pattern, by pattern index.
    replacements: Vec<String>,
}

impl Redactor {
    fn new(ids: Collected) -> Self {
        let mut patterns: Vec<String> = Vec::new();
        let mut replacements: Vec<String> = Vec::new();
        let mut add = |id: &str, kind: &str| {
            let replacement = pseudonym(kind, id);
            // An id with a control character or quote in it is written escaped
            // inside JSON text (the `appctx` claim as a string): search that form too.
            let escaped = Value::String(id.to_string()).to_string();
            let escaped = &escaped[1..escaped.len() - 1];
            if escaped != id {
                patterns.push(escaped.to_string());
                replacements.push(replacement.clone());
            }
            patterns.push(id.to_string());
            replacements.push(replacement);
        };
        for id in ids.unique_ids.iter().filter(|id| !id.is_empty()) {
            add(id, "unique-id");
        }
        for id in ids
            .user_ids
            .iter()
            .filter(|id| id.len() >= MIN_SEARCHABLE_LEN)
        {
            add(id, "msexchuid");
        }
        for (claim, value) in ids
            .person
            .iter()
            .filter(|(_, value)| value.len() >= MIN_SEARCHABLE_LEN)
        {
            add(value, claim);
        }
        let searcher = if patterns.is_empty() {
            Ok(None)
        } else {
            // Leftmost-longest: an id containing another is replaced whole.
            AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::LeftmostLongest)
                .build(&patterns)
                .map(Some)
                .map_err(|_| ())
        };
        Redactor {
            short_ids: ids.user_ids,
            searcher,
            replacements,
        }
    }

    /// `text` with every identifier replaced by its pseudonym.
    fn text(&self, text: &str) -> String {
        let searched = match &self.searcher {
            Ok(None) => text.to_string(),
            Ok(Some(searcher)) => match searcher.try_replace_all(text, &self.replacements) {
                Ok(replaced) => replaced,
                Err(_) => return ALL_HIDDEN.to_string(),
            },
            Err(()) => return ALL_HIDDEN.to_string(),
        };
        redact_emails(&searched)
    }

    /// Whether `text` holds a searchable identifier.
    fn holds_id(&self, text: &str) -> bool {
        match &self.searcher {
            Ok(None) => false,
            Ok(Some(searcher)) => searcher.is_match(text),
            Err(()) => true,
        }
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
                    Value::Number(id) if key.eq_ignore_ascii_case("msexchuid") => {
                        Value::String(self.msexchuid(&id.to_string()))
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
        // The realm is what follows the first `@`, found in `id` itself: the
        // user part was trimmed, so its length says nothing of where it ends.
        let realm = id.find('@').map_or("", |at| &id[at..]);
        format!("{}{}", pseudonym("msexchuid", user), self.text(realm))
    }

    /// The `appctx` claim when it is a JSON string. Searching the text finds
    /// real (GUID) ids, raw or JSON-escaped; an id too short to search for, or
    /// written with escapes the search does not know, is reached by parsing the
    /// string and writing it back, which loses only its original spacing.
    fn appctx_string(&self, appctx: &str) -> String {
        let searched = self.text(appctx);
        match serde_json::from_str::<Value>(&searched) {
            Ok(parsed) if self.still_holds_id(&parsed) => self.value(&parsed).to_string(),
            Ok(_) => searched,
            // A number replaced by a pseudonym is no JSON any more: redact the
            // parsed original instead.
            Err(_) => match serde_json::from_str::<Value>(appctx) {
                Ok(original) => self.value(&original).to_string(),
                Err(_) => searched,
            },
        }
    }

    /// Whether a parsed value still holds an identifier after its text was searched.
    fn still_holds_id(&self, value: &Value) -> bool {
        match value {
            Value::String(s) => {
                self.holds_id(s)
                    || self
                        .short_ids
                        .iter()
                        .any(|id| id.len() < MIN_SEARCHABLE_LEN && s.contains(id.as_str()))
            }
            Value::Array(items) => items.iter().any(|v| self.still_holds_id(v)),
            Value::Object(map) => map.iter().any(|(key, child)| {
                let hidden_field = key.eq_ignore_ascii_case("msexchuid")
                    && child.as_str().is_some_and(|id| is_pseudonym(user_part(id)));
                let bare_field = key.eq_ignore_ascii_case("msexchuid") && !hidden_field;
                bare_field || self.holds_id(key) || self.still_holds_id(child)
            }),
            _ => false,
        }
    }
}

/// The person claims among a token's top-level `claims`, with their values as
/// text (a number as written).
fn person_claims(claims: &Map<String, Value>) -> Vec<(String, String)> {
    PERSON_CLAIMS
        .iter()
        .filter_map(|claim| {
            let value = match claims.get(*claim)? {
                Value::String(s) if !s.is_empty() => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => return None,
            };
            Some((claim.to_string(), value))
        })
        .collect()
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

/// The longest local part looked for before an `@` (RFC 5321 allows 64
/// octets): it bounds the work per `@`, so that the scan stays linear.
const MAX_LOCAL_CHARS: usize = 128;
/// The longest domain looked for after an `@` (RFC 1035: 253 characters).
const MAX_DOMAIN_CHARS: usize = 255;

/// Characters of an unquoted local part: letters and digits of any script
/// (internationalised addresses, RFC 6531) and the punctuation addresses use.
/// `=`, `&`, `?`, `/` and `:` are left out, so that a URL's query or path
/// before an address stays readable.
fn is_local_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-' | '!' | '*' | '^' | '~')
}

/// Characters of a domain: letters and digits of any script (internationalised
/// domain names) and `.` and `-`.
fn is_domain_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '.' | '-')
}

/// A domain of at least two non-empty labels whose last label (the TLD) is
/// two or more letters of any script, or an IDNA `xn--` label (`xn--p1ai`).
fn looks_like_mail_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let tld_ok = |tld: &str| {
        let punycode = tld.len() > 4
            && tld.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("xn--"))
            && tld.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        punycode || (tld.chars().count() >= 2 && tld.chars().all(char::is_alphabetic))
    };
    labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty())
        && labels.last().is_some_and(|t| tld_ok(t))
}

/// A domain literal's content (`203.0.113.5`, `IPv6:2001:db8::1`), brackets excluded.
fn is_address_literal(content: &str) -> bool {
    let address = match content.get(..5) {
        Some(prefix) if prefix.eq_ignore_ascii_case("ipv6:") => &content[5..],
        _ => content,
    };
    address.parse::<std::net::IpAddr>().is_ok()
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

/// Where the local part before the at-sign at `at` starts (`None`: there is
/// none), not reaching back before `floor`. A quoted local part
/// (`"jane doe"@contoso.com`) is taken whole.
fn local_start(text: &str, at: usize, floor: usize) -> Option<usize> {
    let before = &text[floor..at];
    if let Some(inner) = before.strip_suffix('"') {
        let open = inner
            .char_indices()
            .rev()
            .take(MAX_LOCAL_CHARS)
            .find(|(_, c)| *c == '"' || *c == '\n')
            .filter(|(_, c)| *c == '"')?;
        return (open.0 + 1 < inner.len()).then_some(floor + open.0);
    }
    let mut start = at;
    for (i, c) in before.char_indices().rev().take(MAX_LOCAL_CHARS) {
        if !is_local_char(c) {
            break;
        }
        start = floor + i;
    }
    // A sentence's full stop or a path's dot before the address is not part of it.
    while text[start..at].starts_with('.') {
        start += 1;
    }
    (start < at).then_some(start)
}

/// Where the domain after an at-sign ending at `after` ends, when it is a mail
/// domain or an address literal.
fn domain_end(text: &str, after: usize) -> Option<usize> {
    let rest = &text[after..];
    if rest.starts_with('[') {
        let close = rest
            .char_indices()
            .take(MAX_DOMAIN_CHARS)
            .find(|(_, c)| *c == ']')?
            .0;
        return is_address_literal(&rest[1..close]).then_some(after + close + 1);
    }
    let mut end = 0;
    for (i, c) in rest.char_indices().take(MAX_DOMAIN_CHARS) {
        if !is_domain_char(c) {
            break;
        }
        end = i + c.len_utf8();
    }
    let domain = rest[..end].trim_end_matches(['.', '-']);
    looks_like_mail_domain(domain).then_some(after + domain.len())
}

/// `text` with every e-mail-like address replaced by its pseudonym (see
/// [`email_addresses`] for what is taken for one).
fn redact_emails(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (span, address) in email_addresses(text) {
        out.push_str(&text[copied..span.start]);
        out.push_str(&pseudonym("email", &address));
        copied = span.end;
    }
    out.push_str(&text[copied..]);
    out
}

/// Every e-mail-like address in `text`, in order: where it stands and the
/// address (`local@domain`): `local@domain.tld` in any script, with an `xn--`
/// TLD, an address literal (`alice@[203.0.113.5]`), a quoted local part, or
/// the at-sign percent-encoded (`alice%40contoso.com`, as in a URL). A
/// Microsoft application id before the `@` (`iss`) is not an address.
///
/// Linear in the length of `text`: each at-sign looks at most a bounded
/// number of characters back and ahead.
pub(crate) fn email_addresses(text: &str) -> Vec<(std::ops::Range<usize>, String)> {
    let mut found = Vec::new();
    let mut copied = 0;
    let mut search_from = 0;
    while let Some(offset) = text[search_from..].find(['@', '%']) {
        let at = search_from + offset;
        let sign_len = if text[at..].starts_with('@') {
            1
        } else if text
            .get(at..at + 3)
            .is_some_and(|s| s.eq_ignore_ascii_case("%40"))
        {
            3
        } else {
            search_from = at + 1;
            continue;
        };
        let span = local_start(text, at, copied).and_then(|start| {
            let local = &text[start..at];
            let end = domain_end(text, at + sign_len)?;
            (!is_first_party_app_id(local)).then_some((start, end))
        });
        match span {
            Some((start, end)) => {
                let address = format!("{}@{}", &text[start..at], &text[at + sign_len..end]);
                found.push((start..end, address));
                copied = end;
                search_from = end;
            }
            None => search_from = at + sign_len,
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::Format;
    use crate::render::{fixtures, render_reports, RenderOptions};
    use crate::report::Report;

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
    fn the_entra_claims_that_name_a_person_are_hidden_everywhere() {
        let mut report = fixtures::healthy();
        let people = [
            ("name", "Wáng Xiǎomíng"),
            ("given_name", "Li"),
            ("family_name", "Zhang-Mueller"),
            ("upn", "wang.xiaoming@fabrikam.example"),
            ("unique_name", "FABRIKAM\\wxiaoming"),
            ("preferred_username", "wxm-admin-account"),
            ("ipaddr", "203.0.113.77"),
            ("oid", "6f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"),
            ("sub", "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ"),
        ];
        let token = report.token.as_mut().expect("a token");
        for (claim, value) in people {
            token
                .claims
                .insert(claim.into(), Value::String(value.into()));
        }
        token.claims.insert(
            "tid".into(),
            Value::String("72f988bf-86f1-41af-91ab-2d7cd011db47".into()),
        );
        report
            .notes
            .push("signed in as Wáng Xiǎomíng from 203.0.113.77".into());
        redact(&mut report);
        for (format, text) in all_formats(&report) {
            // A value as short as `Li` stands in ordinary words too: it is
            // hidden as its claim (below), not searched for.
            for (claim, value) in people.iter().filter(|(_, v)| v.len() >= MIN_SEARCHABLE_LEN) {
                assert!(!text.contains(value), "{format} leaks {claim}");
            }
            if format.starts_with("json") {
                assert!(text.contains("[redacted-oid:"), "{format}");
                // The tenant names an organisation, not a person: kept.
                assert!(
                    text.contains("72f988bf-86f1-41af-91ab-2d7cd011db47"),
                    "{format}"
                );
            }
        }
        let claims = &report.token.as_ref().expect("a token").claims;
        assert!(claims["given_name"].as_str().is_some_and(is_pseudonym));
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
    fn addresses_of_every_form_are_hidden() {
        for (text, hidden_part) in [
            ("mail jörg.müller@bücher.de now", "jörg"),
            ("от иван.петров@почта.рф", "иван"),
            ("to alice@contoso.xn--p1ai.", "alice"),
            ("to alice@[203.0.113.5] now", "alice"),
            ("to alice@[IPv6:2001:db8::1] now", "alice"),
            ("https://x/?user=alice%40contoso.com&x=1", "alice"),
            ("https://x/?user=alice%40contoso.com&x=1", "contoso"),
            ("to \"john doe\"@contoso.com now", "john doe"),
        ] {
            let redacted = redact_emails(text);
            assert!(!redacted.contains(hidden_part), "{text} -> {redacted}");
            assert!(
                redacted.contains("[redacted-email:"),
                "{text} -> {redacted}"
            );
        }
        assert!(redact_emails("https://x/?user=alice%40contoso.com&x=1")
            .starts_with("https://x/?user=[redacted-email:"));
        assert_eq!(
            pseudonym("email", "alice@contoso.com"),
            redact_emails("alice%40contoso.com")
        );
        // Found by the redaction fuzz target: a TLD whose fourth byte is
        // inside a character.
        assert_eq!(
            redact_emails("x@b.müüller"),
            pseudonym("email", "x@b.müüller")
        );
        for kept in [
            "a@[not an address]",
            "\"\"@contoso.com x",
            "user@localhost",
            "100%",
        ] {
            assert_eq!(redact_emails(kept), kept);
        }
    }

    /// A report whose token's `msexchuid` is `id`, in `appctx` as an object and
    /// as the JSON string the claim holds.
    fn report_with_msexchuid(id: Value) -> Report {
        let mut report = fixtures::healthy();
        let mut token = fixtures::token_facts("placeholder");
        token.appctx.insert("msexchuid".into(), id.clone());
        let appctx = Value::Object(token.appctx.clone()).to_string();
        token.claims.insert("appctx".into(), Value::String(appctx));
        token.unique_id = None;
        report.token = Some(token);
        report
    }

    #[test]
    fn msexchuid_with_leading_wide_whitespace_is_hidden_without_panicking() {
        // U+3000 and 17 NBSPs are 37 bytes: the GUID's length, 36, falls
        // inside the last NBSP (the slice that used to panic).
        let mixed = format!("\u{3000}{}", "\u{a0}".repeat(17));
        for space in ["\u{3000}", "\u{a0}", "\u{2003}\u{2003}", mixed.as_str()] {
            let id = format!("{space}{}@{}", fixtures::MSEXCHUID, fixtures::REALM);
            let mut report = report_with_msexchuid(Value::String(id));
            redact(&mut report);
            let json = crate::render::json_line(&report, &RenderOptions::default());
            assert!(!json.contains(fixtures::MSEXCHUID), "{json}");
            let token = report.token.as_ref().expect("token");
            let hidden = token.appctx["msexchuid"].as_str().expect("string");
            assert!(
                hidden.ends_with(&format!("]@{}", fixtures::REALM)),
                "{hidden}"
            );
        }
    }

    #[test]
    fn msexchuid_wrapped_in_escape_sequences_is_hidden_in_the_raw_appctx_string() {
        let id = format!("\u{1b}[31m{}\u{7}@{}", fixtures::MSEXCHUID, fixtures::REALM);
        let mut report = report_with_msexchuid(Value::String(id));
        redact(&mut report);
        for format in [Format::Json, Format::Human, Format::Markdown, Format::Junit] {
            let text = render_reports(
                std::slice::from_ref(&report),
                format,
                false,
                &RenderOptions::default(),
            );
            assert!(
                !text.to_lowercase().contains(fixtures::MSEXCHUID),
                "{format:?}: {text}"
            );
            assert!(!text.contains("430a2c5c"), "{format:?}");
        }
        let token = report.token.as_ref().expect("token");
        let appctx = token.claims["appctx"].as_str().expect("string");
        assert!(appctx.contains("[redacted-msexchuid:"), "{appctx}");
    }

    #[test]
    fn numeric_msexchuid_is_hidden() {
        for id in [json_number(1_234_567_890), json_number(42)] {
            let mut report = report_with_msexchuid(id.clone());
            report.push(crate::report::Check::pass(
                crate::report::CheckId::TokenIssuer,
                format!("msexchuid {id} noted"),
            ));
            redact(&mut report);
            let token = report.token.as_ref().expect("token");
            assert!(
                token.appctx["msexchuid"].as_str().is_some_and(is_pseudonym),
                "{id}"
            );
            let appctx: Value =
                serde_json::from_str(token.claims["appctx"].as_str().expect("string"))
                    .expect("JSON");
            assert!(
                appctx["msexchuid"].as_str().is_some_and(is_pseudonym),
                "{appctx}"
            );
            if id.to_string().len() >= MIN_SEARCHABLE_LEN {
                let summary = &report
                    .get(crate::report::CheckId::TokenIssuer)
                    .expect("check")
                    .summary;
                assert!(!summary.contains(&id.to_string()), "{summary}");
            }
        }
    }

    fn json_number(n: i64) -> Value {
        Value::Number(n.into())
    }

    /// The report of issue 9: 4,000 distinct msexchuid-like fields in a token.
    fn many_identifiers(count: usize) -> Report {
        let mut report = fixtures::healthy();
        let mut token = fixtures::token_facts(fixtures::MSEXCHUID);
        for i in 0..count {
            let id = format!("{i:08x}-0a16-4e8e-93e4-fa7d981911df");
            token.claims.insert(
                format!("field{i}"),
                serde_json::json!({"msexchuid": format!("{id}@contoso.com"), "note": format!("seen {id} and mail{i}@contoso.com")}),
            );
        }
        report.token = Some(token);
        report
    }

    #[test]
    fn thousands_of_identifiers_are_all_hidden_in_one_pass() {
        // How the time grows with the count is measured by `cargo bench
        // --bench links -- redact` (1,000 and 4,000 identifiers).
        let mut report = many_identifiers(4000);
        redact(&mut report);
        let json = crate::render::json_line(&report, &RenderOptions::default());
        assert!(!json.contains("-0a16-4e8e-93e4-"), "an id survived");
        assert!(!json.contains("mail3999@"), "an address survived");
    }
}
