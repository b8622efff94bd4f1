//! Finding what changed under a directory, by looking again: a snapshot of
//! every shown file's size, times and inode, and the difference between
//! two snapshots.
//!
//! Polling works on every system and every file system with std alone.
//! On Linux `notify` (inotify) is tried first and this is the way where
//! its watches cannot be had; elsewhere it is the only way (macOS's
//! FSEvents and the BSDs' kqueue would each need foreign calls of their
//! own). Its cost is one `stat` per file per look, which
//! [`super::Watcher`] keeps small by spacing the looks by how long one
//! takes. Hidden names (editors' swap and lock files, uploads in
//! progress) are never watched, even with `--hidden`, nor backups ending
//! in `~`.
//!
//! This module only compares; when to look and whom to tell is
//! [`super::Watcher`]'s.

use crate::sys::{self, OpenKind};
use std::collections::HashMap;
use std::fs::{self, File, Metadata, ReadDir};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::os::unix::io::AsRawFd;
use std::path::Path;

/// What identifies one version of a file: any change to its bytes moves
/// its modification or change time, and a replacement (an editor's rename
/// over it) changes its inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Version {
    len: u64,
    modified: (i64, i64),
    changed: (i64, i64),
    inode: u64,
}

impl Version {
    fn of(metadata: &Metadata) -> Version {
        Version {
            len: metadata.len(),
            modified: (metadata.mtime(), metadata.mtime_nsec()),
            changed: (metadata.ctime(), metadata.ctime_nsec()),
            inode: metadata.ino(),
        }
    }
}

/// Every watched file under a root, by its path from the root with `/`
/// between names (the URL path without its leading `/`).
#[derive(Debug, Default)]
pub struct Snapshot {
    files: HashMap<String, Version>,
}

/// Most directory levels walked: deeper trees are not watched below it
/// (and a loop of directories cannot make the walk endless).
const MAX_DEPTH: usize = 64;

impl Snapshot {
    /// Looks at every watched file under `root`. Symbolic links are
    /// watched as what they lead to, but the walk never enters a linked
    /// directory (links can make loops, and can lead out of the tree).
    /// What cannot be read is left out, as it could not be served.
    pub fn take(root: &Path) -> Snapshot {
        let mut snapshot = Snapshot::default();
        if let Ok(dir) = File::open(root) {
            snapshot.walk(&dir, root, &mut String::new(), 0);
        }
        snapshot
    }

    /// How many files it holds.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Adds the files under the open directory `dir`, found at `path`.
    /// The names are read through the descriptor and each subdirectory is
    /// opened from it without following a link, so a directory swapped for
    /// a link after it was listed is never walked: no name from outside
    /// the tree is ever told as one of its own. (Metadata is read by name:
    /// at worst a swap makes a file look changed.)
    fn walk(&mut self, dir: &File, path: &Path, prefix: &mut String, depth: usize) {
        let Ok(entries) = read_dir_of(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if !is_watched(&name) {
                continue;
            }
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let before = prefix.len();
            prefix.push_str(&name);
            let path = path.join(&name);
            if kind.is_dir() {
                if depth < MAX_DEPTH {
                    if let Some(sub) = open_subdir(dir, &path) {
                        prefix.push('/');
                        self.walk(&sub, &path, prefix, depth + 1);
                    }
                }
            } else {
                // For a link, what it leads to (`fs::metadata` follows).
                let metadata = if kind.is_symlink() {
                    fs::metadata(&path)
                } else {
                    fs::symlink_metadata(&path)
                };
                if let Ok(metadata) = metadata {
                    if !metadata.is_dir() {
                        self.files.insert(prefix.clone(), Version::of(&metadata));
                    }
                }
            }
            prefix.truncate(before);
        }
    }

    /// The paths that are new, gone or changed in `newer`, sorted.
    pub fn changes(&self, newer: &Snapshot) -> Vec<String> {
        let mut changed: Vec<String> = newer
            .files
            .iter()
            .filter(|(path, version)| self.files.get(*path) != Some(version))
            .map(|(path, _)| path.clone())
            .collect();
        changed.extend(
            self.files
                .keys()
                .filter(|path| !newer.files.contains_key(*path))
                .cloned(),
        );
        changed.sort();
        changed
    }
}

/// Lists the directory behind `dir`: `/dev/fd/N` names the open
/// descriptor itself, so what is listed is the directory that was opened.
fn read_dir_of(dir: &File) -> io::Result<ReadDir> {
    fs::read_dir(format!("/dev/fd/{}", dir.as_raw_fd()))
}

/// Opens the subdirectory at `path` from its parent `dir`, refusing a link
/// in its place. Without `openat` (systems `sys` has no flags for), by
/// name, kept only if it is still the directory that was there before
/// the open.
fn open_subdir(dir: &File, path: &Path) -> Option<File> {
    let name = path.file_name()?;
    match sys::open_at(dir, name, OpenKind::Directory) {
        Err(e) if e.kind() == io::ErrorKind::Unsupported => {
            let seen = fs::symlink_metadata(path).ok()?;
            let sub = File::open(path).ok()?;
            let opened = sub.metadata().ok()?;
            let same = (seen.dev(), seen.ino()) == (opened.dev(), opened.ino());
            (seen.is_dir() && same).then_some(sub)
        }
        opened => opened.ok(),
    }
}

