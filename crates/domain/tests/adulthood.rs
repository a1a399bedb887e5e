//! Issue 13 item 5: a child's case whose person turns 18 during it moves to the adult route's
//! rules by the dated rule of the birthday (`rulebook/panels.json`, `case_on_turning_18`):
//! dates either side of the birthday and of the pilot's start.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use nrm_domain::children::adulthood::{AdulthoodCommand, consent_question_open, rule_on};
use nrm_domain::command::{Command, Nations, Submit, decide};
use nrm_domain::event::{CaseEvent, CompetentAuthority, Recipient, RerouteReason};
use nrm_domain::fixtures::child_referral;
use nrm_domain::ids::{OrganisationId, SubjectId, UserId, VaultRecordId};
use nrm_domain::submission::{AgeGroup, Submission};
use nrm_domain::{Actor, CaseState, Rulebook};
use uuid::Uuid;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn noon(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(12, 0, 0).unwrap_or_default())
}

const FRO: Actor = Actor {
    user: UserId(Uuid::from_u128(1)),
    organisation: OrganisationId(Uuid::from_u128(100)),
};
const SYSTEM: Actor = Actor {
    user: UserId(Uuid::from_u128(0)),
    organisation: OrganisationId(Uuid::from_u128(0)),
};
const SCA: Actor = Actor {
    user: UserId(Uuid::from_u128(21)),
    organisation: OrganisationId(Uuid::from_u128(400)),
};

/// A child referred on `on`, born on `born`, living in `area`.
fn child(on: NaiveDate, born: NaiveDate, area: Option<&str>) -> CaseState {
    let mut child = child_referral();
    child.local_authority_area = area.map(str::to_owned);
    child.victim.date_of_birth = Some(born);
    child.exploitation.period.started_on = on.checked_sub_days(chrono::Days::new(30));
    child.exploitation.period.ended_on = Some(on);
    let events = decide(
        &CaseState::Empty,
        &Command::Submit(Box::new(Submit {
            submission: Submission::Child(child),
            reference_random: 7,
            subject: SubjectId(Uuid::from_u128(5)),
            personal_details: VaultRecordId(Uuid::from_u128(6)),
            nations: Nations::default(),
        })),
        FRO,
        &Rulebook::current(),
        noon(on),
    )
    .unwrap_or_else(|e| panic!("refused: {e:?}"));
    CaseState::from_events(&events)
}

fn review(state: &CaseState, turns_18_on: NaiveDate, today: NaiveDate) -> Vec<CaseEvent> {
    decide(
        state,
        &Command::Adulthood(AdulthoodCommand::ReviewAge { turns_18_on }),
        SYSTEM,
        &Rulebook::current(),
        noon(today),
    )
    .unwrap_or_else(|e| panic!("refused: {e:?}"))
}

fn fold(state: CaseState, events: &[CaseEvent]) -> CaseState {
    events.iter().fold(state, CaseState::evolve)
}

fn referral(state: &CaseState) -> &nrm_domain::case::Referral {
    match state {
        CaseState::Referral(r) => r,
        other => panic!("not a referral: {other:?}"),
    }
}

#[test]
fn the_rule_of_the_birthday_hands_a_pilot_case_to_the_sca_only_from_the_pilots_start() {
    let before = rule_on(date(2021, 5, 31)).map(|r| r.value);
    let after = rule_on(date(2021, 6, 1)).map(|r| r.value);
    assert!(before.is_some_and(|r| !r.pilot_case_to_sca && r.offer_consent_to_support));
    assert!(after.is_some_and(|r| r.pilot_case_to_sca && r.offer_consent_to_support));
    assert!(rule_on(date(2009, 3, 31)).is_none());
    assert!(
        rule_on(date(2021, 6, 1))
            .is_some_and(|r| r.certainty == nrm_domain::rules::Certainty::Uncertain)
    );
}

