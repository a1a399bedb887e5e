//! The Fellegi–Sunter model: per-field m and u probabilities for each comparison level, a
//! prior, term-frequency adjustments for common names, and match weight -> probability.
//!
//! u (how often two different people agree at a level) is counted on random pairs. m (how
//! often records of the same person do) is estimated by expectation-maximisation on the
//! candidate pairs of some blocking rules, leaving out the fields each rule forces to agree,
//! against u counted on random pairs that share what the rule's key narrows without forcing
//! (a family initial, a postcode district: see [`loose_key`]), as the rule's own pairs that
//! are not matches do; a field's m is taken only from the rules that do not constrain it at
//! all, and averaged over them. The prior (how many of all pairs match) is the fixed point of
//! the expected matches among the candidates.

use crate::block::{self, BlockKeys, Blocker, Blocks, R, RULE_FIELDS};
use crate::compare::{self, CROSSED, FAMILY, FIELDS, GIVEN, LEVELS, Levels};
use crate::data::Dataset;

const NF: usize = FIELDS.len();
const ML: usize = 6;

/// How many comparison patterns there are (each field: missing or one of its levels).
pub const PATTERNS: usize = {
    let mut p = 1;
    let mut f = 0;
    while f < NF {
        p *= LEVELS[f] + 1;
        f += 1;
    }
    p
};

/// The index of a comparison vector among all patterns.
pub fn pattern(levels: &Levels) -> usize {
    let mut p = 0;
    for f in 0..NF {
        p = p * (LEVELS[f] + 1) + levels[f].map_or(0, |l| l as usize + 1);
    }
    p
}

/// The comparison vector of a pattern index.
pub fn levels_of(mut p: usize) -> Levels {
    let mut out = [None; NF];
    for f in (0..NF).rev() {
        let v = p % (LEVELS[f] + 1);
        p /= LEVELS[f] + 1;
        out[f] = (v > 0).then(|| (v - 1) as u8);
    }
    out
}

/// A match weight (log2 odds) as a probability.
pub fn probability(weight: f64) -> f64 {
    1.0 / (1.0 + (-weight).exp2())
}

/// A probability as a match weight (log2 odds).
pub fn weight_of(probability: f64) -> f64 {
    let p = probability.clamp(1e-12, 1.0 - 1e-12);
    (p / (1.0 - p)).log2()
}

/// A fitted model.
#[derive(Clone, Debug)]
pub struct Model {
    /// P(level | same person), by field and level.
    pub m: [[f64; ML]; NF],
    /// P(level | different people), by field and level.
    pub u: [[f64; ML]; NF],
    /// P(same person) for a random pair.
    pub lambda: f64,
    /// Added to the weight of a pair with the same family name (level 3 or 4) at the same
    /// address, by the address's level: `[0]` mostly the same address or the same postcode
    /// (level 2), `[1]` the same address (level 3). Relatives share both, so together they say
    /// less than the sum of their weights (see [`household_adjustment`]). Zero or negative.
    pub household: [f64; 2],
    /// The same for relatives born on the same day (twins), in place of `household` when the
    /// dates of birth are identical too.
    pub twins: [f64; 2],
    /// Added to the weight of a pair at the same address (level 2 or 3), by the level of
    /// their dates of birth: `[0]` where the family names differ (people who live together
    /// without being related, such as several people found at one house), `[1]` where they
    /// agree (relatives). Level 5 (born on the same day) is never corrected here: for
    /// relatives that is the twins' correction's. People who share a house
    /// are more often close in age than two people drawn at random, so a near date of birth
    /// says less there (see [`address_dob_adjustment`]). Zero or negative.
    pub at_address: [[f64; ML]; 2],
    table: Vec<f32>,
}

/// The corrections for people who share an address: see [`Model::household`],
/// [`Model::twins`] and [`Model::at_address`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Corrections {
    pub household: [f64; 2],
    pub twins: [f64; 2],
    pub at_address: [[f64; ML]; 2],
}

impl Model {
    pub fn new(
        m: [[f64; ML]; NF],
        u: [[f64; ML]; NF],
        lambda: f64,
        corrections: Corrections,
    ) -> Model {
        let Corrections {
            household,
            twins,
            at_address,
        } = corrections;
        let mut model = Model {
            m,
            u,
            lambda,
            household,
            twins,
            at_address,
            table: vec![0.0; PATTERNS],
        };
        for p in 0..PATTERNS {
            let levels = levels_of(p);
            let mut w: f64 = (0..NF)
                .filter_map(|f| levels[f].map(|l| model.field_weight(f, l)))
                .sum();
            let household_pair = is_household(&levels);
            if household_pair && let Some(address) = levels[compare::ADDRESS] {
                let at = usize::from(address) - 2;
                w += if levels[compare::DOB] == Some(5) {
                    twins[at]
                } else {
                    household[at]
                };
            }
            if levels[compare::ADDRESS].is_some_and(|l| l >= 2)
                && let Some(d) = levels[compare::DOB]
                && !(household_pair && d == 5)
            {
                w += at_address[usize::from(household_pair)][usize::from(d)];
            }
            model.table[p] = w as f32;
        }
        model
    }

    /// log2 Bayes factor of a pattern (no prior, no term frequencies).
    pub fn pattern_weight(&self, levels: &Levels) -> f64 {
        f64::from(self.table[pattern(levels)])
    }

    /// log2(m/u) of one field at one level.
    pub fn field_weight(&self, field: usize, level: u8) -> f64 {
        (self.m[field][level as usize] / self.u[field][level as usize]).log2()
    }

    /// log2 of the prior odds.
    pub fn prior_weight(&self) -> f64 {
        (self.lambda / (1.0 - self.lambda)).log2()
    }

    /// Term-frequency adjustment: an identical given or family name counts for more when the
    /// name is rare and less when it is common (log2 of u at the top level over the name's
    /// own frequency), and so does a name written across the fields ([`CROSSED`]).
    pub fn tf_adjustment(&self, ds: &Dataset, a: u32, b: u32, levels: &Levels) -> f64 {
        let crossed = levels[FAMILY] == Some(CROSSED);
        if levels[GIVEN] != Some(4) && levels[FAMILY] != Some(4) && !crossed {
            // No identical name: nothing to adjust (most candidate pairs).
            return 0.0;
        }
        let n = ds.len().max(1) as f64;
        let ([ga, fa], [gb, fb]) = (ds.name_counts(a), ds.name_counts(b));
        let share = |count: u32| f64::from(count.max(1)) / n;
        // The name written across: how many records have it as their family name, and how
        // many as their given names.
        let across = crossed
            .then(|| compare::crossing(ds, a, b))
            .flatten()
            .map(|first_family| {
                if first_family {
                    (share(fa.family), share(gb.given))
                } else {
                    (share(fb.family), share(ga.given))
                }
            });
        // A name's share is taken in the field where it is commoner: two records of
        // different people with the same names both written swapped (a common family name in
        // the given names' field) share names that are common, not rare, although few records
        // hold them in those fields.
        let (given, family) = (
            ga.given.max(gb.given).max(ga.family).max(gb.family),
            fa.family.max(fb.family).max(fa.given).max(fb.given),
        );
        self.tf_adjustment_of(
            levels,
            (ds.given(a) == ds.given(b)).then(|| share(given)),
            (ds.family(a) == ds.family(b)).then(|| share(family)),
            across,
        )
    }

    /// The term-frequency adjustment from name frequencies known outside a [`Dataset`] (at
    /// intake the other records are not loaded): `given` and `family` are the shares of all
    /// records holding the pair's name, when both records have the same name (else `None`);
    /// `across`, for a name written across the fields ([`CROSSED`]), the shares of all records
    /// holding that name as their family name and as their given names.
    ///
    /// Across the fields: two different people cross on a name `x` about `2 f g` of the time
    /// (`f` and `g` its shares as a family and as a given name), while one person written
    /// across has a name that is as often their family name as their given name (`(f + g) /
    /// 2`), so the name's Bayes factor is the level's `m / u` times `u (f + g) / (4 f g)`. A
    /// name common in both fields (Ahmed, Ali) says little, one found in one field only (a
    /// family name seen as a given name only where it was swapped) says more.
    pub fn tf_adjustment_of(
        &self,
        levels: &Levels,
        given: Option<f64>,
        family: Option<f64>,
        across: Option<(f64, f64)>,
    ) -> f64 {
        let adjust = |field: usize, tf: f64| {
            (self.u[field][4] / tf)
                .log2()
                .clamp(-MAX_TF_ADJUSTMENT / 2.0, MAX_TF_ADJUSTMENT / 2.0)
        };
        let mut adj = 0.0;
        if levels[GIVEN] == Some(4)
            && let Some(tf) = given
        {
            adj += adjust(GIVEN, tf);
        }
        // At the same address the household correction has already said what a shared
        // family name is worth among relatives, rare or not.
        if levels[FAMILY] == Some(4)
            && !is_household(levels)
            && let Some(tf) = family
        {
            adj += adjust(FAMILY, tf);
        }
        if levels[FAMILY] == Some(CROSSED)
            && !is_household(levels)
            && let Some((f, g)) = across
            && f > 0.0
            && g > 0.0
        {
            let name = 4.0 * f * g / (f + g);
            adj += (self.u[FAMILY][usize::from(CROSSED)] / name)
                .log2()
                .clamp(-MAX_TF_ADJUSTMENT / 2.0, MAX_TF_ADJUSTMENT / 2.0);
        }
        adj
    }

