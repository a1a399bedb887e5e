//! Synthetic demo data, made through the same service calls users make.
//!
//! Proportions follow the 2024 official statistics (domain brief section 3.3): 31% children,
//! 74% male, nationalities led by UK 23%, Albanian 13%, Vietnamese 11%, Eritrean 9%,
//! Sudanese 6%; SCA 77% / IECA 23%; labour 32%, criminal 24%, sexual 10%, not known 11%;
//! positive RG 53%, positive CG 56%; Duty to Notify reports about 29% as many as referrals.
//! Every name and account is invented; no record describes a real person.

use anyhow::Context;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use nrm_access::{OrganisationKind, Principal, Role};
use nrm_domain::case::CaseState;
use nrm_domain::clock::uk_date;
use nrm_domain::command::{Command, Decision, LifecycleCommand, Submit, decide as decide_command};
use nrm_domain::event::CompetentAuthority;
use nrm_domain::event::{
    DecisionRef, InformationSource, ReviewOutcome, ReviewedDecision, SuspensionReason,
    WithdrawalReason,
};
use nrm_domain::event::{NegativeReason, Outcome};
use nrm_domain::exploitation::{
    Exploitation, ExploitationLocation, ExploitationPeriod, ExploitationType,
};
use nrm_domain::geography::{Country, PoliceForceArea, UkNation};
use nrm_domain::ids::{CaseId, OrganisationId, SubjectId, UserId, VaultRecordId};
use nrm_domain::personal::{DecisionReasons, PersonalDetails, VaultContent};
use nrm_domain::rules::ReviewKind;
use nrm_domain::submission::{
    AdultConsent, AdultReferral, AgeAtExploitation, ChildReferral, DutyToNotify,
    FirstResponderDetails, FirstResponderType, Gender, ImmigrationEnforcementCohort, Profile,
    Submission,
};
use nrm_domain::{Actor, CaseEvent, Rulebook};
use nrm_service::Cases;
use nrm_store::{ImportStep, NewCase, QueueQuery, Store, VaultWrite};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

use crate::config::{Config, Environment};
use crate::progress::Progress;

mod assurance;
mod guardians;

/// The demo's Independent Child Trafficking Guardian and the guardian service's manager.
pub const DEMO_GUARDIAN: Actor = Actor {
    user: fresh_user(5),
    organisation: fresh_org(4),
};
pub const DEMO_GUARDIAN_MANAGER: Actor = Actor {
    user: fresh_user(130),
    organisation: fresh_org(4),
};

/// The demo registers accounts with a published password and seeds made-up cases: a service
/// holding real victims' data must never have them.
pub fn refuse_production(config: &Config) -> anyhow::Result<()> {
    if config.environment == Environment::Production {
        anyhow::bail!(
            "`nrm demo` refuses environment = production: it registers accounts with the \
             published demo password and seeds made-up cases. Set up a real service with \
             `nrm migrate`, `nrm org add` and `nrm user add`"
        );
    }
    Ok(())
}

/// The demo's First Responder (a police force) and decision maker (SCA), for the dev headers.
pub const DEMO_RESPONDER: Actor = Actor {
    user: UserId(Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0001)),
    organisation: OrganisationId(Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0101)),
};
pub const DEMO_DECISION_MAKER: Actor = Actor {
    user: UserId(Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0002)),
    organisation: OrganisationId(Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0201)),
};

/// The demo's First Responder as a principal (for seeding through the service).
pub fn demo_responder() -> Principal {
    Principal {
        actor: DEMO_RESPONDER,
        organisation_kind: OrganisationKind::FirstResponderOrganisation,
        roles: vec![Role::FirstResponder],
        allocated_cases_only: false,
        token_scopes: None,
        authenticated_at: None,
    }
}

/// The demo's SCA decision maker as a principal (for seeding through the service).
fn demo_decision_maker() -> Principal {
    Principal {
        actor: DEMO_DECISION_MAKER,
        organisation_kind: OrganisationKind::CompetentAuthority {
            authority: CompetentAuthority::Sca,
        },
        roles: vec![Role::DecisionMaker],
        allocated_cases_only: false,
        token_scopes: None,
        authenticated_at: None,
    }
}

/// Decides `kind` on a demo case as the demo's decision maker, on the day of `at`, through the
/// service (so by the rules of that day, and audited).
pub async fn decide_as_demo_decision_maker(
    cases: &Cases,
    case_id: CaseId,
    kind: nrm_service::DecisionKind,
    input: nrm_service::DecisionInput,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    let facts = cases
        .case_facts(case_id, uk_date(at))
        .await?
        .ok_or_else(|| anyhow::anyhow!("a demo referral has no case"))?;
    let decide = nrm_access::authorise_case(
        &demo_decision_maker(),
        nrm_access::CaseOperation::Decide,
        &facts,
    )
    .map_err(|_| anyhow::anyhow!("the demo decision maker may not decide"))?;
    cases.decide(&decide, None, kind, input, at).await?;
    Ok(())
}
/// An analyst (sees summaries, never personal details).
pub const DEMO_ANALYST: Actor = Actor {
    user: UserId(Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0009)),
    organisation: OrganisationId(Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0301)),
};
/// The IECA's demo decision maker and manager.
pub const DEMO_IECA_DECISION_MAKER: Actor = Actor {
    user: UserId(Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0007)),
    organisation: OrganisationId(Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0202)),
};
pub const DEMO_IECA_MANAGER: Actor = Actor {
    user: UserId(Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0008)),
    organisation: OrganisationId(Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0202)),
};
/// A CA manager, who allocates cases and reviews negative CGs as second caseworker.
pub const DEMO_MANAGER: Actor = Actor {
    user: UserId(Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0003)),
    organisation: OrganisationId(Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0201)),
};
const DEMO_CASEWORKERS: [UserId; 4] = [
    UserId(Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0002)),
    UserId(Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0004)),
    UserId(Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0005)),
    UserId(Uuid::from_u128(0x0000_0000_0000_4000_8000_0000_0000_0006)),
];

fn pick<'a, T>(rng: &mut StdRng, weighted: &'a [(T, u32)]) -> &'a T {
    let total: u32 = weighted.iter().map(|(_, w)| w).sum();
    let mut roll = rng.gen_range(0..total.max(1));
    for (item, weight) in weighted {
        if roll < *weight {
            return item;
        }
        roll -= weight;
    }
    &weighted[0].0
}

