#!/usr/bin/env bash
# Scaffolds the demo catalog into target/demo, checks it and builds it:
# the README's "see it work" command.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -q
cairn=target/release/cairn
rm -rf target/demo
"$cairn" init target/demo
"$cairn" --root target/demo check
"$cairn" --root target/demo build --out dist
echo
echo "The JSON API is in target/demo/dist/api/v1/ — for example:"
echo "  target/demo/dist/api/v1/services.json"
echo "  target/demo/dist/api/v1/services/default/checkout-service/dependencies.json"
