//! Reconciliation: discovered facts (repositories, GitHub teams, AWS
//! resources) merged into the declared catalog, as the dd0c design's
//! discovery engine does it, but inside the build and without a network.
//!
//! 1. **Units.** AWS resources are grouped into service candidates: a
//!    CloudFormation stack with everything it manages (0.95), resources
//!    sharing a `service`/`app`/`project` tag (0.80), an ECS service (0.90),
//!    an API Gateway API with the Lambdas it triggers (0.85), Lambdas
//!    sharing a name prefix (0.70; a lone Lambda 0.60). Databases attach to
//!    a unit of the same name and are never services on their own.
//! 2. **Repo links**, first rule that finds one repository wins: explicit
//!    tag (`github_repo`, `repo`… = `org/name`) 0.95, a deploy workflow
//!    naming the stack / ECS service / Lambda 0.90, a container image named
//!    like the repo 0.85, normalised names within Levenshtein 2 0.75, a
//!    Lambda name prefix 0.70.
//! 3. **Services.** A unit or repository matches a declared Component by the
//!    Component's repo annotation or by normalised name; the rest become
//!    Components marked discovered (repository only: existence 0.60).
//!    Declared fields always win; facts fill the description and the tech
//!    stack when the YAML has none.
//! 4. **Ownership** exactly as PRODUCT.md says: CODEOWNERS 0.40, `team` /
//!    `owner` tags 0.20, commit authors 0.25, GitHub team access 0.15, each a
//!    share per candidate Group, divided by the weight of the signals that
//!    exist; below 0.50 unowned, top two within 0.10 ambiguous. A declared
//!    owner wins; a confident disagreement is `ownership-drift`.
//! 5. **Staleness.** A discovered service whose facts are missing from the
//!    latest 3 complete snapshots is `deprecated`, from 5 `eol`.
//!
//! Steps 1, 2 and 4 live in `units.rs`, `links.rs` and `ownership.rs`;
//! this module runs them, matches services (3) and ages them (5). The
//! rules, signals and staleness levels, with their confidences, weights and
//! snapshot counts, are tables in `vocabulary.rs`.
//!
//! Architecture Invariant: the result depends only on the entities and the
//! facts, never on hash or thread order — every map that is iterated is a
//! `BTreeMap` or sorted first.

mod links;
mod ownership;
mod units;
mod vocabulary;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde_json::json;

use super::refs::parse_ref;
use crate::config::FieldMap;
use crate::diagnostics::{Code, Diagnostic};
use crate::facts::round4;
use crate::facts::{Repo, Resource, ResourceKind, Source, TargetKind, Team};
use crate::load::facts::{FactId, Snapshots};
use crate::model::{Entity, EntityKey, Kind, RefField};
use crate::parse::{Document, Node, Pos};
use links::*;
use ownership::*;
use units::*;
pub use vocabulary::{LinkRule, ServiceField, Signal, Staleness};

/// Below this the best candidate does not own the service.
pub const OWNED_THRESHOLD: f64 = 0.50;
/// Top two candidates closer than this are ambiguous.
pub const AMBIGUITY_MARGIN: f64 = 0.10;
/// The annotation marking a discovered Component.
pub const DISCOVERED_ANNOTATION: &str = "cairn.dev/discovered";

/// What discovery knows about one service (declared or discovered).
#[derive(Debug, Clone, PartialEq)]
pub struct Discovery {
    /// The service exists only because discovery found it.
    pub discovered: bool,
    /// Scanners whose facts describe it.
    pub sources: BTreeSet<Source>,
    /// How sure discovery is that this is a real service.
    pub existence: f64,
    pub repo: Option<RepoLink>,
    pub ownership: Ownership,
    /// AWS resources that belong to it.
    pub arns: Vec<String>,
    /// Languages by bytes, largest first.
    pub languages: Vec<String>,
    /// Lambda runtimes and container images.
    pub runtimes: Vec<String>,
    /// Set when its facts went missing from snapshots.
    pub stale: Option<Staleness>,
    /// In how many of the latest complete snapshots its facts are missing.
    pub missing_from: usize,
    /// Fields filled from facts because the YAML did not declare them.
    pub filled: Vec<ServiceField>,
    /// The facts files it came from.
    pub files: BTreeSet<String>,
}

