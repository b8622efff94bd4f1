//! Precompressed siblings (RFC 9110 §12.5.3, §8.4): `FILE.br`, `FILE.zst`
//! and `FILE.gz` beside `FILE` are served with `Content-Encoding` when
//! `Accept-Encoding` allows, by quality and then br > zstd > gzip; they keep
//! `FILE`'s type, get their own entity-tag, take ranges over the encoded
//! bytes, and make the answer vary on `Accept-Encoding`.
//!
//! The sibling contents are stand-ins: the server never decodes them.

use crate::common::*;
use crate::fixtures::*;

const JS: &[u8] = b"console.log('identity');\n";
const BR: &[u8] = b"BROTLI-BYTES-0123456789";
const ZSTD: &[u8] = b"ZSTD-BYTES-0123456789";
const GZIP: &[u8] = b"GZIP-BYTES-0123456789";
const JS_TYPE: &str = "text/javascript; charset=utf-8";

fn site() -> (TempDir, TestServer) {
    let dir = TempDir::new("negotiation");
    dir.write("app.js", JS);
    dir.write("app.js.br", BR);
    dir.write("app.js.zst", ZSTD);
    dir.write("app.js.gz", GZIP);
    dir.write("only-gz.js", JS);
    dir.write("only-gz.js.gz", GZIP);
    dir.write("plain.css", b"body {}\n");
    let server = TestServer::files(dir.path());
    (dir, server)
}

fn fetch(server: &TestServer, target: &str, accept_encoding: &str) -> RawResponse {
    server.exchange(&get_with(
        target,
        &[&format!("Accept-Encoding: {accept_encoding}")],
    ))
}

/// The coding served for `accept_encoding`, after checking the body is
/// that coding's sibling (or the file itself for `None`).
fn served(server: &TestServer, target: &str, accept_encoding: &str) -> Option<String> {
    let r = fetch(server, target, accept_encoding);
    assert_eq!(r.status(), 200, "{accept_encoding}");
    assert_eq!(r.header("content-type"), Some(JS_TYPE), "{accept_encoding}");
    let coding = r.header("content-encoding").map(str::to_string);
    let want: &[u8] = match coding.as_deref() {
        None => JS,
        Some("br") => BR,
        Some("zstd") => ZSTD,
        Some("gzip") => GZIP,
        Some(other) => panic!("unexpected coding {other}"),
    };
    assert_eq!(r.body, want, "{accept_encoding}");
    coding
}

#[test]
fn an_accepted_sibling_is_served_with_content_encoding_and_the_original_type() {
    let (_dir, server) = site();
    let r = fetch(&server, "/app.js", "gzip");
    assert_eq!(r.status_line, "HTTP/1.1 200 OK");
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(r.header("content-type"), Some(JS_TYPE));
    assert_eq!(r.header("content-length"), Some("21"));
    assert_eq!(r.body, GZIP);
}

#[test]
fn equal_quality_prefers_br_then_zstd_then_gzip() {
    let (_dir, server) = site();
    for (accept, want) in [
        ("gzip, zstd, br", "br"),
        ("gzip, deflate, zstd", "zstd"),
        ("gzip;q=0.8, zstd;q=0.8", "zstd"),
        ("gzip", "gzip"),
        ("GZip", "gzip"),
    ] {
        assert_eq!(served(&server, "/app.js", accept).as_deref(), Some(want));
    }
}

#[test]
fn quality_values_outrank_the_preference_order() {
    let (_dir, server) = site();
    for (accept, want) in [
        ("br;q=0.5, gzip;q=0.9", "gzip"),
        ("br;q=0.1, zstd;q=0.2, gzip;q=0.3", "gzip"),
        ("gzip;q=0.5, zstd;Q=0.6, br;q=0.4", "zstd"),
    ] {
        assert_eq!(served(&server, "/app.js", accept).as_deref(), Some(want));
    }
}

#[test]
fn q_zero_excludes_a_coding() {
    let (_dir, server) = site();
    assert_eq!(
        served(&server, "/app.js", "br;q=0, gzip").as_deref(),
        Some("gzip")
    );
    assert_eq!(served(&server, "/only-gz.js", "gzip;q=0"), None);
    assert_eq!(served(&server, "/only-gz.js", "gzip;q=0.000"), None);
    assert_eq!(
        served(&server, "/app.js", "br;q=0, zstd;q=0, gzip;q=0"),
        None
    );
}

