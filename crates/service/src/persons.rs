//! Persons (issue 14): the potential victim behind one or more referrals.
//!
//! **Intake.** When an adult or child referral is submitted ([`Cases::submit`]), its potential
//! victim's details, decrypted only in memory, become linkage records (the name as given and
//! each other name, with the date of birth, sex and address). Their keyed blocking tokens
//! (HMAC-SHA-256 under [`nrm_store::Store::linkage_key`]) find the earlier referrals that share
//! one; each candidate's details are decrypted in memory to be compared field by field, and the
//! Fellegi–Sunter weights of the shipped parameter set (`persons_model.json`, fitted on
//! generated people by `crates/linkage/examples/fit_params.rs`) give a match probability. The
//! dated bands of `rulebook/persons.json` decide: at or above the automatic band the referral
//! joins the best person; in the review band it becomes a new person and a decision maker is
//! asked about each possible earlier referral; below, a new person. Only the tokens and the
//! comparison levels are stored, never a value. A failure to link never fails the submission
//! (it is committed already): it is logged without personal data and `nrm link rebuild` links
//! whatever was missed.
//!
//! **Review, join and split.** The queue of possible matches, each side by side with what
//! agreed and what did not (the values only where the reviewer may read both referrals'
//! personal details); confirming joins the two persons, rejecting closes the review; a split
//! moves referrals out to a new person or back to the person they were joined from. All are
//! events on the persons' streams, audited, and reversible.
//!
//! **History.** A person's referrals with their decisions and support episodes in date order,
//! the re-referral flag of a case with its earlier references, and what NABA 2022 s62 means
//! for a recovery period on the new referral.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use chrono::{DateTime, NaiveDate, Utc};
use nrm_access::{Capability, CaseCapability, CaseOperation, Operation};
use nrm_domain::Actor;
use nrm_domain::clock::uk_date;
use nrm_domain::event::CaseEvent;
use nrm_domain::ids::CaseId;
use nrm_domain::person::rules::{
    AdditionalRecoveryPeriod, Band, EarlierPositiveRg, PersonRules, additional_recovery_period,
    probability_permille,
};
use nrm_domain::person::{
    LinkBasis, LinkedReferral, PersonCommand, PersonEvent, PersonId, PersonState, ReviewId, decide,
};
use nrm_domain::personal::{PersonalDetails, VaultContent};
use nrm_domain::submission::Gender;
use nrm_linkage::compare::{FIELDS, IDENTICAL, LEVEL_NAMES, LEVELS, Levels};
use nrm_linkage::{Blocker, Corrections, Dataset, Model, Record};
use nrm_store::audit::AuditRecord;
use nrm_store::persons::{
    MatchReviewRow, NewMatchReview, PersonAppend, PersonReferralRow, PersonWrite, ReviewDecision,
    StoredPersonEvent,
};
use serde::Deserialize;

use crate::{Cases, ServiceError};

pub mod search;

/// The shipped Fellegi–Sunter parameter set.
#[derive(Debug, Deserialize)]
struct Parameters {
    #[allow(dead_code)]
    fitted_on: String,
    m: [[f64; 6]; 5],
    u: [[f64; 6]; 5],
    lambda: f64,
    /// The household's and twins' corrections at the same postcode or mostly the same address
    /// (level 2) and at the same address (level 3).
    household: [f64; 2],
    twins: [f64; 2],
    /// The corrections of the date of birth at one address (absent: none).
    #[serde(default)]
    at_address: [[f64; 6]; 2],
}

static MODEL: LazyLock<Result<Model, String>> = LazyLock::new(|| {
    let p: Parameters = serde_json::from_str(include_str!("persons_model.json"))
        .map_err(|e| format!("persons_model.json: {e}"))?;
    if !(p.lambda > 0.0 && p.lambda < 1.0) {
        return Err("persons_model.json: lambda must be between 0 and 1".to_owned());
    }
    for f in 0..FIELDS.len() {
        for l in 0..LEVELS[f] {
            if !(p.m[f][l] > 0.0 && p.u[f][l] > 0.0) {
                return Err(format!(
                    "persons_model.json: m and u of {} level {l} must be positive",
                    FIELDS[f]
                ));
            }
        }
    }
    Ok(Model::new(
        p.m,
        p.u,
        p.lambda,
        Corrections {
            household: p.household,
            twins: p.twins,
            at_address: p.at_address,
        },
    ))
});

fn model() -> Result<&'static Model, ServiceError> {
    MODEL.as_ref().map_err(|e| {
        ServiceError::Store(nrm_store::StoreError::Corrupt(format!(
            "the linkage model is invalid: {e}"
        )))
    })
}

/// The rule number of the NRM's own blocking key.
const NAME_ONLY_RULE: u8 = 5;
/// The rule numbers of the term-frequency tokens: the keyed full given names and family name
/// of each name a referral gives. Never used to find candidates (a common name would bring
/// thousands): only counted, for how common the name is (see [`Persons::name_shares`]).
/// The store counts their holders as it writes them ([`nrm_store::persons::COUNTED_NAME_RULES`]).
const TF_GIVEN_RULE: u8 = nrm_store::persons::COUNTED_NAME_RULES[0];
const TF_FAMILY_RULE: u8 = nrm_store::persons::COUNTED_NAME_RULES[1];

/// The number a token of the engine's blocking rule `rule` is stored under. Rule numbers are
/// stored with the tokens, so none ever moves: the engine's first five rules are `0..5`, the
/// NRM's own three above follow them, and the engine's later rules come after those (a
/// referral indexed before a rule was added lacks only that rule's tokens until `nrm link
/// rebuild`).
fn stored_rule(rule: usize) -> u8 {
    const ENGINE_FIRST: usize = 5;
    let n = if rule < ENGINE_FIRST {
        rule
    } else {
        rule + usize::from(TF_FAMILY_RULE) + 1 - ENGINE_FIRST
    };
    u8::try_from(n).unwrap_or(u8::MAX)
}

/// Whether a token finds candidates (the blocking rules), rather than counting a name.
fn blocks(&(rule, _): &(u8, u64)) -> bool {
    rule != TF_GIVEN_RULE && rule != TF_FAMILY_RULE
}

/// How many referrals' worth of the model's own average the shares of names start from: a
/// name's share is `(holders + PRIOR_REFERRALS × u) / (indexed + PRIOR_REFERRALS)`, so in a
/// small store every name counts as average (no adjustment) and the data take over as it grows.
const PRIOR_REFERRALS: f64 = 10_000.0;

/// At most this many earlier referrals are decrypted and compared at intake.
const MAX_COMPARED: usize = 100;
/// At most this many referrals of one person are compared (the ones sharing most tokens).
const MAX_COMPARED_PER_PERSON: usize = 3;

/// What linkage knows of one referral: its identity and its potential victim's details (in
/// memory only).
struct LinkInput {
    referral: LinkedReferral,
    details: PersonalDetails,
    gender: Gender,
}

/// One side of a possible match.
#[derive(Debug, Clone)]
pub struct MatchSide {
    pub case_id: CaseId,
    pub reference: String,
    pub submitted_on: Option<NaiveDate>,
    pub person_id: Option<PersonId>,
    /// Only when the reviewer may read the personal details of both referrals.
    pub details: Option<PersonalDetails>,
}

/// How one field compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldComparison {
    /// `given_names`, `family_name`, `date_of_birth`, `sex` or `address`.
    pub field: &'static str,
    /// `agrees`, `partly` (agrees in part), `disagrees` or `missing`.
    pub agreement: &'static str,
    /// What the level means ("day and month swapped, or one digit different"...).
    pub level: Option<&'static str>,
}

/// A possible earlier referral in the queue.
#[derive(Debug, Clone)]
pub struct MatchReviewItem {
    pub review_id: ReviewId,
    pub status: String,
    pub probability_permille: u16,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    /// The new referral.
    pub new: MatchSide,
    /// The earlier referral it may be the same person as.
    pub earlier: MatchSide,
    pub fields: Vec<FieldComparison>,
}

/// One referral in a person's history.
#[derive(Debug, Clone)]
pub struct HistoryReferral {
    pub case_id: CaseId,
    pub reference: String,
    pub submitted_on: NaiveDate,
    pub summary: Option<nrm_store::CaseSummary>,
}

