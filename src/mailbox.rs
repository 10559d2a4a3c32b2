//! The `mailbox` stage: a ticket brings an e-mail address, not a token. Exchange
//! Online's Autodiscover says where the mailbox lives; on-premises, an
//! Autodiscover answer names the EWS URL, whose host serves the amurl; in
//! Exchange Online, Entra's discovery names the domain's tenant.
//!
//! Every URL here is asked the way `probe` asks the amurl (no credentials, the
//! private-address rule, redirects reported and not followed, 1 MiB, the
//! run's one budget), except the one `Location` of Exchange Online's hybrid
//! answer, which is asked once, https only, under the same rules.
//! The judgements ([`judge_location`], [`amurl_from_ews`], [`judge_tenant`])
//! are pure functions of the answers.

use serde_json::{json, Value};
use url::Url;

use crate::budget::Budget;
use crate::http::client::Destination;
use crate::http::{self, BodyOutcome, HttpFacts};
use crate::progress::Progress;
use crate::remedy::Remedy;
use crate::report::{Check, CheckId, Stage};
use crate::settings::NetSettings;
use crate::target::Target;

/// An e-mail address given as a target: the mailbox whose chain is walked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// The address as it is put into Autodiscover URLs (domain lower-cased).
    pub text: String,
    /// The part after `@`, lower-cased.
    pub domain: String,
}

impl Address {
    /// Reads `user@domain` (a leading `mailto:` and surrounding `<>` forgiven).
    /// `None` for anything else, including text that would not stay one path
    /// segment of a URL.
    pub fn parse(text: &str) -> Option<Address> {
        let text = text.trim().trim_matches(['<', '>']);
        let text = text.strip_prefix("mailto:").unwrap_or(text);
        let (local, domain) = text.split_once('@')?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && local
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._+-'".contains(&b));
        let labels: Vec<&str> = domain.trim_end_matches('.').split('.').collect();
        let domain_ok = labels.len() >= 2
            && domain.len() <= 253
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        if !(local_ok && domain_ok) {
            return None;
        }
        let domain = labels.join(".").to_ascii_lowercase();
        Some(Address {
            text: format!("{local}@{domain}"),
            domain,
        })
    }
}

/// Whose Autodiscover an endpoint is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Asked {
    /// Exchange Online's, which answers for every cloud and knows hybrid mailboxes.
    ExchangeOnline,
    /// The customer's own Exchange (Autodiscover v2).
    Customer,
}

/// One Autodiscover URL the stage asks, with its public source.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint {
    /// Whose Autodiscover it is.
    pub asked: Asked,
    /// The URL, `{address}` and `{domain}` to fill in.
    pub template: &'static str,
    /// Where the URL and its meaning are documented.
    pub source: &'static str,
}

impl Endpoint {
    /// The URL for `address`.
    pub fn url(&self, address: &Address) -> Option<Url> {
        let text = self
            .template
            .replace("{address}", &address.text)
            .replace("{domain}", &address.domain);
        Url::parse(&text).ok()
    }
}

/// The Autodiscover URLs, in the order they are asked.
pub const AUTODISCOVER: &[Endpoint] = &[
    Endpoint {
        asked: Asked::ExchangeOnline,
        template: "https://outlook.office365.com/autodiscover/autodiscover.json/v1.0/{address}?Protocol=EWS&ServerLocation=true",
        source: "Microsoft's NAA FAQ (https://aka.ms/naafaq): online mailboxes return a ServerLocation key, on-premises ones do not; CSS-Exchange Shared/Get-ProtocolEndpointViaAutoDv2.ps1 asks this URL for every cloud",
    },
    Endpoint {
        asked: Asked::Customer,
        template: "https://autodiscover.{domain}/autodiscover/autodiscover.json/v1.0/{address}?Protocol=EWS",
        source: "CSS-Exchange Shared/Get-ProtocolEndpointViaAutoDv2.ps1: the same path on the customer's Autodiscover host for Exchange Server (which ignores ServerLocation)",
    },
    Endpoint {
        asked: Asked::Customer,
        template: "https://{domain}/autodiscover/autodiscover.json/v1.0/{address}?Protocol=EWS",
        source: "Exchange Autodiscover's published lookup order: autodiscover.{domain}, then {domain} itself (Microsoft Learn, Autodiscover for Exchange)",
    },
];

