//! Blocking: the candidate pairs are the records sharing a key under at least one rule, so
//! the work grows with the block sizes, not with n².
//!
//! A key is built from normalised values (phonetic codes, date parts, postcode, initials) and
//! reduced to a 64-bit token, either with a fast unkeyed hash (bulk work on a file) or with
//! HMAC-SHA-256 under a secret key ([`Blocker::keyed`]), so a system can store the tokens of
//! its records instead of the plain values and still find the candidates of a new record.

use hmac::{Hmac, Mac};
use rustc_hash::FxHasher;
use sha2::Sha256;
use std::hash::Hasher;

use crate::compare::{ADDRESS, DOB, FAMILY, GIVEN, SEX};
use crate::data::{Dataset, NONE};

/// The blocking rules, in order. Each record's pair with another of the same person should
/// share at least one key whatever single part of it went wrong: the date of birth with the
/// postcode district finds the pairs whose names all differ (both replaced, or swapped with
/// one misspelled, so no name key agrees), and the names as written the pairs with no date
/// of birth on one side whose address changed or is missing (a move, within the town or to
/// another, or a digit of the postcode mistyped). The names there are as written, not their
/// codes, and only pairs with a date missing are its candidates ([`pair_allowed`]): the names
/// alone put many namesakes together (phonetic codes twice as many), and the pairs with both
/// dates are found by the rules on the date. The last two find the pairs whose postcode
/// changed (digits mistyped or transposed, or a move) while another part of them went wrong:
/// the first given name (its code) with the house numbers and the town for a date of birth
/// mistyped or missing, and the date of birth with the house numbers for names that changed.
/// Not the family name with the house numbers: that pairs every household, whose members
/// differ only in their given names and dates of birth, for no more matches. Then the
/// date of birth with the first given name's code, finds the pairs whose family name is
/// missing, replaced or badly misspelt (so the family initial differs) after a move. After a
/// move as well, the date of birth with both names' initials in either order finds names
/// written swapped with one of them mistyped (no name code agrees either way, and each
/// record's family initial is the other's given one). The last, the family name's code with
/// the house numbers and the town, pairs only records of which one at least has no given
/// name ([`pair_allowed`]): a given name missing with the date of birth mistyped or missing
/// and the postcode changed or missing (with a given name on both sides it would pair every
/// household). Tried and not kept: the first given name's code with the family initial and
/// the day and month (a family name mistyped past its code with the year mistyped), the
/// family name's code with the given initial and the day and month (the same for the given
/// name), each about as much recall as the two kept but 1.4 MB more at 200,000 people for its
/// keys; both names' initials with the day and month in place of all three (the same recall,
/// 45 % more time); the first given name's code with the family initial and the year of
/// birth (its new pairs were mostly different people with the same given name, a family name
/// spelt alike and a birthday estimated as 1 January of the same year).
pub const RULES: [&str; 12] = [
    "family name code + year of birth + given name initial",
    "given and family name codes (either order) + day and month of birth (either way)",
    "date of birth (day and month either way) + family name initial",
    "postcode + given name initial",
    "given and family name codes (either order) + postcode district",
    "date of birth (day and month either way) + postcode district",
    "first given and first family name as written (either order), where one date of birth at least is missing",
    "first given name code + house numbers + town",
    "date of birth (day and month either way) + house numbers",
    "date of birth (day and month either way) + first given name code",
    "date of birth (day and month either way) + given and family name initials (either order)",
    "family name code + house numbers + town, where one given name at least is missing",
];
pub const R: usize = RULES.len();
/// The fields each rule forces to agree: left out of that rule's estimation step.
/// (Agreeing initials constrain the names too little to leave them out; a shared postcode
/// district leaves the address free enough to tell one household from another.)
pub(crate) const RULE_FIELDS: [&[usize]; R] = [
    &[FAMILY, DOB],
    &[GIVEN, FAMILY, SEX, DOB],
    &[DOB],
    &[ADDRESS],
    &[GIVEN, FAMILY, SEX],
    &[DOB],
    &[GIVEN, FAMILY, SEX],
    &[GIVEN, ADDRESS],
    &[DOB],
    &[DOB],
    &[DOB],
    &[FAMILY, ADDRESS],
];
/// The fields each rule constrains at all, initials and districts included: a rule's
/// estimation step may use them (not the ones of [`RULE_FIELDS`]) to tell matches from the
/// rest, but m of such a field is never taken from that rule, whose pairs agree on it more
/// than the records of one person do. With only one field left to estimate, the estimation
/// has nothing to tell matches by and returns whatever it started from: the date of birth on
/// the names and postcode district, estimated alone, came out with a date one digit off as
/// evidence against a match.
pub(crate) const RULE_TOUCHES: [&[usize]; R] = [
    &[FAMILY, DOB],
    &[GIVEN, FAMILY, SEX, DOB],
    &[DOB],
    &[ADDRESS],
    &[GIVEN, FAMILY, SEX, ADDRESS],
    &[GIVEN, DOB, ADDRESS],
    &[GIVEN, FAMILY, SEX],
    &[GIVEN, ADDRESS],
    &[DOB, ADDRESS],
    &[GIVEN, DOB],
    &[GIVEN, FAMILY, DOB],
    &[GIVEN, FAMILY, ADDRESS],
];

/// Blocking tokens of one record, one per rule; `0` where the rule's values are missing.
pub type Tokens = [u64; R];

/// The rules whose block keys [`BlockKeys`] keeps for every record through a dedupe: a pair
/// met under a later rule asks whether it shares one of them, and for these that is no plain
/// comparison of the two records' values (the names' codes and texts, the house numbers).
/// Rule 11 is visited last, so no pair asks about it.
const KEPT: [usize; 5] = [1, 4, 6, 7, 8];

/// The rules whose key texts are made of values a record holds as they are (a date, a
/// postcode or district, a phonetic code, initials): whether two records share a key is
/// whether those values are the same ([`key_parts`]), asked without keeping the keys.
const COMPARED: [usize; 6] = [0, 2, 3, 5, 9, 10];

