//! Reading and judging an Exchange authentication metadata document (the
//! JSON the token's `appctx.amurl` serves): `metadata.document`,
//! `metadata.keys` and `metadata.certificate`.
//!
//! Real documents differ from Microsoft's example: key names vary in case
//! (`keyvalue`/`keyValue`), `type` and `usage` too (`x509certificate`,
//! `Signing`), `keyinfo.x5t` may be absent, the certificate may be wrapped or
//! lack padding, and JSON may escape `/` as `\/` (serde_json undoes that). So
//! every field is looked up case-insensitively and every certificate's
//! thumbprint is computed from its DER, whatever the document declares.
//!
//! The document comes from a server that may be hostile: its size, the number
//! of keys examined and the length of each certificate are capped, each
//! certificate is decoded and parsed once (identical ones only once), nesting
//! beyond serde_json's recursion limit is reported rather than followed, and
//! text taken from the document is clipped before it reaches a summary.

use std::collections::HashMap;

use base64::engine::general_purpose::{STANDARD_PAD_INDIFFERENT, URL_SAFE_PAD_INDIFFERENT};
use base64::Engine as _;
use serde_json::{json, Map, Value};
use sha1::{Digest, Sha1};
use sha2::Sha256;
use time::OffsetDateTime;
use x509_parser::public_key::PublicKey;

use crate::clock;
use crate::remedy::Remedy;
use crate::report::{Check, CheckId};
use crate::text::excerpt;

/// The largest document judged. The `http` stage reads at most 1 MiB; a saved
/// file (`--metadata FILE`) may be larger, but nothing legitimate comes near this.
pub const MAX_DOCUMENT_BYTES: usize = 32 << 20;

/// The most entries of the `keys` array examined. Real documents publish one
/// or two certificates (current and next); the rest of a larger array is
/// reported as not examined.
pub const MAX_KEYS_EXAMINED: usize = 10_000;

/// The longest `keyvalue.value` decoded, in characters. An Exchange auth
/// certificate is about 1 KB of DER (1.4 KB of base64).
pub const MAX_CERTIFICATE_CHARS: usize = 64 << 10;

/// How many keys a check's details list one by one; the count says the rest.
pub const MAX_KEYS_IN_DETAILS: usize = 50;

/// How many items a one-line summary names before saying "and N more".
const MAX_ITEMS_IN_SUMMARY: usize = 3;

/// Exchange's well-known service principal (`serviceName`, and `issuer` before the `@`).
pub const EXCHANGE_SERVICE_NAME: &str = "00000002-0000-0ff1-ce00-000000000000";

/// SharePoint's well-known service principal, whose STS serves the same format.
const SHAREPOINT_SERVICE_NAME: &str = "00000003-0000-0ff1-ce00-000000000000";

/// Azure Access Control Service's well-known service principal.
const ACS_SERVICE_NAME: &str = "00000001-0000-0000-c000-000000000000";

/// Another kind of key document than Exchange's: `metadata.document`'s
/// `details.family` (the contract's vocabulary). Users point `--metadata`, or
/// a wrong amurl, at these; each is told by its own fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// A JSON Web Key Set: `keys` of `kty`/`kid`/`x5c` (Microsoft Entra ID's
    /// `discovery/keys`, RFC 7517).
    EntraJwks,
    /// An OpenID Connect discovery document (`jwks_uri`, `authorization_endpoint`).
    OpenIdConfiguration,
    /// Azure ACS metadata (`accounts.accesscontrol.windows.net/metadata/json/1`):
    /// service 00000001-…, endpoints for issuance or management, no `keyinfo.x5t`.
    Acs,
    /// SharePoint's STS metadata (`/_layouts/15/metadata/json/1`): service and
    /// issuer 00000003-0000-0ff1-ce00-000000000000 (the real response in the samples).
    SharePointSts,
}

impl Family {
    /// Every family, in the contract's order.
    pub const ALL: [Family; 4] = [
        Family::EntraJwks,
        Family::OpenIdConfiguration,
        Family::Acs,
        Family::SharePointSts,
    ];

    /// The stable value of `details.family`.
    pub fn id(self) -> &'static str {
        match self {
            Family::EntraJwks => "entra-jwks",
            Family::OpenIdConfiguration => "openid-configuration",
            Family::Acs => "acs",
            Family::SharePointSts => "sharepoint-sts",
        }
    }

    /// What the document is, in words.
    pub fn what(self) -> &'static str {
        match self {
            Family::EntraJwks => {
                "a JSON Web Key Set (keys of kty/kid/x5c, as Microsoft Entra ID publishes them)"
            }
            Family::OpenIdConfiguration => {
                "an OpenID Connect discovery document (an identity provider's)"
            }
            Family::Acs => "Azure Access Control Service (ACS) metadata",
            Family::SharePointSts => {
                "SharePoint's STS metadata (issuer 00000003-0000-0ff1-ce00-000000000000)"
            }
        }
    }

    /// Who must do what.
    pub fn remedy(self) -> Remedy {
        match self {
            Family::EntraJwks => Remedy::MetadataFamilyJwks,
            Family::OpenIdConfiguration => Remedy::MetadataFamilyOpenId,
            Family::Acs => Remedy::MetadataFamilyAcs,
            Family::SharePointSts => Remedy::MetadataFamilySharePoint,
        }
    }
}

