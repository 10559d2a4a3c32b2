//! Decoding a compact JWT into header, claims and signature, and saying exactly
//! what is wrong and where when it does not decode.

use std::fmt;

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::clock;
use crate::report::TokenFacts;

/// base64url without padding, tolerant of trailing bits: padding is stripped
/// before decoding, and a non-canonical last character is not worth refusing a
/// token that otherwise decodes.
const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

/// At most this many characters of any token value go into a summary.
pub(crate) const SUMMARY_CLIP: usize = 80;

/// How `appctx` was carried in the payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppctxForm {
    /// A JSON object, as Microsoft's documentation shows it.
    Object,
    /// A JSON string holding an object, as real tokens carry it.
    JsonString,
    /// The payload has no `appctx` claim.
    Missing,
    /// `appctx` is there but cannot be read as an object; the text says why.
    Invalid(String),
}

/// A decoded Exchange user identity token.
///
/// Holds the signing input and the signature for the `key` stage; neither ever
/// appears in [`Token::facts`], in a check, or in the `Debug` output.
#[derive(Clone)]
pub struct Token {
    header: Map<String, Value>,
    claims: Map<String, Value>,
    appctx: Map<String, Value>,
    appctx_form: AppctxForm,
    signing_input: String,
    signature: Option<Vec<u8>>,
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Token")
            .field("header", &self.header)
            .field("claims", &self.claims)
            .field("appctx_form", &self.appctx_form)
            .field("signature_len", &self.signature.as_ref().map(Vec::len))
            .finish_non_exhaustive()
    }
}

impl Token {
    /// The JOSE header.
    pub fn header(&self) -> &Map<String, Value> {
        &self.header
    }

    /// The payload claims, with `appctx` as found (object or string).
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// The application context as an object, whether it came as an object or as
    /// a JSON string; empty when it is missing or unreadable (see [`Token::appctx_form`]).
    pub fn appctx(&self) -> &Map<String, Value> {
        &self.appctx
    }

    /// How `appctx` was carried.
    pub fn appctx_form(&self) -> &AppctxForm {
        &self.appctx_form
    }

    /// The header's `x5t` (the signing certificate's thumbprint), when it is a string.
    pub fn x5t(&self) -> Option<&str> {
        self.header.get("x5t").and_then(Value::as_str)
    }

    /// `appctx.amurl` (the authentication metadata URL), when it is a string.
    pub fn amurl(&self) -> Option<&str> {
        self.appctx.get("amurl").and_then(Value::as_str)
    }

    /// `appctx.msexchuid` (the user's Exchange id), when it is a string.
    pub fn msexchuid(&self) -> Option<&str> {
        self.appctx.get("msexchuid").and_then(Value::as_str)
    }

    /// The unique user id SSI and Microsoft's validation guidance form: the
    /// amurl followed by the msexchuid.
    pub fn unique_id(&self) -> Option<String> {
        Some(format!("{}{}", self.amurl()?, self.msexchuid()?))
    }

    /// The bytes the RS256 signature covers: `header.payload` exactly as received.
    pub fn signing_input(&self) -> &[u8] {
        self.signing_input.as_bytes()
    }

    /// The decoded signature; `None` when the token has no signature part (it was
    /// cut) or the part is not base64url (`token.encoding` says which).
    pub fn signature(&self) -> Option<&[u8]> {
        self.signature.as_deref()
    }

    /// The token as reports show it: never the signature or the raw token.
    pub fn facts(&self) -> TokenFacts {
        let times = ["nbf", "exp", "iat"]
            .into_iter()
            .filter_map(|name| match time_claim(&self.claims, name) {
                TimeClaim::Number(t) | TimeClaim::Text(t) => Some((name.to_string(), t)),
                TimeClaim::Missing | TimeClaim::Invalid(_) => None,
            })
            .collect();
        TokenFacts {
            header: self.header.clone(),
            claims: self.claims.clone(),
            appctx: self.appctx.clone(),
            unique_id: self.unique_id(),
            times,
        }
    }
}

/// A time claim (`nbf`, `exp`, `iat`) as found.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum TimeClaim {
    /// Absent.
    Missing,
    /// A JSON number of Unix seconds, as real tokens carry it.
    Number(OffsetDateTime),
    /// A JSON string of Unix seconds (or RFC 3339), as Microsoft's documentation shows it.
    Text(OffsetDateTime),
    /// Present but not a time; the text says what it is.
    Invalid(String),
}

