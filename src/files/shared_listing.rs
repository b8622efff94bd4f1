//! Rendered listings, shared: one page per directory (and per format,
//! order and URL spelling), however many clients ask for it at once.
//!
//! A listing of a large directory is megabytes of HTML. Built per request,
//! a few hundred clients asking at once (and not reading) would hold a copy
//! each; here they share one, and a response holds only a reference to it.
//! An entry stays valid while the directory's own metadata is unchanged (a
//! name added, removed or renamed changes it) and for at most
//! [`FRESH_FOR`] (sizes and times of the entries may be that old). A
//! listing is rendered by one thread at a time, so a crowd arriving
//! together renders it once, while other listings render alongside (a slow,
//! huge directory holds up only those asking for it). The cache is bounded
//! in entries and bytes.

use crate::files::cache::Stamp;
use std::collections::{HashMap, HashSet};
use std::fs::Metadata;
use std::io;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
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
    /// The listings being rendered now: a crowd asking for one waits for it
    /// to be made once, while other listings render alongside.
    rendering: Mutex<HashSet<ListingKey>>,
    /// Signalled when a rendering ends.
    rendered: Condvar,
}

impl std::fmt::Debug for SharedListings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedListings")
    }
}

/// What a thread that found no fresh listing does.
enum Turn<'s> {
    /// Another thread made it meanwhile.
    Made(Arc<[u8]>),
    /// Render it; others asking for the same key wait until this is dropped.
    Render(RenderingGuard<'s>),
}

/// Marks a key as being rendered, for as long as it lives (an error or a
/// panic in the renderer included).
struct RenderingGuard<'s> {
    listings: &'s SharedListings,
    key: ListingKey,
}

impl Drop for RenderingGuard<'_> {
    fn drop(&mut self) {
        let mut rendering = self
            .listings
            .rendering
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        rendering.remove(&self.key);
        self.listings.rendered.notify_all();
    }
}

impl SharedListings {
    /// Waits while another thread renders `key`; then either its listing is
    /// fresh, or this thread takes the turn to render it.
    fn wait_for_turn(&self, key: &ListingKey, stamp: &Stamp) -> Turn<'_> {
        let mut rendering = self
            .rendering
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        while rendering.contains(key) {
            rendering = self
                .rendered
                .wait(rendering)
                .unwrap_or_else(PoisonError::into_inner);
        }
        // Whoever rendered while this thread waited may have made it.
        if let Some(body) = self.fresh(key, stamp) {
            return Turn::Made(body);
        }
        rendering.insert(key.clone());
        Turn::Render(RenderingGuard {
            listings: self,
            key: key.clone(),
        })
    }

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
        let _turn = match self.wait_for_turn(&key, &stamp) {
            Turn::Made(body) => return Ok(body),
            Turn::Render(turn) => turn,
        };
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
