//! Importing cases from the legacy system, each step judged by the rules of its own date.
//!
//! The input is JSON Lines (`docs/legacy-import.md`): one case a line, its submission and its
//! dated steps (decisions, reviews, service, reconsideration, extensions, withdrawal…). Every
//! step becomes the [`Command`] a user would have given and goes through the domain's own
//! [`decide`] with the step's own time as "now", so a decision of 2016 is checked against the
//! rulebook entries in force in 2016 (recovery period, reviews, who may ask for
//! reconsideration…), exactly as if it had been made then. A line that breaks a rule is
//! refused with its line number and the rule's code, and the rest of the file goes on.
//!
//! - **Idempotent**: a case is written with its import key, a keyed hash of its legacy id
//!   (under a key derived from the master key), which the store keeps unique
//!   (`imported_cases`); the same legacy id imported twice is found by that key, and the second
//!   time it is counted as already present, never written again. The case's own id is
//!   time-ordered like any new case's, so an import's rows land at the right-hand edge of
//!   every case table's key.
//! - **Streaming, flat memory**: lines are read, decided, sealed and folded on a thread of
//!   their own, [`BATCH`] cases at a time, one batch ahead of the writes; nothing holds more
//!   than two batches.
//! - **Fast**: a batch is written through the store's bulk import ([`Store::import_writer`]),
//!   one multi-row INSERT per table, the same rows appending command by command would leave,
//!   every batch on one connection held for the run. Before go-live
//!   ([`ImportMode::BeforeGoLive`]) the case tables' secondary indexes are dropped for the run
//!   and built once at its end, in batches of [`OFFLINE_BATCH`].
//! - **Audited**: every written batch (its lines and how many cases) and every refused line
//!   (its rule), in the batch's own transaction, and the run itself, under the importing
//!   client, fail closed.
//!
//! Refusals name fields and rules, never values: a JSON error names the path and the line's
//! column, not the text that was there, as a value may be personal data.

use std::io::BufRead;

use chrono::{DateTime, NaiveDate, Utc};
use nrm_access::{Capability, Operation};
use nrm_domain::case::CaseState;
use nrm_domain::children::guardian::ChildrenRules;
use nrm_domain::clock::uk_date;
use nrm_domain::command::{
    Command, Decision, LifecycleCommand, Nations, ReviewPanel, Submit, decide,
};
use nrm_domain::event::{
    ClosureReason, CompetentAuthority, DecisionRef, DisqualificationGround, InformationSource,
    NegativeReason, Outcome, RerouteReason, ReviewOutcome, ReviewedDecision, Reviewer,
    SuspensionReason, WithdrawalReason,
};
use nrm_domain::geography::UkNation;
use nrm_domain::ids::{CaseId, OrganisationId, SubjectId, UserId, VaultRecordId};
use nrm_domain::personal::{DecisionReasons, MAX_NARRATIVE_CHARS, VaultContent};
use nrm_domain::rules::{
    PanelAgency, PilotPanel, PilotPanelMember, Requester, SubmittingOrganisation,
};
use nrm_domain::submission::{AdultReferral, AgeGroup, ChildReferral, DutyToNotify, Submission};
use nrm_domain::{Actor, CaseEvent, DomainError, FieldProblem, Rulebook};
use nrm_store::audit::AuditRecord;
use nrm_store::{
    ImportStep, ImportWriter, MasterKey, NewCase, PreparedImport, Store, StoreError, VaultWrite,
};
use serde::Deserialize;
use uuid::Uuid;

use crate::children::{GuardianDue, birth_date, birth_record, guardian_due};
use crate::{Cases, ServiceError};

/// Cases written to one transaction by an import into a live service (short enough that the
/// intake's writes are not held up long behind one).
pub const BATCH: usize = 500;
/// Cases written to one transaction by an import before go-live ([`ImportMode::BeforeGoLive`]):
/// nobody else is writing, and each commit's work of its own is paid less often.
pub const OFFLINE_BATCH: usize = 5_000;

/// Whether the service is open while an import runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    /// Into a live service: every index kept up to date batch by batch.
    Live,
    /// Into a database nobody else is using yet (a migration before go-live): the case
    /// tables' secondary indexes and count triggers are dropped for the run and rebuilt once
    /// at its end ([`nrm_store::Store::offline_import_writer`]), in larger batches. Until the
    /// end the queue has no indexes, so the service must not be serving.
    BeforeGoLive,
}

impl ImportMode {
    fn batch(self) -> usize {
        match self {
            Self::Live => BATCH,
            Self::BeforeGoLive => OFFLINE_BATCH,
        }
    }
}

/// The longest line accepted, in bytes (a case with a long narrative and many steps fits).
pub const MAX_LINE_BYTES: usize = 1 << 20;
/// The longest legacy id, in characters.
pub const MAX_LEGACY_ID_CHARS: usize = 64;
/// How many references are tried for one case before it is refused (35 random bits a year:
/// a clash with another case is rare, three in a row means something else is wrong).
const REFERENCE_ATTEMPTS: u32 = 3;

/// A batch that clashed with cases already there is halved until its parts hold this many
/// cases or fewer, then written case by case (`Cases::import_clashed`).
const CLASH_CASES: usize = 16;

/// One line of the file: a case from the legacy system.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegacyCase {
    /// The legacy system's case id: letters, digits and `-_./:` only.
    pub legacy_id: String,
    /// When the referral (or Duty to Notify report) was received: the submission's "now".
    pub submitted_at: DateTime<Utc>,
    pub submitted_by: LegacySubmitter,
    pub submission: LegacySubmission,
    /// The nation the person is in now (deadlines a support provider or local authority must
    /// meet are counted on its calendar).
    #[serde(default)]
    pub person_nation: Option<UkNation>,
    /// The case's steps, oldest first.
    #[serde(default)]
    pub steps: Vec<LegacyStep>,
}

/// A person in the legacy system: codes (or the UUIDs of accounts and organisations in this
/// service). Codes are turned into stable ids by a keyed hash; they are never stored.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegacyActor {
    pub user: String,
    pub organisation: String,
}

