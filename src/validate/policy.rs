//! The first-class fields read from annotations must hold values cairn can
//! use: a tier of `tier1|tier2|tier3`, a repo of `org/repo`. (The tier-1
//! policies — an owner, a runbook and on-call — are built-in rules of
//! `config::rules`, evaluated in `resolve::rules`), with their codes and `policies:` severities.)

use crate::config::Config;
use crate::diagnostics::{Code, Diagnostic};
use crate::resolve::{Catalog, Service};
use crate::util::escape_pointer;

const TIERS: &[&str] = &["tier1", "tier2", "tier3"];

pub fn check(catalog: &Catalog, config: &Config, diagnostics: &mut Vec<Diagnostic>) {
    for service in &catalog.services {
        if catalog.entities[service.entity].discovered {
            continue;
        }
        check_fields(catalog, config, service, diagnostics);
    }
}

fn annotation_pointer(key: &str) -> String {
    format!("/metadata/annotations/{}", escape_pointer(key))
}

fn check_fields(catalog: &Catalog, config: &Config, service: &Service, diagnostics: &mut Vec<Diagnostic>) {
    let entity = &catalog.entities[service.entity];
    if let Some(tier) = service.tier.as_deref().filter(|t| !TIERS.contains(t)) {
        let mut diagnostic = Diagnostic::new(
            Code::InvalidField,
            entity.location(&annotation_pointer(&config.fields.tier)),
            format!("tier `{tier}` is not one of tier1, tier2, tier3"),
        );
        diagnostic = match crate::diagnostics::did_you_mean(tier, TIERS.iter().copied()) {
            Some(s) => diagnostic.with_help(format!("did you mean `{s}`?")),
            None => diagnostic.with_help("use `tier1` (business critical), `tier2` or `tier3`"),
        };
        diagnostics.push(diagnostic);
    }
    if let Some(repo) = service.repo.as_deref() {
        let valid = repo.split_once('/').is_some_and(|(org, name)| {
            let ok = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
            ok(org) && ok(name)
        });
        if !valid {
            diagnostics.push(
                Diagnostic::new(
                    Code::InvalidField,
                    entity.location(&annotation_pointer(&config.fields.repo)),
                    format!("repository `{repo}` is not of the form `org/repo`"),
                )
                .with_help(format!(
                    "write the GitHub slug, e.g. `{}: acme/payments-api`",
                    config.fields.repo
                )),
            );
        }
    }
}
