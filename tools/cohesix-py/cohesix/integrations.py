"""Read-only host probes (systemd, docker, k8s, nvidia, peft) in one snapshot envelope.

No SDK is required: each probe tries its optional Python SDK when installed and falls back to
the CLI (``systemctl``, ``docker``, ``kubectl``, ``nvidia-smi``) with a 5 s timeout. A probe
whose tool is absent is ``skipped``; one that ran but failed or found gaps is ``degraded``.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Sequence

TIMEOUT_S = 5.0
DOCKER_MAX, PODS_MAX, GPUS_MAX = 256, 512, 32
PEFT_PACKAGES = ("torch", "transformers", "peft", "accelerate", "bitsandbytes")


@dataclass
class ProbeResult:
    provider: str
    status: str  # "ok" | "degraded" | "skipped"
    data: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"provider": self.provider, "status": self.status, "data": self.data, "error": self.error}


@dataclass
class HostSnapshot:
    captured_at_utc: str
    results: dict[str, ProbeResult]

    def to_dict(self) -> dict[str, Any]:
        return {"captured_at_utc": self.captured_at_utc, "results": {k: v.to_dict() for k, v in self.results.items()}}


def _last_line(text: str, limit: int = 200) -> str:
    """The last non-empty line of a tool's stderr, cut to ``limit`` characters (reports stay small)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1][:limit] if lines else ""