/// Who made the referral or report. With `nation`, the organisation is checked against the
/// rules of the submission's date: a referral needs its `list` entry on the First Responder
/// Organisation list for that nation (or an individual designation, `designated_from` and
/// `designated_to`), a Duty to Notify report needs the duty to fall on it there.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegacySubmitter {
    pub user: String,
    pub organisation: String,
    #[serde(default)]
    pub nation: Option<UkNation>,
    /// The organisation's kind on the First Responder list (`police`, `salvation-army`…).
    #[serde(default)]
    pub list: Option<String>,
    #[serde(default)]
    pub designated_from: Option<NaiveDate>,
    #[serde(default)]
    pub designated_to: Option<NaiveDate>,
}

impl LegacySubmitter {
    fn actor(&self) -> LegacyActor {
        LegacyActor {
            user: self.user.clone(),
            organisation: self.organisation.clone(),
        }
    }
}

/// The three kinds of submission, with the same fields as the domain's.
#[derive(Debug, Deserialize)]
#[serde(tag = "kind", content = "details", rename_all = "snake_case")]
pub enum LegacySubmission {
    Adult(AdultReferral),
    Child(ChildReferral),
    DutyToNotify(DutyToNotify),
}

/// One dated step of a legacy case.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegacyStep {
    /// When the step was recorded: the domain decides it with this as "now".
    pub at: DateTime<Utc>,
    pub by: LegacyActor,
    #[serde(rename = "do")]
    pub what: LegacyCommand,
}

/// A panel member or chair.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegacyReviewer {
    pub user: String,
    pub agency: String,
}

/// A review panel: chair and members.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegacyPanel {
    pub chair: LegacyReviewer,
    pub members: Vec<LegacyReviewer>,
}

/// A member of a devolved pilot panel.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegacyPilotMember {
    pub user: String,
    pub agency: PanelAgency,
    #[serde(default)]
    pub lead_social_worker: bool,
}

/// The devolved pilot panel that made a decision.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LegacyPilotPanel {
    pub chair: LegacyPilotMember,
    pub members: Vec<LegacyPilotMember>,
}

/// What a step did: each is a command of the live service.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum LegacyCommand {
    ReasonableGrounds {
        outcome: Outcome,
        decided_on: NaiveDate,
        reasons: String,
        #[serde(default)]
        negative_reason: Option<NegativeReason>,
        /// For a devolved pilot panel's decision (and only then): the panel that made it.
        #[serde(default)]
        panel: Option<LegacyPilotPanel>,
    },
    ConclusiveGrounds {
        outcome: Outcome,
        decided_on: NaiveDate,
        reasons: String,
        #[serde(default)]
        negative_reason: Option<NegativeReason>,
        /// For a devolved pilot panel's decision (and only then): the panel that made it.
        #[serde(default)]
        panel: Option<LegacyPilotPanel>,
    },
    Rerouted {
        to: CompetentAuthority,
        #[serde(default)]
        pilot_site: Option<String>,
        reason: RerouteReason,
    },
    Allocated {
        to: String,
    },
    InformationRequested {
        /// The legacy system's id for the request (to match its reply).
        request: String,
        from: InformationSource,
    },
    InformationReceived {
        request: String,
        received_on: NaiveDate,
    },
    RecoveryPeriodExtended {
        until: NaiveDate,
    },
    Disqualified {
        ground: DisqualificationGround,
        decided_on: NaiveDate,
        reasons: String,
    },
    Reviewed {
        decision: ReviewedDecision,
        outcome: ReviewOutcome,
        reviewer_agency: String,
        reviewed_on: NaiveDate,
        reasons: String,
        #[serde(default)]
        panel: Option<LegacyPanel>,
    },
    Served {
        decision: DecisionRef,
        served_on: NaiveDate,
        #[serde(default)]
        legal_representative: bool,
    },
    ReconsiderationRequested {
        decision: DecisionRef,
        requested_on: NaiveDate,
        requested_by: Requester,
        #[serde(default)]
        facing_removal: bool,
    },
    ReconsiderationDecided {
        accepted: bool,
        decided_on: NaiveDate,
        reasons: String,
    },
    Withdrawn {
        on: NaiveDate,
        reason: WithdrawalReason,
    },
    Suspended {
        on: NaiveDate,
        reason: SuspensionReason,
    },
    Resumed {
        on: NaiveDate,
    },
    Closed {
        on: NaiveDate,
        reason: ClosureReason,
    },
}

/// A line that was not imported: where, and which rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// 1-based line number in the file.
    pub line: u64,
    /// The legacy id, when the line had a well-formed one.
    pub legacy_id: Option<String>,
    /// The step that broke the rule (0-based index into `steps`), if a step did.
    pub step: Option<usize>,
    /// The rule's code (`invalid-json`, `conclusive-grounds-inside-recovery-period`…).
    pub rule: String,
    /// What was wrong, naming fields and rules but never the values given.
    pub message: String,
}

/// How an import went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// The run's id, as the audit log records it (`import:<run>`).
    pub run: Uuid,
    /// Non-empty lines read.
    pub lines: u64,
    /// Cases written by this run.
    pub imported: u64,
    /// Lines whose legacy id had been imported before (by an earlier run or a concurrent one).
    pub already_present: u64,
    /// Lines refused.
    pub refused: u64,
    /// Bytes of the input read so far.
    pub bytes: u64,
    /// ICTG referrals made for open child cases in covered areas after the import (issue 13).
    pub guardian_referrals: u64,
}

/// A case decided from its line, with what is needed to decide it again under another
/// reference.
#[derive(Debug)]
struct Decided {
    line: u64,
    legacy: LegacyCase,
    case: NewCase,
}

/// What the reading thread hands to the writer: up to [`BATCH`] cases, sealed and folded,
/// and the refusals among the same lines.
#[derive(Debug, Default)]
struct Chunk {
    cases: Vec<Decided>,
    prepared: Option<Result<PreparedImport, StoreError>>,
    refusals: Vec<Refusal>,
    /// Lines repeating a legacy id an earlier line of the same chunk has.
    repeated: u64,
    /// Lines whose legacy id was imported before this chunk was read (found, and left out,
    /// before sealing).
    present: u64,
    lines: u64,
    bytes: u64,
}

/// One run of the import, as its audit entries name it.
struct ImportRun {
    actor: Actor,
    /// `import:<run id>`.
    label: String,
    /// The import's time: no step may be later, and every entry is recorded at it.
    now: DateTime<Utc>,
}

