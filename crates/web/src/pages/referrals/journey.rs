//! The three First Responder journeys as data: which question pages each has, in order, what
//! each asks, how each answer is checked, and how a finished set of answers becomes a
//! [`Submission`]. The handlers in `referrals::handlers` only walk this.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use nrm_domain::exploitation::{
    Exploitation, ExploitationLocation, ExploitationPeriod, ExploitationType,
};
use nrm_domain::geography::{Country, UkNation};
use nrm_domain::personal::PersonalDetails;
use nrm_domain::personal::{MAX_NAME_CHARS, MAX_NARRATIVE_CHARS, MAX_SHORT_TEXT_CHARS};
use nrm_domain::submission::{
    AdultConsent, AdultReferral, AgeAtExploitation, ChildReferral, DutyToNotify,
    FirstResponderDetails, FirstResponderType, Gender, ImmigrationEnforcementCohort, Profile,
    Submission,
};
use nrm_service::drafts::DraftKind;
use serde::{Deserialize, Serialize};

use crate::pages::i18n::Lang;
use crate::pages::layout::Errors;

/// Everything answered so far, as the person typed it (so a page shows their own words back),
/// plus which pages they have completed. Stored sealed in the draft.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Answers {
    pub values: BTreeMap<String, Vec<String>>,
    pub done: BTreeSet<String>,
    pub exploitation: Vec<ExploitationEntry>,
}

/// One "add another" entry: a type of exploitation and where it happened.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ExploitationEntry {
    pub kind: String,
    pub place: String,
    pub country: String,
}

impl Answers {
    pub fn one(&self, name: &str) -> &str {
        self.values
            .get(name)
            .and_then(|v| v.first())
            .map_or("", String::as_str)
    }

    pub fn many(&self, name: &str) -> &[String] {
        self.values.get(name).map_or(&[], Vec::as_slice)
    }

    fn any_criminal(&self) -> bool {
        self.exploitation.iter().any(|e| e.kind == "criminal")
    }
}

/// A choice in a radios, checkboxes or select question: the stored value and its message key.
pub type Choice = (&'static str, &'static str);

/// How a field is asked.
#[derive(Debug, Clone, Copy)]
pub enum FieldKind {
    /// One line of text.
    Text {
        max: usize,
        autocomplete: Option<&'static str>,
        width: Option<&'static str>,
    },
    /// Several short entries, one per line (other names, languages).
    Lines,
    /// A long account, with a character count.
    LongText {
        max: usize,
    },
    /// A day, month and year; never in the future.
    Date,
    Radios(&'static [Choice]),
    /// A country from the ISO list, or "not known".
    Country,
}

/// One field on a question page. `label` is a message key; the error messages are built from
/// `short` (a message key naming the thing asked for, as it reads inside a sentence).
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub label: &'static str,
    pub hint: Option<&'static str>,
    pub kind: FieldKind,
    pub required: bool,
    /// Message key for the required-answer error.
    pub missing: &'static str,
}

/// One question page.
#[derive(Debug, Clone, Copy)]
pub struct Question {
    pub slug: &'static str,
    /// Message key of the page heading.
    pub title: &'static str,
    pub fields: &'static [Field],
    /// The journeys that ask it.
    pub kinds: &'static [DraftKind],
    /// Asked only when this holds.
    pub when: Option<fn(&Answers) -> bool>,
}

impl Question {
    pub fn applies(&self, kind: DraftKind, answers: &Answers) -> bool {
        self.kinds.contains(&kind) && self.when.is_none_or(|when| when(answers))
    }
}

const REFERRALS: &[DraftKind] = &[DraftKind::Adult, DraftKind::Child];
const ALL: &[DraftKind] = &[DraftKind::Adult, DraftKind::Child, DraftKind::DutyToNotify];

pub const YES_NO: &[Choice] = &[("yes", "choice.yes"), ("no", "choice.no")];

pub const GENDERS: &[Choice] = &[
    ("female", "gender.female"),
    ("male", "gender.male"),
    ("other", "gender.other"),
    ("not_known", "gender.not_known"),
];

pub const EXPLOITATION_TYPES: &[Choice] = &[
    ("labour", "exploitation.labour"),
    ("sexual", "exploitation.sexual"),
    ("criminal", "exploitation.criminal"),
    ("domestic_servitude", "exploitation.domestic_servitude"),
    ("organ_harvesting", "exploitation.organ_harvesting"),
    ("other", "exploitation.other"),
    ("not_known", "exploitation.not_known"),
];

pub const PLACES: &[Choice] = &[
    ("england", "place.england"),
    ("wales", "place.wales"),
    ("scotland", "place.scotland"),
    ("northern_ireland", "place.northern_ireland"),
    ("overseas", "place.overseas"),
    ("not_known", "place.not_known"),
];

