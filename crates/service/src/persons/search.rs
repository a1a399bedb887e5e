//! Finding a case by the person's name and date of birth (issue 11, item 4).
//!
//! The terms are never looked up as text: they become the same keyed blocking tokens that
//! intake stores for every referral (`person_link_tokens`: HMAC-SHA-256 under the linkage key,
//! never a name or a date), so the database is asked only "which referrals hold these
//! tokens". Each referral found is checked against the access policy first (a name search is
//! a read of personal details, so the caller must be allowed [`CaseOperation::ReadPersonalDetails`]
//! on it); only then are its details decrypted, in memory, and compared field by field with
//! the terms by the same Fellegi–Sunter model as intake linking. Hits are ranked by that
//! weight; those with no evidence of being the same person are left out. Every search is
//! audited (`case.find_person`) with its terms as a keyed hash, never the terms themselves.

use chrono::{DateTime, NaiveDate, Utc};
use nrm_access::{Capability, CaseOperation, Operation, Principal};
use nrm_domain::case::CaseStatus;
use nrm_domain::clock::uk_date;
use nrm_domain::ids::CaseId;
use nrm_domain::person::rules::{Band, PersonRules, probability_permille};
use nrm_linkage::Dataset;

use super::{FieldComparison, OwnedRecord, Persons, describe_levels, model, records};
use crate::{Cases, ServiceError};

/// At most this many holders of one token are read. A token held by more (a common name in
/// a national store) is oversized: the referrals holding it are compared only when they also
/// hold a rarer token of the terms (`Store::token_candidates`), so the work of a search is
/// bounded by this, not by the number of referrals.
const PER_TOKEN: i64 = 50;
/// At most this many referrals the caller may read are decrypted and compared.
const MAX_COMPARED: usize = 50;
/// At most this many hits are returned.
pub const MAX_HITS: usize = 25;

/// What the caller typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonQuery {
    pub given_names: String,
    pub family_name: String,
    pub date_of_birth: Option<NaiveDate>,
}

/// Why a query cannot be searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryProblem {
    /// No family name.
    NoFamilyName,
    /// A family name alone finds too many: a given name or a date of birth is needed too.
    TooLittle,
    /// A name longer than any real one.
    TooLong,
}

impl PersonQuery {
    /// The most characters a name term may have.
    pub const MAX_NAME: usize = 100;

    /// Checks the query can be searched.
    pub fn check(&self) -> Result<(), QueryProblem> {
        if self.given_names.chars().count() > Self::MAX_NAME
            || self.family_name.chars().count() > Self::MAX_NAME
        {
            return Err(QueryProblem::TooLong);
        }
        if nrm_linkage::normalise::fold(&self.family_name)
            .trim()
            .is_empty()
        {
            return Err(QueryProblem::NoFamilyName);
        }
        if nrm_linkage::normalise::fold(&self.given_names)
            .trim()
            .is_empty()
            && self.date_of_birth.is_none()
        {
            return Err(QueryProblem::TooLittle);
        }
        Ok(())
    }

    fn record(&self) -> OwnedRecord {
        OwnedRecord {
            given: self.given_names.trim().to_owned(),
            family: self.family_name.trim().to_owned(),
            dob: self
                .date_of_birth
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            sex: "",
            address: String::new(),
            postcode: String::new(),
        }
    }

    /// The keyed hash of the normalised terms, for the audit entry.
    fn audit_term(&self, cases: &Cases) -> String {
        let text = format!(
            "{}|{}|{}",
            nrm_linkage::normalise::fold(&self.given_names).trim(),
            nrm_linkage::normalise::fold(&self.family_name).trim(),
            self.date_of_birth
                .map(|d| d.to_string())
                .unwrap_or_default()
        );
        cases.search_term_subject(&text)
    }
}

/// How strongly a hit matches the terms: the bands of intake linking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HitStrength {
    /// At or above the automatic linking band.
    Strong,
    /// In the review band.
    Possible,
    /// Below it, but more alike than not.
    Weak,
}

impl HitStrength {
    pub fn code(self) -> &'static str {
        match self {
            Self::Strong => "strong",
            Self::Possible => "possible",
            Self::Weak => "weak",
        }
    }
}

