"""The bundled examples, run as a user runs them (python3 tools/cohesix-py/examples/…), on --mock,
and the CI/SIEM kits over a pack captured from a mock hive."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import PKG, run_py

EX = PKG / "examples"


def test_lease_run(tmp_path: Path) -> None:
    r = run_py([str(EX / "lease_run.py"), "--mock", "--mock-root", str(tmp_path / "m"), "--out", str(tmp_path)])
    assert r.returncode == 0, r.stderr
    doc = json.loads((tmp_path / "lease_run/result.json").read_text())
    assert doc["proc_snapshot"]["lease_active"][0].startswith("lease-edge-1 subject=queen resource=gpu0 priority=6")
    assert doc["audit"][:2] == [f"OK ECHO path=/queen/schedule/ctl bytes={len(doc['writes'][0]['payload'])}",
                                f"OK ECHO path=/queen/lease/ctl bytes={len(doc['writes'][1]['payload'])}"]
    assert (tmp_path / "lease_run/audit.txt").read_text().splitlines() == doc["audit"]


def test_peft_roundtrip(tmp_path: Path) -> None:
    r = run_py([str(EX / "peft_roundtrip.py"), "--mock", "--mock-root", str(tmp_path / "m"), "--out", str(tmp_path), "--job", "job-42"])
    assert r.returncode == 0, r.stderr
    bundle = tmp_path / "peft_roundtrip/job-42"
    assert (bundle / "base_model.ref").read_text() == "base_model=cohesix/base@v1\n"
    policy = (bundle / "policy.toml").read_text()
    assert 'id = "job-42"' in policy and "training-complete" in policy
    doc = json.loads((tmp_path / "peft_roundtrip/result.json").read_text())
    n = doc["telemetry_push"]["records"]
    # Every record pushed while the window was open is in the bundle, and its size is the file's.
    assert f"records = {n}\n" in policy and "dropped = 0\n" in policy
    assert f"bytes = {len((bundle / 'telemetry.cbor').read_bytes())}\n" in policy
    assert any("window id=job-42 state=closed" in s for s in doc["export_status"])


def test_telemetry_write_pull(tmp_path: Path) -> None:
    r = run_py([str(EX / "telemetry_write_pull.py"), "--mock", "--mock-root", str(tmp_path / "m"), "--out", str(tmp_path), "--device", "dev-7"])
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["push"] == {"device_id": "dev-7", "seg_id": "seg-000001", "records": 1, "bytes": 47}
    pulled = (tmp_path / "telemetry/dev-7/seg-000001").read_text().splitlines()
    rec = json.loads(pulled[0])
    assert rec["payload"] == "temperature=41.5 fan=1800rpm\nthroughput=920fps\n" and rec["seq"] == 1
    # The mock's seeded device is there too (the original MockBackend's device-1 segment).
    assert (tmp_path / "telemetry/device-1/seg-000001").read_text() == '{"seq":1}\n'


def test_use_case_playbook_dry_run(tmp_path: Path) -> None:
    r = run_py([str(EX / "use_case_playbook.py"), "--playbook", "mixed-logistics-digital-twin", "--dry-run", "--mock",
                "--mock-root", str(tmp_path / "m"), "--out", str(tmp_path)])
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / "playbooks/mixed-logistics-digital-twin/report.json").read_text())
    assert rep["dry_run"] is True and rep["plan_execution"]["lease_writes"] == []


def test_mock_refuses_live_flags(tmp_path: Path) -> None:
    r = run_py([str(EX / "lease_run.py"), "--mock", "--mount-root", str(tmp_path)])
    assert r.returncode == 2 and "--mock cannot be combined with live backend flags (--mount-root)" in r.stderr


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("ev") / "mock"
    r = run_py(["-m", "cohesix", "evidence", "pack", "--mock", "--mock-root", str(d.parent / "m"), "--out", str(d)])
    assert r.returncode == 0, r.stderr
    return d


def test_ci_evidence_pack(pack: Path, tmp_path: Path) -> None:
    out = pack / "ci_summary.json"
    r = run_py([str(EX / "ci_evidence_pack.py"), "--pack", str(pack), "--out", str(out)])
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(out.read_text()) == {"schema": "cohesix-ci-evidence-pack/v1", "pack_dir": str(pack), "ok": True, "missing": [], "errors": []}
    r = run_py([str(EX / "ci_evidence_pack.py"), "--pack", str(tmp_path / "nope")])
    assert r.returncode == 2 and "python3 -m cohesix evidence pack --mock --out" in r.stderr


def test_siem_export_ndjson(pack: Path) -> None:
    out1, out2 = pack.parent / "siem1.ndjson", pack.parent / "siem2.ndjson"
    for out in (out1, out2):
        r = run_py([str(EX / "siem_export_ndjson.py"), "--pack", str(pack), "--out", str(out)])
        assert r.returncode == 0, r.stderr
    assert out1.read_bytes() == out2.read_bytes()
    rows = [json.loads(x) for x in out1.read_text().splitlines()]
    assert rows and all(r["schema"] == "cohesix-siem-event/v1" for r in rows)
    assert [r["seq"] for r in rows if r["source"] == "audit/journal"] == sorted(r["seq"] for r in rows if r["source"] == "audit/journal")
    assert rows[0]["path"] == "/queen/export/ctl" and rows[0]["ticket"] == "-"
    assert out1.read_text().endswith("\n")
