//! Resolve: turn a flat list of entities into a catalog with identities,
//! relations and first-class service fields.
//!
//! * Identity: Backstage entities are keyed by kind, namespace and name
//!   (case-insensitive); ResourceDefinitions by name and version. The first
//!   definition (in file order) wins; every later one is a
//!   `duplicate-entity` error naming both places.
//! * References: every `spec` ref is parsed (`[kind:][namespace/]name`, with
//!   the field's default kind and the entity's own namespace), looked up and
//!   turned into a relation in both directions, as Backstage's processors do.
//!   An unresolved ref gets a "did you mean" from the names that exist.
//! * Discovery: facts from `cairn discover` are reconciled with the
//!   declared entities first (see [`reconcile`]): discovered services join
//!   the entity list, and what is known per service is attached to it.
//! * Services: every Component gets its first-class fields (tier, repo,
//!   on-call, Slack, runbooks, tech) from the annotations named in
//!   `cairn.yaml`, falling back to its owner Group where that makes sense.
//!
//! Architecture Invariant: the catalog's order is deterministic (sorted by
//! identity), whatever order files were read or threads ran in.

pub mod aliases;
pub mod apis;
pub mod changes;
pub mod claims;
pub mod graph;
pub mod queries;
mod org;
pub mod reconcile;
pub mod rules;
mod refs;
mod services;

pub use refs::{parse_ref, ParsedRef, UnresolvedRef};
pub use services::{OnCall, Service};

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use rayon::prelude::*;

use crate::config::Config;
use crate::diagnostics::{Code, Diagnostic, FilePosition};
use crate::load::facts::Snapshots;
use crate::model::{Entity, EntityKey, Kind, RelationKind};

/// A relation from one entity to another, Backstage-named.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Relation {
    pub kind: RelationKind,
    pub target: usize,
}

/// The resolved catalog every later stage reads.
#[derive(Debug, Default, Clone)]
pub struct Catalog {
    /// Every entity, sorted by kind, namespace, name (and version for
    /// ResourceDefinitions). Shared: an entity that did not change is the
    /// same allocation in the next build's catalog (see `cairn serve`).
    pub entities: Vec<Arc<Entity>>,
    /// Backstage entities by identity.
    pub index: Arc<HashMap<EntityKey, usize>>,
    /// Outgoing relations of each entity, sorted and without repeats.
    pub relations: Arc<Vec<Vec<Relation>>>,
    /// ResourceDefinition versions by definition name (lowercase), newest
    /// first.
    pub resources: BTreeMap<String, Vec<usize>>,
    /// One entry per Component, in entity order.
    pub services: Vec<Arc<Service>>,
    /// Each entity's position in `services` (`u32::MAX` when it is not a
    /// service): a service found in one step rather than by a binary
    /// search that follows a pointer per probe (see
    /// [`Catalog::service_position`]).
    pub service_positions: Arc<Vec<u32>>,
    /// Owner entity → its services (indices into `services`, in order): a
    /// team's services without scanning every service per team, which at
    /// 100,000 services and 5,000 teams made emitting quadratic.
    pub services_by_owner: Arc<HashMap<usize, Vec<usize>>>,
    /// Each ResourceDefinition version's change against its baseline, by
    /// entity index (versions without a baseline have none).
    pub changes: Arc<HashMap<usize, VersionChange>>,
    /// AWS ARN → the entity of the service it belongs to (discovery).
    pub aws_lookup: BTreeMap<String, usize>,
    /// Every alias of every service ([`aliases`]).
    pub aliases: Arc<aliases::Aliases>,
    /// Later definitions of an identity that is already in `entities`
    /// (reported as duplicates; still checked on their own by `validate`).
    pub duplicates: Vec<Arc<Entity>>,
    /// The refs of each entity that name nothing in the catalog (only
    /// entities that have some), shown as "not in the catalog" when
    /// `policies:` lets the build go on.
    pub unresolved: Arc<BTreeMap<usize, Vec<refs::UnresolvedRef>>>,
    /// How many entities each one reaches through `dependsOn` and
    /// `dependencyOf`, and how deep: the closures' summary, computed the
    /// first time an output asks ([`Catalog::dependencies`]) — `cairn
    /// check` never pays for it — and shared by the catalogs a patch makes
    /// (a patch keeps every relation).
    dependency_summary: Arc<std::sync::OnceLock<graph::Dependencies>>,
    /// The API definitions at the base revision, when there is one
    /// (`load::base_apis`; set by `pipeline` after resolving): what
    /// breaking changes are measured against.
    pub base_apis: Arc<crate::load::base_apis::BaseApis>,
    /// What the rules of `cairn.yaml` (and the built-in ones) said of each
    /// entity: `rules`.
    pub verdicts: Arc<rules::Verdicts>,
}

