//! The `token` link: finds the Exchange user identity token in the pasted input,
//! decodes it, and judges it the way SSI will (`token.input` .. `token.deprecation`).
//!
//! [`analyze`] is pure: the evaluation time and the expected audience come in a
//! [`TokenContext`], so every judgement is unit-tested without a clock or network.
//! The decoded [`Token`] is handed on to the later stages (amurl for the network
//! stages, x5t, signing input and signature for `key`).

mod checks;
mod decode;
mod entra;
mod kind;
mod looks_like;

pub use checks::{exchange_online_service, LIFETIME_SKEW, TOKEN_VERSION};
pub use decode::{AppctxForm, Token};
pub use kind::{classify, token_use, TokenKind, TokenUse, ENTRA, KINDS};
pub use looks_like::LooksLike;

use serde_json::Map;
use time::OffsetDateTime;

use crate::input::{clean_paste, complete_tokens, find_token, TokenCandidate};
use crate::remedy::Remedy;
use crate::report::{Check, CheckId, TokenFacts};

/// What the token is judged against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenContext {
    /// The instant the lifetime is judged at (`--now`, or the clock).
    pub now: OffsetDateTime,
    /// The add-in URL `aud` must equal (`--audience`); `None` skips the comparison.
    pub audience: Option<String>,
}

/// The token stage's result.
#[derive(Debug, Clone)]
pub struct TokenAnalysis {
    /// All ten `token.*` checks, in contract order; skipped ones included.
    pub checks: Vec<Check>,
    /// The decoded token, when header and payload decoded to JSON objects: enough
    /// for the later stages to use its amurl, x5t and signature (which may still be
    /// missing or damaged: `token.encoding` says so, and [`Token::signature`] is `None`).
    /// A token that lost its header has its payload's claims here and no header.
    pub token: Option<Token>,
    /// What was done to the input to read it (invisible characters removed,
    /// which of several tokens was judged), for the report's notes.
    pub notes: Vec<String>,
}

impl TokenAnalysis {
    /// The decoded token as reports show it (never the signature or the raw token).
    pub fn facts(&self) -> Option<TokenFacts> {
        self.token.as_ref().map(Token::facts)
    }

    /// One check's result.
    pub fn check(&self, id: CheckId) -> Option<&Check> {
        self.checks.iter().find(|c| c.id == id)
    }
}

/// The checks that judge a decoded token's content, in contract order.
const CONTENT_CHECKS: [CheckId; 8] = [
    CheckId::TokenKind,
    CheckId::TokenHeader,
    CheckId::TokenVersion,
    CheckId::TokenAmurl,
    CheckId::TokenLifetime,
    CheckId::TokenAudience,
    CheckId::TokenIssuer,
    CheckId::TokenDeprecation,
];

/// Finds, decodes and judges the token in `input` (the raw pasted text).
///
/// Always returns all ten `token.*` checks. When no token is found, everything
/// after `token.input` is skipped; when the header or payload does not decode,
/// everything after `token.encoding` is. A token whose header and payload decode
/// but whose signature is missing or damaged fails `token.encoding` and is still
/// judged, so that `decode` shows what it can.
pub fn analyze(input: &str, ctx: &TokenContext) -> TokenAnalysis {
    let cleaned = clean_paste(input);
    let input = cleaned.text.as_str();
    let mut notes = Vec::new();
    let mut checks = Vec::with_capacity(10);
    let candidate = match choose_token(input, &mut notes) {
        Some(candidate) if candidate.parts() >= 2 => candidate,
        lone => {
            checks.push(input_not_found(input, lone.as_ref()));
            skip_all(
                &mut checks,
                &[CheckId::TokenEncoding],
                "no JWT found (see token.input)",
            );
            skip_all(
                &mut checks,
                &CONTENT_CHECKS,
                "no JWT found (see token.input)",
            );
            return TokenAnalysis {
                checks,
                token: None,
                notes,
            };
        }
    };
    if cleaned.removed > 0 {
        notes.insert(0, invisible_note(cleaned.removed));
    }
    if let Some(token) = decode::payload_first(candidate.text()) {
        checks.push(header_lost(&candidate, &token));
        let reason = "the token's header is missing (see token.input)";
        skip_all(&mut checks, &[CheckId::TokenEncoding], reason);
        skip_all(&mut checks, &CONTENT_CHECKS, reason);
        return TokenAnalysis {
            checks,
            token: Some(token),
            notes,
        };
    }
    checks.push(input_found(&candidate));

    let decoded = decode::decode(candidate.text());
    checks.push(encoding_check(&decoded));
    let Some(token) = decoded.token else {
        skip_all(
            &mut checks,
            &CONTENT_CHECKS,
            "the token could not be decoded (see token.encoding)",
        );
        return TokenAnalysis {
            checks,
            token: None,
            notes,
        };
    };
    if classify(&token).id == ENTRA {
        checks.extend([
            kind::check(&token),
            entra::header(&token),
            entra::version(&token),
            entra::discovery(&token),
            checks::lifetime(&token, ctx.now),
            entra::audience(&token, ctx.audience.as_deref()),
            entra::tenant(&token),
            entra::deprecation(),
        ]);
        return TokenAnalysis {
            checks,
            token: Some(token),
            notes,
        };
    }
    checks.extend([
        kind::check(&token),
        checks::header(&token),
        checks::version(&token),
        checks::amurl(&token),
        checks::lifetime(&token, ctx.now),
        checks::audience(&token, ctx.audience.as_deref()),
        checks::issuer(&token),
        checks::deprecation(&token),
    ]);
    TokenAnalysis {
        checks,
        token: Some(token),
        notes,
    }
}

