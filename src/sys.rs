//! The only module allowed `unsafe`: the two things the standard library
//! cannot do, done through the C library it already links.
//!
//! - **Signals.** SIGINT and SIGTERM set a flag (the first time) or end the
//!   process at once (the second time). The handler does nothing else,
//!   because almost nothing is safe inside a signal handler; a thread polls
//!   the flag and starts the graceful shutdown.
//! - **The open-file limit.** Each connection is a file descriptor, and the
//!   usual soft limit of 1,024 would cap the server below its thread cap. At
//!   start the soft limit is raised to the hard limit, as Go's runtime does.
//!
//! SIGPIPE needs nothing here: Rust's runtime already ignores it, so a write
//! to a vanished client returns `EPIPE` instead of killing the process.
//!
//! On non-Unix targets both functions are no-ops.

use std::sync::atomic::{AtomicUsize, Ordering};

/// How many termination signals have arrived.
static SIGNALS_RECEIVED: AtomicUsize = AtomicUsize::new(0);

/// Whether SIGINT or SIGTERM has arrived since [`install_signal_handlers`].
pub fn termination_requested() -> bool {
    SIGNALS_RECEIVED.load(Ordering::SeqCst) > 0
}

#[cfg(unix)]
mod unix {
    use super::SIGNALS_RECEIVED;
    use std::os::raw::c_int;
    use std::sync::atomic::Ordering;

    pub const SIGINT: c_int = 2;
    pub const SIGTERM: c_int = 15;

    /// `RLIMIT_NOFILE`: 7 on Linux, 8 on the BSDs and macOS.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub const RLIMIT_NOFILE: c_int = 7;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    pub const RLIMIT_NOFILE: c_int = 8;

    /// `struct rlimit`: two `rlim_t`, which is 64 bits on the platforms we
    /// build for.
    #[repr(C)]
    pub struct RLimit {
        pub current: u64,
        pub maximum: u64,
    }

    extern "C" {
        pub fn signal(signum: c_int, handler: extern "C" fn(c_int)) -> usize;
        pub fn getrlimit(resource: c_int, limit: *mut RLimit) -> c_int;
        pub fn setrlimit(resource: c_int, limit: *const RLimit) -> c_int;
        pub fn _exit(status: c_int) -> !;
    }

    /// Runs inside the signal: only an atomic add and, the second time,
    /// `_exit`, both async-signal-safe.
    pub extern "C" fn on_termination_signal(signum: c_int) {
        let before = SIGNALS_RECEIVED.fetch_add(1, Ordering::SeqCst);
        if before > 0 {
            // SAFETY: `_exit` is async-signal-safe and takes a plain int; it
            // ends the process without running anything else.
            unsafe { _exit(128 + signum) }
        }
    }
}

/// Routes SIGINT and SIGTERM to [`termination_requested`]; a second signal
/// exits immediately with status 128 + signal number.
#[cfg(unix)]
pub fn install_signal_handlers() {
    for signum in [unix::SIGINT, unix::SIGTERM] {
        // SAFETY: `signal` is given a valid signal number and a handler with
        // the C ABI that only touches an atomic or calls `_exit`. Its return
        // value (the previous handler) is not needed.
        unsafe {
            unix::signal(signum, unix::on_termination_signal);
        }
    }
}

/// No signals to handle on this platform.
#[cfg(not(unix))]
pub fn install_signal_handlers() {}

/// Raises the soft open-file limit to the hard limit. Returns the limit in
/// force afterwards, or `None` if it could not be read.
#[cfg(unix)]
pub fn raise_fd_limit() -> Option<u64> {
    let mut limit = unix::RLimit {
        current: 0,
        maximum: 0,
    };
    // SAFETY: `limit` is a valid, writable `struct rlimit` for the call.
    if unsafe { unix::getrlimit(unix::RLIMIT_NOFILE, &mut limit) } != 0 {
        return None;
    }
    if limit.current < limit.maximum {
        let raised = unix::RLimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        // SAFETY: `raised` is a valid `struct rlimit` that outlives the call.
        if unsafe { unix::setrlimit(unix::RLIMIT_NOFILE, &raised) } == 0 {
            return Some(raised.current);
        }
    }
    Some(limit.current)
}

/// No descriptor limit to raise on this platform.
#[cfg(not(unix))]
pub fn raise_fd_limit() -> Option<u64> {
    None
}