const NATIONALITIES: &[(&str, u32)] = &[
    ("GB", 23),
    ("AL", 13),
    ("VN", 11),
    ("ER", 9),
    ("SD", 6),
    ("IR", 4),
    ("AF", 4),
    ("RO", 3),
    ("NG", 3),
    ("IN", 3),
    ("CN", 2),
    ("PL", 2),
    ("ET", 2),
    ("EG", 2),
    ("IQ", 2),
    ("SY", 2),
    ("PK", 2),
    ("BD", 2),
    ("KW", 1),
    ("LY", 1),
    ("ZW", 1),
];
const GIVEN: &[&str] = &[
    "Ardit",
    "Minh",
    "Yonas",
    "Mohamed",
    "Ana",
    "Thi",
    "Kwame",
    "Ioana",
    "Reza",
    "Amina",
    "Jamie",
    "Oluwaseun",
    "Elira",
    "Hoang",
    "Selam",
    "Bilal",
    "Maria",
    "Tomasz",
    "Priya",
    "Li",
];
const FAMILY: &[&str] = &[
    "Krasniqi", "Nguyen", "Tesfaye", "Ahmed", "Popescu", "Tran", "Mensah", "Rahimi", "Hassan",
    "Smith", "Adeyemi", "Hoxha", "Le", "Haile", "Khan", "Silva", "Nowak", "Patel", "Wang", "Jones",
];
const STORIES: &[&str] = &[
    "Recruited through a social media advert promising work; passport taken on arrival; worked long shifts for little or no pay.",
    "Moved between addresses by a group who controlled their phone and movements; made to carry drugs to another town.",
    "Brought to the UK to work in a private household; not allowed to leave the house alone; wages withheld.",
    "Owed a debt for travel that kept growing; made to work at a car wash seven days a week under threat.",
    "Exploited for sex in rented flats; threatened that family at home would be harmed.",
];

fn exploitation_types(rng: &mut StdRng, child: bool) -> (Vec<ExploitationType>, bool) {
    use ExploitationType::*;
    let weights: &[(ExploitationType, u32)] = if child {
        &[
            (Criminal, 45),
            (Labour, 10),
            (Sexual, 15),
            (NotKnown, 12),
            (DomesticServitude, 3),
            (Other, 2),
        ]
    } else {
        &[
            (Labour, 38),
            (Criminal, 17),
            (Sexual, 10),
            (NotKnown, 11),
            (DomesticServitude, 5),
            (Other, 2),
            (OrganHarvesting, 1),
        ]
    };
    let first = *pick(rng, weights);
    let mut types = vec![first];
    if first != NotKnown && rng.gen_bool(0.12) {
        let second = *pick(rng, weights);
        if second != first && second != NotKnown {
            types.push(second);
        }
    }
    let county_lines = types.contains(&Criminal) && rng.gen_bool(if child { 0.55 } else { 0.2 });
    (types, county_lines)
}

fn location(rng: &mut StdRng) -> ExploitationLocation {
    let areas: Vec<PoliceForceArea> = PoliceForceArea::all().collect();
    let overseas = || ["LY", "AL", "FR", "IT", "VN", "SD", "TR", "GR"];
    match rng.gen_range(0..100) {
        0..44 => ExploitationLocation {
            overseas_countries: Country::parse(overseas()[rng.gen_range(0..8)])
                .into_iter()
                .collect(),
            ..ExploitationLocation::default()
        },
        44..87 => {
            let area = areas[rng.gen_range(0..areas.len())];
            ExploitationLocation {
                uk_nations: vec![area.nation()],
                police_force_areas: vec![area],
                overseas_countries: Vec::new(),
            }
        }
        87..95 => {
            let area = areas[rng.gen_range(0..areas.len())];
            ExploitationLocation {
                uk_nations: vec![area.nation()],
                police_force_areas: vec![area],
                overseas_countries: Country::parse(overseas()[rng.gen_range(0..8)])
                    .into_iter()
                    .collect(),
            }
        }
        _ => ExploitationLocation {
            uk_nations: vec![UkNation::England],
            ..ExploitationLocation::default()
        },
    }
}

fn at(date: NaiveDate, rng: &mut StdRng) -> DateTime<Utc> {
    let time = date
        .and_hms_opt(rng.gen_range(8..18), rng.gen_range(0..60), 0)
        .unwrap_or_default();
    Utc.from_utc_datetime(&time)
}

/// The demo accounts' shared password (demo data only).
pub const DEMO_PASSWORD: &str = "demo passphrase 2026";

