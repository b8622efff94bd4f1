//! Live reload (`--watch`): one event on the reserved stream per burst of
//! changes, the script only in pages served while watching (with lengths,
//! ranges and entity-tags of what is sent), a bound on open streams, and
//! streams ended when the server stops.

use crate::binary::start_binary;
use crate::common::*;
use http_from_scratch::files::{FileServer, FilesConfig};
use http_from_scratch::router::Router;
use http_from_scratch::watch::{Watcher, EVENTS_PATH, MAX_STREAMS, SCRIPT_PATH};
use std::io::{BufRead, Read, Write};
use std::net::TcpStream;

const PAGE: &[u8] = b"<!doctype html>\n<title>t</title>\n<body>\n<p>hello</p>\n</body>\n</html>\n";

/// The page as a watching server sends it.
fn page_with_script() -> Vec<u8> {
    let text = String::from_utf8(PAGE.to_vec()).unwrap();
    let tag = format!("<script src=\"{SCRIPT_PATH}\"></script>\n");
    text.replacen("</body>", &format!("{tag}</body>"), 1)
        .into_bytes()
}

/// A file server over `dir` with live reload, as the binary sets it up.
/// The watcher is returned to be dropped after the server.
fn watched(dir: &TempDir) -> (TestServer, Watcher) {
    serve_watched(dir, Watcher::start(dir.path()).unwrap())
}

/// The same, with the watcher that looks instead of being told (the way
/// on systems without inotify).
fn polled(dir: &TempDir) -> (TestServer, Watcher) {
    serve_watched(dir, Watcher::start_polling(dir.path()).unwrap())
}

fn serve_watched(dir: &TempDir, watcher: Watcher) -> (TestServer, Watcher) {
    serve_watched_with(dir, watcher, |_| {})
}

fn serve_watched_with(
    dir: &TempDir,
    watcher: Watcher,
    set: impl FnOnce(&mut FilesConfig),
) -> (TestServer, Watcher) {
    let mut files = FilesConfig::new(dir.path()).unwrap();
    files.settings.live_reload = true;
    set(&mut files);
    let handler = watcher.handler(Router::new().mount("/", FileServer::new(files)));
    (TestServer::start(test_config(), handler), watcher)
}

/// Reads up to and including the first `end`, a byte at a time (nothing
/// after it is taken from the socket).
fn read_through(stream: &mut TcpStream, end: &[u8]) -> String {
    let mut got = Vec::new();
    let mut byte = [0u8; 1];
    while !got.ends_with(end) {
        match stream.read(&mut byte) {
            Ok(1) => got.push(byte[0]),
            other => panic!(
                "stream ended ({other:?}) after {:?}",
                String::from_utf8_lossy(&got)
            ),
        }
    }
    String::from_utf8(got).unwrap()
}

/// Opens an event stream: its head, then its greeting.
fn open_stream(server: &TestServer) -> (TcpStream, String) {
    let mut stream = server.connect();
    let ask = format!("GET {EVENTS_PATH} HTTP/1.1\r\nHost: t\r\n\r\n");
    stream.write_all(ask.as_bytes()).unwrap();
    let head = read_through(&mut stream, b"\r\n\r\n");
    let greeting = read_through(&mut stream, b"\n\n");
    assert!(greeting.starts_with("retry: "), "{greeting}");
    (stream, head)
}

#[test]
fn a_new_file_gives_exactly_one_event() {
    exactly_one_event_per_change("watch-one", watched);
}

#[test]
fn a_new_file_gives_exactly_one_event_when_polling() {
    exactly_one_event_per_change("watch-one-polled", polled);
}

fn exactly_one_event_per_change(label: &str, serve: fn(&TempDir) -> (TestServer, Watcher)) {
    let dir = TempDir::new(label);
    dir.write("index.html", PAGE);
    // The reserved path wins over a file of that name.
    dir.write(&EVENTS_PATH[1..], b"not the stream");
    let (server, _watcher) = serve(&dir);
    let (mut stream, head) = open_stream(&server);
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    let lower = head.to_ascii_lowercase();
    assert!(
        lower.contains("content-type: text/event-stream\r\n"),
        "{head}"
    );
    assert!(lower.contains("cache-control: no-store\r\n"), "{head}");
    assert!(!lower.contains("content-length") && !lower.contains("transfer-encoding"));

    dir.write("first.html", PAGE);
    let event = read_through(&mut stream, b"\n\n");
    assert!(event.starts_with("event: change\ndata: {"), "{event}");
    assert!(event.contains("\"paths\":[\"/first.html\"]"), "{event}");
    assert!(event.contains("\"css_only\":false"), "{event}");

    // Had the first change been told twice, this would read it again.
    dir.write("style.css", b"p { color: teal }");
    let event = read_through(&mut stream, b"\n\n");
    assert!(event.contains("\"paths\":[\"/style.css\"]"), "{event}");
    assert!(event.contains("\"css_only\":true"), "{event}");

    // `touch`: only the time changes.
    let page = std::fs::File::options()
        .write(true)
        .open(dir.path().join("index.html"))
        .unwrap();
    let earlier = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    page.set_modified(earlier).unwrap();
    let event = read_through(&mut stream, b"\n\n");
    assert!(event.contains("\"paths\":[\"/index.html\"]"), "{event}");
}

