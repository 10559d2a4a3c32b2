//! Reading the token (from an argument, a file or standard input) and finding
//! the JWT in whatever was pasted around it.
//!
//! Reading is strict about I/O (an unreadable `@PATH` is a usage error that names
//! the path) and lenient about content: bytes that are not UTF-8 are replaced,
//! never refused, because they are simply not part of a JWT. Finding is forgiving:
//! quotes, a `Bearer ` prefix, line breaks inside the token, and a token inside a
//! log line or JSON blob are all accepted. Both run in time linear in the input.

use std::fmt;
use std::fs::File;
use std::io::{self, IsTerminal, Read};
use std::path::PathBuf;

/// The most bytes read from a file or standard input: far above any token
/// (about 1 KB) or log excerpt, yet `/dev/zero` cannot exhaust memory.
pub const MAX_INPUT_BYTES: usize = 16 * 1024 * 1024;

/// Why the token input could not be read at all (a usage error, exit code 2).
///
/// Input that was read but holds no token is not an error here: the `token.input`
/// check reports it.
#[derive(Debug)]
pub enum InputError {
    /// `@PATH` names a file that cannot be read.
    File {
        /// The path after `@`, as given.
        path: PathBuf,
        /// What the operating system said.
        source: io::Error,
    },
    /// `@` was given with no path after it.
    EmptyPath,
    /// Standard input could not be read.
    Stdin(io::Error),
    /// No token argument was given and standard input is a terminal.
    StdinIsTerminal,
    /// The file or standard input holds more than [`MAX_INPUT_BYTES`].
    TooLarge {
        /// Where the input came from: `standard input` or `file PATH`.
        source: String,
    },
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputError::File { path, source } => {
                // Windows refuses to read a folder with "access denied", not
                // with a folder error: say what it is.
                let problem = if path.is_dir() {
                    "it is a folder, not a file"
                } else {
                    crate::text::io_problem(source)
                };
                write!(
                    f,
                    "cannot read the token file {}: {problem}",
                    path.display()
                )
            }
            InputError::EmptyPath => {
                f.write_str("`@` must be followed by a file path: pass TOKEN, @PATH or -")
            }
            InputError::Stdin(e) => write!(
                f,
                "cannot read the token from standard input ({}): pass TOKEN or @PATH instead",
                crate::text::io_problem(e)
            ),
            InputError::StdinIsTerminal => f.write_str(
                "no token given and standard input is a terminal: pass TOKEN, @PATH or -",
            ),
            InputError::TooLarge { source } => write!(
                f,
                "{source} holds more than {} MiB, and an identity token is about 1 KB: \
                 pass the token itself, or a smaller file that contains it",
                MAX_INPUT_BYTES / (1024 * 1024)
            ),
        }
    }
}

impl std::error::Error for InputError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            InputError::File { source, .. } => Some(source),
            InputError::Stdin(e) => Some(e),
            _ => None,
        }
    }
}

/// Reads the token input the way the contract says.
///
/// `arg` is the positional TOKEN argument: the text itself, `-` for standard
/// input, or `@PATH` for a file. `None` means standard input when it is not a
/// terminal, and an error otherwise (so the tool never waits silently for a paste
/// nobody is going to make). Bytes are converted lossily, and at most
/// [`MAX_INPUT_BYTES`] are accepted.
pub fn read_input(arg: Option<&str>) -> Result<String, InputError> {
    match arg {
        None => {
            let stdin = io::stdin();
            if stdin.is_terminal() {
                return Err(InputError::StdinIsTerminal);
            }
            read_stdin(stdin)
        }
        Some("-") => read_stdin(io::stdin()),
        Some(text) => match text.strip_prefix('@') {
            Some("") => Err(InputError::EmptyPath),
            Some(path) => read_file(PathBuf::from(path)),
            None => Ok(text.to_string()),
        },
    }
}

fn read_stdin(stdin: io::Stdin) -> Result<String, InputError> {
    read_capped(stdin.lock()).map_err(|e| match e {
        CappedError::Io(e) => InputError::Stdin(e),
        CappedError::TooLarge => InputError::TooLarge {
            source: "standard input".to_string(),
        },
    })
}

fn read_file(path: PathBuf) -> Result<String, InputError> {
    let file = match File::open(&path) {
        Ok(file) => file,
        Err(source) => return Err(InputError::File { path, source }),
    };
    read_capped(file).map_err(|e| match e {
        CappedError::Io(source) => InputError::File {
            path: path.clone(),
            source,
        },
        CappedError::TooLarge => InputError::TooLarge {
            source: format!("file {}", path.display()),
        },
    })
}

#[derive(Debug)]
enum CappedError {
    Io(io::Error),
    TooLarge,
}

/// Reads at most [`MAX_INPUT_BYTES`] (one more byte proves the input is too large).
fn read_capped(reader: impl Read) -> Result<String, CappedError> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_INPUT_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(CappedError::Io)?;
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(CappedError::TooLarge);
    }
    Ok(text_of(&bytes))
}

