//! The static JSON API under `api/v1/`, mirroring the seeds' REST endpoints
//! so clients written for a catalog server can read a static host instead.
//! Every file is a pure function of the catalog; paths use the lowercase
//! namespace and name (identities are case-insensitive, URLs should not be).
//! Lists that can grow past [`PAGE_SIZE`] rows are paginated as
//! `{"data":[…],"pagination":{"has_more","next","total_count"}}`, with page
//! N > 1 at `api/v1/pages/{list}/N.json` (not `services/page/N.json`, which
//! a service named `N` in namespace `page` would own). Every `url` and
//! `next` is relative to the output root, so it works under any base URL.

pub mod aliases;

use std::sync::Arc;

use rayon::prelude::*;
use serde::Serialize;
use serde_json::{json, Value as Json};

use super::paging::{self, PagePaths};
use super::view::{
    entity_link, entity_links, object, to_json, url_links, with_head, Closure, EntityLink, TypedIdentity, VersionStatus,
};
use super::{BuildInfo, Selection, Sink};
use crate::config::{Config, FieldMap};
use crate::model::{version_text, Entity, Kind, Link, RelationKind};
use crate::output::{path_of, ref_of, safe_relative_path, url_of, API};
use crate::resolve::graph::Reach;
use crate::resolve::reconcile::Discovery;
use crate::resolve::{Catalog, Service};

/// Rows per page of a paginated list.
pub const PAGE_SIZE: usize = 1000;

/// The files of the JSON API that `selection` selects (all of them for
/// [`Selection::all`]).
pub fn api_files(catalog: &Catalog, config: &Config, info: &BuildInfo, selection: &Selection, sink: &dyn Sink) {
    let put_bytes = |path: String, bytes: Vec<u8>| {
        debug_assert!(safe_relative_path(&path), "unsafe output path {path}");
        if safe_relative_path(&path) {
            sink.put(path, bytes);
        }
    };
    let put = |path: String, value: Json| put_bytes(path, to_bytes(&value));
    put(format!("{API}/status.json"), status(catalog, config, info));
    put(format!("{API}/openapi.json"), super::openapi::document(config));
    put(format!("{API}/lookup/aws.json"), aws_lookup(catalog));
    put(format!("{API}/graph.json"), dependency_graph(catalog));
    for (path, table) in aliases::files(catalog) {
        put(path, table);
    }

    let services_chunk =
        |chunk: &[Arc<Service>]| selection.chunk(Some(Kind::Component), chunk.iter().map(|s| s.entity));
    let service_rows = |s: &Arc<Service>| service_row(catalog, s);
    for (path, page) in paginate("services", &catalog.services, PAGE_SIZE, services_chunk, service_rows) {
        put(path, page);
    }
    // The bulk of the files, serialized on the worker threads and handed
    // to the sink at once: holding every `Json` tree (or every file) at
    // once would cost several times the bytes.
    catalog
        .services
        .par_iter()
        .filter(|s| selection.entity(s.entity))
        .for_each(|s| {
            for (path, value) in service_files(catalog, s) {
                put(path, value);
            }
        });

    let teams: Vec<usize> = indices_of(catalog, Kind::Group);
    let team_rows = |&t: &usize| team_row(catalog, t);
    let teams_chunk = |chunk: &[usize]| selection.chunk(Some(Kind::Group), chunk.iter().copied());
    for (path, page) in paginate("teams", &teams, PAGE_SIZE, teams_chunk, team_rows) {
        put(path, page);
    }
    for &team in teams.iter().filter(|&&t| selection.entity(t)) {
        let base = format!("{API}/teams/{}", path_of(&catalog.entities[team]));
        put(format!("{base}.json"), team_detail(catalog, &config.fields, team));
        let owned: Vec<Json> = catalog.owned_services(team).map(|s| service_row(catalog, s)).collect();
        put(format!("{base}/services.json"), object([("data", Json::Array(owned))]));
    }

    let names: Vec<&String> = catalog.resources.keys().collect();
    let definitions =
        |names: &[&String]| names.iter().any(|n| selection.definition(n)) || selection.chunk(None, std::iter::empty());
    let resource_rows = |name: &&String| resource_row(catalog, name);
    for (path, page) in paginate("resources", &names, PAGE_SIZE, definitions, resource_rows) {
        put(path, page);
    }
    for (name, versions) in catalog.resources.iter().filter(|(name, _)| selection.definition(name)) {
        let base = format!("{API}/resources/{}", name.to_ascii_lowercase());
        if let Some(latest) = catalog.latest_version(versions) {
            put(format!("{base}.json"), version_document(&catalog.entities[latest]));
        }
        let list: Vec<Json> = versions.iter().map(|&v| version_row(catalog, v, name)).collect();
        put(
            format!("{base}/versions.json"),
            object([("name", json!(name)), ("data", Json::Array(list))]),
        );
        for &v in versions {
            let entity = &catalog.entities[v];
            put(
                format!("{base}/{}.json", version_text(entity)),
                version_document(entity),
            );
        }
    }

    for (path, bytes) in super::claims::api_files(catalog, selection) {
        sink.put(path, bytes);
    }
    super::contracts::api_files(catalog, selection, sink);
    // Every entity but a ResourceDefinition version has a document, made
    // once for its file here and Backstage's (which lists the same ones).
    let entity_file = |i: usize, document: &Json| {
        if selection.entity(i) {
            put_bytes(crate::output::entity_file(&catalog.entities[i]), to_bytes(document));
        }
    };
    super::backstage::files(catalog, selection, sink, &entity_file);
}