/// One case found.
#[derive(Debug, Clone)]
pub struct PersonHit {
    pub case_id: CaseId,
    pub reference: String,
    pub referred_on: NaiveDate,
    pub status: CaseStatus,
    pub strength: HitStrength,
    pub probability_permille: u16,
    /// What agreed with the terms and what did not (no values).
    pub fields: Vec<FieldComparison>,
    /// The name and date of birth on the referral, to tell hits apart (the caller may read
    /// them: every hit passed [`CaseOperation::ReadPersonalDetails`]).
    pub name: String,
    pub date_of_birth: Option<NaiveDate>,
}

/// The answer to a search.
#[derive(Debug, Clone, Default)]
pub struct PersonSearch {
    pub hits: Vec<PersonHit>,
    /// More referrals shared the terms' tokens than were compared: the caller should narrow
    /// the search (add a date of birth or the whole given name). Set when every token of the
    /// terms was oversized (only some of their holders were read) or the comparisons stopped
    /// at their limit.
    pub truncated: bool,
    /// How many referrals were decrypted and compared (the search's cost; no personal data).
    pub compared: usize,
}

/// What [`Persons::index_unindexed`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndexReport {
    pub indexed: u64,
    pub failed: u64,
}

impl Persons<'_> {
    /// Writes the keyed tokens of every adult and child referral that has none (cases written
    /// by the bulk load or the legacy import, which do not run intake linking), so the search
    /// by name finds them. Only tokens: no person is made and nothing is joined (`nrm link
    /// rebuild` does that). Written and audited a batch at a time (`person.index`, with the
    /// number of referrals), and audited per run (`person.index_run`). Needs
    /// [`Operation::RebuildPersonLinks`].
    pub async fn index_unindexed(
        &self,
        capability: &Capability,
        now: DateTime<Utc>,
        progress: &mut dyn FnMut(u64),
    ) -> Result<IndexReport, ServiceError> {
        if capability.operation() != Operation::RebuildPersonLinks {
            return Err(ServiceError::NotFound);
        }
        let result = async {
            let mut report = IndexReport::default();
            // Those that could not be indexed stay without tokens: the next batch starts after
            // the last case of this one, past them.
            let mut after = None;
            loop {
                let fresh = self.store().referrals_without_tokens(after, 500).await?;
                let Some(&last) = fresh.last() else {
                    break;
                };
                after = Some(last);
                // One write (and one audit entry) per batch: tokens only, no person.
                let mut tokens = Vec::new();
                let mut indexed = Vec::new();
                for case_id in fresh {
                    match self.input(case_id).await {
                        Ok(Some(input)) => {
                            let made = self.tokens(&records(&input.details, input.gender));
                            tokens.extend(made.into_iter().map(|(r, t)| (case_id, r, t)));
                            indexed.push(case_id);
                        }
                        Ok(None) => {}
                        Err(e) => {
                            tracing::warn!(case_id = %case_id, error = %e, "indexing a referral failed");
                            report.failed += 1;
                        }
                    }
                }
                if indexed.is_empty() {
                    continue;
                }
                let count = indexed.len() as u64;
                self.replace_tokens(
                    tokens,
                    indexed,
                    ("person.index", None, Some(format!("referrals:{count}"))),
                    now,
                )
                .await?;
                report.indexed += count;
                progress(report.indexed);
            }
            Ok(report)
        }
        .await;
        self.audited(
            capability.actor(),
            "person.index_run",
            None,
            None,
            &result,
            now,
        )
        .await?;
        result
    }

    /// Finds the cases whose person matches `query`, among those `principal` may read the
    /// personal details of, best first. Audited (`case.find_person`, the terms hashed).
    pub async fn search(
        &self,
        capability: &Capability,
        principal: &Principal,
        query: &PersonQuery,
        now: DateTime<Utc>,
    ) -> Result<PersonSearch, ServiceError> {
        if capability.operation() != Operation::ListCases || capability.actor() != principal.actor {
            return Err(ServiceError::NotFound);
        }
        let subject = Some(query.audit_term(self.cases));
        let result = self.search_unaudited(principal, query, now).await;
        self.audited(
            capability.actor(),
            "case.find_person",
            None,
            subject,
            &result,
            now,
        )
        .await?;
        result
    }

    async fn search_unaudited(
        &self,
        principal: &Principal,
        query: &PersonQuery,
        now: DateTime<Utc>,
    ) -> Result<PersonSearch, ServiceError> {
        query.check().map_err(|p| {
            let (field, message) = match p {
                QueryProblem::NoFamilyName => ("family_name", "Enter a family name"),
                QueryProblem::TooLittle => (
                    "given_names",
                    "Enter a given name or a date of birth as well as the family name",
                ),
                QueryProblem::TooLong => ("family_name", "A name is at most 100 characters"),
            };
            ServiceError::Domain(nrm_domain::DomainError::Invalid(vec![
                nrm_domain::FieldProblem::new(field, message),
            ]))
        })?;
        let model = model()?;
        let today = uk_date(now);
        let mine = vec![query.record()];
        // The blocking tokens only: a name's term-frequency token would bring everyone with it.
        let tokens: Vec<(u8, u64)> = self
            .tokens(&mine)
            .into_iter()
            .filter(super::blocks)
            .collect();
        let candidates = self.store().token_candidates(&tokens, PER_TOKEN).await?;
        let bands = PersonRules::current().match_bands(today).value;
        let mut out = PersonSearch {
            truncated: !tokens.is_empty() && candidates.oversized == tokens.len(),
            ..PersonSearch::default()
        };
        let mut ranked: Vec<(f64, PersonHit)> = Vec::new();
        let mut compared = 0;
        for (case_id, _shared) in candidates.holders {
            if compared >= MAX_COMPARED {
                out.truncated = true;
                break;
            }
            // The policy first: nothing is decrypted for a case the caller may not read.
            let Some(facts) = self.cases.case_facts(case_id, today).await? else {
                continue;
            };
            if nrm_access::authorise_case(principal, CaseOperation::ReadPersonalDetails, &facts)
                .is_err()
            {
                continue;
            }
            let Some(input) = self.input(case_id).await? else {
                continue;
            };
            compared += 1;
            let theirs = records(&input.details, input.gender);
            let mut ds = Dataset::new();
            let a = ds.push(&mine[0].record());
            let b: Vec<u32> = theirs.iter().map(|r| ds.push(&r.record())).collect();
            let best = b
                .iter()
                .map(|&y| {
                    let levels = nrm_linkage::compare::compare(&ds, a, y);
                    (levels, model.pattern_weight(&levels))
                })
                .max_by(|x, y| x.1.total_cmp(&y.1));
            let Some((levels, evidence)) = best else {
                continue;
            };
            // No evidence either way, or evidence against: not this person.
            if evidence <= 0.0 {
                continue;
            }
            let probability = nrm_linkage::probability(model.prior_weight() + evidence);
            let strength = match bands.band(probability) {
                Band::Automatic => HitStrength::Strong,
                Band::Review => HitStrength::Possible,
                Band::Unlikely => HitStrength::Weak,
            };
            let Some(summary) = self.store().summary(case_id, today).await? else {
                continue;
            };
            ranked.push((
                probability,
                PersonHit {
                    case_id,
                    reference: input.referral.reference.clone(),
                    referred_on: input.referral.submitted_on,
                    status: summary.status,
                    strength,
                    probability_permille: probability_permille(probability),
                    fields: describe_levels(&levels),
                    name: format!(
                        "{} {}",
                        input.details.given_names.trim(),
                        input.details.family_name.trim()
                    )
                    .trim()
                    .to_owned(),
                    date_of_birth: input.details.date_of_birth,
                },
            ));
        }
        out.compared = compared;
        ranked.sort_by(|(p, x), (q, y)| {
            q.total_cmp(p)
                .then(y.referred_on.cmp(&x.referred_on))
                .then(x.reference.cmp(&y.reference))
        });
        out.hits = ranked
            .into_iter()
            .take(MAX_HITS)
            .map(|(_, hit)| hit)
            .collect();
        Ok(out)
    }
}
