"""CohesixClient: coh's verbs over any backend (telemetry push/pull, spawn/kill, PEFT bundles).

Nothing here adds control semantics: every method is a sequence of ls/cat/echo the guest
already understands, with the same bounds cohsh checks.
"""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import generated as g
from .backends.base import Backend
from .errors import CohesixError
from .validate import check_device, check_path, check_token

log = logging.getLogger("cohesix")

TELEMETRY_MIMES = ("text/plain", "application/json", "application/x-ndjson", "text/csv", "application/octet-stream")
PUSH_SCHEMA = "cohsh-telemetry-push/v1"


def escape_json(s: str) -> str:
    """JSON string escaping limited to what the guest's reader accepts (no \\u escapes), as cohsh."""
    out: list[str] = []
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif ord(ch) < 0x20:
            raise CohesixError(f"control character 0x{ord(ch):02x} cannot be sent in a telemetry record")
        else:
            out.append(ch)
    return "".join(out)


def push_record(seq: int, mime: str, payload: str) -> str:
    return f'{{"schema":"{PUSH_SCHEMA}","seq":{seq},"mime":"{mime}","payload":"{escape_json(payload)}"}}'


def chunk_payload(text: str, mime: str, record_max: int) -> list[str]:
    """Splits text into the longest chunks whose records fit ``record_max`` bytes (binary search)."""
    out: list[str] = []
    rest = text
    while rest:
        seq = len(out) + 1
        lo, hi = 0, len(rest)  # lo fits (or is 0), find the largest fitting prefix length
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if len(push_record(seq, mime, rest[:mid]).encode()) <= record_max:
                lo = mid
            else:
                hi = mid - 1
        if lo == 0:
            raise CohesixError(f"telemetry record exceeds console echo max {record_max}" if record_max == g.CONSOLE_ECHO_MAX else f"one character does not fit a {record_max}-byte record")
        out.append(rest[:lo])
        rest = rest[lo:]
    return out


@dataclass(frozen=True)
class TelemetryPushResult:
    device_id: str
    seg_id: str
    records: int
    bytes: int

    def to_dict(self) -> dict[str, Any]:
        return {"device_id": self.device_id, "seg_id": self.seg_id, "records": self.records, "bytes": self.bytes}


