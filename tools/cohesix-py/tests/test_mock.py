"""MockBackend runs the real core as a child process and never lets it outlive the client."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cohesix import CohesixError, MockBackend
from cohesix import generated as g

from conftest import PKG, REPO


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as f:
            return "\nState:\tZ" not in f.read()
    except FileNotFoundError:
        return False


def wait_dead(pid: int, timeout_s: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return False


def test_it_is_the_real_core(hive: MockBackend) -> None:
    boot = hive.read_file("/proc/boot", 4096)
    assert g.MANIFEST_SHA256[:16] in boot or "manifest" in boot
    serial = hive.hive.serial_log.read_text()
    assert "Cohesix console ready" in serial and f"manifest.sha256={g.MANIFEST_SHA256}" in serial


def test_close_stops_the_child_by_pid(tmp_path: Path) -> None:
    b = MockBackend(tmp_path, seed=False)
    pid = b.hive.pid
    assert alive(pid)
    b.close()
    assert wait_dead(pid)
    b.close()  # idempotent


def test_child_dies_when_the_client_is_killed(tmp_path: Path) -> None:
    code = ("import sys,time; sys.path.insert(0, sys.argv[1]); from cohesix import MockBackend; "
            "b = MockBackend(sys.argv[2], seed=False); print(b.hive.pid, flush=True); time.sleep(120)")
    p = subprocess.Popen([sys.executable, "-c", code, str(PKG), str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout is not None
        child = int(p.stdout.readline())
        assert alive(child)
        os.kill(p.pid, signal.SIGKILL)  # no atexit, no close(): only the watchdog can stop it
        p.wait(10)
        assert wait_dead(child), f"mock pid {child} outlived its killed client"
    finally:
        if p.poll() is None:
            p.kill()


def test_missing_core_module_says_how_to_build(tmp_path: Path) -> None:
    with pytest.raises(CohesixError, match=r"node build/build.mjs --wasm"):
        MockBackend(tmp_path, wasm=str(tmp_path / "none.wasm"))



def test_include_mig_publishes_mig0_through_the_bridge(tmp_path: Path) -> None:
    """The reference's MockMIG, added by a real gpu-bridge-snapshot/v1 publish next to the core's GPUs."""
    from cohesix.gpu_publish import TELEMETRY_SCHEMA_JSON
    with MockBackend(tmp_path, include_mig=True) as b:
        assert [n for n in b.list_dir("/gpu") if n.startswith(("GPU-", "MIG-"))] == ["GPU-0", "GPU-1", "MIG-0"]
        info = json.loads("\n".join(b.read_lines("/gpu/MIG-0/info", 1024)))
        assert info == {"id": "MIG-0", "name": "MockMIG", "memory_mb": 1024, "sm_count": 14, "driver_version": "mock", "runtime_version": "mock"}
        assert b.read_lines("/gpu/bridge/status", 4096)[0].startswith("state=ok bytes=")
        # The schema Python sends is the TypeScript SDK's (the original's bytes), and the hive serves it.
        ts = subprocess.run([shutil.which("node") or "node", "--import", "tsx", "-e",
                             "import('./host/sdk/gpu/snapshot.ts').then((m) => process.stdout.write(m.TELEMETRY_SCHEMA_JSON))"],
                            cwd=REPO, capture_output=True, text=True, timeout=60, check=True).stdout
        assert ts == TELEMETRY_SCHEMA_JSON
        assert "\n".join(b.read_lines("/gpu/telemetry/schema.json", 4096)) == TELEMETRY_SCHEMA_JSON
    with MockBackend(tmp_path) as b:
        assert "MIG-0" not in b.list_dir("/gpu")
