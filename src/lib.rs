//! cairn compiles a software catalog kept in git into diagnostics, a static
//! JSON API and a static portal. The crate is laid out as the pipeline:
//!
//! ```text
//! load → parse → model → resolve → validate → emit
//! ```
//!
//! Each stage is a module that takes the previous stage's output as data and
//! returns its own plus diagnostics; [`pipeline`] strings them together and
//! the `cli` module turns flags into calls. Modules are listed bottom-up: a
//! module imports only from the modules above it (ARCHITECTURE.md's import
//! table, checked by `tests/it/tidy.rs`).

// The ground floor: what every stage shares.
pub mod util;
pub mod client;
pub mod diagnostics;
pub mod parse;
pub mod source;
pub mod config;
pub mod facts;
pub mod contracts;
// The compiler, in pipeline order.
pub mod model;
pub mod load;
pub mod resolve;
pub mod validate;
pub mod pipeline;
pub mod diff;
pub mod guards;
pub mod output;
pub mod search;
pub mod emit;
// What runs around the compiler.
pub mod query;
pub mod import;
pub mod discover;
pub mod publish;
pub mod serve;
pub mod notify;
pub mod mcp;
pub mod cli;
