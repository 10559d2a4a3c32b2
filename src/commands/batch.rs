//! `--batch`: many targets, worked on `--jobs` at a time, each report written
//! in input order as soon as it and those before it are done, with each
//! metadata URL's network links walked once.
//!
//! Memory stays flat whatever the length of the list (contract, "Batch
//! bounds"): the list is read as the workers ask for targets ([`read`]), a
//! report is dropped once written, and workers run at most two lists' worth of
//! `--jobs` ahead of the first report not yet written, so a stalled target holds
//! back a bounded number of finished ones. That window is at least `--jobs`, so
//! the whole run stays within ceil(targets / jobs) × (timeout + 1 s).

mod print;
mod read;
mod spill;
mod stop;

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, Read};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use crate::chain::{self, NetworkFindings};
use crate::cli::OutputArgs;
use crate::progress::{self, Progress};
use crate::remedy::Remedy;
use crate::render::batch::target_name;
use crate::report::{Check, CheckId, Report, Stage};
use crate::settings::{Settings, UsageError};
use crate::target::Target;

use super::complain;
use print::{Preparer, Printer};
use read::{BatchReader, Entry};

/// How many metadata URLs keep their network findings for the targets after
/// them: tokens of one host share one walk however they are spread through a
/// list of a few hundred hosts, and a list of a million distinct hosts does not
/// keep a million walks.
const CACHE_CAPACITY: usize = 256;

/// How often the writer looks for Ctrl-C or SIGTERM while no report arrives.
const SIGNAL_POLL: Duration = Duration::from_millis(100);

/// Network findings per metadata URL, shared by every target that names it
/// (the [`CACHE_CAPACITY`] URLs used last).
pub struct Cache {
    entries: Mutex<Entries>,
    capacity: usize,
}

/// One URL's findings, walked by the first target that asks.
type Slot = Arc<OnceLock<Arc<NetworkFindings>>>;

#[derive(Default)]
struct Entries {
    slots: HashMap<String, (Slot, u64)>,
    clock: u64,
}

impl Default for Cache {
    fn default() -> Self {
        Cache::with_capacity(CACHE_CAPACITY)
    }
}

impl Cache {
    fn with_capacity(capacity: usize) -> Self {
        Cache {
            entries: Mutex::default(),
            capacity: capacity.max(1),
        }
    }

    /// The findings for `target`, walking the network only for the first target
    /// that asks. Every target of one URL shares them: not copied per target,
    /// each report copies only the checks it adds.
    pub fn findings(
        &self,
        target: &Target,
        walk: impl FnOnce() -> NetworkFindings,
    ) -> Arc<NetworkFindings> {
        let slot = {
            let mut entries = lock(&self.entries);
            entries.clock += 1;
            let now = entries.clock;
            let key = target.url.to_string();
            let slot = {
                let (slot, used) = entries.slots.entry(key.clone()).or_default();
                *used = now;
                Arc::clone(slot)
            };
            if entries.slots.len() > self.capacity {
                let oldest = entries
                    .slots
                    .iter()
                    .filter(|(url, _)| **url != key)
                    .min_by_key(|(_, (_, used))| *used)
                    .map(|(url, _)| url.clone());
                if let Some(oldest) = oldest {
                    entries.slots.remove(&oldest);
                }
            }
            slot
        };
        Arc::clone(slot.get_or_init(|| Arc::new(walk())))
    }
}

/// A lock that a panic elsewhere does not make unusable: what it guards is
/// left consistent at every point a panic could happen.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What a batch runs, besides its list.
pub struct Job<'a> {
    /// `--batch FILE`, `-` for standard input.
    pub source: &'a str,
    /// `--jobs`.
    pub jobs: u16,
    /// The command each report is from.
    pub command: &'static str,
    /// The links each report covers (the token link included).
    pub stages: &'a [Stage],
    /// The command's settings.
    pub settings: &'a Settings,
    /// The progress line, or nothing.
    pub progress: &'a Progress,
}

/// One finished target, waiting for its turn to be written.
pub struct Done {
    /// The batch line it started on.
    pub line: usize,
    /// What it is called (see [`target_name`]).
    pub name: String,
    /// Its report.
    pub report: Report,
    /// Its wall time, in seconds.
    pub seconds: f64,
    /// Its text, when the worker could render it (see [`print::Preparer`]).
    pub rendered: Option<String>,
}

