//! Field comparisons. Each gives a level, `0` (disagree) up to [`IDENTICAL`]`[f]` (identical),
//! or `None` when either value is missing: a missing value adds no evidence either way. The
//! family name has one more level after its identical one, [`CROSSED`]: the family name
//! written as the other record's given name (or the given name as the other's family name)
//! where the names otherwise differ. It comes last so that the levels stored before it was
//! added keep their meaning.

use crate::data::{Dataset, NONE};

/// The compared fields, in the order of a [`Levels`] vector.
pub const FIELDS: [&str; 5] = [
    "given_names",
    "family_name",
    "date_of_birth",
    "sex",
    "address",
];
pub const GIVEN: usize = 0;
pub const FAMILY: usize = 1;
pub const DOB: usize = 2;
pub const SEX: usize = 3;
pub const ADDRESS: usize = 4;
/// How many levels each field has.
pub const LEVELS: [usize; 5] = [5, 6, 6, 2, 4];
/// The level of each field where the two values are the same (the strongest agreement; for
/// every field but the family name, the last level).
pub const IDENTICAL: [u8; 5] = [4, 4, 5, 1, 3];
/// The family name's level for names written across the fields: one record's family name is
/// the other's given name (or its given name the other's family name), the same as written,
/// while the names compared straight do not agree (given and family names swapped, and one
/// of them replaced). Its own m and u are estimated like every other level's; what it is worth
/// for one name is adjusted by how common the name is in both fields
/// ([`crate::Model::tf_adjustment`]), because where given and family names come from one list
/// (Arabic and South Asian names above all) different people share a name across the fields.
pub const CROSSED: u8 = 5;
/// What each level means, for showing a decision maker why two records were matched.
pub const LEVEL_NAMES: [&[&str]; 5] = [
    &[
        "different",
        "similar spelling",
        "same name in another spelling or a short form",
        "one contains the other",
        "identical",
    ],
    &[
        "different",
        "loosely similar",
        "similar spelling",
        "same name in another spelling or a shared part",
        "identical",
        "written as the other's given name, the names otherwise different",
    ],
    &[
        "far apart",
        "within ten years",
        "within two years",
        "same year, one estimated (1 January)",
        "day and month swapped, or one digit different",
        "identical",
    ],
    &["different", "same"],
    &[
        "different",
        "same town or postcode district",
        "mostly the same, or same postcode",
        "same address",
    ],
];

/// A comparison vector: one level per field, `None` where a value is missing.
pub type Levels = [Option<u8>; 5];

/// Compares two records of one dataset (given and family names are also tried swapped, and
/// across: see [`CROSSED`]).
pub fn compare(ds: &Dataset, a: u32, b: u32) -> Levels {
    let (ga, fa, gb, fb) = (ds.given(a), ds.family(a), ds.given(b), ds.family(b));
    let mut given = both(ga, gb).then(|| given_level(ds, ga, gb));
    let mut family = both(fa, fb).then(|| family_level(ds, fa, fb));
    let straight = given.unwrap_or(0) + family.unwrap_or(0);
    if both(ga, fb) && both(fa, gb) && straight < 8 && alike(ds, ga, fb) && alike(ds, fa, gb) {
        // Given and family names written the other way round: both crossings must agree, and
        // the weaker of the two crossings is used for each, so the result stays symmetric.
        // A crossing is given up as soon as it cannot beat the straight comparison, even with
        // what is left to compare at its best (level 4). It can beat it only when each of the
        // two names crossed is like the other at some level (see [`alike`]): for most pairs
        // whose names differ, one look at one crossing instead of three levels worked out.
        let g = given_level(ds, ga, fb);
        let g = if g + 4 > straight {
            g.min(given_level(ds, fa, gb))
        } else {
            g
        };
        if g + 4 > straight {
            let f = family_level(ds, fa, gb);
            if g + f > straight {
                let f = f.min(family_level(ds, ga, fb));
                if g + f > straight {
                    given = Some(g);
                    family = Some(f);
                }
            }
        }
    }
    if family.is_some_and(|l| l <= 1)
        && given.is_none_or(|l| l <= 1)
        && crossing(ds, a, b).is_some()
    {
        family = Some(CROSSED);
    }
    [
        given,
        family,
        dob_level(ds, a, b),
        sex_level(ds, a, b),
        address_level(ds, a, b),
    ]
}

/// Which name of the two records is written across the fields, the same as written:
/// `Some(true)` when the first record's family name is the second's given name, `Some(false)`
/// when the first's given name is the second's family name, `None` when neither is. Whether
/// the names are different when compared straight is the caller's to know (see [`CROSSED`]).
pub(crate) fn crossing(ds: &Dataset, a: u32, b: u32) -> Option<bool> {
    let (ga, fa, gb, fb) = (ds.given(a), ds.family(a), ds.given(b), ds.family(b));
    if both(fa, gb) && same(fa, gb) {
        Some(true)
    } else if both(ga, fb) && same(ga, fb) {
        Some(false)
    } else {
        None
    }
}

