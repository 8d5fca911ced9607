//! Watch and rebuild: notify watches the catalog root recursively —
//! `templates/` included — and a change (create, modify, remove; not mere
//! access, which every build itself causes) to a YAML file, a template or a
//! directory wakes the rebuild thread. The thread debounces — it waits
//! until no change has come for [`DEBOUNCE`] — then recompiles, re-renders
//! into memory, diffs the new build against the one being served, swaps it
//! in and publishes the events. A catalog with errors (or a template that does not render)
//! keeps the last good build and publishes `build.failed`.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher};
use serde_json::json;

use super::events::Event;
use super::snapshot::{diff, Build, Change, Changes, EntityInfo, SearchParts};
use super::{Failure, Snapshot, State};
use crate::diagnostics::{Code, Counts, Diagnostic, FilePosition};
use crate::emit::Selection;
use crate::pipeline::{Compilation, Incremental};
use crate::search::documents;
use crate::search::store::Store;

/// Quiet time before a burst of file events counts as one change.
const DEBOUNCE: Duration = Duration::from_millis(10);

/// Past this many changed pages, `build.completed` says `"all": true`
/// instead of listing them.
const MAX_LISTED_PAGES: usize = 1000;

/// Starts watching `root` and the rebuild thread, which builds once right
/// away. Watching stops when the returned watcher is dropped.
pub fn start(
    root: PathBuf,
    base: Option<String>,
    state: Arc<State>,
    report: Box<dyn Fn(&Compilation) + Send>,
) -> anyhow::Result<RecommendedWatcher> {
    let watched = std::fs::canonicalize(&root).with_context(|| format!("cannot read `{}`", root.display()))?;
    let (wake, woken) = channel();
    let filter_root = watched.clone();
    let targets: Arc<RwLock<HashSet<PathBuf>>> = Arc::default();
    let watched_targets = Arc::clone(&targets);
    let mut watcher = notify::recommended_watcher(move |result: notify::Result<notify::Event>| match result {
        Ok(event) => {
            let is_target = |p: &PathBuf| watched_targets.read().is_ok_and(|t| t.contains(p));
            if mutates(&event.kind) && event.paths.iter().any(|p| relevant(&filter_root, p) || is_target(p)) {
                let _ = wake.send(Woken::Paths(event.paths));
            }
        }
        Err(error) => {
            eprintln!("warning: watching the catalog: {error}");
            let _ = wake.send(Woken::Lost);
        }
    })
    .context("cannot watch the catalog")?;
    watcher
        .watch(&watched, RecursiveMode::Recursive)
        .with_context(|| format!("cannot watch `{}`", watched.display()))?;
    let rebuilder = Rebuilder {
        incremental: Incremental::new(&root, base.as_deref()),
        watched,
        state,
        report,
        attempts: 0,
        targets,
    };
    std::thread::Builder::new()
        .name("cairn-rebuild".into())
        .spawn(move || rebuilder.run(&woken))
        .context("cannot start the rebuild thread")?;
    Ok(watcher)
}

/// Whether an event kind can change a file's contents or the tree: not an
/// open, read or close, nor an access-time update.
fn mutates(kind: &EventKind) -> bool {
    use notify::event::{MetadataKind, ModifyKind};
    !matches!(
        kind,
        EventKind::Access(_) | EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime))
    )
}

/// Whether a change at `path` can change the build: YAML files, facts
/// files (`*.json` but not `*.scan.json`), templates and directories (a
/// renamed or deleted folder), outside the directories cairn never reads.
pub(crate) fn relevant(root: &Path, path: &Path) -> bool {
    let relative = path.strip_prefix(root).unwrap_or(path);
    let ignored = relative.components().any(|c| {
        c.as_os_str()
            .to_str()
            .is_some_and(|name| crate::load::SKIPPED_DIRS.contains(&name))
    });
    if ignored {
        return false;
    }
    relative.starts_with("templates")
        || match path.extension().and_then(|e| e.to_str()) {
            Some("json") => !path.to_string_lossy().ends_with(".scan.json"),
            Some(extension) => matches!(extension, "yaml" | "yml"),
            None => true,
        }
}

