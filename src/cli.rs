//! The command line, as the contract fixes it. `main.rs` parses it; the
//! completions and the man page are generated from it.

use std::path::PathBuf;

use clap::builder::PossibleValue;
use clap::{Args, Parser, Subcommand, ValueEnum};

/// Long version: the crate version and, when built from git, the commit.
pub const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("IDTOKEN_DOCTOR_COMMIT"),
    ")"
);

/// The exit codes, for the long help and the man pages (one text, so they cannot drift).
macro_rules! exit_codes_help {
    () => {
        "Exit codes:\n  0   healthy (warnings allowed unless --strict)\n  2   usage error, or input that cannot be read\n  3   inconclusive: the first check that did not pass could not be made from this machine\n      (an `error`: outbound DNS blocked, the --proxy failing or wanting credentials, no route\n      for the address family here). Example, on a network that blocks DNS and HTTPS to the\n      public resolvers:\n        $ idtoken-doctor probe outlook.office365.com\n        ? dns.resolve  no public resolver could be reached from this machine, so nothing is known\n                       about outlook.office365.com's DNS ...\n        $ echo $?\n        3\n      Name a resolver you can reach (--dns-server ADDR, ADDR:PORT or https://HOST/dns-query),\n      pin the address (--resolve), or go through your proxy (--proxy).\n  10  token   20  dns   30  tcp   40  tls   50  http   60  metadata   70  key   80  ews:\n      the stage of the first failing check\n  In a batch: the code of the first target, in input order, that is not healthy."
    };
}