/// One dated line of a person's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub on: NaiveDate,
    pub reference: String,
    /// `referred`, `reasonable_grounds`, `conclusive_grounds`, `support_started`,
    /// `support_until`, `joined`, `split`.
    pub what: &'static str,
    /// An outcome or status code, when there is one.
    pub detail: Option<String>,
}

/// A person's history.
#[derive(Debug, Clone)]
pub struct PersonHistory {
    pub person_id: PersonId,
    pub version: u64,
    pub joined_into: Option<PersonId>,
    pub referrals: Vec<HistoryReferral>,
    pub entries: Vec<HistoryEntry>,
    pub events: Vec<StoredPersonEvent>,
    /// For the most recent referral: what s62 means for a recovery period on it.
    pub additional_recovery: AdditionalRecoveryPeriod,
}

/// What a case page shows of the person behind it.
#[derive(Debug, Clone)]
pub struct ReReferral {
    pub person_id: PersonId,
    /// The person's other referrals submitted before this one (reference, date).
    pub earlier: Vec<(String, NaiveDate)>,
    /// The person's referrals submitted after this one.
    pub later: Vec<(String, NaiveDate)>,
    /// Possible earlier referrals of this case still waiting for a decision maker.
    pub open_reviews: Vec<ReviewId>,
    pub additional_recovery: AdditionalRecoveryPeriod,
}

/// What `nrm link rebuild` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RebuildReport {
    pub referrals: u64,
    /// Referrals that had no person and were linked now.
    pub linked: u64,
    pub reviews_queued: u64,
    pub failed: u64,
}

/// How intake linked a referral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkOutcome {
    pub person_id: PersonId,
    /// Joined an earlier person automatically.
    pub automatic: bool,
    pub reviews: Vec<ReviewId>,
}

/// The person use cases; from [`Cases::persons`].
#[derive(Debug, Clone, Copy)]
pub struct Persons<'a> {
    cases: &'a Cases,
}

impl Cases {
    pub fn persons(&self) -> Persons<'_> {
        Persons { cases: self }
    }

    /// The intake hook of [`Cases::submit`], before the case is appended: the person linkage
    /// of a new adult or child referral (`submitted`, with the `details` about to be written),
    /// scored against every earlier person and ready to write in the case's own batch
    /// ([`nrm_store::Store::append_intake`]). `None` when scoring failed (logged without
    /// personal data): the referral is then linked after its append, by
    /// [`Cases::link_submitted`].
    pub(crate) async fn prepare_intake_link(
        &self,
        case_id: CaseId,
        submitted: &nrm_domain::event::ReferralSubmitted,
        details: &PersonalDetails,
    ) -> Option<PreparedLink> {
        let input = intake_input(case_id, submitted, details.clone());
        match self.persons().prepare_link(&input).await {
            Ok(prepared) => Some(prepared),
            Err(e) => {
                tracing::warn!(case_id = %case_id, error = %e, "scoring the linkage of a new referral failed; linking it after its append");
                None
            }
        }
    }

    /// The intake hook of [`Cases::submit`] after the append, when the linkage was not
    /// written with the case (it could not be prepared, or the person it joined changed
    /// meanwhile): links the just-submitted referral to a person. Never fails the submission
    /// (already committed); a failure is logged without personal data and left for `nrm link
    /// rebuild`.
    ///
    /// The referral's details are the ones just written (`submitted`, `details`), so they are
    /// not read back; a new case has no person yet.
    pub(crate) async fn link_submitted(
        &self,
        case_id: CaseId,
        submitted: &nrm_domain::event::ReferralSubmitted,
        details: PersonalDetails,
        now: DateTime<Utc>,
    ) {
        let input = intake_input(case_id, submitted, details);
        let persons = self.persons();
        if let Err(e) = again_on_conflict(|| persons.link_input(&input, now)).await {
            tracing::warn!(case_id = %case_id, error = %e, "person linkage at intake failed; `nrm link rebuild` will link the referral");
        }
    }
}

/// What links a new referral: its case and reference, its date, and the details it carries.
fn intake_input(
    case_id: CaseId,
    submitted: &nrm_domain::event::ReferralSubmitted,
    details: PersonalDetails,
) -> LinkInput {
    LinkInput {
        referral: LinkedReferral {
            case_id,
            reference: submitted.reference.to_string(),
            submitted_on: submitted.referred_on,
        },
        details,
        gender: submitted.gender,
    }
}

/// A referral's linkage decided and ready to write: the person it joins or starts, the
/// person's events, the referral's tokens and the possible matches for review.
#[derive(Debug)]
pub(crate) struct PreparedLink {
    case_id: CaseId,
    person_id: PersonId,
    expected: u64,
    events: Vec<PersonEvent>,
    after: PersonState,
    tokens: Vec<(u8, u64)>,
    reviews: Vec<NewMatchReview>,
    audit: AuditRecord,
    automatic: bool,
}

impl PreparedLink {
    /// The store's write of this linkage.
    pub(crate) fn write(&self, now: DateTime<Utc>) -> PersonWrite<'_> {
        PersonWrite {
            appends: vec![PersonAppend {
                person_id: self.person_id,
                expected_version: self.expected,
                events: &self.events,
                state_after: &self.after,
            }],
            tokens: self
                .tokens
                .iter()
                .map(|(r, t)| (self.case_id, *r, *t))
                .collect(),
            replace_tokens_of: vec![self.case_id],
            reviews: self.reviews.clone(),
            decision: None,
            actor: Actor::SYSTEM,
            recorded_at: now,
            audit: &self.audit,
        }
    }

    fn outcome(&self) -> LinkOutcome {
        LinkOutcome {
            person_id: self.person_id,
            automatic: self.automatic,
            reviews: self.reviews.iter().map(|r| r.review_id).collect(),
        }
    }
}

/// Runs a linkage attempt up to three times while it meets a person changed under it (another
/// intake joined the same person meanwhile), each time from what is stored then.
async fn again_on_conflict<T, Attempt, Fut>(mut attempt: Attempt) -> Result<T, ServiceError>
where
    Attempt: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ServiceError>>,
{
    for _ in 1..3 {
        match attempt().await {
            Err(ServiceError::Conflict { .. }) => continue,
            other => return other,
        }
    }
    attempt().await
}

fn levels_text(levels: &Levels) -> String {
    levels
        .iter()
        .map(|l| l.map_or_else(|| "-".to_owned(), |v| v.to_string()))
        .collect::<Vec<_>>()
        .join(",")
}

/// Reads a stored levels string back (anything unreadable counts as missing).
pub fn parse_levels(text: &str) -> Levels {
    let mut out: Levels = [None; 5];
    for (slot, part) in out.iter_mut().zip(text.split(',')) {
        *slot = part.parse::<u8>().ok();
    }
    for (f, slot) in out.iter_mut().enumerate() {
        if slot.is_some_and(|v| usize::from(v) >= LEVELS[f]) {
            *slot = None;
        }
    }
    out
}

/// The field-by-field comparison of a levels vector, for a reviewer.
pub fn describe_levels(levels: &Levels) -> Vec<FieldComparison> {
    (0..FIELDS.len())
        .map(|f| match levels[f] {
            None => FieldComparison {
                field: FIELDS[f],
                agreement: "missing",
                level: None,
            },
            Some(l) => {
                let l = usize::from(l).min(LEVELS[f] - 1);
                FieldComparison {
                    field: FIELDS[f],
                    agreement: if l == usize::from(IDENTICAL[f]) {
                        "agrees"
                    } else if l == 0 {
                        "disagrees"
                    } else {
                        "partly"
                    },
                    level: Some(LEVEL_NAMES[f][l]),
                }
            }
        })
        .collect()
}

/// A UK postcode at the end of a one-line address: the address without it, and the postcode.
fn split_postcode(address: &str) -> (String, String) {
    let words: Vec<&str> = address
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .collect();
    let is_outward = |w: &str| {
        (2..=4).contains(&w.len())
            && w.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && w.chars().any(|c| c.is_ascii_digit())
            && w.chars().all(|c| c.is_ascii_alphanumeric())
    };
    let is_inward = |w: &str| {
        let b = w.as_bytes();
        b.len() == 3
            && b[0].is_ascii_digit()
            && b[1].is_ascii_alphabetic()
            && b[2].is_ascii_alphabetic()
    };
    if words.len() >= 2 {
        let (out, inw) = (words[words.len() - 2], words[words.len() - 1]);
        if is_outward(out) && is_inward(inw) {
            return (
                words[..words.len() - 2].join(" "),
                format!("{out} {inw}").to_uppercase(),
            );
        }
    }
    (words.join(" "), String::new())
}

