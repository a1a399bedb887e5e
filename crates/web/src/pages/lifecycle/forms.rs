//! Every lifecycle action a case page offers, as data: its address, the access-policy
//! operation it needs, its questions, and the conversion of checked answers into the
//! service's [`Action`]. The rules themselves (whether the action is possible now, and from
//! which date) are the domain's: a page only asks.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use nrm_access::CaseOperation;
use nrm_domain::children::panel::ChecklistItem;
use nrm_domain::command::ReviewPanel;
use nrm_domain::event::{ReviewedDecision, Reviewer};
use nrm_domain::ids::UserId;
use nrm_domain::personal::MAX_NARRATIVE_CHARS;
use nrm_domain::rules::{PanelAgency, PilotPanelMember};
use nrm_service::Action;
use serde::de::DeserializeOwned;

use crate::pages::i18n::Lang;
use crate::pages::layout::Errors;
use crate::pages::referrals::journey::parse_date;

/// What a question asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// A day, month and year; `future` allows dates after today.
    Date { future: bool },
    /// One of these `(code, words)`.
    Choice(&'static [(&'static str, &'static str)]),
    /// One of the choices the case offers now (open information requests, caseworkers).
    Dynamic,
    /// Yes or no.
    YesNo,
    /// One line of text, at most 200 characters.
    Text,
    /// Written reasons, stored encrypted.
    LongText,
}

/// One question of an action's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    pub name: &'static str,
    pub label: &'static str,
    pub hint: Option<&'static str>,
    pub input: Input,
    pub required: bool,
}

/// One lifecycle action's form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionForm {
    /// `/cases/{reference}/actions/{slug}`.
    pub slug: &'static str,
    /// The link on the case page and the form's heading.
    pub title: &'static str,
    /// The check page's button.
    pub button: &'static str,
    /// What the case page's banner says once it is recorded.
    pub done: &'static str,
    pub operation: CaseOperation,
    pub fields: &'static [Spec],
}

const fn date(name: &'static str, label: &'static str) -> Spec {
    Spec {
        name,
        label,
        hint: Some("For example, 27 3 2026"),
        input: Input::Date { future: false },
        required: true,
    }
}

const fn choice(
    name: &'static str,
    label: &'static str,
    choices: &'static [(&'static str, &'static str)],
) -> Spec {
    Spec {
        name,
        label,
        hint: None,
        input: Input::Choice(choices),
        required: true,
    }
}

const fn yes_no(name: &'static str, label: &'static str) -> Spec {
    Spec {
        name,
        label,
        hint: None,
        input: Input::YesNo,
        required: true,
    }
}

/// An assurance panel's chair or member: one of the panel members' accounts (staff).
const fn panel_member(name: &'static str, label: &'static str) -> Spec {
    Spec {
        name,
        label,
        hint: None,
        input: Input::Dynamic,
        required: true,
    }
}

/// A panel member's agency; the members must come from different agencies.
const fn agency(name: &'static str, label: &'static str) -> Spec {
    Spec {
        name,
        label,
        hint: Some("For example, a police force, a local authority or a charity"),
        input: Input::Text,
        required: true,
    }
}

const REASONS: Spec = Spec {
    name: "reasons",
    label: "Reasons",
    hint: Some("These are stored encrypted and shown only to people who need them"),
    input: Input::LongText,
    required: true,
};

const DECISIONS: &[(&str, &str)] = &[
    ("reasonable_grounds", "Reasonable Grounds"),
    ("conclusive_grounds", "Conclusive Grounds"),
];

const AGENCIES: &[(&str, &str)] = &[
    ("childrens_social_care", "Children's social care"),
    ("police", "The police"),
    ("health", "Health"),
    ("education", "Education"),
    ("other", "Another agency"),
];