/// An authentication metadata document as read, with its usable keys.
#[derive(Debug, Clone, PartialEq)]
pub struct MetadataDocument {
    /// `id` (Exchange: `_` and a GUID).
    pub id: Option<String>,
    /// `version` (Exchange: `1.0`).
    pub version: Option<String>,
    /// `name` (Exchange: `Exchange`).
    pub name: Option<String>,
    /// `realm` (Exchange: `*` or the organisation's realm).
    pub realm: Option<String>,
    /// `serviceName` (Exchange: `00000002-0000-0ff1-ce00-000000000000`).
    pub service_name: Option<String>,
    /// `issuer` (Exchange: the service name, `@`, the realm).
    pub issuer: Option<String>,
    /// `allowedAudiences`, its string entries (at most [`MAX_KEYS_IN_DETAILS`]).
    pub allowed_audiences: Vec<String>,
    /// The keys with type `x509Certificate` and a parseable certificate, in document order.
    pub keys: Vec<PublishedKey>,
    /// Why each other entry of `keys` was not usable, one line each (`key 2: ...`).
    pub ignored_keys: Vec<String>,
    /// The other kind of key document this is, if it is not Exchange's.
    pub family: Option<Family>,
}

/// One usable entry of the document's `keys` array: a parsed X.509 certificate.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishedKey {
    /// Position in the document's `keys` array, counting from 1.
    pub index: usize,
    /// `usage` as written (`signing`, `Signing`), when present.
    pub usage: Option<String>,
    /// `keyinfo.x5t` as written, when present.
    pub declared_x5t: Option<String>,
    /// base64url (no padding) of the SHA-1 of the DER: what a token's `x5t` names.
    pub computed_x5t: String,
    /// The SHA-1 of the DER: the bytes `computed_x5t` encodes.
    pub sha1: [u8; 20],
    /// Upper-case hex SHA-1 of the DER, as `Get-AuthConfig` and the certificate
    /// store show the thumbprint (and as Exchange Online's `kid` carries it).
    pub thumbprint_hex: String,
    /// Lower-case hex SHA-256 of the DER.
    pub sha256_hex: String,
    /// The certificate, DER-encoded.
    pub der: Vec<u8>,
    /// The subject, as `CN=..., O=...`.
    pub subject: String,
    /// The issuer, as `CN=..., O=...` (the subject again when self-signed).
    pub issuer: String,
    /// Start of validity.
    pub not_before: OffsetDateTime,
    /// End of validity.
    pub not_after: OffsetDateTime,
    /// The public key's kind and size, such as `RSA 2048-bit`.
    pub key_algorithm: String,
    /// The SubjectPublicKeyInfo, DER-encoded: what the signature is verified with.
    pub public_key_spki_der: Vec<u8>,
}

impl PublishedKey {
    /// Whether `declared_x5t` names this certificate's own thumbprint (padding,
    /// alphabet and hex form aside); `None` when the document declares none.
    pub fn declared_x5t_consistent(&self) -> Option<bool> {
        let declared = self.declared_x5t.as_deref()?;
        Some(thumbprint_from_text(declared).is_some_and(|d| d == self.sha1))
    }

    /// A short name for summaries: `key 1 (CN=..., x5t ...)`.
    pub fn label(&self) -> String {
        format!(
            "key {} ({}, x5t {})",
            self.index,
            excerpt(&self.subject, 80),
            self.computed_x5t
        )
    }

    /// The certificate's dates for summaries: `valid 2024-01-01 .. 2029-01-01 UTC`.
    pub fn validity_text(&self) -> String {
        format!(
            "valid {} .. {}",
            clock::utc(self.not_before).trim_end_matches(" UTC"),
            clock::utc(self.not_after)
        )
    }

    /// The facts about this key, for a check's details.
    pub fn facts(&self, now: OffsetDateTime) -> Value {
        json!({
            "index": self.index,
            "usage": clipped(&self.usage),
            "subject": self.subject,
            "issuer": self.issuer,
            "not_before": clock::rfc3339(self.not_before),
            "not_after": clock::rfc3339(self.not_after),
            "expires": clock::relative(self.not_after, now),
            "declared_x5t": clipped(&self.declared_x5t),
            "computed_x5t": self.computed_x5t,
            "thumbprint": self.thumbprint_hex,
            "sha256_hex": self.sha256_hex,
            "key_algorithm": self.key_algorithm,
        })
    }
}

/// What judging a metadata document produced.
#[derive(Debug, Clone, PartialEq)]
pub struct MetadataOutcome {
    /// `metadata.document`, `metadata.keys` and `metadata.certificate`, in that order.
    pub checks: Vec<Check>,
    /// The document, when it is one (a JSON object with a `keys` array), even
    /// if none of its keys is usable.
    pub document: Option<MetadataDocument>,
}

/// Judges a metadata document's bytes at `now`: all three `metadata.*` checks.
pub fn judge(body: &[u8], now: OffsetDateTime) -> MetadataOutcome {
    let document = match read_document(body) {
        Ok(document) => document,
        Err(failed) => {
            let skip = "no metadata document to read keys from (metadata.document fails)";
            return MetadataOutcome {
                checks: vec![
                    failed,
                    Check::skip(CheckId::MetadataKeys, skip),
                    Check::skip(CheckId::MetadataCertificate, skip),
                ],
                document: None,
            };
        }
    };
    if let Some(family) = document.family {
        let skip = "not an Exchange metadata document (metadata.document fails)";
        return MetadataOutcome {
            checks: vec![
                family_check(&document, family, now),
                Check::skip(CheckId::MetadataKeys, skip),
                Check::skip(CheckId::MetadataCertificate, skip),
            ],
            document: None,
        };
    }
    let checks = vec![
        document_check(&document),
        keys_check(&document, now),
        certificate_check(&document, now),
    ];
    MetadataOutcome {
        checks,
        document: Some(document),
    }
}

