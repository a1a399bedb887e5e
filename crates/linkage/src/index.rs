//! Matching one new record at a time against every record already indexed (intake).

use rustc_hash::FxHashMap;

use crate::block::{Blocker, R};
use crate::compare::Levels;
use crate::data::{Dataset, Record};
use crate::model::{Model, probability};

/// A match of a new record with an indexed one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Match {
    pub record: u32,
    pub levels: Levels,
    pub weight: f64,
    pub probability: f64,
}

/// Indexed records, their blocking tokens and a fitted model.
#[derive(Debug)]
pub struct Index {
    ds: Dataset,
    model: Model,
    blocker: Blocker,
    blocks: [FxHashMap<u64, Vec<u32>>; R],
    /// At most this many records of one block are compared (the most recent).
    pub max_block: usize,
}

impl Index {
    /// Indexes every record of `ds`.
    pub fn new(ds: Dataset, model: Model, blocker: Blocker) -> Index {
        let mut index = Index {
            ds,
            model,
            blocker,
            blocks: Default::default(),
            max_block: 2000,
        };
        for i in 0..index.ds.len() as u32 {
            index.insert(i);
        }
        index
    }

    pub fn dataset(&self) -> &Dataset {
        &self.ds
    }

    fn insert(&mut self, i: u32) {
        let tokens = self.blocker.tokens(&self.ds, i);
        for (rule, t) in tokens.into_iter().enumerate() {
            if t != 0 {
                self.blocks[rule].entry(t).or_default().push(i);
            }
        }
    }

    /// Adds `record` and returns its index with its matches among the records indexed before
    /// it at or above probability `floor`, best first.
    pub fn add(&mut self, record: &Record, floor: f64) -> (u32, Vec<Match>) {
        let i = self.ds.push(record);
        let tokens = self.blocker.tokens(&self.ds, i);
        let mut candidates: Vec<u32> = Vec::new();
        for (rule, t) in tokens.iter().enumerate() {
            if let Some(list) = self.blocks[rule].get(t) {
                let from = list.len().saturating_sub(self.max_block);
                let ds = &self.ds;
                candidates.extend(
                    list[from..]
                        .iter()
                        .filter(|&&c| crate::block::pair_allowed(ds, rule, i, c)),
                );
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        let mut matches: Vec<Match> = candidates
            .into_iter()
            .filter_map(|c| {
                let (levels, weight) = self.model.score(&self.ds, i, c);
                let p = probability(weight);
                (p >= floor).then_some(Match {
                    record: c,
                    levels,
                    weight,
                    probability: p,
                })
            })
            .collect();
        matches.sort_by(|x, y| y.weight.total_cmp(&x.weight));
        for (rule, t) in tokens.into_iter().enumerate() {
            if t != 0 {
                self.blocks[rule].entry(t).or_default().push(i);
            }
        }
        (i, matches)
    }
}
