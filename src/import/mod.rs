//! Import: a running Backstage's catalog → catalog YAML files, for moving
//! to cairn (the connector seed's direction reversed). Like discovery it is
//! outside the pipeline: it reads a server and writes files under `--out`,
//! which the build then reads like any others.
//!
//! * [`fetch`] pages through `/api/catalog/entities/by-query` with cursors
//!   (`/entities` with offsets on a Backstage older than 1.12), with the
//!   `filter` parameters as Backstage reads them; 429 and 5xx are retried
//!   by `crate::client`. A bearer token is sent, never written or printed.
//! * [`plan`] drops what the server adds — `uid`, `etag`, `generation`,
//!   `relations`, `status`, `backstage.io/managed-by-*` annotations — and
//!   lays the entities out one file each (`{namespace}/{kind}/{name}.yaml`)
//!   or one file per owner (`{kind}/{namespace}/{name}.yaml` of the owner,
//!   holding it and what it owns), sorted, so an unchanged Backstage gives
//!   identical bytes. Location entities are not written: their targets'
//!   entities are imported themselves. What could not be mapped as it was
//!   is said in [`Plan::notes`].
//! * [`write`] writes only the files whose bytes changed and removes the
//!   files a previous import wrote that this one does not (the list is
//!   kept in `.cairn-import.json` under `--out`).

pub mod yaml;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{bail, Context};
use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
use serde_json::{json, Value as Json};

use crate::client::{display_url, Client, Request};
use crate::model::Kind;

/// The file under `--out` that lists what the last import wrote.
pub const MANIFEST: &str = ".cairn-import.json";

/// How the files are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Layout {
    /// One file per entity: `{namespace}/{kind}/{name}.yaml`.
    Entity,
    /// One file per owner: `{kind}/{namespace}/{name}.yaml` of the owning
    /// Group or User, holding it and everything it owns; the rest in
    /// `unowned.yaml`.
    Owner,
}

/// What to read.
pub struct Source<'a> {
    /// The Backstage base URL (`https://backstage.example.com`), or its
    /// catalog API (`…/api/catalog`).
    pub url: &'a str,
    pub token: Option<&'a str>,
    /// Backstage filters, each `key=value[,key=value…]` (all must match);
    /// an entity matching any filter is read.
    pub filters: &'a [String],
    pub page_size: usize,
}

/// The catalog API's base: `…/api/catalog`.
fn catalog_api(url: &str) -> String {
    let trimmed = url.trim_end_matches('/');
    if trimmed.ends_with("/api/catalog") {
        trimmed.to_string()
    } else {
        format!("{trimmed}/api/catalog")
    }
}

