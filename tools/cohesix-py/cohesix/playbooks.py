"""The nine built-in playbooks (one table) and the helper that runs one and writes its report.

A playbook is data: a fleet, a control plan (approvals, schedule, lease ops, export windows),
the host probes to collect and the telemetry device their snapshot is pushed to.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .client import CohesixClient
from .errors import CohesixError
from .integrations import collect_host_snapshot, snapshot_to_ndjson
from .orchestration import (ApprovalRequest, CohesixOrchestrator, ControlPlan, ExportRequest, LeaseRequest,
                            PlanExecution, ScheduleRequest)

ID_MAX = 128


@dataclass(frozen=True)
class Probes:
    systemd: tuple[str, ...] = ()
    docker: bool = False
    k8s: tuple[str, str] | None = None  # (namespace, selector)
    nvml: bool = False
    peft: bool = False


@dataclass(frozen=True)
class UseCasePlaybook:
    playbook_id: str
    title: str
    fleet: str
    objective: str
    plan: ControlPlan
    probes: Probes
    telemetry_device: str

    def describe(self) -> dict[str, Any]:
        return {
            "playbook_id": self.playbook_id, "title": self.title, "fleet": self.fleet, "objective": self.objective,
            "plan": {
                "approvals": [json.loads(a.to_line()) for a in self.plan.approvals],
                "schedule": [json.loads(s.to_line()) for s in self.plan.schedule],
                "leases": [json.loads(le.to_line()) for le in self.plan.leases],
                "exports": [json.loads(e.to_line()) for e in self.plan.exports],
            },
        }


APPROVALS = (
    ApprovalRequest("approve-queen-ctl", "/queen/ctl"),
    ApprovalRequest("approve-schedule", "/queen/schedule/ctl"),
    ApprovalRequest("approve-lease", "/queen/lease/ctl"),
)


def _s(spec: str) -> ScheduleRequest:
    rid, role, prio, ticks, budget = spec.split(":")
    return ScheduleRequest(rid, role, int(prio), int(ticks), int(budget))


def _grant(lease_id: str, ttl: int, prio: int) -> LeaseRequest:
    return LeaseRequest("grant", lease_id, "queen", "gpu0", ttl, prio)


def _quota(max_active: int, max_preemptions: int) -> LeaseRequest:
    return LeaseRequest("quota", subject="queen", resource="gpu0", max_active=max_active, max_preemptions=max_preemptions)


def _preempt(lease_id: str, reason: str) -> LeaseRequest:
    return LeaseRequest("preempt", lease_id, reason=reason)


def _open(export_id: str, ttl: int) -> ExportRequest:
    return ExportRequest("open", export_id, ttl_s=ttl)


AGENT, DOCKER = "cohesix-agent.service", "docker.service"

# (id, title, fleet, objective, schedule, leases, exports, probes, telemetry device)
_TABLE: tuple[tuple[str, str, str, str, tuple[str, ...], tuple[LeaseRequest, ...], tuple[ExportRequest, ...], Probes, str], ...] = (
    ("mac-release-factory", "Mac App Release Factory", "mac",
     "Stage signed release waves across Mac build hosts with bounded heartbeat workers.",
     ("mac-rel-wave-1:worker-heartbeat:4:10:250", "mac-rel-wave-2:worker-heartbeat:5:12:300"), (), (),
     Probes((AGENT,), docker=True), "mac-release-audit"),
    ("mac-private-peft-grid", "Mac Private PEFT Grid", "mac",
     "Train LoRA adapters privately on Apple silicon and export the bundle for review.",
     ("mac-peft-train-1:worker-lora:6:8:200",), (_grant("mac-peft-lease-1", 600, 6),), (_open("mac-peft-export", 900),),
     Probes((AGENT,), docker=True, k8s=("ml", "app=trainer"), nvml=True, peft=True), "mac-peft-audit"),
    ("mac-endpoint-compliance", "Mac Endpoint Compliance Sweep", "mac",
     "Run a bounded compliance scan across managed Macs under a lease quota.",
     ("mac-comp-scan:worker-heartbeat:5:6:180",), (_quota(2, 4),), (),
     Probes((AGENT,)), "mac-compliance-audit"),
    ("jetson-traffic-safety", "Jetson Traffic Safety Edge", "jetson",
     "Schedule GPU inference for intersection safety with a leased accelerator.",
     ("jetson-traffic-wave-1:worker-gpu:7:8:160",), (_grant("jetson-traffic-lease", 300, 7),), (),
     Probes((DOCKER,), docker=True, k8s=("edge", "app=traffic"), nvml=True), "jetson-traffic-audit"),
    ("jetson-manufacturing-safety", "Jetson Manufacturing Safety Line", "jetson",
     "Keep line-side QA inference on a leased GPU under a preemption quota.",
     ("jetson-qa-line-1:worker-gpu:8:10:190",), (_grant("jetson-qa-lease", 420, 8), _quota(8, 8)), (),
     Probes((DOCKER,), docker=True, nvml=True), "jetson-factory-audit"),
    ("jetson-critical-infra", "Jetson Critical Infrastructure Mesh", "jetson",
     "Scan critical infrastructure at top priority and capture the run for audit export.",
     ("jetson-infra-scan:worker-gpu:9:12:220",), (_grant("jetson-infra-lease", 480, 9),), (_open("jetson-infra-export", 1200),),
     Probes((AGENT,), docker=True, k8s=("infra", "tier=critical"), nvml=True), "jetson-infra-audit"),
    ("mixed-closed-loop-ai-factory", "Mixed Closed-Loop AI Factory", "mixed",
     "Coordinate Mac training waves with Jetson inference waves and export the loop's telemetry.",
     ("mixed-train-wave:worker-gpu:6:9:210", "mixed-infer-wave:worker-heartbeat:5:9:180"), (_grant("mixed-lease-1", 540, 6),),
     (_open("mixed-export", 900),),
     Probes((AGENT, DOCKER), docker=True, k8s=("ai", "pipeline=closed-loop"), nvml=True, peft=True), "mixed-closed-loop-audit"),
    ("mixed-medical-edge-ai", "Mixed Medical Edge AI", "mixed",
     "Run compliant medical inference at the edge with tight lease quotas and a long audit window.",
     ("medical-edge-wave:worker-gpu:9:6:160",), (_grant("medical-lease-1", 360, 9), _quota(2, 2)), (_open("medical-export", 1800),),
     Probes((AGENT,), docker=True, k8s=("medical", "compliance=hipaa"), nvml=True, peft=True), "mixed-medical-audit"),
    ("mixed-logistics-digital-twin", "Mixed Logistics Digital Twin", "mixed",
     "Plan and execute logistics waves, then preempt the edge lease for maintenance.",
     ("logistics-plan-wave:worker-heartbeat:6:7:175", "logistics-edge-wave:worker-gpu:7:7:175"),
     (_grant("logistics-lease-1", 420, 7), _preempt("logistics-lease-1", "maintenance")), (),
     Probes((AGENT, DOCKER), docker=True, k8s=("logistics", "app=digital-twin"), nvml=True), "mixed-logistics-audit"),
)

_PLAYBOOKS: dict[str, UseCasePlaybook] = {
    pid: UseCasePlaybook(pid, title, fleet, objective, ControlPlan(APPROVALS, tuple(_s(x) for x in sched), leases, exports), probes, dev)
    for pid, title, fleet, objective, sched, leases, exports, probes, dev in _TABLE
}


def playbook_ids() -> list[str]:
    return sorted(_PLAYBOOKS)


def world_class_playbooks() -> list[UseCasePlaybook]:
    return [_PLAYBOOKS[k] for k in playbook_ids()]


def load_playbook(playbook_id: str) -> UseCasePlaybook:
    try:
        return _PLAYBOOKS[playbook_id]
    except KeyError:
        raise CohesixError(f"unknown playbook '{playbook_id}'. expected one of: {', '.join(playbook_ids())}") from None


def describe_playbooks() -> list[dict[str, Any]]:
    return [p.describe() for p in world_class_playbooks()]


def suffixed(ident: str, run_id: str) -> str:
    out = f"{ident}-{run_id}"
    if len(out.encode()) <= ID_MAX:
        return out
    digest = hashlib.sha256(ident.encode()).hexdigest()[:8]
    keep = ID_MAX - len(run_id) - len(digest) - 2
    return f"{ident[:keep]}-{run_id}-{digest}"


def with_run_id(plan: ControlPlan, run_id: str) -> ControlPlan:
    """Every approval, schedule, lease and export id becomes ``<id>-<run_id>``."""
    return ControlPlan(
        tuple(replace(a, approval_id=suffixed(a.approval_id, run_id)) for a in plan.approvals),
        tuple(replace(s, request_id=suffixed(s.request_id, run_id)) for s in plan.schedule),
        tuple(replace(le, lease_id=suffixed(le.lease_id, run_id)) if le.lease_id else le for le in plan.leases),
        tuple(replace(e, export_id=suffixed(e.export_id, run_id)) for e in plan.exports),
    )


@dataclass
class PlaybookReport:
    playbook: UseCasePlaybook
    dry_run: bool
    run_id: str | None
    plan_execution: PlanExecution
    proc_snapshot: dict[str, Any] | None = None
    host_snapshot: dict[str, Any] | None = None
    telemetry_push: dict[str, Any] | None = None
    audit_lines: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        p = self.playbook
        return {
            "playbook_id": p.playbook_id, "title": p.title, "fleet": p.fleet, "objective": p.objective,
            "dry_run": self.dry_run, "run_id": self.run_id,
            "plan_execution": self.plan_execution.to_dict(),
            "proc_snapshot": self.proc_snapshot,
            "host_snapshot": self.host_snapshot,
            "telemetry_push": self.telemetry_push,
        }


def execute_playbook(
    playbook: UseCasePlaybook,
    orch: CohesixOrchestrator,
    *,
    dry_run: bool = False,
    proc_snapshot: bool = True,
    host_snapshot: bool = True,
    push_host_snapshot: bool = True,
    run_id: str | None = None,
) -> PlaybookReport:
    rid = None if dry_run else (run_id or hex(time.time_ns()))
    plan = playbook.plan if rid is None else with_run_id(playbook.plan, rid)
    execution = orch.execute_plan(plan, dry_run=dry_run)
    report = PlaybookReport(playbook, dry_run, rid, execution)
    if proc_snapshot and not dry_run:
        report.proc_snapshot = orch.read_proc_snapshot()
    if host_snapshot:
        pr = playbook.probes
        snap = collect_host_snapshot(
            systemd_services=pr.systemd, include_docker=pr.docker, include_k8s=pr.k8s is not None,
            include_nvml=pr.nvml, include_peft=pr.peft,
            k8s_namespace=pr.k8s[0] if pr.k8s else "default", k8s_selector=pr.k8s[1] if pr.k8s else None,
        )
        report.host_snapshot = snap.to_dict()
        if push_host_snapshot and not dry_run:
            pushed = CohesixClient(orch.backend).telemetry_push(playbook.telemetry_device, snapshot_to_ndjson(snap), mime="application/x-ndjson")
            orch.audit.push_line(f"OK TELEMETRY action=push device={pushed.device_id} seg_id={pushed.seg_id} records={pushed.records} bytes={pushed.bytes}")
            report.telemetry_push = pushed.to_dict()
    report.audit_lines = list(orch.audit.lines)
    return report


def write_report(report: PlaybookReport, out_root: str | Path) -> tuple[Path, Path]:
    """``<out>/<playbook_id>/report.json`` (indent 2, sorted keys) and ``audit.txt``."""
    d = Path(out_root) / report.playbook.playbook_id
    d.mkdir(parents=True, exist_ok=True)
    rp, ap = d / "report.json", d / "audit.txt"
    rp.write_text(json.dumps(report.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    ap.write_text("".join(f"{line}\n" for line in report.audit_lines), encoding="utf-8")
    return rp, ap