/// How a service was tied to its repository.
#[derive(Debug, Clone, PartialEq)]
pub struct RepoLink {
    pub slug: String,
    pub path: String,
    pub rule: LinkRule,
    /// The rule's confidence.
    pub confidence: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnershipStatus {
    Owned,
    Ambiguous,
    Unowned,
}

impl OwnershipStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OwnershipStatus::Owned => "owned",
            OwnershipStatus::Ambiguous => "ambiguous",
            OwnershipStatus::Unowned => "unowned",
        }
    }
}

/// The inferred owner of a service.
#[derive(Debug, Clone, PartialEq)]
pub struct Ownership {
    pub status: OwnershipStatus,
    /// Candidates, best first (at most three).
    pub candidates: Vec<Candidate>,
    /// Signals that had data for this service.
    pub signals: Vec<Signal>,
}

impl Ownership {
    /// The inferred owner: the best candidate unless unowned.
    pub fn owner(&self) -> Option<&Candidate> {
        (self.status != OwnershipStatus::Unowned)
            .then(|| self.candidates.first())
            .flatten()
    }

    /// The best candidate's score (0 with none).
    pub fn confidence(&self) -> f64 {
        self.candidates.first().map_or(0.0, |c| c.score)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub group: EntityKey,
    /// Σ weight × share ÷ weight of the signals that exist, 4 decimals.
    pub score: f64,
    /// Each signal's share for this group.
    pub shares: Vec<(Signal, f64)>,
}

/// The outcome: discovered Components to add, what is known per service,
/// ARN → service, and diagnostics.
#[derive(Debug, Default)]
pub struct Reconciled {
    pub entities: Vec<Entity>,
    pub discoveries: HashMap<EntityKey, Discovery>,
    pub aws_lookup: BTreeMap<String, EntityKey>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Reconciles `snapshots` with the declared `entities`; fills declared
/// Components' missing descriptions in place.
pub fn reconcile(entities: &mut [Arc<Entity>], snapshots: &Snapshots, fields: &FieldMap) -> Reconciled {
    if snapshots.files.is_empty() {
        return Reconciled::default();
    }
    let world = World::collect(snapshots);
    let people = People::index(entities);
    let components = ComponentIndex::new(entities, fields);
    let repos = RepoIndex::new(&world.repos);
    let units = group_units(&world.resources);

    // Units and repositories → services (declared by index, or new by name).
    let mut services: BTreeMap<ServiceId, Parts> = BTreeMap::new();
    let mut linked_repos: BTreeSet<usize> = BTreeSet::new();
    let links: Vec<_> = units.par_iter().map(|unit| link_repo(unit, &world, &repos)).collect();
    for (unit, link) in units.iter().zip(links) {
        let repo = link.as_ref().map(|(r, _)| &world.repos[*r]);
        if let Some((r, _)) = link {
            linked_repos.insert(r);
        }
        let name = match repo {
            Some(merged) if unit.lambdas => repo_name(&merged.repo),
            _ => &unit.name,
        };
        let id = components
            .match_unit(unit, repo.map(|r| &r.repo))
            .map(ServiceId::Declared)
            .unwrap_or_else(|| ServiceId::Discovered(service_name(name)));
        let parts = services.entry(id).or_default();
        parts.units.push(unit);
        if let Some(link) = link {
            parts.repos.push(link);
        }
    }
    for (r, merged) in world.repos.iter().enumerate() {
        if linked_repos.contains(&r) {
            continue;
        }
        let id = components
            .match_repo(&merged.repo)
            .map(ServiceId::Declared)
            .unwrap_or_else(|| ServiceId::Discovered(service_name(repo_name(&merged.repo))));
        services.entry(id).or_default().repos.push((r, LinkRule::Repository));
    }

    let mut out = Reconciled::default();
    let services: Vec<(ServiceId, Parts)> = services.into_iter().collect();
    let described: Vec<Discovery> = services
        .par_iter()
        .map(|(id, parts)| describe(parts, &world, &people, matches!(id, ServiceId::Discovered(_))))
        .collect();
    for ((id, parts), discovery) in services.iter().zip(described) {
        let key = match id {
            ServiceId::Declared(i) => {
                // Cached entities are shared with the previous compile:
                // filling one in copies it.
                let entity = Arc::make_mut(&mut entities[*i]);
                let mut discovery = discovery;
                fill_declared(entity, &mut discovery, parts, &world, fields);
                drift(entity, &discovery, &people, &mut out.diagnostics);
                let key = entity.key();
                out.discoveries.insert(key.clone(), discovery);
                key
            }
            ServiceId::Discovered(name) => {
                let entity = discovered_entity(name, &discovery, parts, &world, fields, out.entities.len());
                let key = entity.key();
                out.entities.push(entity);
                out.discoveries.insert(key.clone(), discovery);
                key
            }
        };
        for unit in &parts.units {
            for &r in &unit.resources {
                out.aws_lookup
                    .insert(world.resources[r].resource.arn.clone(), key.clone());
            }
        }
    }
    out
}

/// A service being assembled: declared (entity index) or discovered (name).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum ServiceId {
    Declared(usize),
    Discovered(String),
}

#[derive(Default)]
struct Parts<'a> {
    units: Vec<&'a Unit>,
    /// Repository index, link rule.
    repos: Vec<(usize, LinkRule)>,
}

