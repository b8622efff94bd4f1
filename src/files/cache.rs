//! The small-file cache: the bytes and the rendered header lines of small
//! files, so a hot file costs no path walk, no open, no read and no close.
//!
//! An entry is made only after the slow path has done every check (decode,
//! normalise, contain, hidden files, negotiation), and it is keyed by the
//! exact URL path that passed them. Each use re-reads the metadata of the
//! file and of its directory: an edited file (size, modification time or
//! inode changed) or a new precompressed sibling (the directory changed)
//! makes the entry stale at once, and the request takes the slow path.
//! The cache holds at most [`MAX_FILE_BYTES`] per file and
//! [`MAX_TOTAL_BYTES`] in all; when full it drops arbitrary entries.

use crate::files::conditional::Validators;
use std::collections::HashMap;
use std::fs::{self, Metadata};
use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::SystemTime;

/// Files larger than this are streamed, not cached.
pub const MAX_FILE_BYTES: u64 = 64 * 1024;

/// Bound on the bytes held by the whole cache.
pub const MAX_TOTAL_BYTES: usize = 32 * 1024 * 1024;

/// What identifies a version of a file or directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    inode: u64,
}

impl Stamp {
    /// The stamp of `metadata`.
    pub fn of(metadata: &Metadata) -> Stamp {
        Stamp {
            len: metadata.len(),
            modified: metadata.modified().ok(),
            inode: inode(metadata),
        }
    }
}

#[cfg(unix)]
fn inode(metadata: &Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    metadata.ino()
}

#[cfg(not(unix))]
fn inode(_metadata: &Metadata) -> u64 {
    0
}

/// One cached file.
#[derive(Debug)]
pub struct CachedFile {
    /// The real path the entry was read from.
    pub real: PathBuf,
    /// The file's stamp when it was read.
    pub stamp: Stamp,
    /// The directory holding it, and its stamp then.
    pub dir: PathBuf,
    /// The directory's stamp when the file was read.
    pub dir_stamp: Stamp,
    /// ETag and Last-Modified.
    pub validators: Validators,
    /// The header lines of a 200 answer, rendered (`Name: value\r\n`...).
    pub header_lines: Arc<[u8]>,
    /// The file's bytes.
    pub body: Arc<[u8]>,
}

impl CachedFile {
    /// Whether the file and its directory are unchanged since caching.
    fn is_fresh(&self) -> bool {
        let same = |path: &PathBuf, stamp: &Stamp| {
            fs::metadata(path).is_ok_and(|m| Stamp::of(&m) == *stamp)
        };
        same(&self.real, &self.stamp) && same(&self.dir, &self.dir_stamp)
    }

    fn size(&self) -> usize {
        self.body.len() + self.header_lines.len()
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
        let entry = {
            let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(entries.by_path.get(url_path)?)
        };
        if entry.is_fresh() {
            return Some(entry);
        }
        self.remove(url_path);
        None
    }

    /// Caches `file` under `url_path`, making room if needed.
    pub fn insert(&self, url_path: &str, file: Arc<CachedFile>) {
        let size = file.size();
        if size > MAX_TOTAL_BYTES {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        while entries.total + size > MAX_TOTAL_BYTES {
            let Some(victim) = entries.by_path.keys().next().cloned() else {
                break;
            };
            if let Some(old) = entries.by_path.remove(&victim) {
                entries.total -= old.size();
            }
        }
        if let Some(old) = entries.by_path.insert(url_path.into(), file) {
            entries.total -= old.size();
        }
        entries.total += size;
    }

    fn remove(&self, url_path: &str) {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(old) = entries.by_path.remove(url_path) {
            entries.total -= old.size();
        }
    }

    /// Bytes held.
    pub fn total_bytes(&self) -> usize {
        self.entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .total
    }
}