/// `metadata.document` failing on a key document of another family: what it
/// is, who issues it, and the certificates it publishes (so the engineer sees
/// they are not Exchange's).
fn family_check(document: &MetadataDocument, family: Family, now: OffsetDateTime) -> Check {
    let issuer = document
        .issuer
        .as_deref()
        .map(|i| format!(", issuer `{}`", excerpt(i, 100)))
        .unwrap_or_default();
    Check::fail(
        CheckId::MetadataDocument,
        format!(
            "this is {}{issuer}, not an Exchange authentication metadata document (serviceName {EXCHANGE_SERVICE_NAME})",
            family.what()
        ),
        family.remedy(),
    )
    .with_detail("family", family.id())
    .with_detail("service_name", clipped(&document.service_name))
    .with_detail("issuer", clipped(&document.issuer))
    .with_detail("keys", keys_facts(&document.keys, now))
    .with_detail("keys_total", document.keys.len() + document.ignored_keys.len())
}

/// Whether `keys` holds JSON Web Keys (`kty`) and no key in Exchange's form (`keyvalue`).
fn is_jwks(entries: &[Value]) -> bool {
    let has = |entry: &Value, name: &str| matches!(entry, Value::Object(key) if field(key, name).is_some());
    entries.iter().any(|e| has(e, "kty")) && !entries.iter().any(|e| has(e, "keyvalue"))
}

/// The family of a document with `keys` in Exchange's form, from its service
/// principal, its endpoints and its keys, when it is not Exchange's.
fn family_of(top: &Map<String, Value>, keys: &[PublishedKey]) -> Option<Family> {
    let principal = |id: &str| {
        ["serviceName", "issuer", "name"].iter().any(|name| {
            string_field(top, name).is_some_and(|v| {
                v.get(..id.len())
                    .is_some_and(|head| head.eq_ignore_ascii_case(id))
            })
        })
    };
    if principal(SHAREPOINT_SERVICE_NAME) {
        return Some(Family::SharePointSts);
    }
    let usages: Vec<String> = match field(top, "endpoints") {
        Some(Value::Array(endpoints)) => endpoints
            .iter()
            .filter_map(|e| match e {
                Value::Object(endpoint) => string_field(endpoint, "usage"),
                _ => None,
            })
            .map(|u| u.to_ascii_lowercase())
            .collect(),
        _ => Vec::new(),
    };
    let acs_endpoints = !usages.is_empty()
        && usages.iter().all(|u| u != "metadata")
        && keys.iter().all(|k| k.declared_x5t.is_none());
    if principal(ACS_SERVICE_NAME) || acs_endpoints {
        return Some(Family::Acs);
    }
    None
}

/// Parses a metadata document without judging it: the document, or the
/// failing `metadata.document` check that says why it is none.
pub fn read_document(body: &[u8]) -> Result<MetadataDocument, Check> {
    let fail = |summary: String, remedy| Check::fail(CheckId::MetadataDocument, summary, remedy);
    if body.len() > MAX_DOCUMENT_BYTES {
        return Err(fail(
            format!(
                "the metadata document is {} bytes, more than the {} MiB judged; an Exchange metadata document is a few KB",
                body.len(),
                MAX_DOCUMENT_BYTES >> 20
            ),
            Remedy::MetadataTooLarge,
        )
        .with_detail("bytes", body.len()));
    }
    let text = strip_bom(body);
    let value: Value = match serde_json::from_slice(text) {
        Ok(value) => value,
        Err(e) => return Err(not_json_check(text, &e)),
    };
    let Value::Object(mut top) = value else {
        return Err(fail(
            format!(
                "the metadata document is {}, not a JSON object with a keys array",
                describe_value(&value)
            ),
            Remedy::MetadataNotExchange,
        ));
    };
    // The keys array is taken out of the document, so that each entry's text
    // is freed once its certificate is read (ten thousand of them make tens of MiB).
    let fields = field_names(&top);
    let keys = match field_name(&top, "keys").and_then(|name| top.remove(&name)) {
        Some(Value::Array(keys)) => keys,
        Some(other) => {
            return Err(fail(
                format!(
                    "the metadata document's `keys` is {}, not an array of keys",
                    describe_value(&other)
                ),
                Remedy::MetadataNotExchange,
            )
            .with_detail("fields", fields));
        }
        None => {
            let openid = ["jwks_uri", "authorization_endpoint", "token_endpoint"]
                .iter()
                .any(|name| field(&top, name).is_some());
            let check = fail(
                format!(
                    "the JSON is not an Exchange authentication metadata document (no keys array): it is {}",
                    describe_object(&top)
                ),
                if openid {
                    Family::OpenIdConfiguration.remedy()
                } else {
                    Remedy::MetadataNotExchange
                },
            )
            .with_detail("fields", fields);
            return Err(if openid {
                check.with_detail("family", Family::OpenIdConfiguration.id())
            } else {
                check
            });
        }
    };
    let jwks = is_jwks(&keys);
    let (keys, ignored_keys) = read_keys(keys);
    let family = if jwks {
        Some(Family::EntraJwks)
    } else {
        family_of(&top, &keys)
    };
    Ok(MetadataDocument {
        id: string_field(&top, "id"),
        version: string_field(&top, "version"),
        name: string_field(&top, "name"),
        realm: string_field(&top, "realm"),
        service_name: string_field(&top, "serviceName"),
        issuer: string_field(&top, "issuer"),
        allowed_audiences: match field(&top, "allowedAudiences") {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .take(MAX_KEYS_IN_DETAILS)
                .map(str::to_string)
                .collect(),
            Some(Value::String(one)) => vec![one.clone()],
            _ => Vec::new(),
        },
        keys,
        ignored_keys,
        family,
    })
}

/// The bytes after a UTF-8 byte order mark (IIS and .NET sometimes send one).
fn strip_bom(body: &[u8]) -> &[u8] {
    body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body)
}