    /// The match weight of a compared pair (prior included).
    pub fn weight(&self, ds: &Dataset, a: u32, b: u32, levels: &Levels) -> f64 {
        self.prior_weight()
            + f64::from(self.table[pattern(levels)])
            + self.tf_adjustment(ds, a, b, levels)
    }

    /// Compares and weighs two records.
    pub fn score(&self, ds: &Dataset, a: u32, b: u32) -> (Levels, f64) {
        let levels = compare::compare(ds, a, b);
        let w = self.weight(ds, a, b, &levels);
        (levels, w)
    }
}

/// The largest term-frequency adjustment ([`Model::tf_adjustment_of`]) either way: each of its
/// two terms at most (the given names, and the family name as written or across the fields)
/// is clamped to half of it.
const MAX_TF_ADJUSTMENT: f64 = 16.0;

/// A name shared at the same address (level 2 or 3): the same family name (level 3 or 4), or
/// one written across the fields ([`CROSSED`]: relatives share a family name, and one of
/// them written with given and family names swapped crosses another's), to which the
/// household's corrections apply.
fn is_household(levels: &Levels) -> bool {
    levels[FAMILY].is_some_and(|l| l >= 3) && levels[compare::ADDRESS].is_some_and(|l| l >= 2)
}

/// The same family name as written in the family name's field (level 3 or 4) at the same
/// address (level 2 or 3): the pairs the corrections for relatives are estimated on.
fn is_straight_household(levels: &Levels) -> bool {
    levels[FAMILY].is_some_and(|l| l == 3 || l == 4)
        && levels[compare::ADDRESS].is_some_and(|l| l >= 2)
}

/// The household correction: log2 of (u of the same family name × u of the address's level,
/// as if independent) over the share of all pairs of different people that really have both;
/// `[household, twins]`, each by the address's level (`[0]` level 2, `[1]` level 3).
///
/// Each level of the address is counted apart, against its own u. Relatives at one house are
/// at level 3 (the same address: at 20,000 generated people, all of the 16,129 pairs counted;
/// at 100,000, 78,236 of 78,245), while different people at level 2 (mostly the same address,
/// or the same postcode) are above all neighbours on one street, whose share of all pairs
/// does not shrink as the data grow (u of level 2 about 4.2e-4 at 20,000, 50,000 and 100,000
/// people; level 3's falls with the number of people). One correction for both levels,
/// against u(level 2 or 3), was mostly measured against the neighbours: it shrank as the data
/// grew (−4.3 at 20,000 people, −2.9 at 50,000, −2.1 at 100,000) although the relatives' share
/// at one house, over all pairs, kept in step with one over the number of records, so that
/// relatives weighed more with every record added. Apart, level 3's correction follows its
/// own u, and what a pair of relatives at one house weighs does not drift with the size.
///
/// That share is counted directly: pairs with the same family-name code and the same
/// postcode whose given names plainly differ (level 0: relatives, not one person written
/// twice), divided by u(given names differ) to count the relatives whose given names happen
/// to be close as well.
///
/// The twins' correction is counted the same way among those pairs born on the same day.
///
/// Records of one person whose given names were written quite differently fall among those
/// pairs too: as many as the pairs there whose given names agree (mostly one person) times
/// m(differ)/m(agree), which is taken off. Where different given names are as common among
/// matches as the pairs found, no relatives are counted and nothing is corrected.
///
/// Only the relatives surely there are counted ([`surely_relatives`]): a handful of pairs is
/// no evidence of households, and corrects nothing.
///
/// The relatives found are added to the pairs that share both by chance (the independent
/// product, over all pairs), so that where there are none, or next to none, the correction
/// is none, or next to none. (It used to start from one pair instead: with the same day's u
/// about 10⁻⁴ that made a twins' correction of −5 to −8 out of nothing on the FEBRL sets,
/// where no one has a twin.)
pub fn household_adjustment(
    ds: &Dataset,
    m: &Table,
    u: &Table,
    max_block: usize,
    threads: usize,
) -> [[f64; 2]; 2] {
    let n = ds.len();
    let all_pairs = (n as f64 * (n as f64 - 1.0) / 2.0).max(1.0);
    // By postcode and the family name's code (its hash's low half: two codes that share it
    // at one postcode are a chance of one in four billion).
    let mut entries: Vec<((u32, u32), u32)> =
        crate::exact::collect((0..n as u32).filter_map(|i| {
            let r = &ds.recs[i as usize];
            let family = *ds.family(i).first()?;
            (r.postcode != crate::data::NONE && !ds.given(i).is_empty())
                .then(|| ((r.postcode, ds.tokens[family as usize].code as u32), i))
        }));
    crate::par::sort_unstable(&mut entries, threads);
    // By the address's level (2 or 3: the same postcode is one or the other): pairs whose
    // given names differ (relatives) and agree, and those of them born on the same day.
    // [relatives, twins, agree, agree_same_day]
    let counts = pairs_in_runs(
        &entries,
        max_block,
        threads,
        |counts: &mut [[u64; 2]; 4], a, b| {
            let Some(at) =
                compare::address_level(ds, a, b).and_then(|l| usize::from(l).checked_sub(2))
            else {
                return;
            };
            let same_day = u64::from(compare::dob_level(ds, a, b) == Some(5));
            let agree = usize::from(compare::given_level(ds, ds.given(a), ds.given(b)) != 0);
            counts[2 * agree][at] += 1;
            counts[2 * agree + 1][at] += same_day;
        },
    );
    let [relatives, twins, agree, agree_same_day] = counts;
    let ratio = m[GIVEN][0] / (1.0 - m[GIVEN][0]).max(1e-9);
    let given_differ = u[GIVEN][0].max(1e-9);
    let family: f64 = u[FAMILY][3..=4].iter().sum();
    let born_same_day = u[compare::DOB][5];
    let mut out = [[0.0; 2]; 2];
    for at in 0..2 {
        let relatives = surely_relatives(relatives[at], agree[at], ratio);
        let twins = surely_relatives(twins[at], agree_same_day[at], ratio);
        // The pairs of different people expected to share both by chance, were the two
        // independent: what the relatives found are added to (with none found, the share is
        // chance's and nothing is corrected).
        let chance = family * u[compare::ADDRESS][at + 2];
        let chance_twins = chance * born_same_day;
        if std::env::var_os("LINKAGE_DEBUG").is_some() {
            eprintln!(
                "household at address level {}: relatives {relatives:.1} (twins {twins:.1}) against {:.2} ({:.4}) by chance",
                at + 2,
                chance * all_pairs,
                chance_twins * all_pairs
            );
        }
        let joint = relatives / given_differ / all_pairs + chance;
        let joint_twins = twins / given_differ / all_pairs + chance_twins;
        out[0][at] = (chance / joint).log2().min(0.0);
        out[1][at] = (chance_twins / joint_twins).log2().min(0.0);
    }
    out
}

/// Counts over every pair within each run of `entries` (sorted) sharing a key, of two records
/// up to `max_block`: `count(counts, a, b)` for each pair, the runs shared among `threads`
/// threads in a fixed number of parts whose counts are added up (so the sums do not depend on
/// the threads).
fn pairs_in_runs<K: PartialEq + Sync, C: Default + Send + Tally>(
    entries: &[(K, u32)],
    max_block: usize,
    threads: usize,
    count: impl Fn(&mut C, u32, u32) + Sync,
) -> C {
    const PARTS: usize = 16;
    // The parts cut at about equal numbers of records, each cut moved on to where a key
    // starts, so that no run is split.
    let mut cuts = vec![0];
    for k in 1..PARTS {
        let mut at = (entries.len() * k / PARTS).max(*cuts.last().unwrap_or(&0));
        while at > 0 && at < entries.len() && entries[at].0 == entries[at - 1].0 {
            at += 1;
        }
        cuts.push(at);
    }
    cuts.push(entries.len());
    let parts = crate::par::run(PARTS, threads, |k| {
        let mut counts = C::default();
        let part = &entries[cuts[k]..cuts[k + 1]];
        for run in part.chunk_by(|x, y| x.0 == y.0) {
            if run.len() < 2 || run.len() > max_block {
                continue;
            }
            for x in 0..run.len() {
                for y in x + 1..run.len() {
                    count(&mut counts, run[x].1, run[y].1);
                }
            }
        }
        counts
    });
    let mut total = C::default();
    for part in &parts {
        total.add(part);
    }
    total
}

