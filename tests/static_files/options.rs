//! The serving options, each through `FilesSettings` as the CLI sets it:
//! `--index` names and their order, `--no-listing`, `--hidden`,
//! `--follow-symlinks`, `--spa FILE` and `--404 FILE`.
//!
//! CORS, `Cache-Control` and `-H` change headers, not what is served: they
//! are in `cors.rs` and `headers.rs`.

use crate::common::*;
use crate::fixtures::*;

#[test]
fn custom_index_names_are_tried_in_order() {
    let dir = TempDir::new("options-index");
    dir.write("both/main.html", b"main");
    dir.write("both/home.htm", b"home");
    dir.write("only-home/home.htm", b"home");
    dir.write("default-name/index.html", b"<h1>index</h1>");
    // By default, index.html is the index, served with its own type.
    let server = TestServer::files(dir.path());
    let r = server.exchange(&get("/default-name/"));
    assert_eq!(r.status_line, "HTTP/1.1 200 OK");
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    assert_eq!(r.body, b"<h1>index</h1>");

    let names = ["main.html", "home.htm"].map(String::from).to_vec();
    let server = TestServer::files_with(dir.path(), |_| {}, |f| f.index = names);
    for (target, want) in [("/both/", "main"), ("/only-home/", "home")] {
        let r = server.exchange(&get(target));
        assert_eq!(
            (r.status(), r.body_text().as_str()),
            (200, want),
            "{target}"
        );
    }
    // index.html is no longer an index name: the directory is listed.
    let r = server.exchange(&get("/default-name/"));
    assert_eq!(r.status(), 200);
    assert!(r.body_text().contains("href=\"./index.html\""));

    let reversed = ["home.htm", "main.html"].map(String::from).to_vec();
    let server = TestServer::files_with(dir.path(), |_| {}, |f| f.index = reversed);
    assert_eq!(server.exchange(&get("/both/")).body, b"home");
}

#[test]
fn no_listing_forbids_directories_without_an_index() {
    let dir = TempDir::new("options-no-listing");
    dir.write("secret-name.txt", b"x");
    dir.write("docs/index.html", b"docs");
    let server = TestServer::files_with(dir.path(), |_| {}, |f| f.listing = false);
    for accept in ["text/html", "application/json"] {
        let r = server.exchange(&get_with("/", &[&format!("Accept: {accept}")]));
        assert_eq!(r.status_line, "HTTP/1.1 403 Forbidden", "{accept}");
        assert!(!r.body_text().contains("secret-name"));
    }
    let r = server.exchange(&get("/docs/"));
    assert_eq!((r.status(), r.body.as_slice()), (200, &b"docs"[..]));
    assert_eq!(server.exchange(&get("/secret-name.txt")).status(), 200);
}

fn dotfile_site() -> TempDir {
    let dir = TempDir::new("options-hidden");
    dir.write(".env", b"SECRET=1");
    dir.write(".well-known/security.txt", b"Contact: x");
    dir.write("sub/.well-known/x", b"SECRET");
    dir.write("visible.txt", b"v");
    dir
}

#[test]
fn dotfiles_are_hidden_by_default() {
    let dir = dotfile_site();
    let server = TestServer::files(dir.path());
    // Percent-encoding the dot does not make a name visible.
    for target in ["/.env", "/%2eenv", "/%2Eenv", "/sub/.well-known/x"] {
        let r = server.exchange(&get(target));
        assert_eq!(r.status_line, "HTTP/1.1 404 Not Found", "{target}");
        assert!(!r.body_text().contains("SECRET"));
    }
    let page = server.exchange(&get("/")).body_text();
    assert!(!page.contains(".env") && !page.contains(".well-known"));
}

/// `/.well-known/` (RFC 8615: ACME challenges, security.txt) is served
/// although it starts with a dot; it is not listed, and dotfiles inside it
/// stay hidden.
#[test]
fn well_known_is_served_without_hidden() {
    let dir = dotfile_site();
    dir.write(".well-known/.private", b"SECRET");
    let server = TestServer::files(dir.path());
    let r = server.exchange(&get("/.well-known/security.txt"));
    assert_eq!(r.status(), 200);
    assert_eq!(server.exchange(&get("/.well-known/")).status(), 200);
    assert_eq!(
        server
            .exchange(&get("/%2ewell-known/security.txt"))
            .status(),
        200
    );
    let r = server.exchange(&get("/.well-known/.private"));
    assert_eq!(r.status(), 404);
    assert!(!r.body_text().contains("SECRET"));
}

#[test]
fn hidden_option_serves_and_lists_dotfiles() {
    let dir = dotfile_site();
    let server = TestServer::files_with(dir.path(), |_| {}, |f| f.hidden = true);
    let r = server.exchange(&get("/.env"));
    assert_eq!((r.status(), r.body.as_slice()), (200, &b"SECRET=1"[..]));
    let r = server.exchange(&get("/.well-known/security.txt"));
    assert_eq!((r.status(), r.body.as_slice()), (200, &b"Contact: x"[..]));
    let page = server.exchange(&get("/")).body_text();
    assert!(page.contains("href=\"./.env\""), "{page}");
    assert!(page.contains("href=\"./.well-known/\""));
}

