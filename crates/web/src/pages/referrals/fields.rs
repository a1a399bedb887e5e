//! Renders a journey's fields with the GOV.UK components: the answer given (or just typed),
//! its error message, and the page heading when the page asks one question.

use std::collections::BTreeMap;

use nrm_govuk::components::{
    CharacterCount, DateInput, DateInputItem, Fieldset, Hint, Input, Label, Legend, Radios,
    RadiosItem, Select, SelectItem, SummaryListAction, SummaryListCell, SummaryListRow, Textarea,
};

use crate::pages::countries;
use crate::pages::i18n::Lang;
use crate::pages::layout::Errors;
use crate::pages::referrals::journey::{Field, FieldKind};

fn first(values: &BTreeMap<String, Vec<String>>, name: &str) -> String {
    values
        .get(name)
        .and_then(|v| v.first())
        .cloned()
        .unwrap_or_default()
}

fn hint(lang: Lang, key: Option<&str>) -> Option<Hint> {
    key.map(|k| Hint {
        text: Some(lang.t(k).to_owned()),
        ..Hint::default()
    })
}

fn label(text: &str, heading: bool) -> Label {
    Label {
        text: Some(text.to_owned()),
        is_page_heading: heading,
        classes: heading.then(|| "govuk-label--l".to_owned()),
        ..Label::default()
    }
}

fn legend(text: &str, heading: bool) -> Fieldset {
    Fieldset {
        legend: Some(Legend {
            text: Some(text.to_owned()),
            is_page_heading: heading,
            classes: Some(
                if heading {
                    "govuk-fieldset__legend--l"
                } else {
                    "govuk-fieldset__legend--m"
                }
                .to_owned(),
            ),
            ..Legend::default()
        }),
        ..Fieldset::default()
    }
}

/// Radio buttons for `choices` (value, message key), with the current value checked.
// The arguments are the component's own options; a struct for them would repeat `Radios`.
#[allow(clippy::too_many_arguments)]
pub fn radios(
    name: &str,
    title: &str,
    heading: bool,
    choices: &[(&str, &str)],
    current: &str,
    hint_key: Option<&str>,
    errors: &Errors,
    lang: Lang,
) -> String {
    let inline = choices.len() == 2;
    Radios {
        name: Some(name.to_owned()),
        id_prefix: Some(name.to_owned()),
        fieldset: Some(legend(title, heading)),
        hint: hint(lang, hint_key),
        error_message: errors.message(name, lang),
        classes: inline.then(|| "govuk-radios--inline".to_owned()),
        items: choices
            .iter()
            .map(|(value, key)| {
                Some(RadiosItem {
                    value: Some((*value).to_owned()),
                    text: Some(lang.t(key).to_owned()),
                    checked: Some(*value == current),
                    ..RadiosItem::default()
                })
            })
            .collect(),
        ..Radios::default()
    }
    .to_string()
}

/// A country select with "not known" first.
pub fn country_select(
    name: &str,
    label_text: &str,
    heading: bool,
    current: &str,
    hint_key: Option<&str>,
    errors: &Errors,
    lang: Lang,
) -> String {
    let mut items = vec![
        SelectItem {
            value: Some(String::new()),
            text: Some(lang.t("choice.select").to_owned()),
            selected: Some(current.is_empty()),
            ..SelectItem::default()
        },
        SelectItem {
            value: Some("not_known".to_owned()),
            text: Some(lang.t("choice.not_known").to_owned()),
            selected: Some(current == "not_known"),
            ..SelectItem::default()
        },
    ];
    items.extend(countries::ALL.iter().map(|(code, name)| SelectItem {
        value: Some((*code).to_owned()),
        text: Some((*name).to_owned()),
        selected: Some(*code == current),
        ..SelectItem::default()
    }));
    Select {
        id: Some(name.to_owned()),
        name: Some(name.to_owned()),
        label: Some(label(label_text, heading)),
        hint: hint(lang, hint_key),
        error_message: errors.message(name, lang),
        items: items.into_iter().map(Some).collect(),
        ..Select::default()
    }
    .to_string()
}

