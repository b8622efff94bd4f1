//! Live reload (`--watch`): when a file under the root changes, every open
//! page served from it reloads.
//!
//! Four parts, each small:
//! - `notify` (Linux): what changed, as the kernel tells it (`inotify`);
//! - [`scan`]: what changed, found by looking at the tree again: the way
//!   elsewhere, and where watches cannot be had;
//! - [`streams`]: the browsers waiting to hear about it, one
//!   `text/event-stream` each (server-sent events), parked in a list;
//! - this module: the [`Watcher`] thread that waits for changes (choosing
//!   between the two ways), waits for a burst of them to end, words the
//!   event and tells the streams; and the [`LiveReload`] handler that
//!   answers the two reserved paths: the stream and the script pages load
//!   it with.
//!
//! The script is put into HTML pages by the file server (see
//! `files::inject`): only with `--watch`, so without it every response is
//! what it always was. The script keeps one stream per browser: the tab
//! that holds a lock opens it and passes the news to the others on a
//! `BroadcastChannel`, since browsers allow only six connections to one
//! host.

#[cfg(any(target_os = "linux", target_os = "android"))]
pub mod notify;
pub mod scan;
pub mod streams;

use crate::handler::Handler;
use crate::http::method::Method;
use crate::http::status::Status;
use crate::request::Request;
use crate::response::Response;
use scan::Snapshot;
use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use streams::EventStreams;

/// Where pages listen for changes. Under `/.well-known/`, which names no
/// file of a site by convention, and answered in front of the file server,
/// so no file shadows it.
pub const EVENTS_PATH: &str = "/.well-known/http-from-scratch/live-reload";

/// The script pages load, beside the stream.
pub const SCRIPT_PATH: &str = "/.well-known/http-from-scratch/live-reload.js";

/// The script itself: written for readers, so not minified.
const SCRIPT: &str = include_str!("live-reload.js");

/// Most event streams open at once. One per browser is the norm; this is
/// room for many browsers and devices, and a wall against a flood.
pub const MAX_STREAMS: usize = 64;

/// The shortest pause between two looks at the tree.
const MIN_INTERVAL: Duration = Duration::from_millis(250);

/// The pause between looks is this many times as long as one look takes,
/// so that watching costs at most about 1/20 of a core however large the
/// tree (a look at 10,000 files takes about 10 ms).
const INTERVAL_PER_LOOK: u32 = 20;

/// The longest wait for inotify events: a burst ends when a wait this long
/// brings none. (A wait ends at the first event, so a lone change is told
/// this long after it. The thread also wakes this often while idle, to
/// look for a stop and for closed streams.)
const NOTIFY_WINDOW: Duration = Duration::from_millis(200);

/// A burst of changes (a build writing many files) ends when one look
/// finds nothing new; one that goes on longer than this is told about
/// anyway, so a file written without pause cannot hold reloads back.
const MAX_BURST: Duration = Duration::from_secs(2);

/// How often an idle stream is told the server is still there.
const KEEP_ALIVE_EVERY: Duration = Duration::from_secs(15);

/// Most paths named in one event, and most bytes of their names; the
/// rest are counted.
const MAX_NAMED: usize = 20;
const MAX_NAMED_BYTES: usize = 2048;

/// Watches a tree on its own thread and tells open event streams.
pub struct Watcher {
    streams: Arc<EventStreams>,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    how: String,
}

impl Watcher {
    /// Sets up watching `root` (so that whatever changes after this
    /// returns is seen), then goes on watching on a thread of its own.
    ///
    /// # Errors
    ///
    /// When the thread cannot be started.
    pub fn start(root: &Path) -> io::Result<Watcher> {
        let (detector, why_polling) = Detector::new(root);
        Watcher::start_with(root, detector, why_polling)
    }

    /// As [`Watcher::start`], but always by looking at the tree again and
    /// again, as on systems without inotify (and for file systems whose
    /// changes the kernel does not hear of, such as network mounts).
    ///
    /// # Errors
    ///
    /// When the thread cannot be started.
    pub fn start_polling(root: &Path) -> io::Result<Watcher> {
        Watcher::start_with(root, Detector::polling(root), None)
    }

    fn start_with(
        root: &Path,
        detector: Detector,
        why_polling: Option<String>,
    ) -> io::Result<Watcher> {
        let how = match why_polling {
            Some(why) => format!("{} ({why})", detector.describe()),
            None => detector.describe(),
        };
        let streams = Arc::new(EventStreams::new(MAX_STREAMS));
        let (stop, stopped) = mpsc::channel();
        let looker = Looker {
            root: root.to_path_buf(),
            streams: Arc::clone(&streams),
            detector,
        };
        let thread = std::thread::Builder::new()
            .name("live-reload".into())
            .spawn(move || looker.run(&stopped))?;
        Ok(Watcher {
            streams,
            stop: Some(stop),
            thread: Some(thread),
            how,
        })
    }

    /// How the tree is watched, and what that costs, in a few words for
    /// the start-up line (with why, when polling stands in for inotify).
    pub fn how(&self) -> &str {
        &self.how
    }

