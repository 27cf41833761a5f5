"""A FAKE hive-gateway for RestBackend tests, until the real one (host/hive-gateway) is on main.

Stateful and faithful where the client can tell: it serves the /v1/fs/* and /v1/meta/bounds
routes with the real gateway's body shape ({status, verb, path, end, lines?, bytes?, ack?,
error?, seg_id?}), maps console ERR lines to 4xx as the real one does (never a 200), and is
backed by a real hive (a console session to a mock core), so reads and writes have real effects.
Tests queue injected failures (429 + Retry-After, 503, uncertain writes) per method.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cohesix import CohesixError, TcpBackend
from cohesix.evidence import local_bounds

TOKEN = "fake-request-token"


def console_status(ack: str) -> int:
    words = ack.split()
    kv = {w.split("=", 1)[0]: w.split("=", 1)[1] for w in words if "=" in w}
    if len(words) > 1 and words[1] == "PARSE":
        return 400
    if kv.get("reason") in ("quota", "busy"):
        return 429
    if kv.get("detail") == "not-found":
        return 404
    if kv.get("detail") in ("invalid-path", "invalid-payload", "window-closed"):
        return 400
    return 403


class FakeGateway:
    def __init__(self, upstream_port: int) -> None:
        self.upstream = TcpBackend("127.0.0.1", upstream_port)
        self.lock = threading.Lock()
        self.inject: dict[str, list[tuple[int, dict[str, str], dict[str, Any]]]] = {"GET": [], "POST": []}
        self.requests: list[tuple[str, str]] = []
        gw = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                gw.handle(self, "GET")

            def do_POST(self) -> None:
                gw.handle(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def handle(self, h: Any, method: str) -> None:
        u = urllib.parse.urlparse(h.path)
        q = {k: v[0] for k, v in urllib.parse.parse_qs(u.query).items()}
        body: dict[str, Any] = {}
        if method == "POST":
            body = json.loads(h.rfile.read(int(h.headers.get("content-length", "0"))) or b"{}")
        self.requests.append((method, u.path))
        path = str(q.get("path") or body.get("path") or "")
        if self.inject[method]:
            status, headers, extra = self.inject[method].pop(0)
            h._send(status, {"status": "ERR", "verb": "HTTP", "path": path, "end": True, "error": f"injected {status}", **extra}, headers)
            return
        if u.path == "/v1/meta/bounds":
            h._send(200, local_bounds())
            return
        auth = h.headers.get("authorization", "")
        if auth != f"Bearer {TOKEN}" or h.headers.get("x-cohesix-auth") != TOKEN:
            h._send(401, {"status": "ERR", "verb": "AUTH", "path": path, "end": True, "error": "invalid request auth token"})
            return
        verb = {"/v1/fs/ls": "LS", "/v1/fs/cat": "CAT", "/v1/fs/tail": "TAIL", "/v1/fs/echo": "ECHO"}.get(u.path)
        if verb is None:
            h._send(404, {"status": "ERR", "verb": "HTTP", "path": u.path, "end": True, "error": f"no route {method} {u.path}"})
            return
        if verb in ("CAT", "TAIL") and not int(q.get("max_bytes", "0")):
            h._send(400, {"status": "ERR", "verb": verb, "path": path, "end": True, "error": "max_bytes is required"})
            return
        line = f"ECHO {path} {body.get('line', '')}" if verb == "ECHO" else f"{verb} {path}"
        with self.lock:
            try:
                ack, lines = self.upstream.command(line, idempotent=verb != "ECHO")
            except CohesixError as e:
                h._send(503, {"status": "ERR", "verb": verb, "path": path, "end": True, "error": str(e), "uncertain": verb == "ECHO"})
                return
        if not ack.startswith("OK"):
            h._send(console_status(ack), {"status": "ERR", "verb": verb, "path": path, "end": True, "error": ack, "ack": ack})
            return
        out: dict[str, Any] = {"status": "OK", "verb": verb, "path": path, "end": True, "ack": ack}
        if verb == "ECHO":
            out["bytes"] = len(str(body.get("line", "")).encode())
        else:
            out["lines"] = lines
        if verb in ("CAT", "TAIL"):
            text = "\n".join(lines)
            if len(text.encode()) > int(q["max_bytes"]):
                h._send(400, {"status": "ERR", "verb": verb, "path": path, "end": True, "error": f"read exceeded max_bytes {q['max_bytes']}"})
                return
            out["bytes"] = len(text.encode())
        h._send(200, out)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.upstream.close()
