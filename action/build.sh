#!/usr/bin/env bash
# action.yml, step "build": writes the portal; its path is the `dist` output.
set -euo pipefail
base_url="$CAIRN_BASE_URL"
if [ -z "$base_url" ] && [ -n "$CAIRN_PUBLISH_TO" ]; then
  # Serve under the prefix it is published to: s3://bucket/portal/ → /portal/.
  rest="${CAIRN_PUBLISH_TO#s3://}"
  prefix=""
  case "$rest" in */*) prefix="${rest#*/}" ;; esac
  prefix="${prefix#/}"
  prefix="${prefix%/}"
  base_url="/${prefix:+$prefix/}"
fi
args=(--root "$CAIRN_ROOT" --quiet build --out "$CAIRN_OUT")
if [ -n "$base_url" ]; then
  args+=(--base-url "$base_url")
fi
cairn "${args[@]}"
case "$CAIRN_OUT" in
  /*) dist="$CAIRN_OUT" ;;
  *) dist="$(cd "$CAIRN_ROOT" && pwd)/$CAIRN_OUT" ;;
esac
echo "dist=$dist" >>"$GITHUB_OUTPUT"
