"""Evidence packs: capture one from a hive, check it for CI, export it as SIEM NDJSON.

The pack layout follows ``coh evidence pack`` (meta.json, bounds.json, summary.json, the /proc,
log and audit files, checksums.json, pack.sha256); surfaces this core does not serve yet
(/host/tickets/*, /proc/lease/preemptions) are recorded as ``missing``, not invented.
``python3 -m cohesix evidence pack --mock --out DIR`` captures one.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import generated as g
from .backends.base import Backend
from .errors import CohesixError

SENSITIVE = ("token", "authorization", "secret", "password", "signing_key", "api_key", "credential", "private_key")
SENSITIVE_EXACT = ("auth_ref", "auth", "ticket")
MAX_SEQ = 2**63 - 1
KIB = 1024


def local_bounds() -> dict[str, Any]:
    """The /v1/meta/bounds document computed from the generated manifest (no gateway needed)."""
    line = g.CONSOLE_LINE_MAX
    return {
        "manifest_sha256": g.MANIFEST_SHA256,
        "secure9p": {"msize": g.CONSOLE_FRAME_MAX, "walk_depth": g.NAMESPACE_WALK_DEPTH},
        "console": {"max_line_len": line, "max_path_len": g.CONSOLE_PATH_MAX, "max_json_len": g.CONSOLE_JSON_MAX,
                    "max_id_len": g.CONSOLE_WORKER_ID_MAX, "max_echo_len": g.CONSOLE_ECHO_MAX, "max_ticket_len": g.CONSOLE_TICKET_MAX},
        "paths": {k: g.PATHS[k] for k in ("queen_ctl", "queen_lifecycle_ctl", "queen_schedule_ctl", "queen_lease_ctl",
                                          "queen_export_ctl", "policy_ctl", "log")},
        "control_plane": {"schedule": {"enable": True, "queue_max_entries": g.GOVERNANCE_SCHEDULE_QUEUE_MAX, "ctl_max_bytes": g.CONSOLE_ECHO_MAX},
                          "lease": {"enable": True, "active_max_entries": g.GOVERNANCE_LEASE_MAX, "preemptions_max_entries": 0,
                                    "ctl_max_bytes": g.CONSOLE_ECHO_MAX},
                          "export": {"enable": True, "ctl_max_bytes": g.CONSOLE_ECHO_MAX}},
        "policy": {"enable": True, "queue_max_entries": g.POLICY_QUEUE_MAX_ENTRIES, "queue_max_bytes": g.POLICY_QUEUE_MAX_ENTRIES * line,
                   "ctl_max_bytes": g.POLICY_CTL_MAX_BYTES},
        "observability": {
            "proc_schedule": {"summary": True, "queue": True, "summary_bytes": 128, "queue_bytes": g.GOVERNANCE_SCHEDULE_QUEUE_MAX * line},
            # This core has no /proc/lease/preemptions: reported disabled, so CI does not demand it.
            "proc_lease": {"summary": True, "active": True, "preemptions": False, "summary_bytes": 160,
                           "active_bytes": g.GOVERNANCE_LEASE_MAX * line, "preemptions_bytes": 0},
        },
        "worker_runtime": None,
    }


def _sensitive_key(k: str) -> bool:
    low = k.lower()
    return low in SENSITIVE_EXACT or any(s in low for s in SENSITIVE)


def redact(value: Any) -> Any:
    """Recursive redaction: tickets hashed, secret-looking keys and values replaced."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if k == "ticket" and isinstance(v, str):
                out[k] = v if v in ("none", "-") or re.fullmatch(r"sha256:[0-9a-f]{64}|[0-9a-f]{16}", v) else "sha256:" + hashlib.sha256(v.encode()).hexdigest()
            elif k == "ticket" or _sensitive_key(k):
                out[k] = "<redacted>"
            else:
                out[k] = redact(v)
        return out
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, str):
        s = value.strip()
        if s[:1] in ("{", "["):
            try:
                return json.dumps(redact(json.loads(s)), separators=(",", ":"))
            except json.JSONDecodeError:
                pass
        words = re.split(r"[\s=:\"']+", value)
        if any(_sensitive_key(w) or w.startswith("cohesix-ticket-") for w in words if w):
            return "<redacted>"
    return value


