//! End-to-end tests of the static file server over loopback sockets: raw
//! requests in, raw status lines, header fields and exact bytes out.
//!
//! One module per part of serving a file: validators and preconditions,
//! single ranges, multipart ranges, precompressed siblings, listings,
//! downloads, folders as tar archives, the serving options, CORS and
//! OPTIONS, the header fields every response carries, and uploads. The
//! server and socket helpers are in `tests/common`, shared with `tests/it`.

// A crate root in tests/static_files/ finds its modules beside it; the
// shared helpers are one level up.
#[path = "../common/mod.rs"]
mod common;

mod archives;
mod conditional;
mod cors;
mod downloads;
mod fixtures;
mod headers;
mod listing;
mod multipart;
mod negotiation;
mod options;
mod ranges;
mod uploads;
