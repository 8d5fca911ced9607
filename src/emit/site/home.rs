//! The whole-catalog pages: the dashboard (ownership coverage, unowned
//! and ambiguous services, breakdowns, warnings per team, governance and
//! source health) and the front page (counts, the largest teams, what
//! changed last in git).

use std::collections::{BTreeMap, HashMap};

use serde_json::{json, Value as Json};

use super::Page;
use crate::diagnostics::Severity;
use crate::emit::view::{page_link, to_json};
use crate::load::history::Change;
use crate::model::Kind;
use crate::pipeline::Compilation;
use crate::resolve::reconcile::OwnershipStatus;
use crate::resolve::{Catalog, Service};

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
            breakdown("lifecycle", &|s: &Service| catalog.entities[s.entity].lifecycle.as_deref().unwrap_or_default().to_string()),
        ],
        "warnings_by_team": warnings_by_team.into_iter().map(|(name, count)| json!({ "name": name, "count": count })).collect::<Vec<_>>(),
        "governance": crate::emit::governance::dashboard_context(catalog),
        "health": crate::emit::health::dashboard_context(compilation),
    })
}

pub(super) fn dashboard_page(compilation: &Compilation) -> Page {
    Page {
        path: "dashboard/index.html".into(),
        template: "dashboard.html",
        title: "Dashboard".into(),
        context: dashboard(compilation),
    }
}

pub(super) fn home_page(compilation: &Compilation, history: &HashMap<String, Change>) -> Page {
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
