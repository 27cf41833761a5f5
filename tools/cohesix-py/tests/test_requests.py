"""Every request type: validation refusals and the exact JSON bytes it writes."""

from __future__ import annotations

import pytest

from cohesix import (ApprovalRequest, CohesixError, ExportRequest, HostTicketRequest, K8sRbacIntent, LeaseRequest,
                     ScheduleRequest)


def test_schedule_line_and_bounds() -> None:
    r = ScheduleRequest("sched-edge-1", "worker-gpu", priority=6, ticks=6, budget_ms=180)
    assert r.to_line() == '{"id":"sched-edge-1","role":"worker-gpu","priority":6,"ticks":6,"budget_ms":180}'
    ScheduleRequest("a" * 128, "r", 1, 1, 1)  # at the id bound
    with pytest.raises(CohesixError, match="at most 128"):
        ScheduleRequest("a" * 129, "r", 1, 1, 1)
    with pytest.raises(CohesixError, match=r"\[A-Za-z0-9._-\]"):
        ScheduleRequest("bad id", "r", 1, 1, 1)
    for field in ("priority", "ticks", "budget_ms"):
        kw = {"priority": 1, "ticks": 1, "budget_ms": 1, field: 0}
        with pytest.raises(CohesixError, match=f"{field} must be an integer > 0"):
            ScheduleRequest("x", "r", **kw)
    with pytest.raises(CohesixError, match="integer"):
        ScheduleRequest("x", "r", True, 1, 1)  # type: ignore[arg-type]


def test_lease_ops() -> None:
    assert LeaseRequest("GRANT", "l1", "queen", "gpu0", 300, 6).to_line() == \
        '{"op":"grant","id":"l1","subject":"queen","resource":"gpu0","ttl_s":300,"priority":6}'
    assert LeaseRequest("renew", "l1", ttl_s=60).to_line() == '{"op":"renew","id":"l1","ttl_s":60}'
    assert LeaseRequest("preempt", "l1", reason="maintenance").to_line() == '{"op":"preempt","id":"l1","reason":"maintenance"}'
    assert LeaseRequest("quota", subject="queen", resource="gpu0", max_active=2, max_preemptions=4).to_line() == \
        '{"op":"quota","subject":"queen","resource":"gpu0","max_active":2,"max_preemptions":4}'
    with pytest.raises(CohesixError, match="grant\\|renew\\|preempt\\|quota"):
        LeaseRequest("steal", "l1")
    for kw, missing in ((dict(op="grant", lease_id="l", subject="q", resource="g"), "ttl_s"),
                        (dict(op="renew", lease_id="l"), "ttl_s"),
                        (dict(op="preempt", lease_id="l"), "reason"),
                        (dict(op="quota", subject="q", resource="g", max_active=1), "max_preemptions"),
                        (dict(op="grant", subject="q", resource="g", ttl_s=1), "lease_id")):
        with pytest.raises(CohesixError, match=f"needs {missing}"):
            LeaseRequest(**kw)  # type: ignore[arg-type]


def test_export_and_approval() -> None:
    assert ExportRequest("open", "e1", ttl_s=900).to_line() == '{"op":"open","id":"e1","ttl_s":900}'
    assert ExportRequest("close", "e1", reason="done").to_line() == '{"op":"close","id":"e1","reason":"done"}'
    with pytest.raises(CohesixError, match="needs ttl_s"):
        ExportRequest("open", "e1")
    with pytest.raises(CohesixError, match="needs reason"):
        ExportRequest("close", "e1")
    with pytest.raises(CohesixError, match="open or close"):
        ExportRequest("pause", "e1")
    assert ApprovalRequest("approve-1", "/queen/ctl").to_line() == '{"id":"approve-1","target":"/queen/ctl","decision":"approve"}'
    assert ApprovalRequest("d", "/queen/ctl", "deny").to_line().endswith('"decision":"deny"}')
    with pytest.raises(CohesixError, match="approve or deny"):
        ApprovalRequest("a", "/queen/ctl", "maybe")
    with pytest.raises(CohesixError, match="absolute"):
        ApprovalRequest("a", "queen/ctl")
    with pytest.raises(CohesixError, match="'..'"):
        ApprovalRequest("a", "/queen/../ctl")


def test_host_ticket_and_k8s_translation() -> None:
    t = HostTicketRequest("t1", "t1.k", "systemd.restart", "/host/systemd/nginx/restart", {"unit": "nginx"}, 1700000000000)
    assert t.to_line() == ('{"schema":"host-ticket/v1","id":"t1","idempotency_key":"t1.k","action":"systemd.restart",'
                           '"target":"/host/systemd/nginx/restart","args":{"unit":"nginx"},"expires_unix_ms":1700000000000}')
    assert HostTicketRequest("t2", "k", "docker.status-check").to_line() == \
        '{"schema":"host-ticket/v1","id":"t2","idempotency_key":"k","action":"docker.status-check"}'
    with pytest.raises(CohesixError, match="at most 64"):
        HostTicketRequest("t", "k", "a" * 65)
    with pytest.raises(CohesixError, match="args must be a dict"):
        HostTicketRequest("t", "k", "x", args=[1])  # type: ignore[arg-type]
    i = K8sRbacIntent("intent-node-1-cordon", "ops-user", "edge-a", "node-1", "cordon")
    assert i.to_ticket().to_line() == (
        '{"schema":"host-ticket/v1","id":"intent-node-1-cordon","idempotency_key":"intent-node-1-cordon.cordon",'
        '"action":"k8s.cordon","target":"/host/k8s/node/node-1/cordon",'
        '"args":{"node":"node-1","subject":"ops-user","namespace":"edge-a","intent_id":"intent-node-1-cordon"}}')
    ls = K8sRbacIntent("i2", "ops", "ns", "n2", "lease-sync", reason="rotate", ttl_s=30).to_ticket()
    assert (ls.action, ls.target, ls.idempotency_key) == ("k8s.lease.sync", "/host/k8s/node/n2/status", "i2.lease-sync")
    assert ls.args["reason"] == "rotate" and ls.args["ttl_s"] == 30
    assert K8sRbacIntent("i3", "o", "n", "x", "drain").to_ticket().action == "k8s.drain"
    with pytest.raises(CohesixError, match="cordon\\|drain\\|lease-sync"):
        K8sRbacIntent("i", "o", "n", "x", "delete")
