//! What every page shares: the GOV.UK page template (`templates/layout.html`), the protective
//! marking, the header and service navigation, the language switch, the footer, page titles
//! in the GOV.UK pattern, and the error summary.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use nrm_access::{Principal, Role};
use nrm_govuk::assets;
use nrm_govuk::components::{
    BackLink, Button, ErrorMessage, ErrorSummary, ErrorSummaryItem, Footer, FooterContentLicence,
    FooterText, Header, PhaseBanner, ServiceNavigation, ServiceNavigationItem, SkipLink, Tag,
};

use crate::pages::areas::{Area, areas};
use crate::pages::i18n::Lang;

/// The signed-in person, as far as the header needs.
#[derive(Debug, Clone)]
pub struct Account {
    pub refers: bool,
    pub decides: bool,
    /// The parts of the service this person works in: their navigation.
    pub areas: Vec<Area>,
    pub form_token: String,
}

/// Whether this person makes referrals (the First Responder pages are theirs).
pub fn refers(principal: &Principal) -> bool {
    principal.roles.contains(&Role::FirstResponder)
}

/// Whether this person decides cases (the casework pages are theirs).
pub fn decides(principal: &Principal) -> bool {
    principal
        .roles
        .iter()
        .any(|r| matches!(r, Role::DecisionMaker | Role::CaManager))
}

/// The parts of every page that are not its content.
#[derive(Debug, Clone)]
pub struct Layout {
    pub lang: Lang,
    /// The page's own title (the `<h1>`, usually).
    pub title: String,
    /// The page shows errors: its title starts "Error: ".
    pub has_errors: bool,
    /// The path of this page, for the language switch to return to.
    pub path: String,
    pub account: Option<Account>,
    /// Whether this page is offered in Welsh too (the First Responder pages are).
    pub bilingual: bool,
    pub back: Option<String>,
    /// Which navigation item is current.
    pub section: Section,
}

/// The navigation sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Section {
    #[default]
    None,
    Referrals,
    Cases,
    Support,
    Statistics,
    Administration,
}

impl Section {
    /// The navigation item this section marks as current.
    fn area(self) -> Option<Area> {
        match self {
            Self::None => None,
            Self::Referrals => Some(Area::Referrals),
            Self::Cases => Some(Area::Cases),
            Self::Support => Some(Area::Support),
            Self::Statistics => Some(Area::Statistics),
            Self::Administration => Some(Area::Administration),
        }
    }
}

impl Layout {
    pub fn new(lang: Lang, title: impl Into<String>, path: &str) -> Self {
        Self {
            lang,
            title: title.into(),
            has_errors: false,
            path: path.to_owned(),
            account: None,
            bilingual: true,
            back: None,
            section: Section::None,
        }
    }

    /// Adds the signed-in person's navigation.
    pub fn signed_in(mut self, principal: &Principal, form_token: &str) -> Self {
        self.account = Some(Account {
            refers: refers(principal),
            decides: decides(principal),
            areas: areas(principal),
            form_token: form_token.to_owned(),
        });
        self
    }

    /// A casework page: English only.
    pub fn casework(mut self) -> Self {
        self.bilingual = false;
        self.lang = Lang::En;
        self.section = Section::Cases;
        self
    }

    pub fn back(mut self, href: impl Into<String>) -> Self {
        self.back = Some(href.into());
        self
    }

    pub fn section(mut self, section: Section) -> Self {
        self.section = section;
        self
    }

    pub fn errors(mut self, errors: &Errors) -> Self {
        self.has_errors = !errors.is_empty();
        self
    }

