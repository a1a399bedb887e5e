//! The support forms, as data like the case lifecycle's and the guardians': each a GOV.UK form
//! of [`Spec`] questions, then a check page showing the answers back, then the record through
//! the support service (the same methods the API calls, so the same rules). When the rules say
//! no, the check page says which rule, in words, and nothing is recorded.
//!
//! On an episode, `GET /support/episodes/{reference}/record/{form}`: allocating a referral to
//! the prime contractor or a subcontractor (the prime's manager), recording a Recovery Needs
//! Assessment (the support worker or the provider's manager) and the Home Office's decision on
//! it (contract managers), and a safeguarding review while the person is supported (the
//! support worker or the provider's manager), a transition plan during move-on with its
//! actions and owners, placing the person in accommodation and ending the placement, and the
//! payments ledger's (the provider's manager): posting an ended week (Monday to Sunday) as
//! due, recording a payment, adjusting what is owed with a reason; assigning one of the
//! provider's support workers (its manager); asking for a shortened or refused RNA decision to
//! be reconsidered, once; escalating a concern to the Home Office, recording a missing person
//! found and closing a concern with its outcome; the person's exit with its reason, and
//! Reach-In support after it where the rules of the exit date provided it. Which of them are
//! offered now is `allowed` (the access policy and the episode's state, `choices.rs`); any
//! other address is not found. Without an episode, `GET /support/new/{form}`: an emergency
//! referral before Reasonable Grounds (a provider's staff), an inspection of accommodation
//! with its findings by area, ratings and required actions, and a follow-up of an earlier
//! inspection (contract managers), a required action recorded as done, and accommodation
//! added with its address in the vault (the provider's manager, for its own).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use nrm_access::Principal;
use nrm_access::support::{
    EpisodeFacts, SupportCapability, SupportOperation, SupportScope, SupportServiceOperation,
    authorise_support, support_scope,
};
use nrm_domain::clock::uk_date;
use nrm_domain::geography::UkNation;
use nrm_domain::ids::{OrganisationId, UserId};
use nrm_domain::support::accommodation::{
    AccommodationType, Finding, InspectionArea, PlacementEndReason, Rating,
};
use nrm_domain::support::event::{
    ActionOwner, ConcernOutcome, EntryRoute, ExitReason, Need, NeedArea, NeedLevel, PlanAction,
    Provision, ReviewTrigger, RnaDecision,
};
use nrm_domain::support::finance::{AdjustmentReason, Posting};
use nrm_domain::support::{
    AccommodationId, ConcernId, EpisodeState, InspectionId, PlacementId, RnaId, SupportStatus,
};
use nrm_govuk::components::{Button, SummaryList, SummaryListRow};
use nrm_service::ServiceError;
use nrm_service::support::{InspectionInput, ReferInput, SupportAction};
use uuid::Uuid;

use super::choices::{self, REGION_CHOICES};
use super::{episode_capability, layout, service_capability, words};
use crate::AppState;
use crate::api::support::support;
use crate::pages::errors::PageError;
use crate::pages::form::{self, Form};
use crate::pages::i18n::Lang;
use crate::pages::layout::{Errors, render_status};
use crate::pages::lifecycle::forms::{
    Answers, Input, Offered, Spec, answer_words, check_fields, date_answer,
};
use crate::pages::lifecycle::{CheckPage, FormPage, fields_or_nothing, refusal_words};
use crate::pages::session::{Posted, SignedIn};

/// What a form needs: an episode operation or a service one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    Episode(SupportOperation),
    Service(SupportServiceOperation),
}

/// One support form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SupportForm {
    pub slug: &'static str,
    /// The link and the form's heading.
    pub title: &'static str,
    /// The check page's button.
    pub button: &'static str,
    pub needs: Needs,
    pub fields: &'static [Spec],
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

const fn dynamic(name: &'static str, label: &'static str) -> Spec {
    Spec {
        name,
        label,
        hint: None,
        input: Input::Dynamic,
        required: true,
    }
}

const fn number(name: &'static str, label: &'static str, hint: &'static str) -> Spec {
    Spec {
        name,
        label,
        hint: Some(hint),
        input: Input::Text,
        required: true,
    }
}

const fn long(name: &'static str, label: &'static str, hint: &'static str, required: bool) -> Spec {
    Spec {
        name,
        label,
        hint: Some(hint),
        input: Input::LongText,
        required,
    }
}

const ENCRYPTED: &str = "Stored encrypted with the person's record; only those supporting them and the Home Office's contract managers can read it";

const LEVELS: &[(&str, &str)] = &[
    ("none", "No ongoing need"),
    (
        "met_elsewhere",
        "A need that can be met outside victim support",
    ),
    (
        "ongoing",
        "An ongoing need only victim support can meet for now",
    ),
];

const RATINGS: &[(&str, &str)] = &[
    ("good", "Good"),
    ("requires_improvement", "Requires improvement"),
    ("inadequate", "Inadequate"),
];

const AREAS: &[(&str, &str)] = &[
    ("safety", "Safety"),
    ("safeguarding", "Safeguarding"),
    ("cleanliness", "Cleanliness"),
    ("staffing", "Staffing"),
    ("wellbeing", "Wellbeing"),
];

const fn need(name: &'static str, label: &'static str) -> Spec {
    choice(name, label, LEVELS)
}

const fn rating(name: &'static str, label: &'static str) -> Spec {
    choice(name, label, RATINGS)
}

const NEED_AREAS: &[(&str, &str)] = &[
    ("accommodation", "Accommodation"),
    ("health", "Physical health"),
    ("mental_health", "Mental health"),
    ("legal", "Legal advice and representation"),
    ("finance", "Finance"),
    ("immigration", "Immigration"),
    ("education_and_employment", "Education and employment"),
    ("safety", "Safety"),
];

const OWNERS: &[(&str, &str)] = &[
    ("person", "The person themselves"),
    ("support_worker", "Their support worker"),
    ("local_authority", "The local authority"),
    ("health_service", "A health service"),
    ("legal_representative", "Their legal representative"),
    ("other", "Someone else"),
];

const fn optional_choice(
    name: &'static str,
    label: &'static str,
    choices: &'static [(&'static str, &'static str)],
) -> Spec {
    Spec {
        name,
        label,
        hint: Some("Leave blank if there is no further action"),
        input: Input::Choice(choices),
        required: false,
    }
}

/// How many actions the transition plan form offers.
const PLAN_ACTIONS: usize = 3;

const fn action_area(name: &'static str, label: &'static str) -> Spec {
    Spec {
        name,
        label,
        hint: Some("Leave blank if no further action is required"),
        input: Input::Choice(AREAS),
        required: false,
    }
}

const fn action_due(name: &'static str, label: &'static str) -> Spec {
    Spec {
        name,
        label,
        hint: Some("For example, 27 3 2027"),
        input: Input::Date { future: true },
        required: false,
    }
}

