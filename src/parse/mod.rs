//! Parse: YAML text → trees of [`Node`]s that remember where they came from.
//!
//! cairn builds its own tree from `saphyr-parser`'s event stream instead of
//! deserializing straight into types, because every later stage must be able
//! to point at the exact line and column of any value (by JSON pointer), and
//! because the tree builder is where hostile input is defused:
//!
//! * duplicate mapping keys are reported (YAML says they are an error, most
//!   parsers silently keep one);
//! * alias expansion has a node budget, so a "billion laughs" file fails fast
//!   in bounded memory;
//! * nesting depth is bounded, and the builder is iterative, so 10,000 nested
//!   brackets cannot overflow the stack;
//! * plain scalars are typed with the YAML 1.2 core schema (`1.10` is a float,
//!   `"1.10"` a string), which the semver rules need to tell apart.
//!
//! Architecture Invariant: parsing never fails as a whole. A file yields the
//! documents that parsed completely plus diagnostics for the rest.

mod scalar;
mod tree;

pub use tree::{Node, Pos, Value};

use std::collections::HashMap;

use compact_str::CompactString;
use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use crate::diagnostics::{Code, Diagnostic, FilePosition};

/// Documents nested deeper than this are rejected (Backstage entities need
/// fewer than 10 levels; OpenAPI definitions are strings).
pub const MAX_DEPTH: usize = 128;

/// How many nodes aliases may copy in one file. A legitimate catalog file
/// uses aliases for a few shared snippets; a billion-laughs bomb needs 10⁹.
pub const MAX_ALIAS_NODES: usize = 100_000;

/// One YAML document of a file.
#[derive(Debug, Clone)]
pub struct Document {
    /// 0-based position of the document in its file.
    pub index: usize,
    pub root: Node,
    /// Subtrees inlined from other files by `$json`/`$yaml` placeholders
    /// (`load::placeholders`): their nodes' positions are in that file;
    /// and strings that are a whole file's text (`$text`), whose lines
    /// are that file's.
    pub inlined: Vec<Inlined>,
    /// Placeholders left as written because they name a URL (pointer, URL).
    pub unfetched: Vec<(String, String)>,
}

/// A subtree of a document that came from another file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Inlined {
    /// The JSON pointer of the subtree's root in the document.
    pub pointer: String,
    /// The file its nodes' positions are in.
    pub file: String,
}

impl Document {
    /// A document of `root` alone, nothing inlined.
    pub fn new(index: usize, root: Node) -> Document {
        Document {
            index,
            root,
            inlined: Vec::new(),
            unfetched: Vec::new(),
        }
    }
}

/// What parsing one file produced.
#[derive(Debug, Default)]
pub struct ParsedFile {
    pub documents: Vec<Document>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses every document of `text`. `file` is the display path used in
/// diagnostics.
pub fn parse_yaml(file: &str, text: &str) -> ParsedFile {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut builder = TreeBuilder::new(file);
    let mut parser = Parser::new_from_str(text);
    while let Some(event) = parser.next_event() {
        match event {
            Ok((event, span)) => {
                if let Err(diagnostic) = builder.on_event(event, span) {
                    builder.out.diagnostics.push(*diagnostic);
                    break;
                }
            }
            Err(error) => {
                let pos = Pos::from_marker(*error.marker());
                // The scanner has its own nesting limit for flow collections.
                let diagnostic = if error.info().contains("recursion limit") {
                    Diagnostic::new(Code::YamlDepthLimit, location(file, pos, ""), "YAML nested too deeply")
                        .with_help("flatten the document; catalog entities need only a few levels")
                } else {
                    match reserved_indicator(error.info()) {
                        Some(c) => Diagnostic::new(
                            Code::YamlSyntax,
                            location(file, pos, ""),
                            format!("invalid YAML: {c} is reserved in YAML and cannot start a plain value"),
                        )
                        .with_help("quote the value, e.g. `name: \"@team\"`"),
                        None => Diagnostic::new(
                            Code::YamlSyntax,
                            location(file, pos, ""),
                            format!("invalid YAML: {}", error.info()),
                        )
                        .with_help(
                            "fix the YAML syntax at this position; an editor with YAML support shows the structure",
                        ),
                    }
                };
                builder.out.diagnostics.push(diagnostic);
                break;
            }
        }
    }
    builder.out
}

/// The reserved indicator (`@`, `` ` ``, `%`) the scanner's "unexpected
/// character" message names, quoted for a diagnostic (the scanner quotes
/// it TeX-style, which breaks on a backtick).
fn reserved_indicator(info: &str) -> Option<String> {
    let c = info.strip_prefix("unexpected character: `")?.strip_suffix('\'')?;
    Some(if c == "`" {
        "`` ` ``".to_string()
    } else {
        format!("`{c}`")
    })
}

fn location(file: &str, pos: Pos, pointer: &str) -> FilePosition {
    FilePosition {
        file: file.to_string(),
        line: pos.line,
        column: pos.column,
        pointer: pointer.to_string(),
    }
}

/// A collection being built: its start position and anchor, and where its
/// children begin in the builder's `items` or `entries` (the children of
/// the collections being built are kept end to end there, innermost last,
/// so each collection is allocated once, at its exact size, when it ends).
enum Frame {
    Seq {
        start: Pos,
        anchor: usize,
        first: usize,
    },
    Map {
        start: Pos,
        anchor: usize,
        first: usize,
        /// The key read, waiting for its value, and whether it repeats an
        /// earlier key (reported already; the first value stays).
        pending_key: Option<(Node, bool)>,
        index: Option<HashMap<String, usize>>,
    },
}

struct TreeBuilder<'f> {
    file: &'f str,
    out: ParsedFile,
    stack: Vec<Frame>,
    /// The items of the sequences being built (see [`Frame`]).
    items: Vec<Node>,
    /// The entries of the mappings being built (see [`Frame`]).
    entries: Vec<(Node, Node)>,
    anchors: HashMap<usize, (Node, usize)>,
    alias_nodes: usize,
    doc_index: usize,
    /// Set once the current document has failed; its events are skipped.
    skip_document: bool,
}