impl Catalog {
    /// The services `owner` owns, in entity order.
    pub fn owned_services(&self, owner: usize) -> impl Iterator<Item = &Service> + '_ {
        self.services_by_owner
            .get(&owner)
            .into_iter()
            .flatten()
            .map(|&s| &*self.services[s])
    }

    /// The dependency graph's summary ([`graph::Dependencies`]), computed
    /// on first use: quadratic work (in 64-bit words) that only the outputs
    /// need.
    pub fn dependencies(&self) -> &graph::Dependencies {
        self.dependency_summary.get_or_init(|| graph::Dependencies::of(self))
    }

    /// The position in `services` of the service of `entity`, if it is a
    /// Component.
    pub fn service_position(&self, entity: usize) -> Option<usize> {
        let position = *self.service_positions.get(entity)?;
        (position != u32::MAX).then_some(position as usize)
    }

    /// The service of `entity`, if it is a Component.
    pub fn service_of(&self, entity: usize) -> Option<&Service> {
        self.service_position(entity).map(|s| &*self.services[s])
    }

    pub fn get(&self, key: &EntityKey) -> Option<&Entity> {
        self.index.get(key).map(|&i| &*self.entities[i])
    }

    /// Targets of the outgoing relations of `entity` of one kind.
    pub fn related(&self, entity: usize, kind: RelationKind) -> impl Iterator<Item = usize> + '_ {
        self.relations[entity]
            .iter()
            .filter(move |r| r.kind == kind)
            .map(|r| r.target)
    }

    /// Every entity reachable from `entity` through relations of `kind`,
    /// with its distance (1 = direct), breadth-first and in a stable order.
    pub fn transitive(&self, entity: usize, kind: RelationKind) -> Vec<(usize, usize)> {
        let mut depth_of: BTreeMap<usize, usize> = BTreeMap::new();
        let mut queue = VecDeque::from([(entity, 0)]);
        while let Some((current, depth)) = queue.pop_front() {
            for next in self.related(current, kind) {
                if next != entity && !depth_of.contains_key(&next) {
                    depth_of.insert(next, depth + 1);
                    queue.push_back((next, depth + 1));
                }
            }
        }
        let mut out: Vec<_> = depth_of.into_iter().collect();
        out.sort_by_key(|&(i, depth)| (depth, i));
        out
    }
}

