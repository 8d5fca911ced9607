//! The OpenAPI 3.1 description of the static JSON API (`api/v1/openapi.json`),
//! so clients can be generated for a catalog that is only a set of files.
//! Paths keep their `.json` suffixes: they are the files' real URLs.

use serde_json::{json, Value as Json};

use crate::config::Config;

fn get(summary: &str, schema: &str, params: &[&str]) -> Json {
    let parameters: Vec<Json> = params
        .iter()
        .map(|p| json!({ "name": p, "in": "path", "required": true, "schema": { "type": "string" } }))
        .collect();
    json!({
        "get": {
            "summary": summary,
            "parameters": parameters,
            "responses": { "200": { "description": summary, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } } },
        }
    })
}

/// Every path template of the bundle with its summary, response schema and
/// path parameters.
pub const PATHS: &[(&str, &str, &str, &[&str])] = &[
    (
        "/api/v1/status.json",
        "Counts, build info and diagnostics totals",
        "Status",
        &[],
    ),
    ("/api/v1/services.json", "All services (first page)", "ServicePage", &[]),
    (
        "/api/v1/pages/services/{page}.json",
        "All services (later pages)",
        "ServicePage",
        &["page"],
    ),
    (
        "/api/v1/services/{namespace}/{name}.json",
        "Service detail",
        "ServiceDetail",
        &["namespace", "name"],
    ),
    (
        "/api/v1/services/{namespace}/{name}/dependencies.json",
        "Direct dependencies both ways, and each closure's size, depth and nearest entities (the rest is derived from graph.json)",
        "Dependencies",
        &["namespace", "name"],
    ),
    (
        "/api/v1/graph.json",
        "The dependency graph: every Component and Resource and the positions of what it depends on, from which any closure is computed",
        "Graph",
        &[],
    ),
    (
        "/api/v1/services/{namespace}/{name}/routing.json",
        "Who to page",
        "Routing",
        &["namespace", "name"],
    ),
    ("/api/v1/teams.json", "All teams (first page)", "TeamPage", &[]),
    (
        "/api/v1/pages/teams/{page}.json",
        "All teams (later pages)",
        "TeamPage",
        &["page"],
    ),
    (
        "/api/v1/teams/{namespace}/{name}.json",
        "Team detail",
        "Team",
        &["namespace", "name"],
    ),
    (
        "/api/v1/teams/{namespace}/{name}/services.json",
        "Services a team owns",
        "ServiceList",
        &["namespace", "name"],
    ),
    (
        "/api/v1/resources.json",
        "All ResourceDefinitions, latest version each (first page)",
        "ResourcePage",
        &[],
    ),
    (
        "/api/v1/pages/resources/{page}.json",
        "All ResourceDefinitions (later pages)",
        "ResourcePage",
        &["page"],
    ),
    (
        "/api/v1/resources/{name}.json",
        "Latest version of a ResourceDefinition",
        "ResourceDefinition",
        &["name"],
    ),
    (
        "/api/v1/resources/{name}/versions.json",
        "Every version, newest first",
        "ResourceVersions",
        &["name"],
    ),
    (
        "/api/v1/resources/{name}/{version}.json",
        "One version of a ResourceDefinition",
        "ResourceDefinition",
        &["name", "version"],
    ),
    (
        "/api/v1/entities/{kind}/{namespace}/{name}.json",
        "Any entity, Backstage-shaped, with relations",
        "Entity",
        &["kind", "namespace", "name"],
    ),
    (
        "/api/v1/lookup/aws.json",
        "AWS ARN → the service it belongs to (from discovery)",
        "AwsLookup",
        &[],
    ),
    (
        "/api/v1/claims.json",
        "All ResourceClaims (first page)",
        "ClaimPage",
        &[],
    ),
    (
        "/api/v1/pages/claims/{page}.json",
        "All ResourceClaims (later pages)",
        "ClaimPage",
        &["page"],
    ),
    (
        "/api/v1/claims/{namespace}/{name}.json",
        "A ResourceClaim: resolved version, inputs with defaults, owner, rendered files",
        "Claim",
        &["namespace", "name"],
    ),
    (
        "/api/v1/apis/{namespace}/{name}.json",
        "An API's contract: its definition's format and operations, providers and consumers, and its changes against the base revision",
        "ApiContract",
        &["namespace", "name"],
    ),
    (
        "/api/catalog/entities/by-name/{kind}/{namespace}/{name}",
        "Backstage's catalog API (static): one entity as Backstage serves it, for CatalogClient.getEntityByRef with the base URL {site}/api/catalog",
        "BackstageEntity",
        &["kind", "namespace", "name"],
    ),
    (
        "/api/catalog/entities/by-query",
        "Backstage's catalog API (static): the first page of every entity, as CatalogClient.queryEntities reads it (no filters or cursors: follow pagination.next)",
        "BackstageEntityPage",
        &[],
    ),
    (
        "/api/catalog/pages/entities/{page}.json",
        "Backstage's catalog API (static): later pages of every entity",
        "BackstageEntityPage",
        &["page"],
    ),
    (
        "/api/v1/lookup/aliases.json",
        "Alias (PagerDuty, Datadog, Kubernetes… id) → service, owner and on-call; a manifest when sharded",
        "AliasTable",
        &[],
    ),
    (
        "/api/v1/lookup/aliases/{prefix}.json",
        "One shard of a large alias table: the aliases whose SHA-256 starts with `prefix` (2 hex digits)",
        "AliasShard",
        &["prefix"],
    ),
    ("/api/v1/openapi.json", "This document", "OpenApi", &[]),
];

