//! The period a table covers: a calendar quarter or a calendar year.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// A calendar quarter (`2024Q4`) or year (`2024`), as the bulletins publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Period {
    Quarter { year: i32, quarter: u32 },
    Year(i32),
}

/// The text is not a period (`2024Q4` or `2024`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a period is a year (2024) or a quarter (2024Q4)")]
pub struct BadPeriod;

impl Period {
    pub fn parse(text: &str) -> Result<Self, BadPeriod> {
        let text = text.trim();
        let year = |s: &str| {
            (s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<i32>().ok())
                .flatten()
                .filter(|y| (1900..=9998).contains(y))
                .ok_or(BadPeriod)
        };
        match text.split_once(['Q', 'q']) {
            Some((y, q)) => {
                let quarter = match q {
                    "1" => 1,
                    "2" => 2,
                    "3" => 3,
                    "4" => 4,
                    _ => return Err(BadPeriod),
                };
                Ok(Self::Quarter {
                    year: year(y)?,
                    quarter,
                })
            }
            None => Ok(Self::Year(year(text)?)),
        }
    }

    /// The first day.
    pub fn start(self) -> NaiveDate {
        let (y, m) = match self {
            Self::Quarter { year, quarter } => (year, (quarter - 1) * 3 + 1),
            Self::Year(year) => (year, 1),
        };
        NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(NaiveDate::MIN)
    }

    /// The last day.
    pub fn end(self) -> NaiveDate {
        let next = match self {
            Self::Quarter { year, quarter: 4 } | Self::Year(year) => {
                NaiveDate::from_ymd_opt(year + 1, 1, 1)
            }
            Self::Quarter { year, quarter } => NaiveDate::from_ymd_opt(year, quarter * 3 + 1, 1),
        };
        next.and_then(|d| d.pred_opt()).unwrap_or(NaiveDate::MAX)
    }

    pub fn contains(self, day: NaiveDate) -> bool {
        self.start() <= day && day <= self.end()
    }

    /// The quarter a day falls in.
    pub fn quarter_of(day: NaiveDate) -> Self {
        Self::Quarter {
            year: day.year(),
            quarter: (day.month() - 1) / 3 + 1,
        }
    }

    /// The number of the quarter a day falls in, counted from the first quarter of year 0
    /// (`year * 4 + quarter - 1`): the key a store keeps a fact's quarters by.
    pub fn quarter_number(day: NaiveDate) -> i32 {
        day.year() * 4 + (day.month0() / 3) as i32
    }

    /// The numbers of the first and last quarter of the period ([`Period::quarter_number`]).
    pub fn quarter_numbers(self) -> (i32, i32) {
        (
            Self::quarter_number(self.start()),
            Self::quarter_number(self.end()),
        )
    }

    /// "October to December 2024", "2024".
    pub fn describe(self) -> String {
        match self {
            Self::Quarter { year, quarter } => {
                let months = ["January to March", "April to June", "July to September"];
                let name = months
                    .get(quarter as usize - 1)
                    .copied()
                    .unwrap_or("October to December");
                format!("{name} {year}")
            }
            Self::Year(year) => format!("January to December {year}"),
        }
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Quarter { year, quarter } => write!(f, "{year}Q{quarter}"),
            Self::Year(year) => write!(f, "{year}"),
        }
    }
}

impl TryFrom<String> for Period {
    type Error = BadPeriod;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Period> for String {
    fn from(value: Period) -> Self {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_and_years_parse_and_bound() {
        let q = Period::parse("2024Q4").unwrap_or(Period::Year(0));
        assert_eq!(
            q.start(),
            NaiveDate::from_ymd_opt(2024, 10, 1).unwrap_or_default()
        );
        assert_eq!(
            q.end(),
            NaiveDate::from_ymd_opt(2024, 12, 31).unwrap_or_default()
        );
        let q1 = Period::parse("2024q1").unwrap_or(Period::Year(0));
        assert_eq!(
            q1.end(),
            NaiveDate::from_ymd_opt(2024, 3, 31).unwrap_or_default()
        );
        let y = Period::parse("2023").unwrap_or(Period::Year(0));
        assert_eq!(
            y.start(),
            NaiveDate::from_ymd_opt(2023, 1, 1).unwrap_or_default()
        );
        assert_eq!(
            y.end(),
            NaiveDate::from_ymd_opt(2023, 12, 31).unwrap_or_default()
        );
        for bad in ["2024Q5", "2024Q0", "24Q1", "Q1", "", "2024-Q1", "20245"] {
            assert_eq!(Period::parse(bad), Err(BadPeriod), "{bad}");
        }
        assert_eq!(q.to_string(), "2024Q4");
    }

    #[test]
    fn quarter_numbers_run_on_across_years() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
        assert_eq!(Period::quarter_number(day(2024, 1, 1)), 2024 * 4);
        assert_eq!(Period::quarter_number(day(2024, 3, 31)), 2024 * 4);
        assert_eq!(Period::quarter_number(day(2024, 4, 1)), 2024 * 4 + 1);
        assert_eq!(Period::quarter_number(day(2024, 12, 31)), 2024 * 4 + 3);
        assert_eq!(Period::quarter_number(day(2025, 1, 1)), 2024 * 4 + 4);
        let q = Period::parse("2024Q3").unwrap_or(Period::Year(0));
        assert_eq!(q.quarter_numbers(), (2024 * 4 + 2, 2024 * 4 + 2));
        let y = Period::parse("2024").unwrap_or(Period::Year(0));
        assert_eq!(y.quarter_numbers(), (2024 * 4, 2024 * 4 + 3));
    }
}
