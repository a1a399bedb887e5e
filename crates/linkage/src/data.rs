//! Records prepared for comparison: values folded once, name and address tokens interned,
//! phonetic codes and name groups looked up once per distinct token.

use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

use hashbrown::HashTable;
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

/// One distinct token. Its text, phonetic code and name groups live in the dataset's shared
/// arenas (one allocation each for all tokens, not three per token): a token costs 32 bytes
/// plus its characters.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TokenInfo {
    /// Hash of the phonetic code.
    pub code: u64,
    /// The characters among the first 64 of the text, one bit each (see [`char_bit`]): what
    /// bounds a Jaro-Winkler similarity before it is computed.
    pub mask: u64,
    /// Where the text starts in `chars`; the phonetic code follows it.
    at: u32,
    pub text_len: u16,
    phonetic_len: u16,
    /// Name groups (nicknames, transliterations) the token belongs to, sorted: a range of
    /// `group_ids`.
    groups_at: u32,
    groups_len: u16,
    /// How many characters the text has, counting no further than 64 (what a Jaro-Winkler
    /// comparison looks at).
    pub units: u8,
    /// The text's first byte (0 for an empty text), kept here where it is read with the rest
    /// (in the room the other fields leave: a token is still 32 bytes).
    pub first: u8,
}

/// The bit of a character in [`TokenInfo::mask`]: letters and digits one each, anything else
/// shares the remaining bits (two characters sharing a bit only loosen the bound).
pub(crate) fn char_bit(c: char) -> u64 {
    let k = match c {
        'a'..='z' => c as u32 - 'a' as u32,
        '0'..='9' => 26 + c as u32 - '0' as u32,
        _ => 36 + (c as u32) % 28,
    };
    1 << k
}

/// The mask and the length (at most 64) of a text in characters, as [`TokenInfo`] has them.
pub(crate) fn char_mask(text: &str) -> (u64, u8) {
    let (mut mask, mut units) = (0u64, 0u8);
    for c in text.chars().take(64) {
        mask |= char_bit(c);
        units += 1;
    }
    (mask, units)
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
    /// The record's full given names and family name in [`Dataset::names`] (for term
    /// frequencies), [`NONE`] where missing.
    pub given_name: u32,
    pub family_name: u32,
    /// The initials ([`initial_bit`]) of the address tokens of 4 bytes or more: the tokens an
    /// address token of the other record may be a near spelling of.
    pub near: u32,
}

/// The bit of a token's first byte in [`Rec::near`]: each letter its own, other bytes share
/// the rest (two sharing a bit only make the address comparison look further).
pub(crate) fn initial_bit(first: u8) -> u32 {
    match first {
        b'a'..=b'z' => 1 << (first - b'a'),
        _ => 1 << (26 + first % 6),
    }
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

/// A record's values folded for a [`Dataset`] ([`Folded::fold`]): the part of preparing a
/// record that needs no dataset, so it can be done on another thread. Its room is reused from
/// one record to the next.
#[derive(Clone, Default)]
pub struct Folded {
    given: String,
    family: String,
    /// The street address with its town, as one token set (the town alone is no address).
    address: String,
    town: String,
    postcode: String,
    sex: u8,
    /// [`Dob::pack`]ed, `0` when unknown.
    dob: u32,
}

impl std::fmt::Debug for Folded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Nothing: the values are personal data.
        f.debug_struct("Folded").finish_non_exhaustive()
    }
}

impl Folded {
    /// Folds `r` in place of what this held.
    pub fn fold(&mut self, r: &Record) {
        normalise::fold_into(r.given_names, &mut self.given);
        normalise::fold_into(r.family_name, &mut self.family);
        normalise::fold_into(r.address, &mut self.address);
        normalise::fold_into(r.town, &mut self.town);
        if !self.address.is_empty() {
            self.address.push(' ');
            self.address.push_str(&self.town);
        }
        normalise::postcode_into(r.postcode, &mut self.postcode);
        self.sex = normalise::sex(r.sex).unwrap_or(0);
        self.dob = Dob::parse(r.date_of_birth).map_or(0, Dob::pack);
    }
}

/// How many records hold a full name (its tokens, in order) as their given names and as their
/// family name: how common it is in either field (a family name written as a given name,
/// where given and family names were swapped, is rare as a given name).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct NameCounts {
    pub given: u32,
    pub family: u32,
}

