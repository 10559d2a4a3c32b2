//! Plain ASCII for outputs that a reader will not decode as UTF-8: Windows
//! PowerShell 5.1 reads what it captures (`| Set-Clipboard`, `> file`) with the
//! OEM code page, so `✔` arrives as `Γ£ö`. The renderers pick ASCII symbols
//! themselves; [`fold`] then catches what the report's text brings (a `…` in a
//! clipped value, an `é` in a certificate subject) in the form each format can
//! carry without loss where it matters.

/// The symbols a renderer draws with.
#[derive(Debug)]
pub(super) struct Symbols {
    /// A check or link that holds.
    pub pass: &'static str,
    /// A warning.
    pub warn: &'static str,
    /// A failure.
    pub fail: &'static str,
    /// A check that was skipped, or a link not checked.
    pub skip: &'static str,
    /// A check that could not be made from here.
    pub error: &'static str,
    /// Points from a raw value to what it means (`exp 1584123179 → 2020-03-13`).
    pub arrow: &'static str,
    /// Separates parts of a title.
    pub dot: &'static str,
}

const UNICODE: Symbols = Symbols {
    pass: "✔",
    warn: "!",
    fail: "✘",
    skip: "–",
    error: "?",
    arrow: "→",
    dot: "·",
};

const ASCII: Symbols = Symbols {
    pass: "+",
    warn: "!",
    fail: "x",
    skip: "-",
    error: "?",
    arrow: "->",
    dot: "-",
};

/// The symbol set for an output that is (`ascii`) or is not restricted to ASCII.
pub(super) fn symbols(ascii: bool) -> &'static Symbols {
    if ascii {
        &ASCII
    } else {
        &UNICODE
    }
}

/// Typographic characters of the tool's own sentences and their ASCII forms.
const FOLDS: &[(char, &str)] = &[
    ('…', "..."),
    ('→', "->"),
    ('←', "<-"),
    ('–', "-"),
    ('—', "-"),
    ('·', "-"),
    ('✔', "+"),
    ('✘', "x"),
    ('◀', "<"),
    ('‘', "'"),
    ('’', "'"),
    ('“', "\""),
    ('”', "\""),
    ('≥', ">="),
    ('≤', "<="),
    ('×', "x"),
    ('\u{a0}', " "),
];

/// How a format writes a character it cannot show in ASCII.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Escape {
    /// Human and Markdown: typographic characters folded, the rest as `\u{e9}`.
    Text,
    /// JSON: `\u00e9` inside strings (the only place a non-ASCII character can
    /// be), so a script reads the same value.
    Json,
    /// XML: a character reference `&#xe9;`, the same value to any XML reader.
    Xml,
}

/// `text` with every non-ASCII character written as `escape` says.
pub(super) fn fold(text: &str, escape: Escape) -> String {
    if text.is_ascii() {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
            continue;
        }
        match escape {
            Escape::Text => match FOLDS.iter().find(|(from, _)| *from == c) {
                Some((_, to)) => out.push_str(to),
                None => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            },
            Escape::Json => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            Escape::Xml => out.push_str(&format!("&#x{:x};", u32::from(c))),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_folds_typography_and_escapes_the_rest() {
        assert_eq!(
            fold("a → b… ✔ Müller", Escape::Text),
            "a -> b... + M\\u{fc}ller"
        );
        assert_eq!(fold("plain", Escape::Text), "plain");
    }

    #[test]
    fn json_escapes_keep_the_value() {
        let folded = fold("\"Müller 😀 …\"", Escape::Json);
        assert!(folded.is_ascii());
        let value: String = serde_json::from_str(&folded).expect("valid JSON");
        assert_eq!(value, "Müller 😀 …");
    }

    #[test]
    fn xml_uses_character_references() {
        let folded = fold("<a t=\"é\">✔</a>", Escape::Xml);
        assert_eq!(folded, "<a t=\"&#xe9;\">&#x2714;</a>");
        let doc = roxmltree::Document::parse(&folded).expect("well-formed");
        assert_eq!(doc.root_element().text(), Some("✔"));
        assert_eq!(doc.root_element().attribute("t"), Some("é"));
    }

    #[test]
    fn ascii_symbols_are_ascii() {
        let s = symbols(true);
        for symbol in [s.pass, s.warn, s.fail, s.skip, s.error, s.arrow, s.dot] {
            assert!(symbol.is_ascii(), "{symbol}");
        }
    }
}