/// `metadata.document` failing on bytes serde_json cannot read.
fn not_json_check(text: &[u8], e: &serde_json::Error) -> Check {
    let start = excerpt(&String::from_utf8_lossy(&text[..text.len().min(120)]), 60);
    let error = e.to_string();
    if error.contains("recursion limit") {
        return Check::fail(
            CheckId::MetadataDocument,
            format!(
                "the metadata document nests JSON arrays or objects deeper than the parser's limit of 128 levels ({error}); an Exchange metadata document is four levels deep"
            ),
            Remedy::MetadataNotExchange,
        )
        .with_detail("parse_error", error);
    }
    if error.contains("number out of range") {
        return Check::fail(
            CheckId::MetadataDocument,
            format!(
                "the metadata document is JSON, but a number in it overflows what a JSON parser holds ({error}); an Exchange metadata document has no such number"
            ),
            Remedy::MetadataNotExchange,
        )
        .with_detail("parse_error", error);
    }
    if text.iter().all(u8::is_ascii_whitespace) {
        return Check::fail(
            CheckId::MetadataDocument,
            "the metadata document is empty",
            Remedy::MetadataNotJson,
        );
    }
    let looks_like = if start.trim_start().starts_with('<') {
        " (it looks like HTML or XML)"
    } else {
        ""
    };
    Check::fail(
        CheckId::MetadataDocument,
        format!("the metadata document is not JSON{looks_like}: {error}; it starts with `{start}`"),
        Remedy::MetadataNotJson,
    )
    .with_detail("parse_error", error)
    .with_detail("starts_with", start)
}

/// The entries of `keys`, examined up to [`MAX_KEYS_EXAMINED`]: usable keys and
/// reasons for the others. Identical certificate values are decoded once.
fn read_keys(entries: Vec<Value>) -> (Vec<PublishedKey>, Vec<String>) {
    let mut keys: Vec<PublishedKey> = Vec::new();
    let mut ignored = Vec::new();
    // Each distinct value (by the SHA-1 of its text) maps to the first key
    // that carried it (or to why it is unusable); copies take their facts from
    // that key, so no certificate is decoded twice. Entries are consumed one by
    // one, so their text is freed as the keys are built.
    let mut seen: HashMap<[u8; 20], Result<usize, String>> = HashMap::new();
    let total = entries.len();
    for (position, entry) in entries.into_iter().take(MAX_KEYS_EXAMINED).enumerate() {
        let index = position + 1;
        match read_key(&entry, &mut seen, &keys) {
            Ok((usage, declared_x5t, facts)) => keys.push(PublishedKey {
                index,
                usage,
                declared_x5t,
                computed_x5t: facts.computed_x5t,
                sha1: facts.sha1,
                thumbprint_hex: facts.thumbprint_hex,
                sha256_hex: facts.sha256_hex,
                der: facts.der,
                subject: facts.subject,
                issuer: facts.issuer,
                not_before: facts.not_before,
                not_after: facts.not_after,
                key_algorithm: facts.key_algorithm,
                public_key_spki_der: facts.public_key_spki_der,
            }),
            Err(reason) => ignored.push(format!("key {index}: {reason}")),
        }
    }
    if total > MAX_KEYS_EXAMINED {
        ignored.push(format!(
            "keys {}..{}: not examined; only the first {MAX_KEYS_EXAMINED} keys are read (a real document has one or two)",
            MAX_KEYS_EXAMINED + 1,
            total
        ));
    }
    (keys, ignored)
}

/// What the certificate of one key says, computed once per distinct value.
#[derive(Debug, Clone)]
pub(crate) struct CertificateFacts {
    pub(crate) computed_x5t: String,
    pub(crate) sha1: [u8; 20],
    pub(crate) thumbprint_hex: String,
    pub(crate) sha256_hex: String,
    pub(crate) der: Vec<u8>,
    pub(crate) subject: String,
    pub(crate) issuer: String,
    pub(crate) not_before: OffsetDateTime,
    pub(crate) not_after: OffsetDateTime,
    pub(crate) key_algorithm: String,
    pub(crate) public_key_spki_der: Vec<u8>,
}

type KeyParts = (Option<String>, Option<String>, CertificateFacts);

impl CertificateFacts {
    /// The facts a usable key already carries (for another copy of its certificate).
    fn of(key: &PublishedKey) -> Self {
        CertificateFacts {
            computed_x5t: key.computed_x5t.clone(),
            sha1: key.sha1,
            thumbprint_hex: key.thumbprint_hex.clone(),
            sha256_hex: key.sha256_hex.clone(),
            der: key.der.clone(),
            subject: key.subject.clone(),
            issuer: key.issuer.clone(),
            not_before: key.not_before,
            not_after: key.not_after,
            key_algorithm: key.key_algorithm.clone(),
            public_key_spki_der: key.public_key_spki_der.clone(),
        }
    }
}