/// Builds the catalog from lowered entities and discovered facts.
pub fn resolve(mut entities: Vec<Arc<Entity>>, snapshots: &Snapshots, config: &Config) -> (Catalog, Vec<Diagnostic>) {
    // Teams and people from the identity provider first: ownership
    // inference then knows them too.
    let org = org::org_entities(&entities, snapshots);
    entities.extend(org.into_iter().map(Arc::new));
    let reconciled = reconcile::reconcile(&mut entities, snapshots, &config.fields);
    entities.extend(reconciled.entities.into_iter().map(Arc::new));
    let mut diagnostics = reconciled.diagnostics;
    // Stable order: by identity, then by where the entity was defined. Of
    // duplicates, one registered by a Location wins, then the earliest file.
    let mut keyed: Vec<(Order, Arc<Entity>)> = entities
        .into_par_iter()
        .map(|e| ((sort_key(&e), !e.registered, e.file.clone(), e.document), e))
        .collect();
    keyed.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let (entities, duplicates) = drop_duplicates(keyed, &mut diagnostics);

    let mut catalog = Catalog {
        duplicates,
        relations: Arc::new(vec![Vec::new(); entities.len()]),
        ..Catalog::default()
    };
    // Identities are made in parallel (each lowercases its names), then
    // indexed.
    let keys: Vec<Option<EntityKey>> = entities
        .par_iter()
        .map(|entity| (entity.kind != Kind::ResourceDefinition).then(|| entity.key()))
        .collect();
    let index = Arc::make_mut(&mut catalog.index);
    index.reserve(keys.len());
    for (i, (entity, key)) in entities.iter().zip(keys).enumerate() {
        if let Some(key) = key {
            index.insert(key, i);
        } else {
            // Names compare case-insensitively, as identities and output
            // paths do: `AWS-DB` and `aws-db` are one definition.
            catalog
                .resources
                .entry(entity.metadata.name.to_ascii_lowercase())
                .or_default()
                .push(i);
        }
    }
    catalog.entities = entities;
    for versions in catalog.resources.values_mut() {
        versions.sort_by(|&a, &b| version_of(&catalog.entities[b]).cmp(&version_of(&catalog.entities[a])));
    }
    catalog.changes = Arc::new(version_changes(&catalog));
    refs::resolve_refs(&mut catalog, &mut diagnostics);
    group_cycles(&catalog, &mut diagnostics);
    catalog.services = services::build(&catalog, &config.fields);
    services::attach(&mut catalog, reconciled.discoveries);
    catalog.service_positions = Arc::new(services::positions(&catalog.services, catalog.entities.len()));
    catalog.aws_lookup = reconciled
        .aws_lookup
        .into_iter()
        .filter_map(|(arn, key)| Some((arn, *catalog.index.get(&key)?)))
        .collect();
    let mut services_by_owner: HashMap<usize, Vec<usize>> = HashMap::new();
    for (s, service) in catalog.services.iter().enumerate() {
        if let Some(owner) = service.owner {
            services_by_owner.entry(owner).or_default().push(s);
        }
    }
    catalog.services_by_owner = Arc::new(services_by_owner);
    catalog.aliases = Arc::new(aliases::aliases(&catalog));
    catalog.verdicts = Arc::new(rules::evaluate(&catalog, &config.rules));
    (catalog, diagnostics)
}

/// `previous` with entities replaced by new definitions — each pair is an
/// entity of `previous` and its new definition — when that is all an edit
/// changed: the same identities, in the same spelling, from the same
/// documents, with the same refs, none a ResourceDefinition or a Location,
/// and no discovered facts to reconcile (`reconciled` false). Identities,
/// relations and definition versions then stay as they are; only the
/// services of the new entities, and those that fall back on one of them
/// as their owner, are built again. Returns the catalog and the ref diagnostics
/// of the new entities (which replace those of the old ones), or `None`
/// when the edit is not of that kind and the catalog must be resolved
/// again. Unchanged entities stay shared with `previous`.
pub fn replace(
    previous: &Catalog,
    pairs: Vec<(Arc<Entity>, Arc<Entity>)>,
    reconciled: bool,
    config: &Config,
) -> Option<(Catalog, Vec<Diagnostic>)> {
    if reconciled {
        return None;
    }
    let mut at = Vec::with_capacity(pairs.len());
    for (old, new) in &pairs {
        let index = *previous.index.get(&old.key())?;
        let same_shape = Arc::ptr_eq(&previous.entities[index], old)
            && !matches!(new.kind, Kind::ResourceDefinition | Kind::Location)
            && new.kind == old.kind
            && new.metadata.name == old.metadata.name
            && new.metadata.namespace == old.metadata.namespace
            && new.file == old.file
            && new.document == old.document
            && new.registered == old.registered
            && new.origin == old.origin
            && new.discovered == old.discovered
            && new.refs == old.refs;
        if !same_shape {
            return None;
        }
        at.push(index);
    }
    let mut catalog = previous.clone();
    for (index, (_, new)) in at.iter().zip(pairs) {
        catalog.entities[*index] = new;
    }
    let diagnostics = at.iter().flat_map(|&i| refs::ref_diagnostics(&catalog, i)).collect();
    // The services of the new entities, and those that fall back on a new
    // entity as their owner for on-call and Slack.
    let mut rebuilt: BTreeSet<usize> = BTreeSet::new();
    for &i in &at {
        rebuilt.extend(catalog.service_position(i));
        rebuilt.extend(catalog.services_by_owner.get(&i).into_iter().flatten());
    }
    // Rules read an entity, its service and what it depends on.
    let mut again: BTreeSet<usize> = at.iter().copied().collect();
    for s in rebuilt {
        let entity = catalog.services[s].entity;
        catalog.services[s] = Arc::new(services::build_one(&catalog, entity, &config.fields));
        again.insert(entity);
    }
    catalog.aliases = Arc::new(aliases::aliases(&catalog));
    for &i in &at {
        again.extend(catalog.related(i, RelationKind::DependencyOf));
    }
    let again: Vec<usize> = again.into_iter().collect();
    catalog.verdicts = Arc::new(rules::reevaluate(&catalog, &config.rules, &previous.verdicts, &again));
    Some((catalog, diagnostics))
}

