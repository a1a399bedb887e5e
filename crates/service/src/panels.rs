//! The children's pathway use cases (issue 13 items 2 to 4): a devolved pilot panel's
//! meetings, papers and decisions; the Single Competent Authority's quality assurance of them
//! and its queue; age assessments; the child-friendly decision letter. Every method takes a
//! capability and writes its audit entry (a change in its own transaction, a refusal or a read
//! after it, failing closed). Written reasons and the assessed date of birth go to the vault.

use chrono::{DateTime, NaiveDate, Utc};
use nrm_access::{Capability, CaseCapability, CaseOperation, Operation};
use nrm_domain::case::CaseState;
use nrm_domain::children::age::{AgeAssessor, AgeFinding, RecordAgeAssessment};
use nrm_domain::children::letter::{ChildLetter, Language, child_letter};
use nrm_domain::children::panel::{ChecklistItem, PanelCommand};
use nrm_domain::children::panel_work::{
    MeetingRecord, PanelStage, Quorum, meeting_records, panel_stage,
};
use nrm_domain::clock::uk_date;
use nrm_domain::command::{Command, Decision, LifecycleCommand, decide};
use nrm_domain::event::{CompetentAuthority, DecisionRef, NegativeReason, Outcome};
use nrm_domain::ids::{CaseId, UserId, VaultRecordId};
use nrm_domain::personal::{DecisionReasons, MAX_NARRATIVE_CHARS, VaultContent};
use nrm_domain::rules::PilotPanelMember;
use nrm_domain::{Actor, DomainError, FieldProblem};
use nrm_store::{Append, QueuePage, QueueQuery, VaultWrite};
use rand::Rng;
use uuid::Uuid;

use crate::{Cases, ServiceError, allowed};

/// A panel meeting to convene.
#[derive(Debug, Clone)]
pub struct ConveneInput {
    /// The meeting's id when the caller chose it (an API client, so it can name the meeting
    /// in the papers and decision that follow); else one is made.
    pub meeting: Option<Uuid>,
    pub meets_on: NaiveDate,
    pub chair: PilotPanelMember,
    pub members: Vec<PilotPanelMember>,
}

/// Who attended a meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Present {
    /// These people (the chair and members present).
    These(Vec<UserId>),
    /// Everyone on the panel except, when `chair` is set, the chair, and the members from
    /// these agencies (the pages ask per agency).
    AllExcept {
        chair: bool,
        agencies: Vec<nrm_domain::rules::PanelAgency>,
    },
}

/// A panel's decision as recorded at its meeting.
#[derive(Debug, Clone)]
pub struct PanelDecisionInput {
    pub meeting: Uuid,
    pub decision: DecisionRef,
    pub outcome: Outcome,
    pub negative_reason: Option<NegativeReason>,
    pub reasons: String,
    pub present: Present,
}

/// A meeting as a page lists it.
#[derive(Debug, Clone)]
pub struct MeetingChoice {
    pub meeting: Uuid,
    pub meets_on: NaiveDate,
}

/// An account a panel can name as a member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanelAccount {
    pub id: UserId,
    pub email: String,
}

/// The SCA's quality assurance of a pilot panel's decision.
#[derive(Debug, Clone)]
pub struct AssuranceInput {
    pub decision: DecisionRef,
    pub outcome: nrm_domain::event::ReviewOutcome,
    pub reviewed_on: NaiveDate,
    pub reasons: String,
}

/// An age assessment as recorded.
#[derive(Debug, Clone)]
pub struct AgeAssessmentInput {
    pub assessed_on: NaiveDate,
    pub assessed_by: AgeAssessor,
    pub finding: AgeFinding,
    pub date_of_birth: NaiveDate,
    /// For a child: the pilot site code of the area they live in, if it is one.
    pub local_authority_area: Option<String>,
    pub reasons: String,
}

fn reasons_problems(text: &str, problems: &mut Vec<FieldProblem>) {
    if text.trim().is_empty() {
        problems.push(FieldProblem::new("/reasons", "Enter the reasons"));
    }
    nrm_domain::personal::too_long(text, MAX_NARRATIVE_CHARS, "/reasons", problems);
}

