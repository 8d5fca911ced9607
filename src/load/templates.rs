//! The portal's templates, an input like any other: the built-in ones
//! (this crate's `templates/`, embedded), each replaced by the catalog's
//! own `templates/<name>` when that is a regular file inside the root (as
//! a Zola theme is overridden). They are read before anything renders
//! (`pipeline::read_render_inputs`), so that the portal is a function of
//! the compilation; the loader reports the entries it will not read
//! ([`check`]).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use include_dir::{include_dir, Dir};

use super::confine::{self, Confine, Reach};
use crate::diagnostics::Diagnostic;

static BUILT_IN: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// Where a catalog keeps templates that replace the portal's own.
pub const TEMPLATES_DIR: &str = "templates";

/// The templates a build renders with.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Templates {
    /// The catalog's own templates that replace built-in ones (name →
    /// text): what a build's pages depend on besides the catalog.
    pub overrides: BTreeMap<String, String>,
}

impl Templates {
    /// Every template, by name: the catalog's own where it has one, the
    /// built-in one otherwise.
    pub fn texts(&self) -> impl Iterator<Item = (String, &str)> {
        BUILT_IN.files().map(|file| {
            let name = file.path().to_string_lossy().into_owned();
            let text = match self.overrides.get(&name) {
                Some(text) => text.as_str(),
                None => file.contents_utf8().expect("the built-in templates are UTF-8"),
            };
            (name, text)
        })
    }
}

/// The templates of the catalog at `root`; an error when one of its own
/// that replaces a built-in template cannot be read (or is not UTF-8).
pub fn read(root: &Path) -> anyhow::Result<Templates> {
    let mut overrides = BTreeMap::new();
    for file in BUILT_IN.files() {
        let name = file.path().to_string_lossy().into_owned();
        let path = root.join(TEMPLATES_DIR).join(&name);
        if !path.is_file() || !Confine::new(root).contains(&path) {
            continue;
        }
        let text =
            confine::read_regular_to_string(&path).with_context(|| format!("cannot read `{}`", path.display()))?;
        overrides.insert(name, text);
    }
    Ok(Templates { overrides })
}

/// The catalog's own portal templates (`templates/NAME`) that are links
/// leading outside the root or not regular files: reported here, and left
/// out by [`read`].
pub(super) fn check(root: &Path, diagnostics: &mut Vec<Diagnostic>) {
    let dir = root.join(TEMPLATES_DIR);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    let confine = Confine::new(root);
    let mut found: Vec<Diagnostic> = entries
        .flatten()
        .filter_map(|entry| {
            let path = entry.path();
            match confine.reach(&path) {
                Reach::Outside(real) => Some(confine.outside_warning(&path, &real)),
                Reach::Inside(_) if !path.is_file() && !path.is_dir() => Some(confine.special_file_warning(&path)),
                _ => None,
            }
        })
        .collect();
    found.sort_by(|a, b| a.location.file.cmp(&b.location.file));
    diagnostics.extend(found);
}
