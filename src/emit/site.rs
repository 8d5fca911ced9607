//! The portal: HTML pages rendered with minijinja from the compilation's
//! templates (`load::templates`: the built-in ones, each replaced by the
//! catalog's own file of the same name). Autoescape is on
//! for every template; catalog Markdown goes through [`super::markdown`].
//!
//! Every page is `…/index.html` and every link is relative to the page
//! (`root` is `../` once per directory level) and names `index.html`
//! explicitly, so the site works from any sub-path of a plain file host —
//! S3 behind CloudFront, GitHub Pages, nginx, `file://` — with no rewrite
//! rules. No page lists the whole catalog except the paginated lists, so a
//! page's size does not grow with the catalog.

use std::collections::{BTreeMap, HashMap};

use anyhow::Context;
use minijinja::{AutoEscape, Environment, Value};
use rayon::prelude::*;
use serde::Serialize;
use serde_json::{json, Value as Json};

use super::paging::{self, PagePaths};
use super::view::{output_rows, page_link, to_json, url_links, with_head, Closure, PageLink, VersionStatus};
use super::Selection;
use crate::diagnostics::Severity;
use crate::load::history::Change;
use crate::load::templates::Templates;
use crate::model::{version_text, Entity, Kind, Link, RelationKind};
use crate::output::{definition_path, page_path};
use crate::parse::Node;
use crate::pipeline::Compilation;
use crate::resolve::reconcile::{Discovery, OwnershipStatus};
use crate::resolve::{Catalog, Service};
use crate::util::markdown::to_html;
use crate::util::safe_url;

/// Rows per page of a list page.
pub const LIST_PAGE_SIZE: usize = 500;

/// The hashed names of the assets, relative to the site root.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AssetNames {
    pub css: String,
    pub search: String,
    pub app: String,
}

/// The template environment of `templates` (`load::templates`), with
/// HTML autoescape.
pub fn environment(templates: &Templates) -> anyhow::Result<Environment<'static>> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    for (name, source) in templates.texts() {
        env.add_template_owned(name.clone(), source.to_string())
            .with_context(|| format!("template `{name}` does not parse"))?;
    }
    Ok(env)
}

/// One page to render: output path, template, page context.
pub(super) struct Page {
    pub(super) path: String,
    pub(super) template: &'static str,
    pub(super) title: String,
    pub(super) context: Json,
}

/// Renders the pages of the portal `selection` selects into `(path, bytes)`.
///
/// `history` (catalog path → last commit, [`crate::load::history`]) feeds
/// the home page's "recently changed".
pub fn pages(
    compilation: &Compilation,
    assets: &AssetNames,
    history: &HashMap<String, Change>,
    selection: &Selection,
    sink: &dyn super::Sink,
) -> anyhow::Result<()> {
    let catalog = &compilation.catalog;
    let env = environment(&compilation.templates)?;
    let services: HashMap<usize, &Service> = catalog.services.iter().map(|s| (s.entity, &**s)).collect();
    let common = json!({
        "site": { "title": compilation.config.site.title },
        "assets": assets,
        "cairn_version": env!("CARGO_PKG_VERSION"),
    });
    let render = |page: Page| -> anyhow::Result<(String, Vec<u8>)> {
        let mut context = page.context;
        context["root"] = json!("../".repeat(page.path.matches('/').count()));
        context["page_title"] = json!(page.title);
        for (key, value) in common.as_object().expect("an object") {
            context[key] = value.clone();
        }
        let html = env
            .get_template(page.template)
            .and_then(|t| t.render(Value::from_serialize(&context)))
            .with_context(|| format!("cannot render `{}` with template `{}`", page.path, page.template))?;
        Ok((page.path, html.into_bytes()))
    };
    // Each entity page's context is built and rendered in one task and
    // dropped at once: holding all 16,000 contexts of a 10k catalog before
    // rendering doubled peak memory, and the kernel zeroing that fresh
    // memory was a quarter of the build.
    // Each page goes to the sink as soon as it is rendered.
    catalog
        .entities
        .par_iter()
        .enumerate()
        .filter(|(i, e)| !matches!(e.kind, Kind::Location | Kind::ResourceDefinition) && selection.entity(*i))
        .try_for_each(|(i, entity)| {
            let (path, html) = render(entity_page(compilation, i, entity, services.get(&i).copied()))?;
            sink.put(path, html);
            anyhow::Ok(())
        })?;
    let mut pages = definition_pages(compilation, selection);
    pages.extend(list_pages(catalog, selection));
    pages.push(dashboard_page(compilation));
    pages.push(Page {
        path: "graph/index.html".into(),
        template: "graph.html",
        title: "Dependency graph".into(),
        context: json!({}),
    });
    pages.push(home_page(compilation, history));
    pages.extend(super::governance::pages(compilation));
    pages.into_par_iter().try_for_each(|page| {
        let (path, html) = render(page)?;
        sink.put(path, html);
        anyhow::Ok(())
    })
}

