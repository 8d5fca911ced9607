//! The portal's templates, an input like any other: the built-in ones
//! (this crate's `templates/`, embedded), each replaced by the catalog's
//! own `templates/<name>` when that is a regular file inside the root (as
//! a Zola theme is overridden). They are read before anything renders
//! (`pipeline::read_render_inputs`), so that the portal is a function of
//! the compilation; the loader reports the entries it will not read
//! ([`check`]).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context};
use include_dir::{include_dir, Dir};

use super::confine::{self, Confine, Contents, Reach};
use super::MAX_FILE_BYTES;
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
    let confine = Confine::new(root);
    let mut overrides = BTreeMap::new();
    for file in BUILT_IN.files() {
        let name = file.path().to_string_lossy().into_owned();
        let path = root.join(TEMPLATES_DIR).join(&name);
        if !path.is_file() || !confine.contains(&path) {
            continue;
        }
        let cannot_read = || format!("cannot read `{}`", path.display());
        let bytes = match confine::read_regular(&path, MAX_FILE_BYTES).with_context(cannot_read)? {
            Contents::Bytes(bytes) => bytes,
            Contents::TooLarge(size) => {
                bail!(
                    "{}: it is {size} bytes; cairn reads files up to {MAX_FILE_BYTES} bytes",
                    cannot_read()
                )
            }
        };
        let text = String::from_utf8(bytes).with_context(cannot_read)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of<'a>(templates: &'a Templates, name: &str) -> &'a str {
        templates.texts().find(|(n, _)| n == name).map(|(_, t)| t).unwrap()
    }

    #[test]
    fn the_catalog_overrides_a_built_in_template_and_nothing_else() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join(TEMPLATES_DIR)).unwrap();
        std::fs::write(root.path().join("templates/home.html"), "MY HOME").unwrap();
        std::fs::write(root.path().join("templates/unknown.html"), [0xff, 0xfe]).unwrap();
        let templates = read(root.path()).unwrap();
        assert_eq!(templates.overrides.keys().collect::<Vec<_>>(), ["home.html"]);
        assert_eq!(text_of(&templates, "home.html"), "MY HOME");
        assert_ne!(text_of(&templates, "base.html"), "");
        assert!(templates.texts().all(|(name, _)| name != "unknown.html"));
    }

    #[test]
    fn without_a_templates_directory_every_template_is_built_in() {
        let root = tempfile::tempdir().unwrap();
        assert_eq!(read(root.path()).unwrap(), Templates::default());
    }

    #[test]
    fn an_override_that_is_not_utf8_is_an_error_naming_the_file() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join(TEMPLATES_DIR)).unwrap();
        std::fs::write(root.path().join("templates/service.html"), [b'a', 0xff, b'b']).unwrap();
        let error = format!("{:#}", read(root.path()).unwrap_err());
        assert!(error.contains("templates/service.html"), "{error}");
    }

    #[test]
    fn an_override_over_the_size_limit_is_an_error_naming_the_file() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join(TEMPLATES_DIR)).unwrap();
        let too_large = vec![b'a'; MAX_FILE_BYTES as usize + 1];
        std::fs::write(root.path().join("templates/home.html"), too_large).unwrap();
        let error = format!("{:#}", read(root.path()).unwrap_err());
        assert!(error.contains("templates/home.html"), "{error}");
        assert!(error.contains("it is 10485761 bytes"), "{error}");
    }
}
