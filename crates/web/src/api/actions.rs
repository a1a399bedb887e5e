//! Lifecycle actions on a case, the decision notices, the rulebook and the deadline sweep.
//!
//! Actions share one endpoint, `POST /api/v1/cases/{reference}/actions`, whose body is an
//! object with one key naming the action (`{"withdraw": {...}}`), so a problem in an action's
//! fields is reported with a precise pointer such as `/withdraw/reason`.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use chrono::NaiveDate;
use nrm_domain::command::ReviewPanel;
use nrm_domain::event::{
    ClosureReason, DecisionRef, DisqualificationGround, InformationSource, RerouteReason,
    ReviewOutcome, ReviewedDecision, Reviewer, SuspensionReason, WithdrawalReason,
};
use nrm_domain::ids::UserId;
use nrm_domain::rules::Requester;
use nrm_service::Action;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use nrm_access::{CaseOperation, Operation};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::PathParam;
use super::cases::{DecisionResponse, expected_version, recorded};
use super::mirror::CompetentAuthorityDto;
use crate::AppState;
use crate::access::authorise_case;
use crate::actor::Caller;
use crate::json::JsonBody;
use crate::problem::Problem;

/// This module's routes, each declared once: the router and the OpenAPI document are both built
/// from these `routes!` (one per path; handlers on the same path share a call), so neither can
/// have a route the other lacks. Merged in `crate::openapi::routes`.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(act))
        .routes(routes!(notices))
        .routes(routes!(rulebook))
        .routes(routes!(sweep))
}

macro_rules! api_enum {
    ($(#[$doc:meta])* $api:ident => $domain:ty { $($variant:ident),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $api { $($variant),+ }

        impl From<$api> for $domain {
            fn from(value: $api) -> Self {
                match value { $($api::$variant => <$domain>::$variant),+ }
            }
        }
    };
}

api_enum!(
    /// Why a case moves to another competent authority.
    RerouteReasonDto => RerouteReason {
        DetentionStarted, DeportationActionStarted, AsylumClaimInadmissible,
        LeftImmigrationEnforcementCohort, MovedIntoPilotArea, Correction
    }
);
api_enum!(
    /// Who is asked for further information.
    InformationSourceDto => InformationSource { FirstResponder, Police, LocalAuthority, SupportProvider }
);
api_enum!(
    /// Nationality and Borders Act 2022 s63 grounds.
    DisqualificationGroundDto => DisqualificationGround { PublicOrder, BadFaith }
);
api_enum!(
    /// What a review concluded.
    ReviewOutcomeDto => ReviewOutcome { Agree, ReferBack }
);
api_enum!(
    /// Which decision.
    DecisionRefDto => DecisionRef { ReasonableGrounds, ConclusiveGrounds }
);
api_enum!(
    /// A decision reviewed before service when it goes against the person.
    ReviewedDecisionDto => ReviewedDecision { ReasonableGrounds, ConclusiveGrounds, Disqualification }
);
api_enum!(
    /// Who asks for a reconsideration.
    RequesterDto => Requester { FirstResponder, SupportProvider, PotentialVictim, LegalRepresentative }
);
api_enum!(
    /// Why a case is withdrawn.
    WithdrawalReasonDto => WithdrawalReason { ConsentWithdrawn, ReferredInError, Other }
);
api_enum!(
    /// Why a case is suspended.
    SuspensionReasonDto => SuspensionReason { MissingPerson, LostContact }
);
api_enum!(
    /// Why a case is closed.
    ClosureReasonDto => ClosureReason { ProcessComplete, Withdrawn, NoDecisionPossible, Duplicate }
);

api_enum!(
    /// Who carried out an age assessment.
    AgeAssessorDto => nrm_domain::children::age::AgeAssessor { LocalAuthority, HomeOffice }
);
api_enum!(
    /// What an age assessment concluded.
    AgeFindingDto => nrm_domain::children::age::AgeFinding { Adult, Child }
);
api_enum!(
    /// The agency a pilot panel member comes from.
    PanelAgencyDto => nrm_domain::rules::PanelAgency {
        ChildrensSocialCare, Police, Health, Education, Other
    }
);
api_enum!(
    /// An item of a pilot panel's multi-agency information-gathering checklist.
    ChecklistItemDto => nrm_domain::children::panel::ChecklistItem {
        Referral, ChildrensSocialCare, Police, Health, Education, ChildsViews, Guardian,
        Immigration, FirstResponder
    }
);
api_enum!(
    /// The outcome of a grounds decision.
    OutcomeDto => nrm_domain::event::Outcome { Positive, Negative }
);
api_enum!(
    /// Why a decision is negative.
    NegativeReasonDto => nrm_domain::event::NegativeReason {
        InsufficientEvidence, DefinitionNotMet, Disengaged, Other
    }
);

/// A pilot panel's chair or member.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PilotPanelMemberRequest {
    pub user: Uuid,
    pub agency: PanelAgencyDto,
    /// Whether this is the child's lead social worker (who may not chair).
    #[serde(default)]
    pub lead_social_worker: bool,
}

