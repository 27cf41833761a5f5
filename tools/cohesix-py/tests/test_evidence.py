"""Evidence helpers: redaction, the CI kit's refusals, sealing, and generated bounds."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest

from cohesix import FilesystemBackend, export_evidence_pack, write_evidence_timeline
from cohesix import generated as g
from cohesix.evidence import ci_check_pack, redact, siem_rows
from cohesix.backends.mock import MockBackend

from conftest import REPO


def test_redaction() -> None:
    assert redact({"ticket": "cohesix-ticket-abc"})["ticket"].startswith("sha256:")
    assert redact({"ticket": "-", "auth_token": "x", "nested": {"api_key": "k", "ok": 1}}) == \
        {"ticket": "-", "auth_token": "<redacted>", "nested": {"api_key": "<redacted>", "ok": 1}}
    assert redact({"payload": '{"password":"p","a":1}'})["payload"] == '{"password":"<redacted>","a":1}'
    assert redact("token=abc") == "<redacted>" and redact("plain words") == "plain words"


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory, hive: MockBackend) -> Path:
    d = tmp_path_factory.mktemp("pack")
    s = export_evidence_pack(hive, d)
    assert s.errors == 0 and s.captured >= 9
    return d


def test_pack_layout_and_seal(pack: Path) -> None:
    summary = json.loads((pack / "summary.json").read_text())
    status = {i["saved_as"]: i["status"] for i in summary["items"]}
    assert status["proc/lease/preemptions"] == "missing" and status["host/tickets/spec"] == "captured"
    assert status["audit/journal"] == status["log/queen.log"] == status["proc/boot"] == "captured"
    assert [i["saved_as"] for i in summary["items"]] == sorted(i["saved_as"] for i in summary["items"])
    meta = json.loads((pack / "meta.json").read_text())
    assert meta["manifest_sha256"] == g.MANIFEST_SHA256 and meta["policy_sha256"] == g.COHSH_POLICY_SHA256
    sums = json.loads((pack / "checksums.json").read_text())
    assert "summary.json" in sums and "pack.sha256" not in sums
    t = write_evidence_timeline(pack)
    assert t.events == len(siem_rows(pack)) and (pack / "timeline.md").read_text().startswith("# Evidence timeline\n\nevents: ")
    assert "timeline.ndjson" in json.loads((pack / "checksums.json").read_text())  # re-sealed


def test_ci_kit_refusals(pack: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(pack, bad)
    (bad / "log/queen.log").unlink()
    (bad / "proc/lease/active").write_text("x" * (g.GOVERNANCE_LEASE_MAX * g.CONSOLE_LINE_MAX + 1))
    with open(bad / "audit/journal", "a") as f:
        f.write('{"seq":99,"payload":"cohesix-ticket-leak"}\n')
    doc = ci_check_pack(bad)
    assert doc["ok"] is False and doc["missing"] == ["log/queen.log"]
    assert doc["errors"] == ["log/queen.log: missing",
                             # The pack is sealed: each edit also breaks its checksums.
                             "audit/journal: checksum mismatch",
                             "log/queen.log: missing (listed in checksums.json)",
                             "proc/lease/active: checksum mismatch",
                             f"proc/lease/active: size {g.GOVERNANCE_LEASE_MAX * g.CONSOLE_LINE_MAX + 1} exceeds bound {g.GOVERNANCE_LEASE_MAX * g.CONSOLE_LINE_MAX}",
                             "audit/journal: leaked ticket token"]


def test_ci_kit_finds_one_tampered_byte(pack: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(pack, bad)
    assert ci_check_pack(bad)["ok"] is True
    b = bytearray((bad / "proc/boot").read_bytes())
    b[0] ^= 1
    (bad / "proc/boot").write_bytes(bytes(b))
    assert ci_check_pack(bad)["errors"] == ["proc/boot: checksum mismatch"]
    (bad / "pack.sha256").write_text("0" * 64 + "\n")
    assert ci_check_pack(bad)["errors"] == ["pack.sha256: does not match checksums.json"]


def test_pack_from_a_mounted_tree(tmp_path: Path) -> None:
    root = tmp_path / "mnt"
    (root / "proc/lease").mkdir(parents=True)
    (root / "proc/lease/active").write_text("l1 subject=queen resource=gpu0 priority=3 expires_ms=9\n")
    s = export_evidence_pack(FilesystemBackend(root), tmp_path / "pack")
    assert s.captured == 1 and s.errors == 0
    rows = siem_rows(tmp_path / "pack")
    assert rows == [{"schema": "cohesix-siem-event/v1", "source": "proc/lease/active", "lease_seq": 0, "id": "l1", "subject": "queen",
                     "resource": "gpu0", "state": None, "ttl_s": 0, "priority": 3}]


def test_generated_matches_the_manifest() -> None:
    m = tomllib.loads((REPO / "configs/root_task.toml").read_text())
    for section, fields in g.MANIFEST.items():
        for key, value in fields.items():
            assert m[section][key] == value, f"{section}.{key}"
            assert getattr(g, f"{section}_{key}".upper()) == value
    assert "auth_token" not in g.MANIFEST["console"]  # secrets are never emitted
    assert g.DEVELOPMENT_MANIFEST is (m["console"]["auth_token"] == g.PLACEHOLDER_TOKEN)
