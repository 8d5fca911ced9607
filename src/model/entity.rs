//! The typed entity shared by every later stage.

use std::fmt;
use std::sync::Arc;

use compact_str::CompactString;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use super::relation::RelationKind;
use super::resource_claim::{self, ResourceClaim};
use super::resource_definition::{self, ResourceDefinition};
use crate::diagnostics::FilePosition;
use crate::parse::{Document, Inlined, Node, Value};
use crate::source::GitOrigin;
use crate::util::exact;

/// The kinds cairn understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Kind {
    Component,
    Api,
    System,
    Domain,
    Resource,
    Group,
    User,
    Location,
    /// A Scaffolder Template (`scaffolder.backstage.io/v1beta3`).
    Template,
    /// A request for a ResourceDefinition version (`catalog.nestor.io/v1`).
    ResourceClaim,
    ResourceDefinition,
}

impl Kind {
    /// Every kind, in declaration order.
    pub const ALL: [Kind; 11] = [
        Kind::Component,
        Kind::Api,
        Kind::System,
        Kind::Domain,
        Kind::Resource,
        Kind::Group,
        Kind::User,
        Kind::Location,
        Kind::Template,
        Kind::ResourceClaim,
        Kind::ResourceDefinition,
    ];

    pub const BACKSTAGE_NAMES: &'static [&'static str] = &[
        "Component",
        "API",
        "System",
        "Domain",
        "Resource",
        "Group",
        "User",
        "Location",
    ];

    pub fn from_backstage(name: &str) -> Option<Kind> {
        Some(match name {
            "Component" => Kind::Component,
            "API" => Kind::Api,
            "System" => Kind::System,
            "Domain" => Kind::Domain,
            "Resource" => Kind::Resource,
            "Group" => Kind::Group,
            "User" => Kind::User,
            "Location" => Kind::Location,
            _ => return None,
        })
    }

    /// The kind as written in `kind:`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Component => "Component",
            Kind::Api => "API",
            Kind::System => "System",
            Kind::Domain => "Domain",
            Kind::Resource => "Resource",
            Kind::Group => "Group",
            Kind::User => "User",
            Kind::Location => "Location",
            Kind::Template => "Template",
            Kind::ResourceClaim => "ResourceClaim",
            Kind::ResourceDefinition => "ResourceDefinition",
        }
    }

    /// The kind in entity refs and URLs (`component`, `api`…).
    pub fn slug(self) -> &'static str {
        match self {
            Kind::Component => "component",
            Kind::Api => "api",
            Kind::System => "system",
            Kind::Domain => "domain",
            Kind::Resource => "resource",
            Kind::Group => "group",
            Kind::User => "user",
            Kind::Location => "location",
            Kind::Template => "template",
            Kind::ResourceClaim => "resourceclaim",
            Kind::ResourceDefinition => "resourcedefinition",
        }
    }

    /// Parses the kind part of an entity ref (case-insensitive, as Backstage).
    pub fn from_ref(text: &str) -> Option<Kind> {
        let lower = text.to_ascii_lowercase();
        Kind::ALL
            .into_iter()
            .filter(|k| *k != Kind::ResourceDefinition)
            .find(|k| k.slug() == lower)
    }

    /// The file name of this kind's JSON Schema in `schemas/`.
    pub fn schema_file(self) -> &'static str {
        match self {
            Kind::Component => "component.schema.json",
            Kind::Api => "api.schema.json",
            Kind::System => "system.schema.json",
            Kind::Domain => "domain.schema.json",
            Kind::Resource => "resource.schema.json",
            Kind::Group => "group.schema.json",
            Kind::User => "user.schema.json",
            Kind::Location => "location.schema.json",
            Kind::Template => "template.schema.json",
            Kind::ResourceClaim => "resource-claim.schema.json",
            Kind::ResourceDefinition => "resource-definition.schema.json",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The identity of a Backstage entity: kind, namespace and name, compared
/// case-insensitively as Backstage does (both parts are stored lowercase).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntityKey {
    pub kind: Kind,
    pub namespace: String,
    pub name: String,
}

impl EntityKey {
    pub fn new(kind: Kind, namespace: &str, name: &str) -> EntityKey {
        EntityKey {
            kind,
            namespace: namespace.to_ascii_lowercase(),
            name: name.to_ascii_lowercase(),
        }
    }
}

