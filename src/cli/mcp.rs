//! `cairn mcp`: the Model Context Protocol server over stdio (see
//! `crate::mcp`). Flags become `mcp::Options`.

use std::path::PathBuf;

use super::{Global, EXIT_OK};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Answer from a built site's `api/v1/` (re-read when it is rebuilt)
    /// instead of compiling the catalog in memory.
    #[arg(long, value_name = "DIR")]
    dist: Option<PathBuf>,
}

pub fn execute(global: &Global, args: Args) -> anyhow::Result<i32> {
    crate::mcp::run(crate::mcp::Options {
        root: global.root.clone(),
        base: global.base.clone(),
        dist: args.dist,
    })?;
    Ok(EXIT_OK)
}