fn page(row: &str) -> Json {
    json!({
        "type": "object",
        "required": ["data", "pagination"],
        "properties": {
            "data": { "type": "array", "items": { "$ref": format!("#/components/schemas/{row}") } },
            "pagination": { "$ref": "#/components/schemas/Pagination" },
        },
    })
}

fn schemas() -> Json {
    let link = json!({ "$ref": "#/components/schemas/EntityLink" });
    let nullable = |t: &str| json!({ "type": [t, "null"] });
    let mut schemas = json!({
        "Pagination": { "type": "object", "required": ["has_more", "next", "total_count"], "properties": {
            "has_more": { "type": "boolean" }, "next": nullable("string"), "total_count": { "type": "integer" } } },
        "EntityLink": { "type": "object", "required": ["ref", "kind", "name"], "properties": {
            "ref": { "type": "string" }, "kind": { "type": "string" }, "name": { "type": "string" }, "title": nullable("string"),
            "depth": { "type": "integer" }, "confidence": { "type": "number" }, "source": { "type": "string" } } },
        "Status": { "type": "object", "required": ["cairn_version", "counts", "diagnostics"], "properties": {
            "catalog": { "type": "string" }, "cairn_version": { "type": "string" }, "counts": { "type": "object", "additionalProperties": { "type": "integer" } },
            "services": { "type": "integer" }, "teams": { "type": "integer" }, "resources": { "type": "integer" }, "resource_versions": { "type": "integer" },
            "diagnostics": { "type": "object", "properties": { "errors": { "type": "integer" }, "warnings": { "type": "integer" } } },
            "sources": { "type": "array", "items": { "type": "object", "required": ["repository", "commit"], "properties": {
                "repository": { "type": "string" }, "commit": { "type": "string" } } } } } },
        "ServiceSummary": { "type": "object", "required": ["ref", "namespace", "name", "url"], "properties": {
            "ref": { "type": "string" }, "namespace": { "type": "string" }, "name": { "type": "string" }, "title": nullable("string"),
            "description": nullable("string"), "type": nullable("string"), "lifecycle": nullable("string"), "owner": nullable("string"),
            "tier": nullable("string"), "system": nullable("string"), "tags": { "type": "array", "items": { "type": "string" } },
            "repo": nullable("string"), "url": { "type": "string" } } },
        "ServicePage": page("ServiceSummary"),
        "ServiceList": { "type": "object", "properties": { "data": { "type": "array", "items": { "$ref": "#/components/schemas/ServiceSummary" } } } },
        "OnCall": { "type": "object", "properties": { "annotation": { "type": "string" }, "value": { "type": "string" }, "inherited_from_owner": { "type": "boolean" } } },
        "ServiceDetail": { "type": "object", "required": ["ref", "name", "owner", "dependencies", "sources", "provenance"], "properties": {
            "ref": { "type": "string" }, "namespace": { "type": "string" }, "name": { "type": "string" }, "title": nullable("string"),
            "description": nullable("string"), "type": nullable("string"), "lifecycle": nullable("string"),
            "owner": { "oneOf": [link, { "type": "null" }] }, "tier": nullable("string"), "repo": nullable("string"),
            "on_call": { "type": "array", "items": { "$ref": "#/components/schemas/OnCall" } }, "slack": nullable("string"),
            "runbooks": { "type": "array" }, "links": { "type": "array" }, "tags": { "type": "array" }, "tech": { "type": "array" },
            "system": { "oneOf": [link, { "type": "null" }] }, "domain": { "oneOf": [link, { "type": "null" }] },
            "apis": { "type": "object", "properties": { "provides": { "type": "array", "items": link }, "consumes": { "type": "array", "items": link } } },
            "dependencies": { "$ref": "#/components/schemas/ServiceDependencies" },
            "sources": { "type": "object", "properties": { "declared": { "type": "array", "items": { "type": "string" } }, "discovered": { "type": "array", "items": { "type": "string" } } } },
            "confidence": nullable("number"),
            "discovery": { "oneOf": [{ "$ref": "#/components/schemas/Discovery" }, { "type": "null" }] },
            "provenance": { "type": "object", "properties": { "file": { "type": "string" }, "line": { "type": "integer" } } } } },
        "Routing": { "type": "object", "required": ["ref", "on_call", "escalation"], "properties": {
            "ref": { "type": "string" }, "tier": nullable("string"), "owner": { "type": ["object", "null"] }, "slack": nullable("string"),
            "on_call": { "type": "array", "items": { "$ref": "#/components/schemas/OnCall" } }, "escalation": { "type": "array", "items": link } } },
        "TeamSummary": { "type": "object", "required": ["ref", "name", "url"], "properties": {
            "ref": { "type": "string" }, "namespace": { "type": "string" }, "name": { "type": "string" }, "display_name": nullable("string"),
            "type": nullable("string"), "parent": nullable("string"), "services": { "type": "integer" }, "members": { "type": "integer" }, "url": { "type": "string" } } },
        "TeamPage": page("TeamSummary"),
        "Team": { "type": "object", "required": ["ref", "name", "members", "services"], "properties": {
            "ref": { "type": "string" }, "name": { "type": "string" }, "profile": { "type": "object" }, "parent": { "oneOf": [link, { "type": "null" }] },
            "children": { "type": "array", "items": link }, "members": { "type": "array", "items": link }, "slack": nullable("string"),
            "on_call": { "type": "array" }, "services": { "type": "array", "items": link } } },
        "ResourceSummary": { "type": "object", "required": ["name", "versions", "url"], "properties": {
            "name": { "type": "string" }, "latest": nullable("string"), "versions": { "type": "integer" }, "provider": nullable("string"),
            "category": nullable("string"), "resource_type": nullable("string"), "description": nullable("string"), "url": { "type": "string" } } },
        "ResourcePage": page("ResourceSummary"),
        "ResourceVersions": { "type": "object", "required": ["name", "data"], "properties": {
            "name": { "type": "string" },
            "data": { "type": "array", "items": { "$ref": "#/components/schemas/ResourceVersion" } } } },
        "ResourceVersion": { "type": "object", "required": ["version", "yanked", "deprecated", "prerelease", "change", "findings", "url"], "properties": {
            "version": { "type": "string" }, "yanked": { "type": "boolean" }, "deprecated": { "type": "boolean" }, "prerelease": { "type": "boolean" },
            "baseline": nullable("string"),
            "change": { "enum": ["none", "patch", "minor", "major", null], "description": "The largest change class against the baseline" },
            "findings": { "type": "array", "items": { "$ref": "#/components/schemas/Finding" } }, "url": { "type": "string" } } },
        "Finding": { "type": "object", "required": ["rule", "class", "pointer"], "properties": {
            "rule": { "type": "string" }, "class": { "enum": ["none", "patch", "minor", "major"] }, "pointer": { "type": "string" },
            "old": {}, "new": {}, "witness": nullable("string"), "hint": nullable("string") } },
        "ResourceDefinition": { "type": "object", "description": "The definition as written (see schemas/resource-definition.schema.json), plus provenance" },
        "Entity": { "type": "object", "description": "The entity as written, plus `relations: [{type, targetRef}]`", "properties": {
            "relations": { "type": "array", "items": { "type": "object", "properties": { "type": { "type": "string" }, "targetRef": { "type": "string" } } } } } },
        "OpenApi": { "type": "object" },
    });
    for more in [
        discovery_schemas(),
        dependency_schemas(),
        claim_schemas(),
        contract_schemas(),
        super::governance::schemas(),
        super::feed::schemas(),
    ] {
        for (name, schema) in more.as_object().expect("an object") {
            schemas[name] = schema.clone();
        }
    }
    schemas["ServiceDetail"]["properties"]["scorecards"] = json!({ "$ref": "#/components/schemas/ServiceScorecards" });
    schemas["Status"]["properties"]["health"] = super::health::schema();
    schemas
}

