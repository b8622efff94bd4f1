//! Folders as tar archives (`--archives`, `?download=tar`): what the
//! system's `tar` extracts is the tree byte for byte (odd names, empty
//! files and folders, nested folders, links inside followed, links outside,
//! dotfiles and FIFOs left out), the declared length is what is sent, a
//! download resumes with Range and If-Range, a stale `v` is 412, a file
//! that changes during the download cuts the connection short, and
//! without the option the query changes nothing.

use crate::common::*;
use crate::fixtures::*;
use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, UNIX_EPOCH};

/// A 150-byte file name: past ustar's 100, so it needs a pax record.
fn long_name() -> String {
    format!("{}.txt", "n".repeat(146))
}

/// `outer/served` is the root; the tree to archive is `served/site`, and
/// `outer/outside*` is what links must never bring in.
struct Site {
    _outer: TempDir,
    served: PathBuf,
}

impl Site {
    fn new(label: &str) -> Site {
        let outer = TempDir::new(label);
        outer.write("outside.txt", b"OUTSIDE SECRET");
        outer.write("outdir/inner.txt", b"OUTSIDE SECRET");
        let site = outer.0.join("served/site");
        let served = outer.0.join("served");
        let file = |relative: &str, contents: &[u8]| {
            let path = site.join(relative);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, contents).unwrap();
        };
        file("hello.txt", b"hello\n");
        file("with space.txt", b"spaced out");
        file("café ☕.txt", "UTF-8 é ☕".as_bytes());
        file(&long_name(), b"a long name");
        file("empty.txt", b"");
        file("nested/mid.txt", b"middle");
        file("nested/deeper/deepest/leaf.bin", &unique_bytes(5000));
        file("run.sh", b"#!/bin/sh\n");
        file("private.txt", b"mode 0600");
        file(".secret", b"dotfile");
        file(".hidden-dir/x.txt", b"in a dot folder");
        fs::create_dir_all(site.join("empty-dir")).unwrap();
        let mode = |relative: &str, mode: u32| {
            fs::set_permissions(site.join(relative), fs::Permissions::from_mode(mode)).unwrap();
        };
        mode("run.sh", 0o755);
        mode("private.txt", 0o600);
        let dated = fs::File::options().write(true).open(site.join("hello.txt"));
        let at = UNIX_EPOCH + Duration::from_secs(MTIME);
        dated.unwrap().set_modified(at).unwrap();
        symlink(outer.0.join("outside.txt"), site.join("escape.txt")).unwrap();
        symlink(outer.0.join("outdir"), site.join("escape-dir")).unwrap();
        symlink("hello.txt", site.join("alias.txt")).unwrap();
        symlink("nested", site.join("nested-link")).unwrap();
        // A link to a folder above it: a loop, left out wherever it shows.
        symlink("../..", site.join("nested/deeper/up")).unwrap();
        let fifo = site.join("pipe");
        let made = Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        Site {
            _outer: outer,
            served,
        }
    }

    fn server(
        &self,
        tweak: impl FnOnce(&mut http_from_scratch::files::FilesSettings),
    ) -> TestServer {
        TestServer::files_with(
            &self.served,
            |_| {},
            |f| {
                f.archives = true;
                tweak(f);
            },
        )
    }

    fn site(&self) -> PathBuf {
        self.served.join("site")
    }
}