/// Counts that add up element by element.
trait Tally {
    fn add(&mut self, other: &Self);
}

impl Tally for u64 {
    fn add(&mut self, other: &Self) {
        *self += *other;
    }
}

impl<T: Tally, const N: usize> Tally for [T; N] {
    fn add(&mut self, other: &Self) {
        for (a, b) in self.iter_mut().zip(other) {
            a.add(b);
        }
    }
}

/// How many relatives there are among pairs counted for the household correction, shrunk
/// toward none as far as noise could explain them: the pairs whose given names plainly
/// differ (`found`), less the records of one person among them (those whose given names
/// agree, `agree`, times `ratio`), is an excess with a variance (each count taken as Poisson);
/// it is multiplied by 1 − 4 variance / excess² (positive-part shrinkage: none where the
/// excess is within two standard errors of nothing, almost all of it where it is many). A
/// correction is then made of pairs enough to tell from noise, not of a pair or two: with the
/// share of pairs that share a family name, an address and a birthday by chance about 10⁻⁸,
/// 1.3 pairs counted on FEBRL3 (where no one has a twin) made a twins' correction of −6.1.
/// (Taking off two standard errors instead cost large counts as much as small ones: 164 twin
/// pairs counted became 134, and 0.3 of the twins' correction at 10,000 generated people.)
fn surely_relatives(found: u64, agree: u64, ratio: f64) -> f64 {
    const SURE: f64 = 2.0;
    let (found, agree) = (found as f64, agree as f64);
    let excess = found - agree * ratio;
    let variance = found + agree * ratio * ratio;
    if excess <= 0.0 {
        return 0.0;
    }
    (excess - SURE * SURE * variance / excess).max(0.0)
}

/// The corrections of the date of birth at one address ([`Model::at_address`]): for pairs of
/// different people at the same address, how often their dates of birth agree at each level,
/// against how often they do among all pairs of different people (u), as log2 of the one
/// over the other (never above 0).
///
/// Counted directly on the pairs with the same postcode whose given names plainly differ
/// (level 0: people sharing a house, not one person written twice), apart for those whose
/// family names agree (level 3 or 4: relatives) and the rest. Records of one person whose
/// given names were written quite differently fall among those pairs too: as many, at each
/// level of the date of birth, as the pairs there whose given names agree times
/// m(differ)/m(agree), which are taken off (as in [`household_adjustment`]). Each level's share
/// starts from u's with the weight of `PRIOR` pairs, so that a handful of pairs (or none)
/// leaves the date of birth as it was.
pub fn address_dob_adjustment(
    ds: &Dataset,
    m: &Table,
    u: &Table,
    max_block: usize,
    threads: usize,
) -> [[f64; ML]; 2] {
    const PRIOR: f64 = 20.0;
    let mut entries: Vec<(u32, u32)> =
        crate::exact::collect((0..ds.len() as u32).filter_map(|i| {
            let r = &ds.recs[i as usize];
            (r.postcode != crate::data::NONE && !ds.given(i).is_empty() && ds.dob(i).is_some())
                .then_some((r.postcode, i))
        }));
    crate::par::sort_unstable(&mut entries, threads);
    // [household or not][given names differ or not][date of birth level]
    let counts = pairs_in_runs(
        &entries,
        max_block,
        threads,
        |counts: &mut [[[u64; ML]; 2]; 2], a, b| {
            let levels = compare::compare(ds, a, b);
            let (Some(given), Some(dob)) = (levels[GIVEN], levels[compare::DOB]) else {
                return;
            };
            if levels[compare::ADDRESS].is_none_or(|l| l < 2) {
                return;
            }
            let h = usize::from(is_straight_household(&levels));
            counts[h][usize::from(given > 0)][usize::from(dob)] += 1;
        },
    );
    let ratio = m[GIVEN][0] / (1.0 - m[GIVEN][0]).max(1e-9);
    let u_dob = &u[compare::DOB];
    let levels = LEVELS[compare::DOB];
    let mut out = [[0.0; ML]; 2];
    for h in 0..2 {
        let apart: Vec<f64> = (0..levels)
            .map(|l| (counts[h][0][l] as f64 - counts[h][1][l] as f64 * ratio).max(0.0))
            .collect();
        let total: f64 = apart.iter().sum::<f64>() + PRIOR;
        for l in 0..levels {
            let share = (apart[l] + PRIOR * u_dob[l]) / total;
            out[h][l] = (u_dob[l] / share).log2().min(0.0);
        }
    }
    // Born on the same day: the twins' own correction covers relatives, and between people
    // who are not related it is not estimated: one person whose names were both written
    // differently (both replaced, or swapped with one replaced) is most often there, more
    // often than the given names' m tells (their changes go together), and would be counted
    // as people sharing a house.
    out[0][5] = 0.0;
    out[1][5] = 0.0;
    out
}

/// A small, fast, seeded generator (SplitMix64) for sampling pairs.
#[derive(Clone, Debug)]
pub struct SplitMix(pub u64);

const GOLDEN: u64 = 0x9e37_79b9_7f4a_7c15;

impl SplitMix {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(GOLDEN);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }

    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

type Table = [[f64; ML]; NF];

fn normalise(counts: &[f64; ML], levels: usize, smoothing: f64) -> [f64; ML] {
    let total: f64 = counts[..levels].iter().sum::<f64>() + smoothing * levels as f64;
    let mut out = [0.0; ML];
    for l in 0..levels {
        out[l] = (counts[l] + smoothing) / total;
    }
    out
}

/// Counts each field's level of one compared pair.
fn tally(counts: &mut [[u64; ML]; NF], levels: &compare::Levels) {
    for f in 0..NF {
        if let Some(l) = levels[f] {
            counts[f][l as usize] += 1;
        }
    }
}

/// The level counts of `pairs`, compared in record order (the counts do not depend on the
/// order, and records visited in order are found in memory sooner than at random).
fn tally_sorted(
    ds: &Dataset,
    pairs: &mut [(u32, u32)],
    levels: impl Fn(&Dataset, u32, u32) -> compare::Levels,
) -> [[u64; ML]; NF] {
    pairs.sort_unstable();
    let mut counts = [[0u64; ML]; NF];
    for &(a, b) in pairs.iter() {
        tally(&mut counts, &levels(ds, a, b));
    }
    counts
}

/// u probabilities from the level counts of random pairs, counted in parts.
fn u_of(parts: &[[[u64; ML]; NF]]) -> Table {
    let mut u = [[0.0; ML]; NF];
    for f in 0..NF {
        let mut counts = [0.0; ML];
        for (l, c) in counts.iter_mut().enumerate() {
            *c = parts.iter().map(|p| p[f][l]).sum::<u64>() as f64;
        }
        u[f] = normalise(&counts, LEVELS[f], 0.5);
    }
    u
}

/// u probabilities from `samples` random pairs (compared on `threads` threads; the pairs, and
/// so the result, do not depend on how many).
pub fn estimate_u(ds: &Dataset, samples: usize, seed: u64, threads: usize) -> Table {
    let n = ds.len();
    let samples = if n >= 2 { samples } else { 0 };
    // The random pairs from `from` to `to`: two draws each, and a thread's generator jumps
    // straight to its first draw (SplitMix's state advances by a constant per draw).
    let count = |from: usize, to: usize| {
        let mut rng = SplitMix(seed.wrapping_add((2 * from as u64).wrapping_mul(GOLDEN)));
        let mut pairs: Vec<(u32, u32)> = (from..to)
            .map(|_| {
                let a = rng.below(n);
                let b = rng.below(n - 1);
                let b = if b >= a { b + 1 } else { b };
                (a as u32, b as u32)
            })
            .collect();
        tally_sorted(ds, &mut pairs, compare::compare)
    };
    // In a fixed number of parts, taken by whichever thread is free next.
    const PARTS: usize = 8;
    let chunk = samples.div_ceil(PARTS).max(1);
    let parts = crate::par::run(samples.div_ceil(chunk), threads, |k| {
        count(k * chunk, ((k + 1) * chunk).min(samples))
    });
    u_of(&parts)
}

