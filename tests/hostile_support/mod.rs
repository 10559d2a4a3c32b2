//! Shared by `hostile_servers`, `secrets` and `private_reach`: runs the real
//! binary and measures it, and sets up a lab (CA file, DNS, HTTPS server,
//! signed token) on 127.0.0.1.
//!
//! Peak memory is the child's own `VmHWM` (the high-water mark of its
//! resident memory, from `/proc/PID/status`) read at the last moment it
//! exists: the child is traced (`PTRACE_TRACEME` before `exec`, then
//! `PTRACE_O_TRACEEXIT`), so the kernel stops it on its way out, before its
//! memory is released, and the test reads the figure there.
//!
//! Why not `ru_maxrss`: not from `getrusage(RUSAGE_CHILDREN)`, the maximum
//! over every child the test process ever reaped (parallel cases would blame
//! each other), and not even from `wait4(pid)` for one child: Linux folds the
//! high-water mark of the memory image replaced by `exec` into it, and that
//! image is the test process's (a `vfork`ed or `fork`ed copy of it: 50 MiB
//! and more once a case has built a large document, 150 MiB was seen), so a
//! case would read as the test harness's size. Why not sampling `VmHWM` while the child runs: it misses
//! whatever happens after the last sample, and a zombie has no `VmHWM`. The
//! binary starts no processes of its own, so the figure is the tool's alone.

#![allow(dead_code)] // Each test binary uses part of this module.

#[path = "../spawn_support/mod.rs"]
pub mod spawn_support;

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use idtoken_doctor::lab::authcert::AuthCert;
use idtoken_doctor::lab::dns::{DnsServer, Zone};
use idtoken_doctor::lab::https::{HttpsServer, Mode, Route};
use idtoken_doctor::lab::mint::TokenMint;
use idtoken_doctor::lab::pki::{Pki, ServerIdentity};
use serde_json::Value;
use tempfile::TempDir;
use time::OffsetDateTime;

/// The Exchange host the lab's tokens name (`.test` is an ordinary public-looking name).
pub const HOST: &str = "mail.contoso.test";

/// The metadata path of every amurl.
pub const METADATA_PATH: &str = "/autodiscover/metadata/json/1";

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_idtoken-doctor");

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    /// The exit code (`None` when a signal ended it, or it had to be killed).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// From spawn to exit.
    pub wall: Duration,
    /// The child's peak resident memory, KiB (`VmHWM` at its exit stop;
    /// `u64::MAX` when unknown: killed, or not on Linux).
    pub peak_rss_kib: u64,
    /// Whether the watchdog had to kill it.
    pub killed: bool,
}

impl Run {
    /// Peak resident memory in MiB, for messages.
    pub fn peak_rss_mib(&self) -> f64 {
        self.peak_rss_kib as f64 / 1024.0
    }

