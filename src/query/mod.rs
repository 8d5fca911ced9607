//! Query: answers over the static JSON API — who owns an alias, an ARN or
//! an entity, what depends on what, a ResourceDefinition version's inputs
//! and outputs, whether a claim is valid, search. It reads only the API's
//! files (`api/v1/…`), rendered in memory or read from a built `dist/`,
//! so `cairn lookup` and `cairn mcp` answer exactly what a tool fetching
//! the static files would find.
//!
//! * [`Api`]: the files, from memory or a directory;
//! * [`who_owns`], [`entity`], [`dependencies`], [`resource_definition`],
//!   [`search`] here; [`claims`] checks a claim's inputs.
//!
//! Every function returns JSON or a [`Miss`]: a message saying what was not
//! found, with a suggestion when one is close.

pub mod claims;

use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::Context;
use serde_json::{json, Value as Json};

use crate::emit::api::aliases::{shard_path, table_path};
use crate::emit::view::output_rows;
use crate::model::Kind;
use crate::output::Files;
use crate::resolve::aliases::{canonical, hashed_key, INTEGRATION_KEY};
use crate::search::{Filters, SearchDoc};

const PREFIX: &str = "api/v1";

/// What a question did not find, said for a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Miss(pub String);

impl std::fmt::Display for Miss {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn miss<T>(message: impl Into<String>) -> Result<T, Miss> {
    Err(Miss(message.into()))
}

/// The static JSON API's files (`api/v1/…` → bytes): rendered in memory,
/// or a built site's, read when asked for.
pub struct Api {
    store: Store,
    /// Every file's path, sorted.
    paths: Vec<String>,
    search: OnceLock<crate::search::Index>,
}

enum Store {
    Memory(Files),
    /// The output directory holding `api/v1/`.
    Dist(PathBuf),
}

impl Api {
    /// The API files among a build's `files`.
    pub fn new(mut files: Files) -> Api {
        files.retain(|path, _| path.starts_with("api/v1/"));
        Api {
            paths: files.keys().cloned().collect(),
            store: Store::Memory(files),
            search: OnceLock::new(),
        }
    }

    /// The API files of the build in `dist`: the regular files under
    /// `api/v1/` (links are not followed), each read when it is asked for,
    /// so one answer costs a few reads, not the whole site.
    pub fn from_dist(dist: &Path) -> anyhow::Result<Api> {
        let api = dist.join(PREFIX);
        anyhow::ensure!(
            api.join("status.json").is_file(),
            "`{}` is not a cairn build: it has no api/v1/status.json",
            dist.display()
        );
        let mut paths = Vec::new();
        for entry in walkdir::WalkDir::new(&api) {
            let entry = entry.with_context(|| format!("cannot read `{}`", api.display()))?;
            if !entry.file_type().is_file() {
                continue;
            }
            let relative = entry.path().strip_prefix(dist).expect("walked under dist");
            if let Some(path) = relative.to_str() {
                paths.push(path.replace('\\', "/"));
            }
        }
        paths.sort();
        Ok(Api {
            store: Store::Dist(dist.to_path_buf()),
            paths,
            search: OnceLock::new(),
        })
    }

    /// Every file path, sorted.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.paths.iter().map(String::as_str)
    }

    /// A file's bytes; only the files listed in [`Api::paths`] are read.
    pub fn bytes(&self, path: &str) -> Option<Cow<'_, [u8]>> {
        match &self.store {
            Store::Memory(files) => files.get(path).map(|b| Cow::Borrowed(b.as_slice())),
            Store::Dist(dist) => {
                self.paths.binary_search_by(|p| p.as_str().cmp(path)).ok()?;
                std::fs::read(dist.join(path)).ok().map(Cow::Owned)
            }
        }
    }

    /// A file's size in bytes, without reading it.
    pub fn size(&self, path: &str) -> Option<u64> {
        match &self.store {
            Store::Memory(files) => files.get(path).map(|b| b.len() as u64),
            Store::Dist(dist) => {
                self.paths.binary_search_by(|p| p.as_str().cmp(path)).ok()?;
                std::fs::metadata(dist.join(path)).ok().map(|m| m.len())
            }
        }
    }

    /// The file at `path` (relative to the output root), parsed.
    pub fn json(&self, path: &str) -> Option<Json> {
        serde_json::from_slice(&self.bytes(path)?).ok()
    }

    /// Every row of a paginated list (`services`, `teams`, `resources`).
    fn rows(&self, list: &str) -> Vec<Json> {
        let mut rows = Vec::new();
        let mut next = Some(format!("{PREFIX}/{list}.json"));
        while let Some(path) = next.take() {
            let Some(page) = self.json(&path) else { break };
            rows.extend(page["data"].as_array().cloned().unwrap_or_default());
            next = page["pagination"]["next"].as_str().map(str::to_string);
        }
        rows
    }
}