/// The note for invisible characters taken out of the pasted token.
fn invisible_note(removed: usize) -> String {
    let what = if removed == 1 {
        "1 invisible character was".to_string()
    } else {
        format!("{removed} invisible characters were")
    };
    format!(
        "{what} removed from the pasted text (zero-width spaces, soft hyphens, no-break spaces \
         and the like, which mail clients and chat tools put into long words); the token was \
         judged as if pasted cleanly"
    )
}

/// The token to judge: of several complete JWTs, the Exchange identity token
/// wherever it stands (otherwise the first), with a note naming the kinds of
/// the others; else what [`find_token`] finds.
fn choose_token(input: &str, notes: &mut Vec<String>) -> Option<TokenCandidate> {
    let all = complete_tokens(input);
    if all.len() < 2 {
        return find_token(input);
    }
    let kinds: Vec<&'static str> = all
        .iter()
        .map(|c| {
            decode::decode(c.text())
                .token
                .map_or("undecodable", |t| classify(&t).id)
        })
        .collect();
    let chosen = kinds
        .iter()
        .position(|k| *k == "exchange-identity")
        .unwrap_or(0);
    let others: Vec<String> = all
        .iter()
        .zip(&kinds)
        .enumerate()
        .filter(|(i, _)| *i != chosen)
        .map(|(_, (c, kind))| format!("{kind} at {}", where_found(c)))
        .collect();
    notes.push(format!(
        "the input holds {} JWTs: the one judged is the {} at {}; the others: {}",
        all.len(),
        kinds[chosen],
        where_found(&all[chosen]),
        others.join(", ")
    ));
    all.into_iter().nth(chosen)
}

/// `token.input` for `payload.signature`: the header was lost in copying.
fn header_lost(candidate: &TokenCandidate, token: &Token) -> Check {
    let names: Vec<&str> = token.claims().keys().map(String::as_str).take(6).collect();
    let mut check = Check::fail(
        CheckId::TokenInput,
        format!(
            "the input holds 2 parts of a token at {}, and the first is a payload (claims {}), \
             not a header: the header part (eyJ…) before it was lost in copying, so the \
             signature cannot be checked; the claims are shown below",
            where_found(candidate),
            names.join(", ")
        ),
        LooksLike::JwtFragment.remedy(),
    );
    let mut details = Map::new();
    details.insert("looks_like".into(), LooksLike::JwtFragment.id().into());
    details.insert("parts".into(), candidate.parts().into());
    details.insert("missing".into(), "header".into());
    check.details = details;
    check
}

fn skip_all(checks: &mut Vec<Check>, ids: &[CheckId], reason: &str) {
    checks.extend(ids.iter().map(|id| Check::skip(*id, reason)));
}

fn where_found(candidate: &TokenCandidate) -> String {
    format!("line {}, column {}", candidate.line(), candidate.column())
}

fn input_found(candidate: &TokenCandidate) -> Check {
    let joined = match candidate.joined_line_breaks() {
        0 => String::new(),
        1 => ", 1 line break inside it joined".to_string(),
        n => format!(", {n} line breaks inside it joined"),
    };
    let unquoted = if candidate.unquoted() {
        ", after removing e-mail quoting (>) from its lines"
    } else {
        ""
    };
    let what = if candidate.parts() == 3 {
        "a JWT"
    } else {
        "a JWT-shaped token"
    };
    Check::pass(
        CheckId::TokenInput,
        format!(
            "found {what} of {} parts and {} characters at {}{joined}{unquoted}",
            candidate.parts(),
            candidate.len(),
            where_found(candidate)
        ),
    )
    .with_detail("line", candidate.line())
    .with_detail("column", candidate.column())
    .with_detail("parts", candidate.parts())
    .with_detail("characters", candidate.len())
    .with_detail("joined_line_breaks", candidate.joined_line_breaks())
    .with_detail("unquoted_email", candidate.unquoted())
}

