//! Change detection on Linux: `inotify` watches on every watched
//! directory, so the kernel says what changed and nothing is looked at
//! again. Reads nothing while nothing changes, and tells at once.
//!
//! One watch per directory (not per file): a directory's watch reports
//! writes to, creations, removals and renames of the names in it. A new
//! directory gets its own watch as it appears. When the kernel's queue
//! overflowed or a directory moved (its watch would report under its old
//! name), the watches are set up again from scratch and the change is
//! told as "everything" ([`super::scan`]'s polling is the fallback when
//! watches cannot be had at all, such as past the per-user limit).
//!
//! A symbolic link is watched as a name in its directory (made, removed,
//! replaced), not as what it leads to, which may be anywhere: a write to
//! its target is heard only when the target is in the tree itself, under
//! its own name. (Polling looks at what a link to a file leads to, but is
//! used only where watches cannot be had.)
//!
//! This module only reports paths; how long to wait, when a burst is over
//! and what the event says are [`super::Watcher`]'s.

use super::scan::is_watched;
use crate::sys::inotify::{self, Inotify};
use crate::sys::poll::{self, PollFd};
use crate::sys::{self, Interest, OpenKind};
use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs::{self, File};
use std::io;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What a directory's watch reports. The watch is added through the
/// descriptor of the directory, opened without following a link (so the
/// `/dev/fd/N` link must be followed: no `IN_DONT_FOLLOW`).
const MASK: u32 = inotify::IN_MODIFY
    | inotify::IN_ATTRIB
    | inotify::IN_CREATE
    | inotify::IN_DELETE
    | inotify::IN_MOVED_FROM
    | inotify::IN_MOVED_TO
    | inotify::IN_MOVE_SELF
    | inotify::IN_ONLYDIR;

/// Most directory levels watched, as for polling.
const MAX_DEPTH: usize = 64;

/// `ENOSPC` from `inotify_add_watch`: the per-user watch limit.
const ENOSPC: i32 = 28;

/// `EMFILE` from `inotify_init1`: the per-user instance limit, or the
/// process's open-file limit.
const EMFILE: i32 = 24;

/// Room for many events per read (each is 16 bytes and a padded name).
const READ_BYTES: usize = 64 * 1024;

/// Why watches could not be had, in words an operator can act on: the
/// kernel's own words for its limits ("No space left on device", "Too
/// many open files") point elsewhere.
pub fn why_not(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(ENOSPC) => {
            "no inotify: past the per-user watch limit, fs.inotify.max_user_watches".to_string()
        }
        Some(EMFILE) => "no inotify: past the per-user instance limit, \
                         fs.inotify.max_user_instances, or the open-file limit"
            .to_string(),
        _ => format!("no inotify: {e}"),
    }
}

/// The watches on one tree.
pub struct Notifier {
    root: PathBuf,
    inotify: Inotify,
    /// Each watch's directory, as a path from the root ending in `/` (the
    /// root itself is `""`).
    dirs: HashMap<i32, String>,
    buf: Vec<u8>,
}

impl Notifier {
    /// Watches every watched directory under `root`.
    ///
    /// # Errors
    ///
    /// When inotify is not available or a watch cannot be added (past the
    /// per-user limit): polling is then the way.
    pub fn new(root: &Path) -> io::Result<Notifier> {
        let mut notifier = Notifier {
            root: root.to_path_buf(),
            inotify: Inotify::new()?,
            dirs: HashMap::new(),
            buf: vec![0; READ_BYTES],
        };
        let dir = File::open(root)?;
        notifier.watch_tree(&dir, "", 0, &mut Vec::new())?;
        Ok(notifier)
    }

    /// How many directories are watched.
    pub fn watched_dirs(&self) -> usize {
        self.dirs.len()
    }

    /// Watches the open directory `dir`, at `at` (from the root, `""` or
    /// ending in `/`), and every watched directory under it; the files
    /// found go in `files` (a directory that appears is news for each file
    /// in it). Everything goes through descriptors, each subdirectory
    /// opened from its parent without following a link: a directory
    /// replaced by a link after it was listed is neither listed nor
    /// watched, so no name from outside the tree is told as its own.
    fn watch_tree(
        &mut self,
        dir: &File,
        at: &str,
        depth: usize,
        files: &mut Vec<String>,
    ) -> io::Result<()> {
        let path = PathBuf::from(format!("/dev/fd/{}", dir.as_raw_fd()));
        let watch = match self.inotify.add_watch(&path, MASK) {
            Ok(watch) => watch,
            // Past the watch limit: no watching this way at all.
            Err(e) if e.raw_os_error() == Some(ENOSPC) || at.is_empty() => return Err(e),
            // Gone (or no longer a directory) as soon as it came.
            Err(_) => return Ok(()),
        };
        self.dirs.insert(watch, at.to_string());
        // A directory that vanished meanwhile has nothing to watch.
        let Ok(entries) = fs::read_dir(&path) else {
            return Ok(());
        };
        for entry in entries.flatten() {
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if !is_watched(&name) {
                continue;
            }
            if kind.is_dir() && depth < MAX_DEPTH {
                // Gone, or a link by now: nothing of the tree to watch.
                if let Ok(sub) = sys::open_at(dir, OsStr::new(&name), OpenKind::Directory) {
                    self.watch_tree(&sub, &format!("{at}{name}/"), depth + 1, files)?;
                }
            } else if !kind.is_dir() {
                files.push(format!("{at}{name}"));
            }
        }
        Ok(())
    }

