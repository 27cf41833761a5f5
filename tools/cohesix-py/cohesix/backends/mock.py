"""MockBackend: the project's real core, hosted by Node, as a child process on free ports.

Not a second fake namespace: the same ``out/cohesix.wasm`` QEMU boots answers here, so a mock
run and a live run answer alike. The child is started with ``--tcp-port 0`` (the OS picks free
ports), announces them on stderr (``cohesix-mock: ready console=<port> …``), and is stopped by
pid on ``close()``, at interpreter exit, and — through a pipe it watches plus
PR_SET_PDEATHSIG — when this process dies without cleaning up.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from ..errors import CohesixError
from ..secrets import repo_root
from .tcp import TcpBackend

READY = re.compile(r"cohesix-mock: ready console=(\d+) udp=(\d+) smoke=(\d+) pid=(\d+)")
_PR_SET_PDEATHSIG = 1


def _pdeathsig() -> None:
    """Runs in the child before exec: SIGKILL it when the parent thread dies (Linux only)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


class MockHive:
    """The Node-hosted core as a child process; ``port`` is its console."""

    def __init__(self, root: str | os.PathLike[str] = "out/examples/mockfs", wasm: str | None = None, startup_timeout_s: float = 60.0) -> None:
        self.repo = repo_root()
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        wasm_path = Path(wasm) if wasm else self.repo / "out" / "cohesix.wasm"
        cli = self.repo / "host" / "runtime" / "cli.ts"
        tsx = self.repo / "node_modules" / "tsx" / "dist" / "loader.mjs"
        node = shutil.which("node")
        if node is None:
            raise CohesixError("--mock needs Node.js >= 20 on PATH (the mock runs the real core under Node)")
        if not cli.is_file():
            raise CohesixError(f"--mock runs the core from a Cohesix source tree, and {self.repo} is not one "
                               "(set COHESIX_REPO_ROOT to the tree, or install with pip install -e tools/cohesix-py)")
        if not tsx.is_file():
            raise CohesixError(f"--mock needs the tree's npm packages: run `npm ci` in {self.repo}")
        if not wasm_path.is_file():
            raise CohesixError(f"--mock needs the core module {wasm_path}: run `node build/build.mjs --wasm` in {self.repo}")
        watch_r, self._watch_w = os.pipe()  # the child inherits only the read end
        self.serial_log = self.root / "serial.log"
        self._serial = open(self.serial_log, "wb")
        args = [
            node, "--import", tsx.as_uri(), "--import", (Path(__file__).resolve().parent.parent / "mock_watchdog.mjs").as_uri(),
            str(cli), "--wasm", str(wasm_path), "--tcp-port", "0", "--udp-port", "0", "--smoke-port", "0",
        ]
        env = dict(os.environ, COHESIX_MOCK_WATCH_FD=str(watch_r), NODE_NO_WARNINGS="1")
        try:
            self.proc = subprocess.Popen(
                args, cwd=self.repo, env=env, stdin=subprocess.DEVNULL, stdout=self._serial, stderr=subprocess.PIPE,
                pass_fds=(watch_r,), preexec_fn=_pdeathsig if sys.platform.startswith("linux") else None,
            )
        finally:
            os.close(watch_r)
        self._closed = False
        atexit.register(self.close)
        self.port = self._wait_ready(startup_timeout_s)

    def _wait_ready(self, timeout_s: float) -> int:
        assert self.proc.stderr is not None
        found: list[int] = []
        lines: list[str] = []

        def reader() -> None:
            assert self.proc.stderr is not None
            for raw in self.proc.stderr:
                text = raw.decode("utf-8", "replace").rstrip("\n")
                if not found:
                    m = READY.search(text)
                    if m:
                        found.append(int(m.group(1)))
                        continue
                    lines.append(text)
                # After the ready line, stderr keeps being drained so the child never blocks on it.

        t = threading.Thread(target=reader, daemon=True)
        t.start()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and not found:
            if self.proc.poll() is not None:
                t.join(1.0)
                break
            time.sleep(0.02)
        if not found:
            code = self.proc.poll()
            self.close()
            tail = "\n".join(lines[-10:])
            raise CohesixError(
                f"the mock hive did not become ready ({'exited with ' + str(code) if code is not None else f'no ready line in {timeout_s:.0f} s'}); "
                f"its stderr:\n{tail}\nserial log: {self.serial_log}"
            )
        return found[0]

    @property
    def pid(self) -> int:
        return self.proc.pid

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            os.close(self._watch_w)
        except OSError:
            pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc.stderr is not None:
            self.proc.stderr.close()
        self._serial.close()
        atexit.unregister(self.close)


# Seeded state: what the original MockBackend's tree held, written through the real control
# files (the core itself seeds the mock GPU-0/GPU-1 under /gpu, [gpu] mock_seed).
SEED_LINES: tuple[tuple[str, str], ...] = (
    ("/queen/export/ctl", '{"op":"open","id":"job_8932","ttl_s":86400,"base_model":"vision-base-v1"}'),
    ("/queen/telemetry/device-1/ctl", '{"new":"segment","mime":"application/json"}'),
    ("/queen/telemetry/device-1/seg/seg-000001", '{"seq":1}'),
)


class MockBackend(TcpBackend):
    """A TcpBackend to a private mock hive that it starts and stops."""

    name = "mock"

    def __init__(
        self,
        root: str | os.PathLike[str] = "out/examples/mockfs",
        include_mig: bool = False,
        *,
        seed: bool = True,
        role: str = "queen",
        ticket: str | None = None,
        timeout_s: float = 5.0,
        wasm: str | None = None,
    ) -> None:
        self.hive = MockHive(root, wasm)
        try:
            super().__init__("127.0.0.1", self.hive.port, auth_token=None, role=role, ticket=ticket, timeout_s=timeout_s)
            if seed:
                for path, line in SEED_LINES:
                    self.write_append(path, line)
            if include_mig:
                # The reference's MockMIG next to the GPUs the core seeded, through the real bridge.
                from ..gpu_publish import GpuNode, current_nodes, info_json, publish
                nodes = current_nodes(self) + [GpuNode("MIG-0", info_json("MIG-0", "MockMIG", 1024, 14, "mock", "mock"))]
                publish(self, nodes)
        except BaseException:
            self.hive.close()
            raise

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.hive.close()
