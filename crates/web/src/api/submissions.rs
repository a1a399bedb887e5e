//! The three submission endpoints: request bodies, their conversion to domain types, handlers.
//!
//! Request types are separate from domain types: they describe the wire format (and the
//! OpenAPI schema) and are parsed into the domain's types before any logic runs. Every problem
//! found while converting is collected, so one response names every invalid field.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use chrono::NaiveDate;
use nrm_domain::FieldProblem;
use nrm_domain::exploitation::{Exploitation, ExploitationLocation, ExploitationPeriod};
use nrm_domain::geography::{Country, PoliceForceArea, UkNation};
use nrm_domain::personal::PersonalDetails;
use nrm_domain::submission::{
    AdultConsent, AdultReferral, ChildReferral, DutyToNotify, FirstResponderDetails, Profile,
    Submission,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::mirror::{
    AgeAtExploitationDto, ExploitationTypeDto, FirstResponderTypeDto, GenderDto,
    ImmigrationCohortDto, UkNationDto,
};
use nrm_access::Operation;

use crate::AppState;
use crate::actor::Caller;
use crate::json::JsonBody;
use crate::problem::Problem;

/// This module's routes, each declared once: the router and the OpenAPI document are both built
/// from these `routes!` (one per path; handlers on the same path share a call), so neither can
/// have a route the other lacks. Merged in `crate::openapi::routes`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(adult))
        .routes(routes!(child))
        .routes(routes!(duty_to_notify))
}

/// The potential victim's personal details. Stored encrypted; never logged.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VictimRequest {
    #[serde(default)]
    pub given_names: String,
    #[serde(default)]
    pub family_name: String,
    #[serde(default)]
    pub other_names: Vec<String>,
    pub date_of_birth: Option<NaiveDate>,
    #[serde(default)]
    pub languages: Vec<String>,
    #[serde(default)]
    pub interpreter_needed: bool,
    pub contact: Option<String>,
    pub current_address: Option<String>,
    #[serde(default)]
    pub other_references: Vec<String>,
    /// What happened to the person, in as much detail as they were willing to give.
    pub narrative: String,
}

/// Facts about the person the statistics are published by.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileRequest {
    pub gender: GenderDto,
    /// ISO 3166-1 alpha-2 codes; empty when not known.
    #[serde(default)]
    pub nationalities: Vec<String>,
}

/// Where the exploitation happened.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationRequest {
    #[serde(default)]
    pub uk_nations: Vec<UkNationDto>,
    /// Police force area codes, for example `west-midlands` or `police-scotland`.
    #[serde(default)]
    pub police_force_areas: Vec<String>,
    /// ISO 3166-1 alpha-2 codes of countries outside the UK.
    #[serde(default)]
    pub overseas_countries: Vec<String>,
}

/// When the exploitation happened.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PeriodRequest {
    pub started_on: Option<NaiveDate>,
    pub ended_on: Option<NaiveDate>,
    #[serde(default)]
    pub ongoing: bool,
}

/// The exploitation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExploitationRequest {
    pub types: Vec<ExploitationTypeDto>,
    #[serde(default)]
    pub county_lines: bool,
    #[serde(default)]
    pub location: LocationRequest,
    #[serde(default)]
    pub period: PeriodRequest,
}

/// The referring First Responder's organisation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FirstResponderRequest {
    pub organisation_type: FirstResponderTypeDto,
}

/// Consent recorded for an adult referral.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentRequest {
    /// Must be true: without informed consent, make a Duty to Notify report instead.
    pub informed_consent_to_referral: bool,
    pub referral_consent_given_on: NaiveDate,
    /// Whether the person also consents to being referred for support.
    pub support_consent: bool,
}

/// Which UK nation the person is in now. `unknown` (the default when the field is left out)
/// records no nation: deadlines of those acting for the person are then counted on the
/// deciding authority's calendar, and no nation's statutory support period is assumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CurrentNationDto {
    England,
    Wales,
    Scotland,
    NorthernIreland,
    #[default]
    Unknown,
}

impl CurrentNationDto {
    fn into_nation(self) -> Option<UkNation> {
        match self {
            Self::England => Some(UkNation::England),
            Self::Wales => Some(UkNation::Wales),
            Self::Scotland => Some(UkNation::Scotland),
            Self::NorthernIreland => Some(UkNation::NorthernIreland),
            Self::Unknown => None,
        }
    }

    /// The nation recorded on a case as the API writes it (`unknown` when none is recorded).
    pub fn from_nation(nation: Option<UkNation>) -> Self {
        match nation {
            Some(UkNation::England) => Self::England,
            Some(UkNation::Wales) => Self::Wales,
            Some(UkNation::Scotland) => Self::Scotland,
            Some(UkNation::NorthernIreland) => Self::NorthernIreland,
            None => Self::Unknown,
        }
    }
}

