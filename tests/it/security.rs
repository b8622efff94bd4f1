//! Attacks on the served tree by someone who can write inside it: names
//! swapped for symlinks to the outside while requests are in flight. The
//! server must decide on what it opened, never on a name looked up again.

use crate::common::{get, read_response, TempDir, TestServer};
use std::fs;
use std::io::Write;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// The marker that every file outside the root carries.
const SECRET: &[u8] = b"OUTSIDE-THE-ROOT";

/// How long each swapping race runs: long enough to hit the window many
/// times (the bug this guards against leaked in about 1.5% of answers).
const RACE: Duration = Duration::from_secs(3);

/// `base/root` is served; `base/outside.txt` and `base/outside-dir/` are not.
fn tree(label: &str) -> (TempDir, std::path::PathBuf) {
    let base = TempDir::new(label);
    fs::create_dir_all(base.path().join("root")).unwrap();
    fs::create_dir_all(base.path().join("outside-dir")).unwrap();
    fs::write(base.path().join("outside.txt"), SECRET).unwrap();
    fs::write(base.path().join("outside-dir/OUTSIDE-THE-ROOT.txt"), SECRET).unwrap();
    let root = base.path().join("root").canonicalize().unwrap();
    (base, root)
}

/// Swaps `name` between what `make_real` creates and a symlink to `outside`,
/// by rename (atomic), until stopped.
fn swapper(
    root: &Path,
    name: &str,
    outside: &Path,
    make_real: impl Fn(&Path) + Send + 'static,
    stop: Arc<AtomicBool>,
) -> thread::JoinHandle<usize> {
    let target = root.join(name);
    let staged_real = root.join(format!(".stage-real-{name}"));
    let staged_link = root.join(format!(".stage-link-{name}"));
    let outside = outside.to_path_buf();
    thread::spawn(move || {
        let mut swaps = 0;
        while !stop.load(Ordering::Relaxed) {
            let _ = fs::remove_file(&staged_link);
            symlink(&outside, &staged_link).unwrap();
            // A directory cannot be renamed over a symlink or the other way
            // round, so clear the name first when it is one.
            if target.is_dir() && !target.is_symlink() {
                let _ = fs::remove_dir_all(&target);
            }
            fs::rename(&staged_link, &target).unwrap();
            make_real(&staged_real);
            if staged_real.is_dir() {
                let _ = fs::remove_file(&target);
            }
            fs::rename(&staged_real, &target).unwrap();
            swaps += 1;
            // Leave the real one in place a moment, so that every client
            // also sees it served (the race is at the swap, not here).
            thread::sleep(Duration::from_micros(100));
        }
        swaps
    })
}

/// Tallies of a race: answers that carried the file, and answers with the
/// outside marker in them (which must be none).
#[derive(Default, Debug)]
struct Tally {
    served_inside: usize,
    refused: usize,
    leaked: usize,
}

