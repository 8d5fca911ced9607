//! The incremental state of a long-running compiler (`cairn serve`,
//! `cairn mcp`): [`Incremental`] owns the [`Cache`] of what the last
//! compile read and checked and the last good compilation, and decides
//! whether an edit patches that compilation ([`patch`]) or is compiled
//! again reusing the cache ([`super::compile_cached`]). Its invariant: a
//! patch is tried only while the cache describes the last good
//! compilation — no compile has run since that one was served. `cairn
//! check` keeps the same cache on disk between runs ([`persisted`]).

use std::collections::HashSet;

use rustc_hash::FxHashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{apply_policies, compile_cached, Compilation, Timer};
use crate::config::{load_config, Config, CONFIG_FILE};
use crate::diagnostics::{sort_and_dedup, Code, Diagnostic};
use crate::load::base_apis::BaseApis;
use crate::load::facts::load_snapshots;
use crate::load::published::{published_set, Published};
use crate::load::{load, load_reusing, Loaded, Reuse, Walked};
use crate::model::{self, Entity, Kind};
use crate::resolve::Catalog;
use crate::source::{SourceFile, Stamp};
use crate::validate;

mod persisted;

/// The incremental state of one catalog compiled again and again.
pub struct Incremental {
    root: PathBuf,
    base: Option<String>,
    cache: Cache,
    /// The compilation being served, which the next one is compared with
    /// and may patch.
    last_good: Option<Arc<Compilation>>,
    /// Whether `cache` describes `last_good` (no compile ran since it was
    /// served), so that an edit can patch it.
    patchable: bool,
}

impl Incremental {
    /// The state of the catalog at `root` before its first compile; `base`
    /// as [`super::compile`] takes it.
    pub fn new(root: &Path, base: Option<&str>) -> Incremental {
        Incremental {
            root: root.to_path_buf(),
            base: base.map(str::to_string),
            cache: Cache::default(),
            last_good: None,
            patchable: false,
        }
    }

    /// Compiles the catalog: by patching the last good compilation when
    /// the edit allows and `everything` is not asked for, else reusing the
    /// cache. Until [`Incremental::served`] is told of the result, the next
    /// compile does not patch.
    pub fn compile(&mut self, everything: bool) -> anyhow::Result<Compilation> {
        let patched = match &self.last_good {
            Some(previous) if self.patchable && !everything => {
                patch(&self.root, self.base.as_deref(), previous, &mut self.cache)
            }
            _ => None,
        };
        self.patchable = false;
        match patched {
            Some(compilation) => Ok(compilation),
            None => compile_cached(&self.root, None, self.base.as_deref(), &mut self.cache),
        }
    }

    /// Reads `compilation`'s render inputs, reusing the last good
    /// compilation's history where it fits.
    pub fn read_render_inputs(&self, compilation: &mut Compilation) -> anyhow::Result<()> {
        super::read_render_inputs(compilation, self.last_good.as_deref())
    }

    /// Records `compilation` — the one the last [`Incremental::compile`]
    /// returned — as the last good one: the next edit may patch it.
    pub fn served(&mut self, compilation: Arc<Compilation>) {
        self.last_good = Some(compilation);
        self.patchable = true;
    }

    /// The compilation being served, if one is.
    pub fn last_good(&self) -> Option<&Arc<Compilation>> {
        self.last_good.as_ref()
    }

    /// The cache, for what a file watcher tells it ([`Cache::expect_only`],
    /// [`Cache::forget`]) and asks of it ([`Cache::knows`]).
    pub fn cache(&mut self) -> &mut Cache {
        &mut self.cache
    }
}