/// The text of pasted or saved bytes. Windows PowerShell 5.1 writes `>`
/// redirections as UTF-16 with a byte order mark (`Get-Clipboard > token.txt`):
/// bytes that start with one and read as mostly ASCII in UTF-16 (a zero high
/// byte in at least half of the units, as any token or JSON has) are decoded
/// so. Some tools pipe UTF-16 without a byte order mark: bytes where every
/// second byte is zero (and the others are not) are decoded as UTF-16 too, in
/// the byte order the zeros show. Anything else is read as UTF-8, lossily.
pub fn text_of(bytes: &[u8]) -> String {
    let utf16 = |rest: &[u8], high: usize, unit: fn([u8; 2]) -> u16| {
        let units = rest.chunks_exact(2);
        let ascii = units.clone().filter(|pair| pair[high] == 0).count();
        (ascii * 2 >= units.len() && units.len() > 0).then(|| {
            let units: Vec<u16> = units.map(|pair| unit([pair[0], pair[1]])).collect();
            String::from_utf16_lossy(&units)
        })
    };
    let decoded = if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        utf16(rest, 1, u16::from_le_bytes)
    } else if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        utf16(rest, 0, u16::from_be_bytes)
    } else {
        match bom_less_utf16(bytes) {
            Some(0) => utf16(bytes, 0, u16::from_be_bytes),
            Some(_) => utf16(bytes, 1, u16::from_le_bytes),
            None => None,
        }
    };
    decoded.unwrap_or_else(|| {
        let rest = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        String::from_utf8_lossy(rest).into_owned()
    })
}

/// Which byte of each pair is the zero high byte of UTF-16 text without a byte
/// order mark (1 for little endian, 0 for big endian), when every second byte
/// is zero and the bytes between are not: ASCII text in UTF-16. UTF-8 text
/// has no zero bytes at all, so nothing real is taken for it.
fn bom_less_utf16(bytes: &[u8]) -> Option<usize> {
    let units = bytes.chunks_exact(2);
    if units.len() < 4 {
        return None;
    }
    [1, 0].into_iter().find(|&high| {
        units
            .clone()
            .all(|pair| pair[high] == 0 && pair[1 - high] != 0)
    })
}

/// Whether `c` is one of the invisible characters mail clients and chat tools
/// put into long words so that they can break (zero-width space, non-joiner
/// and joiner, word joiner, byte order mark, soft hyphen) or put in place of a
/// space (no-break spaces). None is ever part of a token.
pub fn is_pasted_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{00AD}' | '\u{00A0}' | '\u{202F}'
    )
}

/// Pasted text with the invisible characters of [`is_pasted_invisible`]
/// taken out of the words they were put into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cleaned {
    /// The text as if pasted cleanly.
    pub text: String,
    /// How many invisible characters were removed from inside words.
    pub removed: usize,
}

/// `text` with the invisible characters mail clients and chat tools put into
/// long words removed, so that a token is read as if pasted cleanly. One that
/// stands between words (a no-break space after `Bearer`) becomes a space;
/// one inside a word (between two characters that are not whitespace) is
/// removed and counted.
pub fn clean_paste(text: &str) -> Cleaned {
    if !text.chars().any(is_pasted_invisible) {
        return Cleaned {
            text: text.to_string(),
            removed: 0,
        };
    }
    let word = |c: Option<char>| c.is_some_and(|c| !c.is_whitespace());
    let mut out = String::with_capacity(text.len());
    let mut removed = 0;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if !is_pasted_invisible(c) {
            out.push(c);
            continue;
        }
        // A run of them is judged whole, by the characters around it.
        let (mut run, mut spacing) = (1, c.is_whitespace());
        while let Some(&n) = chars.peek().filter(|&&n| is_pasted_invisible(n)) {
            run += 1;
            spacing |= n.is_whitespace();
            chars.next();
        }
        let inside = word(out.chars().next_back()) && word(chars.peek().copied());
        // Before `eyJ` it separates a token from the word before it
        // (`Bearer\u{A0}eyJ…`): a space, not a join.
        let token_starts = chars.clone().take(3).eq("eyJ".chars());
        if inside && !token_starts {
            removed += run;
        } else if (spacing || inside) && !out.ends_with(char::is_whitespace) {
            out.push(' ');
        }
    }
    Cleaned { text: out, removed }
}

/// A JWT-shaped run of text found in the input: it starts with `eyJ` (the base64url
/// of `{"`, how every JWT header begins) and runs over base64url characters and
/// dots, joining line breaks that fall inside the token.
///
/// It may be damaged (two parts, a stray character): [`find_token`] returns the
/// best candidate so that the `token.encoding` check can say what is wrong and
/// where. Its `Debug` output never shows the token text.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenCandidate {
    text: String,
    parts: usize,
    line: usize,
    column: usize,
    offset: usize,
    joined_line_breaks: usize,
    unquoted: bool,
}

impl TokenCandidate {
    /// The token as found, with the line breaks inside it removed.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// How many dot-separated parts it has (a JWT has three).
    pub fn parts(&self) -> usize {
        self.parts
    }

    /// Whether it is a complete compact JWT: three non-empty parts.
    pub fn is_complete(&self) -> bool {
        self.parts == 3 && !self.text.split('.').any(str::is_empty)
    }

    /// The line of the input it starts on, counting from 1.
    pub fn line(&self) -> usize {
        self.line
    }

    /// The column (in characters) of that line it starts at, counting from 1.
    pub fn column(&self) -> usize {
        self.column
    }

    /// The character of the input it starts at, counting from 1.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// How many line breaks inside the token were joined.
    pub fn joined_line_breaks(&self) -> usize {
        self.joined_line_breaks
    }

    /// Whether e-mail quoting (`> ` at the start of its lines) was removed to
    /// find it; its line and column are then those of the unquoted text.
    pub fn unquoted(&self) -> bool {
        self.unquoted
    }

    /// The token's length in characters.
    pub fn len(&self) -> usize {
        self.text.chars().count()
    }

    /// Whether the token text is empty (never true for a found candidate).
    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }
}

impl fmt::Debug for TokenCandidate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCandidate")
            .field("len", &self.len())
            .field("parts", &self.parts)
            .field("line", &self.line)
            .field("column", &self.column)
            .field("joined_line_breaks", &self.joined_line_breaks)
            .finish_non_exhaustive()
    }
}

/// The first complete `eyJ…` three-part JWT in `text`, with line breaks inside it
/// removed; `None` when there is none (see [`find_token`] for damaged ones).
pub fn extract_jwt(text: &str) -> Option<String> {
    find_token(text)
        .filter(TokenCandidate::is_complete)
        .map(|candidate| candidate.text)
}