    /// `inner` with the two reserved paths answered in front of it.
    pub fn handler<H: Handler>(&self, inner: H) -> LiveReload<H> {
        LiveReload {
            inner,
            streams: Arc::clone(&self.streams),
        }
    }

    /// Stops watching and closes every stream (their browsers see the end
    /// of the body, and reconnect when a server is back).
    pub fn stop(mut self) {
        self.stop_now();
    }

    fn stop_now(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        self.streams.close_all();
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.stop_now();
    }
}

/// The pause between looks for a look that took `look`.
fn interval_after(look: Duration) -> Duration {
    (look * INTERVAL_PER_LOOK).max(MIN_INTERVAL)
}

/// How changes are found: the kernel tells (Linux), or the tree is looked
/// at again and again (anywhere, and where watches cannot be had).
enum Detector {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    Notify(notify::Notifier),
    Poll {
        latest: Snapshot,
        interval: Duration,
    },
}

impl Detector {
    /// The kernel's way where it can be had; else polling, and why.
    fn new(root: &Path) -> (Detector, Option<String>) {
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let why_not = match notify::Notifier::new(root) {
            Ok(notifier) => return (Detector::Notify(notifier), None),
            Err(e) => Some(notify::why_not(&e)),
        };
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        let why_not = None;
        (Detector::polling(root), why_not)
    }

    /// Polling, from a first look now.
    fn polling(root: &Path) -> Detector {
        let started = Instant::now();
        let latest = Snapshot::take(root);
        Detector::Poll {
            latest,
            interval: interval_after(started.elapsed()),
        }
    }

    fn describe(&self) -> String {
        match self {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Detector::Notify(notifier) => format!(
                "{} watched with inotify",
                counted(notifier.watched_dirs(), "directory", "directories")
            ),
            Detector::Poll { latest, interval } => format!(
                "{}, looked at every {} ms",
                counted(latest.len(), "file", "files"),
                interval.as_millis()
            ),
        }
    }

    /// Waits for what changed next (a window's worth of events, or one
    /// look's); `None` once `stop` is dropped.
    fn next(&mut self, root: &Path, stop: &mpsc::Receiver<()>) -> Option<Vec<String>> {
        match self {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            Detector::Notify(notifier) => {
                if !matches!(stop.try_recv(), Err(mpsc::TryRecvError::Empty)) {
                    return None;
                }
                match notifier.wait(NOTIFY_WINDOW) {
                    Ok(changed) => Some(changed),
                    // The watches could not be kept up (past the watch limit,
                    // say): look instead, and tell "everything" (the path
                    // `""`), since changes may have gone unheard meanwhile.
                    Err(_) => {
                        *self = Detector::polling(root);
                        Some(vec![String::new()])
                    }
                }
            }
            Detector::Poll { latest, interval } => {
                if !matches!(stop.recv_timeout(*interval), Err(RecvTimeoutError::Timeout)) {
                    return None;
                }
                let started = Instant::now();
                let now = Snapshot::take(root);
                *interval = interval_after(started.elapsed());
                let changed = latest.changes(&now);
                *latest = now;
                Some(changed)
            }
        }
    }
}

