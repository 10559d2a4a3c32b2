//! `explain`: what the text of a ticket means, offline.
//!
//! A ticket brings an error message, a screenshot's text, a log or an Outlook
//! About dialog. Each part this module recognises (from the tables in
//! [`table`]) becomes a [`Finding`]: what it means, which chain it belongs to,
//! what to do, what to run next and the public source. Pure: the text in,
//! findings out; case, spacing and the invisible characters pasting adds do
//! not matter. Nothing inside a token is read as a code, and a token is never
//! echoed.

mod build;
mod render;
pub mod table;

use serde::Serialize;
use time::OffsetDateTime;

use crate::input::{clean_paste, find_token, token_text_spans};
use crate::report::CheckId;
use crate::token::{analyze, TokenContext};
use table::{Entry, Kind};

pub use render::{human, json, markdown, ExplainFormat, SCHEMA};

/// Which chain a finding belongs to (`chain` in the JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chain {
    /// The Exchange user identity token and its amurl.
    Legacy,
    /// Nested app authentication: Entra ID tokens.
    Naa,
    /// The Outlook client itself.
    Client,
    /// Neither: the finding decides which chain applies.
    None,
}

impl Chain {
    /// The stable value of `chain`.
    pub fn id(self) -> &'static str {
        match self {
            Chain::Legacy => "legacy",
            Chain::Naa => "naa",
            Chain::Client => "client",
            Chain::None => "none",
        }
    }
}

/// One recognised part of the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The text as recognised (a token is described, never quoted).
    pub text: String,
    /// What it is (`ssi-message`, `signin-code`, `aadsts`, …).
    pub kind: &'static str,
    /// Its code or short name.
    pub code: String,
    /// `legacy`, `naa`, `client` or `none`.
    pub chain: &'static str,
    /// What it means.
    pub meaning: String,
    /// Who must do what.
    pub remedy: String,
    /// What to run or look at next.
    pub next: String,
    /// The public source, `[Rn] URL`.
    pub source: String,
}

impl Finding {
    fn of(entry: &Entry, text: String) -> Self {
        Finding {
            text,
            kind: entry.kind.id(),
            code: entry.code.to_string(),
            chain: entry.chain.id(),
            meaning: entry.meaning.to_string(),
            remedy: entry.remedy.to_string(),
            next: entry.next.to_string(),
            source: entry.source.to_string(),
        }
    }

    /// What it is, in words.
    pub fn kind_words(&self) -> &'static str {
        Kind::ALL
            .into_iter()
            .find(|k| k.id() == self.kind)
            .map_or(self.kind, Kind::words)
    }
}

/// Everything recognised in `input`, in the order it appears. `now` is only
/// for judging a pasted token (its kind; its lifetime is not reported here).
pub fn explain(pasted: &str, now: OffsetDateTime) -> Vec<Finding> {
    // Read as if pasted cleanly: invisible characters inside words would
    // hide a code, and cut a token into pieces that are no longer blanked.
    let cleaned = clean_paste(pasted);
    let input = cleaned.text.as_str();
    let scrubbed = scrub(input);
    let compact = Folded::new(input, false);
    let spaced = Folded::new(&scrubbed, true);
    let mut found: Vec<(usize, Finding)> = Vec::new();
    messages(&compact, input, &mut found);
    signin_codes(&compact, input, &mut found);
    aadsts(&spaced, &scrubbed, &mut found);
    office_js(&spaced, &scrubbed, &mut found);
    found.extend(build::find(&spaced));
    // The token as pasted: its report says what was cleaned.
    found.extend(token(pasted, now));
    found.extend(amurls(&scrubbed));
    found.extend(addresses(&scrubbed));
    // One message, one finding: the code said it more exactly.
    if found
        .iter()
        .any(|(_, f)| f.kind == Kind::OfficeJs.id() && f.code != "GenericTokenError")
    {
        found.retain(|(_, f)| f.code != "GenericTokenError");
    }
    found.sort_by_key(|(at, _)| *at);
    found.into_iter().map(|(_, f)| f).collect()
}

