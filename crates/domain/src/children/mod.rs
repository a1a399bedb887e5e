//! The children's pathway: local-authority decision panels (`panel`), age assessment
//! (`age`) and decision letters a child can understand (`letter`).

pub mod age;
pub mod letter;
pub mod panel;