impl From<PilotPanelMemberRequest> for nrm_domain::rules::PilotPanelMember {
    fn from(m: PilotPanelMemberRequest) -> Self {
        Self {
            user: UserId(m.user),
            agency: m.agency.into(),
            lead_social_worker: m.lead_social_worker,
        }
    }
}

/// A panel member or chair.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewerRequest {
    pub user: Uuid,
    pub agency: String,
}

/// A multi-agency assurance panel (negative CGs decided April 2019 – November 2022).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PanelRequest {
    pub chair: ReviewerRequest,
    /// At least two, from different agencies.
    pub members: Vec<ReviewerRequest>,
}

/// One lifecycle action: an object with exactly one key, the action's name, whose value holds
/// the action's fields, for example `{"withdraw": {"on": "2025-11-08", "reason": "consent_withdrawn"}}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ActionRequest {
    /// Move the case to another competent authority (managers).
    Reroute {
        to: CompetentAuthorityDto,
        pilot_site: Option<String>,
        reason: RerouteReasonDto,
    },
    /// Allocate the case to a decision maker.
    Allocate {
        to: Uuid,
    },
    /// Ask for further information; the reply is due by the rulebook's deadline.
    RequestInformation {
        from: InformationSourceDto,
    },
    /// Record the reply to a request for information.
    RecordInformationReceived {
        request: Uuid,
        received_on: NaiveDate,
    },
    /// Extend the recovery period.
    ExtendRecoveryPeriod {
        until: NaiveDate,
    },
    /// A public order or bad faith disqualification (from 30 January 2023).
    Disqualify {
        ground: DisqualificationGroundDto,
        decided_on: NaiveDate,
        reasons: String,
    },
    /// Review a negative CG before service: a panel (2019–2022 rule) or, without `panel`,
    /// the caller as second caseworker.
    ReviewNegativeConclusiveGrounds {
        outcome: ReviewOutcomeDto,
        panel: Option<PanelRequest>,
        #[serde(default)]
        reviewer_agency: String,
        reviewed_on: NaiveDate,
        reasons: String,
    },
    /// Review a negative RG, a negative CG or a disqualification before service: the caller
    /// as second caseworker (from December 2022) or, for a pilot panel's decision, as SCA
    /// quality assurance; a panel where the rulebook requires one.
    ReviewNegativeDecision {
        decision: ReviewedDecisionDto,
        outcome: ReviewOutcomeDto,
        panel: Option<PanelRequest>,
        #[serde(default)]
        reviewer_agency: String,
        reviewed_on: NaiveDate,
        reasons: String,
    },
    /// Serve a decision; notices go to the right recipients (never directly to a child).
    ServeDecision {
        decision: DecisionRefDto,
        served_on: NaiveDate,
        #[serde(default)]
        legal_representative: bool,
    },
    /// Request reconsideration of a served negative decision.
    RequestReconsideration {
        decision: DecisionRefDto,
        requested_on: NaiveDate,
        requested_by: RequesterDto,
        #[serde(default)]
        facing_removal: bool,
    },
    /// Accept or refuse the pending reconsideration request.
    DecideReconsideration {
        accepted: bool,
        decided_on: NaiveDate,
        reasons: String,
    },
    /// For a person who had a recovery period on an earlier referral (NABA 2022 s62): decide
    /// whether another recovery period is appropriate, after the positive RG opened the
    /// question. If it is, the recovery period starts on `decided_on`.
    DecideAdditionalRecoveryPeriod {
        appropriate: bool,
        decided_on: NaiveDate,
        reasons: String,
    },
    Withdraw {
        on: NaiveDate,
        reason: WithdrawalReasonDto,
    },
    Suspend {
        on: NaiveDate,
        reason: SuspensionReasonDto,
    },
    Resume {
        on: NaiveDate,
    },
    Close {
        on: NaiveDate,
        reason: ClosureReasonDto,
    },
    /// Record the age assessment of a person whose age was disputed (or referred as an adult
    /// and found to be a child): the assessed date of birth is sealed in the vault; the case
    /// is rerouted when the finding changes its route.
    RecordAgeAssessment {
        assessed_on: NaiveDate,
        assessed_by: AgeAssessorDto,
        finding: AgeFindingDto,
        date_of_birth: NaiveDate,
        /// For a child: the pilot site code of the area they live in, if any.
        #[serde(default)]
        local_authority_area: Option<String>,
        reasons: String,
    },
    /// Convene a devolved pilot panel's meeting for the case (its local authority's panel
    /// members): a chair who is not the lead social worker, and members from children's
    /// social care, the police and health at least.
    ConvenePanel {
        /// The meeting's id, chosen by the client (to name it in the papers and the decision);
        /// made by the service when absent.
        #[serde(default)]
        meeting: Option<Uuid>,
        meets_on: NaiveDate,
        chair: PilotPanelMemberRequest,
        members: Vec<PilotPanelMemberRequest>,
    },
    /// Record the papers prepared for a meeting: the checklist items ticked.
    PreparePanelPapers {
        meeting: Uuid,
        items: Vec<ChecklistItemDto>,
    },
    /// Record the panel's decision at its meeting (dated the meeting's day), with who was
    /// present.
    RecordPanelDecision {
        meeting: Uuid,
        decision: DecisionRefDto,
        outcome: OutcomeDto,
        #[serde(default)]
        negative_reason: Option<NegativeReasonDto>,
        present: Vec<Uuid>,
        reasons: String,
    },
    /// The SCA's quality assurance of a pilot panel's decision held for it: agree, or refer
    /// back (the panel decides again at a new meeting).
    AssurePanelDecision {
        decision: DecisionRefDto,
        outcome: ReviewOutcomeDto,
        reviewed_on: NaiveDate,
        reasons: String,
    },
    /// The young adult's answer to the consent-to-support question offered when they turned
    /// 18 during the case (managers). `true` refers them to adult support at once; `false`
    /// records the answer only. Refused (409) unless the question is open.
    AnswerConsentToSupport {
        on: NaiveDate,
        consents: bool,
    },
}