#[test]
fn a_pilot_case_whose_child_turns_18_before_its_decisions_moves_to_the_sca_on_the_birthday() {
    // Referred in Hull more than 100 days before the 18th birthday: a pilot panel's case.
    let referred = date(2024, 1, 10);
    let birthday = date(2024, 6, 1);
    let state = child(referred, date(2006, 6, 1), Some("hull"));
    assert_eq!(
        referral(&state).competent_authority,
        CompetentAuthority::LocalAuthorityPanel
    );

    // The day before: nothing (and nothing refused: the sweep asks every day).
    assert!(review(&state, birthday, date(2024, 5, 31)).is_empty());

    // On the birthday: the case turns adult, consent to support is offered, the panel hands
    // its decisions to the SCA.
    let events = review(&state, birthday, birthday);
    let [
        CaseEvent::TurnedEighteen(turned),
        CaseEvent::RouteChanged {
            from,
            to,
            pilot_site,
            reason,
            changed_on,
        },
    ] = events.as_slice()
    else {
        panic!("unexpected events: {events:?}");
    };
    assert_eq!(turned.on, birthday);
    assert!(turned.consent_to_support_offered);
    assert!(turned.notified.contains(&Recipient::PotentialVictim));
    assert!(turned.notified.contains(&Recipient::LocalAuthority));
    assert!(turned.rule.contains("pilot"));
    assert_eq!(
        (*from, *to, pilot_site.clone(), *reason, *changed_on),
        (
            CompetentAuthority::LocalAuthorityPanel,
            CompetentAuthority::Sca,
            None,
            RerouteReason::TurnedEighteen,
            birthday
        )
    );
    let state = fold(state, &events);
    let r = referral(&state);
    assert_eq!(r.age_group, AgeGroup::Adult);
    assert_eq!(r.competent_authority, CompetentAuthority::Sca);
    assert_eq!(r.turned_18_on, Some(birthday));
    assert_eq!(r.consent_to_support_offered_on, Some(birthday));

    // Idempotent: the next day's review does nothing.
    assert!(review(&state, birthday, date(2024, 6, 2)).is_empty());

    // The young adult answers the consent-to-support question, once.
    let answer = |state: &CaseState, on: NaiveDate, today: NaiveDate| {
        decide(
            state,
            &Command::Adulthood(AdulthoodCommand::AnswerConsentToSupport { on, consents: true }),
            SCA,
            &Rulebook::current(),
            noon(today),
        )
    };
    assert!(answer(&state, date(2024, 5, 31), date(2024, 6, 3)).is_err());
    let events = answer(&state, date(2024, 6, 3), date(2024, 6, 3))
        .unwrap_or_else(|e| panic!("refused: {e:?}"));
    let state = fold(state, &events);
    assert!(referral(&state).support_consent);
    assert!(answer(&state, date(2024, 6, 3), date(2024, 6, 3)).is_err());
}

#[test]
fn a_central_childs_case_turns_adult_without_a_route_change_and_before_the_pilot_too() {
    // Not in a pilot area: the SCA decides already; turning 18 keeps it there.
    let referred = date(2020, 1, 10);
    let birthday = date(2020, 3, 1);
    let state = child(referred, date(2002, 3, 1), None);
    assert_eq!(
        referral(&state).competent_authority,
        CompetentAuthority::Sca
    );
    assert!(review(&state, birthday, date(2020, 2, 29)).is_empty());
    let events = review(&state, birthday, date(2020, 3, 4));
    let [CaseEvent::TurnedEighteen(turned)] = events.as_slice() else {
        panic!("unexpected events: {events:?}");
    };
    // Seen late (no sweep on the day): the day it was seen.
    assert_eq!(turned.on, date(2020, 3, 4));
    assert!(turned.consent_to_support_offered);
    let state = fold(state, &events);
    assert_eq!(referral(&state).age_group, AgeGroup::Adult);
    assert_eq!(
        referral(&state).competent_authority,
        CompetentAuthority::Sca
    );
}

