"""Publishing a gpu-bridge-snapshot/v1 into ``/gpu`` from Python (docs/GPU.md).

The same wire format as ``host/sdk/gpu/snapshot.ts`` (the guest parses it strictly): a payload of
``node``/``model``/``active``/``telemetry`` lines, sent to ``/gpu/bridge/ctl`` as ``begin bytes=N
sha256=H``, ``b64:`` chunks and ``end``, then ``/gpu/bridge/status`` must say ``state=ok``. Used by
``MockBackend(include_mig=True)`` to add the reference's ``MIG-0`` to the inventory the hive holds.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass

from . import generated as g
from .backends.base import Backend
from .errors import CohesixError

SNAPSHOT_SCHEMA = "gpu-bridge-snapshot/v1"
BRIDGE_CTL = "/gpu/bridge/ctl"
BRIDGE_STATUS = "/gpu/bridge/status"

#: /gpu/telemetry/schema.json before any publish: the original's bytes (the SDK's
#: TELEMETRY_SCHEMA_JSON; tests/test_mock.py checks the two are the same bytes).
TELEMETRY_SCHEMA_JSON = json.dumps(
    {
        "schema_version": "gpu-telemetry/v1",
        "max_record_bytes": 4096,
        "required_fields": ["schema_version", "device_id", "model_id", "time_window", "token_count", "latency_histogram"],
        "optional_fields": ["lora_id", "confidence", "entropy", "drift", "feedback_flags"],
    },
    separators=(",", ":"),
)


@dataclass(frozen=True)
class GpuNode:
    id: str
    #: The info JSON exactly as /gpu/<id>/info serves it (4-space pretty print, original key order).
    info: str


def info_json(gpu_id: str, name: str, memory_mb: int, sm_count: int, driver: str, runtime: str) -> str:
    return json.dumps({"id": gpu_id, "name": name, "memory_mb": memory_mb, "sm_count": sm_count,
                       "driver_version": driver, "runtime_version": runtime}, indent=4)


def _b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


def wire_payload(nodes: list[GpuNode], models: dict[str, str], active: str, schema_json: str = TELEMETRY_SCHEMA_JSON) -> str:
    lines = [f"schema {SNAPSHOT_SCHEMA}"]
    for n in nodes:
        lines.append(f"node id={n.id} info={_b64(n.info)} ctl={_b64(f'LEASE {n.id}' + chr(10))} lease= status=")
    for mid in sorted(models):
        lines.append(f"model id={mid} manifest={_b64(models[mid])}")
    lines.append(f"active id={active}")
    lines.append(f"telemetry schema={_b64(schema_json)}")
    lines.append("end")
    return "\n".join(lines) + "\n"


def current_nodes(b: Backend) -> list[GpuNode]:
    """The GPUs the hive lists under /gpu now, with their info files' exact text."""
    names = [n for n in b.list_dir("/gpu") if n not in ("bridge", "models", "telemetry")]
    return [GpuNode(n, "\n".join(b.read_lines(f"/gpu/{n}/info", g.GPU_INFO_MAX_BYTES))) for n in sorted(names)]


def publish(b: Backend, nodes: list[GpuNode], models: dict[str, str] | None = None, active: str = "") -> str:
    """Sends one snapshot; returns the status line. Nothing is installed unless all of it verifies."""
    raw = wire_payload(nodes, models or {}, active).encode()
    if len(raw) > g.GPU_BRIDGE_MAX_BYTES:
        raise CohesixError(f"snapshot of {len(raw)} bytes exceeds [gpu] bridge_max_bytes {g.GPU_BRIDGE_MAX_BYTES}; nothing was sent")
    sha = hashlib.sha256(raw).hexdigest()
    per = (min(b.record_max, g.TELEMETRY_INGEST_MAX_RECORD_BYTES) - 4) // 4 * 4
    all64 = base64.b64encode(raw).decode()
    b.write_append(BRIDGE_CTL, f"begin bytes={len(raw)} sha256={sha}")
    for i in range(0, len(all64), per):
        b.write_append(BRIDGE_CTL, "b64:" + all64[i:i + per])
    b.write_append(BRIDGE_CTL, "end")
    status = (b.read_lines(BRIDGE_STATUS, 4096) or [""])[0]
    if status != f"state=ok bytes={len(raw)} sha256={sha}":
        raise CohesixError(f"the hive did not install the snapshot: {BRIDGE_STATUS} says {status!r}")
    return status
