//! Org data from discovery: the teams and members `cairn discover github`
//! recorded become Group and User entities, as Backstage's GitHub org
//! provider makes them — so `owner: team-x` and `members: [login]` resolve
//! in a catalog whose people live in the identity provider, not in YAML.
//!
//! * A team is a Group named by its slug, `spec.type: team`, its name as
//!   `spec.profile.displayName`, `spec.parent` from the parent team, its
//!   members in `spec.members`, annotated `github.com/team-slug: org/slug`.
//! * A member is a User named by its login, the profile's name and public
//!   email in `spec.profile`, its teams in `spec.memberOf`, annotated
//!   `github.com/user-login`.
//!
//! Declared entities win: a Group with that `github.com/team-slug` (or
//! named as the slug) and a User with that `github.com/user-login` (or
//! named as the login) are not made again, and refs to them use their
//! declared names. Made entities are `discovered`, annotated
//! `cairn.dev/discovered: "true"`, placed at line 1 of their facts file,
//! and exempt from schema and policy checks, like discovered services.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use serde_json::{json, Value as Json};

use super::reconcile::DISCOVERED_ANNOTATION;
use crate::facts::Source;
use crate::load::facts::Snapshots;
use crate::model::{Entity, Kind};
use crate::parse::{Document, Node, Pos};

/// A team as the snapshots record it, merged over snapshots.
struct Team {
    org: Option<String>,
    name: String,
    parent: Option<String>,
    members: BTreeSet<String>,
    file: String,
}

/// A member as the snapshots record it.
#[derive(Default)]
struct Member {
    name: Option<String>,
    email: Option<String>,
    teams: BTreeSet<String>,
    file: String,
}

/// The Groups and Users the GitHub snapshots describe that `declared` does
/// not already have, in a stable order.
pub fn org_entities(declared: &[Arc<Entity>], snapshots: &Snapshots) -> Vec<Entity> {
    let (teams, members) = collect(snapshots);
    if teams.is_empty() && members.is_empty() {
        return Vec::new();
    }
    let known = Known::index(declared);
    let group_name = |slug: &str| known.group(slug).unwrap_or_else(|| slug.to_string());
    let user_name = |login: &str| known.user(login).unwrap_or_else(|| login.to_string());
    let mut made = Vec::new();
    for (slug, team) in &teams {
        if known.group(slug).is_some() {
            continue;
        }
        let mut annotations = serde_json::Map::new();
        annotations.insert(DISCOVERED_ANNOTATION.into(), json!("true"));
        let team_slug = match &team.org {
            Some(org) => format!("{org}/{slug}"),
            None => slug.clone(),
        };
        annotations.insert("github.com/team-slug".into(), json!(team_slug));
        let mut spec = json!({
            "type": "team",
            "profile": { "displayName": team.name },
            "children": [],
            "members": team.members.iter().map(|m| user_name(m)).collect::<Vec<_>>(),
        });
        if let Some(parent) = team
            .parent
            .as_deref()
            .filter(|p| teams.contains_key(*p) || known.group(p).is_some())
        {
            spec["parent"] = json!(group_name(parent));
        }
        let document = json!({
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "Group",
            "metadata": { "name": slug, "annotations": annotations },
            "spec": spec,
        });
        made.extend(entity(&team.file, made.len(), &document));
    }
    for (login, member) in &members {
        if known.user(login).is_some() {
            continue;
        }
        let mut profile = serde_json::Map::new();
        if let Some(name) = &member.name {
            profile.insert("displayName".into(), json!(name));
        }
        if let Some(email) = &member.email {
            profile.insert("email".into(), json!(email));
        }
        let document = json!({
            "apiVersion": "backstage.io/v1alpha1",
            "kind": "User",
            "metadata": {
                "name": login,
                "annotations": { DISCOVERED_ANNOTATION: "true", "github.com/user-login": login },
            },
            "spec": {
                "profile": profile,
                "memberOf": member.teams.iter().map(|t| group_name(t)).collect::<Vec<_>>(),
            },
        });
        made.extend(entity(&member.file, made.len(), &document));
    }
    made
}

/// The teams and members of every `github` snapshot, by slug and login
/// (lowercase; GitHub compares them so). The first snapshot to name one
/// gives its fields; members are united.
fn collect(snapshots: &Snapshots) -> (BTreeMap<String, Team>, BTreeMap<String, Member>) {
    let mut teams: BTreeMap<String, Team> = BTreeMap::new();
    let mut members: BTreeMap<String, Member> = BTreeMap::new();
    for snapshot in snapshots.files.iter().filter(|s| s.facts.source == Source::Github) {
        let facts = &snapshot.facts;
        for team in &facts.teams {
            let slug = team.slug.to_ascii_lowercase();
            let merged = teams.entry(slug.clone()).or_insert_with(|| Team {
                org: facts.org.clone(),
                name: team.name.clone(),
                parent: team.parent.as_ref().map(|p| p.to_ascii_lowercase()),
                members: BTreeSet::new(),
                file: snapshot.display.clone(),
            });
            for login in &team.members {
                let login = login.to_ascii_lowercase();
                merged.members.insert(login.clone());
                let member = members.entry(login).or_default();
                member.teams.insert(slug.clone());
                if member.file.is_empty() {
                    member.file = snapshot.display.clone();
                }
            }
        }
        for user in &facts.users {
            let member = members.entry(user.login.to_ascii_lowercase()).or_default();
            member.name = member.name.take().or_else(|| user.name.clone());
            member.email = member.email.take().or_else(|| user.email.clone());
            if member.file.is_empty() {
                member.file = snapshot.display.clone();
            }
        }
    }
    (teams, members)
}

