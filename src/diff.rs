//! `cairn diff`: the semantic changes of a catalog between two revisions —
//! entities added, removed and changed (which fields), ownership moves,
//! new ResourceDefinition versions with their change class and findings,
//! ResourceClaims whose resolved version changes (a new version their
//! requirement matches, an edited `spec.version`), APIs whose definition
//! changed, change by change, breaking or not, with their consumers, and
//! services whose level on a scorecard changes — rendered for a terminal,
//! for a pull-request comment (Markdown) or as JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::model::{change_key, Kind, RelationKind};
use crate::resolve::changes::{ChangeClass, Finding};
use crate::resolve::{claims, Catalog};

/// Everything that differs between two catalogs.
#[derive(Debug, Default, Serialize)]
pub struct CatalogDiff {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<ChangedEntity>,
    pub ownership: Vec<OwnershipMove>,
    pub new_versions: Vec<NewVersion>,
    pub claims: Vec<ClaimMove>,
    pub apis: Vec<ApiChanges>,
    /// Services whose level on a scorecard changes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub levels: Vec<crate::resolve::rules::scorecards::LevelMove>,
}

/// An API whose definition changed, with every change and who consumes
/// it (in `head`).
#[derive(Debug, Serialize)]
pub struct ApiChanges {
    #[serde(rename = "ref")]
    pub api: String,
    pub lifecycle: Option<String>,
    pub consumers: Vec<Consumer>,
    pub changes: Vec<crate::contracts::Change>,
}

/// A consumer of an API and its owner.
#[derive(Debug, Serialize)]
pub struct Consumer {
    #[serde(rename = "ref")]
    pub entity: String,
    pub owner: Option<String>,
}