/// Every action, in the order the case page lists them.
pub const ACTIONS: &[ActionForm] = &[
    ActionForm {
        slug: "allocate",
        title: "Allocate to a caseworker",
        button: "Allocate case",
        done: "Case allocated",
        operation: CaseOperation::Allocate,
        fields: &[Spec {
            name: "to",
            label: "Who should work on this case?",
            hint: None,
            input: Input::Dynamic,
            required: true,
        }],
    },
    ActionForm {
        slug: "request-information",
        title: "Request information",
        button: "Record request",
        done: "Information request recorded",
        operation: CaseOperation::Manage,
        fields: &[choice(
            "from",
            "Who is the information requested from?",
            &[
                ("first_responder", "The First Responder"),
                ("police", "The police"),
                ("local_authority", "The local authority"),
                ("support_provider", "The support provider"),
            ],
        )],
    },
    ActionForm {
        slug: "record-information",
        title: "Record information received",
        button: "Record information received",
        done: "Information received recorded",
        operation: CaseOperation::Manage,
        fields: &[
            Spec {
                name: "request",
                label: "Which request was answered?",
                hint: None,
                input: Input::Dynamic,
                required: true,
            },
            date("received_on", "Date the information was received"),
        ],
    },
    ActionForm {
        slug: "extend-recovery",
        title: "Extend the recovery period",
        button: "Record extension",
        done: "Recovery period extended",
        operation: CaseOperation::Manage,
        fields: &[Spec {
            name: "until",
            label: "Extend the recovery period until",
            hint: Some("For example, 27 3 2027"),
            input: Input::Date { future: true },
            required: true,
        }],
    },
    ActionForm {
        slug: "review",
        title: "Review a negative decision",
        button: "Record review",
        done: "Review recorded",
        operation: CaseOperation::Review,
        fields: &[
            choice(
                "decision",
                "Which decision was reviewed?",
                &[
                    ("reasonable_grounds", "Reasonable Grounds"),
                    ("conclusive_grounds", "Conclusive Grounds"),
                    ("disqualification", "Disqualification"),
                ],
            ),
            choice(
                "outcome",
                "What did the review conclude?",
                &[
                    ("agree", "Agree: the decision stands and may be served"),
                    (
                        "refer_back",
                        "Refer back: the decision maker must consider it again",
                    ),
                ],
            ),
            Spec {
                name: "reviewer_agency",
                label: "Your agency",
                hint: Some("For example, Home Office, a police force or a local authority"),
                input: Input::Text,
                required: true,
            },
            date("reviewed_on", "Date of the review"),
            REASONS,
        ],
    },
    ActionForm {
        slug: "panel-review",
        title: "Record an assurance panel's review",
        button: "Record the panel's review",
        done: "Panel review recorded",
        operation: CaseOperation::Review,
        fields: &[
            choice(
                "outcome",
                "What did the panel conclude about the negative Conclusive Grounds decision?",
                &[
                    ("agree", "Agree: the decision stands and may be served"),
                    (
                        "refer_back",
                        "Refer back: the decision maker must consider it again",
                    ),
                ],
            ),
            panel_member("chair", "Who chaired the panel?"),
            agency("chair_agency", "The chair's agency"),
            panel_member("first_member", "Who was the first member?"),
            agency("first_member_agency", "The first member's agency"),
            panel_member("second_member", "Who was the second member?"),
            agency("second_member_agency", "The second member's agency"),
            date("reviewed_on", "Date of the panel's review"),
            REASONS,
        ],
    },
    ActionForm {
        slug: "serve",
        title: "Serve a decision",
        button: "Record service",
        done: "Decision served",
        operation: CaseOperation::Manage,
        fields: &[
            choice("decision", "Which decision is served?", DECISIONS),
            date("served_on", "Date the decision was served"),
            yes_no(
                "legal_representative",
                "Does the person have a legal representative?",
            ),
        ],
    },
    ActionForm {
        slug: "request-reconsideration",
        title: "Record a reconsideration request",
        button: "Record request",
        done: "Reconsideration request recorded",
        operation: CaseOperation::RequestReconsideration,
        fields: &[
            choice(
                "decision",
                "Which decision should be reconsidered?",
                DECISIONS,
            ),
            date("requested_on", "Date of the request"),
            choice(
                "requested_by",
                "Who asked?",
                &[
                    ("first_responder", "The First Responder"),
                    ("support_provider", "The support provider"),
                    ("potential_victim", "The person themselves"),
                    ("legal_representative", "Their legal representative"),
                ],
            ),
            yes_no(
                "facing_removal",
                "Is the person facing removal from the UK?",
            ),
        ],
    },
    ActionForm {
        slug: "reconsideration-outcome",
        title: "Record the reconsideration outcome",
        button: "Record outcome",
        done: "Reconsideration outcome recorded",
        operation: CaseOperation::Manage,
        fields: &[
            yes_no("accepted", "Was the request accepted?"),
            date("decided_on", "Date of the outcome"),
            REASONS,
        ],
    },
    ActionForm {
        slug: "additional-recovery-period",
        title: "Decide whether another recovery period is appropriate",
        button: "Record decision",
        done: "Additional recovery period decision recorded",
        operation: CaseOperation::Decide,
        fields: &[
            yes_no(
                "appropriate",
                "Is another recovery period appropriate for this person?",
            ),
            date("decided_on", "Date of the decision"),
            REASONS,
        ],
    },
    ActionForm {
        slug: "suspend",
        title: "Suspend the case",
        button: "Suspend case",
        done: "Case suspended",
        operation: CaseOperation::Manage,
        fields: &[
            date("on", "Date of suspension"),
            choice(
                "reason",
                "Why is the case suspended?",
                &[
                    ("missing_person", "The person is missing"),
                    ("lost_contact", "Contact with the person has been lost"),
                ],
            ),
        ],
    },
    ActionForm {
        slug: "resume",
        title: "Resume the case",
        button: "Resume case",
        done: "Case resumed",
        operation: CaseOperation::Manage,
        fields: &[date("on", "Date the case resumes")],
    },
    ActionForm {
        slug: "withdraw",
        title: "Withdraw the case",
        button: "Withdraw case",
        done: "Case withdrawn",
        operation: CaseOperation::Manage,
        fields: &[
            date("on", "Date of withdrawal"),
            choice(
                "reason",
                "Why is the case withdrawn?",
                &[
                    ("consent_withdrawn", "The person withdrew their consent"),
                    ("referred_in_error", "The referral was made in error"),
                    ("other", "Another reason"),
                ],
            ),
        ],
    },
    ActionForm {
        slug: "close",
        title: "Close the case",
        button: "Close case",
        done: "Case closed",
        operation: CaseOperation::Manage,
        fields: &[
            date("on", "Date of closure"),
            choice(
                "reason",
                "Why is the case closed?",
                &[
                    ("process_complete", "The NRM process is complete"),
                    ("withdrawn", "The case was withdrawn"),
                    ("no_decision_possible", "No decision is possible"),
                    ("duplicate", "It duplicates another case"),
                ],
            ),
        ],
    },
    ActionForm {
        slug: "disqualify",
        title: "Disqualify from protection",
        button: "Record disqualification",
        done: "Disqualification recorded",
        operation: CaseOperation::Decide,
        fields: &[
            choice(
                "ground",
                "On which ground?",
                &[("public_order", "Public order"), ("bad_faith", "Bad faith")],
            ),
            date("decided_on", "Date of the decision"),
            REASONS,
        ],
    },
    ActionForm {
        slug: "reroute",
        title: "Reroute to another competent authority",
        button: "Reroute case",
        done: "Case rerouted",
        operation: CaseOperation::Reroute,
        fields: &[
            choice(
                "to",
                "Which competent authority should decide the case?",
                &[
                    ("sca", "Single Competent Authority (SCA)"),
                    ("ieca", "Immigration Enforcement Competent Authority (IECA)"),
                    ("local_authority_panel", "A local authority pilot panel"),
                ],
            ),
            Spec {
                name: "pilot_site",
                label: "Pilot panel",
                hint: Some("Only for a local authority pilot panel, for example hull"),
                input: Input::Text,
                required: false,
            },
            choice(
                "reason",
                "Why is the case rerouted?",
                &[
                    ("detention_started", "The person has been detained"),
                    (
                        "deportation_action_started",
                        "Deportation action has started",
                    ),
                    (
                        "asylum_claim_inadmissible",
                        "The asylum claim is inadmissible",
                    ),
                    (
                        "left_immigration_enforcement_cohort",
                        "The person has left the immigration enforcement cohort",
                    ),
                    (
                        "moved_into_pilot_area",
                        "The child has moved into a pilot area",
                    ),
                    ("correction", "To correct a routing mistake"),
                ],
            ),
        ],
    },
    ActionForm {
        slug: "convene-panel",
        title: "Convene the panel",
        button: "Convene panel",
        done: "Panel meeting convened",
        operation: CaseOperation::Decide,
        fields: &[
            Spec {
                name: "meets_on",
                label: "Date of the meeting",
                hint: Some("For example, 27 3 2026"),
                input: Input::Date { future: true },
                required: true,
            },
            Spec {
                name: "chair",
                label: "Who chairs the panel?",
                hint: Some("Not the child's lead social worker"),
                input: Input::Dynamic,
                required: true,
            },
            choice("chair_agency", "Which agency is the chair from?", AGENCIES),
            yes_no(
                "chair_lead_social_worker",
                "Is the chair the child's lead social worker?",
            ),
            Spec {
                name: "social_care_member",
                label: "Member from children's social care",
                hint: None,
                input: Input::Dynamic,
                required: true,
            },
            Spec {
                name: "police_member",
                label: "Member from the police",
                hint: None,
                input: Input::Dynamic,
                required: true,
            },
            Spec {
                name: "health_member",
                label: "Member from health",
                hint: None,
                input: Input::Dynamic,
                required: true,
            },
        ],
    },
    ActionForm {
        slug: "panel-papers",
        title: "Prepare the panel's papers",
        button: "Record papers",
        done: "Panel papers recorded",
        operation: CaseOperation::Decide,
        fields: &[
            Spec {
                name: "meeting",
                label: "Which meeting are the papers for?",
                hint: None,
                input: Input::Dynamic,
                required: true,
            },
            yes_no("paper_referral", "Is the NRM referral in the papers?"),
            yes_no(
                "paper_childrens_social_care",
                "Is children's social care information in the papers?",
            ),
            yes_no("paper_police", "Is police information in the papers?"),
            yes_no("paper_health", "Is health information in the papers?"),
            yes_no("paper_education", "Is education information in the papers?"),
            yes_no("paper_childs_views", "Are the child's views in the papers?"),
            yes_no(
                "paper_guardian",
                "Are the guardian's or advocate's views in the papers?",
            ),
            yes_no(
                "paper_immigration",
                "Is immigration information in the papers?",
            ),
            yes_no(
                "paper_first_responder",
                "Is further information from the First Responder in the papers?",
            ),
        ],
    },
    ActionForm {
        slug: "panel-decision",
        title: "Record the panel's decision",
        button: "Record decision",
        done: "Panel decision recorded",
        operation: CaseOperation::Decide,
        fields: &[
            Spec {
                name: "meeting",
                label: "At which meeting was the decision made?",
                hint: Some("The decision is dated the day of the meeting"),
                input: Input::Dynamic,
                required: true,
            },
            choice("decision", "Which decision did the panel make?", DECISIONS),
            choice(
                "outcome",
                "What did the panel decide?",
                &[("positive", "Positive"), ("negative", "Negative")],
            ),
            Spec {
                name: "negative_reason",
                label: "Reason for a negative decision",
                hint: Some("Only for a negative decision"),
                input: Input::Choice(&[
                    (
                        "insufficient_evidence",
                        "The evidence did not meet the threshold",
                    ),
                    (
                        "definition_not_met",
                        "It does not meet the definition of modern slavery",
                    ),
                    (
                        "disengaged",
                        "The child could not be reached or took no part",
                    ),
                    ("other", "Another reason"),
                ]),
                required: false,
            },
            yes_no("chair_present", "Was the chair present?"),
            yes_no(
                "social_care_present",
                "Was the member from children's social care present?",
            ),
            yes_no("police_present", "Was the member from the police present?"),
            yes_no("health_present", "Was the member from health present?"),
            REASONS,
        ],
    },
    ActionForm {
        slug: "age-assessment",
        title: "Record an age assessment",
        button: "Record age assessment",
        done: "Age assessment recorded",
        operation: CaseOperation::Manage,
        fields: &[
            choice(
                "assessed_by",
                "Who carried out the assessment?",
                &[
                    ("local_authority", "A local authority"),
                    ("home_office", "The Home Office"),
                ],
            ),
            date("assessed_on", "Date the assessment concluded"),
            choice(
                "finding",
                "What did the assessment conclude?",
                &[
                    ("adult", "The person is an adult"),
                    ("child", "The person is a child"),
                ],
            ),
            date("date_of_birth", "Assessed date of birth"),
            Spec {
                name: "local_authority_area",
                label: "Pilot area the child lives in",
                hint: Some(
                    "Only for a child: the local authority's pilot code, for example hull, to route the case to its panel",
                ),
                input: Input::Text,
                required: false,
            },
            REASONS,
        ],
    },
    ActionForm {
        slug: "assure-panel-decision",
        title: "Quality-assure a pilot panel's decision",
        button: "Record assurance",
        done: "Quality assurance recorded",
        operation: CaseOperation::Review,
        fields: &[
            choice("decision", "Which decision was assured?", DECISIONS),
            choice(
                "outcome",
                "What did the quality assurance conclude?",
                &[
                    ("agree", "Agree: the decision stands and may be served"),
                    (
                        "refer_back",
                        "Return it: the panel must decide again at a new meeting",
                    ),
                ],
            ),
            date("reviewed_on", "Date of the quality assurance"),
            REASONS,
        ],
    },
    ActionForm {
        slug: "consent-to-support",
        title: "Record the young adult's answer to the consent-to-support question",
        button: "Record answer",
        done: "Answer to the consent-to-support question recorded",
        operation: CaseOperation::Manage,
        fields: &[
            Spec {
                name: "consents",
                label: "Does the young adult consent to being referred for adult support?",
                hint: Some(
                    "Asked because they turned 18 during the case. Yes refers them to the support provider at once; no records the answer and nothing else",
                ),
                input: Input::YesNo,
                required: true,
            },
            date("on", "Date they answered"),
        ],
    },
    ActionForm {
        slug: "ask-reconsideration",
        title: "Ask for a decision to be reconsidered",
        button: "Send request",
        done: "Reconsideration requested",
        operation: CaseOperation::RequestReconsideration,
        fields: &[
            choice(
                "decision",
                "Which decision should be reconsidered?",
                DECISIONS,
            ),
            date("requested_on", "Date of the request"),
            yes_no(
                "facing_removal",
                "Is the person facing removal from the UK?",
            ),
        ],
    },
];

