//! The catalog as it was at a git revision: every YAML file under the
//! catalog root in that commit's tree, read from the object database (no
//! checkout) and parsed like files on disk. `cairn diff` compiles two of
//! these (or one and the working tree) and compares them.

use std::path::Path;

use anyhow::Context;
use git2::{ObjectType, Repository, TreeWalkMode, TreeWalkResult};
use rayon::prelude::*;

use super::published::{prefix_of, resolve_base};
use super::{Loaded, SourceFile};

/// Loads the catalog at `root` as of revision `rev`.
pub fn load_revision(root: &Path, rev: &str) -> anyhow::Result<Loaded> {
    let repo =
        Repository::discover(root).with_context(|| format!("`{}` is not in a git repository", root.display()))?;
    let workdir = repo.workdir().context("the repository has no working tree")?;
    let prefix = prefix_of(workdir, root)?;
    let commit = repo.find_commit(
        resolve_base(&repo, rev).map_err(|e| anyhow::anyhow!(e.to_string().replace("--base", "revision")))?,
    )?;
    let mut blobs = Vec::new();
    commit.tree()?.walk(TreeWalkMode::PreOrder, |dir, entry| {
        let path = format!("{dir}{}", entry.name().unwrap_or_default());
        if entry.kind() == Some(ObjectType::Blob) && (path.ends_with(".yaml") || path.ends_with(".yml")) {
            if let Some(relative) = path.strip_prefix(&prefix) {
                if relative != crate::config::CONFIG_FILE {
                    blobs.push((entry.id(), relative.to_string()));
                }
            }
        }
        TreeWalkResult::Ok
    })?;
    let texts: Vec<(String, String)> = blobs
        .into_iter()
        .map(|(id, path)| {
            Ok((
                path,
                String::from_utf8_lossy(repo.find_blob(id)?.content()).into_owned(),
            ))
        })
        .collect::<anyhow::Result<_>>()?;
    let mut loaded = Loaded::default();
    let parsed: Vec<(SourceFile, Vec<crate::diagnostics::Diagnostic>)> = texts
        .into_par_iter()
        .map(|(display, text)| SourceFile::parse(display, text, None))
        .collect();
    for (file, diagnostics) in parsed {
        loaded.diagnostics.extend(diagnostics);
        loaded.files.push(file);
    }
    loaded.files.sort_by(|a, b| a.display.cmp(&b.display));
    Ok(loaded)
}