impl Cases {
    /// Decides `command` against the case and appends its events with `writes` sealed in the
    /// vault under the person's subject, in one transaction with the audit entry.
    #[expect(clippy::too_many_arguments, reason = "the parts of one command")]
    async fn run_with_vault(
        &self,
        actor: Actor,
        action: &str,
        case_id: CaseId,
        expected_version: Option<u64>,
        mut problems: Vec<FieldProblem>,
        writes: Vec<(VaultRecordId, VaultContent)>,
        command: Command,
        now: DateTime<Utc>,
    ) -> Result<u64, ServiceError> {
        let loaded = self
            .store()
            .load(case_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        if let Some(expected) = expected_version
            && expected != loaded.version
        {
            return Err(ServiceError::Conflict {
                actual: loaded.version,
            });
        }
        let state = CaseState::from_events(loaded.events.iter().map(|e| &e.event));
        let events = match decide(&state, &command, actor, self.rules(), now) {
            Ok(events) if problems.is_empty() => events,
            Ok(_) => return Err(DomainError::Invalid(problems).into()),
            Err(DomainError::Invalid(more)) => {
                problems.extend(more);
                return Err(DomainError::Invalid(problems).into());
            }
            Err(_) if !problems.is_empty() => return Err(DomainError::Invalid(problems).into()),
            Err(e) => return Err(e.into()),
        };
        let CaseState::Referral(r) = &state else {
            return Err(ServiceError::NotFound);
        };
        let writes: Vec<VaultWrite> = writes
            .into_iter()
            .map(|(record, content)| VaultWrite {
                record,
                subject: r.subject,
                content,
            })
            .collect();
        let version = self
            .store()
            .append(Append {
                case_id,
                expected_version: loaded.version,
                reference: None,
                events: &events,
                actor,
                recorded_at: now,
                new_subjects: &[],
                vault_writes: &writes,
                audit: Some(&nrm_store::audit::AuditRecord {
                    actor,
                    action: action.to_owned(),
                    case_id: Some(case_id),
                    outcome: "ok".to_owned(),
                    subject: None,
                }),
                draft: None,
            })
            .await?;
        Ok(version)
    }

    /// Convenes a pilot panel's meeting for the case (its local authority's panel members).
    /// Returns the meeting's id and the new version.
    pub async fn convene_panel(
        &self,
        capability: &CaseCapability,
        expected_version: Option<u64>,
        input: ConveneInput,
        now: DateTime<Utc>,
    ) -> Result<(Uuid, u64), ServiceError> {
        let (actor, case_id) = allowed(capability, CaseOperation::Decide)?;
        let meeting = input.meeting.unwrap_or_else(Uuid::new_v4);
        let command = Command::Panel(PanelCommand::Convene {
            meeting,
            meets_on: input.meets_on,
            chair: input.chair,
            members: input.members,
        });
        let result = self
            .run_with_vault(
                actor,
                "panel.convene",
                case_id,
                expected_version,
                Vec::new(),
                Vec::new(),
                command,
                now,
            )
            .await
            .map(|v| (meeting, v));
        self.audit_failure(actor, "panel.convene", Some(case_id), &result, now)
            .await?;
        result
    }

    /// Records the papers prepared for a meeting: the checklist items ticked.
    pub async fn prepare_panel_papers(
        &self,
        capability: &CaseCapability,
        expected_version: Option<u64>,
        meeting: Uuid,
        items: Vec<ChecklistItem>,
        now: DateTime<Utc>,
    ) -> Result<u64, ServiceError> {
        let (actor, case_id) = allowed(capability, CaseOperation::Decide)?;
        let command = Command::Panel(PanelCommand::PreparePapers { meeting, items });
        let result = self
            .run_with_vault(
                actor,
                "panel.papers",
                case_id,
                expected_version,
                Vec::new(),
                Vec::new(),
                command,
                now,
            )
            .await;
        self.audit_failure(actor, "panel.papers", Some(case_id), &result, now)
            .await?;
        result
    }

    /// Records the panel's Reasonable or Conclusive Grounds decision at its meeting, with its
    /// reasons (to the vault) and who attended. The SCA's positive-decision sample is drawn
    /// here.
    pub async fn record_panel_decision(
        &self,
        capability: &CaseCapability,
        expected_version: Option<u64>,
        input: PanelDecisionInput,
        now: DateTime<Utc>,
    ) -> Result<u64, ServiceError> {
        let (actor, case_id) = allowed(capability, CaseOperation::Decide)?;
        let action = match input.decision {
            DecisionRef::ReasonableGrounds => "panel.decision.reasonable_grounds",
            DecisionRef::ConclusiveGrounds => "panel.decision.conclusive_grounds",
        };
        let mut problems = Vec::new();
        reasons_problems(&input.reasons, &mut problems);
        let record = VaultRecordId(nrm_domain::ids::time_ordered());
        let draw: u16 = rand::thread_rng().gen_range(0..1000);
        // The decision date is the meeting's: the domain checks the meeting exists.
        let meeting = self.meeting(case_id, input.meeting).await?;
        let meets_on = meeting.as_ref().map(|m| m.meets_on);
        let present = match input.present {
            Present::These(users) => users,
            Present::AllExcept { chair, agencies } => meeting
                .as_ref()
                .map(|m| {
                    let mut present = Vec::new();
                    if !chair {
                        present.push(m.chair.user);
                    }
                    present.extend(
                        m.members
                            .iter()
                            .filter(|member| !agencies.contains(&member.agency))
                            .map(|member| member.user),
                    );
                    present
                })
                .unwrap_or_default(),
        };
        let command = Command::Panel(PanelCommand::Decide {
            meeting: input.meeting,
            decision: input.decision,
            grounds: Decision {
                outcome: input.outcome,
                decided_on: meets_on.unwrap_or_else(|| uk_date(now)),
                reasons: record,
                negative_reason: input.negative_reason,
            },
            present,
            assurance_draw: draw,
        });
        let result = self
            .run_with_vault(
                actor,
                action,
                case_id,
                expected_version,
                problems,
                vec![(
                    record,
                    VaultContent::DecisionReasons {
                        text: DecisionReasons(input.reasons),
                    },
                )],
                command,
                now,
            )
            .await;
        self.audit_failure(actor, action, Some(case_id), &result, now)
            .await?;
        result
    }

    /// The accounts a multi-agency assurance panel's review can name as its chair and members
    /// (the panels of 2019 to December 2022): every active assurance panel member. Staff, not
    /// the person's details. For whoever may review the case. Audited
    /// (`panel.assurance_accounts`).
    pub async fn assurance_panel_accounts(
        &self,
        capability: &CaseCapability,
        now: DateTime<Utc>,
    ) -> Result<Vec<PanelAccount>, ServiceError> {
        self.accounts_with_role(
            capability,
            CaseOperation::Review,
            nrm_access::Role::PanelMember,
            false,
            "panel.assurance_accounts",
            now,
        )
        .await
    }

    /// The active accounts holding `role` (of the caller's own organisation when
    /// `own_organisation`), for a caller allowed `operation` on the case. Audited as `code`.
    async fn accounts_with_role(
        &self,
        capability: &CaseCapability,
        operation: CaseOperation,
        role: nrm_access::Role,
        own_organisation: bool,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<PanelAccount>, ServiceError> {
        let (actor, case_id) = allowed(capability, operation)?;
        let result = self
            .store()
            .users()
            .await
            .map_err(ServiceError::from)
            .map(|users| {
                users
                    .into_iter()
                    .filter(|u| {
                        (!own_organisation || u.organisation == actor.organisation)
                            && !u.disabled
                            && u.roles
                                .iter()
                                .any(|r| nrm_access::Role::parse(r) == Some(role))
                    })
                    .map(|u| PanelAccount {
                        id: u.id,
                        email: u.email,
                    })
                    .collect()
            });
        self.audit(actor, code, Some(case_id), &result, now).await?;
        result
    }

    async fn meeting(
        &self,
        case_id: CaseId,
        meeting: Uuid,
    ) -> Result<Option<nrm_domain::children::panel::PanelMeeting>, ServiceError> {
        let loaded = self
            .store()
            .load(case_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let state = CaseState::from_events(loaded.events.iter().map(|e| &e.event));
        Ok(match state {
            CaseState::Referral(r) => r
                .panel_meetings
                .iter()
                .find(|m| m.meeting == meeting)
                .cloned(),
            _ => None,
        })
    }

    /// The accounts a panel member may name on their panel: active panel members of their own
    /// local authority. Audited (`panel.accounts`).
    pub async fn panel_accounts(
        &self,
        capability: &CaseCapability,
        now: DateTime<Utc>,
    ) -> Result<Vec<PanelAccount>, ServiceError> {
        self.accounts_with_role(
            capability,
            CaseOperation::Decide,
            nrm_access::Role::LocalAuthorityPanelMember,
            true,
            "panel.accounts",
            now,
        )
        .await
    }

    /// The SCA's quality assurance of a pilot panel's decision: agreed, or returned with
    /// reasons (the panel decides again at a new meeting).
    pub async fn assure_panel_decision(
        &self,
        capability: &CaseCapability,
        expected_version: Option<u64>,
        input: AssuranceInput,
        now: DateTime<Utc>,
    ) -> Result<u64, ServiceError> {
        self.act(
            capability,
            expected_version,
            crate::Action::AssurePanelDecision {
                decision: input.decision,
                outcome: input.outcome,
                reviewed_on: input.reviewed_on,
                reasons: input.reasons,
            },
            now,
        )
        .await
    }

    /// The SCA's assurance queue: pilot panels' decisions held for its quality assurance.
    /// Audited (`panel.assurance_queue`).
    pub async fn assurance_queue(
        &self,
        capability: &Capability,
        mut query: QueueQuery,
        now: DateTime<Utc>,
    ) -> Result<QueuePage, ServiceError> {
        if capability.operation() != Operation::AssurePilotDecisions {
            return Err(ServiceError::NotFound);
        }
        let actor = capability.actor();
        query.competent_authority = Some(CompetentAuthority::LocalAuthorityPanel);
        query.review_pending = Some(true);
        let result = self.store().queue(&query).await.map_err(ServiceError::from);
        self.audit(actor, "panel.assurance_queue", None, &result, now)
            .await?;
        result
    }

    /// Records an age assessment: the assessed date of birth and the reasons to the vault,
    /// the finding and any route change to the case.
    pub async fn record_age_assessment(
        &self,
        capability: &CaseCapability,
        expected_version: Option<u64>,
        input: AgeAssessmentInput,
        now: DateTime<Utc>,
    ) -> Result<u64, ServiceError> {
        let (actor, case_id) = allowed(capability, CaseOperation::Manage)?;
        let action = "case.age_assessment";
        let mut problems = Vec::new();
        reasons_problems(&input.reasons, &mut problems);
        let (dob_record, reasons_record) = (
            VaultRecordId(nrm_domain::ids::time_ordered()),
            VaultRecordId(nrm_domain::ids::time_ordered()),
        );
        let command =
            Command::Lifecycle(LifecycleCommand::RecordAgeAssessment(RecordAgeAssessment {
                assessed_on: input.assessed_on,
                assessed_by: input.assessed_by,
                finding: input.finding,
                date_of_birth: input.date_of_birth,
                date_of_birth_record: dob_record,
                reasons: reasons_record,
                local_authority_area: input.local_authority_area,
            }));
        let result = self
            .run_with_vault(
                actor,
                action,
                case_id,
                expected_version,
                problems,
                vec![
                    (
                        dob_record,
                        VaultContent::AssessedDateOfBirth {
                            date_of_birth: input.date_of_birth,
                        },
                    ),
                    (
                        reasons_record,
                        VaultContent::DecisionReasons {
                            text: DecisionReasons(input.reasons),
                        },
                    ),
                ],
                command,
                now,
            )
            .await;
        self.audit_failure(actor, action, Some(case_id), &result, now)
            .await?;
        result
    }

    /// The child-friendly letter for a served decision on a child's case, for the social
    /// worker or guardian to share (needs the notices capability). Audited
    /// (`case.child_letter`).
    pub async fn child_letter(
        &self,
        capability: &CaseCapability,
        decision: DecisionRef,
        language: Language,
        now: DateTime<Utc>,
    ) -> Result<ChildLetter, ServiceError> {
        let (actor, case_id) = allowed(capability, CaseOperation::ReadNotices)?;
        let result = async {
            let loaded = self
                .store()
                .load(case_id)
                .await?
                .ok_or(ServiceError::NotFound)?;
            let state = CaseState::from_events(loaded.events.iter().map(|e| &e.event));
            let CaseState::Referral(r) = state else {
                return Err(ServiceError::NotFound);
            };
            let record = r
                .decision(decision)
                .filter(|d| d.served_on.is_some())
                .ok_or(ServiceError::NotFound)?;
            if r.age_group != nrm_domain::submission::AgeGroup::Child {
                return Err(ServiceError::NotFound);
            }
            Ok(child_letter(
                decision,
                record.outcome,
                record.decided_on,
                self.rules(),
                language,
            ))
        }
        .await;
        self.audit(actor, "case.child_letter", Some(case_id), &result, now)
            .await?;
        result
    }
}

/// How many of a panel's cases its queue lists at most (a pilot site's caseload is small;
/// past this the page says so).
pub const PANEL_QUEUE_LIMIT: usize = 500;

/// One case in a pilot panel's queue (no personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanelQueueItem {
    pub case_id: CaseId,
    pub reference: String,
    pub referred_on: NaiveDate,
    pub stage: PanelStage,
    /// The decision the panel is to make, if any.
    pub pending: Option<DecisionRef>,
    /// The date of the meeting to come, or of the last meeting.
    pub meeting_on: Option<NaiveDate>,
}

/// A pilot panel's queue: its own local authority's cases, by where they stand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanelQueue {
    pub pilot_site: String,
    pub items: Vec<PanelQueueItem>,
    /// More cases than [`PANEL_QUEUE_LIMIT`].
    pub truncated: bool,
    /// The panel's meeting dates, latest first, with how many cases each had on its agenda.
    pub meetings: Vec<(NaiveDate, usize)>,
}

/// One case on a meeting's agenda, with what the meeting did and the reasons (from the
/// vault).
#[derive(Debug, Clone)]
pub struct AgendaItem {
    pub case_id: CaseId,
    pub reference: String,
    pub record: MeetingRecord,
    pub quorum: Quorum,
    /// Per decision made, in order: the panel's reasons and, when the SCA has assured it,
    /// its reasons (`None` when erased).
    pub reasons: Vec<(Option<String>, Option<String>)>,
}

/// A pilot panel's meeting: the cases on its agenda on the day.
#[derive(Debug, Clone)]
pub struct PanelMeetingView {
    pub pilot_site: String,
    pub meets_on: NaiveDate,
    pub agenda: Vec<AgendaItem>,
    /// The panel accounts' email addresses, for naming members.
    pub names: std::collections::BTreeMap<UserId, String>,
}

impl Cases {
    /// The panel's cases in scope for `principal` (a pilot local authority's panel member),
    /// with their events; `Ok(None)` for anyone else.
    async fn panel_cases(
        &self,
        principal: &nrm_access::Principal,
        now: DateTime<Utc>,
    ) -> Result<
        Option<(
            String,
            Vec<(nrm_store::CaseSummary, Vec<nrm_domain::CaseEvent>)>,
            bool,
        )>,
        ServiceError,
    > {
        let nrm_access::ListScope::PilotPanel(site) = nrm_access::list_scope(principal) else {
            return Ok(None);
        };
        let mut query = QueueQuery::new(uk_date(now));
        query.competent_authority = Some(CompetentAuthority::LocalAuthorityPanel);
        query.pilot_site = Some(site.clone());
        query.sort = nrm_store::QueueSort::ReferredOn;
        query.per_page = 100;
        let mut out = Vec::new();
        let mut truncated = false;
        loop {
            let page = self.store().queue(&query).await?;
            for summary in page.cases {
                if out.len() >= PANEL_QUEUE_LIMIT {
                    truncated = true;
                    break;
                }
                let Some(loaded) = self.store().load(summary.case_id).await? else {
                    continue;
                };
                let events = loaded.events.into_iter().map(|e| e.event).collect();
                out.push((summary, events));
            }
            match page.next {
                Some(next) if !truncated => query.cursor = Some(next),
                _ => break,
            }
        }
        Ok(Some((site, out, truncated)))
    }