/// Compact JSON with a final newline: at 10,000 services pretty-printing
/// doubled the bytes written for no reader's benefit (`jq .` formats).
fn to_bytes(value: &Json) -> Vec<u8> {
    let mut bytes = serde_json::to_vec(value).expect("JSON values serialize");
    bytes.push(b'\n');
    bytes
}

fn indices_of(catalog: &Catalog, kind: Kind) -> Vec<usize> {
    catalog
        .entities
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind == kind)
        .map(|(i, _)| i)
        .collect()
}

/// `extra` with the identity fields every entity document starts with.
fn with_identity(entity: &Entity, extra: Json) -> Json {
    with_head(TypedIdentity::of(entity), extra)
}

/// Splits `items` into pages of rows: page 1 at `api/v1/{list}.json`,
/// page N at `api/v1/pages/{list}/N.json`. Only the pages whose items
/// `selected` accepts are made.
pub fn paginate<T>(
    list: &str,
    items: &[T],
    page_size: usize,
    selected: impl Fn(&[T]) -> bool,
    row: impl Fn(&T) -> Json,
) -> Vec<(String, Json)> {
    let paths = PagePaths::new(format!("{API}/{list}.json"), format!("{API}/pages/{list}/"), ".json");
    paging::pages(items, page_size, &paths, selected)
        .map(|page| {
            (
                page.path(),
                object([
                    ("data", Json::Array(page.rows_by(&row))),
                    ("pagination", to_json(page.pagination())),
                ]),
            )
        })
        .collect()
}

fn status(catalog: &Catalog, config: &Config, info: &BuildInfo) -> Json {
    let mut counts = serde_json::Map::new();
    for entity in &catalog.entities {
        let slot = counts.entry(entity.kind.slug()).or_insert(json!(0));
        *slot = json!(slot.as_u64().unwrap_or(0) + 1);
    }
    json!({
        "catalog": config.site.title,
        "base_url": config.site.base_url,
        "cairn_version": info.cairn_version,
        "counts": counts,
        "services": catalog.services.len(),
        "teams": catalog.entities.iter().filter(|e| e.kind == Kind::Group).count(),
        "resources": catalog.resources.len(),
        "resource_versions": catalog.resources.values().map(Vec::len).sum::<usize>(),
        "diagnostics": { "errors": info.errors, "warnings": info.warnings },
        "sources": info.sources,
        "health": info.health,
    })
}

fn owner_json(catalog: &Catalog, service: &Service) -> Json {
    let Some(owner) = service.owner else {
        // A declared owner that is not in the catalog (`unresolved-ref`
        // lowered in `policies:`): its ref, marked unresolved.
        let written = catalog
            .unresolved
            .get(&service.entity)
            .into_iter()
            .flatten()
            .find(|u| u.relation == RelationKind::OwnedBy);
        return written.map_or(
            Json::Null,
            |u| json!({ "ref": u.target, "name": u.text, "resolved": false }),
        );
    };
    let (confidence, source) = catalog.owner_confidence(service);
    with_head(
        entity_link(catalog, owner),
        json!({ "confidence": confidence, "source": source }),
    )
}