/// One entry of `keys`: its usage, declared x5t and certificate, or why it is
/// unusable. `seen` maps certificate values already met to the position in
/// `keys` of the key that carried them (which this entry, if usable, is
/// pushed after: the caller pushes every `Ok` at once).
fn read_key(
    entry: &Value,
    seen: &mut HashMap<[u8; 20], Result<usize, String>>,
    keys: &[PublishedKey],
) -> Result<KeyParts, String> {
    let Value::Object(key) = entry else {
        return Err(format!("is {}, not an object", describe_value(entry)));
    };
    let Some(keyvalue) = field(key, "keyvalue") else {
        if let Some(kty) = field(key, "kty") {
            return Err(format!(
                "has no keyvalue; it is a JSON Web Key (kty {}), so this is a JWKS key set, not Exchange's metadata format",
                excerpt(&value_text(kty), 20)
            ));
        }
        return Err(format!("has no keyvalue (fields: {})", field_list(key)));
    };
    let Value::Object(keyvalue) = keyvalue else {
        return Err(format!(
            "keyvalue is {}, not an object",
            describe_value(keyvalue)
        ));
    };
    match field(keyvalue, "type") {
        Some(Value::String(kind)) if kind.trim().eq_ignore_ascii_case("x509Certificate") => {}
        Some(Value::String(kind)) => {
            return Err(format!(
                "keyvalue.type is `{}`, not x509Certificate",
                excerpt(kind, 40)
            ))
        }
        Some(other) => {
            return Err(format!(
                "keyvalue.type is {}, not the string x509Certificate",
                describe_value(other)
            ))
        }
        None => return Err("keyvalue has no type (x509Certificate expected)".to_string()),
    }
    let value = match field(keyvalue, "value") {
        Some(Value::String(value)) => value.as_str(),
        Some(other) => {
            return Err(format!(
                "keyvalue.value is {}, not a base64 certificate",
                describe_value(other)
            ))
        }
        None => return Err("keyvalue has no value (the base64 certificate)".to_string()),
    };
    let value_digest: [u8; 20] = Sha1::digest(value.as_bytes()).into();
    let facts = match seen.get(&value_digest) {
        Some(Ok(position)) => match keys.get(*position) {
            Some(key) => CertificateFacts::of(key),
            None => certificate_facts(value)?,
        },
        Some(Err(reason)) => return Err(reason.clone()),
        None => match certificate_facts(value) {
            Ok(facts) => {
                seen.insert(value_digest, Ok(keys.len()));
                facts
            }
            Err(reason) => {
                seen.insert(value_digest, Err(reason.clone()));
                return Err(reason);
            }
        },
    };
    let usage = field(key, "usage").map(value_text);
    let declared_x5t = field(key, "keyinfo")
        .and_then(|info| info.as_object())
        .and_then(|info| field(info, "x5t"))
        .and_then(Value::as_str)
        .map(|x5t| x5t.trim().to_string())
        .filter(|x5t| !x5t.is_empty());
    Ok((usage, declared_x5t, facts))
}

/// Decodes and parses one `keyvalue.value`.
pub(crate) fn certificate_facts(value: &str) -> Result<CertificateFacts, String> {
    if value.len() > MAX_CERTIFICATE_CHARS {
        return Err(format!(
            "keyvalue.value is {} characters, more than the {} KiB accepted for a certificate (an auth certificate is about 1.4 KB of base64)",
            value.len(),
            MAX_CERTIFICATE_CHARS >> 10
        ));
    }
    let der = decode_certificate_text(value)?;
    let (rest, certificate) = x509_parser::parse_x509_certificate(&der).map_err(|e| {
        match declared_der_len(&der) {
            Some(declared) if declared > der.len() => format!(
                "the certificate is cut short: its DER encoding declares {declared} bytes but the value holds {}",
                der.len()
            ),
            _ => format!("keyvalue.value is base64 but not an X.509 certificate ({e})"),
        }
    })?;
    if !rest.is_empty() {
        return Err(format!(
            "keyvalue.value holds {} bytes after the end of the certificate",
            rest.len()
        ));
    }
    let sha1: [u8; 20] = Sha1::digest(&der).into();
    let spki = certificate.public_key();
    let key_algorithm = match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => format!("RSA {}-bit", rsa_modulus_bits(rsa.modulus)),
        Ok(PublicKey::EC(_)) => "EC".to_string(),
        Ok(_) | Err(_) => format!("{} (not RSA)", spki.algorithm.algorithm),
    };
    Ok(CertificateFacts {
        computed_x5t: base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha1),
        sha1,
        thumbprint_hex: hex_upper(&sha1),
        sha256_hex: Sha256::digest(&der)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        subject: certificate.subject().to_string(),
        issuer: certificate.issuer().to_string(),
        not_before: certificate.validity().not_before.to_datetime(),
        not_after: certificate.validity().not_after.to_datetime(),
        key_algorithm,
        public_key_spki_der: spki.raw.to_vec(),
        der: der.clone(),
    })
}

/// The DER bytes of a certificate written as base64: standard or URL-safe
/// alphabet, padding optional, whitespace and PEM armour ignored.
fn decode_certificate_text(value: &str) -> Result<Vec<u8>, String> {
    let body: String = value
        .lines()
        .filter(|line| !line.trim_start().starts_with("-----"))
        .flat_map(str::chars)
        .filter(|c| !c.is_whitespace())
        .collect();
    if body.is_empty() {
        return Err("keyvalue.value is empty".to_string());
    }
    if let Some(cut) = body.find("...").or_else(|| body.find('…')) {
        let before = &body[..cut];
        // Whole base64 quanta before the cut still decode, and a DER header
        // among them says how long the certificate was meant to be.
        let would_be = before
            .get(..before.len() / 4 * 4)
            .and_then(|quanta| STANDARD_PAD_INDIFFERENT.decode(quanta).ok())
            .and_then(|prefix| declared_der_len(&prefix))
            .map(|len| format!("; the full certificate would be {len} bytes"))
            .unwrap_or_default();
        return Err(format!(
            "the certificate is cut short: keyvalue.value breaks off with `...` after {} characters, like the shortened example in Microsoft's documentation{would_be}",
            before.chars().count()
        ));
    }
    let url_safe = body.contains(['-', '_']) && !body.contains(['+', '/']);
    let engine = if url_safe {
        &URL_SAFE_PAD_INDIFFERENT
    } else {
        &STANDARD_PAD_INDIFFERENT
    };
    engine
        .decode(body.as_bytes())
        .map_err(|e| format!("keyvalue.value is not base64 ({e})"))
}