/// Where [`BlockKeys`] keeps `rule`'s keys, if it does.
fn kept_slot(rule: usize) -> Option<usize> {
    KEPT.iter().position(|&r| r == rule)
}

/// The rules whose key texts hold the house numbers.
fn uses_houses(rule: usize) -> bool {
    matches!(rule, 7 | 8 | 11)
}

/// The block keys of a dataset's records, for linking them among themselves in memory: a
/// key is a record's token folded to 32 bits (`0` where the rule's values are missing),
/// enough to form the blocks of one file at half the size (two keys that fold to the same
/// value only put their records in one block, so their pair is compared, scored on its own
/// merits, and no pair is lost; tokens that are stored stay 64-bit, [`Tokens`]). Only the
/// [`KEPT`] rules' keys are kept for every record (20 bytes a record, not 48); the other
/// rules' are made again, a rule at a time, when its blocks are built ([`BlockKeys::column`]):
/// a [`COMPARED`] rule's from its values ([`key_parts`]) rather than its text, as these keys
/// are never stored and only their equality counts.
pub(crate) struct BlockKeys {
    blocker: Blocker,
    kept: Vec<[u32; KEPT.len()]>,
    threads: usize,
}

impl BlockKeys {
    /// Every record's key under `rule`, in record order.
    pub(crate) fn column(&self, ds: &Dataset, rule: usize) -> Vec<u32> {
        if let Some(slot) = kept_slot(rule) {
            return self.kept.iter().map(|k| k[slot]).collect();
        }
        if COMPARED.contains(&rule) {
            return per_record(ds, self.threads, |i, _| {
                key_parts(ds, rule, i).map_or(0, |parts| {
                    let mut h = FxHasher::default();
                    h.write_usize(rule);
                    for p in parts {
                        h.write_u64(p);
                    }
                    block_key(h.finish().max(1))
                })
            });
        }
        per_record(ds, self.threads, |i, room| {
            room.shared.fill(ds, i, uses_houses(rule));
            if write_key_text(ds, i, rule, &room.shared, &mut room.text) {
                block_key(self.blocker.token(room.text.as_bytes()))
            } else {
                0
            }
        })
    }

    /// Whether records `a` and `b` have the same key under `rule` (a key each).
    pub(crate) fn same(&self, ds: &Dataset, rule: usize, a: u32, b: u32) -> bool {
        if let Some(slot) = kept_slot(rule) {
            let (x, y) = (self.kept[a as usize][slot], self.kept[b as usize][slot]);
            return x != 0 && x == y;
        }
        if COMPARED.contains(&rule) {
            return same_values(ds, rule, a, b);
        }
        let key = |i| key_text(ds, i, rule).map(|t| block_key(self.blocker.token(t.as_bytes())));
        key(a).is_some_and(|x| Some(x) == key(b))
    }

    /// Whether record `i` has a key under `rule` (its values for the rule are not missing).
    pub(crate) fn has(&self, ds: &Dataset, rule: usize, i: u32) -> bool {
        if let Some(slot) = kept_slot(rule) {
            self.kept[i as usize][slot] != 0
        } else if COMPARED.contains(&rule) {
            key_parts(ds, rule, i).is_some()
        } else {
            key_text(ds, i, rule).is_some()
        }
    }
}

/// The values a [`COMPARED`] rule's key text is made of, as numbers (the date with day and
/// month either way, the postcode's or district's token, a first name's phonetic code, an
/// initial): two records' key texts are the same exactly when these are. `None` where the
/// rule's values are missing (the rule gives no key), and for any other rule.
fn key_parts(ds: &Dataset, rule: usize, i: u32) -> Option<[u64; 3]> {
    let (g, f) = (ds.given(i), ds.family(i));
    let initial = |name: &[u32]| u64::from(initial(ds, name));
    let code = |name: &[u32]| name.first().map(|&t| ds.tokens[t as usize].code);
    let date = || {
        ds.dob(i).map(|d| {
            let (lo, hi) = day_month_either_way(d);
            u64::from(d.year) << 16 | u64::from(lo) << 8 | u64::from(hi)
        })
    };
    let r = &ds.recs[i as usize];
    let known = |token: u32| (token != NONE).then_some(u64::from(token));
    match rule {
        0 => Some([code(f)?, date()? >> 16, initial(g)]),
        2 => Some([date()?, initial(f), 0]),
        3 => Some([known(r.postcode)?, initial(g), 0]),
        5 => Some([date()?, known(r.district)?, 0]),
        9 => Some([date()?, code(g)?, 0]),
        10 => {
            let (x, y) = (initial(g), initial(f));
            (!g.is_empty() && !f.is_empty()).then_some([date()?, x.min(y), x.max(y)])
        }
        _ => None,
    }
}

/// Whether records `a` and `b` have the same [`key_parts`] under a [`COMPARED`] rule (both
/// with a key): the same answer, the values that differ most often and are nearest at hand
/// looked at first (a pair met under a later rule is asked this for every rule before it).
fn same_values(ds: &Dataset, rule: usize, a: u32, b: u32) -> bool {
    let (ra, rb) = (&ds.recs[a as usize], &ds.recs[b as usize]);
    // The date either way (`year`, then `lo|hi`), or its year alone.
    let dates = || {
        if ra.dob == rb.dob {
            return ra.dob != 0;
        }
        match (ds.dob(a), ds.dob(b)) {
            (Some(x), Some(y)) => {
                x.year == y.year && day_month_either_way(x) == day_month_either_way(y)
            }
            _ => false,
        }
    };
    let years = || match (ds.dob(a), ds.dob(b)) {
        (Some(x), Some(y)) => x.year == y.year,
        _ => false,
    };
    // The two records' given names (`given`) or family names.
    let names = |given: bool| {
        if given {
            (ds.given(a), ds.given(b))
        } else {
            (ds.family(a), ds.family(b))
        }
    };
    let initials = |given: bool| {
        let (x, y) = names(given);
        x.first() == y.first() || initial(ds, x) == initial(ds, y)
    };
    let codes = |given: bool| {
        let (x, y) = names(given);
        match (x.first(), y.first()) {
            (Some(&x), Some(&y)) => x == y || ds.same_code(x, y),
            _ => false,
        }
    };
    match rule {
        0 => years() && codes(false) && initials(true),
        2 => dates() && initials(false),
        3 => ra.postcode != NONE && ra.postcode == rb.postcode && initials(true),
        5 => ra.district != NONE && ra.district == rb.district && dates(),
        9 => dates() && codes(true),
        10 => {
            let names = |i| !ds.given(i).is_empty() && !ds.family(i).is_empty();
            dates() && names(a) && names(b) && {
                let sorted = |i: u32| {
                    let (x, y) = (initial(ds, ds.given(i)), initial(ds, ds.family(i)));
                    (x.min(y), x.max(y))
                };
                sorted(a) == sorted(b)
            }
        }
        _ => key_parts(ds, rule, a).is_some_and(|x| Some(x) == key_parts(ds, rule, b)),
    }
}

