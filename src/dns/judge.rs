//! The pure judgements, one per check (`dns.name`, `dns.resolve`,
//! `dns.address`, `dns.split_horizon`): functions of gathered facts only,
//! so each is tested without a network.

use std::collections::BTreeSet;
use std::net::IpAddr;

use serde_json::{json, Value};

use super::hosts::HostsEntry;
use super::query::{join, union, worst_failure, QueryOutcome, ResolverAnswer};
use super::INTERNAL_SUFFIXES;
use crate::budget::Budget;
use crate::net::{self, classify, SystemLookup};
use crate::remedy::Remedy;
use crate::report::{Check, CheckId};

/// The shape of the host name, judged before any query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NameKind {
    /// A multi-label name that may exist in public DNS.
    Ordinary,
    /// One label only (`exchange01`): public DNS has no such names.
    SingleLabel,
    /// Ends in one of [`INTERNAL_SUFFIXES`].
    InternalSuffix(&'static str),
    /// An IP address written as the host.
    IpLiteral(IpAddr),
    /// Not a DNS name at all: a label over [`MAX_LABEL_LEN`] characters or a
    /// name over [`MAX_NAME_LEN`] (RFC 1035); no resolver is asked about it.
    TooLong {
        /// The length of the longest label.
        longest_label: usize,
        /// The length of the whole name, without a final dot.
        total: usize,
    },
}

/// The longest label a DNS name may have (RFC 1035, section 2.3.4).
pub(super) const MAX_LABEL_LEN: usize = 63;
/// The longest DNS name in its dotted form (RFC 1035: 255 octets on the wire).
pub(super) const MAX_NAME_LEN: usize = 253;

pub(super) fn name_kind(host: &str) -> NameKind {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
        return NameKind::IpLiteral(ip);
    }
    let longest_label = host.split('.').map(str::len).max().unwrap_or(0);
    if longest_label > MAX_LABEL_LEN || host.len() > MAX_NAME_LEN {
        return NameKind::TooLong {
            longest_label,
            total: host.len(),
        };
    }
    if !host.contains('.') {
        return NameKind::SingleLabel;
    }
    INTERNAL_SUFFIXES
        .iter()
        .find(|suffix| host.ends_with(*suffix) || host == suffix[1..])
        .map_or(NameKind::Ordinary, |suffix| {
            NameKind::InternalSuffix(suffix)
        })
}

pub(super) fn judge_name(host: &str, kind: NameKind, allow_private: bool) -> Check {
    let id = CheckId::DnsName;
    match kind {
        NameKind::Ordinary => Check::pass(
            id,
            format!("{host} is a multi-label name without an internal-only suffix"),
        ),
        NameKind::SingleLabel => Check::fail(
            id,
            format!("{host} is a single-label name, which exists only inside a network: SSI cannot resolve it"),
            Remedy::InternalHostName,
        )
        .with_detail("kind", "single label"),
        NameKind::InternalSuffix(suffix) => Check::fail(
            id,
            format!("{host} ends in {suffix}, an internal-only suffix: SSI cannot resolve it from the internet"),
            Remedy::InternalHostName,
        )
        .with_detail("kind", "internal suffix")
        .with_detail("suffix", suffix),
        NameKind::TooLong {
            longest_label,
            total,
        } => {
            let why = if longest_label > MAX_LABEL_LEN {
                format!("a label of {longest_label} characters (DNS allows {MAX_LABEL_LEN})")
            } else {
                format!("{total} characters (DNS allows {MAX_NAME_LEN})")
            };
            Check::fail(
                id,
                format!(
                    "the host `{}` is no DNS name: it has {why}; no resolver was asked",
                    crate::text::excerpt(host, 80)
                ),
                Remedy::TokenAmurl,
            )
            .with_detail("kind", "too long")
            .with_detail("longest_label", longest_label)
            .with_detail("length", total)
        }
        NameKind::IpLiteral(ip) => {
            let class = classify(ip);
            let check = if class.is_public() {
                Check::pass(id, format!("the host is the public IP address {ip}"))
            } else {
                let summary = format!(
                    "the host is the IP address {ip}, {} address SSI cannot reach from the internet",
                    class.with_article()
                );
                if allow_private {
                    Check::warn(id, format!("{summary} (probed anyway: --allow-private)"), Remedy::PublicAddress)
                } else {
                    Check::fail(id, summary, Remedy::PublicAddress)
                }
            };
            check
                .with_detail("kind", "IP literal")
                .with_detail("class", class.label())
        }
    }
}

