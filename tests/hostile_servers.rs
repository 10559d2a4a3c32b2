//! Hostile servers on 127.0.0.1, against the real binary: each case must fail
//! the check that names it, with a clear summary, end within `--timeout`
//! plus one second, and keep the process under 64 MiB of resident memory.
//!
//! Figures (wall time, peak RSS) are printed on lines starting `[figures]`;
//! `cargo test --test hostile_servers -- --nocapture` shows them.
//!
//! Linux only: peak memory is read through ptrace and `/proc` (see
//! `hostile_support`), and the wall-time bounds are the contract's on a real
//! kernel, not under an emulation layer such as wine.
#![cfg(target_os = "linux")]

mod hostile_support;

use std::time::Duration;

use base64::Engine as _;
use hostile_support::{
    args, auth_cert, check, run, status, summary, token_for, Lab, RawTlsServer, Run, HOST,
    METADATA_PATH,
};
use idtoken_doctor::lab::dns::Zone;
use idtoken_doctor::lab::https::{Behaviour, Mode, Response, Route};

/// The `--timeout` of every case, in seconds.
const TIMEOUT: u64 = 2;

/// The contract: the command ends within `--timeout` plus one second. The
/// extra half second absorbs a loaded test machine (process start, debug build).
const WALL_LIMIT: Duration = Duration::from_millis(TIMEOUT * 1000 + 1500);

/// The issue's memory ceiling.
const RSS_LIMIT_KIB: u64 = 64 * 1024;

/// Runs `command TARGET --format json --allow-private` with the lab's network flags.
fn run_against(lab: &Lab, command: &str, target: &str, extra: &[&str]) -> Run {
    let mut argv = args([command, target, "--format", "json", "--allow-private"]);
    argv.extend(args(extra));
    argv.extend(lab.net_args(TIMEOUT));
    run(&argv, None, Duration::from_secs(TIMEOUT + 20))
}

/// The contract's bounds on time and memory, and the figures printed.
fn assert_bounded(run: &Run, case: &str) {
    println!("{}", run.figures(case));
    assert!(!run.killed, "{case}: killed after 22 s\n{}", run.stderr);
    assert!(
        run.wall < WALL_LIMIT,
        "{case}: took {:?} with --timeout {TIMEOUT}",
        run.wall
    );
    assert!(
        run.peak_rss_kib < RSS_LIMIT_KIB,
        "{case}: peak RSS {:.1} MiB",
        run.peak_rss_mib()
    );
}

/// The verdict names `id` and the exit code is `code`; returns the check's summary.
fn assert_verdict(run: &Run, id: &str, code: i32) -> String {
    let report = run.report();
    assert_eq!(report["verdict"]["check"], id, "{:#}", report["checks"]);
    assert_eq!(status(&report, id), "fail");
    assert_eq!(run.code, Some(code), "stderr: {}", run.stderr);
    assert!(check(&report, id)["remedy"].is_string());
    let text = summary(&report, id).to_string();
    println!("[summary] {id}: {text}");
    assert!(!text.contains('\n'), "{text}");
    assert!(
        text.len() < 1500,
        "a short summary, not {} bytes",
        text.len()
    );
    text
}

fn assert_mentions(text: &str, words: &[&str]) {
    for word in words {
        assert!(text.contains(word), "{word:?} missing from: {text}");
    }
}

#[test]
fn a_server_that_accepts_and_stays_silent() {
    let lab = Lab::new();
    let server = lab.server(Mode::Silent, vec![]);
    let out = run_against(&lab, "probe", &lab.amurl(&server), &[]);
    assert_bounded(&out, "silent after accept");
    let text = assert_verdict(&out, "tls.handshake", 40);
    assert_mentions(&text, &["timed out after 2 s"]);
}

#[test]
fn tls_records_one_byte_a_second() {
    let lab = Lab::new();
    let server = lab.server(
        Mode::TrickleHandshake(lab.identity(), Duration::from_secs(1)),
        vec![],
    );
    let out = run_against(&lab, "probe", &lab.amurl(&server), &[]);
    assert_bounded(&out, "TLS one byte a second");
    let text = assert_verdict(&out, "tls.handshake", 40);
    assert_mentions(&text, &["timed out after 2 s"]);
}