/// Walks the chain SAP C4C Server-Side Integration follows to validate an
/// Exchange user identity token, and names the link that breaks.
#[derive(Debug, Parser)]
#[command(
    name = "idtoken-doctor",
    version,
    long_version = LONG_VERSION,
    propagate_version = true,
    after_help = "Start with `idtoken-doctor diagnose @token.txt` (in PowerShell `idtoken-doctor diagnose '@token.txt'`: a bare @ is PowerShell's splat operator), or `idtoken-doctor demo --list` to see every broken link without a network.",
    after_long_help = concat!(
        "Start with `idtoken-doctor diagnose @token.txt` (in PowerShell `idtoken-doctor diagnose '@token.txt'`: a bare @ is PowerShell's splat operator), or `idtoken-doctor demo --list` to see every broken link without a network.\n\n",
        exit_codes_help!()
    )
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands of the contract.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Decode a token offline: header, claims, appctx, lifetime, unique id.
    #[command(
        after_help = "Examples:\n  idtoken-doctor decode eyJ0eXAiOi...\n  idtoken-doctor decode @token.txt --now 2024-05-01T10:00:00Z\n  idtoken-doctor decode '@token.txt'             (PowerShell: quote @PATH)\n  Get-Clipboard | idtoken-doctor decode -        (PowerShell)"
    )]
    Decode(DecodeArgs),
    /// Fetch the metadata document the way SSI does: dns, tcp, tls, http, metadata, ews.
    #[command(
        after_help = "Examples:\n  idtoken-doctor probe mail.contoso.com\n  idtoken-doctor probe https://mail.contoso.com/autodiscover/metadata/json/1 --format markdown\n  idtoken-doctor probe @token.txt --allow-private     (from inside the network)\n  idtoken-doctor probe '@token.txt' --allow-private   (the same in PowerShell: quote @PATH)",
        after_long_help = concat!(
            "Examples:\n  idtoken-doctor probe mail.contoso.com\n  idtoken-doctor probe https://mail.contoso.com/autodiscover/metadata/json/1 --format markdown\n  idtoken-doctor probe @token.txt --allow-private     (from inside the network)\n  idtoken-doctor probe '@token.txt' --allow-private   (the same in PowerShell: quote @PATH)\n  idtoken-doctor probe mail.contoso.com --proxy http://user:password@proxy:3128\n  idtoken-doctor probe mail.contoso.com --dns-server https://dns.example/dns-query\n\n",
            exit_codes_help!()
        )
    )]
    Probe(ProbeArgs),
    /// Match the token's x5t against the metadata keys and verify its signature.
    #[command(
        after_help = "Examples:\n  idtoken-doctor keys @token.txt --metadata saved-metadata.json   (offline)\n  idtoken-doctor keys @token.txt                                   (fetches the amurl)\n  idtoken-doctor keys '@token.txt' --metadata saved-metadata.json (PowerShell: quote @PATH)"
    )]
    Keys(KeysArgs),
    /// Walk the whole chain for a token and give one verdict.
    #[command(
        after_help = "Examples:\n  idtoken-doctor diagnose @token.txt\n  idtoken-doctor diagnose '@token.txt'                 (PowerShell: quote @PATH)\n  idtoken-doctor diagnose @token.txt --format markdown > ticket.md\n  idtoken-doctor diagnose --batch tokens.txt --format junit > report.xml",
        after_long_help = concat!(
            "Examples:\n  idtoken-doctor diagnose @token.txt\n  idtoken-doctor diagnose '@token.txt'                 (PowerShell: quote @PATH)\n  idtoken-doctor diagnose @token.txt --format markdown > ticket.md\n  idtoken-doctor diagnose --batch tokens.txt --format junit > report.xml\n\n",
            exit_codes_help!()
        )
    )]
    Diagnose(DiagnoseArgs),
    /// The SSI egress IP ranges, for firewall allow-lists.
    #[command(
        name = "ssi-ips",
        after_help = "Examples:\n  idtoken-doctor ssi-ips\n  idtoken-doctor ssi-ips --landscape FRA --format plain > allow.txt\n  idtoken-doctor ssi-ips --check 20.79.94.109"
    )]
    SsiIps(SsiIpsArgs),
    /// Run `diagnose` against an in-process server on 127.0.0.1, one scenario per broken link.
    #[command(
        after_help = "Examples:\n  idtoken-doctor demo\n  idtoken-doctor demo --list\n  idtoken-doctor demo auth-401 --format markdown"
    )]
    Demo(DemoArgs),
    /// Say offline what a ticket's error text means: messages, codes, Outlook builds.
    #[command(
        after_help = "Examples:\n  idtoken-doctor explain \"Something went wrong. [7q6ck]\"\n  idtoken-doctor explain @ticket.txt --format markdown\n  Get-Clipboard | idtoken-doctor explain -        (PowerShell)\n\nExit codes: 0 something was recognised, 1 nothing was, 2 usage error or unreadable input."
    )]
    Explain(ExplainArgs),
    /// Print a shell completion script to standard output.
    #[command(
        after_help = "Examples:\n  idtoken-doctor completions bash > ~/.local/share/bash-completion/completions/idtoken-doctor\n  idtoken-doctor completions powershell >> $PROFILE"
    )]
    Completions(CompletionsArgs),
    /// A Prometheus exporter: `GET /probe?target=AMURL|HOST` runs `probe` and answers its metrics.
    #[command(
        after_help = "Endpoints:\n  GET /probe?target=AMURL|HOST   probe that target with these flags; answers its metrics\n  GET /metrics                   the exporter's own: probes run, failures by stage, durations\n  GET /                          how to scrape it\n\nExamples:\n  idtoken-doctor serve\n  idtoken-doctor serve --listen 127.0.0.1:9871 --jobs 4 --timeout 10\n  curl 'http://127.0.0.1:9871/probe?target=mail.contoso.com'\n\nSee docs/monitoring.md for the Prometheus scrape configuration and alert rules."
    )]
    Serve(ServeArgs),
}

pub use crate::render::{ColorChoice, Format};

