//! The `dns` link: is the amurl host a public name that public resolvers
//! answer with public addresses, as SSI needs it to be?
//!
//! Facts are gathered first (the name's shape, each resolver's answer, the
//! system resolver's view, the hosts file) and judged by pure functions, one
//! per check, so every judgement is tested without a network.

mod doh;
mod hosts;
mod judge;
mod query;
mod wire;

use std::net::IpAddr;
use std::time::{Duration, Instant};

use crate::budget::Budget;
use crate::net;
use crate::report::{Check, CheckId};
use crate::settings::NetSettings;
use crate::target::Target;

use hosts::{hosts_entries, hosts_file_path, read_hosts_file};
use judge::{
    judge_address, judge_name, judge_resolve, judge_split_horizon, name_kind, AddressSource,
    NameKind, PublicView,
};
use query::{query_resolvers, union, worst_failure, QueryOutcome};

/// The suffixes of names that exist only inside a network, exactly as the
/// contract lists them (`.test` and `.example` are ordinary names here).
pub const INTERNAL_SUFFIXES: [&str; 7] = [
    ".local",
    ".lan",
    ".corp",
    ".internal",
    ".intranet",
    ".localdomain",
    ".home.arpa",
];

/// How much longer than the public resolvers the system resolver may take
/// (it was asked at the same time).
const SYSTEM_GRACE: Duration = Duration::from_secs(1);

/// What the `dns` stage found.
#[derive(Debug, Clone)]
pub struct DnsOutcome {
    /// `dns.name`, `dns.resolve`, `dns.address`, `dns.split_horizon`, in that order.
    pub checks: Vec<Check>,
    /// The addresses the next stages may connect to: the public ones, or all
    /// of them with `--allow-private`. Empty when there is nothing to connect
    /// to (the name did not resolve, was internal and not asked about, or
    /// resolved only to addresses the tool may not connect to).
    pub addresses: Vec<IpAddr>,
}

/// Runs the `dns` stage on the target's host: all four checks, and the
/// addresses the next stages may connect to.
pub fn run(target: &Target, net: &NetSettings, budget: &Budget) -> DnsOutcome {
    let host = target.host.as_str();
    let kind = name_kind(host);
    let name_check = judge_name(host, kind, net.allow_private);
    let pinned = net.pinned(host, target.port);

    let skip_rest =
        |name_check: Check, why: &str, addresses: Vec<IpAddr>, address_check: Check| DnsOutcome {
            checks: vec![
                name_check,
                Check::skip(CheckId::DnsResolve, why),
                address_check,
                Check::skip(CheckId::DnsSplitHorizon, why),
            ],
            addresses,
        };

    if let NameKind::IpLiteral(ip) = kind {
        let why = format!("the host is the IP address {ip}: there is no name to resolve");
        let (address_check, passed) = if net::is_public(ip) {
            judge_address(host, &[ip], AddressSource::Literal, net.allow_private)
        } else {
            let passed = if net.allow_private {
                vec![ip]
            } else {
                Vec::new()
            };
            (
                Check::skip(
                    CheckId::DnsAddress,
                    "the host is itself a non-public address: judged by dns.name",
                ),
                passed,
            )
        };
        return skip_rest(name_check, &why, passed, address_check);
    }

    if let NameKind::TooLong { .. } = kind {
        let why = "the host is no DNS name (see dns.name): no resolver asked";
        return skip_rest(
            name_check,
            why,
            Vec::new(),
            Check::skip(CheckId::DnsAddress, why),
        );
    }

    if let Some(ip) = pinned {
        let why = format!("pinned by --resolve to {ip}: no resolver asked");
        let (address_check, passed) =
            judge_address(host, &[ip], AddressSource::Pinned, net.allow_private);
        return skip_rest(name_check, &why, passed, address_check);
    }

    if kind != NameKind::Ordinary && !net.allow_private {
        // Asking public resolvers about an internal name is pointless, and
        // would tell them the customer's internal names.
        let why =
            format!("not asked: {host} is an internal name that public resolvers cannot know");
        return skip_rest(
            name_check,
            &why,
            Vec::new(),
            Check::skip(
                CheckId::DnsAddress,
                "no addresses: the name was not resolved",
            ),
        );
    }

    let system = net.system_dns.then(|| net::start_system_lookup(host));
    let answers = query_resolvers(host, net, budget.deadline());
    let public_done = Instant::now();
    let resolve_check = judge_resolve(host, &answers, budget);
    let (address_check, passed) = judge_address(
        host,
        &union(&answers),
        AddressSource::Resolvers,
        net.allow_private,
    );

    let split_check = match system {
        None => Check::skip(
            CheckId::DnsSplitHorizon,
            "not compared: the system resolver is not asked (--no-system-dns)",
        ),
        Some(receiver) => {
            let wait_until = (public_done + SYSTEM_GRACE).min(budget.deadline());
            let system_answer = net::await_system_lookup(&receiver, wait_until);
            let path = hosts_file_path();
            let hosts = read_hosts_file(&path)
                .map(|text| hosts_entries(&text, host))
                .unwrap_or_default();
            judge_split_horizon(
                host,
                &PublicView::of(&answers),
                &system_answer,
                &path.display().to_string(),
                &hosts,
            )
        }
    };

    DnsOutcome {
        checks: vec![name_check, resolve_check, address_check, split_check],
        addresses: passed,
    }
}