/// Every fact of every snapshot, merged by identity.
struct World {
    repos: Vec<MergedRepo>,
    resources: Vec<MergedResource>,
    /// Team slug → team (GitHub).
    teams: BTreeMap<String, Team>,
    /// Repository slug (lowercase) → slugs of the teams with access.
    team_access: HashMap<String, Vec<String>>,
}

struct MergedRepo {
    repo: Repo,
    sources: BTreeSet<Source>,
    missing: usize,
    files: BTreeSet<String>,
}

struct MergedResource {
    resource: Resource,
    missing: usize,
    file: String,
}

impl World {
    fn collect(snapshots: &Snapshots) -> World {
        let mut repos: BTreeMap<(String, String), MergedRepo> = BTreeMap::new();
        let mut resources: BTreeMap<String, MergedResource> = BTreeMap::new();
        let mut teams: BTreeMap<String, Team> = BTreeMap::new();
        for snapshot in &snapshots.files {
            let facts = &snapshot.facts;
            for repo in &facts.repos {
                let missing = snapshot
                    .missing
                    .get(&FactId::Repo(repo.slug.clone(), repo.path.clone()))
                    .copied()
                    .unwrap_or(0);
                let key = (repo.slug.to_ascii_lowercase(), repo.path.clone());
                match repos.get_mut(&key) {
                    Some(merged) => {
                        merge_repo(&mut merged.repo, repo);
                        merged.sources.insert(facts.source);
                        merged.missing = merged.missing.min(missing);
                        merged.files.insert(snapshot.display.clone());
                    }
                    None => {
                        repos.insert(
                            key,
                            MergedRepo {
                                repo: repo.clone(),
                                sources: BTreeSet::from([facts.source]),
                                missing,
                                files: BTreeSet::from([snapshot.display.clone()]),
                            },
                        );
                    }
                }
            }
            for resource in &facts.resources {
                let missing = snapshot
                    .missing
                    .get(&FactId::Resource(resource.arn.clone()))
                    .copied()
                    .unwrap_or(0);
                resources.entry(resource.arn.clone()).or_insert_with(|| MergedResource {
                    resource: resource.clone(),
                    missing,
                    file: snapshot.display.clone(),
                });
            }
            for team in &facts.teams {
                teams
                    .entry(team.slug.to_ascii_lowercase())
                    .or_insert_with(|| team.clone());
            }
        }
        let mut team_access: HashMap<String, Vec<String>> = HashMap::new();
        for (slug, team) in &teams {
            for repo in &team.repos {
                team_access
                    .entry(repo.to_ascii_lowercase())
                    .or_default()
                    .push(slug.clone());
            }
        }
        World {
            repos: repos.into_values().collect(),
            resources: resources.into_values().collect(),
            teams,
            team_access,
        }
    }
}

/// Fills what `into` lacks from `other` (a second scanner's view of the
/// same repository); commit authors are merged by e-mail.
fn merge_repo(into: &mut Repo, other: &Repo) {
    if into.description.is_none() {
        into.description = other.description.clone();
    }
    if into.languages.is_empty() {
        into.languages = other.languages.clone();
    }
    into.catalog_info |= other.catalog_info;
    if into.last_commit < other.last_commit {
        into.last_commit = other.last_commit.clone();
    }
    if into.codeowners.is_none() {
        into.codeowners = other.codeowners.clone();
    }
    for author in &other.authors {
        match into.authors.iter_mut().find(|a| a.email == author.email) {
            Some(existing) => {
                existing.commits = existing.commits.max(author.commits);
                if existing.login.is_none() {
                    existing.login = author.login.clone();
                }
            }
            None => into.authors.push(author.clone()),
        }
    }
    for target in &other.deploy_targets {
        if !into.deploy_targets.contains(target) {
            into.deploy_targets.push(target.clone());
        }
    }
}

