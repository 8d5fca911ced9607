//! API contracts: the `spec.definition` of every `kind: API` read as what
//! it describes — OpenAPI 3.0/3.1 and Swagger 2.0 ([`openapi`]), AsyncAPI
//! 2.x/3.x ([`asyncapi`]), GraphQL SDL ([`graphql`]) and protobuf
//! ([`proto`]) — into one [`Reference`] the portal renders as a reference
//! page, the JSON API summarises and search indexes; and two versions of a
//! definition compared change by change ([`compare`]), each change breaking
//! or not with a pointer and a one-line reason.
//!
//! OpenAPI, Swagger and AsyncAPI documents are walked as cairn's own YAML
//! trees (`crate::parse`): JSON is YAML, every node keeps its line, and
//! mappings keep document order (no typed crate covers all three dialects,
//! and one field of an unexpected shape would fail a whole typed document).
//! GraphQL is parsed by `apollo-parser` (error-resilient, every error with
//! its offset), protobuf by `protox-parse` (pure Rust, no `protoc`).
//!
//! Everything here is a pure function of the definition text: no other
//! entity, no file, no network.

pub mod asyncapi;
pub mod graphql;
pub mod openapi;
pub mod proto;
pub mod schema;

use serde::Serialize;

/// The formats cairn reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    OpenApi,
    AsyncApi,
    GraphQl,
    Grpc,
}

impl Format {
    /// The format of a definition: from `spec.type` as Backstage names it
    /// (`openapi`, `asyncapi`, `graphql`, `grpc`), else from the text's
    /// first key (`openapi:`, `swagger:`, `asyncapi:`). `None`: shown as
    /// text.
    pub fn of(spec_type: Option<&str>, text: &str) -> Option<Format> {
        match spec_type.map(str::to_ascii_lowercase).as_deref() {
            Some("openapi" | "swagger") => return Some(Format::OpenApi),
            Some("asyncapi") => return Some(Format::AsyncApi),
            Some("graphql") => return Some(Format::GraphQl),
            Some("grpc" | "protobuf" | "proto") => return Some(Format::Grpc),
            _ => {}
        }
        let first = text
            .lines()
            .map(str::trim_start)
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .unwrap_or_default()
            .trim_start_matches(['{', '"', '\'']);
        if first.starts_with("openapi") || first.starts_with("swagger") {
            Some(Format::OpenApi)
        } else if first.starts_with("asyncapi") {
            Some(Format::AsyncApi)
        } else {
            None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::OpenApi => "openapi",
            Format::AsyncApi => "asyncapi",
            Format::GraphQl => "graphql",
            Format::Grpc => "grpc",
        }
    }
}

/// A definition that could not be read: where (1-based, in the
/// definition's own text) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Invalid {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl Invalid {
    pub fn at(line: u32, column: u32, message: impl Into<String>) -> Invalid {
        Invalid {
            line: line.max(1),
            column: column.max(1),
            message: message.into(),
        }
    }

    /// At a byte offset of `text`.
    pub fn at_offset(text: &str, offset: usize, message: impl Into<String>) -> Invalid {
        let (line, column) = line_column(text, offset);
        Invalid::at(line, column, message)
    }
}

/// The 1-based line and column (in characters) of byte `offset` of `text`.
pub fn line_column(text: &str, offset: usize) -> (u32, u32) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or_default().chars().count() + 1;
    (line as u32, column as u32)
}

/// What a definition describes, ready for the reference page, the JSON API
/// and search.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Reference {
    /// E.g. `OpenAPI 3.1.0`, `Swagger 2.0`, `AsyncAPI 3.0.0`, `GraphQL SDL`,
    /// `proto3`.
    pub dialect: String,
    pub title: Option<String>,
    pub version: Option<String>,
    pub description_html: Option<String>,
    pub servers: Vec<Server>,
    pub security: Vec<SecurityScheme>,
    /// Operations by tag (OpenAPI), channel (AsyncAPI), root type
    /// (GraphQL) or service (gRPC), in document order.
    pub groups: Vec<Group>,
    /// Named schemas, types, messages and enums, linked from operations.
    pub types: Vec<TypeDef>,
    /// Headings that differ by format.
    pub labels: Labels,
}

