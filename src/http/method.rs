//! Request methods (RFC 9110 §9).
//!
//! The parser accepts any `token` as a method, because the grammar allows it;
//! this module decides which of those tokens the server knows. A token it does
//! not know is answered with 501 Not Implemented (RFC 9110 §9.1) before any
//! routing happens. Method names are case-sensitive: `get` is not `GET`.

use std::fmt;

/// A request method the server understands, or [`Method::Unknown`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// `GET`: transfer a current representation of the target.
    Get,
    /// `HEAD`: the same as GET without the body.
    Head,
    /// `POST`: process the enclosed representation.
    Post,
    /// `PUT`: replace the target with the enclosed representation.
    Put,
    /// `DELETE`: remove the target.
    Delete,
    /// `CONNECT`: establish a tunnel (not supported by this server).
    Connect,
    /// `OPTIONS`: describe the communication options for the target.
    Options,
    /// `TRACE`: loop the request back (not supported by this server).
    Trace,
    /// `PATCH`: apply partial modifications (RFC 5789).
    Patch,
    /// A syntactically valid method token this server does not implement.
    Unknown,
}

impl Method {
    /// Every method the server knows, in the order `Allow` lists them.
    pub const KNOWN: [Method; 9] = [
        Method::Get,
        Method::Head,
        Method::Post,
        Method::Put,
        Method::Delete,
        Method::Connect,
        Method::Options,
        Method::Trace,
        Method::Patch,
    ];

    /// The length of the longest method token the server knows (`CONNECT`,
    /// `OPTIONS`). A longer token cannot name a method we implement, so the
    /// parser answers 501 as soon as it has seen that many token bytes,
    /// without waiting for the rest of the request line.
    pub const LONGEST_TOKEN: usize = {
        let mut longest = 0;
        let mut i = 0;
        while i < Method::KNOWN.len() {
            let len = Method::KNOWN[i].as_str().len();
            if len > longest {
                longest = len;
            }
            i += 1;
        }
        longest
    };

    /// Maps a method token to a `Method`, case-sensitively.
    pub fn from_token(token: &[u8]) -> Method {
        match token {
            b"GET" => Method::Get,
            b"HEAD" => Method::Head,
            b"POST" => Method::Post,
            b"PUT" => Method::Put,
            b"DELETE" => Method::Delete,
            b"CONNECT" => Method::Connect,
            b"OPTIONS" => Method::Options,
            b"TRACE" => Method::Trace,
            b"PATCH" => Method::Patch,
            _ => Method::Unknown,
        }
    }

    /// The method's name as sent on the wire (`"UNKNOWN"` for unknown ones).
    pub const fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Connect => "CONNECT",
            Method::Options => "OPTIONS",
            Method::Trace => "TRACE",
            Method::Patch => "PATCH",
            Method::Unknown => "UNKNOWN",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_token_is_the_longest_known_name() {
        assert_eq!(Method::LONGEST_TOKEN, "OPTIONS".len());
        for method in Method::KNOWN {
            assert!(method.as_str().len() <= Method::LONGEST_TOKEN, "{method}");
            assert_eq!(Method::from_token(method.as_str().as_bytes()), method);
        }
    }
}
