//! The build cache's two ends in emit: whether the last build's cache fits
//! this one ([`reusable_cache`]), writing it after a build
//! ([`save_build_cache`]; `load::build_cache` reads it), and the
//! incremental build it allows ([`build_incremental`]): what changed
//! rendered again, every other file hard-linked from the previous output.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Instant;

use rayon::prelude::*;

use super::{rerender, search_shards, timed, write, BuildReport, Sink};
use crate::load::build_cache::BuildCache;
use crate::pipeline::Compilation;

/// The build cache of `compilation`'s build into `out_dir`, if the
/// previous build's cache fits it: same cairn, `cairn.yaml`, templates and
/// base URL, no `git:` sources, and an output directory that still holds
/// exactly what that build wrote.
pub fn reusable_cache(compilation: &Compilation, out_dir: &Path) -> Option<BuildCache> {
    let cache = crate::load::build_cache::read(&compilation.root, out_dir)?;
    let config = compilation.text(crate::config::CONFIG_FILE).map(str::to_string);
    let no_git = compilation
        .config
        .sources
        .iter()
        .all(|s| matches!(s, crate::config::Source::Path(_)));
    let fits = cache.config == config
        && no_git
        && cache.base_url == compilation.config.site.base_url
        && compilation.templates.overrides == cache.templates
        && crate::load::build_cache::matches_output(out_dir, &cache.manifest);
    fits.then_some(cache)
}

/// Writes the build cache of `compilation`'s build into `out_dir`, whose
/// files and sizes are `manifest` (see `load::build_cache`).
pub fn save_build_cache(
    compilation: &Compilation,
    out_dir: &Path,
    manifest: &BTreeMap<String, u64>,
) -> anyhow::Result<()> {
    use crate::load::build_cache::{self, CachedSnapshot, CachedSource};
    let sources: Vec<CachedSource> = compilation
        .files
        .iter()
        .filter_map(|file| {
            Some(CachedSource {
                display: file.display.clone(),
                text: compilation.text(&file.display)?.to_string(),
                registered: file.registered,
            })
        })
        .collect();
    let targets: BTreeMap<String, String> = compilation
        .files
        .iter()
        .flat_map(|file| &file.placeholder_targets)
        .filter_map(|target| Some((target.clone(), compilation.text(target)?.to_string())))
        .collect();
    let cache = BuildCache {
        format: build_cache::FORMAT,
        cairn_version: env!("CARGO_PKG_VERSION").to_string(),
        config: compilation.text(crate::config::CONFIG_FILE).map(str::to_string),
        base_url: compilation.config.site.base_url.clone(),
        templates: compilation.templates.overrides.clone(),
        sources,
        targets,
        snapshots: compilation.snapshots.files.iter().map(CachedSnapshot::of).collect(),
        manifest: manifest.clone(),
        head: compilation.head.clone(),
    };
    let path = build_cache::path(&compilation.root, out_dir);
    crate::load::create_cache_dir(&crate::load::cache_dir(&compilation.root));
    crate::util::write_atomically(&path, |out| {
        serde_json::to_writer(out, &cache).map_err(std::io::Error::from)
    })
}

/// [`build`](super::build) of `new` into `out_dir`, which holds the output of `old`
/// (whose files and sizes are `previous`): only what the change from `old`
/// to `new` affected is rendered and written ([`rerender`]), the search
/// shards are made whole, and every other file is the previous output's,
/// kept by a hard link. The result is byte for byte [`build`](super::build)'s, and is
/// swapped in as atomically.
pub fn build_incremental(
    old: &Compilation,
    new: &Compilation,
    out_dir: &Path,
    previous: &BTreeMap<String, u64>,
) -> anyhow::Result<BuildReport> {
    let started = Instant::now();
    let (changed, render) = timed(|| rerender(old, new));
    let changed = changed?;
    let (search, search_time) = timed(|| search_shards(new));
    let removed: BTreeSet<&str> = changed.removed.iter().map(String::as_str).collect();
    let kept: Vec<(&String, u64)> = previous
        .iter()
        .filter(|(path, _)| !path.starts_with("search/") && !removed.contains(path.as_str()))
        .filter(|(path, _)| !changed.files.contains_key(*path))
        .map(|(path, &size)| (path, size))
        .collect();
    // Search shards are named by their content (but the manifest): one the
    // previous output has is the same file, and is kept.
    let (same, new_shards): (Vec<_>, Vec<_>) = search
        .iter()
        .partition(|(path, _)| path.as_str() != "search/manifest.json" && previous.contains_key(*path));
    let written = write::write_streaming(&new.root, out_dir, |sink| {
        kept.par_iter()
            .copied()
            .chain(same.par_iter().map(|(path, _)| (*path, previous[*path])))
            .for_each(|(path, size)| sink.keep(&out_dir.join(path), path, size));
        changed
            .files
            .par_iter()
            .chain(new_shards.into_par_iter())
            .for_each(|(path, bytes)| sink.put(path.clone(), bytes.clone()));
        Ok(())
    })?;
    Ok(BuildReport {
        files: written.manifest.len(),
        bytes: written.bytes,
        stages: vec![
            ("rerender", render),
            ("search", search_time),
            ("render + write", started.elapsed()),
        ],
        manifest: written.manifest,
    })
}
