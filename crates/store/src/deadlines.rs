//! Finding the cases whose deadline flags the sweep needs to change.

use chrono::NaiveDate;
use nrm_domain::ids::CaseId;

use crate::{Store, StoreError, on_pool};

impl Store {
    /// Cases with an open deadline that is past due but not yet flagged overdue, or within
    /// `horizon` but still flagged on track. Each case appears once.
    pub async fn cases_with_deadlines_to_flag(
        &self,
        today: NaiveDate,
        horizon: NaiveDate,
    ) -> Result<Vec<CaseId>, StoreError> {
        let ids: Vec<uuid::Uuid> = on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT DISTINCT case_id FROM case_deadlines WHERE (status <> 'overdue' AND due_on < $1) OR (status = 'on_track' AND due_on <= $2)",
            )
            .bind(today)
            .bind(horizon)
            .fetch_all(pool)
            .await?
        });
        Ok(ids.into_iter().map(CaseId).collect())
    }
}
