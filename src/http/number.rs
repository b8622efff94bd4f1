//! Numbers as HTTP writes them: decimals (`1*DIGIT`, nothing else) and hex
//! digits.
//!
//! One decimal parser for every place a number arrives as text:
//! Content-Length (`body`), byte ranges (`files::range`) and the command
//! line (`cli`). It sits in its own module rather than in `body`, where
//! Content-Length first needed it, or in `headers`, because two of its
//! callers are not reading fields at all, and a command-line flag should not
//! depend on body framing to read a number. Hex digits come in chunk sizes
//! (`body`) and percent escapes (`uri`), neither of which should import the
//! other. This module owns the digits only: what a number means, and the
//! bounds it must fall in, are the caller's.

/// Digits only, checked arithmetic: `str::parse` would accept `+5`.
/// `None` for an empty input, any non-digit byte, or a value over `u64::MAX`.
pub fn parse_decimal(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |acc, &b| {
        if !b.is_ascii_digit() {
            return None;
        }
        acc.checked_mul(10)?.checked_add(u64::from(b - b'0'))
    })
}

/// The value of one hex digit (`HEXDIG`, either case), or `None` for any
/// other byte.
pub fn hex_digit(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Like [`parse_decimal`], but a value too large for `u64` is `u64::MAX`
/// instead of refused: for numbers that only need to be "past anything
/// real", such as a byte position beyond the end of any file.
pub fn parse_decimal_saturating(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(parse_decimal(digits).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_only_with_overflow_refused() {
        assert_eq!(parse_decimal(b"0"), Some(0));
        assert_eq!(parse_decimal(b"007"), Some(7));
        assert_eq!(parse_decimal(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_decimal(b"18446744073709551616"), None);
        for bad in [&b""[..], b"+5", b"-5", b" 5", b"5 ", b"5a", b"0x5"] {
            assert_eq!(parse_decimal(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn saturating_keeps_digits_only_and_caps_the_value() {
        assert_eq!(parse_decimal_saturating(b"42"), Some(42));
        assert_eq!(
            parse_decimal_saturating(b"99999999999999999999999"),
            Some(u64::MAX)
        );
        for bad in [&b""[..], b"+5", b"5a", b" 5"] {
            assert_eq!(parse_decimal_saturating(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn hex_digits_in_either_case() {
        assert_eq!(hex_digit(b'0'), Some(0));
        assert_eq!(hex_digit(b'9'), Some(9));
        assert_eq!(hex_digit(b'a'), Some(10));
        assert_eq!(hex_digit(b'F'), Some(15));
        for bad in [b'g', b'G', b' ', b'x', 0xff] {
            assert_eq!(hex_digit(bad), None, "{bad:?}");
        }
    }
}
