//! Judging the token against the metadata document: `key.match` (is the
//! token's `x5t` published?), `key.certificate` (is that certificate, the
//! Exchange Server Auth Certificate, valid?) and `key.signature` (does the
//! RS256 signature over `header.payload` verify with it?).
//!
//! Thumbprints are compared as the 20 bytes they name, not as text, so an
//! `x5t` with padding, in the standard base64 alphabet, or written as 40 hex
//! digits (Exchange Online's `kid` form, as `Get-AuthConfig` shows it) still
//! matches. The details say when the texts differ although the bytes agree,
//! since a validator comparing strings would then miss the key.
//!
//! Only public-key operations happen here (verification), so the timing
//! advisory on rsa 0.9's private-key operations (RUSTSEC-2023-0071) does not apply.

use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey as _;
use rsa::signature::Verifier as _;
use rsa::traits::PublicKeyParts as _;
use rsa::RsaPublicKey;
use serde_json::{json, Value};
use sha2::Sha256;
use time::{Duration, OffsetDateTime};

use crate::clock;
use crate::metadata::{self, join_some, MetadataDocument, PublishedKey};
use crate::remedy::Remedy;
use crate::report::{Check, CheckId};
use crate::text::excerpt;

/// Within this many days of its end, the auth certificate gets a warning
/// (Microsoft's own auth-certificate monitoring uses the same threshold).
pub const RENEW_WITHIN_DAYS: i64 = 60;

/// The most published keys a signature is tried against when looking for the
/// key that really signed (each try is one RSA public-key operation).
pub const MAX_KEYS_TRIED: usize = 64;

/// Judges the token's `x5t`, signing input and signature against `document`
/// at `now`: `key.match`, `key.certificate` and `key.signature`, in that order.
///
/// `x5t` is the token header's `x5t` (base64url SHA-1 thumbprint; padding,
/// the standard alphabet and 40 hex digits are accepted too). `signing_input`
/// is `header.payload` as it appears in the token; `signature` the decoded
/// third part.
pub fn judge(
    x5t: Option<&str>,
    signing_input: &[u8],
    signature: &[u8],
    document: &MetadataDocument,
    now: OffsetDateTime,
) -> Vec<Check> {
    let Some(x5t) = x5t.map(str::trim).filter(|x| !x.is_empty()) else {
        let reason = "the token header carries no x5t to look up (token.header fails)";
        return skip_all(reason);
    };
    if document.keys.is_empty() {
        return skip_all(
            "the metadata document publishes no usable certificate (metadata.keys fails)",
        );
    }
    let found = find_key(x5t, document);
    let Some(found) = found else {
        return vec![
            not_published(x5t, signing_input, signature, document, now),
            Check::skip(
                CheckId::KeyCertificate,
                "no published certificate matches the token's x5t (key.match fails)",
            ),
            Check::skip(
                CheckId::KeySignature,
                "no published certificate matches the token's x5t (key.match fails)",
            ),
        ];
    };
    let key = &document.keys[found.position];
    vec![
        match_check(x5t, &found, key, now),
        certificate_check(key, now),
        signature_check(key, signing_input, signature, document),
    ]
}

/// The three checks skipped for one reason.
fn skip_all(reason: &str) -> Vec<Check> {
    vec![
        Check::skip(CheckId::KeyMatch, reason),
        Check::skip(CheckId::KeyCertificate, reason),
        Check::skip(CheckId::KeySignature, reason),
    ]
}

/// How the token's x5t matched a published key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MatchKind {
    /// Declared keyinfo.x5t and the certificate's thumbprint both match.
    Both,
    /// The certificate's thumbprint matches; no keyinfo.x5t is declared.
    ComputedUndeclared,
    /// The certificate's thumbprint matches; the declared keyinfo.x5t names another.
    ComputedDeclaredDiffers,
    /// The declared keyinfo.x5t matches, but the certificate published under it
    /// has another thumbprint.
    DeclaredOnly,
}

/// The key found for the token's x5t.
#[derive(Debug, Clone, Copy)]
struct Found {
    /// Position in `document.keys`.
    position: usize,
    kind: MatchKind,
    /// The x5t texts are not identical although they name the same bytes.
    text_differs: bool,
}

