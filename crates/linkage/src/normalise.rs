//! Normalisation of free text (case, accents, punctuation, whitespace) and a phonetic code
//! that folds the usual transliteration variants together.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Folds a value for comparison: accents and other diacritics removed (NFD, combining marks
/// dropped, and the letters NFD does not split spelled out: ß, æ, œ, ø, ł, đ, ð, þ, ı),
/// lower case, apostrophes removed (O'Brien, N'Diaye), every other non-alphanumeric character
/// a space, runs of whitespace collapsed, no leading or trailing space.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    fold_into(s, &mut out);
    out
}

/// [`fold`], written in place of what `out` held (its room is reused).
pub fn fold_into(s: &str, out: &mut String) {
    out.clear();
    let mut pending_space = false;
    let push = |out: &mut String, c: char, pending: &mut bool| {
        if *pending && !out.is_empty() {
            out.push(' ');
        }
        *pending = false;
        out.push(c);
    };
    let mut each = |c: char, out: &mut String| {
        if c.is_ascii() {
            if c.is_ascii_alphanumeric() {
                push(out, c.to_ascii_lowercase(), &mut pending_space);
            } else if c != '\'' && c != '`' {
                pending_space = true;
            }
            return;
        }
        if is_combining_mark(c) {
            return;
        }
        let spelled: &str = match c {
            'ß' => "ss",
            'æ' | 'Æ' => "ae",
            'œ' | 'Œ' => "oe",
            'ø' | 'Ø' => "o",
            'ł' | 'Ł' => "l",
            'đ' | 'Đ' | 'ð' | 'Ð' => "d",
            'þ' | 'Þ' => "th",
            'ı' => "i",
            'ħ' | 'Ħ' => "h",
            '\u{2019}' | '\u{2018}' | '\u{02bc}' | '\u{02bb}' | '\u{02be}' | '\u{02bf}' => "",
            _ => {
                if c.is_alphanumeric() {
                    for l in c.to_lowercase() {
                        push(out, l, &mut pending_space);
                    }
                } else {
                    pending_space = true;
                }
                return;
            }
        };
        for l in spelled.chars() {
            push(out, l, &mut pending_space);
        }
    };
    if s.is_ascii() {
        for c in s.chars() {
            each(c, out);
        }
    } else {
        for c in s.nfd() {
            each(c, out);
        }
    }
}

/// A phonetic code of one folded name token: the consonant skeleton after folding the
/// digraphs and letters that romanisations of the same name disagree on.
///
/// Why not Soundex or Double Metaphone: both encode English spelling rules. The names that
/// matter here are mostly romanised from Arabic, Tigrinya, Vietnamese, Albanian, Chinese and
/// Cyrillic scripts, where the vowels are what varies most (Mohammed, Muhammad, Mohamed;
/// Hussein, Husain, Hossain; Yusuf, Yousef) together with a few consonant spellings (kh/h,
/// dh/d, th/t, ph/f, q/k, c/k, j/y, w/v, z/s, x/s, doubled letters). The code keeps the first
/// letter (any initial vowel becomes `a`), folds those digraphs, drops the other vowels and
/// every `h` after the first letter, and collapses repeats. It is deliberately coarse: it is one level of
/// a comparison and a blocking key, never a match on its own.
pub fn phonetic(token: &str) -> String {
    let b: Vec<u8> = token.bytes().filter(|c| c.is_ascii_alphabetic()).collect();
    let mut out = String::with_capacity(b.len());
    if b.is_empty() {
        // Non-Latin script or digits: the token itself is the code.
        return token.to_owned();
    }
    let is_vowel = |c: u8| matches!(c, b'a' | b'e' | b'i' | b'o' | b'u' | b'y');
    let mut i = 0;
    let mut last: u8 = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied().unwrap_or(0);
        let (code, used): (u8, usize) = match (c, next) {
            (b'p', b'h') => (b'f', 2),
            (b'k', b'h') => (b'h', 2),
            (b'g', b'h') => (b'g', 2),
            (b'd', b'h') => (b'd', 2),
            (b't', b'h') => (b't', 2),
            (b's', b'h') | (b'c', b'h') | (b'z', b'h') | (b't', b'c') => (b'x', 2),
            (b'c', b'k') => (b'k', 2),
            (b'c', b'e') | (b'c', b'i') | (b'c', b'y') => (b's', 1),
            (b'c', _) | (b'q', _) => (b'k', 1),
            (b'x', _) if i == 0 => (b's', 1),
            (b'x', _) => (b'k', 1),
            (b'z', _) => (b's', 1),
            (b'j', _) => (b'y', 1),
            (b'w', _) => (b'v', 1),
            _ => (c, 1),
        };
        if i == 0 {
            let first = if is_vowel(code) && code != b'y' {
                b'a'
            } else {
                code
            };
            out.push(first as char);
            last = first;
        } else if is_vowel(code) {
            last = 0;
        } else if code == b'h' {
            // Silent or dropped in many romanisations (Mohammed/Moamed, John/Jon).
        } else if code != last {
            out.push(code as char);
            last = code;
        }
        i += used;
    }
    out
}

/// A postcode without spaces or punctuation, upper case.
pub fn postcode(s: &str) -> String {
    let mut out = String::new();
    postcode_into(s, &mut out);
    out
}

/// [`postcode`], written in place of what `out` held.
pub fn postcode_into(s: &str, out: &mut String) {
    out.clear();
    out.extend(
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_uppercase()),
    );
}

