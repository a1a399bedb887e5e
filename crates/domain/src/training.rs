//! The First Responder training course (issue 11 item 6): its pages, its questions, the pass
//! mark and how long a completion lasts, as dated data in `crates/domain/rulebook/training.json`
//! (a new entry from a date is a new course version). This module holds the rules only: which
//! course is in force, how an attempt is marked, and when a completion is due again. The record
//! of completions is the service's (`nrm_service::training`).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::rules::Dated;

/// One page of the course.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    /// Its address under `/training/`.
    pub slug: String,
    pub title: String,
    pub paragraphs: Vec<String>,
}

/// One answer to choose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    pub code: String,
    pub text: String,
}

/// One question, with the code of its right answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub id: String,
    pub text: String,
    pub options: Vec<Choice>,
    pub answer: String,
}

/// One version of the course.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Course {
    /// Recorded with each completion.
    pub course_version: String,
    /// The share of questions to answer correctly, in per cent.
    pub pass_mark_percent: u32,
    /// Days after a completion when the training is due again.
    pub reminder_days: u32,
    pub sections: Vec<Section>,
    pub questions: Vec<Question>,
}

/// The training rulebook as shipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainingRulebookData {
    pub version: String,
    pub published_on: NaiveDate,
    pub notes: String,
    pub courses: Vec<Dated<Course>>,
}

impl TrainingRulebookData {
    /// Parses and checks the training rulebook: at least one course, in date order, each with
    /// pages and questions, unique slugs and ids, every right answer among its options, a pass
    /// mark from 1 to 100 and a reminder period of at least a day.
    pub fn parse(json: &str) -> Result<Self, String> {
        let d: Self = serde_json::from_str(json).map_err(|e| e.to_string())?;
        if d.courses.is_empty() {
            return Err("courses has no entries".to_owned());
        }
        if d.courses.windows(2).any(|w| w[0].from >= w[1].from) {
            return Err("courses must be in strictly increasing date order".to_owned());
        }
        for entry in &d.courses {
            let c = &entry.value;
            let name = &c.course_version;
            if c.sections.is_empty() || c.questions.is_empty() {
                return Err(format!("course {name} needs pages and questions"));
            }
            if !(1..=100).contains(&c.pass_mark_percent) || c.reminder_days == 0 {
                return Err(format!(
                    "course {name}: the pass mark is 1 to 100 and the reminder at least a day"
                ));
            }
            let mut slugs: Vec<&str> = c.sections.iter().map(|s| s.slug.as_str()).collect();
            slugs.sort_unstable();
            slugs.dedup();
            let mut ids: Vec<&str> = c.questions.iter().map(|q| q.id.as_str()).collect();
            ids.sort_unstable();
            ids.dedup();
            if slugs.len() != c.sections.len() || ids.len() != c.questions.len() {
                return Err(format!(
                    "course {name}: page slugs and question ids are unique"
                ));
            }
            if slugs.contains(&"questions") || slugs.contains(&"records") {
                return Err(format!("course {name}: a page slug names another page"));
            }
            if let Some(q) = c
                .questions
                .iter()
                .find(|q| q.options.len() < 2 || !q.options.iter().any(|o| o.code == q.answer))
            {
                return Err(format!(
                    "course {name}: question {} needs two or more options, one of them its answer",
                    q.id
                ));
            }
        }
        Ok(d)
    }
}

static SHIPPED: LazyLock<Result<TrainingRulebookData, String>> =
    LazyLock::new(|| TrainingRulebookData::parse(include_str!("../rulebook/training.json")));

/// The marking of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marked {
    pub correct: u32,
    pub total: u32,
    pub passed: bool,
    /// The ids of the questions answered wrongly or not at all, in the course's order.
    pub wrong: Vec<String>,
}

impl Course {
    /// Marks `answers` (question id → chosen code): passed when the share correct reaches the
    /// pass mark.
    pub fn mark(&self, answers: &BTreeMap<String, String>) -> Marked {
        let wrong: Vec<String> = self
            .questions
            .iter()
            .filter(|q| answers.get(&q.id) != Some(&q.answer))
            .map(|q| q.id.clone())
            .collect();
        let total = self.questions.len() as u32;
        let correct = total - wrong.len() as u32;
        Marked {
            correct,
            total,
            passed: correct * 100 >= self.pass_mark_percent * total,
            wrong,
        }
    }

    /// The first day the training is due again after a completion on `completed_on`.
    pub fn due_again_on(&self, completed_on: NaiveDate) -> NaiveDate {
        completed_on + Duration::days(i64::from(self.reminder_days))
    }

    pub fn section(&self, slug: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.slug == slug)
    }
}

/// The training rules this build ships. Cheap to copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrainingRules {
    data: &'static TrainingRulebookData,
}

