//! The children's part of the sweep turn (issue 13): each open child case's age, and the ICTG
//! referrals the intake could not make.
//!
//! - **Turning 18 during the case**: the person's 18th birthday, from the date of birth in the
//!   vault (the assessed one when an age assessment concluded), moves the case to the adult
//!   route's rules on the day (`nrm_domain::children::adulthood`). Idempotent: a case that
//!   turned 18 is no longer a child's, and the domain decides nothing twice.
//! - **ICTG referral catch-up**: the intake's ICTG referral is its own transaction after the
//!   case's (`Guardians::after_child_referral`), and a legacy import makes none. The turn finds
//!   open child cases with no guardian episode and makes the referral by the rules of the
//!   referral's date; a case found not covered (or whose person is 18 by now) is recorded as
//!   checked so it is not looked at again. An import records those checks itself, with each
//!   batch, while it holds the dates of birth in plaintext ([`guardian_due`] decides for
//!   both), so the catch-up after it reads only the cases it refers. Idempotent: a second
//!   referral for a case is refused
//!   by the store (one episode per case), and a referred case has its episode.
//!
//! Run as the service itself (the periodic sweep's turn, `nrm sweep`, the end of an import);
//! each change is audited in its own transaction, and the run as a whole.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use nrm_access::{CaseCapability, CaseOperation};
use nrm_domain::Actor;
use nrm_domain::case::CaseState;
use nrm_domain::children::adulthood::AdulthoodCommand;
use nrm_domain::children::guardian::ChildrenRules;
use nrm_domain::clock::uk_date;
use nrm_domain::command::Command;
use nrm_domain::event::{CaseEvent, ReferralSubmitted};
use nrm_domain::ids::{CaseId, SubjectId, VaultRecordId};
use nrm_domain::personal::VaultContent;
use nrm_domain::submission::AgeGroup;
use nrm_store::StoreError;

use crate::guardians::{GuardianIntake, eighteenth_birthday};
use crate::{Cases, ServiceError};

/// Cases looked at per page.
const PAGE: i64 = 200;

/// The day the age review starts looking at a case daily: the first of the month the person
/// turns 18 in (the month only is stored, not the date of birth).
fn review_from(turns_18_on: NaiveDate) -> NaiveDate {
    turns_18_on.with_day(1).unwrap_or(turns_18_on)
}

/// The vault record holding the date of birth a case's rules go by: the assessed one when an
/// age assessment concluded, else the referral's personal details. `first` is the case's
/// first event.
pub(crate) fn birth_record(
    state: &CaseState,
    first: Option<&CaseEvent>,
) -> Option<(SubjectId, VaultRecordId)> {
    match state {
        CaseState::Referral(r) => match (&r.age_assessment, first) {
            (Some(assessment), _) => Some((r.subject, assessment.date_of_birth)),
            (None, Some(CaseEvent::ReferralSubmitted(e))) => Some((r.subject, e.personal_details)),
            _ => None,
        },
        _ => None,
    }
}

/// The date of birth the record [`birth_record`] names holds, if it is known.
pub(crate) fn birth_date(content: &VaultContent) -> Option<NaiveDate> {
    match content {
        VaultContent::PersonalDetails(details) => details.date_of_birth,
        VaultContent::AssessedDateOfBirth { date_of_birth } => Some(*date_of_birth),
        _ => None,
    }
}

/// What the ICTG referral catch-up finds for a case, before it writes anything.
pub(crate) enum GuardianDue<'a> {
    /// Not an open child's referral: nothing for the catch-up.
    NotForIt,
    /// No referral due, for this reason: recorded, so the case is not looked at again.
    NoneDue(&'static str),
    /// A referral is due, made from this submission.
    Refer(&'a ReferralSubmitted),
}

/// Whether a case (its events, state and the date of birth its rules go by) is due an ICTG
/// referral today: an open child's referral whose person is not 18 yet, in an area a guardian
/// service covered on the referral's date. The same answer for the sweep's catch-up and for
/// an import, which decides it while it still holds the plaintext.
pub(crate) fn guardian_due<'a>(
    first: Option<&'a CaseEvent>,
    state: &CaseState,
    born: Option<NaiveDate>,
    rules: &ChildrenRules,
    today: NaiveDate,
) -> GuardianDue<'a> {
    let (Some(CaseEvent::ReferralSubmitted(submitted)), CaseState::Referral(r)) = (first, state)
    else {
        return GuardianDue::NotForIt;
    };
    if r.age_group != AgeGroup::Child || !r.is_open() {
        return GuardianDue::NotForIt;
    }
    // 18 by now (the case's own review moves it on): no guardian to refer to.
    if born.is_some_and(|born| eighteenth_birthday(born) <= today) {
        return GuardianDue::NoneDue("adult");
    }
    let intake = GuardianIntake::of_case(submitted);
    if !intake.covered(rules, submitted.referred_on) {
        return GuardianDue::NoneDue("not_covered");
    }
    GuardianDue::Refer(submitted)
}

