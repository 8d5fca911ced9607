//! The typed form of a `catalog.nestor.io/v1` ResourceDefinition version.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::parse::Node;

/// One version of a ResourceDefinition.
#[derive(Debug, Clone, Default, PartialEq)]
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
    pub engine_configs: BTreeMap<String, Json>,
    /// `metadata.yanked: true`: resolvable by exact version, never "latest".
    pub yanked: bool,
    /// `metadata.deprecated` (true or a reason).
    pub deprecated: bool,
}

/// An input of a definition, required or optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Input {
    pub name: String,
    pub required: bool,
    pub value_type: Option<String>,
    pub description: Option<String>,
    pub default: Option<Json>,
    pub pattern: Option<String>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub allowed: Option<Vec<Json>>,
    /// JSON pointer of the input in its document.
    pub pointer: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Output {
    pub name: String,
    pub value_type: Option<String>,
    pub description: Option<String>,
    pub pointer: String,
}

fn text(node: Option<&Node>) -> Option<String> {
    node.and_then(Node::as_str).map(str::to_string)
}

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
                value_type: text(node.get("type")),
                description: text(node.get("description")),
                default: node.get("default").map(Node::to_json),
                pattern: text(v("pattern")),
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
                value_type: text(node.get("type")),
                description: text(node.get("description")),
                pointer: format!("/spec/outputs/{i}"),
            })
        })
        .collect();
    let engine_configs = s("engine_configs")
        .and_then(Node::as_map)
        .map(|entries| {
            entries
                .iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.to_json())))
                .collect()
        })
        .unwrap_or_default();
    let flag = |key: &str| {
        m(key)
            .map(Node::to_json)
            .is_some_and(|j| j.as_bool().unwrap_or(j.is_string()))
    };
    ResourceDefinition {
        version: text(m("version")),
        provider: text(m("provider")),
        category: text(m("category")),
        resource_type: text(m("resource_type")),
        maintainers: strings(m("maintainers")),
        supported_engines: strings(s("supported_engines")),
        inputs,
        outputs,
        engine_configs,
        yanked: flag("yanked"),
        deprecated: flag("deprecated"),
    }
}
