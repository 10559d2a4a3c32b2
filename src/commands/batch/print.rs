//! Writing a batch as it finishes: each report in its format as soon as it is
//! its turn, then what closes the batch (the summary table for people, the end
//! of the JUnit document). Only what the closing needs is kept: one summary row
//! per target for the human and Markdown formats, and for JUnit a hash of each
//! suite name, to keep the names distinct.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::cli::{Format, OutputArgs};
use crate::progress::Progress;
use crate::render::batch::{human_block, human_summary, markdown_summary, SummaryRow};
use crate::render::{self, junit, RenderOptions};
use crate::report::Report;

use super::super::output::{complain, options, write_out};
use super::spill::Spill;
use super::Done;

/// What can be done to a finished target before its turn, on the thread that
/// worked on it: redaction, and the whole text of a format that needs nothing
/// from the targets before it (JSON), so that writing in input order is not
/// one thread rendering every report.
#[derive(Debug, Clone)]
pub struct Preparer {
    format: Format,
    redact: bool,
    opts: RenderOptions,
}

impl Preparer {
    /// Redacts `done` under `--redact` and, in JSON, renders its line.
    pub fn prepare(&self, done: &mut Done) {
        if self.redact {
            render::redact(&mut done.report);
            // A target is named as given only when it is no token; one with an
            // `@` in it may be an e-mail address typed for a host: name its line.
            if done.name.contains('@') {
                done.name = format!("line {}", done.line);
            }
        }
        if self.format == Format::Json {
            done.rendered = Some(self.json_line(&done.report));
        }
    }

    /// `report` as a batch's JSON line, through the renderers' own entry, so
    /// that whatever they do to a whole output (escaping, symbols) a batch
    /// gets too.
    fn json_line(&self, report: &Report) -> String {
        render::render_reports(std::slice::from_ref(report), Format::Json, true, &self.opts)
    }
}

/// Writes a batch's reports one by one.
pub struct Printer<'a> {
    format: Format,
    opts: RenderOptions,
    preparer: Preparer,
    progress: &'a Progress,
    /// The Prometheus format groups every target's samples per metric, so a
    /// batch's series are gathered (in temporary files) and written at the end.
    spill: Option<Spill>,
    /// How many reports were written.
    written: usize,
    rows: Vec<SummaryRow>,
    /// The distinct names of the rows.
    row_names: HashSet<Arc<str>>,
    /// Hashes of the JUnit suite names written.
    names: HashSet<u64>,
    /// Whether anybody still reads the output.
    open: bool,
}

impl<'a> Printer<'a> {
    /// A printer for the format and options of `output`.
    pub fn new(output: &OutputArgs, progress: &'a Progress) -> Self {
        let opts = options(output);
        Printer {
            format: output.format,
            preparer: Preparer {
                format: output.format,
                redact: output.redact,
                opts,
            },
            opts,
            progress,
            spill: (output.format == Format::Prometheus).then(Spill::new),
            written: 0,
            rows: Vec::new(),
            row_names: HashSet::new(),
            names: HashSet::new(),
            open: true,
        }
    }

    /// What the workers do to their targets before handing them over.
    pub fn preparer(&self) -> &Preparer {
        &self.preparer
    }

    /// Writes one finished target, already through [`Preparer::prepare`];
    /// `false` once nobody reads the output (a closed pipe), so that the batch
    /// can stop.
    pub fn target(&mut self, done: Done) -> bool {
        let first = self.written == 0;
        self.written += 1;
        let report = &done.report;
        let text = match (self.format, done.rendered.as_deref()) {
            (_, Some(rendered)) => return self.write(rendered),
            (Format::Json, None) => self.preparer.json_line(report),
            (Format::Junit, None) => {
                let name = self.distinct(&done.name, done.line);
                let open = if first { junit::open() } else { String::new() };
                open + &junit::suite(report, &name, done.seconds, &self.opts)
            }
            (Format::Human, None) => {
                let gap = if first { "" } else { "\n" };
                let block = human_block(report, &done.name, done.line, &self.opts, self.opts.width);
                format!("{gap}{block}")
            }
            (Format::Prometheus, None) => {
                if let Some(Err(e)) = self.spill.as_mut().map(|spill| spill.add(report)) {
                    complain(&format!(
                        "cannot keep the Prometheus samples in a temporary file ({e}): stopping"
                    ));
                    self.spill = None;
                    self.open = false;
                }
                return self.open;
            }
            (Format::Reply, None) => {
                let rule = if first { "" } else { render::REPLY_RULE };
                format!("{rule}{}", render::reply(report))
            }
            (Format::Markdown, None) => {
                let rule = if first { "" } else { "\n---\n\n" };
                let one = std::slice::from_ref(report);
                format!(
                    "{rule}{}",
                    render::render_reports(one, self.format, true, &self.opts)
                )
            }
        };
        if matches!(self.format, Format::Human | Format::Markdown) {
            let name = self.shared_name(&done.name);
            self.rows.push(SummaryRow::of(report, name, done.line));
        }
        self.write(&text)
    }

    /// Closes the batch: the summary table, or the end of the JUnit document
    /// (a whole empty one when no target was written: a batch stopped early).
    pub fn finish(&mut self) {
        let text = match self.format {
            Format::Human => human_summary(&self.rows, self.opts.width),
            Format::Markdown => markdown_summary(&self.rows),
            Format::Junit if self.written == 0 => junit::open() + &junit::close(),
            Format::Junit => junit::close(),
            Format::Prometheus => {
                if let Some(spill) = self.spill.take() {
                    if let Err(e) = spill.finish(&mut |piece| self.write(piece)) {
                        complain(&format!(
                            "cannot read back the Prometheus samples from a temporary file ({e}): the exposition is incomplete"
                        ));
                    }
                }
                return;
            }
            Format::Json | Format::Reply => return,
        };
        self.write(&text);
    }

    /// Removes the progress line, for a run that ends without returning.
    pub fn clear_progress(&self) {
        self.progress.finish();
    }

    /// `name`, held once however many rows have it (the tokens of one host).
    fn shared_name(&mut self, name: &str) -> Arc<str> {
        if let Some(shared) = self.row_names.get(name) {
            return Arc::clone(shared);
        }
        let shared: Arc<str> = Arc::from(name);
        self.row_names.insert(Arc::clone(&shared));
        shared
    }

    /// `name`, or `name #LINE` when a suite of this batch already has that
    /// name: CI systems merge suites of one name. The hashes of the names are
    /// kept, not the names; a collision only adds a line number.
    fn distinct(&mut self, name: &str, line: usize) -> String {
        let mut hasher = DefaultHasher::new();
        name.hash(&mut hasher);
        if self.names.insert(hasher.finish()) {
            name.to_string()
        } else {
            format!("{name} #{line}")
        }
    }

    fn write(&mut self, text: &str) -> bool {
        if self.open {
            let text = render::ascii_where_asked(text.to_string(), self.format, &self.opts);
            self.open = self.progress.suspend(|| write_out(&text));
        }
        self.open
    }
}
