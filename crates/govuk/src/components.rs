//! The GOV.UK Frontend components, one module each.
