//! `rules:` and `scorecards:` in `cairn.yaml`, read and compiled:
//!
//! ```yaml
//! rules:
//!   - id: production-needs-pagerduty
//!     when: kind == "Component" && spec.lifecycle == "production"
//!     require: '"pagerduty.com/service-id" in metadata.annotations'
//!     message: a production service needs a PagerDuty service
//!     help: add the annotation `pagerduty.com/service-id`
//!     severity: error            # error | warning (default) | off
//! scorecards:
//!   - name: production-readiness
//!     title: Production readiness
//!     levels:
//!       - name: bronze
//!         rules: [tier1-needs-owner, { id: described, require: 'has(metadata.description)' }]
//!       - name: silver
//!         rules: [production-needs-pagerduty]
//! ```
//!
//! Every expression is compiled here, once: a syntax error is
//! `config-invalid` at its line and column in `cairn.yaml` with the CEL
//! error, and so is a variable no entity has (`sepc.owner`), with a "did
//! you mean". Rule ids, scorecard and level names are checked (a scorecard's
//! name is a path segment of the output).

use cel::common::ast::{EntryExpr, Expr as Ast, IdedExpr};

use super::{env, Expr, Level, Origin, Rule, Rules, Scorecard, VARIABLES};
use crate::config::{at, FieldMap, Reader};
use crate::diagnostics::{did_you_mean, Code, Diagnostic, FilePosition, Severity};
use crate::parse::{Node, Value};

/// The keys of a rule.
const RULE_KEYS: &[&str] = &["id", "when", "require", "message", "help", "severity"];

/// Whether `id` is a usable rule id or scorecard name: lowercase letters,
/// digits and single dashes, at most 63 characters (it names files).
fn valid_name(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 63
        && id
            .split('-')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
}

impl Reader {
    /// The built-in rules, then `rules:`, then the scorecards' inline
    /// rules, and the scorecards.
    pub(crate) fn read_rules(&mut self, rules: Option<&Node>, scorecards: Option<&Node>, fields: &FieldMap) -> Rules {
        let mut out = Rules::builtin(fields);
        if let Some(node) = rules {
            let Some(items) = self.list(node, "/rules", "write `- id: …` entries with `when` and `require`") else {
                return out;
            };
            for (i, item) in items.iter().enumerate() {
                if let Some(rule) = self.rule(item, &format!("/rules/{i}"), Origin::Rules, &mut out) {
                    out.rules.push(rule);
                }
            }
        }
        // A scorecard that names a rule that did not compile says nothing
        // more: the rule's own error is reported.
        let written: Vec<&str> = rules
            .and_then(Node::as_seq)
            .unwrap_or_default()
            .iter()
            .filter_map(|item| item.get_str("id"))
            .collect();
        if let Some(node) = scorecards {
            if let Some(items) = self.list(node, "/scorecards", "write `- name: …` entries with `levels`") {
                for (i, item) in items.iter().enumerate() {
                    if let Some(scorecard) = self.scorecard(item, &format!("/scorecards/{i}"), &mut out, &written) {
                        out.scorecards.push(scorecard);
                    }
                }
            }
        }
        out
    }

