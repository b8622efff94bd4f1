//! The small-file cache: the bytes and the rendered header lines of small
//! files, so a hot file costs no path walk, no open, no read and no close.
//!
//! An entry is made only after the slow path has done every check (decode,
//! normalise, contain, hidden files, negotiation), and it is keyed by the
//! exact URL path that passed them. Only URL paths already in clean form
//! are cached (one entry per file, whatever aliases a client invents).
//!
//! Each use stats the path the URL names, following links afresh: an edited
//! or replaced file (see [`Stamp`]) makes the entry stale at once, and the
//! request takes the slow path. The file's directory, where a new
//! precompressed sibling or a higher-priority index shows, is re-checked at
//! most once a second: such a change is served within a second, and most
//! hits cost one `stat` instead of two.
//!
//! The cache holds at most [`MAX_FILE_BYTES`] per file and
//! [`MAX_TOTAL_BYTES`] in all; when full it drops arbitrary entries.

use crate::files::conditional::Validators;
use crate::http::date;
use std::collections::HashMap;
use std::fs::{self, Metadata};
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::SystemTime;

/// Files larger than this are streamed, not cached.
pub const MAX_FILE_BYTES: u64 = 64 * 1024;

/// Bound on the bytes held by the whole cache.
pub const MAX_TOTAL_BYTES: usize = 32 * 1024 * 1024;

/// What identifies a version of a file or directory: size, modification
/// time, and on Unix the device and inode (a replaced file or a retargeted
/// symlink), the change time and the mode (a `chmod` that should now give 403).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    unix: UnixStamp,
}

impl Stamp {
    /// The stamp of `metadata`.
    pub fn of(metadata: &Metadata) -> Stamp {
        Stamp {
            len: metadata.len(),
            modified: metadata.modified().ok(),
            unix: UnixStamp::of(metadata),
        }
    }
}

/// The part of a [`Stamp`] that only Unix reports (all zero elsewhere).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
struct UnixStamp {
    /// With `inode`: which file this is, so another one renamed into place
    /// or a symlink pointed elsewhere differs even at the same size and time.
    device: u64,
    inode: u64,
    /// The change time, seconds and nanoseconds: every write, rename or
    /// `chmod` sets it, and unlike the modification time it cannot be set
    /// back by hand.
    changed_secs: i64,
    changed_nanos: i64,
    /// File type and permission bits: a `chmod` that should now give 403.
    mode: u32,
}

impl UnixStamp {
    #[cfg(unix)]
    fn of(metadata: &Metadata) -> UnixStamp {
        use std::os::unix::fs::MetadataExt;
        UnixStamp {
            device: metadata.dev(),
            inode: metadata.ino(),
            changed_secs: metadata.ctime(),
            changed_nanos: metadata.ctime_nsec(),
            mode: metadata.mode(),
        }
    }

    #[cfg(not(unix))]
    fn of(_metadata: &Metadata) -> UnixStamp {
        UnixStamp::default()
    }
}

/// Whether a URL path is already in the form cleaning would give it: no
/// escapes, no empty or dot segments. Only such paths are cached, so one
/// file has one entry, not one per way of spelling its path.
pub fn is_canonical_url_path(path: &str) -> bool {
    let Some(rest) = path.strip_prefix('/') else {
        return false;
    };
    !rest.contains('%')
        && !rest.starts_with('/')
        && !rest.contains("//")
        && rest
            .split('/')
            .all(|segment| segment != "." && segment != "..")
}

/// One cached file.
#[derive(Debug)]
pub struct CachedFile {
    /// The path the URL names under the root, symlinks unresolved, so that
    /// checking it follows any link afresh (a retargeted link shows up as a
    /// different inode).
    pub lookup: PathBuf,
    /// The file's stamp when it was read.
    pub stamp: Stamp,
    /// The directory holding it.
    pub dir: PathBuf,
    /// The directory's stamp, taken before its precompressed siblings were
    /// looked for: a sibling that appears after that makes the entry stale.
    pub dir_stamp: Stamp,
    /// The second (Unix time) the directory was last found unchanged.
    pub dir_checked_at: AtomicI64,
    /// ETag and Last-Modified.
    pub validators: Validators,
    /// The header lines of a 200 answer, rendered (`Name: value\r\n`...).
    pub header_lines: Arc<[u8]>,
    /// The file's bytes.
    pub body: Arc<[u8]>,
}

impl CachedFile {
    /// Whether the file is unchanged since caching, and its directory too,
    /// `now` being the current Unix second. The file is checked on every
    /// use, so an edit shows at once; the directory (which only reveals a
    /// new precompressed sibling or index) at most once a second, which
    /// saves a system call on nearly every hit.
    fn is_fresh(&self, now: i64) -> bool {
        let same = |path: &PathBuf, stamp: &Stamp| {
            fs::metadata(path).is_ok_and(|m| Stamp::of(&m) == *stamp)
        };
        if !same(&self.lookup, &self.stamp) {
            return false;
        }
        if self.dir_checked_at.load(Ordering::Relaxed) == now {
            return true;
        }
        let fresh = same(&self.dir, &self.dir_stamp);
        if fresh {
            self.dir_checked_at.store(now, Ordering::Relaxed);
        }
        fresh
    }

    /// Bytes held for this entry (its key counted by the caller).
    fn size(&self) -> usize {
        let paths = self.lookup.as_os_str().len() + self.dir.as_os_str().len();
        self.body.len() + self.header_lines.len() + paths + 256
    }
}

/// URL path -> cached file.
#[derive(Debug, Default)]
pub struct FileCache {
    entries: RwLock<Entries>,
}