#[test]
fn consent_to_support_is_not_asked_of_a_child() {
    let state = child(date(2024, 1, 10), date(2010, 1, 1), None);
    assert!(!consent_question_open(referral(&state)));
    let refused = decide(
        &state,
        &Command::Adulthood(AdulthoodCommand::AnswerConsentToSupport {
            on: date(2024, 1, 11),
            consents: true,
        }),
        SCA,
        &Rulebook::current(),
        noon(date(2024, 1, 11)),
    );
    assert!(matches!(
        refused,
        Err(nrm_domain::DomainError::Refused {
            code: "consent-not-offered",
            ..
        })
    ));
}

fn answer(
    state: &CaseState,
    on: NaiveDate,
    consents: bool,
    today: NaiveDate,
) -> Result<Vec<CaseEvent>, nrm_domain::DomainError> {
    decide(
        state,
        &Command::Adulthood(AdulthoodCommand::AnswerConsentToSupport { on, consents }),
        SCA,
        &Rulebook::current(),
        noon(today),
    )
}

/// A child's case (not a pilot's) whose person turned 18 on `birthday`, seen that day.
fn turned_18(birthday: NaiveDate) -> CaseState {
    let state = child(date(2024, 1, 10), date(2006, 6, 1), None);
    let events = review(&state, birthday, birthday);
    fold(state, &events)
}

#[test]
fn the_young_adult_answers_the_consent_question_once_between_the_offer_and_today() {
    let birthday = date(2024, 6, 1);
    let state = turned_18(birthday);
    assert_eq!(
        referral(&state).consent_to_support_offered_on,
        Some(birthday)
    );
    assert!(!referral(&state).support_consent);
    assert!(consent_question_open(referral(&state)));

    // Before the question was offered, or after today: refused with the field named.
    for on in [date(2024, 5, 31), date(2024, 6, 11)] {
        match answer(&state, on, true, date(2024, 6, 10)) {
            Err(nrm_domain::DomainError::Invalid(problems)) => {
                assert_eq!(problems[0].field, "/on");
            }
            other => panic!("expected a field problem, got {other:?}"),
        }
    }

    // Yes: the case now has consent to support, recorded with who and when.
    let events = answer(&state, date(2024, 6, 3), true, date(2024, 6, 10))
        .unwrap_or_else(|e| panic!("refused: {e:?}"));
    let [CaseEvent::ConsentToSupportAnswered(answered)] = events.as_slice() else {
        panic!("unexpected events: {events:?}");
    };
    assert_eq!((answered.on, answered.consents), (date(2024, 6, 3), true));
    assert_eq!(answered.recorded_by, SCA);
    let after = fold(state, &events);
    assert!(referral(&after).support_consent);
    assert_eq!(
        referral(&after).consent_to_support_answered_on,
        Some(date(2024, 6, 3))
    );
    assert!(!consent_question_open(referral(&after)));

    // Answered: a second answer is refused in words.
    assert!(matches!(
        answer(&after, date(2024, 6, 4), false, date(2024, 6, 10)),
        Err(nrm_domain::DomainError::Refused {
            code: "consent-answered",
            ..
        })
    ));
}

#[test]
fn a_no_records_the_answer_and_leaves_the_case_without_consent() {
    let birthday = date(2024, 6, 1);
    let state = turned_18(birthday);
    let events =
        answer(&state, birthday, false, birthday).unwrap_or_else(|e| panic!("refused: {e:?}"));
    assert_eq!(events.len(), 1);
    let after = fold(state, &events);
    assert!(!referral(&after).support_consent);
    assert_eq!(
        referral(&after).consent_to_support_answered_on,
        Some(birthday)
    );
    // The age group stays adult; nothing else changes.
    assert_eq!(referral(&after).age_group, AgeGroup::Adult);
}
