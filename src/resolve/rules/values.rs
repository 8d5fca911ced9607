//! What a rule's expression sees of one entity, as CEL values:
//!
//! * `apiVersion`, `kind` — strings;
//! * `metadata` — as written, with `annotations` and `labels` (maps) and
//!   `tags` and `links` (lists) always present, empty when not written, so
//!   `"pagerduty.com/service-id" in metadata.annotations` needs no `has()`;
//! * `spec` — as written (an empty map when there is none);
//! * `service` — for a Component, its resolved fields: `owner` (a ref),
//!   `owner_confidence` (1.0 when declared, else discovery's score),
//!   `tier`, `lifecycle`, `repo`, `slack`, `system` (a ref) — each `null`
//!   when unknown —, `on_call` (`[{annotation, value, inherited}]`),
//!   `runbooks` (`[{url, title}]`), `tech`, `dependencies` (what it
//!   depends on: `[{ref, kind, name, lifecycle, tier}]`), `discovered`
//!   and `discovery` (`null`, or `{confidence, repo_confidence, existence,
//!   stale, sources}`); `null` for every other kind.
//!
//! Values are built on first use per entity ([`Vars`] is the evaluator's
//! variable resolver) and borrow the entity's strings, so a rule that reads
//! only `kind` costs one string. Of `service`, only the fields some rule
//! names are made ([`ServiceFields`]): the built-in tier-1 rules read four,
//! and no service's `dependencies` list is built unless a rule reads it.

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use cel::common::ast::{operators, CallExpr, EntryExpr, Expr, IdedEntryExpr, IdedExpr, LiteralValue};
use cel::common::types::{CelBool, CelDouble, CelInt, CelList, CelMap, CelMapKey, CelNull, CelString};
use cel::common::value::{CowVal, Val};

use crate::model::{Entity, Kind};
use crate::parse::{Node, Value};
use crate::resolve::{Catalog, Service};

type Boxed<'e> = Box<dyn Val + 'e>;

/// The fields of `service` a set of expressions reads: every field
/// named as `service.field` (or `has(service.field)`), or all of them when
/// one expression uses `service` any other way (`size(service)`,
/// `"tier" in service`, `service[key]`, a comprehension variable of that
/// name). A field left out could not have been read, so no outcome
/// changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceFields(Option<BTreeSet<String>>);

impl ServiceFields {
    /// What `expressions` read of `service`.
    pub fn of<'a>(expressions: impl IntoIterator<Item = &'a IdedExpr>) -> ServiceFields {
        let mut named = BTreeSet::new();
        for expression in expressions {
            if !names_fields_only(expression, &mut named) {
                return ServiceFields(None);
            }
        }
        ServiceFields(Some(named))
    }

    fn wants(&self, field: &str) -> bool {
        self.0.as_ref().is_none_or(|named| named.contains(field))
    }
}

/// Adds to `named` the fields `expression` selects from `service`; false
/// if it uses `service` in another way.
fn names_fields_only(expression: &IdedExpr, named: &mut BTreeSet<String>) -> bool {
    let children: Vec<&IdedExpr> = match &expression.expr {
        Expr::Ident(name) => return name != SERVICE,
        Expr::Select(select) => match &select.operand.expr {
            Expr::Ident(name) if name == SERVICE => {
                named.insert(select.field.clone());
                return true;
            }
            _ => vec![&select.operand],
        },
        // Whether there is a service at all reads none of its fields.
        Expr::Call(call) if is_null_test(call) => return true,
        Expr::Call(call) => call.target.as_deref().into_iter().chain(&call.args).collect(),
        Expr::Comprehension(c) => {
            if [
                Some(c.iter_var.as_str()),
                Some(c.accu_var.as_str()),
                c.iter_var2.as_deref(),
            ]
            .contains(&Some(SERVICE))
            {
                return false;
            }
            vec![&c.iter_range, &c.accu_init, &c.loop_cond, &c.loop_step, &c.result]
        }
        Expr::List(list) => list.elements.iter().collect(),
        Expr::Map(map) => map.entries.iter().flat_map(entry_parts).collect(),
        Expr::Struct(structure) => structure.entries.iter().flat_map(entry_parts).collect(),
        Expr::Literal(_) | Expr::Unspecified => Vec::new(),
    };
    children.into_iter().all(|child| names_fields_only(child, named))
}

