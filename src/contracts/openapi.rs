//! OpenAPI 3.0, 3.1 and Swagger 2.0: the reference (operations grouped by
//! tag, parameters, bodies and responses as schema tables, security
//! schemes, servers, named schemas) and the changes between two versions.
//!
//! The dialects differ where this module looks: 2.0 has `definitions`,
//! `in: body` and `formData` parameters, a response's `schema`,
//! `host`/`basePath`/`schemes` and `securityDefinitions`; 3.x has
//! `components`, `requestBody` and `content` per media type, and `servers`;
//! 3.1 adds `webhooks` and `type` arrays in place of `nullable`.

use std::collections::{BTreeMap, BTreeSet};

use super::schema::{self, Resolver};
use super::{
    markdown, slug, Body, Change, Field, Group, Invalid, Labels, Operation, Reference, Response, SecurityScheme, Server,
};
use crate::parse::{parse_yaml, Node};
use crate::util::escape_pointer;

/// The headings of an OpenAPI reference.
const LABELS: Labels = Labels {
    parameters: "Parameters",
    request: "Request body",
    responses: "Responses",
    types: "Schemas",
};

/// The HTTP methods of a path item, in the order pages show them.
pub const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// A YAML or JSON document's root mapping, or where it stops being one.
pub(super) fn document(text: &str) -> Result<Node, Invalid> {
    let parsed = parse_yaml("definition", text);
    if let Some(problem) = parsed.diagnostics.first() {
        let message = problem.message.trim_start_matches("invalid YAML: ").to_string();
        return Err(Invalid::at(problem.location.line, problem.location.column, message));
    }
    let root = parsed
        .documents
        .into_iter()
        .next()
        .ok_or_else(|| Invalid::at(1, 1, "the definition is empty"))?
        .root;
    if root.as_map().is_none() {
        return Err(Invalid::at(
            root.start.line,
            root.start.column,
            "the definition is not a mapping",
        ));
    }
    Ok(root)
}

/// Which OpenAPI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dialect {
    Swagger2,
    OpenApi3,
}

fn dialect(root: &Node) -> Result<(Dialect, String), Invalid> {
    let version = |key: &str| root.get(key).map(|n| (n, n.as_scalar_text().unwrap_or_default()));
    match (version("swagger"), version("openapi")) {
        (Some((_, v)), _) if v == "2.0" => Ok((Dialect::Swagger2, "Swagger 2.0".into())),
        (_, Some((_, v))) if v.starts_with("3.0") || v.starts_with("3.1") => {
            Ok((Dialect::OpenApi3, format!("OpenAPI {v}")))
        }
        (Some((node, v)), _) | (_, Some((node, v))) => Err(Invalid::at(
            node.start.line,
            node.start.column,
            format!("unsupported version `{v}`: cairn reads Swagger 2.0 and OpenAPI 3.0 and 3.1"),
        )),
        (None, None) => Err(Invalid::at(
            1,
            1,
            "no `openapi` or `swagger` field says which version this is",
        )),
    }
}

/// One parsed document.
struct Spec {
    root: Node,
    dialect: Dialect,
    name: String,
}

impl Spec {
    fn parse(text: &str) -> Result<Spec, Invalid> {
        let root = document(text)?;
        let (dialect, name) = dialect(&root)?;
        for key in ["paths", "webhooks"] {
            if let Some(node) = root
                .get(key)
                .filter(|n| n.as_map().is_none() && n.value != crate::parse::Value::Null)
            {
                return Err(Invalid::at(
                    node.start.line,
                    node.start.column,
                    format!("`{key}` must be a mapping"),
                ));
            }
        }
        Ok(Spec { root, dialect, name })
    }

