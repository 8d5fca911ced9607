//! Which outputs to render: all of them (`cairn build`, the first build of
//! `cairn serve`), or only those an edit can have changed (`cairn serve`'s
//! rebuilds, [`Selection::affected`]).
//!
//! An entity's outputs — its page and its API files — are a function of the
//! entity, its service record, its relations and what other outputs show of
//! its neighbours: their identity, title and profile (links, graph labels,
//! routing), and through chains of relations more than that (impact counts
//! and transitive dependency lists, escalation chains, a system's domain).
//! `affected` compares the previous catalog with the new one by identity
//! (indices shift when entities come and go) and selects:
//!
//! * every entity created, or changed in its document, relations or service
//!   record, and its owner (which lists its services' fields);
//! * when what others show of it changed (or it is new or gone): its
//!   direct neighbours in both catalogs and every chain through it — the
//!   dependency closures both ways, the `hasPart` closure, and for a Group
//!   its descendants' services and the services whose discovery names it;
//! * when only a chain relation changed: that chain's closure ([`CHAINS`]);
//! * every version of a ResourceDefinition one of whose versions changed,
//!   or one of whose claims (pages list a definition's claims per
//!   version), and every claim of such a definition (what it resolves to
//!   and renders may change) with its owner (whose page shows the version);
//! * every API whose definition at the base revision differs (its page
//!   and file show the changes against the base);
//! * the list chunks holding a selected entity, and every chunk of a kind
//!   that gained or lost an entity;
//! * every entity whose verdicts (what the rules say of it: its scorecard
//!   standing) changed, and its owner, whose page shows its level.
//!
//! Outputs that summarise the whole catalog (home, dashboard, status, AWS
//! lookup, scorecards, the services export) are always rendered. **Architecture Invariant:** applying what
//! `emit::rerender` renders and removes to the previous output gives the
//! output of a full render, byte for byte (`tests/it/incremental.rs`
//! checks it edit by edit).

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use rayon::prelude::*;

use crate::model::{Entity, Kind, RelationKind};
use crate::resolve::{Catalog, Relation, Service};

/// An entity's identity across builds: its key, and its version for a
/// ResourceDefinition. Borrowed from the entity where it is already
/// lowercase, as nearly every name is: computing the identities of a
/// whole catalog then allocates nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Identity<'a> {
    kind: Kind,
    namespace: Cow<'a, str>,
    name: Cow<'a, str>,
    version: Option<&'a str>,
}

impl<'a> Identity<'a> {
    fn sort_key(&self) -> (Kind, &str, &str, Option<&str>) {
        (self.kind, &self.namespace, &self.name, self.version)
    }

    fn of(entity: &'a Entity) -> Identity<'a> {
        Identity {
            kind: entity.kind,
            namespace: lowercase(&entity.metadata.namespace),
            name: lowercase(&entity.metadata.name),
            version: entity.resource_definition.as_ref().and_then(|d| d.version.as_deref()),
        }
    }
}

fn lowercase(text: &str) -> Cow<'_, str> {
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(text.to_ascii_lowercase())
    } else {
        Cow::Borrowed(text)
    }
}

/// The outputs to render.
#[derive(Debug, Clone)]
pub struct Selection {
    /// By entity index: render its page and API files.
    entities: Vec<bool>,
    /// ResourceDefinition names (as keyed in `Catalog::resources`) whose
    /// versions' pages and files to render.
    definitions: HashSet<String>,
    /// Kinds that gained or lost an entity: all their list chunks are
    /// rendered. `None` stands for the ResourceDefinition list.
    recount: HashSet<Option<Kind>>,
    everything: bool,
    /// For [`Selection::affected`]: the previous catalog's entities that
    /// are gone (indices into it).
    deleted: Vec<usize>,
}

impl Selection {
    /// Every output of `catalog`.
    pub fn all(catalog: &Catalog) -> Selection {
        Selection {
            entities: vec![true; catalog.entities.len()],
            definitions: catalog.resources.keys().cloned().collect(),
            recount: HashSet::new(),
            everything: true,
            deleted: Vec::new(),
        }
    }

