//! Live reload's script tag, put into HTML pages (`--watch` only).
//!
//! A page is read whole, the tag goes in just before its last `</body>`
//! (or at the end, for a page without one, as browsers run a script there
//! too), and the result is what is sent: its length, its ranges and its
//! entity-tag (the file's, marked) are the changed page's. The file
//! server decides which answers get the tag; this module edits the bytes
//! and keeps one copy of each page version while answers hold it
//! ([`Pages`]). The script and the stream it opens are [`crate::watch`]'s.

use super::cache::Stamp;
use crate::watch::SCRIPT_PATH;
use std::collections::HashMap;
use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

/// Pages larger than this are sent as they are (no live reload for them):
/// each is read into memory whole to be changed.
pub const MAX_PAGE_BYTES: u64 = 8 * 1024 * 1024;

/// What marks a changed page's entity-tag, so that it never matches the
/// file's own (a cache must not mix the two).
pub const ETAG_MARK: &str = "live-reload";

/// Whether an answer of `content_type` gets the tag.
pub fn is_page(content_type: &str) -> bool {
    content_type.starts_with("text/html")
}

/// Reads a page (at most [`MAX_PAGE_BYTES`] of it: the file server sends
/// larger ones as they are) and puts the script tag in.
fn read_with_script(file: impl Read) -> io::Result<Vec<u8>> {
    let mut page = Vec::new();
    file.take(MAX_PAGE_BYTES).read_to_end(&mut page)?;
    add_script(&mut page);
    Ok(page)
}

/// Pages with the script, shared by the answers that send the same
/// version of a file: slow clients of one page hold one copy between them,
/// not one each. Only pages some answer still holds are kept (a weak
/// reference each), so this never holds memory of its own.
#[derive(Debug, Default)]
pub struct Pages {
    live: Mutex<HashMap<Stamp, Weak<[u8]>>>,
}

impl Pages {
    /// The page in `file` (seen as `metadata`) with the script: the copy
    /// another answer holds, or a new one read now.
    ///
    /// # Errors
    ///
    /// The error from reading.
    pub fn get(&self, file: &mut File, metadata: &Metadata) -> io::Result<Arc<[u8]>> {
        let version = Stamp::of(metadata);
        if let Some(page) = self.lock().get(&version).and_then(Weak::upgrade) {
            return Ok(page);
        }
        let page: Arc<[u8]> = read_with_script(&mut *file)?.into();
        // Shared only if the file did not change while it was read, so a
        // copy never stands for a version it does not hold.
        if file.metadata().ok().map(|now| Stamp::of(&now)) == Some(version.clone()) {
            let mut live = self.lock();
            live.retain(|_, held| held.strong_count() > 0);
            live.insert(version, Arc::downgrade(&page));
        }
        Ok(page)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<Stamp, Weak<[u8]>>> {
        // Nothing here is left half done by a panic: go on with it.
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Puts the script tag into `page`: before the last `</body>` (in any
/// letter case), else at the end.
pub fn add_script(page: &mut Vec<u8>) {
    let tag = format!("<script src=\"{SCRIPT_PATH}\"></script>\n");
    let at = rfind_ignoring_case(page, b"</body>").unwrap_or(page.len());
    page.splice(at..at, tag.into_bytes());
}

/// Where the last `needle` (ASCII lowercase) starts in `haystack`, letter
/// case aside.
fn rfind_ignoring_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.len() > haystack.len() {
        return None;
    }
    (0..=haystack.len() - needle.len())
        .rev()
        .find(|&at| haystack[at..at + needle.len()].eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_script(page: &str) -> String {
        let mut bytes = page.as_bytes().to_vec();
        add_script(&mut bytes);
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn the_tag_goes_before_the_last_closing_body() {
        let page = with_script("<body><p>a</body> in text</p>\n</BODY>\n</html>\n");
        let tag = format!("<script src=\"{SCRIPT_PATH}\"></script>\n");
        assert_eq!(
            page,
            format!("<body><p>a</body> in text</p>\n{tag}</BODY>\n</html>\n")
        );
    }

    #[test]
    fn a_page_without_a_closing_body_gets_it_at_the_end() {
        let page = with_script("<p>fragment");
        assert!(page.starts_with("<p>fragment<script src="));
        assert!(page.ends_with("</script>\n"));
        assert!(with_script("").starts_with("<script"));
    }

    #[test]
    fn answers_for_one_version_of_a_page_share_one_copy() {
        let dir = std::env::temp_dir().join(format!("hfs-inject-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("page.html");
        std::fs::write(&path, "<body>one</body>").unwrap();
        let pages = Pages::default();
        let get = || {
            let mut file = File::open(&path).unwrap();
            let metadata = file.metadata().unwrap();
            pages.get(&mut file, &metadata).unwrap()
        };
        let (first, second) = (get(), get());
        assert!(Arc::ptr_eq(&first, &second), "one copy for two answers");
        // Another version is another copy; one nobody holds is let go.
        std::fs::write(&path, "<body>two, longer</body>").unwrap();
        let third = get();
        assert!(!Arc::ptr_eq(&first, &third));
        assert!(String::from_utf8_lossy(&third).contains("two, longer"));
        drop((first, second));
        let fourth = get();
        assert!(Arc::ptr_eq(&third, &fourth));
        // The next new copy sweeps out versions nobody holds.
        drop((third, fourth));
        std::fs::write(&path, "<body>three</body>").unwrap();
        let _fifth = get();
        assert_eq!(pages.lock().len(), 1, "dead versions are forgotten");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn only_html_is_a_page() {
        assert!(is_page("text/html; charset=utf-8"));
        assert!(!is_page("text/plain; charset=utf-8"));
        assert!(!is_page("application/xhtml+xml"));
    }
}