/// The dependency files: closures summarised, the graph published once
/// (kept apart for the same reason as [`discovery_schemas`]).
fn dependency_schemas() -> Json {
    let link = json!({ "$ref": "#/components/schemas/EntityLink" });
    json!({
        "ServiceDependencies": { "type": "object", "properties": { "upstream": { "type": "array", "items": link }, "downstream": { "type": "array", "items": link },
            "transitive": { "type": "object", "properties": { "upstream": { "$ref": "#/components/schemas/Reach" }, "downstream": { "$ref": "#/components/schemas/Reach" } } } } },
        "Reach": { "type": "object", "description": "How many entities a closure holds (itself excluded) and the relations on its longest path (a dependency cycle counts as one step).",
            "required": ["count", "depth"], "properties": { "count": { "type": "integer" }, "depth": { "type": "integer" } } },
        "Closure": { "type": "object", "description": "One direction of a service's dependencies. Output size stays linear in entities and relations for any graph shape: the closure is summarised, its nearest entities (at most 50, breadth first) listed; `complete` says whether that is all of it. Compute the rest from graph.json.",
            "required": ["direct", "transitive"], "properties": {
            "direct": { "type": "array", "items": link },
            "transitive": { "type": "object", "required": ["count", "depth", "complete", "nearest"], "properties": {
                "count": { "type": "integer" }, "depth": { "type": "integer" }, "complete": { "type": "boolean" },
                "nearest": { "type": "array", "items": { "type": "object", "properties": { "ref": { "type": "string" }, "depth": { "type": "integer" } } } } } } } },
        "Dependencies": { "type": "object", "required": ["ref", "graph", "upstream", "downstream"], "properties": {
            "ref": { "type": "string" }, "graph": { "type": "string", "description": "The URL of graph.json, relative to the output root." },
            "upstream": { "$ref": "#/components/schemas/Closure" },
            "downstream": { "$ref": "#/components/schemas/Closure" } } },
        "Graph": { "type": "object", "required": ["nodes", "dependsOn"], "properties": {
            "nodes": { "type": "array", "items": { "type": "string" }, "description": "Component and Resource refs, in catalog order." },
            "dependsOn": { "type": "array", "items": { "type": "array", "items": { "type": "integer" } }, "description": "For the node at each position, the positions of the nodes it depends on; reverse the edges for dependents." } } }
    })
}

