//! Entity references: parsing `[kind:][namespace/]name`, lookup, relations.

use std::collections::BTreeMap;
use std::sync::Arc;

use rayon::prelude::*;

use super::{Catalog, Relation};
use crate::diagnostics::{did_you_mean, Code, Diagnostic, FilePosition};
use crate::model::{Entity, EntityKey, Kind, RefField, RelationKind, SpecRef};

/// A reference split into its parts; `kind` is `None` when omitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedRef<'a> {
    pub kind: Option<&'a str>,
    pub namespace: Option<&'a str>,
    pub name: &'a str,
}

/// Splits a ref as Backstage's `parseEntityRef` does.
pub fn parse_ref(text: &str) -> Result<ParsedRef<'_>, &'static str> {
    let (kind, rest) = match text.split_once(':') {
        Some((kind, rest)) => (Some(kind), rest),
        None => (None, text),
    };
    let (namespace, name) = match rest.split_once('/') {
        Some((namespace, name)) => (Some(namespace), name),
        None => (None, rest),
    };
    if kind == Some("") {
        return Err("the kind before `:` is empty");
    }
    if namespace == Some("") {
        return Err("the namespace before `/` is empty");
    }
    if name.is_empty() {
        return Err("the name is empty");
    }
    if name.contains([':', '/']) {
        return Err("a ref has at most one `:` (after the kind) and one `/` (after the namespace)");
    }
    Ok(ParsedRef { kind, namespace, name })
}

/// "a Group or User", "an API".
fn kinds_text(kinds: &[Kind]) -> String {
    let names = kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(" or ");
    let article = if names.starts_with("API") { "an" } else { "a" };
    format!("{article} {names}")
}

/// A relation from the first entity to the third, as (source, kind, target).
type Edge = (usize, RelationKind, usize);

/// Resolves every ref of every entity and records relations both ways.
pub(super) fn resolve_refs(catalog: &mut Catalog, diagnostics: &mut Vec<Diagnostic>) {
    // Lookups are independent: run them in parallel, then record the edges
    // in one sorted set so the result does not depend on scheduling.
    let results: Vec<(Vec<Edge>, Vec<Diagnostic>, Vec<UnresolvedRef>)> = catalog
        .entities
        .par_iter()
        .enumerate()
        .map(|(source, entity)| {
            let mut edges = Vec::new();
            let mut found = Vec::new();
            let mut missing = Vec::new();
            for spec_ref in &entity.refs {
                match lookup(catalog, entity, spec_ref) {
                    Ok(target) => {
                        let relation = spec_ref.field.relation();
                        edges.push((source, relation, target));
                        edges.push((target, relation.inverse(), source));
                    }
                    Err(diagnostic) => {
                        if let Some(unresolved) = unresolved_ref(entity, spec_ref, &diagnostic) {
                            missing.push(unresolved);
                        }
                        found.push(*diagnostic);
                    }
                }
            }
            (edges, found, missing)
        })
        .collect();
    let mut all_edges: Vec<Edge> = Vec::with_capacity(results.iter().map(|(edges, _, _)| edges.len()).sum());
    let mut unresolved = BTreeMap::new();
    for (source, (edges, found, missing)) in results.into_iter().enumerate() {
        all_edges.extend(edges);
        diagnostics.extend(found);
        if !missing.is_empty() {
            unresolved.insert(source, missing);
        }
    }
    catalog.unresolved = Arc::new(unresolved);
    // Sorted and without repeats, as a set would hold them; a million
    // edges sort in parallel far faster than they insert into a tree.
    all_edges.par_sort_unstable();
    all_edges.dedup();
    let relations = Arc::make_mut(&mut catalog.relations);
    // Each entity's relations in one allocation.
    for edges in all_edges.chunk_by(|a, b| a.0 == b.0) {
        relations[edges[0].0].extend(edges.iter().map(|&(_, kind, target)| Relation { kind, target }));
    }
}