/// One organisation and its accounts: `(org, name, kind code, [(user, email, roles)])`.
type DemoOrganisation = (
    OrganisationId,
    &'static str,
    &'static str,
    Vec<(UserId, &'static str, Vec<Role>)>,
);

const fn fresh_user(n: u128) -> UserId {
    UserId(Uuid::from_u128(
        0x0000_0000_0000_4000_8000_0000_0000_1000 + n,
    ))
}

const fn fresh_org(n: u128) -> OrganisationId {
    OrganisationId(Uuid::from_u128(
        0x0000_0000_0000_4000_8000_0000_0000_2000 + n,
    ))
}

fn demo_organisations() -> Vec<DemoOrganisation> {
    vec![
        (
            DEMO_RESPONDER.organisation,
            "West Midlands Police",
            "first_responder_organisation",
            vec![
                (
                    DEMO_RESPONDER.user,
                    "first.responder@demo.invalid",
                    vec![Role::FirstResponder],
                ),
                (
                    fresh_user(1),
                    "fro.administrator@demo.invalid",
                    vec![Role::FroAdministrator],
                ),
                (
                    fresh_user(50),
                    "referral.manager@demo.invalid",
                    vec![Role::ReferralManager],
                ),
            ],
        ),
        (
            DEMO_DECISION_MAKER.organisation,
            "Single Competent Authority",
            "sca",
            vec![
                (
                    DEMO_DECISION_MAKER.user,
                    "decision.maker@demo.invalid",
                    vec![Role::DecisionMaker],
                ),
                (
                    DEMO_MANAGER.user,
                    "ca.manager@demo.invalid",
                    vec![Role::CaManager, Role::DecisionMaker],
                ),
            ],
        ),
        (
            DEMO_IECA_DECISION_MAKER.organisation,
            "Immigration Enforcement Competent Authority",
            "ieca",
            vec![
                (
                    DEMO_IECA_DECISION_MAKER.user,
                    "ieca.decision.maker@demo.invalid",
                    vec![Role::DecisionMaker],
                ),
                (
                    DEMO_IECA_MANAGER.user,
                    "ieca.manager@demo.invalid",
                    vec![Role::CaManager, Role::DecisionMaker],
                ),
            ],
        ),
        (
            fresh_org(1),
            "Hull City Council",
            "local_authority:hull",
            vec![
                (
                    fresh_user(2),
                    "la.panel.member@demo.invalid",
                    vec![Role::LocalAuthorityPanelMember],
                ),
                (
                    fresh_user(60),
                    "la.social.care@demo.invalid",
                    vec![Role::LocalAuthorityPanelMember],
                ),
                (
                    fresh_user(61),
                    "la.police@demo.invalid",
                    vec![Role::LocalAuthorityPanelMember],
                ),
                (
                    fresh_user(62),
                    "la.health@demo.invalid",
                    vec![Role::LocalAuthorityPanelMember],
                ),
            ],
        ),
        (
            fresh_org(2),
            "Multi-Agency Assurance Panel",
            "assurance_panel",
            // A chair and two members from different agencies: the quorum of a panel's
            // review of a negative CG (2019 to November 2022).
            vec![
                (
                    fresh_user(3),
                    "panel.member@demo.invalid",
                    vec![Role::PanelMember],
                ),
                (
                    fresh_user(70),
                    "panel.police@demo.invalid",
                    vec![Role::PanelMember],
                ),
                (
                    fresh_user(71),
                    "panel.local.authority@demo.invalid",
                    vec![Role::PanelMember],
                ),
            ],
        ),
        (
            fresh_org(3),
            "Victim Care Contract provider",
            "support_provider",
            vec![
                (
                    fresh_user(4),
                    "support.worker@demo.invalid",
                    vec![Role::SupportProviderWorker],
                ),
                (
                    fresh_user(7),
                    "support.manager@demo.invalid",
                    vec![Role::SupportManager],
                ),
            ],
        ),
        (
            fresh_org(6),
            "Home Office Victim Care Contract team",
            "contract_management",
            vec![(
                fresh_user(8),
                "contract.manager@demo.invalid",
                vec![Role::ContractManager],
            )],
        ),
        (
            fresh_org(4),
            "Independent Child Trafficking Guardians",
            "guardian_service",
            vec![
                (
                    DEMO_GUARDIAN.user,
                    "guardian@demo.invalid",
                    vec![Role::Guardian],
                ),
                (
                    DEMO_GUARDIAN_MANAGER.user,
                    "guardian.manager@demo.invalid",
                    vec![Role::GuardianManager],
                ),
            ],
        ),
        (
            DEMO_ANALYST.organisation,
            "Home Office Analysis and Insight",
            "analysts",
            vec![(
                DEMO_ANALYST.user,
                "analyst@demo.invalid",
                vec![Role::Analyst],
            )],
        ),
        (
            fresh_org(5),
            "NRM Digital service team",
            "administrators",
            vec![(
                fresh_user(6),
                "administrator@demo.invalid",
                vec![Role::Administrator],
            )],
        ),
    ]
}

/// Registers the demo organisations and one account per role, unless any exist.
pub async fn seed_accounts(store: &Store) -> anyhow::Result<()> {
    if !store.organisations().await?.is_empty() {
        return Ok(());
    }
    let cases = Cases::new(store.clone(), Rulebook::current());
    let now = Utc::now();
    for (org, name, kind, users) in demo_organisations() {
        let kind = OrganisationKind::parse(kind).context("demo organisation kind")?;
        cases
            .administration()
            .add_organisation(
                &nrm_service::admin::system_capability(nrm_access::Operation::ManageOrganisations)?,
                org,
                name,
                &kind,
                now,
            )
            .await?;
        if kind == OrganisationKind::FirstResponderOrganisation {
            // A police force in England: on the First Responder Organisation list for England
            // since the NRM began (1 April 2009), and one of the s52 authorities the duty to
            // notify falls on, so it may both refer and report (no individual designation).
            cases
                .administration()
                .set_referrer(
                    &nrm_service::admin::system_capability(
                        nrm_access::Operation::ManageOrganisations,
                    )?,
                    org,
                    &nrm_service::ReferrerSettings {
                        nation: Some(nrm_domain::geography::UkNation::England),
                        first_responder_list: Some("police".to_owned()),
                        designated_from: None,
                        designated_to: None,
                    },
                    now,
                )
                .await?;
        }
        for (user, email, roles) in users {
            cases
                .administration()
                .add_user(
                    &nrm_service::admin::system_capability(nrm_access::Operation::ManageUsers)?,
                    user,
                    org,
                    email,
                    &roles,
                    DEMO_PASSWORD,
                    now,
                )
                .await?;
        }
    }
    Ok(())
}

/// Seeds `count` cases unless the database already has cases.
///
/// Each case is made as the service would make it: the submission and every later command
/// (allocation, requests for information, decisions with their written reasons, service,
/// reviews, suspensions, withdrawals, and today's deadline flags) decided one after another
/// by the domain's own `decide`, as the demo's First Responder and caseworkers. The finished
/// cases are written through an offline bulk load ([`Store::bulk_load`]), thousands to a
/// transaction, with the queue's indexes built once at the end, while the next batch is made on another thread; a progress bar shows on a
/// terminal. No audit entries are written for made-up cases.
pub async fn seed(store: &Store, count: u32, seed: u64) -> anyhow::Result<()> {
    let today = uk_date(Utc::now());
    let existing = store.queue(&QueueQuery::new(today)).await?.total;
    if existing > 0 {
        println!("The database already holds {existing} cases; not seeding more.");
        return Ok(());
    }
    let count = u64::from(count);
    let batches = DemoCases {
        rng: StdRng::seed_from_u64(seed),
        rules: Rulebook::current(),
        today,
        now: Utc::now(),
        left: count,
        batch: 5000,
        decisions: 0,
        references: std::collections::HashSet::new(),
        ids: nrm_store::seeding::Ids::time_ordered(Utc::now() - Duration::days(730)),
    };
    let mut progress = Progress::new("seeding demo cases", count);
    // An offline bulk load: the database is new and nothing serves it yet.
    let (batches, written) = store.bulk_load(batches, |n| progress.set(n)).await;
    let written = written?;
    let rate = progress.finish(written);
    store.analyze().await?;
    println!(
        "Seeded {written} cases with {} decisions at {rate:.0} cases/s.",
        batches.decisions
    );
    let meetings = seed_panels(store).await?;
    println!("Seeded {meetings} pilot panel meetings in Hull.");
    let episodes = seed_support(store).await?;
    println!(
        "Seeded {episodes} support episodes with accommodation, a placement, concerns and an inspection."
    );
    let children = guardians::seed_guardians(store).await?;
    println!("Seeded {children} children with Independent Child Trafficking Guardians.");
    seed_legacy(store, (count / 10).min(1000), seed).await?;
    let cases = Cases::new(store.clone(), Rulebook::current());
    index_for_search(&cases, count).await?;
    let rereferred = crate::demo_persons::seed(&cases, Utc::now()).await?;
    println!("Seeded {rereferred} referrals of people referred more than once (issue 14).");
    let reviewed = assurance::seed_reviews(&cases, Utc::now()).await?;
    println!(
        "Seeded {reviewed} negative Conclusive Grounds decisions awaiting review (one from November 2022, for an assurance panel)."
    );
    Ok(())
}

/// The most seeded cases the demo indexes for the search by name itself; above it, the
/// operator runs `nrm link index` (about a millisecond a case: each is decrypted once).
const INDEX_AT_MOST: u64 = 20_000;

/// Bulk-loaded and imported cases skip intake linking, so the search by name would not find
/// them: make their keyed tokens (no persons are made or joined).
async fn index_for_search(cases: &Cases, count: u64) -> anyhow::Result<()> {
    if count > INDEX_AT_MOST {
        println!(
            "Not indexing {count} cases for the search by name here: run `nrm link index` (or `nrm link rebuild`)."
        );
        return Ok(());
    }
    let capability = nrm_access::authorise(
        &nrm_access::Principal::system(),
        nrm_access::Operation::RebuildPersonLinks,
    )
    .map_err(|_| anyhow::anyhow!("the shell may not index referrals"))?;
    let report = cases
        .persons()
        .index_unindexed(&capability, Utc::now(), &mut |_| {})
        .await?;
    println!("Indexed {} cases for the search by name.", report.indexed);
    Ok(())
}

/// A slice of the demo goes through the legacy import (`nrm import`'s path, issue #10):
/// synthetic cases from 2010 on, each step decided by the rules of its own date and written
/// with its audit entries, so the demo holds cases decided under rules no longer in force
/// (the 45-day recovery period, no review of a negative RG before December 2022…). The rest
/// is bulk-loaded above: importing every demo case would audit each batch and write through
/// the online indexes, several times slower for the thousands of cases a demo wants.
async fn seed_legacy(store: &Store, count: u64, seed: u64) -> anyhow::Result<()> {
    if count == 0 {
        return Ok(());
    }
    let cases = Cases::new(store.clone(), Rulebook::current());
    let lines = crate::import::synthetic::lines(count, seed, cases.rules())?;
    let capability = nrm_access::authorise(
        &crate::import::system_client(),
        nrm_access::Operation::ImportLegacyCases,
    )
    .map_err(|_| anyhow::anyhow!("the system client may not import"))?;
    let report = cases
        .import_legacy(
            &capability,
            std::io::Cursor::new(lines),
            Utc::now(),
            |_| {},
            |r| {
                tracing::warn!(line = r.line, rule = %r.rule, "a demo legacy case was refused");
            },
        )
        .await?;
    println!(
        "Imported {} legacy cases through the legacy import ({} already present).",
        report.imported, report.already_present
    );
    if report.refused > 0 {
        anyhow::bail!(
            "{} synthetic legacy cases broke a rule of their date",
            report.refused
        );
    }
    Ok(())
}

/// The demo's pilot panel (issue 13): three children referred in Hull through the service, as
/// the demo's First Responder. The first has a meeting convened today with its papers ready
/// for the panel to decide; the second's negative Reasonable Grounds decision waits in the
/// SCA's assurance queue; the third's age is disputed, ready for an age assessment. Everything
/// through the service, so it is audited. Returns the meetings convened.
pub async fn seed_panels(store: &Store) -> anyhow::Result<usize> {
    use nrm_domain::children::panel::ChecklistItem;
    use nrm_domain::rules::{PanelAgency, PilotPanelMember};
    use nrm_service::{ConveneInput, PanelDecisionInput, Present};

    let cases = Cases::new(store.clone(), Rulebook::current());
    let now = Utc::now();
    let today = uk_date(now);
    let responder = demo_responder();
    let panel = Principal {
        actor: Actor {
            user: fresh_user(2),
            organisation: fresh_org(1),
        },
        organisation_kind: OrganisationKind::LocalAuthority {
            pilot_site: Some("hull".to_owned()),
        },
        roles: vec![Role::LocalAuthorityPanelMember],
        allocated_cases_only: false,
        token_scopes: None,
        authenticated_at: None,
    };
    let submit = nrm_access::authorise(&responder, nrm_access::Operation::SubmitReferral)
        .map_err(|_| anyhow::anyhow!("the demo First Responder may not refer"))?;
    let mut rng = StdRng::seed_from_u64(13);
    let mut meetings = 0;
    for n in 0..3 {
        let mut child = match submission(&mut rng, today, true, false) {
            Submission::Child(c) => c,
            _ => anyhow::bail!("the demo made no child referral"),
        };
        child.local_authority_area = Some("hull".to_owned());
        child.victim.date_of_birth = Some(today - Duration::days(365 * 13 + 40 * n));
        child.age_disputed = n == 2;
        let case = cases
            .submit(&submit, Submission::Child(child), now)
            .await?
            .case_id;
        if n == 2 {
            continue;
        }
        let facts = cases
            .case_facts(case, today)
            .await?
            .context("the demo child's case")?;
        let decide = nrm_access::authorise_case(&panel, nrm_access::CaseOperation::Decide, &facts)
            .map_err(|_| anyhow::anyhow!("the demo panel may not decide"))?;
        let member = |n: u128, agency: PanelAgency| PilotPanelMember {
            user: fresh_user(n),
            agency,
            lead_social_worker: false,
        };
        let (meeting, _) = cases
            .convene_panel(
                &decide,
                None,
                ConveneInput {
                    meeting: None,
                    meets_on: today,
                    chair: member(2, PanelAgency::ChildrensSocialCare),
                    members: vec![
                        member(60, PanelAgency::ChildrensSocialCare),
                        member(61, PanelAgency::Police),
                        member(62, PanelAgency::Health),
                    ],
                },
                now,
            )
            .await?;
        meetings += 1;
        cases
            .prepare_panel_papers(
                &decide,
                None,
                meeting,
                vec![
                    ChecklistItem::Referral,
                    ChecklistItem::ChildrensSocialCare,
                    ChecklistItem::Police,
                    ChecklistItem::Health,
                    ChecklistItem::ChildsViews,
                ],
                now,
            )
            .await?;
        if n == 1 {
            cases
                .record_panel_decision(
                    &decide,
                    None,
                    PanelDecisionInput {
                        meeting,
                        decision: nrm_domain::event::DecisionRef::ReasonableGrounds,
                        outcome: Outcome::Negative,
                        negative_reason: Some(NegativeReason::InsufficientEvidence),
                        reasons: "The information the agencies gathered did not meet the threshold (demo).".to_owned(),
                        present: Present::AllExcept {
                            chair: false,
                            agencies: Vec::new(),
                        },
                    },
                    now,
                )
                .await?;
        }
    }
    Ok(meetings)
}

/// The demo's support: the prime contractor registered as a support provider, up to six
/// seeded adult cases with consent to support referred to it and allocated to its support
/// worker (their RG and CG outcomes brought across), one high concern escalated to the contract
/// manager and one low, a safe house with two people placed, and an inspection with an overdue
/// action. Everything through the support service, as its users would, so it is all audited.
pub async fn seed_support(store: &Store) -> anyhow::Result<usize> {
    use nrm_access::support::{
        SupportOperation, SupportServiceOperation, authorise_support, authorise_support_service,
    };
    use nrm_domain::support::accommodation::{AccommodationType, Finding, InspectionArea, Rating};
    use nrm_domain::support::event::{ConcernKind, EntryRoute, Provision, Severity};
    use nrm_service::support::{InspectionInput, ReferInput, SupportAction};

    if !store.support_providers().await?.is_empty() {
        return Ok(0);
    }
    let now = Utc::now();
    let today = uk_date(now);
    let prime = fresh_org(3);
    let person = |user: UserId,
                  organisation: OrganisationId,
                  kind: OrganisationKind,
                  role: Role| Principal {
        actor: Actor { user, organisation },
        organisation_kind: kind,
        roles: vec![role],
        allocated_cases_only: false,
        token_scopes: None,
        authenticated_at: None,
    };
    let manager = person(
        fresh_user(7),
        prime,
        OrganisationKind::SupportProvider,
        Role::SupportManager,
    );
    let worker = person(
        fresh_user(4),
        prime,
        OrganisationKind::SupportProvider,
        Role::SupportProviderWorker,
    );
    let contract = person(
        fresh_user(8),
        fresh_org(6),
        OrganisationKind::ContractManagement,
        Role::ContractManager,
    );
    let admin = person(
        fresh_user(6),
        fresh_org(5),
        OrganisationKind::Administrators,
        Role::Administrator,
    );
    let support = nrm_service::Support::new(store.clone(), Rulebook::current());
    let denied = || anyhow::anyhow!("the demo's support roles were refused");
    let admin_cap = nrm_access::authorise(&admin, nrm_access::Operation::ManageOrganisations)
        .map_err(|_| denied())?;
    support
        .add_provider(
            &admin_cap,
            nrm_store::support::SupportProviderRow {
                organisation: prime,
                name: String::new(),
                parent: None,
                regions: vec!["london".to_owned(), "north_west".to_owned()],
                services: vec!["accommodation".to_owned(), "outreach".to_owned()],
            },
            now,
        )
        .await?;
    let manage = authorise_support_service(&manager, SupportServiceOperation::ManageAccommodation)
        .map_err(|_| denied())?;
    let house = support
        .add_accommodation(
            &manage,
            AccommodationType::SelfCatered,
            6,
            "london".to_owned(),
            "Demo safe house, 1 Example Street, London".to_owned(),
            now,
        )
        .await?;
    let refer = authorise_support_service(&manager, SupportServiceOperation::Refer)
        .map_err(|_| denied())?;
    let mut query = QueueQuery::new(today);
    query.age_group = Some(nrm_domain::submission::AgeGroup::Adult);
    query.per_page = 40;
    // The first person has a positive CG (move-on support: an RNA to record) and was referred
    // two weeks ago (a week of subsistence due and paid).
    let mut with_cg = query.clone();
    with_cg.statuses = vec![nrm_domain::case::CaseStatus::PositiveConclusiveGrounds];
    let mut candidates = store.queue(&with_cg).await?.cases;
    let cg_cases = candidates.len();
    candidates.extend(store.queue(&query).await?.cases);
    let earlier = now - Duration::days(15);
    let mut episodes = Vec::new();
    for (n, case) in candidates.into_iter().enumerate() {
        if episodes.len() == 6 {
            break;
        }
        if n < cg_cases && !episodes.is_empty() {
            continue;
        }
        // Cases without consent to support (and Duty to Notify reports) are refused: skipped.
        let Ok(referred) = support
            .refer(
                &refer,
                ReferInput {
                    case_id: Some(case.case_id),
                    nation: UkNation::England,
                    route: EntryRoute::ConsentToSupport,
                    adult: true,
                    consent_to_support: true,
                },
                if episodes.is_empty() { earlier } else { now },
            )
            .await
        else {
            continue;
        };
        episodes.push(referred.episode_id);
    }
    for (i, episode) in episodes.iter().enumerate() {
        let facts = support
            .facts(*episode, today)
            .await?
            .context("episode facts")?;
        let cap = |who: &Principal, op: SupportOperation| {
            authorise_support(who, op, &facts).map_err(|_| denied())
        };
        // The last one waits for allocation.
        if i + 1 == episodes.len() && episodes.len() > 1 {
            continue;
        }
        let at = if i == 0 { earlier } else { now };
        support
            .act(
                &cap(&manager, SupportOperation::Allocate)?,
                None,
                SupportAction::Allocate {
                    provider: prime,
                    worker: Some(worker.actor.user),
                    provision: Provision::Accommodation,
                },
                at,
            )
            .await?;
        let facts = support
            .facts(*episode, today)
            .await?
            .context("episode facts")?;
        let record =
            authorise_support(&worker, SupportOperation::Record, &facts).map_err(|_| denied())?;
        if i < 2 {
            support
                .act(
                    &record,
                    None,
                    SupportAction::StartPlacement {
                        accommodation: house,
                        start: uk_date(at),
                    },
                    at,
                )
                .await?;
        }
        if i == 0 {
            // The first full week in support, due and paid.
            use chrono::Datelike as _;
            let from = uk_date(at);
            let monday =
                from + Duration::days(i64::from((7 - from.weekday().num_days_from_monday()) % 7));
            support
                .act(
                    &authorise_support(&manager, SupportOperation::Pay, &facts)
                        .map_err(|_| denied())?,
                    None,
                    SupportAction::PostWeekDue { week_start: monday },
                    now,
                )
                .await?;
            let owed = support
                .view(
                    &authorise_support(&manager, SupportOperation::ReadSupport, &facts)
                        .map_err(|_| denied())?,
                    None,
                    now,
                )
                .await?
                .state
                .map_or(0, |s| s.ledger.balance.owed);
            support
                .act(
                    &authorise_support(&manager, SupportOperation::Pay, &facts)
                        .map_err(|_| denied())?,
                    None,
                    SupportAction::RecordPayment {
                        on: today,
                        amount_pence: u64::try_from(owed).unwrap_or(0),
                    },
                    now,
                )
                .await?;
        }
        // Nothing to bring across is not an error for the demo.
        let _ = support
            .act(&record, None, SupportAction::SyncDecisions, now)
            .await;
        if i < 2 {
            let (kind, severity, words) = if i == 0 {
                (
                    ConcernKind::ReTrafficking,
                    Severity::High,
                    "Demo concern: seen near the address of the former exploiter",
                )
            } else {
                (
                    ConcernKind::SelfHarm,
                    Severity::Low,
                    "Demo concern: low mood reported at the weekly visit",
                )
            };
            support
                .act(
                    &record,
                    None,
                    SupportAction::RaiseConcern {
                        kind,
                        severity,
                        details: words.to_owned(),
                        police_reference: None,
                    },
                    now,
                )
                .await?;
        }
    }
    let inspect = authorise_support_service(&contract, SupportServiceOperation::Inspect)
        .map_err(|_| denied())?;
    support
        .record_inspection(
            &inspect,
            InspectionInput {
                accommodation: house,
                inspected_on: today - Duration::days(30),
                follow_up_of: None,
                findings: InspectionArea::ALL
                    .into_iter()
                    .map(|area| Finding {
                        area,
                        rating: if area == InspectionArea::Staffing {
                            Rating::RequiresImprovement
                        } else {
                            Rating::Good
                        },
                    })
                    .collect(),
                actions: vec![(InspectionArea::Staffing, today - Duration::days(10))],
                notes: Some(
                    "Demo inspection: night staffing below the standard on two nights".to_owned(),
                ),
            },
            now,
        )
        .await?;
    Ok(episodes.len())
}

/// The demo's cases, `batch` at a time.
struct DemoCases {
    rng: StdRng,
    rules: Rulebook,
    today: NaiveDate,
    now: DateTime<Utc>,
    left: u64,
    batch: u64,
    decisions: u64,
    /// Every reference made so far (35 random bits a year: a million cases would repeat one;
    /// the service draws again when that happens, and so does the demo).
    references: std::collections::HashSet<nrm_domain::CaseReference>,
    /// The keys of cases, subjects and vault records: time-ordered, so each lands at the
    /// right-hand edge of its primary key's B-tree (random keys, as intake makes them, cost a
    /// page of each key's index apiece once the tables outgrow the load's cache).
    ids: nrm_store::seeding::Ids,
}

impl Iterator for DemoCases {
    type Item = Result<Vec<NewCase>, nrm_store::StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        let n = self.batch.min(self.left);
        self.left -= n;
        Some(
            (0..n)
                .map(|_| {
                    self.case().map_err(|e| {
                        nrm_store::StoreError::Corrupt(format!("a demo case was refused: {e}"))
                    })
                })
                .collect(),
        )
    }
}