/// An adult NRM referral.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdultReferralRequest {
    pub victim: VictimRequest,
    pub profile: ProfileRequest,
    pub consent: ConsentRequest,
    pub exploitation: ExploitationRequest,
    pub first_responder: FirstResponderRequest,
    pub immigration_cohort: Option<ImmigrationCohortDto>,
    /// Where the person is now (optional; `unknown` when left out). Scotland's 90-day and
    /// Northern Ireland's 45-day support periods, and the calendar a support provider's reply
    /// is counted on, follow it.
    #[serde(default)]
    pub current_nation: CurrentNationDto,
}

/// A child NRM referral (anyone under 18, or whose age is disputed). No consent is needed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChildReferralRequest {
    pub victim: VictimRequest,
    pub profile: ProfileRequest,
    #[serde(default)]
    pub age_disputed: bool,
    /// Whether local authority children's services have been told (children are safeguarded first).
    pub local_authority_notified: bool,
    /// The local authority area (a pilot-site code such as `hull`, or any other area name).
    pub local_authority_area: Option<String>,
    pub exploitation: ExploitationRequest,
    pub first_responder: FirstResponderRequest,
    pub immigration_cohort: Option<ImmigrationCohortDto>,
    /// Where the person is now (optional; `unknown` when left out). Scotland's 90-day and
    /// Northern Ireland's 45-day support periods, and the calendar a support provider's reply
    /// is counted on, follow it.
    #[serde(default)]
    pub current_nation: CurrentNationDto,
}

/// An anonymous Duty to Notify report. It has no field that could identify the person.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DutyToNotifyRequest {
    pub profile: ProfileRequest,
    pub age_at_exploitation: AgeAtExploitationDto,
    pub exploitation: ExploitationRequest,
    pub first_responder: FirstResponderRequest,
}

/// What a successful submission returns.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SubmittedResponse {
    pub case_id: Uuid,
    /// The readable case reference, for example `NRM-2026-K7M3-QX9D`.
    pub reference: String,
    pub version: u64,
}

fn victim(v: VictimRequest) -> PersonalDetails {
    PersonalDetails {
        given_names: v.given_names,
        family_name: v.family_name,
        other_names: v.other_names,
        date_of_birth: v.date_of_birth,
        languages: v.languages,
        interpreter_needed: v.interpreter_needed,
        contact: v.contact,
        current_address: v.current_address,
        other_references: v.other_references,
        narrative: v.narrative,
    }
}

fn countries(codes: Vec<String>, pointer: &str, problems: &mut Vec<FieldProblem>) -> Vec<Country> {
    codes
        .iter()
        .enumerate()
        .filter_map(|(i, code)| match Country::parse(code) {
            Ok(c) => Some(c),
            Err(_) => {
                problems.push(FieldProblem::new(
                    format!("{pointer}/{i}"),
                    "Not a known ISO 3166-1 alpha-2 country code",
                ));
                None
            }
        })
        .collect()
}

fn profile(p: ProfileRequest, problems: &mut Vec<FieldProblem>) -> Profile {
    Profile {
        gender: p.gender.into(),
        nationalities: countries(p.nationalities, "/profile/nationalities", problems),
    }
}

fn exploitation(e: ExploitationRequest, problems: &mut Vec<FieldProblem>) -> Exploitation {
    let areas = e
        .location
        .police_force_areas
        .iter()
        .enumerate()
        .filter_map(|(i, code)| {
            let area = PoliceForceArea::parse(code);
            if area.is_none() {
                problems.push(FieldProblem::new(
                    format!("/exploitation/location/police_force_areas/{i}"),
                    "Not a known police force area code",
                ));
            }
            area
        })
        .collect();
    Exploitation {
        types: e.types.into_iter().map(Into::into).collect(),
        county_lines: e.county_lines,
        location: ExploitationLocation {
            uk_nations: e.location.uk_nations.into_iter().map(Into::into).collect(),
            police_force_areas: areas,
            overseas_countries: countries(
                e.location.overseas_countries,
                "/exploitation/location/overseas_countries",
                problems,
            ),
        },
        period: ExploitationPeriod {
            started_on: e.period.started_on,
            ended_on: e.period.ended_on,
            ongoing: e.period.ongoing,
        },
    }
}

fn finish(submission: Submission, problems: Vec<FieldProblem>) -> Result<Submission, Problem> {
    if problems.is_empty() {
        Ok(submission)
    } else {
        Err(Problem::invalid(problems))
    }
}

