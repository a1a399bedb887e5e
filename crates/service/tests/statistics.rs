//! The official tables against an independent count, on SQLite and PostgreSQL.
//!
//! A known case file is built through the service (referrals, Duty to Notify reports,
//! decisions, a decision referred back by its review, reconsiderations, disqualifications),
//! while this test keeps its own ledger of what it did, in its own words. Every cell of every
//! table is then checked against a count of that ledger, for a quarter, a year, and a quarter
//! "as at" a day when some decisions had not yet been made.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use nrm_access::{CaseOperation, Operation, OrganisationKind, Principal, Role};
use nrm_domain::event::{
    CompetentAuthority, DecisionRef, DisqualificationGround, NegativeReason, Outcome,
    ReviewOutcome, ReviewedDecision,
};
use nrm_domain::exploitation::ExploitationType;
use nrm_domain::geography::{Country, PoliceForceArea, UkNation};
use nrm_domain::ids::{CaseId, OrganisationId, UserId};
use nrm_domain::rules::Requester;
use nrm_domain::submission::{
    AgeAtExploitation, FirstResponderType, Gender, ImmigrationEnforcementCohort, Submission,
};
use nrm_domain::{Actor, Rulebook, fixtures};
use nrm_service::{Action, Cases, DecisionInput, DecisionKind, ServiceError, StatisticsRequest};
use nrm_stats::{Options, Period, Policy, Shown, Symbol};
use nrm_store::testing;
use uuid::Uuid;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn noon(d: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_hms_opt(12, 0, 0).unwrap_or_default())
}

const RESPONDER: u128 = 1;
const DECISION_MAKER: u128 = 2;
const SECOND_CASEWORKER: u128 = 3;
const ANALYST: u128 = 50;

fn principal(n: u128, authority: CompetentAuthority) -> Principal {
    let (organisation_kind, roles) = match (n, authority) {
        (RESPONDER, _) => (
            OrganisationKind::FirstResponderOrganisation,
            vec![Role::FirstResponder],
        ),
        (ANALYST, _) => (OrganisationKind::Analysts, vec![Role::Analyst]),
        (_, CompetentAuthority::LocalAuthorityPanel) => (
            OrganisationKind::LocalAuthority {
                pilot_site: Some("hull".to_owned()),
            },
            vec![Role::LocalAuthorityPanelMember],
        ),
        _ => (
            OrganisationKind::CompetentAuthority { authority },
            vec![Role::CaManager, Role::DecisionMaker],
        ),
    };
    Principal {
        actor: Actor {
            user: UserId(Uuid::from_u128(n)),
            organisation: OrganisationId(Uuid::from_u128(1000 + n)),
        },
        organisation_kind,
        roles,
        allocated_cases_only: false,
        token_scopes: None,
        authenticated_at: None,
    }
}

/// One grounds decision as the ledger knows it.
#[derive(Debug, Clone)]
struct Dec {
    cg: bool,
    on: NaiveDate,
    positive: bool,
    authority: &'static str,
    set_aside_on: Option<NaiveDate>,
}

#[derive(Debug, Clone)]
struct Rec {
    cg: bool,
    requested_on: NaiveDate,
    decided: Option<(NaiveDate, bool)>,
}

#[derive(Debug, Clone)]
struct Disq {
    on: NaiveDate,
    bad_faith: bool,
    authority: &'static str,
}

/// What the test did to one case, in the words the tables use.
#[derive(Debug, Clone)]
struct Case {
    dtn: bool,
    on: NaiveDate,
    age: &'static str,
    gender: &'static str,
    nationality: Vec<&'static str>,
    types: Vec<&'static str>,
    county_lines: bool,
    location: &'static str,
    area: Option<&'static str>,
    nation: Option<&'static str>,
    responder: &'static str,
    authority: &'static str,
    decisions: Vec<Dec>,
    reconsiderations: Vec<Rec>,
    disqualifications: Vec<Disq>,
}

const ADULT: &str = "Adult (18 or over)";
const CHILD: &str = "Child (17 or under)";
const AGE_UNKNOWN: &str = "Age not specified or unknown";
const SCA: &str = "Single Competent Authority";
const IECA: &str = "Immigration Enforcement Competent Authority";
const PILOT: &str = "Devolved child decision-making pilot panel";
const NOWHERE: &str = "Not specified or outside the UK";

struct Built {
    cases: Cases,
    ledger: Vec<Case>,
}

