"""Against a core built from configs/root_task_regression.toml (which gates /queen/ctl): a gated
write without an approval is refused with a hint, and a playbook's approval is consumed by the
one write it allows."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from cohesix import CohesixClient, CohesixError, CohesixOrchestrator, execute_playbook, load_playbook
from cohesix.backends.mock import MockBackend

from conftest import REPO


@pytest.fixture(scope="module")
def regression_wasm() -> Path:
    """build/variant.mjs --wasm into out/test/regression-python (rebuilt when the default core is newer)."""
    out = REPO / "out/test/regression-python"
    wasm = out / "cohesix.wasm"
    main = REPO / "out/cohesix.wasm"
    if not wasm.is_file() or (main.is_file() and main.stat().st_mtime > wasm.stat().st_mtime):
        r = subprocess.run(["node", "build/variant.mjs", "configs/root_task_regression.toml", "--out", str(out), "--wasm"],
                           cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
        assert r.returncode == 0, r.stdout + r.stderr
    return wasm


def test_playbook_approval_is_consumed_by_the_gated_write(regression_wasm: Path, tmp_path: Path) -> None:
    with MockBackend(tmp_path / "mock", seed=False, wasm=str(regression_wasm)) as hive:
        client = CohesixClient(hive)
        hive.write_append("/queen/lifecycle/ctl", "resume")  # the regression manifest boots into BOOTING
        with pytest.raises(CohesixError, match=r"detail=denied.*EPERM.*policy gating may require an approval in /actions/queue"):
            client.spawn_heartbeat(ticks=1)
        rid = "0xabc"
        rep = execute_playbook(load_playbook("mac-release-factory"), CohesixOrchestrator(hive), run_id=rid, host_snapshot=False)
        assert len(rep.plan_execution.approval_writes) == 3
        status = f"/actions/approve-queen-ctl-{rid}/status"
        assert json.loads(hive.read_file(status, 512))["state"] == "queued"
        assert client.spawn_heartbeat(ticks=1).startswith("OK ECHO path=/queen/ctl")
        assert json.loads(hive.read_file(status, 512))["state"] == "consumed"
        with pytest.raises(CohesixError, match="EPERM"):
            client.spawn_heartbeat(ticks=1)  # one approval, one write
