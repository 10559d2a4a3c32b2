//! What the input is, when it holds no JWT: `token.input`'s `details.looks_like`.
//!
//! Real tickets bring a URL where the token belongs, a token cut short, the
//! decoded claims from jwt.io or jwt.ms, or the opaque access token nested app
//! authentication returns for personal accounts. Each is told from the text
//! alone (pure, linear in the input) and gets its own remedy.

use crate::input::TokenCandidate;
use crate::remedy::Remedy;

/// What an input without a JWT looks like (the contract's vocabulary).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LooksLike {
    /// Nothing, or only whitespace.
    Empty,
    /// A URL or a host name: `probe` takes those.
    Url,
    /// Part of a token: an `eyJ…` piece without its dots, or parts missing.
    JwtFragment,
    /// A decoded header or payload, as JSON or a debugger's listing.
    DecodedClaims,
    /// An opaque access token (`EwA…`, `EwB…`), not a JWT.
    OpaqueToken,
    /// Anything else.
    Text,
}

impl LooksLike {
    /// Every value, in the contract's order.
    pub const ALL: [LooksLike; 6] = [
        LooksLike::Empty,
        LooksLike::Url,
        LooksLike::JwtFragment,
        LooksLike::DecodedClaims,
        LooksLike::OpaqueToken,
        LooksLike::Text,
    ];

    /// The stable value of `details.looks_like`.
    pub fn id(self) -> &'static str {
        match self {
            LooksLike::Empty => "empty",
            LooksLike::Url => "url",
            LooksLike::JwtFragment => "jwt-fragment",
            LooksLike::DecodedClaims => "decoded-claims",
            LooksLike::OpaqueToken => "opaque-token",
            LooksLike::Text => "text",
        }
    }

    /// What it is, in words, for the docs.
    pub fn meaning(self) -> &'static str {
        match self {
            LooksLike::Empty => "nothing was given, or only whitespace",
            LooksLike::Url => "a URL or host name, which `probe` takes",
            LooksLike::JwtFragment => {
                "part of a token: an `eyJ…` piece without its dots, a part missing, a header cut short"
            }
            LooksLike::DecodedClaims => {
                "a decoded header or payload (JSON, or a jwt.io / jwt.ms listing): the signature is gone"
            }
            LooksLike::OpaqueToken => {
                "an opaque access token (`EwA…`/`EwB…`) from nested app authentication for a personal account"
            }
            LooksLike::Text => "other text that holds no token",
        }
    }

    /// Who must do what.
    pub fn remedy(self) -> Remedy {
        match self {
            LooksLike::Empty | LooksLike::Text => Remedy::PasteToken,
            LooksLike::Url => Remedy::UseProbe,
            LooksLike::JwtFragment => Remedy::TokenTruncated,
            LooksLike::DecodedClaims => Remedy::PasteRawToken,
            LooksLike::OpaqueToken => Remedy::OpaqueToken,
        }
    }
}

/// Claim and header names of identity, callback and Entra ID tokens: several of
/// them in one paste make it decoded claims.
const CLAIM_NAMES: [&str; 22] = [
    "alg",
    "typ",
    "x5t",
    "kid",
    "iss",
    "aud",
    "exp",
    "nbf",
    "iat",
    "sub",
    "ver",
    "tid",
    "oid",
    "upn",
    "appctx",
    "appctxsender",
    "isbrowserhostedapp",
    "amurl",
    "msexchuid",
    "version",
    "nameid",
    "scp",
];

/// Headings of the jwt.io debugger's listing.
const DEBUGGER_HEADINGS: [&str; 3] = ["payload: data", "payload:data", "verify signature"];

/// File extensions that make a dotted word a file name rather than a host.
const FILE_EXTENSIONS: [&str; 14] = [
    "txt", "jwt", "json", "log", "eml", "msg", "htm", "html", "md", "csv", "xml", "har", "pem",
    "token",
];

