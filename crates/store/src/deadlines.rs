//! Finding the cases whose deadline flags the sweep needs to change.

use chrono::NaiveDate;
use nrm_domain::ids::CaseId;

use crate::{Store, StoreError, on_pool};

impl Store {
    /// Cases with an open deadline that is past due but not yet flagged overdue, or within
    /// `horizon` but still flagged on track. Each case appears once.
    ///
    /// Written as two ranges of the `(status, due_on)` index (an on-track deadline due by the
    /// horizon, which includes those already past due since `horizon >= today`, and a due-soon
    /// one past due), so the cost follows the number of flags to change, not the number of
    /// open deadlines: `status <> 'overdue'` would walk every on-track deadline.
    pub async fn cases_with_deadlines_to_flag(
        &self,
        today: NaiveDate,
        horizon: NaiveDate,
    ) -> Result<Vec<CaseId>, StoreError> {
        let ids: Vec<uuid::Uuid> = on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT DISTINCT case_id FROM case_deadlines WHERE (status = 'due_soon' AND due_on < $1) OR (status = 'on_track' AND due_on <= $2)",
            )
            .bind(today)
            .bind(horizon.max(today))
            .fetch_all(pool)
            .await?
        });
        Ok(ids.into_iter().map(CaseId).collect())
    }
}