/// The action with this address.
pub fn action(slug: &str) -> Option<&'static ActionForm> {
    ACTIONS.iter().find(|a| a.slug == slug)
}

/// A form's answers as posted or typed: one value per name, a date as `name-day`, `-month`
/// and `-year`.
pub type Answers = BTreeMap<String, String>;

/// What the case offers for [`Input::Dynamic`] questions: `(code, words)` per name.
#[derive(Debug, Clone, Default)]
pub struct Offered {
    pub by_name: BTreeMap<&'static str, Vec<(String, String)>>,
}

impl Offered {
    pub fn get(&self, name: &str) -> &[(String, String)] {
        self.by_name.get(name).map_or(&[], Vec::as_slice)
    }
}

fn value<'a>(answers: &'a Answers, name: &str) -> &'a str {
    answers.get(name).map_or("", |v| v.as_str())
}

/// The date answered for `name`, if it is one.
pub fn date_answer(answers: &Answers, name: &str) -> Option<NaiveDate> {
    let part = |p: &str| {
        value(answers, &format!("{name}-{p}"))
            .trim()
            .parse::<u32>()
            .ok()
    };
    NaiveDate::from_ymd_opt(
        i32::try_from(part("year")?).ok()?,
        part("month")?,
        part("day")?,
    )
}

