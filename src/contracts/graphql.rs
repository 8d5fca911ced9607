//! GraphQL SDL, read with `apollo-parser`: queries, mutations and
//! subscriptions (the fields of the root types) as operations, every other
//! type with its fields, enum values and union members; and the changes
//! between two schemas — a removed type, field or enum value, a nullable
//! argument made non-null, a new required argument or input field.

use apollo_parser::cst::{self, CstNode};
use apollo_parser::Parser;

use super::{markdown, slug, Body, Change, Field, Group, Invalid, Labels, Operation, Reference, Response, TypeDef};

/// The headings of a GraphQL reference.
const LABELS: Labels = Labels {
    parameters: "Arguments",
    request: "Input",
    responses: "Returns",
    types: "Types",
};

/// One type of the schema, as far as pages and comparisons need it.
#[derive(Debug, Clone, PartialEq)]
struct Type {
    name: String,
    /// `type`, `interface`, `input`, `enum`, `union`, `scalar`.
    kind: &'static str,
    description: Option<String>,
    fields: Vec<FieldDef>,
    /// Enum values or union members.
    values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
struct FieldDef {
    name: String,
    ty: String,
    description: Option<String>,
    default: Option<String>,
    deprecated: bool,
    arguments: Vec<FieldDef>,
}

struct Schema {
    types: Vec<Type>,
    /// The query, mutation and subscription type names.
    roots: [String; 3],
}

const ROOT_KINDS: [(&str, &str, &str); 3] = [
    ("Query", "QUERY", "Queries"),
    ("Mutation", "MUTATION", "Mutations"),
    ("Subscription", "SUBSCRIPTION", "Subscriptions"),
];

fn text_of(node: &impl CstNode) -> String {
    node.syntax()
        .to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn name_of(name: Option<cst::Name>) -> Option<String> {
    name.map(|n| n.text().to_string())
}

fn description_of(description: Option<cst::Description>) -> Option<String> {
    description.and_then(|d| d.string_value()).map(String::from)
}

fn deprecated(directives: Option<cst::Directives>) -> bool {
    directives.is_some_and(|d| {
        d.directives()
            .any(|d| d.name().is_some_and(|n| n.text() == "deprecated"))
    })
}

fn input_values(values: impl Iterator<Item = cst::InputValueDefinition>) -> Vec<FieldDef> {
    values
        .filter_map(|v| {
            Some(FieldDef {
                name: name_of(v.name())?,
                ty: v.ty().map(|t| text_of(&t)).unwrap_or_default(),
                description: description_of(v.description()),
                default: v.default_value().and_then(|d| d.value()).map(|d| text_of(&d)),
                deprecated: deprecated(v.directives()),
                arguments: Vec::new(),
            })
        })
        .collect()
}

/// The names of an enum's values.
fn enum_values(definition: Option<cst::EnumValuesDefinition>) -> Vec<String> {
    definition
        .into_iter()
        .flat_map(|v| v.enum_value_definitions())
        .filter_map(|v| name_of(v.enum_value()?.name()))
        .collect()
}

fn fields(definition: Option<cst::FieldsDefinition>) -> Vec<FieldDef> {
    definition
        .into_iter()
        .flat_map(|d| d.field_definitions())
        .filter_map(|f| {
            Some(FieldDef {
                name: name_of(f.name())?,
                ty: f.ty().map(|t| text_of(&t)).unwrap_or_default(),
                description: description_of(f.description()),
                default: None,
                deprecated: deprecated(f.directives()),
                arguments: input_values(
                    f.arguments_definition()
                        .into_iter()
                        .flat_map(|a| a.input_value_definitions()),
                ),
            })
        })
        .collect()
}

fn parse(text: &str) -> Result<Schema, Invalid> {
    let tree = Parser::new(text).parse();
    if let Some(error) = tree.errors().next() {
        return Err(Invalid::at_offset(text, error.index(), error.message().to_string()));
    }
    let mut schema = Schema {
        types: Vec::new(),
        roots: ROOT_KINDS.map(|(name, ..)| name.to_string()),
    };
    let mut add = |ty: Type, extension: bool| match schema.types.iter_mut().find(|t| t.name == ty.name) {
        Some(existing) if extension || existing.kind == ty.kind => {
            existing.fields.extend(ty.fields);
            existing.values.extend(ty.values);
            if existing.description.is_none() {
                existing.description = ty.description;
            }
        }
        _ => schema.types.push(ty),
    };
    let mut roots: Vec<(usize, String)> = Vec::new();
    for definition in tree.document().definitions() {
        use cst::Definition as D;
        let new = |name: Option<cst::Name>, kind, description| -> Option<Type> {
            Some(Type {
                name: name_of(name)?,
                kind,
                description: description_of(description),
                fields: Vec::new(),
                values: Vec::new(),
            })
        };
        match definition {
            D::ObjectTypeDefinition(d) => {
                if let Some(mut t) = new(d.name(), "type", d.description()) {
                    t.fields = fields(d.fields_definition());
                    add(t, false);
                }
            }
            D::ObjectTypeExtension(d) => {
                if let Some(mut t) = new(d.name(), "type", None) {
                    t.fields = fields(d.fields_definition());
                    add(t, true);
                }
            }
            D::InterfaceTypeDefinition(d) => {
                if let Some(mut t) = new(d.name(), "interface", d.description()) {
                    t.fields = fields(d.fields_definition());
                    add(t, false);
                }
            }
            D::InputObjectTypeDefinition(d) => {
                if let Some(mut t) = new(d.name(), "input", d.description()) {
                    t.fields = input_values(
                        d.input_fields_definition()
                            .into_iter()
                            .flat_map(|f| f.input_value_definitions()),
                    );
                    add(t, false);
                }
            }
            D::EnumTypeDefinition(d) => {
                if let Some(mut t) = new(d.name(), "enum", d.description()) {
                    t.values = enum_values(d.enum_values_definition());
                    add(t, false);
                }
            }
            D::EnumTypeExtension(d) => {
                if let Some(mut t) = new(d.name(), "enum", None) {
                    t.values = enum_values(d.enum_values_definition());
                    add(t, true);
                }
            }
            D::UnionTypeDefinition(d) => {
                if let Some(mut t) = new(d.name(), "union", d.description()) {
                    t.values = d
                        .union_member_types()
                        .into_iter()
                        .flat_map(|m| m.named_types())
                        .filter_map(|n| name_of(n.name()))
                        .collect();
                    add(t, false);
                }
            }
            D::ScalarTypeDefinition(d) => {
                if let Some(t) = new(d.name(), "scalar", d.description()) {
                    add(t, false);
                }
            }
            D::SchemaDefinition(d) => {
                for root in d.root_operation_type_definitions() {
                    let (Some(kind), Some(name)) =
                        (root.operation_type(), root.named_type().and_then(|n| name_of(n.name())))
                    else {
                        continue;
                    };
                    let slot = if kind.mutation_token().is_some() {
                        1
                    } else if kind.subscription_token().is_some() {
                        2
                    } else {
                        0
                    };
                    roots.push((slot, name));
                }
            }
            _ => {}
        }
    }
    for (slot, name) in roots {
        schema.roots[slot] = name;
    }
    Ok(schema)
}

/// `[Pet!]!` → `Pet`.
fn base(ty: &str) -> &str {
    ty.trim_matches(|c: char| c == '[' || c == ']' || c == '!' || c.is_whitespace())
}

fn type_anchor(name: &str) -> String {
    slug("type-", &[name])
}

/// The reference of a GraphQL schema.
pub fn reference(text: &str) -> Result<Reference, Invalid> {
    let schema = parse(text)?;
    let defined = |name: &str| schema.types.iter().any(|t| t.name == name);
    let link = |ty: &str| defined(base(ty)).then(|| type_anchor(base(ty)));
    let row = |f: &FieldDef, location: Option<&str>| -> Field {
        let mut notes = Vec::new();
        if let Some(default) = &f.default {
            notes.push(format!("default: {default}"));
        }
        if f.deprecated {
            notes.push("deprecated".into());
        }
        if !f.arguments.is_empty() {
            let arguments: Vec<String> = f.arguments.iter().map(|a| format!("{}: {}", a.name, a.ty)).collect();
            notes.push(format!("arguments: {}", arguments.join(", ")));
        }
        Field {
            name: f.name.clone(),
            ty: f.ty.clone(),
            location: location.map(str::to_string),
            required: f.ty.ends_with('!') && f.default.is_none(),
            notes,
            description: f.description.clone(),
            link: link(&f.ty),
            fields: Vec::new(),
        }
    };
    let mut groups = Vec::new();
    for ((_, method, heading), root) in ROOT_KINDS.iter().zip(&schema.roots) {
        let Some(ty) = schema.types.iter().find(|t| &t.name == root) else {
            continue;
        };
        let operations = ty
            .fields
            .iter()
            .map(|f| Operation {
                anchor: slug("op-", &[method, &f.name]),
                method: method.to_string(),
                path: f.name.clone(),
                summary: f
                    .description
                    .as_deref()
                    .and_then(|d| d.lines().next())
                    .map(str::to_string),
                description_html: markdown(f.description.as_deref()),
                deprecated: f.deprecated,
                parameters: f.arguments.iter().map(|a| row(a, Some("argument"))).collect(),
                request: Vec::new(),
                responses: vec![Response {
                    code: "returns".into(),
                    description_html: None,
                    bodies: vec![Body {
                        label: f.ty.clone(),
                        link: link(&f.ty),
                        description_html: None,
                        fields: Vec::new(),
                    }],
                }],
                security: Vec::new(),
            })
            .collect();
        groups.push(Group {
            name: heading.to_string(),
            anchor: slug("group-", &[heading]),
            description_html: None,
            operations,
        });
    }
    super::unique_anchors(&mut groups);
    let types = schema
        .types
        .iter()
        .filter(|t| !schema.roots.contains(&t.name))
        .map(|t| TypeDef {
            anchor: type_anchor(&t.name),
            name: t.name.clone(),
            kind: t.kind.to_string(),
            description_html: markdown(t.description.as_deref()),
            fields: t.fields.iter().map(|f| row(f, None)).collect(),
            values: t.values.clone(),
        })
        .collect();
    Ok(Reference::bare("GraphQL SDL".into(), None, groups, types, LABELS))
}

/// The changes from the schema `old` to `new`; `None` when either cannot
/// be read.
pub fn changes(old: &str, new: &str) -> Option<Vec<Change>> {
    let (old, new) = (parse(old).ok()?, parse(new).ok()?);
    let mut out = Vec::new();
    for before in &old.types {
        let at = format!("/{}", before.name);
        let Some(after) = new.types.iter().find(|t| t.name == before.name) else {
            out.push(Change::breaking(at, format!("type `{}` was removed", before.name)));
            continue;
        };
        if after.kind != before.kind {
            out.push(Change::breaking(
                at,
                format!("`{}` changed from {} to {}", before.name, before.kind, after.kind),
            ));
            continue;
        }
        let input = before.kind == "input";
        for field in &before.fields {
            let at = format!("/{}/{}", before.name, field.name);
            let name = format!("{}.{}", before.name, field.name);
            let Some(now) = after.fields.iter().find(|f| f.name == field.name) else {
                out.push(Change::breaking(at, format!("field `{name}` was removed")));
                continue;
            };
            if now.ty != field.ty {
                // Output fields may become non-null; input fields nullable.
                let compatible = if input {
                    field.ty == format!("{}!", now.ty)
                } else {
                    now.ty == format!("{}!", field.ty)
                };
                let reason = format!("field `{name}` changed type from {} to {}", field.ty, now.ty);
                out.push(if compatible {
                    Change::compatible(at.clone(), reason)
                } else {
                    Change::breaking(at.clone(), reason)
                });
            }
            for argument in &field.arguments {
                let at = format!("{at}/{}", argument.name);
                match now.arguments.iter().find(|a| a.name == argument.name) {
                    None => out.push(Change::breaking(
                        at,
                        format!("argument `{}` of `{name}` was removed", argument.name),
                    )),
                    Some(a) if a.ty != argument.ty => {
                        let reason = if a.ty == format!("{}!", argument.ty) {
                            format!("nullable argument `{}` of `{name}` was made non-null", argument.name)
                        } else {
                            format!(
                                "argument `{}` of `{name}` changed type from {} to {}",
                                argument.name, argument.ty, a.ty
                            )
                        };
                        let compatible = argument.ty == format!("{}!", a.ty);
                        out.push(if compatible {
                            Change::compatible(at, reason)
                        } else {
                            Change::breaking(at, reason)
                        });
                    }
                    Some(_) => {}
                }
            }
            for argument in now
                .arguments
                .iter()
                .filter(|a| !field.arguments.iter().any(|b| b.name == a.name))
            {
                let at = format!("{at}/{}", argument.name);
                if argument.ty.ends_with('!') && argument.default.is_none() {
                    out.push(Change::breaking(
                        at,
                        format!("new required argument `{}` of `{name}`", argument.name),
                    ));
                } else {
                    out.push(Change::compatible(
                        at,
                        format!("new argument `{}` of `{name}`", argument.name),
                    ));
                }
            }
        }
        for field in after
            .fields
            .iter()
            .filter(|f| !before.fields.iter().any(|b| b.name == f.name))
        {
            let at = format!("/{}/{}", after.name, field.name);
            let name = format!("{}.{}", after.name, field.name);
            if input && field.ty.ends_with('!') && field.default.is_none() {
                out.push(Change::breaking(at, format!("new required input field `{name}`")));
            } else {
                out.push(Change::compatible(at, format!("field `{name}` was added")));
            }
        }
        let what = if before.kind == "union" { "member" } else { "value" };
        for value in before.values.iter().filter(|v| !after.values.contains(v)) {
            out.push(Change::breaking(
                format!("/{}/{value}", before.name),
                format!("{} {what} `{value}` was removed", before.name),
            ));
        }
        for value in after.values.iter().filter(|v| !before.values.contains(v)) {
            out.push(Change::compatible(
                format!("/{}/{value}", after.name),
                format!("{} {what} `{value}` was added", after.name),
            ));
        }
    }
    for after in new.types.iter().filter(|t| !old.types.iter().any(|b| b.name == t.name)) {
        out.push(Change::compatible(
            format!("/{}", after.name),
            format!("type `{}` was added", after.name),
        ));
    }
    Some(out)
}
