//! Header fields that ride on responses whatever they answer:
//! `Cache-Control` from the config on file responses and 304s, the `-H`
//! extra fields, and `X-Content-Type-Options: nosniff`.

use crate::common::*;
use crate::fixtures::*;
use http_from_scratch::files::{FileServer, FilesConfig};
use http_from_scratch::router::Router;

fn site() -> TempDir {
    let dir = TempDir::new("headers");
    dir.write("page.html", b"<p>page</p>");
    dir.write("sub/x.txt", b"x");
    dir
}

/// A request for each kind of answer the file server gives, by status.
/// `/%00` is well-formed on the wire, so its 400 comes from the handler;
/// the answers the connection gives itself are in `every_response_says_nosniff`.
fn every_kind_of_answer(server: &TestServer) -> Vec<(Vec<u8>, u16)> {
    let etag = etag_of(server, "/page.html", &[]);
    vec![
        (get("/page.html"), 200),
        (request("HEAD", "/page.html", &[]), 200),
        (get_with("/page.html", &["Range: bytes=0-2"]), 206),
        (
            get_with("/page.html", &[&format!("If-None-Match: {etag}")]),
            304,
        ),
        (get_with("/page.html", &["If-Match: \"other\""]), 412),
        (get_with("/page.html", &["Range: bytes=500-"]), 416),
        (get("/sub/"), 200),
        (get("/sub"), 301),
        (get("/missing"), 404),
        (get("/%00"), 400),
        (request("OPTIONS", "/page.html", &[]), 204),
        (request("DELETE", "/page.html", &[]), 405),
    ]
}

#[test]
fn cache_control_is_sent_on_file_responses_and_304s() {
    let dir = site();
    let server = TestServer::files_with(
        dir.path(),
        |_| {},
        |f| f.cache_control = Some("public, max-age=3600".to_string()),
    );
    let etag = etag_of(&server, "/page.html", &[]);
    for (raw, status) in [
        (get("/page.html"), 200),
        (request("HEAD", "/page.html", &[]), 200),
        (get_with("/page.html", &["Range: bytes=0-2"]), 206),
        (
            get_with("/page.html", &[&format!("If-None-Match: {etag}")]),
            304,
        ),
    ] {
        let r = server.exchange(&raw);
        assert_eq!(r.status(), status);
        assert_eq!(
            r.header("cache-control"),
            Some("public, max-age=3600"),
            "{}",
            r.status_line
        );
    }
}

#[test]
fn no_cache_control_unless_configured() {
    let dir = site();
    let server = TestServer::files(dir.path());
    assert_eq!(
        server.exchange(&get("/page.html")).header("cache-control"),
        None
    );
}

#[test]
fn extra_headers_are_added_to_every_handler_response() {
    let dir = site();
    let files = FileServer::new(FilesConfig::new(dir.path()).unwrap());
    let extra = vec![
        ("X-Frame-Options".to_string(), "DENY".to_string()),
        (
            "Strict-Transport-Security".to_string(),
            "max-age=63072000".to_string(),
        ),
    ];
    let mut config = test_config();
    config.extra_headers = extra;
    let server = TestServer::start(config, Router::new().mount("/", files));
    for (raw, status) in every_kind_of_answer(&server) {
        let r = server.exchange(&raw);
        assert_eq!(r.status(), status, "{}", String::from_utf8_lossy(&raw));
        assert_eq!(
            r.header("x-frame-options"),
            Some("DENY"),
            "{}",
            r.status_line
        );
        assert_eq!(
            r.header("strict-transport-security"),
            Some("max-age=63072000"),
            "{}",
            r.status_line
        );
    }
}

#[test]
fn every_response_says_nosniff() {
    let dir = site();
    let server = TestServer::files(dir.path());
    let mut requests = every_kind_of_answer(&server);
    // Answered by the connection itself, never reaching the handler.
    requests.push((
        b"GET / HTTP/1.1\r\nHost: t\r\nBad Name: x\r\n\r\n".to_vec(),
        400,
    ));
    requests.push((request("OPTIONS", "*", &[]), 204));
    requests.push((b"BREW / HTTP/1.1\r\nHost: t\r\n\r\n".to_vec(), 501));
    for (raw, status) in requests {
        let r = server.exchange(&raw);
        assert_eq!(r.status(), status, "{}", String::from_utf8_lossy(&raw));
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{}",
            r.status_line
        );
    }
}

/// Regression: `-H` fields were once added by a handler wrapper, so the
/// answers the connection gives itself (parse errors, 501, `OPTIONS *`) lacked them.
#[test]
fn extra_headers_from_the_config_ride_on_the_servers_own_answers_too() {
    let dir = site();
    let files = FileServer::new(FilesConfig::new(dir.path()).unwrap());
    let mut config = test_config();
    config.extra_headers = vec![("X-Frame-Options".to_string(), "DENY".to_string())];
    let server = TestServer::start(config, Router::new().mount("/", files));
    for (raw, status) in [
        (&b"GET /page.html HTTP/1.1\r\nHost: t\r\n\r\n"[..], 200),
        (b"GET /%zz HTTP/1.1\r\nHost: t\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\n\r\n", 400),
        (b"BREW / HTTP/1.1\r\nHost: t\r\n\r\n", 501),
        (b"OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n", 204),
        (b"GET / HTTP/2.0\r\nHost: t\r\n\r\n", 505),
    ] {
        let r = server.exchange(raw);
        assert_eq!(r.status(), status, "{}", String::from_utf8_lossy(raw));
        assert_eq!(
            r.header("x-frame-options"),
            Some("DENY"),
            "{}",
            r.status_line
        );
    }
}

#[test]
fn invalid_extra_headers_are_refused_when_the_server_is_built() {
    let mut config = test_config();
    config.extra_headers = vec![("X-Bad".to_string(), "a\r\nInjected: 1".to_string())];
    let result = http_from_scratch::server::Server::bind(config, Router::new());
    assert_eq!(
        result.err().map(|e| e.kind()),
        Some(std::io::ErrorKind::InvalidInput)
    );
}
