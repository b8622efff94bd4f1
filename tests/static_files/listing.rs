//! Directory listings: the HTML page (names escaped, links percent-encoded,
//! `../` except at the root, directories first, sizes and times), the JSON
//! form for clients that prefer `application/json`, `Vary: Accept` on both,
//! and a directory of ten thousand entries.
//!
//! Whether a directory is listed at all (`--no-listing`, index files,
//! hidden entries) is in `options.rs`.

use crate::common::*;
use crate::fixtures::*;
use std::collections::BTreeSet;
use std::time::UNIX_EPOCH;

fn site() -> (TempDir, TestServer) {
    let dir = TempDir::new("listing");
    write_dated(&dir, "known.txt", b"12345");
    dir.write("a b&c.txt", b"x");
    dir.write("<i>\"q\"'s.txt", b"x");
    dir.write("back\\slash(1).txt", b"x");
    dir.write("zeta/inner.txt", b"x");
    dir.write("alpha/inner.txt", b"x");
    dir.write("sub/deeper/leaf.txt", b"leaf");
    let server = TestServer::files(dir.path());
    (dir, server)
}

/// The `href`s of a listing page's entries (its table body), in page
/// order.
fn hrefs(page: &str) -> Vec<&str> {
    all_hrefs(page.split("<tbody>").nth(1).expect("a table body"))
}

/// Every `href` in `html`, in order.
fn all_hrefs(html: &str) -> Vec<&str> {
    html.split("href=\"")
        .skip(1)
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .collect()
}

#[test]
fn html_listing_escapes_names_and_percent_encodes_links() {
    let (_dir, server) = site();
    let r = server.exchange(&get("/"));
    assert_eq!(r.status_line, "HTTP/1.1 200 OK");
    assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
    let page = r.body_text();
    assert!(!page.contains("<i>"), "names are escaped");
    assert!(page.contains(">&lt;i&gt;&quot;q&quot;&#39;s.txt<"));
    assert!(page.contains(">a b&amp;c.txt<"));
    let links = hrefs(&page);
    assert!(links.contains(&"./%3Ci%3E%22q%22%27s.txt"), "{links:?}");
    assert!(links.contains(&"./a%20b%26c.txt"), "{links:?}");
    // A backslash is a separator to some clients, so such a name cannot be
    // asked for: it is not listed as a dead link.
    assert!(!page.contains("slash(1).txt"), "{page}");
    let r = server.exchange(&get("/back%5Cslash(1).txt"));
    assert_eq!(r.status(), 400, "the path rules refuse it");
}

#[test]
fn html_listing_shows_each_files_size_and_modification_time() {
    let (_dir, server) = site();
    let page = server.exchange(&get("/")).body_text();
    let row = |href: &str| {
        page.lines()
            .find(|line| line.contains(&format!("href=\"{href}\"")))
            .unwrap_or_else(|| panic!("no row for {href}: {page}"))
            .to_string()
    };
    let known = row("./known.txt");
    assert!(known.contains(">5 B<"), "{known}");
    assert!(known.contains(">2023-11-14 22:13<"), "{known}");
    assert!(row("./alpha/").contains(">-<"), "directories have no size");
}

#[test]
fn html_listing_puts_directories_first_then_sorts_by_name() {
    let (_dir, server) = site();
    let page = server.exchange(&get("/")).body_text();
    assert_eq!(
        hrefs(&page),
        [
            "./alpha/",
            "./sub/",
            "./zeta/",
            "./%3Ci%3E%22q%22%27s.txt",
            "./a%20b%26c.txt",
            "./known.txt",
        ]
    );
}

#[test]
fn parent_link_appears_everywhere_but_the_root() {
    let (_dir, server) = site();
    let root = server.exchange(&get("/")).body_text();
    assert!(!hrefs(&root).contains(&"../"), "no parent above the root");
    let sub = server.exchange(&get("/sub/")).body_text();
    assert_eq!(hrefs(&sub), ["../", "./deeper/"]);
    assert!(sub.contains("Index of /sub/"));
}

