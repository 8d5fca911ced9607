#!/usr/bin/env bash
# action.yml, step "key": the cache key of a cairn built from source — a
# hash of everything the binary is built from, so a new action version
# never restores an old binary.
set -euo pipefail
cd "$GITHUB_ACTION_PATH"
hash=$(find Cargo.toml Cargo.lock src schemas templates catalog-repo-template -type f -print0 |
  LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-20)
echo "key=cairn-${RUNNER_OS:-Linux}-${RUNNER_ARCH:-X64}-${CAIRN_VERSION}-${hash}" >>"$GITHUB_OUTPUT"
