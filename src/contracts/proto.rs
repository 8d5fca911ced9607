//! Protobuf (`.proto` text, as gRPC APIs carry it), read with
//! `protox-parse`: services and their rpcs with request and response
//! messages, every message (fields with their numbers) and enum; and the
//! changes between two files — a removed service, rpc, field or enum value,
//! a field number reused for another field or a field's type changed.

use prost_types::field_descriptor_proto::{Label, Type as FieldType};
use prost_types::{DescriptorProto, EnumDescriptorProto, FileDescriptorProto};

use super::{markdown, slug, Body, Change, Field, Group, Invalid, Labels, Operation, Reference, Response, TypeDef};

/// The headings of a protobuf reference.
const LABELS: Labels = Labels {
    parameters: "Parameters",
    request: "Request",
    responses: "Response",
    types: "Messages and enums",
};

/// A message or enum with its full name (`Payment.Status` for nested ones).
struct Named<'a, T> {
    name: String,
    def: &'a T,
    /// Its leading comment.
    doc: Option<&'a str>,
}

struct File {
    descriptor: FileDescriptorProto,
}

fn parse(text: &str) -> Result<File, Invalid> {
    match protox_parse::parse("definition.proto", text) {
        Ok(descriptor) => Ok(File { descriptor }),
        Err(error) => {
            let offset = error.span().map_or(0, |span| span.start);
            Err(Invalid::at_offset(text, offset, error.to_string()))
        }
    }
}

impl File {
    /// The leading comment of the element at `path` (descriptor field
    /// numbers and indices, as `source_code_info` records them).
    fn doc(&self, path: &[i32]) -> Option<&str> {
        self.descriptor
            .source_code_info
            .as_ref()?
            .location
            .iter()
            .find(|l| l.path == path)?
            .leading_comments
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
    }

    /// Every message, nested ones after their parent, by full name.
    fn messages(&self) -> Vec<Named<'_, DescriptorProto>> {
        let mut out = Vec::new();
        for (i, message) in self.descriptor.message_type.iter().enumerate() {
            self.walk_message(message, String::new(), vec![4, i as i32], &mut out);
        }
        out
    }

    fn walk_message<'a>(
        &'a self,
        message: &'a DescriptorProto,
        prefix: String,
        path: Vec<i32>,
        out: &mut Vec<Named<'a, DescriptorProto>>,
    ) {
        let name = format!("{prefix}{}", message.name());
        if message.options.as_ref().and_then(|o| o.map_entry) == Some(true) {
            return;
        }
        out.push(Named {
            name: name.clone(),
            def: message,
            doc: self.doc(&path),
        });
        for (i, nested) in message.nested_type.iter().enumerate() {
            let mut nested_path = path.clone();
            nested_path.extend([3, i as i32]);
            self.walk_message(nested, format!("{name}."), nested_path, out);
        }
    }

    /// Every enum, top-level and nested, by full name.
    fn enums(&self) -> Vec<Named<'_, EnumDescriptorProto>> {
        let mut out: Vec<Named<EnumDescriptorProto>> = self
            .descriptor
            .enum_type
            .iter()
            .enumerate()
            .map(|(i, e)| Named {
                name: e.name().to_string(),
                def: e,
                doc: self.doc(&[5, i as i32]),
            })
            .collect();
        for message in self.messages() {
            for e in &message.def.enum_type {
                out.push(Named {
                    name: format!("{}.{}", message.name, e.name()),
                    def: e,
                    doc: None,
                });
            }
        }
        out
    }

    /// A type name as written (`Money`, `acme.v1.Money`, `.acme.v1.Money`)
    /// → the full name of a message or enum of this file.
    fn find(&self, written: &str) -> Option<String> {
        let package = self.descriptor.package();
        let written = written.trim_start_matches('.');
        let written = written
            .strip_prefix(package)
            .and_then(|w| w.strip_prefix('.'))
            .unwrap_or(written);
        let names: Vec<String> = self
            .messages()
            .into_iter()
            .map(|m| m.name)
            .chain(self.enums().into_iter().map(|e| e.name))
            .collect();
        names
            .iter()
            .find(|n| *n == written)
            .or_else(|| names.iter().find(|n| n.ends_with(&format!(".{written}"))))
            .cloned()
    }

    /// A field's type as written in the file: `string`, `Money`,
    /// `repeated Money`, `map<string, int64>`.
    fn field_type(&self, message: &DescriptorProto, field: &prost_types::FieldDescriptorProto) -> String {
        let scalar = |f: &prost_types::FieldDescriptorProto| -> String {
            match f.type_name.as_deref() {
                Some(name) => name.trim_start_matches('.').to_string(),
                None => FieldType::try_from(f.r#type.unwrap_or_default())
                    .map(|t| t.as_str_name().trim_start_matches("TYPE_").to_ascii_lowercase())
                    .unwrap_or_default(),
            }
        };
        if let Some(entry) = field.type_name.as_deref().and_then(|name| {
            let last = name.rsplit('.').next()?;
            message
                .nested_type
                .iter()
                .find(|n| n.name() == last && n.options.as_ref().and_then(|o| o.map_entry) == Some(true))
        }) {
            let part = |i: usize| entry.field.get(i).map(&scalar).unwrap_or_default();
            return format!("map<{}, {}>", part(0), part(1));
        }
        let ty = scalar(field);
        match Label::try_from(field.label.unwrap_or_default()) {
            Ok(Label::Repeated) => format!("repeated {ty}"),
            Ok(Label::Optional) if field.proto3_optional == Some(true) => format!("optional {ty}"),
            _ => ty,
        }
    }

    /// The rows of a message's table: its fields, message types linked.
    fn rows(&self, message: &DescriptorProto) -> Vec<Field> {
        message
            .field
            .iter()
            .map(|field| {
                let ty = self.field_type(message, field);
                let link = field
                    .type_name
                    .as_deref()
                    .and_then(|n| self.find(n))
                    .map(|n| type_anchor(&n));
                Field {
                    name: field.name().to_string(),
                    ty,
                    notes: vec![format!("= {}", field.number())],
                    link,
                    ..Field::default()
                }
            })
            .collect()
    }
}

