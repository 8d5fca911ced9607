//! An entity's page: the fields every page shows (`e`: identity, owner,
//! links, relations, provenance, last changes), and the part of the kinds
//! with a page of their own — a team's (`t`), a Scaffolder Template's
//! (`tpl`); a service's is `service.rs`, a claim's and an API's come from
//! `emit::claims` and `emit::contracts`.

use serde::Serialize;
use serde_json::{json, Value as Json};

use super::service::service_context;
use super::{json_text, Page};
use crate::emit::view::{object, page_link, url_links, with_head, PageLink};
use crate::model::{Entity, Kind, Link, RelationKind};
use crate::output::page_path;
use crate::parse::Node;
use crate::pipeline::Compilation;
use crate::resolve::{Catalog, Service};
use crate::util::markdown::to_html;
use crate::util::safe_url;

/// An entry of a page's list of related entities: a link to its page, or
/// a ref that names nothing in the catalog (shown as text).
#[derive(Serialize)]
#[serde(untagged)]
pub(super) enum Related<'a> {
    Link(PageLink<'a>),
    Missing { name: &'a str, missing: bool },
}

pub(super) fn related_link(catalog: &Catalog, index: usize) -> Related<'_> {
    Related::Link(page_link(catalog, index))
}

/// The entities `index` has `relation` to, then the refs of that relation
/// that name nothing in the catalog.
pub(super) fn related(catalog: &Catalog, index: usize, relation: RelationKind) -> Vec<Related<'_>> {
    let mut items: Vec<Related> = catalog
        .related(index, relation)
        .map(|t| related_link(catalog, t))
        .collect();
    items.extend(missing(catalog, index, relation));
    items
}

/// The first entity `index` has `relation` to, else the first such ref
/// that names nothing in the catalog.
pub(super) fn related_one(catalog: &Catalog, index: usize, relation: RelationKind) -> Option<Related<'_>> {
    catalog
        .related(index, relation)
        .next()
        .map(|t| related_link(catalog, t))
        .or_else(|| missing(catalog, index, relation).next())
}

/// The refs of `relation` of entity `index` that resolve to nothing.
pub(super) fn missing(
    catalog: &Catalog,
    index: usize,
    relation: RelationKind,
) -> impl Iterator<Item = Related<'_>> + '_ {
    catalog
        .unresolved
        .get(&index)
        .into_iter()
        .flatten()
        .filter(move |u| u.relation == relation)
        .map(|u| Related::Missing {
            name: &u.text,
            missing: true,
        })
}

/// An external link as a page shows it: linked only when it is safe.
pub(super) fn external_links(links: &[Link]) -> Vec<Json> {
    url_links(links)
        .into_iter()
        .map(|link| {
            let safe = safe_url(link.url);
            with_head(link, json!({ "safe": safe }))
        })
        .collect()
}

/// Relation groups shown on every entity page, in this order, under their
/// headings ([`RelationKind::label`]).
const SHOWN_RELATIONS: [RelationKind; 8] = [
    RelationKind::HasPart,
    RelationKind::PartOf,
    RelationKind::OwnerOf,
    RelationKind::ProvidesApi,
    RelationKind::ApiProvidedBy,
    RelationKind::ApiConsumedBy,
    RelationKind::MemberOf,
    RelationKind::DependencyOf,
];

pub(super) fn entity_page(compilation: &Compilation, i: usize, entity: &Entity, service: Option<&Service>) -> Page {
    let catalog = &compilation.catalog;
    let node = entity.locate("/metadata/name");
    let mut provenance = json!({ "file": entity.file, "line": node.start.line });
    if let Some(origin) = &entity.origin {
        provenance["repository"] = json!(origin.url);
        provenance["commit"] = json!(origin.commit);
    }
    let edit_url = match (&entity.origin, &compilation.config.site.edit_url) {
        (None, Some(prefix)) => Some(format!("{prefix}{}", entity.file)),
        _ => None,
    };
    let relations: Vec<Json> = SHOWN_RELATIONS
        .into_iter()
        .filter(|relation| {
            service.is_none() || !matches!(relation, RelationKind::ProvidesApi | RelationKind::DependencyOf)
        })
        .filter_map(|relation| {
            let items = related(catalog, i, relation);
            (!items.is_empty()).then(|| json!({ "label": relation.label(), "items": items }))
        })
        .collect();
    let mut e = json!({
        "kind_label": entity.kind.as_str(),
        "type": entity.spec_type,
        "lifecycle": entity.lifecycle,
        "name": entity.metadata.name,
        "title": entity.metadata.title,
        "ref": entity.ref_string(),
        "description_html": entity.metadata.description.as_deref().map(to_html),
        "tags": entity.metadata.tags,
        "owner": related_one(catalog, i, RelationKind::OwnedBy),
        "system": catalog.related(i, RelationKind::PartOf).find(|&s| catalog.entities[s].kind == Kind::System).map(|s| page_link(catalog, s)),
        "definition": entity.definition,
        // A placeholder naming a URL (never fetched): linked instead.
        "definition_url": entity.unfetched_url("/spec/definition").filter(|url| safe_url(url)),
        "discovered": entity.discovered,
        "edit_url": edit_url,
        "api": crate::output::entity_file(entity),
    });
    // The parts that are `Json` already, moved in rather than through `json!`.
    e["links"] = Json::Array(external_links(&entity.metadata.links));
    e["relations"] = Json::Array(relations);
    e["provenance"] = provenance;
    e["changes"] = crate::emit::feed::entity_context(compilation, entity);
    let title = entity
        .metadata
        .title
        .clone()
        .unwrap_or_else(|| entity.metadata.name.clone());
    let (template, context) = match (service, entity.kind) {
        (Some(service), _) => (
            "service.html",
            object([("e", e), ("s", service_context(catalog, i, entity, service))]),
        ),
        (None, Kind::Group) => (
            "team.html",
            object([("e", e), ("t", team_context(compilation, i, entity))]),
        ),
        (None, Kind::Template) => ("template.html", object([("e", e), ("tpl", template_context(entity))])),
        (None, Kind::ResourceClaim) => (
            "claim.html",
            object([("e", e), ("c", crate::emit::claims::claim_context(catalog, i))]),
        ),
        (None, Kind::Api) => (
            "api.html",
            object([("e", e), ("api", crate::emit::contracts::page_context(catalog, i))]),
        ),
        _ => ("entity.html", object([("e", e)])),
    };
    Page {
        path: page_path(entity),
        template,
        title,
        context,
    }
}

