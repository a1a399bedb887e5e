//! The UK civil date of an instant, without a time-zone database.
//!
//! Deadlines are counted in UK dates: a referral submitted at 00:30 on 1 July (BST) was made on
//! 1 July, though it is still 30 June in UTC. British Summer Time runs from 01:00 UTC on the
//! last Sunday of March to 01:00 UTC on the last Sunday of October (Summer Time Order 2002,
//! following EU Directive 2000/84/EC); the rule is fixed in law, so computing it is exact.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};

fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let next_month_first = if month == 12 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    let mut day = next_month_first.map_or(NaiveDate::MIN, |d| d - Duration::days(1));
    while day.weekday() != Weekday::Sun {
        day -= Duration::days(1);
    }
    day
}

/// Whether British Summer Time is in force at `instant`.
pub fn is_british_summer_time(instant: DateTime<Utc>) -> bool {
    let year = instant.year();
    let start = last_sunday(year, 3)
        .and_hms_opt(1, 0, 0)
        .map(|t| Utc.from_utc_datetime(&t));
    let end = last_sunday(year, 10)
        .and_hms_opt(1, 0, 0)
        .map(|t| Utc.from_utc_datetime(&t));
    matches!((start, end), (Some(s), Some(e)) if instant >= s && instant < e)
}

/// The date in the UK at `instant`.
pub fn uk_date(instant: DateTime<Utc>) -> NaiveDate {
    if is_british_summer_time(instant) {
        (instant + Duration::hours(1)).date_naive()
    } else {
        instant.date_naive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default()
    }

    #[test]
    fn summer_time_boundaries_2026() {
        // 2026: BST from 29 March 01:00 UTC to 25 October 01:00 UTC.
        assert!(!is_british_summer_time(at("2026-03-29T00:59:59Z")));
        assert!(is_british_summer_time(at("2026-03-29T01:00:00Z")));
        assert!(is_british_summer_time(at("2026-10-25T00:59:59Z")));
        assert!(!is_british_summer_time(at("2026-10-25T01:00:00Z")));
    }

    #[test]
    fn uk_date_moves_forward_in_summer_only() {
        assert_eq!(
            uk_date(at("2026-06-30T23:30:00Z")),
            NaiveDate::from_ymd_opt(2026, 7, 1).unwrap_or_default()
        );
        assert_eq!(
            uk_date(at("2026-12-31T23:30:00Z")),
            NaiveDate::from_ymd_opt(2026, 12, 31).unwrap_or_default()
        );
    }
}
