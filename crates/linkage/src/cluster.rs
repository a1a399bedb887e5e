//! Clusters: connected components of the linked pairs (union-find), with an optional check
//! against chaining (A links B, B links C, but A and C are plainly different people).

use rustc_hash::FxHashMap;

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
    let mut members: FxHashMap<u32, Vec<u32>> = FxHashMap::default();
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
        let list_a = members.remove(&ra).unwrap_or_else(|| vec![ra]);
        let list_b = members.remove(&rb).unwrap_or_else(|| vec![rb]);
        if let Some((ds, model)) = check
            && list_a.len() + list_b.len() > 2
            && !agree_across(ds, model, &list_a, &list_b)
        {
            members.insert(ra, list_a);
            members.insert(rb, list_b);
            continue;
        }
        let (root, child, mut big, small) = if list_a.len() >= list_b.len() {
            (ra, rb, list_a, list_b)
        } else {
            (rb, ra, list_b, list_a)
        };
        parent[child as usize] = root;
        big.extend(small);
        members.insert(root, big);
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

fn agree_across(ds: &Dataset, model: &Model, a: &[u32], b: &[u32]) -> bool {
    let (mut sum, mut count) = (0.0, 0usize);
    'outer: for &x in a {
        for &y in b {
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
}
