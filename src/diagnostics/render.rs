//! Renderers of diagnostics, one per output format: `human` (rustc-like, with
//! the source line and a caret), `json` (the contract's object), `github`
//! (workflow commands that become annotations on a pull request), `sarif`
//! (2.1.0, for GitHub code scanning) and `markdown` (a table for job
//! summaries). Each is a pure function of the
//! diagnostics, so each is snapshot-tested on its own.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};
use serde::Serialize;
use serde_json::json;

use super::{Code, Diagnostic, Severity};

/// An output format of `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Github,
    Sarif,
    /// A table, for `$GITHUB_STEP_SUMMARY` and pull-request comments.
    Markdown,
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
    match format {
        Format::Human => human(diagnostics, sources, summary, color),
        Format::Json => json(diagnostics, summary),
        Format::Github => github(diagnostics),
        Format::Sarif => sarif(diagnostics),
        Format::Markdown => markdown(diagnostics, summary),
    }
}

/// Source lines longer than this are cut around the caret when quoted.
const MAX_QUOTED_LINE: usize = 200;

fn human(diagnostics: &[Diagnostic], sources: &dyn SourceLines, summary: &Summary, color: bool) -> String {
    let renderer = if color { Renderer::styled() } else { Renderer::plain() };
    let mut out = String::new();
    for diagnostic in diagnostics {
        let report = [human_group(diagnostic, sources)];
        out.push_str(&renderer.render(&report));
        out.push_str("\n\n");
    }
    out.push_str(&summary_line(summary));
    out.push('\n');
    out
}

fn level(severity: Severity) -> Level<'static> {
    match severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    }
}

fn human_group<'a>(diagnostic: &'a Diagnostic, sources: &'a dyn SourceLines) -> Group<'a> {
    let location = &diagnostic.location;
    let title = level(diagnostic.severity)
        .primary_title(diagnostic.message.as_str())
        .id(diagnostic.code.as_str());
    let quoted = (location.line > 0)
        .then(|| sources.line(&location.file, location.line))
        .flatten();
    let mut group = match quoted {
        Some(text) => {
            let (text, start) = excerpt(text, location.column);
            let end = token_end(text, start);
            title.element(
                Snippet::source(text)
                    .line_start(location.line as usize)
                    .path(location.file.as_str())
                    .annotation(AnnotationKind::Primary.span(start..end)),
            )
        }
        None => {
            // The source line is unavailable (or the problem is the whole
            // file): print the `-->` line alone. `char_column` is printed
            // as given, so it takes the 1-based column.
            let mut origin = Origin::path(location.file.as_str());
            if location.line > 0 {
                origin = origin
                    .line(location.line as usize)
                    .char_column(location.column.max(1) as usize);
            }
            title.element(origin)
        }
    };
    for related in &diagnostic.related {
        let at = &related.location;
        group =
            group.element(Level::NOTE.message(format!("{}: {}:{}:{}", related.message, at.file, at.line, at.column)));
    }
    if let Some(help) = &diagnostic.help {
        group = group.element(Level::HELP.message(help.as_str()));
    }
    group
}

/// The part of a source line to quote and the byte offset of the 1-based
/// character `column` in it. Long lines (minified JSON, generated YAML) are
/// cut to a window around the column.
fn excerpt(line: &str, column: u32) -> (&str, usize) {
    let column = column.max(1) as usize - 1;
    let offset_of = |chars: usize| line.char_indices().nth(chars).map_or(line.len(), |(i, _)| i);
    let caret = offset_of(column);
    if line.len() <= MAX_QUOTED_LINE {
        return (line, caret);
    }
    let from = offset_of(column.saturating_sub(MAX_QUOTED_LINE / 2));
    let to = offset_of(column + MAX_QUOTED_LINE / 2);
    (&line[from..to], caret - from)
}

/// The end of the token starting at `start`: up to whitespace or a flow
/// indicator, at least one character.
fn token_end(text: &str, start: usize) -> usize {
    let rest = &text[start.min(text.len())..];
    let len = rest
        .find(|c: char| c.is_whitespace() || ",]}#".contains(c))
        .unwrap_or(rest.len());
    let len = if len == 0 {
        rest.chars().next().map_or(0, char::len_utf8)
    } else {
        len
    };
    start + len
}

/// `n` and the singular or plural of a noun: `1 file`, `2 entities`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn errors(n: usize) -> String {
    count(n, "error", "errors")
}

fn warnings(n: usize) -> String {
    count(n, "warning", "warnings")
}

/// `12 files (40 entities)`.
fn scope(summary: &Summary) -> String {
    format!(
        "{} ({})",
        count(summary.files, "file", "files"),
        count(summary.entities, "entity", "entities")
    )
}

/// The closing line of a human report.
fn summary_line(summary: &Summary) -> String {
    let scope = scope(summary);
    match (summary.errors, summary.warnings) {
        (0, 0) => format!("checked {scope}: no problems"),
        (0, w) => format!("warning: {} in {scope}", warnings(w)),
        (e, 0) => format!("error: could not compile catalog: {} in {scope}", errors(e)),
        (e, w) => format!(
            "error: could not compile catalog: {}, {} in {scope}",
            errors(e),
            warnings(w)
        ),
    }
}

