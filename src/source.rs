//! Source files: a catalog file as read and parsed — its path as
//! diagnostics name it, its text, its YAML documents and, for a file from a
//! `git:` source, where it came from. `load` makes them; `model` lowers their
//! documents; every later stage quotes their text.

use std::sync::Arc;

use crate::diagnostics::{Code, Diagnostic, FilePosition};
use crate::parse::{parse_yaml, Document};

/// One catalog file, read and parsed.
#[derive(Debug, Default)]
pub struct SourceFile {
    /// Path relative to the catalog root with `/` separators (how every
    /// diagnostic and output names the file).
    pub display: String,
    pub text: String,
    pub documents: Vec<Document>,
    /// Whether a Location entity targets this file (such a definition wins
    /// over a stray copy that was only found by walking).
    pub registered: bool,
    /// For a file from a `git:` source: the repository, commit and path.
    pub origin: Option<Arc<GitOrigin>>,
    /// Size and modification time when it was read, if asked for
    /// (`load::Reuse`).
    pub stamp: Option<Stamp>,
    /// Left unparsed because the `load::Reuse` callback holds its entities:
    /// `documents` is empty.
    pub reused: bool,
    /// The files its placeholders read (or looked for), as the reader
    /// names them: `cairn serve` reads this file again when one changes.
    pub placeholder_targets: Vec<String>,
    /// The texts of the files its placeholders inlined data from (display
    /// name, text), so diagnostics inside them can quote their lines.
    pub placeholder_texts: Vec<(String, String)>,
}

/// What tells a file parsed before from a changed one without reading it
/// (`cairn serve`'s rebuilds, `cairn check`'s cache): its size and
/// modification time and, on Unix, its inode and status-change time, as
/// git's index does — an edit that keeps the size and restores the
/// modification time still changes the change time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Stamp {
    size: u64,
    modified: std::time::SystemTime,
    inode: u64,
    /// Seconds and nanoseconds.
    changed: (i64, i64),
}

impl Stamp {
    /// The stamp of the file `path` now, if it can be read.
    pub fn of(path: &std::path::Path) -> Option<Stamp> {
        let meta = std::fs::metadata(path).ok()?;
        #[cfg(unix)]
        let (inode, changed) = {
            use std::os::unix::fs::MetadataExt;
            (meta.ino(), (meta.ctime(), meta.ctime_nsec()))
        };
        #[cfg(not(unix))]
        let (inode, changed) = (0, (0, 0));
        Some(Stamp {
            size: meta.len(),
            modified: meta.modified().ok()?,
            inode,
            changed,
        })
    }

    /// When the file was last modified.
    pub fn modified(&self) -> std::time::SystemTime {
        self.modified
    }
}

/// Where a file from a git source came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct GitOrigin {
    /// The repository URL, credentials redacted.
    pub url: String,
    pub commit: String,
    /// The file's path inside that repository.
    pub path: String,
}

impl SourceFile {
    /// Parses `text` into a file named `display`; every file cairn reads —
    /// from disk, a git source or a past revision — goes through here, so
    /// each gets the same diagnostics (an empty file is a warning).
    pub fn parse(display: String, text: String, origin: Option<GitOrigin>) -> (SourceFile, Vec<Diagnostic>) {
        let parsed = parse_yaml(&display, &text);
        let mut diagnostics = parsed.diagnostics;
        if parsed.documents.is_empty() && diagnostics.is_empty() {
            diagnostics.push(
                Diagnostic::new(
                    Code::EmptyFile,
                    FilePosition::file_only(&display),
                    "file holds no YAML document",
                )
                .with_help("add an entity or delete the file"),
            );
        }
        (
            SourceFile {
                display,
                text,
                documents: parsed.documents,
                registered: false,
                origin: origin.map(Arc::new),
                stamp: None,
                reused: false,
                placeholder_targets: Vec::new(),
                placeholder_texts: Vec::new(),
            },
            diagnostics,
        )
    }

    /// A file whose contents could not be read (the diagnostic says why).
    pub fn unreadable(display: &str) -> SourceFile {
        SourceFile {
            display: display.to_string(),
            text: String::new(),
            documents: Vec::new(),
            registered: false,
            origin: None,
            stamp: None,
            reused: false,
            placeholder_targets: Vec::new(),
            placeholder_texts: Vec::new(),
        }
    }
}
