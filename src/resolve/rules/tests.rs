use super::scorecards::{moves, of};
use super::*;
use crate::config::{parse_config, Config};
use crate::diagnostics::Severity;
use crate::resolve::catalog_from;

const CATALOG: &str = "
apiVersion: backstage.io/v1alpha1
kind: Group
metadata: { name: payments, annotations: { pagerduty.com/service-id: PX } }
spec: { type: team, children: [] }
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout
  description: Takes the money.
  annotations: { cairn.dev/tier: tier1, pagerduty.com/service-id: P1 }
  links: [{ url: 'https://r', title: Runbook, type: runbook }]
spec: { type: service, lifecycle: production, owner: payments, dependsOn: [component:ledger] }
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: { name: ledger, annotations: { cairn.dev/tier: tier1 } }
spec: { type: service, lifecycle: experimental, owner: payments }
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: { name: orphan, annotations: { cairn.dev/tier: tier1 } }
spec: { type: service, lifecycle: production }
";

fn config(text: &str) -> Config {
    let (config, diagnostics) = parse_config(text);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    config
}

fn catalog(config: &Config) -> Catalog {
    catalog_from("catalog.yaml", CATALOG, config).0
}

/// (code, entity, message) of every rule diagnostic.
fn reported(config: &Config) -> Vec<(Code, String, String)> {
    let catalog = catalog(config);
    let mut out = Vec::new();
    diagnostics(&catalog, &mut out);
    let line_of = |line: u32| {
        CATALOG
            .lines()
            .take(line as usize)
            .filter(|l| l.contains("name: "))
            .last()
            .unwrap_or_default()
            .to_string()
    };
    out.into_iter()
        .map(|d| (d.code, line_of(d.location.line), d.message))
        .collect()
}

fn index(catalog: &Catalog, name: &str) -> usize {
    catalog
        .entities
        .iter()
        .position(|e| e.metadata.name == name)
        .expect("in the catalog")
}

#[test]
fn the_built_in_rules_are_the_tier1_policies() {
    let found = reported(&Config::default());
    let codes: Vec<(Code, bool)> = found
        .iter()
        .map(|(code, line, _)| (*code, line.contains("orphan")))
        .collect();
    assert_eq!(
        codes,
        [
            (Code::Tier1NeedsRunbook, false),
            (Code::Tier1NeedsOwner, true),
            (Code::Tier1NeedsRunbook, true),
            (Code::Tier1NeedsOncall, true),
        ],
        "{found:#?}"
    );
    assert!(found[0].2.contains("tier1 service `ledger` has no runbook link"));
    // ledger's on-call comes from its owner Group.
}

#[test]
fn custom_rules_report_their_message_severity_and_id() {
    let config = config(
        "rules:\n  - id: production-needs-description\n    when: kind == \"Component\" && spec.lifecycle == \"production\"\n    require: has(metadata.description)\n    message: \"{name} needs a description\"\n    help: say what it does\n    severity: error\n",
    );
    let mut found: Vec<_> = reported(&config)
        .into_iter()
        .filter(|(code, ..)| *code == Code::RuleFailed)
        .collect();
    assert_eq!(found.len(), 1, "{found:#?}");
    let (_, line, message) = found.remove(0);
    assert!(line.contains("orphan"), "{line}");
    assert_eq!(
        message,
        "orphan needs a description (rule `production-needs-description`)"
    );
    let catalog = catalog(&config);
    let mut out = Vec::new();
    diagnostics(&catalog, &mut out);
    let diagnostic = out.iter().find(|d| d.code == Code::RuleFailed).unwrap();
    assert_eq!(diagnostic.severity, Severity::Error);
    assert_eq!(diagnostic.help.as_deref(), Some("say what it does"));
}

#[test]
fn expressions_see_the_service_and_its_dependencies() {
    let config = config(concat!(
        "rules:\n",
        "  - id: no-experimental-dependencies\n",
        "    when: service != null && service.lifecycle == 'production'\n",
        "    require: service.dependencies.all(d, d.lifecycle != 'experimental')\n",
        "  - id: owned-and-paged\n",
        "    when: kind == 'Component'\n",
        "    require: service.owner == 'group:default/payments' && service.on_call.exists(o, o.inherited) && service.owner_confidence == 1.0\n",
        "  - id: annotated\n",
        "    require: '\"pagerduty.com/service-id\" in metadata.annotations && size(metadata.tags) == 0'\n",
    ));
    let catalog = catalog(&config);
    let failing = |name: &str| -> Vec<&str> {
        catalog
            .verdicts
            .of(index(&catalog, name))
            .iter()
            .map(|f| {
                assert_eq!(f.error, None, "{f:?}");
                config.rules.rules[f.rule].id.as_str()
            })
            .filter(|id| !id.starts_with("tier1"))
            .collect()
    };
    assert_eq!(failing("checkout"), ["no-experimental-dependencies", "owned-and-paged"]);
    assert_eq!(failing("ledger"), ["annotated"]);
    assert_eq!(failing("orphan"), ["owned-and-paged", "annotated"]);
    assert_eq!(failing("payments"), Vec::<&str>::new());
}

