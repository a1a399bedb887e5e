//! A decision letter a child can understand (issue 13 item 4): plain words, short sentences,
//! in English or Welsh, for the child's social worker or guardian to share with them beside
//! the formal notice (which goes to the local authority, never to the child: `notice`). It
//! holds no personal data: the adult sharing it adds the child's name when they do.
//!
//! The Welsh wording is this service's own translation and should be checked by a Welsh
//! language officer before it is used with children. Reviewed against the English for the
//! same content sentence by sentence (a test holds each Welsh letter to its English one's
//! paragraphs and to saying "final" where the English does); still open for a Welsh speaker:
//! the register (it uses "chi" throughout; many children's materials in Welsh use "ti") and
//! whether "camfanteisio" is the word children's services use with children.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::event::{DecisionRef, Outcome};
use crate::rules::Rulebook;

/// The language of a letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Language {
    English,
    Welsh,
}

/// A letter for a child: a title and short paragraphs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChildLetter {
    pub title: String,
    pub paragraphs: Vec<String>,
}

const MONTHS_EN: [&str; 12] = [
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
const MONTHS_CY: [&str; 12] = [
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

fn date_in(language: Language, d: NaiveDate) -> String {
    let months = match language {
        Language::English => MONTHS_EN,
        Language::Welsh => MONTHS_CY,
    };
    let month = months
        .get(usize::try_from(d.month0()).unwrap_or(0))
        .copied()
        .unwrap_or_default();
    format!("{} {month} {}", d.day(), d.year())
}

/// The letter about a decision made on `decided_on`.
pub fn child_letter(
    decision: DecisionRef,
    outcome: Outcome,
    decided_on: NaiveDate,
    rules: &Rulebook,
    language: Language,
) -> ChildLetter {
    let on = date_in(language, decided_on);
    let earliest = date_in(language, rules.conclusive_grounds_earliest(decided_on));
    use DecisionRef as D;
    use Language as L;
    use Outcome as O;
    let (title, paragraphs): (&str, Vec<String>) = match (language, decision, outcome) {
        (L::English, D::ReasonableGrounds, O::Positive) => (
            "We believe you may have been harmed",
            vec![
                format!("On {on} we made a decision about what happened to you."),
                "We think someone may have used you or made you work for them. This is called exploitation.".to_owned(),
                "It was not your fault.".to_owned(),
                "You will keep getting help and support to keep you safe.".to_owned(),
                format!("We will look at your case again. We will not make our next decision before {earliest}."),
                "If you have questions, ask your social worker or guardian. They are there to help you.".to_owned(),
            ],
        ),
        (L::English, D::ReasonableGrounds, O::Negative) => (
            "Our decision about your case",
            vec![
                format!("On {on} we made a decision about what happened to you."),
                "We did not find enough to say that you were exploited.".to_owned(),
                "This does not mean we think you are not telling the truth.".to_owned(),
                "Your social worker will still help you and keep you safe.".to_owned(),
                "If you or the adults helping you think we got it wrong, they can ask us to look again.".to_owned(),
                "If you have questions, ask your social worker or guardian.".to_owned(),
            ],
        ),
        (L::English, D::ConclusiveGrounds, O::Positive) => (
            "We have made our final decision",
            vec![
                format!("On {on} we made our final decision about what happened to you."),
                "We decided that you were exploited. Someone used you or made you work for them.".to_owned(),
                "It was not your fault.".to_owned(),
                "The adults around you will keep helping you to be safe and well.".to_owned(),
                "If you have questions, ask your social worker or guardian.".to_owned(),
            ],
        ),
        (L::English, D::ConclusiveGrounds, O::Negative) => (
            "We have made our final decision",
            vec![
                format!("On {on} we made our final decision about what happened to you."),
                "We did not find enough to say that you were exploited.".to_owned(),
                "This does not mean we think you are not telling the truth.".to_owned(),
                "Your social worker will still help you and keep you safe.".to_owned(),
                "If you or the adults helping you think we got it wrong, they can ask us to look again.".to_owned(),
                "If you have questions, ask your social worker or guardian.".to_owned(),
            ],
        ),
        (L::Welsh, D::ReasonableGrounds, O::Positive) => (
            "Rydyn ni'n credu efallai eich bod wedi cael niwed",
            vec![
                format!("Ar {on} gwnaethon ni benderfyniad am beth ddigwyddodd i chi."),
                "Rydyn ni'n meddwl efallai fod rhywun wedi eich defnyddio neu wedi gwneud i chi weithio iddyn nhw. Camfanteisio yw'r enw ar hyn.".to_owned(),
                "Nid eich bai chi oedd hyn.".to_owned(),
                "Byddwch chi'n dal i gael help a chymorth i'ch cadw'n ddiogel.".to_owned(),
                format!("Byddwn ni'n edrych ar eich achos eto. Fyddwn ni ddim yn gwneud ein penderfyniad nesaf cyn {earliest}."),
                "Os oes gennych chi gwestiynau, gofynnwch i'ch gweithiwr cymdeithasol neu'ch gwarcheidwad. Maen nhw yno i'ch helpu chi.".to_owned(),
            ],
        ),
        (L::Welsh, _, O::Negative) => (
            match decision {
                D::ReasonableGrounds => "Ein penderfyniad am eich achos",
                D::ConclusiveGrounds => "Rydyn ni wedi gwneud ein penderfyniad terfynol",
            },
            vec![
                // As in English: the Conclusive Grounds letter says it is the final decision.
                match decision {
                    D::ReasonableGrounds => {
                        format!("Ar {on} gwnaethon ni benderfyniad am beth ddigwyddodd i chi.")
                    }
                    D::ConclusiveGrounds => format!(
                        "Ar {on} gwnaethon ni ein penderfyniad terfynol am beth ddigwyddodd i chi."
                    ),
                },
                "Wnaethon ni ddim dod o hyd i ddigon i ddweud bod rhywun wedi camfanteisio arnoch chi.".to_owned(),
                "Dydy hyn ddim yn golygu ein bod ni'n meddwl nad ydych chi'n dweud y gwir.".to_owned(),
                "Bydd eich gweithiwr cymdeithasol yn dal i'ch helpu a'ch cadw'n ddiogel.".to_owned(),
                "Os ydych chi neu'r oedolion sy'n eich helpu yn meddwl ein bod ni wedi gwneud camgymeriad, gallan nhw ofyn i ni edrych eto.".to_owned(),
                "Os oes gennych chi gwestiynau, gofynnwch i'ch gweithiwr cymdeithasol neu'ch gwarcheidwad.".to_owned(),
            ],
        ),
        (L::Welsh, D::ConclusiveGrounds, O::Positive) => (
            "Rydyn ni wedi gwneud ein penderfyniad terfynol",
            vec![
                format!("Ar {on} gwnaethon ni ein penderfyniad terfynol am beth ddigwyddodd i chi."),
                "Penderfynon ni fod rhywun wedi camfanteisio arnoch chi. Roedd rhywun wedi eich defnyddio neu wedi gwneud i chi weithio iddyn nhw.".to_owned(),
                "Nid eich bai chi oedd hyn.".to_owned(),
                "Bydd yr oedolion o'ch cwmpas yn dal i'ch helpu i fod yn ddiogel ac yn iach.".to_owned(),
                "Os oes gennych chi gwestiynau, gofynnwch i'ch gweithiwr cymdeithasol neu'ch gwarcheidwad.".to_owned(),
            ],
        ),
    };
    ChildLetter {
        title: title.to_owned(),
        paragraphs,
    }
}

/// The longest sentence in a letter, in words (plain-language check: short sentences).
pub fn longest_sentence_words(letter: &ChildLetter) -> usize {
    letter
        .paragraphs
        .iter()
        .flat_map(|p| p.split(['.', '?', '!']))
        .map(|s| s.split_whitespace().count())
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_letter_is_short_and_plain_in_both_languages() {
        let rules = Rulebook::current();
        let on = NaiveDate::from_ymd_opt(2024, 3, 5).unwrap_or_default();
        for language in [Language::English, Language::Welsh] {
            for decision in [
                DecisionRef::ReasonableGrounds,
                DecisionRef::ConclusiveGrounds,
            ] {
                for outcome in [Outcome::Positive, Outcome::Negative] {
                    let letter = child_letter(decision, outcome, on, &rules, language);
                    assert!(letter.paragraphs.len() >= 4);
                    assert!(
                        longest_sentence_words(&letter) <= 25,
                        "{language:?} {decision:?} {outcome:?}: {letter:?}"
                    );
                    let text = letter.paragraphs.join(" ");
                    for jargon in [
                        "Reasonable Grounds",
                        "Conclusive Grounds",
                        "NRM",
                        "competent authority",
                    ] {
                        assert!(!text.contains(jargon), "{jargon} in {text}");
                    }
                }
            }
        }
        let en = child_letter(
            DecisionRef::ReasonableGrounds,
            Outcome::Positive,
            on,
            &rules,
            Language::English,
        );
        assert!(en.paragraphs[0].contains("5 March 2024"));
        let cy = child_letter(
            DecisionRef::ReasonableGrounds,
            Outcome::Positive,
            on,
            &rules,
            Language::Welsh,
        );
        assert!(cy.paragraphs[0].contains("5 Mawrth 2024"));
        assert_ne!(en.title, cy.title);
    }

    #[test]
    fn each_welsh_letter_says_what_its_english_one_says() {
        let rules = Rulebook::current();
        let on = NaiveDate::from_ymd_opt(2024, 3, 5).unwrap_or_default();
        for decision in [
            DecisionRef::ReasonableGrounds,
            DecisionRef::ConclusiveGrounds,
        ] {
            for outcome in [Outcome::Positive, Outcome::Negative] {
                let en = child_letter(decision, outcome, on, &rules, Language::English);
                let cy = child_letter(decision, outcome, on, &rules, Language::Welsh);
                assert_eq!(
                    en.paragraphs.len(),
                    cy.paragraphs.len(),
                    "{decision:?} {outcome:?}"
                );
                // The final decision is called final in both languages, in its first line.
                let final_en = en.paragraphs[0].contains("final");
                let final_cy = cy.paragraphs[0].contains("terfynol");
                assert_eq!(final_en, decision == DecisionRef::ConclusiveGrounds);
                assert_eq!(final_en, final_cy, "{decision:?} {outcome:?}");
                // "Not your fault" wherever the English says it.
                assert_eq!(
                    en.paragraphs.iter().any(|p| p.contains("not your fault")),
                    cy.paragraphs.iter().any(|p| p.contains("Nid eich bai chi")),
                    "{decision:?} {outcome:?}"
                );
            }
        }
    }
}
