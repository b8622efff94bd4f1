//! Uploads (`--upload`): PUT and form POSTs store exactly the bytes sent,
//! in place only once complete; refused uploads write nothing, inside the
//! root or out of it; a cut-off upload leaves no file and no temporary
//! file; the no-replace rule holds under a race; and without the option,
//! PUT and POST are 405 as they always were.
//!
//! Each tree is `base/root` (served) beside `base/outside` (never to be
//! written), and the checks list directories with their dotfiles, where a
//! temporary file left behind would show.

use crate::common::*;
use crate::fixtures::*;
use http_from_scratch::files::{FileServer, FilesConfig, FilesSettings};
use http_from_scratch::router::Router;
use std::fs;
use std::io::Write;
use std::net::Shutdown;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};

/// A served root and a directory beside it that must never change.
struct Tree {
    base: TempDir,
}

impl Tree {
    fn new(label: &str) -> Tree {
        let base = TempDir::new(label);
        base.write("root/sub/old.txt", b"old contents");
        base.write("root/top.txt", b"top");
        base.write("outside/secret.txt", b"SECRET");
        Tree { base }
    }

    fn root(&self) -> PathBuf {
        self.base.path().join("root")
    }

    fn outside(&self) -> PathBuf {
        self.base.path().join("outside")
    }

    fn read(&self, relative: &str) -> Vec<u8> {
        fs::read(self.root().join(relative)).unwrap()
    }

    /// A server with uploads on, and the settings tweaked.
    fn serve(&self, tweak: impl FnOnce(&mut FilesSettings)) -> TestServer {
        TestServer::files_with(
            &self.root(),
            |_| {},
            |f| {
                f.upload = true;
                tweak(f);
            },
        )
    }

    /// Every name under the root and outside, dotfiles included, with the
    /// bytes of each file: what a refused upload must leave as it was.
    fn snapshot(&self) -> Vec<(String, Vec<u8>)> {
        let mut all = Vec::new();
        walk(self.base.path(), self.base.path(), &mut all);
        all.sort();
        all
    }
}

fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.strip_prefix(base).unwrap().display().to_string();
        let meta = fs::symlink_metadata(&path).unwrap();
        if meta.is_dir() {
            out.push((format!("{name}/"), Vec::new()));
            walk(base, &path, out);
        } else if meta.is_file() {
            out.push((name, fs::read(&path).unwrap()));
        } else {
            let target = fs::read_link(&path).unwrap();
            out.push((name, target.display().to_string().into_bytes()));
        }
    }
}

/// Names in `dir` that start with a dot: a temporary file left behind.
fn dotfiles(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.starts_with('.'))
        .collect()
}

fn put(target: &str, headers: &[&str], body: &[u8]) -> Vec<u8> {
    let length = format!("Content-Length: {}", body.len());
    let mut all = vec![length.as_str()];
    all.extend_from_slice(headers);
    let mut raw = local_request("PUT", target, &all);
    raw.extend_from_slice(body);
    raw
}

/// A request as a client on this machine sends one: `Host: localhost`
/// (uploads from this machine need a local name, see
/// `a_rebound_name_cannot_upload_without_auth`).
fn local_request(method: &str, target: &str, headers: &[&str]) -> Vec<u8> {
    let raw = request(method, target, headers);
    let text = String::from_utf8(raw).unwrap();
    text.replacen("Host: test\r\n", "Host: localhost\r\n", 1)
        .into_bytes()
}

const BOUNDARY: &str = "----hfsFormBoundary7MA4YWxk";