/// A ref that names no entity of the catalog (well-formed, of an allowed
/// kind): kept so the portal and the API can show it as "not in the
/// catalog" when `policies:` lowers `unresolved-ref`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnresolvedRef {
    /// The relation the ref would have made (`ownedBy`, `hasMember`…).
    pub relation: RelationKind,
    /// `kind:namespace/name`, lowercase, as relations are written.
    pub target: String,
    /// The ref as written.
    pub text: String,
    pub field: RefField,
}

/// The [`UnresolvedRef`] behind an `unresolved-ref` diagnostic, if it is one.
fn unresolved_ref(entity: &Entity, spec_ref: &SpecRef, diagnostic: &Diagnostic) -> Option<UnresolvedRef> {
    if diagnostic.code != Code::UnresolvedRef {
        return None;
    }
    let parsed = parse_ref(&spec_ref.text).ok()?;
    let kind = match parsed.kind {
        Some(text) => Kind::from_ref(text)?,
        None => spec_ref.field.default_kind_in(entity.kind)?,
    };
    let key = EntityKey::new(
        kind,
        parsed.namespace.unwrap_or(&entity.metadata.namespace),
        parsed.name,
    );
    Some(UnresolvedRef {
        relation: spec_ref.field.relation(),
        target: key.to_string(),
        text: spec_ref.text.clone(),
        field: spec_ref.field,
    })
}

/// What looking up the refs of entity `i` reports (the diagnostics
/// [`resolve_refs`] gives for it).
pub(super) fn ref_diagnostics(catalog: &Catalog, i: usize) -> Vec<Diagnostic> {
    let entity = &catalog.entities[i];
    entity
        .refs
        .iter()
        .filter_map(|spec_ref| lookup(catalog, entity, spec_ref).err().map(|d| *d))
        .collect()
}

fn lookup(catalog: &Catalog, entity: &Entity, spec_ref: &SpecRef) -> Result<usize, Box<Diagnostic>> {
    let field = spec_ref.field;
    let location = || entity.location(&spec_ref.pointer());
    let allowed = field.allowed_kinds_in(entity.kind);
    let parsed = parse_ref(&spec_ref.text).map_err(|why| {
        Box::new(
            Diagnostic::new(
                Code::InvalidRef,
                location(),
                format!(
                    "invalid entity ref `{}` in `spec.{}`: {why}",
                    spec_ref.text,
                    field.key()
                ),
            )
            .with_help("write refs as `[kind:][namespace/]name`, e.g. `group:default/payments`"),
        )
    })?;
    let kind = match parsed.kind {
        Some(text) => Kind::from_ref(text).ok_or_else(|| {
            let kinds = Kind::BACKSTAGE_NAMES
                .iter()
                .map(|k| k.to_ascii_lowercase())
                .collect::<Vec<_>>();
            let mut d = Diagnostic::new(
                Code::InvalidRef,
                location(),
                format!("unknown kind `{text}` in entity ref `{}`", spec_ref.text),
            );
            d = match did_you_mean(text, kinds.iter().map(String::as_str)) {
                Some(s) => d.with_help(format!("did you mean `{s}:{}`?", &spec_ref.text[text.len() + 1..])),
                None => d.with_help(format!("`spec.{}` refers to {}", field.key(), kinds_text(allowed))),
            };
            Box::new(d)
        })?,
        None => field.default_kind_in(entity.kind).ok_or_else(|| {
            Box::new(
                Diagnostic::new(
                    Code::InvalidRef,
                    location(),
                    format!("entity ref `{}` in `spec.{}` has no kind", spec_ref.text, field.key()),
                )
                .with_help(format!(
                    "`spec.{}` needs the kind: write `component:{}` or `resource:{}`",
                    field.key(),
                    spec_ref.text,
                    spec_ref.text
                )),
            )
        })?,
    };
    let namespace = parsed.namespace.unwrap_or(&entity.metadata.namespace);
    if !allowed.contains(&kind) {
        return Err(Box::new(
            Diagnostic::new(
                Code::RefWrongKind,
                location(),
                format!(
                    "`spec.{}` refers to {}, but `{}` names {}",
                    field.key(),
                    kinds_text(allowed),
                    spec_ref.text,
                    kinds_text(&[kind])
                ),
            )
            .with_help(format!("`spec.{}` takes refs to {}", field.key(), kinds_text(allowed))),
        ));
    }
    let key = EntityKey::new(kind, namespace, parsed.name);
    if let Some(&target) = catalog.index.get(&key) {
        return Ok(target);
    }
    Err(Box::new(unresolved(catalog, spec_ref, &key, allowed, location())))
}

