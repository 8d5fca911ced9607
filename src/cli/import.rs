//! `cairn import backstage --url URL`: reads a running Backstage's catalog
//! and writes it as catalog YAML under `--out` (see `crate::import`). The
//! token comes from the environment variable `--token-env` names and is
//! never written or printed. Exit status 0 when imported, 2 when the
//! server could not be read (nothing is written then).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;

use super::{Global, EXIT_OK};
use crate::client::{display_url, Client, Retry};
use crate::import::{fetch, plan, write, Layout, Source};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    from: From,
}

#[derive(Debug, clap::Subcommand)]
enum From {
    /// A running Backstage, through its catalog API.
    Backstage(BackstageArgs),
}

#[derive(Debug, clap::Args)]
struct BackstageArgs {
    /// The Backstage URL, e.g. https://backstage.example.com (or its
    /// `/api/catalog`).
    #[arg(long)]
    url: String,
    /// The environment variable holding a Backstage token (sent as a
    /// bearer token; never written or printed).
    #[arg(long, value_name = "VAR")]
    token_env: Option<String>,
    /// Where to write the YAML (relative to the catalog root).
    #[arg(long, default_value = "catalog")]
    out: PathBuf,
    /// A Backstage filter, e.g. `kind=component,spec.type=service` (all
    /// must match); repeat for entities matching any.
    #[arg(long, value_name = "FILTER")]
    filter: Vec<String>,
    /// One file per entity, or per owning team.
    #[arg(long, value_enum, default_value_t = Layout::Entity)]
    layout: Layout,
    /// Entities per request.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    page_size: u64,
    /// Seconds one request may take.
    #[arg(long, default_value_t = 60, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=600))]
    timeout: u64,
}

pub fn execute(global: &Global, args: Args) -> anyhow::Result<i32> {
    let From::Backstage(args) = args.from;
    let token = match &args.token_env {
        Some(var) => Some(
            std::env::var(var)
                .ok()
                .filter(|t| !t.is_empty())
                .with_context(|| format!("--token-env names `{var}`, which is not set"))?,
        ),
        None => None,
    };
    let client = Client::new(Retry {
        attempts: 5,
        backoff: Duration::from_secs(1),
        max_wait: Duration::from_secs(60),
        timeout: Duration::from_secs(args.timeout),
    })?;
    let source = Source {
        url: &args.url,
        token: token.as_deref(),
        filters: &args.filter,
        page_size: args.page_size as usize,
    };
    let status = |message: String| global.status(message);
    let (entities, requests) = fetch(&client, &source, &status)?;
    let plan = plan(entities, args.layout);
    for note in &plan.notes {
        eprintln!("note: {note}");
    }
    let out = global.root.join(&args.out);
    let origin = display_url(&args.url);
    let written = write(&out, &plan, &origin)?;
    global.status(format!(
        "imported {} entities from {origin} in {requests} request{} into {}: {} file{} written, {} unchanged, {} removed",
        plan.entities,
        if requests == 1 { "" } else { "s" },
        out.display(),
        written.written,
        if written.written == 1 { "" } else { "s" },
        written.unchanged,
        written.removed,
    ));
    Ok(EXIT_OK)
}