/// What `Site` should extract to without `--hidden` (`None`: a folder).
fn expected_tree() -> BTreeMap<String, Option<Vec<u8>>> {
    let mut tree = BTreeMap::new();
    let mut file = |path: &str, contents: &[u8]| {
        tree.insert(path.to_string(), Some(contents.to_vec()));
    };
    file("hello.txt", b"hello\n");
    file("alias.txt", b"hello\n");
    file("with space.txt", b"spaced out");
    file("café ☕.txt", "UTF-8 é ☕".as_bytes());
    file(&long_name(), b"a long name");
    file("empty.txt", b"");
    file("run.sh", b"#!/bin/sh\n");
    file("private.txt", b"mode 0600");
    for nested in ["nested", "nested-link"] {
        file(&format!("{nested}/mid.txt"), b"middle");
        file(
            &format!("{nested}/deeper/deepest/leaf.bin"),
            &unique_bytes(5000),
        );
    }
    for dir in [
        "empty-dir",
        "nested",
        "nested/deeper",
        "nested/deeper/deepest",
        "nested-link",
        "nested-link/deeper",
        "nested-link/deeper/deepest",
    ] {
        tree.insert(dir.to_string(), None);
    }
    tree
}

/// Every path under `dir` (relative, `/`-separated) with its contents, or
/// `None` for a folder. Extracted archives hold no links.
fn tree_of(dir: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    let mut tree = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(at) = pending.pop() {
        for entry in fs::read_dir(&at).unwrap() {
            let path = entry.unwrap().path();
            let relative = path
                .strip_prefix(dir)
                .unwrap()
                .to_str()
                .unwrap()
                .to_string();
            let kind = fs::symlink_metadata(&path).unwrap().file_type();
            assert!(!kind.is_symlink(), "a link in the archive: {relative}");
            if kind.is_dir() {
                tree.insert(relative, None);
                pending.push(path);
            } else {
                tree.insert(relative, Some(fs::read(&path).unwrap()));
            }
        }
    }
    tree
}

/// Extracts `archive` with the system's `tar` into a new folder.
fn extract(archive: &[u8]) -> TempDir {
    let into = TempDir::new("archives-extracted");
    let file = into.write("archive.tar", archive);
    let out = into.0.join("out");
    fs::create_dir(&out).unwrap();
    let result = Command::new("tar")
        .arg("-xf")
        .arg(&file)
        .arg("-C")
        .arg(&out)
        .output()
        .expect("tar runs");
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert!(
        result.status.success() && stderr.is_empty(),
        "tar: {stderr}"
    );
    into
}

fn download(server: &TestServer, target: &str) -> RawResponse {
    let r = server.exchange(&get(target));
    assert_eq!(r.status(), 200, "{target}: {}", r.body_text());
    r
}

/// The `v` of the listing's link: the ETag's digits.
fn version_of(etag: &str) -> String {
    let tag = etag.trim_matches('"');
    tag.strip_prefix("tar-")
        .expect("an archive's tag")
        .to_string()
}

