#!/usr/bin/env bash
# action.yml, step "install": puts cairn on PATH. `source` builds it from the
# action's own checkout into $CAIRN_HOME (which the cache step restores when
# nothing changed); a release version is downloaded and verified against its
# SHA-256 by scripts/install.sh (a mismatch installs nothing: exit 2).
set -euo pipefail
bin="$CAIRN_HOME/bin"
if [ -x "$bin/cairn" ]; then
  echo "$("$bin/cairn" --version) (cached)"
elif [ "$CAIRN_VERSION" = source ]; then
  cargo install --locked --path "$GITHUB_ACTION_PATH" --root "$CAIRN_HOME"
elif ! "$GITHUB_ACTION_PATH/scripts/install.sh" --version "$CAIRN_VERSION" --to "$bin"; then
  echo "::error::cannot install the cairn release $CAIRN_VERSION (see above); version: source builds cairn from the action instead" >&2
  exit 2
fi
echo "$bin" >>"$GITHUB_PATH"