/// What one compile read, parsed, lowered and checked, kept so that the
/// next compile reads, parses and checks again only the files whose size
/// or modification time changed. Files holding a `Location` are always
/// read again (their targets are followed while loading). A one-shot cache
/// ([`Cache::one_shot`], what [`super::compile`] uses) keeps nothing.
pub struct Cache {
    /// Whether it keeps what a compile read for the next one.
    keeps: bool,
    files: FxHashMap<String, CachedFile>,
    checked: validate::Checked,
    /// What the last walk found.
    walked: Option<Walked>,
    /// For the next compile only: the files that changed, when nothing else
    /// did (no file or directory added, removed or renamed) — the walk and
    /// the stamps are skipped.
    only_changed: Option<HashSet<String>>,
    /// What the last compile's reading and lowering reported (including
    /// the walk and Locations, which no cached file holds), and its
    /// resolving: what [`patch`] keeps of files it does not read again.
    read_diagnostics: Vec<Diagnostic>,
    resolve_diagnostics: Vec<Diagnostic>,
    /// The APIs at the last base commit read (`load::base_apis`).
    base_apis: Option<(String, Arc<BaseApis>)>,
    /// Where the cache is kept on disk between runs, and what it held when
    /// read ([`Cache::persisted`]).
    disk: Option<persisted::Disk>,
    /// How many of the files the last compile kept were read and parsed
    /// again (not reused).
    read_again: usize,
}

impl Default for Cache {
    /// An empty cache that keeps what compiles read.
    fn default() -> Cache {
        Cache {
            keeps: true,
            files: FxHashMap::default(),
            checked: validate::Checked::default(),
            walked: None,
            only_changed: None,
            read_diagnostics: Vec::new(),
            resolve_diagnostics: Vec::new(),
            base_apis: None,
            disk: None,
            read_again: 0,
        }
    }
}

struct CachedFile {
    stamp: Stamp,
    /// Shared with the compilation's texts.
    text: Arc<str>,
    entities: Vec<Arc<Entity>>,
    /// What reading, parsing and lowering it reported.
    diagnostics: Vec<Diagnostic>,
}

impl Cache {
    /// A cache for one compile: it neither stamps nor keeps files.
    pub fn one_shot() -> Cache {
        Cache {
            keeps: false,
            ..Cache::default()
        }
    }

    /// Loads the catalog, leaving unread the files this cache holds
    /// unchanged (and, when [`Cache::expect_only`] said so, without walking).
    pub(super) fn load(&mut self, root: &Path, config: &Config, out_dir: Option<&Path>) -> Loaded {
        if !self.keeps {
            return load(root, config, out_dir);
        }
        let only_changed = self.only_changed.take();
        let cache = &*self;
        let holds = |display: &str, stamp: Option<Stamp>| {
            let Some(cached) = cache.files.get(display) else {
                return false;
            };
            match (stamp, &only_changed) {
                (Some(stamp), _) => cached.stamp == stamp,
                (None, Some(changed)) => !changed.contains(display),
                (None, None) => false,
            }
        };
        let reuse = Reuse {
            walked: cache.walked.as_ref().filter(|_| only_changed.is_some()),
            holds: &holds,
        };
        load_reusing(root, config, out_dir, Some(reuse))
    }

    /// Adds the entities and diagnostics of the files `loaded` reused to
    /// `entities` and `diagnostics` (which hold those of the files read
    /// this time), and remembers what this load read and reported.
    pub(super) fn remember_read(
        &mut self,
        loaded: &mut Loaded,
        entities: &mut Vec<Arc<Entity>>,
        diagnostics: &mut Vec<Diagnostic>,
    ) {
        if !self.keeps {
            return;
        }
        self.update(&mut loaded.files, entities, diagnostics);
        self.walked = Some(std::mem::take(&mut loaded.walked));
        self.read_diagnostics = diagnostics.clone();
    }

    /// Remembers what resolving reported, which [`patch`] keeps of the
    /// files it does not read again.
    pub(super) fn remember_resolved(&mut self, diagnostics: &[Diagnostic]) {
        if self.keeps {
            self.resolve_diagnostics = diagnostics.to_vec();
        }
    }

    /// The APIs at the base commit `base` (`load::base_apis`), read again
    /// only when the commit changed.
    pub(super) fn base_apis(&mut self, root: &Path, base: Option<&str>) -> Arc<BaseApis> {
        let Some(base) = base else {
            return Arc::default();
        };
        if let Some((commit, apis)) = &self.base_apis {
            if commit == base {
                return apis.clone();
            }
        }
        let apis = Arc::new(crate::load::base_apis::read(root, base));
        if self.keeps {
            self.base_apis = Some((base.to_string(), apis.clone()));
        }
        apis
    }

    /// Validates `catalog`, checking again only the documents that changed
    /// since the last validation.
    pub(super) fn validate(&mut self, catalog: &Catalog, config: &Config, published: &Published) -> Vec<Diagnostic> {
        validate::validate_reusing(catalog, config, published, &mut self.checked)
    }