#[test]
fn a_server_that_closes_at_once() {
    let lab = Lab::new();
    let server = lab.server(Mode::CloseImmediately, vec![]);
    let out = run_against(&lab, "probe", &lab.amurl(&server), &[]);
    assert_bounded(&out, "closes at once");
    assert_verdict(&out, "tls.handshake", 40);
}

#[test]
fn plain_http_on_the_https_port() {
    let lab = Lab::new();
    let server = lab.server(Mode::PlainHttp, vec![Route::any(Behaviour::json("{}"))]);
    // The lab's URL says http; the amurl says https, as a token's would.
    let amurl = format!("https://{HOST}:{}{METADATA_PATH}", server.port());
    let out = run_against(&lab, "probe", &amurl, &[]);
    assert_bounded(&out, "plain HTTP on the https port");
    assert_verdict(&out, "tls.handshake", 40);
}

#[test]
fn a_hangup_after_the_request() {
    let lab = Lab::new();
    let server = lab.https(vec![Route::any(Behaviour::Hangup)]);
    let out = run_against(&lab, "probe", &lab.amurl(&server), &[]);
    assert_bounded(&out, "hangup after the request");
    let text = assert_verdict(&out, "http.access", 50);
    assert_mentions(&text, &["closed the connection"]);
}

#[test]
fn a_resolver_that_never_answers() {
    let lab = Lab::with_zone(Zone::new().silent(HOST));
    let out = run_against(
        &lab,
        "probe",
        &format!("https://{HOST}{METADATA_PATH}"),
        &[],
    );
    assert_bounded(&out, "silent DNS resolver");
    // Silence says nothing about the target's DNS: inconclusive (exit 3), not a fail.
    let report = out.report();
    assert_eq!(report["verdict"]["check"], "dns.resolve");
    assert_eq!(report["verdict"]["status"], "inconclusive");
    assert_eq!(status(&report, "dns.resolve"), "error");
    assert_eq!(out.code, Some(3), "stderr: {}", out.stderr);
    assert_mentions(
        summary(&report, "dns.resolve"),
        &["none answered within 2 s"],
    );
}

#[test]
fn a_request_that_is_never_answered() {
    let lab = Lab::new();
    let server = lab.https(vec![Route::any(Behaviour::NoAnswer)]);
    let out = run_against(&lab, "probe", &lab.amurl(&server), &[]);
    assert_bounded(&out, "no answer after the request");
    let text = assert_verdict(&out, "http.access", 50);
    assert_mentions(&text, &["timed out after 2 s"]);
}

#[test]
fn headers_one_byte_a_second() {
    let lab = Lab::new();
    let server = lab.https(vec![Route::any(Behaviour::SlowHeaders {
        response: Response::json("{}"),
        interval: Duration::from_secs(1),
    })]);
    let out = run_against(&lab, "probe", &lab.amurl(&server), &[]);
    assert_bounded(&out, "headers one byte a second");
    let text = assert_verdict(&out, "http.access", 50);
    assert_mentions(&text, &["timed out after 2 s"]);
}

#[test]
fn headers_for_ever() {
    let lab = Lab::new();
    let server = lab.https(vec![Route::any(Behaviour::EndlessHeaders)]);
    let out = run_against(&lab, "probe", &lab.amurl(&server), &[]);
    assert_bounded(&out, "endless headers");
    let text = assert_verdict(&out, "http.access", 50);
    assert_mentions(&text, &["header"]);
}

#[test]
fn a_ten_megabyte_header() {
    let lab = Lab::new();
    let server = lab.https(vec![Route::any(Behaviour::HugeHeader { len: 10 << 20 })]);
    let out = run_against(&lab, "probe", &lab.amurl(&server), &[]);
    assert_bounded(&out, "10 MB header");
    let text = assert_verdict(&out, "http.access", 50);
    assert_mentions(&text, &["header"]);
}

