//! cairn compiles a software catalog kept in git into diagnostics, a static
//! JSON API and a static portal. The crate is laid out as the pipeline:
//!
//! ```text
//! load → parse → model → resolve → validate → emit
//! ```
//!
//! Each stage is a module that takes the previous stage's output as data and
//! returns its own plus diagnostics; [`pipeline`] strings them together and
//! the `cli` module turns flags into calls. See ARCHITECTURE.md for the map.

pub mod cli;
pub mod config;
pub mod diagnostics;
pub mod diff;
pub mod discover;
pub mod emit;
pub mod guards;
pub mod load;
pub mod model;
pub mod parse;
pub mod pipeline;
pub mod publish;
pub mod resolve;
pub mod rules;
pub mod search;
pub mod serve;
pub mod validate;
