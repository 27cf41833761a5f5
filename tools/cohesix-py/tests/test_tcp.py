"""TcpBackend against the real core (mock hive): framing, ATTACH, bounds, reconnects (AUTH: test_auth.py)."""

from __future__ import annotations

import pytest

from cohesix import CohesixError, TcpBackend, UncertainWriteError
from cohesix import generated as g
from cohesix.backends.mock import MockBackend
from cohesix.backends.tcp import encode_frame


def journal(b: TcpBackend) -> list[str]:
    return b.read_lines("/audit/journal", 1 << 20)


def test_frames_and_line_bound() -> None:
    assert encode_frame("AUTH changeme") == bytes.fromhex("11000000") + b"AUTH changeme"
    encode_frame("x" * g.CONSOLE_LINE_MAX)
    with pytest.raises(CohesixError, match="console.line_max is 256"):
        encode_frame("x" * (g.CONSOLE_LINE_MAX + 1))


def test_echo_bound_at_and_past_the_edge(hive: MockBackend) -> None:
    seg_ctl = "/queen/telemetry/edge-echo/ctl"
    assert hive.write_append(seg_ctl, '{"new":"segment","mime":"text/plain"}').startswith("OK ECHO")
    at = "a" * g.CONSOLE_ECHO_MAX
    assert hive.write_append("/queen/telemetry/edge-echo/seg/seg-000001", at) == \
        f"OK ECHO path=/queen/telemetry/edge-echo/seg/seg-000001 bytes={g.CONSOLE_ECHO_MAX}"
    with pytest.raises(CohesixError, match="at most 128 per append"):
        hive.write_append("/queen/telemetry/edge-echo/seg/seg-000001", "b" * (g.CONSOLE_ECHO_MAX + 1))
    assert hive.read_lines("/queen/telemetry/edge-echo/seg/seg-000001", 4096) == [at]  # nothing of the refused one


def test_guest_refusal_carries_its_ack(hive: MockBackend) -> None:
    with pytest.raises(CohesixError) as e:
        hive.write_append("/queen/schedule/ctl", '{"id":"x","role":"worker-gpu"}')
    assert e.value.ack is not None and e.value.ack.startswith("ERR ECHO reason=policy detail=invalid-payload path=/queen/schedule/ctl")
    with pytest.raises(CohesixError, match="CAT failed: ERR CAT .*not-found"):
        hive.read_lines("/no/such/file", 100)


def test_worker_role_needs_a_ticket(hive: MockBackend) -> None:
    with pytest.raises(CohesixError, match="ERR ATTACH: ERR ATTACH reason=policy detail=ticket-required .*your role requires a ticket"):
        TcpBackend("127.0.0.1", hive.hive.port, role="worker-gpu")


def test_unreachable_console_says_what_to_do() -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(CohesixError, match=f"cannot reach the console at 127.0.0.1:{port} after 2 attempts.*is the hive booted"):
        TcpBackend("127.0.0.1", port, max_retries=2)


def test_reads_reconnect_writes_are_never_resent(hive: MockBackend) -> None:
    b = TcpBackend("127.0.0.1", hive.hive.port)
    before = journal(b)
    assert b._conn is not None
    b._conn.sock.close()  # the connection dies between commands
    assert b.list_dir("/proc")  # a read reconnects (AUTH + ATTACH again) silently
    b._conn.sock.close()
    with pytest.raises(UncertainWriteError, match="was not resent"):
        b.write_append("/queen/schedule/ctl", '{"id":"lost-1","role":"worker-gpu","priority":1,"ticks":1,"budget_ms":1}')
    assert journal(b) == before  # not written, and not retried behind the caller's back
    b.close()
