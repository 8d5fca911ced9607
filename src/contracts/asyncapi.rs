//! AsyncAPI 2.x and 3.x: channels with their operations and messages
//! (payloads as schema tables), servers and named schemas; and the changes
//! between two versions — a removed channel or message, a new required
//! payload field.
//!
//! 2.x puts `publish`/`subscribe` operations inside each channel, with one
//! message or `oneOf` several; 3.x has channels (an `address` and their
//! `messages`) and top-level `operations` (`action: send|receive`) that
//! refer to a channel and some of its messages.

use super::openapi::document;
use super::schema::Resolver;
use super::{markdown, slug, Body, Change, Group, Invalid, Labels, Operation, Reference, Server};
use crate::parse::Node;
use crate::util::escape_pointer;

/// The headings of an AsyncAPI reference.
const LABELS: Labels = Labels {
    parameters: "Parameters",
    request: "Messages",
    responses: "Replies",
    types: "Schemas",
};

const SCHEMAS: &[&str] = &["/components/schemas/"];

/// One parsed document, of a version [`Spec::parse`] accepted (2.x or 3.x).
struct Spec {
    root: Node,
    version: String,
}

impl Spec {
    fn parse(text: &str) -> Result<Spec, Invalid> {
        let root = document(text)?;
        let Some(node) = root.get("asyncapi") else {
            return Err(Invalid::at(1, 1, "no `asyncapi` field says which version this is"));
        };
        let version = node.as_scalar_text().unwrap_or_default();
        if !matches!(version.split('.').next(), Some("2" | "3")) {
            return Err(Invalid::at(
                node.start.line,
                node.start.column,
                format!("unsupported version `{version}`: cairn reads AsyncAPI 2.x and 3.x"),
            ));
        }
        if let Some(channels) = root.get("channels").filter(|c| c.as_map().is_none()) {
            return Err(Invalid::at(
                channels.start.line,
                channels.start.column,
                "`channels` must be a mapping",
            ));
        }
        Ok(Spec { root, version })
    }

    /// Whether this is AsyncAPI 3.x (top-level operations, channel
    /// addresses) rather than 2.x.
    fn is_v3(&self) -> bool {
        self.version.split('.').next() == Some("3")
    }

    fn resolver(&self) -> Resolver<'_> {
        Resolver {
            root: &self.root,
            sections: SCHEMAS,
        }
    }

    /// Channels: (key, address, channel).
    fn channels(&self) -> Vec<(&str, String, &Node)> {
        let resolver = self.resolver();
        self.root
            .get("channels")
            .and_then(Node::as_map)
            .unwrap_or_default()
            .iter()
            .filter_map(|(key, channel)| {
                let key = key.as_str()?;
                let channel = resolver.deref(channel);
                let address = if self.is_v3() {
                    channel.get_str("address").unwrap_or(key).to_string()
                } else {
                    key.to_string()
                };
                Some((key, address, channel))
            })
            .collect()
    }

    /// The messages of a channel (3.x) or of a 2.x operation: (name,
    /// message, pointer).
    fn messages<'a>(&'a self, holder: &'a Node, at: &str) -> Vec<(String, &'a Node, String)> {
        let resolver = self.resolver();
        let named = |node: &Node, fallback: &str| -> String {
            node.get_str("$ref")
                .and_then(|r| r.rsplit('/').next())
                .map(str::to_string)
                .or_else(|| {
                    let target = resolver.deref(node);
                    target
                        .get_str("name")
                        .or_else(|| target.get_str("messageId"))
                        .map(str::to_string)
                })
                .unwrap_or_else(|| fallback.to_string())
        };
        if self.is_v3() {
            return holder
                .entries_at("messages")
                .map(|(key, message)| {
                    let pointer = format!("{at}/messages/{}", escape_pointer(key));
                    (key.to_string(), resolver.deref(message), pointer)
                })
                .collect();
        }
        let Some(message) = holder.get("message") else {
            return Vec::new();
        };
        let target = resolver.deref(message);
        match target.get("oneOf").and_then(Node::as_seq) {
            Some(options) => options
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    (
                        named(m, &format!("message {}", i + 1)),
                        resolver.deref(m),
                        format!("{at}/message/oneOf/{i}"),
                    )
                })
                .collect(),
            None => vec![(named(message, "message"), target, format!("{at}/message"))],
        }
    }

    /// The payload schema of a message (3.x may wrap it with its format).
    fn payload<'a>(&self, message: &'a Node) -> Option<&'a Node> {
        let payload = message.get("payload")?;
        Some(match (payload.get("schemaFormat"), payload.get("schema")) {
            (Some(_), Some(schema)) => schema,
            _ => payload,
        })
    }
}