/// Whether `text` holds a token, even a damaged one, rather than a URL or a
/// host name: a JWT-shaped run whose first part (the header) is at least 16
/// characters, complete or not (a token that lost its signature, or was cut).
///
/// `probe` asks this before treating its TARGET as a host: taken for a host
/// name, `header.payload` would be looked up in public DNS, handing the
/// user's claims to every resolver on the way. No real host name starts
/// with a 16-character label beginning `eyJ`, nor is one label beginning `eyJ`.
pub fn holds_token(text: &str) -> bool {
    // The shortest JOSE header, `{"alg":"none"}`, is 19 characters of base64url.
    // A lone `eyJ…` word with no dot is a token cut short, not a host name: no
    // host starts so, and looked up it would leak part of the header.
    find_token(text).is_some_and(|candidate| {
        candidate.text().split('.').next().map_or(0, str::len) >= 16
            || (candidate.parts() == 1 && candidate.text() == text.trim())
    })
}

/// The token to judge in `text`: the first complete JWT (three non-empty parts);
/// failing that, the first JWT-shaped candidate with at least one dot; failing
/// that, the first lone `eyJ…` run. `None` when nothing starts with `eyJ`.
///
/// Linear in the length of `text`: each byte is looked at a bounded number of
/// times, whatever the input (a 10 MB paste of junk included).
pub fn find_token(text: &str) -> Option<TokenCandidate> {
    let found = find_in(text);
    if found.as_ref().is_some_and(TokenCandidate::is_complete) {
        return found;
    }
    // A token quoted in an e-mail reply (`> ` before every line) is whole once
    // the quoting is removed; the quote marks would otherwise cut it at the
    // first line break.
    match unquote_email(text).and_then(|unquoted| find_in(&unquoted)) {
        Some(unquoted) if better(&unquoted, found.as_ref()) => Some(TokenCandidate {
            unquoted: true,
            ..unquoted
        }),
        _ => found,
    }
}

/// Whether `candidate` is a better find than `kept`: complete where it is
/// not, or with more of the token.
fn better(candidate: &TokenCandidate, kept: Option<&TokenCandidate>) -> bool {
    match kept {
        None => true,
        Some(kept) => {
            (candidate.is_complete() && !kept.is_complete())
                || (candidate.parts, candidate.len()) > (kept.parts, kept.len())
        }
    }
}

/// `text` with e-mail quoting removed from the start of each line (`>`, `> >`,
/// `>>` and the spaces after), when some line is quoted; `None` otherwise.
fn unquote_email(text: &str) -> Option<String> {
    let quoted = |line: &str| line.trim_start().starts_with('>');
    if !text.contains('>') || !text.lines().any(quoted) {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let unquoted = line.trim_start().trim_start_matches(['>', ' ', '\t']);
        out.push_str(if quoted(line) { unquoted } else { line });
    }
    Some(out)
}

/// [`find_token`] without the e-mail unquoting.
fn find_in(text: &str) -> Option<TokenCandidate> {
    let mut fallback: Option<(Scanned, usize)> = None;
    for (start, scanned) in scans(text) {
        if scanned.is_complete() {
            return Some(scanned.into_candidate(text, start));
        }
        let better = match &fallback {
            None => true,
            Some((kept, _)) => kept.dots == 0 && scanned.dots > 0,
        };
        if better {
            fallback = Some((scanned, start));
        }
    }
    fallback.map(|(scanned, start)| scanned.into_candidate(text, start))
}

/// The most complete JWTs [`complete_tokens`] returns: a "Copy as cURL" holds
/// two or three; the bound keeps a paste of thousands linear.
pub const MAX_TOKENS: usize = 16;

/// Every complete JWT in `text` (three non-empty parts), in order, at most
/// [`MAX_TOKENS`]: for an input that holds several, such as a request copied
/// with its `Authorization` header and an identity token in its body.
pub fn complete_tokens(text: &str) -> Vec<TokenCandidate> {
    scans(text)
        .filter(|(_, scanned)| scanned.is_complete())
        .take(MAX_TOKENS)
        .map(|(start, scanned)| scanned.into_candidate(text, start))
        .collect()
}

/// Every run that starts at an `eyJ` (not one inside a longer base64 run,
/// nor right after a dot), scanned, in order; each byte is scanned once.
fn scans(text: &str) -> impl Iterator<Item = (usize, Scanned)> + '_ {
    let bytes = text.as_bytes();
    let mut search_from = 0;
    std::iter::from_fn(move || {
        while let Some(found) = text.get(search_from..)?.find("eyJ") {
            let start = search_from + found;
            // `eyJ` in the middle of a longer base64 run, or right after a dot (the
            // payload of a token whose header is glued to other text), is not the
            // start of a token.
            if start > 0 && (is_base64url(bytes[start - 1]) || bytes[start - 1] == b'.') {
                search_from = start + 1;
                continue;
            }
            let scanned = scan(text, start);
            search_from = scanned.end.max(start + 1);
            return Some((start, scanned));
        }
        None
    })
}

/// A candidate before its position in the input is worked out.
struct Scanned {
    text: String,
    dots: usize,
    joins: usize,
    /// The byte after the last one consumed from the input.
    end: usize,
}

impl Scanned {
    fn is_complete(&self) -> bool {
        self.dots == 2 && !self.text.split('.').any(str::is_empty)
    }

    fn into_candidate(self, input: &str, start: usize) -> TokenCandidate {
        let before = &input[..start];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        TokenCandidate {
            parts: self.dots + 1,
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
            offset: before.chars().count() + 1,
            joined_line_breaks: self.joins,
            unquoted: false,
            text: self.text,
        }
    }
}

