//! Where exploitation happened: UK nations, police force areas and overseas countries.
//!
//! Statistics are published by UK nation and police force area, and by overseas country of
//! exploitation, so these are closed lists rather than free text.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::calendar::Jurisdiction;

/// One of the four UK nations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UkNation {
    England,
    Wales,
    Scotland,
    NorthernIreland,
}

impl UkNation {
    /// The bank-holiday calendar that applies in this nation.
    pub fn jurisdiction(self) -> Jurisdiction {
        match self {
            Self::England | Self::Wales => Jurisdiction::EnglandAndWales,
            Self::Scotland => Jurisdiction::Scotland,
            Self::NorthernIreland => Jurisdiction::NorthernIreland,
        }
    }
}

/// A police force area (the 43 territorial forces of England and Wales, Police Scotland, the
/// PSNI) or British Transport Police, which covers the rail network across Great Britain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PoliceForceArea(u8);

/// `(code, name, nation)`; codes are stable slugs used in the API and in storage.
/// British Transport Police has no single nation; it is listed under England, where its
/// headquarters is, and statistics report it separately by code.
pub const POLICE_FORCE_AREAS: &[(&str, &str, UkNation)] = &[
    ("avon-and-somerset", "Avon and Somerset", UkNation::England),
    ("bedfordshire", "Bedfordshire", UkNation::England),
    ("cambridgeshire", "Cambridgeshire", UkNation::England),
    ("cheshire", "Cheshire", UkNation::England),
    ("city-of-london", "City of London", UkNation::England),
    ("cleveland", "Cleveland", UkNation::England),
    ("cumbria", "Cumbria", UkNation::England),
    ("derbyshire", "Derbyshire", UkNation::England),
    (
        "devon-and-cornwall",
        "Devon and Cornwall",
        UkNation::England,
    ),
    ("dorset", "Dorset", UkNation::England),
    ("durham", "Durham", UkNation::England),
    ("essex", "Essex", UkNation::England),
    ("gloucestershire", "Gloucestershire", UkNation::England),
    (
        "greater-manchester",
        "Greater Manchester",
        UkNation::England,
    ),
    (
        "hampshire",
        "Hampshire and Isle of Wight",
        UkNation::England,
    ),
    ("hertfordshire", "Hertfordshire", UkNation::England),
    ("humberside", "Humberside", UkNation::England),
    ("kent", "Kent", UkNation::England),
    ("lancashire", "Lancashire", UkNation::England),
    ("leicestershire", "Leicestershire", UkNation::England),
    ("lincolnshire", "Lincolnshire", UkNation::England),
    ("merseyside", "Merseyside", UkNation::England),
    ("metropolitan", "Metropolitan Police", UkNation::England),
    ("norfolk", "Norfolk", UkNation::England),
    ("north-yorkshire", "North Yorkshire", UkNation::England),
    ("northamptonshire", "Northamptonshire", UkNation::England),
    ("northumbria", "Northumbria", UkNation::England),
    ("nottinghamshire", "Nottinghamshire", UkNation::England),
    ("south-yorkshire", "South Yorkshire", UkNation::England),
    ("staffordshire", "Staffordshire", UkNation::England),
    ("suffolk", "Suffolk", UkNation::England),
    ("surrey", "Surrey", UkNation::England),
    ("sussex", "Sussex", UkNation::England),
    ("thames-valley", "Thames Valley", UkNation::England),
    ("warwickshire", "Warwickshire", UkNation::England),
    ("west-mercia", "West Mercia", UkNation::England),
    ("west-midlands", "West Midlands", UkNation::England),
    ("west-yorkshire", "West Yorkshire", UkNation::England),
    ("wiltshire", "Wiltshire", UkNation::England),
    ("dyfed-powys", "Dyfed-Powys", UkNation::Wales),
    ("gwent", "Gwent", UkNation::Wales),
    ("north-wales", "North Wales", UkNation::Wales),
    ("south-wales", "South Wales", UkNation::Wales),
    ("police-scotland", "Police Scotland", UkNation::Scotland),
    (
        "psni",
        "Police Service of Northern Ireland",
        UkNation::NorthernIreland,
    ),
    (
        "british-transport-police",
        "British Transport Police",
        UkNation::England,
    ),
];

