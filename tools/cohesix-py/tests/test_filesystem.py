"""FilesystemBackend on a temp tree: paths stay inside the root, bounds hold, appends are records."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cohesix import CohesixError, CohesixOrchestrator, FilesystemBackend, HostTicketRequest, K8sRbacIntent


def test_paths_cannot_escape(tmp_path: Path) -> None:
    root = tmp_path / "mnt"
    (root / "proc").mkdir(parents=True)
    (tmp_path / "secret").write_text("outside\n")
    os.symlink(tmp_path / "secret", root / "proc" / "leak")
    os.symlink(tmp_path, root / "up")
    fs = FilesystemBackend(root)
    with pytest.raises(CohesixError, match="'..'"):
        fs.read_file("/proc/../../secret", 100)
    with pytest.raises(CohesixError, match="escapes the mount root"):
        fs.read_file("/proc/leak", 100)
    with pytest.raises(CohesixError, match="escapes the mount root"):
        fs.write_append("/up/secret", "x")
    assert (tmp_path / "secret").read_text() == "outside\n"
    with pytest.raises(CohesixError, match="absolute"):
        fs.list_dir("proc")


def test_listing_reads_and_bounds(tmp_path: Path) -> None:
    fs = FilesystemBackend(tmp_path, create=True)
    fs.write_append("/log/queen.log", "b-line")
    fs.write_append("/log/queen.log", "a-line\n")  # one trailing newline is the record end, not content
    (tmp_path / "log" / "zz").write_text("")
    (tmp_path / "log" / "aa").write_text("")
    assert fs.list_dir("/log") == ["aa", "queen.log", "zz"]
    assert (tmp_path / "log" / "queen.log").read_text() == "b-line\na-line\n"
    assert fs.read_lines("/log/queen.log", 13) == ["b-line", "a-line"]  # 13 = "b-line\na-line"
    with pytest.raises(CohesixError, match="exceeds max bytes 12"):
        fs.read_lines("/log/queen.log", 12)
    assert fs.tail_lines("/log/queen.log", 7) == ["a-line"]
    with pytest.raises(CohesixError, match="single line"):
        fs.write_append("/log/queen.log", "two\nlines")
    with pytest.raises(CohesixError, match="not found"):
        fs.read_lines("/nope", 10)
    with pytest.raises(CohesixError, match="is not a directory"):
        FilesystemBackend(tmp_path / "missing")


def test_host_tickets_through_a_mount(tmp_path: Path) -> None:
    """The full k8s ticket line (longer than a console ECHO) goes through a mount intact."""
    fs = FilesystemBackend(tmp_path, create=True)
    orch = CohesixOrchestrator(fs)
    intent = K8sRbacIntent("intent-node-1-cordon", "ops-user", "edge-a", "node-1", "cordon")
    res = orch.enqueue_k8s_rbac_tickets([intent])
    line = intent.to_ticket().to_line()
    assert len(line) > 128
    assert (tmp_path / "host/tickets/spec").read_text() == line + "\n"
    assert res[0].bytes_written == len(line) and orch.audit.lines == [f"OK ECHO path=/host/tickets/spec bytes={len(line)}"]
    with pytest.raises(CohesixError, match="not allowlisted"):
        orch.enqueue_host_tickets([HostTicketRequest("t", "k", "rm.rf")])
    big = HostTicketRequest("t", "k", "docker.restart", args={"pad": "x" * 2000})
    with pytest.raises(CohesixError, match="max_line_bytes is 2048"):
        orch.enqueue_host_tickets([HostTicketRequest("ok1", "k", "docker.restart"), big])
    assert (tmp_path / "host/tickets/spec").read_text() == line + "\n"  # a bad batch writes nothing
