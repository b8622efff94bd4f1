//! HTTP dates (RFC 9110 §5.6.7), written from scratch over Unix seconds.
//!
//! Headers get IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the access
//! log the Common Log Format's date or RFC 3339;
//! parsing accepts all three formats a recipient must accept: IMF-fixdate,
//! the obsolete RFC 850 form and C's asctime form. The calendar arithmetic is
//! the proleptic Gregorian "days from civil" algorithm, so leap years and
//! dates after 2038 come out right on every platform.
//!
//! The current `Date` header is formatted at most once per second per thread
//! ([`with_now_imf_fixdate`]); nothing here touches a socket.

use std::cell::RefCell;
use std::time::{SystemTime, UNIX_EPOCH};

const DAY_NAMES: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const LONG_DAY_NAMES: [&str; 7] = [
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
];
const MONTH_NAMES: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A broken-down UTC time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

/// Days since 1970-01-01 for a proleptic Gregorian date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    // Shift the year to start in March so that the leap day is the last day.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let m = i64::from(month);
    let month_from_march = if m > 2 { m - 3 } else { m + 9 };
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn civil_from_unix(secs: i64) -> Civil {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400) as u32;
    let (year, month, day) = civil_from_days(days);
    Civil {
        year,
        month,
        day,
        hour: rem / 3600,
        minute: rem / 60 % 60,
        second: rem % 60,
    }
}

fn weekday_index(secs: i64) -> usize {
    // 1970-01-01 was a Thursday, the first entry of DAY_NAMES.
    secs.div_euclid(86_400).rem_euclid(7) as usize
}

/// Formats Unix seconds as an IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
pub fn format_imf_fixdate(secs: i64) -> String {
    let c = civil_from_unix(secs);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAY_NAMES[weekday_index(secs)],
        c.day,
        MONTH_NAMES[c.month as usize - 1],
        c.year,
        c.hour,
        c.minute,
        c.second
    )
}

/// Formats Unix seconds as the Common Log Format timestamp,
/// e.g. `06/Nov/1994:08:49:37 +0000`.
pub fn format_clf(secs: i64) -> String {
    let c = civil_from_unix(secs);
    format!(
        "{:02}/{}/{:04}:{:02}:{:02}:{:02} +0000",
        c.day,
        MONTH_NAMES[c.month as usize - 1],
        c.year,
        c.hour,
        c.minute,
        c.second
    )
}

/// Formats Unix seconds as RFC 3339 in UTC, e.g. `1994-11-06T08:49:37Z`
/// (what JSON logs carry).
pub fn format_rfc3339(secs: i64) -> String {
    let c = civil_from_unix(secs);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// Seconds since the Unix epoch of a `SystemTime` (negative before 1970).
pub fn unix_seconds(time: SystemTime) -> i64 {
    match time.duration_since(UNIX_EPOCH) {
        Ok(after) => after.as_secs() as i64,
        Err(before) => {
            let d = before.duration();
            -(d.as_secs() as i64) - i64::from(d.subsec_nanos() > 0)
        }
    }
}

thread_local! {
    static DATE_CACHE: RefCell<(i64, String)> = const { RefCell::new((i64::MIN, String::new())) };
}

/// Runs `f` with the current time as an IMF-fixdate. The string is formatted
/// at most once per second on each thread, so the hot path does not allocate.
pub fn with_now_imf_fixdate<R>(f: impl FnOnce(&str) -> R) -> R {
    let now = unix_seconds(SystemTime::now());
    DATE_CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.0 != now {
            *cache = (now, format_imf_fixdate(now));
        }
        f(&cache.1)
    })
}

/// Parses an HTTP-date in any of the three formats of RFC 9110 §5.6.7 and
/// returns Unix seconds, or `None` if the text is not a valid date.
///
/// ```text
/// IMF-fixdate  = day-name "," SP date1 SP time-of-day SP GMT   ; Sun, 06 Nov 1994 08:49:37 GMT
/// rfc850-date  = day-name-l "," SP date2 SP time-of-day SP GMT ; Sunday, 06-Nov-94 08:49:37 GMT
/// asctime-date = day-name SP date3 SP time-of-day SP year      ; Sun Nov  6 08:49:37 1994
/// ```
pub fn parse_http_date(text: &[u8]) -> Option<i64> {
    // Every valid date is ASCII; checking first makes the byte-index slicing
    // below safe on any input (a multi-byte character could split a slice).
    if !text.is_ascii() {
        return None;
    }
    let text = std::str::from_utf8(text).ok()?;
    parse_imf_fixdate(text)
        .or_else(|| parse_rfc850(text))
        .or_else(|| parse_asctime(text))
}

fn parse_imf_fixdate(text: &str) -> Option<i64> {
    let (day_name, rest) = text.split_once(", ")?;
    if text.len() != 29 || !DAY_NAMES.contains(&day_name) {
        return None;
    }
    let day = two_digits(&rest[0..2])?;
    expect(&rest[2..3], " ")?;
    let month = month_number(&rest[3..6])?;
    expect(&rest[6..7], " ")?;
    let year = four_digits(&rest[7..11])?;
    expect(&rest[11..12], " ")?;
    let (hour, minute, second) = time_of_day(&rest[12..20])?;
    expect(&rest[20..], " GMT")?;
    to_unix(year, month, day, hour, minute, second, day_name)
}