/// What ResourceClaims add.
fn claim_schemas() -> Json {
    let link = json!({ "$ref": "#/components/schemas/EntityLink" });
    let nullable = |t: &str| json!({ "type": [t, "null"] });
    json!({
        "ClaimSummary": { "type": "object", "required": ["ref", "namespace", "name", "resolved", "url"], "properties": {
            "ref": { "type": "string" }, "namespace": { "type": "string" }, "name": { "type": "string" },
            "resource": nullable("string"), "version": { "type": ["string", "null"], "description": "`spec.version` as written: a version or a requirement" },
            "resolved": { "type": ["string", "null"], "description": "The version it resolves to" },
            "owner": nullable("string"), "url": { "type": "string" } } },
        "ClaimPage": page("ClaimSummary"),
        "Claim": { "type": "object", "required": ["ref", "name", "resolved", "inputs", "rendered"], "properties": {
            "ref": { "type": "string" }, "namespace": { "type": "string" }, "name": { "type": "string" },
            "title": nullable("string"), "description": nullable("string"),
            "resource": nullable("string"), "version": nullable("string"),
            "resolved": { "type": ["object", "null"], "properties": { "version": { "type": "string" }, "yanked": { "type": "boolean" },
                "deprecated": { "type": "boolean" }, "url": { "type": "string" } } },
            "inputs": { "type": ["object", "null"], "description": "Every input of the resolved version the claim fills, defaults included" },
            "defaulted": { "type": "array", "items": { "type": "string" }, "description": "The inputs that got their default" },
            "owner": { "oneOf": [link, { "type": "null" }] }, "system": { "oneOf": [link, { "type": "null" }] },
            "dependency_of": { "type": "array", "items": link },
            "rendered": { "type": "array", "items": { "type": "object", "properties": {
                "engine": { "enum": ["terraform", "crossplane"] }, "path": { "type": "string", "description": "Relative to the output root" } } } },
            "upgrade": { "type": ["object", "null"], "description": "Whether it could move to the newest version, when that is newer", "properties": {
                "version": { "type": "string" }, "could_move": { "type": "boolean" },
                "blocked_by": { "type": "array", "items": { "type": "object", "properties": { "input": { "type": "string" },
                    "reason": { "type": "string" }, "rule": nullable("string"), "finding": nullable("string") } } } } },
            "provenance": { "type": "object", "properties": { "file": { "type": "string" }, "line": { "type": "integer" } } } } },
    })
}