/// Entra's discovery document for a domain, which names its tenant.
pub const TENANT_DISCOVERY: Endpoint = Endpoint {
    asked: Asked::ExchangeOnline,
    template: "https://login.microsoftonline.com/{domain}/v2.0/.well-known/openid-configuration",
    source: "Microsoft identity platform access tokens ({tenant} may be a domain); AadSupport Get-AadOpenIdConnectConfiguration and MSIdentityTools Resolve-MsIdTenant read the tenant from this document",
};

/// Entra's clouds as the discovery document names them (`cloud_instance_name`,
/// else the issuer's host), and the word reports use. Source: Microsoft Learn,
/// "National clouds" (authentication-national-cloud) and Azure SDK authority hosts.
pub const CLOUDS: &[(&str, &str)] = &[
    ("microsoftonline.com", "global"),
    ("login.microsoftonline.com", "global"),
    ("sts.windows.net", "global"),
    ("microsoftonline.us", "us-government"),
    ("login.microsoftonline.us", "us-government"),
    ("partner.microsoftonline.cn", "china"),
    ("login.partner.microsoftonline.cn", "china"),
    ("chinacloudapi.cn", "china"),
    ("login.chinacloudapi.cn", "china"),
];

/// What an Autodiscover v2 answer says, keys read case-insensitively.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AutodiscoverAnswer {
    /// `Protocol`, normally `EWS`.
    pub protocol: Option<String>,
    /// `Url`: the EWS endpoint.
    pub url: Option<String>,
    /// `ServerLocation`: present only for Exchange Online mailboxes.
    pub server_location: Option<String>,
}

/// Reads an Autodiscover v2 JSON answer; `None` when it is not a JSON object.
pub fn parse_autodiscover(body: &[u8]) -> Option<AutodiscoverAnswer> {
    let value: Value = serde_json::from_slice(http::strip_bom(body)).ok()?;
    let object = value.as_object()?;
    let field = |name: &str| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_str())
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    Some(AutodiscoverAnswer {
        protocol: field("Protocol"),
        url: field("Url"),
        server_location: field("ServerLocation"),
    })
}

/// What one request of the stage got.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// An HTTP answer (the body read for 2xx).
    Answered(Box<HttpFacts>),
    /// No HTTP answer from here, and why.
    Unanswered(String),
}

impl Outcome {
    /// The JSON body of a 200 answer.
    fn answer_200(&self) -> Option<AutodiscoverAnswer> {
        match self {
            Outcome::Answered(facts) if facts.status == 200 => match &facts.body {
                BodyOutcome::Complete(bytes) => parse_autodiscover(bytes),
                _ => None,
            },
            _ => None,
        }
    }

    /// One line for `details.attempts`.
    fn said(&self) -> String {
        match self {
            Outcome::Answered(facts) => match (facts.status, facts.location()) {
                (300..=399, Some(location)) => format!(
                    "{} to {} (not followed)",
                    facts.status_line(),
                    http::sanitize(location, 200)
                ),
                _ => facts.status_line(),
            },
            Outcome::Unanswered(why) => format!("no answer: {why}"),
        }
    }
}

/// Where Exchange Online's answer puts the mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A 200 answer with a `ServerLocation`.
    ExchangeOnline {
        /// The `ServerLocation` value.
        server_location: String,
    },
    /// A 200 answer naming an EWS URL without `ServerLocation`: Exchange
    /// Online knows the mailbox is on-premises (hybrid).
    OnPremisesWithUrl(String),
    /// A redirect: a hybrid organisation's own Autodiscover, asked once.
    OnPremisesRedirect(String),
    /// Any other answer: not an Exchange Online mailbox.
    OnPremises,
    /// No answer at all from here.
    Unknown(String),
}

