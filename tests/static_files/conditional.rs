//! Validators and preconditions (RFC 9110 §8.8, §13): the strong `ETag`
//! and `Last-Modified` on every file response, and `If-Match`,
//! `If-None-Match`, `If-Modified-Since` and `If-Unmodified-Since` evaluated
//! in the order of §13.2.2, one test per precedence rule.
//!
//! `If-Range` belongs with ranges (`ranges.rs`).

use crate::common::*;
use crate::fixtures::*;
use std::io::Write;

const BODY: &[u8] = b"conditional body\n";

fn site() -> (TempDir, TestServer, String) {
    let dir = TempDir::new("conditional");
    write_dated(&dir, "doc.txt", BODY);
    let server = TestServer::files(dir.path());
    let etag = etag_of(&server, "/doc.txt", &[]);
    (dir, server, etag)
}

fn status(server: &TestServer, headers: &[&str]) -> u16 {
    server.exchange(&get_with("/doc.txt", headers)).status()
}

#[test]
fn every_file_response_carries_a_strong_etag_and_last_modified() {
    let (_dir, server, etag) = site();
    assert!(
        etag.starts_with('"') && etag.ends_with('"') && etag.len() > 2,
        "a strong entity-tag: {etag}"
    );
    let if_none_match = format!("If-None-Match: {etag}");
    for (raw, want) in [
        (get_with("/doc.txt", &[]), "HTTP/1.1 200 OK"),
        (request("HEAD", "/doc.txt", &[]), "HTTP/1.1 200 OK"),
        (
            get_with("/doc.txt", &["Range: bytes=0-3"]),
            "HTTP/1.1 206 Partial Content",
        ),
        (
            get_with("/doc.txt", &[&if_none_match]),
            "HTTP/1.1 304 Not Modified",
        ),
    ] {
        let r = server.exchange(&raw);
        assert_eq!(r.status_line, want);
        assert_eq!(r.header("etag"), Some(etag.as_str()), "{want}");
        assert_eq!(r.header("last-modified"), Some(LAST_MODIFIED), "{want}");
    }
}

#[test]
fn not_modified_has_no_body_and_keeps_the_caching_fields() {
    let dir = TempDir::new("conditional-304");
    write_dated(&dir, "doc.txt", BODY);
    dir.write("doc.txt.gz", b"not really gzip");
    let server = TestServer::files_with(
        dir.path(),
        |_| {},
        |f| f.cache_control = Some("max-age=60".to_string()),
    );
    let etag = etag_of(&server, "/doc.txt", &[]);
    let mut stream = server.connect();
    let mut batch = get_with("/doc.txt", &[&format!("If-None-Match: {etag}")]);
    batch.extend(get_with("/doc.txt", &[]));
    stream.write_all(&batch).unwrap();
    let r = read_response(&mut stream, false).unwrap();
    assert_eq!(r.status_line, "HTTP/1.1 304 Not Modified");
    assert_eq!(r.header("etag"), Some(etag.as_str()));
    assert_eq!(r.header("last-modified"), Some(LAST_MODIFIED));
    assert_eq!(r.header("cache-control"), Some("max-age=60"));
    assert_eq!(values(&r, "vary"), ["Accept-Encoding"]);
    assert!(r.header("date").is_some());
    // Had the 304 carried body bytes, this next response would not parse.
    let next = read_response(&mut stream, false).unwrap();
    assert_eq!(next.status_line, "HTTP/1.1 200 OK");
    assert_eq!(next.body, BODY);
}

#[test]
fn if_none_match_compares_weakly() {
    let (_dir, server, etag) = site();
    assert_eq!(status(&server, &[&format!("If-None-Match: {etag}")]), 304);
    assert_eq!(status(&server, &[&format!("If-None-Match: W/{etag}")]), 304);
}

#[test]
fn if_none_match_star_gets_304_for_an_existing_file() {
    let (_dir, server, _etag) = site();
    assert_eq!(status(&server, &["If-None-Match: *"]), 304);
}

#[test]
fn if_none_match_list_matches_any_member() {
    let (_dir, server, etag) = site();
    let listed = format!("If-None-Match: \"a\", W/\"b\",{etag} , \"c\"");
    assert_eq!(status(&server, &[&listed]), 304);
    assert_eq!(status(&server, &["If-None-Match: \"a\", \"b\""]), 200);
}

#[test]
fn head_with_matching_if_none_match_gets_304() {
    let (_dir, server, etag) = site();
    let r = server.exchange(&request(
        "HEAD",
        "/doc.txt",
        &[&format!("If-None-Match: {etag}")],
    ));
    assert_eq!(r.status_line, "HTTP/1.1 304 Not Modified");
    assert_eq!(r.header("etag"), Some(etag.as_str()));
}

#[test]
fn if_none_match_present_makes_if_modified_since_ignored() {
    let (_dir, server, _etag) = site();
    let headers = [
        "If-None-Match: \"something-else\"",
        &format!("If-Modified-Since: {AFTER}"),
    ];
    let r = server.exchange(&get_with("/doc.txt", &headers));
    assert_eq!(r.status_line, "HTTP/1.1 200 OK");
    assert_eq!(r.body, BODY);
}

#[test]
fn if_modified_since_at_or_after_last_modified_gets_304() {
    let (_dir, server, _etag) = site();
    for date in [LAST_MODIFIED, AFTER] {
        let since = format!("If-Modified-Since: {date}");
        assert_eq!(status(&server, &[&since]), 304, "{date}");
    }
    let since = format!("If-Modified-Since: {BEFORE}");
    assert_eq!(status(&server, &[&since]), 200);
}

