#!/usr/bin/env python3
"""Push a telemetry segment (cohsh-telemetry-push/v1 records), then pull every device's segments.

    python3 tools/cohesix-py/examples/telemetry_write_pull.py --mock
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import _common  # noqa: F401
from _common import fail, write_json

from cohesix import CohesixClient, CohesixError
from cohesix.cli_args import add_backend_args, backend_from_args


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_backend_args(p)
    p.add_argument("--device", default="py-demo", help="telemetry device id (1-32 of [A-Za-z0-9._-])")
    p.add_argument("--text", default="temperature=41.5 fan=1800rpm\nthroughput=920fps\n", help="payload to push")
    a = p.parse_args()
    out = Path(a.out) / "telemetry"
    try:
        with backend_from_args(a) as backend:
            client = CohesixClient(backend)
            pushed = client.telemetry_push(a.device, a.text, mime="text/plain")
            devices, segments, nbytes = client.telemetry_pull(out)
    except CohesixError as e:
        return fail("telemetry_write_pull", e)
    doc = {"push": pushed.to_dict(), "pull": {"devices": devices, "segments": segments, "bytes": nbytes, "dir": str(out)}}
    write_json(Path(a.out) / "telemetry_write_pull.json", doc)
    print(json.dumps(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
