//! `cairn diff`: the semantic changes of a catalog between two revisions —
//! entities added, removed and changed (which fields), ownership moves,
//! new ResourceDefinition versions with their change class and findings,
//! ResourceClaims whose resolved version changes (a new version their
//! requirement matches, an edited `spec.version`), and services whose
//! level on a scorecard changes — rendered for a terminal, for a
//! pull-request comment (Markdown) or as JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value as Json;

use crate::model::{Entity, Kind};
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
    /// Services whose level on a scorecard changes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub levels: Vec<crate::rules::scorecards::LevelMove>,
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
            && self.levels.is_empty()
    }
}

/// A stable name for every entity: its ref, or `name@version` for a
/// ResourceDefinition version.
pub fn key_of(entity: &Entity) -> String {
    match &entity.resource_definition {
        Some(rd) => format!("{}@{}", entity.metadata.name, rd.version.as_deref().unwrap_or_default()),
        None => entity.key().to_string(),
    }
}

fn by_key(catalog: &Catalog) -> BTreeMap<String, usize> {
    catalog
        .entities
        .iter()
        .enumerate()
        .map(|(i, e)| (key_of(e), i))
        .collect()
}

fn owner_of(catalog: &Catalog, index: usize) -> Option<String> {
    catalog
        .related(index, "ownedBy")
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
            json_diff(&old, &new, String::new(), &mut fields);
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
    result.levels = crate::rules::scorecards::moves(base, head);
    result
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
        Some(claims::version_text(&catalog.entities[resolution.version]).to_string())
    };
    claims::claims(head)
        .filter_map(|i| {
            let key = key_of(&head.entities[i]);
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

/// `pointer: old → new` for every JSON leaf that differs.
pub fn json_diff(old: &Json, new: &Json, pointer: String, out: &mut Vec<String>) {
    walk_diff(old, new, pointer, &mut |pointer, old, new| {
        out.push(format!("{pointer}: {old} → {new}"))
    });
}

/// The JSON pointer of every leaf that differs (what [`json_diff`] names,
/// without the values).
pub fn changed_pointers(old: &Json, new: &Json) -> Vec<String> {
    let mut out = Vec::new();
    walk_diff(old, new, String::new(), &mut |pointer, _, _| out.push(pointer));
    out
}

/// Calls `leaf` with the pointer, old and new value of every leaf that
/// differs: objects key by key, arrays of one length item by item.
fn walk_diff(old: &Json, new: &Json, pointer: String, leaf: &mut dyn FnMut(String, &Json, &Json)) {
    match (old, new) {
        (Json::Object(a), Json::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                let child = format!("{pointer}/{}", crate::parse::escape_pointer(key));
                walk_diff(
                    a.get(key).unwrap_or(&Json::Null),
                    b.get(key).unwrap_or(&Json::Null),
                    child,
                    leaf,
                );
            }
        }
        (Json::Array(a), Json::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                walk_diff(x, y, format!("{pointer}/{i}"), leaf);
            }
        }
        _ if old != new => leaf(pointer, old, new),
        _ => {}
    }
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
