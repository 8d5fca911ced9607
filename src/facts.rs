//! The facts format: what `cairn discover` writes and the build reads.
//!
//! One JSON file per scan (`discovered/git.json`, `github.json`, `aws.json`),
//! described by `schemas/facts.schema.json`. Facts are data in git like the
//! catalog itself, so the format is built for diffs:
//!
//! * every list is sorted by its identity (repos by `slug` then `path`,
//!   resources by `arn`, teams by `slug`), every map is a `BTreeMap`;
//! * nothing in the data depends on when the scan ran — no scan timestamps,
//!   durations or request counts (those go to the `*.scan.json` file beside
//!   it, which the build ignores). Re-running a scan over an unchanged world
//!   writes identical bytes.
//!
//! Architecture Invariant: no secret is ever a fact. Scanners read only
//! names, tags, images, runtimes and the like; never environment variables,
//! parameters or passwords.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Rounds to four decimals, so facts (shares, confidences) stay readable
/// and stable.
pub fn round4(value: f64) -> f64 {
    (value * 10_000.0).round() / 10_000.0
}

/// `discovered/aws.json` → `discovered/aws.scan.json`.
pub fn scan_path(out: &std::path::Path) -> std::path::PathBuf {
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    out.with_file_name(format!("{stem}.scan.json"))
}

/// The value of `format` in every facts file this version writes and reads.
pub const FORMAT: &str = "cairn.dev/facts/v1";

/// One facts file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Facts {
    /// Always [`FORMAT`].
    pub format: String,
    /// Which scanner wrote the file.
    pub source: Source,
    /// The scan did not finish: `errors` says what was not read. What was
    /// read is still in the file.
    #[serde(default, skip_serializing_if = "is_false")]
    pub partial: bool,
    /// What could not be read (a region, a service, a page of repos…).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ScanError>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repos: Vec<Repo>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub teams: Vec<Team>,
    /// The members of `teams` (GitHub), with what their profiles show.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<User>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<Resource>,
    /// The GitHub organisation scanned (`github` snapshots).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
}

impl Facts {
    pub fn new(source: Source) -> Facts {
        Facts {
            format: FORMAT.to_string(),
            source,
            partial: false,
            errors: Vec::new(),
            repos: Vec::new(),
            teams: Vec::new(),
            users: Vec::new(),
            resources: Vec::new(),
            org: None,
        }
    }

    /// Sorts every list by identity, so equal worlds give equal bytes.
    pub fn normalize(&mut self) {
        self.errors.sort();
        self.errors.dedup();
        self.repos.sort_by(|a, b| (&a.slug, &a.path).cmp(&(&b.slug, &b.path)));
        for repo in &mut self.repos {
            repo.authors
                .sort_by(|a, b| b.commits.cmp(&a.commits).then_with(|| a.email.cmp(&b.email)));
            repo.deploy_targets.sort();
            repo.deploy_targets.dedup();
        }
        self.teams.sort_by(|a, b| a.slug.cmp(&b.slug));
        self.users.sort_by(|a, b| a.login.cmp(&b.login));
        self.users.dedup_by(|a, b| a.login == b.login);
        for team in &mut self.teams {
            team.members.sort();
            team.members.dedup();
            team.repos.sort();
            team.repos.dedup();
        }
        self.resources.sort_by(|a, b| a.arn.cmp(&b.arn));
        for resource in &mut self.resources {
            resource.images.sort();
            resource.images.dedup();
            resource.event_sources.sort();
            resource.event_sources.dedup();
        }
    }

    /// The file's bytes: pretty JSON with a final newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut facts = self.clone();
        facts.normalize();
        let mut bytes = serde_json::to_vec_pretty(&facts).expect("facts serialize");
        bytes.push(b'\n');
        bytes
    }
}

fn is_false(value: &bool) -> bool {
    !value
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Git,
    Github,
    Aws,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Git => "git",
            Source::Github => "github",
            Source::Aws => "aws",
        }
    }
}

