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
use crate::diagnostics::{sort_and_dedup, Counts, Diagnostic};
use crate::load::build_cache::BuildCache;
use crate::load::facts::{load_snapshots, Snapshots};
use crate::load::published::published_set;
use crate::model::{self, Entity};
use crate::resolve::{resolve, Catalog};
use crate::source::SourceFile;

mod incremental;

pub use incremental::{patch, Cache, Incremental};

/// Reads what the outputs show besides the catalog into `compilation`:
/// its git history (`load::history`) and the portal's templates
/// (`load::templates`). Called before anything renders, so that rendering
/// is a function of the compilation. `previous`'s history is reused when it
/// was read for the same HEAD, sources and edit URL (`cairn serve`'s
/// rebuilds, an incremental `cairn build`). An error when a template the
/// catalog overrides cannot be read.
pub fn read_render_inputs(compilation: &mut Compilation, previous: Option<&Compilation>) -> anyhow::Result<()> {
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
    compilation.templates = Arc::new(crate::load::templates::read(&compilation.root)?);
    Ok(())
}

/// Everything one run of the pipeline produced.
pub struct Compilation {
    pub root: PathBuf,
    pub config: Config,
    /// What was read, in display order (texts and documents moved out).
    pub files: Arc<Vec<SourceFile>>,
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
    /// [`read_render_inputs`], which the commands that render call (`cairn
    /// check` never pays for it).
    pub history: Arc<crate::load::history::History>,
    /// The portal's templates: the built-in ones until
    /// [`read_render_inputs`].
    pub templates: Arc<crate::load::templates::Templates>,
    /// The text of every source (and cairn.yaml) for quoting lines;
    /// persistent, so that a patched compilation shares it.
    texts: imbl::HashMap<String, Arc<str>>,
    /// The entities as lowered, in file order, before `resolve` merged
    /// facts into any: what [`compile_cached_build`] takes instead of
    /// parsing a file again that has not changed (empty unless compiled
    /// for a build).
    lowered: Arc<Vec<Arc<Entity>>>,
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
    compile_cached(root, out_dir, base, &mut Cache::one_shot())
}

/// [`compile`], reusing what `cache` holds of an earlier compile and then
/// leaving in it what this one read and checked.
pub fn compile_cached(
    root: &Path,
    out_dir: Option<&Path>,
    base: Option<&str>,
    cache: &mut Cache,
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

    // The published set is read from git while the files are walked and
    // parsed: neither needs the other, and opening the repository the
    // first time costs tens of milliseconds (libgit2 loads the system's
    // TLS certificates) that would otherwise be spent alone.
    let (mut loaded, published) = rayon::join(|| cache.load(root, &config, out_dir), || published_set(root, base));
    let published = published?;
    timer.lap("load + parse");
    let (mut entities, lower_diagnostics) = model::lower_files(&mut loaded.files);
    let mut read_diagnostics = std::mem::take(&mut loaded.diagnostics);
    read_diagnostics.extend(lower_diagnostics);
    cache.remember_read(&mut loaded, &mut entities, &mut read_diagnostics);
    diagnostics.extend(read_diagnostics);
    // Kept only when compiling for a build (the one caller with an output
    // directory), whose previous catalog reuses them: held elsewhere, they
    // would make `resolve` copy every entity it fills in from facts.
    let lowered = match out_dir {
        Some(_) => Arc::new(entities.clone()),
        None => Arc::default(),
    };
    timer.lap("model");
    let (snapshots, facts_diagnostics) = load_snapshots(root, &config);
    diagnostics.extend(facts_diagnostics);
    timer.lap("facts");
    let (mut catalog, resolve_diagnostics) = resolve(entities, &snapshots, &config);
    cache.remember_resolved(&resolve_diagnostics);
    diagnostics.extend(resolve_diagnostics);
    timer.lap("resolve");
    catalog.base_apis = cache.base_apis(root, published.base.as_deref());
    timer.lap("base APIs");
    diagnostics.extend(cache.validate(&catalog, &config, &published));
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
        let text = std::mem::take(&mut file.text);
        let text = cache.kept_text(&file.display).unwrap_or_else(|| text.into());
        texts.insert(file.display.clone(), text);
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
        templates: Arc::default(),
        texts,
        lowered,
    })
}

/// The catalog a previous build compiled, again, from what its build cache
/// kept: its files' texts, its placeholders' targets and its facts (the
/// files themselves may have changed since). Only what choosing the
/// outputs to render needs: no published set, no validation.
///
/// A file whose text, registration and placeholders are what `current`
/// read is not parsed again: its entities are `current`'s, as lowered
/// (shared, not copied), so the two catalogs hold one copy of every
/// unchanged document.
pub fn compile_cached_build(root: &Path, cache: &BuildCache, current: &Compilation) -> Compilation {
    use crate::load::placeholders::{dir_of, Target, TargetError};
    let (config, _) = cache
        .config
        .as_deref()
        .map(crate::config::parse_config)
        .unwrap_or_default();
    let unchanged = unchanged_lowered(cache, current);
    let mut reused: Vec<Arc<Entity>> = Vec::new();
    let mut files: Vec<SourceFile> = cache
        .sources
        .iter()
        .map(|source| {
            if let Some(entities) = unchanged.get(source.display.as_str()) {
                reused.extend(entities.iter().cloned());
                return SourceFile {
                    display: source.display.clone(),
                    registered: source.registered,
                    reused: true,
                    ..SourceFile::default()
                };
            }
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
    let (mut entities, _) = model::lower_files(&mut files);
    // Appended after the parsed files' entities: `resolve` orders them by
    // identity, file and document, not by where they come in.
    entities.extend(reused);
    let snapshots = cache.snapshots();
    let (catalog, _) = resolve(entities, &snapshots, &config);
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
        templates: Arc::default(),
        texts: imbl::HashMap::new(),
        lowered: Arc::default(),
    }
}

/// `current`'s lowered entities of each file that the build cache holds
/// unchanged: the same text and registration, read from the catalog (not
/// a `git:` source) and without placeholders, whose targets may differ.
fn unchanged_lowered<'a>(cache: &BuildCache, current: &'a Compilation) -> HashMap<&'a str, Vec<Arc<Entity>>> {
    let cached: HashMap<&str, &crate::load::build_cache::CachedSource> =
        cache.sources.iter().map(|s| (s.display.as_str(), s)).collect();
    let same = |file: &SourceFile| {
        cached.get(file.display.as_str()).is_some_and(|source| {
            file.origin.is_none()
                && file.placeholder_targets.is_empty()
                && source.registered == file.registered
                && current.text(&file.display) == Some(source.text.as_str())
        })
    };
    let unchanged: HashSet<&str> = current
        .files
        .iter()
        .filter(|f| same(f))
        .map(|f| f.display.as_str())
        .collect();
    let mut lowered: HashMap<&str, Vec<Arc<Entity>>> = HashMap::new();
    for entity in current.lowered.iter().filter(|e| unchanged.contains(e.file.as_str())) {
        lowered.entry(entity.file.as_str()).or_default().push(entity.clone());
    }
    lowered
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
    Ok(resolve(entities, &Default::default(), &config).0)
}
