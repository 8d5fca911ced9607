//! `cairn init [DIR]`: scaffold a catalog repository from the template
//! embedded in the binary (`catalog-repo-template/`).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use include_dir::{include_dir, Dir, DirEntry};

use super::{Global, EXIT_OK};

/// The demo catalog, as shipped.
pub static TEMPLATE: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/catalog-repo-template");

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to create the catalog (created if missing; must not already
    /// hold any of the template's files).
    #[arg(default_value = ".")]
    dir: PathBuf,
}

pub fn execute(global: &Global, args: Args) -> anyhow::Result<i32> {
    let files = template_files();
    let clashes: Vec<String> = files
        .iter()
        .filter(|(path, _)| args.dir.join(path).exists())
        .map(|(p, _)| p.display().to_string())
        .collect();
    if !clashes.is_empty() {
        bail!(
            "`{}` already has {} — refusing to overwrite; pick an empty directory",
            args.dir.display(),
            clashes.join(", ")
        );
    }
    for (path, contents) in &files {
        let target = args.dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("cannot create `{}`", parent.display()))?;
        }
        std::fs::write(&target, contents).with_context(|| format!("cannot write `{}`", target.display()))?;
    }
    global.status(format!(
        "created a catalog with {} files in `{}`; next: cairn check --root {}",
        files.len(),
        args.dir.display(),
        args.dir.display()
    ));
    Ok(EXIT_OK)
}

/// Every file of the template with its path relative to the template root.
fn template_files() -> Vec<(&'static Path, &'static [u8])> {
    fn collect(dir: &'static Dir<'static>, out: &mut Vec<(&'static Path, &'static [u8])>) {
        for entry in dir.entries() {
            match entry {
                DirEntry::Dir(d) => collect(d, out),
                DirEntry::File(f) => out.push((f.path(), f.contents())),
            }
        }
    }
    let mut out = Vec::new();
    collect(&TEMPLATE, &mut out);
    out.sort();
    out
}