/// What `input` looks like; `lone` is the `eyJ…` run without dots the finder
/// kept, if any.
pub fn classify(input: &str, lone: Option<&TokenCandidate>) -> LooksLike {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return LooksLike::Empty;
    }
    if lone.is_some() || trimmed.starts_with(".eyJ") {
        return LooksLike::JwtFragment;
    }
    if decoded_claims(trimmed) {
        return LooksLike::DecodedClaims;
    }
    let word = strip_wrapping(trimmed);
    if opaque_token(word) {
        return LooksLike::OpaqueToken;
    }
    if url_or_host(word) {
        return LooksLike::Url;
    }
    if token_piece(word) {
        return LooksLike::JwtFragment;
    }
    LooksLike::Text
}

/// The text without quotes, angle brackets or a `Bearer ` prefix around it,
/// and with line breaks inside it removed (a wrapped paste).
fn strip_wrapping(text: &str) -> &str {
    let text =
        text.trim_matches(|c: char| matches!(c, '"' | '\'' | '`' | '<' | '>') || c.is_whitespace());
    text.strip_prefix("Bearer ")
        .or_else(|| text.strip_prefix("bearer "))
        .unwrap_or(text)
        .trim()
}

/// Whether `word` is one word (line breaks aside) made only of `allowed`.
fn one_word(word: &str, allowed: impl Fn(char) -> bool) -> bool {
    word.lines()
        .map(str::trim)
        .all(|line| !line.is_empty() && line.chars().all(&allowed))
}

/// Several claim names, as JSON keys (`"iss": …`) or at the start of a debugger's
/// lines (`iss  https://…`), or the jwt.io debugger's headings.
fn decoded_claims(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    if DEBUGGER_HEADINGS.iter().any(|h| lower.contains(h)) && lower.contains("header") {
        return true;
    }
    let as_json_key = CLAIM_NAMES
        .iter()
        .filter(|name| {
            let quoted = format!("\"{name}\"");
            lower
                .match_indices(&quoted)
                .any(|(at, _)| lower[at + quoted.len()..].trim_start().starts_with(':'))
        })
        .count();
    if as_json_key >= 2 {
        return true;
    }
    let listed = lower
        .lines()
        .filter_map(|line| {
            line.trim_start()
                .split(|c: char| c.is_whitespace() || c == ':')
                .next()
        })
        .filter(|first| CLAIM_NAMES.contains(first))
        .count();
    listed >= 3
}

/// `EwA…`/`EwB…`: the base64 of a Microsoft account's compact ticket, hundreds
/// of characters with `+` and `/` and no dots.
fn opaque_token(word: &str) -> bool {
    let bytes = word.as_bytes();
    word.len() >= 100
        && bytes.starts_with(b"Ew")
        && bytes.get(2).is_some_and(u8::is_ascii_uppercase)
        && one_word(word, |c| {
            c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=' | '-' | '_')
        })
}

/// An http(s) URL, or a dotted host name (with a port or path, perhaps) that
/// is not a file name.
fn url_or_host(word: &str) -> bool {
    if word.contains(char::is_whitespace) {
        return false;
    }
    let lower = word.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        return url::Url::parse(word).is_ok_and(|u| u.host_str().is_some());
    }
    if word.parse::<std::net::IpAddr>().is_ok() || word.parse::<std::net::SocketAddr>().is_ok() {
        return true;
    }
    let host = lower.split(['/', ':', '?']).next().unwrap_or_default();
    let labels: Vec<&str> = host.split('.').collect();
    let Some(last) = labels.last() else {
        return false;
    };
    labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
        && last.len() >= 2
        && last.chars().all(|c| c.is_ascii_alphabetic())
        && !FILE_EXTENSIONS.contains(last)
}

