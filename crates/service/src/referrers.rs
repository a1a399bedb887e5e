//! Who may refer and who may report, live (issue #10 items 6 and 7).
//!
//! Every live submission (an API or page submission, a saved draft's) is checked against the
//! rulebook on the submission's UK date, with what the organisations table records about the
//! submitting organisation: its nation (migration 0008), its kind on the dated First Responder
//! Organisation list (`first_responder_list`, migration 0017) and its individual designation
//! (`designated_from`/`designated_to`, migration 0007).
//!
//! - A referral is accepted while the list kind is on the list **for the organisation's
//!   nation** that day, or while the organisation is individually designated
//!   ([`Rulebook::check_referrer`]).
//! - A Duty to Notify report is accepted only where the duty falls on that list kind in that
//!   nation that day ([`Rulebook::check_duty_to_notify_reporter`]: the specified public
//!   authorities of s52 in England and Wales from 1 November 2015; nobody in Scotland or
//!   Northern Ireland).
//!
//! The referring organisation's nation is recorded on the referral (deadlines a First
//! Responder must meet are counted on its calendar). Administrators set all three through
//! [`Administration::set_referrer`] (`nrm org referrer`, `PUT /api/v1/organisations/{id}/referrer`).

use chrono::{DateTime, NaiveDate, Utc};
use nrm_access::{Capability, Operation, OrganisationKind};
use nrm_domain::clock::uk_date;
use nrm_domain::command::Nations;
use nrm_domain::geography::UkNation;
use nrm_domain::ids::OrganisationId;
use nrm_domain::rules::SubmittingOrganisation;
use nrm_domain::submission::Submission;
use nrm_domain::{Actor, DomainError, FieldProblem};
use nrm_store::identity::ReferrerRow;

use crate::admin::holder;
use crate::identity::organisation_subject;
use crate::{Administration, Cases, ServiceError};

/// What decides whether an organisation may refer and report.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReferrerSettings {
    /// The UK nation the organisation works in.
    pub nation: Option<UkNation>,
    /// Its kind on the rulebook's First Responder Organisation list (`police`,
    /// `local-authority`, `salvation-army`…), when it is of a listed kind.
    pub first_responder_list: Option<String>,
    /// An individual designation: from, and until (inclusive) if it has ended.
    pub designated_from: Option<NaiveDate>,
    pub designated_to: Option<NaiveDate>,
}

impl ReferrerSettings {
    /// A digest of the settings, for `If-Match` (organisations have no stored version
    /// counter; a change names the state it was decided on, like an account's).
    pub fn version(&self) -> String {
        use sha2::{Digest, Sha256};
        let from = self
            .designated_from
            .map(|d| d.to_string())
            .unwrap_or_default();
        let to = self
            .designated_to
            .map(|d| d.to_string())
            .unwrap_or_default();
        let mut hash = Sha256::new();
        for part in [
            self.nation.map_or("", nation_code),
            self.first_responder_list.as_deref().unwrap_or(""),
            from.as_str(),
            to.as_str(),
        ] {
            hash.update((part.len() as u64).to_be_bytes());
            hash.update(part.as_bytes());
        }
        hash.finalize()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// An organisation's settings as stored, with its kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referrer {
    pub kind: Option<OrganisationKind>,
    pub settings: ReferrerSettings,
}

pub(crate) fn nation_code(nation: UkNation) -> &'static str {
    match nation {
        UkNation::England => "england",
        UkNation::Wales => "wales",
        UkNation::Scotland => "scotland",
        UkNation::NorthernIreland => "northern_ireland",
    }
}

pub(crate) fn parse_nation(code: &str) -> Option<UkNation> {
    match code {
        "england" => Some(UkNation::England),
        "wales" => Some(UkNation::Wales),
        "scotland" => Some(UkNation::Scotland),
        "northern_ireland" => Some(UkNation::NorthernIreland),
        _ => None,
    }
}

fn settings(row: &ReferrerRow) -> ReferrerSettings {
    ReferrerSettings {
        nation: row.nation.as_deref().and_then(parse_nation),
        first_responder_list: row.first_responder_list.clone(),
        designated_from: row.designated_from,
        designated_to: row.designated_to,
    }
}

impl Cases {
    /// Refuses a submission its organisation may not make on the day of `now`
    /// (`not-a-first-responder-organisation`, `duty-to-notify-not-for-this-organisation`), and
    /// otherwise says which nations the referral records. An organisation this service has
    /// not registered (a development sign-in) and organisations of other kinds are not
    /// checked here: the access policy already lets only First Responder Organisations submit.
    pub(crate) async fn check_submitter(
        &self,
        actor: Actor,
        submission: &Submission,
        now: DateTime<Utc>,
    ) -> Result<Nations, ServiceError> {
        let Some(row) = self.store().referrer(actor.organisation).await? else {
            return Ok(Nations::default());
        };
        let settings = settings(&row);
        if row.kind != OrganisationKind::FirstResponderOrganisation.code() {
            return Ok(Nations {
                referring_organisation: settings.nation,
                person: None,
            });
        }
        let org = SubmittingOrganisation {
            nation: settings.nation,
            list_code: settings.first_responder_list.as_deref(),
            designated: settings
                .designated_from
                .map(|from| (from, settings.designated_to)),
        };
        let today = uk_date(now);
        match submission {
            Submission::DutyToNotify(_) => self.rules().check_duty_to_notify_reporter(&org, today),
            Submission::Adult(_) | Submission::Child(_) => self.rules().check_referrer(&org, today),
        }?;
        Ok(Nations {
            referring_organisation: settings.nation,
            person: None,
        })
    }
}

