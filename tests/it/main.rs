//! Integration tests: one binary (as mdBook, ripgrep and Zola do), a small
//! harness in `harness`, and one module per area. Tests run the real `cairn`
//! binary against catalogs in temporary directories — copied from
//! `tests/fixtures/` or written by the test.

mod accuracy;
mod action;
mod aws;
mod harness;

mod backstage;
mod bad_input;
mod build;
mod build_cache;
mod check_cache;
mod claims;
mod cli;
mod contracts;
mod corpus;
mod discover;
mod discover_aws;
mod discover_github;
mod fuzz;
mod git;
mod git_http;
mod governance;
mod hardening;
mod import;
mod incremental;
mod lookup;
mod mcp;
mod notify;
mod portal;
mod precommit;
mod publish;
mod release;
mod search;
mod serve;
mod template;
mod tidy;
