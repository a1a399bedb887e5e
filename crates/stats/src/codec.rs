//! A case's fact in a few dozen bytes, for the statistics read model: the store keeps each
//! case's folded fact so a request reads rows instead of folding every case's events again.
//!
//! Every category is written as a small code fixed here (a `match`, so a new variant does not
//! compile until it has one); a police force area as its place in
//! [`POLICE_FORCE_AREAS`], a country as its two letters. [`format`] names the layout: it
//! changes with [`LAYOUT`] and with the list of police force areas, and a row written in any
//! other format is folded again from the events, never misread.

use std::collections::HashMap;
use std::sync::OnceLock;

use chrono::NaiveDate;
use nrm_domain::event::{CompetentAuthority, DisqualificationGround, Outcome};
use nrm_domain::exploitation::LocationClass;
use nrm_domain::geography::{Country, POLICE_FORCE_AREAS, PoliceForceArea, UkNation};
use nrm_domain::submission::{AgeAtExploitation, FirstResponderType, Gender};

use crate::facts::{
    DecisionFact, DisqualificationFact, Fact, Kind, Nationality, ReconsiderationFact, Stage,
    TypeSet,
};

/// The layout's own version: bump it whenever [`encode`] writes anything differently.
pub const LAYOUT: u32 = 1;

/// The format a row is written in: [`LAYOUT`] and the police force areas' codes, hashed
/// (FNV-1a), so reordering that list also retires every row written before.
pub fn format() -> i64 {
    static FORMAT: OnceLock<i64> = OnceLock::new();
    *FORMAT.get_or_init(|| {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |bytes: &[u8]| {
            for b in bytes {
                hash ^= u64::from(*b);
                hash = hash.wrapping_mul(0x0100_0000_01b3);
            }
        };
        eat(&LAYOUT.to_le_bytes());
        for (code, _, _) in POLICE_FORCE_AREAS {
            eat(code.as_bytes());
            eat(&[0]);
        }
        // A positive 63-bit number, so it is the same in every database's integer column.
        i64::try_from(hash >> 1).unwrap_or(0)
    })
}

/// A case's fact (or that it has none: not referred by then) as bytes.
pub fn encode(fact: Option<&Fact>) -> Vec<u8> {
    let Some(f) = fact else {
        return vec![0];
    };
    let mut out = Vec::with_capacity(32 + 8 * f.decisions.len());
    out.push(1);
    out.push(match f.kind {
        Kind::Referral => 0,
        Kind::DutyToNotify => 1,
    });
    day(&mut out, f.referred_on);
    out.push(match f.age {
        AgeAtExploitation::Adult => 0,
        AgeAtExploitation::Child => 1,
        AgeAtExploitation::NotKnown => 2,
    });
    out.push(match f.gender {
        Gender::Female => 0,
        Gender::Male => 1,
        Gender::Other => 2,
        Gender::NotKnown => 3,
    });
    match f.nationality {
        Nationality::NotKnown => out.push(0),
        Nationality::Single(c) => {
            out.push(1);
            let code = c.code();
            let b = code.as_bytes();
            out.extend_from_slice(&[
                b.first().copied().unwrap_or(0),
                b.get(1).copied().unwrap_or(0),
            ]);
        }
        Nationality::Multiple => out.push(2),
    }
    out.push(f.exploitation.0);
    out.push(u8::from(f.county_lines));
    out.push(match f.location {
        LocationClass::UkOnly => 0,
        LocationClass::OverseasOnly => 1,
        LocationClass::UkAndOverseas => 2,
        LocationClass::NotSpecified => 3,
    });
    out.push(
        f.police_force_area
            .and_then(|a| {
                POLICE_FORCE_AREAS
                    .iter()
                    .position(|(c, _, _)| *c == a.code())
            })
            .and_then(|i| u8::try_from(i).ok())
            .unwrap_or(NONE),
    );
    out.push(f.nation.map_or(NONE, |n| match n {
        UkNation::England => 0,
        UkNation::Wales => 1,
        UkNation::Scotland => 2,
        UkNation::NorthernIreland => 3,
    }));
    out.push(match f.first_responder {
        FirstResponderType::Police => 0,
        FirstResponderType::LocalAuthority => 1,
        FirstResponderType::GovernmentAgency => 2,
        FirstResponderType::NonGovernmentalOrganisation => 3,
    });
    out.push(f.authority.map_or(NONE, authority));
    count(&mut out, f.decisions.len());
    for d in &f.decisions {
        out.push(stage(d.stage));
        day(&mut out, d.decided_on);
        out.push(match d.outcome {
            Outcome::Positive => 0,
            Outcome::Negative => 1,
        });
        out.push(authority(d.authority));
        out.push(u8::from(d.first));
    }
    count(&mut out, f.reconsiderations.len());
    for r in &f.reconsiderations {
        out.push(stage(r.stage));
        day(&mut out, r.requested_on);
        match r.decided {
            None => out.push(0),
            Some((on, accepted)) => {
                out.push(if accepted { 2 } else { 1 });
                day(&mut out, on);
            }
        }
    }
    count(&mut out, f.disqualifications.len());
    for d in &f.disqualifications {
        day(&mut out, d.decided_on);
        out.push(match d.ground {
            DisqualificationGround::PublicOrder => 0,
            DisqualificationGround::BadFaith => 1,
        });
        out.push(authority(d.authority));
    }
    out
}