    /// Nothing but the outputs that summarise the whole catalog.
    fn none(catalog: &Catalog) -> Selection {
        Selection {
            entities: vec![false; catalog.entities.len()],
            definitions: HashSet::new(),
            recount: HashSet::new(),
            everything: false,
            deleted: Vec::new(),
        }
    }

    /// Whether nothing but the whole-catalog outputs is selected.
    pub fn is_empty(&self) -> bool {
        !self.everything && self.definitions.is_empty() && self.recount.is_empty() && !self.entities.contains(&true)
    }

    /// Selects entity `index` too (what only the caller knows changed).
    pub fn mark(&mut self, index: usize) {
        if let Some(slot) = self.entities.get_mut(index) {
            *slot = true;
        }
    }

    pub fn entity(&self, index: usize) -> bool {
        self.entities.get(index).copied().unwrap_or(false)
    }

    /// The selected entities (indices into the catalog), in order.
    pub fn entities(&self) -> impl Iterator<Item = usize> + '_ {
        self.entities.iter().enumerate().filter(|(_, &on)| on).map(|(i, _)| i)
    }

    /// For [`Selection::affected`]: the previous catalog's entities that
    /// are gone (indices into it).
    pub fn deleted(&self) -> &[usize] {
        &self.deleted
    }

    pub fn definition(&self, name: &str) -> bool {
        self.everything || self.definitions.contains(name)
    }

    /// Whether the list chunk of `kind` (`None`: ResourceDefinitions, whose
    /// callers also ask [`Selection::definition`] per row) that holds the
    /// entities `rows` is selected.
    pub fn chunk(&self, kind: Option<Kind>, mut rows: impl Iterator<Item = usize>) -> bool {
        self.everything || self.recount.contains(&kind) || rows.any(|i| self.entity(i))
    }

    /// The outputs of `new` that can differ from those of `old`.
    pub fn affected(old: &Catalog, new: &Catalog) -> Selection {
        let old_ids: Vec<Identity> = old.entities.par_iter().map(|e| Identity::of(e)).collect();
        let new_ids: Vec<Identity> = new.entities.par_iter().map(|e| Identity::of(e)).collect();
        let old_index: HashMap<&Identity, usize> = old_ids.iter().enumerate().map(|(i, id)| (id, i)).collect();
        let new_index: HashMap<&Identity, usize> = new_ids.iter().enumerate().map(|(i, id)| (id, i)).collect();
        let old_services = services_by_entity(old);
        let new_services = services_by_entity(new);
        let pair = Pair {
            old,
            new,
            old_ids: &old_ids,
            new_ids: &new_ids,
            old_services: &old_services,
            new_services: &new_services,
            same_order: old_ids == new_ids,
        };
        // (new index, old counterpart, how it changed)
        let changed: Vec<(usize, Option<usize>, Changed)> = (0..new.entities.len())
            .into_par_iter()
            .filter_map(|i| match old_index.get(&new_ids[i]) {
                None => Some((i, None, Changed::everything())),
                Some(&o) => pair.change(o, i).map(|how| (i, Some(o), how)),
            })
            .collect();
        let deleted: Vec<usize> = (0..old.entities.len())
            .filter(|o| !new_index.contains_key(&old_ids[*o]))
            .collect();

        let mut selection = Selection::none(new);
        let to_new = |o: usize| new_index.get(&old_ids[o]).copied();
        let mut marked: Vec<usize> = Vec::new();
        let mut touched_definitions: BTreeSet<String> = BTreeSet::new();
        for (i, o, how) in &changed {
            let (i, o) = (*i, *o);
            marked.push(i);
            // Neighbours show its identity and title; its owner lists its
            // services with their fields.
            let neighbours = |relation: &&Relation| how.shown || relation.kind == RelationKind::OwnedBy;
            marked.extend(new.relations[i].iter().filter(neighbours).map(|r| r.target));
            if let Some(o) = o {
                marked.extend(
                    old.relations[o]
                        .iter()
                        .filter(neighbours)
                        .filter_map(|r| to_new(r.target)),
                );
            }
            marked.extend(pair.closures(Some(i), o, &how.chains, &to_new));
            if o.is_none() && new.entities[i].kind != Kind::ResourceDefinition {
                selection.recount.insert(Some(new.entities[i].kind));
            }
            if new.entities[i].kind == Kind::ResourceDefinition {
                touched_definitions.insert(new.entities[i].metadata.name.to_ascii_lowercase());
            }
            // A definition's pages list its claims per version.
            touched_definitions.extend(claimed(&new.entities[i]));
            touched_definitions.extend(o.and_then(|o| claimed(&old.entities[o])));
        }
        for &o in &deleted {
            marked.extend(old.relations[o].iter().filter_map(|r| to_new(r.target)));
            marked.extend(pair.closures(None, Some(o), &CLOSURES, &to_new));
            if old.entities[o].kind != Kind::ResourceDefinition {
                selection.recount.insert(Some(old.entities[o].kind));
            }
            if old.entities[o].kind == Kind::ResourceDefinition {
                touched_definitions.insert(old.entities[o].metadata.name.to_ascii_lowercase());
            }
            touched_definitions.extend(claimed(&old.entities[o]));
        }
        // An API's page and file show its changes against the base.
        if !Arc::ptr_eq(&old.base_apis, &new.base_apis) && old.base_apis != new.base_apis {
            marked.extend(new.entities.iter().enumerate().filter_map(|(i, e)| {
                let key = (e.kind == Kind::Api).then(|| e.key())?;
                (old.base_apis.get(&key) != new.base_apis.get(&key)).then_some(i)
            }));
        }
        // What the rules say of an entity — its scorecard standing — shows
        // on its page and API file and on its owner's page; it can change
        // with another entity (a dependency's lifecycle).
        if !Arc::ptr_eq(&old.verdicts, &new.verdicts) {
            for (i, id) in new_ids.iter().enumerate() {
                let Some(&o) = old_index.get(id) else { continue };
                if old.verdicts.of(o) != new.verdicts.of(i) {
                    marked.push(i);
                    marked.extend(new.related(i, RelationKind::OwnedBy));
                    marked.extend(old.related(o, RelationKind::OwnedBy).filter_map(to_new));
                }
            }
        }
        for i in marked {
            selection.entities[i] = true;
        }
        for name in touched_definitions {
            if !old.resources.contains_key(&name) || !new.resources.contains_key(&name) {
                selection.recount.insert(None);
            }
            if let Some(versions) = new.resources.get(&name) {
                for &v in versions {
                    selection.entities[v] = true;
                }
            }
            // What its claims resolve to, and render, may have changed; their
            // teams' pages show the version.
            for c in crate::resolve::claims::claims(new) {
                if claimed(&new.entities[c]).as_deref() == Some(name.as_str()) {
                    selection.entities[c] = true;
                    for owner in new.related(c, RelationKind::OwnedBy) {
                        selection.entities[owner] = true;
                    }
                }
            }
            selection.definitions.insert(name);
        }
        selection.deleted = deleted;
        selection
    }

    /// For a selection made by [`Selection::affected`], the outputs of the
    /// previous catalog `old` that the new one may no longer have: those of
    /// deleted entities, of the selected definitions and their claims, and
    /// of the recounted lists. Rendered over `old`, the paths that the new build did not
    /// render are the files to remove.
    pub fn departed(&self, old: &Catalog) -> Selection {
        let mut departed = Selection::none(old);
        for &o in &self.deleted {
            departed.entities[o] = true;
        }
        // A claim whose definition changed may render for other engines.
        for c in crate::resolve::claims::claims(old) {
            if claimed(&old.entities[c]).is_some_and(|name| self.definitions.contains(&name)) {
                departed.entities[c] = true;
            }
        }
        departed.definitions = self.definitions.clone();
        departed.recount = self.recount.clone();
        departed
    }
}

