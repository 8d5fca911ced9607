//! The typed form of a `catalog.nestor.io/v1` ResourceDefinition version,
//! and the rules a value must follow to fill one of its inputs
//! ([`Input::breach`]): the rules the portal's request form applies in the
//! browser (`assets/app.js`), a claim's inputs are checked with, and
//! defaults must satisfy — in that order (type, enum, bounds, pattern), so
//! all three report the same first problem, in the same words
//! ([`Breach::reason`]). An input's or output's `type` is read once into a
//! [`ValueType`].

use std::collections::BTreeMap;

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::parse::Node;

/// One version of a ResourceDefinition.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResourceDefinition {
    /// `metadata.version` when it is a string (a YAML number is reported by
    /// `validate` and leaves this empty).
    pub version: Option<String>,
    pub provider: Option<String>,
    pub category: Option<String>,
    pub resource_type: Option<String>,
    pub maintainers: Vec<String>,
    pub supported_engines: Vec<String>,
    /// Required inputs first, then optional ones, each in source order.
    pub inputs: Vec<Input>,
    pub outputs: Vec<Output>,
    #[serde(with = "crate::util::json_text")]
    pub engine_configs: BTreeMap<String, Json>,
    /// `metadata.yanked: true`: resolvable by exact version, never "latest".
    pub yanked: bool,
    /// `metadata.deprecated` (true or a reason).
    pub deprecated: bool,
}

/// An input of a definition, required or optional.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Input {
    pub name: String,
    pub required: bool,
    pub value_type: Option<ValueType>,
    pub description: Option<String>,
    #[serde(with = "crate::util::json_text")]
    pub default: Option<Json>,
    pub pattern: Option<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    #[serde(with = "crate::util::json_text")]
    pub allowed: Option<Vec<Json>>,
    /// JSON pointer of the input in its document.
    pub pointer: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Output {
    pub name: String,
    pub value_type: Option<ValueType>,
    pub description: Option<String>,
    pub pointer: String,
}

/// The type of an input's or output's value, as `type:` declares it: one of
/// the schema's six, or a type the schema check reports, kept as written
/// (and accepting any value) so nothing about the definition is lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueType {
    String,
    Integer,
    Number,
    Boolean,
    Array,
    Object,
    /// A type the schema does not know, as written.
    Other(String),
}

/// Read back as written (`check`'s cache); it serializes as written too.
impl<'de> Deserialize<'de> for ValueType {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<ValueType, D::Error> {
        Ok(ValueType::parse(&String::deserialize(deserializer)?))
    }
}

impl ValueType {
    /// The types the schema knows.
    const KNOWN: [ValueType; 6] = [
        ValueType::String,
        ValueType::Integer,
        ValueType::Number,
        ValueType::Boolean,
        ValueType::Array,
        ValueType::Object,
    ];

    /// The type `text` declares.
    pub fn parse(text: &str) -> ValueType {
        ValueType::KNOWN
            .into_iter()
            .find(|known| known.as_str() == text)
            .unwrap_or_else(|| ValueType::Other(text.to_string()))
    }

    /// The type as written.
    pub fn as_str(&self) -> &str {
        match self {
            ValueType::String => "string",
            ValueType::Integer => "integer",
            ValueType::Number => "number",
            ValueType::Boolean => "boolean",
            ValueType::Array => "array",
            ValueType::Object => "object",
            ValueType::Other(text) => text,
        }
    }

    /// Whether `value` is of this type (an unknown type — the schema
    /// check's — accepts anything).
    pub fn admits(&self, value: &Json) -> bool {
        match self {
            ValueType::String => value.is_string(),
            ValueType::Integer => value.is_i64() || value.is_u64() || value.as_f64().is_some_and(|f| f.fract() == 0.0),
            ValueType::Number => value.is_number(),
            ValueType::Boolean => value.is_boolean(),
            ValueType::Array => value.is_array(),
            ValueType::Object => value.is_object(),
            ValueType::Other(_) => true,
        }
    }
}

crate::util::written_as_str!(ValueType);

fn number(node: Option<&Node>) -> Option<f64> {
    node.and_then(|n| n.to_json().as_f64())
}

