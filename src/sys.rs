//! The only module allowed `unsafe`: the things the standard library
//! cannot do, done through the C library it already links.
//!
//! - **Signals.** SIGINT and SIGTERM set a flag (the first time) or end the
//!   process at once (the second time). The handler does nothing else,
//!   because almost nothing is safe inside a signal handler; a thread polls
//!   the flag and starts the graceful shutdown. Once the handlers are in
//!   place the two signals are unblocked, in case the process inherited a
//!   mask that blocks them: a signal sent while it was starting is then
//!   handled, not left pending for ever.
//! - **The open-file limit.** Each connection is a file descriptor, and the
//!   usual soft limit of 1,024 would cap the server below its thread cap. At
//!   start the soft limit is raised to the hard limit, as Go's runtime does.
//!   std has no error kind for running out of descriptors, so
//!   [`is_fd_exhaustion`] knows the error numbers.
//! - **Opening relative to a directory without following a link.** The file
//!   server walks a path one name at a time from an open directory
//!   (`openat` with `O_NOFOLLOW`) and reads a link itself (`readlinkat`)
//!   when it meets one, so that the check of where a path leads and the
//!   open are one step, not two a swap can slip between. A Unix socket's
//!   file gets its mode the same way, without following a link
//!   (`fchmodat` with `AT_SYMLINK_NOFOLLOW`).
//! - **Writing relative to a directory.** Uploads create a new file in an
//!   open directory (`openat` with `O_CREAT | O_EXCL`, which never opens
//!   what is already there, a link included), then move it into place
//!   (`renameat`, or without replacing anything: `renameat2` with
//!   `RENAME_NOREPLACE` on Linux, `linkat` then `unlinkat` elsewhere) and
//!   remove it if the upload fails (`unlinkat`).
//! - **Waiting on many sockets at once.** Connections that wait (between
//!   requests, for the rest of a head, for room to write) park in a poller
//!   instead of holding a thread: `epoll` on Linux, `poll(2)` on any Unix.
//!   Reads and writes that must not wait use `recv`/`send` with
//!   `MSG_DONTWAIT`, leaving the socket in blocking mode for handlers.
//! - **Hearing of changes to files.** Live reload puts an `inotify` watch on
//!   each directory of the tree (Linux); elsewhere it looks again with
//!   plain `stat`s.
//! - **Sending a file from the kernel.** `sendfile(2)` copies a large file
//!   body from the page cache to the socket without passing through user
//!   memory (std's `io::copy` no longer does this for sockets).
//! - **A socket passed by a service manager.** With socket activation
//!   (systemd's `LISTEN_PID` and `LISTEN_FDS`) the listening socket is
//!   descriptor 3 when the process starts; [`take_listen_fds`] makes it an
//!   `OwnedFd` once, marked close-on-exec (`fcntl`), and [`socket_kind`]
//!   asks what it is (`getsockname`, `getsockopt`): TCP or Unix, stream,
//!   listening.
//!
//! SIGPIPE needs nothing here: Rust's runtime already ignores it, so a write
//! to a vanished client returns `EPIPE` instead of killing the process.
//!
//! The crate builds only on Unix: the poller and the connections use Unix
//! sockets and descriptors. Within Unix, what a system lacks has a
//! fallback: where the `openat` flag values are not written out here (any
//! system but Linux, Android, macOS, iOS and FreeBSD) the directory-relative
//! calls answer `Unsupported` and the file server opens by name; without
//! `epoll` the poller uses `poll(2)`; without `sendfile` a body is read and
//! sent; where the socket constants are not written out (MIPS and SPARC
//! Linux, and systems other than those named) a passed socket cannot be
//! served. The `not(unix)` versions below (signal and limit functions that do
//! nothing, reads and writes that switch the socket's mode) are where a port
//! would start; no build of the crate uses them today.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// How many termination signals have arrived.
static SIGNALS_RECEIVED: AtomicUsize = AtomicUsize::new(0);

/// Whether [`install_signal_handlers`] has run: the process then expects
/// someone to watch [`termination_requested`].
static HANDLERS_INSTALLED: AtomicBool = AtomicBool::new(false);

/// Whether [`install_signal_handlers`] has run.
pub fn signal_handlers_installed() -> bool {
    HANDLERS_INSTALLED.load(Ordering::SeqCst)
}

/// How many SIGHUPs have arrived: the log file is opened again after each.
static HANGUPS: AtomicUsize = AtomicUsize::new(0);

/// How many SIGHUPs have arrived since [`install_hangup_handler`] (which
/// makes SIGHUP ask for the log file to be opened again, instead of ending
/// the process).
pub fn hangups() -> usize {
    HANGUPS.load(Ordering::SeqCst)
}

/// Whether SIGINT or SIGTERM has arrived since [`install_signal_handlers`].
pub fn termination_requested() -> bool {
    SIGNALS_RECEIVED.load(Ordering::SeqCst) > 0
}

#[cfg(unix)]
mod unix {
    use super::{HANGUPS, SIGNALS_RECEIVED};
    use std::os::raw::c_int;
    use std::sync::atomic::Ordering;

    pub const SIGHUP: c_int = 1;
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

    /// `MSG_DONTWAIT`: 0x40 on Linux, 0x80 on the BSDs and macOS.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub const MSG_DONTWAIT: c_int = 0x40;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    pub const MSG_DONTWAIT: c_int = 0x80;

    /// `ENFILE` (the system's table of open files is full) and `EMFILE`
    /// (this process is at its limit): the same numbers on Linux, macOS and
    /// the BSDs.
    pub const ENFILE: i32 = 23;
    pub const EMFILE: i32 = 24;

    /// `SIG_UNBLOCK` for `sigprocmask`: 1 on Linux, 2 on the BSDs and macOS.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    pub const SIG_UNBLOCK: c_int = 1;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    pub const SIG_UNBLOCK: c_int = 2;

    /// Room for a `sigset_t`, whose size differs by system (4 bytes on
    /// macOS, 128 with glibc); it is only ever filled by `sigemptyset` and
    /// `sigaddset`, so its layout does not matter here.
    #[repr(C, align(8))]
    pub struct SignalSet(pub [u8; 128]);

    extern "C" {
        pub fn sigemptyset(set: *mut SignalSet) -> c_int;
        pub fn sigaddset(set: *mut SignalSet, signum: c_int) -> c_int;
        pub fn sigprocmask(how: c_int, set: *const SignalSet, old: *mut SignalSet) -> c_int;
        pub fn recv(fd: c_int, buf: *mut std::ffi::c_void, len: usize, flags: c_int) -> isize;
        pub fn send(fd: c_int, buf: *const std::ffi::c_void, len: usize, flags: c_int) -> isize;
        pub fn signal(signum: c_int, handler: extern "C" fn(c_int)) -> usize;
        pub fn getrlimit(resource: c_int, limit: *mut RLimit) -> c_int;
        pub fn setrlimit(resource: c_int, limit: *const RLimit) -> c_int;
        pub fn _exit(status: c_int) -> !;
        pub fn fcntl(fd: c_int, cmd: c_int, ...) -> c_int;
    }

    /// `fcntl` commands to read and set a descriptor's flags, and the one
    /// flag there is: the same numbers on Linux, macOS and the BSDs.
    pub const F_GETFD: c_int = 1;
    pub const F_SETFD: c_int = 2;
    pub const FD_CLOEXEC: c_int = 1;

    /// `fcntl` commands to read and set a descriptor's status flags
    /// (`O_NONBLOCK` among them): the same numbers on those systems too.
    pub const F_GETFL: c_int = 3;
    pub const F_SETFL: c_int = 4;