def _run(argv: Sequence[str]) -> tuple[int, str, str]:
    try:
        p = subprocess.run(list(argv), capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
        return p.returncode, p.stdout, _last_line(p.stderr)
    except subprocess.TimeoutExpired:
        return 124, "", f"{argv[0]} timed out after {TIMEOUT_S:.0f} s"
    except OSError as e:
        return 127, "", f"{argv[0]}: {e.strerror}"


def probe_systemd(services: Sequence[str]) -> ProbeResult:
    if not services:
        return ProbeResult("systemd", "skipped", error="no services requested")
    if shutil.which("systemctl") is None:
        return ProbeResult("systemd", "skipped", error="systemctl not found")
    out: dict[str, Any] = {}
    degraded = False
    for svc in services:
        code, text, err = _run(["systemctl", "show", svc, "--property=ActiveState,SubState,UnitFileState", "--no-pager"])
        props = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
        active = props.get("ActiveState", "unknown")
        ok = code == 0 and active == "active"
        degraded |= not ok
        out[svc] = {"status": "ok" if ok else "degraded", "active": active, "sub": props.get("SubState", "unknown"),
                    "unit_file": props.get("UnitFileState", "unknown")}
        if code != 0:
            out[svc]["error"] = err or f"systemctl exited {code}"
    return ProbeResult("systemd", "degraded" if degraded else "ok", {"services": out}, "one or more services not active" if degraded else None)


def probe_docker() -> ProbeResult:
    sdk_err: str | None = None
    try:
        docker = importlib.import_module("docker")
        client = docker.from_env()
        rows = [{"id": c.short_id, "name": c.name, "image": ",".join(c.image.tags) or c.image.short_id, "status": c.status}
                for c in client.containers.list(all=True)[:DOCKER_MAX]]
        return ProbeResult("docker", "ok", {"containers": rows})
    except ImportError:
        pass
    except Exception as e:  # noqa: BLE001 - the SDK raises many kinds; fall back to the CLI
        sdk_err = f"docker SDK: {e}"
    if shutil.which("docker") is None:
        return ProbeResult("docker", "skipped", error="docker not found (no SDK, no CLI)")
    code, text, err = _run(["docker", "ps", "--all", "--format", "{{json .}}"])
    if code != 0:
        return ProbeResult("docker", "degraded", error=err or f"docker ps exited {code}")
    rows = []
    for line in text.splitlines()[:DOCKER_MAX]:
        try:
            c = json.loads(line)
        except json.JSONDecodeError:
            continue
        rows.append({"id": c.get("ID"), "name": c.get("Names"), "image": c.get("Image"), "status": c.get("Status")})
    return ProbeResult("docker", "ok", {"containers": rows}, sdk_err)


def probe_k8s(namespace: str = "default", selector: str | None = None) -> ProbeResult:
    if shutil.which("kubectl") is None:
        return ProbeResult("k8s", "skipped", {"namespace": namespace}, "kubectl not found")
    argv = ["kubectl", "get", "pods", "-n", namespace, "-o", "json"] + (["-l", selector] if selector else [])
    code, text, err = _run(argv)
    if code != 0:
        return ProbeResult("k8s", "degraded", {"namespace": namespace}, err or f"kubectl exited {code}")
    try:
        items = json.loads(text).get("items", [])[:PODS_MAX]
    except json.JSONDecodeError:
        return ProbeResult("k8s", "degraded", {"namespace": namespace}, "kubectl output is not JSON")
    pods = [{"name": i.get("metadata", {}).get("name"), "phase": i.get("status", {}).get("phase")} for i in items]
    phases: dict[str, int] = {}
    for pod in pods:
        phases[str(pod["phase"])] = phases.get(str(pod["phase"]), 0) + 1
    return ProbeResult("k8s", "ok", {"namespace": namespace, "pods": pods, "phases": phases})


def probe_nvidia() -> ProbeResult:
    if shutil.which("nvidia-smi") is None:
        return ProbeResult("nvidia", "skipped", error="nvidia-smi not found")
    code, text, err = _run(["nvidia-smi", "--query-gpu=index,uuid,name,memory.total,memory.used,utilization.gpu,temperature.gpu",
                            "--format=csv,noheader,nounits"])
    if code != 0:
        return ProbeResult("nvidia", "degraded", error=err or f"nvidia-smi exited {code}")
    devices = []
    for line in text.splitlines()[:GPUS_MAX]:
        f = [x.strip() for x in line.split(",")]
        if len(f) < 7:
            continue

        def num(s: str) -> int | None:
            try:
                return int(float(s))
            except ValueError:
                return None

        devices.append({"index": num(f[0]), "uuid": f[1], "name": f[2], "memory_total_mb": num(f[3]), "memory_used_mb": num(f[4]),
                        "utilization_gpu_pct": num(f[5]), "temperature_c": num(f[6])})
    return ProbeResult("nvidia", "ok", {"devices": devices})


def probe_peft() -> ProbeResult:
    versions: dict[str, str | None] = {}
    for name in PEFT_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = None
    missing = [k for k, v in versions.items() if v is None]
    return ProbeResult("peft", "degraded" if missing else "ok", {"versions": versions}, f"missing: {', '.join(missing)}" if missing else None)


def collect_host_snapshot(
    systemd_services: Sequence[str] = (),
    include_docker: bool = False,
    include_k8s: bool = False,
    include_nvml: bool = False,
    include_peft: bool = False,
    k8s_namespace: str = "default",
    k8s_selector: str | None = None,
) -> HostSnapshot:
    results: dict[str, ProbeResult] = {}
    if systemd_services:
        results["systemd"] = probe_systemd(systemd_services)
    if include_docker:
        results["docker"] = probe_docker()
    if include_k8s:
        results["k8s"] = probe_k8s(k8s_namespace, k8s_selector)
    if include_nvml:
        results["nvidia"] = probe_nvidia()
    if include_peft:
        results["peft"] = probe_peft()
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
    return HostSnapshot(stamp, results)


def snapshot_to_ndjson(snapshot: HostSnapshot) -> str:
    """One sorted-key JSON line per provider, sorted by provider name."""
    rows = []
    for name in sorted(snapshot.results):
        r = snapshot.results[name]
        rows.append(json.dumps({"captured_at_utc": snapshot.captured_at_utc, "data": r.data, "error": r.error,
                                "provider": r.provider, "status": r.status}, sort_keys=True))
    return "".join(row + "\n" for row in rows)