fn unresolved(
    catalog: &Catalog,
    spec_ref: &SpecRef,
    key: &EntityKey,
    allowed: &[Kind],
    location: FilePosition,
) -> Diagnostic {
    let field = spec_ref.field.key();
    let message = format!(
        "`spec.{field}` refers to `{}`, which is not in the catalog",
        spec_ref.text
    );
    // The same name with another kind is the likeliest mistake.
    let other_kind = catalog
        .index
        .keys()
        .find(|k| k.namespace == key.namespace && k.name == key.name && k.kind != key.kind);
    if let Some(other) = other_kind {
        let name = spec_ref.text.rsplit(':').next().unwrap_or_default();
        let message = format!(
            "{message} as {}; `{other}` is {}",
            kinds_text(&[key.kind]),
            kinds_text(&[other.kind])
        );
        let diagnostic = Diagnostic::new(Code::RefWrongKind, location, message);
        return if allowed.contains(&other.kind) {
            diagnostic.with_help(format!(
                "`spec.{field}` defaults to {}; write `{}:{name}` to refer to the {}",
                kinds_text(&[key.kind]),
                other.kind.slug(),
                other.kind.as_str()
            ))
        } else {
            diagnostic.with_help(format!("`spec.{field}` takes refs to {}", kinds_text(allowed)))
        };
    }
    let candidates: Vec<&EntityKey> = catalog
        .index
        .keys()
        .filter(|k| allowed.contains(&k.kind) && k.namespace == key.namespace)
        .collect();
    let names: Vec<&str> = candidates.iter().map(|k| k.name.as_str()).collect();
    let diagnostic = Diagnostic::new(Code::UnresolvedRef, location, message).with_target(key.kind.slug());
    match did_you_mean(&key.name, names.iter().copied()) {
        Some(suggestion) => {
            let suggested = candidates
                .iter()
                .filter(|k| k.name == suggestion)
                .min()
                .expect("suggestion comes from candidates");
            // As the entity writes its name (keys are lowercase).
            let name = catalog.get(suggested).map_or(suggestion, |e| e.metadata.name.as_str());
            let text = if spec_ref.text.contains(':') || suggested.kind != key.kind {
                format!("{}:{}", suggested.kind.slug(), name)
            } else {
                name.to_string()
            };
            diagnostic.with_help(format!("did you mean `{text}`?"))
        }
        None => {
            // Named as written: the key is lowercase.
            let written = parse_ref(&spec_ref.text).ok();
            diagnostic.with_help(format!(
                "define {} named `{}` in namespace `{}`, or fix the ref",
                kinds_text(allowed),
                written.as_ref().map_or(key.name.as_str(), |r| r.name),
                written.and_then(|r| r.namespace).unwrap_or(&key.namespace)
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_refs_like_backstage() {
        assert_eq!(
            parse_ref("group:default/team-a"),
            Ok(ParsedRef {
                kind: Some("group"),
                namespace: Some("default"),
                name: "team-a"
            })
        );
        assert_eq!(
            parse_ref("team-a"),
            Ok(ParsedRef {
                kind: None,
                namespace: None,
                name: "team-a"
            })
        );
        assert_eq!(parse_ref("ns/team-a").unwrap().namespace, Some("ns"));
        assert!(parse_ref(":x").is_err());
        assert!(parse_ref("group:").is_err());
        assert!(parse_ref("a/b/c").is_err());
    }
}
