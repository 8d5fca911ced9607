//! The YAML tree as one of `jsonschema`'s JSON representations, so a
//! document is validated where it lies instead of being copied into a
//! `serde_json::Value` first (the copy and its drop cost more than the
//! validation of a valid document).
//!
//! Architecture Invariant: every accessor answers what it would answer on
//! [`Node::to_json`] of the same node — a non-finite float is the string
//! `to_json` writes for it, an integer-valued float is a number `1.0` —, so
//! a document is valid here exactly when its JSON is valid. Mapping keys
//! are unique in the tree (the parser keeps the first of duplicates), as in
//! a JSON object.

use std::borrow::Cow;

use jsonschema::json::{Array, Json, Node as JsonNode, NodeIdentity, Object};
use jsonschema::types::JsonType;
use serde_json::Value as JsonValue;

use crate::parse::{Node, Value};

/// The representation: nodes are `&parse::Node`.
pub struct YamlTree;

impl Json for YamlTree {
    type Node<'a> = &'a Node;
    type PreparedKey = String;
    type StringBuffer = Option<Node>;

    /// Lookups scan the mapping's entries, so a pass over the members is
    /// the better choice as soon as it replaces more than one lookup.
    const KEYS_PER_LOOKUP: usize = 1;

    fn prepare_key(key: &str) -> String {
        key.to_owned()
    }

    fn with_string_node<T>(buffer: &mut Option<Node>, string: &str, f: impl FnOnce(&Node) -> T) -> T {
        let node = buffer.insert(Node::new(
            Value::String(string.into()),
            Default::default(),
            Default::default(),
        ));
        f(node)
    }
}

impl<'a> JsonNode<'a, YamlTree> for &'a Node {
    type Object = &'a [(Node, Node)];
    type Array = &'a [Node];
    type Number = serde_json::Number;

    fn as_object(&self) -> Option<&'a [(Node, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    fn as_array(&self) -> Option<&'a [Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    fn as_string(&self) -> Option<Cow<'a, str>> {
        match &self.value {
            Value::String(s) => Some(Cow::Borrowed(s.as_str())),
            Value::Float(f) if !f.is_finite() => Some(Cow::Owned(f.to_string())),
            _ => None,
        }
    }

    fn as_number(&self) -> Option<serde_json::Number> {
        match self.value {
            Value::Int(i) => Some(i.into()),
            Value::Float(f) => serde_json::Number::from_f64(f),
            _ => None,
        }
    }

    fn as_boolean(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    fn json_type(&self) -> JsonType {
        match &self.value {
            Value::Null => JsonType::Null,
            Value::Bool(_) => JsonType::Boolean,
            Value::Int(_) => JsonType::Number,
            // `to_json` writes a non-finite float as a string.
            Value::Float(f) if !f.is_finite() => JsonType::String,
            Value::Float(_) => JsonType::Number,
            Value::String(_) => JsonType::String,
            Value::Seq(_) => JsonType::Array,
            Value::Map(_) => JsonType::Object,
        }
    }

    fn to_value(&self) -> Cow<'a, JsonValue> {
        Cow::Owned(self.to_json())
    }

    fn identity(&self) -> Option<NodeIdentity> {
        Some(NodeIdentity::new(std::ptr::from_ref::<Node>(self) as usize))
    }
}

/// A mapping key's text, as `to_json` writes it.
fn key(node: &Node) -> &str {
    node.as_str().unwrap_or_default()
}

pub struct Members<'a>(std::slice::Iter<'a, (Node, Node)>);

impl<'a> Iterator for Members<'a> {
    type Item = (&'a str, &'a Node);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(k, v)| (key(k), v))
    }
}

impl<'a> Object<'a, YamlTree> for &'a [(Node, Node)] {
    type Node = &'a Node;
    type MemberName = &'a str;
    type MembersIter = Members<'a>;

    fn len(&self) -> usize {
        <[(Node, Node)]>::len(self)
    }

    fn get(&self, name: &String) -> Option<&'a Node> {
        self.iter().find(|(k, _)| key(k) == name).map(|(_, v)| v)
    }

    fn members(&self) -> Members<'a> {
        Members(self.iter())
    }
}

impl<'a> Array<'a, YamlTree> for &'a [Node] {
    type Node = &'a Node;
    type ElementsIter = std::slice::Iter<'a, Node>;

    fn len(&self) -> usize {
        <[Node]>::len(self)
    }

    fn elements(&self) -> std::slice::Iter<'a, Node> {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A validator of `schema` for each representation.
    fn both(schema: &JsonValue) -> (jsonschema::Validator, jsonschema::Validator<YamlTree>) {
        let json = jsonschema::options().build(schema).expect("compiles");
        let yaml = jsonschema::options_for::<YamlTree>().build(schema).expect("compiles");
        (json, yaml)
    }

    #[test]
    fn a_document_is_valid_as_yaml_exactly_when_its_json_is() {
        let schemas = [
            serde_json::json!({"type": "object", "required": ["a", "b"], "properties": {
                "a": {"type": "integer", "minimum": 1},
                "b": {"type": "string", "minLength": 2, "pattern": "^x"},
                "c": {"type": "array", "items": {"enum": [1, "two", null, true]}, "uniqueItems": true},
                "d": {"const": {"k": [1.0, "v"]}},
                "e": {"type": "string"},
            }, "additionalProperties": false}),
            serde_json::json!({"type": "object", "propertyNames": {"pattern": "^[a-e]$"},
                "patternProperties": {"^c$": {"maxItems": 2}}, "minProperties": 2}),
        ];
        let documents = [
            "{a: 1, b: xy}",
            "{a: 1.0, b: xy}",
            "{a: 1.5, b: xy}",
            "{a: 0, b: xy}",
            "{a: '1', b: xy}",
            "{a: 1}",
            "{a: 1, b: x}",
            "{a: 1, b: yy}",
            "{a: 1, b: xy, c: [1, two, null, true]}",
            "{a: 1, b: xy, c: [1, 1.0]}",
            "{a: 1, b: xy, c: [3]}",
            "{a: 1, b: xy, d: {k: [1, v]}}",
            "{a: 1, b: xy, d: {k: [1, w]}}",
            "{a: 1, b: xy, e: .inf}",
            "{a: 1, b: xy, e: .nan}",
            "{a: 1, b: xy, f: 1}",
            "{a: 1, b: xy, 1: 1}",
            "{a: .inf, b: xy}",
            "[1, 2]",
            "text",
            "{}",
        ];
        let mut seen = [0; 2];
        for schema in &schemas {
            let (json, yaml) = both(schema);
            for text in documents {
                let parsed = crate::parse::parse_yaml("x.yaml", text);
                let node = &parsed.documents[0].root;
                let expected = json.is_valid(&node.to_json());
                assert_eq!(yaml.is_valid(node), expected, "{text} against {schema}");
                seen[usize::from(expected)] += 1;
            }
        }
        assert!(
            seen[0] > 10 && seen[1] > 5,
            "valid and invalid documents both tried: {seen:?}"
        );
    }
}
