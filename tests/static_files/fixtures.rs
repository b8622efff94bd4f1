//! Fixtures shared by the modules: files with a fixed modification time
//! (so `Last-Modified` and date preconditions are known in advance), a raw
//! request builder, and content that never repeats (so a wrong offset can
//! never pass for the right one).
//!
//! Servers, sockets and the response reader live in `tests/common`.

use crate::common::{RawResponse, TempDir};
use std::fs::File;
use std::time::{Duration, UNIX_EPOCH};

/// The modification time every dated fixture gets: well in the past, so
/// `Last-Modified` is a strong validator (RFC 9110 §8.8.2.2).
pub const MTIME: u64 = 1_700_000_000;
/// `MTIME` as an IMF-fixdate: the exact `Last-Modified` of dated fixtures.
pub const LAST_MODIFIED: &str = "Tue, 14 Nov 2023 22:13:20 GMT";
/// One second before `MTIME`.
pub const BEFORE: &str = "Tue, 14 Nov 2023 22:13:19 GMT";
/// One second after `MTIME`.
pub const AFTER: &str = "Tue, 14 Nov 2023 22:13:21 GMT";

/// Writes `relative` under `dir` and sets its modification time to `MTIME`.
pub fn write_dated(dir: &TempDir, relative: &str, contents: &[u8]) {
    let path = dir.write(relative, contents);
    File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(UNIX_EPOCH + Duration::from_secs(MTIME))
        .unwrap();
}

/// `METHOD target HTTP/1.1` with a Host and the given header lines.
pub fn request(method: &str, target: &str, headers: &[&str]) -> Vec<u8> {
    let mut raw = format!("{method} {target} HTTP/1.1\r\nHost: test\r\n");
    for line in headers {
        raw.push_str(line);
        raw.push_str("\r\n");
    }
    raw.push_str("\r\n");
    raw.into_bytes()
}

/// `GET target` with the given header lines.
pub fn get_with(target: &str, headers: &[&str]) -> Vec<u8> {
    request("GET", target, headers)
}

/// Every value of header `name`, split at commas: list fields may arrive
/// on several lines.
pub fn values(response: &RawResponse, name: &str) -> Vec<String> {
    response
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .flat_map(|(_, v)| v.split(','))
        .map(|v| v.trim().to_string())
        .collect()
}

/// `len` bytes from xorshift64: no 8-byte window repeats in practice.
pub fn unique_bytes(len: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        out.extend_from_slice(&state.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// The entity-tag of `target` as the server sends it.
pub fn etag_of(server: &crate::common::TestServer, target: &str, headers: &[&str]) -> String {
    let r = server.exchange(&get_with(target, headers));
    r.header("etag").expect("an ETag").to_string()
}