    /// Runs inside SIGHUP: only an atomic add.
    pub extern "C" fn on_hangup(_signum: c_int) {
        HANGUPS.fetch_add(1, Ordering::SeqCst);
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
/// exits immediately with status 128 + signal number. Then unblocks them
/// for the calling thread (and the threads it starts later), so that one
/// that arrived blocked is delivered now, to the handler.
#[cfg(unix)]
pub fn install_signal_handlers() {
    let mut set = unix::SignalSet([0; 128]);
    // SAFETY: `signal` is given a valid signal number and a handler with the
    // C ABI that only touches an atomic or calls `_exit`; its return value
    // (the previous handler) is not needed. `set` is writable memory at
    // least as large as any system's `sigset_t`, initialised by
    // `sigemptyset` before `sigaddset` and `sigprocmask` read it; the old
    // mask is not asked for (null).
    unsafe {
        unix::sigemptyset(&mut set);
        for signum in [unix::SIGINT, unix::SIGTERM] {
            unix::signal(signum, unix::on_termination_signal);
            unix::sigaddset(&mut set, signum);
        }
        unix::sigprocmask(unix::SIG_UNBLOCK, &set, std::ptr::null_mut());
    }
    HANDLERS_INSTALLED.store(true, Ordering::SeqCst);
}

/// No signals to handle on this platform.
#[cfg(not(unix))]
pub fn install_signal_handlers() {}

/// Routes SIGHUP to [`hangups`], for a log file to be opened again, instead
/// of its default of ending the process. Only for a process that writes a
/// log file: otherwise a closed terminal should still stop it.
#[cfg(unix)]
pub fn install_hangup_handler() {
    // SAFETY: a valid signal number and a handler with the C ABI that only
    // touches an atomic; the previous handler is not needed.
    unsafe {
        unix::signal(unix::SIGHUP, unix::on_hangup);
    }
}

/// No signals to handle on this platform.
#[cfg(not(unix))]
pub fn install_hangup_handler() {}

/// Raises the soft open-file limit to the hard limit. Returns the limit in
/// force afterwards, or `None` if it could not be read.
#[cfg(unix)]
pub fn raise_fd_limit() -> Option<u64> {
    let limit = file_limits()?;
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

/// The soft open-file limit in force, if it can be read.
#[cfg(unix)]
pub fn open_file_limit() -> Option<u64> {
    file_limits().map(|limit| limit.current)
}

#[cfg(unix)]
fn file_limits() -> Option<unix::RLimit> {
    let mut limit = unix::RLimit {
        current: 0,
        maximum: 0,
    };
    // SAFETY: `limit` is a valid, writable `struct rlimit` for the call.
    if unsafe { unix::getrlimit(unix::RLIMIT_NOFILE, &mut limit) } != 0 {
        return None;
    }
    Some(limit)
}

/// No descriptor limit on this platform.
#[cfg(not(unix))]
pub fn open_file_limit() -> Option<u64> {
    None
}

/// No descriptor limit to raise on this platform.
#[cfg(not(unix))]
pub fn raise_fd_limit() -> Option<u64> {
    None
}

/// Whether `err` says the process (`EMFILE`) or the whole system
/// (`ENFILE`) is out of file descriptors: the listener waits that out, and
/// the file server answers 503 rather than a false 404.
#[cfg(unix)]
pub fn is_fd_exhaustion(err: &std::io::Error) -> bool {
    matches!(err.raw_os_error(), Some(unix::EMFILE | unix::ENFILE))
}

/// The error numbers are written out for Unix only.
#[cfg(not(unix))]
pub fn is_fd_exhaustion(_err: &std::io::Error) -> bool {
    false
}

/// Whether [`rename_at`] may replace a file that already has the new name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replace {
    /// Replace it, atomically (`renameat`): the name leads to the old file
    /// or the new one at every moment, never to nothing. A symlink there
    /// is replaced itself, never written through.
    Existing,
    /// Fail with `AlreadyExists` if anything has the name, a symlink
    /// included. The check and the move are one step, so two uploads of
    /// the same new name cannot both succeed.
    Never,
}

/// What [`open_at`] must find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenKind {
    /// A directory, to walk through.
    Directory,
    /// Anything but a symlink (a file or a directory, decided by the caller
    /// with `fstat` on what was opened).
    Any,
}

// `openat` and `readlinkat` on the systems whose flag values are written
// out in `at`; elsewhere callers fall back to checking by name.
#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd"
))]
pub use at::{
    create_at, open_append, open_at, open_following, read_link_at, rename_at, set_mode_no_follow,
    unlink_at,
};
#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd"
)))]
pub use no_at::{
    create_at, open_append, open_at, open_following, read_link_at, rename_at, set_mode_no_follow,
    unlink_at,
};

#[cfg(any(
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd"
))]
mod at {
    use super::{OpenKind, Replace};
    use std::ffi::{CStr, CString, OsStr, OsString};
    use std::fs::{File, OpenOptions};
    use std::io;
    use std::os::raw::{c_char, c_int};
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    use std::os::unix::fs::OpenOptionsExt;
    use std::os::unix::io::{AsRawFd, FromRawFd};
    use std::path::{Path, PathBuf};

    extern "C" {
        fn openat(dirfd: c_int, path: *const c_char, flags: c_int, ...) -> c_int;
        fn readlinkat(dirfd: c_int, path: *const c_char, buf: *mut c_char, len: usize) -> isize;
        fn renameat(
            from_dir: c_int,
            from: *const c_char,
            to_dir: c_int,
            to: *const c_char,
        ) -> c_int;
        fn linkat(
            from_dir: c_int,
            from: *const c_char,
            to_dir: c_int,
            to: *const c_char,
            flags: c_int,
        ) -> c_int;
        fn unlinkat(dirfd: c_int, path: *const c_char, flags: c_int) -> c_int;
        fn fchmodat(dirfd: c_int, path: *const c_char, mode: flags::Mode, flags: c_int) -> c_int;
    }

    use flags::{AT_FDCWD, AT_SYMLINK_NOFOLLOW};
    use flags::{O_CLOEXEC, O_CREAT, O_DIRECTORY, O_EXCL, O_NOCTTY, O_NOFOLLOW, O_NONBLOCK};

    /// `O_WRONLY`: 1 on every Unix.
    const O_WRONLY: c_int = 1;

    /// The mode a new file asks for: `rw-r--r--`, less the process's umask
    /// (the kernel applies it), as `touch` or a shell redirection would.
    const NEW_FILE_MODE: std::os::raw::c_uint = 0o644;

