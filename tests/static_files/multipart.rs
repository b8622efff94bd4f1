//! Several ranges in one request (RFC 9110 §14.6, §15.3.7.2): the
//! `multipart/byteranges` answer is parsed here, part by part, with the
//! boundary taken from `Content-Type`; overlapping ranges are coalesced,
//! and too many disjoint ranges get the whole file instead (no
//! amplification).
//!
//! Single ranges and `If-Range` are in `ranges.rs`.

use crate::common::*;
use crate::fixtures::*;

const LEN: usize = 2000;

fn site() -> (TempDir, TestServer, Vec<u8>) {
    let dir = TempDir::new("multipart");
    let contents = unique_bytes(LEN);
    dir.write("notes.txt", &contents);
    let server = TestServer::files(dir.path());
    (dir, server, contents)
}

fn ranged(server: &TestServer, range: &str) -> RawResponse {
    server.exchange(&get_with("/notes.txt", &[&format!("Range: {range}")]))
}

/// One part of a `multipart/byteranges` body.
#[derive(Debug)]
struct Part {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Part {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The `boundary` parameter of a multipart Content-Type (quoted or not).
fn boundary(content_type: &str) -> String {
    let (kind, params) = content_type.split_once(';').expect("parameters");
    assert_eq!(kind.trim(), "multipart/byteranges");
    let value = params
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))
        .expect("a boundary parameter");
    value.trim_matches('"').to_string()
}

