//! A batch's Prometheus samples, kept in temporary files until the end.
//!
//! The exposition format wants each metric's samples in one group, so none
//! can be written before the last target is done; keeping them in memory grew
//! by a few kilobytes per target (867 MB for 100,000 hosts). Each metric's
//! lines go to a temporary file of their own as each target is written, and
//! the end copies them out in turn, after their `# HELP` and `# TYPE` lines:
//! memory stays flat, as for JSON. The files are unnamed (removed by the
//! system when the run ends, however it ends). Where none can be made, the
//! samples are kept in memory, as before, and the run says so.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Seek, Write};

use crate::render::prometheus::{headers, Exposition, FAMILY_COUNT};
use crate::report::Report;

/// The size of each file's write buffer and of the pieces copied out at the end.
const CHUNK: usize = 64 * 1024;

/// The samples of a batch's targets, per metric.
pub struct Spill {
    /// Gives each target its distinct label and, without files, keeps the samples.
    exposition: Exposition,
    /// One file per metric; `None` when they could not be made.
    files: Option<Vec<BufWriter<File>>>,
}

impl Spill {
    /// Temporary files for every metric, or memory when they cannot be made.
    pub fn new() -> Self {
        let files = (0..FAMILY_COUNT)
            .map(|_| tempfile::tempfile().map(|file| BufWriter::with_capacity(CHUNK, file)))
            .collect::<io::Result<Vec<_>>>();
        let files = match files {
            Ok(files) => Some(files),
            Err(e) => {
                super::complain(&format!(
                    "cannot make a temporary file ({e}): the Prometheus samples are kept in memory until the end"
                ));
                None
            }
        };
        Spill {
            exposition: Exposition::new(),
            files,
        }
    }

    /// Adds one target's samples; an error writing them is the run's end
    /// (the exposition could no longer be whole).
    pub fn add(&mut self, report: &Report) -> io::Result<()> {
        let Some(files) = &mut self.files else {
            self.exposition.add(report);
            return Ok(());
        };
        for (file, lines) in files.iter_mut().zip(self.exposition.lines(report)) {
            file.write_all(lines.as_bytes())?;
        }
        Ok(())
    }

    /// Writes the exposition through `write`, a piece at a time: each metric
    /// with samples, its `# HELP` and `# TYPE` lines, then its samples in the
    /// order the targets were added. Stops when `write` returns `false`.
    pub fn finish(self, write: &mut dyn FnMut(&str) -> bool) -> io::Result<()> {
        let Some(files) = self.files else {
            write(&self.exposition.finish());
            return Ok(());
        };
        for (header, file) in headers().iter().zip(files) {
            let mut file = file.into_inner().map_err(|e| e.into_error())?;
            if file.stream_position()? == 0 {
                continue;
            }
            file.rewind()?;
            if !write(header) {
                return Ok(());
            }
            let mut reader = BufReader::with_capacity(CHUNK, file);
            let mut piece = String::with_capacity(CHUNK + 1024);
            loop {
                let read = reader.read_line(&mut piece)?;
                if read == 0 || piece.len() >= CHUNK {
                    if !piece.is_empty() && !write(&piece) {
                        return Ok(());
                    }
                    piece.clear();
                }
                if read == 0 {
                    break;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remedy::Remedy;
    use crate::render::prometheus::prometheus;
    use crate::report::{Check, CheckId, TargetInfo};
    use time::OffsetDateTime;

    fn report(host: &str, healthy: bool) -> Report {
        let mut report = Report::new("probe", OffsetDateTime::UNIX_EPOCH, false);
        report.target = Some(TargetInfo {
            amurl: format!("https://{host}/autodiscover/metadata/json/1"),
            host: host.to_string(),
            port: 443,
        });
        if !healthy {
            report.push(Check::fail(
                CheckId::TlsTrust,
                "untrusted",
                Remedy::InternalError,
            ));
        }
        report
    }

    #[test]
    fn the_spilled_exposition_is_the_one_kept_in_memory() {
        let reports: Vec<Report> = (0..3000)
            .map(|i| report(&format!("h{}.contoso.test", i % 2000), i % 3 == 0))
            .collect();
        let mut spill = Spill::new();
        assert!(spill.files.is_some(), "temporary files can be made here");
        for one in &reports {
            spill.add(one).expect("spilled");
        }
        let mut out = String::new();
        spill
            .finish(&mut |piece| {
                out.push_str(piece);
                true
            })
            .expect("copied out");
        assert_eq!(out, prometheus(&reports));
        assert!(out.len() > 2 * CHUNK, "the copy goes piece by piece");
    }
}