/// `input` with everything that may be a token (or a piece of one) blanked
/// out, its length unchanged: no code, number or address is read from it.
fn scrub(input: &str) -> String {
    let mut bytes = input.as_bytes().to_vec();
    for span in token_text_spans(input) {
        bytes[span].fill(b' ');
    }
    // The spans are ASCII runs, so the text stays UTF-8.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Text folded for matching (after [`clean_paste`]): lower case, typographic apostrophes and hyphens made plain, and
/// whitespace either collapsed to one space or removed; each byte remembers
/// the character of the original it came from.
pub(crate) struct Folded {
    text: String,
    origin: Vec<(usize, usize)>,
}

impl Folded {
    fn new(original: &str, keep_spaces: bool) -> Self {
        let mut text = String::with_capacity(original.len());
        let mut origin = Vec::with_capacity(original.len());
        for (at, c) in original.char_indices() {
            let range = (at, at + c.len_utf8());
            if c.is_whitespace() {
                if keep_spaces && !text.is_empty() && !text.ends_with(' ') {
                    text.push(' ');
                    origin.push(range);
                }
                continue;
            }
            let plain = match c {
                '\u{2018}' | '\u{2019}' | '\u{02BC}' => '\'',
                '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2013}' => '-',
                other => other,
            };
            for lower in plain.to_lowercase() {
                let before = text.len();
                text.push(lower);
                origin.extend(std::iter::repeat_n(range, text.len() - before));
            }
        }
        Folded { text, origin }
    }

    /// The original text behind folded bytes `start..end`, its whitespace
    /// collapsed.
    fn original(&self, original: &str, start: usize, end: usize) -> String {
        let (Some(first), Some(last)) = (
            self.origin.get(start),
            self.origin.get(end.saturating_sub(1)),
        ) else {
            return String::new();
        };
        original
            .get(first.0..last.1)
            .unwrap_or_default()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Where in the original folded byte `at` came from.
    fn position(&self, at: usize) -> usize {
        self.origin.get(at).map_or(usize::MAX, |r| r.0)
    }
}

fn fold_phrase(phrase: &str) -> String {
    Folded::new(phrase, false).text
}

fn messages(compact: &Folded, input: &str, found: &mut Vec<(usize, Finding)>) {
    for entry in table::MESSAGES {
        let hit = entry
            .phrases
            .iter()
            .filter_map(|p| {
                let p = fold_phrase(p);
                compact.text.find(&p).map(|at| (at, at + p.len()))
            })
            .min();
        if let Some((start, end)) = hit {
            let text = compact.original(input, start, end);
            found.push((compact.position(start), Finding::of(entry, text)));
        }
    }
}

/// `[code]`: five letters and digits, at least one a digit, in brackets.
fn signin_codes(compact: &Folded, input: &str, found: &mut Vec<(usize, Finding)>) {
    let went_wrong = compact
        .text
        .contains(&fold_phrase(table::UNKNOWN_SIGNIN_CODE.phrases[0]));
    let bytes = compact.text.as_bytes();
    let mut seen: Vec<String> = Vec::new();
    for (at, _) in compact.text.match_indices('[') {
        let Some(code) = compact.text.get(at + 1..at + 6) else {
            continue;
        };
        let shaped = bytes.get(at + 6) == Some(&b']')
            && code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            && code.bytes().any(|b| b.is_ascii_digit());
        if !shaped || seen.iter().any(|s| s == code) {
            continue;
        }
        let text = compact.original(input, at, at + 7);
        let finding = match table::SIGNIN_CODES.iter().find(|e| e.code == code) {
            Some(entry) => Finding::of(entry, text),
            None if went_wrong => Finding {
                code: code.to_string(),
                ..Finding::of(&table::UNKNOWN_SIGNIN_CODE, text)
            },
            None => continue,
        };
        seen.push(code.to_string());
        found.push((compact.position(at), finding));
    }
}

/// `AADSTS` and its number (a space or colon between them is forgiven).
fn aadsts(spaced: &Folded, original: &str, found: &mut Vec<(usize, Finding)>) {
    let text = &spaced.text;
    let mut seen: Vec<String> = Vec::new();
    for (at, prefix) in text.match_indices("aadsts") {
        if at > 0 && text.as_bytes()[at - 1].is_ascii_alphanumeric() {
            continue;
        }
        let rest = &text[at + prefix.len()..];
        let gap = rest.len() - rest.trim_start_matches([' ', ':', '-']).len();
        let digits: String = rest[gap..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let end = at + prefix.len() + gap + digits.len();
        if digits.is_empty()
            || digits.len() > 8
            || text
                .as_bytes()
                .get(end)
                .is_some_and(u8::is_ascii_alphanumeric)
        {
            continue;
        }
        let code = format!("AADSTS{digits}");
        if seen.contains(&code) {
            continue;
        }
        let shown = spaced.original(original, at, end);
        let mut finding = match table::AADSTS.iter().find(|e| e.code == code) {
            Some(entry) => Finding::of(entry, shown),
            None => Finding {
                code: code.clone(),
                ..Finding::of(&table::UNKNOWN_AADSTS, shown)
            },
        };
        finding.next = format!(
            "{}{digits} gives Microsoft's current text for it. {}",
            table::AADSTS_LOOKUP,
            finding.next
        );
        seen.push(code);
        found.push((spaced.position(at), finding));
    }
}

/// 9017 and 9018 standing alone (not inside a longer number or word).
fn office_js(spaced: &Folded, original: &str, found: &mut Vec<(usize, Finding)>) {
    let bytes = spaced.text.as_bytes();
    let stands_alone = |start: usize, end: usize| {
        let before = start.checked_sub(1).map(|i| bytes[i]);
        let after = bytes.get(end).copied();
        let after_next = bytes.get(end + 1).copied();
        let glued_before = before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'.');
        let glued_after = after.is_some_and(|b| b.is_ascii_alphanumeric())
            || (after == Some(b'.') && after_next.is_some_and(|b| b.is_ascii_digit()));
        !glued_before && !glued_after
    };
    for entry in table::OFFICE_JS {
        let hit = spaced
            .text
            .match_indices(entry.code)
            .map(|(at, _)| at)
            .find(|&at| stands_alone(at, at + entry.code.len()));
        if let Some(at) = hit {
            let text = spaced.original(original, at, at + entry.code.len());
            found.push((spaced.position(at), Finding::of(entry, text)));
        }
    }
}

/// The token in the text (the one `diagnose` would judge), described and
/// judged by kind, never quoted.
fn token(input: &str, now: OffsetDateTime) -> Option<(usize, Finding)> {
    let analysis = analyze(
        input,
        &TokenContext {
            now,
            audience: None,
        },
    );
    let input_check = analysis.check(CheckId::TokenInput)?;
    let found = input_check.status == crate::report::Status::Pass;
    if !found && analysis.token.is_none() {
        return None;
    }
    let number = |name: &str| input_check.details.get(name).and_then(|v| v.as_u64());
    let kind = if found {
        analysis
            .check(CheckId::TokenKind)
            .and_then(|c| c.details.get("kind"))
            .and_then(|k| k.as_str())
            .unwrap_or("other-jwt")
    } else {
        "jwt-fragment"
    };
    let (chain, meaning, source) = match kind {
        "exchange-identity" | "exchange-callback" | "owa-download" | "jwt-fragment" => {
            (Chain::Legacy, table::TOKEN_LEGACY, table::SSI_KB)
        }
        "entra" => (Chain::Naa, table::TOKEN_NAA, table::R23),
        _ => (Chain::None, table::TOKEN_OTHER, table::SSI_KB),
    };
    let text = match (number("line"), number("column"), number("characters")) {
        (Some(line), Some(column), Some(characters)) if found => {
            format!(
                "a token of {characters} characters at line {line}, column {column} (not shown)"
            )
        }
        _ => "part of a token whose header was lost in copying (not shown)".to_string(),
    };
    let mut said = vec![meaning.to_string()];
    said.extend(
        analysis
            .token
            .as_ref()
            .and_then(|t| t.amurl())
            .map(|u| format!("Its amurl is {u}.")),
    );
    said.extend(analysis.notes.iter().map(|n| format!("Note: {n}.")));
    let remedy = if found {
        "Check the whole chain it belongs to with the token itself.".to_string()
    } else {
        input_check
            .remedy
            .map(|r| r.text().to_string())
            .unwrap_or_default()
    };
    let finding = Finding {
        text,
        kind: Kind::Token.id(),
        code: kind.to_string(),
        chain: chain.id(),
        meaning: said.join(" "),
        remedy,
        next: "Save the token in a file and run `idtoken-doctor diagnose @token.txt` (it never leaves this machine but for the amurl request).".to_string(),
        source: source.to_string(),
    };
    let at = match (number("line"), number("column")) {
        (Some(line), Some(column)) => byte_at(input, line, column),
        _ => find_token(input).map_or(0, |c| c.offset().saturating_sub(1)),
    };
    Some((at, finding))
}

/// Roughly where line `line`, column `column` (both from 1) is, for ordering.
fn byte_at(input: &str, line: u64, column: u64) -> usize {
    let line_start = input
        .split_inclusive('\n')
        .take(usize::try_from(line.saturating_sub(1)).unwrap_or(usize::MAX))
        .map(str::len)
        .sum::<usize>();
    line_start + usize::try_from(column.saturating_sub(1)).unwrap_or_default()
}

/// Characters that end a URL or an address in prose, logs and JSON.
fn ends_word(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '"' | '\'' | '<' | '>' | '(' | ')' | '[' | ']' | '{' | '}' | ',' | ';' | '`'
        )
}

/// Every authentication metadata URL in the text.
fn amurls(scrubbed: &str) -> Vec<(usize, Finding)> {
    let lower = scrubbed.to_ascii_lowercase();
    let mut out: Vec<(usize, Finding)> = Vec::new();
    for (at, _) in lower.match_indices("http") {
        let end = scrubbed[at..]
            .find(ends_word)
            .map_or(scrubbed.len(), |n| at + n);
        let url = scrubbed[at..end].trim_end_matches(['.', ':', '!', '?']);
        let lower_url = url.to_ascii_lowercase();
        let Some(path_at) = lower_url.find(crate::target::METADATA_PATH) else {
            continue;
        };
        let url = &url[..path_at + crate::target::METADATA_PATH.len()];
        if url::Url::parse(url).is_err()
            || out.iter().any(|(_, f)| f.text.eq_ignore_ascii_case(url))
        {
            continue;
        }
        out.push((
            at,
            Finding {
                text: url.to_string(),
                kind: Kind::Amurl.id(),
                code: url.to_string(),
                chain: Chain::Legacy.id(),
                meaning: table::AMURL_MEANING.to_string(),
                remedy: "It must answer an anonymous GET from the internet with the metadata document (no login page, no authentication, no firewall in the way).".to_string(),
                next: format!("idtoken-doctor probe {url}"),
                source: table::SSI_KB.to_string(),
            },
        ));
    }
    out
}

/// Every e-mail address in the text; `GUID@realm` (an issuer or msexchuid) is not one.
fn addresses(scrubbed: &str) -> Vec<(usize, Finding)> {
    let mut out: Vec<(usize, Finding)> = Vec::new();
    for (span, address) in crate::render::redact::email_addresses(scrubbed) {
        let local = address.split('@').next().unwrap_or_default();
        if is_guid(local)
            || out
                .iter()
                .any(|(_, f)| f.text.eq_ignore_ascii_case(&address))
        {
            continue;
        }
        out.push((
            span.start,
            Finding {
                text: address.clone(),
                kind: Kind::EmailAddress.id(),
                code: address.clone(),
                chain: Chain::None.id(),
                meaning: table::EMAIL_MEANING.to_string(),
                remedy: "Find out where the mailbox lives before anything else: the two chains have different fixes.".to_string(),
                next: format!("idtoken-doctor probe {address}"),
                source: table::MAILBOX_SOURCE.to_string(),
            },
        ));
    }
    out
}

fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests;