/// The keyed term-frequency tokens of a record's full given names and family name (0 when
/// empty).
fn tf_tokens(blocker: &Blocker, r: &OwnedRecord) -> (u64, u64) {
    (
        tf_token(blocker, "given", &r.given),
        tf_token(blocker, "family", &r.family),
    )
}

/// The term-frequency tokens of a record's names read in the other field: its family name as
/// given names and its given names as a family name `(given, family)`, for how common a name
/// written across the fields is (`nrm_linkage::compare::CROSSED`). Only ever counted, never
/// stored.
fn crossed_tf_tokens(blocker: &Blocker, r: &OwnedRecord) -> (u64, u64) {
    (
        tf_token(blocker, "given", &r.family),
        tf_token(blocker, "family", &r.given),
    )
}

/// A shared name's share of the referrals: in its own field, or in the other field where it is
/// commoner there (a family name also written as given names). Unknown in its own field, it
/// stays unknown (no adjustment).
fn commoner(own: Option<f64>, other_field: Option<f64>) -> Option<f64> {
    own.map(|own| other_field.map_or(own, |other| own.max(other)))
}

fn tf_token(blocker: &Blocker, kind: &str, name: &str) -> u64 {
    let folded = nrm_linkage::normalise::fold(name);
    let folded = folded.trim();
    if folded.is_empty() {
        0
    } else {
        blocker.token(format!("nrm-tf-{kind}|{folded}").as_bytes())
    }
}

/// The linkage records of one referral's potential victim: the name as given, then each other
/// name (the last word as the family name), each with the same date of birth, sex and address.
fn records(details: &PersonalDetails, gender: Gender) -> Vec<OwnedRecord> {
    let dob = details
        .date_of_birth
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    let sex = match gender {
        Gender::Female => "f",
        Gender::Male => "m",
        Gender::Other | Gender::NotKnown => "",
    };
    let (address, postcode) = split_postcode(details.current_address.as_deref().unwrap_or(""));
    let base = OwnedRecord {
        given: details.given_names.clone(),
        family: details.family_name.clone(),
        dob,
        sex,
        address,
        postcode,
    };
    let mut out = vec![base.clone()];
    for other in details.other_names.iter().take(5) {
        let words: Vec<&str> = other.split_whitespace().collect();
        let (given, family) = match words.as_slice() {
            [] => continue,
            [only] => ((*only).to_owned(), details.family_name.clone()),
            [first @ .., last] => (first.join(" "), (*last).to_owned()),
        };
        out.push(OwnedRecord {
            given,
            family,
            ..base.clone()
        });
    }
    out
}

#[derive(Clone)]
struct OwnedRecord {
    given: String,
    family: String,
    dob: String,
    sex: &'static str,
    address: String,
    postcode: String,
}

impl OwnedRecord {
    fn record(&self) -> Record<'_> {
        Record {
            given_names: &self.given,
            family_name: &self.family,
            date_of_birth: &self.dob,
            sex: self.sex,
            address: &self.address,
            town: "",
            postcode: &self.postcode,
        }
    }
}

/// The best comparison of one candidate referral with the new one.
struct Scored {
    candidate: PersonReferralRow,
    levels: Levels,
    probability: f64,
}

impl<'a> Persons<'a> {
    fn store(&self) -> &nrm_store::Store {
        self.cases.store()
    }

    fn blocker(&self) -> Blocker {
        Blocker::keyed(&self.store().linkage_key())
    }

    /// The referral's identity and its potential victim's details (decrypted in memory), or
    /// `None` for a Duty to Notify report (anonymous: never linked).
    async fn input(&self, case_id: CaseId) -> Result<Option<LinkInput>, ServiceError> {
        let first = self.store().first_events(&[case_id]).await?;
        if first.is_empty() {
            return Err(ServiceError::NotFound);
        }
        Ok(self
            .inputs_of(first.into_iter().map(Some).collect())
            .await?
            .pop()
            .flatten())
    }

    /// The linkage inputs of `case_ids`, in order (`None` for a case that is not a referral
    /// with its personal details, or no longer exists): their submissions read in one query
    /// (a referral's first event holds all linkage needs of it) and their vault records in
    /// another.
    async fn inputs(&self, case_ids: &[CaseId]) -> Result<Vec<Option<LinkInput>>, ServiceError> {
        let mut by_id: BTreeMap<CaseId, CaseEvent> = self
            .store()
            .first_events(case_ids)
            .await?
            .into_iter()
            .collect();
        let first = case_ids
            .iter()
            .map(|id| by_id.remove(id).map(|e| (*id, e)))
            .collect();
        self.inputs_of(first).await
    }

    /// The linkage inputs of cases given by their first events, in order (`None` where there
    /// is no case or it is no referral with personal details, or they were erased); the vault
    /// records in one read.
    async fn inputs_of(
        &self,
        first: Vec<Option<(CaseId, CaseEvent)>>,
    ) -> Result<Vec<Option<LinkInput>>, ServiceError> {
        // Each case's referral, and the vault records of their details in the same order. A
        // referral's submission is always its first event (only an empty case takes it), and
        // its vault subject and details record are never replaced.
        let mut referrals = Vec::with_capacity(first.len());
        let mut wanted = Vec::new();
        for case in &first {
            let Some((case_id, CaseEvent::ReferralSubmitted(e))) = case else {
                referrals.push(None);
                continue;
            };
            referrals.push(Some((
                LinkedReferral {
                    case_id: *case_id,
                    reference: e.reference.to_string(),
                    submitted_on: e.referred_on,
                },
                e.gender,
            )));
            wanted.push((e.subject, e.personal_details));
        }
        let mut contents = self.store().read_vault_many(&wanted).await?.into_iter();
        let mut out = Vec::with_capacity(referrals.len());
        for found in referrals {
            let Some((referral, gender)) = found else {
                out.push(None);
                continue;
            };
            let content = contents.next().ok_or_else(|| {
                ServiceError::Store(nrm_store::StoreError::Corrupt(
                    "a vault read answered fewer records than asked".to_owned(),
                ))
            })?;
            // A referral whose personal data was erased (retention) has nothing to link or
            // compare: as if it were not a referral with its details. Erasure deletes its
            // tokens too, so it is met here only in a race with the erasure.
            let content = match content {
                Err(nrm_store::StoreError::Erased) => {
                    out.push(None);
                    continue;
                }
                other => other?,
            };
            out.push(match content {
                VaultContent::PersonalDetails(details) => Some(LinkInput {
                    referral,
                    details,
                    gender,
                }),
                _ => None,
            });
        }
        Ok(out)
    }

    /// The keyed blocking tokens of a set of records, `(rule, token)`, without repeats: the
    /// engine's rules ([`stored_rule`]), and one of the NRM's own ([`NAME_ONLY_RULE`]: the phonetic codes
    /// of the first given and first family name, either order), so a person whose date of
    /// birth is unknown and who has moved is still found (the candidates it brings are bounded
    /// by [`MAX_COMPARED`]).
    fn tokens(&self, recs: &[OwnedRecord]) -> Vec<(u8, u64)> {
        let blocker = self.blocker();
        let mut ds = Dataset::new();
        let mut out: Vec<(u8, u64)> = Vec::new();
        let mut add = |rule: u8, t: u64| {
            if t != 0 && !out.contains(&(rule, t)) {
                out.push((rule, t));
            }
        };
        for r in recs {
            let i = ds.push(&r.record());
            for (rule, t) in blocker.tokens(&ds, i).into_iter().enumerate() {
                add(stored_rule(rule), t);
            }
            let code = |name: &str| {
                nrm_linkage::normalise::fold(name)
                    .split(' ')
                    .find(|w| !w.is_empty())
                    .map(nrm_linkage::normalise::phonetic)
            };
            if let (Some(a), Some(b)) = (code(&r.given), code(&r.family)) {
                let (a, b) = if a <= b { (a, b) } else { (b, a) };
                add(
                    NAME_ONLY_RULE,
                    blocker.token(format!("nrm-name|{a}|{b}").as_bytes()),
                );
            }
            let (given, family) = tf_tokens(&blocker, r);
            add(TF_GIVEN_RULE, given);
            add(TF_FAMILY_RULE, family);
        }
        out
    }