    pub fn t(&self, key: &str) -> &'static str {
        self.lang.t(key)
    }

    /// "Error: Title - Service - GOV.UK".
    pub fn full_title(&self) -> String {
        let mut title = String::new();
        if self.has_errors {
            title.push_str(self.t("error.prefix"));
            title.push_str(": ");
        }
        title.push_str(&self.title);
        title.push_str(" - ");
        title.push_str(self.service_name());
        title.push_str(" - ");
        title.push_str(self.t("title.suffix"));
        title
    }

    pub fn service_name(&self) -> &'static str {
        if self.section == Section::Cases {
            "NRM casework"
        } else {
            self.t("service.name")
        }
    }

    pub fn asset(&self, name: &str) -> &'static str {
        assets::url(name)
    }

    pub fn skip_link(&self) -> SkipLink {
        SkipLink {
            href: Some("#main-content".to_owned()),
            text: Some(self.t("skip").to_owned()),
            ..SkipLink::default()
        }
    }

    pub fn header(&self) -> Header {
        Header {
            homepage_url: Some("/".to_owned()),
            ..Header::default()
        }
    }

    pub fn service_navigation(&self) -> ServiceNavigation {
        let mut navigation = Vec::new();
        if let Some(account) = &self.account {
            for area in &account.areas {
                navigation.push(ServiceNavigationItem {
                    href: Some(area.href().to_owned()),
                    text: Some(self.t(area.nav_key()).to_owned()),
                    active: self.section.area() == Some(*area),
                    ..ServiceNavigationItem::default()
                });
            }
        }
        ServiceNavigation {
            menu_button_text: Some(self.t("nav.menu").to_owned()),
            navigation_label: Some(self.t("nav.label").to_owned()),
            service_name: Some(self.service_name().to_owned()),
            service_url: Some("/".to_owned()),
            navigation,
            ..ServiceNavigation::default()
        }
    }

    pub fn phase_banner(&self) -> PhaseBanner {
        PhaseBanner {
            tag: Some(Tag {
                text: Some(self.t("phase.tag").to_owned()),
                ..Tag::default()
            }),
            text: Some(self.t("phase.text").to_owned()),
            ..PhaseBanner::default()
        }
    }

    pub fn back_link(&self) -> Option<BackLink> {
        self.back.as_ref().map(|href| BackLink {
            href: Some(href.clone()),
            text: Some(self.t("back").to_owned()),
            classes: Some("nrm-no-print".to_owned()),
            ..BackLink::default()
        })
    }

    pub fn sign_out_button(&self) -> Button {
        Button {
            text: Some(self.t("nav.sign_out").to_owned()),
            classes: Some("govuk-button--secondary govuk-!-margin-bottom-0".to_owned()),
            ..Button::default()
        }
    }

    /// The link to this page in the other language.
    pub fn language_switch(&self) -> Option<(String, &'static str, &'static str)> {
        if !self.bilingual {
            return None;
        }
        let other = self.lang.other();
        let next: String = form_urlencoded::byte_serialize(self.path.as_bytes()).collect();
        Some((
            format!("/language/{}?next={next}", other.code()),
            other.code(),
            other.own_name(),
        ))
    }

    pub fn footer(&self) -> Footer {
        Footer {
            content_licence: FooterContentLicence::Custom(FooterText {
                html: Some(self.t("footer.licence").to_owned()),
                ..FooterText::default()
            }),
            copyright: Some(FooterText {
                text: Some(self.t("footer.copyright").to_owned()),
                ..FooterText::default()
            }),
            ..Footer::default()
        }
    }
}

/// The errors a form shows: the summary at the top and each field's message.
#[derive(Debug, Clone, Default)]
pub struct Errors {
    /// `(element id to link to, message)`, in page order.
    pub list: Vec<(String, String)>,
}

impl Errors {
    pub fn add(&mut self, href: &str, message: &str) {
        self.list.push((href.to_owned(), message.to_owned()));
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The message for the field whose id starts with `name`, if any.
    pub fn for_field(&self, name: &str) -> Option<&str> {
        self.entry(name).map(|(_, message)| message.as_str())
    }

    /// The GOV.UK error message component for the field `name`, if it has an error.
    pub fn message(&self, name: &str, lang: Lang) -> Option<ErrorMessage> {
        self.for_field(name).map(|message| ErrorMessage {
            text: Some(message.to_owned()),
            visually_hidden_text: Some(lang.t("error.prefix").to_owned()),
            ..ErrorMessage::default()
        })
    }

    /// Where the summary links for the field `name` (the part of a date at fault, say).
    pub fn href_for(&self, name: &str) -> Option<&str> {
        self.entry(name).map(|(href, _)| href.as_str())
    }

    fn entry(&self, name: &str) -> Option<&(String, String)> {
        self.list.iter().find(|(href, _)| {
            href == name || href.strip_prefix(name).is_some_and(|r| r.starts_with('-'))
        })
    }

    /// The GOV.UK error summary, or nothing when there are no errors.
    pub fn summary(&self, lang: Lang) -> String {
        if self.list.is_empty() {
            return String::new();
        }
        ErrorSummary {
            title_text: Some(lang.t("error.summary").to_owned()),
            error_list: self
                .list
                .iter()
                .map(|(href, message)| ErrorSummaryItem {
                    href: Some(format!("#{href}")),
                    text: Some(message.clone()),
                    ..ErrorSummaryItem::default()
                })
                .collect(),
            ..ErrorSummary::default()
        }
        .to_string()
    }
}

/// Text escaped for HTML, its line breaks kept.
pub fn escape_lines(text: &str) -> String {
    nrm_govuk::components::attributes::escape(text).replace('\n', "<br>")
}

/// Renders a page template as an HTML response.
pub fn render<T: Template>(page: &T) -> Response {
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a page did not render");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sorry, there is a problem with the service",
            )
                .into_response()
        }
    }
}

/// Renders a page with a status other than 200.
pub fn render_status<T: Template>(status: StatusCode, page: &T) -> Response {
    let mut response = render(page);
    if response.status() == StatusCode::OK {
        *response.status_mut() = status;
    }
    response
}