#[test]
fn star_stands_for_the_codings_not_named() {
    let (_dir, server) = site();
    for (target, accept, want) in [
        ("/app.js", "*", Some("br")),
        ("/app.js", "br;q=0, *", Some("zstd")),
        ("/app.js", "*;q=0.5, gzip", Some("gzip")),
        ("/app.js", "*;q=0", None),
        ("/only-gz.js", "*", Some("gzip")),
        ("/only-gz.js", "gzip;q=0, *", None),
    ] {
        assert_eq!(
            served(&server, target, accept).as_deref(),
            want,
            "{target} {accept}"
        );
    }
}

#[test]
fn without_an_accepted_coding_the_file_itself_is_served() {
    let (_dir, server) = site();
    let r = server.exchange(&get("/app.js"));
    assert_eq!((r.status(), r.body.as_slice()), (200, JS));
    assert_eq!(r.header("content-encoding"), None);
    for accept in ["identity", "deflate", "compress, x-unknown", ""] {
        assert_eq!(served(&server, "/app.js", accept), None, "{accept:?}");
    }
}

#[test]
fn vary_accept_encoding_only_on_files_with_a_sibling() {
    let (_dir, server) = site();
    for (target, accept) in [
        ("/app.js", "br"),
        ("/app.js", "identity"),
        ("/only-gz.js", "br"),
    ] {
        let r = fetch(&server, target, accept);
        assert_eq!(values(&r, "vary"), ["Accept-Encoding"], "{target} {accept}");
    }
    let r = server.exchange(&get("/app.js"));
    assert_eq!(
        values(&r, "vary"),
        ["Accept-Encoding"],
        "no Accept-Encoding"
    );
    let r = fetch(&server, "/plain.css", "gzip, br");
    assert_eq!(r.status(), 200);
    assert!(values(&r, "vary").is_empty(), "{:?}", r.headers);
}

#[test]
fn each_encoding_has_its_own_entity_tag() {
    let (_dir, server) = site();
    let tags: Vec<String> = ["identity", "br", "zstd", "gzip"]
        .iter()
        .map(|coding| etag_of(&server, "/app.js", &[&format!("Accept-Encoding: {coding}")]))
        .collect();
    for (i, a) in tags.iter().enumerate() {
        assert!(a.starts_with('"'), "strong: {a}");
        for b in &tags[i + 1..] {
            assert_ne!(a, b);
        }
    }
    // The identity tag does not validate the gzip representation...
    let identity_tag = format!("If-None-Match: {}", tags[0]);
    let r = server.exchange(&get_with(
        "/app.js",
        &["Accept-Encoding: gzip", &identity_tag],
    ));
    assert_eq!((r.status(), r.body.as_slice()), (200, GZIP));
    // ...but its own tag does.
    let gzip_tag = format!("If-None-Match: {}", tags[3]);
    let r = server.exchange(&get_with("/app.js", &["Accept-Encoding: gzip", &gzip_tag]));
    assert_eq!(r.status_line, "HTTP/1.1 304 Not Modified");
    assert_eq!(r.header("etag"), Some(tags[3].as_str()));
}

#[test]
fn a_range_applies_to_the_encoded_bytes() {
    let (_dir, server) = site();
    let headers = ["Accept-Encoding: gzip", "Range: bytes=5-9"];
    let r = server.exchange(&get_with("/app.js", &headers));
    assert_eq!(r.status_line, "HTTP/1.1 206 Partial Content");
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(r.header("content-type"), Some(JS_TYPE));
    assert_eq!(r.header("content-range"), Some("bytes 5-9/21"));
    assert_eq!(r.body, &GZIP[5..=9]);
    let r = server.exchange(&get_with(
        "/app.js",
        &["Accept-Encoding: br", "Range: bytes=-4"],
    ));
    assert_eq!(r.header("content-range"), Some("bytes 19-22/23"));
    assert_eq!(r.body, &BR[19..]);
}
