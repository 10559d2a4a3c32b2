//! A check's `details` (any JSON) as short indented `key: value` lines, the form
//! the human, Markdown and JUnit formats share so that an engineer can paste the
//! facts into a ticket.

use serde_json::{Map, Value};

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
    fn long_strings_are_cut_and_controls_escaped() {
        let lines = render(json!({"body": "abcdefghij", "evil\n": "a\u{1b}b"}), Some(8));
        assert_eq!(
            lines,
            vec!["body: abcdefgh… (2 more characters)", "evil\\n: a\\u{1b}b"]
        );
    }
}
