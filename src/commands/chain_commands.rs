//! `decode`, `probe`, `keys` and `diagnose`: the commands that walk links of the chain.

use std::fs;
use std::io::Read;
use std::sync::Arc;
use std::time::Instant;

use crate::chain::{self, MetadataSource, NetworkFindings};
use crate::cli::{DecodeArgs, DiagnoseArgs, KeysArgs, OutputArgs, ProbeArgs};
use crate::input;
use crate::progress::Progress;
use crate::remedy::Remedy;
use crate::render;
use crate::report::{Check, CheckId, Report, Stage};
use crate::settings::{evaluation_time, NetSettings, Settings, UsageError};
use crate::target::Target;

use super::batch::{self, Cache};
use super::output::{emit, render_all};

const DECODE_STAGES: &[Stage] = &[Stage::Token];
const KEYS_STAGES: &[Stage] = &[Stage::Token, Stage::Metadata, Stage::Key];
/// What a target of `probe --batch` may cover: a token's link, then the network.
const PROBE_BATCH_STAGES: &[Stage] = &[
    Stage::Token,
    Stage::Dns,
    Stage::Tcp,
    Stage::Tls,
    Stage::Http,
    Stage::Metadata,
    Stage::Ews,
];

fn settings(
    output: &OutputArgs,
    audience: Option<&String>,
    net: Option<NetSettings>,
) -> Result<Settings, UsageError> {
    if let Some(audience) = audience {
        crate::settings::refuse_token("--audience", audience)?;
    }
    Ok(Settings {
        now: evaluation_time(output.now.as_deref())?,
        strict: output.strict,
        audience: audience.cloned(),
        net,
    })
}

pub(super) fn read_token(arg: Option<&str>) -> Result<String, UsageError> {
    if arg == Some("-") {
        super::output::prompt_for_paste();
    }
    input::read_input(arg).map_err(|e| UsageError(e.to_string()))
}

pub(super) fn finish(
    mut reports: Vec<Report>,
    output: &OutputArgs,
    progress: &Progress,
    batch: bool,
) -> i32 {
    progress.finish();
    let code = render::batch_exit_code(&reports);
    emit(&render_all(&mut reports, output, batch));
    code
}

/// `decode`: the token link alone, offline.
pub fn decode(args: &DecodeArgs) -> Result<i32, UsageError> {
    let settings = settings(&args.output, args.audience.as_ref(), None)?;
    let text = read_token(args.token.as_deref())?;
    let started = Instant::now();
    let mut report = Report::new("decode", settings.now, settings.strict);
    let token = chain::walk_token(&mut report, &text, &settings);
    if let Some(token) = token {
        report.target = token
            .amurl()
            .and_then(|u| Target::from_url(u).ok())
            .map(|t| t.info());
    }
    chain::skip_the_rest(&mut report, DECODE_STAGES);
    report.elapsed = Some(started.elapsed());
    Ok(finish(
        vec![report],
        &args.output,
        &Progress::hidden(),
        false,
    ))
}

/// Reads `--metadata FILE|URL`.
fn metadata_source(arg: Option<&str>) -> Result<MetadataSource, UsageError> {
    let Some(arg) = arg else {
        return Ok(MetadataSource::Amurl);
    };
    crate::settings::refuse_token("--metadata", arg)?;
    if arg.starts_with("https://") || arg.starts_with("http://") {
        let target =
            Target::from_url(arg).map_err(|e| UsageError(format!("--metadata {arg}: {e}")))?;
        return Ok(MetadataSource::Url(target));
    }
    let path = arg.strip_prefix('@').unwrap_or(arg);
    // Read one byte past the cap, no more: `--metadata /dev/zero` (or a huge log
    // saved by mistake) must not exhaust memory.
    let cap = crate::metadata::MAX_DOCUMENT_BYTES;
    let mut body = Vec::new();
    fs::File::open(path)
        .and_then(|file| file.take(cap as u64 + 1).read_to_end(&mut body))
        .map_err(|e| {
            let problem = crate::text::io_problem(&e);
            UsageError(format!("--metadata {path}: cannot read it ({problem})"))
        })?;
    if body.len() > cap {
        return Err(UsageError(format!(
            "--metadata {path}: the file holds more than {} MiB, and an Exchange metadata document is a few KB: pass the saved document itself",
            cap >> 20
        )));
    }
    // A document saved with Windows PowerShell's `>` is UTF-16: read it as text.
    if body.starts_with(b"\xFF\xFE") || body.starts_with(b"\xFE\xFF") {
        body = input::text_of(&body).into_bytes();
    }
    Ok(MetadataSource::File {
        path: path.to_string(),
        body,
    })
}

