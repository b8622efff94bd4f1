//! `--check`: the served tree linted instead of served.
//!
//! This module owns the walk and the list of what counts as a problem:
//! anything that would break serving or surprise the person serving —
//! symlinks the door will not follow (leading outside the root without
//! `--follow-symlinks`, or nowhere), files and directories that cannot be
//! read, precompressed siblings (`FILE.br`, `.zst`, `.gz`) older than their
//! source, names in one directory that differ only in case,
//! names that are not UTF-8, extensions with no media type, and `--spa`,
//! `--404` and `--index` files that are missing.
//!
//! Everything is opened through the door ([`Root`]) with the settings the
//! server would use, so "served" means here what it means to a request:
//! hidden names are skipped unless `--hidden`, links are followed by the
//! same containment rule. Only to say *why* the door refused a name (a
//! link that leaves the root, or one that leads nowhere) does the walk
//! look at the name itself on disk; nothing is read through it. Each
//! directory is walked once, however many links lead to it, so a loop of
//! links ends; and the walk stops after [`MAX_ENTRIES`] names.
//!
//! It does not print or decide the exit status: that is the binary's
//! (`main.rs`). It changes nothing on disk.

use super::listing::is_shown;
use super::negotiate::CODINGS;
use super::open::{Location, OpenError, Opened, Root};
use super::settings::FilesConfig;
use super::upload;
use crate::http::mime;
use std::collections::{HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::fs;
use std::path::PathBuf;

/// Names looked at before the walk gives up: a bound on the time and
/// memory one check takes on a tree far larger than anything served.
pub const MAX_ENTRIES: usize = 1_000_000;

/// One thing wrong with the tree, at a path relative to the root (`.` for
/// the root itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where, relative to the root, with `/` between names; bytes that are
    /// not UTF-8, control characters and direction marks are escaped, so it
    /// is one line that reads as it is spelled.
    pub path: String,
    /// What is wrong there.
    pub what: Kind,
}

/// What is wrong (see the module doc for why each matters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A symlink to something outside the root, not served without
    /// `--follow-symlinks`.
    LinkOutside,
    /// A symlink to nothing (a missing target or a loop of links).
    BrokenLink,
    /// A file or directory the server may not read (403).
    Unreadable,
    /// A precompressed sibling older than the file it stands for: clients
    /// that accept its coding get the old content.
    StaleSibling {
        /// The source file's path.
        source: String,
    },
    /// A name equal to another in the same directory but for case: one
    /// file where names ignore case (macOS, Windows), so copies lose one.
    CaseClash {
        /// The other name's path.
        other: String,
    },
    /// A name that is not UTF-8: no URL path can name it (400).
    NotUtf8,
    /// An extension with no media type: sent as
    /// `application/octet-stream`, which browsers download.
    UnknownType,
    /// A `--spa` or `--404` file the server would not serve (it refuses
    /// to start).
    MissingPage {
        /// The option that names it.
        option: &'static str,
    },
    /// No index file at the root while listings are off: `/` is 403.
    NoIndex,
    /// The walk stopped at [`MAX_ENTRIES`]: the rest was not checked.
    Stopped {
        /// How many names were looked at.
        entries: usize,
    },
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Kind::LinkOutside => {
                f.write_str("symlink leads outside the root (not served without --follow-symlinks)")
            }
            Kind::BrokenLink => f.write_str("symlink leads nowhere (missing target or a loop)"),
            Kind::Unreadable => f.write_str("cannot be read (answered 403)"),
            Kind::StaleSibling { source } => write!(f, "older than {source}, its source"),
            Kind::CaseClash { other } => write!(f, "differs from {other} only in case"),
            Kind::NotUtf8 => f.write_str("name is not valid UTF-8 (no URL can name it)"),
            Kind::UnknownType => {
                f.write_str("extension has no MIME type (sent as application/octet-stream)")
            }
            Kind::MissingPage { option } => write!(f, "{option} file is missing"),
            Kind::NoIndex => f.write_str("no index file and --no-listing: / would answer 403"),
            Kind::Stopped { entries } => {
                write!(
                    f,
                    "stopped after {entries} entries; the rest was not checked"
                )
            }
        }
    }
}