impl TimeClaim {
    /// The form seen, for the report's details.
    pub(crate) fn form(&self) -> &'static str {
        match self {
            TimeClaim::Missing => "missing",
            TimeClaim::Number(_) => "number",
            TimeClaim::Text(_) => "string",
            TimeClaim::Invalid(_) => "invalid",
        }
    }

    pub(crate) fn instant(&self) -> Option<OffsetDateTime> {
        match self {
            TimeClaim::Number(t) | TimeClaim::Text(t) => Some(*t),
            TimeClaim::Missing | TimeClaim::Invalid(_) => None,
        }
    }
}

pub(crate) fn time_claim(claims: &Map<String, Value>, name: &str) -> TimeClaim {
    match claims.get(name) {
        None => TimeClaim::Missing,
        Some(Value::Number(n)) => {
            let secs = match (n.as_i64(), n.as_f64()) {
                (Some(secs), _) => Some(secs),
                // NumericDate may have a fraction; whole seconds are enough here.
                (None, Some(f)) if f.is_finite() && f.abs() < 1e15 => Some(f.floor() as i64),
                _ => None,
            };
            match secs.and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok()) {
                Some(t) => TimeClaim::Number(t),
                None => TimeClaim::Invalid(format!(
                    "the number {}, out of range for Unix seconds",
                    clip(&n.to_string(), SUMMARY_CLIP)
                )),
            }
        }
        Some(Value::String(s)) => match clock::parse_instant(s) {
            Ok(t) => TimeClaim::Text(t),
            Err(_) => TimeClaim::Invalid(format!(
                "the string `{}`, neither Unix seconds nor an RFC 3339 time",
                clip(s, SUMMARY_CLIP)
            )),
        },
        Some(other) => TimeClaim::Invalid(format!(
            "{}, not a number of Unix seconds",
            describe_value(other)
        )),
    }
}

/// Which part of the compact token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    Header,
    Payload,
    Signature,
}

impl Part {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Part::Header => "header",
            Part::Payload => "payload",
            Part::Signature => "signature",
        }
    }

    fn ordinal(self) -> &'static str {
        match self {
            Part::Header => "1st",
            Part::Payload => "2nd",
            Part::Signature => "3rd",
        }
    }
}

/// What is wrong with one part.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PartError {
    Empty,
    InvalidChar {
        ch: char,
        in_part: usize,
        in_token: usize,
    },
    BadLength {
        chars: usize,
    },
    Base64(String),
    NotUtf8 {
        byte_offset: usize,
        byte: u8,
    },
    NotJson {
        error: String,
        preview: String,
    },
    NotObject {
        kind: &'static str,
    },
}

/// One problem `token.encoding` reports: a one-line text and its facts.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EncodingProblem {
    pub(crate) summary: String,
    pub(crate) details: Map<String, Value>,
}

impl EncodingProblem {
    fn part(part: Part, error: &PartError) -> Self {
        let mut details = Map::new();
        details.insert("part".into(), part.name().into());
        let what = match error {
            PartError::Empty => "is empty".to_string(),
            PartError::InvalidChar {
                ch,
                in_part,
                in_token,
            } => {
                details.insert("character".into(), show_char(*ch).into());
                details.insert("position_in_part".into(), (*in_part).into());
                details.insert("position_in_token".into(), (*in_token).into());
                format!(
                    "has {} at character {in_part} (character {in_token} of the token): {}",
                    show_char(*ch),
                    explain_char(*ch)
                )
            }
            PartError::BadLength { chars } => {
                details.insert("characters".into(), (*chars).into());
                format!(
                    "has {chars} characters, a length no base64url text has: \
                     a character was lost or added in copying"
                )
            }
            PartError::Base64(e) => format!("is not base64url ({e})"),
            PartError::NotUtf8 { byte_offset, byte } => {
                details.insert("decoded_byte_offset".into(), (*byte_offset).into());
                format!(
                    "decodes to bytes that are not UTF-8 text (byte 0x{byte:02X} at offset \
                     {byte_offset} of the decoded {}), so it cannot be JSON",
                    part.name()
                )
            }
            PartError::NotJson { error, preview } => {
                details.insert("json_error".into(), error.clone().into());
                details.insert("decoded_start".into(), preview.clone().into());
                format!("decodes to text that is not JSON ({error}); it starts with `{preview}`")
            }
            PartError::NotObject { kind } => {
                details.insert("json_type".into(), (*kind).into());
                format!("decodes to JSON that is {kind}, not an object")
            }
        };
        EncodingProblem {
            summary: format!("the {} ({} part) {what}", part.name(), part.ordinal()),
            details,
        }
    }
}