def _redact_jsonl(lines: list[str], path: str) -> list[str]:
    out = []
    for line in lines:
        try:
            out.append(json.dumps(redact(json.loads(line)), separators=(",", ":")))
        except json.JSONDecodeError as e:
            raise CohesixError(f"{path}: a line is not JSON; refusing to export it unsanitised") from e
    return out


@dataclass(frozen=True)
class EvidencePackSummary:
    pack_dir: str
    captured: int
    missing: int
    errors: int
    pack_sha256: str


@dataclass(frozen=True)
class TimelineSummary:
    pack_dir: str
    events: int


def _write(root: Path, rel: str, text: str) -> None:
    p = root / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")


def seal(root: Path) -> str:
    sums = {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.name not in ("checksums.json", "pack.sha256")}
    text = json.dumps(dict(sorted(sums.items())), indent=2, sort_keys=True)
    (root / "checksums.json").write_text(text, encoding="utf-8")
    digest = hashlib.sha256(text.encode()).hexdigest()
    (root / "pack.sha256").write_text(digest + "\n", encoding="utf-8")
    return digest


# (namespace path, saved as, verb, byte bound, jsonl to redact)
_ITEMS: tuple[tuple[str, str, str, int, bool], ...] = (
    ("/proc/boot", "proc/boot", "CAT", 64 * KIB, False),
    ("/proc/schedule/summary", "proc/schedule/summary", "CAT", 128, False),
    ("/proc/schedule/queue", "proc/schedule/queue", "CAT", g.GOVERNANCE_SCHEDULE_QUEUE_MAX * g.CONSOLE_LINE_MAX, False),
    ("/proc/lease/summary", "proc/lease/summary", "CAT", 160, False),
    ("/proc/lease/active", "proc/lease/active", "CAT", g.GOVERNANCE_LEASE_MAX * g.CONSOLE_LINE_MAX, False),
    ("/proc/lease/preemptions", "proc/lease/preemptions", "CAT", g.GOVERNANCE_LEASE_MAX * g.CONSOLE_LINE_MAX, False),
    # The console's CAT of the log is a summary only; TAIL returns its records.
    (g.PATHS["log"], "log/queen.log", "TAIL", 2048 * 257, False),
    ("/audit/export", "audit/export", "CAT", KIB, False),
    ("/audit/journal", "audit/journal", "CAT", 1024 * KIB, True),
    ("/audit/decisions", "audit/decisions", "CAT", 1024 * KIB, True),
    ("/host/tickets/spec", "host/tickets/spec", "CAT", 128 * KIB, True),
    ("/host/tickets/status", "host/tickets/status", "CAT", 128 * KIB, True),
    ("/host/tickets/deadletter", "host/tickets/deadletter", "CAT", 128 * KIB, True),
    ("/replay/status", "replay/status", "CAT", KIB, False),
)


def export_evidence_pack(backend: Backend, out_dir: str | Path, bounds: dict[str, Any] | None = None) -> EvidencePackSummary:
    root = Path(out_dir)
    root.mkdir(parents=True, exist_ok=True)
    b = bounds if bounds is not None else (backend.bounds() if hasattr(backend, "bounds") else local_bounds())  # type: ignore[attr-defined]
    _write(root, "meta.json", json.dumps({"schema": "cohesix-evidence-pack/meta-v1", "manifest_sha256": b.get("manifest_sha256", g.MANIFEST_SHA256),
                                         "policy_sha256": g.COHSH_POLICY_SHA256, "redaction_ticket": "sha256", "with_telemetry": False}, indent=2) + "\n")
    _write(root, "bounds.json", json.dumps(b, indent=2) + "\n")
    items: list[dict[str, Any]] = []
    for path, rel, verb, limit, jsonl in _ITEMS:
        item: dict[str, Any] = {"path": path, "saved_as": rel, "verb": verb, "status": "captured", "bytes": None, "detail": None}
        try:
            lines = backend.tail_lines(path, limit) if verb == "TAIL" else backend.read_lines(path, limit)
            if jsonl:
                lines = _redact_jsonl(lines, path)
            text = "".join(line + "\n" for line in lines)
            _write(root, rel, text)
            item["bytes"] = len(text.encode())
        except CohesixError as e:
            msg = f"{e} {e.ack or ''}"
            if any(s in msg for s in ("not found", "not-found", "no such file", "invalid-path", "disabled", "does not exist", "404")):
                item.update(status="missing", detail="not-found")
            else:
                code = next((c for c in ("ELIMIT", "EPERM", "EBUSY", "EINVAL", "ETIMEDOUT") if c in msg), None)
                item.update(status="error", detail="capture-error" + (f":{code}" if code else ""))
        items.append(item)
    items.sort(key=lambda i: str(i["saved_as"]))
    counts = {s: sum(1 for i in items if i["status"] == s) for s in ("captured", "missing", "error")}
    _write(root, "summary.json", json.dumps({"schema": "cohesix-evidence-pack/summary-v1", "captured": counts["captured"],
                                            "missing": counts["missing"], "errors": counts["error"], "items": items}, indent=2) + "\n")
    digest = seal(root)
    return EvidencePackSummary(str(root), counts["captured"], counts["missing"], counts["error"], digest)