/// One target of `probe`: a token (then its amurl), an amurl or a host.
pub(super) fn probe_one(
    text: &str,
    settings: &Settings,
    cache: &Cache,
    progress: &Progress,
) -> Report {
    let started = Instant::now();
    let mut report = Report::new("probe", settings.now, settings.strict);
    if let Some(address) = crate::mailbox::Address::parse(text) {
        probe_address(&mut report, &address, settings, cache, progress);
        report.elapsed = Some(started.elapsed());
        return report;
    }
    let mut stages = vec![
        Stage::Dns,
        Stage::Tcp,
        Stage::Tls,
        Stage::Http,
        Stage::Metadata,
        Stage::Ews,
    ];
    // A damaged token is judged as a token: as a host name it would be looked
    // up. So is a token glued to other text or inside a URL: it is never
    // resolved, fetched nor printed.
    // Percent-encoded into a URL, a token is judged as the token it is.
    let target = if let Some(token_text) = input::token_text(text) {
        stages.insert(0, Stage::Token);
        let token = chain::walk_token(&mut report, &token_text, settings);
        if let Some(token) = token.as_ref().filter(|t| t.is_entra()) {
            let key_link = false;
            entra_links(
                &mut report,
                token,
                settings,
                &MetadataSource::Amurl,
                progress,
                key_link,
            );
            ews_not_in_naa(&mut report);
            chain::skip_the_rest(&mut report, &stages);
            report.elapsed = Some(started.elapsed());
            return report;
        }
        token
            .and_then(|t| t.amurl().map(str::to_string))
            .and_then(|amurl| Target::from_url(&amurl).ok())
    } else {
        match Target::parse(text) {
            Ok(target) => {
                report.notes.extend(target.path_hint());
                Some(target)
            }
            Err(e) => {
                let shown = crate::text::excerpt(&input::hide_token_text(text.trim()), 120);
                // A URL that SSI would not fetch is an amurl problem; anything
                // else is input that names no target at all.
                report.push(if text.contains("://") {
                    Check::fail(
                        CheckId::TokenAmurl,
                        format!("`{shown}` is not a metadata URL SSI can fetch: {e}"),
                        Remedy::TokenAmurl,
                    )
                } else {
                    Check::fail(
                        CheckId::TokenInput,
                        format!("`{shown}` is neither a token, a URL nor a host name: {e}"),
                        Remedy::ProbeTarget,
                    )
                    .with_detail("looks_like", crate::token::looks_like(text).id())
                });
                stages.insert(0, Stage::Token);
                None
            }
        }
    };
    if let (Some(target), Some(net)) = (&target, &settings.net) {
        report.target = Some(target.info());
        if !report.broken_at_or_before(Stage::Token) {
            let probe_ews = true;
            let findings = cache.findings(target, || {
                chain::walk_network(
                    target,
                    net,
                    settings,
                    probe_ews,
                    &MetadataSource::Amurl,
                    progress,
                )
            });
            chain::conclude(&mut report, None, Some(&*findings), false, settings);
        }
    }
    chain::skip_the_rest(&mut report, &stages);
    report.elapsed = Some(started.elapsed());
    report
}

