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
# insta: fail on snapshots that do not match, never write new ones in CI.
export INSTA_UPDATE=no
export CI="${CI:-true}"

cargo build --locked --all-targets
cargo test --locked --all-targets
# Doc tests are not part of --all-targets.
cargo test --locked --doc
