//! The one place library code writes text for people: the access log (one
//! line per request, on stdout or in a file) and server errors on stderr.
//! Everything else in the library returns values; `main.rs` prints fatal
//! start-up errors itself.
//!
//! The access log comes in three formats (`config::LogFormat`): Common Log
//! Format, the Combined format (Common plus Referer and User-Agent), both
//! exactly as log tools expect, and one JSON object per line. A log file is
//! appended to, and opened again on SIGHUP (once the process has asked for
//! that, see `server::reopen_log_on_sighup`), so `logrotate` can move it
//! away.

use crate::config::LogFormat;
use crate::http::date;
use crate::http::parse::RequestLine;
use crate::json;
use crate::socket::Peer;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

/// Where log lines go, and whether the access log is on.
#[derive(Debug)]
pub struct Logger {
    access: bool,
    format: LogFormat,
    file: Option<LogFile>,
    warned_fd_limit: AtomicBool,
}

/// An access log file, and the SIGHUPs it has seen.
#[derive(Debug)]
struct LogFile {
    path: PathBuf,
    file: Mutex<File>,
    reopened_for: AtomicUsize,
    /// Whether the last line failed to be written: a full disk fails every
    /// line, and is said once, not once a request.
    failing: AtomicBool,
}

/// One finished request, as the access log records it.
#[derive(Debug, Clone, Copy)]
pub struct AccessRecord<'a> {
    /// Who sent the request: its IP address is logged, and `-` (in JSON,
    /// `null`) for a client of a Unix socket, which has none.
    pub peer: Peer,
    /// The request line, or `None` when none was read whole (the log shows
    /// `-`, as for a connection refused before its request).
    pub request_line: Option<RequestLine<'a>>,
    /// The user who authenticated (`--auth`), if any.
    pub user: Option<&'a str>,
    /// The status sent.
    pub status: u16,
    /// Body bytes sent.
    pub bytes: u64,
    /// The request's `Referer`, if any.
    pub referer: Option<&'a str>,
    /// The request's `User-Agent`, if any.
    pub user_agent: Option<&'a str>,
    /// Why the server refused the request itself, if it did (in the JSON
    /// format only: Common and Combined stay as log tools expect them).
    pub reason: Option<&'a str>,
}

impl Logger {
    /// A logger writing Common Log Format to stdout; `access` turns the
    /// per-request log on.
    pub fn new(access: bool) -> Logger {
        Logger {
            access,
            format: LogFormat::Common,
            file: None,
            warned_fd_limit: AtomicBool::new(false),
        }
    }

    /// Writes access lines in `format`.
    pub fn with_format(mut self, format: LogFormat) -> Logger {
        self.format = format;
        self
    }

    /// Appends access lines to the file at `path` instead of stdout.
    ///
    /// # Errors
    ///
    /// The error from opening the file.
    pub fn to_file(mut self, path: &Path) -> io::Result<Logger> {
        self.file = Some(LogFile {
            file: Mutex::new(open_log(path)?),
            path: path.to_path_buf(),
            reopened_for: AtomicUsize::new(crate::sys::hangups()),
            failing: AtomicBool::new(false),
        });
        Ok(self)
    }

    /// Writes one access line, in the logger's format.
    pub fn access(&self, record: &AccessRecord<'_>) {
        if !self.access {
            return;
        }
        let secs = date::unix_seconds(SystemTime::now());
        let line = match self.format {
            LogFormat::Common => common_line(record, secs),
            LogFormat::Combined => {
                let mut line = common_line(record, secs);
                line.pop();
                let quoted =
                    |value: Option<&str>| value.map_or_else(|| "-".to_string(), escape_quoted);
                line.push_str(&format!(
                    " \"{}\" \"{}\"\n",
                    quoted(record.referer),
                    quoted(record.user_agent)
                ));
                line
            }
            LogFormat::Json => json_line(record, secs),
        };
        match &self.file {
            // A closed stdout must not take the server down; the line is lost.
            None => {
                let _ = io::stdout().lock().write_all(line.as_bytes());
            }
            Some(file) => file.write(line.as_bytes(), self),
        }
    }