/// A ResourceDefinition version compared with its baseline: the highest
/// stable version below it.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionChange {
    pub baseline: usize,
    /// The largest class among the findings.
    pub class: changes::ChangeClass,
    pub findings: Vec<changes::Finding>,
}

/// Classifies every ResourceDefinition version against its baseline, in
/// parallel.
fn version_changes(catalog: &Catalog) -> HashMap<usize, VersionChange> {
    let pairs: Vec<(usize, usize)> = catalog
        .resources
        .values()
        .flat_map(|versions| {
            versions.iter().filter_map(|&v| {
                let version = version_of(&catalog.entities[v])?;
                let baseline = versions
                    .iter()
                    .filter_map(|&b| Some((b, version_of(&catalog.entities[b])?)))
                    .filter(|(_, b)| b.pre.is_empty() && *b < version)
                    .max_by(|a, b| a.1.cmp(&b.1))?;
                Some((v, baseline.0))
            })
        })
        .collect();
    pairs
        .into_par_iter()
        .map(|(version, baseline)| {
            let (old, new) = (&catalog.entities[baseline], &catalog.entities[version]);
            let findings = changes::classify(
                old.resource_definition.as_ref().expect("indexed as a definition"),
                &old.to_json(),
                new.resource_definition.as_ref().expect("indexed as a definition"),
                &new.to_json(),
            );
            (
                version,
                VersionChange {
                    baseline,
                    class: changes::class_of(&findings),
                    findings,
                },
            )
        })
        .collect()
}

/// Identity order: kind, namespace, name, then semver for definitions.
fn sort_key(entity: &Entity) -> IdentityOrder {
    let version = entity
        .resource_definition
        .as_ref()
        .and_then(|rd| rd.version.clone())
        .unwrap_or_default();
    (
        entity.kind,
        entity.metadata.namespace.to_ascii_lowercase().into(),
        entity.metadata.name.to_ascii_lowercase(),
        semver::Version::parse(&version).ok(),
        version,
    )
}

/// The parsed `metadata.version` of a ResourceDefinition, if it is valid.
pub fn version_of(entity: &Entity) -> Option<semver::Version> {
    entity
        .resource_definition
        .as_ref()?
        .version
        .as_deref()
        .and_then(|v| semver::Version::parse(v).ok())
}

fn name_location(entity: &Entity) -> FilePosition {
    let pointer = if entity.kind == Kind::ResourceDefinition {
        "/metadata/version"
    } else {
        "/metadata/name"
    };
    entity.location(pointer)
}

/// Where an entity goes in the catalog: identity, then definition site.
type Order = (IdentityOrder, bool, String, usize);
type IdentityOrder = (Kind, String, String, Option<semver::Version>, String);

/// Whether two sorted entities have the same identity (kind, namespace, name
/// and, for ResourceDefinitions, version text; other kinds have none).
fn same_identity(a: &Order, b: &Order) -> bool {
    let ((kind_a, ns_a, name_a, _, version_a), ..) = a;
    let ((kind_b, ns_b, name_b, _, version_b), ..) = b;
    kind_a == kind_b && ns_a == ns_b && name_a == name_b && version_a == version_b
}