    /// The share of indexed referrals holding each of the new referral's full given names and
    /// family names (by their keyed term-frequency tokens), smoothed towards the model's
    /// average by [`PRIOR_REFERRALS`]: `(token, share)`.
    async fn name_shares(&self, tokens: &[(u8, u64)]) -> Result<Vec<(u64, f64)>, ServiceError> {
        let tf: Vec<(u8, u64)> = tokens.iter().copied().filter(|t| !blocks(t)).collect();
        if tf.is_empty() {
            return Ok(Vec::new());
        }
        // Both kept by the store as tokens are written: a row a name and one for the total,
        // whatever the store's size, read in one statement.
        let nrm_store::persons::NameCounts {
            holders: counts,
            indexed: total,
        } = self.store().name_counts(&tf, TF_FAMILY_RULE).await?;
        let model = model()?;
        Ok(tf
            .iter()
            .zip(counts)
            .map(|(&(rule, t), c)| {
                let field = if rule == TF_GIVEN_RULE {
                    nrm_linkage::compare::GIVEN
                } else {
                    nrm_linkage::compare::FAMILY
                };
                let average = model.u[field][4];
                let total = total.max(c) as f64;
                (
                    t,
                    (c as f64 + PRIOR_REFERRALS * average) / (total + PRIOR_REFERRALS),
                )
            })
            .collect())
    }

    /// The candidates to compare, with their inputs, most shared tokens first: a few referrals
    /// of each person ([`MAX_COMPARED_PER_PERSON`]) and [`MAX_COMPARED`] in all are enough to
    /// find the person, and keep intake fast when a name and a date of birth are common. A
    /// candidate with no input (no longer a referral) does not count; the inputs are read in
    /// batches of those that would count, so a handful of queries whatever the candidates.
    async fn compared(
        &self,
        eligible: Vec<PersonReferralRow>,
    ) -> Result<Vec<(PersonReferralRow, LinkInput)>, ServiceError> {
        let mut out = Vec::new();
        let mut per_person: BTreeMap<PersonId, usize> = BTreeMap::new();
        let mut rest = eligible.into_iter().peekable();
        while out.len() < MAX_COMPARED && rest.peek().is_some() {
            // The next candidates that would count if each has an input.
            let mut wanted = Vec::new();
            let mut tentative = per_person.clone();
            while out.len() + wanted.len() < MAX_COMPARED {
                let Some(candidate) = rest.next() else {
                    break;
                };
                let seen = tentative.entry(candidate.person_id).or_insert(0);
                if *seen >= MAX_COMPARED_PER_PERSON {
                    continue;
                }
                *seen += 1;
                wanted.push(candidate);
            }
            let ids: Vec<CaseId> = wanted.iter().map(|c| c.case_id).collect();
            for (candidate, input) in wanted.into_iter().zip(self.inputs(&ids).await?) {
                let Some(input) = input else {
                    continue;
                };
                *per_person.entry(candidate.person_id).or_insert(0) += 1;
                out.push((candidate, input));
            }
        }
        Ok(out)
    }

    /// [`Self::name_shares`] of `tokens` and of `crossed` (the names read in the other field),
    /// with one query for both.
    async fn name_shares_with(
        &self,
        tokens: &[(u8, u64)],
        crossed: &[(u8, u64)],
    ) -> Result<(Vec<(u64, f64)>, Vec<(u64, f64)>), ServiceError> {
        let own: Vec<(u8, u64)> = tokens.iter().copied().filter(|t| !blocks(t)).collect();
        let all: Vec<(u8, u64)> = own.iter().chain(crossed).copied().collect();
        let mut shares = self.name_shares(&all).await?;
        let theirs = shares.split_off(own.len().min(shares.len()));
        Ok((shares, theirs))
    }

    /// Scores the new referral against the referrals sharing a token, best first. Candidate
    /// details are decrypted in memory only, compared and dropped.
    async fn score(
        &self,
        input: &LinkInput,
        tokens: &[(u8, u64)],
        only_before: bool,
    ) -> Result<Vec<Scored>, ServiceError> {
        let model = model()?;
        let started = std::time::Instant::now();
        let blocking: Vec<(u8, u64)> = tokens.iter().copied().filter(blocks).collect();
        let candidates = self
            .store()
            .link_candidates(&blocking, input.referral.case_id)
            .await?;
        let found = candidates.len();
        let read_candidates = started.elapsed();
        let mine = records(&input.details, input.gender);
        let blocker = self.blocker();
        let mine_tf: Vec<(u64, u64)> = mine.iter().map(|r| tf_tokens(&blocker, r)).collect();
        let mine_crossed: Vec<(u64, u64)> = mine
            .iter()
            .map(|r| crossed_tf_tokens(&blocker, r))
            .collect();
        // How common the names are in the other field: a name is taken as common as it is in
        // the field where it is commoner (as the linkage crate's dedupe takes it), so two
        // people both written with common names swapped do not weigh as holders of rare ones.
        // Read with the names' own shares, in one query, when there is anyone to compare.
        let (shares, crossed_shares) = if candidates.is_empty() {
            (Vec::new(), Vec::new())
        } else {
            let crossed: Vec<(u8, u64)> = mine_crossed
                .iter()
                .flat_map(|&(g, f)| [(TF_GIVEN_RULE, g), (TF_FAMILY_RULE, f)])
                .filter(|&(_, t)| t != 0)
                .collect();
            self.name_shares_with(tokens, &crossed).await?
        };
        let share_of = |t: u64| shares.iter().find(|(s, _)| *s == t).map(|(_, f)| *f);
        let crossed_of = |t: u64| {
            crossed_shares
                .iter()
                .find(|(s, _)| *s == t)
                .map(|(_, f)| *f)
        };
        let mut out = Vec::new();
        let eligible: Vec<PersonReferralRow> = candidates
            .into_iter()
            .map(|(candidate, _shared)| candidate)
            .filter(|c| {
                !only_before
                    || (c.submitted_on, &c.reference)
                        < (input.referral.submitted_on, &input.referral.reference)
            })
            .collect();
        let compared = self.compared(eligible).await?;
        let read_inputs = started.elapsed();
        let count = compared.len();
        for (candidate, other) in compared {
            let theirs = records(&other.details, other.gender);
            let theirs_tf: Vec<(u64, u64)> =
                theirs.iter().map(|r| tf_tokens(&blocker, r)).collect();
            let mut ds = Dataset::new();
            let a: Vec<u32> = mine.iter().map(|r| ds.push(&r.record())).collect();
            let b: Vec<u32> = theirs.iter().map(|r| ds.push(&r.record())).collect();
            let mut best: Option<(Levels, f64)> = None;
            for (i, &x) in a.iter().enumerate() {
                for (j, &y) in b.iter().enumerate() {
                    let levels = nrm_linkage::compare::compare(&ds, x, y);
                    // How common the shared name is, when the two give the same one.
                    let ((mg, mf), (tg, tf)) = (mine_tf[i], theirs_tf[j]);
                    let (cg, cf) = mine_crossed[i];
                    let given = (mg != 0 && mg == tg)
                        .then(|| commoner(share_of(mg), crossed_of(cf)))
                        .flatten();
                    let family = (mf != 0 && mf == tf)
                        .then(|| commoner(share_of(mf), crossed_of(cg)))
                        .flatten();
                    // A name written across the fields: its shares as a family name and as
                    // given names.
                    let mut across = None;
                    if levels[nrm_linkage::compare::FAMILY] == Some(nrm_linkage::compare::CROSSED) {
                        across = if cg != 0 && cg == tg {
                            // My family name is their given names.
                            share_of(mf).zip(crossed_of(cg))
                        } else if cf != 0 && cf == tf {
                            // My given names are their family name.
                            crossed_of(cf).zip(share_of(mg))
                        } else {
                            None
                        };
                    }
                    let w = model.prior_weight()
                        + model.pattern_weight(&levels)
                        + model.tf_adjustment_of(&levels, given, family, across);
                    if best.is_none_or(|(_, bw)| w > bw) {
                        best = Some((levels, w));
                    }
                }
            }
            if let Some((levels, w)) = best {
                out.push(Scored {
                    candidate,
                    levels,
                    probability: nrm_linkage::probability(w),
                });
            }
        }
        out.sort_by(|x, y| y.probability.total_cmp(&x.probability));
        // Counts and times only: what a referral's linkage read and compared.
        tracing::debug!(
            candidates = found,
            compared = count,
            candidates_us = read_candidates.as_micros() as u64,
            inputs_us = (read_inputs - read_candidates).as_micros() as u64,
            compare_us = (started.elapsed() - read_inputs).as_micros() as u64,
            "linkage scored"
        );
        Ok(out)
    }