impl Cases {
    /// Records the young adult's answer to the consent-to-support question, offered when
    /// they turned 18 during the case (`nrm_domain::children::adulthood`), by whoever manages
    /// the case. A "yes" refers them to adult support at once, as an adult referral with
    /// consent is (`Support::after_case_change`, from `execute`); a "no" records the answer
    /// and nothing else. Audited as `case.consent_to_support`, refusals too.
    pub async fn answer_consent_to_support(
        &self,
        capability: &CaseCapability,
        expected_version: Option<u64>,
        on: NaiveDate,
        consents: bool,
        now: DateTime<Utc>,
    ) -> Result<u64, ServiceError> {
        let code = "case.consent_to_support";
        let (actor, case_id) = crate::allowed(capability, CaseOperation::Manage)?;
        let result = self
            .execute(actor, code, case_id, expected_version, None, now, |_| {
                Command::Adulthood(AdulthoodCommand::AnswerConsentToSupport { on, consents })
            })
            .await;
        self.audit_failure(actor, code, Some(case_id), &result, now)
            .await?;
        result
    }

    /// Loads a page of cases, each with its state and the date of birth its rules go by: the
    /// assessed one when an age assessment concluded, else the one referred (`None` when
    /// unknown or erased). One read of the events and one of the vault for the whole page; a
    /// case that does not exist is left out.
    async fn load_children(&self, ids: &[CaseId]) -> Result<Vec<LoadedChild>, ServiceError> {
        let mut children = Vec::with_capacity(ids.len());
        let mut wanted = Vec::new();
        for loaded in self.store().load_many(ids).await? {
            let events: Vec<CaseEvent> = loaded.events.into_iter().map(|e| e.event).collect();
            let state = CaseState::from_events(&events);
            if let Some(record) = birth_record(&state, events.first()) {
                wanted.push((children.len(), record));
            }
            children.push(LoadedChild {
                case_id: loaded.case_id,
                version: loaded.version,
                events,
                state,
                born: None,
            });
        }
        let records: Vec<_> = wanted.iter().map(|(_, record)| *record).collect();
        let contents = self.store().read_vault_many(&records).await?;
        for ((at, _), content) in wanted.into_iter().zip(contents) {
            children[at].born = match content {
                Ok(content) => birth_date(&content),
                Err(StoreError::Erased) => None,
                Err(e) => return Err(e.into()),
            };
        }
        Ok(children)
    }

    /// Moves each open child case whose person has turned 18 to the adult route's rules.
    /// Returns how many moved.
    pub(crate) async fn review_case_ages(
        &self,
        actor: Actor,
        now: DateTime<Utc>,
    ) -> Result<usize, ServiceError> {
        let result = self.review_case_ages_unaudited(actor, now).await;
        self.audit(actor, "case.review_ages", None, &result, now)
            .await?;
        result
    }

    async fn review_case_ages_unaudited(
        &self,
        actor: Actor,
        now: DateTime<Utc>,
    ) -> Result<usize, ServiceError> {
        let today = uk_date(now);
        let mut moved = 0;
        let mut after = None;
        loop {
            // Only the cases whose 18th birthday's month has begun, and those not looked at
            // yet (migration 0028): not every child's case each turn.
            let page = self
                .store()
                .child_cases_for_age_review_after(today, after, PAGE)
                .await?;
            let Some((last, _)) = page.last() else {
                break;
            };
            after = Some(*last);
            // The page's new review rows, written together (one commit a page, not a case);
            // before any case is moved on, whose move deletes its row.
            let mut rows: Vec<(CaseId, Option<NaiveDate>)> = Vec::new();
            let mut due: Vec<(CaseId, u64, NaiveDate)> = Vec::new();
            let ids: Vec<CaseId> = page.iter().map(|(case_id, _)| *case_id).collect();
            for loaded in self.load_children(&ids).await? {
                let case_id = loaded.case_id;
                let reviewed = page
                    .iter()
                    .any(|(id, reviewed)| *id == case_id && *reviewed);
                let Some(born) = loaded.born else {
                    // Nothing to go by (unknown or erased): not looked at again until an age
                    // assessment gives a date of birth.
                    rows.push((case_id, None));
                    continue;
                };
                let turns_18_on = eighteenth_birthday(born);
                if !reviewed {
                    rows.push((case_id, Some(review_from(turns_18_on))));
                }
                if today >= turns_18_on {
                    due.push((case_id, loaded.version, turns_18_on));
                }
            }
            self.store()
                .record_case_age_reviews(&std::mem::take(&mut rows))
                .await?;
            // The page's moves at once: each its own append, audited, and the group commit
            // takes them together (one durable commit for many, not one a case).
            let moves = due.iter().map(|&(case_id, version, turns_18_on)| {
                self.execute(
                    actor,
                    "case.turned_18",
                    case_id,
                    Some(version),
                    None,
                    now,
                    move |_| Command::Adulthood(AdulthoodCommand::ReviewAge { turns_18_on }),
                )
            });
            let results = futures_util::future::join_all(moves).await;
            for (&(case_id, version, _), result) in due.iter().zip(results) {
                match result {
                    Ok(after) if after > version => moved += 1,
                    // Nothing the rules do for it (no rule for the birthday's date): not
                    // looked at again.
                    Ok(_) => rows.push((case_id, None)),
                    // Changed meanwhile, or closed by the domain: the next turn looks again.
                    Err(ServiceError::Conflict { .. })
                    | Err(ServiceError::Store(StoreError::VersionConflict { .. })) => {}
                    Err(e) => return Err(e),
                }
            }
            self.store().record_case_age_reviews(&rows).await?;
        }
        Ok(moved)
    }

