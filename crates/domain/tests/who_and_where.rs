//! Issue #10, items 1, 6, 7 and 9: who may refer and who may report under the duty to notify
//! (dated, by nation), the statutory support periods of Scotland and Northern Ireland, the
//! pilot authorities' names as they were, and deadlines counted on the calendar of whoever
//! must act by them. One row per rule with its source, on dates either side of each change.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use nrm_domain::calendar::Jurisdiction;
use nrm_domain::command::{Command, LifecycleCommand, Nations, Submit, decide};
use nrm_domain::event::{CaseEvent, InformationSource};
use nrm_domain::exploitation::ExploitationPeriod;
use nrm_domain::fixtures::adult_referral;
use nrm_domain::geography::UkNation::{self, England, NorthernIreland, Scotland, Wales};
use nrm_domain::ids::{OrganisationId, SubjectId, UserId, VaultRecordId};
use nrm_domain::rules::{Rulebook, SubmittingOrganisation};
use nrm_domain::submission::Submission;
use nrm_domain::{Actor, CaseState};
use proptest::prelude::*;
use uuid::Uuid;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

fn noon(day: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day.and_hms_opt(12, 0, 0).unwrap_or_default())
}

type Designation = Option<(NaiveDate, Option<NaiveDate>)>;
/// (source, nation, list entry, individual designation, date, may refer).
type ReferrerRow = (
    &'static str,
    UkNation,
    Option<&'static str>,
    Designation,
    NaiveDate,
    bool,
);
/// (source, nation, RG, CG, last day of support and whether the CG ended it).
type SupportRow = (
    &'static str,
    UkNation,
    NaiveDate,
    Option<NaiveDate>,
    Option<(NaiveDate, bool)>,
);

/// No individual designation.
const NO: Designation = None;

#[test]
fn only_an_organisation_on_its_nations_dated_list_or_designated_may_refer() {
    let individually = Some((date(2024, 1, 1), Some(date(2024, 12, 31))));
    let rows: &[ReferrerRow] = &[
        (
            "Youth Work Alliance, NI FRO from 1 Jul 2023",
            NorthernIreland,
            Some("youth-work-alliance"),
            NO,
            date(2023, 6, 30),
            false,
        ),
        (
            "Youth Work Alliance, NI FRO from 1 Jul 2023",
            NorthernIreland,
            Some("youth-work-alliance"),
            NO,
            date(2023, 7, 1),
            true,
        ),
        (
            "Youth Work Alliance is on Northern Ireland's list only",
            England,
            Some("youth-work-alliance"),
            NO,
            date(2024, 1, 1),
            false,
        ),
        (
            "UK Border Agency until 31 Mar 2013",
            England,
            Some("uk-border-agency"),
            NO,
            date(2013, 3, 31),
            true,
        ),
        (
            "UK Border Agency until 31 Mar 2013",
            England,
            Some("uk-border-agency"),
            NO,
            date(2013, 4, 1),
            false,
        ),
        (
            "UK Visas and Immigration from 1 Apr 2013",
            Scotland,
            Some("ukvi"),
            NO,
            date(2013, 3, 31),
            false,
        ),
        (
            "UK Visas and Immigration from 1 Apr 2013",
            Scotland,
            Some("ukvi"),
            NO,
            date(2013, 4, 1),
            true,
        ),
        (
            "National Crime Agency from 7 Oct 2013 (E&W list)",
            England,
            Some("nca"),
            NO,
            date(2013, 10, 6),
            false,
        ),
        (
            "National Crime Agency from 7 Oct 2013 (E&W list)",
            Wales,
            Some("nca"),
            NO,
            date(2013, 10, 7),
            true,
        ),
        (
            "Police Scotland from 1 Apr 2013, Scotland's list",
            Scotland,
            Some("police-scotland"),
            NO,
            date(2013, 3, 31),
            false,
        ),
        (
            "Police Scotland from 1 Apr 2013, Scotland's list",
            Scotland,
            Some("police-scotland"),
            NO,
            date(2013, 4, 1),
            true,
        ),
        (
            "Police Scotland is not an FRO in England",
            England,
            Some("police-scotland"),
            NO,
            date(2020, 1, 1),
            false,
        ),
        (
            "Salvation Army removed from the Scotland/NI list",
            Scotland,
            Some("salvation-army-scotland"),
            NO,
            date(2019, 4, 28),
            true,
        ),
        (
            "Salvation Army removed from the Scotland/NI list",
            Scotland,
            Some("salvation-army-scotland"),
            NO,
            date(2019, 4, 29),
            false,
        ),
        (
            "Salvation Army on the E&W list from Jul 2011",
            England,
            Some("salvation-army"),
            NO,
            date(2011, 6, 30),
            false,
        ),
        (
            "Salvation Army on the E&W list from Jul 2011",
            England,
            Some("salvation-army"),
            NO,
            date(2011, 7, 1),
            true,
        ),
        (
            "Health and Social Care Trusts: Northern Ireland only",
            Wales,
            Some("hsc-trusts"),
            NO,
            date(2020, 1, 1),
            false,
        ),
        (
            "Health and Social Care Trusts: Northern Ireland only",
            NorthernIreland,
            Some("hsc-trusts"),
            NO,
            date(2020, 1, 1),
            true,
        ),
        (
            "Not on any list",
            England,
            Some("a-charity"),
            NO,
            date(2020, 1, 1),
            false,
        ),
        (
            "Individual designation, 2024",
            England,
            None,
            individually,
            date(2023, 12, 31),
            false,
        ),
        (
            "Individual designation, 2024",
            England,
            None,
            individually,
            date(2024, 1, 1),
            true,
        ),
        (
            "Individual designation, 2024",
            England,
            None,
            individually,
            date(2024, 12, 31),
            true,
        ),
        (
            "Individual designation, 2024",
            England,
            None,
            individually,
            date(2025, 1, 1),
            false,
        ),
    ];
    let rules = Rulebook::current();
    for (source, nation, code, designated, on, allowed) in rows {
        let org = SubmittingOrganisation {
            nation: Some(*nation),
            list_code: *code,
            designated: *designated,
        };
        assert_eq!(
            rules.may_refer(&org, *on),
            *allowed,
            "{source}: {nation:?} {code:?} on {on}"
        );
        let checked = rules.check_referrer(&org, *on);
        assert_eq!(checked.is_ok(), *allowed, "{source}");
        if let Err(e) = checked {
            assert_eq!(e.code(), "not-a-first-responder-organisation");
        }
    }
}

