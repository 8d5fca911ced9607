//! Emit: everything `cairn build` writes. The static JSON API ([`api`]), its
//! OpenAPI description ([`openapi`]), the JSON Schemas, the static search
//! index ([`search_shards`]), the assets (`assets.rs`) and the portal's
//! pages ([`site`]) are rendered into a [`Sink`] as they are made, then
//! written by [`write_streaming`] ([`write`]): into a fresh directory beside
//! the output, swapped in with one atomic exchange, so a failed or killed
//! build leaves the previous output untouched.
//!
//! This file is the assembly: [`build`], [`render`], [`rerender`] (what
//! an edit affected, for `cairn serve`) and [`api_only`]. The API and the
//! pages project the catalog through the same views ([`view`]) and cut
//! lists the same way ([`paging`]); `cache.rs` is the build cache's
//! incremental build, `search_index.rs` the search index's files.
//!
//! Architecture Invariant: this is the only module that writes files. Every
//! output path is made of names that validation accepted, and is checked
//! again by [`safe_relative_path`](crate::output::safe_relative_path) before anything is written.

pub mod api;
mod assets;
pub mod backstage;
mod cache;
pub mod claims;
pub mod contracts;
pub mod engines;
pub mod feed;
pub mod governance;
pub mod health;
pub mod openapi;
pub mod paging;
mod search_index;
pub mod selection;
pub mod site;
pub mod view;
mod write;

pub use cache::{build_incremental, reusable_cache, save_build_cache};
pub use search_index::{search_index, search_shards};
pub use selection::Selection;
pub use write::{recover, write_streaming};

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::output::Files;
use crate::pipeline::Compilation;
use crate::source::SourceFile;
use crate::validate::schema::SCHEMAS;

/// Facts about the build that go into `status.json`. No timestamps: the same
/// input must give byte-identical output.
#[derive(Debug, Clone)]
pub struct BuildInfo {
    pub cairn_version: &'static str,
    pub errors: usize,
    pub warnings: usize,
    /// The commits the `git:` sources were read at, sorted, one per
    /// repository and commit.
    pub sources: Vec<SourceCommit>,
    /// How fresh the `git:` sources and discovery snapshots are
    /// ([`health`]).
    pub health: serde_json::Value,
}

/// One `git:` source as read by this build.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct SourceCommit {
    /// The repository URL, credentials redacted.
    pub repository: String,
    pub commit: String,
}

/// The distinct repository commits the catalog's files came from.
pub fn source_commits(files: &[SourceFile]) -> Vec<SourceCommit> {
    let commits: BTreeSet<SourceCommit> = files
        .iter()
        .filter_map(|f| f.origin.as_ref())
        .map(|o| SourceCommit {
            repository: o.url.clone(),
            commit: o.commit.clone(),
        })
        .collect();
    commits.into_iter().collect()
}