/// A form body: `(field, filename, content)`, a file part when there is a
/// file name, and a plain field after them.
fn form_body(files: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (field, filename, content) in files {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let mut disposition = format!("Content-Disposition: form-data; name=\"{field}\"");
        if let Some(filename) = filename {
            disposition.push_str(&format!(
                "; filename=\"{filename}\"\r\nContent-Type: application/octet-stream"
            ));
        }
        body.extend_from_slice(disposition.as_bytes());
        body.extend_from_slice(b"\r\n\r\n");
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn post_form(target: &str, headers: &[&str], body: &[u8]) -> Vec<u8> {
    let content_type = format!("Content-Type: multipart/form-data; boundary={BOUNDARY}");
    let length = format!("Content-Length: {}", body.len());
    let mut all = vec![content_type.as_str(), length.as_str()];
    all.extend_from_slice(headers);
    let mut raw = local_request("POST", target, &all);
    raw.extend_from_slice(body);
    raw
}

#[test]
fn put_creates_a_file_with_the_exact_bytes() {
    let tree = Tree::new("up-put");
    let server = tree.serve(|_| {});
    let r = server.exchange(&put("/new.txt", &[], b"hello\r\n"));
    assert_eq!(r.status_line, "HTTP/1.1 201 Created");
    assert_eq!(r.header("location"), Some("/new.txt"));
    assert_eq!(tree.read("new.txt"), b"hello\r\n");
    // Many pieces, every byte value, and a name that needs encoding.
    let big = unique_bytes(300_000);
    let r = server.exchange(&put("/sub/a%20b.bin", &[], &big));
    assert_eq!(r.status(), 201);
    assert_eq!(r.header("location"), Some("/sub/a%20b.bin"));
    assert_eq!(tree.read("sub/a b.bin"), big);
    let r = server.exchange(&put("/empty", &[], b""));
    assert_eq!(r.status(), 201);
    assert_eq!(tree.read("empty"), b"");
    // The new file is served at once.
    assert_eq!(server.exchange(&get("/sub/a%20b.bin")).body, big);
    assert!(dotfiles(&tree.root()).is_empty() && dotfiles(&tree.root().join("sub")).is_empty());
}

#[test]
fn a_chunked_put_is_stored_too() {
    let tree = Tree::new("up-chunked");
    let server = tree.serve(|_| {});
    let mut raw = local_request("PUT", "/c.txt", &["Transfer-Encoding: chunked"]);
    raw.extend_from_slice(b"5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n");
    assert_eq!(server.exchange(&raw).status(), 201);
    assert_eq!(tree.read("c.txt"), b"hello, world");
}

#[test]
fn put_never_replaces_a_file_without_overwrite() {
    let tree = Tree::new("up-conflict");
    let server = tree.serve(|_| {});
    let r = server.exchange(&put("/sub/old.txt", &[], b"new"));
    assert_eq!(r.status_line, "HTTP/1.1 409 Conflict");
    let r = server.exchange(&put("/sub/old.txt", &["If-None-Match: *"], b"new"));
    assert_eq!(r.status_line, "HTTP/1.1 412 Precondition Failed");
    // A directory is never replaced, with or without the option.
    let r = server.exchange(&put("/sub", &[], b"new"));
    assert_eq!(
        (r.status(), r.header("allow")),
        (405, Some("GET, HEAD, OPTIONS, POST"))
    );
    assert_eq!(tree.read("sub/old.txt"), b"old contents");
    assert!(dotfiles(&tree.root().join("sub")).is_empty());
}

#[test]
fn overwrite_replaces_atomically() {
    let tree = Tree::new("up-overwrite");
    let server = tree.serve(|f| f.overwrite = true);
    let old = tree.read("sub/old.txt");
    let new = unique_bytes(100_000);
    // Half the new body is on disk (in the temporary file) while readers
    // still get the whole old file; then the new one, whole.
    let mut stream = server.connect();
    let head = local_request(
        "PUT",
        "/sub/old.txt",
        &[
            &format!("Content-Length: {}", new.len()),
            "Expect: 100-continue",
        ],
    );
    stream.write_all(&head).unwrap();
    assert_eq!(read_response(&mut stream, false).unwrap().status(), 100);
    stream.write_all(&new[..50_000]).unwrap();
    assert_eq!(server.exchange(&get("/sub/old.txt")).body, old);
    stream.write_all(&new[50_000..]).unwrap();
    let r = read_response(&mut stream, false).unwrap();
    assert_eq!(r.status_line, "HTTP/1.1 204 No Content");
    assert_eq!(tree.read("sub/old.txt"), new);
    assert_eq!(server.exchange(&get("/sub/old.txt")).body, new);
    // A new name is still created; If-None-Match: * still refuses.
    assert_eq!(server.exchange(&put("/sub/fresh", &[], b"x")).status(), 201);
    let r = server.exchange(&put("/sub/fresh", &["If-None-Match: *"], b"y"));
    assert_eq!(r.status(), 412);
    let r = server.exchange(&put("/sub/fresh", &["If-Match: \"nope\""], b"y"));
    assert_eq!(r.status(), 412);
    let r = server.exchange(&put("/sub/absent", &["If-Match: *"], b"y"));
    assert_eq!(r.status(), 412);
    assert_eq!(tree.read("sub/fresh"), b"x");
    assert!(dotfiles(&tree.root().join("sub")).is_empty());
}

#[test]
fn a_form_post_stores_every_file() {
    let tree = Tree::new("up-form");
    let server = tree.serve(|_| {});
    let second = unique_bytes(200_000);
    let body = form_body(&[
        ("file", Some("one.txt"), b"first\r\n--not a boundary\r\n"),
        ("file", Some("two.bin"), &second),
        ("note", None, b"a plain field, dropped"),
    ]);
    let r = server.exchange(&post_form("/sub/", &["Accept: text/html,*/*;q=0.8"], &body));
    assert_eq!(r.status_line, "HTTP/1.1 303 See Other");
    assert_eq!(r.header("location"), Some("/sub/"));
    assert_eq!(tree.read("sub/one.txt"), b"first\r\n--not a boundary\r\n");
    assert_eq!(tree.read("sub/two.bin"), second);
    assert!(!tree.root().join("sub/note").exists());
    // Not a browser: 201 and the new URLs. A directory without its slash
    // is the directory; a sent path is cut to its last name.
    let body = form_body(&[
        ("a", Some("three.txt"), b"3"),
        ("b", Some("C:\\Users\\me\\four.txt"), b"4"),
    ]);
    let r = server.exchange(&post_form("/sub", &["Accept: */*"], &body));
    assert_eq!(r.status_line, "HTTP/1.1 201 Created");
    assert_eq!(r.body_text(), "/sub/three.txt\n/sub/four.txt\n");
    assert_eq!(tree.read("sub/four.txt"), b"4");
    let body = form_body(&[("file", Some("five.txt"), b"5")]);
    let r = server.exchange(&post_form("/", &[], &body));
    assert_eq!((r.status(), r.header("location")), (201, Some("/five.txt")));
    assert!(dotfiles(&tree.root().join("sub")).is_empty());
}

#[test]
fn a_bad_form_stores_nothing() {
    let tree = Tree::new("up-bad-form");
    let server = tree.serve(|_| {});
    let before = tree.snapshot();
    let table: Vec<(Vec<u8>, u16)> = vec![
        // The second file's name is taken: the first is not kept either.
        (
            form_body(&[("f", Some("ok.txt"), b"1"), ("f", Some("old.txt"), b"2")]),
            409,
        ),
        (
            form_body(&[("f", Some("a.txt"), b"1"), ("f", Some("a.txt"), b"2")]),
            400,
        ),
        (
            form_body(&[("f", Some("ok.txt"), b"1"), ("f", Some(".env"), b"2")]),
            403,
        ),
        (form_body(&[("note", None, b"no file")]), 400),
        (form_body(&[("f", Some(""), b"")]), 400),
        (b"--nope\r\n\r\n".to_vec(), 400),
    ];
    for (body, status) in table {
        let r = server.exchange(&post_form("/sub/", &[], &body));
        assert_eq!(r.status(), status, "{}", String::from_utf8_lossy(&body));
    }
    let mut truncated = form_body(&[("f", Some("cut.txt"), b"content")]);
    truncated.truncate(truncated.len() - 10);
    assert_eq!(
        server
            .exchange(&post_form("/sub/", &[], &truncated))
            .status(),
        400
    );
    let raw = local_request(
        "POST",
        "/sub/",
        &["Content-Type: text/plain", "Content-Length: 1"],
    );
    assert_eq!(
        server.exchange(&[raw, b"x".to_vec()].concat()).status(),
        415
    );
    let r = server.exchange(&post_form(
        "/top.txt",
        &[],
        &form_body(&[("f", Some("x"), b"x")]),
    ));
    assert_eq!(
        (r.status(), r.header("allow")),
        (405, Some("GET, HEAD, OPTIONS, PUT"))
    );
    assert_eq!(
        server.exchange(&post_form("/none/", &[], b"")).status(),
        404
    );
    assert_eq!(tree.snapshot(), before);
}

/// The client goes away mid-body: by a half close (the server answers it)
/// and by a full close (the server is stopped, which joins every worker,
/// before the directory is looked at). Either way no file, no temporary.
#[test]
fn a_cut_off_upload_leaves_nothing_behind() {
    let tree = Tree::new("up-cut");
    let server = tree.serve(|_| {});
    let before = tree.snapshot();
    for (method, target) in [("PUT", "/sub/cut.bin"), ("POST", "/sub/")] {
        let mut stream = started_upload(&server, method, target);
        // A PUT's temporary file exists once 100 Continue came; a form's
        // only once its part head has been read.
        let sub = tree.root().join("sub");
        assert!(
            eventually(|| dotfiles(&sub).len() == 1),
            "{method}: the upload is under way"
        );
        stream.shutdown(Shutdown::Write).unwrap();
        let r = read_response(&mut stream, false).unwrap();
        assert_eq!(r.status(), 400, "{method}");
        assert_eq!(tree.snapshot(), before, "{method}");
    }
    let stream = started_upload(&server, "PUT", "/sub/cut.bin");
    drop(stream);
    server.stop();
    assert_eq!(tree.snapshot(), before);
}

/// Whether `condition` holds within the I/O timeout, looked at every few
/// milliseconds: for a state the server reaches on its own time, not a
/// guess at how long it takes.
fn eventually(condition: impl Fn() -> bool) -> bool {
    let deadline = std::time::Instant::now() + IO_TIMEOUT;
    while !condition() {
        if std::time::Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    true
}

/// An upload whose checks passed (100 Continue came) and whose temporary
/// file exists, with half its body sent.
fn started_upload(server: &TestServer, method: &str, target: &str) -> std::net::TcpStream {
    let body = form_body(&[("f", Some("cut.bin"), &unique_bytes(100_000))]);
    let content_type = format!("Content-Type: multipart/form-data; boundary={BOUNDARY}");
    let head = local_request(
        method,
        target,
        &[
            &format!("Content-Length: {}", body.len()),
            "Expect: 100-continue",
            &content_type,
        ],
    );
    let mut stream = server.connect();
    stream.write_all(&head).unwrap();
    assert_eq!(read_response(&mut stream, false).unwrap().status(), 100);
    stream.write_all(&body[..60_000]).unwrap();
    stream
}

#[test]
fn a_body_that_stops_coming_is_408_and_removed() {
    let tree = Tree::new("up-timeout");
    let server = TestServer::files_with(
        &tree.root(),
        |c| c.timeouts.body_read = std::time::Duration::from_millis(300),
        |f| f.upload = true,
    );
    let before = tree.snapshot();
    let mut stream = started_upload(&server, "PUT", "/sub/slow.bin");
    let r = read_response(&mut stream, false).unwrap();
    assert_eq!(r.status(), 408);
    assert!(is_closed(&mut stream));
    assert_eq!(tree.snapshot(), before);
}

#[test]
fn over_the_limit_is_413_and_nothing_is_kept() {
    let tree = Tree::new("up-limit");
    let server = tree.serve(|f| f.max_upload = 1000);
    let before = tree.snapshot();
    // Declared too large: refused before the body, so no 100 Continue.
    let mut stream = server.connect();
    let head = local_request(
        "PUT",
        "/big",
        &["Content-Length: 5000", "Expect: 100-continue"],
    );
    stream.write_all(&head).unwrap();
    let r = read_response(&mut stream, false).unwrap();
    assert_eq!(r.status_line, "HTTP/1.1 413 Content Too Large");
    // Chunked, past the limit midway: the partial file is removed.
    let mut stream = server.connect();
    stream
        .write_all(&local_request(
            "PUT",
            "/big",
            &["Transfer-Encoding: chunked"],
        ))
        .unwrap();
    for _ in 0..3 {
        stream.write_all(b"190\r\n").unwrap();
        stream.write_all(&[b'x'; 400]).unwrap();
        stream.write_all(b"\r\n").unwrap();
    }
    let r = read_response(&mut stream, false).unwrap();
    assert_eq!(r.status(), 413);
    // A form: declared, then chunked.
    let body = form_body(&[("f", Some("big"), &[b'y'; 2000])]);
    assert_eq!(
        server.exchange(&post_form("/sub/", &[], &body)).status(),
        413
    );
    let content_type = format!("Content-Type: multipart/form-data; boundary={BOUNDARY}");
    let mut raw = local_request(
        "POST",
        "/sub/",
        &[&content_type, "Transfer-Encoding: chunked"],
    );
    raw.extend_from_slice(format!("{:x}\r\n", body.len()).as_bytes());
    raw.extend_from_slice(&body);
    raw.extend_from_slice(b"\r\n0\r\n\r\n");
    assert_eq!(server.exchange(&raw).status(), 413);
    // Exactly the limit is fine.
    assert_eq!(
        server.exchange(&put("/max", &[], &[b'z'; 1000])).status(),
        201
    );
    fs::remove_file(tree.root().join("max")).unwrap();
    assert_eq!(tree.snapshot(), before);
}

#[test]
fn paths_that_leave_or_hide_are_refused_and_nothing_is_written() {
    let tree = Tree::new("up-paths");
    symlink(tree.outside(), tree.root().join("out")).unwrap();
    symlink(
        tree.outside().join("secret.txt"),
        tree.root().join("link.txt"),
    )
    .unwrap();
    let before = tree.snapshot();
    for follow in [false, true] {
        let server = tree.serve(|f| f.follow_symlinks = follow);
        let table: &[(&str, u16)] = &[
            ("/../x", 400),
            ("/%2e%2e/x", 400),
            ("/sub/..%2f..%2fx", 400),
            ("/sub/%2e%2e/%2e%2e/x", 400),
            ("/out/x.txt", if follow { 403 } else { 409 }),
            ("/out/secret.txt", if follow { 403 } else { 409 }),
            ("/link.txt", 409),
            ("/.env", 403),
            ("/sub/.hidden", 403),
            ("/.git/config", 403),
            ("/missing/x.txt", 409),
            ("/top.txt/x", 409),
            ("/sub/", 405),
            ("/newdir/", 404),
            ("/", 405),
            ("/a%0Ab", 400),
        ];
        for (target, status) in table {
            let r = server.exchange(&put(target, &[], b"written"));
            assert_eq!(r.status(), *status, "{target} follow={follow}");
        }
        let evil = form_body(&[("f", Some("../../outside/secret.txt"), b"written")]);
        let r = server.exchange(&post_form("/out/", &[], &evil));
        assert_eq!(r.status(), if follow { 403 } else { 404 });
        assert_eq!(tree.snapshot(), before, "follow={follow}");
        // A sent path is cut to its last name: this lands in sub/.
        let r = server.exchange(&post_form("/sub/", &[], &evil));
        assert_eq!(r.status(), 201);
        assert_eq!(tree.read("sub/secret.txt"), b"written");
        fs::remove_file(tree.root().join("sub/secret.txt")).unwrap();
    }
    assert_eq!(
        fs::read(tree.outside().join("secret.txt")).unwrap(),
        b"SECRET"
    );
}

/// With --overwrite a symlink at the name is replaced by the new file; the
/// file it pointed to, outside the root, is never written.
#[test]
fn a_symlink_at_the_name_is_replaced_never_written_through() {
    let tree = Tree::new("up-link");
    symlink(
        tree.outside().join("secret.txt"),
        tree.root().join("link.txt"),
    )
    .unwrap();
    for follow in [false, true] {
        let server = tree.serve(|f| {
            f.overwrite = true;
            f.follow_symlinks = follow;
        });
        let r = server.exchange(&put("/link.txt", &[], b"uploaded"));
        assert_eq!(r.status(), 204, "follow={follow}");
        let meta = fs::symlink_metadata(tree.root().join("link.txt")).unwrap();
        assert!(meta.is_file(), "follow={follow}");
        assert_eq!(tree.read("link.txt"), b"uploaded");
        assert_eq!(
            fs::read(tree.outside().join("secret.txt")).unwrap(),
            b"SECRET"
        );
        fs::remove_file(tree.root().join("link.txt")).unwrap();
        symlink(
            tree.outside().join("secret.txt"),
            tree.root().join("link.txt"),
        )
        .unwrap();
    }
}

#[test]
fn hidden_names_are_taken_with_hidden() {
    let tree = Tree::new("up-hidden");
    let server = tree.serve(|f| f.hidden = true);
    assert_eq!(server.exchange(&put("/.env", &[], b"A=1")).status(), 201);
    let body = form_body(&[("f", Some(".config"), b"c")]);
    assert_eq!(
        server.exchange(&post_form("/sub/", &[], &body)).status(),
        201
    );
    assert_eq!(tree.read(".env"), b"A=1");
    assert_eq!(tree.read("sub/.config"), b"c");
}

/// Every PUT passes the early check (the name is free, 100 Continue comes)
/// before any sends its body; the rename then lets exactly one win.
#[test]
fn concurrent_puts_of_one_new_name_have_one_winner() {
    const CLIENTS: usize = 8;
    const SIZE: usize = 64 * 1024;
    let tree = Tree::new("up-race");
    let server = Arc::new(tree.serve(|_| {}));
    let barrier = Arc::new(Barrier::new(CLIENTS));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let (server, barrier) = (Arc::clone(&server), Arc::clone(&barrier));
            std::thread::spawn(move || {
                let mut stream = server.connect();
                let head = local_request(
                    "PUT",
                    "/race.bin",
                    &[&format!("Content-Length: {SIZE}"), "Expect: 100-continue"],
                );
                stream.write_all(&head).unwrap();
                assert_eq!(read_response(&mut stream, false).unwrap().status(), 100);
                barrier.wait();
                stream.write_all(&vec![b'a' + i as u8; SIZE]).unwrap();
                read_response(&mut stream, false).unwrap().status()
            })
        })
        .collect();
    let mut statuses: Vec<u16> = clients.into_iter().map(|c| c.join().unwrap()).collect();
    statuses.sort();
    let mut want = vec![409; CLIENTS];
    want[0] = 201;
    assert_eq!(statuses, want);
    let stored = tree.read("race.bin");
    assert_eq!(stored.len(), SIZE);
    assert!(stored.iter().all(|&b| b == stored[0]), "one whole version");
    assert!(dotfiles(&tree.root()).is_empty());
}

#[test]
fn origin_must_be_this_server() {
    let tree = Tree::new("up-origin");
    let server = tree.serve(|_| {});
    let before = tree.snapshot();
    let form = form_body(&[("f", Some("f.txt"), b"f")]);
    for origin in [
        "Origin: http://evil.example",
        "Origin: null",
        "Origin: http://localhost:81",
    ] {
        assert_eq!(
            server.exchange(&put("/p.txt", &[origin], b"p")).status(),
            403
        );
        assert_eq!(
            server.exchange(&post_form("/", &[origin], &form)).status(),
            403
        );
    }
    assert_eq!(tree.snapshot(), before);
    let same = "Origin: http://localhost";
    assert_eq!(server.exchange(&put("/p.txt", &[same], b"p")).status(), 201);
    assert_eq!(
        server.exchange(&post_form("/", &[same], &form)).status(),
        201
    );
    assert_eq!(server.exchange(&put("/q.txt", &[], b"q")).status(), 201);
}

#[test]
fn methods_are_listed_where_they_apply() {
    let tree = Tree::new("up-allow");
    let server = tree.serve(|_| {});
    let allow = |method: &str, target: &str| {
        let r = server.exchange(&local_request(method, target, &[]));
        (r.status(), r.header("allow").map(str::to_string))
    };
    let file = Some("GET, HEAD, OPTIONS, PUT".to_string());
    let dir = Some("GET, HEAD, OPTIONS, POST".to_string());
    assert_eq!(allow("OPTIONS", "/top.txt"), (204, file.clone()));
    assert_eq!(allow("OPTIONS", "/sub/"), (204, dir.clone()));
    assert_eq!(allow("DELETE", "/top.txt"), (405, file.clone()));
    assert_eq!(allow("DELETE", "/sub/"), (405, dir));
    assert_eq!(allow("PATCH", "/not-yet"), (405, file.clone()));
    assert_eq!(
        allow("OPTIONS", "/not-yet"),
        (204, file),
        "a PUT could make it"
    );
}

/// A coded body is not stored as if plain (415), and a form with two
/// Content-Types is not guessed at (400).
#[test]
fn coded_bodies_and_doubled_content_types_are_refused() {
    let tree = Tree::new("up-coded");
    let server = tree.serve(|_| {});
    let before = tree.snapshot();
    let r = server.exchange(&put("/z.txt", &["Content-Encoding: gzip"], b"x"));
    assert_eq!(r.status(), 415);
    let body = form_body(&[("file", Some("f.txt"), b"f")]);
    let r = server.exchange(&post_form("/sub/", &["Content-Type: text/plain"], &body));
    assert_eq!(r.status(), 400);
    assert_eq!(tree.snapshot(), before);
}

#[test]
fn without_upload_put_and_post_are_405_as_before() {
    let tree = Tree::new("up-off");
    let server = TestServer::files(&tree.root());
    let before = tree.snapshot();
    let form = form_body(&[("f", Some("f.txt"), b"f")]);
    for raw in [
        put("/new.txt", &[], b"x"),
        post_form("/sub/", &[], &form),
        put("/sub/", &[], b""),
    ] {
        let r = server.exchange(&raw);
        assert_eq!(r.status_line, "HTTP/1.1 405 Method Not Allowed");
        assert_eq!(r.header("allow"), Some("GET, HEAD, OPTIONS"));
    }
    let r = server.exchange(&local_request("OPTIONS", "/sub/", &[]));
    assert_eq!(r.header("allow"), Some("GET, HEAD, OPTIONS"));
    assert_eq!(tree.snapshot(), before);
}

/// Under a mount, the URLs in answers keep the mount's prefix.
#[test]
fn urls_in_answers_keep_the_mount_prefix() {
    let tree = Tree::new("up-mount");
    let mut files = FilesConfig::new(tree.root()).unwrap();
    files.settings.upload = true;
    let router = Router::new().mount("/files", FileServer::new(files));
    let server = TestServer::start(test_config(), router);
    let r = server.exchange(&put("/files/sub/a%20b.txt", &[], b"ab"));
    assert_eq!(
        (r.status(), r.header("location")),
        (201, Some("/files/sub/a%20b.txt"))
    );
    let body = form_body(&[("f", Some("c d.txt"), b"cd")]);
    let r = server.exchange(&post_form("/files/sub/", &["Accept: text/html"], &body));
    assert_eq!(
        (r.status(), r.header("location")),
        (303, Some("/files/sub/"))
    );
    let r = server.exchange(&post_form(
        "/files",
        &[],
        &form_body(&[("f", Some("e"), b"e")]),
    ));
    assert_eq!(r.body_text(), "/files/e\n");
    assert_eq!(tree.read("sub/c d.txt"), b"cd");
    assert_eq!(server.exchange(&get("/files/sub/c%20d.txt")).body, b"cd");
}

/// The listing carries a plain form (no script) that posts to the folder
/// itself; sending it as a browser would stores the files and comes back to
/// the listing. Without --upload there is no form.
#[test]
fn the_listing_offers_a_form_that_a_browser_can_send() {
    let tree = Tree::new("upload-form");
    let server = tree.serve(|_| {});
    let page = server.exchange(&get("/sub/")).body_text();
    assert!(
        page.contains(
            "<form class=\"offers\" method=\"post\" action=\"./\" enctype=\"multipart/form-data\">"
        ),
        "{page}"
    );
    assert!(
        page.contains("name=\"file\"") && !page.contains("<script"),
        "{page}"
    );
    let body = form_body(&[("file", Some("from-form.txt"), b"sent by a form")]);
    let r = server.exchange(&post_form(
        "/sub/",
        &[
            "Accept: text/html,application/xhtml+xml",
            "Origin: http://localhost",
        ],
        &body,
    ));
    assert_eq!(r.status(), 303, "{}", r.body_text());
    assert_eq!(r.header("location"), Some("/sub/"));
    assert_eq!(tree.read("sub/from-form.txt"), b"sent by a form");
    let off = TestServer::files(&tree.root());
    let r = off.exchange(&get("/sub/"));
    assert_eq!(r.status(), 200);
    assert!(!r.body_text().contains("<form"));
}

/// An upload still arriving is not listed, not even with --hidden.
#[test]
fn an_upload_in_progress_is_not_listed_even_with_hidden() {
    let tree = Tree::new("upload-unlisted");
    let server = tree.serve(|f| f.hidden = true);
    let _sending = started_upload(&server, "PUT", "/sub/arriving.txt");
    assert!(eventually(|| dotfiles(&tree.root().join("sub"))
        .iter()
        .any(|n| n.starts_with(".upload-"))));
    let r = server.exchange(&get("/sub/"));
    assert_eq!(r.status(), 200);
    assert!(!r.body_text().contains(".upload-"), "{}", r.body_text());
}

/// DNS rebinding: a page of another site whose name points at 127.0.0.1
/// sends its own name as Host and a matching Origin. From this machine,
/// without --auth, only a local Host may upload.
#[test]
fn a_rebound_name_cannot_upload_without_auth() {
    let tree = Tree::new("upload-rebinding");
    let server = tree.serve(|_| {});
    let before = tree.snapshot();
    let mut raw = b"PUT /pwn.txt HTTP/1.1\r\nHost: evil.example:8080\r\n\
        Origin: http://evil.example:8080\r\nContent-Length: 1\r\n\r\n"
        .to_vec();
    raw.extend_from_slice(b"x");
    let r = server.exchange(&raw);
    assert_eq!(r.status(), 403, "{}", r.body_text());
    assert!(r.body_text().contains("rebinding"));
    assert_eq!(tree.snapshot(), before);
    for host in ["localhost", "127.0.0.1:8080", "[::1]:8080", "app.localhost"] {
        let mut raw = request(
            "PUT",
            &format!("/ok-{}.txt", host.len()),
            &["Content-Length: 1"],
        );
        let text =
            String::from_utf8(raw)
                .unwrap()
                .replacen("Host: test", &format!("Host: {host}"), 1);
        raw = text.into_bytes();
        raw.extend_from_slice(b"y");
        assert_eq!(server.exchange(&raw).status(), 201, "{host}");
    }
}

/// A client of a Unix socket is on this machine too: without --auth it
/// needs a local Host, as a loopback client does. A client elsewhere is
/// not held to it (its browser's Host names this server, and `Origin` is
/// checked either way).
#[test]
fn a_unix_socket_client_needs_a_local_host_as_loopback_does() {
    use http_from_scratch::socket::Peer;
    use http_from_scratch::testing::TestRequest;
    let tree = Tree::new("upload-unix-peer");
    let mut files = FilesConfig::new(tree.root()).unwrap();
    files.settings.upload = true;
    let app = Router::new().mount("/", FileServer::new(files));
    let put = |name: &str, host: &str, peer: Peer| {
        TestRequest::put(name)
            .header("Host", host)
            .body("x")
            .peer(peer)
            .send(&app)
            .status()
            .code()
    };
    assert_eq!(put("/a.txt", "evil.example", Peer::Unix), 403);
    assert!(!tree.root().join("a.txt").exists());
    assert_eq!(put("/b.txt", "localhost", Peer::Unix), 201);
    let elsewhere = Peer::Ip("192.0.2.7:50000".parse().unwrap());
    assert_eq!(put("/c.txt", "site.example", elsewhere), 201);
}

/// Names kept for uploads in progress, and names with direction marks, are
/// refused, even with --hidden and --overwrite.
#[test]
fn reserved_and_misleading_names_are_refused() {
    let tree = Tree::new("upload-reserved");
    let server = tree.serve(|f| {
        f.hidden = true;
        f.overwrite = true;
    });
    let before = tree.snapshot();
    let r = server.exchange(&put("/.upload-1-0.part", &[], b"x"));
    assert_eq!(r.status(), 403, "{}", r.body_text());
    tree.base.write("root/.upload-9-9.part", b"partial");
    let r = server.exchange(&get("/.upload-9-9.part"));
    assert_eq!(r.status(), 404, "never served, even with --hidden");
    fs::remove_file(tree.root().join(".upload-9-9.part")).unwrap();
    let r = server.exchange(&put("/evil%E2%80%AEgpj.exe", &[], b"x"));
    assert_eq!(r.status(), 400);
    let body = form_body(&[("file", Some(".upload-2-0.part"), b"x")]);
    let r = server.exchange(&post_form("/", &[], &body));
    assert_eq!(r.status(), 403, "{}", r.body_text());
    assert_eq!(tree.snapshot(), before);
}