/// Whether a name is watched: what a listing shows by default (no
/// dotfiles, whatever `--hidden` says), less editors' backups.
pub(crate) fn is_watched(name: &str) -> bool {
    !name.starts_with('.') && !name.ends_with('~')
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn temp_tree(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("hfs-scan-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("sub")).unwrap();
        fs::write(dir.join("index.html"), "<p>hi</p>").unwrap();
        fs::write(dir.join("sub/style.css"), "p {}").unwrap();
        dir
    }

    #[test]
    fn nothing_changed_is_no_change() {
        let dir = temp_tree("same");
        let first = Snapshot::take(&dir);
        assert_eq!(first.len(), 2);
        assert!(first.changes(&Snapshot::take(&dir)).is_empty());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn new_gone_and_rewritten_files_are_changes() {
        let dir = temp_tree("changes");
        let first = Snapshot::take(&dir);
        fs::write(dir.join("sub/new.js"), "1").unwrap();
        fs::remove_file(dir.join("index.html")).unwrap();
        fs::write(dir.join("sub/style.css"), "p { color: red }").unwrap();
        let changes = first.changes(&Snapshot::take(&dir));
        assert_eq!(changes, ["index.html", "sub/new.js", "sub/style.css"]);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_file_replaced_by_rename_is_a_change_even_with_the_same_size() {
        let dir = temp_tree("rename");
        let first = Snapshot::take(&dir);
        // What editors do on save: write a new file, rename it over.
        fs::write(dir.join("swap"), "<p>ho</p>").unwrap();
        fs::rename(dir.join("swap"), dir.join("index.html")).unwrap();
        assert_eq!(first.changes(&Snapshot::take(&dir)), ["index.html"]);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn hidden_names_and_backups_are_not_watched() {
        let dir = temp_tree("hidden");
        let first = Snapshot::take(&dir);
        fs::write(dir.join(".index.html.swp"), "x").unwrap();
        fs::write(dir.join("index.html~"), "x").unwrap();
        fs::create_dir(dir.join(".git")).unwrap();
        fs::write(dir.join(".git/HEAD"), "x").unwrap();
        assert!(first.changes(&Snapshot::take(&dir)).is_empty());
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn linked_directories_are_not_entered() {
        let dir = temp_tree("loop");
        std::os::unix::fs::symlink(&dir, dir.join("sub/again")).unwrap();
        let snapshot = Snapshot::take(&dir);
        assert_eq!(snapshot.len(), 2);
        fs::remove_dir_all(dir).unwrap();
    }

    /// Regression: the walk listed a subdirectory by its name, so one
    /// swapped for a link to elsewhere between being seen as a directory
    /// and being read had the names of what the link leads to told as the
    /// tree's (a link to `/` would have walked the whole system).
    #[test]
    fn a_directory_swapped_for_a_link_is_never_walked() {
        use std::sync::atomic::{AtomicBool, Ordering};
        use std::sync::Arc;
        let base = temp_tree("swap");
        let root = base.join("root");
        fs::create_dir_all(root.join("d")).unwrap();
        fs::write(root.join("d/inside.html"), "x").unwrap();
        fs::create_dir_all(base.join("outside/deeper")).unwrap();
        fs::write(base.join("outside/OUTSIDE.txt"), "x").unwrap();
        fs::write(base.join("outside/deeper/OUTSIDE.txt"), "x").unwrap();
        std::os::unix::fs::symlink(base.join("outside"), base.join("link")).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let swapper = {
            let (root, base, stop) = (root.clone(), base.clone(), Arc::clone(&stop));
            std::thread::spawn(move || {
                // A directory cannot be renamed over a link: each goes aside.
                while !stop.load(Ordering::Relaxed) {
                    fs::rename(root.join("d"), base.join("real")).unwrap();
                    fs::rename(base.join("link"), root.join("d")).unwrap();
                    fs::rename(root.join("d"), base.join("link")).unwrap();
                    fs::rename(base.join("real"), root.join("d")).unwrap();
                }
            })
        };
        let (mut inside, mut leaked) = (0, Vec::new());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
        while std::time::Instant::now() < deadline {
            let snapshot = Snapshot::take(&root);
            inside += usize::from(snapshot.files.contains_key("d/inside.html"));
            leaked.extend(snapshot.files.into_keys().filter(|p| p.contains("OUTSIDE")));
        }
        stop.store(true, Ordering::Relaxed);
        swapper.join().unwrap();
        assert!(
            leaked.is_empty(),
            "{} outside names seen, such as {:?}",
            leaked.len(),
            leaked.first()
        );
        assert!(inside > 0, "the real directory was never walked");
        fs::remove_dir_all(base).unwrap();
    }
}
