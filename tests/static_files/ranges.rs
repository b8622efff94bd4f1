//! Single byte ranges (RFC 9110 §14): `Accept-Ranges`, the three range
//! forms with their exact `Content-Range` and bytes, 416 for ranges outside
//! the file, invalid syntax ignored, `If-Range`, and a media player's
//! sequence of open-ended ranges over one connection.
//!
//! Several ranges in one request are in `multipart.rs`.

use crate::common::*;
use crate::fixtures::*;
use std::io::Write;

const LEN: usize = 1000;

fn site() -> (TempDir, TestServer, Vec<u8>) {
    let dir = TempDir::new("ranges");
    let contents = unique_bytes(LEN);
    write_dated(&dir, "clip.bin", &contents);
    let server = TestServer::files(dir.path());
    (dir, server, contents)
}

fn ranged(server: &TestServer, range: &str) -> RawResponse {
    server.exchange(&get_with("/clip.bin", &[&format!("Range: {range}")]))
}

#[test]
fn file_responses_advertise_byte_ranges() {
    let (_dir, server, _contents) = site();
    let r = server.exchange(&get("/clip.bin"));
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
    let r = server.exchange(&request("HEAD", "/clip.bin", &[]));
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
}

#[test]
fn single_range_gets_206_with_exact_content_range_and_bytes() {
    let (_dir, server, contents) = site();
    for (range, first, last) in [
        ("bytes=0-99", 0, 99),
        ("bytes=0-0", 0, 0),
        ("bytes=999-999", 999, 999),
        ("bytes=100-", 100, 999),
        ("bytes=-100", 900, 999),
        ("bytes=990-5000", 990, 999),
        ("bytes=-5000", 0, 999),
        ("bytes=250-", 250, 999),
    ] {
        let r = ranged(&server, range);
        assert_eq!(r.status_line, "HTTP/1.1 206 Partial Content", "{range}");
        let content_range = format!("bytes {first}-{last}/{LEN}");
        assert_eq!(r.header("content-range"), Some(content_range.as_str()));
        let length = (last - first + 1).to_string();
        assert_eq!(r.header("content-length"), Some(length.as_str()), "{range}");
        assert_eq!(r.header("content-type"), Some("application/octet-stream"));
        assert!(r.body == contents[first..=last], "bytes of {range}");
    }
}

#[test]
fn head_with_a_range_gets_the_206_head_without_bytes() {
    let (_dir, server, _contents) = site();
    let mut stream = server.connect();
    let mut batch = request("HEAD", "/clip.bin", &["Range: bytes=10-19"]);
    batch.extend(get("/clip.bin"));
    stream.write_all(&batch).unwrap();
    let r = read_response(&mut stream, true).unwrap();
    assert_eq!(r.status_line, "HTTP/1.1 206 Partial Content");
    assert_eq!(r.header("content-range"), Some("bytes 10-19/1000"));
    assert_eq!(r.header("content-length"), Some("10"));
    let next = read_response(&mut stream, false).unwrap();
    assert_eq!(next.status_line, "HTTP/1.1 200 OK", "no body after HEAD");
}

#[test]
fn range_outside_the_file_gets_416_with_its_length() {
    let (_dir, server, _contents) = site();
    for range in [
        "bytes=1000-",
        "bytes=1000-1000",
        "bytes=5000-6000",
        "bytes=-0",
        "bytes=1000-1001, 2000-",
    ] {
        let r = ranged(&server, range);
        assert_eq!(
            r.status_line, "HTTP/1.1 416 Range Not Satisfiable",
            "{range}"
        );
        assert_eq!(r.header("content-range"), Some("bytes */1000"), "{range}");
    }
}

#[test]
fn any_range_of_an_empty_file_gets_416() {
    let dir = TempDir::new("ranges-empty");
    dir.write("empty.bin", b"");
    let server = TestServer::files(dir.path());
    let r = server.exchange(&get_with("/empty.bin", &["Range: bytes=0-"]));
    assert_eq!(r.status(), 416);
    assert_eq!(r.header("content-range"), Some("bytes */0"));
}

#[test]
fn syntactically_invalid_range_is_ignored() {
    let (_dir, server, contents) = site();
    for range in [
        "bytes=5-1",
        "bytes=a-b",
        "bytes=-",
        "bytes=",
        "bytes",
        "bytes 0-1",
        "bytes=+1-2",
        "bytes=1-+2",
        "bytes=--1",
        "bytes=0x10-20",
        "bytes=0-1-2",
        "items=0-1",
        "bytes=0-1, x",
    ] {
        let r = ranged(&server, range);
        assert_eq!(r.status_line, "HTTP/1.1 200 OK", "{range}");
        assert_eq!(r.header("content-range"), None, "{range}");
        assert!(r.body == contents, "full body for {range}");
    }
}

