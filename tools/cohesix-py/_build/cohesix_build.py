"""A PEP 517/660 build backend in the standard library only, so `pip install -e tools/cohesix-py`
works on a machine with no network: pip's isolated build env needs nothing downloaded (no
setuptools or wheel). It builds exactly two things: a wheel of the ``cohesix`` package, and an
editable wheel whose .pth file points at this directory.
"""

from __future__ import annotations

import base64
import hashlib
import os
import tomllib
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((HERE / "pyproject.toml").read_text(encoding="utf-8"))["project"]
NAME, VERSION = PROJECT["name"], PROJECT["version"]
DIST = f"{NAME}-{VERSION}"
TAG = "py3-none-any"


def _metadata() -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {NAME}", f"Version: {VERSION}", f"Summary: {PROJECT['description']}",
             f"Requires-Python: {PROJECT['requires-python']}", f"License: {PROJECT['license']['text']}"]
    for extra, reqs in PROJECT.get("optional-dependencies", {}).items():
        lines.append(f"Provides-Extra: {extra}")
        lines += [f'Requires-Dist: {r}; extra == "{extra}"' for r in reqs]
    lines += ["Description-Content-Type: text/markdown", "", (HERE / "README.md").read_text(encoding="utf-8")]
    return "\n".join(lines)


def _entry_points() -> str:
    scripts = PROJECT.get("scripts", {})
    return "[console_scripts]\n" + "".join(f"{k} = {v}\n" for k, v in scripts.items())


def _dist_info() -> dict[str, bytes]:
    d = f"{DIST}.dist-info"
    return {
        f"{d}/METADATA": _metadata().encode(),
        f"{d}/WHEEL": f"Wheel-Version: 1.0\nGenerator: cohesix_build\nRoot-Is-Purelib: true\nTag: {TAG}\n".encode(),
        f"{d}/entry_points.txt": _entry_points().encode(),
    }


def _write_wheel(directory: str, files: dict[str, bytes]) -> str:
    name = f"{NAME}-{VERSION}-{TAG}.whl"
    record = f"{DIST}.dist-info/RECORD"
    rows = []
    with zipfile.ZipFile(os.path.join(directory, name), "w", zipfile.ZIP_DEFLATED) as z:
        for path, data in sorted(files.items()):
            z.writestr(path, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            rows.append(f"{path},sha256={digest},{len(data)}")
        rows.append(f"{record},,")
        z.writestr(record, "\n".join(rows) + "\n")
    return name


def _package_files() -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for p in sorted((HERE / "cohesix").rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            out[str(p.relative_to(HERE))] = p.read_bytes()
    return out


def get_requires_for_build_wheel(config_settings: object = None) -> list[str]:
    return []


get_requires_for_build_editable = get_requires_for_build_wheel
get_requires_for_build_sdist = get_requires_for_build_wheel


def prepare_metadata_for_build_wheel(metadata_directory: str, config_settings: object = None) -> str:
    for path, data in _dist_info().items():
        target = Path(metadata_directory) / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return f"{DIST}.dist-info"


prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel


def build_wheel(wheel_directory: str, config_settings: object = None, metadata_directory: object = None) -> str:
    return _write_wheel(wheel_directory, {**_package_files(), **_dist_info()})


def build_editable(wheel_directory: str, config_settings: object = None, metadata_directory: object = None) -> str:
    return _write_wheel(wheel_directory, {f"__editable__.{NAME}.pth": f"{HERE}\n".encode(), **_dist_info()})


def build_sdist(sdist_directory: str, config_settings: object = None) -> str:
    import tarfile

    name = f"{DIST}.tar.gz"
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz") as t:
        for rel in ["pyproject.toml", "README.md", "_build/cohesix_build.py", *_package_files()]:
            t.add(HERE / rel, arcname=f"{DIST}/{rel}")
    return name
