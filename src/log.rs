//! The one place library code writes text for people: the access log on
//! stdout (Common Log Format, one line per request) and server errors on
//! stderr. Everything else in the library returns values; `main.rs` prints
//! fatal start-up errors itself.

use crate::http::date;
use crate::http::parse::RequestLine;
use std::io::Write;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

/// Where log lines go, and whether the access log is on.
#[derive(Debug)]
pub struct Logger {
    access: bool,
    warned_fd_limit: AtomicBool,
}

/// One finished request, as the access log records it.
#[derive(Debug, Clone, Copy)]
pub struct AccessRecord<'a> {
    /// The client's IP address.
    pub peer: IpAddr,
    /// The request line, or `None` when none was read whole (the log shows
    /// `-`, as for a connection refused before its request).
    pub request_line: Option<RequestLine<'a>>,
    /// The status sent.
    pub status: u16,
    /// Body bytes sent.
    pub bytes: u64,
}

impl Logger {
    /// A logger; `access` turns the per-request log on.
    pub fn new(access: bool) -> Logger {
        Logger {
            access,
            warned_fd_limit: AtomicBool::new(false),
        }
    }

    /// Writes one Common Log Format line:
    /// `127.0.0.1 - - [06/Nov/1994:08:49:37 +0000] "GET / HTTP/1.1" 200 1024`.
    pub fn access(&self, record: &AccessRecord<'_>) {
        if !self.access {
            return;
        }
        let when = date::format_clf(date::unix_seconds(SystemTime::now()));
        let bytes = match record.bytes {
            0 => "-".to_string(),
            n => n.to_string(),
        };
        let line = match record.request_line {
            None => format!(
                "{} - - [{}] \"-\" {} {}\n",
                record.peer, when, record.status, bytes
            ),
            Some(RequestLine {
                method,
                target,
                version,
            }) => format!(
                "{} - - [{}] \"{} {} {}\" {} {}\n",
                record.peer,
                when,
                method,
                target,
                version.as_str(),
                record.status,
                bytes
            ),
        };
        // A closed stdout must not take the server down; the line is lost.
        let _ = std::io::stdout().lock().write_all(line.as_bytes());
    }

    /// Says something an operator watching the server should see (that it
    /// is stopping), on stdout with the access log, even when the access
    /// log is off.
    pub fn notice(&self, message: &str) {
        let _ = writeln!(std::io::stdout().lock(), "{message}");
    }

    /// Reports a server-side problem that does not stop the server.
    pub fn error(&self, message: &str) {
        let _ = writeln!(std::io::stderr().lock(), "http-from-scratch: {message}");
    }

    /// Reports running out of file descriptors, once per process run, since
    /// under a flood it would otherwise repeat thousands of times a second.
    pub fn fd_exhausted(&self, message: &str) {
        if !self.warned_fd_limit.swap(true, Ordering::Relaxed) {
            self.error(message);
        }
    }
}
