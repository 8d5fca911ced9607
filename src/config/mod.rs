//! `cairn.yaml`: the catalog's own settings. Every key is optional; an
//! unknown key is an error that suggests the key that was probably meant, as
//! cargo does for `Cargo.toml`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub mod rules;

use crate::diagnostics::{did_you_mean, Code, Diagnostic, FilePosition, Severity};
use crate::parse::{parse_yaml, Node, Value};

/// The file name that marks a catalog root.
pub const CONFIG_FILE: &str = "cairn.yaml";

/// Validated settings of one catalog.
#[derive(Debug, Clone)]
pub struct Config {
    pub site: Site,
    /// Where entities come from; empty means "walk the whole root".
    pub sources: Vec<Source>,
    /// Directories or files of discovered facts, relative to the root.
    pub snapshots: Vec<String>,
    /// Severity overrides from `policies:`; `None` turns a rule off.
    pub policies: BTreeMap<Code, Option<Severity>>,
    /// Severity overrides per target (`unresolved-ref: { user: warning }`),
    /// which win over `policies` for diagnostics about that target.
    pub policy_targets: BTreeMap<(Code, String), Option<Severity>>,
    pub fields: FieldMap,
    /// The built-in rules, `rules:` and `scorecards:`, compiled.
    pub rules: Arc<rules::Rules>,
    pub guards: Guards,
    /// `discovery.max_age_days`: older snapshots are `facts-stale`.
    pub max_age_days: u32,
    /// `feed.commits`: how many commits `changes.json` and `feed.xml` list.
    pub feed_commits: usize,
}

/// `guards:`: limits a change (`cairn check --base`) must stay within.
#[derive(Debug, Clone, PartialEq)]
pub struct Guards {
    /// More of the base's entities (or of one kind's) removed is
    /// `mass-removal`.
    pub max_removed_percent: f64,
}

impl Default for Guards {
    fn default() -> Self {
        Guards {
            max_removed_percent: 20.0,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub title: String,
    pub base_url: String,
    /// Where a catalog file can be edited: the file's path (relative to the
    /// catalog root) appended gives its edit page, e.g.
    /// `https://github.com/acme/catalog/edit/main/`.
    pub edit_url: Option<String>,
}

/// One entry of `sources:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A local directory, relative to the root, walked recursively.
    Path(PathBuf),
    /// A git repository (read by the git stage; see ARCHITECTURE.md).
    Git {
        url: String,
        reference: String,
        path: Option<String>,
    },
}

/// Which annotations hold the first-class service fields (`fields:`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldMap {
    pub tier: String,
    pub repo: String,
    pub on_call: Vec<String>,
    pub slack: String,
}

impl Default for FieldMap {
    fn default() -> Self {
        FieldMap {
            tier: "cairn.dev/tier".into(),
            repo: "github.com/project-slug".into(),
            on_call: vec![
                "pagerduty.com/service-id".into(),
                "pagerduty.com/integration-key".into(),
                "opsgenie.com/team".into(),
            ],
            slack: "slack.com/channel".into(),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            site: Site {
                title: "Software catalog".into(),
                base_url: "/".into(),
                edit_url: None,
            },
            sources: Vec::new(),
            snapshots: vec!["discovered/".into()],
            policies: BTreeMap::new(),
            policy_targets: BTreeMap::new(),
            rules: Arc::new(rules::Rules::builtin(&FieldMap::default())),
            fields: FieldMap::default(),
            guards: Guards::default(),
            max_age_days: 14,
            feed_commits: 200,
        }
    }
}

impl Config {
    /// The severity a diagnostic of `code` gets in this catalog, or `None`
    /// when its rule is turned off.
    pub fn severity_of(&self, code: Code) -> Option<Severity> {
        self.policies
            .get(&code)
            .copied()
            .unwrap_or(Some(code.default_severity()))
    }
}

