#!/usr/bin/env bash
# Fetches what the Linux-kernel 9P interop test needs, from Debian: the generic amd64 kernel
# (its 9p/9pnet/virtio modules) and busybox-static. Unpacks the few files used into
# .cache/linux9p/root and prints that directory. Idempotent; nothing is committed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${1:-$here/.cache/linux9p}
root=$cache/root
if [ -f "$root/.ok" ]; then echo "$root"; exit 0; fi

# The generic flavour (the -cloud flavour has no 9P); resolve the current version.
resolve() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}'; }
kpkg=$(resolve)
if [ -z "$kpkg" ]; then
  # Empty package lists (a fresh machine whose packages were all preinstalled): refresh once.
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update >/dev/null 2>&1 || true
  kpkg=$(resolve)
fi
[ -n "$kpkg" ] || { echo "fetch-linux9p: cannot resolve linux-image-amd64 from the package lists" >&2; exit 1; }
mkdir -p "$cache/debs"
(cd "$cache/debs" && apt-get -o APT::Sandbox::User=root download "$kpkg" busybox-static >/dev/null 2>&1) || {
  echo "fetch-linux9p: apt-get download $kpkg busybox-static failed" >&2
  exit 1
}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for d in "$cache"/debs/*.deb; do dpkg-deb -x "$d" "$work"; done

rm -rf "$root.tmp" && mkdir -p "$root.tmp/modules"
cp "$work"/boot/vmlinuz-* "$root.tmp/vmlinuz"
cp "$work/bin/busybox" "$root.tmp/busybox"
# Load order matters: there is no modules.dep in the initramfs.
mods="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net netfs fscache 9pnet 9pnet_fd 9p"
for m in $mods; do
  f=$(find "$work/lib/modules" -name "$m.ko" | head -1)
  [ -n "$f" ] || { echo "fetch-linux9p: module $m.ko not found in $kpkg" >&2; exit 1; }
  cp "$f" "$root.tmp/modules/"
done
echo "$mods" >"$root.tmp/modules/order"
echo "$kpkg" >"$root.tmp/kernel-package"
rm -rf "$root" && mv "$root.tmp" "$root"
touch "$root/.ok"
echo "$root"