/// `service == null` or `service != null` (either way round).
fn is_null_test(call: &CallExpr) -> bool {
    let is = |e: &IdedExpr, service: bool| match &e.expr {
        Expr::Ident(name) => service && name == SERVICE,
        Expr::Literal(LiteralValue::Null) => !service,
        _ => false,
    };
    [operators::EQUALS, operators::NOT_EQUALS].contains(&call.func_name.as_str())
        && call.target.is_none()
        && match &call.args[..] {
            [a, b] => (is(a, true) && is(b, false)) || (is(a, false) && is(b, true)),
            _ => false,
        }
}

fn entry_parts(entry: &IdedEntryExpr) -> Vec<&IdedExpr> {
    match &entry.expr {
        EntryExpr::MapEntry(e) => vec![&e.key, &e.value],
        EntryExpr::StructField(f) => vec![&f.value],
    }
}

const SERVICE: &str = "service";

/// The variables of one entity, each made on first use.
pub struct Vars<'e> {
    catalog: &'e Catalog,
    index: usize,
    service_fields: &'e ServiceFields,
    slots: [OnceLock<Boxed<'e>>; 5],
}

impl<'e> Vars<'e> {
    pub fn new(catalog: &'e Catalog, index: usize, service_fields: &'e ServiceFields) -> Vars<'e> {
        Vars {
            catalog,
            index,
            service_fields,
            slots: Default::default(),
        }
    }

    fn entity(&self) -> &'e Entity {
        &self.catalog.entities[self.index]
    }

    fn make(&self, slot: usize) -> Boxed<'e> {
        let entity = self.entity();
        match slot {
            0 => string(&entity.api_version),
            1 => string(entity.kind.as_str()),
            2 => metadata(entity.node.get("metadata")),
            3 => entity.node.get("spec").map_or_else(|| map(Vec::new()), node),
            _ => match self.service() {
                Some(service) => service_value(
                    &Of {
                        catalog: self.catalog,
                        index: self.index,
                        service,
                    },
                    self.service_fields,
                ),
                None => Box::new(CelNull),
            },
        }
    }

    fn service(&self) -> Option<&'e Service> {
        if self.entity().kind != Kind::Component {
            return None;
        }
        self.catalog.service_of(self.index)
    }
}

impl cel::context::VariableResolver for Vars<'_> {
    fn resolve<'b>(&'b self, variable: &str) -> Option<CowVal<'b, 'b>> {
        let slot = crate::config::rules::VARIABLES.iter().position(|v| *v == variable)?;
        let value = self.slots[slot].get_or_init(|| self.make(slot));
        Some(CowVal::Borrowed(&**value))
    }
}

fn string(text: &str) -> Boxed<'_> {
    Box::new(CelString::from(text))
}

fn owned(text: String) -> Boxed<'static> {
    Box::new(CelString::from(text))
}

fn optional<'e>(text: Option<&'e str>) -> Boxed<'e> {
    text.map_or_else(|| Box::new(CelNull) as Boxed, string)
}

fn map<'e>(entries: Vec<(&'static str, Boxed<'e>)>) -> Boxed<'e> {
    let entries: HashMap<CelMapKey, Boxed> = entries
        .into_iter()
        .map(|(key, value)| (CelMapKey::from(key), value))
        .collect();
    Box::new(CelMap::from(entries))
}

fn list<'e>(items: impl Iterator<Item = Boxed<'e>>) -> Boxed<'e> {
    Box::new(CelList::from(items.collect::<Vec<_>>()))
}

/// A YAML value as CEL: maps, lists and scalars, strings borrowed.
fn node(node: &Node) -> Boxed<'_> {
    match &node.value {
        Value::Null => Box::new(CelNull),
        Value::Bool(b) => Box::new(CelBool::from(*b)),
        Value::Int(i) => Box::new(CelInt::from(*i)),
        Value::Float(f) => Box::new(CelDouble::from(*f)),
        Value::String(s) => string(s),
        Value::Seq(items) => list(items.iter().map(self::node)),
        Value::Map(entries) => {
            let entries: HashMap<CelMapKey, Boxed> = entries
                .iter()
                .map(|(key, value)| (map_key(key), self::node(value)))
                .collect();
            Box::new(CelMap::from(entries))
        }
    }
}

fn map_key(key: &Node) -> CelMapKey<'_> {
    match &key.value {
        Value::String(s) => CelMapKey::from(&**s),
        Value::Int(i) => CelMapKey::from(*i),
        Value::Bool(b) => CelMapKey::from(*b),
        _ => CelMapKey::from(key.as_scalar_text().unwrap_or_default()),
    }
}

