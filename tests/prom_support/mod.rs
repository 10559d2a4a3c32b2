//! Scaffolding for the monitoring tests: `promtool check metrics`, a reader of
//! the text exposition format, `serve` started as a child process on
//! 127.0.0.1, and a plain HTTP/1.1 client for it.
//!
//! promtool and prometheus come from Debian's `prometheus` package, which
//! `scripts/prometheus-check.sh` (run by .ci/run) installs. When they are
//! missing, the tests fail and say so: a monitoring test that passes without
//! checking anything would be worse than none.

// Each test file uses its own part of this module.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// How to get the Prometheus tools, for the message of a test that needs them.
pub const INSTALL_HINT: &str = "install Debian's prometheus package (`apt-get install prometheus`), or run `bash scripts/prometheus-check.sh`, which .ci/run does before the tests";

/// `program`, or a failure naming what to install.
pub fn tool(program: &str) -> String {
    let found = std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()));
    assert!(found, "{program} is not on PATH: {INSTALL_HINT}");
    program.to_string()
}

/// Asserts that `promtool check metrics` accepts `text` without a complaint.
pub fn promtool_check_metrics(text: &str) {
    let mut child = Command::new(tool("promtool"))
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write to promtool");
    let output = child.wait_with_output().expect("promtool runs");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success() && said.trim().is_empty(),
        "promtool check metrics refuses the exposition ({}):\n{said}\n--- exposition ---\n{text}",
        output.status
    );
}

/// One sample of an exposition.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The metric name.
    pub name: String,
    /// The labels, unescaped.
    pub labels: BTreeMap<String, String>,
    /// The value.
    pub value: f64,
}

impl Sample {
    /// The value of label `name` (empty when absent).
    pub fn label(&self, name: &str) -> &str {
        self.labels.get(name).map_or("", String::as_str)
    }
}

/// Reads the samples of an exposition (comments skipped), unescaping label
/// values as the format defines; panics on a line it cannot read.
pub fn samples(text: &str) -> Vec<Sample> {
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|line| parse_sample(line).unwrap_or_else(|| panic!("not a sample line: {line}")))
        .collect()
}

fn parse_sample(line: &str) -> Option<Sample> {
    let name_end = line.find(['{', ' '])?;
    let name = line[..name_end].to_string();
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(mut inner) = rest.strip_prefix('{') {
        loop {
            inner = inner.trim_start_matches(',');
            if let Some(after) = inner.strip_prefix('}') {
                rest = after;
                break;
            }
            let (key, quoted) = inner.split_once("=\"")?;
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let end = loop {
                let (i, c) = chars.next()?;
                match c {
                    '"' => break i + 1,
                    '\\' => {
                        let (_, escaped) = chars.next()?;
                        value.push(if escaped == 'n' { '\n' } else { escaped });
                    }
                    c => value.push(c),
                }
            };
            labels.insert(key.to_string(), value);
            inner = &quoted[end..];
        }
    }
    let value = rest.trim().split(' ').next()?.parse().ok()?;
    Some(Sample {
        name,
        labels,
        value,
    })
}

/// The samples named `name`.
pub fn named<'a>(all: &'a [Sample], name: &str) -> Vec<&'a Sample> {
    all.iter().filter(|s| s.name == name).collect()
}

/// The only sample named `name` whose labels include every pair of `labels`.
pub fn one<'a>(all: &'a [Sample], name: &str, labels: &[(&str, &str)]) -> &'a Sample {
    let found: Vec<&Sample> = all
        .iter()
        .filter(|s| s.name == name && labels.iter().all(|(k, v)| s.label(k) == *v))
        .collect();
    assert_eq!(found.len(), 1, "one {name} with {labels:?}: {found:#?}");
    found[0]
}

