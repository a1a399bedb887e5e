//! English and Welsh for the First Responder pages. Every message is one row holding both
//! languages, so a message cannot exist in one and be missing from the other. Casework pages
//! (decision makers' own tools) are in English only.

use std::collections::HashMap;
use std::sync::LazyLock;

/// A page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Cy,
}

impl Lang {
    /// The `lang` attribute value.
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Cy => "cy",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "en" => Some(Self::En),
            "cy" => Some(Self::Cy),
            _ => None,
        }
    }

    /// The other language, which the switch offers.
    pub fn other(self) -> Self {
        match self {
            Self::En => Self::Cy,
            Self::Cy => Self::En,
        }
    }

    /// The language's name in itself, for the switch.
    pub fn own_name(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::Cy => "Cymraeg",
        }
    }

    /// A date as the GOV.UK style writes it: 30 November 2026 (30 Tachwedd 2026).
    pub fn long_date(self, at: chrono::NaiveDate) -> String {
        use chrono::Datelike;
        const EN: [&str; 12] = [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ];
        const CY: [&str; 12] = [
            "Ionawr",
            "Chwefror",
            "Mawrth",
            "Ebrill",
            "Mai",
            "Mehefin",
            "Gorffennaf",
            "Awst",
            "Medi",
            "Hydref",
            "Tachwedd",
            "Rhagfyr",
        ];
        let month = (at.month0()) as usize;
        let name = match self {
            Lang::En => EN[month],
            Lang::Cy => CY[month],
        };
        format!("{} {name} {}", at.day(), at.year())
    }

    /// The message with this key. An unknown key is a programming error: debug builds panic
    /// (the page tests render every page), release builds show the key.
    pub fn t(self, key: &str) -> &'static str {
        match MESSAGES.get(key) {
            Some((en, cy)) => match self {
                Self::En => en,
                Self::Cy => cy,
            },
            None => {
                debug_assert!(false, "no message {key:?}");
                "?"
            }
        }
    }
}

static MESSAGES: LazyLock<HashMap<&'static str, (&'static str, &'static str)>> =
    LazyLock::new(|| {
        let mut map = HashMap::new();
        for (key, en, cy) in super::messages::ALL {
            let clash = map.insert(*key, (*en, *cy));
            debug_assert!(clash.is_none(), "message {key} is defined twice");
        }
        map
    });

#[cfg(test)]
mod tests {
    #[test]
    fn every_message_is_in_both_languages_and_keys_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for (key, en, cy) in super::super::messages::ALL {
            assert!(seen.insert(key), "{key} is defined twice");
            assert!(!en.trim().is_empty(), "{key} has no English");
            assert!(!cy.trim().is_empty(), "{key} has no Welsh");
        }
    }
}