/// Checks the answers against the form's questions, as GOV.UK asks: every problem at once,
/// each linked to its field.
pub fn check(form: &ActionForm, answers: &Answers, offered: &Offered, today: NaiveDate) -> Errors {
    check_fields(form.fields, answers, offered, today)
}

/// Checks answers against questions (any form built from [`Spec`]s, such as the guardians').
pub fn check_fields(
    fields: &[Spec],
    answers: &Answers,
    offered: &Offered,
    today: NaiveDate,
) -> Errors {
    let mut errors = Errors::default();
    for spec in fields {
        let name = spec.name;
        let given = value(answers, name).trim();
        match spec.input {
            Input::Date { future } => {
                let parts: Vec<String> = ["day", "month", "year"]
                    .iter()
                    .map(|p| value(answers, &format!("{name}-{p}")).trim().to_owned())
                    .collect();
                if parts.iter().all(String::is_empty) {
                    if spec.required {
                        errors.add(
                            &format!("{name}-day"),
                            &format!("Enter the {}", lower(spec.label)),
                        );
                    }
                } else {
                    // A date allowed in the future is checked against a far horizon instead
                    // of today.
                    let latest = if future {
                        today + chrono::Duration::days(3660)
                    } else {
                        today
                    };
                    if let Err((part, message)) = parse_date(&parts, Lang::En, spec.label, latest) {
                        errors.add(&format!("{name}-{part}"), &message);
                    }
                }
            }
            Input::Choice(choices) => {
                let known = choices.iter().any(|(code, _)| *code == given);
                if !known && (spec.required || !given.is_empty()) {
                    errors.add(name, &format!("Select {}", choose_words(spec.label)));
                }
            }
            Input::Dynamic => {
                if given.is_empty() || !offered.get(name).iter().any(|(code, _)| code == given) {
                    errors.add(name, &format!("Select {}", choose_words(spec.label)));
                }
            }
            Input::YesNo => {
                if !matches!(given, "yes" | "no") {
                    errors.add(name, &format!("Select yes or no: {}", lower(spec.label)));
                }
            }
            Input::Text => {
                if given.is_empty() && spec.required {
                    errors.add(name, &format!("Enter {}", lower(spec.label)));
                } else if given.chars().count() > 200 {
                    errors.add(
                        name,
                        &format!("{} must be 200 characters or fewer", spec.label),
                    );
                }
            }
            Input::LongText => {
                if given.is_empty() && spec.required {
                    errors.add(name, &format!("Enter the {}", lower(spec.label)));
                } else if value(answers, name).chars().count() > MAX_NARRATIVE_CHARS {
                    errors.add(
                        name,
                        &format!(
                            "{} must be {MAX_NARRATIVE_CHARS} characters or fewer",
                            spec.label
                        ),
                    );
                }
            }
        }
    }
    errors
}

