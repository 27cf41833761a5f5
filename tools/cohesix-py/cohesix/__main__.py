"""``python3 -m cohesix evidence pack|timeline``: capture an evidence pack, or build its timeline."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Sequence

from .cli_args import add_backend_args, backend_from_args
from .errors import CohesixError
from .evidence import export_evidence_pack, write_evidence_timeline


def evidence_main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python3 -m cohesix evidence", description="Capture an evidence pack from a hive, or build its timeline.")
    sub = p.add_subparsers(dest="cmd", required=True)
    pk = sub.add_parser("pack", help="capture a pack into --out")
    add_backend_args(pk)
    tl = sub.add_parser("timeline", help="write timeline.ndjson/.md into a pack")
    tl.add_argument("--input", required=True)
    a = p.parse_args(argv)
    try:
        if a.cmd == "timeline":
            t = write_evidence_timeline(a.input)
            print(json.dumps({"pack_dir": t.pack_dir, "events": t.events}))
            return 0
        with backend_from_args(a) as backend:
            s = export_evidence_pack(backend, a.out)
    except CohesixError as e:
        print(f"cohesix evidence: {e}", file=sys.stderr)
        return 2
    print(json.dumps({"pack_dir": s.pack_dir, "captured": s.captured, "missing": s.missing, "errors": s.errors, "pack_sha256": s.pack_sha256}))
    return 1 if s.errors else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["evidence"]:
        return evidence_main(args[1:])
    if args[:1] == ["playbook"]:
        from .playbook_cli import main as playbook_main

        return playbook_main(args[1:])
    print("usage: python3 -m cohesix evidence pack|timeline … | python3 -m cohesix playbook …", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