impl Administration<'_> {
    /// An organisation's nation, First Responder list kind and individual designation.
    /// Audited (`organisation.read_referrer`).
    pub async fn referrer(
        self,
        capability: &Capability,
        id: OrganisationId,
        now: DateTime<Utc>,
    ) -> Result<Referrer, ServiceError> {
        let actor = holder(capability, Operation::ManageOrganisations)?;
        let result = match self.cases().store().referrer(id).await {
            Ok(Some(row)) => Ok(Referrer {
                kind: OrganisationKind::parse(&row.kind),
                settings: settings(&row),
            }),
            Ok(None) => Err(ServiceError::NotFound),
            Err(e) => Err(e.into()),
        };
        self.cases()
            .audit_about(
                actor,
                "organisation.read_referrer",
                organisation_subject(id),
                &result,
                now,
            )
            .await?;
        result
    }

    /// Sets an organisation's nation, its kind on the First Responder Organisation list and
    /// its individual designation, together (each submission is judged on all three).
    /// A list kind must be one the rulebook lists for that nation at some date, and only a
    /// First Responder Organisation has one. Audited (`organisation.referrer`).
    pub async fn set_referrer(
        self,
        capability: &Capability,
        id: OrganisationId,
        settings: &ReferrerSettings,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let actor = holder(capability, Operation::ManageOrganisations)?;
        let result = self.set_referrer_unaudited(id, settings).await;
        self.cases()
            .audit_about(
                actor,
                "organisation.referrer",
                organisation_subject(id),
                &result,
                now,
            )
            .await?;
        result
    }

    /// The field problems of `settings` for an organisation of `kind` (a list kind that is not
    /// on that nation's list, a First Responder list kind for another kind of organisation, a
    /// designation ending before it starts), before anything is written.
    pub fn check_referrer_settings(
        self,
        kind: &OrganisationKind,
        settings: &ReferrerSettings,
    ) -> Vec<FieldProblem> {
        let mut problems = check_settings(self.cases(), settings);
        if settings.first_responder_list.is_some()
            && *kind != OrganisationKind::FirstResponderOrganisation
        {
            problems.push(FieldProblem::new(
                "/first_responder_list",
                "Only a First Responder Organisation has a kind on the First Responder Organisation list",
            ));
        }
        problems
    }

    async fn set_referrer_unaudited(
        &self,
        id: OrganisationId,
        s: &ReferrerSettings,
    ) -> Result<(), ServiceError> {
        let store = self.cases().store();
        let Some(row) = store.referrer(id).await? else {
            return Err(ServiceError::NotFound);
        };
        let problems = match OrganisationKind::parse(&row.kind) {
            Some(kind) => self.check_referrer_settings(&kind, s),
            None => check_settings(self.cases(), s),
        };
        if !problems.is_empty() {
            return Err(DomainError::Invalid(problems).into());
        }
        let changed = store
            .set_referrer(
                id,
                &ReferrerRow {
                    kind: row.kind,
                    nation: s.nation.map(|n| nation_code(n).to_owned()),
                    first_responder_list: s.first_responder_list.clone(),
                    designated_from: s.designated_from,
                    designated_to: s.designated_to,
                },
            )
            .await?;
        if changed {
            Ok(())
        } else {
            Err(ServiceError::NotFound)
        }
    }
}

/// The field problems of `s` against the rulebook.
fn check_settings(cases: &Cases, s: &ReferrerSettings) -> Vec<FieldProblem> {
    let mut problems = Vec::new();
    if let Some(code) = &s.first_responder_list {
        match cases
            .rules()
            .data()
            .first_responder_organisations
            .iter()
            .find(|o| &o.code == code)
        {
            None => problems.push(FieldProblem::new(
                "/first_responder_list",
                "Not a kind of organisation on the First Responder Organisation list",
            )),
            Some(entry) => match s.nation {
                None => problems.push(FieldProblem::new(
                    "/nation",
                    "Choose the nation the organisation works in: the First Responder Organisation list is per nation",
                )),
                Some(n) if !entry.nations.contains(&n) => problems.push(FieldProblem::new(
                    "/first_responder_list",
                    "That kind of organisation is not on the First Responder Organisation list of this nation",
                )),
                Some(_) => {}
            },
        }
    }
    match (s.designated_from, s.designated_to) {
        (None, Some(_)) => problems.push(FieldProblem::new(
            "/designated_from",
            "Enter the day the designation starts",
        )),
        (Some(from), Some(to)) if to < from => problems.push(FieldProblem::new(
            "/designated_to",
            "The designation cannot end before it starts",
        )),
        _ => {}
    }
    problems
}