/// `metadata` as written, with its collections always present.
fn metadata(written: Option<&Node>) -> Boxed<'_> {
    let mut entries: HashMap<CelMapKey, Boxed> = written
        .and_then(Node::as_map)
        .unwrap_or_default()
        .iter()
        .map(|(key, value)| (map_key(key), node(value)))
        .collect();
    for key in ["annotations", "labels"] {
        entries.entry(CelMapKey::from(key)).or_insert_with(|| map(Vec::new()));
    }
    for key in ["tags", "links"] {
        entries
            .entry(CelMapKey::from(key))
            .or_insert_with(|| list(std::iter::empty()));
    }
    Box::new(CelMap::from(entries))
}

/// The ref of entity `index`, as the API writes it.
fn ref_of(catalog: &Catalog, index: usize) -> String {
    catalog.entities[index].canonical_ref()
}

/// The service of entity `index` of `catalog`, as a field of it is made.
struct Of<'e> {
    catalog: &'e Catalog,
    index: usize,
    service: &'e Service,
}

/// How each field of `service` is made.
type Field = for<'e> fn(&Of<'e>) -> Boxed<'e>;

const SERVICE_FIELDS: [(&str, Field); 13] = [
    ("owner", |of| ref_or_null(of.catalog, of.service.owner)),
    ("owner_confidence", |of| match of.service.owner {
        Some(_) => Box::new(CelDouble::from(of.catalog.owner_confidence(of.service).0)),
        None => Box::new(CelNull),
    }),
    ("tier", |of| optional(of.service.tier.as_deref())),
    ("lifecycle", |of| {
        optional(of.catalog.entities[of.index].lifecycle.as_deref())
    }),
    ("repo", |of| optional(of.service.repo.as_deref())),
    ("slack", |of| optional(of.service.slack.as_deref())),
    ("system", |of| ref_or_null(of.catalog, of.service.system)),
    ("on_call", |of| {
        list(of.service.on_call.iter().map(|o| {
            map(vec![
                ("annotation", string(&o.annotation)),
                ("value", string(&o.value)),
                ("inherited", Box::new(CelBool::from(o.from_owner))),
            ])
        }))
    }),
    ("runbooks", |of| {
        list(
            of.service
                .runbooks
                .iter()
                .map(|l| map(vec![("url", string(&l.url)), ("title", optional(l.title.as_deref()))])),
        )
    }),
    ("tech", |of| list(of.service.tech.iter().map(|t| string(t)))),
    ("dependencies", dependencies),
    ("discovered", |of| {
        Box::new(CelBool::from(of.catalog.entities[of.index].discovered))
    }),
    ("discovery", discovery),
];

fn service_value<'e>(of: &Of<'e>, fields: &ServiceFields) -> Boxed<'e> {
    map(SERVICE_FIELDS
        .iter()
        .filter(|(name, _)| fields.wants(name))
        .map(|(name, make)| (*name, make(of)))
        .collect())
}

fn ref_or_null(catalog: &Catalog, index: Option<usize>) -> Boxed<'static> {
    index.map_or_else(|| Box::new(CelNull) as Boxed, |i| owned(ref_of(catalog, i)))
}

fn dependencies<'e>(of: &Of<'e>) -> Boxed<'e> {
    let catalog = of.catalog;
    list(
        catalog
            .related(of.index, crate::model::RelationKind::DependsOn)
            .map(|d| {
                let dependency = &catalog.entities[d];
                let tier = catalog.service_of(d).and_then(|s| s.tier.as_deref());
                map(vec![
                    ("ref", owned(ref_of(catalog, d))),
                    ("kind", string(dependency.kind.as_str())),
                    ("name", string(&dependency.metadata.name)),
                    ("lifecycle", optional(dependency.lifecycle.as_deref())),
                    ("tier", optional(tier)),
                ])
            }),
    )
}

fn discovery<'e>(of: &Of<'e>) -> Boxed<'e> {
    match &of.service.discovery {
        None => Box::new(CelNull),
        Some(d) => map(vec![
            ("confidence", Box::new(CelDouble::from(d.ownership.confidence()))),
            (
                "repo_confidence",
                d.repo.as_ref().map_or_else(
                    || Box::new(CelNull) as Boxed,
                    |r| Box::new(CelDouble::from(r.confidence)),
                ),
            ),
            ("existence", Box::new(CelDouble::from(d.existence))),
            ("stale", optional(d.stale.map(|stale| stale.as_str()))),
            ("sources", list(d.sources.iter().map(|s| string(s.as_str())))),
        ]),
    }
}