#[test]
fn the_system_tar_extracts_the_tree_byte_for_byte() {
    let site = Site::new("archives-roundtrip");
    let server = site.server(|_| {});
    let r = download(&server, "/site/?download=tar");
    assert_eq!(r.header("content-type"), Some("application/x-tar"));
    assert_eq!(
        r.header("content-disposition"),
        Some("attachment; filename=\"site.tar\"; filename*=UTF-8''site.tar")
    );
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
    let extracted = extract(&r.body);
    let top = extracted.0.join("out/site");
    assert_eq!(tree_of(&top), expected_tree());
    assert!(!String::from_utf8_lossy(&r.body).contains("OUTSIDE SECRET"));
    // Modes are normalised (an execute bit kept), times kept to the second.
    let mode = |name: &str| fs::metadata(top.join(name)).unwrap().permissions().mode() & 0o777;
    assert_eq!((mode("run.sh"), mode("private.txt")), (0o755, 0o644));
    let modified = fs::metadata(top.join("hello.txt"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(modified, UNIX_EPOCH + Duration::from_secs(MTIME));
}

#[test]
fn dotfiles_are_archived_only_with_hidden() {
    let site = Site::new("archives-hidden");
    let server = site.server(|f| f.hidden = true);
    let r = download(&server, "/site/?download=tar");
    let extracted = extract(&r.body);
    let mut want = expected_tree();
    want.insert(".secret".into(), Some(b"dotfile".to_vec()));
    want.insert(".hidden-dir".into(), None);
    want.insert(
        ".hidden-dir/x.txt".into(),
        Some(b"in a dot folder".to_vec()),
    );
    assert_eq!(tree_of(&extracted.0.join("out/site")), want);
}

#[test]
fn links_leading_outside_stay_out_even_with_follow_symlinks() {
    let site = Site::new("archives-follow");
    let server = site.server(|f| f.follow_symlinks = true);
    // The listing shows them, the archive does not.
    let page = server.exchange(&get("/site/")).body_text();
    assert!(page.contains("escape.txt") && page.contains("escape-dir"));
    let r = download(&server, "/site/?download=tar");
    assert!(!String::from_utf8_lossy(&r.body).contains("OUTSIDE SECRET"));
    let extracted = extract(&r.body);
    assert_eq!(tree_of(&extracted.0.join("out/site")), expected_tree());
    // A folder outside, reached through the link, is listed but never
    // archived, and its listing offers no archive.
    let page = server.exchange(&get("/site/escape-dir/")).body_text();
    assert!(
        page.contains("inner.txt") && !page.contains("download=tar"),
        "{page}"
    );
    let r = server.exchange(&get("/site/escape-dir/?download=tar"));
    assert_eq!(r.status(), 403);
    assert!(!String::from_utf8_lossy(&r.body).contains("OUTSIDE SECRET"));
}

#[test]
fn the_declared_length_is_what_is_sent_and_head_declares_it_too() {
    let site = Site::new("archives-length");
    let server = site.server(|_| {});
    let mut stream = server.connect();
    let raw = request("GET", "/site/?download=tar", &["Connection: close"]);
    stream.write_all(&raw).unwrap();
    let mut all = Vec::new();
    stream.read_to_end(&mut all).unwrap();
    let split = all.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&all[..split]).to_string();
    let declared: usize = header_value(&head, "content-length").parse().unwrap();
    assert_eq!(all.len() - split, declared, "{head}");

    let r = server.exchange(&request("HEAD", "/site/?download=tar", &[]));
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.header("content-length"),
        Some(declared.to_string().as_str())
    );
    assert_eq!(r.header("etag"), Some(header_value(&head, "etag").as_str()));
    assert!(r.body.is_empty());
}

fn header_value(head: &str, name: &str) -> String {
    head.lines()
        .find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
        .unwrap_or_else(|| panic!("no {name} in {head}"))
}

#[test]
fn an_interrupted_download_resumes_with_range_and_if_range() {
    let site = Site::new("archives-resume");
    let server = site.server(|_| {});
    let whole = download(&server, "/site/?download=tar");
    let etag = whole.header("etag").unwrap().to_string();
    let len = whole.body.len();
    // Inside the first header, on a block boundary, inside a file's data,
    // in the padding after it, and in the closing blocks.
    for cut in [1, 512, 700, 1500, 3000, len / 2, len - 1024, len - 1] {
        let if_range = format!("If-Range: {etag}");
        let range = format!("Range: bytes={cut}-");
        let rest = server.exchange(&get_with("/site/?download=tar", &[&range, &if_range]));
        assert_eq!(rest.status(), 206, "from {cut}");
        let content_range = format!("bytes {cut}-{}/{len}", len - 1);
        assert_eq!(rest.header("content-range"), Some(content_range.as_str()));
        let mut joined = whole.body[..cut].to_vec();
        joined.extend_from_slice(&rest.body);
        assert!(joined == whole.body, "resumed from {cut}");
    }
    // An If-Range naming another tree gets the whole archive again.
    let stale = get_with(
        "/site/?download=tar",
        &["Range: bytes=100-", "If-Range: \"tar-0\""],
    );
    let r = server.exchange(&stale);
    assert_eq!((r.status(), r.body.len()), (200, len));
    let beyond = format!("Range: bytes={len}-");
    let r = server.exchange(&get_with("/site/?download=tar", &[&beyond]));
    assert_eq!(r.status(), 416);
    assert_eq!(
        r.header("content-range"),
        Some(format!("bytes */{len}").as_str())
    );
    // Several ranges are of no use to an archive: the whole of it.
    let several = get_with("/site/?download=tar", &["Range: bytes=0-0,2000-2001"]);
    assert_eq!(server.exchange(&several).body.len(), len);
    let again = get_with("/site/?download=tar", &[&format!("If-None-Match: {etag}")]);
    assert_eq!(server.exchange(&again).status(), 304);
}