/// The parsed configuration and the diagnostics found in it. A missing file
/// is the default configuration.
pub struct LoadedConfig {
    pub config: Config,
    /// The text of cairn.yaml, for quoting it in diagnostics.
    pub text: Option<String>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads `cairn.yaml` under `root`.
pub fn load_config(root: &Path) -> std::io::Result<LoadedConfig> {
    let path = root.join(CONFIG_FILE);
    let text = match std::fs::read(&path).map(String::from_utf8) {
        Ok(Ok(text)) => text,
        Ok(Err(error)) => {
            // Reported like any catalog file, in the format asked for; the
            // run goes on with the defaults.
            return Ok(LoadedConfig {
                config: Config::default(),
                text: None,
                diagnostics: vec![Diagnostic::non_utf8(CONFIG_FILE, &error)],
            });
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(LoadedConfig {
                config: Config::default(),
                text: None,
                diagnostics: Vec::new(),
            })
        }
        Err(e) => return Err(e),
    };
    let (config, diagnostics) = parse_config(&text);
    Ok(LoadedConfig {
        config,
        text: Some(text),
        diagnostics,
    })
}

/// The targets `policies:` may set a severity for, per code
/// (`unresolved-ref: { user: warning, default: error }`): the kind an
/// unresolved ref names, the type of a Location target.
pub fn policy_targets(code: Code) -> &'static [&'static str] {
    match code {
        Code::UnresolvedRef => &[
            "component",
            "api",
            "system",
            "domain",
            "resource",
            "group",
            "user",
            "location",
            "template",
        ],
        Code::LocationTargetMissing => &["file", "url"],
        _ => &[],
    }
}

/// Parses the text of a `cairn.yaml`.
pub fn parse_config(text: &str) -> (Config, Vec<Diagnostic>) {
    let parsed = parse_yaml(CONFIG_FILE, text);
    let mut reader = Reader {
        diagnostics: parsed.diagnostics,
        text: text.to_string(),
    };
    let mut config = Config::default();
    if let Some(doc) = parsed.documents.first() {
        reader.read_root(&doc.root, &mut config);
    }
    (config, reader.diagnostics)
}

pub(crate) struct Reader {
    pub(crate) diagnostics: Vec<Diagnostic>,
    /// The text of cairn.yaml, for positions inside values.
    pub(crate) text: String,
}

pub(crate) fn at(node: &Node, pointer: &str) -> FilePosition {
    FilePosition {
        file: CONFIG_FILE.into(),
        line: node.start.line,
        column: node.start.column,
        pointer: pointer.into(),
    }
}

impl Reader {
    pub(crate) fn invalid(&mut self, node: &Node, pointer: &str, message: impl Into<String>, help: impl Into<String>) {
        self.diagnostics
            .push(Diagnostic::new(Code::ConfigInvalid, at(node, pointer), message).with_help(help));
    }

