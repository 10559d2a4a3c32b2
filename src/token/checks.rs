//! The judgements of the token stage: pure functions of a decoded [`Token`].

use serde_json::{Map, Value};
use time::{Duration, OffsetDateTime};

use super::decode::{clip, describe_value, time_claim, AppctxForm, TimeClaim, Token, SUMMARY_CLIP};
use crate::clock;
use crate::remedy::Remedy;
use crate::report::{Check, CheckId};
use crate::target::{Target, TargetError, METADATA_PATH};

/// The clock skew allowed around `nbf` and `exp`.
pub const LIFETIME_SKEW: Duration = Duration::minutes(5);

/// The only token version Exchange issues and SSI accepts.
pub const TOKEN_VERSION: &str = "ExIdTok.V1";

/// Facts from the token go into details clipped to this many characters.
const DETAIL_CLIP: usize = 2000;

fn clipped(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(clip(s, DETAIL_CLIP)),
        other => other.clone(),
    }
}

/// `token.header`: typ JWT, alg RS256, x5t present.
pub(crate) fn header(token: &Token) -> Check {
    let header = token.header();
    let mut problems = Vec::new();
    let mut remarks = Vec::new();
    match header.get("typ") {
        Some(Value::String(typ)) if typ.eq_ignore_ascii_case("JWT") => {}
        Some(Value::String(typ)) => problems.push(format!("typ is `{}`, not JWT", clip(typ, 40))),
        Some(other) => problems.push(format!(
            "typ is {}, not the string JWT",
            describe_value(other)
        )),
        None => problems.push("typ is missing (JWT expected)".to_string()),
    }
    match header.get("alg") {
        Some(Value::String(alg)) if alg == "RS256" => {}
        Some(Value::String(alg)) => problems.push(format!("alg is `{}`, not RS256", clip(alg, 40))),
        Some(other) => problems.push(format!(
            "alg is {}, not the string RS256",
            describe_value(other)
        )),
        None => problems.push("alg is missing (RS256 expected)".to_string()),
    }
    match header.get("x5t") {
        Some(Value::String(x5t)) if x5t.is_empty() => {
            problems.push("x5t is empty (the signing certificate's thumbprint)".to_string())
        }
        Some(Value::String(x5t)) => {
            if thumbprint_bytes(x5t).is_none() {
                remarks.push(format!(
                    "x5t `{}` is not the base64url of a 20-byte SHA-1 thumbprint",
                    clip(x5t, 40)
                ));
            }
        }
        Some(other) => problems.push(format!(
            "x5t is {}, not a thumbprint string",
            describe_value(other)
        )),
        None => problems.push(
            "x5t is missing (the thumbprint of the certificate that signed the token)".to_string(),
        ),
    }
    let mut check = if !problems.is_empty() {
        Check::fail(
            CheckId::TokenHeader,
            format!("header: {}", problems.join("; ")),
            Remedy::TokenHeader,
        )
    } else if !remarks.is_empty() {
        Check::warn(
            CheckId::TokenHeader,
            format!("header: {}", remarks.join("; ")),
            Remedy::TokenHeader,
        )
    } else {
        let kid = match (header.get("kid"), token.x5t().and_then(thumbprint_bytes)) {
            (None, _) => String::new(),
            (Some(Value::String(kid)), Some(bytes)) if kid.eq_ignore_ascii_case(&hex(&bytes)) => {
                ", kid (the same thumbprint in hex)".to_string()
            }
            (Some(_), _) => ", kid (not the same thumbprint as x5t; SSI uses x5t)".to_string(),
        };
        Check::pass(
            CheckId::TokenHeader,
            format!(
                "typ JWT, alg RS256, x5t {}{kid}",
                token.x5t().unwrap_or_default()
            ),
        )
    };
    for key in ["typ", "alg", "x5t", "kid"] {
        if let Some(value) = header.get(key) {
            check = check.with_detail(key, clipped(value));
        }
    }
    // The admin finds certificates by the hex thumbprint Get-ExchangeCertificate
    // lists, not by x5t: show both.
    let thumbprint = token.x5t().and_then(thumbprint_bytes).map(|b| hex(&b));
    if let Some(thumbprint) = &thumbprint {
        check = check.with_detail("thumbprint", thumbprint.clone());
    }
    // Exchange Online puts the same thumbprint in hex as kid; say whether it agrees.
    if let (Some(Value::String(kid)), Some(thumbprint)) = (header.get("kid"), &thumbprint) {
        check = check.with_detail("kid_matches_x5t", kid.eq_ignore_ascii_case(thumbprint));
    }
    check
}

