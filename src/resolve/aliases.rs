//! Aliases: every identifier a monitoring or paging tool uses for a
//! service, mapped to the service. They come from three places:
//!
//! * the well-known annotations of a Component ([`ANNOTATIONS`]) —
//!   PagerDuty, Opsgenie, Datadog, Kubernetes, Sentry, Grafana, GitHub; a
//!   PagerDuty integration key is a secret, so only its SHA-256 is an
//!   alias (`sha256:<hex>`), never the key;
//! * `cairn.dev/aliases`, a list the catalog declares (comma- or
//!   newline-separated);
//! * discovered identities: the names of the ECS services, Lambda functions
//!   and CloudFormation stacks discovery tied to the service (from their
//!   ARNs).
//!
//! Aliases are compared in a canonical form ([`canonical`]): trimmed,
//! lowercase, and for label selectors (`a=b,c=d`) with their terms sorted,
//! so `team=x, app=y` and `app=y,team=x` are one alias. An alias claimed by
//! two services is a conflict (`validate` reports `alias-conflict`), except
//! a repository slug, which the services of a monorepo share by design.
//!
//! The table is a function of the resolved catalog, computed once per
//! compile (and again when `cairn serve` patches a catalog) and read by
//! `validate` and `emit`.

use std::collections::BTreeMap;

use rayon::prelude::*;

use sha2::{Digest, Sha256};

use super::services::Service;
use super::Catalog;

/// Annotations whose value names the service in another tool.
pub const ANNOTATIONS: &[&str] = &[
    "pagerduty.com/service-id",
    INTEGRATION_KEY,
    "opsgenie.com/component-selector",
    "datadoghq.com/service-name",
    "backstage.io/kubernetes-id",
    "backstage.io/kubernetes-label-selector",
    "sentry.io/project-slug",
    "grafana/alert-label-selector",
    REPO_SLUG,
];

/// A secret: only its hash is an alias.
pub const INTEGRATION_KEY: &str = "pagerduty.com/integration-key";

/// The annotation listing a service's own aliases.
pub const DECLARED: &str = "cairn.dev/aliases";

/// Shared by the services of a monorepo: never a conflict among themselves.
const REPO_SLUG: &str = "github.com/project-slug";

/// Where one claim of an alias comes from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Source {
    /// The annotation (`datadoghq.com/service-name`, `cairn.dev/aliases`)
    /// or, for a discovered identity, `aws/ecs-service`,
    /// `aws/lambda-function` or `aws/cloudformation-stack`.
    pub name: String,
    /// The JSON pointer of the annotation in the entity's document (none
    /// for a discovered identity).
    pub pointer: Option<String>,
}

/// One service's claim on an alias.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The service's entity (index into `Catalog::entities`).
    pub entity: usize,
    /// Every place the service names this alias, sorted.
    pub sources: Vec<Source>,
}

/// An alias and the services that claim it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The alias as first written (the hash for an integration key).
    pub alias: String,
    /// By entity order.
    pub claims: Vec<Claim>,
}

impl Entry {
    /// Whether several services claim the alias in a way that routes an
    /// alert ambiguously (a repository slug shared by the services of a
    /// monorepo does not).
    pub fn conflicting(&self) -> bool {
        self.claims.len() > 1
            && self
                .claims
                .iter()
                .any(|claim| claim.sources.iter().any(|s| s.name != REPO_SLUG))
    }
}

/// Every alias of the catalog, by canonical form.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Aliases {
    pub entries: BTreeMap<String, Entry>,
}

impl Aliases {
    /// The entry for `query`, as a tool would send it: the alias itself, or
    /// a PagerDuty integration key, which is looked up by its hash.
    pub fn find(&self, query: &str) -> Option<(&str, &Entry)> {
        [canonical(query), hashed_key(query)]
            .into_iter()
            .find_map(|key| self.entries.get_key_value(&key))
            .map(|(key, entry)| (key.as_str(), entry))
    }
}

/// The canonical form aliases are compared and looked up in.
pub fn canonical(alias: &str) -> String {
    let lower = alias.trim().to_lowercase();
    if !lower.contains('=') {
        return lower;
    }
    // A label selector: its terms in any order are one selector.
    let mut terms: Vec<&str> = lower.split(',').map(str::trim).filter(|t| !t.is_empty()).collect();
    terms.sort_unstable();
    terms.join(",")
}

