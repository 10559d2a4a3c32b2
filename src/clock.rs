//! Instants as the reports show them: UTC, and relative to the evaluation time.

use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime, UtcOffset};

/// Parses `--now`: RFC 3339 (`2024-05-01T10:00:00Z`) or Unix seconds.
pub fn parse_instant(text: &str) -> Result<OffsetDateTime, String> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<i64>() {
        return OffsetDateTime::from_unix_timestamp(secs)
            .map_err(|_| format!("{secs} is out of range for Unix seconds"));
    }
    let parsed = OffsetDateTime::parse(text, &Rfc3339).map_err(|_| {
        format!("`{text}` is neither RFC 3339 (2024-05-01T10:00:00Z) nor Unix seconds")
    })?;
    // `9999-12-31T23:59:59-01:00` is a year 10000 in UTC: past what the time type holds.
    parsed
        .checked_to_offset(UtcOffset::UTC)
        .ok_or_else(|| format!("`{text}` is out of range (beyond the year 9999 in UTC)"))
}

/// RFC 3339 in UTC, to the second: `2024-05-01T10:00:00Z`.
pub fn rfc3339(t: OffsetDateTime) -> String {
    let t = t
        .to_offset(UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(t);
    t.format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// A readable UTC time: `2024-05-01 10:00:00 UTC`.
pub fn utc(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// `t` relative to `now`: `in 3 h 5 min`, `2 days ago`, `now`.
pub fn relative(t: OffsetDateTime, now: OffsetDateTime) -> String {
    let delta = t - now;
    let span = span(delta.abs());
    if delta.abs() < Duration::seconds(1) {
        "now".to_string()
    } else if delta.is_negative() {
        format!("{span} ago")
    } else {
        format!("in {span}")
    }
}

/// A duration in its two largest units: `3 days 4 h`, `5 min 2 s`.
pub fn span(d: Duration) -> String {
    let secs = d.whole_seconds().unsigned_abs();
    let (days, hours, mins, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    let plural = |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    if days >= 365 {
        let years = days / 365;
        format!(
            "{} {}",
            plural(years, "year", "years"),
            plural(days % 365, "day", "days")
        )
    } else if days > 0 {
        format!("{} {hours} h", plural(days, "day", "days"))
    } else if hours > 0 {
        format!("{hours} h {mins} min")
    } else if mins > 0 {
        format!("{mins} min {s} s")
    } else {
        format!("{s} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn now_accepts_rfc3339_and_unix_seconds() {
        let a = parse_instant("2024-05-01T10:00:00Z").expect("rfc 3339");
        let b = parse_instant("1714557600").expect("unix");
        assert_eq!(a, b);
        assert_eq!(
            parse_instant("2024-05-01T12:00:00+02:00").expect("offset"),
            a
        );
        assert!(parse_instant("yesterday").unwrap_err().contains("RFC 3339"));
    }

    #[test]
    fn formats_utc_and_relative() {
        let now = datetime!(2024-05-01 10:00:00 UTC);
        assert_eq!(utc(now), "2024-05-01 10:00:00 UTC");
        assert_eq!(rfc3339(now), "2024-05-01T10:00:00Z");
        assert_eq!(relative(now + Duration::minutes(185), now), "in 3 h 5 min");
        assert_eq!(relative(now - Duration::days(2), now), "2 days 0 h ago");
        assert_eq!(
            relative(now - Duration::days(800), now),
            "2 years 70 days ago"
        );
        assert_eq!(relative(now, now), "now");
    }
}