impl fmt::Display for Problem {
    /// `PATH: what is wrong`, a line a person reads and a script greps.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.what)
    }
}

/// Checks the tree `config` serves, with its settings; the problems come
/// sorted by path.
pub fn check(config: &FilesConfig) -> Vec<Problem> {
    check_bounded(config, MAX_ENTRIES)
}

fn check_bounded(config: &FilesConfig, max_entries: usize) -> Vec<Problem> {
    let settings = &config.settings;
    let root = Root::new(config.root.clone(), settings.follow_symlinks);
    let mut walker = Walker {
        root: &root,
        hidden: settings.hidden,
        problems: Vec::new(),
        visited: HashSet::new(),
        entries: 0,
        max_entries,
    };
    walker.walk();
    let mut problems = walker.problems;
    problems.extend(page_problems(config, &root));
    // Stable: two problems at one path keep the order they were found in.
    problems.sort_by(|a, b| a.path.cmp(&b.path));
    problems
}

/// `--spa` and `--404` pages the server would not serve, and the root's
/// missing index when there is no listing to fall back on.
fn page_problems(config: &FilesConfig, root: &Root) -> Vec<Problem> {
    let settings = &config.settings;
    let mut problems = Vec::new();
    let pages = [
        ("--spa", &settings.spa),
        ("--404", &settings.not_found_page),
    ];
    for (option, page) in pages {
        if let Some(page) = page {
            if !config.serves_file(page) {
                problems.push(Problem {
                    path: printable(page.trim_start_matches('/')),
                    what: Kind::MissingPage { option },
                });
            }
        }
    }
    // A directory without an index is listed, which is normal; only with
    // listings off is the root's missing index a 403 at `/`. Tried as the
    // server tries it: any index name that opens as a file.
    let has_index = settings
        .index
        .iter()
        .any(|name| root.open(&[name]).is_ok_and(|o| o.metadata.is_file()));
    if !settings.listing && !has_index {
        problems.push(Problem {
            path: ".".to_string(),
            what: Kind::NoIndex,
        });
    }
    problems
}

/// A directory still to walk: where it really is, and the path it was
/// first reached by.
struct Pending {
    location: Location,
    path: String,
}

struct Walker<'r> {
    root: &'r Root,
    hidden: bool,
    problems: Vec<Problem>,
    /// Directories already walked: a second link to one (or a loop back to
    /// an ancestor) is not walked again.
    visited: HashSet<DirKey>,
    entries: usize,
    max_entries: usize,
}