impl AdultReferralRequest {
    pub fn into_submission(self) -> Result<Submission, Problem> {
        let mut problems = Vec::new();
        if !self.consent.informed_consent_to_referral {
            problems.push(FieldProblem::new(
                "/consent/informed_consent_to_referral",
                "An adult can only be referred with their informed consent; without it, make a Duty to Notify report",
            ));
        }
        let submission = Submission::Adult(AdultReferral {
            victim: victim(self.victim),
            profile: profile(self.profile, &mut problems),
            consent: AdultConsent {
                referral_consent_given_on: self.consent.referral_consent_given_on,
                support_consent: self.consent.support_consent,
            },
            exploitation: exploitation(self.exploitation, &mut problems),
            first_responder: FirstResponderDetails {
                organisation_type: self.first_responder.organisation_type.into(),
            },
            immigration_cohort: self.immigration_cohort.map(Into::into),
            current_nation: self.current_nation.into_nation(),
        });
        finish(submission, problems)
    }
}

impl ChildReferralRequest {
    pub fn into_submission(self) -> Result<Submission, Problem> {
        let mut problems = Vec::new();
        let submission = Submission::Child(ChildReferral {
            victim: victim(self.victim),
            profile: profile(self.profile, &mut problems),
            age_disputed: self.age_disputed,
            local_authority_notified: self.local_authority_notified,
            local_authority_area: self.local_authority_area,
            exploitation: exploitation(self.exploitation, &mut problems),
            first_responder: FirstResponderDetails {
                organisation_type: self.first_responder.organisation_type.into(),
            },
            immigration_cohort: self.immigration_cohort.map(Into::into),
            current_nation: self.current_nation.into_nation(),
        });
        finish(submission, problems)
    }
}

impl DutyToNotifyRequest {
    pub fn into_submission(self) -> Result<Submission, Problem> {
        let mut problems = Vec::new();
        let submission = Submission::DutyToNotify(DutyToNotify {
            profile: profile(self.profile, &mut problems),
            age_at_exploitation: self.age_at_exploitation.into(),
            exploitation: exploitation(self.exploitation, &mut problems),
            first_responder: FirstResponderDetails {
                organisation_type: self.first_responder.organisation_type.into(),
            },
        });
        finish(submission, problems)
    }
}

/// Decides access first, then parses the body, then submits: a caller who may not submit
/// learns nothing from validation.
async fn submit<T: serde::de::DeserializeOwned>(
    state: &AppState,
    caller: Caller,
    operation: Operation,
    body: JsonBody,
    into_submission: impl FnOnce(T) -> Result<Submission, Problem>,
) -> Result<axum::response::Response, Problem> {
    let capability = crate::access::authorise(state, &caller, operation).await?;
    let submission = into_submission(body.parse::<T>()?)?;
    let submitted = state
        .cases
        .submit(&capability, submission, state.now())
        .await?;
    let mut headers = HeaderMap::new();
    if let Ok(location) = HeaderValue::from_str(&format!("/api/v1/cases/{}", submitted.reference)) {
        headers.insert(header::LOCATION, location);
    }
    Ok((
        StatusCode::CREATED,
        headers,
        axum::Json(SubmittedResponse {
            case_id: submitted.case_id.0,
            reference: submitted.reference.to_string(),
            version: submitted.version,
        }),
    )
        .into_response())
}

/// Submit an adult NRM referral.
#[utoipa::path(
    post, path = "/api/v1/referrals/adult", tag = "submissions",
    request_body = AdultReferralRequest,
    responses(
        (status = 201, description = "Referral accepted; Location names the case", body = SubmittedResponse),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed; or the organisation is neither on the First Responder Organisation list for its nation nor individually designated today (`not-a-first-responder-organisation`)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn adult(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> Result<impl IntoResponse, Problem> {
    submit(
        &state,
        caller,
        Operation::SubmitReferral,
        body,
        AdultReferralRequest::into_submission,
    )
    .await
}

/// Submit a child NRM referral.
#[utoipa::path(
    post, path = "/api/v1/referrals/child", tag = "submissions",
    request_body = ChildReferralRequest,
    responses(
        (status = 201, description = "Referral accepted; Location names the case", body = SubmittedResponse),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed; or the organisation is neither on the First Responder Organisation list for its nation nor individually designated today (`not-a-first-responder-organisation`)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn child(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> Result<impl IntoResponse, Problem> {
    submit(
        &state,
        caller,
        Operation::SubmitReferral,
        body,
        ChildReferralRequest::into_submission,
    )
    .await
}

/// Make an anonymous Duty to Notify report.
#[utoipa::path(
    post, path = "/api/v1/duty-to-notify", tag = "submissions",
    request_body = DutyToNotifyRequest,
    responses(
        (status = 201, description = "Report accepted", body = SubmittedResponse),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not allowed; or the duty to notify does not fall on the organisation in its nation today (`duty-to-notify-not-for-this-organisation`: only specified public authorities in England and Wales)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn duty_to_notify(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonBody,
) -> Result<impl IntoResponse, Problem> {
    submit(
        &state,
        caller,
        Operation::SubmitDutyToNotify,
        body,
        DutyToNotifyRequest::into_submission,
    )
    .await
}
