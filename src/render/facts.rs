//! A check's `details` (any JSON) as short indented `key: value` lines, the form
//! the human, Markdown and JUnit formats share so that an engineer can paste the
//! facts into a ticket; and the short forms of the default report: the one fact
//! that says a link holds ([`link_fact`]) and the few details that prove a
//! failure ([`proof`]).

use serde_json::{Map, Value};

use crate::clock;
use crate::report::{Check, CheckId, Report, Stage, Status};
use crate::text::escape_controls;

/// One line of facts, indented `depth` steps of two spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct FactLine {
    /// Nesting depth: 0 for a top-level key.
    pub depth: usize,
    /// The line without its indentation, control characters escaped.
    pub text: String,
}

impl FactLine {
    /// The line with its indentation, after `indent` extra leading text.
    pub fn indented(&self, indent: &str) -> String {
        format!("{indent}{}{}", "  ".repeat(self.depth), self.text)
    }
}

/// How an entry is introduced: by its key in an object, or as an array item.
#[derive(Clone, Copy)]
enum Label<'a> {
    Key(&'a str),
    Item,
}

/// The facts of `details` as lines: scalars as `key: value`, arrays of scalars
/// joined on one line, objects and other arrays nested. Strings longer than
/// `max_chars` characters are cut (the JSON format always has them whole).
pub(super) fn fact_lines(details: &Map<String, Value>, max_chars: Option<usize>) -> Vec<FactLine> {
    let mut lines = Vec::new();
    for (key, value) in details {
        push_entry(&mut lines, 0, Label::Key(key), value, max_chars);
    }
    lines
}

fn push_entry(
    lines: &mut Vec<FactLine>,
    depth: usize,
    label: Label<'_>,
    value: &Value,
    max_chars: Option<usize>,
) {
    let head = match label {
        Label::Key(key) => format!("{}:", escape_controls(key)),
        Label::Item => "-".to_string(),
    };
    let inline = match value {
        Value::Array(items) if items.is_empty() => Some("(none)".to_string()),
        Value::Object(map) if map.is_empty() => Some("(none)".to_string()),
        Value::Array(items) if items.iter().all(is_scalar) => Some(
            items
                .iter()
                .map(|v| scalar_text(v, max_chars))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        v if is_scalar(v) => Some(scalar_text(v, max_chars)),
        _ => None,
    };
    if let Some(text) = inline {
        lines.push(FactLine {
            depth,
            text: format!("{head} {text}"),
        });
        return;
    }
    let mut children = Vec::new();
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                push_entry(&mut children, depth + 1, Label::Key(key), child, max_chars);
            }
        }
        Value::Array(items) => {
            for child in items {
                push_entry(&mut children, depth + 1, Label::Item, child, max_chars);
            }
        }
        _ => {}
    }
    match label {
        // An object inside an array starts on the dash line, YAML-style: "- subject: …".
        Label::Item if value.is_object() && !children.is_empty() => {
            children[0].depth = depth;
            children[0].text = format!("- {}", children[0].text);
        }
        _ => lines.push(FactLine { depth, text: head }),
    }
    lines.extend(children);
}

fn is_scalar(value: &Value) -> bool {
    !matches!(value, Value::Array(_) | Value::Object(_))
}

/// A scalar as text: strings bare (escaped, cut to `max_chars`), the rest as JSON.
pub(super) fn scalar_text(value: &Value, max_chars: Option<usize>) -> String {
    match value {
        Value::String(s) if s.is_empty() => "\"\"".to_string(),
        Value::String(s) => shorten(&escape_controls(s), max_chars),
        other => other.to_string(),
    }
}

/// Cuts `text` after `max_chars` characters, saying how much was left out.
pub(super) fn shorten(text: &str, max_chars: Option<usize>) -> String {
    let Some(max) = max_chars else {
        return text.to_string();
    };
    let total = text.chars().count();
    if total <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max).collect();
    format!("{kept}… ({} more characters)", total - max)
}

