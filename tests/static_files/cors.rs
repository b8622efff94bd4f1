//! CORS and OPTIONS: `Access-Control-Allow-Origin` on every answer when
//! CORS is on (with `Vary: Origin` when it names one origin), the preflight
//! (OPTIONS with `Origin` and `Access-Control-Request-Method`), and plain
//! OPTIONS on a file and on `*`.

use crate::common::*;
use crate::fixtures::*;
use std::io::Write;

fn site(origin: &str) -> (TempDir, TestServer) {
    let dir = TempDir::new("cors");
    dir.write("data.json", b"{\"ok\":true}");
    dir.write("app.js", b"js");
    dir.write("app.js.gz", b"gz");
    dir.write("sub/x.txt", b"x");
    let origin = origin.to_string();
    let server = TestServer::files_with(dir.path(), |_| {}, |f| f.cors_origin = Some(origin));
    (dir, server)
}

#[test]
fn cors_star_allows_any_origin_on_every_response() {
    let (_dir, server) = site("*");
    let etag = etag_of(&server, "/data.json", &[]);
    for (raw, status) in [
        (get("/data.json"), 200),
        (get_with("/data.json", &["Origin: https://a.example"]), 200),
        (get_with("/data.json", &["Range: bytes=0-1"]), 206),
        (
            get_with("/data.json", &[&format!("If-None-Match: {etag}")]),
            304,
        ),
        (request("HEAD", "/data.json", &[]), 200),
        (get("/missing"), 404),
        (get("/sub/"), 200),
        (get("/sub"), 301),
    ] {
        let r = server.exchange(&raw);
        assert_eq!(r.status(), status, "{}", String::from_utf8_lossy(&raw));
        assert_eq!(r.header("access-control-allow-origin"), Some("*"));
        assert!(!values(&r, "vary").contains(&"Origin".to_string()));
    }
}

#[test]
fn preflight_gets_204_with_methods_headers_and_max_age() {
    let (_dir, server) = site("*");
    let mut stream = server.connect();
    let mut batch = request(
        "OPTIONS",
        "/data.json",
        &[
            "Origin: https://a.example",
            "Access-Control-Request-Method: GET",
            "Access-Control-Request-Headers: X-Custom, Range",
        ],
    );
    batch.extend(get("/data.json"));
    stream.write_all(&batch).unwrap();
    let r = read_response(&mut stream, false).unwrap();
    assert_eq!(r.status_line, "HTTP/1.1 204 No Content");
    assert_eq!(r.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        r.header("access-control-allow-methods"),
        Some("GET, HEAD, OPTIONS")
    );
    assert_eq!(
        r.header("access-control-allow-headers"),
        Some("X-Custom, Range")
    );
    assert_eq!(r.header("access-control-max-age"), Some("86400"));
    assert_eq!(r.header("content-length"), None);
    let next = read_response(&mut stream, false).unwrap();
    assert_eq!(next.status_line, "HTTP/1.1 200 OK", "the 204 had no body");
}

#[test]
fn preflight_without_requested_headers_allows_none() {
    let (_dir, server) = site("*");
    let r = server.exchange(&request(
        "OPTIONS",
        "/data.json",
        &[
            "Origin: https://a.example",
            "Access-Control-Request-Method: GET",
        ],
    ));
    assert_eq!(r.status(), 204);
    assert!(r.header("access-control-allow-methods").is_some());
    assert_eq!(r.header("access-control-allow-headers"), None);
}

#[test]
fn options_without_a_request_method_is_not_a_preflight() {
    let (_dir, server) = site("*");
    let r = server.exchange(&request(
        "OPTIONS",
        "/data.json",
        &["Origin: https://a.example"],
    ));
    assert_eq!(r.status_line, "HTTP/1.1 204 No Content");
    assert_eq!(r.header("allow"), Some("GET, HEAD, OPTIONS"));
    assert_eq!(r.header("access-control-allow-methods"), None);
    assert_eq!(r.header("access-control-max-age"), None);
}

#[test]
fn one_allowed_origin_is_named_and_varies_on_origin() {
    let origin = "https://app.example";
    let (_dir, server) = site(origin);
    for raw in [
        get_with("/data.json", &["Origin: https://app.example"]),
        get_with("/data.json", &["Origin: https://evil.example"]),
        get("/missing"),
        request(
            "OPTIONS",
            "/data.json",
            &[
                "Origin: https://app.example",
                "Access-Control-Request-Method: GET",
            ],
        ),
    ] {
        let r = server.exchange(&raw);
        assert_eq!(r.header("access-control-allow-origin"), Some(origin));
        assert!(
            values(&r, "vary").contains(&"Origin".to_string()),
            "{:?}",
            r.headers
        );
    }
    let r = server.exchange(&get_with("/app.js", &["Accept-Encoding: gzip"]));
    let mut vary = values(&r, "vary");
    vary.sort();
    assert_eq!(vary, ["Accept-Encoding", "Origin"]);
}

#[test]
fn without_cors_there_are_no_cors_headers() {
    let dir = TempDir::new("cors-off");
    dir.write("data.json", b"{}");
    let server = TestServer::files(dir.path());
    let r = server.exchange(&request(
        "OPTIONS",
        "/data.json",
        &[
            "Origin: https://a.example",
            "Access-Control-Request-Method: GET",
        ],
    ));
    assert_eq!(r.status(), 204);
    assert_eq!(r.header("access-control-allow-origin"), None);
    assert_eq!(r.header("access-control-allow-methods"), None);
    let r = server.exchange(&get_with("/data.json", &["Origin: https://a.example"]));
    assert_eq!(r.header("access-control-allow-origin"), None);
}

#[test]
fn options_on_a_file_gets_204_with_allow() {
    let dir = TempDir::new("options-file");
    dir.write("page.html", b"<p>");
    let server = TestServer::files(dir.path());
    let r = server.exchange(&request("OPTIONS", "/page.html", &[]));
    assert_eq!(r.status_line, "HTTP/1.1 204 No Content");
    assert_eq!(r.header("allow"), Some("GET, HEAD, OPTIONS"));
    assert_eq!(r.header("content-length"), None);
}