    fn resolver(&self) -> Resolver<'_> {
        Resolver {
            root: &self.root,
            sections: match self.dialect {
                Dialect::Swagger2 => &["/definitions/"],
                Dialect::OpenApi3 => &["/components/schemas/"],
            },
        }
    }

    /// Every operation: (path, method, operation, path item), in document
    /// order; webhooks (3.1) with their name as the path.
    fn operations(&self) -> Vec<(&str, &'static str, &Node, &Node, bool)> {
        let resolver = self.resolver();
        let mut out = Vec::new();
        for (key, webhook) in [("paths", false), ("webhooks", true)] {
            for (path, item) in self.root.get(key).and_then(Node::as_map).unwrap_or_default() {
                let Some(path) = path.as_str() else { continue };
                let item = resolver.deref(item);
                for method in METHODS {
                    if let Some(operation) = item.get(method).filter(|o| o.as_map().is_some()) {
                        out.push((path, method, operation, item, webhook));
                    }
                }
            }
        }
        out
    }

    /// The parameters of an operation, path-level ones first, an
    /// operation's own replacing those of the same name and place.
    fn parameters<'a>(&'a self, operation: &'a Node, item: &'a Node) -> Vec<&'a Node> {
        let resolver = self.resolver();
        let mut out: Vec<&Node> = Vec::new();
        for list in [item.get("parameters"), operation.get("parameters")] {
            for parameter in list.and_then(Node::as_seq).unwrap_or_default() {
                let parameter = resolver.deref(parameter);
                let key = (parameter.get_str("name"), parameter.get_str("in"));
                out.retain(|p| (p.get_str("name"), p.get_str("in")) != key);
                out.push(parameter);
            }
        }
        out
    }

    /// The request bodies: (media type, schema, required, pointer).
    fn request<'a>(
        &'a self,
        operation: &'a Node,
        item: &'a Node,
        at: &str,
    ) -> Vec<(String, Option<&'a Node>, bool, String)> {
        match self.dialect {
            Dialect::Swagger2 => {
                let consumes = self.media(operation, "consumes");
                let parameters = self.parameters(operation, item);
                let mut out = Vec::new();
                if let Some(body) = parameters.iter().find(|p| p.get_str("in") == Some("body")) {
                    out.push((
                        consumes,
                        body.get("schema"),
                        is_true(body.get("required")),
                        format!("{at}/parameters"),
                    ));
                }
                out
            }
            Dialect::OpenApi3 => {
                let Some(body) = operation.get("requestBody").map(|b| self.resolver().deref(b)) else {
                    return Vec::new();
                };
                let required = is_true(body.get("required"));
                let content = body.get("content").and_then(Node::as_map).unwrap_or_default();
                content
                    .iter()
                    .filter_map(|(media, value)| {
                        let media = media.as_str()?;
                        Some((
                            media.to_string(),
                            value.get("schema"),
                            required,
                            format!("{at}/requestBody/content/{}/schema", escape_pointer(media)),
                        ))
                    })
                    .collect()
            }
        }
    }

    /// The responses: (code, response, [(media type, schema, pointer)]).
    #[allow(clippy::type_complexity)]
    fn responses<'a>(
        &'a self,
        operation: &'a Node,
        at: &str,
    ) -> Vec<(String, &'a Node, Vec<(String, &'a Node, String)>)> {
        let resolver = self.resolver();
        let mut out = Vec::new();
        for (code, response) in operation.get("responses").and_then(Node::as_map).unwrap_or_default() {
            let Some(code) = code.as_scalar_text() else { continue };
            let response = resolver.deref(response);
            let base = format!("{at}/responses/{}", escape_pointer(&code));
            let schemas = match self.dialect {
                Dialect::Swagger2 => response
                    .get("schema")
                    .map(|s| vec![(self.media(operation, "produces"), s, format!("{base}/schema"))])
                    .unwrap_or_default(),
                Dialect::OpenApi3 => response
                    .entries_at("content")
                    .filter_map(|(media, value)| {
                        let pointer = format!("{base}/content/{}/schema", escape_pointer(media));
                        Some((media.to_string(), value.get("schema")?, pointer))
                    })
                    .collect(),
            };
            out.push((code, response, schemas));
        }
        out
    }

    /// Swagger's `consumes`/`produces` of an operation or the document.
    fn media(&self, operation: &Node, key: &str) -> String {
        let list = operation.get(key).or_else(|| self.root.get(key));
        let media: Vec<&str> = list
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter_map(Node::as_str)
            .collect();
        if media.is_empty() {
            "application/json".into()
        } else {
            media.join(", ")
        }
    }

    /// The security requirement that applies: each alternative as the
    /// schemes (with scopes) it needs.
    fn security<'a>(&'a self, operation: &'a Node) -> Option<Vec<BTreeMap<&'a str, Vec<&'a str>>>> {
        let list = operation
            .get("security")
            .or_else(|| self.root.get("security"))?
            .as_seq()?;
        if list.is_empty() {
            // `security: []`: anyone may call it.
            return Some(vec![BTreeMap::new()]);
        }
        Some(
            list.iter()
                .map(|alternative| {
                    alternative
                        .as_map()
                        .unwrap_or_default()
                        .iter()
                        .filter_map(|(k, v)| {
                            let scopes = v.as_seq().unwrap_or_default().iter().filter_map(Node::as_str).collect();
                            Some((k.as_str()?, scopes))
                        })
                        .collect()
                })
                .collect(),
        )
    }
}