/// The details that prove a failure of each check, in the order a reader needs
/// them; `name.field` keeps only `field` of the object (or of each object of the
/// array) `name`, and a single field kept of an array's objects becomes a list
/// on one line. A check not listed shows its scalar details. Everything else is
/// one `--verbose` away.
const PROOF: &[(CheckId, &[&str])] = &[
    (CheckId::TokenInput, &["looks_like", "input_characters"]),
    (
        CheckId::TokenEncoding,
        &["signature_bytes", "part", "problems"],
    ),
    (CheckId::TokenKind, &["kind"]),
    (CheckId::TokenHeader, &["typ", "alg", "x5t", "thumbprint"]),
    (CheckId::TokenVersion, &["version", "appctx_form"]),
    (CheckId::TokenAmurl, &["amurl"]),
    (CheckId::TokenLifetime, &["nbf", "exp", "now"]),
    (CheckId::TokenAudience, &["aud", "expected"]),
    // The summary names the suffix or the address: nothing to add.
    (CheckId::DnsName, &[]),
    (CheckId::DnsResolve, &["outcomes", "system_resolver"]),
    (
        CheckId::DnsAddress,
        &["addresses.address", "addresses.class", "cause", "families"],
    ),
    (CheckId::TcpConnect, &["cause", "proxy", "proxy_status"]),
    (CheckId::TlsHandshake, &["cause", "protocol", "proxy"]),
    (
        CheckId::TlsTrust,
        &[
            "cause",
            "chain.subject",
            "chain.issuer",
            "chain.self_signed",
        ],
    ),
    (CheckId::TlsName, &["cause", "host", "certificate_names"]),
    (CheckId::TlsValidity, &["cause", "not_before", "not_after"]),
    (
        CheckId::HttpAccess,
        &["status_line", "challenges", "front_end", "html_title"],
    ),
    (
        CheckId::HttpContent,
        &[
            "content_type",
            "bytes",
            "front_end",
            "html_title",
            "body_start",
        ],
    ),
    (
        CheckId::MetadataDocument,
        &["family", "fields", "starts_with"],
    ),
    // The summary says why each published key was set aside.
    (CheckId::MetadataKeys, &[]),
    // The summaries name the x5t values and the dates; the proof adds the hex
    // thumbprints the admin looks certificates up by.
    (
        CheckId::KeyMatch,
        &["token_thumbprint", "published.thumbprint"],
    ),
    (CheckId::KeyCertificate, &["thumbprint"]),
    (CheckId::KeySignature, &["key", "signature_bytes"]),
    (
        CheckId::EwsReachable,
        &["status_line", "front_end", "challenges"],
    ),
];

/// Most details a check without a [`PROOF`] entry shows by default.
const MAX_DEFAULT_FACTS: usize = 4;

/// The details of `check` that prove its failure (or warning), in the order of
/// [`PROOF`], each as a one-entry map for [`fact_lines`].
pub(super) fn proof(check: &Check) -> Vec<Map<String, Value>> {
    let Some((_, paths)) = PROOF.iter().find(|(id, _)| *id == check.id) else {
        return check
            .details
            .iter()
            .filter(|(_, v)| is_scalar(v))
            .take(MAX_DEFAULT_FACTS)
            .map(|(k, v)| Map::from_iter([(k.clone(), v.clone())]))
            .collect();
    };
    let mut order: Vec<&str> = Vec::new();
    let mut picked = Map::new();
    // The contract's `cause` vocabulary names the failure for every check that has one.
    for path in std::iter::once(&"cause").chain(paths.iter()) {
        let (name, field) = match path.split_once('.') {
            Some((name, field)) => (name, Some(field)),
            None => (*path, None),
        };
        let Some(value) = check.details.get(name) else {
            continue;
        };
        if !order.contains(&name) {
            order.push(name);
        }
        let Some(field) = field else {
            picked.insert(name.to_string(), value.clone());
            continue;
        };
        let slot = picked
            .entry(name.to_string())
            .or_insert_with(|| match value {
                Value::Array(items) => Value::Array(vec![Value::Object(Map::new()); items.len()]),
                _ => Value::Object(Map::new()),
            });
        let sources: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        };
        let targets: Vec<&mut Value> = match slot {
            Value::Array(items) => items.iter_mut().collect(),
            other => vec![other],
        };
        for (source, target) in sources.into_iter().zip(targets) {
            if let (Some(found), Value::Object(target)) = (source.get(field), target) {
                target.insert(field.to_string(), found.clone());
            }
        }
    }
    for value in picked.values_mut() {
        if let Value::Array(items) = value {
            let single: Option<Vec<Value>> = items
                .iter()
                .map(|item| match item.as_object() {
                    Some(object) if object.len() == 1 => object.values().next().cloned(),
                    _ => None,
                })
                .collect();
            if let Some(single) = single {
                *items = single;
            }
        }
    }
    order
        .into_iter()
        .filter_map(|name| picked.remove_entry(name))
        .map(|entry| Map::from_iter([entry]))
        .collect()
}