    /// Standard output parsed as the JSON report.
    pub fn report(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not one JSON report ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// One line with the figures, printed by every measured test (`--nocapture` shows them).
    pub fn figures(&self, case: &str) -> String {
        format!(
            "[figures] {case}: exit {:?}, wall {} ms, peak RSS {:.1} MiB",
            self.code,
            self.wall.as_millis(),
            self.peak_rss_mib()
        )
    }
}

/// Runs the binary with `args`, feeding `stdin` (or nothing), killing it
/// after `kill_after` (a safety net: the assertions use tighter bounds).
///
/// The environment is cleaned of what could change the run: the tool's own
/// variables, proxies, colour.
pub fn run(args: &[String], stdin: Option<&str>, kill_after: Duration) -> Run {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for name in [
        "IDTOKEN_DOCTOR_TIMEOUT",
        "IDTOKEN_DOCTOR_DNS_SERVER",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        command.env_remove(name);
    }
    #[cfg(target_os = "linux")]
    trace_me(&mut command);
    let started = Instant::now();
    let mut child =
        spawn_support::retrying_wine_start(|| command.spawn()).expect("spawn idtoken-doctor");
    let feeder = match (child.stdin.take(), stdin) {
        (Some(mut pipe), Some(text)) => {
            let text = text.to_string();
            Some(thread::spawn(move || {
                // The tool may exit without reading everything; that is its right.
                let _ = pipe.write_all(text.as_bytes());
            }))
        }
        _ => None,
    };
    let stdout = drain(child.stdout.take().expect("stdout piped"));
    let stderr = drain(child.stderr.take().expect("stderr piped"));
    let end = finish(&mut child, started, kill_after);
    let wall = started.elapsed();
    // The child is reaped; std's `Child` never waits when dropped.
    drop(child);
    if let Some(feeder) = feeder {
        let _ = feeder.join();
    }
    Run {
        code: end.code,
        stdout: stdout.join().expect("stdout reader"),
        stderr: stderr.join().expect("stderr reader"),
        wall,
        peak_rss_kib: end.peak_rss_kib,
        killed: end.killed,
    }
}

/// How a child ended.
struct End {
    code: Option<i32>,
    killed: bool,
    /// `u64::MAX` when unknown.
    peak_rss_kib: u64,
}

/// Makes the child stop at its exec and on its way out, for [`finish`] to
/// read its peak memory there.
#[cfg(target_os = "linux")]
fn trace_me(command: &mut Command) {
    use std::os::unix::process::CommandExt as _;

    // SAFETY: ptrace(PTRACE_TRACEME) is a single system call, safe between
    // fork and exec; it makes the child stop at its exec and on its way out.
    unsafe {
        command.pre_exec(|| {
            let null = std::ptr::null_mut::<libc::c_void>();
            if libc::ptrace(libc::PTRACE_TRACEME, 0, null, null) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Waits for the traced child, reading its peak memory at the exit stop.
#[cfg(target_os = "linux")]
fn finish(child: &mut std::process::Child, started: Instant, kill_after: Duration) -> End {
    let pid = libc::pid_t::try_from(child.id()).expect("pid fits pid_t");
    let mut tracer = Tracer {
        pid,
        started,
        kill_after,
        killed: false,
        options_set: false,
        peak_at_exit_kib: None,
    };
    let status = tracer.follow();
    if !tracer.killed {
        assert!(
            tracer.peak_at_exit_kib.is_some(),
            "the child exited without the exit stop: its peak memory is unknown"
        );
    }
    End {
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        killed: tracer.killed,
        peak_rss_kib: tracer.peak_at_exit_kib.unwrap_or(u64::MAX),
    }
}

/// Waits for the child, killing it when late. Peak memory is measured on
/// Linux only (ptrace and `/proc`): elsewhere it is unknown, and the tests
/// that bound it (`hostile_servers`) are Linux-only.
#[cfg(not(target_os = "linux"))]
fn finish(child: &mut std::process::Child, started: Instant, kill_after: Duration) -> End {
    let mut killed = false;
    loop {
        if let Some(status) = child.try_wait().expect("wait for the child") {
            return End {
                code: status.code().filter(|_| !killed),
                killed,
                peak_rss_kib: u64::MAX,
            };
        }
        if started.elapsed() > kill_after && !killed {
            let _ = child.kill();
            killed = true;
        }
        thread::sleep(Duration::from_millis(1));
    }
}

/// Follows a child that called `PTRACE_TRACEME`: lets it run, forwards its
/// signals, reads its peak memory at the exit stop, kills it when late.
#[cfg(target_os = "linux")]
struct Tracer {
    pid: libc::pid_t,
    started: Instant,
    kill_after: Duration,
    killed: bool,
    options_set: bool,
    peak_at_exit_kib: Option<u64>,
}

#[cfg(target_os = "linux")]
impl Tracer {
    /// Returns the wait status of the child's end.
    fn follow(&mut self) -> libc::c_int {
        let null = std::ptr::null_mut::<libc::c_void>();
        loop {
            let mut status: libc::c_int = 0;
            // SAFETY: `pid` is our own unreaped child; the pointer is valid.
            let changed = unsafe { libc::waitpid(self.pid, &mut status, libc::WNOHANG) };
            assert!(
                changed >= 0,
                "waitpid failed: {}",
                std::io::Error::last_os_error()
            );
            if changed == 0 {
                if self.started.elapsed() > self.kill_after && !self.killed {
                    // SAFETY: not reaped yet, so the pid is still our child's.
                    unsafe { libc::kill(self.pid, libc::SIGKILL) };
                    self.killed = true;
                }
                thread::sleep(Duration::from_millis(1));
                continue;
            }
            if libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
                return status;
            }
            if !libc::WIFSTOPPED(status) {
                continue;
            }
            let signal = libc::WSTOPSIG(status);
            let event = status >> 16;
            let mut forward = 0;
            if !self.options_set && signal == libc::SIGTRAP {
                // The stop after exec: from now on, stop on the way out too,
                // and die with the test process.
                let options = libc::PTRACE_O_TRACEEXIT | libc::PTRACE_O_EXITKILL;
                // SAFETY: the child is in a ptrace stop.
                let set = unsafe {
                    libc::ptrace(
                        libc::PTRACE_SETOPTIONS,
                        self.pid,
                        null,
                        options as usize as *mut libc::c_void,
                    )
                };
                assert_eq!(
                    set,
                    0,
                    "PTRACE_SETOPTIONS: {}",
                    std::io::Error::last_os_error()
                );
                self.options_set = true;
            } else if signal == libc::SIGTRAP && event == libc::PTRACE_EVENT_EXIT {
                self.peak_at_exit_kib = Some(vm_hwm_kib(self.pid));
            } else if signal != libc::SIGTRAP {
                forward = signal;
            }
            // SAFETY: the child is in a ptrace stop; `forward` is a signal number or 0.
            unsafe {
                libc::ptrace(
                    libc::PTRACE_CONT,
                    self.pid,
                    null,
                    forward as usize as *mut libc::c_void,
                )
            };
        }
    }
}

/// `VmHWM` of process `pid`, KiB.
#[cfg(target_os = "linux")]
fn vm_hwm_kib(pid: libc::pid_t) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmHWM in /proc/{pid}/status:\n{status}"))
}

fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// `args` as owned strings.
pub fn args<I, S>(items: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    items.into_iter().map(|s| s.as_ref().to_string()).collect()
}

/// The certificate that signs every lab token (RSA key generation is slow:
/// made once per test binary).
pub fn auth_cert() -> &'static AuthCert {
    static CERT: OnceLock<AuthCert> = OnceLock::new();
    CERT.get_or_init(|| {
        let now = OffsetDateTime::now_utc();
        AuthCert::generate(
            now - time::Duration::days(200),
            now + time::Duration::days(1000),
        )
        .expect("auth certificate")
    })
}

/// A token minted ten minutes ago, naming `amurl`, signed by [`auth_cert`].
pub fn token_for(amurl: &str) -> String {
    mint(amurl).sign(&auth_cert().private_key).expect("signed")
}

/// The mint behind [`token_for`], for tests that change a claim.
pub fn mint(amurl: &str) -> TokenMint {
    let at = OffsetDateTime::now_utc() - time::Duration::minutes(10);
    TokenMint::new(auth_cert().x5t.clone(), at).amurl(amurl)
}

/// A lab: a test PKI whose root is in a CA file, and a DNS server that
/// answers [`HOST`] (and any extra names) with 127.0.0.1.
pub struct Lab {
    /// The PKI; its root is in [`Lab::ca_file`].
    pub pki: Pki,
    /// Holds the CA file and anything else a test writes.
    pub dir: TempDir,
    /// The root certificate, PEM, for `--ca-file`.
    pub ca_file: PathBuf,
    /// The lab resolver.
    pub dns: DnsServer,
}

impl Lab {
    /// A lab whose DNS answers [`HOST`] with 127.0.0.1.
    pub fn new() -> Lab {
        Lab::with_zone(Zone::new().address(HOST, IpAddr::V4(Ipv4Addr::LOCALHOST)))
    }

    /// A lab with this DNS zone.
    pub fn with_zone(zone: Zone) -> Lab {
        let pki = Pki::new().expect("pki");
        let dir = tempfile::tempdir().expect("temp dir");
        let ca_file = dir.path().join("lab-ca.pem");
        std::fs::write(&ca_file, pki.ca_pem()).expect("write the CA file");
        let dns = DnsServer::start(zone).expect("dns server");
        Lab {
            pki,
            dir,
            ca_file,
            dns,
        }
    }

    /// A healthy server identity for [`HOST`].
    pub fn identity(&self) -> ServerIdentity {
        self.pki.leaf(HOST).build().expect("leaf").identity()
    }

    /// An HTTPS server for [`HOST`] answering by `routes`.
    pub fn https(&self, routes: Vec<Route>) -> HttpsServer {
        HttpsServer::start(self.identity(), routes).expect("https server")
    }

    /// A server in `mode` answering by `routes`.
    pub fn server(&self, mode: Mode, routes: Vec<Route>) -> HttpsServer {
        HttpsServer::start_mode(mode, routes).expect("lab server")
    }

    /// The amurl of [`HOST`] on `server`'s port.
    pub fn amurl(&self, server: &HttpsServer) -> String {
        server.url(HOST, METADATA_PATH)
    }

    /// Writes `contents` to a file in the lab directory and returns its path.
    pub fn file(&self, name: &str, contents: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, contents).expect("write a lab file");
        path
    }

    /// `--dns-server` (the lab resolver), `--no-system-dns`, `--ca-file`,
    /// `--timeout SECS`: the network flags every run needs, without `--allow-private`.
    pub fn net_args(&self, timeout_secs: u64) -> Vec<String> {
        args([
            "--dns-server".to_string(),
            self.dns.addr().to_string(),
            "--no-system-dns".to_string(),
            "--ca-file".to_string(),
            self.ca_file.display().to_string(),
            "--timeout".to_string(),
            timeout_secs.to_string(),
        ])
    }
}

/// The check `id` of a JSON report.
pub fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["id"] == id))
        .unwrap_or_else(|| panic!("no check {id} in {report:#}"))
}

