"""RestBackend against a FAKE gateway (tests/fake_gateway.py) over a real mock hive: routes,
auth headers, GET retries honouring Retry-After, writes never retried, refusals explained."""

from __future__ import annotations

from typing import Iterator

import pytest

from cohesix import CohesixError, CohesixOrchestrator, LeaseRequest, RestBackend, ScheduleRequest, UncertainWriteError
from cohesix import generated as g
from cohesix.backends.mock import MockBackend

from fake_gateway import TOKEN, FakeGateway


@pytest.fixture()
def gw(hive: MockBackend) -> Iterator[FakeGateway]:
    f = FakeGateway(hive.hive.port)
    yield f
    f.close()


def rest(gw: FakeGateway, sleeps: list[float]) -> RestBackend:
    return RestBackend(gw.url, auth_token=TOKEN, sleep=sleeps.append)


def test_reads_and_writes_reach_the_hive(gw: FakeGateway) -> None:
    r = rest(gw, [])
    assert "proc" in r.list_dir("/")
    assert r.bounds()["manifest_sha256"] == g.MANIFEST_SHA256
    orch = CohesixOrchestrator(r)
    orch.enqueue_schedule([ScheduleRequest("rest-sched-1", "worker-gpu", 6, 6, 180)])
    orch.apply_leases([LeaseRequest("grant", "rest-lease-1", "queen", "gpu0", 300, 6)])
    assert orch.audit.lines == [
        f"OK ECHO path=/queen/schedule/ctl bytes={len(ScheduleRequest('rest-sched-1', 'worker-gpu', 6, 6, 180).to_line())}",
        f"OK ECHO path=/queen/lease/ctl bytes={len(LeaseRequest('grant', 'rest-lease-1', 'queen', 'gpu0', 300, 6).to_line())}",
    ]
    assert any(line.startswith("rest-lease-1 subject=queen resource=gpu0 priority=6") for line in r.read_lines("/proc/lease/active", 16384))


def test_get_retries_on_429_and_5xx_with_retry_after_floor(gw: FakeGateway) -> None:
    sleeps: list[float] = []
    r = rest(gw, sleeps)
    gw.inject["GET"] += [(429, {"retry-after": "1"}, {}), (503, {}, {})]
    assert r.list_dir("/proc")
    assert sleeps == [1.0, 0.4]  # Retry-After (1 s) beats the 200 ms backoff; then 400 ms
    gw.inject["GET"] += [(503, {}, {})] * 3
    with pytest.raises(CohesixError, match=r"HTTP 503"):
        r.list_dir("/proc")
    assert [p for m, p in gw.requests if m == "GET"].count("/v1/fs/ls") == 6


def test_writes_are_never_retried(gw: FakeGateway, hive: MockBackend) -> None:
    r = rest(gw, [])
    gw.inject["POST"].append((503, {"retry-after": "1"}, {}))
    with pytest.raises(CohesixError, match="HTTP 503"):
        r.write_append("/queen/schedule/ctl", '{"id":"rest-x1","role":"worker-gpu","priority":1,"ticks":1,"budget_ms":1}')
    gw.inject["POST"].append((503, {}, {"uncertain": True}))
    with pytest.raises(UncertainWriteError, match="may have reached the hive and was not resent"):
        r.write_append("/queen/schedule/ctl", '{"id":"rest-x2","role":"worker-gpu","priority":1,"ticks":1,"budget_ms":1}')
    assert [m for m, _ in gw.requests].count("POST") == 2
    queue = "\n".join(hive.read_lines("/proc/schedule/queue", 16384))
    assert "rest-x1" not in queue and "rest-x2" not in queue


def test_refusals_are_explained(gw: FakeGateway) -> None:
    with pytest.raises(CohesixError, match=r"HTTP 401.*set HIVE_GATEWAY_REQUEST_AUTH_TOKEN"):
        RestBackend(gw.url, auth_token="wrong", sleep=lambda s: None).list_dir("/")
    r = rest(gw, [])
    with pytest.raises(CohesixError) as e:
        r.write_append("/queen/lease/ctl", '{"op":"grant"}')
    assert e.value.status == 400 and e.value.ack is not None and "invalid-payload" in e.value.ack
    with pytest.raises(CohesixError, match="HTTP 400.*read exceeded max_bytes 4"):
        r.read_lines("/proc/schedule/summary", 4)
    with pytest.raises(CohesixError, match="must be an http"):
        RestBackend("ftp://x")


def test_token_from_env(gw: FakeGateway, monkeypatch: pytest.MonkeyPatch) -> None:
    for k in ("HIVE_GATEWAY_REQUEST_AUTH_TOKEN", "COHSH_REST_AUTH_TOKEN", "COH_REST_AUTH_TOKEN"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("COH_REST_AUTH_TOKEN", "wrong")
    monkeypatch.setenv("COHSH_REST_AUTH_TOKEN", TOKEN)  # earlier in the order than COH_REST_AUTH_TOKEN
    assert RestBackend(gw.url, sleep=lambda s: None).list_dir("/")