async fn decide(
    cases: &Cases,
    case: CaseId,
    who: u128,
    authority: CompetentAuthority,
    kind: DecisionKind,
    positive: bool,
    on: NaiveDate,
) {
    let facts = cases
        .case_facts(case, on)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("case facts"));
    let cap = nrm_access::authorise_case(&principal(who, authority), CaseOperation::Decide, &facts)
        .unwrap_or_else(|_| panic!("may decide"));
    let outcome = if positive {
        Outcome::Positive
    } else {
        Outcome::Negative
    };
    if authority == CompetentAuthority::LocalAuthorityPanel {
        // A pilot panel decides at a meeting (issue 13): convened, papers ready, all present.
        use nrm_domain::children::panel::ChecklistItem;
        use nrm_domain::rules::{PanelAgency, PilotPanelMember};
        let member = |n: u128, agency| PilotPanelMember {
            user: UserId(Uuid::from_u128(n)),
            agency,
            lead_social_worker: false,
        };
        let (meeting, _) = cases
            .convene_panel(
                &cap,
                None,
                nrm_service::ConveneInput {
                    meeting: None,
                    meets_on: on,
                    chair: member(9001, PanelAgency::ChildrensSocialCare),
                    members: vec![
                        member(9002, PanelAgency::Police),
                        member(9003, PanelAgency::Health),
                    ],
                },
                noon(on),
            )
            .await
            .unwrap_or_else(|e| panic!("convene on {on}: {e}"));
        cases
            .prepare_panel_papers(
                &cap,
                None,
                meeting,
                vec![
                    ChecklistItem::Referral,
                    ChecklistItem::ChildrensSocialCare,
                    ChecklistItem::Police,
                    ChecklistItem::Health,
                ],
                noon(on),
            )
            .await
            .unwrap_or_else(|e| panic!("papers on {on}: {e}"));
        cases
            .record_panel_decision(
                &cap,
                None,
                nrm_service::PanelDecisionInput {
                    meeting,
                    decision: match kind {
                        DecisionKind::ReasonableGrounds => DecisionRef::ReasonableGrounds,
                        DecisionKind::ConclusiveGrounds => DecisionRef::ConclusiveGrounds,
                    },
                    outcome,
                    negative_reason: (!positive).then_some(NegativeReason::InsufficientEvidence),
                    reasons: "Reasons given in full.".to_owned(),
                    present: nrm_service::Present::These(vec![
                        UserId(Uuid::from_u128(9001)),
                        UserId(Uuid::from_u128(9002)),
                        UserId(Uuid::from_u128(9003)),
                    ]),
                },
                noon(on),
            )
            .await
            .unwrap_or_else(|e| panic!("panel decides {kind:?} on {on}: {e}"));
        return;
    }
    cases
        .decide(
            &cap,
            None,
            kind,
            DecisionInput {
                outcome,
                decided_on: on,
                reasons: "Reasons given in full.".to_owned(),
                negative_reason: (!positive).then_some(NegativeReason::InsufficientEvidence),
            },
            noon(on),
        )
        .await
        .unwrap_or_else(|e| panic!("decide {kind:?} on {on}: {e}"));
}

async fn act(
    cases: &Cases,
    case: CaseId,
    who: u128,
    authority: CompetentAuthority,
    action: Action,
    on: NaiveDate,
) {
    let facts = cases
        .case_facts(case, on)
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("case facts"));
    let cap = nrm_access::authorise_case(&principal(who, authority), action.operation(), &facts)
        .unwrap_or_else(|_| panic!("may act"));
    cases
        .act(&cap, None, action, noon(on))
        .await
        .unwrap_or_else(|e| panic!("act on {on}: {e}"));
}

