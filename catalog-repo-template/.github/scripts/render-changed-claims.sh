#!/usr/bin/env bash
# The `claims` job of workflows/catalog.yml: collects into $OUT (default
# `rendered/`) what `cairn build` rendered in $DIST/claims/ for the
# ResourceClaims a push changed — claims added or edited, and claims whose
# resolved version moved because a definition version arrived (`cairn diff`
# says which). With no usable $BEFORE (the first push of a branch), every
# claim. Needs cairn on PATH, git and jq.
set -euo pipefail
out="${OUT:-rendered}"
mkdir -p "$out"
if [ -z "${BEFORE:-}" ] || ! git cat-file -e "${BEFORE}^{commit}" 2>/dev/null; then
  if [ -d "$DIST/claims" ]; then
    cp -R "$DIST/claims/." "$out/"
  fi
else
  cairn --format json diff "$BEFORE" HEAD |
    jq -r '[.added[], (.changed[] | .ref), (.claims[] | .ref)] | unique[]
           | select(startswith("resourceclaim:")) | ltrimstr("resourceclaim:")' |
    while IFS=/ read -r namespace name; do
      if [ -d "$DIST/claims/$namespace/$name" ]; then
        mkdir -p "$out/$namespace"
        cp -R "$DIST/claims/$namespace/$name" "$out/$namespace/"
      fi
    done
fi
echo "rendered $(find "$out" -name main.tf.json | wc -l | tr -d ' ') Terraform and $(find "$out" -name claim.yaml | wc -l | tr -d ' ') Crossplane claims into $out/"
