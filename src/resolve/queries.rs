//! Questions every output asks of the resolved catalog, answered once
//! here so the JSON API, the pages and the rules agree: which version
//! "latest" is, how sure the owner of a service is, and which of a service's
//! fields the catalog declares and which discovery filled in.

use super::reconcile::ServiceField;
use super::{Catalog, Service};
use crate::model::{version_text, Entity};

impl Catalog {
    /// The version "latest" points at among `versions` (entity indices of
    /// one definition): the highest stable version that is not yanked;
    /// failing that, the highest version that is not yanked.
    pub fn latest_version(&self, versions: &[usize]) -> Option<usize> {
        let parsed = |&v: &usize| {
            let entity = &self.entities[v];
            let yanked = entity.resource_definition.as_ref().is_some_and(|rd| rd.yanked);
            semver::Version::parse(version_text(entity))
                .ok()
                .filter(|_| !yanked)
                .map(|s| (v, s))
        };
        let candidates: Vec<(usize, semver::Version)> = versions.iter().filter_map(parsed).collect();
        let stable = candidates
            .iter()
            .filter(|(_, s)| s.pre.is_empty())
            .max_by(|a, b| a.1.cmp(&b.1));
        stable
            .or_else(|| candidates.iter().max_by(|a, b| a.1.cmp(&b.1)))
            .map(|(v, _)| *v)
    }

    /// The ownership confidence shown everywhere, with where the owner
    /// came from: 1.0 and `declared` for a declared owner (a correction
    /// always wins), else the inferred owner's score and `discovered`.
    pub fn owner_confidence(&self, service: &Service) -> (f64, &'static str) {
        let declared = !self.entities[service.entity].discovered
            && !service
                .discovery
                .as_ref()
                .is_some_and(|d| d.filled.contains(&ServiceField::Owner));
        match (&service.discovery, declared) {
            (Some(discovery), false) => (discovery.ownership.confidence(), "discovered"),
            _ => (1.0, "declared"),
        }
    }
}

/// Which first-class fields the catalog declares for a service, and which
/// discovery filled in: `(declared, discovered)`.
pub fn field_sources(entity: &Entity, service: &Service) -> (Vec<ServiceField>, Vec<ServiceField>) {
    use ServiceField::*;
    let present = [
        (Owner, service.owner.is_some()),
        (Tier, service.tier.is_some()),
        (Repo, service.repo.is_some()),
        (OnCall, !service.on_call.is_empty()),
        (Slack, service.slack.is_some()),
        (Runbooks, !service.runbooks.is_empty()),
        (Description, entity.metadata.description.is_some()),
        (Lifecycle, entity.lifecycle.is_some()),
        (System, service.system.is_some()),
    ];
    let filled: &[ServiceField] = match &service.discovery {
        Some(d) if d.discovered => &[Owner, Repo, Description, Lifecycle, Tech],
        Some(d) => &d.filled,
        None => &[],
    };
    let mut declared = Vec::new();
    let mut discovered = Vec::new();
    for (field, is_present) in present {
        if is_present && filled.contains(&field) {
            discovered.push(field);
        } else if is_present {
            declared.push(field);
        }
    }
    if filled.contains(&Tech) && !service.tech.is_empty() {
        discovered.push(Tech);
    }
    (declared, discovered)
}
