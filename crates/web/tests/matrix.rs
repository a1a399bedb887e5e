//! The authorisation matrix through HTTP: every operation the API router serves (the OpenAPI
//! document's, from the same declarations as the router, and the document and metrics) × every role
//! (anonymous included) × how the caller stands to the case (own organisation or not,
//! competent authority or not, allocated or not, child or adult). The expected answer is
//! written by hand below, apart from the policy; an operation the table does not know fails
//! the test, so a new endpoint cannot ship without a decision about who may use it. Every
//! probe is sent without If-Match, so a permitted change to a case must answer 428.

mod support;

use serde_json::{Value, json};
use support::{
    ANALYST, App, IECA_DECISION_MAKER, Identity, OTHER_RESPONDER, RESPONDER, SCA_MANAGER, body,
    signed_in,
};

const SCA_DECISION_MAKER: Identity = Identity {
    user: "00000000-0000-4000-8000-0000000000d1",
    organisation: "00000000-0000-4000-8000-000000000201",
    kind: "sca",
    roles: "decision_maker",
};
const LIMITED_DECISION_MAKER: Identity = Identity {
    user: "00000000-0000-4000-8000-0000000000d2",
    organisation: "00000000-0000-4000-8000-000000000201",
    kind: "sca",
    roles: "decision_maker",
};
const HULL_PANEL: Identity = Identity {
    user: "00000000-0000-4000-8000-0000000000d3",
    organisation: "00000000-0000-4000-8000-0000000002a1",
    kind: "local_authority:hull",
    roles: "local_authority_panel_member",
};
const FRO_ADMIN: Identity = Identity {
    user: "00000000-0000-4000-8000-0000000000d4",
    organisation: support::ORGANISATION,
    kind: "first_responder_organisation",
    roles: "fro_administrator",
};
const SUPPORT_WORKER: Identity = Identity {
    user: "00000000-0000-4000-8000-0000000000d5",
    organisation: "00000000-0000-4000-8000-0000000002a2",
    kind: "support_provider",
    roles: "support_provider_worker",
};
const SUPPORT_MANAGER: Identity = Identity {
    user: "00000000-0000-4000-8000-0000000000d9",
    organisation: "00000000-0000-4000-8000-0000000002a6",
    kind: "support_provider",
    roles: "support_manager",
};
const CONTRACT_MANAGER: Identity = Identity {
    user: "00000000-0000-4000-8000-0000000000da",
    organisation: "00000000-0000-4000-8000-0000000002a7",
    kind: "contract_management",
    roles: "contract_manager",
};
const GUARDIAN: Identity = Identity {
    user: "00000000-0000-4000-8000-0000000000d6",
    organisation: "00000000-0000-4000-8000-0000000002a3",
    kind: "guardian_service",
    roles: "guardian",
};
const PANEL_MEMBER: Identity = Identity {
    user: "00000000-0000-4000-8000-0000000000d7",
    organisation: "00000000-0000-4000-8000-0000000002a4",
    kind: "assurance_panel",
    roles: "panel_member",
};
const ADMINISTRATOR: Identity = Identity {
    user: "00000000-0000-4000-8000-0000000000d8",
    organisation: "00000000-0000-4000-8000-0000000002a5",
    kind: "administrators",
    roles: "administrator",
};

/// Who is asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    Responder,
    OtherResponder,
    FroAdmin,
    ScaDecisionMaker,
    LimitedDecisionMaker,
    ScaManager,
    IecaDecisionMaker,
    HullPanel,
    PanelMember,
    SupportWorker,
    SupportManager,
    ContractManager,
    Guardian,
    Analyst,
    Administrator,
}

const EVERYONE: [Who; 16] = [
    Who::Anonymous,
    Who::Responder,
    Who::OtherResponder,
    Who::FroAdmin,
    Who::ScaDecisionMaker,
    Who::LimitedDecisionMaker,
    Who::ScaManager,
    Who::IecaDecisionMaker,
    Who::HullPanel,
    Who::PanelMember,
    Who::SupportWorker,
    Who::SupportManager,
    Who::ContractManager,
    Who::Guardian,
    Who::Analyst,
    Who::Administrator,
];

