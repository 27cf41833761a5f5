"""The nine playbooks: the reference's exact control lines, dry runs that write nothing, live runs
against the real core (effects visible in /proc and /queen/export), and the CLI's report layout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cohesix import CohesixOrchestrator, execute_playbook, load_playbook, playbook_ids
from cohesix.backends.mock import MockBackend
from cohesix.playbooks import write_report

from conftest import run_py

APPROVALS = ['{"id":"approve-queen-ctl","target":"/queen/ctl","decision":"approve"}',
             '{"id":"approve-schedule","target":"/queen/schedule/ctl","decision":"approve"}',
             '{"id":"approve-lease","target":"/queen/lease/ctl","decision":"approve"}']


def S(i: str, role: str, p: int, t: int, b: int) -> str:
    return f'{{"id":"{i}","role":"{role}","priority":{p},"ticks":{t},"budget_ms":{b}}}'


def G(i: str, ttl: int, p: int) -> str:
    return f'{{"op":"grant","id":"{i}","subject":"queen","resource":"gpu0","ttl_s":{ttl},"priority":{p}}}'


def Q(a: int, p: int) -> str:
    return f'{{"op":"quota","subject":"queen","resource":"gpu0","max_active":{a},"max_preemptions":{p}}}'


def O(i: str, ttl: int) -> str:
    return f'{{"op":"open","id":"{i}","ttl_s":{ttl}}}'


# The reference's table (gpu-coh-sidecar-cas-ui-py.md §6.5), written out independently of the package.
EXPECTED: dict[str, tuple[list[str], list[str], list[str], str]] = {
    "mac-release-factory": ([S("mac-rel-wave-1", "worker-heartbeat", 4, 10, 250), S("mac-rel-wave-2", "worker-heartbeat", 5, 12, 300)], [], [], "mac-release-audit"),
    "mac-private-peft-grid": ([S("mac-peft-train-1", "worker-lora", 6, 8, 200)], [G("mac-peft-lease-1", 600, 6)], [O("mac-peft-export", 900)], "mac-peft-audit"),
    "mac-endpoint-compliance": ([S("mac-comp-scan", "worker-heartbeat", 5, 6, 180)], [Q(2, 4)], [], "mac-compliance-audit"),
    "jetson-traffic-safety": ([S("jetson-traffic-wave-1", "worker-gpu", 7, 8, 160)], [G("jetson-traffic-lease", 300, 7)], [], "jetson-traffic-audit"),
    "jetson-manufacturing-safety": ([S("jetson-qa-line-1", "worker-gpu", 8, 10, 190)], [G("jetson-qa-lease", 420, 8), Q(8, 8)], [], "jetson-factory-audit"),
    "jetson-critical-infra": ([S("jetson-infra-scan", "worker-gpu", 9, 12, 220)], [G("jetson-infra-lease", 480, 9)], [O("jetson-infra-export", 1200)], "jetson-infra-audit"),
    "mixed-closed-loop-ai-factory": ([S("mixed-train-wave", "worker-gpu", 6, 9, 210), S("mixed-infer-wave", "worker-heartbeat", 5, 9, 180)],
                                     [G("mixed-lease-1", 540, 6)], [O("mixed-export", 900)], "mixed-closed-loop-audit"),
    "mixed-medical-edge-ai": ([S("medical-edge-wave", "worker-gpu", 9, 6, 160)], [G("medical-lease-1", 360, 9), Q(2, 2)], [O("medical-export", 1800)], "mixed-medical-audit"),
    "mixed-logistics-digital-twin": ([S("logistics-plan-wave", "worker-heartbeat", 6, 7, 175), S("logistics-edge-wave", "worker-gpu", 7, 7, 175)],
                                     [G("logistics-lease-1", 420, 7), '{"op":"preempt","id":"logistics-lease-1","reason":"maintenance"}'], [], "mixed-logistics-audit"),
}


def suffix(line: str, rid: str) -> str:
    obj = json.loads(line)
    if "id" in obj:
        obj["id"] = f"{obj['id']}-{rid}"
    return json.dumps(obj, separators=(",", ":"))


def test_catalogue_matches_the_reference() -> None:
    assert playbook_ids() == sorted(EXPECTED) and playbook_ids()[0] == "jetson-critical-infra"
    for pid, (sched, leases, exports, device) in EXPECTED.items():
        pb = load_playbook(pid)
        assert [a.to_line() for a in pb.plan.approvals] == APPROVALS
        assert [s.to_line() for s in pb.plan.schedule] == sched
        assert [le.to_line() for le in pb.plan.leases] == leases
        assert [e.to_line() for e in pb.plan.exports] == exports
        assert pb.telemetry_device == device


def test_cli_list_and_unknown_id() -> None:
    r = run_py(["-m", "cohesix.playbook_cli", "--list"])
    assert r.returncode == 0
    doc = json.loads(r.stdout)
    assert [d["playbook_id"] for d in doc] == sorted(EXPECTED)
    assert doc[0]["plan"]["exports"] == [{"op": "open", "id": "jetson-infra-export", "ttl_s": 1200}]
    r = run_py(["-m", "cohesix.playbook_cli", "--playbook", "nope", "--dry-run", "--mock"])
    assert r.returncode == 2
    assert r.stderr.strip() == f"cohesix-playbook: unknown playbook 'nope'. expected one of: {', '.join(sorted(EXPECTED))}"
    r = run_py(["-m", "cohesix.playbook_cli", "--mock", "--tcp-port", "31337", "--rest-url", "http://127.0.0.1:1"])
    assert r.returncode == 2 and "--mock cannot be combined with live backend flags (--tcp-port, --rest-url)" in r.stderr


def test_every_dry_run_writes_nothing(hive: MockBackend, tmp_path: Path) -> None:
    before = hive.read_lines("/audit/journal", 1 << 20)
    for pid in playbook_ids():
        orch = CohesixOrchestrator(hive)
        rep = execute_playbook(load_playbook(pid), orch, dry_run=True, host_snapshot=False)
        assert rep.run_id is None and rep.proc_snapshot is None and rep.telemetry_push is None
        assert all(v == [] for v in rep.plan_execution.to_dict().values()) and rep.audit_lines == []
    assert hive.read_lines("/audit/journal", 1 << 20) == before
    r = run_py(["-m", "cohesix.playbook_cli", "--playbook", "mac-release-factory", "--dry-run", "--mock",
                "--mock-root", str(tmp_path / "m"), "--out", str(tmp_path / "pb")])
    assert r.returncode == 0, r.stderr
    paths = json.loads(r.stdout)
    assert paths == {"report": str(tmp_path / "pb/mac-release-factory/report.json"), "audit": str(tmp_path / "pb/mac-release-factory/audit.txt")}
    rep = json.loads(Path(paths["report"]).read_text())
    assert rep["dry_run"] is True and rep["run_id"] is None and rep["telemetry_push"] is None
    assert sorted(rep) == ["dry_run", "fleet", "host_snapshot", "objective", "plan_execution", "playbook_id", "proc_snapshot", "run_id", "telemetry_push", "title"]
    assert Path(paths["audit"]).read_text() == ""


# Groups that can share one hive (lease quotas and the four export windows would otherwise collide).
GROUPS = [["mac-endpoint-compliance", "mac-release-factory", "mixed-medical-edge-ai"],
          ["jetson-manufacturing-safety", "jetson-critical-infra", "jetson-traffic-safety", "mixed-logistics-digital-twin"],
          ["mac-private-peft-grid", "mixed-closed-loop-ai-factory"]]


@pytest.mark.parametrize("group", GROUPS, ids=["a", "b", "c"])
def test_live_runs_against_the_core(group: list[str], tmp_path: Path) -> None:
    scheduled = 0
    with MockBackend(tmp_path / "mock", seed=False) as hive:
        for i, pid in enumerate(group):
            rid = f"0x{1000 + i:x}"
            orch = CohesixOrchestrator(hive)
            rep = execute_playbook(load_playbook(pid), orch, run_id=rid)
            sched, leases, exports, device = EXPECTED[pid]
            ex = rep.plan_execution
            assert [w.payload for w in ex.approval_writes] == [suffix(a, rid) for a in APPROVALS]
            assert [w.payload for w in ex.schedule_writes] == [suffix(s, rid) for s in sched]
            assert [w.payload for w in ex.lease_writes] == [suffix(le, rid) for le in leases]
            assert [w.payload for w in ex.export_writes] == [suffix(e, rid) for e in exports]
            writes = ex.approval_writes + ex.schedule_writes + ex.lease_writes + ex.export_writes
            assert rep.audit_lines[: len(writes)] == [f"OK ECHO path={w.path} bytes={w.bytes_written}" for w in writes]
            # The guest shows the effect.
            scheduled += len(sched)
            counts = dict(kv.split("=") for kv in hive.read_file("/proc/schedule/summary", 256).split())
            # Short jobs may already have run: every accepted entry is queued, active or done.
            assert int(counts["queued"]) + int(counts["active"]) + int(counts["completed"]) + int(counts["over_budget"]) >= scheduled
            active = "\n".join(hive.read_lines("/proc/lease/active", 1 << 16))
            for le in leases:
                obj = json.loads(le)
                if obj["op"] == "grant" and pid != "mixed-logistics-digital-twin":
                    assert f"{obj['id']}-{rid} subject=queen resource=gpu0 priority={obj['priority']}" in active
            if pid == "mixed-logistics-digital-twin":
                assert f"logistics-lease-1-{rid} " not in active  # granted, then preempted
                assert "preempted=1" in hive.read_file("/proc/lease/summary", 256)
            status = hive.read_file("/queen/export/status", 4096)
            for e in exports:
                assert f"window id={json.loads(e)['id']}-{rid} state=open" in status
            req = hive.read_lines("/policy/preflight/req", 1 << 16)
            # The development manifest gates nothing, so the approvals stay queued (unmatched).
            assert f"req id=approve-schedule-{rid} target=/queen/schedule/ctl decision=allow state=queued" in req
            push = rep.telemetry_push
            assert push is not None and push["device_id"] == device
            seg = hive.read_lines(f"/queen/telemetry/{device}/seg/{push['seg_id']}", 1 << 16)
            assert len(seg) == push["records"] and json.loads(seg[0])["schema"] == "cohsh-telemetry-push/v1"
            assert rep.audit_lines[-1] == f"OK TELEMETRY action=push device={device} seg_id={push['seg_id']} records={push['records']} bytes={push['bytes']}"
            rp, ap = write_report(rep, tmp_path / "out")
            doc = json.loads(rp.read_text())
            assert doc["run_id"] == rid and doc["proc_snapshot"]["missing"] == ["/proc/lease/preemptions"]
            assert set(doc["host_snapshot"]["results"]) <= {"systemd", "docker", "k8s", "nvidia", "peft"}
            assert ap.read_text() == "".join(line + "\n" for line in rep.audit_lines)


def test_cli_live_run_with_generated_run_id(tmp_path: Path) -> None:
    r = run_py(["-m", "cohesix.playbook_cli", "--playbook", "jetson-traffic-safety", "--mock", "--mock-root", str(tmp_path / "m"),
                "--out", str(tmp_path / "pb"), "--no-host-snapshot"])
    assert r.returncode == 0, r.stderr
    rep = json.loads((tmp_path / "pb/jetson-traffic-safety/report.json").read_text())
    rid = rep["run_id"]
    assert rid.startswith("0x") and int(rid, 16) > 0
    assert rep["plan_execution"]["lease_writes"][0]["payload"] == suffix(G("jetson-traffic-lease", 300, 7), rid)
    assert rep["host_snapshot"] is None and rep["telemetry_push"] is None
    assert any(line.startswith(f"jetson-traffic-lease-{rid} subject=queen") for line in rep["proc_snapshot"]["lease_active"])