/// Upper-case hex, the form `kid` carries a thumbprint in.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

/// The 20 bytes of a base64url SHA-1 thumbprint.
fn thumbprint_bytes(x5t: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD_INDIFFERENT
        .decode(x5t)
        .ok()?;
    (bytes.len() == 20).then_some(bytes)
}

/// Why appctx cannot be read, for the checks that need it: `None` when it can.
fn appctx_unreadable(token: &Token) -> Option<String> {
    match token.appctx_form() {
        AppctxForm::Object | AppctxForm::JsonString => None,
        AppctxForm::Missing => Some("the payload has no appctx claim".to_string()),
        AppctxForm::Invalid(why) => Some(format!("appctx is {why}")),
    }
}

fn appctx_form_name(form: &AppctxForm) -> &'static str {
    match form {
        AppctxForm::Object => "object",
        AppctxForm::JsonString => "JSON string",
        AppctxForm::Missing => "missing",
        AppctxForm::Invalid(_) => "invalid",
    }
}

/// `token.version`: appctx.version is ExIdTok.V1. Owns the failures of appctx
/// itself (missing, neither an object nor a JSON string holding one).
pub(crate) fn version(token: &Token) -> Check {
    let form = token.appctx_form();
    if let Some(why) = appctx_unreadable(token) {
        let remedy = match form {
            AppctxForm::Missing => Remedy::TokenVersion,
            _ => Remedy::TokenClaims,
        };
        return Check::fail(
            CheckId::TokenVersion,
            format!("{why}: appctx (with version and amurl) cannot be read"),
            remedy,
        )
        .with_detail("appctx_form", appctx_form_name(form));
    }
    let check = match token.appctx().get("version") {
        Some(Value::String(v)) if v == TOKEN_VERSION => Check::pass(
            CheckId::TokenVersion,
            format!(
                "appctx.version is {TOKEN_VERSION} (appctx as a {})",
                appctx_form_name(form)
            ),
        ),
        Some(Value::String(v)) => Check::fail(
            CheckId::TokenVersion,
            format!(
                "appctx.version is `{}`, not {TOKEN_VERSION}",
                clip(v, SUMMARY_CLIP)
            ),
            Remedy::TokenVersion,
        ),
        Some(other) => Check::fail(
            CheckId::TokenVersion,
            format!(
                "appctx.version is {}, not the string {TOKEN_VERSION}",
                describe_value(other)
            ),
            Remedy::TokenClaims,
        ),
        None => Check::fail(
            CheckId::TokenVersion,
            format!("appctx has no version ({TOKEN_VERSION} expected)"),
            Remedy::TokenVersion,
        ),
    };
    let check = check.with_detail("appctx_form", appctx_form_name(form));
    match token.appctx().get("version") {
        Some(v) => check.with_detail("version", clipped(v)),
        None => check,
    }
}