    fn list<'n>(&mut self, node: &'n Node, pointer: &str, help: &str) -> Option<&'n [Node]> {
        match &node.value {
            Value::Seq(items) => Some(items),
            Value::Null => None,
            _ => {
                self.invalid(node, pointer, format!("`{}` must be a list", &pointer[1..]), help);
                None
            }
        }
    }

    /// One rule of `rules:` or one inline rule of a scorecard.
    fn rule(&mut self, item: &Node, pointer: &str, origin: Origin, rules: &mut Rules) -> Option<Rule> {
        let keys: &[&str] = match origin {
            Origin::Scorecard => &RULE_KEYS[..5],
            _ => RULE_KEYS,
        };
        let entries = self.entries(item, pointer, keys);
        if entries.is_empty() && item.as_map().is_none() {
            return None;
        }
        let mut id = None;
        let (mut when, mut require, mut message, mut help) = (None, None, None, None);
        let mut severity = Some(Some(Severity::Warning));
        let mut broken = false;
        for (key, value) in entries {
            let at = format!("{pointer}/{key}");
            match key {
                "when" | "require" => {
                    let compiled = self.expression(value, &at, rules);
                    broken |= compiled.is_none();
                    if key == "when" {
                        when = compiled;
                    } else {
                        require = compiled;
                    }
                }
                "severity" => severity = self.severity(value, &at),
                _ => {
                    let Some(text) = self.string(value, &at) else {
                        broken = true;
                        continue;
                    };
                    match key {
                        "id" => id = Some((text, value)),
                        "message" => message = Some(text),
                        _ => help = Some(text),
                    }
                }
            }
        }
        let Some((id, id_node)) = id else {
            self.invalid(
                item,
                pointer,
                format!("`{}` has no `id`", &pointer[1..].replace('/', ".")),
                "give the rule an id such as `production-needs-pagerduty`: scorecards and messages name it",
            );
            return None;
        };
        if !valid_name(&id) {
            self.invalid(
                id_node,
                &format!("{pointer}/id"),
                format!("rule id `{id}` must be lowercase letters, digits and dashes"),
                "write e.g. `production-needs-pagerduty`",
            );
            return None;
        }
        if rules.find(&id).is_some() {
            let what = match rules.rules[rules.find(&id)?].origin {
                Origin::Builtin => "a built-in rule",
                _ => "another rule",
            };
            self.invalid(
                id_node,
                &format!("{pointer}/id"),
                format!("rule id `{id}` is already {what}'s"),
                "give each rule its own id; a scorecard names a rule of `rules:` by its id",
            );
            return None;
        }
        let Some(require) = require else {
            if !broken {
                self.invalid(
                    item,
                    pointer,
                    format!("rule `{id}` has no `require` expression"),
                    "write what every entity the rule applies to must satisfy, e.g. `require: has(spec.owner)`",
                );
            }
            return None;
        };
        if broken {
            return None;
        }
        let severity = severity?;
        Some(Rule {
            message: message
                .unwrap_or_else(|| format!("`{{ref}}` does not satisfy `{}`", rules.expressions[require].source)),
            id,
            when,
            require,
            help,
            severity: if origin == Origin::Scorecard { None } else { severity },
            code: Code::RuleFailed,
            pointer: "/metadata/name",
            origin,
        })
    }

    /// `error`, `warning` or `off` (`Some(None)`).
    fn severity(&mut self, value: &Node, pointer: &str) -> Option<Option<Severity>> {
        match value.as_str() {
            Some("error") => Some(Some(Severity::Error)),
            Some("warning") => Some(Some(Severity::Warning)),
            Some("off") => Some(None),
            _ if value.value == Value::Bool(false) => Some(None),
            _ => {
                self.invalid(
                    value,
                    pointer,
                    "a rule's `severity` must be `error`, `warning` or `off`",
                    "`off` keeps the rule for scorecards without reporting it",
                );
                None
            }
        }
    }

    /// Compiles the expression at `value` (index into `rules`'
    /// expressions), reporting what is wrong with it where it is.
    fn expression(&mut self, value: &Node, pointer: &str, rules: &mut Rules) -> Option<usize> {
        let source = self.string(value, pointer)?;
        let what = format!("`{}`", pointer[1..].replace('/', "."));
        let program = match env().compile(&source) {
            Ok(program) => program,
            Err(errors) => {
                for error in errors.errors.iter().take(3) {
                    let (line, column) = (error.pos.0.max(1) as usize, error.pos.1.max(1) as usize);
                    let mut diagnostic = Diagnostic::new(
                        Code::ConfigInvalid,
                        self.inside(value, pointer, line, column),
                        format!("{what} does not compile: {}", error.msg),
                    );
                    diagnostic = diagnostic.with_help(compile_help(&error.msg, &source));
                    self.diagnostics.push(diagnostic);
                }
                return None;
            }
        };
        let mut free = Vec::new();
        free_variables(program.expression(), &mut Vec::new(), &mut free);
        let mut unknown = false;
        for (name, id) in free {
            if VARIABLES.contains(&name) {
                continue;
            }
            unknown = true;
            let (line, column) = program
                .source_info()
                .offset_for(id)
                .map(|(start, _)| line_column(&source, start as usize))
                .unwrap_or((1, 1));
            let help = match did_you_mean(name, VARIABLES.iter().copied()) {
                Some(suggestion) => format!("did you mean `{suggestion}`?"),
                None => format!("an expression sees {}", VARIABLES.join(", ")),
            };
            self.diagnostics.push(
                Diagnostic::new(
                    Code::ConfigInvalid,
                    self.inside(value, pointer, line, column),
                    format!("{what} names `{name}`, which no entity has"),
                )
                .with_help(help),
            );
        }
        if unknown {
            return None;
        }
        Some(rules.intern(Expr {
            source,
            program: std::sync::Arc::new(program),
        }))
    }

    /// Where line `line`, column `column` (1-based) of the text of the
    /// scalar `value` is in cairn.yaml: exact in a quoted scalar on one
    /// line (unless an escape precedes it), a plain one and a block scalar
    /// (`|`, whose node starts at its text); else the scalar's start.
    fn inside(&self, value: &Node, pointer: &str, line: usize, column: usize) -> FilePosition {
        let mut location = at(value, pointer);
        let Some(first) = self.text.lines().nth(value.start.line.saturating_sub(1) as usize) else {
            return location;
        };
        let one_line = value.start.line == value.end.line;
        match first.chars().nth(value.start.column.saturating_sub(1) as usize) {
            Some('"' | '\'') if line == 1 && one_line => location.column += column as u32,
            Some('"' | '\'' | '>') => {}
            Some(_) => {
                location.line += line as u32 - 1;
                location.column += column as u32 - 1;
            }
            None => {}
        }
        location
    }

    fn scorecard(&mut self, item: &Node, pointer: &str, rules: &mut Rules, written: &[&str]) -> Option<Scorecard> {
        let entries = self.entries(item, pointer, &["name", "title", "description", "levels"]);
        let (mut name, mut title, mut description, mut levels) = (None, None, None, None);
        for (key, value) in entries {
            let at = format!("{pointer}/{key}");
            match key {
                "levels" => levels = Some(value),
                _ => {
                    let text = self.string(value, &at)?;
                    match key {
                        "name" => name = Some((text, value)),
                        "title" => title = Some(text),
                        _ => description = Some(text),
                    }
                }
            }
        }
        let Some((name, name_node)) = name else {
            self.invalid(
                item,
                pointer,
                "a scorecard needs a `name`",
                "write e.g. `name: production-readiness`; it names the scorecard's page and API file",
            );
            return None;
        };
        if !valid_name(&name) {
            self.invalid(
                name_node,
                &format!("{pointer}/name"),
                format!("scorecard name `{name}` must be lowercase letters, digits and dashes"),
                "write e.g. `production-readiness`; put the words in `title:`",
            );
            return None;
        }
        if rules.scorecards.iter().any(|s| s.name == name) {
            self.invalid(
                name_node,
                &format!("{pointer}/name"),
                format!("there is already a scorecard named `{name}`"),
                "give each scorecard its own name",
            );
            return None;
        }
        let Some(levels_node) = levels else {
            self.invalid(
                item,
                pointer,
                format!("scorecard `{name}` has no `levels`"),
                "write its levels, lowest first: `levels: [{ name: bronze, rules: [...] }, …]`",
            );
            return None;
        };
        let levels_pointer = format!("{pointer}/levels");
        let items = self.list(levels_node, &levels_pointer, "write its levels, lowest first")?;
        let mut levels = Vec::new();
        for (l, level) in items.iter().enumerate() {
            levels.push(self.scorecard_level(level, &format!("{levels_pointer}/{l}"), rules, &levels, written)?);
        }
        if levels.is_empty() {
            self.invalid(
                levels_node,
                &levels_pointer,
                format!("scorecard `{name}` has no levels"),
                "write at least one level with its rules",
            );
            return None;
        }
        Some(Scorecard {
            name,
            title,
            description,
            levels,
        })
    }

    fn scorecard_level(
        &mut self,
        item: &Node,
        pointer: &str,
        rules: &mut Rules,
        lower: &[Level],
        written: &[&str],
    ) -> Option<Level> {
        let mut name = None;
        let mut checks = Vec::new();
        for (key, value) in self.entries(item, pointer, &["name", "rules"]) {
            let here = format!("{pointer}/{key}");
            if key == "name" {
                name = Some((self.string(value, &here)?, value));
                continue;
            }
            let items = self.list(value, &here, "list rule ids or inline rules")?;
            for (c, check) in items.iter().enumerate() {
                let here = format!("{here}/{c}");
                let index = match &check.value {
                    Value::String(id) => match rules.find(id) {
                        Some(index) if rules.rules[index].origin != Origin::Scorecard => index,
                        _ if written.contains(&&**id) => return None,
                        _ => {
                            let known = rules
                                .rules
                                .iter()
                                .filter(|r| r.origin != Origin::Scorecard)
                                .map(|r| r.id.as_str());
                            let help = match did_you_mean(id, known) {
                                Some(s) => format!("did you mean `{s}`?"),
                                None => "name a rule of `rules:` or a built-in rule (tier1-needs-owner, tier1-needs-runbook, tier1-needs-oncall), or write the rule inline".into(),
                            };
                            self.diagnostics.push(
                                Diagnostic::new(
                                    Code::ConfigInvalid,
                                    at(check, &here),
                                    format!("scorecard level names rule `{id}`, which does not exist"),
                                )
                                .with_help(help),
                            );
                            return None;
                        }
                    },
                    _ => {
                        let rule = self.rule(check, &here, Origin::Scorecard, rules)?;
                        rules.rules.push(rule);
                        rules.rules.len() - 1
                    }
                };
                checks.push(index);
            }
        }
        let Some((name, name_node)) = name else {
            self.invalid(
                item,
                pointer,
                "a scorecard level needs a `name`",
                "write e.g. `name: bronze`",
            );
            return None;
        };
        if name.trim().is_empty() || lower.iter().any(|l| l.name == name) {
            self.invalid(
                name_node,
                &format!("{pointer}/name"),
                format!("level name `{name}` is empty or repeated"),
                "give each level of a scorecard its own name",
            );
            return None;
        }
        Some(Level { name, checks })
    }
}

