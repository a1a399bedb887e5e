//! The JSON API, version 1. Handlers parse, call a service, and shape the answer; nothing more.

pub mod actions;
pub mod admin;
pub mod cases;
pub mod mirror;
pub mod session;
pub mod submissions;
