//! First-class service fields, read from the annotations `cairn.yaml` names,
//! then completed from discovery (owner when none is declared, tech stack
//! when there are no tags).

use std::sync::Arc;

use rayon::prelude::*;

use super::reconcile::Discovery;

use super::Catalog;
use crate::config::FieldMap;
use std::collections::HashMap;

use crate::model::{Entity, EntityKey, Kind, Link, RelationKind};
use crate::util::exact;

/// Who to page for a service: an annotation and where it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnCall {
    pub annotation: String,
    pub value: String,
    /// True when the value was inherited from the owner Group.
    pub from_owner: bool,
}

/// A Component with its first-class fields resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    pub entity: usize,
    /// The owning Group or User.
    pub owner: Option<usize>,
    pub system: Option<usize>,
    /// The tier annotation as written (`validate` checks its value).
    pub tier: Option<String>,
    /// `org/repo`.
    pub repo: Option<String>,
    pub on_call: Vec<OnCall>,
    /// The Slack channel, from the service or else its owner Group.
    pub slack: Option<String>,
    pub runbooks: Vec<Link>,
    /// Tags, else the languages discovery found.
    pub tech: Vec<String>,
    /// What discovery knows about the service (none without facts).
    pub discovery: Option<Arc<Discovery>>,
}

pub(super) fn build(catalog: &Catalog, fields: &FieldMap) -> Vec<Arc<Service>> {
    catalog
        .entities
        .par_iter()
        .enumerate()
        .filter(|(_, entity)| entity.kind == Kind::Component)
        .map(|(i, _)| Arc::new(build_one(catalog, i, fields)))
        .collect()
}

/// The service of the Component `i`, before discovery is attached.
pub(super) fn build_one(catalog: &Catalog, i: usize, fields: &FieldMap) -> Service {
    let entity = &catalog.entities[i];
    let owner = catalog.related(i, RelationKind::OwnedBy).next();
    let owner_entity = owner.map(|o| &catalog.entities[o]).filter(|o| o.kind == Kind::Group);
    let on_call_from = |source: &Entity, from_owner: bool| -> Vec<OnCall> {
        fields
            .on_call
            .iter()
            .filter_map(|key| {
                Some(OnCall {
                    annotation: key.clone(),
                    value: source.annotation(key)?.to_string(),
                    from_owner,
                })
            })
            .collect::<Vec<_>>()
    };
    let mut on_call = on_call_from(entity, false);
    if on_call.is_empty() {
        if let Some(group) = owner_entity {
            on_call = on_call_from(group, true);
        }
    }
    let slack = entity
        .annotation(&fields.slack)
        .or_else(|| owner_entity.and_then(|g| g.annotation(&fields.slack)));
    Service {
        entity: i,
        owner,
        system: catalog
            .related(i, RelationKind::PartOf)
            .find(|&t| catalog.entities[t].kind == Kind::System),
        tier: entity.annotation(&fields.tier).map(str::to_string),
        repo: entity.annotation(&fields.repo).map(str::to_string),
        on_call: exact(on_call),
        slack: slack.map(str::to_string),
        runbooks: exact(
            entity
                .metadata
                .links
                .iter()
                .filter(|l| l.kind.as_deref() == Some("runbook"))
                .cloned()
                .collect(),
        ),
        tech: entity.metadata.tags.clone(),
        discovery: None,
    }
}

/// Attaches what discovery knows to each service; an undeclared owner and
/// an empty tech stack are filled from it.
/// Each of `entities` entities' position in `services` (`u32::MAX` for
/// those that are not services).
pub(super) fn positions(services: &[Arc<Service>], entities: usize) -> Vec<u32> {
    let mut positions = vec![u32::MAX; entities];
    for (s, service) in services.iter().enumerate() {
        positions[service.entity] = u32::try_from(s).expect("fewer than 2³² services");
    }
    positions
}

pub(super) fn attach(catalog: &mut Catalog, mut discoveries: HashMap<EntityKey, Discovery>) {
    for s in 0..catalog.services.len() {
        let key = catalog.entities[catalog.services[s].entity].key();
        let Some(discovery) = discoveries.remove(&key) else {
            continue;
        };
        let inferred = discovery
            .ownership
            .owner()
            .and_then(|c| catalog.index.get(&c.group).copied());
        let service = Arc::make_mut(&mut catalog.services[s]);
        if service.owner.is_none() {
            service.owner = inferred;
        }
        if service.tech.is_empty() {
            service.tech = discovery.languages.clone();
        }
        service.discovery = Some(Arc::new(discovery));
    }
}
