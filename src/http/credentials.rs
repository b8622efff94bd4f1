//! HTTP Basic credentials (RFC 7617): reading the user-id and password out
//! of an `Authorization` field value, and comparing secrets without
//! letting the time taken reveal where they differ.
//!
//! [`parse_basic`] follows the grammar strictly and answers `None` for
//! anything it does not match; the caller answers 401 either way, so there
//! is no reason to tell kinds of malformed apart. The server's challenge
//! is expected to carry `charset="UTF-8"` (RFC 7617 §2.1), so the decoded
//! bytes must be UTF-8. The Unicode normalization that section also asks
//! for (NFC, through the PRECIS profiles of RFC 8265) is not applied: that
//! needs Unicode tables this crate does not carry, so a name typed in a
//! different normalization form will not match.
//!
//! Not owned here: which credentials are right, the `WWW-Authenticate`
//! challenge, the 401 response, and hashing ([`crate::sha256`]).
//!
//! ```
//! use http_from_scratch::http::credentials::{constant_time_eq, parse_basic};
//!
//! let sent = parse_basic(b"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==").unwrap();
//! assert_eq!(sent.user, "Aladdin");
//! assert!(constant_time_eq(sent.password.as_bytes(), b"open sesame"));
//! ```

use crate::http::base64;
use crate::http::headers::trim_ows;
use std::fmt;

/// The user-id and password a client sent. There is deliberately no
/// `PartialEq`: compare the password with [`constant_time_eq`], and the
/// `Debug` output leaves the password out, so logging the value cannot
/// leak it.
#[derive(Clone)]
pub struct BasicCredentials {
    /// The user-id: UTF-8, no `:` and no control characters.
    pub user: String,
    /// The password: UTF-8, no control characters; it may contain `:`.
    pub password: String,
}

impl fmt::Debug for BasicCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BasicCredentials")
            .field("user", &self.user)
            .field("password", &"<hidden>")
            .finish()
    }
}

/// Reads an `Authorization` field value of the form `Basic <token68>`
/// (RFC 7235 §2.1, RFC 7617 §2).
///
/// The scheme name is matched case-insensitively; one or more spaces (not
/// tabs) separate it from the token; the token must be canonical padded
/// base64 ([`base64::decode`]). The decoded bytes must be UTF-8, contain a
/// `:`, and contain no control characters (RFC 7617 §2). The user-id is
/// everything before the first `:`, so it cannot contain one; the password
/// is everything after. `None` for any other value, including another
/// scheme or Basic with auth-params instead of a token.
pub fn parse_basic(value: &[u8]) -> Option<BasicCredentials> {
    let value = trim_ows(value);
    let space = value.iter().position(|&b| b == b' ')?;
    let (scheme, rest) = value.split_at(space);
    if !scheme.eq_ignore_ascii_case(b"Basic") {
        return None;
    }
    // `rest` starts with the space found above; RFC 7235 allows 1*SP. A
    // tab, or anything else that is not base64, is left for `decode` to
    // refuse.
    let start = rest.iter().position(|&b| b != b' ')?;
    let token = std::str::from_utf8(&rest[start..]).ok()?;
    let decoded = String::from_utf8(base64::decode(token)?).ok()?;
    // RFC 7617 §2 forbids CTL; Unicode's wider Cc (C1 controls too) is
    // refused as well, as RFC 8265's profiles for these strings do.
    if decoded.chars().any(char::is_control) {
        return None;
    }
    let (user, password) = decoded.split_once(':')?;
    Some(BasicCredentials {
        user: user.to_owned(),
        password: password.to_owned(),
    })
}