#[derive(Debug, Default)]
struct Entries {
    by_path: HashMap<Box<str>, Arc<CachedFile>>,
    total: usize,
}

impl FileCache {
    /// The fresh entry for `url_path`, if any. A stale one is dropped.
    pub fn get(&self, url_path: &str) -> Option<Arc<CachedFile>> {
        self.get_at(url_path, date::unix_seconds(SystemTime::now()))
    }

    /// [`FileCache::get`] at `now`, a Unix second: the clock the directory
    /// re-check goes by, read by the caller so that tests can move it.
    fn get_at(&self, url_path: &str, now: i64) -> Option<Arc<CachedFile>> {
        let entry = {
            let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(entries.by_path.get(url_path)?)
        };
        if entry.is_fresh(now) {
            return Some(entry);
        }
        self.remove(url_path);
        None
    }

    /// Caches `file` under `url_path`, making room if needed.
    pub fn insert(&self, url_path: &str, file: Arc<CachedFile>) {
        let size = file.size() + url_path.len();
        if size > MAX_TOTAL_BYTES {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        while entries.total + size > MAX_TOTAL_BYTES {
            let Some(victim) = entries.by_path.keys().next().cloned() else {
                break;
            };
            if let Some(old) = entries.by_path.remove(&victim) {
                entries.total -= old.size() + victim.len();
            }
        }
        if let Some(old) = entries.by_path.insert(url_path.into(), file) {
            entries.total -= old.size() + url_path.len();
        }
        entries.total += size;
    }

    fn remove(&self, url_path: &str) {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(old) = entries.by_path.remove(url_path) {
            entries.total -= old.size() + url_path.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::time::{Duration, UNIX_EPOCH};

    /// Any Unix second: the tests move the clock, not wait for it.
    const NOW: i64 = 1_000_000;

    /// A directory under the system temp dir, removed on drop.
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(label: &str) -> TempDir {
            let path =
                std::env::temp_dir().join(format!("hfs-cache-{}-{label}", std::process::id()));
            let _ = fs::remove_dir_all(&path);
            fs::create_dir_all(&path).unwrap();
            // Set back, so that adding a name changes the directory's stamp
            // even where file times are only as fine as a clock tick.
            fs::File::open(&path)
                .unwrap()
                .set_modified(UNIX_EPOCH + Duration::from_secs(1_700_000_000))
                .unwrap();
            TempDir(path)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    /// A cache holding `/app.js`, made as the file server makes an entry:
    /// the file and its directory stamped as they are now.
    fn cached_app_js(dir: &Path) -> FileCache {
        let lookup = dir.join("app.js");
        fs::write(&lookup, b"console.log(1)").unwrap();
        let metadata = fs::metadata(&lookup).unwrap();
        let entry = CachedFile {
            stamp: Stamp::of(&metadata),
            dir: dir.to_path_buf(),
            dir_stamp: Stamp::of(&fs::metadata(dir).unwrap()),
            dir_checked_at: AtomicI64::new(i64::MIN),
            validators: Validators::for_file(&metadata, None),
            header_lines: Arc::from(&b"Content-Type: text/javascript\r\n"[..]),
            body: Arc::from(&b"console.log(1)"[..]),
            lookup,
        };
        let cache = FileCache::default();
        cache.insert("/app.js", Arc::new(entry));
        cache
    }

    fn is_empty(cache: &FileCache) -> bool {
        let entries = cache.entries.read().unwrap();
        entries.by_path.is_empty() && entries.total == 0
    }

    #[test]
    fn a_new_entry_checks_its_directory_on_first_use() {
        let dir = TempDir::new("first-use");
        let cache = cached_app_js(&dir.0);
        fs::write(dir.0.join("app.js.gz"), b"gzip").unwrap();
        assert!(cache.get_at("/app.js", NOW).is_none());
        assert!(is_empty(&cache), "the stale entry is dropped");
    }

    #[test]
    fn a_checked_directory_is_trusted_for_the_rest_of_the_second() {
        let dir = TempDir::new("once-a-second");
        let cache = cached_app_js(&dir.0);
        assert!(cache.get_at("/app.js", NOW).is_some(), "unchanged");
        fs::write(dir.0.join("app.js.gz"), b"gzip").unwrap();
        assert!(
            cache.get_at("/app.js", NOW).is_some(),
            "the directory was checked this second: not looked at again"
        );
        assert!(
            cache.get_at("/app.js", NOW + 1).is_none(),
            "the next second it is, and the new sibling makes the entry stale"
        );
        assert!(is_empty(&cache), "the stale entry is dropped");
    }

    #[test]
    fn an_edited_file_is_stale_within_the_second() {
        let dir = TempDir::new("edited");
        let cache = cached_app_js(&dir.0);
        assert!(cache.get_at("/app.js", NOW).is_some(), "unchanged");
        fs::write(dir.0.join("app.js"), b"console.log(2);").unwrap();
        assert!(cache.get_at("/app.js", NOW).is_none());
        assert!(is_empty(&cache), "the stale entry is dropped");
    }

    #[test]
    fn only_clean_url_paths_are_cache_keys() {
        for clean in ["/", "/a.txt", "/dir/", "/dir/a.txt", "/a.b/c"] {
            assert!(is_canonical_url_path(clean), "{clean}");
        }
        for alias in [
            "/%61.txt",
            "//a.txt",
            "/dir//a.txt",
            "/./a.txt",
            "/b/../a.txt",
            "/dir/.",
            "/dir/..",
            "a.txt",
        ] {
            assert!(!is_canonical_url_path(alias), "{alias}");
        }
    }
}
