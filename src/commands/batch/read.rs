//! Reading a `--batch` list as it goes: one line at a time, each bounded, in
//! the encoding the list was saved in, with a token folded over several lines
//! joined back (or, where it cannot be, its pieces refused).
//!
//! Nothing here holds more than one target (and one line of lookahead): a list
//! of a million lines, `/dev/zero` or an endless pipe cost the same memory.

use std::io::{self, BufRead, BufReader, Cursor, Read};

use crate::input;

/// The most bytes one line of a batch may hold, and one target joined from a
/// folded token: 64 KiB, forty times an Exchange identity token (1 to 2 KB),
/// and far below what would strain memory however many jobs run.
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// The most targets one batch may hold: a nightly check of a whole fleet is
/// thousands; an endless stream (`yes | … --batch -`) ends here with an error
/// instead of running, and growing its summary, forever.
pub const MAX_TARGETS: usize = 1_000_000;

/// At most how many bytes are looked at to tell the list's encoding.
const SNIFF_BYTES: usize = 512;

/// How many bytes are waited for before telling it: a byte-order mark and one
/// UTF-16 unit.
const MIN_SNIFF_BYTES: usize = 4;

/// One entry of the list, with the line (counting from 1) it starts on.
#[derive(Clone, PartialEq, Eq)]
pub enum Entry {
    /// A target to work on: a token (possibly joined from several lines), an
    /// amurl or a host.
    Target {
        /// The line it starts on.
        line: usize,
        /// The text of the target (the lines of a folded token joined by `\n`).
        text: String,
    },
    /// A line that is part of a token but could not be joined to one: it is
    /// never worked on, resolved nor shown.
    Piece {
        /// Its line.
        line: usize,
    },
}

impl std::fmt::Debug for Entry {
    /// Never shows the text: it may be a token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Entry::Target { line, text } => f
                .debug_struct("Target")
                .field("line", line)
                .field("bytes", &text.len())
                .finish(),
            Entry::Piece { line } => f.debug_struct("Piece").field("line", line).finish(),
        }
    }
}

/// Why the list cannot be read on (a usage error, exit 2).
#[derive(Debug)]
pub enum ReadError {
    /// The file or standard input failed.
    Io(io::Error),
    /// A line longer than [`MAX_LINE_BYTES`].
    LineTooLong {
        /// Its line number.
        line: usize,
    },
    /// More than [`MAX_TARGETS`] targets.
    TooManyTargets,
}

impl ReadError {
    /// The message for `--batch SOURCE`.
    pub fn message(&self, source: &str) -> String {
        match self {
            ReadError::Io(e) => format!("--batch {source}: cannot read it ({e})"),
            ReadError::LineTooLong { line } => format!(
                "--batch {source}: line {line} holds more than {} KiB, and a target (a token, \
                 an amurl or a host) is at most a few KB: give one target per line",
                MAX_LINE_BYTES / 1024
            ),
            ReadError::TooManyTargets => format!(
                "--batch {source}: more than {MAX_TARGETS} targets; split the list into several runs"
            ),
        }
    }
}

/// How the list's bytes are text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    /// UTF-8, read lossily (bytes that are not UTF-8 are not part of a target).
    Utf8,
    /// UTF-16, little-endian (Windows PowerShell 5.1's `>`).
    Utf16Le,
    /// UTF-16, big-endian.
    Utf16Be,
}

/// Tells the encoding from the first bytes, the way [`input::text_of`] does
/// for a token: a byte order mark, then (as there) at least half of the
/// UTF-16 units in the sniffed bytes with a zero high byte; else UTF-8.
/// Returns the encoding and how many BOM bytes to skip.
fn sniff(head: &[u8]) -> (Encoding, usize) {
    let mostly_ascii = |rest: &[u8], high: usize| {
        let units = rest.chunks_exact(2);
        let total = units.len();
        let ascii = units.filter(|pair| pair[high] == 0).count();
        total > 0 && ascii * 2 >= total
    };
    if let Some(rest) = head.strip_prefix(b"\xFF\xFE") {
        if mostly_ascii(rest, 1) {
            return (Encoding::Utf16Le, 2);
        }
    } else if let Some(rest) = head.strip_prefix(b"\xFE\xFF") {
        if mostly_ascii(rest, 0) {
            return (Encoding::Utf16Be, 2);
        }
    } else if head.starts_with(b"\xEF\xBB\xBF") {
        return (Encoding::Utf8, 3);
    }
    (Encoding::Utf8, 0)
}