impl ImportRun {
    /// A `case.import` entry of this run, its subject `import:<run>:<what>`.
    fn entry(&self, outcome: String, what: String) -> AuditRecord {
        AuditRecord {
            actor: self.actor,
            action: "case.import".to_owned(),
            case_id: None,
            outcome,
            subject: Some(format!("{}:{what}", self.label)),
        }
    }
}

/// Turns legacy codes into this service's ids: a keyed hash (so the ids cannot be computed
/// from the legacy codes without the master key, and the codes are not stored); a value that
/// is already a UUID is taken as it is (an account or organisation registered here).
#[derive(Debug, Clone)]
struct Ids {
    key: MasterKey,
}

impl Ids {
    fn hashed(&self, purpose: &str, value: &str) -> Uuid {
        let hash = self
            .key
            .lookup_hash("legacy-import", &format!("{purpose}:{value}"));
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&hash[..16]);
        // A version 8 (custom) UUID, RFC 9562 variant.
        bytes[6] = (bytes[6] & 0x0f) | 0x80;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        Uuid::from_bytes(bytes)
    }

    fn or_hashed(&self, purpose: &str, value: &str) -> Uuid {
        Uuid::parse_str(value.trim()).unwrap_or_else(|_| self.hashed(purpose, value.trim()))
    }

    /// The key the store knows an imported case by ([`NewCase::import_key`]). Releases before
    /// `imported_cases` used it as the case's id, and [`Store::imported_keys`] finds those too.
    fn import_key(&self, legacy_id: &str) -> Uuid {
        self.hashed("case", legacy_id)
    }

    fn actor(&self, a: &LegacyActor) -> Actor {
        Actor {
            user: UserId(self.or_hashed("user", &a.user)),
            organisation: OrganisationId(self.or_hashed("organisation", &a.organisation)),
        }
    }

    fn user(&self, code: &str) -> UserId {
        UserId(self.or_hashed("user", code))
    }

    fn request(&self, legacy_id: &str, request: &str) -> Uuid {
        self.hashed("request", &format!("{legacy_id}\u{1f}{request}"))
    }

    /// The reference's random bits for `attempt`.
    fn reference_random(&self, legacy_id: &str, attempt: u32) -> u64 {
        let hash = self
            .key
            .lookup_hash("legacy-import", &format!("reference:{attempt}:{legacy_id}"));
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&hash[..8]);
        u64::from_le_bytes(bytes)
    }
}

fn refusal(line: u64, legacy_id: Option<&str>, step: Option<usize>, e: &DomainError) -> Refusal {
    let message = match e {
        DomainError::Invalid(problems) => problems
            .iter()
            .map(|p| format!("{}: {}", p.field, p.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    };
    Refusal {
        line,
        legacy_id: legacy_id.map(str::to_owned),
        step,
        rule: e.code().to_owned(),
        message,
    }
}

fn invalid(field: String, message: &str) -> DomainError {
    DomainError::Invalid(vec![FieldProblem::new(field, message)])
}

/// Reads one line's JSON, or says where it is wrong without repeating what was there.
fn parse_line(line: u64, text: &[u8]) -> Result<LegacyCase, Refusal> {
    let refuse = |what: &str, path: String, column: usize| Refusal {
        line,
        legacy_id: None,
        step: None,
        rule: "invalid-json".to_owned(),
        message: if path.is_empty() || path == "." {
            format!("{what} (column {column})")
        } else {
            format!("{what} at {path} (column {column})")
        },
    };
    let category = |e: &serde_json::Error| match e.classify() {
        serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
            "the line is not one JSON object"
        }
        serde_json::error::Category::Data => {
            "a field is missing, unknown, or holds a value of the wrong kind"
        }
        serde_json::error::Category::Io => "the line could not be read",
    };
    let mut de = serde_json::Deserializer::from_slice(text);
    let case: LegacyCase = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        refuse(category(&inner), path, inner.column())
    })?;
    de.end()
        .map_err(|e| refuse(category(&e), String::new(), e.column()))?;
    Ok(case)
}

fn well_formed_id(id: &str) -> bool {
    !id.is_empty()
        && id.chars().count() <= MAX_LEGACY_ID_CHARS
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ':'))
}

/// A key for a new subject or vault record: a UUIDv7 (the first 48 bits the time in
/// milliseconds, then random bits), so an import's records land at the right-hand edge of
/// their tables' keys rather than at random leaves of them.
fn fresh_key() -> Uuid {
    nrm_domain::ids::time_ordered()
}