fn is_true(node: Option<&Node>) -> bool {
    node.is_some_and(|n| n.value == crate::parse::Value::Bool(true))
}

fn text_at(node: &Node, key: &str) -> Option<String> {
    node.get_str(key).map(str::to_string)
}

/// The reference of an OpenAPI or Swagger document.
pub fn reference(text: &str) -> Result<Reference, Invalid> {
    let spec = Spec::parse(text)?;
    let resolver = spec.resolver();
    let root = &spec.root;
    let mut groups: Vec<Group> = Vec::new();
    let declared: Vec<(&str, Option<&str>)> = root
        .get("tags")
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(|t| Some((t.get_str("name")?, t.get_str("description"))))
        .collect();
    for (path, method, operation, item, webhook) in spec.operations() {
        let tag = if webhook {
            "Webhooks"
        } else {
            operation
                .get("tags")
                .and_then(Node::as_seq)
                .and_then(|t| t.first())
                .and_then(Node::as_str)
                .unwrap_or("default")
        };
        let at = format!("/paths/{}/{method}", escape_pointer(path));
        let operation = describe(&spec, &resolver, path, method, operation, item, &at);
        match groups.iter_mut().find(|g| g.name == tag) {
            Some(group) => group.operations.push(operation),
            None => groups.push(Group {
                name: tag.to_string(),
                anchor: slug("tag-", &[tag]),
                description_html: markdown(declared.iter().find(|(n, _)| *n == tag).and_then(|(_, d)| *d)),
                operations: vec![operation],
            }),
        }
    }
    // Tags in the order the document declares them, then the others.
    let position = |name: &str| declared.iter().position(|(n, _)| *n == name).unwrap_or(usize::MAX);
    groups.sort_by_key(|g| position(&g.name));
    super::unique_anchors(&mut groups);
    let types = resolver.types();
    Ok(Reference::with_info(
        spec.name.clone(),
        root,
        servers(&spec),
        security_schemes(&spec),
        groups,
        types,
        LABELS,
    ))
}

fn describe(
    spec: &Spec,
    resolver: &Resolver,
    path: &str,
    method: &str,
    operation: &Node,
    item: &Node,
    at: &str,
) -> Operation {
    let parameters: Vec<Field> = spec
        .parameters(operation, item)
        .into_iter()
        .filter(|p| !matches!(p.get_str("in"), Some("body" | "formData")))
        .map(|p| parameter(resolver, p))
        .collect();
    let mut request: Vec<Body> = Vec::new();
    for (media, schema, required, _) in spec.request(operation, item, at) {
        let fields = schema.map(|s| resolver.rows(s)).unwrap_or_default();
        let label = if required { format!("{media} (required)") } else { media };
        push_body(&mut request, label, schema.and_then(|s| resolver.label(s).1), fields);
    }
    let form: Vec<Field> = spec
        .parameters(operation, item)
        .into_iter()
        .filter(|p| p.get_str("in") == Some("formData"))
        .map(|p| parameter(resolver, p))
        .collect();
    if !form.is_empty() {
        request.push(Body {
            label: spec.media(operation, "consumes"),
            link: None,
            description_html: None,
            fields: form,
        });
    }
    let responses = spec
        .responses(operation, at)
        .into_iter()
        .map(|(code, response, schemas)| {
            let mut bodies = Vec::new();
            for (media, schema, _) in schemas {
                push_body(&mut bodies, media, resolver.label(schema).1, resolver.rows(schema));
            }
            Response {
                code,
                description_html: markdown(response.get_str("description")),
                bodies,
            }
        })
        .collect();
    let security = spec
        .security(operation)
        .unwrap_or_default()
        .into_iter()
        .map(|alternative| {
            if alternative.is_empty() {
                return "none (anonymous)".to_string();
            }
            alternative
                .iter()
                .map(|(name, scopes)| {
                    if scopes.is_empty() {
                        name.to_string()
                    } else {
                        format!("{name} ({})", scopes.join(", "))
                    }
                })
                .collect::<Vec<_>>()
                .join(" + ")
        })
        .collect();
    Operation {
        anchor: slug("op-", &[method, path]),
        method: method.to_ascii_uppercase(),
        path: path.to_string(),
        summary: text_at(operation, "summary").or_else(|| text_at(operation, "operationId")),
        description_html: markdown(operation.get_str("description")),
        deprecated: is_true(operation.get("deprecated")),
        parameters,
        request,
        responses,
        security,
    }
}

