//! Entra ID's two documents, judged as SSI would read them: the tenant's
//! OpenID Connect discovery document (its `issuer` and `jwks_uri`) and the
//! JSON Web Key Set it names (`metadata.document`, `metadata.keys`,
//! `metadata.certificate`). Pure functions of the bodies and the clock.

use base64::engine::general_purpose::URL_SAFE_NO_PAD_INDIFFERENT;
use base64::Engine;
use rsa::{BigUint, RsaPublicKey};
use serde_json::{json, Map, Value};
use time::OffsetDateTime;
use url::Url;

use crate::clock;
use crate::metadata::{certificate_facts, CertificateFacts, Family};
use crate::remedy::Remedy;
use crate::report::{Check, CheckId};
use crate::text::excerpt;

/// The most keys listed in a check's details.
const MAX_KEYS_LISTED: usize = 50;

/// The placeholder of a multi-tenant discovery document's `issuer`.
const TENANT_PLACEHOLDER: &str = "{tenantid}";

/// What the token says its issuer is, for the discovery document's `issuer`
/// to be judged against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedIssuer {
    /// The token's `iss`.
    pub iss: String,
    /// The token's `tid` (put in place of `{tenantid}`).
    pub tid: String,
}

/// A discovery document as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovery {
    /// Where it was read from.
    pub url: Url,
    /// Its `issuer`.
    pub issuer: String,
    /// Its `jwks_uri`.
    pub jwks_uri: Url,
    /// The tenant id in `issuer`, when it is a GUID (not `{tenantid}`).
    pub tenant_id: Option<String>,
    /// Its `cloud_instance_name` (v1 documents and some v2 ones).
    pub cloud_instance_name: Option<String>,
}

/// Reads a discovery document: its `issuer` and an https `jwks_uri`, or the
/// failing `metadata.document` that says what is missing.
pub fn read_discovery(url: &Url, body: &[u8]) -> Result<Discovery, Check> {
    let fail = |summary: String| {
        Check::fail(CheckId::MetadataDocument, summary, Remedy::EntraDiscovery)
            .with_detail("url", url.as_str())
    };
    let top = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(top)) => top,
        Ok(_) => return Err(fail(format!("{url} is JSON but not an object"))),
        Err(e) => return Err(fail(format!("{url} is not JSON ({e})"))),
    };
    let text = |name: &str| top.get(name).and_then(Value::as_str).map(str::to_string);
    let Some(issuer) = text("issuer") else {
        return Err(fail(format!(
            "{url} is not an OpenID Connect discovery document: it has no issuer{}",
            error_words(&top)
        )));
    };
    let Some(jwks) = text("jwks_uri") else {
        return Err(fail(format!(
            "the discovery document at {url} names no jwks_uri: the keys cannot be found"
        )));
    };
    let jwks_uri = match Url::parse(&jwks) {
        Ok(u) if u.scheme() == "https" => u,
        _ => {
            return Err(fail(format!(
                "the discovery document's jwks_uri `{}` is not an https URL",
                excerpt(&jwks, 100)
            ))
            .with_detail("jwks_uri", excerpt(&jwks, 300)))
        }
    };
    let tenant_id = super::parse_issuer(&issuer)
        .ok()
        .map(|i| i.tenant)
        .filter(|t| super::is_guid(t));
    Ok(Discovery {
        url: url.clone(),
        issuer,
        jwks_uri,
        tenant_id,
        cloud_instance_name: text("cloud_instance_name"),
    })
}

/// The error an Entra answer carries (`error`, `error_description`), in words.
fn error_words(top: &Map<String, Value>) -> String {
    match (
        top.get("error").and_then(Value::as_str),
        top.get("error_description").and_then(Value::as_str),
    ) {
        (_, Some(description)) => format!(" but an error: {}", excerpt(description, 160)),
        (Some(error), None) => format!(" but an error: {}", excerpt(error, 80)),
        _ => String::new(),
    }
}