/// The samples of a target's report without its duration (the one value two
/// runs of the same probe need not share), as comparable lines.
pub fn without_duration(all: &[Sample]) -> Vec<String> {
    let mut lines: Vec<String> = all
        .iter()
        .filter(|s| s.name != "idtoken_doctor_duration_seconds")
        .map(|s| format!("{} {:?} {}", s.name, s.labels, s.value))
        .collect();
    lines.sort();
    lines
}

// ---------------------------------------------------------------------------
// serve
// ---------------------------------------------------------------------------

/// `idtoken-doctor serve` running as a child process, on 127.0.0.1 at a port
/// the system chose. Stopped (SIGTERM, then killed) when dropped.
pub struct Serve {
    child: Child,
    /// The address it listens on.
    pub addr: SocketAddr,
    stderr: mpsc::Receiver<String>,
}

impl Serve {
    /// Starts `serve --listen 127.0.0.1:0` with `args` and waits for it to listen.
    pub fn start(args: &[String]) -> Serve {
        let mut child = Command::new(env!("CARGO_BIN_EXE_idtoken-doctor"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .env_remove("IDTOKEN_DOCTOR_TIMEOUT")
            .env_remove("IDTOKEN_DOCTOR_DNS_SERVER")
            .env_remove("HTTPS_PROXY")
            .env_remove("https_proxy")
            .env_remove("ALL_PROXY")
            .env_remove("all_proxy")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve starts");
        let stderr = child.stderr.take().expect("stderr");
        let (lines, received) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let first = received
            .recv_timeout(Duration::from_secs(30))
            .expect("serve says where it listens");
        let addr = first
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no address in `{first}`"));
        Serve {
            child,
            addr,
            stderr: received,
        }
    }

    /// `GET path` (with its query), as a scraper sends it.
    pub fn get(&self, path: &str) -> HttpAnswer {
        get(self.addr, path)
    }

    /// Sends `request` as is and reads the answer.
    pub fn raw(&self, request: &[u8]) -> HttpAnswer {
        exchange(self.addr, request)
    }

    /// Sends SIGTERM and waits (up to `within`) for the exit status.
    #[cfg(unix)]
    pub fn terminate(&mut self, within: Duration) -> Option<i32> {
        // SAFETY: kill(2) on our own child's pid; no memory is involved.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
        let until = std::time::Instant::now() + within;
        while std::time::Instant::now() < until {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// What serve wrote on standard error so far (after the first line).
    pub fn stderr_lines(&self) -> Vec<String> {
        self.stderr.try_iter().collect()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            #[cfg(unix)]
            if self.terminate(Duration::from_secs(20)).is_some() {
                return;
            }
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// An HTTP answer: status, headers (lower-cased names) and body.
#[derive(Debug, Clone)]
pub struct HttpAnswer {
    /// The status code.
    pub status: u16,
    /// The headers, names lower-cased.
    pub headers: BTreeMap<String, String>,
    /// The body, as text.
    pub body: String,
}

impl HttpAnswer {
    /// The header `name` (lower case), or "".
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }
}

/// `GET path` (with its query) from `addr`, as a scraper sends it.
pub fn get(addr: SocketAddr, path: &str) -> HttpAnswer {
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/plain\r\n\r\n");
    exchange(addr, request.as_bytes())
}

/// Sends `request` to `addr` and reads the whole answer (serve closes the
/// connection after it).
pub fn exchange(addr: SocketAddr, request: &[u8]) -> HttpAnswer {
    let mut stream = TcpStream::connect(addr).expect("connect to serve");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout");
    // A refused request may be answered before all of it is sent.
    let _ = stream.write_all(request);
    let mut bytes = Vec::new();
    let _ = stream.read_to_end(&mut bytes);
    let text = String::from_utf8(bytes).expect("the answer is UTF-8");
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP head in {text:?}"));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {head:?}"));
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    HttpAnswer {
        status,
        headers,
        body: body.to_string(),
    }
}

/// `/probe?target=…` with the target URL-encoded.
pub fn probe_path(target: &str) -> String {
    let mut encoded = String::new();
    for byte in target.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("/probe?target={encoded}")
}
