//! `cairn discover git|github|aws`: run one scanner and write its facts
//! file (default `discovered/<source>.json` under the catalog root) plus
//! the scan metadata beside it. Exit status 0 when the scan was complete,
//! 1 when it was partial (the file is written, marked `partial`, and what
//! was not read is printed), 2 when nothing could be scanned.

use std::path::PathBuf;
use std::time::Instant;

use super::{Global, EXIT_ERRORS, EXIT_OK};
use crate::discover::{self, write_facts};
use crate::facts::Facts;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    source: Scanner,
}

#[derive(Debug, clap::Subcommand)]
enum Scanner {
    /// Local clones (or directories of a monorepo): CODEOWNERS, README,
    /// languages, commit authors, deploy workflows.
    Git(GitArgs),
    /// A GitHub organisation: repositories, CODEOWNERS, READMEs, teams.
    Github(discover::github::Args),
    /// An AWS account, read-only: CloudFormation, ECS, Lambda, API Gateway,
    /// RDS, tags.
    Aws(discover::aws::Args),
}

#[derive(Debug, clap::Args)]
struct GitArgs {
    /// Clones, or directories inside one (one service of a monorepo each).
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Where to write the facts (relative to the catalog root).
    #[arg(long, default_value = "discovered/git.json")]
    out: PathBuf,
    /// Count commit authors over this many days before each HEAD commit.
    #[arg(long, default_value_t = discover::git::DEFAULT_WINDOW_DAYS)]
    window_days: u32,
}

pub fn execute(global: &Global, args: Args) -> anyhow::Result<i32> {
    let started = Instant::now();
    let (name, out, facts, mut scan) = match args.source {
        Scanner::Git(git) => {
            let facts = discover::git::scan(&git.paths, git.window_days);
            let scan = serde_json::json!({ "paths": git.paths.len(), "window_days": git.window_days });
            ("git", git.out, facts, scan)
        }
        Scanner::Github(mut github) => {
            // Resolved first: the snapshot there is where a refresh starts.
            github.out = global.root.join(&github.out);
            let out = github.out.clone();
            let (facts, scan) = discover::github::scan(&github)?;
            ("github", out, facts, scan)
        }
        Scanner::Aws(aws) => {
            let out = aws.out.clone();
            let (facts, scan) = discover::aws::scan(&aws)?;
            ("aws", out, facts, scan)
        }
    };
    let out = if out.is_absolute() { out } else { global.root.join(out) };
    scan["source"] = name.into();
    scan["scanned_at"] = now().into();
    scan["duration_ms"] = (started.elapsed().as_millis() as u64).into();
    scan["partial"] = facts.partial.into();
    write_facts(&out, &facts, &scan)?;
    report(global, name, &out, &facts);
    Ok(if facts.partial { EXIT_ERRORS } else { EXIT_OK })
}

fn report(global: &Global, name: &str, out: &std::path::Path, facts: &Facts) {
    for error in &facts.errors {
        eprintln!("warning: {name} scan could not read {}: {}", error.scope, error.message);
    }
    let what = format!(
        "{} repos, {} teams, {} resources",
        facts.repos.len(),
        facts.teams.len(),
        facts.resources.len()
    );
    if facts.partial {
        eprintln!("wrote a partial snapshot to {} ({what})", out.display());
    } else {
        global.status(format!("wrote {} ({what})", out.display()));
    }
}

fn now() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