/// What discovery knows about a service, for its detail file.
fn discovery_json(catalog: &Catalog, discovery: &Discovery) -> Json {
    let candidates: Vec<Json> = discovery
        .ownership
        .candidates
        .iter()
        .map(|c| {
            let shares: serde_json::Map<String, Json> =
                c.shares.iter().map(|(s, v)| (s.to_string(), json!(v))).collect();
            json!({
                "ref": format!("group:{}/{}", c.group.namespace, c.group.name),
                "url": catalog.index.get(&c.group).map(|&g| url_of(&catalog.entities[g])),
                "score": c.score,
                "shares": shares,
            })
        })
        .collect();
    json!({
        "discovered": discovery.discovered,
        "sources": discovery.sources.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "existence": discovery.existence,
        "repo": discovery.repo.as_ref().map(|r| json!({ "slug": r.slug, "path": r.path, "rule": r.rule, "confidence": r.confidence })),
        "ownership": {
            "status": discovery.ownership.status.as_str(),
            "confidence": discovery.ownership.confidence(),
            "signals": discovery.ownership.signals,
            "candidates": candidates,
        },
        "aws": discovery.arns,
        "languages": discovery.languages,
        "runtimes": discovery.runtimes,
        "stale": discovery.stale,
        "missing_from_snapshots": discovery.missing_from,
        "files": discovery.files,
    })
}

/// `lookup/aws.json`: every discovered ARN → the service it belongs to,
/// for alert routing.
fn aws_lookup(catalog: &Catalog) -> Json {
    let map: serde_json::Map<String, Json> = catalog
        .aws_lookup
        .iter()
        .map(|(arn, &entity)| (arn.clone(), to_json(entity_link(catalog, entity))))
        .collect();
    json!({ "data": map })
}

fn service_row(catalog: &Catalog, service: &Service) -> Json {
    let entity = &catalog.entities[service.entity];
    with_identity(
        entity,
        json!({
            "lifecycle": entity.lifecycle,
            "owner": service.owner.map(|o| ref_of(&catalog.entities[o])),
            "tier": service.tier,
            "system": service.system.map(|s| ref_of(&catalog.entities[s])),
            "tags": entity.metadata.tags,
            "repo": service.repo,
            "url": url_of(entity),
        }),
    )
}

/// A link of `metadata.links` as a service's document shows it.
#[derive(Serialize)]
struct LinkRow<'a> {
    url: &'a str,
    title: Option<&'a str>,
    #[serde(rename = "type")]
    kind: Option<&'a str>,
}

impl<'a> LinkRow<'a> {
    fn of(link: &'a Link) -> LinkRow<'a> {
        LinkRow {
            url: &link.url,
            title: link.title.as_deref(),
            kind: link.kind.as_deref(),
        }
    }
}

/// A service's on-call entry as the API shows it.
#[derive(Serialize)]
struct OnCallRow<'a> {
    annotation: &'a str,
    value: &'a str,
    inherited_from_owner: bool,
}

fn on_call_rows(service: &Service) -> Vec<OnCallRow<'_>> {
    service
        .on_call
        .iter()
        .map(|o| OnCallRow {
            annotation: &o.annotation,
            value: &o.value,
            inherited_from_owner: o.from_owner,
        })
        .collect()
}

