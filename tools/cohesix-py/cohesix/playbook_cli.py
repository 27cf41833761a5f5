"""cohesix-playbook: list the built-in playbooks or run one, writing report.json + audit.txt."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Sequence

from .cli_args import add_backend_args, backend_from_args
from .errors import CohesixError
from .orchestration import CohesixOrchestrator
from .playbooks import describe_playbooks, execute_playbook, load_playbook, playbook_ids, write_report


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cohesix-playbook", description="Run a built-in Cohesix orchestration playbook.")
    p.add_argument("--list", action="store_true", help="print the playbooks as JSON and exit")
    p.add_argument("--playbook", default=playbook_ids()[0], help="playbook id (default %(default)s)")
    p.add_argument("--dry-run", action="store_true", help="validate and report; write nothing to the hive")
    p.add_argument("--no-proc-snapshot", action="store_true")
    p.add_argument("--no-host-snapshot", action="store_true")
    p.add_argument("--no-push-host-snapshot", action="store_true")
    add_backend_args(p, rest_flag="--rest-url")
    p.set_defaults(out="out/examples/playbooks")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    a = parser().parse_args(argv)
    if a.list:
        print(json.dumps(describe_playbooks(), indent=2, sort_keys=True))
        return 0
    try:
        playbook = load_playbook(a.playbook)
        with CohesixOrchestrator(backend_from_args(a, rest_flag="--rest-url")) as orch:
            report = execute_playbook(
                playbook, orch, dry_run=a.dry_run, proc_snapshot=not a.no_proc_snapshot,
                host_snapshot=not a.no_host_snapshot, push_host_snapshot=not a.no_push_host_snapshot,
            )
        rp, ap = write_report(report, a.out)
    except CohesixError as e:
        print(f"cohesix-playbook: {e}", file=sys.stderr)
        return 2
    print(json.dumps({"report": str(rp), "audit": str(ap)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