/// Judges the discovery document's `issuer` against the token's: with its
/// `{tenantid}` replaced by `tid`, it must equal `iss`. `None` when it does.
pub fn issuer_mismatch(discovery: &Discovery, expected: &ExpectedIssuer) -> Option<Check> {
    let resolved = discovery.issuer.replace(TENANT_PLACEHOLDER, &expected.tid);
    (resolved != expected.iss).then(|| {
        Check::fail(
            CheckId::MetadataDocument,
            format!(
                "the discovery document's issuer {} is not the token's iss {}: the token was \
                 issued by another tenant, cloud or version (v1 and v2 have separate documents)",
                excerpt(&resolved, 100),
                excerpt(&expected.iss, 100)
            ),
            Remedy::EntraIssuer,
        )
        .with_detail("url", discovery.url.as_str())
        .with_detail("issuer", excerpt(&discovery.issuer, 300))
        .with_detail("expected_issuer", excerpt(&expected.iss, 300))
    })
}

/// One JSON Web Key as read.
#[derive(Debug, Clone)]
pub struct Jwk {
    /// Its position in `keys`.
    pub index: usize,
    /// `kid`.
    pub kid: Option<String>,
    /// `kty`.
    pub kty: Option<String>,
    /// `use`.
    pub usage: Option<String>,
    /// `issuer`, when the key names one (Entra's per-key issuer).
    pub issuer: Option<String>,
    /// The RSA public key from `n` and `e`, when both read.
    pub rsa: Option<RsaPublicKey>,
    /// The first `x5c` certificate, when it parses.
    pub(crate) certificate: Option<CertificateFacts>,
    /// Why the key cannot verify RS256, when it cannot.
    pub unusable: Option<String>,
}

impl Jwk {
    /// How the key is named in summaries.
    pub fn label(&self) -> String {
        match &self.kid {
            Some(kid) => format!("key {}", excerpt(kid, 60)),
            None => format!("key #{} (no kid)", self.index + 1),
        }
    }

    /// Whether its `issuer`, if it names one, accepts a token with `iss` and
    /// `tid`: `{tenantid}` stands for the token's own tenant, and a key
    /// published with the v2 issuer serves the same tenant's v1 tokens too
    /// (Entra publishes one key set for both), so the tenant and cloud are
    /// what must agree.
    pub fn accepts_issuer(&self, iss: &str, tid: &str) -> bool {
        let Some(issuer) = self.issuer.as_deref() else {
            return true;
        };
        let resolved = issuer.replace(TENANT_PLACEHOLDER, tid);
        if resolved == iss {
            return true;
        }
        match (super::parse_issuer(&resolved), super::parse_issuer(iss)) {
            (Ok(key), Ok(token)) => {
                key.tenant.eq_ignore_ascii_case(&token.tenant)
                    && key.authority.cloud == token.authority.cloud
            }
            _ => false,
        }
    }

    fn facts(&self, now: OffsetDateTime) -> Value {
        let mut facts = json!({
            "kid": self.kid,
            "kty": self.kty,
            "use": self.usage,
            "rsa": self.rsa.is_some(),
        });
        if let Some(issuer) = &self.issuer {
            facts["issuer"] = excerpt(issuer, 200).into();
        }
        if let Some(c) = &self.certificate {
            facts["x5c_not_after"] = clock::rfc3339(c.not_after).into();
            facts["x5c_expired"] = (now > c.not_after).into();
        }
        facts
    }
}

/// A JSON Web Key Set as read.
#[derive(Debug, Clone)]
pub struct Jwks {
    /// Every entry of `keys`.
    pub keys: Vec<Jwk>,
}

impl Jwks {
    /// The keys that can verify RS256.
    pub fn usable(&self) -> impl Iterator<Item = &Jwk> {
        self.keys.iter().filter(|k| k.unusable.is_none())
    }

    /// The kids of the usable keys, for a summary.
    pub fn kids(&self) -> Vec<String> {
        self.usable()
            .take(MAX_KEYS_LISTED)
            .map(|k| k.kid.clone().unwrap_or_else(|| "(no kid)".to_string()))
            .collect()
    }
}

fn base64url_uint(value: Option<&Value>) -> Option<BigUint> {
    let bytes = URL_SAFE_NO_PAD_INDIFFERENT
        .decode(value?.as_str()?.trim())
        .ok()?;
    (!bytes.is_empty()).then(|| BigUint::from_bytes_be(&bytes))
}