/// What woke the rebuild thread.
enum Woken {
    /// These paths changed.
    Paths(Vec<PathBuf>),
    /// The watcher lost track (an error, an overflowed queue): anything
    /// may have changed.
    Lost,
}

impl Woken {
    fn paths(&self) -> &[PathBuf] {
        match self {
            Woken::Paths(paths) => paths,
            Woken::Lost => &[],
        }
    }
}

struct Rebuilder {
    /// The cache and the compilation of the build being served, which the
    /// next rebuild patches or compares with to render only what changed.
    incremental: Incremental,
    /// The canonical root, as the watcher reports paths.
    watched: PathBuf,
    state: Arc<State>,
    report: Box<dyn Fn(&Compilation) + Send>,
    attempts: u64,
    /// The files the last compile's placeholders read (`$text: ./x.graphql`),
    /// watched whatever their extension: a change to one rebuilds.
    targets: Arc<RwLock<HashSet<PathBuf>>>,
}

impl Rebuilder {
    fn run(mut self, woken: &Receiver<Woken>) {
        self.rebuild(true);
        while let Ok(first) = woken.recv() {
            // Debounce: a save is often several events (write, rename, chmod).
            let mut wakes = vec![first];
            while let Ok(next) = woken.recv_timeout(DEBOUNCE) {
                wakes.push(next);
            }
            if self.state.stopping() {
                return;
            }
            let everything = wakes.iter().any(|w| self.changes_everything(w));
            match self.changed_files(&wakes) {
                Some(changed) => self.incremental.cache().expect_only(changed),
                // Files are told apart by their stamps then: read every
                // file the events name again, even one whose size and
                // modification time survived the edit.
                None => {
                    for path in wakes.iter().flat_map(Woken::paths) {
                        let display = crate::load::display_path(&self.watched, path);
                        self.incremental.cache().forget(&display);
                    }
                }
            }
            self.rebuild(everything);
        }
    }

