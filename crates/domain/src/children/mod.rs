//! Children's pathway: Independent Child Trafficking Guardians ([`guardian`]), and (beside it)
//! local-authority decision panels and age assessment.

pub mod guardian;