/// Decides a legacy case command by command, each at its own time, under `rules`.
/// `attempt` picks the reference's random bits (another is tried when one is taken).
fn decide_case(
    line: u64,
    legacy: &LegacyCase,
    rules: &Rulebook,
    ids: &Ids,
    now: DateTime<Utc>,
    attempt: u32,
) -> Result<NewCase, Refusal> {
    let id = legacy.legacy_id.as_str();
    let refuse_at =
        |step: Option<usize>, e: DomainError| -> Refusal { refusal(line, Some(id), step, &e) };
    if legacy.submitted_at > now {
        return Err(refuse_at(
            None,
            DomainError::refused(
                "legacy-step-in-the-future",
                format!("The submission's time is after the import's ({now})"),
            ),
        ));
    }
    let case_id = CaseId(fresh_key());
    let subject = SubjectId(fresh_key());
    let record = VaultRecordId(fresh_key());
    let submission = match &legacy.submission {
        LegacySubmission::Adult(a) => Submission::Adult(a.clone()),
        LegacySubmission::Child(c) => Submission::Child(c.clone()),
        LegacySubmission::DutyToNotify(d) => Submission::DutyToNotify(d.clone()),
    };
    let personal = submission.personal_details().cloned();
    if let Some(nation) = legacy.submitted_by.nation {
        let org = SubmittingOrganisation {
            nation: Some(nation),
            list_code: legacy.submitted_by.list.as_deref(),
            designated: legacy
                .submitted_by
                .designated_from
                .map(|from| (from, legacy.submitted_by.designated_to)),
        };
        let on = uk_date(legacy.submitted_at);
        match submission {
            Submission::DutyToNotify(_) => rules.check_duty_to_notify_reporter(&org, on),
            Submission::Adult(_) | Submission::Child(_) => rules.check_referrer(&org, on),
        }
        .map_err(|e| refuse_at(None, e))?;
    }
    let submitter = ids.actor(&legacy.submitted_by.actor());
    let submit = Command::Submit(Box::new(Submit {
        submission,
        reference_random: ids.reference_random(id, attempt),
        subject,
        personal_details: record,
        nations: Nations {
            referring_organisation: legacy.submitted_by.nation,
            person: legacy.person_nation,
        },
    }));
    let events = decide(
        &CaseState::Empty,
        &submit,
        submitter,
        rules,
        legacy.submitted_at,
    )
    .map_err(|e| refuse_at(None, e))?;
    let reference = match events.first() {
        Some(CaseEvent::ReferralSubmitted(e)) => e.reference.clone(),
        Some(CaseEvent::DutyToNotifyReported(e)) => e.reference.clone(),
        _ => {
            return Err(refuse_at(
                None,
                DomainError::refused("no-submission", "The submission made no event"),
            ));
        }
    };
    let (new_subjects, vault_writes) = match personal {
        Some(details) => (
            vec![subject],
            vec![VaultWrite {
                record,
                subject,
                content: VaultContent::PersonalDetails(details),
            }],
        ),
        None => (Vec::new(), Vec::new()),
    };
    let mut state = CaseState::from_events(&events);
    let mut steps = vec![ImportStep {
        events,
        actor: submitter,
        recorded_at: legacy.submitted_at,
        new_subjects,
        vault_writes,
    }];
    let mut last = legacy.submitted_at;
    for (n, step) in legacy.steps.iter().enumerate() {
        let refuse = |e: DomainError| refusal(line, Some(id), Some(n), &e);
        if step.at < last {
            return Err(refuse(DomainError::refused(
                "legacy-steps-out-of-order",
                format!(
                    "Step {n} was recorded before the step or submission before it: steps are given oldest first"
                ),
            )));
        }
        if step.at > now {
            return Err(refuse(DomainError::refused(
                "legacy-step-in-the-future",
                format!("Step {n} is recorded after the import's time ({now})"),
            )));
        }
        last = step.at;
        let actor = ids.actor(&step.by);
        let reasons_record = VaultRecordId(fresh_key());
        let (command, reasons) = command_for(&step.what, id, ids, reasons_record);
        if let Some(text) = reasons {
            let mut problems = Vec::new();
            if text.trim().is_empty() {
                problems.push(FieldProblem::new(
                    format!("/steps/{n}/do/reasons"),
                    "Enter the reasons",
                ));
            }
            nrm_domain::personal::too_long(
                text,
                MAX_NARRATIVE_CHARS,
                &format!("/steps/{n}/do/reasons"),
                &mut problems,
            );
            if !problems.is_empty() {
                return Err(refuse(DomainError::Invalid(problems)));
            }
        }
        check_panel(&step.what, &state, rules, ids, n).map_err(refuse)?;
        let events = decide(&state, &command, actor, rules, step.at).map_err(|e| match e {
            DomainError::Invalid(problems) => refuse(DomainError::Invalid(
                problems
                    .into_iter()
                    .map(|p| FieldProblem::new(format!("/steps/{n}/do{}", p.field), p.message))
                    .collect(),
            )),
            other => refuse(other),
        })?;
        if events.is_empty() {
            continue;
        }
        let vault_writes = match (reasons, &state) {
            (Some(text), CaseState::Referral(r)) => vec![VaultWrite {
                record: reasons_record,
                subject: r.subject,
                content: VaultContent::DecisionReasons {
                    text: DecisionReasons(text.to_owned()),
                },
            }],
            _ => Vec::new(),
        };
        state = CaseState::from_events(steps.iter().flat_map(|s| &s.events).chain(&events));
        steps.push(ImportStep {
            events,
            actor,
            recorded_at: step.at,
            new_subjects: Vec::new(),
            vault_writes,
        });
    }
    // An open referral ends with the deadline flags the sweep would leave today, so the
    // queue shows it as the live service would.
    if let CaseState::Referral(_) = state {
        let sweep = Command::Lifecycle(LifecycleCommand::SweepDeadlines);
        let at = now.max(last);
        if let Ok(events) = decide(&state, &sweep, Actor::SYSTEM, rules, at)
            && !events.is_empty()
        {
            steps.push(ImportStep {
                events,
                actor: Actor::SYSTEM,
                recorded_at: at,
                new_subjects: Vec::new(),
                vault_writes: Vec::new(),
            });
        }
    }
    Ok(NewCase {
        case_id,
        reference,
        steps,
        import_key: Some(ids.import_key(id)),
    })
}

/// A devolved pilot panel's decision names its panel, checked against the rules of the
/// decision's date; nobody else's decision names one.
fn check_panel(
    what: &LegacyCommand,
    state: &CaseState,
    rules: &Rulebook,
    ids: &Ids,
    n: usize,
) -> Result<(), DomainError> {
    let (panel, decided_on) = match what {
        LegacyCommand::ReasonableGrounds {
            panel, decided_on, ..
        }
        | LegacyCommand::ConclusiveGrounds {
            panel, decided_on, ..
        } => (panel, *decided_on),
        _ => return Ok(()),
    };
    let pilot = matches!(state, CaseState::Referral(r)
        if r.competent_authority == CompetentAuthority::LocalAuthorityPanel);
    let member = |m: &LegacyPilotMember| PilotPanelMember {
        user: ids.user(&m.user),
        agency: m.agency,
        lead_social_worker: m.lead_social_worker,
    };
    match (pilot, panel) {
        (true, Some(p)) => rules.check_pilot_panel(
            &PilotPanel {
                chair: member(&p.chair),
                members: p.members.iter().map(member).collect(),
            },
            decided_on,
        ),
        (true, None) => Err(DomainError::refused(
            "pilot-panel-composition",
            "A devolved pilot panel's decision names the panel that made it: its chair and members, with their agencies",
        )),
        (false, Some(_)) => Err(invalid(
            format!("/steps/{n}/do/panel"),
            "Only a devolved pilot panel's decision names a panel",
        )),
        (false, None) => Ok(()),
    }
}