#[test]
fn a_body_one_byte_a_second() {
    let lab = Lab::new();
    let server = lab.https(vec![Route::any(Behaviour::SlowBody {
        response: Response::json(r#"{"keys":[]}"#),
        interval: Duration::from_secs(1),
    })]);
    let out = run_against(&lab, "probe", &lab.amurl(&server), &[]);
    assert_bounded(&out, "body one byte a second");
    let text = assert_verdict(&out, "http.content", 50);
    assert_mentions(&text, &["timed out after 2 s"]);
}

#[test]
fn a_hundred_megabyte_body_declared() {
    let lab = Lab::new();
    let server = lab.https(vec![Route::any(Behaviour::LargeBody { len: 100 << 20 })]);
    let out = run_against(&lab, "probe", &lab.amurl(&server), &[]);
    assert_bounded(&out, "100 MB body with Content-Length");
    let text = assert_verdict(&out, "http.content", 50);
    assert_mentions(&text, &["larger than 1 MiB", "104857600"]);
}

#[test]
fn a_hundred_megabyte_body_undeclared() {
    let lab = Lab::new();
    // No Content-Length: the body ends when the connection closes, so only
    // counting while reading can stop it.
    let server = RawTlsServer::start(
        lab.identity(),
        Box::new(|out| {
            out.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"padding\":\"",
            )?;
            let chunk = vec![b'a'; 64 * 1024];
            for _ in 0..1600 {
                out.write_all(&chunk)?;
            }
            out.write_all(b"\"}")
        }),
    );
    let out = run_against(&lab, "probe", &server.url(HOST, METADATA_PATH), &[]);
    assert_bounded(&out, "100 MB body without Content-Length");
    let text = assert_verdict(&out, "http.content", 50);
    assert_mentions(&text, &["larger than 1 MiB"]);
}

#[test]
fn a_gzip_bomb_is_not_inflated() {
    let lab = Lab::new();
    let bomb = gzip_of_zeros(BOMB_SIZE);
    assert!(bomb.len() < 1 << 20, "{} bytes", bomb.len());
    let server = lab.https(vec![Route::any(
        Response::json(bomb).header("Content-Encoding", "gzip"),
    )]);
    let out = run_against(&lab, "probe", &lab.amurl(&server), &[]);
    assert_bounded(&out, "gzip bomb (1 GB of zeros in ~1 MB)");
    let text = assert_verdict(&out, "http.content", 50);
    assert_mentions(
        &text,
        &[
            "Content-Encoding gzip",
            "offered no compression",
            "not readable JSON",
        ],
    );
    // The tool offered no compression: it sent no Accept-Encoding at all.
    // (EWS is asked beside the metadata GET, on its own connection.)
    let requests: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.target == hostile_support::METADATA_PATH)
        .collect();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].header("accept-encoding"), None, "{requests:?}");
}

#[test]
fn a_redirect_to_itself() {
    let lab = Lab::new();
    let server = lab.https(vec![Route::any(Behaviour::RedirectToSelf)]);
    let out = run_against(&lab, "probe", &lab.amurl(&server), &[]);
    assert_bounded(&out, "redirect to itself");
    let text = assert_verdict(&out, "http.access", 50);
    assert_mentions(&text, &["302", "itself"]);
    let metadata_requests = server
        .requests()
        .iter()
        .filter(|r| r.target == hostile_support::METADATA_PATH)
        .count();
    assert_eq!(metadata_requests, 1, "a redirect is never followed");
}

#[test]
fn a_chain_of_fifty_certificates() {
    let lab = Lab::new();
    let leaf = lab.pki.leaf(HOST).intermediates(49).build().expect("leaf");
    assert_eq!(leaf.chain().len(), 50);
    let server = lab.server(Mode::Tls(leaf.identity()), vec![]);
    let out = run_against(&lab, "probe", &lab.amurl(&server), &[]);
    assert_bounded(&out, "50-certificate chain");
    let text = assert_verdict(&out, "tls.trust", 40);
    assert_mentions(&text, &["50"]);
    let report = out.report();
    assert_eq!(status(&report, "tls.handshake"), "pass");
}

