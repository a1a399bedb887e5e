//! Valid submissions for tests, with a canary string in every personal field so tests can
//! prove personal data never leaks into logs, events or error messages.

use chrono::NaiveDate;

use crate::exploitation::{
    Exploitation, ExploitationLocation, ExploitationPeriod, ExploitationType,
};
use crate::geography::{Country, PoliceForceArea, UkNation};
use crate::personal::PersonalDetails;
use crate::submission::{
    AdultConsent, AdultReferral, AgeAtExploitation, ChildReferral, DutyToNotify,
    FirstResponderDetails, FirstResponderType, Gender, Profile,
};

/// Appears in every personal field of these fixtures; must never appear outside the vault.
pub const CANARY: &str = "CANARY7Q3Z";

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

pub fn personal_details(date_of_birth: Option<NaiveDate>) -> PersonalDetails {
    PersonalDetails {
        given_names: format!("Given{CANARY}"),
        family_name: format!("Family{CANARY}"),
        other_names: vec![format!("Alias{CANARY}")],
        date_of_birth,
        languages: vec!["Albanian".to_owned()],
        interpreter_needed: true,
        contact: Some(format!("07700 900000 {CANARY}")),
        current_address: Some(format!("1 Safe Street {CANARY}")),
        other_references: vec![],
        narrative: format!("Account of exploitation {CANARY}"),
    }
}

pub fn exploitation(types: Vec<ExploitationType>) -> Exploitation {
    let county_lines = types.contains(&ExploitationType::Criminal);
    Exploitation {
        types,
        county_lines,
        location: ExploitationLocation {
            uk_nations: vec![UkNation::England],
            police_force_areas: PoliceForceArea::parse("west-midlands")
                .into_iter()
                .collect(),
            overseas_countries: Country::parse("AL").into_iter().collect(),
        },
        period: ExploitationPeriod {
            started_on: Some(date(2024, 3, 1)),
            ended_on: Some(date(2024, 9, 30)),
            ongoing: false,
        },
    }
}

fn profile() -> Profile {
    Profile {
        gender: Gender::Male,
        nationalities: Country::parse("AL").into_iter().collect(),
    }
}

pub fn adult_referral() -> AdultReferral {
    AdultReferral {
        victim: personal_details(Some(date(1995, 6, 15))),
        profile: profile(),
        consent: AdultConsent {
            referral_consent_given_on: date(2024, 10, 1),
            support_consent: true,
        },
        exploitation: exploitation(vec![ExploitationType::Labour]),
        first_responder: FirstResponderDetails {
            organisation_type: FirstResponderType::Police,
        },
        immigration_cohort: None,
        current_nation: None,
    }
}

pub fn child_referral() -> ChildReferral {
    ChildReferral {
        victim: personal_details(Some(date(2010, 2, 1))),
        profile: profile(),
        age_disputed: false,
        local_authority_notified: true,
        local_authority_area: None,
        exploitation: exploitation(vec![ExploitationType::Criminal]),
        first_responder: FirstResponderDetails {
            organisation_type: FirstResponderType::LocalAuthority,
        },
        immigration_cohort: None,
        current_nation: None,
    }
}

pub fn duty_to_notify() -> DutyToNotify {
    DutyToNotify {
        profile: profile(),
        age_at_exploitation: AgeAtExploitation::Adult,
        exploitation: exploitation(vec![ExploitationType::Sexual]),
        first_responder: FirstResponderDetails {
            organisation_type: FirstResponderType::Police,
        },
    }
}

/// Gives the victim a given and family name no other `n` gives (letters only, each syllable
/// unlike the next `n`'s), so person linkage sees a different person: for tests that make many
/// referrals and do not mean them to be one person referred again (NABA 2022 s62 then applies).
pub fn someone_else(victim: &mut PersonalDetails, n: u32) {
    const SYLLABLES: [&str; 26] = [
        "ba", "ce", "di", "fo", "gu", "ha", "je", "ki", "lo", "mu", "na", "pe", "qi", "ro", "su",
        "ta", "ve", "wi", "xo", "yu", "za", "bre", "cli", "dro", "flu", "gra",
    ];
    // The three syllables are the base-26 digits of `n` mixed so that each depends on the
    // lower ones too (an invertible map, so no two `n` below 26³ share a word): neighbouring
    // `n` then differ in every syllable, not just the first, and so do not read as one name
    // misspelt (which linkage, rightly, would join when the date of birth and address agree).
    let word = |n: u32, start: u32| {
        let digits = [n % 26, (n / 26) % 26, (n / 676) % 26];
        let mixed = [
            digits[0] + start,
            digits[0] * 5 + digits[1] + start,
            digits[0] * 11 + digits[1] * 7 + digits[2] + start,
        ];
        let out: String = mixed.iter().map(|m| SYLLABLES[(m % 26) as usize]).collect();
        let mut chars = out.chars();
        chars
            .next()
            .map(|c| c.to_uppercase().chain(chars).collect())
            .unwrap_or_default()
    };
    victim.given_names = word(n, 7);
    victim.family_name = word(n, 13);
    victim.other_names = Vec::new();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: u32) -> (String, String) {
        let mut victim = adult_referral().victim;
        someone_else(&mut victim, n);
        (victim.given_names, victim.family_name)
    }

    #[test]
    fn someone_else_gives_each_n_its_own_names_unlike_its_neighbours() {
        let mut seen = std::collections::HashSet::new();
        for n in 0..26 * 26 * 26 {
            let (given, family) = names(n);
            assert!(seen.insert(given.clone()), "{n}: given name repeated");
            let (next, _) = names(n + 1);
            // No syllable in the same place: the first two letters and the last two differ.
            assert_ne!(given[..2].to_lowercase(), next[..2].to_lowercase(), "{n}");
            assert_ne!(given[given.len() - 2..], next[next.len() - 2..], "{n}");
            assert_ne!(given, family, "{n}");
        }
    }
}