#[test]
fn if_range_with_the_current_strong_etag_gets_206() {
    let (_dir, server, contents) = site();
    let etag = etag_of(&server, "/clip.bin", &[]);
    let if_range = format!("If-Range: {etag}");
    let r = server.exchange(&get_with("/clip.bin", &["Range: bytes=0-9", &if_range]));
    assert_eq!(r.status_line, "HTTP/1.1 206 Partial Content");
    assert_eq!(r.header("content-range"), Some("bytes 0-9/1000"));
    assert!(r.body == contents[..10]);
}

#[test]
fn if_range_with_another_or_a_weak_etag_gets_the_full_200() {
    let (_dir, server, contents) = site();
    let etag = etag_of(&server, "/clip.bin", &[]);
    for validator in ["\"not-it\"".to_string(), format!("W/{etag}")] {
        let if_range = format!("If-Range: {validator}");
        let r = server.exchange(&get_with("/clip.bin", &["Range: bytes=0-9", &if_range]));
        assert_eq!(r.status_line, "HTTP/1.1 200 OK", "{validator}");
        assert!(r.body == contents, "full body for {validator}");
    }
}

#[test]
fn if_range_with_the_exact_last_modified_gets_206() {
    let (_dir, server, contents) = site();
    let if_range = format!("If-Range: {LAST_MODIFIED}");
    let r = server.exchange(&get_with("/clip.bin", &["Range: bytes=-10", &if_range]));
    assert_eq!(r.status_line, "HTTP/1.1 206 Partial Content");
    assert_eq!(r.header("content-range"), Some("bytes 990-999/1000"));
    assert!(r.body == contents[990..]);
}

#[test]
fn if_range_with_any_other_date_gets_the_full_200() {
    let (_dir, server, contents) = site();
    for date in [BEFORE, AFTER, "not a date"] {
        let if_range = format!("If-Range: {date}");
        let r = server.exchange(&get_with("/clip.bin", &["Range: bytes=-10", &if_range]));
        assert_eq!(r.status_line, "HTTP/1.1 200 OK", "{date}");
        assert!(r.body == contents, "full body for {date}");
    }
}

#[test]
fn media_player_seeks_with_open_ended_ranges_on_one_connection() {
    let dir = TempDir::new("ranges-video");
    let len = 300 * 1024;
    let contents = unique_bytes(len);
    dir.write("movie.mp4", &contents);
    let server = TestServer::files(dir.path());
    let mut stream = server.connect();
    for start in [0, 1, 65_536, 200_001, len - 1, 4096, 0] {
        let raw = get_with("/movie.mp4", &[&format!("Range: bytes={start}-")]);
        stream.write_all(&raw).unwrap();
        let r = read_response(&mut stream, false).unwrap();
        assert_eq!(
            r.status_line, "HTTP/1.1 206 Partial Content",
            "from {start}"
        );
        let content_range = format!("bytes {start}-{}/{len}", len - 1);
        assert_eq!(r.header("content-range"), Some(content_range.as_str()));
        assert_eq!(r.header("content-type"), Some("video/mp4"));
        assert_eq!(r.header("connection"), None, "the connection stays open");
        assert!(r.body == contents[start..], "bytes from {start}");
    }
}

/// Regression: an If-Range date equal to a Last-Modified that is not at
/// least a second old was honoured, though such a date is a weak validator
/// (RFC 9110 §8.8.2.2): the file could change again within that second.
/// A modification time in the future makes the case deterministic.
#[test]
fn if_range_with_a_last_modified_that_is_not_yet_a_second_old_gets_the_full_200() {
    let dir = TempDir::new("if-range-fresh");
    let path = dir.write("fresh.txt", b"0123456789");
    let future = std::time::SystemTime::now() + std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(future)
        .unwrap();
    let server = TestServer::files(dir.path());
    let modified = server
        .exchange(&get("/fresh.txt"))
        .header("last-modified")
        .unwrap()
        .to_string();
    let if_range = format!("If-Range: {modified}");
    let r = server.exchange(&get_with("/fresh.txt", &["Range: bytes=0-1", &if_range]));
    assert_eq!(r.status_line, "HTTP/1.1 200 OK");
    assert_eq!(r.body, b"0123456789");
}