impl Walker<'_> {
    /// Depth first, in name order. Directories wait as locations, not open
    /// descriptors, so a wide tree does not use up the process's.
    fn walk(&mut self) {
        let mut stack = vec![Pending {
            location: Location::Inside(Vec::new()),
            path: String::new(),
        }];
        while let Some(dir) = stack.pop() {
            let children = self.directory(&dir);
            if self.entries > self.max_entries {
                self.report(
                    ".",
                    Kind::Stopped {
                        entries: self.max_entries,
                    },
                );
                return;
            }
            stack.extend(children.into_iter().rev());
        }
    }

    /// Checks one directory's names; returns its subdirectories.
    fn directory(&mut self, dir: &Pending) -> Vec<Pending> {
        // Opened again through the door: the tree may have changed since
        // the directory was seen. One gone since (removed, or swapped for
        // a link the door will not follow) is simply not served.
        let opened = match self.root.open_location(&dir.location) {
            Ok(opened) => opened,
            Err(OpenError::NotFound) => return Vec::new(),
            Err(OpenError::Forbidden | OpenError::Busy) => {
                self.report(&shown_path(&dir.path), Kind::Unreadable);
                return Vec::new();
            }
        };
        if !self.visited.insert(dir_key(&opened)) {
            return Vec::new();
        }
        let Some(names) = self.names(&opened, &dir.path) else {
            return Vec::new();
        };
        let mut lowered: HashMap<String, String> = HashMap::new();
        let mut children = Vec::new();
        for name in names {
            let path = join(&dir.path, &printable(&name));
            if let Some(first) = lowered.get(&name.to_lowercase()) {
                let other = join(&dir.path, &printable(first));
                self.report(&path, Kind::CaseClash { other });
            } else {
                lowered.insert(name.to_lowercase(), name.clone());
            }
            children.extend(self.entry(&opened.location, path, &name));
        }
        children
    }

    /// The directory's names that a request could reach, sorted; names
    /// that are not UTF-8 are reported on the way. `None` if it cannot be
    /// read, or the walk has seen enough.
    fn names(&mut self, dir: &Opened, path: &str) -> Option<Vec<String>> {
        let Ok(items) = self.root.read_dir(dir) else {
            self.report(&shown_path(path), Kind::Unreadable);
            return None;
        };
        let mut names = Vec::new();
        for item in items {
            self.entries += 1;
            if self.entries > self.max_entries {
                return None;
            }
            let Ok(item) = item else { continue };
            match item.file_name().into_string() {
                Ok(name) if self.is_served(&name, path.is_empty()) => names.push(name),
                Ok(_) => {}
                Err(raw) if self.is_served_raw(&raw) => {
                    self.report(&join(path, &escaped(&raw)), Kind::NotUtf8);
                }
                Err(_) => {}
            }
        }
        names.sort();
        Some(names)
    }

    /// Whether a request could name `name`: by the same rule as listings,
    /// with `/.well-known/` at the top served even when dotfiles are not.
    fn is_served(&self, name: &str, at_top: bool) -> bool {
        is_shown(name, self.hidden) || (at_top && name == ".well-known")
    }

    /// A name that is not UTF-8 is worth reporting unless it is hidden
    /// anyway.
    fn is_served_raw(&self, raw: &OsStr) -> bool {
        self.hidden || !raw.to_string_lossy().starts_with('.')
    }

    /// Opens one name as a request would; a directory comes back to be
    /// walked.
    fn entry(&mut self, parent: &Location, path: String, name: &str) -> Option<Pending> {
        let location = parent.child(name);
        match self.root.open_location(&location) {
            Ok(opened) if opened.metadata.is_dir() => {
                return Some(Pending {
                    location: opened.location,
                    path,
                })
            }
            Ok(opened) => self.file(&opened, parent, &path, name),
            Err(OpenError::NotFound) => self.refused(&location, &path),
            Err(OpenError::Forbidden | OpenError::Busy) => self.report(&path, Kind::Unreadable),
        }
        None
    }

    /// A regular file: a precompressed sibling is held to its source; any
    /// other file to its media type.
    fn file(&mut self, opened: &Opened, parent: &Location, path: &str, name: &str) {
        let Some(source_name) = sibling_source(name) else {
            if has_unknown_type(name) {
                self.report(path, Kind::UnknownType);
            }
            return;
        };
        let source_path = path[..path.len() - (name.len() - source_name.len())].to_string();
        match self.root.open_location(&parent.child(source_name)) {
            Ok(source) if source.metadata.is_file() => {
                let (Ok(sibling), Ok(original)) =
                    (opened.metadata.modified(), source.metadata.modified())
                else {
                    return;
                };
                if sibling < original {
                    self.report(
                        path,
                        Kind::StaleSibling {
                            source: source_path,
                        },
                    );
                }
            }
            // Without its source it is an ordinary compressed file (a
            // `backup.tar.gz`), served as what it is: nothing to report. An
            // unreadable source is reported as itself.
            _ => {}
        }
    }

    /// Why the door found nothing at a name that is listed: a symlink it
    /// would not follow, or one that leads nowhere. Anything else (a FIFO,
    /// a device, a name gone since) is simply not served.
    fn refused(&mut self, location: &Location, path: &str) {
        let on_disk = self.on_disk(location);
        let is_link = fs::symlink_metadata(&on_disk).is_ok_and(|m| m.file_type().is_symlink());
        if !is_link {
            return;
        }
        match fs::metadata(&on_disk) {
            Ok(target) if target.is_file() || target.is_dir() => {
                self.report(path, Kind::LinkOutside);
            }
            Ok(_) => {}
            Err(_) => self.report(path, Kind::BrokenLink),
        }
    }

    /// The path of a location on disk, to look at (never to serve).
    fn on_disk(&self, location: &Location) -> PathBuf {
        match location {
            Location::Inside(names) => {
                let mut path = self.root.path().to_path_buf();
                path.extend(names);
                path
            }
            Location::Outside(path) => path.clone(),
        }
    }

    fn report(&mut self, path: &str, what: Kind) {
        self.problems.push(Problem {
            path: path.to_string(),
            what,
        });
    }
}