#[test]
fn the_duty_to_notify_falls_on_the_specified_authorities_of_england_and_wales_from_november_2015() {
    let rows: &[(&str, UkNation, &str, NaiveDate, bool)] = &[
        (
            "MSA 2015 s52 in force 1 Nov 2015: police",
            England,
            "police",
            date(2015, 10, 31),
            false,
        ),
        (
            "MSA 2015 s52 in force 1 Nov 2015: police",
            England,
            "police",
            date(2015, 11, 1),
            true,
        ),
        (
            "s52(5): county and county borough councils in Wales",
            Wales,
            "local-authority",
            date(2016, 1, 4),
            true,
        ),
        (
            "s52(5): the Gangmasters (and Labour Abuse) Authority",
            England,
            "glaa",
            date(2020, 1, 1),
            true,
        ),
        (
            "s52(5): the National Crime Agency",
            Wales,
            "nca",
            date(2020, 1, 1),
            true,
        ),
        (
            "UKVI, Border Force, Immigration Enforcement comply as policy",
            England,
            "border-force",
            date(2020, 1, 1),
            true,
        ),
        (
            "An NGO First Responder is not a specified authority",
            England,
            "salvation-army",
            date(2020, 1, 1),
            false,
        ),
        (
            "Scotland: s38 regulations not confirmed in force",
            Scotland,
            "police-scotland",
            date(2020, 1, 1),
            false,
        ),
        (
            "Scotland: s38 regulations not confirmed in force",
            Scotland,
            "local-authority",
            date(2024, 1, 1),
            false,
        ),
        (
            "Northern Ireland has no duty to notify",
            NorthernIreland,
            "psni",
            date(2024, 1, 1),
            false,
        ),
    ];
    let rules = Rulebook::current();
    for (source, nation, code, on, allowed) in rows {
        let org = SubmittingOrganisation {
            nation: Some(*nation),
            list_code: Some(code),
            designated: None,
        };
        let checked = rules.check_duty_to_notify_reporter(&org, *on);
        assert_eq!(
            checked.is_ok(),
            *allowed,
            "{source}: {nation:?} {code} on {on}"
        );
        if let Err(e) = checked {
            assert_eq!(e.code(), "duty-to-notify-not-for-this-organisation");
        }
    }
    // The page offering the report can say who may and who may not.
    let said = rules.duty_to_notify_who_may(date(2024, 1, 1));
    assert_eq!(said.len(), 4);
    assert!(said[0].1.contains("Police forces") && said[0].1.contains("cannot"));
    assert!(said[3].1.contains("no organisation"));
    assert!(
        rules
            .duty_to_notify_who_may(date(2015, 1, 1))
            .iter()
            .all(|(_, text)| text.contains("no organisation"))
    );
}