/// A string detail of `check`.
fn detail<'a>(check: Option<&&'a Check>, name: &str) -> Option<&'a str> {
    check
        .filter(|c| c.status == Status::Pass)
        .and_then(|c| c.details.get(name))
        .and_then(Value::as_str)
}

/// The date of an RFC 3339 detail (`2027-11-30T20:13:30Z` → `2027-11-30`).
fn date_of(text: &str) -> &str {
    text.get(..10).unwrap_or(text)
}

/// The one fact that best says the link `stage` holds, from its checks: the
/// TLS version, trust and expiry; the status the server answered; the token's
/// kind and lifetime. When the details to build it are missing, the summary of
/// the stage's last passing check stands in.
pub(super) fn link_fact(stage: Stage, checks: &[&Check], report: &Report) -> String {
    let find = |id: CheckId| checks.iter().find(|c| c.id == id);
    let passed = |id: CheckId| find(id).is_some_and(|c| c.status == Status::Pass);
    let composed = match stage {
        Stage::Token => token_fact(report),
        Stage::Tls => detail(find(CheckId::TlsHandshake), "protocol").map(|protocol| {
            let mut parts = vec![protocol.to_string()];
            if passed(CheckId::TlsTrust) {
                let by_ca_file = find(CheckId::TlsTrust)
                    .and_then(|c| c.details.get("anchored_by_ca_file"))
                    .and_then(Value::as_bool)
                    .unwrap_or(false);
                parts.push(if by_ca_file {
                    "trusted through --ca-file (not a public root)".to_string()
                } else {
                    "trusted".to_string()
                });
            }
            if let Some(not_after) = detail(find(CheckId::TlsValidity), "not_after") {
                parts.push(format!("valid until {}", date_of(not_after)));
            }
            parts.join(", ")
        }),
        Stage::Http => detail(find(CheckId::HttpAccess), "status_line").map(|line| {
            let status = line.split_once(' ').map_or(line, |(_, rest)| rest);
            match find(CheckId::HttpContent).filter(|c| c.status == Status::Pass) {
                Some(content) => format!("{status}, {}", content.summary),
                None => status.to_string(),
            }
        }),
        Stage::Key => detail(find(CheckId::KeyMatch), "token_x5t").map(|x5t| {
            let mut text = format!("x5t {x5t} published");
            if passed(CheckId::KeySignature) {
                text.push_str(", signature verifies");
            }
            if let Some(not_after) = detail(find(CheckId::KeyCertificate), "not_after") {
                text.push_str(&format!(
                    ", auth certificate valid until {}",
                    date_of(not_after)
                ));
            }
            text
        }),
        Stage::Metadata => find(CheckId::MetadataKeys)
            .filter(|c| c.status == Status::Pass)
            .and_then(|c| c.details.get("keys"))
            .and_then(Value::as_array)
            .map(|keys| {
                let thumbprints: Vec<&str> = keys
                    .iter()
                    .filter_map(|k| k.get("computed_x5t").and_then(Value::as_str))
                    .collect();
                match thumbprints.as_slice() {
                    // An Entra key set: its keys are named by kid in the summary.
                    [] => {
                        find(CheckId::MetadataKeys).map_or_else(String::new, |c| c.summary.clone())
                    }
                    [one] => format!("1 signing certificate published: x5t {one}"),
                    many => format!(
                        "{} signing certificates published: x5t {}",
                        many.len(),
                        many.join(", ")
                    ),
                }
            }),
        Stage::Ews => detail(find(CheckId::EwsReachable), "status_line").map(|line| {
            let status = line.split_once(' ').map_or(line, |(_, rest)| rest);
            format!("EWS answers {status}")
        }),
        Stage::Mailbox | Stage::Dns | Stage::Tcp => None,
    };
    let fact = composed.or_else(|| {
        let preferred = match stage {
            Stage::Dns => [CheckId::DnsResolve, CheckId::DnsAddress, CheckId::DnsName]
                .into_iter()
                .find(|id| passed(*id))
                .and_then(find),
            _ => None,
        };
        preferred
            .or_else(|| checks.iter().rev().find(|c| c.status == Status::Pass))
            .map(|c| c.summary.clone())
    });
    escape_controls(&fact.unwrap_or_else(|| "holds".to_string()))
}