/// A hint for a CEL compile error.
fn compile_help(message: &str, source: &str) -> String {
    if message.contains("has() macro") {
        let key = regex::Regex::new(r#"has\(\s*([A-Za-z_][\w.]*)\s*\[\s*("[^"]*"|'[^']*')\s*\]\s*\)"#)
            .expect("the pattern compiles");
        if let Some(found) = key.captures(source) {
            return format!(
                "`has()` takes a field (`has(spec.owner)`); to test a key, write `{} in {}`",
                &found[2], &found[1]
            );
        }
        return "`has()` takes a field (`has(spec.owner)`); to test a key, write `\"key\" in map`".into();
    }
    "see https://github.com/google/cel-spec/blob/master/doc/langdef.md; quote the expression if it holds `: ` or starts with a quote".into()
}

/// The identifiers of `expr` that no comprehension binds, with their ids.
fn free_variables<'a>(expr: &'a IdedExpr, bound: &mut Vec<&'a str>, out: &mut Vec<(&'a str, u64)>) {
    match &expr.expr {
        Ast::Ident(name) => {
            if !name.starts_with('@') && !bound.contains(&name.as_str()) {
                out.push((name, expr.id));
            }
        }
        Ast::Call(call) => {
            if let Some(target) = &call.target {
                free_variables(target, bound, out);
            }
            for arg in &call.args {
                free_variables(arg, bound, out);
            }
        }
        Ast::Comprehension(c) => {
            free_variables(&c.iter_range, bound, out);
            free_variables(&c.accu_init, bound, out);
            let depth = bound.len();
            bound.push(&c.iter_var);
            bound.extend(c.iter_var2.as_deref());
            bound.push(&c.accu_var);
            for part in [&c.loop_cond, &c.loop_step, &c.result] {
                free_variables(part, bound, out);
            }
            bound.truncate(depth);
        }
        Ast::List(list) => {
            for element in &list.elements {
                free_variables(element, bound, out);
            }
        }
        Ast::Map(map) => entries(map.entries.iter().map(|e| &e.expr), bound, out),
        Ast::Struct(structure) => entries(structure.entries.iter().map(|e| &e.expr), bound, out),
        Ast::Select(select) => free_variables(&select.operand, bound, out),
        Ast::Literal(_) | Ast::Unspecified => {}
    }
}

fn entries<'a>(entries: impl Iterator<Item = &'a EntryExpr>, bound: &mut Vec<&'a str>, out: &mut Vec<(&'a str, u64)>) {
    for entry in entries {
        match entry {
            EntryExpr::MapEntry(e) => {
                free_variables(&e.key, bound, out);
                free_variables(&e.value, bound, out);
            }
            EntryExpr::StructField(f) => free_variables(&f.value, bound, out),
        }
    }
}

/// 1-based line and column of character `offset` of `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut line = 1;
    let mut column = 1;
    for c in text.chars().take(offset) {
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    (line, column)
}