    /// Says something an operator watching the server should see (that it
    /// is stopping), on stdout with the access log, even when the access
    /// log is off.
    pub fn notice(&self, message: &str) {
        let _ = writeln!(io::stdout().lock(), "{message}");
    }

    /// Says on stderr why a request (or a connection) was refused by the
    /// server itself, one line each, whatever the access log's format; a
    /// per-request line, so off with the access log (`--quiet`).
    pub fn refused(&self, peer: Peer, status: u16, reason: &str) {
        if !self.access {
            return;
        }
        let who = match peer.ip() {
            Some(ip) => ip.to_string(),
            None => "a unix-socket client".to_string(),
        };
        let _ = writeln!(
            io::stderr().lock(),
            "http-from-scratch: {status} for {who}: {reason}"
        );
    }

    /// Reports a server-side problem that does not stop the server.
    pub fn error(&self, message: &str) {
        let _ = writeln!(io::stderr().lock(), "http-from-scratch: {message}");
    }

    /// Reports running out of file descriptors, once per process run, since
    /// under a flood it would otherwise repeat thousands of times a second.
    pub fn fd_exhausted(&self, message: &str) {
        if !self.warned_fd_limit.swap(true, Ordering::Relaxed) {
            self.error(message);
        }
    }
}

impl LogFile {
    /// Appends `line`, first opening the file again if a SIGHUP came since
    /// it was opened (the old one may have been moved away).
    fn write(&self, line: &[u8], logger: &Logger) {
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        let hangups = crate::sys::hangups();
        if self.reopened_for.swap(hangups, Ordering::Relaxed) != hangups {
            match open_log(&self.path) {
                Ok(reopened) => *file = reopened,
                Err(e) => logger.error(&format!(
                    "cannot reopen the log {}: {e}",
                    self.path.display()
                )),
            }
        }
        match file.write_all(line) {
            Err(e) if !self.failing.swap(true, Ordering::Relaxed) => logger.error(&format!(
                "cannot write the log {}: {e} (said once, until a line is written again)",
                self.path.display()
            )),
            Err(_) => {}
            Ok(()) => {
                if self.failing.swap(false, Ordering::Relaxed) {
                    logger.error(&format!("the log {} is written again", self.path.display()));
                }
            }
        }
    }
}

/// Opens the log file to append to, without waiting for a reader if it is
/// a FIFO (see `sys::open_append`).
fn open_log(path: &Path) -> io::Result<File> {
    crate::sys::open_append(path)
}

/// `127.0.0.1 - user [06/Nov/1994:08:49:37 +0000] "GET / HTTP/1.1" 200 1024`
fn common_line(record: &AccessRecord<'_>, secs: i64) -> String {
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
    // The remote host field: `-` when there is no address, as for any
    // field Common Log Format has no value for.
    let host = record
        .peer
        .ip()
        .map_or_else(|| "-".to_string(), |ip| ip.to_string());
    format!(
        "{host} - {user} [{}] \"{request}\" {} {bytes}\n",
        date::format_clf(secs),
        record.status
    )
}

/// One JSON object: every field, `null` where there is none.
fn json_line(record: &AccessRecord<'_>, secs: i64) -> String {
    let text = |value: Option<&str>| value.map_or_else(|| "null".to_string(), log_string);
    let line = record.request_line;
    format!(
        "{{\"time\":{},\"peer\":{},\"user\":{},\"method\":{},\"target\":{},\"version\":{},\
         \"status\":{},\"bytes\":{},\"referer\":{},\"user_agent\":{},\"reason\":{}}}\n",
        json::string(&date::format_rfc3339(secs)),
        text(record.peer.ip().map(|ip| ip.to_string()).as_deref()),
        text(record.user),
        text(line.map(|l| l.method)),
        text(line.map(|l| l.target)),
        text(line.map(|l| l.version.as_str())),
        record.status,
        record.bytes,
        text(record.referer),
        text(record.user_agent),
        text(record.reason),
    )
}

