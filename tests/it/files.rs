//! Serving files and directories: redirects, 404s, MIME types, large files,
//! path safety against hostile targets and an index that links out, the
//! small-file cache noticing changes, and files rewritten while requested.
//!
//! Index names, listings, hidden files and symlinks as options are in
//! `tests/static_files/` (`options.rs`, `listing.rs`).

use crate::common::*;

#[test]
fn directory_without_slash_redirects_and_keeps_the_query() {
    let dir = TempDir::new("redirect");
    dir.write("docs/index.html", b"<h1>docs</h1>");
    let server = TestServer::files(dir.path());
    let r = server.exchange(&get("/docs?lang=en"));
    assert_eq!(r.status_line, "HTTP/1.1 301 Moved Permanently");
    assert_eq!(r.header("location"), Some("/docs/?lang=en"));
    let r = server.exchange(&get("/docs"));
    assert_eq!(r.header("location"), Some("/docs/"));
}

#[test]
fn missing_file_gets_404() {
    let dir = TempDir::new("missing");
    let server = TestServer::files(dir.path());
    let r = server.exchange(&get("/nope.txt"));
    assert_eq!(r.status_line, "HTTP/1.1 404 Not Found");
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
}

#[test]
fn content_types_follow_the_extension() {
    let dir = TempDir::new("mime");
    for name in [
        "a.css", "a.js", "a.json", "a.svg", "a.png", "a.wasm", "a.bin", "A.JPG",
    ] {
        dir.write(name, b"x");
    }
    let server = TestServer::files(dir.path());
    for (name, want) in [
        ("a.css", "text/css; charset=utf-8"),
        ("a.js", "text/javascript; charset=utf-8"),
        ("a.json", "application/json"),
        ("a.svg", "image/svg+xml"),
        ("a.png", "image/png"),
        ("a.wasm", "application/wasm"),
        ("a.bin", "application/octet-stream"),
        ("A.JPG", "image/jpeg"),
    ] {
        let r = server.exchange(&get(&format!("/{name}")));
        assert_eq!(r.header("content-type"), Some(want), "{name}");
    }
}

#[test]
fn large_file_is_streamed_exactly() {
    let dir = TempDir::new("large");
    let contents: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    dir.write("big.bin", &contents);
    let server = TestServer::files(dir.path());
    let r = server.exchange(&get("/big.bin"));
    assert_eq!(r.status(), 200);
    assert_eq!(r.header("content-length"), Some("3000000"));
    assert!(r.body == contents, "body bytes match the file");
}

#[test]
fn traversal_vectors_never_leave_the_root() {
    let outer = TempDir::new("outer");
    outer.write("secret.txt", b"TOP-SECRET");
    let root = outer.0.join("root");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("ok.txt"), b"fine").unwrap();
    let server = TestServer::files(&root);
    // Each climbs above the root or cannot name a file safely (an encoded
    // separator, NUL, bytes that are not UTF-8, a broken escape): refused
    // as a bad request, whatever is on disk.
    for target in [
        "/../secret.txt",
        "/./../secret.txt",
        "/a/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/secret.txt",
        "/..%2fsecret.txt",
        "/..%2Fsecret.txt",
        "/%2e%2e%2fsecret.txt",
        "/..%5csecret.txt",
        "/..%5c..%5csecret.txt",
        "/ok.txt%00.html",
        "/%00",
        "/%c0%ae%c0%ae/secret.txt",
        "/%ff/secret.txt",
        "/%zz",
        "//../secret.txt",
    ] {
        let r = server.exchange(&get(target));
        assert_eq!(r.status(), 400, "{target} -> {}", r.status_line);
        assert!(!r.body_text().contains("TOP-SECRET"), "{target}");
    }
    // A filesystem path in the URL is a path under the root, not there.
    let absolute = format!("/{}", root.join("../secret.txt").display());
    let r = server.exchange(&get(&absolute));
    assert_eq!(r.status(), 404, "{absolute} -> {}", r.status_line);
    assert!(!r.body_text().contains("TOP-SECRET"), "{absolute}");
    // A raw backslash is not even a valid target byte.
    let r = server.exchange(b"GET /..\\secret.txt HTTP/1.1\r\nHost: t\r\n\r\n");
    assert_eq!(r.status(), 400);
    // Inside the root, dot segments resolve normally.
    let r = server.exchange(&get("/sub/../ok.txt"));
    assert_eq!((r.status(), r.body.as_slice()), (200, &b"fine"[..]));
}