/// `token.amurl`: appctx.amurl is an absolute https URL, normally on the metadata path.
pub(crate) fn amurl(token: &Token) -> Check {
    if appctx_unreadable(token).is_some() {
        return Check::skip(
            CheckId::TokenAmurl,
            "appctx cannot be read, so there is no amurl (see token.version)",
        );
    }
    let text = match token.appctx().get("amurl") {
        Some(Value::String(text)) => text,
        Some(other) => {
            return Check::fail(
                CheckId::TokenAmurl,
                format!(
                    "appctx.amurl is {}, not a URL string",
                    describe_value(other)
                ),
                Remedy::TokenClaims,
            )
        }
        None => return Check::fail(
            CheckId::TokenAmurl,
            "appctx.amurl is missing: the token does not say where its signing key is published",
            Remedy::TokenAmurl,
        ),
    };
    let shown = clip(text, SUMMARY_CLIP);
    let check = match Target::from_url(text) {
        Err(TargetError::UnsupportedScheme(scheme)) => Check::fail(
            CheckId::TokenAmurl,
            format!(
                "appctx.amurl `{shown}` uses {}, not https",
                clip(&scheme, 20)
            ),
            Remedy::TokenAmurl,
        ),
        Err(e) => Check::fail(
            CheckId::TokenAmurl,
            format!("appctx.amurl `{shown}` is {e}"),
            Remedy::TokenAmurl,
        )
        .with_detail("reason", e.to_string()),
        Ok(target) if target.is_plain_http() => Check::fail(
            CheckId::TokenAmurl,
            format!("appctx.amurl `{shown}` uses http, not https: SSI fetches the metadata only over HTTPS"),
            Remedy::UseHttps,
        ),
        Ok(target) if !target.url.path().eq_ignore_ascii_case(METADATA_PATH) => Check::warn(
            CheckId::TokenAmurl,
            format!(
                "appctx.amurl path is {}, not {METADATA_PATH} ({})",
                clip(target.url.path(), SUMMARY_CLIP),
                target.host
            ),
            Remedy::TokenAmurlPath,
        )
        .with_detail("host", target.host.clone())
        .with_detail("port", target.port),
        Ok(target) => Check::pass(CheckId::TokenAmurl, format!("appctx.amurl is {shown}"))
            .with_detail("host", target.host.clone())
            .with_detail("port", target.port),
    };
    check.with_detail("amurl", clip(text, DETAIL_CLIP))
}

/// `token.lifetime`: now lies within nbf..exp, with [`LIFETIME_SKEW`] either side.
pub(crate) fn lifetime(token: &Token, now: OffsetDateTime) -> Check {
    let nbf = time_claim(token.claims(), "nbf");
    let exp = time_claim(token.claims(), "exp");
    let mut details = Map::new();
    details.insert("now".into(), clock::rfc3339(now).into());
    details.insert("skew_seconds".into(), LIFETIME_SKEW.whole_seconds().into());
    for (name, claim) in [("nbf", &nbf), ("exp", &exp)] {
        details.insert(format!("{name}_form"), claim.form().into());
        if let Some(t) = claim.instant() {
            details.insert(name.into(), clock::rfc3339(t).into());
        }
    }
    let with_details = |mut check: Check| {
        check.details.extend(details.clone());
        check
    };
    let invalid: Vec<String> = [("nbf", &nbf), ("exp", &exp)]
        .into_iter()
        .filter_map(|(name, claim)| match claim {
            TimeClaim::Invalid(why) => Some(format!("{name} is {why}")),
            _ => None,
        })
        .collect();
    if !invalid.is_empty() {
        return with_details(Check::fail(
            CheckId::TokenLifetime,
            invalid.join("; "),
            Remedy::TokenClaims,
        ));
    }
    let Some(exp_at) = exp.instant() else {
        return with_details(Check::fail(
            CheckId::TokenLifetime,
            "the token has no exp claim: its lifetime cannot be judged",
            Remedy::TokenClaims,
        ));
    };
    let nbf_at = nbf.instant();
    if let Some(nbf_at) = nbf_at.filter(|nbf_at| *nbf_at > exp_at) {
        return with_details(Check::fail(
            CheckId::TokenLifetime,
            format!(
                "exp ({}) is before nbf ({}): the token is never valid",
                clock::utc(exp_at),
                clock::utc(nbf_at)
            ),
            Remedy::TokenClaims,
        ));
    }
    // A token may carry any date the time type holds, up to 9999-12-31 and
    // back to -9999: the skew added to such a date has nowhere to go, and a
    // date beyond the end of time is never passed (nor one before its start).
    let expired = exp_at
        .checked_add(LIFETIME_SKEW)
        .is_some_and(|latest| now > latest);
    let not_yet = |nbf_at: &OffsetDateTime| {
        nbf_at
            .checked_sub(LIFETIME_SKEW)
            .is_some_and(|earliest| now < earliest)
    };
    let check = if expired {
        Check::warn(
            CheckId::TokenLifetime,
            format!(
                "expired {} ago (exp {}, evaluated at {})",
                clock::span(now - exp_at),
                clock::utc(exp_at),
                clock::utc(now)
            ),
            Remedy::TokenLifetime,
        )
    } else if let Some(nbf_at) = nbf_at.filter(not_yet) {
        Check::warn(
            CheckId::TokenLifetime,
            format!(
                "not valid yet: nbf {} is {} (evaluated at {})",
                clock::utc(nbf_at),
                clock::relative(nbf_at, now),
                clock::utc(now)
            ),
            Remedy::TokenLifetime,
        )
    } else {
        let from = match nbf_at {
            Some(nbf_at) => format!(
                "from {} ({}) ",
                clock::utc(nbf_at),
                clock::relative(nbf_at, now)
            ),
            None => String::new(),
        };
        let skew_note = if now > exp_at || nbf_at.is_some_and(|nbf_at| now < nbf_at) {
            ", within the 5 min clock skew"
        } else {
            ""
        };
        Check::pass(
            CheckId::TokenLifetime,
            format!(
                "valid {from}until {} ({}){skew_note}",
                clock::utc(exp_at),
                clock::relative(exp_at, now)
            ),
        )
    };
    with_details(check)
}