#[test]
fn a_version_that_no_longer_matches_the_tree_is_412() {
    let site = Site::new("archives-version");
    let server = site.server(|_| {});
    let first = download(&server, "/site/?download=tar");
    let version = version_of(first.header("etag").unwrap());
    let link = format!("/site/?download=tar&v={version}");
    assert_eq!(download(&server, &link).body, first.body);
    fs::write(site.site().join("nested/mid.txt"), b"changed").unwrap();
    let r = server.exchange(&get_with(&link, &["Range: bytes=1000-"]));
    assert_eq!(r.status(), 412);
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));
    assert!(r.body_text().contains("changed"), "{}", r.body_text());
    let fresh = download(&server, "/site/?download=tar");
    assert_ne!(fresh.header("etag"), first.header("etag"));
}

#[test]
fn the_archive_is_named_after_the_folder_or_the_served_directory() {
    let site = Site::new("archives-names");
    let server = site.server(|_| {});
    let r = download(&server, "/site/nested/?download=tar");
    let name = r.header("content-disposition").unwrap();
    assert!(name.contains("filename=\"nested.tar\""), "{name}");
    let extracted = extract(&r.body);
    assert_eq!(
        fs::read(extracted.0.join("out/nested/mid.txt")).unwrap(),
        b"middle"
    );
    let r = download(&server, "/?download=tar");
    assert!(r
        .header("content-disposition")
        .unwrap()
        .contains("\"served.tar\""));
    let extracted = extract(&r.body);
    assert!(extracted.0.join("out/served/site/hello.txt").is_file());
}