fn lower(label: &str) -> String {
    let mut chars = label.trim_end_matches('?').chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_lowercase().chain(chars).collect()
    })
}

/// "Who is the information requested from?" → "who the information is requested from"-ish:
/// the question as an instruction's object.
fn choose_words(label: &str) -> String {
    format!("an answer to \"{}\"", label)
}

/// The words for an answer, as the check page shows it.
pub fn answer_words(spec: &Spec, answers: &Answers, offered: &Offered) -> String {
    let given = value(answers, spec.name).trim();
    match spec.input {
        Input::Date { .. } => date_answer(answers, spec.name)
            .map(|d| Lang::En.long_date(d))
            .unwrap_or_default(),
        Input::Choice(choices) => choices
            .iter()
            .find(|(code, _)| *code == given)
            .map(|(_, words)| (*words).to_owned())
            .unwrap_or_default(),
        Input::Dynamic => offered
            .get(spec.name)
            .iter()
            .find(|(code, _)| code == given)
            .map(|(_, words)| words.clone())
            .unwrap_or_default(),
        Input::YesNo => match given {
            "yes" => "Yes".to_owned(),
            "no" => "No".to_owned(),
            _ => String::new(),
        },
        Input::Text | Input::LongText => given.to_owned(),
    }
}

/// A code as one of the domain's snake_case enums.
fn code<T: DeserializeOwned>(answers: &Answers, name: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(
        value(answers, name).trim().to_owned(),
    ))
    .ok()
}

