//! The compiler pipeline as one readable function: load → parse → model →
//! resolve → validate. Emitting is left to the commands, which decide what
//! to write.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::config::{load_config, Config, CONFIG_FILE};
use crate::diagnostics::render::{SourceLines, Summary};
use crate::diagnostics::{sort_and_dedup, Code, Counts, Diagnostic};
use crate::load::build_cache::BuildCache;
use crate::load::facts::{load_snapshots, Snapshots};
use crate::load::published::published_set;
use crate::load::{load, load_reusing, Reuse, Walked};
use crate::model::{Entity, Kind};
use crate::resolve::{resolve, Catalog};
use crate::source::{SourceFile, Stamp};
use crate::{model, validate};

/// Reads the git history the outputs show (`load::history`) into
/// `compilation`: before anything renders, so rendering is a function of
/// the compilation. `previous`'s is reused when it was read for the same
/// HEAD, sources and edit URL (`cairn serve`'s rebuilds, an incremental
/// `cairn build`).
pub fn read_history(compilation: &mut Compilation, previous: Option<&Compilation>) {
    let key = crate::load::history::key(compilation.head.as_ref(), &compilation.config);
    let reusable = previous.filter(|p| p.root == compilation.root && p.history.key.as_deref() == Some(key.as_str()));
    compilation.history = match reusable {
        Some(previous) => Arc::clone(&previous.history),
        None => Arc::new(crate::load::history::read(
            &compilation.root,
            compilation.head.as_ref(),
            &compilation.config,
        )),
    };
}

/// Everything one run of the pipeline produced.
pub struct Compilation {
    pub root: PathBuf,
    pub config: Config,
    /// What was read, in display order (texts and documents moved out).
    pub files: Arc<[SourceFile]>,
    pub catalog: Catalog,
    /// Every diagnostic of the run, severities as configured, sorted.
    pub diagnostics: Vec<Diagnostic>,
    /// How long each stage took, for `-v`.
    pub timings: Vec<(&'static str, Duration)>,
    /// The discovered facts as loaded (the build cache keeps them).
    pub snapshots: Arc<Snapshots>,
    /// How each `git:` source was read (source health).
    pub git_sources: Arc<[crate::load::git_source::SourceHealth]>,
    /// HEAD of the catalog's repository when it was compiled: the change
    /// feed is a function of it.
    pub head: Option<crate::load::history::Head>,
    /// What git history says of the catalog: empty until
    /// [`read_history`], which the commands that render call (`cairn
    /// check` never pays for it).
    pub history: Arc<crate::load::history::History>,
    /// The text of every source (and cairn.yaml) for quoting lines;
    /// persistent, so that a patched compilation shares it.
    texts: imbl::HashMap<String, Arc<str>>,
}

impl Compilation {
    pub fn counts(&self) -> Counts {
        Counts::of(&self.diagnostics)
    }

