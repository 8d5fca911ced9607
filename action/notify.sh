#!/usr/bin/env bash
# action.yml, step "notify": posts the catalog's entity changes of a push
# (github.event.before → HEAD) to the webhooks in `notify`, signed with
# CAIRN_WEBHOOK_SECRET from the step's environment — never for a pull
# request. A webhook that keeps failing fails the step.
set -euo pipefail
if [ -z "${CAIRN_NOTIFY//[[:space:],]/}" ]; then
  echo "notify is empty: no webhooks"
  exit 0
fi
case "${GITHUB_EVENT_NAME:-}" in
  pull_request | pull_request_target)
    echo "not notifying for a pull request"
    exit 0
    ;;
esac
if [ -z "${CAIRN_WEBHOOK_SECRET:-}" ]; then
  echo "::error::notify needs CAIRN_WEBHOOK_SECRET in the step's env (e.g. \${{ secrets.CAIRN_WEBHOOK_SECRET }})"
  exit 2
fi
base="$CAIRN_BEFORE"
# A new branch (before is all zeros) or a manual run: the parent commit.
if [ -z "$base" ] || [ -z "${base//0/}" ]; then
  base="HEAD~1"
fi
# URLs separated by spaces, commas or newlines; `read -a` does not glob.
read -r -a urls <<<"$(printf '%s' "$CAIRN_NOTIFY" | tr ',\n' '  ')"
args=(--root "$CAIRN_ROOT" --base "$base" notify)
for url in "${urls[@]}"; do
  args+=(--to "$url")
done
cairn "${args[@]}"
{
  echo
  echo "### Webhooks"
  echo
  echo "Notified ${#urls[@]} webhook(s) of the catalog changes since \`${base:0:12}\`."
} >>"$GITHUB_STEP_SUMMARY"