/// `services/{ns}/{name}.json`, `…/dependencies.json`, `…/routing.json`.
fn service_files(catalog: &Catalog, service: &Service) -> Vec<(String, Json)> {
    let i = service.entity;
    let entity = &catalog.entities[i];
    let base = format!("{API}/services/{}", path_of(entity));
    let domain = service.system.and_then(|s| {
        catalog
            .related(s, RelationKind::PartOf)
            .find(|&d| catalog.entities[d].kind == Kind::Domain)
    });
    let node = entity.locate("/metadata/name");
    let sources = crate::resolve::queries::field_sources(entity, service);
    let mut detail = with_identity(
        entity,
        json!({
            "lifecycle": entity.lifecycle,
            "tier": service.tier,
            "repo": service.repo,
            "on_call": on_call_rows(service),
            "slack": service.slack,
            "runbooks": url_links(&service.runbooks),
            "links": entity.metadata.links.iter().map(LinkRow::of).collect::<Vec<_>>(),
            "tags": entity.metadata.tags,
            "tech": service.tech,
            "system": service.system.map(|s| entity_link(catalog, s)),
            "domain": domain.map(|d| entity_link(catalog, d)),
            "apis": { "provides": entity_links(catalog, i, RelationKind::ProvidesApi), "consumes": entity_links(catalog, i, RelationKind::ConsumesApi) },
            "dependencies": {
                "upstream": entity_links(catalog, i, RelationKind::DependsOn),
                "downstream": entity_links(catalog, i, RelationKind::DependencyOf),
                "transitive": {
                    "upstream": Closure::of(catalog.dependencies().upstream[i]),
                    "downstream": Closure::of(catalog.dependencies().downstream[i]),
                },
            },
            "sources": { "declared": sources.0, "discovered": sources.1 },
            "confidence": service.owner.map(|_| catalog.owner_confidence(service).0),
        }),
    );
    // The parts that are `Json` already, moved in rather than through `json!`.
    detail["owner"] = owner_json(catalog, service);
    detail["discovery"] = service.discovery.as_ref().map(|d| discovery_json(catalog, d)).into();
    detail["scorecards"] = super::governance::service_json(catalog, i);
    detail["provenance"] = provenance(entity, node.start.line);
    let dependencies = object([
        ("ref", Json::String(ref_of(entity))),
        ("graph", Json::String(format!("{API}/graph.json"))),
        (
            "upstream",
            dependency_side(catalog, i, RelationKind::DependsOn, catalog.dependencies().upstream[i]),
        ),
        (
            "downstream",
            dependency_side(
                catalog,
                i,
                RelationKind::DependencyOf,
                catalog.dependencies().downstream[i],
            ),
        ),
    ]);
    let owner = service.owner.filter(|&o| catalog.entities[o].kind == Kind::Group);
    let escalation: Vec<EntityLink> = owner
        .map(|o| {
            catalog
                .transitive(o, RelationKind::ChildOf)
                .into_iter()
                .map(|(g, _)| entity_link(catalog, g))
                .collect()
        })
        .unwrap_or_default();
    let routing = json!({
        "ref": ref_of(entity),
        "tier": service.tier,
        "owner": owner.map(|o| {
            let group = &catalog.entities[o];
            RoutingOwner {
                reference: ref_of(group),
                name: &group.metadata.name,
                display_name: group.profile().display_name.as_deref(),
                email: group.profile().email.as_deref(),
            }
        }),
        "slack": service.slack,
        "on_call": on_call_rows(service),
        "escalation": escalation,
    });
    vec![
        (format!("{base}.json"), detail),
        (format!("{base}/dependencies.json"), dependencies),
        (format!("{base}/routing.json"), routing),
    ]
}

/// The owning team as `routing.json` shows it.
#[derive(Serialize)]
struct RoutingOwner<'a> {
    #[serde(rename = "ref")]
    reference: String,
    name: &'a str,
    display_name: Option<&'a str>,
    email: Option<&'a str>,
}

/// The entities listed in a dependency file's `nearest`: the first levels
/// of the closure, never all of it (that is what makes the output linear;
/// `graph.json` holds the rest).
pub const NEAREST: usize = 50;

/// One direction of `dependencies.json`: the direct list, the closure's
/// size and depth, and its nearest [`NEAREST`] entities with their
/// distance.
fn dependency_side(catalog: &Catalog, i: usize, relation: RelationKind, reach: Reach) -> Json {
    let nearest: Vec<Near> = crate::resolve::graph::nearest(catalog, i, relation, NEAREST)
        .into_iter()
        .map(|(t, depth)| Near {
            reference: ref_of(&catalog.entities[t]),
            depth,
        })
        .collect();
    let complete = nearest.len() == reach.count;
    object([
        ("direct", to_json(entity_links(catalog, i, relation))),
        (
            "transitive",
            with_head(Closure::of(reach), json!({ "complete": complete, "nearest": nearest })),
        ),
    ])
}

/// An entity of a closure's `nearest` list, and how many relations away.
#[derive(Serialize)]
struct Near {
    #[serde(rename = "ref")]
    reference: String,
    depth: usize,
}

/// `api/v1/graph.json`: the dependency graph itself, from which a client
/// computes any closure — every Component and Resource once (`nodes`,
/// refs in catalog order) and, at the same position in `dependsOn`, the
/// positions of the nodes it depends on. Linear in entities and relations.
fn dependency_graph(catalog: &Catalog) -> Json {
    let nodes: Vec<usize> = (0..catalog.entities.len())
        .filter(|&i| matches!(catalog.entities[i].kind, Kind::Component | Kind::Resource))
        .collect();
    let mut position = vec![usize::MAX; catalog.entities.len()];
    for (p, &i) in nodes.iter().enumerate() {
        position[i] = p;
    }
    let depends_on: Vec<Vec<usize>> = nodes
        .iter()
        .map(|&i| {
            catalog
                .related(i, RelationKind::DependsOn)
                .map(|t| position[t])
                .filter(|&p| p != usize::MAX)
                .collect()
        })
        .collect();
    json!({
        "nodes": nodes.iter().map(|&i| ref_of(&catalog.entities[i])).collect::<Vec<_>>(),
        "dependsOn": depends_on,
    })
}

