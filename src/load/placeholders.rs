//! Backstage's placeholders, resolved as files are read: a mapping with one
//! key — `$text`, `$json`, `$yaml`, `$openapi` or `$asyncapi` — is replaced
//! by what the file it names holds.
//!
//! * `$text`: the file's text, as a string.
//! * `$json`, `$yaml`: the file's data, inlined; its nodes keep their
//!   positions in that file, and the document records the region
//!   ([`Inlined`]), so a diagnostic inside it names the target file.
//! * `$openapi`, `$asyncapi`: the file's text with every local `$ref` to
//!   another file bundled in (written as JSON, which is YAML, when it had
//!   any; the text as written otherwise), as Backstage's OpenAPI module
//!   does.
//!
//! A relative target resolves against the referring file's directory, a
//! `/` target against the root of what is read (the catalog root, a `git:`
//! source's tree at its commit); reading goes through a [`Reader`], which
//! keeps it inside that root (`path-outside-root`). A URL is never fetched:
//! the placeholder stays as written, with a `placeholder-url` warning, and
//! the portal links the URL. A missing target is `placeholder-target-missing`
//! at the placeholder's line; an unreadable one, or a value that is not a
//! string, `placeholder-invalid`. Other `$keys` and mappings with several
//! keys are data, left alone, as in Backstage.

use std::collections::HashSet;

use crate::diagnostics::{Code, Diagnostic, FilePosition};
use crate::parse::{parse_yaml, Document, Inlined, Node, Value};

/// The placeholders cairn resolves.
const KEYS: [&str; 5] = ["$text", "$json", "$yaml", "$openapi", "$asyncapi"];

/// Why a target could not be read.
#[derive(Debug)]
pub enum TargetError {
    /// Nothing at that path.
    Missing,
    /// The path leads outside what may be read (`through_link`: by a
    /// symbolic link rather than by `..`).
    Outside { through_link: bool },
    /// It exists but cannot be used (not a regular file, too large, not
    /// UTF-8…): the reason.
    Unreadable(String),
}

/// A target's text and the name diagnostics give its file.
pub struct Target {
    pub display: String,
    pub text: String,
}

/// Reads a target: given its path relative to the root of what is read
/// (`/`-separated, `.` and `..` already resolved and never leading out).
pub type Reader<'a> = dyn Fn(&str) -> Result<Target, TargetError> + 'a;

/// What resolving a file's placeholders found.
#[derive(Default)]
pub struct Resolved {
    pub diagnostics: Vec<Diagnostic>,
    /// The targets read (or looked for), by the path the reader took:
    /// what `cairn serve` watches for this file.
    pub targets: Vec<String>,
    /// The text of every target read (bundled `$ref`s included) by its
    /// display name: for quoting lines of the diagnostics that point into
    /// one, and for the build cache, which compiles the file again later.
    pub texts: Vec<(String, String)>,
}

/// Resolves the placeholders of every catalog document in `documents` of
/// the file `display`, whose directory is `dir` in the reader's terms.
pub fn resolve(display: &str, text: &str, dir: &str, documents: &mut [Document], read: &Reader) -> Resolved {
    let mut resolved = Resolved::default();
    // Most files have none; a `$` is cheap to look for.
    if !KEYS.iter().any(|key| text.contains(key)) {
        return resolved;
    }
    let reads = std::cell::RefCell::new(std::collections::BTreeMap::new());
    let recording = |path: &str| {
        let target = read(path);
        if let Ok(target) = &target {
            reads.borrow_mut().insert(target.display.clone(), target.text.clone());
        }
        target
    };
    let read: &Reader = &recording;
    for document in documents.iter_mut() {
        let is_catalog = document
            .root
            .get_str("apiVersion")
            .is_some_and(|v| v.contains("backstage.io/") || v.starts_with("catalog.nestor.io/"));
        if !is_catalog {
            continue;
        }
        let mut context = Context {
            display,
            dir,
            read,
            resolved: &mut resolved,
            inlined: Vec::new(),
            unfetched: Vec::new(),
        };
        context.walk(&mut document.root, String::new());
        let (inlined, unfetched) = (context.inlined, context.unfetched);
        document.inlined.extend(inlined);
        document.unfetched.extend(unfetched);
    }
    resolved.texts = reads.into_inner().into_iter().collect();
    resolved
}

struct Context<'a, 'r> {
    display: &'a str,
    dir: &'a str,
    read: &'a Reader<'r>,
    resolved: &'a mut Resolved,
    inlined: Vec<Inlined>,
    unfetched: Vec<(String, String)>,
}

impl Context<'_, '_> {
    fn walk(&mut self, node: &mut Node, pointer: String) {
        if let Some((key, value)) = placeholder(node) {
            let (key, value) = (key.to_string(), value.clone());
            self.replace(node, &key, &value, pointer);
            return;
        }
        match &mut node.value {
            Value::Seq(items) => {
                for (i, item) in items.iter_mut().enumerate() {
                    self.walk(item, format!("{pointer}/{i}"));
                }
            }
            Value::Map(entries) => {
                for (key, value) in entries.iter_mut() {
                    let token = crate::util::escape_pointer(key.as_str().unwrap_or_default());
                    self.walk(value, format!("{pointer}/{token}"));
                }
            }
            _ => {}
        }
    }