/// The definition a ResourceClaim names (lowercase, as
/// `Catalog::resources` keys it).
fn claimed(entity: &Entity) -> Option<String> {
    entity
        .resource_claim
        .as_ref()?
        .resource
        .as_ref()
        .map(|r| r.to_ascii_lowercase())
}

fn services_by_entity(catalog: &Catalog) -> HashMap<usize, &Service> {
    catalog.services.iter().map(|s| (s.entity, &**s)).collect()
}

/// The previous catalog and the new one, with identities by index.
struct Pair<'a> {
    old: &'a Catalog,
    new: &'a Catalog,
    old_ids: &'a [Identity<'a>],
    new_ids: &'a [Identity<'a>],
    old_services: &'a HashMap<usize, &'a Service>,
    new_services: &'a HashMap<usize, &'a Service>,
    /// Both catalogs have the same identities in the same order.
    same_order: bool,
}

impl Pair<'_> {
    /// How old entity `o` and new entity `i` (one identity) differ, `None`
    /// when they do not.
    fn change(&self, o: usize, i: usize) -> Option<Changed> {
        let (before, after) = (&self.old.entities[o], &self.new.entities[i]);
        // The common case, cheaply: no entity came or went (indices are
        // comparable) and nothing about this one changed.
        if self.same_order
            && self.old.relations[o] == self.new.relations[i]
            && (Arc::ptr_eq(before, after) || same_entity(before, after))
            && self.old_services.get(&o) == self.new_services.get(&i)
        {
            return None;
        }
        let (old_relations, new_relations) = (
            relations(self.old, self.old_ids, o),
            relations(self.new, self.new_ids, i),
        );
        if shown(before) != shown(after) {
            return Some(Changed::everything());
        }
        let chains: Vec<RelationKind> = CHAINS
            .iter()
            .filter(|changed| {
                let of_kind = |relation: &&(RelationKind, &Identity)| relation.0 == **changed;
                old_relations
                    .iter()
                    .filter(of_kind)
                    .ne(new_relations.iter().filter(of_kind))
            })
            .map(|changed| changed.inverse())
            .collect();
        let changed = !chains.is_empty()
            || old_relations != new_relations
            || !same_entity(before, after)
            || !self.same_service(self.old_services.get(&o), self.new_services.get(&i));
        changed.then_some(Changed { shown: false, chains })
    }

    fn same_service(&self, before: Option<&&Service>, after: Option<&&Service>) -> bool {
        match (before, after) {
            (None, None) => true,
            (Some(b), Some(a)) => {
                let old_id = |i: Option<usize>| i.map(|i| &self.old_ids[i]);
                let new_id = |i: Option<usize>| i.map(|i| &self.new_ids[i]);
                old_id(b.owner) == new_id(a.owner)
                    && old_id(b.system) == new_id(a.system)
                    && b.tier == a.tier
                    && b.repo == a.repo
                    && b.on_call == a.on_call
                    && b.slack == a.slack
                    && b.runbooks == a.runbooks
                    && b.tech == a.tech
                    && b.discovery == a.discovery
            }
            _ => false,
        }
    }

    /// The entities beyond the direct neighbours whose outputs show the
    /// entity through `chains`: the closures in those directions (in both
    /// catalogs) and, for a Group when its hierarchy or what others show of
    /// it changed, its descendants' services and the services whose
    /// discovery names it as a candidate. As new indices.
    fn closures(
        &self,
        i: Option<usize>,
        o: Option<usize>,
        chains: &[RelationKind],
        to_new: &dyn Fn(usize) -> Option<usize>,
    ) -> Vec<usize> {
        let mut out = Vec::new();
        for &relation in chains {
            if let Some(i) = i {
                out.extend(self.new.transitive(i, relation).into_iter().map(|(t, _)| t));
            }
            if let Some(o) = o {
                out.extend(
                    self.old
                        .transitive(o, relation)
                        .into_iter()
                        .filter_map(|(t, _)| to_new(t)),
                );
            }
        }
        let group = i.map(|i| &self.new.entities[i]).or(o.map(|o| &self.old.entities[o]));
        if chains.contains(&RelationKind::ParentOf) && group.is_some_and(|g| g.kind == Kind::Group) {
            // Services of the descendants (escalation chains run up to it).
            let groups: Vec<usize> = out
                .iter()
                .copied()
                .filter(|&g| self.new.entities[g].kind == Kind::Group)
                .chain(i)
                .collect();
            for g in groups {
                out.extend(self.new.related(g, RelationKind::OwnerOf));
            }
            let key = group.map(|g| g.key());
            out.extend(
                self.new
                    .services
                    .iter()
                    .filter(|s| {
                        s.discovery
                            .as_ref()
                            .is_some_and(|d| d.ownership.candidates.iter().any(|c| Some(&c.group) == key.as_ref()))
                    })
                    .map(|s| s.entity),
            );
        }
        out
    }
}