/// `a, b and c`.
fn listing(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

pub(super) fn judge_resolve(host: &str, answers: &[ResolverAnswer], budget: &Budget) -> Check {
    let id = CheckId::DnsResolve;
    let details = Value::Array(answers.iter().map(ResolverAnswer::details).collect());
    if answers.is_empty() {
        return Check::error(
            id,
            format!("no public resolver was asked about {host} (--dns-server named none): nothing is known about its DNS"),
            Remedy::DnsResolversUnreachable,
        )
        .with_detail("cause", "resolvers-unreachable");
    }
    let all = union(answers);
    let answering: Vec<&ResolverAnswer> = answers
        .iter()
        .filter(|a| !a.addresses().is_empty())
        .collect();
    if !all.is_empty() {
        // Rows that said nothing because others had answered first are noise.
        let others: Vec<String> = answers
            .iter()
            .filter(|a| a.addresses().is_empty() && a.outcome() != QueryOutcome::Abandoned)
            .map(|a| format!("{}: {}", a.label(), a.outcome()))
            .collect();
        let mut transports: Vec<&str> = answering.iter().map(|a| a.transport.label()).collect();
        transports.dedup();
        let mut summary = format!(
            "{} of {} public resolvers answer {host} with {}",
            answering.len(),
            answers.len(),
            join(&all)
        );
        if answering.iter().any(|a| a.fallback) {
            summary.push_str(&format!(
                "; port 53 gave no answer from here, so they were asked over {}",
                transports
                    .iter()
                    .map(|t| match *t {
                        "https" => "DNS over HTTPS",
                        "tcp" => "TCP",
                        other => other,
                    })
                    .collect::<Vec<_>>()
                    .join(" and ")
            ));
        }
        if !others.is_empty() {
            summary.push_str(&format!(" ({})", others.join("; ")));
        }
        return Check::pass(id, summary)
            .with_detail("resolvers", details)
            .with_detail("transport", transports.join(","));
    }
    let spoken: Vec<ResolverAnswer> = answers.iter().filter(|a| a.spoke()).cloned().collect();
    let Some((server, failure)) = worst_failure(&spoken) else {
        return unspoken(host, answers, budget, details);
    };
    let (summary, remedy) = match &failure {
        QueryOutcome::NxDomain => (
            format!("public resolvers answer NXDOMAIN for {host} ({server}): the name does not exist in public DNS"),
            Remedy::PublishDnsName,
        ),
        QueryOutcome::NoRecords => (
            format!("{host} exists in public DNS but has no A or AAAA record ({server} answers no records)"),
            Remedy::PublishDnsName,
        ),
        QueryOutcome::ErrorCode(code) => (
            format!("public resolvers answer {code} for {host} ({server}): they cannot get an answer from the name's servers"),
            Remedy::DnsUnanswered,
        ),
        unanswered => {
            // A resolver that answered one query and not the other.
            let queries = spoken
                .iter()
                .find(|a| a.label() == server)
                .map(|a| format!("A: {}; AAAA: {}", a.a, a.aaaa))
                .unwrap_or_else(|| unanswered.to_string());
            (
                format!("public resolvers answer only part of the queries for {host} ({server}: {queries}): they cannot get a whole answer from the name's servers"),
                Remedy::DnsUnanswered,
            )
        }
    };
    let silent: Vec<String> = answers
        .iter()
        .filter(|a| !a.spoke())
        .map(|a| a.label())
        .collect();
    let summary = if silent.is_empty() {
        summary
    } else {
        format!("{summary}; {} gave no answer", listing(&silent))
    };
    Check::fail(id, summary, remedy)
        .with_detail("outcomes", grouped_outcomes(answers))
        .with_detail("resolvers", details)
}

/// `dns.resolve` when no resolver said anything about the name: this
/// machine's network (no network at all, DNS blocked, or replies that answer
/// nothing). Each resolver's outcome is told once, in `outcomes`.
fn unspoken(host: &str, answers: &[ResolverAnswer], budget: &Budget, details: Value) -> Check {
    let id = CheckId::DnsResolve;
    let outcomes = grouped_outcomes(answers);
    let asked = answers.len();
    let garbled: Vec<String> = answers
        .iter()
        .filter(|a| matches!(a.outcome(), QueryOutcome::Unusable(_)))
        .map(|a| format!("{} {}", a.label(), a.outcome()))
        .collect();
    let (summary, remedy, cause) = if !garbled.is_empty() {
        // Replies came back, so DNS is not blocked: they were no answers.
        (
            format!(
                "no public resolver gave a usable answer about {host}, so nothing is known about its DNS: {}",
                listing(&garbled)
            ),
            Remedy::DnsResolversGarbled,
            "resolvers-unreachable",
        )
    } else if answers
        .iter()
        .all(|a| matches!(a.outcome(), QueryOutcome::NoRoute(_)))
    {
        (
            format!("this machine has no network connection: it has no route to any of the {asked} resolvers asked, so nothing is known about {host}"),
            Remedy::NoNetwork,
            "no-route",
        )
    } else {
        let silent = answers.iter().all(|a| {
            matches!(
                a.outcome(),
                QueryOutcome::TimedOut | QueryOutcome::Abandoned
            )
        });
        let how = if silent {
            format!("none answered within {}", budget.total_secs_text())
        } else {
            "none could be reached".to_string()
        };
        (
            format!("no public resolver could be reached from this machine, so nothing is known about {host}'s DNS: {how}; outbound DNS is probably blocked here"),
            Remedy::DnsResolversUnreachable,
            "resolvers-unreachable",
        )
    };
    Check::error(id, summary, remedy)
        .with_detail("cause", cause)
        .with_detail("outcomes", outcomes)
        .with_detail("resolvers", details)
}

/// Each distinct outcome once, with the resolvers that had it:
/// `{"outcome": "no answer in time", "resolvers": "1.1.1.1:53 (udp), 8.8.8.8:53 (udp)"}`.
fn grouped_outcomes(answers: &[ResolverAnswer]) -> Value {
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for answer in answers {
        let outcome = answer.outcome().to_string();
        match groups.iter_mut().find(|(o, _)| *o == outcome) {
            Some((_, labels)) => labels.push(answer.label()),
            None => groups.push((outcome, vec![answer.label()])),
        }
    }
    Value::Array(
        groups
            .into_iter()
            .map(|(outcome, labels)| json!({"outcome": outcome, "resolvers": labels.join(", ")}))
            .collect(),
    )
}

/// How the addresses being judged were found, for summaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AddressSource {
    Resolvers,
    Pinned,
    Literal,
}