/// Where the person is now: a UK nation, or not known.
pub const CURRENT_NATIONS: &[Choice] = &[
    ("england", "place.england"),
    ("wales", "place.wales"),
    ("scotland", "place.scotland"),
    ("northern_ireland", "place.northern_ireland"),
    ("not_known", "place.not_known"),
];

const AGES: &[Choice] = &[
    ("adult", "age.adult"),
    ("child", "age.child"),
    ("not_known", "age.not_known"),
];

const ORGANISATION_TYPES: &[Choice] = &[
    ("police", "organisation.police"),
    ("local_authority", "organisation.local_authority"),
    ("government_agency", "organisation.government_agency"),
    (
        "non_governmental_organisation",
        "organisation.non_governmental_organisation",
    ),
];

const COHORTS: &[Choice] = &[
    ("none", "cohort.none"),
    (
        "detained_foreign_national_offender",
        "cohort.detained_foreign_national_offender",
    ),
    (
        "foreign_national_offender_facing_deportation",
        "cohort.foreign_national_offender_facing_deportation",
    ),
    ("immigration_detention", "cohort.immigration_detention"),
    (
        "inadmissible_asylum_claim",
        "cohort.inadmissible_asylum_claim",
    ),
];

const fn text(max: usize, autocomplete: Option<&'static str>) -> FieldKind {
    FieldKind::Text {
        max,
        autocomplete,
        width: None,
    }
}