#[test]
fn two_hundred_files_at_once_give_one_event() {
    two_hundred_files_give_one_event("watch-burst", watched);
}

#[test]
fn two_hundred_files_at_once_give_one_event_when_polling() {
    two_hundred_files_give_one_event("watch-burst-polled", polled);
}

fn two_hundred_files_give_one_event(label: &str, serve: fn(&TempDir) -> (TestServer, Watcher)) {
    let dir = TempDir::new(label);
    let staging = TempDir::new(&format!("{label}-staging"));
    for i in 0..200 {
        staging.write(&format!("gen/{i:03}.js"), b"1");
    }
    let (server, _watcher) = serve(&dir);
    let (mut stream, _) = open_stream(&server);
    std::fs::rename(staging.path().join("gen"), dir.path().join("gen")).unwrap();
    let event = read_through(&mut stream, b"\n\n");
    assert_eq!(event.matches("\"/gen/").count(), 20, "{event}");
    assert!(event.contains("\"more\":180"), "{event}");
    dir.write("marker.txt", b"m");
    let event = read_through(&mut stream, b"\n\n");
    assert!(
        event.contains("\"paths\":[\"/marker.txt\"],\"more\":0"),
        "{event}"
    );
}

#[test]
fn pages_carry_the_script_only_while_watching() {
    let dir = TempDir::new("watch-pages");
    dir.write("index.html", PAGE);
    dir.write("notes.txt", b"plain text\n");
    dir.write("folder/a.txt", b"a");
    let plain = TestServer::files(dir.path());
    let (server, _watcher) = watched(&dir);

    let before = plain.exchange(&get("/index.html"));
    assert_eq!(before.body, PAGE, "without --watch, the file as it is");
    let after = server.exchange(&get("/index.html"));
    assert_eq!(after.status(), 200);
    assert_eq!(after.body, page_with_script());
    let etag = after.header("etag").unwrap().to_string();
    assert!(etag.ends_with("-live-reload\""), "{etag}");
    assert_ne!(Some(etag.as_str()), before.header("etag"));

    // Text that is not HTML is left alone; a listing gets the script too.
    assert_eq!(server.exchange(&get("/notes.txt")).body, b"plain text\n");
    let listing = server.exchange(&get("/folder/")).body_text();
    assert!(listing.contains(SCRIPT_PATH), "{listing}");
    assert!(!plain
        .exchange(&get("/folder/"))
        .body_text()
        .contains(SCRIPT_PATH));
    // A page downloaded is the file itself.
    assert_eq!(server.exchange(&get("/index.html?download")).body, PAGE);

    // The script is there only while watching.
    let script = server.exchange(&get(SCRIPT_PATH));
    assert_eq!(script.status(), 200);
    assert_eq!(
        script.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert!(script.body_text().contains("new EventSource("));
    assert_eq!(plain.exchange(&get(SCRIPT_PATH)).status(), 404);
    let post = format!("POST {EVENTS_PATH} HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
    assert_eq!(server.exchange(post.as_bytes()).status(), 405);
}

/// Regression: the `--404` page was sent as it is, so a browser showing
/// it never reloaded, not even once the missing page was written.
#[test]
fn the_not_found_page_carries_the_script_too() {
    let dir = TempDir::new("watch-404");
    dir.write("404.html", PAGE);
    let watcher = Watcher::start(dir.path()).unwrap();
    let (server, _watcher) = serve_watched_with(&dir, watcher, |files| {
        files.settings.not_found_page = Some("404.html".into());
    });
    let missing = server.exchange(&get("/missing.html"));
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.body, page_with_script());
    let len = page_with_script().len().to_string();
    assert_eq!(missing.header("content-length"), Some(len.as_str()));
    // Without --watch, the file as it is.
    let mut files = FilesConfig::new(dir.path()).unwrap();
    files.settings.not_found_page = Some("404.html".into());
    let plain = TestServer::start(
        test_config(),
        Router::new().mount("/", FileServer::new(files)),
    );
    assert_eq!(plain.exchange(&get("/missing.html")).body, PAGE);
}

#[test]
fn validators_and_ranges_are_those_of_the_page_sent() {
    let dir = TempDir::new("watch-ranges");
    dir.write("index.html", PAGE);
    // A precompressed sibling lacks the script, so it is not used.
    dir.write("index.html.gz", b"\x1f\x8b not really gzip");
    let (server, _watcher) = watched(&dir);
    let sent = page_with_script();

    let whole = server.exchange(b"GET / HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n");
    assert_eq!(whole.body, sent);
    assert_eq!(whole.header("content-encoding"), None);
    assert_eq!(
        whole.header("content-length"),
        Some(sent.len().to_string().as_str())
    );
    let etag = whole.header("etag").unwrap();

    let again = format!("GET / HTTP/1.1\r\nHost: t\r\nIf-None-Match: {etag}\r\n\r\n");
    assert_eq!(server.exchange(again.as_bytes()).status(), 304);

    let tail = server.exchange(b"GET / HTTP/1.1\r\nHost: t\r\nRange: bytes=-40\r\n\r\n");
    assert_eq!(tail.status(), 206);
    assert_eq!(tail.body, &sent[sent.len() - 40..]);
    let total = sent.len();
    assert_eq!(
        tail.header("content-range"),
        Some(format!("bytes {}-{}/{total}", total - 40, total - 1).as_str())
    );

    let two = server.exchange(b"GET / HTTP/1.1\r\nHost: t\r\nRange: bytes=0-4,-8\r\n\r\n");
    assert_eq!(two.status(), 206);
    let body = two.body_text();
    assert!(body.contains("<!doc"), "{body}");
    assert!(body.contains(&String::from_utf8_lossy(&sent[total - 8..]).to_string()));
}

#[test]
fn streams_past_the_bound_are_refused_with_a_reason() {
    let dir = TempDir::new("watch-bound");
    let (server, _watcher) = watched(&dir);
    let open: Vec<_> = (0..MAX_STREAMS).map(|_| open_stream(&server).0).collect();
    let refused =
        server.exchange(format!("GET {EVENTS_PATH} HTTP/1.1\r\nHost: t\r\n\r\n").as_bytes());
    assert_eq!(refused.status(), 503);
    assert!(
        refused
            .body_text()
            .contains("live-reload streams are open already"),
        "{}",
        refused.body_text()
    );
    // Ordinary requests are still served.
    assert_eq!(server.exchange(&get("/")).status(), 200);
    drop(open);
}

#[test]
fn the_binary_ends_open_streams_and_exits_0_on_sigterm() {
    let dir = TempDir::new("watch-binary");
    dir.write("index.html", PAGE);
    let (mut running, _stdout, _, port) =
        start_binary(&["--port", "0", "--quiet", "--watch"], dir.path());
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    let ask = format!("GET {EVENTS_PATH} HTTP/1.1\r\nHost: t\r\n\r\n");
    stream.write_all(ask.as_bytes()).unwrap();
    read_through(&mut stream, b"\r\n\r\n");
    read_through(&mut stream, b"\n\n");

    running.signal("TERM");
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).unwrap();
    assert_eq!(running.0.wait().unwrap().code(), Some(0));
    let mut stderr = String::new();
    let mut err = std::io::BufReader::new(running.0.stderr.take().unwrap());
    err.read_line(&mut stderr).unwrap();
    let how = stderr.trim_end();
    assert!(
        how == "Live reload: 1 directory watched with inotify"
            || how.starts_with("Live reload: 1 file, looked at every 250 ms"),
        "{stderr}"
    );
}

