//! The library API a handler author uses: what a `Request` exposes, the
//! `Response` builders, and the framing the writer keeps to itself.

use crate::common::*;
use http_from_scratch::http::status::Status;
use http_from_scratch::request::Request;
use http_from_scratch::response::Response;
use http_from_scratch::router::Router;

fn router(dir: &TempDir) -> Router {
    let file = dir.write("doc.html", b"<p>doc</p>");
    Router::new()
        .get("/inspect/*rest", |req: &mut Request<'_>| {
            let text = format!(
                "path={} decoded={} rest={} query={:?} ua={} peer_is_loopback={}\n",
                req.path(),
                req.decoded_path().unwrap_or_default(),
                req.param("rest").unwrap_or(""),
                req.query_pairs(),
                req.fields().get_str("USER-AGENT").unwrap_or(""),
                req.peer().ip().is_loopback(),
            );
            Response::text(Status::OK, text)
        })
        .post("/text", |req: &mut Request<'_>| {
            match req.body().read_to_string(64) {
                Ok(text) => Response::text(Status::OK, text.to_uppercase()),
                Err(e) => Response::error(e.status()),
            }
        })
        .get("/file", move |_: &mut Request<'_>| {
            Response::file(&file).unwrap_or_else(|_| Response::error(Status::NOT_FOUND))
        })
        .get("/inject", |_: &mut Request<'_>| {
            match Response::text(Status::OK, "x").try_header("X-Evil", "a\r\nSet-Cookie: b=c") {
                Ok(response) => response,
                Err(_) => Response::text(Status::OK, "refused\n"),
            }
        })
        .get("/reserved", |_: &mut Request<'_>| {
            Response::text(Status::OK, "x").with_header("Content-Length", "999")
        })
}

#[test]
fn requests_expose_path_params_query_headers_and_peer() {
    let dir = TempDir::new("library");
    let server = TestServer::start(test_config(), router(&dir));
    let r = server.exchange(
        b"GET /inspect/a%20b/c?x=1&name=J+Doe HTTP/1.1\r\nHost: t\r\nUser-Agent: probe\r\n\r\n",
    );
    assert_eq!(
        r.body_text(),
        "path=/inspect/a%20b/c decoded=/inspect/a b/c rest=a b/c \
         query=[(\"x\", \"1\"), (\"name\", \"J Doe\")] ua=probe peer_is_loopback=true\n"
    );
}

#[test]
fn bodies_can_be_read_as_text_with_a_limit() {
    let dir = TempDir::new("library-text");
    let server = TestServer::start(test_config(), router(&dir));
    let r = server.exchange(b"POST /text HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello");
    assert_eq!(r.body_text(), "HELLO");
    let r = server.exchange(b"POST /text HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\n\xff\xfe");
    assert_eq!(r.status(), 400, "not UTF-8");
    let r = server.exchange(b"POST /text HTTP/1.1\r\nHost: t\r\nContent-Length: 65\r\n\r\n");
    assert_eq!(r.status(), 413, "over the handler's limit");
}

#[test]
fn file_responses_carry_type_length_and_last_modified() {
    let dir = TempDir::new("library-file");
    let server = TestServer::start(test_config(), router(&dir));
    let r = server.exchange(&get("/file"));
    assert_eq!(r.body, b"<p>doc</p>");
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(r.header("content-length"), Some("10"));
    assert!(r.header("last-modified").is_some());
}

#[test]
fn handlers_cannot_inject_or_override_framing_headers() {
    let dir = TempDir::new("library-inject");
    let server = TestServer::start(test_config(), router(&dir));
    let r = server.exchange(&get("/inject"));
    assert_eq!(r.body_text(), "refused\n");
    assert_eq!(r.header("set-cookie"), None);
    // A reserved name is a programming error: the handler panics, the
    // client gets a clean 500 and never a second Content-Length.
    let r = server.exchange(&get("/reserved"));
    assert_eq!(r.status(), 500);
    assert_eq!(
        r.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .count(),
        1
    );
}

#[test]
fn response_file_refuses_what_is_not_a_regular_file() {
    let dir = TempDir::new("library-notfile");
    let err = Response::file(dir.path()).unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(Response::file(dir.path().join("missing")).is_err());
}
