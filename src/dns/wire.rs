//! DNS messages on the wire (RFC 1035), with hickory-proto: the queries the
//! tool sends and what an answer says, whatever transport carried it.

use std::fmt;
use std::net::IpAddr;

use hickory_proto::op::{Edns, Message, MessageType, OpCode, ResponseCode};
use hickory_proto::rr::{Name, RData, RecordType};

use super::query::QueryOutcome;

/// The UDP payload size the tool offers (EDNS0): the DNS Flag Day 2020
/// value, small enough never to be fragmented, large enough that an answer
/// with a few dozen addresses is not truncated.
const EDNS_PAYLOAD: u16 = 1232;

/// How a query reached its resolver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Transport {
    /// UDP port 53 (or the port named).
    Udp,
    /// TCP to the same port: after a truncated UDP answer, or when UDP got none.
    Tcp,
    /// DNS over HTTPS (RFC 8484), one POST per query.
    Https,
}

impl Transport {
    /// The label reports use (`details.resolvers[].transport`).
    pub(crate) fn label(self) -> &'static str {
        match self {
            Transport::Udp => "udp",
            Transport::Tcp => "tcp",
            Transport::Https => "https",
        }
    }
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A recursive query for `name`'s records of `record_type`, with EDNS0.
/// `id` is 0 for DNS over HTTPS (RFC 8484 §4.1: it keeps answers cacheable).
pub(crate) fn query(name: &Name, record_type: RecordType, id: u16) -> Message {
    let mut message = Message::query();
    message.metadata.id = id;
    message.metadata.recursion_desired = true;
    message.add_query(hickory_proto::op::Query::query(name.clone(), record_type));
    let mut edns = Edns::new();
    edns.set_max_payload(EDNS_PAYLOAD);
    message.set_edns(edns);
    message
}

/// The query's bytes, or why it cannot be encoded.
pub(crate) fn encode(message: &Message) -> Result<Vec<u8>, String> {
    message
        .to_vec()
        .map_err(|e| format!("cannot encode the query ({e})"))
}

/// The longest CNAME chain followed: more is a loop or an attack (glibc and
/// hickory's resolver stop at a similar depth).
const MAX_CNAMES: usize = 16;

/// Whether `response` answers `request` as a resolver library requires: a
/// response (QR=1) to a standard query (opcode QUERY), with the same id and
/// the same question.
pub(crate) fn answers(request: &Message, response: &Message) -> bool {
    response.metadata.message_type == MessageType::Response
        && response.metadata.op_code == OpCode::Query
        && response.metadata.id == request.metadata.id
        && response.queries.first().map(|q| (q.name(), q.query_type()))
            == request.queries.first().map(|q| (q.name(), q.query_type()))
}

/// The names an answer to `name` may carry addresses for: `name`, then each
/// CNAME target in turn. Records for any other name are not part of the
/// answer (RFC 1034 §3.6.2; what a stub resolver accepts).
fn cname_chain<'a>(response: &'a Message, name: &'a Name) -> Vec<&'a Name> {
    let mut chain = vec![name];
    while chain.len() <= MAX_CNAMES {
        let current = chain[chain.len() - 1];
        let next = response
            .answers
            .iter()
            .find_map(|record| match &record.data {
                RData::CNAME(target) if record.name == *current => Some(&target.0),
                _ => None,
            });
        match next {
            Some(target) if !chain.contains(&target) => chain.push(target),
            _ => break,
        }
    }
    chain
}

/// What `response` (already known to answer `request`) says about the
/// name, as a [`QueryOutcome`].
pub(crate) fn outcome(request: &Message, response: &Message) -> QueryOutcome {
    let Some(question) = request.queries.first() else {
        return QueryOutcome::Failed("a query without a question".into());
    };
    let record_type = question.query_type();
    match response.metadata.response_code {
        ResponseCode::NoError => {
            let chain = cname_chain(response, question.name());
            let ips: Vec<IpAddr> = response
                .answers
                .iter()
                .filter(|record| chain.contains(&&record.name))
                .filter_map(|record| match (&record.data, record_type) {
                    (RData::A(a), RecordType::A) => Some(IpAddr::V4(a.0)),
                    (RData::AAAA(aaaa), RecordType::AAAA) => Some(IpAddr::V6(aaaa.0)),
                    _ => None,
                })
                .collect();
            if ips.is_empty() {
                QueryOutcome::NoRecords
            } else {
                QueryOutcome::Addresses(ips)
            }
        }
        ResponseCode::NXDomain => QueryOutcome::NxDomain,
        code => QueryOutcome::ErrorCode(code_label(code)),
    }
}

