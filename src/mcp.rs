//! `cairn mcp`: the catalog as a Model Context Protocol server over stdio,
//! with the official Rust SDK (rmcp). Tools answer from the static JSON
//! API through [`crate::query`] — `search`, `get_entity`, `who_owns` (ref,
//! ARN or alias), `dependencies`, `resource_definition`, `validate_claim`
//! — and every API file is a resource (`cairn://api/v1/…`, with the
//! OpenAPI document's path templates as resource templates).
//!
//! The files come from compiling the catalog in memory, as `cairn serve`
//! does, or from a built site (`--dist`); a watcher rebuilds (or re-reads)
//! them when the catalog (or the site) changes and swaps the new set in
//! whole, so a call sees one build or the next.
//!
//! stdout carries the protocol; everything else goes to stderr. Bad
//! arguments — not fitting a tool's schema, or out of range — and questions
//! whose subject is not in the catalog are tool results with `isError` and
//! a message saying what is wrong, which a model can act on; an unknown
//! resource or cursor is a JSON-RPC error.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{channel, RecvTimeoutError};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context;
use notify::{RecursiveMode, Watcher};
use rmcp::handler::server::{router::tool::ToolRouter, wrapper::Parameters};
use rmcp::model::{
    CallToolResult, ContentBlock, Implementation, ListResourceTemplatesResult, ListResourcesResult,
    PaginatedRequestParams, ReadResourceRequestParams, ReadResourceResponse, ReadResourceResult, Resource,
    ResourceContents, ResourceTemplate, ServerCapabilities, ServerConfig,
};
use rmcp::schemars::JsonSchema;
use rmcp::service::RequestContext;
use rmcp::{tool, tool_handler, tool_router, ErrorData as McpError, RoleServer, ServerHandler, ServiceExt};
use serde::Deserialize;
use serde_json::Value as Json;

use crate::pipeline::Incremental;
use crate::query::{self, Api, Direction, Miss};

/// Resource URIs are this and the file's path.
const SCHEME: &str = "cairn://";

/// Resources per page of `resources/list`.
const RESOURCE_PAGE: usize = 1000;

/// How long the watcher waits for changes to settle.
const SETTLE: Duration = Duration::from_millis(150);

/// Where the catalog comes from.
pub struct Options {
    pub root: PathBuf,
    /// The revision of the published ResourceDefinition versions.
    pub base: Option<String>,
    /// A built site to read instead of compiling.
    pub dist: Option<PathBuf>,
}

/// The current API files, swapped whole on reload.
type Current = Arc<RwLock<Arc<Api>>>;

/// Serves MCP on stdin/stdout until the client closes stdin.
pub fn run(options: Options) -> anyhow::Result<()> {
    let mut incremental = Incremental::new(&options.root, options.base.as_deref());
    let api = load(&options, &mut incremental)?;
    eprintln!("cairn mcp: {} API files from {}", api.paths().count(), source(&options));
    let current: Current = Arc::new(RwLock::new(Arc::new(api)));
    let _watcher = watch(options, incremental, Arc::clone(&current))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the MCP runtime")?;
    runtime.block_on(async {
        let service = Server::new(current)
            .serve(rmcp::transport::stdio())
            .await
            .context("the MCP handshake failed")?;
        service.waiting().await.context("the MCP session failed")?;
        anyhow::Ok(())
    })
}

fn source(options: &Options) -> String {
    match &options.dist {
        Some(dist) => format!("`{}`", dist.display()),
        None => format!("the catalog at `{}`", options.root.display()),
    }
}

/// The API files: the built site's, or the catalog's compiled in memory.
/// A compiled catalog is not kept as the last good one: answers are made
/// from its API files, and nothing patches it.
fn load(options: &Options, incremental: &mut Incremental) -> anyhow::Result<Api> {
    match &options.dist {
        Some(dist) => Api::from_dist(dist),
        None => {
            let mut compilation = incremental.compile(true)?;
            incremental.read_render_inputs(&mut compilation)?;
            let counts = compilation.counts();
            if counts.errors > 0 {
                eprintln!(
                    "cairn mcp: the catalog has {} error(s); answering from it anyway (run `cairn check`)",
                    counts.errors
                );
            }
            Ok(Api::new(crate::emit::api_only(&compilation)))
        }
    }
}