// The report format and the colour choice belong to the renderers; the command
// line names their values here, so that the lower layers never see clap.
impl ValueEnum for Format {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            Format::Human,
            Format::Json,
            Format::Markdown,
            Format::Junit,
            Format::Prometheus,
            Format::Reply,
        ]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            Format::Human => PossibleValue::new("human").help(
                "A readable chain: one line per link that holds, the broken one with its proof",
            ),
            Format::Json => PossibleValue::new("json")
                .help("One JSON object per target (the contract's report shape)"),
            Format::Markdown => PossibleValue::new("markdown")
                .help("A heading, a table of checks and the verdict, for a ticket"),
            Format::Junit => PossibleValue::new("junit").help("JUnit XML for CI systems"),
            Format::Prometheus => PossibleValue::new("prometheus").help(
                "The Prometheus text exposition format (for node_exporter's textfile collector)",
            ),
            Format::Reply => PossibleValue::new("reply").help(
                "A short plain-text message for the customer: what is broken, who must do what, the commands",
            ),
        })
    }
}

impl ValueEnum for ColorChoice {
    fn value_variants<'a>() -> &'a [Self] {
        &[ColorChoice::Auto, ColorChoice::Always, ColorChoice::Never]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            ColorChoice::Auto => {
                PossibleValue::new("auto").help("Colour a terminal, unless `NO_COLOR` is set")
            }
            ColorChoice::Always => PossibleValue::new("always").help("Always colour"),
            ColorChoice::Never => PossibleValue::new("never").help("Never colour"),
        })
    }
}

impl NetArgs {
    /// The flags as the settings layer takes them (it never sees clap).
    pub fn flags(&self) -> crate::settings::NetFlags {
        crate::settings::NetFlags {
            timeout: self.timeout,
            resolve: self.resolve.clone(),
            dns_server: self.dns_server.clone(),
            no_system_dns: self.no_system_dns,
            proxy: self.proxy.clone(),
            ca_file: self.ca_file.clone(),
            allow_private: self.allow_private,
            ews_url: self.ews_url.clone(),
        }
    }
}

/// How reports are printed and judged.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// When to use colour (honours NO_COLOR).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Judge token lifetime and certificate validity at TIME (RFC 3339 or Unix seconds).
    #[arg(long, value_name = "TIME")]
    pub now: Option<String>,
    /// Warnings count as failures (for CI).
    #[arg(long)]
    pub strict: bool,
    /// Hide user identifiers (msexchuid, unique id, e-mail addresses, the Entra claims that name a person) in every format.
    #[arg(long)]
    pub redact: bool,
    /// Human format: every check with all its details.
    #[arg(short, long)]
    pub verbose: bool,
    /// Plain ASCII symbols instead of check marks and arrows (the default where the output is not a UTF-8 terminal).
    #[arg(long)]
    pub ascii: bool,
    /// Write the report to FILE (UTF-8, no byte-order mark) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// How the network is reached.
#[derive(Debug, Clone, Args)]
pub struct NetArgs {
    /// Total network budget for one target, in seconds.
    #[arg(
        long,
        value_name = "SECS",
        default_value_t = 15.0,
        env = "IDTOKEN_DOCTOR_TIMEOUT",
        value_parser = seconds
    )]
    pub timeout: f64,
    /// Use ADDR for HOST:PORT and skip DNS for it (curl's syntax; repeatable).
    #[arg(long, value_name = "HOST:PORT:ADDR")]
    pub resolve: Vec<String>,
    /// Public resolver to ask (repeatable; default 1.1.1.1, 8.8.8.8, 9.9.9.9, which fall back to
    /// their DNS-over-HTTPS endpoints when port 53 is blocked); a https://HOST[:PORT]/dns-query
    /// URL is a DNS-over-HTTPS resolver.
    #[arg(
        long = "dns-server",
        value_name = "ADDR[:PORT]|URL",
        env = "IDTOKEN_DOCTOR_DNS_SERVER",
        value_delimiter = ','
    )]
    pub dns_server: Vec<String>,
    /// Do not ask the system resolver (it is asked only to detect split-horizon DNS).
    #[arg(long = "no-system-dns")]
    pub no_system_dns: bool,
    /// Reach the target through this HTTP CONNECT proxy (`env` reads HTTPS_PROXY and the like);
    /// credentials in the URL (http://user:password@proxy:3128) go to the proxy only, never printed.
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// Extra trust anchors (PEM), added to the public roots.
    #[arg(long = "ca-file", value_name = "PEM")]
    pub ca_file: Option<PathBuf>,
    /// Probe non-public addresses too (an admin testing from inside the network).
    #[arg(long = "allow-private")]
    pub allow_private: bool,
    /// EWS endpoint to test instead of the one derived from the amurl host.
    #[arg(long = "ews-url", value_name = "URL")]
    pub ews_url: Option<String>,
}