/// A set of prepared records.
#[derive(Default)]
pub struct Dataset {
    pub(crate) tokens: Vec<TokenInfo>,
    /// Every token's text then its phonetic code, back to back.
    chars: String,
    group_ids: Vec<u32>,
    /// Token ids by their text (hashed with `fx`; the text itself is only in `chars`).
    lookup: HashTable<u32>,
    pub(crate) arena: Vec<u32>,
    pub(crate) recs: Vec<Rec>,
    /// Every full name (its tokens, in order) held by a record as its given names or as its
    /// family name: how many records hold it as each ([`NameCounts`]), for term frequencies.
    /// Kept once for all records sharing a name, and always up to date.
    names: Vec<NameCounts>,
    /// The full names' places in `names`, by the hash of their token ids.
    name_ids: FxHashMap<u64, u32>,
    /// `lookup` and `name_ids` were given back by [`Dataset::compact`].
    compacted: bool,
    /// Room for folding values while a record is added, reused from one record to the next.
    scratch: Folded,
}

impl std::fmt::Debug for Dataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Counts only: the tokens are personal data.
        f.debug_struct("Dataset")
            .field("records", &self.recs.len())
            .field("tokens", &self.tokens.len())
            .finish_non_exhaustive()
    }
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
        // A token longer than 65,535 bytes is cut at a character boundary (never a name).
        let text = clip(text);
        let hash = fx(text);
        let (tokens, chars) = (&self.tokens, &self.chars);
        let same = |&id: &u32| token_text(chars, &tokens[id as usize]) == text;
        if let Some(&id) = self.lookup.find(hash, same) {
            return id;
        }
        let id = self.tokens.len() as u32;
        let groups = aliases().get(text).map_or(&[][..], Vec::as_slice);
        let groups_at = self.group_ids.len() as u32;
        self.group_ids.extend_from_slice(groups);
        let phonetic = normalise::phonetic(text);
        let phonetic = clip(&phonetic);
        let at = self.chars.len() as u32;
        let (mask, units) = char_mask(text);
        self.chars.push_str(text);
        self.chars.push_str(phonetic);
        self.tokens.push(TokenInfo {
            code: fx(phonetic),
            at,
            text_len: text.len() as u16,
            phonetic_len: phonetic.len() as u16,
            groups_at,
            // No name is in 65,535 groups (`data/names.txt` has a few hundred in all).
            groups_len: groups.len().min(u16::MAX as usize) as u16,
            mask,
            units,
            first: text.as_bytes().first().copied().unwrap_or(0),
        });
        let (tokens, chars) = (&self.tokens, &self.chars);
        self.lookup
            .insert_unique(hash, id, |&id| fx(token_text(chars, &tokens[id as usize])));
        id
    }

    #[cfg(test)]
    pub(crate) fn intern_for_test(&mut self, text: &str) -> u32 {
        self.intern(text)
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

    /// Gives back what only adding more records needs (the lookups of tokens and of full names
    /// by their text, a fifth of a loaded dataset): for a dataset that is complete,
    /// before the pairwise work. A later [`Dataset::push`] rebuilds them first.
    pub fn compact(&mut self) {
        self.lookup = HashTable::new();
        self.name_ids = FxHashMap::default();
        self.compacted = true;
    }

    fn rebuild(&mut self) {
        let (tokens, chars) = (&self.tokens, &self.chars);
        let mut lookup = HashTable::with_capacity(tokens.len());
        for (id, t) in tokens.iter().enumerate() {
            lookup.insert_unique(fx(token_text(chars, t)), id as u32, |&id: &u32| {
                fx(token_text(chars, &tokens[id as usize]))
            });
        }
        self.lookup = lookup;
        let mut name_ids = FxHashMap::default();
        for i in 0..self.recs.len() as u32 {
            let r = self.recs[i as usize];
            for (name, id) in [
                (self.given(i), r.given_name),
                (self.family(i), r.family_name),
            ] {
                if id != NONE {
                    name_ids.insert(fx(name), id);
                }
            }
        }
        self.name_ids = name_ids;
        self.compacted = false;
    }

    /// Prepares and adds a record; its index is returned. Term frequencies count it at once.
    pub fn push(&mut self, r: &Record) -> u32 {
        let mut folded = std::mem::take(&mut self.scratch);
        folded.fold(r);
        let i = self.push_folded(&folded);
        self.scratch = folded;
        i
    }

    /// Adds a record folded beforehand ([`Folded::fold`], which may run on another thread
    /// while this one interns the records before it); the same as [`Dataset::push`] of the
    /// record it was folded from.
    pub fn push_folded(&mut self, r: &Folded) -> u32 {
        if self.compacted {
            self.rebuild();
        }
        let start = self.arena.len() as u32;
        let ng = self.intern_words(&r.given).min(255);
        let nf = self.intern_words(&r.family).min(255);
        let addr_start = self.arena.len();
        self.intern_words(&r.address);
        // Sorted, without repeats, at most 255 tokens.
        let set = &mut self.arena[addr_start..];
        set.sort_unstable();
        let mut na = 0;
        for k in 0..set.len() {
            if k == 0 || set[k] != set[na - 1] {
                set[na] = set[k];
                na += 1;
            }
        }
        let na = na.min(255);
        self.arena.truncate(addr_start + na);
        let near = self.arena[addr_start..]
            .iter()
            .map(|&t| &self.tokens[t as usize])
            .filter(|t| t.text_len >= 4)
            .fold(0, |near, t| near | initial_bit(t.first));
        let (postcode, district) = if r.postcode.is_empty() {
            (NONE, NONE)
        } else {
            let pc = self.intern(&r.postcode);
            (pc, self.intern(normalise::postcode_district(&r.postcode)))
        };
        let town_id = if r.town.is_empty() {
            NONE
        } else {
            self.intern(&r.town)
        };
        let s = start as usize;
        let given_name = self.count_name(s, ng, |c| &mut c.given);
        let family_name = self.count_name(s + ng, nf, |c| &mut c.family);
        self.recs.push(Rec {
            start,
            ng: ng as u8,
            nf: nf as u8,
            na: na as u8,
            sex: r.sex,
            dob: r.dob,
            postcode,
            district,
            town: town_id,
            given_name,
            family_name,
            near,
        });
        (self.recs.len() - 1) as u32
    }

    /// Counts one more holder of the full name of the `len` tokens at `start` of the arena in
    /// one field (`field` picks its count); its place in `names`, [`NONE`] when empty.
    fn count_name(
        &mut self,
        start: usize,
        len: usize,
        field: fn(&mut NameCounts) -> &mut u32,
    ) -> u32 {
        if len == 0 {
            return NONE;
        }
        let next = self.names.len() as u32;
        let id = *self
            .name_ids
            .entry(fx(&self.arena[start..start + len]))
            .or_insert(next);
        if id == next {
            self.names.push(NameCounts::default());
        }
        *field(&mut self.names[id as usize]) += 1;
        id
    }

    /// How many records hold the given names and the family name of record `i`, in each
    /// field (zero for a missing name).
    pub(crate) fn name_counts(&self, i: u32) -> [NameCounts; 2] {
        let r = &self.recs[i as usize];
        let of = |id: u32| {
            if id == NONE {
                NameCounts::default()
            } else {
                self.names[id as usize]
            }
        };
        [of(r.given_name), of(r.family_name)]
    }

    /// Gives back the room the loading left spare (a dataset loaded by `push` alone holds up
    /// to twice what it needs).
    pub fn finish(&mut self) {
        self.tokens.shrink_to_fit();
        self.chars.shrink_to_fit();
        self.group_ids.shrink_to_fit();
        self.arena.shrink_to_fit();
        self.recs.shrink_to_fit();
        self.names.shrink_to_fit();
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
        token_text(&self.chars, &self.tokens[token as usize])
    }

    /// The first character of a token, read from the token's own entry when it is ASCII
    /// (most folded names) instead of from its text.
    pub(crate) fn initial(&self, token: u32) -> Option<char> {
        let info = &self.tokens[token as usize];
        if info.text_len == 0 {
            None
        } else if info.first.is_ascii() {
            Some(char::from(info.first))
        } else {
            self.text(token).chars().next()
        }
    }

    pub(crate) fn text_len(&self, token: u32) -> usize {
        self.tokens[token as usize].text_len as usize
    }

    pub(crate) fn phonetic(&self, token: u32) -> &str {
        let t = &self.tokens[token as usize];
        let at = t.at as usize + t.text_len as usize;
        &self.chars[at..at + t.phonetic_len as usize]
    }

    pub(crate) fn same_code(&self, a: u32, b: u32) -> bool {
        self.tokens[a as usize].code == self.tokens[b as usize].code
    }

    fn groups(&self, token: u32) -> &[u32] {
        let t = &self.tokens[token as usize];
        let at = t.groups_at as usize;
        &self.group_ids[at..at + t.groups_len as usize]
    }

    pub(crate) fn same_group(&self, a: u32, b: u32) -> bool {
        let (ta, tb) = (&self.tokens[a as usize], &self.tokens[b as usize]);
        if ta.groups_len == 0 || tb.groups_len == 0 {
            // Most names are in no group.
            return false;
        }
        let (ga, gb) = (self.groups(a), self.groups(b));
        ga.iter().any(|g| gb.contains(g))
    }

    pub(crate) fn dob(&self, i: u32) -> Option<Dob> {
        Dob::unpack(self.recs[i as usize].dob)
    }
}