/// A body, or another media type's label on the previous body when both
/// have the same rows.
fn push_body(bodies: &mut Vec<Body>, label: String, link: Option<String>, fields: Vec<Field>) {
    if let Some(last) = bodies.last_mut() {
        if format!("{:?}", last.fields) == format!("{:?}", fields) && last.link == link {
            last.label = format!("{}, {label}", last.label);
            return;
        }
    }
    bodies.push(Body {
        label,
        link,
        description_html: None,
        fields,
    });
}

fn parameter(resolver: &Resolver, parameter: &Node) -> Field {
    // 3.x: `schema` (or `content`); 2.0: the type on the parameter itself.
    let schema = parameter
        .get("schema")
        .or_else(|| {
            parameter
                .get("content")
                .and_then(Node::as_map)
                .and_then(|c| c.first())
                .and_then(|(_, m)| m.get("schema"))
        })
        .unwrap_or(parameter);
    let (ty, link) = resolver.label(schema);
    let mut notes = schema::notes(resolver.deref(schema));
    if is_true(parameter.get("deprecated")) {
        notes.push("deprecated".into());
    }
    Field {
        name: parameter.get_str("name").unwrap_or_default().to_string(),
        ty,
        location: parameter.get_str("in").map(str::to_string),
        required: is_true(parameter.get("required")),
        notes,
        description: text_at(parameter, "description"),
        link,
        fields: Vec::new(),
    }
}

fn servers(spec: &Spec) -> Vec<Server> {
    let root = &spec.root;
    if spec.dialect == Dialect::Swagger2 {
        let Some(host) = root.get_str("host") else {
            return Vec::new();
        };
        let base = root.get_str("basePath").unwrap_or("");
        let schemes: Vec<&str> = root
            .get("schemes")
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter_map(Node::as_str)
            .collect();
        let schemes = if schemes.is_empty() { vec!["https"] } else { schemes };
        return schemes
            .into_iter()
            .map(|scheme| Server {
                url: format!("{scheme}://{host}{base}"),
                description: None,
            })
            .collect();
    }
    root.get("servers")
        .and_then(Node::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(|s| {
            Some(Server {
                url: s.get_str("url")?.to_string(),
                description: text_at(s, "description"),
            })
        })
        .collect()
}

fn security_schemes(spec: &Spec) -> Vec<SecurityScheme> {
    let resolver = spec.resolver();
    let schemes = match spec.dialect {
        Dialect::Swagger2 => spec.root.get("securityDefinitions"),
        Dialect::OpenApi3 => spec.root.pointer("/components/securitySchemes"),
    };
    schemes
        .and_then(Node::as_map)
        .unwrap_or_default()
        .iter()
        .filter_map(|(name, scheme)| {
            let scheme = resolver.deref(scheme);
            let kind = scheme.get_str("type").unwrap_or("unknown").to_string();
            let details = match kind.as_str() {
                "apiKey" => format!(
                    "{} in {}",
                    scheme.get_str("name").unwrap_or("?"),
                    scheme.get_str("in").unwrap_or("?")
                ),
                "http" => {
                    let mut d = format!("scheme {}", scheme.get_str("scheme").unwrap_or("?"));
                    if let Some(format) = scheme.get_str("bearerFormat") {
                        d.push_str(&format!(" ({format})"));
                    }
                    d
                }
                "openIdConnect" => scheme.get_str("openIdConnectUrl").unwrap_or_default().to_string(),
                "oauth2" => oauth_flows(scheme),
                _ => String::new(),
            };
            Some(SecurityScheme {
                name: name.as_str()?.to_string(),
                kind,
                details,
                description_html: markdown(scheme.get_str("description")),
            })
        })
        .collect()
}

fn oauth_flows(scheme: &Node) -> String {
    let scopes = |node: &Node| -> String {
        let names: Vec<&str> = node
            .get("scopes")
            .and_then(Node::as_map)
            .unwrap_or_default()
            .iter()
            .filter_map(|(k, _)| k.as_str())
            .collect();
        if names.is_empty() {
            String::new()
        } else {
            format!(" (scopes: {})", names.join(", "))
        }
    };
    if let Some(flow) = scheme.get_str("flow") {
        return format!("{flow}{}", scopes(scheme));
    }
    scheme
        .get("flows")
        .and_then(Node::as_map)
        .unwrap_or_default()
        .iter()
        .filter_map(|(name, flow)| Some(format!("{}{}", name.as_str()?, scopes(flow))))
        .collect::<Vec<_>>()
        .join("; ")
}

// ---------------------------------------------------------------------------
// Changes between two versions.

/// Which way data flows through a schema: what clients send (narrowing
/// breaks them) or what they read (widening breaks them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    Request,
    Response,
}