/// `make(i, room)` of every record `i` of `ds`, made on `threads` threads (in parts of a
/// fixed size, each taken by whichever thread is free next; each part's room for making key
/// texts reused from one record to the next).
fn per_record<T: Copy + Default + Send>(
    ds: &Dataset,
    threads: usize,
    make: impl Fn(u32, &mut KeyRoom) -> T + Sync,
) -> Vec<T> {
    const PART: usize = 16_384;
    let mut out: Vec<T> = vec![T::default(); ds.len()];
    // Each part is locked by the one job that fills it: never waited for.
    let parts: Vec<std::sync::Mutex<&mut [T]>> =
        out.chunks_mut(PART).map(std::sync::Mutex::new).collect();
    crate::par::run(parts.len(), threads, |k| {
        let mut part = parts[k].lock().unwrap_or_else(|e| e.into_inner());
        let mut room = KeyRoom::default();
        for (j, slot) in part.iter_mut().enumerate() {
            *slot = make((k * PART + j) as u32, &mut room);
        }
    });
    drop(parts);
    out
}

fn block_key(token: u64) -> u32 {
    if token == 0 {
        0
    } else {
        ((token ^ (token >> 32)) as u32).max(1)
    }
}

/// Turns blocking keys into tokens.
#[derive(Clone, Default)]
pub struct Blocker {
    key: Option<Vec<u8>>,
}

impl std::fmt::Debug for Blocker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blocker")
            .field("keyed", &self.key.is_some())
            .finish()
    }
}

impl Blocker {
    /// Tokens from a fast unkeyed hash: for linking a file, never for storing.
    pub fn unkeyed() -> Self {
        Self { key: None }
    }

    /// Tokens are HMAC-SHA-256 (truncated to 64 bits) of the key text under `key`: safe to
    /// store apart from the personal data, useless without the key.
    pub fn keyed(key: &[u8]) -> Self {
        Self {
            key: Some(key.to_vec()),
        }
    }

    /// The token of any key text (for a system's own extra blocking keys); never 0.
    pub fn token(&self, text: &[u8]) -> u64 {
        let t = match &self.key {
            None => {
                let mut h = FxHasher::default();
                h.write(text);
                h.finish()
            }
            Some(key) => {
                // HMAC accepts keys of any length.
                let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
                    .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
                mac.update(text);
                let out = mac.finalize().into_bytes();
                let mut first = [0u8; 8];
                first.copy_from_slice(&out[..8]);
                u64::from_le_bytes(first)
            }
        };
        t.max(1)
    }

    /// The block keys of every record of `ds`, for linking the records among themselves in
    /// memory ([`BlockKeys`]), made on `threads` threads (in parts of a fixed size, each
    /// taken by whichever thread is free next).
    pub(crate) fn block_keys(&self, ds: &Dataset, threads: usize) -> BlockKeys {
        let kept = per_record(ds, threads, |i, room| {
            room.shared.fill(ds, i, true);
            KEPT.map(|rule| {
                if write_key_text(ds, i, rule, &room.shared, &mut room.text) {
                    block_key(self.token(room.text.as_bytes()))
                } else {
                    0
                }
            })
        });
        BlockKeys {
            blocker: self.clone(),
            kept,
            threads,
        }
    }

    /// The tokens of record `i` of `ds`.
    pub fn tokens(&self, ds: &Dataset, i: u32) -> Tokens {
        self.tokens_with(ds, i, &mut KeyRoom::default())
    }

    /// The same, making each key's text in `room` (reused from one record to the next).
    fn tokens_with(&self, ds: &Dataset, i: u32, room: &mut KeyRoom) -> Tokens {
        room.shared.fill(ds, i, true);
        let mut out = [0; R];
        for (rule, slot) in out.iter_mut().enumerate() {
            if write_key_text(ds, i, rule, &room.shared, &mut room.text) {
                *slot = self.token(room.text.as_bytes());
            }
        }
        out
    }
}

/// Room for making the key texts of one record after another.
#[derive(Default)]
struct KeyRoom {
    shared: Shared,
    text: String,
}

/// The parts several rules' key texts of one record share, written once for all of them.
#[derive(Default)]
struct Shared {
    /// The date of birth with day and month either way ([`push_date_either_way`]: `year|lo|hi`);
    /// empty without one.
    date: String,
    /// The house numbers ([`write_house_numbers`]); empty when the address has none.
    houses: String,
}

impl Shared {
    /// The parts of record `i`; its house numbers only with `houses` (else left empty).
    fn fill(&mut self, ds: &Dataset, i: u32, houses: bool) {
        self.date.clear();
        self.houses.clear();
        if let Some(dob) = ds.dob(i) {
            push_date_either_way(&mut self.date, dob);
        }
        if houses {
            write_house_numbers(ds, ds.address(i), &mut self.houses);
        }
    }

    /// `year|lo|hi`.
    fn date(&self) -> Option<&str> {
        (!self.date.is_empty()).then_some(self.date.as_str())
    }

    /// The year of `year|lo|hi`.
    fn year(&self) -> Option<&str> {
        self.date()
            .and_then(|d| d.split_once('|'))
            .map(|(year, _)| year)
    }

    /// The `lo|hi` of `year|lo|hi`.
    fn day_month(&self) -> Option<&str> {
        self.date()
            .and_then(|d| d.split_once('|'))
            .map(|(_, day_month)| day_month)
    }