/// Finds the published key for `x5t`, preferring a key whose declared and
/// computed thumbprints both match, then one whose certificate matches, then
/// one that only declares it.
fn find_key(x5t: &str, document: &MetadataDocument) -> Option<Found> {
    let wanted = metadata::thumbprint_from_text(x5t);
    let mut best: Option<Found> = None;
    for (position, key) in document.keys.iter().enumerate() {
        let computed = wanted.is_some_and(|w| w == key.sha1);
        let declared_text = key.declared_x5t.as_deref();
        let declared = declared_text.is_some_and(|d| {
            d == x5t || (wanted.is_some() && metadata::thumbprint_from_text(d) == wanted)
        });
        let kind = match (declared, computed, declared_text.is_some()) {
            (true, true, _) => MatchKind::Both,
            (false, true, false) => MatchKind::ComputedUndeclared,
            (false, true, true) => MatchKind::ComputedDeclaredDiffers,
            (true, false, _) => MatchKind::DeclaredOnly,
            (false, false, _) => continue,
        };
        let text_differs = match kind {
            MatchKind::Both | MatchKind::DeclaredOnly => declared_text != Some(x5t),
            _ => key.computed_x5t != x5t,
        };
        let candidate = Found {
            position,
            kind,
            text_differs,
        };
        let rank = |k: MatchKind| match k {
            MatchKind::Both => 0,
            MatchKind::ComputedUndeclared => 1,
            MatchKind::ComputedDeclaredDiffers => 2,
            MatchKind::DeclaredOnly => 3,
        };
        if best.is_none_or(|b| rank(kind) < rank(b.kind)) {
            best = Some(candidate);
        }
        if kind == MatchKind::Both {
            break;
        }
    }
    best
}

/// The token's x5t as the admin sees thumbprints: base64url and upper-case hex.
fn x5t_details(check: Check, x5t: &str) -> Check {
    let hex = metadata::thumbprint_from_text(x5t).map(|t| metadata::hex_upper(&t));
    check
        .with_detail("token_x5t", excerpt(x5t, 200))
        .with_detail("token_thumbprint", hex)
}

/// `key.match` when a key was found.
fn match_check(x5t: &str, found: &Found, key: &PublishedKey, now: OffsetDateTime) -> Check {
    let usage_note = match key.usage.as_deref() {
        Some(usage) if !usage.trim().eq_ignore_ascii_case("signing") => {
            format!(" (its usage is `{}`, not signing)", excerpt(usage, 30))
        }
        _ => String::new(),
    };
    let form_note = if found.text_differs {
        " (the x5t texts differ in form, padding, alphabet or hex, but name the same thumbprint)"
    } else {
        ""
    };
    let check = match found.kind {
        MatchKind::Both => Check::pass(
            CheckId::KeyMatch,
            format!(
                "the token's x5t is published: {}, {}{usage_note}{form_note}",
                key.label(),
                key.validity_text()
            ),
        ),
        MatchKind::ComputedUndeclared => Check::pass(
            CheckId::KeyMatch,
            format!(
                "the token's x5t is the thumbprint of {}, {}; the document declares no keyinfo.x5t for it, so it matched on the certificate's computed thumbprint{usage_note}",
                key.label(),
                key.validity_text()
            ),
        ),
        MatchKind::ComputedDeclaredDiffers => Check::warn(
            CheckId::KeyMatch,
            format!(
                "the token's x5t is the thumbprint of {}, but the document declares keyinfo.x5t `{}` for it: a validator that looks keys up by keyinfo.x5t, as Microsoft documents, will not find it{usage_note}",
                key.label(),
                excerpt(key.declared_x5t.as_deref().unwrap_or_default(), 60)
            ),
            Remedy::MetadataCertificate,
        ),
        MatchKind::DeclaredOnly => Check::warn(
            CheckId::KeyMatch,
            format!(
                "key {} declares the token's x5t, but the certificate published under it has thumbprint {} ({}): the document publishes another certificate under this x5t{usage_note}",
                key.index,
                key.computed_x5t,
                excerpt(&key.subject, 80)
            ),
            Remedy::MetadataCertificate,
        ),
    };
    let kind = match found.kind {
        MatchKind::Both => "declared and computed thumbprint",
        MatchKind::ComputedUndeclared => "computed thumbprint (no keyinfo.x5t declared)",
        MatchKind::ComputedDeclaredDiffers => {
            "computed thumbprint only (declared keyinfo.x5t differs)"
        }
        MatchKind::DeclaredOnly => {
            "declared keyinfo.x5t only (the certificate's thumbprint differs)"
        }
    };
    x5t_details(check, x5t)
        .with_detail("matched_on", kind)
        .with_detail("x5t_text_differs", found.text_differs)
        .with_detail("key", key.facts(now))
}

