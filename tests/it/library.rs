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
                "path={} decoded={} rest={} query={:?} ua={} peer_is_local={}\n",
                req.path(),
                req.decoded_path().unwrap_or_default(),
                req.param("rest").unwrap_or(""),
                req.query_pairs(),
                req.fields().get_str("USER-AGENT").unwrap_or(""),
                req.peer().is_local(),
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
         query=[(\"x\", \"1\"), (\"name\", \"J Doe\")] ua=probe peer_is_local=true\n"
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
    use http_from_scratch::handler::{around, from_fn, Timed};
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

    #[test]
    fn a_mount_wins_over_routes_for_other_methods_and_over_wildcards() {
        let api = Router::new()
            .post("/todos", |_req| Response::text(Status::CREATED, "made"))
            .get("/x", |_req| Response::text(Status::OK, "api x"));
        let app = Router::new()
            .get("/api/todos", |_req| Response::text(Status::OK, "listed"))
            .get("/*path", |_req| Response::text(Status::OK, "spa"))
            .mount("/api", api);
        assert_eq!(TestRequest::get("/api/todos").send(&app).text(), "listed");
        let r = TestRequest::post("/api/todos").body("t").send(&app);
        assert_eq!(
            (r.status(), r.text()),
            (Status::CREATED, "made".to_string())
        );
        assert_eq!(TestRequest::get("/api/x").send(&app).text(), "api x");
        assert_eq!(TestRequest::get("/elsewhere").send(&app).text(), "spa");
    }

    #[test]
    fn the_outer_fallback_answers_for_a_nested_router_without_one() {
        let inner = Router::new().get("/here", |_req| Response::text(Status::OK, "here"));
        let app = Router::new()
            .mount("/a", inner)
            .fallback(|_req| Response::text(Status::NOT_FOUND, "outer 404"));
        assert_eq!(TestRequest::get("/a/here").send(&app).text(), "here");
        assert_eq!(TestRequest::get("/a/nope").send(&app).text(), "outer 404");
        // A handler's own 404 is an answer, not a miss.
        let app = Router::new()
            .mount(
                "/b",
                from_fn(|_req| Response::text(Status::NOT_FOUND, "mine")),
            )
            .fallback(|_req| Response::text(Status::NOT_FOUND, "outer 404"));
        assert_eq!(TestRequest::get("/b/x").send(&app).text(), "mine");
    }

    #[test]
    fn states_of_several_types_reach_nested_handlers() {
        struct Name(&'static str);
        let inner = Router::new().with_state(7u32).get("/x", |req| {
            let name = req.state::<Name>().map_or("none", |n| n.0);
            let number = req.state::<u32>().copied().unwrap_or(0);
            Response::text(Status::OK, format!("{name} {number}"))
        });
        let app = Router::new()
            .with_state(Name("outer"))
            .with_state(1u32)
            .mount("/in", inner);
        assert_eq!(
            TestRequest::get("/in/x").send(&app).text(),
            "outer 7",
            "innermost u32"
        );
    }

    #[test]
    #[should_panic(expected = "literal")]
    fn a_mount_prefix_cannot_hold_a_parameter() {
        let _ = Router::new().mount("/users/:id", Router::new());
    }

    #[test]
    fn parameters_never_carry_dot_segments() {
        let app = Router::new()
            .get("/dl/*path", |req| {
                Response::text(Status::OK, req.param("path").unwrap_or("").to_string())
            })
            .get("/one/:name", |req| {
                Response::text(Status::OK, req.param("name").unwrap_or("").to_string())
            });
        assert_eq!(TestRequest::get("/dl/a/b.txt").send(&app).text(), "a/b.txt");
        assert_eq!(
            TestRequest::get("/dl/a..b/.c").send(&app).text(),
            "a..b/.c",
            "dots inside names are fine"
        );
        for target in [
            "/dl/../Cargo.toml",
            "/dl/a/../../x",
            "/dl/..%2F..%2Fetc%2Fhostname",
            "/dl/%2e%2e/x",
            "/one/..",
            "/one/..%2Fx",
        ] {
            assert_eq!(
                TestRequest::get(target).send(&app).status(),
                Status::BAD_REQUEST,
                "{target}"
            );
        }
    }

    #[test]
    #[should_panic(expected = "no parameter named")]
    fn asking_for_a_parameter_the_route_lacks_is_a_code_mistake() {
        let app = Router::new().get("/u/:id", |req| {
            let id: u64 = req.param_as("idd")?;
            Ok(Response::text(Status::OK, id.to_string()))
        });
        TestRequest::get("/u/1").send(&app);
    }

    #[test]
    fn a_stream_that_fails_part_way_is_cut_off() {
        use std::io::Write;
        let app = Router::new().get("/", |_req| {
            Response::stream_with(Status::OK, "text/plain", |out| {
                out.write_all(b"partial")?;
                out.flush()?;
                Err(std::io::Error::other("the database went away"))
            })
        });
        let r = TestRequest::get("/").send(&app);
        assert_eq!((r.status(), r.text()), (Status::OK, "partial".to_string()));
        assert!(r.was_cut_off());
        let r = TestRequest::get("/")
            .header("X-Late", "1")
            .body("")
            .send(&app);
        assert!(r.was_cut_off(), "fields and body may be given in any order");
    }

    #[test]
    fn the_builder_takes_fields_and_body_in_any_order_and_a_host() {
        let app = Router::new().post("/", |req| {
            let host = req
                .header("host")
                .map(|h| String::from_utf8_lossy(h).into_owned());
            let tag = req
                .header("x-tag")
                .map(|h| String::from_utf8_lossy(h).into_owned());
            let body = req
                .body()
                .read_to_string(100)
                .map_err(|e| Response::error(e.status()))?;
            Ok(Response::text(
                Status::OK,
                format!("{host:?} {tag:?} {body}"),
            ))
        });
        let r = TestRequest::post("/")
            .body("first")
            .header("X-Tag", "t")
            .header("Host", "example.com")
            .body("second")
            .send(&app);
        assert_eq!(r.text(), "Some(\"example.com\") Some(\"t\") second");
    }

    /// Mounted at `/static`, the file server's root is `/static/`: a
    /// request for `/static` is redirected there, or the listing's
    /// relative links would point one level up.
    #[test]
    fn a_mounted_file_server_redirects_its_bare_prefix() {
        let dir = crate::common::TempDir::new("mounted-files");
        dir.write("a.txt", b"a");
        let files = http_from_scratch::FileServer::new(
            http_from_scratch::FilesConfig::new(dir.path()).unwrap(),
        );
        let app = Router::new().mount("/static", files);
        let r = TestRequest::get("/static?x=1").send(&app);
        assert_eq!(r.status(), Status::MOVED_PERMANENTLY);
        assert_eq!(r.header("location"), Some("/static/?x=1"));
        assert_eq!(TestRequest::get("/static/").send(&app).status(), Status::OK);
        assert_eq!(TestRequest::get("/static/a.txt").send(&app).text(), "a");
    }

    #[test]
    fn a_body_that_stops_coming_is_408_not_400() {
        use http_from_scratch::request::BodyError;
        let timed_out = BodyError::Io(std::io::ErrorKind::WouldBlock.into());
        assert_eq!(timed_out.status(), Status::REQUEST_TIMEOUT);
        let cut = BodyError::Io(std::io::ErrorKind::UnexpectedEof.into());
        assert_eq!(cut.status(), Status::BAD_REQUEST);
    }
}

/// A streamed body that holds its bytes (no flush) is still stopped at the
/// drain timeout: the server's stop does not wait on it.
#[test]
fn shutdown_stops_a_stream_that_never_flushes() {
    use std::io::{Read, Write};
    use std::time::Duration;
    let app = Router::new().get("/", |_req: &mut Request<'_>| {
        Response::stream_with(Status::OK, "text/plain", |out| loop {
            out.write_all(b"x")?;
            // Producing slowly, holding every byte: without the stop check
            // the first write to the socket would be 16 KiB away.
            std::thread::sleep(Duration::from_millis(20));
        })
    });
    let mut config = test_config();
    config.timeouts.drain = Duration::from_millis(300);
    let server = TestServer::start(config, app);
    let mut stream = server.connect();
    stream.write_all(&get("/")).unwrap();
    let mut first = [0u8; 16];
    let n = stream.read(&mut first).unwrap();
    assert!(first[..n].starts_with(b"HTTP/1.1 200"));
    let (done_tx, done) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done_tx.send(server.stop());
    });
    let summary = done
        .recv_timeout(IO_TIMEOUT)
        .expect("the server stops after its drain timeout");
    assert_eq!(summary.cut_off, 1);
}

/// A panic while a streamed body is written is a handler panic: counted,
/// logged, the connection closed.
#[test]
fn a_panic_inside_a_stream_is_counted() {
    use std::io::{Read, Write};
    let app = Router::new().get("/", |_req: &mut Request<'_>| {
        Response::stream_with(Status::OK, "text/plain", |out| {
            out.write_all(b"before")?;
            out.flush()?;
            panic!("deliberately, mid-stream");
        })
    });
    let server = TestServer::start(test_config(), app);
    let mut stream = server.connect();
    stream.write_all(&get("/")).unwrap();
    let mut all = Vec::new();
    stream.read_to_end(&mut all).unwrap();
    let text = String::from_utf8_lossy(&all);
    assert!(
        text.contains("before") && !text.ends_with("0\r\n\r\n"),
        "{text}"
    );
    assert_eq!(server.stop().panics, 1);
}