/// `mailbox.location`'s judgement of Exchange Online's answer.
pub fn judge_location(outcome: &Outcome) -> Location {
    if let Outcome::Unanswered(why) = outcome {
        return Location::Unknown(why.clone());
    }
    if let Some(answer) = outcome.answer_200() {
        return match (answer.server_location, answer.url) {
            (Some(server_location), _) => Location::ExchangeOnline { server_location },
            (None, Some(url)) => Location::OnPremisesWithUrl(url),
            (None, None) => Location::OnPremises,
        };
    }
    match outcome {
        Outcome::Answered(facts) if (300..400).contains(&facts.status) => {
            facts.location().map_or(Location::OnPremises, |l| {
                Location::OnPremisesRedirect(l.trim().to_string())
            })
        }
        _ => Location::OnPremises,
    }
}

/// The amurl on the host (and port) of an EWS URL, or why there is none.
pub fn amurl_from_ews(ews_url: &str) -> Result<Target, String> {
    let url = Url::parse(ews_url.trim()).map_err(|_| {
        format!(
            "the EWS URL `{}` is not a URL",
            http::sanitize(ews_url, 200)
        )
    })?;
    if url.scheme() != "https" {
        return Err(format!(
            "the EWS URL {} is not https, which SSI needs",
            http::sanitize(ews_url, 200)
        ));
    }
    let mut amurl = url;
    let _ = amurl.set_username("");
    let _ = amurl.set_password(None);
    amurl.set_path(crate::target::METADATA_PATH);
    amurl.set_query(None);
    amurl.set_fragment(None);
    Target::from_url(amurl.as_str()).map_err(|e| e.to_string())
}

/// What Entra's discovery document for the domain says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tenant {
    /// The domain belongs to this tenant.
    Found {
        /// The tenant id from the issuer.
        tenant_id: String,
        /// `global`, `us-government`, `china`, or the cloud's name as given.
        cloud: String,
        /// The tenant's own discovery document, which the NAA links walk.
        discovery: Url,
    },
    /// Entra knows no tenant for the domain (AADSTS90002 and the like).
    Unknown(String),
    /// An answer that says neither.
    Unusable(String),
}