/// u probabilities among the pairs of different people whose records share a value of `key`
/// (such as those a blocking rule's key can put together: a shared family initial, a shared
/// postcode district), from `samples` pairs drawn uniformly among all such pairs: what a
/// rule's candidates that are not matches look like, where [`estimate_u`]'s random pairs
/// would not (a rule that makes its pairs share a family initial makes them share a family
/// name far more often than any two records do). A record without a key is in no such pair.
/// Drawn in a fixed number of pieces, each with its own generator, so the pairs do not depend
/// on how many threads there are. With no such pair at all, nothing is counted. Without
/// `names`, the given and family names are not compared (their u is left even, as with no
/// pairs): for a rule whose estimation leaves them out, the names are most of the work of a
/// comparison, and this is done for a fixed number of pairs whatever the size of the data.
pub fn estimate_u_within(
    ds: &Dataset,
    samples: usize,
    seed: u64,
    threads: usize,
    key: &(dyn Fn(u32) -> Option<u32> + Sync),
    names: bool,
) -> Table {
    const PIECES: usize = 32;
    let mut keyed: Vec<(u32, u32)> =
        crate::exact::collect((0..ds.len() as u32).filter_map(|i| key(i).map(|k| (k, i))));
    crate::par::sort_unstable(&mut keyed, threads);
    // The groups of two records or more (where they start, how many), and how many pairs
    // there are in the groups before each.
    let (mut groups, mut before) = (Vec::new(), Vec::new());
    let (mut start, mut total) = (0usize, 0u64);
    for run in keyed.chunk_by(|x, y| x.0 == y.0) {
        if run.len() >= 2 {
            groups.push((start, run.len()));
            before.push(total);
            total += run.len() as u64 * (run.len() as u64 - 1) / 2;
        }
        start += run.len();
    }
    let per_piece = if total > 0 {
        samples.div_ceil(PIECES)
    } else {
        0
    };
    // A piece's pairs, each uniformly among all: its group by the pairs before it, then two
    // different records of the group.
    let piece = |k: usize, pairs: &mut Vec<(u32, u32)>| {
        let mut rng = SplitMix(seed ^ (k as u64 + 1).wrapping_mul(GOLDEN));
        for _ in 0..per_piece {
            let r = ((u128::from(rng.next_u64()) * u128::from(total)) >> 64) as u64;
            let (start, len) = groups[before.partition_point(|&b| b <= r) - 1];
            let a = rng.below(len);
            let b = rng.below(len - 1);
            let b = if b >= a { b + 1 } else { b };
            pairs.push((keyed[start + a].1, keyed[start + b].1));
        }
    };
    let levels = |ds: &Dataset, a: u32, b: u32| {
        if names {
            compare::compare(ds, a, b)
        } else {
            [
                None,
                None,
                compare::dob_level(ds, a, b),
                compare::sex_level(ds, a, b),
                compare::address_level(ds, a, b),
            ]
        }
    };
    // The pieces in a fixed number of parts, taken by whichever thread is free next.
    const PARTS: usize = 8;
    let parts = crate::par::run(PARTS, threads, |k| {
        let mut pairs = Vec::new();
        for p in (k..PIECES).step_by(PARTS) {
            piece(p, &mut pairs);
        }
        tally_sorted(ds, &mut pairs, levels)
    });
    u_of(&parts)
}

/// The starting m: each level four times as likely as the one below (the family name written
/// across the fields as likely as its loosely similar level).
fn initial_m() -> Table {
    let mut m = [[0.0; ML]; NF];
    for f in 0..NF {
        let mut c = [0.0; ML];
        for (l, v) in c.iter_mut().enumerate().take(LEVELS[f]) {
            let rank = if f == FAMILY && l == usize::from(CROSSED) {
                1
            } else {
                l
            };
            *v = 4f64.powi(rank as i32);
        }
        m[f] = normalise(&c, LEVELS[f], 0.0);
    }
    m
}

/// m (for the fields in `active`) by expectation-maximisation over pattern counts, u fixed.
pub fn em(counts: &[u64], u: &Table, active: &[bool; NF], iterations: usize) -> (Table, f64) {
    let mut m = initial_m();
    let mut lambda = 0.1;
    let patterns: Vec<(Levels, f64)> = counts
        .iter()
        .enumerate()
        .filter(|(_, c)| **c > 0)
        .map(|(p, c)| (levels_of(p), *c as f64))
        .collect();
    for _ in 0..iterations {
        let mut acc = [[0.0; ML]; NF];
        let (mut matched, mut total) = (0.0, 0.0);
        for (levels, c) in &patterns {
            let (mut pm, mut pu) = (lambda, 1.0 - lambda);
            for f in 0..NF {
                if let (true, Some(l)) = (active[f], levels[f]) {
                    pm *= m[f][l as usize];
                    pu *= u[f][l as usize];
                }
            }
            let g = pm / (pm + pu);
            matched += g * c;
            total += c;
            for f in 0..NF {
                if let (true, Some(l)) = (active[f], levels[f]) {
                    acc[f][l as usize] += g * c;
                }
            }
        }
        if total == 0.0 {
            break;
        }
        lambda = (matched / total).clamp(1e-9, 1.0 - 1e-9);
        for f in 0..NF {
            if active[f] {
                m[f] = normalise(&acc[f], LEVELS[f], 0.01);
            }
        }
    }
    (m, lambda)
}

/// Settings of a bulk run.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Pairs at or above this probability are linked into clusters.
    pub threshold: f64,
    /// Refuse a merge of two clusters whose records, taken across, do not on average match.
    pub chain_check: bool,
    /// Larger blocks are compared in a sorted window of `window` records.
    pub max_block: usize,
    pub window: usize,
    /// Random pairs for u.
    pub u_samples: usize,
    /// Pairs for u among each training rule's kind of pairs ([`estimate_u_within`]): a fixed
    /// cost at every size (three rules' worth of comparisons of pairs that share a family
    /// initial or a district). Half of `u_samples`: with 200,000 the F1 of generated people
    /// was the same to four places at 10,000, 100,000 and 200,000 people, in twice the time.
    pub u_within_samples: usize,
    /// At most this many pairs of each rule for estimating m.
    pub train_pairs: usize,
    pub em_iterations: usize,
    pub threads: usize,
    pub seed: u64,
    pub blocker: Blocker,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            threshold: 0.9,
            chain_check: true,
            max_block: 400,
            window: 40,
            u_samples: 200_000,
            u_within_samples: 100_000,
            train_pairs: 1_000_000,
            em_iterations: 30,
            threads: std::thread::available_parallelism().map_or(1, usize::from),
            seed: 0x5eed,
            blocker: Blocker::unkeyed(),
        }
    }
}

/// A scored candidate pair.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pair {
    pub a: u32,
    pub b: u32,
    pub weight: f32,
}

/// The result of a bulk run.
#[derive(Debug)]
pub struct Outcome {
    /// For every record, the index of the first record of its cluster.
    pub cluster: Vec<u32>,
    /// Candidate pairs at or above the pair threshold, best first.
    pub pairs: Vec<Pair>,
    pub model: Model,
    /// Distinct candidate pairs compared.
    pub candidates: u64,
    /// Blocks compared in a window because they were too large.
    pub oversized_blocks: usize,
}

fn hash_pair(a: u32, b: u32) -> u64 {
    SplitMix((u64::from(a) << 32) | u64::from(b)).next_u64()
}

/// The blocking rules whose pairs m is estimated on: date of birth with the family initial
/// (for the given names, sex and address), the names with the postcode district (for the date
/// of birth, with the address in the estimation too: see [`block::RULE_TOUCHES`]) and the date
/// of birth with the postcode district (for the family name and sex: its pairs are free to
/// differ in every part of the names, as records of one person whose names were replaced or
/// swapped do; not for the given names, because twins are among its pairs, different in
/// their given names only, and would pass for one person written twice). Not
/// those on the family name with the year of birth, or on the postcode: their pairs are full
/// of relatives (same family name, same address, close or equal birth dates), whom the
/// estimation would take for one person written differently, making a different given name
/// or a distant birth date look common among matches. (Relatives born on the same day in
/// the same district are twins: few, and the household correction is for them.)
const TRAINING_RULES: [usize; 3] = [2, 4, 5];

/// The order the rules' blocks are visited in to compare every distinct candidate pair once,
/// under the first rule visited that makes it: the training rules first. Their pairs are all
/// compared for m (up to `train_pairs` of each) before the candidates are; those not made by
/// a rule visited before are taken up again instead of being compared twice, so with the
/// training rules first only the pairs they share among themselves are compared twice (in
/// the rules' own order, every pair of a training rule also made by rule 0, 1 or 3 was). The
/// distinct pairs and their patterns are the same whatever the order.
/// (A test holds it to that: every rule once, [`TRAINING_RULES`] first.)
const VISIT_ORDER: [usize; R] = [2, 4, 5, 0, 1, 3, 6, 7, 8, 9, 10, 11];
// (Rule 2, date of birth with the family initial, is also the one the household correction's
// m is taken from, below.)

/// What a training rule's key asks of the fields its estimation step weighs, the key of the
/// pairs its u is counted on ([`estimate_u_within`]): the family initial for the date of
/// birth with the family initial (rule 2), the postcode district for the names and for the
/// date of birth with the district (rules 4 and 5). The fields the rule makes agree outright
/// ([`RULE_FIELDS`]) are left out of its estimation and need no such care; a field it only
/// narrows does: a rule's pairs that are not matches share a family name, or an address, far
/// more often than two records drawn at random. `None` where the rule gives the record no
/// key (it is in none of the rule's pairs: its block key `keys[rule]` is 0), and for a rule m
/// is not estimated on.
fn loose_key(ds: &Dataset, keys: &BlockKeys, rule: usize, i: u32) -> Option<u32> {
    if !keys.has(ds, rule, i) {
        return None;
    }
    match rule {
        2 => Some(u32::from(block::initial(ds, ds.family(i)))),
        4 | 5 => Some(ds.recs[i as usize].district),
        _ => None,
    }
}

