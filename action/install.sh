#!/usr/bin/env bash
# action.yml, step "install": puts cairn on PATH. `source` builds it from the
# action's own checkout into $CAIRN_HOME (which the cache step restores when
# nothing changed); a release tag downloads that release's binary.
set -euo pipefail
bin="$CAIRN_HOME/bin"
if [ -x "$bin/cairn" ]; then
  echo "$("$bin/cairn" --version) (cached)"
elif [ "$CAIRN_VERSION" = source ]; then
  cargo install --locked --path "$GITHUB_ACTION_PATH" --root "$CAIRN_HOME"
else
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) target=x86_64-unknown-linux-gnu ;;
    Linux-aarch64) target=aarch64-unknown-linux-gnu ;;
    Darwin-arm64) target=aarch64-apple-darwin ;;
    Darwin-x86_64) target=x86_64-apple-darwin ;;
    *) echo "::error::no cairn release binary for $(uname -s) $(uname -m); use version: source" >&2; exit 2 ;;
  esac
  base="${CAIRN_RELEASES_URL:-https://github.com/${GITHUB_ACTION_REPOSITORY:-cairn-dev/cairn}/releases/download}"
  url="$base/$CAIRN_VERSION/cairn-$target.tar.gz"
  mkdir -p "$bin"
  if ! curl -fsSL --retry 3 "$url" | tar -xz -C "$bin" cairn; then
    echo "::error::cannot download cairn $CAIRN_VERSION from $url" >&2
    exit 2
  fi
  echo "$("$bin/cairn" --version) (release $CAIRN_VERSION)"
fi
echo "$bin" >>"$GITHUB_PATH"