/// Reads a number of seconds, saying in words what is expected (the float
/// parser's own message is "invalid float literal").
fn seconds(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(secs) if secs.is_finite() => Ok(secs),
        _ => Err(format!(
            "`{text}` is not a number of seconds: give one such as 15 or 2.5"
        )),
    }
}

/// Several targets in one run.
#[derive(Debug, Clone, Args)]
pub struct BatchArgs {
    /// One target per line (`-` for standard input; blank lines and # comments skipped).
    ///
    /// Reports are written in input order as each is ready. Ctrl-C or SIGTERM starts no more
    /// targets, closes the output on those finished and exits 130 or 143. With --format
    /// prometheus nothing is written before the end (the format groups each metric's samples),
    /// so a run killed outright (SIGKILL, a power cut) writes nothing.
    #[arg(long, value_name = "FILE")]
    pub batch: Option<String>,
    /// With --batch: targets worked on at once.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: u16,
}

/// Arguments of `decode`.
#[derive(Debug, Clone, Args)]
pub struct DecodeArgs {
    /// The token: text, `-` for standard input, `@PATH` for a file (default: piped standard input).
    ///
    /// In PowerShell quote it, `'@token.txt'`: a bare `@` is PowerShell's splat operator.
    pub token: Option<String>,
    /// The add-in URL that `aud` must equal.
    #[arg(long, value_name = "URL")]
    pub audience: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: OutputArgs,
}

/// Arguments of `probe`.
#[derive(Debug, Clone, Args)]
pub struct ProbeArgs {
    /// An amurl, a bare host name, or a token (its amurl is probed); `@PATH` and `-` read a token.
    ///
    /// In PowerShell quote it, `'@token.txt'`: a bare `@` is PowerShell's splat operator.
    #[arg(required_unless_present = "batch", conflicts_with = "batch")]
    pub target: Option<String>,
    /// The add-in URL that `aud` must equal (when TARGET is a token).
    #[arg(long, value_name = "URL")]
    pub audience: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: OutputArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub net: NetArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub batch: BatchArgs,
}

/// Arguments of `keys`.
#[derive(Debug, Clone, Args)]
pub struct KeysArgs {
    /// The token: text, `-` for standard input, `@PATH` for a file (default: piped standard input).
    ///
    /// In PowerShell quote it, `'@token.txt'`: a bare `@` is PowerShell's splat operator.
    pub token: Option<String>,
    /// A saved metadata document (offline) or a URL to fetch instead of the amurl.
    #[arg(long, value_name = "FILE|URL")]
    pub metadata: Option<String>,
    /// The add-in URL that `aud` must equal.
    #[arg(long, value_name = "URL")]
    pub audience: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: OutputArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub net: NetArgs,
}

/// Arguments of `diagnose`.
#[derive(Debug, Clone, Args)]
pub struct DiagnoseArgs {
    /// The token: text, `-` for standard input, `@PATH` for a file (default: piped standard input).
    ///
    /// In PowerShell quote it, `'@token.txt'`: a bare `@` is PowerShell's splat operator.
    #[arg(conflicts_with = "batch")]
    pub token: Option<String>,
    /// A saved metadata document or a URL to use instead of fetching the amurl.
    #[arg(long, value_name = "FILE|URL")]
    pub metadata: Option<String>,
    /// The add-in URL that `aud` must equal.
    #[arg(long, value_name = "URL")]
    pub audience: Option<String>,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: OutputArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub net: NetArgs,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub batch: BatchArgs,
}

