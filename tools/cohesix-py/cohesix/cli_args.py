"""The backend arguments every bundled example and cohesix-playbook share."""

from __future__ import annotations

import argparse

from .backends.base import Backend
from .backends.fs import FilesystemBackend
from .backends.mock import MockBackend
from .backends.rest import RestBackend
from .backends.tcp import TcpBackend
from .defaults import DEFAULTS
from .errors import CohesixError


def add_backend_args(p: argparse.ArgumentParser, *, rest_flag: str = "--rest") -> None:
    g = p.add_argument_group("backend (pick one; default: the TCP console)")
    g.add_argument("--mock", action="store_true", help="run against a private mock hive (the real core under Node)")
    g.add_argument("--mock-root", default="out/examples/mockfs", help="where the mock keeps its serial log (default %(default)s)")
    g.add_argument("--include-mig", action="store_true", help="--mock: add the reference's MIG-0 (MockMIG, 1024 MB, 14 SMs) to /gpu through the bridge")
    g.add_argument("--mount-root", help="a coh mount of the hive (FilesystemBackend)")
    g.add_argument(rest_flag, dest="rest", metavar="URL", help="hive-gateway base URL, e.g. http://127.0.0.1:8080 (RestBackend)")
    g.add_argument("--tcp-host", default=None, help="console host (default 127.0.0.1)")
    g.add_argument("--tcp-port", type=int, default=None, help="console port (default 31337)")
    g.add_argument("--auth-token", help="TCP: console token; REST: request-auth token (env:NAME / file:/abs/path accepted)")
    g.add_argument("--role", default="queen")
    g.add_argument("--ticket", help="capability ticket for the role (env:NAME / file:/abs/path accepted)")
    g.add_argument("--timeout-s", type=float, default=2.0)
    g.add_argument("--max-retries", type=int, default=DEFAULTS["retry_max_attempts"], help="TCP auth/attach attempts")
    p.add_argument("--out", default="out/examples", help="output directory (default %(default)s)")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object (the default output is JSON already)")


def backend_from_args(a: argparse.Namespace, rest_flag: str = "--rest") -> Backend:
    if a.mock:
        live = [f for f, v in (("--tcp-host", a.tcp_host), ("--tcp-port", a.tcp_port), (rest_flag, a.rest), ("--mount-root", a.mount_root)) if v]
        if live:
            raise CohesixError(f"--mock cannot be combined with live backend flags ({', '.join(live)}); choose one backend")
        return MockBackend(a.mock_root, include_mig=a.include_mig, role=a.role, ticket=a.ticket)
    chosen = [f for f, v in (("--mount-root", a.mount_root), (rest_flag, a.rest)) if v]
    if len(chosen) > 1:
        raise CohesixError(f"choose one backend: {' and '.join(chosen)} were both given")
    if a.mount_root:
        return FilesystemBackend(a.mount_root)
    if a.rest:
        return RestBackend(a.rest, timeout_s=a.timeout_s, auth_token=a.auth_token, ticket=a.ticket)
    return TcpBackend(
        a.tcp_host or "127.0.0.1", a.tcp_port or 31337, auth_token=a.auth_token, role=a.role, ticket=a.ticket,
        timeout_s=a.timeout_s, max_retries=a.max_retries,
    )
