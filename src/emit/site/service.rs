//! A service's page (`s`): ownership and how sure it is, on-call, what it
//! provides and consumes, its dependencies with the next level of each
//! closure and an SVG of its direct neighbours, what discovery knows, and
//! its scorecards.

use serde::Serialize;
use serde_json::{json, Value as Json};

use super::entity::{external_links, missing, related, related_link};
use crate::emit::view::{page_link, Closure, PageLink};
use crate::model::{Entity, RelationKind};
use crate::output::page_path;
use crate::resolve::reconcile::{Candidate, Discovery};
use crate::resolve::{Catalog, Service};

/// The `s` context of service `i`'s page.
pub(super) fn service_context(catalog: &Catalog, i: usize, entity: &Entity, service: &Service) -> Json {
    let repo_url = service
        .repo
        .as_deref()
        .filter(|r| r.split('/').count() == 2 && !r.contains(':'))
        .map(|r| format!("https://github.com/{r}"));
    let (declared, discovered) = crate::resolve::queries::field_sources(entity, service);
    let (confidence, owner_source) = catalog.owner_confidence(service);
    let on_call: Vec<OnCallRow> = service
        .on_call
        .iter()
        .map(|o| OnCallRow {
            provider: &o.annotation,
            schedule: &o.value,
        })
        .collect();
    let mut context = json!({
        "owner": service.owner.map(|o| related_link(catalog, o)).or_else(|| missing(catalog, i, RelationKind::OwnedBy).next()),
        "owner_source": owner_source,
        "confidence": service.owner.map(|_| format!("{confidence:.2}")),
        "tier": service.tier,
        "on_call": on_call,
        "slack": service.slack,
        "repo": service.repo,
        "repo_url": repo_url,
        "system": service.system.map(|s| page_link(catalog, s)),
        "declared": declared,
        "discovered": discovered,
        "provides": related(catalog, i, RelationKind::ProvidesApi),
        "consumes": related(catalog, i, RelationKind::ConsumesApi),
        "upstream": related(catalog, i, RelationKind::DependsOn),
        "downstream": related(catalog, i, RelationKind::DependencyOf),
        "reach": {
            "upstream": Closure::of(catalog.dependencies().upstream[i]),
            "downstream": Closure::of(catalog.dependencies().downstream[i]),
        },
        // The next level of each closure (bounded like the API's nearest);
        // the whole closure is on the graph page.
        "upstream_next": second_level(catalog, i, RelationKind::DependsOn),
        "downstream_next": second_level(catalog, i, RelationKind::DependencyOf),
    });
    // The parts that are `Json` already, moved in rather than through `json!`.
    context["discovery"] = service.discovery.as_ref().map(|d| discovery_context(catalog, d)).into();
    context["runbooks"] = Json::Array(external_links(&service.runbooks));
    context["graph"] = neighbourhood(catalog, i);
    context["scorecards"] = crate::emit::governance::service_context(catalog, i);
    context
}

/// An on-call entry as the service page shows it.
#[derive(Serialize)]
struct OnCallRow<'a> {
    provider: &'a str,
    schedule: &'a str,
}

/// The entities two `relation` steps away (not one), nearest first, at
/// most [`crate::emit::api::NEAREST`] with the first level.
fn second_level(catalog: &Catalog, i: usize, relation: RelationKind) -> Vec<PageLink<'_>> {
    crate::resolve::graph::nearest(catalog, i, relation, crate::emit::api::NEAREST)
        .into_iter()
        .filter(|&(_, depth)| depth == 2)
        .map(|(t, _)| page_link(catalog, t))
        .collect()
}

/// A group discovery proposes as owner, with its score and the share of
/// each signal, as the "Discovery" section lists it.
fn candidate_context(catalog: &Catalog, candidate: &Candidate) -> Json {
    let signals: Vec<String> = candidate
        .shares
        .iter()
        .map(|(signal, share)| format!("{signal} {:.0}%", share * 100.0))
        .collect();
    json!({
        "group": catalog.index.get(&candidate.group).map(|&g| page_link(catalog, g)),
        "name": candidate.group.name,
        "score": format!("{:.2}", candidate.score),
        "signals": signals.join(", "),
    })
}

/// What discovery knows, for the service page's "Discovery" section.
fn discovery_context(catalog: &Catalog, discovery: &Discovery) -> Json {
    let candidates: Vec<Json> = discovery
        .ownership
        .candidates
        .iter()
        .map(|c| candidate_context(catalog, c))
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
        let mut side = json!({ "more": nodes.len() - shown, "more_y": top + shown * ROW + 14 });
        side["items"] = Json::Array(items);
        side
    };
    let center_x = (WIDTH - BOX) / 2;
    let mut graph = json!({
        "width": WIDTH,
        "height": height,
        "box": BOX,
        "center": { "x": center_x, "y": middle - 14, "label": label(i) },
    });
    graph["upstream"] = side(&upstream, 0, BOX, center_x);
    graph["downstream"] = side(&downstream, WIDTH - BOX, WIDTH - BOX, center_x + BOX);
    graph
}
