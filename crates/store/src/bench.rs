//! The durable-commit ceiling: how many single-row transactions per second the database can
//! commit with the store's durability settings. `nrm bench intake` prints it beside the API
//! figures, so those can be read against what the disk allows.

use crate::{Store, StoreError, on_pool};

impl Store {
    /// Commits `count` single-row transactions one after another and returns how many were
    /// made. Uses the `bench_commits` table, which nothing else reads.
    pub async fn bench_single_row_commits(&self, count: u32) -> Result<u32, StoreError> {
        on_pool!(self, pool => {
            for i in 0..count {
                let _turn = self.write_turn().await;
                let mut tx = pool.begin().await?;
                sqlx::query("INSERT INTO bench_commits (payload) VALUES ($1)")
                    .bind(format!("commit {i}"))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
            }
        });
        Ok(count)
    }
}
