"""TcpBackend: the hive's TCP console (length-prefixed frames, AUTH, ATTACH, OK/ERR/END).

Behaves as cohsh does: connect with back-off, AUTH once (a refused token is final, so a wrong
token never walks into the console's lockout), ATTACH, then one command at a time. A connection
that drops between commands is re-opened silently on the next read; a write whose reply was
lost is reported, never resent (it may have run).
"""

from __future__ import annotations

import socket
import struct
import time

from .. import generated as g
from ..defaults import DEFAULTS
from ..errors import CohesixError, TransportError, UncertainWriteError
from ..secrets import AUTH_HINT, resolve_tcp_token
from ..validate import check_path
from .base import Backend, check_max_bytes

STREAMED = ("LS", "CAT", "TAIL")


def encode_frame(line: str) -> bytes:
    payload = line.encode("utf-8")
    if len(payload) > g.CONSOLE_LINE_MAX:
        raise CohesixError(f"console line is {len(payload)} bytes; console.line_max is {g.CONSOLE_LINE_MAX}")
    if len(payload) + 4 > g.CONSOLE_FRAME_MAX:
        raise CohesixError(f"console frame is {len(payload) + 4} bytes; console.frame_max is {g.CONSOLE_FRAME_MAX}")
    return struct.pack("<I", len(payload) + 4) + payload


class _Conn:
    """One socket and its frame reader."""

    def __init__(self, host: str, port: int, timeout_s: float) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout_s)
        self.sock.settimeout(timeout_s)
        self.buf = b""

    def send(self, line: str) -> None:
        self.sock.sendall(encode_frame(line))

    def recv_line(self) -> str:
        while True:
            if len(self.buf) >= 4:
                (n,) = struct.unpack("<I", self.buf[:4])
                if n < 4 or n > g.CONSOLE_FRAME_MAX:
                    raise TransportError(f"console sent a frame of declared length {n} (outside 4..{g.CONSOLE_FRAME_MAX})")
                if len(self.buf) >= n:
                    payload, self.buf = self.buf[4:n], self.buf[n:]
                    return payload.decode("utf-8", errors="replace")
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionResetError("connection closed by the hive")
            self.buf += chunk

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