#[test]
fn if_modified_since_accepts_the_obsolete_date_formats() {
    let (_dir, server, _etag) = site();
    for date in [
        "Tuesday, 14-Nov-23 22:13:20 GMT",
        "Tue Nov 14 22:13:20 2023",
    ] {
        let since = format!("If-Modified-Since: {date}");
        assert_eq!(status(&server, &[&since]), 304, "{date}");
    }
}

#[test]
fn invalid_dates_are_ignored() {
    let (_dir, server, _etag) = site();
    for date in [
        "yesterday",
        "Tue, 14 Nov 2023 22:13:20",
        "Tue, 32 Nov 2023 22:13:20 GMT",
        "1700000000",
        "",
    ] {
        let modified = format!("If-Modified-Since: {date}");
        assert_eq!(status(&server, &[&modified]), 200, "IMS {date:?}");
        let unmodified = format!("If-Unmodified-Since: {date}");
        assert_eq!(status(&server, &[&unmodified]), 200, "IUS {date:?}");
    }
}

#[test]
fn if_match_failing_gets_412_even_if_if_none_match_would_give_304() {
    let (_dir, server, etag) = site();
    let headers = ["If-Match: \"other\"", &format!("If-None-Match: {etag}")];
    let r = server.exchange(&get_with("/doc.txt", &headers));
    assert_eq!(r.status_line, "HTTP/1.1 412 Precondition Failed");
    assert_ne!(r.body, BODY);
}

#[test]
fn if_match_uses_strong_comparison() {
    let (_dir, server, etag) = site();
    assert_eq!(status(&server, &[&format!("If-Match: {etag}")]), 200);
    assert_eq!(status(&server, &[&format!("If-Match: W/{etag}")]), 412);
    assert_eq!(status(&server, &["If-Match: \"other\""]), 412);
}

#[test]
fn if_match_star_and_lists_match_an_existing_file() {
    let (_dir, server, etag) = site();
    assert_eq!(status(&server, &["If-Match: *"]), 200);
    let listed = format!("If-Match: \"a\", {etag}");
    assert_eq!(status(&server, &[&listed]), 200);
}

#[test]
fn if_unmodified_since_in_the_past_gets_412() {
    let (_dir, server, _etag) = site();
    let since = format!("If-Unmodified-Since: {BEFORE}");
    let r = server.exchange(&get_with("/doc.txt", &[&since]));
    assert_eq!(r.status_line, "HTTP/1.1 412 Precondition Failed");
    for date in [LAST_MODIFIED, AFTER] {
        let since = format!("If-Unmodified-Since: {date}");
        assert_eq!(status(&server, &[&since]), 200, "{date}");
    }
}

#[test]
fn if_match_present_makes_if_unmodified_since_ignored() {
    let (_dir, server, etag) = site();
    let headers = [
        &format!("If-Match: {etag}") as &str,
        &format!("If-Unmodified-Since: {BEFORE}"),
    ];
    assert_eq!(status(&server, &headers), 200);
}

#[test]
fn passing_if_match_still_lets_if_none_match_answer_304() {
    let (_dir, server, etag) = site();
    let headers = [
        &format!("If-Match: {etag}") as &str,
        &format!("If-None-Match: {etag}"),
    ];
    assert_eq!(status(&server, &headers), 304);
}

#[test]
fn passing_if_unmodified_since_still_lets_if_modified_since_answer_304() {
    let (_dir, server, _etag) = site();
    let headers = [
        &format!("If-Unmodified-Since: {AFTER}") as &str,
        &format!("If-Modified-Since: {LAST_MODIFIED}"),
    ];
    assert_eq!(status(&server, &headers), 304);
}

#[test]
fn not_modified_wins_over_a_range() {
    let (_dir, server, etag) = site();
    let headers = [
        &format!("If-None-Match: {etag}") as &str,
        "Range: bytes=0-3",
    ];
    assert_eq!(status(&server, &headers), 304);
}

/// RFC 9110 §5.3: a list field sent as several field lines is the list of
/// all their elements. Regression: only the first If-None-Match and
/// If-Match line was read, so a match on a later line was missed. Each row
/// splits the list over two or three lines, some with empty elements.
#[test]
fn conditional_lists_split_over_several_lines_are_read_whole() {
    let (_dir, server, etag) = site();
    let later = |name: &str| -> Vec<String> {
        vec![format!("{name}: \"nope\""), format!("{name}: {etag}")]
    };
    let table: Vec<(Vec<String>, u16)> = vec![
        (later("If-None-Match"), 304),
        (later("If-Match"), 200),
        (
            vec![
                "If-None-Match: \"a\", ,".to_string(),
                "If-None-Match: ,\"b\"".to_string(),
                format!("If-None-Match: , {etag}"),
            ],
            304,
        ),
        (
            vec![
                "If-Match: \"a\",,".to_string(),
                "If-Match: \"b\"".to_string(),
                format!("If-Match: ,{etag},"),
            ],
            200,
        ),
        (
            vec![
                "If-None-Match: \"a\"".to_string(),
                "If-None-Match: \"b\"".to_string(),
            ],
            200,
        ),
        (
            vec![
                "If-Match: \"a\"".to_string(),
                "If-Match: \"b\", ,".to_string(),
            ],
            412,
        ),
    ];
    for (lines, want) in table {
        let headers: Vec<&str> = lines.iter().map(String::as_str).collect();
        assert_eq!(status(&server, &headers), want, "{lines:?}");
    }
}