fn type_anchor(name: &str) -> String {
    slug("type-", &[name])
}

/// The reference of a `.proto` file.
pub fn reference(text: &str) -> Result<Reference, Invalid> {
    let file = parse(text)?;
    let descriptor = &file.descriptor;
    let messages = file.messages();
    let message = |written: &str| -> Body {
        let full = file.find(written);
        let def = full.as_ref().and_then(|n| messages.iter().find(|m| &m.name == n));
        Body {
            label: written.trim_start_matches('.').to_string(),
            link: full.as_deref().map(type_anchor),
            description_html: None,
            fields: def.map(|m| file.rows(m.def)).unwrap_or_default(),
        }
    };
    let package = descriptor.package();
    let mut groups = Vec::new();
    for (s, service) in descriptor.service.iter().enumerate() {
        let full = if package.is_empty() {
            service.name().to_string()
        } else {
            format!("{package}.{}", service.name())
        };
        let operations = service
            .method
            .iter()
            .enumerate()
            .map(|(m, method)| {
                let doc = file.doc(&[6, s as i32, 2, m as i32]);
                let streaming = |on: Option<bool>| if on == Some(true) { "stream " } else { "" };
                let mut request = message(method.input_type());
                request.label = format!("{}{}", streaming(method.client_streaming), request.label);
                let mut response = message(method.output_type());
                response.label = format!("{}{}", streaming(method.server_streaming), response.label);
                Operation {
                    anchor: slug("op-", &[service.name(), method.name()]),
                    method: "RPC".into(),
                    path: format!("{}/{}", service.name(), method.name()),
                    summary: doc.and_then(|d| d.lines().next()).map(str::to_string),
                    description_html: markdown(doc),
                    deprecated: method.options.as_ref().and_then(|o| o.deprecated) == Some(true),
                    parameters: Vec::new(),
                    request: vec![request],
                    responses: vec![Response {
                        code: "returns".into(),
                        description_html: None,
                        bodies: vec![response],
                    }],
                    security: Vec::new(),
                }
            })
            .collect();
        groups.push(Group {
            name: full,
            anchor: slug("service-", &[service.name()]),
            description_html: markdown(file.doc(&[6, s as i32])),
            operations,
        });
    }
    super::unique_anchors(&mut groups);
    let mut types: Vec<TypeDef> = messages
        .iter()
        .map(|m| TypeDef {
            anchor: type_anchor(&m.name),
            name: m.name.clone(),
            kind: "message".into(),
            description_html: markdown(m.doc),
            fields: file.rows(m.def),
            values: Vec::new(),
        })
        .collect();
    types.extend(file.enums().iter().map(|e| {
        TypeDef {
            anchor: type_anchor(&e.name),
            name: e.name.clone(),
            kind: "enum".into(),
            description_html: markdown(e.doc),
            fields: Vec::new(),
            values: e
                .def
                .value
                .iter()
                .map(|v| format!("{} = {}", v.name(), v.number()))
                .collect(),
        }
    }));
    let dialect = descriptor.syntax.clone().unwrap_or_else(|| "proto2".into());
    let title = (!package.is_empty()).then(|| package.to_string());
    Ok(Reference::bare(dialect, title, groups, types, LABELS))
}

