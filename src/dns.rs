//! The `dns` link: is the amurl host a public name that public resolvers
//! answer with public addresses, as SSI needs it to be?
//!
//! Facts are gathered first (the name's shape, each resolver's answer, the
//! system resolver's view, the hosts file) and judged by pure functions, one
//! per check, so every judgement is tested without a network.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::io::Read;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{Name, RData, RecordType};
use hickory_resolver::Resolver;
use serde_json::{json, Value};

use crate::budget::Budget;
use crate::net::{self, classify, SystemLookup};
use crate::remedy::Remedy;
#[cfg(test)]
use crate::report::Status;
use crate::report::{Check, CheckId};
use crate::settings::NetSettings;
use crate::target::Target;

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

/// Once one resolver has answered, the others get this much longer at least
/// (twice as long as the first took, within these bounds): a dead resolver
/// must not hold the chain up, but a second opinion is worth a moment.
const GRACE_MIN: Duration = Duration::from_millis(300);
const GRACE_MAX: Duration = Duration::from_secs(2);
/// How much longer than the public resolvers the system resolver may take
/// (it was asked at the same time).
const SYSTEM_GRACE: Duration = Duration::from_secs(1);
/// The most of a hosts file that is read.
const HOSTS_FILE_LIMIT: u64 = 1 << 20;

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

/// The shape of the host name, judged before any query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NameKind {
    /// A multi-label name that may exist in public DNS.
    Ordinary,
    /// One label only (`exchange01`): public DNS has no such names.
    SingleLabel,
    /// Ends in one of [`INTERNAL_SUFFIXES`].
    InternalSuffix(&'static str),
    /// An IP address written as the host.
    IpLiteral(IpAddr),
}

