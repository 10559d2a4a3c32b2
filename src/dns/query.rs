//! Asking the public resolvers: every resolver is asked for the A and AAAA
//! records in parallel with hickory, and each answer is kept as a fact.

use std::collections::HashMap;
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{Name, RData, RecordType};
use hickory_resolver::Resolver;
use serde_json::{json, Value};

/// Once one resolver has answered, the others get this much longer at least
/// (twice as long as the first took, within these bounds): a dead resolver
/// must not hold the chain up, but a second opinion is worth a moment.
const GRACE_MIN: Duration = Duration::from_millis(50);
const GRACE_MAX: Duration = Duration::from_secs(2);

/// How one query (A or AAAA) to one resolver ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum QueryOutcome {
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
    pub(super) fn is_answer(&self) -> bool {
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

pub(super) fn join(ips: &[IpAddr]) -> String {
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
pub(super) struct ResolverAnswer {
    pub(super) server: SocketAddr,
    pub(super) a: QueryOutcome,
    pub(super) aaaa: QueryOutcome,
    /// Time to its first answer of either query.
    pub(super) first_answer: Option<Duration>,
}

impl ResolverAnswer {
    pub(super) fn addresses(&self) -> Vec<IpAddr> {
        let mut ips = Vec::new();
        for outcome in [&self.a, &self.aaaa] {
            if let QueryOutcome::Addresses(found) = outcome {
                ips.extend(found.iter().copied());
            }
        }
        ips
    }

    /// The resolver's verdict: its addresses, or its most telling failure.
    pub(super) fn outcome(&self) -> QueryOutcome {
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

    pub(super) fn details(&self) -> Value {
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
pub(super) fn union(answers: &[ResolverAnswer]) -> Vec<IpAddr> {
    let mut all = Vec::new();
    for ip in answers.iter().flat_map(ResolverAnswer::addresses) {
        if !all.contains(&ip) {
            all.push(ip);
        }
    }
    all
}

/// The most telling failure across resolvers, when none gave an address.
pub(super) fn worst_failure(answers: &[ResolverAnswer]) -> Option<(SocketAddr, QueryOutcome)> {
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
pub(super) fn query_resolvers(
    host: &str,
    servers: &[SocketAddr],
    deadline: Instant,
) -> Vec<ResolverAnswer> {
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

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// An address from its text (shared with the judgement tests).
    pub(in crate::dns) fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    /// One resolver's answer, first heard after 3 ms.
    pub(in crate::dns) fn answer(
        server: &str,
        a: QueryOutcome,
        aaaa: QueryOutcome,
    ) -> ResolverAnswer {
        ResolverAnswer {
            server: server.parse().expect("server"),
            a,
            aaaa,
            first_answer: Some(Duration::from_millis(3)),
        }
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
    fn error_codes_read_like_dig() {
        assert_eq!(code_label(ResponseCode::ServFail), "SERVFAIL");
        assert_eq!(code_label(ResponseCode::Refused), "REFUSED");
        assert!(code_label(ResponseCode::NotAuth).contains("rcode 9"));
    }
}