/// The live command a legacy step stands for, and its written reasons if it has any.
fn command_for<'a>(
    what: &'a LegacyCommand,
    legacy_id: &str,
    ids: &Ids,
    reasons: VaultRecordId,
) -> (Command, Option<&'a str>) {
    use LegacyCommand as W;
    use LifecycleCommand as L;
    let lifecycle = |c: L| Command::Lifecycle(c);
    let decision =
        |outcome: &Outcome, decided_on: &NaiveDate, negative: &Option<NegativeReason>| Decision {
            outcome: *outcome,
            decided_on: *decided_on,
            reasons,
            negative_reason: *negative,
        };
    let reviewer = |r: &LegacyReviewer| Reviewer {
        user: ids.user(&r.user),
        agency: r.agency.clone(),
    };
    match what {
        W::ReasonableGrounds {
            outcome,
            decided_on,
            reasons: text,
            negative_reason,
            ..
        } => (
            Command::DecideReasonableGrounds(decision(outcome, decided_on, negative_reason)),
            Some(text),
        ),
        W::ConclusiveGrounds {
            outcome,
            decided_on,
            reasons: text,
            negative_reason,
            ..
        } => (
            Command::DecideConclusiveGrounds(decision(outcome, decided_on, negative_reason)),
            Some(text),
        ),
        W::Rerouted {
            to,
            pilot_site,
            reason,
        } => (
            lifecycle(L::Reroute {
                to: *to,
                pilot_site: pilot_site.clone(),
                reason: *reason,
            }),
            None,
        ),
        W::Allocated { to } => (lifecycle(L::Allocate { to: ids.user(to) }), None),
        W::InformationRequested { request, from } => (
            lifecycle(L::RequestInformation {
                request: ids.request(legacy_id, request),
                from: *from,
            }),
            None,
        ),
        W::InformationReceived {
            request,
            received_on,
        } => (
            lifecycle(L::RecordInformationReceived {
                request: ids.request(legacy_id, request),
                received_on: *received_on,
            }),
            None,
        ),
        W::RecoveryPeriodExtended { until } => {
            (lifecycle(L::ExtendRecoveryPeriod { until: *until }), None)
        }
        W::Disqualified {
            ground,
            decided_on,
            reasons: text,
        } => (
            lifecycle(L::Disqualify {
                ground: *ground,
                decided_on: *decided_on,
                reasons,
            }),
            Some(text),
        ),
        W::Reviewed {
            decision,
            outcome,
            reviewer_agency,
            reviewed_on,
            reasons: text,
            panel,
        } => (
            lifecycle(L::ReviewNegativeDecision {
                decision: *decision,
                outcome: *outcome,
                panel: panel.as_ref().map(|p| ReviewPanel {
                    chair: reviewer(&p.chair),
                    members: p.members.iter().map(reviewer).collect(),
                }),
                reviewer_agency: reviewer_agency.clone(),
                reviewed_on: *reviewed_on,
                reasons,
            }),
            Some(text),
        ),
        W::Served {
            decision,
            served_on,
            legal_representative,
        } => (
            lifecycle(L::ServeDecision {
                decision: *decision,
                served_on: *served_on,
                legal_representative: *legal_representative,
            }),
            None,
        ),
        W::ReconsiderationRequested {
            decision,
            requested_on,
            requested_by,
            facing_removal,
        } => (
            lifecycle(L::RequestReconsideration {
                decision: *decision,
                requested_on: *requested_on,
                requested_by: *requested_by,
                facing_removal: *facing_removal,
            }),
            None,
        ),
        W::ReconsiderationDecided {
            accepted,
            decided_on,
            reasons: text,
        } => (
            lifecycle(L::DecideReconsideration {
                accepted: *accepted,
                decided_on: *decided_on,
                reasons,
            }),
            Some(text),
        ),
        W::Withdrawn { on, reason } => (
            lifecycle(L::Withdraw {
                on: *on,
                reason: *reason,
            }),
            None,
        ),
        W::Suspended { on, reason } => (
            lifecycle(L::Suspend {
                on: *on,
                reason: *reason,
            }),
            None,
        ),
        W::Resumed { on } => (lifecycle(L::Resume { on: *on }), None),
        W::Closed { on, reason } => (
            lifecycle(L::Close {
                on: *on,
                reason: *reason,
            }),
            None,
        ),
    }
}

/// Reads one line (without its newline) into `buf`, at most [`MAX_LINE_BYTES`]; a longer
/// line is skipped to its end and reported as `Ok(Some(false))`. `Ok(None)` at the end.
fn read_line(input: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<Option<bool>> {
    use std::io::Read as _;
    buf.clear();
    let limit = MAX_LINE_BYTES as u64 + 1;
    let n = input.by_ref().take(limit).read_until(b'\n', buf)?;
    if n == 0 {
        return Ok(None);
    }
    if buf.last() == Some(&b'\n') {
        buf.pop();
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
        return Ok(Some(true));
    }
    if buf.len() <= MAX_LINE_BYTES {
        return Ok(Some(true)); // the last line, without a newline
    }
    // Too long: skip the rest of it without keeping it.
    loop {
        let available = input.fill_buf()?;
        if available.is_empty() {
            break;
        }
        match available.iter().position(|b| *b == b'\n') {
            Some(at) => {
                input.consume(at + 1);
                break;
            }
            None => {
                let len = available.len();
                input.consume(len);
            }
        }
    }
    buf.clear();
    Ok(Some(false))
}

/// Counts bytes as they are read, for the progress bar.
struct Counted<R> {
    inner: R,
    read: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: BufRead> std::io::Read for Counted<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(out)?;
        self.read
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.read
            .fetch_add(amt as u64, std::sync::atomic::Ordering::Relaxed);
        self.inner.consume(amt);
    }
}

/// Leaves out of `chunk` the cases whose legacy id an earlier run (or an earlier chunk already
/// written) imported, counting them as present, so they are neither sealed nor sent. A case
/// written after this look (by the chunk just before, or by a concurrent run) is still
/// refused by the store's unique import key, and its batch written case by case.
fn leave_out_present(
    store: &Store,
    runtime: &tokio::runtime::Handle,
    chunk: &mut Chunk,
) -> Result<(), StoreError> {
    let keys: Vec<Uuid> = chunk
        .cases
        .iter()
        .filter_map(|d| d.case.import_key)
        .collect();
    let present = runtime.block_on(store.imported_keys(&keys))?;
    if !present.is_empty() {
        let before = chunk.cases.len();
        chunk
            .cases
            .retain(|d| d.case.import_key.is_none_or(|key| !present.contains(&key)));
        chunk.present += (before - chunk.cases.len()) as u64;
    }
    Ok(())
}