/// Builds 48 cases referred from 20 September 2024 every three days, varied on every
/// dimension the tables break down by.
async fn build(cases: Cases) -> Built {
    let rules = Rulebook::current();
    let mut ledger = Vec::new();
    for i in 0u32..48 {
        let on = date(2024, 9, 20) + Duration::days(3 * i64::from(i));
        let dtn = i % 6 == 5;
        let child = !dtn && i % 3 == 1;
        let pilot = child && i % 9 == 4;
        let ieca = !dtn && !child && i % 5 == 0;
        let (gender, gender_label) = [
            (Gender::Female, "Female"),
            (Gender::Male, "Male"),
            (Gender::Male, "Male"),
            (Gender::Other, "Other"),
            (Gender::NotKnown, "Not specified or unknown"),
        ][(i % 5) as usize];
        let nationality: Vec<&'static str> = match i % 7 {
            0 | 6 => vec!["AL"],
            1 => vec!["GB"],
            2 => vec!["VN"],
            3 => vec!["GB", "IE"],
            4 => vec![],
            _ => vec!["ER"],
        };
        use ExploitationType as T;
        let (types, type_labels): (Vec<T>, Vec<&'static str>) = match (i / 2) % 6 {
            0 => (vec![T::Labour], vec!["Labour"]),
            1 => (vec![T::Sexual], vec!["Sexual"]),
            2 => (vec![T::Criminal], vec!["Criminal"]),
            3 => (vec![T::Labour, T::Criminal], vec!["Labour", "Criminal"]),
            4 => (vec![T::DomesticServitude], vec!["Domestic servitude"]),
            _ => (vec![T::NotKnown], vec!["Not specified or unknown"]),
        };
        let county_lines = types.contains(&T::Criminal) && i % 4 == 0;
        let (area_code, area, nation) = [
            ("west-midlands", "West Midlands", "England"),
            ("south-wales", "South Wales", "Wales"),
            ("police-scotland", "Police Scotland", "Scotland"),
        ][(i % 3) as usize];
        let mut exploitation = fixtures::exploitation(types);
        exploitation.county_lines = county_lines;
        exploitation.period.started_on = Some(on - Duration::days(200));
        exploitation.period.ended_on = Some(on - Duration::days(10));
        let location = &mut exploitation.location;
        location.uk_nations.clear();
        location.police_force_areas.clear();
        location.overseas_countries.clear();
        let libya = Country::parse("LY").unwrap_or(Country::UNITED_KINGDOM);
        let pfa = PoliceForceArea::parse(area_code).unwrap_or_else(|| panic!("area"));
        let (location_label, area, nation) = match i % 4 {
            0 => {
                location.police_force_areas.push(pfa);
                ("UK only", Some(area), Some(nation))
            }
            1 => {
                location.overseas_countries.push(libya);
                ("Overseas only", None, None)
            }
            2 => {
                location.police_force_areas.push(pfa);
                location.overseas_countries.push(libya);
                ("UK and overseas", Some(area), Some(nation))
            }
            _ if i % 8 == 3 => {
                location.uk_nations.push(UkNation::Wales);
                ("UK only", None, Some("Wales"))
            }
            _ => ("Not specified", None, None),
        };
        let (mut responder, mut responder_label) = [
            (FirstResponderType::Police, "Police"),
            (FirstResponderType::LocalAuthority, "Local authority"),
            (FirstResponderType::GovernmentAgency, "Government agency"),
            (
                FirstResponderType::NonGovernmentalOrganisation,
                "Non-governmental organisation",
            ),
        ][((i / 3) % 4) as usize];
        if dtn && responder == FirstResponderType::NonGovernmentalOrganisation {
            (responder, responder_label) = (FirstResponderType::Police, "Police");
        }
        let profile = nrm_domain::submission::Profile {
            gender,
            nationalities: nationality
                .iter()
                .map(|c| Country::parse(c).unwrap_or(Country::UNITED_KINGDOM))
                .collect(),
        };
        let (submission, age) = if dtn {
            let mut d = fixtures::duty_to_notify();
            d.profile = profile;
            d.exploitation = exploitation;
            d.first_responder.organisation_type = responder;
            let age = if i % 4 == 1 {
                d.age_at_exploitation = AgeAtExploitation::NotKnown;
                AGE_UNKNOWN
            } else {
                d.age_at_exploitation = AgeAtExploitation::Adult;
                ADULT
            };
            (Submission::DutyToNotify(d), age)
        } else if child {
            let mut c = fixtures::child_referral();
            c.profile = profile;
            c.exploitation = exploitation;
            c.first_responder.organisation_type = responder;
            c.victim.date_of_birth = Some(on - Duration::days(14 * 365));
            c.local_authority_area = pilot.then(|| "hull".to_owned());
            // Each case a different person (the same one referred again would bring s62).
            fixtures::someone_else(&mut c.victim, i);
            (Submission::Child(c), CHILD)
        } else {
            let mut a = fixtures::adult_referral();
            a.profile = profile;
            a.exploitation = exploitation;
            a.first_responder.organisation_type = responder;
            a.consent.referral_consent_given_on = on;
            fixtures::someone_else(&mut a.victim, i);
            let age = match i % 4 {
                1 => {
                    a.victim.date_of_birth = None;
                    AGE_UNKNOWN
                }
                2 => {
                    // 18 at referral, 17 when the exploitation began 200 days before.
                    a.victim.date_of_birth = Some(on - Duration::days(18 * 365 + 10));
                    CHILD
                }
                _ => ADULT,
            };
            if ieca {
                a.immigration_cohort = Some(ImmigrationEnforcementCohort::ImmigrationDetention);
            }
            (Submission::Adult(a), age)
        };
        let operation = if dtn {
            Operation::SubmitDutyToNotify
        } else {
            Operation::SubmitReferral
        };
        let cap = nrm_access::authorise(&principal(RESPONDER, CompetentAuthority::Sca), operation)
            .unwrap_or_else(|_| panic!("may submit"));
        let submitted = cases
            .submit(&cap, submission, noon(on))
            .await
            .unwrap_or_else(|e| panic!("submit {i}: {e}"));
        let case = submitted.case_id;
        let (authority, authority_label) = if pilot {
            (CompetentAuthority::LocalAuthorityPanel, PILOT)
        } else if ieca {
            (CompetentAuthority::Ieca, IECA)
        } else {
            (CompetentAuthority::Sca, SCA)
        };
        let mut entry = Case {
            dtn,
            on,
            age,
            gender: gender_label,
            nationality,
            types: type_labels,
            county_lines,
            location: location_label,
            area,
            nation,
            responder: responder_label,
            authority: if dtn { "" } else { authority_label },
            decisions: Vec::new(),
            reconsiderations: Vec::new(),
            disqualifications: Vec::new(),
        };
        if dtn || i % 4 == 3 {
            ledger.push(entry);
            continue;
        }
        let rg = DecisionKind::ReasonableGrounds;
        let mut rg_on = on + Duration::days(5 + i64::from(i % 7));
        let negative = i % 5 == 2 && !pilot;
        decide(
            &cases,
            case,
            DECISION_MAKER,
            authority,
            rg,
            !negative,
            rg_on,
        )
        .await;
        entry.decisions.push(Dec {
            cg: false,
            on: rg_on,
            positive: !negative,
            authority: authority_label,
            set_aside_on: None,
        });
        let mut positive = !negative;
        if negative && i % 10 == 2 {
            // Reviewed, served, reconsidered: accepted (a new positive RG) or not.
            let review = |outcome| Action::ReviewNegativeDecision {
                decision: ReviewedDecision::ReasonableGrounds,
                outcome,
                panel: None,
                reviewer_agency: "Single Competent Authority".to_owned(),
                reviewed_on: rg_on + Duration::days(1),
                reasons: "Reviewed.".to_owned(),
            };
            let day = |n: i64| rg_on + Duration::days(n);
            act(
                &cases,
                case,
                SECOND_CASEWORKER,
                authority,
                review(ReviewOutcome::Agree),
                day(1),
            )
            .await;
            let serve = Action::Serve {
                decision: DecisionRef::ReasonableGrounds,
                served_on: day(2),
                legal_representative: false,
            };
            act(&cases, case, DECISION_MAKER, authority, serve, day(2)).await;
            let request = Action::RequestReconsideration {
                decision: DecisionRef::ReasonableGrounds,
                requested_on: day(7),
                requested_by: Requester::FirstResponder,
                facing_removal: false,
            };
            act(&cases, case, RESPONDER, authority, request, day(7)).await;
            let accepted = i != 32;
            let decided = Action::DecideReconsideration {
                accepted,
                decided_on: day(14),
                reasons: "Considered.".to_owned(),
            };
            act(&cases, case, DECISION_MAKER, authority, decided, day(14)).await;
            entry.reconsiderations.push(Rec {
                cg: false,
                requested_on: day(7),
                decided: Some((day(14), accepted)),
            });
            if accepted {
                let again = day(17);
                decide(&cases, case, DECISION_MAKER, authority, rg, true, again).await;
                entry.decisions.push(Dec {
                    cg: false,
                    on: again,
                    positive: true,
                    authority: authority_label,
                    set_aside_on: None,
                });
                rg_on = again;
                positive = true;
            }
        } else if negative {
            // Referred back by its review before it was served: never issued.
            let reviewed_on = rg_on + Duration::days(2);
            let review = Action::ReviewNegativeDecision {
                decision: ReviewedDecision::ReasonableGrounds,
                outcome: ReviewOutcome::ReferBack,
                panel: None,
                reviewer_agency: "Single Competent Authority".to_owned(),
                reviewed_on,
                reasons: "Look again.".to_owned(),
            };
            act(
                &cases,
                case,
                SECOND_CASEWORKER,
                authority,
                review,
                reviewed_on,
            )
            .await;
            if let Some(d) = entry.decisions.last_mut() {
                d.set_aside_on = Some(reviewed_on);
            }
            let again = reviewed_on + Duration::days(4);
            decide(&cases, case, DECISION_MAKER, authority, rg, true, again).await;
            entry.decisions.push(Dec {
                cg: false,
                on: again,
                positive: true,
                authority: authority_label,
                set_aside_on: None,
            });
            rg_on = again;
            positive = true;
        }
        if positive && !child && i % 8 == 1 {
            let on = rg_on + Duration::days(2);
            let bad_faith = i == 33;
            let action = Action::Disqualify {
                ground: if bad_faith {
                    DisqualificationGround::BadFaith
                } else {
                    DisqualificationGround::PublicOrder
                },
                decided_on: on,
                reasons: "Grounds recorded.".to_owned(),
            };
            act(&cases, case, DECISION_MAKER, authority, action, on).await;
            entry.disqualifications.push(Disq {
                on,
                bad_faith,
                authority: authority_label,
            });
        } else if positive && i % 3 == 0 {
            let cg_on = rules.conclusive_grounds_earliest(rg_on) + Duration::days(i64::from(i % 4));
            let cg_positive = i % 7 != 0;
            let cg = DecisionKind::ConclusiveGrounds;
            decide(
                &cases,
                case,
                DECISION_MAKER,
                authority,
                cg,
                cg_positive,
                cg_on,
            )
            .await;
            entry.decisions.push(Dec {
                cg: true,
                on: cg_on,
                positive: cg_positive,
                authority: authority_label,
                set_aside_on: None,
            });
        }
        ledger.push(entry);
    }
    Built { cases, ledger }
}

