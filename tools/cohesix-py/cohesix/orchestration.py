"""Typed control requests and CohesixOrchestrator: approvals -> schedule -> leases -> exports.

Each request validates itself and renders one compact JSON line (``,``/``:`` separators, the
field order the guest and the original client use). Every write returns a ControlWriteResult
and leaves ``OK ECHO path=<p> bytes=<n>`` in the audit.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Iterable, Mapping

from . import generated as g
from .audit import CohesixAudit
from .backends.base import Backend
from .defaults import DEFAULTS, Defaults
from .errors import CohesixError
from .validate import check_path, check_positive, check_token


def _line(obj: Mapping[str, Any]) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class ScheduleRequest:
    request_id: str
    role: str
    priority: int
    ticks: int
    budget_ms: int

    def __post_init__(self) -> None:
        check_token(self.request_id, "request_id")
        check_token(self.role, "role")
        for f in ("priority", "ticks", "budget_ms"):
            check_positive(getattr(self, f), f)

    def to_line(self) -> str:
        return _line({"id": self.request_id, "role": self.role, "priority": self.priority, "ticks": self.ticks, "budget_ms": self.budget_ms})


LEASE_OPS = ("grant", "renew", "preempt", "quota")


@dataclass(frozen=True)
class LeaseRequest:
    op: str
    lease_id: str | None = None
    subject: str | None = None
    resource: str | None = None
    ttl_s: int | None = None
    priority: int | None = None
    reason: str | None = None
    max_active: int | None = None
    max_preemptions: int | None = None

    def __post_init__(self) -> None:
        op = self.op.lower() if isinstance(self.op, str) else self.op
        if op not in LEASE_OPS:
            raise CohesixError(f"lease op must be one of {'|'.join(LEASE_OPS)}, got {self.op!r}")
        object.__setattr__(self, "op", op)
        need: dict[str, tuple[str, ...]] = {
            "grant": ("lease_id", "subject", "resource", "ttl_s"),
            "renew": ("lease_id", "ttl_s"),
            "preempt": ("lease_id", "reason"),
            "quota": ("subject", "resource", "max_active", "max_preemptions"),
        }
        for f in need[op]:
            if getattr(self, f) is None:
                raise CohesixError(f"lease {op} needs {f}")
        for f in ("lease_id", "subject", "resource", "reason"):
            if getattr(self, f) is not None:
                check_token(getattr(self, f), f)
        for f in ("ttl_s", "priority", "max_active", "max_preemptions"):
            if getattr(self, f) is not None:
                check_positive(getattr(self, f), f)

    def to_line(self) -> str:
        obj: dict[str, Any] = {"op": self.op}
        for key, f in (("id", "lease_id"), ("subject", "subject"), ("resource", "resource"), ("ttl_s", "ttl_s"),
                       ("priority", "priority"), ("reason", "reason"), ("max_active", "max_active"), ("max_preemptions", "max_preemptions")):
            v = getattr(self, f)
            if v is not None:
                obj[key] = v
        return _line(obj)


@dataclass(frozen=True)
class ExportRequest:
    op: str
    export_id: str
    ttl_s: int | None = None
    reason: str | None = None

    def __post_init__(self) -> None:
        if self.op not in ("open", "close"):
            raise CohesixError(f"export op must be open or close, got {self.op!r}")
        check_token(self.export_id, "export_id")
        if self.op == "open":
            if self.ttl_s is None:
                raise CohesixError("export open needs ttl_s")
            check_positive(self.ttl_s, "ttl_s")
        if self.op == "close":
            if self.reason is None:
                raise CohesixError("export close needs reason")
            check_token(self.reason, "reason")

    def to_line(self) -> str:
        obj: dict[str, Any] = {"op": self.op, "id": self.export_id}
        if self.ttl_s is not None:
            obj["ttl_s"] = self.ttl_s
        if self.reason is not None:
            obj["reason"] = self.reason
        return _line(obj)


@dataclass(frozen=True)
class ApprovalRequest:
    approval_id: str
    target_path: str
    decision: str = "approve"

    def __post_init__(self) -> None:
        check_token(self.approval_id, "approval_id")
        check_path(self.target_path)
        if self.decision not in ("approve", "deny"):
            raise CohesixError(f"decision must be approve or deny, got {self.decision!r}")

    def to_line(self) -> str:
        return _line({"id": self.approval_id, "target": self.target_path, "decision": self.decision})


@dataclass(frozen=True)
class HostTicketRequest:
    ticket_id: str
    idempotency_key: str
    action: str
    target: str | None = None
    args: Mapping[str, Any] = field(default_factory=dict)
    expires_unix_ms: int | None = None

    def __post_init__(self) -> None:
        check_token(self.ticket_id, "ticket_id")
        check_token(self.idempotency_key, "idempotency_key")
        check_token(self.action, "action", 64)
        if self.target is not None:
            check_path(self.target, 255)
        if not isinstance(self.args, Mapping):
            raise CohesixError(f"args must be a dict, got {type(self.args).__name__}")
        if self.expires_unix_ms is not None:
            check_positive(self.expires_unix_ms, "expires_unix_ms")

    def to_line(self) -> str:
        obj: dict[str, Any] = {"schema": DEFAULTS["host_tickets"]["schema"], "id": self.ticket_id,
                               "idempotency_key": self.idempotency_key, "action": self.action}
        if self.target is not None:
            obj["target"] = self.target
        if self.args:
            obj["args"] = dict(self.args)
        if self.expires_unix_ms is not None:
            obj["expires_unix_ms"] = self.expires_unix_ms
        return _line(obj)


K8S_VERBS: dict[str, tuple[str, str]] = {
    "cordon": ("k8s.cordon", "cordon"),
    "drain": ("k8s.drain", "drain"),
    "lease-sync": ("k8s.lease.sync", "status"),
}


@dataclass(frozen=True)
class K8sRbacIntent:
    intent_id: str
    subject: str
    namespace: str
    node: str
    verb: str
    reason: str | None = None
    ttl_s: int | None = None

    def __post_init__(self) -> None:
        for f in ("intent_id", "subject", "namespace", "node"):
            check_token(getattr(self, f), f)
        if self.verb not in K8S_VERBS:
            raise CohesixError(f"k8s verb must be one of {'|'.join(K8S_VERBS)}, got {self.verb!r}")
        if self.reason is not None:
            check_token(self.reason, "reason")
        if self.ttl_s is not None:
            check_positive(self.ttl_s, "ttl_s")

    def to_ticket(self) -> HostTicketRequest:
        action, leaf = K8S_VERBS[self.verb]
        args: dict[str, Any] = {"node": self.node, "subject": self.subject, "namespace": self.namespace, "intent_id": self.intent_id}
        if self.reason is not None:
            args["reason"] = self.reason
        if self.ttl_s is not None:
            args["ttl_s"] = self.ttl_s
        return HostTicketRequest(self.intent_id, f"{self.intent_id}.{self.verb}", action, f"/host/k8s/node/{self.node}/{leaf}", args)


@dataclass(frozen=True)
class ControlWriteResult:
    path: str
    payload: str
    bytes_written: int

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "payload": self.payload, "bytes_written": self.bytes_written}


@dataclass(frozen=True)
class ControlPlan:
    approvals: tuple[ApprovalRequest, ...] = ()
    schedule: tuple[ScheduleRequest, ...] = ()
    leases: tuple[LeaseRequest, ...] = ()
    exports: tuple[ExportRequest, ...] = ()


@dataclass
class PlanExecution:
    approval_writes: list[ControlWriteResult] = field(default_factory=list)
    schedule_writes: list[ControlWriteResult] = field(default_factory=list)
    lease_writes: list[ControlWriteResult] = field(default_factory=list)
    export_writes: list[ControlWriteResult] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {k: [w.to_dict() for w in getattr(self, k)] for k in ("approval_writes", "schedule_writes", "lease_writes", "export_writes")}


class CohesixOrchestrator:
    def __init__(self, backend: Backend, defaults: Defaults = DEFAULTS) -> None:
        self.backend = backend
        self.defaults = defaults
        self.audit = CohesixAudit()

    @classmethod
    def from_env(cls, include_mig: bool = False) -> "CohesixOrchestrator":
        from .env import backend_from_env

        return cls(backend_from_env(include_mig=include_mig))

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> "CohesixOrchestrator":
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    # -- writes --------------------------------------------------------------------------
    def _write(self, path: str, line: str, limit: int) -> ControlWriteResult:
        n = len(line.encode()) + 1  # limits count the record's newline, as the original's did
        if n > limit:
            raise CohesixError(f"{path}: line is {n} bytes with its newline; at most {limit}")
        try:
            ack = self.backend.write_append(path, line)
        except CohesixError as e:
            self.audit.push_line(e.ack or f"ERR ECHO path={path} error={e}")
            raise
        self.audit.push_line(ack)
        return ControlWriteResult(path, line, len(line.encode()))

    def queue_approvals(self, reqs: Iterable[ApprovalRequest]) -> list[ControlWriteResult]:
        return [self._write(g.PATHS["actions_queue"], r.to_line(), self.defaults["approval_max_bytes"]) for r in reqs]

    def enqueue_schedule(self, reqs: Iterable[ScheduleRequest]) -> list[ControlWriteResult]:
        return [self._write(g.PATHS["queen_schedule_ctl"], r.to_line(), self.defaults["schedule_ctl_max_bytes"]) for r in reqs]

    def apply_leases(self, reqs: Iterable[LeaseRequest]) -> list[ControlWriteResult]:
        return [self._write(g.PATHS["queen_lease_ctl"], r.to_line(), self.defaults["lease_ctl_max_bytes"]) for r in reqs]

    def apply_exports(self, reqs: Iterable[ExportRequest]) -> list[ControlWriteResult]:
        return [self._write(g.PATHS["queen_export_ctl"], r.to_line(), self.defaults["export_ctl_max_bytes"]) for r in reqs]

    def enqueue_host_tickets(self, reqs: Iterable[HostTicketRequest]) -> list[ControlWriteResult]:
        """Appends host-ticket/v1 lines to /host/tickets/spec (allowlisted actions, bounded lines).

        Every request is checked before the first write, so a bad batch writes nothing.
        """
        ht = self.defaults["host_tickets"]
        items = list(reqs)
        lines: list[str] = []
        for r in items:
            if r.action not in ht["action_allowlist"]:
                raise CohesixError(f"host ticket {r.ticket_id}: action {r.action!r} is not allowlisted ({', '.join(ht['action_allowlist'])})")
            line = r.to_line()
            if len(line.encode()) + 1 > ht["max_line_bytes"]:
                raise CohesixError(f"host ticket {r.ticket_id}: line is {len(line.encode()) + 1} bytes with its newline; max_line_bytes is {ht['max_line_bytes']}")
            lines.append(line)
        return [self._write(g.PATHS["host_tickets_spec"], line, ht["max_line_bytes"]) for line in lines]

    def enqueue_k8s_rbac_tickets(self, intents: Iterable[K8sRbacIntent]) -> list[ControlWriteResult]:
        return self.enqueue_host_tickets([i.to_ticket() for i in intents])

    def execute_plan(self, plan: ControlPlan, dry_run: bool = False) -> PlanExecution:
        if dry_run:
            return PlanExecution()
        return PlanExecution(
            self.queue_approvals(plan.approvals),
            self.enqueue_schedule(plan.schedule),
            self.apply_leases(plan.leases),
            self.apply_exports(plan.exports),
        )

    # -- reads ---------------------------------------------------------------------------
    def _read(self, path: str, limit: int, missing: list[str]) -> list[str]:
        try:
            lines = self.backend.read_lines(path, limit)
        except CohesixError as e:
            if (e.ack is not None and ("invalid-path" in e.ack or "detail=not-found" in e.ack)) or "not found" in str(e) or "detail=not-found" in str(e):
                missing.append(path)
                self.audit.push_line(e.ack or f"ERR CAT path={path} error=not found")
                return []
            raise
        self.audit.push_ack("OK", "CAT", f"path={path}")
        return lines

    def read_proc_snapshot(self) -> dict[str, Any]:
        """Bounded reads of /proc/schedule/{summary,queue} and /proc/lease/{summary,active,preemptions}.

        A node this hive does not serve (this core has no /proc/lease/preemptions) is listed in
        ``missing`` and read as empty, rather than failing the snapshot.
        """
        p, lim = g.PATHS, self.defaults["proc"]
        missing: list[str] = []
        snap: dict[str, Any] = {
            "schedule_summary": "\n".join(self._read(p["proc_schedule_summary"], lim["schedule_summary"], missing)),
            "schedule_queue": self._read(p["proc_schedule_queue"], lim["schedule_queue"], missing),
            "lease_summary": "\n".join(self._read(p["proc_lease_summary"], lim["lease_summary"], missing)),
            "lease_active": self._read(p["proc_lease_active"], lim["lease_active"], missing),
            "lease_preemptions": self._read(p["proc_lease_preemptions"], lim["lease_preemptions"], missing),
        }
        snap["missing"] = missing
        return snap