    /// A pilot panel's queue: the cases routed to the signed-in panel member's own local
    /// authority, by where each stands (returned by the SCA, to convene, awaiting papers,
    /// awaiting meeting, with the SCA, decided), and its meeting dates. Needs the listing
    /// capability and a pilot panel's list scope. Audited (`panel.queue`).
    pub async fn panel_queue(
        &self,
        capability: &Capability,
        principal: &nrm_access::Principal,
        now: DateTime<Utc>,
    ) -> Result<PanelQueue, ServiceError> {
        if capability.operation() != Operation::ListCases || capability.actor() != principal.actor {
            return Err(ServiceError::NotFound);
        }
        let result = async {
            let (site, cases, truncated) = self
                .panel_cases(principal, now)
                .await?
                .ok_or(ServiceError::NotFound)?;
            let mut items = Vec::new();
            let mut meetings: std::collections::BTreeMap<NaiveDate, usize> =
                std::collections::BTreeMap::new();
            for (summary, events) in cases {
                let CaseState::Referral(r) = CaseState::from_events(&events) else {
                    continue;
                };
                let records = meeting_records(&events);
                let mut dates: Vec<NaiveDate> =
                    records.iter().map(|m| m.meeting.meets_on).collect();
                dates.dedup();
                for d in dates {
                    *meetings.entry(d).or_default() += 1;
                }
                let stage = panel_stage(&r, &records);
                items.push(PanelQueueItem {
                    case_id: summary.case_id,
                    reference: summary.reference,
                    referred_on: summary.referred_on,
                    stage,
                    pending: nrm_domain::children::panel::pending_decision(&r)
                        .filter(|_| r.is_open()),
                    meeting_on: records.last().map(|m| m.meeting.meets_on),
                });
            }
            items.sort_by_key(|i| (i.stage, i.referred_on));
            Ok(PanelQueue {
                pilot_site: site,
                items,
                truncated,
                meetings: meetings.into_iter().rev().collect(),
            })
        }
        .await;
        self.audit(capability.actor(), "panel.queue", None, &result, now)
            .await?;
        result
    }