    /// The entries of a mapping whose keys must come from `known`; unknown
    /// keys are reported with a suggestion and skipped.
    pub(crate) fn entries<'n>(&mut self, node: &'n Node, pointer: &str, known: &[&str]) -> Vec<(&'n str, &'n Node)> {
        let Some(entries) = node.as_map() else {
            if node.value != Value::Null {
                self.invalid(
                    node,
                    pointer,
                    format!("`{}` must be a mapping", display_pointer(pointer)),
                    "write `key: value` pairs here",
                );
            }
            return Vec::new();
        };
        let mut out = Vec::new();
        for (key, value) in entries {
            let name = key.as_str().unwrap_or_default();
            if known.contains(&name) {
                out.push((name, value));
                continue;
            }
            let mut diagnostic = Diagnostic::new(
                Code::ConfigUnknownKey,
                at(key, &format!("{pointer}/{name}")),
                format!(
                    "unknown key `{name}` in {}",
                    if pointer.is_empty() {
                        "cairn.yaml".to_string()
                    } else {
                        format!("`{}`", display_pointer(pointer))
                    }
                ),
            );
            diagnostic = match did_you_mean(name, known.iter().copied()) {
                Some(suggestion) => diagnostic.with_help(format!("did you mean `{suggestion}`?")),
                None => diagnostic.with_help(format!("known keys here: {}", known.join(", "))),
            };
            self.diagnostics.push(diagnostic);
        }
        out
    }

    pub(crate) fn string(&mut self, node: &Node, pointer: &str) -> Option<String> {
        match node.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                self.invalid(
                    node,
                    pointer,
                    format!("`{}` must be a string", display_pointer(pointer)),
                    "quote the value",
                );
                None
            }
        }
    }

    fn read_root(&mut self, root: &Node, config: &mut Config) {
        let (mut rules, mut scorecards) = (None, None);
        let known = [
            "site",
            "sources",
            "discovery",
            "policies",
            "fields",
            "rules",
            "scorecards",
            "guards",
            "feed",
        ];
        for (key, value) in self.entries(root, "", &known) {
            match key {
                "site" => self.read_site(value, &mut config.site),
                "sources" => config.sources = self.read_sources(value),
                "discovery" => self.read_discovery(value, config),
                "policies" => self.read_policies(value, config),
                "fields" => self.read_fields(value, &mut config.fields),
                "rules" => rules = Some(value),
                "scorecards" => scorecards = Some(value),
                "guards" => self.read_guards(value, &mut config.guards),
                "feed" => self.read_feed(value, config),
                _ => unreachable!("entries only yields known keys"),
            }
        }
        // After `fields:`, which the built-in rules' help names.
        config.rules = Arc::new(self.read_rules(rules, scorecards, &config.fields));
    }

    fn read_site(&mut self, node: &Node, site: &mut Site) {
        for (key, value) in self.entries(node, "/site", &["title", "base_url", "edit_url"]) {
            let pointer = format!("/site/{key}");
            let Some(text) = self.string(value, &pointer) else {
                continue;
            };
            match key {
                "title" => site.title = text,
                "edit_url" if crate::util::safe_url(&text) && !text.starts_with("mailto:") => {
                    site.edit_url = Some(text)
                }
                "edit_url" => self.invalid(
                    value,
                    &pointer,
                    format!("`site.edit_url` must be an http(s) URL, found `{text}`"),
                    "use the URL prefix of your repository's edit pages, e.g. `https://github.com/acme/catalog/edit/main/`",
                ),
                _ => match normalize_base_url(&text) {
                    Some(url) => site.base_url = url,
                    None => self.invalid(
                        value,
                        &pointer,
                        format!("`site.base_url` must be a path such as `/` or `/portal/`, found `{text}`"),
                        "use an absolute path on the host, starting with `/`",
                    ),
                },
            }
        }
    }

    fn read_sources(&mut self, node: &Node) -> Vec<Source> {
        let Some(items) = node.as_seq() else {
            self.invalid(
                node,
                "/sources",
                "`sources` must be a list",
                "write `- path: catalog/` entries",
            );
            return Vec::new();
        };
        let mut sources = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let pointer = format!("/sources/{i}");
            let mut fields = BTreeMap::new();
            for (key, value) in self.entries(item, &pointer, &["path", "git", "branch", "ref"]) {
                if let Some(text) = self.string(value, &format!("{pointer}/{key}")) {
                    fields.insert(key, text);
                }
            }
            match (fields.remove("git"), fields.remove("path")) {
                (Some(url), path) => {
                    let reference = match (fields.remove("branch"), fields.remove("ref")) {
                        (Some(_), Some(_)) => {
                            self.invalid(
                                item,
                                &pointer,
                                "a git source takes `branch` or `ref`, not both",
                                "keep one of them",
                            );
                            continue;
                        }
                        (Some(branch), None) => branch,
                        (None, Some(reference)) => reference,
                        (None, None) => "HEAD".into(),
                    };
                    sources.push(Source::Git { url, reference, path });
                }
                (None, Some(path)) if fields.is_empty() => {
                    if Path::new(&path).is_absolute() || path.split(['/', '\\']).any(|c| c == "..") {
                        self.invalid(
                            item,
                            &pointer,
                            format!("source path `{path}` leaves the catalog root"),
                            "use a path inside the catalog root, or a `git:` source",
                        );
                    } else {
                        sources.push(Source::Path(PathBuf::from(path)));
                    }
                }
                (None, Some(_)) => self.invalid(
                    item,
                    &pointer,
                    "`branch` and `ref` only apply to `git:` sources",
                    "add `git: URL` or remove them",
                ),
                (None, None) => self.invalid(
                    item,
                    &pointer,
                    "a source needs `path:` or `git:`",
                    "write `- path: catalog/`",
                ),
            }
        }
        sources
    }

    fn read_discovery(&mut self, node: &Node, config: &mut Config) {
        for (key, value) in self.entries(node, "/discovery", &["snapshots", "max_age_days"]) {
            if key == "max_age_days" {
                if let Some(days) = self.number(value, "/discovery/max_age_days", 1.0, 3650.0) {
                    config.max_age_days = days as u32;
                }
                continue;
            }
            let Some(items) = value.as_seq() else {
                self.invalid(
                    value,
                    "/discovery/snapshots",
                    "`discovery.snapshots` must be a list of paths",
                    "write `snapshots: [discovered/]`",
                );
                continue;
            };
            config.snapshots = items
                .iter()
                .enumerate()
                .filter_map(|(i, item)| self.string(item, &format!("/discovery/snapshots/{i}")))
                .collect();
        }
    }

    /// A number within `min..=max`; days and percents are written as
    /// plain numbers.
    fn number(&mut self, value: &Node, pointer: &str, min: f64, max: f64) -> Option<f64> {
        let number = match value.value {
            Value::Int(i) => Some(i as f64),
            Value::Float(f) => Some(f),
            _ => None,
        };
        match number.filter(|n| (min..=max).contains(n)) {
            Some(n) => Some(n),
            None => {
                self.invalid(
                    value,
                    pointer,
                    format!("`{}` must be a number from {min} to {max}", display_pointer(pointer)),
                    format!(
                        "write e.g. `{}: {}`",
                        pointer.rsplit('/').next().unwrap_or_default(),
                        max.min(20.0)
                    ),
                );
                None
            }
        }
    }

    fn read_feed(&mut self, node: &Node, config: &mut Config) {
        for (_, value) in self.entries(node, "/feed", &["commits"]) {
            match self.number(value, "/feed/commits", 1.0, 10_000.0) {
                Some(n) if n.fract() == 0.0 => config.feed_commits = n as usize,
                Some(_) => self.invalid(
                    value,
                    "/feed/commits",
                    "`feed.commits` must be a whole number",
                    "write e.g. `commits: 200`",
                ),
                None => {}
            }
        }
    }

    fn read_guards(&mut self, node: &Node, guards: &mut Guards) {
        for (_, value) in self.entries(node, "/guards", &["max_removed_percent"]) {
            if let Some(percent) = self.number(value, "/guards/max_removed_percent", 0.0, 100.0) {
                guards.max_removed_percent = percent;
            }
        }
    }

    fn read_policies(&mut self, node: &Node, config: &mut Config) {
        let configurable: Vec<&str> = Code::ALL
            .iter()
            .filter(|c| c.is_configurable())
            .map(|c| c.as_str())
            .collect();
        let all: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        for (key, value) in self.entries(node, "/policies", &all) {
            let pointer = format!("/policies/{key}");
            let code = Code::from_name(key).expect("entries only yields known codes");
            if !code.is_configurable() {
                self.invalid(
                    value,
                    &pointer,
                    format!("the severity of `{key}` cannot be changed"),
                    format!("configurable rules: {}", configurable.join(", ")),
                );
                continue;
            }
            let targets = policy_targets(code);
            if let (Value::Map(_), false) = (&value.value, targets.is_empty()) {
                let mut keys = targets.to_vec();
                keys.push("default");
                for (target, level) in self.entries(value, &pointer, &keys) {
                    let Some(level) = self.level(level, &format!("{pointer}/{target}"), key) else {
                        continue;
                    };
                    if target == "default" {
                        config.policies.insert(code, level);
                    } else {
                        config.policy_targets.insert((code, target.to_string()), level);
                    }
                }
                continue;
            }
            if let Some(level) = self.level(value, &pointer, key) {
                config.policies.insert(code, level);
            }
        }
    }

    /// A severity: `error`, `warning` or `off` (`Some(None)` is off).
    fn level(&mut self, value: &Node, pointer: &str, key: &str) -> Option<Option<Severity>> {
        match &value.value {
            Value::String(s) if &**s == "error" => Some(Some(Severity::Error)),
            Value::String(s) if &**s == "warning" => Some(Some(Severity::Warning)),
            Value::String(s) if &**s == "off" => Some(None),
            // `off` unquoted is a string in YAML 1.2, but `false` is not.
            Value::Bool(false) => Some(None),
            _ => {
                let targets = policy_targets(Code::from_name(key).expect("a known code"));
                let help = if targets.is_empty() {
                    "write e.g. `tier1-needs-runbook: warning`".to_string()
                } else {
                    format!(
                        "write e.g. `{key}: warning`, or per target: `{key}: {{ {}: warning, default: error }}`",
                        targets[0]
                    )
                };
                self.invalid(
                    value,
                    pointer,
                    format!(
                        "`policies.{}` must be `error`, `warning` or `off`",
                        pointer.trim_start_matches("/policies/").replace('/', ".")
                    ),
                    help,
                );
                None
            }
        }
    }

    fn read_fields(&mut self, node: &Node, fields: &mut FieldMap) {
        for (key, value) in self.entries(node, "/fields", &["tier", "repo", "on_call", "slack"]) {
            let pointer = format!("/fields/{key}");
            if key == "on_call" {
                fields.on_call = match &value.value {
                    Value::String(s) => vec![s.to_string()],
                    Value::Seq(items) => items
                        .iter()
                        .enumerate()
                        .filter_map(|(i, n)| self.string(n, &format!("{pointer}/{i}")))
                        .collect(),
                    _ => {
                        self.invalid(
                            value,
                            &pointer,
                            "`fields.on_call` must be an annotation key or a list of them",
                            "write `on_call: [pagerduty.com/service-id]`",
                        );
                        continue;
                    }
                };
                continue;
            }
            let Some(text) = self.string(value, &pointer) else {
                continue;
            };
            match key {
                "tier" => fields.tier = text,
                "repo" => fields.repo = text,
                _ => fields.slack = text,
            }
        }
    }
}