fn reviewer(r: ReviewerRequest) -> Reviewer {
    Reviewer {
        user: UserId(r.user),
        agency: r.agency,
    }
}

impl From<ActionRequest> for Action {
    fn from(request: ActionRequest) -> Self {
        use ActionRequest as R;
        match request {
            R::Reroute {
                to,
                pilot_site,
                reason,
            } => Action::Reroute {
                to: to.into(),
                pilot_site,
                reason: reason.into(),
            },
            R::Allocate { to } => Action::Allocate { to: UserId(to) },
            R::RequestInformation { from } => Action::RequestInformation { from: from.into() },
            R::RecordInformationReceived {
                request,
                received_on,
            } => Action::RecordInformationReceived {
                request,
                received_on,
            },
            R::ExtendRecoveryPeriod { until } => Action::ExtendRecoveryPeriod { until },
            R::Disqualify {
                ground,
                decided_on,
                reasons,
            } => Action::Disqualify {
                ground: ground.into(),
                decided_on,
                reasons,
            },
            R::ReviewNegativeConclusiveGrounds {
                outcome,
                panel,
                reviewer_agency,
                reviewed_on,
                reasons,
            } => Action::ReviewNegativeConclusiveGrounds {
                outcome: outcome.into(),
                panel: panel.map(|p| ReviewPanel {
                    chair: reviewer(p.chair),
                    members: p.members.into_iter().map(reviewer).collect(),
                }),
                reviewer_agency,
                reviewed_on,
                reasons,
            },
            R::ReviewNegativeDecision {
                decision,
                outcome,
                panel,
                reviewer_agency,
                reviewed_on,
                reasons,
            } => Action::ReviewNegativeDecision {
                decision: decision.into(),
                outcome: outcome.into(),
                panel: panel.map(|p| ReviewPanel {
                    chair: reviewer(p.chair),
                    members: p.members.into_iter().map(reviewer).collect(),
                }),
                reviewer_agency,
                reviewed_on,
                reasons,
            },
            R::ServeDecision {
                decision,
                served_on,
                legal_representative,
            } => Action::Serve {
                decision: decision.into(),
                served_on,
                legal_representative,
            },
            R::RequestReconsideration {
                decision,
                requested_on,
                requested_by,
                facing_removal,
            } => Action::RequestReconsideration {
                decision: decision.into(),
                requested_on,
                requested_by: requested_by.into(),
                facing_removal,
            },
            R::DecideReconsideration {
                accepted,
                decided_on,
                reasons,
            } => Action::DecideReconsideration {
                accepted,
                decided_on,
                reasons,
            },
            R::DecideAdditionalRecoveryPeriod {
                appropriate,
                decided_on,
                reasons,
            } => Action::DecideAdditionalRecoveryPeriod {
                appropriate,
                decided_on,
                reasons,
            },
            R::Withdraw { on, reason } => Action::Withdraw {
                on,
                reason: reason.into(),
            },
            R::Suspend { on, reason } => Action::Suspend {
                on,
                reason: reason.into(),
            },
            R::Resume { on } => Action::Resume { on },
            R::Close { on, reason } => Action::Close {
                on,
                reason: reason.into(),
            },
            R::RecordAgeAssessment {
                assessed_on,
                assessed_by,
                finding,
                date_of_birth,
                local_authority_area,
                reasons,
            } => Action::RecordAgeAssessment(nrm_service::AgeAssessmentInput {
                assessed_on,
                assessed_by: assessed_by.into(),
                finding: finding.into(),
                date_of_birth,
                local_authority_area,
                reasons,
            }),
            R::ConvenePanel {
                meeting,
                meets_on,
                chair,
                members,
            } => Action::ConvenePanel(nrm_service::ConveneInput {
                meeting,
                meets_on,
                chair: chair.into(),
                members: members.into_iter().map(Into::into).collect(),
            }),
            R::PreparePanelPapers { meeting, items } => Action::PreparePanelPapers {
                meeting,
                items: items.into_iter().map(Into::into).collect(),
            },
            R::RecordPanelDecision {
                meeting,
                decision,
                outcome,
                negative_reason,
                present,
                reasons,
            } => Action::RecordPanelDecision(nrm_service::PanelDecisionInput {
                meeting,
                decision: decision.into(),
                outcome: outcome.into(),
                negative_reason: negative_reason.map(Into::into),
                reasons,
                present: nrm_service::Present::These(present.into_iter().map(UserId).collect()),
            }),
            R::AssurePanelDecision {
                decision,
                outcome,
                reviewed_on,
                reasons,
            } => Action::AssurePanelDecision {
                decision: decision.into(),
                outcome: outcome.into(),
                reviewed_on,
                reasons,
            },
            R::AnswerConsentToSupport { on, consents } => {
                Action::AnswerConsentToSupport { on, consents }
            }
        }
    }
}

