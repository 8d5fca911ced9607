//! What the build makes of ResourceClaims: the API files
//! (`api/v1/claims.json`, paginated, and `api/v1/claims/{ns}/{name}.json`:
//! resolved version, inputs with defaults, owner, rendered files, whether
//! it could move to the newest version), the rendered files for each
//! engine its version configures (`claims/{ns}/{name}/main.tf.json`,
//! `…/claim.yaml`, [`super::engines`]), and the parts of pages that show
//! claims — a claim's own page, its definition's claims per version, a
//! team's claims.
//!
//! A claim that resolves to nothing (only possible in a build whose errors
//! `policies:` let through) is listed with `"resolved": null` and renders
//! nothing.

use std::collections::BTreeMap;

use serde_json::{json, Value as Json};

use super::engines::{self, Claimed, Engine};
use super::view::{entity_link, entity_links, with_head, Identity, RenderedFile, VersionStatus};
use super::Selection;
use crate::model::{value_text, version_text, Entity, Kind, RelationKind};
use crate::output::{path_of, ref_of, safe_relative_path, Files, API};
use crate::resolve::claims::{self, blockers, finding_text, Resolution};
use crate::resolve::{version_of, Catalog};

/// Rows per page of `claims.json`.
const PAGE_SIZE: usize = super::api::PAGE_SIZE;

/// How many claims a definition's page links (the counts are complete).
const LINKED: usize = 100;

/// The directory of a claim's rendered files.
fn rendered_dir(entity: &Entity) -> String {
    format!("claims/{}", path_of(entity))
}

fn detail_url(entity: &Entity) -> String {
    format!("{API}/claims/{}.json", path_of(entity))
}

/// A claim resolved, with what it is rendered from.
struct Resolved<'a> {
    resolution: Resolution,
    version: &'a Entity,
    inputs: BTreeMap<String, Json>,
}

fn resolved<'a>(catalog: &'a Catalog, entity: &Entity) -> Option<Resolved<'a>> {
    let claim = entity.resource_claim.as_ref()?;
    let resolution = claims::resolve(catalog, claim).ok()?;
    let version = &*catalog.entities[resolution.version];
    let inputs = claims::inputs_with_defaults(version.resource_definition.as_ref()?, claim);
    Some(Resolved {
        resolution,
        version,
        inputs,
    })
}

/// The claim's files for each engine it can be rendered for: (engine,
/// output path, bytes). An engine that cannot take the claim's inputs (a
/// name Terraform reserves) is left out.
fn rendered(entity: &Entity, resolved: &Resolved) -> Vec<(Engine, String, Vec<u8>)> {
    let Some(definition) = resolved.version.resource_definition.as_ref() else {
        return Vec::new();
    };
    let claimed = Claimed {
        claim: entity,
        version: resolved.version,
        definition,
        inputs: &resolved.inputs,
    };
    engines::engines(definition)
        .into_iter()
        .filter_map(|engine| {
            let bytes = engines::render(engine, &claimed).ok()?;
            Some((
                engine,
                format!("{}/{}", rendered_dir(entity), engine.file_name()),
                bytes,
            ))
        })
        .collect()
}

/// The rendered files of the claims `selection` selects.
pub fn rendered_files(catalog: &Catalog, selection: &Selection) -> Files {
    let mut files = Files::new();
    for c in claims::claims(catalog).filter(|&c| selection.entity(c)) {
        let entity = &catalog.entities[c];
        let Some(resolved) = resolved(catalog, entity) else {
            continue;
        };
        for (_, path, bytes) in rendered(entity, &resolved) {
            debug_assert!(safe_relative_path(&path), "unsafe output path {path}");
            if safe_relative_path(&path) {
                files.insert(path, bytes);
            }
        }
    }
    files
}

/// The claims' API files that `selection` selects.
pub fn api_files(catalog: &Catalog, selection: &Selection) -> Files {
    let mut files = Files::new();
    let mut put = |path: String, value: Json| {
        debug_assert!(safe_relative_path(&path), "unsafe output path {path}");
        if safe_relative_path(&path) {
            let mut bytes = serde_json::to_vec(&value).expect("JSON values serialize");
            bytes.push(b'\n');
            files.insert(path, bytes);
        }
    };
    let all: Vec<usize> = claims::claims(catalog).collect();
    let chunk = |rows: &[usize]| selection.chunk(Some(Kind::ResourceClaim), rows.iter().copied());
    for (path, page) in super::api::paginate("claims", &all, PAGE_SIZE, chunk, |&c| row(catalog, c)) {
        put(path, page);
    }
    for &c in all.iter().filter(|&&c| selection.entity(c)) {
        let entity = &catalog.entities[c];
        put(detail_url(entity), detail(catalog, c));
    }
    files
}

