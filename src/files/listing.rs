//! Directory listings: an HTML page a person can read, with every name
//! escaped for HTML and every link percent-encoded, or the same entries as
//! JSON for a program.
//!
//! Directories come first, then files, each group sorted by name, or by
//! size or time when the column headings ask (`?sort=size&order=desc`,
//! sorted here, no script). The title is a trail of links to each parent.
//! The page follows the system's light or dark theme and fits a phone.
//! Hidden entries are left out unless asked for, and so are symlinks that
//! lead outside the root. No scripts, no external assets.

use crate::files::open::{Opened, Root};
use crate::files::path::{is_hidden_name, is_upload_in_progress};
use crate::http::date;
use crate::http::uri::percent_encode_segment;
use crate::json;
use std::fmt::Write as _;
use std::fs::{DirEntry, FileType};
use std::io;

/// One entry of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The file name (valid UTF-8; other names are skipped).
    pub name: String,
    /// Whether it is a directory.
    pub is_dir: bool,
    /// Size in bytes (0 for directories).
    pub size: u64,
    /// Modification time, Unix seconds.
    pub modified: i64,
}

/// Whether a name in a directory is shown (in listings and archives alike):
/// not a dotfile unless `hidden`; not an upload still arriving, even then
/// (it is not a file yet); and not a name with a backslash, which cannot
/// be asked for (some clients read it as a separator, so the path rules
/// refuse it) and would be a dead link.
pub fn is_shown(name: &str, hidden: bool) -> bool {
    (hidden || !is_hidden_name(name)) && !is_upload_in_progress(name) && !name.contains('\\')
}

/// The entries of the opened directory `dir` whose names are shown (UTF-8
/// and [`is_shown`]), each with its kind as the directory records it (a
/// symlink is a symlink here: what it leads to is the caller's to ask the
/// door). Entries that cannot be read are left out. Listings and archives
/// both walk a directory through this.
///
/// # Errors
///
/// The error from reading the directory itself.
pub fn shown_names(
    root: &Root,
    dir: &Opened,
    hidden: bool,
) -> io::Result<impl Iterator<Item = (String, DirEntry, FileType)>> {
    Ok(root.read_dir(dir)?.filter_map(move |item| {
        let item = item.ok()?;
        let name = item.file_name().into_string().ok()?;
        if !is_shown(&name, hidden) {
            return None;
        }
        let file_type = item.file_type().ok()?;
        Some((name, item, file_type))
    }))
}

/// Reads the opened directory `dir`, sorted: directories first, then by
/// name. Symlinks are listed only where the door would open them (inside
/// the root, unless the user follows links anywhere); broken ones are left
/// out.
///
/// # Errors
///
/// The error from reading the directory itself; entries that cannot be read
/// are skipped.
pub fn read_entries(root: &Root, dir: &Opened, hidden: bool) -> io::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for (name, item, file_type) in shown_names(root, dir, hidden)? {
        let metadata = if file_type.is_symlink() {
            match root.open_location(&dir.location.child(&name)) {
                Ok(target) => target.metadata,
                Err(_) => continue,
            }
        } else {
            match item.metadata() {
                Ok(metadata) => metadata,
                Err(_) => continue,
            }
        };
        entries.push(Entry {
            name,
            is_dir: metadata.is_dir(),
            size: if metadata.is_dir() { 0 } else { metadata.len() },
            modified: metadata.modified().map_or(0, date::unix_seconds),
        });
    }
    entries.sort_by(|a, b| b.is_dir.cmp(&a.is_dir).then_with(|| a.name.cmp(&b.name)));
    Ok(entries)
}

/// What a listing is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SortBy {
    /// The name (byte order, which is code-point order for UTF-8).
    #[default]
    Name,
    /// The size in bytes.
    Size,
    /// The modification time.
    Modified,
}

impl SortBy {
    /// The word used in the query (`?sort=size`).
    pub fn as_str(self) -> &'static str {
        match self {
            SortBy::Name => "name",
            SortBy::Size => "size",
            SortBy::Modified => "modified",
        }
    }
}

/// How a listing is ordered: directories always come first, then the
/// entries by `by`, ties by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Order {
    /// The column sorted on.
    pub by: SortBy,
    /// Largest, newest or last name first.
    pub descending: bool,
}