/// The changes from the document `old` to `new`; `None` when either cannot
/// be read.
pub fn changes(old: &str, new: &str) -> Option<Vec<Change>> {
    let (old, new) = (Spec::parse(old).ok()?, Spec::parse(new).ok()?);
    let mut out = Vec::new();
    let old_ops = old.operations();
    let new_ops = new.operations();
    let find = |ops: &[(&str, &str, &'_ Node, &'_ Node, bool)], path: &str, method: &str| {
        ops.iter().position(|(p, m, ..)| *p == path && *m == method)
    };
    let new_paths: BTreeSet<&str> = new_ops.iter().map(|o| o.0).collect();
    let mut removed_paths = BTreeSet::new();
    for &(path, method, old_op, old_item, _) in &old_ops {
        let at = format!("/paths/{}/{method}", escape_pointer(path));
        let name = format!("{} {path}", method.to_ascii_uppercase());
        if !new_paths.contains(path) {
            if removed_paths.insert(path) {
                out.push(Change::breaking(
                    format!("/paths/{}", escape_pointer(path)),
                    format!("path `{path}` was removed"),
                ));
            }
            continue;
        }
        let Some(i) = find(&new_ops, path, method) else {
            out.push(Change::breaking(at, format!("operation `{name}` was removed")));
            continue;
        };
        let (_, _, new_op, new_item, _) = new_ops[i];
        let mut pair = Pair {
            old: &old,
            new: &new,
            out: &mut out,
            name: &name,
        };
        pair.parameters(old_op, old_item, new_op, new_item, &at);
        pair.request(old_op, old_item, new_op, new_item, &at);
        pair.responses(old_op, new_op, &at);
        pair.security(old_op, new_op, &at);
    }
    for &(path, method, ..) in &new_ops {
        if find(&old_ops, path, method).is_none() {
            out.push(Change::compatible(
                format!("/paths/{}/{method}", escape_pointer(path)),
                format!("operation `{} {path}` was added", method.to_ascii_uppercase()),
            ));
        }
    }
    Some(out)
}

struct Pair<'s, 'o> {
    old: &'s Spec,
    new: &'s Spec,
    out: &'o mut Vec<Change>,
    /// `GET /payments/{id}`.
    name: &'s str,
}

impl Pair<'_, '_> {
    fn push(&mut self, breaking: bool, pointer: String, reason: String) {
        let reason = format!("{}: {reason}", self.name);
        self.out.push(Change {
            breaking,
            pointer,
            reason,
        });
    }

