//! A resolved ResourceClaim rendered for the engines its definition
//! version configures in `spec.engine_configs`:
//!
//! * `terraform` (`module_source`, optional `module_version`) →
//!   `main.tf.json`: one `module` block — `source`, `version`, every input
//!   (defaults filled) as an argument — and each output of the definition
//!   as a Terraform `output` wired to the module's;
//! * `crossplane` (`composition_ref`, optional `version`, and
//!   `claim_api_version` and `claim_kind` for the composite resource
//!   claim's type — by default `platform.nestor.io/v1alpha1` and the
//!   definition's name in PascalCase) → `claim.yaml`: the claim resource of
//!   the definition's composition, the inputs as `spec.parameters`, outputs
//!   written to the connection secret `{name}-outputs`. (The default group
//!   is not one cairn reads, so a rendered file under the catalog root is
//!   never taken for catalog input.)
//!
//! Values are data, never code. In Terraform's JSON syntax every string —
//! object keys included — is a template, so `${` and `%{` in a value are
//! escaped (`$${`, `%%{`) and come out literally. The YAML is written here,
//! not by a template: every string is a double-quoted scalar (JSON's
//! escaping, plus the line separators YAML 1.1 readers break lines on), so
//! no value can end a scalar or start a new key. Block labels and names come
//! only from validated names. Output is deterministic: maps are sorted.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{json, Map, Value as Json};

use crate::model::{version_text, Entity, ResourceDefinition};

/// An engine cairn renders claims for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Engine {
    Terraform,
    Crossplane,
}

impl Engine {
    pub const ALL: [Engine; 2] = [Engine::Terraform, Engine::Crossplane];

    /// The key in `spec.engine_configs`.
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Terraform => "terraform",
            Engine::Crossplane => "crossplane",
        }
    }

    /// The file it is rendered to, in the claim's output directory.
    pub fn file_name(self) -> &'static str {
        match self {
            Engine::Terraform => "main.tf.json",
            Engine::Crossplane => "claim.yaml",
        }
    }
}

/// What a claim is rendered from: the claim's identity, its resolved
/// version and the inputs with defaults filled.
pub struct Claimed<'a> {
    pub claim: &'a Entity,
    pub version: &'a Entity,
    pub definition: &'a ResourceDefinition,
    pub inputs: &'a BTreeMap<String, Json>,
}

/// Meta-arguments of a Terraform `module` block, which no module variable
/// can be called.
const TERRAFORM_RESERVED: [&str; 8] = [
    "source",
    "version",
    "count",
    "for_each",
    "providers",
    "depends_on",
    "lifecycle",
    "locals",
];

/// The engines `definition` can be rendered for: configured with what
/// cairn needs, in [`Engine::ALL`] order.
pub fn engines(definition: &ResourceDefinition) -> Vec<Engine> {
    Engine::ALL
        .into_iter()
        .filter(|engine| {
            let config = definition.engine_configs.get(engine.as_str());
            let key = match engine {
                Engine::Terraform => "module_source",
                Engine::Crossplane => "composition_ref",
            };
            config.and_then(|c| c.get(key)).is_some_and(Json::is_string)
        })
        .collect()
}

/// The claim rendered for `engine`, or why it cannot be.
pub fn render(engine: Engine, claimed: &Claimed) -> Result<Vec<u8>, String> {
    if !engines(claimed.definition).contains(&engine) {
        let available: Vec<&str> = engines(claimed.definition).iter().map(|e| e.as_str()).collect();
        return Err(format!(
            "{} {} configures no {} engine{}",
            claimed.version.metadata.name,
            version_text(claimed.version),
            engine.as_str(),
            if available.is_empty() {
                " (and no other engine cairn renders)".to_string()
            } else {
                format!(" (it configures {})", available.join(", "))
            }
        ));
    }
    match engine {
        Engine::Terraform => terraform(claimed),
        Engine::Crossplane => Ok(crossplane(claimed)),
    }
}

fn config<'a>(claimed: &'a Claimed, engine: Engine, key: &str) -> Option<&'a str> {
    claimed
        .definition
        .engine_configs
        .get(engine.as_str())?
        .get(key)?
        .as_str()
}

/// Where the claim came from, for a comment at the top of each file.
fn provenance(claimed: &Claimed) -> String {
    format!(
        "Rendered by cairn from ResourceClaim {}/{} ({} {}, {}). Edit the claim, not this file.",
        claimed.claim.metadata.namespace,
        claimed.claim.metadata.name,
        claimed.version.metadata.name,
        version_text(claimed.version),
        claimed.claim.file
    )
}