/// Why a host gives nothing to connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    /// One line saying why.
    pub why: String,
    /// No resolver said anything about the name from here (no reply,
    /// refused, unreachable): this machine's network, not the host's DNS.
    pub resolvers_unreachable: bool,
}

impl From<String> for Unresolved {
    /// A reason that lies with the host (its name, its addresses).
    fn from(why: String) -> Self {
        Unresolved {
            why,
            resolvers_unreachable: false,
        }
    }
}

impl std::fmt::Display for Unresolved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.why)
    }
}

/// Resolves `host` for a stage that must connect to it (the `ews` stage, for
/// an `--ews-url` on another host): `--resolve` pins first, else the public
/// resolvers; non-public addresses are refused unless `--allow-private`.
///
/// `Err` says why there is nothing to connect to.
pub fn resolve_for_connect(
    host: &str,
    port: u16,
    net: &NetSettings,
    budget: &Budget,
) -> Result<Vec<IpAddr>, Unresolved> {
    let host = host
        .trim_matches(['[', ']'])
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let gate = |ips: Vec<IpAddr>, source: &str| {
        let (allowed, refused): (Vec<IpAddr>, Vec<IpAddr>) = ips
            .into_iter()
            .partition(|ip| net::connect_allowed(*ip, net.allow_private));
        if allowed.is_empty() {
            let shown = refused
                .iter()
                .map(|ip| net::describe(*ip))
                .collect::<Vec<_>>()
                .join(", ");
            Err(Unresolved::from(format!(
                "{host} {source} only non-public addresses ({shown}); the tool connects to them only with --allow-private"
            )))
        } else {
            // Public addresses first: they are what SSI would use.
            let (mut public, private): (Vec<IpAddr>, Vec<IpAddr>) =
                allowed.into_iter().partition(|ip| net::is_public(*ip));
            public.extend(private);
            Ok(public)
        }
    };
    match name_kind(&host) {
        NameKind::IpLiteral(ip) => return gate(vec![ip], "is"),
        NameKind::TooLong { .. } => {
            return Err(Unresolved::from(format!(
                "`{}` is no DNS name (a label over 63 characters or a name over 253)",
                crate::text::excerpt(&host, 80)
            )));
        }
        _ if net.pinned(&host, port).is_some() => {
            let pinned = net.pinned(&host, port).into_iter().collect();
            return gate(pinned, "is pinned by --resolve to");
        }
        NameKind::SingleLabel | NameKind::InternalSuffix(_) if !net.allow_private => {
            return Err(Unresolved::from(format!(
                "{host} is an internal name: public resolvers cannot know it"
            )));
        }
        _ => {}
    }
    if net.dns_servers.is_empty() && net.doh.servers.is_empty() {
        return Err(Unresolved {
            why: format!("no public resolver to ask about {host} (--dns-server named none)"),
            resolvers_unreachable: true,
        });
    }
    let answers = query_resolvers(&host, net, budget.deadline());
    let all = union(&answers);
    if all.is_empty() {
        let worst = worst_failure(&answers);
        let garbled = matches!(worst, Some((_, QueryOutcome::Unusable(_))));
        let failure = match worst {
            Some((_, QueryOutcome::TimedOut | QueryOutcome::Abandoned)) | None => {
                format!("timed out after {}", budget.total_secs_text())
            }
            Some((server, failure)) => format!("{server}: {failure}"),
        };
        let resolvers_unreachable = !answers.iter().any(|answer| answer.spoke());
        let why = if garbled && resolvers_unreachable {
            format!("no public resolver gave a usable answer about {host} ({failure})")
        } else if resolvers_unreachable {
            format!("no public resolver could be reached from this machine to resolve {host} ({failure})")
        } else {
            format!("public resolvers give no address for {host} ({failure})")
        };
        return Err(Unresolved {
            why,
            resolvers_unreachable,
        });
    }
    gate(all, "resolves to")
}