/// A claim in both catalogs whose resolved version differs.
#[derive(Debug, Serialize)]
pub struct ClaimMove {
    #[serde(rename = "ref")]
    pub claim: String,
    pub resource: String,
    /// The version it resolved to before and after (`None`: to nothing).
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct ChangedEntity {
    #[serde(rename = "ref")]
    pub entity: String,
    /// `pointer: old → new` for each changed field.
    pub fields: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct OwnershipMove {
    #[serde(rename = "ref")]
    pub entity: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct NewVersion {
    pub name: String,
    pub version: String,
    pub baseline: Option<String>,
    pub change: Option<ChangeClass>,
    pub findings: Vec<Finding>,
}

impl CatalogDiff {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.changed.is_empty()
            && self.new_versions.is_empty()
            && self.claims.is_empty()
            && self.apis.is_empty()
            && self.levels.is_empty()
    }
}

fn by_key(catalog: &Catalog) -> BTreeMap<String, usize> {
    catalog
        .entities
        .iter()
        .enumerate()
        .map(|(i, e)| (change_key(e), i))
        .collect()
}

fn owner_of(catalog: &Catalog, index: usize) -> Option<String> {
    catalog
        .related(index, RelationKind::OwnedBy)
        .next()
        .map(|o| catalog.entities[o].key().to_string())
}

/// Compares `base` with `head`.
pub fn diff(base: &Catalog, head: &Catalog) -> CatalogDiff {
    let (before, after) = (by_key(base), by_key(head));
    let mut result = CatalogDiff::default();
    for (key, &i) in &after {
        let entity = &head.entities[i];
        let Some(&j) = before.get(key) else {
            if entity.kind == Kind::ResourceDefinition {
                let change = head.changes.get(&i);
                result.new_versions.push(NewVersion {
                    name: entity.metadata.name.clone(),
                    version: entity
                        .resource_definition
                        .as_ref()
                        .and_then(|r| r.version.clone())
                        .unwrap_or_default(),
                    baseline: change
                        .and_then(|c| head.entities[c.baseline].resource_definition.as_ref()?.version.clone()),
                    change: change.map(|c| c.class),
                    findings: change.map(|c| c.findings.clone()).unwrap_or_default(),
                });
            } else {
                result.added.push(key.clone());
            }
            continue;
        };
        let (old, new) = (base.entities[j].to_json(), entity.to_json());
        if old != new {
            let mut fields = Vec::new();
            crate::util::json_diff(&old, &new, String::new(), &mut fields);
            if entity.kind == Kind::Api {
                // The definition's changes are listed one by one below.
                for field in fields.iter_mut().filter(|f| f.starts_with("/spec/definition: ")) {
                    *field = "/spec/definition: changed (see the API's changes)".into();
                }
            }
            result.changed.push(ChangedEntity {
                entity: key.clone(),
                fields,
            });
        }
        let (from, to) = (owner_of(base, j), owner_of(head, i));
        if from != to {
            result.ownership.push(OwnershipMove {
                entity: key.clone(),
                from,
                to,
            });
        }
    }
    result.removed = before.keys().filter(|k| !after.contains_key(*k)).cloned().collect();
    result.claims = claim_moves(base, head, &before, &after);
    result.apis = api_changes(base, head, &before, &after);
    result.levels = crate::resolve::rules::scorecards::moves(base, head);
    result
}

/// The APIs of both catalogs whose definitions differ, change by change.
fn api_changes(
    base: &Catalog,
    head: &Catalog,
    before: &BTreeMap<String, usize>,
    after: &BTreeMap<String, usize>,
) -> Vec<ApiChanges> {
    use crate::contracts::compare;
    use crate::resolve::apis::consumers;
    after
        .iter()
        .filter(|(_, &i)| head.entities[i].kind == Kind::Api)
        .filter_map(|(key, &i)| {
            let (old, new) = (&base.entities[*before.get(key)?], &head.entities[i]);
            let (old_definition, new_definition) = (old.api_definition()?, new.api_definition()?);
            if old_definition == new_definition {
                return None;
            }
            let changes = compare(old_definition, new_definition)?;
            let consumers = consumers(head, i)
                .into_iter()
                .map(|c| Consumer {
                    entity: head.entities[c].key().to_string(),
                    owner: owner_of(head, c),
                })
                .collect();
            (!changes.is_empty()).then(|| ApiChanges {
                api: key.clone(),
                lifecycle: new.lifecycle.as_deref().map(str::to_string),
                consumers,
                changes,
            })
        })
        .collect()
}

/// The claims of both catalogs that resolve to another version in `head`.
fn claim_moves(
    base: &Catalog,
    head: &Catalog,
    before: &BTreeMap<String, usize>,
    after: &BTreeMap<String, usize>,
) -> Vec<ClaimMove> {
    let resolved = |catalog: &Catalog, index: usize| {
        let claim = catalog.entities[index].resource_claim.as_ref()?;
        let resolution = claims::resolve(catalog, claim).ok()?;
        Some(crate::model::version_text(&catalog.entities[resolution.version]).to_string())
    };
    claims::claims(head)
        .filter_map(|i| {
            let key = change_key(&head.entities[i]);
            let j = *before.get(&key)?;
            debug_assert_eq!(after.get(&key), Some(&i));
            let (from, to) = (resolved(base, j), resolved(head, i));
            (from != to).then(|| ClaimMove {
                claim: key,
                resource: head.entities[i]
                    .resource_claim
                    .as_ref()
                    .and_then(|c| c.resource.clone())
                    .unwrap_or_default(),
                from,
                to,
            })
        })
        .collect()
}

fn finding_line(finding: &Finding) -> String {
    let mut line = format!("{} ({})", finding.rule, finding.class.as_str());
    if let Some(witness) = &finding.witness {
        let _ = write!(line, ", e.g. {witness} was valid");
    }
    if let Some(hint) = &finding.hint {
        let _ = write!(line, " — {hint}");
    }
    line
}

/// For a terminal.
pub fn human(diff: &CatalogDiff) -> String {
    if diff.is_empty() {
        return "no changes to the catalog\n".into();
    }
    let mut out = String::new();
    for entity in &diff.added {
        let _ = writeln!(out, "+ {entity}");
    }
    for entity in &diff.removed {
        let _ = writeln!(out, "- {entity}");
    }
    for changed in &diff.changed {
        let _ = writeln!(out, "~ {}", changed.entity);
        for field in &changed.fields {
            let _ = writeln!(out, "    {field}");
        }
    }
    for moved in &diff.ownership {
        let _ = writeln!(
            out,
            "owner of {}: {} → {}",
            moved.entity,
            moved.from.as_deref().unwrap_or("none"),
            moved.to.as_deref().unwrap_or("none")
        );
    }
    for version in &diff.new_versions {
        let class = version.change.map_or("first version", ChangeClass::as_str);
        let from = version
            .baseline
            .as_deref()
            .map(|b| format!(" from {b}"))
            .unwrap_or_default();
        let _ = writeln!(out, "new version {} {} ({class}{from})", version.name, version.version);
        for finding in &version.findings {
            let _ = writeln!(out, "    {}", finding_line(finding));
        }
    }
    for api in &diff.apis {
        let breaking = api.changes.iter().filter(|c| c.breaking).count();
        let _ = writeln!(
            out,
            "api {}: {breaking} breaking change{} of {}, {}",
            api.api,
            if breaking == 1 { "" } else { "s" },
            api.changes.len(),
            consumers_line(&api.consumers)
        );
        for change in &api.changes {
            let class = if change.breaking { "breaking" } else { "compatible" };
            let _ = writeln!(out, "    {class}: {} ({})", change.reason, change.pointer);
        }
    }
    for moved in &diff.claims {
        let _ = writeln!(
            out,
            "claim {} ({}): {} → {}",
            moved.claim,
            moved.resource,
            moved.from.as_deref().unwrap_or("nothing"),
            moved.to.as_deref().unwrap_or("nothing")
        );
    }
    for moved in &diff.levels {
        let _ = writeln!(
            out,
            "{} {} on {}: {} → {}",
            if moved.up { "up" } else { "down" },
            moved.service,
            moved.scorecard,
            moved.from.as_deref().unwrap_or("no level"),
            moved.to.as_deref().unwrap_or("no level")
        );
    }
    out
}

/// `consumed by a (owner x), b (no owner)` or `no consumers`.
fn consumers_line(consumers: &[Consumer]) -> String {
    if consumers.is_empty() {
        return "no consumers".into();
    }
    let named: Vec<String> = consumers
        .iter()
        .map(|c| {
            format!(
                "{} ({})",
                c.entity,
                c.owner.as_deref().map_or("no owner".into(), |o| format!("owner {o}"))
            )
        })
        .collect();
    format!("consumed by {}", named.join(", "))
}

fn md(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// For a pull-request comment or `$GITHUB_STEP_SUMMARY`.
pub fn markdown(diff: &CatalogDiff) -> String {
    let mut out = String::from("## Catalog changes\n\n");
    if diff.is_empty() {
        out.push_str("No changes to the catalog.\n");
        return out;
    }
    if !(diff.added.is_empty() && diff.removed.is_empty() && diff.changed.is_empty()) {
        out.push_str("| change | entity | fields |\n| --- | --- | --- |\n");
        for entity in &diff.added {
            let _ = writeln!(out, "| added | `{}` | |", md(entity));
        }
        for entity in &diff.removed {
            let _ = writeln!(out, "| removed | `{}` | |", md(entity));
        }
        for changed in &diff.changed {
            let fields: Vec<String> = changed.fields.iter().map(|f| format!("`{}`", md(f))).collect();
            let _ = writeln!(out, "| changed | `{}` | {} |", md(&changed.entity), fields.join("<br>"));
        }
        out.push('\n');
    }
    if !diff.ownership.is_empty() {
        out.push_str("### Ownership\n\n| entity | from | to |\n| --- | --- | --- |\n");
        for moved in &diff.ownership {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} |",
                md(&moved.entity),
                md(moved.from.as_deref().unwrap_or("—")),
                md(moved.to.as_deref().unwrap_or("—"))
            );
        }
        out.push('\n');
    }
    if !diff.new_versions.is_empty() {
        out.push_str("### New ResourceDefinition versions\n\n| definition | version | baseline | change | findings |\n| --- | --- | --- | --- | --- |\n");
        for version in &diff.new_versions {
            let findings: Vec<String> = version.findings.iter().map(|f| md(&finding_line(f))).collect();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                md(&version.name),
                md(&version.version),
                version.baseline.as_deref().unwrap_or("—"),
                version.change.map_or("—", ChangeClass::as_str),
                findings.join("<br>")
            );
        }
    }
    if !diff.apis.is_empty() {
        if !out.ends_with("\n\n") {
            out.push('\n');
        }
        out.push_str("### API changes\n\n");
        for api in &diff.apis {
            let breaking = api.changes.iter().filter(|c| c.breaking).count();
            let experimental = if api.lifecycle.as_deref() == Some("experimental") {
                " (experimental)"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "#### `{}`{experimental}: {breaking} breaking of {} changes\n\n{}\n",
                md(&api.api),
                api.changes.len(),
                md(&consumers_line(&api.consumers))
            );
            out.push_str("| | change | where |\n| --- | --- | --- |\n");
            for change in &api.changes {
                let class = if change.breaking { "**breaking**" } else { "compatible" };
                let _ = writeln!(out, "| {class} | {} | `{}` |", md(&change.reason), md(&change.pointer));
            }
            out.push('\n');
        }
    }
    if !diff.claims.is_empty() {
        if !out.ends_with("\n\n") {
            out.push('\n');
        }
        out.push_str("### Claims whose resolved version changes\n\n| claim | definition | from | to |\n| --- | --- | --- | --- |\n");
        for moved in &diff.claims {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} |",
                md(&moved.claim),
                md(&moved.resource),
                md(moved.from.as_deref().unwrap_or("—")),
                md(moved.to.as_deref().unwrap_or("—"))
            );
        }
    }
    if !diff.levels.is_empty() {
        if !out.ends_with("\n\n") {
            out.push('\n');
        }
        out.push_str(
            "### Scorecard levels\n\n| | service | scorecard | from | to |\n| --- | --- | --- | --- | --- |\n",
        );
        for moved in &diff.levels {
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | {} | {} |",
                if moved.up { "⬆ up" } else { "⬇ down" },
                md(&moved.service),
                md(&moved.scorecard),
                md(moved.from.as_deref().unwrap_or("no level")),
                md(moved.to.as_deref().unwrap_or("no level"))
            );
        }
    }
    out
}

/// As one JSON object.
pub fn json(diff: &CatalogDiff) -> String {
    let mut out = serde_json::to_string_pretty(diff).expect("the diff serializes");
    out.push('\n');
    out
}
