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
    /// The user who authenticated (`--auth`), if any.
    pub user: Option<&'a str>,
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
        let user = record.user.map_or_else(|| "-".to_string(), escape_field);
        let request = match record.request_line {
            None => "-".to_string(),
            Some(RequestLine {
                method,
                target,
                version,
            }) => format!("{method} {target} {}", version.as_str()),
        };
        let line = format!(
            "{} - {user} [{when}] \"{request}\" {} {bytes}\n",
            record.peer, record.status
        );
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

/// A value from the client (a user name) made safe for an unquoted log
/// field: anything but visible ASCII, and `"` and `\`, becomes `\xHH`, as
/// nginx writes them, so a space or a newline cannot forge a field or a
/// line.
fn escape_field(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if b.is_ascii_graphic() && b != b'"' && b != b'\\' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape_field;

    #[test]
    fn user_names_cannot_break_the_line() {
        assert_eq!(escape_field("ada"), "ada");
        assert_eq!(escape_field("a b"), "a\\x20b");
        assert_eq!(escape_field("x\n1.2.3.4 - -"), "x\\x0A1.2.3.4\\x20-\\x20-");
        assert_eq!(escape_field("zoë\"\\"), "zo\\xC3\\xAB\\x22\\x5C");
    }
}