/// `key.match` failing: the token's x5t is not published.
fn not_published(
    x5t: &str,
    signing_input: &[u8],
    signature: &[u8],
    document: &MetadataDocument,
    now: OffsetDateTime,
) -> Check {
    let published: Vec<String> = document
        .keys
        .iter()
        .map(|k| {
            let declared = if k.declared_x5t_consistent() == Some(false) {
                format!(
                    " declared as `{}`",
                    excerpt(k.declared_x5t.as_deref().unwrap_or_default(), 40)
                )
            } else {
                String::new()
            };
            format!(
                "{}{declared} ({}, {})",
                k.computed_x5t,
                excerpt(&k.subject, 80),
                k.validity_text()
            )
        })
        .collect();
    let form = if metadata::thumbprint_from_text(x5t).is_none() {
        " (and it is not a base64url SHA-1 thumbprint)"
    } else {
        ""
    };
    let verifies_with = keys_that_verify(document, signing_input, signature, None);
    let signed_by = match verifies_with.first() {
        Some(&position) => format!(
            "; yet the signature verifies with {}, so the token's x5t header names the wrong certificate",
            document.keys[position].label()
        ),
        None => String::new(),
    };
    let keys = document.keys.len();
    let summary = format!(
        "the token's x5t `{}`{form} is not among the {keys} published certificate(s): {}{signed_by}",
        excerpt(x5t, 60),
        join_some(&published)
    );
    x5t_details(
        Check::fail(CheckId::KeyMatch, summary, Remedy::KeyNotPublished),
        x5t,
    )
    .with_detail("published", metadata::keys_facts(&document.keys, now))
    .with_detail("published_total", keys)
    .with_detail(
        "signature_verifies_with",
        verifies_with
            .iter()
            .map(|&p| Value::String(document.keys[p].computed_x5t.clone()))
            .collect::<Vec<_>>(),
    )
}

/// `key.certificate`: the matching certificate's validity at `now`.
fn certificate_check(key: &PublishedKey, now: OffsetDateTime) -> Check {
    let days_left = (key.not_after - now).whole_days();
    let with_facts = |check: Check| {
        check
            .with_detail("subject", key.subject.clone())
            .with_detail("issuer", key.issuer.clone())
            .with_detail("not_before", clock::rfc3339(key.not_before))
            .with_detail("not_after", clock::rfc3339(key.not_after))
            .with_detail("days_left", days_left)
            .with_detail("x5t", key.computed_x5t.clone())
            .with_detail("thumbprint", key.thumbprint_hex.clone())
    };
    let name = format!("the auth certificate {}", excerpt(&key.subject, 80));
    if now > key.not_after {
        return with_facts(Check::fail(
            CheckId::KeyCertificate,
            format!(
                "{name} (x5t {}) expired {} ({}); it was valid from {}",
                key.computed_x5t,
                clock::utc(key.not_after),
                clock::relative(key.not_after, now),
                clock::utc(key.not_before)
            ),
            Remedy::AuthCertificateExpired,
        ));
    }
    if now < key.not_before {
        return with_facts(Check::fail(
            CheckId::KeyCertificate,
            format!(
                "{name} (x5t {}) is not valid yet: valid from {} ({}) until {}",
                key.computed_x5t,
                clock::utc(key.not_before),
                clock::relative(key.not_before, now),
                clock::utc(key.not_after)
            ),
            Remedy::AuthCertificateExpired,
        ));
    }
    if key.not_after - now <= Duration::days(RENEW_WITHIN_DAYS) {
        return with_facts(Check::warn(
            CheckId::KeyCertificate,
            format!(
                "{name} (x5t {}) expires {} ({}), within {RENEW_WITHIN_DAYS} days",
                key.computed_x5t,
                clock::utc(key.not_after),
                clock::relative(key.not_after, now)
            ),
            Remedy::AuthCertificateRenewSoon,
        ));
    }
    with_facts(Check::pass(
        CheckId::KeyCertificate,
        format!(
            "{name} is valid until {} ({})",
            clock::utc(key.not_after),
            clock::relative(key.not_after, now)
        ),
    ))
}

