"""RestBackend: hive-gateway's REST projection (``/v1/fs/*``, ``/v1/meta/*``).

Reads (GET) are retried on 429/500/502/503/504 and on connection errors, backing off
200 ms × 2^n up to 2 s with ``Retry-After`` as a floor. Writes (POST) are never retried: a
refused write is reported with the gateway's reason, and a write the gateway marks
``uncertain`` (it may have reached the hive) raises ``UncertainWriteError``.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from .. import generated as g
from ..defaults import DEFAULTS
from ..errors import CohesixError, TransportError, UncertainWriteError
from ..secrets import resolve_rest_token, resolve_secret
from ..validate import check_path
from .base import Backend, check_max_bytes, ok_echo

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
RETRY_AFTER_MAX_S = 30.0


class RestBackend(Backend):
    name = "rest"
    # The gateway forwards each line as one console ECHO.
    record_max = min(g.CONSOLE_ECHO_MAX, g.TELEMETRY_INGEST_MAX_RECORD_BYTES)

    def __init__(
        self,
        base_url: str,
        timeout_s: float = 2.0,
        auth_token: str | None = None,
        ticket: str | None = None,
        max_retries: int = DEFAULTS["retry_max_attempts"],
        sleep: Any = time.sleep,
    ) -> None:
        parsed = urllib.parse.urlparse(base_url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise CohesixError(f"--rest-url must be an http(s) URL such as http://127.0.0.1:8080, got {base_url!r}")
        self.base = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.max_retries = max(1, max_retries)
        tok = resolve_rest_token(auth_token)
        self._token = tok.token if tok else None
        self._ticket = resolve_secret(ticket, "--ticket") if ticket else None
        self._sleep = sleep
        self.retries = 0  # GET retries taken (tests and diagnostics)

    def _headers(self) -> dict[str, str]:
        h = {"accept": "application/json"}
        if self._token:
            h["authorization"] = f"Bearer {self._token}"
            h["x-cohesix-auth"] = self._token
        if self._ticket:
            h["x-cohesix-ticket"] = self._ticket
        return h

    def _once(self, method: str, route: str, body: bytes | None) -> tuple[int, dict[str, str], bytes]:
        headers = self._headers()
        if body is not None:
            headers["content-type"] = "application/json"
        req = urllib.request.Request(self.base + route, data=body, method=method, headers=headers)
        limit = DEFAULTS["rest_response_max_bytes"]
        try:
            with urllib.request.urlopen(req, timeout=self.timeout_s) as r:
                data = r.read(limit + 1)
                status, hdrs = r.status, {k.lower(): v for k, v in r.headers.items()}
        except urllib.error.HTTPError as e:
            data = e.read(limit + 1)
            status, hdrs = e.code, {k.lower(): v for k, v in e.headers.items()}
        if len(data) > limit:
            raise CohesixError(f"{method} {route}: response exceeds {limit} bytes")
        return status, hdrs, data

    def request(self, method: str, route: str, payload: dict[str, object] | None = None) -> dict[str, Any]:
        body = json.dumps(payload, separators=(",", ":")).encode() if payload is not None else None
        retry = method == "GET"
        delay = DEFAULTS["retry_backoff_ms"] / 1000
        attempts = self.max_retries if retry else 1
        for attempt in range(attempts):
            last = attempt + 1 == attempts
            try:
                status, hdrs, data = self._once(method, route, body)
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as e:
                if not retry:
                    raise UncertainWriteError(
                        f"{method} {route}: no answer from the gateway ({e}); the write was not resent "
                        "(read /audit/journal before retrying)"
                    ) from e
                if last:
                    raise TransportError(f"{method} {self.base}{route}: gateway unreachable after {attempts} attempts ({e}); is hive-gateway running?") from e
                self._backoff(delay, None)
                delay = min(delay * 2, DEFAULTS["retry_ceiling_ms"] / 1000)
                continue
            if retry and status in RETRY_STATUS and not last:
                self._backoff(delay, hdrs.get("retry-after"))
                delay = min(delay * 2, DEFAULTS["retry_ceiling_ms"] / 1000)
                continue
            return self._decode(method, route, status, data)
        raise AssertionError("unreachable")

    def _backoff(self, delay: float, retry_after: str | None) -> None:
        self.retries += 1
        floor = 0.0
        if retry_after:
            try:
                floor = min(float(retry_after), RETRY_AFTER_MAX_S)
            except ValueError:
                floor = 0.0
        self._sleep(max(delay, floor))

    def _decode(self, method: str, route: str, status: int, data: bytes) -> dict[str, Any]:
        try:
            doc = json.loads(data.decode("utf-8")) if data else {}
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise CohesixError(f"{method} {route}: HTTP {status} with a body that is not JSON", status=status) from e
        if not isinstance(doc, dict):
            raise CohesixError(f"{method} {route}: HTTP {status} with a JSON body that is not an object", status=status)
        if status == 200 and doc.get("status", "OK") == "OK":
            return doc
        err = str(doc.get("error") or doc.get("ack") or f"HTTP {status}")
        ack = doc.get("ack") if isinstance(doc.get("ack"), str) else None
        if doc.get("uncertain"):
            raise UncertainWriteError(
                f"{method} {route}: {err} — the write may have reached the hive and was not resent (read /audit/journal)",
                ack=ack, status=status,
            )
        hint = ""
        if status == 401:
            hint = " (set HIVE_GATEWAY_REQUEST_AUTH_TOKEN or pass --auth-token)"
        elif status == 429:
            hint = " (the gateway is shedding load; the read was retried, a write never is)"
        raise CohesixError(f"{method} {route} refused (HTTP {status}): {err}{hint}", ack=ack, status=status)

    # -- verbs ---------------------------------------------------------------------------
    def _q(self, **params: object) -> str:
        return "?" + urllib.parse.urlencode({k: str(v) for k, v in params.items()})

    def list_dir(self, path: str) -> list[str]:
        check_path(path)
        return [str(x) for x in self.request("GET", "/v1/fs/ls" + self._q(path=path)).get("lines", [])]

    def read_lines(self, path: str, max_bytes: int) -> list[str]:
        check_path(path)
        doc = self.request("GET", "/v1/fs/cat" + self._q(path=path, max_bytes=max_bytes))
        return check_max_bytes(path, [str(x) for x in doc.get("lines", [])], max_bytes)

    def tail_lines(self, path: str, max_bytes: int) -> list[str]:
        check_path(path)
        doc = self.request("GET", "/v1/fs/tail" + self._q(path=path, max_bytes=max_bytes))
        return check_max_bytes(path, [str(x) for x in doc.get("lines", [])], max_bytes, "tail")

    def _append(self, path: str, line: str) -> str:
        doc = self.request("POST", "/v1/fs/echo", {"path": path, "line": line})
        ack = doc.get("ack")
        return ack if isinstance(ack, str) and ack.startswith("OK ECHO") else ok_echo(path, line)

    def bounds(self) -> dict[str, Any]:
        return self.request("GET", "/v1/meta/bounds")

    def status(self) -> dict[str, Any]:
        return self.request("GET", "/v1/meta/status")
