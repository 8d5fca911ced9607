//! `cairn diff BASE [HEAD]`: the semantic changes of the catalog between two
//! git revisions (HEAD defaults to the working tree), as text, Markdown
//! (`--format markdown`, for pull-request comments and job summaries) or
//! JSON.

use anyhow::bail;

use super::{Global, EXIT_OK};
use crate::diagnostics::render::Format;
use crate::pipeline::{catalog_at, compile};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The revision to compare from, e.g. `origin/main`.
    base: String,
    /// The revision to compare to (default: the working tree).
    head: Option<String>,
}

pub fn execute(global: &Global, args: Args) -> anyhow::Result<i32> {
    let base = catalog_at(&global.root, &args.base)?;
    let head = match &args.head {
        Some(rev) => catalog_at(&global.root, rev)?,
        None => compile(&global.root, None, None)?.catalog,
    };
    let changes = crate::diff::diff(&base, &head);
    let text = match global.format {
        Format::Human => crate::diff::human(&changes),
        Format::Markdown => crate::diff::markdown(&changes),
        Format::Json => crate::diff::json(&changes),
        Format::Github | Format::Sarif => bail!("`cairn diff` prints human, markdown or json"),
    };
    print!("{text}");
    Ok(EXIT_OK)
}
