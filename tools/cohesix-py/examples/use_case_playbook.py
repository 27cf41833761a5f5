#!/usr/bin/env python3
"""Run one built-in playbook (the library call behind cohesix-playbook).

    python3 tools/cohesix-py/examples/use_case_playbook.py --playbook mixed-logistics-digital-twin --dry-run --mock
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import _common  # noqa: F401
from _common import fail

from cohesix import CohesixError, CohesixOrchestrator, execute_playbook, load_playbook, playbook_ids
from cohesix.cli_args import add_backend_args, backend_from_args
from cohesix.playbooks import write_report


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--playbook", default=playbook_ids()[0], help=f"one of: {', '.join(playbook_ids())}")
    p.add_argument("--dry-run", action="store_true")
    add_backend_args(p)
    a = p.parse_args()
    try:
        playbook = load_playbook(a.playbook)
        with CohesixOrchestrator(backend_from_args(a)) as orch:
            report = execute_playbook(playbook, orch, dry_run=a.dry_run)
        rp, ap = write_report(report, Path(a.out) / "playbooks")
    except CohesixError as e:
        return fail("use_case_playbook", e)
    print(json.dumps({"report": str(rp), "audit": str(ap)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