/// The part of a URL before its query string or fragment.
fn without_query(url: &str) -> &str {
    url.split(['?', '#']).next().unwrap_or(url)
}

/// `token.audience`: aud equals `--audience` (a difference only in the query is a warn).
pub(crate) fn audience(token: &Token, expected: Option<&str>) -> Check {
    let aud = token.claims().get("aud");
    let Some(expected) = expected else {
        let shown = match aud {
            Some(Value::String(aud)) => format!(" (aud is {})", clip(aud, SUMMARY_CLIP)),
            _ => String::new(),
        };
        return Check::skip(
            CheckId::TokenAudience,
            format!("no --audience given, so aud is not compared{shown}"),
        );
    };
    let expected = expected.trim();
    let candidates: Vec<&str> = match aud {
        Some(Value::String(aud)) => vec![aud.as_str()],
        // RFC 7519 allows an array of audiences; Exchange sends one string.
        Some(Value::Array(items)) if !items.is_empty() && items.iter().all(Value::is_string) => {
            items.iter().filter_map(Value::as_str).collect()
        }
        Some(other) => {
            return Check::fail(
                CheckId::TokenAudience,
                format!(
                    "aud is {}, not the add-in URL string",
                    describe_value(other)
                ),
                Remedy::TokenClaims,
            )
            .with_detail("expected", clip(expected, DETAIL_CLIP))
        }
        None => {
            return Check::fail(
                CheckId::TokenAudience,
                "the token has no aud claim (the add-in URL)",
                Remedy::TokenAudience,
            )
            .with_detail("expected", clip(expected, DETAIL_CLIP))
        }
    };
    let shown = candidates
        .iter()
        .map(|a| clip(a, SUMMARY_CLIP))
        .collect::<Vec<_>>()
        .join(", ");
    let check = if candidates.contains(&expected) {
        Check::pass(
            CheckId::TokenAudience,
            format!("aud equals --audience ({})", clip(expected, SUMMARY_CLIP)),
        )
    } else if candidates
        .iter()
        .any(|a| without_query(a) == without_query(expected))
    {
        Check::warn(
            CheckId::TokenAudience,
            format!(
                "aud {shown} differs from --audience {} only in the query string",
                clip(expected, SUMMARY_CLIP)
            ),
            Remedy::TokenAudience,
        )
    } else {
        Check::fail(
            CheckId::TokenAudience,
            format!(
                "aud {shown} is not --audience {}",
                clip(expected, SUMMARY_CLIP)
            ),
            Remedy::TokenAudience,
        )
    };
    check
        .with_detail("aud", clipped(aud.unwrap_or(&Value::Null)))
        .with_detail("expected", clip(expected, DETAIL_CLIP))
}

/// The realm of an `id@realm` value: what follows the last `@`, when non-empty.
fn realm_of(value: &str) -> Option<&str> {
    value
        .rsplit_once('@')
        .map(|(_, realm)| realm.trim())
        .filter(|realm| !realm.is_empty())
}