impl Order {
    /// The order a query asks for (`sort=name|size|modified`,
    /// `order=asc|desc`); anything else is the default, by name ascending.
    pub fn from_query(query: Option<&str>) -> Order {
        let mut order = Order::default();
        for pair in query.unwrap_or("").split('&') {
            // The last word of each kind wins, as it would for any query.
            match pair {
                "sort=name" => order.by = SortBy::Name,
                "sort=size" => order.by = SortBy::Size,
                "sort=modified" => order.by = SortBy::Modified,
                "order=asc" => order.descending = false,
                "order=desc" => order.descending = true,
                _ => {}
            }
        }
        order
    }

    /// Sorts `entries` in this order.
    pub fn sort(self, entries: &mut [Entry]) {
        entries.sort_by(|a, b| {
            let by = match self.by {
                SortBy::Name => a.name.cmp(&b.name),
                SortBy::Size => a.size.cmp(&b.size).then_with(|| a.name.cmp(&b.name)),
                SortBy::Modified => a
                    .modified
                    .cmp(&b.modified)
                    .then_with(|| a.name.cmp(&b.name)),
            };
            let by = if self.descending { by.reverse() } else { by };
            b.is_dir.cmp(&a.is_dir).then(by)
        });
    }
}

/// What a listing page offers besides its entries (each only when the
/// server was started with the option for it).
#[derive(Debug, Clone, Default)]
pub struct Offers {
    /// The link that downloads the folder as a tar file (`--archives`).
    pub archive_href: Option<String>,
    /// A form that sends files into the folder (`--upload`).
    pub upload_form: bool,
}

/// Renders the HTML page for `url_path` (the decoded path, ending in `/`),
/// its entries already in `order`.
pub fn render_html(url_path: &str, entries: &[Entry], order: Order, offers: &Offers) -> String {
    let title = escape_html(url_path);
    let mut page = String::with_capacity(2048 + entries.len() * 160);
    let _ = write!(
        page,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n\
         <title>Index of {title}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n\
         <h1>Index of {crumbs}</h1>\n<table>\n<thead><tr>{name}{size}{modified}</tr></thead>\n<tbody>\n",
        crumbs = breadcrumbs(url_path),
        name = column_header("Name", "name", SortBy::Name, order),
        size = column_header("Size", "size", SortBy::Size, order),
        modified = column_header("Modified (UTC)", "modified", SortBy::Modified, order),
    );
    if url_path != "/" {
        page.push_str(
            "<tr><td class=\"name\"><a href=\"../\">../</a></td><td class=\"size\">-</td><td class=\"modified\"></td></tr>\n",
        );
    }
    for entry in entries {
        push_row(&mut page, entry);
    }
    page.push_str("</tbody>\n</table>\n");
    if offers.upload_form {
        // A plain form: the browser sends the files as multipart/form-data
        // to this directory's own URL, and comes back here (303).
        page.push_str(
            "<form class=\"offers\" method=\"post\" action=\"./\" enctype=\"multipart/form-data\">\
             <input type=\"file\" name=\"file\" multiple required> <button>Upload</button></form>\n",
        );
    }
    if let Some(href) = &offers.archive_href {
        let _ = writeln!(
            page,
            "<p class=\"offers\"><a href=\"{}\" download>Download as .tar</a></p>",
            escape_html(href)
        );
    }
    page.push_str("</body>\n</html>\n");
    page
}

fn push_row(page: &mut String, entry: &Entry) {
    let slash = if entry.is_dir { "/" } else { "" };
    let size = if entry.is_dir {
        "-".to_string()
    } else {
        human_size(entry.size)
    };
    let _ = writeln!(
        page,
        "<tr><td class=\"name\"><a href=\"./{href}{slash}\">{name}{slash}</a></td>\
         <td class=\"size\">{size}</td><td class=\"modified\">{modified}</td></tr>",
        href = percent_encode_segment(&entry.name),
        name = escape_html(&entry.name),
        modified = short_time(entry.modified),
    );
}

/// The title as links to each directory on the way: `/`, `/a/`, `/a/b/`.
fn breadcrumbs(url_path: &str) -> String {
    let mut crumbs = String::from("<a href=\"/\">/</a>");
    let mut href = String::from("/");
    for segment in url_path.split('/').filter(|s| !s.is_empty()) {
        href.push_str(&percent_encode_segment(segment));
        href.push('/');
        let _ = write!(crumbs, "<a href=\"{href}\">{}</a>/", escape_html(segment));
    }
    crumbs
}

