//! `cairn check [FILES…]`: validate the catalog and report; with `--base`,
//! also hold the change to the guards of `cairn.yaml` (`crate::guards`).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::ValueEnum;

use super::{status_of, Global};
use crate::diagnostics::render::Format;
use crate::diagnostics::Diagnostic;
use crate::load::display_path;
use crate::pipeline::{compile_cached, Cache, Compilation};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Report only on these files (as pre-commit passes them); references
    /// still resolve against the whole catalog.
    files: Vec<PathBuf>,
    /// Also write the report in another format to a file, e.g.
    /// `--report sarif=cairn.sarif --report markdown=summary.md` (repeatable).
    #[arg(long = "report", value_name = "FORMAT=PATH", value_parser = parse_report)]
    reports: Vec<(Format, PathBuf)>,
    /// With `--base`: accept a change that removes more of the catalog than
    /// `guards.max_removed_percent` allows (`mass-removal`).
    #[arg(long)]
    allow_mass_removal: bool,
    /// Read and parse every file, neither reading nor writing the cache of
    /// the last check (`.cairn/cache/check.bin`).
    #[arg(long)]
    no_cache: bool,
}

fn parse_report(value: &str) -> Result<(Format, PathBuf), String> {
    let (format, path) = value
        .split_once('=')
        .ok_or_else(|| format!("expected FORMAT=PATH, e.g. `sarif=cairn.sarif`, found `{value}`"))?;
    let format = Format::from_str(format, true)
        .map_err(|_| format!("unknown format `{format}`; one of human, json, github, sarif, markdown"))?;
    if path.is_empty() {
        return Err(format!("no path after `{}=`", value.trim_end_matches('=')));
    }
    Ok((format, PathBuf::from(path)))
}

pub fn execute(global: &Global, args: Args) -> anyhow::Result<i32> {
    let started = Instant::now();
    let mut cache = match args.no_cache {
        true => Cache::one_shot(),
        false => Cache::persisted(&global.root),
    };
    let read_cache = started.elapsed();
    let mut compilation = compile_cached(&global.root, None, global.base.as_deref(), &mut cache)?;
    compilation.timings.insert(0, ("read cache", read_cache));
    if global.verbose && !args.no_cache {
        eprintln!(
            "{:>14}: {} of {} files",
            "from cache",
            cache.reused(),
            compilation.files.len()
        );
    }
    let status = report(global, &args, &mut compilation);
    // Writing the cache is rare and needs memory: the compilation goes
    // first.
    if cache.worth_persisting() {
        drop(compilation);
        let started = Instant::now();
        cache.persist();
        global.lap("write cache", started.elapsed());
    } else {
        super::exit_without_freeing(compilation);
    }
    super::exit_without_freeing(cache);
    status
}

/// Holds the compilation to the guards when asked, reports, and returns
/// the exit status.
fn report(global: &Global, args: &Args, compilation: &mut Compilation) -> anyhow::Result<i32> {
    if let (Some(base), false) = (&global.base, args.allow_mass_removal) {
        let before = crate::pipeline::catalog_at(&global.root, base)?;
        let guarded = crate::guards::mass_removal(&before, &compilation.catalog, &compilation.config);
        compilation.diagnostics.extend(guarded);
        crate::diagnostics::sort_and_dedup(&mut compilation.diagnostics);
    }
    global.timings(compilation);
    if args.files.is_empty() {
        global.report(compilation, &compilation.diagnostics, compilation.files.len());
        write_reports(
            global,
            &args.reports,
            compilation,
            &compilation.diagnostics,
            compilation.files.len(),
        )?;
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
    global.report(compilation, &diagnostics, wanted.len());
    write_reports(global, &args.reports, compilation, &diagnostics, wanted.len())?;
    Ok(status_of(&diagnostics))
}

/// Writes each `--report FORMAT=PATH`.
fn write_reports(
    global: &Global,
    reports: &[(Format, PathBuf)],
    compilation: &Compilation,
    diagnostics: &[Diagnostic],
    files: usize,
) -> anyhow::Result<()> {
    for (format, path) in reports {
        let text = global.render(*format, compilation, diagnostics, files);
        std::fs::write(path, text).with_context(|| format!("cannot write the report `{}`", path.display()))?;
    }
    Ok(())
}