    fn houses(&self) -> Option<&str> {
        (!self.houses.is_empty()).then_some(self.houses.as_str())
    }
}

/// The text a rule's key is made of (the rule number first, so rules never collide).
pub fn key_text(ds: &Dataset, i: u32, rule: usize) -> Option<String> {
    let mut shared = Shared::default();
    shared.fill(ds, i, true);
    let mut text = String::new();
    write_key_text(ds, i, rule, &shared, &mut text).then_some(text)
}

/// Writes the text of a rule's key (see [`key_text`]) in place of what `out` held, from
/// `shared` filled for the same record; false (and `out` left unspecified) where the rule's
/// values are missing.
fn write_key_text(ds: &Dataset, i: u32, rule: usize, shared: &Shared, out: &mut String) -> bool {
    out.clear();
    let (g, f) = (ds.given(i), ds.family(i));
    let initial = |name: &[u32]| initial(ds, name);
    // Written piece by piece (numbers in decimal, as `format!` would), without the
    // formatting machinery: this runs for every rule of every record.
    match rule {
        0 => {
            let (Some(year), Some(&family)) = (shared.year(), f.first()) else {
                return false;
            };
            out.push_str("0|");
            out.push_str(ds.phonetic(family));
            out.push('|');
            out.push_str(year);
            out.push('|');
            out.push(initial(g));
        }
        1 => {
            let Some(day_month) = shared.day_month() else {
                return false;
            };
            out.push_str("1|");
            if !write_name_codes(ds, g, f, out) {
                return false;
            }
            out.push('|');
            out.push_str(day_month);
        }
        2 => {
            let Some(date) = shared.date() else {
                return false;
            };
            out.push_str("2|");
            out.push_str(date);
            out.push('|');
            out.push(initial(f));
        }
        3 => {
            let pc = ds.recs[i as usize].postcode;
            if pc == NONE {
                return false;
            }
            out.push_str("3|");
            out.push_str(ds.text(pc));
            out.push('|');
            out.push(initial(g));
        }
        4 => {
            let district = ds.recs[i as usize].district;
            if district == NONE {
                return false;
            }
            out.push_str("4|");
            if !write_name_codes(ds, g, f, out) {
                return false;
            }
            out.push('|');
            out.push_str(ds.text(district));
        }
        5 => {
            let (Some(date), district) = (shared.date(), ds.recs[i as usize].district) else {
                return false;
            };
            if district == NONE {
                return false;
            }
            out.push_str("5|");
            out.push_str(date);
            out.push('|');
            out.push_str(ds.text(district));
        }
        6 => {
            out.push_str("6|");
            if !write_name_texts(ds, g, f, out) {
                return false;
            }
        }
        7 => {
            let (town, Some(&given)) = (ds.recs[i as usize].town, g.first()) else {
                return false;
            };
            if town == NONE {
                return false;
            }
            out.push_str("7|");
            out.push_str(ds.phonetic(given));
            out.push('|');
            let Some(houses) = shared.houses() else {
                return false;
            };
            out.push_str(houses);
            out.push('|');
            out.push_str(ds.text(town));
        }
        8 => {
            let Some(date) = shared.date() else {
                return false;
            };
            out.push_str("8|");
            out.push_str(date);
            out.push('|');
            let Some(houses) = shared.houses() else {
                return false;
            };
            out.push_str(houses);
        }
        9 => {
            let (Some(date), Some(&given)) = (shared.date(), g.first()) else {
                return false;
            };
            out.push_str("9|");
            out.push_str(date);
            out.push('|');
            out.push_str(ds.phonetic(given));
        }
        10 => {
            let (Some(date), Some(_), Some(_)) = (shared.date(), g.first(), f.first()) else {
                return false;
            };
            let (a, b) = (initial(g), initial(f));
            out.push_str("10|");
            out.push_str(date);
            out.push('|');
            out.push(a.min(b));
            out.push(a.max(b));
        }
        11 => {
            let (town, Some(&family)) = (ds.recs[i as usize].town, f.first()) else {
                return false;
            };
            if town == NONE {
                return false;
            }
            out.push_str("11|");
            out.push_str(ds.phonetic(family));
            out.push('|');
            let Some(houses) = shared.houses() else {
                return false;
            };
            out.push_str(houses);
            out.push('|');
            out.push_str(ds.text(town));
        }
        _ => return false,
    }
    true
}

/// Day and month of birth, the smaller first, so a date written with them swapped gives the
/// same key.
fn day_month_either_way(dob: crate::normalise::Dob) -> (u8, u8) {
    if dob.month <= dob.day {
        (dob.month, dob.day)
    } else {
        (dob.day, dob.month)
    }
}

/// The initial of a name's first token as a key holds it, `_` for no name.
pub(crate) fn initial(ds: &Dataset, name: &[u32]) -> char {
    name.first().and_then(|&t| ds.initial(t)).unwrap_or('_')
}

/// [`day_month_either_way`] written as `lo|hi`.
fn push_day_month(out: &mut String, dob: crate::normalise::Dob) {
    let (lo, hi) = day_month_either_way(dob);
    push_number(out, lo.into());
    out.push('|');
    push_number(out, hi.into());
}

/// The date of birth with day and month either way (`year|lo|hi`).
fn push_date_either_way(out: &mut String, dob: crate::normalise::Dob) {
    push_number(out, dob.year.into());
    out.push('|');
    push_day_month(out, dob);
}