/// Splits a multipart body (RFC 2046 §5.1.1) into its parts; panics on
/// anything malformed, including bytes after the close delimiter's line.
fn parse_multipart(body: &[u8], boundary: &str) -> Vec<Part> {
    let delimiter = format!("\r\n--{boundary}").into_bytes();
    // The first delimiter may come without the CRLF before it.
    let mut rest = match body.strip_prefix(&delimiter[2..]) {
        Some(after) => after,
        None => {
            let at = find(body, &delimiter).expect("a first delimiter");
            &body[at + delimiter.len()..]
        }
    };
    let mut parts = Vec::new();
    loop {
        if let Some(after) = rest.strip_prefix(b"--") {
            // Either is well-formed (RFC 2046 §5.1.1): the close delimiter
            // may end the body or its own line. Anything else would be an
            // epilogue, which this server never sends.
            assert!(
                after.is_empty() || after == b"\r\n",
                "bytes after the close delimiter: {after:?}"
            );
            return parts;
        }
        let after_line = rest.strip_prefix(b"\r\n").expect("CRLF after delimiter");
        let head_end = find(after_line, b"\r\n\r\n").expect("part headers end");
        let head = std::str::from_utf8(&after_line[..head_end]).unwrap();
        let headers = head
            .split("\r\n")
            .map(|line| {
                let (n, v) = line.split_once(':').expect("part header has a colon");
                (n.to_string(), v.trim().to_string())
            })
            .collect();
        let content = &after_line[head_end + 4..];
        let end = find(content, &delimiter).expect("next delimiter");
        parts.push(Part {
            headers,
            body: content[..end].to_vec(),
        });
        rest = &content[end + delimiter.len()..];
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Asserts a 206 multipart answer holding exactly `ranges` (inclusive).
fn assert_parts(r: &RawResponse, contents: &[u8], ranges: &[(usize, usize)]) {
    assert_eq!(r.status_line, "HTTP/1.1 206 Partial Content");
    assert_eq!(r.header("content-range"), None, "ranges are in the parts");
    let length = r.body.len().to_string();
    assert_eq!(r.header("content-length"), Some(length.as_str()));
    let parts = parse_multipart(&r.body, &boundary(r.header("content-type").unwrap()));
    assert_eq!(parts.len(), ranges.len(), "{parts:?}");
    for (part, &(first, last)) in parts.iter().zip(ranges) {
        assert_eq!(
            part.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
        let content_range = format!("bytes {first}-{last}/{LEN}");
        assert_eq!(part.header("content-range"), Some(content_range.as_str()));
        assert!(part.body == contents[first..=last], "bytes {first}-{last}");
    }
}

#[test]
fn several_ranges_get_206_multipart_byteranges_with_exact_parts() {
    let (_dir, server, contents) = site();
    let r = ranged(&server, "bytes=0-9, 500-599,-50");
    assert_parts(&r, &contents, &[(0, 9), (500, 599), (1950, 1999)]);
}

#[test]
fn unsatisfiable_members_of_a_range_set_are_left_out() {
    let (_dir, server, contents) = site();
    let r = ranged(&server, "bytes=100-199, 5000-6000, 1500-");
    assert_parts(&r, &contents, &[(100, 199), (1500, 1999)]);
}

#[test]
fn head_with_several_ranges_announces_the_multipart_length() {
    let (_dir, server, _contents) = site();
    let range = "Range: bytes=0-9, 500-599";
    let full = server.exchange(&get_with("/notes.txt", &[range]));
    let head = server.exchange(&request("HEAD", "/notes.txt", &[range]));
    assert_eq!(head.status(), 206);
    assert_eq!(head.header("content-length"), full.header("content-length"));
    assert_eq!(head.header("content-type"), full.header("content-type"));
}

#[test]
fn overlapping_ranges_are_coalesced_into_one() {
    let (_dir, server, contents) = site();
    let r = ranged(&server, "bytes=0-99, 50-149");
    assert_eq!(r.status_line, "HTTP/1.1 206 Partial Content");
    assert_eq!(r.header("content-range"), Some("bytes 0-149/2000"));
    assert!(r.body == contents[..150]);
    let r = ranged(&server, "bytes=0-99, 50-149, 1000-1099, 1050-1199");
    assert_parts(&r, &contents, &[(0, 149), (1000, 1199)]);
}

#[test]
fn sixteen_disjoint_ranges_are_answered_as_sixteen_parts() {
    let (_dir, server, contents) = site();
    let ranges: Vec<(usize, usize)> = (0..16).map(|i| (i * 120, i * 120 + 1)).collect();
    let specs: Vec<String> = ranges.iter().map(|(a, b)| format!("{a}-{b}")).collect();
    let r = ranged(&server, &format!("bytes={}", specs.join(",")));
    assert_parts(&r, &contents, &ranges);
}

#[test]
fn more_than_sixteen_disjoint_ranges_get_the_full_200() {
    let (_dir, server, contents) = site();
    let specs: Vec<String> = (0..17)
        .map(|i| format!("{}-{}", i * 110, i * 110))
        .collect();
    let r = ranged(&server, &format!("bytes={}", specs.join(",")));
    assert_eq!(r.status_line, "HTTP/1.1 200 OK");
    assert_eq!(r.header("content-range"), None);
    assert!(r.body == contents);
}

#[test]
fn many_copies_of_the_whole_range_are_not_amplified() {
    let (_dir, server, contents) = site();
    let r = ranged(&server, &format!("bytes={}", vec!["0-"; 40].join(",")));
    // Forty overlapping ranges merge into one: a single-part 206.
    assert_eq!(r.status_line, "HTTP/1.1 206 Partial Content");
    let whole = format!("bytes 0-{}/{LEN}", LEN - 1);
    assert_eq!(r.header("content-range"), Some(whole.as_str()));
    assert!(r.body == contents, "one copy of the file, not forty");
}

/// Regression: parts came back in file order even when the request asked
/// for them otherwise and nothing needed merging (RFC 9110 §15.3.7.2).
#[test]
fn parts_keep_the_requested_order_when_nothing_is_merged() {
    let (_dir, server, contents) = site();
    let r = ranged(&server, "bytes=500-599, 0-9");
    assert_parts(&r, &contents, &[(500, 599), (0, 9)]);
}