/// A fitted model with what fitting saw.
#[derive(Debug)]
pub struct Fit {
    pub model: Model,
    /// Distinct candidate pairs.
    pub candidates: u64,
    /// Blocks compared in a window because they were too large.
    pub oversized_blocks: usize,
}

/// Fits the model to the records: u from random pairs, m by EM on the candidate pairs of each
/// blocking rule, the prior from the distinct candidates.
pub fn fit(ds: &Dataset, settings: &Settings, progress: &mut dyn FnMut(&str)) -> Fit {
    let keys = settings.blocker.block_keys(ds, settings.threads);
    fit_with(ds, keys, settings, None, progress).0
}

/// A distinct candidate pair kept from the pass that counts them, with its comparison
/// pattern, to be weighed once the prior is known.
struct Candidate {
    a: u32,
    b: u32,
    pattern: u16,
}

/// Fits the model; with `keep` (a match weight), also returns the distinct candidate pairs
/// whose weight is at least `keep`, unsorted. Every distinct candidate pair is compared once.
///
/// The weights need the prior, and the prior needs every distinct candidate's comparison
/// pattern, so m is estimated first (on its own sample of pairs), then one pass over the
/// distinct candidates counts their patterns for the prior and keeps those that could reach
/// `keep` under the highest prior there could be: the prior is at most the share of all
/// pairs that are candidates. Their weights are worked out once the prior is.
fn fit_with(
    ds: &Dataset,
    keys: BlockKeys,
    settings: &Settings,
    keep: Option<f64>,
    progress: &mut dyn FnMut(&str),
) -> (Fit, Vec<Pair>) {
    let n = ds.len();
    progress("estimating u from random pairs");
    let u = estimate_u(ds, settings.u_samples, settings.seed, settings.threads);

    // Pass 1: the pattern counts of a sample of each training rule's pairs, for m. The
    // patterns of the sampled pairs that are distinct candidates (no earlier rule's) are kept
    // too, in the order visited, by share: the second pass visits the same blocks in the same
    // order and takes them instead of comparing those pairs again (two bytes a pair, at most
    // `train_pairs` of each rule).
    progress("counting comparison patterns of sampled pairs");
    let build = |rule| {
        Blocks::build(
            ds,
            &keys.column(ds, rule),
            rule,
            settings.max_block,
            settings.window,
            settings.threads,
        )
    };
    let mut train = vec![vec![0u64; PATTERNS]; R];
    let mut replay: Vec<Option<(u64, Vec<Vec<u16>>)>> = vec![None; R];
    // Each training rule's pairs, counted as its blocks are built (what [`Blocks::count`]
    // would count again for the floor below: none of them needs a part missing).
    let mut counted: [Option<usize>; R] = [None; R];
    for (k, &rule) in TRAINING_RULES.iter().enumerate() {
        let earlier = &VISIT_ORDER[..k];
        let blocks = build(rule);
        counted[rule] = Some(blocks.pairs);
        let rate = (settings.train_pairs as f64 / blocks.pairs.max(1) as f64).min(1.0);
        let on_date = RULE_FIELDS[rule].contains(&compare::DOB);
        let estimated = |i: u32| ds.dob(i).is_some_and(|d| d.is_estimate());
        let cut = (rate * u64::MAX as f64) as u64;
        let states = blocks.visit(
            ds,
            settings.threads,
            |_| (vec![0u64; PATTERNS], Vec::new()),
            |(tr, kept): &mut (Vec<u64>, Vec<u16>), a, b| {
                if hash_pair(a, b) <= cut && block::pair_allowed(ds, rule, a, b) {
                    let p = pattern(&compare::compare(ds, a, b));
                    // A date of birth estimated (1 January) is no sign of one person: the
                    // pairs a rule on the date makes of estimated dates are people of one
                    // year, whom m would take for one person whose names changed.
                    if !(on_date && (estimated(a) || estimated(b))) {
                        tr[p] += 1;
                    }
                    if !block::seen_before(ds, &keys, a, b, earlier) {
                        kept.push(p as u16);
                    }
                }
            },
        );
        let mut shares = Vec::with_capacity(states.len());
        for (tr, kept) in states {
            for p in 0..PATTERNS {
                train[rule][p] += tr[p];
            }
            shares.push(kept);
        }
        replay[rule] = Some((cut, shares));
    }

    // u among the pairs each training rule could put together (see [`loose_key`]).
    progress("estimating u among the pairs of each training rule");
    let mut u_rule = [u; R];
    for &rule in &TRAINING_RULES {
        // The names are compared only where the rule's estimation weighs them (not on the
        // pairs of the rule on the names, whose estimation leaves them out).
        let names = !(RULE_FIELDS[rule].contains(&GIVEN) && RULE_FIELDS[rule].contains(&FAMILY));
        u_rule[rule] = estimate_u_within(
            ds,
            settings.u_within_samples,
            settings.seed,
            settings.threads,
            &|i| loose_key(ds, &keys, rule, i),
            names,
        );
        if std::env::var_os("LINKAGE_DEBUG").is_some() {
            eprintln!("u among rule {rule}'s kind of pairs {:.4?}", u_rule[rule]);
        }
    }

    progress("estimating m by expectation-maximisation");
    let mut sum = [[0.0; ML]; NF];
    let mut times = [0usize; NF];
    for (rule, counts) in train.iter().enumerate() {
        if !TRAINING_RULES.contains(&rule) {
            continue;
        }
        let mut active = [true; NF];
        for &f in RULE_FIELDS[rule] {
            active[f] = false;
        }
        let (m, _) = em(counts, &u_rule[rule], &active, settings.em_iterations);
        if std::env::var_os("LINKAGE_DEBUG").is_some() {
            eprintln!("m on rule {rule}'s pairs {m:.4?}");
        }
        for f in 0..NF {
            if active[f] && !block::RULE_TOUCHES[rule].contains(&f) {
                for l in 0..ML {
                    sum[f][l] += m[f][l];
                }
                times[f] += 1;
            }
        }
    }
    let mut m = initial_m();
    for f in 0..NF {
        if times[f] > 0 {
            for l in 0..ML {
                m[f][l] = sum[f][l] / times[f] as f64;
            }
        }
    }
    // m(given names differ) for the household correction, estimated on the date-of-birth
    // pairs at different (or unknown) addresses only: relatives at one address, twins above
    // all, would otherwise pass for one person with two given names and cancel the
    // correction they call for.
    //
    // Against u among pairs that share a family initial, as that rule's pairs all do, not
    // among all pairs: a family name shared there is about 20 times as common (u of the
    // identical level 0.039 against 0.002 in generated people), and with u of all pairs EM
    // took the people who share a common family name and a birthday for one person whose
    // given names differ. Those grow with the square of the number of records and matches
    // with the number, so m(given names differ) grew with the data (0.069 / 0.090 / 0.126 /
    // 0.193 at 20,000 / 50,000 / 100,000 / 200,000 generated people) and cancelled every
    // twin counted from 100,000 people; against u among the rule's own kind of pairs it holds
    // (0.042 / 0.036 / 0.038 / 0.035). (The rule's date is not part of that u: the given
    // names, family names and sex of different people do not depend on their birthdays.)
    // It is the u m itself is estimated against on that rule's pairs, above.
    let elsewhere: Vec<u64> = train[2]
        .iter()
        .enumerate()
        .map(|(p, &c)| {
            let address = levels_of(p)[compare::ADDRESS];
            if address.is_none_or(|l| l <= 1) { c } else { 0 }
        })
        .collect();
    drop(train);
    let mut active = [true; NF];
    active[compare::DOB] = false;
    active[compare::ADDRESS] = false;
    let u_initial = u_rule[2];
    if std::env::var_os("LINKAGE_DEBUG").is_some() {
        eprintln!(
            "u(family name) {:.3?}, among pairs sharing a family initial {:.3?}",
            u[FAMILY], u_initial[FAMILY]
        );
    }
    let (m_elsewhere, _) = em(&elsewhere, &u_initial, &active, settings.em_iterations);
    let [household, twins] =
        household_adjustment(ds, &m_elsewhere, &u, settings.max_block, settings.threads);
    let at_address =
        address_dob_adjustment(ds, &m_elsewhere, &u, settings.max_block, settings.threads);
    if std::env::var_os("LINKAGE_DEBUG").is_some() {
        eprintln!(
            "m(given names) for the corrections {:.4?}, m(given names) {:.4?}",
            m_elsewhere[GIVEN], m[GIVEN]
        );
        eprintln!(
            "corrections: household {household:.3?} twins {twins:.3?} at address {at_address:.3?}"
        );
    }
    let corrections = Corrections {
        household,
        twins,
        at_address,
    };
    // The pattern weights do not depend on the prior.
    let unprimed = Model::new(m, u, 0.5, corrections);

    // Pass 2: every distinct candidate pair compared once: its pattern counted (for the
    // prior) and, if it may reach `keep`, kept.
    progress("comparing candidate pairs");
    let all_pairs = (n as f64 * (n as f64 - 1.0) / 2.0).max(1.0);
    let floor = keep.map(|keep| {
        let most: usize = crate::par::run(R, settings.threads, |rule| {
            counted[rule].unwrap_or_else(|| {
                Blocks::count(&keys.column(ds, rule), settings.max_block, settings.window)
            })
        })
        .iter()
        .sum();
        let highest = (most as f64 / all_pairs).clamp(1e-12, 0.5);
        // The margin covers rounding: a pair just below is weighed again below anyway.
        keep - Model::new(m, u, highest, corrections).prior_weight() - 1e-6
    });
    let mut distinct = vec![0u64; PATTERNS];
    // The kept candidates of each share of each rule, apart: gathered into one vector as they
    // came, it held up to twice what it needed while growing, and three times while it was
    // copied to its larger room (the peak memory of a run).
    let mut candidates: Vec<Vec<Candidate>> = Vec::new();
    let mut oversized_blocks = 0;
    for (k, &rule) in VISIT_ORDER.iter().enumerate() {
        let earlier = &VISIT_ORDER[..k];
        let blocks = build(rule);
        oversized_blocks += blocks.oversized;
        if std::env::var_os("LINKAGE_DEBUG").is_some() {
            eprintln!(
                "rule {rule}: {} pairs, {} oversized blocks",
                blocks.pairs, blocks.oversized
            );
        }
        let model = &unprimed;
        let replay = replay[rule].take();
        let states = blocks.visit(
            ds,
            settings.threads,
            |share| {
                let stored = replay
                    .as_ref()
                    .map(|(cut, shares)| (*cut, &shares[share][..]));
                (vec![0u64; PATTERNS], Vec::new(), stored, 0usize)
            },
            |(di, kept, stored, next): &mut (Vec<u64>, Vec<Candidate>, _, usize), a, b| {
                if !block::pair_allowed(ds, rule, a, b)
                    || block::seen_before(ds, &keys, a, b, earlier)
                {
                    return;
                }
                // Compared already when sampled for m.
                let p = match stored {
                    Some((cut, patterns)) if hash_pair(a, b) <= *cut => {
                        *next += 1;
                        usize::from(patterns[*next - 1])
                    }
                    _ => pattern(&compare::compare(ds, a, b)),
                };
                di[p] += 1;
                // Most pairs fall short of the floor even with the largest adjustment there is:
                // their names' frequencies are not looked up.
                if let Some(floor) = floor
                    && f64::from(model.table[p]) + MAX_TF_ADJUSTMENT >= floor
                    && f64::from(model.table[p]) + model.tf_adjustment(ds, a, b, &levels_of(p))
                        >= floor
                {
                    kept.push(Candidate {
                        a,
                        b,
                        pattern: p as u16,
                    });
                }
            },
        );
        for (di, mut kept, _, _) in states {
            for p in 0..PATTERNS {
                distinct[p] += di[p];
            }
            kept.shrink_to_fit();
            candidates.push(kept);
        }
    }
    // The keys are done with: their room is free for the weighing (the candidates are weighed
    // in place, then gathered into one vector).
    drop(keys);
    if std::env::var_os("LINKAGE_DEBUG").is_some() {
        let kept: usize = candidates.iter().map(Vec::len).sum();
        eprintln!("{kept} candidates kept to be weighed");
    }
    let lambda = prior(&distinct, &unprimed, n);
    let model = Model::new(m, u, lambda, corrections);
    // Each share's weighed in its candidates' own room (a pair is the size of a candidate),
    // then all of them put together in one vector of the size they come to.
    let weighed: Vec<Vec<Pair>> = candidates
        .into_iter()
        .map(|share| {
            share
                .into_iter()
                .filter_map(|c| {
                    let w = model.weight(ds, c.a, c.b, &levels_of(usize::from(c.pattern)));
                    keep.is_some_and(|keep| w >= keep).then_some(Pair {
                        a: c.a,
                        b: c.b,
                        weight: w as f32,
                    })
                })
                .collect()
        })
        .collect();
    let mut pairs = Vec::with_capacity(weighed.iter().map(Vec::len).sum());
    for share in weighed {
        pairs.extend(share);
    }
    let fit = Fit {
        model,
        candidates: distinct.iter().sum(),
        oversized_blocks,
    };
    (fit, pairs)
}