/// Appends `v` in decimal.
fn push_number(out: &mut String, mut v: u32) {
    let mut digits = [0u8; 10];
    let mut k = digits.len();
    loop {
        k -= 1;
        digits[k] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    for &d in &digits[k..] {
        out.push(char::from(d));
    }
}

/// Writes the phonetic codes of the first given and first family name, in either order.
fn write_name_codes(ds: &Dataset, g: &[u32], f: &[u32], out: &mut String) -> bool {
    let (Some(&g), Some(&f)) = (g.first(), f.first()) else {
        return false;
    };
    let (a, b) = (ds.phonetic(g), ds.phonetic(f));
    let (a, b) = if a <= b { (a, b) } else { (b, a) };
    out.push_str(a);
    out.push('|');
    out.push_str(b);
    true
}

/// Writes the numbers of a street address (its tokens of digits only; the first three in text
/// order, so the same whatever order the tokens are kept in, separated by `-`); false when it
/// has none.
fn write_house_numbers(ds: &Dataset, address: &[u32], out: &mut String) -> bool {
    let mut numbers: [&str; 3] = [""; 3];
    let mut n = 0;
    for &t in address {
        let text = ds.text(t);
        if !text.bytes().all(|b| b.is_ascii_digit()) || numbers[..n].contains(&text) {
            continue;
        }
        // Kept sorted: inserted in its place, the largest dropped when there are three.
        let at = numbers[..n].partition_point(|x| *x < text);
        if at < 3 {
            numbers.copy_within(at..2, at + 1);
            numbers[at] = text;
            n = (n + 1).min(3);
        }
    }
    if n == 0 {
        return false;
    }
    for (k, number) in numbers[..n].iter().enumerate() {
        if k > 0 {
            out.push('-');
        }
        out.push_str(number);
    }
    true
}

/// Writes the first given and first family name as written (folded), in either order.
fn write_name_texts(ds: &Dataset, g: &[u32], f: &[u32], out: &mut String) -> bool {
    let (Some(&g), Some(&f)) = (g.first(), f.first()) else {
        return false;
    };
    let (a, b) = (ds.text(g), ds.text(f));
    let (a, b) = if a <= b { (a, b) } else { (b, a) };
    out.push_str(a);
    out.push('|');
    out.push_str(b);
    true
}

/// The blocks of one rule: runs of records sharing a token.
pub(crate) struct Blocks {
    /// Key and record (`key << 32 | record`: one number sorts as the pair would), sorted.
    entries: Vec<u64>,
    /// Where each block of two or more records starts and ends in `entries`, and how many of
    /// its first records are paired with every record after them: all but the last, except
    /// under a rule whose pairs need a part missing on one side ([`pair_allowed`]), where the
    /// block's records without it come first and only they are.
    runs: Vec<(u32, u32, u32)>,
    max_block: usize,
    window: usize,
    /// Pairs that will be visited.
    pub pairs: usize,
    /// Blocks larger than `max_block`, compared in a sorted window instead.
    pub oversized: usize,
}

impl Blocks {
    /// A block larger than `max_block` records is not compared all against all: its records
    /// are sorted by date of birth and each is compared with the next `window`.
    pub fn build(
        ds: &Dataset,
        keys: &[u32],
        rule: usize,
        max_block: usize,
        window: usize,
        threads: usize,
    ) -> Blocks {
        let mut entries: Vec<u64> = crate::exact::collect(
            keys.iter()
                .enumerate()
                .filter(|&(_, &k)| k != 0)
                .map(|(i, &k)| u64::from(k) << 32 | i as u64),
        );
        crate::par::sort_unstable(&mut entries, threads);
        let mut runs: Vec<(u32, u32, u32)> = Vec::new();
        let mut start = 0;
        let mut dated: Vec<u64> = Vec::new();
        for k in 1..=entries.len() {
            if k == entries.len() || entries[k] >> 32 != entries[start] >> 32 {
                let n = k - start;
                let mut lead = n.saturating_sub(1);
                if partial_rule(rule) && n > 1 && n <= max_block {
                    // The records without a date of birth first (each part in its order).
                    let run = &mut entries[start..k];
                    dated.clear();
                    let mut undated = 0;
                    for j in 0..run.len() {
                        let e = run[j];
                        if partial(ds, rule, e as u32) {
                            run[undated] = e;
                            undated += 1;
                        } else {
                            dated.push(e);
                        }
                    }
                    run[undated..].copy_from_slice(&dated);
                    lead = lead.min(undated);
                }
                if n > 1 && lead > 0 {
                    runs.push((start as u32, k as u32, lead as u32));
                }
                start = k;
            }
        }
        let mut blocks = Blocks {
            entries,
            runs,
            max_block,
            window,
            pairs: 0,
            oversized: 0,
        };
        blocks.oversized = blocks
            .runs
            .iter()
            .filter(|(s, e, _)| (e - s) as usize > max_block)
            .count();
        blocks.pairs = blocks.runs.iter().map(|r| blocks.cost(r)).sum();
        blocks
    }

    /// How many pairs [`Blocks::build`] would give [`Blocks::pairs`] at most (from the keys
    /// alone, at half the memory; as many, but for a rule whose pairs need a part
    /// missing).
    pub fn count(keys: &[u32], max_block: usize, window: usize) -> usize {
        let mut sorted: Vec<u32> = crate::exact::collect(keys.iter().copied().filter(|&k| k != 0));
        sorted.sort_unstable();
        sorted
            .chunk_by(|x, y| x == y)
            .map(|run| {
                let n = run.len();
                if n < 2 {
                    0
                } else if n > max_block {
                    n * window
                } else {
                    n * (n - 1) / 2
                }
            })
            .sum()
    }

    fn cost(&self, &(s, e, lead): &(u32, u32, u32)) -> usize {
        let (n, lead) = ((e - s) as usize, lead as usize);
        if n > self.max_block {
            n * self.window
        } else {
            // Each of the first `lead` records with every one after it.
            lead * (n - 1) - lead * lead.saturating_sub(1) / 2
        }
    }

    /// Visits every pair in [`SHARES`] shares of the blocks (fewer where there are fewer
    /// blocks), each with its own state made by `init` from the number of the share; the
    /// shares are taken by `threads` threads as each is free. The shares, the order of the
    /// pairs in each and the order of the states returned depend only on the blocks, not on
    /// the threads: visiting the same blocks again visits the same pairs in the same order.
    pub fn visit<S: Send>(
        &self,
        ds: &Dataset,
        threads: usize,
        init: impl Fn(usize) -> S + Sync,
        visit: impl Fn(&mut S, u32, u32) + Sync,
    ) -> Vec<S> {
        let shares = self.shares();
        let work = |k: usize| {
            let mut state = init(k);
            let mut big: Vec<u32> = Vec::new();
            for &(s, e, lead) in shares[k] {
                let run = &self.entries[s as usize..e as usize];
                if run.len() <= self.max_block {
                    for x in 0..lead as usize {
                        for y in x + 1..run.len() {
                            // The lower record first, as in a block in record order.
                            let (a, b) = (run[x] as u32, run[y] as u32);
                            visit(&mut state, a.min(b), a.max(b));
                        }
                    }
                } else {
                    big.clear();
                    big.extend(run.iter().map(|&r| r as u32));
                    big.sort_unstable_by_key(|&i| (ds.recs[i as usize].dob, i));
                    for x in 0..big.len() {
                        for y in x + 1..(x + 1 + self.window).min(big.len()) {
                            visit(&mut state, big[x], big[y]);
                        }
                    }
                }
            }
            state
        };
        crate::par::run(shares.len(), threads, work)
    }

    /// The blocks cut into at most [`SHARES`] shares of about as many pairs each (one at
    /// least, empty when there are no blocks).
    fn shares(&self) -> Vec<&[(u32, u32, u32)]> {
        let mut shares: Vec<&[(u32, u32, u32)]> = Vec::new();
        let (mut begin, mut acc) = (0, 0);
        for (k, run) in self.runs.iter().enumerate() {
            acc += self.cost(run);
            if acc * SHARES >= self.pairs * (shares.len() + 1) && shares.len() + 1 < SHARES {
                shares.push(&self.runs[begin..=k]);
                begin = k + 1;
            }
        }
        shares.push(&self.runs[begin..]);
        shares
    }
}

/// How many shares [`Blocks::visit`] cuts the blocks into: enough for a thread held up on a
/// shared machine to leave its part to the others, few enough that each share's state (a
/// count of every comparison pattern) is cheap.
const SHARES: usize = 16;

/// The rule whose pairs are only those with no date of birth on one side at least
/// ([`pair_allowed`]): pairs with a date on both sides are found by the rules on the date.
pub const UNDATED_NAMES_RULE: usize = 6;

/// Whether a pair sharing a key of `rule` is one of that rule's candidates. The names alone
/// put many namesakes together; the pairs they are for are those the rules on the date of
/// birth cannot find, because one of the two records has none. (With the town as well, as
/// this rule had it before, the records of one person without a date on one side who had
/// moved to another town were never compared: at 100,000 generated people 8,985 of the
/// 14,604 true pairs never compared had no date on one side, most of them with the same
/// names.)
pub fn pair_allowed(ds: &Dataset, rule: usize, a: u32, b: u32) -> bool {
    !partial_rule(rule) || partial(ds, rule, a) || partial(ds, rule, b)
}

/// The rule whose pairs are only those with no given name on one side at least.
pub const UNNAMED_HOUSE_RULE: usize = 11;

/// Whether `rule` pairs only records of which one at least lacks a part ([`partial`]).
fn partial_rule(rule: usize) -> bool {
    rule == UNDATED_NAMES_RULE || rule == UNNAMED_HOUSE_RULE
}

/// Whether record `i` lacks the part a pair of `rule` needs one of its records to lack: the
/// date of birth ([`UNDATED_NAMES_RULE`]), the given names ([`UNNAMED_HOUSE_RULE`]).
fn partial(ds: &Dataset, rule: usize, i: u32) -> bool {
    match rule {
        UNDATED_NAMES_RULE => ds.recs[i as usize].dob == 0,
        UNNAMED_HOUSE_RULE => ds.given(i).is_empty(),
        _ => true,
    }
}

/// The pair is a candidate under one of the `earlier` rules (those visited before).
pub(crate) fn seen_before(
    ds: &Dataset,
    keys: &BlockKeys,
    a: u32,
    b: u32,
    earlier: &[usize],
) -> bool {
    earlier
        .iter()
        .any(|&r| keys.same(ds, r, a, b) && pair_allowed(ds, r, a, b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Record;
    use crate::data::fixtures::FATIMA;
    use crate::normalise::phonetic;
    use proptest::prelude::*;

    /// The rules a pair of records is a candidate under (a key shared, the pair allowed).
    fn shared(a: Record, b: Record) -> Vec<usize> {
        let mut ds = Dataset::new();
        let (x, y) = (ds.push(&a), ds.push(&b));
        (0..R)
            .filter(|&r| key_text(&ds, x, r).is_some_and(|k| Some(k) == key_text(&ds, y, r)))
            .filter(|&r| pair_allowed(&ds, r, x, y) && pair_allowed(&ds, r, y, x))
            .collect()
    }

    /// The person the rules' tests pair with variants of themselves.
    const FLYNN: Record<'static> = Record {
        given_names: "Flynn",
        family_name: "Weller",
        date_of_birth: "1970-03-06",
        sex: "",
        address: "23 Woollum Street",
        town: "Surrey Hills",
        postcode: "2870",
    };

    #[test]
    fn a_pair_is_still_found_when_one_part_of_it_went_wrong() {
        let person = Record {
            date_of_birth: "1970-01-06",
            ..FLYNN
        };
        // Names swapped and one of them replaced: no name key agrees, the date with the
        // postcode district does, and with the house number.
        let swapped = Record {
            given_names: "Weller",
            family_name: "Ebony",
            ..person
        };
        assert_eq!(shared(person, swapped), [5, 8]);
        // No date of birth on one side and a digit of the postcode changed: the names
        // agree.
        let moved = Record {
            date_of_birth: "",
            postcode: "2807",
            ..person
        };
        assert_eq!(shared(person, moved), [6, 7]);
        assert_eq!(shared(moved, person), [6, 7]);
        // No date of birth on one side and a move to another town: the names alone.
        let gone = Record {
            date_of_birth: "",
            address: "4 Mill Lane",
            town: "Leeds",
            postcode: "LS1 4AB",
            ..person
        };
        assert_eq!(shared(person, gone), [6]);
        // With a date on both sides, namesakes elsewhere are left to the rules on the date.
        let namesake_elsewhere = Record {
            date_of_birth: "1981-03-14",
            ..gone
        };
        assert!(shared(person, namesake_elsewhere).is_empty());
        // No family name on one side and a move: the date of birth with the given name.
        let unnamed = Record {
            family_name: "",
            ..namesake_elsewhere
        };
        assert!(shared(person, unnamed).is_empty());
        let unnamed = Record {
            date_of_birth: person.date_of_birth,
            ..unnamed
        };
        assert_eq!(shared(person, unnamed), [9]);
        // A date of birth mistyped beyond recognition and the postcode's digits transposed:
        // the given name, the house number and the town agree.
        let retyped = Record {
            date_of_birth: "1953-05-05",
            postcode: "2807",
            ..person
        };
        assert_eq!(shared(person, retyped), [7]);
        // Both names replaced and the postcode changed: the date of birth and the house
        // number agree.
        let renamed = Record {
            given_names: "Ebony",
            family_name: "Smith",
            postcode: "2807",
            ..person
        };
        assert_eq!(shared(person, renamed), [8]);
        // A relative at the same address with another given name and birthday shares
        // neither: a household is not paired by its house number.
        let brother = Record {
            given_names: "Harry",
            date_of_birth: "1975-08-19",
            postcode: "2807",
            ..person
        };
        assert!(shared(person, brother).is_empty());
        // A namesake in the same town born on another day, at another house number, is left
        // to the rules on the date; at the same house number the given name, number and town
        // pair them.
        let namesake = Record {
            date_of_birth: "1985-09-30",
            address: "41 Woollum Street",
            postcode: "2807",
            ..person
        };
        assert!(shared(person, namesake).is_empty());
        let same_house = Record {
            address: "23 Woollum Street",
            ..namesake
        };
        assert_eq!(shared(person, same_house), [7]);
        // Relatives at one address share no key of the new rules unless born on one day.
        let sister = Record {
            given_names: "Ebony",
            date_of_birth: "1973-05-02",
            ..person
        };
        assert!(!shared(person, sister).iter().any(|&r| r >= 5));
    }

    #[test]
    fn a_pair_is_found_after_a_move_with_names_swapped_or_a_family_name_mistyped() {
        let person = FLYNN;
        let moved = Record {
            address: "4 Mill Lane",
            town: "Leeds",
            postcode: "LS1 4AB",
            ..person
        };
        // Names swapped, one of them mistyped past its code, after a move: only the date with
        // both initials in either order agrees.
        let swapped = Record {
            given_names: "Weller",
            family_name: "Flykn",
            ..moved
        };
        assert_ne!(phonetic("Flynn"), phonetic("Flykn"));
        assert_eq!(shared(person, swapped), [10]);
        // Mistyped in its first letter as well: nothing agrees.
        let swapped = Record {
            family_name: "Glykn",
            ..swapped
        };
        assert!(shared(person, swapped).is_empty());
        // Someone else elsewhere with the same initials, born on another day, shares nothing.
        let other = Record {
            family_name: "Walker",
            date_of_birth: "1970-04-06",
            ..moved
        };
        assert!(shared(person, other).is_empty());
    }

    #[test]
    fn a_record_without_a_given_name_is_paired_at_its_house_and_only_it() {
        let person = FLYNN;
        // No given name, the date of birth mistyped and the postcode missing: the family name
        // with the house number and the town, in either order of the two records.
        let unnamed = Record {
            given_names: "",
            date_of_birth: "1907-03-06",
            postcode: "",
            ..person
        };
        assert_eq!(shared(person, unnamed), [11]);
        assert_eq!(shared(unnamed, person), [11]);
        // A relative at the same house with a given name of their own is not paired by it.
        let brother = Record {
            given_names: "Harry",
            date_of_birth: "1975-08-19",
            postcode: "",
            ..person
        };
        assert!(shared(person, brother).is_empty());
    }

    #[test]
    fn house_numbers_are_the_three_first_in_text_order_whatever_the_order_written() {
        let numbers = |address: &str| {
            let mut ds = Dataset::new();
            let i = ds.push(&Record {
                address,
                ..Default::default()
            });
            let mut out = String::new();
            write_house_numbers(&ds, ds.address(i), &mut out).then_some(out)
        };
        assert_eq!(numbers("23 Woollum Street").as_deref(), Some("23"));
        assert_eq!(
            numbers("Flat 14, 25 Wellington Lane").as_deref(),
            Some("14-25")
        );
        assert_eq!(
            numbers("25 Wellington Lane, Flat 14"),
            numbers("Flat 14, 25 Wellington Lane")
        );
        assert_eq!(
            numbers("Unit 1, 82 Kitchener Street").as_deref(),
            Some("1-82")
        );
        assert_eq!(numbers("9 8 7 6 Road").as_deref(), Some("6-7-8"));
        assert_eq!(numbers("6 9 7 8 Road").as_deref(), Some("6-7-8"));
        assert_eq!(numbers("12 12 Road").as_deref(), Some("12"));
        assert_eq!(numbers("Rose Cottage, 2b Mill Lane").as_deref(), None);
        assert_eq!(numbers(""), None);
    }

    #[test]
    fn a_rule_constrains_every_field_it_forces() {
        for rule in 0..R {
            for f in RULE_FIELDS[rule] {
                assert!(RULE_TOUCHES[rule].contains(f), "rule {rule} field {f}");
            }
        }
    }

    #[test]
    fn keys_made_one_record_after_another_are_each_records_own() {
        // The room for the texts is reused from one record to the next: what one record had
        // (a date, house numbers) must not be in the next one's keys.
        let mut ds = Dataset::new();
        let full = FATIMA;
        for r in [
            full,
            Record {
                date_of_birth: "",
                ..full
            },
            Record {
                address: "Station Road",
                ..full
            },
            full,
            Record {
                given_names: "",
                address: "7 Park Lane",
                ..full
            },
            Record::default(),
        ] {
            ds.push(&r);
        }
        ds.finish();
        let blocker = Blocker::unkeyed();
        for threads in [1, 2] {
            let keys = blocker.block_keys(&ds, threads);
            for rule in 0..R {
                let column = keys.column(&ds, rule);
                assert_eq!(column.len(), ds.len());
                let text = |i: usize| key_text(&ds, i as u32, rule);
                for (i, &key) in column.iter().enumerate() {
                    let one = text(i).map_or(0, |t| block_key(blocker.token(t.as_bytes())));
                    if COMPARED.contains(&rule) {
                        // Made from the values, not the text: the same records share one.
                        assert_eq!(key != 0, one != 0, "record {i}, rule {rule}");
                        for (j, &other) in column.iter().enumerate() {
                            let same = text(i).is_some() && text(i) == text(j);
                            assert_eq!(key != 0 && key == other, same, "{i} {j}, rule {rule}");
                        }
                    } else {
                        assert_eq!(key, one, "record {i}, rule {rule}");
                    }
                    assert_eq!(
                        keys.has(&ds, rule, i as u32),
                        one != 0,
                        "record {i}, rule {rule}"
                    );
                }
            }
        }
    }

    /// Records that share some values and not others: dates the same, swapped or different,
    /// names with the same codes or initials, postcodes in one district or two, values missing.
    fn sharing_record() -> impl Strategy<Value = [String; 7]> {
        let pick = |v: &[&'static str]| prop::sample::select(v.to_vec()).prop_map(str::to_owned);
        (
            pick(&["", "Fatima", "Fatma", "Farid", "Ali", "Ngoc Anh", "Đức"]),
            pick(&["", "Mohammed", "Muhammad", "Ali", "Nguyen", "Ng"]),
            pick(&[
                "",
                "1990-11-05",
                "1990-05-11",
                "1990-11-06",
                "1990-12-05",
                "1991-11-05",
                "1990",
            ]),
            pick(&["", "12 Station Road", "12a Station Road", "7 Park Lane"]),
            pick(&["", "Leeds", "York"]),
            pick(&["", "LS1 4AB", "LS1 5XY", "YO1 7HH"]),
        )
            .prop_map(|(g, f, d, a, t, p)| [g, f, d, "F".to_owned(), a, t, p])
    }

    proptest! {
        #[test]
        fn records_share_a_key_exactly_when_their_key_texts_are_the_same(
            records in prop::collection::vec(sharing_record(), 2..8),
        ) {
            let mut ds = Dataset::new();
            for r in &records {
                ds.push(&crate::data::fixtures::view(r));
            }
            let keys = Blocker::unkeyed().block_keys(&ds, 1);
            let n = ds.len() as u32;
            for rule in 0..R {
                // The blocks' keys too (made from the values for some rules): a few records
                // fold to no common key by chance.
                let column = keys.column(&ds, rule);
                for a in 0..n {
                    for b in 0..n {
                        let text = key_text(&ds, a, rule);
                        let same = text.is_some() && text == key_text(&ds, b, rule);
                        let (x, y) = (column[a as usize], column[b as usize]);
                        prop_assert_eq!(x != 0 && x == y, same, "rule {} {} {}", rule, a, b);
                        prop_assert_eq!(keys.same(&ds, rule, a, b), same, "rule {} {} {}", rule, a, b);
                    }
                }
            }
        }
    }

    #[test]
    fn key_texts_hold_the_values_of_each_rule() {
        let mut ds = Dataset::new();
        let record = FATIMA;
        let full = ds.push(&record);
        let bare = ds.push(&Record {
            family_name: "Mohammed",
            ..Default::default()
        });
        let keys: Vec<Option<String>> = (0..R).map(|r| key_text(&ds, full, r)).collect();
        let (fatima, mohammed) = (phonetic("fatima"), phonetic("mohammed"));
        let (a, b) = if fatima <= mohammed {
            (&fatima, &mohammed)
        } else {
            (&mohammed, &fatima)
        };
        let expected = [
            format!("0|{mohammed}|1990|f"),
            format!("1|{a}|{b}|5|11"),
            "2|1990|5|11|m".to_owned(),
            "3|LS14AB|f".to_owned(),
            format!("4|{a}|{b}|LS1"),
            "5|1990|5|11|LS1".to_owned(),
            "6|fatima|mohammed".to_owned(),
            format!("7|{fatima}|12|leeds"),
            "8|1990|5|11|12".to_owned(),
            format!("9|1990|5|11|{fatima}"),
            "10|1990|5|11|fm".to_owned(),
            format!("11|{mohammed}|12|leeds"),
        ];
        assert_eq!(keys.len(), expected.len());
        for (got, want) in keys.iter().zip(expected) {
            assert_eq!(got.as_deref(), Some(want.as_str()));
        }
        assert!((0..R).all(|r| key_text(&ds, bare, r).is_none()));
        // No house number, no key of the rules on it (the others are kept).
        let unnumbered = ds.push(&Record {
            address: "Station Road",
            ..record
        });
        assert!(key_text(&ds, unnumbered, 6).is_some());
        assert!(key_text(&ds, unnumbered, 7).is_none() && key_text(&ds, unnumbered, 8).is_none());
        let mut text = String::new();
        for v in [0, 7, 10, 1999, 65535, u32::MAX] {
            text.clear();
            push_number(&mut text, v);
            assert_eq!(text, v.to_string());
        }
    }

    #[test]
    fn the_pairs_visited_in_each_share_do_not_depend_on_the_threads() {
        let mut g = crate::synth::Generator::new(7);
        let mut people = Vec::new();
        while people.len() < 3000 {
            g.next_household(&mut people);
        }
        let ds = crate::synth::dataset(&people);
        let keys = Blocker::unkeyed().block_keys(&ds, 2);
        for rule in 0..R {
            // A small window and block size, so that some blocks are compared in a window.
            let blocks = Blocks::build(&ds, &keys.column(&ds, rule), rule, 20, 5, 2);
            let visited = |threads| {
                blocks.visit(
                    &ds,
                    threads,
                    |k| (k, Vec::new()),
                    |(_, v), a, b| v.push((a, b)),
                )
            };
            let alone = visited(1);
            assert!(alone.len() > 1 && alone.len() <= SHARES, "rule {rule}");
            let all: usize = alone.iter().map(|(_, v)| v.len()).sum();
            assert_eq!(all, blocks.pairs, "rule {rule}");
            for threads in [2, 3, 8] {
                assert_eq!(visited(threads), alone, "rule {rule}, {threads} threads");
            }
        }
    }
}
