//! Word wrapping for the human format: lines break between words, never inside
//! one; a word longer than the line (a URL, a thumbprint) stands alone and
//! overflows rather than being cut, so it can still be copied whole.

/// The narrowest text column wrapping leaves, however deep the indentation: below
/// it every word would get a line of its own.
const MIN_COLUMN: usize = 24;

/// Visible width of `text`: characters, as the report's symbols are one column each.
pub(super) fn width_of(text: &str) -> usize {
    text.chars().count()
}

/// Breaks `text` into lines for a terminal `width` columns wide (`None`: no
/// wrapping). The first line starts after `first` columns already used, the
/// others after `rest` columns of indentation; the lines come back without that
/// indentation.
pub(super) fn wrap(text: &str, width: Option<usize>, first: usize, rest: usize) -> Vec<String> {
    let Some(width) = width else {
        return vec![text.to_string()];
    };
    let room = |used: usize| width.saturating_sub(used).max(MIN_COLUMN);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut available = room(first);
    for word in text.split(' ').filter(|w| !w.is_empty()) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaks_between_words_and_respects_both_indents() {
        let text = "SSI downloads the metadata anonymously from the internet";
        let lines = wrap(text, Some(40), 10, 4);
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
        let lines = wrap(&format!("GET {url}: 401"), Some(30), 0, 2);
        assert_eq!(
            lines,
            vec!["GET".to_string(), format!("{url}:"), "401".to_string()]
        );
    }

    #[test]
    fn no_width_means_no_wrapping() {
        let text = "a ".repeat(200);
        assert_eq!(wrap(&text, None, 0, 0), vec![text.clone()]);
    }
}