class TcpBackend(Backend):
    name = "tcp"
    record_max = min(g.CONSOLE_ECHO_MAX, g.TELEMETRY_INGEST_MAX_RECORD_BYTES)

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = g.NETWORK_CONSOLE_PORT,
        auth_token: str | None = None,
        role: str = "queen",
        ticket: str | None = None,
        timeout_s: float = 2.0,
        max_retries: int = DEFAULTS["retry_max_attempts"],
    ) -> None:
        if not (0 < port < 65536):
            raise CohesixError(f"--tcp-port must be 1..65535, got {port}")
        if len(role.encode()) > g.CONSOLE_ROLE_MAX:
            raise CohesixError(f"role is longer than console.role_max {g.CONSOLE_ROLE_MAX}")
        if ticket and len(ticket.encode()) > g.CONSOLE_TICKET_MAX:
            raise CohesixError(f"ticket is longer than console.ticket_max {g.CONSOLE_TICKET_MAX}")
        self.host, self.port, self.role, self.ticket = host, port, role, ticket
        self.timeout_s, self.max_retries = timeout_s, max(1, max_retries)
        self._token = resolve_tcp_token(auth_token).token
        self._conn: _Conn | None = None
        self._connect()

    # -- session -------------------------------------------------------------------------
    def _connect(self) -> None:
        delay = DEFAULTS["retry_backoff_ms"] / 1000
        last: Exception | None = None
        for attempt in range(self.max_retries):
            try:
                conn = _Conn(self.host, self.port, self.timeout_s)
            except OSError as e:
                last = e
                if attempt + 1 < self.max_retries:
                    time.sleep(delay)
                    delay = min(delay * 2, DEFAULTS["retry_ceiling_ms"] / 1000)
                continue
            try:
                self._auth(conn)
                self._attach(conn)
            except BaseException:
                conn.close()
                raise
            self._conn = conn
            return
        raise TransportError(
            f"cannot reach the console at {self.host}:{self.port} after {self.max_retries} attempts ({last}); "
            "is the hive booted (qemu/run.sh or npm run mock) and the port right (--tcp-port)?"
        )

    def _auth(self, conn: _Conn) -> None:
        conn.send(f"AUTH {self._token}")
        try:
            for _ in range(self.max_retries * 4):
                line = conn.recv_line()
                if line.startswith("OK AUTH"):
                    return
                if line.startswith("ERR AUTH"):
                    raise CohesixError(f"authentication rejected: {line}. {AUTH_HINT}", ack=line)
                if line.startswith("ERR CONSOLE reason=busy"):
                    raise TransportError(f"console busy ({line}): every session slot is taken; close another client")
        except socket.timeout as e:
            raise TransportError("auth timed out waiting for AUTH response") from e
        except (ConnectionError, OSError) as e:
            raise TransportError(
                "authentication rejected: connection closed before AUTH response "
                "(commonly an invalid token or console contention); verify the token source"
            ) from e
        raise TransportError("auth timed out waiting for AUTH response")

    def _attach(self, conn: _Conn) -> None:
        # cohsh sends a trailing space when there is no ticket, as the original does.
        conn.send(f"ATTACH {self.role} {self.ticket or ''}")
        line = conn.recv_line()
        if not line.startswith("OK ATTACH"):
            hint = "" if self.role == "queen" else "; your role requires a ticket: pass --ticket or mint one with cohsh --mint-ticket"
            raise CohesixError(f"ERR ATTACH: {line}{hint}", ack=line)

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.send("QUIT")
            except OSError:
                pass
            self._conn.close()
            self._conn = None

    # -- commands ------------------------------------------------------------------------
    def command(self, line: str, *, idempotent: bool) -> tuple[str, list[str]]:
        """Sends one console line; returns (ack, body lines). ERR acks are returned, not raised."""
        encode_frame(line)  # bounds first: nothing is sent for an over-long line
        verb = line.split(" ", 1)[0].upper()
        for attempt in (0, 1):
            if self._conn is None:
                self._connect()
            conn = self._conn
            assert conn is not None
            try:
                conn.send(line)
                ack = conn.recv_line()
                body: list[str] = []
                if verb in STREAMED and ack.startswith("OK"):
                    while True:
                        nxt = conn.recv_line()
                        if nxt == "END":
                            break
                        body.append(nxt)
                return ack, body
            except (OSError, ConnectionError) as e:
                conn.close()
                self._conn = None
                if not idempotent:
                    raise UncertainWriteError(
                        f"{verb}: the connection dropped before the hive answered; the write may have run and "
                        "was not resent (read /audit/journal before retrying)"
                    ) from e
                if attempt == 1:
                    raise TransportError(f"{verb}: connection to {self.host}:{self.port} lost twice ({e})") from e
        raise AssertionError("unreachable")

    def _read(self, verb: str, path: str, max_bytes: int) -> list[str]:
        check_path(path)
        ack, body = self.command(f"{verb} {path}", idempotent=True)
        if not ack.startswith("OK"):
            raise CohesixError(f"{verb} failed: {ack}", ack=ack)
        return body

    def list_dir(self, path: str) -> list[str]:
        return self._read("LS", path, 0)

    def read_lines(self, path: str, max_bytes: int) -> list[str]:
        return check_max_bytes(path, self._read("CAT", path, max_bytes), max_bytes)

    def tail_lines(self, path: str, max_bytes: int) -> list[str]:
        return check_max_bytes(path, self._read("TAIL", path, max_bytes), max_bytes, "tail")

    def _append(self, path: str, line: str) -> str:
        ack, _ = self.command(f"ECHO {path} {line}", idempotent=False)
        if not ack.startswith("OK"):
            raise CohesixError(f"ECHO {path} refused: {ack}{_hint(ack)}", ack=ack)
        return ack


def _hint(ack: str) -> str:
    if "reason=policy detail=denied" in ack and "EPERM" in ack:
        return " (policy gating may require an approval in /actions/queue first, or the role cannot write here)"
    if "reason=quota" in ack:
        return " (a bound was reached; see the detail and the manifest's limit)"
    return ""