/// The independent count: what a cell of a table should hold, from the ledger.
struct Expect<'a> {
    ledger: &'a [Case],
    period: Period,
    as_at: NaiveDate,
}

impl Expect<'_> {
    fn in_period(&self, d: NaiveDate) -> bool {
        self.period.start() <= d && d <= self.period.end() && d <= self.as_at
    }

    fn cohort(&self, dtn: bool) -> Vec<&Case> {
        self.ledger
            .iter()
            .filter(|c| c.dtn == dtn && self.in_period(c.on))
            .collect()
    }

    /// Decisions standing as at the day (issued, not set aside by then).
    fn standing(&self, c: &Case, cg: bool) -> Vec<Dec> {
        c.decisions
            .iter()
            .filter(|d| {
                d.cg == cg && d.on <= self.as_at && d.set_aside_on.is_none_or(|s| s > self.as_at)
            })
            .cloned()
            .collect()
    }

    fn decisions(&self, cg: bool) -> Vec<(&Case, Dec, bool)> {
        let mut out = Vec::new();
        for c in self.ledger {
            if c.on > self.as_at {
                continue;
            }
            let standing = self.standing(c, cg);
            let first_on = standing.iter().map(|d| d.on).min();
            for d in standing {
                if self.in_period(d.on) {
                    let first = Some(d.on) == first_on;
                    out.push((c, d, first));
                }
            }
        }
        out
    }

    fn top(&self, cases: &[&Case]) -> Vec<&'static str> {
        let mut counts: BTreeMap<&'static str, u64> = BTreeMap::new();
        for c in cases {
            if let [one] = c.nationality.as_slice() {
                *counts.entry(one).or_default() += 1;
            }
        }
        let mut all: Vec<(&'static str, u64)> = counts.into_iter().collect();
        all.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        all.into_iter().take(10).map(|(c, _)| c).collect()
    }

    /// The row a case falls in for a breakdown (`top`: the nationalities with rows).
    fn row(&self, c: &Case, by: &str, top: &[&str], authority: &str) -> String {
        match by {
            "gender" => c.gender.to_owned(),
            "age" => c.age.to_owned(),
            "nationality" => match c.nationality.as_slice() {
                [] => "Not specified or unknown".to_owned(),
                [one] if top.contains(one) => (*one).to_owned(),
                [_] => "Other nationalities".to_owned(),
                _ => "Dual or multiple nationalities".to_owned(),
            },
            "exploitation" => match c.types.as_slice() {
                [one] => (*one).to_owned(),
                _ => "Combined (more than one type)".to_owned(),
            },
            "location" => c.location.to_owned(),
            "first_responder" => c.responder.to_owned(),
            "authority" => authority.to_owned(),
            "nation" => c.nation.unwrap_or(NOWHERE).to_owned(),
            "police_force_area" => c.area.unwrap_or(NOWHERE).to_owned(),
            other => panic!("no breakdown {other}"),
        }
    }

    fn percent(positive: u64, total: u64) -> Shown {
        if total == 0 {
            Shown::Symbol(Symbol::NotAvailable)
        } else {
            Shown::Percent(((positive as f64) * 100.0 / (total as f64)).round() as u64)
        }
    }

    fn median(mut days: Vec<i64>) -> Shown {
        days.sort_unstable();
        let n = days.len();
        match n {
            0 => Shown::Symbol(Symbol::NotAvailable),
            _ if n % 2 == 1 => Shown::Days(days[n / 2] as f64),
            _ => Shown::Days((days[n / 2 - 1] + days[n / 2]) as f64 / 2.0),
        }
    }

    /// Every cell of table `id`, by row label and column heading.
    fn cell(&self, id: &str, row: &str, column: &str) -> Shown {
        let count = |n: usize| Shown::Count(n as u64);
        let matches = |value: &str, wanted: &str| wanted == "Total" || value == wanted;
        if let Some((prefix, by)) = id
            .strip_prefix("referrals_by_")
            .map(|by| (false, by))
            .or_else(|| id.strip_prefix("duty_to_notify_by_").map(|by| (true, by)))
        {
            let cohort = self.cohort(prefix);
            let top = self.top(&cohort);
            return count(
                cohort
                    .iter()
                    .filter(|c| {
                        matches(&self.row(c, by, &top, c.authority), row) && matches(c.age, column)
                    })
                    .count(),
            );
        }
        if let Some(dtn) = match id {
            "referrals_types_reported" => Some(false),
            "duty_to_notify_types_reported" => Some(true),
            _ => None,
        } {
            return count(
                self.cohort(dtn)
                    .iter()
                    .filter(|c| {
                        let reported = if row == "of which: county lines" {
                            c.county_lines
                        } else {
                            c.types.contains(&row)
                        };
                        reported && matches(c.age, column)
                    })
                    .count(),
            );
        }
        for (prefix, cg) in [("rg_decisions_by_", false), ("cg_decisions_by_", true)] {
            if let Some(by) = id.strip_prefix(prefix) {
                let decisions = self.decisions(cg);
                let people: Vec<&Case> = decisions.iter().map(|(c, _, _)| *c).collect();
                let top = self.top(&people);
                let in_row: Vec<&(&Case, Dec, bool)> = decisions
                    .iter()
                    .filter(|(c, d, _)| matches(&self.row(c, by, &top, d.authority), row))
                    .collect();
                let positive = in_row.iter().filter(|(_, d, _)| d.positive).count();
                return match column {
                    "Positive" => count(positive),
                    "Negative" => count(in_row.len() - positive),
                    "Total" => count(in_row.len()),
                    "Positive (%)" => Self::percent(positive as u64, in_row.len() as u64),
                    other => panic!("column {other}"),
                };
            }
        }
        match id {
            "median_days_to_decision" => {
                let cg = column.starts_with("Conclusive");
                let days: Vec<i64> = self
                    .decisions(cg)
                    .into_iter()
                    .filter(|(_, d, first)| *first && matches(d.authority, row))
                    .map(|(c, d, _)| (d.on - c.on).num_days())
                    .collect();
                if column.ends_with("median days") {
                    Self::median(days)
                } else {
                    count(days.len())
                }
            }
            "pilot_panel_decisions" => {
                let cg = row == "Conclusive Grounds";
                let ds: Vec<Dec> = self
                    .decisions(cg)
                    .into_iter()
                    .filter(|(_, d, _)| d.authority == PILOT)
                    .map(|(_, d, _)| d)
                    .collect();
                let positive = ds.iter().filter(|d| d.positive).count();
                match column {
                    "Positive" => count(positive),
                    "Negative" => count(ds.len() - positive),
                    "Total" => count(ds.len()),
                    _ => Self::percent(positive as u64, ds.len() as u64),
                }
            }
            "reconsiderations" => {
                let recs: Vec<&Rec> = self
                    .ledger
                    .iter()
                    .flat_map(|c| c.reconsiderations.iter())
                    .filter(|r| match row {
                        "Reasonable Grounds" => !r.cg,
                        "Conclusive Grounds" => r.cg,
                        _ => true,
                    })
                    .collect();
                count(
                    recs.iter()
                        .filter(|r| match column {
                            "Requested" => self.in_period(r.requested_on),
                            "Accepted" => r.decided.is_some_and(|(on, a)| a && self.in_period(on)),
                            _ => r.decided.is_some_and(|(on, a)| !a && self.in_period(on)),
                        })
                        .count(),
                )
            }
            "disqualifications" => count(
                self.ledger
                    .iter()
                    .flat_map(|c| c.disqualifications.iter())
                    .filter(|d| {
                        self.in_period(d.on)
                            && matches(
                                if d.bad_faith {
                                    "Bad faith"
                                } else {
                                    "Public order"
                                },
                                row,
                            )
                            && matches(d.authority, column)
                    })
                    .count(),
            ),
            other => panic!("no independent count for table {other}"),
        }
    }
}

