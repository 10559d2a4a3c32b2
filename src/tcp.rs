//! The `tcp` link: does the amurl's port accept a connection?
//!
//! The addresses come from the `dns` stage, which already kept out the ones
//! the tool may not connect to; this stage checks again (defence in depth), so
//! that no caller can make it connect to a non-public address without
//! `--allow-private`.

use std::net::{IpAddr, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::budget::Budget;
use crate::net::proxy::{self, TunnelError};
use crate::net::{self, ConnectError, ConnectFailure};
use crate::remedy::Remedy;
use crate::report::{Check, CheckId};
use crate::settings::{NetSettings, ProxySetting};
use crate::target::Target;

/// What the `tcp` stage found.
#[derive(Debug)]
pub struct TcpOutcome {
    /// `tcp.connect`.
    pub checks: Vec<Check>,
    /// The open connection (through the proxy's tunnel with `--proxy`), for
    /// the `tls` stage. No read or write timeouts are set on it.
    pub stream: Option<TcpStream>,
    /// The address the connection goes to: the server, or the proxy with `--proxy`.
    pub peer: Option<SocketAddr>,
    /// The target's address the connection reaches: `peer` when direct, the
    /// far end of the tunnel with `--proxy`.
    pub reached: Option<SocketAddr>,
}

impl TcpOutcome {
    fn broken(check: Check) -> Self {
        TcpOutcome {
            checks: vec![check],
            stream: None,
            peer: None,
            reached: None,
        }
    }
}

/// Seconds as reports write them: "2 s", "2.5 s".
fn secs(duration: Duration) -> String {
    let secs = duration.as_secs_f64();
    if (secs - secs.round()).abs() < 0.05 {
        format!("{secs:.0} s")
    } else {
        format!("{secs:.1} s")
    }
}

/// The order to try addresses in: alternating families, starting with the
/// family of the first address (what Happy Eyeballs would try first).
fn connection_order(addresses: &[IpAddr]) -> Vec<IpAddr> {
    let Some(first) = addresses.first() else {
        return Vec::new();
    };
    let (mut same, mut other): (Vec<IpAddr>, Vec<IpAddr>) = addresses
        .iter()
        .partition(|ip| ip.is_ipv6() == first.is_ipv6());
    same.dedup();
    other.dedup();
    let mut order = Vec::with_capacity(addresses.len());
    let (mut same, mut other) = (same.into_iter(), other.into_iter());
    loop {
        match (same.next(), other.next()) {
            (None, None) => break,
            (a, b) => order.extend(a.into_iter().chain(b)),
        }
    }
    order
}

/// One failed connection attempt.
#[derive(Debug)]
struct Attempt {
    addr: SocketAddr,
    failure: ConnectFailure,
    error: String,
    waited: Duration,
}

impl Attempt {
    fn details(&self) -> Value {
        json!({
            "address": self.addr.to_string(),
            "result": self.failure.label(),
            "error": self.error,
            "ms": self.waited.as_millis() as u64,
        })
    }
}

/// What a dropped connection means, seen from a machine that is not SSI.
/// The same words whoever runs the tool: a CI job inside the customer's own
/// allow-list sees the second reading from the other side.
const DROPPED: &str = "something drops the connection. This machine is not SSI: either the firewall does not allow SSI's IP ranges, or it allows only them and drops this machine, which cannot be told from here";

/// `tcp.connect` when this machine had no route for any address tried.
fn no_route(port: u16, attempts: &[Attempt]) -> Check {
    let tried: Vec<String> = attempts.iter().map(|a| a.addr.to_string()).collect();
    let families: Vec<&str> = {
        let mut families: Vec<&str> = attempts
            .iter()
            .map(|a| if a.addr.is_ipv6() { "IPv6" } else { "IPv4" })
            .collect();
        families.dedup();
        families
    };
    Check::error(
        CheckId::TcpConnect,
        format!(
            "this machine has no route for {} (tried {} on port {port}: {}): the connection could not be tried from here, which says nothing about the target",
            families.join(" or "),
            tried.join(", "),
            attempts.first().map(|a| a.error.as_str()).unwrap_or_default()
        ),
        Remedy::NoRoute,
    )
    .with_detail("cause", "no-route")
    .with_detail(
        "attempts",
        Value::Array(attempts.iter().map(Attempt::details).collect()),
    )
    .with_detail("via", "direct")
}

/// The check for a direct connection that failed on every address tried.
fn judge_failures(
    port: u16,
    attempts: &[Attempt],
    budget: &Budget,
    env_proxy: Option<&str>,
) -> Check {
    let id = CheckId::TcpConnect;
    if attempts.is_empty() {
        return Check::fail(
            id,
            format!(
                "no time left to connect to port {port}: timed out after {}",
                budget.total_secs_text()
            ),
            Remedy::TimedOut,
        );
    }
    // An address family this machine has no route for says nothing about
    // the target; any other attempt tells more.
    let Some(first) = attempts
        .iter()
        .find(|a| a.failure != ConnectFailure::NoRoute)
    else {
        return no_route(port, attempts);
    };
    let addr = first.addr;
    let (mut summary, remedy) = match first.failure {
        ConnectFailure::Refused => (
            format!("{addr} refused the connection: nothing listens on port {port}"),
            Remedy::PortClosed,
        ),
        ConnectFailure::TimedOut => {
            let after = if budget.expired() {
                budget.total_secs_text()
            } else {
                secs(first.waited)
            };
            (
                format!("no answer from {addr}: timed out after {after}; {DROPPED}"),
                Remedy::FirewallAllowSsi,
            )
        }
        ConnectFailure::Unreachable | ConnectFailure::NoRoute => (
            format!("{addr} is unreachable from here ({})", first.error),
            Remedy::Unreachable,
        ),
        ConnectFailure::Other => (
            format!("connecting to {addr} failed ({})", first.error),
            Remedy::Unreachable,
        ),
    };
    if attempts.len() > 1 {
        let others: Vec<String> = attempts
            .iter()
            .filter(|a| a.addr != first.addr)
            .map(|a| format!("{} {}", a.addr, a.failure.label()))
            .collect();
        summary.push_str(&format!("; also tried {}", others.join(", ")));
    }
    let mut check = Check::fail(id, summary.clone(), remedy)
        .with_detail(
            "attempts",
            Value::Array(attempts.iter().map(Attempt::details).collect()),
        )
        .with_detail("via", "direct");
    if let Some(proxy) = env_proxy {
        let shown = net::redact_proxy_text(proxy);
        check.summary = format!("{summary}; a proxy is set in the environment ({shown}): if this network needs it, try --proxy env");
        check = check.with_detail(
            "hint",
            format!("the environment names the proxy {shown}, which was not used: give --proxy env if this network reaches the internet only through it (SSI itself connects directly)"),
        );
    }
    check
}

fn connect_direct(
    target: &Target,
    order: &[IpAddr],
    net: &NetSettings,
    budget: &Budget,
) -> TcpOutcome {
    let id = CheckId::TcpConnect;
    let mut failed: Vec<Attempt> = Vec::new();
    for (index, ip) in order.iter().enumerate() {
        let remaining = budget.remaining();
        if remaining.is_zero() {
            break;
        }
        // Every untried address gets a fair share of what is left.
        let share = remaining / (order.len() - index) as u32;
        let addr = SocketAddr::new(*ip, target.port);
        let started = Instant::now();
        match net::connect_checked(addr, net.allow_private, share) {
            Ok(stream) => {
                let took = started.elapsed();
                let mut summary = format!("connected to {addr} in {} ms", took.as_millis());
                if !failed.is_empty() {
                    let before: Vec<String> = failed
                        .iter()
                        .map(|a| format!("{} {}", a.addr, a.failure.label()))
                        .collect();
                    summary.push_str(&format!(" (before that: {})", before.join(", ")));
                }
                let check = Check::pass(id, summary)
                    .with_detail("peer", addr.to_string())
                    .with_detail("connect_ms", took.as_millis() as u64)
                    .with_detail("via", "direct")
                    .with_detail(
                        "failed_attempts",
                        Value::Array(failed.iter().map(Attempt::details).collect()),
                    );
                return TcpOutcome {
                    checks: vec![check],
                    stream: Some(stream),
                    peer: Some(addr),
                    reached: Some(addr),
                };
            }
            Err(ConnectError::Io(failure, error)) => failed.push(Attempt {
                addr,
                failure,
                error: error.to_string(),
                waited: started.elapsed(),
            }),
            Err(ConnectError::NotAllowed(why)) => failed.push(Attempt {
                addr,
                failure: ConnectFailure::Other,
                error: why,
                waited: Duration::ZERO,
            }),
        }
    }
    TcpOutcome::broken(judge_failures(
        target.port,
        &failed,
        budget,
        net.env_proxy_unused.as_deref(),
    ))
}

fn judge_tunnel_error(
    error: &TunnelError,
    proxy_shown: &str,
    (host, destination): (&str, &str),
    budget: &Budget,
) -> Check {
    let id = CheckId::TcpConnect;
    // The proxy itself failed: nothing is known about the target.
    let proxy_error = |summary: String| {
        Check::error(
            id,
            format!("{summary}: nothing is known about {destination} from here"),
            Remedy::ProxyFailed,
        )
        .with_detail("cause", "proxy")
    };
    let check = match error {
        // The proxy reached out and got no answer: the target drops it.
        TunnelError::Refused { status: 504, status_line, .. } => Check::fail(
            id,
            format!("the proxy {proxy_shown} got no answer from {destination} ({status_line}); {DROPPED}"),
            Remedy::FirewallAllowSsi,
        ),
        TunnelError::Refused {
            status: 407,
            challenges,
            ..
        } => proxy_error(format!(
            "the proxy {proxy_shown} wants credentials ({}){}",
            if challenges.is_empty() {
                "407".to_string()
            } else {
                format!("407, {}", challenges.join(", "))
            },
            if proxy_shown.contains('@') {
                ""
            } else {
                ": give them in the URL, --proxy http://user:password@host:port"
            }
        )),
        TunnelError::Refused { status_line, .. }
            if proxy::refuses_addresses(error) && host.parse::<IpAddr>().is_err() =>
        {
            Check::error(
                id,
                proxy::address_refusal(proxy_shown, destination, host, status_line),
                Remedy::ProxyFailed,
            )
            .with_detail("cause", "proxy")
            .with_detail("proxy_refuses_addresses", true)
        }
        TunnelError::Refused { status_line, .. } => proxy_error(format!(
            "the proxy {proxy_shown} did not open a tunnel to {destination} ({status_line})"
        )),
        TunnelError::TimedOut(during) => proxy_error(format!(
            "timed out after {} while {during} (proxy {proxy_shown})",
            budget.total_secs_text()
        )),
        other => proxy_error(format!("no tunnel through the proxy {proxy_shown}: {other}")),
    };
    check
        .with_detail("via", "proxy")
        .with_detail("proxy", proxy_shown)
        .with_detail("tunnel_to", destination)
}

/// Through the proxy: a tunnel to each of `order` in turn, named by the
/// address vetted here (SNI and Host keep the name), never by the name, which
/// the proxy's own resolver could answer with an address inside its network.
fn connect_via_proxy(
    target: &Target,
    order: &[IpAddr],
    proxy_setting: &ProxySetting,
    budget: &Budget,
) -> TcpOutcome {
    let id = CheckId::TcpConnect;
    let proxy_shown = proxy_setting.shown();
    let addresses: Vec<SocketAddr> = order
        .iter()
        .map(|ip| SocketAddr::new(*ip, target.port))
        .collect();
    match proxy::open_tunnel_to_any(proxy_setting, &addresses, budget.deadline()) {
        Ok((tunnel, reached)) => {
            let destination = reached.to_string();
            let check = Check::pass(
                id,
                format!(
                    "connected to {destination} ({}) through the proxy {proxy_shown} ({}) in {} ms; SSI connects directly, so this does not show that SSI can reach it",
                    target.host,
                    tunnel.proxy_addr,
                    tunnel.connect_time.as_millis()
                ),
            )
            .with_detail("via", "proxy")
            .with_detail("proxy", proxy_shown)
            .with_detail("proxy_from_env", proxy_setting.from_env)
            .with_detail("peer", tunnel.proxy_addr.to_string())
            .with_detail("tunnel_to", destination)
            .with_detail("proxy_status", tunnel.status_line.clone())
            .with_detail("connect_ms", tunnel.connect_time.as_millis() as u64);
            TcpOutcome {
                checks: vec![check],
                peer: Some(tunnel.proxy_addr),
                stream: Some(tunnel.stream),
                reached: Some(reached),
            }
        }
        Err((destination, error)) => TcpOutcome::broken(judge_tunnel_error(
            &error,
            &proxy_shown,
            (&target.host, &destination),
            budget,
        )),
    }
}

/// Runs the `tcp` stage: connects to the first of `addresses` (from the
/// `dns` stage) that accepts, on the target's port, within the budget.
pub fn run(
    target: &Target,
    addresses: &[IpAddr],
    net: &NetSettings,
    budget: &Budget,
) -> TcpOutcome {
    let id = CheckId::TcpConnect;
    if addresses.is_empty() {
        return TcpOutcome::broken(Check::skip(
            id,
            "no address to connect to: the dns stage passed none",
        ));
    }
    let (allowed, refused): (Vec<IpAddr>, Vec<IpAddr>) = addresses
        .iter()
        .partition(|ip| net::connect_allowed(**ip, net.allow_private));
    if allowed.is_empty() {
        let reasons: Vec<String> = refused.iter().map(|ip| net::refusal(*ip)).collect();
        return TcpOutcome::broken(
            Check::skip(id, format!("not connecting: {}", reasons.join("; "))).with_detail(
                "refused",
                Value::Array(refused.iter().map(|ip| json!(net::describe(*ip))).collect()),
            ),
        );
    }
    let outcome = match &net.proxy {
        Some(proxy_setting) => {
            connect_via_proxy(target, &connection_order(&allowed), proxy_setting, budget)
        }
        None => connect_direct(target, &connection_order(&allowed), net, budget),
    };
    if refused.is_empty() {
        return outcome;
    }
    // Say which addresses were left out, whatever happened with the others.
    let TcpOutcome {
        mut checks,
        stream,
        peer,
        reached,
    } = outcome;
    checks = checks
        .into_iter()
        .map(|check| {
            check.with_detail(
                "not_connected_to",
                Value::Array(refused.iter().map(|ip| json!(net::describe(*ip))).collect()),
            )
        })
        .collect();
    TcpOutcome {
        checks,
        stream,
        peer,
        reached,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Status;
    use std::time::Duration;

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|s| s.parse().expect("ip")).collect()
    }

    #[test]
    fn families_alternate_starting_with_the_first() {
        assert_eq!(
            connection_order(&ips(&["2a00::1", "2a00::2", "20.1.2.3", "2a00::3"])),
            ips(&["2a00::1", "20.1.2.3", "2a00::2", "2a00::3"])
        );
        assert_eq!(
            connection_order(&ips(&["20.1.2.3", "20.1.2.4"])),
            ips(&["20.1.2.3", "20.1.2.4"])
        );
        assert!(connection_order(&[]).is_empty());
    }

    fn attempt(addr: &str, failure: ConnectFailure) -> Attempt {
        Attempt {
            addr: addr.parse().expect("addr"),
            failure,
            error: "os error".into(),
            waited: Duration::from_millis(2500),
        }
    }

    #[test]
    fn failures_name_their_cause_and_remedy() {
        let budget = Budget::new(Duration::from_secs(60));
        let refused = judge_failures(
            443,
            &[attempt("20.1.2.3:443", ConnectFailure::Refused)],
            &budget,
            None,
        );
        assert_eq!(refused.remedy, Some(Remedy::PortClosed));
        assert!(
            refused.summary.contains("nothing listens on port 443"),
            "{}",
            refused.summary
        );

        let dropped = judge_failures(
            443,
            &[attempt("20.1.2.3:443", ConnectFailure::TimedOut)],
            &budget,
            None,
        );
        assert_eq!(dropped.remedy, Some(Remedy::FirewallAllowSsi));
        // Both readings: not allowed for SSI, or allowed for SSI only.
        assert!(
            dropped.summary.contains("does not allow SSI's IP ranges")
                && dropped.summary.contains("allows only them"),
            "{}",
            dropped.summary
        );
        assert!(
            dropped.summary.contains("timed out after 2.5 s"),
            "{}",
            dropped.summary
        );

        let unreachable = judge_failures(
            443,
            &[
                attempt("[2a00::1]:443", ConnectFailure::Unreachable),
                attempt("20.1.2.3:443", ConnectFailure::Refused),
            ],
            &budget,
            None,
        );
        assert_eq!(unreachable.remedy, Some(Remedy::Unreachable));
        assert!(
            unreachable
                .summary
                .contains("also tried 20.1.2.3:443 refused"),
            "{}",
            unreachable.summary
        );

        let spent = judge_failures(443, &[], &Budget::new(Duration::ZERO), None);
        assert_eq!(spent.remedy, Some(Remedy::TimedOut));
        assert!(
            spent.summary.contains("timed out after 0 s"),
            "{}",
            spent.summary
        );
    }

    #[test]
    fn no_route_for_a_family_is_this_machines_side() {
        let budget = Budget::new(Duration::from_secs(60));
        let nowhere = judge_failures(
            443,
            &[attempt("[2a00::1]:443", ConnectFailure::NoRoute)],
            &budget,
            None,
        );
        assert_eq!(
            (nowhere.status, nowhere.remedy),
            (Status::Error, Some(Remedy::NoRoute))
        );
        assert_eq!(nowhere.details["cause"], "no-route");
        assert!(nowhere.summary.contains("IPv6"), "{}", nowhere.summary);
        // Another family that was tried tells more: its failure is judged.
        let mixed = judge_failures(
            443,
            &[
                attempt("[2a00::1]:443", ConnectFailure::NoRoute),
                attempt("20.1.2.3:443", ConnectFailure::Refused),
            ],
            &budget,
            None,
        );
        assert_eq!(
            (mixed.status, mixed.remedy),
            (Status::Fail, Some(Remedy::PortClosed))
        );
        assert!(
            mixed.summary.contains("also tried [2a00::1]:443 no route"),
            "{}",
            mixed.summary
        );
    }

    #[test]
    fn an_unused_environment_proxy_is_hinted_without_its_credentials() {
        let budget = Budget::new(Duration::from_secs(60));
        let check = judge_failures(
            443,
            &[attempt("20.1.2.3:443", ConnectFailure::TimedOut)],
            &budget,
            Some("http://alice:secret@proxy.corp:3128"),
        );
        assert!(check.summary.contains("--proxy env"), "{}", check.summary);
        assert!(!check.summary.contains("secret"));
        assert!(check.details.contains_key("hint"));
    }

    fn refused(status: u16, status_line: &str, challenges: &[&str]) -> TunnelError {
        TunnelError::Refused {
            status,
            status_line: status_line.into(),
            challenges: challenges.iter().map(|c| c.to_string()).collect(),
        }
    }

    #[test]
    fn proxy_answers_are_charged_to_the_right_cause() {
        let budget = Budget::new(Duration::from_secs(60));
        let judge = |error: &TunnelError, host: &str| {
            judge_tunnel_error(error, "http://proxy:3128/", (host, "20.1.2.3:443"), &budget)
        };
        let host = "mail.contoso.com";
        let check = judge(&refused(504, "HTTP/1.1 504 Gateway Timeout", &[]), host);
        assert_eq!(
            (check.status, check.remedy),
            (Status::Fail, Some(Remedy::FirewallAllowSsi))
        );
        let auth = refused(
            407,
            "HTTP/1.1 407 Proxy Authentication Required",
            &["Negotiate"],
        );
        let check = judge(&auth, host);
        assert_eq!(
            (check.status, check.remedy),
            (Status::Error, Some(Remedy::ProxyFailed))
        );
        assert_eq!(check.details["cause"], "proxy");
        assert!(
            check.summary.contains("407, Negotiate"),
            "{}",
            check.summary
        );
        let check = judge(
            &TunnelError::TimedOut("connecting to the proxy".into()),
            host,
        );
        assert_eq!(check.status, Status::Error);
        assert_eq!(check.details["cause"], "proxy");
        // A proxy that allow-lists names refuses the address: said so, with --resolve.
        let forbidden = refused(403, "HTTP/1.1 403 Forbidden", &[]);
        let check = judge(&forbidden, host);
        assert_eq!(
            (check.status, check.remedy),
            (Status::Error, Some(Remedy::ProxyFailed))
        );
        assert_eq!(check.details["proxy_refuses_addresses"], true);
        assert!(
            check
                .summary
                .contains("--resolve mail.contoso.com:PORT:ADDRESS"),
            "{}",
            check.summary
        );
        // A literal target has no name to blame.
        let check = judge(&forbidden, "20.1.2.3");
        assert!(!check.details.contains_key("proxy_refuses_addresses"));
    }

    #[test]
    fn seconds_read_naturally() {
        assert_eq!(secs(Duration::from_secs(2)), "2 s");
        assert_eq!(secs(Duration::from_millis(2500)), "2.5 s");
    }
}