fn identity(who: Who) -> Option<Identity> {
    Some(match who {
        Who::Anonymous => return None,
        Who::Responder => RESPONDER,
        Who::OtherResponder => OTHER_RESPONDER,
        Who::FroAdmin => FRO_ADMIN,
        Who::ScaDecisionMaker => SCA_DECISION_MAKER,
        Who::LimitedDecisionMaker => LIMITED_DECISION_MAKER,
        Who::ScaManager => SCA_MANAGER,
        Who::IecaDecisionMaker => IECA_DECISION_MAKER,
        Who::HullPanel => HULL_PANEL,
        Who::PanelMember => PANEL_MEMBER,
        Who::SupportWorker => SUPPORT_WORKER,
        Who::SupportManager => SUPPORT_MANAGER,
        Who::ContractManager => CONTRACT_MANAGER,
        Who::Guardian => GUARDIAN,
        Who::Analyst => ANALYST,
        Who::Administrator => ADMINISTRATOR,
    })
}

/// The case the operation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Case {
    /// No case in the path.
    None,
    /// An adult referral by the Responder's organisation, with the SCA, unallocated.
    OwnAdult,
    /// An adult referral by the Responder's organisation, with the SCA, allocated to the
    /// limited decision maker.
    AllocatedAdult,
    /// A child referral by another organisation, with Hull's pilot panel.
    OtherChild,
}