    async fn person_state(&self, person: PersonId) -> Result<(u64, PersonState), ServiceError> {
        match self.store().load_person(person).await? {
            Some(loaded) => Ok((
                loaded.version,
                PersonState::fold(loaded.events.iter().map(|e| &e.event)),
            )),
            None => Ok((0, PersonState::default())),
        }
    }

    /// Links one referral that has no person yet (intake and rebuild). `Ok(None)` for a Duty
    /// to Notify report or a referral already linked.
    pub(crate) async fn link_case(
        &self,
        case_id: CaseId,
        now: DateTime<Utc>,
    ) -> Result<Option<LinkOutcome>, ServiceError> {
        again_on_conflict(|| self.link_case_once(case_id, now)).await
    }

    async fn link_case_once(
        &self,
        case_id: CaseId,
        now: DateTime<Utc>,
    ) -> Result<Option<LinkOutcome>, ServiceError> {
        if self.store().person_of_case(case_id).await?.is_some() {
            return Ok(None);
        }
        let Some(input) = self.input(case_id).await? else {
            return Ok(None);
        };
        self.link_input(&input, now).await.map(Some)
    }

    /// Links the referral `input` (which has no person yet) to an earlier person or a new one.
    async fn link_input(
        &self,
        input: &LinkInput,
        now: DateTime<Utc>,
    ) -> Result<LinkOutcome, ServiceError> {
        let prepared = self.prepare_link(input).await?;
        self.store().write_persons(prepared.write(now)).await?;
        Ok(prepared.outcome())
    }

    /// Decides the linkage of the referral `input` (which has no person yet) from what is
    /// stored now: the earlier person it joins automatically, or a new one, and the possible
    /// matches to review. Writes nothing.
    async fn prepare_link(&self, input: &LinkInput) -> Result<PreparedLink, ServiceError> {
        let case_id = input.referral.case_id;
        let tokens = self.tokens(&records(&input.details, input.gender));
        let scored = self.score(input, &tokens, false).await?;
        let bands = PersonRules::current()
            .match_bands(input.referral.submitted_on)
            .value;
        // The best referral of each other person.
        let mut per_person: Vec<&Scored> = Vec::new();
        for s in &scored {
            if !per_person
                .iter()
                .any(|p| p.candidate.person_id == s.candidate.person_id)
            {
                per_person.push(s);
            }
        }
        let automatic = per_person
            .first()
            .filter(|s| bands.band(s.probability) == Band::Automatic);
        let (person_id, expected, state, events) = match automatic {
            Some(best) => {
                let person = best.candidate.person_id;
                let (version, state) = self.person_state(person).await?;
                let events = decide(
                    &state,
                    person,
                    &PersonCommand::Link {
                        referral: input.referral.clone(),
                        basis: LinkBasis::Automatic {
                            probability_permille: probability_permille(best.probability),
                        },
                    },
                )?;
                (person, version, state, events)
            }
            None => {
                let person = PersonId(nrm_domain::ids::time_ordered());
                let state = PersonState::default();
                let events = decide(
                    &state,
                    person,
                    &PersonCommand::Create {
                        referral: input.referral.clone(),
                    },
                )?;
                (person, 0, state, events)
            }
        };
        let after = events.iter().fold(state, PersonState::evolve);
        let reviews: Vec<NewMatchReview> = per_person
            .iter()
            .filter(|s| s.candidate.person_id != person_id)
            .filter(|s| bands.band(s.probability) != Band::Unlikely)
            .map(|s| NewMatchReview {
                review_id: ReviewId(nrm_domain::ids::time_ordered()),
                case_id,
                candidate_case: s.candidate.case_id,
                probability_permille: probability_permille(s.probability),
                levels: levels_text(&s.levels),
            })
            .collect();
        let audit = AuditRecord {
            actor: Actor::SYSTEM,
            action: if automatic.is_some() {
                "person.link_automatic"
            } else {
                "person.create"
            }
            .to_owned(),
            case_id: Some(case_id),
            outcome: "ok".to_owned(),
            subject: Some(format!("person:{person_id}")),
        };
        Ok(PreparedLink {
            case_id,
            person_id,
            expected,
            events,
            after,
            tokens,
            reviews,
            audit,
            automatic: automatic.is_some(),
        })
    }

    async fn audited<T>(
        &self,
        actor: Actor,
        action: &str,
        case_id: Option<CaseId>,
        subject: Option<String>,
        result: &Result<T, ServiceError>,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        crate::write_audit(self.store(), actor, action, case_id, subject, result, now).await
    }

    /// The possible earlier referrals with `status` (`open`, `confirmed`, `rejected`), oldest
    /// first, with what agreed and what did not (no values). Audited (`person.review_queue`).
    pub async fn review_queue(
        &self,
        capability: &Capability,
        status: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<MatchReviewItem>, ServiceError> {
        if capability.operation() != Operation::ReviewPersonMatches
            || !matches!(status, "open" | "confirmed" | "rejected")
        {
            return Err(ServiceError::NotFound);
        }
        let result = async {
            let rows = self.store().match_reviews(status).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(self.item(row, false, uk_date(now)).await?);
            }
            Ok(out)
        }
        .await;
        self.audited(
            capability.actor(),
            "person.review_queue",
            None,
            None,
            &result,
            now,
        )
        .await?;
        result
    }

    async fn side(
        &self,
        case_id: CaseId,
        with_details: bool,
        today: NaiveDate,
    ) -> Result<MatchSide, ServiceError> {
        let summary = self.store().summary(case_id, today).await?;
        let details = if with_details {
            self.input(case_id).await?.map(|i| i.details)
        } else {
            None
        };
        Ok(MatchSide {
            case_id,
            reference: summary
                .as_ref()
                .map(|s| s.reference.clone())
                .unwrap_or_default(),
            submitted_on: summary.as_ref().map(|s| s.referred_on),
            person_id: self.store().person_of_case(case_id).await?,
            details,
        })
    }

    async fn item(
        &self,
        row: MatchReviewRow,
        with_details: bool,
        today: NaiveDate,
    ) -> Result<MatchReviewItem, ServiceError> {
        Ok(MatchReviewItem {
            review_id: row.review_id,
            status: row.status.clone(),
            probability_permille: row.probability_permille,
            created_at: row.created_at,
            decided_at: row.decided_at,
            new: self.side(row.case_id, with_details, today).await?,
            earlier: self.side(row.candidate_case, with_details, today).await?,
            fields: describe_levels(&parse_levels(&row.levels)),
        })
    }

    /// One possible match, side by side. The personal details of both referrals are included
    /// only when `personal` holds the caller's `ReadPersonalDetails` capabilities for both
    /// (the new referral's first). Audited (`person.review_read`, or
    /// `person.review_read_personal` with the values).
    pub async fn review(
        &self,
        capability: &Capability,
        review_id: ReviewId,
        personal: Option<(&CaseCapability, &CaseCapability)>,
        now: DateTime<Utc>,
    ) -> Result<MatchReviewItem, ServiceError> {
        if capability.operation() != Operation::ReviewPersonMatches {
            return Err(ServiceError::NotFound);
        }
        let result = async {
            let row = self
                .store()
                .match_review(review_id)
                .await?
                .ok_or(ServiceError::NotFound)?;
            let with_details = personal.is_some_and(|(a, b)| {
                a.permits(CaseOperation::ReadPersonalDetails)
                    && b.permits(CaseOperation::ReadPersonalDetails)
                    && a.case_id() == row.case_id
                    && b.case_id() == row.candidate_case
                    && a.actor() == capability.actor()
                    && b.actor() == capability.actor()
            });
            self.item(row, with_details, uk_date(now)).await
        }
        .await;
        let action = if result.as_ref().is_ok_and(|i| i.new.details.is_some()) {
            "person.review_read_personal"
        } else {
            "person.review_read"
        };
        let case_id = result.as_ref().ok().map(|i| i.new.case_id);
        self.audited(
            capability.actor(),
            action,
            case_id,
            Some(format!("review:{review_id}")),
            &result,
            now,
        )
        .await?;
        result
    }