fn team_context(compilation: &Compilation, i: usize, entity: &Entity) -> Json {
    let catalog = &compilation.catalog;
    let fields = &compilation.config.fields;
    let on_call: Vec<String> = fields
        .on_call
        .iter()
        .filter_map(|key| entity.annotation(key))
        .map(str::to_string)
        .collect();
    let mut team = json!({
        "email": entity.profile().email,
        "slack": entity.annotation(&fields.slack),
        "on_call": on_call.join(", "),
        "parent": related_one(catalog, i, RelationKind::ChildOf),
        "members": related(catalog, i, RelationKind::HasMember),
        "services": catalog.owned_services(i).map(|s| page_link(catalog, s.entity)).collect::<Vec<_>>(),
    });
    team["claims"] = Json::Array(crate::emit::claims::team_claims(catalog, i));
    team["scorecards"] = crate::emit::governance::team_context(catalog, i);
    team
}

/// A scalar of a Template's spec as text.
fn text(node: Option<&Node>) -> Option<String> {
    node.and_then(Node::as_scalar_text)
}

/// Page `n` (from 0) of a Template's form: its title and fields.
fn template_form_page(n: usize, page: &Node) -> Json {
    let required: Vec<String> = page
        .get("required")
        .and_then(Node::as_seq)
        .map(|r| r.iter().filter_map(|n| n.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    let properties = page.get("properties").and_then(Node::as_map).unwrap_or_default();
    let fields: Vec<Json> = properties
        .iter()
        .filter_map(|(key, field)| Some(template_field(key.as_str()?, field, &required)))
        .collect();
    json!({
        "title": text(page.get("title")).unwrap_or_else(|| format!("Step {}", n + 1)),
        "fields": fields,
    })
}

/// One field of a Template's form page.
fn template_field(name: &str, field: &Node, required: &[String]) -> Json {
    let choices = field.get("enum").and_then(Node::as_seq).map(|values| {
        values
            .iter()
            .filter_map(Node::as_scalar_text)
            .collect::<Vec<_>>()
            .join(", ")
    });
    json!({
        "name": name,
        "title": text(field.get("title")),
        "type": text(field.get("type")),
        "required": required.iter().any(|r| r == name),
        "description": text(field.get("description")),
        "default": field.get("default").map(|d| json_text(&d.to_json())),
        "choices": choices,
        "widget": text(field.get("ui:field")).or_else(|| text(field.get("ui:widget"))),
    })
}

/// A Scaffolder Template's page: its form's fields (page by page), the
/// steps with the actions they run, and what it outputs.
fn template_context(entity: &Entity) -> Json {
    let spec = entity.node.get("spec");
    let pages: Vec<&Node> = match spec.and_then(|s| s.get("parameters")) {
        Some(node) => match node.as_seq() {
            Some(items) => items.iter().collect(),
            None => vec![node],
        },
        None => Vec::new(),
    };
    let parameters: Vec<Json> = pages
        .iter()
        .enumerate()
        .map(|(n, page)| template_form_page(n, page))
        .collect();
    let steps: Vec<Json> = spec
        .and_then(|s| s.get("steps"))
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .map(|step| {
            json!({
                "id": text(step.get("id")),
                "name": text(step.get("name")),
                "action": text(step.get("action")),
                "condition": text(step.get("if")),
            })
        })
        .collect();
    let mut actions: Vec<String> = steps
        .iter()
        .filter_map(|s| s["action"].as_str().map(str::to_string))
        .collect();
    actions.sort();
    actions.dedup();
    let links: Vec<Json> = spec
        .and_then(|s| s.get("output"))
        .and_then(|o| o.get("links"))
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .map(|link| json!({ "title": text(link.get("title")), "target": text(link.get("url")).or_else(|| text(link.get("entityRef"))) }))
        .collect();
    json!({ "parameters": parameters, "steps": steps, "actions": actions, "outputs": links })
}