/// Groups, users and memberships of the declared catalog, by the
/// identities discovery sees (GitHub team slugs, logins, e-mails).
struct People {
    groups_by_name: HashMap<String, EntityKey>,
    groups_by_slug: HashMap<String, EntityKey>,
    users_by_login: HashMap<String, EntityKey>,
    users_by_email: HashMap<String, EntityKey>,
    groups_of_user: HashMap<EntityKey, BTreeSet<EntityKey>>,
}

impl People {
    fn index(entities: &[Arc<Entity>]) -> People {
        let mut people = People {
            groups_by_name: HashMap::new(),
            groups_by_slug: HashMap::new(),
            users_by_login: HashMap::new(),
            users_by_email: HashMap::new(),
            groups_of_user: HashMap::new(),
        };
        for entity in entities {
            let key = entity.key();
            match entity.kind {
                Kind::Group => {
                    people
                        .groups_by_name
                        .entry(entity.metadata.name.to_ascii_lowercase())
                        .or_insert_with(|| key.clone());
                    if let Some(slug) = entity.annotation("github.com/team-slug") {
                        let slug = slug.to_ascii_lowercase();
                        if let Some((_, team)) = slug.split_once('/') {
                            people
                                .groups_by_slug
                                .entry(team.to_string())
                                .or_insert_with(|| key.clone());
                        }
                        people.groups_by_slug.entry(slug).or_insert_with(|| key.clone());
                    }
                    for user in refs_of(entity, RefField::Members, Kind::User) {
                        people.groups_of_user.entry(user).or_default().insert(key.clone());
                    }
                }
                Kind::User => {
                    if let Some(login) = entity.annotation("github.com/user-login") {
                        people.users_by_login.insert(login.to_ascii_lowercase(), key.clone());
                    }
                    if let Some(email) = &entity.profile().email {
                        people
                            .users_by_email
                            .insert(email.trim().to_ascii_lowercase(), key.clone());
                    }
                    for group in refs_of(entity, RefField::MemberOf, Kind::Group) {
                        people.groups_of_user.entry(key.clone()).or_default().insert(group);
                    }
                }
                _ => {}
            }
        }
        people
    }

    /// A GitHub team (`org/slug` or `slug`) → its Group: the
    /// `github.com/team-slug` annotation, else the Group of that name.
    fn team(&self, team: &str) -> Option<&EntityKey> {
        let team = team.trim_start_matches('@').to_ascii_lowercase();
        let slug = team.rsplit('/').next().unwrap_or(&team);
        self.groups_by_slug
            .get(&team)
            .or_else(|| self.groups_by_slug.get(slug))
            .or_else(|| self.groups_by_name.get(slug))
    }

    /// A user's Groups.
    fn groups_of(&self, user: &EntityKey) -> impl Iterator<Item = &EntityKey> {
        self.groups_of_user.get(user).into_iter().flatten()
    }

    /// The Groups a CODEOWNERS owner (`@org/team`, `@login`, e-mail) stands
    /// for.
    fn owner_groups(&self, owner: &str) -> Vec<EntityKey> {
        if let Some(handle) = owner.strip_prefix('@') {
            if handle.contains('/') {
                return self.team(handle).cloned().into_iter().collect();
            }
            return self
                .users_by_login
                .get(&handle.to_ascii_lowercase())
                .map(|u| self.groups_of(u).cloned().collect())
                .unwrap_or_default();
        }
        self.users_by_email
            .get(&owner.to_ascii_lowercase())
            .map(|u| self.groups_of(u).cloned().collect())
            .unwrap_or_default()
    }

    /// A commit author → the User (by e-mail, else GitHub login).
    fn author(&self, email: &str, login: Option<&str>) -> Option<&EntityKey> {
        self.users_by_email
            .get(email)
            .or_else(|| login.and_then(|l| self.users_by_login.get(&l.to_ascii_lowercase())))
    }
}

/// The entities an entity's refs in `field` name (kind defaulted).
fn refs_of(entity: &Entity, field: RefField, default: Kind) -> Vec<EntityKey> {
    entity
        .refs
        .iter()
        .filter(|r| r.field == field)
        .filter_map(|r| {
            let parsed = parse_ref(&r.text).ok()?;
            let kind = parsed.kind.map_or(Some(default), Kind::from_ref)?;
            let namespace = parsed.namespace.unwrap_or(&entity.metadata.namespace);
            Some(EntityKey::new(kind, namespace, parsed.name))
        })
        .collect()
}