/// The RNA's questions by area, in the order the domain lists the areas.
const NEEDS: [(&str, NeedArea); 8] = [
    ("need_accommodation", NeedArea::Accommodation),
    ("need_health", NeedArea::Health),
    ("need_mental_health", NeedArea::MentalHealth),
    ("need_legal", NeedArea::Legal),
    ("need_finance", NeedArea::Finance),
    ("need_immigration", NeedArea::Immigration),
    (
        "need_education_and_employment",
        NeedArea::EducationAndEmployment,
    ),
    ("need_safety", NeedArea::Safety),
];

/// The inspection's findings by area.
const FINDINGS: [(&str, InspectionArea); 5] = [
    ("rating_safety", InspectionArea::Safety),
    ("rating_safeguarding", InspectionArea::Safeguarding),
    ("rating_cleanliness", InspectionArea::Cleanliness),
    ("rating_staffing", InspectionArea::Staffing),
    ("rating_wellbeing", InspectionArea::Wellbeing),
];

/// How many required actions the inspection form offers.
const ACTIONS: usize = 3;

/// The forms on an episode.
pub const EPISODE_FORMS: &[SupportForm] = &[
    SupportForm {
        slug: "allocate",
        title: "Allocate the referral",
        button: "Allocate",
        needs: Needs::Episode(SupportOperation::Allocate),
        fields: &[
            choice(
                "provision",
                "What support does the person need first?",
                &[
                    (
                        "emergency_accommodation",
                        "Emergency accommodation (destitute or at risk tonight)",
                    ),
                    ("accommodation", "Accommodation in a safe house"),
                    (
                        "outreach",
                        "Outreach support (the person has somewhere safe to stay)",
                    ),
                ],
            ),
            dynamic("provider", "Which provider will support the person?"),
            dynamic("worker", "Who will be their support worker?"),
        ],
    },
    SupportForm {
        slug: "rna",
        title: "Record a Recovery Needs Assessment",
        button: "Record assessment",
        needs: Needs::Episode(SupportOperation::Record),
        fields: &[
            need("need_accommodation", "Accommodation"),
            need("need_health", "Physical health"),
            need("need_mental_health", "Mental health"),
            need("need_legal", "Legal advice and representation"),
            need("need_finance", "Finance"),
            need("need_immigration", "Immigration"),
            need("need_education_and_employment", "Education and employment"),
            need("need_safety", "Safety"),
            number(
                "recommended_days",
                "How many more days of support do you recommend?",
                "A number of days, for example 45",
            ),
            long(
                "evidence",
                "Evidence for the needs",
                "What you saw, who you spoke to, and what is in place. Stored encrypted with the person's record",
                true,
            ),
        ],
    },
    SupportForm {
        slug: "rna-decision",
        title: "Decide on a Recovery Needs Assessment",
        button: "Record decision",
        needs: Needs::Episode(SupportOperation::DecideRna),
        fields: &[
            dynamic("rna", "Which assessment?"),
            choice(
                "decision",
                "What is the Home Office's decision?",
                &[
                    ("approved", "Approve the recommended period"),
                    ("shortened", "Approve a shorter period"),
                    ("refused", "Refuse further support"),
                ],
            ),
            number(
                "days_granted",
                "How many days are granted?",
                "The recommended days when approved, fewer when shortened, 0 when refused",
            ),
            long("reasons", "Reasons for the decision", ENCRYPTED, true),
        ],
    },
    SupportForm {
        slug: "transition-plan",
        title: "Record a transition plan",
        button: "Record plan",
        needs: Needs::Episode(SupportOperation::Record),
        fields: &[
            optional_choice("plan_1_area", "First action: which need?", NEED_AREAS),
            optional_choice("plan_1_owner", "First action: who will do it?", OWNERS),
            action_due("plan_1_due", "First action: due by"),
            optional_choice("plan_2_area", "Second action: which need?", NEED_AREAS),
            optional_choice("plan_2_owner", "Second action: who will do it?", OWNERS),
            action_due("plan_2_due", "Second action: due by"),
            optional_choice("plan_3_area", "Third action: which need?", NEED_AREAS),
            optional_choice("plan_3_owner", "Third action: who will do it?", OWNERS),
            action_due("plan_3_due", "Third action: due by"),
            long(
                "details",
                "The plan",
                "How the person will move on from support: where they will live, what continues, and who to contact. Stored encrypted with the person's record",
                true,
            ),
        ],
    },
    SupportForm {
        slug: "safeguarding-review",
        title: "Record a safeguarding review",
        button: "Record review",
        needs: Needs::Episode(SupportOperation::Record),
        fields: &[
            choice(
                "trigger",
                "What prompted this review?",
                &[
                    ("scheduled", "It was due (a scheduled review)"),
                    (
                        "event",
                        "Something happened: a concern, a move, a decision or another event",
                    ),
                ],
            ),
            long(
                "notes",
                "What the review found",
                "Risks to the person, what is in place to keep them safe, and what happens next. Stored encrypted with the person's record",
                true,
            ),
        ],
    },
    SupportForm {
        slug: "start-placement",
        title: "Place the person in accommodation",
        button: "Record placement",
        needs: Needs::Episode(SupportOperation::Record),
        fields: &[
            dynamic("accommodation", "Which accommodation?"),
            Spec {
                name: "start",
                label: "The first night of the placement",
                hint: Some("For example, 27 3 2026"),
                input: Input::Date { future: false },
                required: true,
            },
        ],
    },
    SupportForm {
        slug: "end-placement",
        title: "End the placement",
        button: "Record the end",
        needs: Needs::Episode(SupportOperation::Record),
        fields: &[
            dynamic("placement", "Which placement is ending?"),
            Spec {
                name: "end",
                label: "The day the person moved out",
                hint: Some("For example, 27 3 2026"),
                input: Input::Date { future: false },
                required: true,
            },
            choice(
                "reason",
                "Why did the placement end?",
                &[
                    (
                        "moved_to_other_accommodation",
                        "Moved to other accommodation",
                    ),
                    ("moved_on", "Moved on from support accommodation"),
                    ("safeguarding_risk", "A safeguarding risk"),
                    ("missing", "The person went missing"),
                    ("support_ended", "Support ended"),
                    ("other", "Another reason"),
                ],
            ),
        ],
    },
    SupportForm {
        slug: "week-due",
        title: "Post a week's subsistence as due",
        button: "Post as due",
        needs: Needs::Episode(SupportOperation::Pay),
        fields: &[dynamic("week", "Which week has ended?")],
    },
    SupportForm {
        slug: "payment",
        title: "Record a payment",
        button: "Record payment",
        needs: Needs::Episode(SupportOperation::Pay),
        fields: &[
            Spec {
                name: "paid_on",
                label: "The day the person was paid",
                hint: Some("For example, 27 3 2026"),
                input: Input::Date { future: false },
                required: true,
            },
            number(
                "amount",
                "How much was paid?",
                "In pounds, for example 49.18; no more than is owed",
            ),
        ],
    },
    SupportForm {
        slug: "adjust",
        title: "Adjust what is owed",
        button: "Record adjustment",
        needs: Needs::Episode(SupportOperation::Pay),
        fields: &[
            choice(
                "direction",
                "Does the adjustment increase or reduce what is owed to the person?",
                &[
                    ("up", "Increase what is owed"),
                    ("down", "Reduce what is owed"),
                ],
            ),
            number("amount", "By how much?", "In pounds, for example 12.50"),
            choice(
                "reason",
                "Why is the ledger adjusted?",
                &[
                    (
                        "recalculated",
                        "An amount due was recalculated (a placement recorded late, a rate corrected)",
                    ),
                    (
                        "overpayment",
                        "Money paid that was not due is written off or recovered",
                    ),
                    (
                        "exceptional_payment",
                        "A one-off payment agreed by the Home Office",
                    ),
                    ("other", "Another reason"),
                ],
            ),
        ],
    },
    SupportForm {
        slug: "assign-worker",
        title: "Assign a support worker",
        button: "Assign worker",
        needs: Needs::Episode(SupportOperation::Record),
        fields: &[dynamic("worker", "Who will be their support worker?")],
    },
    SupportForm {
        slug: "rna-reconsideration",
        title: "Ask for the RNA decision to be reconsidered",
        button: "Ask for reconsideration",
        needs: Needs::Episode(SupportOperation::Record),
        fields: &[
            dynamic("decided_rna", "Which decision should be reconsidered?"),
            long(
                "grounds",
                "Grounds for reconsideration",
                "What the decision did not take into account: new evidence, a need that was missed. Stored encrypted with the person's record",
                true,
            ),
        ],
    },
    SupportForm {
        slug: "escalate-concern",
        title: "Escalate a concern to the Home Office",
        button: "Escalate concern",
        needs: Needs::Episode(SupportOperation::Record),
        fields: &[dynamic(
            "concern",
            "Which concern should the Home Office see?",
        )],
    },
    SupportForm {
        slug: "person-found",
        title: "Record that the missing person has been found",
        button: "Record as found",
        needs: Needs::Episode(SupportOperation::Record),
        fields: &[dynamic("concern", "Which missing person report?")],
    },
    SupportForm {
        slug: "close-concern",
        title: "Close a concern",
        button: "Close concern",
        needs: Needs::Episode(SupportOperation::Record),
        fields: &[
            dynamic("concern", "Which concern is closed?"),
            choice(
                "outcome",
                "What was the outcome?",
                &[
                    ("risk_reduced", "The risk has reduced"),
                    ("referred_to_police", "Referred to the police"),
                    (
                        "referred_to_local_authority",
                        "Referred to the local authority",
                    ),
                    ("person_found", "The missing person was found"),
                    ("no_further_action", "No further action is needed"),
                ],
            ),
        ],
    },
    SupportForm {
        slug: "exit",
        title: "Record the person's exit from support",
        button: "Record exit",
        needs: Needs::Episode(SupportOperation::Record),
        fields: &[choice(
            "reason",
            "Why is support ending?",
            &[
                ("support_period_ended", "The support period has ended"),
                (
                    "moved_on",
                    "The person has moved on to other support or independence",
                ),
                ("consent_withdrawn", "The person withdrew their consent"),
                ("lost_contact", "We lost contact with the person"),
                ("left_the_uk", "The person left the UK"),
                ("other", "Another reason"),
            ],
        )],
    },
    SupportForm {
        slug: "reach-in",
        title: "Start Reach-In support",
        button: "Start Reach-In support",
        needs: Needs::Episode(SupportOperation::Record),
        fields: &[],
    },
];