/// Why a key could not verify anything: not RSA, or a key rsa cannot read.
fn rsa_key(key: &PublishedKey) -> Result<RsaPublicKey, String> {
    RsaPublicKey::from_public_key_der(&key.public_key_spki_der).map_err(|e| {
        if key.key_algorithm.starts_with("RSA") {
            format!(
                "its {} public key cannot be used for RS256 ({e})",
                key.key_algorithm
            )
        } else {
            format!(
                "its public key is {}, not RSA, so it cannot verify an RS256 signature",
                key.key_algorithm
            )
        }
    })
}

/// Whether `signature` is a valid RS256 signature of `signing_input` by `public`.
fn verifies(public: &RsaPublicKey, signing_input: &[u8], signature: &[u8]) -> bool {
    let Ok(signature) = Signature::try_from(signature) else {
        return false;
    };
    VerifyingKey::<Sha256>::new(public.clone())
        .verify(signing_input, &signature)
        .is_ok()
}

/// The positions of published keys (other than `except`, up to
/// [`MAX_KEYS_TRIED`] tried) whose RSA key verifies the signature.
fn keys_that_verify(
    document: &MetadataDocument,
    signing_input: &[u8],
    signature: &[u8],
    except: Option<usize>,
) -> Vec<usize> {
    if signature.is_empty() {
        return Vec::new();
    }
    document
        .keys
        .iter()
        .enumerate()
        .filter(|(position, _)| Some(*position) != except)
        .take(MAX_KEYS_TRIED)
        .filter(|(_, key)| {
            rsa_key(key)
                .map(|public| {
                    public.size() == signature.len() && verifies(&public, signing_input, signature)
                })
                .unwrap_or(false)
        })
        .map(|(position, _)| position)
        .collect()
}

/// `key.signature`: RS256 over `header.payload` with the matching key.
fn signature_check(
    key: &PublishedKey,
    signing_input: &[u8],
    signature: &[u8],
    document: &MetadataDocument,
) -> Check {
    let with_facts = |check: Check| {
        check
            .with_detail("algorithm", "RS256")
            .with_detail("key", key.label())
            .with_detail("key_algorithm", key.key_algorithm.clone())
            .with_detail("signature_bytes", signature.len())
    };
    let public = match rsa_key(key) {
        Ok(public) => public,
        Err(why) => {
            return with_facts(Check::fail(
                CheckId::KeySignature,
                format!("{} cannot verify the token: {why}", key.label()),
                Remedy::MetadataCertificate,
            ));
        }
    };
    if signature.is_empty() {
        return with_facts(Check::fail(
            CheckId::KeySignature,
            "the token has no signature (its third part is empty): it was cut in copying",
            Remedy::SignatureInvalid,
        ));
    }
    if signature.len() != public.size() {
        return with_facts(Check::fail(
            CheckId::KeySignature,
            format!(
                "the signature is {} bytes, but {} ({}) makes {}-byte signatures: the token was probably cut or damaged in copying",
                signature.len(),
                key.label(),
                key.key_algorithm,
                public.size()
            ),
            Remedy::SignatureInvalid,
        ));
    }
    if verifies(&public, signing_input, signature) {
        return with_facts(Check::pass(
            CheckId::KeySignature,
            format!("the RS256 signature verifies with {}", key.label()),
        ));
    }
    let position = document.keys.iter().position(|k| k.index == key.index);
    let others = keys_that_verify(document, signing_input, signature, position);
    let elsewhere = match others.first() {
        Some(&other) => format!(
            "; it does verify with {}, so the token's x5t names the wrong certificate",
            document.keys[other].label()
        ),
        None => String::new(),
    };
    with_facts(Check::fail(
        CheckId::KeySignature,
        format!(
            "the RS256 signature over header.payload does not verify with {}: the token was damaged in copying or signed by another server{elsewhere}",
            key.label()
        ),
        Remedy::SignatureInvalid,
    ))
    .with_detail(
        "verifies_with",
        json!(others
            .iter()
            .map(|&p| document.keys[p].computed_x5t.clone())
            .collect::<Vec<_>>()),
    )
}