/// `kind`, `namespace` and `name` of a reference, lowercase, with
/// Backstage's defaults (`default_kind`, namespace `default`).
pub fn parse_reference(reference: &str, default_kind: Kind) -> Result<(Kind, String, String), Miss> {
    let parsed = crate::resolve::parse_ref(reference.trim()).or_else(|why| miss(format!("`{reference}`: {why}")))?;
    let kind = match parsed.kind {
        Some(kind) => Kind::from_ref(kind).ok_or_else(|| Miss(format!("`{kind}` is not a kind")))?,
        None => default_kind,
    };
    Ok((
        kind,
        parsed.namespace.unwrap_or("default").to_lowercase(),
        parsed.name.to_lowercase(),
    ))
}

fn entity_path(kind: Kind, namespace: &str, name: &str) -> String {
    format!("{PREFIX}/entities/{}/{namespace}/{name}.json", kind.slug())
}

/// A service as routing needs it — owner, confidence, tier, on-call,
/// Slack, runbooks — from its detail file, in the alias table's shape
/// (the integration key hashed).
fn routing_view(detail: &Json) -> Json {
    let on_call: Vec<Json> = detail["on_call"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| {
            let mut o = o.clone();
            if o["annotation"] == INTEGRATION_KEY {
                o["value"] = json!(hashed_key(o["value"].as_str().unwrap_or_default()));
            }
            o
        })
        .collect();
    let path = detail["ref"]
        .as_str()
        .and_then(|r| r.split_once(':'))
        .map(|(_, path)| path.to_string())
        .unwrap_or_default();
    json!({
        "ref": detail["ref"],
        "name": detail["name"],
        "title": detail["title"],
        "owner": detail["owner"],
        "tier": detail["tier"],
        "on_call": on_call,
        "slack": detail["slack"],
        "runbooks": detail["runbooks"],
        "url": format!("{PREFIX}/services/{path}.json"),
        "routing": format!("{PREFIX}/services/{path}/routing.json"),
    })
}

/// The alias table's entry for `key`, reading the shard when the table is
/// sharded.
fn alias_entry(api: &Api, key: &str) -> Option<Json> {
    let table = api.json(&table_path())?;
    let data = if table["sharded"] == true {
        api.json(&shard_path(key))?
    } else {
        table
    };
    data["data"].get(key).cloned()
}