/// Sends `request` again and again on keep-alive connections until the
/// race is over.
fn hammer(server: &TestServer, request: Vec<u8>, inside_marker: &'static [u8]) -> Tally {
    let mut tally = Tally::default();
    let deadline = Instant::now() + RACE;
    let mut stream = server.connect();
    while Instant::now() < deadline {
        let answer = stream
            .write_all(&request)
            .ok()
            .and_then(|()| read_response(&mut stream, false).ok());
        let Some(answer) = answer else {
            stream = server.connect();
            continue;
        };
        if contains(&answer.body, SECRET) {
            tally.leaked += 1;
        } else if contains(&answer.body, inside_marker) {
            tally.served_inside += 1;
        } else {
            tally.refused += 1;
        }
    }
    tally
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Runs `requests` (one keep-alive client each) against a server while a
/// swapper runs, and checks that no answer leaked and that both states of
/// the name were seen (so the race was really run).
fn race(server: &TestServer, requests: Vec<Vec<u8>>, inside: &'static [u8], stop: Arc<AtomicBool>) {
    let tallies: Vec<Tally> = thread::scope(|scope| {
        let clients: Vec<_> = requests
            .into_iter()
            .map(|request| scope.spawn(move || hammer(server, request, inside)))
            .collect();
        clients.into_iter().map(|c| c.join().unwrap()).collect()
    });
    stop.store(true, Ordering::Relaxed);
    for tally in &tallies {
        assert_eq!(tally.leaked, 0, "outside bytes were served: {tallies:?}");
    }
    let inside_total: usize = tallies.iter().map(|t| t.served_inside).sum();
    let refused_total: usize = tallies.iter().map(|t| t.refused).sum();
    assert!(
        inside_total > 0,
        "the real file was never served: {tallies:?}"
    );
    assert!(refused_total > 0, "the link was never met: {tallies:?}");
}

fn request(path: &str, extra: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: t\r\n{extra}\r\n").into_bytes()
}

/// Regression: a symlink to `/etc/passwd` renamed over a served file
/// between the containment check and the open was followed by the open;
/// plain, ranged and conditional requests all leaked.
#[test]
fn a_file_swapped_for_an_outside_symlink_never_serves_outside_bytes() {
    let (_base, root) = tree("swap-file");
    fs::write(root.join("race.txt"), b"inside file").unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let swaps = swapper(
        &root,
        "race.txt",
        &root.join("../outside.txt"),
        |at| fs::write(at, b"inside file").unwrap(),
        Arc::clone(&stop),
    );
    let server = TestServer::files(&root);
    let requests = vec![
        request("/race.txt", ""),
        request("/race.txt", "Range: bytes=0-\r\n"),
        request("/race.txt", "If-None-Match: \"nope\"\r\n"),
        request("/race.txt", "Range: bytes=0-3,5-\r\n"),
    ];
    race(&server, requests, b"inside file", Arc::clone(&stop));
    assert!(swaps.join().unwrap() > 0);
}

/// The same race on a precompressed sibling, an index file and a
/// directory that is listed: each goes through the same door.
#[test]
fn siblings_indexes_and_listings_swapped_for_outside_symlinks_never_leak() {
    let (_base, root) = tree("swap-others");
    fs::write(root.join("app.js"), b"inside js").unwrap();
    fs::write(root.join("app.js.gz"), b"inside gz").unwrap();
    fs::create_dir_all(root.join("site")).unwrap();
    fs::write(root.join("site/index.html"), b"inside index").unwrap();
    fs::create_dir_all(root.join("list")).unwrap();
    fs::write(root.join("list/inside-entry.txt"), b"x").unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let outside = root.join("../outside.txt");
    let swappers = [
        swapper(
            &root,
            "app.js.gz",
            &outside,
            |at| fs::write(at, b"inside gz").unwrap(),
            Arc::clone(&stop),
        ),
        swapper(
            &root.join("site"),
            "index.html",
            &outside,
            |at| fs::write(at, b"inside index").unwrap(),
            Arc::clone(&stop),
        ),
        swapper(
            &root,
            "list",
            &root.join("../outside-dir"),
            |at| {
                fs::create_dir_all(at).unwrap();
                fs::write(at.join("inside-entry.txt"), b"x").unwrap();
            },
            Arc::clone(&stop),
        ),
    ];
    let server = TestServer::files(&root);
    // Each client counts as "inside" the answer that carries its own
    // marker.
    let tallies = hammer_together(
        &server,
        vec![
            // A precondition keeps the request off the small-file cache,
            // which may hold the plain answer from a moment the sibling was
            // a link for up to a second (by design), and under load that
            // second can span the whole race.
            (
                request(
                    "/app.js",
                    "Accept-Encoding: gzip\r\nIf-None-Match: \"x\"\r\n",
                ),
                b"inside gz",
            ),
            (request("/site/", ""), b"inside index"),
            (request("/list/", ""), b"inside-entry"),
        ],
    );
    stop.store(true, Ordering::Relaxed);
    for swapper in swappers {
        assert!(swapper.join().unwrap() > 0);
    }
    for tally in &tallies {
        assert_eq!(tally.leaked, 0, "outside bytes were served: {tallies:?}");
        assert!(tally.served_inside > 0, "never served: {tallies:?}");
    }
}

/// Runs one `hammer` client per request at once; returns their tallies.
fn hammer_together(server: &TestServer, requests: Vec<(Vec<u8>, &'static [u8])>) -> Vec<Tally> {
    thread::scope(|scope| {
        let clients: Vec<_> = requests
            .into_iter()
            .map(|(request, marker)| scope.spawn(move || hammer(server, request, marker)))
            .collect();
        clients.into_iter().map(|c| c.join().unwrap()).collect()
    })
}

/// The plain (non-racing) forms, each of which must answer 404.
#[test]
fn links_out_of_the_root_are_not_found_wherever_they_sit() {
    let (_base, root) = tree("links-out");
    fs::create_dir_all(root.join("sub")).unwrap();
    symlink(root.join("../outside.txt"), root.join("abs.txt")).unwrap();
    symlink("../../outside.txt", root.join("sub/rel.txt")).unwrap();
    symlink("..", root.join("up")).unwrap();
    symlink(root.join("../outside-dir"), root.join("dir")).unwrap();
    let server = TestServer::files(&root);
    for path in [
        "/abs.txt",
        "/sub/rel.txt",
        "/up/outside.txt",
        "/dir/",
        "/up/",
    ] {
        let answer = server.exchange(&get(path));
        assert_eq!(answer.status(), 404, "{path}");
        assert!(!contains(&answer.body, SECRET), "{path}");
    }
    // The listing of the root leaves the escaping links out.
    let listing = server.exchange(&get("/")).body_text();
    assert!(
        !listing.contains("abs.txt") && !listing.contains("\"up/\""),
        "{listing}"
    );
}
