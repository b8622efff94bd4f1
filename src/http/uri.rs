//! Percent-encoding (RFC 3986 §2.1) and query strings.
//!
//! Decoding is strict: a `%` must be followed by two hex digits, and callers
//! decide what a decoded `/`, NUL or invalid UTF-8 means for them (the file
//! server refuses all three). Encoding is for building links and `Location`
//! values from file names.

use crate::http::number::hex_digit;

/// Decodes `%XX` escapes. Returns `None` for a malformed escape.
pub fn percent_decode(input: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'%' {
            let hi = hex_digit(*input.get(i + 1)?)?;
            let lo = hex_digit(*input.get(i + 2)?)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else {
            out.push(input[i]);
            i += 1;
        }
    }
    Some(out)
}

/// Decodes to a `String`, or `None` for a bad escape or invalid UTF-8.
pub fn percent_decode_str(input: &str) -> Option<String> {
    String::from_utf8(percent_decode(input.as_bytes())?).ok()
}

/// Encodes a path segment: everything but RFC 3986 unreserved characters and
/// a few safe sub-delims is escaped, `/` included.
pub fn percent_encode_segment(segment: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(segment.len());
    for &b in segment.as_bytes() {
        let safe = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'('
                    | b')'
                    | b'*'
                    | b','
                    | b'='
                    | b':'
                    | b'@'
            );
        if safe {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0xf)] as char);
        }
    }
    out
}

/// Splits `a=1&b=two+words` into decoded pairs (`+` is a space, as HTML
/// forms send it). Pairs whose escapes are malformed are skipped.
pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter_map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| percent_decode_str(&s.replace('+', " "));
            Some((decode(name)?, decode(value)?))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_and_rejects_bad_escapes() {
        assert_eq!(percent_decode(b"a%20b%2F").unwrap(), b"a b/");
        assert_eq!(percent_decode(b"%zz"), None);
        assert_eq!(percent_decode(b"%4"), None);
        assert_eq!(percent_decode_str("%ff"), None);
    }

    #[test]
    fn encodes_what_a_link_needs() {
        assert_eq!(
            percent_encode_segment("a b/<c>?#%"),
            "a%20b%2F%3Cc%3E%3F%23%25"
        );
        assert_eq!(percent_encode_segment("é"), "%C3%A9");
    }

    #[test]
    fn query_pairs_decode_plus_and_escapes() {
        let pairs = query_pairs("a=1&b=two+words&c=%26&&flag");
        assert_eq!(
            pairs,
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "two words".into()),
                ("c".into(), "&".into()),
                ("flag".into(), String::new()),
            ]
        );
    }
}
