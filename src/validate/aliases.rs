//! `alias-conflict`: an alias (a PagerDuty service, a Datadog service name,
//! a Kubernetes id… see `resolve::aliases`) that two services claim, so an
//! alert carrying it cannot be routed to one owner. Reported at each later
//! claim, naming the first service and this one.

use crate::diagnostics::{Code, Diagnostic, FilePosition};
use crate::resolve::aliases::Claim;
use crate::resolve::Catalog;

pub fn check(catalog: &Catalog, diagnostics: &mut Vec<Diagnostic>) {
    for entry in catalog.aliases.entries.values().filter(|e| e.conflicting()) {
        let first = &entry.claims[0];
        let first_ref = catalog.entities[first.entity].ref_string();
        for claim in &entry.claims[1..] {
            let entity = &catalog.entities[claim.entity];
            diagnostics.push(
                Diagnostic::new(
                    Code::AliasConflict,
                    location(catalog, claim),
                    format!(
                        "alias `{}` is claimed by both `{first_ref}` ({}) and `{}` ({})",
                        entry.alias,
                        sources(first),
                        entity.ref_string(),
                        sources(claim),
                    ),
                )
                .with_help("an alert carrying this alias cannot be routed to one owner: drop it from one service, or make it specific (e.g. add the environment)")
                .with_related(format!("`{first_ref}` claims it here"), location(catalog, first)),
            );
        }
    }
}

/// Where a claim was made: its first annotation, or the entity's name for
/// a discovered identity.
fn location(catalog: &Catalog, claim: &Claim) -> FilePosition {
    let entity = &catalog.entities[claim.entity];
    let pointer = claim.sources.iter().find_map(|s| s.pointer.as_deref());
    entity.location(pointer.unwrap_or("/metadata/name"))
}

fn sources(claim: &Claim) -> String {
    let names: Vec<&str> = claim.sources.iter().map(|s| s.name.as_str()).collect();
    names.join(", ")
}