fn read_jwk(index: usize, entry: &Value) -> Jwk {
    let object = entry.as_object();
    let text = |name: &str| {
        object
            .and_then(|o| o.get(name))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let kty = text("kty");
    let usage = text("use");
    let rsa = match (
        base64url_uint(object.and_then(|o| o.get("n"))),
        base64url_uint(object.and_then(|o| o.get("e"))),
    ) {
        (Some(n), Some(e)) => RsaPublicKey::new(n, e).ok(),
        _ => None,
    };
    let certificate = object
        .and_then(|o| o.get("x5c"))
        .and_then(Value::as_array)
        .and_then(|chain| chain.first())
        .and_then(Value::as_str)
        .and_then(|first| certificate_facts(first).ok());
    let unusable = if object.is_none() {
        Some("not a JSON object".to_string())
    } else if !kty
        .as_deref()
        .is_some_and(|k| k.eq_ignore_ascii_case("RSA"))
    {
        Some(format!(
            "kty is {}, not RSA",
            kty.as_deref()
                .map(|k| excerpt(k, 20))
                .unwrap_or("missing".into())
        ))
    } else if usage
        .as_deref()
        .is_some_and(|u| !u.eq_ignore_ascii_case("sig"))
    {
        Some(format!(
            "use is {}, not sig",
            excerpt(usage.as_deref().unwrap_or_default(), 20)
        ))
    } else if rsa.is_none() {
        Some("n and e do not form an RSA public key".to_string())
    } else {
        None
    };
    Jwk {
        index,
        kid: text("kid"),
        kty,
        usage,
        issuer: text("issuer"),
        rsa,
        certificate,
        unusable,
    }
}

/// Reads a JSON Web Key Set (a `keys` array), or the failing
/// `metadata.document` that says why it is none. `source` names where it
/// came from.
pub fn read_jwks(source: &str, body: &[u8]) -> Result<Jwks, Check> {
    let fail = |summary: String| {
        Check::fail(CheckId::MetadataDocument, summary, Remedy::EntraDiscovery)
            .with_detail("url", source)
    };
    let top = match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(top)) => top,
        Ok(_) => {
            return Err(fail(format!(
                "the key set at {source} is JSON but not an object"
            )))
        }
        Err(e) => return Err(fail(format!("the key set at {source} is not JSON ({e})"))),
    };
    match top.get("keys") {
        Some(Value::Array(entries)) => Ok(Jwks {
            keys: entries
                .iter()
                .take(crate::metadata::MAX_KEYS_EXAMINED)
                .enumerate()
                .map(|(i, e)| read_jwk(i, e))
                .collect(),
        }),
        _ => Err(fail(format!(
            "the document at {source} has no keys array: it is not a JSON Web Key Set{}",
            error_words(&top)
        ))),
    }
}

/// `metadata.document` passing: the discovery document (when there is one)
/// and the key set it names.
pub fn document_pass(discovery: Option<&Discovery>, source: &str, jwks: &Jwks) -> Check {
    let summary = match discovery {
        Some(d) => format!(
            "the discovery document's issuer {} matches the token, and its jwks_uri holds a key \
             set of {} keys",
            excerpt(&d.issuer, 100),
            jwks.keys.len()
        ),
        None => format!("{source} is a key set of {} keys", jwks.keys.len()),
    };
    let mut check = Check::pass(CheckId::MetadataDocument, summary)
        .with_detail("family", Family::EntraJwks.id())
        .with_detail("url", source);
    if let Some(d) = discovery {
        check = check
            .with_detail("discovery_family", Family::OpenIdConfiguration.id())
            .with_detail("discovery", d.url.as_str())
            .with_detail("issuer", excerpt(&d.issuer, 300))
            .with_detail("jwks_uri", d.jwks_uri.as_str());
        if let Some(tid) = &d.tenant_id {
            check = check.with_detail("tenant_id", tid.as_str());
        }
    }
    check
}