/// Carry out a lifecycle action on a case.
#[utoipa::path(
    post, path = "/api/v1/cases/{reference}/actions", tag = "decisions",
    params(
        ("reference" = String, Path, description = "Case reference"),
        ("If-Match" = String, Header, description = "The case's ETag when it was read (required)"),
    ),
    request_body = ActionRequest,
    responses(
        (status = 200, description = "Action recorded", body = DecisionResponse),
        (status = 404, description = "No such case", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The rules do not allow it; the detail names the rule and its source", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The case changed since it was read", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "No If-Match: say which version of the case the action was decided on", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn act(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(reference): PathParam<String>,
    headers: HeaderMap,
    body: JsonBody,
) -> Result<impl IntoResponse, Problem> {
    // Only someone who may see the case learns anything about the body's problems.
    let (_, facts) = authorise_case(&state, &caller, &reference, CaseOperation::Read).await?;
    let action: Action = body.parse::<ActionRequest>()?.into();
    let capability = match nrm_access::authorise_case(&caller.0, action.operation(), &facts) {
        Ok(capability) => capability,
        // Asking for an operation it may not do on a case it can see: still "not found".
        Err(_) => {
            authorise_case(&state, &caller, &reference, action.operation())
                .await?
                .0
        }
    };
    let expected = expected_version(&headers, None)?;
    let now = state.now();
    let version = state
        .cases
        .act(&capability, Some(expected), action, now)
        .await?;
    recorded(&state, &capability, version, now).await
}

/// A decision notice, addressed by role; names are merged in only when it is sent.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NoticeResponse {
    /// potential_victim, legal_representative, local_authority, first_responder or support_provider.
    pub recipient: String,
    pub decision: String,
    pub title: String,
    pub body: String,
}

/// The notices for every served decision on a case.
#[utoipa::path(
    get, path = "/api/v1/cases/{reference}/notices", tag = "decisions",
    params(("reference" = String, Path, description = "Case reference")),
    responses(
        (status = 200, description = "Notices", body = [NoticeResponse]),
        (status = 404, description = "No such case", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn notices(
    State(state): State<AppState>,
    caller: Caller,
    PathParam(reference): PathParam<String>,
) -> Result<axum::Json<Vec<NoticeResponse>>, Problem> {
    let (capability, _) =
        authorise_case(&state, &caller, &reference, CaseOperation::ReadNotices).await?;
    let notices = state.cases.notices(&capability, state.now()).await?;
    Ok(axum::Json(
        notices
            .into_iter()
            .map(|n| NoticeResponse {
                recipient: serde_json::to_value(n.notice.recipient)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                decision: serde_json::to_value(n.notice.decision)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                title: n.notice.title,
                body: n.notice.body,
            })
            .collect(),
    ))
}

/// The rulebook in force, with every dated entry and its source (read-only).
#[utoipa::path(
    get, path = "/api/v1/rulebook", tag = "operations",
    responses((status = 200, description = "The rulebook", body = Object))
)]
pub async fn rulebook(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<axum::Json<serde_json::Value>, Problem> {
    crate::access::authorise(&state, &caller, Operation::ReadRulebook).await?;
    Ok(axum::Json(
        serde_json::to_value(state.cases.rules()).unwrap_or_default(),
    ))
}

/// What a sweep did.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SweepResponse {
    pub cases_checked: usize,
    pub changes: usize,
}

/// Run the deadline sweep now (it also runs periodically inside `nrm serve`).
#[utoipa::path(
    post, path = "/api/v1/deadline-sweep", tag = "operations",
    responses((status = 200, description = "Sweep done", body = SweepResponse))
)]
pub async fn sweep(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<axum::Json<SweepResponse>, Problem> {
    let capability = crate::access::authorise(&state, &caller, Operation::RunDeadlineSweep).await?;
    let report = state.cases.sweep_as(&capability, state.now()).await?;
    Ok(axum::Json(SweepResponse {
        cases_checked: report.cases_checked,
        changes: report.changes,
    }))
}
