//! Text taken from tokens, documents and servers, made fit for a report: one
//! place decides which characters are never shown raw, how they are shown
//! instead, and how long text is cut. Every format (human, Markdown, JUnit,
//! JSON) escapes untrusted text by [`must_escape`].

/// Whether `c` must never reach a report raw, in any format, because it moves,
/// hides or reorders what a reader sees:
///
/// - every control character (Unicode category Cc: C0, DEL and C1), which can
///   move a cursor, retitle or clear a terminal, or split a line;
/// - bidirectional controls (U+061C, U+200E/U+200F, U+202A–U+202E,
///   U+2066–U+2069), which display text in another order than it is read;
/// - line and paragraph separators (U+2028/U+2029), which break lines in some
///   viewers and not in others;
/// - invisible characters: soft hyphen, zero-width spaces and joiners
///   (U+200B–U+200D), word joiner and invisible operators (U+2060–U+2064),
///   the byte order mark (U+FEFF), variation selectors, Hangul fillers, the
///   Mongolian vowel separator, interlinear annotation marks and the tag
///   characters (U+E0000–U+E007F), which make two different strings look alike.
pub fn must_escape(c: char) -> bool {
    // Reports are mostly ASCII, where only the controls qualify.
    if c.is_ascii() {
        return c.is_ascii_control();
    }
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0000}'..='\u{E007F}'
                | '\u{E0100}'..='\u{E01EF}'
        )
}

/// Replaces every character [`must_escape`] names with a visible escape (`\n`,
/// `\u{1b}`, `\u{202e}`), so nothing from a token or server can move a cursor,
/// recolour a terminal, split a line a renderer meant to keep whole, or show
/// a reader something other than what is there.
pub fn escape_controls(text: &str) -> String {
    excerpt(text, usize::MAX)
}

/// JSON text (as serde_json writes it) with every character [`must_escape`]
/// names written as a `\uXXXX` escape. serde_json escapes only C0 controls and
/// writes DEL, C1 and invisible characters raw. Outside strings JSON text is
/// ASCII, and the only controls there are the whitespace of pretty printing
/// (kept: inside strings serde_json escapes every C0 control itself), so any
/// other such character sits inside a string, where the escape stands for the
/// same character: the parsed value is unchanged.
pub fn escape_json_text(json: String) -> String {
    let escaped = |c: char| must_escape(c) && !matches!(c, '\n' | '\r' | '\t' | ' ');
    // Printable ASCII, the bulk of any report, never needs a look at its
    // characters: only a control byte or the bytes of other characters do.
    let may_need = |b: &u8| !(b' '..=b'~').contains(b) && !matches!(b, b'\n' | b'\r' | b'\t');
    let Some(first) = json.bytes().position(|b| may_need(&b)) else {
        return json;
    };
    if !json[first..].chars().any(escaped) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 16);
    for c in json.chars() {
        if escaped(c) {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
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
        if must_escape(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// What went wrong with a file, in words rather than the system's error text
/// (`No such file or directory (os error 2)`).
pub fn io_problem(error: &std::io::Error) -> &'static str {
    match error.kind() {
        std::io::ErrorKind::NotFound => "no such file or folder",
        std::io::ErrorKind::PermissionDenied => "permission denied",
        std::io::ErrorKind::IsADirectory => "it is a folder, not a file",
        std::io::ErrorKind::NotADirectory => "a part of the path is a file, not a folder",
        std::io::ErrorKind::InvalidData => "it is not text",
        std::io::ErrorKind::StorageFull => "the disk is full",
        std::io::ErrorKind::ReadOnlyFilesystem => "the file system is read-only",
        _ => "the system refused",
    }
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

    #[test]
    fn bidi_invisible_and_c1_characters_become_visible_escapes() {
        for (raw, shown) in [
            ("a\u{202e}b", "a\\u{202e}b"),
            ("a\u{2066}b\u{2069}", "a\\u{2066}b\\u{2069}"),
            ("\u{200e}\u{200f}\u{61c}", "\\u{200e}\\u{200f}\\u{61c}"),
            ("a\u{2028}b\u{2029}", "a\\u{2028}b\\u{2029}"),
            (
                "a\u{200b}b\u{200d}\u{2060}\u{feff}",
                "a\\u{200b}b\\u{200d}\\u{2060}\\u{feff}",
            ),
            ("soft\u{ad}hyphen", "soft\\u{ad}hyphen"),
            ("c1\u{85}\u{9b}31m\u{7f}", "c1\\u{85}\\u{9b}31m\\u{7f}"),
            ("tag\u{e0041}", "tag\\u{e0041}"),
        ] {
            assert_eq!(escape_controls(raw), shown, "{raw:?}");
        }
        // Letters, marks and emoji of every script stay as they are.
        assert_eq!(
            escape_controls("Jörg Müller, Ж, 日本, ✔"),
            "Jörg Müller, Ж, 日本, ✔"
        );
    }

    #[test]
    fn json_text_that_needs_nothing_comes_back_as_it_was() {
        for clean in [
            "{\"a\":\"b c\"}",
            "{\n  \"a\": \"\\u001b\"\r\n\t}",
            "{\"name\":\"Jörg ✔ 日本\"}",
        ] {
            assert_eq!(escape_json_text(clean.to_string()), clean);
        }
        // DEL is ASCII, yet a control: the quick look over ASCII must not miss it.
        assert_eq!(
            escape_json_text("[\"a\u{7f}\"]".to_string()),
            "[\"a\\u007f\"]"
        );
        assert_eq!(
            escape_json_text("[\"é\u{85}\"]".to_string()),
            "[\"é\\u0085\"]"
        );
    }

    #[test]
    fn json_text_escapes_what_serde_json_leaves_raw_and_keeps_the_value() {
        let value = serde_json::json!({"k\u{202e}": "a\u{85}b\u{7f}\u{2028}\u{e0041}\u{1b}"});
        let raw = serde_json::to_string_pretty(&value).expect("json");
        assert!(raw.contains('\u{85}') && raw.contains('\u{7f}'));
        let escaped = escape_json_text(raw.clone());
        assert!(escaped.lines().count() > 1, "pretty printing is kept");
        assert!(
            !escaped.lines().any(|l| l.chars().any(must_escape)),
            "{escaped}"
        );
        assert!(escaped.contains("\\u0085") && escaped.contains("\\udb40\\udc41"));
        let back: serde_json::Value = serde_json::from_str(&escaped).expect("still JSON");
        assert_eq!(back, value);
    }
}