/// The token in a few words: its kind and its lifetime (the certificate it
/// names is on the key link's line).
fn token_fact(report: &Report) -> Option<String> {
    let token = report.token.as_ref()?;
    let kind = report
        .get(CheckId::TokenKind)
        .filter(|c| c.status == Status::Pass)
        .map_or("a token".to_string(), |c| c.summary.clone());
    let mut text = kind;
    if let Some((_, exp)) = token.times.iter().find(|(name, _)| name == "exp") {
        let verb = if *exp > report.evaluated_at {
            "valid until"
        } else {
            "expired"
        };
        text.push_str(&format!(
            ", {verb} {} ({})",
            clock::utc(*exp),
            clock::relative(*exp, report.evaluated_at)
        ));
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(value: Value, max: Option<usize>) -> Vec<String> {
        let Value::Object(map) = value else {
            panic!("not an object")
        };
        fact_lines(&map, max)
            .iter()
            .map(|l| l.indented(""))
            .collect()
    }

    #[test]
    fn scalars_and_scalar_arrays_stay_on_one_line() {
        let lines = render(
            json!({"addresses": ["203.0.113.7", "2001:db8::7"], "port": 443, "none": [], "tls": "1.3"}),
            None,
        );
        assert_eq!(
            lines,
            vec![
                "addresses: 203.0.113.7, 2001:db8::7",
                "none: (none)",
                "port: 443",
                "tls: 1.3"
            ]
        );
    }

    #[test]
    fn objects_nest_and_objects_in_arrays_start_with_a_dash() {
        let lines = render(
            json!({"chain": [{"issuer": "CN=R11", "subject": "CN=host"}, "odd"], "cert": {"subject": "CN=host", "dates": {"not_after": "2027"}}}),
            None,
        );
        assert_eq!(
            lines,
            vec![
                "cert:",
                "  dates:",
                "    not_after: 2027",
                "  subject: CN=host",
                "chain:",
                "  - issuer: CN=R11",
                "    subject: CN=host",
                "  - odd",
            ]
        );
    }

    #[test]
    fn the_proof_keeps_the_listed_facts_in_order_cause_first() {
        use crate::remedy::Remedy;
        let check = Check::fail(
            CheckId::KeyMatch,
            "x5t not published",
            Remedy::KeyNotPublished,
        )
        .with_detail("token_x5t", "abc")
        .with_detail("token_thumbprint", "ABC")
        .with_detail(
            "published",
            json!([{"computed_x5t": "def", "thumbprint": "DEF", "subject": "CN=a"}, {"thumbprint": "123"}]),
        )
        .with_detail("published_total", 2)
        .with_detail("cause", "renewed");
        let lines: Vec<String> = proof(&check)
            .iter()
            .flat_map(|fact| fact_lines(fact, None))
            .map(|l| l.indented(""))
            .collect();
        assert_eq!(
            lines,
            [
                "cause: renewed",
                "token_thumbprint: ABC",
                "published: DEF, 123"
            ]
        );
        // A check without an entry shows a few scalar details.
        let other = Check::warn(CheckId::TokenIssuer, "realms differ", Remedy::TokenIssuer)
            .with_detail("nested", json!({"a": 1}))
            .with_detail("iss_realm", "contoso.com");
        let kept: Vec<String> = proof(&other)
            .iter()
            .flat_map(|m| m.keys().cloned())
            .collect();
        assert_eq!(kept, ["iss_realm"]);
    }

    #[test]
    fn long_strings_are_cut_and_controls_escaped() {
        let lines = render(json!({"body": "abcdefghij", "evil\n": "a\u{1b}b"}), Some(8));
        assert_eq!(
            lines,
            vec!["body: abcdefgh… (2 more characters)", "evil\\n: a\\u{1b}b"]
        );
    }
}
