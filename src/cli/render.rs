//! `cairn render CLAIM_FILE [--engine terraform|crossplane]`: one
//! ResourceClaim rendered for an engine its definition version configures,
//! printed to stdout — what `cairn build` writes to
//! `claims/{namespace}/{name}/`, for a CI step that plans or applies only
//! the claims a change touched. The whole catalog is compiled (the claim
//! needs its definition); errors in the claim's file are printed to stderr
//! and nothing is rendered (exit 1).

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::ValueEnum;

use super::{Global, EXIT_ERRORS, EXIT_OK};
use crate::diagnostics::render::Format;
use crate::diagnostics::Severity;
use crate::emit::claims::{default_engine, render_one};
use crate::emit::engines::Engine;
use crate::load::display_path;
use crate::model::Kind;
use crate::pipeline::compile;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum EngineArg {
    Terraform,
    Crossplane,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The file holding the ResourceClaim.
    claim_file: PathBuf,
    /// The engine to render for (default: the first of terraform and
    /// crossplane that the claim's version configures).
    #[arg(long, value_enum)]
    engine: Option<EngineArg>,
    /// Which claim of the file, when it holds several.
    #[arg(long)]
    name: Option<String>,
}

pub fn execute(global: &Global, args: Args) -> anyhow::Result<i32> {
    let compilation = compile(&global.root, None, global.base.as_deref())?;
    global.timings(&compilation);
    let root = std::fs::canonicalize(&global.root).context("cannot resolve the catalog root")?;
    let file = std::fs::canonicalize(&args.claim_file)
        .with_context(|| format!("cannot read `{}`", args.claim_file.display()))?;
    let display = display_path(&root, &file);
    let catalog = &compilation.catalog;
    let in_file: Vec<usize> = (0..catalog.entities.len())
        .filter(|&i| catalog.entities[i].kind == Kind::ResourceClaim && catalog.entities[i].file == display)
        .filter(|&i| {
            args.name
                .as_deref()
                .is_none_or(|n| catalog.entities[i].metadata.name.eq_ignore_ascii_case(n))
        })
        .collect();
    let claim = match in_file.as_slice() {
        [one] => *one,
        [] => match &args.name {
            Some(name) => bail!("`{display}` holds no ResourceClaim named `{name}`"),
            None => bail!(
                "`{display}` holds no ResourceClaim of the catalog under `{}`",
                global.root.display()
            ),
        },
        several => {
            let names: Vec<&str> = several
                .iter()
                .map(|&i| catalog.entities[i].metadata.name.as_str())
                .collect();
            bail!(
                "`{display}` holds {} ResourceClaims ({}): choose one with --name",
                names.len(),
                names.join(", ")
            )
        }
    };
    let errors: Vec<_> = compilation
        .diagnostics
        .iter()
        .filter(|d| d.location.file == display && d.severity == Severity::Error)
        .cloned()
        .collect();
    if !errors.is_empty() {
        eprint!("{}", global.render(Format::Human, &compilation, &errors, 1));
        return Ok(EXIT_ERRORS);
    }
    let engine = match args.engine {
        Some(EngineArg::Terraform) => Engine::Terraform,
        Some(EngineArg::Crossplane) => Engine::Crossplane,
        None => match default_engine(catalog, claim) {
            Some(engine) => engine,
            None => {
                eprintln!(
                    "error: the version claim `{}` resolves to configures no engine cairn renders (terraform, crossplane)",
                    catalog.entities[claim].metadata.name
                );
                return Ok(EXIT_ERRORS);
            }
        },
    };
    match render_one(catalog, claim, engine) {
        Ok(bytes) => {
            use std::io::Write;
            std::io::stdout().write_all(&bytes).context("cannot write to stdout")?;
            Ok(EXIT_OK)
        }
        Err(why) => {
            eprintln!("error: {why}");
            Ok(EXIT_ERRORS)
        }
    }
}