    /// The case ids of a review (for the caller to ask the access policy about both).
    pub async fn review_cases(
        &self,
        capability: &Capability,
        review_id: ReviewId,
    ) -> Result<(CaseId, CaseId), ServiceError> {
        if capability.operation() != Operation::ReviewPersonMatches {
            return Err(ServiceError::NotFound);
        }
        let row = self
            .store()
            .match_review(review_id)
            .await?
            .ok_or(ServiceError::NotFound)?;
        Ok((row.case_id, row.candidate_case))
    }

    /// Confirms a possible match: the new referral's person is joined to the earlier
    /// referral's (undone by [`Persons::split`]). Audited (`person.join`).
    pub async fn confirm(
        &self,
        capability: &Capability,
        review_id: ReviewId,
        now: DateTime<Utc>,
    ) -> Result<PersonId, ServiceError> {
        if capability.operation() != Operation::ReviewPersonMatches {
            return Err(ServiceError::NotFound);
        }
        let actor = capability.actor();
        let row = self.store().match_review(review_id).await?;
        let result = async {
            let row = row.clone().ok_or(ServiceError::NotFound)?;
            if row.status != "open" {
                return Err(nrm_domain::DomainError::refused(
                    "review-decided",
                    "this possible match has already been decided",
                )
                .into());
            }
            let from = self
                .store()
                .person_of_case(row.case_id)
                .await?
                .ok_or(ServiceError::NotFound)?;
            let into = self
                .store()
                .person_of_case(row.candidate_case)
                .await?
                .ok_or(ServiceError::NotFound)?;
            let decision = ReviewDecision {
                review_id,
                confirmed: true,
                decided_by: actor.user,
            };
            let audit = AuditRecord {
                actor,
                action: "person.join".to_owned(),
                case_id: Some(row.case_id),
                outcome: "ok".to_owned(),
                subject: Some(format!("person:{into}")),
            };
            if from == into {
                // Already the same person (joined another way): the review is just closed.
                self.store()
                    .write_persons(PersonWrite {
                        appends: vec![],
                        tokens: vec![],
                        replace_tokens_of: vec![],
                        reviews: vec![],
                        decision: Some(decision),
                        actor,
                        recorded_at: now,
                        audit: &audit,
                    })
                    .await?;
                return Ok(into);
            }
            let (into_version, into_state) = self.person_state(into).await?;
            let (from_version, from_state) = self.person_state(from).await?;
            let referrals: Vec<LinkedReferral> = from_state.referrals.values().cloned().collect();
            let into_events = decide(
                &into_state,
                into,
                &PersonCommand::Join {
                    from,
                    referrals,
                    review: Some(review_id),
                },
            )?;
            let from_events = decide(
                &from_state,
                from,
                &PersonCommand::JoinInto {
                    into,
                    review: Some(review_id),
                },
            )?;
            let into_after = into_events.iter().fold(into_state, PersonState::evolve);
            let from_after = from_events.iter().fold(from_state, PersonState::evolve);
            self.store()
                .write_persons(PersonWrite {
                    appends: vec![
                        PersonAppend {
                            person_id: into,
                            expected_version: into_version,
                            events: &into_events,
                            state_after: &into_after,
                        },
                        PersonAppend {
                            person_id: from,
                            expected_version: from_version,
                            events: &from_events,
                            state_after: &from_after,
                        },
                    ],
                    tokens: vec![],
                    replace_tokens_of: vec![],
                    reviews: vec![],
                    decision: Some(decision),
                    actor,
                    recorded_at: now,
                    audit: &audit,
                })
                .await?;
            Ok(into)
        }
        .await;
        if result.is_err() {
            self.audited(
                actor,
                "person.join",
                row.map(|r| r.case_id),
                Some(format!("review:{review_id}")),
                &result,
                now,
            )
            .await?;
        }
        result
    }

    /// Rejects a possible match: the two referrals stay different persons. Audited
    /// (`person.review_reject`).
    pub async fn reject(
        &self,
        capability: &Capability,
        review_id: ReviewId,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        if capability.operation() != Operation::ReviewPersonMatches {
            return Err(ServiceError::NotFound);
        }
        let actor = capability.actor();
        let row = self.store().match_review(review_id).await?;
        let result = async {
            let row = row.clone().ok_or(ServiceError::NotFound)?;
            if row.status != "open" {
                return Err(nrm_domain::DomainError::refused(
                    "review-decided",
                    "this possible match has already been decided",
                )
                .into());
            }
            let audit = AuditRecord {
                actor,
                action: "person.review_reject".to_owned(),
                case_id: Some(row.case_id),
                outcome: "ok".to_owned(),
                subject: Some(format!("review:{review_id}")),
            };
            self.store()
                .write_persons(PersonWrite {
                    appends: vec![],
                    tokens: vec![],
                    replace_tokens_of: vec![],
                    reviews: vec![],
                    decision: Some(ReviewDecision {
                        review_id,
                        confirmed: false,
                        decided_by: actor.user,
                    }),
                    actor,
                    recorded_at: now,
                    audit: &audit,
                })
                .await?;
            Ok(())
        }
        .await;
        if result.is_err() {
            self.audited(
                actor,
                "person.review_reject",
                row.map(|r| r.case_id),
                Some(format!("review:{review_id}")),
                &result,
                now,
            )
            .await?;
        }
        result
    }

    /// Splits `cases` out of `person`: back to `back_to` (a person that was joined into this
    /// one, undoing the join) or to a new person. `expected_version` is the version the caller
    /// saw. Returns the person the referrals went to. Audited (`person.split`).
    pub async fn split(
        &self,
        capability: &Capability,
        person: PersonId,
        expected_version: Option<u64>,
        cases: &[CaseId],
        back_to: Option<PersonId>,
        now: DateTime<Utc>,
    ) -> Result<PersonId, ServiceError> {
        if capability.operation() != Operation::ReviewPersonMatches {
            return Err(ServiceError::NotFound);
        }
        let actor = capability.actor();
        let result = async {
            let (version, state) = self.person_state(person).await?;
            if version == 0 {
                return Err(ServiceError::NotFound);
            }
            if let Some(expected) = expected_version
                && expected != version
            {
                return Err(ServiceError::Conflict { actual: version });
            }
            let to = back_to.unwrap_or(PersonId(nrm_domain::ids::time_ordered()));
            let (to_version, to_state) = if back_to.is_some() {
                let (v, s) = self.person_state(to).await?;
                if v == 0 || s.joined_into != Some(person) {
                    return Err(nrm_domain::DomainError::refused(
                        "person-split-target",
                        "referrals are split to a new person, or back to the person they were joined from",
                    )
                    .into());
                }
                (v, s)
            } else {
                (0, PersonState::default())
            };
            let referrals: Vec<LinkedReferral> = cases
                .iter()
                .filter_map(|c| state.referrals.get(c).cloned())
                .collect();
            let events = decide(
                &state,
                person,
                &PersonCommand::Split {
                    cases: cases.to_vec(),
                    to,
                },
            )?;
            let to_events = decide(
                &to_state,
                to,
                &PersonCommand::ReceiveSplit {
                    from: person,
                    referrals,
                },
            )?;
            let after = events.iter().fold(state, PersonState::evolve);
            let to_after = to_events.iter().fold(to_state, PersonState::evolve);
            let audit = AuditRecord {
                actor,
                action: "person.split".to_owned(),
                case_id: cases.first().copied(),
                outcome: "ok".to_owned(),
                subject: Some(format!("person:{person}")),
            };
            self.store()
                .write_persons(PersonWrite {
                    appends: vec![
                        PersonAppend {
                            person_id: person,
                            expected_version: version,
                            events: &events,
                            state_after: &after,
                        },
                        PersonAppend {
                            person_id: to,
                            expected_version: to_version,
                            events: &to_events,
                            state_after: &to_after,
                        },
                    ],
                    tokens: vec![],
                    replace_tokens_of: vec![],
                    reviews: vec![],
                    decision: None,
                    actor,
                    recorded_at: now,
                    audit: &audit,
                })
                .await?;
            Ok(to)
        }
        .await;
        if result.is_err() {
            self.audited(
                actor,
                "person.split",
                cases.first().copied(),
                Some(format!("person:{person}")),
                &result,
                now,
            )
            .await?;
        }
        result
    }