    /// Totals for the summary line and `--format json`.
    pub fn summary(&self, diagnostics: &[Diagnostic], files: usize) -> Summary {
        let counts = Counts::of(diagnostics);
        Summary {
            errors: counts.errors,
            warnings: counts.warnings,
            files,
            entities: self.catalog.entities.len(),
        }
    }
}

impl Compilation {
    /// The text of a file this compilation read (a catalog file, a
    /// placeholder's target, `cairn.yaml`).
    pub fn text(&self, display: &str) -> Option<&str> {
        self.texts.get(display).map(|t| &**t)
    }
}

impl SourceLines for Compilation {
    fn line(&self, file: &str, line: u32) -> Option<&str> {
        let text = self.texts.get(file)?;
        text.lines().nth(line.checked_sub(1)? as usize)
    }
}

/// Compiles the catalog at `root`. `out_dir` (relative to the root or
/// absolute) is skipped when walking; `base` names the git revision that
/// holds the published ResourceDefinition versions (see `load::published`). Errors are reserved for cairn being
/// unable to run at all (exit status 2); problems of the catalog are
/// diagnostics.
pub fn compile(root: &Path, out_dir: Option<&Path>, base: Option<&str>) -> anyhow::Result<Compilation> {
    compile_inner(root, out_dir, base, None)
}

/// What one compile read, parsed, lowered and checked, kept by `cairn
/// serve` so that the next compile reads, parses and checks again only the
/// files whose size or modification time changed. Files holding a
/// `Location` are always read again (their targets are followed while
/// loading).
#[derive(Default)]
pub struct Cache {
    files: HashMap<String, CachedFile>,
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
}

struct CachedFile {
    stamp: Stamp,
    text: String,
    entities: Vec<Arc<Entity>>,
    /// What reading, parsing and lowering it reported.
    diagnostics: Vec<Diagnostic>,
}

/// [`compile`], reusing and then updating `cache`.
pub fn compile_cached(
    root: &Path,
    out_dir: Option<&Path>,
    base: Option<&str>,
    cache: &mut Cache,
) -> anyhow::Result<Compilation> {
    compile_inner(root, out_dir, base, Some(cache))
}

fn compile_inner(
    root: &Path,
    out_dir: Option<&Path>,
    base: Option<&str>,
    mut cache: Option<&mut Cache>,
) -> anyhow::Result<Compilation> {
    let meta = std::fs::metadata(root).with_context(|| format!("cannot read catalog root `{}`", root.display()))?;
    if !meta.is_dir() {
        bail!("catalog root `{}` is not a directory", root.display());
    }
    let mut timer = Timer::default();
    let loaded_config =
        load_config(root).with_context(|| format!("cannot read {}", root.join(CONFIG_FILE).display()))?;
    let config = loaded_config.config;
    let mut diagnostics = loaded_config.diagnostics;

    let mut loaded = match cache.as_deref_mut() {
        None => load(root, &config, out_dir),
        Some(cache) => {
            let only_changed = cache.only_changed.take();
            let cache = &*cache;
            let text = |display: &str, stamp: Option<Stamp>| {
                let cached = cache.files.get(display)?;
                let unchanged = match (stamp, &only_changed) {
                    (Some(stamp), _) => cached.stamp == stamp,
                    (None, Some(changed)) => !changed.contains(display),
                    (None, None) => false,
                };
                unchanged.then(|| cached.text.clone())
            };
            let reuse = Reuse {
                walked: cache.walked.as_ref().filter(|_| only_changed.is_some()),
                text: &text,
            };
            load_reusing(root, &config, out_dir, Some(reuse))
        }
    };
    timer.lap("load + parse");
    let (entities, lower_diagnostics) = model::lower_files(&mut loaded.files);
    let mut entities: Vec<Arc<Entity>> = entities.into_iter().map(Arc::new).collect();
    let mut read_diagnostics = std::mem::take(&mut loaded.diagnostics);
    read_diagnostics.extend(lower_diagnostics);
    if let Some(cache) = cache.as_deref_mut() {
        cache.update(&loaded.files, &mut entities, &mut read_diagnostics);
        cache.walked = Some(std::mem::take(&mut loaded.walked));
        cache.read_diagnostics = read_diagnostics.clone();
    }
    diagnostics.extend(read_diagnostics);
    timer.lap("model");
    let (snapshots, facts_diagnostics) = load_snapshots(root, &config);
    diagnostics.extend(facts_diagnostics);
    timer.lap("facts");
    let (mut catalog, resolve_diagnostics) = resolve(entities, &snapshots, &config);
    if let Some(cache) = cache.as_deref_mut() {
        cache.resolve_diagnostics = resolve_diagnostics.clone();
    }
    diagnostics.extend(resolve_diagnostics);
    timer.lap("resolve");
    let published = published_set(root, base)?;
    catalog.base_apis = crate::load::base_apis::read(root, published.base.as_deref());
    timer.lap("published set");
    diagnostics.extend(match cache {
        Some(cache) => validate::validate_reusing(&catalog, &config, &published, &mut cache.checked),
        None => validate::validate(&catalog, &config, &published),
    });
    timer.lap("validate");

    apply_policies(&config, &mut diagnostics);
    sort_and_dedup(&mut diagnostics);

    let mut texts = imbl::HashMap::new();
    if let Some(text) = loaded_config.text {
        texts.insert(CONFIG_FILE.to_string(), text.into());
    }
    let git_sources = std::mem::take(&mut loaded.git_sources);
    let mut files = loaded.files;
    for file in &mut files {
        texts.insert(file.display.clone(), std::mem::take(&mut file.text).into());
        for (display, text) in std::mem::take(&mut file.placeholder_texts) {
            texts.insert(display, text.into());
        }
    }
    Ok(Compilation {
        root: root.to_path_buf(),
        config,
        files: files.into(),
        catalog,
        diagnostics,
        timings: timer.laps,
        snapshots: Arc::new(snapshots),
        git_sources: git_sources.into(),
        head: crate::load::history::head(root),
        history: Arc::default(),
        texts,
    })
}

/// The catalog a previous build compiled, again, from what its build cache
/// kept: its files' texts, its placeholders' targets and its facts (the
/// files themselves may have changed since). Only what choosing the
/// outputs to render needs: no published set, no validation.
pub fn compile_cached_build(root: &Path, cache: &BuildCache) -> Compilation {
    use crate::load::placeholders::{dir_of, Target, TargetError};
    let (config, _) = cache
        .config
        .as_deref()
        .map(crate::config::parse_config)
        .unwrap_or_default();
    let mut files: Vec<SourceFile> = cache
        .sources
        .iter()
        .map(|source| {
            let (mut file, _) = SourceFile::parse(source.display.clone(), source.text.clone(), None);
            file.registered = source.registered;
            let read = |path: &str| {
                cache
                    .targets
                    .get(path)
                    .map(|text| Target {
                        display: path.to_string(),
                        text: text.clone(),
                    })
                    .ok_or(TargetError::Missing)
            };
            let dir = dir_of(&file.display).to_string();
            file.resolve_placeholders(&dir, &read);
            file
        })
        .collect();
    let (entities, _) = model::lower_files(&mut files);
    let snapshots = cache.snapshots();
    let (catalog, _) = resolve(entities.into_iter().map(Arc::new).collect(), &snapshots, &config);
    Compilation {
        root: root.to_path_buf(),
        config,
        files: files.into(),
        catalog,
        diagnostics: Vec::new(),
        timings: Vec::new(),
        snapshots: Arc::new(snapshots),
        git_sources: Arc::new([]),
        head: cache.head.clone(),
        history: Arc::default(),
        texts: imbl::HashMap::new(),
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
        let stamp = std::fs::metadata(&path)
            .and_then(|m| Ok((m.len(), m.modified()?)))
            .ok()?;
        let (mut file, mut diagnostics) = crate::load::read_file(root, &path);
        file.registered = source.registered;
        let (entities, lower_diagnostics) = model::lower_files(std::slice::from_mut(&mut file));
        let entities: Vec<Arc<Entity>> = entities.into_iter().map(Arc::new).collect();
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
    catalog.base_apis = crate::load::base_apis::read(root, published.base.as_deref());

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
        let text = std::mem::take(&mut file.text);
        texts.insert(file.display.clone(), Arc::from(text.as_str()));
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
    diagnostics.extend(validate::validate_reusing(
        &catalog,
        &config,
        &published,
        &mut cache.checked,
    ));
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
        texts,
    })
}

