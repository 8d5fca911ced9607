//! The YAML tree with source positions that every later stage reads.

use compact_str::CompactString;
use saphyr_parser::Marker;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// A 1-based line and column (columns count characters, as editors do).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

impl Pos {
    pub(super) fn from_marker(marker: Marker) -> Pos {
        Pos {
            line: marker.line() as u32,
            column: marker.col() as u32 + 1,
        }
    }
}

/// A YAML value, typed with the YAML 1.2 core schema. Mappings keep their
/// keys as nodes (with positions) in source order; keys are always
/// `Value::String` (`1: x` has the key `"1"`, as in JSON).
///
/// Collections are boxed slices, exactly their size: a whole catalog's
/// documents are kept for positions, and `Vec` would add a capacity word to
/// every value and its growth slack to every collection (a quarter of the
/// trees' memory at 100,000 services). Strings are `CompactString`s: up to
/// 24 bytes (nearly every key, and most values) inline in the node, with no
/// allocation — the value stays 24 bytes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(CompactString),
    Seq(Box<[Node]>),
    Map(Box<[(Node, Node)]>),
}

/// A value and the span of source text it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub value: Value,
    pub start: Pos,
    pub end: Pos,
}

impl Node {
    pub fn new(value: Value, start: Pos, end: Pos) -> Node {
        Node { value, start, end }
    }

    /// A copy placed where an alias used it, so diagnostics point at the use.
    pub(super) fn relocated(mut self, start: Pos) -> Node {
        self.start = start;
        self.end = start;
        self
    }

    /// Number of nodes in this subtree (keys count), for the alias budget.
    pub fn size(&self) -> usize {
        1 + match &self.value {
            Value::Seq(items) => items.iter().map(Node::size).sum(),
            Value::Map(entries) => entries.iter().map(|(k, v)| k.size() + v.size()).sum(),
            _ => 0,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The text of any scalar (keys may be numbers or booleans in YAML).
    pub fn as_scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::String(s) => Some(s.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Null => Some("null".to_string()),
            Value::Seq(_) | Value::Map(_) => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The value under `key` of a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.get_entry(key).map(|(_, v)| v)
    }

    /// The key node and value under `key` of a mapping.
    pub fn get_entry(&self, key: &str) -> Option<(&Node, &Node)> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(k, v)| (k, v))
    }

    /// The entries with string keys of the mapping under `key`; none when
    /// there is no such mapping.
    pub fn entries_at(&self, key: &str) -> impl Iterator<Item = (&str, &Node)> {
        self.get(key)
            .and_then(Node::as_map)
            .unwrap_or_default()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str()?, v)))
    }

    /// The string under `key`, if it is a string.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Node::as_str)
    }

    /// The node at a JSON pointer (RFC 6901), if it exists.
    pub fn pointer(&self, pointer: &str) -> Option<&Node> {
        let mut node = self;
        for token in pointer_tokens(pointer) {
            node = node.child(&token)?;
        }
        Some(node)
    }

    /// The deepest node that exists along a JSON pointer: the node itself, or
    /// for a missing key the parent that should hold it.
    pub fn locate(&self, pointer: &str) -> &Node {
        let mut node = self;
        for token in pointer_tokens(pointer) {
            match node.child(&token) {
                Some(child) => node = child,
                None => break,
            }
        }
        node
    }

    fn child(&self, token: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k.as_str() == Some(token)).map(|(_, v)| v),
            Value::Seq(items) => token.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        }
    }

    /// The JSON form of this subtree, for JSON Schema validation and output.
    /// Non-finite floats (`.inf`, `.nan`) have no JSON form and become
    /// strings.
    pub fn to_json(&self) -> Json {
        match &self.value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Int(i) => Json::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(Json::Number)
                .unwrap_or_else(|| Json::String(f.to_string())),
            Value::String(s) => Json::String(s.to_string()),
            Value::Seq(items) => Json::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => Json::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

impl Node {
    /// A tree for a JSON value, every node placed at `at` (for documents
    /// cairn makes itself, such as discovered services, whose diagnostics
    /// point at the fact they came from).
    pub fn from_json(json: &Json, at: Pos) -> Node {
        let value = match json {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => match n.as_i64() {
                Some(i) => Value::Int(i),
                None => Value::Float(n.as_f64().unwrap_or_default()),
            },
            Json::String(s) => Value::String(s.as_str().into()),
            Json::Array(items) => Value::Seq(items.iter().map(|i| Node::from_json(i, at)).collect()),
            Json::Object(entries) => Value::Map(
                entries
                    .iter()
                    .map(|(k, v)| {
                        (
                            Node::new(Value::String(k.as_str().into()), at, at),
                            Node::from_json(v, at),
                        )
                    })
                    .collect(),
            ),
        };
        Node::new(value, at, at)
    }
}

fn pointer_tokens(pointer: &str) -> impl Iterator<Item = String> + '_ {
    pointer
        .split('/')
        .skip(1)
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
}