fn name_kind(host: &str) -> NameKind {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
        return NameKind::IpLiteral(ip);
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

fn judge_name(host: &str, kind: NameKind, allow_private: bool) -> Check {
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
        NameKind::IpLiteral(ip) => {
            let class = classify(ip);
            let check = if class.is_public() {
                Check::pass(id, format!("the host is the public IP address {ip}"))
            } else {
                let summary = format!(
                    "the host is the IP address {ip}, a {} address SSI cannot reach from the internet",
                    class.label()
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

/// How one query (A or AAAA) to one resolver ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum QueryOutcome {
    /// Addresses, in answer order.
    Addresses(Vec<IpAddr>),
    /// The name does not exist.
    NxDomain,
    /// The name exists but has no record of this type.
    NoRecords,
    /// An error response code (SERVFAIL, REFUSED, ...), as a label.
    ErrorCode(String),
    /// The query could not be made or its answer not read.
    Failed(String),
    /// No answer before the budget ran out.
    TimedOut,
    /// No answer yet when another resolver had answered and its grace had passed.
    Abandoned,
}

impl QueryOutcome {
    /// An answer from DNS itself, as opposed to an error or silence.
    fn is_answer(&self) -> bool {
        matches!(
            self,
            QueryOutcome::Addresses(_) | QueryOutcome::NxDomain | QueryOutcome::NoRecords
        )
    }

    /// How telling a failure is: the most telling one names a failed lookup.
    fn rank(&self) -> u8 {
        match self {
            QueryOutcome::Addresses(_) => 7,
            QueryOutcome::NxDomain => 6,
            QueryOutcome::NoRecords => 5,
            QueryOutcome::ErrorCode(_) => 4,
            QueryOutcome::Failed(_) => 3,
            QueryOutcome::TimedOut => 2,
            QueryOutcome::Abandoned => 1,
        }
    }
}

impl fmt::Display for QueryOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QueryOutcome::Addresses(ips) => f.write_str(&join(ips)),
            QueryOutcome::NxDomain => f.write_str("NXDOMAIN"),
            QueryOutcome::NoRecords => f.write_str("no records"),
            QueryOutcome::ErrorCode(code) => f.write_str(code),
            QueryOutcome::Failed(why) => write!(f, "error: {why}"),
            QueryOutcome::TimedOut => f.write_str("no answer in time"),
            QueryOutcome::Abandoned => f.write_str("no answer yet when the others had answered"),
        }
    }
}

fn join(ips: &[IpAddr]) -> String {
    ips.iter()
        .map(IpAddr::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn code_label(code: ResponseCode) -> String {
    match code {
        ResponseCode::ServFail => "SERVFAIL".into(),
        ResponseCode::Refused => "REFUSED".into(),
        ResponseCode::NXDomain => "NXDOMAIN".into(),
        ResponseCode::FormErr => "FORMERR".into(),
        ResponseCode::NotImp => "NOTIMP".into(),
        other => format!("{other} (rcode {})", u16::from(other)),
    }
}

fn outcome_of(result: Result<hickory_resolver::lookup::Lookup, NetError>) -> QueryOutcome {
    match result {
        Ok(lookup) => {
            let ips: Vec<IpAddr> = lookup
                .answers()
                .iter()
                .filter_map(|record| match &record.data {
                    RData::A(a) => Some(IpAddr::V4(a.0)),
                    RData::AAAA(aaaa) => Some(IpAddr::V6(aaaa.0)),
                    _ => None,
                })
                .collect();
            if ips.is_empty() {
                QueryOutcome::NoRecords
            } else {
                QueryOutcome::Addresses(ips)
            }
        }
        Err(NetError::Dns(DnsError::NoRecordsFound(no_records))) => {
            match no_records.response_code {
                ResponseCode::NXDomain => QueryOutcome::NxDomain,
                ResponseCode::NoError => QueryOutcome::NoRecords,
                code => QueryOutcome::ErrorCode(code_label(code)),
            }
        }
        Err(NetError::Dns(DnsError::ResponseCode(code))) => {
            QueryOutcome::ErrorCode(code_label(code))
        }
        Err(NetError::Timeout) => QueryOutcome::TimedOut,
        Err(other) => QueryOutcome::Failed(other.to_string()),
    }
}

/// One resolver's answers to the A and AAAA queries.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ResolverAnswer {
    server: SocketAddr,
    a: QueryOutcome,
    aaaa: QueryOutcome,
    /// Time to its first answer of either query.
    first_answer: Option<Duration>,
}

impl ResolverAnswer {
    fn addresses(&self) -> Vec<IpAddr> {
        let mut ips = Vec::new();
        for outcome in [&self.a, &self.aaaa] {
            if let QueryOutcome::Addresses(found) = outcome {
                ips.extend(found.iter().copied());
            }
        }
        ips
    }

    /// The resolver's verdict: its addresses, or its most telling failure.
    fn outcome(&self) -> QueryOutcome {
        let ips = self.addresses();
        if !ips.is_empty() {
            return QueryOutcome::Addresses(ips);
        }
        if self.a.rank() >= self.aaaa.rank() {
            self.a.clone()
        } else {
            self.aaaa.clone()
        }
    }

    fn details(&self) -> Value {
        let mut detail = json!({
            "server": self.server.to_string(),
            "answer": self.outcome().to_string(),
            "A": self.a.to_string(),
            "AAAA": self.aaaa.to_string(),
            "addresses": self.addresses().iter().map(|ip| ip.to_string()).collect::<Vec<_>>(),
        });
        if let (Some(ms), Some(map)) = (self.first_answer, detail.as_object_mut()) {
            map.insert("ms".into(), json!(ms.as_millis() as u64));
        }
        detail
    }
}

/// Every address any resolver gave, in resolver order, without duplicates.
fn union(answers: &[ResolverAnswer]) -> Vec<IpAddr> {
    let mut all = Vec::new();
    for ip in answers.iter().flat_map(ResolverAnswer::addresses) {
        if !all.contains(&ip) {
            all.push(ip);
        }
    }
    all
}

/// The most telling failure across resolvers, when none gave an address.
fn worst_failure(answers: &[ResolverAnswer]) -> Option<(SocketAddr, QueryOutcome)> {
    answers
        .iter()
        .map(|answer| (answer.server, answer.outcome()))
        .filter(|(_, outcome)| !matches!(outcome, QueryOutcome::Addresses(_)))
        .max_by_key(|(_, outcome)| outcome.rank())
}

fn build_resolver(
    server: SocketAddr,
    timeout: Duration,
) -> Result<Resolver<TokioRuntimeProvider>, NetError> {
    let mut name_server = NameServerConfig::udp_and_tcp(server.ip());
    for connection in &mut name_server.connections {
        connection.port = server.port();
    }
    let config = ResolverConfig::from_name_servers(vec![name_server]);
    let mut options = ResolverOpts::default();
    // The outer deadline is what really bounds the lookup; hickory's own
    // timeout only has to be no longer.
    options.timeout = timeout.max(Duration::from_millis(1));
    options.attempts = 1;
    // Public resolvers' view only: this machine's hosts file is judged separately.
    options.use_hosts_file = ResolveHosts::Never;
    options.num_concurrent_reqs = 1;
    Resolver::builder_with_config(config, TokioRuntimeProvider::default())
        .with_options(options)
        .build()
}

/// Asks every resolver in parallel for the A and AAAA records of `host`,
/// until `deadline`, or until shortly after the first answer.
fn query_resolvers(host: &str, servers: &[SocketAddr], deadline: Instant) -> Vec<ResolverAnswer> {
    let mut slots: Vec<[Option<QueryOutcome>; 2]> = vec![[None, None]; servers.len()];
    let mut first_answer: Vec<Option<Duration>> = vec![None; servers.len()];
    let finish = |slots: Vec<[Option<QueryOutcome>; 2]>, first_answer: Vec<Option<Duration>>| {
        servers
            .iter()
            .zip(slots)
            .zip(first_answer)
            .map(|((server, [a, aaaa]), first)| ResolverAnswer {
                server: *server,
                a: a.unwrap_or(QueryOutcome::TimedOut),
                aaaa: aaaa.unwrap_or(QueryOutcome::TimedOut),
                first_answer: first,
            })
            .collect()
    };
    let fail_all = |why: String| {
        servers
            .iter()
            .map(|server| ResolverAnswer {
                server: *server,
                a: QueryOutcome::Failed(why.clone()),
                aaaa: QueryOutcome::Failed(why.clone()),
                first_answer: None,
            })
            .collect()
    };
    let name = match Name::from_ascii(format!("{}.", host.trim_end_matches('.'))) {
        Ok(name) => name,
        Err(e) => return fail_all(format!("{host} is not a valid DNS name ({e})")),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail_all(format!("cannot start the DNS client ({e})")),
    };

    runtime.block_on(async {
        let started = Instant::now();
        let hard_deadline = tokio::time::Instant::from_std(deadline);
        let mut tasks = tokio::task::JoinSet::new();
        let mut task_slots = HashMap::new();
        for (index, server) in servers.iter().enumerate() {
            let resolver =
                match build_resolver(*server, deadline.saturating_duration_since(started)) {
                    Ok(resolver) => resolver,
                    Err(e) => {
                        let why = format!("cannot set up a resolver for {server} ({e})");
                        slots[index] = [
                            Some(QueryOutcome::Failed(why.clone())),
                            Some(QueryOutcome::Failed(why)),
                        ];
                        continue;
                    }
                };
            for (slot, record_type) in [(0, RecordType::A), (1, RecordType::AAAA)] {
                let (resolver, name) = (resolver.clone(), name.clone());
                let handle = tasks
                    .spawn(async move { outcome_of(resolver.lookup(name, record_type).await) });
                task_slots.insert(handle.id(), (index, slot));
            }
        }

        let mut grace_deadline: Option<tokio::time::Instant> = None;
        loop {
            let until = grace_deadline.map_or(hard_deadline, |grace| grace.min(hard_deadline));
            match tokio::time::timeout_at(until, tasks.join_next_with_id()).await {
                Ok(Some(result)) => {
                    let (id, outcome) = match result {
                        Ok((id, outcome)) => (id, outcome),
                        Err(e) => (
                            e.id(),
                            QueryOutcome::Failed(format!("the lookup task failed ({e})")),
                        ),
                    };
                    let Some(&(index, slot)) = task_slots.get(&id) else {
                        continue;
                    };
                    if outcome.is_answer() {
                        let took = started.elapsed();
                        first_answer[index].get_or_insert(took);
                        if grace_deadline.is_none() {
                            let grace = (took * 2).clamp(GRACE_MIN, GRACE_MAX);
                            grace_deadline = Some(tokio::time::Instant::now() + grace);
                        }
                    }
                    slots[index][slot] = Some(outcome);
                }
                Ok(None) => break,
                Err(_) => {
                    // Whoever has not answered by now gets no longer.
                    let out_of_budget = Instant::now() >= deadline;
                    for pair in &mut slots {
                        for slot in pair.iter_mut().filter(|slot| slot.is_none()) {
                            *slot = Some(if out_of_budget {
                                QueryOutcome::TimedOut
                            } else {
                                QueryOutcome::Abandoned
                            });
                        }
                    }
                    break;
                }
            }
        }
        tasks.abort_all();
    });
    finish(slots, first_answer)
}

fn judge_resolve(host: &str, answers: &[ResolverAnswer], budget: &Budget) -> Check {
    let id = CheckId::DnsResolve;
    let details = Value::Array(answers.iter().map(ResolverAnswer::details).collect());
    if answers.is_empty() {
        return Check::fail(
            id,
            format!("no public resolver was asked about {host} (--dns-server named none)"),
            Remedy::DnsUnanswered,
        );
    }
    let all = union(answers);
    let answered = answers.iter().filter(|a| !a.addresses().is_empty()).count();
    if !all.is_empty() {
        let others: Vec<String> = answers
            .iter()
            .filter(|a| a.addresses().is_empty())
            .map(|a| format!("{}: {}", a.server, a.outcome()))
            .collect();
        let mut summary = format!(
            "{answered} of {} public resolvers answer {host} with {}",
            answers.len(),
            join(&all)
        );
        if !others.is_empty() {
            summary.push_str(&format!(" ({})", others.join("; ")));
        }
        return Check::pass(id, summary).with_detail("resolvers", details);
    }
    let (server, failure) =
        worst_failure(answers).unwrap_or((answers[0].server, QueryOutcome::TimedOut));
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
        QueryOutcome::Failed(why) => (
            format!("no public resolver could be asked about {host} ({server}: {why})"),
            Remedy::DnsUnanswered,
        ),
        QueryOutcome::TimedOut | QueryOutcome::Abandoned | QueryOutcome::Addresses(_) => (
            format!(
                "no public resolver answered for {host}: timed out after {} (if this network blocks outbound DNS, name a reachable resolver with --dns-server)",
                budget.total_secs_text()
            ),
            Remedy::DnsUnanswered,
        ),
    };
    Check::fail(id, summary, remedy).with_detail("resolvers", details)
}

/// How the addresses being judged were found, for summaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AddressSource {
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
fn judge_address(
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
    (check.with_detail("addresses", Value::Array(listed)), passed)
}

/// One line of the hosts file that names the host.
#[derive(Debug, Clone, PartialEq, Eq)]
struct HostsEntry {
    line: usize,
    text: String,
    addr: IpAddr,
}

/// The lines of a hosts file that map `host` to an address.
fn hosts_entries(text: &str, host: &str) -> Vec<HostsEntry> {
    let host = host.trim_end_matches('.');
    text.lines()
        .enumerate()
        .filter_map(|(index, raw)| {
            let content = raw.split('#').next().unwrap_or_default();
            let mut fields = content.split_whitespace();
            let addr_text = fields.next()?;
            // IPv6 link-local entries may carry a zone (`fe80::1%eth0`).
            let addr: IpAddr = addr_text.split('%').next()?.parse().ok()?;
            fields
                .any(|name| name.trim_end_matches('.').eq_ignore_ascii_case(host))
                .then(|| HostsEntry {
                    line: index + 1,
                    text: raw.trim().to_string(),
                    addr,
                })
        })
        .collect()
}

/// Where this machine's hosts file lives.
fn hosts_file_path() -> PathBuf {
    if cfg!(windows) {
        let root = std::env::var_os("SystemRoot").unwrap_or_else(|| "C:\\Windows".into());
        PathBuf::from(root)
            .join("System32")
            .join("drivers")
            .join("etc")
            .join("hosts")
    } else {
        PathBuf::from("/etc/hosts")
    }
}

fn read_hosts_file(path: &PathBuf) -> Option<String> {
    let file = std::fs::File::open(path).ok()?;
    let mut text = String::new();
    // A hosts file is small; a huge one is read in part rather than at length.
    file.take(HOSTS_FILE_LIMIT).read_to_string(&mut text).ok()?;
    Some(text)
}

/// What the public resolvers agreed on, for comparing with this machine's view.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PublicView {
    addresses: BTreeSet<IpAddr>,
    /// Their most telling failure, when they gave no address.
    failure: Option<QueryOutcome>,
}