/// The total length a DER SEQUENCE header announces, when `der` starts with one.
fn declared_der_len(der: &[u8]) -> Option<usize> {
    if der.first() != Some(&0x30) {
        return None;
    }
    let first = *der.get(1)?;
    if first < 0x80 {
        return Some(2 + usize::from(first));
    }
    let octets = usize::from(first & 0x7f);
    if octets == 0 || octets > 4 {
        return None;
    }
    let len = der
        .get(2..2 + octets)?
        .iter()
        .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
    Some(2 + octets + len)
}

/// The bit length of an RSA modulus given as big-endian bytes.
fn rsa_modulus_bits(modulus: &[u8]) -> usize {
    let significant = match modulus.iter().position(|b| *b != 0) {
        Some(first) => &modulus[first..],
        None => return 0,
    };
    significant.len() * 8 - significant[0].leading_zeros() as usize
}

/// The `x5t` of a DER certificate: base64url, no padding, of its SHA-1.
pub fn x5t_of(der: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha1::digest(der))
}

/// The 20 bytes a thumbprint text names: base64url or base64, with or without
/// padding (an `x5t`), or 40 hex digits, optionally separated by spaces or
/// colons (the certificate store's and Exchange Online's `kid` form).
/// `None` when the text is neither.
pub fn thumbprint_from_text(text: &str) -> Option<[u8; 20]> {
    let text = text.trim();
    let hex: String = text.chars().filter(|c| *c != ':' && *c != ' ').collect();
    if hex.len() == 40 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
        let mut out = [0u8; 20];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
        }
        return Some(out);
    }
    if text.len() > 28 {
        return None;
    }
    let decoded = URL_SAFE_PAD_INDIFFERENT
        .decode(text)
        .or_else(|_| STANDARD_PAD_INDIFFERENT.decode(text))
        .ok()?;
    decoded.try_into().ok()
}

/// Upper-case hex of bytes.
pub fn hex_upper(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// A field of a JSON object, its name matched exactly first, then ignoring case.
/// The name under which `object` holds `name`: exactly, or in another case.
fn field_name(object: &Map<String, Value>, name: &str) -> Option<String> {
    if object.contains_key(name) {
        return Some(name.to_string());
    }
    object
        .keys()
        .find(|key| key.eq_ignore_ascii_case(name))
        .cloned()
}

fn field<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object.get(name).or_else(|| {
        object
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value)
    })
}

/// A string-like field as text (numbers and booleans written out).
fn string_field(object: &Map<String, Value>, name: &str) -> Option<String> {
    field(object, name).and_then(|value| match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    })
}

/// A scalar as text; a container described.
fn value_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(_) | Value::Bool(_) | Value::Null => value.to_string(),
        other => describe_value(other),
    }
}

/// What a JSON value is, in a few words: `a JSON array of 3 items`.
fn describe_value(value: &Value) -> String {
    match value {
        Value::Null => "JSON null".to_string(),
        Value::Bool(b) => format!("the JSON boolean {b}"),
        Value::Number(n) => format!("the JSON number {}", excerpt(&n.to_string(), 30)),
        Value::String(s) => format!("a JSON string (`{}`)", excerpt(s, 60)),
        Value::Array(items) => format!("a JSON array of {} items", items.len()),
        Value::Object(object) => format!("a JSON object with fields {}", field_list(object)),
    }
}

/// What a JSON object without `keys` looks like: an OpenID configuration, an
/// error object, or just its field names.
fn describe_object(object: &Map<String, Value>) -> String {
    let has = |name: &str| field(object, name).is_some();
    if has("jwks_uri") || has("authorization_endpoint") || has("token_endpoint") {
        let issuer = string_field(object, "issuer")
            .map(|i| format!(" for issuer `{}`", excerpt(&i, 80)))
            .unwrap_or_default();
        return format!(
            "an OpenID Connect / OAuth discovery document{issuer} (it has jwks_uri or authorization_endpoint), so the amurl points at an identity provider, not at Exchange's /autodiscover/metadata/json/1"
        );
    }
    if let Some(message) = error_message(object) {
        return format!("a JSON error object: `{}`", excerpt(&message, 160));
    }
    if object.is_empty() {
        return "an empty JSON object".to_string();
    }
    format!("a JSON object with fields {}", field_list(object))
}

/// The message of a JSON error object (OAuth, OData, ASP.NET styles), if it is one.
fn error_message(object: &Map<String, Value>) -> Option<String> {
    let text = |value: &Value| -> Option<String> {
        match value {
            Value::String(s) => Some(s.clone()),
            Value::Object(inner) => ["message", "Message", "code"]
                .iter()
                .find_map(|name| field(inner, name))
                .map(|m| match m {
                    Value::Object(deeper) => {
                        field(deeper, "value").map(value_text).unwrap_or_default()
                    }
                    other => value_text(other),
                }),
            _ => None,
        }
    };
    let mut parts = Vec::new();
    for name in ["error", "odata.error", "code", "ErrorCode"] {
        if let Some(found) = field(object, name).and_then(text) {
            parts.push(found);
            break;
        }
    }
    for name in ["error_description", "message", "ExceptionMessage"] {
        if let Some(found) = field(object, name).and_then(text) {
            parts.push(found);
            break;
        }
    }
    (!parts.is_empty()).then(|| parts.join(": "))
}

/// Up to 8 field names of an object, clipped, and how many there are.
fn field_list(object: &Map<String, Value>) -> String {
    if object.is_empty() {
        return "(none)".to_string();
    }
    let mut names: Vec<String> = object
        .keys()
        .take(8)
        .map(|k| format!("`{}`", excerpt(k, 40)))
        .collect();
    if object.len() > 8 {
        names.push(format!("and {} more", object.len() - 8));
    }
    names.join(", ")
}

