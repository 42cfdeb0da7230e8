//! The commands, one module per noun of the domain. Each parses its arguments into an API
//! request, calls the operation through [`crate::shell::Shell`], and prints the answer: text
//! for people, or with `--format json` exactly the JSON the app's command returns.

pub mod analysis;
pub mod analyze;
pub mod codebook;
pub mod coding;
pub mod corpus;
pub mod machine;
pub mod metrics;
pub mod raters;
pub mod reconcile;
pub mod rounds;
pub mod select;
pub mod study;
pub mod team;