impl fmt::Display for EntityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}/{}", self.kind.slug(), self.namespace, self.name)
    }
}

/// A field of `spec` that refers to other entities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RefField {
    Owner,
    System,
    Domain,
    SubdomainOf,
    SubcomponentOf,
    ProvidesApis,
    ConsumesApis,
    DependsOn,
    DependencyOf,
    Parent,
    Children,
    Members,
    MemberOf,
}

impl RefField {
    /// The key under `spec`.
    pub fn key(self) -> &'static str {
        match self {
            RefField::Owner => "owner",
            RefField::System => "system",
            RefField::Domain => "domain",
            RefField::SubdomainOf => "subdomainOf",
            RefField::SubcomponentOf => "subcomponentOf",
            RefField::ProvidesApis => "providesApis",
            RefField::ConsumesApis => "consumesApis",
            RefField::DependsOn => "dependsOn",
            RefField::DependencyOf => "dependencyOf",
            RefField::Parent => "parent",
            RefField::Children => "children",
            RefField::Members => "members",
            RefField::MemberOf => "memberOf",
        }
    }

    /// The reference fields each kind has, as Backstage defines them.
    pub fn of_kind(kind: Kind) -> &'static [RefField] {
        use RefField::*;
        match kind {
            Kind::Component => &[
                Owner,
                System,
                SubcomponentOf,
                ProvidesApis,
                ConsumesApis,
                DependsOn,
                DependencyOf,
            ],
            Kind::Api => &[Owner, System],
            Kind::System => &[Owner, Domain],
            Kind::Domain => &[Owner, SubdomainOf],
            Kind::Resource => &[Owner, System, DependsOn, DependencyOf],
            Kind::Group => &[Parent, Children, Members],
            Kind::User => &[MemberOf],
            Kind::Template => &[Owner],
            Kind::ResourceClaim => &[Owner, System, DependencyOf],
            Kind::Location | Kind::ResourceDefinition => &[],
        }
    }

    /// The kind assumed when a ref omits it (`None`: the ref must name it).
    pub fn default_kind(self) -> Option<Kind> {
        use RefField::*;
        match self {
            Owner | Parent | Children | MemberOf => Some(Kind::Group),
            System => Some(Kind::System),
            Domain | SubdomainOf => Some(Kind::Domain),
            SubcomponentOf => Some(Kind::Component),
            ProvidesApis | ConsumesApis => Some(Kind::Api),
            Members => Some(Kind::User),
            DependsOn | DependencyOf => None,
        }
    }

    /// [`RefField::default_kind`] in an entity of `kind`: a ResourceClaim's
    /// `dependencyOf` names Components, so the kind may be left out.
    pub fn default_kind_in(self, kind: Kind) -> Option<Kind> {
        match (kind, self) {
            (Kind::ResourceClaim, RefField::DependencyOf) => Some(Kind::Component),
            _ => self.default_kind(),
        }
    }

    /// [`RefField::allowed_kinds`] in an entity of `kind`: a ResourceClaim
    /// is owned by a team and used by Components.
    pub fn allowed_kinds_in(self, kind: Kind) -> &'static [Kind] {
        match (kind, self) {
            (Kind::ResourceClaim, RefField::Owner) => &[Kind::Group],
            (Kind::ResourceClaim, RefField::DependencyOf) => &[Kind::Component],
            _ => self.allowed_kinds(),
        }
    }

    /// The kinds a ref in this field may point at.
    pub fn allowed_kinds(self) -> &'static [Kind] {
        use RefField::*;
        match self {
            Owner => &[Kind::Group, Kind::User],
            System => &[Kind::System],
            Domain | SubdomainOf => &[Kind::Domain],
            SubcomponentOf => &[Kind::Component],
            ProvidesApis | ConsumesApis => &[Kind::Api],
            DependsOn | DependencyOf => &[Kind::Component, Kind::Resource],
            Parent | Children | MemberOf => &[Kind::Group],
            Members => &[Kind::User],
        }
    }

    /// The Backstage relation this field creates (its target has the
    /// inverse).
    pub fn relation(self) -> RelationKind {
        use RefField::*;
        match self {
            Owner => RelationKind::OwnedBy,
            System | Domain | SubdomainOf | SubcomponentOf => RelationKind::PartOf,
            ProvidesApis => RelationKind::ProvidesApi,
            ConsumesApis => RelationKind::ConsumesApi,
            DependsOn => RelationKind::DependsOn,
            DependencyOf => RelationKind::DependencyOf,
            Parent => RelationKind::ChildOf,
            Children => RelationKind::ParentOf,
            Members => RelationKind::HasMember,
            MemberOf => RelationKind::MemberOf,
        }
    }

    fn is_list(self) -> bool {
        use RefField::*;
        matches!(
            self,
            ProvidesApis | ConsumesApis | DependsOn | DependencyOf | Children | Members | MemberOf
        )
    }
}