/// An entry of a page's list of related entities: a link to its page, or
/// a ref that names nothing in the catalog (shown as text).
#[derive(Serialize)]
#[serde(untagged)]
enum Related<'a> {
    Link(PageLink<'a>),
    Missing { name: &'a str, missing: bool },
}

fn related_link(catalog: &Catalog, index: usize) -> Related<'_> {
    Related::Link(page_link(catalog, index))
}

/// The entities `index` has `relation` to, then the refs of that relation
/// that name nothing in the catalog.
fn related(catalog: &Catalog, index: usize, relation: RelationKind) -> Vec<Related<'_>> {
    let mut items: Vec<Related> = catalog
        .related(index, relation)
        .map(|t| related_link(catalog, t))
        .collect();
    items.extend(missing(catalog, index, relation));
    items
}

/// The first entity `index` has `relation` to, else the first such ref
/// that names nothing in the catalog.
fn related_one(catalog: &Catalog, index: usize, relation: RelationKind) -> Option<Related<'_>> {
    catalog
        .related(index, relation)
        .next()
        .map(|t| related_link(catalog, t))
        .or_else(|| missing(catalog, index, relation).next())
}

/// The refs of `relation` of entity `index` that resolve to nothing.
fn missing(catalog: &Catalog, index: usize, relation: RelationKind) -> impl Iterator<Item = Related<'_>> + '_ {
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
fn external_links(links: &[Link]) -> Vec<Json> {
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

fn entity_page(compilation: &Compilation, i: usize, entity: &Entity, service: Option<&Service>) -> Page {
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
    let e = json!({
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
        "links": external_links(&entity.metadata.links),
        "relations": relations,
        "provenance": provenance,
        "discovered": entity.discovered,
        "edit_url": edit_url,
        "api": crate::output::entity_file(entity),
        "changes": super::feed::entity_context(compilation, entity),
    });
    let title = entity
        .metadata
        .title
        .clone()
        .unwrap_or_else(|| entity.metadata.name.clone());
    let path = page_path(entity);
    if let Some(service) = service {
        return Page {
            path,
            template: "service.html",
            title,
            context: json!({ "e": e, "s": service_context(catalog, i, entity, service) }),
        };
    }
    if entity.kind == Kind::Group {
        return Page {
            path,
            template: "team.html",
            title,
            context: json!({ "e": e, "t": team_context(compilation, i, entity) }),
        };
    }
    if entity.kind == Kind::Template {
        return Page {
            path,
            template: "template.html",
            title,
            context: json!({ "e": e, "tpl": template_context(entity) }),
        };
    }
    if entity.kind == Kind::ResourceClaim {
        return Page {
            path,
            template: "claim.html",
            title,
            context: json!({ "e": e, "c": super::claims::claim_context(catalog, i) }),
        };
    }
    if entity.kind == Kind::Api {
        return Page {
            path,
            template: "api.html",
            title,
            context: json!({ "e": e, "api": super::contracts::page_context(catalog, i) }),
        };
    }
    Page {
        path,
        template: "entity.html",
        title,
        context: json!({ "e": e }),
    }
}

fn service_context(catalog: &Catalog, i: usize, entity: &Entity, service: &Service) -> Json {
    let repo_url = service
        .repo
        .as_deref()
        .filter(|r| r.split('/').count() == 2 && !r.contains(':'))
        .map(|r| format!("https://github.com/{r}"));
    let (declared, discovered) = crate::resolve::queries::field_sources(entity, service);
    let (confidence, owner_source) = catalog.owner_confidence(service);
    json!({
        "owner": service.owner.map(|o| related_link(catalog, o)).or_else(|| missing(catalog, i, RelationKind::OwnedBy).next()),
        "owner_source": owner_source,
        "confidence": service.owner.map(|_| format!("{confidence:.2}")),
        "discovery": service.discovery.as_ref().map(|d| discovery_context(catalog, d)),
        "tier": service.tier,
        "on_call": service.on_call.iter().map(|o| json!({ "provider": o.annotation, "schedule": o.value })).collect::<Vec<_>>(),
        "slack": service.slack,
        "repo": service.repo,
        "repo_url": repo_url,
        "system": service.system.map(|s| page_link(catalog, s)),
        "declared": declared,
        "discovered": discovered,
        "runbooks": external_links(&service.runbooks),
        "provides": related(catalog, i, RelationKind::ProvidesApi),
        "consumes": related(catalog, i, RelationKind::ConsumesApi),
        "upstream": related(catalog, i, RelationKind::DependsOn),
        "downstream": related(catalog, i, RelationKind::DependencyOf),
        "reach": {
            "upstream": Closure::of(catalog.dependencies.upstream[i]),
            "downstream": Closure::of(catalog.dependencies.downstream[i]),
        },
        // The next level of each closure (bounded like the API's nearest);
        // the whole closure is on the graph page.
        "upstream_next": second_level(catalog, i, RelationKind::DependsOn),
        "downstream_next": second_level(catalog, i, RelationKind::DependencyOf),
        "graph": neighbourhood(catalog, i),
        "scorecards": super::governance::service_context(catalog, i),
    })
}

/// The entities two `relation` steps away (not one), nearest first, at
/// most [`super::api::NEAREST`] with the first level.
fn second_level(catalog: &Catalog, i: usize, relation: RelationKind) -> Vec<PageLink<'_>> {
    crate::resolve::graph::nearest(catalog, i, relation, super::api::NEAREST)
        .into_iter()
        .filter(|&(_, depth)| depth == 2)
        .map(|(t, _)| page_link(catalog, t))
        .collect()
}

/// What discovery knows, for the service page's "Discovery" section.
fn discovery_context(catalog: &Catalog, discovery: &Discovery) -> Json {
    let candidates: Vec<Json> = discovery
        .ownership
        .candidates
        .iter()
        .map(|c| {
            let signals: Vec<String> = c
                .shares
                .iter()
                .map(|(signal, share)| format!("{signal} {:.0}%", share * 100.0))
                .collect();
            json!({
                "group": catalog.index.get(&c.group).map(|&g| page_link(catalog, g)),
                "name": c.group.name,
                "score": format!("{:.2}", c.score),
                "signals": signals.join(", "),
            })
        })
        .collect();
    json!({
        "discovered": discovery.discovered,
        "sources": discovery.sources.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "),
        "existence": format!("{:.2}", discovery.existence),
        "repo": discovery.repo.as_ref().map(|r| json!({
            "slug": r.slug, "path": r.path, "rule": r.rule, "confidence": format!("{:.2}", r.confidence),
        })),
        "status": discovery.ownership.status.as_str(),
        "candidates": candidates,
        "aws": discovery.arns.iter().take(20).collect::<Vec<_>>(),
        "aws_more": discovery.arns.len().saturating_sub(20),
        "languages": discovery.languages.join(", "),
        "runtimes": discovery.runtimes.join(", "),
        "stale": discovery.stale,
        "missing_from": discovery.missing_from,
    })
}

/// How many neighbours a side of the dependency graph shows; the lists
/// below it have them all.
const GRAPH_SIDE: usize = 8;

/// The geometry of a service's dependency neighbourhood as an SVG: what it
/// depends on to the left, the service in the middle, what depends on it
/// to the right, each side capped at [`GRAPH_SIDE`] so the page stays the
/// same size however large the catalog.
fn neighbourhood(catalog: &Catalog, i: usize) -> Json {
    const ROW: usize = 40;
    const WIDTH: usize = 760;
    const BOX: usize = 220;
    let upstream: Vec<usize> = catalog.related(i, RelationKind::DependsOn).collect();
    let downstream: Vec<usize> = catalog.related(i, RelationKind::DependencyOf).collect();
    let rows = upstream.len().max(downstream.len()).clamp(1, GRAPH_SIDE + 1);
    let height = rows * ROW + 8;
    let middle = height / 2;
    let label = |e: usize| -> String {
        let entity = &catalog.entities[e];
        let text = entity.metadata.title.as_deref().unwrap_or(&entity.metadata.name);
        if text.chars().count() > 28 {
            format!("{}…", text.chars().take(27).collect::<String>())
        } else {
            text.to_string()
        }
    };
    let side = |nodes: &[usize], x: usize, edge_x: usize, center_x: usize| -> Json {
        let shown = nodes.len().min(GRAPH_SIDE);
        let top = middle - (shown.max(1) * ROW) / 2 + 4;
        let items: Vec<Json> = nodes
            .iter()
            .take(shown)
            .enumerate()
            .map(|(row, &e)| {
                let y = top + row * ROW;
                let mid_x = (edge_x + center_x) / 2;
                json!({
                    "x": x, "y": y, "label": label(e), "path": page_path(&catalog.entities[e]),
                    "edge": format!("M{edge_x} {} C{mid_x} {} {mid_x} {middle} {center_x} {middle}", y + 14, y + 14),
                })
            })
            .collect();
        json!({ "items": items, "more": nodes.len() - shown, "more_y": top + shown * ROW + 14 })
    };
    let center_x = (WIDTH - BOX) / 2;
    json!({
        "width": WIDTH,
        "height": height,
        "box": BOX,
        "center": { "x": center_x, "y": middle - 14, "label": label(i) },
        "upstream": side(&upstream, 0, BOX, center_x),
        "downstream": side(&downstream, WIDTH - BOX, WIDTH - BOX, center_x + BOX),
    })
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
    json!({
        "email": entity.profile.email,
        "slack": entity.annotation(&fields.slack),
        "on_call": on_call.join(", "),
        "parent": related_one(catalog, i, RelationKind::ChildOf),
        "members": related(catalog, i, RelationKind::HasMember),
        "services": catalog.owned_services(i).map(|s| page_link(catalog, s.entity)).collect::<Vec<_>>(),
        "claims": super::claims::team_claims(catalog, i),
        "scorecards": super::governance::team_context(catalog, i),
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
    let text = |node: Option<&Node>| node.and_then(Node::as_scalar_text);
    let parameters: Vec<Json> = pages
        .iter()
        .enumerate()
        .map(|(n, page)| {
            let required: Vec<String> = page
                .get("required")
                .and_then(Node::as_seq)
                .map(|r| r.iter().filter_map(|n| n.as_str().map(str::to_string)).collect())
                .unwrap_or_default();
            let fields: Vec<Json> = page
                .get("properties")
                .and_then(Node::as_map)
                .unwrap_or_default()
                .iter()
                .filter_map(|(key, field)| {
                    let name = key.as_str()?;
                    let choices = field.get("enum").and_then(Node::as_seq).map(|values| {
                        values
                            .iter()
                            .filter_map(Node::as_scalar_text)
                            .collect::<Vec<_>>()
                            .join(", ")
                    });
                    Some(json!({
                        "name": name,
                        "title": text(field.get("title")),
                        "type": text(field.get("type")),
                        "required": required.iter().any(|r| r == name),
                        "description": text(field.get("description")),
                        "default": field.get("default").map(|d| json_text(&d.to_json())),
                        "choices": choices,
                        "widget": text(field.get("ui:field")).or_else(|| text(field.get("ui:widget"))),
                    }))
                })
                .collect();
            json!({
                "title": text(page.get("title")).unwrap_or_else(|| format!("Step {}", n + 1)),
                "fields": fields,
            })
        })
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

fn definition_pages(compilation: &Compilation, selection: &Selection) -> Vec<Page> {
    let catalog = &compilation.catalog;
    let mut pages = Vec::new();
    for (name, versions) in catalog.resources.iter().filter(|(name, _)| selection.definition(name)) {
        let latest = catalog.latest_version(versions);
        let claims = super::claims::definition_claims(catalog, name);
        for &v in versions {
            let entity = &catalog.entities[v];
            let mut context = json!({ "d": definition_context(catalog, v, versions) });
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

fn json_text(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
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
                "type": input.value_type.as_deref().unwrap_or("string"),
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
    let body = json!({
        "name": entity.metadata.name,
        "title": entity.metadata.title,
        "requirements": requirement_choices(entity, &definition),
        "category": definition.category,
        "provider": definition.provider,
        "description_html": entity.metadata.description.as_deref().map(to_html),
        "inputs": inputs,
        "outputs": output_rows(&definition.outputs),
        "engines": engines,
        "change": change,
        "versions": version_rows,
        "file": entity.file,
        "api": crate::output::definition_version_file(&entity.metadata.name, version_text(entity)),
    });
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

/// `all/{kind}/index.html` and `all/{kind}/{n}/index.html`: every entity of
/// a kind, [`LIST_PAGE_SIZE`] per page (`all/` is no kind, so these paths
/// cannot collide with an entity's); the chunks `selection` selects.
fn list_pages(catalog: &Catalog, selection: &Selection) -> Vec<Page> {
    let mut pages = Vec::new();
    for kind in [
        Kind::Component,
        Kind::Group,
        Kind::Api,
        Kind::System,
        Kind::Domain,
        Kind::Resource,
        Kind::User,
        Kind::Template,
        Kind::ResourceClaim,
    ] {
        let listed: Vec<usize> = (0..catalog.entities.len())
            .filter(|&i| catalog.entities[i].kind == kind)
            .collect();
        let row = |&i: &usize| {
            let e = &catalog.entities[i];
            json!({
                "path": page_path(e),
                "name": e.metadata.name,
                "title": e.metadata.title,
                "owner": catalog.related(i, RelationKind::OwnedBy).next().map(|o| catalog.entities[o].metadata.name.clone())
                    .or_else(|| catalog.unresolved.get(&i)?.iter().find(|u| u.relation == RelationKind::OwnedBy).map(|u| u.text.clone())),
                "lifecycle": e.lifecycle,
                "description": short_description(e),
            })
        };
        let chunk = |rows: &[usize]| selection.chunk(Some(kind), rows.iter().copied());
        pages.extend(paged(kind.slug(), &format!("{}s", kind.as_str()), &listed, chunk, row));
    }
    let definitions: Vec<(&String, usize)> = catalog
        .resources
        .iter()
        .filter_map(|(name, versions)| Some((name, catalog.latest_version(versions)?)))
        .collect();
    let row = |&(name, latest): &(&String, usize)| {
        let latest = &catalog.entities[latest];
        json!({
            "path": definition_path(name),
            "name": latest.metadata.name,
            "title": latest.metadata.title,
            "lifecycle": version_text(latest),
            "description": short_description(latest),
        })
    };
    let chunk = |rows: &[(&String, usize)]| {
        rows.iter().any(|(name, _)| selection.definition(name)) || selection.chunk(None, std::iter::empty())
    };
    pages.extend(paged(
        "resourcedefinition",
        "ResourceDefinitions",
        &definitions,
        chunk,
        row,
    ));
    pages
}

/// The first 140 characters of an entity's description, for list rows.
fn short_description(entity: &Entity) -> String {
    entity
        .metadata
        .description
        .as_deref()
        .unwrap_or("")
        .chars()
        .take(140)
        .collect()
}

/// The list pages of `items`, [`LIST_PAGE_SIZE`] rows each; only those
/// whose items `selected` accepts are made.
fn paged<T>(
    slug: &str,
    heading: &str,
    items: &[T],
    selected: impl Fn(&[T]) -> bool,
    row: impl Fn(&T) -> Json,
) -> Vec<Page> {
    let paths = PagePaths::new(format!("all/{slug}/index.html"), format!("all/{slug}/"), "/index.html");
    paging::pages(items, LIST_PAGE_SIZE, &paths, selected)
        .map(|page| Page {
            path: page.path(),
            template: "list.html",
            title: heading.to_string(),
            context: json!({
                "heading": heading,
                "rows": page.rows_by(&row),
                "total": page.total,
                "page": page.number,
                "pages": page.count,
                "prev": page.prev(),
                "next": page.next(),
            }),
        })
        .collect()
}

/// Ownership coverage, unowned services, breakdowns and warnings per team.
fn dashboard(compilation: &Compilation) -> Json {
    let catalog = &compilation.catalog;
    let owner_name = |s: &Service| {
        s.owner
            .map(|o| catalog.entities[o].metadata.name.clone())
            .unwrap_or_default()
    };
    let unowned: Vec<&Service> = catalog
        .services
        .iter()
        .map(|s| &**s)
        .filter(|s| s.owner.is_none())
        .collect();
    let status_of = |s: &Service| s.discovery.as_ref().map(|d| d.ownership.status);
    let ambiguous: Vec<&Service> = catalog
        .services
        .iter()
        .map(|s| &**s)
        .filter(|s| status_of(s) == Some(OwnershipStatus::Ambiguous))
        .collect();
    let discovered: Vec<&Service> = catalog
        .services
        .iter()
        .map(|s| &**s)
        .filter(|s| s.discovery.as_ref().is_some_and(|d| d.discovered))
        .collect();
    let drift = compilation
        .diagnostics
        .iter()
        .filter(|d| d.code == crate::diagnostics::Code::OwnershipDrift)
        .count();
    let total = catalog.services.len();
    let coverage = ((total - unowned.len()) * 100).checked_div(total).unwrap_or(100);
    let breakdown = |label: &str, key: &dyn Fn(&Service) -> String| {
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for s in &catalog.services {
            *counts.entry(key(s)).or_default() += 1;
        }
        let mut rows: Vec<(String, usize)> = counts.into_iter().collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        rows.truncate(50);
        json!({ "label": label, "rows": rows.into_iter().map(|(name, count)| json!({ "name": name, "count": count })).collect::<Vec<_>>() })
    };
    let owner_of_file: HashMap<&str, String> = catalog
        .services
        .iter()
        .map(|s| (catalog.entities[s.entity].file.as_str(), owner_name(s)))
        .collect();
    let mut warnings_by_team: BTreeMap<String, usize> = BTreeMap::new();
    let counts = compilation.counts();
    for d in compilation
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
    {
        let team = owner_of_file.get(d.location.file.as_str()).cloned().unwrap_or_default();
        *warnings_by_team.entry(team).or_default() += 1;
    }
    json!({
        "coverage": coverage,
        "unowned_count": unowned.len(),
        "unowned": unowned.iter().take(100).map(|s| page_link(catalog, s.entity)).collect::<Vec<_>>(),
        "unowned_more": unowned.len().saturating_sub(100),
        "ambiguous_count": ambiguous.len(),
        "ambiguous": ambiguous.iter().take(100).map(|s| page_link(catalog, s.entity)).collect::<Vec<_>>(),
        "ambiguous_more": ambiguous.len().saturating_sub(100),
        "discovered_count": discovered.len(),
        "discovered": discovered.iter().take(100).map(|s| page_link(catalog, s.entity)).collect::<Vec<_>>(),
        "discovered_more": discovered.len().saturating_sub(100),
        "drift": drift,
        "errors": counts.errors,
        "warnings": counts.warnings,
        "breakdowns": [
            breakdown("team", &owner_name),
            breakdown("tier", &|s: &Service| s.tier.clone().unwrap_or_default()),
            breakdown("lifecycle", &|s: &Service| catalog.entities[s.entity].lifecycle.clone().unwrap_or_default()),
        ],
        "warnings_by_team": warnings_by_team.into_iter().map(|(name, count)| json!({ "name": name, "count": count })).collect::<Vec<_>>(),
        "governance": super::governance::dashboard_context(catalog),
        "health": super::health::dashboard_context(compilation),
    })
}

fn dashboard_page(compilation: &Compilation) -> Page {
    Page {
        path: "dashboard/index.html".into(),
        template: "dashboard.html",
        title: "Dashboard".into(),
        context: dashboard(compilation),
    }
}

fn home_page(compilation: &Compilation, history: &HashMap<String, Change>) -> Page {
    let catalog = &compilation.catalog;
    let count = |kind: Kind| catalog.entities.iter().filter(|e| e.kind == kind).count();
    let counts = json!([
        { "label": "services", "count": catalog.services.len(), "path": "all/component/index.html" },
        { "label": "teams", "count": count(Kind::Group), "path": "all/group/index.html" },
        { "label": "APIs", "count": count(Kind::Api), "path": "all/api/index.html" },
        { "label": "systems", "count": count(Kind::System), "path": "all/system/index.html" },
        { "label": "resources", "count": count(Kind::Resource), "path": "all/resource/index.html" },
        { "label": "resource definitions", "count": catalog.resources.len(), "path": "all/resourcedefinition/index.html" },
    ]);
    let mut counts = counts;
    if let (Json::Array(list), templates @ 1..) = (&mut counts, count(Kind::Template)) {
        list.push(json!({ "label": "templates", "count": templates, "path": "all/template/index.html" }));
    }
    if let (Json::Array(list), claims @ 1..) = (&mut counts, count(Kind::ResourceClaim)) {
        list.push(json!({ "label": "resource claims", "count": claims, "path": "all/resourceclaim/index.html" }));
    }
    let mut owned: HashMap<usize, usize> = HashMap::new();
    for s in &catalog.services {
        if let Some(o) = s.owner {
            *owned.entry(o).or_default() += 1;
        }
    }
    let mut teams: Vec<(usize, usize)> = catalog
        .entities
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind == Kind::Group)
        .map(|(i, _)| (i, owned.get(&i).copied().unwrap_or(0)))
        .collect();
    let team_count = teams.len();
    teams.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    teams.truncate(24);
    let teams: Vec<Json> = teams
        .into_iter()
        .map(|(t, n)| {
            let mut l = to_json(page_link(catalog, t));
            l["services"] = json!(n);
            l
        })
        .collect();
    let dashboard = dashboard(compilation);
    Page {
        path: "index.html".into(),
        template: "home.html",
        title: "Home".into(),
        context: json!({
            "recent": recently_changed(catalog, history),
            "counts": counts,
            "teams": teams,
            "team_count": team_count,
            "more_teams": team_count > 24,
            "dashboard": { "unowned": dashboard["unowned_count"], "warnings": dashboard["warnings"] },
        }),
    }
}

/// How many entities "recently changed" lists.
const RECENT: usize = 10;

/// The entities whose files changed last, newest first (ties by name).
fn recently_changed(catalog: &Catalog, history: &HashMap<String, Change>) -> Vec<Json> {
    let mut changed: Vec<(&Change, usize)> = catalog
        .entities
        .iter()
        .enumerate()
        .filter(|(_, e)| e.origin.is_none() && e.kind != Kind::Location)
        .filter_map(|(i, e)| history.get(&e.file).map(|change| (change, i)))
        .collect();
    changed.sort_by(|a, b| {
        (b.0.time, &catalog.entities[a.1].metadata.name).cmp(&(a.0.time, &catalog.entities[b.1].metadata.name))
    });
    changed
        .into_iter()
        .take(RECENT)
        .map(|(change, i)| {
            let mut l = to_json(page_link(catalog, i));
            l["date"] = json!(time::OffsetDateTime::from_unix_timestamp(change.time)
                .map(|t| t.date().to_string())
                .unwrap_or_default());
            l["summary"] = json!(change.summary);
            l
        })
        .collect()
}
