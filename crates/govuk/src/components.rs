//! The GOV.UK Frontend components, one module each. Every component's parameters are a
//! struct taking the Nunjucks macro's options (camelCase in JSON, snake_case in Rust), which
//! derives [`askama::Template`] and so renders with `to_string()`; pages embed one with
//! `{{ component|safe }}`.

pub mod attributes;
pub mod button;

pub use attributes::Attributes;
pub use button::Button;