/// The lines of the list, decoded, each at most [`MAX_LINE_BYTES`].
struct Lines {
    reader: Box<dyn BufRead + Send>,
    encoding: Encoding,
    /// The number of the last line read.
    number: usize,
}

impl Lines {
    fn new(mut source: Box<dyn Read + Send>) -> io::Result<Lines> {
        // What the first reads give, not a fixed amount: a pipe that writes one
        // line now and the next later must have its first line worked on now.
        let mut head = vec![0; SNIFF_BYTES];
        let mut filled = 0;
        while filled < MIN_SNIFF_BYTES {
            match source.read(&mut head[filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        head.truncate(filled);
        let (encoding, bom) = sniff(&head);
        head.drain(..bom);
        let reader = BufReader::new(Cursor::new(head).chain(source));
        Ok(Lines {
            reader: Box::new(reader),
            encoding,
            number: 0,
        })
    }

    /// The next line without its line break, or `None` at the end.
    fn next_line(&mut self) -> Result<Option<(usize, String)>, ReadError> {
        let mut raw = Vec::new();
        loop {
            let buffer = self.reader.fill_buf().map_err(ReadError::Io)?;
            if buffer.is_empty() {
                break;
            }
            let (taken, ended) = match line_end(buffer, &raw, self.encoding) {
                Some(end) => (end, true),
                None => (buffer.len(), false),
            };
            raw.extend_from_slice(&buffer[..taken]);
            self.reader.consume(taken);
            if raw.len() > MAX_LINE_BYTES {
                return Err(ReadError::LineTooLong {
                    line: self.number + 1,
                });
            }
            if ended {
                break;
            }
        }
        if raw.is_empty() {
            return Ok(None);
        }
        self.number += 1;
        Ok(Some((self.number, self.decode(&raw))))
    }

    fn decode(&self, raw: &[u8]) -> String {
        let units = |unit: fn([u8; 2]) -> u16| -> Vec<u16> {
            raw.chunks(2)
                .map(|pair| unit([pair[0], pair.get(1).copied().unwrap_or(0)]))
                .collect()
        };
        let text = match self.encoding {
            Encoding::Utf8 => String::from_utf8_lossy(raw).into_owned(),
            Encoding::Utf16Le => String::from_utf16_lossy(&units(u16::from_le_bytes)),
            Encoding::Utf16Be => String::from_utf16_lossy(&units(u16::from_be_bytes)),
        };
        text.trim_end_matches(['\n', '\r']).to_string()
    }
}

/// Where the line whose first bytes are `taken` ends in `buffer` (the index
/// just past its line break), if it does. In UTF-16 the break is the unit
/// U+000A, whole: a 0x0A byte elsewhere in a unit does not end the line.
fn line_end(buffer: &[u8], taken: &[u8], encoding: Encoding) -> Option<usize> {
    let unit = |pair: [u8; 2]| match encoding {
        Encoding::Utf16Be => u16::from_be_bytes(pair),
        _ => u16::from_le_bytes(pair),
    };
    match encoding {
        Encoding::Utf8 => buffer.iter().position(|&b| b == b'\n').map(|i| i + 1),
        Encoding::Utf16Le | Encoding::Utf16Be => (0..buffer.len())
            .filter(|i| (taken.len() + i) % 2 == 1)
            .find(|&i| {
                let first = match i {
                    0 => taken.last().copied().unwrap_or(0),
                    _ => buffer[i - 1],
                };
                unit([first, buffer[i]]) == 0x000A
            })
            .map(|i| i + 1),
    }
}

/// Whether `text` is made only of base64url characters, dots and padding: what
/// a piece of a token folded over lines is.
fn is_token_alphabet(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'='))
}

/// Whether `text` (of the token alphabet) reads as a host name rather than a
/// piece of a token: dot-separated labels of letters, digits and hyphens, at
/// most 63 each, a top-level label of letters, and no long label mixing
/// upper and lower case as base64 does.
fn looks_like_host(text: &str) -> bool {
    let labels: Vec<&str> = text.split('.').collect();
    let label_ok = |label: &&str| {
        !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !(label.len() >= 16
                && label.bytes().any(|b| b.is_ascii_uppercase())
                && label.bytes().any(|b| b.is_ascii_lowercase()))
    };
    labels.len() >= 2
        && labels.iter().all(label_ok)
        && labels
            .last()
            .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_alphabetic()))
}