/// A response code as dig prints it.
pub(crate) fn code_label(code: ResponseCode) -> String {
    match code {
        ResponseCode::ServFail => "SERVFAIL".into(),
        ResponseCode::Refused => "REFUSED".into(),
        ResponseCode::NXDomain => "NXDOMAIN".into(),
        ResponseCode::FormErr => "FORMERR".into(),
        ResponseCode::NotImp => "NOTIMP".into(),
        other => format!("{other} (rcode {})", u16::from(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::rr::rdata::{A, AAAA, CNAME};
    use hickory_proto::rr::Record;

    fn name() -> Name {
        Name::from_ascii("mail.contoso.test.").expect("name")
    }

    #[test]
    fn queries_ask_for_recursion_with_edns() {
        let message = query(&name(), RecordType::AAAA, 0);
        let bytes = encode(&message).expect("encodes");
        let back = Message::from_vec(&bytes).expect("decodes");
        assert!(back.metadata.recursion_desired);
        assert_eq!(back.metadata.id, 0);
        assert_eq!(back.max_payload(), EDNS_PAYLOAD);
        assert_eq!(back.queries[0].query_type(), RecordType::AAAA);
    }

    #[test]
    fn answers_are_read_by_type_and_code() {
        let request = query(&name(), RecordType::A, 7);
        let mut response = Message::response(7, request.metadata.op_code);
        response.add_query(request.queries[0].clone());
        response.add_answer(Record::from_rdata(
            name(),
            60,
            RData::A(A("20.1.2.3".parse().expect("ip"))),
        ));
        // A stray record of the other type is not an answer to this query.
        response.add_answer(Record::from_rdata(
            name(),
            60,
            RData::AAAA(AAAA("2a00::1".parse().expect("ip"))),
        ));
        assert!(answers(&request, &response));
        assert_eq!(
            outcome(&request, &response),
            QueryOutcome::Addresses(vec!["20.1.2.3".parse().expect("ip")])
        );
        response.metadata.response_code = ResponseCode::ServFail;
        assert_eq!(
            outcome(&request, &response),
            QueryOutcome::ErrorCode("SERVFAIL".into())
        );
        response.metadata.id = 8;
        assert!(!answers(&request, &response));
    }

    fn response_to(request: &Message) -> Message {
        let mut response = Message::response(request.metadata.id, request.metadata.op_code);
        response.add_query(request.queries[0].clone());
        response
    }

    fn a(owner: &str, ip: &str) -> Record {
        Record::from_rdata(
            Name::from_ascii(owner).expect("name"),
            60,
            RData::A(A(ip.parse().expect("ip"))),
        )
    }

    fn cname(owner: &str, target: &str) -> Record {
        Record::from_rdata(
            Name::from_ascii(owner).expect("name"),
            60,
            RData::CNAME(CNAME(Name::from_ascii(target).expect("name"))),
        )
    }

    #[test]
    fn only_records_on_the_cname_chain_are_addresses() {
        let request = query(&name(), RecordType::A, 9);
        let mut response = response_to(&request);
        response.add_answer(a("evil.example.", "6.6.6.6"));
        response.add_answer(cname("MAIL.contoso.test.", "edge.contoso.test."));
        response.add_answer(a("other.contoso.test.", "7.7.7.7"));
        response.add_answer(cname("edge.contoso.test.", "front.cdn.test."));
        response.add_answer(a("front.cdn.test.", "20.1.2.3"));
        assert_eq!(
            outcome(&request, &response),
            QueryOutcome::Addresses(vec!["20.1.2.3".parse().expect("ip")])
        );

        // A record for another name only: the name has no address.
        let mut stray = response_to(&request);
        stray.add_answer(a("evil.example.", "6.6.6.6"));
        assert_eq!(outcome(&request, &stray), QueryOutcome::NoRecords);

        // A CNAME loop ends; what it names is not an address either.
        let mut looped = response_to(&request);
        looped.add_answer(cname("mail.contoso.test.", "loop.contoso.test."));
        looped.add_answer(cname("loop.contoso.test.", "mail.contoso.test."));
        looped.add_answer(a("elsewhere.test.", "6.6.6.6"));
        assert_eq!(outcome(&request, &looped), QueryOutcome::NoRecords);
    }

    #[test]
    fn only_responses_to_a_standard_query_answer() {
        let request = query(&name(), RecordType::A, 11);
        let response = response_to(&request);
        assert!(answers(&request, &response));
        // The query itself reflected back (QR=0) is no answer.
        assert!(!answers(&request, &request));
        let mut notify = response_to(&request);
        notify.metadata.op_code = OpCode::Notify;
        assert!(!answers(&request, &notify));
        let mut other = response_to(&request);
        other.queries[0].set_query_type(RecordType::AAAA);
        assert!(!answers(&request, &other));
    }

    #[test]
    fn error_codes_read_like_dig() {
        assert_eq!(code_label(ResponseCode::ServFail), "SERVFAIL");
        assert_eq!(code_label(ResponseCode::Refused), "REFUSED");
        assert!(code_label(ResponseCode::NotAuth).contains("rcode 9"));
    }
}