/// `token.issuer`: the realms of iss, appctxsender and msexchuid agree.
pub(crate) fn issuer(token: &Token) -> Check {
    let claims = token.claims();
    let sources = [
        ("iss", claims.get("iss")),
        ("appctxsender", claims.get("appctxsender")),
        ("msexchuid", token.appctx().get("msexchuid")),
    ];
    let mut problems = Vec::new();
    let mut realms: Vec<(&str, &str)> = Vec::new();
    let mut without_realm = Vec::new();
    for (name, value) in sources {
        match value {
            Some(Value::String(text)) => match realm_of(text) {
                Some(realm) => realms.push((name, realm)),
                None => without_realm.push(name),
            },
            Some(other) => {
                problems.push(format!("{name} is {}, not a string", describe_value(other)))
            }
            // msexchuid is checked only when present; iss and appctxsender always are.
            None if name == "msexchuid" => {}
            None => problems.push(format!("{name} is missing")),
        }
    }
    let mut details = Map::new();
    for (name, realm) in &realms {
        details.insert(format!("{name}_realm"), clip(realm, DETAIL_CLIP).into());
    }
    if !without_realm.is_empty() {
        details.insert("without_realm".into(), without_realm.clone().into());
    }
    let distinct = {
        let mut seen: Vec<String> = realms.iter().map(|(_, r)| r.to_ascii_lowercase()).collect();
        seen.sort();
        seen.dedup();
        seen.len()
    };
    let listed = realms
        .iter()
        .map(|(name, realm)| format!("{name} `{}`", clip(realm, 60)))
        .collect::<Vec<_>>()
        .join(", ");
    let mut check = if !problems.is_empty() {
        Check::warn(
            CheckId::TokenIssuer,
            format!("issuer claims: {}", problems.join("; ")),
            Remedy::TokenClaims,
        )
    } else if distinct > 1 {
        Check::warn(
            CheckId::TokenIssuer,
            format!("the realms disagree: {listed}"),
            Remedy::TokenIssuer,
        )
    } else if let Some((_, realm)) = realms.first() {
        let names: Vec<&str> = realms.iter().map(|(name, _)| *name).collect();
        let names = match names.as_slice() {
            [one] => one.to_string(),
            [init @ .., last] => format!("{} and {last}", init.join(", ")),
            [] => String::new(),
        };
        let note = if without_realm.is_empty() {
            String::new()
        } else {
            format!(
                " ({} without a realm, not compared)",
                without_realm.join(", ")
            )
        };
        Check::pass(
            CheckId::TokenIssuer,
            format!("{names} name the realm `{}`{note}", clip(realm, 60)),
        )
    } else {
        Check::pass(
            CheckId::TokenIssuer,
            "no realm after @ in iss, appctxsender or msexchuid: nothing to compare",
        )
    };
    check.details.extend(details);
    check
}

/// The Exchange Online service `host` belongs to, if it does.
///
/// Only Microsoft's own domains count (a host equal to one or under it), so
/// customer hosts such as `outlook.contoso.com` never match.
pub fn exchange_online_service(host: &str) -> Option<&'static str> {
    const DOMAINS: [(&str, &str); 8] = [
        ("outlook.com", "Exchange Online"),
        ("office365.com", "Exchange Online"),
        ("office.com", "Exchange Online"),
        ("outlook.live.com", "Outlook.com (Exchange Online)"),
        ("office365.us", "Exchange Online for US Government"),
        (
            "webmail.apps.mil",
            "Exchange Online for US Government (DoD)",
        ),
        ("outlook.cn", "Exchange Online operated by 21Vianet"),
        (
            "office.de",
            "Exchange Online in Microsoft Cloud Deutschland",
        ),
    ];
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    DOMAINS.into_iter().find_map(|(domain, service)| {
        let under = host
            .strip_suffix(domain)
            .is_some_and(|rest| rest.is_empty() || rest.ends_with('.'));
        under.then_some(service)
    })
}

