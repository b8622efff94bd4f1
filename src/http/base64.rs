//! Base64 (RFC 4648 §4): the standard alphabet, with padding, as HTTP Basic
//! authentication carries a user-id and password (RFC 7617 §2).
//!
//! [`decode`] is strict: it accepts only the one canonical encoding of each
//! byte string. Whitespace, line breaks, characters outside the alphabet,
//! missing or misplaced `=`, and non-zero bits left over in the last
//! character (RFC 4648 §3.5) are all refused, so two different texts never
//! decode to the same bytes, and a malformed credential is an error rather
//! than a guess. The URL-safe alphabet (§5) and unpadded forms are not
//! handled; nothing here needs them. What the decoded bytes mean is the
//! caller's (see `http::credentials`).
//!
//! ```
//! use http_from_scratch::http::base64::{decode, encode};
//!
//! assert_eq!(encode(b"Aladdin:open sesame"), "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
//! assert_eq!(decode("QWxhZGRpbjpvcGVuIHNlc2FtZQ==").as_deref(), Some(&b"Aladdin:open sesame"[..]));
//! assert_eq!(decode("QWxhZGRpbjpvcGVuIHNlc2FtZQ"), None); // padding missing
//! ```

/// The 64 characters, in value order (RFC 4648 Table 1).
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `bytes` in base64, padded with `=` to a multiple of four characters.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    // Each group of three bytes (24 bits) becomes four 6-bit characters; a
    // final group of one or two bytes is filled out with zero bits, and
    // each missing byte is marked by one `=`.
    for group in bytes.chunks(3) {
        let mut b = [0u8; 3];
        b[..group.len()].copy_from_slice(group);
        let bits = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        let sextets = [bits >> 18, bits >> 12, bits >> 6, bits];
        let written = group.len() + 1;
        for &sextet in &sextets[..written] {
            out.push(char::from(ALPHABET[(sextet & 0x3f) as usize]));
        }
        for _ in written..4 {
            out.push('=');
        }
    }
    out
}

/// The bytes `text` encodes, or `None` unless it is canonical padded base64
/// (the empty string is, and decodes to no bytes).
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let text = text.as_bytes();
    if !text.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let last = text.len() / 4;
    for (i, quantum) in text.chunks_exact(4).enumerate() {
        // Only the last quantum may be padded.
        decode_quantum(quantum, i + 1 == last, &mut out)?;
    }
    Some(out)
}

/// Decodes four characters into one to three bytes appended to `out`.
fn decode_quantum(quantum: &[u8], may_pad: bool, out: &mut Vec<u8>) -> Option<()> {
    let padding = match (quantum[2], quantum[3]) {
        (b'=', b'=') => 2,
        (_, b'=') => 1,
        _ => 0,
    };
    if padding > 0 && !may_pad {
        return None;
    }
    // Any `=` left among the data characters is refused by `value_of`.
    let mut bits = 0u32;
    for &c in &quantum[..4 - padding] {
        bits = bits << 6 | u32::from(value_of(c)?);
    }
    bits <<= 6 * padding;
    let bytes = [(bits >> 16) as u8, (bits >> 8) as u8, bits as u8];
    let kept = 3 - padding;
    // The bits below the last kept byte must be zero: otherwise another
    // text would decode to the same bytes (RFC 4648 §3.5).
    if bytes[kept..].iter().any(|&b| b != 0) {
        return None;
    }
    out.extend_from_slice(&bytes[..kept]);
    Some(())
}

/// The 6-bit value of one alphabet character; `None` for anything else,
/// `=` and whitespace included.
fn value_of(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::collection::vec;
    use proptest::prelude::any;
    use proptest::test_runner::{Config, TestRunner};

    /// RFC 4648 §10.
    const VECTORS: [(&str, &str); 7] = [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ];

    #[test]
    fn rfc_4648_test_vectors_encode() {
        for (plain, encoded) in VECTORS {
            assert_eq!(encode(plain.as_bytes()), encoded, "{plain:?}");
        }
    }

    #[test]
    fn rfc_4648_test_vectors_decode() {
        for (plain, encoded) in VECTORS {
            assert_eq!(
                decode(encoded).as_deref(),
                Some(plain.as_bytes()),
                "{encoded:?}"
            );
        }
    }

    #[test]
    fn every_character_and_every_byte_value() {
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(decode(&encode(&all)), Some(all));
        // 0xfb 0xff 0xbf is 111110 111111 111110 111111: both high letters.
        assert_eq!(encode(&[0xfb, 0xff, 0xbf]), "+/+/");
        assert_eq!(decode("+/+/"), Some(vec![0xfb, 0xff, 0xbf]));
    }

    #[test]
    fn refuses_what_is_not_canonical() {
        let refused = [
            "Zg",       // padding missing
            "Zg=",      // length not a multiple of four
            "Zg===",    // too much padding
            "Z===",     // a lone character encodes no whole byte
            "====",     // padding only
            "=Zg=",     // padding first
            "Zg==Zg==", // padding before the end
            "Zm=v",     // padding between data characters
            "Zh==",     // 'h' leaves non-zero bits after the byte
            "Zm9=",     // '9' leaves non-zero bits after two bytes
            "Zm9v ",    // trailing space
            " Zm9v",    // leading space
            "Zm 9v",    // space inside
            "Zm9v\r\n", // a line break
            "Zm9\tv",   // a tab
            "Zm9-",     // URL-safe alphabet
            "Zm9_",     // URL-safe alphabet
            "Zm9é",     // not ASCII
        ];
        for text in refused {
            assert_eq!(decode(text), None, "{text:?}");
        }
    }

    #[test]
    fn decode_undoes_encode_for_arbitrary_bytes() {
        let config = Config {
            failure_persistence: None,
            ..Config::default()
        };
        let outcome = TestRunner::new(config).run(&vec(any::<u8>(), 0..200), |bytes| {
            let text = encode(&bytes);
            assert!(text.len().is_multiple_of(4));
            assert_eq!(decode(&text), Some(bytes));
            Ok(())
        });
        // On failure, the error names the smallest input found to fail.
        outcome.unwrap();
    }
}