fn token_text<'a>(chars: &'a str, t: &TokenInfo) -> &'a str {
    &chars[t.at as usize..t.at as usize + t.text_len as usize]
}

/// `text` cut to at most `u16::MAX` bytes, at a character boundary.
fn clip(text: &str) -> &str {
    let mut end = text.len().min(u16::MAX as usize);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Records the crate's tests share.
#[cfg(test)]
pub(crate) mod fixtures {
    use super::Record;

    /// A record with every value.
    pub(crate) const FATIMA: Record<'static> = Record {
        given_names: "Fatima",
        family_name: "Mohammed",
        date_of_birth: "1990-11-05",
        sex: "F",
        address: "12 Station Road",
        town: "Leeds",
        postcode: "LS1 4AB",
    };

    /// A record of seven texts, in [`Record`]'s order (given names, family name, date of birth,
    /// sex, address, town, postcode): what the property tests generate.
    pub(crate) fn view(v: &[String; 7]) -> Record<'_> {
        Record {
            given_names: &v[0],
            family_name: &v[1],
            date_of_birth: &v[2],
            sex: &v[3],
            address: &v[4],
            town: &v[5],
            postcode: &v[6],
        }
    }

    /// [`FATIMA`]'s sex and address with other names and date of birth.
    pub(crate) fn person<'a>(given: &'a str, family: &'a str, dob: &'a str) -> Record<'a> {
        Record {
            given_names: given,
            family_name: family,
            date_of_birth: dob,
            ..FATIMA
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tokens_initial_is_the_first_character_of_its_text() {
        let mut ds = Dataset::new();
        for word in [
            "zhang", "a", "đặng", "ımran", "łukasz", "ßa", "张伟", "o'neil", "9",
        ] {
            let t = ds.intern_for_test(word);
            assert_eq!(ds.initial(t), word.chars().next(), "{word}");
        }
    }

    #[test]
    fn a_names_counts_are_its_holders_in_each_field_at_every_record_after_a_compaction_too() {
        use fixtures::person;
        let people = [
            person("Fatima", "Mohammed", ""),
            person("Mohammed", "Ali", ""),
            person("Ali", "Mohammed", ""),
            person("Fatima", "", ""),
            person("Mary Ann", "Ali", ""),
            person("", "Mary Ann", ""),
        ];
        let counts = |ds: &Dataset| -> Vec<[(u32, u32); 2]> {
            (0..ds.len() as u32)
                .map(|i| ds.name_counts(i).map(|c| (c.given, c.family)))
                .collect()
        };
        let expected = vec![
            // Fatima: 2 given, 0 family; Mohammed: 1 given, 2 family.
            [(2, 0), (1, 2)],
            // Mohammed; Ali: 1 given, 2 family.
            [(1, 2), (1, 2)],
            [(1, 2), (1, 2)],
            // No family name: nothing counted for it.
            [(2, 0), (0, 0)],
            // Mary Ann (both tokens, in order): 1 given, 1 family.
            [(1, 1), (1, 2)],
            [(0, 0), (1, 1)],
        ];
        let mut all = Dataset::new();
        for p in &people {
            all.push(p);
        }
        assert_eq!(counts(&all), expected);
        // Given back and rebuilt by a push after it: the same counts, and the new holder counted.
        let mut compacted = Dataset::new();
        for p in &people[..4] {
            compacted.push(p);
        }
        compacted.compact();
        for p in &people[4..] {
            compacted.push(p);
        }
        assert_eq!(counts(&compacted), expected);
        compacted.push(&person("Fatima", "Ali", ""));
        assert_eq!(compacted.name_counts(0)[0].given, 3);
        assert_eq!(compacted.name_counts(1)[1].family, 3);
    }
}
