//! `--batch`: many targets, worked on `--jobs` at a time, reported in input
//! order, with each metadata URL's network links walked once.

use std::collections::HashMap;
use std::io::{self, Read};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;

use crate::chain::NetworkFindings;
use crate::report::Report;
use crate::settings::UsageError;
use crate::target::Target;

/// Network findings per metadata URL, shared by every target that names it.
#[derive(Default)]
pub struct Cache {
    entries: Mutex<HashMap<String, Arc<OnceLock<NetworkFindings>>>>,
}

impl Cache {
    /// The findings for `target`, walking the network only for the first target that asks.
    pub fn findings(
        &self,
        target: &Target,
        walk: impl FnOnce() -> NetworkFindings,
    ) -> NetworkFindings {
        let slot = {
            let mut entries = self
                .entries
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            Arc::clone(entries.entry(target.url.to_string()).or_default())
        };
        slot.get_or_init(walk).clone()
    }
}

/// Reads the targets of `--batch FILE` (`-` for standard input): one per line,
/// blank lines and `#` comments skipped.
pub fn read_targets(source: &str) -> Result<Vec<String>, UsageError> {
    let text = if source == "-" {
        let mut text = String::new();
        io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| UsageError(format!("--batch -: cannot read standard input ({e})")))?;
        text
    } else {
        let bytes = std::fs::read(source)
            .map_err(|e| UsageError(format!("--batch {source}: cannot read it ({e})")))?;
        String::from_utf8_lossy(&bytes).into_owned()
    };
    let targets: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(str::to_string)
        .collect();
    if targets.is_empty() {
        // A health check pointed at an empty list must not pass without checking anything.
        return Err(UsageError(format!(
            "--batch {source}: no targets (every line is blank or a # comment); give one token, amurl or host per line"
        )));
    }
    Ok(targets)
}

/// Runs `work` on every target, `jobs` at a time; the reports come back in input order.
pub fn run_all<F>(targets: &[String], jobs: u16, work: F) -> Vec<Report>
where
    F: Fn(&str) -> Report + Sync,
{
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Report>>> = targets.iter().map(|_| Mutex::new(None)).collect();
    let workers = usize::from(jobs).clamp(1, targets.len().max(1));
    thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(target) = targets.get(index) else {
                    break;
                };
                let report = work(target);
                if let Ok(mut slot) = slots[index].lock() {
                    *slot = Some(report);
                }
            });
        }
    });
    slots
        .into_iter()
        .filter_map(|slot| slot.into_inner().ok().flatten())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::OffsetDateTime;

    #[test]
    fn results_keep_input_order_whatever_the_jobs() {
        let targets: Vec<String> = (0..40).map(|i| format!("t{i}")).collect();
        for jobs in [1, 3, 8] {
            let reports = run_all(&targets, jobs, |t| {
                let mut r = Report::new("probe", OffsetDateTime::UNIX_EPOCH, false);
                r.notes.push(t.to_string());
                r
            });
            let order: Vec<&str> = reports.iter().map(|r| r.notes[0].as_str()).collect();
            let expected: Vec<&str> = targets.iter().map(String::as_str).collect();
            assert_eq!(order, expected);
        }
    }

    #[test]
    fn an_empty_batch_is_a_usage_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("targets.txt");
        std::fs::write(&path, "# only a comment\n\n   \n").expect("write");
        let error = read_targets(&path.to_string_lossy()).expect_err("no targets");
        assert!(error.0.contains("no targets"), "{error}");
        std::fs::write(&path, "# hosts\nmail.contoso.com\n\n  https://x.test/a  \n")
            .expect("write");
        let targets = read_targets(&path.to_string_lossy()).expect("targets");
        assert_eq!(targets, vec!["mail.contoso.com", "https://x.test/a"]);
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
}
