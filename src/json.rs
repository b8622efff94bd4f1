//! Writing JSON by hand, safely: string literals escaped as RFC 8259 §7
//! requires. There is no serializer here (no dependencies); handlers build
//! objects with `format!` and put every piece of text through
//! [`string`], so a quote or a control character in the data cannot break
//! the document. The file server's JSON listings use the same function.
//!
//! ```
//! use http_from_scratch::json;
//!
//! let title = "say \"hi\"\n";
//! let body = format!("{{\"id\":{},\"title\":{}}}", 7, json::string(title));
//! assert_eq!(body, r#"{"id":7,"title":"say \"hi\"\n"}"#);
//! ```

use std::fmt::Write;

/// `text` as a JSON string literal, quotes included.
pub fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    push_string(&mut out, text);
    out
}

/// Appends `text` to `out` as a JSON string literal, quotes included.
pub fn push_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // Every other control character must be escaped too.
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::string;

    #[test]
    fn escapes_what_json_requires_and_nothing_else() {
        assert_eq!(string("plain"), "\"plain\"");
        assert_eq!(string("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(string("\n\r\t"), r#""\n\r\t""#);
        assert_eq!(string("\u{0}\u{1f}"), r#""\u0000\u001f""#);
        // Not control characters: left as they are (JSON text is UTF-8).
        assert_eq!(string("\u{7f}é/"), "\"\u{7f}é/\"");
    }
}
