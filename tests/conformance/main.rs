//! Parser conformance suite: one integration-test binary for the request-head
//! parser and the chunked decoder, checked against RFC 9110 and RFC 9112.
//!
//! - `vectors`: one line per request head, accepted or rejected, with the
//!   RFC section it comes from;
//! - `prefixes`: the same vectors cut at every byte;
//! - `chunked`: chunked bodies decoded whole and one byte at a time;
//! - `props`: proptest over arbitrary bytes, generated valid requests
//!   (`generate`) and mutations of them.
//!
//! Raw-socket behaviour (what status line a client sees) is not tested here.

mod chunked;
mod generate;
mod prefixes;
mod props;
mod vectors;