/// What a build wrote, and how long each part took.
#[derive(Debug, Clone)]
pub struct BuildReport {
    pub files: usize,
    pub bytes: usize,
    /// (part, time): api, search, pages (which run at the same time), then
    /// render (all three, wall clock) and write.
    pub stages: Vec<(&'static str, Duration)>,
    /// Every file of the output with its size.
    pub manifest: BTreeMap<String, u64>,
}

/// Where rendered files go as they are made: into memory ([`Collect`],
/// for `cairn serve`) or straight into the staging directory of a build
/// (`write::DirSink`), so a build never holds its whole output at once.
pub trait Sink: Sync {
    fn put(&self, path: String, bytes: Vec<u8>);
}

/// A [`Sink`] that keeps the files in memory.
#[derive(Default)]
pub struct Collect(Mutex<Files>);

impl Collect {
    pub fn into_files(self) -> Files {
        self.0.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Sink for Collect {
    fn put(&self, path: String, bytes: Vec<u8>) {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(path, bytes);
    }
}

/// Builds every output file of `compilation` and writes them to `out_dir`,
/// each as soon as it is rendered (into the staging directory that is then
/// swapped in).
pub fn build(compilation: &Compilation, out_dir: &Path) -> anyhow::Result<BuildReport> {
    let started = Instant::now();
    let mut stages = Vec::new();
    let written = write::write_streaming(&compilation.root, out_dir, |sink| {
        stages = render_timed(compilation, sink)?;
        Ok(())
    })?;
    stages.push(("render + write", started.elapsed()));
    Ok(BuildReport {
        files: written.manifest.len(),
        bytes: written.bytes,
        stages,
        manifest: written.manifest,
    })
}

/// Every output file of `compilation`, in memory: the JSON API, the JSON
/// Schemas, the search index, the assets and the portal's pages. `build`
/// writes them; `cairn serve` serves them from memory.
pub fn render(compilation: &Compilation) -> anyhow::Result<Files> {
    let files = Collect::default();
    render_timed(compilation, &files)?;
    Ok(files.into_files())
}

/// The output files `selection` selects — the JSON API, the JSON Schemas,
/// the assets and the portal's pages — without the search shards, which
/// are a function of the whole catalog ([`search_shards`]). `cairn serve`
/// renders what an edit affected this way.
pub fn render_selected(compilation: &Compilation, selection: &Selection) -> anyhow::Result<Files> {
    summarize_dependencies(compilation);
    let files = Collect::default();
    let ((), pages) = rayon::join(
        || api_and_schemas(compilation, selection, &files),
        || portal(compilation, selection, &files),
    );
    pages?;
    Ok(files.into_files())
}

/// The outputs that changed from `old` to `new`: what to write again and
/// what to delete.
#[derive(Debug)]
pub struct Rerendered {
    pub files: Files,
    pub removed: Vec<String>,
    /// The entities of `new` whose outputs were rendered (indices): every
    /// entity whose page can have changed is among them.
    pub entities: Vec<usize>,
    /// The entities of `old` that `new` no longer has (indices).
    pub deleted: Vec<usize>,
}

/// What changed in the output between the compilations `old` and `new`,
/// but for the search shards (a function of the whole catalog,
/// [`search_shards`]): only the outputs the change affected
/// ([`Selection::affected`]) are rendered. Applying the result to the
/// previous output gives exactly [`render`] of `new` outside `search/`.
pub fn rerender(old: &Compilation, new: &Compilation) -> anyhow::Result<Rerendered> {
    let mut selection = Selection::affected(&old.catalog, &new.catalog);
    feed::mark_history(old, new, &mut selection);
    let departed = selection.departed(&old.catalog);
    // Nothing departed: the new build has every path the old one had.
    let departed = (!departed.is_empty()).then_some(departed);
    let (files, gone) = rayon::join(
        || render_selected(new, &selection),
        || departed.map(|departed| render_selected(old, &departed)).transpose(),
    );
    let files = files?;
    let gone = gone.map(Option::unwrap_or_default);
    let mut removed: Vec<String> = gone?.into_keys().filter(|path| !files.contains_key(path)).collect();
    // The alias table's shards go when it shrinks below the threshold,
    // whether or not an entity departed.
    if api::aliases::sharded(&old.catalog) && !api::aliases::sharded(&new.catalog) {
        let shards: Vec<String> = api::aliases::shard_paths().filter(|p| !removed.contains(p)).collect();
        removed.extend(shards);
    }
    Ok(Rerendered {
        files,
        removed,
        entities: selection.entities().collect(),
        deleted: selection.deleted().to_vec(),
    })
}

/// [`render`] into `sink`, with how long each part took. The JSON API,
/// the search shards and the pages are independent and built at the same
/// time: each has serial parts that the others' parallel work fills.
fn render_timed(compilation: &Compilation, sink: &dyn Sink) -> anyhow::Result<Vec<(&'static str, Duration)>> {
    summarize_dependencies(compilation);
    let everything = Selection::all(&compilation.catalog);
    let (((), api), ((search_files, search), (pages_done, pages))) = rayon::join(
        || timed(|| api_and_schemas(compilation, &everything, sink)),
        || {
            rayon::join(
                || timed(|| search_shards(compilation)),
                || timed(|| portal(compilation, &everything, sink)),
            )
        },
    );
    for (path, bytes) in search_files {
        sink.put(path, bytes);
    }
    pages_done?;
    Ok(vec![("api", api), ("search", search), ("pages", pages)])
}

/// What `f` returned, and how long it took.
pub fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed())
}

/// The static JSON API of `compilation`, and nothing else (`cairn lookup`
/// and `cairn mcp` answer from it).
pub fn api_only(compilation: &Compilation) -> Files {
    summarize_dependencies(compilation);
    let files = Collect::default();
    api_and_schemas(compilation, &Selection::all(&compilation.catalog), &files);
    let mut files = files.into_files();
    files.retain(|path, _| path.starts_with("api/v1/"));
    files
}

/// Computes the dependency summary the service outputs show
/// ([`crate::resolve::Catalog::dependencies`]) before rendering starts: it
/// runs in parallel itself, which it cannot do when a rendering thread
/// first asks for it while the others wait.
fn summarize_dependencies(compilation: &Compilation) {
    compilation.catalog.dependencies();
}

/// The JSON API and the JSON Schemas.
fn api_and_schemas(compilation: &Compilation, selection: &Selection, sink: &dyn Sink) {
    let counts = compilation.counts();
    let info = BuildInfo {
        cairn_version: env!("CARGO_PKG_VERSION"),
        errors: counts.errors,
        warnings: counts.warnings,
        sources: source_commits(&compilation.files),
        health: health::status_json(compilation),
    };
    api::api_files(&compilation.catalog, &compilation.config, &info, selection, sink);
    for (path, bytes) in claims::rendered_files(&compilation.catalog, selection) {
        sink.put(path, bytes);
    }
    for (path, bytes) in governance::api_files(compilation)
        .into_iter()
        .chain(feed::files(compilation))
    {
        sink.put(path, bytes);
    }
    for schema in SCHEMAS.files() {
        sink.put(
            format!("schemas/{}", schema.path().display()),
            schema.contents().to_vec(),
        );
    }
}

/// The assets and the portal's pages.
fn portal(compilation: &Compilation, selection: &Selection, sink: &dyn Sink) -> anyhow::Result<()> {
    let assets = assets::write(sink);
    site::pages(compilation, &assets, &compilation.history.last_changes, selection, sink)
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::write::tests::write_files;

    #[test]
    fn writes_atomically_and_keeps_the_old_output_on_error() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("catalog");
        std::fs::create_dir(&root).unwrap();
        let out = root.join("dist");
        let files = Files::from([("a/b.json".to_string(), b"1".to_vec())]);
        write_files(&root, &out, &files).unwrap();
        assert_eq!(std::fs::read(out.join("a/b.json")).unwrap(), b"1");
        let unsafe_files = Files::from([("../escape.json".to_string(), b"2".to_vec())]);
        assert!(write_files(&root, &out, &unsafe_files).is_err());
        assert_eq!(
            std::fs::read(out.join("a/b.json")).unwrap(),
            b"1",
            "previous output untouched"
        );
        assert!(!root.join("escape.json").exists());
        let next = Files::from([("c.json".to_string(), b"3".to_vec())]);
        write_files(&root, &out, &next).unwrap();
        assert!(!out.join("a/b.json").exists(), "stale files are gone");
        assert_eq!(std::fs::read(out.join("c.json")).unwrap(), b"3");
        let leftovers: Vec<_> = std::fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, ["dist"], "no temporary directories left behind");
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_failed_write_keeps_the_old_output_and_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("site/dist");
        let files = Files::from([("a.json".to_string(), b"1".to_vec())]);
        write_files(dir.path(), &out, &files).unwrap();
        // `a` cannot be both a file and a directory: the second write fails
        // after the first files are staged.
        let clash = Files::from([
            ("a".to_string(), b"x".to_vec()),
            ("a/b.json".to_string(), b"y".to_vec()),
        ]);
        assert!(write_files(dir.path(), &out, &clash).is_err());
        assert_eq!(std::fs::read(out.join("a.json")).unwrap(), b"1");
        assert_eq!(entries(&dir.path().join("site")), ["dist"]);
    }

    #[test]
    fn refuses_to_replace_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("catalog");
        std::fs::create_dir(&root).unwrap();
        let out = dir.path().join("dist");
        std::fs::write(&out, b"notes").unwrap();
        let files = Files::from([("a.json".to_string(), b"1".to_vec())]);
        let error = write_files(&root, &out, &files).unwrap_err();
        assert!(error.to_string().contains("not a directory"), "{error}");
        assert_eq!(std::fs::read(&out).unwrap(), b"notes");
    }

    #[test]
    fn source_commits_are_distinct_and_sorted() {
        let file = |url: &str, commit: &str| {
            let origin = crate::source::GitOrigin {
                url: url.into(),
                commit: commit.into(),
                path: "x.yaml".into(),
            };
            SourceFile::parse(format!("{url}/{commit}.yaml"), String::new(), Some(origin)).0
        };
        let mut local = file("", "");
        local.origin = None;
        let files = [file("b", "2"), local, file("a", "1"), file("b", "2")];
        let commits: Vec<(String, String)> = source_commits(&files)
            .into_iter()
            .map(|c| (c.repository, c.commit))
            .collect();
        assert_eq!(commits, [("a".into(), "1".into()), ("b".into(), "2".into())]);
    }

    #[test]
    fn refuses_to_replace_the_catalog() {
        let dir = tempfile::tempdir().unwrap();
        let files = Files::from([("x.json".to_string(), b"1".to_vec())]);
        assert!(write_files(dir.path(), dir.path(), &files).is_err());
        assert!(write_files(&dir.path().join("sub"), dir.path(), &files).is_err());
    }
}
