//! The protocol on the wire: persistence, pipelining, HEAD, error statuses,
//! and that every error closes the connection.

use crate::common::*;
use http_from_scratch::files::{FileServer, FilesConfig};
use http_from_scratch::http::status::Status;
use http_from_scratch::request::Request;
use http_from_scratch::response::Response;
use http_from_scratch::router::Router;
use std::io::Write;

fn site() -> (TempDir, TestServer) {
    let dir = TempDir::new("wire");
    dir.write("hello.txt", b"hello\n");
    dir.write("page.html", b"<p>hi</p>\n");
    let server = TestServer::files(dir.path());
    (dir, server)
}

#[test]
fn get_returns_file_with_standard_headers() {
    let (_dir, server) = site();
    let r = server.exchange(&get("/hello.txt"));
    assert_eq!(r.status_line, "HTTP/1.1 200 OK");
    assert_eq!(r.body, b"hello\n");
    assert_eq!(r.header("content-length"), Some("6"));
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert!(r
        .header("server")
        .unwrap()
        .starts_with("http-from-scratch/"));
    let date = r.header("date").unwrap();
    assert!(
        http_from_scratch::http::date::parse_http_date(date.as_bytes()).is_some(),
        "Date is an IMF-fixdate: {date}"
    );
    let modified = r.header("last-modified").unwrap();
    assert!(http_from_scratch::http::date::parse_http_date(modified.as_bytes()).is_some());
}

#[test]
fn keep_alive_is_the_default_in_http11() {
    let (_dir, server) = site();
    let mut stream = server.connect();
    for _ in 0..3 {
        stream.write_all(&get("/hello.txt")).unwrap();
        let r = read_response(&mut stream, false).unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.header("connection"), None);
    }
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let (_dir, server) = site();
    let mut stream = server.connect();
    let mut batch = get("/hello.txt");
    batch.extend(get("/page.html"));
    batch.extend(get("/missing"));
    stream.write_all(&batch).unwrap();
    let first = read_response(&mut stream, false).unwrap();
    let second = read_response(&mut stream, false).unwrap();
    let third = read_response(&mut stream, false).unwrap();
    assert_eq!(
        (first.status(), first.body.as_slice()),
        (200, &b"hello\n"[..])
    );
    assert_eq!(
        (second.status(), second.body.as_slice()),
        (200, &b"<p>hi</p>\n"[..])
    );
    assert_eq!(third.status(), 404);
}

#[test]
fn http10_closes_by_default() {
    let (_dir, server) = site();
    let mut stream = server.connect();
    stream
        .write_all(b"GET /hello.txt HTTP/1.0\r\n\r\n")
        .unwrap();
    let r = read_response(&mut stream, false).unwrap();
    assert_eq!(r.status_line, "HTTP/1.1 200 OK");
    assert_eq!(r.header("connection"), Some("close"));
    assert!(is_closed(&mut stream));
}

#[test]
fn http10_with_keep_alive_persists() {
    let (_dir, server) = site();
    let mut stream = server.connect();
    for _ in 0..2 {
        stream
            .write_all(b"GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            .unwrap();
        let r = read_response(&mut stream, false).unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.header("connection"), Some("keep-alive"));
    }
}