/// Up to [`MAX_KEYS_IN_DETAILS`] field names, for details.
fn field_names(object: &Map<String, Value>) -> Value {
    object
        .keys()
        .take(MAX_KEYS_IN_DETAILS)
        .map(|k| Value::String(excerpt(k, 80)))
        .collect()
}

/// The longest text taken from a document into a detail, in characters.
const MAX_DETAIL_CHARS: usize = 200;

/// An optional document string clipped for details.
fn clipped(text: &Option<String>) -> Option<String> {
    text.as_deref().map(|t| excerpt(t, MAX_DETAIL_CHARS))
}

/// Joins the first few items and says how many more there are.
pub(crate) fn join_some(items: &[String]) -> String {
    let mut shown: Vec<String> = items.iter().take(MAX_ITEMS_IN_SUMMARY).cloned().collect();
    if items.len() > MAX_ITEMS_IN_SUMMARY {
        shown.push(format!("and {} more", items.len() - MAX_ITEMS_IN_SUMMARY));
    }
    shown.join("; ")
}

/// The facts of up to [`MAX_KEYS_IN_DETAILS`] keys, for details.
pub(crate) fn keys_facts(keys: &[PublishedKey], now: OffsetDateTime) -> Value {
    keys.iter()
        .take(MAX_KEYS_IN_DETAILS)
        .map(|k| k.facts(now))
        .collect()
}

/// `metadata.document` for a document that has a keys array.
fn document_check(document: &MetadataDocument) -> Check {
    let total = document.keys.len() + document.ignored_keys.len();
    let service = match document.service_name.as_deref() {
        Some(EXCHANGE_SERVICE_NAME) => format!("serviceName {EXCHANGE_SERVICE_NAME} (Exchange)"),
        Some(SHAREPOINT_SERVICE_NAME) => format!(
            "serviceName {SHAREPOINT_SERVICE_NAME} (SharePoint's, not Exchange's {EXCHANGE_SERVICE_NAME})"
        ),
        Some(other) => format!(
            "serviceName `{}` (not Exchange's {EXCHANGE_SERVICE_NAME})",
            excerpt(other, 60)
        ),
        None => "no serviceName".to_string(),
    };
    let name = document
        .name
        .as_deref()
        .map(|n| format!("name `{}`, ", excerpt(n, 60)))
        .unwrap_or_default();
    let entries = if total == 1 { "entry" } else { "entries" };
    Check::pass(
        CheckId::MetadataDocument,
        format!("an authentication metadata document: {name}{service}, {total} {entries} in keys"),
    )
    .with_detail("id", clipped(&document.id))
    .with_detail("version", clipped(&document.version))
    .with_detail("name", clipped(&document.name))
    .with_detail("realm", clipped(&document.realm))
    .with_detail("service_name", clipped(&document.service_name))
    .with_detail("issuer", clipped(&document.issuer))
    .with_detail(
        "allowed_audiences",
        document
            .allowed_audiences
            .iter()
            .map(|a| excerpt(a, MAX_DETAIL_CHARS))
            .collect::<Vec<_>>(),
    )
    .with_detail("keys_total", total)
}

/// `metadata.keys`: at least one x509Certificate key with a parseable certificate.
fn keys_check(document: &MetadataDocument, now: OffsetDateTime) -> Check {
    let ignored: Vec<String> = document
        .ignored_keys
        .iter()
        .take(MAX_KEYS_IN_DETAILS)
        .cloned()
        .collect();
    if document.keys.is_empty() {
        let summary = if document.ignored_keys.is_empty() {
            "the metadata document's keys array is empty: no signing certificate is published"
                .to_string()
        } else {
            format!(
                "no usable signing certificate among the {} published keys: {}",
                document.ignored_keys.len(),
                join_some(&document.ignored_keys)
            )
        };
        return Check::fail(CheckId::MetadataKeys, summary, Remedy::MetadataNoKeys)
            .with_detail("ignored_keys", ignored)
            .with_detail("ignored_total", document.ignored_keys.len());
    }
    let listed: Vec<String> = document.keys.iter().map(PublishedKey::label).collect();
    let count = document.keys.len();
    let certificates = if count == 1 {
        "certificate"
    } else {
        "certificates"
    };
    let mut summary = format!(
        "{count} X.509 {certificates} published: {}",
        join_some(&listed)
    );
    if !document.ignored_keys.is_empty() {
        summary.push_str(&format!(
            "; {} other key(s) not usable: {}",
            document.ignored_keys.len(),
            join_some(&document.ignored_keys)
        ));
    }
    let not_signing: Vec<String> = document
        .keys
        .iter()
        .filter(|k| {
            k.usage
                .as_deref()
                .is_some_and(|u| !u.trim().eq_ignore_ascii_case("signing"))
        })
        .map(|k| {
            format!(
                "key {} has usage `{}`",
                k.index,
                excerpt(k.usage.as_deref().unwrap_or_default(), 30)
            )
        })
        .collect();
    if !not_signing.is_empty() {
        summary.push_str(&format!("; not for signing: {}", join_some(&not_signing)));
    }
    Check::pass(CheckId::MetadataKeys, summary)
        .with_detail("keys", keys_facts(&document.keys, now))
        .with_detail("keys_usable", count)
        .with_detail("ignored_keys", ignored)
        .with_detail("ignored_total", document.ignored_keys.len())
}