class CohesixClient:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    # -- plain verbs ---------------------------------------------------------------------
    def ls(self, path: str) -> list[str]:
        return self.backend.list_dir(path)

    def cat(self, path: str, max_bytes: int = 65536) -> str:
        return self.backend.read_file(path, max_bytes)

    def tail(self, path: str, max_bytes: int = 65536) -> str:
        return self.backend.tail_file(path, max_bytes)

    def echo(self, path: str, line: str) -> str:
        return self.backend.write_append(path, line)

    # -- telemetry -----------------------------------------------------------------------
    def telemetry_push(self, device_id: str, payload: str | bytes, mime: str = "text/plain") -> TelemetryPushResult:
        """cohsh's ``telemetry push``: a new OS-named segment, then the payload as push records."""
        check_device(device_id)
        if mime not in TELEMETRY_MIMES:
            raise CohesixError(f"mime {mime!r} is not one the ingest accepts: {', '.join(TELEMETRY_MIMES)}")
        data = payload.encode("utf-8") if isinstance(payload, str) else payload
        if len(data) > g.TELEMETRY_INGEST_MAX_BYTES_PER_SEGMENT:
            raise CohesixError(f"payload is {len(data)} bytes; a segment holds at most {g.TELEMETRY_INGEST_MAX_BYTES_PER_SEGMENT} (telemetry_ingest.max_bytes_per_segment)")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise CohesixError("telemetry payload is not UTF-8; send binary data base64-encoded") from e
        record_max = min(self.backend.record_max, g.TELEMETRY_INGEST_MAX_RECORD_BYTES)
        pieces = chunk_payload(text, mime, record_max)
        base = f"{g.PATHS['queen_telemetry']}/{device_id}"
        self.backend.write_append(f"{base}/ctl", f'{{"new":"segment","mime":"{mime}"}}')
        latest = self.backend.read_lines(f"{base}/latest", 64)
        if not latest or not latest[0]:
            raise CohesixError(f"cannot read the new segment's name from {base}/latest")
        seg = latest[0].strip()
        for i, piece in enumerate(pieces):
            try:
                self.backend.write_append(f"{base}/seg/{seg}", push_record(i + 1, mime, piece))
            except CohesixError as e:
                raise CohesixError(f"record {i + 1} of {len(pieces)}: {e}", ack=e.ack) from e
        log.info("telemetry push device=%s seg_id=%s records=%d bytes=%d", device_id, seg, len(pieces), len(data))
        return TelemetryPushResult(device_id, seg, len(pieces), len(data))

    def telemetry_pull(self, out_dir: str | Path) -> tuple[int, int, int]:
        """Copies every device's segments to ``out_dir/<device>/<seg>``; returns (devices, segments, bytes)."""
        out = Path(out_dir)
        devices = segments = total = 0
        for dev in self.ls(g.PATHS["queen_telemetry"]):
            seg_dir = f"{g.PATHS['queen_telemetry']}/{dev}/seg"
            try:
                segs = self.ls(seg_dir)
            except CohesixError:
                continue
            devices += 1
            for seg in segs:
                lines = self.backend.read_lines(f"{seg_dir}/{seg}", g.TELEMETRY_INGEST_MAX_BYTES_PER_SEGMENT + 4096)
                body = "".join(line + "\n" for line in lines)
                dest = out / dev / seg
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_text(body, encoding="utf-8")
                segments += 1
                total += len(body.encode())
        return devices, segments, total

    # -- workers -------------------------------------------------------------------------
    def spawn_heartbeat(self, ticks: int, ttl_s: int | None = None, ops: int | None = None) -> str:
        spec: dict[str, Any] = {"spawn": "heartbeat", "ticks": ticks}
        if ttl_s is not None or ops is not None:
            spec["budget"] = {k: v for k, v in (("ttl_s", ttl_s), ("ops", ops)) if v is not None}
        return self.echo(g.PATHS["queen_ctl"], json.dumps(spec, separators=(",", ":")))

    def queen_kill(self, worker_id: str) -> str:
        check_token(worker_id, "worker_id", g.CONSOLE_WORKER_ID_MAX)
        return self.echo(g.PATHS["queen_ctl"], json.dumps({"kill": worker_id}, separators=(",", ":")))

    def gpu_list(self) -> list[str]:
        try:
            return self.ls("/gpu")
        except CohesixError as e:
            raise CohesixError("this hive serves no /gpu (its manifest's [gpu] enable is 0, or this role's view has no /gpu); see docs/GPU.md", ack=e.ack) from e

    # -- PEFT bundles --------------------------------------------------------------------
    def peft_export(self, job_id: str, out_dir: str | Path) -> dict[str, int]:
        """Copies ``/queen/export/lora_jobs/<job>/*`` to ``out_dir/<job>/`` (binary files decoded)."""
        check_token(job_id, "job_id", 57)
        src = f"{g.PATHS['queen_export_jobs']}/{job_id}"
        check_path(src + "/telemetry.cbor")
        dest = Path(out_dir) / job_id
        dest.mkdir(parents=True, exist_ok=True)
        sizes: dict[str, int] = {}
        for name in self.ls(src):
            lines = self.backend.read_lines(f"{src}/{name}", g.EXPORT_TELEMETRY_MAX_BYTES * 2 + 65536)
            data = decode_b64_lines(lines)
            (dest / name).write_bytes(data)
            sizes[name] = len(data)
        return sizes


def decode_b64_lines(lines: list[str]) -> bytes:
    """A console CAT of a binary file is ``b64:`` lines; anything else is text lines."""
    if lines and all(line.startswith("b64:") for line in lines):
        return b"".join(base64.b64decode(line[4:]) for line in lines)
    return "".join(line + "\n" for line in lines).encode("utf-8")