/// Every question page of every journey, in order. The exploitation "add another" loop sits
/// at `EXPLOITATION` and is handled separately.
pub const QUESTIONS: &[Question] = &[
    Question {
        slug: "name",
        title: "q.name.title",
        kinds: REFERRALS,
        when: None,
        fields: &[
            Field {
                name: "given_names",
                label: "q.name.given",
                hint: None,
                kind: text(MAX_NAME_CHARS, Some("off")),
                required: false,
                missing: "q.name.missing",
            },
            Field {
                name: "family_name",
                label: "q.name.family",
                hint: None,
                kind: text(MAX_NAME_CHARS, Some("off")),
                required: false,
                missing: "q.name.missing",
            },
            Field {
                name: "other_names",
                label: "q.name.other",
                hint: Some("q.name.other.hint"),
                kind: FieldKind::Lines,
                required: false,
                missing: "q.name.missing",
            },
        ],
    },
    Question {
        slug: "date-of-birth",
        title: "q.dob.title",
        kinds: REFERRALS,
        when: None,
        fields: &[Field {
            name: "date_of_birth",
            label: "q.dob.title",
            hint: Some("q.dob.hint"),
            kind: FieldKind::Date,
            required: false,
            missing: "q.dob.missing",
        }],
    },
    Question {
        slug: "gender",
        title: "q.gender.title",
        kinds: ALL,
        when: None,
        fields: &[Field {
            name: "gender",
            label: "q.gender.title",
            hint: None,
            kind: FieldKind::Radios(GENDERS),
            required: true,
            missing: "q.gender.missing",
        }],
    },
    Question {
        slug: "nationality",
        title: "q.nationality.title",
        kinds: ALL,
        when: None,
        fields: &[
            Field {
                name: "nationality",
                label: "q.nationality.first",
                hint: None,
                kind: FieldKind::Country,
                required: true,
                missing: "q.nationality.missing",
            },
            Field {
                name: "second_nationality",
                label: "q.nationality.second",
                hint: Some("q.nationality.second.hint"),
                kind: FieldKind::Country,
                required: false,
                missing: "q.nationality.missing",
            },
        ],
    },
    Question {
        slug: "age-at-exploitation",
        title: "q.age.title",
        kinds: &[DraftKind::DutyToNotify],
        when: None,
        fields: &[Field {
            name: "age_at_exploitation",
            label: "q.age.title",
            hint: Some("q.age.hint"),
            kind: FieldKind::Radios(AGES),
            required: true,
            missing: "q.age.missing",
        }],
    },
    Question {
        slug: "languages",
        title: "q.languages.title",
        kinds: REFERRALS,
        when: None,
        fields: &[
            Field {
                name: "languages",
                label: "q.languages.spoken",
                hint: Some("q.languages.spoken.hint"),
                kind: FieldKind::Lines,
                required: false,
                missing: "q.languages.missing",
            },
            Field {
                name: "interpreter",
                label: "q.languages.interpreter",
                hint: None,
                kind: FieldKind::Radios(YES_NO),
                required: true,
                missing: "q.languages.interpreter.missing",
            },
        ],
    },
    Question {
        slug: "address",
        title: "q.address.title",
        kinds: REFERRALS,
        when: None,
        fields: &[
            Field {
                name: "current_nation",
                label: "q.address.nation",
                hint: Some("q.address.nation.hint"),
                kind: FieldKind::Radios(CURRENT_NATIONS),
                required: true,
                missing: "q.address.nation.missing",
            },
            Field {
                name: "address_line_1",
                label: "q.address.line1",
                hint: None,
                kind: text(MAX_SHORT_TEXT_CHARS, Some("off")),
                required: false,
                missing: "q.address.missing",
            },
            Field {
                name: "address_line_2",
                label: "q.address.line2",
                hint: None,
                kind: text(MAX_SHORT_TEXT_CHARS, Some("off")),
                required: false,
                missing: "q.address.missing",
            },
            Field {
                name: "address_town",
                label: "q.address.town",
                hint: None,
                kind: FieldKind::Text {
                    max: MAX_SHORT_TEXT_CHARS,
                    autocomplete: Some("off"),
                    width: Some("govuk-!-width-two-thirds"),
                },
                required: false,
                missing: "q.address.missing",
            },
            Field {
                name: "address_postcode",
                label: "q.address.postcode",
                hint: None,
                kind: FieldKind::Text {
                    max: 10,
                    autocomplete: Some("off"),
                    width: Some("govuk-input--width-10"),
                },
                required: false,
                missing: "q.address.missing",
            },
            Field {
                name: "contact",
                label: "q.address.contact",
                hint: Some("q.address.contact.hint"),
                kind: text(MAX_SHORT_TEXT_CHARS, Some("off")),
                required: false,
                missing: "q.address.missing",
            },
        ],
    },
    Question {
        slug: "consent",
        title: "q.consent.title",
        kinds: &[DraftKind::Adult],
        when: None,
        fields: &[
            Field {
                name: "consent_given_on",
                label: "q.consent.date",
                hint: Some("q.consent.date.hint"),
                kind: FieldKind::Date,
                required: true,
                missing: "q.consent.date.missing",
            },
            Field {
                name: "support_consent",
                label: "q.consent.support",
                hint: Some("q.consent.support.hint"),
                kind: FieldKind::Radios(YES_NO),
                required: true,
                missing: "q.consent.support.missing",
            },
        ],
    },
    Question {
        slug: "safeguarding",
        title: "q.child.title",
        kinds: &[DraftKind::Child],
        when: None,
        fields: &[
            Field {
                name: "age_disputed",
                label: "q.child.disputed",
                hint: None,
                kind: FieldKind::Radios(YES_NO),
                required: true,
                missing: "q.child.disputed.missing",
            },
            Field {
                name: "local_authority_notified",
                label: "q.child.notified",
                hint: Some("q.child.notified.hint"),
                kind: FieldKind::Radios(YES_NO),
                required: true,
                missing: "q.child.notified.missing",
            },
            Field {
                name: "local_authority_area",
                label: "q.child.area",
                hint: Some("q.child.area.hint"),
                kind: text(MAX_SHORT_TEXT_CHARS, None),
                required: false,
                missing: "q.child.notified.missing",
            },
        ],
    },
    // The exploitation loop comes here (see EXPLOITATION).
    Question {
        slug: "county-lines",
        title: "q.county_lines.title",
        kinds: ALL,
        when: Some(Answers::any_criminal),
        fields: &[Field {
            name: "county_lines",
            label: "q.county_lines.title",
            hint: Some("q.county_lines.hint"),
            kind: FieldKind::Radios(YES_NO),
            required: true,
            missing: "q.county_lines.missing",
        }],
    },
    Question {
        slug: "when",
        title: "q.when.title",
        kinds: ALL,
        when: None,
        fields: &[
            Field {
                name: "started_on",
                label: "q.when.started",
                hint: Some("q.when.date.hint"),
                kind: FieldKind::Date,
                required: false,
                missing: "q.when.missing",
            },
            Field {
                name: "ended_on",
                label: "q.when.ended",
                hint: Some("q.when.date.hint"),
                kind: FieldKind::Date,
                required: false,
                missing: "q.when.missing",
            },
            Field {
                name: "ongoing",
                label: "q.when.ongoing",
                hint: Some("q.when.ongoing.hint"),
                kind: FieldKind::Radios(YES_NO),
                required: true,
                missing: "q.when.ongoing.missing",
            },
        ],
    },
    Question {
        slug: "account",
        title: "q.account.title",
        kinds: REFERRALS,
        when: None,
        fields: &[Field {
            name: "narrative",
            label: "q.account.title",
            hint: Some("q.account.hint"),
            kind: FieldKind::LongText {
                max: MAX_NARRATIVE_CHARS,
            },
            required: true,
            missing: "q.account.missing",
        }],
    },
    Question {
        slug: "organisation",
        title: "q.organisation.title",
        kinds: ALL,
        when: None,
        fields: &[
            Field {
                name: "organisation_type",
                label: "q.organisation.type",
                hint: None,
                kind: FieldKind::Radios(ORGANISATION_TYPES),
                required: true,
                missing: "q.organisation.type.missing",
            },
            Field {
                name: "immigration_cohort",
                label: "q.organisation.cohort",
                hint: Some("q.organisation.cohort.hint"),
                kind: FieldKind::Radios(COHORTS),
                required: true,
                missing: "q.organisation.cohort.missing",
            },
        ],
    },
];