/// The reference of an AsyncAPI document.
pub fn reference(text: &str) -> Result<Reference, Invalid> {
    let spec = Spec::parse(text)?;
    let resolver = spec.resolver();
    let root = &spec.root;
    let mut groups: Vec<Group> = Vec::new();
    let body = |name: &str, message: &Node| -> Body {
        let label = message
            .get_str("title")
            .map_or_else(|| name.to_string(), |t| format!("{name} — {t}"));
        let description = message.get_str("summary").or_else(|| message.get_str("description"));
        Body {
            label,
            link: None,
            description_html: markdown(description),
            fields: spec.payload(message).map(|p| resolver.rows(p)).unwrap_or_default(),
        }
    };
    for (key, address, channel) in spec.channels() {
        let at = format!("/channels/{}", escape_pointer(key));
        let mut operations = Vec::new();
        if !spec.is_v3() {
            for action in ["publish", "subscribe"] {
                let Some(operation) = channel.get(action) else { continue };
                let request = spec
                    .messages(operation, &format!("{at}/{action}"))
                    .iter()
                    .map(|(name, message, _)| body(name, message))
                    .collect();
                operations.push(operation_of(action, &address, operation, request));
            }
        } else {
            let channel_ref = format!("#/channels/{}", escape_pointer(key));
            for (id, operation) in root.get("operations").and_then(Node::as_map).unwrap_or_default() {
                let operation = resolver.deref(operation);
                if operation.get("channel").and_then(|c| c.get_str("$ref")) != Some(channel_ref.as_str()) {
                    continue;
                }
                let all = spec.messages(channel, &at);
                let chosen: Vec<&str> = operation
                    .get("messages")
                    .and_then(Node::as_seq)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|m| m.get_str("$ref")?.rsplit('/').next())
                    .collect();
                let request = all
                    .iter()
                    .filter(|(name, ..)| chosen.is_empty() || chosen.contains(&name.as_str()))
                    .map(|(name, message, _)| body(name, message))
                    .collect();
                let action = operation.get_str("action").unwrap_or("operation");
                let mut op = operation_of(action, &address, operation, request);
                if op.summary.is_none() {
                    op.summary = id.as_str().map(str::to_string);
                }
                operations.push(op);
            }
        }
        groups.push(Group {
            name: address.clone(),
            anchor: slug("channel-", &[&address]),
            description_html: markdown(channel.get_str("description")),
            operations,
        });
    }
    super::unique_anchors(&mut groups);
    let types = resolver.types();
    Ok(Reference::with_info(
        format!("AsyncAPI {}", spec.version),
        root,
        servers(&spec),
        Vec::new(),
        groups,
        types,
        LABELS,
    ))
}

fn operation_of(action: &str, address: &str, operation: &Node, request: Vec<Body>) -> Operation {
    Operation {
        anchor: slug("op-", &[action, address]),
        method: action.to_ascii_uppercase(),
        path: address.to_string(),
        summary: operation
            .get_str("summary")
            .or_else(|| operation.get_str("operationId"))
            .map(str::to_string),
        description_html: markdown(operation.get_str("description")),
        deprecated: false,
        parameters: Vec::new(),
        request,
        responses: Vec::new(),
        security: Vec::new(),
    }
}

fn servers(spec: &Spec) -> Vec<Server> {
    spec.root
        .get("servers")
        .and_then(Node::as_map)
        .unwrap_or_default()
        .iter()
        .filter_map(|(name, server)| {
            let url = server.get_str("url").map(str::to_string).or_else(|| {
                Some(format!(
                    "{}{}",
                    server.get_str("host")?,
                    server.get_str("pathname").unwrap_or("")
                ))
            })?;
            let protocol = server.get_str("protocol").unwrap_or("");
            Some(Server {
                url,
                description: Some(format!("{} {protocol}", name.as_str()?).trim().to_string()),
            })
        })
        .collect()
}

