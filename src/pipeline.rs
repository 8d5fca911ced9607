//! The compiler pipeline as one readable function: load → parse → model →
//! resolve → validate. Emitting is left to the commands, which decide what
//! to write.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use crate::config::{load_config, Config, CONFIG_FILE};
use crate::diagnostics::render::{SourceLines, Summary};
use crate::diagnostics::{sort_and_dedup, Counts, Diagnostic};
use crate::load::facts::load_snapshots;
use crate::load::published::published_set;
use crate::load::{load, SourceFile};
use crate::resolve::{resolve, Catalog};
use crate::{model, validate};

/// Everything one run of the pipeline produced.
pub struct Compilation {
    pub root: PathBuf,
    pub config: Config,
    pub files: Vec<SourceFile>,
    pub catalog: Catalog,
    /// Every diagnostic of the run, severities as configured, sorted.
    pub diagnostics: Vec<Diagnostic>,
    /// How long each stage took, for `-v`.
    pub timings: Vec<(&'static str, Duration)>,
    /// Line starts of every source (and cairn.yaml) for quoting lines.
    texts: HashMap<String, String>,
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
    let meta = std::fs::metadata(root).with_context(|| format!("cannot read catalog root `{}`", root.display()))?;
    if !meta.is_dir() {
        bail!("catalog root `{}` is not a directory", root.display());
    }
    let mut timer = Timer::default();
    let loaded_config =
        load_config(root).with_context(|| format!("cannot read {}", root.join(CONFIG_FILE).display()))?;
    let config = loaded_config.config;
    let mut diagnostics = loaded_config.diagnostics;

    let mut loaded = load(root, &config, out_dir);
    diagnostics.append(&mut loaded.diagnostics);
    timer.lap("load + parse");
    let (entities, lower_diagnostics) = model::lower_files(&mut loaded.files);
    diagnostics.extend(lower_diagnostics);
    timer.lap("model");
    let (snapshots, facts_diagnostics) = load_snapshots(root, &config);
    diagnostics.extend(facts_diagnostics);
    timer.lap("facts");
    let (catalog, resolve_diagnostics) = resolve(entities, &snapshots, &config);
    diagnostics.extend(resolve_diagnostics);
    timer.lap("resolve");
    let published = published_set(root, base)?;
    timer.lap("published set");
    diagnostics.extend(validate::validate(&catalog, &config, &published));
    timer.lap("validate");

    apply_policies(&config, &mut diagnostics);
    sort_and_dedup(&mut diagnostics);

    let mut texts: HashMap<String, String> = HashMap::new();
    if let Some(text) = loaded_config.text {
        texts.insert(CONFIG_FILE.to_string(), text);
    }
    let mut files = loaded.files;
    for file in &mut files {
        texts.insert(file.display.clone(), std::mem::take(&mut file.text));
    }
    Ok(Compilation {
        root: root.to_path_buf(),
        config,
        files,
        catalog,
        diagnostics,
        timings: timer.laps,
        texts,
    })
}

/// Applies `policies:` from cairn.yaml: configurable rules get their
/// configured severity, and rules turned `off` are dropped.
fn apply_policies(config: &Config, diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.retain_mut(|d| {
        if !d.code.is_configurable() {
            return true;
        }
        match config.severity_of(d.code) {
            Some(severity) => {
                d.severity = severity;
                true
            }
            None => false,
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