/// The slug of the exploitation "add another" loop.
pub const EXPLOITATION: &str = "exploitation";
/// The loop comes after this page in the order.
const EXPLOITATION_AFTER: &[&str] = &["safeguarding", "consent", "age-at-exploitation"];
/// Most exploitation entries on one referral.
pub const MAX_EXPLOITATION_ENTRIES: usize = 10;

/// A step of a journey: a question page or the exploitation loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Question(&'static str),
    Exploitation,
}

impl Step {
    pub fn slug(self) -> &'static str {
        match self {
            Self::Question(slug) => slug,
            Self::Exploitation => EXPLOITATION,
        }
    }
}

pub fn question(slug: &str) -> Option<&'static Question> {
    QUESTIONS.iter().find(|q| q.slug == slug)
}

/// The journey's steps that apply to these answers, in order.
pub fn steps(kind: DraftKind, answers: &Answers) -> Vec<Step> {
    let mut steps = Vec::new();
    for question in QUESTIONS {
        if question.applies(kind, answers) {
            steps.push(Step::Question(question.slug));
        }
        if question.kinds.contains(&kind) && EXPLOITATION_AFTER.contains(&question.slug) {
            steps.push(Step::Exploitation);
        }
    }
    steps
}

/// The first step not yet completed, if any.
pub fn first_unanswered(kind: DraftKind, answers: &Answers) -> Option<Step> {
    steps(kind, answers)
        .into_iter()
        .find(|step| !answers.done.contains(step.slug()))
}

/// The step after `slug`, if any.
pub fn next_step(kind: DraftKind, answers: &Answers, slug: &str) -> Option<Step> {
    let steps = steps(kind, answers);
    let at = steps.iter().position(|s| s.slug() == slug)?;
    steps.get(at + 1).copied()
}

/// The step before `slug`, if any.
pub fn previous_step(kind: DraftKind, answers: &Answers, slug: &str) -> Option<Step> {
    let steps = steps(kind, answers);
    let at = steps.iter().position(|s| s.slug() == slug)?;
    at.checked_sub(1).and_then(|i| steps.get(i).copied())
}

/// A problem with one field: the id of the input to link to, and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    /// The element id the error summary links to.
    pub href: String,
    pub message: String,
}

/// The posted form, as name → values.
pub type Form = BTreeMap<String, Vec<String>>;

/// Answers to one page's fields, as typed.
pub type Values = BTreeMap<String, Vec<String>>;

fn posted<'a>(form: &'a Form, name: &str) -> &'a str {
    form.get(name)
        .and_then(|v| v.first())
        .map_or("", |v| v.as_str())
}

/// Checks one page's posted answers. On success, returns the values to store for its fields.
pub fn check_page(
    question: &Question,
    form: &Form,
    lang: Lang,
    today: NaiveDate,
) -> Result<Values, (Vec<FieldError>, Values)> {
    let mut values = BTreeMap::new();
    let mut errors = Vec::new();
    for field in question.fields {
        let name = field.name;
        let label = error_label(field, lang);
        match field.kind {
            FieldKind::Date => {
                let parts: Vec<String> = ["day", "month", "year"]
                    .iter()
                    .map(|p| posted(form, &format!("{name}-{p}")).trim().to_owned())
                    .collect();
                let blank = parts.iter().all(String::is_empty);
                if blank {
                    if field.required {
                        errors.push(error(name, &format!("{name}-day"), lang.t(field.missing)));
                    }
                } else if let Err((part, message)) = parse_date(&parts, lang, label, today) {
                    errors.push(error(name, &format!("{name}-{part}"), &message));
                }
                values.insert(name.to_owned(), parts);
            }
            FieldKind::Lines => {
                let text = posted(form, name);
                let lines: Vec<String> = text
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect();
                if lines.len() > nrm_domain::personal::MAX_LIST_ENTRIES {
                    errors.push(error(
                        name,
                        name,
                        &lang
                            .t("error.too_many_lines")
                            .replace("{label}", label)
                            .replace("{max}", &nrm_domain::personal::MAX_LIST_ENTRIES.to_string()),
                    ));
                } else if lines.iter().any(|l| l.chars().count() > MAX_NAME_CHARS) {
                    errors.push(error(
                        name,
                        name,
                        &lang
                            .t("error.line_too_long")
                            .replace("{label}", label)
                            .replace("{max}", &MAX_NAME_CHARS.to_string()),
                    ));
                }
                values.insert(name.to_owned(), vec![text.to_owned()]);
            }
            FieldKind::Text { max, .. } | FieldKind::LongText { max } => {
                let text = posted(form, name);
                let trimmed = text.trim();
                if trimmed.is_empty() && field.required {
                    errors.push(error(name, name, lang.t(field.missing)));
                } else if text.chars().count() > max {
                    errors.push(error(
                        name,
                        name,
                        &lang
                            .t("error.too_long")
                            .replace("{label}", label)
                            .replace("{max}", &format_count(max)),
                    ));
                }
                values.insert(name.to_owned(), vec![text.to_owned()]);
            }
            FieldKind::Radios(choices) => {
                let value = posted(form, name);
                if value.is_empty() {
                    if field.required {
                        errors.push(error(name, name, lang.t(field.missing)));
                    }
                } else if !choices.iter().any(|(v, _)| *v == value) {
                    errors.push(error(name, name, lang.t(field.missing)));
                }
                values.insert(name.to_owned(), vec![value.to_owned()]);
            }
            FieldKind::Country => {
                let value = posted(form, name);
                if value.is_empty() {
                    if field.required {
                        errors.push(error(name, name, lang.t(field.missing)));
                    }
                } else if value != "not_known" && Country::parse(value).is_err() {
                    errors.push(error(name, name, lang.t(field.missing)));
                }
                values.insert(name.to_owned(), vec![value.to_owned()]);
            }
        }
    }
    // Page-level rules.
    if question.slug == "name"
        && posted(form, "given_names").trim().is_empty()
        && posted(form, "family_name").trim().is_empty()
        && !errors.iter().any(|e| e.field == "given_names")
    {
        errors.insert(
            0,
            error("given_names", "given_names", lang.t("q.name.missing")),
        );
    }
    if question.slug == "when" && errors.is_empty() {
        let started = date_of(&values, "started_on");
        let ended = date_of(&values, "ended_on");
        if let (Some(s), Some(e)) = (started, ended)
            && e < s
        {
            errors.push(error("ended_on", "ended_on-day", lang.t("q.when.order")));
        }
    }
    if errors.is_empty() {
        Ok(values)
    } else {
        Err((errors, values))
    }
}

