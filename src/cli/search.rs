//! `cairn search QUERY`: the catalog's search from the terminal, ranked by
//! the same core as the portal's Cmd+K (typo-tolerant, prefix on the last
//! word, filters by kind, owner, lifecycle and tier).

use std::fmt::Write as _;

use super::{Global, EXIT_OK};
use crate::diagnostics::render::Format;
use crate::pipeline::compile;
use crate::search::{documents, Filters, Index};

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
    let compilation = compile(&global.root, None, global.base.as_deref())?;
    global.timings(&compilation);
    let index = Index::new(documents(&compilation.catalog));
    let filters = Filters {
        kind: args.kind,
        owner: args.owner,
        lifecycle: args.lifecycle,
        tier: args.tier,
    };
    let hits = index.search(&args.query, &filters, args.limit);
    let rows: Vec<_> = hits.iter().map(|hit| (&index.docs[hit.id as usize], hit)).collect();
    if global.format == Format::Json {
        let json: Vec<_> = rows
            .iter()
            .map(|(doc, hit)| serde_json::json!({ "ref": doc.entity_ref, "name": doc.name, "title": doc.title, "owner": doc.owner, "rank": hit.rank }))
            .collect();
        println!("{}", serde_json::to_string_pretty(&json)?);
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
        index.docs.len(),
        args.query
    ));
    Ok(EXIT_OK)
}
