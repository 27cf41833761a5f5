#!/usr/bin/env bash
# Boots out/cohesix.img on QEMU's aarch64 `virt` machine with the serial console on stdio.
#
#   qemu/run.sh [--gic 2|3] [--cpu NAME] [--mem MIB] [--image FILE] [-- extra qemu args]
#
# Environment (flags win): COH_GIC (3), COH_CPU (cortex-a57), COH_MEM (1024), COH_IMAGE,
# COH_QEMU (qemu-system-aarch64). Quit QEMU with Ctrl-A x.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
gic=${COH_GIC:-3}
cpu=${COH_CPU:-cortex-a57}
mem=${COH_MEM:-1024}
image=${COH_IMAGE:-$here/../out/cohesix.img}
qemu=${COH_QEMU:-qemu-system-aarch64}
extra=()

usage() { sed -n '2,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --gic) gic=${2:?--gic needs 2 or 3}; shift 2 ;;
    --cpu) cpu=${2:?--cpu needs a CPU model}; shift 2 ;;
    --mem) mem=${2:?--mem needs MiB}; shift 2 ;;
    --image) image=${2:?--image needs a file}; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "run.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done

case "$gic" in 2|3) ;; *) echo "run.sh: --gic must be 2 or 3, got '$gic'" >&2; exit 2 ;; esac
case "$mem" in ''|*[!0-9]*) echo "run.sh: --mem must be a number of MiB, got '$mem'" >&2; exit 2 ;; esac
command -v "$qemu" >/dev/null || { echo "run.sh: $qemu not found (apt-get install qemu-system-arm)" >&2; exit 127; }
[ -f "$image" ] || { echo "run.sh: $image not found: run 'npm run build' first" >&2; exit 1; }

exec "$qemu" \
  -M "virt,gic-version=$gic" -cpu "$cpu" -m "$mem" -smp 1 \
  -nographic -nic none \
  -kernel "$image" \
  "${extra[@]}"
