"""cohesix_parity: the same operations through cohsh and through the Python client leave the same
guest state and the same acknowledgement lines, byte for byte (two fresh hives of the same core)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from cohesix import CohesixClient, CohesixOrchestrator, ExportRequest, LeaseRequest, ScheduleRequest, TcpBackend
from cohesix.backends.mock import MockBackend
from cohesix.orchestration import ApprovalRequest

from conftest import REPO

SCHEDULE = [ScheduleRequest("par-sched-1", "worker-gpu", 9, 1000000, 3600000), ScheduleRequest("par-sched-2", "worker-heartbeat", 4, 1000000, 3600000),
            ScheduleRequest("par-sched-3", "worker-lora", 6, 500000, 3600000)]
LEASES = [LeaseRequest("grant", "par-lease-1", "queen", "gpu0", 600, 6), LeaseRequest("grant", "par-lease-2", "queen", "gpu1", 600, 3),
          LeaseRequest("renew", "par-lease-1", ttl_s=900), LeaseRequest("preempt", "par-lease-2", reason="maintenance"),
          LeaseRequest("quota", subject="queen", resource="gpu0", max_active=4, max_preemptions=2)]
APPROVALS = [ApprovalRequest("par-approve-1", "/queen/ctl")]
EXPORTS = [ExportRequest("open", "par-export-1", ttl_s=900)]
TELEMETRY = 'line one "quoted"\\and a backslash\nline two\twith a tab\n' + "x" * 300 + "\n"


def state(b: TcpBackend) -> dict[str, object]:
    """What the guest holds, minus clock readings (expiry times, remaining ticks)."""
    strip = re.compile(r" (expires_ms|remaining_ticks)=\d+")
    seg = "/queen/telemetry/par-dev/seg/seg-000001"
    return {
        "journal": b.read_lines("/audit/journal", 1 << 20),
        "queue": b.read_lines("/proc/schedule/queue", 1 << 16),
        "active": [strip.sub("", x) for x in b.read_lines("/proc/schedule/active", 4096)],
        "leases": [strip.sub("", x) for x in b.read_lines("/proc/lease/active", 1 << 16)],
        "lease_summary": b.read_lines("/proc/lease/summary", 256),
        "export": [strip.sub("", x) for x in b.read_lines("/queen/export/status", 4096)],
        "preflight": b.read_lines("/policy/preflight/req", 4096),
        "telemetry": b.read_lines(seg, 1 << 16),
    }


def test_cohesix_parity_control_writes_and_telemetry(tmp_path: Path) -> None:
    lines = [(p, r.to_line()) for p, rs in (("/actions/queue", APPROVALS), ("/queen/schedule/ctl", SCHEDULE),
                                            ("/queen/lease/ctl", LEASES), ("/queen/export/ctl", EXPORTS)) for r in rs]
    data = tmp_path / "par.txt"
    data.write_text(TELEMETRY)
    script = tmp_path / "parity.coh"
    script.write_text("attach queen\n" + "".join(f"echo {line} > {path}\nEXPECT OK\n" for path, line in lines)
                      + f"telemetry push {data} --device par-dev\nEXPECT OK\n")

    with MockBackend(tmp_path / "a", seed=False) as via_cohsh, MockBackend(tmp_path / "b", seed=False) as via_py:
        r = subprocess.run([str(REPO / "bin/cohsh"), "--tcp-port", str(via_cohsh.hive.port), "--script", str(script)],
                           cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
        assert r.returncode == 0, r.stdout + r.stderr
        cohsh_acks = [x for x in r.stdout.splitlines() if x.startswith(("OK ECHO", "OK TELEMETRY"))]

        orch = CohesixOrchestrator(via_py)
        orch.queue_approvals(APPROVALS)
        orch.enqueue_schedule(SCHEDULE)
        orch.apply_leases(LEASES)
        orch.apply_exports(EXPORTS)
        pushed = CohesixClient(via_py).telemetry_push("par-dev", TELEMETRY, mime="text/plain")
        py_acks = orch.audit.lines + [f"OK TELEMETRY action=push device=par-dev seg_id={pushed.seg_id} records={pushed.records} bytes={pushed.bytes}"]

        assert py_acks == cohsh_acks
        a, b = state(via_cohsh), state(via_py)
        assert a == b
        assert len(a["journal"]) == len(lines) + 1  # + the telemetry ctl write
        assert [json.loads(j)["payload"] for j in a["journal"]][: len(lines)] == [line for _, line in lines]
        assert len(a["telemetry"]) == pushed.records > 3  # several records, each one console ECHO