/// A Terraform identifier from a claim name (letters, digits, `-` and `_`,
/// not starting with a digit or `-`).
fn terraform_label(name: &str) -> String {
    let label: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' })
        .collect();
    if label.starts_with(|c: char| c.is_ascii_alphabetic()) {
        label
    } else {
        format!("claim_{label}")
    }
}

/// A string as literal text in a Terraform JSON template.
fn terraform_literal(text: &str) -> String {
    text.replace("${", "$${").replace("%{", "%%{")
}

/// Every string in `value`, keys included, as literal Terraform text.
fn terraform_value(value: &Json) -> Json {
    match value {
        Json::String(s) => Json::String(terraform_literal(s)),
        Json::Array(items) => Json::Array(items.iter().map(terraform_value).collect()),
        Json::Object(map) => Json::Object(
            map.iter()
                .map(|(k, v)| (terraform_literal(k), terraform_value(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn terraform(claimed: &Claimed) -> Result<Vec<u8>, String> {
    if let Some(reserved) = claimed.inputs.keys().find(|k| TERRAFORM_RESERVED.contains(&k.as_str())) {
        return Err(format!(
            "input `{reserved}` cannot be passed to a Terraform module: Terraform reserves the name"
        ));
    }
    let label = terraform_label(&claimed.claim.metadata.name);
    let mut module = Map::new();
    let source = config(claimed, Engine::Terraform, "module_source").unwrap_or_default();
    module.insert("source".into(), Json::String(terraform_literal(source)));
    if let Some(version) = config(claimed, Engine::Terraform, "module_version") {
        module.insert("version".into(), Json::String(terraform_literal(version)));
    }
    for (name, value) in claimed.inputs {
        module.insert(name.clone(), terraform_value(value));
    }
    let mut outputs = Map::new();
    for output in &claimed.definition.outputs {
        let mut block = Map::new();
        block.insert(
            "value".into(),
            Json::String(format!("${{module.{label}.{}}}", output.name)),
        );
        if let Some(description) = &output.description {
            block.insert("description".into(), Json::String(terraform_literal(description)));
        }
        outputs.insert(output.name.clone(), Json::Object(block));
    }
    let mut document = json!({
        "//": provenance(claimed),
        "module": { label: module },
    });
    if !outputs.is_empty() {
        document["output"] = Json::Object(outputs);
    }
    let mut bytes = serde_json::to_vec_pretty(&document).expect("JSON values serialize");
    bytes.push(b'\n');
    Ok(bytes)
}

/// `aws-rds-postgres` → `AwsRdsPostgres`.
fn pascal_case(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            let first = chars.next().expect("not empty").to_ascii_uppercase();
            std::iter::once(first).chain(chars).collect::<String>()
        })
        .collect()
}

/// A Kubernetes object name from a claim name: lowercase, `_` and `.`
/// as `-`.
fn kubernetes_name(name: &str) -> String {
    name.to_ascii_lowercase().replace(['_', '.'], "-")
}

fn crossplane(claimed: &Claimed) -> Vec<u8> {
    let claim = claimed.claim;
    let name = kubernetes_name(&claim.metadata.name);
    let version = config(claimed, Engine::Crossplane, "claim_api_version").unwrap_or("platform.nestor.io/v1alpha1");
    let kind = config(claimed, Engine::Crossplane, "claim_kind")
        .map(str::to_string)
        .unwrap_or_else(|| pascal_case(&claimed.version.metadata.name));
    let mut labels = json!({
        "catalog.nestor.io/definition": claimed.version.metadata.name,
        "catalog.nestor.io/version": version_text(claimed.version),
    });
    if let Some(composition_version) = config(claimed, Engine::Crossplane, "version") {
        labels["catalog.nestor.io/composition-version"] = json!(composition_version);
    }
    let mut spec = json!({
        "compositionRef": { "name": config(claimed, Engine::Crossplane, "composition_ref").unwrap_or_default() },
        "parameters": claimed.inputs,
    });
    if !claimed.definition.outputs.is_empty() {
        spec["writeConnectionSecretToRef"] = json!({ "name": format!("{name}-outputs") });
    }
    let document = json!({
        "apiVersion": version,
        "kind": kind,
        "metadata": { "name": name, "namespace": claim.metadata.namespace.to_ascii_lowercase(), "labels": labels },
        "spec": spec,
    });
    let mut out = format!("# {}\n", provenance(claimed));
    // The keys Kubernetes readers expect first, then the rest.
    for key in ["apiVersion", "kind", "metadata", "spec"] {
        yaml_entry(&mut out, key, &document[key], 0);
    }
    out.into_bytes()
}

/// `key: value` at `indent`, block style.
fn yaml_entry(out: &mut String, key: &str, value: &Json, indent: usize) {
    let pad = " ".repeat(indent);
    let key = yaml_key(key);
    match value {
        Json::Object(map) if !map.is_empty() => {
            let _ = writeln!(out, "{pad}{key}:");
            for (k, v) in map {
                yaml_entry(out, k, v, indent + 2);
            }
        }
        Json::Array(items) if !items.is_empty() => {
            let _ = writeln!(out, "{pad}{key}:");
            for item in items {
                yaml_item(out, item, indent + 2);
            }
        }
        _ => {
            let _ = writeln!(out, "{pad}{key}: {}", yaml_scalar(value));
        }
    }
}

/// `- value` at `indent`.
fn yaml_item(out: &mut String, value: &Json, indent: usize) {
    let pad = " ".repeat(indent);
    match value {
        Json::Object(map) if !map.is_empty() => {
            let mut first = true;
            for (k, v) in map {
                let mut entry = String::new();
                yaml_entry(&mut entry, k, v, indent + 2);
                let entry = if first {
                    format!("{pad}- {}", &entry[indent + 2..])
                } else {
                    entry
                };
                out.push_str(&entry);
                first = false;
            }
        }
        Json::Array(items) if !items.is_empty() => {
            let _ = writeln!(out, "{pad}-");
            for item in items {
                yaml_item(out, item, indent + 2);
            }
        }
        _ => {
            let _ = writeln!(out, "{pad}- {}", yaml_scalar(value));
        }
    }
}

/// A key bare when it cannot be read as anything but that string, else
/// double-quoted.
fn yaml_key(key: &str) -> String {
    let plain = key.starts_with(|c: char| c.is_ascii_alphabetic())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
        && !matches!(
            key.to_ascii_lowercase().as_str(),
            "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
        );
    if plain {
        key.to_string()
    } else {
        yaml_string(key)
    }
}

/// A scalar: strings double-quoted, the rest as JSON (`{}` and `[]` for
/// empty collections).
fn yaml_scalar(value: &Json) -> String {
    match value {
        Json::String(s) => yaml_string(s),
        other => other.to_string(),
    }
}

/// A double-quoted YAML scalar: JSON's escaping, plus the characters YAML
/// 1.1 readers take for line breaks (NEL, LS, PS) and the BOM.
fn yaml_string(text: &str) -> String {
    serde_json::to_string(text)
        .expect("strings serialize")
        .replace('\u{85}', "\\u0085")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
        .replace('\u{feff}', "\\ufeff")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terraform_templates_in_values_and_keys_are_literal() {
        assert_eq!(
            terraform_literal("${file(\"/etc/passwd\")}"),
            "$${file(\"/etc/passwd\")}"
        );
        assert_eq!(
            terraform_literal("%{ if true }x%{ endif }"),
            "%%{ if true }x%%{ endif }"
        );
        let value = terraform_value(&json!({ "${k}": ["${v}", 1] }));
        assert_eq!(value, json!({ "$${k}": ["$${v}", 1] }));
    }

    #[test]
    fn names_become_identifiers() {
        assert_eq!(terraform_label("orders-db.eu"), "orders_db_eu");
        assert_eq!(terraform_label("1st"), "claim_1st");
        assert_eq!(pascal_case("aws-rds-postgres"), "AwsRdsPostgres");
        assert_eq!(kubernetes_name("Orders_DB.eu"), "orders-db-eu");
    }

    #[test]
    fn yaml_is_data_whatever_the_value() {
        let mut out = String::new();
        let value = json!({ "a": "x\"\n: y", "yes": [1, { "b": "\u{2028}", "c": [] }], "d": {} });
        yaml_entry(&mut out, "parameters", &value, 0);
        assert_eq!(
            out,
            "parameters:\n  a: \"x\\\"\\n: y\"\n  d: {}\n  \"yes\":\n    - 1\n    - b: \"\\u2028\"\n      c: []\n"
        );
        let parsed = crate::parse::parse_yaml("c.yaml", &out);
        assert!(parsed.diagnostics.is_empty(), "{:?}", parsed.diagnostics);
        assert_eq!(parsed.documents[0].root.to_json(), json!({ "parameters": value }));
    }
}