/// Fits the model to the records and clusters them. `pairs_above` (a probability) keeps the
/// scored pairs at or above it, besides those used for clustering.
pub fn dedupe(
    ds: &Dataset,
    settings: &Settings,
    pairs_above: Option<f64>,
    progress: &mut dyn FnMut(&str),
) -> Outcome {
    let n = ds.len();
    let keys = settings.blocker.block_keys(ds, settings.threads);
    let cluster_weight = weight_of(settings.threshold);
    let keep = pairs_above.map_or(cluster_weight, |p| weight_of(p).min(cluster_weight));
    let (
        Fit {
            model,
            candidates,
            oversized_blocks,
        },
        mut pairs,
    ) = fit_with(ds, keys, settings, Some(keep), progress);
    pairs.sort_unstable_by(|x, y| {
        y.weight
            .total_cmp(&x.weight)
            .then((x.a, x.b).cmp(&(y.a, y.b)))
    });
    progress("clustering");
    let check = settings.chain_check.then_some((ds, &model));
    let cluster = crate::cluster::cluster(n, &pairs, cluster_weight as f32, check);
    Outcome {
        cluster,
        pairs,
        model,
        candidates,
        oversized_blocks,
    }
}

/// The prior: the fixed point of "expected matches among the candidates / all pairs".
fn prior(distinct: &[u64], model: &Model, n: usize) -> f64 {
    let all_pairs = (n as f64 * (n as f64 - 1.0) / 2.0).max(1.0);
    let factors: Vec<(f64, f64)> = distinct
        .iter()
        .enumerate()
        .filter(|(_, c)| **c > 0)
        .map(|(p, c)| (f64::from(model.table[p]).exp2(), *c as f64))
        .collect();
    let mut lambda = 1.0 / all_pairs.sqrt();
    for _ in 0..50 {
        let odds = lambda / (1.0 - lambda);
        let expected: f64 = factors
            .iter()
            .map(|(bf, c)| c * (odds * bf) / (1.0 + odds * bf))
            .sum();
        lambda = (expected / all_pairs).clamp(1e-12, 0.5);
    }
    lambda
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_frequencies_from_outside_weigh_rare_names_up_common_ones_down_and_none_neutral() {
        let mut m = [[0.5; ML]; NF];
        let mut u = [[0.5; ML]; NF];
        m[GIVEN][4] = 0.9;
        u[GIVEN][4] = 0.01;
        m[FAMILY][4] = 0.9;
        u[FAMILY][4] = 0.01;
        let model = Model::new(m, u, 0.001, Corrections::default());
        let mut levels: Levels = [None; NF];
        levels[GIVEN] = Some(4);
        levels[FAMILY] = Some(4);
        // A name exactly as common as the average says nothing more.
        assert!(
            model
                .tf_adjustment_of(&levels, Some(0.01), Some(0.01), None)
                .abs()
                < 1e-9
        );
        assert_eq!(model.tf_adjustment_of(&levels, None, None, None), 0.0);
        let rare = model.tf_adjustment_of(&levels, None, Some(0.0001), None);
        let common = model.tf_adjustment_of(&levels, None, Some(0.1), None);
        assert!(rare > 0.0 && common < 0.0, "{rare} {common}");
        // Only an exact agreement is adjusted.
        levels[FAMILY] = Some(3);
        assert_eq!(model.tf_adjustment_of(&levels, None, Some(0.1), None), 0.0);
    }

    #[test]
    fn the_term_frequency_adjustment_is_skipped_only_where_there_is_none() {
        // Every pattern, for two records with the same rare names and for two with the same
        // common ones: the adjustment is what the name frequencies give, never left out.
        let mut m = [[0.5; ML]; NF];
        let mut u = [[0.5; ML]; NF];
        m[GIVEN][4] = 0.9;
        u[GIVEN][4] = 0.05;
        m[FAMILY][4] = 0.9;
        u[FAMILY][4] = 0.05;
        let model = Model::new(
            m,
            u,
            0.001,
            Corrections {
                household: [-1.0, -1.5],
                twins: [-2.0, -2.5],
                at_address: [[-0.5; ML]; 2],
            },
        );
        let mut ds = Dataset::new();
        let person = |g, f| crate::data::Record {
            given_names: g,
            family_name: f,
            ..Default::default()
        };
        for _ in 0..2 {
            ds.push(&person("zebedee", "quartermaine"));
        }
        for _ in 0..30 {
            ds.push(&person("john", "smith"));
        }
        ds.finish();
        let n = ds.len() as f64;
        let mut adjusted = 0;
        for (a, b, count) in [(0, 1, 2.0), (2, 3, 30.0)] {
            for p in 0..PATTERNS {
                let levels = levels_of(p);
                let expected =
                    model.tf_adjustment_of(&levels, Some(count / n), Some(count / n), None);
                let got = model.tf_adjustment(&ds, a, b, &levels);
                assert!(
                    (got - expected).abs() < 1e-12,
                    "pattern {p}: {got} {expected}"
                );
                adjusted += usize::from(expected != 0.0);
            }
        }
        assert!(adjusted > 0);
    }

    #[test]
    fn names_written_swapped_are_as_common_as_in_their_own_fields() {
        // Le is a common family name and Phong a common given name; two records (of
        // different people) written with them swapped hold names that are rare in the fields
        // they are in, but common names all the same: they weigh what the same names written
        // straight weigh, not what two rare names would.
        let mut m = [[0.5; ML]; NF];
        let mut u = [[0.5; ML]; NF];
        m[GIVEN][4] = 0.9;
        u[GIVEN][4] = 0.01;
        m[FAMILY][4] = 0.9;
        u[FAMILY][4] = 0.01;
        let model = Model::new(m, u, 0.001, Corrections::default());
        let mut ds = Dataset::new();
        let person = |g, f| crate::data::Record {
            given_names: g,
            family_name: f,
            ..Default::default()
        };
        for k in 0..30 {
            ds.push(&person(["anh", "binh", "cuong"][k % 3], "le"));
            ds.push(&person("phong", ["tran", "pham", "nguyen"][k % 3]));
        }
        let swapped = (
            ds.push(&person("le", "phong")),
            ds.push(&person("le", "phong")),
        );
        let straight = (
            ds.push(&person("phong", "le")),
            ds.push(&person("phong", "le")),
        );
        ds.finish();
        let mut levels: Levels = [None; NF];
        levels[GIVEN] = Some(4);
        levels[FAMILY] = Some(4);
        let weigh = |(a, b)| model.tf_adjustment(&ds, a, b, &levels);
        assert!(weigh(straight) < 0.0, "{}", weigh(straight));
        assert!(
            (weigh(swapped) - weigh(straight)).abs() < 1e-9,
            "{} {}",
            weigh(swapped),
            weigh(straight)
        );
    }

    #[test]
    fn people_sharing_a_house_born_close_together_weigh_their_dates_of_birth_less() {
        // Houses of four unrelated people each, born within two years of each other, and
        // one of them estimated (1 January); every pair has plainly different names.
        let names = [
            ("zebedee", "quartermaine"),
            ("oluwaseun", "fitzgerald"),
            ("xiaoming", "abernethy"),
            ("priyanka", "vandersloot"),
        ];
        let mut texts = Vec::new();
        for house in 0..30 {
            for (k, (g, f)) in names.iter().enumerate() {
                let dob = if k == 3 {
                    format!("{}-01-01", 1990 + house % 5)
                } else {
                    format!("{}-0{}-1{}", 1990 + house % 5 + k % 2, k + 2, k)
                };
                let postcode = format!("LS{} {}AB", 1 + house / 10, house % 10);
                texts.push((g.to_string(), f.to_string(), dob, postcode));
            }
        }
        let mut ds = Dataset::new();
        for (g, f, dob, postcode) in &texts {
            ds.push(&crate::data::Record {
                given_names: g,
                family_name: f,
                date_of_birth: dob,
                address: "12 Station Road",
                town: "Leeds",
                postcode,
                ..Default::default()
            });
        }
        ds.finish();
        let mut u = [[0.0; ML]; NF];
        u[compare::DOB] = [0.65, 0.26, 0.08, 0.003, 0.0015, 0.0001];
        u[GIVEN] = [0.99, 0.0025, 0.0025, 0.0025, 0.0025, 0.0];
        let mut m = initial_m();
        m[GIVEN][0] = 0.1;
        let at = address_dob_adjustment(&ds, &m, &u, 400, 2);
        // Within two years, and the same year with one estimated, say less at one address.
        assert!(at[0][2] < -1.0 && at[0][3] < -1.0, "{at:?}");
        // Never a gain, and never for the same day (not estimated here).
        assert!(at.iter().flatten().all(|&c| c <= 0.0));
        assert_eq!((at[0][5], at[1][5]), (0.0, 0.0));
        // No relatives: nothing for them.
        assert!(at[1].iter().all(|&c| c == 0.0), "{at:?}");

        // The correction applies at the same address only.
        let model = Model::new(
            m,
            [[0.5; ML]; NF],
            0.001,
            Corrections {
                at_address: at,
                ..Corrections::default()
            },
        );
        let mut levels: Levels = [Some(0), Some(0), Some(2), None, Some(3)];
        let shared = model.pattern_weight(&levels);
        levels[compare::ADDRESS] = Some(1);
        let elsewhere = model.pattern_weight(&levels);
        let apart =
            model.field_weight(compare::ADDRESS, 3) - model.field_weight(compare::ADDRESS, 1);
        assert!((shared - elsewhere - apart - at[0][2]).abs() < 1e-4);
    }

    /// u where a family name, an address and a birthday are rarely shared by chance.
    fn rarely_shared_u() -> [[f64; ML]; NF] {
        let mut u = [[0.2; ML]; NF];
        u[FAMILY][3] = 1e-3;
        u[FAMILY][4] = 1e-3;
        u[compare::ADDRESS][2] = 1e-4;
        u[compare::ADDRESS][3] = 1e-4;
        u[compare::DOB][5] = 1e-4;
        u
    }

    /// A Smith born 4 March 1990 with `given` names at `postcode`.
    fn push_smith(ds: &mut Dataset, given: &str, postcode: &str) {
        ds.push(&crate::data::Record {
            given_names: given,
            family_name: "smith",
            date_of_birth: "1990-03-04",
            postcode,
            ..Default::default()
        });
    }

    #[test]
    fn no_one_sharing_a_house_leaves_the_dates_of_birth_as_they_were() {
        let mut ds = Dataset::new();
        for (k, g) in ["anna", "boris", "celia"].iter().enumerate() {
            let postcode = format!("LS{k} 1AB");
            push_smith(&mut ds, g, &postcode);
        }
        ds.finish();
        let u = [[0.2; ML]; NF];
        assert_eq!(
            address_dob_adjustment(&ds, &initial_m(), &u, 400, 2),
            [[0.0; ML]; 2]
        );
    }

    #[test]
    fn no_relatives_at_one_address_leave_the_household_and_twins_uncorrected() {
        // Each person written twice alike at a postcode of their own (as in the FEBRL sets):
        // no relatives, no twins, so nothing to correct, however rare sharing a family name,
        // an address and a birthday is by chance.
        let mut ds = Dataset::new();
        for k in 0..50 {
            let postcode = format!("LS{k} 1AB");
            for _ in 0..2 {
                push_smith(&mut ds, "anna", &postcode);
            }
        }
        ds.finish();
        let u = rarely_shared_u();
        let mut m = initial_m();
        m[GIVEN][0] = 0.05;
        assert_eq!(household_adjustment(&ds, &m, &u, 400, 2), [[0.0; 2]; 2]);
    }

    #[test]
    fn every_training_rule_says_what_its_key_narrows() {
        let mut ds = Dataset::new();
        let full = ds.push(&crate::data::fixtures::FATIMA);
        let bare = ds.push(&crate::data::Record {
            family_name: "Mohammed",
            ..Default::default()
        });
        ds.finish();
        let keys = Blocker::unkeyed().block_keys(&ds, 1);
        for rule in TRAINING_RULES {
            let key = |i: u32| loose_key(&ds, &keys, rule, i);
            assert!(key(full).is_some(), "rule {rule}");
            assert_eq!(key(bare), None, "rule {rule}");
        }
    }

    #[test]
    fn every_rule_is_visited_once_the_training_rules_first() {
        assert_eq!(VISIT_ORDER[..TRAINING_RULES.len()], TRAINING_RULES);
        let mut rules = VISIT_ORDER;
        rules.sort_unstable();
        assert_eq!(rules, std::array::from_fn(|r| r));
    }

    #[test]
    fn a_handful_of_relatives_corrects_nothing_and_many_do() {
        // `twins` postcodes with two people of one family name born the same day with
        // different given names (twins), and a hundred people alone at theirs.
        let fitted = |twins: usize| {
            let mut ds = Dataset::new();
            for k in 0..100 + twins {
                let postcode = format!("LS{k} 1AB");
                let given: &[&str] = if k < twins {
                    &["anna", "beth"]
                } else {
                    &["anna"]
                };
                for g in given {
                    push_smith(&mut ds, g, &postcode);
                }
            }
            ds.finish();
            let mut u = rarely_shared_u();
            u[GIVEN][0] = 0.99;
            let mut m = initial_m();
            m[GIVEN][0] = 0.05;
            household_adjustment(&ds, &m, &u, 400, 2)
        };
        // One or two pairs of twins: too few to say anything of households or twins.
        for twins in [1, 2] {
            assert_eq!(fitted(twins), [[0.0; 2]; 2], "{twins} pairs of twins");
        }
        // Thirty: a correction (at address level 2: the postcode alone).
        let many = fitted(30);
        assert!(many[0][0] < -1.0 && many[1][0] < -5.0, "{many:?}");
        assert_eq!((many[0][1], many[1][1]), (0.0, 0.0));
    }

    #[test]
    fn u_within_pairs_of_a_kind_counts_only_those_uniformly_and_not_by_thread() {
        // A hundred records each of Smith, Sanders, Jones and Taylor: among pairs sharing a
        // family initial, the family name agrees far more often than among all pairs.
        let mut ds = Dataset::new();
        let families = ["smith", "jones", "sanders", "taylor"];
        for k in 0..400 {
            let family = families[k % 4];
            let given = format!("given{k}");
            ds.push(&crate::data::Record {
                given_names: &given,
                family_name: family,
                ..Default::default()
            });
        }
        ds.finish();
        let initial = |i: u32| {
            ds.family(i)
                .first()
                .and_then(|&t| ds.text(t).chars().next())
                .map(u32::from)
        };
        let all = estimate_u(&ds, 20_000, 1, 2);
        let within = estimate_u_within(&ds, 20_000, 1, 2, &initial, true);
        assert!(all[FAMILY][4] < 0.3, "{:?}", all[FAMILY]);
        assert_eq!(within, estimate_u_within(&ds, 20_000, 1, 5, &initial, true));
        // Drawn uniformly among such pairs: of the 19,900 pairs of the 200 records with an S,
        // 9,900 have the same name, and all 4,950 of the Joneses and of the Taylors (had a
        // record been drawn first and then another of its kind, the Ss would have had half
        // the draws, not two thirds, and the share would be 0.75).
        let identical = (9_900.0 + 2.0 * 4_950.0) / (19_900.0 + 2.0 * 4_950.0);
        assert!(
            (within[FAMILY][4] - identical).abs() < 0.02,
            "{:?} {identical}",
            within[FAMILY]
        );
        // None of that kind: nothing counted.
        let none = estimate_u_within(&ds, 1000, 1, 2, &|i| Some(i), true);
        let even = 1.0 / LEVELS[FAMILY] as f64;
        assert!(
            none[FAMILY][..LEVELS[FAMILY]]
                .iter()
                .all(|&x| (x - even).abs() < 1e-9),
            "{:?}",
            none[FAMILY]
        );
    }

    #[test]
    fn a_training_rules_pairs_as_built_are_the_pairs_its_keys_count() {
        // The floor of the candidates kept takes a training rule's pairs from its blocks as
        // built for m instead of counting its keys again.
        let mut g = crate::synth::Generator::new(5);
        let mut recs = Vec::new();
        while recs.len() < 3000 {
            g.next_household(&mut recs);
        }
        let ds = crate::synth::dataset(&recs);
        let keys = Blocker::unkeyed().block_keys(&ds, 2);
        for (max_block, window) in [(400, 40), (3, 2)] {
            for rule in TRAINING_RULES {
                let column = keys.column(&ds, rule);
                let built = Blocks::build(&ds, &column, rule, max_block, window, 2).pairs;
                assert!(built > 0, "rule {rule}");
                assert_eq!(
                    built,
                    Blocks::count(&column, max_block, window),
                    "rule {rule}, blocks of at most {max_block}"
                );
            }
        }
    }

    #[test]
    fn u_within_without_the_names_is_the_same_on_every_other_field() {
        let mut g = crate::synth::Generator::new(3);
        let mut recs = Vec::new();
        while recs.len() < 3000 {
            g.next_household(&mut recs);
        }
        let ds = crate::synth::dataset(&recs);
        let district = |i: u32| {
            let d = ds.recs[i as usize].district;
            (d != crate::data::NONE).then_some(d)
        };
        let full = estimate_u_within(&ds, 20_000, 1, 2, &district, true);
        let bare = estimate_u_within(&ds, 20_000, 1, 2, &district, false);
        for f in [compare::DOB, compare::SEX, compare::ADDRESS] {
            assert_eq!(full[f], bare[f], "field {f}");
        }
        // The names not compared: nothing counted, each level as likely as the next.
        for f in [GIVEN, FAMILY] {
            let even = 1.0 / LEVELS[f] as f64;
            assert!(
                bare[f][..LEVELS[f]]
                    .iter()
                    .all(|&x| (x - even).abs() < 1e-9),
                "{:?}",
                bare[f]
            );
            assert_ne!(full[f], bare[f]);
        }
    }

    #[test]
    fn pairs_in_runs_counts_every_pair_of_each_run_once_whatever_the_threads() {
        // Runs of every size from 1 to 40 under keys in order, some larger than the limit.
        let mut entries: Vec<(u32, u32)> = Vec::new();
        let mut rng = SplitMix(7);
        let mut expected = [0u64; 2];
        for key in 0..300u32 {
            let len = 1 + rng.below(40);
            for _ in 0..len {
                entries.push((key, entries.len() as u32));
            }
            if len <= 30 {
                let pairs = (len * (len - 1) / 2) as u64;
                expected[0] += pairs;
                expected[1] += pairs * u64::from(key % 2 == 0);
            }
        }
        for threads in [1, 2, 5] {
            let counts = pairs_in_runs(&entries, 30, threads, |c: &mut [u64; 2], a, b| {
                // Both records of every pair share a key: a run is never cut in two.
                let (ka, kb) = (entries[a as usize].0, entries[b as usize].0);
                assert_eq!(ka, kb);
                assert!(a < b);
                c[0] += 1;
                c[1] += u64::from(ka % 2 == 0);
            });
            assert_eq!(counts, expected, "{threads} threads");
        }
        let none = pairs_in_runs(&[] as &[(u32, u32)], 30, 2, |c: &mut u64, _, _| *c += 1);
        assert_eq!(none, 0);
    }

    #[test]
    fn patterns_round_trip() {
        for p in [0, 1, 17, PATTERNS / 2, PATTERNS - 1] {
            assert_eq!(pattern(&levels_of(p)), p);
        }
        assert_eq!(levels_of(0), [None; NF]);
    }

    #[test]
    fn weights_and_probabilities() {
        assert!((probability(0.0) - 0.5).abs() < 1e-12);
        assert!((probability(weight_of(0.95)) - 0.95).abs() < 1e-9);
        assert!(probability(20.0) > 0.999);
    }

    #[test]
    fn a_missing_field_adds_no_weight() {
        let m = initial_m();
        let mut u = [[0.0; ML]; NF];
        for f in 0..NF {
            let mut c = [1.0; ML];
            c[0] = 50.0;
            u[f] = normalise(&c, LEVELS[f], 0.0);
        }
        let model = Model::new(m, u, 0.01, Corrections::default());
        let full: Levels = [Some(4), Some(4), Some(5), Some(1), Some(3)];
        let mut without_sex = full;
        without_sex[compare::SEX] = None;
        let diff = model.table[pattern(&full)] - model.table[pattern(&without_sex)];
        assert!((f64::from(diff) - model.field_weight(compare::SEX, 1)).abs() < 1e-4);
        assert_eq!(model.table[0], 0.0);
    }

    #[test]
    fn em_recovers_m_from_a_known_mixture() {
        // Two fields with two levels each, generated from known m and u.
        let mut counts = vec![0u64; PATTERNS];
        let truth_m = 0.9;
        let truth_u = 0.05;
        let (matches, non) = (20_000.0, 80_000.0);
        for sex in 0..2u8 {
            for given in [0u8, 4] {
                let pm = |agree: bool, p: f64| if agree { p } else { 1.0 - p };
                let c = matches * pm(sex == 1, truth_m) * pm(given == 4, truth_m)
                    + non * pm(sex == 1, truth_u) * pm(given == 4, truth_u);
                let levels: Levels = [Some(given), None, None, Some(sex), None];
                counts[pattern(&levels)] = c.round() as u64;
            }
        }
        let mut u = [[0.0; ML]; NF];
        u[compare::SEX] = [1.0 - truth_u, truth_u, 0.0, 0.0, 0.0, 0.0];
        u[GIVEN] = [1.0 - truth_u, 1e-9, 1e-9, 1e-9, truth_u, 0.0];
        let (m, lambda) = em(&counts, &u, &[true; NF], 200);
        assert!((lambda - 0.2).abs() < 0.02, "lambda {lambda}");
        assert!(
            (m[compare::SEX][1] - truth_m).abs() < 0.02,
            "{:?}",
            m[compare::SEX]
        );
        assert!((m[GIVEN][4] - truth_m).abs() < 0.02, "{:?}", m[GIVEN]);
    }
}