/// Whether `a` and `b` are the same bytes, taking the same time wherever
/// they differ: every byte pair is examined, with no early exit, so the
/// time does not tell an attacker how long a correct prefix they guessed.
///
/// The lengths are compared first and a difference returns at once, so the
/// time can reveal whether the lengths match (and so the length of a
/// stored secret). Comparing fixed-length values, such as SHA-256 digests
/// of both sides, hides that too. Rust promises nothing about timing: the
/// loop gives the compiler no early exit to take, and `black_box` (a
/// best-effort hint, not a guarantee) discourages it from noticing that
/// once the difference is non-zero the rest cannot change the answer.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut difference = 0u8;
    for (x, y) in a.iter().zip(b) {
        difference = std::hint::black_box(difference | (x ^ y));
    }
    difference == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value a client sends for `user-pass` (user, `:`, password).
    fn header(scheme: &str, gap: &str, user_pass: &str) -> Vec<u8> {
        format!("{scheme}{gap}{}", base64::encode(user_pass.as_bytes())).into_bytes()
    }

    /// Asserts that `value` parses to `user` and `password`.
    fn assert_parses(value: &[u8], user: &str, password: &str) {
        let shown = String::from_utf8_lossy(value);
        let sent = parse_basic(value).unwrap_or_else(|| panic!("refused {shown:?}"));
        assert_eq!(
            (sent.user.as_str(), sent.password.as_str()),
            (user, password)
        );
    }

    #[test]
    fn rfc_7617_examples() {
        // §2: "Aladdin" / "open sesame".
        assert_parses(
            b"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
            "Aladdin",
            "open sesame",
        );
        // §2.1: "test" / "123£", with the password in UTF-8.
        assert_parses(b"Basic dGVzdDoxMjPCow==", "test", "123£");
    }

    #[test]
    fn utf8_names_and_passwords() {
        let pairs = [("José", "contraseña"), ("日本", "パスワード"), ("a", "🔑")];
        for (user, password) in pairs {
            let value = header("Basic", " ", &format!("{user}:{password}"));
            assert_parses(&value, user, password);
        }
    }

    #[test]
    fn the_password_may_contain_colons_and_either_part_may_be_empty() {
        assert_parses(&header("Basic", " ", "user:pa:ss:"), "user", "pa:ss:");
        assert_parses(&header("Basic", " ", ":"), "", "");
        assert_parses(&header("Basic", " ", "u:"), "u", "");
    }

    #[test]
    fn scheme_case_and_spacing() {
        for scheme in ["basic", "BASIC", "bAsIc"] {
            assert_parses(&header(scheme, " ", "u:p"), "u", "p");
        }
        // 1*SP between scheme and token; surrounding OWS is not the value's.
        assert_parses(&header("Basic", "   ", "u:p"), "u", "p");
        let padded = [&b" \t"[..], &header("Basic", " ", "u:p"), b"\t "].concat();
        assert_parses(&padded, "u", "p");
    }

    #[test]
    fn malformed_values_are_refused() {
        let refused: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"Basic".to_vec(),
            b"Basic ".to_vec(),
            b"QWxhZGRpbjpvcGVuIHNlc2FtZQ==".to_vec(), // no scheme
            header("Bearer", " ", "u:p"),             // another scheme
            header("Basicx", " ", "u:p"),
            header("Basic", "", "u:p"),    // no space at all
            header("Basic", "\t", "u:p"),  // a tab is not SP
            header("Basic", " \t", "u:p"), // nor after a space
            header("Basic", " ", "no colon"),
            header("Basic", " ", "us\ner:p"), // control characters
            header("Basic", " ", "u:p\0"),
            header("Basic", " ", "u:\u{7f}"),
            header("Basic", " ", "u:\u{85}"), // a C1 control (NEL)
            b"Basic dTpw dTpw".to_vec(),      // two tokens
            b"Basic dTpw=".to_vec(),          // bad padding
            b"Basic dTp".to_vec(),            // truncated
            b"Basic realm=\"x\"".to_vec(),    // auth-params, not token68
            b"Basic /w==".to_vec(),           // 0xff: not UTF-8
            b"Basic 6Tpw".to_vec(),           // Latin-1 "é:p": not UTF-8
        ];
        for value in refused {
            let shown = String::from_utf8_lossy(&value);
            assert!(parse_basic(&value).is_none(), "{shown:?}");
        }
    }

    #[test]
    fn debug_output_hides_the_password() {
        let sent = parse_basic(&header("Basic", " ", "alice:hunter2")).unwrap();
        let shown = format!("{sent:?}");
        assert!(shown.contains("alice"));
        assert!(!shown.contains("hunter2"));
    }

    #[test]
    fn constant_time_eq_is_equality() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"Secret"));
        assert!(!constant_time_eq(b"secret", b"secret!"));
        assert!(!constant_time_eq(b"", b"x"));
        // Every single-bit difference in any position is noticed.
        let base = [0x5au8; 8];
        for i in 0..base.len() {
            for bit in 0..8 {
                let mut other = base;
                other[i] ^= 1 << bit;
                assert!(!constant_time_eq(&base, &other), "byte {i} bit {bit}");
            }
        }
    }
}
