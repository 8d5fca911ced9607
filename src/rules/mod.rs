//! Governance as code: the catalog's own rules (`rules:` in `cairn.yaml`)
//! and scorecards (`scorecards:`), written in CEL — Google's Common
//! Expression Language, as Kubernetes admission policies use — and
//! evaluated by the `cel` crate.
//!
//! A [`Rule`] has an id, an optional `when` and a `require` expression, a
//! message, a help and a severity. The three tier-1 policies are built-in
//! rules of the same kind ([`builtin`]), with their codes and the severity
//! `policies:` gives them. Scorecards are ordered levels of rules (by id, or
//! inline); a service reaches a level when it passes that level's rules and
//! every lower one's ([`scorecards`]).
//!
//! * [`config`] reads `rules:` and `scorecards:` and compiles every
//!   expression once: one that does not compile, or names a variable that
//!   does not exist, is `config-invalid` at its line and column in
//!   `cairn.yaml`.
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

pub mod config;
pub mod scorecards;
pub mod values;

use std::sync::{Arc, OnceLock};

use rayon::prelude::*;

use crate::config::FieldMap;
use crate::diagnostics::{Code, Diagnostic, Severity};
use crate::resolve::Catalog;

/// The variables an expression may read.
pub const VARIABLES: &[&str] = &["apiVersion", "kind", "metadata", "spec", "service"];

/// The CEL environment (the standard library), built once and shared:
/// building it registers every overload.
pub fn env() -> &'static Arc<cel::Env> {
    static ENV: OnceLock<Arc<cel::Env>> = OnceLock::new();
    ENV.get_or_init(|| Arc::new(cel::Env::stdlib()))
}

/// A compiled expression and its text.
#[derive(Clone)]
pub struct Expr {
    pub source: String,
    program: Arc<cel::Program>,
}

impl std::fmt::Debug for Expr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Expr({:?})", self.source)
    }
}

impl PartialEq for Expr {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

/// Where a rule comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// One of cairn's own (the tier-1 policies).
    Builtin,
    /// An entry of `rules:`.
    Rules,
    /// Written inline in a scorecard level: a check only, never a
    /// diagnostic.
    Scorecard,
}

/// One rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: String,
    /// Index into [`Rules::expressions`]; `None` applies to every entity.
    pub when: Option<usize>,
    pub require: usize,
    /// What a failure says; `{name}`, `{namespace}`, `{kind}` and `{ref}`
    /// are the entity's.
    pub message: String,
    pub help: Option<String>,
    /// `None`: no diagnostic (`severity: off`, or an inline scorecard
    /// check), but still a check in scorecards.
    pub severity: Option<Severity>,
    /// The code of its diagnostics: the built-in rules keep theirs.
    pub code: Code,
    /// Where its diagnostics point in the entity.
    pub pointer: &'static str,
    pub origin: Origin,
}

impl Rule {
    /// The message for one entity.
    pub fn message_for(&self, entity: &crate::model::Entity) -> String {
        self.message
            .replace("{name}", &entity.metadata.name)
            .replace("{namespace}", &entity.metadata.namespace)
            .replace("{kind}", entity.kind.as_str())
            .replace("{ref}", &entity.ref_string())
    }

    /// The message about no entity in particular, as a scorecard lists its
    /// checks (which rate services): the placeholders say "the service".
    pub fn message_for_services(&self) -> String {
        self.message
            .replace("`{ref}`", "the service")
            .replace("`{name}`", "the service")
            .replace("{ref}", "the service")
            .replace("{name}", "the service")
            .replace("{namespace}", "its namespace")
            .replace("{kind}", "Component")
    }
}

/// A scorecard: named levels, lowest first. It rates services
/// (Components); its inline checks are evaluated on nothing else.
#[derive(Debug, Clone, PartialEq)]
pub struct Scorecard {
    /// Validated like an entity name: it is a path segment of the output.
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub levels: Vec<Level>,
}

impl Scorecard {
    /// The title, else the name.
    pub fn label(&self) -> &str {
        self.title.as_deref().unwrap_or(&self.name)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Level {
    pub name: String,
    /// Indices into [`Rules::rules`].
    pub checks: Vec<usize>,
}

/// Every rule of a catalog: the built-in ones, then `rules:`, then the
/// scorecards' inline checks; the scorecards; the distinct expressions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rules {
    pub rules: Vec<Rule>,
    pub scorecards: Vec<Scorecard>,
    pub expressions: Vec<Expr>,
}

impl Rules {
    /// The built-in rules alone, for the on-call annotations `fields` names.
    pub fn builtin(fields: &FieldMap) -> Rules {
        let mut rules = Rules::default();
        for rule in builtin(fields) {
            let (when, require, rule) = rule;
            let when = rules.intern(compiled(when));
            let require = rules.intern(compiled(require));
            rules.rules.push(Rule {
                when: Some(when),
                require,
                ..rule
            });
        }
        rules
    }

