//! The GOV.UK Frontend components, one module each. Every component's parameters are a
//! struct taking the Nunjucks macro's options (camelCase in JSON, snake_case in Rust), which
//! derives [`askama::Template`] and so renders with `to_string()`; pages embed one with
//! `{{ component|safe }}`.

pub mod attributes;
pub mod back_link;
pub mod button;
pub mod character_count;
pub mod checkboxes;
pub mod date_input;
mod de;
pub mod error_message;
pub mod error_summary;
pub mod fieldset;
pub mod footer;
pub mod form_group;
pub mod header;
pub mod hint;
pub mod input;
pub mod label;
pub mod notification_banner;
mod page_de;
pub mod pagination;
pub mod panel;
pub mod phase_banner;
pub mod radios;
pub mod select;
pub mod service_navigation;
pub mod skip_link;
pub mod summary_list;
pub mod table;
pub mod tag;
pub mod task_list;
pub mod textarea;

pub use attributes::Attributes;
pub use back_link::BackLink;
pub use button::Button;
pub use character_count::{CharacterCount, CountMessage};
pub use checkboxes::{Checkboxes, CheckboxesItem};
pub use date_input::{DateInput, DateInputItem};
pub use error_message::ErrorMessage;
pub use error_summary::{ErrorSummary, ErrorSummaryItem};
pub use fieldset::{Fieldset, Legend};
pub use footer::{
    Footer, FooterContentLicence, FooterLink, FooterMeta, FooterNavigation, FooterText,
};
pub use form_group::{FormGroup, FormGroupContent, FormGroupOfInputs};
pub use header::Header;
pub use hint::Hint;
pub use input::{Input, InputAffix, InputWrapper};
pub use label::Label;
pub use notification_banner::NotificationBanner;
pub use pagination::{Pagination, PaginationItem, PaginationLink};
pub use panel::{Panel, PanelAction, PanelActions};
pub use phase_banner::PhaseBanner;
pub use radios::{Conditional, Radios, RadiosItem};
pub use select::{Select, SelectItem};
pub use service_navigation::{
    ServiceNavigation, ServiceNavigationEndSlot, ServiceNavigationItem, ServiceNavigationSlots,
};
pub use skip_link::SkipLink;
pub use summary_list::{
    SummaryCard, SummaryCardTitle, SummaryList, SummaryListAction, SummaryListActions,
    SummaryListCell, SummaryListRow,
};
pub use table::{Table, TableCell};
pub use tag::Tag;
pub use task_list::{TaskList, TaskListItem, TaskListStatus, TaskListText};
pub use textarea::Textarea;
