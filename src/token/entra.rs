//! The token checks of a Microsoft Entra ID token (nested app
//! authentication), on the same ids as the identity token's: what each
//! judges here is the contract's table "Exchange Online and nested app
//! authentication". Pure functions of the decoded token.

use serde_json::{Map, Value};

use super::checks::audience as compare_audience;
use super::decode::{clip, describe_value, Token, SUMMARY_CLIP};
use super::kind::{token_use, TokenUse};
use crate::entra::{self, audiences, EntraIssuer};
use crate::remedy::Remedy;
use crate::report::{Check, CheckId};

fn text<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    map.get(name).and_then(Value::as_str)
}

/// The token's `iss` taken apart, when it is on an Entra authority.
pub(crate) fn issuer(token: &Token) -> Option<EntraIssuer> {
    text(token.claims(), "iss").and_then(|iss| entra::parse_issuer(iss).ok())
}

impl Token {
    /// The header's `kid`.
    pub fn kid(&self) -> Option<&str> {
        text(self.header(), "kid")
    }

    /// Whether this is a Microsoft Entra ID token (`token.kind` `entra`).
    pub fn is_entra(&self) -> bool {
        super::classify(self).id == super::ENTRA
    }

    /// The key discovery URL of an Entra token (`token.amurl`'s
    /// `details.discovery`), when its `iss` is on an Entra authority.
    pub fn discovery_url(&self) -> Option<url::Url> {
        issuer(self).map(|i| i.discovery_url())
    }

    /// What the discovery document's `issuer` must match: `iss` and `tid`.
    pub fn expected_issuer(&self) -> Option<entra::documents::ExpectedIssuer> {
        Some(entra::documents::ExpectedIssuer {
            iss: text(self.claims(), "iss")?.to_string(),
            tid: text(self.claims(), "tid")?.to_string(),
        })
    }
}

/// `token.header`: `alg` RS256 and a `kid`; a `nonce` marks a token for
/// Microsoft Graph, which only Microsoft can validate.
pub(crate) fn header(token: &Token) -> Check {
    let header = token.header();
    let mut problems = Vec::new();
    match header.get("alg") {
        Some(Value::String(alg)) if alg == "RS256" => {}
        Some(Value::String(alg)) => problems.push(format!("alg is `{}`, not RS256", clip(alg, 40))),
        Some(other) => problems.push(format!("alg is {}, not RS256", describe_value(other))),
        None => problems.push("alg is missing (RS256 expected)".to_string()),
    }
    match header.get("kid") {
        Some(Value::String(kid)) if !kid.trim().is_empty() => {}
        Some(Value::String(_)) => problems.push("kid is empty".to_string()),
        Some(other) => problems.push(format!("kid is {}, not a key id", describe_value(other))),
        None => problems
            .push("kid is missing (the id of the Entra ID key that signed the token)".to_string()),
    }
    let mut check = if header.contains_key("nonce") {
        Check::fail(
            CheckId::TokenHeader,
            "the header carries a nonce: this is a token for Microsoft Graph, whose signature \
             only Microsoft can validate (the nonce is hashed before signing)",
            Remedy::EntraMicrosoftApiToken,
        )
    } else if problems.is_empty() {
        Check::pass(
            CheckId::TokenHeader,
            format!(
                "alg RS256, kid {}",
                clip(text(header, "kid").unwrap_or_default(), SUMMARY_CLIP)
            ),
        )
    } else {
        Check::fail(
            CheckId::TokenHeader,
            format!("header: {}", problems.join("; ")),
            Remedy::EntraTokenHeader,
        )
    };
    for key in ["typ", "alg", "kid", "x5t"] {
        if let Some(Value::String(value)) = header.get(key) {
            check = check.with_detail(key, clip(value, 200));
        }
    }
    if header.contains_key("nonce") {
        check = check.with_detail("nonce", true);
    }
    check
}

/// `token.version`: `ver` is 1.0 or 2.0 and agrees with the form of `iss`.
pub(crate) fn version(token: &Token) -> Check {
    let ver = token.claims().get("ver");
    let form = issuer(token).map(|i| i.form);
    let check = match (ver, form) {
        (Some(Value::String(v)), Some(form)) if v == form.version() => Check::pass(
            CheckId::TokenVersion,
            format!("ver {v}, as the form of iss says"),
        ),
        (Some(Value::String(v)), Some(form)) if v == "1.0" || v == "2.0" => Check::fail(
            CheckId::TokenVersion,
            format!(
                "ver is {v}, but iss has the v{} form ({})",
                form.version(),
                match form {
                    entra::IssuerForm::V1 => "https://sts.windows.net/{tenant}/",
                    entra::IssuerForm::V2 => "https://{authority}/{tenant}/v2.0",
                }
            ),
            Remedy::EntraVersion,
        ),
        (Some(Value::String(v)), None) if v == "1.0" || v == "2.0" => Check::skip(
            CheckId::TokenVersion,
            format!(
                "ver {v}; iss is not an Entra ID issuer, so its form is unknown (see token.amurl)"
            ),
        ),
        (Some(Value::String(v)), _) => Check::fail(
            CheckId::TokenVersion,
            format!("ver is `{}`, not 1.0 or 2.0", clip(v, SUMMARY_CLIP)),
            Remedy::EntraVersion,
        ),
        (Some(other), _) => Check::fail(
            CheckId::TokenVersion,
            format!(
                "ver is {}, not the string 1.0 or 2.0",
                describe_value(other)
            ),
            Remedy::EntraVersion,
        ),
        (None, _) => Check::fail(
            CheckId::TokenVersion,
            "the token has no ver claim (1.0 or 2.0)",
            Remedy::EntraVersion,
        ),
    };
    let check = match ver {
        Some(Value::String(v)) => check.with_detail("ver", clip(v, 40)),
        _ => check,
    };
    match form {
        Some(form) => check.with_detail("iss_form", format!("v{}", form.version())),
        None => check,
    }
}

