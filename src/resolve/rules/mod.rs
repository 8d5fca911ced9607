//! Governance as code, evaluated: the rules and scorecards of `cairn.yaml`
//! (compiled in `config::rules`: a `Rule` has an id, an optional `when` and
//! a `require` expression in CEL, a message, a help and a severity; the
//! tier-1 policies are built-in rules) run over the catalog. Scorecards are
//! ordered levels of rules; a service reaches a level when it passes that
//! level's rules and every lower one's ([`scorecards`]).
//!
//! * [`values`] is what an expression sees: the entity as written and, for a
//!   Component, its resolved service fields — built lazily, only the
//!   variables an expression reads, borrowing the entity's strings.
//! * [`evaluate`] runs every rule over every entity in parallel (in
//!   `resolve`: the verdicts are part of the catalog, so every output, the
//!   incremental selection and `cairn diff` see the same ones); a rule that
//!   fails at run time on one entity is an outcome of that entity, never an
//!   abort. [`diagnostics`] turns the verdicts into `rule-failed`,
//!   `rule-error` and the tier-1 codes (in `validate`).
//!
//! Architecture Invariant: a verdict depends only on the entity, its
//! service and the entities it depends on (their kind, name, lifecycle and
//! tier), so `resolve::replace` evaluates again only what an edit touched.

pub mod scorecards;
pub mod values;

use std::sync::Arc;

use rayon::prelude::*;

use crate::config::rules::{Origin, Rule, Rules};
use crate::diagnostics::{Code, Diagnostic};
use crate::model::Entity;
use crate::resolve::Catalog;

/// A rule's message for one entity: its placeholders filled in.
pub fn message_for(rule: &Rule, entity: &Entity) -> String {
    rule.message
        .replace("{name}", &entity.metadata.name)
        .replace("{namespace}", &entity.metadata.namespace)
        .replace("{kind}", entity.kind.as_str())
        .replace("{ref}", &entity.ref_string())
}

/// How a rule that applied to an entity did not pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Index into [`Rules::rules`].
    pub rule: usize,
    /// `None`: `require` was false; else why an expression could not be
    /// evaluated.
    pub error: Option<String>,
}

/// What the rules said of each entity: the rules that applied to it and
/// did not pass (a rule whose `when` is false passes).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Verdicts {
    /// The rules and scorecards they come from.
    pub rules: Arc<Rules>,
    /// By entity index.
    pub failures: Vec<Vec<Failure>>,
}

impl Verdicts {
    /// The failures of entity `index`.
    pub fn of(&self, index: usize) -> &[Failure] {
        self.failures.get(index).map_or(&[], Vec::as_slice)
    }
}

/// Evaluates every rule on every entity of `catalog`, in parallel.
pub fn evaluate(catalog: &Catalog, rules: &Arc<Rules>) -> Verdicts {
    let fields = service_fields(rules);
    let failures = (0..catalog.entities.len())
        .into_par_iter()
        .map(|i| evaluate_one(catalog, rules, &fields, i))
        .collect();
    Verdicts {
        rules: Arc::clone(rules),
        failures,
    }
}

/// `previous` with the entities `again` (indices) evaluated again with
/// `rules`: what `resolve::replace` needs after an edit.
pub fn reevaluate(catalog: &Catalog, rules: &Arc<Rules>, previous: &Verdicts, again: &[usize]) -> Verdicts {
    if *rules != previous.rules {
        return evaluate(catalog, rules);
    }
    let mut verdicts = previous.clone();
    let fields = service_fields(rules);
    let fresh: Vec<(usize, Vec<Failure>)> = again
        .par_iter()
        .map(|&i| (i, evaluate_one(catalog, rules, &fields, i)))
        .collect();
    for (i, failures) in fresh {
        verdicts.failures[i] = failures;
    }
    verdicts
}

/// What the expressions of `rules` read of `service`.
fn service_fields(rules: &Rules) -> values::ServiceFields {
    values::ServiceFields::of(rules.expressions.iter().map(crate::config::rules::Expr::ast))
}

/// The failures of entity `i`.
fn evaluate_one(catalog: &Catalog, rules: &Rules, fields: &values::ServiceFields, i: usize) -> Vec<Failure> {
    if rules.rules.is_empty() {
        return Vec::new();
    }
    let vars = values::Vars::new(catalog, i, fields);
    // Scorecards rate services: their inline checks apply to nothing else.
    let service = catalog.entities[i].kind == crate::model::Kind::Component;
    // Each distinct expression once per entity: rules share their `when`.
    let mut results: Vec<Option<Result<bool, String>>> = vec![None; rules.expressions.len()];
    let mut eval = |e: usize| -> Result<bool, String> {
        results[e]
            .get_or_insert_with(|| rules.expressions[e].run(&vars))
            .clone()
    };
    let mut failures = Vec::new();
    for (r, rule) in rules.rules.iter().enumerate() {
        if rule.origin == Origin::Scorecard && !service {
            continue;
        }
        let applies = rule.when.map_or(Ok(true), &mut eval);
        let outcome = match applies {
            Ok(false) => continue,
            Ok(true) => eval(rule.require),
            Err(error) => Err(error),
        };
        match outcome {
            Ok(true) => {}
            Ok(false) => failures.push(Failure { rule: r, error: None }),
            Err(error) => failures.push(Failure {
                rule: r,
                error: Some(error),
            }),
        }
    }
    failures
}

/// The diagnostics of the verdicts: a rule with a severity that failed on
/// a declared entity (discovered ones are nobody's YAML), and every rule
/// that could not be evaluated (but those turned off).
pub fn diagnostics(catalog: &Catalog, out: &mut Vec<Diagnostic>) {
    let rules = &catalog.verdicts.rules;
    for (i, entity) in catalog.entities.iter().enumerate() {
        if entity.discovered {
            continue;
        }
        for failure in catalog.verdicts.of(i) {
            let Some(rule) = rules.rules.get(failure.rule) else {
                continue;
            };
            let location = entity.location(rule.pointer);
            match (&failure.error, rule.severity) {
                (None, Some(severity)) => {
                    let message = match rule.origin {
                        Origin::Builtin => message_for(rule, entity),
                        _ => format!("{} (rule `{}`)", message_for(rule, entity), rule.id),
                    };
                    let mut diagnostic = Diagnostic::new(rule.code, location, message);
                    if rule.origin != Origin::Builtin {
                        diagnostic = diagnostic.with_severity(severity);
                    }
                    if let Some(help) = &rule.help {
                        diagnostic = diagnostic.with_help(help.clone());
                    }
                    out.push(diagnostic);
                }
                (Some(error), severity) if severity.is_some() || rule.origin == Origin::Scorecard => {
                    out.push(
                        Diagnostic::new(
                            Code::RuleError,
                            location,
                            format!(
                                "rule `{}` could not be evaluated on {}: {error}",
                                rule.id,
                                entity.ref_string()
                            ),
                        )
                        .with_help(
                            "guard optional fields with `has(spec.field)` or `\"key\" in metadata.annotations`, and test `kind == \"Component\"` before using `service`",
                        ),
                    );
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests;