/// Regression: an index file reached through a symlink was served without
/// the containment check, so `docs/index.html -> /etc/passwd` leaked.
#[cfg(unix)]
#[test]
fn an_index_symlink_leading_outside_the_root_is_not_served() {
    let outer = TempDir::new("index-escape");
    outer.write("secret.txt", b"TOP-SECRET");
    let root = outer.0.join("root");
    std::fs::create_dir_all(root.join("docs")).unwrap();
    std::os::unix::fs::symlink(outer.0.join("secret.txt"), root.join("docs/index.html")).unwrap();
    let server = TestServer::files(&root);
    let r = server.exchange(&get("/docs/"));
    assert!(!r.body_text().contains("TOP-SECRET"), "{}", r.status_line);
    // An index that leads out is no index: the directory is listed, and
    // the link left out of the listing like any other that leads out.
    assert_eq!(r.status_line, "HTTP/1.1 200 OK");
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let page = r.body_text();
    assert!(page.contains("Index of /docs/"), "{page}");
    assert!(!page.contains("index.html"), "{page}");
}

/// Regression: the small-file cache checked only the resolved file, so a
/// symlink retargeted to another file kept serving the old one.
#[cfg(unix)]
#[test]
fn a_retargeted_symlink_is_followed_afresh_by_the_cache() {
    let dir = TempDir::new("retarget");
    dir.write("a.txt", b"first");
    dir.write("b.txt", b"second");
    std::os::unix::fs::symlink(dir.0.join("a.txt"), dir.0.join("alias.txt")).unwrap();
    let server = TestServer::files(dir.path());
    assert_eq!(server.exchange(&get("/alias.txt")).body, b"first");
    assert_eq!(
        server.exchange(&get("/alias.txt")).body,
        b"first",
        "now from the cache"
    );
    std::fs::remove_file(dir.0.join("alias.txt")).unwrap();
    std::os::unix::fs::symlink(dir.0.join("b.txt"), dir.0.join("alias.txt")).unwrap();
    assert_eq!(server.exchange(&get("/alias.txt")).body, b"second");
}

#[test]
fn an_edited_file_is_served_fresh_at_once() {
    let dir = TempDir::new("edit");
    dir.write("page.txt", b"version one");
    let server = TestServer::files(dir.path());
    assert_eq!(server.exchange(&get("/page.txt")).body, b"version one");
    assert_eq!(server.exchange(&get("/page.txt")).body, b"version one");
    dir.write("page.txt", b"version two!");
    assert_eq!(server.exchange(&get("/page.txt")).body, b"version two!");
    // Same length, different bytes: caught by mtime/ctime.
    dir.write("page.txt", b"version 3!!!");
    assert_eq!(server.exchange(&get("/page.txt")).body, b"version 3!!!");
}

/// Regression: `//host/..` redirected to `//host/../`, a protocol-relative
/// URL that sends the browser to another host.
#[test]
fn the_slash_redirect_never_points_at_another_host() {
    let dir = TempDir::new("open-redirect");
    std::fs::create_dir_all(dir.0.join("docs")).unwrap();
    let server = TestServer::files(dir.path());
    // Ending in `..`, the path names the root, spelled oddly: redirected
    // to its plain spelling on this server, never to another host.
    let r = server.exchange(&get("//evil.example/.."));
    assert_eq!(r.status(), 301);
    assert_eq!(r.header("location"), Some("/"));
    let r = server.exchange(&get("//docs"));
    assert_eq!(r.status(), 301);
    let location = r.header("location").unwrap();
    assert!(
        location.starts_with('/') && !location.starts_with("//"),
        "{location}"
    );
}

/// A precompressed sibling added after the file was cached is served on the
/// next request: a new entry checks its directory on first use. Later
/// checks come at most once a second; the unit tests in
/// `src/files/cache.rs` move that clock rather than wait for it.
#[test]
fn a_precompressed_sibling_added_after_caching_is_served_next() {
    let dir = TempDir::new("late-sibling");
    dir.write("app.js", b"console.log(1)");
    let server = TestServer::files(dir.path());
    let ask =
        || server.exchange(b"GET /app.js HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n");
    let r = ask();
    assert_eq!((r.status(), r.header("content-encoding")), (200, None));
    // Before any second request: that one would mark the directory checked
    // for the rest of this second.
    dir.write("app.js.gz", b"pretend-gzip");
    let r = ask();
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(r.body, b"pretend-gzip");
    assert_eq!(r.header("vary"), Some("Accept-Encoding"));
}