impl Cache {
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

    /// Forgets the file `display` (a path relative to the root, `/`
    /// separated): the next compile reads it whatever its stamp says, for
    /// an edit that kept both its size and its modification time.
    pub fn forget(&mut self, display: &str) {
        self.files.remove(display);
    }

    /// Adds the entities and diagnostics of the files `files` reused to
    /// `entities` and `diagnostics` (which hold those of the files read
    /// this time), and remembers the files read this time.
    fn update(&mut self, files: &[SourceFile], entities: &mut Vec<Arc<Entity>>, diagnostics: &mut Vec<Diagnostic>) {
        let mut read: HashMap<&str, (Vec<Arc<Entity>>, Vec<Diagnostic>)> = HashMap::new();
        for entity in entities.iter() {
            read.entry(entity.file.as_str()).or_default().0.push(entity.clone());
        }
        for diagnostic in diagnostics.iter() {
            read.entry(diagnostic.location.file.as_str())
                .or_default()
                .1
                .push(diagnostic.clone());
        }
        let mut kept = HashMap::with_capacity(files.len());
        let mut reused = Vec::new();
        for file in files {
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
                    text: file.text.clone(),
                    entities: file_entities,
                    diagnostics: file_diagnostics,
                }
            };
            kept.insert(file.display.clone(), cached);
        }
        self.files = kept;
        let cached: Vec<&CachedFile> = reused.iter().map(|display| &self.files[*display]).collect();
        entities.extend(cached.iter().flat_map(|file| file.entities.iter().cloned()));
        diagnostics.extend(cached.iter().flat_map(|file| file.diagnostics.iter().cloned()));
    }
}

/// Applies `policies:` from cairn.yaml: configurable rules get their
/// configured severity, and rules turned `off` are dropped. A rule the
/// file does not mention keeps the severity it gave (a breaking API change
/// nobody consumes is a warning, one with consumers an error).
fn apply_policies(config: &Config, diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.retain_mut(|d| {
        if !d.code.is_configurable() {
            return true;
        }
        let configured = d
            .target
            .and_then(|t| config.policy_targets.get(&(d.code, t.to_string())))
            .or_else(|| config.policies.get(&d.code));
        match configured {
            None => true,
            Some(Some(severity)) => {
                d.severity = *severity;
                true
            }
            Some(None) => false,
        }
    });
}

/// Measures consecutive steps.
struct Timer {
    last: Instant,
    laps: Vec<(&'static str, Duration)>,
}

impl Default for Timer {
    fn default() -> Self {
        Timer {
            last: Instant::now(),
            laps: Vec::new(),
        }
    }
}

impl Timer {
    fn lap(&mut self, step: &'static str) {
        let now = Instant::now();
        self.laps.push((step, now - self.last));
        self.last = now;
    }
}

/// The resolved catalog at a git revision, for comparing revisions (`cairn
/// diff`). Uses the working tree's `cairn.yaml`; diagnostics are dropped:
/// the catalog is compared, not checked.
pub fn catalog_at(root: &Path, rev: &str) -> anyhow::Result<Catalog> {
    let config = load_config(root)
        .with_context(|| format!("cannot read {}", root.join(CONFIG_FILE).display()))?
        .config;
    let mut loaded = crate::load::revision::load_revision(root, rev)?;
    let (entities, _) = model::lower_files(&mut loaded.files);
    let entities = entities.into_iter().map(Arc::new).collect();
    Ok(resolve(entities, &Default::default(), &config).0)
}