    fn parameters(&mut self, old_op: &Node, old_item: &Node, new_op: &Node, new_item: &Node, at: &str) {
        let key = |p: &Node| {
            (
                p.get_str("name").unwrap_or_default().to_string(),
                p.get_str("in").unwrap_or_default().to_string(),
            )
        };
        let plain = |p: &&Node| p.get_str("in") != Some("body");
        let old: Vec<&Node> = self
            .old
            .parameters(old_op, old_item)
            .into_iter()
            .filter(plain)
            .collect();
        let new: Vec<&Node> = self
            .new
            .parameters(new_op, new_item)
            .into_iter()
            .filter(plain)
            .collect();
        for (i, parameter) in new.iter().enumerate() {
            let (name, place) = key(parameter);
            let pointer = format!("{at}/parameters/{i}");
            let before = old.iter().find(|p| key(p) == (name.clone(), place.clone()));
            let required = is_true(parameter.get("required"));
            match before {
                None if required => {
                    self.push(true, pointer, format!("new required {place} parameter `{name}`"));
                }
                None => self.push(false, pointer, format!("new optional {place} parameter `{name}`")),
                Some(before) => {
                    if required && !is_true(before.get("required")) {
                        self.push(
                            true,
                            pointer.clone(),
                            format!("{place} parameter `{name}` is now required"),
                        );
                    }
                    let (a, b) = (
                        before.get("schema").unwrap_or(before),
                        parameter.get("schema").unwrap_or(parameter),
                    );
                    let label = format!("{place} parameter `{name}`");
                    self.schema(a, b, format!("{pointer}/schema"), &label, Side::Request, 0);
                }
            }
        }
        for parameter in &old {
            let (name, place) = key(parameter);
            if !new.iter().any(|p| key(p) == (name.clone(), place.clone())) {
                self.push(false, at.to_string(), format!("{place} parameter `{name}` was removed"));
            }
        }
    }

    fn request(&mut self, old_op: &Node, old_item: &Node, new_op: &Node, new_item: &Node, at: &str) {
        let old = self.old.request(old_op, old_item, at);
        let new = self.new.request(new_op, new_item, at);
        let was_required = old.iter().any(|b| b.2);
        if let Some((_, _, true, pointer)) = new.first() {
            if !was_required {
                self.push(true, pointer.clone(), "the request body is now required".into());
            }
        }
        // The first media type of each side: what most clients send.
        if let (Some((_, Some(a), ..)), Some((_, Some(b), _, pointer))) = (old.first(), new.first()) {
            self.schema(a, b, pointer.clone(), "the request body", Side::Request, 0);
        }
    }

    fn responses(&mut self, old_op: &Node, new_op: &Node, at: &str) {
        let old = self.old.responses(old_op, at);
        let new = self.new.responses(new_op, at);
        for (code, _, old_schemas) in &old {
            match new.iter().find(|(c, ..)| c == code) {
                None => self.push(
                    true,
                    format!("{at}/responses/{}", escape_pointer(code)),
                    format!("response `{code}` was removed"),
                ),
                Some((_, _, new_schemas)) => {
                    if let (Some((_, a, _)), Some((_, b, pointer))) = (old_schemas.first(), new_schemas.first()) {
                        let label = format!("response `{code}`");
                        self.schema(a, b, pointer.clone(), &label, Side::Response, 0);
                    }
                }
            }
        }
        for (code, ..) in &new {
            if !old.iter().any(|(c, ..)| c == code) {
                self.push(
                    false,
                    format!("{at}/responses/{}", escape_pointer(code)),
                    format!("new response `{code}`"),
                );
            }
        }
    }

    /// A security requirement added: some client that met an old
    /// alternative meets no new one.
    fn security(&mut self, old_op: &Node, new_op: &Node, at: &str) {
        let none = || vec![BTreeMap::new()];
        let old = self.old.security(old_op).unwrap_or_else(none);
        let new = self.new.security(new_op).unwrap_or_else(none);
        let met = |client: &BTreeMap<&str, Vec<&str>>, need: &BTreeMap<&str, Vec<&str>>| {
            need.iter().all(|(scheme, scopes)| {
                client
                    .get(scheme)
                    .is_some_and(|have| scopes.iter().all(|s| have.contains(s)))
            })
        };
        if let Some(stranded) = old.iter().find(|client| !new.iter().any(|need| met(client, need))) {
            let had = if stranded.is_empty() {
                "no credentials".to_string()
            } else {
                stranded.keys().copied().collect::<Vec<_>>().join(" + ")
            };
            self.push(
                true,
                format!("{at}/security"),
                format!("a security requirement was added: a client with {had} is refused"),
            );
        }
    }

