//! Records prepared for comparison: values folded once, name and address tokens interned,
//! phonetic codes and name groups looked up once per distinct token.

use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

use rustc_hash::{FxHashMap, FxHasher};

use crate::normalise::{self, Dob};

/// One input record. Every value may be empty (unknown).
#[derive(Clone, Copy, Debug, Default)]
pub struct Record<'a> {
    pub given_names: &'a str,
    pub family_name: &'a str,
    /// `YYYY-MM-DD`, `YYYYMMDD` or `YYYY`.
    pub date_of_birth: &'a str,
    pub sex: &'a str,
    /// Street address (house number, street, locality).
    pub address: &'a str,
    pub town: &'a str,
    pub postcode: &'a str,
}

pub(crate) const NONE: u32 = u32::MAX;

#[derive(Debug)]
pub(crate) struct TokenInfo {
    pub text: Box<str>,
    /// The phonetic code and its hash.
    pub phonetic: Box<str>,
    pub code: u64,
    /// Name groups (nicknames, transliterations) the token belongs to, sorted.
    pub groups: Box<[u32]>,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Rec {
    /// Where this record's tokens start in the arena: given names, family names, then the
    /// address token set (sorted).
    pub start: u32,
    pub ng: u8,
    pub nf: u8,
    pub na: u8,
    pub sex: u8,
    pub dob: u32,
    pub postcode: u32,
    pub district: u32,
    pub town: u32,
    /// Records with the same full given names / family name (for term frequencies).
    pub given_count: u32,
    pub family_count: u32,
}

/// The name groups of `data/names.txt`.
fn aliases() -> &'static FxHashMap<&'static str, Vec<u32>> {
    static ALIASES: OnceLock<FxHashMap<&'static str, Vec<u32>>> = OnceLock::new();
    ALIASES.get_or_init(|| {
        let mut map: FxHashMap<&'static str, Vec<u32>> = FxHashMap::default();
        let lines = include_str!("../data/names.txt")
            .lines()
            .map(|l| l.split('#').next().unwrap_or("").trim())
            .filter(|l| !l.is_empty());
        for (group, line) in lines.enumerate() {
            for name in line.split_whitespace() {
                let groups = map.entry(name).or_default();
                if !groups.contains(&(group as u32)) {
                    groups.push(group as u32);
                }
            }
        }
        map
    })
}

fn fx<T: Hash + ?Sized>(v: &T) -> u64 {
    let mut h = FxHasher::default();
    v.hash(&mut h);
    h.finish()
}

/// A set of prepared records.
#[derive(Debug, Default)]
pub struct Dataset {
    pub(crate) tokens: Vec<TokenInfo>,
    lookup: FxHashMap<Box<str>, u32>,
    pub(crate) arena: Vec<u32>,
    pub(crate) recs: Vec<Rec>,
    /// Full-value counts for term frequencies, by (field, hash of the token ids).
    counts: FxHashMap<u64, u32>,
}

impl Dataset {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.recs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.recs.is_empty()
    }

    fn intern(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.lookup.get(text) {
            return id;
        }
        let id = self.tokens.len() as u32;
        let groups = aliases()
            .get(text)
            .map(|g| g.clone().into_boxed_slice())
            .unwrap_or_default();
        let phonetic = normalise::phonetic(text);
        self.tokens.push(TokenInfo {
            text: text.into(),
            code: fx(phonetic.as_str()),
            phonetic: phonetic.into(),
            groups,
        });
        self.lookup.insert(text.into(), id);
        id
    }

    fn intern_words(&mut self, folded: &str) -> usize {
        let mut n = 0;
        for word in folded.split(' ').filter(|w| !w.is_empty()) {
            let id = self.intern(word);
            self.arena.push(id);
            n += 1;
        }
        n
    }