/// `app.js.br` -> `app.js`: the file a precompressed sibling stands for,
/// if its name has one of the codings' suffixes and something before it.
fn sibling_source(name: &str) -> Option<&str> {
    CODINGS
        .iter()
        .find_map(|coding| name.strip_suffix(coding.suffix))
        .filter(|source| !source.is_empty())
}

/// Whether `name` has an extension (something after a dot that is not the
/// first character) that no media type is known for. `LICENSE` and
/// `.profile` have none, and are fine.
fn has_unknown_type(name: &str) -> bool {
    match name.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() && !extension.is_empty() => {
            mime::content_type_for(name) == mime::DEFAULT
        }
        _ => false,
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// The root's own path is shown as `.`.
fn shown_path(path: &str) -> String {
    if path.is_empty() {
        ".".to_string()
    } else {
        path.to_string()
    }
}

/// A name with control characters escaped (`\n` as `\n`), so each
/// problem stays one line, and direction marks too (`\u{202e}`), so a
/// terminal shows the name in the order it is spelled.
fn printable(name: &str) -> String {
    let escape = |c: char| c.is_control() || upload::is_direction_mark(c);
    if !name.chars().any(escape) {
        return name.to_string();
    }
    name.chars()
        .map(|c| {
            if escape(c) {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// A name that is not UTF-8, with its bytes that are not printable ASCII
/// escaped (`bad\xff`).
#[cfg(unix)]
fn escaped(name: &OsString) -> String {
    use std::os::unix::ffi::OsStrExt;
    name.as_bytes().escape_ascii().to_string()
}

#[cfg(not(unix))]
fn escaped(name: &OsString) -> String {
    printable(&name.to_string_lossy())
}

/// What makes a directory the same one however it was reached.
#[cfg(unix)]
type DirKey = (u64, u64);

#[cfg(unix)]
fn dir_key(opened: &Opened) -> DirKey {
    use std::os::unix::fs::MetadataExt;
    (opened.metadata.dev(), opened.metadata.ino())
}

/// Without inode numbers, the real location (links resolved) does.
#[cfg(not(unix))]
type DirKey = Location;

#[cfg(not(unix))]
fn dir_key(opened: &Opened) -> DirKey {
    opened.location.clone()
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::files::FilesSettings;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::{symlink, PermissionsExt};
    use std::path::Path;
    use std::time::{Duration, SystemTime};

    /// `base/root` (checked) and `base/outside.txt` (a link's target).
    struct Tree {
        base: PathBuf,
    }

    impl Tree {
        fn new(tag: &str) -> Tree {
            let base = std::env::temp_dir().join(format!("hfs-check-{tag}-{}", std::process::id()));
            let _ = fs::remove_dir_all(&base);
            fs::create_dir_all(base.join("root")).unwrap();
            fs::write(base.join("outside.txt"), "outside").unwrap();
            Tree {
                base: base.canonicalize().unwrap(),
            }
        }

        fn root(&self) -> PathBuf {
            self.base.join("root")
        }

        fn write(&self, relative: &str) -> PathBuf {
            let path = self.root().join(relative);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, relative).unwrap();
            path
        }

        fn check(&self, settings: FilesSettings) -> Vec<Problem> {
            check(&FilesConfig::with_settings(self.root(), settings).unwrap())
        }
    }

    impl Drop for Tree {
        fn drop(&mut self) {
            // A 000 directory left behind could not be removed.
            let _ = fs::set_permissions(
                self.root().join("locked"),
                fs::Permissions::from_mode(0o755),
            );
            let _ = fs::remove_dir_all(&self.base);
        }
    }

    fn set_age(path: &Path, seconds_ago: u64) {
        let when = SystemTime::now() - Duration::from_secs(seconds_ago);
        fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(when)
            .unwrap();
    }

    /// Whether permissions stop this process reading (they do not stop
    /// root): tried on a file of mode 000.
    fn permissions_bind(at: &Path) -> bool {
        let probe = at.join("probe");
        fs::write(&probe, "x").unwrap();
        fs::set_permissions(&probe, fs::Permissions::from_mode(0o000)).unwrap();
        let bind = fs::read(&probe).is_err();
        fs::remove_file(&probe).unwrap();
        bind
    }

    fn problem(path: &str, what: Kind) -> Problem {
        Problem {
            path: path.to_string(),
            what,
        }
    }

    #[test]
    fn a_clean_tree_has_no_problems() {
        let tree = Tree::new("clean");
        tree.write("index.html");
        tree.write("LICENSE");
        tree.write("css/site.css");
        let js = tree.write("js/app.js");
        set_age(&js, 60);
        tree.write("js/app.js.gz");
        // No `backup.tar` beside it: just a compressed file, not a sibling.
        tree.write("backup.tar.gz");
        tree.write(".secret.weird");
        fs::write(tree.root().join(OsStr::from_bytes(b".bad\xff")), "").unwrap();
        symlink("css/site.css", tree.root().join("style.css")).unwrap();
        // A loop back to the root: walked once, not reported.
        symlink("..", tree.root().join("js/up")).unwrap();
        let settings = FilesSettings {
            listing: false,
            spa: Some("index.html".to_string()),
            not_found_page: Some("index.html".to_string()),
            ..FilesSettings::default()
        };
        assert_eq!(tree.check(settings), Vec::new());
    }

    #[test]
    fn each_problem_is_reported_once_with_its_kind() {
        let tree = Tree::new("problems");
        let root = tree.root();
        symlink(tree.base.join("outside.txt"), root.join("escape.txt")).unwrap();
        symlink("nowhere.txt", root.join("dangling.txt")).unwrap();
        let source = tree.write("app.js");
        let stale = tree.write("app.js.br");
        set_age(&stale, 60);
        set_age(&source, 0);
        tree.write("lonely.css.zst");
        tree.write("docs/Readme.md");
        tree.write("docs/README.md");
        fs::write(root.join(OsStr::from_bytes(b"bad\xff")), "").unwrap();
        tree.write("data.qqq");
        let settings = FilesSettings {
            listing: false,
            spa: Some("app.html".to_string()),
            not_found_page: Some("404.html".to_string()),
            ..FilesSettings::default()
        };
        let expected = vec![
            problem(".", Kind::NoIndex),
            problem("404.html", Kind::MissingPage { option: "--404" }),
            problem("app.html", Kind::MissingPage { option: "--spa" }),
            problem(
                "app.js.br",
                Kind::StaleSibling {
                    source: "app.js".to_string(),
                },
            ),
            problem(r"bad\xff", Kind::NotUtf8),
            problem("dangling.txt", Kind::BrokenLink),
            problem("data.qqq", Kind::UnknownType),
            problem(
                "docs/Readme.md",
                Kind::CaseClash {
                    other: "docs/README.md".to_string(),
                },
            ),
            problem("escape.txt", Kind::LinkOutside),
        ];
        assert_eq!(
            tree.check(FilesSettings::default()).len(),
            expected.len() - 3
        );
        assert_eq!(tree.check(settings), expected);
    }

    #[test]
    fn follow_symlinks_serves_the_link_that_leaves() {
        let tree = Tree::new("follow");
        symlink(
            tree.base.join("outside.txt"),
            tree.root().join("escape.txt"),
        )
        .unwrap();
        let settings = FilesSettings {
            follow_symlinks: true,
            ..FilesSettings::default()
        };
        assert_eq!(tree.check(settings), Vec::new());
    }

    #[test]
    fn unreadable_files_and_directories_are_reported() {
        let tree = Tree::new("unreadable");
        if !permissions_bind(&tree.base) {
            // Running as root: mode 000 does not stop reads, so there is
            // nothing unreadable to find.
            return;
        }
        let file = tree.write("secret.txt");
        fs::set_permissions(&file, fs::Permissions::from_mode(0o000)).unwrap();
        tree.write("locked/inner.txt");
        fs::set_permissions(
            tree.root().join("locked"),
            fs::Permissions::from_mode(0o000),
        )
        .unwrap();
        assert_eq!(
            tree.check(FilesSettings::default()),
            vec![
                problem("locked", Kind::Unreadable),
                problem("secret.txt", Kind::Unreadable),
            ]
        );
    }

    #[test]
    fn the_walk_is_bounded() {
        let tree = Tree::new("bounded");
        for name in ["a.txt", "b.txt", "c.txt"] {
            tree.write(name);
        }
        let config = FilesConfig::new(tree.root()).unwrap();
        assert_eq!(
            check_bounded(&config, 2),
            vec![problem(".", Kind::Stopped { entries: 2 })]
        );
    }

    #[test]
    fn lines_name_the_path_then_the_problem() {
        let line = problem("a/b.qqq", Kind::UnknownType).to_string();
        assert_eq!(
            line,
            "a/b.qqq: extension has no MIME type (sent as application/octet-stream)"
        );
    }

    /// Regression: a name with a right-to-left override was printed as it
    /// is, so a terminal that lays text out both ways showed
    /// `evil\u{202e}txt.exe` as `evilexe.txt`; marks that change how a
    /// line reads are escaped as control characters are.
    #[test]
    fn direction_marks_in_names_are_escaped() {
        let tree = Tree::new("bidi");
        tree.write("evil\u{202e}lmth.qqq");
        assert_eq!(
            tree.check(FilesSettings::default()),
            vec![problem(r"evil\u{202e}lmth.qqq", Kind::UnknownType)]
        );
    }

    /// Regression: a folder listed, then removed or swapped for a link
    /// before the walk came to it (a tree changing under the check), was
    /// reported as "cannot be read (answered 403)". It is not there to
    /// serve; a name gone since it was listed is simply not reported.
    #[test]
    fn a_folder_gone_before_it_is_walked_is_not_called_unreadable() {
        let tree = Tree::new("gone");
        fs::create_dir(tree.root().join("swapped")).unwrap();
        let root = Root::new(tree.root(), false);
        let mut walker = Walker {
            root: &root,
            hidden: false,
            problems: Vec::new(),
            visited: HashSet::new(),
            entries: 0,
            max_entries: MAX_ENTRIES,
        };
        let listed = walker.directory(&Pending {
            location: Location::Inside(Vec::new()),
            path: String::new(),
        });
        assert_eq!(listed.len(), 1);
        fs::remove_dir(tree.root().join("swapped")).unwrap();
        symlink(&tree.base, tree.root().join("swapped")).unwrap();
        walker.directory(&listed[0]);
        walker.directory(&Pending {
            location: Location::Inside(vec!["removed".into()]),
            path: "removed".to_string(),
        });
        assert_eq!(walker.problems, Vec::new());
    }
}