/// A long run of base64url characters (and dots) that is not a token's start:
/// a signature or a payload pasted alone.
fn token_piece(word: &str) -> bool {
    word.len() >= 40
        && one_word(word, |c| {
            c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '=')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::find_token;

    fn looks(input: &str) -> &'static str {
        let lone = find_token(input);
        classify(input, lone.as_ref()).id()
    }

    #[test]
    fn empty_and_whitespace() {
        assert_eq!(looks(""), "empty");
        assert_eq!(looks(" \r\n\t"), "empty");
    }

    #[test]
    fn urls_and_hosts_but_not_files_or_addresses() {
        for url in [
            "https://mail.contoso.com/autodiscover/metadata/json/1",
            "mail.contoso.com",
            "mail.contoso.com:443",
            "mail.contoso.com/owa",
            "  \"https://outlook.office365.com\"  ",
            "203.0.113.5",
            "[2001:db8::1]:443",
        ] {
            assert_eq!(looks(url), "url", "{url}");
        }
        for not in [
            "token.txt",
            "C:\\Users\\me\\token.jwt",
            "user@contoso.com",
            "1.2.3",
        ] {
            assert_eq!(looks(not), "text", "{not}");
        }
    }

    #[test]
    fn fragments_of_tokens() {
        assert_eq!(looks("eyJhbGciOi"), "jwt-fragment");
        assert_eq!(
            looks("eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9"),
            "jwt-fragment"
        );
        assert_eq!(
            looks(".eyJhcHBjdHgiOiJ7fSJ9.c2lnbmF0dXJlYmFzZTY0dXJsYmFzZTY0dXJs"),
            "jwt-fragment"
        );
        let signature = "Xi1HxGuv6IBJEHmUtKIDUNKf1mPcEci7F3JU1h2xlO1B_ydxIyfuTsb2";
        assert_eq!(looks(signature), "jwt-fragment");
        // A GUID is not a piece of a token.
        assert_eq!(looks("53e925fa-76ba-45e1-be0f-4ef08b59d389"), "text");
    }

    #[test]
    fn decoded_claims_as_json_or_listing() {
        let header = r#"{"typ":"JWT","alg":"RS256","x5t":"Ck-Ep1Zk5A4hMdy2Ks4xLg6Y5S4"}"#;
        assert_eq!(looks(header), "decoded-claims");
        let payload = "{\n  \"aud\": \"https://addin.contoso.com/\",\n  \"iss\": \"00000002-0000-0ff1-ce00-000000000000@contoso.com\",\n  \"appctx\": \"{}\"\n}";
        assert_eq!(looks(payload), "decoded-claims");
        let jwt_ms = "aud\thttps://addin.contoso.com/\niss\t00000002-0000-0ff1-ce00-000000000000@x\nnbf\t1718887570\nexp\t1718916370";
        assert_eq!(looks(jwt_ms), "decoded-claims");
        let jwt_io = "HEADER: ALGORITHM & TOKEN TYPE\n{ \"alg\": \"RS256\" }\nPAYLOAD: DATA\n{ }";
        assert_eq!(looks(jwt_io), "decoded-claims");
        // One claim-like key in other JSON is not a decoded token.
        assert_eq!(looks(r#"{"error":"invalid","version":"1"}"#), "text");
    }

    #[test]
    fn opaque_access_tokens() {
        let ticket = format!(
            "EwBYBMl6BAAUBKgm8k1UswUNwklmy2v7U/S+1fEAAUlyhUCU{}",
            "xA+/".repeat(40)
        );
        assert_eq!(looks(&ticket), "opaque-token");
        assert_eq!(looks(&format!("Bearer {ticket}")), "opaque-token");
        // Too short, or with spaces: just text.
        assert_eq!(looks("EwBYBMl6BAAUBKgm8k1U"), "text");
        assert_eq!(looks("Ewald said: the token is missing"), "text");
    }

    #[test]
    fn every_value_has_a_distinct_id_and_a_remedy() {
        for (i, value) in LooksLike::ALL.iter().enumerate() {
            assert!(LooksLike::ALL[..i].iter().all(|v| v.id() != value.id()));
            assert!(!value.meaning().is_empty());
            let _ = value.remedy().text();
        }
    }
}
