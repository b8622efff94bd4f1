//! The HTTP/1.1 vocabulary and the pure parts of the protocol.
//!
//! Everything in here works on bytes and values, never on sockets: the
//! request-head parser ([`parse`]), body framing and decoding ([`body`]),
//! field-line syntax and access ([`headers`]), the reasons a head is refused
//! ([`error`]), and the small types and encodings they all speak in:
//! methods ([`method`]), versions ([`version`]), status codes ([`status`]),
//! HTTP dates ([`date`]), numbers ([`number`]), media types ([`mime`]),
//! percent-encoding and query strings ([`uri`]), base64 ([`base64`]), Basic
//! credentials ([`credentials`]), download file names ([`disposition`])
//! and uploaded forms ([`multipart_form`]). Two places outside feed
//! these from a socket: the connection in `server::connection` reads heads,
//! and `request::Body` reads bodies through [`body`]'s decoder.
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
pub mod multipart_form;
pub mod number;
pub mod parse;
pub mod status;
pub mod uri;
pub mod version;