/// Regression: a cached `/dir/` watched the index file's own directory
/// entry only, so a higher-priority index added later was never served.
/// As above, the new index comes before a second request.
#[test]
fn a_higher_priority_index_added_after_caching_is_served_next() {
    let dir = TempDir::new("late-index");
    dir.write("docs/index.htm", b"old index");
    let server = TestServer::files_with(
        dir.path(),
        |_| {},
        |f| f.index = vec!["index.html".to_string(), "index.htm".to_string()],
    );
    assert_eq!(server.exchange(&get("/docs/")).body, b"old index");
    dir.write("docs/index.html", b"new index");
    assert_eq!(server.exchange(&get("/docs/")).body, b"new index");
}

/// Regression: `/a.txt/`, `/a.txt/.` and `/a.txt//` answered 200 with the
/// file; a file is not a directory.
#[test]
fn a_file_named_as_a_directory_is_not_found() {
    let dir = TempDir::new("file-as-dir");
    dir.write("a.txt", b"a file");
    let server = TestServer::files(dir.path());
    for path in ["/a.txt/", "/a.txt/.", "/a.txt//", "/a.txt/x/.."] {
        assert_eq!(server.exchange(&get(path)).status(), 404, "{path}");
    }
    assert_eq!(server.exchange(&get("/a.txt")).status(), 200);
}

/// Regression: a small file rewritten in place (truncated, then written, as
/// editors save) while it was requested gave an empty reply, logged as 200.
/// Every answer now has a status line and, if a 200, its whole length.
#[test]
fn a_small_file_rewritten_while_requested_never_gives_an_empty_reply() {
    use std::io::Write;
    use std::sync::atomic::Ordering;
    use std::time::Duration;
    let dir = TempDir::new("rewrite");
    let versions: [Vec<u8>; 2] = [vec![b'a'; 5000], vec![b'b'; 7000]];
    dir.write("page.txt", &versions[0]);
    // A queue wait longer than the test: a 503 then comes from the file
    // alone, not from a loaded machine slow to pick a request up.
    let server = TestServer::files_with(
        dir.path(),
        |c| c.timeouts.queue_wait = Duration::from_secs(120),
        |_| {},
    );
    let (stop, writer) = keep_rewriting(dir.path().join("page.txt"), versions);
    // Ranges and conditionals skip the small-file cache.
    let plain = get("/page.txt");
    let ranged = b"GET /page.txt HTTP/1.1\r\nHost: t\r\nRange: bytes=0-\r\n\r\n".to_vec();
    let conditional = b"GET /page.txt HTTP/1.1\r\nHost: t\r\nIf-None-Match: \"x\"\r\n\r\n".to_vec();
    let requests = [&plain, &ranged, &conditional];
    for round in 0..1500 {
        let raw = requests[round % requests.len()];
        let mut stream = server.connect();
        stream.write_all(raw).unwrap();
        let answer =
            read_response(&mut stream, false).expect("a status line, never an empty reply");
        check_answer_to_a_racing_read(&answer, raw, raw == &ranged);
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
}

/// Rewrites `path` with each version in turn, as fast as it can, until the
/// returned flag is set.
fn keep_rewriting(
    path: std::path::PathBuf,
    versions: [Vec<u8>; 2],
) -> (
    std::sync::Arc<std::sync::atomic::AtomicBool>,
    std::thread::JoinHandle<()>,
) {
    use std::sync::atomic::{AtomicBool, Ordering};
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let stop_seen = std::sync::Arc::clone(&stop);
    let writer = std::thread::spawn(move || {
        let mut i = 0;
        while !stop_seen.load(Ordering::Relaxed) {
            let _ = std::fs::write(&path, &versions[i % 2]);
            i += 1;
        }
    });
    (stop, writer)
}

/// The writer races every read, so which answer comes is not the test's to
/// choose; each is right for the file as the read found it. The reader
/// framed each body by its Content-Length, so a 200 or 206 carried every
/// byte it declared (which bytes a read racing a rewrite sees is the file
/// system's business).
fn check_answer_to_a_racing_read(answer: &RawResponse, raw: &[u8], is_range: bool) {
    match answer.status() {
        200 if !is_range => {}
        206 if is_range => {
            let len = answer.body.len();
            let whole = format!("bytes 0-{}/{len}", len.saturating_sub(1));
            assert_eq!(answer.header("content-range"), Some(whole.as_str()));
        }
        // Caught empty, between the truncation and the write: every range
        // of an empty file is unsatisfiable.
        416 if is_range => assert_eq!(answer.header("content-range"), Some("bytes */0")),
        // Shrunk after its length was read: the declared length cannot be
        // sent, so the answer says to try again instead.
        503 => assert_eq!(answer.header("retry-after"), Some("1")),
        _ => panic!(
            "{} for {:?}",
            answer.status_line,
            String::from_utf8_lossy(raw)
        ),
    }
}