    async fn history_unaudited(
        &self,
        person: PersonId,
        now: DateTime<Utc>,
    ) -> Result<PersonHistory, ServiceError> {
        let loaded = self
            .store()
            .load_person(person)
            .await?
            .ok_or(ServiceError::NotFound)?;
        let state = PersonState::fold(loaded.events.iter().map(|e| &e.event));
        let today = uk_date(now);
        let mut referrals = Vec::new();
        let mut entries = Vec::new();
        let mut earlier_rgs = Vec::new();
        for r in state.referrals_by_date() {
            let summary = self.store().summary(r.case_id, today).await?;
            entries.push(HistoryEntry {
                on: r.submitted_on,
                reference: r.reference.clone(),
                what: "referred",
                detail: None,
            });
            if let Some(s) = &summary {
                if let Some(on) = s.reasonable_grounds_decided_on {
                    entries.push(HistoryEntry {
                        on,
                        reference: r.reference.clone(),
                        what: "reasonable_grounds",
                        detail: s.reasonable_grounds_outcome.clone(),
                    });
                    if s.reasonable_grounds_outcome.as_deref() == Some("positive") {
                        earlier_rgs.push(EarlierPositiveRg {
                            reference: r.reference.clone(),
                            decided_on: on,
                        });
                    }
                }
                if let Some(on) = s.conclusive_grounds_decided_on {
                    entries.push(HistoryEntry {
                        on,
                        reference: r.reference.clone(),
                        what: "conclusive_grounds",
                        detail: s.conclusive_grounds_outcome.clone(),
                    });
                }
            }
            for episode in self.store().episodes_for_case(r.case_id).await? {
                entries.push(HistoryEntry {
                    on: uk_date(episode.created_at),
                    reference: episode.reference.clone(),
                    what: "support_started",
                    detail: Some(episode.status.clone()),
                });
                if let Some(until) = episode.support_until {
                    entries.push(HistoryEntry {
                        on: until,
                        reference: episode.reference.clone(),
                        what: "support_until",
                        detail: None,
                    });
                }
            }
            referrals.push(HistoryReferral {
                case_id: r.case_id,
                reference: r.reference.clone(),
                submitted_on: r.submitted_on,
                summary,
            });
        }
        for e in &loaded.events {
            let (what, detail) = match &e.event {
                PersonEvent::Joined { referrals, .. } => (
                    "joined",
                    Some(
                        referrals
                            .iter()
                            .map(|r| r.reference.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                ),
                PersonEvent::Split { cases, .. } => (
                    "split",
                    Some(
                        cases
                            .iter()
                            .map(|c| c.to_string())
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                ),
                _ => continue,
            };
            entries.push(HistoryEntry {
                on: uk_date(e.recorded_at),
                reference: String::new(),
                what,
                detail,
            });
        }
        entries.sort_by(|a, b| (a.on, &a.reference).cmp(&(b.on, &b.reference)));
        // s62 for the latest referral: the positive RGs of the referrals before it.
        let additional_recovery = match referrals.last() {
            Some(last) => {
                let rg_on = last
                    .summary
                    .as_ref()
                    .and_then(|s| s.reasonable_grounds_decided_on)
                    .unwrap_or(today);
                let before: Vec<EarlierPositiveRg> = earlier_rgs
                    .into_iter()
                    .filter(|e| e.reference != last.reference)
                    .collect();
                additional_recovery_period(&PersonRules::current(), &before, rg_on)
            }
            None => AdditionalRecoveryPeriod::Entitled,
        };
        Ok(PersonHistory {
            person_id: person,
            version: loaded.version,
            joined_into: state.joined_into,
            referrals,
            entries,
            events: loaded.events,
            additional_recovery,
        })
    }

    /// A person's history. Audited (`person.read`).
    pub async fn history(
        &self,
        capability: &Capability,
        person: PersonId,
        now: DateTime<Utc>,
    ) -> Result<PersonHistory, ServiceError> {
        if capability.operation() != Operation::ReadPersonHistory {
            return Err(ServiceError::NotFound);
        }
        let result = self.history_unaudited(person, now).await;
        self.audited(
            capability.actor(),
            "person.read",
            None,
            Some(format!("person:{person}")),
            &result,
            now,
        )
        .await?;
        result
    }

    /// The re-referral flag of a case: the person behind it and their other referrals, for a
    /// caller who may read the case and persons' histories. `None` when the referral has no
    /// person (a Duty to Notify report, or not linked yet). Audited (`person.case_flag`).
    pub async fn of_case(
        &self,
        case: &CaseCapability,
        history: &Capability,
        now: DateTime<Utc>,
    ) -> Result<Option<ReReferral>, ServiceError> {
        if !case.permits(CaseOperation::Read)
            || history.operation() != Operation::ReadPersonHistory
            || history.actor() != case.actor()
        {
            return Err(ServiceError::NotFound);
        }
        let case_id = case.case_id();
        let result = async {
            let Some(person) = self.store().person_of_case(case_id).await? else {
                return Ok(None);
            };
            let rows = self.store().person_referrals(person).await?;
            let Some(me) = rows.iter().find(|r| r.case_id == case_id).cloned() else {
                return Ok(None);
            };
            let key = |r: &PersonReferralRow| (r.submitted_on, r.reference.clone());
            let earlier: Vec<(String, NaiveDate)> = rows
                .iter()
                .filter(|r| r.case_id != case_id && key(r) < key(&me))
                .map(|r| (r.reference.clone(), r.submitted_on))
                .collect();
            let later: Vec<(String, NaiveDate)> = rows
                .iter()
                .filter(|r| r.case_id != case_id && key(r) > key(&me))
                .map(|r| (r.reference.clone(), r.submitted_on))
                .collect();
            let open_reviews = self
                .store()
                .match_reviews_of_case(case_id)
                .await?
                .into_iter()
                .filter(|r| r.status == "open" && r.case_id == case_id)
                .map(|r| r.review_id)
                .collect();
            let today = uk_date(now);
            let earlier_rgs = self.positive_rgs_of_others(&rows, case_id, today).await?;
            let rg_on = self
                .store()
                .summary(case_id, today)
                .await?
                .and_then(|s| s.reasonable_grounds_decided_on)
                .unwrap_or(today);
            Ok(Some(ReReferral {
                person_id: person,
                earlier,
                later,
                open_reviews,
                additional_recovery: additional_recovery_period(
                    &PersonRules::current(),
                    &earlier_rgs,
                    rg_on,
                ),
            }))
        }
        .await;
        self.audited(
            case.actor(),
            "person.case_flag",
            Some(case_id),
            None,
            &result,
            now,
        )
        .await?;
        result
    }

    /// The positive RGs of the person's referrals other than `case_id` (`rows` are the
    /// person's referrals).
    async fn positive_rgs_of_others(
        &self,
        rows: &[PersonReferralRow],
        case_id: CaseId,
        today: NaiveDate,
    ) -> Result<Vec<EarlierPositiveRg>, ServiceError> {
        let mut earlier_rgs = Vec::new();
        for r in rows.iter().filter(|r| r.case_id != case_id) {
            if let Some(s) = self.store().summary(r.case_id, today).await?
                && s.reasonable_grounds_outcome.as_deref() == Some("positive")
                && let Some(on) = s.reasonable_grounds_decided_on
            {
                earlier_rgs.push(EarlierPositiveRg {
                    reference: r.reference.clone(),
                    decided_on: on,
                });
            }
        }
        Ok(earlier_rgs)
    }

    /// The positive RGs of the other referrals of the person behind `case_id` (none when it
    /// has no person): what a new RG on the case needs to apply s62. Unaudited: the caller's
    /// decision is audited.
    pub(crate) async fn earlier_positive_rgs(
        &self,
        case_id: CaseId,
        today: NaiveDate,
    ) -> Result<Vec<EarlierPositiveRg>, ServiceError> {
        let Some(person) = self.store().person_of_case(case_id).await? else {
            return Ok(Vec::new());
        };
        let rows = self.store().person_referrals(person).await?;
        self.positive_rgs_of_others(&rows, case_id, today).await
    }

    /// Re-runs linkage over every stored referral (after the model or the key changes): each
    /// referral's tokens are made again; a referral with no person is linked as at intake; a
    /// linked one is scored against the referrals before it and any other person in the review
    /// band or above is queued for a decision maker (persons are never joined without one).
    /// Audited per referral and per run (`person.rebuild`).
    pub async fn rebuild(
        &self,
        capability: &Capability,
        now: DateTime<Utc>,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<RebuildReport, ServiceError> {
        if capability.operation() != Operation::RebuildPersonLinks {
            return Err(ServiceError::NotFound);
        }
        let result = async {
            let all = self.store().referrals_for_linkage().await?;
            let total = all.len() as u64;
            let mut report = RebuildReport::default();
            for (k, (case_id, linked)) in all.into_iter().enumerate() {
                report.referrals += 1;
                let step = if linked {
                    self.relink(case_id, now).await.map(|queued| {
                        report.reviews_queued += queued;
                    })
                } else {
                    self.link_case(case_id, now).await.map(|outcome| {
                        if let Some(o) = outcome {
                            report.linked += 1;
                            report.reviews_queued += o.reviews.len() as u64;
                        }
                    })
                };
                if let Err(e) = step {
                    tracing::warn!(case_id = %case_id, error = %e, "relinking a referral failed");
                    report.failed += 1;
                }
                progress(k as u64 + 1, total);
            }
            Ok(report)
        }
        .await;
        self.audited(
            capability.actor(),
            "person.rebuild",
            None,
            None,
            &result,
            now,
        )
        .await?;
        result
    }

    async fn store_tokens(
        &self,
        case_id: CaseId,
        input: &LinkInput,
        action: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<(u8, u64)>, ServiceError> {
        let tokens = self.tokens(&records(&input.details, input.gender));
        self.replace_tokens(
            tokens.iter().map(|(r, t)| (case_id, *r, *t)).collect(),
            vec![case_id],
            (action, Some(case_id), None),
            now,
        )
        .await?;
        Ok(tokens)
    }

    /// Stores `tokens` in place of every old token of the referrals `of` (no person changes),
    /// with one audit entry by the system: `(action, case, subject)`.
    async fn replace_tokens(
        &self,
        tokens: Vec<(CaseId, u8, u64)>,
        of: Vec<CaseId>,
        (action, case_id, subject): (&str, Option<CaseId>, Option<String>),
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let audit = AuditRecord {
            actor: Actor::SYSTEM,
            action: action.to_owned(),
            case_id,
            outcome: "ok".to_owned(),
            subject,
        };
        self.store()
            .write_persons(PersonWrite {
                appends: vec![],
                tokens,
                replace_tokens_of: of,
                reviews: vec![],
                decision: None,
                actor: Actor::SYSTEM,
                recorded_at: now,
                audit: &audit,
            })
            .await?;
        Ok(())
    }

    async fn relink(&self, case_id: CaseId, now: DateTime<Utc>) -> Result<u64, ServiceError> {
        let Some(input) = self.input(case_id).await? else {
            return Ok(0);
        };
        let person = self.store().person_of_case(case_id).await?;
        // Tokens first, so the referrals after this one find it under the new key or rules.
        let tokens = self
            .store_tokens(case_id, &input, "person.relink", now)
            .await?;
        let bands = PersonRules::current()
            .match_bands(input.referral.submitted_on)
            .value;
        let scored = self.score(&input, &tokens, true).await?;
        let mut seen: BTreeMap<PersonId, ()> = BTreeMap::new();
        let mut reviews = Vec::new();
        for s in &scored {
            if Some(s.candidate.person_id) == person
                || seen.insert(s.candidate.person_id, ()).is_some()
                || bands.band(s.probability) == Band::Unlikely
            {
                continue;
            }
            reviews.push(NewMatchReview {
                review_id: ReviewId(nrm_domain::ids::time_ordered()),
                case_id,
                candidate_case: s.candidate.case_id,
                probability_permille: probability_permille(s.probability),
                levels: levels_text(&s.levels),
            });
        }
        if reviews.is_empty() {
            return Ok(0);
        }
        let known = self.store().match_reviews_of_case(case_id).await?;
        reviews.retain(|r| {
            !known
                .iter()
                .any(|k| k.case_id == r.case_id && k.candidate_case == r.candidate_case)
        });
        let queued = reviews.len() as u64;
        if queued > 0 {
            let audit = AuditRecord {
                actor: Actor::SYSTEM,
                action: "person.review_queued".to_owned(),
                case_id: Some(case_id),
                outcome: "ok".to_owned(),
                subject: None,
            };
            self.store()
                .write_persons(PersonWrite {
                    appends: vec![],
                    tokens: vec![],
                    replace_tokens_of: vec![],
                    reviews,
                    decision: None,
                    actor: Actor::SYSTEM,
                    recorded_at: now,
                    audit: &audit,
                })
                .await?;
        }
        Ok(queued)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_name_weighs_as_common_as_it_is_in_the_field_where_it_is_commoner() {
        let model = model().unwrap_or_else(|e| panic!("{e}"));
        let mut levels: nrm_linkage::compare::Levels = [None; 5];
        levels[nrm_linkage::compare::GIVEN] = Some(4);
        // A common family name written as the given names of both referrals: rare in that
        // field (1 in 100,000 there), common in its own (1 in 50).
        let weight = |share| model.tf_adjustment_of(&levels, share, None, None);
        let as_written = weight(commoner(Some(1e-5), None));
        let commoner_field = weight(commoner(Some(1e-5), Some(0.02)));
        assert!(
            commoner_field < as_written,
            "{commoner_field} < {as_written}"
        );
        assert_eq!(commoner_field, weight(Some(0.02)));
        // Commoner in its own field: that share stands; unknown there: no adjustment at all.
        assert_eq!(commoner(Some(0.02), Some(1e-5)), Some(0.02));
        assert_eq!(commoner(None, Some(0.02)), None);
    }

    #[test]
    fn the_shipped_model_loads() {
        assert!(MODEL.is_ok(), "{:?}", MODEL.as_ref().err());
    }

    #[test]
    fn stored_rule_numbers_never_move_and_never_collide() {
        // The numbers stored before the engine had more than five rules.
        assert_eq!((0..5).map(stored_rule).collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
        assert_eq!((NAME_ONLY_RULE, TF_GIVEN_RULE, TF_FAMILY_RULE), (5, 6, 7));
        let mut all: Vec<u8> = (0..nrm_linkage::block::R).map(stored_rule).collect();
        all.extend([NAME_ONLY_RULE, TF_GIVEN_RULE, TF_FAMILY_RULE]);
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n, "{all:?}");
    }

    #[test]
    fn a_postcode_at_the_end_of_an_address_is_split_off() {
        assert_eq!(
            split_postcode("12 High Street, Leeds LS1 4AB"),
            ("12 High Street Leeds".to_owned(), "LS1 4AB".to_owned())
        );
        assert_eq!(
            split_postcode("Flat 3, 9 Mill Lane, sw1a 1aa"),
            ("Flat 3 9 Mill Lane".to_owned(), "SW1A 1AA".to_owned())
        );
        assert_eq!(
            split_postcode("a hostel in the town centre"),
            ("a hostel in the town centre".to_owned(), String::new())
        );
    }

    #[test]
    fn levels_round_trip_and_describe() {
        let levels: Levels = [Some(4), Some(2), None, Some(1), Some(0)];
        let text = levels_text(&levels);
        assert_eq!(text, "4,2,-,1,0");
        assert_eq!(parse_levels(&text), levels);
        let d = describe_levels(&levels);
        assert_eq!(d[0].agreement, "agrees");
        assert_eq!(d[1].agreement, "partly");
        assert_eq!(d[2].agreement, "missing");
        assert_eq!(d[3].agreement, "agrees");
        assert_eq!(d[4].agreement, "disagrees");
        // Out-of-range levels are not trusted.
        assert_eq!(parse_levels("9,9,9,9,9"), [None; 5]);
    }

    #[test]
    fn other_names_become_more_records() {
        let details = PersonalDetails {
            given_names: "Thi Hoa".to_owned(),
            family_name: "Nguyen".to_owned(),
            other_names: vec!["Hoa Nguyen Thi".to_owned(), "Mimi".to_owned()],
            ..PersonalDetails::default()
        };
        let recs = records(&details, Gender::Female);
        assert_eq!(recs.len(), 3);
        assert_eq!(recs[1].given, "Hoa Nguyen");
        assert_eq!(recs[1].family, "Thi");
        assert_eq!(recs[2].given, "Mimi");
        assert_eq!(recs[2].family, "Nguyen");
        assert_eq!(recs[0].sex, "f");
    }
}
