#!/usr/bin/env bash
# Installs a cairn release binary, verified against the SHA-256 published
# beside it; nothing is installed unless the checksum matches and the binary
# runs.
#
#   curl -fsSL https://raw.githubusercontent.com/cairn-dev/cairn/main/scripts/install.sh | bash
#   curl -fsSL …/scripts/install.sh | bash -s -- --version v0.1.0 --to /usr/local/bin
#
# Options:
#   --version VERSION  the release to install, e.g. v0.1.0 (default: the latest)
#   --to DIR           where to put `cairn` (default: ~/.local/bin)
#   --target TRIPLE    the platform of the binary (default: this machine's)
#
# Environment (optional): CAIRN_RELEASES_URL, the releases to download from
# (default https://github.com/cairn-dev/cairn/releases; assets are read
# from its download/VERSION/ and latest/download/, as GitHub lays them out —
# a file:// URL works too).
#
# Exit status: 0 installed; 2 nothing installed (bad options, no binary for
# this platform, a failed download, a checksum mismatch, a binary that does
# not run). The Action's install step and the pre-commit hook use it too.
set -euo pipefail

usage() {
  echo "usage: install.sh [--version VERSION] [--to DIR] [--target TRIPLE]" >&2
  exit 2
}

fail() {
  echo "error: $*" >&2
  exit 2
}

version=latest
to="${HOME:-}/.local/bin"
target=""
while [ "$#" -gt 0 ]; do
  case "$1" in
    --version) [ "$#" -ge 2 ] || usage; version="$2"; shift 2 ;;
    --to) [ "$#" -ge 2 ] || usage; to="$2"; shift 2 ;;
    --target) [ "$#" -ge 2 ] || usage; target="$2"; shift 2 ;;
    -h | --help) usage ;;
    *) echo "error: unknown option $1" >&2; usage ;;
  esac
done
case "$version" in
  "" | latest) version=latest ;;
  v*) ;;
  *) version="v$version" ;;
esac

# This machine's target, as the release archives name them.
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64 | Linux-amd64) host=x86_64-unknown-linux-gnu ;;
  Linux-aarch64 | Linux-arm64) host=aarch64-unknown-linux-gnu ;;
  Darwin-arm64) host=aarch64-apple-darwin ;;
  Darwin-x86_64) host=x86_64-apple-darwin ;;
  MINGW*-x86_64 | MSYS*-x86_64 | CYGWIN*-x86_64) host=x86_64-pc-windows-msvc ;;
  *) host="" ;;
esac
if [ -z "$target" ]; then
  [ -n "$host" ] || fail "no cairn release binary for $(uname -s) $(uname -m); build it from source: cargo install --locked --git https://github.com/cairn-dev/cairn"
  target="$host"
fi

exe=cairn
archive="cairn-$target.tar.gz"
case "$target" in *-windows-*) exe=cairn.exe archive="cairn-$target.zip" ;; esac

releases="${CAIRN_RELEASES_URL:-https://github.com/cairn-dev/cairn/releases}"
if [ "$version" = latest ]; then
  url="$releases/latest/download/$archive"
else
  url="$releases/download/$version/$archive"
fi

command -v curl >/dev/null || fail "curl is needed to download cairn"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
curl -fsSL --retry 3 -o "$work/$archive" "$url" ||
  fail "cannot download cairn $version for $target from $url"
curl -fsSL --retry 3 -o "$work/$archive.sha256" "$url.sha256" ||
  fail "cannot download the checksum $url.sha256; nothing was installed"

expected=$(cut -d' ' -f1 <"$work/$archive.sha256")
if command -v sha256sum >/dev/null; then
  actual=$(sha256sum "$work/$archive" | cut -d' ' -f1)
else
  actual=$(shasum -a 256 "$work/$archive" | cut -d' ' -f1)
fi
if [ "$actual" != "$expected" ]; then
  fail "checksum mismatch for $archive: $archive.sha256 says ${expected:-nothing}, the download is $actual; nothing was installed"
fi

mkdir "$work/unpacked"
case "$archive" in
  *.zip) unzip -q "$work/$archive" "$exe" -d "$work/unpacked" ;;
  *) tar -xzf "$work/$archive" -C "$work/unpacked" "$exe" ;;
esac || fail "$archive has no $exe; nothing was installed"

# Run it before it replaces anything (only a binary for this machine can run).
if [ "$target" = "$host" ]; then
  installed=$("$work/unpacked/$exe" --version) ||
    fail "the downloaded cairn does not run on this machine; nothing was installed"
else
  installed="cairn for $target"
fi

{ mkdir -p "$to" && cp "$work/unpacked/$exe" "$to/.$exe.partial" && chmod 755 "$to/.$exe.partial"; } ||
  fail "cannot write to $to; nothing was installed"
mv -f "$to/.$exe.partial" "$to/$exe"
echo "installed $installed (release $version, sha256 verified) to $to/$exe"
case ":$PATH:" in
  *":$to:"*) ;;
  *) echo "note: $to is not on PATH" >&2 ;;
esac