    /// Prepares and adds a record; its index is returned. Term frequencies count it at once.
    pub fn push(&mut self, r: &Record) -> u32 {
        let start = self.arena.len() as u32;
        let ng = self.intern_words(&normalise::fold(r.given_names)).min(255);
        let nf = self.intern_words(&normalise::fold(r.family_name)).min(255);
        let addr_start = self.arena.len();
        // The street address with its town as one token set (the town alone is no address).
        let mut folded = normalise::fold(r.address);
        let town = normalise::fold(r.town);
        if !folded.is_empty() {
            folded.push(' ');
            folded.push_str(&town);
            self.intern_words(&folded);
        }
        self.arena[addr_start..].sort_unstable();
        let mut set = self.arena.split_off(addr_start);
        set.dedup();
        set.truncate(255);
        let na = set.len();
        self.arena.extend(set);
        let pc = normalise::postcode(r.postcode);
        let (postcode, district) = if pc.is_empty() {
            (NONE, NONE)
        } else {
            let d = normalise::postcode_district(&pc).to_owned();
            (self.intern(&pc), self.intern(&d))
        };
        let town = if town.is_empty() {
            NONE
        } else {
            self.intern(&town)
        };
        let s = start as usize;
        let given_key = fx(&(1u8, &self.arena[s..s + ng]));
        let family_key = fx(&(2u8, &self.arena[s + ng..s + ng + nf]));
        let given_count = if ng > 0 { self.bump(given_key) } else { 0 };
        let family_count = if nf > 0 { self.bump(family_key) } else { 0 };
        self.recs.push(Rec {
            start,
            ng: ng as u8,
            nf: nf as u8,
            na: na as u8,
            sex: normalise::sex(r.sex).unwrap_or(0),
            dob: Dob::parse(r.date_of_birth).map_or(0, Dob::pack),
            postcode,
            district,
            town,
            given_count,
            family_count,
        });
        (self.recs.len() - 1) as u32
    }

    fn bump(&mut self, key: u64) -> u32 {
        let c = self.counts.entry(key).or_insert(0);
        *c += 1;
        *c
    }

    /// Brings every record's term-frequency counts up to date (after a bulk load).
    pub fn finish(&mut self) {
        for i in 0..self.recs.len() {
            let r = self.recs[i];
            let s = r.start as usize;
            let (ng, nf) = (r.ng as usize, r.nf as usize);
            if ng > 0 {
                let k = fx(&(1u8, &self.arena[s..s + ng]));
                self.recs[i].given_count = self.counts[&k];
            }
            if nf > 0 {
                let k = fx(&(2u8, &self.arena[s + ng..s + ng + nf]));
                self.recs[i].family_count = self.counts[&k];
            }
        }
    }

    pub(crate) fn given(&self, i: u32) -> &[u32] {
        let r = &self.recs[i as usize];
        &self.arena[r.start as usize..r.start as usize + r.ng as usize]
    }

    pub(crate) fn family(&self, i: u32) -> &[u32] {
        let r = &self.recs[i as usize];
        let s = r.start as usize + r.ng as usize;
        &self.arena[s..s + r.nf as usize]
    }

    pub(crate) fn address(&self, i: u32) -> &[u32] {
        let r = &self.recs[i as usize];
        let s = r.start as usize + r.ng as usize + r.nf as usize;
        &self.arena[s..s + r.na as usize]
    }

    pub(crate) fn text(&self, token: u32) -> &str {
        &self.tokens[token as usize].text
    }

    pub(crate) fn phonetic(&self, token: u32) -> &str {
        &self.tokens[token as usize].phonetic
    }

    pub(crate) fn same_code(&self, a: u32, b: u32) -> bool {
        self.tokens[a as usize].code == self.tokens[b as usize].code
    }

    pub(crate) fn same_group(&self, a: u32, b: u32) -> bool {
        let (ta, tb) = (&self.tokens[a as usize], &self.tokens[b as usize]);
        ta.groups.iter().any(|g| tb.groups.contains(g))
    }

    pub(crate) fn dob(&self, i: u32) -> Option<Dob> {
        Dob::unpack(self.recs[i as usize].dob)
    }
}
