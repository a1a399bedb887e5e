//! The children's pathway: Independent Child Trafficking Guardians ([`guardian`]),
//! local-authority decision panels ([`panel`]), age assessment ([`age`]) and decision letters a
//! child can understand ([`letter`]), and the case moving to the adult route when the person
//! turns 18 ([`adulthood`]).

pub mod adulthood;
pub mod age;
pub mod guardian;
pub mod letter;
pub mod panel;
pub mod panel_work;