/// Declared Components by repository and by normalised name.
struct ComponentIndex {
    by_repo: HashMap<String, Vec<(usize, String)>>,
    by_name: HashMap<String, usize>,
}

impl ComponentIndex {
    fn new(entities: &[Arc<Entity>], fields: &FieldMap) -> ComponentIndex {
        let mut index = ComponentIndex {
            by_repo: HashMap::new(),
            by_name: HashMap::new(),
        };
        for (i, entity) in entities.iter().enumerate() {
            if entity.kind != Kind::Component {
                continue;
            }
            let key = match_key(&entity.metadata.name);
            if let Some(slug) = entity.annotation(&fields.repo) {
                index
                    .by_repo
                    .entry(slug.trim().to_ascii_lowercase())
                    .or_default()
                    .push((i, key.clone()));
            }
            index.by_name.entry(key).or_insert(i);
        }
        index
    }

    /// The Component a repository is: the one annotated with its slug
    /// (in a monorepo, the one named like the directory), else by name.
    fn match_repo(&self, repo: &Repo) -> Option<usize> {
        let name = match_key(repo_name(repo));
        if let Some(declared) = self.by_repo.get(&repo.slug.to_ascii_lowercase()) {
            if let Some((i, _)) = declared.iter().find(|(_, key)| *key == name) {
                return Some(*i);
            }
            if repo.path.is_empty() && declared.len() == 1 {
                return Some(declared[0].0);
            }
        }
        self.by_name.get(&name).copied()
    }

    /// The Component a unit is: by its repository, its name or its
    /// `service` tag.
    fn match_unit(&self, unit: &Unit, repo: Option<&Repo>) -> Option<usize> {
        self.by_name
            .get(&match_key(&unit.name))
            .copied()
            .or_else(|| repo.and_then(|r| self.match_repo(r)))
    }
}

/// Everything discovery says about one service's parts.
fn describe(parts: &Parts, world: &World, people: &People, discovered: bool) -> Discovery {
    let repos: Vec<&MergedRepo> = parts.repos.iter().map(|&(r, ..)| &world.repos[r]).collect();
    let resources: Vec<&MergedResource> = parts
        .units
        .iter()
        .flat_map(|u| u.resources.iter().map(|&r| &world.resources[r]))
        .collect();
    let mut sources: BTreeSet<Source> = repos.iter().flat_map(|r| r.sources.iter().copied()).collect();
    if !resources.is_empty() {
        sources.insert(Source::Aws);
    }
    let existence = parts
        .units
        .iter()
        .map(|u| u.existence)
        .chain(
            parts
                .repos
                .iter()
                .filter(|(_, rule)| *rule == LinkRule::Repository)
                .map(|_| 0.60),
        )
        .fold(0.0, f64::max);
    let repo = parts
        .repos
        .iter()
        .max_by(|a, b| a.1.confidence().total_cmp(&b.1.confidence()).then(b.0.cmp(&a.0)))
        .map(|&(r, rule)| RepoLink {
            slug: world.repos[r].repo.slug.clone(),
            path: world.repos[r].repo.path.clone(),
            rule,
            confidence: rule.confidence(),
        });
    let mut languages: BTreeMap<&str, u64> = BTreeMap::new();
    for repo in &repos {
        for (language, bytes) in &repo.repo.languages {
            *languages.entry(language).or_default() += bytes;
        }
    }
    let mut languages: Vec<(&str, u64)> = languages.into_iter().collect();
    languages.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let runtimes: BTreeSet<String> = resources
        .iter()
        .flat_map(|r| r.resource.runtime.iter().chain(r.resource.images.iter()))
        .cloned()
        .collect();
    let missing_from = repos
        .iter()
        .map(|r| r.missing)
        .chain(resources.iter().map(|r| r.missing))
        .min()
        .unwrap_or(0);
    let stale = Staleness::after(missing_from).filter(|_| discovered);
    let files = repos
        .iter()
        .flat_map(|r| r.files.iter().cloned())
        .chain(resources.iter().map(|r| r.file.clone()))
        .collect();
    Discovery {
        discovered,
        sources,
        existence,
        repo,
        ownership: infer_owner(&repos, &resources, world, people),
        arns: resources.iter().map(|r| r.resource.arn.clone()).collect(),
        languages: languages.into_iter().take(5).map(|(l, _)| l.to_string()).collect(),
        runtimes: runtimes.into_iter().collect(),
        stale,
        missing_from,
        filled: Vec::new(),
        files,
    }
}

