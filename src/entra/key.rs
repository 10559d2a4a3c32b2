//! The key link of an Entra ID token: `key.match` (is the header's `kid`
//! among the published keys, and does that key's `issuer` accept the
//! token?), `key.certificate` (the key's `x5c` certificate, when it has one)
//! and `key.signature` (RS256 with the key's `n` and `e`). Only public-key
//! operations happen here.

use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier as _;
use rsa::traits::PublicKeyParts as _;
use sha2::Sha256;
use time::OffsetDateTime;

use super::documents::{Jwk, Jwks};
use crate::clock;
use crate::remedy::Remedy;
use crate::report::{Check, CheckId};
use crate::text::excerpt;

/// What of the token the key link needs.
#[derive(Debug, Clone, Copy)]
pub struct SignedToken<'a> {
    /// The header's `kid`.
    pub kid: Option<&'a str>,
    /// `iss`.
    pub iss: &'a str,
    /// `tid`.
    pub tid: &'a str,
    /// `header.payload` as it appears in the token.
    pub signing_input: &'a [u8],
    /// The decoded signature.
    pub signature: &'a [u8],
}

/// `key.match`, `key.certificate` and `key.signature`, in that order.
pub fn judge(token: &SignedToken<'_>, jwks: &Jwks, now: OffsetDateTime) -> Vec<Check> {
    let skip_rest =
        |why: &str| [CheckId::KeyCertificate, CheckId::KeySignature].map(|id| Check::skip(id, why));
    let Some(kid) = token.kid.map(str::trim).filter(|k| !k.is_empty()) else {
        let why = "the token header carries no kid to look up (token.header fails)";
        let mut all = vec![Check::skip(CheckId::KeyMatch, why)];
        all.extend(skip_rest(why));
        return all;
    };
    let kids = jwks.kids();
    let Some(key) = jwks.usable().find(|k| k.kid.as_deref() == Some(kid)) else {
        let verifying = jwks
            .usable()
            .find(|k| verifies(k, token.signing_input, token.signature))
            .map(Jwk::label);
        let elsewhere = verifying
            .map(|label| format!("; the signature does verify with {label}"))
            .unwrap_or_default();
        let mut all = vec![Check::fail(
            CheckId::KeyMatch,
            format!(
                "the token's kid {} is not among the {} published keys ({}): the keys rolled \
                 over, or the token is of another tenant or cloud{elsewhere}",
                excerpt(kid, 60),
                kids.len(),
                excerpt(&kids.join(", "), 300)
            ),
            Remedy::EntraKeyNotPublished,
        )
        .with_detail("kid", excerpt(kid, 200))
        .with_detail("published_kids", kids.clone())];
        all.extend(skip_rest(
            "no published key has the token's kid (key.match fails)",
        ));
        return all;
    };
    let matched = if key.accepts_issuer(token.iss, token.tid) {
        Check::pass(
            CheckId::KeyMatch,
            format!("the token's kid is published ({})", key.label()),
        )
    } else {
        Check::fail(
            CheckId::KeyMatch,
            format!(
                "{} is published for issuer {}, which does not accept the token's iss {}",
                key.label(),
                excerpt(key.issuer.as_deref().unwrap_or_default(), 100),
                excerpt(token.iss, 100)
            ),
            Remedy::EntraKeyNotPublished,
        )
    }
    .with_detail("kid", excerpt(kid, 200))
    .with_detail("published_kids", kids);
    if matched.status.stops_the_chain() {
        let mut all = vec![matched];
        all.extend(skip_rest(
            "the key does not accept the token's issuer (key.match fails)",
        ));
        return all;
    }
    vec![
        matched,
        certificate_check(key, now),
        signature_check(key, token),
    ]
}

fn certificate_check(key: &Jwk, now: OffsetDateTime) -> Check {
    let Some(c) = &key.certificate else {
        return Check::skip(
            CheckId::KeyCertificate,
            format!(
                "{} publishes no x5c certificate: n and e are the key",
                key.label()
            ),
        );
    };
    let outside = if now > c.not_after {
        Some(format!(
            "expired {} ({})",
            clock::utc(c.not_after),
            clock::relative(c.not_after, now)
        ))
    } else if now < c.not_before {
        Some(format!(
            "is not valid yet: valid from {} ({})",
            clock::utc(c.not_before),
            clock::relative(c.not_before, now)
        ))
    } else {
        None
    };
    let check = if let Some(outside) = outside {
        Check::fail(
            CheckId::KeyCertificate,
            format!("the x5c certificate of {} {outside}", key.label()),
            Remedy::EntraKeyCertificate,
        )
    } else {
        Check::pass(
            CheckId::KeyCertificate,
            format!(
                "the x5c certificate of {} is valid until {} ({})",
                key.label(),
                clock::utc(c.not_after),
                clock::relative(c.not_after, now)
            ),
        )
    };
    check
        .with_detail("subject", c.subject.clone())
        .with_detail("not_before", clock::rfc3339(c.not_before))
        .with_detail("not_after", clock::rfc3339(c.not_after))
        .with_detail("x5t", c.computed_x5t.clone())
}

fn verifies(key: &Jwk, signing_input: &[u8], signature: &[u8]) -> bool {
    let Some(public) = key.rsa.as_ref().filter(|p| p.size() == signature.len()) else {
        return false;
    };
    let Ok(signature) = Signature::try_from(signature) else {
        return false;
    };
    VerifyingKey::<Sha256>::new(public.clone())
        .verify(signing_input, &signature)
        .is_ok()
}

fn signature_check(key: &Jwk, token: &SignedToken<'_>) -> Check {
    let check = if token.signature.is_empty() {
        Check::fail(
            CheckId::KeySignature,
            "the token has no signature (its third part is empty): it was cut in copying",
            Remedy::EntraSignature,
        )
    } else if verifies(key, token.signing_input, token.signature) {
        Check::pass(
            CheckId::KeySignature,
            format!(
                "the RS256 signature verifies with {} (n and e)",
                key.label()
            ),
        )
    } else {
        Check::fail(
            CheckId::KeySignature,
            format!(
                "the RS256 signature over header.payload does not verify with {}: the token \
                 was damaged in copying, or it is a Microsoft Graph token",
                key.label()
            ),
            Remedy::EntraSignature,
        )
    };
    check
        .with_detail("algorithm", "RS256")
        .with_detail("key", key.label())
        .with_detail("signature_bytes", token.signature.len())
}
