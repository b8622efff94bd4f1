//! Each example's router, served in-process and exercised over sockets (or,
//! for the todo service, with `testing::TestRequest` and no socket at all),
//! so the examples a reader copies from are known to work.

use crate::common::*;
use std::io::Write;

#[path = "../../examples/echo.rs"]
mod echo;
#[path = "../../examples/hello.rs"]
mod hello;
#[path = "../../examples/static_site.rs"]
mod static_site;
#[path = "../../examples/stream.rs"]
mod stream;
#[path = "../../examples/todo.rs"]
mod todo;

#[test]
fn hello_routes_params_queries_and_405() {
    let server = TestServer::start(test_config(), hello::router());
    let r = server.exchange(&get("/"));
    assert_eq!(
        (r.status(), r.body_text()),
        (200, "Hello from http-from-scratch!\n".into())
    );
    let r = server.exchange(&get("/hello/Ada%20L"));
    assert_eq!(r.body_text(), "Hello, Ada L!\n");
    let r = server.exchange(&get("/greet?name=Grace+Hopper"));
    assert_eq!(r.body_text(), "Greetings, Grace Hopper!\n");
    let r = server.exchange(b"POST /hello/ada HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(r.status(), 405);
    assert_eq!(r.header("allow"), Some("GET, HEAD, OPTIONS"));
    let r = server.exchange(b"OPTIONS /hello/ada HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(r.status(), 204);
    assert_eq!(r.header("allow"), Some("GET, HEAD, OPTIONS"));
    let r = server.exchange(b"HEAD /hello/ada HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!((r.status(), r.header("content-length")), (200, Some("12")));
    assert!(r.body.is_empty());
    assert_eq!(server.exchange(&get("/nowhere")).status(), 404);
}

#[test]
fn echo_reads_length_and_chunked_bodies_with_a_limit() {
    let server = TestServer::start(test_config(), echo::router());
    let r = server.exchange(
        b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
    );
    assert_eq!((r.status(), r.body.as_slice()), (200, &b"hello"[..]));
    assert_eq!(r.header("x-echoed-content-type"), Some("text/plain"));
    let r = server.exchange(
        b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\nTrailer: x\r\n\r\n",
    );
    assert_eq!((r.status(), r.body.as_slice()), (200, &b"abcdefg"[..]));

    // Over the limit by Content-Length: refused without reading the body.
    let big = echo::ECHO_LIMIT + 1;
    let r = server.exchange(
        format!("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: {big}\r\n\r\n").as_bytes(),
    );
    assert_eq!(r.status(), 413);

    // Over the limit in chunks: refused once the limit is crossed. The
    // client writes from its own thread, as a real one would, because the
    // server stops reading once it has answered.
    let mut stream = server.connect();
    let mut writer = stream.try_clone().unwrap();
    let sender = std::thread::spawn(move || {
        let chunk = vec![b'x'; 64 * 1024];
        let _ = writer
            .write_all(b"POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n");
        for _ in 0..17 {
            let mut piece = format!("{:x}\r\n", chunk.len()).into_bytes();
            piece.extend_from_slice(&chunk);
            piece.extend_from_slice(b"\r\n");
            if writer.write_all(&piece).is_err() {
                return;
            }
        }
    });
    let r = read_response(&mut stream, false).unwrap();
    assert_eq!(r.status(), 413);
    drop(stream);
    sender.join().unwrap();
}

#[test]
fn echo_sends_100_continue_only_when_the_body_is_read() {
    let server = TestServer::start(test_config(), echo::router());
    let mut stream = server.connect();
    stream
        .write_all(
            b"POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n",
        )
        .unwrap();
    let interim = read_response(&mut stream, false).unwrap();
    assert_eq!(interim.status_line, "HTTP/1.1 100 Continue");
    stream.write_all(b"ping").unwrap();
    let r = read_response(&mut stream, false).unwrap();
    assert_eq!((r.status(), r.body.as_slice()), (200, &b"ping"[..]));

    // A request the router refuses before reading never gets 100 Continue.
    let mut stream = server.connect();
    stream
        .write_all(b"POST /elsewhere HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
        .unwrap();
    let r = read_response(&mut stream, false).unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.header("connection"), Some("close"));
}

#[test]
fn static_site_serves_files_and_api_side_by_side() {
    let dir = TempDir::new("example-site");
    dir.write("index.html", b"<h1>home</h1>");
    let server = TestServer::start(test_config(), static_site::router(dir.path()).unwrap());
    let r = server.exchange(&get("/"));
    assert_eq!(
        (r.status(), r.body.as_slice()),
        (200, &b"<h1>home</h1>"[..])
    );
    let r = server.exchange(&get("/api/status"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.body_text().starts_with("{\"ok\":true,\"time\":"));
    assert_eq!(server.exchange(&get("/missing.txt")).status(), 404);
}

#[test]
fn stream_is_chunked_for_http11_and_close_delimited_for_http10() {
    let server = TestServer::start(test_config(), stream::router());
    let r = server.exchange(&get("/clock?ticks=3&interval_ms=1"));
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    let text = r.body_text();
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(text.starts_with("tick 2 at "));

    let mut stream = server.connect();
    stream
        .write_all(b"GET /clock?ticks=2&interval_ms=1 HTTP/1.0\r\n\r\n")
        .unwrap();
    let r = read_response(&mut stream, false).unwrap();
    assert_eq!(r.header("transfer-encoding"), None);
    assert_eq!(r.header("connection"), Some("close"));
    assert_eq!(r.body_text().lines().count(), 2);
}

#[test]
fn a_chunked_body_behind_a_head_that_fills_the_first_buffer_is_decoded() {
    let server = TestServer::start(test_config(), echo::router());
    let padding = "p".repeat(4000);
    let raw = format!(
        "POST /echo HTTP/1.1\r\nHost: t\r\nX-Pad: {padding}\r\nTransfer-Encoding: chunked\r\n\r\n\
         5;name=value\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    );
    let r = server.exchange(raw.as_bytes());
    assert_eq!((r.status(), r.body.as_slice()), (200, &b"hello world"[..]));
}

/// Regression: with pipelining, a `100 Continue` for the second request
/// could overtake the batched answer to the first.
#[test]
fn a_100_continue_never_overtakes_an_earlier_pipelined_answer() {
    let router = echo::router().get("/hi", |_: &mut http_from_scratch::request::Request<'_>| {
        http_from_scratch::response::Response::text(
            http_from_scratch::http::status::Status::OK,
            "hi\n",
        )
    });
    let server = TestServer::start(test_config(), router);
    let mut stream = server.connect();
    let mut batch = get("/hi");
    batch.extend(
        b"POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n",
    );
    stream.write_all(&batch).unwrap();
    let first = read_response(&mut stream, false).unwrap();
    assert_eq!((first.status(), first.body.as_slice()), (200, &b"hi\n"[..]));
    let interim = read_response(&mut stream, false).unwrap();
    assert_eq!(interim.status(), 100);
    stream.write_all(b"ping").unwrap();
    let echoed = read_response(&mut stream, false).unwrap();
    assert_eq!(echoed.body, b"ping");
}

mod todo_service {
    //! The todo example as its author would test it: requests built in
    //! memory and run through the whole application, no socket.

    use super::todo;
    use http_from_scratch::testing::{TestRequest, TestResponse};
    use http_from_scratch::{Handler, Method, Status};

    fn static_dir() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/todo_static")
    }

    fn create(app: &impl Handler, title: &str) -> TestResponse {
        TestRequest::post("/api/todos").body(title).send(app)
    }

    #[test]
    fn create_read_update_delete() {
        let app = todo::app(&static_dir()).unwrap();
        let created = create(&app, "buy \"milk\"\n");
        assert_eq!(created.status(), Status::CREATED);
        assert_eq!(created.header("location"), Some("/api/todos/1"));
        assert_eq!(
            created.text(),
            r#"{"id":1,"title":"buy \"milk\"","done":false}"#
        );
        create(&app, "walk");

        let list = TestRequest::get("/api/todos").send(&app);
        assert_eq!(list.header("content-type"), Some("application/json"));
        assert!(list.text().starts_with(r#"[{"id":1,"#), "{}", list.text());
        assert!(list
            .text()
            .contains(r#"{"id":2,"title":"walk","done":false}"#));

        let patched = TestRequest::new(Method::Patch, "/api/todos/2?done=true").send(&app);
        assert_eq!(patched.text(), r#"{"id":2,"title":"walk","done":true}"#);
        let one = TestRequest::get("/api/todos/2").send(&app);
        assert_eq!(one.text(), r#"{"id":2,"title":"walk","done":true}"#);

        assert_eq!(
            TestRequest::delete("/api/todos/1").send(&app).status(),
            Status::NO_CONTENT
        );
        assert_eq!(
            TestRequest::delete("/api/todos/1").send(&app).status(),
            Status::NOT_FOUND
        );
        assert_eq!(
            TestRequest::get("/api/todos/1").send(&app).status(),
            Status::NOT_FOUND
        );
    }

    #[test]
    fn a_malformed_id_is_400_naming_the_parameter() {
        let app = todo::app(&static_dir()).unwrap();
        let r = TestRequest::get("/api/todos/seven").send(&app);
        assert_eq!(r.status(), Status::BAD_REQUEST);
        assert!(r.text().contains("'id'"), "{}", r.text());
        let r = TestRequest::new(Method::Patch, "/api/todos/1?done=maybe").send(&app);
        assert_eq!(r.status(), Status::BAD_REQUEST);
    }

    #[test]
    fn a_title_over_the_limit_is_413() {
        let app = todo::app(&static_dir()).unwrap();
        let long = "x".repeat(todo::MAX_TITLE as usize + 1);
        assert_eq!(create(&app, &long).status(), Status::CONTENT_TOO_LARGE);
        let list = TestRequest::get("/api/todos").send(&app);
        assert_eq!(list.text(), "[]\n");
    }

    #[test]
    fn routes_are_relative_to_the_mount_with_405_and_allow() {
        let app = todo::app(&static_dir()).unwrap();
        let r = TestRequest::put("/api/todos/1").body("x").send(&app);
        assert_eq!(r.status(), Status::METHOD_NOT_ALLOWED);
        assert_eq!(r.header("allow"), Some("GET, HEAD, DELETE, PATCH, OPTIONS"));
        // `/todos` exists only under `/api`: elsewhere the fallback answers.
        let r = TestRequest::get("/todos").send(&app);
        assert_eq!(r.status(), Status::NOT_FOUND);
        assert_eq!(r.text(), "{\"error\":\"not found\"}\n");
    }

    #[test]
    fn export_streams_one_line_per_item_in_chunks() {
        let app = todo::app(&static_dir()).unwrap();
        create(&app, "a");
        create(&app, "b");
        let r = TestRequest::get("/api/export").send(&app);
        assert_eq!(r.header("transfer-encoding"), Some("chunked"));
        assert_eq!(
            r.text(),
            "{\"id\":1,\"title\":\"a\",\"done\":false}\n{\"id\":2,\"title\":\"b\",\"done\":false}\n"
        );
    }

    #[test]
    fn static_files_and_timing_ride_along() {
        let app = todo::app(&static_dir()).unwrap();
        let r = TestRequest::get("/static/").send(&app);
        assert_eq!(r.status(), Status::OK);
        assert!(r.text().contains("The todo example"), "{}", r.text());
        let timing = r.header("server-timing").expect("Timed adds it");
        assert!(timing.starts_with("handler;dur="), "{timing}");
        // HEAD goes through the writer: the length of GET, no body.
        let r = TestRequest::new(Method::Head, "/static/index.html").send(&app);
        assert_eq!(r.status(), Status::OK);
        assert!(r.body().is_empty());
        assert!(r.header("content-length").is_some());
    }
}