/// One reference as written, and where: its field and, in a list, its
/// position (the pointer is built only for a diagnostic).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecRef {
    pub field: RefField,
    pub text: String,
    pub index: Option<u32>,
}

impl SpecRef {
    /// The JSON pointer of its node: `/spec/owner`, `/spec/dependsOn/2`.
    pub fn pointer(&self) -> String {
        match self.index {
            Some(i) => format!("/spec/{}/{i}", self.field.key()),
            None => format!("/spec/{}", self.field.key()),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub url: String,
    pub title: Option<String>,
    pub icon: Option<String>,
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    pub name: String,
    pub namespace: CompactString,
    pub title: Option<String>,
    pub description: Option<String>,
    pub labels: StringMap,
    pub annotations: StringMap,
    pub tags: Vec<String>,
    pub links: Vec<Link>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub picture: Option<String>,
}

/// One catalog entity: a Backstage entity or a ResourceDefinition version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    pub kind: Kind,
    pub api_version: CompactString,
    pub metadata: Metadata,
    /// `spec.type`.
    pub spec_type: Option<CompactString>,
    /// `spec.lifecycle`.
    pub lifecycle: Option<CompactString>,
    /// `spec.profile` of Groups and Users, boxed and only when it says
    /// something: most entities have none (read it with [`Entity::profile`]).
    pub profile: Option<Box<Profile>>,
    /// `spec.definition` of APIs, when it is inline text.
    pub definition: Option<String>,
    /// Every reference in `spec`, in source order.
    pub refs: Vec<SpecRef>,
    /// The typed definition, for `kind: ResourceDefinition`.
    pub resource_definition: Option<Box<ResourceDefinition>>,
    /// The typed claim, for `kind: ResourceClaim`.
    pub resource_claim: Option<Box<ResourceClaim>>,
    /// Where the entity was defined.
    pub file: String,
    pub document: usize,
    /// Whether a Location targets the entity's file (see `load`).
    pub registered: bool,
    /// Made by discovery (a repository or stack no YAML declares), not
    /// written by anyone: not checked against schemas or policies.
    pub discovered: bool,
    /// For an entity from a `git:` source: repository, commit and path.
    pub origin: Option<Arc<GitOrigin>>,
    /// The document tree, for mapping JSON pointers back to positions.
    pub node: Arc<Node>,
    /// Subtrees inlined from other files by placeholders: a pointer under
    /// one is located in that file.
    pub inlined: Vec<Inlined>,
    /// Placeholders that name a URL, left as written (pointer, URL).
    pub unfetched: Vec<(String, String)>,
    /// An API's definition read as its format, on first use
    /// (`Entity::api_reference`): validation, the page, the JSON file
    /// and search read it once, and `cairn serve` keeps it with an entity
    /// that did not change.
    #[serde(skip)]
    pub reference: Memo<Arc<crate::contracts::Parsed>>,
}

/// A value computed from an entity's own fields on first use and kept with
/// it. It is not part of what the entity says: every two memos compare
/// equal, and `Debug` does not print the value.
#[derive(Clone)]
pub struct Memo<T>(std::sync::OnceLock<T>);

impl<T> Default for Memo<T> {
    fn default() -> Self {
        Memo(std::sync::OnceLock::new())
    }
}

impl<T> Memo<T> {
    pub fn get_or_init(&self, init: impl FnOnce() -> T) -> &T {
        self.0.get_or_init(init)
    }
}

impl<T> PartialEq for Memo<T> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl<T> fmt::Debug for Memo<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "Memo(computed)"
        } else {
            "Memo(empty)"
        })
    }
}

