#!/usr/bin/env bash
# Fetches lwIP 2.1.3 from Debian's source package (it has no binary package with the sources)
# into .cache/lwip/, checks the tarball's sha256, and unpacks it. Idempotent; nothing is
# committed. Usage: build/fetch-lwip.sh [cache dir]   -> prints the unpacked source directory.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${1:-$here/.cache/lwip}
version=2.1.3+dfsg1
tarball=lwip_${version}.orig.tar.xz
sha256=0a8276d09fc4e97bbba2f953d74af2388fc2195ea156be9d7589e297a68fde24
src=$cache/lwip-2.1.3

if [ -f "$src/.unpacked-ok" ]; then
  echo "$src"
  exit 0
fi

mkdir -p "$cache"
if [ ! -f "$cache/$tarball" ] || ! echo "$sha256  $cache/$tarball" | sha256sum -c --status; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/sources" "$work/lists/partial"
  cat >"$work/sources/deb-src.sources" <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  # A private source list: the machine's own apt configuration is left untouched.
  apt_opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$work/sources" -o "Dir::State::Lists=$work/lists" -o APT::Sandbox::User=root)
  apt-get "${apt_opts[@]}" update >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; echo "fetch-lwip: apt-get update (deb-src) failed" >&2; exit 1; }
  (cd "$work" && apt-get "${apt_opts[@]}" source --download-only lwip >>"$work/apt.log" 2>&1) || {
    cat "$work/apt.log" >&2
    echo "fetch-lwip: apt-get source lwip failed" >&2
    exit 1
  }
  cp "$work/$tarball" "$cache/$tarball"
fi

if ! echo "$sha256  $cache/$tarball" | sha256sum -c --status; then
  echo "fetch-lwip: $cache/$tarball does not have the expected sha256 $sha256" >&2
  exit 1
fi

rm -rf "$src.tmp"
mkdir -p "$src.tmp"
tar -xJf "$cache/$tarball" -C "$src.tmp" --strip-components=1
rm -rf "$src"
mv "$src.tmp" "$src"
touch "$src/.unpacked-ok"
echo "$src"