/// The outcome of decoding a candidate token.
pub(crate) struct Decoded {
    pub(crate) token: Option<Token>,
    pub(crate) problems: Vec<EncodingProblem>,
    pub(crate) header_bytes: usize,
    pub(crate) payload_bytes: usize,
    pub(crate) padded: bool,
}

/// Decodes `text` (a found candidate, parts separated by dots).
pub(crate) fn decode(text: &str) -> Decoded {
    let mut parts = text.split('.');
    let header_text = parts.next().unwrap_or_default();
    let payload_text = parts.next();
    let signature_text = parts.next();
    let extra_parts = parts.count();
    let part_count = 1
        + usize::from(payload_text.is_some())
        + usize::from(signature_text.is_some())
        + extra_parts;

    let padded = text.split('.').take(3).any(|p| p.ends_with('='));
    let mut problems = Vec::new();

    let header_offset = 0;
    let header = decode_json_part(header_text, header_offset);
    let payload = payload_text.map(|p| {
        let offset = header_text.chars().count() + 1;
        (decode_json_part(p, offset), offset)
    });

    let header_bytes = header.as_ref().map_or(0, |(_, n)| *n);
    let payload_bytes = match &payload {
        Some((Ok((_, n)), _)) => *n,
        _ => 0,
    };
    if let Err(e) = &header {
        problems.push(EncodingProblem::part(Part::Header, e));
    }
    match &payload {
        Some((Err(e), _)) => problems.push(EncodingProblem::part(Part::Payload, e)),
        Some((Ok(_), _)) => {}
        None => {}
    }
    if part_count != 3 {
        problems.push(part_count_problem(part_count));
    }
    let signature = match (signature_text, &payload) {
        (Some(sig), Some((_, payload_offset))) if part_count == 3 => {
            let offset = payload_offset + payload_text.map_or(0, |p| p.chars().count()) + 1;
            match decode_part(sig, offset) {
                Ok(bytes) => Some(bytes),
                Err(e) => {
                    problems.push(EncodingProblem::part(Part::Signature, &e));
                    None
                }
            }
        }
        _ => None,
    };

    let token = match (header, payload) {
        (Ok((header, _)), Some((Ok((claims, _)), _))) => {
            let (appctx, appctx_form) = read_appctx(&claims);
            let signing_input = format!("{header_text}.{}", payload_text.unwrap_or_default());
            Some(Token {
                header,
                claims,
                appctx,
                appctx_form,
                signing_input,
                signature,
            })
        }
        _ => None,
    };
    Decoded {
        token,
        problems,
        header_bytes,
        payload_bytes,
        padded,
    }
}

/// Claims only a payload carries: a first part with one of them (and no
/// `alg`) is a payload whose header was lost.
const PAYLOAD_CLAIMS: [&str; 9] = [
    "appctx", "aud", "iss", "exp", "nbf", "iat", "sub", "tid", "ver",
];

/// `payload.signature`: a token of two parts whose first decodes to claims,
/// not a header, and whose second is no JSON (a signature). The header was
/// lost in copying; the claims are still worth showing (amurl, lifetime).
/// `None` for anything else.
pub(crate) fn payload_first(text: &str) -> Option<Token> {
    let (first, second) = text.split_once('.')?;
    if second.contains('.') {
        return None;
    }
    let (claims, _) = decode_json_part(first, 0).ok()?;
    let is_payload =
        !claims.contains_key("alg") && PAYLOAD_CLAIMS.iter().any(|name| claims.contains_key(*name));
    if !is_payload || decode_json_part(second, first.len() + 1).is_ok() {
        return None;
    }
    let (appctx, appctx_form) = read_appctx(&claims);
    Some(Token {
        header: Map::new(),
        claims,
        appctx,
        appctx_form,
        signing_input: String::new(),
        signature: None,
    })
}