/// One demo case as it is built: its commands decided one after another.
struct Building<'a> {
    rules: &'a Rulebook,
    case: NewCase,
    subject: Option<SubjectId>,
    events: Vec<CaseEvent>,
}

impl Building<'_> {
    /// The competent authority deciding the case now.
    fn authority(&self) -> CompetentAuthority {
        match CaseState::from_events(&self.events) {
            CaseState::Referral(r) => r.competent_authority,
            _ => CompetentAuthority::Sca,
        }
    }

    /// Decides `command` on the case as it stands and records its events, with the written
    /// `reasons` in the vault under `record` when given.
    fn run(
        &mut self,
        actor: Actor,
        command: Command,
        at: DateTime<Utc>,
        reasons: Option<(VaultRecordId, &str)>,
    ) -> anyhow::Result<()> {
        let state = CaseState::from_events(&self.events);
        let events = decide_command(&state, &command, actor, self.rules, at)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if events.is_empty() {
            return Ok(());
        }
        let vault_writes = match (reasons, self.subject) {
            (Some((record, text)), Some(subject)) => vec![VaultWrite {
                record,
                subject,
                content: VaultContent::DecisionReasons {
                    text: DecisionReasons(text.to_owned()),
                },
            }],
            _ => Vec::new(),
        };
        self.events.extend(events.iter().cloned());
        self.case.steps.push(ImportStep {
            events,
            actor,
            recorded_at: at,
            new_subjects: Vec::new(),
            vault_writes,
        });
        Ok(())
    }

    /// A caseworker's action, as the SCA's or the IECA's demo caseworker.
    fn act(
        &mut self,
        who: Who,
        command: LifecycleCommand,
        at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let actor = caseworker(who, self.authority()).actor;
        self.run(actor, Command::Lifecycle(command), at, None)
    }
}