fn resolved_json(resolved: &Resolved) -> Json {
    let url = crate::output::definition_version_file(&resolved.resolution.definition, version_text(resolved.version));
    with_head(VersionStatus::of(resolved.version), json!({ "url": url }))
}

/// The files claim `entity` is rendered to, if it resolved.
fn rendered_files_of(entity: &Entity, resolved: Option<&Resolved>) -> Vec<RenderedFile> {
    resolved
        .map(|r| rendered(entity, r))
        .unwrap_or_default()
        .into_iter()
        .map(|(engine, path, _)| RenderedFile {
            engine: engine.as_str(),
            path,
        })
        .collect()
}

fn row(catalog: &Catalog, c: usize) -> Json {
    let entity = &catalog.entities[c];
    let claim = entity.resource_claim.as_ref();
    let resolved = resolved(catalog, entity);
    json!({
        "ref": ref_of(entity),
        "namespace": entity.metadata.namespace,
        "name": entity.metadata.name,
        "resource": claim.and_then(|c| c.resource.clone()),
        "version": claim.and_then(|c| c.version.clone()),
        "resolved": resolved.as_ref().map(|r| version_text(r.version)),
        "owner": catalog.related(c, RelationKind::OwnedBy).next().map(|o| ref_of(&catalog.entities[o])),
        "url": detail_url(entity),
    })
}

fn detail(catalog: &Catalog, c: usize) -> Json {
    let entity = &catalog.entities[c];
    let claim = entity.resource_claim.as_ref();
    let resolved = resolved(catalog, entity);
    let defaulted: Vec<&String> = resolved
        .as_ref()
        .map(|r| {
            r.inputs
                .keys()
                .filter(|k| claim.and_then(|c| c.input(k)).is_none())
                .collect()
        })
        .unwrap_or_default();
    let node = entity.locate("/metadata/name");
    let body = json!({
        "resource": claim.and_then(|c| c.resource.clone()),
        "version": claim.and_then(|c| c.version.clone()),
        "resolved": resolved.as_ref().map(resolved_json),
        "inputs": resolved.as_ref().map(|r| json!(r.inputs)),
        "defaulted": defaulted,
        "owner": catalog.related(c, RelationKind::OwnedBy).next().map(|o| entity_link(catalog, o)),
        "system": catalog.related(c, RelationKind::PartOf).next().map(|s| entity_link(catalog, s)),
        "dependency_of": entity_links(catalog, c, RelationKind::DependencyOf),
        "rendered": rendered_files_of(entity, resolved.as_ref()),
        "upgrade": resolved.as_ref().and_then(|r| upgrade(catalog, entity, r)),
        "provenance": { "file": entity.file, "line": node.start.line },
    });
    with_head(Identity::of(entity), body)
}

/// Whether the claim could move to the newest version of its definition,
/// when that is newer than the one it resolves to: the version, and each
/// input that would break with its reason and the finding behind it.
fn upgrade(catalog: &Catalog, entity: &Entity, resolved: &Resolved) -> Option<Json> {
    let claim = entity.resource_claim.as_ref()?;
    let versions = &catalog.resources[&resolved.resolution.definition];
    let newest = catalog.latest_version(versions)?;
    let (current, target) = (version_of(resolved.version)?, version_of(&catalog.entities[newest])?);
    if target <= current {
        return None;
    }
    let blocked: Vec<Json> = blockers(catalog, claim, resolved.resolution.version, newest)
        .into_iter()
        .map(|b| {
            json!({
                "input": b.problem.input(),
                "reason": b.problem.reason(),
                "finding": b.finding.as_ref().map(finding_text),
                "rule": b.finding.as_ref().map(|f| f.rule),
            })
        })
        .collect();
    Some(json!({
        "version": target.to_string(),
        "could_move": blocked.is_empty(),
        "blocked_by": blocked,
    }))
}

// ------------------------------------------------------------------ pages