/// A stable name for every entity: its ref, or `name@version` for a
/// ResourceDefinition version.
pub fn change_key(entity: &Entity) -> String {
    match &entity.resource_definition {
        Some(rd) => format!("{}@{}", entity.metadata.name, rd.version.as_deref().unwrap_or_default()),
        None => entity.key().to_string(),
    }
}

/// The version of a ResourceDefinition version as written (empty for
/// other entities).
pub fn version_text(entity: &Entity) -> &str {
    entity
        .resource_definition
        .as_ref()
        .and_then(|d| d.version.as_deref())
        .unwrap_or_default()
}

impl Entity {
    /// The identity of a Backstage entity. ResourceDefinitions are keyed by
    /// name and version instead (see `resolve`).
    pub fn key(&self) -> EntityKey {
        EntityKey::new(self.kind, &self.metadata.namespace, &self.metadata.name)
    }

    /// `kind:namespace/name`, lowercase, as Backstage writes the targets of
    /// relations (and every output names entities).
    pub fn canonical_ref(&self) -> String {
        crate::util::joined_lowercase(&[
            (self.kind.slug(), false),
            (":", false),
            (&self.metadata.namespace, true),
            ("/", false),
            (&self.metadata.name, true),
        ])
    }

    /// `kind:namespace/name` as Backstage writes refs, in original case.
    pub fn ref_string(&self) -> String {
        format!(
            "{}:{}/{}",
            self.kind.slug(),
            self.metadata.namespace,
            self.metadata.name
        )
    }

    /// The node at `pointer`, or the nearest existing parent.
    pub fn locate(&self, pointer: &str) -> &Node {
        self.node.locate(pointer)
    }

    /// Where a diagnostic about the node at `pointer` points: the node, or
    /// for a missing one the nearest parent that exists.
    pub fn location(&self, pointer: &str) -> FilePosition {
        let node = self.locate(pointer);
        FilePosition {
            file: self.file_of(pointer).to_string(),
            line: node.start.line,
            column: node.start.column,
            pointer: pointer.to_string(),
        }
    }