    /// Tells the next compile that of the files it read before only
    /// `changed` (display paths) may differ, and that no file or directory
    /// was added, removed or renamed (what a file watcher's events say):
    /// it then neither walks the catalog nor stamps the other files. A
    /// file it does not know makes it walk as usual.
    pub fn expect_only(&mut self, changed: HashSet<String>) {
        if changed.iter().all(|display| self.files.contains_key(display)) {
            self.only_changed = Some(changed);
        }
    }

    /// Whether the last compile read the file `display`.
    pub fn knows(&self, display: &str) -> bool {
        self.files.contains_key(display)
    }

    /// Whether the last compile read `display` or a file under it.
    pub fn knows_within(&self, display: &str) -> bool {
        self.knows(display)
            || self
                .files
                .keys()
                .any(|file| file.strip_prefix(display).is_some_and(|rest| rest.starts_with('/')))
    }

    /// How many files the last compile took from the cache instead of
    /// reading and parsing them.
    pub fn reused(&self) -> usize {
        self.files.len() - self.read_again
    }

    /// The text of the file `display` as the last compile kept it: for a
    /// file it reused, the only copy (loaded without its text).
    pub(super) fn kept_text(&self, display: &str) -> Option<Arc<str>> {
        self.files.get(display).map(|file| file.text.clone())
    }

    /// Forgets the file `display` (a path relative to the root, `/`
    /// separated): the next compile reads it whatever its stamp says, for
    /// an edit that kept both its size and its modification time.
    pub fn forget(&mut self, display: &str) {
        self.files.remove(display);
    }

    /// Adds the entities and diagnostics of the files `files` reused to
    /// `entities` and `diagnostics` (which hold those of the files read
    /// this time), and remembers the files read this time: the text of a
    /// file kept moves here ([`Cache::kept_text`]).
    fn update(&mut self, files: &mut [SourceFile], entities: &mut Vec<Arc<Entity>>, diagnostics: &mut Vec<Diagnostic>) {
        let mut read: FxHashMap<&str, (Vec<Arc<Entity>>, Vec<Diagnostic>)> = FxHashMap::default();
        for entity in entities.iter() {
            read.entry(entity.file.as_str()).or_default().0.push(entity.clone());
        }
        for diagnostic in diagnostics.iter() {
            read.entry(diagnostic.location.file.as_str())
                .or_default()
                .1
                .push(diagnostic.clone());
        }
        let mut kept = FxHashMap::with_capacity_and_hasher(files.len(), Default::default());
        let mut reused = Vec::new();
        for file in files.iter_mut() {
            let cached = if file.reused {
                let Some(mut cached) = self.files.remove(&file.display) else {
                    continue;
                };
                for entity in &mut cached.entities {
                    if entity.registered != file.registered {
                        Arc::make_mut(entity).registered = file.registered;
                    }
                }
                reused.push(file.display.as_str());
                cached
            } else {
                let Some(stamp) = file.stamp else { continue };
                let (file_entities, file_diagnostics) = read.remove(file.display.as_str()).unwrap_or_default();
                // Read again every time: files from git sources, files
                // holding a Location (its targets are followed while
                // loading) or placeholders (their targets are other files).
                if file.origin.is_some()
                    || !file.placeholder_targets.is_empty()
                    || file_entities.iter().any(|e| e.kind == Kind::Location)
                {
                    continue;
                }
                CachedFile {
                    stamp,
                    text: Arc::from(std::mem::take(&mut file.text)),
                    entities: file_entities,
                    diagnostics: file_diagnostics,
                }
            };
            kept.insert(file.display.clone(), cached);
        }
        self.read_again = kept.len() - reused.len();
        self.files = kept;
        let cached: Vec<&CachedFile> = reused.iter().map(|display| &self.files[*display]).collect();
        entities.extend(cached.iter().flat_map(|file| file.entities.iter().cloned()));
        diagnostics.extend(cached.iter().flat_map(|file| file.diagnostics.iter().cloned()));
    }
}