/// `text` with anything that looks like a token, or a piece of one, replaced
/// by `[token text hidden: N characters]`: every `eyJ…` run of 16 characters
/// or more (a JWT, or its `header.payload`) and every other run of 40 or more
/// base64url characters (a signature, or the part of a token that a line
/// break in an unquoted paste turned into an argument of its own).
///
/// For messages that quote what the user typed, such as usage errors: a token
/// pasted in the wrong place on the command line must not land in a terminal
/// or CI log. Nothing a usage error legitimately quotes (paths, host names,
/// GUIDs of 36 characters, flag values) is that long without a break.
pub fn hide_token_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for span in token_text_spans(text) {
        // Runs are ASCII, so their ends are character boundaries.
        out.push_str(&text[copied..span.start]);
        out.push_str(&format!("[token text hidden: {} characters]", span.len()));
        copied = span.end;
    }
    out.push_str(&text[copied..]);
    out
}

/// Where [`hide_token_text`] hides something: the byte ranges of every `eyJ…`
/// run of 16 characters or more and every other base64url run of 40 or more,
/// in order. For readers that must not look inside a token (`explain` takes
/// no code from a signature).
pub fn token_text_spans(text: &str) -> Vec<std::ops::Range<usize>> {
    const MIN_JWT_RUN: usize = 16;
    const MIN_PIECE_RUN: usize = 40;
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        if !is_base64url(bytes[at]) {
            at += 1;
            continue;
        }
        let jwt = bytes[at..].starts_with(b"eyJ") && (at == 0 || bytes[at - 1] != b'.');
        let run = bytes[at..]
            .iter()
            .take_while(|&&b| is_base64url(b) || (jwt && b == b'.'))
            .count();
        // A token glued to the text before it (`…/xeyJ…`) starts inside the run.
        if !jwt && run < MIN_PIECE_RUN {
            if let Some(glued) = text[at + 1..at + run].find("eyJ") {
                at += 1 + glued;
                continue;
            }
        }
        if run >= if jwt { MIN_JWT_RUN } else { MIN_PIECE_RUN } {
            spans.push(at..at + run);
        }
        at += run;
    }
    spans
}

/// `text` with its percent-escapes decoded (again, up to three times: a
/// token may be escaped twice in a URL), when it has any: a token
/// percent-encoded into a URL's host or path is screened as the token it is.
pub fn percent_decoded(text: &str) -> Option<String> {
    let mut decoded = text.to_string();
    for _ in 0..3 {
        let next = decode_percent_once(&decoded);
        if next == decoded {
            break;
        }
        decoded = next;
    }
    (decoded != text).then_some(decoded)
}