/// `/portal` → `/portal/`; rejects URLs with a scheme or without a leading
/// slash.
pub fn normalize_base_url(text: &str) -> Option<String> {
    if !text.starts_with('/')
        || text.contains("//")
        || text.contains(['?', '#', '\\'])
        || text.split('/').any(|c| c == "..")
    {
        return None;
    }
    Some(if text.ends_with('/') {
        text.to_string()
    } else {
        format!("{text}/")
    })
}

fn display_pointer(pointer: &str) -> String {
    pointer.trim_start_matches('/').replace('/', ".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_key() {
        let (config, diagnostics) = parse_config(
            "site: { title: Acme, base_url: /portal }\nsources:\n  - path: catalog/\n  - git: https://example.com/r.git\n    branch: main\n    path: resources/\npolicies: { tier1-needs-runbook: warning, tier1-needs-oncall: off }\nfields: { tier: acme.com/tier }\n",
        );
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert_eq!(config.site.base_url, "/portal/");
        assert_eq!(config.sources.len(), 2);
        assert_eq!(config.severity_of(Code::Tier1NeedsRunbook), Some(Severity::Warning));
        assert_eq!(config.severity_of(Code::Tier1NeedsOncall), None);
        assert_eq!(config.severity_of(Code::Tier1NeedsOwner), Some(Severity::Error));
        assert_eq!(config.fields.tier, "acme.com/tier");
    }

    #[test]
    fn feed_commits_is_a_whole_number_from_one() {
        assert_eq!(parse_config("").0.feed_commits, 200);
        let (config, diagnostics) = parse_config("feed: { commits: 50 }\n");
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert_eq!(config.feed_commits, 50);
        for bad in [
            "feed: { commits: 0 }\n",
            "feed: { commits: 2.5 }\n",
            "feed: { commits: lots }\n",
        ] {
            let (config, diagnostics) = parse_config(bad);
            assert_eq!(config.feed_commits, 200, "{bad}");
            assert_eq!(
                diagnostics
                    .iter()
                    .map(|d| (d.code, d.location.line, d.location.column))
                    .collect::<Vec<_>>(),
                [(Code::ConfigInvalid, 1, 18)],
                "{bad}"
            );
        }
    }

    #[test]
    fn unknown_keys_suggest_the_closest_known_one() {
        let (_, mut diagnostics) = parse_config("site:\n  titel: Acme\npolicy: {}\n");
        diagnostics.sort_by_key(|d| d.location.line);
        let helps: Vec<_> = diagnostics
            .iter()
            .map(|d| (d.code, d.location.line, d.help.clone().unwrap()))
            .collect();
        assert_eq!(
            helps[0],
            (Code::ConfigUnknownKey, 2, "did you mean `title`?".to_string())
        );
        assert_eq!(
            helps[1],
            (Code::ConfigUnknownKey, 3, "did you mean `policies`?".to_string())
        );
    }

    #[test]
    fn rejects_bad_values() {
        let (_, diagnostics) = parse_config("site: { base_url: 'https://x', edit_url: 'javascript:alert(1)//' }\npolicies: { unknown-kind: off, tier1-needs-owner: loud }\nsources: [ { path: ../elsewhere } ]\n");
        let codes: Vec<_> = diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, [Code::ConfigInvalid; 5]);
        assert!(
            diagnostics[1]
                .message
                .contains("`site.edit_url` must be an http(s) URL"),
            "{diagnostics:#?}"
        );
    }

    #[test]
    fn reads_the_edit_url() {
        let (config, diagnostics) = parse_config("site: { edit_url: 'https://github.com/acme/catalog/edit/main/' }\n");
        assert!(diagnostics.is_empty(), "{diagnostics:#?}");
        assert_eq!(
            config.site.edit_url.as_deref(),
            Some("https://github.com/acme/catalog/edit/main/")
        );
    }
}