#[test]
fn json_listing_when_accept_prefers_it() {
    let (dir, server) = site();
    let sub_mtime = std::fs::metadata(dir.path().join("sub"))
        .unwrap()
        .modified()
        .unwrap()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let sub_entry = format!(r#"{{"name":"sub","type":"dir","size":0,"mtime":{sub_mtime}}}"#);
    for accept in ["application/json", "application/json, text/html;q=0.9"] {
        let r = server.exchange(&get_with("/", &[&format!("Accept: {accept}")]));
        assert_eq!(r.status_line, "HTTP/1.1 200 OK", "{accept}");
        assert_eq!(r.header("content-type"), Some("application/json"));
        let json = r.body_text();
        assert!(json.trim_start().starts_with('[') && json.trim_end().ends_with(']'));
        assert!(
            json.contains(r#"{"name":"known.txt","type":"file","size":5,"mtime":1700000000}"#),
            "{json}"
        );
        assert!(json.contains(&sub_entry), "{json}");
        assert!(json.contains(r#""name":"<i>\"q\"'s.txt""#), "{json}");
    }
}

#[test]
fn html_listing_when_accept_does_not_prefer_json() {
    let (_dir, server) = site();
    for accept in [
        "text/html",
        "*/*",
        "text/html, application/json",
        "application/json;q=0.5, text/html",
        "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    ] {
        let r = server.exchange(&get_with("/", &[&format!("Accept: {accept}")]));
        assert_eq!(
            r.header("content-type"),
            Some("text/html; charset=utf-8"),
            "{accept}"
        );
    }
}

#[test]
fn both_listing_forms_vary_on_accept() {
    let (_dir, server) = site();
    for accept in ["text/html", "application/json"] {
        let r = server.exchange(&get_with("/sub/", &[&format!("Accept: {accept}")]));
        assert_eq!(r.status(), 200);
        assert_eq!(values(&r, "vary"), ["Accept"], "{accept}");
    }
}

#[test]
fn ten_thousand_entries_are_all_listed() {
    let dir = TempDir::new("listing-large");
    let names: BTreeSet<String> = (0..10_000).map(|i| format!("entry-{i:05}.txt")).collect();
    // Hard links to one file: a directory entry each, without the cost of
    // ten thousand inodes on a slow disk.
    let first = dir.write("entry-00000.txt", b"");
    for name in names.iter().skip(1) {
        std::fs::hard_link(&first, dir.path().join(name)).unwrap();
    }
    let server = TestServer::files(dir.path());
    let r = server.exchange(&get("/"));
    assert_eq!(r.status_line, "HTTP/1.1 200 OK");
    let page = r.body_text();
    let listed: BTreeSet<String> = hrefs(&page)
        .iter()
        .map(|href| href.trim_start_matches("./").to_string())
        .collect();
    assert_eq!(listed, names);

    let r = server.exchange(&get_with("/", &["Accept: application/json"]));
    assert_eq!(r.status(), 200);
    let json = r.body_text();
    assert_eq!(json.matches("\"type\":\"file\"").count(), 10_000);
    assert!(json.contains("\"name\":\"entry-09999.txt\""));
}

/// The column headings sort on the server: by size or time, either way,
/// directories still first; the heading of the current column offers the
/// other direction.
#[test]
fn column_headings_sort_by_size_and_time_either_way() {
    let dir = TempDir::new("listing-sort");
    write_dated(&dir, "big.txt", &[b'x'; 3000]);
    write_dated(&dir, "small.txt", b"x");
    write_dated(&dir, "middle.txt", &[b'x'; 200]);
    dir.write("folder/inner.txt", b"x");
    let old = UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
    let set_time = |name: &str, secs: u64| {
        let file = std::fs::File::options()
            .write(true)
            .open(dir.0.join(name))
            .unwrap();
        file.set_modified(old + std::time::Duration::from_secs(secs))
            .unwrap();
    };
    set_time("big.txt", 10);
    set_time("small.txt", 30);
    set_time("middle.txt", 20);
    let server = TestServer::files(dir.path());
    let order = |query: &str| {
        let page = server.exchange(&get(&format!("/{query}"))).body_text();
        hrefs(&page)
            .into_iter()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        order(""),
        ["./folder/", "./big.txt", "./middle.txt", "./small.txt"]
    );
    assert_eq!(
        order("?sort=size"),
        ["./folder/", "./small.txt", "./middle.txt", "./big.txt"]
    );
    assert_eq!(
        order("?sort=size&order=desc"),
        ["./folder/", "./big.txt", "./middle.txt", "./small.txt"]
    );
    assert_eq!(
        order("?sort=modified&order=desc"),
        ["./folder/", "./small.txt", "./middle.txt", "./big.txt"]
    );
    assert_eq!(
        order("?sort=name&order=desc"),
        ["./folder/", "./small.txt", "./middle.txt", "./big.txt"]
    );
    assert_eq!(
        order("?sort=bogus&order=sideways"),
        order(""),
        "unknown words: the default"
    );

    let page = server.exchange(&get("/?sort=size")).body_text();
    let head = page.split("<tbody>").next().unwrap();
    assert!(
        all_hrefs(head).contains(&"?sort=size&amp;order=desc"),
        "{head}"
    );
    assert!(head.contains("aria-sort=\"ascending\""), "{head}");
}

/// The title links each directory on the way, encoded and escaped.
#[test]
fn the_title_is_a_trail_of_links_to_each_parent() {
    let dir = TempDir::new("listing-crumbs");
    dir.write("a b/<c>/leaf.txt", b"x");
    let server = TestServer::files(dir.path());
    let page = server.exchange(&get("/a%20b/%3Cc%3E/")).body_text();
    let title = page
        .split("<h1>")
        .nth(1)
        .unwrap()
        .split("</h1>")
        .next()
        .unwrap();
    assert_eq!(all_hrefs(title), ["/", "/a%20b/", "/a%20b/%3Cc%3E/"]);
    assert!(title.contains(">&lt;c&gt;</a>"), "{title}");
    assert!(!title.contains("<c>"), "{title}");
}

/// Usable at night and on a phone, with nothing fetched from elsewhere.
#[test]
fn the_page_follows_the_dark_theme_and_fits_a_phone() {
    let (_dir, server) = site();
    let page = server.exchange(&get("/")).body_text();
    assert!(page.contains("prefers-color-scheme: dark"));
    assert!(page.contains("name=\"viewport\" content=\"width=device-width"));
    assert!(page.contains("@media (max-width:"));
    assert!(!page.contains("<script") && !page.contains("src=") && !page.contains("http://"));
}

/// A directory spelled with `.`, `..`, empty or needlessly encoded segments
/// is redirected to its plain spelling: its links then resolve, and one
/// directory is one shared listing however it is spelled.
#[test]
fn odd_spellings_of_a_directory_redirect_to_the_plain_one() {
    let dir = TempDir::new("listing-canonical");
    dir.write("sub/a b/x.txt", b"x");
    let server = TestServer::files(dir.path());
    for (asked, plain) in [
        ("/sub/./", "/sub/"),
        ("/sub//", "/sub/"),
        ("/sub/..", "/"),
        ("/sub/%2e%2e/", "/"),
        ("/%73ub/", "/sub/"),
        ("/sub/a%20b/./?sort=size", "/sub/a%20b/?sort=size"),
    ] {
        let r = server.exchange(&get(asked));
        assert_eq!(r.status(), 301, "{asked}");
        assert_eq!(r.header("location"), Some(plain), "{asked}");
    }
    assert_eq!(server.exchange(&get("/sub/a%20b/")).status(), 200);
}

/// The last `sort` and `order` win, as in any query.
#[test]
fn the_last_sort_word_wins() {
    let dir = TempDir::new("listing-last-word");
    dir.write("b-small.txt", b"x");
    dir.write("a-big.txt", &[b'x'; 100]);
    let server = TestServer::files(dir.path());
    let page = server
        .exchange(&get("/?sort=size&sort=name&order=desc&order=asc"))
        .body_text();
    assert_eq!(hrefs(&page), ["./a-big.txt", "./b-small.txt"]);
}