/// Whether two names are alike at some level as given names or as family names: true
/// whenever [`given_level`] or [`family_level`] would be 1 or more (the union of what either
/// looks at, each looked at once).
fn alike(ds: &Dataset, a: &[u32], b: &[u32]) -> bool {
    a.iter().any(|t| b.contains(t))
        || joined_eq(ds, a, b)
        || related(ds, a, b)
        || best_jw(ds, a, b, 0.80) >= 0.80
        || joined_jw(ds, a, b, 0.88) >= 0.88
}

fn both(a: &[u32], b: &[u32]) -> bool {
    !a.is_empty() && !b.is_empty()
}

/// The same tokens in the same order (names have one to a few tokens: a loop, not a call to
/// `memcmp`).
fn same(a: &[u32], b: &[u32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

fn subset(a: &[u32], b: &[u32]) -> bool {
    a.iter().all(|t| b.contains(t))
}

/// The tokens written together ("mary ann" and "maryann") are equal.
fn joined_eq(ds: &Dataset, a: &[u32], b: &[u32]) -> bool {
    if let ([x], [y]) = (a, b) {
        // Tokens are interned: one text, one token.
        return x == y;
    }
    let length = |t: &[u32]| t.iter().map(|&x| ds.text_len(x)).sum::<usize>();
    if length(a) != length(b) {
        return false;
    }
    let ja = a.iter().flat_map(|&t| ds.text(t).bytes());
    let jb = b.iter().flat_map(|&t| ds.text(t).bytes());
    ja.eq(jb)
}

/// The Jaro-Winkler similarity of two tokens when it may reach `floor`; when it cannot (see
/// [`jw_bound`]), 0 without comparing them. Only ever compared with thresholds of `floor` or
/// more, so the result is the same as the similarity's.
fn jw(ds: &Dataset, a: u32, b: u32, floor: f64) -> f64 {
    if a == b {
        return 1.0;
    }
    let (x, y) = (&ds.tokens[a as usize], &ds.tokens[b as usize]);
    let jaro = jaro_bound((x.mask, x.units), (y.mask, y.units));
    // First with the longest prefix there can be, before the texts are looked at.
    if winkler_bound(jaro, 4) < floor {
        return 0.0;
    }
    let (ta, tb) = (ds.text(a), ds.text(b));
    // The common prefix in bytes is at least the common prefix in characters.
    let prefix = ta
        .bytes()
        .zip(tb.bytes())
        .take(4)
        .take_while(|(p, q)| p == q)
        .count() as u8;
    if winkler_bound(jaro, prefix) < floor {
        return 0.0;
    }
    jaro_winkler(ta, tb)
}

/// An upper bound of the Jaro-Winkler similarity of two texts from the characters each has
/// among its first 64 (a mask, [`crate::data::char_bit`]) and how many it has (at most 64):
/// a character of one whose letter the other lacks cannot match, so at most
/// `min(la - lacking_a, lb - lacking_b)` characters match; with no transpositions and a
/// common prefix of `prefix` (at most 4; 4 when unknown) that is the highest Jaro-Winkler
/// they could reach. Cheap enough to skip most comparisons of unrelated names, which would
/// fall below every threshold anyway.
fn jw_bound(a: (u64, u8), b: (u64, u8), prefix: u8) -> f64 {
    winkler_bound(jaro_bound(a, b), prefix)
}

/// The Jaro part of [`jw_bound`]: the highest Jaro similarity the two texts could have.
fn jaro_bound((ma, la): (u64, u8), (mb, lb): (u64, u8)) -> f64 {
    if la == 0 || lb == 0 {
        return 1.0;
    }
    // Each bit set in a mask stands for at least one character counted in its length.
    let only_a = (ma & !mb).count_ones() as u8;
    let only_b = (mb & !ma).count_ones() as u8;
    let m = la.saturating_sub(only_a).min(lb.saturating_sub(only_b));
    if m == 0 {
        return 0.0;
    }
    let m = f64::from(m);
    (m / f64::from(la) + m / f64::from(lb) + 1.0) / 3.0
}

/// The highest Jaro-Winkler similarity of texts whose Jaro similarity is at most `jaro` and
/// whose common prefix is at most `prefix` long. The margins cover the rounding of the
/// similarity's own arithmetic (a Jaro similarity of 0.7 or less gets no prefix bonus).
fn winkler_bound(jaro: f64, prefix: u8) -> f64 {
    if jaro < 0.7 - 1e-6 {
        jaro + 1e-9
    } else {
        jaro + 0.1 * f64::from(prefix.min(4)) * (1.0 - jaro) + 1e-9
    }
}

/// Jaro-Winkler similarity (prefix scale 0.1 over at most four characters, applied above a
/// Jaro similarity of 0.7), on bytes for ASCII and on characters otherwise; at most the first
/// 64 of either are compared. Written here to compare without allocating.
pub fn jaro_winkler(a: &str, b: &str) -> f64 {
    if a.is_ascii() && b.is_ascii() {
        jw_units(a.as_bytes(), b.as_bytes())
    } else {
        let a: Vec<char> = a.chars().collect();
        let b: Vec<char> = b.chars().collect();
        jw_units(&a, &b)
    }
}

fn jw_units<T: PartialEq + Copy>(a: &[T], b: &[T]) -> f64 {
    let (a, b) = (&a[..a.len().min(64)], &b[..b.len().min(64)]);
    let (la, lb) = (a.len(), b.len());
    if la == 0 || lb == 0 {
        return if la == lb { 1.0 } else { 0.0 };
    }
    let window = (la.max(lb) / 2).saturating_sub(1);
    let mut a_matched = [false; 64];
    let mut b_matched = [false; 64];
    let mut matches = 0usize;
    for i in 0..la {
        let lo = i.saturating_sub(window);
        let hi = (i + window + 1).min(lb);
        for j in lo..hi {
            if !b_matched[j] && a[i] == b[j] {
                a_matched[i] = true;
                b_matched[j] = true;
                matches += 1;
                break;
            }
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let (mut k, mut half_transpositions) = (0usize, 0usize);
    for i in 0..la {
        if a_matched[i] {
            while !b_matched[k] {
                k += 1;
            }
            if a[i] != b[k] {
                half_transpositions += 1;
            }
            k += 1;
        }
    }
    let m = matches as f64;
    let t = (half_transpositions / 2) as f64;
    let jaro = (m / la as f64 + m / lb as f64 + (m - t) / m) / 3.0;
    if jaro <= 0.7 {
        return jaro;
    }
    let prefix = a.iter().zip(b).take(4).take_while(|(x, y)| x == y).count();
    jaro + 0.1 * prefix as f64 * (1.0 - jaro)
}

/// Best Jaro-Winkler similarity between two different tokens of the two names, when it is
/// `floor` or more (else some value below `floor`).
fn best_jw(ds: &Dataset, a: &[u32], b: &[u32], floor: f64) -> f64 {
    let mut best = 0.0f64;
    for &x in a.iter().take(3) {
        for &y in b.iter().take(3) {
            if x != y {
                best = best.max(jw(ds, x, y, floor.max(best)));
            }
        }
    }
    best
}

/// Two different tokens of the names share a name group, or a phonetic code (of three
/// letters or more, or else with similar spellings: Amy and Emma share the code `am`).
fn related(ds: &Dataset, a: &[u32], b: &[u32]) -> bool {
    let pair = |x: u32, y: u32| {
        ds.same_group(x, y)
            || ds.same_code(x, y) && (ds.phonetic(x).len() >= 3 || jw(ds, x, y, 0.8) >= 0.8)
    };
    if let ([x], [y]) = (a, b) {
        // One token each, the commonest case: the checks of one name against the other's
        // tokens reduce to the two being different.
        return x != y && pair(*x, *y);
    }
    a.iter().take(3).any(|&x| {
        b.iter()
            .take(3)
            .any(|&y| x != y && !a.contains(&y) && !b.contains(&x) && pair(x, y))
    })
}

pub(crate) fn given_level(ds: &Dataset, a: &[u32], b: &[u32]) -> u8 {
    if same(a, b) || joined_eq(ds, a, b) {
        4
    } else if subset(a, b) || subset(b, a) {
        3
    } else if related(ds, a, b) {
        2
    } else if best_jw(ds, a, b, 0.88) >= 0.88 || joined_jw(ds, a, b, 0.88) >= 0.88 {
        1
    } else {
        0
    }
}

/// Jaro-Winkler of the whole names written out, tokens joined by a space (for names of
/// several parts), when it is `floor` or more (else some value below `floor`). Compares the
/// first 64 characters in place, as [`jaro_winkler`] would of the joined texts.
fn joined_jw(ds: &Dataset, a: &[u32], b: &[u32], floor: f64) -> f64 {
    if a.len() < 2 && b.len() < 2 {
        return 0.0;
    }
    // The joined text's mask and length, when every character of it is within the 64.
    let joined = |t: &[u32]| {
        let mut mask = crate::data::char_bit(' ');
        let mut units = t.len() - 1;
        for &x in t {
            let info = &ds.tokens[x as usize];
            if info.units >= 64 {
                return None;
            }
            mask |= info.mask;
            units += usize::from(info.units);
        }
        (units <= 64).then_some((mask, units as u8))
    };
    if let (Some(x), Some(y)) = (joined(a), joined(b))
        && jw_bound(x, y, 4) < floor
    {
        return 0.0;
    }
    if a.iter().chain(b).all(|&t| ds.text(t).is_ascii()) {
        let (x, nx) = first_units(ds, a, |s| s.bytes(), b' ');
        let (y, ny) = first_units(ds, b, |s| s.bytes(), b' ');
        jw_units(&x[..nx], &y[..ny])
    } else {
        let (x, nx) = first_units(ds, a, |s| s.chars(), ' ');
        let (y, ny) = first_units(ds, b, |s| s.chars(), ' ');
        jw_units(&x[..nx], &y[..ny])
    }
}

/// The first 64 units (bytes or characters) of the tokens joined by `space`, and how many.
fn first_units<'a, T: Copy + Default, I: Iterator<Item = T>>(
    ds: &'a Dataset,
    tokens: &[u32],
    units: impl Fn(&'a str) -> I,
    space: T,
) -> ([T; 64], usize) {
    let mut out = [T::default(); 64];
    let mut n = 0;
    for (k, &t) in tokens.iter().enumerate() {
        let sep = (k > 0).then_some(space);
        for u in sep.into_iter().chain(units(ds.text(t))) {
            if n == 64 {
                return (out, n);
            }
            out[n] = u;
            n += 1;
        }
    }
    (out, n)
}

pub(crate) fn family_level(ds: &Dataset, a: &[u32], b: &[u32]) -> u8 {
    if same(a, b) || joined_eq(ds, a, b) {
        4
    } else if a.iter().any(|t| b.contains(t)) || related(ds, a, b) {
        3
    } else {
        let s = best_jw(ds, a, b, 0.80);
        if s >= 0.92 {
            2
        } else if s >= 0.80 {
            1
        } else {
            0
        }
    }
}

/// Dates of birth: exact; day and month swapped, or one digit of the date different (or the
/// year by one); the same year where either is the 1 January estimate; within two years; within
/// ten; further apart.
pub(crate) fn dob_level(ds: &Dataset, a: u32, b: u32) -> Option<u8> {
    let (x, y) = (ds.dob(a)?, ds.dob(b)?);
    let dy = x.year.abs_diff(y.year);
    let one_digit = |p: u16, q: u16| {
        (0..4)
            .filter(|k| (p / 10u16.pow(*k)) % 10 != (q / 10u16.pow(*k)) % 10)
            .count()
            == 1
    };
    Some(if x == y && !x.is_estimate() {
        5
    } else if x.is_estimate() || y.is_estimate() {
        if dy == 0 {
            3
        } else if dy <= 2 {
            2
        } else if dy <= 10 {
            1
        } else {
            0
        }
    } else if (x.year == y.year && x.day == y.month && x.month == y.day)
        || (x.year == y.year && x.month == y.month && one_digit(x.day.into(), y.day.into()))
        || (x.year == y.year && x.day == y.day && one_digit(x.month.into(), y.month.into()))
        || (x.month == y.month && x.day == y.day && (dy == 1 || one_digit(x.year, y.year)))
    {
        4
    } else if dy <= 2 {
        2
    } else if dy <= 10 {
        1
    } else {
        0
    })
}

pub(crate) fn sex_level(ds: &Dataset, a: u32, b: u32) -> Option<u8> {
    let (x, y) = (ds.recs[a as usize].sex, ds.recs[b as usize].sex);
    (x != 0 && y != 0).then_some(u8::from(x == y))
}

/// The address as one comparison: the token sets of street address and town (Dice
/// similarity, tokens of four or more letters matching at Jaro-Winkler 0.9), the postcode and
/// its district, because they change together when someone moves. Without a street address
/// on both sides, the same postcode is level 2 at most and the same town level 1.
pub(crate) fn address_level(ds: &Dataset, a: u32, b: u32) -> Option<u8> {
    let (ra, rb) = (&ds.recs[a as usize], &ds.recs[b as usize]);
    let (ta, tb) = (ds.address(a), ds.address(b));
    let has =
        |t: &[u32], r: &crate::data::Rec| !t.is_empty() || r.postcode != NONE || r.town != NONE;
    if !has(ta, ra) || !has(tb, rb) {
        return None;
    }
    let pc_eq = ra.postcode != NONE && ra.postcode == rb.postcode;
    let pc_known = ra.postcode != NONE && rb.postcode != NONE;
    let district_eq = ra.district != NONE && ra.district == rb.district;
    let town_eq = ra.town != NONE && ra.town == rb.town;
    if ta.is_empty() || tb.is_empty() {
        // A street address on one side at most: the postcode and town say less.
        return Some(if pc_eq {
            2
        } else if district_eq || town_eq {
            1
        } else {
            0
        });
    }
    // The level never falls as the similarity rises (the postcode, district and town given).
    let level = |sim: f64| {
        if (pc_eq || !pc_known) && sim >= 0.8 || pc_eq && sim >= 0.5 {
            3
        } else if sim >= 0.6 || pc_eq {
            2
        } else if sim >= 0.3 || district_eq || town_eq {
            1
        } else {
            0
        }
    };
    Some(dice_level(ds, (ta, ra.near), (tb, rb.near), level))
}

/// `level` of the Dice similarity of two sorted, non-empty token sets, near spellings of
/// longer tokens counting, each set given with its [`Rec::near`] initials; `level` must never
/// fall as the similarity rises. The exact matches are counted first; near spellings are
/// looked for only while what they could add might change the level.
///
/// [`Rec::near`]: crate::data::Rec::near
fn dice_level(
    ds: &Dataset,
    (a, near_a): (&[u32], u32),
    (b, near_b): (&[u32], u32),
    level: impl Fn(f64) -> u8,
) -> u8 {
    let (small, large, near_large) = if a.len() <= b.len() {
        (a, b, near_b)
    } else {
        (b, a, near_a)
    };
    let sim = |matched: usize| 2.0 * matched as f64 / (a.len() + b.len()) as f64;
    // The tokens of `small` not in `large` (both are sorted: one walk along both) that could
    // be a near spelling of one there: 4 bytes or more, an initial that some token there of
    // 4 bytes or more has.
    let mut exact = 0usize;
    let mut open = 0usize;
    let mut k = 0;
    let walk = |t: u32, k: &mut usize| {
        while *k < large.len() && large[*k] < t {
            *k += 1;
        }
        *k < large.len() && large[*k] == t
    };
    let could_be_near = |t: u32| {
        let x = &ds.tokens[t as usize];
        x.text_len >= 4 && near_large & crate::data::initial_bit(x.first) != 0
    };
    for &t in small {
        if walk(t, &mut k) {
            exact += 1;
        } else if could_be_near(t) {
            open += 1;
        }
    }
    let (mut low, mut high) = (exact, exact + open);
    if level(sim(low)) == level(sim(high)) {
        return level(sim(low));
    }
    // A near spelling: same first letter, similar length, Jaro-Winkler 0.9 or more (the
    // lengths and first letters are kept with the tokens, the texts further away).
    let mut k = 0;
    for &t in small {
        if walk(t, &mut k) || !could_be_near(t) {
            continue;
        }
        let x = &ds.tokens[t as usize];
        let lx = x.text_len;
        if large.iter().any(|&u| {
            let y = &ds.tokens[u as usize];
            y.text_len >= 4
                && y.text_len.abs_diff(lx) <= 2
                && y.first == x.first
                && jw(ds, t, u, 0.9) >= 0.9
        }) {
            low += 1;
        } else {
            high -= 1;
        }
        if level(sim(low)) == level(sim(high)) {
            break;
        }
    }
    level(sim(low))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Record;
    use crate::data::fixtures::{person, view};
    use proptest::prelude::*;

    fn pair(a: Record, b: Record) -> Levels {
        let mut ds = Dataset::new();
        let (x, y) = (ds.push(&a), ds.push(&b));
        compare(&ds, x, y)
    }

    #[test]
    fn jaro_winkler_known_values() {
        let close = |a: &str, b: &str, v: f64| {
            let s = jaro_winkler(a, b);
            assert!((s - v).abs() < 1e-3, "{a} {b}: {s}");
            assert!((jaro_winkler(b, a) - v).abs() < 1e-3);
        };
        close("martha", "marhta", 0.9611);
        close("dwayne", "duane", 0.84);
        close("dixon", "dicksonx", 0.8133);
        // Characters, not bytes, outside ASCII.
        let celik = jaro_winkler("\u{e7}elik", "\u{e7}el\u{131}k");
        assert!((celik - jaro_winkler("celik", "celxk")).abs() < 1e-12);
        close("abc", "abc", 1.0);
        close("abc", "xyz", 0.0);
        close("", "", 1.0);
    }

    #[test]
    fn names_levels() {
        let base = person("Fatima", "Mohammed", "1990-03-25");
        let lv = |g, f| pair(base, person(g, f, "1990-03-25"));
        assert_eq!(lv("Fatima", "Mohammed")[GIVEN], Some(4));
        assert_eq!(lv("FATIMA", "Muhammad")[FAMILY], Some(3));
        assert_eq!(lv("Fatina", "Mohammed")[GIVEN], Some(1));
        assert_eq!(lv("Fatmia", "Mohammed")[GIVEN], Some(2));
        assert_eq!(lv("Fatuma", "Mohammed")[GIVEN], Some(2));
        assert_eq!(lv("Fatima Amina", "Mohammed")[GIVEN], Some(3));
        assert_eq!(lv("Grace", "Okafor")[GIVEN], Some(0));
        assert_eq!(lv("Grace", "Okafor")[FAMILY], Some(0));
        // Swapped given and family names.
        let swapped = lv("Mohammed", "Fatima");
        assert_eq!((swapped[GIVEN], swapped[FAMILY]), (Some(4), Some(4)));
        // Nicknames.
        let a = person("William", "Jones", "");
        let b = person("Bill", "Jones", "");
        assert_eq!(pair(a, b)[GIVEN], Some(2));
    }

    #[test]
    fn names_written_across_the_fields() {
        let lv = |a: (&str, &str), b: (&str, &str)| {
            let levels = pair(person(a.0, a.1, ""), person(b.0, b.1, ""));
            (levels[GIVEN], levels[FAMILY])
        };
        // Swapped, and one of the two replaced: the given name is the other's family name...
        assert_eq!(
            lv(("Bullock", "Holly"), ("Adele", "Bullock")),
            (Some(0), Some(CROSSED))
        );
        // ... or the family name the other's given name, either way round.
        assert_eq!(
            lv(("Holly", "Bullock"), ("Bullock", "Adele")),
            (Some(0), Some(CROSSED))
        );
        assert_eq!(
            lv(("Bullock", "Adele"), ("Holly", "Bullock")),
            (Some(0), Some(CROSSED))
        );
        // With the given name missing on one side the family name is still compared.
        assert_eq!(
            lv(("", "Bullock"), ("Bullock", "Holly")),
            (None, Some(CROSSED))
        );
        // Both swapped: the full swap, as before.
        assert_eq!(
            lv(("Holly", "Bullock"), ("Bullock", "Holly")),
            (Some(4), Some(4))
        );
        // Names that agree straight are not written across.
        assert_eq!(lv(("Ahmed", "Ali"), ("Ahmed", "Ahmed")).0, Some(4));
        assert_ne!(lv(("Ahmed", "Ali"), ("Ahmed", "Ahmed")).1, Some(CROSSED));
        assert_eq!(lv(("Ali", "Ahmed"), ("Ahmed", "Ahmed")).1, Some(4));
        // Only the same name as written (a near spelling across is not taken for one).
        assert_eq!(
            lv(("Bullock", "Holly"), ("Adele", "Bulock")),
            (Some(0), Some(0))
        );
        // Nothing in common: different.
        assert_eq!(
            lv(("Grace", "Okafor"), ("Adele", "Bullock")),
            (Some(0), Some(0))
        );
    }

    #[test]
    fn dates_levels() {
        let lv = |a, b| pair(person("A", "B", a), person("A", "B", b))[DOB];
        assert_eq!(lv("1990-03-25", "1990-03-25"), Some(5));
        assert_eq!(lv("1990-03-05", "1990-05-03"), Some(4));
        assert_eq!(lv("1990-03-25", "1990-03-26"), Some(4));
        assert_eq!(lv("1990-03-25", "1990-03-05"), Some(4));
        assert_eq!(lv("1990-03-24", "1990-03-06"), Some(2));
        assert_eq!(lv("1990-03-25", "1980-03-25"), Some(4));
        assert_eq!(lv("1990-03-25", "1990-01-01"), Some(3));
        assert_eq!(lv("1990-01-01", "1990-01-01"), Some(3));
        assert_eq!(lv("1990-03-25", "1991-07-11"), Some(2));
        assert_eq!(lv("1990-03-25", "1985-07-11"), Some(1));
        assert_eq!(lv("1990-03-25", "1960-07-11"), Some(0));
        assert_eq!(lv("1990-03-25", ""), None);
    }

    #[test]
    fn address_levels() {
        let at = |address, town, postcode| Record {
            given_names: "A",
            address,
            town,
            postcode,
            ..Record::default()
        };
        let home = at("12 Station Road", "Leeds", "LS1 4AB");
        let lv = |other| pair(home, other)[ADDRESS];
        assert_eq!(lv(at("12 Station Rd", "Leeds", "LS1 4AB")), Some(3));
        assert_eq!(lv(at("12 Statoin Road", "Leeds", "")), Some(3));
        assert_eq!(lv(at("Flat 3, 40 Park Lane", "Leeds", "LS1 4AB")), Some(2));
        assert_eq!(lv(at("40 Park Lane", "Leeds", "LS6 2QT")), Some(1));
        assert_eq!(lv(at("7 High Street", "Bristol", "BS1 5TR")), Some(0));
        assert_eq!(lv(at("", "", "")), None);
        assert_eq!(lv(at("", "Leeds", "LS1 4AB")), Some(2));
        assert_eq!(lv(at("", "Leeds", "")), Some(1));
    }

    #[test]
    fn sex_levels() {
        let s = |x, y| {
            let r = |sex| Record {
                given_names: "A",
                sex,
                ..Record::default()
            };
            pair(r(x), r(y))[SEX]
        };
        assert_eq!(s("F", "female"), Some(1));
        assert_eq!(s("F", "M"), Some(0));
        assert_eq!(s("F", ""), None);
    }

    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            "[A-Za-zÀ-ÿ' -]{1,16}",
            prop::sample::select(vec![
                "Mohammed",
                "Muhammad",
                "Nguyễn Thị",
                "Hoa",
                "Bill",
                "William",
                "Smith",
            ])
            .prop_map(str::to_owned),
        ]
    }

    fn date() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            (1930u16..2020, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| format!("{y}-{m:02}-{d:02}")),
            (1930u16..2020).prop_map(|y| format!("{y}0101")),
        ]
    }

    fn record() -> impl Strategy<Value = [String; 7]> {
        (
            value(),
            value(),
            date(),
            prop::sample::select(vec!["", "M", "F"]).prop_map(str::to_owned),
            value(),
            value(),
            prop::sample::select(vec!["", "LS1 4AB", "LS1 5XY", "B1 1AA"]).prop_map(str::to_owned),
        )
            .prop_map(|(g, f, d, s, a, t, p)| [g, f, d, s, a, t, p])
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z]{0,12}",
            "[a-zçıđễ' ]{1,20}",
            "[a-z]{60,70}",
            prop::sample::select(vec!["mohammed", "muhammad", "nguyễn", "bill", "william"])
                .prop_map(str::to_owned),
        ]
    }

    /// One token of a name: spellings of a few names (some in one name group, some a letter
    /// apart), or any letters.
    fn name_token() -> impl Strategy<Value = String> {
        prop_oneof![
            prop::sample::select(vec![
                "mohammed", "muhammad", "mohamed", "ali", "aly", "hassan", "hasan", "nguyen",
                "nguyễn", "thi", "bill", "william", "smith", "smyth", "ahmed", "ahmad", "amy",
                "emma", "jon", "john",
            ])
            .prop_map(str::to_owned),
            "[a-z]{1,9}",
        ]
    }

    /// Records whose given and family names come from one small list, so that names written
    /// across the fields are common.
    fn crossing_record() -> impl Strategy<Value = [String; 7]> {
        let name = || {
            prop::sample::select(vec![
                "", "Ahmed", "Ali", "Hassan", "Bullock", "Holly", "ali",
            ])
            .prop_map(str::to_owned)
        };
        (name(), name(), record()).prop_map(|(g, f, mut r)| {
            r[0] = g;
            r[1] = f;
            r
        })
    }

    /// Street addresses, towns and postcodes from a few words with near spellings, non-ASCII
    /// initials and short tokens among them.
    fn address() -> impl Strategy<Value = [String; 7]> {
        let words = prop::sample::select(vec![
            "12", "3", "flat", "station", "statoin", "staton", "road", "rd", "park", "lane",
            "high", "street", "streets", "strete", "östra", "östre", "ōsaka", "leeds", "leds",
        ]);
        (
            prop::collection::vec(words, 0..7),
            prop::sample::select(vec!["", "Leeds", "Leds", "York"]),
            prop::sample::select(vec!["", "LS1 4AB", "LS1 5XY", "YO1 7HH"]),
        )
            .prop_map(|(street, town, postcode)| {
                let mut r: [String; 7] = Default::default();
                r[0] = "A".to_owned();
                r[4] = street.join(" ");
                r[5] = town.to_owned();
                r[6] = postcode.to_owned();
                r
            })
    }

    /// [`address_level`] as it was first written: the whole Dice similarity (every near
    /// spelling looked for), then the level.
    fn address_level_in_full(ds: &Dataset, a: u32, b: u32) -> Option<u8> {
        let (ra, rb) = (&ds.recs[a as usize], &ds.recs[b as usize]);
        let (ta, tb) = (ds.address(a), ds.address(b));
        if ta.is_empty() || tb.is_empty() {
            return address_level(ds, a, b);
        }
        let (small, large) = if ta.len() <= tb.len() {
            (ta, tb)
        } else {
            (tb, ta)
        };
        let near = |t: u32, u: u32| {
            let (x, y) = (ds.text(t), ds.text(u));
            x.len() >= 4
                && y.len() >= 4
                && x.len().abs_diff(y.len()) <= 2
                && x.as_bytes()[0] == y.as_bytes()[0]
                && jaro_winkler(x, y) >= 0.9
        };
        let matched = small
            .iter()
            .filter(|&&t| large.contains(&t) || large.iter().any(|&u| near(t, u)))
            .count();
        let sim = 2.0 * matched as f64 / (ta.len() + tb.len()) as f64;
        let pc_eq = ra.postcode != NONE && ra.postcode == rb.postcode;
        let pc_known = ra.postcode != NONE && rb.postcode != NONE;
        let district_eq = ra.district != NONE && ra.district == rb.district;
        let town_eq = ra.town != NONE && ra.town == rb.town;
        Some(
            if (pc_eq || !pc_known) && sim >= 0.8 || pc_eq && sim >= 0.5 {
                3
            } else if sim >= 0.6 || pc_eq {
                2
            } else if sim >= 0.3 || district_eq || town_eq {
                1
            } else {
                0
            },
        )
    }

    proptest! {
        #[test]
        fn names_across_the_fields_are_symmetric_identical_at_the_top_and_missing_neutral(
            a in crossing_record(),
            b in crossing_record(),
            field in 0usize..2,
        ) {
            let (ab, ba) = (pair(view(&a), view(&b)), pair(view(&b), view(&a)));
            prop_assert_eq!(ab, ba);
            // Written across only where a name is, and the names compared straight differ.
            if ab[FAMILY] == Some(CROSSED) {
                let fold = |s: &str| crate::normalise::fold(s);
                let (ga, fa, gb, fb) = (fold(&a[0]), fold(&a[1]), fold(&b[0]), fold(&b[1]));
                prop_assert!(
                    (!fa.is_empty() && fa == gb) || (!ga.is_empty() && ga == fb),
                    "{ab:?}"
                );
                prop_assert!(fa != fb && ga != gb);
            }
            let same = pair(view(&a), view(&a));
            for f in [GIVEN, FAMILY] {
                if let Some(level) = same[f] {
                    prop_assert_eq!(level, IDENTICAL[f]);
                }
            }
            let mut cleared = b.clone();
            cleared[field].clear();
            prop_assert_eq!(pair(view(&a), view(&cleared))[field], None);
            prop_assert_eq!(pair(view(&cleared), view(&a))[field], None);
        }

        #[test]
        fn the_bound_is_never_below_the_similarity(a in text(), b in text()) {
            let (ma, la) = crate::data::char_mask(&a);
            let (mb, lb) = crate::data::char_mask(&b);
            let s = jaro_winkler(&a, &b);
            let prefix = a.bytes().zip(b.bytes()).take(4).take_while(|(p, q)| p == q).count();
            prop_assert!(jw_bound((ma, la), (mb, lb), prefix as u8) >= s, "{a:?} {b:?} {s}");
            prop_assert!(jw_bound((ma, la), (mb, lb), 4) >= s, "{a:?} {b:?} {s}");
        }

        #[test]
        fn names_joined_in_place_compare_as_the_joined_texts(
            a in prop::collection::vec(text(), 1..4),
            b in prop::collection::vec(text(), 1..4),
        ) {
            let mut ds = Dataset::new();
            let ids = |ds: &mut Dataset, t: &[String]| {
                let mut out = Vec::new();
                for w in t.iter().filter(|w| !w.is_empty() && !w.contains(' ')) {
                    out.push(ds.intern_for_test(w));
                }
                out
            };
            let (x, y) = (ids(&mut ds, &a), ids(&mut ds, &b));
            prop_assume!(!x.is_empty() && !y.is_empty() && (x.len() > 1 || y.len() > 1));
            let join = |t: &[u32]| t.iter().map(|&i| ds.text(i)).collect::<Vec<_>>().join(" ");
            let whole = jaro_winkler(&join(&x), &join(&y));
            let floor = 0.0;
            prop_assert_eq!(joined_jw(&ds, &x, &y, floor), whole);
            // Above a floor the similarity is the same, or below the floor when it was.
            for floor in [0.8, 0.88, 0.95] {
                let s = joined_jw(&ds, &x, &y, floor);
                prop_assert!(s == whole || (s < floor && whole < floor), "{s} {whole}");
            }
        }

        #[test]
        fn the_address_level_is_the_level_of_the_whole_similarity(
            a in address(),
            b in address(),
        ) {
            let mut ds = Dataset::new();
            let (x, y) = (ds.push(&view(&a)), ds.push(&view(&b)));
            prop_assert_eq!(address_level(&ds, x, y), address_level_in_full(&ds, x, y));
            prop_assert_eq!(address_level(&ds, y, x), address_level_in_full(&ds, y, x));
        }

        #[test]
        fn names_are_alike_exactly_when_alike_at_some_level_as_given_or_family_names(
            a in prop::collection::vec(name_token(), 1..4),
            b in prop::collection::vec(name_token(), 1..4),
        ) {
            let mut ds = Dataset::new();
            let x: Vec<u32> = a.iter().map(|w| ds.intern_for_test(w)).collect();
            let y: Vec<u32> = b.iter().map(|w| ds.intern_for_test(w)).collect();
            let some_level = given_level(&ds, &x, &y) > 0 || family_level(&ds, &x, &y) > 0;
            prop_assert_eq!(alike(&ds, &x, &y), some_level, "{:?} {:?}", a, b);
        }

        #[test]
        fn a_folded_record_whose_room_is_reused_is_prepared_as_a_fresh_one(
            recs in prop::collection::vec(record(), 1..6)
        ) {
            let (mut reused, mut fresh) = (Dataset::new(), Dataset::new());
            let mut room = crate::data::Folded::default();
            for r in &recs {
                room.fold(&view(r));
                reused.push_folded(&room);
                let mut new = crate::data::Folded::default();
                new.fold(&view(r));
                fresh.push_folded(&new);
            }
            prop_assert_eq!(&reused.arena, &fresh.arena);
            prop_assert_eq!(format!("{:?}", reused.recs), format!("{:?}", fresh.recs));
            for a in 0..recs.len() as u32 {
                for b in 0..recs.len() as u32 {
                    prop_assert_eq!(compare(&reused, a, b), compare(&fresh, a, b));
                }
            }
        }

        #[test]
        fn every_comparison_is_symmetric(a in record(), b in record()) {
            prop_assert_eq!(pair(view(&a), view(&b)), pair(view(&b), view(&a)));
        }

        #[test]
        fn identical_values_score_the_top_level(a in record()) {
            let levels = pair(view(&a), view(&a));
            for (f, level) in levels.iter().enumerate() {
                if let Some(level) = level {
                    let top = IDENTICAL[f];
                    // An estimated date (1 January) is never "identical" evidence.
                    let estimated = f == DOB
                        && crate::normalise::Dob::parse(&a[2]).is_some_and(|d| d.is_estimate());
                    let street = !crate::normalise::fold(&a[4]).is_empty();
                    let postcode = !crate::normalise::postcode(&a[6]).is_empty();
                    let expected = if estimated {
                        3
                    } else if f == ADDRESS && !street {
                        if postcode { 2 } else { 1 }
                    } else {
                        top
                    };
                    prop_assert_eq!(*level, expected, "field {}", FIELDS[f]);
                }
            }
        }

        #[test]
        fn a_missing_value_is_neutral(a in record(), b in record(), field in 0usize..5) {
            let mut b = b;
            if field == ADDRESS {
                // The address is one comparison: it is missing when all its parts are.
                b[4].clear();
                b[5].clear();
                b[6].clear();
            } else {
                b[field].clear();
            }
            prop_assert_eq!(pair(view(&a), view(&b))[field], None);
            prop_assert_eq!(pair(view(&b), view(&a))[field], None);
        }

        #[test]
        fn levels_stay_in_range(a in record(), b in record()) {
            for (f, level) in pair(view(&a), view(&b)).iter().enumerate() {
                if let Some(level) = level {
                    prop_assert!((*level as usize) < LEVELS[f]);
                }
            }
        }
    }
}