/// An amount in pounds as typed (`49.18`, `£49`, `1,049.5`) in pence; `None` unless it is a
/// positive amount with at most two decimal places.
pub fn pence(typed: &str) -> Option<u64> {
    let cleaned: String = typed
        .trim()
        .trim_start_matches('£')
        .chars()
        .filter(|c| *c != ',')
        .collect();
    let (whole, fraction) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
        || fraction.len() > 2
        || whole.len() > 9
    {
        return None;
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let fraction: u64 = match fraction.len() {
        0 => 0,
        1 => fraction.parse::<u64>().ok()? * 10,
        _ => fraction.parse().ok()?,
    };
    let total = whole * 100 + fraction;
    (total > 0).then_some(total)
}

/// How many ended weeks the "post a week" form offers at most (the oldest not yet posted).
const WEEKS_OFFERED: usize = 12;

/// The weeks of an episode's support that have ended by `today` and are not yet in its
/// ledger, oldest first. Weeks run Monday to Sunday, as the demo and the statements count them,
/// from the week support started in (its days before allocation are not paid); a week that
/// overlaps one already due (posted through the API from another day) is not offered.
pub fn weeks_to_post(state: &EpisodeState, today: chrono::NaiveDate) -> Vec<chrono::NaiveDate> {
    use chrono::Datelike as _;
    let Some(span) = state.support_span() else {
        return Vec::new();
    };
    let posted: Vec<chrono::NaiveDate> = state
        .ledger
        .postings
        .iter()
        .filter_map(|p| match p {
            Posting::Due { week_start, .. } => Some(*week_start),
            _ => None,
        })
        .collect();
    let mut weeks = Vec::new();
    let Some(mut start) = span.from.checked_sub_days(chrono::Days::new(u64::from(
        span.from.weekday().num_days_from_monday(),
    ))) else {
        return weeks;
    };
    while weeks.len() < WEEKS_OFFERED {
        let Some(end) = start.checked_add_days(chrono::Days::new(7)) else {
            break;
        };
        if end > today || span.until.is_some_and(|u| start >= u) {
            break;
        }
        if !posted.iter().any(|w| (*w - start).num_days().abs() < 7) {
            weeks.push(start);
        }
        start = end;
    }
    weeks
}

/// The forms without an episode.
pub const SERVICE_FORMS: &[SupportForm] = &[
    SupportForm {
        slug: "emergency",
        title: "Make an emergency referral",
        button: "Make referral",
        needs: Needs::Service(SupportServiceOperation::Refer),
        fields: &[
            choice(
                "nation",
                "Where is the person now?",
                &[
                    ("england", "England"),
                    ("wales", "Wales"),
                    ("scotland", "Scotland"),
                    ("northern_ireland", "Northern Ireland"),
                ],
            ),
            Spec {
                name: "adult",
                label: "Is the person an adult (18 or over)?",
                hint: None,
                input: Input::YesNo,
                required: true,
            },
            Spec {
                name: "consent",
                label: "Does the person consent to being supported?",
                hint: None,
                input: Input::YesNo,
                required: true,
            },
        ],
    },
    SupportForm {
        slug: "inspection",
        title: "Record an inspection",
        button: "Record inspection",
        needs: Needs::Service(SupportServiceOperation::Inspect),
        fields: &[
            dynamic("accommodation", "Which accommodation was inspected?"),
            Spec {
                name: "inspected_on",
                label: "Date of the inspection",
                hint: Some("For example, 27 3 2026"),
                input: Input::Date { future: false },
                required: true,
            },
            rating("rating_safety", "Safety"),
            rating("rating_safeguarding", "Safeguarding"),
            rating("rating_cleanliness", "Cleanliness"),
            rating("rating_staffing", "Staffing"),
            rating("rating_wellbeing", "Wellbeing"),
            action_area("action_1_area", "First required action: which area?"),
            action_due("action_1_due", "First required action: due by"),
            action_area("action_2_area", "Second required action: which area?"),
            action_due("action_2_due", "Second required action: due by"),
            action_area("action_3_area", "Third required action: which area?"),
            action_due("action_3_due", "Third required action: due by"),
            long(
                "notes",
                "What the inspector found",
                "Optional. Stored encrypted with the accommodation's record",
                false,
            ),
        ],
    },
    SupportForm {
        slug: "complete-action",
        title: "Record a required action as done",
        button: "Record as done",
        needs: Needs::Service(SupportServiceOperation::CompleteActions),
        fields: &[
            dynamic("action", "Which required action is done?"),
            Spec {
                name: "completed_on",
                label: "The day it was done",
                hint: Some("For example, 27 3 2026"),
                input: Input::Date { future: false },
                required: true,
            },
        ],
    },
    SupportForm {
        slug: "follow-up-inspection",
        title: "Record a follow-up inspection",
        button: "Record inspection",
        needs: Needs::Service(SupportServiceOperation::Inspect),
        fields: &[
            dynamic("follows", "Which inspection does this follow up?"),
            Spec {
                name: "inspected_on",
                label: "Date of the follow-up inspection",
                hint: Some("After the inspection it follows up, for example 27 3 2026"),
                input: Input::Date { future: false },
                required: true,
            },
            rating("rating_safety", "Safety"),
            rating("rating_safeguarding", "Safeguarding"),
            rating("rating_cleanliness", "Cleanliness"),
            rating("rating_staffing", "Staffing"),
            rating("rating_wellbeing", "Wellbeing"),
            action_area("action_1_area", "First required action: which area?"),
            action_due("action_1_due", "First required action: due by"),
            action_area("action_2_area", "Second required action: which area?"),
            action_due("action_2_due", "Second required action: due by"),
            action_area("action_3_area", "Third required action: which area?"),
            action_due("action_3_due", "Third required action: due by"),
            long(
                "notes",
                "What the inspector found",
                "Optional. Stored encrypted with the accommodation's record",
                false,
            ),
        ],
    },
    SupportForm {
        slug: "accommodation",
        title: "Add accommodation",
        button: "Add accommodation",
        needs: Needs::Service(SupportServiceOperation::ManageAccommodation),
        fields: &[
            choice(
                "kind",
                "What kind of accommodation is it?",
                &[
                    ("catered", "Catered: meals are provided"),
                    (
                        "self_catered",
                        "Self-catered: residents cook for themselves",
                    ),
                ],
            ),
            number(
                "capacity",
                "How many places does it have?",
                "A number of places, for example 6",
            ),
            choice("region", "Which region is it in?", &REGION_CHOICES),
            long(
                "address",
                "Address",
                "Stored encrypted with the accommodation's record; it is not shown on lists",
                true,
            ),
        ],
    },
];

fn value<'a>(answers: &'a Answers, name: &str) -> &'a str {
    answers.get(name).map_or("", |v| v.as_str())
}