fn decode_percent_once(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let escaped = (bytes[at] == b'%')
            .then(|| bytes.get(at + 1..at + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                at += 3;
            }
            None => {
                out.push(bytes[at]);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The text to judge as a token when `text` holds one (see [`contains_jwt`]
/// and [`holds_token`]): `text` itself, or its percent-decoding when only
/// that holds one. Such a target is never resolved, fetched nor quoted.
pub fn token_text(text: &str) -> Option<std::borrow::Cow<'_, str>> {
    // `contains_jwt` first: it is the cheaper look, and true for any whole token.
    let holds = |t: &str| contains_jwt(t) || holds_token(t);
    if holds(text) {
        return Some(std::borrow::Cow::Borrowed(text));
    }
    percent_decoded(text)
        .filter(|decoded| holds(decoded))
        .map(std::borrow::Cow::Owned)
}

/// Whether `text` holds a JWT anywhere, even glued to other text or inside a
/// URL or host name: an `eyJ` run of 16 base64url characters or more (a JOSE
/// header), a dot, and a run of 16 or more (a payload). For values that must
/// never carry a token (a proxy, a URL to fetch, an audience): such a value is
/// refused before anything is printed, looked up or sent. Linear in the length
/// of `text`.
pub fn contains_jwt(text: &str) -> bool {
    const MIN_PART: usize = 16;
    let bytes = text.as_bytes();
    let run = |from: usize| {
        bytes[from..]
            .iter()
            .take_while(|&&b| is_base64url(b))
            .count()
    };
    let mut search_from = 0;
    while let Some(found) = text[search_from..].find("eyJ") {
        let start = search_from + found;
        let header = run(start);
        if header >= MIN_PART
            && bytes.get(start + header) == Some(&b'.')
            && run(start + header + 1) >= MIN_PART
        {
            return true;
        }
        search_from = start + header;
    }
    false
}

fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Characters that end a token: whitespace, and the quotes, brackets and
/// separators of JSON, URLs, headers, logs and prose around it. Anything else
/// (`+`, `/`, `!`, `…`, a replaced non-UTF-8 byte) is kept inside the token so that
/// the encoding check can name it as damage instead of cutting the token short.
fn ends_token(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(
            c,
            '"' | '\''
                | '`'
                | ','
                | ';'
                | '&'
                | '<'
                | '>'
                | '('
                | ')'
                | '['
                | ']'
                | '{'
                | '}'
                | '|'
                | '\\'
                | '\u{201C}'
                | '\u{201D}'
                | '\u{2018}'
                | '\u{2019}'
                | '\u{201E}'
                | '\u{201A}'
                | '\u{00AB}'
                | '\u{00BB}'
                | '\u{2039}'
                | '\u{203A}'
        )
}

/// The most [`scan`] reserves ahead for a candidate: more than any identity
/// token, far less than a paste of junk, whose candidates grow as they go.
const SCAN_ROOM: usize = 4096;

/// Consumes one candidate starting at `start` (which holds `eyJ`).
fn scan(text: &str, start: usize) -> Scanned {
    let bytes = text.as_bytes();
    // Room for a whole Exchange identity token (1-2 KB) at once: grown a piece
    // at a time, its copies were 6% of a batch of tokens' CPU.
    let mut out = String::with_capacity((bytes.len() - start).min(SCAN_ROOM));
    let mut part = PartTracker::default();
    let mut dots = 0;
    let mut joins = 0;
    let mut i = start;
    while i < bytes.len() {
        let b = bytes[i];
        if is_base64url(b) {
            let run = bytes[i..].iter().position(|&c| !is_base64url(c));
            let run_end = run.map_or(bytes.len(), |n| i + n);
            out.push_str(&text[i..run_end]);
            part.feed(&bytes[i..run_end]);
            i = run_end;
            continue;
        }
        if matches!(b, b' ' | b'\t' | b'\r' | b'\n') {
            match line_join(bytes, i) {
                Some(next) if should_join(&part, dots, bytes[next]) => {
                    joins += 1;
                    i = next;
                    continue;
                }
                _ => break,
            }
        }
        let Some(c) = text[i..].chars().next() else {
            break;
        };
        if ends_token(c) {
            break;
        }
        out.push(c);
        match c {
            '.' => {
                dots += 1;
                part = PartTracker::default();
            }
            // Padding ends a part; it does not change what the part decodes to.
            '=' => {}
            _ => part.damaged = true,
        }
        i += c.len_utf8();
    }
    // What trails the last base64url character is punctuation around the token
    // (a full stop, `!`, a `:`), or padding, which the decoder does not need.
    while let Some(last) = out.chars().next_back() {
        if last.is_ascii() && is_base64url(last as u8) {
            break;
        }
        if last == '.' {
            dots -= 1;
        }
        out.pop();
    }
    Scanned {
        text: out,
        dots,
        joins,
        end: i,
    }
}

/// When whitespace at `i` is one line break with optional spaces or tabs around it
/// (a wrapped paste), the index of the first character after it.
fn line_join(bytes: &[u8], i: usize) -> Option<usize> {
    let skip_blanks = |mut j: usize| {
        while j < bytes.len() && matches!(bytes[j], b' ' | b'\t') {
            j += 1;
        }
        j
    };
    let mut j = skip_blanks(i);
    match (bytes.get(j), bytes.get(j + 1)) {
        (Some(b'\r'), Some(b'\n')) => j += 2,
        (Some(b'\r' | b'\n'), _) => j += 1,
        _ => return None,
    }
    let j = skip_blanks(j);
    (j < bytes.len()).then_some(j)
}

/// Whether a line break after the current part (`dots` dots into the token) lies
/// inside the token rather than after it.
///
/// A header or payload continues until its JSON object is closed, unless the next
/// line starts with the dot before the next part; a signature continues until it
/// has the length of an RSA signature.
fn should_join(part: &PartTracker, dots: usize, next: u8) -> bool {
    let next_is_dot = next == b'.';
    if !is_base64url(next) && !next_is_dot {
        return false;
    }
    match dots {
        0 | 1 => next_is_dot || !part.json_closed(),
        2 => !next_is_dot && !part.has_signature_length(),
        _ => false,
    }
}

/// Follows one part as it is scanned: its base64url length, and the structure of
/// the JSON it decodes to, byte by byte (so a `}` inside a string, such as the
/// one ending the `appctx` string, does not close the object). Constant work per
/// character keeps scanning linear.
#[derive(Debug, Clone, Copy, Default)]
struct PartTracker {
    /// base64url characters seen.
    chars: usize,
    /// Up to three characters not yet decoded (base64 decodes four at a time).
    group: [u8; 4],
    json: JsonShape,
    /// A character outside base64url was seen: the part is damaged, keep joining.
    damaged: bool,
}

impl PartTracker {
    fn feed(&mut self, run: &[u8]) {
        for &c in run {
            self.group[self.chars % 4] = c;
            self.chars += 1;
            if self.chars.is_multiple_of(4) {
                let group = self.group;
                self.json.feed_group(&group);
            }
        }
    }

    /// Whether the part decodes to one complete JSON object, nothing after it.
    fn json_closed(&self) -> bool {
        let pending = self.chars % 4;
        if self.damaged || pending == 1 {
            return false;
        }
        let mut json = self.json;
        json.feed_group(&self.group[..pending]);
        json.closed && !json.trailing
    }

    /// Whether the part decodes to as many bytes as a 2048- to 4096-bit RSA signature
    /// (Exchange Server Auth Certificates have been 2048-bit since Exchange 2013).
    fn has_signature_length(&self) -> bool {
        let n = self.chars;
        if self.damaged || n % 4 == 1 {
            return false;
        }
        let decoded = n / 4 * 3 + (n % 4).saturating_sub(1);
        matches!(decoded, 256 | 384 | 512)
    }
}

/// The structural state of JSON text read so far.
#[derive(Debug, Clone, Copy, Default)]
struct JsonShape {
    depth: usize,
    in_string: bool,
    escaped: bool,
    /// The outermost object or array has been closed.
    closed: bool,
    /// Something other than whitespace follows the close.
    trailing: bool,
}

impl JsonShape {
    /// Decodes a group of two to four base64url characters and reads its bytes.
    fn feed_group(&mut self, group: &[u8]) {
        let bits = group
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &c)| acc | sextet(c) << (18 - 6 * i));
        let bytes = bits.to_be_bytes();
        for &b in &bytes[1..group.len().max(1)] {
            self.feed_byte(b);
        }
    }

    fn feed_byte(&mut self, b: u8) {
        if self.closed {
            self.trailing |= !b.is_ascii_whitespace();
        } else if self.in_string {
            match (self.escaped, b) {
                (true, _) => self.escaped = false,
                (false, b'\\') => self.escaped = true,
                (false, b'"') => self.in_string = false,
                _ => {}
            }
        } else {
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    self.closed = self.depth == 0;
                }
                _ => {}
            }
        }
    }
}