/// `probe ADDRESS`: the mailbox stage, then the chain it names, all within
/// one budget.
fn probe_address(
    report: &mut Report,
    address: &crate::mailbox::Address,
    settings: &Settings,
    cache: &Cache,
    progress: &Progress,
) {
    use crate::mailbox::Next;
    let Some(net) = &settings.net else {
        return;
    };
    let budget = crate::budget::Budget::new(net.timeout);
    let found = crate::mailbox::walk(address, net, &budget, progress);
    let stages: &[Stage] = if found.in_exchange_online() {
        &Stage::MAILBOX_ONLINE
    } else {
        &Stage::MAILBOX_ON_PREMISES
    };
    report.extend(found.checks);
    match &found.next {
        Next::Legacy(target) => {
            report.target = Some(target.info());
            let rest = NetSettings {
                timeout: budget.remaining(),
                ..net.clone()
            };
            let findings = cache.findings(target, || {
                chain::walk_network(
                    target,
                    &rest,
                    settings,
                    true,
                    &MetadataSource::Amurl,
                    progress,
                )
            });
            chain::conclude(report, None, Some(&findings), false, settings);
        }
        Next::Entra(discovery) => {
            report.target = Target::from_url(discovery.as_str()).ok().map(|t| t.info());
            let rest = NetSettings {
                timeout: budget.remaining(),
                ..net.clone()
            };
            // No token to compare the issuer with: the tenant found for the
            // domain is the one whose documents are judged.
            let findings =
                crate::entra::walk_entra_network(discovery, None, &rest, settings, progress);
            report.notes.extend(findings.notes);
            report.extend(findings.checks);
            report.skip_stage(Stage::Key, "the key links need a token");
            report.skip_stage(Stage::Ews, "not part of the NAA chain");
        }
        Next::Nothing => {}
    }
    chain::skip_the_rest(report, stages);
}

/// The progress line of a batch: `N/TOTAL done` when the list is a file
/// (counted first, offline), `N done` for standard input.
fn batch_progress(list: &str, format: crate::cli::Format) -> Progress {
    let progress = Progress::for_batch(format);
    if progress.is_shown() {
        if let Some(total) = batch::count_targets(list) {
            progress.set_total(total);
        }
    }
    progress
}

/// `probe TARGET`: fetch the metadata the way SSI does.
pub fn probe(args: &ProbeArgs) -> Result<i32, UsageError> {
    let net = NetSettings::from_args(&args.net.flags())?;
    let settings = settings(&args.output, args.audience.as_ref(), Some(net))?;
    let cache = Cache::default();
    if let Some(list) = &args.batch.batch {
        let progress = batch_progress(list, args.output.format);
        let job = batch::Job {
            source: list,
            jobs: args.batch.jobs,
            command: "probe",
            stages: PROBE_BATCH_STAGES,
            settings: &settings,
            progress: &progress,
        };
        let code = batch::run(&job, &args.output, |t| {
            probe_one(t, &settings, &cache, &progress)
        });
        progress.finish();
        return code;
    }
    let progress = Progress::for_terminal(args.output.format);
    let arg = args.target.as_deref().unwrap_or("-");
    let text = if arg == "-" || arg.starts_with('@') {
        read_token(Some(arg))?
    } else {
        refuse_file_path(arg)?;
        arg.to_string()
    };
    Ok(finish(
        vec![probe_one(&text, &settings, &cache, &progress)],
        &args.output,
        &progress,
        false,
    ))
}

/// A `probe` TARGET that is a file path (`C:\\…`, `./…`, `/…`, an existing
/// file) is a usage error pointing to `@PATH`: taken for a host, its name
/// would be looked up in public DNS, and the token in the file never read.
fn refuse_file_path(arg: &str) -> Result<(), UsageError> {
    let text = arg.trim();
    let bytes = text.as_bytes();
    let drive = bytes.len() >= 3
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && matches!(bytes[2], b'\\' | b'/');
    let path_like = ["./", "../", ".\\", "..\\", "~/", "~\\", "\\", "/"]
        .iter()
        .any(|prefix| text.starts_with(prefix));
    let existing = !text.contains("://") && std::path::Path::new(text).is_file();
    if drive || path_like || existing {
        return Err(UsageError(format!(
            "`{text}` is a file path, not a target: to read the token in a file, pass @{text} \
             (in PowerShell '@{text}')"
        )));
    }
    Ok(())
}