impl PoliceForceArea {
    pub fn code(self) -> &'static str {
        self.entry().0
    }

    pub fn name(self) -> &'static str {
        self.entry().1
    }

    pub fn nation(self) -> UkNation {
        self.entry().2
    }

    fn entry(self) -> &'static (&'static str, &'static str, UkNation) {
        // The index only ever comes from `parse` or `all`, so it is always in range.
        &POLICE_FORCE_AREAS[usize::from(self.0) % POLICE_FORCE_AREAS.len()]
    }

    pub fn parse(code: &str) -> Option<Self> {
        POLICE_FORCE_AREAS
            .iter()
            .position(|(c, _, _)| *c == code)
            .and_then(|i| u8::try_from(i).ok())
            .map(Self)
    }

    pub fn all() -> impl Iterator<Item = Self> {
        (0..POLICE_FORCE_AREAS.len()).filter_map(|i| u8::try_from(i).ok().map(Self))
    }
}

/// The value is not a known police force area code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a known police force area code")]
pub struct UnknownPoliceForceArea;

impl TryFrom<String> for PoliceForceArea {
    type Error = UnknownPoliceForceArea;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value).ok_or(UnknownPoliceForceArea)
    }
}

impl From<PoliceForceArea> for String {
    fn from(value: PoliceForceArea) -> Self {
        value.code().to_owned()
    }
}

/// ISO 3166-1 alpha-2 codes of countries and territories, as used for nationality and for the
/// country where exploitation happened.
const ISO_3166_ALPHA_2: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL \
BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC \
EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU \
ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA \
MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE \
PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX \
SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA \
ZM ZW";

/// A country or territory by ISO 3166-1 alpha-2 code (plus `XK`, Kosovo, which UK statistics
/// list separately).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Country([u8; 2]);

/// The value is not a known ISO 3166-1 alpha-2 code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a known ISO 3166-1 alpha-2 country code")]
pub struct UnknownCountry;

impl Country {
    pub const UNITED_KINGDOM: Self = Self(*b"GB");

    pub fn parse(code: &str) -> Result<Self, UnknownCountry> {
        let upper = code.trim().to_ascii_uppercase();
        if upper.len() == 2 && ISO_3166_ALPHA_2.split(' ').any(|c| c == upper) {
            let b = upper.as_bytes();
            Ok(Self([b[0], b[1]]))
        } else {
            Err(UnknownCountry)
        }
    }

    pub fn code(self) -> String {
        self.0.iter().map(|b| char::from(*b)).collect()
    }
}

impl TryFrom<String> for Country {
    type Error = UnknownCountry;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Country> for String {
    fn from(value: Country) -> Self {
        value.code()
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn police_force_codes_are_unique_and_round_trip() {
        let mut codes: Vec<_> = POLICE_FORCE_AREAS.iter().map(|e| e.0).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), POLICE_FORCE_AREAS.len());
        for area in PoliceForceArea::all() {
            assert_eq!(PoliceForceArea::parse(area.code()), Some(area));
        }
        assert_eq!(
            PoliceForceArea::all()
                .filter(|a| a.nation() == UkNation::Wales)
                .count(),
            4
        );
    }

    #[test]
    fn countries_parse_case_insensitively_and_reject_unknown_codes() {
        assert_eq!(Country::parse("al").map(Country::code), Ok("AL".to_owned()));
        assert_eq!(Country::parse("UK"), Err(UnknownCountry));
        assert_eq!(Country::parse("GBR"), Err(UnknownCountry));
    }
}