/// The six bits a base64url character stands for (only called on base64url bytes).
fn sextet(c: u8) -> u32 {
    u32::from(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' => 62,
        _ => 63,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_files_from_windows_powershell_are_read() {
        let token = "eyJhbGciOiJSUzI1NiJ9.eyJhIjoxfQ.c2ln";
        let text = format!("{token}\r\n");
        let mut le = vec![0xFF, 0xFE];
        le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let mut be = vec![0xFE, 0xFF];
        be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        let mut utf8_bom = b"\xEF\xBB\xBF".to_vec();
        utf8_bom.extend(text.as_bytes());
        for bytes in [le, be, utf8_bom] {
            let read = read_capped(bytes.as_slice()).expect("read");
            assert_eq!(extract_jwt(&read).as_deref(), Some(token));
        }
    }

    #[test]
    fn utf16_without_a_byte_order_mark_is_read() {
        let token = "eyJhbGciOiJSUzI1NiJ9.eyJhIjoxfQ.c2ln";
        let text = format!("{token}\r\n");
        let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        for bytes in [le, be] {
            assert_eq!(extract_jwt(&text_of(&bytes)).as_deref(), Some(token));
        }
        // UTF-8 with a stray zero byte, and binary junk, stay UTF-8.
        assert_eq!(text_of(b"abc\0def"), "abc\0def");
        assert_eq!(text_of(b"\0\0\0\0\0\0\0\0"), "\0\0\0\0\0\0\0\0");
    }

    #[test]
    fn a_token_quoted_in_an_email_is_unquoted() {
        let t = jwt();
        let (a, rest) = t.split_at(30);
        let (b, c) = rest.split_at(200);
        for quoted in [
            format!("> {a}\n> {b}\n> {c}\n"),
            format!("On Monday Ann wrote:\n>> {a}\r\n>> {b}\r\n>> {c}\r\n"),
            format!("> > {a}\n> > {b}\n> > {c}"),
        ] {
            let found = find_token(&quoted).expect("found");
            assert_eq!(found.text(), t, "{quoted:?}");
            assert!(found.unquoted());
        }
        // An ordinary paste is not marked.
        assert!(!find_token(&t).expect("found").unquoted());
    }

    #[test]
    fn invisible_characters_inside_words_are_removed_and_counted() {
        let t = jwt();
        let (a, rest) = t.split_at(10);
        let (b, c) = rest.split_at(200);
        let pasted = format!("{a}\u{200B}\u{00AD}{b}\u{00A0}{c}\u{FEFF}");
        let cleaned = clean_paste(&pasted);
        assert_eq!(cleaned.text, t);
        assert_eq!(cleaned.removed, 3);
        // Between words, a no-break space is a space, also before a token.
        let cleaned = clean_paste(&format!("Bearer\u{00A0}{t}"));
        assert_eq!(cleaned.text, format!("Bearer {t}"));
        assert_eq!(cleaned.removed, 0);
        // Nothing to clean: the text comes back as it was.
        assert_eq!(
            clean_paste(&t),
            Cleaned {
                text: t.clone(),
                removed: 0
            }
        );
    }

    #[test]
    fn every_complete_token_is_found_in_order() {
        let first = jwt();
        let second = jwt().replace("eyJhIjoxfQ", "eyJhIjoyfQ");
        let found = complete_tokens(&format!("a {first} b eyJhbGc.eyJh c\n{second}"));
        let texts: Vec<&str> = found.iter().map(TokenCandidate::text).collect();
        assert_eq!(texts, [first.as_str(), second.as_str()]);
        assert_eq!(found[1].line(), 2);
        let many = format!("{first} ").repeat(MAX_TOKENS + 5);
        assert_eq!(complete_tokens(&many).len(), MAX_TOKENS);
    }

    #[test]
    fn a_short_lone_eyj_word_is_a_token_not_a_host() {
        assert!(holds_token("eyJhbGciOi"));
        assert!(holds_token("  eyJ0eXAi\n"));
        assert!(!holds_token("eyJump.example.com"));
    }

    #[test]
    fn damaged_tokens_are_still_tokens_and_host_names_are_not() {
        let header = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9";
        for token in [
            format!("{header}.eyJhIjoxfQ.c2ln"),
            format!("{header}.eyJhIjoxfQ"),
            format!("{header}.eyJhIjoxfQ."),
            format!("Bearer {header}"),
        ] {
            assert!(holds_token(&token), "{token}");
        }
        for target in [
            "mail.contoso.com",
            "https://mail.contoso.com/autodiscover/metadata/json/1",
            "eyJump.example.com",
            "https://eyjafjallajokull.is/autodiscover/metadata/json/1",
        ] {
            assert!(!holds_token(target), "{target}");
        }
    }

    #[test]
    fn token_text_is_hidden_in_messages() {
        let token = "eyJhbGciOiJSUzI1NiJ9.eyJhIjoxfQ.c2lnbmF0dXJl";
        let message = format!("error: unexpected argument '{token}' found");
        assert_eq!(
            hide_token_text(&message),
            "error: unexpected argument '[token text hidden: 44 characters]' found"
        );
        let piece = "Xi1HxGuv6IBJEHmUtKIDUNKf1mPcEci7F3JU1h2xlO1B_ydxIyfuTsb2";
        assert_eq!(
            hide_token_text(&format!("'{piece}'")),
            "'[token text hidden: 56 characters]'"
        );
        for kept in [
            "cannot read /tmp/.tmp5QpDhE/lab-ca.pem: not found",
            "--resolve mail.contoso.com:443:10.0.0.1 is not HOST:PORT:ADDR",
            "msexchuid 53e925fa-76ba-45e1-be0f-4ef08b59d389@contoso.com",
            "no scenario `eyJ` (or eyJhbGci)",
            "ünïcödé · eyJ",
            "https://keyjam.contoso.com/autodiscover/metadata/json/1",
        ] {
            assert_eq!(hide_token_text(kept), kept);
        }
        // Glued to the text before it, the token is hidden from its `eyJ` on.
        assert_eq!(
            hide_token_text(&format!("https://mail.contoso.com/x{token}")),
            "https://mail.contoso.com/x[token text hidden: 44 characters]"
        );
    }

    #[test]
    fn a_percent_encoded_token_is_found_after_decoding() {
        let token = "eyJhbGciOiJSUzI1NiJ9.eyJhIjoxfQ.c2lnbmF0dXJl";
        let encoded: String = token.bytes().map(|b| format!("%{b:02X}")).collect();
        let twice = encoded.replace('%', "%25");
        for target in [
            format!("https://mail.contoso.com/{encoded}"),
            format!("https://mail.contoso.com/{twice}"),
            format!("https://{encoded}/"),
        ] {
            assert!(!contains_jwt(&target) && !holds_token(&target));
            let found = token_text(&target).expect("screened after decoding");
            assert!(found.contains(token), "{found}");
        }
        assert_eq!(percent_decoded("mail.contoso.com"), None);
        assert_eq!(percent_decoded("a%2"), None, "a broken escape stays");
        assert!(token_text("https://mail.contoso.com/a%20b").is_none());
    }
    use std::io::Write;

    /// header `{"alg":"RS256"}`, payload `{"a":1}`, a 256-byte signature.
    fn jwt() -> String {
        let sig = "A".repeat(342);
        format!("eyJhbGciOiJSUzI1NiJ9.eyJhIjoxfQ.{sig}")
    }

    #[test]
    fn positional_text_is_the_token_itself() {
        assert_eq!(read_input(Some("eyJx")).expect("text"), "eyJx");
        assert_eq!(read_input(Some("")).expect("empty text"), "");
    }

    #[test]
    fn at_path_reads_the_file_lossily() {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(b"\xc3\x28 eyJ\x80 token\n").expect("write");
        let arg = format!("@{}", file.path().display());
        let text = read_input(Some(&arg)).expect("readable");
        assert_eq!(text, "\u{FFFD}( eyJ\u{FFFD} token\n");
    }

    #[test]
    fn a_missing_file_names_its_path() {
        let err = read_input(Some("@/nonexistent/dir/token.jwt")).expect_err("missing");
        assert!(matches!(err, InputError::File { .. }));
        let message = err.to_string();
        assert!(message.contains("/nonexistent/dir/token.jwt"), "{message}");
        assert!(message.contains("no such file or folder"), "{message}");
    }

    #[test]
    fn a_directory_is_unreadable_and_named() {
        let dir = tempfile::tempdir().expect("temp dir");
        let arg = format!("@{}", dir.path().display());
        let message = read_input(Some(&arg)).expect_err("a directory").to_string();
        assert!(
            message.contains(&dir.path().display().to_string()),
            "{message}"
        );
    }

    #[test]
    fn a_bare_at_sign_is_a_usage_error() {
        let err = read_input(Some("@")).expect_err("no path");
        assert!(matches!(err, InputError::EmptyPath));
        assert!(err.to_string().contains("TOKEN, @PATH or -"));
    }

    #[test]
    fn the_terminal_message_says_what_to_pass() {
        assert_eq!(
            InputError::StdinIsTerminal.to_string(),
            "no token given and standard input is a terminal: pass TOKEN, @PATH or -"
        );
    }

    #[test]
    fn reading_stops_after_the_cap() {
        let endless = io::repeat(0);
        assert!(matches!(read_capped(endless), Err(CappedError::TooLarge)));
        let just_fits = io::repeat(b'a').take(MAX_INPUT_BYTES as u64);
        assert_eq!(read_capped(just_fits).expect("fits").len(), MAX_INPUT_BYTES);
        let message = InputError::TooLarge {
            source: "standard input".into(),
        }
        .to_string();
        assert!(message.contains("16 MiB"), "{message}");
    }

    #[test]
    fn a_failing_reader_is_an_io_error() {
        struct Broken;
        impl Read for Broken {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("device gone"))
            }
        }
        assert!(matches!(read_capped(Broken), Err(CappedError::Io(_))));
    }

    #[test]
    fn finds_a_bare_token() {
        assert_eq!(extract_jwt(&jwt()), Some(jwt()));
    }

    #[test]
    fn strips_whitespace_quotes_and_bearer() {
        let t = jwt();
        for pasted in [
            format!("  {t}\n"),
            format!("\"{t}\""),
            format!("'{t}'"),
            format!("Bearer {t}"),
            format!("Authorization: Bearer {t}\r\n"),
            format!("\u{201C}{t}\u{201D}"),
            format!("`{t}`"),
        ] {
            assert_eq!(
                extract_jwt(&pasted).as_deref(),
                Some(t.as_str()),
                "{pasted:?}"
            );
        }
    }

    #[test]
    fn joins_line_breaks_inside_the_token() {
        let t = jwt();
        let (a, b) = t.split_at(10); // inside the header
        let (b, c) = b.split_at(30); // inside the signature, before it is complete
        for pasted in [
            format!("{a}\n{b}\n{c}"),
            format!("{a}\r\n{b}\r\n{c}\r\n"),
            format!("{a} \r\n   {b}\t\n\t{c}"),
        ] {
            let found = find_token(&pasted).expect("found");
            assert_eq!(found.text(), t, "{pasted:?}");
            assert_eq!(found.joined_line_breaks(), 2);
        }
        // Breaks right before and right after a dot.
        let (head, rest) = t.split_once('.').expect("dot");
        assert_eq!(extract_jwt(&format!("{head}\n.{rest}")), Some(t.clone()));
        assert_eq!(extract_jwt(&format!("{head}.\n{rest}")), Some(t.clone()));
    }

    #[test]
    fn does_not_glue_the_next_line_to_a_complete_token() {
        let t = jwt();
        let pasted = format!("Authorization: Bearer {t}\r\nContent-Type: application/json\r\n");
        assert_eq!(extract_jwt(&pasted), Some(t));
        // A header-and-payload token followed by a log line stays two parts.
        let two = "eyJhbGciOiJSUzI1NiJ9.eyJhIjoxfQ\nINFO next line";
        let found = find_token(two).expect("found");
        assert_eq!(found.text(), "eyJhbGciOiJSUzI1NiJ9.eyJhIjoxfQ");
        assert_eq!(found.parts(), 2);
    }

    #[test]
    fn does_not_join_across_a_blank_line() {
        let t = jwt();
        let (a, b) = t.split_at(10);
        let found = find_token(&format!("{a}\n\n{b}")).expect("found");
        assert_eq!(found.text(), a);
    }

    #[test]
    fn finds_a_token_in_json_and_query_strings_and_logs() {
        let t = jwt();
        for pasted in [
            format!("{{\"token\":\"{t}\",\"phoneNumbers\":[]}}"),
            format!("{{\"appctx\":\"{{\\\"token\\\":\\\"{t}\\\"}}\"}}"),
            format!("GET /api?x=1&idToken={t}&x=1 HTTP/1.1"),
            format!("2024-05-01 10:00:00 INFO token={t}, user=jdoe"),
            format!("the token is {t}."),
            format!("is this right: {t}?"),
            format!("<td>{t}</td>"),
        ] {
            assert_eq!(
                extract_jwt(&pasted).as_deref(),
                Some(t.as_str()),
                "{pasted:?}"
            );
        }
    }

    #[test]
    fn padding_is_kept_inside_and_dropped_at_the_end() {
        let padded = format!("eyJhbGciOiJSUzI1NiJ9.eyJhIjoxfQ==.{}", "A".repeat(342));
        assert_eq!(extract_jwt(&format!("x={padded}==&y=1")), Some(padded));
    }

    #[test]
    fn the_first_complete_token_wins_over_an_earlier_fragment() {
        let t = jwt();
        let pasted = format!(
            "header only: eyJhbGciOiJSUzI1NiJ9 then cut: eyJhbGciOiJSUzI1NiJ9.eyJhIjoxfQ then {t}"
        );
        assert_eq!(extract_jwt(&pasted), Some(t));
        let first = format!(
            "{} and {}",
            jwt(),
            jwt().replace("eyJhIjoxfQ", "eyJhIjoyfQ")
        );
        assert_eq!(extract_jwt(&first), Some(jwt()));
    }

    #[test]
    fn an_incomplete_token_is_found_but_not_extracted() {
        let two = "see eyJhbGciOiJSUzI1NiJ9.eyJhIjoxfQ now";
        assert_eq!(extract_jwt(two), None);
        let found = find_token(two).expect("a candidate");
        assert_eq!(found.parts(), 2);
        assert_eq!((found.line(), found.column(), found.offset()), (1, 5, 5));
        // A dotted fragment is preferred to an earlier lone run.
        let found = find_token("eyJabc and eyJhbGc.eyJhIjoxfQ").expect("a candidate");
        assert_eq!(found.parts(), 2);
        let four = find_token("eyJa.eyJb.c.d").expect("a candidate");
        assert_eq!(four.parts(), 4);
        assert!(!four.is_complete());
    }

    #[test]
    fn eyj_inside_a_longer_base64_run_is_not_a_start() {
        assert!(find_token("AAAAeyJhbGciOiJSUzI1NiJ9.eyJhIjoxfQ.sig").is_none());
        assert!(find_token("junk.eyJhIjoxfQ.sig").is_none());
    }

    #[test]
    fn stray_characters_inside_stay_inside_for_the_diagnosis() {
        let found = find_token("eyJhbG+ciOi.eyJh\u{FFFD}IjoxfQ.sig!").expect("found");
        assert_eq!(found.text(), "eyJhbG+ciOi.eyJh\u{FFFD}IjoxfQ.sig");
        assert_eq!(found.parts(), 3);
    }

    #[test]
    fn positions_count_lines_and_characters() {
        let t = jwt();
        let found = find_token(&format!("first line\n\u{e9}t\u{e9}: {t}")).expect("found");
        assert_eq!((found.line(), found.column(), found.offset()), (2, 6, 17));
        assert!(!format!("{found:?}").contains("eyJ"));
    }

    #[test]
    fn nothing_found_in_plain_text() {
        assert!(find_token("").is_none());
        assert!(find_token("no token here, just Bearer and https://x/").is_none());
    }

    #[test]
    fn megabytes_of_junk_around_a_token_and_adversarial_shapes() {
        // No timing here (benchmarks measure time); a quadratic scan of these
        // megabytes would not finish within CI's budget.
        let t = jwt();
        let junk = "x".repeat(2 * 1024 * 1024);
        let pasted = format!("{junk} {t} {junk}");
        assert_eq!(extract_jwt(&pasted), Some(t));
        // Adversarial shapes: many starts, many dots, many joins.
        for unit in [
            "eyJ ",
            "eyJ.",
            "eyJa\n",
            "eyJa.\n\n",
            "eyJ\u{FFFD}",
            "a.eyJ=.=",
            "(eyJ=.=",
        ] {
            let pasted = unit.repeat(2 * 1024 * 1024 / unit.len());
            assert!(extract_jwt(&pasted).is_none(), "{unit:?}");
        }
    }
}