/// The declared Groups and Users, by GitHub identity and by name.
struct Known {
    groups_by_slug: HashMap<String, String>,
    groups_by_name: HashMap<String, String>,
    users_by_login: HashMap<String, String>,
    users_by_name: HashMap<String, String>,
}

impl Known {
    fn index(declared: &[Arc<Entity>]) -> Known {
        let mut known = Known {
            groups_by_slug: HashMap::new(),
            groups_by_name: HashMap::new(),
            users_by_login: HashMap::new(),
            users_by_name: HashMap::new(),
        };
        // Refs without a namespace mean `default`: only those entities can
        // stand in for a team or a login.
        for entity in declared
            .iter()
            .filter(|e| e.metadata.namespace.eq_ignore_ascii_case("default"))
        {
            let name = entity.metadata.name.clone();
            match entity.kind {
                Kind::Group => {
                    if let Some(slug) = entity.annotation("github.com/team-slug") {
                        let slug = slug.rsplit('/').next().unwrap_or(slug).to_ascii_lowercase();
                        known.groups_by_slug.entry(slug).or_insert_with(|| name.clone());
                    }
                    known.groups_by_name.entry(name.to_ascii_lowercase()).or_insert(name);
                }
                Kind::User => {
                    if let Some(login) = entity.annotation("github.com/user-login") {
                        known
                            .users_by_login
                            .entry(login.to_ascii_lowercase())
                            .or_insert_with(|| name.clone());
                    }
                    known.users_by_name.entry(name.to_ascii_lowercase()).or_insert(name);
                }
                _ => {}
            }
        }
        known
    }

    /// The declared Group that is team `slug`, by name.
    fn group(&self, slug: &str) -> Option<String> {
        self.groups_by_slug
            .get(slug)
            .or_else(|| self.groups_by_name.get(slug))
            .cloned()
    }

    /// The declared User that is `login`, by name.
    fn user(&self, login: &str) -> Option<String> {
        self.users_by_login
            .get(login)
            .or_else(|| self.users_by_name.get(login))
            .cloned()
    }
}

/// The discovered entity for `document`, written in facts file `file`.
fn entity(file: &str, index: usize, document: &Json) -> Option<Entity> {
    let root = Node::from_json(document, Pos { line: 1, column: 1 });
    let mut ignored = Vec::new();
    let mut entity = crate::model::lower_document(file, Document::new(index, root), &mut ignored)?;
    entity.discovered = true;
    Some(entity)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{Facts, Team as FactTeam, User};
    use crate::load::facts::Snapshot;

    fn snapshots() -> Snapshots {
        let mut facts = Facts::new(Source::Github);
        facts.org = Some("acme".into());
        facts.teams = vec![
            FactTeam {
                slug: "platform".into(),
                name: "Platform".into(),
                members: vec!["Alice".into()],
                repos: vec![],
                parent: None,
            },
            FactTeam {
                slug: "payments".into(),
                name: "Payments team".into(),
                members: vec!["alice".into(), "bob".into()],
                repos: vec![],
                parent: Some("platform".into()),
            },
        ];
        facts.users = vec![User {
            login: "bob".into(),
            name: Some("Bob B.".into()),
            email: Some("bob@acme.example".into()),
        }];
        Snapshots {
            files: vec![Snapshot {
                display: "discovered/github.json".into(),
                facts,
                missing: HashMap::new(),
                scanned_at: None,
            }],
        }
    }

    fn declared(yaml: &str) -> Vec<Arc<Entity>> {
        let parsed = crate::parse::parse_yaml("org.yaml", yaml);
        let mut diagnostics = Vec::new();
        parsed
            .documents
            .into_iter()
            .filter_map(|d| crate::model::lower_document("org.yaml", d, &mut diagnostics))
            .map(Arc::new)
            .collect()
    }

    #[test]
    fn teams_and_members_become_groups_and_users() {
        let made = org_entities(&[], &snapshots());
        let refs: Vec<String> = made.iter().map(|e| e.ref_string()).collect();
        assert_eq!(
            refs,
            [
                "group:default/payments",
                "group:default/platform",
                "user:default/alice",
                "user:default/bob"
            ]
        );
        let payments = made[0].to_json();
        assert_eq!(
            payments["metadata"]["annotations"]["github.com/team-slug"],
            "acme/payments"
        );
        assert_eq!(payments["spec"]["parent"], "platform");
        assert_eq!(payments["spec"]["members"], json!(["alice", "bob"]));
        assert_eq!(payments["spec"]["profile"]["displayName"], "Payments team");
        let bob = made[3].to_json();
        assert_eq!(bob["spec"]["profile"]["email"], "bob@acme.example");
        assert_eq!(bob["spec"]["memberOf"], json!(["payments"]));
        assert!(made.iter().all(|e| e.discovered && e.file == "discovered/github.json"));
    }

    #[test]
    fn declared_entities_win_and_keep_their_names() {
        let declared = declared(
            "apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: Payments-Team\n  annotations:\n    github.com/team-slug: acme/payments\nspec:\n  type: team\n  children: []\n---\napiVersion: backstage.io/v1alpha1\nkind: User\nmetadata:\n  name: alice\nspec:\n  memberOf: []\n",
        );
        let made = org_entities(&declared, &snapshots());
        let refs: Vec<String> = made.iter().map(|e| e.ref_string()).collect();
        assert_eq!(refs, ["group:default/platform", "user:default/bob"]);
        assert_eq!(made[1].to_json()["spec"]["memberOf"], json!(["Payments-Team"]));
    }
}