    /// A pilot panel's meeting on `meets_on`: each of its own cases on the agenda that day,
    /// with the members and their roles, the papers, the quorum, and the decisions with their
    /// reasons and attendance (and the SCA's assurance of them). Each case whose reasons are
    /// read is authorised for the personal details and written reasons and audited
    /// (`panel.meeting`, one entry a case); a day with no meeting is not found.
    pub async fn panel_meeting(
        &self,
        capability: &Capability,
        principal: &nrm_access::Principal,
        meets_on: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<PanelMeetingView, ServiceError> {
        if capability.operation() != Operation::ListCases || capability.actor() != principal.actor {
            return Err(ServiceError::NotFound);
        }
        let actor = capability.actor();
        let Some((site, cases, _)) = self.panel_cases(principal, now).await? else {
            let result: Result<PanelMeetingView, ServiceError> = Err(ServiceError::NotFound);
            self.audit(actor, "panel.meeting", None, &result, now)
                .await?;
            return result;
        };
        let mut agenda = Vec::new();
        for (summary, events) in cases {
            let CaseState::Referral(r) = CaseState::from_events(&events) else {
                continue;
            };
            for record in meeting_records(&events)
                .into_iter()
                .filter(|m| m.meeting.meets_on == meets_on)
            {
                let facts = self.case_facts(summary.case_id, uk_date(now)).await?;
                let allowed = facts.is_some_and(|f| {
                    nrm_access::authorise_case(principal, CaseOperation::ReadPersonalDetails, &f)
                        .is_ok()
                });
                if !allowed {
                    continue;
                }
                let read = async {
                    let mut reasons = Vec::new();
                    for d in &record.decisions {
                        let panel = self.reasons_text(r.subject, d.reasons).await?;
                        let sca = match d.assurance {
                            Some(a) => self.reasons_text(r.subject, a.reasons).await?,
                            None => None,
                        };
                        reasons.push((panel, sca));
                    }
                    Ok::<_, ServiceError>(reasons)
                }
                .await;
                self.audit(actor, "panel.meeting", Some(summary.case_id), &read, now)
                    .await?;
                agenda.push(AgendaItem {
                    case_id: summary.case_id,
                    reference: summary.reference.clone(),
                    quorum: record.quorum(),
                    record,
                    reasons: read?,
                });
            }
        }
        if agenda.is_empty() {
            let result: Result<PanelMeetingView, ServiceError> = Err(ServiceError::NotFound);
            self.audit(actor, "panel.meeting", None, &result, now)
                .await?;
            return result;
        }
        let names = self
            .store()
            .users()
            .await?
            .into_iter()
            .filter(|u| u.organisation == actor.organisation)
            .map(|u| (u.id, u.email))
            .collect();
        Ok(PanelMeetingView {
            pilot_site: site,
            meets_on,
            agenda,
            names,
        })
    }

    async fn reasons_text(
        &self,
        subject: nrm_domain::ids::SubjectId,
        record: VaultRecordId,
    ) -> Result<Option<String>, ServiceError> {
        match self.store().read_vault(subject, record).await {
            Ok(VaultContent::DecisionReasons { text }) => Ok(Some(text.0)),
            Ok(_) | Err(nrm_store::StoreError::Erased) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }
}
