#!/usr/bin/env bash
# action.yml, step "check": errors and warnings as annotations on the diff,
# a job summary (the table, and on pull requests the catalog diff against
# the base branch), the counts as step outputs, SARIF if asked.
set -uo pipefail
reports="${RUNNER_TEMP:?}/cairn-reports"
mkdir -p "$reports"

base=""
if [ -n "${GITHUB_BASE_REF:-}" ]; then
  # A pull request: the base branch holds the published ResourceDefinition
  # versions (cairn finds it as origin/$GITHUB_BASE_REF) and is what the
  # diff compares with.
  if git -C "$CAIRN_ROOT" fetch --no-tags --quiet origin \
    "+refs/heads/$GITHUB_BASE_REF:refs/remotes/origin/$GITHUB_BASE_REF"; then
    base=$(git -C "$CAIRN_ROOT" merge-base HEAD "origin/$GITHUB_BASE_REF" 2>/dev/null || echo "origin/$GITHUB_BASE_REF")
  else
    echo "::warning::cannot fetch the base branch $GITHUB_BASE_REF; no diff, and only tags count as published versions"
  fi
fi

reports_args=(--report "json=$reports/check.json" --report "markdown=$reports/check.md")
if [ -n "$base" ]; then
  # Against the base, a change may not remove more of the catalog than
  # guards.max_removed_percent allows, unless allow-mass-removal says so.
  reports_args+=(--base "$base")
  if [ "${CAIRN_ALLOW_MASS_REMOVAL:-false}" = "true" ]; then
    reports_args+=(--allow-mass-removal)
  fi
fi
if [ -n "$CAIRN_SARIF" ]; then
  reports_args+=(--report "sarif=$CAIRN_SARIF")
fi
cairn --root "$CAIRN_ROOT" --format github check "${reports_args[@]}"
status=$?
if [ "$status" -ge 2 ]; then
  echo "::error::cairn check could not run (exit $status)"
  exit "$status"
fi

read -r errors warnings < <(python3 -c 'import json, sys
summary = json.load(open(sys.argv[1]))["summary"]
print(summary["errors"], summary["warnings"])' "$reports/check.json")
{
  echo "errors=$errors"
  echo "warnings=$warnings"
} >>"$GITHUB_OUTPUT"

{
  cat "$reports/check.md"
  if [ -n "$base" ]; then
    echo
    cairn --root "$CAIRN_ROOT" --format markdown diff "$base"
  fi
} >>"$GITHUB_STEP_SUMMARY"

case "$CAIRN_FAIL_ON" in
  error) failed=$((errors > 0)) ;;
  warning) failed=$((errors + warnings > 0)) ;;
  never) failed=0 ;;
  *)
    echo "::error::fail-on must be error, warning or never, not '$CAIRN_FAIL_ON'"
    exit 2
    ;;
esac
if [ "$failed" -eq 1 ]; then
  echo "cairn check: $errors error(s), $warnings warning(s) (fail-on: $CAIRN_FAIL_ON)"
  exit 1
fi