/// What a field asks for, as it reads at the start of an error message ("Date of birth must
/// be a real date"): its label without "(optional)", or a short name where the label is a
/// question ("What is their date of birth? must be a real date" is not a sentence).
fn error_label(field: &Field, lang: Lang) -> &'static str {
    let key = match field.name {
        "date_of_birth" => "short.date_of_birth",
        "consent_given_on" => "short.consent_given_on",
        "started_on" => "short.started_on",
        "ended_on" => "short.ended_on",
        "narrative" => "short.narrative",
        "languages" => "short.languages",
        _ => field.label,
    };
    let text = lang.t(key);
    text.strip_suffix(" (optional)")
        .or_else(|| text.strip_suffix(" (dewisol)"))
        .unwrap_or(text)
}

fn format_count(n: usize) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn error(field: &str, href: &str, message: &str) -> FieldError {
    FieldError {
        field: field.to_owned(),
        href: href.to_owned(),
        message: message.to_owned(),
    }
}

/// Parses day, month and year as typed. On failure, names the part to link to and the message.
pub fn parse_date(
    parts: &[String],
    lang: Lang,
    label: &str,
    today: NaiveDate,
) -> Result<NaiveDate, (&'static str, String)> {
    let names = ["day", "month", "year"];
    for (i, part) in parts.iter().enumerate() {
        if part.is_empty() {
            let key = match names[i] {
                "day" => "error.date.no_day",
                "month" => "error.date.no_month",
                _ => "error.date.no_year",
            };
            return Err((names[i], lang.t(key).replace("{label}", label)));
        }
    }
    let number = |s: &str| s.parse::<u32>().ok();
    let (Some(day), Some(month), Some(year)) =
        (number(&parts[0]), number(&parts[1]), number(&parts[2]))
    else {
        return Err(("day", lang.t("error.date.real").replace("{label}", label)));
    };
    if parts[2].len() != 4 {
        return Err((
            "year",
            lang.t("error.date.four_digit_year")
                .replace("{label}", label),
        ));
    }
    let year = i32::try_from(year).unwrap_or(0);
    let date = NaiveDate::from_ymd_opt(year, month, day)
        .ok_or_else(|| ("day", lang.t("error.date.real").replace("{label}", label)))?;
    if date > today {
        return Err(("day", lang.t("error.date.future").replace("{label}", label)));
    }
    if year < 1900 {
        return Err((
            "year",
            lang.t("error.date.too_old").replace("{label}", label),
        ));
    }
    Ok(date)
}

/// The date held as day, month and year under `name`, if it is a real one.
pub fn date_of(values: &Values, name: &str) -> Option<NaiveDate> {
    let parts = values.get(name)?;
    if parts.len() != 3 {
        return None;
    }
    let n = |s: &str| s.trim().parse::<u32>().ok();
    NaiveDate::from_ymd_opt(
        i32::try_from(n(&parts[2])?).ok()?,
        n(&parts[1])?,
        n(&parts[0])?,
    )
}