/// Whether `who` may reach `operation` on `case` — the hand-written expectation.
fn expected(who: Who, operation: &str, case: Case) -> bool {
    use Who::*;
    let sca_case = matches!(case, Case::OwnAdult | Case::AllocatedAdult);
    let own_org = matches!(case, Case::OwnAdult | Case::AllocatedAdult);
    let decider = match who {
        ScaDecisionMaker | ScaManager => sca_case,
        LimitedDecisionMaker => case == Case::AllocatedAdult,
        HullPanel => case == Case::OtherChild,
        _ => false,
    };
    // The referring organisation's First Responder: the Responder for the adults, the other
    // organisation's for the child.
    let referrer =
        (who == Responder && own_org) || (who == OtherResponder && case == Case::OtherChild);
    let reader = decider || referrer || who == Analyst;
    match operation {
        "GET /health"
        | "GET /ready"
        | "GET /api/v1/openapi.json"
        | "POST /api/v1/sign-in"
        | "POST /api/v1/sign-out" => true,
        "POST /api/v1/me/password" => false, // only for a signed-in person with a session
        // The service's administrators (or anyone, on a demo server with open metrics).
        "GET /metrics" => who == Administrator,
        "POST /api/v1/referrals/adult"
        | "POST /api/v1/referrals/child"
        | "POST /api/v1/duty-to-notify" => {
            matches!(who, Responder | OtherResponder)
        }
        "GET /api/v1/cases" => !matches!(
            who,
            Anonymous
                | FroAdmin
                | SupportWorker
                | SupportManager
                | ContractManager
                | Guardian
                | Administrator
        ),
        "GET /api/v1/rulebook" => who != Anonymous,
        "GET /api/v1/statistics" => who == Analyst,
        "POST /api/v1/deadline-sweep" => matches!(who, ScaManager | Administrator),
        // Only a system client's API token with the `import` scope; never a session.
        "POST /api/v1/legacy-import" => false,
        "GET /api/v1/organisations" | "POST /api/v1/organisations" => who == Administrator,
        "GET /api/v1/organisations/{id}/referrer" | "PUT /api/v1/organisations/{id}/referrer" => {
            who == Administrator
        }
        "GET /api/v1/users" | "POST /api/v1/users" => matches!(who, Administrator | FroAdmin),
        "POST /api/v1/users/{id}/disable" | "PUT /api/v1/users/{id}/roles" => {
            matches!(who, Administrator | FroAdmin)
        }
        // API tokens: every organisation's for the administrators (`ManageOrganisations`),
        // their own organisation's for an FRO administrator (`ManageApiTokens`).
        "GET /api/v1/tokens" | "POST /api/v1/tokens" | "POST /api/v1/tokens/{id}/revoke" => {
            matches!(who, Administrator | FroAdmin)
        }
        "GET /api/v1/cases/{reference}" => reader,
        "GET /api/v1/cases/{reference}/notices" => decider || referrer,
        "GET /api/v1/cases/{reference}/access-history" => who == ScaManager && sca_case,
        "POST /api/v1/cases/{reference}/reasonable-grounds-decision"
        | "POST /api/v1/cases/{reference}/conclusive-grounds-decision" => decider,
        "POST /api/v1/cases/{reference}/actions" => decider,
        // Support: who reaches each list and form here; who reaches one person's episode (never
        // by a case reference, only by its SUP- reference) is `tests/support_api.rs` and the
        // support matrix of `crates/access`.
        "GET /api/v1/support/episodes" | "GET /api/v1/support/accommodation" => {
            matches!(who, SupportWorker | SupportManager | ContractManager)
        }
        "POST /api/v1/support/episodes" => matches!(who, SupportWorker | SupportManager),
        "GET /api/v1/support/episodes/{reference}"
        | "POST /api/v1/support/episodes/{reference}/actions"
        | "POST /api/v1/support/episodes/{reference}/reconsideration-request" => false,
        "GET /api/v1/support/escalations" | "POST /api/v1/support/inspections" => {
            who == ContractManager
        }
        "POST /api/v1/support/accommodation" => who == SupportManager,
        "GET /api/v1/support/statement" => matches!(who, SupportManager | ContractManager),
        // Guardians: a guardian lists their own children; none of these cases is in an ICTG
        // area, so no episode exists to reach (who reaches one is `tests/guardians.rs` and the
        // guardians' matrix of `crates/access`). The age review: the guardian service's
        // manager (not probed here) or an administrator.
        "GET /api/v1/guardians/episodes" => who == Guardian,
        "GET /api/v1/guardians/episodes/{reference}"
        | "POST /api/v1/guardians/episodes/{reference}/actions"
        | "POST /api/v1/guardians/episodes/{reference}/reconsideration" => false,
        "POST /api/v1/guardians/age-review" => who == Administrator,
        // Persons (issue 14): the competent authority's decision makers and managers, never a
        // decision maker limited to allocated cases, a panel or a First Responder.
        "GET /api/v1/persons/reviews"
        | "GET /api/v1/persons/reviews/{id}"
        | "POST /api/v1/persons/reviews/{id}/decision"
        | "GET /api/v1/persons/{id}"
        | "POST /api/v1/persons/{id}/split" => {
            matches!(who, ScaDecisionMaker | ScaManager | IecaDecisionMaker)
        }
        "GET /api/v1/cases/{reference}/person" => {
            matches!(who, ScaDecisionMaker | ScaManager) && sca_case
        }
        other => panic!("nobody has decided who may use {other}: add it to the matrix"),
    }
}

/// The operations that change an existing case: without If-Match they must answer 428.
fn changes_a_case(operation: &str) -> bool {
    matches!(
        operation,
        "POST /api/v1/cases/{reference}/reasonable-grounds-decision"
            | "POST /api/v1/cases/{reference}/conclusive-grounds-decision"
            | "POST /api/v1/cases/{reference}/actions"
    )
}