/// The district of a normalised postcode: the UK outward code (all but the last three
/// characters, `SW1A1AA` -> `SW1A`) for UK-shaped postcodes; for others (digits only) all
/// but the last digit.
pub fn postcode_district(pc: &str) -> &str {
    let b = pc.as_bytes();
    let n = b.len();
    if n >= 5
        && b[n - 3].is_ascii_digit()
        && b[n - 2].is_ascii_alphabetic()
        && b[n - 1].is_ascii_alphabetic()
    {
        &pc[..n - 3]
    } else if n >= 2 {
        &pc[..n - 1]
    } else {
        pc
    }
}

/// A date of birth as year, month and day; `0` in month and day when only the year is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Dob {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl Dob {
    /// Parses `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYYMMDD` or `YYYY` (a year alone is taken as the
    /// usual estimate, 1 January). A month over 12 with a day of 12 or less is read as a
    /// day/month swap. Anything else (empty, unparseable, impossible) is unknown: `None`.
    pub fn parse(s: &str) -> Option<Dob> {
        let digits: Vec<u32> = s
            .trim()
            .split(|c: char| !c.is_ascii_digit())
            .filter(|p| !p.is_empty())
            .map(|p| p.parse::<u32>().ok())
            .collect::<Option<Vec<_>>>()?;
        let (y, m, d) = match digits.as_slice() {
            [ymd] if s.trim().len() == 8 => (ymd / 10000, ymd / 100 % 100, ymd % 100),
            [y] if s.trim().len() == 4 => (*y, 1, 1),
            [y, m, d] if *y >= 1000 => (*y, *m, *d),
            _ => return None,
        };
        let (m, d) = if m > 12 && d <= 12 { (d, m) } else { (m, d) };
        if !(1850..=2200).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
            return None;
        }
        Some(Dob {
            year: y as u16,
            month: m as u8,
            day: d as u8,
        })
    }

    /// Packed into 32 bits, never zero.
    pub fn pack(self) -> u32 {
        (u32::from(self.year) << 9) | (u32::from(self.month) << 5) | u32::from(self.day)
    }

    pub fn unpack(v: u32) -> Option<Dob> {
        (v != 0).then_some(Dob {
            year: (v >> 9) as u16,
            month: ((v >> 5) & 15) as u8,
            day: (v & 31) as u8,
        })
    }

    /// 1 January: the date recorded when only the year (or an age) is known.
    pub fn is_estimate(self) -> bool {
        self.month == 1 && self.day == 1
    }
}

/// Sex as recorded: `Some(1)` male, `Some(2)` female, `None` when empty or anything else.
pub fn sex(s: &str) -> Option<u8> {
    match fold(s).as_str() {
        "m" | "male" | "man" | "boy" => Some(1),
        "f" | "female" | "woman" | "girl" => Some(2),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_accents_case_punctuation_and_spaces() {
        assert_eq!(fold("  Nguyễn   Thị-Hoa "), "nguyen thi hoa");
        assert_eq!(fold("O'Brien"), "obrien");
        assert_eq!(fold("ŁUKASZ Große"), "lukasz grosse");
        assert_eq!(fold("Çelik, Ömer"), "celik omer");
        assert_eq!(fold("Ștefan Țurcanu"), "stefan turcanu");
        assert_eq!(fold("ĐỖ"), "do");
        assert_eq!(fold(""), "");
    }

    #[test]
    fn phonetic_joins_transliteration_variants() {
        for group in [
            &["mohammed", "muhammad", "mohamed", "mohammad", "muhammed"][..],
            &["hussein", "husain", "hussain", "hossain"],
            &["yusuf", "yousef", "youssef", "jusuf"],
            &["gebremedhin", "ghebremedhin", "gebremedin"],
            &["nguyen", "ngyuen", "nguen"],
            &["ibrahim", "ebrahim"],
            &["khalid", "khaled"],
            &["tesfay", "tesfaye", "tesfai"],
        ] {
            let codes: Vec<String> = group.iter().map(|n| phonetic(n)).collect();
            assert!(
                codes.iter().all(|c| c == &codes[0]),
                "{group:?} -> {codes:?}"
            );
        }
        assert_ne!(phonetic("smith"), phonetic("jones"));
        assert_ne!(phonetic("ahmed"), phonetic("mohammed"));
    }

    #[test]
    fn postcodes_and_districts() {
        assert_eq!(postcode("sw1a 1aa"), "SW1A1AA");
        assert_eq!(postcode_district("SW1A1AA"), "SW1A");
        assert_eq!(postcode_district("B11AA"), "B1");
        assert_eq!(postcode_district("2615"), "261");
    }

    #[test]
    fn dates_in_the_accepted_forms() {
        let d = Dob {
            year: 1990,
            month: 3,
            day: 25,
        };
        assert_eq!(Dob::parse("1990-03-25"), Some(d));
        assert_eq!(Dob::parse("19900325"), Some(d));
        assert_eq!(Dob::parse("1990-25-03"), Some(d));
        assert_eq!(Dob::parse("1990").map(Dob::is_estimate), Some(true));
        assert_eq!(Dob::parse(""), None);
        assert_eq!(Dob::parse("1990-13-13"), None);
        assert_eq!(Dob::parse("not a date"), None);
        assert_eq!(Dob::unpack(d.pack()), Some(d));
    }

    #[test]
    fn sex_values() {
        assert_eq!(sex("F"), Some(2));
        assert_eq!(sex("male"), Some(1));
        assert_eq!(sex(""), None);
        assert_eq!(sex("unknown"), None);
    }
}
