//! Starting the binary under test, with the one retry that wine needs.
//!
//! Under wine (the Windows test run of `scripts/windows-check.sh`), starting a
//! process now and then fails with `ERROR_INTERNAL_ERROR` (1359): wine reports
//! so a child that died while wine was still loading it, before any of its own
//! code ran. Such a start is tried again, at most twice, saying so on standard
//! error. Any other failure to start, and whatever the binary does once it has
//! started, stays the test's to judge.

use std::io;

/// The Windows error wine's `CreateProcess` returns for a child that died
/// while it was being loaded.
const DIED_WHILE_LOADING: i32 = 1359;

/// How many times a start is tried.
const ATTEMPTS: u32 = 3;

/// Runs `start` (which starts the binary, and may wait for it), trying again
/// when wine lost the child while loading it.
pub fn retrying_wine_start<T>(mut start: impl FnMut() -> io::Result<T>) -> io::Result<T> {
    let mut attempt = 1;
    loop {
        match start() {
            Err(error)
                if cfg!(windows)
                    && error.raw_os_error() == Some(DIED_WHILE_LOADING)
                    && attempt < ATTEMPTS =>
            {
                attempt += 1;
                eprintln!(
                    "the binary did not start ({error}): wine lost it while loading; \
                     attempt {attempt} of {ATTEMPTS}"
                );
            }
            outcome => return outcome,
        }
    }
}