#[test]
fn a_rule_that_fails_at_run_time_reports_that_entity_and_goes_on() {
    let config = config(
        "rules:\n  - id: system-prefix\n    when: kind == 'Component'\n    require: spec.system.startsWith('pay')\n",
    );
    let found = reported(&config);
    let errors: Vec<_> = found.iter().filter(|(code, ..)| *code == Code::RuleError).collect();
    assert_eq!(errors.len(), 3, "{found:#?}");
    assert!(
        errors[0]
            .2
            .starts_with("rule `system-prefix` could not be evaluated on component:default/checkout: `spec.system.startsWith('pay')`:"),
        "{}",
        errors[0].2
    );
    assert!(
        found.iter().any(|(code, ..)| *code == Code::Tier1NeedsOwner),
        "the rest still ran"
    );
}

#[test]
fn a_broken_expression_is_config_invalid_at_its_line_and_column() {
    let text = "site: { title: x }\nrules:\n  - id: a\n    require: spec.owner ==\n  - id: b\n    require: \"has(spec.owner) && )\"\n  - id: c\n    when: |\n      kind == \"Component\" &&\n        sepc.owner == 'x'\n    require: 'true'\n";
    let (config, diagnostics) = parse_config(text);
    let found: Vec<(Code, u32, u32, &str)> = diagnostics
        .iter()
        .map(|d| (d.code, d.location.line, d.location.column, d.message.as_str()))
        .collect();
    assert_eq!(found.len(), 3, "{found:#?}");
    assert_eq!((found[0].0, found[0].1, found[0].2), (Code::ConfigInvalid, 4, 27));
    assert!(
        found[0].3.starts_with("`rules.0.require` does not compile: "),
        "{}",
        found[0].3
    );
    assert_eq!((found[1].1, found[1].2), (6, 34), "{found:#?}");
    assert_eq!((found[2].1, found[2].2), (10, 9), "{found:#?}");
    assert_eq!(found[2].3, "`rules.2.when` names `sepc`, which no entity has");
    assert_eq!(diagnostics[2].help.as_deref(), Some("did you mean `spec`?"));
    assert_eq!(config.rules.rules.len(), 3, "only the built-in rules are left");
}

#[test]
fn has_on_a_key_says_how_to_test_a_key() {
    let (_, diagnostics) =
        parse_config("rules:\n  - id: paged\n    require: has(metadata.annotations[\"pagerduty.com/service-id\"])\n");
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    assert_eq!(
        diagnostics[0].help.as_deref(),
        Some("`has()` takes a field (`has(spec.owner)`); to test a key, write `\"pagerduty.com/service-id\" in metadata.annotations`")
    );
}

#[test]
fn bad_rules_and_scorecards_are_reported() {
    let (_, diagnostics) = parse_config(concat!(
        "rules:\n",
        "  - id: Bad_Id\n    require: 'true'\n",
        "  - id: tier1-needs-owner\n    require: 'true'\n",
        "  - id: no-require\n",
        "  - id: loud\n    require: 'true'\n    severity: loud\n",
        "scorecards:\n",
        "  - name: ready\n    levels:\n      - name: bronze\n        rules: [tier1-needs-runbok]\n",
        "  - name: Ready Now\n    levels: []\n",
        "  - name: empty\n    levels: []\n",
    ));
    let messages: Vec<String> = diagnostics.iter().map(|d| d.message.clone()).collect();
    assert_eq!(
        messages,
        [
            "rule id `Bad_Id` must be lowercase letters, digits and dashes",
            "rule id `tier1-needs-owner` is already a built-in rule's",
            "rule `no-require` has no `require` expression",
            "a rule's `severity` must be `error`, `warning` or `off`",
            "scorecard level names rule `tier1-needs-runbok`, which does not exist",
            "scorecard name `Ready Now` must be lowercase letters, digits and dashes",
            "scorecard `empty` has no levels",
        ]
    );
    assert_eq!(
        diagnostics[4].help.as_deref(),
        Some("did you mean `tier1-needs-runbook`?")
    );
}

const SCORECARD: &str = concat!(
    "rules:\n",
    "  - id: described\n    require: has(metadata.description)\n    severity: off\n",
    "scorecards:\n",
    "  - name: readiness\n",
    "    levels:\n",
    "      - name: bronze\n        rules: [tier1-needs-owner]\n",
    "      - name: silver\n        rules: [tier1-needs-runbook, { id: production, require: spec.lifecycle == 'production' }]\n",
    "      - name: gold\n        rules: [described]\n",
);

