//! Read-only support records as tables: a person's weekly entitlement and payments ledger
//! (`/support/episodes/{reference}/payments`: each week due, each payment, each adjustment with
//! its reason, and what is owed after each), and the inspections of the accommodation in the
//! reader's scope with their findings by area and required actions, the overdue ones first
//! (`/support/inspections`: the contract manager's overdue-actions view).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use nrm_access::support::{SupportOperation, SupportScope, SupportServiceOperation};
use nrm_domain::clock::uk_date;
use nrm_domain::support::finance::{Posting, pounds};

use super::{episode_capability, layout, service_capability, words};
use crate::AppState;
use crate::api::support::support;
use crate::pages::casework::date;
use crate::pages::errors::PageError;
use crate::pages::i18n::Lang;
use crate::pages::layout::{Layout, render};
use crate::pages::session::SignedIn;

fn money(pence: i64) -> String {
    if pence < 0 {
        format!("−£{}", pounds(-pence))
    } else {
        format!("£{}", pounds(pence))
    }
}

#[derive(Debug)]
struct LedgerRow {
    when: String,
    what: String,
    amount: String,
    owed: String,
}

#[derive(Template)]
#[template(path = "support/payments.html")]
struct PaymentsPage {
    layout: Layout,
    rows: Vec<LedgerRow>,
    /// The payment forms the reader may use now: (link, title).
    forms: Vec<(String, String)>,
    totals: Vec<(String, String)>,
    balances: bool,
}

/// A person's weekly entitlement and payments ledger.
pub async fn payments(
    State(state): State<AppState>,
    signed_in: SignedIn,
    Path(reference): Path<String>,
) -> Result<Response, PageError> {
    let (read, facts) = episode_capability(
        &state,
        &signed_in,
        &reference,
        SupportOperation::ReadSupport,
    )
    .await?;
    let view = support(&state)
        .view(&read, None, state.now())
        .await
        .map_err(|e| PageError::from_service(e, Lang::En))?;
    let Some(st) = view.state else {
        return Err(PageError::NotFound(Lang::En));
    };
    let mut owed: i64 = 0;
    let rows = st
        .ledger
        .postings
        .iter()
        .map(|p| {
            let (when, what, amount) = match p {
                Posting::Due {
                    week_start,
                    amount_pence,
                } => {
                    let amount = i64::try_from(*amount_pence).unwrap_or(i64::MAX);
                    (
                        date(*week_start),
                        format!(
                            "Subsistence due for the week beginning {}",
                            date(*week_start)
                        ),
                        amount,
                    )
                }
                Posting::Paid { on, amount_pence } => (
                    date(*on),
                    "Paid to the person".to_owned(),
                    -i64::try_from(*amount_pence).unwrap_or(i64::MAX),
                ),
                Posting::Adjusted {
                    on,
                    amount_pence,
                    reason,
                } => (
                    date(*on),
                    format!("Adjustment: {}", words(reason.code()).to_lowercase()),
                    *amount_pence,
                ),
            };
            owed = owed.saturating_add(amount);
            LedgerRow {
                when,
                what,
                amount: money(amount),
                owed: money(owed),
            }
        })
        .collect();
    let forms = super::forms::allowed(
        &signed_in.principal,
        &facts,
        &view.summary.status,
        Some(&st),
        uk_date(state.now()),
    )
    .into_iter()
    .filter(|f| f.needs == super::forms::Needs::Episode(SupportOperation::Pay))
    .map(|f| {
        (
            format!("/support/episodes/{reference}/record/{}", f.slug),
            f.title.to_owned(),
        )
    })
    .collect();
    let b = st.ledger.balance;
    let totals = vec![
        (
            "Due".to_owned(),
            money(i64::try_from(b.due).unwrap_or(i64::MAX)),
        ),
        (
            "Paid".to_owned(),
            money(i64::try_from(b.paid).unwrap_or(i64::MAX)),
        ),
        ("Adjustments".to_owned(), money(b.adjustments)),
        ("Owed now".to_owned(), money(b.owed)),
    ];
    Ok(render(&PaymentsPage {
        layout: layout(&signed_in, format!("Payments for {reference}"))
            .back(format!("/support/episodes/{reference}")),
        rows,
        forms,
        totals,
        balances: b.balances(),
    }))
}

#[derive(Debug)]
struct InspectionRow {
    accommodation: String,
    inspected: String,
    overall: String,
    findings: String,
    /// The inspection this one follows up, when it is a follow-up.
    follows: Option<String>,
    actions: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "support/inspections.html")]
struct InspectionsPage {
    layout: Layout,
    overdue: Vec<(String, String, String)>,
    inspections: Vec<InspectionRow>,
    may_inspect: bool,
    /// The provider's manager may record its required actions as done.
    may_complete: bool,
}

/// Inspections in the reader's scope, the overdue actions first.
pub async fn inspections(
    State(state): State<AppState>,
    signed_in: SignedIn,
) -> Result<Response, PageError> {
    let read = service_capability(
        &state,
        &signed_in,
        SupportServiceOperation::ReadAccommodation,
    )
    .await?;
    let now = state.now();
    let today = uk_date(now);
    let service = support(&state);
    let fault = |e| PageError::from_service(e, Lang::En);
    let list = service
        .accommodation(&read, today, now)
        .await
        .map_err(fault)?;
    let place = |id| {
        list.iter()
            .find(|v| v.accommodation.id == id)
            .map(|v| {
                format!(
                    "{} accommodation in {}",
                    words(v.accommodation.kind.code()),
                    words(&v.accommodation.region)
                )
            })
            .unwrap_or_default()
    };
    let overdue = service
        .overdue_actions(&read, now)
        .await
        .map_err(fault)?
        .into_iter()
        .map(|o| {
            (
                place(o.accommodation),
                words(o.action.area.code()),
                date(o.action.due_on),
            )
        })
        .collect();
    let mut inspections = Vec::new();
    for v in &list {
        for i in &v.inspections {
            inspections.push(InspectionRow {
                accommodation: place(v.accommodation.id),
                inspected: date(i.inspected_on),
                overall: words(i.overall().code()),
                findings: i
                    .findings
                    .iter()
                    .map(|f| format!("{}: {}", words(f.area.code()), words(f.rating.code())))
                    .collect::<Vec<_>>()
                    .join("; "),
                follows: i.follow_up_of.map(|earlier| {
                    v.inspections
                        .iter()
                        .find(|e| e.id == earlier)
                        .map(|e| format!("The inspection of {}", date(e.inspected_on)))
                        .unwrap_or_else(|| "An earlier inspection".to_owned())
                }),
                actions: i
                    .actions
                    .iter()
                    .map(|a| {
                        (
                            words(a.area.code()),
                            date(a.due_on),
                            match a.completed_on {
                                Some(d) => format!("Completed {}", date(d)),
                                None if a.due_on < today => "Overdue".to_owned(),
                                None => "Open".to_owned(),
                            },
                        )
                    })
                    .collect(),
            });
        }
    }
    Ok(render(&InspectionsPage {
        layout: layout(&signed_in, "Inspections").back("/support"),
        overdue,
        inspections,
        may_inspect: read.scope() == &SupportScope::Everything,
        may_complete: nrm_access::support::authorise_support_service(
            &signed_in.principal,
            SupportServiceOperation::CompleteActions,
        )
        .is_ok(),
    }))
}
