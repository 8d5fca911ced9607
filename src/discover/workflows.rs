//! Deploy targets named in GitHub Actions workflows: which ECS service,
//! Lambda function or CloudFormation stack a repository deploys to.
//!
//! Recognised: the official actions' inputs
//! (`aws-actions/amazon-ecs-deploy-task-definition` `service:`,
//! `aws-actions/aws-cloudformation-github-deploy` `name:`,
//! `aws-actions/aws-lambda-deploy` `function-name:`), and AWS CLI / SAM
//! commands in `run:` scripts (`aws ecs update-service --service`,
//! `aws lambda update-function-code|update-function-configuration
//! --function-name`, `aws cloudformation deploy|create-stack|update-stack
//! --stack-name`, `sam deploy --stack-name`). `${{ env.X }}` and `$X` are
//! resolved through the workflow's, job's and step's `env:`; a value that
//! stays an expression is skipped rather than guessed.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use regex::Regex;

use crate::facts::{DeployTarget, TargetKind};
use crate::parse::{parse_yaml, Node, Value};

/// Every deploy target of one workflow file (empty when it is not YAML).
pub fn deploy_targets(text: &str) -> BTreeSet<DeployTarget> {
    let mut targets = BTreeSet::new();
    for document in parse_yaml("workflow", text).documents {
        let root = &document.root;
        let top_env = env_of(root, &BTreeMap::new());
        let Some(jobs) = root.get("jobs").and_then(Node::as_map) else {
            continue;
        };
        for (_, job) in jobs {
            let job_env = env_of(job, &top_env);
            for step in job.get("steps").and_then(Node::as_seq).unwrap_or_default() {
                let env = env_of(step, &job_env);
                step_targets(step, &env, &mut targets);
            }
        }
    }
    targets
}

fn step_targets(step: &Node, env: &BTreeMap<String, String>, targets: &mut BTreeSet<DeployTarget>) {
    let mut add = |kind: TargetKind, raw: &str| {
        if let Some(name) = resolve(raw, env) {
            targets.insert(DeployTarget { kind, name });
        }
    };
    if let Some(uses) = step.get_str("uses") {
        let action = uses.split('@').next().unwrap_or(uses).to_ascii_lowercase();
        let with = |key: &str| step.get("with").and_then(|w| w.get_str(key));
        match action.as_str() {
            "aws-actions/amazon-ecs-deploy-task-definition" => {
                if let Some(service) = with("service") {
                    add(TargetKind::EcsService, service);
                }
            }
            "aws-actions/aws-cloudformation-github-deploy" => {
                if let Some(name) = with("name") {
                    add(TargetKind::CloudformationStack, name);
                }
            }
            "aws-actions/aws-lambda-deploy" => {
                if let Some(name) = with("function-name") {
                    add(TargetKind::LambdaFunction, name);
                }
            }
            _ => {}
        }
    }
    if let Some(script) = step.get_str("run") {
        for (kind, pattern) in cli_patterns() {
            for capture in pattern.captures_iter(script) {
                add(*kind, &capture[1]);
            }
        }
    }
}

/// Regexes over `run:` scripts; group 1 is the target's name.
fn cli_patterns() -> &'static [(TargetKind, Regex)] {
    static PATTERNS: OnceLock<Vec<(TargetKind, Regex)>> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let value = r#"[=\s]+["']?([^\s"'\\]+)"#;
        [
            (
                TargetKind::EcsService,
                format!(r"aws\s+ecs\s+update-service\b[^\n]*?--service{value}"),
            ),
            (
                TargetKind::LambdaFunction,
                format!(r"aws\s+lambda\s+update-function-(?:code|configuration)\b[^\n]*?--function-name{value}"),
            ),
            (
                TargetKind::CloudformationStack,
                format!(r"aws\s+cloudformation\s+(?:deploy|create-stack|update-stack)\b[^\n]*?--stack-name{value}"),
            ),
            (
                TargetKind::CloudformationStack,
                format!(r"sam\s+deploy\b[^\n]*?--stack-name{value}"),
            ),
        ]
        .into_iter()
        .map(|(kind, pattern)| (kind, Regex::new(&pattern).expect("deploy pattern compiles")))
        .collect()
    })
}

/// `env:` of a workflow, job or step layered over the outer one.
fn env_of(node: &Node, outer: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut env = outer.clone();
    for (key, value) in node.get("env").and_then(Node::as_map).unwrap_or_default() {
        if let (Value::String(key), Some(value)) = (&key.value, value.as_scalar_text()) {
            env.insert(key.to_string(), value);
        }
    }
    env
}

/// The literal name behind `raw`: `${{ env.X }}`, `$X` and `${X}` are looked
/// up in `env`; anything still holding an expression gives `None`.
fn resolve(raw: &str, env: &BTreeMap<String, String>) -> Option<String> {
    static VAR: OnceLock<Regex> = OnceLock::new();
    let var = VAR.get_or_init(|| {
        Regex::new(r"^(?:\$\{\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}|\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?)$")
            .expect("compiles")
    });
    let raw = raw.trim();
    let value = match var.captures(raw) {
        Some(c) => env
            .get(c.get(1).or(c.get(2)).expect("one group matched").as_str())?
            .trim()
            .to_string(),
        None => raw.to_string(),
    };
    (!value.is_empty() && !value.contains("${") && !value.contains('$')).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<(TargetKind, String)> {
        deploy_targets(text).into_iter().map(|t| (t.kind, t.name)).collect()
    }

    #[test]
    fn actions_and_cli_commands() {
        let workflow = r#"
name: deploy
on: { push: { branches: [main] } }
env:
  STACK: payments-stack
jobs:
  deploy:
    runs-on: ubuntu-latest
    env:
      FUNCTION: payments-webhook
    steps:
      - uses: actions/checkout@v4
      - uses: aws-actions/amazon-ecs-deploy-task-definition@v2
        with:
          task-definition: task.json
          service: payments-api
          cluster: prod
      - uses: aws-actions/aws-cloudformation-github-deploy@v1
        with: { name: "${{ env.STACK }}", template: cfn.yaml }
      - run: |
          aws lambda update-function-code --function-name "$FUNCTION" --zip-file fileb://x.zip
          aws ecs update-service --cluster prod --service=payments-worker --force-new-deployment
          sam deploy --stack-name payments-edge --no-confirm-changeset
      - run: aws lambda update-function-code --function-name ${{ matrix.fn }}
"#;
        assert_eq!(
            names(workflow),
            [
                (TargetKind::EcsService, "payments-api".into()),
                (TargetKind::EcsService, "payments-worker".into()),
                (TargetKind::LambdaFunction, "payments-webhook".into()),
                (TargetKind::CloudformationStack, "payments-edge".into()),
                (TargetKind::CloudformationStack, "payments-stack".into()),
            ]
        );
    }

    #[test]
    fn not_yaml_or_no_jobs_gives_nothing() {
        assert!(names("{ not: [yaml").is_empty());
        assert!(names("name: lint\non: push\n").is_empty());
    }
}