/// The page errors for these field problems, in page order.
pub fn page_errors(problems: &[FieldError]) -> Errors {
    let mut errors = Errors::default();
    for problem in problems {
        errors.add(&problem.href, &problem.message);
    }
    errors
}

/// Checks one exploitation entry as posted.
pub fn check_exploitation(
    form: &Form,
    lang: Lang,
) -> Result<ExploitationEntry, (Vec<FieldError>, ExploitationEntry)> {
    let entry = ExploitationEntry {
        kind: posted(form, "kind").to_owned(),
        place: posted(form, "place").to_owned(),
        country: posted(form, "country").to_owned(),
    };
    let mut errors = Vec::new();
    if !EXPLOITATION_TYPES.iter().any(|(v, _)| *v == entry.kind) {
        errors.push(error("kind", "kind", lang.t("q.exploitation.kind.missing")));
    }
    if !PLACES.iter().any(|(v, _)| *v == entry.place) {
        errors.push(error(
            "place",
            "place",
            lang.t("q.exploitation.place.missing"),
        ));
    } else if entry.place == "overseas"
        && (entry.country.is_empty() || Country::parse(&entry.country).is_err())
    {
        errors.push(error(
            "country",
            "country",
            lang.t("q.exploitation.country.missing"),
        ));
    }
    if errors.is_empty() {
        Ok(entry)
    } else {
        Err((errors, entry))
    }
}

fn yes(answers: &Answers, name: &str) -> bool {
    answers.one(name) == "yes"
}

fn optional_text(answers: &Answers, name: &str) -> Option<String> {
    let text = answers.one(name).trim();
    (!text.is_empty()).then(|| text.to_owned())
}