    /// Makes the ICTG referral of each open child case that has none and has not been found
    /// to need none. Returns how many were made.
    pub(crate) async fn refer_missing_guardians(
        &self,
        actor: Actor,
        now: DateTime<Utc>,
    ) -> Result<usize, ServiceError> {
        let result = self.refer_missing_guardians_unaudited(actor, now).await;
        self.audit(actor, "guardian.refer_missing", None, &result, now)
            .await?;
        result
    }

    async fn refer_missing_guardians_unaudited(
        &self,
        actor: Actor,
        now: DateTime<Utc>,
    ) -> Result<usize, ServiceError> {
        let today = uk_date(now);
        let guardians = self.guardians();
        let mut referred = 0;
        let mut after = None;
        loop {
            let page = self
                .store()
                .child_cases_without_guardian_after(after, PAGE)
                .await?;
            let Some(last) = page.last() else {
                break;
            };
            after = Some(*last);
            // The page's cases found to need no referral, recorded together.
            let mut checks: Vec<(CaseId, &'static str)> = Vec::new();
            // The page's referrals at once: each its own append, audited, and the group
            // commit takes them together.
            let children = self.load_children(&page).await?;
            let referrals = children
                .iter()
                .map(|loaded| self.refer_missing_guardian(&guardians, actor, loaded, today, now));
            let results = futures_util::future::join_all(referrals).await;
            for (loaded, result) in children.iter().zip(results) {
                match result? {
                    Catchup::Referred => referred += 1,
                    Catchup::NoneDue(why) => checks.push((loaded.case_id, why)),
                    Catchup::Passed => {}
                }
            }
            self.store()
                .record_guardian_referral_checks(&checks, now)
                .await?;
        }
        Ok(referred)
    }

    async fn refer_missing_guardian(
        &self,
        guardians: &crate::Guardians,
        actor: Actor,
        loaded: &LoadedChild,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<Catchup, ServiceError> {
        let case_id = loaded.case_id;
        let submitted = match guardian_due(
            loaded.events.first(),
            &loaded.state,
            loaded.born,
            guardians.rules(),
            today,
        ) {
            GuardianDue::NotForIt => return Ok(Catchup::Passed),
            GuardianDue::NoneDue(why) => return Ok(Catchup::NoneDue(why)),
            GuardianDue::Refer(submitted) => submitted,
        };
        match guardians
            .refer_on_intake(
                actor,
                case_id,
                GuardianIntake::of_case(submitted),
                submitted,
                now,
            )
            .await
        {
            Ok(Some(_)) => Ok(Catchup::Referred),
            Ok(None) => Ok(Catchup::NoneDue("not_covered")),
            // Referred meanwhile (the intake, another instance's turn): one episode per case.
            Err(ServiceError::Store(
                StoreError::DuplicateReference | StoreError::VersionConflict { .. },
            )) => Ok(Catchup::Passed),
            Err(e) => Err(e),
        }
    }
}

/// A case as the children's catch-up looks at it.
struct LoadedChild {
    case_id: CaseId,
    version: u64,
    events: Vec<CaseEvent>,
    state: CaseState,
    /// The date of birth its rules go by, if known.
    born: Option<NaiveDate>,
}

/// What the ICTG referral catch-up did with one case.
enum Catchup {
    /// Referred to the guardian service now.
    Referred,
    /// No referral due, for this reason: recorded, so the case is not looked at again.
    NoneDue(&'static str),
    /// Not a case for it (gone, not an open child's), or referred meanwhile by someone else.
    Passed,
}
