//! JSON Schemas as they appear in OpenAPI, Swagger and AsyncAPI documents,
//! turned into rows of nested tables, with local `$ref`s resolved.
//!
//! A named schema (one under `#/components/schemas/` or `#/definitions/`)
//! has its own table on the page ([`Resolver::types`]); where it is a whole
//! body it is expanded, and where it is nested it is linked to that table.
//! So a page grows with the document, not with how often a schema is used,
//! and a cycle (`Pet.parent: Pet`) is always cut at a link. Inline objects
//! are expanded in place, within a row budget per table and a depth limit.

use super::{slug, Field, TypeDef};
use crate::parse::{Node, Value};

/// Rows of one table, at most.
const ROW_BUDGET: usize = 80;
/// Nesting of inline objects, at most.
const MAX_DEPTH: usize = 8;
/// `$ref` hops followed, at most (a chain of refs to refs).
const MAX_HOPS: usize = 16;

/// Resolves local `$ref`s of one document.
pub struct Resolver<'a> {
    pub root: &'a Node,
    /// Where named schemas live, e.g. `/components/schemas/`.
    pub sections: &'a [&'a str],
}

impl<'a> Resolver<'a> {
    /// The node a local `$ref` chain starting at `node` ends at (`node`
    /// itself when it is no ref, or the ref leads nowhere).
    pub fn deref(&self, node: &'a Node) -> &'a Node {
        let mut current = node;
        for _ in 0..MAX_HOPS {
            match current.get_str("$ref").and_then(|r| self.target(r)) {
                Some(next) => current = next,
                None => break,
            }
        }
        current
    }

    fn target(&self, reference: &str) -> Option<&'a Node> {
        self.root.pointer(reference.strip_prefix('#')?)
    }

    /// The name of the schema a `$ref` names, when it names one of the
    /// schema sections.
    pub fn named(&self, reference: &str) -> Option<String> {
        let pointer = reference.strip_prefix('#')?;
        let rest = self.sections.iter().find_map(|s| pointer.strip_prefix(s))?;
        (!rest.contains('/') && self.target(reference).is_some()).then(|| unescape(rest))
    }

    /// The anchor of a named schema's table.
    pub fn anchor(name: &str) -> String {
        slug("schema-", &[name])
    }

    /// The rows of a body's table: the schema's properties (a named schema
    /// at the root is expanded), its items, or one row for a scalar.
    pub fn rows(&self, schema: &'a Node) -> Vec<Field> {
        let mut walk = Walk {
            resolver: self,
            budget: ROW_BUDGET,
        };
        let target = self.deref(schema);
        let rows = walk.children(target, 0);
        if rows.is_empty() {
            vec![walk.field("", schema, false, 0)]
        } else {
            rows
        }
    }

    /// The type label of a schema and, for a named one, its anchor.
    pub fn label(&self, schema: &Node) -> (String, Option<String>) {
        // A named schema, or an array of one.
        let link = schema
            .get_str("$ref")
            .or_else(|| schema.get("items")?.get_str("$ref"))
            .and_then(|r| self.named(r))
            .map(|n| Resolver::anchor(&n));
        (label(schema), link)
    }

    /// A table for every named schema, in document order.
    pub fn types(&self) -> Vec<TypeDef> {
        let mut types = Vec::new();
        for section in self.sections {
            let Some(entries) = self.root.pointer(section.trim_end_matches('/')).and_then(Node::as_map) else {
                continue;
            };
            for (key, schema) in entries {
                let Some(name) = key.as_str() else { continue };
                let mut walk = Walk {
                    resolver: self,
                    budget: ROW_BUDGET,
                };
                let target = self.deref(schema);
                types.push(TypeDef {
                    anchor: Resolver::anchor(name),
                    name: name.to_string(),
                    kind: "schema".into(),
                    description_html: super::markdown(target.get_str("description")),
                    fields: walk.children(target, 0),
                    values: enum_values(target),
                });
            }
        }
        types
    }

    /// The properties of an object schema (merging `allOf` parts) with
    /// whether each is required, in document order.
    pub fn properties(&self, schema: &'a Node) -> Vec<(&'a str, &'a Node, bool)> {
        let mut out: Vec<(&str, &Node, bool)> = Vec::new();
        let mut named: Vec<&'a Node> = Vec::new();
        self.collect(schema, &mut out, &mut named, 0);
        for entry in &mut out {
            entry.2 = named.iter().any(|n| n.as_str() == Some(entry.0));
        }
        // A required name with no schema of its own is a property too.
        for node in named {
            if let Some(name) = node.as_str().filter(|n| !out.iter().any(|(o, ..)| o == n)) {
                out.push((name, node, true));
            }
        }
        out
    }

    fn collect(
        &self,
        schema: &'a Node,
        out: &mut Vec<(&'a str, &'a Node, bool)>,
        required: &mut Vec<&'a Node>,
        hops: usize,
    ) {
        if hops > MAX_HOPS {
            return;
        }
        let schema = self.deref(schema);
        for (key, value) in schema.get("properties").and_then(Node::as_map).unwrap_or_default() {
            if let Some(name) = key.as_str() {
                if !out.iter().any(|(n, ..)| *n == name) {
                    out.push((name, value, false));
                }
            }
        }
        required.extend(
            schema
                .get("required")
                .and_then(Node::as_seq)
                .unwrap_or_default()
                .iter()
                .filter(|n| n.as_str().is_some()),
        );
        for part in schema.get("allOf").and_then(Node::as_seq).unwrap_or_default() {
            self.collect(part, out, required, hops + 1);
        }
    }
}

struct Walk<'r, 'a> {
    resolver: &'r Resolver<'a>,
    budget: usize,
}

