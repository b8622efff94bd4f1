//! Content negotiation for what the file server can choose between:
//! precompressed siblings (`Accept-Encoding`, RFC 9110 §12.5.3) and the
//! HTML or JSON form of a listing (`Accept`, §12.5.1). Only quality values
//! are weighed; no representation is ever compressed on the fly.

use crate::http::headers::{list_elements, trim_ows, Fields};

/// A content coding we may find precompressed beside a file, in the order
/// we prefer them when the client likes them equally.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Coding {
    /// The coding's token in `Accept-Encoding` and `Content-Encoding`.
    pub token: &'static str,
    /// The file-name suffix of the precompressed sibling.
    pub suffix: &'static str,
}

/// Brotli, then Zstandard, then gzip: smallest first.
pub const CODINGS: [Coding; 3] = [
    Coding {
        token: "br",
        suffix: ".br",
    },
    Coding {
        token: "zstd",
        suffix: ".zst",
    },
    Coding {
        token: "gzip",
        suffix: ".gz",
    },
];

/// Splits `token;q=0.5` into the token and its quality in thousandths
/// (1000 when absent; an unparsable q counts as 0, i.e. not acceptable).
fn token_and_quality(element: &[u8]) -> (&[u8], u16) {
    let mut parts = element.split(|&b| b == b';');
    let token = trim_ows(parts.next().unwrap_or_default());
    let mut quality = 1000;
    for parameter in parts {
        let parameter = trim_ows(parameter);
        if parameter.len() >= 2 && parameter[..2].eq_ignore_ascii_case(b"q=") {
            quality = parse_quality(&parameter[2..]).unwrap_or(0);
        }
    }
    (token, quality)
}

/// `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )`.
fn parse_quality(text: &[u8]) -> Option<u16> {
    let (whole, fraction) = match text.iter().position(|&b| b == b'.') {
        Some(dot) => (&text[..dot], &text[dot + 1..]),
        None => (text, &b""[..]),
    };
    if fraction.len() > 3 || !fraction.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut thousandths = 0u16;
    for i in 0..3 {
        thousandths = thousandths * 10 + fraction.get(i).map_or(0, |d| u16::from(d - b'0'));
    }
    match whole {
        b"0" => Some(thousandths),
        b"1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// The quality the client gives `token` in the list field `name`, falling
/// back to `*` (and to `wildcards`, e.g. `text/*`, for media types).
fn quality_of(fields: Fields<'_>, name: &str, token: &str, wildcards: &[&str]) -> Option<u16> {
    let mut exact = None;
    let mut wild: Option<(usize, u16)> = None;
    for value in fields.get_all(name) {
        for element in list_elements(value) {
            let (candidate, q) = token_and_quality(element);
            // RFC 9110 §8.4.1.3: `x-gzip` is to be read as `gzip`.
            let candidate = if candidate.eq_ignore_ascii_case(b"x-gzip") {
                &b"gzip"[..]
            } else {
                candidate
            };
            if candidate.eq_ignore_ascii_case(token.as_bytes()) {
                exact = Some(exact.map_or(q, |e: u16| e.max(q)));
            } else if let Some(rank) = wildcards
                .iter()
                .position(|w| candidate.eq_ignore_ascii_case(w.as_bytes()))
            {
                // More specific wildcards (earlier in the list) win.
                if wild.is_none_or(|(r, _)| rank < r) {
                    wild = Some((rank, q));
                }
            }
        }
    }
    exact.or(wild.map(|(_, q)| q))
}

/// The precompressed coding to serve, among those that exist (`available`,
/// in [`CODINGS`] order), or `None` for the file itself.
pub fn choose_coding(fields: Fields<'_>, available: &[Coding]) -> Option<Coding> {
    let mut best: Option<(Coding, u16)> = None;
    for &coding in available {
        let q = quality_of(fields, "accept-encoding", coding.token, &["*"]).unwrap_or(0);
        // Strictly greater: on equal quality the earlier (preferred) stays.
        if q > 0 && best.is_none_or(|(_, best_q)| q > best_q) {
            best = Some((coding, q));
        }
    }
    best.map(|(coding, _)| coding)
}

/// Whether the client prefers `application/json` to `text/html`. Without an
/// Accept field, or on a tie, HTML wins: a browser should see a page.
pub fn prefers_json(fields: Fields<'_>) -> bool {
    if fields.get("accept").is_none() {
        return false;
    }
    let json = quality_of(
        fields,
        "accept",
        "application/json",
        &["application/*", "*/*"],
    )
    .unwrap_or(0);
    let html = quality_of(fields, "accept", "text/html", &["text/*", "*/*"]).unwrap_or(0);
    json > html
}

/// Whether `Accept` names `text/html` itself with a non-zero quality, not
/// only through `*/*` or `text/*`: what a browser sends when it submits a
/// form and expects a page back, and what `curl` (`*/*`) does not.
pub fn names_html(fields: Fields<'_>) -> bool {
    quality_of(fields, "accept", "text/html", &[]).is_some_and(|q| q > 0)
}

/// Whether the client accepts `text/html` at all (used for SPA fallback).
pub fn accepts_html(fields: Fields<'_>) -> bool {
    quality_of(fields, "accept", "text/html", &["text/*", "*/*"]).is_some_and(|q| q > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::headers::FieldSpan;

    fn with_field(name: &str, value: &str, f: impl FnOnce(Fields<'_>)) {
        let buf = format!("{name}{value}");
        let spans = [FieldSpan {
            name: 0..name.len(),
            value: name.len()..buf.len(),
        }];
        f(Fields::new(buf.as_bytes(), &spans));
    }

    fn chosen(accept_encoding: &str) -> Option<&'static str> {
        let mut out = None;
        with_field("accept-encoding", accept_encoding, |fields| {
            out = choose_coding(fields, &CODINGS).map(|c| c.token);
        });
        out
    }

    #[test]
    fn codings_follow_quality_then_preference() {
        assert_eq!(chosen("gzip, deflate, br, zstd"), Some("br"));
        assert_eq!(chosen("gzip"), Some("gzip"));
        assert_eq!(chosen("x-gzip"), Some("gzip"));
        assert_eq!(chosen("gzip;q=1, br;q=0.5"), Some("gzip"));
        assert_eq!(chosen("br;q=0, gzip"), Some("gzip"));
        assert_eq!(chosen("*"), Some("br"));
        assert_eq!(chosen("*;q=0.1, br;q=0"), Some("zstd"));
        assert_eq!(chosen("identity"), None);
        assert_eq!(chosen("gzip;q=0"), None);
        assert_eq!(chosen("gzip;q=bogus"), None);
        assert_eq!(chosen(""), None);
    }

    #[test]
    fn json_only_when_preferred() {
        let prefers = |accept: &str| {
            let mut out = false;
            with_field("accept", accept, |fields| out = prefers_json(fields));
            out
        };
        assert!(prefers("application/json"));
        assert!(prefers("application/json, text/html;q=0.9"));
        assert!(!prefers("text/html,application/xhtml+xml,*/*;q=0.8"));
        assert!(!prefers("*/*"));
        assert!(prefers("application/*"));
    }

    #[test]
    fn quality_values_parse_strictly() {
        assert_eq!(parse_quality(b"1"), Some(1000));
        assert_eq!(parse_quality(b"1.000"), Some(1000));
        assert_eq!(parse_quality(b"0.5"), Some(500));
        assert_eq!(parse_quality(b"0.123"), Some(123));
        assert_eq!(parse_quality(b"1.5"), None);
        assert_eq!(parse_quality(b"0.1234"), None);
        assert_eq!(parse_quality(b"2"), None);
    }
}