#[test]
fn scotland_supports_for_90_days_and_northern_ireland_for_45_each_to_the_cg_if_earlier() {
    let rules = Rulebook::current();
    // (source, nation, RG, CG, last day of support, ended by the CG)
    let rows: &[SupportRow] = &[
        (
            "HTE(S)A 2015 s9: not before 1 Apr 2018",
            Scotland,
            date(2018, 3, 31),
            None,
            None,
        ),
        (
            "HTE(S)A 2015 s9: 90 days from a positive RG",
            Scotland,
            date(2018, 4, 1),
            None,
            Some((date(2018, 6, 29), false)),
        ),
        (
            "HTE(S)A 2015 s9: or until the CG if earlier",
            Scotland,
            date(2019, 1, 10),
            Some(date(2019, 2, 1)),
            Some((date(2019, 2, 1), true)),
        ),
        (
            "HTE(S)A 2015 s9: a CG after the 90 days does not extend it",
            Scotland,
            date(2019, 1, 10),
            Some(date(2019, 6, 1)),
            Some((date(2019, 4, 9), false)),
        ),
        (
            "NI: 45 days from a positive RG",
            NorthernIreland,
            date(2020, 1, 1),
            None,
            Some((date(2020, 2, 14), false)),
        ),
        (
            "NI: or until the CG if earlier",
            NorthernIreland,
            date(2020, 1, 1),
            Some(date(2020, 1, 20)),
            Some((date(2020, 1, 20), true)),
        ),
        (
            "England: no fixed statutory period",
            England,
            date(2020, 1, 1),
            None,
            None,
        ),
        (
            "Wales: no fixed statutory period",
            Wales,
            date(2020, 1, 1),
            None,
            None,
        ),
    ];
    for (source, nation, rg, cg, expected) in rows {
        let got = rules
            .statutory_support_period(*nation, *rg, *cg)
            .map(|end| (end.last_day, end.ended_by_conclusive_grounds));
        assert_eq!(got, *expected, "{source}");
    }
}

#[test]
fn pilot_authorities_carry_the_names_they_had_on_each_date() {
    let rules = Rulebook::current();
    let site = |on| {
        rules
            .pilot_site("north-yorkshire", on)
            .map(|s| s.name_on(on).to_owned())
    };
    // The North Yorkshire (Structural Changes) Order 2022: unitary council from 1 April 2023.
    assert_eq!(
        site(date(2023, 3, 31)).as_deref(),
        Some("North Yorkshire County Council")
    );
    assert_eq!(
        site(date(2023, 4, 1)).as_deref(),
        Some("North Yorkshire Council")
    );
    assert_eq!(
        site(date(2021, 5, 31)),
        None,
        "the pilot began in June 2021"
    );
}

fn responder() -> Actor {
    Actor {
        user: UserId(Uuid::from_u128(1)),
        organisation: OrganisationId(Uuid::from_u128(2)),
    }
}

fn caseworker() -> Actor {
    Actor {
        user: UserId(Uuid::from_u128(3)),
        organisation: OrganisationId(Uuid::from_u128(4)),
    }
}