/// Who owns `query`: an alias (a PagerDuty, Datadog, Kubernetes… id, or a
/// PagerDuty integration key), an AWS ARN, or an entity ref or name
/// (`checkout`, `component:payments/checkout`, `api:orders-api`). For each
/// service: owner with confidence and source, tier, on-call, Slack,
/// runbooks and the routing file.
pub fn who_owns(api: &Api, query: &str) -> Result<Json, Miss> {
    let query = query.trim();
    if query.is_empty() {
        return miss("nothing to look up: give an alias, an ARN or an entity ref");
    }
    for (key, hashed) in [(canonical(query), false), (hashed_key(query), true)] {
        if let Some(entry) = alias_entry(api, &key) {
            // A query that was an integration key is not repeated.
            let query = if hashed { key.as_str() } else { query };
            return Ok(json!({
                "query": query, "match": "alias", "alias": entry["alias"], "key": key,
                "conflict": entry["conflict"], "services": entry["services"],
            }));
        }
    }
    if query.starts_with("arn:") {
        let lookup = api.json(&format!("{PREFIX}/lookup/aws.json")).unwrap_or_default();
        let Some(link) = lookup["data"].get(query) else {
            return miss(format!("no service owns `{query}`: discovery has not seen that ARN"));
        };
        let (kind, namespace, name) = parse_reference(link["ref"].as_str().unwrap_or_default(), Kind::Component)?;
        let mut found = owner_of_entity(api, kind, &namespace, &name)?;
        found["query"] = json!(query);
        found["match"] = json!("arn");
        return Ok(found);
    }
    let (kind, namespace, name) = parse_reference(query, Kind::Component)?;
    let mut found = owner_of_entity(api, kind, &namespace, &name).map_err(|_| {
        let names: Vec<String> = api
            .rows("services")
            .iter()
            .filter_map(|r| r["name"].as_str().map(str::to_lowercase))
            .collect();
        let hint = crate::diagnostics::did_you_mean(&name, names.iter().map(String::as_str))
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        Miss(format!("`{query}` is no alias, ARN or entity of the catalog{hint}"))
    })?;
    found["query"] = json!(query);
    found["match"] = json!("ref");
    Ok(found)
}

/// The owner of one entity: a service's routing view, or for other kinds
/// the `ownedBy` relation.
fn owner_of_entity(api: &Api, kind: Kind, namespace: &str, name: &str) -> Result<Json, Miss> {
    if kind == Kind::Component {
        if let Some(detail) = api.json(&format!("{PREFIX}/services/{namespace}/{name}.json")) {
            return Ok(json!({ "conflict": false, "services": [routing_view(&detail)] }));
        }
    }
    let Some(document) = api.json(&entity_path(kind, namespace, name)) else {
        return miss(format!("no {} `{namespace}/{name}` in the catalog", kind.as_str()));
    };
    let owner = relations(&document, "ownedBy")
        .next()
        .map(|target| json!({ "ref": target }));
    Ok(json!({
        "conflict": false,
        "services": [],
        "entity": { "ref": format!("{}:{namespace}/{name}", kind.slug()), "name": document["metadata"]["name"], "owner": owner },
    }))
}

/// Targets of an entity document's relations of one type.
fn relations<'a>(document: &'a Json, kind: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    document["relations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(move |r| r["type"] == kind)
        .filter_map(|r| r["targetRef"].as_str())
}

/// An entity as written, with its relations; for a service also its
/// detail (owner, on-call, dependencies, discovery…).
pub fn entity(api: &Api, reference: &str) -> Result<Json, Miss> {
    let (kind, namespace, name) = parse_reference(reference, Kind::Component)?;
    if kind == Kind::ResourceDefinition {
        return resource_definition(api, &name, None);
    }
    let Some(document) = api.json(&entity_path(kind, &namespace, &name)) else {
        return miss(format!("no {} `{namespace}/{name}` in the catalog", kind.as_str()));
    };
    let mut out = json!({ "ref": format!("{}:{namespace}/{name}", kind.slug()), "entity": document });
    if kind == Kind::Component {
        out["service"] = api
            .json(&format!("{PREFIX}/services/{namespace}/{name}.json"))
            .unwrap_or_default();
    }
    Ok(out)
}

/// Which way to follow dependencies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// What the entity depends on (`dependsOn`).
    Up,
    /// What depends on it (`dependencyOf`).
    Down,
    Both,
}