const TABLES: [&str; 28] = [
    "referrals_by_gender",
    "referrals_by_nationality",
    "referrals_by_exploitation",
    "referrals_types_reported",
    "referrals_by_location",
    "referrals_by_first_responder",
    "referrals_by_authority",
    "referrals_by_nation",
    "referrals_by_police_force_area",
    "duty_to_notify_by_gender",
    "duty_to_notify_by_nationality",
    "duty_to_notify_by_exploitation",
    "duty_to_notify_types_reported",
    "duty_to_notify_by_first_responder",
    "rg_decisions_by_authority",
    "rg_decisions_by_age",
    "rg_decisions_by_gender",
    "rg_decisions_by_nationality",
    "rg_decisions_by_exploitation",
    "cg_decisions_by_authority",
    "cg_decisions_by_age",
    "cg_decisions_by_gender",
    "cg_decisions_by_nationality",
    "cg_decisions_by_exploitation",
    "median_days_to_decision",
    "pilot_panel_decisions",
    "reconsiderations",
    "disqualifications",
];

async fn check(built: &Built, period: Period, as_at: NaiveDate) -> u64 {
    let analyst = nrm_access::authorise(
        &principal(ANALYST, CompetentAuthority::Sca),
        Operation::ReadStatistics,
    )
    .unwrap_or_else(|_| panic!("an analyst may read statistics"));
    let request = StatisticsRequest {
        period,
        as_at: Some(as_at),
        policy: Policy::NONE,
        options: Options::default(),
    };
    let publication = built
        .cases
        .statistics(&analyst, request, noon(date(2025, 7, 1)), |_| {})
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let ids: Vec<&str> = publication.tables.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, TABLES);
    let expect = Expect {
        ledger: &built.ledger,
        period,
        as_at,
    };
    let mut cells = 0;
    let mut nonzero = 0;
    for table in &publication.tables {
        for row in &table.rows {
            for (column, shown) in table.columns.iter().zip(&row.cells) {
                let wanted = expect.cell(&table.id, &row.label, &column.heading);
                assert_eq!(
                    *shown, wanted,
                    "{period} as at {as_at}: {} / {} / {}",
                    table.id, row.label, column.heading
                );
                cells += 1;
                if matches!(shown, Shown::Count(n) if *n > 0) {
                    nonzero += 1;
                }
            }
        }
    }
    assert!(
        nonzero > 50,
        "only {nonzero} non-zero cells: the case file is too thin"
    );
    cells
}

