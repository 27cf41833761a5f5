"""Shared bits of the bundled examples: import the package from this tree when not installed."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

try:
    import cohesix  # noqa: F401
except ImportError:  # running from a source tree without `pip install -e tools/cohesix-py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def write_json(path: Path, doc: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def fail(prog: str, err: Exception) -> int:
    print(f"{prog}: {err}", file=sys.stderr)
    return 2