/// `metadata.certificate`: warn on expired (or not yet valid) published
/// certificates and on a declared x5t that is not the certificate's thumbprint.
fn certificate_check(document: &MetadataDocument, now: OffsetDateTime) -> Check {
    if document.keys.is_empty() {
        return Check::skip(
            CheckId::MetadataCertificate,
            "no parseable certificate is published (metadata.keys fails)",
        );
    }
    let mut problems = Vec::new();
    let mut certificates = Vec::new();
    for key in &document.keys {
        let mut issues = Vec::new();
        if key.not_after < now {
            issues.push(format!(
                "expired {} ({})",
                clock::utc(key.not_after),
                clock::relative(key.not_after, now)
            ));
        } else if key.not_before > now {
            issues.push(format!(
                "not valid until {} ({})",
                clock::utc(key.not_before),
                clock::relative(key.not_before, now)
            ));
        }
        if key.declared_x5t_consistent() == Some(false) {
            issues.push(format!(
                "declares keyinfo.x5t `{}` but its certificate's thumbprint is `{}`",
                excerpt(key.declared_x5t.as_deref().unwrap_or_default(), 60),
                key.computed_x5t
            ));
        }
        if !issues.is_empty() {
            problems.push(format!("{}: {}", key.label(), issues.join(", ")));
        }
        if certificates.len() < MAX_KEYS_IN_DETAILS {
            let mut facts = key.facts(now);
            if let Value::Object(map) = &mut facts {
                map.insert("issues".to_string(), json!(issues));
            }
            certificates.push(facts);
        }
    }
    if problems.is_empty() {
        let described: Vec<String> = document
            .keys
            .iter()
            .map(|k| {
                let declared = match k.declared_x5t {
                    None => ", no keyinfo.x5t declared (the computed thumbprint stands in)",
                    Some(_) => "",
                };
                format!("{}, {}{declared}", k.label(), k.validity_text())
            })
            .collect();
        return Check::pass(
            CheckId::MetadataCertificate,
            format!(
                "every published certificate is current: {}",
                join_some(&described)
            ),
        )
        .with_detail("certificates", certificates);
    }
    Check::warn(
        CheckId::MetadataCertificate,
        format!(
            "{} of {} published certificates need attention: {}",
            problems.len(),
            document.keys.len(),
            join_some(&problems)
        ),
        Remedy::MetadataCertificate,
    )
    .with_detail("certificates", certificates)
    .with_detail(
        "problems",
        problems
            .into_iter()
            .take(MAX_KEYS_IN_DETAILS)
            .collect::<Vec<_>>(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbprints_read_in_every_form() {
        let bytes = [0xABu8; 20];
        let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let padded = base64::engine::general_purpose::URL_SAFE.encode(bytes);
        let standard = base64::engine::general_purpose::STANDARD.encode(bytes);
        let hex = hex_upper(&bytes);
        let colons: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
        for text in [url, padded, standard, hex, colons.join(":")] {
            assert_eq!(thumbprint_from_text(&text), Some(bytes), "{text}");
        }
        assert_eq!(thumbprint_from_text("not a thumbprint"), None);
        assert_eq!(thumbprint_from_text("AAAA"), None);
        assert_eq!(thumbprint_from_text(&"A".repeat(5000)), None);
    }

    #[test]
    fn cut_certificates_are_named_whatever_precedes_the_cut() {
        let reason = decode_certificate_text("MIIHNTCC...").expect_err("cut");
        assert!(reason.contains("1849 bytes"), "{reason}");
        // A multi-byte character right where whole quanta end must not split.
        let reason = decode_certificate_text("MIIé...").expect_err("cut");
        assert!(reason.contains("after 4 characters"), "{reason}");
        let reason = decode_certificate_text("ééé…").expect_err("cut");
        assert!(reason.contains("cut short"), "{reason}");
    }

    #[test]
    fn der_length_is_read_from_the_header() {
        assert_eq!(
            declared_der_len(&[0x30, 0x82, 0x07, 0x35, 0x30]),
            Some(1849)
        );
        assert_eq!(declared_der_len(&[0x30, 0x05]), Some(7));
        assert_eq!(declared_der_len(&[0x31, 0x05]), None);
        assert_eq!(declared_der_len(&[0x30]), None);
    }

    #[test]
    fn modulus_bits_ignore_leading_zeros() {
        let mut modulus = vec![0u8];
        modulus.extend([0x80u8; 256]);
        assert_eq!(rsa_modulus_bits(&modulus), 2048);
        assert_eq!(rsa_modulus_bits(&[0x01, 0xff]), 9);
        assert_eq!(rsa_modulus_bits(&[]), 0);
    }

    #[test]
    fn excerpt_clips_and_escapes() {
        assert_eq!(excerpt("abc", 5), "abc");
        assert_eq!(excerpt("abcdef", 3), "abc…");
        assert_eq!(excerpt("a\nb", 5), "a\\nb");
    }

    #[test]
    fn fields_match_ignoring_case_exact_first() {
        let object: Map<String, Value> =
            serde_json::from_str(r#"{"KeyValue": 1, "keyvalue": 2, "Usage": 3}"#).expect("json");
        assert_eq!(field(&object, "keyvalue"), Some(&json!(2)));
        assert_eq!(field(&object, "usage"), Some(&json!(3)));
        assert_eq!(field(&object, "keyinfo"), None);
    }

    #[test]
    fn error_objects_and_openid_configurations_are_named() {
        let oidc: Map<String, Value> = serde_json::from_str(
            r#"{"issuer":"https://login.example/","jwks_uri":"https://login.example/keys"}"#,
        )
        .expect("json");
        assert!(describe_object(&oidc).contains("OpenID"));
        let error: Map<String, Value> =
            serde_json::from_str(r#"{"error":"invalid_request","error_description":"nope"}"#)
                .expect("json");
        assert_eq!(
            describe_object(&error),
            "a JSON error object: `invalid_request: nope`"
        );
        let odata: Map<String, Value> = serde_json::from_str(
            r#"{"odata.error":{"code":"-1","message":{"lang":"en","value":"Access denied"}}}"#,
        )
        .expect("json");
        assert!(
            describe_object(&odata).contains("Access denied"),
            "{}",
            describe_object(&odata)
        );
    }
}