/// The ICTG referral check the sweep's catch-up would record for an imported case (an open
/// child case needing no guardian referral: `adult` by now, or `not_covered` on its
/// referral's date), decided while the import holds the date of birth in plaintext, so the
/// catch-up after the import reads and decrypts only the cases it refers. `None`: not a case
/// for it, or a referral is due (the catch-up makes it).
fn guardian_check(case: &NewCase, rules: &ChildrenRules, today: NaiveDate) -> Option<&'static str> {
    let events = || case.steps.iter().flat_map(|step| &step.events);
    let first = events().next();
    // Most cases are adults': passed over without folding their events.
    if !matches!(first, Some(CaseEvent::ReferralSubmitted(e)) if e.age_group == AgeGroup::Child) {
        return None;
    }
    let state = CaseState::from_events(events());
    let born = birth_record(&state, first).and_then(|(_, record)| {
        case.steps
            .iter()
            .flat_map(|step| &step.vault_writes)
            .find(|w| w.record == record)
            .and_then(|write| birth_date(&write.content))
    });
    match guardian_due(first, &state, born, rules, today) {
        GuardianDue::NoneDue(why) => Some(why),
        GuardianDue::NotForIt | GuardianDue::Refer(_) => None,
    }
}

/// The reading thread: lines to decided, sealed batches.
fn read_chunks(
    input: impl BufRead,
    (rules, children): (Rulebook, ChildrenRules),
    (store, runtime): (Store, tokio::runtime::Handle),
    now: DateTime<Utc>,
    batch: usize,
    sender: tokio::sync::mpsc::Sender<Result<Chunk, String>>,
) {
    let read = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let mut input = Counted {
        inner: input,
        read: read.clone(),
    };
    let ids = Ids {
        key: store.master_key().clone(),
    };
    let mut line_no = 0u64;
    let mut buf = Vec::new();
    let mut in_chunk: std::collections::HashSet<Uuid> = std::collections::HashSet::new();
    let mut chunk = Chunk::default();
    let today = uk_date(now);
    let send = |mut chunk: Chunk| -> bool {
        if !chunk.cases.is_empty() {
            chunk.prepared = Some(
                leave_out_present(&store, &runtime, &mut chunk).and_then(|()| {
                    let checks: Vec<(CaseId, &'static str)> = chunk
                        .cases
                        .iter()
                        .filter_map(|d| {
                            guardian_check(&d.case, &children, today)
                                .map(|why| (d.case.case_id, why))
                        })
                        .collect();
                    let mut prepared = store.prepare_import(chunk.cases.iter().map(|d| &d.case))?;
                    prepared.record_guardian_checks(&checks, now)?;
                    Ok(prepared)
                }),
            );
        }
        chunk.bytes = read.load(std::sync::atomic::Ordering::Relaxed);
        sender.blocking_send(Ok(chunk)).is_ok()
    };
    loop {
        let more = match read_line(&mut input, &mut buf) {
            Ok(more) => more,
            Err(e) => {
                let _ = sender.blocking_send(Err(format!(
                    "the input could not be read after line {line_no}: {}",
                    e.kind()
                )));
                return;
            }
        };
        let Some(within_limit) = more else { break };
        line_no += 1;
        if buf.iter().all(u8::is_ascii_whitespace) && within_limit {
            continue;
        }
        chunk.lines += 1;
        let decided = if within_limit {
            parse_line(line_no, &buf).and_then(|legacy| {
                if !well_formed_id(&legacy.legacy_id) {
                    return Err(refusal(
                        line_no,
                        None,
                        None,
                        &invalid(
                            "/legacy_id".to_owned(),
                            "The legacy id must be 1 to 64 letters, digits or -_./:",
                        ),
                    ));
                }
                let case = decide_case(line_no, &legacy, &rules, &ids, now, 0)?;
                Ok(Decided {
                    line: line_no,
                    legacy,
                    case,
                })
            })
        } else {
            Err(Refusal {
                line: line_no,
                legacy_id: None,
                step: None,
                rule: "line-too-long".to_owned(),
                message: format!("The line is longer than {MAX_LINE_BYTES} bytes"),
            })
        };
        match decided {
            // A legacy id an earlier line of this chunk had (a set: a chunk holds thousands).
            Ok(d) if !in_chunk.insert(d.case.import_key.unwrap_or_default()) => {
                chunk.repeated += 1;
            }
            Ok(d) => chunk.cases.push(d),
            Err(r) => chunk.refusals.push(r),
        }
        if chunk.cases.len() >= batch || chunk.refusals.len() >= batch {
            in_chunk.clear();
            if !send(std::mem::take(&mut chunk)) {
                return;
            }
        }
    }
    send(chunk);
}

impl Cases {
    /// Imports legacy cases from JSON Lines (`docs/legacy-import.md`), each step decided by
    /// the rules of its own date. `now` is the import's time (no step may be later).
    /// `progress` is called after each batch with the running totals (bytes read included);
    /// `refused` with each refused line as it is found. Fails (after writing what was written
    /// before) only if the input cannot be read, the database fails, or an audit entry cannot
    /// be written.
    pub async fn import_legacy<R>(
        &self,
        capability: &Capability,
        input: R,
        now: DateTime<Utc>,
        progress: impl FnMut(&ImportReport),
        refused: impl FnMut(&Refusal),
    ) -> Result<ImportReport, ServiceError>
    where
        R: BufRead + Send + 'static,
    {
        self.import_legacy_as(capability, ImportMode::Live, input, now, progress, refused)
            .await
    }

    /// [`Cases::import_legacy`] in either [`ImportMode`].
    pub async fn import_legacy_as<R>(
        &self,
        capability: &Capability,
        mode: ImportMode,
        input: R,
        now: DateTime<Utc>,
        mut progress: impl FnMut(&ImportReport),
        mut refused: impl FnMut(&Refusal),
    ) -> Result<ImportReport, ServiceError>
    where
        R: BufRead + Send + 'static,
    {
        if capability.operation() != Operation::ImportLegacyCases {
            return Err(ServiceError::NotFound);
        }
        let actor = capability.actor();
        let mut report = ImportReport {
            run: Uuid::new_v4(),
            ..ImportReport::default()
        };
        let run = ImportRun {
            actor,
            label: format!("import:{}", report.run),
            now,
        };
        let (sender, mut receiver) = tokio::sync::mpsc::channel(1);
        // The guardian service's rules, which its catch-up after the import goes by too.
        let children = *self.guardians().rules();
        let (rules, store) = (self.rules().clone(), self.store().clone());
        let batch = mode.batch();
        let runtime = tokio::runtime::Handle::current();
        let reader = std::thread::spawn(move || {
            read_chunks(
                input,
                (rules, children),
                (store, runtime),
                now,
                batch,
                sender,
            )
        });
        let mut outcome: Result<(), ServiceError> = Ok(());
        let writer = match mode {
            ImportMode::Live => self.store().import_writer().await,
            ImportMode::BeforeGoLive => self.store().offline_import_writer().await,
        };
        let mut writer = match writer {
            Ok(writer) => Some(writer),
            Err(e) => {
                outcome = Err(e.into());
                None
            }
        };
        while let Some(writer) = writer.as_mut()
            && let Some(chunk) = receiver.recv().await
        {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(message) => {
                    outcome = Err(ServiceError::Store(StoreError::Corrupt(message)));
                    break;
                }
            };
            if let Err(e) = self
                .import_chunk(writer, &run, chunk, &mut report, &mut refused)
                .await
            {
                outcome = Err(e);
                break;
            }
            progress(&report);
        }
        drop(receiver);
        let _ = reader.join();
        if let Some(writer) = writer {
            let closed = writer.finish().await;
            if outcome.is_ok() {
                outcome = closed.map_err(ServiceError::from);
            }
        }
        if outcome.is_ok() && report.imported > 0 {
            tracing::debug!("import written: folding the queue's counts");
            outcome = self
                .store()
                .fold_queue_counts()
                .await
                .map(|_| ())
                .map_err(ServiceError::from);
        }
        // An imported child's case in an area the ICTG service covered on its referral's
        // date gets its guardian referral, as the intake would have made it (the sweep turn
        // makes any this misses).
        if outcome.is_ok() && report.imported > 0 {
            tracing::debug!("import written: referring open child cases to the guardian service");
            outcome = self.refer_missing_guardians(actor, now).await.map(|n| {
                report.guardian_referrals = u64::try_from(n).unwrap_or(u64::MAX);
            });
        }
        let code = crate::outcome_code(&outcome);
        let summary = run.entry(
            code,
            format!(
                "lines:{}:imported:{}:present:{}:refused:{}",
                report.lines, report.imported, report.already_present, report.refused
            ),
        );
        self.store().audit(&summary, now).await?;
        outcome.map(|()| report)
    }

    /// Writes a chunk's cases and its audit entries (the batch's, then each refused line's)
    /// in one transaction; a batch that clashes with cases already there is written case by
    /// case instead, and its entries after it.
    async fn import_chunk(
        &self,
        writer: &mut ImportWriter,
        run: &ImportRun,
        chunk: Chunk,
        report: &mut ImportReport,
        refused: &mut impl FnMut(&Refusal),
    ) -> Result<(), ServiceError> {
        report.lines += chunk.lines;
        report.bytes = chunk.bytes;
        report.already_present += chunk.repeated + chunk.present;
        let mut refusals = chunk.refusals;
        refusals.sort_by_key(|r| r.line);
        let (first, last) = match (chunk.cases.first(), chunk.cases.last()) {
            (Some(f), Some(l)) => (f.line, l.line),
            _ => (0, 0),
        };
        let entries =
            |written: u64, refusals: &[Refusal]| -> Vec<AuditRecord> {
                let batch = (written > 0).then(|| {
                    run.entry(
                        "ok".to_owned(),
                        format!("lines:{first}-{last}:cases:{written}"),
                    )
                });
                batch
                    .into_iter()
                    .chain(refusals.iter().map(|r| {
                        run.entry(format!("refused:{}", r.rule), format!("line:{}", r.line))
                    }))
                    .collect()
            };
        let prepared = match chunk.prepared {
            None => PreparedImport::default(),
            Some(Ok(prepared)) => prepared,
            Some(Err(e)) => return Err(e.into()),
        };
        let cases = chunk.cases.len() as u64;
        let written = match writer
            .write(prepared, &entries(cases, &refusals), run.now)
            .await
        {
            Ok(()) => cases,
            // Some case of the batch is there already (imported before), or a reference is
            // taken: sort it out case by case, then record what was done.
            Err(StoreError::VersionConflict { .. } | StoreError::DuplicateReference) => {
                let written = self
                    .import_clashed(chunk.cases, run.now, report, &mut refusals)
                    .await?;
                refusals.sort_by_key(|r| r.line);
                writer
                    .write(
                        PreparedImport::default(),
                        &entries(written, &refusals),
                        run.now,
                    )
                    .await?;
                written
            }
            Err(e) => return Err(e.into()),
        };
        report.imported += written;
        for r in &refusals {
            report.refused += 1;
            refused(r);
        }
        Ok(())
    }

    /// Writes a batch that clashed: each half as a batch of its own, and only a half that
    /// clashes again split further, down to [`CLASH_CASES`] cases, written case by case
    /// ([`Self::import_one_by_one`]). One reference drawn twice in a batch of thousands (at a
    /// million cases a few such draws are to be expected) costs a few dozen batch writes
    /// instead of a durable transaction and a lookup for every case of the batch. Returns
    /// how many were written.
    async fn import_clashed(
        &self,
        mut cases: Vec<Decided>,
        now: DateTime<Utc>,
        report: &mut ImportReport,
        refusals: &mut Vec<Refusal>,
    ) -> Result<u64, ServiceError> {
        if cases.len() <= CLASH_CASES {
            return self.import_one_by_one(cases, now, report, refusals).await;
        }
        let second = cases.split_off(cases.len() / 2);
        let mut written = 0;
        for half in [cases, second] {
            let prepared = self.store().prepare_import(half.iter().map(|d| &d.case))?;
            match self.store().write_import(prepared).await {
                Ok(()) => written += half.len() as u64,
                Err(StoreError::VersionConflict { .. } | StoreError::DuplicateReference) => {
                    written += Box::pin(self.import_clashed(half, now, report, refusals)).await?;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(written)
    }

    /// Writes a batch that clashed, case by case: a case already there is counted as present;
    /// a reference another case holds is drawn again. Returns how many were written.
    async fn import_one_by_one(
        &self,
        cases: Vec<Decided>,
        now: DateTime<Utc>,
        report: &mut ImportReport,
        refusals: &mut Vec<Refusal>,
    ) -> Result<u64, ServiceError> {
        let ids = Ids {
            key: self.store().master_key().clone(),
        };
        let mut written = 0;
        for d in cases {
            let mut case = d.case;
            let mut attempt = 0;
            loop {
                let present = match case.import_key {
                    Some(key) => !self.store().imported_keys(&[key]).await?.is_empty(),
                    None => self.store().version(case.case_id).await?.is_some(),
                };
                if present {
                    report.already_present += 1;
                    break;
                }
                match self.store().import_cases(std::slice::from_ref(&case)).await {
                    Ok(()) => {
                        written += 1;
                        break;
                    }
                    // Written meanwhile by another import of the same id.
                    Err(StoreError::VersionConflict { .. }) => {
                        report.already_present += 1;
                        break;
                    }
                    Err(StoreError::DuplicateReference) if attempt + 1 < REFERENCE_ATTEMPTS => {
                        attempt += 1;
                        match decide_case(d.line, &d.legacy, self.rules(), &ids, now, attempt) {
                            Ok(again) => case = again,
                            Err(r) => {
                                refusals.push(r);
                                break;
                            }
                        }
                    }
                    Err(StoreError::DuplicateReference) => {
                        refusals.push(refusal(
                            d.line,
                            Some(&d.legacy.legacy_id),
                            None,
                            &DomainError::refused(
                                "reference-clash",
                                "Every case reference tried for this case is held by another case",
                            ),
                        ));
                        break;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A child's case as an import line would decide it: referred on `on` in the police force
    /// area `police`, born on `born`.
    fn imported_child(on: NaiveDate, police: &str, born: NaiveDate) -> NewCase {
        let mut child = nrm_domain::fixtures::child_referral();
        child.victim.date_of_birth = Some(born);
        child.local_authority_area = None;
        child.exploitation.period.started_on = on.checked_sub_days(chrono::Days::new(200));
        child.exploitation.period.ended_on = on.checked_sub_days(chrono::Days::new(10));
        child.exploitation.location.police_force_areas =
            nrm_domain::geography::PoliceForceArea::parse(police)
                .into_iter()
                .collect();
        let line = serde_json::json!({
            "legacy_id": format!("child-{police}-{born}"),
            "submitted_at": format!("{on}T10:00:00Z"),
            "submitted_by": {"user": "pc-101", "organisation": "legacy-police"},
            "submission": {"kind": "child", "details": child},
            "steps": [],
        })
        .to_string();
        let ids = Ids {
            key: MasterKey::from_bytes("test", &[7; 32]),
        };
        let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 12, 1, 12, 0, 0)
            .single()
            .unwrap_or_default();
        parse_line(1, line.as_bytes())
            .and_then(|legacy| decide_case(1, &legacy, &Rulebook::current(), &ids, now, 0))
            .unwrap_or_else(|r| panic!("refused: {r:?}"))
    }

    #[test]
    fn an_import_decides_the_guardian_checks_the_catch_up_would_record() {
        let rules = ChildrenRules::current();
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default();
        let on = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap_or_default();
        let young = NaiveDate::from_ymd_opt(2012, 5, 1).unwrap_or_default();
        // Covered on the day, and still a child: the catch-up refers it, nothing recorded.
        let covered = imported_child(on, "west-midlands", young);
        assert_eq!(guardian_check(&covered, &rules, today), None);
        // No guardian service there then.
        let kent = imported_child(on, "kent", young);
        assert_eq!(guardian_check(&kent, &rules, today), Some("not_covered"));
        // 17 when referred and 18 by the import, wherever it was.
        let grown = NaiveDate::from_ymd_opt(2008, 9, 1).unwrap_or_default();
        let adult = imported_child(on, "west-midlands", grown);
        assert_eq!(guardian_check(&adult, &rules, today), Some("adult"));
        // 18 tomorrow: a child today.
        let tomorrow = NaiveDate::from_ymd_opt(2008, 12, 2).unwrap_or_default();
        let almost = imported_child(on, "west-midlands", tomorrow);
        assert_eq!(guardian_check(&almost, &rules, today), None);
    }

    #[test]
    fn a_json_error_names_the_place_not_the_value() {
        let line = br#"{"legacy_id":"A-1","submitted_at":"2016-01-01T10:00:00Z","submitted_by":{"user":"u","organisation":"o"},"submission":{"kind":"adult","details":{"victim":{"given_names":"SECRETNAME"}}}}"#;
        let r = parse_line(7, line)
            .err()
            .unwrap_or_else(|| panic!("parsed"));
        assert_eq!(r.line, 7);
        assert_eq!(r.rule, "invalid-json");
        assert!(!r.message.contains("SECRETNAME"), "{}", r.message);
        assert!(r.message.contains("submission"), "{}", r.message);
        let r = parse_line(8, b"{\"legacy_id\": \"SECRET").err();
        assert!(r.is_some_and(|r| !r.message.contains("SECRET")));
        let r = parse_line(9, br#"{"legacy_id":"SECRETVALUE","oops":1}"#).err();
        assert!(r.is_some_and(|r| !r.message.contains("SECRETVALUE")));
    }

    #[test]
    fn long_lines_are_skipped_to_their_end() {
        let mut text = vec![b'x'; MAX_LINE_BYTES + 10];
        text.extend_from_slice(b"\nnext\nlast");
        let mut input = std::io::Cursor::new(text);
        let mut buf = Vec::new();
        assert_eq!(read_line(&mut input, &mut buf).ok(), Some(Some(false)));
        assert_eq!(read_line(&mut input, &mut buf).ok(), Some(Some(true)));
        assert_eq!(buf, b"next");
        assert_eq!(read_line(&mut input, &mut buf).ok(), Some(Some(true)));
        assert_eq!(buf, b"last");
        assert_eq!(read_line(&mut input, &mut buf).ok(), Some(None));
    }

    #[test]
    fn legacy_ids_are_short_and_plain() {
        assert!(well_formed_id("NRM/2016/0001"));
        assert!(!well_formed_id(""));
        assert!(!well_formed_id("Jane Smith"));
        assert!(!well_formed_id(&"a".repeat(65)));
    }
}
