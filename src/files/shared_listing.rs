//! Rendered listings, shared: one page per directory (and per format,
//! order and URL spelling), however many clients ask for it at once.
//!
//! A listing of a large directory is megabytes of HTML. Built per request,
//! a few hundred clients asking at once (and not reading) would hold a copy
//! each; here they share one, and a response holds only a reference to it.
//! An entry stays valid while the directory's own metadata is unchanged (a
//! name added, removed or renamed changes it) and for at most
//! [`FRESH_FOR`] (sizes and times of the entries may be that old); one
//! listing is rendered at a time, so a crowd arriving together renders it
//! once. The cache is bounded in entries and bytes.

use crate::files::cache::Stamp;
use std::collections::HashMap;
use std::fs::Metadata;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How long a rendered listing is served without looking at the entries.
pub const FRESH_FOR: Duration = Duration::from_secs(1);

/// Most listings kept.
const MAX_ENTRIES: usize = 64;

/// Most bytes of listings kept.
const MAX_BYTES: usize = 64 * 1024 * 1024;

/// What a listing is for: the directory, how it was spelled in the URL
/// (shown in the page), and whether it is the JSON form.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ListingKey {
    /// The directory's real place (names under the root, or outside).
    pub dir: crate::files::open::Location,
    /// The decoded URL path, shown as the title.
    pub shown: String,
    /// JSON rather than HTML.
    pub json: bool,
    /// The order the entries are listed in.
    pub order: crate::files::listing::Order,
}

struct Rendered {
    stamp: Stamp,
    at: Instant,
    body: Arc<[u8]>,
}

/// The shared listings.
#[derive(Default)]
pub struct SharedListings {
    entries: Mutex<HashMap<ListingKey, Rendered>>,
    /// Held while rendering, so that one crowd renders a listing once.
    rendering: Mutex<()>,
}

impl std::fmt::Debug for SharedListings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedListings")
    }
}

impl SharedListings {
    fn lock(&self) -> MutexGuard<'_, HashMap<ListingKey, Rendered>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn fresh(&self, key: &ListingKey, stamp: &Stamp) -> Option<Arc<[u8]>> {
        let entries = self.lock();
        let rendered = entries.get(key)?;
        let fresh = rendered.stamp == *stamp && rendered.at.elapsed() < FRESH_FOR;
        fresh.then(|| Arc::clone(&rendered.body))
    }

    /// The listing for `key`, whose directory has `metadata` now: the shared
    /// copy if it is fresh, else one made by `render` (and shared from then).
    ///
    /// # Errors
    ///
    /// The error from `render`.
    pub fn get_or_render(
        &self,
        key: ListingKey,
        metadata: &Metadata,
        render: impl FnOnce() -> io::Result<Vec<u8>>,
    ) -> io::Result<Arc<[u8]>> {
        let stamp = Stamp::of(metadata);
        if let Some(body) = self.fresh(&key, &stamp) {
            return Ok(body);
        }
        let _rendering = self
            .rendering
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Whoever rendered while this thread waited may have made it.
        if let Some(body) = self.fresh(&key, &stamp) {
            return Ok(body);
        }
        let body: Arc<[u8]> = render()?.into();
        let mut entries = self.lock();
        entries.retain(|_, r| r.at.elapsed() < FRESH_FOR);
        let held: usize = entries.values().map(|r| r.body.len()).sum();
        if entries.len() < MAX_ENTRIES && held + body.len() <= MAX_BYTES {
            let rendered = Rendered {
                stamp,
                at: Instant::now(),
                body: Arc::clone(&body),
            };
            entries.insert(key, rendered);
        }
        Ok(body)
    }
}
