//! Case references: what a First Responder reads out on the phone or types into an email.
//!
//! Form: `NRM-2026-K7M3-QX9D` (a referral) or `DTN-2026-...` (a Duty to Notify report). The
//! year is the year of submission; the eight characters are Crockford base32 (no I, L, O or U,
//! so nothing can be misread as 1 or 0): seven random characters and a check character that
//! catches any single mistyped character and most swaps. References are random rather than
//! sequential so they do not disclose how many referrals have been made.
//!
//! The domain does not draw random numbers; the caller passes the 35 random bits in.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Which kind of record the reference names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReferenceKind {
    /// An NRM referral, adult or child.
    Referral,
    /// An anonymous Duty to Notify report.
    DutyToNotify,
}

impl ReferenceKind {
    fn prefix(self) -> &'static str {
        match self {
            Self::Referral => "NRM",
            Self::DutyToNotify => "DTN",
        }
    }
}

/// A readable, checkable case reference.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CaseReference(String);

/// Why a string is not a case reference.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a case reference looks like NRM-2026-K7M3-QX9D")]
pub struct InvalidReference;

impl CaseReference {
    /// Builds a reference from the submission year and 35 random bits (higher bits ignored).
    pub fn generate(kind: ReferenceKind, year: i32, random: u64) -> Self {
        let mut body = [0u8; 7];
        for (i, slot) in body.iter_mut().enumerate() {
            let shift = 5 * (6 - i);
            *slot = ((random >> shift) & 31) as u8;
        }
        let check = check_value(&body);
        let chars: String = body
            .iter()
            .chain(std::iter::once(&check))
            .map(|v| ALPHABET[usize::from(*v)] as char)
            .collect();
        Self(format!(
            "{}-{year:04}-{}-{}",
            kind.prefix(),
            &chars[..4],
            &chars[4..]
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn kind(&self) -> ReferenceKind {
        if self.0.starts_with("DTN") {
            ReferenceKind::DutyToNotify
        } else {
            ReferenceKind::Referral
        }
    }
}

/// Weighted sum modulo 32 with odd weights: odd weights are units modulo 32, so any single
/// changed character changes the check value; swapping two adjacent characters changes it unless
/// they differ by exactly 16.
fn check_value(body: &[u8; 7]) -> u8 {
    let sum: u32 = body
        .iter()
        .zip([1u32, 3, 5, 7, 9, 11, 13])
        .map(|(v, w)| u32::from(*v) * w)
        .sum();
    (sum % 32) as u8
}

fn decode(c: u8) -> Option<u8> {
    let c = c.to_ascii_uppercase();
    let c = match c {
        b'O' => b'0',
        b'I' | b'L' => b'1',
        other => other,
    };
    ALPHABET.iter().position(|a| *a == c).map(|p| p as u8)
}

impl FromStr for CaseReference {
    type Err = InvalidReference;

    /// Accepts lower case and the readable confusions (O for 0, I or L for 1) and returns the
    /// canonical form.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let mut parts = s.split('-');
        let (Some(prefix), Some(year), Some(a), Some(b), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(InvalidReference);
        };
        let kind = match prefix.to_ascii_uppercase().as_str() {
            "NRM" => ReferenceKind::Referral,
            "DTN" => ReferenceKind::DutyToNotify,
            _ => return Err(InvalidReference),
        };
        if year.len() != 4 || !year.bytes().all(|c| c.is_ascii_digit()) {
            return Err(InvalidReference);
        }
        if a.len() != 4 || b.len() != 4 {
            return Err(InvalidReference);
        }
        let mut values = [0u8; 8];
        for (slot, c) in values.iter_mut().zip(a.bytes().chain(b.bytes())) {
            *slot = decode(c).ok_or(InvalidReference)?;
        }
        let mut body = [0u8; 7];
        body.copy_from_slice(&values[..7]);
        if check_value(&body) != values[7] {
            return Err(InvalidReference);
        }
        let chars: String = values
            .iter()
            .map(|v| ALPHABET[usize::from(*v)] as char)
            .collect();
        Ok(Self(format!(
            "{}-{year}-{}-{}",
            kind.prefix(),
            &chars[..4],
            &chars[4..]
        )))
    }
}

impl TryFrom<String> for CaseReference {
    type Error = InvalidReference;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<CaseReference> for String {
    fn from(value: CaseReference) -> Self {
        value.0
    }
}

impl fmt::Display for CaseReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn generated_references_parse_back(random in any::<u64>(), year in 2009i32..2100) {
            let r = CaseReference::generate(ReferenceKind::Referral, year, random);
            prop_assert_eq!(r.as_str().parse::<CaseReference>(), Ok(r.clone()));
            let lower = r.as_str().to_ascii_lowercase();
            prop_assert_eq!(lower.parse::<CaseReference>(), Ok(r));
        }

        #[test]
        fn a_single_mistyped_character_is_caught(random in any::<u64>(), pos in 0usize..8, delta in 1u8..32) {
            let r = CaseReference::generate(ReferenceKind::DutyToNotify, 2026, random);
            let mut bytes = r.as_str().as_bytes().to_vec();
            let index = if pos < 4 { 9 + pos } else { 10 + pos };
            let old = decode(bytes[index]).unwrap_or(0);
            bytes[index] = ALPHABET[usize::from((old + delta) % 32)];
            let typo = String::from_utf8(bytes).unwrap_or_default();
            prop_assert!(typo.parse::<CaseReference>().is_err());
        }
    }

    #[test]
    fn rejects_other_shapes() {
        for bad in [
            "",
            "NRM",
            "NRM-2026-ABCD",
            "XYZ-2026-ABCD-EFGH",
            "NRM-26-ABCD-EFGH",
            "NRM-2026-AB!D-EFGH",
        ] {
            assert!(bad.parse::<CaseReference>().is_err(), "{bad}");
        }
    }
}