/// The alias of a PagerDuty integration key: `sha256:` and the hex SHA-256
/// of the key as written (trimmed).
pub fn hashed_key(key: &str) -> String {
    format!("sha256:{}", hex(&Sha256::digest(key.trim().as_bytes())))
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

/// The aliases of every service of `catalog`.
pub fn aliases(catalog: &Catalog) -> Aliases {
    // What each service claims, in parallel, then every claim by alias and
    // by service order (a stable sort keeps a service's own order).
    let mut claims: Vec<(String, usize, String, Source)> = catalog
        .services
        .par_iter()
        .enumerate()
        .flat_map_iter(|(s, service)| {
            claimed(catalog, service)
                .into_iter()
                .map(move |(alias, source)| (canonical(&alias), s, alias, source))
        })
        .collect();
    claims.par_sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    let mut entries: Vec<(String, Entry)> = Vec::new();
    for (key, s, alias, source) in claims {
        let entity = catalog.services[s].entity;
        let entry = match entries.last_mut() {
            Some((last, entry)) if *last == key => entry,
            _ => {
                entries.push((
                    key,
                    Entry {
                        alias,
                        claims: Vec::new(),
                    },
                ));
                &mut entries.last_mut().expect("pushed above").1
            }
        };
        match entry.claims.last_mut() {
            Some(claim) if claim.entity == entity => {
                if !claim.sources.contains(&source) {
                    claim.sources.push(source);
                    claim.sources.sort();
                }
            }
            _ => entry.claims.push(Claim {
                entity,
                sources: vec![source],
            }),
        }
    }
    Aliases {
        entries: entries.into_iter().collect(),
    }
}

/// Every alias `service` claims, with where it claims it, in the order of
/// [`ANNOTATIONS`], then `cairn.dev/aliases`, then its discovered
/// identities.
fn claimed(catalog: &Catalog, service: &Service) -> Vec<(String, Source)> {
    let entity = &catalog.entities[service.entity];
    let mut claimed: Vec<(String, Source)> = Vec::new();
    for &annotation in ANNOTATIONS.iter().chain([&DECLARED]) {
        let Some(value) = entity.annotation(annotation) else {
            continue;
        };
        let source = || Source {
            name: annotation.to_string(),
            pointer: Some(format!(
                "/metadata/annotations/{}",
                crate::util::escape_pointer(annotation)
            )),
        };
        match annotation {
            INTEGRATION_KEY => claimed.push((hashed_key(value), source())),
            DECLARED => claimed.extend(
                value
                    .split([',', '\n'])
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .map(|a| (a.to_string(), source())),
            ),
            _ if !value.trim().is_empty() => claimed.push((value.trim().to_string(), source())),
            _ => {}
        }
    }
    for arn in service.discovery.iter().flat_map(|d| &d.arns) {
        if let Some((kind, name)) = identity_of(arn) {
            claimed.push((
                name.to_string(),
                Source {
                    name: kind.to_string(),
                    pointer: None,
                },
            ));
        }
    }
    claimed
}

/// The kind and name of the AWS resources whose names tools use for a
/// service: ECS services, Lambda functions, CloudFormation stacks.
fn identity_of(arn: &str) -> Option<(&'static str, &str)> {
    let mut parts = arn.splitn(6, ':');
    let (_, _, service, _, _, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    let name = match service {
        // service/NAME or service/CLUSTER/NAME
        "ecs" => (
            "aws/ecs-service",
            resource.strip_prefix("service/")?.rsplit('/').next()?,
        ),
        // function:NAME[:QUALIFIER]
        "lambda" => (
            "aws/lambda-function",
            resource.strip_prefix("function:")?.split(':').next()?,
        ),
        // stack/NAME/ID
        "cloudformation" => (
            "aws/cloudformation-stack",
            resource.strip_prefix("stack/")?.split('/').next()?,
        ),
        _ => return None,
    };
    (!name.1.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_and_case_are_canonical() {
        assert_eq!(canonical("  Checkout "), "checkout");
        assert_eq!(canonical("team=x, app=Y"), "app=y,team=x");
        assert_eq!(canonical("app=y,team=x"), canonical("team=x , app=y,"));
        assert_eq!(
            hashed_key(" abc "),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn identities_come_from_arns() {
        let ecs = "arn:aws:ecs:eu-west-1:1:service/shop-prod/checkout-service";
        assert_eq!(identity_of(ecs), Some(("aws/ecs-service", "checkout-service")));
        assert_eq!(
            identity_of("arn:aws:ecs:eu-west-1:1:service/old-style"),
            Some(("aws/ecs-service", "old-style"))
        );
        assert_eq!(
            identity_of("arn:aws:lambda:eu-west-1:1:function:invoice-generator:live"),
            Some(("aws/lambda-function", "invoice-generator"))
        );
        assert_eq!(
            identity_of("arn:aws:cloudformation:eu-west-1:1:stack/checkout-prod/4f1c"),
            Some(("aws/cloudformation-stack", "checkout-prod"))
        );
        assert_eq!(identity_of("arn:aws:rds:eu-west-1:1:db:orders"), None);
        assert_eq!(identity_of("not an arn"), None);
    }
}