/// One field of a question page.
pub fn render(
    field: &Field,
    values: &BTreeMap<String, Vec<String>>,
    errors: &Errors,
    lang: Lang,
    heading: bool,
) -> String {
    let name = field.name;
    let text = lang.t(field.label);
    match field.kind {
        FieldKind::Text {
            autocomplete,
            width,
            ..
        } => Input {
            id: Some(name.to_owned()),
            name: Some(name.to_owned()),
            value: Some(first(values, name)),
            label: Some(label(text, heading)),
            hint: hint(lang, field.hint),
            error_message: errors.message(name, lang),
            autocomplete: autocomplete.map(str::to_owned),
            spellcheck: Some(false),
            classes: width.map(str::to_owned),
            ..Input::default()
        }
        .to_string(),
        FieldKind::Lines => Textarea {
            id: Some(name.to_owned()),
            name: Some(name.to_owned()),
            rows: Some("3".to_owned()),
            value: Some(first(values, name)),
            label: Some(label(text, heading)),
            hint: hint(lang, field.hint),
            error_message: errors.message(name, lang),
            spellcheck: Some(false),
            ..Textarea::default()
        }
        .to_string(),
        FieldKind::LongText { max } => {
            // GOV.UK Frontend's script counts in English; give it the Welsh.
            let plural = |key: &str| -> BTreeMap<String, String> {
                ["zero", "one", "two", "few", "many", "other"]
                    .iter()
                    .map(|form| ((*form).to_owned(), lang.t(key).to_owned()))
                    .collect()
            };
            let welsh = lang == Lang::Cy;
            CharacterCount {
                id: Some(name.to_owned()),
                name: Some(name.to_owned()),
                rows: Some("12".to_owned()),
                maxlength: Some(max.to_string()),
                value: Some(first(values, name)),
                label: Some(label(text, heading)),
                hint: hint(lang, field.hint),
                error_message: errors.message(name, lang),
                characters_under_limit_text: welsh.then(|| plural("charcount.under")),
                characters_over_limit_text: welsh.then(|| plural("charcount.over")),
                characters_at_limit_text: welsh.then(|| lang.t("charcount.at").to_owned()),
                textarea_description_text: welsh
                    .then(|| lang.t("charcount.description").to_owned()),
                ..CharacterCount::default()
            }
            .to_string()
        }
        FieldKind::Date => {
            let parts = values.get(name).cloned().unwrap_or_default();
            let part = |i: usize| parts.get(i).cloned().unwrap_or_default();
            // GOV.UK's date pattern: highlight only the part at fault when one part is
            // missing or wrong, and all three when the date as a whole is.
            let at_fault = |suffix: &str| match errors.href_for(name) {
                None => false,
                Some(href) => {
                    let blank = |i: usize| part(i).trim().is_empty();
                    let whole = href.ends_with("-day") && (!blank(0) || (blank(1) && blank(2)));
                    whole || href == format!("{name}-{suffix}")
                }
            };
            let item = |suffix: &str, key: &str, i: usize, width: &str| DateInputItem {
                id: Some(format!("{name}-{suffix}")),
                name: Some(format!("{name}-{suffix}")),
                label: Some(lang.t(key).to_owned()),
                value: Some(part(i)),
                classes: Some(format!(
                    "{width}{}",
                    if at_fault(suffix) {
                        " govuk-input--error"
                    } else {
                        ""
                    }
                )),
                ..DateInputItem::default()
            };
            DateInput {
                id: Some(name.to_owned()),
                fieldset: Some(legend(text, heading)),
                hint: hint(lang, field.hint),
                error_message: errors.message(name, lang),
                items: vec![
                    Some(item("day", "date.day", 0, "govuk-input--width-2")),
                    Some(item("month", "date.month", 1, "govuk-input--width-2")),
                    Some(item("year", "date.year", 2, "govuk-input--width-4")),
                ],
                ..DateInput::default()
            }
            .to_string()
        }
        FieldKind::Radios(choices) => radios(
            name,
            text,
            heading,
            choices,
            &first(values, name),
            field.hint,
            errors,
            lang,
        ),
        FieldKind::Country => country_select(
            name,
            text,
            heading,
            &first(values, name),
            field.hint,
            errors,
            lang,
        ),
    }
}

/// A row of check-your-answers: the key, the value (HTML), and a change link if given.
pub fn row(lang: Lang, key: &str, value_html: &str, change: Option<String>) -> SummaryListRow {
    let row = SummaryListRow {
        key: SummaryListCell::text(key),
        value: SummaryListCell::html(value_html),
        ..SummaryListRow::default()
    };
    match change {
        Some(href) => row.with_action(SummaryListAction::link(
            href,
            lang.t("change"),
            key.to_lowercase(),
        )),
        None => row,
    }
}