/// An adult referred on `on` by an organisation in `referrer`, the person being in `person`.
fn referred(on: NaiveDate, referrer: Option<UkNation>, person: Option<UkNation>) -> CaseState {
    let mut r = adult_referral();
    r.consent.referral_consent_given_on = on;
    r.exploitation.period = ExploitationPeriod {
        started_on: Some(on - Duration::days(30)),
        ended_on: None,
        ongoing: true,
    };
    let submit = Command::Submit(Box::new(Submit {
        submission: Submission::Adult(r),
        reference_random: 7,
        subject: SubjectId::from_uuid(Uuid::from_u128(5)),
        personal_details: VaultRecordId::from_uuid(Uuid::from_u128(6)),
        nations: Nations {
            referring_organisation: referrer,
            person,
        },
    }));
    let events = decide(
        &CaseState::Empty,
        &submit,
        responder(),
        &Rulebook::current(),
        noon(on),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    CaseState::from_events(&events)
}

/// The information request's due date and the calendar that counted it.
fn asked(
    state: &CaseState,
    from: InformationSource,
    on: NaiveDate,
) -> (NaiveDate, Option<Jurisdiction>) {
    let command = Command::Lifecycle(LifecycleCommand::RequestInformation {
        request: Uuid::from_u128(9),
        from,
    });
    let events = decide(
        state,
        &command,
        caseworker(),
        &Rulebook::current(),
        noon(on),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    match events.first() {
        Some(CaseEvent::InformationRequested {
            due_on, calendar, ..
        }) => (*due_on, *calendar),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_deadline_is_counted_on_the_calendar_of_whoever_must_act_by_it() {
    // Monday 25 November 2024: St Andrew's Day (Saturday 30th) is observed in Scotland on
    // Monday 2 December, so ten working days end a day later there.
    let on = date(2024, 11, 25);
    let in_scotland = referred(on, Some(Scotland), Some(NorthernIreland));
    // (source, who replies, due, calendar)
    let rows: &[(&str, InformationSource, NaiveDate, Jurisdiction)] = &[
        (
            "A First Responder replies on its organisation's nation's calendar",
            InformationSource::FirstResponder,
            date(2024, 12, 10),
            Jurisdiction::Scotland,
        ),
        (
            "A support provider replies where the person is",
            InformationSource::SupportProvider,
            date(2024, 12, 9),
            Jurisdiction::NorthernIreland,
        ),
        (
            "The police force is not recorded: the deciding authority's calendar",
            InformationSource::Police,
            date(2024, 12, 9),
            Jurisdiction::EnglandAndWales,
        ),
    ];
    for (source, from, due, calendar) in rows {
        assert_eq!(
            asked(&in_scotland, *from, on),
            (*due, Some(*calendar)),
            "{source}"
        );
    }
    // Nothing recorded about where the referrer is: the deciding authority's calendar.
    let unknown = referred(on, None, None);
    assert_eq!(
        asked(&unknown, InformationSource::FirstResponder, on),
        (date(2024, 12, 9), Some(Jurisdiction::EnglandAndWales))
    );
    // The RG is decided by the SCA: counted on its calendar, which the referral records.
    match &in_scotland {
        CaseState::Referral(r) => {
            assert_eq!(r.reasonable_grounds_calendar, Jurisdiction::EnglandAndWales);
            assert_eq!(r.referring_organisation_nation, Some(Scotland));
            assert_eq!(r.person_nation, Some(NorthernIreland));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_referral_from_before_calendars_were_recorded_reads_as_england_and_wales() {
    let state = referred(date(2024, 3, 4), Some(Scotland), None);
    let CaseState::Referral(r) = &state else {
        panic!("not a referral")
    };
    // An event written before the field existed (as stored: without it).
    let mut json = serde_json::to_value(CaseEvent::ReferralSubmitted(
        match decide(
            &CaseState::Empty,
            &Command::Submit(Box::new(Submit {
                submission: Submission::Adult(adult_referral()),
                reference_random: 1,
                subject: r.subject,
                personal_details: VaultRecordId::from_uuid(Uuid::from_u128(6)),
                nations: Nations::default(),
            })),
            responder(),
            &Rulebook::current(),
            noon(date(2024, 11, 1)),
        )
        .unwrap_or_else(|e| panic!("{e}"))
        .remove(0)
        {
            CaseEvent::ReferralSubmitted(e) => e,
            other => panic!("{other:?}"),
        },
    ))
    .unwrap_or_default();
    if let Some(data) = json.get_mut("data").and_then(|d| d.as_object_mut()) {
        data.remove("reasonable_grounds_calendar");
        assert!(
            !data.contains_key("referring_organisation_nation"),
            "absent when unknown"
        );
    }
    let old: CaseEvent = serde_json::from_value(json).unwrap_or_else(|e| panic!("{e}"));
    let CaseState::Referral(r) = CaseState::from_events([&old]) else {
        panic!("not a referral")
    };
    assert_eq!(r.reasonable_grounds_calendar, Jurisdiction::EnglandAndWales);
}

fn nation() -> impl Strategy<Value = Option<UkNation>> {
    prop_oneof![
        Just(None),
        Just(Some(England)),
        Just(Some(Wales)),
        Just(Some(Scotland)),
        Just(Some(NorthernIreland)),
    ]
}

fn source() -> impl Strategy<Value = InformationSource> {
    prop_oneof![
        Just(InformationSource::FirstResponder),
        Just(InformationSource::Police),
        Just(InformationSource::LocalAuthority),
        Just(InformationSource::SupportProvider),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// A deadline never falls on a day that is not a working day of the calendar that counts
    /// it: the RG due date on the deciding authority's, an information request's on the
    /// replier's.
    #[test]
    fn a_deadline_is_a_working_day_of_the_calendar_counting_it(
        offset in 0i64..4000,
        asked_after in 0i64..60,
        referrer in nation(),
        person in nation(),
        from in source(),
    ) {
        let on = date(2015, 1, 1) + Duration::days(offset);
        let state = referred(on, referrer, person);
        let CaseState::Referral(r) = &state else { panic!("not a referral") };
        prop_assert!(r.reasonable_grounds_calendar.is_working_day(r.reasonable_grounds_due_on));
        let (due, calendar) = asked(&state, from, on + Duration::days(asked_after));
        let calendar = calendar.unwrap_or(Jurisdiction::EnglandAndWales);
        prop_assert!(calendar.is_working_day(due), "{due} on {calendar:?}");
        prop_assert!(due > on + Duration::days(asked_after));
    }
}

#[test]
fn a_pilot_panel_decides_with_social_care_police_and_health_and_a_chair_who_is_not_the_lead_social_worker()
 {
    use nrm_domain::rules::{PanelAgency as A, PilotPanel, PilotPanelMember};
    let m = |n: u128, agency: A, lead: bool| PilotPanelMember {
        user: UserId(Uuid::from_u128(n)),
        agency,
        lead_social_worker: lead,
    };
    let source = "Devolving child decision-making pilot, general guidance (domain brief 1.4)";
    // (what, chair, members, allowed)
    let rows: Vec<(&str, PilotPanelMember, Vec<PilotPanelMember>, bool)> = vec![
        (
            "social care chairs, police and health sit",
            m(1, A::ChildrensSocialCare, false),
            vec![m(2, A::Police, false), m(3, A::Health, false)],
            true,
        ),
        (
            "more agencies are allowed",
            m(1, A::Education, false),
            vec![
                m(2, A::ChildrensSocialCare, true),
                m(3, A::Police, false),
                m(4, A::Health, false),
            ],
            true,
        ),
        (
            "the chair is the child's lead social worker",
            m(1, A::ChildrensSocialCare, true),
            vec![m(2, A::Police, false), m(3, A::Health, false)],
            false,
        ),
        (
            "no health member",
            m(1, A::ChildrensSocialCare, false),
            vec![m(2, A::Police, false), m(3, A::Education, false)],
            false,
        ),
        (
            "no police member",
            m(1, A::ChildrensSocialCare, false),
            vec![m(3, A::Health, false)],
            false,
        ),
        (
            "no social care member",
            m(1, A::Other, false),
            vec![m(2, A::Police, false), m(3, A::Health, false)],
            false,
        ),
        (
            "one person sits twice",
            m(1, A::ChildrensSocialCare, false),
            vec![m(1, A::Police, false), m(3, A::Health, false)],
            false,
        ),
    ];
    let rules = Rulebook::current();
    for (what, chair, members, allowed) in rows {
        let checked = rules.check_pilot_panel(&PilotPanel { chair, members }, date(2023, 6, 1));
        assert_eq!(checked.is_ok(), allowed, "{source}: {what}");
        if let Err(e) = checked {
            assert_eq!(e.code(), "pilot-panel-composition", "{what}");
        }
    }
}

#[test]
fn the_pilot_sites_are_dated_by_phase_with_their_nations() {
    // (source, site code, the day before it joined, the day it joined, nation, name then)
    let rows: &[(&str, &str, NaiveDate, NaiveDate, UkNation, &str)] = &[
        (
            "Q3 2023 pilot annex, Table 1, phase 1 (June 2021)",
            "hull",
            date(2021, 5, 31),
            date(2021, 6, 1),
            England,
            "Hull City Council",
        ),
        (
            "Q3 2023 pilot annex, Table 1, phase 1: Islington and Camden, one site",
            "camden",
            date(2021, 5, 31),
            date(2021, 6, 1),
            England,
            "London Borough of Camden",
        ),
        (
            "Domain brief 1.4, phase 1: Kensington and Chelsea's bi-borough partner",
            "westminster",
            date(2021, 5, 31),
            date(2021, 6, 1),
            England,
            "Westminster City Council",
        ),
        (
            "Domain brief 1.4, phase 1: the county council's name before 1 April 2023",
            "north-yorkshire",
            date(2021, 5, 31),
            date(2021, 6, 1),
            England,
            "North Yorkshire County Council",
        ),
        (
            "Home Office, 2 September 2025: eight new areas",
            "birmingham",
            date(2025, 9, 1),
            date(2025, 9, 2),
            England,
            "Birmingham City Council",
        ),
        (
            "Home Office, 2 September 2025: Edinburgh",
            "edinburgh",
            date(2025, 9, 1),
            date(2025, 9, 2),
            Scotland,
            "City of Edinburgh Council",
        ),
        (
            "Home Office, 2 September 2025: Northern Ireland, the first national site",
            "northern-ireland",
            date(2025, 9, 1),
            date(2025, 9, 2),
            NorthernIreland,
            "Health and Social Care Trusts of Northern Ireland",
        ),
    ];
    let rules = Rulebook::current();
    for (source, code, before, from, nation, name) in rows {
        assert!(
            rules.pilot_site(code, *before).is_none(),
            "{source}: {code} before {from}"
        );
        let site = rules
            .pilot_site(code, *from)
            .unwrap_or_else(|| panic!("{source}: {code} from {from}"));
        assert_eq!(site.nation, *nation, "{source}");
        assert_eq!(site.name_on(*from), *name, "{source}");
        // A pilot panel counts its deadlines on its own nation's calendar.
        assert_eq!(
            rules.deciding_calendar(
                nrm_domain::event::CompetentAuthority::LocalAuthorityPanel,
                Some(*code),
                *from
            ),
            nation.jurisdiction(),
            "{source}"
        );
    }
    // Every entry says where it comes from; none is marked verified while the annex's table
    // has not been checked row by row.
    for site in &rules.data().child_decision_pilot_sites {
        assert!(
            site.source.as_deref().is_some_and(|s| !s.is_empty()),
            "{}",
            site.code
        );
        assert_eq!(
            site.certainty,
            nrm_domain::rules::Certainty::Uncertain,
            "{}",
            site.code
        );
    }
    // Phase 1 was 10 sites: no more than 10 distinct sites are in force before 2023.
    let sites: std::collections::BTreeSet<&str> = rules
        .data()
        .child_decision_pilot_sites
        .iter()
        .filter(|s| s.from <= date(2022, 12, 31))
        .filter_map(|s| s.site.as_deref())
        .collect();
    assert!(sites.len() <= 10, "{sites:?}");
}

#[test]
fn the_statutory_support_periods_agree_with_what_the_support_clocks_read() {
    // One source: rulebook/support.json's per-nation entries. The main rulebook holds no copy
    // of Scotland's or Northern Ireland's period (it once did, and its Scotland entry began in
    // April 2018 while support.json's applied 90 days to any earlier RG too), so a second
    // copy cannot come back unnoticed.
    let shipped: serde_json::Value =
        serde_json::from_str(include_str!("../rulebook/rulebook.json")).expect("rulebook JSON");
    let keys: Vec<&String> = shipped
        .as_object()
        .expect("an object")
        .keys()
        .filter(|k| k.contains("support_period"))
        .collect();
    assert!(
        keys.is_empty(),
        "support periods belong in support.json: {keys:?}"
    );

    // And on every RG day from the NRM's start to 2030, in every nation, the last day of
    // support the rulebook gives is the one a live support episode counts (its positive RG
    // sets `support_until`), either side of Scotland's 1 April 2018.
    let rules = Rulebook::current();
    let support = nrm_domain::support::SupportRules::current();
    let mut rg = date(2009, 1, 1);
    let mut checked = 0;
    while rg <= date(2030, 12, 31) {
        for nation in [England, Wales, Scotland, NorthernIreland] {
            let from_rulebook = rules
                .statutory_support_period(nation, rg, None)
                .map(|end| end.last_day);
            let from_episode = support_until_after_positive_rg(&rules, &support, nation, rg);
            assert_eq!(from_rulebook, from_episode, "{nation:?}, RG on {rg}");
            checked += 1;
        }
        rg += Duration::days(11);
    }
    assert!(checked > 2_800);
    // Either side of Scotland's change, by name.
    assert_eq!(
        support_until_after_positive_rg(&rules, &support, Scotland, date(2018, 3, 31)),
        None,
        "no statutory period before 1 April 2018"
    );
    assert_eq!(
        support_until_after_positive_rg(&rules, &support, Scotland, date(2018, 4, 1)),
        Some(date(2018, 6, 29))
    );
}

/// The `support_until` a support episode in `nation` records for a positive RG on `rg`.
fn support_until_after_positive_rg(
    rules: &Rulebook,
    support: &nrm_domain::support::SupportRules,
    nation: UkNation,
    rg: NaiveDate,
) -> Option<NaiveDate> {
    use nrm_domain::event::Outcome;
    use nrm_domain::ids::CaseId;
    use nrm_domain::support::command::SupportCommand as C;
    use nrm_domain::support::state::EpisodeState;
    let mut state = EpisodeState::default();
    for cmd in [
        C::Refer {
            case_id: Some(CaseId(Uuid::from_u128(9))),
            nation,
            route: nrm_domain::support::event::EntryRoute::ConsentToSupport,
            prime: OrganisationId(Uuid::from_u128(1)),
            adult: true,
            consent_to_support: true,
        },
        C::RecordReasonableGrounds {
            outcome: Outcome::Positive,
            decided_on: rg,
        },
    ] {
        let events = nrm_domain::support::decide(&state, cmd, rules, support, noon(rg))
            .unwrap_or_else(|e| panic!("{nation:?} on {rg}: {e}"));
        for e in &events {
            state.evolve(e);
        }
    }
    state.support_until
}

fn pilot_code() -> impl Strategy<Value = String> {
    let codes: Vec<String> = Rulebook::current()
        .data()
        .child_decision_pilot_sites
        .iter()
        .map(|s| s.code.clone())
        .collect();
    prop::sample::select(codes)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// A pilot panel's RG due date is a working day of its own nation's calendar (Scotland's
    /// and Northern Ireland's holidays differ from England and Wales's), on any referral day
    /// while the site is in the pilot.
    #[test]
    fn a_pilot_panels_deadline_is_a_working_day_of_its_nation(
        code in pilot_code(),
        offset in 0i64..3000,
    ) {
        let rules = Rulebook::current();
        let joined = rules
            .data()
            .child_decision_pilot_sites
            .iter()
            .find(|s| s.code == code)
            .map(|s| s.from)
            .unwrap_or_default();
        let on = joined + Duration::days(offset);
        let site = rules.pilot_site(&code, on);
        prop_assert!(site.is_some());
        let calendar = rules.deciding_calendar(
            nrm_domain::event::CompetentAuthority::LocalAuthorityPanel,
            Some(&code),
            on,
        );
        prop_assert_eq!(calendar, site.map(|s| s.nation.jurisdiction()).unwrap_or(calendar));
        let due = rules.reasonable_grounds_due_on_in(on, calendar);
        prop_assert!(calendar.is_working_day(due), "{} on {:?}", due, calendar);
        prop_assert!(due > on);
    }
}

#[test]
fn a_refused_referrer_is_told_why_in_dates() {
    let rules = Rulebook::current();
    let refused = |nation, designated, on| {
        let org = SubmittingOrganisation {
            nation,
            list_code: None,
            designated,
        };
        rules
            .check_referrer(&org, on)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    let ended = refused(
        Some(England),
        Some((date(2020, 1, 1), Some(date(2024, 12, 31)))),
        date(2025, 1, 1),
    );
    assert!(ended.contains("ended on 2024-12-31"), "{ended}");
    let later = refused(
        Some(England),
        Some((date(2026, 1, 1), None)),
        date(2025, 1, 1),
    );
    assert!(later.contains("starts on 2026-01-01"), "{later}");
    let nowhere = refused(None, None, date(2025, 1, 1));
    assert!(nowhere.contains("not recorded"), "{nowhere}");
    // The same organisation on a day its designation covers is not refused.
    assert_eq!(
        refused(
            Some(England),
            Some((date(2020, 1, 1), Some(date(2024, 12, 31)))),
            date(2024, 12, 31)
        ),
        ""
    );
}

#[test]
fn the_pilot_phases_record_what_is_published_and_what_is_not() {
    let rules = Rulebook::current();
    // (source, day, phase in force, total sites, local authorities)
    type PhaseRow = (
        &'static str,
        NaiveDate,
        Option<u32>,
        Option<u32>,
        Option<u32>,
    );
    let rows: &[PhaseRow] = &[
        ("Pilot began June 2021", date(2021, 5, 31), None, None, None),
        (
            "Phase 1: 10 sites",
            date(2021, 6, 1),
            Some(1),
            Some(10),
            None,
        ),
        (
            "Phase 1 until early 2023",
            date(2023, 1, 31),
            Some(1),
            Some(10),
            None,
        ),
        (
            "Q3 2023 annex: phase 2 between February and April 2023, 20 sites, 30 authorities",
            date(2023, 2, 1),
            Some(2),
            Some(20),
            Some(30),
        ),
        (
            "Phase 2 until September 2025",
            date(2025, 9, 1),
            Some(2),
            Some(20),
            Some(30),
        ),
        (
            "Home Office, 2 September 2025",
            date(2025, 9, 2),
            Some(3),
            None,
            None,
        ),
    ];
    for (source, on, phase, total, authorities) in rows {
        let got = rules.pilot_phase(*on);
        assert_eq!(got.map(|p| p.value.phase), *phase, "{source}");
        if let Some(p) = got {
            assert_eq!(p.value.total_sites, *total, "{source}");
            assert_eq!(p.value.local_authorities, *authorities, "{source}");
            assert_eq!(
                p.certainty,
                nrm_domain::rules::Certainty::Uncertain,
                "{source}"
            );
            assert!(!p.source.is_empty() && !p.value.gap.is_empty(), "{source}");
        }
    }
    let phase2 = &rules.pilot_phase(date(2023, 6, 1)).expect("phase 2").value;
    assert_eq!(
        phase2.nations.as_deref(),
        Some(&[England, Scotland, Wales][..])
    );
    // The phase 2 authorities are not sourced: the entry says so, and none is invented.
    let joined_in_phase_2 = rules
        .data()
        .child_decision_pilot_sites
        .iter()
        .filter(|s| s.from >= date(2023, 2, 1) && s.from < date(2025, 9, 2))
        .count();
    if phase2.authorities_listed {
        assert!(joined_in_phase_2 >= 10);
    } else {
        assert_eq!(
            joined_in_phase_2, 0,
            "no phase 2 authority without a source"
        );
        assert!(phase2.gap.contains("not in the domain brief"));
    }
}

#[test]
fn a_child_goes_to_a_pilot_panel_only_where_the_authority_is_a_pilot_site_on_the_referral_date() {
    use nrm_domain::event::CompetentAuthority::{LocalAuthorityPanel, Sca};
    use nrm_domain::routing::route;
    use nrm_domain::submission::AgeGroup;
    let rules = Rulebook::current();
    // (source, local authority area, referral date, the authority that decides)
    let rows: &[(&str, &str, NaiveDate, nrm_domain::event::CompetentAuthority)] = &[
        (
            "Phase 1 site, before the pilot",
            "hull",
            date(2021, 5, 31),
            Sca,
        ),
        (
            "Phase 1 site, in phase 1",
            "hull",
            date(2022, 12, 31),
            LocalAuthorityPanel,
        ),
        (
            "Phase 1 site, as phase 2 begins",
            "hull",
            date(2023, 2, 1),
            LocalAuthorityPanel,
        ),
        (
            "Phase 1 site, after phase 2",
            "hull",
            date(2024, 6, 1),
            LocalAuthorityPanel,
        ),
        (
            "Phase 1 joint site, Camden",
            "camden",
            date(2023, 4, 30),
            LocalAuthorityPanel,
        ),
        ("2025 area, in 2022", "birmingham", date(2022, 12, 31), Sca),
        ("2025 area, in 2023", "birmingham", date(2023, 6, 1), Sca),
        (
            "2025 area, the day before",
            "birmingham",
            date(2025, 9, 1),
            Sca,
        ),
        (
            "2025 area, from 2 September 2025",
            "birmingham",
            date(2025, 9, 2),
            LocalAuthorityPanel,
        ),
        (
            "2025 national site",
            "northern-ireland",
            date(2025, 9, 2),
            LocalAuthorityPanel,
        ),
        (
            "Not a listed pilot authority, 2022",
            "leeds",
            date(2022, 12, 31),
            Sca,
        ),
        (
            "Not a listed pilot authority, 2023",
            "leeds",
            date(2023, 6, 1),
            Sca,
        ),
    ];
    for (source, area, on, expected) in rows {
        let born = *on - Duration::days(365 * 12);
        let got = route(AgeGroup::Child, Some(born), Some(area), None, *on, &rules);
        assert_eq!(got.authority, *expected, "{source}: {area} on {on}");
        assert_eq!(
            got.pilot_site.is_some(),
            *expected == LocalAuthorityPanel,
            "{source}"
        );
        // An adult is never routed to a pilot panel.
        let adult = route(AgeGroup::Adult, Some(born), Some(area), None, *on, &rules);
        assert_eq!(adult.authority, Sca, "{source}: an adult");
    }
}

/// A live referral that says where the person is now (`current_nation`), with what the
/// caller knows besides (`Nations::person`, a legacy case's `person_nation`).
fn referred_saying(
    on: NaiveDate,
    current: Option<UkNation>,
    besides: Option<UkNation>,
    child: bool,
) -> CaseState {
    let submission = if child {
        let mut r = nrm_domain::fixtures::child_referral();
        r.victim.date_of_birth = Some(on - Duration::days(14 * 365));
        r.exploitation.period = ExploitationPeriod {
            started_on: Some(on - Duration::days(30)),
            ended_on: None,
            ongoing: true,
        };
        r.current_nation = current;
        Submission::Child(r)
    } else {
        let mut r = adult_referral();
        r.consent.referral_consent_given_on = on;
        r.exploitation.period = ExploitationPeriod {
            started_on: Some(on - Duration::days(30)),
            ended_on: None,
            ongoing: true,
        };
        r.current_nation = current;
        Submission::Adult(r)
    };
    let events = decide(
        &CaseState::Empty,
        &Command::Submit(Box::new(Submit {
            submission,
            reference_random: 7,
            subject: SubjectId::from_uuid(Uuid::from_u128(5)),
            personal_details: VaultRecordId::from_uuid(Uuid::from_u128(6)),
            nations: Nations {
                referring_organisation: Some(England),
                person: besides,
            },
        })),
        responder(),
        &Rulebook::current(),
        noon(on),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    CaseState::from_events(&events)
}

#[test]
fn the_referrals_current_nation_is_recorded_and_counts_where_the_rules_depend_on_it() {
    // Monday 25 November 2024: a support provider's ten working days end on Monday 9
    // December in England and Wales and in Northern Ireland, on Tuesday 10 December in
    // Scotland (St Andrew's Day observed on Monday 2 December).
    let on = date(2024, 11, 25);
    // (source, the form's answer, known besides, child, recorded, support provider's calendar,
    //  its due date, statutory support period days after a positive RG that day)
    type Row = (
        &'static str,
        Option<UkNation>,
        Option<UkNation>,
        bool,
        Option<UkNation>,
        Jurisdiction,
        NaiveDate,
        Option<i64>,
    );
    let rows: &[Row] = &[
        (
            "HTE(S)A 2015 s9: an adult in Scotland, 90 days",
            Some(Scotland),
            None,
            false,
            Some(Scotland),
            Jurisdiction::Scotland,
            date(2024, 12, 10),
            Some(90),
        ),
        (
            "NI 2015 Act s18: an adult in Northern Ireland, 45 days",
            Some(NorthernIreland),
            None,
            false,
            Some(NorthernIreland),
            Jurisdiction::NorthernIreland,
            date(2024, 12, 9),
            Some(45),
        ),
        (
            "England: support to the CG, no fixed period",
            Some(England),
            None,
            false,
            Some(England),
            Jurisdiction::EnglandAndWales,
            date(2024, 12, 9),
            None,
        ),
        (
            "Wales: the England and Wales calendar",
            Some(Wales),
            None,
            false,
            Some(Wales),
            Jurisdiction::EnglandAndWales,
            date(2024, 12, 9),
            None,
        ),
        (
            "Not known (an API client that leaves the field out): the deciding authority's calendar",
            None,
            None,
            false,
            None,
            Jurisdiction::EnglandAndWales,
            date(2024, 12, 9),
            None,
        ),
        (
            "The referral's own answer wins over what the caller knew besides",
            Some(Scotland),
            Some(NorthernIreland),
            false,
            Some(Scotland),
            Jurisdiction::Scotland,
            date(2024, 12, 10),
            Some(90),
        ),
        (
            "A legacy case's person_nation when the referral does not say",
            None,
            Some(NorthernIreland),
            false,
            Some(NorthernIreland),
            Jurisdiction::NorthernIreland,
            date(2024, 12, 9),
            Some(45),
        ),
        (
            "A child's referral records it too",
            Some(Scotland),
            None,
            true,
            Some(Scotland),
            Jurisdiction::Scotland,
            date(2024, 12, 10),
            Some(90),
        ),
    ];
    let rules = Rulebook::current();
    for (source, current, besides, child, recorded, calendar, due, days) in rows {
        let state = referred_saying(on, *current, *besides, *child);
        let CaseState::Referral(r) = &state else {
            panic!("{source}: not a referral")
        };
        assert_eq!(r.person_nation, *recorded, "{source}");
        assert_eq!(
            asked(&state, InformationSource::SupportProvider, on),
            (*due, Some(*calendar)),
            "{source}"
        );
        let period = recorded
            .and_then(|n| rules.statutory_support_period(n, on, None))
            .map(|end| (end.last_day - on).num_days() + 1);
        assert_eq!(period, *days, "{source}");
    }
}
