//! Word wrapping for the human format: lines break between words, never inside
//! one. A word longer than any line (a URL, a thumbprint) stands alone: under
//! `--verbose` it overflows whole, so it can still be copied; in the default view,
//! which promises no line wider than the terminal, it is clipped with `…` (the
//! whole value is in `--verbose` and in the JSON report).

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// The narrowest text column wrapping leaves, however deep the indentation: below
/// it every word would get a line of its own.
const MIN_COLUMN: usize = 24;

/// Visible width of `text` in terminal columns: a CJK character or an emoji
/// takes two, a combining mark none (the report's own symbols take one).
pub(crate) fn width_of(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// What happens to a word longer than any line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LongWords {
    /// It stands alone on its line and overflows (`--verbose`).
    Overflow,
    /// It is cut to the line and ends in `…` (the default view).
    Clip,
}

/// Breaks `text` into lines for a terminal `width` columns wide (`None`: no
/// wrapping). The first line starts after `first` columns already used, the
/// others after `rest` columns of indentation; the lines come back without that
/// indentation.
pub(crate) fn wrap(
    text: &str,
    width: Option<usize>,
    first: usize,
    rest: usize,
    long_words: LongWords,
) -> Vec<String> {
    let Some(width) = width else {
        return vec![text.to_string()];
    };
    let room = |used: usize| width.saturating_sub(used).max(MIN_COLUMN);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut available = room(first);
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let word = match long_words {
            LongWords::Clip if width_of(word) > room(first.max(rest)) => {
                clip(word, room(first.max(rest)))
            }
            _ => word.to_string(),
        };
        let word = word.as_str();
        let needed = if line.is_empty() {
            width_of(word)
        } else {
            width_of(&line) + 1 + width_of(word)
        };
        if !line.is_empty() && needed > available {
            lines.push(std::mem::take(&mut line));
            available = room(rest);
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    lines.push(line);
    lines
}

/// `text` whole when it fits in `columns`, else clipped to them with `…`
/// (never narrower than the column wrapping leaves).
pub(super) fn fit(text: &str, columns: usize) -> String {
    let columns = columns.max(MIN_COLUMN);
    if width_of(text) <= columns {
        text.to_string()
    } else {
        clip(text, columns)
    }
}

/// The start of `word` that fits in `columns - 3` columns, and `…`: three
/// columns, so that the ASCII form (`...`, where symbols must be ASCII) fits
/// too. A wide character that would straddle the limit is left out whole.
fn clip(word: &str, columns: usize) -> String {
    let room = columns.saturating_sub(3);
    let mut kept = String::new();
    let mut used = 0;
    for c in word.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > room {
            break;
        }
        used += w;
        kept.push(c);
    }
    kept.push('…');
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaks_between_words_and_respects_both_indents() {
        let text = "SSI downloads the metadata anonymously from the internet";
        let lines = wrap(text, Some(40), 10, 4, LongWords::Overflow);
        assert_eq!(
            lines,
            vec![
                "SSI downloads the metadata",
                "anonymously from the internet"
            ]
        );
        assert!(10 + width_of(&lines[0]) <= 40);
        assert!(lines.iter().skip(1).all(|l| 4 + width_of(l) <= 40));
        assert_eq!(lines.join(" "), text);
    }

    #[test]
    fn a_long_word_overflows_whole() {
        let url = "https://mail.contoso.com/autodiscover/metadata/json/1";
        let lines = wrap(
            &format!("GET {url}: 401"),
            Some(30),
            0,
            2,
            LongWords::Overflow,
        );
        assert_eq!(
            lines,
            vec!["GET".to_string(), format!("{url}:"), "401".to_string()]
        );
    }

    #[test]
    fn a_long_word_is_clipped_to_the_line_in_the_default_view() {
        let url = "https://login.microsoftonline.com/tenant/oauth2/authorize?client_id=x";
        let lines = wrap(&format!("Location: {url}"), Some(40), 4, 6, LongWords::Clip);
        assert_eq!(lines[0], "Location:");
        assert!(lines[1].ends_with('…'));
        assert!(url.starts_with(lines[1].trim_end_matches('…')));
        assert!(6 + width_of(&lines[1]) <= 40, "{lines:?}");
    }

    #[test]
    fn wide_characters_count_two_columns_and_combining_marks_none() {
        assert_eq!(width_of("王小明"), 6);
        assert_eq!(width_of("🔑 key"), 6);
        assert_eq!(width_of("e\u{301}te\u{301}"), 3);
        let name = "显示名称是很长的中文名字 and more words after it";
        for line in wrap(name, Some(30), 4, 4, LongWords::Clip) {
            assert!(4 + width_of(&line) <= 30, "{line:?}");
        }
    }

    #[test]
    fn a_clipped_wide_word_fits_its_columns() {
        let word = "很长很长很长很长很长很长很长很长很长很长很长很长很长很长";
        let lines = wrap(word, Some(30), 4, 4, LongWords::Clip);
        assert_eq!(lines.len(), 1);
        assert!(4 + width_of(&lines[0]) <= 30, "{lines:?}");
        assert!(lines[0].ends_with('…'));
    }

    #[test]
    fn no_width_means_no_wrapping() {
        let text = "a ".repeat(200);
        assert_eq!(wrap(&text, None, 0, 0, LongWords::Clip), vec![text.clone()]);
    }
}
