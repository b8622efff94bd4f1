//! The file server's settings: where it serves from, and how. Plain values
//! (the constructors resolve the root, and [`FilesConfig::serves_file`]
//! opens a file through the door to check it; nothing else touches the
//! file system), filled by the command line or by a library user, read by
//! [`super::FileServer`] and its parts. Nothing here serves anything.

use super::open::Root;
use super::path;
use std::io;
use std::path::{Path, PathBuf};

/// The largest upload by default (`--max-upload`): 1 GiB.
pub const DEFAULT_MAX_UPLOAD: u64 = 1 << 30;

/// What the file server serves and how: a root that has been opened, and
/// the settings to serve it with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilesConfig {
    /// The served directory, canonical (symlinks resolved, absolute).
    pub root: PathBuf,
    /// How to serve it.
    pub settings: FilesSettings,
}

/// How files are served, apart from where from: plain values, with no I/O,
/// so the command line can fill them before the root is opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilesSettings {
    /// Whether directories without an index file are listed.
    pub listing: bool,
    /// Whether names starting with `.` are served and listed.
    pub hidden: bool,
    /// Index file names tried in a directory, in order.
    pub index: Vec<String>,
    /// Follow symlinks that lead outside the root (off: only inside).
    pub follow_symlinks: bool,
    /// A file (relative to the root) served with 200 for unknown paths whose
    /// request accepts HTML: the entry point of a single-page app.
    pub spa: Option<String>,
    /// A file (relative to the root) whose contents answer 404s.
    pub not_found_page: Option<String>,
    /// `Access-Control-Allow-Origin` value (`*` or one origin), if CORS is on.
    pub cors_origin: Option<String>,
    /// `Cache-Control` value for files, if any.
    pub cache_control: Option<String>,
    /// Whether a listed folder is also offered as a tar archive
    /// (`?download=tar`, see [`super::archive`]).
    pub archives: bool,
    /// Whether PUT and `multipart/form-data` POSTs store files
    /// (`--upload`); off, they are 405 as any other method.
    pub upload: bool,
    /// Whether an upload may replace an existing file, atomically
    /// (`--overwrite`).
    pub overwrite: bool,
    /// The largest upload body in bytes (`--max-upload`). Bodies reach the
    /// file server only within the server's `Limits::max_body_bytes`, so
    /// that must be at least this (the binary raises it).
    pub max_upload: u64,
    /// Whether HTML pages and listings carry the live-reload script
    /// (`--watch`; see [`super::inject`]). Precompressed siblings of pages
    /// are then not used, as they would lack it.
    pub live_reload: bool,
}

impl Default for FilesSettings {
    /// Listings on, dotfiles hidden, `index.html` as the index, symlinks
    /// followed only inside the root, uploads off (1 GiB when on).
    fn default() -> FilesSettings {
        FilesSettings {
            listing: true,
            hidden: false,
            index: vec!["index.html".to_string()],
            follow_symlinks: false,
            spa: None,
            not_found_page: None,
            cors_origin: None,
            cache_control: None,
            archives: false,
            upload: false,
            overwrite: false,
            max_upload: DEFAULT_MAX_UPLOAD,
            live_reload: false,
        }
    }
}

impl FilesConfig {
    /// Serves `root` with the default settings.
    ///
    /// # Errors
    ///
    /// If `root` does not exist or cannot be resolved.
    pub fn new(root: impl AsRef<Path>) -> io::Result<FilesConfig> {
        FilesConfig::with_settings(root, FilesSettings::default())
    }

    /// Serves `root` with the given settings.
    ///
    /// # Errors
    ///
    /// If `root` does not exist or cannot be resolved.
    pub fn with_settings(
        root: impl AsRef<Path>,
        settings: FilesSettings,
    ) -> io::Result<FilesConfig> {
        Ok(FilesConfig {
            root: root.as_ref().canonicalize()?,
            settings,
        })
    }

    /// Whether `relative` (a `--spa` or `--404` page) names a regular file
    /// that the server would open: inside the root, by the same rules as
    /// any request.
    pub fn serves_file(&self, relative: &str) -> bool {
        let Ok(clean) = path::clean(&format!("/{relative}"), self.settings.hidden) else {
            return false;
        };
        let root = Root::new(self.root.clone(), self.settings.follow_symlinks);
        root.open(&clean.segments)
            .is_ok_and(|opened| opened.metadata.is_file())
    }
}