impl Reference {
    /// The reference of a format without servers, security schemes or an
    /// `info` block (GraphQL, protobuf).
    fn bare(
        dialect: String,
        title: Option<String>,
        groups: Vec<Group>,
        types: Vec<TypeDef>,
        labels: Labels,
    ) -> Reference {
        Reference {
            dialect,
            title,
            version: None,
            description_html: None,
            servers: Vec::new(),
            security: Vec::new(),
            groups,
            types,
            labels,
        }
    }

    /// The reference of an OpenAPI or AsyncAPI document `root`: its title,
    /// version and description from its `info` object.
    fn with_info(
        dialect: String,
        root: &crate::parse::Node,
        servers: Vec<Server>,
        security: Vec<SecurityScheme>,
        groups: Vec<Group>,
        types: Vec<TypeDef>,
        labels: Labels,
    ) -> Reference {
        let info = root.get("info");
        Reference {
            dialect,
            title: info.and_then(|i| i.get_str("title")).map(str::to_string),
            version: info
                .and_then(|i| i.get("version"))
                .and_then(crate::parse::Node::as_scalar_text),
            description_html: markdown(info.and_then(|i| i.get_str("description"))),
            servers,
            security,
            groups,
            types,
            labels,
        }
    }

    /// Every operation, group by group.
    pub fn operations(&self) -> impl Iterator<Item = &Operation> {
        self.groups.iter().flat_map(|g| &g.operations)
    }
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Labels {
    pub parameters: &'static str,
    pub request: &'static str,
    pub responses: &'static str,
    pub types: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Server {
    pub url: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SecurityScheme {
    pub name: String,
    pub kind: String,
    pub details: String,
    pub description_html: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub name: String,
    pub anchor: String,
    pub description_html: Option<String>,
    pub operations: Vec<Operation>,
}

/// One operation: an HTTP method on a path, a GraphQL root field, an rpc,
/// an AsyncAPI send or receive.
#[derive(Debug, Clone, Serialize)]
pub struct Operation {
    /// The id of its section on the page (unique on the page).
    pub anchor: String,
    /// `GET`, `QUERY`, `RPC`, `SEND`…
    pub method: String,
    /// `/payments/{id}`, a field name, `Service/Method`, a channel address.
    pub path: String,
    pub summary: Option<String>,
    pub description_html: Option<String>,
    pub deprecated: bool,
    pub parameters: Vec<Field>,
    pub request: Vec<Body>,
    pub responses: Vec<Response>,
    /// Each alternative of the security requirement, e.g. `oauth2 (read)`.
    pub security: Vec<String>,
}

impl Operation {
    /// What search indexes for it: `GET /payments/{id} Get a payment`.
    pub fn search_text(&self) -> String {
        let mut text = format!("{} {}", self.method, self.path);
        if let Some(summary) = &self.summary {
            text.push(' ');
            text.push_str(summary);
        }
        text
    }
}

/// A request body, a message, a response's content.
#[derive(Debug, Clone, Serialize)]
pub struct Body {
    /// The media type, message or type name.
    pub label: String,
    /// The anchor of the type's own table on the page, when it has one.
    pub link: Option<String>,
    pub description_html: Option<String>,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Response {
    /// `200`, `default`, `returns`.
    pub code: String,
    pub description_html: Option<String>,
    pub bodies: Vec<Body>,
}

/// One row of a schema table; `fields` are the nested rows.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Field {
    pub name: String,
    #[serde(rename = "type")]
    pub ty: String,
    /// Where a parameter goes (`path`, `query`, `header`, `argument`…).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    pub required: bool,
    /// Format, enum values, bounds, default, deprecated…
    pub notes: Vec<String>,
    /// Plain text (autoescaped on the page).
    pub description: Option<String>,
    /// The anchor of the type's own table, when it is a named type shown
    /// there instead of here.
    pub link: Option<String>,
    pub fields: Vec<Field>,
}

/// A named schema, type, message or enum with its own table.
#[derive(Debug, Clone, Serialize)]
pub struct TypeDef {
    pub anchor: String,
    pub name: String,
    /// `schema`, `type`, `input`, `interface`, `enum`, `union`, `scalar`,
    /// `message`.
    pub kind: String,
    pub description_html: Option<String>,
    pub fields: Vec<Field>,
    /// Enum values and union members.
    pub values: Vec<String>,
}

/// What reading a definition gave.
pub type Parsed = Result<Reference, Invalid>;

/// Reads `text` as `format`.
pub fn parse(format: Format, text: &str) -> Parsed {
    match format {
        Format::OpenApi => openapi::reference(text),
        Format::AsyncApi => asyncapi::reference(text),
        Format::GraphQl => graphql::reference(text),
        Format::Grpc => proto::reference(text),
    }
}

/// One difference between two versions of a definition.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Change {
    pub breaking: bool,
    /// Where, in the definition: a JSON pointer for OpenAPI and AsyncAPI,
    /// `/Type/field` for GraphQL, `/package.Message/field` for protobuf.
    pub pointer: String,
    /// One line saying what changed.
    pub reason: String,
}

impl Change {
    pub fn breaking(pointer: impl Into<String>, reason: impl Into<String>) -> Change {
        Change {
            breaking: true,
            pointer: pointer.into(),
            reason: reason.into(),
        }
    }

    pub fn compatible(pointer: impl Into<String>, reason: impl Into<String>) -> Change {
        Change {
            breaking: false,
            pointer: pointer.into(),
            reason: reason.into(),
        }
    }
}

/// The changes from `old` to `new` (format and text each), breaking ones
/// first; `None` when either cannot be read (its own diagnostic says so).
pub fn compare(old: (Format, &str), new: (Format, &str)) -> Option<Vec<Change>> {
    if old.0 != new.0 {
        return Some(vec![Change::breaking(
            "",
            format!(
                "the definition's format changed from {} to {}",
                old.0.as_str(),
                new.0.as_str()
            ),
        )]);
    }
    let mut changes = match new.0 {
        Format::OpenApi => openapi::changes(old.1, new.1)?,
        Format::AsyncApi => asyncapi::changes(old.1, new.1)?,
        Format::GraphQl => graphql::changes(old.1, new.1)?,
        Format::Grpc => proto::changes(old.1, new.1)?,
    };
    changes.sort_by(|a, b| (!a.breaking, &a.pointer, &a.reason).cmp(&(!b.breaking, &b.pointer, &b.reason)));
    changes.dedup();
    Some(changes)
}

/// A page anchor made of `parts`: lowercase letters, digits and dashes.
pub fn slug(prefix: &str, parts: &[&str]) -> String {
    let mut out = String::from(prefix);
    for part in parts {
        for c in part.chars() {
            if c.is_ascii_alphanumeric() {
                out.push(c.to_ascii_lowercase());
            } else if !out.ends_with('-') {
                out.push('-');
            }
        }
        if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// Makes every group and operation anchor of `groups` unique (`-2`, `-3`…
/// after the first), in order. Type anchors are unique by construction
/// (one prefix per kind of name, names unique within it).
fn unique_anchors(groups: &mut [Group]) {
    let mut seen = std::collections::HashSet::new();
    let mut fix = |anchor: &mut String| {
        if !seen.insert(anchor.clone()) {
            let mut n = 2;
            while !seen.insert(format!("{anchor}-{n}")) {
                n += 1;
            }
            *anchor = format!("{anchor}-{n}");
        }
    };
    for group in groups.iter_mut() {
        fix(&mut group.anchor);
        for operation in &mut group.operations {
            fix(&mut operation.anchor);
        }
    }
}

/// Markdown → sanitized HTML, for descriptions that are there.
fn markdown(text: Option<&str>) -> Option<String> {
    text.filter(|t| !t.trim().is_empty())
        .map(crate::util::markdown::to_html)
}

#[cfg(test)]
mod tests;