#[tokio::test]
async fn every_cell_of_every_table_matches_an_independent_count() {
    for store in testing::all().await {
        eprintln!("backend: {}", store.name);
        let cases = Cases::new(store.store.clone(), Rulebook::current());
        let built = build(cases).await;
        let q4 = Period::parse("2024Q4").unwrap_or(Period::Year(0));
        let year = Period::Year(2024);
        let mut cells = 0;
        cells += check(&built, q4, date(2025, 6, 30)).await;
        cells += check(&built, year, date(2025, 6, 30)).await;
        cells += check(
            &built,
            Period::parse("2025Q1").unwrap_or(year),
            date(2025, 6, 30),
        )
        .await;
        // As at 20 November 2024 the later referrals and decisions of the quarter are not
        // counted yet, and the decision referred back on 3 December still stands.
        cells += check(&built, q4, date(2024, 11, 20)).await;
        assert!(cells > 1000, "{cells}");

        // Produced tables are audited with their period.
        let audited = store
            .query_strings(
                "SELECT subject FROM audit_log WHERE action = 'statistics.tables' ORDER BY seq",
            )
            .await;
        assert_eq!(audited.len(), 4);
        assert!(
            audited[0].starts_with("statistics:2024Q4:as_at:2025-06-30"),
            "{audited:?}"
        );
        store.cleanup().await;
    }
}

