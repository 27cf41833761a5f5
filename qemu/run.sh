#!/usr/bin/env bash
# Boots out/cohesix.img on QEMU's aarch64 `virt` machine with the serial console on stdio.
#
#   qemu/run.sh [--gic 2|3] [--cpu NAME] [--mem MIB] [--image FILE] [--no-net] [-- extra qemu args]
#   qemu/run.sh --uefi [--acpi] [--esp FILE] [--vars FILE] [--display] [...]   (docs/UEFI.md)
#
# --uefi boots the ESP disk image (out/cohesix-esp.img, `npm run esp`) under AAVMF (EDK2,
# Debian qemu-efi-aarch64) instead of -kernel: firmware read-only from /usr/share/AAVMF, the
# variable store a writable copy (default out/uefi/vars.fd, made once; give each concurrent
# run its own with --vars), `virt,acpi=off` so the firmware passes the DTB on (--acpi: ACPI
# tables only), a ramfb framebuffer for the console mirror (--display shows it in a window).
#
# Environment (flags win): COH_GIC (3), COH_CPU (cortex-a57), COH_MEM (1024), COH_IMAGE,
# COH_QEMU (qemu-system-aarch64); host ports forwarded to the guest: COH_TCP_PORT (31337, console),
# COH_UDP_PORT (31338, echo), COH_SMOKE_PORT (31339, smoke). Quit QEMU with Ctrl-A x.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Guest-side ports and MAC, generated from configs/root_task.toml by coh-rtc (a variant image
# from build/variant.mjs brings its own: COH_MANIFEST_ENV=out/<variant>/manifest.env).
# shellcheck source=manifest.env
. "${COH_MANIFEST_ENV:-$here/manifest.env}"
gic=${COH_GIC:-3}
cpu=${COH_CPU:-cortex-a57}
mem=${COH_MEM:-1024}
image=${COH_IMAGE:-$here/../out/cohesix.img}
qemu=${COH_QEMU:-qemu-system-aarch64}
tcp_port=${COH_TCP_PORT:-31337}
udp_port=${COH_UDP_PORT:-31338}
smoke_port=${COH_SMOKE_PORT:-31339}
net=1
uefi=0
acpi=0
display=0
esp=${COH_ESP_IMAGE:-$here/../out/cohesix-esp.img}
vars=${COH_UEFI_VARS:-$here/../out/uefi/vars.fd}
aavmf_dir=${COH_AAVMF_DIR:-/usr/share/AAVMF}
extra=()

usage() { sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --gic) gic=${2:?--gic needs 2 or 3}; shift 2 ;;
    --cpu) cpu=${2:?--cpu needs a CPU model}; shift 2 ;;
    --mem) mem=${2:?--mem needs MiB}; shift 2 ;;
    --image) image=${2:?--image needs a file}; shift 2 ;;
    --no-net) net=0; shift ;;
    --uefi) uefi=1; shift ;;
    --acpi) acpi=1; shift ;;
    --display) display=1; shift ;;
    --esp) esp=${2:?--esp needs a disk image}; shift 2 ;;
    --vars) vars=${2:?--vars needs a file}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "run.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done

case "$gic" in 2|3) ;; *) echo "run.sh: --gic must be 2 or 3, got '$gic'" >&2; exit 2 ;; esac
case "$mem" in ''|*[!0-9]*) echo "run.sh: --mem must be a number of MiB, got '$mem'" >&2; exit 2 ;; esac
for p in "$tcp_port" "$udp_port" "$smoke_port"; do
  case "$p" in ''|*[!0-9]*) echo "run.sh: ports must be numbers, got '$p'" >&2; exit 2 ;; esac
done
command -v "$qemu" >/dev/null || { echo "run.sh: $qemu not found (apt-get install qemu-system-arm)" >&2; exit 127; }
if [ "$acpi" = 1 ] || [ "$display" = 1 ]; then
  [ "$uefi" = 1 ] || { echo "run.sh: --acpi and --display need --uefi" >&2; exit 2; }
fi
if [ "$uefi" = 1 ]; then
  code="$aavmf_dir/AAVMF_CODE.fd"
  [ -f "$code" ] && [ -f "$aavmf_dir/AAVMF_VARS.fd" ] || { echo "run.sh: $code not found (apt-get install qemu-efi-aarch64)" >&2; exit 1; }
  [ -f "$esp" ] || { echo "run.sh: $esp not found: run 'npm run build' (or 'npm run esp') first" >&2; exit 1; }
  if [ ! -f "$vars" ]; then
    mkdir -p "$(dirname "$vars")"
    cp --sparse=always "$aavmf_dir/AAVMF_VARS.fd" "$vars"
  fi
  machine="virt,gic-version=$gic,acpi=$([ "$acpi" = 1 ] && echo on || echo off)"
  boot=(
    -drive "if=pflash,format=raw,readonly=on,file=$code"
    -drive "if=pflash,format=raw,file=$vars"
    -drive "if=none,id=esp,format=raw,readonly=on,file=$esp"
    -device virtio-blk-pci,drive=esp,bootindex=0
    -boot menu=on,splash-time=0
    -device ramfb
  )
else
  [ -f "$image" ] || { echo "run.sh: $image not found: run 'npm run build' first" >&2; exit 1; }
  machine="virt,gic-version=$gic"
  boot=(-kernel "$image")
fi
if [ "$display" = 1 ]; then
  console=(-serial mon:stdio -display "${COH_DISPLAY:-gtk}")
else
  console=(-nographic)
fi

# The guest's side of each forward and its MAC come from the manifest; only the host side is
# configurable, so tests can use free ports and never collide with a running instance.
if [ "$net" = 1 ]; then
  netargs=(
    -global virtio-mmio.force-legacy=off
    -netdev "user,id=net0,hostfwd=tcp:127.0.0.1:${tcp_port}-:${COH_GUEST_CONSOLE_PORT},hostfwd=udp:127.0.0.1:${udp_port}-:${COH_GUEST_UDP_ECHO_PORT},hostfwd=tcp:127.0.0.1:${smoke_port}-:${COH_GUEST_TCP_SMOKE_PORT}"
    -device "virtio-net-device,netdev=net0,mac=${COH_GUEST_MAC}"
  )
else
  netargs=(-nic none)
fi

exec "$qemu" \
  -M "$machine" -cpu "$cpu" -m "$mem" -smp 1 \
  "${console[@]}" "${netargs[@]}" \
  "${boot[@]}" \
  "${extra[@]}"