    // Flag values differ between systems and, on Linux, between
    // architectures; each is written out per target, and the file
    // server's tests would serve a swapped-in symlink if one were wrong.
    #[cfg(all(
        any(target_os = "linux", target_os = "android"),
        not(any(target_arch = "aarch64", target_arch = "arm"))
    ))]
    mod flags {
        use std::os::raw::c_int;
        pub const O_DIRECTORY: c_int = 0o200000;
        pub const O_NOFOLLOW: c_int = 0o400000;
        pub const O_NONBLOCK: c_int = 0o4000;
        pub const O_NOCTTY: c_int = 0o400;
        pub const O_CLOEXEC: c_int = 0o2000000;
        pub const O_CREAT: c_int = 0o100;
        pub const O_EXCL: c_int = 0o200;
        pub const AT_FDCWD: c_int = -100;
        pub const AT_SYMLINK_NOFOLLOW: c_int = 0x100;
        pub type Mode = std::os::raw::c_uint;
    }

    #[cfg(all(
        any(target_os = "linux", target_os = "android"),
        any(target_arch = "aarch64", target_arch = "arm")
    ))]
    mod flags {
        use std::os::raw::c_int;
        pub const O_DIRECTORY: c_int = 0o40000;
        pub const O_NOFOLLOW: c_int = 0o100000;
        pub const O_NONBLOCK: c_int = 0o4000;
        pub const O_NOCTTY: c_int = 0o400;
        pub const O_CLOEXEC: c_int = 0o2000000;
        pub const O_CREAT: c_int = 0o100;
        pub const O_EXCL: c_int = 0o200;
        pub const AT_FDCWD: c_int = -100;
        pub const AT_SYMLINK_NOFOLLOW: c_int = 0x100;
        pub type Mode = std::os::raw::c_uint;
    }

    #[cfg(any(target_os = "macos", target_os = "ios"))]
    mod flags {
        use std::os::raw::c_int;
        pub const O_DIRECTORY: c_int = 0x100000;
        pub const O_NOFOLLOW: c_int = 0x100;
        pub const O_NONBLOCK: c_int = 0x4;
        pub const O_NOCTTY: c_int = 0x20000;
        pub const O_CLOEXEC: c_int = 0x1000000;
        pub const O_CREAT: c_int = 0x200;
        pub const O_EXCL: c_int = 0x800;
        pub const AT_FDCWD: c_int = -2;
        pub const AT_SYMLINK_NOFOLLOW: c_int = 0x20;
        pub type Mode = u16;
    }

    #[cfg(target_os = "freebsd")]
    mod flags {
        use std::os::raw::c_int;
        pub const O_DIRECTORY: c_int = 0x20000;
        pub const O_NOFOLLOW: c_int = 0x100;
        pub const O_NONBLOCK: c_int = 0x4;
        pub const O_NOCTTY: c_int = 0x8000;
        pub const O_CLOEXEC: c_int = 0x100000;
        pub const O_CREAT: c_int = 0x200;
        pub const O_EXCL: c_int = 0x800;
        pub const AT_FDCWD: c_int = -100;
        pub const AT_SYMLINK_NOFOLLOW: c_int = 0x200;
        pub type Mode = u16;
    }

    /// Read-only (`O_RDONLY` is 0 everywhere), never through a symlink in
    /// the name, never a controlling terminal, closed on exec.
    /// `O_NONBLOCK` makes opening a FIFO return at once instead of
    /// waiting for a writer; it changes nothing for files or directories.
    const BASE: c_int = O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;

    /// Opens `path`, following symlinks anywhere (the user asked for it
    /// with `--follow-symlinks`), without blocking on a FIFO or taking a
    /// terminal.
    ///
    /// # Errors
    ///
    /// The system's error.
    pub fn open_following(path: &Path) -> io::Result<File> {
        OpenOptions::new()
            .read(true)
            .custom_flags(O_NONBLOCK | O_NOCTTY)
            .open(path)
    }

    /// Opens `path` to append to, created if missing (mode 0666 less the
    /// umask, as a shell's `>>` makes it): the access log. A FIFO there
    /// with no reader fails at once (`ENXIO`) instead of waiting for one:
    /// the log is opened again on SIGHUP by the next worker to log, with
    /// the log's lock held, so a wait would stop every worker. Once open,
    /// the descriptor blocks again, so a line goes whole to a slow reader.
    ///
    /// # Errors
    ///
    /// The system's error.
    pub fn open_append(path: &Path) -> io::Result<File> {
        use super::unix::{fcntl, F_GETFL, F_SETFL};
        /// What the open fails with at a FIFO without a reader (or a
        /// device file without its device): 6 on every Unix here.
        const ENXIO: i32 = 6;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .custom_flags(O_NONBLOCK | O_NOCTTY)
            .open(path)
            .map_err(|e| match e.raw_os_error() {
                // "No such device or address" would puzzle whoever reads it.
                Some(ENXIO) => io::Error::new(e.kind(), "a FIFO that nobody reads, or no device"),
                _ => e,
            })?;
        let fd = file.as_raw_fd();
        // SAFETY: `fcntl` with `F_GETFL` only reads the status flags of a
        // descriptor `file` owns, open for the call.
        let status = unsafe { fcntl(fd, F_GETFL) };
        // SAFETY: the same descriptor; `F_SETFL` takes an int, the flags
        // just read without `O_NONBLOCK`.
        if status < 0 || unsafe { fcntl(fd, F_SETFL, status & !O_NONBLOCK) } < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(file)
    }

    fn c_name(name: &OsStr) -> io::Result<CString> {
        CString::new(name.as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
    }

    /// Opens `name` (one path component, no `/`) inside the directory
    /// `dir`, read-only, without following a symlink: if `name` is a
    /// link this fails, and [`read_link_at`] says where it leads.
    ///
    /// # Errors
    ///
    /// The system's error: `NotFound`, `PermissionDenied`, or another for
    /// a symlink (`ELOOP`) or a non-directory where one was asked.
    pub fn open_at(dir: &File, name: &OsStr, kind: OpenKind) -> io::Result<File> {
        let name = c_name(name)?;
        let flags = match kind {
            OpenKind::Directory => BASE | O_DIRECTORY,
            OpenKind::Any => BASE,
        };
        // SAFETY: `dir` is an open descriptor for the whole call, `name`
        // is NUL-terminated and outlives it, and no mode argument is
        // needed because these flags never create a file.
        let fd = unsafe { openat(dir.as_raw_fd(), name.as_ptr(), flags) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just returned by `openat`; nothing else owns it.
        Ok(unsafe { File::from_raw_fd(fd) })
    }

    /// The target of the symlink `name` inside the directory `dir`.
    ///
    /// # Errors
    ///
    /// The system's error; `InvalidInput` (`EINVAL`) when `name` is not
    /// a link; `InvalidData` for a target of 4 KiB or more.
    pub fn read_link_at(dir: &File, name: &OsStr) -> io::Result<PathBuf> {
        let name = c_name(name)?;
        let mut buf = vec![0u8; 4096];
        // SAFETY: `buf` is writable for `buf.len()` bytes, `name` is
        // NUL-terminated, and `dir` stays open for the call. readlinkat
        // writes no NUL and returns how many bytes it wrote.
        let n = unsafe {
            readlinkat(
                dir.as_raw_fd(),
                name.as_ptr(),
                buf.as_mut_ptr().cast(),
                buf.len(),
            )
        };
        let Ok(n) = usize::try_from(n) else {
            return Err(io::Error::last_os_error());
        };
        if n == buf.len() {
            return Err(io::Error::from(io::ErrorKind::InvalidData));
        }
        buf.truncate(n);
        Ok(PathBuf::from(OsString::from_vec(buf)))
    }

    /// Creates `name` (one path component) in the directory `dir` as a new,
    /// empty regular file open for writing, with mode 0644 less the umask.
    /// `O_EXCL` makes the create fail if anything already has the name,
    /// and with it a symlink there is never followed: what is opened is
    /// always the file just made.
    ///
    /// # Errors
    ///
    /// The system's error: `AlreadyExists` when the name is taken.
    pub fn create_at(dir: &File, name: &OsStr) -> io::Result<File> {
        let name = c_name(name)?;
        let flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC;
        // SAFETY: `dir` is an open descriptor for the whole call and `name`
        // is NUL-terminated and outlives it. With `O_CREAT`, `openat` reads
        // one variadic argument, the mode, passed as a `c_uint`: `mode_t`
        // is 32 bits on Linux and FreeBSD, and the 16-bit one of macOS is
        // promoted to `int` when passed through `...` in any case.
        let fd = unsafe { openat(dir.as_raw_fd(), name.as_ptr(), flags, NEW_FILE_MODE) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` was just returned by `openat`; nothing else owns it.
        Ok(unsafe { File::from_raw_fd(fd) })
    }

    /// Moves `from` to `to`, both names in the directory `dir`. With
    /// [`Replace::Existing`] a file at `to` is replaced atomically; with
    /// [`Replace::Never`] the move fails if anything has the name (see
    /// `rename_without_replacing`).
    ///
    /// # Errors
    ///
    /// The system's error; `AlreadyExists` for a name taken under
    /// [`Replace::Never`].
    pub fn rename_at(dir: &File, from: &OsStr, to: &OsStr, replace: Replace) -> io::Result<()> {
        let (from, to) = (c_name(from)?, c_name(to)?);
        match replace {
            Replace::Never => rename_without_replacing(dir, &from, &to),
            Replace::Existing => {
                let fd = dir.as_raw_fd();
                // SAFETY: `dir` is open and both names are NUL-terminated
                // for the whole call; renameat keeps no pointer.
                let done = unsafe { renameat(fd, from.as_ptr(), fd, to.as_ptr()) };
                check(done)
            }
        }
    }

    /// Removes the name `name` from the directory `dir` (not a directory).
    ///
    /// # Errors
    ///
    /// The system's error.
    pub fn unlink_at(dir: &File, name: &OsStr) -> io::Result<()> {
        let name = c_name(name)?;
        // SAFETY: `dir` is open and `name` NUL-terminated for the call;
        // flags 0 removes a file (or a link itself), never a directory.
        check(unsafe { unlinkat(dir.as_raw_fd(), name.as_ptr(), 0) })
    }

    /// Gives `path` the permission bits `mode` without following a link
    /// there (`fchmodat` with `AT_SYMLINK_NOFOLLOW`). On Linux, where a
    /// link has no mode of its own, a link is refused (`EOPNOTSUPP`); so is
    /// every file by a C library older than the flag (glibc before 2.32),
    /// which the caller tells apart by looking. The BSDs and macOS set the
    /// link's own mode.
    ///
    /// # Errors
    ///
    /// The system's error; `InvalidInput` for a path with a NUL byte.
    pub fn set_mode_no_follow(path: &Path, mode: u32) -> io::Result<()> {
        let path = c_name(path.as_os_str())?;
        let mode = flags::Mode::try_from(mode & 0o7777)
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        // SAFETY: `path` is NUL-terminated and outlives the call, which
        // keeps no pointer; `AT_FDCWD` makes a relative path start at the
        // working directory, as `chmod` does; `mode` has `mode_t`'s type.
        check(unsafe { fchmodat(AT_FDCWD, path.as_ptr(), mode, AT_SYMLINK_NOFOLLOW) })
    }

    fn check(result: c_int) -> io::Result<()> {
        if result == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    /// `renameat2(RENAME_NOREPLACE)` (Linux 3.15 and later), called through
    /// `syscall` because older C libraries lack the wrapper. A file system
    /// that does not support the flag answers `EINVAL`, and a kernel (or a
    /// sandbox) without the call `ENOSYS`: both fall back to linking.
    #[cfg(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64")
    ))]
    fn rename_without_replacing(dir: &File, from: &CStr, to: &CStr) -> io::Result<()> {
        use std::os::raw::c_long;
        extern "C" {
            fn syscall(number: c_long, ...) -> c_long;
        }
        /// The system call's number: 316 in x86-64's table, 276 in the
        /// generic table that aarch64 uses.
        #[cfg(target_arch = "x86_64")]
        const SYS_RENAMEAT2: c_long = 316;
        #[cfg(target_arch = "aarch64")]
        const SYS_RENAMEAT2: c_long = 276;
        const RENAME_NOREPLACE: c_long = 1;
        const EINVAL: i32 = 22;
        const ENOSYS: i32 = 38;
        let fd = c_long::from(dir.as_raw_fd());
        // SAFETY: the arguments are those of renameat2(2), each passed as a
        // full register (`c_long` or a pointer): two directory descriptors
        // (`dir`, open for the call), two NUL-terminated names that outlive
        // it, and the flags. The kernel keeps no pointer.
        let done = unsafe {
            syscall(
                SYS_RENAMEAT2,
                fd,
                from.as_ptr(),
                fd,
                to.as_ptr(),
                RENAME_NOREPLACE,
            )
        };
        if done == 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(EINVAL | ENOSYS) => link_then_unlink(dir, from, to),
            _ => Err(err),
        }
    }

    #[cfg(not(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64")
    )))]
    fn rename_without_replacing(dir: &File, from: &CStr, to: &CStr) -> io::Result<()> {
        link_then_unlink(dir, from, to)
    }

    /// The portable move that never replaces: a second name for the file
    /// (`linkat` fails with `EEXIST` if `to` exists, whatever it is, and
    /// never follows a link there), then the first name removed. Between
    /// the two calls the file has both names; a crash there leaves the
    /// hidden temporary name behind, never a half-written file under `to`.
    fn link_then_unlink(dir: &File, from: &CStr, to: &CStr) -> io::Result<()> {
        let fd = dir.as_raw_fd();
        // SAFETY: `dir` is open and both names NUL-terminated for the call;
        // flags 0: a link at `from` would be linked itself, not followed.
        check(unsafe { linkat(fd, from.as_ptr(), fd, to.as_ptr(), 0) })?;
        // SAFETY: as for `unlink_at`. The file is in place whatever this
        // answers, so its answer is not the move's: a failure (which the
        // link just made in the same directory makes all but impossible)
        // leaves the hidden temporary name as a second link, no more.
        let _ = unsafe { unlinkat(fd, from.as_ptr(), 0) };
        Ok(())
    }

    /// The portable way is the fallback on Linux, so it is tested here
    /// directly: it must refuse a taken name, a symlink included, and
    /// leave exactly one name on success.
    #[cfg(test)]
    mod tests {
        use super::*;
        use std::fs;

        #[test]
        fn linking_never_replaces_and_leaves_one_name() {
            let base = std::env::temp_dir().join(format!("hfs-link-{}", std::process::id()));
            let _ = fs::remove_dir_all(&base);
            fs::create_dir_all(&base).unwrap();
            fs::write(base.join("from"), "new").unwrap();
            fs::write(base.join("taken"), "old").unwrap();
            std::os::unix::fs::symlink(base.join("taken"), base.join("link")).unwrap();
            let dir = File::open(&base).unwrap();
            for taken in [c"taken", c"link"] {
                let err = link_then_unlink(&dir, c"from", taken).unwrap_err();
                assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
            }
            assert_eq!(fs::read(base.join("taken")).unwrap(), b"old");
            link_then_unlink(&dir, c"from", c"placed").unwrap();
            assert_eq!(fs::read(base.join("placed")).unwrap(), b"new");
            assert!(!base.join("from").exists());
            fs::remove_dir_all(&base).unwrap();
        }
    }
}

#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd"
)))]
mod no_at {
    use super::{OpenKind, Replace};
    use std::ffi::OsStr;
    use std::fs::File;
    use std::io;
    use std::path::{Path, PathBuf};

    /// Opens `path`, following symlinks.
    ///
    /// # Errors
    ///
    /// The system's error.
    pub fn open_following(path: &Path) -> io::Result<File> {
        File::open(path)
    }

    /// Opens `path` to append to, created if missing (a FIFO without a
    /// reader waits for one here).
    ///
    /// # Errors
    ///
    /// The system's error.
    pub fn open_append(path: &Path) -> io::Result<File> {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
    }

    /// Not available here: callers check by name instead.
    ///
    /// # Errors
    ///
    /// Always `Unsupported`.
    pub fn open_at(_dir: &File, _name: &OsStr, _kind: OpenKind) -> io::Result<File> {
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }

    /// Not available here.
    ///
    /// # Errors
    ///
    /// Always `Unsupported`.
    pub fn read_link_at(_dir: &File, _name: &OsStr) -> io::Result<PathBuf> {
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }

    /// Not available here: uploads are refused.
    ///
    /// # Errors
    ///
    /// Always `Unsupported`.
    pub fn create_at(_dir: &File, _name: &OsStr) -> io::Result<File> {
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }

    /// Not available here.
    ///
    /// # Errors
    ///
    /// Always `Unsupported`.
    pub fn rename_at(_dir: &File, _from: &OsStr, _to: &OsStr, _replace: Replace) -> io::Result<()> {
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }

    /// Not available here.
    ///
    /// # Errors
    ///
    /// Always `Unsupported`.
    pub fn unlink_at(_dir: &File, _name: &OsStr) -> io::Result<()> {
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }

    /// Not available here: the caller sets the mode by name instead.
    ///
    /// # Errors
    ///
    /// Always `Unsupported`.
    pub fn set_mode_no_follow(_path: &Path, _mode: u32) -> io::Result<()> {
        Err(io::Error::from(io::ErrorKind::Unsupported))
    }
}

/// What a parked socket waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interest {
    /// Bytes to read (or the peer closing).
    Read,
    /// Room in the send buffer.
    Write,
}

/// Reads what the socket already holds, without waiting: `Ok(0)` is the
/// peer's close, `WouldBlock` means nothing is there yet. The socket stays
/// in blocking mode for the handler's own reads, so this is one system call
/// (`recv` with `MSG_DONTWAIT`) instead of switching modes twice.
///
/// # Errors
///
/// The system's error, `WouldBlock` included.
#[cfg(unix)]
pub fn recv_now(socket: &impl std::os::unix::io::AsFd, buf: &mut [u8]) -> std::io::Result<usize> {
    use std::os::unix::io::AsRawFd;
    let fd = socket.as_fd().as_raw_fd();
    retrying_interrupts(|| {
        // SAFETY: `buf` is writable for `buf.len()` bytes and the socket is
        // open for the duration of the call (borrowed from `socket`).
        unsafe { unix::recv(fd, buf.as_mut_ptr().cast(), buf.len(), unix::MSG_DONTWAIT) }
    })
}

/// Writes what the socket's send buffer takes now, without waiting.
///
/// # Errors
///
/// The system's error, `WouldBlock` when there is no room at all.
#[cfg(unix)]
pub fn send_now(socket: &impl std::os::unix::io::AsFd, buf: &[u8]) -> std::io::Result<usize> {
    use std::os::unix::io::AsRawFd;
    let fd = socket.as_fd().as_raw_fd();
    retrying_interrupts(|| {
        // SAFETY: `buf` is readable for `buf.len()` bytes and the socket is
        // open for the duration of the call (borrowed from `socket`).
        // SIGPIPE is ignored by Rust's runtime, so a vanished peer is an
        // `EPIPE` error, not a signal.
        unsafe { unix::send(fd, buf.as_ptr().cast(), buf.len(), unix::MSG_DONTWAIT) }
    })
}

/// Runs a system call that returns a count or -1, again if a signal
/// interrupted it.
#[cfg(unix)]
fn retrying_interrupts(mut call: impl FnMut() -> isize) -> std::io::Result<usize> {
    loop {
        if let Ok(n) = usize::try_from(call()) {
            return Ok(n);
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// Without `recv` flags: a non-blocking read by switching the mode.
///
/// # Errors
///
/// The system's error, `WouldBlock` included.
#[cfg(not(unix))]
pub fn recv_now(socket: &crate::socket::Stream, buf: &mut [u8]) -> std::io::Result<usize> {
    use std::io::Read;
    socket.set_nonblocking(true)?;
    let result = (&*socket).read(buf);
    socket.set_nonblocking(false)?;
    result
}

/// Without `send` flags: a non-blocking write by switching the mode.
///
/// # Errors
///
/// The system's error, `WouldBlock` included.
#[cfg(not(unix))]
pub fn send_now(socket: &crate::socket::Stream, buf: &[u8]) -> std::io::Result<usize> {
    use std::io::Write;
    socket.set_nonblocking(true)?;
    let result = (&*socket).write(buf);
    socket.set_nonblocking(false)?;
    result
}

/// What the poller knows a parked socket by: it gives one when it
/// registers the socket, and gets it back with each event.
pub type Token = u64;

/// One readiness event, as a wait reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Readiness {
    /// The token the socket was registered with.
    pub token: Token,
    /// Whether the peer has closed its side (or the socket failed): what is
    /// still to read is all there will be.
    pub hangup: bool,
}

/// Linux's `epoll`: sockets registered once, edge triggered, for as long as
/// they are open; and one-shot registrations (after one event disarmed until
/// armed again) for the poller's own wake-up socket.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub mod epoll {
    use super::{Interest, Readiness, Token};
    use std::io;
    use std::os::raw::c_int;
    use std::os::unix::io::{AsRawFd, FromRawFd, OwnedFd, RawFd};
    use std::time::Duration;

    const EPOLL_CLOEXEC: c_int = 0o2000000;
    const EPOLL_CTL_ADD: c_int = 1;
    const EPOLL_CTL_MOD: c_int = 3;
    const EPOLLIN: u32 = 0x1;
    const EPOLLOUT: u32 = 0x4;
    const EPOLLERR: u32 = 0x8;
    const EPOLLHUP: u32 = 0x10;
    const EPOLLRDHUP: u32 = 0x2000;
    const EPOLLONESHOT: u32 = 1 << 30;
    const EPOLLET: u32 = 1 << 31;
    /// `ENOENT`: `EPOLL_CTL_MOD` on a descriptor not yet added.
    const ENOENT: i32 = 2;

    /// `struct epoll_event`: packed on x86-64 (the kernel's ABI there),
    /// naturally aligned elsewhere. Getting this wrong reads garbage tokens.
    #[cfg_attr(target_arch = "x86_64", repr(C, packed))]
    #[cfg_attr(not(target_arch = "x86_64"), repr(C))]
    #[derive(Clone, Copy)]
    struct Event {
        events: u32,
        data: u64,
    }

    extern "C" {
        fn epoll_create1(flags: c_int) -> c_int;
        fn epoll_ctl(epfd: c_int, op: c_int, fd: c_int, event: *mut Event) -> c_int;
        fn epoll_wait(epfd: c_int, events: *mut Event, max: c_int, timeout_ms: c_int) -> c_int;
    }

    /// An epoll instance.
    #[derive(Debug)]
    pub struct Epoll {
        fd: OwnedFd,
    }

    /// Most events taken per wait.
    const BATCH: usize = 256;

    /// The events that mean `interest` is met, and the peer's close: the
    /// part of a registration that one-shot and edge-triggered ones share.
    fn mask(interest: Interest) -> u32 {
        EPOLLRDHUP
            | match interest {
                Interest::Read => EPOLLIN,
                Interest::Write => EPOLLOUT,
            }
    }

    impl Epoll {
        /// A new epoll instance.
        ///
        /// # Errors
        ///
        /// The system's error (out of descriptors, say).
        pub fn new() -> io::Result<Epoll> {
            // SAFETY: a plain system call with a flag; it returns a new
            // descriptor or -1.
            let fd = unsafe { epoll_create1(EPOLL_CLOEXEC) };
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            // SAFETY: `fd` is a fresh descriptor that nothing else owns.
            Ok(Epoll {
                fd: unsafe { OwnedFd::from_raw_fd(fd) },
            })
        }

        /// Arms `fd` for one event of `interest`, reported with `token`
        /// (one-shot).
        /// Modifies an existing registration, or adds one the first time.
        ///
        /// # Errors
        ///
        /// The system's error.
        pub fn arm(&self, fd: RawFd, token: Token, interest: Interest) -> io::Result<()> {
            let mut event = Event {
                events: EPOLLONESHOT | mask(interest),
                data: token,
            };
            // SAFETY: `event` is a valid `epoll_event` for the call; the
            // kernel copies it and keeps no pointer.
            let modified = unsafe { epoll_ctl(self.fd.as_raw_fd(), EPOLL_CTL_MOD, fd, &mut event) };
            if modified == 0 {
                return Ok(());
            }
            let err = io::Error::last_os_error();
            if err.raw_os_error() != Some(ENOENT) {
                return Err(err);
            }
            // SAFETY: as above.
            if unsafe { epoll_ctl(self.fd.as_raw_fd(), EPOLL_CTL_ADD, fd, &mut event) } != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        }

        /// Watches `fd` for `interest` for as long as it is open, edge
        /// triggered: an event comes when the socket becomes ready (new
        /// bytes, new room), not while it stays ready. `first` adds the
        /// registration; otherwise it is changed (which also reports the
        /// socket at once if it is ready now).
        ///
        /// # Errors
        ///
        /// The system's error.
        pub fn watch(
            &self,
            fd: RawFd,
            token: Token,
            interest: Interest,
            first: bool,
        ) -> io::Result<()> {
            let mut event = Event {
                events: EPOLLET | mask(interest),
                data: token,
            };
            let op = if first { EPOLL_CTL_ADD } else { EPOLL_CTL_MOD };
            // SAFETY: `event` is a valid `epoll_event` for the call; the
            // kernel copies it and keeps no pointer.
            if unsafe { epoll_ctl(self.fd.as_raw_fd(), op, fd, &mut event) } != 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        }

        /// Waits up to `timeout` (forever if `None`) and appends what it
        /// finds to `ready`. Each event says whether the peer has closed its
        /// side: with edge triggering, a close that came with the last bytes
        /// brings no event of its own.
        ///
        /// # Errors
        ///
        /// The system's error, except an interrupted wait, which returns
        /// with nothing ready.
        pub fn wait(
            &self,
            ready: &mut Vec<Readiness>,
            timeout: Option<Duration>,
        ) -> io::Result<()> {
            let mut events = [Event { events: 0, data: 0 }; BATCH];
            let timeout_ms = timeout.map_or(-1, super::poll_timeout_ms);
            // SAFETY: `events` is writable for `BATCH` entries, and the kernel
            // writes at most that many.
            let n = unsafe {
                epoll_wait(
                    self.fd.as_raw_fd(),
                    events.as_mut_ptr(),
                    BATCH as c_int,
                    timeout_ms,
                )
            };
            if n < 0 {
                let err = io::Error::last_os_error();
                return if err.kind() == io::ErrorKind::Interrupted {
                    Ok(())
                } else {
                    Err(err)
                };
            }
            for event in &events[..n as usize] {
                let (token, flags) = (event.data, event.events);
                ready.push(Readiness {
                    token,
                    hangup: flags & (EPOLLRDHUP | EPOLLHUP | EPOLLERR) != 0,
                });
            }
            Ok(())
        }
    }
}

/// A wait in milliseconds for `poll`/`epoll_wait`, rounded up so that a
/// deadline is never woken for early and then spun on.
#[cfg(unix)]
fn poll_timeout_ms(timeout: std::time::Duration) -> std::os::raw::c_int {
    let ms = timeout.as_micros().div_ceil(1000);
    ms.min(i32::MAX as u128) as std::os::raw::c_int
}

/// POSIX `poll(2)`: one call over a list of descriptors.
#[cfg(unix)]
pub mod poll {
    use super::Interest;
    use std::io;
    use std::os::raw::{c_int, c_short};
    use std::os::unix::io::RawFd;
    use std::time::Duration;

    const POLLIN: c_short = 0x1;
    const POLLOUT: c_short = 0x4;

    /// `struct pollfd`, the same layout on every Unix.
    #[repr(C)]
    #[derive(Debug, Clone, Copy)]
    pub struct PollFd {
        fd: c_int,
        events: c_short,
        revents: c_short,
    }

    impl PollFd {
        /// Watches `fd` for `interest`.
        pub fn new(fd: RawFd, interest: Interest) -> PollFd {
            let events = match interest {
                Interest::Read => POLLIN,
                Interest::Write => POLLOUT,
            };
            PollFd {
                fd,
                events,
                revents: 0,
            }
        }

        /// Whether the last wait found anything on it (readiness, an error
        /// or a hang-up: each is a reason to look).
        pub fn is_ready(&self) -> bool {
            self.revents != 0
        }
    }

    // `nfds_t` is `unsigned long` on Linux and `unsigned int` on the BSDs and
    // macOS.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    type NFds = std::os::raw::c_ulong;
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    type NFds = std::os::raw::c_uint;

    extern "C" {
        fn poll(fds: *mut PollFd, nfds: NFds, timeout_ms: c_int) -> c_int;
    }

    /// Waits up to `timeout` (forever if `None`) for any of `fds`; their
    /// `revents` say which.
    ///
    /// # Errors
    ///
    /// The system's error, except an interrupted wait, which returns with
    /// nothing ready.
    pub fn wait(fds: &mut [PollFd], timeout: Option<Duration>) -> io::Result<()> {
        let timeout_ms = timeout.map_or(-1, super::poll_timeout_ms);
        // SAFETY: `fds` is a valid, writable array of `pollfd` of the given
        // length for the whole call.
        let n = unsafe { poll(fds.as_mut_ptr(), fds.len() as NFds, timeout_ms) };
        if n < 0 {
            let err = io::Error::last_os_error();
            if err.kind() != io::ErrorKind::Interrupted {
                return Err(err);
            }
            for fd in fds.iter_mut() {
                fd.revents = 0;
            }
        }
        Ok(())
    }
}

/// Sends up to `len` bytes of `file` from `offset` to `socket` in the
/// kernel (`sendfile(2)`), as far as the socket takes them now if it is in
/// non-blocking mode. `None` where the system has no such call (the caller
/// then reads and sends itself).
#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    target_pointer_width = "64"
))]
pub fn send_file(
    socket: &impl std::os::unix::io::AsFd,
    file: &std::fs::File,
    offset: u64,
    len: u64,
) -> Option<std::io::Result<usize>> {
    use std::os::unix::io::AsRawFd;
    let socket = socket.as_fd();
    extern "C" {
        fn sendfile(out_fd: i32, in_fd: i32, offset: *mut i64, count: usize) -> isize;
    }
    // The kernel moves at most this much per call.
    const MOST: u64 = 0x7fff_f000;
    let Ok(mut at) = i64::try_from(offset) else {
        return Some(Err(std::io::ErrorKind::InvalidInput.into()));
    };
    let count = len.min(MOST) as usize;
    loop {
        // SAFETY: both descriptors are open for the call, and `at` is a
        // valid, writable `off_t` (64 bits on 64-bit Linux) that the kernel
        // advances; the file's own position is not used or changed.
        let n = unsafe { sendfile(socket.as_raw_fd(), file.as_raw_fd(), &mut at, count) };
        if let Ok(n) = usize::try_from(n) {
            return Some(Ok(n));
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Some(Err(err));
        }
    }
}

/// No `sendfile` here.
#[cfg(not(all(
    any(target_os = "linux", target_os = "android"),
    target_pointer_width = "64"
)))]
pub fn send_file(
    _socket: &crate::socket::Stream,
    _file: &std::fs::File,
    _offset: u64,
    _len: u64,
) -> Option<std::io::Result<usize>> {
    None
}

/// Linux's `inotify`: the kernel reports changes in watched directories,
/// so live reload need not look at every file again and again.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub mod inotify {
    use std::ffi::CString;
    use std::fs::File;
    use std::io::{self, Read};
    use std::os::raw::{c_char, c_int};
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::io::{AsRawFd, FromRawFd, OwnedFd, RawFd};
    use std::path::Path;

    const IN_NONBLOCK: c_int = 0o4000;
    const IN_CLOEXEC: c_int = 0o2000000;

    /// A file was written to.
    pub const IN_MODIFY: u32 = 0x2;
    /// A file's metadata changed (`touch`).
    pub const IN_ATTRIB: u32 = 0x4;
    /// A name moved out of the directory.
    pub const IN_MOVED_FROM: u32 = 0x40;
    /// A name moved into the directory.
    pub const IN_MOVED_TO: u32 = 0x80;
    /// A name was created.
    pub const IN_CREATE: u32 = 0x100;
    /// A name was removed.
    pub const IN_DELETE: u32 = 0x200;
    /// The watched directory itself moved.
    pub const IN_MOVE_SELF: u32 = 0x800;
    /// Events were lost: the queue was full.
    pub const IN_Q_OVERFLOW: u32 = 0x4000;
    /// The watch is gone (its directory was removed).
    pub const IN_IGNORED: u32 = 0x8000;
    /// Only watch the path if it is a directory.
    pub const IN_ONLYDIR: u32 = 0x0100_0000;
    /// The event's name is a directory.
    pub const IN_ISDIR: u32 = 0x4000_0000;

    extern "C" {
        fn inotify_init1(flags: c_int) -> c_int;
        fn inotify_add_watch(fd: c_int, path: *const c_char, mask: u32) -> c_int;
    }

    /// An inotify instance, read without waiting.
    pub struct Inotify {
        file: File,
    }

    impl Inotify {
        /// A new instance with no watches.
        ///
        /// # Errors
        ///
        /// The system's error (too many instances, for one).
        pub fn new() -> io::Result<Inotify> {
            // SAFETY: no pointers; the result is checked before use.
            let fd = unsafe { inotify_init1(IN_NONBLOCK | IN_CLOEXEC) };
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            // SAFETY: `fd` was just opened and nothing else owns it.
            let owned = unsafe { OwnedFd::from_raw_fd(fd) };
            Ok(Inotify {
                file: File::from(owned),
            })
        }

        /// Watches the directory at `path` for the events in `mask`;
        /// returns the watch's number, which events carry. Watching the
        /// same directory again returns the same number.
        ///
        /// # Errors
        ///
        /// The system's error: `ENOSPC` when the per-user watch limit
        /// (`/proc/sys/fs/inotify/max_user_watches`) is reached.
        pub fn add_watch(&self, path: &Path, mask: u32) -> io::Result<i32> {
            let path = CString::new(path.as_os_str().as_bytes())
                .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
            // SAFETY: `path` is a NUL-terminated string alive for the call.
            let watch = unsafe { inotify_add_watch(self.file.as_raw_fd(), path.as_ptr(), mask) };
            if watch < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(watch)
        }

        /// Reads the events there are now into `buf` (`WouldBlock` when
        /// there are none); [`events`] takes them apart.
        ///
        /// # Errors
        ///
        /// The system's error, `WouldBlock` included.
        pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.file.read(buf)
        }

        /// The descriptor, to wait on with `poll`.
        pub fn raw_fd(&self) -> RawFd {
            self.file.as_raw_fd()
        }
    }

    /// The events in what [`Inotify::read`] read: each `struct
    /// inotify_event` is a watch number, a mask, a cookie and a name length,
    /// then the name padded with NULs. Yields (watch, mask, name).
    pub fn events(mut bytes: &[u8]) -> impl Iterator<Item = (i32, u32, &[u8])> {
        const HEAD: usize = 16;
        std::iter::from_fn(move || {
            if bytes.len() < HEAD {
                return None;
            }
            let field = |at: usize| [bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]];
            let watch = i32::from_ne_bytes(field(0));
            let mask = u32::from_ne_bytes(field(4));
            let name_len = u32::from_ne_bytes(field(12)) as usize;
            let name = bytes.get(HEAD..HEAD + name_len)?;
            let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
            bytes = &bytes[HEAD + name_len..];
            Some((watch, mask, name))
        })
    }
}

/// The first descriptor a service manager passes to a process it started
/// with sockets (`SD_LISTEN_FDS_START` in systemd's `sd_listen_fds(3)`); the
/// others, if any, follow it.
#[cfg(unix)]
pub const LISTEN_FDS_START: std::os::raw::c_int = 3;

/// The sockets a service manager passed (socket activation).
#[cfg(unix)]
#[derive(Debug)]
pub struct ListenFds {
    /// The first of them, descriptor 3, now owned by the caller and closed
    /// on exec.
    pub first: std::os::unix::io::OwnedFd,
    /// How many were passed (`LISTEN_FDS`); the others are left alone.
    pub count: u32,
}

/// Whether descriptor 3 has been taken: it may become an `OwnedFd` once.
#[cfg(unix)]
static LISTEN_FD_TAKEN: AtomicBool = AtomicBool::new(false);

/// Takes the sockets a service manager passed, if it passed any to this
/// process, as systemd's `sd_listen_fds(3)` reads them: `LISTEN_PID` must
/// be this process's id (a value inherited from a parent names the parent)
/// and `LISTEN_FDS` says how many descriptors, from 3 on, it passed. The
/// first becomes an `OwnedFd`, marked close-on-exec so that no child
/// inherits it.
///
/// `LISTEN_PID`, `LISTEN_FDS` and `LISTEN_FDNAMES` are removed from the
/// environment whatever they said, as `sd_listen_fds` does when asked to,
/// so that they cannot mislead a child. Changing the environment races
/// with other threads reading it: call this while the process has one
/// thread (the binary does so first thing).
///
/// `Ok(None)`: nothing was passed to this process. A second call finds the
/// variables gone, and `Ok(None)` too.
///
/// # Errors
///
/// `InvalidData` for variables that are not numbers; `NotFound` when they
/// name this process but descriptor 3 is not open; `AlreadyExists` if the
/// descriptor was taken before (the variables were set again since).
#[cfg(unix)]
pub fn take_listen_fds() -> std::io::Result<Option<ListenFds>> {
    use std::io::{Error, ErrorKind};
    use std::os::unix::io::{FromRawFd, OwnedFd};
    let read = |name: &str| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned());
    let (pid, fds) = (read("LISTEN_PID"), read("LISTEN_FDS"));
    for name in ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"] {
        std::env::remove_var(name);
    }
    let count = match listen_fds_for(pid.as_deref(), fds.as_deref(), std::process::id()) {
        Ok(Some(count)) => count,
        Ok(None) => return Ok(None),
        Err(why) => return Err(Error::new(ErrorKind::InvalidData, why)),
    };
    if LISTEN_FD_TAKEN.swap(true, Ordering::SeqCst) {
        return Err(Error::new(
            ErrorKind::AlreadyExists,
            "the socket passed by the service manager was taken already",
        ));
    }
    // SAFETY: `fcntl` with `F_GETFD` only reads the descriptor's flags, and
    // fails with `EBADF` if it is not open.
    let flags = unsafe { unix::fcntl(LISTEN_FDS_START, unix::F_GETFD) };
    if flags < 0 {
        return Err(Error::new(
            ErrorKind::NotFound,
            format!("LISTEN_FDS={count} names this process, but descriptor 3 is not open"),
        ));
    }
    // SAFETY: as above; `F_SETFD` takes one `int` argument, the new flags.
    if unsafe { unix::fcntl(LISTEN_FDS_START, unix::F_SETFD, flags | unix::FD_CLOEXEC) } < 0 {
        return Err(Error::last_os_error());
    }
    // SAFETY: `LISTEN_PID` names this process, so the service manager that
    // started it passed it descriptor 3 (sd_listen_fds(3)), and the
    // descriptor is open (`F_GETFD` succeeded). Neither std nor this crate
    // opens or owns descriptor 3 by number, and `LISTEN_FD_TAKEN` makes this
    // the only `OwnedFd` ever made of it, so it is closed once, by its owner.
    let first = unsafe { OwnedFd::from_raw_fd(LISTEN_FDS_START) };
    Ok(Some(ListenFds { first, count }))
}