/// Everything reachable from `reference` through `dependsOn` (up) and
/// `dependencyOf` (down), breadth-first, each with its distance, up to
/// `depth` (unlimited when `None`).
pub fn dependencies(api: &Api, reference: &str, direction: Direction, depth: Option<usize>) -> Result<Json, Miss> {
    let (kind, namespace, name) = parse_reference(reference, Kind::Component)?;
    let start = format!("{}:{namespace}/{name}", kind.slug());
    if api.json(&entity_path(kind, &namespace, &name)).is_none() {
        return miss(format!("no {} `{namespace}/{name}` in the catalog", kind.as_str()));
    }
    let walk = |relation: &str| -> Vec<Json> {
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        let mut found: Vec<(usize, String, Json)> = Vec::new();
        let mut queue = VecDeque::from([(start.clone(), 0)]);
        while let Some((current, distance)) = queue.pop_front() {
            if depth.is_some_and(|d| distance >= d) {
                continue;
            }
            let Ok((k, ns, n)) = parse_reference(&current, Kind::Component) else {
                continue;
            };
            let Some(document) = api.json(&entity_path(k, &ns, &n)) else {
                continue;
            };
            for target in relations(&document, relation) {
                if target == start || seen.contains_key(target) {
                    continue;
                }
                seen.insert(target.to_string(), distance + 1);
                let title = parse_reference(target, Kind::Component)
                    .ok()
                    .and_then(|(k, ns, n)| api.json(&entity_path(k, &ns, &n)))
                    .map(|d| d["metadata"]["title"].clone())
                    .unwrap_or_default();
                found.push((
                    distance + 1,
                    target.to_string(),
                    json!({ "ref": target, "title": title, "depth": distance + 1 }),
                ));
                queue.push_back((target.to_string(), distance + 1));
            }
        }
        found.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        found.into_iter().map(|(_, _, row)| row).collect()
    };
    let mut out = json!({ "ref": start, "depth": depth });
    if direction != Direction::Down {
        out["upstream"] = json!(walk("dependsOn"));
    }
    if direction != Direction::Up {
        out["downstream"] = json!(walk("dependencyOf"));
    }
    Ok(out)
}

/// A ResourceDefinition version (the latest when `version` is `None`):
/// its inputs and outputs, its change class against its baseline with
/// the findings, and the other versions.
pub fn resource_definition(api: &Api, name: &str, version: Option<&str>) -> Result<Json, Miss> {
    let name = name.trim().to_lowercase();
    let Some(versions) = api.json(&format!("{PREFIX}/resources/{name}/versions.json")) else {
        let names: Vec<String> = api
            .rows("resources")
            .iter()
            .filter_map(|r| r["name"].as_str().map(str::to_string))
            .collect();
        let hint = crate::diagnostics::did_you_mean(&name, names.iter().map(String::as_str))
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        return miss(format!("no ResourceDefinition `{name}`{hint}"));
    };
    let path = match version {
        Some(version) => format!("{PREFIX}/resources/{name}/{}.json", version.trim()),
        None => format!("{PREFIX}/resources/{name}.json"),
    };
    let Some(document) = api.json(&path) else {
        let known: Vec<&str> = versions["data"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v["version"].as_str())
            .collect();
        return miss(format!(
            "`{name}` has no version {}; it has {}",
            version.unwrap_or("marked latest"),
            known.join(", ")
        ));
    };
    let definition = claims::definition_of(&document).ok_or_else(|| Miss(format!("`{name}` cannot be read")))?;
    let this = definition.version.clone().unwrap_or_default();
    let row = versions["data"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|v| v["version"] == this.as_str())
        .cloned()
        .unwrap_or_default();
    let inputs: Vec<Json> = definition
        .inputs
        .iter()
        .map(|i| {
            json!({
                "name": i.name, "required": i.required, "type": i.value_type, "description": i.description,
                "default": i.default, "pattern": i.pattern, "min": i.min, "max": i.max, "enum": i.allowed,
            })
        })
        .collect();
    Ok(json!({
        "name": document["metadata"]["name"],
        "version": this,
        "description": document["metadata"]["description"],
        "provider": definition.provider,
        "category": definition.category,
        "resource_type": definition.resource_type,
        "supported_engines": definition.supported_engines,
        "yanked": definition.yanked,
        "deprecated": definition.deprecated,
        "inputs": inputs,
        "outputs": output_rows(&definition.outputs),
        "baseline": row["baseline"],
        "change": row["change"],
        "findings": row["findings"],
        "versions": versions["data"].as_array().into_iter().flatten().map(|v| v["version"].clone()).collect::<Vec<_>>(),
    }))
}