/// Keeps the first of each identity; the others are reported and returned
/// apart.
fn drop_duplicates(
    sorted: Vec<(Order, Arc<Entity>)>,
    diagnostics: &mut Vec<Diagnostic>,
) -> (Vec<Arc<Entity>>, Vec<Arc<Entity>>) {
    let mut kept: Vec<(Order, Arc<Entity>)> = Vec::with_capacity(sorted.len());
    let mut duplicates = Vec::new();
    for (order, entity) in sorted {
        match kept.last() {
            Some((first_order, first)) if same_identity(first_order, &order) => {
                diagnostics.push(duplicate(first, &entity));
                duplicates.push(entity);
            }
            _ => kept.push((order, entity)),
        }
    }
    (kept.into_iter().map(|(_, entity)| entity).collect(), duplicates)
}

fn duplicate(first: &Entity, entity: &Entity) -> Diagnostic {
    let (code, what) = match &entity.resource_definition {
        Some(rd) => (
            Code::DuplicateVersion,
            format!(
                "ResourceDefinition `{}` version {}",
                entity.metadata.name,
                rd.version.as_deref().unwrap_or_default()
            ),
        ),
        // A copy-pasted document, repeated in its own file: Backstage
        // keeps one silently; cairn keeps one and says so.
        None if first.file == entity.file && first.to_json() == entity.to_json() => {
            let first_location = name_location(first);
            return Diagnostic::new(
                Code::DuplicateEntityIdentical,
                name_location(entity),
                format!(
                    "entity `{}` is repeated, identical, in this file (first at line {}); the copy is ignored",
                    entity.ref_string(),
                    first_location.line
                ),
            )
            .with_help("delete the repeated document")
            .with_related("first defined here", first_location);
        }
        None => (Code::DuplicateEntity, format!("entity `{}`", entity.ref_string())),
    };
    let first_location = name_location(first);
    let message = format!(
        "{what} is already defined in {}:{}",
        first_location.file, first_location.line
    );
    Diagnostic::new(code, name_location(entity), message)
        .with_help("keep one definition: delete this one or rename it")
        .with_related("first defined here", first_location)
}

/// Reports each cycle of `spec.parent` once, at the cycle's first group in
/// catalog order (walking from that group finds the whole cycle).
fn group_cycles(catalog: &Catalog, diagnostics: &mut Vec<Diagnostic>) {
    for (start, entity) in catalog.entities.iter().enumerate() {
        if entity.kind != Kind::Group {
            continue;
        }
        let mut path = vec![start];
        let mut current = start;
        while let Some(parent) = catalog.related(current, RelationKind::ChildOf).next() {
            if let Some(pos) = path.iter().position(|&p| p == parent) {
                let cycle = &path[pos..];
                let first = *cycle.iter().min().expect("a cycle has members");
                if first == start {
                    let names: Vec<_> = cycle
                        .iter()
                        .chain([&parent])
                        .map(|&i| catalog.entities[i].metadata.name.clone())
                        .collect();
                    diagnostics.push(
                        Diagnostic::new(
                            Code::GroupCycle,
                            entity.location("/spec/parent"),
                            format!("group hierarchy has a cycle: {}", names.join(" → ")),
                        )
                        .with_help(
                            "a group cannot be its own ancestor; remove `spec.parent` from one group in the cycle",
                        ),
                    );
                }
                break;
            }
            path.push(parent);
            current = parent;
        }
    }
}

/// The catalog one YAML text (`c.yaml`) resolves to, for unit tests.
#[cfg(test)]
pub(crate) fn catalog_of(text: &str) -> Catalog {
    catalog_from("c.yaml", text, &Config::default()).0
}

/// The catalog one YAML text, read as the file `path`, resolves to under
/// `config`, with every diagnostic parsing, lowering and resolving it
/// reported — for unit tests.
#[cfg(test)]
pub(crate) fn catalog_from(path: &str, text: &str, config: &Config) -> (Catalog, Vec<Diagnostic>) {
    let parsed = crate::parse::parse_yaml(path, text);
    let mut diagnostics = parsed.diagnostics;
    let entities = parsed
        .documents
        .into_iter()
        .filter_map(|d| crate::model::lower_document(path, d, &mut diagnostics))
        .map(Arc::new)
        .collect();
    let (catalog, more) = resolve(entities, &Default::default(), config);
    diagnostics.extend(more);
    (catalog, diagnostics)
}

#[cfg(test)]
mod tests;
