"""Secrets by reference (``env:NAME``, ``file:/abs/path``) and the seed's token resolution order.

Tokens are never logged or put in error messages: messages name the source, not the value.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from . import generated as g
from .errors import CohesixError

MANIFEST_ENV = ("COH_RTC_MANIFEST", "COH_MANIFEST", "COHESIX_MANIFEST")
DEFAULT_MANIFESTS = ("configs/root_task.toml", "configs/root_task_regression.toml")
TCP_TOKEN_ENV = ("COH_AUTH_TOKEN", "COHSH_AUTH_TOKEN")
REST_TOKEN_ENV = ("HIVE_GATEWAY_REQUEST_AUTH_TOKEN", "COHSH_REST_AUTH_TOKEN", "COH_REST_AUTH_TOKEN")
AUTH_HINT = "ERR AUTH: set COH_AUTH_TOKEN (or COHSH_AUTH_TOKEN) or pass --auth-token."


def repo_root() -> Path:
    """The source tree this package sits in (tools/cohesix-py/cohesix -> the repository)."""
    env = os.environ.get("COHESIX_REPO_ROOT")
    return Path(env).resolve() if env else Path(__file__).resolve().parents[3]


def resolve_secret(value: str, what: str) -> str:
    """Returns the secret a value names: ``env:NAME``, ``file:/abs/path``, or the literal."""
    if value.startswith("env:"):
        name = value[4:]
        got = os.environ.get(name)
        if not got:
            raise CohesixError(f"{what}: environment variable {name} (from env:{name}) is not set or empty")
        return got
    if value.startswith("file:"):
        p = Path(value[5:])
        if not p.is_absolute():
            raise CohesixError(f"{what}: file: references need an absolute path, got {value[5:]!r}")
        try:
            text = p.read_text(encoding="utf-8").strip()
        except OSError as e:
            raise CohesixError(f"{what}: cannot read {p}: {e.strerror}") from e
        if not text:
            raise CohesixError(f"{what}: {p} is empty")
        return text
    return value


@dataclass(frozen=True)
class ResolvedToken:
    token: str
    source: str  # e.g. "--auth-token", "manifest configs/root_task.toml", "COH_AUTH_TOKEN"


def find_manifest() -> Path | None:
    for name in MANIFEST_ENV:
        v = os.environ.get(name)
        if v:
            p = Path(v)
            if not p.is_file():
                raise CohesixError(f"{name}={v} does not name a readable manifest file")
            return p
    for rel in DEFAULT_MANIFESTS:
        for base in (Path.cwd(), repo_root()):
            p = base / rel
            if p.is_file():
                return p
    return None


def manifest_token(path: Path) -> str | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as e:
        raise CohesixError(f"cannot read the manifest {path}: {e}") from e
    console = data.get("console")
    tok = console.get("auth_token") if isinstance(console, dict) else None
    return tok if isinstance(tok, str) and tok else None


def placeholder_allowed() -> bool:
    return g.DEVELOPMENT_MANIFEST


def _refuse_placeholder(source: str) -> CohesixError:
    return CohesixError(
        f"the placeholder token '{g.PLACEHOLDER_TOKEN}' (from {source}) is refused: this client was generated from "
        f"a manifest (sha256 {g.MANIFEST_SHA256[:16]}…) that is not the development manifest. {AUTH_HINT}"
    )


def resolve_tcp_token(explicit: str | None) -> ResolvedToken:
    """--auth-token, then the manifest's console token, then COH_AUTH_TOKEN, then COHSH_AUTH_TOKEN."""
    candidates: list[tuple[str, str]] = []
    if explicit:
        candidates.append((resolve_secret(explicit, "--auth-token"), "--auth-token"))
    else:
        m = find_manifest()
        if m is not None:
            tok = manifest_token(m)
            if tok:
                candidates.append((resolve_secret(tok, f"manifest {m}"), f"manifest {m}"))
        for name in TCP_TOKEN_ENV:
            v = os.environ.get(name)
            if v:
                candidates.append((resolve_secret(v, name), name))
    if not candidates:
        raise CohesixError(AUTH_HINT)
    for tok, src in candidates:
        if tok != g.PLACEHOLDER_TOKEN or placeholder_allowed():
            return ResolvedToken(tok, src)
    raise _refuse_placeholder(candidates[0][1])


def resolve_rest_token(explicit: str | None) -> ResolvedToken | None:
    """--auth-token, then HIVE_GATEWAY_REQUEST_AUTH_TOKEN, COHSH_REST_AUTH_TOKEN, COH_REST_AUTH_TOKEN."""
    if explicit:
        return ResolvedToken(resolve_secret(explicit, "--auth-token"), "--auth-token")
    for name in REST_TOKEN_ENV:
        v = os.environ.get(name)
        if v:
            return ResolvedToken(resolve_secret(v, name), name)
    return None
