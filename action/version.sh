#!/usr/bin/env bash
# action.yml, step "version": which cairn to install. An empty `version`
# input is the release of this action's own version (Cargo.toml at the
# action's ref: uses: cairn-dev/cairn@v0.1.0 — or a v0 tag pointing there —
# installs release v0.1.0); `source` builds from the action's checkout, and
# gets the cache key of that build: a hash of everything the binary is built
# from, so a new action version never restores an old binary.
set -euo pipefail
cd "$GITHUB_ACTION_PATH"
version="$CAIRN_VERSION"
if [ -z "$version" ]; then
  version="v$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)"
fi
echo "version=$version" >>"$GITHUB_OUTPUT"
if [ "$version" = source ]; then
  hash=$(find Cargo.toml Cargo.lock src schemas templates catalog-repo-template vendor -type f -print0 |
    LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-20)
  echo "cache-key=cairn-${RUNNER_OS:-Linux}-${RUNNER_ARCH:-X64}-source-${hash}" >>"$GITHUB_OUTPUT"
fi
