"""Client defaults: the manifest's bounds (generated.py) plus the original client's own limits.

Every guest bound comes from ``generated`` (coh-rtc emits it from configs/root_task.toml). The
few values below are client-side limits of the original Python SDK that have no manifest field;
the guest still enforces its own bounds on every write.
"""

from __future__ import annotations

from typing import Final, TypedDict

from . import generated as g


class HostTicketDefaults(TypedDict):
    schema: str
    max_line_bytes: int
    action_allowlist: tuple[str, ...]


class ProcLimits(TypedDict):
    schedule_summary: int
    schedule_queue: int
    lease_summary: int
    lease_active: int
    lease_preemptions: int


class Defaults(TypedDict):
    manifest_sha256: str
    id_max: int
    schedule_ctl_max_bytes: int
    lease_ctl_max_bytes: int
    export_ctl_max_bytes: int
    approval_max_bytes: int
    proc: ProcLimits
    host_tickets: HostTicketDefaults
    retry_max_attempts: int
    retry_backoff_ms: int
    retry_ceiling_ms: int
    rest_response_max_bytes: int


# v1 host-ticket actions the original agent executes (gateway-agent-evidence.md §2.9).
HOST_TICKET_ACTIONS: Final[tuple[str, ...]] = (
    "systemd.status-check", "systemd.start", "systemd.stop", "systemd.restart",
    "docker.restart", "docker.stop", "docker.status-check",
    "k8s.cordon", "k8s.drain", "k8s.lease.sync",
    "gpu.lease.grant", "gpu.lease.renew", "gpu.lease.release",
    "peft.export", "peft.import", "peft.activate", "peft.rollback",
)

DEFAULTS: Final[Defaults] = {
    "manifest_sha256": g.MANIFEST_SHA256,
    "id_max": 128,
    # Line limits of the original client per control file; a console ECHO is further bounded by
    # console.echo_max, which the backends check.
    "schedule_ctl_max_bytes": 8192,
    "lease_ctl_max_bytes": 8192,
    "export_ctl_max_bytes": 2048,
    "approval_max_bytes": g.POLICY_CTL_MAX_BYTES,
    # read_proc_snapshot's byte limits (summaries: the original's 128/160).
    "proc": {
        "schedule_summary": 128,
        # One console line per entry, as many entries as the manifest lets the guest hold.
        "schedule_queue": g.CONSOLE_LINE_MAX * g.GOVERNANCE_SCHEDULE_QUEUE_MAX,
        "lease_summary": 160,
        "lease_active": g.CONSOLE_LINE_MAX * g.GOVERNANCE_LEASE_MAX,
        "lease_preemptions": g.CONSOLE_LINE_MAX * g.GOVERNANCE_LEASE_MAX,
    },
    "host_tickets": {
        "schema": "host-ticket/v1",
        "max_line_bytes": 2048,
        "action_allowlist": HOST_TICKET_ACTIONS,
    },
    # cohsh's retry policy, from the manifest's [cohsh] section (as out/cohsh_policy.toml).
    "retry_max_attempts": g.COHSH_RETRY_MAX_ATTEMPTS,
    "retry_backoff_ms": g.COHSH_RETRY_BACKOFF_MS,
    "retry_ceiling_ms": g.COHSH_RETRY_CEILING_MS,
    "rest_response_max_bytes": 10 * 1024 * 1024,
}
