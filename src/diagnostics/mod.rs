//! Diagnostics are data: every problem cairn finds in a catalog is a
//! [`Diagnostic`] with a stable code, a severity, a message, the exact place
//! (file, line, column, JSON pointer) and, where there is one, a hint on how to
//! fix it. Stages return diagnostics as values and never fail on bad input;
//! only the CLI decides what they mean for the exit status.
//!
//! The codes and their long explanations live in [`codes`]; the output formats
//! (human, json, github, sarif) live in [`render`], one function per format.

pub mod codes;
pub mod render;

use serde::{Deserialize, Serialize};

pub use codes::Code;

/// How bad a diagnostic is. `Error` fails `cairn check`; `Warning` does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A place in a source file: 1-based line and column (columns count
/// characters) and the JSON pointer of the node inside its YAML document.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct FilePosition {
    /// Path relative to the catalog root, with `/` separators.
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub pointer: String,
}

impl FilePosition {
    pub fn file_only(file: impl Into<String>) -> Self {
        FilePosition {
            file: file.into(),
            line: 0,
            column: 0,
            pointer: String::new(),
        }
    }
}

/// Another location that explains the primary one (the first definition of a
/// duplicate entity, the other end of a cycle).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Related {
    pub message: String,
    pub location: FilePosition,
}

/// One problem found in the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    pub location: FilePosition,
    pub help: Option<String>,
    pub related: Vec<Related>,
    /// What the problem is about, for a severity set per target in
    /// `policies:` (the kind an unresolved ref names, the type of a
    /// Location target); not part of any output.
    #[serde(skip)]
    pub target: Option<&'static str>,
}

impl Diagnostic {
    /// A diagnostic with the code's default severity.
    pub fn new(code: Code, location: FilePosition, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: code.default_severity(),
            code,
            message: message.into(),
            location,
            help: None,
            related: Vec::new(),
            target: None,
        }
    }

    /// The same diagnostic, about `target` (see [`Diagnostic::target`]).
    pub fn with_target(mut self, target: &'static str) -> Self {
        self.target = Some(target);
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_related(mut self, message: impl Into<String>, location: FilePosition) -> Self {
        self.related.push(Related {
            message: message.into(),
            location,
        });
        self
    }

    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// `non-utf8` for a file whose bytes are not UTF-8, at the first bad
    /// byte's line and column.
    pub fn non_utf8(file: &str, error: &std::string::FromUtf8Error) -> Diagnostic {
        let offset = error.utf8_error().valid_up_to();
        let valid = &error.as_bytes()[..offset];
        let line = valid.iter().filter(|b| **b == b'\n').count() as u32 + 1;
        let line_start = valid.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&valid[line_start..]).chars().count() as u32 + 1;
        Diagnostic::new(
            Code::NonUtf8,
            FilePosition {
                file: file.to_string(),
                line,
                column,
                pointer: String::new(),
            },
            format!(
                "file is not valid UTF-8: invalid byte 0x{:02X} at byte offset {offset}",
                error.as_bytes()[offset]
            ),
        )
        .with_help("save the file as UTF-8")
    }

    /// The order diagnostics are reported in: by file, position, then code,
    /// so output is identical whatever order the stages ran in.
    fn sort_key(&self) -> (&str, u32, u32, &str, &str, &str) {
        (
            &self.location.file,
            self.location.line,
            self.location.column,
            self.code.as_str(),
            &self.location.pointer,
            &self.message,
        )
    }
}

/// Sorts diagnostics into their reporting order and drops exact repeats (a
/// file reached twice must not report its problems twice).
pub fn sort_and_dedup(diagnostics: &mut Vec<Diagnostic>) {
    diagnostics.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diagnostics.dedup();
}

/// Counts of errors and warnings, for summaries and the exit status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub errors: usize,
    pub warnings: usize,
}

impl Counts {
    pub fn of(diagnostics: &[Diagnostic]) -> Self {
        let errors = diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
        Counts {
            errors,
            warnings: diagnostics.len() - errors,
        }
    }
}

/// The closest candidate to `wanted`, for "did you mean" hints. A candidate
/// qualifies when it is within a third of the word's length in edits (at
/// least 2) or shares most of its prefix (Jaro-Winkler ≥ 0.88, which catches
/// `policy` → `policies`); a wrong guess is worse than none.
pub fn did_you_mean<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let wanted = wanted.to_ascii_lowercase();
    let limit = (wanted.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .filter_map(|candidate| {
            let lower = candidate.to_ascii_lowercase();
            let distance = strsim::damerau_levenshtein(&wanted, &lower);
            let similarity = strsim::jaro_winkler(&wanted, &lower);
            (distance <= limit || similarity >= 0.88).then_some((distance, candidate))
        })
        .min_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)))
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["payments", "orders", "checkout"];
        assert_eq!(did_you_mean("paymnets", names), Some("payments"));
        assert_eq!(did_you_mean("Orders", names), Some("orders"));
        assert_eq!(did_you_mean("inventory", names), None);
    }
}