fn text(answers: &Answers, name: &str) -> String {
    value(answers, name).trim().to_owned()
}

fn days(answers: &Answers, name: &str) -> Option<u32> {
    text(answers, name).parse::<u32>().ok()
}

/// The answers as posted: every question's value, dates in their three parts.
fn answers(f: &SupportForm, posted: &Form) -> Answers {
    let mut answers = Answers::new();
    for spec in f.fields {
        match spec.input {
            Input::Date { .. } => {
                for p in ["day", "month", "year"] {
                    let name = format!("{}-{p}", spec.name);
                    answers.insert(name.clone(), form::value(posted, &name).to_owned());
                }
            }
            _ => {
                answers.insert(
                    spec.name.to_owned(),
                    form::value(posted, spec.name).to_owned(),
                );
            }
        }
    }
    answers
}

fn has_date(answers: &Answers, name: &str) -> bool {
    ["day", "month", "year"]
        .iter()
        .any(|p| !value(answers, &format!("{name}-{p}")).trim().is_empty())
}

/// A form's own checks beyond each question's.
fn check_more(f: &SupportForm, answers: &Answers, offered: &Offered, errors: &mut Errors) {
    match f.slug {
        "rna" | "rna-decision" => {
            let name = if f.slug == "rna" {
                "recommended_days"
            } else {
                "days_granted"
            };
            if !text(answers, name).is_empty() && days(answers, name).is_none() {
                errors.add(name, "Enter the number of days as a whole number, like 45");
            }
        }
        "allocate" => {
            // A worker of the provider chosen (or none yet).
            let worker = value(answers, "worker");
            let provider = value(answers, "provider");
            if worker != "none"
                && !worker.is_empty()
                && !provider.is_empty()
                && !worker.ends_with(&format!("@{provider}"))
            {
                errors.add(
                    "worker",
                    "Select a support worker of the provider you chose, or no one yet",
                );
            }
        }
        "transition-plan" => {
            let mut complete = 0;
            for i in 1..=PLAN_ACTIONS {
                let area = format!("plan_{i}_area");
                let owner = format!("plan_{i}_owner");
                let due = format!("plan_{i}_due");
                let given = [
                    !value(answers, &area).trim().is_empty(),
                    !value(answers, &owner).trim().is_empty(),
                    has_date(answers, &due),
                ];
                if given.iter().all(|g| *g) {
                    complete += 1;
                } else if given.iter().any(|g| *g) {
                    if !given[0] {
                        errors.add(&area, "Select the need this action meets");
                    }
                    if !given[1] {
                        errors.add(&owner, "Select who will do this action");
                    }
                    if !given[2] {
                        errors.add(
                            &format!("{due}-day"),
                            "Enter the date this action is due by",
                        );
                    }
                }
            }
            if complete == 0 && errors.is_empty() {
                errors.add(
                    "plan_1_area",
                    "Add at least one action: its need, who will do it and when",
                );
            }
        }
        "payment" | "adjust"
            if !text(answers, "amount").is_empty() && pence(value(answers, "amount")).is_none() =>
        {
            errors.add(
                "amount",
                "Enter an amount in pounds more than £0, like 49.18, with no more than 2 decimal places",
            );
        }
        "inspection" | "follow-up-inspection" => {
            for i in 1..=ACTIONS {
                let area = format!("action_{i}_area");
                let due = format!("action_{i}_due");
                let given_area = !value(answers, &area).trim().is_empty();
                let given_due = has_date(answers, &due);
                if given_area && !given_due {
                    errors.add(
                        &format!("{due}-day"),
                        "Enter the date the required action is due by",
                    );
                } else if given_due && !given_area {
                    errors.add(&area, "Select the area of the required action");
                }
            }
        }
        "accommodation"
            if !text(answers, "capacity").is_empty() && days(answers, "capacity").is_none() =>
        {
            errors.add(
                "capacity",
                "Enter the number of places as a whole number, like 6",
            );
        }
        _ => {}
    }
    let _ = offered;
}