/// A column's heading: a link that sorts by it, ascending first and the
/// other way on the next click; the current column shows an arrow and
/// says so to screen readers (`aria-sort`).
fn column_header(label: &str, class: &str, by: SortBy, current: Order) -> String {
    let active = current.by == by;
    let (arrow, aria, next) = match (active, current.descending) {
        (false, _) => ("", "", "asc"),
        (true, false) => (" \u{25b2}", " aria-sort=\"ascending\"", "desc"),
        (true, true) => (" \u{25bc}", " aria-sort=\"descending\"", "asc"),
    };
    format!(
        "<th class=\"{class}\"{aria}><a href=\"?sort={by}&amp;order={next}\">{label}{arrow}</a></th>",
        by = by.as_str(),
    )
}

const STYLE: &str = "body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #222; background: #fff; }
h1 { font-size: 1.4rem; font-weight: 600; word-break: break-all; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.35rem 0.75rem; border-bottom: 1px solid #e4e4e4; }
td.name { word-break: break-all; }
th { font-weight: 600; background: #f6f6f6; }
th a { color: inherit; }
td.size, th.size { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.modified { white-space: nowrap; }
tr:hover td { background: #fafafa; }
a { color: #0645ad; text-decoration: none; }
a:hover { text-decoration: underline; }
.offers { margin-top: 1.5rem; }
@media (prefers-color-scheme: dark) {
  body { color: #ddd; background: #161616; }
  th { background: #222; }
  th, td { border-bottom-color: #333; }
  tr:hover td { background: #1e1e1e; }
  a { color: #8ab4f8; }
}
@media (max-width: 40rem) {
  body { margin: 1rem auto; padding: 0 0.5rem; }
  th, td { padding: 0.35rem 0.4rem; }
  .modified { display: none; }
}
";

/// Renders the listing as JSON: an array of
/// `{"name", "type" ("dir"/"file"), "size", "mtime" (Unix seconds)}`.
pub fn render_json(entries: &[Entry]) -> String {
    let mut out = String::with_capacity(2 + entries.len() * 80);
    out.push('[');
    for (i, entry) in entries.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str("{\"name\":");
        json::push_string(&mut out, &entry.name);
        let kind = if entry.is_dir { "dir" } else { "file" };
        let _ = write!(
            out,
            ",\"type\":\"{kind}\",\"size\":{},\"mtime\":{}}}",
            entry.size, entry.modified
        );
    }
    out.push_str("]\n");
    out
}

/// Escapes the five characters that matter in HTML text and attributes.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// `1023 B`, `1.5 KiB`, `12.0 MiB`.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// `2026-11-25 01:17` from Unix seconds.
fn short_time(secs: i64) -> String {
    // The IMF-fixdate has every field we need; reorder rather than redo the
    // calendar arithmetic.
    let imf = date::format_imf_fixdate(secs);
    let parts: Vec<&str> = imf.split(' ').collect();
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| *m == parts[2])
    .map_or(0, |i| i + 1);
    format!("{}-{:02}-{} {}", parts[3], month, parts[1], &parts[4][..5])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_listing_escapes_names() {
        let entries = vec![
            Entry {
                name: "sub".into(),
                is_dir: true,
                size: 0,
                modified: 1,
            },
            Entry {
                name: "a\"b\\c\n.txt".into(),
                is_dir: false,
                size: 5,
                modified: 2,
            },
        ];
        assert_eq!(
            render_json(&entries),
            "[{\"name\":\"sub\",\"type\":\"dir\",\"size\":0,\"mtime\":1},\
             {\"name\":\"a\\\"b\\\\c\\n.txt\",\"type\":\"file\",\"size\":5,\"mtime\":2}]\n"
        );
    }

    #[test]
    fn sizes_read_like_people_write_them() {
        assert_eq!(human_size(0), "0 B");
        assert_eq!(human_size(1023), "1023 B");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(10 << 20), "10.0 MiB");
    }

    #[test]
    fn names_are_escaped_and_links_encoded() {
        let entries = vec![Entry {
            name: "<script>alert(1)</script> & \"q\".txt".into(),
            is_dir: false,
            size: 5,
            modified: 784_111_777,
        }];
        let page = render_html("/sub/", &entries, Order::default(), &Offers::default());
        assert!(!page.contains("<script>"));
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;.txt"));
        assert!(page.contains("href=\"./%3Cscript%3Ealert(1)%3C%2Fscript%3E%20%26%20%22q%22.txt\""));
        assert!(page.contains("1994-11-06 08:49"));
        assert!(page.contains("href=\"../\""));
    }
}