/// Opens `--batch SOURCE`.
fn open(source: &str) -> Result<Box<dyn Read + Send>, UsageError> {
    if source == "-" {
        return Ok(Box::new(io::stdin()));
    }
    match File::open(source) {
        Ok(file) => Ok(Box::new(file)),
        Err(e) => {
            let why = match e.kind() {
                io::ErrorKind::NotFound => "there is no such file".to_string(),
                io::ErrorKind::PermissionDenied => "permission denied".to_string(),
                _ => e.to_string(),
            };
            Err(UsageError(format!(
                "--batch {source}: cannot read it: {why}"
            )))
        }
    }
}

/// How many targets the file `source` lists, for the progress line; `None`
/// for standard input or a pipe (they can be read only once) or a list that
/// cannot be read through.
pub fn count_targets(source: &str) -> Option<u64> {
    if source == "-" || !std::fs::metadata(source).is_ok_and(|m| m.is_file()) {
        return None;
    }
    let mut reader = BatchReader::new(open(source).ok()?).ok()?;
    let mut count = 0;
    while reader.next_entry().ok()?.is_some() {
        count += 1;
    }
    Some(count)
}

/// Where the workers and the writer meet.
struct State {
    reader: BatchReader,
    /// The index the next target read gets.
    next: usize,
    /// How many reports are written.
    written: usize,
    /// Take no more targets: the list is unreadable or nobody reads the output.
    stop: bool,
    /// The list is read to its end.
    ended: bool,
    error: Option<read::ReadError>,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

/// Runs `work` on every target of `job.source`, `job.jobs` at a time, writing
/// each report in input order as soon as it is its turn; returns the exit code
/// of the first target, in input order, whose verdict is not healthy (0 when
/// all are). A list that cannot be read on is a usage error, after the reports
/// already finished are written. Ctrl-C or SIGTERM ends the run at once (see
/// [`stop`]), with what was finished written and the document closed.
pub fn run<W>(job: &Job<'_>, output: &OutputArgs, work: W) -> Result<i32, UsageError>
where
    W: Fn(&str) -> Report + Sync,
{
    let reader =
        BatchReader::new(open(job.source)?).map_err(|e| UsageError(e.message(job.source)))?;
    let jobs = usize::from(job.jobs).max(1);
    let window = jobs * 2;
    let shared = Shared {
        state: Mutex::new(State {
            reader,
            next: 0,
            written: 0,
            stop: false,
            ended: false,
            error: None,
        }),
        wake: Condvar::new(),
    };
    let mut printer = Printer::new(output, job.progress);
    stop::catch();
    let preparer = printer.preparer().clone();
    let mut code = 0;
    let mut written = 0;
    thread::scope(|scope| {
        let (sender, finished) = mpsc::channel::<(usize, Done)>();
        for _ in 0..jobs {
            let sender = sender.clone();
            let (shared, work, preparer) = (&shared, &work, &preparer);
            scope.spawn(move || worker(shared, window, job, work, preparer, sender));
        }
        drop(sender);
        let mut waiting: BTreeMap<usize, Done> = BTreeMap::new();
        loop {
            if let Some(signal_code) = stop::exit_code() {
                stopped(&shared, &mut printer, written, signal_code);
            }
            let (index, done) = match finished.recv_timeout(SIGNAL_POLL) {
                Ok(next) => next,
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => break,
            };
            waiting.insert(index, done);
            while let Some(done) = waiting.remove(&written) {
                if code == 0 {
                    code = done.report.verdict().exit_code();
                }
                let still_read = printer.target(done);
                written += 1;
                let mut state = lock(&shared.state);
                state.written = written;
                state.stop |= !still_read;
                drop(state);
                shared.wake.notify_all();
            }
        }
    });
    let state = shared
        .state
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if written > 0 {
        printer.finish();
    }
    if let Some(error) = state.error {
        return Err(UsageError(error.message(job.source)));
    }
    if written == 0 {
        // A health check pointed at an empty list must not pass without checking anything.
        return Err(UsageError(format!(
            "--batch {}: no targets (every line is blank or a # comment); give one token, amurl or host per line",
            job.source
        )));
    }
    Ok(code)
}

/// Ends a run stopped by a signal: no target started any more, the document
/// closed on the reports written, the exit code the signal's. The targets under
/// way are not waited for: their network budget may be long.
fn stopped(shared: &Shared, printer: &mut Printer<'_>, written: usize, code: i32) -> ! {
    lock(&shared.state).stop = true;
    printer.finish();
    printer.clear_progress();
    complain(&format!(
        "stopped by {}: {written} target(s) written, no more started",
        stop::name(code)
    ));
    std::process::exit(code)
}

/// Takes targets in input order, while the window allows, and works on them.
fn worker<W>(
    shared: &Shared,
    window: usize,
    job: &Job<'_>,
    work: &W,
    preparer: &Preparer,
    finished: mpsc::Sender<(usize, Done)>,
) where
    W: Fn(&str) -> Report + Sync,
{
    loop {
        let (index, entry) = {
            let mut state = lock(&shared.state);
            while !state.stop && !state.ended && state.next >= state.written + window {
                state = shared
                    .wake
                    .wait(state)
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
            }
            if state.stop || state.ended {
                return;
            }
            match state.reader.next_entry() {
                Ok(Some(entry)) => {
                    state.next += 1;
                    (state.next - 1, entry)
                }
                Ok(None) => {
                    state.ended = true;
                    shared.wake.notify_all();
                    return;
                }
                Err(error) => {
                    state.error = Some(error);
                    state.stop = true;
                    shared.wake.notify_all();
                    return;
                }
            }
        };
        let mut done = work_on(entry, job, work);
        preparer.prepare(&mut done);
        job.progress.target_done();
        if finished.send((index, done)).is_err() {
            return;
        }
    }
}

/// One entry's report: the work's, or a refusal for a piece of a token, or
/// (when the work panicked) an `error` check saying so, without the payload.
fn work_on<W>(entry: Entry, job: &Job<'_>, work: &W) -> Done
where
    W: Fn(&str) -> Report + Sync,
{
    let started = Instant::now();
    let (line, report, given) = match entry {
        Entry::Piece { line } => (line, piece_report(line, job), None),
        Entry::Target { line, text } => {
            let report = isolated(job.progress, || work(&text))
                .unwrap_or_else(|stage| panic_report(stage, job));
            (line, report, Some(text))
        }
    };
    Done {
        name: target_name(&report, given.as_deref(), line),
        line,
        report,
        seconds: started.elapsed().as_secs_f64(),
        rendered: None,
    }
}

/// Runs one target's work; a panic in it comes back as the link that was
/// under way, so that one target's defect does not end the batch.
fn isolated(progress: &Progress, work: impl FnOnce() -> Report) -> Result<Report, Stage> {
    progress.begin_target();
    catch_unwind(AssertUnwindSafe(work)).map_err(|_| progress::link_under_way())
}

fn new_report(job: &Job<'_>) -> Report {
    Report::new(job.command, job.settings.now, job.settings.strict)
}

/// The report of a line refused as part of a token: its line, never its text.
fn piece_report(line: usize, job: &Job<'_>) -> Report {
    let mut report = new_report(job);
    report.push(
        Check::fail(
            CheckId::TokenInput,
            format!(
                "line {line} of the batch list is part of a token folded over several lines, \
                 not a target: it was neither checked nor shown"
            ),
            Remedy::BatchTokenPiece,
        )
        .with_detail("looks_like", "jwt-fragment")
        .with_detail("line", line),
    );
    chain::skip_the_rest(&mut report, job.stages);
    report
}

/// The report of a target whose work panicked while on `stage`.
fn panic_report(stage: Stage, job: &Job<'_>) -> Report {
    let mut report = new_report(job);
    let id = CheckId::of_stage(stage)
        .first()
        .copied()
        .unwrap_or(CheckId::TokenInput);
    report.push(
        Check::error(
            id,
            format!(
                "idtoken-doctor failed on this target while checking the {stage} link (an \
                 internal error): nothing more was judged for it"
            ),
            Remedy::InternalError,
        )
        .with_detail("cause", "internal-error"),
    );
    chain::skip_the_rest(&mut report, job.stages);
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use time::OffsetDateTime;

    fn settings() -> Settings {
        Settings {
            now: OffsetDateTime::UNIX_EPOCH,
            strict: false,
            audience: None,
            net: None,
        }
    }

    #[test]
    fn a_panic_in_one_target_is_an_error_check_without_its_payload() {
        let settings = settings();
        let progress = Progress::hidden();
        let job = Job {
            source: "-",
            jobs: 1,
            command: "probe",
            stages: &Stage::TOKEN_CHAIN,
            settings: &settings,
            progress: &progress,
        };
        let secret = "eyJsecret-payload";
        let hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let done = work_on(
            Entry::Target {
                line: 4,
                text: "mail.contoso.com".into(),
            },
            &job,
            &|_: &str| -> Report {
                progress.stage(Stage::Tls, "mail.contoso.com");
                panic!("{secret}")
            },
        );
        std::panic::set_hook(hook);
        let check = done
            .report
            .get(CheckId::TlsHandshake)
            .expect("tls.handshake");
        assert_eq!(check.status, crate::report::Status::Error);
        assert!(
            check.summary.contains("internal error"),
            "{}",
            check.summary
        );
        assert_eq!(done.report.verdict().exit_code(), 3);
        assert!(!format!("{:?}", done.report).contains("secret"));
        assert_eq!(done.name, "mail.contoso.com");
        assert_eq!(done.line, 4);
        // Every other check is skipped, none is left out.
        assert_eq!(
            done.report.checks().len(),
            CheckId::ALL.len() - CheckId::of_stage(Stage::Mailbox).len()
        );

        // The next target runs as usual.
        let next = work_on(
            Entry::Target {
                line: 5,
                text: "x".into(),
            },
            &job,
            &|_: &str| new_report(&job),
        );
        assert!(next.report.checks().is_empty());
    }

    #[test]
    fn a_piece_is_refused_by_its_line_alone() {
        let settings = settings();
        let progress = Progress::hidden();
        let job = Job {
            source: "-",
            jobs: 1,
            command: "diagnose",
            stages: &Stage::TOKEN_CHAIN,
            settings: &settings,
            progress: &progress,
        };
        let done = work_on(Entry::Piece { line: 9 }, &job, &|_: &str| -> Report {
            panic!("a piece is never worked on")
        });
        let check = done.report.get(CheckId::TokenInput).expect("token.input");
        assert!(check
            .summary
            .starts_with("line 9 of the batch list is part of a token"));
        assert_eq!(check.details["looks_like"], "jwt-fragment");
        assert_eq!(done.report.verdict().exit_code(), 10);
        assert_eq!(done.name, "line 9: part of a token");
    }

    #[test]
    fn the_cache_walks_each_url_once() {
        let cache = Cache::default();
        let calls = AtomicUsize::new(0);
        let target = Target::parse("mail.contoso.com").expect("target");
        thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    cache.findings(&target, || {
                        calls.fetch_add(1, Ordering::SeqCst);
                        NetworkFindings {
                            checks: Vec::new(),
                            document: None,
                            notes: Vec::new(),
                        }
                    })
                });
            }
        });
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn the_targets_of_one_url_share_its_findings_without_copies() {
        let cache = Cache::default();
        let target = Target::parse("mail.contoso.com").expect("target");
        let walk = || NetworkFindings {
            checks: Vec::new(),
            document: None,
            notes: vec!["a note".into()],
        };
        let first = cache.findings(&target, walk);
        let second = cache.findings(&target, walk);
        assert!(Arc::ptr_eq(&first, &second));
        assert_eq!(second.notes, ["a note"]);
    }

    #[test]
    fn the_cache_keeps_the_urls_used_last_and_no_more() {
        let cache = Cache::with_capacity(2);
        let calls = AtomicUsize::new(0);
        let walk = || {
            calls.fetch_add(1, Ordering::SeqCst);
            NetworkFindings {
                checks: Vec::new(),
                document: None,
                notes: Vec::new(),
            }
        };
        let [a, b, c] = ["a.test", "b.test", "c.test"].map(|h| Target::parse(h).expect(h));
        cache.findings(&a, walk);
        cache.findings(&b, walk);
        cache.findings(&a, walk);
        assert_eq!(calls.load(Ordering::SeqCst), 2, "a is kept");
        cache.findings(&c, walk);
        assert_eq!(lock(&cache.entries).slots.len(), 2);
        cache.findings(&a, walk);
        assert_eq!(
            calls.load(Ordering::SeqCst),
            3,
            "a was used last before c: kept"
        );
        cache.findings(&b, walk);
        assert_eq!(calls.load(Ordering::SeqCst), 4, "b was dropped");
    }
}