/// `keys`: the x5t, the certificate and the signature, offline with a saved document.
pub fn keys(args: &KeysArgs) -> Result<i32, UsageError> {
    let source = metadata_source(args.metadata.as_deref())?;
    let net = match &source {
        MetadataSource::File { .. } => None,
        _ => Some(NetSettings::from_args(&args.net.flags())?),
    };
    let settings = settings(&args.output, args.audience.as_ref(), net)?;
    let text = read_token(args.token.as_deref())?;
    let progress = Progress::for_terminal(args.output.format);
    let probe_ews = false;
    let report = token_chain(
        "keys",
        &text,
        &settings,
        &source,
        probe_ews,
        &Cache::default(),
        &progress,
    );
    Ok(finish(vec![report], &args.output, &progress, false))
}

/// The token, the network links (EWS when `probe_ews`), the metadata and the key link.
pub(super) fn token_chain(
    command: &'static str,
    text: &str,
    settings: &Settings,
    source: &MetadataSource,
    probe_ews: bool,
    cache: &Cache,
    progress: &Progress,
) -> Report {
    let started = Instant::now();
    let mut report = Report::new(command, settings.now, settings.strict);
    // `diagnose ADDRESS` (a `--batch` line, say) walks the mailbox's chain.
    if let (Some(address), true) = (crate::mailbox::Address::parse(text), command != "keys") {
        probe_address(&mut report, &address, settings, cache, progress);
        report.elapsed = Some(started.elapsed());
        return report;
    }
    let token = chain::walk_token(&mut report, text, settings);
    let mut stages: Vec<Stage> = if command == "keys" {
        KEYS_STAGES.to_vec()
    } else {
        Stage::TOKEN_CHAIN.to_vec()
    };
    if let Some(token) = token.as_ref().filter(|t| t.is_entra()) {
        let key_link = true;
        entra_links(&mut report, token, settings, source, progress, key_link);
        if command != "keys" {
            ews_not_in_naa(&mut report);
        } else if !matches!(source, MetadataSource::File { .. }) {
            stages = Stage::TOKEN_CHAIN[..Stage::TOKEN_CHAIN.len() - 1].to_vec();
        }
        chain::skip_the_rest(&mut report, &stages);
        report.elapsed = Some(started.elapsed());
        return report;
    }
    let target = token
        .as_ref()
        .and_then(|t| t.amurl())
        .and_then(|u| Target::from_url(u).ok());
    if let Some(target) = &target {
        report.target = Some(target.info());
    }
    // `keys --metadata URL` fetches that URL and nothing else: the amurl's
    // links are not its business (and may well be what is broken), so the URL
    // is walked as the target, its document standing in for the amurl's.
    // `diagnose` walks the amurl's links as SSI does and only takes the
    // document from the URL.
    let (walked, source) = match (command, source) {
        ("keys", MetadataSource::Url(other)) => {
            report.notes.push(format!(
                "the metadata was fetched from {} (--metadata), not from the token's amurl: \
                 the network links below are that URL's",
                other.url
            ));
            (Some(other), &MetadataSource::Amurl)
        }
        _ => (target.as_ref(), source),
    };
    let findings: Option<Arc<NetworkFindings>> = if report.broken_at_or_before(Stage::Token) {
        None
    } else {
        match (source, &settings.net, walked) {
            (MetadataSource::File { .. }, None, _) => {
                Some(Arc::new(offline_findings(source, settings)))
            }
            (_, Some(net), Some(walked)) => {
                if command == "keys" {
                    stages = Stage::TOKEN_CHAIN[..Stage::TOKEN_CHAIN.len() - 1].to_vec();
                }
                Some(cache.findings(walked, || {
                    chain::walk_network(walked, net, settings, probe_ews, source, progress)
                }))
            }
            _ => None,
        }
    };
    chain::conclude(
        &mut report,
        token.as_ref(),
        findings.as_deref(),
        true,
        settings,
    );
    chain::skip_the_rest(&mut report, &stages);
    report.elapsed = Some(started.elapsed());
    report
}