impl<'a> Walk<'_, 'a> {
    fn field(&mut self, name: &str, schema: &'a Node, required: bool, depth: usize) -> Field {
        self.budget = self.budget.saturating_sub(1);
        let (ty, link) = self.resolver.label(schema);
        let target = self.resolver.deref(schema);
        let description = schema
            .get_str("description")
            .or_else(|| target.get_str("description"))
            .map(str::to_string);
        let mut field = Field {
            name: name.to_string(),
            ty,
            required,
            notes: notes(target),
            description,
            link,
            ..Field::default()
        };
        // A named schema has its own table: linked, not repeated.
        if field.link.is_none() {
            field.fields = self.children(target, depth + 1);
        }
        field
    }

    /// The nested rows of a schema: its properties, its items' properties
    /// or its alternatives.
    fn children(&mut self, schema: &'a Node, depth: usize) -> Vec<Field> {
        if depth > MAX_DEPTH || self.budget == 0 {
            return Vec::new();
        }
        let properties = self.resolver.properties(schema);
        if !properties.is_empty() {
            let mut rows = Vec::new();
            for (name, value, required) in properties {
                if self.budget == 0 {
                    rows.push(more());
                    break;
                }
                rows.push(self.field(name, value, required, depth));
            }
            return rows;
        }
        if let Some(items) = schema.get("items") {
            let named = items.get_str("$ref").and_then(|r| self.resolver.named(r));
            if named.is_none() {
                let rows = self.children(self.resolver.deref(items), depth + 1);
                if !rows.is_empty() {
                    return vec![Field {
                        name: "[]".into(),
                        ty: label(items),
                        notes: vec!["each item".into()],
                        fields: rows,
                        ..Field::default()
                    }];
                }
            }
        }
        for key in ["oneOf", "anyOf"] {
            if let Some(options) = schema.get(key).and_then(Node::as_seq) {
                let mut rows = Vec::new();
                for (i, option) in options.iter().enumerate() {
                    if self.budget == 0 {
                        break;
                    }
                    rows.push(self.field(&format!("option {}", i + 1), option, false, depth));
                }
                return rows;
            }
        }
        if let Some(extra) = schema.get("additionalProperties").filter(|n| n.as_map().is_some()) {
            return vec![self.field("{key}", extra, false, depth)];
        }
        Vec::new()
    }
}

/// A row saying the table was cut.
fn more() -> Field {
    Field {
        name: "…".into(),
        ty: String::new(),
        notes: vec!["more fields: see the definition".into()],
        ..Field::default()
    }
}

/// `~1` and `~0` in a JSON pointer token.
fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// A schema's type as people read it: `string`, `array of Pet`,
/// `integer | null`, `one of: Cat | Dog`.
pub fn label(schema: &Node) -> String {
    if let Some(reference) = schema.get_str("$ref") {
        return reference.rsplit('/').next().map(unescape).unwrap_or_default();
    }
    let mut types: Vec<String> = match schema.get("type").map(|t| &t.value) {
        Some(Value::String(t)) => vec![t.to_string()],
        Some(Value::Seq(items)) => items.iter().filter_map(|t| t.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    };
    if let Some(i) = types.iter().position(|t| t == "array") {
        let items = schema.get("items").map(label).unwrap_or_else(|| "any".into());
        types[i] = format!("array of {items}");
    }
    if types.is_empty() {
        for (key, word) in [("oneOf", "one of"), ("anyOf", "any of"), ("allOf", "all of")] {
            if let Some(options) = schema.get(key).and_then(Node::as_seq) {
                let labels: Vec<String> = options.iter().map(label).collect();
                if key == "allOf" && labels.len() == 1 {
                    return labels[0].clone();
                }
                return format!("{word}: {}", labels.join(" | "));
            }
        }
        if schema.get("properties").is_some() {
            types.push("object".into());
        } else if let Some(constant) = schema.get("const").and_then(Node::as_scalar_text) {
            return format!("const {constant}");
        } else if schema.get("enum").is_some() {
            types.push("enum".into());
        } else {
            types.push("any".into());
        }
    }
    if schema.get("nullable").is_some_and(|n| n.value == Value::Bool(true)) && !types.iter().any(|t| t == "null") {
        types.push("null".into());
    }
    types.join(" | ")
}

/// The values of an `enum`, as text.
pub fn enum_values(schema: &Node) -> Vec<String> {
    schema
        .get("enum")
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(Node::as_scalar_text)
        .collect()
}

/// What else a schema says of its values.
pub(super) fn notes(schema: &Node) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(format) = schema.get_str("format") {
        notes.push(format!("format: {format}"));
    }
    let values = enum_values(schema);
    if !values.is_empty() {
        notes.push(format!("one of: {}", values.join(", ")));
    }
    for (key, word) in [
        ("default", "default"),
        ("pattern", "pattern"),
        ("minimum", "min"),
        ("maximum", "max"),
        ("exclusiveMinimum", "greater than"),
        ("exclusiveMaximum", "less than"),
        ("minLength", "min length"),
        ("maxLength", "max length"),
        ("minItems", "min items"),
        ("maxItems", "max items"),
    ] {
        if let Some(value) = schema.get(key).and_then(Node::as_scalar_text) {
            if value != "true" && value != "false" || key == "default" {
                notes.push(format!("{word}: {value}"));
            }
        }
    }
    for (key, word) in [
        ("readOnly", "read-only"),
        ("writeOnly", "write-only"),
        ("deprecated", "deprecated"),
    ] {
        if schema.get(key).is_some_and(|n| n.value == Value::Bool(true)) {
            notes.push(word.into());
        }
    }
    notes
}