/// Whether a line standing alone is a piece of a token: a run of 40 or more
/// base64url characters mixing upper case, lower case and digits, as a
/// signature or payload does and no host name or URL path does.
fn is_lone_piece(text: &str) -> bool {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .any(|run| {
            run.len() >= 40
                && run.bytes().any(|b| b.is_ascii_uppercase())
                && run.bytes().any(|b| b.is_ascii_lowercase())
                && run.bytes().any(|b| b.is_ascii_digit())
        })
}

/// The entries of a batch list, read as they are asked for.
pub struct BatchReader {
    lines: Lines,
    /// A line read ahead while joining a folded token.
    ahead: Option<(usize, String)>,
    /// The last line that counted was a token or a piece of one: a following
    /// line of the token alphabet is a piece too, unless it is a host name.
    after_token: bool,
    targets: usize,
}

impl BatchReader {
    /// Starts reading `source`; its first bytes are read now, to tell the encoding.
    pub fn new(source: Box<dyn Read + Send>) -> Result<BatchReader, ReadError> {
        Ok(BatchReader {
            lines: Lines::new(source).map_err(ReadError::Io)?,
            ahead: None,
            after_token: false,
            targets: 0,
        })
    }

    fn line(&mut self) -> Result<Option<(usize, String)>, ReadError> {
        match self.ahead.take() {
            Some(line) => Ok(Some(line)),
            None => self.lines.next_line(),
        }
    }

    /// The next entry, or `None` at the end of the list. Blank lines and `#`
    /// comments are skipped.
    pub fn next_entry(&mut self) -> Result<Option<Entry>, ReadError> {
        let entry = loop {
            let Some((number, line)) = self.line()? else {
                return Ok(None);
            };
            let text = line.trim();
            if text.is_empty() || text.starts_with('#') {
                self.after_token = false;
                continue;
            }
            if text.starts_with("eyJ") || input::holds_token(text) {
                let joined = self.join_folded(text.to_string())?;
                self.after_token = true;
                break Entry::Target {
                    line: number,
                    text: joined,
                };
            }
            let piece = is_token_alphabet(text) && self.after_token && !looks_like_host(text);
            if piece || is_lone_piece(text) {
                self.after_token = true;
                break Entry::Piece { line: number };
            }
            self.after_token = false;
            break Entry::Target {
                line: number,
                text: text.to_string(),
            };
        };
        self.targets += 1;
        if self.targets > MAX_TARGETS {
            return Err(ReadError::TooManyTargets);
        }
        Ok(Some(entry))
    }