impl PublicView {
    fn of(answers: &[ResolverAnswer]) -> Self {
        let addresses: BTreeSet<IpAddr> = union(answers).into_iter().collect();
        let failure = if addresses.is_empty() {
            Some(worst_failure(answers).map_or(
                QueryOutcome::Failed("no resolver asked".into()),
                |(_, failure)| failure,
            ))
        } else {
            None
        };
        PublicView { addresses, failure }
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

fn judge_split_horizon(
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
        .filter(|entry| !public.addresses.contains(&entry.addr))
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
            if public.failure.is_none() && differing.is_empty() {
                Check::pass(
                    id,
                    format!("the system resolver agrees with the public resolvers on {host} ({})", join(ips)),
                )
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
    let answers = query_resolvers(host, &net.dns_servers, budget.deadline());
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
) -> Result<Vec<IpAddr>, String> {
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
            Err(format!(
                "{host} {source} only non-public addresses ({shown}); the tool connects to them only with --allow-private"
            ))
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
        _ if net.pinned(&host, port).is_some() => {
            let pinned = net.pinned(&host, port).into_iter().collect();
            return gate(pinned, "is pinned by --resolve to");
        }
        NameKind::SingleLabel | NameKind::InternalSuffix(_) if !net.allow_private => {
            return Err(format!(
                "{host} is an internal name: public resolvers cannot know it"
            ));
        }
        _ => {}
    }
    if net.dns_servers.is_empty() {
        return Err(format!(
            "no public resolver to ask about {host} (--dns-server named none)"
        ));
    }
    let answers = query_resolvers(&host, &net.dns_servers, budget.deadline());
    let all = union(&answers);
    if all.is_empty() {
        let failure = match worst_failure(&answers) {
            Some((_, QueryOutcome::TimedOut | QueryOutcome::Abandoned)) | None => {
                format!("timed out after {}", budget.total_secs_text())
            }
            Some((server, failure)) => format!("{server}: {failure}"),
        };
        return Err(format!(
            "public resolvers give no address for {host} ({failure})"
        ));
    }
    gate(all, "resolves to")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    fn answer(server: &str, a: QueryOutcome, aaaa: QueryOutcome) -> ResolverAnswer {
        ResolverAnswer {
            server: server.parse().expect("server"),
            a,
            aaaa,
            first_answer: Some(Duration::from_millis(3)),
        }
    }

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
    fn resolver_outcomes_combine_a_and_aaaa() {
        let both = answer(
            "1.1.1.1:53",
            QueryOutcome::Addresses(vec![ip("20.1.2.3")]),
            QueryOutcome::Addresses(vec![ip("2a00::1")]),
        );
        assert_eq!(both.addresses(), vec![ip("20.1.2.3"), ip("2a00::1")]);
        let v4_only = answer(
            "1.1.1.1:53",
            QueryOutcome::Addresses(vec![ip("20.1.2.3")]),
            QueryOutcome::NoRecords,
        );
        assert_eq!(
            v4_only.outcome(),
            QueryOutcome::Addresses(vec![ip("20.1.2.3")])
        );
        let nx = answer("1.1.1.1:53", QueryOutcome::TimedOut, QueryOutcome::NxDomain);
        assert_eq!(nx.outcome(), QueryOutcome::NxDomain);
        let details = both.details();
        assert_eq!(details["A"], "20.1.2.3");
        assert_eq!(details["ms"], 3);
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
            ok.summary.contains("9.9.9.9:53: NXDOMAIN"),
            "{}",
            ok.summary
        );

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

        let silent = judge_resolve(
            host,
            &[answer(
                "1.1.1.1:53",
                QueryOutcome::TimedOut,
                QueryOutcome::TimedOut,
            )],
            &budget,
        );
        assert_eq!(
            (silent.status, silent.remedy),
            (Status::Fail, Some(Remedy::DnsUnanswered))
        );
        assert!(
            silent.summary.contains("timed out after 15 s"),
            "{}",
            silent.summary
        );

        let none = judge_resolve(host, &[], &budget);
        assert_eq!(none.status, Status::Fail);
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

        let (nothing, passed) = judge_address(host, &[], AddressSource::Resolvers, false);
        assert_eq!(nothing.status, Status::Skip);
        assert!(passed.is_empty());
    }

    #[test]
    fn hosts_files_are_read_like_the_resolver_reads_them() {
        let text = "127.0.0.1 localhost\n# 10.0.0.9 mail.contoso.test\n10.0.0.5\tsmtp.contoso.test  MAIL.contoso.test. # the exchange box\nfe80::1%eth0 mail.contoso.test\nnot-an-ip mail.contoso.test\n20.1.2.3 webmail.contoso.test\n";
        let entries = hosts_entries(text, "mail.contoso.test");
        assert_eq!(
            entries.iter().map(|e| (e.line, e.addr)).collect::<Vec<_>>(),
            vec![(3, ip("10.0.0.5")), (4, ip("fe80::1"))]
        );
        assert!(entries[0].text.contains("the exchange box"));
        assert!(hosts_entries(text, "contoso.test").is_empty());
    }

    fn public_view(ips: &[&str]) -> PublicView {
        PublicView {
            addresses: ips.iter().map(|s| ip(s)).collect(),
            failure: None,
        }
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
            failure: Some(QueryOutcome::NxDomain),
        };
        let silent = PublicView {
            addresses: BTreeSet::new(),
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

    #[test]
    fn error_codes_read_like_dig() {
        assert_eq!(code_label(ResponseCode::ServFail), "SERVFAIL");
        assert_eq!(code_label(ResponseCode::Refused), "REFUSED");
        assert!(code_label(ResponseCode::NotAuth).contains("rcode 9"));
    }
}
