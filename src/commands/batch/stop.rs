//! Ctrl-C and SIGTERM during a batch: no new target is started, what was
//! finished is written, the document is closed (the JUnit `</testsuites>`, the
//! Prometheus exposition, the summary table), and the run exits 130 (SIGINT)
//! or 143 (SIGTERM), as a shell reports a command the signal ended. A second
//! signal ends the run at once (the handler is reset by the first).

use std::sync::atomic::{AtomicI32, Ordering};

/// The signal received, 0 before any.
static RECEIVED: AtomicI32 = AtomicI32::new(0);

/// SIGINT's number, what Ctrl-C and a Windows console's Ctrl-C or close mean here.
#[cfg(not(unix))]
const SIGINT: i32 = 2;

/// Catches Ctrl-C and SIGTERM for the rest of the run. Where they cannot be
/// caught they end the run as they did before (the reports written stay whole
/// in JSON; a JUnit document stays open).
pub fn catch() {
    #[cfg(unix)]
    {
        extern "C" fn note(signal: libc::c_int) {
            // An atomic store is all a signal handler may safely do here.
            RECEIVED.store(signal, Ordering::SeqCst);
        }
        for signal in [libc::SIGINT, libc::SIGTERM] {
            // SAFETY: a zeroed sigaction with an empty mask and a handler that
            // only stores an atomic; SA_RESETHAND makes a second signal fatal.
            unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = note as extern "C" fn(libc::c_int) as libc::sighandler_t;
                action.sa_flags = libc::SA_RESTART | libc::SA_RESETHAND;
                libc::sigemptyset(&mut action.sa_mask);
                libc::sigaction(signal, &action, std::ptr::null_mut());
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrlc::set_handler(|| RECEIVED.store(SIGINT, Ordering::SeqCst));
    }
}

/// The exit code of the signal received (128 + its number), if one was.
pub fn exit_code() -> Option<i32> {
    match RECEIVED.load(Ordering::SeqCst) {
        0 => None,
        signal => Some(128 + signal),
    }
}

/// The name of the signal behind `code`, for the message.
pub fn name(code: i32) -> &'static str {
    match code - 128 {
        15 => "SIGTERM",
        _ => "Ctrl-C",
    }
}
