//! `cairn build`: compile the catalog and write the output directory.

use std::path::{Path, PathBuf};

use super::{status_of, Global, EXIT_ERRORS};
use crate::pipeline::compile;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The output directory (relative to the catalog root unless absolute).
    #[arg(long, default_value = "dist")]
    out: PathBuf,
    /// The URL path the output is served under, e.g. `/portal/`
    /// (overrides `site.base_url` in cairn.yaml).
    #[arg(long, value_name = "PATH")]
    base_url: Option<String>,
    /// Render everything, ignoring the build cache (`.cairn/cache/build/`)
    /// that otherwise limits a build to what changed since the last one.
    #[arg(long)]
    full: bool,
}

pub fn execute(global: &Global, args: Args) -> anyhow::Result<i32> {
    let out_dir = if args.out.is_absolute() {
        args.out.clone()
    } else {
        global.root.join(&args.out)
    };
    match build_site(global, &out_dir, args.base_url.as_deref(), !args.full)? {
        Some(status) => Ok(status),
        None => Ok(EXIT_ERRORS),
    }
}

/// Compiles the catalog and writes the site into `out_dir`, reporting
/// diagnostics on the way; with `cached`, renders only what changed since
/// the last build when its cache fits, and leaves a cache for the next. Returns the exit status of a written build, or
/// `None` when the catalog has errors and nothing was written.
pub(super) fn build_site(
    global: &Global,
    out_dir: &Path,
    base_url: Option<&str>,
    cached: bool,
) -> anyhow::Result<Option<i32>> {
    // A build killed mid-swap left the previous output aside: put it back
    // first, so that it is there even if this build writes nothing.
    crate::emit::recover(&global.root, out_dir)?;
    // Taken before the sources are read: an edit during the build leaves
    // the search index stale rather than stamped fresh.
    let stamp = crate::load::source_stamp(&global.root);
    let mut compilation = compile(&global.root, Some(out_dir), global.base.as_deref())?;
    global.timings(&compilation);
    if let Some(base_url) = base_url {
        compilation.config.site.base_url = crate::config::normalize_base_url(base_url).ok_or_else(|| {
            anyhow::anyhow!("--base-url must be a path such as `/` or `/portal/`, found `{base_url}`")
        })?;
    }
    global.report(&compilation, &compilation.diagnostics, compilation.files.len());
    if status_of(&compilation.diagnostics) == EXIT_ERRORS {
        global.status(format!("not writing `{}`: the catalog has errors", out_dir.display()));
        return Ok(None);
    }
    let (read, reading_inputs) = crate::emit::timed(|| crate::pipeline::read_render_inputs(&mut compilation, None));
    read?;
    // Only what changed since the last build into `out_dir`, when its
    // cache fits; the tantivy index for `cairn search` is built meanwhile.
    let cache = cached
        .then(|| crate::emit::reusable_cache(&compilation, out_dir))
        .flatten();
    let incremental = cache.is_some();
    let (report, (indexed, indexing)) = rayon::join(
        || match cache {
            Some(mut cache) => {
                let mut previous = crate::pipeline::compile_cached_build(&compilation.root, &cache, &compilation);
                // Of the cache only the previous output's manifest is read
                // from here on: its copy of every text goes now.
                let manifest = std::mem::take(&mut cache.manifest);
                drop(cache);
                crate::pipeline::read_render_inputs(&mut previous, Some(&compilation))?;
                crate::emit::build_incremental(&previous, &compilation, out_dir, &manifest)
            }
            None => crate::emit::build(&compilation, out_dir),
        },
        || crate::emit::timed(|| crate::emit::search_index(&compilation.root, &compilation.catalog, &stamp)),
    );
    let report = report?;
    indexed?;
    if cached {
        crate::emit::save_build_cache(&compilation, out_dir, &report.manifest)?;
    }
    if global.verbose {
        let inputs = ("render inputs", reading_inputs);
        for (stage, time) in [&inputs]
            .into_iter()
            .chain(&report.stages)
            .chain([&("tantivy index", indexing)])
        {
            eprintln!("{stage:>14}: {:.1} ms", time.as_secs_f64() * 1000.0);
        }
    }
    global.status(if incremental {
        format!(
            "wrote {} KB to `{}` ({} files; only what changed since the last build)",
            report.bytes / 1024,
            out_dir.display(),
            report.files
        )
    } else {
        format!(
            "wrote {} files ({} KB) to `{}`",
            report.files,
            report.bytes / 1024,
            out_dir.display()
        )
    });
    Ok(Some(status_of(&compilation.diagnostics)))
}
