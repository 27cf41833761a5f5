#!/usr/bin/env python3
"""Queue a schedule entry and grant a GPU lease, then read /proc/schedule and /proc/lease back.

    python3 tools/cohesix-py/examples/lease_run.py --mock
    python3 tools/cohesix-py/examples/lease_run.py --tcp-host 127.0.0.1 --tcp-port 31337
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import _common  # noqa: F401  (makes `cohesix` importable from the source tree)
from _common import fail, write_json

from cohesix import CohesixError, CohesixOrchestrator, LeaseRequest, ScheduleRequest
from cohesix.cli_args import add_backend_args, backend_from_args


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_backend_args(p)
    p.add_argument("--id-suffix", default="", help="appended to the schedule and lease ids (lets a live hive take several runs)")
    a = p.parse_args()
    try:
        with CohesixOrchestrator(backend_from_args(a)) as orch:
            sched = orch.enqueue_schedule([ScheduleRequest(f"sched-edge-1{a.id_suffix}", "worker-gpu", priority=6, ticks=6, budget_ms=180)])
            lease = orch.apply_leases([LeaseRequest(op="grant", lease_id=f"lease-edge-1{a.id_suffix}", subject="queen", resource="gpu0", ttl_s=300, priority=6)])
            snap = orch.read_proc_snapshot()
            audit = orch.audit.lines
    except CohesixError as e:
        return fail("lease_run", e)
    out = Path(a.out) / "lease_run"
    doc = {"writes": [w.to_dict() for w in sched + lease], "proc_snapshot": snap, "audit": audit}
    write_json(out / "result.json", doc)
    (out / "audit.txt").write_text("".join(line + "\n" for line in audit), encoding="utf-8")
    print(json.dumps({"result": str(out / "result.json"), "lease_active": snap["lease_active"]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