/// A key entry whose certificate value is far too short to be one (and that
/// declares `x5t` when given): under a hundred bytes, so that ten thousand
/// fit in the 1 MiB the tool reads.
fn small_key(x5t: Option<&str>) -> String {
    let keyinfo = x5t
        .map(|x5t| format!(r#""keyinfo":{{"x5t":"{x5t}"}},"#))
        .unwrap_or_default();
    format!(
        r#"{{"usage":"signing",{keyinfo}"keyvalue":{{"type":"x509Certificate","value":"MIIB"}}}}"#
    )
}

fn metadata_with(keys: Vec<String>) -> String {
    format!(
        r#"{{"id":"_1","version":"1.0","name":"Exchange","realm":"*","keys":[{}]}}"#,
        keys.join(",")
    )
}

#[test]
fn ten_thousand_keys_with_the_real_one_last() {
    let lab = Lab::new();
    let cert = auth_cert();
    let mut keys: Vec<String> = (0..9_999).map(|_| small_key(None)).collect();
    keys.push(format!(
        r#"{{"usage":"signing","keyinfo":{{"x5t":"{}"}},"keyvalue":{{"type":"x509Certificate","value":"{}"}}}}"#,
        cert.x5t,
        cert.base64_der()
    ));
    let document = metadata_with(keys);
    assert!(document.len() < 1 << 20, "{} bytes", document.len());
    let server = lab.https(vec![
        Route::new(METADATA_PATH, Behaviour::json(document)),
        Route::new(
            "/EWS/Exchange.asmx",
            Behaviour::unauthorized(&["Negotiate"]),
        ),
    ]);
    let token = token_for(&lab.amurl(&server));
    let out = run_against(&lab, "diagnose", &token, &[]);
    assert_bounded(&out, "10,000 keys, the token's last");
    let report = out.report();
    assert_eq!(
        report["verdict"]["status"], "healthy",
        "{:#}",
        report["checks"]
    );
    assert_eq!(out.code, Some(0));
    assert_eq!(status(&report, "key.match"), "pass");
    assert_eq!(status(&report, "key.signature"), "pass");
    assert_mentions(summary(&report, "metadata.keys"), &["10000"]);
}

#[test]
fn ten_thousand_keys_none_usable() {
    let lab = Lab::new();
    let cert = auth_cert();
    // The token's thumbprint is declared, but no key has a certificate.
    let keys: Vec<String> = (0..10_000)
        .map(|i| {
            if i == 7_777 {
                small_key(Some(&cert.x5t))
            } else {
                small_key(None)
            }
        })
        .collect();
    let document = metadata_with(keys);
    assert!(document.len() < 1 << 20, "{} bytes", document.len());
    let server = lab.https(vec![Route::new(METADATA_PATH, Behaviour::json(document))]);
    let token = token_for(&lab.amurl(&server));
    let out = run_against(&lab, "diagnose", &token, &[]);
    assert_bounded(&out, "10,000 keys, no certificate");
    let text = assert_verdict(&out, "metadata.keys", 60);
    assert_mentions(&text, &["10000"]);
}

#[test]
fn json_nested_a_hundred_thousand_deep() {
    let lab = Lab::new();
    let deep = format!(
        r#"{{"keys":{}{}}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let server = lab.https(vec![Route::new(METADATA_PATH, Behaviour::json(deep))]);
    let out = run_against(&lab, "probe", &lab.amurl(&server), &[]);
    assert_bounded(&out, "JSON nested 100,000 deep");
    let text = assert_verdict(&out, "metadata.document", 60);
    assert_mentions(&text, &["deeper than"]);
}

// ---------------------------------------------------------------------------
// The gzip bomb, made by hand: no deflate crate is in the dependency tree.

/// What the bomb inflates to: one zero byte and 3,875,969 copies of 258 zeros,
/// 1,000,000,003 bytes.
const BOMB_SIZE: u64 = 1 + 258 * 3_875_969;

/// A gzip member whose deflate stream holds `size` zero bytes (`size - 1`
/// must be a multiple of 258), compressed about 1030 to 1, the most deflate allows.
///
/// One dynamic-Huffman block: a literal 0, then matches of length 258 at
/// distance 1. The literal/length code gives symbol 285 (length 258) a 1-bit
/// code `0`, and the distance code gives distance 1 the 1-bit code `0`, so
/// each 258 bytes cost two zero bits.
fn gzip_of_zeros(size: u64) -> Vec<u8> {
    assert_eq!((size - 1) % 258, 0, "size is 1 + 258 n");
    let matches = (size - 1) / 258;
    let mut bits = BitWriter::default();
    bits.put(1, 1); // BFINAL
    bits.put(2, 2); // BTYPE = dynamic Huffman
    bits.put(29, 5); // HLIT: 286 literal/length codes (up to 285)
    bits.put(0, 5); // HDIST: 1 distance code
    bits.put(14, 4); // HCLEN: 18 code-length codes, up to the one for length 1

    // The code-length code, its lengths in the format's order
    // 16 17 18 0 8 7 9 6 10 5 11 4 12 3 13 2 14 1: symbol 18 (a run of
    // zeros) gets 1 bit, symbols 1 and 2 get 2 bits.
    for len in [0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 2] {
        bits.put(len, 3);
    }
    // Its canonical codes: 18 → 0, 1 → 10, 2 → 11.
    const LENGTH_1: (u32, u32) = (0b10, 2);
    const LENGTH_2: (u32, u32) = (0b11, 2);
    let zero_run = |bits: &mut BitWriter, run: u32| {
        bits.huffman(0b0, 1);
        bits.put(run - 11, 7); // symbol 18: 11 + seven extra bits
    };

    // Literal/length lengths: 0 → 2, 1..=255 → none, 256 → 2,
    // 257..=284 → none, 285 → 1; then the one distance length: 0 → 1.
    bits.huffman(LENGTH_2.0, LENGTH_2.1);
    zero_run(&mut bits, 138);
    zero_run(&mut bits, 117);
    bits.huffman(LENGTH_2.0, LENGTH_2.1);
    zero_run(&mut bits, 28);
    bits.huffman(LENGTH_1.0, LENGTH_1.1);
    bits.huffman(LENGTH_1.0, LENGTH_1.1);

    // The data, in the canonical literal/length codes 285 → 0, literal
    // 0 → 10, end of block → 11, and distance code 0 → 0.
    bits.huffman(0b10, 2);
    bits.zero_bits(2 * matches);
    bits.huffman(0b11, 2);
    let deflate = bits.finish();

    let mut gzip = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    gzip.extend_from_slice(&deflate);
    gzip.extend_from_slice(&crc32_of_zeros(size).to_le_bytes());
    gzip.extend_from_slice(&(size as u32).to_le_bytes());
    gzip
}

/// Deflate's bit order: values least significant bit first, Huffman codes
/// most significant bit first.
#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    current: u8,
    used: u32,
}

impl BitWriter {
    fn bit(&mut self, bit: u32) {
        self.current |= ((bit & 1) as u8) << self.used;
        self.used += 1;
        if self.used == 8 {
            self.bytes.push(self.current);
            self.current = 0;
            self.used = 0;
        }
    }

    fn put(&mut self, value: u32, count: u32) {
        (0..count).for_each(|i| self.bit(value >> i));
    }

    fn huffman(&mut self, code: u32, len: u32) {
        (0..len).rev().for_each(|i| self.bit(code >> i));
    }

    fn zero_bits(&mut self, mut count: u64) {
        while count > 0 && self.used != 0 {
            self.bit(0);
            count -= 1;
        }
        let whole = usize::try_from(count / 8).expect("fits");
        self.bytes.resize(self.bytes.len() + whole, 0);
        (0..count % 8).for_each(|_| self.bit(0));
    }

    fn finish(mut self) -> Vec<u8> {
        if self.used > 0 {
            self.bytes.push(self.current);
        }
        self.bytes
    }
}

/// CRC-32 (gzip's) of `count` zero bytes, in O(log count): feeding a zero
/// byte is linear over GF(2), so its 32×32 matrix is raised to the power.
fn crc32_of_zeros(count: u64) -> u32 {
    type Matrix = [u32; 32];
    fn apply(matrix: &Matrix, vector: u32) -> u32 {
        (0..32)
            .filter(|i| vector >> i & 1 == 1)
            .fold(0, |acc, i| acc ^ matrix[i])
    }
    fn multiply(a: &Matrix, b: &Matrix) -> Matrix {
        let mut product = [0u32; 32];
        for (i, column) in b.iter().enumerate() {
            product[i] = apply(a, *column);
        }
        product
    }
    // Column i: the register after one zero byte, starting from bit i alone.
    let mut one_byte = [0u32; 32];
    for (i, column) in one_byte.iter_mut().enumerate() {
        let mut register = 1u32 << i;
        for _ in 0..8 {
            register = if register & 1 == 1 {
                (register >> 1) ^ 0xEDB8_8320
            } else {
                register >> 1
            };
        }
        *column = register;
    }
    let mut result: Matrix = std::array::from_fn(|i| 1 << i);
    let (mut power, mut left) = (one_byte, count);
    while left > 0 {
        if left & 1 == 1 {
            result = multiply(&power, &result);
        }
        power = multiply(&power, &power);
        left >>= 1;
    }
    !apply(&result, 0xFFFF_FFFF)
}

#[test]
fn the_crc_of_zeros_matches_the_bytewise_one() {
    let bytewise = |n: usize| {
        let mut crc = 0xFFFF_FFFFu32;
        for _ in 0..n {
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    };
    for n in [0, 1, 10, 259, 4096] {
        assert_eq!(crc32_of_zeros(n as u64), bytewise(n), "{n} zeros");
    }
    // The check value every CRC-32 table quotes for ten zero bytes.
    assert_eq!(crc32_of_zeros(10), 0xe38a_6876);
}

#[test]
fn the_bomb_really_inflates_to_a_gigabyte() {
    // gzip -t inflates the whole member and checks its CRC-32 and length
    // against the trailer.
    let bomb = gzip_of_zeros(BOMB_SIZE);
    assert!(bomb.len() < 1_000_000, "{} bytes", bomb.len());
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("bomb.gz");
    std::fs::write(&path, &bomb).expect("write");
    match std::process::Command::new("gzip")
        .arg("-t")
        .arg(&path)
        .output()
    {
        Ok(out) => assert!(
            out.status.success(),
            "gzip -t: {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => println!("gzip could not be run ({e}): the bomb is not verified here"),
    }
}

#[test]
fn ten_thousand_distinct_certificates_in_a_saved_document() {
    // Offline (`keys --metadata FILE`) no 1 MiB limit applies: ten thousand
    // real certificates, none the token's. Flipping the last two bytes (inside
    // the certificate's own signature) keeps each one parseable and distinct.
    let lab = Lab::new();
    let cert = auth_cert();
    let keys: Vec<String> = (0..10_000u32)
        .map(|i| {
            let mut der = cert.der.clone();
            let len = der.len();
            der[len - 2] ^= (i >> 8) as u8 ^ 0x5a;
            der[len - 1] ^= i as u8;
            format!(
                r#"{{"usage":"signing","keyvalue":{{"type":"x509Certificate","value":"{}"}}}}"#,
                base64::engine::general_purpose::STANDARD.encode(&der)
            )
        })
        .collect();
    let document = metadata_with(keys);
    println!("[figures] saved document of {} bytes", document.len());
    let path = lab.file("metadata.json", document.as_bytes());
    let token = token_for("https://mail.contoso.test/autodiscover/metadata/json/1");
    let argv = args([
        "keys",
        &token,
        "--metadata",
        &path.display().to_string(),
        "--format",
        "json",
    ]);
    let out = run(&argv, None, Duration::from_secs(60));
    println!(
        "{}",
        out.figures("10,000 distinct certificates, saved document")
    );
    let text = assert_verdict(&out, "key.match", 70);
    assert_mentions(&text, &["10000"]);
    // A server can send at most 1 MiB; a saved file is judged up to 32 MiB.
    // The keys are taken out of the parsed document one by one, so their text
    // is freed as the certificates are read: ten thousand real certificates
    // (10.8 MB) stay under the same 64 MiB as everything else.
    assert!(
        out.peak_rss_kib < RSS_LIMIT_KIB,
        "{:.1} MiB for a document of {} bytes",
        out.peak_rss_mib(),
        document.len()
    );
}
