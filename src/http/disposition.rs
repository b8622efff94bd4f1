//! `Content-Disposition: attachment` values (RFC 6266), which make a
//! browser save a response as a file under a suggested name.
//!
//! A file name can hold anything a file system allows: spaces, quotes,
//! semicolons, `%`, non-ASCII letters, emoji, even line breaks. Put into a
//! header as it is, such a name could end the quoted string early, add
//! parameters, or split the field (response splitting). So [`attachment`]
//! writes the name twice (RFC 6266 §4.3, Appendix D):
//!
//! - `filename*=UTF-8''...`, the exact name as UTF-8 with every byte that is
//!   not an `attr-char` percent-encoded (RFC 8187 §3.2). User agents that
//!   understand it prefer it.
//! - `filename="..."` before it, a plain-ASCII approximation for those that
//!   do not: each character outside printable ASCII becomes `_`, and so do
//!   `"` and `\` (many agents do not undo backslash escapes) and `%` (some
//!   percent-decode this parameter).
//!
//! The result is printable ASCII for every input, so it is always a valid
//! field value. Not owned here: which responses are downloads, where the
//! name comes from, and removing directory parts from it (user agents are
//! expected to do that themselves, RFC 6266 §4.3).
//!
//! ```
//! use http_from_scratch::http::disposition::attachment;
//!
//! assert_eq!(
//!     attachment("résumé.pdf"),
//!     "attachment; filename=\"r_sum_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9.pdf"
//! );
//! ```

/// A `Content-Disposition` value telling the client to save the response
/// as a file named `filename`.
pub fn attachment(filename: &str) -> String {
    let mut out = String::with_capacity(filename.len() * 4 + 40);
    out.push_str("attachment; filename=\"");
    push_ascii_fallback(&mut out, filename);
    out.push_str("\"; filename*=UTF-8''");
    push_percent_encoded(&mut out, filename);
    out
}

/// Appends `filename` with every character that a quoted-string cannot
/// safely carry to every user agent replaced by `_`, one `_` per character
/// (not per byte), so the name keeps its shape.
fn push_ascii_fallback(out: &mut String, filename: &str) {
    for c in filename.chars() {
        let printable = c == ' ' || c.is_ascii_graphic();
        let troublesome = c == '"' || c == '\\' || c == '%';
        out.push(if printable && !troublesome { c } else { '_' });
    }
}

/// Appends the UTF-8 bytes of `filename` as RFC 8187 `value-chars`:
/// `attr-char`s as they are, every other byte as `%` and two uppercase hex
/// digits (uppercase as RFC 3986 §2.1 recommends).
fn push_percent_encoded(out: &mut String, filename: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in filename.as_bytes() {
        if is_attr_char(b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
}

/// `attr-char` (RFC 8187 §3.2.1): letters, digits and
/// ``! # $ & + - . ^ _ ` | ~``. Everything else is percent-encoded,
/// including `%` itself, space, `'`, `*` and `;`.
fn is_attr_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::headers::is_field_value_byte;
    use proptest::collection::vec;
    use proptest::prelude::any;
    use proptest::test_runner::{Config, TestRunner};

    /// The `(fallback, extended)` parameter values of an `attachment`
    /// result. The fallback holds no `"`, so the first `"` closes it, even
    /// when the name itself contains `; filename*=`.
    fn parts(value: &str) -> (&str, &str) {
        let rest = value.strip_prefix("attachment; filename=\"").unwrap();
        rest.split_once("\"; filename*=UTF-8''").unwrap()
    }

    /// Undoes RFC 8187 percent-encoding, refusing anything but attr-chars
    /// and well-formed `%XX`.
    fn percent_decode(text: &str) -> Option<String> {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            } else if is_attr_char(bytes[i]) {
                out.push(bytes[i]);
                i += 1;
            } else {
                return None;
            }
        }
        String::from_utf8(out).ok()
    }

    fn check(filename: &str, fallback: &str, extended: &str) {
        let value = attachment(filename);
        assert_eq!(parts(&value), (fallback, extended), "{filename:?}");
    }

    #[test]
    fn plain_ascii_names() {
        check("report.pdf", "report.pdf", "report.pdf");
        check("a-b_c~1.tar.gz", "a-b_c~1.tar.gz", "a-b_c~1.tar.gz");
        assert_eq!(
            attachment("report.pdf"),
            "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
        );
    }

    #[test]
    fn spaces_and_punctuation() {
        check("my file.txt", "my file.txt", "my%20file.txt");
        check("a;b.txt", "a;b.txt", "a%3Bb.txt");
        check("it's (1).txt", "it's (1).txt", "it%27s%20%281%29.txt");
        check("a*b=c,d", "a*b=c,d", "a%2Ab%3Dc%2Cd");
    }

    #[test]
    fn quotes_backslashes_and_percent_signs() {
        check("say \"hi\".txt", "say _hi_.txt", "say%20%22hi%22.txt");
        check("back\\slash", "back_slash", "back%5Cslash");
        check("100%.txt", "100_.txt", "100%25.txt");
        check("%41.txt", "_41.txt", "%2541.txt");
    }

    #[test]
    fn non_ascii_names() {
        check("résumé.pdf", "r_sum_.pdf", "r%C3%A9sum%C3%A9.pdf");
        check("日本.txt", "__.txt", "%E6%97%A5%E6%9C%AC.txt");
        check("🎉.png", "_.png", "%F0%9F%8E%89.png");
    }

    #[test]
    fn control_characters_cannot_split_the_field() {
        check(
            "a\r\nSet-Cookie: x=1",
            "a__Set-Cookie: x=1",
            "a%0D%0ASet-Cookie%3A%20x%3D1",
        );
        check("tab\there\0\u{7f}", "tab_here__", "tab%09here%00%7F");
        check("", "", "");
    }

    #[test]
    fn a_name_cannot_add_parameters() {
        check(
            "x\"; filename*=UTF-8''evil.exe",
            "x_; filename*=UTF-8''evil.exe",
            "x%22%3B%20filename%2A%3DUTF-8%27%27evil.exe",
        );
    }

    #[test]
    fn any_name_gives_a_field_value_that_decodes_back_to_it() {
        let config = Config {
            failure_persistence: None,
            ..Config::default()
        };
        // Arbitrary chars, not `any::<String>()`, whose pattern leaves out
        // line breaks.
        let names = vec(any::<char>(), 0..40);
        let outcome = TestRunner::new(config).run(&names, |chars| {
            let filename: String = chars.into_iter().collect();
            let value = attachment(&filename);
            assert!(value
                .bytes()
                .all(|b| is_field_value_byte(b) && b.is_ascii()));
            let (fallback, extended) = parts(&value);
            assert!(!fallback.contains(['"', '\\']));
            assert_eq!(fallback.chars().count(), filename.chars().count());
            assert_eq!(percent_decode(extended), Some(filename));
            Ok(())
        });
        outcome.unwrap();
    }
}
