#!/usr/bin/env bash
# action.yml, step "publish": uploads what changed to S3 and invalidates
# CloudFront — on pushes and manual runs, never for a pull request.
set -euo pipefail
if [ -z "$CAIRN_PUBLISH_TO" ]; then
  echo "publish-to is empty: not publishing"
  exit 0
fi
case "${GITHUB_EVENT_NAME:-}" in
  pull_request | pull_request_target)
    echo "not publishing for a pull request"
    exit 0
    ;;
esac
args=(--root "$CAIRN_ROOT" publish --to "$CAIRN_PUBLISH_TO" --dist "$CAIRN_DIST")
if [ -n "$CAIRN_DISTRIBUTION_ID" ]; then
  args+=(--cloudfront-distribution-id "$CAIRN_DISTRIBUTION_ID")
fi
out=$(cairn "${args[@]}")
echo "$out"
{
  echo
  echo "### Published"
  echo
  echo '```'
  echo "$out"
  echo '```'
} >>"$GITHUB_STEP_SUMMARY"