fn query(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(key, value)| format!("{key}={}", utf8_percent_encode(value, NON_ALPHANUMERIC)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Every entity the server holds that the filters select, in the server's
/// order, and the number of requests made.
pub fn fetch(client: &Client, source: &Source, status: &dyn Fn(String)) -> anyhow::Result<(Vec<Json>, usize)> {
    let base = catalog_api(source.url);
    let limit = source.page_size.to_string();
    let mut filters: Vec<(&str, &str)> = source.filters.iter().map(|f| ("filter", f.as_str())).collect();
    filters.push(("limit", &limit));
    let mut entities = Vec::new();
    let mut requests = 0;
    let mut next = Some(format!("{base}/entities/by-query?{}", query(&filters)));
    while let Some(url) = next.take() {
        requests += 1;
        let page = match get(client, &url, source.token, status)? {
            Some(page) => page,
            None if requests == 1 => return fetch_by_offset(client, source, &base, status),
            None => bail!("`{}` answered 404 in the middle of the listing", display_url(&url)),
        };
        let items = page["items"]
            .as_array()
            .with_context(|| format!("`{}` did not answer a page of entities", display_url(&url)))?;
        entities.extend(items.iter().cloned());
        if let Some(cursor) = page["pageInfo"]["nextCursor"].as_str().filter(|_| !items.is_empty()) {
            next = Some(format!(
                "{base}/entities/by-query?{}",
                query(&[("cursor", cursor), ("limit", &limit)])
            ));
        }
    }
    Ok((entities, requests))
}

/// The listing of a Backstage without `/entities/by-query` (before 1.12):
/// `/entities` with `offset` and `limit`.
fn fetch_by_offset(
    client: &Client,
    source: &Source,
    base: &str,
    status: &dyn Fn(String),
) -> anyhow::Result<(Vec<Json>, usize)> {
    status("this Backstage has no /entities/by-query: paging /entities by offset".into());
    let mut entities = Vec::new();
    let mut requests = 1;
    loop {
        let (limit, offset) = (source.page_size.to_string(), entities.len().to_string());
        let mut pairs: Vec<(&str, &str)> = source.filters.iter().map(|f| ("filter", f.as_str())).collect();
        pairs.extend([("limit", limit.as_str()), ("offset", offset.as_str())]);
        let url = format!("{base}/entities?{}", query(&pairs));
        requests += 1;
        let page = get(client, &url, source.token, status)?
            .with_context(|| format!("`{}` has no catalog API (404)", display_url(&url)))?;
        let items = page
            .as_array()
            .with_context(|| format!("`{}` did not answer a list of entities", display_url(&url)))?;
        entities.extend(items.iter().cloned());
        if items.len() < source.page_size {
            return Ok((entities, requests));
        }
    }
}

/// A GET answered with JSON; `None` for a 404. Refusals and failures after
/// the retries are errors that name the status, never the token.
fn get(client: &Client, url: &str, token: Option<&str>, status: &dyn Fn(String)) -> anyhow::Result<Option<Json>> {
    let mut headers = vec![("Accept".to_string(), "application/json".to_string())];
    if let Some(token) = token {
        headers.push(("Authorization".into(), format!("Bearer {token}")));
    }
    let request = Request {
        method: http::Method::GET,
        url: url.to_string(),
        headers,
        body: Vec::new(),
    };
    let outcome = client.send(&request, |attempt, why, wait| {
        status(format!(
            "{}: {why} on attempt {attempt}; retrying in {:.1} s",
            display_url(url),
            wait.as_secs_f64()
        ));
    });
    match &outcome.result {
        Ok(response) if response.status == 404 => Ok(None),
        Ok(response) if response.status == 401 || response.status == 403 => bail!(
            "Backstage refused the request (HTTP {}): {}",
            response.status,
            if token.is_some() {
                "check the token"
            } else {
                "it needs a token (--token-env VAR)"
            }
        ),
        Ok(response) if (200..300).contains(&response.status) => serde_json::from_slice(&response.body)
            .map(Some)
            .with_context(|| format!("`{}` did not answer JSON", display_url(url))),
        _ => bail!(
            "`{}` failed: {} after {} attempt(s)",
            display_url(url),
            outcome.failure(),
            outcome.attempts
        ),
    }
}

/// What an import writes, before it is written.
#[derive(Debug, Default, PartialEq)]
pub struct Plan {
    /// Relative path → file contents.
    pub files: BTreeMap<String, String>,
    /// Entities imported.
    pub entities: usize,
    /// What was not written, or not written as it was.
    pub notes: Vec<String>,
}

/// An entity's ref, lowercase: `kind:namespace/name`.
fn reference(entity: &Json) -> String {
    let metadata = &entity["metadata"];
    format!(
        "{}:{}/{}",
        entity["kind"].as_str().unwrap_or("unknown").to_lowercase(),
        metadata["namespace"].as_str().unwrap_or("default").to_lowercase(),
        metadata["name"].as_str().unwrap_or("unnamed").to_lowercase()
    )
}

/// The entity as it would be written in a catalog file: without what the
/// server adds.
pub fn clean(mut entity: Json) -> Json {
    if let Json::Object(map) = &mut entity {
        map.remove("relations");
        map.remove("status");
    }
    if let Some(Json::Object(metadata)) = entity.get_mut("metadata") {
        for key in ["uid", "etag", "generation", "selfLink"] {
            metadata.remove(key);
        }
        if let Some(Json::Object(annotations)) = metadata.get_mut("annotations") {
            annotations.retain(|key, _| !key.starts_with("backstage.io/managed-by-"));
            if annotations.is_empty() {
                metadata.remove("annotations");
            }
        }
    }
    entity
}

/// A path segment from a name: letters, digits, `.`, `_` and `-`, lowercase;
/// anything else becomes `_`, and `.`/`..` cannot come out.
fn segment(text: &str) -> String {
    let cleaned: String = text
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if cleaned.is_empty() || cleaned.chars().all(|c| c == '.') {
        format!("_{cleaned}")
    } else {
        cleaned
    }
}

/// The owner an entity's file goes with in the owner layout: its
/// `spec.owner` (a Group by default), a Group or User itself, else none.
fn owner_file(entity: &Json) -> Option<String> {
    let kind = entity["kind"].as_str().unwrap_or_default().to_lowercase();
    let namespace = entity["metadata"]["namespace"].as_str().unwrap_or("default");
    if let Some(owner) = entity["spec"]["owner"].as_str() {
        let parsed = crate::resolve::parse_ref(owner).ok()?;
        let owner_kind = parsed.kind.unwrap_or("group");
        return Some(format!(
            "{}/{}/{}.yaml",
            segment(owner_kind),
            segment(parsed.namespace.unwrap_or(namespace)),
            segment(parsed.name)
        ));
    }
    matches!(kind.as_str(), "group" | "user").then(|| {
        let name = entity["metadata"]["name"].as_str().unwrap_or_default();
        format!("{kind}/{}/{}.yaml", segment(namespace), segment(name))
    })
}

/// The files for `entities`: cleaned, sorted by ref, laid out by `layout`.
pub fn plan(entities: Vec<Json>, layout: Layout) -> Plan {
    let mut plan = Plan::default();
    let mut by_ref: BTreeMap<String, Json> = BTreeMap::new();
    for entity in entities {
        let key = reference(&entity);
        if entity["kind"]
            .as_str()
            .is_some_and(|k| k.eq_ignore_ascii_case("location"))
        {
            plan.notes.push(format!(
                "skipped {key}: a Location; the entities it registers are imported themselves"
            ));
            continue;
        }
        let api_version = entity["apiVersion"].as_str().unwrap_or_default();
        let kind = entity["kind"].as_str().unwrap_or_default();
        if !api_version.starts_with("backstage.io/") {
            plan.notes.push(format!(
                "{key}: written, but cairn does not read apiVersion `{api_version}`"
            ));
        } else if Kind::from_backstage(kind).is_none() {
            plan.notes
                .push(format!("{key}: written, but cairn does not know kind `{kind}`"));
        }
        if by_ref.insert(key.clone(), clean(entity)).is_some() {
            plan.notes
                .push(format!("{key}: the server listed it twice; written once"));
        }
    }
    plan.entities = by_ref.len();
    let mut documents: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, entity) in &by_ref {
        let path = match layout {
            Layout::Entity => {
                let metadata = &entity["metadata"];
                let name = metadata["name"].as_str().unwrap_or("unnamed");
                let path = format!(
                    "{}/{}/{}.yaml",
                    segment(metadata["namespace"].as_str().unwrap_or("default")),
                    segment(entity["kind"].as_str().unwrap_or("unknown")),
                    segment(name)
                );
                if segment(name) != name.to_lowercase() {
                    plan.notes
                        .push(format!("{key}: its name is no file name; written to {path}"));
                }
                unique(&documents, path)
            }
            Layout::Owner => owner_file(entity).unwrap_or_else(|| "unowned.yaml".into()),
        };
        documents.entry(path).or_default().push(yaml::to_yaml(entity));
    }
    plan.files = documents
        .into_iter()
        .map(|(path, docs)| (path, docs.join("---\n")))
        .collect();
    plan
}

/// `path`, or `path` with `-2`, `-3`… before `.yaml` when taken.
fn unique(taken: &BTreeMap<String, Vec<String>>, path: String) -> String {
    if !taken.contains_key(&path) {
        return path;
    }
    let stem = path.trim_end_matches(".yaml");
    (2..)
        .map(|n| format!("{stem}-{n}.yaml"))
        .find(|candidate| !taken.contains_key(candidate))
        .expect("some suffix is free")
}

/// What [`write`] did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Written {
    pub written: usize,
    pub unchanged: usize,
    pub removed: usize,
}

