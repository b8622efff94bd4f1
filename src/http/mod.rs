//! The HTTP/1.1 vocabulary and the pure parts of the protocol.
//!
//! Everything in here works on bytes and values, never on sockets: the
//! request-head parser ([`parse`]), body framing and decoding ([`body`]),
//! field-line syntax and access ([`headers`]), the reasons a head is refused
//! ([`error`]), and the small types they all speak in (methods, versions,
//! status codes, HTTP dates, decimal numbers, media types). The connection
//! in `server::connection` is the only place that feeds these from a
//! socket.
//!
//! Imports run one way: `parse` uses `body`, both use `headers` and
//! `error`, and nothing here uses `parse`. So field lines and their errors
//! can be read, and tested, without the request line.

pub mod base64;
pub mod body;
pub mod credentials;
pub mod date;
pub mod disposition;
pub mod error;
pub mod headers;
pub mod method;
pub mod mime;
pub mod number;
pub mod parse;
pub mod status;
pub mod uri;
pub mod version;