pub use crate::ssi_ips::IpsFormat;

impl ValueEnum for IpsFormat {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            IpsFormat::Human,
            IpsFormat::Json,
            IpsFormat::Plain,
            IpsFormat::Markdown,
        ]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            IpsFormat::Human => {
                PossibleValue::new("human").help("A table of landscapes and ranges")
            }
            IpsFormat::Json => PossibleValue::new("json").help("A JSON document"),
            IpsFormat::Plain => {
                PossibleValue::new("plain").help("One CIDR per line, for firewall import")
            }
            IpsFormat::Markdown => PossibleValue::new("markdown").help("A Markdown table"),
        })
    }
}

impl SsiIpsArgs {
    /// The request as the `ssi_ips` module takes it (it never sees clap).
    pub fn request(&self) -> crate::ssi_ips::Request {
        crate::ssi_ips::Request {
            landscape: self.landscape.clone(),
            check: self.check.clone(),
            format: self.format,
            color: self.color,
        }
    }
}

/// Arguments of `ssi-ips`.
#[derive(Debug, Clone, Args)]
pub struct SsiIpsArgs {
    /// Only this landscape (WDC, FRA, PER, or a test/mod one such as FRA-mod).
    #[arg(long, value_name = "NAME")]
    pub landscape: Option<String>,
    /// Say whether this address is SSI's (exit 0) or not (exit 1).
    #[arg(long, value_name = "IP")]
    pub check: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = IpsFormat::Human)]
    pub format: IpsFormat,
    /// When to use colour (honours NO_COLOR).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

/// Arguments of `demo`.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// The scenario (default: healthy); `--list` names them all.
    pub scenario: Option<String>,
    /// List the scenarios and exit.
    #[arg(long)]
    pub list: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub output: OutputArgs,
}

pub use crate::explain::ExplainFormat;

impl ValueEnum for ExplainFormat {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            ExplainFormat::Human,
            ExplainFormat::Json,
            ExplainFormat::Markdown,
        ]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(match self {
            ExplainFormat::Human => PossibleValue::new("human").help("Each finding in words"),
            ExplainFormat::Json => PossibleValue::new("json")
                .help("{\"schema\": \"idtoken-doctor/explain/v1\", \"findings\": [...]}"),
            ExplainFormat::Markdown => {
                PossibleValue::new("markdown").help("One section per finding, for a ticket")
            }
        })
    }
}

/// Arguments of `explain`.
#[derive(Debug, Clone, Args)]
pub struct ExplainArgs {
    /// The ticket's text: text, `-` for standard input, `@PATH` for a file (default: piped standard input).
    ///
    /// In PowerShell quote it, `'@ticket.txt'` (as `'@token.txt'` for a token): a bare `@` is PowerShell's splat operator.
    pub text: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Human)]
    pub format: ExplainFormat,
    /// Write to FILE (UTF-8, no byte-order mark) instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// Arguments of `serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on. The default answers this machine only; any other
    /// address lets whoever reaches it make this machine probe hosts of their
    /// choice (within the rules of `probe`): that is the operator's choice, so
    /// put a firewall or an authenticating reverse proxy in front of it.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:9871")]
    pub listen: String,
    /// Probes worked on at once; a request beyond them is answered 429.
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: u16,
    /// Warnings count as failures (idtoken_doctor_success is then 0 on a warning).
    #[arg(long)]
    pub strict: bool,
    #[command(flatten)]
    #[allow(missing_docs)]
    pub net: NetArgs,
}

/// Arguments of `completions`.
#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell to generate for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn seconds_are_explained_in_words() {
        assert_eq!(seconds("2.5"), Ok(2.5));
        let said = seconds("abc").expect_err("not a number");
        assert!(said.contains("not a number of seconds"), "{said}");
        assert!(seconds("inf").is_err());
    }
}