impl AddressSource {
    fn verb(self) -> &'static str {
        match self {
            AddressSource::Resolvers => "resolves to",
            AddressSource::Pinned => "is pinned by --resolve to",
            AddressSource::Literal => "is",
        }
    }
}

/// Judges the addresses and picks those the next stages may connect to.
pub(super) fn judge_address(
    host: &str,
    addresses: &[IpAddr],
    source: AddressSource,
    allow_private: bool,
) -> (Check, Vec<IpAddr>) {
    let id = CheckId::DnsAddress;
    if addresses.is_empty() {
        return (
            Check::skip(id, format!("no addresses for {host} to judge")),
            Vec::new(),
        );
    }
    let listed: Vec<Value> = addresses
        .iter()
        .map(|ip| json!({"address": ip.to_string(), "class": classify(*ip).label()}))
        .collect();
    let (public, private): (Vec<IpAddr>, Vec<IpAddr>) =
        addresses.iter().partition(|ip| net::is_public(**ip));
    let describe_all = |ips: &[IpAddr]| {
        ips.iter()
            .map(|ip| net::describe(*ip))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let verb = source.verb();
    let families_detail = json!(families_of(addresses));
    if !public.is_empty() && public.iter().all(IpAddr::is_ipv6) {
        let summary = format!(
            "{host} {verb} public IPv6 addresses only ({}): SSI connects from IPv4 addresses (every egress range in the KB article is IPv4) and cannot reach it",
            join(&public)
        );
        return (
            Check::fail(id, summary, Remedy::Ipv6Only)
                .with_detail("cause", "ipv6-only")
                .with_detail("families", families_detail)
                .with_detail("addresses", Value::Array(listed)),
            Vec::new(),
        );
    }
    let (check, passed) = if private.is_empty() {
        (
            Check::pass(
                id,
                format!("{host} {verb} public addresses: {}", join(&public)),
            ),
            public,
        )
    } else if !public.is_empty() {
        let summary = format!(
            "{host} {verb} public and non-public addresses: {} beside {}",
            describe_all(&private),
            join(&public)
        );
        if allow_private {
            let mut all = public;
            all.extend(private);
            (
                Check::warn(
                    id,
                    format!("{summary}; all are probed (--allow-private)"),
                    Remedy::MixedAddresses,
                ),
                all,
            )
        } else {
            (
                Check::warn(
                    id,
                    format!("{summary}; only the public ones are probed"),
                    Remedy::MixedAddresses,
                ),
                public,
            )
        }
    } else {
        let summary = format!(
            "{host} {verb} only non-public addresses, which SSI cannot reach from the internet: {}",
            describe_all(&private)
        );
        if allow_private {
            (
                Check::warn(
                    id,
                    format!("{summary} (probed anyway: --allow-private)"),
                    Remedy::PublicAddress,
                ),
                private,
            )
        } else {
            (Check::fail(id, summary, Remedy::PublicAddress), Vec::new())
        }
    };
    (
        check
            .with_detail("addresses", Value::Array(listed))
            .with_detail("families", families_detail),
        passed,
    )
}

/// The address families among `addresses`: `ipv4` and/or `ipv6`, in that order.
fn families_of(addresses: &[IpAddr]) -> Vec<&'static str> {
    let mut families = Vec::new();
    if addresses.iter().any(IpAddr::is_ipv4) {
        families.push("ipv4");
    }
    if addresses.iter().any(IpAddr::is_ipv6) {
        families.push("ipv6");
    }
    families
}

/// What the public resolvers agreed on, for comparing with this machine's view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct PublicView {
    addresses: BTreeSet<IpAddr>,
    /// Whether every resolver that gave addresses gave the same ones. Geo-DNS
    /// and CDN names (outlook.office365.com) answer differently per resolver:
    /// then one more different public address proves nothing.
    agree: bool,
    /// Their most telling failure, when they gave no address.
    failure: Option<QueryOutcome>,
}

impl PublicView {
    pub(super) fn of(answers: &[ResolverAnswer]) -> Self {
        let addresses: BTreeSet<IpAddr> = union(answers).into_iter().collect();
        let mut sets = answers
            .iter()
            .map(|a| a.addresses().into_iter().collect::<BTreeSet<IpAddr>>())
            .filter(|set| !set.is_empty());
        let agree = match sets.next() {
            Some(first) => sets.all(|set| set == first),
            None => true,
        };
        let failure = if addresses.is_empty() {
            Some(worst_failure(answers).map_or(
                QueryOutcome::Failed("no resolver asked".into()),
                |(_, failure)| failure,
            ))
        } else {
            None
        };
        PublicView {
            addresses,
            agree,
            failure,
        }
    }

