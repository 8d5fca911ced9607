//! Backstage's naming rules, which Backstage enforces in code rather than in
//! its JSON Schemas: entity names, namespaces, label and annotation keys,
//! label values and tags. Output paths are built from names, so these rules
//! are also what keeps `../../x` out of `dist/`.

use std::sync::LazyLock;

use regex::Regex;

use crate::diagnostics::{Code, Diagnostic};
use crate::model::Entity;

const MAX_NAME: usize = 63;
const MAX_PREFIX: usize = 253;

// Backstage's `KubernetesValidatorFunctions` (`@backstage/catalog-model`),
// exactly: `isValidObjectName`, `isValidDnsLabel` (namespaces and the parts
// of a DNS subdomain, runs of `-` allowed) and, in `makeValidator`,
// `isValidTag`.
static NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$").expect("valid regex"));
static DNS_LABEL: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[a-z0-9]+(-+[a-z0-9]+)*$").expect("valid regex"));
static TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$").expect("valid regex"));

/// Why `name` is not a valid entity name (Backstage's `isValidObjectName`:
/// 1–63 characters of `[A-Za-z0-9-_.]`, a letter or digit at both ends),
/// if it is not.
pub fn name_problem(name: &str) -> Option<String> {
    if name.chars().count() > MAX_NAME {
        return Some(format!(
            "is {} characters long; the limit is {MAX_NAME}",
            name.chars().count()
        ));
    }
    if !NAME.is_match(name) {
        return Some("must be letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit".into());
    }
    None
}

/// Backstage's `isValidDnsLabel`: 1–63 lowercase letters and digits, with
/// `-` (runs allowed) only between them.
fn is_dns_label(label: &str) -> bool {
    label.len() <= MAX_NAME && DNS_LABEL.is_match(label)
}

/// Backstage's `isValidDnsSubdomain`: at most 253 characters of DNS labels
/// joined by `.`.
fn is_dns_subdomain(name: &str) -> bool {
    name.len() <= MAX_PREFIX && name.split('.').all(is_dns_label)
}

fn namespace_problem(namespace: &str) -> Option<String> {
    if namespace.len() > MAX_NAME {
        return Some(format!(
            "is {} characters long; the limit is {MAX_NAME}",
            namespace.len()
        ));
    }
    (!is_dns_label(namespace)).then(|| "must be lowercase letters and digits, with `-` only between them".into())
}

/// Why a label or annotation key (`[prefix/]name`, Backstage's
/// `isValidPrefixAndOrSuffix` with a DNS subdomain prefix and an object
/// name) is invalid, if it is.
fn key_problem(key: &str) -> Option<String> {
    let parts: Vec<&str> = key.split('/').collect();
    let (prefix, name) = match parts.as_slice() {
        [name] => (None, *name),
        [prefix, name] => (Some(*prefix), *name),
        _ => return Some("has more than one `/`; keys are `[prefix/]name`".into()),
    };
    if let Some(prefix) = prefix {
        if !is_dns_subdomain(prefix) {
            return Some(format!(
                "prefix `{prefix}` must be a lowercase DNS name such as `example.com`"
            ));
        }
    }
    name_problem(name).map(|why| format!("name part `{name}` {why}"))
}

fn tag_problem(tag: &str) -> Option<String> {
    if tag.len() > MAX_NAME {
        return Some(format!("is {} characters long; the limit is {MAX_NAME}", tag.len()));
    }
    (!TAG.is_match(tag)).then(|| "must be lowercase `a-z0-9:+#` words joined by single `-`".into())
}

/// A close valid spelling of a tag: lowercase, spaces and other separators
/// turned into `-`.
fn suggest_tag(tag: &str) -> String {
    let lower = tag.to_lowercase();
    let words: Vec<String> = lower
        .split(|c: char| !(c.is_ascii_alphanumeric() || ":+#".contains(c)))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    words.join("-")
}

/// Checks the names of one entity.
pub fn check(entity: &Entity, diagnostics: &mut Vec<Diagnostic>) {
    let meta = &entity.metadata;
    if let Some(why) = name_problem(&meta.name) {
        diagnostics.push(
            Diagnostic::new(Code::InvalidName, entity.location("/metadata/name"), format!("invalid name `{}`: {why}", meta.name))
                .with_help("names are 1–63 characters of `[a-zA-Z0-9-_.]` that start and end with a letter or digit, e.g. `payments-api`"),
        );
    }
    if let Some(why) = namespace_problem(&meta.namespace) {
        diagnostics.push(
            Diagnostic::new(
                Code::InvalidNamespace,
                entity.location("/metadata/namespace"),
                format!("invalid namespace `{}`: {why}", meta.namespace),
            )
            .with_help("use a DNS label such as `default` or `team-payments`"),
        );
    }
    for (key, value) in meta.labels.iter() {
        let pointer = format!("/metadata/labels/{}", crate::util::escape_pointer(key));
        if let Some(why) = key_problem(key) {
            diagnostics.push(
                Diagnostic::new(
                    Code::InvalidLabel,
                    entity.key_location(&pointer),
                    format!("invalid label key `{key}`: {why}"),
                )
                .with_help("label keys are `[prefix/]name`, e.g. `acme.com/cost-center`"),
            );
        }
        if !value.is_empty() {
            if let Some(why) = name_problem(value) {
                diagnostics.push(
                    Diagnostic::new(
                        Code::InvalidLabel,
                        entity.location(&pointer),
                        format!("invalid value `{value}` of label `{key}`: {why}"),
                    )
                    .with_help("label values follow the rules for names; put free text in an annotation"),
                );
            }
        }
    }
    for key in meta.annotations.keys() {
        if let Some(why) = key_problem(key) {
            let pointer = format!("/metadata/annotations/{}", crate::util::escape_pointer(key));
            diagnostics.push(
                Diagnostic::new(
                    Code::InvalidAnnotation,
                    entity.key_location(&pointer),
                    format!("invalid annotation key `{key}`: {why}"),
                )
                .with_help("annotation keys are `[prefix/]name`, e.g. `pagerduty.com/service-id`"),
            );
        }
    }
    for (i, link) in meta.links.iter().enumerate() {
        if !crate::util::safe_url(&link.url) {
            let scheme: String = link.url.chars().take_while(|c| *c != ':').take(20).collect();
            diagnostics.push(
                Diagnostic::new(
                    Code::UnsafeLink,
                    entity.location(&format!("/metadata/links/{i}/url")),
                    format!(
                        "link URL `{}` is not http(s) or mailto; the portal shows it as text, not a link",
                        link.url.chars().take(80).collect::<String>()
                    ),
                )
                .with_help(if link.url.contains(':') {
                    format!("`{scheme}:` links could run code or leave the browser; use an https:// URL")
                } else {
                    "write the full URL, e.g. `https://runbooks.example.com/checkout`".to_string()
                }),
            );
        }
    }
    for (i, tag) in meta.tags.iter().enumerate() {
        if let Some(why) = tag_problem(tag) {
            let suggestion = suggest_tag(tag);
            let diagnostic = Diagnostic::new(
                Code::InvalidTag,
                entity.location(&format!("/metadata/tags/{i}")),
                format!("invalid tag `{tag}`: {why}"),
            );
            diagnostics.push(if suggestion.is_empty() || suggestion.len() > MAX_NAME {
                diagnostic.with_help("tags are short lowercase words such as `java` or `grpc`")
            } else {
                diagnostic.with_help(format!("write it as `{suggestion}`"))
            });
        }
    }
}

#[cfg(test)]
mod tests;
