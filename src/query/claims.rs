//! Checking a claim — a request for a ResourceDefinition version with
//! inputs — against the version it resolves to, with the request form's
//! rules: every required input given, no unknown inputs, each value of the
//! input's type and within its enum, bounds and pattern (JSON Schema
//! semantics, `validate::resource_definition::value_problem`), and a claim
//! name of lowercase words joined by `-`.
//!
//! A claim is a `ResourceClaim` document (`metadata.name`, `spec.resource`,
//! `spec.version`, `spec.inputs`, as the form writes it) or the same fields
//! flat (`name`, `resource`, `version`, `inputs`). `version` is exact or a
//! semver requirement (`^2.0`): the highest version that satisfies it and
//! is not yanked; none means the latest.

use std::sync::LazyLock;

use regex::Regex;
use serde_json::{json, Value as Json};

use super::{miss, Api, Miss, PREFIX};
use crate::model::ResourceDefinition;
use crate::parse::{Document, Node, Pos};
use crate::validate::resource_definition::value_problem;

/// The request form's pattern for a claim's name.
static CLAIM_NAME: LazyLock<Regex> = LazyLock::new(|| Regex::new("^[a-z0-9]+(?:-[a-z0-9]+)*$").expect("valid regex"));

/// The typed definition in an API file of a ResourceDefinition version.
pub fn definition_of(document: &Json) -> Option<ResourceDefinition> {
    let root = Node::from_json(document, Pos { line: 1, column: 1 });
    let mut ignored = Vec::new();
    crate::model::lower_document(
        "api",
        Document {
            index: 0,
            root,
            inlined: Vec::new(),
            unfetched: Vec::new(),
        },
        &mut ignored,
    )?
    .resource_definition
    .map(|definition| *definition)
}

/// The claim's fields, from a document or the flat form.
struct Claim<'a> {
    document: bool,
    name: Option<&'a Json>,
    resource: Option<&'a str>,
    version: Option<&'a str>,
    inputs: Option<&'a Json>,
}

fn fields(claim: &Json) -> Claim<'_> {
    let document = claim.get("spec").is_some() || claim.get("kind").is_some();
    let spec = if document { &claim["spec"] } else { claim };
    Claim {
        document,
        name: if document {
            claim["metadata"].get("name")
        } else {
            claim.get("name")
        },
        resource: spec["resource"].as_str(),
        version: spec["version"].as_str(),
        inputs: spec.get("inputs"),
    }
}

/// Checks `claim` against the definition version it resolves to:
/// `{valid, resource, version, problems: [{field, message}], inputs}`
/// (`inputs` with the defaults of inputs not given). A claim that names
/// no definition, or no version of it, is a [`Miss`].
pub fn validate_claim(api: &Api, claim: &Json) -> Result<Json, Miss> {
    if !claim.is_object() {
        return miss("a claim is an object: a ResourceClaim document or {resource, version, inputs}");
    }
    let claim = fields(claim);
    let Some(resource) = claim.resource else {
        return miss("the claim names no definition: set `spec.resource` (or `resource`)");
    };
    let name = resource.trim().to_lowercase();
    let resolved = resolve_version(api, &name, claim.version)?;
    let document = super::resource_definition(api, &name, Some(&resolved))?;
    let file = api
        .json(&format!("{PREFIX}/resources/{name}/{resolved}.json"))
        .ok_or_else(|| Miss(format!("`{name}` {resolved} cannot be read")))?;
    let definition = definition_of(&file).ok_or_else(|| Miss(format!("`{name}` {resolved} cannot be read")))?;

    let mut problems: Vec<Json> = Vec::new();
    let mut problem = |field: String, message: String| problems.push(json!({ "field": field, "message": message }));
    match claim.name {
        Some(Json::String(text)) if CLAIM_NAME.is_match(text) => {}
        Some(other) => problem(
            "metadata.name".into(),
            format!("{other} is not a claim name: lowercase letters and digits, words joined by `-`"),
        ),
        None if claim.document => problem("metadata.name".into(), "the claim has no name".into()),
        None => {}
    }
    let given = match claim.inputs {
        None | Some(Json::Null) => serde_json::Map::new(),
        Some(Json::Object(inputs)) => inputs.clone(),
        Some(other) => {
            problem(
                "spec.inputs".into(),
                format!("{other} is not a map of input names to values"),
            );
            serde_json::Map::new()
        }
    };
    let mut resolved_inputs = serde_json::Map::new();
    for input in &definition.inputs {
        match given.get(&input.name) {
            Some(value) => {
                if let Some(why) = value_problem(input, value) {
                    problem(format!("spec.inputs.{}", input.name), why);
                }
                resolved_inputs.insert(input.name.clone(), value.clone());
            }
            None if input.required => problem(
                format!("spec.inputs.{}", input.name),
                format!("`{}` is required", input.name),
            ),
            None => {
                if let Some(default) = &input.default {
                    resolved_inputs.insert(input.name.clone(), default.clone());
                }
            }
        }
    }
    for key in given.keys() {
        if definition.inputs.iter().all(|i| &i.name != key) {
            let hint = crate::diagnostics::did_you_mean(key, definition.inputs.iter().map(|i| i.name.as_str()))
                .map(|s| format!("; did you mean `{s}`?"))
                .unwrap_or_default();
            problem(
                format!("spec.inputs.{key}"),
                format!("`{key}` is not an input of {name} {resolved}{hint}"),
            );
        }
    }
    Ok(json!({
        "valid": problems.is_empty(),
        "resource": document["name"],
        "version": resolved,
        "requested": claim.version,
        "yanked": definition.yanked,
        "problems": problems,
        "inputs": resolved_inputs,
    }))
}

/// The version a claim's `version` resolves to.
fn resolve_version(api: &Api, name: &str, wanted: Option<&str>) -> Result<String, Miss> {
    let Some(versions) = api.json(&format!("{PREFIX}/resources/{name}/versions.json")) else {
        // Says what is missing, with a suggestion.
        return super::resource_definition(api, name, None)
            .and_then(|_| miss(format!("no ResourceDefinition `{name}`")));
    };
    let rows: Vec<(&str, bool)> = versions["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| Some((v["version"].as_str()?, v["yanked"] == true)))
        .collect();
    let listed = || rows.iter().map(|(v, _)| *v).collect::<Vec<_>>().join(", ");
    let Some(wanted) = wanted.map(str::trim).filter(|w| !w.is_empty()) else {
        let latest = api.json(&format!("{PREFIX}/resources/{name}.json")).unwrap_or_default();
        return latest["metadata"]["version"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| Miss(format!("`{name}` has no version to claim")));
    };
    if semver::Version::parse(wanted).is_ok() {
        return match rows.iter().find(|(v, _)| *v == wanted) {
            Some(_) => Ok(wanted.to_string()),
            None => miss(format!("`{name}` has no version {wanted}; it has {}", listed())),
        };
    }
    let requirement = semver::VersionReq::parse(wanted).or_else(|e| {
        miss(format!(
            "`{wanted}` is neither a version nor a requirement such as `^2.0`: {e}"
        ))
    })?;
    rows.iter()
        .filter(|(_, yanked)| !yanked)
        .filter_map(|(v, _)| Some((semver::Version::parse(v).ok()?, *v)))
        .filter(|(parsed, _)| requirement.matches(parsed))
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, v)| v.to_string())
        .ok_or_else(|| {
            Miss(format!(
                "no version of `{name}` satisfies `{wanted}`; it has {}",
                listed()
            ))
        })
}