/// `token.deprecation`: warn when the amurl host is Exchange Online.
pub(crate) fn deprecation(token: &Token) -> Check {
    let target = token.amurl().and_then(|amurl| Target::from_url(amurl).ok());
    let Some(target) = target else {
        return Check::skip(
            CheckId::TokenDeprecation,
            "no usable amurl, so the Exchange service is unknown (see token.amurl)",
        );
    };
    match exchange_online_service(&target.host) {
        Some(service) => Check::warn(
            CheckId::TokenDeprecation,
            format!(
                "the amurl host {} is {service}, which has issued no legacy identity tokens in \
                 any tenant since 31 October 2025 (turned off from February 2025, the last \
                 exemptions ended then), so this token is old; SSI's add-in authenticates with \
                 nested app authentication there",
                target.host
            ),
            Remedy::ExchangeOnlineDeprecation,
        )
        .with_detail("host", target.host.clone())
        .with_detail("service", service),
        None => Check::pass(
            CheckId::TokenDeprecation,
            format!(
                "the amurl host {} is not Exchange Online (on-premises or hosted Exchange)",
                target.host
            ),
        )
        .with_detail("host", target.host.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exchange_online_hosts_are_recognised_and_customer_hosts_are_not() {
        for host in [
            "outlook.office365.com",
            "OUTLOOK.OFFICE365.COM.",
            "outlook.office.com",
            "by2pr06mb2229.namprd06.prod.outlook.com",
            "outlook.com",
            "outlook.live.com",
            "outlook.office365.us",
            "partner.outlook.cn",
        ] {
            assert!(exchange_online_service(host).is_some(), "{host}");
        }
        for host in [
            "outlook.contoso.com",
            "mail.contoso.com",
            "myoutlook.com",
            "outlook.com.contoso.com",
            "office365.com.evil.example",
            "contoso-office.com",
            "127.0.0.1",
        ] {
            assert!(exchange_online_service(host).is_none(), "{host}");
        }
    }

    #[test]
    fn realms_follow_the_last_at_sign() {
        assert_eq!(
            realm_of("00000002-0000-0ff1-ce00-000000000000@contoso.com"),
            Some("contoso.com")
        );
        assert_eq!(realm_of("b86a0723-f3ee-4804-853a-6e6e4dbb1590"), None);
        assert_eq!(realm_of("guid@"), None);
    }

    #[test]
    fn the_query_string_is_cut_for_audience_comparison() {
        assert_eq!(without_query("https://a/b.html?et=x#y"), "https://a/b.html");
        assert_eq!(without_query("https://a/b.html"), "https://a/b.html");
    }

    /// A token with `claims` as its payload (the signature is not judged here).
    fn token_with(claims: Value) -> Token {
        use base64::Engine;
        let b64 = |v: &Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string().as_bytes())
        };
        let header = serde_json::json!({"typ": "JWT", "alg": "RS256", "x5t": "x"});
        let text = format!("{}.{}.c2ln", b64(&header), b64(&claims));
        super::super::decode::decode(&text)
            .token
            .expect("a decodable token")
    }

    #[test]
    fn dates_at_the_ends_of_time_are_judged_without_panicking() {
        let now = time::macros::datetime!(2024-05-01 10:00:00 UTC);
        // 9999-12-31T23:59:59Z and -9999-01-01T00:00:00Z, the ends of what
        // the time type holds, as numbers and as strings (with an offset that
        // lands them out of range in UTC).
        let cases = [
            serde_json::json!({"nbf": 1_700_000_000, "exp": 253_402_300_799_i64}),
            serde_json::json!({"nbf": -377_705_116_800_i64, "exp": 253_402_300_799_i64}),
            serde_json::json!({"nbf": "-9999-01-01T00:00:00Z", "exp": "9999-12-31T23:59:59Z"}),
            serde_json::json!({"nbf": 1_700_000_000, "exp": "9999-12-31T23:59:59-23:00"}),
            serde_json::json!({"nbf": "-9999-01-01T00:00:00+23:00", "exp": 1_800_000_000}),
        ];
        for claims in cases {
            let check = lifetime(&token_with(claims.clone()), now);
            assert_ne!(
                check.status,
                crate::report::Status::Warn,
                "{claims}: {check:?}"
            );
            assert!(!check.summary.is_empty(), "{claims}");
        }
        // Judged against the far ends, `now` itself at the edge still works.
        let end = time::macros::datetime!(9999-12-31 23:59:59 UTC);
        let check = lifetime(
            &token_with(serde_json::json!({"nbf": 0, "exp": 253_402_300_799_i64})),
            end,
        );
        assert_eq!(check.status, crate::report::Status::Pass, "{check:?}");
        let range = crate::clock::parse_instant("9999-12-31T23:59:59-01:00");
        assert!(range.is_err_and(|e| e.contains("out of range")));
    }
}