# -- CI kit ------------------------------------------------------------------------------------
def _seal_errors(root: Path) -> list[str]:
    """A sealed pack (pack.sha256) must match its checksums.json, and that the files, exactly."""
    seal, sums_file = root / "pack.sha256", root / "checksums.json"
    if not seal.is_file():
        return []
    if not sums_file.is_file():
        return ["checksums.json: missing (the pack is sealed)"]
    raw = sums_file.read_bytes()
    if seal.read_text(encoding="utf-8", errors="replace") != hashlib.sha256(raw).hexdigest() + "\n":
        return ["pack.sha256: does not match checksums.json"]
    try:
        sums = json.loads(raw)
    except json.JSONDecodeError:
        return ["checksums.json: not valid JSON"]
    present = {str(p.relative_to(root)) for p in root.rglob("*") if (p.is_file() or p.is_symlink()) and p.name not in ("checksums.json", "pack.sha256")}
    out = []
    for rel in sorted(set(sums) | present):
        p = root / rel
        if rel not in sums:
            out.append(f"{rel}: not in checksums.json")
        elif rel not in present:
            out.append(f"{rel}: missing (listed in checksums.json)")
        elif p.is_symlink() or hashlib.sha256(p.read_bytes()).hexdigest() != sums[rel]:
            out.append(f"{rel}: checksum mismatch")
    return out


