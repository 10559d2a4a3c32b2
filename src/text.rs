//! Text taken from tokens, documents and servers, made fit for a report: one
//! place decides how control characters are shown and how long text is cut.

/// Replaces every control character of `text` with a visible escape (`\n`,
/// `\u{1b}`), so nothing from a token or server can move a cursor, recolour a
/// terminal or split a line a renderer meant to keep whole.
pub fn escape_controls(text: &str) -> String {
    excerpt(text, usize::MAX)
}

/// [`escape_controls`], clipped to `max` characters with an ellipsis: for
/// one-line summaries and details.
pub fn excerpt(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max.saturating_mul(4)));
    for (count, c) in text.chars().enumerate() {
        if count == max {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_and_long_text_is_cut() {
        assert_eq!(escape_controls("a\nb\u{1b}[31m"), "a\\nb\\u{1b}[31m");
        assert_eq!(excerpt("abcdef", 3), "abc…");
        assert_eq!(excerpt("abc", 3), "abc");
        assert_eq!(excerpt("é\tx", 10), "é\\tx");
    }

    #[test]
    fn control_characters_become_visible_escapes() {
        assert_eq!(
            escape_controls("a\u{1b}[31mb\nc\u{1}"),
            "a\\u{1b}[31mb\\nc\\u{1}"
        );
        assert_eq!(escape_controls("Prüfung ✔"), "Prüfung ✔");
    }
}