fn code_of<T>(answers: &Answers, name: &str, parse: fn(&str) -> Option<T>) -> Option<T> {
    parse(value(answers, name).trim())
}

/// The checked answers as what the service is asked to do.
enum Built {
    Act(SupportAction),
    Refer(ReferInput),
    Inspect(InspectionInput),
    Complete {
        inspection: InspectionId,
        number: u32,
        on: chrono::NaiveDate,
    },
    AddAccommodation {
        kind: AccommodationType,
        capacity: u32,
        region: String,
        address: String,
    },
}

fn id_of(answers: &Answers, name: &str) -> Option<Uuid> {
    Uuid::parse_str(value(answers, name)).ok()
}

/// An inspection's findings, required actions and notes as answered, of `accommodation`.
fn inspection_input(
    answers: &Answers,
    accommodation: AccommodationId,
    follow_up_of: Option<InspectionId>,
) -> Option<InspectionInput> {
    let mut findings = Vec::new();
    for (name, area) in FINDINGS {
        findings.push(Finding {
            area,
            rating: code_of(answers, name, Rating::parse)?,
        });
    }
    let mut actions = Vec::new();
    for i in 1..=ACTIONS {
        if let (Some(area), Some(due)) = (
            code_of(answers, &format!("action_{i}_area"), InspectionArea::parse),
            date_answer(answers, &format!("action_{i}_due")),
        ) {
            actions.push((area, due));
        }
    }
    let notes = text(answers, "notes");
    Some(InspectionInput {
        accommodation,
        inspected_on: date_answer(answers, "inspected_on")?,
        follow_up_of,
        findings,
        actions,
        notes: (!notes.is_empty()).then_some(notes),
    })
}

fn build(f: &SupportForm, answers: &Answers) -> Option<Built> {
    Some(match f.slug {
        "allocate" => {
            let provider = Uuid::parse_str(value(answers, "provider")).ok()?;
            let worker = match value(answers, "worker") {
                "none" => None,
                w => Some(UserId(Uuid::parse_str(w.split('@').next()?).ok()?)),
            };
            Built::Act(SupportAction::Allocate {
                provider: OrganisationId(provider),
                worker,
                provision: code_of(answers, "provision", Provision::parse)?,
            })
        }
        "rna" => {
            let mut needs = Vec::new();
            for (name, area) in NEEDS {
                needs.push(Need {
                    area,
                    level: code_of(answers, name, NeedLevel::parse)?,
                });
            }
            Built::Act(SupportAction::RecordRna {
                needs,
                recommended_days: days(answers, "recommended_days")?,
                evidence: text(answers, "evidence"),
            })
        }
        "rna-decision" => Built::Act(SupportAction::DecideRna {
            rna: RnaId(Uuid::parse_str(value(answers, "rna")).ok()?),
            decision: code_of(answers, "decision", RnaDecision::parse)?,
            days_granted: days(answers, "days_granted")?,
            reasons: text(answers, "reasons"),
        }),
        "transition-plan" => {
            let mut actions = Vec::new();
            for i in 1..=PLAN_ACTIONS {
                if let (Some(area), Some(owner), Some(due_on)) = (
                    code_of(answers, &format!("plan_{i}_area"), NeedArea::parse),
                    code_of(answers, &format!("plan_{i}_owner"), ActionOwner::parse),
                    date_answer(answers, &format!("plan_{i}_due")),
                ) {
                    actions.push(PlanAction {
                        area,
                        owner,
                        due_on,
                    });
                }
            }
            Built::Act(SupportAction::RecordTransitionPlan {
                actions,
                details: text(answers, "details"),
            })
        }
        "safeguarding-review" => Built::Act(SupportAction::RecordSafeguardingReview {
            trigger: code_of(answers, "trigger", ReviewTrigger::parse)?,
            notes: text(answers, "notes"),
        }),
        "start-placement" => Built::Act(SupportAction::StartPlacement {
            accommodation: AccommodationId(Uuid::parse_str(value(answers, "accommodation")).ok()?),
            start: date_answer(answers, "start")?,
        }),
        "end-placement" => Built::Act(SupportAction::EndPlacement {
            placement: PlacementId(Uuid::parse_str(value(answers, "placement")).ok()?),
            end: date_answer(answers, "end")?,
            reason: code_of(answers, "reason", PlacementEndReason::parse)?,
        }),
        "week-due" => Built::Act(SupportAction::PostWeekDue {
            week_start: chrono::NaiveDate::parse_from_str(value(answers, "week"), "%Y-%m-%d")
                .ok()?,
        }),
        "payment" => Built::Act(SupportAction::RecordPayment {
            on: date_answer(answers, "paid_on")?,
            amount_pence: pence(value(answers, "amount"))?,
        }),
        "adjust" => {
            let amount = i64::try_from(pence(value(answers, "amount"))?).ok()?;
            Built::Act(SupportAction::Adjust {
                amount_pence: match value(answers, "direction") {
                    "up" => amount,
                    "down" => -amount,
                    _ => return None,
                },
                reason: code_of(answers, "reason", AdjustmentReason::parse)?,
            })
        }
        "complete-action" => {
            let (inspection, number) = value(answers, "action").split_once(':')?;
            Built::Complete {
                inspection: InspectionId(Uuid::parse_str(inspection).ok()?),
                number: number.parse().ok()?,
                on: date_answer(answers, "completed_on")?,
            }
        }
        "emergency" => {
            let nation = match value(answers, "nation") {
                "england" => UkNation::England,
                "wales" => UkNation::Wales,
                "scotland" => UkNation::Scotland,
                "northern_ireland" => UkNation::NorthernIreland,
                _ => return None,
            };
            Built::Refer(ReferInput {
                case_id: None,
                nation,
                route: EntryRoute::EmergencyBeforeReasonableGrounds,
                adult: value(answers, "adult") == "yes",
                consent_to_support: value(answers, "consent") == "yes",
            })
        }
        "inspection" => Built::Inspect(inspection_input(
            answers,
            AccommodationId(id_of(answers, "accommodation")?),
            None,
        )?),
        "follow-up-inspection" => {
            let (accommodation, follows) = value(answers, "follows").split_once(':')?;
            Built::Inspect(inspection_input(
                answers,
                AccommodationId(Uuid::parse_str(accommodation).ok()?),
                Some(InspectionId(Uuid::parse_str(follows).ok()?)),
            )?)
        }
        "accommodation" => Built::AddAccommodation {
            kind: code_of(answers, "kind", AccommodationType::parse)?,
            capacity: days(answers, "capacity")?,
            region: code_of(answers, "region", |r| {
                REGION_CHOICES
                    .iter()
                    .find(|(c, _)| *c == r)
                    .map(|(c, _)| *c)
            })?
            .to_owned(),
            address: text(answers, "address"),
        },
        "assign-worker" => Built::Act(SupportAction::AssignWorker {
            worker: UserId(id_of(answers, "worker")?),
        }),
        "rna-reconsideration" => Built::Act(SupportAction::RequestRnaReconsideration {
            rna: RnaId(id_of(answers, "decided_rna")?),
            grounds: text(answers, "grounds"),
        }),
        "escalate-concern" => Built::Act(SupportAction::EscalateConcern {
            concern: ConcernId(id_of(answers, "concern")?),
        }),
        "person-found" => Built::Act(SupportAction::RecordPersonFound {
            concern: ConcernId(id_of(answers, "concern")?),
        }),
        "close-concern" => Built::Act(SupportAction::CloseConcern {
            concern: ConcernId(id_of(answers, "concern")?),
            outcome: code_of(answers, "outcome", ConcernOutcome::parse)?,
        }),
        "exit" => Built::Act(SupportAction::Exit {
            reason: code_of(answers, "reason", ExitReason::parse)?,
        }),
        "reach-in" => Built::Act(SupportAction::StartReachIn),
        _ => return None,
    })
}