type Step = Result<(), Box<Diagnostic>>;

impl<'f> TreeBuilder<'f> {
    fn new(file: &'f str) -> Self {
        TreeBuilder {
            file,
            out: ParsedFile::default(),
            stack: Vec::new(),
            items: Vec::new(),
            entries: Vec::new(),
            anchors: HashMap::new(),
            alias_nodes: 0,
            doc_index: 0,
            skip_document: false,
        }
    }

    fn error(&self, code: Code, pos: Pos, message: String, help: &str) -> Box<Diagnostic> {
        Box::new(Diagnostic::new(code, location(self.file, pos, &self.pointer()), message).with_help(help))
    }

    /// JSON pointer of the node being built, for diagnostics.
    fn pointer(&self) -> String {
        let mut pointer = String::new();
        for (depth, frame) in self.stack.iter().enumerate() {
            match frame {
                Frame::Seq { first, .. } => {
                    // Its items end where the next sequence's begin.
                    let end = self.stack[depth + 1..]
                        .iter()
                        .find_map(|f| match f {
                            Frame::Seq { first, .. } => Some(*first),
                            Frame::Map { .. } => None,
                        })
                        .unwrap_or(self.items.len());
                    pointer.push('/');
                    pointer.push_str(&(end - first).to_string());
                }
                Frame::Map { pending_key, .. } => {
                    if let Some(key) = pending_key.as_ref().and_then(|(key, _)| key.as_str()) {
                        pointer.push('/');
                        pointer.push_str(&crate::util::escape_pointer(key));
                    }
                }
            }
        }
        pointer
    }