/// Relations whose chains outputs show beyond the direct neighbours —
/// transitive dependencies, escalation chains, a system's domain — each
/// followed by [`Pair::closures`] in the inverse direction when they change: when
/// what an entity depends on changes, everything that depends on it sees
/// new transitive dependencies (and the other way round); when a group's
/// parent changes, the services of its descendants see a new escalation
/// chain; when a system's domain changes, its components see it.
const CHAINS: [RelationKind; 4] = [
    RelationKind::DependsOn,
    RelationKind::DependencyOf,
    RelationKind::ChildOf,
    RelationKind::PartOf,
];

/// Every direction of [`CHAINS`]: followed when what others show of an
/// entity (identity, title, profile) changed.
const CLOSURES: [RelationKind; 4] = [
    RelationKind::DependsOn,
    RelationKind::DependencyOf,
    RelationKind::ParentOf,
    RelationKind::HasPart,
];

/// How an entity changed between two builds.
struct Changed {
    /// What other outputs show of it (identity, title, profile) changed,
    /// or it is new.
    shown: bool,
    /// The chains ([`CLOSURES`]) through which other outputs see the change.
    chains: Vec<RelationKind>,
}

impl Changed {
    fn everything() -> Changed {
        Changed {
            shown: true,
            chains: CLOSURES.to_vec(),
        }
    }
}