/// A JSON string for the log: escaped as JSON requires, and the control
/// characters JSON lets through (DEL, U+0080-U+009F) as `\u00XX` too,
/// since some terminals take U+009B for CSI: `tail -f` on the log must not
/// run what a client sent.
fn log_string(text: &str) -> String {
    let quoted = json::string(text);
    if !quoted.chars().any(char::is_control) {
        return quoted;
    }
    // What JSON requires is escaped already, with ASCII only.
    let mut out = String::with_capacity(quoted.len() + 12);
    for c in quoted.chars() {
        if c.is_control() {
            out.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    out
}

/// A value from the client inside a quoted log field (Referer,
/// User-Agent): spaces stay, but `"`, `\`, control bytes and anything not
/// ASCII become `\xHH`, as nginx writes them, so nothing can end the field
/// or the line early.
fn escape_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if (b == b' ' || b.is_ascii_graphic()) && b != b'"' && b != b'\\' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
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
    use super::*;

    #[test]
    fn quoted_fields_keep_spaces_and_nothing_that_ends_them() {
        assert_eq!(escape_quoted("Mozilla/5.0 (X11)"), "Mozilla/5.0 (X11)");
        assert_eq!(escape_quoted("a\"b\\c\nd"), "a\\x22b\\x5Cc\\x0Ad");
    }

    #[test]
    fn a_unix_socket_client_is_logged_without_an_address() {
        let record = |peer| AccessRecord {
            peer,
            request_line: None,
            user: Some("ada"),
            status: 400,
            bytes: 0,
            referer: None,
            user_agent: None,
            reason: None,
        };
        let unix = record(Peer::Unix);
        assert!(
            common_line(&unix, 0).starts_with("- - ada [01/Jan/1970:00:00:00 +0000] \"-\" 400 -")
        );
        assert!(json_line(&unix, 0).contains("\"peer\":null,"));
        let tcp = record(Peer::Ip("[::1]:4000".parse().unwrap()));
        assert!(common_line(&tcp, 0).starts_with("::1 - ada ["));
        assert!(json_line(&tcp, 0).contains("\"peer\":\"::1\","));
    }

    #[test]
    fn user_names_cannot_break_the_line() {
        assert_eq!(escape_field("ada"), "ada");
        assert_eq!(escape_field("a b"), "a\\x20b");
        assert_eq!(escape_field("x\n1.2.3.4 - -"), "x\\x0A1.2.3.4\\x20-\\x20-");
        assert_eq!(escape_field("zoë\"\\"), "zo\\xC3\\xAB\\x22\\x5C");
    }

    /// Regression: the JSON format left DEL and the C1 controls
    /// (U+0080-U+009F) as they came, valid JSON but not safe to read:
    /// U+009B is CSI to terminals that take C1 controls in UTF-8, so a
    /// User-Agent could clear or retitle the screen of whoever ran
    /// `tail -f` on the log. They are escaped now, as Combined escapes them.
    #[test]
    fn json_lines_hold_no_control_character_a_terminal_would_run() {
        let record = AccessRecord {
            peer: Peer::Unix,
            request_line: None,
            user: Some("\u{9d}0;owned\u{9c}"),
            status: 200,
            bytes: 0,
            referer: None,
            user_agent: Some("a\u{9b}2J\u{7f}é\n"),
            reason: None,
        };
        let line = json_line(&record, 0);
        assert!(line.contains(r#""user":"\u009d0;owned\u009c""#), "{line}");
        assert!(
            line.contains(r#""user_agent":"a\u009b2J\u007fé\n""#),
            "{line}"
        );
        assert_eq!(
            line.chars().filter(|c| c.is_control()).count(),
            1,
            "the newline"
        );
    }
}