    /// Joins to `token` the lines that follow it while they continue it, as
    /// the token finder joins a token wrapped in a paste: a header or payload
    /// whose JSON is not closed yet, a signature shorter than an RSA one.
    fn join_folded(&mut self, mut token: String) -> Result<String, ReadError> {
        let mut joined = 0;
        while let Some((number, line)) = self.line()? {
            let next = line.trim();
            let longer = token.len() + 1 + next.len();
            if !is_token_alphabet(next) || next.starts_with("eyJ") || longer > MAX_LINE_BYTES {
                self.ahead = Some((number, line));
                break;
            }
            let candidate = format!("{token}\n{next}");
            let continues = input::find_token(&candidate)
                .is_some_and(|found| found.joined_line_breaks() == joined + 1);
            if !continues {
                self.ahead = Some((number, line));
                break;
            }
            token = candidate;
            joined += 1;
        }
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(bytes: Vec<u8>) -> Result<Vec<Entry>, ReadError> {
        let mut reader = BatchReader::new(Box::new(Cursor::new(bytes)))?;
        let mut out = Vec::new();
        while let Some(entry) = reader.next_entry()? {
            out.push(entry);
        }
        Ok(out)
    }

    fn target(line: usize, text: &str) -> Entry {
        Entry::Target {
            line,
            text: text.to_string(),
        }
    }

    /// A token of the shape Exchange issues: JSON header and payload, and a
    /// 256-byte (RSA 2048) signature.
    fn token() -> String {
        use base64::Engine;
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let header = b64(br#"{"typ":"JWT","alg":"RS256","x5t":"D6hFiew2XGciKBpzAOP5vMkJ5Mg"}"#);
        let payload = b64(
            br#"{"aud":"https://addin.contoso.com/","iss":"00000002-0000-0ff1-ce00-000000000000@contoso.com","appctx":"{\"msexchuid\":\"u1\",\"version\":\"ExIdTok.V1\",\"amurl\":\"https://mail.contoso.test/autodiscover/metadata/json/1\"}"}"#,
        );
        let signature = b64(&(0..=255u8).rev().collect::<Vec<u8>>());
        format!("{header}.{payload}.{signature}")
    }

    fn fold(text: &str, width: usize) -> String {
        text.as_bytes()
            .chunks(width)
            .map(|chunk| String::from_utf8_lossy(chunk).into_owned() + "\n")
            .collect()
    }

    #[test]
    fn lines_comments_and_blanks() {
        let got = entries(b"# hosts\nmail.contoso.com\r\n\n  https://x.test/a  \n".to_vec())
            .expect("read");
        assert_eq!(
            got,
            vec![target(2, "mail.contoso.com"), target(4, "https://x.test/a")]
        );
    }

    #[test]
    fn utf16_with_a_bom_reads_as_the_same_lines() {
        let text = "# from PowerShell\r\nmail.contoso.com\r\nhttps://x.test/autodiscover/metadata/json/1\r\n";
        let expected = entries(text.as_bytes().to_vec()).expect("utf-8");
        let mut le = vec![0xFF, 0xFE];
        le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let mut be = vec![0xFE, 0xFF];
        be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(entries(le).expect("utf-16le"), expected);
        assert_eq!(entries(be).expect("utf-16be"), expected);
        let mut bom8 = b"\xEF\xBB\xBF".to_vec();
        bom8.extend(text.as_bytes());
        assert_eq!(entries(bom8).expect("utf-8 bom"), expected);
    }

    #[test]
    fn a_utf16_unit_whose_high_byte_is_0x0a_does_not_end_the_line() {
        // U+0A4B (ੋ) is 4B 0A in UTF-16LE: its 0x0A is a high byte.
        let text = "ab\u{0A4B}cd.test\r\nx.test\r\n";
        let mut le = vec![0xFF, 0xFE];
        le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(
            entries(le).expect("read"),
            vec![target(1, "ab\u{0A4B}cd.test"), target(2, "x.test")]
        );
    }

    #[test]
    fn a_line_over_the_bound_is_an_error_not_memory() {
        let error = entries(vec![b'a'; MAX_LINE_BYTES + 10]).expect_err("too long");
        assert!(
            matches!(error, ReadError::LineTooLong { line: 1 }),
            "{error:?}"
        );
        let mut bytes = b"ok.test\n".to_vec();
        bytes.extend(vec![0u8; MAX_LINE_BYTES * 3]);
        let error = entries(bytes).expect_err("too long");
        assert!(
            matches!(error, ReadError::LineTooLong { line: 2 }),
            "{error:?}"
        );
        assert!(error
            .message("/dev/zero")
            .contains("line 2 holds more than 64 KiB"));
        // Exactly at the bound is fine.
        let mut bytes = vec![b'a'; MAX_LINE_BYTES - 1];
        bytes.push(b'\n');
        assert_eq!(entries(bytes).expect("at the bound").len(), 1);
    }

    #[test]
    fn a_folded_token_is_joined_into_one_target() {
        let token = token();
        for width in [64, 76, 100] {
            let text = format!("first.test\n{}last.test\n", fold(&token, width));
            let got = entries(text.into_bytes()).expect("read");
            assert_eq!(got.len(), 3, "width {width}: {got:?}");
            assert_eq!(got[0], target(1, "first.test"));
            let Entry::Target { line, text } = &got[1] else {
                panic!("a target: {got:?}");
            };
            assert_eq!(*line, 2);
            assert_eq!(text.replace('\n', ""), token, "width {width}");
            assert!(matches!(&got[2], Entry::Target { text, .. } if text == "last.test"));
        }
    }

    #[test]
    fn tokens_one_per_line_stay_apart() {
        let token = token();
        let text = format!("{token}\n{token}\nmail.contoso.com\n{token}\n");
        let got = entries(text.into_bytes()).expect("read");
        assert_eq!(
            got,
            vec![
                target(1, &token),
                target(2, &token),
                target(3, "mail.contoso.com"),
                target(4, &token),
            ]
        );
    }

    #[test]
    fn pieces_that_cannot_be_joined_are_refused_with_their_line_only() {
        let token = token();
        let signature = token.rsplit('.').next().expect("signature").to_string();
        let (head, tail) = signature.split_at(60);
        // A complete token, then what looks like its signature again, wrapped:
        // the pieces belong to no token that can be joined.
        let text = format!("{token}\n{head}\n{tail}\nmail.contoso.com\n{head}\n");
        let got = entries(text.into_bytes()).expect("read");
        assert_eq!(
            got,
            vec![
                target(1, &token),
                Entry::Piece { line: 2 },
                Entry::Piece { line: 3 },
                target(4, "mail.contoso.com"),
                // Alone, a long mixed base64url run is still a piece.
                Entry::Piece { line: 5 },
            ]
        );
        let shown = format!("{got:?}");
        assert!(!shown.contains(head) && !shown.contains("eyJ"), "{shown}");
    }

    #[test]
    fn hosts_and_words_are_not_pieces() {
        for host in ["mail.contoso.com", "Mail.Contoso.COM", "exchange", "y"] {
            assert_eq!(
                entries(format!("{host}\n").into_bytes()).expect("read"),
                vec![target(1, host)]
            );
        }
    }

    #[test]
    fn the_first_line_of_a_slow_pipe_is_read_before_the_next_arrives() {
        /// Gives one line, then fails as a pipe that has nothing yet would block.
        struct Slow(bool);
        impl Read for Slow {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if std::mem::replace(&mut self.0, true) {
                    return Err(io::Error::other("nothing more yet"));
                }
                buf[..7].copy_from_slice(b"a.test\n");
                Ok(7)
            }
        }
        let mut reader = BatchReader::new(Box::new(Slow(false))).expect("reader");
        assert_eq!(
            reader.next_entry().expect("first line"),
            Some(target(1, "a.test"))
        );
        assert!(matches!(reader.next_entry(), Err(ReadError::Io(_))));
    }

    #[test]
    fn an_endless_list_stops_at_the_target_bound() {
        struct Endless;
        impl Read for Endless {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                for pair in buf.chunks_mut(2) {
                    pair[0] = b'y';
                    if let Some(b) = pair.get_mut(1) {
                        *b = b'\n';
                    }
                }
                Ok(buf.len() - buf.len() % 2)
            }
        }
        let mut reader = BatchReader::new(Box::new(Endless)).expect("reader");
        let mut count = 0;
        let error = loop {
            match reader.next_entry() {
                Ok(Some(_)) => count += 1,
                Ok(None) => panic!("an endless list ended"),
                Err(e) => break e,
            }
        };
        assert_eq!(count, MAX_TARGETS);
        assert!(matches!(error, ReadError::TooManyTargets));
    }
}
