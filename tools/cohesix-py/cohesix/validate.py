"""Input checks shared by every backend and request type, bounded by the manifest."""

from __future__ import annotations

import re

from . import generated as g
from .errors import CohesixError

_TOKEN = re.compile(r"^[A-Za-z0-9._-]+$")
_DEVICE = re.compile(r"^[A-Za-z0-9._-]{1,32}$")


def check_token(value: object, field: str, max_bytes: int = 128) -> str:
    """An id: ``[A-Za-z0-9._-]+`` of at most ``max_bytes`` bytes."""
    if not isinstance(value, str) or not value:
        raise CohesixError(f"{field} is required (a token of [A-Za-z0-9._-], at most {max_bytes} bytes)")
    if len(value.encode()) > max_bytes:
        raise CohesixError(f"{field} is {len(value.encode())} bytes; at most {max_bytes} allowed")
    if not _TOKEN.match(value):
        raise CohesixError(f"{field} {value!r} must contain only [A-Za-z0-9._-]")
    return value


def check_positive(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise CohesixError(f"{field} must be an integer > 0, got {value!r}")
    return value


def check_path(path: object, max_bytes: int = g.CONSOLE_PATH_MAX) -> str:
    """An absolute namespace path the guest would accept (console.path_max, namespace bounds)."""
    if not isinstance(path, str) or not path:
        raise CohesixError("path is required (an absolute path such as /proc/boot)")
    if not path.startswith("/"):
        raise CohesixError(f"path {path!r} must be absolute (start with /)")
    if "\x00" in path or any(c in path for c in "\r\n "):
        raise CohesixError(f"path {path!r} must not contain NUL, spaces or line breaks")
    if len(path.encode()) > max_bytes:
        raise CohesixError(f"path is {len(path.encode())} bytes; console.path_max is {max_bytes}")
    if path == "/":
        return path
    parts = path[1:].split("/")
    if any(p in (".", "..") for p in parts):
        raise CohesixError(f"path {path!r}: segments '.' and '..' are not permitted")
    if any(p == "" for p in parts):
        raise CohesixError(f"path {path!r} has an empty component")
    if len(parts) > g.NAMESPACE_WALK_DEPTH:
        raise CohesixError(f"path {path!r} has {len(parts)} components; namespace.walk_depth is {g.NAMESPACE_WALK_DEPTH}")
    for p in parts:
        if len(p.encode()) > g.NAMESPACE_COMPONENT_MAX:
            raise CohesixError(f"path component {p[:16]!r}… exceeds namespace.component_max {g.NAMESPACE_COMPONENT_MAX}")
    return path


def check_device(device: object) -> str:
    if not isinstance(device, str) or not _DEVICE.match(device):
        raise CohesixError(f"device {device!r} must be 1-32 characters of [A-Za-z0-9._-]")
    return device


def check_line(line: str) -> str:
    """One record: a single line (trailing newlines dropped), no other line breaks."""
    if not isinstance(line, str):
        raise CohesixError(f"a control line must be text, got {type(line).__name__}")
    text = line.rstrip("\n")
    if "\n" in text or "\r" in text:
        raise CohesixError("payload must be a single line")
    if text == "":
        raise CohesixError("payload is empty; a record needs at least one byte")
    return text
