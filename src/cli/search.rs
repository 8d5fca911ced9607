//! `cairn search QUERY`: the catalog's search from the terminal, ranked by
//! the same core as the portal's Cmd+K (typo-tolerant, prefix on the last
//! word, filters by kind, owner, lifecycle and tier). It reads the tantivy
//! index under `.cairn/index/` that `cairn build` writes, and rebuilds it
//! first when a catalog file changed since (or it is missing).

use std::fmt::Write as _;

use super::{Global, EXIT_OK};
use crate::diagnostics::render::Format;
use crate::emit::search_index;
use crate::load::source_stamp;
use crate::output::SEARCH_INDEX_DIR;
use crate::pipeline::compile;
use crate::search::store::{hits_json, Store};
use crate::search::Filters;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to look for, e.g. `chekout` or `payments api`.
    query: String,
    /// Only entities of this kind (component, api, group, resource-definition…).
    #[arg(long)]
    kind: Option<String>,
    /// Only entities owned by this team or user (its name).
    #[arg(long)]
    owner: Option<String>,
    #[arg(long)]
    lifecycle: Option<String>,
    #[arg(long)]
    tier: Option<String>,
    /// How many results.
    #[arg(long, default_value_t = 10)]
    limit: usize,
}

pub fn execute(global: &Global, args: Args) -> anyhow::Result<i32> {
    let store = fresh_store(global)?;
    let filters = Filters {
        kind: args.kind,
        owner: args.owner,
        lifecycle: args.lifecycle,
        tier: args.tier,
    };
    let rows = store.search(&args.query, &filters, args.limit)?;
    if global.format == Format::Json {
        println!("{}", serde_json::to_string_pretty(&hits_json(&rows))?);
        return Ok(EXIT_OK);
    }
    let mut out = String::new();
    for (doc, _) in &rows {
        let detail = if doc.title.is_empty() {
            &doc.description
        } else {
            &doc.title
        };
        let detail: String = detail.chars().take(70).collect();
        writeln!(out, "{:<45} {:<20} {detail}", doc.entity_ref, doc.owner).expect("writing to a String");
    }
    print!("{out}");
    global.status(format!(
        "{} of {} entities match `{}`",
        rows.len(),
        store.doc_count(),
        args.query
    ));
    Ok(EXIT_OK)
}

/// The index of the catalog as it is on disk now: the one under
/// `.cairn/index/` when its stamp matches the sources, else a new one.
fn fresh_store(global: &Global) -> anyhow::Result<Store> {
    let dir = global.root.join(SEARCH_INDEX_DIR);
    let stamp = source_stamp(&global.root);
    if let Ok(store) = Store::open(&dir) {
        if store.stamp() == stamp {
            return Ok(store);
        }
    }
    global.status(format!("indexing the catalog into `{SEARCH_INDEX_DIR}`"));
    let compilation = compile(&global.root, None, global.base.as_deref())?;
    global.timings(&compilation);
    search_index(&global.root, &compilation.catalog, &stamp)?;
    Store::open(&dir)
}