/// The episode forms `principal` may use now, in the page's order.
pub fn allowed(
    principal: &Principal,
    facts: &EpisodeFacts,
    status: &str,
    state: Option<&EpisodeState>,
    today: chrono::NaiveDate,
) -> Vec<&'static SupportForm> {
    EPISODE_FORMS
        .iter()
        .filter(|f| match f.needs {
            Needs::Episode(op) => authorise_support(principal, op, facts).is_ok(),
            Needs::Service(_) => false,
        })
        .filter(|f| match f.slug {
            "allocate" => status == "awaiting_allocation",
            "rna" => state.is_some_and(|s| {
                s.rna_available
                    && s.status == Some(SupportStatus::MoveOn)
                    && !s.rnas.iter().any(|r| r.awaiting_decision())
            }),
            "rna-decision" => state.is_some_and(|s| s.rnas.iter().any(|r| r.awaiting_decision())),
            "transition-plan" => state.is_some_and(|s| s.status == Some(SupportStatus::MoveOn)),
            "start-placement" => state.is_some_and(|s| {
                s.current_placement().is_none()
                    && matches!(
                        s.status,
                        Some(
                            SupportStatus::BeforeReasonableGrounds
                                | SupportStatus::RecoveryPeriod
                                | SupportStatus::MoveOn
                        )
                    )
            }),
            "end-placement" => state.is_some_and(|s| s.current_placement().is_some()),
            // Choosing among the provider's support workers is its manager's job.
            "assign-worker" => {
                matches!(support_scope(principal), SupportScope::Provider(_))
                    && state.is_some_and(|s| choices::in_support(s) && s.provider.is_some())
            }
            "rna-reconsideration" => state.is_some_and(|s| {
                choices::in_support(s) && s.rnas.iter().any(choices::reconsiderable)
            }),
            "escalate-concern" => {
                state.is_some_and(|s| s.concerns.iter().any(choices::escalatable))
            }
            "person-found" => state.is_some_and(|s| s.concerns.iter().any(choices::missing)),
            "close-concern" => state.is_some_and(|s| s.concerns.iter().any(choices::closable)),
            "exit" => state.is_some_and(choices::in_support),
            // Where the rules of the exit date provided Reach-In for the person.
            "reach-in" => state
                .is_some_and(|s| s.status == Some(SupportStatus::Exited) && s.reach_in_eligible),
            "week-due" => state.is_some_and(|s| !weeks_to_post(s, today).is_empty()),
            "payment" => state.is_some_and(|s| s.ledger.balance.owed > 0),
            "adjust" => state.is_some_and(|s| s.support_span().is_some()),
            // While the person is supported (not before allocation, not after exit, not in
            // Reach-In): the domain refuses a review to anyone else as "not in support".
            "safeguarding-review" => state.is_some_and(choices::in_support),
            _ => false,
        })
        .collect()
}

fn episode_form(slug: &str) -> Result<&'static SupportForm, PageError> {
    EPISODE_FORMS
        .iter()
        .find(|f| f.slug == slug)
        .ok_or(PageError::NotFound(Lang::En))
}

fn service_form(slug: &str) -> Result<&'static SupportForm, PageError> {
    SERVICE_FORMS
        .iter()
        .find(|f| f.slug == slug)
        .ok_or(PageError::NotFound(Lang::En))
}