fn strings(node: Option<&Node>) -> Vec<String> {
    node.and_then(Node::as_seq)
        .map(|items| items.iter().filter_map(|n| n.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

pub(super) fn build(root: &Node) -> ResourceDefinition {
    let meta = root.get("metadata");
    let m = |key: &str| meta.and_then(|m| m.get(key));
    let spec = root.get("spec");
    let s = |key: &str| spec.and_then(|s| s.get(key));
    let mut inputs = Vec::new();
    for (key, required) in [("required_inputs", true), ("optional_inputs", false)] {
        for (i, node) in s(key).and_then(Node::as_seq).unwrap_or_default().iter().enumerate() {
            let Some(name) = node.get_str("name") else {
                continue;
            };
            let validation = node.get("validation");
            let v = |key: &str| validation.and_then(|v| v.get(key));
            inputs.push(Input {
                name: name.to_string(),
                required,
                value_type: node.get_str("type").map(ValueType::parse),
                description: super::text(node.get("description")),
                default: node.get("default").map(Node::to_json),
                pattern: super::text(v("pattern")),
                min: number(v("min")),
                max: number(v("max")),
                allowed: v("enum")
                    .and_then(Node::as_seq)
                    .map(|items| items.iter().map(Node::to_json).collect()),
                pointer: format!("/spec/{key}/{i}"),
            });
        }
    }
    let outputs = s("outputs")
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .enumerate()
        .filter_map(|(i, node)| {
            Some(Output {
                name: node.get_str("name")?.to_string(),
                value_type: node.get_str("type").map(ValueType::parse),
                description: super::text(node.get("description")),
                pointer: format!("/spec/outputs/{i}"),
            })
        })
        .collect();
    let engine_configs = super::json_entries(s("engine_configs"));
    let flag = |key: &str| {
        m(key)
            .map(Node::to_json)
            .is_some_and(|j| j.as_bool().unwrap_or(j.is_string()))
    };
    ResourceDefinition {
        version: super::text(m("version")),
        provider: super::text(m("provider")),
        category: super::text(m("category")),
        resource_type: super::text(m("resource_type")),
        maintainers: strings(m("maintainers")),
        supported_engines: strings(s("supported_engines")),
        inputs,
        outputs,
        engine_configs,
        yanked: flag("yanked"),
        deprecated: flag("deprecated"),
    }
}

/// How a value breaks an input's type or validation.
#[derive(Debug, Clone, PartialEq)]
pub enum Breach {
    /// Not of the input's type.
    Type(ValueType),
    /// Not in the non-empty `enum`.
    NotAllowed,
    /// Below `min`: the bound, and the value's length for strings/arrays.
    BelowMin(f64, Option<f64>),
    /// Above `max`: the bound, and the value's length for strings/arrays.
    AboveMax(f64, Option<f64>),
    /// Does not match `pattern`.
    Pattern,
}

impl Input {
    /// The first way `value` breaks this input, checking type, enum, bounds
    /// and pattern in that order, with JSON Schema semantics (an
    /// integer-valued number is an integer; a pattern matches anywhere
    /// unless anchored; `min`/`max` bound a number's value and a string's
    /// or array's length). A pattern that does not compile is reported by
    /// `validate` and matches everything here.
    pub fn breach(&self, value: &Json) -> Option<Breach> {
        if let Some(value_type) = self.value_type.as_ref().filter(|t| !t.admits(value)) {
            return Some(Breach::Type(value_type.clone()));
        }
        if let Some(allowed) = self.allowed.as_ref().filter(|a| !a.is_empty()) {
            if !allowed.iter().any(|a| same_value(a, value)) {
                return Some(Breach::NotAllowed);
            }
        }
        if let Some(breach) = bounds_breach(self, value) {
            return Some(breach);
        }
        if let (Some(pattern), Json::String(text)) = (&self.pattern, value) {
            if Regex::new(pattern).is_ok_and(|regex| !regex.is_match(text)) {
                return Some(Breach::Pattern);
            }
        }
        None
    }
}

impl Breach {
    /// What the request form says of such a value, as a clause ("must be
    /// at least 20"): the form shows it capitalized with a full stop
    /// (`Must be at least 20.`), and a claim's diagnostic quotes it.
    pub fn reason(&self, input: &Input, value: &Json) -> String {
        let items = value.is_array();
        match self {
            Breach::Type(t) => match t {
                ValueType::Integer => "must be a whole number".into(),
                ValueType::Number => "must be a number".into(),
                ValueType::Boolean => "must be true or false".into(),
                ValueType::Array => "must be a JSON array".into(),
                ValueType::Object => "must be a JSON object".into(),
                ValueType::String | ValueType::Other(_) => format!("must be a {t}"),
            },
            Breach::NotAllowed => {
                let list: Vec<String> = input.allowed.iter().flatten().map(value_text).collect();
                format!("must be one of {}", list.join(", "))
            }
            Breach::BelowMin(min, None) => format!("must be at least {min}"),
            Breach::AboveMax(max, None) => format!("must be at most {max}"),
            Breach::BelowMin(min, Some(_)) if items => format!("must have at least {min} items"),
            Breach::AboveMax(max, Some(_)) if items => format!("must have at most {max} items"),
            Breach::BelowMin(min, Some(_)) => format!("must be at least {min} characters long"),
            Breach::AboveMax(max, Some(_)) => format!("must be at most {max} characters long"),
            Breach::Pattern => format!(
                "must match the pattern {}",
                input.pattern.as_deref().unwrap_or_default()
            ),
        }
    }
}

/// A value as the form writes it in a message: strings bare, everything
/// else as JSON (`db.m5.large`, `20`, `true`).
pub fn value_text(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Equality as JSON Schema's `enum` sees it: `1` and `1.0` are the same.
fn same_value(a: &Json, b: &Json) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

fn bounds_breach(input: &Input, value: &Json) -> Option<Breach> {
    let (measure, length) = match value {
        Json::Number(n) => (n.as_f64()?, false),
        Json::String(s) => (s.chars().count() as f64, true),
        Json::Array(items) => (items.len() as f64, true),
        _ => return None,
    };
    let length = length.then_some(measure);
    if let Some(min) = input.min.filter(|min| measure < *min) {
        return Some(Breach::BelowMin(min, length));
    }
    if let Some(max) = input.max.filter(|max| measure > *max) {
        return Some(Breach::AboveMax(max, length));
    }
    None
}