/// `token.amurl`: the key discovery URL that `iss` names (`details.discovery`);
/// fails when `iss` is not on an Entra authority.
pub(crate) fn discovery(token: &Token) -> Check {
    let Some(iss) = text(token.claims(), "iss") else {
        return Check::fail(
            CheckId::TokenAmurl,
            "the token has no iss claim: it does not say which Entra ID tenant issued it, so \
             its keys cannot be found",
            Remedy::EntraIssuer,
        );
    };
    match entra::parse_issuer(iss) {
        Ok(parsed) => {
            let url = parsed.discovery_url();
            Check::pass(
                CheckId::TokenAmurl,
                format!("the keys are found from {url}"),
            )
            .with_detail("discovery", url.as_str())
            .with_detail("cloud", parsed.authority.cloud.id())
            .with_detail("host", url.host_str().unwrap_or_default())
            .with_detail("port", url.port_or_known_default().unwrap_or(443))
        }
        Err(problem) => Check::fail(
            CheckId::TokenAmurl,
            format!(
                "iss `{}` is not a Microsoft Entra ID issuer: {problem}",
                clip(iss, SUMMARY_CLIP)
            ),
            Remedy::EntraIssuer,
        ),
    }
    .with_detail("iss", clip(iss, 200))
}

/// `token.audience`, judged with or without `--audience`: a Microsoft API
/// fails, an ID token warns, and `--audience` is compared as for any token.
pub(crate) fn audience(token: &Token, expected: Option<&str>) -> Check {
    let used = token_use(token.claims());
    let auds: Vec<&str> = match token.claims().get("aud") {
        Some(Value::String(aud)) => vec![aud.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if let Some((aud, api)) = auds
        .iter()
        .find_map(|aud| audiences::microsoft_api(aud).map(|api| (aud, api)))
    {
        return Check::fail(
            CheckId::TokenAudience,
            format!(
                "aud is {} ({}): a token for a Microsoft API, which no one but Microsoft can \
                 validate; the add-in must ask for a token for SSI's own API",
                clip(aud, SUMMARY_CLIP),
                api.name
            ),
            Remedy::EntraMicrosoftApiToken,
        )
        .with_detail("aud", clip(aud, 200))
        .with_detail("microsoft_api", api.name)
        .with_detail("token_use", used.id());
    }
    if expected.is_some() {
        return compare_audience(token, expected).with_detail("token_use", used.id());
    }
    let shown = auds
        .iter()
        .map(|a| clip(a, SUMMARY_CLIP))
        .collect::<Vec<_>>()
        .join(", ");
    let check = match (used, auds.is_empty()) {
        (_, true) => Check::fail(
            CheckId::TokenAudience,
            "the token has no aud claim: it does not say which API it is for",
            Remedy::EntraMicrosoftApiToken,
        ),
        (TokenUse::Id, false) => Check::warn(
            CheckId::TokenAudience,
            format!(
                "this is an ID token (aud {shown}, no scp or roles): servers are sent access \
                 tokens for their own API, not the add-in's ID token"
            ),
            Remedy::EntraIdToken,
        ),
        (TokenUse::Access, false) => Check::pass(
            CheckId::TokenAudience,
            format!(
                "an access token for {shown}, not a Microsoft API (--audience compares it with \
                 SSI's API)"
            ),
        ),
    };
    check
        .with_detail("aud", clip(&auds.join(" "), 200))
        .with_detail("token_use", used.id())
}

/// `token.issuer`: the tenant in `iss` equals `tid`.
pub(crate) fn tenant(token: &Token) -> Check {
    let tid = text(token.claims(), "tid");
    let Some(parsed) = issuer(token) else {
        return Check::skip(
            CheckId::TokenIssuer,
            "iss is not an Entra ID issuer, so its tenant is unknown (see token.amurl)",
        );
    };
    let check = match tid {
        Some(tid) if tid.eq_ignore_ascii_case(&parsed.tenant) => Check::pass(
            CheckId::TokenIssuer,
            format!("the tenant in iss is tid {}", clip(tid, SUMMARY_CLIP)),
        ),
        Some(tid) => Check::fail(
            CheckId::TokenIssuer,
            format!(
                "the tenant in iss ({}) is not tid ({}): the token was altered or assembled \
                 from two tenants",
                clip(&parsed.tenant, SUMMARY_CLIP),
                clip(tid, SUMMARY_CLIP)
            ),
            Remedy::EntraIssuer,
        ),
        None => Check::fail(
            CheckId::TokenIssuer,
            format!(
                "the token has no tid claim to compare with the tenant in iss ({})",
                clip(&parsed.tenant, SUMMARY_CLIP)
            ),
            Remedy::EntraIssuer,
        ),
    };
    let check = check.with_detail("iss_tenant", clip(&parsed.tenant, 200));
    match tid {
        Some(tid) => check.with_detail("tid", clip(tid, 200)),
        None => check,
    }
}

/// `token.deprecation`: not part of the NAA chain.
pub(crate) fn deprecation() -> Check {
    Check::skip(
        CheckId::TokenDeprecation,
        "an Entra ID token (nested app authentication): the legacy token's deprecation does not apply",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use serde_json::json;

    const TID: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";

    fn token(header: Value, claims: Value) -> Token {
        let text = format!(
            "{}.{}.c2ln",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        super::super::decode::decode(&text).token.expect("decodes")
    }

    fn v2(extra: Value) -> Token {
        let mut claims = json!({
            "iss": format!("https://login.microsoftonline.com/{TID}/v2.0"),
            "tid": TID, "ver": "2.0", "aud": "5f3c1a0e-8d4b-4d5e-9a0f-2b1c3d4e5f60",
            "scp": "access_as_user"
        });
        for (k, v) in extra.as_object().cloned().unwrap_or_default() {
            claims[k] = v;
        }
        token(json!({"typ": "JWT", "alg": "RS256", "kid": "k1"}), claims)
    }

    #[test]
    fn the_header_needs_rs256_and_a_kid_and_no_nonce() {
        assert_eq!(header(&v2(json!({}))).status, Status::Pass);
        let graph = token(
            json!({"typ": "JWT", "alg": "RS256", "kid": "k", "nonce": "abc"}),
            json!({}),
        );
        let check = header(&graph);
        assert_eq!(check.status, Status::Fail);
        assert_eq!(check.remedy, Some(Remedy::EntraMicrosoftApiToken));
        let no_kid = header(&token(json!({"alg": "HS256"}), json!({})));
        assert_eq!(no_kid.status, Status::Fail);
        assert!(
            no_kid.summary.contains("kid is missing"),
            "{}",
            no_kid.summary
        );
        assert!(no_kid.summary.contains("HS256"), "{}", no_kid.summary);
    }

    #[test]
    fn ver_must_agree_with_the_form_of_iss() {
        assert_eq!(version(&v2(json!({}))).status, Status::Pass);
        let mismatch = version(&v2(json!({"ver": "1.0"})));
        assert_eq!(mismatch.status, Status::Fail);
        assert!(
            mismatch.summary.contains("v2.0 form"),
            "{}",
            mismatch.summary
        );
        let v1 = v2(json!({"ver": "1.0", "iss": format!("https://sts.windows.net/{TID}/")}));
        assert_eq!(version(&v1).status, Status::Pass);
        assert_eq!(version(&v2(json!({"ver": "3.0"}))).status, Status::Fail);
    }

    #[test]
    fn the_discovery_url_comes_from_iss_and_other_issuers_fail() {
        let check = discovery(&v2(json!({})));
        assert_eq!(check.status, Status::Pass);
        assert_eq!(
            check.details["discovery"],
            format!(
                "https://login.microsoftonline.com/{TID}/v2.0/.well-known/openid-configuration"
            )
        );
        assert_eq!(check.details["cloud"], "public");
        let other = discovery(&v2(json!({"iss": "https://accounts.google.com"})));
        assert_eq!(other.status, Status::Fail);
        assert_eq!(other.remedy, Some(Remedy::EntraIssuer));
    }

    #[test]
    fn microsoft_apis_fail_id_tokens_warn_and_own_apis_pass() {
        let graph = audience(&v2(json!({"aud": "https://graph.microsoft.com"})), None);
        assert_eq!(graph.status, Status::Fail);
        assert!(
            graph.summary.contains("Microsoft Graph"),
            "{}",
            graph.summary
        );
        let id = v2(json!({"scp": null}));
        let mut id_claims = id.claims().clone();
        id_claims.remove("scp");
        let id = token(
            json!({"alg": "RS256", "kid": "k"}),
            Value::Object(id_claims),
        );
        assert_eq!(audience(&id, None).status, Status::Warn);
        assert_eq!(audience(&v2(json!({})), None).status, Status::Pass);
        let compared = audience(&v2(json!({})), Some("api://other"));
        assert_eq!(compared.status, Status::Fail);
    }

    #[test]
    fn the_tenant_in_iss_must_be_tid() {
        assert_eq!(tenant(&v2(json!({}))).status, Status::Pass);
        let other = tenant(&v2(json!({"tid": "9188040d-6c67-4c5b-b112-36a304b66dad"})));
        assert_eq!(other.status, Status::Fail);
        assert_eq!(other.remedy, Some(Remedy::EntraIssuer));
    }
}