/// Writes `plan` under `out`: files whose bytes differ (atomically, each a
/// temporary file renamed over it), then removes the files the previous
/// import listed that this one does not, then the new list.
pub fn write(out: &Path, plan: &Plan, origin: &str) -> anyhow::Result<Written> {
    let mut report = Written::default();
    for (relative, text) in &plan.files {
        debug_assert!(crate::output::safe_relative_path(relative), "{relative}");
        anyhow::ensure!(crate::output::safe_relative_path(relative), "unsafe path `{relative}`");
        let path = out.join(relative);
        if std::fs::read(&path).is_ok_and(|bytes| bytes == text.as_bytes()) {
            report.unchanged += 1;
            continue;
        }
        crate::util::write_atomically(&path, |out| out.write_all(text.as_bytes()))?;
        report.written += 1;
    }
    let manifest_path = out.join(MANIFEST);
    let previous: BTreeSet<String> = std::fs::read(&manifest_path)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Json>(&bytes).ok())
        .and_then(|m| m["files"].as_array().cloned())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|f| f.as_str().map(str::to_string))
        .collect();
    for gone in previous.iter().filter(|f| !plan.files.contains_key(*f)) {
        // Only paths this import could have written.
        if crate::output::safe_relative_path(gone) && gone.ends_with(".yaml") {
            match std::fs::remove_file(out.join(gone)) {
                Ok(()) => report.removed += 1,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => return Err(error).with_context(|| format!("cannot remove `{gone}`")),
            }
        }
    }
    let manifest = json!({ "source": origin, "files": plan.files.keys().collect::<Vec<_>>() });
    let mut bytes = serde_json::to_vec_pretty(&manifest).expect("JSON serializes");
    bytes.push(b'\n');
    if std::fs::read(&manifest_path).ok().as_deref() != Some(&bytes[..]) {
        std::fs::create_dir_all(out).with_context(|| format!("cannot create `{}`", out.display()))?;
        std::fs::write(&manifest_path, bytes).with_context(|| format!("cannot write `{}`", manifest_path.display()))?;
    }
    Ok(report)
}

#[cfg(test)]
mod tests;