#[test]
fn a_service_reaches_a_level_when_it_passes_it_and_every_lower_one() {
    let config = config(SCORECARD);
    let catalog = catalog(&config);
    let level = |name: &str| {
        let standings = of(&catalog, index(&catalog, name));
        let failing: Vec<String> = standings[0]
            .failing
            .iter()
            .map(|f| format!("{}:{}", f.level, f.rule.id))
            .collect();
        (standings[0].level().map(str::to_string), failing)
    };
    assert_eq!(level("checkout"), (Some("gold".into()), vec![]));
    assert_eq!(
        level("ledger"),
        (
            Some("bronze".into()),
            vec![
                "1:tier1-needs-runbook".into(),
                "1:production".into(),
                "2:described".into()
            ]
        )
    );
    // Passing gold's check does not count below a failed level.
    assert_eq!(level("orphan").0, None);
    let mut out = Vec::new();
    diagnostics(&catalog, &mut out);
    assert!(
        out.iter().all(|d| d.code != Code::RuleFailed),
        "an inline check and a rule turned off report nothing: {out:#?}"
    );
}

#[test]
fn moves_say_which_services_changed_level() {
    let config = config(SCORECARD);
    let base = catalog(&config);
    let mut head = base.clone();
    let ledger = index(&head, "ledger");
    let mut failures = (*head.verdicts).clone();
    failures.failures[ledger].retain(|f| config.rules.rules[f.rule].id == "described");
    let checkout = index(&head, "checkout");
    failures.failures[checkout].push(Failure {
        rule: config.rules.find("tier1-needs-owner").unwrap(),
        error: None,
    });
    head.verdicts = Arc::new(failures);
    let moved: Vec<(String, Option<String>, Option<String>, bool)> = moves(&base, &head)
        .into_iter()
        .map(|m| (m.service, m.from, m.to, m.up))
        .collect();
    assert_eq!(
        moved,
        [
            ("component:default/checkout".into(), Some("gold".into()), None, false),
            (
                "component:default/ledger".into(),
                Some("bronze".into()),
                Some("silver".into()),
                true
            ),
        ]
    );
}

#[test]
fn only_the_service_fields_a_rule_names_are_made() {
    let fields = |sources: &[&str]| {
        let programs: Vec<cel::Program> = sources
            .iter()
            .map(|s| crate::config::rules::env().compile(s).expect("compiles"))
            .collect();
        values::ServiceFields::of(programs.iter().map(cel::Program::expression))
    };
    let named = |names: &[&str]| {
        let tests: Vec<String> = names.iter().map(|n| format!("has(service.{n})")).collect();
        fields(&tests.iter().map(String::as_str).collect::<Vec<_>>())
    };
    assert_eq!(
        fields(&[r#"kind == "Component" && service.tier == "tier1""#]),
        named(&["tier"])
    );
    assert_eq!(
        fields(&[
            "service != null && service.lifecycle == 'production'",
            "null == service || service.dependencies.all(d, d.lifecycle != 'experimental')",
            "{'a': service.slack}.a != '' && [service.owner].size() == 1",
        ]),
        named(&["dependencies", "lifecycle", "owner", "slack"])
    );
    let every = fields(&["size(service) > 0"]);
    for uses_service_whole in [
        "'tier' in service",
        "service['tier'] == 'tier1'",
        "service == {}",
        "[1].all(service, service > 0)",
        "service.?tier.orValue('') == 'tier1'",
    ] {
        assert_eq!(
            fields(&["has(service.tier)", uses_service_whole]),
            every,
            "{uses_service_whole}"
        );
    }
    assert_ne!(every, named(&["tier"]));
}

#[test]
fn rules_see_the_same_service_whatever_fields_they_name() {
    // Each rule alone (only its fields made), then all of them with one
    // that reads the whole service: the verdicts agree.
    let rules = [
        "service.lifecycle == 'production'",
        "service.owner == 'group:default/payments'",
        "service.dependencies.exists(d, d.lifecycle == 'experimental')",
        "service.on_call.exists(o, o.inherited) || service.runbooks.size() > 0",
        "service.tier == 'tier1' && service.owner_confidence == 1.0 && service.repo == null && service.slack == null \
         && service.tech == [] && service.system == null && !service.discovered && service.discovery == null",
    ];
    let text = |extra: &str| {
        let mut text = String::from("rules:\n");
        for (i, rule) in rules.iter().enumerate() {
            text.push_str(&format!(
                "  - {{ id: r{i}, when: 'kind == \"Component\"', require: \"{rule}\", severity: warning }}\n"
            ));
        }
        text + extra
    };
    let whole = "  - { id: whole, when: 'kind == \"Component\"', require: 'size(service) > 0', severity: warning }\n";
    let pruned = reported(&config(&text("")));
    let mut full = reported(&config(&text(whole)));
    full.retain(|(_, _, message)| !message.contains("rule `whole`"));
    assert_eq!(pruned, full);
    // Rules that fail somewhere and pass elsewhere: the comparison says something.
    for failing in ["r0", "r1", "r2", "r3", "r4"] {
        let on = pruned
            .iter()
            .filter(|(_, _, m)| m.contains(&format!("rule `{failing}`")))
            .count();
        assert!(
            (1..3).contains(&on),
            "{failing} fails on {on} of 3 services: {pruned:#?}"
        );
    }
}
