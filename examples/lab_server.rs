//! A healthy lab Exchange on 127.0.0.1 for whole-process measurements
//! (`scripts/bench.sh`): an HTTPS server with a lab PKI serving the
//! authentication metadata document and an EWS endpoint, a lab DNS server
//! that answers for `mail.contoso.test`, and a silent "dead" resolver that
//! never answers. It stays up until it is killed.
//!
//! ```text
//! cargo run --release --example lab_server -- --dir DIR [--tokens N] [--names N]
//!     [--amurl-port PORT]
//! ```
//!
//! With `--amurl-port PORT` the tokens' amurl names that port instead of the
//! server's own (a proxy in front of it, say). A lab Entra ID serves its
//! tenant's discovery document and keys too (the NAA chain), on a port it
//! writes to `entra.port`; with `--entra-port PORT` its documents and the
//! Entra token `entra-token.jwt` name that port instead. With `--names N` the DNS server also answers for `mail-1.contoso.test` to
//! `mail-N.contoso.test` (all 127.0.0.1) and the certificate names
//! `*.contoso.test`: N distinct targets for batch measurements.
//!
//! Into `DIR` it writes `ca.pem` (the lab root, for `--ca-file` and curl's
//! `--cacert`), `metadata.json` (the document it serves), `token.jwt` (a
//! token whose amurl names the server) and `tokens.txt` (`N` such tokens for
//! different users, 200 by default, for `--batch`). Then it prints one line,
//! `port=PORT dns=ADDR dead_dns=ADDR`, and waits.

use std::io::{self, Write as _};
use std::net::{IpAddr, Ipv4Addr, UdpSocket};
use std::path::PathBuf;
use std::process::ExitCode;
use std::{env, fs, thread};

use idtoken_doctor::lab::authcert::{metadata_json, AuthCert, MetadataOptions};
use idtoken_doctor::lab::dns::{DnsServer, Zone};
use idtoken_doctor::lab::entra::{self, EntraKey, EntraLab, SSI_API, TENANT_ID};
use idtoken_doctor::lab::https::{Behaviour, HttpsServer, Route};
use idtoken_doctor::lab::mint::TokenMint;
use idtoken_doctor::lab::pki::Pki;
use idtoken_doctor::lab::scenario::HOST;
use idtoken_doctor::target::METADATA_PATH;
use time::{Duration, OffsetDateTime};

/// What the command line asked for.
struct Options {
    dir: PathBuf,
    tokens: usize,
    names: usize,
    amurl_port: Option<u16>,
    entra_port: Option<u16>,
}

fn parse_args() -> Result<Options, String> {
    let mut dir = None;
    let mut tokens = 200;
    let mut names = 0;
    let mut amurl_port = None;
    let mut entra_port = None;
    let mut args = env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--dir" => dir = args.next().map(PathBuf::from),
            "--tokens" => {
                let value = args.next().unwrap_or_default();
                tokens = value
                    .parse()
                    .map_err(|_| format!("--tokens takes a count, not `{value}`"))?;
            }
            "--names" => {
                let value = args.next().unwrap_or_default();
                names = value
                    .parse()
                    .map_err(|_| format!("--names takes a count, not `{value}`"))?;
            }
            "--amurl-port" => {
                let value = args.next().unwrap_or_default();
                amurl_port = Some(
                    value
                        .parse()
                        .map_err(|_| format!("--amurl-port takes a port, not `{value}`"))?,
                );
            }
            "--entra-port" => {
                let value = args.next().unwrap_or_default();
                entra_port = Some(
                    value
                        .parse()
                        .map_err(|_| format!("--entra-port takes a port, not `{value}`"))?,
                );
            }
            other => return Err(format!("unexpected argument `{other}`")),
        }
    }
    let dir = dir.ok_or("--dir DIR is required")?;
    Ok(Options {
        dir,
        tokens,
        names,
        amurl_port,
        entra_port,
    })
}

fn main() -> ExitCode {
    match parse_args().and_then(|options| run(&options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("lab_server: {message}");
            eprintln!("usage: lab_server --dir DIR [--tokens N] [--names N] [--amurl-port PORT] [--entra-port PORT]");
            ExitCode::from(2)
        }
    }
}