fn yes(answers: &Answers, name: &str) -> bool {
    value(answers, name) == "yes"
}

fn text(answers: &Answers, name: &str) -> String {
    value(answers, name).trim().to_owned()
}

/// The action the checked answers ask for (`None` only if they were not checked first).
pub fn build(form: &ActionForm, answers: &Answers) -> Option<Action> {
    let on = |name: &str| date_answer(answers, name);
    Some(match form.slug {
        "allocate" => Action::Allocate {
            to: UserId(uuid::Uuid::parse_str(value(answers, "to")).ok()?),
        },
        "request-information" => Action::RequestInformation {
            from: code(answers, "from")?,
        },
        "record-information" => Action::RecordInformationReceived {
            request: uuid::Uuid::parse_str(value(answers, "request")).ok()?,
            received_on: on("received_on")?,
        },
        "extend-recovery" => Action::ExtendRecoveryPeriod {
            until: on("until")?,
        },
        "review" => Action::ReviewNegativeDecision {
            decision: code(answers, "decision")?,
            outcome: code(answers, "outcome")?,
            panel: None,
            reviewer_agency: text(answers, "reviewer_agency"),
            reviewed_on: on("reviewed_on")?,
            reasons: text(answers, "reasons"),
        },
        "panel-review" => {
            let reviewer = |name: &str| {
                Some(Reviewer {
                    user: UserId(uuid::Uuid::parse_str(value(answers, name)).ok()?),
                    agency: text(answers, &format!("{name}_agency")),
                })
            };
            Action::ReviewNegativeDecision {
                decision: ReviewedDecision::ConclusiveGrounds,
                outcome: code(answers, "outcome")?,
                panel: Some(ReviewPanel {
                    chair: reviewer("chair")?,
                    members: vec![reviewer("first_member")?, reviewer("second_member")?],
                }),
                reviewer_agency: text(answers, "chair_agency"),
                reviewed_on: on("reviewed_on")?,
                reasons: text(answers, "reasons"),
            }
        }
        "serve" => Action::Serve {
            decision: code(answers, "decision")?,
            served_on: on("served_on")?,
            legal_representative: yes(answers, "legal_representative"),
        },
        "request-reconsideration" => Action::RequestReconsideration {
            decision: code(answers, "decision")?,
            requested_on: on("requested_on")?,
            requested_by: code(answers, "requested_by")?,
            facing_removal: yes(answers, "facing_removal"),
        },
        "ask-reconsideration" => Action::RequestReconsideration {
            decision: code(answers, "decision")?,
            requested_on: on("requested_on")?,
            requested_by: nrm_domain::rules::Requester::FirstResponder,
            facing_removal: yes(answers, "facing_removal"),
        },
        "reconsideration-outcome" => Action::DecideReconsideration {
            accepted: yes(answers, "accepted"),
            decided_on: on("decided_on")?,
            reasons: text(answers, "reasons"),
        },
        "additional-recovery-period" => Action::DecideAdditionalRecoveryPeriod {
            appropriate: yes(answers, "appropriate"),
            decided_on: on("decided_on")?,
            reasons: text(answers, "reasons"),
        },
        "suspend" => Action::Suspend {
            on: on("on")?,
            reason: code(answers, "reason")?,
        },
        "resume" => Action::Resume { on: on("on")? },
        "withdraw" => Action::Withdraw {
            on: on("on")?,
            reason: code(answers, "reason")?,
        },
        "close" => Action::Close {
            on: on("on")?,
            reason: code(answers, "reason")?,
        },
        "disqualify" => Action::Disqualify {
            ground: code(answers, "ground")?,
            decided_on: on("decided_on")?,
            reasons: text(answers, "reasons"),
        },
        "reroute" => Action::Reroute {
            to: code(answers, "to")?,
            pilot_site: Some(text(answers, "pilot_site")).filter(|s| !s.is_empty()),
            reason: code(answers, "reason")?,
        },
        "convene-panel" => {
            let user = |name: &str| uuid::Uuid::parse_str(value(answers, name)).ok().map(UserId);
            let member = |name: &str, agency: PanelAgency| {
                Some(PilotPanelMember {
                    user: user(name)?,
                    agency,
                    lead_social_worker: false,
                })
            };
            Action::ConvenePanel(nrm_service::ConveneInput {
                meeting: None,
                meets_on: on("meets_on")?,
                chair: PilotPanelMember {
                    user: user("chair")?,
                    agency: code(answers, "chair_agency")?,
                    lead_social_worker: yes(answers, "chair_lead_social_worker"),
                },
                members: vec![
                    member("social_care_member", PanelAgency::ChildrensSocialCare)?,
                    member("police_member", PanelAgency::Police)?,
                    member("health_member", PanelAgency::Health)?,
                ],
            })
        }
        "panel-papers" => Action::PreparePanelPapers {
            meeting: uuid::Uuid::parse_str(value(answers, "meeting")).ok()?,
            items: ChecklistItem::ALL
                .into_iter()
                .filter(|item| yes(answers, &format!("paper_{}", item.as_str())))
                .collect(),
        },
        "panel-decision" => {
            let mut agencies = Vec::new();
            for (name, agency) in [
                ("social_care_present", PanelAgency::ChildrensSocialCare),
                ("police_present", PanelAgency::Police),
                ("health_present", PanelAgency::Health),
            ] {
                if !yes(answers, name) {
                    agencies.push(agency);
                }
            }
            Action::RecordPanelDecision(nrm_service::PanelDecisionInput {
                meeting: uuid::Uuid::parse_str(value(answers, "meeting")).ok()?,
                decision: code(answers, "decision")?,
                outcome: code(answers, "outcome")?,
                negative_reason: code(answers, "negative_reason"),
                reasons: text(answers, "reasons"),
                present: nrm_service::Present::AllExcept {
                    chair: !yes(answers, "chair_present"),
                    agencies,
                },
            })
        }
        "age-assessment" => Action::RecordAgeAssessment(nrm_service::AgeAssessmentInput {
            assessed_on: on("assessed_on")?,
            assessed_by: code(answers, "assessed_by")?,
            finding: code(answers, "finding")?,
            date_of_birth: on("date_of_birth")?,
            local_authority_area: Some(text(answers, "local_authority_area"))
                .filter(|s| !s.is_empty()),
            reasons: text(answers, "reasons"),
        }),
        "assure-panel-decision" => Action::AssurePanelDecision {
            decision: code(answers, "decision")?,
            outcome: code(answers, "outcome")?,
            reviewed_on: on("reviewed_on")?,
            reasons: text(answers, "reasons"),
        },
        "consent-to-support" => Action::AnswerConsentToSupport {
            on: on("on")?,
            consents: yes(answers, "consents"),
        },
        _ => return None,
    })
}