/// Facts fill a declared Component's description when it has none (its
/// document stays as written; the field is marked as discovered).
fn fill_declared(entity: &mut Entity, discovery: &mut Discovery, parts: &Parts, world: &World, fields: &FieldMap) {
    if entity.metadata.description.is_none() {
        let description = parts
            .repos
            .iter()
            .find_map(|&(r, ..)| world.repos[r].repo.description.clone());
        if description.is_some() {
            entity.metadata.description = description;
            discovery.filled.push(ServiceField::Description);
        }
    }
    if entity.metadata.tags.is_empty() && !discovery.languages.is_empty() {
        discovery.filled.push(ServiceField::Tech);
    }
    if entity.annotation(&fields.repo).is_none() && discovery.repo.is_some() {
        discovery.filled.push(ServiceField::Repo);
    }
    if !entity.refs.iter().any(|r| r.field == RefField::Owner) && discovery.ownership.owner().is_some() {
        discovery.filled.push(ServiceField::Owner);
    }
}

/// `ownership-drift` when discovery confidently names another Group than
/// the declared owner (a declared User counts as their Groups).
fn drift(entity: &Entity, discovery: &Discovery, people: &People, diagnostics: &mut Vec<Diagnostic>) {
    if discovery.ownership.status != OwnershipStatus::Owned {
        return;
    }
    let Some(inferred) = discovery.ownership.candidates.first() else {
        return;
    };
    let Some(declared) = refs_of(entity, RefField::Owner, Kind::Group).into_iter().next() else {
        return;
    };
    let agrees = declared == inferred.group
        || (declared.kind == Kind::User && people.groups_of(&declared).any(|g| *g == inferred.group));
    if agrees {
        return;
    }
    let signals: Vec<String> = inferred
        .shares
        .iter()
        .map(|(signal, share)| format!("{signal} {:.0}%", share * 100.0))
        .collect();
    diagnostics.push(
        Diagnostic::new(
            Code::OwnershipDrift,
            entity.location("/spec/owner"),
            format!(
                "declared owner `{}` differs from the discovered owner `{}` (confidence {:.2}: {})",
                entity
                    .refs
                    .iter()
                    .find(|r| r.field == RefField::Owner)
                    .map_or(String::new(), |r| r.text.clone()),
                group_ref(&inferred.group),
                inferred.score,
                signals.join(", ")
            ),
        )
        .with_help("the declared owner wins; update `spec.owner` or fix CODEOWNERS / the `team` tag"),
    );
}

fn group_ref(key: &EntityKey) -> String {
    format!("group:{}/{}", key.namespace, key.name)
}

/// The Component for a service only discovery knows.
fn discovered_entity(
    name: &str,
    discovery: &Discovery,
    parts: &Parts,
    world: &World,
    fields: &FieldMap,
    document: usize,
) -> Entity {
    let mut annotations = serde_json::Map::new();
    annotations.insert(DISCOVERED_ANNOTATION.into(), json!("true"));
    if let Some(link) = discovery.repo.as_ref().filter(|l| l.slug.contains('/')) {
        annotations.insert(fields.repo.clone(), json!(link.slug));
    }
    let mut metadata = json!({ "name": name, "annotations": annotations });
    if let Some(description) = parts
        .repos
        .iter()
        .find_map(|&(r, ..)| world.repos[r].repo.description.clone())
    {
        metadata["description"] = json!(description);
    }
    let lifecycle = discovery.stale.map_or(
        if parts.units.is_empty() {
            "unknown"
        } else {
            "production"
        },
        Staleness::as_str,
    );
    let mut spec = json!({ "type": "service", "lifecycle": lifecycle });
    if let Some(owner) = discovery.ownership.owner() {
        spec["owner"] = json!(group_ref(&owner.group));
    }
    let document_json = json!({
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": metadata,
        "spec": spec,
    });
    let file = discovery.files.iter().next().cloned().unwrap_or_default();
    let root = Node::from_json(&document_json, Pos { line: 1, column: 1 });
    let mut diagnostics = Vec::new();
    let mut entity = crate::model::lower_document(&file, Document::new(document, root), &mut diagnostics)
        .expect("a discovered Component is an entity");
    entity.discovered = true;
    entity
}

#[cfg(test)]
mod tests;