#[tokio::test]
async fn only_analysts_may_read_the_statistics() {
    for role in Role::ALL {
        let mut p = principal(ANALYST, CompetentAuthority::Sca);
        p.roles = vec![role];
        let allowed = nrm_access::authorise(&p, Operation::ReadStatistics).is_ok();
        assert_eq!(allowed, role == Role::Analyst, "{role:?}");
    }
    // A capability for something else is refused by the service.
    let Some(store) = testing::all().await.into_iter().next() else {
        panic!("no store")
    };
    let cases = Cases::new(store.store.clone(), Rulebook::current());
    let other = nrm_access::authorise(
        &principal(RESPONDER, CompetentAuthority::Sca),
        Operation::SubmitReferral,
    )
    .unwrap_or_else(|_| panic!("may submit"));
    let request = StatisticsRequest {
        period: Period::Year(2024),
        as_at: None,
        policy: Policy::default(),
        options: Options::default(),
    };
    let refused = cases
        .statistics(&other, request, noon(date(2025, 1, 1)), |_| {})
        .await;
    assert!(matches!(refused, Err(ServiceError::NotFound)));
    store.cleanup().await;
}

/// Every case's fact as the events themselves fold it (no read model), as comparable text.
async fn folded_from_events(store: &nrm_store::Store, as_at: NaiveDate) -> Vec<String> {
    let mut facts = Vec::new();
    store
        .each_case_events(
            &nrm_stats::EVENT_KINDS,
            DateTime::<Utc>::MAX_UTC,
            |_, events| {
                if let Some(f) = nrm_stats::fold(events.iter().map(|(at, e)| (e, *at)), as_at) {
                    facts.push(format!("{f:?}"));
                }
            },
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    facts.sort();
    facts
}

async fn through_the_read_model(cases: &Cases, as_at: NaiveDate) -> Vec<String> {
    let analyst = nrm_access::authorise(
        &principal(ANALYST, CompetentAuthority::Sca),
        Operation::ReadStatistics,
    )
    .unwrap_or_else(|_| panic!("an analyst may read statistics"));
    let mut facts: Vec<String> = cases
        .statistics_fact_rows(&analyst, as_at, noon(date(2025, 7, 1)))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
        .iter()
        .map(|f| format!("{f:?}"))
        .collect();
    facts.sort();
    facts
}

/// The statistics read model (kept facts) gives what folding the events gives: on the first
/// request, which keeps a fact for every case; after new cases and new events, which make
/// some kept facts out of date; after a change of encoding; and as at an earlier day.
#[tokio::test]
async fn the_kept_facts_are_always_what_the_events_fold_to() {
    for store in testing::all().await {
        eprintln!("backend: {}", store.name);
        let cases = Cases::new(store.store.clone(), Rulebook::current());
        let built = build(cases).await;
        let cases = &built.cases;
        let later = date(2025, 6, 30);
        let rows = |sql: &'static str| {
            let store = &store;
            async move { store.query_i64(sql).await }
        };
        assert_eq!(rows("SELECT COUNT(*) FROM case_statistics").await, 0);
        let first = through_the_read_model(cases, later).await;
        assert_eq!(first, folded_from_events(&store.store, later).await);
        assert_eq!(first.len(), built.ledger.len());
        let all = rows("SELECT COUNT(*) FROM cases").await;
        assert_eq!(rows("SELECT COUNT(*) FROM case_statistics").await, all);

        // A new referral (no kept fact) and a decision on it (its case's kept fact, once
        // made, is out of date) are counted on the next request.
        let on = date(2025, 3, 3);
        let cap = nrm_access::authorise(
            &principal(RESPONDER, CompetentAuthority::Sca),
            Operation::SubmitReferral,
        )
        .unwrap_or_else(|_| panic!("may submit"));
        let mut referral = fixtures::adult_referral();
        fixtures::someone_else(&mut referral.victim, 500);
        let new = cases
            .submit(&cap, Submission::Adult(referral), noon(on))
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .case_id;
        let second = through_the_read_model(cases, later).await;
        assert_eq!(second.len(), first.len() + 1);
        assert_eq!(second, folded_from_events(&store.store, later).await);
        decide(
            cases,
            new,
            DECISION_MAKER,
            CompetentAuthority::Sca,
            DecisionKind::ReasonableGrounds,
            true,
            on + Duration::days(3),
        )
        .await;
        let third = through_the_read_model(cases, later).await;
        assert_ne!(third, second, "the new decision is counted");
        assert_eq!(third, folded_from_events(&store.store, later).await);
        assert_eq!(
            rows("SELECT COUNT(*) FROM case_statistics s JOIN cases c ON c.case_id = s.case_id AND c.version = s.version").await,
            all + 1,
            "every kept fact is current again"
        );

        // Facts kept in another encoding are folded again and rewritten.
        store
            .execute_raw("UPDATE case_statistics SET format = 1")
            .await;
        assert_eq!(
            through_the_read_model(cases, later).await,
            folded_from_events(&store.store, later).await
        );
        assert_eq!(
            rows("SELECT COUNT(*) FROM case_statistics WHERE format = 1").await,
            0
        );

        // As at an earlier day, cases with later events are folded up to that day.
        let earlier = date(2024, 11, 20);
        assert_eq!(
            through_the_read_model(cases, earlier).await,
            folded_from_events(&store.store, earlier).await
        );
        store.cleanup().await;
    }
}