    fn schema(&mut self, old: &Node, new: &Node, pointer: String, what: &str, side: Side, depth: usize) {
        if depth > 12 {
            return;
        }
        let (old_spec, new_spec) = (self.old, self.new);
        let (old_resolver, new_resolver) = (old_spec.resolver(), new_spec.resolver());
        let (a, b) = (old_resolver.deref(old), new_resolver.deref(new));
        let (old_types, new_types) = (types_of(a), types_of(b));
        if !old_types.is_empty() && !new_types.is_empty() && old_types != new_types {
            let accepts =
                |set: &BTreeSet<String>, t: &String| set.contains(t) || (t == "integer" && set.contains("number"));
            let narrowed = old_types.iter().any(|t| !accepts(&new_types, t));
            let widened = new_types.iter().any(|t| !accepts(&old_types, t));
            let (from, to) = (join(&old_types), join(&new_types));
            match side {
                Side::Request if narrowed => self.push(
                    true,
                    pointer.clone(),
                    format!("{what}: type narrowed from {from} to {to}"),
                ),
                Side::Response if widened => self.push(
                    true,
                    pointer.clone(),
                    format!("{what}: type widened from {from} to {to}, which clients may not read"),
                ),
                _ => self.push(
                    false,
                    pointer.clone(),
                    format!("{what}: type changed from {from} to {to}"),
                ),
            }
        }
        let (old_enum, new_enum) = (schema::enum_values(a), schema::enum_values(b));
        if !old_enum.is_empty() || !new_enum.is_empty() {
            let removed: Vec<&String> = old_enum.iter().filter(|v| !new_enum.contains(v)).collect();
            let added: Vec<&String> = new_enum.iter().filter(|v| !old_enum.contains(v)).collect();
            for value in removed.iter().filter(|_| !new_enum.is_empty()) {
                let breaking = side == Side::Request;
                self.push(
                    breaking,
                    pointer.clone(),
                    format!("{what}: enum value `{value}` removed"),
                );
            }
            if old_enum.is_empty() && side == Side::Request {
                self.push(
                    true,
                    pointer.clone(),
                    format!("{what}: values now limited to {}", new_enum.join(", ")),
                );
            } else {
                for value in added.iter().filter(|_| !old_enum.is_empty()) {
                    let breaking = side == Side::Response;
                    self.push(breaking, pointer.clone(), format!("{what}: enum value `{value}` added"));
                }
            }
        }
        let old_props = old_resolver.properties(a);
        let new_props = new_resolver.properties(b);
        for (name, value, required) in &new_props {
            let at = format!("{pointer}/properties/{}", escape_pointer(name));
            let before = old_props.iter().find(|(n, ..)| n == name);
            let label = format!("{what}, property `{name}`");
            match (before, side) {
                (None, Side::Request) if *required => {
                    self.push(true, at, format!("{what}: new required property `{name}`"))
                }
                (None, _) => self.push(false, at, format!("{what}: new property `{name}`")),
                (Some((_, old_value, was_required)), _) => {
                    match side {
                        Side::Request if *required && !was_required => {
                            self.push(true, at.clone(), format!("{what}: property `{name}` is now required"))
                        }
                        Side::Response if !required && *was_required => self.push(
                            true,
                            at.clone(),
                            format!("{what}: property `{name}` may now be missing"),
                        ),
                        _ => {}
                    }
                    self.schema(old_value, value, at, &label, side, depth + 1);
                }
            }
        }
        for (name, ..) in &old_props {
            if !new_props.iter().any(|(n, ..)| n == name) {
                let at = format!("{pointer}/properties/{}", escape_pointer(name));
                let breaking = side == Side::Response;
                self.push(breaking, at, format!("{what}: property `{name}` removed"));
            }
        }
        if let (Some(x), Some(y)) = (a.get("items"), b.get("items")) {
            self.schema(
                x,
                y,
                format!("{pointer}/items"),
                &format!("{what} items"),
                side,
                depth + 1,
            );
        }
    }
}

/// The types a schema allows (`nullable` as `null`).
fn types_of(schema: &Node) -> BTreeSet<String> {
    let mut types: BTreeSet<String> = match schema.get("type").map(|t| &t.value) {
        Some(crate::parse::Value::String(t)) => [t.to_string()].into(),
        Some(crate::parse::Value::Seq(items)) => items.iter().filter_map(|t| t.as_str().map(str::to_string)).collect(),
        _ => BTreeSet::new(),
    };
    if is_true(schema.get("nullable")) && !types.is_empty() {
        types.insert("null".into());
    }
    types
}

fn join(types: &BTreeSet<String>) -> String {
    types.iter().cloned().collect::<Vec<_>>().join(" | ")
}