    /// The index of `expr` among the expressions, adding it if new.
    fn intern(&mut self, expr: Expr) -> usize {
        match self.expressions.iter().position(|e| e.source == expr.source) {
            Some(i) => i,
            None => {
                self.expressions.push(expr);
                self.expressions.len() - 1
            }
        }
    }

    /// The rule with `id`.
    pub fn find(&self, id: &str) -> Option<usize> {
        self.rules.iter().position(|r| r.id == id)
    }
}

/// The built-in rules' expressions, compiled once per process.
fn compiled(source: &'static str) -> Expr {
    static COMPILED: OnceLock<std::sync::Mutex<Vec<Expr>>> = OnceLock::new();
    let cache = COMPILED.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(expr) = cache.iter().find(|e| e.source == source) {
        return expr.clone();
    }
    let program = env().compile(source).expect("the built-in rules compile");
    let expr = Expr {
        source: source.to_string(),
        program: Arc::new(program),
    };
    cache.push(expr.clone());
    expr
}

/// The three tier-1 policies as rules: (when, require, the rest).
fn builtin(fields: &FieldMap) -> Vec<(&'static str, &'static str, Rule)> {
    const TIER1: &str = r#"kind == "Component" && service.tier == "tier1""#;
    let rule = |code: Code, message: &str, help: String, pointer: &'static str| Rule {
        id: code.as_str().to_string(),
        when: None,
        require: 0,
        message: message.to_string(),
        help: Some(help),
        severity: Some(code.default_severity()),
        code,
        pointer,
        origin: Origin::Builtin,
    };
    vec![
        (
            TIER1,
            // A declared owner that does not resolve is already an
            // `unresolved-ref`.
            r#"service.owner != null || has(spec.owner)"#,
            rule(
                Code::Tier1NeedsOwner,
                "tier1 service `{name}` has no owner in the catalog",
                "set `spec.owner` to a Group defined in the catalog".into(),
                "/spec/owner",
            ),
        ),
        (
            TIER1,
            "size(service.runbooks) > 0",
            rule(
                Code::Tier1NeedsRunbook,
                "tier1 service `{name}` has no runbook link",
                "add `metadata.links: [{ url: https://…, title: Runbook, type: runbook }]`".into(),
                "/metadata/links",
            ),
        ),
        (
            TIER1,
            "size(service.on_call) > 0",
            rule(
                Code::Tier1NeedsOncall,
                "tier1 service `{name}` has no on-call annotation",
                format!(
                    "add one of {} to the service or its owner Group",
                    fields.on_call.join(", ")
                ),
                "/metadata/annotations",
            ),
        ),
    ]
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
    let failures = (0..catalog.entities.len())
        .into_par_iter()
        .map(|i| evaluate_one(catalog, rules, i))
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
    let fresh: Vec<(usize, Vec<Failure>)> = again
        .par_iter()
        .map(|&i| (i, evaluate_one(catalog, rules, i)))
        .collect();
    for (i, failures) in fresh {
        verdicts.failures[i] = failures;
    }
    verdicts
}

/// The failures of entity `i`.
fn evaluate_one(catalog: &Catalog, rules: &Rules, i: usize) -> Vec<Failure> {
    if rules.rules.is_empty() {
        return Vec::new();
    }
    let vars = values::Vars::new(catalog, i);
    // Scorecards rate services: their inline checks apply to nothing else.
    let service = catalog.entities[i].kind == crate::model::Kind::Component;
    // Each distinct expression once per entity: rules share their `when`.
    let mut results: Vec<Option<Result<bool, String>>> = vec![None; rules.expressions.len()];
    let mut eval = |e: usize| -> Result<bool, String> {
        results[e]
            .get_or_insert_with(|| run(&rules.expressions[e], &vars))
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

/// Runs one expression: `true` or `false`, or why not. A panic in the
/// evaluator is an error of this entity, not of the build.
fn run(expr: &Expr, vars: &values::Vars) -> Result<bool, String> {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut context = cel::Context::with_env(Arc::clone(env()));
        context.set_variable_resolver(vars);
        expr.program.execute(&context)
    }));
    match outcome {
        Ok(Ok(cel::Value::Bool(value))) => Ok(value),
        Ok(Ok(other)) => Err(format!(
            "`{}` gives {}, not true or false",
            expr.source,
            other.type_of()
        )),
        Ok(Err(error)) => Err(format!("`{}`: {error}", expr.source)),
        Err(_) => Err(format!("`{}`: the evaluator failed", expr.source)),
    }
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
                        Origin::Builtin => rule.message_for(entity),
                        _ => format!("{} (rule `{}`)", rule.message_for(entity), rule.id),
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
