//! The rules and scorecards of `cairn.yaml` (`rules:`, `scorecards:`),
//! compiled: each expression is CEL — Google's Common Expression Language,
//! as Kubernetes admission policies use — compiled once by the `cel` crate
//! when the configuration is read ([`read`]); one that does not compile, or
//! names a variable that does not exist, is `config-invalid` at its line
//! and column. The three tier-1 policies are built-in rules of the same
//! kind ([`builtin`]), with their codes and the severity `policies:` gives
//! them. Evaluating them over the catalog is `resolve::rules`.

mod read;

use std::sync::{Arc, OnceLock};

use crate::config::FieldMap;
use crate::diagnostics::{Code, Severity};

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

impl Expr {
    /// The expression's syntax tree, macros expanded.
    pub fn ast(&self) -> &cel::IdedExpr {
        self.program.expression()
    }

    /// Runs the expression over `variables`: `true` or `false`, or why
    /// not. A panic in the evaluator is an error of this run, not of the
    /// build.
    pub fn run(&self, variables: &dyn cel::context::VariableResolver) -> Result<bool, String> {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut context = cel::Context::with_env(Arc::clone(env()));
            context.set_variable_resolver(variables);
            self.program.execute(&context)
        }));
        match outcome {
            Ok(Ok(cel::Value::Bool(value))) => Ok(value),
            Ok(Ok(other)) => Err(format!(
                "`{}` gives {}, not true or false",
                self.source,
                other.type_of()
            )),
            Ok(Err(error)) => Err(format!("`{}`: {error}", self.source)),
            Err(_) => Err(format!("`{}`: the evaluator failed", self.source)),
        }
    }
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