/// What `input` (which holds no JWT) looks like: `token.input`'s `details.looks_like`.
pub fn looks_like(input: &str) -> LooksLike {
    let input = clean_paste(input).text;
    let lone = find_token(&input);
    looks_like::classify(&input, lone.as_ref())
}

fn input_not_found(input: &str, lone: Option<&TokenCandidate>) -> Check {
    let characters = input.chars().count();
    let looks = looks_like::classify(input, lone);
    // What the user typed may hold a token glued to it: quoted only screened.
    let shown = || decode::clip(&crate::input::hide_token_text(input.trim()), 80);
    let summary = if input.is_empty() {
        "the input is empty: no token was given".to_string()
    } else if input.trim().is_empty() {
        format!("the input is only whitespace ({characters} characters): no token was given")
    } else if let Some(lone) = lone {
        let why = if lone.len() < 40 {
            "it was cut short: a token is well over 1,000 characters"
        } else {
            "was only part of the token copied?"
        };
        format!(
            "no JWT in the input: the base64url text starting with eyJ at {} ({} characters) \
             has no dots, while a JWT is header.payload.signature ({why})",
            where_found(lone),
            lone.len()
        )
    } else if looks == LooksLike::JwtFragment && input.trim().starts_with(".eyJ") {
        format!(
            "no JWT in the input ({characters} characters): it starts with a dot, so the \
             header part (eyJ…) before it is missing"
        )
    } else if looks == LooksLike::DecodedClaims {
        format!(
            "no JWT in the input ({characters} characters): this is a decoded JWT header or \
             payload (claims as JSON or a debugger's listing), not the raw token; the \
             signature is gone"
        )
    } else if looks == LooksLike::OpaqueToken {
        format!(
            "no JWT in the input: this is an opaque access token ({characters} characters \
             starting with {}), the kind nested app authentication returns for personal \
             Microsoft accounts; it is not a JWT",
            decode::clip(input.trim().trim_start_matches("Bearer "), 3)
        )
    } else if looks == LooksLike::Url {
        format!(
            "no JWT in the input: `{}` is a URL or host name, not a token; `probe` checks \
             a metadata URL or host the way SSI fetches it",
            shown()
        )
    } else if let Some(glued) = input.find("eyJ") {
        let before = &input[..glued];
        let line = before.matches('\n').count() + 1;
        let column = before[before.rfind('\n').map_or(0, |i| i + 1)..]
            .chars()
            .count()
            + 1;
        format!(
            "no JWT in the input ({characters} characters): `eyJ` at line {line}, column \
             {column} is glued to the text before it; separate the token with a space"
        )
    } else if looks == LooksLike::JwtFragment {
        format!(
            "no JWT in the input: {characters} characters of base64url with no eyJ start: \
             a piece of a token (its payload or signature) without its header"
        )
    } else if is_email_address(input) {
        format!(
            "no JWT in the input: `{}` is an e-mail address, not a token; `idtoken-doctor probe \
             {}` finds where that mailbox lives and checks its chain",
            shown(),
            shown()
        )
    } else if looks_like_a_path(input) {
        format!(
            "no JWT in the input: `{}` looks like a file name; to read a file, pass @PATH",
            shown()
        )
    } else {
        format!(
            "no JWT in the input ({characters} characters): nothing starts with eyJ, \
             as every JWT does"
        )
    };
    let mut details = Map::new();
    details.insert("input_characters".into(), characters.into());
    details.insert("looks_like".into(), looks.id().into());
    let remedy = if is_email_address(input) {
        Remedy::ProbeAddress
    } else {
        looks.remedy()
    };
    let mut check = Check::fail(CheckId::TokenInput, summary, remedy);
    check.details = details;
    check
}

/// One word that is an e-mail address (`probe` takes those), not a token.
fn is_email_address(input: &str) -> bool {
    let text = input.trim();
    !text.contains(char::is_whitespace)
        && matches!(
            crate::target::Target::parse(text),
            Err(crate::target::TargetError::EmailAddress)
        )
}

/// A short single word with a dot or slash in it, such as `token.jwt`: a file
/// name passed without its `@`.
fn looks_like_a_path(input: &str) -> bool {
    let text = input.trim();
    text.len() < 260
        && !text.contains(char::is_whitespace)
        && (text.contains('/') || text.contains('\\') || text.contains('.'))
}

