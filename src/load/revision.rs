//! The catalog as it was at a git revision: every YAML file under the
//! catalog root in that commit's tree, read from the object database (no
//! checkout) and parsed like files on disk. `cairn diff` compiles two of
//! these (or one and the working tree) and compares them.

use std::path::Path;

use anyhow::Context;
use git2::Repository;
use rayon::prelude::*;

use super::published::{prefix_of, resolve_base};
use super::Loaded;
use crate::source::SourceFile;

/// Loads the catalog at `root` as of revision `rev`.
pub fn load_revision(root: &Path, rev: &str) -> anyhow::Result<Loaded> {
    load_revision_where(root, rev, &|_| true)
}

/// [`load_revision`], parsing only the files whose text `wanted` accepts
/// (a cheap filter before the YAML parser, e.g. on a kind's name).
pub fn load_revision_where(root: &Path, rev: &str, wanted: &(dyn Fn(&str) -> bool + Sync)) -> anyhow::Result<Loaded> {
    let repo =
        Repository::discover(root).with_context(|| format!("`{}` is not in a git repository", root.display()))?;
    let workdir = repo.workdir().context("the repository has no working tree")?;
    let prefix = prefix_of(workdir, root)?;
    let commit = repo.find_commit(
        resolve_base(&repo, rev).map_err(|e| anyhow::anyhow!(e.to_string().replace("--base", "revision")))?,
    )?;
    let (tree_files, _outside) = super::git_source::yaml_blobs(&repo, &commit.tree()?)?;
    // Only files under the catalog root, read through links that stay
    // under it (the working tree's walk reports the others).
    let blobs: Vec<_> = tree_files
        .into_iter()
        .filter(|file| file.target.as_deref().is_none_or(|target| target.starts_with(&prefix)))
        .filter_map(|file| {
            let relative = file.path.strip_prefix(&prefix)?;
            (relative != crate::config::CONFIG_FILE).then(|| (file.id, relative.to_string()))
        })
        .collect();
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
        .filter(|(_, text)| wanted(text))
        .map(|(display, text)| SourceFile::parse(display, text, None))
        .collect();
    // Placeholders read the catalog root's tree at that revision.
    let tree = commit.tree()?;
    let root_tree = match prefix.trim_end_matches('/') {
        "" => tree,
        dir => repo.find_tree(tree.get_path(Path::new(dir))?.id())?,
    };
    let read = super::git_source::tree_reader(&repo, &root_tree, str::to_string);
    for (mut file, diagnostics) in parsed {
        loaded.diagnostics.extend(diagnostics);
        let dir = super::placeholders::dir_of(&file.display).to_string();
        loaded.diagnostics.extend(file.resolve_placeholders(&dir, &read));
        loaded.files.push(file);
    }
    loaded.files.sort_by(|a, b| a.display.cmp(&b.display));
    Ok(loaded)
}

/// A commit as `cairn notify` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    /// The full hex id.
    pub id: String,
    /// The first line of its message.
    pub summary: String,
}

/// The commit `rev` names in the repository holding `root`.
pub fn commit_info(root: &Path, rev: &str) -> anyhow::Result<CommitInfo> {
    let repo =
        Repository::discover(root).with_context(|| format!("`{}` is not in a git repository", root.display()))?;
    let id = resolve_base(&repo, rev).map_err(|e| anyhow::anyhow!(e.to_string().replace("--base", "revision")))?;
    let commit = repo.find_commit(id)?;
    Ok(CommitInfo {
        id: id.to_string(),
        summary: String::from_utf8_lossy(commit.summary_bytes().unwrap_or_default()).into_owned(),
    })
}
