#!/usr/bin/env python3
"""Open an export window, push training telemetry into it, close it and pull the LoRA job bundle.

    python3 tools/cohesix-py/examples/peft_roundtrip.py --mock

The bundle (telemetry.cbor, base_model.ref, policy.toml) lands in <out>/peft_roundtrip/<job>/.
Importing an adapter back (/gpu/models) needs the GPU namespace, which this core does not serve yet.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import _common  # noqa: F401
from _common import fail, write_json

from cohesix import CohesixClient, CohesixError, CohesixOrchestrator, ExportRequest
from cohesix.cli_args import add_backend_args, backend_from_args


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_backend_args(p)
    p.add_argument("--job", default=None, help="export window / job id (default peft-<time>)")
    p.add_argument("--device", default="peft-train", help="telemetry device the training run reports on")
    a = p.parse_args()
    job = a.job or f"peft-{time.time_ns() % 10**12:x}"
    records = "".join(json.dumps({"step": i, "loss": round(2.0 / (i + 1), 4)}) + "\n" for i in range(8))
    try:
        with CohesixOrchestrator(backend_from_args(a)) as orch:
            client = CohesixClient(orch.backend)
            orch.apply_exports([ExportRequest("open", job, ttl_s=900)])
            pushed = client.telemetry_push(a.device, records, mime="application/x-ndjson")
            orch.apply_exports([ExportRequest("close", job, reason="training-complete")])
            sizes = client.peft_export(job, Path(a.out) / "peft_roundtrip")
            status = client.cat("/queen/export/status", 4096)
            audit = orch.audit.lines
    except CohesixError as e:
        return fail("peft_roundtrip", e)
    out = Path(a.out) / "peft_roundtrip"
    write_json(out / "result.json", {"job": job, "telemetry_push": pushed.to_dict(), "bundle": sizes, "export_status": status.splitlines(), "audit": audit})
    print(json.dumps({"job": job, "bundle_dir": str(out / job), "files": sizes}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