fn team_row(catalog: &Catalog, team: usize) -> Json {
    let entity = &catalog.entities[team];
    json!({
        "ref": ref_of(entity),
        "namespace": entity.metadata.namespace,
        "name": entity.metadata.name,
        "display_name": entity.profile().display_name,
        "type": entity.spec_type,
        "parent": catalog.related(team, RelationKind::ChildOf).next().map(|p| ref_of(&catalog.entities[p])),
        "services": catalog.owned_services(team).count(),
        "members": catalog.related(team, RelationKind::HasMember).count(),
        "url": url_of(entity),
    })
}

fn team_detail(catalog: &Catalog, fields: &FieldMap, team: usize) -> Json {
    let entity = &catalog.entities[team];
    let on_call: Vec<Json> = fields
        .on_call
        .iter()
        .filter_map(|key| Some(json!({ "annotation": key, "value": entity.annotation(key)? })))
        .collect();
    with_identity(
        entity,
        json!({
            "profile": { "display_name": entity.profile().display_name, "email": entity.profile().email, "picture": entity.profile().picture },
            "parent": catalog.related(team, RelationKind::ChildOf).next().map(|p| entity_link(catalog, p)),
            "children": entity_links(catalog, team, RelationKind::ParentOf),
            "members": entity_links(catalog, team, RelationKind::HasMember),
            "slack": entity.annotation(&fields.slack),
            "on_call": on_call,
            "services": catalog.owned_services(team).map(|s| entity_link(catalog, s.entity)).collect::<Vec<_>>(),
        }),
    )
}

fn resource_row(catalog: &Catalog, name: &str) -> Json {
    let versions = &catalog.resources[name];
    let latest = catalog.latest_version(versions).map(|v| &*catalog.entities[v]);
    let rd = latest.and_then(|e| e.resource_definition.as_ref());
    json!({
        "name": name,
        "latest": latest.map(version_text),
        "versions": versions.len(),
        "provider": rd.and_then(|r| r.provider.clone()),
        "category": rd.and_then(|r| r.category.clone()),
        "resource_type": rd.and_then(|r| r.resource_type.clone()),
        "description": latest.and_then(|e| e.metadata.description.clone()),
        "url": format!("{API}/resources/{}.json", name.to_ascii_lowercase()),
    })
}

fn version_row(catalog: &Catalog, index: usize, name: &str) -> Json {
    let entity = &catalog.entities[index];
    let version = version_text(entity);
    let change = catalog.changes.get(&index);
    with_head(
        VersionStatus::of(entity),
        json!({
            "prerelease": semver::Version::parse(version).is_ok_and(|v| !v.pre.is_empty()),
            "baseline": change.map(|c| version_text(&catalog.entities[c.baseline])),
            "change": change.map(|c| c.class),
            "findings": change.map(|c| c.findings.as_slice()).unwrap_or_default(),
            "url": crate::output::definition_version_file(name, version),
        }),
    )
}

fn version_document(entity: &Entity) -> Json {
    let mut document = entity.to_json();
    let node = entity.locate("/metadata/version");
    document["provenance"] = provenance(entity, node.start.line);
    document
}

/// Where an entity was defined: the file and line, and for a `git:` source
/// the repository, commit and path in it (for "edit this file" links).
fn provenance(entity: &Entity, line: u32) -> Json {
    let mut value = json!({ "file": entity.file, "line": line });
    if let Some(origin) = &entity.origin {
        value["repository"] = json!(origin.url);
        value["commit"] = json!(origin.commit);
        value["path"] = json!(origin.path);
    }
    value
}

/// The entity as written, plus Backstage-shaped `relations`, sorted by type
/// and target ref.
pub(super) fn entity_document(catalog: &Catalog, index: usize) -> Json {
    let entity = &catalog.entities[index];
    let mut document = entity.to_json();
    // (type, target, resolved): refs that name nothing in the catalog are
    // listed too, marked `"resolved": false`.
    let mut relations: Vec<(RelationKind, String, bool)> = catalog.relations[index]
        .iter()
        .map(|r| (r.kind, ref_of(&catalog.entities[r.target]), true))
        .collect();
    for unresolved in catalog.unresolved.get(&index).into_iter().flatten() {
        relations.push((unresolved.relation, unresolved.target.clone(), false));
    }
    relations.sort();
    relations.dedup();
    let relations: Vec<Json> = relations
        .into_iter()
        .map(|(kind, target, resolved)| match resolved {
            true => json!({ "type": kind, "targetRef": target }),
            false => json!({ "type": kind, "targetRef": target, "resolved": false }),
        })
        .collect();
    if let Json::Object(map) = &mut document {
        map.insert("relations".into(), Json::Array(relations));
    }
    document
}

#[cfg(test)]
mod tests;
