//! `?download`: a file answered as an attachment with its name, for any
//! name, without ever changing what the plain URL answers.

use crate::common::*;
use crate::fixtures::*;

#[test]
fn download_asks_the_browser_to_save_the_file_under_its_name() {
    let dir = TempDir::new("download");
    dir.write("report.txt", b"numbers\n");
    let server = TestServer::files(dir.path());
    let r = server.exchange(&get("/report.txt?download"));
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.header("content-disposition"),
        Some("attachment; filename=\"report.txt\"; filename*=UTF-8''report.txt")
    );
    assert_eq!(r.body, b"numbers\n");
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    let r = server.exchange(&get("/report.txt"));
    assert_eq!(r.header("content-disposition"), None, "inline without it");
    let r = server.exchange(&get("/report.txt?download=tar"));
    assert_eq!(r.header("content-disposition"), None, "tar is for folders");
}

#[test]
fn any_name_gets_a_valid_field_with_the_exact_name_encoded() {
    let dir = TempDir::new("download-names");
    dir.write("résumé \"final\"; 100%.pdf", b"%PDF");
    let server = TestServer::files(dir.path());
    let r = server.exchange(&get(
        "/r%C3%A9sum%C3%A9%20%22final%22%3B%20100%25.pdf?download",
    ));
    assert_eq!(r.status(), 200);
    let value = r.header("content-disposition").unwrap();
    assert!(value.starts_with("attachment; filename=\""), "{value}");
    assert!(
        value.ends_with("filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22%3B%20100%25.pdf"),
        "{value}"
    );
}

/// The small-file cache holds the inline answer: a download in between
/// neither reads from it nor leaves its field behind in it.
#[test]
fn downloads_and_plain_requests_never_share_a_cached_answer() {
    let dir = TempDir::new("download-cache");
    dir.write("a.txt", b"aaa");
    let server = TestServer::files(dir.path());
    for _ in 0..2 {
        let plain = server.exchange(&get("/a.txt"));
        assert_eq!(plain.header("content-disposition"), None);
        let saved = server.exchange(&get("/a.txt?download"));
        assert!(saved.header("content-disposition").is_some());
        assert_eq!(saved.body, b"aaa");
    }
}

/// A precompressed sibling is sent, but saved under the name asked for.
#[test]
fn a_precompressed_download_keeps_the_name_asked_for() {
    let dir = TempDir::new("download-gz");
    dir.write("app.js", b"console.log(1)");
    dir.write("app.js.gz", b"gzipped bytes");
    let server = TestServer::files(dir.path());
    let r = server.exchange(&get_with("/app.js?download", &["Accept-Encoding: gzip"]));
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert_eq!(
        r.header("content-disposition"),
        Some("attachment; filename=\"app.js\"; filename*=UTF-8''app.js")
    );
}

/// The name saved is the one in the URL: not a symlink's target, which may
/// be a name the server would never show.
#[cfg(unix)]
#[test]
fn a_download_through_a_link_is_saved_under_the_links_name() {
    let dir = TempDir::new("download-link");
    dir.write(".private-name", b"data");
    std::os::unix::fs::symlink(".private-name", dir.0.join("visible.txt")).unwrap();
    dir.write("folder/index.html", b"<p>");
    let server = TestServer::files(dir.path());
    let r = server.exchange(&get("/visible.txt?download"));
    assert_eq!(r.status(), 200);
    let value = r.header("content-disposition").unwrap();
    assert!(value.contains("filename=\"visible.txt\""), "{value}");
    assert!(!value.contains("private"), "{value}");
    let r = server.exchange(&get("/folder/?download"));
    assert!(r
        .header("content-disposition")
        .unwrap()
        .contains("index.html"));
}

/// A 416 is not the file: it is not offered for saving.
#[test]
fn an_unsatisfiable_range_is_not_saved_as_the_file() {
    let dir = TempDir::new("download-416");
    dir.write("a.txt", b"abc");
    let server = TestServer::files(dir.path());
    let r = server.exchange(&get_with("/a.txt?download", &["Range: bytes=10-"]));
    assert_eq!(r.status(), 416);
    assert_eq!(r.header("content-disposition"), None);
    let r = server.exchange(&get_with("/a.txt?download", &["Range: bytes=1-"]));
    assert_eq!(r.status(), 206);
    assert!(r.header("content-disposition").is_some());
}