/// Something a scan could not read.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScanError {
    /// What was not read: `region:eu-west-1/lambda`, `repos:page-3`, a path.
    pub scope: String,
    pub message: String,
}

/// A repository, or one directory of a monorepo.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Repo {
    /// `org/name` (GitHub's `nameWithOwner`). A local clone without a GitHub
    /// remote uses its directory name.
    pub slug: String,
    /// The directory inside the repository this entry describes, `""` for
    /// the whole repository (a service in a monorepo has its own entry).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub path: String,
    /// The README's first real paragraph (no headings, badges or HTML).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Bytes of source per language.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub languages: BTreeMap<String, u64>,
    /// A `catalog-info.yaml` is present.
    #[serde(default, skip_serializing_if = "is_false")]
    pub catalog_info: bool,
    /// The date of the last commit (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_commit: Option<String>,
    /// When the repository was last pushed to (GitHub only; a refresh with
    /// `--since` re-reads only repositories pushed after the snapshot's
    /// newest `pushed_at`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pushed_at: Option<String>,
    /// CODEOWNERS, if the repository has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codeowners: Option<CodeOwners>,
    /// Commit authors over the scan window, most commits first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<Author>,
    /// Deploy targets named in `.github/workflows/*`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deploy_targets: Vec<DeployTarget>,
}

/// A CODEOWNERS file, reduced to what ownership inference needs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeOwners {
    /// Where it was found: `.github/CODEOWNERS`, `CODEOWNERS` or
    /// `docs/CODEOWNERS`.
    pub file: String,
    /// Per owner as written (`@org/team`, `@login`, `user@example.com`): the
    /// fraction of the files whose last matching rule names it, rounded to
    /// four decimals.
    pub shares: BTreeMap<String, f64>,
}

/// One commit author.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Author {
    /// Lowercased e-mail address.
    pub email: String,
    /// The GitHub login, when the scan knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login: Option<String>,
    pub commits: u64,
}

/// Something a deploy workflow deploys to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeployTarget {
    pub kind: TargetKind,
    pub name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetKind {
    EcsService,
    LambdaFunction,
    CloudformationStack,
}

/// A GitHub team.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Team {
    pub slug: String,
    pub name: String,
    /// Member logins.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<String>,
    /// Repositories the team has access to, as `org/name`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repos: Vec<String>,
    /// The slug of the parent team.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
}

/// A GitHub user: a member of a team.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub login: String,
    /// The profile's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The profile's public email.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// An AWS resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    pub arn: String,
    pub kind: ResourceKind,
    pub name: String,
    pub region: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tags: BTreeMap<String, String>,
    /// The CloudFormation stack that manages it (by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stack: Option<String>,
    /// Container images (ECS task definitions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<String>,
    /// Runtime (Lambda) or engine (RDS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    /// ARNs of what triggers it (Lambda event sources, API Gateway APIs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub event_sources: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ResourceKind {
    CloudformationStack,
    EcsService,
    LambdaFunction,
    RestApi,
    HttpApi,
    RdsInstance,
    RdsCluster,
    /// Anything else the tagging API returned.
    Other,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_sorted_and_stable() {
        let mut facts = Facts::new(Source::Aws);
        for arn in ["arn:b", "arn:a"] {
            facts.resources.push(Resource {
                arn: arn.into(),
                kind: ResourceKind::LambdaFunction,
                name: arn.into(),
                region: "eu-west-1".into(),
                tags: BTreeMap::new(),
                stack: None,
                images: vec!["z".into(), "a".into(), "z".into()],
                runtime: None,
                event_sources: Vec::new(),
            });
        }
        let bytes = facts.to_bytes();
        let back: Facts = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(back.resources[0].arn, "arn:a");
        assert_eq!(back.resources[0].images, ["a", "z"]);
        assert_eq!(back.to_bytes(), bytes);
    }
}