/// A domain message with its ISO dates (2025-03-04) written in words (4 March 2025).
pub fn dates_in_words(message: &str) -> String {
    let bytes = message.as_bytes();
    let mut out = String::with_capacity(message.len());
    let mut i = 0;
    while i < message.len() {
        if i + 10 <= message.len()
            && message.is_char_boundary(i)
            && message.is_char_boundary(i + 10)
            && bytes[i + 4] == b'-'
            && bytes[i + 7] == b'-'
            && let Ok(d) = NaiveDate::parse_from_str(&message[i..i + 10], "%Y-%m-%d")
            && (i == 0 || !bytes[i - 1].is_ascii_digit())
            && bytes.get(i + 10).is_none_or(|b| !b.is_ascii_digit())
        {
            out.push_str(&Lang::En.long_date(d));
            i += 10;
            continue;
        }
        let ch = message[i..].chars().next().unwrap_or(' ');
        out.push(ch);
        i += ch.len_utf8();
    }
    let mut chars = out.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_refusals_read_as_words() {
        assert_eq!(
            dates_in_words("suspended since 2025-03-04 (rule R7)"),
            "Suspended since 4 March 2025 (rule R7)"
        );
        assert_eq!(
            dates_in_words("no dates 12345-01-019"),
            "No dates 12345-01-019"
        );
        assert_eq!(dates_in_words(""), "");
    }

    #[test]
    fn every_action_builds_from_answers_that_pass_its_checks() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 27).unwrap_or_default();
        let mut offered = Offered::default();
        let someone = uuid::Uuid::from_u128(7).to_string();
        offered
            .by_name
            .insert("to", vec![(someone.clone(), "A".to_owned())]);
        offered
            .by_name
            .insert("request", vec![(someone.clone(), "B".to_owned())]);
        for name in [
            "chair",
            "first_member",
            "second_member",
            "social_care_member",
            "police_member",
            "health_member",
            "meeting",
        ] {
            offered
                .by_name
                .insert(name, vec![(someone.clone(), "C".to_owned())]);
        }
        for form in ACTIONS {
            let mut answers = Answers::new();
            for spec in form.fields {
                match spec.input {
                    Input::Date { .. } => {
                        answers.insert(format!("{}-day", spec.name), "27".to_owned());
                        answers.insert(format!("{}-month", spec.name), "3".to_owned());
                        answers.insert(format!("{}-year", spec.name), "2026".to_owned());
                    }
                    Input::Choice(choices) => {
                        answers.insert(spec.name.to_owned(), choices[0].0.to_owned());
                    }
                    Input::Dynamic => {
                        answers.insert(spec.name.to_owned(), someone.clone());
                    }
                    Input::YesNo => {
                        answers.insert(spec.name.to_owned(), "no".to_owned());
                    }
                    Input::Text | Input::LongText => {
                        answers.insert(spec.name.to_owned(), "Words".to_owned());
                    }
                }
            }
            assert!(
                check(form, &answers, &offered, today).is_empty(),
                "{}",
                form.slug
            );
            assert!(build(form, &answers).is_some(), "{}", form.slug);
            // Nothing answered: every required question is named.
            let empty = check(form, &Answers::new(), &offered, today);
            let required = form.fields.iter().filter(|s| s.required).count();
            assert_eq!(empty.list.len(), required, "{}", form.slug);
        }
    }

    #[test]
    fn a_date_in_the_future_is_refused_unless_the_question_allows_it() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 27).unwrap_or_default();
        let tomorrow: Answers = [("on-day", "28"), ("on-month", "3"), ("on-year", "2026")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let resume = action("resume").unwrap_or_else(|| panic!("resume"));
        assert_eq!(
            check(resume, &tomorrow, &Offered::default(), today)
                .list
                .len(),
            1
        );
        let until: Answers = tomorrow
            .iter()
            .map(|(k, v)| (k.replace("on-", "until-"), v.clone()))
            .collect();
        let extend = action("extend-recovery").unwrap_or_else(|| panic!("extend"));
        assert!(check(extend, &until, &Offered::default(), today).is_empty());
    }
}