fn part_count_problem(parts: usize) -> EncodingProblem {
    let summary = match parts {
        2 => "the token has 2 parts (header.payload): the signature part is missing, \
              the token was cut after the payload"
            .to_string(),
        n => format!(
            "the token has {n} parts separated by dots; an identity token has 3 \
             (header.payload.signature)"
        ),
    };
    let mut details = Map::new();
    details.insert("parts".into(), parts.into());
    EncodingProblem { summary, details }
}

/// Decodes one base64url part; `offset` is the number of token characters before it.
fn decode_part(text: &str, offset: usize) -> Result<Vec<u8>, PartError> {
    let unpadded = text.trim_end_matches('=');
    if unpadded.is_empty() {
        return Err(PartError::Empty);
    }
    if let Some((index, ch)) = unpadded
        .chars()
        .enumerate()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
    {
        return Err(PartError::InvalidChar {
            ch,
            in_part: index + 1,
            in_token: offset + index + 1,
        });
    }
    if unpadded.len() % 4 == 1 {
        return Err(PartError::BadLength {
            chars: unpadded.len(),
        });
    }
    BASE64URL
        .decode(unpadded)
        .map_err(|e| PartError::Base64(e.to_string()))
}

/// Decodes a header or payload into a JSON object, with its decoded length.
fn decode_json_part(text: &str, offset: usize) -> Result<(Map<String, Value>, usize), PartError> {
    let bytes = decode_part(text, offset)?;
    let json = match std::str::from_utf8(&bytes) {
        Ok(json) => json,
        Err(e) => {
            let at = e.valid_up_to();
            return Err(PartError::NotUtf8 {
                byte_offset: at,
                byte: bytes.get(at).copied().unwrap_or_default(),
            });
        }
    };
    match serde_json::from_str::<Value>(json) {
        Ok(Value::Object(map)) => Ok((map, bytes.len())),
        Ok(other) => Err(PartError::NotObject {
            kind: json_kind(&other),
        }),
        Err(e) => Err(PartError::NotJson {
            error: e.to_string(),
            preview: preview(json),
        }),
    }
}

fn read_appctx(claims: &Map<String, Value>) -> (Map<String, Value>, AppctxForm) {
    match claims.get("appctx") {
        None => (Map::new(), AppctxForm::Missing),
        Some(Value::Object(map)) => (map.clone(), AppctxForm::Object),
        Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => (map, AppctxForm::JsonString),
            Ok(other) => (
                Map::new(),
                AppctxForm::Invalid(format!(
                    "a JSON string holding {}, not an object",
                    json_kind(&other)
                )),
            ),
            Err(e) => (
                Map::new(),
                AppctxForm::Invalid(format!(
                    "a string that is not JSON ({e}); it starts with `{}`",
                    preview(text)
                )),
            ),
        },
        Some(other) => (
            Map::new(),
            AppctxForm::Invalid(format!(
                "{}, neither a JSON object nor a JSON string holding one",
                describe_value(other)
            )),
        ),
    }
}

/// `an object`, `a number`, ... for messages.
pub(crate) fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A value's kind with a short rendering of scalars: `a number (42)`.
pub(crate) fn describe_value(value: &Value) -> String {
    match value {
        Value::Number(n) => format!("a number ({})", clip(&n.to_string(), 24)),
        Value::Bool(b) => format!("a boolean ({b})"),
        Value::String(s) => format!("a string (`{}`)", clip(s, 40)),
        Value::Null => "null".to_string(),
        other => json_kind(other).to_string(),
    }
}

/// At most `max` characters of `text`, with an ellipsis when cut.
pub(crate) fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_string(),
        Some((cut, _)) => format!("{}…", &text[..cut]),
    }
}

/// The first characters of decoded text, with control characters escaped.
fn preview(text: &str) -> String {
    let escaped: String = text.chars().take(40).flat_map(char::escape_debug).collect();
    if text.chars().nth(40).is_some() {
        format!("{escaped}…")
    } else {
        escaped
    }
}

/// A character as a report shows it: printable ASCII quoted, anything else as U+XXXX.
fn show_char(c: char) -> String {
    if c.is_ascii_graphic() {
        format!("'{c}'")
    } else {
        format!("U+{:04X}", u32::from(c))
    }
}

