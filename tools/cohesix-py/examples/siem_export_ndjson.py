#!/usr/bin/env python3
"""Export an evidence pack's audit journal, decisions and active leases as SIEM NDJSON rows
(``cohesix-siem-event/v1``, sorted keys, deterministic order).

    python3 tools/cohesix-py/examples/siem_export_ndjson.py --pack out/evidence/mock --out out/evidence/mock/siem.ndjson
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import _common  # noqa: F401

from cohesix.evidence import siem_ndjson


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pack", required=True)
    p.add_argument("--out", help="write NDJSON here (default: stdout)")
    a = p.parse_args()
    if not Path(a.pack).is_dir():
        print(f"siem_export_ndjson: {a.pack} is not a directory; create a pack with: python3 -m cohesix evidence pack --mock --out {a.pack}", file=sys.stderr)
        return 2
    text = siem_ndjson(a.pack)
    if a.out:
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        Path(a.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