/// [`compile_cached`] for the commonest edit, in time proportional to the
/// edit rather than to the catalog: `previous` is the last compilation
/// `cache` made, and the files [`Cache::expect_only`] named changed
/// without changing what their entities are called or refer to (see
/// [`crate::resolve::replace`]). Only those files are read, the catalog
/// is `previous`'s with their entities replaced, and the whole catalog is
/// validated again (cheap: unchanged entities' checks are remembered).
/// `None` when the edit is not of that kind (nothing is changed then:
/// compile instead).
pub fn patch(root: &Path, base: Option<&str>, previous: &Compilation, cache: &mut Cache) -> Option<Compilation> {
    let changed = cache.only_changed.as_ref()?;
    let mut timer = Timer::default();
    let loaded_config = load_config(root).ok()?;
    let same_config = loaded_config.text.as_deref() == previous.texts.get(CONFIG_FILE).map(|t| &**t);
    if !same_config || !previous.config.sources.is_empty() {
        return None;
    }
    let config = loaded_config.config;
    let mut read = Vec::new();
    let mut pairs = Vec::new();
    for display in changed {
        let cached = cache.files.get(display)?;
        let source = previous
            .files
            .binary_search_by(|f| f.display.as_str().cmp(display))
            .ok()
            .map(|i| &previous.files[i])?;
        let path = root.join(display);
        let stamp = Stamp::of(&path)?;
        let (mut file, mut diagnostics) = crate::load::read_file(root, &path);
        file.registered = source.registered;
        let (entities, lower_diagnostics) = model::lower_files(std::slice::from_mut(&mut file));
        diagnostics.extend(lower_diagnostics);
        if entities.len() != cached.entities.len() {
            return None;
        }
        pairs.extend(cached.entities.iter().cloned().zip(entities.iter().cloned()));
        read.push((file, stamp, entities, diagnostics));
    }
    timer.lap("load + parse");
    let (snapshots, facts_diagnostics) = load_snapshots(root, &config);
    let reconciled = !snapshots.files.is_empty();
    let changed_here = |d: &Diagnostic| {
        changed.contains(&d.location.file) || d.related.iter().any(|r| changed.contains(&r.location.file))
    };
    let only_refs = |d: &Diagnostic| matches!(d.code, Code::InvalidRef | Code::RefWrongKind | Code::UnresolvedRef);
    if cache
        .resolve_diagnostics
        .iter()
        .any(|d| changed_here(d) && !only_refs(d))
    {
        return None;
    }
    let (mut catalog, ref_diagnostics) = crate::resolve::replace(&previous.catalog, pairs, reconciled, &config)?;
    timer.lap("resolve");
    let published = published_set(root, base).ok()?;
    catalog.base_apis = cache.base_apis(root, published.base.as_deref());

    // Committed: the cache now describes this compilation.
    let changed = cache.only_changed.take().unwrap_or_default();
    let mut texts = previous.texts.clone();
    let mut read_diagnostics: Vec<Diagnostic> = cache
        .read_diagnostics
        .iter()
        .filter(|d| !changed.contains(&d.location.file))
        .cloned()
        .collect();
    for (mut file, stamp, entities, diagnostics) in read {
        let text: Arc<str> = Arc::from(std::mem::take(&mut file.text));
        texts.insert(file.display.clone(), text.clone());
        read_diagnostics.extend(diagnostics.iter().cloned());
        cache.files.insert(
            file.display,
            CachedFile {
                stamp,
                text,
                entities,
                diagnostics,
            },
        );
    }
    cache.read_diagnostics = read_diagnostics.clone();
    cache
        .resolve_diagnostics
        .retain(|d| !changed.contains(&d.location.file));
    cache.resolve_diagnostics.extend(ref_diagnostics);

    let mut diagnostics = loaded_config.diagnostics;
    diagnostics.extend(read_diagnostics);
    diagnostics.extend(facts_diagnostics);
    diagnostics.extend(cache.resolve_diagnostics.iter().cloned());
    diagnostics.extend(cache.validate(&catalog, &config, &published));
    timer.lap("validate");
    apply_policies(&config, &mut diagnostics);
    sort_and_dedup(&mut diagnostics);
    Some(Compilation {
        root: root.to_path_buf(),
        config,
        files: previous.files.clone(),
        catalog,
        diagnostics,
        timings: timer.laps,
        snapshots: previous.snapshots.clone(),
        git_sources: previous.git_sources.clone(),
        head: crate::load::history::head(root),
        history: Arc::default(),
        templates: Arc::default(),
        texts,
        lowered: Arc::default(),
    })
}