/// What API contracts and Backstage's read API add.
fn contract_schemas() -> Json {
    let link = json!({ "$ref": "#/components/schemas/EntityLink" });
    let nullable = |t: &str| json!({ "type": [t, "null"] });
    json!({
        "ApiContract": { "type": "object", "required": ["ref", "name", "valid", "operations", "providers", "consumers", "changes", "page"], "properties": {
            "ref": { "type": "string" }, "namespace": { "type": "string" }, "name": { "type": "string" }, "title": nullable("string"),
            "description": nullable("string"), "type": nullable("string"), "lifecycle": nullable("string"), "owner": { "oneOf": [link, { "type": "null" }] },
            "format": { "enum": ["openapi", "asyncapi", "graphql", "grpc", null] }, "dialect": nullable("string"), "version": nullable("string"),
            "valid": { "type": "boolean", "description": "Whether the definition could be read as its format" },
            "error": { "type": ["object", "null"], "properties": { "line": { "type": "integer" }, "column": { "type": "integer" }, "message": { "type": "string" } } },
            "operation_count": { "type": "integer" },
            "operations": { "type": "array", "items": { "type": "object", "properties": { "method": { "type": "string" }, "path": { "type": "string" },
                "summary": nullable("string"), "group": { "type": "string" }, "deprecated": { "type": "boolean" },
                "url": { "type": "string", "description": "The operation on the API's page, relative to the output root" } } } },
            "providers": { "type": "array", "items": link }, "consumers": { "type": "array", "items": link },
            "changes": { "type": ["object", "null"], "description": "Against the base revision (null: no base, or the API is new there)", "properties": {
                "breaking": { "type": "integer" },
                "changes": { "type": "array", "items": { "type": "object", "required": ["breaking", "pointer", "reason"], "properties": {
                    "breaking": { "type": "boolean" }, "pointer": { "type": "string" }, "reason": { "type": "string" } } } } } },
            "page": { "type": "string" } } },
        "BackstageEntity": { "type": "object", "required": ["apiVersion", "kind", "metadata", "relations"], "description": "The entity as written, with metadata.uid (stable per ref), metadata.etag (a content hash) and relations",
            "properties": { "apiVersion": { "type": "string" }, "kind": { "type": "string" },
                "metadata": { "type": "object", "required": ["name", "namespace", "uid", "etag"] }, "spec": { "type": "object" },
                "relations": { "type": "array", "items": { "type": "object", "required": ["type", "targetRef"], "properties": {
                    "type": { "type": "string" }, "targetRef": { "type": "string" }, "target": { "type": "object" } } } } } },
        "BackstageEntityPage": { "type": "object", "required": ["items", "totalItems", "pageInfo", "pagination"], "properties": {
            "items": { "type": "array", "items": { "$ref": "#/components/schemas/BackstageEntity" } }, "totalItems": { "type": "integer" },
            "pageInfo": { "type": "object" }, "pagination": { "$ref": "#/components/schemas/Pagination" } } },
    })
}

