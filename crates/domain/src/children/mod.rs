//! The children's pathway: Independent Child Trafficking Guardians ([`guardian`]),
//! local-authority decision panels ([`panel`]), age assessment ([`age`]) and decision letters a
//! child can understand ([`letter`]).

pub mod age;
pub mod guardian;
pub mod letter;
pub mod panel;
