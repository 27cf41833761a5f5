"""CohesixOrchestrator against the real core: plans in order, dry runs write nothing, host tickets."""

from __future__ import annotations

import json

import pytest

from cohesix import (ApprovalRequest, CohesixError, CohesixOrchestrator, ControlPlan, ExportRequest, HostTicketRequest,
                     K8sRbacIntent, LeaseRequest, ScheduleRequest)
from cohesix import generated as g
from cohesix.backends.mock import MockBackend

PLAN = ControlPlan(
    approvals=(ApprovalRequest("orch-approve-1", "/queen/schedule/ctl"),),
    schedule=(ScheduleRequest("orch-sched-1", "worker-heartbeat", 3, 100000, 3600000),),
    leases=(LeaseRequest("grant", "orch-lease-1", "queen", "gpu0", 600, 5), LeaseRequest("renew", "orch-lease-1", ttl_s=900)),
    exports=(ExportRequest("open", "orch-export-1", ttl_s=900),),
)


def journal_paths(b: MockBackend) -> list[str]:
    return [json.loads(line)["path"] for line in b.read_lines("/audit/journal", 1 << 20)]


def test_dry_run_writes_nothing(hive: MockBackend) -> None:
    before = hive.read_lines("/audit/journal", 1 << 20)
    orch = CohesixOrchestrator(hive)
    ex = orch.execute_plan(PLAN, dry_run=True)
    assert ex.to_dict() == {"approval_writes": [], "schedule_writes": [], "lease_writes": [], "export_writes": []}
    assert orch.audit.lines == [] and hive.read_lines("/audit/journal", 1 << 20) == before


def test_plan_runs_in_order_with_effect(fresh: MockBackend) -> None:
    orch = CohesixOrchestrator(fresh)
    ex = orch.execute_plan(PLAN)
    assert journal_paths(fresh) == ["/actions/queue", "/queen/schedule/ctl", "/queen/lease/ctl", "/queen/lease/ctl", "/queen/export/ctl"]
    assert [w.payload for w in ex.lease_writes] == [r.to_line() for r in PLAN.leases]
    assert all(w.bytes_written == len(w.payload) for w in ex.approval_writes + ex.schedule_writes + ex.lease_writes + ex.export_writes)
    assert orch.audit.lines == [f"OK ECHO path={w.path} bytes={w.bytes_written}" for w in
                                ex.approval_writes + ex.schedule_writes + ex.lease_writes + ex.export_writes]
    snap = orch.read_proc_snapshot()
    assert snap["lease_active"][0].startswith("orch-lease-1 subject=queen resource=gpu0 priority=5")
    assert "queued=" in snap["schedule_summary"] and "active=" in snap["lease_summary"]
    assert snap["missing"] == ["/proc/lease/preemptions"]  # this core does not serve it; reported, not invented
    assert orch.audit.lines[-5:-1] == [f"OK CAT path={p}" for p in ("/proc/schedule/summary", "/proc/schedule/queue", "/proc/lease/summary", "/proc/lease/active")]
    assert "orch-export-1 state=open" in fresh.read_file("/queen/export/status", 4096).replace("window id=", "")
    assert "req id=orch-approve-1 target=/queen/schedule/ctl decision=allow state=queued" in fresh.read_lines("/policy/preflight/req", 4096)
    # A refused write stops the plan and leaves the guest's ERR line in the audit.
    with pytest.raises(CohesixError) as e:
        orch.apply_leases([LeaseRequest("grant", "orch-lease-1", "queen", "gpu0", 600, 5)])
    assert e.value.ack is not None and orch.audit.lines[-1] == e.value.ack and e.value.ack.startswith("ERR ECHO")


def test_host_tickets_against_this_core(hive: MockBackend) -> None:
    """/host is served (docs/HOST.md): a ticket lands in /host/tickets/spec byte for byte, up to
    the whole console line (232 bytes after `ECHO /host/tickets/spec `, as the guest allows and
    the SDK bounds it); one byte more, and the full k8s line, are refused before sending."""
    orch = CohesixOrchestrator(hive)
    short = HostTicketRequest("t1", "t1.k", "docker.status-check")
    [res] = orch.enqueue_host_tickets([short])
    assert res.path == "/host/tickets/spec" and res.payload == short.to_line()
    limit = g.CONSOLE_LINE_MAX - len("ECHO /host/tickets/spec ")
    base = HostTicketRequest("t2", "t2.k", "docker.status-check", args={"note": ""})
    pad = limit - len(base.to_line().encode())
    assert pad > 0
    # Padding in args (the receipt, bounded by result_line_max, does not carry them).
    edge = HostTicketRequest("t2", "t2.k", "docker.status-check", args={"note": "x" * pad})
    assert len(edge.to_line().encode()) == limit and limit > g.CONSOLE_ECHO_MAX
    [res] = orch.enqueue_host_tickets([edge])
    assert res.payload == edge.to_line()
    assert hive.read_lines("/host/tickets/spec", 65536)[-1] == edge.to_line()
    with pytest.raises(CohesixError, match=f"payload is {limit + 1} bytes; {hive.name} carries at most {limit}"):
        orch.enqueue_host_tickets([HostTicketRequest("t3", "t3.k", "docker.status-check", args={"note": "x" * (pad + 1)})])
    with pytest.raises(CohesixError, match=f"at most {limit} per append .*Secure9P mount"):
        orch.enqueue_k8s_rbac_tickets([K8sRbacIntent("intent-node-1-cordon", "ops-user", "edge-a", "node-1", "cordon")])