/// What discovery adds (apart from the rest: one `json!` this size
/// exceeds the macro's recursion limit).
fn discovery_schemas() -> Json {
    let link = json!({ "$ref": "#/components/schemas/EntityLink" });
    let nullable = |t: &str| json!({ "type": [t, "null"] });
    json!({
        "Discovery": { "type": "object", "required": ["discovered", "sources", "existence", "ownership"], "properties": {
            "discovered": { "type": "boolean", "description": "The service exists only because discovery found it" },
            "sources": { "type": "array", "items": { "enum": ["git", "github", "aws"] } },
            "existence": { "type": "number" },
            "repo": { "type": ["object", "null"], "properties": { "slug": { "type": "string" }, "path": { "type": "string" },
                "rule": { "type": "string" }, "confidence": { "type": "number" } } },
            "ownership": { "type": "object", "properties": { "status": { "enum": ["owned", "ambiguous", "unowned"] },
                "confidence": { "type": "number" }, "signals": { "type": "array", "items": { "type": "string" } },
                "candidates": { "type": "array", "items": { "type": "object", "properties": { "ref": { "type": "string" },
                    "url": nullable("string"), "score": { "type": "number" }, "shares": { "type": "object" } } } } } },
            "aws": { "type": "array", "items": { "type": "string" } }, "languages": { "type": "array" }, "runtimes": { "type": "array" },
            "stale": { "enum": ["deprecated", "eol", null] }, "missing_from_snapshots": { "type": "integer" },
            "files": { "type": "array", "items": { "type": "string" } } } },
        "AwsLookup": { "type": "object", "required": ["data"], "properties": { "data": { "type": "object", "additionalProperties": link } } },
        "AliasTable": { "type": "object", "required": ["sharded", "total_count"], "properties": {
            "sharded": { "type": "boolean" }, "total_count": { "type": "integer" },
            "data": { "type": "object", "description": "Unsharded: canonical alias → entry", "additionalProperties": { "$ref": "#/components/schemas/Alias" } },
            "hash": { "const": "sha256" }, "prefix_length": { "type": "integer" },
            "shards": { "type": "string", "description": "Sharded: the shard path template; `{prefix}` is the first hex digits of the SHA-256 of the canonical alias" } } },
        "AliasShard": { "type": "object", "required": ["data"], "properties": {
            "data": { "type": "object", "additionalProperties": { "$ref": "#/components/schemas/Alias" } } } },
        "Alias": { "type": "object", "required": ["alias", "conflict", "services"], "properties": {
            "alias": { "type": "string", "description": "As first written; `sha256:<hex>` for a PagerDuty integration key" },
            "conflict": { "type": "boolean" },
            "services": { "type": "array", "items": { "type": "object", "required": ["ref", "name", "sources", "routing"], "properties": {
                "ref": { "type": "string" }, "name": { "type": "string" }, "title": nullable("string"),
                "sources": { "type": "array", "items": { "type": "string" } },
                "owner": { "oneOf": [link, { "type": "null" }] }, "tier": nullable("string"),
                "on_call": { "type": "array", "items": { "$ref": "#/components/schemas/OnCall" } }, "slack": nullable("string"),
                "runbooks": { "type": "array" }, "url": { "type": "string" }, "routing": { "type": "string" } } } } } },
    })
}

/// The whole OpenAPI document for this catalog.
pub fn document(config: &Config) -> Json {
    let mut paths = serde_json::Map::new();
    for (path, summary, schema, params) in PATHS {
        paths.insert((*path).to_string(), get(summary, schema, params));
    }
    for (path, summary, media, schema, params) in super::governance::PATHS.iter().chain(super::feed::PATHS) {
        let mut operation = get(summary, schema, params);
        let content = &mut operation["get"]["responses"]["200"]["content"];
        *content = json!({ *media: content["application/json"].take() });
        paths.insert((*path).to_string(), operation);
    }
    json!({
        "openapi": "3.1.0",
        "info": { "title": format!("{} — static catalog API", config.site.title), "version": "1" },
        "servers": [{ "url": config.site.base_url }],
        "paths": paths,
        "components": { "schemas": schemas() },
    })
}