/// `mailbox.tenant`'s judgement of Entra's answer for the domain.
pub fn judge_tenant(status: u16, body: &[u8]) -> Tenant {
    let value: Option<Value> = serde_json::from_slice(http::strip_bom(body)).ok();
    let text = |key: &str| {
        value
            .as_ref()
            .and_then(|v| v.get(key))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    if status == 400 {
        if let Some(description) = text("error_description") {
            let first = description.lines().next().unwrap_or_default();
            return Tenant::Unknown(http::sanitize(first, 200));
        }
    }
    if status != 200 {
        return Tenant::Unusable(format!("Entra answered {status}"));
    }
    let Some(issuer) = text("issuer").and_then(|i| Url::parse(&i).ok()) else {
        return Tenant::Unusable("the answer names no issuer".into());
    };
    let tenant_id = issuer
        .path_segments()
        .and_then(|mut s| s.next())
        .filter(|s| is_guid(s));
    let Some(tenant_id) = tenant_id.map(str::to_string) else {
        return Tenant::Unusable(format!(
            "the issuer {} names no tenant id",
            http::sanitize(issuer.as_str(), 200)
        ));
    };
    let named = text("cloud_instance_name")
        .or_else(|| issuer.host_str().map(str::to_string))
        .unwrap_or_default()
        .to_ascii_lowercase();
    let cloud = CLOUDS
        .iter()
        .find(|(name, _)| *name == named)
        .map_or_else(|| http::sanitize(&named, 80), |(_, word)| word.to_string());
    let mut discovery = issuer.clone();
    let path = format!(
        "{}/.well-known/openid-configuration",
        issuer.path().trim_end_matches('/')
    );
    discovery.set_path(&path);
    discovery.set_query(None);
    Tenant::Found {
        tenant_id,
        cloud,
        discovery,
    }
}

fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups
            .iter()
            .all(|g| g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// What the mailbox stage found, and which chain follows.
#[derive(Debug, Clone)]
pub struct MailboxFindings {
    /// `mailbox.location`, `mailbox.amurl` and `mailbox.tenant`.
    pub checks: Vec<Check>,
    /// The chain that follows.
    pub next: Next,
}

impl MailboxFindings {
    /// Whether Exchange Online's answer put the mailbox there.
    pub fn in_exchange_online(&self) -> bool {
        self.checks.iter().any(|c| {
            c.id == CheckId::MailboxLocation
                && c.details.get("location") == Some(&json!("exchange-online"))
        })
    }
}

/// The chain that follows the mailbox stage.
#[derive(Debug, Clone)]
pub enum Next {
    /// On-premises: the legacy links on this amurl.
    Legacy(Target),
    /// Exchange Online: the NAA links on the tenant's discovery document.
    Entra(Url),
    /// The stage broke: nothing follows.
    Nothing,
}

/// Asks `url` under every rule of `probe`, within `budget`.
fn ask(url: &Url, net: &NetSettings, budget: &Budget) -> Outcome {
    let destination = Destination::new(url);
    let addrs = match http::addresses(&destination.url, None, net, budget) {
        Ok(addrs) => addrs,
        Err(unresolved) => return Outcome::Unanswered(unresolved.why),
    };
    // Entra says in a 400's body why it knows no tenant.
    let read = |status: u16| (200..300).contains(&status) || status == 400;
    match http::exchange_reading(&destination, &addrs, net, budget, read) {
        Ok(facts) => Outcome::Answered(Box::new(facts)),
        Err(failure) => Outcome::Unanswered(failure.describe(&budget.total_secs_text())),
    }
}

/// One Autodiscover attempt, for `details.attempts`.
fn attempt(url: &Url, outcome: &Outcome) -> Value {
    json!({"url": url.as_str(), "outcome": outcome.said()})
}

/// Runs the mailbox stage for `address`.
pub fn walk(
    address: &Address,
    net: &NetSettings,
    budget: &Budget,
    progress: &Progress,
) -> MailboxFindings {
    progress.stage(Stage::Mailbox, &address.domain);
    let mut attempts = Vec::new();
    let online = AUTODISCOVER
        .iter()
        .find(|e| e.asked == Asked::ExchangeOnline);
    let Some(online_url) = online.and_then(|e| e.url(address)) else {
        return MailboxFindings {
            checks: vec![unavailable(CheckId::MailboxLocation, address, &[])],
            next: Next::Nothing,
        };
    };
    let outcome = ask(&online_url, net, budget);
    attempts.push(attempt(&online_url, &outcome));
    let location = judge_location(&outcome);
    let mut found: Option<(String, Url, Target)> = None;
    let why = match &location {
        Location::Unknown(_) => {
            return MailboxFindings {
                checks: vec![unavailable(CheckId::MailboxLocation, address, &attempts)],
                next: Next::Nothing,
            }
        }
        Location::ExchangeOnline { server_location } => {
            let check = Check::warn(
                CheckId::MailboxLocation,
                format!(
                    "{} is in Exchange Online: SSI's add-in must use NAA there; \"Unable to \
                     validate the client identity token\" means it still asks for the legacy \
                     token",
                    address.text,
                ),
                Remedy::MailboxExchangeOnline,
            )
            .with_detail("location", "exchange-online")
            .with_detail("server_location", http::sanitize(server_location, 200))
            .with_detail("source", online_url.as_str());
            return exchange_online(address, check, net, budget);
        }
        Location::OnPremisesWithUrl(url) => {
            found = usable(Some(url.clone()), &online_url, &mut attempts);
            "Exchange Online names an on-premises EWS URL for it (hybrid)".to_string()
        }
        Location::OnPremisesRedirect(location) => {
            if let Some(hybrid) = Url::parse(location).ok().filter(|u| u.scheme() == "https") {
                let outcome = ask(&hybrid, net, budget);
                attempts.push(attempt(&hybrid, &outcome));
                found = usable(
                    outcome.answer_200().and_then(|a| a.url),
                    &hybrid,
                    &mut attempts,
                );
            }
            "Exchange Online redirects to the organisation's own Autodiscover (hybrid)".to_string()
        }
        Location::OnPremises => {
            format!("Exchange Online has no mailbox for it ({})", outcome.said())
        }
    };
    let location_check = Check::pass(
        CheckId::MailboxLocation,
        format!("{} is on-premises: {why}", address.text),
    )
    .with_detail("location", "on-premises")
    .with_detail("source", online_url.as_str());
    if found.is_none() {
        for endpoint in AUTODISCOVER.iter().filter(|e| e.asked == Asked::Customer) {
            let Some(url) = endpoint.url(address) else {
                continue;
            };
            let outcome = ask(&url, net, budget);
            attempts.push(attempt(&url, &outcome));
            found = usable(
                outcome.answer_200().and_then(|a| a.url),
                &url,
                &mut attempts,
            );
            if found.is_some() {
                break;
            }
        }
    }
    let tenant_skip = Check::skip(
        CheckId::MailboxTenant,
        "on-premises: the legacy chain applies, not Entra's",
    );
    let Some((ews, source, target)) = found else {
        let check = unavailable(CheckId::MailboxAmurl, address, &attempts);
        return MailboxFindings {
            checks: vec![location_check, check, tenant_skip],
            next: Next::Nothing,
        };
    };
    let amurl_check = Check::pass(
        CheckId::MailboxAmurl,
        format!(
            "the EWS URL {} gives the amurl {}; a token's own amurl stays the authority",
            http::sanitize(&ews, 200),
            target.url
        ),
    )
    .with_detail("amurl", target.url.as_str())
    .with_detail("ews_url", http::sanitize(&ews, 300))
    .with_detail("source", source.as_str())
    .with_detail("attempts", Value::Array(attempts));
    MailboxFindings {
        checks: vec![location_check, amurl_check, tenant_skip],
        next: Next::Legacy(target),
    }
}

/// The EWS URL an answer from `source` named, with its amurl; `None` when
/// there is none or it gives no amurl (said in `attempts`, and the next
/// Autodiscover is asked).
fn usable(
    ews: Option<String>,
    source: &Url,
    attempts: &mut Vec<Value>,
) -> Option<(String, Url, Target)> {
    let ews = ews?;
    match amurl_from_ews(&ews) {
        Ok(target) => Some((ews, source.clone(), target)),
        Err(why) => {
            attempts.push(json!({"url": source.as_str(), "outcome": format!("unusable: {why}")}));
            None
        }
    }
}

/// The Exchange Online branch: `mailbox.tenant` after the location's warn.
fn exchange_online(
    address: &Address,
    location: Check,
    net: &NetSettings,
    budget: &Budget,
) -> MailboxFindings {
    let amurl_skip = Check::skip(
        CheckId::MailboxAmurl,
        "Exchange Online: no amurl, the NAA chain applies",
    );
    let Some(url) = TENANT_DISCOVERY.url(address) else {
        return MailboxFindings {
            checks: vec![location, amurl_skip],
            next: Next::Nothing,
        };
    };
    let outcome = ask(&url, net, budget);
    let tenant = match &outcome {
        Outcome::Answered(facts) => match &facts.body {
            BodyOutcome::Complete(bytes) => judge_tenant(facts.status, bytes),
            _ if facts.status == 400 => Tenant::Unknown(facts.status_line()),
            _ => Tenant::Unusable(format!("Entra answered {}", facts.status_line())),
        },
        Outcome::Unanswered(why) => Tenant::Unusable(format!("no answer: {why}")),
    };
    let (check, next) = match tenant {
        Tenant::Found {
            tenant_id,
            cloud,
            discovery,
        } => (
            Check::pass(
                CheckId::MailboxTenant,
                format!(
                    "{}'s Entra tenant is {tenant_id} ({cloud} cloud)",
                    address.domain
                ),
            )
            .with_detail("tenant_id", tenant_id)
            .with_detail("cloud", cloud)
            .with_detail("discovery", discovery.as_str())
            .with_detail("source", url.as_str()),
            Next::Entra(discovery),
        ),
        Tenant::Unknown(said) => (
            Check::fail(
                CheckId::MailboxTenant,
                format!("Entra knows no tenant for {}: {said}", address.domain),
                Remedy::TenantUnknown,
            )
            .with_detail("source", url.as_str()),
            Next::Nothing,
        ),
        Tenant::Unusable(why) => (
            Check::error(
                CheckId::MailboxTenant,
                format!(
                    "Entra's discovery for {} could not be read from here: {why}",
                    address.domain
                ),
                Remedy::TenantUnavailable,
            )
            .with_detail("cause", "entra-unavailable")
            .with_detail("source", url.as_str()),
            Next::Nothing,
        ),
    };
    MailboxFindings {
        checks: vec![location, amurl_skip, check],
        next,
    }
}

/// The `error` when no Autodiscover answered usefully from here.
fn unavailable(id: CheckId, address: &Address, attempts: &[Value]) -> Check {
    Check::error(
        id,
        format!(
            "no Autodiscover answered for {} from here: where the mailbox lives is unknown",
            address.text
        ),
        Remedy::AutodiscoverUnavailable,
    )
    .with_detail("cause", "autodiscover-unavailable")
    .with_detail("attempts", Value::Array(attempts.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(status: u16, headers: &[(&str, &str)], body: &str) -> Outcome {
        let facts = crate::http::front_end::tests::facts(status, headers, Some(body));
        Outcome::Answered(Box::new(facts))
    }

    #[test]
    fn addresses_are_told_from_hosts_and_urls() {
        let a = Address::parse(" <mailto:Kim.Doe@Contoso.COM> ").expect("an address");
        assert_eq!(a.text, "Kim.Doe@contoso.com");
        assert_eq!(a.domain, "contoso.com");
        for not in [
            "mail.contoso.com",
            "https://kim@contoso.com/x",
            "kim@contoso",
            "kim@contoso.com/x",
            "ki m@contoso.com",
            "kim@@contoso.com",
            "kim@-contoso.com",
            "@contoso.com",
            "kim?x@contoso.com",
        ] {
            assert_eq!(Address::parse(not), None, "{not}");
        }
    }

    #[test]
    fn every_endpoint_has_a_source_and_makes_a_url() {
        let a = Address::parse("kim@contoso.com").expect("address");
        for e in AUTODISCOVER.iter().chain([&TENANT_DISCOVERY]) {
            assert!(!e.source.is_empty());
            let url = e.url(&a).expect("a URL");
            assert_eq!(url.scheme(), "https");
        }
        assert_eq!(
            AUTODISCOVER[1].url(&a).expect("url").as_str(),
            "https://autodiscover.contoso.com/autodiscover/autodiscover.json/v1.0/kim@contoso.com?Protocol=EWS"
        );
    }

    #[test]
    fn the_autodiscover_json_is_read_in_any_case() {
        let answer = parse_autodiscover(
            br#"{"protocol":"EWS","URL":"https://mail.contoso.com/EWS/Exchange.asmx"}"#,
        )
        .expect("json");
        assert_eq!(answer.protocol.as_deref(), Some("EWS"));
        assert_eq!(
            answer.url.as_deref(),
            Some("https://mail.contoso.com/EWS/Exchange.asmx")
        );
        assert_eq!(answer.server_location, None);
        assert_eq!(parse_autodiscover(b"<html>"), None);
        assert_eq!(parse_autodiscover(b"[1]"), None);
    }

    #[test]
    fn server_location_decides_exchange_online() {
        let online = answered(
            200,
            &[],
            r#"{"Protocol":"EWS","Url":"https://outlook.office365.com/EWS/Exchange.asmx","ServerLocation":"EURPRD10"}"#,
        );
        assert_eq!(
            judge_location(&online),
            Location::ExchangeOnline {
                server_location: "EURPRD10".into()
            }
        );
        let hybrid_url = answered(
            200,
            &[],
            r#"{"Protocol":"EWS","Url":"https://mail.contoso.com/EWS/Exchange.asmx"}"#,
        );
        assert_eq!(
            judge_location(&hybrid_url),
            Location::OnPremisesWithUrl("https://mail.contoso.com/EWS/Exchange.asmx".into())
        );
        let redirect = answered(302, &[("location", " https://ad.contoso.com/x ")], "");
        assert_eq!(
            judge_location(&redirect),
            Location::OnPremisesRedirect("https://ad.contoso.com/x".into())
        );
        assert_eq!(
            judge_location(&answered(404, &[], "")),
            Location::OnPremises
        );
        assert_eq!(
            judge_location(&answered(200, &[], "<html>")),
            Location::OnPremises
        );
        assert_eq!(
            judge_location(&Outcome::Unanswered("refused".into())),
            Location::Unknown("refused".into())
        );
    }

    #[test]
    fn the_amurl_keeps_the_ews_host_and_port() {
        let t =
            amurl_from_ews("https://mail.contoso.com:8443/EWS/Exchange.asmx?x=1").expect("amurl");
        assert_eq!(
            t.url.as_str(),
            "https://mail.contoso.com:8443/autodiscover/metadata/json/1"
        );
        assert_eq!(t.port, 8443);
        let default =
            amurl_from_ews("https://u:p@Mail.Contoso.com:443/EWS/Exchange.asmx").expect("amurl");
        assert_eq!(
            default.url.as_str(),
            "https://mail.contoso.com/autodiscover/metadata/json/1"
        );
        let internal = amurl_from_ews("https://10.0.0.5/EWS/Exchange.asmx").expect("amurl");
        assert_eq!(internal.host, "10.0.0.5");
        assert!(amurl_from_ews("http://mail.contoso.com/EWS/Exchange.asmx")
            .expect_err("http")
            .contains("not https"));
        assert!(amurl_from_ews("EWS").is_err());
    }

    #[test]
    fn the_tenant_comes_from_the_issuer() {
        let body = br#"{"issuer":"https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0","cloud_instance_name":"microsoftonline.com"}"#;
        assert_eq!(
            judge_tenant(200, body),
            Tenant::Found {
                tenant_id: "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
                cloud: "global".into(),
                discovery: Url::parse("https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0/.well-known/openid-configuration").expect("url"),
            }
        );
        let gov = br#"{"issuer":"https://login.microsoftonline.us/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0"}"#;
        assert!(
            matches!(judge_tenant(200, gov), Tenant::Found { cloud, .. } if cloud == "us-government")
        );
        let unknown = br#"{"error":"invalid_tenant","error_description":"AADSTS90002: Tenant 'nowhere.test' not found.\r\nTrace ID: 1"}"#;
        assert_eq!(
            judge_tenant(400, unknown),
            Tenant::Unknown("AADSTS90002: Tenant 'nowhere.test' not found.".into())
        );
        assert!(matches!(
            judge_tenant(
                200,
                br#"{"issuer":"https://login.microsoftonline.com/{tenantid}/v2.0"}"#
            ),
            Tenant::Unusable(_)
        ));
        assert!(matches!(judge_tenant(503, b""), Tenant::Unusable(_)));
    }
}