/// What `LISTEN_PID` and `LISTEN_FDS` say to the process `us`: how many
/// sockets were passed to it (`None`: none, or the variables are for
/// another process), or why they cannot be read.
#[cfg(unix)]
fn listen_fds_for(pid: Option<&str>, fds: Option<&str>, us: u32) -> Result<Option<u32>, String> {
    let number = |name: &str, text: &str| {
        let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
        text.parse::<u32>()
            .ok()
            .filter(|_| digits)
            .ok_or_else(|| format!("{name}={text:?} is not a number"))
    };
    let (Some(pid), Some(fds)) = (pid, fds) else {
        return Ok(None);
    };
    if number("LISTEN_PID", pid)? != us {
        return Ok(None);
    }
    match number("LISTEN_FDS", fds)? {
        0 => Ok(None),
        count => Ok(Some(count)),
    }
}

/// A socket's address family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `AF_INET`.
    Ipv4,
    /// `AF_INET6`.
    Ipv6,
    /// `AF_UNIX`.
    Unix,
    /// Any other family, by its number.
    Other(i32),
}

/// What a descriptor that should be a listening socket turns out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SocketKind {
    /// Its address family (`getsockname`).
    pub family: Family,
    /// Whether it is a stream socket (`SO_TYPE` is `SOCK_STREAM`), as
    /// opposed to datagrams or sequenced packets.
    pub stream: bool,
    /// Whether it is listening (`SO_ACCEPTCONN`), as opposed to one
    /// connection.
    pub listening: bool,
}

