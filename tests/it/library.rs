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

/// What a library user writes, tested without a socket: closures whose
/// argument type is inferred, handlers that stop early with `?`, typed
/// parameters, query values, shared state, nesting, a fallback, wrappers.
mod in_memory {
    use http_from_scratch::handler::{around, Timed};
    use http_from_scratch::testing::TestRequest;
    use http_from_scratch::{Handler, Method, Response, Router, Status};
    use std::sync::atomic::{AtomicU64, Ordering};

    #[test]
    fn closures_need_no_type_annotations_and_may_return_results() {
        // `|req|` alone: this compiling is half the test.
        let app = Router::new()
            .get("/double/:n", |req| {
                let n: i64 = req.param_as("n")?;
                Ok(Response::text(Status::OK, format!("{}\n", n * 2)))
            })
            .get("/q", |req| {
                let who = req.query_value("who").unwrap_or_else(|| "nobody".into());
                Response::text(Status::OK, who)
            });
        let r = TestRequest::get("/double/21").send(&app);
        assert_eq!((r.status(), r.text()), (Status::OK, "42\n".to_string()));
        let r = TestRequest::get("/double/x1").send(&app);
        assert_eq!(r.status(), Status::BAD_REQUEST);
        assert!(r.text().contains("'n'"), "{}", r.text());
        let r = TestRequest::get("/q?a=1&who=Ada+L%2E&who=second").send(&app);
        assert_eq!(r.text(), "Ada L.", "the first value, decoded");
        assert_eq!(TestRequest::get("/q").send(&app).text(), "nobody");
    }

    #[test]
    fn nested_routers_route_on_the_rest_of_the_path() {
        let users = Router::new()
            .get("/:id", |req| {
                Response::text(
                    Status::OK,
                    format!("user {}", req.param("id").unwrap_or("")),
                )
            })
            .delete("/:id", |_req| Response::new(Status::NO_CONTENT))
            .get("/:id/files/*rest", |req| {
                Response::text(
                    Status::OK,
                    format!("file {}", req.param("rest").unwrap_or("")),
                )
            });
        let api = Router::new()
            .get("/", |_req| Response::text(Status::OK, "api root"))
            .mount("/users", users);
        let app = Router::new().mount("/api", api);

        assert_eq!(TestRequest::get("/api/users/7").send(&app).text(), "user 7");
        assert_eq!(
            TestRequest::get("/api/users/7/files/a/b%20c")
                .send(&app)
                .text(),
            "file a/b c"
        );
        assert_eq!(TestRequest::get("/api").send(&app).text(), "api root");
        let r = TestRequest::post("/api/users/7").body("x").send(&app);
        assert_eq!(r.status(), Status::METHOD_NOT_ALLOWED);
        assert_eq!(r.header("allow"), Some("GET, HEAD, DELETE, OPTIONS"));
        let r = TestRequest::new(Method::Options, "/api/users/7").send(&app);
        assert_eq!(
            (r.status(), r.header("allow")),
            (Status::NO_CONTENT, Some("GET, HEAD, DELETE, OPTIONS"))
        );
        assert_eq!(
            TestRequest::get("/users/7").send(&app).status(),
            Status::NOT_FOUND
        );
        assert_eq!(
            TestRequest::get("/api/userszz").send(&app).status(),
            Status::NOT_FOUND
        );
    }

    #[test]
    fn a_fallback_answers_what_nothing_else_matches() {
        let app = Router::new()
            .get("/here", |_req| Response::text(Status::OK, "here"))
            .fallback(|req| Response::text(Status::NOT_FOUND, format!("no {}\n", req.path())));
        let r = TestRequest::get("/elsewhere").send(&app);
        assert_eq!(
            (r.status(), r.text()),
            (Status::NOT_FOUND, "no /elsewhere\n".to_string())
        );
        // A path with routes for other methods still gets the router's 405.
        let r = TestRequest::delete("/here").send(&app);
        assert_eq!(r.status(), Status::METHOD_NOT_ALLOWED);
    }

