//! The little HTTP/1.1 `serve` speaks: one bounded GET per connection, one
//! answer, then the connection is closed.
//!
//! Every limit is ours: the request head (request line and headers) is read
//! within [`HEAD_TIMEOUT`] and [`MAX_HEAD_BYTES`], with at most
//! [`MAX_HEADERS`] headers, and parsed by `httparse` (the parser ureq already
//! uses); a request with a body is refused. A scraper needs nothing more.
//!
//! Every bound is on the total time of a phase, never on one read or write: a
//! client dripping a byte at a time gains nothing by it. A connection lasts at
//! most [`HEAD_TIMEOUT`], then the probe's own budget, then [`WRITE_TIMEOUT`]
//! and [`LINGER`].

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// The longest request head read (request line and headers), in bytes.
pub(super) const MAX_HEAD_BYTES: usize = 8 * 1024;
/// The most headers a request may carry.
pub(super) const MAX_HEADERS: usize = 32;
/// How long a client may take to send its request head.
pub(super) const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
/// How long writing an answer may take, in all.
pub(super) const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long in all, and how much, a closing connection is read for what the
/// client still sends.
pub(super) const LINGER: Duration = Duration::from_millis(200);
const LINGER_BYTES: u64 = 64 * 1024;

/// The parts of a request `serve` looks at.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Request {
    /// The method, as sent.
    pub method: String,
    /// The path of the request target, before any `?`.
    pub path: String,
    /// The query string, after the `?` (empty when none).
    pub query: String,
    /// Prometheus's `X-Prometheus-Scrape-Timeout-Seconds`, when sent and sensible.
    pub scrape_timeout: Option<f64>,
}

/// An answer: status, media type, body and any extra headers.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Answer {
    /// The HTTP status code.
    pub status: u16,
    /// The `Content-Type`.
    pub content_type: &'static str,
    /// The body.
    pub body: String,
    /// Extra headers (`Allow`, `Retry-After`).
    pub headers: Vec<(&'static str, String)>,
}

impl Answer {
    /// A plain-text answer (errors, explanations).
    pub fn text(status: u16, body: impl Into<String>) -> Self {
        let mut body = body.into();
        if !body.ends_with('\n') {
            body.push('\n');
        }
        Answer {
            status,
            content_type: "text/plain; charset=utf-8",
            body,
            headers: Vec::new(),
        }
    }

    /// An answer of another media type.
    pub fn typed(status: u16, content_type: &'static str, body: String) -> Self {
        Answer {
            status,
            content_type,
            body,
            headers: Vec::new(),
        }
    }

    /// The answer with one more header.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The bytes on the wire, `Connection: close` included.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut head = format!(
            "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n",
            self.status,
            reason(self.status),
            self.content_type,
            self.body.len()
        );
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(self.body.as_bytes());
        bytes
    }
}

/// Reads and parses one request head from `stream` before `deadline`.
/// `Ok(None)`: the client went away before sending a whole head (nobody to
/// answer); `Err`: the answer that refuses the request.
pub(super) fn read_request(
    stream: &mut TcpStream,
    deadline: Instant,
) -> Result<Option<Request>, Answer> {
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(Answer::text(408, "the request head did not arrive in time"));
        }
        if stream.set_read_timeout(Some(remaining)).is_err() {
            return Ok(None);
        }
        let room = (MAX_HEAD_BYTES + 1 - head.len()).min(chunk.len());
        let read = match stream.read(&mut chunk[..room]) {
            Ok(0) => return Ok(None),
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(Answer::text(408, "the request head did not arrive in time"));
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Ok(None),
        };
        head.extend_from_slice(&chunk[..read]);
        if let Some(request) = parse_head(&head)? {
            return Ok(Some(request));
        }
    }
}

/// Parses a request head: `Ok(None)` while it is incomplete (and within
/// [`MAX_HEAD_BYTES`]).
pub(super) fn parse_head(bytes: &[u8]) -> Result<Option<Request>, Answer> {
    let too_large = || {
        Answer::text(
            431,
            format!(
                "the request head is larger than {MAX_HEAD_BYTES} bytes or has more than {MAX_HEADERS} headers"
            ),
        )
    };
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut headers);
    match parsed.parse(bytes) {
        Ok(httparse::Status::Partial) if bytes.len() > MAX_HEAD_BYTES => Err(too_large()),
        Ok(httparse::Status::Partial) => Ok(None),
        Err(httparse::Error::TooManyHeaders) => Err(too_large()),
        Err(_) => Err(Answer::text(400, "not an HTTP/1.1 request")),
        Ok(httparse::Status::Complete(_)) => {
            let has_body = parsed.headers.iter().any(|h| {
                h.name.eq_ignore_ascii_case("transfer-encoding")
                    || (h.name.eq_ignore_ascii_case("content-length")
                        && h.value
                            .iter()
                            .any(|b| *b != b'0' && !b.is_ascii_whitespace()))
            });
            if has_body {
                return Err(Answer::text(413, "requests to this exporter carry no body"));
            }
            let target = parsed.path.unwrap_or_default();
            let (path, query) = target.split_once('?').unwrap_or((target, ""));
            let scrape_timeout = parsed
                .headers
                .iter()
                .find(|h| {
                    h.name
                        .eq_ignore_ascii_case("x-prometheus-scrape-timeout-seconds")
                })
                .and_then(|h| std::str::from_utf8(h.value).ok())
                .and_then(|v| v.trim().parse::<f64>().ok())
                .filter(|v| v.is_finite() && *v > 0.0);
            Ok(Some(Request {
                method: parsed.method.unwrap_or_default().to_string(),
                path: path.to_string(),
                query: query.to_string(),
                scrape_timeout,
            }))
        }
    }
}

