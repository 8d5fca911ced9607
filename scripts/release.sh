#!/usr/bin/env bash
# Packages cairn for one target, as a release ships it: the archive
# cairn-TARGET.tar.gz (cairn-TARGET.zip for Windows) holding the binary and
# README.md at its root, its checksum cairn-TARGET.tar.gz.sha256 (the
# `sha256sum` format), and SHA256SUMS, rewritten over every archive in the
# release directory. `.github/workflows/release.yml` runs it once per target;
# a developer can run it for the host target; the Dockerfile's build stage
# runs it too.
#
#   scripts/release.sh TARGET    build with the `dist` profile, then package
#   scripts/release.sh sums      only rewrite SHA256SUMS (the workflow's last job)
#
# Environment (all optional):
#   CAIRN_RELEASE_DIR     where the assets go (default target/release-assets)
#   CAIRN_RELEASE_BINARY  package this already-built binary instead of building
#                         one: the tests package target/debug/cairn, since a
#                         `dist` build takes many minutes
#   CAIRN_RELEASE_TAG     the tag being released (v1.2.3): refuse to package
#                         unless Cargo.toml has that version
#
# Linux builds link OpenSSL and zlib statically (OPENSSL_STATIC,
# LIBZ_SYS_STATIC), so the binary needs nothing but glibc.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
  echo "usage: scripts/release.sh TARGET | sums" >&2
  exit 2
}
[ "$#" -eq 1 ] || usage
target="$1"
case "$target" in -*) usage ;; esac
out="${CAIRN_RELEASE_DIR:-target/release-assets}"
mkdir -p "$out"
out=$(cd "$out" && pwd)

sha256() {
  if command -v sha256sum >/dev/null; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

# SHA256SUMS: the checksum lines of every archive in the release directory.
write_sums() {
  (
    cd "$out"
    shopt -s nullglob
    sums=(cairn-*.sha256)
    if [ "${#sums[@]}" -eq 0 ]; then
      echo "error: no cairn-*.sha256 in $out" >&2
      exit 2
    fi
    LC_ALL=C sort -k2 "${sums[@]}" >SHA256SUMS
  )
  echo "wrote $out/SHA256SUMS"
}

if [ "$target" = sums ]; then
  write_sums
  exit 0
fi

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
if [ -n "${CAIRN_RELEASE_TAG:-}" ] && [ "$CAIRN_RELEASE_TAG" != "v$version" ]; then
  echo "error: the tag $CAIRN_RELEASE_TAG is not Cargo.toml's version (v$version)" >&2
  exit 2
fi

exe=cairn
case "$target" in *-windows-*) exe=cairn.exe ;; esac

binary="${CAIRN_RELEASE_BINARY:-}"
if [ -z "$binary" ]; then
  case "$target" in
    *-linux-gnu)
      # The system's static libraries (Debian/Ubuntu: libssl-dev,
      # zlib1g-dev). Naming the directories keeps openssl-sys from asking
      # pkg-config, which links system libraries dynamically.
      export OPENSSL_STATIC="${OPENSSL_STATIC:-1}"
      export OPENSSL_LIB_DIR="${OPENSSL_LIB_DIR:-/usr/lib/${target%%-*}-linux-gnu}"
      export OPENSSL_INCLUDE_DIR="${OPENSSL_INCLUDE_DIR:-/usr/include}"
      export LIBZ_SYS_STATIC="${LIBZ_SYS_STATIC:-1}"
      ;;
  esac
  cargo build --locked --profile dist --target "$target"
  binary="target/$target/dist/$exe"
fi
if [ ! -f "$binary" ]; then
  echo "error: no binary at $binary" >&2
  exit 2
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
cp "$binary" "$stage/$exe"
chmod 755 "$stage/$exe"
cp README.md "$stage/"

# The binary must run where it was built for; a cross build (x86_64 macOS
# on an arm64 runner) is only packaged.
host=$(rustc -vV 2>/dev/null | sed -n 's/^host: //p' || true)
if [ "$host" = "$target" ]; then
  echo "packaging $("$stage/$exe" --version) for $target"
else
  echo "packaging cairn $version for $target (built on ${host:-an unknown host}; not run)"
fi

case "$target" in
  *-windows-*)
    archive="cairn-$target.zip"
    rm -f "$out/$archive"
    if command -v 7z >/dev/null; then
      (cd "$stage" && 7z a -tzip -bso0 -bsp0 "$out/$archive" "$exe" README.md)
    else
      (cd "$stage" && zip -q "$out/$archive" "$exe" README.md)
    fi
    ;;
  *)
    archive="cairn-$target.tar.gz"
    # No macOS extended attributes (._ files) in the archive.
    COPYFILE_DISABLE=1 tar -czf "$out/$archive" -C "$stage" "$exe" README.md
    ;;
esac
echo "$(sha256 "$out/$archive")  $archive" >"$out/$archive.sha256"
echo "wrote $out/$archive and $archive.sha256"
write_sums