/// The daily refresh keeps a fact for every case (so the next request folds nothing), once
/// a day across instances, and is audited.
#[tokio::test]
async fn the_daily_refresh_keeps_every_case_fact_once_a_day() {
    for store in testing::all().await {
        eprintln!("backend: {}", store.name);
        let cases = Cases::new(store.store.clone(), Rulebook::current());
        let built = build(cases).await;
        let cases = &built.cases;
        let now = noon(date(2025, 7, 1));
        assert_eq!(
            store
                .query_i64("SELECT COUNT(*) FROM case_statistics")
                .await,
            0
        );
        let ran = cases
            .periodic_statistics_refresh("instance-a", now)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(ran);
        let all = store.query_i64("SELECT COUNT(*) FROM cases").await;
        assert_eq!(
            store
                .query_i64("SELECT COUNT(*) FROM case_statistics s JOIN cases c ON c.case_id = s.case_id AND c.version = s.version")
                .await,
            all
        );
        // Another instance the same day does not run it; the next day one does.
        let again = cases
            .periodic_statistics_refresh("instance-b", now + Duration::hours(3))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!again);
        let tomorrow = cases
            .periodic_statistics_refresh("instance-b", now + Duration::days(1))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(tomorrow);
        assert_eq!(
            store
                .query_i64("SELECT COUNT(*) FROM audit_log WHERE action = 'statistics.refresh'")
                .await,
            2
        );
        // What it kept is what the events fold to.
        let later = date(2025, 6, 30);
        assert_eq!(
            through_the_read_model(cases, later).await,
            folded_from_events(&store.store, later).await
        );
        // It counts every fact, whether folded now or read as kept (counted in the database),
        // and after a case's kept fact goes out of date.
        let facts = built.ledger.len() as u64;
        for _ in 0..2 {
            let counted = cases
                .refresh_statistics(now + Duration::days(2))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(counted, facts, "{}", store.name);
        }
        store
            .execute_raw("UPDATE case_statistics SET version = version - 1 WHERE version > 1")
            .await;
        let counted = cases
            .refresh_statistics(now + Duration::days(2))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(counted, facts, "{}: after folding again", store.name);
        store.cleanup().await;
    }
}