#[cfg(unix)]
#[test]
fn symlinks_leading_outside_are_served_only_with_follow_symlinks() {
    let outer = TempDir::new("options-symlinks");
    outer.write("outside/shared.txt", b"SHARED");
    let root = outer.0.join("root");
    std::fs::create_dir_all(root.join("inside")).unwrap();
    std::fs::write(root.join("inside/real.txt"), b"real").unwrap();
    std::os::unix::fs::symlink(outer.0.join("outside/shared.txt"), root.join("link.txt")).unwrap();
    std::os::unix::fs::symlink(outer.0.join("outside"), root.join("linked-dir")).unwrap();
    std::os::unix::fs::symlink(root.join("inside/real.txt"), root.join("alias.txt")).unwrap();

    let strict = TestServer::files(&root);
    for target in ["/link.txt", "/linked-dir/shared.txt", "/linked-dir/"] {
        let r = strict.exchange(&get(target));
        assert_eq!(r.status(), 404, "{target}");
        assert!(!r.body_text().contains("SHARED"));
    }
    // A link that stays inside the root needs no option.
    let r = strict.exchange(&get("/alias.txt"));
    assert_eq!((r.status(), r.body.as_slice()), (200, &b"real"[..]));
    let page = strict.exchange(&get("/")).body_text();
    assert!(
        !page.contains("link.txt") && !page.contains("linked-dir"),
        "{page}"
    );
    assert!(page.contains("href=\"./alias.txt\""), "{page}");

    let following = TestServer::files_with(&root, |_| {}, |f| f.follow_symlinks = true);
    for target in ["/link.txt", "/linked-dir/shared.txt"] {
        let r = following.exchange(&get(target));
        assert_eq!(
            (r.status(), r.body.as_slice()),
            (200, &b"SHARED"[..]),
            "{target}"
        );
    }
    let page = following.exchange(&get("/")).body_text();
    assert!(page.contains("href=\"./link.txt\"") && page.contains("href=\"./linked-dir/\""));
}

fn spa_site() -> (TempDir, TestServer) {
    let dir = TempDir::new("options-spa");
    dir.write("index.html", b"<div id=app></div>");
    dir.write("style.css", b"body {}");
    let server = TestServer::files_with(
        dir.path(),
        |_| {},
        |f| f.spa = Some("index.html".to_string()),
    );
    (dir, server)
}

#[test]
fn spa_answers_unknown_html_requests_with_its_entry_page() {
    let (_dir, server) = spa_site();
    for accept in [
        "text/html",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    ] {
        let r = server.exchange(&get_with("/app/users/42", &[&format!("Accept: {accept}")]));
        assert_eq!(r.status_line, "HTTP/1.1 200 OK", "{accept}");
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
        assert_eq!(r.body, b"<div id=app></div>");
    }
}

#[test]
fn spa_leaves_unknown_non_html_requests_404() {
    let (_dir, server) = spa_site();
    for headers in [
        &["Accept: application/json"][..],
        &[],
        &["Accept: text/html;q=0"],
    ] {
        let r = server.exchange(&get_with("/api/missing", headers));
        assert_eq!(r.status_line, "HTTP/1.1 404 Not Found", "{headers:?}");
        assert_ne!(r.body, b"<div id=app></div>");
    }
}

#[test]
fn spa_still_serves_existing_files() {
    let (_dir, server) = spa_site();
    let r = server.exchange(&get_with("/style.css", &["Accept: text/html"]));
    assert_eq!((r.status(), r.body.as_slice()), (200, &b"body {}"[..]));
    assert_eq!(r.header("content-type"), Some("text/css; charset=utf-8"));
}

#[test]
fn custom_404_page_is_the_body_of_every_404() {
    let dir = TempDir::new("options-404");
    dir.write("404.html", b"<h1>Lost?</h1>");
    dir.write("here.txt", b"here");
    let server = TestServer::files_with(
        dir.path(),
        |_| {},
        |f| f.not_found_page = Some("404.html".to_string()),
    );
    for target in ["/missing", "/deep/missing.txt", "/.hidden"] {
        let r = server.exchange(&get(target));
        assert_eq!(r.status_line, "HTTP/1.1 404 Not Found", "{target}");
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
        assert_eq!(r.body, b"<h1>Lost?</h1>", "{target}");
    }
    let r = server.exchange(&get("/here.txt"));
    assert_eq!((r.status(), r.body.as_slice()), (200, &b"here"[..]));
}

/// Regression: the SPA fallback chose between 200 and 404 by Accept without
/// saying so, so a cache could hand the stored 404 to a browser.
#[test]
fn spa_fallback_answers_vary_on_accept() {
    let (_dir, server) = spa_site();
    for accept in ["text/html", "application/json"] {
        let r = server.exchange(&get_with("/app/x", &[&format!("Accept: {accept}")]));
        assert_eq!(r.header("vary"), Some("Accept"), "{accept}");
    }
}

/// The file server's refusals say why, in terms of the request.
#[test]
fn file_server_errors_explain_themselves() {
    let dir = dotfile_site();
    let server = TestServer::files_with(dir.path(), |_| {}, |f| f.listing = false);
    let said = |target: &str| {
        let r = server.exchange(&get(target));
        (r.status(), r.body_text())
    };
    assert_eq!(
        said("/missing.txt"),
        (404, "404: nothing is served at this path\n".to_string())
    );
    let (status, body) = said("/a%2fb");
    assert_eq!(status, 400);
    assert!(
        body.starts_with("400: the path cannot name a file here"),
        "{body}"
    );
    let (status, body) = said("/");
    assert_eq!(status, 403);
    assert!(body.contains("listings are off (--no-listing)"), "{body}");
    let r = server.exchange(&request("DELETE", "/visible.txt", &[]));
    assert_eq!(r.status(), 405);
    assert_eq!(
        r.body_text(),
        "405: this resource takes GET, HEAD, OPTIONS\n"
    );
    let r = server.exchange(&get_with("/visible.txt", &["Range: bytes=50-"]));
    assert_eq!(r.status(), 416);
    assert!(
        r.body_text().contains("within the file's 1 bytes"),
        "{}",
        r.body_text()
    );
}