impl TrainingRules {
    /// The shipped rules (checked by a unit test; panics at start-up rather than training
    /// people on a course that does not parse).
    pub fn current() -> Self {
        match &*SHIPPED {
            Ok(data) => Self { data },
            Err(e) => panic!("the shipped training rulebook is invalid: {e}"),
        }
    }

    pub fn version(&self) -> &str {
        &self.data.version
    }

    /// The course in force on `on` (the first one for earlier days).
    pub fn course_on(&self, on: NaiveDate) -> &'static Dated<Course> {
        self.data
            .courses
            .iter()
            .rev()
            .find(|e| e.from <= on)
            .or(self.data.courses.first())
            .unwrap_or_else(|| panic!("the training rulebook is checked non-empty when parsed"))
    }

    /// The course with this version, if it was ever in force.
    pub fn course(&self, version: &str) -> Option<&'static Course> {
        self.data
            .courses
            .iter()
            .map(|e| &e.value)
            .find(|c| c.course_version == version)
    }
}

/// Where one account stands with the training on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Never completed.
    Untrained,
    /// Completed, and due again from this day.
    Trained { due_again_on: NaiveDate },
    /// Completed, but the reminder period has passed since (it was due on this day).
    DueAgain { since: NaiveDate },
}

impl TrainingRules {
    /// Where someone whose latest completion was on `completed_on` (of `course_version`) stands
    /// on `today`. The reminder period is the completed course's (a course version no longer
    /// shipped counts the current one's).
    pub fn standing(&self, latest: Option<(NaiveDate, &str)>, today: NaiveDate) -> Standing {
        match latest {
            None => Standing::Untrained,
            Some((on, version)) => {
                let course = self.course(version).unwrap_or(&self.course_on(today).value);
                let due = course.due_again_on(on);
                if today >= due {
                    Standing::DueAgain { since: due }
                } else {
                    Standing::Trained { due_again_on: due }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    #[test]
    fn the_shipped_course_parses_and_is_marked_uncertain_where_no_source_says() {
        let rules = TrainingRules::current();
        let course = rules.course_on(day(2026, 12, 2));
        assert_eq!(
            course.certainty,
            crate::rules::Certainty::Uncertain,
            "the pass mark and reminder period are local choices"
        );
        assert_eq!(course.value.sections.len(), 4);
        assert!(course.value.section("duty-to-notify").is_some());
    }

    #[test]
    fn an_attempt_passes_at_the_pass_mark_and_not_below() {
        let course = &TrainingRules::current().course_on(day(2026, 12, 2)).value;
        let mut answers: BTreeMap<String, String> = course
            .questions
            .iter()
            .map(|q| (q.id.clone(), q.answer.clone()))
            .collect();
        let all = course.mark(&answers);
        assert!(all.passed);
        assert_eq!(all.correct, all.total);
        // Wrong answers one by one until below the pass mark.
        let mut failed_at = None;
        for (i, q) in course.questions.iter().enumerate() {
            answers.insert(q.id.clone(), "not an answer".to_owned());
            let marked = course.mark(&answers);
            let share = marked.correct * 100 / marked.total;
            assert_eq!(
                marked.passed,
                marked.correct * 100 >= course.pass_mark_percent * marked.total
            );
            assert_eq!(marked.wrong.len(), i + 1);
            if !marked.passed && failed_at.is_none() {
                failed_at = Some(share);
            }
        }
        assert!(failed_at.is_some_and(|s| s < course.pass_mark_percent));
        assert!(!course.mark(&BTreeMap::new()).passed, "no answers, no pass");
    }

    #[test]
    fn a_completion_is_due_again_after_the_reminder_period() {
        let rules = TrainingRules::current();
        let course = &rules.course_on(day(2026, 12, 2)).value;
        let version = course.course_version.as_str();
        let done = day(2026, 12, 2);
        let due = done + Duration::days(i64::from(course.reminder_days));
        assert_eq!(rules.standing(None, done), Standing::Untrained);
        assert_eq!(
            rules.standing(Some((done, version)), due - Duration::days(1)),
            Standing::Trained { due_again_on: due }
        );
        assert_eq!(
            rules.standing(Some((done, version)), due),
            Standing::DueAgain { since: due }
        );
    }

    #[test]
    fn a_course_with_a_wrong_answer_code_or_out_of_order_is_refused() {
        let json = include_str!("../rulebook/training.json");
        let broken = json.replacen("\"answer\": \"b\"", "\"answer\": \"z\"", 1);
        assert!(TrainingRulebookData::parse(&broken).is_err());
        let mut data = TrainingRulebookData::parse(json).expect("shipped");
        let copy = data.courses[0].clone();
        data.courses.push(copy);
        let twice = serde_json::to_string(&data).expect("json");
        assert!(TrainingRulebookData::parse(&twice).is_err());
    }
}