    #[test]
    fn state_is_shared_by_every_route_and_nested_router() {
        struct Hits(AtomicU64);
        let count = |req: &mut http_from_scratch::Request<'_>| {
            let hits = req.state::<Hits>().expect("state");
            let n = hits.0.fetch_add(1, Ordering::SeqCst) + 1;
            Response::text(Status::OK, n.to_string())
        };
        let app = Router::new()
            .with_state(Hits(AtomicU64::new(0)))
            .get("/a", count)
            .mount("/inner", Router::new().get("/b", count));
        assert_eq!(TestRequest::get("/a").send(&app).text(), "1");
        assert_eq!(TestRequest::get("/inner/b").send(&app).text(), "2");
        assert_eq!(TestRequest::get("/a").send(&app).text(), "3");
        // A state of another type is simply absent.
        let app = Router::new().with_state(5u8).get("/", |req| {
            Response::text(Status::OK, format!("{:?}", req.state::<Hits>().is_some()))
        });
        assert_eq!(TestRequest::get("/").send(&app).text(), "false");
    }

    #[test]
    fn wrappers_see_every_request() {
        let app = Router::new().patch("/x", |_req| Response::text(Status::OK, "patched"));
        let app = around(app, |req, inner| {
            if req.header("x-key") != Some(b"secret") {
                return Response::error(Status::UNAUTHORIZED);
            }
            inner.handle(req).with_header("X-Checked", "yes")
        });
        let app = Timed(app);
        let r = TestRequest::new(Method::Patch, "/x").send(&app);
        assert_eq!(r.status(), Status::UNAUTHORIZED);
        assert!(r.header("server-timing").is_some());
        let r = TestRequest::new(Method::Patch, "/x")
            .header("X-Key", "secret")
            .send(&app);
        assert_eq!((r.status(), r.text()), (Status::OK, "patched".to_string()));
        assert_eq!(r.header("x-checked"), Some("yes"));
    }

    #[test]
    fn bytes_take_a_content_type_built_at_run_time() {
        let app = Router::new().get("/img", |req| {
            let kind = req.query_value("kind").unwrap_or_else(|| "png".into());
            Response::bytes(Status::OK, format!("image/{kind}"), vec![1u8, 2, 3])
        });
        let r = TestRequest::get("/img?kind=webp").send(&app);
        assert_eq!(r.header("content-type"), Some("image/webp"));
        assert_eq!(r.body(), &[1, 2, 3]);
    }

    #[test]
    fn status_constants_for_common_api_answers() {
        for (status, code, reason) in [
            (Status::UNAUTHORIZED, 401, "Unauthorized"),
            (Status::FORBIDDEN, 403, "Forbidden"),
            (Status::CONFLICT, 409, "Conflict"),
            (Status::UNPROCESSABLE_CONTENT, 422, "Unprocessable Content"),
            (Status::TOO_MANY_REQUESTS, 429, "Too Many Requests"),
        ] {
            assert_eq!((status.code(), status.reason()), (code, reason));
        }
    }

    #[test]
    fn a_request_the_parser_refuses_never_reaches_the_handler() {
        let app = Router::new().get("/", |_req| -> Response { panic!("must not run") });
        let r = TestRequest::from_bytes(b"GET / HTTP/1.1\r\n\r\n").send(&app);
        assert_eq!(r.status(), Status::BAD_REQUEST, "no Host");
        let r = TestRequest::from_bytes(
            b"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999\r\n\r\n",
        )
        .send(&app);
        assert_eq!(r.status(), Status::CONTENT_TOO_LARGE);
    }

    #[test]
    fn a_pushed_body_to_http10_is_close_delimited() {
        use std::io::Write;
        let app = Router::new().get("/", |_req| {
            Response::stream_with(Status::OK, "text/plain", |out| {
                out.write_all(b"one ")?;
                out.flush()?;
                out.write_all(b"two")
            })
        });
        let r = TestRequest::from_bytes(b"GET / HTTP/1.0\r\n\r\n").send(&app);
        assert_eq!(r.header("transfer-encoding"), None);
        assert_eq!(r.text(), "one two");
        let r = TestRequest::get("/").send(&app);
        assert_eq!(r.header("transfer-encoding"), Some("chunked"));
        assert_eq!(r.text(), "one two");
    }
}
