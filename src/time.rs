//! Dates as orchat shows and records them, through jiff: records (exports,
//! the ledger's day) in UTC, what the user reads in their time zone.

use jiff::Timestamp;
use jiff::tz::TimeZone;

fn timestamp(ms: u64) -> Timestamp {
    Timestamp::from_millisecond(i64::try_from(ms).unwrap_or(i64::MAX)).unwrap_or(Timestamp::MAX)
}

/// `2025-01-31T09:05:07Z`: a moment, in UTC to the second (for records).
pub fn format_utc(ms: u64) -> String {
    timestamp(ms).strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// `2025-01-31`: the UTC day (OpenRouter counts `:free` requests per UTC day).
pub fn utc_day(ms: u64) -> String {
    timestamp(ms).strftime("%Y-%m-%d").to_string()
}

/// `2025-01-31 10:05`: a moment in the time zone `tz`, to the minute (for lists).
pub fn local_minute(ms: u64, tz: &TimeZone) -> String {
    timestamp(ms)
        .to_zoned_datetime(tz.clone())
        .strftime("%Y-%m-%d %H:%M")
        .to_string()
}

/// The system's time zone, or UTC when it cannot be told.
pub fn system_zone() -> TimeZone {
    TimeZone::try_system().unwrap_or(TimeZone::UTC)
}

/// The name a list's date column takes: "(UTC)" when dates are in UTC.
pub fn zone_note(tz: &TimeZone) -> &'static str {
    if tz.iana_name() == Some("UTC") || *tz == TimeZone::UTC {
        " (UTC)"
    } else {
        ""
    }
}

/// `20250131-090507`: a moment in UTC for a file's name (a pasted image).
pub fn file_stamp() -> String {
    timestamp(crate::store::now_ms())
        .strftime("%Y%m%d-%H%M%S")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_utc_and_in_a_zone() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(1_709_210_096_000), "2024-02-29T12:34:56Z");
        assert_eq!(format_utc(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(utc_day(1_709_210_096_000), "2024-02-29");
        // POSIX rules, so the test needs no time-zone database on the machine.
        let tokyo = TimeZone::posix("JST-9").unwrap();
        assert_eq!(local_minute(1_709_210_096_000, &tokyo), "2024-02-29 21:34");
        let ny = TimeZone::posix("EST5EDT,M3.2.0,M11.1.0").unwrap();
        // Across a day boundary, and daylight saving (EDT, -4) in July.
        assert_eq!(local_minute(1_709_210_096_000, &ny), "2024-02-29 07:34");
        assert_eq!(local_minute(1_720_000_000_000, &ny), "2024-07-03 05:46");
        assert_eq!(local_minute(0, &TimeZone::UTC), "1970-01-01 00:00");
    }
}