/// Regression: files went out with validators but no `Cache-Control`, so a
/// browser could keep a script or stylesheet as fresh for a while (a guess
/// from its `Last-Modified`), and a page reloaded after an edit ran the old
/// one. While watching, every file is asked for again (a 304 when it did
/// not change); a `Cache-Control` the user chose still wins.
#[test]
fn files_are_revalidated_while_watching() {
    let dir = TempDir::new("watch-no-cache");
    dir.write("index.html", PAGE);
    dir.write("app.js", b"console.log(1);\n");
    let plain = TestServer::files(dir.path());
    let (server, _watcher) = watched(&dir);
    for path in ["/app.js", "/index.html"] {
        let answer = server.exchange(&get(path));
        assert_eq!(answer.header("cache-control"), Some("no-cache"), "{path}");
        let etag = answer.header("etag").unwrap();
        let again = format!("GET {path} HTTP/1.1\r\nHost: t\r\nIf-None-Match: {etag}\r\n\r\n");
        let not_modified = server.exchange(again.as_bytes());
        assert_eq!(not_modified.status(), 304);
        assert_eq!(not_modified.header("cache-control"), Some("no-cache"));
        assert_eq!(plain.exchange(&get(path)).header("cache-control"), None);
    }
    let watcher = Watcher::start(dir.path()).unwrap();
    let (chosen, _watcher) = serve_watched_with(&dir, watcher, |files| {
        files.settings.cache_control = Some("max-age=60".into());
    });
    let answer = chosen.exchange(&get("/app.js"));
    assert_eq!(answer.header("cache-control"), Some("max-age=60"));
}