    /// The catalog files the events name, when nothing else changed: every
    /// path is a YAML file the last compile read and that still exists, or
    /// is gone and held none of the files read (an editor's temporary file,
    /// saved over the real one by a rename). Then nothing was added,
    /// removed or renamed, and the next compile need not walk the catalog.
    fn changed_files(&mut self, wakes: &[Woken]) -> Option<HashSet<String>> {
        let cache = self.incremental.cache();
        let mut changed = HashSet::new();
        for woken in wakes {
            let Woken::Paths(paths) = woken else { return None };
            for path in paths {
                let display = crate::load::display_path(&self.watched, path);
                let yaml = matches!(path.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"));
                if yaml && path.is_file() && cache.knows(&display) {
                    changed.insert(display);
                } else if path.exists() || cache.knows_within(&display) {
                    return None;
                }
            }
        }
        Some(changed)
    }

    /// Whether a change can alter every page: `cairn.yaml` (titles, field
    /// names, edit links), a template, or a change the watcher lost.
    fn changes_everything(&self, woken: &Woken) -> bool {
        match woken {
            Woken::Lost => true,
            Woken::Paths(paths) => paths.iter().any(|path| {
                let relative = path.strip_prefix(&self.watched).unwrap_or(path);
                relative.starts_with("templates") || relative == Path::new(crate::config::CONFIG_FILE)
            }),
        }
    }

    /// Compiles and, when the catalog has no errors, renders and swaps in
    /// the new build: only what changed since the last good build unless
    /// `everything` (or there is none).
    fn rebuild(&mut self, everything: bool) {
        self.attempts += 1;
        let started = Instant::now();
        let mut compilation = match self.incremental.compile(everything) {
            Ok(compilation) => compilation,
            Err(error) => return self.fail(started, vec![problem("", &format!("{error:#}"))]),
        };
        self.watch_targets(&compilation);
        if compilation.counts().errors > 0 {
            (self.report)(&compilation);
            return self.fail(started, compilation.diagnostics);
        }
        if let Err(error) = self.incremental.read_render_inputs(&mut compilation) {
            return self.fail(started, vec![problem("templates", &format!("{error:#}"))]);
        }
        let compiled = started.elapsed();
        let served = self.state.snapshot();
        let previous = match (everything, self.incremental.last_good(), served.build.as_deref()) {
            (false, Some(old), Some(build)) => Previous::Changed(old.as_ref(), build),
            _ => Previous::Replaced(served.build.as_deref()),
        };
        match render(self.attempts, previous, &compilation) {
            Ok((build, changes)) => {
                let compilation = Arc::new(compilation);
                let search = self.succeed(
                    started,
                    [compiled, started.elapsed() - compiled],
                    &compilation,
                    build,
                    changes,
                );
                finish_search(search, compilation.clone());
                self.incremental.served(compilation);
            }
            Err(error) => self.fail(started, vec![problem("templates", &format!("{error:#}"))]),
        }
    }

    /// Watches the files `compilation`'s placeholders read. (The files
    /// that hold placeholders are never cached, so they are read again.)
    fn watch_targets(&self, compilation: &Compilation) {
        let targets: HashSet<PathBuf> = compilation
            .files
            .iter()
            .filter(|file| file.origin.is_none())
            .flat_map(|file| file.placeholder_targets.iter().map(|t| self.watched.join(t)))
            .collect();
        if let Ok(mut watched) = self.targets.write() {
            *watched = targets;
        }
    }

    /// Swaps in `build`, the build of `compilation`, and publishes
    /// `changes`; `stages` is how long compiling and rendering took.
    /// Returns the build's search parts, to finish.
    fn succeed(
        &mut self,
        started: Instant,
        stages: [Duration; 2],
        compilation: &Compilation,
        build: Build,
        changes: Option<Changes>,
    ) -> Arc<SearchParts> {
        let previous = self.state.snapshot();
        let search = build.search.clone();
        let number = build.number;
        self.state.swap(Snapshot {
            build: Some(Arc::new(build)),
            failure: None,
        });
        let took = started.elapsed();
        self.state.metrics.build(true, took);
        self.state.metrics.sources(compilation);
        let mut events = Vec::new();
        if let Some(changes) = &changes {
            events.extend(
                changes
                    .entities
                    .iter()
                    .map(|(change, info)| entity_event(*change, info)),
            );
            events.push(completed(number, changes));
        }
        if previous.failure.is_some() {
            events.push(Event {
                name: "build.recovered",
                data: json!({ "build": number }),
                subject: None,
            });
        }
        self.state.hub.publish(&events);
        match changes {
            None => {
                (self.report)(compilation);
                eprintln!("built in {} ms", took.as_millis());
            }
            Some(changes) => eprintln!(
                "rebuilt in {} ms (compile {}, render {}, swap {}): {} files changed, {} entities changed",
                took.as_millis(),
                stages[0].as_millis(),
                stages[1].as_millis(),
                (took - stages[0] - stages[1]).as_millis(),
                changes.files,
                changes.entities.len()
            ),
        }
        search
    }

    fn fail(&mut self, started: Instant, diagnostics: Vec<Diagnostic>) {
        let previous = self.state.snapshot();
        let counts = Counts::of(&diagnostics);
        let data = json!({
            "build": self.attempts,
            "errors": counts.errors,
            "warnings": counts.warnings,
            "diagnostics": diagnostics.iter().map(diagnostic_json).collect::<Vec<_>>(),
        });
        self.state.swap(Snapshot {
            build: previous.build.clone(),
            failure: Some(Arc::new(Failure {
                diagnostics,
                number: self.attempts,
            })),
        });
        self.state.metrics.build(false, started.elapsed());
        self.state.hub.publish(&[Event {
            name: "build.failed",
            data,
            subject: None,
        }]);
        eprintln!(
            "build failed with {} error{}; serving the last good build",
            counts.errors,
            if counts.errors == 1 { "" } else { "s" }
        );
    }
}

/// What a rebuild renders over.
enum Previous<'a> {
    /// The served build, with the compilation it came from: only what
    /// changed since is rendered.
    Changed(&'a Compilation, &'a Build),
    /// Everything is rendered; the served build, if any, only lends the
    /// buffers of unchanged files and is diffed against.
    Replaced(Option<&'a Build>),
}

/// Renders `compilation` but its search parts into build `number`: only
/// the outputs the change affected when there is a previous compilation
/// to compare with, else everything. With what changed since the served
/// build, when there is one.
fn render(number: u64, previous: Previous, compilation: &Compilation) -> anyhow::Result<(Build, Option<Changes>)> {
    match previous {
        Previous::Replaced(served) => {
            let files = crate::emit::render_selected(compilation, &Selection::all(&compilation.catalog))?;
            let build = Build::new(number, compilation, files, served);
            let changes = served.map(|old| diff(old, &build));
            Ok((build, changes))
        }
        Previous::Changed(old, served) => {
            let rendered = crate::emit::rerender(old, compilation)?;
            let (build, changes) = Build::next(number, compilation, rendered, old, served);
            Ok((build, Some(changes)))
        }
    }
}

/// Makes the search shards and the tantivy index of `compilation` on a
/// thread of their own and hands them to `search`, which requests for them
/// wait on.
fn finish_search(search: Arc<SearchParts>, compilation: Arc<Compilation>) {
    let spawned = std::thread::Builder::new().name("cairn-search".into()).spawn(move || {
        let (shards, index) = rayon::join(
            || crate::emit::search_shards(&compilation),
            || Store::in_memory(&documents(&compilation.catalog)),
        );
        search.finish(shards, index);
    });
    if let Err(error) = spawned {
        eprintln!("warning: cannot start the search thread: {error}");
    }
}

/// A problem that is not the catalog's (the root vanished, a template
/// does not render), as a diagnostic for the overlay and `build.failed`.
fn problem(file: &str, message: &str) -> Diagnostic {
    Diagnostic::new(Code::IoError, FilePosition::file_only(file), message)
}

fn diagnostic_json(d: &Diagnostic) -> serde_json::Value {
    json!({
        "file": d.location.file,
        "line": d.location.line,
        "column": d.location.column,
        "severity": d.severity.as_str(),
        "code": d.code.as_str(),
        "message": d.message,
    })
}

/// `entity.*` for entities, `resource.*` for ResourceDefinition versions.
fn entity_event(change: Change, info: &EntityInfo) -> Event {
    let (name, data) = entity_payload(change, info);
    Event {
        name,
        data,
        subject: Some((info.kind, info.owner.clone())),
    }
}

/// The name and data of an entity's event — what the SSE stream sends and
/// `cairn notify` posts.
pub(crate) fn entity_payload(change: Change, info: &EntityInfo) -> (&'static str, serde_json::Value) {
    let name = match (&info.definition_version, change) {
        (None, Change::Created) => "entity.created",
        (None, Change::Updated) => "entity.updated",
        (None, Change::Deleted) => "entity.deleted",
        (Some(_), Change::Created) => "resource.created",
        (Some(_), Change::Updated) => "resource.updated",
        (Some(_), Change::Deleted) => "resource.deleted",
    };
    let mut data = json!({
        "ref": info.entity_ref,
        "kind": info.kind,
        "name": info.name,
        "owner": info.owner,
        "version": info.version,
        "path": info.path,
    });
    if let Some(version) = &info.definition_version {
        data["version"] = json!(version);
        data["hash"] = json!(info.version);
    }
    (name, data)
}

/// `build.completed`: the build number and the pages it changed.
fn completed(number: u64, changes: &Changes) -> Event {
    let all = changes.pages.len() > MAX_LISTED_PAGES;
    let pages: &[String] = if all { &[] } else { &changes.pages };
    Event {
        name: "build.completed",
        data: json!({ "build": number, "files": changes.files, "all": all, "pages": pages }),
        subject: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_catalog_changes_wake_the_rebuild() {
        let root = Path::new("/c");
        for (path, expected) in [
            ("/c/catalog/a.yaml", true),
            ("/c/catalog/a.yml", true),
            ("/c/templates/base.html", true),
            ("/c/catalog/folder", true),
            ("/c/.git/index", false),
            ("/c/.git/x.yaml", false),
            ("/c/node_modules/p/x.yaml", false),
            ("/c/catalog/.a.yaml.swp", false),
            ("/c/discovered/aws.json", true),
            ("/c/discovered/aws.scan.json", false),
            ("/c/dist/index.html", false),
        ] {
            assert_eq!(relevant(root, Path::new(path)), expected, "{path}");
        }
    }
}
