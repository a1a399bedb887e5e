//! k-anonymity by full-domain generalisation (Datafly's greedy order), for any rows and any
//! generalisation hierarchies: the research extract ([`crate::extract`]) and the HTCDS export
//! ([`crate::htcds`]) both use it, each with its own columns.
//!
//! Each quasi-identifier column has `depth` levels, 0 (as recorded) to `depth - 1` (withheld);
//! `value(row, column, level)` is what the row shows in that column at that level. One column
//! at a time, and the same for every row, is raised one level (the column with the most
//! distinct values first) until every row shares its values with at least k-1 others, except
//! at most `max_suppressed` rows, which the caller leaves out.

use std::collections::{HashMap, HashSet};

/// The levels reached and, for each row, how many rows share its values at those levels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generalised {
    /// The level of each column (0: as recorded).
    pub levels: Vec<usize>,
    /// Each row's group size at `levels` (a row whose size is below k is to be left out).
    pub sizes: Vec<usize>,
}

impl Generalised {
    /// The smallest group of at least `k` rows (0 when every row is left out).
    pub fn smallest_group(&self, k: usize) -> usize {
        self.sizes
            .iter()
            .copied()
            .filter(|s| *s >= k)
            .min()
            .unwrap_or(0)
    }
}

/// Each row's group size: how many rows have the same values at `levels`.
pub fn group_sizes<T>(
    rows: &[T],
    levels: &[usize],
    value: &impl Fn(&T, usize, usize) -> String,
) -> Vec<usize> {
    let keys: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            levels
                .iter()
                .enumerate()
                .map(|(c, l)| value(r, c, *l))
                .collect()
        })
        .collect();
    let mut counts: HashMap<&Vec<String>, usize> = HashMap::new();
    for k in &keys {
        *counts.entry(k).or_default() += 1;
    }
    keys.iter()
        .map(|k| counts.get(k).copied().unwrap_or(0))
        .collect()
}

/// Generalises `rows` until all but at most `max_suppressed` of them have k-1 twins, or every
/// column is withheld. `depths[c]` is column c's number of levels.
pub fn generalise<T>(
    rows: &[T],
    depths: &[usize],
    k: usize,
    max_suppressed: usize,
    value: impl Fn(&T, usize, usize) -> String,
) -> Generalised {
    let k = k.max(1);
    let mut levels = vec![0usize; depths.len()];
    let mut sizes = group_sizes(rows, &levels, &value);
    loop {
        let rare = sizes.iter().filter(|s| **s < k).count();
        if rare <= max_suppressed {
            break;
        }
        // The column with the most distinct values that can still be generalised.
        let next = depths
            .iter()
            .enumerate()
            .filter(|(c, depth)| levels[*c] + 1 < **depth)
            .max_by_key(|(c, _)| {
                let seen: HashSet<String> = rows.iter().map(|r| value(r, *c, levels[*c])).collect();
                (seen.len(), std::cmp::Reverse(*c))
            })
            .map(|(c, _)| c);
        let Some(c) = next else { break };
        levels[c] += 1;
        sizes = group_sizes(rows, &levels, &value);
    }
    Generalised { levels, sizes }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rare_value_is_generalised_until_it_has_twins() {
        // Column 0: a letter, generalised to "vowel/consonant" then "*".
        let rows = ["a", "a", "b", "b", "e"];
        let value = |r: &&str, _c: usize, level: usize| match level {
            0 => (*r).to_owned(),
            1 => if "ae".contains(*r) {
                "vowel"
            } else {
                "consonant"
            }
            .to_owned(),
            _ => "*".to_owned(),
        };
        let g = generalise(&rows, &[3], 2, 0, value);
        assert_eq!(g.levels, vec![1]);
        assert_eq!(g.sizes, vec![3, 3, 2, 2, 3]);
        assert_eq!(g.smallest_group(2), 2);
        // k larger than the rows: everything withheld and still too rare.
        let g = generalise(&rows, &[3], 6, 0, value);
        assert_eq!(g.levels, vec![2]);
        assert_eq!(g.smallest_group(6), 0);
    }
}