/// Search ranked as the portal's Cmd+K, over documents made from the API's
/// entity files (the same fields `search::documents` takes from a
/// catalog).
pub fn search(api: &Api, query: &str, filters: &Filters, limit: usize) -> Json {
    let index = api.search.get_or_init(|| crate::search::Index::new(documents(api)));
    let hits = index.search(crate::search::bounded_query(query), filters, limit);
    let rows: Vec<(SearchDoc, crate::search::Hit)> = hits
        .into_iter()
        .map(|hit| (index.docs[hit.id as usize].clone(), hit))
        .collect();
    crate::search::store::hits_json(&rows)
}

/// The search text of an API's operations, from its contract file
/// (`api/v1/apis/{ns}/{name}.json`), as `search::documents` makes it.
fn operations(api: &Api, kind: &str, entity_ref: &str) -> Vec<String> {
    let Some(path) = entity_ref.strip_prefix("api:").filter(|_| kind == "api") else {
        return Vec::new();
    };
    let Some(contract) = api.json(&format!("{PREFIX}/apis/{path}.json")) else {
        return Vec::new();
    };
    contract["operations"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|op| {
            let mut text = format!("{} {}", text_of(&op["method"]), text_of(&op["path"]));
            if let Some(summary) = op["summary"].as_str() {
                text.push(' ');
                text.push_str(summary);
            }
            text
        })
        .collect()
}

fn text_of(value: &Json) -> &str {
    value.as_str().unwrap_or_default()
}

/// One search document per entity file, and per ResourceDefinition its
/// newest version.
fn documents(api: &Api) -> Vec<SearchDoc> {
    let tiers: BTreeMap<String, String> = api
        .rows("services")
        .into_iter()
        .filter_map(|r| Some((r["ref"].as_str()?.to_string(), r["tier"].as_str()?.to_string())))
        .collect();
    let text = |value: &Json| value.as_str().unwrap_or_default().to_string();
    let doc = |kind: &str, entity_ref: String, document: &Json, path: String| {
        let metadata = &document["metadata"];
        let owner = relations(document, "ownedBy")
            .next()
            .map(|r| r.rsplit(['/', ':']).next().unwrap_or(r).to_string())
            .unwrap_or_default();
        let operations = operations(api, kind, &entity_ref);
        SearchDoc {
            kind: kind.to_string(),
            tier: tiers.get(&entity_ref).cloned().unwrap_or_default(),
            entity_ref,
            name: text(&metadata["name"]),
            title: text(&metadata["title"]),
            description: text(&metadata["description"]),
            tags: metadata["tags"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| t.as_str().map(str::to_string))
                .collect(),
            owner,
            lifecycle: text(&document["spec"]["lifecycle"]),
            operations,
            path,
        }
    };
    let mut docs = Vec::new();
    for path in api.paths() {
        let Some(rest) = path
            .strip_prefix("api/v1/entities/")
            .and_then(|p| p.strip_suffix(".json"))
        else {
            continue;
        };
        let mut parts = rest.splitn(3, '/');
        let (Some(kind), Some(namespace), Some(name)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        if kind == Kind::Location.slug() {
            continue;
        }
        if let Some(document) = api.json(path) {
            let page = format!("{kind}/{namespace}/{name}/index.html");
            docs.push(doc(kind, format!("{kind}:{namespace}/{name}"), &document, page));
        }
    }
    for row in api.rows("resources") {
        let Some(name) = row["name"].as_str() else { continue };
        let versions = api
            .json(&format!("{PREFIX}/resources/{name}/versions.json"))
            .unwrap_or_default();
        let Some(newest) = versions["data"][0]["version"].as_str() else {
            continue;
        };
        if let Some(document) = api.json(&format!("{PREFIX}/resources/{name}/{newest}.json")) {
            let namespace = document["metadata"]["namespace"]
                .as_str()
                .unwrap_or("default")
                .to_lowercase();
            let kind = Kind::ResourceDefinition.slug();
            let page = format!("resourcedefinition/{name}/index.html");
            docs.push(doc(kind, format!("{kind}:{namespace}/{name}"), &document, page));
        }
    }
    docs
}

#[cfg(test)]
mod tests;
