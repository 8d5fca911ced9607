//! Emit: everything `cairn build` writes. The static JSON API ([`api`]), its
//! OpenAPI description ([`openapi`]) and the JSON Schemas are first built in
//! memory as a map of relative path → bytes, then written by
//! [`write_atomically`]: into a fresh directory beside the output, swapped in
//! with renames, so a failed or killed build leaves the previous output
//! untouched.
//!
//! Architecture Invariant: this is the only module that writes files. Every
//! output path is made of names that validation accepted, and is checked
//! again by [`safe_relative_path`] before anything is written.

pub mod api;
pub mod openapi;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use rayon::prelude::*;

use crate::pipeline::Compilation;
use crate::validate::schema::SCHEMAS;

/// The files of one build: relative path → contents.
pub type Files = BTreeMap<String, Vec<u8>>;

/// Facts about the build that go into `status.json`. No timestamps: the same
/// input must give byte-identical output.
#[derive(Debug, Clone)]
pub struct BuildInfo {
    pub cairn_version: &'static str,
    pub errors: usize,
    pub warnings: usize,
}

/// What a build wrote, and how long rendering and writing took.
#[derive(Debug, Clone, Copy)]
pub struct BuildReport {
    pub files: usize,
    pub bytes: usize,
    pub render: Duration,
    pub write: Duration,
}

/// Builds every output file of `compilation` and writes them to `out_dir`.
pub fn build(compilation: &Compilation, out_dir: &Path) -> anyhow::Result<BuildReport> {
    let started = Instant::now();
    let counts = compilation.counts();
    let info = BuildInfo {
        cairn_version: env!("CARGO_PKG_VERSION"),
        errors: counts.errors,
        warnings: counts.warnings,
    };
    let mut files = api::api_files(&compilation.catalog, &compilation.config, &info);
    for schema in SCHEMAS.files() {
        files.insert(
            format!("schemas/{}", schema.path().display()),
            schema.contents().to_vec(),
        );
    }
    let render = started.elapsed();
    write_atomically(&compilation.root, out_dir, &files)?;
    Ok(BuildReport {
        files: files.len(),
        bytes: files.values().map(Vec::len).sum(),
        render,
        write: started.elapsed() - render,
    })
}

/// Whether `path` is a plain relative path: `/`-separated segments, none
/// empty, `.` or `..`, no backslashes, no absolute path or drive.
pub fn safe_relative_path(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains(['\\', '\0', ':'])
        && path
            .split('/')
            .all(|segment| !segment.is_empty() && segment != "." && segment != "..")
}

/// Writes `files` into `out_dir`, replacing what was there, atomically: the
/// files go to a temporary directory next to `out_dir`, which is then
/// renamed into place; the old output is removed only after the swap. On
/// error the old output is untouched.
pub fn write_atomically(root: &Path, out_dir: &Path, files: &Files) -> anyhow::Result<()> {
    if let Some(bad) = files.keys().find(|p| !safe_relative_path(p)) {
        bail!("refusing to write `{bad}`: not a plain relative path");
    }
    let root = std::fs::canonicalize(root).with_context(|| format!("cannot resolve `{}`", root.display()))?;
    let parent = out_dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).with_context(|| format!("cannot create `{}`", parent.display()))?;
    let parent = std::fs::canonicalize(parent)?;
    let name = out_dir
        .file_name()
        .with_context(|| format!("`{}` is not a directory name", out_dir.display()))?;
    let target = parent.join(name);
    if root.starts_with(&target) {
        bail!(
            "refusing to write the output to `{}`: it contains the catalog",
            out_dir.display()
        );
    }
    let staging = tempfile::Builder::new()
        .prefix(".cairn-build-")
        .tempdir_in(&parent)
        .context("cannot create a temporary directory for the build")?;
    // Directories first, each once, then the files; both in parallel
    // (`create_dir_all` tolerates a parent created by another thread).
    let dirs: std::collections::BTreeSet<&str> = files
        .keys()
        .filter_map(|p| p.rsplit_once('/').map(|(dir, _)| dir))
        .collect();
    dirs.par_iter().try_for_each(|dir| {
        let path = staging.path().join(dir);
        std::fs::create_dir_all(&path).with_context(|| format!("cannot create `{}`", path.display()))
    })?;
    files
        .par_iter()
        .try_for_each(|(relative, contents)| -> anyhow::Result<()> {
            let path = staging.path().join(relative);
            std::fs::write(&path, contents).with_context(|| format!("cannot write `{}`", path.display()))
        })?;
    let staged = staging.keep();
    let old = parent.join(format!(".cairn-old-{}-{}", name.to_string_lossy(), std::process::id()));
    let had_old = target.exists();
    if had_old {
        std::fs::rename(&target, &old)
            .with_context(|| format!("cannot move the previous `{}` aside", target.display()))?;
    }
    if let Err(error) = std::fs::rename(&staged, &target) {
        if had_old {
            let _ = std::fs::rename(&old, &target);
        }
        let _ = std::fs::remove_dir_all(&staged);
        return Err(error).with_context(|| format!("cannot move the new build into `{}`", target.display()));
    }
    if had_old {
        std::fs::remove_dir_all(&old)
            .with_context(|| format!("cannot remove the previous build at `{}`", old.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_paths() {
        for good in [
            "api/v1/status.json",
            "a/b.c/d-e_f.json",
            "schemas/component.schema.json",
        ] {
            assert!(safe_relative_path(good), "{good}");
        }
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            "a/./b",
            "a\\b",
            "c:/x",
            "a/",
        ] {
            assert!(!safe_relative_path(bad), "{bad}");
        }
    }

    #[test]
    fn writes_atomically_and_keeps_the_old_output_on_error() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("catalog");
        std::fs::create_dir(&root).unwrap();
        let out = root.join("dist");
        let files = Files::from([("a/b.json".to_string(), b"1".to_vec())]);
        write_atomically(&root, &out, &files).unwrap();
        assert_eq!(std::fs::read(out.join("a/b.json")).unwrap(), b"1");
        let unsafe_files = Files::from([("../escape.json".to_string(), b"2".to_vec())]);
        assert!(write_atomically(&root, &out, &unsafe_files).is_err());
        assert_eq!(
            std::fs::read(out.join("a/b.json")).unwrap(),
            b"1",
            "previous output untouched"
        );
        assert!(!root.join("escape.json").exists());
        let next = Files::from([("c.json".to_string(), b"3".to_vec())]);
        write_atomically(&root, &out, &next).unwrap();
        assert!(!out.join("a/b.json").exists(), "stale files are gone");
        assert_eq!(std::fs::read(out.join("c.json")).unwrap(), b"3");
        let leftovers: Vec<_> = std::fs::read_dir(&root)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, ["dist"], "no temporary directories left behind");
    }

    #[test]
    fn refuses_to_replace_the_catalog() {
        let dir = tempfile::tempdir().unwrap();
        let files = Files::from([("x.json".to_string(), b"1".to_vec())]);
        assert!(write_atomically(dir.path(), dir.path(), &files).is_err());
        assert!(write_atomically(&dir.path().join("sub"), dir.path(), &files).is_err());
    }
}