/// The page context of claim `c`: what it claims, what it resolved to, its
/// inputs (which are defaults), rendered files and upgrade outlook.
pub fn claim_context(catalog: &Catalog, c: usize) -> Json {
    let entity = &catalog.entities[c];
    let claim = entity.resource_claim.as_ref();
    let resolved = resolved(catalog, entity);
    let inputs: Vec<Json> = resolved
        .as_ref()
        .map(|r| {
            r.inputs
                .iter()
                .map(|(name, value)| {
                    json!({
                        "name": name,
                        "value": value_text(value),
                        "default": claim.and_then(|c| c.input(name)).is_none(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    json!({
        "resource": claim.and_then(|c| c.resource.clone()),
        "requirement": claim.and_then(|c| c.version.clone()),
        "definition": resolved.as_ref().map(|r| with_head(
            VersionStatus::of(r.version),
            json!({ "path": crate::output::page_path(r.version), "name": r.version.metadata.name }),
        )),
        "inputs": inputs,
        "files": rendered_files_of(entity, resolved.as_ref()),
        "upgrade": resolved.as_ref().and_then(|r| upgrade(catalog, entity, r)),
        "api": detail_url(entity),
    })
}

/// The claims of definition `name` by the version they resolve to, for its
/// pages: a summary ("2 on 1.x, 1 on 2.x, 1 on yanked 1.0.1") and a row per
/// version with the first [`LINKED`] claims linked.
pub fn definition_claims(catalog: &Catalog, name: &str) -> Json {
    let mut by_version: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (c, resolution) in claims::claims_of(catalog, name) {
        by_version.entry(resolution.version).or_default().push(c);
    }
    let total: usize = by_version.values().map(Vec::len).sum();
    // Newest version first, as the versions table.
    let order = &catalog.resources[name];
    let mut linked = 0;
    let rows: Vec<Json> = order
        .iter()
        .filter_map(|v| Some((*v, by_version.get(v)?)))
        .map(|(v, claims)| {
            let shown: Vec<Json> = claims
                .iter()
                .take(LINKED.saturating_sub(linked))
                .map(|&c| {
                    let e = &catalog.entities[c];
                    json!({ "path": crate::output::page_path(e), "name": e.metadata.name, "namespace": e.metadata.namespace })
                })
                .collect();
            linked += shown.len();
            let entity = &catalog.entities[v];
            json!({
                "version": version_text(entity),
                "path": crate::output::page_path(entity),
                "yanked": claims::yanked(catalog, v),
                "count": claims.len(),
                "claims": shown,
                "more": claims.len() - shown.len(),
            })
        })
        .collect();
    // "3 claims on 1.x, 12 on 2.x, 1 on yanked 1.0.1": by major line, yanked
    // versions on their own.
    let mut lines: BTreeMap<(bool, String), (u64, u64, usize)> = BTreeMap::new();
    for (&v, claims) in &by_version {
        let entity = &catalog.entities[v];
        let Some(version) = version_of(entity) else { continue };
        let yanked = claims::yanked(catalog, v);
        let label = if yanked {
            format!("yanked {version}")
        } else if version.major == 0 {
            format!("0.{}.x", version.minor)
        } else {
            format!("{}.x", version.major)
        };
        let slot = lines
            .entry((yanked, label))
            .or_insert((version.major, version.minor, 0));
        slot.2 += claims.len();
    }
    let mut summary: Vec<((bool, u64, u64), usize, String)> = lines
        .into_iter()
        .map(|((yanked, label), (major, minor, count))| ((yanked, major, minor), count, label))
        .collect();
    summary.sort();
    let text: Vec<String> = summary
        .into_iter()
        .enumerate()
        .map(|(n, (_, count, label))| match (n, count) {
            (0, 1) => format!("1 claim on {label}"),
            (0, _) => format!("{count} claims on {label}"),
            _ => format!("{count} on {label}"),
        })
        .collect();
    json!({ "total": total, "summary": text.join(", "), "versions": rows })
}

/// The claims team `team` owns, for its page: each with what it claims
/// and the version it resolves to.
pub fn team_claims(catalog: &Catalog, team: usize) -> Vec<Json> {
    catalog
        .related(team, RelationKind::OwnerOf)
        .filter(|&c| catalog.entities[c].kind == Kind::ResourceClaim)
        .map(|c| {
            let entity = &catalog.entities[c];
            let resolved = resolved(catalog, entity);
            json!({
                "path": crate::output::page_path(entity),
                "name": entity.metadata.name,
                "title": entity.metadata.title,
                "resource": entity.resource_claim.as_ref().and_then(|c| c.resource.clone()),
                "version": resolved.as_ref().map(|r| version_text(r.version)),
            })
        })
        .collect()
}

/// One claim rendered for `engine` (`cairn render`): the bytes, or why it
/// cannot be.
pub fn render_one(catalog: &Catalog, c: usize, engine: Engine) -> Result<Vec<u8>, String> {
    let entity = &catalog.entities[c];
    let resolved = resolved(catalog, entity).ok_or_else(|| {
        format!(
            "claim `{}` resolves to no ResourceDefinition version (run `cairn check`)",
            entity.metadata.name
        )
    })?;
    let definition = resolved
        .version
        .resource_definition
        .as_ref()
        .ok_or_else(|| "not a ResourceDefinition".to_string())?;
    engines::render(
        engine,
        &Claimed {
            claim: entity,
            version: resolved.version,
            definition,
            inputs: &resolved.inputs,
        },
    )
}

/// The engine `cairn render` uses when none is named: the first of
/// [`Engine::ALL`] that claim `c`'s version configures.
pub fn default_engine(catalog: &Catalog, c: usize) -> Option<Engine> {
    let resolved = resolved(catalog, &catalog.entities[c])?;
    engines::engines(resolved.version.resource_definition.as_ref()?)
        .into_iter()
        .next()
}