async fn submit(app: &App, who: Identity, path: &str, body: &Value) -> String {
    let response = app
        .post_as(path, who)
        .json(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(response.status(), 201);
    support::body(response).await["reference"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn every_operation_role_and_relationship_matches_the_hand_written_matrix() {
    for store in nrm_store::testing::all().await {
        eprintln!("backend: {}", store.name);
        run_matrix(App::start(store).await).await;
    }
}

async fn run_matrix(app: App) {
    let own = submit(
        &app,
        RESPONDER,
        "/api/v1/referrals/adult",
        &support::adult(),
    )
    .await;
    let allocated = submit(
        &app,
        RESPONDER,
        "/api/v1/referrals/adult",
        &support::adult(),
    )
    .await;
    let mut child = support::child();
    child["local_authority_area"] = json!("hull");
    let other_child = submit(&app, OTHER_RESPONDER, "/api/v1/referrals/child", &child).await;
    let allocate = app
        .change_as(
            &format!("/api/v1/cases/{allocated}/actions"),
            SCA_MANAGER,
            &json!({"allocate": {"to": LIMITED_DECISION_MAKER.user}}),
        )
        .await;
    assert_eq!(allocate.status(), 200);

    // Every operation the API router serves, from the same declarations that build the router
    // and the document (`nrm_web::openapi::routes`), plus the two it serves outside the
    // document: a new route is in this list without anyone adding it here.
    let operations: Vec<(String, String)> = nrm_web::openapi::operations()
        .into_iter()
        .map(|operation| {
            let (method, path) = operation.split_once(' ').unwrap_or_default();
            (method.to_owned(), path.to_owned())
        })
        .collect();
    // And the served document lists the same operations, less the two outside it.
    let doc = body(
        app.client
            .get(format!("{}/api/v1/openapi.json", app.base))
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}")),
    )
    .await;
    let mut documented = Vec::new();
    for (path, item) in doc["paths"].as_object().cloned().unwrap_or_default() {
        for method in [
            "get", "put", "post", "delete", "options", "head", "patch", "trace",
        ] {
            if item.get(method).is_some() {
                documented.push((method.to_uppercase(), path.clone()));
            }
        }
    }
    let undocumented: Vec<(String, String)> = nrm_web::openapi::UNDOCUMENTED
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    let mut served: Vec<_> = operations
        .iter()
        .filter(|o| !undocumented.contains(o))
        .cloned()
        .collect();
    served.sort();
    documented.sort();
    assert_eq!(served, documented);
    assert!(operations.len() >= 20, "{operations:?}");
    let mut cells = 0;
    let mut mismatches = Vec::new();
    for (method, path) in &operations {
        let operation = format!("{method} {path}");
        let cases: Vec<(Case, String)> = if path.contains("{reference}") {
            vec![
                (Case::OwnAdult, own.clone()),
                (Case::AllocatedAdult, allocated.clone()),
                (Case::OtherChild, other_child.clone()),
            ]
        } else {
            vec![(Case::None, String::new())]
        };
        for (case, reference) in &cases {
            for who in EVERYONE {
                cells += 1;
                let concrete = path
                    .replace("{reference}", reference)
                    .replace("{id}", "00000000-0000-4000-8000-0000000000ff");
                let url = format!("{}{concrete}", app.base);
                let request = match method.as_str() {
                    "GET" => app.client.get(&url),
                    "PUT" => app.client.put(&url),
                    _ => app.client.post(&url),
                };
                // A valid change for the operations that change a case, sent without If-Match
                // (so it can never land); an empty JSON object otherwise: enough to reach the
                // access decision, which comes before the body is judged.
                let probe = if path.ends_with("/actions") {
                    json!({"withdraw": {"on": "2025-11-03", "reason": "other"}})
                } else if path.ends_with("-grounds-decision") {
                    json!({"outcome": "positive", "decided_on": "2025-11-03", "reasons": "r"})
                } else {
                    json!({})
                };
                let request = request.json(&probe);
                let request = match identity(who) {
                    Some(i) => signed_in(request, i),
                    None => request,
                };
                let request = if who == Who::LimitedDecisionMaker {
                    request.header("nrm-dev-allocated-only", "true")
                } else {
                    request
                };
                let status = request
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                    .unwrap_or(0);
                // Denied: 401 (no caller), 403 (never allowed), 404 (not this caller's case).
                // The account id in /users/{id} paths (and the token id in /tokens/{id}) does
                // not exist: for those who may manage accounts (and tokens), its 404 is the
                // answer about the account (or token), not a denial.
                let reached = !matches!(status, 401 | 403 | 404)
                    || (status == 404
                        && (path.starts_with("/api/v1/users/{id}")
                            || path.starts_with("/api/v1/tokens/{id}"))
                        && matches!(who, Who::Administrator | Who::FroAdmin))
                    || (status == 404
                        && path.starts_with("/api/v1/organisations/{id}")
                        && who == Who::Administrator)
                    // The person or review in /persons/{id} paths does not exist either: for
                    // the competent authority's decision makers and managers, its 404 is the
                    // answer about it, not a denial.
                    || (status == 404
                        && path.starts_with("/api/v1/persons/")
                        && path.contains("{id}")
                        && matches!(
                            who,
                            Who::ScaDecisionMaker | Who::ScaManager | Who::IecaDecisionMaker
                        ));
                let expect = expected(who, &operation, *case);
                if reached != expect {
                    mismatches.push(format!(
                        "{operation} as {who:?} on {case:?}: got {status}, expected {}",
                        if expect { "reached" } else { "denied" }
                    ));
                } else if reached && changes_a_case(&operation) && status != 428 {
                    // ASVS v5.0.0-2.3.4: a change to a case without If-Match is 428, always.
                    mismatches.push(format!(
                        "{operation} as {who:?} on {case:?}: got {status} without If-Match, expected 428"
                    ));
                }
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {cells} cells differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    app.stop().await;
}

/// The matrix probes what `nrm_web::openapi::operations` lists; this keeps that list whole by
/// reading the source: every `#[utoipa::path]` handler is in its module's `routes!`, every
/// module with handlers has a `routes()` merged in `openapi::routes`, and nothing outside the
/// pages adds a route around them (only the document and the metrics, in `openapi::split`).
#[test]
fn every_api_route_is_declared_once_through_the_openapi_router() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let read = |path: &std::path::Path| {
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    let openapi = read(&src.join("openapi.rs"));
    let mut files = vec![src.join("health.rs"), src.join("lib.rs")];
    for entry in std::fs::read_dir(src.join("api")).unwrap_or_else(|e| panic!("{e}")) {
        files.push(entry.unwrap_or_else(|e| panic!("{e}")).path());
    }
    let mut problems = Vec::new();
    let mut handlers = 0;
    for file in &files {
        let text = read(file);
        let name = file.display().to_string();
        for adds_a_route in [".route(", ".route_service(", ".nest(", ".nest_service("] {
            if text.contains(adds_a_route) {
                problems.push(format!(
                    "{name} adds a route with `{adds_a_route}`: use `routes!`"
                ));
            }
        }
        let declared: String = text
            .split("routes!(")
            .skip(1)
            .filter_map(|rest| rest.split(')').next())
            .collect::<Vec<_>>()
            .join(",");
        let declared: Vec<&str> = declared.split(',').map(str::trim).collect();
        let mut annotated = 0;
        for after in text.split("#[utoipa::path(").skip(1) {
            let handler = after
                .split("fn ")
                .nth(1)
                .and_then(|rest| rest.split(['(', '<']).next())
                .unwrap_or_default();
            annotated += 1;
            if !declared.contains(&handler) {
                problems.push(format!("{name}: `{handler}` is in no `routes!`"));
            }
        }
        handlers += annotated;
        let module = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        if annotated > 0 && !openapi.contains(&format!(".merge({module}::routes())")) {
            problems.push(format!(
                "{name}: `{module}::routes()` is not merged in openapi::routes"
            ));
        }
    }
    let outside = openapi.matches(".route(").count();
    if outside != nrm_web::openapi::UNDOCUMENTED.len() {
        problems.push(format!(
            "openapi.rs adds {outside} routes outside `routes!`; only the UNDOCUMENTED ones may be"
        ));
    }
    let operations = nrm_web::openapi::operations().len() - nrm_web::openapi::UNDOCUMENTED.len();
    assert!(
        handlers >= operations && handlers >= 40,
        "{handlers} handlers, {operations} operations"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