/// Asks the system what socket `fd` is: its family from `getsockname`, its
/// type and whether it listens from `getsockopt`. std can say neither for a
/// descriptor it did not make.
///
/// # Errors
///
/// The system's error: `ENOTSOCK` (shown as "Socket operation on
/// non-socket") for a descriptor that is not a socket. `Unsupported` where
/// the constants are not written out here.
#[cfg(any(
    all(
        any(target_os = "linux", target_os = "android"),
        not(any(
            target_arch = "mips",
            target_arch = "mips64",
            target_arch = "mips32r6",
            target_arch = "mips64r6",
            target_arch = "sparc",
            target_arch = "sparc64"
        ))
    ),
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd"
))]
pub fn socket_kind(fd: std::os::unix::io::BorrowedFd<'_>) -> std::io::Result<SocketKind> {
    use sock::{AF_INET, AF_INET6, AF_UNIX, SOCK_STREAM, SOL_SOCKET, SO_ACCEPTCONN, SO_TYPE};
    use std::os::raw::{c_int, c_void};
    use std::os::unix::io::AsRawFd;
    extern "C" {
        fn getsockname(fd: c_int, addr: *mut SockAddrStorage, len: *mut u32) -> c_int;
        fn getsockopt(
            fd: c_int,
            level: c_int,
            name: c_int,
            value: *mut c_void,
            len: *mut u32,
        ) -> c_int;
    }
    /// `struct sockaddr_storage`: 128 bytes, aligned for any address.
    #[repr(C, align(8))]
    struct SockAddrStorage([u8; 128]);
    let fd = fd.as_raw_fd();
    let mut addr = SockAddrStorage([0; 128]);
    let mut len = 128u32;
    // SAFETY: `addr` is writable for `len` bytes, and the kernel writes at
    // most that many and the length it used into `len`; `fd` is borrowed,
    // so open for the call.
    if unsafe { getsockname(fd, &mut addr, &mut len) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let option = |name: c_int| {
        let (mut value, mut len): (c_int, u32) = (0, 4);
        // SAFETY: `value` is a writable `int` and `len` its size, as both
        // options are `int`s; `fd` is open for the call.
        let done = unsafe {
            getsockopt(
                fd,
                SOL_SOCKET,
                name,
                (&mut value as *mut c_int).cast(),
                &mut len,
            )
        };
        if done == 0 {
            Ok(value)
        } else {
            Err(std::io::Error::last_os_error())
        }
    };
    let family = match sock::family(&addr.0) {
        AF_UNIX => Family::Unix,
        AF_INET => Family::Ipv4,
        AF_INET6 => Family::Ipv6,
        other => Family::Other(other),
    };
    Ok(SocketKind {
        family,
        stream: option(SO_TYPE)? == SOCK_STREAM,
        listening: option(SO_ACCEPTCONN)? != 0,
    })
}

/// The socket option and family numbers: the same on every Linux
/// architecture but MIPS and SPARC (left out above), and the same on
/// macOS, iOS and FreeBSD but for `AF_INET6` (`AF_UNIX` and `AF_INET` are 1
/// and 2 everywhere). The family sits in the first
/// two bytes of an address on Linux (`sa_family_t` is 16 bits), in the
/// second byte on the BSDs and macOS (after `sa_len`).
#[cfg(all(
    any(target_os = "linux", target_os = "android"),
    not(any(
        target_arch = "mips",
        target_arch = "mips64",
        target_arch = "mips32r6",
        target_arch = "mips64r6",
        target_arch = "sparc",
        target_arch = "sparc64"
    ))
))]
mod sock {
    use std::os::raw::c_int;
    pub const SOL_SOCKET: c_int = 1;
    pub const SO_TYPE: c_int = 3;
    pub const SO_ACCEPTCONN: c_int = 30;
    pub const SOCK_STREAM: c_int = 1;
    pub const AF_UNIX: i32 = 1;
    pub const AF_INET: i32 = 2;
    pub const AF_INET6: i32 = 10;