/// The status of check `id`.
pub fn status<'a>(report: &'a Value, id: &str) -> &'a str {
    check(report, id)["status"].as_str().unwrap_or_default()
}

/// The summary of check `id`.
pub fn summary<'a>(report: &'a Value, id: &str) -> &'a str {
    check(report, id)["summary"].as_str().unwrap_or_default()
}

/// A TLS server on 127.0.0.1 that reads one request head per connection and
/// hands the stream to `respond`: for answers the lab server cannot give
/// (a body of unbounded length with no `Content-Length`). Stops when dropped.
pub struct RawTlsServer {
    addr: std::net::SocketAddr,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    accept: Option<thread::JoinHandle<()>>,
}

/// What a [`RawTlsServer`] does after reading a request head.
pub type Responder = dyn Fn(&mut dyn Write) -> std::io::Result<()> + Send + Sync;

impl RawTlsServer {
    /// Starts a server presenting `identity`.
    pub fn start(identity: ServerIdentity, respond: Box<Responder>) -> RawTlsServer {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::Arc;

        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(identity.chain, identity.key)
        .expect("server certificate");
        let config = Arc::new(config);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let addr = listener.local_addr().expect("address");
        let stop = Arc::new(AtomicBool::new(false));
        let respond: Arc<Responder> = Arc::from(respond);
        let accept_stop = Arc::clone(&stop);
        let accept = thread::spawn(move || {
            while !accept_stop.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((socket, _)) => {
                        let config = Arc::clone(&config);
                        let respond = Arc::clone(&respond);
                        thread::spawn(move || {
                            let _ = serve_raw(socket, config, &*respond);
                        });
                    }
                    Err(_) => thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        RawTlsServer {
            addr,
            stop,
            accept: Some(accept),
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `https://HOST:PORT/PATH`.
    pub fn url(&self, host: &str, path: &str) -> String {
        format!("https://{host}:{}{path}", self.port())
    }
}

impl Drop for RawTlsServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

fn serve_raw(
    socket: std::net::TcpStream,
    config: std::sync::Arc<rustls::ServerConfig>,
    respond: &Responder,
) -> std::io::Result<()> {
    socket.set_nonblocking(false)?;
    // A client that stops reading must not keep the thread for ever.
    socket.set_write_timeout(Some(Duration::from_secs(10)))?;
    socket.set_read_timeout(Some(Duration::from_secs(10)))?;
    let connection = rustls::ServerConnection::new(config).map_err(std::io::Error::other)?;
    let mut stream = rustls::StreamOwned::new(connection, socket);
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 64 * 1024 {
        if stream.read(&mut byte)? == 0 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    respond(&mut stream)?;
    stream.conn.send_close_notify();
    stream.flush()
}