fn markdown(diagnostics: &[Diagnostic], summary: &Summary) -> String {
    let mut out = format!(
        "## Catalog check\n\n{}, {} in {}\n",
        errors(summary.errors),
        warnings(summary.warnings),
        scope(summary)
    );
    if diagnostics.is_empty() {
        return out;
    }
    out.push_str("\n| severity | code | location | message |\n| --- | --- | --- | --- |\n");
    for d in diagnostics {
        let cell = |text: &str| text.replace('|', "\\|").replace('\n', " ");
        let location = if d.location.line > 0 {
            format!("{}:{}:{}", d.location.file, d.location.line, d.location.column)
        } else {
            d.location.file.clone()
        };
        let message = match &d.help {
            Some(help) => format!("{} — {help}", d.message),
            None => d.message.clone(),
        };
        writeln!(
            out,
            "| {} | `{}` | `{}` | {} |",
            d.severity.as_str(),
            d.code,
            cell(&location),
            cell(&message)
        )
        .expect("writing to a String");
    }
    out
}

/// One diagnostic as the contract's JSON shape, keys in contract order.
#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    severity: Severity,
    code: Code,
    message: &'a str,
    file: &'a str,
    line: u32,
    column: u32,
    pointer: &'a str,
    help: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    diagnostics: Vec<JsonDiagnostic<'a>>,
    summary: &'a Summary,
}

fn json(diagnostics: &[Diagnostic], summary: &Summary) -> String {
    let report = JsonReport {
        diagnostics: diagnostics
            .iter()
            .map(|d| JsonDiagnostic {
                severity: d.severity,
                code: d.code,
                message: &d.message,
                file: &d.location.file,
                line: d.location.line,
                column: d.location.column,
                pointer: &d.location.pointer,
                help: d.help.as_deref(),
            })
            .collect(),
        summary,
    };
    let mut out = serde_json::to_string_pretty(&report).expect("diagnostics serialize");
    out.push('\n');
    out
}

/// Escapes workflow command data (`%`, CR, LF).
fn escape_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes workflow command properties (data escapes plus `:` and `,`).
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

fn github(diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let mut properties = format!("file={}", escape_property(&d.location.file));
        if d.location.line > 0 {
            write!(properties, ",line={}", d.location.line).expect("writing to a String");
            if d.location.column > 0 {
                write!(properties, ",col={}", d.location.column).expect("writing to a String");
            }
        }
        write!(properties, ",title={}", escape_property(d.code.as_str())).expect("writing to a String");
        let message = match &d.help {
            Some(help) => format!("{}\nhelp: {help}", d.message),
            None => d.message.clone(),
        };
        writeln!(out, "::{} {properties}::{}", d.severity.as_str(), escape_data(&message))
            .expect("writing to a String");
    }
    out
}

/// The first paragraph of a code's explanation (after its `# code` title).
fn explanation_paragraph(code: Code) -> String {
    code.explanation()
        .split("\n\n")
        .map(str::trim)
        .find(|p| !p.is_empty() && !p.starts_with('#'))
        .unwrap_or(code.summary())
        .replace('\n', " ")
}

fn sarif_location(location: &super::FilePosition) -> serde_json::Value {
    let mut physical = json!({ "artifactLocation": { "uri": location.file, "uriBaseId": "%SRCROOT%" } });
    if location.line > 0 {
        physical["region"] = json!({ "startLine": location.line, "startColumn": location.column.max(1) });
    }
    json!({ "physicalLocation": physical })
}

fn sarif(diagnostics: &[Diagnostic]) -> String {
    let codes: BTreeSet<Code> = diagnostics.iter().map(|d| d.code).collect();
    let mut codes: Vec<Code> = codes.into_iter().collect();
    codes.sort_by_key(|c| c.as_str());
    let rules: Vec<_> = codes
        .iter()
        .map(|code| {
            json!({
                "id": code.as_str(),
                "shortDescription": { "text": code.summary() },
                "fullDescription": { "text": explanation_paragraph(*code) },
                "help": { "text": format!("Run `cairn explain {code}` for details."), "markdown": code.explanation() },
                "defaultConfiguration": { "level": code.default_severity().as_str() },
            })
        })
        .collect();
    let results: Vec<_> = diagnostics
        .iter()
        .map(|d| {
            let text = match &d.help {
                Some(help) => format!("{} (help: {help})", d.message),
                None => d.message.clone(),
            };
            let mut result = json!({
                "ruleId": d.code.as_str(),
                "ruleIndex": codes.iter().position(|c| *c == d.code).expect("rule listed"),
                "level": d.severity.as_str(),
                "message": { "text": text },
                "locations": [sarif_location(&d.location)],
            });
            if !d.related.is_empty() {
                result["relatedLocations"] = d
                    .related
                    .iter()
                    .enumerate()
                    .map(|(i, r)| {
                        let mut location = sarif_location(&r.location);
                        location["id"] = json!(i);
                        location["message"] = json!({ "text": r.message });
                        location
                    })
                    .collect();
            }
            result
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "cairn",
                "informationUri": "https://github.com/cairn-dev/cairn",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    });
    let mut out = serde_json::to_string_pretty(&log).expect("SARIF serializes");
    out.push('\n');
    out
}

#[cfg(test)]
mod tests;
