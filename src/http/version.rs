//! Protocol versions (RFC 9112 §2.3).
//!
//! Only the two HTTP/1 versions exist on the wire this server speaks. The
//! parser maps `HTTP/1.x` with any other minor digit to HTTP/1.1, as RFC 9110
//! §2.5 asks ("the highest minor version ... the recipient supports"), and
//! rejects other majors with 505.

use std::fmt;

/// The HTTP version of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Version {
    /// HTTP/1.0: close after each response unless the client asks to keep alive.
    Http10,
    /// HTTP/1.1: persistent connections by default.
    Http11,
}

impl Version {
    /// The version as written in a status line.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
