//! A ResourceDefinition version's page (`d`), at
//! `resourcedefinition/{name}/{version}/` and, for the latest version, at
//! `resourcedefinition/{name}/`: its inputs as a request form, outputs,
//! engine configurations, the change against its baseline, every version
//! and the claims on each.

use std::collections::BTreeMap;

use serde_json::{json, Value as Json};

use super::{json_text, Page};
use crate::emit::view::{object, output_rows, with_head, VersionStatus};
use crate::emit::Selection;
use crate::model::{version_text, Entity};
use crate::output::{definition_path, page_path};
use crate::pipeline::Compilation;
use crate::resolve::Catalog;
use crate::util::markdown::to_html;

/// The pages of the definitions `selection` selects, every version's.
pub(super) fn definition_pages(compilation: &Compilation, selection: &Selection) -> Vec<Page> {
    let catalog = &compilation.catalog;
    let mut pages = Vec::new();
    for (name, versions) in catalog.resources.iter().filter(|(name, _)| selection.definition(name)) {
        let latest = catalog.latest_version(versions);
        let claims = crate::emit::claims::definition_claims(catalog, name);
        for &v in versions {
            let entity = &catalog.entities[v];
            let mut context = object([("d", definition_context(catalog, v, versions))]);
            context["d"]["claims"] = claims.clone();
            let title = format!("{} {}", entity.metadata.name, version_text(entity));
            pages.push(Page {
                path: page_path(entity),
                template: "definition.html",
                title: title.clone(),
                context: context.clone(),
            });
            if Some(v) == latest {
                pages.push(Page {
                    path: definition_path(name),
                    template: "definition.html",
                    title,
                    context,
                });
            }
        }
    }
    pages
}

fn definition_context(catalog: &Catalog, v: usize, versions: &[usize]) -> Json {
    let entity = &catalog.entities[v];
    let definition = entity.resource_definition.clone().unwrap_or_default();
    let inputs: Vec<Json> = definition
        .inputs
        .iter()
        .map(|input| {
            let mut rules = Vec::new();
            if let Some(p) = &input.pattern {
                rules.push(format!("pattern {p}"));
            }
            if let Some(min) = input.min {
                rules.push(format!("min {min}"));
            }
            if let Some(max) = input.max {
                rules.push(format!("max {max}"));
            }
            let allowed: Option<Vec<String>> = input.allowed.as_ref().map(|a| a.iter().map(json_text).collect());
            if let Some(allowed) = &allowed {
                rules.push(format!("one of {}", allowed.join(", ")));
            }
            json!({
                "name": input.name,
                "type": input.value_type.as_ref().map_or("string", |t| t.as_str()),
                "required": input.required,
                "default": input.default,
                "default_text": input.default.as_ref().map(json_text),
                "pattern": input.pattern,
                // As the messages write them: `20`, not `20.0`.
                "min": input.min.map(bound),
                "max": input.max.map(bound),
                "enum": allowed,
                "enum_json": input.allowed.as_ref().map(|a| Json::Array(a.clone()).to_string()),
                "validation": rules.join("; "),
                "description": input.description,
            })
        })
        .collect();
    let engines: BTreeMap<&String, String> = definition
        .engine_configs
        .iter()
        .map(|(name, config)| (name, serde_json::to_string_pretty(config).unwrap_or_default()))
        .collect();
    let change = catalog.changes.get(&v).map(|change| {
        json!({
            "baseline": version_text(&catalog.entities[change.baseline]),
            "class": format!("{:?}", change.class).to_lowercase(),
            "findings": change.findings.iter().map(|f| json!({
                "rule": f.rule,
                "class": format!("{:?}", f.class).to_lowercase(),
                "pointer": f.pointer,
                "old": f.old.as_ref().map(json_text),
                "new": f.new.as_ref().map(json_text),
                "witness": f.witness,
            })).collect::<Vec<_>>(),
        })
    });
    let version_rows: Vec<Json> = versions
        .iter()
        .map(|&other| {
            let e = &catalog.entities[other];
            let d = e.resource_definition.as_ref();
            let status = match d {
                Some(d) if d.yanked => "yanked",
                Some(d) if d.deprecated => "deprecated",
                _ => "available",
            };
            json!({
                "version": version_text(e),
                "path": page_path(e),
                "current": other == v,
                "class": catalog.changes.get(&other).map(|c| format!("{:?}", c.class).to_lowercase()),
                "status": status,
            })
        })
        .collect();
    let mut body = json!({
        "name": entity.metadata.name,
        "title": entity.metadata.title,
        "requirements": requirement_choices(entity, &definition),
        "category": definition.category,
        "provider": definition.provider,
        "description_html": entity.metadata.description.as_deref().map(to_html),
        "outputs": output_rows(&definition.outputs),
        "engines": engines,
        "file": entity.file,
        "api": crate::output::definition_version_file(&entity.metadata.name, version_text(entity)),
    });
    // The parts that are `Json` already, moved in rather than through `json!`.
    body["inputs"] = Json::Array(inputs);
    body["change"] = change.unwrap_or(Json::Null);
    body["versions"] = Json::Array(version_rows);
    with_head(VersionStatus::of(entity), body)
}

/// A bound as the request form shows it: what Rust's `{}` writes for an
/// `f64` (`20`, `0.5`), which is what a claim's diagnostic says.
fn bound(value: f64) -> String {
    value.to_string()
}

/// The `spec.version` choices of a version's request form: exactly this
/// version (unless it is yanked) and its newest compatible version (`^2`;
/// not for a pre-release, which no caret requirement picks).
fn requirement_choices(entity: &Entity, definition: &crate::model::ResourceDefinition) -> Vec<Json> {
    let Some(version) = crate::resolve::version_of(entity) else {
        return Vec::new();
    };
    let mut choices = Vec::new();
    if !definition.yanked || !version.pre.is_empty() {
        choices.push(json!({ "value": version.to_string(), "label": format!("exactly {version}") }));
    }
    if version.pre.is_empty() {
        let caret = crate::resolve::claims::caret(&version);
        let line = if version.major == 0 {
            format!("0.{}.x", version.minor)
        } else {
            format!("{}.x", version.major)
        };
        choices.push(json!({ "value": caret, "label": format!("{caret} — the newest {line}") }));
    }
    choices
}