/// "None" in a one-byte optional code.
const NONE: u8 = u8::MAX;

fn day(out: &mut Vec<u8>, d: NaiveDate) {
    out.extend_from_slice(&d.to_epoch_days().to_le_bytes());
}

/// Lists longer than 255 are cut at 255 entries; no case has more than a handful, and a
/// longer one would be folded again (see [`Decoder::decode`]'s length check) rather than
/// misread, because [`encode`] writes the count it wrote.
fn count(out: &mut Vec<u8>, n: usize) {
    out.push(u8::try_from(n).unwrap_or(u8::MAX));
}

fn stage(s: Stage) -> u8 {
    match s {
        Stage::ReasonableGrounds => 0,
        Stage::ConclusiveGrounds => 1,
    }
}

fn authority(a: CompetentAuthority) -> u8 {
    match a {
        CompetentAuthority::Sca => 0,
        CompetentAuthority::Ieca => 1,
        CompetentAuthority::LocalAuthorityPanel => 2,
    }
}

/// Reads rows back; it remembers the countries it has met, so a million rows parse each
/// country code once.
#[derive(Debug, Default)]
pub struct Decoder {
    countries: HashMap<[u8; 2], Country>,
}

impl Decoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// The fact a row holds (`Some(None)`: the case had none), or `None` when the bytes are
    /// not a row of this format (the caller folds the case again).
    pub fn decode(&mut self, bytes: &[u8]) -> Option<Option<Fact>> {
        let mut r = Reader { bytes, at: 0 };
        let fact = match r.u8()? {
            0 => None,
            1 => Some(self.fact(&mut r)?),
            _ => return None,
        };
        (r.at == bytes.len()).then_some(fact)
    }

    fn fact(&mut self, r: &mut Reader<'_>) -> Option<Fact> {
        let kind = match r.u8()? {
            0 => Kind::Referral,
            1 => Kind::DutyToNotify,
            _ => return None,
        };
        let referred_on = r.day()?;
        let age = match r.u8()? {
            0 => AgeAtExploitation::Adult,
            1 => AgeAtExploitation::Child,
            2 => AgeAtExploitation::NotKnown,
            _ => return None,
        };
        let gender = match r.u8()? {
            0 => Gender::Female,
            1 => Gender::Male,
            2 => Gender::Other,
            3 => Gender::NotKnown,
            _ => return None,
        };
        let nationality = match r.u8()? {
            0 => Nationality::NotKnown,
            1 => {
                let code = [r.u8()?, r.u8()?];
                Nationality::Single(self.country(code)?)
            }
            2 => Nationality::Multiple,
            _ => return None,
        };
        let exploitation = TypeSet(r.u8()?);
        let county_lines = flag(r.u8()?)?;
        let location = match r.u8()? {
            0 => LocationClass::UkOnly,
            1 => LocationClass::OverseasOnly,
            2 => LocationClass::UkAndOverseas,
            3 => LocationClass::NotSpecified,
            _ => return None,
        };
        let police_force_area = match r.u8()? {
            NONE => None,
            i => Some(PoliceForceArea::all().nth(usize::from(i))?),
        };
        let nation = match r.u8()? {
            NONE => None,
            0 => Some(UkNation::England),
            1 => Some(UkNation::Wales),
            2 => Some(UkNation::Scotland),
            3 => Some(UkNation::NorthernIreland),
            _ => return None,
        };
        let first_responder = match r.u8()? {
            0 => FirstResponderType::Police,
            1 => FirstResponderType::LocalAuthority,
            2 => FirstResponderType::GovernmentAgency,
            3 => FirstResponderType::NonGovernmentalOrganisation,
            _ => return None,
        };
        let authority = match r.u8()? {
            NONE => None,
            a => Some(read_authority(a)?),
        };
        let mut decisions = Vec::with_capacity(usize::from(r.peek()?));
        for _ in 0..r.u8()? {
            decisions.push(DecisionFact {
                stage: read_stage(r.u8()?)?,
                decided_on: r.day()?,
                outcome: match r.u8()? {
                    0 => Outcome::Positive,
                    1 => Outcome::Negative,
                    _ => return None,
                },
                authority: read_authority(r.u8()?)?,
                first: flag(r.u8()?)?,
            });
        }
        let mut reconsiderations = Vec::new();
        for _ in 0..r.u8()? {
            let stage = read_stage(r.u8()?)?;
            let requested_on = r.day()?;
            let decided = match r.u8()? {
                0 => None,
                1 => Some((r.day()?, false)),
                2 => Some((r.day()?, true)),
                _ => return None,
            };
            reconsiderations.push(ReconsiderationFact {
                stage,
                requested_on,
                decided,
            });
        }
        let mut disqualifications = Vec::new();
        for _ in 0..r.u8()? {
            disqualifications.push(DisqualificationFact {
                decided_on: r.day()?,
                ground: match r.u8()? {
                    0 => DisqualificationGround::PublicOrder,
                    1 => DisqualificationGround::BadFaith,
                    _ => return None,
                },
                authority: read_authority(r.u8()?)?,
            });
        }
        Some(Fact {
            kind,
            referred_on,
            age,
            gender,
            nationality,
            exploitation,
            county_lines,
            location,
            police_force_area,
            nation,
            first_responder,
            authority,
            decisions,
            reconsiderations,
            disqualifications,
        })
    }

    fn country(&mut self, code: [u8; 2]) -> Option<Country> {
        if let Some(c) = self.countries.get(&code) {
            return Some(*c);
        }
        // Only the upper-case letters `encode` writes ("gb" would parse, but is not a row).
        if !code.iter().all(u8::is_ascii_uppercase) {
            return None;
        }
        let c = Country::parse(std::str::from_utf8(&code).ok()?).ok()?;
        self.countries.insert(code, c);
        Some(c)
    }
}

fn flag(b: u8) -> Option<bool> {
    match b {
        0 => Some(false),
        1 => Some(true),
        _ => None,
    }
}

fn read_stage(b: u8) -> Option<Stage> {
    match b {
        0 => Some(Stage::ReasonableGrounds),
        1 => Some(Stage::ConclusiveGrounds),
        _ => None,
    }
}

fn read_authority(b: u8) -> Option<CompetentAuthority> {
    match b {
        0 => Some(CompetentAuthority::Sca),
        1 => Some(CompetentAuthority::Ieca),
        2 => Some(CompetentAuthority::LocalAuthorityPanel),
        _ => None,
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn u8(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.at += 1;
        Some(b)
    }

    fn day(&mut self) -> Option<NaiveDate> {
        let b = self.bytes.get(self.at..self.at + 4)?;
        self.at += 4;
        NaiveDate::from_epoch_days(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}