    /// Waits up to `window` for changes, then takes every event there is.
    /// Returns the changed paths (from the root), or `[""]` (the whole
    /// tree) when the watches had to be set up again.
    ///
    /// # Errors
    ///
    /// When the watches can no longer be kept (the caller falls back to
    /// polling).
    pub fn wait(&mut self, window: Duration) -> io::Result<Vec<String>> {
        let mut fds = [PollFd::new(self.inotify.raw_fd(), Interest::Read)];
        poll::wait(&mut fds, Some(window))?;
        let mut changed = Vec::new();
        let mut start_again = false;
        loop {
            let len = match self.inotify.read(&mut self.buf) {
                Ok(len) => len,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            let buf = std::mem::take(&mut self.buf);
            for (watch, mask, name) in inotify::events(&buf[..len]) {
                start_again |= self.note(watch, mask, name, &mut changed)?;
            }
            self.buf = buf;
        }
        if start_again {
            self.start_again()?;
            return Ok(vec![String::new()]);
        }
        Ok(changed)
    }

    /// Takes one event; `true` when the watches must be set up again.
    fn note(
        &mut self,
        watch: i32,
        mask: u32,
        name: &[u8],
        changed: &mut Vec<String>,
    ) -> io::Result<bool> {
        if mask & inotify::IN_Q_OVERFLOW != 0 || mask & inotify::IN_MOVE_SELF != 0 {
            return Ok(true);
        }
        if mask & inotify::IN_IGNORED != 0 {
            self.dirs.remove(&watch);
            return Ok(false);
        }
        let (Some(dir), Ok(name)) = (self.dirs.get(&watch), std::str::from_utf8(name)) else {
            return Ok(false);
        };
        if name.is_empty() || !is_watched(name) {
            return Ok(false);
        }
        let path = format!("{dir}{name}");
        if mask & inotify::IN_ISDIR == 0 {
            changed.push(path);
            return Ok(false);
        }
        if mask & inotify::IN_MOVED_FROM != 0 {
            // Its watch still reports, under the old name: start again.
            return Ok(true);
        }
        if mask & (inotify::IN_CREATE | inotify::IN_MOVED_TO) != 0 {
            let before = changed.len();
            // As deep as the first walk goes, and no deeper.
            let depth = path.split('/').count();
            if depth <= MAX_DEPTH {
                if let Ok(dir) = self.open_dir(&path) {
                    self.watch_tree(&dir, &format!("{path}/"), depth, changed)?;
                }
            }
            if changed.len() == before {
                changed.push(path);
            }
        } else {
            // Removed: its files went first, each with its own event.
            changed.push(path);
        }
        Ok(false)
    }

    /// Opens the directory at `path` (from the root) one name at a time,
    /// never through a link.
    fn open_dir(&self, path: &str) -> io::Result<File> {
        let mut dir = File::open(&self.root)?;
        for name in path.split('/').filter(|name| !name.is_empty()) {
            dir = sys::open_at(&dir, OsStr::new(name), OpenKind::Directory)?;
        }
        Ok(dir)
    }

    /// New watches for the whole tree, on a new instance (the old one's
    /// watches may name directories by where they used to be).
    fn start_again(&mut self) -> io::Result<()> {
        *self = Notifier::new(&self.root)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_tree(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("hfs-notify-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("sub")).unwrap();
        fs::write(dir.join("sub/page.html"), "x").unwrap();
        dir
    }

    #[test]
    fn the_kernel_s_limits_are_named_for_the_operator() {
        let why = why_not(&io::Error::from_raw_os_error(ENOSPC));
        assert!(why.contains("fs.inotify.max_user_watches"), "{why}");
        assert!(!why.contains("space"), "{why}");
        let why = why_not(&io::Error::from_raw_os_error(EMFILE));
        assert!(why.contains("fs.inotify.max_user_instances"), "{why}");
        let why = why_not(&io::Error::from(io::ErrorKind::PermissionDenied));
        assert!(why.starts_with("no inotify: "), "{why}");
    }

    /// Waits until the changes seen include `want`.
    fn wait_for(notifier: &mut Notifier, want: &str) -> Vec<String> {
        let mut seen = Vec::new();
        for _ in 0..200 {
            seen.extend(notifier.wait(Duration::from_millis(100)).unwrap());
            if seen.iter().any(|p| p == want) {
                return seen;
            }
        }
        panic!("{want} not seen in {seen:?}");
    }

    #[test]
    fn writes_in_a_subdirectory_are_seen() {
        let dir = temp_tree("write");
        let mut notifier = Notifier::new(&dir).unwrap();
        assert_eq!(notifier.watched_dirs(), 2);
        fs::write(dir.join("sub/page.html"), "changed").unwrap();
        wait_for(&mut notifier, "sub/page.html");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_new_directory_is_watched_and_its_files_told() {
        let dir = temp_tree("newdir");
        let mut notifier = Notifier::new(&dir).unwrap();
        let staged = dir.with_extension("staged");
        fs::create_dir_all(staged.join("deep")).unwrap();
        fs::write(staged.join("deep/a.css"), "a").unwrap();
        fs::rename(&staged, dir.join("new")).unwrap();
        wait_for(&mut notifier, "new/deep/a.css");
        fs::write(dir.join("new/deep/b.js"), "b").unwrap();
        wait_for(&mut notifier, "new/deep/b.js");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn hidden_names_are_not_told() {
        let dir = temp_tree("hidden");
        let mut notifier = Notifier::new(&dir).unwrap();
        fs::write(dir.join(".page.html.swp"), "x").unwrap();
        fs::write(dir.join("marker"), "x").unwrap();
        let seen = wait_for(&mut notifier, "marker");
        assert!(seen.iter().all(|p| p == "marker"), "{seen:?}");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_directory_moved_away_sets_the_watches_up_again() {
        let dir = temp_tree("moved");
        let mut notifier = Notifier::new(&dir).unwrap();
        fs::rename(dir.join("sub"), dir.join("renamed")).unwrap();
        wait_for(&mut notifier, "");
        fs::write(dir.join("renamed/page.html"), "y").unwrap();
        wait_for(&mut notifier, "renamed/page.html");
        fs::remove_dir_all(dir).unwrap();
    }

    /// Regression: a new directory was watched as if it stood just below
    /// the root, so a chain made one level at a time was watched however
    /// deep it went (polling stops at the same depth as the first walk).
    #[test]
    fn new_directories_past_the_deepest_level_are_not_watched() {
        let dir = temp_tree("deep");
        let mut notifier = Notifier::new(&dir).unwrap();
        let mut path = dir.join("sub");
        let mut name = String::from("sub");
        for depth in 2..MAX_DEPTH + 5 {
            path.push("d");
            name.push_str("/d");
            fs::create_dir(&path).unwrap();
            // Told while its parent is watched; below that, nothing hears.
            if depth <= MAX_DEPTH + 1 {
                wait_for(&mut notifier, &name);
            }
        }
        notifier.wait(Duration::from_millis(200)).unwrap();
        // The root and one directory for each level down to the deepest.
        assert_eq!(notifier.watched_dirs(), MAX_DEPTH + 1);
        fs::remove_dir_all(dir).unwrap();
    }

    /// Regression: a new directory was watched and listed by its name, so
    /// one removed and replaced by a link to elsewhere in between had the
    /// names there told as the tree's, and its subdirectories watched.
    #[test]
    fn a_directory_replaced_by_a_link_is_never_listed_nor_watched() {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::Arc;
        let base = temp_tree("swap");
        let root = base.join("sub");
        fs::create_dir_all(base.join("outside/deeper")).unwrap();
        fs::write(base.join("outside/OUTSIDE.txt"), "x").unwrap();
        let mut notifier = Notifier::new(&root).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let swapper = {
            let (root, base, stop) = (root.clone(), base.clone(), Arc::clone(&stop));
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    fs::create_dir(root.join("d")).unwrap();
                    fs::remove_dir(root.join("d")).unwrap();
                    std::os::unix::fs::symlink(base.join("outside"), root.join("d")).unwrap();
                    fs::remove_file(root.join("d")).unwrap();
                }
            })
        };
        let mut seen = Vec::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(3);
        while std::time::Instant::now() < deadline {
            seen.extend(notifier.wait(Duration::from_millis(10)).unwrap());
        }
        stop.store(true, Ordering::Relaxed);
        swapper.join().unwrap();
        // What is written outside now must not be told either.
        fs::write(base.join("outside/deeper/LATER.txt"), "x").unwrap();
        fs::write(root.join("marker"), "x").unwrap();
        seen.extend(wait_for(&mut notifier, "marker"));
        let leaked: Vec<_> = seen
            .iter()
            .filter(|p| p.contains("OUTSIDE") || p.contains("deeper"))
            .collect();
        assert!(
            leaked.is_empty(),
            "{} outside names told, such as {:?}",
            leaked.len(),
            leaked.first()
        );
        assert!(seen.iter().any(|p| p == "d"), "the swap was never seen");
        fs::remove_dir_all(base).unwrap();
    }
}