fn explain_char(c: char) -> &'static str {
    match c {
        '+' | '/' => "that is standard base64, not base64url (which uses - and _)",
        '=' => "padding, which may only end a part",
        '.' => "an extra dot",
        '\u{FFFD}' => "a byte in the input that is not UTF-8 (the token was damaged in copying)",
        '\u{2026}' => "an ellipsis: the token was shortened for display, copy it in full",
        '%' => "URL encoding: decode the text (%xx) before pasting it",
        c if !c.is_ascii() => "a non-ASCII character, which no token contains",
        _ => "not a base64url character",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(text: &str) -> String {
        BASE64URL.encode(text)
    }

    #[test]
    fn decodes_header_claims_and_signature() {
        let text = format!(
            "{}.{}.{}",
            b64(r#"{"alg":"RS256"}"#),
            b64(r#"{"a":1}"#),
            b64("sig")
        );
        let decoded = decode(&text);
        assert!(decoded.problems.is_empty());
        let token = decoded.token.expect("token");
        assert_eq!(token.header()["alg"], "RS256");
        assert_eq!(token.claims()["a"], 1);
        assert_eq!(token.signature(), Some(&b"sig"[..]));
        assert_eq!(token.appctx_form(), &AppctxForm::Missing);
        let (signed, _) = text.rsplit_once('.').expect("dot");
        assert_eq!(token.signing_input(), signed.as_bytes());
        assert!(!format!("{token:?}").contains("sig\""));
    }

    #[test]
    fn padding_is_tolerated_and_noticed() {
        let text = format!(
            "{}=.{}==.{}",
            b64(r#"{"a":"b"}"#),
            b64(r#"{"a":1}"#),
            b64("sig")
        );
        let decoded = decode(&text);
        assert!(decoded.problems.is_empty(), "{:?}", decoded.problems);
        assert!(decoded.padded);
        assert_eq!(decoded.token.expect("token").claims()["a"], 1);
    }

    #[test]
    fn invalid_characters_are_named_with_their_position() {
        let payload = b64(r#"{"a":1,"b":2}"#);
        let damaged = format!("{}+{}", &payload[..4], &payload[4..]);
        let header = b64("{}");
        let text = format!("{header}.{damaged}.c2ln");
        let decoded = decode(&text);
        assert!(decoded.token.is_none());
        let problem = &decoded.problems[0];
        assert_eq!(
            problem.summary,
            format!(
                "the payload (2nd part) has '+' at character 5 (character {} of the token): \
                 that is standard base64, not base64url (which uses - and _)",
                header.len() + 6
            )
        );
        assert_eq!(problem.details["part"], "payload");
        assert_eq!(problem.details["position_in_part"], 5);
    }

    #[test]
    fn non_utf8_input_bytes_are_named() {
        let text = format!("{}.eyJh\u{FFFD}IjoxfQ.c2ln", b64("{}"));
        let summary = &decode(&text).problems[0].summary;
        assert!(summary.contains("U+FFFD at character 5"), "{summary}");
        assert!(summary.contains("not UTF-8"), "{summary}");
    }

    #[test]
    fn decoded_bytes_that_are_not_utf8_are_named() {
        let payload = BASE64URL.encode([b'{', 0xff, b'}']);
        let summary = &decode(&format!("{}.{payload}.c2ln", b64("{}"))).problems[0].summary;
        assert!(summary.contains("byte 0xFF at offset 1"), "{summary}");
    }

    #[test]
    fn base64_that_is_not_json_says_so_with_context() {
        let decoded = decode(&format!("{}.{}.c2ln", b64("{}"), b64("<html>login</html>")));
        let summary = &decoded.problems[0].summary;
        assert!(summary.starts_with("the payload (2nd part) decodes to text that is not JSON ("));
        assert!(summary.contains("line 1 column 1"), "{summary}");
        assert!(
            summary.contains("starts with `<html>login</html>`"),
            "{summary}"
        );
    }

    #[test]
    fn json_that_is_not_an_object_says_its_kind() {
        let decoded = decode(&format!("{}.{}.c2ln", b64("[1,2]"), b64("\"x\"")));
        let summaries: Vec<_> = decoded
            .problems
            .iter()
            .map(|p| p.summary.as_str())
            .collect();
        assert_eq!(
            summaries,
            [
                "the header (1st part) decodes to JSON that is an array, not an object",
                "the payload (2nd part) decodes to JSON that is a string, not an object"
            ]
        );
    }

    #[test]
    fn a_length_no_base64_has_is_named() {
        let decoded = decode(&format!("{}.{}ABC.c2ln", b64("{}"), b64("{\"a\":1}")));
        assert!(decoded.problems[0]
            .summary
            .contains("a character was lost or added"));
    }

    #[test]
    fn part_counts_other_than_three_are_named_and_the_rest_still_decodes() {
        let two = decode(&format!("{}.{}", b64("{}"), b64("{\"a\":1}")));
        assert_eq!(two.problems.len(), 1);
        assert!(two.problems[0].summary.contains("2 parts"));
        let token = two.token.expect("header and payload decode");
        assert_eq!(token.signature(), None);
        let four = decode(&format!("{}.{}.c2ln.more", b64("{}"), b64("{}")));
        assert!(four.problems[0].summary.contains("4 parts"));
        assert_eq!(four.token.expect("token").signature(), None);
    }

    #[test]
    fn empty_and_damaged_signatures_are_named() {
        let empty = decode(&format!("{}..c2ln", b64("{}")));
        assert_eq!(empty.problems[0].summary, "the payload (2nd part) is empty");
        let bad = decode(&format!("{}.{}.ab/c", b64("{}"), b64("{}")));
        assert!(bad.problems[0]
            .summary
            .starts_with("the signature (3rd part) has '/' at character 3"));
        assert!(bad.token.is_some());
    }

    #[test]
    fn appctx_is_read_as_object_or_json_string() {
        let as_object = r#"{"appctx":{"amurl":"https://a/","msexchuid":"u1"}}"#;
        let as_string = r#"{"appctx":"{\"amurl\":\"https://a/\",\"msexchuid\":\"u1\"}"}"#;
        for (payload, form) in [
            (as_object, AppctxForm::Object),
            (as_string, AppctxForm::JsonString),
        ] {
            let token = decode(&format!("{}.{}.c2ln", b64("{}"), b64(payload)))
                .token
                .expect("token");
            assert_eq!(token.appctx_form(), &form);
            assert_eq!(token.amurl(), Some("https://a/"));
            assert_eq!(token.unique_id().as_deref(), Some("https://a/u1"));
        }
    }

    #[test]
    fn unreadable_appctx_says_what_it_is() {
        for (payload, expected) in [
            (r#"{"appctx":42}"#, "a number (42), neither a JSON object nor a JSON string holding one"),
            (r#"{"appctx":"[1]"}"#, "a JSON string holding an array, not an object"),
            (r#"{"appctx":"{amurl"}"#, "a string that is not JSON (key must be a string at line 1 column 2); it starts with `{amurl`"),
        ] {
            let token = decode(&format!("{}.{}.c2ln", b64("{}"), b64(payload)))
                .token
                .expect("token");
            assert_eq!(token.appctx_form(), &AppctxForm::Invalid(expected.into()));
            assert!(token.appctx().is_empty());
        }
    }

    #[test]
    fn time_claims_read_numbers_and_strings() {
        let claims: Map<String, Value> = serde_json::from_str(
            r#"{"nbf":1331579055,"exp":"1331607855","iat":1.5e9,"x":{},"y":"soon","z":1e300}"#,
        )
        .expect("json");
        let t = |s| OffsetDateTime::from_unix_timestamp(s).expect("valid");
        assert_eq!(time_claim(&claims, "nbf"), TimeClaim::Number(t(1331579055)));
        assert_eq!(time_claim(&claims, "exp"), TimeClaim::Text(t(1331607855)));
        assert_eq!(
            time_claim(&claims, "iat"),
            TimeClaim::Number(t(1_500_000_000))
        );
        assert_eq!(time_claim(&claims, "none"), TimeClaim::Missing);
        assert_eq!(
            time_claim(&claims, "x"),
            TimeClaim::Invalid("an object, not a number of Unix seconds".into())
        );
        assert!(matches!(time_claim(&claims, "y"), TimeClaim::Invalid(m) if m.contains("`soon`")));
        assert!(
            matches!(time_claim(&claims, "z"), TimeClaim::Invalid(m) if m.contains("out of range"))
        );
    }

    #[test]
    fn clip_cuts_on_characters() {
        assert_eq!(clip("ééé", 2), "éé…");
        assert_eq!(clip("ab", 2), "ab");
    }
}