    /// The file the node at `pointer` was written in: this entity's, or
    /// the file a placeholder inlined it from.
    pub fn file_of(&self, pointer: &str) -> &str {
        self.inlined
            .iter()
            .filter(|region| {
                pointer
                    .strip_prefix(region.pointer.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
            })
            .max_by_key(|region| region.pointer.len())
            .map_or(&self.file, |region| &region.file)
    }

    /// The file whose whole text a `$text` placeholder put at `pointer`
    /// (a string exactly as that file holds it), if one did.
    pub fn text_file(&self, pointer: &str) -> Option<&str> {
        self.inlined
            .iter()
            .find(|region| region.pointer == pointer)
            .map(|region| region.file.as_str())
            .filter(|_| self.node.pointer(pointer).is_some_and(|n| n.as_str().is_some()))
    }

    /// The URL a placeholder at `pointer` names, if it is one left as
    /// written (a build fetches nothing).
    pub fn unfetched_url(&self, pointer: &str) -> Option<&str> {
        self.unfetched
            .iter()
            .find(|(p, _)| p == pointer)
            .map(|(_, url)| url.as_str())
    }

    /// Like [`Entity::location`], but at the mapping key of the node, for
    /// problems with the key itself (an unknown or misspelt key).
    pub fn key_location(&self, pointer: &str) -> FilePosition {
        let mut location = self.location(pointer);
        if let Some((parent, key)) = pointer.rsplit_once('/') {
            let key = key.replace("~1", "/").replace("~0", "~");
            if let Some((key_node, _)) = self.node.pointer(parent).and_then(|n| n.get_entry(&key)) {
                (location.line, location.column) = (key_node.start.line, key_node.start.column);
            }
        }
        location
    }

    /// The document as JSON, exactly as written.
    pub fn to_json(&self) -> Json {
        self.node.to_json()
    }

    /// `spec.profile` (empty for the kinds that have none).
    pub fn profile(&self) -> &Profile {
        static NONE: Profile = Profile {
            display_name: None,
            email: None,
            picture: None,
        };
        self.profile.as_deref().unwrap_or(&NONE)
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.metadata.annotations.get(key)
    }
}

/// A map of strings to strings (`metadata.labels`, `metadata.annotations`),
/// sorted by key: one allocation where a `BTreeMap` allocates a node of
/// eleven entries for the first key (64 MB of such mostly empty nodes in
/// `check` of a 100k catalog).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StringMap(Box<[(String, String)]>);

impl StringMap {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .binary_search_by(|(k, _)| k.as_str().cmp(key))
            .ok()
            .map(|i| self.0[i].1.as_str())
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// Sorted by key; of a repeated key the last value wins, as it would in a
/// map that the pairs were inserted into in order.
impl FromIterator<(String, String)> for StringMap {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(pairs: I) -> StringMap {
        let mut pairs: Vec<(String, String)> = pairs.into_iter().collect();
        pairs.reverse();
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        pairs.dedup_by(|later, earlier| later.0 == earlier.0);
        StringMap(pairs.into_boxed_slice())
    }
}

fn string_map(node: Option<&Node>) -> StringMap {
    node.and_then(Node::as_map)
        .map(|entries| {
            entries
                .iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

pub(super) fn build(kind: Kind, api_version: &str, name: String, file: &str, doc: Document) -> Entity {
    let root = &doc.root;
    let meta = root.get("metadata");
    let get = |key: &str| meta.and_then(|m| m.get(key));
    let links = get("links")
        .and_then(Node::as_seq)
        .map(|items| {
            items
                .iter()
                .filter_map(|l| {
                    Some(Link {
                        url: l.get_str("url")?.to_string(),
                        title: super::text(l.get("title")),
                        icon: super::text(l.get("icon")),
                        kind: super::text(l.get("type")),
                    })
                })
                .collect::<Vec<_>>()
        })
        .map(exact)
        .unwrap_or_default();
    let metadata = Metadata {
        name,
        namespace: super::word(get("namespace")).unwrap_or_else(|| "default".into()),
        title: super::text(get("title")),
        description: super::text(get("description")),
        labels: string_map(get("labels")),
        annotations: string_map(get("annotations")),
        tags: get("tags")
            .and_then(Node::as_seq)
            .map(|t| exact(t.iter().filter_map(|n| n.as_str().map(str::to_string)).collect()))
            .unwrap_or_default(),
        links,
    };
    let spec = root.get("spec");
    let spec_get = |key: &str| spec.and_then(|s| s.get(key));
    let mut refs = Vec::new();
    for &field in RefField::of_kind(kind) {
        let Some(node) = spec_get(field.key()) else {
            continue;
        };
        match (&node.value, field.is_list()) {
            (Value::Seq(items), true) => {
                for (i, item) in (0u32..).zip(items.iter()) {
                    if let Some(t) = item.as_str() {
                        refs.push(SpecRef {
                            field,
                            text: t.to_string(),
                            index: Some(i),
                        });
                    }
                }
            }
            (Value::String(t), false) => refs.push(SpecRef {
                field,
                text: t.to_string(),
                index: None,
            }),
            _ => {} // wrong shape: reported by the schema check
        }
    }
    let refs = exact(refs);
    let profile_node = spec_get("profile");
    let profile = Profile {
        display_name: super::text(profile_node.and_then(|p| p.get("displayName"))),
        email: super::text(profile_node.and_then(|p| p.get("email"))),
        picture: super::text(profile_node.and_then(|p| p.get("picture"))),
    };
    let profile = (profile != Profile::default()).then(|| Box::new(profile));
    Entity {
        kind,
        api_version: api_version.into(),
        metadata,
        spec_type: super::word(spec_get("type")),
        lifecycle: super::word(spec_get("lifecycle")),
        profile,
        definition: super::text(spec_get("definition")),
        refs,
        resource_definition: (kind == Kind::ResourceDefinition).then(|| Box::new(resource_definition::build(root))),
        resource_claim: (kind == Kind::ResourceClaim).then(|| Box::new(resource_claim::build(root))),
        file: file.to_string(),
        document: doc.index,
        registered: false,
        discovered: false,
        origin: None,
        node: Arc::new(doc.root),
        inlined: doc.inlined,
        unfetched: doc.unfetched,
        reference: Memo::default(),
    }
}