/// An episode form's capability and what it offers now (its version and dynamic choices);
/// not found unless the form is one the caller may use now.
async fn episode_context(
    state: &AppState,
    signed_in: &SignedIn,
    reference: &str,
    f: &'static SupportForm,
) -> Result<(SupportCapability, u64, Offered), PageError> {
    let Needs::Episode(op) = f.needs else {
        return Err(PageError::NotFound(Lang::En));
    };
    let (capability, facts) = episode_capability(state, signed_in, reference, op).await?;
    let p = &signed_in.principal;
    let now = state.now();
    let fault = |e| PageError::from_service(e, Lang::En);
    let service = support(state);
    let read = authorise_support(p, SupportOperation::ReadSupport, &facts)
        .map_err(|_| PageError::NotFound(Lang::En))?;
    let view = service.view(&read, None, now).await.map_err(fault)?;
    if !allowed(
        p,
        &facts,
        &view.summary.status,
        view.state.as_ref(),
        uk_date(now),
    )
    .contains(&f)
    {
        return Err(PageError::NotFound(Lang::En));
    }
    let mut offered = Offered::default();
    match f.slug {
        "allocate" => {
            let choices = service
                .allocation_choices(&capability, now)
                .await
                .map_err(fault)?;
            let name_of = |org: OrganisationId| {
                choices
                    .providers
                    .iter()
                    .find(|p| p.organisation == org)
                    .map(|p| p.name.clone())
                    .unwrap_or_default()
            };
            offered.by_name.insert(
                "provider",
                choices
                    .providers
                    .iter()
                    .map(|p| {
                        let role = if p.parent.is_none() {
                            "prime contractor"
                        } else {
                            "subcontractor"
                        };
                        (p.organisation.0.to_string(), format!("{} ({role})", p.name))
                    })
                    .collect(),
            );
            let mut workers = vec![(
                "none".to_owned(),
                "No one yet: the provider's manager will assign a worker".to_owned(),
            )];
            workers.extend(choices.workers.iter().map(|(user, email, org)| {
                (
                    format!("{}@{}", user.0, org.0),
                    format!("{email} ({})", name_of(*org)),
                )
            }));
            offered.by_name.insert("worker", workers);
        }
        "rna-decision" => {
            offered.by_name.insert(
                "rna",
                view.state
                    .as_ref()
                    .map(|s| {
                        s.rnas
                            .iter()
                            .filter(|r| r.awaiting_decision())
                            .map(|r| {
                                (
                                    r.id.0.to_string(),
                                    format!(
                                        "Recorded {}: {} days recommended, {} ongoing needs",
                                        Lang::En.long_date(r.recorded_on),
                                        r.recommended_days,
                                        r.needs
                                            .iter()
                                            .filter(|n| n.level == NeedLevel::Ongoing)
                                            .count()
                                    ),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            );
        }
        "start-placement" => {
            let read =
                service_capability(state, signed_in, SupportServiceOperation::ReadAccommodation)
                    .await?;
            let list = service
                .accommodation(&read, uk_date(now), now)
                .await
                .map_err(fault)?;
            offered.by_name.insert(
                "accommodation",
                list.into_iter()
                    .map(|v| {
                        (
                            v.accommodation.id.0.to_string(),
                            format!(
                                "{} accommodation in {}: {} of {} places taken",
                                words(v.accommodation.kind.code()),
                                words(&v.accommodation.region),
                                v.occupancy,
                                v.accommodation.capacity
                            ),
                        )
                    })
                    .collect(),
            );
        }
        "week-due" => {
            offered.by_name.insert(
                "week",
                view.state
                    .as_ref()
                    .map(|s| {
                        weeks_to_post(s, uk_date(now))
                            .into_iter()
                            .map(|w| {
                                (
                                    w.to_string(),
                                    format!("The week beginning {}", Lang::En.long_date(w)),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            );
        }
        "end-placement" => {
            offered.by_name.insert(
                "placement",
                view.state
                    .as_ref()
                    .and_then(|s| s.current_placement())
                    .map(|p| {
                        vec![(
                            p.id.0.to_string(),
                            format!(
                                "{} accommodation since {}",
                                words(p.kind.code()),
                                Lang::En.long_date(p.start)
                            ),
                        )]
                    })
                    .unwrap_or_default(),
            );
        }
        "assign-worker" => {
            let current = view.state.as_ref().and_then(|s| s.worker);
            offered.by_name.insert(
                "worker",
                service
                    .worker_choices(&capability, now)
                    .await
                    .map_err(fault)?
                    .into_iter()
                    .filter(|(user, _)| Some(*user) != current)
                    .map(|(user, email)| (user.0.to_string(), email))
                    .collect(),
            );
        }
        "rna-reconsideration" => {
            offered
                .by_name
                .insert("decided_rna", choices::decided_rnas(view.state.as_ref()));
        }
        "escalate-concern" | "person-found" | "close-concern" => {
            let keep: fn(&nrm_domain::support::state::ConcernState) -> bool = match f.slug {
                "escalate-concern" => choices::escalatable,
                "person-found" => choices::missing,
                _ => choices::closable,
            };
            offered
                .by_name
                .insert("concern", choices::concerns(view.state.as_ref(), keep));
        }
        _ => {}
    }
    Ok((capability, view.summary.version, offered))
}

/// A service form's dynamic choices.
async fn service_offered(
    state: &AppState,
    signed_in: &SignedIn,
    f: &SupportForm,
) -> Result<Offered, PageError> {
    let mut offered = Offered::default();
    if f.slug == "complete-action" {
        let now = state.now();
        let today = uk_date(now);
        let read = service_capability(state, signed_in, SupportServiceOperation::ReadAccommodation)
            .await?;
        let list = support(state)
            .accommodation(&read, today, now)
            .await
            .map_err(|e| PageError::from_service(e, Lang::En))?;
        let mut open = Vec::new();
        for v in &list {
            for i in &v.inspections {
                for a in i.actions.iter().filter(|a| a.completed_on.is_none()) {
                    open.push((
                        format!("{}:{}", i.id.0, a.number),
                        format!(
                            "{} at the {} accommodation in {}: due {}{} (inspected {})",
                            words(a.area.code()),
                            words(v.accommodation.kind.code()).to_lowercase(),
                            words(&v.accommodation.region),
                            Lang::En.long_date(a.due_on),
                            if a.due_on < today { ", overdue" } else { "" },
                            Lang::En.long_date(i.inspected_on)
                        ),
                    ));
                }
            }
        }
        offered.by_name.insert("action", open);
    }
    if f.slug == "follow-up-inspection" {
        let now = state.now();
        let read = service_capability(state, signed_in, SupportServiceOperation::ReadAccommodation)
            .await?;
        let list = support(state)
            .accommodation(&read, uk_date(now), now)
            .await
            .map_err(|e| PageError::from_service(e, Lang::En))?;
        offered
            .by_name
            .insert("follows", choices::inspections_to_follow(&list));
    }
    if f.slug == "inspection" {
        let now = state.now();
        let read = service_capability(state, signed_in, SupportServiceOperation::ReadAccommodation)
            .await?;
        let list = support(state)
            .accommodation(&read, uk_date(now), now)
            .await
            .map_err(|e| PageError::from_service(e, Lang::En))?;
        offered.by_name.insert(
            "accommodation",
            list.into_iter()
                .map(|v| {
                    (
                        v.accommodation.id.0.to_string(),
                        format!(
                            "{} accommodation in {}, {} places (last inspected {})",
                            words(v.accommodation.kind.code()),
                            words(&v.accommodation.region),
                            v.accommodation.capacity,
                            v.inspections
                                .first()
                                .map(|i| Lang::En.long_date(i.inspected_on))
                                .unwrap_or_else(|| "never".to_owned())
                        ),
                    )
                })
                .collect(),
        );
    }
    Ok(offered)
}

fn action_of(f: &SupportForm, reference: Option<&str>) -> String {
    match reference {
        Some(r) => format!("/support/episodes/{r}/record/{}", f.slug),
        None => format!("/support/new/{}", f.slug),
    }
}

fn back_of(reference: Option<&str>) -> String {
    match reference {
        Some(r) => format!("/support/episodes/{r}"),
        None => "/support".to_owned(),
    }
}

/// Why a dynamic question offers nothing.
fn nothing_to_choose(name: &str) -> &'static str {
    match name {
        "accommodation" => "no accommodation is registered",
        "rna" => "no assessment is waiting for a decision",
        "placement" => "the person has no open placement",
        "week" => "no ended week is waiting to be posted",
        "action" => "no required action is open",
        "worker" => "no other support worker is registered with the provider",
        "decided_rna" => "no decision can be reconsidered",
        "concern" => "no concern can be chosen for this now",
        "follows" => "no inspection has been recorded yet",
        _ => "no provider is registered",
    }
}

#[expect(clippy::too_many_arguments, reason = "the parts of one page")]
fn form_page(
    signed_in: &SignedIn,
    reference: Option<&str>,
    f: &SupportForm,
    answers: &Answers,
    offered: &Offered,
    errors: &Errors,
    version: u64,
    status: StatusCode,
) -> Response {
    let page = FormPage {
        layout: layout(signed_in, f.title)
            .back(back_of(reference))
            .errors(errors),
        errors: errors.summary(Lang::En),
        action: action_of(f, reference),
        fields: fields_or_nothing(f.fields, answers, offered, errors, nothing_to_choose),
        form_token: signed_in.form_token.clone(),
        version,
        button: Button {
            text: Some("Continue".to_owned()),
            ..Button::default()
        }
        .to_string(),
    };
    render_status(status, &page)
}

fn check_page(
    signed_in: &SignedIn,
    reference: Option<&str>,
    f: &SupportForm,
    answers: &Answers,
    offered: &Offered,
    version: u64,
    errors: &Errors,
) -> CheckPage {
    let mut rows = Vec::new();
    if let Some(r) = reference {
        rows.push(SummaryListRow::new("Support reference", r));
    }
    rows.extend(
        f.fields
            .iter()
            .filter(|spec| {
                spec.required
                    || !value(answers, spec.name).trim().is_empty()
                    || (matches!(spec.input, Input::Date { .. }) && has_date(answers, spec.name))
            })
            .map(|spec| SummaryListRow::new(spec.label, answer_words(spec, answers, offered))),
    );
    let mut hidden: Vec<(String, String)> = answers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    hidden.push(("version".to_owned(), version.to_string()));
    hidden.push(("confirmed".to_owned(), "yes".to_owned()));
    let action = action_of(f, reference);
    CheckPage {
        layout: layout(signed_in, format!("Check before you record: {}", f.title))
            .back(action.clone())
            .errors(errors),
        errors: errors.summary(Lang::En),
        action: action.clone(),
        summary: SummaryList {
            rows,
            ..SummaryList::default()
        }
        .to_string(),
        hidden,
        form_token: signed_in.form_token.clone(),
        button: Button {
            text: Some(f.button.to_owned()),
            prevent_double_click: Some(true),
            attributes: nrm_govuk::components::Attributes::from_pairs([("id", "confirm")]),
            ..Button::default()
        }
        .to_string(),
        change: action,
    }
}

/// An episode form.
pub async fn show(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path((reference, slug)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let f = episode_form(&slug)?;
    let (_, version, offered) = episode_context(&state, &signed_in, &reference, f).await?;
    Ok(form_page(
        &signed_in,
        Some(&reference),
        f,
        &Answers::new(),
        &offered,
        &Errors::default(),
        version,
        StatusCode::OK,
    ))
}

/// A form without an episode.
pub async fn show_new(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let f = service_form(&slug)?;
    let Needs::Service(op) = f.needs else {
        return Err(PageError::NotFound(Lang::En));
    };
    service_capability(&state, &signed_in, op).await?;
    let offered = service_offered(&state, &signed_in, f).await?;
    Ok(form_page(
        &signed_in,
        None,
        f,
        &Answers::new(),
        &offered,
        &Errors::default(),
        0,
        StatusCode::OK,
    ))
}

/// An episode form posted: shown again with its errors, shown back for checking, or, once
/// checked, recorded.
pub async fn submit(
    State(state): State<AppState>,
    Path((reference, slug)): Path<(String, String)>,
    Posted {
        signed_in,
        form: posted,
        ..
    }: Posted,
) -> Result<Response, PageError> {
    let f = episode_form(&slug)?;
    let (capability, current, offered) = episode_context(&state, &signed_in, &reference, f).await?;
    let version: u64 = form::value(&posted, "version").parse().unwrap_or(current);
    submit_any(
        &state,
        &signed_in,
        Some(&reference),
        f,
        &posted,
        &offered,
        version,
        Some(&capability),
    )
    .await
}

/// A form without an episode posted.
pub async fn submit_new(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    Posted {
        signed_in,
        form: posted,
        ..
    }: Posted,
) -> Result<Response, PageError> {
    let f = service_form(&slug)?;
    let Needs::Service(op) = f.needs else {
        return Err(PageError::NotFound(Lang::En));
    };
    service_capability(&state, &signed_in, op).await?;
    let offered = service_offered(&state, &signed_in, f).await?;
    submit_any(&state, &signed_in, None, f, &posted, &offered, 0, None).await
}

#[expect(clippy::too_many_arguments, reason = "the parts of one post")]
async fn submit_any(
    state: &AppState,
    signed_in: &SignedIn,
    reference: Option<&str>,
    f: &SupportForm,
    posted: &Form,
    offered: &Offered,
    version: u64,
    capability: Option<&SupportCapability>,
) -> Result<Response, PageError> {
    let answers = answers(f, posted);
    let now = state.now();
    let mut errors = check_fields(f.fields, &answers, offered, uk_date(now));
    check_more(f, &answers, offered, &mut errors);
    if !errors.is_empty() {
        return Ok(form_page(
            signed_in,
            reference,
            f,
            &answers,
            offered,
            &errors,
            version,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    let Some(built) = build(f, &answers) else {
        return Err(PageError::Fault(Lang::En));
    };
    let check = |errors: &Errors, status: StatusCode| {
        render_status(
            status,
            &check_page(signed_in, reference, f, &answers, offered, version, errors),
        )
    };
    if form::value(posted, "confirmed") != "yes" {
        return Ok(check(&Errors::default(), StatusCode::OK));
    }
    let service = support(state);
    let result: Result<String, ServiceError> = match (built, capability) {
        (Built::Act(action), Some(capability)) => service
            .act(capability, Some(version), action, now)
            .await
            .map(|_| match (f.needs, reference) {
                (Needs::Episode(SupportOperation::Pay), Some(r)) => {
                    format!("/support/episodes/{r}/payments")
                }
                _ => back_of(reference),
            }),
        (Built::Refer(input), None) => {
            let refer =
                service_capability(state, signed_in, SupportServiceOperation::Refer).await?;
            service
                .refer(&refer, input, now)
                .await
                .map(|r| format!("/support/episodes/{}", r.reference))
        }
        (
            Built::Complete {
                inspection,
                number,
                on,
            },
            None,
        ) => {
            let complete =
                service_capability(state, signed_in, SupportServiceOperation::CompleteActions)
                    .await?;
            service
                .complete_action(&complete, inspection, number, on, now)
                .await
                .map(|()| "/support/inspections".to_owned())
        }
        (
            Built::AddAccommodation {
                kind,
                capacity,
                region,
                address,
            },
            None,
        ) => {
            let manage = service_capability(
                state,
                signed_in,
                SupportServiceOperation::ManageAccommodation,
            )
            .await?;
            service
                .add_accommodation(&manage, kind, capacity, region, address, now)
                .await
                .map(|_| "/support".to_owned())
        }
        (Built::Inspect(input), None) => {
            let inspect =
                service_capability(state, signed_in, SupportServiceOperation::Inspect).await?;
            service
                .record_inspection(&inspect, input, now)
                .await
                .map(|_| "/support/inspections".to_owned())
        }
        _ => return Err(PageError::Fault(Lang::En)),
    };
    match result {
        Ok(to) => Ok(Redirect::to(&to).into_response()),
        Err(ServiceError::Conflict { .. }) => {
            let mut errors = Errors::default();
            errors.add(
                "confirm",
                "The record changed while you were working on it. Go back to the person's support page, check what changed, then try again",
            );
            Ok(check(&errors, StatusCode::CONFLICT))
        }
        Err(ServiceError::Domain(e)) => {
            let mut errors = Errors::default();
            errors.add("confirm", &refusal_words(&e));
            Ok(check(&errors, StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(e) => Err(PageError::from_service(e, Lang::En)),
    }
}