/// "1 file", "2 files".
fn counted(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The watching thread's state.
struct Looker {
    root: PathBuf,
    streams: Arc<EventStreams>,
    detector: Detector,
}

impl Looker {
    /// Waits for changes and tells them, until `stop` is dropped.
    fn run(mut self, stop: &mpsc::Receiver<()>) {
        let mut burst = Burst::default();
        let mut last_sent = Instant::now();
        while let Some(changed) = self.detector.next(&self.root, stop) {
            if let Some(paths) = burst.after_look(changed, Instant::now()) {
                self.streams.send(change_event(&paths).as_bytes());
                last_sent = Instant::now();
            } else if last_sent.elapsed() >= KEEP_ALIVE_EVERY {
                self.streams.send(streams::KEEP_ALIVE);
                last_sent = Instant::now();
            }
            self.streams.forget_closed();
        }
    }
}

/// Changes gathered look after look, until a look finds nothing new (an
/// editor's save, a build's output, is over) or [`MAX_BURST`] has passed.
#[derive(Debug, Default)]
struct Burst {
    paths: BTreeSet<String>,
    began: Option<Instant>,
}

impl Burst {
    /// Adds what the look at `now` found; returns the burst's paths when
    /// it is over, to be told in one event.
    fn after_look(&mut self, changed: Vec<String>, now: Instant) -> Option<BTreeSet<String>> {
        if !changed.is_empty() {
            let began = *self.began.get_or_insert(now);
            self.paths.extend(changed);
            if now.duration_since(began) < MAX_BURST {
                return None;
            }
        }
        self.began = None;
        (!self.paths.is_empty()).then(|| std::mem::take(&mut self.paths))
    }
}

/// The event for a burst of changed paths: `event: change`, and as data a
/// JSON object naming them (some of them, for a large burst) and saying
/// whether they were all stylesheets, which a page can swap without
/// reloading.
fn change_event(paths: &BTreeSet<String>) -> String {
    let css_only = paths.iter().all(|p| p.ends_with(".css"));
    let mut named = String::new();
    let mut count = 0;
    for path in paths.iter().take(MAX_NAMED) {
        let name = crate::json::string(&format!("/{path}"));
        // An event must fit a socket's send buffer at once (see
        // `streams`): long names are counted, not named.
        if named.len() + name.len() > MAX_NAMED_BYTES {
            break;
        }
        if count > 0 {
            named.push(',');
        }
        named.push_str(&name);
        count += 1;
    }
    let more = paths.len() - count;
    format!(
        "event: change\ndata: {{\"paths\":[{named}],\"more\":{more},\"css_only\":{css_only}}}\n\n"
    )
}

/// A handler with live reload's two paths answered in front of it: the
/// event stream and the script. Everything else goes to the inner handler.
pub struct LiveReload<H> {
    inner: H,
    streams: Arc<EventStreams>,
}

impl<H: Handler> Handler for LiveReload<H> {
    fn handle(&self, request: &mut Request<'_>) -> Response {
        let path = request.path();
        if path != EVENTS_PATH && path != SCRIPT_PATH {
            return self.inner.handle(request);
        }
        if !matches!(request.method(), Method::Get | Method::Head) {
            return Response::method_not_allowed("GET, HEAD");
        }
        if path == SCRIPT_PATH {
            return Response::bytes(
                Status::OK,
                "text/javascript; charset=utf-8",
                SCRIPT.as_bytes(),
            )
            .with_header("Cache-Control", "no-cache");
        }
        self.open_stream()
    }
}

impl<H> LiveReload<H> {
    /// A stream's head, then its socket goes to the list of streams.
    fn open_stream(&self) -> Response {
        if self.streams.is_full() {
            let reason = format!(
                "{} live-reload streams are open already (the limit)",
                self.streams.max()
            );
            return Response::error_because(Status::SERVICE_UNAVAILABLE, &reason);
        }
        let streams = Arc::clone(&self.streams);
        Response::hand_over(Status::OK, "text/event-stream", move |socket| {
            streams.join(socket);
        })
        .with_header("Cache-Control", "no-store")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_names_the_paths_and_says_when_only_stylesheets_changed() {
        let paths: BTreeSet<String> = ["a/site.css".to_string()].into();
        assert_eq!(
            change_event(&paths),
            "event: change\ndata: {\"paths\":[\"/a/site.css\"],\"more\":0,\"css_only\":true}\n\n"
        );
        let paths: BTreeSet<String> = ["index.html".to_string(), "s.css".to_string()].into();
        assert!(change_event(&paths).contains("\"css_only\":false"));
    }

    #[test]
    fn a_large_burst_names_some_paths_and_counts_the_rest() {
        let paths: BTreeSet<String> = (0..200).map(|i| format!("gen/{i:03}.js")).collect();
        let event = change_event(&paths);
        assert_eq!(event.matches("/gen/").count(), MAX_NAMED);
        assert!(event.contains("\"more\":180"));
    }

    #[test]
    fn long_names_are_counted_so_an_event_stays_small() {
        let long = "\u{1}".repeat(250);
        let paths: BTreeSet<String> = (0..20).map(|i| format!("{long}{i:02}")).collect();
        let event = change_event(&paths);
        assert!(event.len() < MAX_NAMED_BYTES + 200, "{} bytes", event.len());
        assert!(event.contains("\"more\":19"), "{event}");
    }

    #[test]
    fn names_are_escaped_as_json() {
        let paths: BTreeSet<String> = ["say \"hi\"\n.html".to_string()].into();
        assert!(change_event(&paths).contains(r#""/say \"hi\"\n.html""#));
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_burst_is_told_once_when_a_look_finds_nothing_new() {
        let mut burst = Burst::default();
        let start = Instant::now();
        let look = |n: u32| start + MIN_INTERVAL * n;
        assert_eq!(burst.after_look(vec![], look(1)), None);
        assert_eq!(burst.after_look(names(&["a.html"]), look(2)), None);
        assert_eq!(burst.after_look(names(&["b.css", "a.html"]), look(3)), None);
        let told = burst
            .after_look(vec![], look(4))
            .expect("the burst is over");
        assert_eq!(told.into_iter().collect::<Vec<_>>(), ["a.html", "b.css"]);
        assert_eq!(burst.after_look(vec![], look(5)), None);
    }

    #[test]
    fn a_burst_that_goes_on_is_told_after_the_longest_wait() {
        let mut burst = Burst::default();
        let start = Instant::now();
        let mut told = Vec::new();
        for n in 0..20u32 {
            let at = start + Duration::from_millis(250) * n;
            if let Some(paths) = burst.after_look(names(&[&format!("log{n}")]), at) {
                told.push((n, paths.len()));
            }
        }
        // 250 ms apart: the burst reaches 2 s at the ninth look after its
        // first, and a new one begins at the next.
        assert_eq!(told, [(8, 9), (17, 9)]);
    }

    #[test]
    fn looks_are_spaced_by_what_they_cost() {
        assert_eq!(interval_after(Duration::from_millis(1)), MIN_INTERVAL);
        assert_eq!(
            interval_after(Duration::from_millis(40)),
            Duration::from_millis(800)
        );
    }
}