/// Writes `answer` and closes the connection, within [`WRITE_TIMEOUT`] and
/// [`LINGER`] in all; errors are the client's loss.
pub(super) fn send(stream: &mut TcpStream, answer: &Answer) {
    let deadline = Instant::now() + WRITE_TIMEOUT;
    let bytes = answer.to_bytes();
    let mut sent = 0;
    while sent < bytes.len() {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() || stream.set_write_timeout(Some(remaining)).is_err() {
            return;
        }
        match stream.write(&bytes[sent..]) {
            Ok(0) => return,
            Ok(n) => sent += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
    let _ = stream.shutdown(std::net::Shutdown::Write);
    // Closing with unread bytes (the rest of an oversized head) would reset
    // the connection and could destroy the answer before the client reads
    // it: read a little of what is left first, for a bounded time in all.
    let until = Instant::now() + LINGER;
    let mut chunk = [0u8; 4096];
    let mut read = 0u64;
    while read < LINGER_BYTES {
        let remaining = until.saturating_duration_since(Instant::now());
        if remaining.is_zero() || stream.set_read_timeout(Some(remaining)).is_err() {
            return;
        }
        match stream.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => read += n as u64,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

/// Answers `answer` on the accept thread without waiting for the client:
/// what the socket takes at once is sent, what the client already sent is
/// read (so that closing does not reset the answer away), and nothing more.
pub(super) fn refuse(stream: &mut TcpStream, answer: &Answer) {
    if stream.set_nonblocking(true).is_err() {
        return;
    }
    // A bounded read: a client that keeps sending does not keep the thread.
    let mut chunk = [0u8; 4096];
    for _ in 0..MAX_HEAD_BYTES / chunk.len() + 1 {
        if !matches!(stream.read(&mut chunk), Ok(n) if n > 0) {
            break;
        }
    }
    let _ = stream.write(&answer.to_bytes());
    let _ = stream.shutdown(std::net::Shutdown::Write);
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        413 => "Content Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scrape_is_parsed() {
        let head = b"GET /probe?target=mail.contoso.com HTTP/1.1\r\nHost: x\r\nX-Prometheus-Scrape-Timeout-Seconds: 9.5\r\n\r\n";
        let request = parse_head(head).expect("valid").expect("complete");
        assert_eq!(request.method, "GET");
        assert_eq!(request.path, "/probe");
        assert_eq!(request.query, "target=mail.contoso.com");
        assert_eq!(request.scrape_timeout, Some(9.5));
    }

    #[test]
    fn an_incomplete_head_waits_and_an_oversized_one_is_431() {
        assert_eq!(parse_head(b"GET / HTTP/1.1\r\nHost: x\r\n"), Ok(None));
        let mut huge = b"GET / HTTP/1.1\r\nX-Big: ".to_vec();
        huge.extend(std::iter::repeat_n(b'a', MAX_HEAD_BYTES));
        assert_eq!(parse_head(&huge).map_err(|a| a.status), Err(431));
        let mut many = b"GET / HTTP/1.1\r\n".to_vec();
        for i in 0..=MAX_HEADERS {
            many.extend(format!("X-{i}: 1\r\n").bytes());
        }
        many.extend(b"\r\n");
        assert_eq!(parse_head(&many).map_err(|a| a.status), Err(431));
    }

    #[test]
    fn garbage_is_400_and_a_body_is_413() {
        assert_eq!(
            parse_head(b"\x16\x03\x01\x02\x00\r\n\r\n").map_err(|a| a.status),
            Err(400)
        );
        let with_body = b"GET /probe HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello";
        assert_eq!(parse_head(with_body).map_err(|a| a.status), Err(413));
        let chunked = b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
        assert_eq!(parse_head(chunked).map_err(|a| a.status), Err(413));
        let empty_body = b"GET / HTTP/1.1\r\nContent-Length: 0\r\n\r\n";
        assert!(matches!(parse_head(empty_body), Ok(Some(_))));
    }

    #[test]
    fn a_nonsense_scrape_timeout_is_ignored() {
        for value in ["-1", "NaN", "inf", "soon", "0"] {
            let head =
                format!("GET / HTTP/1.1\r\nX-Prometheus-Scrape-Timeout-Seconds: {value}\r\n\r\n");
            let request = parse_head(head.as_bytes())
                .expect("valid")
                .expect("complete");
            assert_eq!(request.scrape_timeout, None, "{value}");
        }
    }

    #[test]
    fn answers_close_the_connection_and_state_their_length() {
        let bytes = Answer::text(429, "busy")
            .with_header("Retry-After", "1")
            .to_bytes();
        let text = String::from_utf8(bytes).expect("utf-8");
        assert!(
            text.starts_with("HTTP/1.1 429 Too Many Requests\r\n"),
            "{text}"
        );
        assert!(text.contains("\r\nContent-Length: 5\r\n"));
        assert!(text.contains("\r\nConnection: close\r\n"));
        assert!(text.contains("\r\nRetry-After: 1\r\n"));
        assert!(text.ends_with("\r\n\r\nbusy\n"));
    }
}