    fn at(&self, node: &Node, pointer: &str) -> FilePosition {
        FilePosition {
            file: self.display.to_string(),
            line: node.start.line,
            column: node.start.column,
            pointer: pointer.to_string(),
        }
    }

    /// Replaces the placeholder `node` (`{key: value}`) by what it names.
    fn replace(&mut self, node: &mut Node, key: &str, value: &Node, pointer: String) {
        let Some(target) = value.as_str() else {
            self.resolved.diagnostics.push(
                Diagnostic::new(
                    Code::PlaceholderInvalid,
                    self.at(value, &format!("{pointer}/{}", crate::util::escape_pointer(key))),
                    format!("placeholder `{key}` expects a string: a path relative to this file, or a URL"),
                )
                .with_help(format!("write e.g. `{key}: ./openapi.yaml`")),
            );
            return;
        };
        if target.contains("://") {
            self.resolved.diagnostics.push(
                Diagnostic::new(
                    Code::PlaceholderUrl,
                    self.at(value, &pointer),
                    format!("placeholder `{key}` names the URL `{target}`, which a build does not fetch"),
                )
                .with_help("keep the file in the repository and name it by a relative path; the portal links the URL meanwhile"),
            );
            self.unfetched.push((pointer, target.to_string()));
            return;
        }
        let Some(path) = join(self.dir, target) else {
            self.resolved.diagnostics.push(super::locations::outside_root(
                &self.at(value, &pointer),
                &format!("`{key}` target"),
                target,
            ));
            return;
        };
        self.resolved.targets.push(path.clone());
        let read = match (self.read)(&path) {
            Ok(read) => read,
            Err(error) => {
                self.resolved
                    .diagnostics
                    .push(self.unread(key, target, &path, error, value, &pointer));
                return;
            }
        };
        let start = node.start;
        let end = node.end;
        match key {
            "$text" => {
                node.value = Value::String(read.text.into());
                // Lines of the string are lines of that file.
                self.inlined.push(Inlined {
                    pointer,
                    file: read.display,
                });
            }
            "$json" | "$yaml" => {
                let parsed = parse_yaml(&read.display, &read.text);
                let problems = !parsed.diagnostics.is_empty();
                self.resolved.diagnostics.extend(parsed.diagnostics);
                let mut documents = parsed.documents.into_iter();
                match (documents.next(), documents.next()) {
                    (Some(document), None) => {
                        node.value = document.root.value;
                        self.inlined.push(Inlined {
                            pointer,
                            file: read.display,
                        });
                    }
                    (first, second) if !problems || first.is_some() => {
                        let found = if second.is_some() {
                            "more than one document"
                        } else {
                            "no document"
                        };
                        self.resolved.diagnostics.push(
                            Diagnostic::new(
                                Code::PlaceholderInvalid,
                                self.at(value, &pointer),
                                format!("placeholder `{key}` target `{target}` holds {found}"),
                            )
                            .with_help("the file must hold exactly one JSON or YAML document"),
                        );
                    }
                    _ => {}
                }
            }
            _ => match bundle(&read, &path, self.read) {
                Ok(text) => {
                    // Only a text kept as written has that file's lines.
                    if text == read.text {
                        self.inlined.push(Inlined {
                            pointer,
                            file: read.display,
                        });
                    }
                    node.value = Value::String(text.into());
                }
                Err(problem) => self.resolved.diagnostics.push(
                    Diagnostic::new(
                        Code::PlaceholderInvalid,
                        self.at(value, &pointer),
                        format!("placeholder `{key}` cannot bundle `{target}`: {problem}"),
                    )
                    .with_help("fix the `$ref` it names, or use `$text` to take the file as it is"),
                ),
            },
        }
        node.start = start;
        node.end = end;
    }

    fn unread(
        &self,
        key: &str,
        target: &str,
        path: &str,
        error: TargetError,
        value: &Node,
        pointer: &str,
    ) -> Diagnostic {
        let at = self.at(value, pointer);
        match error {
            TargetError::Missing => Diagnostic::new(
                Code::PlaceholderTargetMissing,
                at,
                format!("placeholder `{key}` names `{target}`, which does not exist"),
            )
            .with_help(format!(
                "no file at `{path}`; placeholder targets are relative to the file that names them"
            )),
            TargetError::Outside { through_link } => {
                let mut diagnostic = super::locations::outside_root(&at, &format!("`{key}` target"), target);
                if through_link {
                    diagnostic.message.push_str(" (through a symbolic link)");
                }
                diagnostic
            }
            TargetError::Unreadable(why) => Diagnostic::new(
                Code::PlaceholderInvalid,
                at,
                format!("placeholder `{key}` cannot read `{target}`: {why}"),
            )
            .with_help("make the target a regular UTF-8 text file under the catalog root"),
        }
    }
}