    fn on_event(&mut self, event: Event<'_>, span: Span) -> Step {
        let start = Pos::from_marker(span.start);
        match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing => Ok(()),
            Event::DocumentStart(_) => {
                self.stack.clear();
                self.items.clear();
                self.entries.clear();
                self.anchors.clear();
                self.skip_document = false;
                Ok(())
            }
            Event::DocumentEnd => {
                self.doc_index += 1;
                Ok(())
            }
            _ if self.skip_document => Ok(()),
            Event::Scalar(text, style, anchor, tag) => {
                let value = scalar::resolve(&text, style == ScalarStyle::Plain, tag.as_deref());
                let node = Node::new(value, start, Pos::from_marker(span.end));
                self.remember(anchor, &node, 1);
                self.push_value(node)
            }
            Event::SequenceStart(anchor, _) => self.open(
                Frame::Seq {
                    start,
                    anchor,
                    first: self.items.len(),
                },
                start,
            ),
            Event::MappingStart(anchor, _) => self.open(
                Frame::Map {
                    start,
                    anchor,
                    first: self.entries.len(),
                    pending_key: None,
                    index: None,
                },
                start,
            ),
            Event::SequenceEnd | Event::MappingEnd => self.close(Pos::from_marker(span.end)),
            Event::Alias(id) => {
                let Some((node, size)) = self.anchors.get(&id).cloned() else {
                    return Err(self.error(
                        Code::YamlUnsupported,
                        start,
                        "alias refers to an anchor that is not defined before it".into(),
                        "define the anchor (`&name`) before using the alias (`*name`)",
                    ));
                };
                self.alias_nodes += size;
                if self.alias_nodes > MAX_ALIAS_NODES {
                    return Err(self.error(
                        Code::YamlAliasLimit,
                        start,
                        format!("aliases in this file expand to more than {MAX_ALIAS_NODES} nodes"),
                        "this looks like an alias bomb (\"billion laughs\"); write the values out or use fewer nested aliases",
                    ));
                }
                self.push_value(node.relocated(start))
            }
        }
    }

    fn open(&mut self, frame: Frame, start: Pos) -> Step {
        if self.stack.len() >= MAX_DEPTH {
            self.skip_document = true;
            self.stack.clear();
            self.items.clear();
            self.entries.clear();
            return Err(self.error(
                Code::YamlDepthLimit,
                start,
                format!("YAML nested more than {MAX_DEPTH} levels deep"),
                "flatten the document; catalog entities need only a few levels",
            ));
        }
        self.stack.push(frame);
        Ok(())
    }

    fn close(&mut self, end: Pos) -> Step {
        let frame = self.stack.pop().expect("the parser balances collection events");
        let (node, anchor) = match frame {
            Frame::Seq { start, anchor, first } => {
                let items: Box<[Node]> = self.items.drain(first..).collect();
                (Node::new(Value::Seq(items), start, end), anchor)
            }
            Frame::Map {
                start, anchor, first, ..
            } => {
                let entries: Box<[(Node, Node)]> = self.entries.drain(first..).collect();
                (Node::new(Value::Map(entries), start, end), anchor)
            }
        };
        if anchor != 0 {
            self.remember(anchor, &node, node.size());
        }
        self.push_value(node)
    }

    fn remember(&mut self, anchor: usize, node: &Node, size: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, (node.clone(), size));
        }
    }

    /// Attaches a finished node to its parent, or ends the document.
    fn push_value(&mut self, node: Node) -> Step {
        match self.stack.last_mut() {
            // An empty document (`---` followed by nothing) holds no entity.
            None if node.value == Value::Null => Ok(()),
            None => {
                self.out.documents.push(Document::new(self.doc_index, node));
                Ok(())
            }
            Some(Frame::Seq { .. }) => {
                self.items.push(node);
                Ok(())
            }
            Some(Frame::Map { pending_key: None, .. }) => self.push_key(node),
            Some(Frame::Map {
                pending_key,
                first,
                index,
                ..
            }) => {
                let (key, duplicate) = pending_key.take().expect("matched above");
                // A duplicate key was reported when it was read; the first value stays.
                if !duplicate {
                    let entries = &self.entries[*first..];
                    insert_key(entries, index, key.as_str().unwrap_or_default());
                    self.entries.push((key, node));
                }
                Ok(())
            }
        }
    }

    fn push_key(&mut self, mut key: Node) -> Step {
        // Keys are kept as strings (as JSON has them), so lookups never
        // allocate.
        let key_text: CompactString = match std::mem::replace(&mut key.value, Value::Null) {
            Value::String(text) => text,
            other => {
                let scalar = Node::new(other, key.start, key.end);
                let Some(text) = scalar.as_scalar_text() else {
                    return Err(self.error(
                        Code::YamlUnsupported,
                        key.start,
                        "mapping keys must be plain values, not sequences or mappings".into(),
                        "use a string key",
                    ));
                };
                text.into()
            }
        };
        let Some(Frame::Map { first, index, .. }) = self.stack.last() else {
            unreachable!("push_key is only called on a mapping frame")
        };
        let entries = &self.entries[*first..];
        let repeated = find_key(entries, index, &key_text);
        if let Some(first) = repeated {
            let first_pos = entries[first].0.start;
            let pointer = format!("{}/{}", self.pointer(), crate::util::escape_pointer(&key_text));
            let diagnostic = Diagnostic::new(
                Code::YamlDuplicateKey,
                location(self.file, key.start, &pointer),
                format!("duplicate key `{key_text}` in this mapping"),
            )
            .with_help("remove one of the two keys; YAML does not say which one wins")
            .with_related("first defined here", location(self.file, first_pos, &pointer));
            self.out.diagnostics.push(diagnostic);
        }
        key.value = Value::String(key_text);
        if let Some(Frame::Map { pending_key, .. }) = self.stack.last_mut() {
            *pending_key = Some((key, repeated.is_some()));
        }
        Ok(())
    }
}

/// Records the position of a new key; mappings past 16 keys get a hash index
/// so building a huge mapping stays linear.
fn insert_key(entries: &[(Node, Node)], index: &mut Option<HashMap<String, usize>>, key: &str) {
    match index {
        Some(index) => {
            index.insert(key.to_string(), entries.len());
        }
        None if entries.len() >= 16 => {
            let mut map: HashMap<String, usize> = entries
                .iter()
                .enumerate()
                .filter_map(|(i, (k, _))| k.as_str().map(|t| (t.to_string(), i)))
                .collect();
            map.insert(key.to_string(), entries.len());
            *index = Some(map);
        }
        None => {}
    }
}

/// Position of `key` among `entries`: a linear scan for small mappings, a
/// hash index once a mapping grows.
fn find_key(entries: &[(Node, Node)], index: &Option<HashMap<String, usize>>, key: &str) -> Option<usize> {
    match index {
        Some(index) => index.get(key).copied(),
        None => entries.iter().position(|(k, _)| k.as_str() == Some(key)),
    }
}

#[cfg(test)]
mod tests;