/// The relations of entity `index` as (kind, target identity), sorted.
fn relations<'a>(catalog: &Catalog, ids: &'a [Identity<'a>], index: usize) -> Vec<(RelationKind, &'a Identity<'a>)> {
    let mut relations: Vec<(RelationKind, &Identity)> = catalog.relations[index]
        .iter()
        .map(|r| (r.kind, &ids[r.target]))
        .collect();
    relations.sort_unstable_by(|a, b| (a.0, a.1.sort_key()).cmp(&(b.0, b.1.sort_key())));
    relations
}

/// Whether two definitions of one identity are the same: `==`, but a
/// document shared with the previous compile (the cache hands out the same
/// `Arc`) is not compared node by node.
fn same_entity(before: &Entity, after: &Entity) -> bool {
    let Entity {
        kind,
        api_version,
        metadata,
        spec_type,
        lifecycle,
        profile,
        definition,
        refs,
        resource_definition,
        resource_claim,
        file,
        document,
        registered,
        discovered,
        origin,
        node,
        inlined,
        unfetched,
        reference: _, // computed from `definition` and `spec_type`
    } = before;
    (Arc::ptr_eq(node, &after.node) || **node == *after.node)
        && *kind == after.kind
        && *api_version == after.api_version
        && *metadata == after.metadata
        && *spec_type == after.spec_type
        && *lifecycle == after.lifecycle
        && *profile == after.profile
        && *definition == after.definition
        && *refs == after.refs
        && *resource_definition == after.resource_definition
        && *resource_claim == after.resource_claim
        && *file == after.file
        && *document == after.document
        && *registered == after.registered
        && *discovered == after.discovered
        && *origin == after.origin
        && *inlined == after.inlined
        && *unfetched == after.unfetched
}

/// What other outputs show of an entity: identity, title, profile.
fn shown(entity: &Entity) -> (&str, &str, &Option<String>, &crate::model::Profile, Kind) {
    (
        &entity.metadata.namespace,
        &entity.metadata.name,
        &entity.metadata.title,
        entity.profile(),
        entity.kind,
    )
}