fn lines(answers: &Answers, name: &str) -> Vec<String> {
    answers
        .one(name)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn date(answers: &Answers, name: &str) -> Option<NaiveDate> {
    date_of(&answers.values, name)
}

/// The person's address from the address pattern's lines, one per line.
pub fn address(answers: &Answers) -> Option<String> {
    let parts: Vec<&str> = [
        "address_line_1",
        "address_line_2",
        "address_town",
        "address_postcode",
    ]
    .iter()
    .map(|n| answers.one(n).trim())
    .filter(|p| !p.is_empty())
    .collect();
    (!parts.is_empty()).then(|| parts.join("\n"))
}

fn profile(answers: &Answers) -> Profile {
    let gender = match answers.one("gender") {
        "female" => Gender::Female,
        "male" => Gender::Male,
        "other" => Gender::Other,
        _ => Gender::NotKnown,
    };
    let mut nationalities: Vec<Country> = ["nationality", "second_nationality"]
        .iter()
        .filter_map(|n| Country::parse(answers.one(n)).ok())
        .collect();
    nationalities.dedup();
    Profile {
        gender,
        nationalities,
    }
}

fn exploitation(answers: &Answers) -> Exploitation {
    let mut types: Vec<ExploitationType> = answers
        .exploitation
        .iter()
        .filter_map(|e| ExploitationType::parse(&e.kind))
        .collect();
    types.sort_unstable();
    types.dedup();
    if types.len() > 1 {
        types.retain(|t| *t != ExploitationType::NotKnown);
    }
    let mut location = ExploitationLocation::default();
    for entry in &answers.exploitation {
        let nation = match entry.place.as_str() {
            "england" => Some(UkNation::England),
            "wales" => Some(UkNation::Wales),
            "scotland" => Some(UkNation::Scotland),
            "northern_ireland" => Some(UkNation::NorthernIreland),
            _ => None,
        };
        if let Some(nation) = nation
            && !location.uk_nations.contains(&nation)
        {
            location.uk_nations.push(nation);
        }
        if entry.place == "overseas"
            && let Ok(country) = Country::parse(&entry.country)
            && !location.overseas_countries.contains(&country)
        {
            location.overseas_countries.push(country);
        }
    }
    Exploitation {
        county_lines: types.contains(&ExploitationType::Criminal) && yes(answers, "county_lines"),
        types,
        location,
        period: ExploitationPeriod {
            started_on: date(answers, "started_on"),
            ended_on: date(answers, "ended_on"),
            ongoing: yes(answers, "ongoing"),
        },
    }
}

fn first_responder(answers: &Answers) -> FirstResponderDetails {
    FirstResponderDetails {
        organisation_type: match answers.one("organisation_type") {
            "police" => FirstResponderType::Police,
            "local_authority" => FirstResponderType::LocalAuthority,
            "government_agency" => FirstResponderType::GovernmentAgency,
            _ => FirstResponderType::NonGovernmentalOrganisation,
        },
    }
}

fn cohort(answers: &Answers) -> Option<ImmigrationEnforcementCohort> {
    match answers.one("immigration_cohort") {
        "detained_foreign_national_offender" => {
            Some(ImmigrationEnforcementCohort::DetainedForeignNationalOffender)
        }
        "foreign_national_offender_facing_deportation" => {
            Some(ImmigrationEnforcementCohort::ForeignNationalOffenderFacingDeportation)
        }
        "immigration_detention" => Some(ImmigrationEnforcementCohort::ImmigrationDetention),
        "inadmissible_asylum_claim" => Some(ImmigrationEnforcementCohort::InadmissibleAsylumClaim),
        _ => None,
    }
}

/// The UK nation the person is in now; `None` for "not known".
fn current_nation(answers: &Answers) -> Option<UkNation> {
    match answers.one("current_nation") {
        "england" => Some(UkNation::England),
        "wales" => Some(UkNation::Wales),
        "scotland" => Some(UkNation::Scotland),
        "northern_ireland" => Some(UkNation::NorthernIreland),
        _ => None,
    }
}

fn personal(answers: &Answers) -> PersonalDetails {
    PersonalDetails {
        given_names: answers.one("given_names").trim().to_owned(),
        family_name: answers.one("family_name").trim().to_owned(),
        other_names: lines(answers, "other_names"),
        date_of_birth: date(answers, "date_of_birth"),
        languages: lines(answers, "languages"),
        interpreter_needed: yes(answers, "interpreter"),
        contact: optional_text(answers, "contact"),
        current_address: address(answers),
        other_references: Vec::new(),
        narrative: answers.one("narrative").trim().to_owned(),
    }
}

/// The submission these (complete) answers make. The domain checks it again on submission.
pub fn submission(kind: DraftKind, answers: &Answers) -> Submission {
    match kind {
        DraftKind::Adult => Submission::Adult(AdultReferral {
            victim: personal(answers),
            profile: profile(answers),
            consent: AdultConsent {
                referral_consent_given_on: date(answers, "consent_given_on")
                    .unwrap_or(NaiveDate::MIN),
                support_consent: yes(answers, "support_consent"),
            },
            exploitation: exploitation(answers),
            first_responder: first_responder(answers),
            immigration_cohort: cohort(answers),
            current_nation: current_nation(answers),
        }),
        DraftKind::Child => Submission::Child(ChildReferral {
            victim: personal(answers),
            profile: profile(answers),
            age_disputed: yes(answers, "age_disputed"),
            local_authority_notified: yes(answers, "local_authority_notified"),
            local_authority_area: optional_text(answers, "local_authority_area"),
            exploitation: exploitation(answers),
            first_responder: first_responder(answers),
            immigration_cohort: cohort(answers),
            current_nation: current_nation(answers),
        }),
        DraftKind::DutyToNotify => Submission::DutyToNotify(DutyToNotify {
            profile: profile(answers),
            age_at_exploitation: match answers.one("age_at_exploitation") {
                "adult" => AgeAtExploitation::Adult,
                "child" => AgeAtExploitation::Child,
                _ => AgeAtExploitation::NotKnown,
            },
            exploitation: exploitation(answers),
            first_responder: first_responder(answers),
        }),
    }
}

/// Which step a domain problem's field belongs to, for the check-answers page's links.
pub fn step_for_problem(field: &str) -> &'static str {
    let field = field.trim_start_matches('/');
    match field.split('/').next_back().unwrap_or("") {
        "given_names" | "family_name" | "other_names" => "name",
        "date_of_birth" => "date-of-birth",
        "languages" => "languages",
        "contact" | "current_address" | "current_nation" => "address",
        "narrative" => "account",
        "referral_consent_given_on" | "support_consent" => "consent",
        "local_authority_area" => "safeguarding",
        "started_on" | "ended_on" | "ongoing" => "when",
        "county_lines" => "county-lines",
        "gender" | "nationalities" => "gender",
        _ if field.contains("exploitation") => EXPLOITATION,
        _ => "organisation",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()
    }

    fn form(pairs: &[(&str, &str)]) -> Form {
        let mut form = Form::new();
        for (k, v) in pairs {
            form.entry((*k).to_owned())
                .or_default()
                .push((*v).to_owned());
        }
        form
    }

    #[test]
    fn impossible_future_and_partial_dates_are_refused_with_the_part_to_fix() {
        let q = question("date-of-birth").unwrap();
        for (d, m, y, href) in [
            ("31", "2", "2000", "date_of_birth-day"),
            ("1", "13", "2000", "date_of_birth-day"),
            ("1", "1", "2099", "date_of_birth-day"),
            ("", "1", "2000", "date_of_birth-day"),
            ("1", "", "2000", "date_of_birth-month"),
            ("1", "1", "", "date_of_birth-year"),
            ("1", "1", "99", "date_of_birth-year"),
            ("a", "1", "2000", "date_of_birth-day"),
        ] {
            let f = form(&[
                ("date_of_birth-day", d),
                ("date_of_birth-month", m),
                ("date_of_birth-year", y),
            ]);
            let (errors, kept) = check_page(q, &f, Lang::En, day()).unwrap_err();
            assert_eq!(errors.len(), 1, "{d}/{m}/{y}");
            assert_eq!(errors[0].href, href, "{d}/{m}/{y}");
            assert_eq!(kept["date_of_birth"], vec![d, m, y], "answers kept");
        }
        let ok = form(&[
            ("date_of_birth-day", "29"),
            ("date_of_birth-month", "2"),
            ("date_of_birth-year", "2004"),
        ]);
        assert!(check_page(q, &ok, Lang::En, day()).is_ok());
        assert!(
            check_page(q, &form(&[]), Lang::En, day()).is_ok(),
            "optional"
        );
    }

    #[test]
    fn missing_answers_and_over_long_text_are_refused() {
        let q = question("account").unwrap();
        let (errors, _) =
            check_page(q, &form(&[("narrative", "  ")]), Lang::En, day()).unwrap_err();
        assert_eq!(errors[0].field, "narrative");
        let long = "x".repeat(MAX_NARRATIVE_CHARS + 1);
        let (errors, _) =
            check_page(q, &form(&[("narrative", &long)]), Lang::En, day()).unwrap_err();
        assert!(
            errors[0].message.contains("20,000"),
            "{}",
            errors[0].message
        );
        let q = question("name").unwrap();
        let (errors, _) = check_page(q, &form(&[]), Lang::Cy, day()).unwrap_err();
        assert_eq!(errors[0].href, "given_names");
    }

    #[test]
    fn radios_refuse_values_that_are_not_offered() {
        let q = question("gender").unwrap();
        assert!(check_page(q, &form(&[("gender", "robot")]), Lang::En, day()).is_err());
        assert!(check_page(q, &form(&[("gender", "female")]), Lang::En, day()).is_ok());
    }

    #[test]
    fn steps_follow_the_journey_and_the_county_lines_question_needs_criminal_exploitation() {
        let mut answers = Answers::default();
        let adult: Vec<_> = steps(DraftKind::Adult, &answers)
            .into_iter()
            .map(Step::slug)
            .collect();
        assert_eq!(
            adult,
            [
                "name",
                "date-of-birth",
                "gender",
                "nationality",
                "languages",
                "address",
                "consent",
                "exploitation",
                "when",
                "account",
                "organisation"
            ]
        );
        let dtn: Vec<_> = steps(DraftKind::DutyToNotify, &answers)
            .into_iter()
            .map(Step::slug)
            .collect();
        assert_eq!(
            dtn,
            [
                "gender",
                "nationality",
                "age-at-exploitation",
                "exploitation",
                "when",
                "organisation"
            ]
        );
        answers.exploitation.push(ExploitationEntry {
            kind: "criminal".into(),
            place: "england".into(),
            country: String::new(),
        });
        assert!(
            steps(DraftKind::Child, &answers).contains(&Step::Question("county-lines")),
            "asked after criminal exploitation"
        );
        assert_eq!(
            first_unanswered(DraftKind::Child, &answers),
            Some(Step::Question("name"))
        );
    }

    #[test]
    fn complete_answers_make_a_submission_the_domain_accepts() {
        let mut answers = Answers::default();
        let mut set = |k: &str, v: &[&str]| {
            answers
                .values
                .insert(k.to_owned(), v.iter().map(|s| (*s).to_owned()).collect());
        };
        set("given_names", &["Ana"]);
        set("gender", &["female"]);
        set("nationality", &["AL"]);
        set("interpreter", &["yes"]);
        set("consent_given_on", &["1", "11", "2026"]);
        set("support_consent", &["yes"]);
        set("ongoing", &["no"]);
        set("narrative", &["What happened."]);
        set("organisation_type", &["police"]);
        set("immigration_cohort", &["none"]);
        set("current_nation", &["scotland"]);
        answers.exploitation.push(ExploitationEntry {
            kind: "labour".into(),
            place: "overseas".into(),
            country: "AL".into(),
        });
        let Submission::Adult(referral) = submission(DraftKind::Adult, &answers) else {
            panic!("an adult referral");
        };
        assert_eq!(
            referral.profile.nationalities,
            [Country::parse("AL").unwrap()]
        );
        assert_eq!(referral.exploitation.types, [ExploitationType::Labour]);
        assert_eq!(
            referral.consent.referral_consent_given_on,
            NaiveDate::from_ymd_opt(2026, 11, 1).unwrap()
        );
        assert!(referral.immigration_cohort.is_none());
        assert_eq!(referral.current_nation, Some(UkNation::Scotland));
        answers
            .values
            .insert("current_nation".into(), vec!["not_known".into()]);
        let Submission::Adult(referral) = submission(DraftKind::Adult, &answers) else {
            panic!("an adult referral");
        };
        assert_eq!(referral.current_nation, None, "not known records no nation");
    }
}
