//! Clusters: connected components of the linked pairs (union-find), with an optional check
//! against chaining (A links B, B links C, but A and C are plainly different people).

use crate::data::Dataset;
use crate::model::{Model, Pair, probability};

/// Links pairs (best first) with `weight >= threshold`; returns, for each of `n` records, the
/// index of the first record of its cluster. With `check`, two clusters of more than two
/// records in all are merged only if the average match probability of their records taken
/// across (at most 64 pairs) is at least one half.
pub fn cluster(
    n: usize,
    pairs: &[Pair],
    threshold: f32,
    check: Option<(&Dataset, &Model)>,
) -> Vec<u32> {
    let mut parent: Vec<u32> = (0..n as u32).collect();
    // Each cluster's records as a list from its root (the root first, then the records in the
    // order they joined): the next record of each, and for a root its last record and how
    // many there are. Three numbers a record, where a vector per cluster in a map cost about
    // eight times that at 200,000 generated people (the peak memory of the whole run).
    let mut next: Vec<u32> = vec![NONE; n];
    let mut last: Vec<u32> = (0..n as u32).collect();
    let mut size: Vec<u32> = vec![1; n];
    fn find(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            let next = parent[parent[x as usize] as usize];
            parent[x as usize] = next;
            x = next;
        }
        x
    }
    for pair in pairs.iter().filter(|p| p.weight >= threshold) {
        let (ra, rb) = (find(&mut parent, pair.a), find(&mut parent, pair.b));
        if ra == rb {
            continue;
        }
        let (size_a, size_b) = (size[ra as usize], size[rb as usize]);
        if let Some((ds, model)) = check
            && size_a + size_b > 2
            && !agree_across(ds, model, members(&next, ra), members(&next, rb))
        {
            continue;
        }
        let (root, child) = if size_a >= size_b { (ra, rb) } else { (rb, ra) };
        parent[child as usize] = root;
        next[last[root as usize] as usize] = child;
        last[root as usize] = last[child as usize];
        size[root as usize] = size_a + size_b;
    }
    let mut first: Vec<u32> = vec![u32::MAX; n];
    let mut out = vec![0u32; n];
    for i in 0..n as u32 {
        let r = find(&mut parent, i) as usize;
        if first[r] == u32::MAX {
            first[r] = i;
        }
        out[i as usize] = first[r];
    }
    out
}

/// No next record: the last of its cluster.
const NONE: u32 = u32::MAX;

/// The records of the cluster whose root is `root`, the root first.
fn members(next: &[u32], root: u32) -> impl Iterator<Item = u32> + Clone + '_ {
    std::iter::successors(Some(root), |&x| {
        Some(next[x as usize]).filter(|&y| y != NONE)
    })
}

fn agree_across(
    ds: &Dataset,
    model: &Model,
    a: impl Iterator<Item = u32>,
    b: impl Iterator<Item = u32> + Clone,
) -> bool {
    let (mut sum, mut count) = (0.0, 0usize);
    'outer: for x in a {
        for y in b.clone() {
            sum += probability(model.score(ds, x, y).1);
            count += 1;
            if count == 64 {
                break 'outer;
            }
        }
    }
    sum / count as f64 >= 0.5
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connected_components_above_the_threshold() {
        let p = |a, b, weight| Pair { a, b, weight };
        let pairs = [p(0, 1, 10.0), p(1, 2, 9.0), p(3, 4, 1.0), p(5, 3, 8.0)];
        let c = cluster(6, &pairs, 5.0, None);
        assert_eq!(c, vec![0, 0, 0, 3, 4, 3]);
    }

    #[test]
    fn the_chain_check_keeps_plainly_different_people_apart() {
        let mut ds = Dataset::new();
        use crate::data::fixtures::person;
        // 0 and 1 one person, 2 and 3 another; 1 and 2 wrongly linked by a strong pair.
        for r in [
            person("Amina", "Yusuf", "1990-02-03"),
            person("Amina", "Yusuf", "1990-02-03"),
            person("Grace", "Okafor", "1975-11-30"),
            person("Grace", "Okafor", "1975-11-30"),
        ] {
            ds.push(&r);
        }
        ds.finish();
        // Each field's top level far likelier among matches than among others.
        let (mut m, mut u) = ([[0.0; 6]; 5], [[0.0; 6]; 5]);
        for f in 0..5 {
            let levels = crate::compare::LEVELS[f];
            for l in 0..levels {
                let top = usize::from(crate::compare::IDENTICAL[f]);
                m[f][l] = if l == top {
                    0.9
                } else {
                    0.1 / (levels - 1) as f64
                };
                u[f][l] = if l == 0 {
                    0.9
                } else {
                    0.1 / (levels - 1) as f64
                };
            }
        }
        let model = Model::new(m, u, 0.01, Default::default());
        let p = |a, b, weight| Pair { a, b, weight };
        let pairs = [p(0, 1, 20.0), p(2, 3, 20.0), p(1, 2, 15.0)];
        assert_eq!(cluster(4, &pairs, 5.0, None), vec![0, 0, 0, 0]);
        assert_eq!(
            cluster(4, &pairs, 5.0, Some((&ds, &model))),
            vec![0, 0, 2, 2]
        );
    }
}
