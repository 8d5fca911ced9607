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
//! only `kind` costs one string.

use std::collections::HashMap;
use std::sync::OnceLock;

use cel::common::types::{CelBool, CelDouble, CelInt, CelList, CelMap, CelMapKey, CelNull, CelString};
use cel::common::value::{CowVal, Val};

use crate::model::{Entity, Kind};
use crate::parse::{Node, Value};
use crate::resolve::{Catalog, Service};

type Boxed<'e> = Box<dyn Val + 'e>;

/// The variables of one entity, each made on first use.
pub struct Vars<'e> {
    catalog: &'e Catalog,
    index: usize,
    slots: [OnceLock<Boxed<'e>>; 5],
}

impl<'e> Vars<'e> {
    pub fn new(catalog: &'e Catalog, index: usize) -> Vars<'e> {
        Vars {
            catalog,
            index,
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
                Some(service) => service_value(self.catalog, self.index, service),
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

fn service_value<'e>(catalog: &'e Catalog, index: usize, service: &'e Service) -> Boxed<'e> {
    let entity = &catalog.entities[index];
    let dependencies = catalog.related(index, crate::model::RelationKind::DependsOn).map(|d| {
        let dependency = &catalog.entities[d];
        let tier = catalog.service_of(d).and_then(|s| s.tier.as_deref());
        map(vec![
            ("ref", owned(ref_of(catalog, d))),
            ("kind", string(dependency.kind.as_str())),
            ("name", string(&dependency.metadata.name)),
            ("lifecycle", optional(dependency.lifecycle.as_deref())),
            ("tier", optional(tier)),
        ])
    });
    let on_call = service.on_call.iter().map(|o| {
        map(vec![
            ("annotation", string(&o.annotation)),
            ("value", string(&o.value)),
            ("inherited", Box::new(CelBool::from(o.from_owner))),
        ])
    });
    let runbooks = service
        .runbooks
        .iter()
        .map(|l| map(vec![("url", string(&l.url)), ("title", optional(l.title.as_deref()))]));
    let discovery: Boxed = match &service.discovery {
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
    };
    let owner_confidence: Boxed = match service.owner {
        Some(_) => Box::new(CelDouble::from(catalog.owner_confidence(service).0)),
        None => Box::new(CelNull),
    };
    map(vec![
        (
            "owner",
            service
                .owner
                .map_or_else(|| Box::new(CelNull) as Boxed, |o| owned(ref_of(catalog, o))),
        ),
        ("owner_confidence", owner_confidence),
        ("tier", optional(service.tier.as_deref())),
        ("lifecycle", optional(entity.lifecycle.as_deref())),
        ("repo", optional(service.repo.as_deref())),
        ("slack", optional(service.slack.as_deref())),
        (
            "system",
            service
                .system
                .map_or_else(|| Box::new(CelNull) as Boxed, |s| owned(ref_of(catalog, s))),
        ),
        ("on_call", list(on_call)),
        ("runbooks", list(runbooks)),
        ("tech", list(service.tech.iter().map(|t| string(t)))),
        ("dependencies", list(dependencies)),
        ("discovered", Box::new(CelBool::from(entity.discovered))),
        ("discovery", discovery),
    ])
}