fn parse_rfc850(text: &str) -> Option<i64> {
    let (day_name, rest) = text.split_once(", ")?;
    let weekday = LONG_DAY_NAMES.iter().position(|d| *d == day_name)?;
    if rest.len() != 22 {
        return None;
    }
    let day = two_digits(&rest[0..2])?;
    expect(&rest[2..3], "-")?;
    let month = month_number(&rest[3..6])?;
    expect(&rest[6..7], "-")?;
    let two_digit_year = i64::from(two_digits(&rest[7..9])?);
    expect(&rest[9..10], " ")?;
    let (hour, minute, second) = time_of_day(&rest[10..18])?;
    expect(&rest[18..], " GMT")?;
    // RFC 9110 §5.6.7: a two-digit year more than 50 years in the future is
    // taken to be in the past century. We read 70..99 as 19xx, the rest 20xx.
    let year = if two_digit_year >= 70 {
        1900 + two_digit_year
    } else {
        2000 + two_digit_year
    };
    to_unix(year, month, day, hour, minute, second, DAY_NAMES[weekday])
}

fn parse_asctime(text: &str) -> Option<i64> {
    if text.len() != 24 {
        return None;
    }
    let day_name = text.get(0..3)?;
    if !DAY_NAMES.contains(&day_name) {
        return None;
    }
    expect(&text[3..4], " ")?;
    let month = month_number(&text[4..7])?;
    expect(&text[7..8], " ")?;
    let day_text = &text[8..10];
    let day = match day_text.as_bytes() {
        [b' ', d] if d.is_ascii_digit() => u32::from(d - b'0'),
        _ => two_digits(day_text)?,
    };
    expect(&text[10..11], " ")?;
    let (hour, minute, second) = time_of_day(&text[11..19])?;
    expect(&text[19..20], " ")?;
    let year = four_digits(&text[20..24])?;
    to_unix(year, month, day, hour, minute, second, day_name)
}

fn expect(actual: &str, wanted: &str) -> Option<()> {
    (actual == wanted).then_some(())
}

fn two_digits(text: &str) -> Option<u32> {
    match text.as_bytes() {
        [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => {
            Some(u32::from(a - b'0') * 10 + u32::from(b - b'0'))
        }
        _ => None,
    }
}

fn four_digits(text: &str) -> Option<i64> {
    let hi = two_digits(text.get(0..2)?)?;
    let lo = two_digits(text.get(2..4)?)?;
    Some(i64::from(hi * 100 + lo))
}

fn month_number(text: &str) -> Option<u32> {
    MONTH_NAMES
        .iter()
        .position(|m| *m == text)
        .map(|i| i as u32 + 1)
}

fn time_of_day(text: &str) -> Option<(u32, u32, u32)> {
    let hour = two_digits(text.get(0..2)?)?;
    expect(text.get(2..3)?, ":")?;
    let minute = two_digits(text.get(3..5)?)?;
    expect(text.get(5..6)?, ":")?;
    let second = two_digits(text.get(6..8)?)?;
    // 60 is allowed for a leap second (RFC 9110 §5.6.7).
    (hour < 24 && minute < 60 && second <= 60).then_some((hour, minute, second))
}

fn days_in_month(year: i64, month: u32) -> u32 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn to_unix(
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    day_name: &str,
) -> Option<i64> {
    if day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let secs = days_from_civil(year, month, day) * 86_400
        + i64::from(hour) * 3600
        + i64::from(minute) * 60
        + i64::from(second);
    // A day name that contradicts the date means the text is not a real date.
    (DAY_NAMES[weekday_index(secs)] == day_name).then_some(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_timestamps() {
        assert_eq!(format_imf_fixdate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(
            format_imf_fixdate(784_111_777),
            "Sun, 06 Nov 1994 08:49:37 GMT"
        );
        // A leap day, the 32-bit rollover in 2038, and 2100 (not a leap year).
        assert_eq!(
            format_imf_fixdate(951_782_400),
            "Tue, 29 Feb 2000 00:00:00 GMT"
        );
        assert_eq!(
            format_imf_fixdate(2_147_483_648),
            "Tue, 19 Jan 2038 03:14:08 GMT"
        );
        assert_eq!(
            format_imf_fixdate(4_107_542_400),
            "Mon, 01 Mar 2100 00:00:00 GMT"
        );
        assert_eq!(format_clf(784_111_777), "06/Nov/1994:08:49:37 +0000");
        assert_eq!(format_rfc3339(784_111_777), "1994-11-06T08:49:37Z");
    }

    #[test]
    fn parses_all_three_formats_to_the_same_instant() {
        let want = Some(784_111_777);
        assert_eq!(parse_http_date(b"Sun, 06 Nov 1994 08:49:37 GMT"), want);
        assert_eq!(parse_http_date(b"Sunday, 06-Nov-94 08:49:37 GMT"), want);
        assert_eq!(parse_http_date(b"Sun Nov  6 08:49:37 1994"), want);
    }

    #[test]
    fn rejects_invalid_dates() {
        for bad in [
            &b"Sun, 06 Nov 1994 08:49:37 UTC"[..],
            b"Mon, 06 Nov 1994 08:49:37 GMT",
            b"Tue, 29 Feb 2100 00:00:00 GMT",
            b"Sun, 6 Nov 1994 08:49:37 GMT",
            b"Sun, 06 Nov 1994 24:00:00 GMT",
            "Sun, 0\u{e9} Nov 1994 08:49:37 GM".as_bytes(),
            "Sunday, 0\u{e9}-Nov-94 08:49:37 GM".as_bytes(),
            "Sun Nov \u{e9}6 08:49:37 199".as_bytes(),
            b"",
            b"garbage",
        ] {
            assert_eq!(
                parse_http_date(bad),
                None,
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn round_trips_every_day_for_three_centuries() {
        let mut secs = days_from_civil(1900, 1, 1) * 86_400 + 12 * 3600 + 34;
        let end = days_from_civil(2200, 1, 1) * 86_400;
        while secs < end {
            let text = format_imf_fixdate(secs);
            assert_eq!(parse_http_date(text.as_bytes()), Some(secs), "{text}");
            secs += 86_400;
        }
    }
}