/// The changes from the document `old` to `new`; `None` when either cannot
/// be read.
pub fn changes(old: &str, new: &str) -> Option<Vec<Change>> {
    let (old, new) = (Spec::parse(old).ok()?, Spec::parse(new).ok()?);
    let mut out = Vec::new();
    let old_channels = old.channels();
    let new_channels = new.channels();
    for (key, address, channel) in &old_channels {
        let at = format!("/channels/{}", escape_pointer(key));
        let Some((new_key, _, new_channel)) = new_channels.iter().find(|(_, a, _)| a == address) else {
            out.push(Change::breaking(at, format!("channel `{address}` was removed")));
            continue;
        };
        let new_at = format!("/channels/{}", escape_pointer(new_key));
        let old_messages = channel_messages(&old, channel, &at);
        let new_messages = channel_messages(&new, new_channel, &new_at);
        for (name, message, _) in &old_messages {
            match new_messages.iter().find(|(n, ..)| n == name) {
                None => out.push(Change::breaking(
                    new_at.clone(),
                    format!("message `{name}` was removed from channel `{address}`"),
                )),
                Some((_, new_message, pointer)) => {
                    payload_changes(
                        &old,
                        &new,
                        message,
                        new_message,
                        pointer,
                        &format!("{address}: message `{name}`"),
                        &mut out,
                    );
                }
            }
        }
        for (name, _, pointer) in &new_messages {
            if !old_messages.iter().any(|(n, ..)| n == name) {
                out.push(Change::compatible(
                    pointer.clone(),
                    format!("{address}: new message `{name}`"),
                ));
            }
        }
    }
    for (key, address, _) in &new_channels {
        if !old_channels.iter().any(|(_, a, _)| a == address) {
            out.push(Change::compatible(
                format!("/channels/{}", escape_pointer(key)),
                format!("channel `{address}` was added"),
            ));
        }
    }
    if new.is_v3() {
        let ids = |spec: &Spec| -> Vec<String> {
            spec.root
                .get("operations")
                .and_then(Node::as_map)
                .unwrap_or_default()
                .iter()
                .filter_map(|(k, _)| k.as_str().map(str::to_string))
                .collect()
        };
        let kept = ids(&new);
        for id in ids(&old).iter().filter(|id| !kept.contains(id)) {
            out.push(Change::breaking(
                format!("/operations/{}", escape_pointer(id)),
                format!("operation `{id}` was removed"),
            ));
        }
    }
    Some(out)
}

/// Every message a channel carries: its own (3.x) or its operations' (2.x).
fn channel_messages<'a>(spec: &'a Spec, channel: &'a Node, at: &str) -> Vec<(String, &'a Node, String)> {
    if spec.is_v3() {
        return spec.messages(channel, at);
    }
    let mut out: Vec<(String, &Node, String)> = Vec::new();
    for action in ["publish", "subscribe"] {
        if let Some(operation) = channel.get(action) {
            for message in spec.messages(operation, &format!("{at}/{action}")) {
                if !out.iter().any(|(n, ..)| *n == message.0) {
                    out.push(message);
                }
            }
        }
    }
    out
}

/// New required payload fields (and fields removed, which readers lose).
fn payload_changes(old: &Spec, new: &Spec, a: &Node, b: &Node, pointer: &str, what: &str, out: &mut Vec<Change>) {
    let (Some(a), Some(b)) = (old.payload(a), new.payload(b)) else {
        return;
    };
    let (old_resolver, new_resolver) = (old.resolver(), new.resolver());
    let before = old_resolver.properties(a);
    let after = new_resolver.properties(b);
    for (name, _, required) in &after {
        let at = format!("{pointer}/payload/properties/{}", escape_pointer(name));
        match before.iter().find(|(n, ..)| n == name) {
            None if *required => out.push(Change::breaking(
                at,
                format!("{what}: new required payload field `{name}`"),
            )),
            None => out.push(Change::compatible(at, format!("{what}: new payload field `{name}`"))),
            Some((_, _, false)) if *required => out.push(Change::breaking(
                at,
                format!("{what}: payload field `{name}` is now required"),
            )),
            Some(_) => {}
        }
    }
    for (name, ..) in &before {
        if !after.iter().any(|(n, ..)| n == name) {
            out.push(Change::breaking(
                format!("{pointer}/payload/properties/{}", escape_pointer(name)),
                format!("{what}: payload field `{name}` was removed"),
            ));
        }
    }
}