    pub fn family(addr: &[u8; 128]) -> i32 {
        i32::from(u16::from_ne_bytes([addr[0], addr[1]]))
    }
}

#[cfg(any(target_os = "macos", target_os = "ios", target_os = "freebsd"))]
mod sock {
    use std::os::raw::c_int;
    pub const SOL_SOCKET: c_int = 0xffff;
    pub const SO_TYPE: c_int = 0x1008;
    pub const SO_ACCEPTCONN: c_int = 0x2;
    pub const SOCK_STREAM: c_int = 1;
    pub const AF_UNIX: i32 = 1;
    pub const AF_INET: i32 = 2;
    #[cfg(any(target_os = "macos", target_os = "ios"))]
    pub const AF_INET6: i32 = 30;
    #[cfg(target_os = "freebsd")]
    pub const AF_INET6: i32 = 28;

    pub fn family(addr: &[u8; 128]) -> i32 {
        i32::from(addr[1])
    }
}

/// The socket constants are not written out for this system.
///
/// # Errors
///
/// Always `Unsupported`.
#[cfg(all(
    unix,
    not(any(
        all(
            any(target_os = "linux", target_os = "android"),
            not(any(
                target_arch = "mips",
                target_arch = "mips64",
                target_arch = "mips32r6",
                target_arch = "mips64r6",
                target_arch = "sparc",
                target_arch = "sparc64"
            ))
        ),
        target_os = "macos",
        target_os = "ios",
        target_os = "freebsd"
    ))
))]
pub fn socket_kind(_fd: std::os::unix::io::BorrowedFd<'_>) -> std::io::Result<SocketKind> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

#[cfg(all(test, target_os = "linux"))]
mod socket_tests {
    use super::*;
    use std::os::unix::io::AsFd;

    #[test]
    fn listen_variables_count_only_for_this_process() {
        assert_eq!(listen_fds_for(None, None, 7), Ok(None));
        assert_eq!(listen_fds_for(Some("7"), None, 7), Ok(None));
        assert_eq!(
            listen_fds_for(Some("8"), Some("1"), 7),
            Ok(None),
            "a parent's"
        );
        assert_eq!(listen_fds_for(Some("7"), Some("1"), 7), Ok(Some(1)));
        assert_eq!(listen_fds_for(Some("7"), Some("2"), 7), Ok(Some(2)));
        assert_eq!(listen_fds_for(Some("7"), Some("0"), 7), Ok(None));
        for (pid, fds) in [("x", "1"), ("+7", "1"), ("7", "-1"), ("7", ""), ("7", "1 ")] {
            assert!(
                listen_fds_for(Some(pid), Some(fds), 7).is_err(),
                "{pid} {fds}"
            );
        }
    }

    #[test]
    fn socket_kinds_are_told_apart() {
        let tcp = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let kind = socket_kind(tcp.as_fd()).unwrap();
        assert_eq!(
            kind,
            SocketKind {
                family: Family::Ipv4,
                stream: true,
                listening: true
            }
        );
        let connected = std::net::TcpStream::connect(tcp.local_addr().unwrap()).unwrap();
        assert!(!socket_kind(connected.as_fd()).unwrap().listening);
        if let Ok(tcp6) = std::net::TcpListener::bind("[::1]:0") {
            assert_eq!(socket_kind(tcp6.as_fd()).unwrap().family, Family::Ipv6);
        }
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        let kind = socket_kind(a.as_fd()).unwrap();
        assert_eq!(
            (kind.family, kind.stream, kind.listening),
            (Family::Unix, true, false)
        );
        let datagram = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        assert!(!socket_kind(datagram.as_fd()).unwrap().stream);
        let file = std::fs::File::open("/dev/null").unwrap();
        assert!(socket_kind(file.as_fd()).is_err(), "not a socket");
    }
}