/// The links of an Entra token's chain (nested app authentication): the
/// network links on its discovery document and key set (or the key set
/// `source` names), then the key link when `key_link`.
fn entra_links(
    report: &mut Report,
    token: &crate::token::Token,
    settings: &Settings,
    source: &MetadataSource,
    progress: &Progress,
    key_link: bool,
) {
    let discovery = token.discovery_url();
    if let Some(target) = discovery
        .as_ref()
        .and_then(|d| Target::from_url(d.as_str()).ok())
    {
        report.target = Some(target.info());
    }
    if report.broken_at_or_before(Stage::Token) {
        return;
    }
    let findings = match (source, &settings.net, &discovery) {
        (MetadataSource::File { path, body }, _, _) => {
            report.notes.push(format!(
                "the key set was read from {path}: no network link was checked"
            ));
            Some(crate::entra::offline_findings(path, body, settings.now))
        }
        (MetadataSource::Url(other), Some(net), _) => {
            report.notes.push(format!(
                "the key set was fetched from {} (--metadata), not found from the token's iss",
                other.url
            ));
            Some(crate::entra::fetched_findings(
                &other.url,
                net,
                settings.now,
            ))
        }
        (MetadataSource::Amurl, Some(net), Some(discovery)) => {
            let expected = token.expected_issuer();
            Some(crate::entra::walk_entra_network(
                discovery,
                expected.as_ref(),
                net,
                settings,
                progress,
            ))
        }
        _ => None,
    };
    let Some(findings) = findings else {
        return;
    };
    report.notes.extend(findings.notes.iter().cloned());
    report.extend(findings.checks.iter().cloned());
    let broken = report.broken_at_or_before(Stage::Metadata);
    if let (true, false, Some(jwks)) = (key_link, broken, &findings.jwks) {
        let claims = token.claims();
        let text = |name| claims.get(name).and_then(serde_json::Value::as_str);
        let signed = crate::entra::key::SignedToken {
            kid: token.kid(),
            iss: text("iss").unwrap_or_default(),
            tid: text("tid").unwrap_or_default(),
            signing_input: token.signing_input(),
            signature: token.signature().unwrap_or_default(),
        };
        report.extend(crate::entra::key::judge(&signed, jwks, settings.now));
    }
}

/// `ews.reachable` of an Entra token: not part of its chain.
fn ews_not_in_naa(report: &mut Report) {
    report.push(Check::skip(
        CheckId::EwsReachable,
        "not part of the NAA chain (an Entra ID token)",
    ));
}

/// The metadata link judged on a saved document, no network.
fn offline_findings(source: &MetadataSource, settings: &Settings) -> NetworkFindings {
    let (checks, document) = match source {
        MetadataSource::File { body, .. } => {
            let outcome = crate::metadata::judge(body, settings.now);
            (outcome.checks, outcome.document.map(std::sync::Arc::new))
        }
        _ => (Vec::new(), None),
    };
    NetworkFindings {
        checks,
        document,
        notes: vec![
            "the metadata document was read from a file: no network link was checked".to_string(),
        ],
    }
}

/// `diagnose`: every link, one verdict.
pub fn diagnose(args: &DiagnoseArgs) -> Result<i32, UsageError> {
    let source = metadata_source(args.metadata.as_deref())?;
    let net = NetSettings::from_args(&args.net.flags())?;
    let settings = settings(&args.output, args.audience.as_ref(), Some(net))?;
    let cache = Cache::default();
    let probe_ews = true;
    if let Some(list) = &args.batch.batch {
        let progress = batch_progress(list, args.output.format);
        let job = batch::Job {
            source: list,
            jobs: args.batch.jobs,
            command: "diagnose",
            stages: &Stage::TOKEN_CHAIN,
            settings: &settings,
            progress: &progress,
        };
        // The same lines as probe's: a line that holds no token (an amurl, a
        // host) is probed, and the links only a token can show are skipped.
        let code = batch::run(&job, &args.output, |t| {
            if input::contains_jwt(t) || input::holds_token(t) {
                return token_chain(
                    "diagnose", t, &settings, &source, probe_ews, &cache, &progress,
                );
            }
            let mut report = probe_one(t, &settings, &cache, &progress);
            report.command = "diagnose";
            for stage in [Stage::Token, Stage::Key] {
                report.skip_stage(stage, "skipped: this batch line names no token");
            }
            report
        });
        progress.finish();
        return code;
    }
    let progress = Progress::for_terminal(args.output.format);
    let text = read_token(args.token.as_deref())?;
    Ok(finish(
        vec![token_chain(
            "diagnose", &text, &settings, &source, probe_ews, &cache, &progress,
        )],
        &args.output,
        &progress,
        false,
    ))
}