#[test]
fn connection_close_is_honoured() {
    let (_dir, server) = site();
    let mut stream = server.connect();
    stream
        .write_all(b"GET /hello.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    let r = read_response(&mut stream, false).unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("connection"), Some("close"));
    assert!(is_closed(&mut stream));
}

#[test]
fn head_sends_get_headers_without_a_body() {
    let (_dir, server) = site();
    let mut stream = server.connect();
    stream
        .write_all(b"HEAD /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    let head = read_response(&mut stream, true).unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.header("content-length"), Some("6"));
    assert_eq!(
        head.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    // If a body had been sent, this second response would not parse.
    stream.write_all(&get("/page.html")).unwrap();
    let next = read_response(&mut stream, false).unwrap();
    assert_eq!(next.status_line, "HTTP/1.1 200 OK");
    assert_eq!(next.body, b"<p>hi</p>\n");
}

#[test]
fn unread_content_length_body_is_skipped_before_the_next_request() {
    let (_dir, server) = site();
    let mut stream = server.connect();
    let mut batch =
        b"POST /hello.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 20\r\n\r\nGET /nope HTTP/1.1\r\n"
            .to_vec();
    batch.extend(get("/page.html"));
    stream.write_all(&batch).unwrap();
    let first = read_response(&mut stream, false).unwrap();
    assert_eq!(first.status(), 405);
    assert_eq!(first.header("allow"), Some("GET, HEAD, OPTIONS"));
    let second = read_response(&mut stream, false).unwrap();
    assert_eq!(
        second.status(),
        200,
        "the body bytes were not read as a request"
    );
    assert_eq!(second.body, b"<p>hi</p>\n");
}

#[test]
fn unknown_method_gets_501() {
    let (_dir, server) = site();
    let r = server.exchange(b"BREW /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(r.status_line, "HTTP/1.1 501 Not Implemented");
}

#[test]
fn lowercase_method_is_not_get() {
    let (_dir, server) = site();
    let r = server.exchange(b"get /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(r.status(), 501);
}

#[test]
fn other_method_on_a_file_gets_405_with_allow() {
    let (_dir, server) = site();
    for method in ["POST", "PUT", "DELETE", "PATCH"] {
        let r = server.exchange(
            format!("{method} /hello.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n")
                .as_bytes(),
        );
        assert_eq!(r.status(), 405, "{method}");
        assert_eq!(r.header("allow"), Some("GET, HEAD, OPTIONS"));
    }
}

/// Each malformed request gets its status and the connection is closed.
fn assert_rejected(server: &TestServer, raw: &[u8], status: u16) {
    let mut stream = server.connect();
    stream.write_all(raw).unwrap();
    let r = read_response(&mut stream, false).unwrap();
    assert_eq!(r.status(), status, "{:?}", String::from_utf8_lossy(raw));
    assert_eq!(r.header("connection"), Some("close"));
    assert!(is_closed(&mut stream), "error closes the connection");
}

#[test]
fn unsupported_major_version_gets_505_and_close() {
    let (_dir, server) = site();
    assert_rejected(&server, b"GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505);
    assert_rejected(&server, b"GET / HTTP/3.0\r\n\r\n", 505);
}

#[test]
fn malformed_request_lines_get_400_and_close() {
    let (_dir, server) = site();
    for raw in [
        &b"GET  / HTTP/1.1\r\nHost: t\r\n\r\n"[..],
        b"GET / HTTP/1.1 \r\nHost: t\r\n\r\n",
        b"GET /a b HTTP/1.1\r\nHost: t\r\n\r\n",
        b"GET / http/1.1\r\nHost: t\r\n\r\n",
        b"GET /\r\n\r\n",
        b"G\x01T / HTTP/1.1\r\nHost: t\r\n\r\n",
        b"GET / HTTP/1.1\nHost: t\n\n",
    ] {
        assert_rejected(&server, raw, 400);
    }
}

#[test]
fn malformed_fields_get_400_and_close() {
    let (_dir, server) = site();
    for raw in [
        &b"GET / HTTP/1.1\r\nHost : t\r\n\r\n"[..],
        b"GET / HTTP/1.1\r\nHost: t\r\nNoColon\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: t\r\nX: a\r\n folded\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: t\r\nX: a\x00b\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: t\r\nX: a\rb\r\n\r\n",
    ] {
        assert_rejected(&server, raw, 400);
    }
}

#[test]
fn missing_or_duplicate_host_gets_400() {
    let (_dir, server) = site();
    assert_rejected(&server, b"GET /hello.txt HTTP/1.1\r\n\r\n", 400);
    assert_rejected(
        &server,
        b"GET /hello.txt HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        400,
    );
    // HTTP/1.0 may leave Host out.
    assert_eq!(
        server.exchange(b"GET /hello.txt HTTP/1.0\r\n\r\n").status(),
        200
    );
}

#[test]
fn overlong_target_gets_414_and_close() {
    let (_dir, server) = site();
    let target = "/".to_string() + &"a".repeat(9000);
    assert_rejected(
        &server,
        format!("GET {target} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes(),
        414,
    );
}

#[test]
fn overlong_target_is_refused_before_it_ends() {
    let (_dir, server) = site();
    // No CRLF ever comes: the limit, not the end of the line, triggers 414.
    let raw = format!("GET /{}", "a".repeat(9000));
    assert_rejected(&server, raw.as_bytes(), 414);
}

#[test]
fn overlong_method_gets_501_and_close_not_414() {
    let (_dir, server) = site();
    // Longer than any method we know: refused as soon as that is clear,
    // whether or not the line ever ends.
    assert_rejected(&server, "M".repeat(9000).as_bytes(), 501);
    assert_rejected(&server, b"PROPFIND", 501);
    assert_rejected(
        &server,
        b"PROPFIND /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n",
        501,
    );
}

#[test]
fn too_many_or_too_large_fields_get_431_and_close() {
    let (_dir, server) = site();
    let many: String = (0..150).map(|i| format!("X-{i}: v\r\n")).collect();
    assert_rejected(
        &server,
        format!("GET / HTTP/1.1\r\nHost: t\r\n{many}\r\n").as_bytes(),
        431,
    );
    let long = "v".repeat(9000);
    assert_rejected(
        &server,
        format!("GET / HTTP/1.1\r\nHost: t\r\nX-Long: {long}\r\n\r\n").as_bytes(),
        431,
    );
    let big: String = (0..40)
        .map(|i| format!("X-{i}: {}\r\n", "v".repeat(500)))
        .collect();
    assert_rejected(
        &server,
        format!("GET / HTTP/1.1\r\nHost: t\r\n{big}\r\n").as_bytes(),
        431,
    );
}

#[test]
fn leading_empty_lines_are_ignored() {
    let (_dir, server) = site();
    let r = server.exchange(b"\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(r.status(), 200);
}

#[test]
fn absolute_form_target_is_served_as_its_path() {
    let (_dir, server) = site();
    let r = server.exchange(b"GET http://example.com/hello.txt HTTP/1.1\r\nHost: other\r\n\r\n");
    assert_eq!(r.status(), 200);
    assert_eq!(r.body, b"hello\n");
}

/// `OPTIONS *` asks about the server as a whole: 204 with no content. No
/// `Allow`: which methods apply depends on the resource, and each
/// resource's own OPTIONS says (RFC 9110 §9.3.7).
#[test]
fn options_asterisk_gets_204_without_content() {
    let (_dir, server) = site();
    let r = server.exchange(b"OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(r.status(), 204);
    assert_eq!(r.header("allow"), None);
    assert_eq!(r.header("content-length"), None);
    assert!(r.body.is_empty());
}

#[test]
fn chunked_body_is_skipped_before_the_next_request() {
    let (_dir, server) = site();
    let mut stream = server.connect();
    let mut batch = b"POST /hello.txt HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n\
        5\r\nGET /\r\n0\r\n\r\n"
        .to_vec();
    batch.extend(get("/hello.txt"));
    stream.write_all(&batch).unwrap();
    assert_eq!(read_response(&mut stream, false).unwrap().status(), 405);
    let second = read_response(&mut stream, false).unwrap();
    assert_eq!(second.status(), 200);
    assert_eq!(second.body, b"hello\n");
}

#[test]
fn smuggling_attempts_get_one_response_and_a_close() {
    let (_dir, server) = site();
    // CL.TE, TE.CL and TE.TE: each carries a second request that must never
    // be answered.
    for raw in [
        &b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n"[..],
        b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n0\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\nGET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n",
        b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!GET /hello.txt HTTP/1.1\r\nHost: t\r\n\r\n",
    ] {
        let mut stream = server.connect();
        stream.write_all(raw).unwrap();
        let r = read_response(&mut stream, false).unwrap();
        // Both framings at once, chunked not last, or two lengths: each an
        // ambiguous body, refused as a bad request (RFC 9112 §6.1, §6.3).
        assert_eq!(r.status(), 400, "{}", r.status_line);
        assert!(is_closed(&mut stream), "no second response: {:?}", String::from_utf8_lossy(raw));
    }
}

/// The test site, plus `/upload`, a handler that reads the body and answers
/// a broken one with the status its error maps to.
fn site_with_upload() -> (TempDir, TestServer) {
    let dir = TempDir::new("wire-upload");
    dir.write("hello.txt", b"hello\n");
    let upload = |req: &mut Request<'_>| match req.body().read_to_vec(1024) {
        Ok(body) => Response::text(Status::OK, format!("{} bytes\n", body.len())),
        Err(e) => Response::error(e.status()),
    };
    let files = FileServer::new(FilesConfig::new(dir.path()).unwrap());
    let router = Router::new().post("/upload", upload).mount("/", files);
    let server = TestServer::start(test_config(), router);
    (dir, server)
}

#[test]
fn invalid_chunk_extensions_on_a_kept_alive_connection_get_one_answer_and_a_close() {
    let (_dir, server) = site_with_upload();
    // Chunk lines another parser could frame differently, each with a
    // request behind the body that must never be answered.
    let bodies: [&[u8]; 4] = [
        b"2;\r\nab\r\n0\r\n\r\n",
        b"5;a=\"abc\";b=\"def; ghi\r\nhello\r\n0\r\n\r\n",
        b"2;=x\r\nab\r\n0\r\n\r\n",
        b"2\r\nab\r\n0;a=\"b\r\n\r\n",
    ];
    // A handler that reads the body gets the error (400); one that does not
    // gives its own answer, and the drain of the unread body closes.
    for body in bodies {
        for (path, status) in [("/upload", 400), ("/hello.txt", 405)] {
            let mut stream = server.connect();
            stream.write_all(&get("/hello.txt")).unwrap();
            let first = read_response(&mut stream, false).unwrap();
            assert_eq!(first.status(), 200);
            assert_ne!(first.header("connection"), Some("close"));

            let mut raw =
                format!("POST {path} HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
                    .into_bytes();
            raw.extend_from_slice(body);
            raw.extend(get("/hello.txt"));
            stream.write_all(&raw).unwrap();
            let what = format!("{path} {:?}", String::from_utf8_lossy(body));
            let r = read_response(&mut stream, false).unwrap();
            assert_eq!(r.status(), status, "{what}");
            assert_eq!(r.header("connection"), Some("close"), "{what}");
            assert!(is_closed(&mut stream), "no second answer: {what}");
        }
    }
}

#[test]
fn heads_larger_than_the_initial_buffer_are_read_whole() {
    let (_dir, server) = site();
    // Connections start with a 4 KiB buffer and grow it once when a head
    // needs more; 12 KiB of fields is under the 16 KiB head limit.
    let fields: String = (0..12)
        .map(|i| format!("X-Pad-{i}: {}\r\n", "p".repeat(1000)))
        .collect();
    let mut stream = server.connect();
    for _ in 0..2 {
        stream
            .write_all(format!("GET /hello.txt HTTP/1.1\r\nHost: t\r\n{fields}\r\n").as_bytes())
            .unwrap();
        let r = read_response(&mut stream, false).unwrap();
        assert_eq!((r.status(), r.body.as_slice()), (200, &b"hello\n"[..]));
    }
}

#[test]
fn a_long_pipeline_is_answered_in_order() {
    let (_dir, server) = site();
    let mut stream = server.connect();
    let mut batch = Vec::new();
    for i in 0..50 {
        match i % 3 {
            0 => batch.extend(get("/hello.txt")),
            1 => batch.extend(get("/missing")),
            _ => batch.extend(b"HEAD /page.html HTTP/1.1\r\nHost: t\r\n\r\n"),
        }
    }
    stream.write_all(&batch).unwrap();
    for i in 0..50 {
        let r = read_response(&mut stream, i % 3 == 2).unwrap();
        let want = [200, 404, 200][i % 3];
        assert_eq!(r.status(), want, "response {i}");
        if i % 3 == 0 {
            assert_eq!(r.body, b"hello\n");
        }
    }
}

#[test]
fn answers_batched_for_a_pipeline_precede_the_error_that_ends_it() {
    let (_dir, server) = site();
    let mut stream = server.connect();
    let mut batch = get("/hello.txt");
    batch.extend(get("/page.html"));
    batch.extend(b"GET /bad target HTTP/1.1\r\nHost: t\r\n\r\n");
    stream.write_all(&batch).unwrap();
    assert_eq!(read_response(&mut stream, false).unwrap().body, b"hello\n");
    assert_eq!(
        read_response(&mut stream, false).unwrap().body,
        b"<p>hi</p>\n"
    );
    assert_eq!(read_response(&mut stream, false).unwrap().status(), 400);
    assert!(is_closed(&mut stream));
}

/// Regression: `Expect: 100-continue` with an empty body left the
/// connection marked as waiting for a body, so it was closed needlessly.
#[test]
fn expect_continue_with_an_empty_body_keeps_the_connection() {
    let (_dir, server) = site();
    let mut stream = server.connect();
    stream
        .write_all(b"POST /hello.txt HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n")
        .unwrap();
    let r = read_response(&mut stream, false).unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.header("connection"), None);
    stream.write_all(&get("/hello.txt")).unwrap();
    assert_eq!(read_response(&mut stream, false).unwrap().status(), 200);
}

/// Regression: draining an unread body had only a per-read timeout, so a
/// client trickling a byte a second held a worker for hours.
#[test]
fn a_trickled_unread_body_cannot_hold_the_connection() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let (_dir, server) = site();
    let mut stream = server.connect();
    stream
        .write_all(b"POST /hello.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 60000\r\n\r\n")
        .unwrap();
    let mut writer = stream.try_clone().unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let trickler_done = Arc::clone(&done);
    let trickler = std::thread::spawn(move || {
        for _ in 0..100 {
            if writer.write_all(b"x").is_err() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(150));
        }
        trickler_done.store(true, Ordering::SeqCst);
    });
    let r = read_response(&mut stream, false).unwrap();
    assert!(
        !done.load(Ordering::SeqCst),
        "answered before the trickle ended"
    );
    assert_eq!(r.status(), 405);
    assert_eq!(r.header("connection"), Some("close"));
    drop(stream);
    trickler.join().unwrap();
}

/// Every error the server gives itself says what rule was broken and which
/// limit fired, in its body (`431: a header line is longer than 8 KiB ...`).
#[test]
fn the_servers_own_errors_explain_themselves() {
    let (dir, server) = site();
    let served = dir.path().to_string_lossy().into_owned();
    let long_field = format!(
        "GET / HTTP/1.1\r\nHost: t\r\nX-Long: {}\r\n\r\n",
        "x".repeat(9000)
    );
    let long_line = format!("GET /{} HTTP/1.1\r\nHost: t\r\n\r\n", "a".repeat(9000));
    let cases: Vec<(Vec<u8>, u16, &str)> = vec![
        (
            long_field.into_bytes(),
            431,
            "a header line is longer than 8 KiB (the limit for one field line)",
        ),
        (
            long_line.into_bytes(),
            414,
            "the request line is longer than 8 KiB",
        ),
        (
            b"GET / HTTP/1.1\nHost: t\n\n".to_vec(),
            400,
            "bare CR or LF as a line ending (RFC 9112 §2.2)",
        ),
        (b"GET / HTTP/1.1\r\n\r\n".to_vec(), 400, "without Host"),
        (
            b"GET / HTTP/2.0\r\nHost: t\r\n\r\n".to_vec(),
            505,
            "only HTTP/1.x",
        ),
        (
            b"GET / HTTP/1.1\r\nHost: t\r\nExpect: later\r\n\r\n".to_vec(),
            417,
            "Expect",
        ),
        (
            b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999\r\n\r\n".to_vec(),
            413,
            "larger than 16 MiB",
        ),
        (
            b"BREW / HTTP/1.1\r\nHost: t\r\n\r\n".to_vec(),
            501,
            "not one this server implements",
        ),
        (
            b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n".to_vec(),
            501,
            "transfer coding",
        ),
    ];
    for (raw, status, reason) in cases {
        let r = server.exchange(&raw);
        assert_eq!(r.status(), status, "{}", r.body_text());
        let body = r.body_text();
        assert!(body.starts_with(&format!("{status}: ")), "{body}");
        assert!(body.contains(reason), "{reason:?} in {body}");
        assert!(!body.contains(&served), "no file system paths: {body}");
    }
}

/// A head that does not come in time: 408 saying which timeout.
#[test]
fn a_late_head_is_told_which_timeout_passed() {
    let dir = TempDir::new("late-head");
    let mut config = test_config();
    config.timeouts.head = std::time::Duration::from_millis(300);
    let server = TestServer::start(config, http_from_scratch::Router::new());
    let mut stream = server.connect();
    stream.write_all(b"GET / HTTP/1.1\r\nHost:").unwrap();
    let r = read_response(&mut stream, false).unwrap();
    assert_eq!(r.status(), 408);
    assert!(
        r.body_text()
            .contains("did not arrive within 0.3 s (the head timeout)"),
        "{}",
        r.body_text()
    );
    drop(dir);
}
