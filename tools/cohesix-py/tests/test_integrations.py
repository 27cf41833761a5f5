"""Host probes with stand-in CLIs on PATH (systemctl, docker, kubectl, nvidia-smi): parsing,
skipped when absent, degraded on failure or timeout, and the NDJSON envelope."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from cohesix import integrations
from cohesix.integrations import collect_host_snapshot, snapshot_to_ndjson

TOOLS = {
    "systemctl": 'case "$2" in good.service) printf "ActiveState=active\\nSubState=running\\nUnitFileState=enabled\\n";; '
                 '*) printf "ActiveState=failed\\nSubState=failed\\nUnitFileState=enabled\\n";; esac',
    "docker": """echo '{"ID":"abc123","Names":"web","Image":"nginx:1","Status":"Up 2 hours"}'; echo '{"ID":"def456","Names":"db","Image":"pg:16","Status":"Exited (0)"}'""",
    "kubectl": """[ "$7" = "-l" ] && [ "$8" = "app=x" ] || exit 3; echo '{"items":[{"metadata":{"name":"p1"},"status":{"phase":"Running"}},{"metadata":{"name":"p2"},"status":{"phase":"Pending"}},{"metadata":{"name":"p3"},"status":{"phase":"Running"}}]}'""",
    "nvidia-smi": 'echo "0, GPU-aaaa, NVIDIA L4, 23034, 512, 7, 41"',
}


def tools(tmp_path: Path, names: dict[str, str]) -> str:
    d = tmp_path / "bin"
    d.mkdir(exist_ok=True)
    for name, body in names.items():
        p = d / name
        p.write_text(f"#!/bin/sh\n{body}\n")
        p.chmod(0o755)
    return str(d)


def test_probes_parse_the_cli_fallbacks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", tools(tmp_path, TOOLS) + os.pathsep + "/usr/bin:/bin")
    snap = collect_host_snapshot(systemd_services=["good.service", "bad.service"], include_docker=True, include_k8s=True,
                                 include_nvml=True, include_peft=True, k8s_namespace="edge", k8s_selector="app=x")
    r = snap.results
    assert r["systemd"].status == "degraded"
    assert r["systemd"].data["services"]["good.service"] == {"status": "ok", "active": "active", "sub": "running", "unit_file": "enabled"}
    assert r["systemd"].data["services"]["bad.service"]["status"] == "degraded"
    assert r["docker"].data["containers"] == [{"id": "abc123", "name": "web", "image": "nginx:1", "status": "Up 2 hours"},
                                              {"id": "def456", "name": "db", "image": "pg:16", "status": "Exited (0)"}]
    assert r["k8s"].status == "ok" and r["k8s"].data["phases"] == {"Running": 2, "Pending": 1}
    assert r["nvidia"].data["devices"] == [{"index": 0, "uuid": "GPU-aaaa", "name": "NVIDIA L4", "memory_total_mb": 23034,
                                            "memory_used_mb": 512, "utilization_gpu_pct": 7, "temperature_c": 41}]
    assert r["peft"].status == "degraded" and "torch" in (r["peft"].error or "")  # no ML stack installed here
    lines = snapshot_to_ndjson(snap).splitlines()
    assert [json.loads(x)["provider"] for x in lines] == ["docker", "k8s", "nvidia", "peft", "systemd"]
    assert all(list(json.loads(x)) == ["captured_at_utc", "data", "error", "provider", "status"] for x in lines)
    assert snap.captured_at_utc.endswith("Z")


def test_absent_tools_are_skipped_and_hung_ones_time_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    snap = collect_host_snapshot(systemd_services=["x.service"], include_docker=True, include_k8s=True, include_nvml=True)
    assert {k: v.status for k, v in snap.results.items()} == {"systemd": "skipped", "docker": "skipped", "k8s": "skipped", "nvidia": "skipped"}
    monkeypatch.setattr(integrations, "TIMEOUT_S", 0.3)
    monkeypatch.setenv("PATH", tools(tmp_path, {"nvidia-smi": "exec /bin/sleep 5", "docker": "echo boom >&2; exit 1"}))
    snap = collect_host_snapshot(include_docker=True, include_nvml=True)
    assert snap.results["nvidia"].status == "degraded" and "timed out" in (snap.results["nvidia"].error or "")
    assert snap.results["docker"].status == "degraded" and snap.results["docker"].error == "boom"