impl DemoCases {
    /// One case with a reference no earlier one has.
    fn case(&mut self) -> anyhow::Result<NewCase> {
        loop {
            let case = self.any_case()?;
            if self.references.insert(case.reference.clone()) {
                return Ok(case);
            }
        }
    }

    /// One case, in the proportions of the 2024 statistics.
    fn any_case(&mut self) -> anyhow::Result<NewCase> {
        let today = self.today;
        let rng = &mut self.rng;
        let referred_on = today - Duration::days(rng.gen_range(0..730));
        let submitted_at = at(referred_on, rng);
        let child = rng.gen_bool(0.31);
        let dtn = !child && rng.gen_bool(0.22);
        let submission = submission(rng, referred_on, child, dtn);
        let subject = SubjectId(self.ids.make(rng));
        let record = VaultRecordId(self.ids.make(rng));
        let personal = submission.personal_details().cloned();
        let submit = Command::Submit(Box::new(Submit {
            submission,
            reference_random: rng.r#gen(),
            subject,
            personal_details: record,
            // The demo's First Responder is a police force in England.
            nations: nrm_domain::command::Nations {
                referring_organisation: Some(nrm_domain::geography::UkNation::England),
                person: None,
            },
        }));
        let events = decide_command(
            &CaseState::Empty,
            &submit,
            DEMO_RESPONDER,
            &self.rules,
            submitted_at,
        )
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let reference = match events.first() {
            Some(CaseEvent::ReferralSubmitted(e)) => e.reference.clone(),
            Some(CaseEvent::DutyToNotifyReported(e)) => e.reference.clone(),
            _ => anyhow::bail!("no submission event"),
        };
        let mut case = Building {
            rules: &self.rules,
            case: NewCase {
                case_id: CaseId(self.ids.make(rng)),
                reference,
                import_key: None,
                steps: vec![ImportStep {
                    events: events.clone(),
                    actor: DEMO_RESPONDER,
                    recorded_at: submitted_at,
                    new_subjects: personal.as_ref().map(|_| vec![subject]).unwrap_or_default(),
                    vault_writes: personal
                        .map(|details| {
                            vec![VaultWrite {
                                record,
                                subject,
                                content: VaultContent::PersonalDetails(details),
                            }]
                        })
                        .unwrap_or_default(),
                }],
            },
            subject: (!dtn).then_some(subject),
            events,
        };
        if dtn {
            return Ok(case.case);
        }
        let age_days = (today - referred_on).num_days();
        // Some open cases are allocated; a few have a request for information out.
        if rng.gen_bool(0.3) {
            let to = DEMO_CASEWORKERS[rng.gen_range(0..DEMO_CASEWORKERS.len())];
            case.act(
                Who::Manager,
                LifecycleCommand::Allocate { to },
                submitted_at,
            )?;
        }
        if age_days < 40 && rng.gen_bool(0.1) {
            let from = *pick(
                rng,
                &[
                    (InformationSource::FirstResponder, 3),
                    (InformationSource::Police, 2),
                    (InformationSource::LocalAuthority, 1),
                ],
            );
            let request = Uuid::from_u128(rng.r#gen());
            case.act(
                Who::DecisionMaker,
                LifecycleCommand::RequestInformation { request, from },
                submitted_at,
            )?;
        }
        let swept = |case: &mut Building<'_>| {
            case.run(
                Actor::SYSTEM,
                Command::Lifecycle(LifecycleCommand::SweepDeadlines),
                self.now,
                None,
            )
        };
        if age_days < 3 || rng.gen_bool(if age_days > 60 { 0.05 } else { 0.4 }) {
            // Still awaiting RG: a few go missing or withdraw.
            let on = (referred_on + Duration::days(1)).min(today);
            let when = at(on, rng).max(submitted_at);
            if rng.gen_bool(0.04) {
                let reason = SuspensionReason::MissingPerson;
                case.act(
                    Who::DecisionMaker,
                    LifecycleCommand::Suspend { on, reason },
                    when,
                )?;
            } else if rng.gen_bool(0.03) {
                // Children are referred without consent, so theirs cannot be withdrawn.
                let reason = if child {
                    WithdrawalReason::ReferredInError
                } else {
                    WithdrawalReason::ConsentWithdrawn
                };
                case.act(
                    Who::DecisionMaker,
                    LifecycleCommand::Withdraw { on, reason },
                    when,
                )?;
            }
            swept(&mut case)?;
            return Ok(case.case);
        }
        let rg_on = (referred_on + Duration::days(rng.gen_range(1..=age_days.min(60)))).min(today);
        let positive = rng.gen_bool(0.53);
        let rg_at = at(rg_on, rng).max(submitted_at);
        let (rg, reasons) = decision(rng, positive, rg_on);
        let actor = caseworker(Who::DecisionMaker, case.authority()).actor;
        case.run(
            actor,
            Command::DecideReasonableGrounds(rg),
            rg_at,
            Some(reasons),
        )?;
        self.decisions += 1;
        if rng.gen_bool(0.9) {
            // A negative RG is reviewed by a manager before it is served when the rules of
            // its date require it (from December 2022). The demo routes no case to a pilot
            // panel, so the SCA's rule is the one that applies (the IECA's is the same).
            let needs_review = !positive
                && self
                    .rules
                    .negative_decision_review(
                        ReviewedDecision::ReasonableGrounds,
                        CompetentAuthority::Sca,
                        rg_on,
                    )
                    .value
                    != ReviewKind::None;
            if needs_review {
                let record = VaultRecordId(Uuid::from_u128(rng.r#gen()));
                let manager = caseworker(Who::Manager, case.authority()).actor;
                case.run(
                    manager,
                    Command::Lifecycle(LifecycleCommand::ReviewNegativeDecision {
                        decision: ReviewedDecision::ReasonableGrounds,
                        outcome: ReviewOutcome::Agree,
                        panel: None,
                        reviewer_agency: "Single Competent Authority".to_owned(),
                        reviewed_on: rg_on,
                        reasons: record,
                    }),
                    rg_at,
                    Some((
                        record,
                        "The decision follows the guidance and the evidence.",
                    )),
                )?;
            }
            case.act(
                Who::DecisionMaker,
                serve(DecisionRef::ReasonableGrounds, rg_on),
                rg_at,
            )?;
        }
        let earliest = self.rules.conclusive_grounds_earliest(rg_on);
        let room = (today - earliest).num_days();
        if !positive || room < 1 || !rng.gen_bool(0.45) {
            swept(&mut case)?;
            return Ok(case.case);
        }
        let cg_on = earliest + Duration::days(rng.gen_range(0..room));
        let cg_positive = rng.gen_bool(0.56);
        let cg_at = at(cg_on, rng);
        let (cg, reasons) = decision(rng, cg_positive, cg_on);
        let actor = caseworker(Who::DecisionMaker, case.authority()).actor;
        case.run(
            actor,
            Command::DecideConclusiveGrounds(cg),
            cg_at,
            Some(reasons),
        )?;
        self.decisions += 1;
        if !cg_positive {
            // Negative CGs are reviewed by a second caseworker before they are served.
            if !rng.gen_bool(0.8) {
                swept(&mut case)?;
                return Ok(case.case);
            }
            let record = VaultRecordId(Uuid::from_u128(rng.r#gen()));
            let review = LifecycleCommand::ReviewNegativeConclusiveGrounds {
                outcome: ReviewOutcome::Agree,
                panel: None,
                reviewer_agency: "Single Competent Authority".to_owned(),
                reviewed_on: cg_on,
                reasons: record,
            };
            let actor = caseworker(Who::Manager, case.authority()).actor;
            case.run(
                actor,
                Command::Lifecycle(review),
                cg_at,
                Some((
                    record,
                    "The decision follows the guidance and the evidence.",
                )),
            )?;
        }
        case.act(
            Who::DecisionMaker,
            serve(DecisionRef::ConclusiveGrounds, cg_on),
            cg_at,
        )?;
        swept(&mut case)?;
        Ok(case.case)
    }
}

/// A made-up submission: an adult or child referral, or a Duty to Notify report.
pub(crate) fn submission(
    rng: &mut StdRng,
    referred_on: NaiveDate,
    child: bool,
    dtn: bool,
) -> Submission {
    let gender = *pick(
        rng,
        &[(Gender::Male, 74), (Gender::Female, 25), (Gender::Other, 1)],
    );
    let nationality = *pick(rng, NATIONALITIES);
    let profile = Profile {
        gender,
        nationalities: Country::parse(nationality).into_iter().collect(),
    };
    let (types, county_lines) = exploitation_types(rng, child);
    let period_start = referred_on - Duration::days(rng.gen_range(30..900));
    let exploitation = Exploitation {
        types,
        county_lines,
        location: location(rng),
        period: ExploitationPeriod {
            started_on: Some(period_start),
            ended_on: Some(referred_on - Duration::days(rng.gen_range(0..30))),
            ongoing: false,
        },
    };
    let first_responder = FirstResponderDetails {
        organisation_type: *pick(
            rng,
            &[
                (FirstResponderType::Police, 35),
                (FirstResponderType::GovernmentAgency, 40),
                (FirstResponderType::LocalAuthority, 15),
                (FirstResponderType::NonGovernmentalOrganisation, 10),
            ],
        ),
    };
    let cohort = (!child && rng.gen_bool(0.30)).then(|| {
        *pick(
            rng,
            &[
                (
                    ImmigrationEnforcementCohort::DetainedForeignNationalOffender,
                    30,
                ),
                (ImmigrationEnforcementCohort::ImmigrationDetention, 40),
                (ImmigrationEnforcementCohort::InadmissibleAsylumClaim, 20),
                (
                    ImmigrationEnforcementCohort::ForeignNationalOffenderFacingDeportation,
                    10,
                ),
            ],
        )
    });
    let born = if child {
        referred_on - Duration::days(rng.gen_range(12 * 365..17 * 365 + 300))
    } else {
        referred_on - Duration::days(rng.gen_range(19 * 365..55 * 365))
    };
    let victim = PersonalDetails {
        given_names: GIVEN[rng.gen_range(0..GIVEN.len())].to_owned(),
        family_name: FAMILY[rng.gen_range(0..FAMILY.len())].to_owned(),
        other_names: Vec::new(),
        date_of_birth: Some(born),
        languages: vec!["English".to_owned()],
        interpreter_needed: nationality != "GB" && rng.gen_bool(0.7),
        contact: None,
        current_address: None,
        other_references: Vec::new(),
        narrative: STORIES[rng.gen_range(0..STORIES.len())].to_owned(),
    };
    // The exploitation cannot start before birth.
    let mut exploitation = exploitation;
    if let Some(b) = victim.date_of_birth
        && exploitation.period.started_on.is_some_and(|s| s < b)
    {
        exploitation.period.started_on = Some(b + Duration::days(365 * 10));
    }
    // Where the person is now: where the exploitation happened in the UK, when it did.
    let current_nation = exploitation.location.nations().first().copied();
    if dtn {
        Submission::DutyToNotify(DutyToNotify {
            profile,
            age_at_exploitation: AgeAtExploitation::Adult,
            exploitation,
            first_responder,
        })
    } else if child {
        Submission::Child(ChildReferral {
            victim,
            profile,
            age_disputed: rng.gen_bool(0.1),
            local_authority_notified: true,
            local_authority_area: None,
            exploitation,
            first_responder,
            immigration_cohort: None,
            current_nation,
        })
    } else {
        Submission::Adult(AdultReferral {
            victim,
            profile,
            consent: AdultConsent {
                referral_consent_given_on: referred_on,
                support_consent: rng.gen_bool(0.8),
            },
            exploitation,
            first_responder,
            immigration_cohort: cohort,
            current_nation,
        })
    }
}

/// The demo's caseworkers, at the SCA or the IECA depending on where the case is.
#[derive(Debug, Clone, Copy)]
enum Who {
    DecisionMaker,
    Manager,
}

fn caseworker(who: Who, authority: CompetentAuthority) -> Principal {
    let ieca = authority == CompetentAuthority::Ieca;
    let (actor, roles) = match (who, ieca) {
        (Who::DecisionMaker, false) => (DEMO_DECISION_MAKER, vec![Role::DecisionMaker]),
        (Who::Manager, false) => (DEMO_MANAGER, vec![Role::CaManager, Role::DecisionMaker]),
        (Who::DecisionMaker, true) => (DEMO_IECA_DECISION_MAKER, vec![Role::DecisionMaker]),
        (Who::Manager, true) => (
            DEMO_IECA_MANAGER,
            vec![Role::CaManager, Role::DecisionMaker],
        ),
    };
    Principal {
        actor,
        organisation_kind: OrganisationKind::CompetentAuthority { authority },
        roles,
        allocated_cases_only: false,
        token_scopes: None,
        authenticated_at: None,
    }
}

fn serve(decision: DecisionRef, on: NaiveDate) -> LifecycleCommand {
    LifecycleCommand::ServeDecision {
        decision,
        served_on: on,
        legal_representative: false,
    }
}

/// A grounds decision and its written reasons (kept in the vault).
fn decision(
    rng: &mut StdRng,
    positive: bool,
    on: NaiveDate,
) -> (Decision, (VaultRecordId, &'static str)) {
    let record = VaultRecordId(Uuid::from_u128(rng.r#gen()));
    let reasons = if positive {
        "The account is consistent and supported by the First Responder's evidence."
    } else {
        "The information available does not meet the threshold at this stage."
    };
    let decision = Decision {
        outcome: if positive {
            Outcome::Positive
        } else {
            Outcome::Negative
        },
        decided_on: on,
        reasons: record,
        negative_reason: (!positive).then_some(NegativeReason::InsufficientEvidence),
    };
    (decision, (record, reasons))
}

/// Tells the person running the demo how to reach it.
pub fn print_how_to_use(config: &Config) {
    let base = format!("http://{}", config.listen);
    println!();
    println!("Open {base}/ and sign in as first.responder@demo.invalid (to refer) or");
    println!("decision.maker@demo.invalid (to decide). The six-digit code for an account:");
    println!("    cargo run -q --release -p nrm -- user code --email first.responder@demo.invalid");
    println!();
    println!("Demo accounts, one per role, all with the password \"{DEMO_PASSWORD}\":");
    println!(
        "  first.responder, fro.administrator, decision.maker, ca.manager, ieca.decision.maker,"
    );
    println!("  ieca.manager, la.panel.member, panel.member (with panel.police and");
    println!("  panel.local.authority), support.worker, guardian,");
    println!("  guardian.manager, analyst,");
    println!("  administrator — each @demo.invalid. To sign in as the SCA manager:");
    println!(
        "    CODE=$(cargo run -q --release -p nrm -- user code --email ca.manager@demo.invalid)"
    );
    println!("    curl -si {base}/api/v1/sign-in -H 'content-type: application/json' \\");
    println!(
        "      -d \"{{\\\"email\\\":\\\"ca.manager@demo.invalid\\\",\\\"password\\\":\\\"{DEMO_PASSWORD}\\\",\\\"code\\\":\\\"$CODE\\\"}}\""
    );
    println!("  then send the __Host-nrm-session cookie it sets, for example:");
    println!(
        "    curl -s -b '__Host-nrm-session=…' '{base}/api/v1/cases?deadline=overdue&sort=next_deadline'"
    );
    println!("  OpenAPI document: {base}/api/v1/openapi.json");
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every demo case is made through the domain's rules; a rule that changes must not make
    /// `nrm demo` fail half-way through a large seed. Many cases, so rare branches are taken.
    #[test]
    fn many_demo_cases_pass_the_rules() {
        let today = uk_date(Utc::now());
        let mut cases = DemoCases {
            rng: StdRng::seed_from_u64(7),
            rules: Rulebook::current(),
            today,
            now: Utc::now(),
            left: 30_000,
            batch: 5000,
            decisions: 0,
            references: std::collections::HashSet::new(),
            ids: nrm_store::seeding::Ids::time_ordered(Utc::now()),
        };
        let mut made = 0;
        for batch in cases.by_ref() {
            made += batch.expect("every demo case passes the rules").len();
        }
        assert_eq!(made, 30_000);
        assert!(cases.decisions > 0);
    }
}
