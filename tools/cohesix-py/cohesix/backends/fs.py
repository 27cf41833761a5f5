"""FilesystemBackend: a hive mounted as a tree (``coh mount``), or any directory shaped like one.

Every path is checked like a console path and then resolved inside the root; a path (or a
symlink inside the tree) that would land outside the root is refused.
"""

from __future__ import annotations

import os
from pathlib import Path

from .. import generated as g
from ..errors import CohesixError
from ..validate import check_path
from .base import Backend, check_max_bytes, ok_echo


class FilesystemBackend(Backend):
    name = "filesystem"
    # A mount speaks Secure9P: one append is one write, bounded by the ingest's record size
    # (and by the 9P msize, which is larger).
    record_max = g.TELEMETRY_INGEST_MAX_RECORD_BYTES

    def __init__(self, root: str | os.PathLike[str], *, create: bool = False) -> None:
        r = Path(root)
        if create:
            r.mkdir(parents=True, exist_ok=True)
        if not r.is_dir():
            raise CohesixError(f"--mount-root {r} is not a directory; mount the hive first (coh mount --at {r})")
        self.root = r.resolve()

    def resolve(self, path: str) -> Path:
        check_path(path)
        target = (self.root / path.lstrip("/")).resolve()
        if target != self.root and self.root not in target.parents:
            raise CohesixError(f"path {path} escapes the mount root {self.root}")
        return target

    def list_dir(self, path: str) -> list[str]:
        p = self.resolve(path)
        try:
            return sorted(os.listdir(p))
        except FileNotFoundError as e:
            raise CohesixError(f"LS failed: {path}: not found") from e
        except NotADirectoryError as e:
            raise CohesixError(f"LS failed: {path}: not a directory") from e

    def _read_bytes(self, path: str, max_bytes: int, verb: str) -> bytes:
        if max_bytes <= 0:
            raise CohesixError(f"{verb} {path}: max_bytes must be > 0")
        p = self.resolve(path)
        try:
            with open(p, "rb") as f:
                if verb == "tail":
                    size = f.seek(0, os.SEEK_END)
                    start = max(0, size - max_bytes)
                    cut = False
                    if start > 0:
                        f.seek(start - 1)
                        cut = f.read(1) != b"\n"
                    f.seek(start)
                    data = f.read(max_bytes)
                    # A first line that began before the window is partial: drop it.
                    return data.split(b"\n", 1)[1] if cut and b"\n" in data else (b"" if cut else data)
                data = f.read(max_bytes + 2)
        except FileNotFoundError as e:
            raise CohesixError(f"CAT failed: {path}: not found") from e
        except IsADirectoryError as e:
            raise CohesixError(f"CAT failed: {path}: is a directory") from e
        # A trailing newline ends the last record; it is not content.
        body = data[:-1] if data.endswith(b"\n") else data
        if len(body) > max_bytes:
            raise CohesixError(f"read {path} exceeds max bytes {max_bytes}")
        return data

    def read_lines(self, path: str, max_bytes: int) -> list[str]:
        text = self._read_bytes(path, max_bytes, "read").decode("utf-8", "replace")
        return check_max_bytes(path, text.splitlines(), max_bytes)

    def tail_lines(self, path: str, max_bytes: int) -> list[str]:
        """The last ``max_bytes`` bytes, as whole lines (a line cut at the start is dropped)."""
        return self._read_bytes(path, max_bytes, "tail").decode("utf-8", "replace").splitlines()

    def _append(self, path: str, line: str) -> str:
        p = self.resolve(path)
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            with open(p, "a", encoding="utf-8") as f:
                f.write(line + "\n")
        except OSError as e:
            raise CohesixError(f"ECHO {path} refused: {e.strerror or e}") from e
        return ok_echo(path, line)