/// The changes from the file `old` to `new`; `None` when either cannot be
/// read.
pub fn changes(old: &str, new: &str) -> Option<Vec<Change>> {
    let (old, new) = (parse(old).ok()?, parse(new).ok()?);
    let mut out = Vec::new();
    let package = new.descriptor.package().to_string();
    let prefix = if package.is_empty() {
        String::new()
    } else {
        format!("{package}.")
    };
    for service in &old.descriptor.service {
        let at = format!("/{prefix}{}", service.name());
        let Some(now) = new.descriptor.service.iter().find(|s| s.name() == service.name()) else {
            out.push(Change::breaking(
                at,
                format!("service `{}` was removed", service.name()),
            ));
            continue;
        };
        for method in &service.method {
            let rpc = format!("{}/{}", service.name(), method.name());
            let at = format!("{at}/{}", method.name());
            let Some(after) = now.method.iter().find(|m| m.name() == method.name()) else {
                out.push(Change::breaking(at, format!("rpc `{rpc}` was removed")));
                continue;
            };
            let shape = |m: &prost_types::MethodDescriptorProto| {
                (
                    m.input_type().trim_start_matches('.').to_string(),
                    m.client_streaming(),
                    m.output_type().trim_start_matches('.').to_string(),
                    m.server_streaming(),
                )
            };
            if shape(method) != shape(after) {
                let (a, b) = (shape(method), shape(after));
                out.push(Change::breaking(
                    at,
                    format!(
                        "rpc `{rpc}` changed from ({}) returns ({}) to ({}) returns ({})",
                        a.0, a.2, b.0, b.2
                    ),
                ));
            }
        }
        for method in now
            .method
            .iter()
            .filter(|m| !service.method.iter().any(|o| o.name() == m.name()))
        {
            out.push(Change::compatible(
                format!("{at}/{}", method.name()),
                format!("rpc `{}/{}` was added", service.name(), method.name()),
            ));
        }
    }
    for service in new
        .descriptor
        .service
        .iter()
        .filter(|s| !old.descriptor.service.iter().any(|o| o.name() == s.name()))
    {
        out.push(Change::compatible(
            format!("/{prefix}{}", service.name()),
            format!("service `{}` was added", service.name()),
        ));
    }
    let new_messages = new.messages();
    for message in old.messages() {
        let at = format!("/{prefix}{}", message.name);
        let Some(now) = new_messages.iter().find(|m| m.name == message.name) else {
            out.push(Change::breaking(at, format!("message `{}` was removed", message.name)));
            continue;
        };
        for field in &message.def.field {
            let field_at = format!("{at}/{}", field.name());
            match now.def.field.iter().find(|f| f.number() == field.number()) {
                None => out.push(Change::breaking(
                    field_at,
                    format!(
                        "field `{}` (= {}) of `{}` was removed",
                        field.name(),
                        field.number(),
                        message.name
                    ),
                )),
                Some(after) if after.name() != field.name() => out.push(Change::breaking(
                    format!("{at}/{}", after.name()),
                    format!(
                        "field number {} of `{}` was reused: it was `{}`, it is now `{}`",
                        field.number(),
                        message.name,
                        field.name(),
                        after.name()
                    ),
                )),
                Some(after) => {
                    let (a, b) = (old.field_type(message.def, field), new.field_type(now.def, after));
                    if a != b {
                        out.push(Change::breaking(
                            field_at,
                            format!(
                                "field `{}` (= {}) of `{}` changed type from {a} to {b}",
                                field.name(),
                                field.number(),
                                message.name
                            ),
                        ));
                    }
                }
            }
        }
        for field in now
            .def
            .field
            .iter()
            .filter(|f| !message.def.field.iter().any(|o| o.number() == f.number()))
        {
            out.push(Change::compatible(
                format!("{at}/{}", field.name()),
                format!(
                    "field `{}` (= {}) of `{}` was added",
                    field.name(),
                    field.number(),
                    message.name
                ),
            ));
        }
    }
    let new_enums = new.enums();
    for e in old.enums() {
        let Some(now) = new_enums.iter().find(|n| n.name == e.name) else {
            out.push(Change::breaking(
                format!("/{prefix}{}", e.name),
                format!("enum `{}` was removed", e.name),
            ));
            continue;
        };
        for value in e
            .def
            .value
            .iter()
            .filter(|v| !now.def.value.iter().any(|n| n.name() == v.name()))
        {
            out.push(Change::breaking(
                format!("/{prefix}{}/{}", e.name, value.name()),
                format!("value `{}` of enum `{}` was removed", value.name(), e.name),
            ));
        }
    }
    Some(out)
}