    /// Whether this machine's `ip` is worth a warning: a non-public address,
    /// or a public one the resolvers do not give while they agree among
    /// themselves (or give no address at all).
    fn contradicted_by(&self, ip: IpAddr) -> bool {
        !self.addresses.contains(&ip) && (!net::is_public(ip) || self.agree)
    }

    fn describe(&self) -> String {
        match &self.failure {
            Some(failure) => format!("public resolvers give no address ({failure})"),
            None => format!(
                "public resolvers answer {}",
                self.addresses
                    .iter()
                    .map(IpAddr::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

pub(super) fn judge_split_horizon(
    host: &str,
    public: &PublicView,
    system: &SystemLookup,
    hosts_path: &str,
    hosts: &[HostsEntry],
) -> Check {
    let id = CheckId::DnsSplitHorizon;
    let system_detail = match system {
        SystemLookup::Addresses(ips) => {
            json!(ips.iter().map(|ip| ip.to_string()).collect::<Vec<_>>())
        }
        SystemLookup::Failed(why) => json!(format!("error: {why}")),
        SystemLookup::TimedOut => json!("no answer in time"),
    };
    let hosts_detail: Vec<String> = hosts
        .iter()
        .map(|entry| format!("{hosts_path}:{}: {}", entry.line, entry.text))
        .collect();
    let public_detail: Vec<String> = public.addresses.iter().map(IpAddr::to_string).collect();
    let with_facts = |check: Check| {
        let check = check
            .with_detail("system_resolver", system_detail.clone())
            .with_detail("public_resolvers", json!(public_detail));
        if hosts_detail.is_empty() {
            check
        } else {
            check.with_detail("hosts_file", json!(hosts_detail))
        }
    };

    let pinned_elsewhere: Vec<&HostsEntry> = hosts
        .iter()
        .filter(|entry| public.contradicted_by(entry.addr))
        .collect();
    if let Some(first) = pinned_elsewhere.first() {
        return with_facts(Check::warn(
            id,
            format!(
                "{hosts_path} line {} pins {host} to {}, while {}: this machine sees something SSI does not",
                first.line,
                net::describe(first.addr),
                public.describe()
            ),
            Remedy::SplitHorizon,
        ));
    }
    let check = match system {
        SystemLookup::Addresses(ips) if ips.is_empty() => Check::skip(id, "the system resolver gave an empty answer"),
        SystemLookup::Addresses(ips) => {
            let differing: Vec<IpAddr> = ips.iter().copied().filter(|ip| !public.addresses.contains(ip)).collect();
            let contradicting = ips.iter().any(|ip| public.contradicted_by(*ip));
            if public.failure.is_none() && differing.is_empty() {
                Check::pass(
                    id,
                    format!("the system resolver agrees with the public resolvers on {host} ({})", join(ips)),
                )
            } else if public.failure.is_none() && !contradicting {
                Check::pass(
                    id,
                    format!(
                        "this machine resolves {host} to other public addresses ({}) than the public resolvers ({}), which differ among themselves too: a geo-DNS or CDN name, not split-horizon DNS",
                        join(&differing),
                        public.addresses.iter().map(IpAddr::to_string).collect::<Vec<_>>().join(", ")
                    ),
                )
                .with_detail("note", "answers differ per resolver (geo-DNS or CDN)")
            } else {
                let shown = ips.iter().map(|ip| net::describe(*ip)).collect::<Vec<_>>().join(", ");
                Check::warn(
                    id,
                    format!(
                        "this machine resolves {host} to {shown}, while {}: what you see here is not what SSI sees",
                        public.describe()
                    ),
                    Remedy::SplitHorizon,
                )
            }
        }
        SystemLookup::Failed(why) => match &public.failure {
            // The public resolvers said the name has no address: both agree.
            Some(failure) if failure.is_answer() => Check::pass(
                id,
                format!("neither the system resolver nor the public resolvers resolve {host}"),
            ),
            Some(_) => Check::skip(
                id,
                format!("the public resolvers gave no answer about {host} to compare with"),
            ),
            None => Check::warn(
                id,
                format!(
                    "this machine cannot resolve {host} ({why}), while {}: what you see here is not what SSI sees",
                    public.describe()
                ),
                Remedy::SplitHorizon,
            ),
        },
        SystemLookup::TimedOut => Check::skip(
            id,
            format!("the system resolver did not answer about {host} in time; nothing to compare"),
        ),
    };
    with_facts(check)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::dns::hosts::hosts_entries;
    use crate::dns::query::tests::{answer, ip};
    use crate::report::Status;

    #[test]
    fn name_shapes() {
        use NameKind::*;
        let table = [
            ("mail.contoso.com", Ordinary),
            ("mail.contoso.test", Ordinary),
            ("mail.contoso.example", Ordinary),
            ("mail.corp.contoso.com", Ordinary),
            ("mail.contoso.localhost", Ordinary),
            ("mail.contoso.com.", Ordinary),
            ("exchange01", SingleLabel),
            ("localhost", SingleLabel),
            ("mail.contoso.local", InternalSuffix(".local")),
            ("MAIL.CONTOSO.LOCAL.", InternalSuffix(".local")),
            ("mail.contoso.lan", InternalSuffix(".lan")),
            ("mail.contoso.corp", InternalSuffix(".corp")),
            ("mail.contoso.internal", InternalSuffix(".internal")),
            ("mail.contoso.intranet", InternalSuffix(".intranet")),
            ("mail.localdomain", InternalSuffix(".localdomain")),
            ("mail.home.arpa", InternalSuffix(".home.arpa")),
            ("home.arpa", InternalSuffix(".home.arpa")),
            ("mail.contoso.locals", Ordinary),
            ("10.0.0.5", IpLiteral(ip("10.0.0.5"))),
            ("[2001:db8::1]", IpLiteral(ip("2001:db8::1"))),
            ("2a00::1", IpLiteral(ip("2a00::1"))),
        ];
        for (host, expected) in table {
            assert_eq!(name_kind(host), expected, "{host}");
        }
    }

    #[test]
    fn names_beyond_dns_limits_are_no_names() {
        let long_label = format!("{}.contoso.com", "a".repeat(64));
        let long_name = format!("{}com", "abcdefghi.".repeat(25));
        let longest_ok = format!("{}.contoso.com", "a".repeat(63));
        assert_eq!(
            name_kind(&long_label),
            NameKind::TooLong {
                longest_label: 64,
                total: 76
            }
        );
        assert_eq!(long_name.len(), 253);
        assert!(!matches!(name_kind(&long_name), NameKind::TooLong { .. }));
        assert!(matches!(
            name_kind(&format!("x{long_name}")),
            NameKind::TooLong { total: 254, .. }
        ));
        assert_eq!(name_kind(&longest_ok), NameKind::Ordinary);
        let unspecified = judge_name("0.0.0.0", name_kind("0.0.0.0"), false);
        assert!(
            unspecified
                .summary
                .contains("0.0.0.0, an unspecified address"),
            "{}",
            unspecified.summary
        );
        // A token taken for a host: its header alone is a label of 36+ characters.
        let token_host = "eyjhbgcioijsuzi1niisinr5cci6ikpxvcj9eyjhbgcioijsuzi1niisinr5cci6ikpxvcj9.eyjzdwiioiixmjm0in0.sig";
        let check = judge_name(token_host, name_kind(token_host), true);
        assert_eq!(check.status, Status::Fail);
        assert!(check.summary.contains("no DNS name"), "{}", check.summary);
        assert!(check.summary.len() < 250, "the host is clipped");
    }

    #[test]
    fn dns_name_judgements() {
        let ordinary = judge_name("mail.contoso.test", NameKind::Ordinary, false);
        assert_eq!(ordinary.status, Status::Pass);
        let single = judge_name("exchange01", NameKind::SingleLabel, false);
        assert_eq!(
            (single.status, single.remedy),
            (Status::Fail, Some(Remedy::InternalHostName))
        );
        let suffix = judge_name("mail.contoso.local", name_kind("mail.contoso.local"), true);
        assert_eq!(
            (suffix.status, suffix.remedy),
            (Status::Fail, Some(Remedy::InternalHostName))
        );
        assert!(suffix.summary.contains(".local"));

        let private = judge_name("10.0.0.5", name_kind("10.0.0.5"), false);
        assert_eq!(
            (private.status, private.remedy),
            (Status::Fail, Some(Remedy::PublicAddress))
        );
        assert!(
            private.summary.contains("private (RFC 1918)"),
            "{}",
            private.summary
        );
        let allowed = judge_name("10.0.0.5", name_kind("10.0.0.5"), true);
        assert_eq!(allowed.status, Status::Warn);
        let public = judge_name("20.1.2.3", name_kind("20.1.2.3"), false);
        assert_eq!(public.status, Status::Pass);
    }

    #[test]
    fn no_route_to_any_resolver_is_no_network_here_and_each_outcome_is_told_once() {
        let budget = Budget::new(Duration::from_secs(15));
        let no_route = |why: &str| QueryOutcome::NoRoute(why.into());
        let mut doh = answer(
            "https://1.1.1.1/dns-query",
            no_route("io: Network is unreachable (os error 101)"),
            no_route("io: Network is unreachable (os error 101)"),
        );
        doh.transport = crate::dns::wire::Transport::Https;
        let answers = [
            answer(
                "1.1.1.1:53",
                no_route("UDP: unreachable"),
                no_route("UDP: unreachable"),
            ),
            answer(
                "8.8.8.8:53",
                no_route("UDP: unreachable"),
                no_route("UDP: unreachable"),
            ),
            doh,
        ];
        let check = judge_resolve("mail.contoso.test", &answers, &budget);
        assert_eq!(
            (check.status, check.remedy),
            (Status::Error, Some(Remedy::NoNetwork))
        );
        assert_eq!(check.details["cause"], "no-route");
        assert!(
            check.summary.contains("no network connection"),
            "{}",
            check.summary
        );
        assert!(!check.summary.contains("8.8.8.8"), "{}", check.summary);
        let outcomes = check.details["outcomes"].as_array().expect("outcomes");
        assert_eq!(outcomes.len(), 2, "{outcomes:?}");
        assert_eq!(
            outcomes[0]["resolvers"],
            "1.1.1.1:53 (udp), 8.8.8.8:53 (udp)"
        );
        assert!(!Remedy::NoNetwork.text().contains("--dns-server"));

        // One resolver silent rather than unroutable: DNS may be blocked, not
        // the whole network.
        let mut mixed = answers.to_vec();
        mixed.push(answer(
            "9.9.9.9:53",
            QueryOutcome::TimedOut,
            QueryOutcome::TimedOut,
        ));
        let check = judge_resolve("mail.contoso.test", &mixed, &budget);
        assert_eq!(check.details["cause"], "resolvers-unreachable");
        assert_eq!(check.remedy, Some(Remedy::DnsResolversUnreachable));
    }

    #[test]
    fn dns_resolve_judgements() {
        let budget = Budget::new(Duration::from_secs(15));
        let host = "mail.contoso.test";
        let ok = judge_resolve(
            host,
            &[
                answer(
                    "1.1.1.1:53",
                    QueryOutcome::Addresses(vec![ip("20.1.2.3")]),
                    QueryOutcome::NoRecords,
                ),
                answer("9.9.9.9:53", QueryOutcome::NxDomain, QueryOutcome::NxDomain),
            ],
            &budget,
        );
        assert_eq!(ok.status, Status::Pass);
        assert!(ok.summary.contains("1 of 2"), "{}", ok.summary);
        assert!(
            ok.summary.contains("9.9.9.9:53 (udp): NXDOMAIN"),
            "{}",
            ok.summary
        );
        assert_eq!(ok.details["transport"], "udp");

        // Answered only by the DNS-over-HTTPS fallback: the report says so.
        let mut doh = answer(
            "https://1.1.1.1/dns-query",
            QueryOutcome::Addresses(vec![ip("20.1.2.3")]),
            QueryOutcome::NoRecords,
        );
        doh.transport = crate::dns::wire::Transport::Https;
        doh.fallback = true;
        let fell_back = judge_resolve(
            host,
            &[
                answer("1.1.1.1:53", QueryOutcome::TimedOut, QueryOutcome::TimedOut),
                doh,
            ],
            &budget,
        );
        assert_eq!(fell_back.status, Status::Pass);
        assert!(
            fell_back.summary.contains("asked over DNS over HTTPS"),
            "{}",
            fell_back.summary
        );
        assert_eq!(fell_back.details["transport"], "https");
        assert_eq!(fell_back.details["resolvers"][1]["fallback"], true);

        let nx = judge_resolve(
            host,
            &[
                answer("1.1.1.1:53", QueryOutcome::NxDomain, QueryOutcome::NxDomain),
                answer("8.8.8.8:53", QueryOutcome::TimedOut, QueryOutcome::TimedOut),
            ],
            &budget,
        );
        assert_eq!(
            (nx.status, nx.remedy),
            (Status::Fail, Some(Remedy::PublishDnsName))
        );
        assert!(nx.summary.contains("NXDOMAIN"));

        let nodata = judge_resolve(
            host,
            &[answer(
                "1.1.1.1:53",
                QueryOutcome::NoRecords,
                QueryOutcome::NoRecords,
            )],
            &budget,
        );
        assert_eq!(
            (nodata.status, nodata.remedy),
            (Status::Fail, Some(Remedy::PublishDnsName))
        );
        assert!(nodata.summary.contains("no A or AAAA"));

        let servfail = judge_resolve(
            host,
            &[answer(
                "1.1.1.1:53",
                QueryOutcome::ErrorCode("SERVFAIL".into()),
                QueryOutcome::TimedOut,
            )],
            &budget,
        );
        assert_eq!(
            (servfail.status, servfail.remedy),
            (Status::Fail, Some(Remedy::DnsUnanswered))
        );
        assert!(servfail.summary.contains("SERVFAIL"));

        // Nobody said anything about the name: this machine's network.
        let silent = judge_resolve(
            host,
            &[
                answer("1.1.1.1:53", QueryOutcome::TimedOut, QueryOutcome::TimedOut),
                answer(
                    "8.8.8.8:53",
                    QueryOutcome::Unreachable("UDP: refused".into()),
                    QueryOutcome::Unreachable("UDP: refused".into()),
                ),
                answer(
                    "9.9.9.9:53",
                    QueryOutcome::ErrorCode("REFUSED".into()),
                    QueryOutcome::ErrorCode("REFUSED".into()),
                ),
            ],
            &budget,
        );
        assert_eq!(
            (silent.status, silent.remedy),
            (Status::Error, Some(Remedy::DnsResolversUnreachable))
        );
        assert_eq!(silent.details["cause"], "resolvers-unreachable");
        // Each resolver's outcome is told once: in `outcomes`, not the summary.
        let told = silent.details["outcomes"].to_string();
        for server in ["1.1.1.1:53", "8.8.8.8:53", "9.9.9.9:53"] {
            assert!(told.contains(server), "{told}");
            assert!(!silent.summary.contains(server), "{}", silent.summary);
        }

        // One SERVFAIL is an answer: the target's DNS, whatever the others did.
        let one_spoke = judge_resolve(
            host,
            &[
                answer("1.1.1.1:53", QueryOutcome::TimedOut, QueryOutcome::TimedOut),
                answer(
                    "8.8.8.8:53",
                    QueryOutcome::ErrorCode("SERVFAIL".into()),
                    QueryOutcome::ErrorCode("SERVFAIL".into()),
                ),
            ],
            &budget,
        );
        assert_eq!(one_spoke.status, Status::Fail);
        assert!(
            one_spoke
                .summary
                .contains("1.1.1.1:53 (udp) gave no answer"),
            "{}",
            one_spoke.summary
        );

        // Replies that answer no question: neither silence nor the name's DNS.
        let garbled = judge_resolve(
            host,
            &[answer(
                "1.1.1.1:53",
                QueryOutcome::Unusable(3),
                QueryOutcome::Unusable(3),
            )],
            &budget,
        );
        assert_eq!(
            (garbled.status, garbled.remedy),
            (Status::Error, Some(Remedy::DnsResolversGarbled))
        );
        assert!(
            garbled
                .summary
                .contains("1.1.1.1:53 (udp) answered 3 times, but not to this question"),
            "{}",
            garbled.summary
        );
        assert!(!garbled.summary.contains("blocked"), "{}", garbled.summary);

        // One query answered, the other never: no "no records" verdict.
        let half = judge_resolve(
            host,
            &[answer(
                "1.1.1.1:53",
                QueryOutcome::TimedOut,
                QueryOutcome::NoRecords,
            )],
            &budget,
        );
        assert_eq!(
            (half.status, half.remedy),
            (Status::Fail, Some(Remedy::DnsUnanswered))
        );
        assert!(
            half.summary
                .contains("A: no answer in time; AAAA: no records"),
            "{}",
            half.summary
        );

        let none = judge_resolve(host, &[], &budget);
        assert_eq!(none.status, Status::Error);
    }

    #[test]
    fn dns_address_judgements() {
        let host = "mail.contoso.test";
        let (public, passed) = judge_address(
            host,
            &[ip("20.1.2.3"), ip("2a00::1")],
            AddressSource::Resolvers,
            false,
        );
        assert_eq!(public.status, Status::Pass);
        assert_eq!(passed, vec![ip("20.1.2.3"), ip("2a00::1")]);

        let (mixed, passed) = judge_address(
            host,
            &[ip("10.0.0.5"), ip("20.1.2.3")],
            AddressSource::Resolvers,
            false,
        );
        assert_eq!(
            (mixed.status, mixed.remedy),
            (Status::Warn, Some(Remedy::MixedAddresses))
        );
        assert_eq!(passed, vec![ip("20.1.2.3")]);
        let (_, passed) = judge_address(
            host,
            &[ip("10.0.0.5"), ip("20.1.2.3")],
            AddressSource::Resolvers,
            true,
        );
        assert_eq!(passed, vec![ip("20.1.2.3"), ip("10.0.0.5")]);

        let (private, passed) = judge_address(
            host,
            &[ip("10.0.0.5"), ip("fd00::5")],
            AddressSource::Resolvers,
            false,
        );
        assert_eq!(
            (private.status, private.remedy),
            (Status::Fail, Some(Remedy::PublicAddress))
        );
        assert!(
            private.summary.contains("10.0.0.5 (private (RFC 1918))"),
            "{}",
            private.summary
        );
        assert!(
            private.summary.contains("unique local"),
            "{}",
            private.summary
        );
        assert!(passed.is_empty());
        assert_eq!(
            private.details["addresses"][1]["class"],
            "unique local (fc00::/7)"
        );

        let (allowed, passed) =
            judge_address(host, &[ip("127.0.0.1")], AddressSource::Pinned, true);
        assert_eq!(
            (allowed.status, allowed.remedy),
            (Status::Warn, Some(Remedy::PublicAddress))
        );
        assert!(allowed.summary.contains("pinned by --resolve"));
        assert_eq!(passed, vec![ip("127.0.0.1")]);

        assert_eq!(public.details["families"], json!(["ipv4", "ipv6"]));
        let (v6, passed) = judge_address(
            host,
            &[ip("2a00::1"), ip("10.0.0.5")],
            AddressSource::Resolvers,
            false,
        );
        assert_eq!(
            (v6.status, v6.remedy),
            (Status::Fail, Some(Remedy::Ipv6Only))
        );
        assert_eq!(v6.details["cause"], "ipv6-only");
        assert_eq!(v6.details["families"], json!(["ipv4", "ipv6"]));
        assert!(passed.is_empty());

        let (nothing, passed) = judge_address(host, &[], AddressSource::Resolvers, false);
        assert_eq!(nothing.status, Status::Skip);
        assert!(passed.is_empty());
    }

    fn public_view(ips: &[&str]) -> PublicView {
        PublicView {
            addresses: ips.iter().map(|s| ip(s)).collect(),
            agree: true,
            failure: None,
        }
    }

    #[test]
    fn a_cdn_name_does_not_cry_wolf() {
        let host = "outlook.office365.com";
        // Two public resolvers, two different sets of public addresses.
        let answers = [
            answer(
                "1.1.1.1:53",
                QueryOutcome::Addresses(vec![ip("52.97.1.1")]),
                QueryOutcome::NoRecords,
            ),
            answer(
                "8.8.8.8:53",
                QueryOutcome::Addresses(vec![ip("40.99.2.2")]),
                QueryOutcome::NoRecords,
            ),
        ];
        let cdn = PublicView::of(&answers);
        assert!(!cdn.agree);
        let system = SystemLookup::Addresses(vec![ip("52.98.3.3")]);
        let check = judge_split_horizon(host, &cdn, &system, "/etc/hosts", &[]);
        assert_eq!(check.status, Status::Pass, "{}", check.summary);
        assert!(check.summary.contains("CDN"), "{}", check.summary);

        // A non-public address from this machine is still a warning.
        let inside = SystemLookup::Addresses(vec![ip("10.0.0.5")]);
        let check = judge_split_horizon(host, &cdn, &inside, "/etc/hosts", &[]);
        assert_eq!(check.status, Status::Warn);

        // So is another public address while the public resolvers agree.
        let agreeing = PublicView::of(&[answers[0].clone()]);
        let check = judge_split_horizon(host, &agreeing, &system, "/etc/hosts", &[]);
        assert_eq!(check.status, Status::Warn);

        // A hosts-file pin to another public address of a CDN name is no warning either.
        let pin = hosts_entries("52.98.3.3 outlook.office365.com\n", host);
        let check = judge_split_horizon(
            host,
            &cdn,
            &SystemLookup::Addresses(vec![ip("52.98.3.3")]),
            "/etc/hosts",
            &pin,
        );
        assert_eq!(check.status, Status::Pass, "{}", check.summary);
    }

    #[test]
    fn split_horizon_judgements() {
        let host = "mail.contoso.test";
        let public = public_view(&["20.1.2.3", "20.1.2.4"]);
        let agree = judge_split_horizon(
            host,
            &public,
            &SystemLookup::Addresses(vec![ip("20.1.2.4")]),
            "/etc/hosts",
            &[],
        );
        assert_eq!(agree.status, Status::Pass);

        let inside = judge_split_horizon(
            host,
            &public,
            &SystemLookup::Addresses(vec![ip("10.0.0.5")]),
            "/etc/hosts",
            &[],
        );
        assert_eq!(
            (inside.status, inside.remedy),
            (Status::Warn, Some(Remedy::SplitHorizon))
        );
        assert!(
            inside.summary.contains("10.0.0.5 (private (RFC 1918))"),
            "{}",
            inside.summary
        );

        let nx = PublicView {
            addresses: BTreeSet::new(),
            agree: true,
            failure: Some(QueryOutcome::NxDomain),
        };
        let silent = PublicView {
            addresses: BTreeSet::new(),
            agree: true,
            failure: Some(QueryOutcome::TimedOut),
        };
        let unknown = judge_split_horizon(
            host,
            &silent,
            &SystemLookup::Failed("no such host".into()),
            "/etc/hosts",
            &[],
        );
        assert_eq!(unknown.status, Status::Skip);
        let internal_only = judge_split_horizon(
            host,
            &nx,
            &SystemLookup::Addresses(vec![ip("10.0.0.5")]),
            "/etc/hosts",
            &[],
        );
        assert_eq!(internal_only.status, Status::Warn);
        assert!(
            internal_only.summary.contains("NXDOMAIN"),
            "{}",
            internal_only.summary
        );

        let blind = judge_split_horizon(
            host,
            &public,
            &SystemLookup::Failed("no such host".into()),
            "/etc/hosts",
            &[],
        );
        assert_eq!(blind.status, Status::Warn);
        let neither = judge_split_horizon(
            host,
            &nx,
            &SystemLookup::Failed("no such host".into()),
            "/etc/hosts",
            &[],
        );
        assert_eq!(neither.status, Status::Pass);
        let slow = judge_split_horizon(host, &public, &SystemLookup::TimedOut, "/etc/hosts", &[]);
        assert_eq!(slow.status, Status::Skip);
    }

    #[test]
    fn a_hosts_file_pin_is_reported_with_its_line() {
        let host = "mail.contoso.test";
        let public = public_view(&["20.1.2.3"]);
        let elsewhere = hosts_entries("10.0.0.5 mail.contoso.test\n", host);
        let check = judge_split_horizon(
            host,
            &public,
            &SystemLookup::Addresses(vec![ip("10.0.0.5")]),
            "/etc/hosts",
            &elsewhere,
        );
        assert_eq!(
            (check.status, check.remedy),
            (Status::Warn, Some(Remedy::SplitHorizon))
        );
        assert!(
            check
                .summary
                .starts_with("/etc/hosts line 1 pins mail.contoso.test to 10.0.0.5"),
            "{}",
            check.summary
        );
        assert_eq!(
            check.details["hosts_file"][0],
            "/etc/hosts:1: 10.0.0.5 mail.contoso.test"
        );

        // Even when the system resolver is too slow to ask, the file tells.
        let check = judge_split_horizon(
            host,
            &public,
            &SystemLookup::TimedOut,
            "/etc/hosts",
            &elsewhere,
        );
        assert_eq!(check.status, Status::Warn);

        // A pin to the address public DNS gives changes nothing today.
        let same = hosts_entries("20.1.2.3 mail.contoso.test\n", host);
        let check = judge_split_horizon(
            host,
            &public,
            &SystemLookup::Addresses(vec![ip("20.1.2.3")]),
            "/etc/hosts",
            &same,
        );
        assert_eq!(check.status, Status::Pass);
        assert!(check.details.contains_key("hosts_file"));
    }
}
