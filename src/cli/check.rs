//! `cairn check [FILES…]`: validate the catalog and report.

use std::path::PathBuf;

use anyhow::Context;

use super::{status_of, Global};
use crate::load::display_path;
use crate::pipeline::compile;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Report only on these files (as pre-commit passes them); references
    /// still resolve against the whole catalog.
    files: Vec<PathBuf>,
}

pub fn execute(global: &Global, args: Args) -> anyhow::Result<i32> {
    let compilation = compile(&global.root, None, global.base.as_deref())?;
    global.timings(&compilation);
    if args.files.is_empty() {
        global.report(&compilation, &compilation.diagnostics, compilation.files.len());
        return Ok(status_of(&compilation.diagnostics));
    }
    let root = std::fs::canonicalize(&global.root).context("cannot resolve the catalog root")?;
    let wanted: Vec<String> = args
        .files
        .iter()
        .map(|f| {
            let absolute =
                std::fs::canonicalize(f).unwrap_or_else(|_| std::env::current_dir().unwrap_or_default().join(f));
            display_path(&root, &absolute)
        })
        .collect();
    let diagnostics: Vec<_> = compilation
        .diagnostics
        .iter()
        .filter(|d| wanted.contains(&d.location.file))
        .cloned()
        .collect();
    global.report(&compilation, &diagnostics, wanted.len());
    Ok(status_of(&diagnostics))
}
