#!/usr/bin/env python3
"""Check an evidence pack for CI: required files present, /proc captures within their bounds, no
leaked ticket tokens. Exit 0 when the pack passes, 2 when it does not.

    python3 tools/cohesix-py/examples/ci_evidence_pack.py --pack out/evidence/mock --out out/evidence/mock/ci_summary.json
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import _common  # noqa: F401

from cohesix.evidence import ci_check_pack


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pack", required=True, help="pack directory (python3 -m cohesix evidence pack --out DIR)")
    p.add_argument("--out", help="write the summary here (default: stdout)")
    a = p.parse_args()
    if not Path(a.pack).is_dir():
        print(f"ci_evidence_pack: {a.pack} is not a directory; create a pack with: python3 -m cohesix evidence pack --mock --out {a.pack}", file=sys.stderr)
        return 2
    doc = ci_check_pack(a.pack)
    text = json.dumps(doc, indent=2, sort_keys=True) + "\n"
    if a.out:
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        Path(a.out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0 if doc["ok"] else 2


if __name__ == "__main__":
    sys.exit(main())
