//! After validating the token, SSI calls Exchange Web Services on the amurl's
//! host. This link asks only whether `/EWS/Exchange.asmx` gives any HTTP
//! answer from here: an anonymous GET normally gets 401, which passes.

use std::net::SocketAddr;

use serde_json::json;
use url::Url;

use crate::budget::Budget;
use crate::http::client::{Destination, Failure};
use crate::http::{self, HttpFacts};
use crate::remedy::Remedy;
use crate::report::{Check, CheckId};
use crate::settings::NetSettings;

/// Runs `ews.reachable` against `ews_url` (from [`crate::target::Target::ews_url`]
/// or `--ews-url`).
///
/// `peer` is the address the `tcp` link vetted and connected to, when the EWS
/// URL is on the amurl's host; `None` for another host, which is then resolved
/// with [`crate::dns::resolve_for_connect`] and held to the `--allow-private` rule.
pub fn run(ews_url: &Url, peer: Option<SocketAddr>, net: &NetSettings, budget: &Budget) -> Check {
    run_at(ews_url, peer.as_slice(), net, budget)
}

/// Runs `ews.reachable` like [`run`], trying `peers` in turn: the addresses
/// the `dns` link found for the amurl's host, when EWS is on that host and
/// port (so EWS costs no DNS lookup of its own). Empty: the URL's host is
/// resolved here, as [`run`] does without a peer.
pub fn run_at(ews_url: &Url, peers: &[SocketAddr], net: &NetSettings, budget: &Budget) -> Check {
    let destination = Destination::new(ews_url);
    let shown_url = destination.url.clone();
    if !matches!(ews_url.scheme(), "https" | "http") {
        return Check::fail(
            CheckId::EwsReachable,
            format!("{shown_url}: not an http(s) URL, EWS cannot be asked"),
            Remedy::EwsUnreachable,
        );
    }
    let vetted = if peers.is_empty() {
        http::addresses(&destination.url, None, net, budget)
    } else {
        let ips: Vec<_> = peers.iter().map(SocketAddr::ip).collect();
        let port = destination.url.port_or_known_default().unwrap_or(443);
        http::vetted(&ips, port, net).map_err(crate::dns::Unresolved::from)
    };
    let addrs = match vetted {
        Ok(addrs) => addrs,
        // Blocked DNS here says nothing about the customer's EWS.
        Err(unresolved) if unresolved.resolvers_unreachable => {
            return Check::error(
                CheckId::EwsReachable,
                format!("{shown_url}: not asked: {unresolved}"),
                Remedy::DnsResolversUnreachable,
            )
            .with_detail("cause", "resolvers-unreachable")
        }
        Err(unresolved) => {
            return Check::fail(
                CheckId::EwsReachable,
                format!("{shown_url}: not asked: {unresolved}"),
                Remedy::EwsUnreachable,
            )
        }
    };
    let mut check = match http::exchange(&destination, &addrs, net, budget, false) {
        Ok(facts) => judge_answer(&facts),
        Err(failure) => http::proxy_failure(CheckId::EwsReachable, &shown_url, &failure, net)
            .unwrap_or_else(|| judge_failure(&shown_url, &failure, &budget.total_secs_text())),
    };
    http::annotate(&mut check, &destination, &addrs, net);
    let online = destination
        .url
        .host_str()
        .and_then(crate::token::exchange_online_service);
    if let Some(service) = online {
        check
            .summary
            .push_str(&format!(" ({service}: {})", crate::remedy::EWS_RETIREMENT));
        check = check.with_detail("ews_retirement", crate::remedy::EWS_RETIREMENT);
    }
    check
}