/// Watches the catalog root, or the site's parent directory alone — `cairn
/// build` swaps the whole site in with a rename there — and reloads after
/// changes settle.
fn watch(
    options: Options,
    mut incremental: Incremental,
    current: Current,
) -> anyhow::Result<notify::RecommendedWatcher> {
    let dist = match &options.dist {
        Some(dist) => Some(std::fs::canonicalize(dist).with_context(|| format!("cannot read `{}`", dist.display()))?),
        None => None,
    };
    let (watched, mode) = match &dist {
        Some(dist) => (
            dist.parent().map(Path::to_path_buf).unwrap_or_else(|| dist.clone()),
            RecursiveMode::NonRecursive,
        ),
        None => (
            std::fs::canonicalize(&options.root)
                .with_context(|| format!("cannot read `{}`", options.root.display()))?,
            RecursiveMode::Recursive,
        ),
    };
    let root = watched.clone();
    let (wake, woken) = channel::<()>();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        let Ok(event) = event else {
            let _ = wake.send(());
            return;
        };
        if matches!(event.kind, notify::EventKind::Access(_)) {
            return;
        }
        let relevant = event.paths.iter().any(|path| match &dist {
            Some(dist) => path == dist,
            None => crate::serve::watch::relevant(&root, path),
        });
        if relevant {
            let _ = wake.send(());
        }
    })
    .context("cannot watch for changes")?;
    watcher
        .watch(&watched, mode)
        .with_context(|| format!("cannot watch `{}`", watched.display()))?;
    std::thread::Builder::new()
        .name("cairn-mcp-reload".into())
        .spawn(move || {
            while woken.recv().is_ok() {
                // Let a burst of changes (a save, a build's swap) settle.
                loop {
                    match woken.recv_timeout(SETTLE) {
                        Ok(()) => continue,
                        Err(RecvTimeoutError::Timeout) => break,
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
                match load(&options, &mut incremental) {
                    Ok(api) => {
                        *current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(api);
                        eprintln!("cairn mcp: reloaded from {}", source(&options));
                    }
                    Err(error) => eprintln!("cairn mcp: reload failed, keeping the last answers: {error:#}"),
                }
            }
        })
        .context("cannot start the reload thread")?;
    Ok(watcher)
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
#[serde(deny_unknown_fields)]
struct SearchArgs {
    /// What to look for, typo-tolerant, e.g. `chekout` or `payments api`.
    query: String,
    /// Only entities of this kind: component, api, group, user, system,
    /// domain, resource, resourcedefinition.
    #[serde(default)]
    kind: Option<String>,
    /// Only entities owned by this team or user (its name).
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    lifecycle: Option<String>,
    #[serde(default)]
    tier: Option<String>,
    /// How many results (1–100, default 10).
    #[serde(default)]
    limit: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
#[serde(deny_unknown_fields)]
struct EntityArgs {
    /// An entity ref: `component:default/checkout-service`, `api:orders-api`
    /// or a Component's name.
    #[serde(rename = "ref")]
    reference: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
#[serde(deny_unknown_fields)]
struct WhoOwnsArgs {
    /// An entity ref or name, an AWS ARN, or an alias other tools use: a
    /// PagerDuty service id or integration key, a Datadog service name, a
    /// Kubernetes id or label selector, a Sentry project…
    query: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
#[serde(rename_all = "lowercase")]
enum DirectionArg {
    /// What it depends on.
    Up,
    /// What depends on it.
    Down,
    Both,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
#[serde(deny_unknown_fields)]
struct DependenciesArgs {
    /// An entity ref or a Component's name.
    #[serde(rename = "ref")]
    reference: String,
    /// `up` (what it depends on), `down` (what depends on it) or `both`
    /// (default).
    #[serde(default)]
    direction: Option<DirectionArg>,
    /// How many hops to follow (1 = direct only; default: all).
    #[serde(default)]
    depth: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
#[serde(deny_unknown_fields)]
struct DefinitionArgs {
    /// The ResourceDefinition's name, e.g. `aws-rds-postgres`.
    name: String,
    /// A version, e.g. `2.0.0` (default: the latest stable, not yanked).
    #[serde(default)]
    version: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(crate = "rmcp::schemars")]
#[serde(deny_unknown_fields)]
struct ClaimArgs {
    /// The claim: a ResourceClaim document (`metadata.name`,
    /// `spec.resource`, `spec.version` — exact or a requirement such as
    /// `^2.0` — and `spec.inputs`) as an object or as YAML text, or the
    /// same fields flat: `{resource, version, inputs, name}`.
    claim: Json,
}

/// The MCP server: the current API files and the tools over them.
#[derive(Clone)]
pub struct Server {
    current: Current,
    tool_router: ToolRouter<Self>,
}

/// A tool's answer: the JSON, or what was not found as a tool error.
fn answer(result: Result<Json, Miss>) -> Result<CallToolResult, McpError> {
    Ok(match result {
        Ok(json) => CallToolResult::success(vec![ContentBlock::text(
            serde_json::to_string_pretty(&json).expect("JSON serializes"),
        )]),
        Err(miss) => CallToolResult::error(vec![ContentBlock::text(miss.0)]),
    })
}

/// Arguments that fit the schema but not the tool: a tool error the model
/// can correct, as rmcp reports arguments that do not fit the schema.
fn invalid(message: impl Into<String>) -> Result<CallToolResult, McpError> {
    Ok(CallToolResult::error(vec![ContentBlock::text(message.into())]))
}

#[tool_router]
impl Server {
    fn new(current: Current) -> Server {
        Server {
            current,
            tool_router: Self::tool_router(),
        }
    }

    fn api(&self) -> Arc<Api> {
        Arc::clone(&self.current.read().unwrap_or_else(|p| p.into_inner()))
    }

    #[tool(
        description = "Search the catalog as the portal's Cmd+K does (typo-tolerant, prefix on the last word), with optional filters by kind, owner, lifecycle and tier."
    )]
    async fn search(&self, Parameters(args): Parameters<SearchArgs>) -> Result<CallToolResult, McpError> {
        let limit = args.limit.unwrap_or(10);
        if !(1..=100).contains(&limit) {
            return invalid(format!("limit must be 1 to 100, not {limit}"));
        }
        let filters = crate::search::Filters {
            kind: args.kind,
            owner: args.owner,
            lifecycle: args.lifecycle,
            tier: args.tier,
        };
        answer(Ok(query::search(&self.api(), &args.query, &filters, limit as usize)))
    }

    #[tool(
        description = "One entity as written, with its relations; for a service also its owner (with confidence), on-call, dependencies and what discovery knows."
    )]
    async fn get_entity(&self, Parameters(args): Parameters<EntityArgs>) -> Result<CallToolResult, McpError> {
        answer(query::entity(&self.api(), &args.reference))
    }

    #[tool(
        description = "Who owns a service, given its ref or name, an AWS ARN, or an alias (PagerDuty service id or integration key, Datadog service name, Kubernetes id or label selector…): owner with confidence, tier, on-call, Slack and runbooks."
    )]
    async fn who_owns(&self, Parameters(args): Parameters<WhoOwnsArgs>) -> Result<CallToolResult, McpError> {
        answer(query::who_owns(&self.api(), &args.query))
    }

    #[tool(
        description = "What an entity depends on (up) and what depends on it (down), transitively, each with its depth."
    )]
    async fn dependencies(&self, Parameters(args): Parameters<DependenciesArgs>) -> Result<CallToolResult, McpError> {
        let direction = match args.direction {
            Some(DirectionArg::Up) => Direction::Up,
            Some(DirectionArg::Down) => Direction::Down,
            Some(DirectionArg::Both) | None => Direction::Both,
        };
        if args.depth == Some(0) {
            return invalid("depth must be at least 1");
        }
        answer(query::dependencies(
            &self.api(),
            &args.reference,
            direction,
            args.depth.map(|d| d as usize),
        ))
    }

    #[tool(
        description = "A ResourceDefinition version (default: the latest): its inputs with types and validation, its outputs, its change class against the previous version and the findings, and the other versions."
    )]
    async fn resource_definition(
        &self,
        Parameters(args): Parameters<DefinitionArgs>,
    ) -> Result<CallToolResult, McpError> {
        answer(query::resource_definition(
            &self.api(),
            &args.name,
            args.version.as_deref(),
        ))
    }

    #[tool(
        description = "Check a claim for a ResourceDefinition version with the request form's rules (required inputs, unknown inputs, types, enums, bounds, patterns, the claim's name); the version may be a requirement such as ^2.0."
    )]
    async fn validate_claim(&self, Parameters(args): Parameters<ClaimArgs>) -> Result<CallToolResult, McpError> {
        let claim = match args.claim {
            Json::String(text) => {
                let parsed = crate::parse::parse_yaml("claim.yaml", &text);
                match (parsed.diagnostics.first(), parsed.documents.first()) {
                    (Some(problem), _) => {
                        return invalid(format!("the claim is not YAML: {}", problem.message));
                    }
                    (None, Some(document)) => document.root.to_json(),
                    (None, None) => return invalid("the claim is empty"),
                }
            }
            other => other,
        };
        if !claim.is_object() {
            return invalid("a claim is an object (or YAML text of one)");
        }
        answer(query::claims::validate_claim(&self.api(), &claim))
    }
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().enable_resources().build())
            .with_server_info(Implementation::new("cairn", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "The software catalog compiled by cairn: who owns a service, ARN or alert alias and who is on call, \
                 what depends on what, ResourceDefinitions and their inputs, and claim checks. Every file of the \
                 static JSON API is a resource under cairn://api/v1/.",
            )
    }

    async fn list_resources(
        &self,
        request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourcesResult, McpError> {
        let api = self.api();
        let start = match request.and_then(|r| r.cursor) {
            Some(cursor) => cursor
                .parse::<usize>()
                .map_err(|_| McpError::invalid_params("not a cursor of this server", None))?,
            None => 0,
        };
        let paths: Vec<&str> = api.paths().collect();
        let page: Vec<Resource> = paths
            .iter()
            .skip(start)
            .take(RESOURCE_PAGE)
            .map(|path| {
                let size = api.size(path).unwrap_or_default();
                Resource::new(format!("{SCHEME}{path}"), *path)
                    .with_mime_type("application/json")
                    .with_size(size)
            })
            .collect();
        let mut result = ListResourcesResult::with_all_items(page);
        if start + RESOURCE_PAGE < paths.len() {
            result.next_cursor = Some((start + RESOURCE_PAGE).to_string());
        }
        Ok(result)
    }

    async fn list_resource_templates(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListResourceTemplatesResult, McpError> {
        let templates = crate::emit::openapi::PATHS
            .iter()
            .map(|(path, summary, ..)| {
                let name = path.trim_start_matches('/');
                ResourceTemplate::new(format!("{SCHEME}{name}"), name)
                    .with_description(*summary)
                    .with_mime_type("application/json")
            })
            .collect();
        Ok(ListResourceTemplatesResult::with_all_items(templates))
    }

    async fn read_resource(
        &self,
        request: ReadResourceRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<ReadResourceResponse, McpError> {
        let api = self.api();
        let bytes = request
            .uri
            .strip_prefix(SCHEME)
            .and_then(|path| api.bytes(path))
            .ok_or_else(|| McpError::resource_not_found(format!("no API file at `{}`", request.uri), None))?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        Ok(ReadResourceResult::new(vec![
            ResourceContents::text(text, request.uri.clone()).with_mime_type("application/json")
        ])
        .into())
    }
}
