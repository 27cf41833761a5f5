"""Backend selection from the environment (``CohesixOrchestrator.from_env``), in the seed's order."""

from __future__ import annotations

import os

from .backends.base import Backend
from .backends.fs import FilesystemBackend
from .backends.mock import MockBackend
from .backends.rest import RestBackend
from .backends.tcp import TcpBackend
from .defaults import DEFAULTS
from .errors import CohesixError

TRUTHY = ("1", "true", "yes", "on")
REST_URL_ENV = ("COH_REST_URL", "HIVE_GATEWAY_URL", "COHESIX_REST_URL")


def _first(*names: str) -> str | None:
    for n in names:
        v = os.environ.get(n)
        if v:
            return v
    return None


def _int(name: str, value: str | None, default: int) -> int:
    if value is None:
        return default
    try:
        return int(value)
    except ValueError as e:
        raise CohesixError(f"{name}={value!r} is not an integer") from e


def _float(name: str, value: str | None, default: float) -> float:
    if value is None:
        return default
    try:
        return float(value)
    except ValueError as e:
        raise CohesixError(f"{name}={value!r} is not a number") from e


def backend_from_env(include_mig: bool = False) -> Backend:
    """COHESIX_MOCK, then COHESIX_MOUNT_ROOT, then a REST URL, otherwise the TCP console."""
    mock = os.environ.get("COHESIX_MOCK", "").strip().lower() in TRUTHY
    mount = os.environ.get("COHESIX_MOUNT_ROOT")
    rest = _first(*REST_URL_ENV)
    timeout = _float("COHESIX_TIMEOUT_S", os.environ.get("COHESIX_TIMEOUT_S"), 2.0)
    if mock:
        return MockBackend(os.environ.get("COHESIX_MOCK_ROOT") or "out/examples/mockfs", include_mig=include_mig)
    if mount:
        return FilesystemBackend(mount)
    if rest:
        return RestBackend(rest, timeout_s=timeout)
    host = _first("COH_TCP_HOST", "COHSH_TCP_HOST") or "127.0.0.1"
    port_s = _first("COH_TCP_PORT", "COHSH_TCP_PORT")
    return TcpBackend(
        host,
        _int("COH_TCP_PORT", port_s, 31337),
        auth_token=_first("COH_AUTH_TOKEN", "COHSH_AUTH_TOKEN"),
        role=_first("COH_ROLE", "COHSH_ROLE") or "queen",
        ticket=_first("COH_TICKET", "COHSH_TICKET"),
        timeout_s=timeout,
        max_retries=_int("COHESIX_MAX_RETRIES", os.environ.get("COHESIX_MAX_RETRIES"), DEFAULTS["retry_max_attempts"]),
    )