/// An RSA signature is exactly as long as the key's modulus: the lengths of
/// 1024-, 2048-, 3072- and 4096-bit keys. Exchange signs with 2048 bits.
const RSA_SIGNATURE_BYTES: [usize; 4] = [128, 256, 384, 512];

/// A signature shorter than the smallest RSA key still in use (1024 bits) was
/// cut off: no RSA key can have made it.
const MIN_RSA_SIGNATURE_BYTES: usize = 128;

/// Judges the length of an RSA (`RS…`/`PS…`) token's signature: shorter than
/// any RSA key is a token cut off in copying; another odd length is suspect.
fn signature_length_check(alg: Option<&str>, signature: usize) -> Option<Check> {
    let rsa = alg.is_some_and(|a| a.starts_with("RS") || a.starts_with("PS"));
    if !rsa || signature == 0 || RSA_SIGNATURE_BYTES.contains(&signature) {
        return None;
    }
    let check = if signature < MIN_RSA_SIGNATURE_BYTES {
        Check::fail(
            CheckId::TokenEncoding,
            format!(
                "the signature is only {signature} bytes, shorter than any RSA key makes \
                 ({MIN_RSA_SIGNATURE_BYTES} bytes at least; Exchange's 2048-bit key makes 256): \
                 the token was cut off in copying"
            ),
            Remedy::TokenDamaged,
        )
    } else {
        Check::warn(
            CheckId::TokenEncoding,
            format!(
                "the signature is {signature} bytes, not the length of a common RSA key \
                 (128, 256, 384 or 512 bytes; Exchange's makes 256): the token may have been \
                 cut or altered in copying"
            ),
            Remedy::TokenDamaged,
        )
    };
    Some(
        check
            .with_detail("signature_bytes", signature)
            .with_detail("expected_bytes", RSA_SIGNATURE_BYTES.to_vec()),
    )
}

fn encoding_check(decoded: &decode::Decoded) -> Check {
    match decoded.problems.as_slice() {
        [] => {
            let signature = decoded
                .token
                .as_ref()
                .and_then(Token::signature)
                .map_or(0, <[u8]>::len);
            let alg = decoded
                .token
                .as_ref()
                .and_then(|t| t.header().get("alg"))
                .and_then(serde_json::Value::as_str);
            if let Some(check) = signature_length_check(alg, signature) {
                return check;
            }
            let padding = if decoded.padded {
                " (with = padding, tolerated)"
            } else {
                ""
            };
            Check::pass(
                CheckId::TokenEncoding,
                format!(
                    "header ({} bytes) and payload ({} bytes) are base64url JSON objects; \
                     the signature is {signature} bytes{padding}",
                    decoded.header_bytes, decoded.payload_bytes
                ),
            )
            .with_detail("header_bytes", decoded.header_bytes)
            .with_detail("payload_bytes", decoded.payload_bytes)
            .with_detail("signature_bytes", signature)
            .with_detail("padded", decoded.padded)
        }
        [first, rest @ ..] => {
            let more = match rest.len() {
                0 => String::new(),
                1 => " (and 1 more problem)".to_string(),
                n => format!(" (and {n} more problems)"),
            };
            let mut check = Check::fail(
                CheckId::TokenEncoding,
                format!("{}{more}", first.summary),
                Remedy::TokenDamaged,
            );
            check.details = first.details.clone();
            if !rest.is_empty() {
                let all: Vec<serde_json::Value> = decoded
                    .problems
                    .iter()
                    .map(|p| p.summary.clone().into())
                    .collect();
                check = check.with_detail("problems", all);
            }
            check
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;

    #[test]
    fn a_signature_shorter_than_any_rsa_key_fails_and_an_odd_length_warns() {
        let cut = signature_length_check(Some("RS256"), 30).expect("judged");
        assert_eq!(cut.status, Status::Fail);
        assert!(cut.summary.contains("only 30 bytes"), "{}", cut.summary);
        assert_eq!(cut.details["signature_bytes"], 30);
        let odd = signature_length_check(Some("RS256"), 200).expect("judged");
        assert_eq!(odd.status, Status::Warn);
        for whole in RSA_SIGNATURE_BYTES {
            assert!(signature_length_check(Some("RS256"), whole).is_none());
        }
        // An HMAC token's 32-byte signature is whole: token.kind says what it is.
        assert!(signature_length_check(Some("HS256"), 32).is_none());
        assert!(signature_length_check(None, 30).is_none());
    }
}
