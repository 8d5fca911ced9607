#!/usr/bin/env bash
# Runs every test cairn has, on a fresh machine: installs what the tests need,
# then builds and tests. This is the README's test command and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

# The shared corpus sits next to the repository (../shared); the corpus tests
# read it in place.
if [ ! -d ../shared/corpus/backstage-examples ]; then
  echo "error: ../shared/corpus/backstage-examples is missing; clone cairn next to shared/" >&2
  exit 2
fi

export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# insta: fail on snapshots that do not match; never write new ones here.
export INSTA_UPDATE=no
export CI="${CI:-true}"

log=$(mktemp)
build_log=$(mktemp)

# The build (most of a fresh machine's run) goes on while the tools below
# download and install; its output is printed when it is waited for, and
# it is stopped if an install fails.
cargo build --locked --all-targets >"$build_log" 2>&1 &
build=$!
trap 'kill "$build" 2>/dev/null || true; rm -f "$log" "$build_log"' EXIT

# The tools tests drive, from PyPI, in a virtualenv under target/: moto's
# server (the local AWS for publish and the Action), pre-commit, the
# linters of the release files (jactionlint, shellcheck, hadolint) and the
# MCP SDK's stdio client (for `cairn mcp`).
venv=target/tools/venv
if ! "$venv/bin/python" -c 'import moto, pre_commit, mcp' 2>/dev/null ||
  ! cmp -s scripts/test-requirements.txt "$venv/requirements.txt"; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/test-requirements.txt
  cp scripts/test-requirements.txt "$venv/requirements.txt"
fi
export PATH="$PWD/$venv/bin:$PATH"

# Headless Chromium for the portal tests (Debian's package), and
# playwright-core to drive it (npm, pinned by tests/browser/package-lock.json).
if [ ! -x /usr/bin/chromium ]; then
  sudo_if_needed=""
  if [ "$(id -u)" -ne 0 ]; then sudo_if_needed="sudo"; fi
  $sudo_if_needed apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_if_needed apt-get install -y -qq chromium >/dev/null
fi
if ! cmp -s tests/browser/package-lock.json tests/browser/node_modules/.installed-lock.json; then
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error &&
    cp package-lock.json node_modules/.installed-lock.json)
fi

built=0
wait "$build" || built=$?
cat "$build_log"
if [ "$built" -ne 0 ]; then
  echo "error: cargo build failed (exit $built)" >&2
  exit "$built"
fi
# Unit, integration, example and doc tests.
cargo test --locked --all-targets 2>&1 | tee "$log"
cargo test --locked --doc 2>&1 | tee -a "$log"

# One closing line for the whole run, summed over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "%d passed, %d failed\n", p, f; exit (f > 0) }' "$log"