/// Whether `node` is a placeholder mapping (one key, one of [`KEYS`]):
/// after loading, one that was left as written (a URL, or a target that
/// could not be read, which is reported).
pub fn is_placeholder(node: &Node) -> bool {
    placeholder(node).is_some()
}

/// The key and value of a placeholder mapping (one key, one of [`KEYS`]).
fn placeholder(node: &Node) -> Option<(&str, &Node)> {
    match node.as_map()? {
        [(key, value)] => {
            let key = key.as_str()?;
            KEYS.contains(&key).then_some((key, value))
        }
        _ => None,
    }
}

/// `target` resolved against `dir` (`/`-separated, no trailing `/`; a
/// leading `/` in `target` starts from the root): `None` when it climbs
/// out of the root.
pub fn join(dir: &str, target: &str) -> Option<String> {
    let mut parts: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        dir.split('/').filter(|p| !p.is_empty()).collect()
    };
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// The directory part of a `/`-separated path (`""` at the top).
pub fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// At most this many `$ref`s inlined into one bundle.
const MAX_BUNDLED: usize = 1_000;

/// `$openapi`/`$asyncapi`: the spec at `path` with the files its `$ref`s
/// name inlined; its own text when it names none.
fn bundle(spec: &Target, path: &str, read: &Reader) -> Result<String, String> {
    let parsed = parse_yaml(&spec.display, &spec.text);
    if let Some(problem) = parsed.diagnostics.first() {
        return Err(format!("line {}: {}", problem.location.line, problem.message));
    }
    let Some(document) = parsed.documents.into_iter().next() else {
        return Ok(spec.text.clone());
    };
    let mut root = document.root;
    let mut bundler = Bundler {
        read,
        inlined: 0,
        stack: HashSet::new(),
    };
    if !bundler.inline(&mut root, dir_of(path))? {
        return Ok(spec.text.clone());
    }
    let mut text = serde_json::to_string_pretty(&root.to_json()).map_err(|e| e.to_string())?;
    text.push('\n');
    Ok(text)
}

struct Bundler<'a, 'r> {
    read: &'a Reader<'r>,
    inlined: usize,
    /// The `file#pointer`s being inlined, to cut cycles.
    stack: HashSet<String>,
}

impl Bundler<'_, '_> {
    /// Inlines every `$ref` under `node` that names another file
    /// (`./pet.yaml`, `schemas/pet.yaml#/Pet`); `dir` is the directory of
    /// the file `node` is from. Whether anything was inlined.
    fn inline(&mut self, node: &mut Node, dir: &str) -> Result<bool, String> {
        if let Some(reference) = node.get_str("$ref").filter(|r| is_file_ref(r)).map(str::to_string) {
            let (file, fragment) = reference.split_once('#').unwrap_or((&reference, ""));
            let path = join(dir, file).ok_or_else(|| format!("`$ref: {reference}` leads outside the catalog root"))?;
            let key = format!("{path}#{fragment}");
            if self.stack.contains(&key) {
                // A cycle: the reference stays as written.
                return Ok(false);
            }
            self.inlined += 1;
            if self.inlined > MAX_BUNDLED {
                return Err(format!("more than {MAX_BUNDLED} `$ref`s to inline"));
            }
            let target = (self.read)(&path).map_err(|e| match e {
                TargetError::Missing => format!("`$ref: {reference}` names no file"),
                TargetError::Outside { .. } => format!("`$ref: {reference}` leads outside the catalog root"),
                TargetError::Unreadable(why) => format!("`$ref: {reference}`: {why}"),
            })?;
            let parsed = parse_yaml(&target.display, &target.text);
            if let Some(problem) = parsed.diagnostics.first() {
                return Err(format!(
                    "{}:{}: {}",
                    target.display, problem.location.line, problem.message
                ));
            }
            let root = parsed
                .documents
                .into_iter()
                .next()
                .ok_or_else(|| format!("`{}` holds no document", target.display))?
                .root;
            let mut found = root
                .pointer(fragment)
                .cloned()
                .ok_or_else(|| format!("`$ref: {reference}`: no `#{fragment}` in {}", target.display))?;
            self.stack.insert(key.clone());
            self.inline(&mut found, dir_of(&path))?;
            self.stack.remove(&key);
            node.value = found.value;
            return Ok(true);
        }
        let mut any = false;
        match &mut node.value {
            Value::Seq(items) => {
                for item in items {
                    any |= self.inline(item, dir)?;
                }
            }
            Value::Map(entries) => {
                for (_, value) in entries {
                    any |= self.inline(value, dir)?;
                }
            }
            _ => {}
        }
        Ok(any)
    }
}

/// A `$ref` to another file: not `#/…` inside the document, not a URL.
fn is_file_ref(reference: &str) -> bool {
    !reference.starts_with('#') && !reference.contains("://") && !reference.is_empty()
}

#[cfg(test)]
mod tests;