#[test]
fn without_archives_the_query_changes_nothing() {
    let site = Site::new("archives-off");
    let server = TestServer::files(&site.served);
    let plain = server.exchange(&get("/site/"));
    let asked = server.exchange(&get("/site/?download=tar"));
    assert_eq!(asked.status(), 200);
    assert_eq!(
        asked.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(asked.body, plain.body);
    // With archives on, other values are not archives either.
    let on = site.server(|_| {});
    let zip = on.exchange(&get("/site/?download=zip"));
    assert_eq!(zip.header("content-type"), Some("text/html; charset=utf-8"));
}

#[test]
fn no_archive_where_an_index_file_or_no_listing_hides_the_folder() {
    let site = Site::new("archives-hidden-folders");
    fs::write(site.site().join("nested/index.html"), b"<p>index</p>").unwrap();
    let server = site.server(|_| {});
    let r = server.exchange(&get("/site/nested/?download=tar"));
    assert_eq!((r.status(), r.body.as_slice()), (200, &b"<p>index</p>"[..]));
    let unlisted = site.server(|f| f.listing = false);
    assert_eq!(unlisted.exchange(&get("/site/?download=tar")).status(), 403);
}

#[test]
fn two_thousand_small_files_archive_whole() {
    let dir = TempDir::new("archives-many");
    for i in 0..2000 {
        dir.write(
            &format!("many/f{i:04}.txt"),
            format!("file {i}\n").as_bytes(),
        );
    }
    let server = TestServer::files_with(dir.path(), |_| {}, |f| f.archives = true);
    let r = download(&server, "/many/?download=tar");
    let extracted = extract(&r.body);
    let tree = tree_of(&extracted.0.join("out/many"));
    assert_eq!(tree.len(), 2000);
    for i in [0, 999, 1999] {
        let contents = tree[&format!("f{i:04}.txt")].clone().unwrap();
        assert_eq!(contents, format!("file {i}\n").into_bytes());
    }
}

/// Far more than loopback can hold in flight (the socket buffers here go
/// up to 32 MiB for receiving and 4 MiB for sending), so the server cannot
/// have read the whole file before the test changes it: a sparse file,
/// which costs no disk.
const LARGE: u64 = 256 << 20;

/// Requests `big/` whose one file is `LARGE` bytes, reads the head and
/// the first bytes of the file's data (so the server has opened it and
/// found it unchanged), lets `change` alter the file, then reads what
/// comes. Returns the declared length and the body bytes received before
/// the connection ended.
fn download_while_changing(label: &str, change: impl FnOnce(&fs::File)) -> (u64, u64) {
    let dir = TempDir::new(label);
    let path = dir.write("big/large.bin", b"");
    let file = fs::File::options().write(true).open(&path).unwrap();
    file.set_len(LARGE).unwrap();
    let server = TestServer::files_with(dir.path(), |_| {}, |f| f.archives = true);
    let mut stream = server.connect();
    stream.write_all(&get("/big/?download=tar")).unwrap();
    let head = read_head(&mut stream);
    let declared: u64 = header_value(&head, "content-length").parse().unwrap();
    // Two headers (`big/` and the file), then data.
    let mut start = vec![0u8; 1024 + 4096];
    stream.read_exact(&mut start).unwrap();
    change(&file);
    let rest = count_until_closed(&mut stream);
    (declared, start.len() as u64 + rest)
}

fn read_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(
            stream.read(&mut byte).unwrap(),
            1,
            "closed before the head ended"
        );
        head.push(byte[0]);
    }
    String::from_utf8(head).unwrap()
}

/// Body bytes read until the server closes (a reset counts as a close).
fn count_until_closed(stream: &mut TcpStream) -> u64 {
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0;
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return total,
            Ok(n) => total += n as u64,
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return total,
            Err(e) => panic!("reading the body: {e}"),
        }
    }
}

#[test]
fn a_file_that_shrinks_during_the_download_cuts_the_connection_short() {
    let (declared, received) =
        download_while_changing("archives-shrink", |file| file.set_len(1 << 20).unwrap());
    assert!(declared > LARGE, "{declared}");
    assert!(received < declared, "{received} of {declared}");
}

#[test]
fn a_file_that_grows_during_the_download_cuts_the_connection_short() {
    let (declared, received) =
        download_while_changing("archives-grow", |file| file.set_len(LARGE + 1).unwrap());
    assert!(received < declared, "{received} of {declared}");
}

/// The listing offers the folder as a tar file, its link carrying the
/// tree's version, so a resumed download of it can never splice two trees;
/// without `--archives` there is no link.
#[test]
fn the_listing_links_to_the_versioned_archive() {
    let site = Site::new("archives-link");
    let server = site.server(|_| {});
    let page = server.exchange(&get("/site/")).body_text();
    let href = page
        .split("href=\"")
        .map(|rest| &rest[..rest.find('"').unwrap_or(0)])
        .find(|href| href.starts_with("?download=tar"))
        .unwrap_or_else(|| panic!("no archive link: {page}"));
    let link = format!("/site/{}", href.replace("&amp;", "&"));
    let r = download(&server, &link);
    assert_eq!(r.status(), 200);
    let version = version_of(r.header("etag").unwrap());
    assert!(link.ends_with(&format!("&v={version}")), "{link}");
    let plain = TestServer::files(&site.served);
    let r = plain.exchange(&get("/site/"));
    assert_eq!(r.status(), 200);
    let page = r.body_text();
    assert!(!page.contains("download=tar"), "{page}");
}