def ci_check_pack(pack: str | Path) -> dict[str, Any]:
    root = Path(pack)
    missing: list[str] = []
    errors: list[str] = []

    def need(rel: str) -> Path | None:
        p = root / rel
        if not p.is_file():
            missing.append(rel)
            errors.append(f"{rel}: missing")
            return None
        return p

    for rel in ("meta.json", "bounds.json", "summary.json", "log/queen.log"):
        need(rel)
    errors.extend(_seal_errors(root))
    bounds: dict[str, Any] = {}
    try:
        bounds = json.loads((root / "bounds.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        if "bounds.json" not in missing:
            errors.append("bounds.json: not valid JSON")
    obs = bounds.get("observability", {}) if isinstance(bounds, dict) else {}
    for group, prefix, files in (("proc_schedule", "proc/schedule", ("summary", "queue")),
                                 ("proc_lease", "proc/lease", ("summary", "active", "preemptions"))):
        o = obs.get(group, {}) if isinstance(obs, dict) else {}
        for f in files:
            if not o.get(f):
                continue
            p = need(f"{prefix}/{f}")
            limit = int(o.get(f"{f}_bytes") or 0)
            if p is not None and limit and p.stat().st_size > limit:
                errors.append(f"{prefix}/{f}: size {p.stat().st_size} exceeds bound {limit}")
    if (root / "audit/export").is_file():
        j = need("audit/journal")
        need("audit/decisions")
        if j is not None and "cohesix-ticket-" in j.read_text(encoding="utf-8", errors="replace"):
            errors.append("audit/journal: leaked ticket token")
    rs = root / "replay/status"
    if rs.is_file() and rs.stat().st_size > KIB:
        errors.append(f"replay/status: size {rs.stat().st_size} exceeds bound {KIB}")
    return {"schema": "cohesix-ci-evidence-pack/v1", "pack_dir": str(pack), "ok": not errors, "missing": missing, "errors": errors}


# -- SIEM kit ----------------------------------------------------------------------------------
def _jsonl(p: Path) -> list[dict[str, Any]]:
    if not p.is_file():
        return []
    rows = []
    for line in p.read_text(encoding="utf-8").splitlines():
        if line.strip():
            try:
                v = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(v, dict):
                rows.append(v)
    return rows


def _int(v: Any, default: int = 0) -> int:
    try:
        return int(v)
    except (TypeError, ValueError):
        return default


def parse_lease_line(line: str) -> dict[str, Any] | None:
    kv: dict[str, str] = {}
    for i, tok in enumerate(line.split()):
        if "=" in tok:
            k, v = tok.split("=", 1)
            kv[k] = v
        elif i == 0:
            kv["id"] = tok
    if not all(k in kv for k in ("id", "subject", "resource")):
        return None
    return kv


def siem_rows(pack: str | Path) -> list[dict[str, Any]]:
    root = Path(pack)
    rows: list[dict[str, Any]] = []
    for e in _jsonl(root / "audit/journal"):
        rows.append({"schema": "cohesix-siem-event/v1", "source": "audit/journal", **{k: e.get(k) for k in ("seq", "kind", "path", "outcome", "error", "role", "ticket", "payload")}})
    for e in _jsonl(root / "audit/decisions"):
        rows.append({"schema": "cohesix-siem-event/v1", "source": "audit/decisions", **{k: e.get(k) for k in ("seq", "kind", "path", "outcome", "role", "ticket", "id", "target")}})
    la = root / "proc/lease/active"
    if la.is_file():
        for line in la.read_text(encoding="utf-8").splitlines():
            kv = parse_lease_line(line)
            if kv is None:
                continue
            rows.append({"schema": "cohesix-siem-event/v1", "source": "proc/lease/active", "lease_seq": _int(kv.get("seq")), "id": kv["id"],
                         "subject": kv["subject"], "resource": kv["resource"], "state": kv.get("state"),
                         "ttl_s": _int(kv.get("ttl_s")), "priority": _int(kv.get("priority"))})

    def key(r: dict[str, Any]) -> tuple[int, int, str]:
        seq = r.get("seq")
        lseq = r.get("lease_seq")
        return (seq if isinstance(seq, int) else MAX_SEQ, lseq if isinstance(lseq, int) and "seq" not in r else MAX_SEQ,
                str(r.get("kind") or r.get("source")))

    return sorted(rows, key=key)


def siem_ndjson(pack: str | Path) -> str:
    return "".join(json.dumps(r, sort_keys=True) + "\n" for r in siem_rows(pack))


def write_evidence_timeline(pack: str | Path) -> TimelineSummary:
    """timeline.ndjson + timeline.md from the journal, decisions and active leases; re-seals a sealed pack."""
    root = Path(pack)
    events = []
    for r in siem_rows(root):
        ev = {"schema": "cohesix-evidence-pack/timeline-v1", **{k: v for k, v in r.items() if k != "schema" and v is not None}}
        events.append(ev)
    (root / "timeline.ndjson").write_text("".join(json.dumps(e, separators=(",", ":")) + "\n" for e in events), encoding="utf-8")
    md = ["# Evidence timeline", "", f"events: {len(events)}", ""]
    for e in events:
        if "seq" in e:
            md.append(f"- seq={e['seq']} kind={e.get('kind', '')} source={e['source']} outcome={e.get('outcome', '')} path={e.get('path', '')}")
        elif "lease_seq" in e:
            md.append(f"- lease_seq={e['lease_seq']} id={e.get('id', '')} subject={e.get('subject', '')} resource={e.get('resource', '')} state={e.get('state', '')}")
    (root / "timeline.md").write_text("\n".join(md) + "\n", encoding="utf-8")
    if (root / "pack.sha256").is_file():
        seal(root)
    return TimelineSummary(str(root), len(events))