/// `metadata.keys` (an RSA signing key) and `metadata.certificate` (a warn
/// when a key's `x5c` certificate is expired).
pub fn judge_keys(jwks: &Jwks, now: OffsetDateTime) -> Vec<Check> {
    let listed: Vec<Value> = jwks
        .keys
        .iter()
        .take(MAX_KEYS_LISTED)
        .map(|k| k.facts(now))
        .collect();
    let usable = jwks.usable().count();
    let keys = if usable == 0 {
        let why: Vec<String> = jwks
            .keys
            .iter()
            .take(5)
            .map(|k| {
                format!(
                    "{}: {}",
                    k.label(),
                    k.unusable.as_deref().unwrap_or_default()
                )
            })
            .collect();
        Check::fail(
            CheckId::MetadataKeys,
            if jwks.keys.is_empty() {
                "the key set's keys array is empty: no key to verify a token with".to_string()
            } else {
                format!(
                    "none of the {} keys is an RSA signing key (kty RSA with n and e, use sig): {}",
                    jwks.keys.len(),
                    why.join("; ")
                )
            },
            Remedy::EntraNoKeys,
        )
    } else {
        Check::pass(
            CheckId::MetadataKeys,
            format!(
                "{usable} RSA signing key(s): {}",
                excerpt(&jwks.kids().join(", "), 200)
            ),
        )
    }
    .with_detail("keys", Value::Array(listed))
    .with_detail("keys_total", jwks.keys.len());
    let expired: Vec<String> = jwks
        .usable()
        .filter(|k| k.certificate.as_ref().is_some_and(|c| now > c.not_after))
        .map(Jwk::label)
        .collect();
    let certificate = if usable == 0 {
        Check::skip(
            CheckId::MetadataCertificate,
            "no RSA signing key (metadata.keys fails)",
        )
    } else if expired.is_empty() {
        Check::pass(
            CheckId::MetadataCertificate,
            "no published key's x5c certificate is expired",
        )
    } else {
        Check::warn(
            CheckId::MetadataCertificate,
            format!(
                "the x5c certificate of {} is expired",
                excerpt(&expired.join(", "), 200)
            ),
            Remedy::EntraKeyCertificate,
        )
        .with_detail("expired", expired)
    };
    vec![keys, certificate]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;

    const TID: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

    fn url() -> Url {
        Url::parse("https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration")
            .unwrap()
    }

    #[test]
    fn the_templated_issuer_takes_the_tokens_tenant() {
        let body = json!({
            "issuer": "https://login.microsoftonline.com/{tenantid}/v2.0",
            "jwks_uri": "https://login.microsoftonline.com/common/discovery/v2.0/keys"
        });
        let d = read_discovery(&url(), body.to_string().as_bytes()).unwrap();
        assert_eq!(d.tenant_id, None);
        let expected = ExpectedIssuer {
            iss: format!("https://login.microsoftonline.com/{TID}/v2.0"),
            tid: TID.to_string(),
        };
        assert!(issuer_mismatch(&d, &expected).is_none());
        let v1 = ExpectedIssuer {
            iss: format!("https://sts.windows.net/{TID}/"),
            tid: TID.to_string(),
        };
        let check = issuer_mismatch(&d, &v1).expect("v1 against v2 fails");
        assert_eq!(check.status, Status::Fail);
    }

    #[test]
    fn an_aadsts_error_or_a_missing_jwks_uri_is_no_discovery_document() {
        let error = json!({"error": "invalid_tenant", "error_description": "AADSTS90002: Tenant 'x' not found."});
        let check = read_discovery(&url(), error.to_string().as_bytes()).unwrap_err();
        assert!(check.summary.contains("AADSTS90002"), "{}", check.summary);
        let no_jwks = json!({"issuer": "https://login.microsoftonline.com/x/v2.0"});
        let check = read_discovery(&url(), no_jwks.to_string().as_bytes()).unwrap_err();
        assert!(check.summary.contains("no jwks_uri"), "{}", check.summary);
    }

    #[test]
    fn only_rsa_signing_keys_with_n_and_e_count() {
        let body = json!({"keys": [
            {"kty": "EC", "kid": "ec", "crv": "P-256"},
            {"kty": "RSA", "kid": "enc", "use": "enc", "n": "AQAB", "e": "AQAB"},
        ]});
        let jwks = read_jwks("file", body.to_string().as_bytes()).unwrap();
        let checks = judge_keys(&jwks, OffsetDateTime::now_utc());
        assert_eq!(checks[0].status, Status::Fail);
        assert!(
            checks[0].summary.contains("kty is EC"),
            "{}",
            checks[0].summary
        );
        assert_eq!(checks[1].status, Status::Skip);
        assert!(read_jwks("file", b"{\"issuer\": \"x\"}").is_err());
    }
}