fn run(options: &Options) -> Result<(), String> {
    let now = OffsetDateTime::now_utc();
    let day = Duration::days(1);
    let auth = AuthCert::generate(now - 200 * day, now + 3 * 365 * day)
        .map_err(|e| format!("auth certificate: {e}"))?;
    let pki = Pki::new().map_err(|e| format!("lab PKI: {e}"))?;
    let leaf = pki
        .leaf(HOST)
        .also_named("*.contoso.test")
        .build()
        .map_err(|e| format!("server certificate: {e}"))?;
    let metadata = metadata_json(&[&auth], &MetadataOptions::default());
    let routes = vec![
        Route::new(METADATA_PATH, Behaviour::json(metadata.clone())),
        Route::new(
            "/EWS/Exchange.asmx",
            Behaviour::unauthorized(&["Negotiate", "NTLM"]),
        ),
    ];
    let https =
        HttpsServer::start(leaf.identity(), routes).map_err(|e| format!("HTTPS server: {e}"))?;
    let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let entra_key = EntraKey::generate("bench-kid", now - 30 * day, now + 365 * day)?;
    let (listener, documents) = EntraLab::documents_naming(&[&entra_key], options.entra_port)
        .map_err(|e| format!("lab Entra ID: {e}"))?;
    let entra = EntraLab::start(listener, documents).map_err(|e| format!("lab Entra ID: {e}"))?;
    let entra_iss = EntraLab::issuer_v2_at(options.entra_port.unwrap_or(entra.port()));
    let entra_token = TokenMint::new(String::new(), now - Duration::minutes(10))
        .entra(&entra_key.kid, &entra_iss, TENANT_ID, SSI_API)
        .sign(&entra_key.cert.private_key)
        .map_err(|e| format!("signing the Entra token: {e}"))?;
    let zone = Zone::new().address(entra::AUTHORITY, loopback);
    let zone = (1..=options.names).fold(zone.address(HOST, loopback), |zone, n| {
        zone.address(&format!("mail-{n}.contoso.test"), loopback)
    });
    let dns = DnsServer::start(zone).map_err(|e| format!("DNS server: {e}"))?;
    // Bound but never read: queries sent to it get no answer and no ICMP
    // error, like a resolver behind a firewall that drops them.
    let dead_resolver = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))
        .map_err(|e| format!("dead resolver socket: {e}"))?;
    let dead_addr = dead_resolver
        .local_addr()
        .map_err(|e| format!("dead resolver address: {e}"))?;

    let amurl_port = options.amurl_port.unwrap_or(https.port());
    let amurl = format!("https://{HOST}:{amurl_port}{METADATA_PATH}");
    let mint = |user: usize| {
        TokenMint::new(auth.x5t.clone(), now - Duration::minutes(10))
            .amurl(amurl.clone())
            .msexchuid(format!("53e925fa-76ba-45e1-be0f-{user:012x}"))
            .sign(&auth.private_key)
            .map_err(|e| format!("signing a token: {e}"))
    };
    let token = mint(0)?;
    let tokens = (1..=options.tokens)
        .map(mint)
        .collect::<Result<Vec<_>, _>>()?;

    let write = |name: &str, contents: &str| {
        let path = options.dir.join(name);
        fs::write(&path, contents).map_err(|e| format!("writing {}: {e}", path.display()))
    };
    fs::create_dir_all(&options.dir)
        .map_err(|e| format!("creating {}: {e}", options.dir.display()))?;
    write("ca.pem", &pki.ca_pem())?;
    write("metadata.json", &metadata)?;
    write("token.jwt", &format!("{token}\n"))?;
    write("tokens.txt", &(tokens.join("\n") + "\n"))?;
    write("entra-token.jwt", &format!("{entra_token}\n"))?;
    write("entra.port", &format!("{}\n", entra.port()))?;
    write("entra-ca.pem", &entra.pki.ca_pem())?;

    let mut stdout = io::stdout().lock();
    writeln!(
        stdout,
        "port={} dns={} dead_dns={dead_addr}",
        https.port(),
        dns.addr()
    )
    .and_then(|()| stdout.flush())
    .map_err(|e| format!("writing to standard output: {e}"))?;
    drop(stdout);

    // Serve until killed; the servers run on their own threads.
    loop {
        thread::park();
    }
}