/// `ews.reachable` from an HTTP answer: any answer passes, and says what it was.
pub fn judge_answer(facts: &HttpFacts) -> Check {
    let url = facts.url.as_str();
    let status = format!("{} {}", facts.status, facts.reason)
        .trim_end()
        .to_string();
    let challenges: Vec<String> = facts
        .challenges()
        .iter()
        .map(http::Challenge::display)
        .collect();
    let note = match facts.status {
        401 if challenges.is_empty() => {
            "authentication required, as expected for EWS (no challenge named)".to_string()
        }
        401 => format!(
            "authentication required, as expected for EWS; it offers {}",
            challenges.join(", ")
        ),
        200..=299 => "EWS answers".to_string(),
        300..=399 => match facts.location() {
            Some(location) => format!(
                "a redirect to {} (a pre-authenticating proxy may stand in front of EWS)",
                http::sanitize(location, 200)
            ),
            None => "a redirect without a Location".to_string(),
        },
        403 => "forbidden from here; SSI's requests may be refused too".to_string(),
        404 => "the web server answers, but /EWS/Exchange.asmx is not published at this URL; SSI's EWS calls will fail unless EWS lives elsewhere".to_string(),
        500..=599 => "the server answers but fails".to_string(),
        _ => "the server answers".to_string(),
    };
    let mut check = Check::pass(
        CheckId::EwsReachable,
        format!("GET {url}: {status}: {note}"),
    )
    .with_detail("status_line", facts.status_line());
    if !challenges.is_empty() {
        check = check.with_detail("challenges", json!(challenges));
    }
    if let Some(server) = facts.header("server") {
        check = check.with_detail("server", http::sanitize(server, 200));
    }
    http::name_front_end(check, http::front_end::recognise(facts).as_ref())
}

fn judge_failure(url: &Url, failure: &Failure, after: &str) -> Check {
    let what = failure.describe(after);
    let check = Check::fail(
        CheckId::EwsReachable,
        format!("GET {url}: no HTTP answer: {what}"),
        Remedy::EwsUnreachable,
    );
    match failure.raw() {
        Some(raw) => check.with_detail("error", http::sanitize(raw, 300)),
        None => check,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::BodyOutcome;
    use crate::report::Status;

    fn facts(status: u16, reason: &str, headers: &[(&str, &str)]) -> HttpFacts {
        HttpFacts {
            url: Url::parse("https://mail.contoso.com/EWS/Exchange.asmx").expect("url"),
            version: "HTTP/1.1".into(),
            status,
            reason: reason.into(),
            sent_reason: None,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: BodyOutcome::NotRead,
        }
    }

    #[test]
    fn a_401_passes_and_names_the_schemes() {
        let check = judge_answer(&facts(
            401,
            "Unauthorized",
            &[
                ("www-authenticate", "Negotiate, NTLM"),
                ("www-authenticate", "Basic realm=\"mail\""),
            ],
        ));
        assert_eq!(check.status, Status::Pass);
        assert!(
            check
                .summary
                .contains("Negotiate, NTLM, Basic realm=\"mail\""),
            "{}",
            check.summary
        );
    }

    #[test]
    fn every_http_answer_passes_and_says_what_came_back() {
        for (status, reason, words) in [
            (200, "OK", "EWS answers"),
            (302, "Found", "redirect"),
            (403, "Forbidden", "forbidden"),
            (404, "Not Found", "not published"),
            (500, "Internal Server Error", "fails"),
        ] {
            let check = judge_answer(&facts(status, reason, &[]));
            assert_eq!(check.status, Status::Pass, "{status}");
            assert!(check.summary.contains(&status.to_string()));
            assert!(
                check.summary.contains(words),
                "{words} in {}",
                check.summary
            );
        }
    }

    #[test]
    fn a_front_end_answering_for_ews_is_named_and_still_passes() {
        let check = judge_answer(&facts(
            302,
            "Found",
            &[("location", "https://mail.contoso.com/my.policy")],
        ));
        assert_eq!(check.status, Status::Pass);
        assert_eq!(check.details["front_end"], "f5-big-ip");
        assert!(check.summary.contains("F5 BIG-IP"), "{}", check.summary);
        let plain = judge_answer(&facts(
            401,
            "Unauthorized",
            &[("www-authenticate", "Negotiate"), ("x-feserver", "EXCH01")],
        ));
        assert!(!plain.details.contains_key("front_end"));
    }

    #[test]
    fn no_answer_fails_with_the_ews_remedy() {
        let url = Url::parse("https://mail.contoso.com/EWS/Exchange.asmx").expect("url");
        let check = judge_failure(&url, &Failure::TimedOut, "15 s");
        assert_eq!(check.status, Status::Fail);
        assert_eq!(check.remedy, Some(Remedy::EwsUnreachable));
        assert!(check.summary.contains("timed out after 15 s"));
    }
}
