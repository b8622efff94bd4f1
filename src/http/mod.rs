//! The HTTP/1.1 vocabulary and the pure parts of the protocol.
//!
//! Everything in here works on bytes and values, never on sockets: the
//! request-head parser ([`parse`]), body framing and decoding ([`body`]), and
//! the small types both of them speak in (methods, versions, status codes,
//! header access, HTTP dates). The connection in `server::connection` is the
//! only place that feeds these from a socket.

pub mod body;
pub mod date;
pub mod headers;
pub mod method;
pub mod parse;
pub mod status;
pub mod uri;
pub mod version;
