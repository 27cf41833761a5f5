// SwarmUI's pure logic: positions, LOD, the frame cap, the browser model's event budget and
// pending cap, labels and clusters; the server's line classification, bounded buffers, snapshot
// CBOR shapes and the offline store — each bound at and past its edge.

import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decode, encode } from "cbor2";
import { afterAll, describe, expect, it } from "vitest";
import { MANIFEST } from "../host/generated/manifest.js";
import { classify, clipBytes, EventQueue, LineBuffer } from "../host/swarmui/events.js";
import { hiveConfig, tailIntervalMs } from "../host/swarmui/settings.js";
import { decodeReplay, encodeSnapshot } from "../host/swarmui/snapshot.js";
import { sanitizeKey, SnapshotStore } from "../host/swarmui/store.js";
import { parseLease, parseRoot, parseSchedule, parseSessions } from "../host/swarmui/status.js";
import { roleOf, type HiveEvent } from "../host/swarmui/shared/types.js";
import { anchorOf, fnv1a, positionAt } from "../host/swarmui/ui/hive/layout.js";
import { clusterKey, clusterRadius, labelsFor } from "../host/swarmui/ui/hive/labels.js";
import { agentsVisible, clampZoom, FramePacer, LABELS_MAX, labelsShown, lodOf } from "../host/swarmui/ui/hive/lod.js";
import { RateLimit } from "../host/swarmui/ratelimit.js";
import { HiveModel, PULSE_MAX } from "../host/swarmui/ui/hive/model.js";
import { demoSnapshot } from "./swarmui/make_fixture.js";

const cfg = hiveConfig();
const tmp = mkdtempSync(join(tmpdir(), "swarmui-units-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const ev = (seq: number, agent: string, kind: "telemetry" | "error" = "telemetry"): HiveEvent => ({ seq, kind, reason: kind === "error" ? "quota" : null, agent, role: "worker-heartbeat", namespace: `/worker/${agent}`, detail: `line ${seq}` });

describe("manifest defaults", () => {
  it("are the seed's swarmui.hive.* values, fractions from thousandths", () => {
    expect(cfg).toMatchObject({ frame_cap_fps: 30, step_ms: 16, lod_zoom_out: 0.7, lod_zoom_in: 1.25, lod_event_budget: 512, snapshot_max_events: 4096, overlay_lines: 3, detail_lines: 50, line_cap_bytes: 160, per_worker_bytes: 2048, pending_lines_per_worker: 64, pending_event_cap: 4096, poll_workers_per_tick: 32, status_poll_ms: 500, degrade_pressure: 1 });
    expect(MANIFEST.swarmui).toMatchObject({ cache_enabled: 0, cache_max_bytes: 262144, cache_ttl_s: 3600 });
  });
  it("clamps the per-worker tail interval to [tail_min_ms, tail_max_ms]", () => {
    const s = { ...MANIFEST.swarmui, tail_min_ms: 250, tail_max_ms: 10_000 };
    expect(tailIntervalMs(s, 1000)).toBe(1000);
    expect(tailIntervalMs(s, 250)).toBe(250);
    expect(tailIntervalMs(s, 249)).toBe(250);
    expect(tailIntervalMs(s, 10_000)).toBe(10_000);
    expect(tailIntervalMs(s, 10_001)).toBe(10_000);
  });
});

describe("positions", () => {
  it("FNV-1a 32-bit matches the published vectors", () => {
    expect(fnv1a("")).toBe(0x811c9dc5);
    expect(fnv1a("a")).toBe(0xe40c292c);
    expect(fnv1a("foobar")).toBe(0xbf9cf968);
  });
  it("anchors are bits 0-7 and 8-15 over 255; positions are deterministic and drift at most 10 px", () => {
    const a = anchorOf("worker-1");
    const h = fnv1a("worker-1");
    expect(a).toEqual({ ax: (h & 0xff) / 255, ay: ((h >>> 8) & 0xff) / 255, seed: h });
    const p0 = positionAt(a, 1000, 500, 0);
    expect(positionAt(anchorOf("worker-1"), 1000, 500, 0)).toEqual(p0);
    for (const t of [0, 1, 7.5, 100]) {
      const p = positionAt(a, 1000, 500, t);
      expect(Math.abs(p.x - (a.ax - 0.5) * 800)).toBeLessThanOrEqual(10 + 1e-9);
      expect(Math.abs(p.y - (a.ay - 0.5) * 400)).toBeLessThanOrEqual(10 + 1e-9);
    }
  });
});

describe("level of detail and frame cap", () => {
  it("switches exactly past lod_zoom_out, lod_zoom_in and degrade_pressure", () => {
    expect(lodOf(0.7, 0, cfg)).toBe("balanced");
    expect(lodOf(0.699, 0, cfg)).toBe("cluster");
    expect(lodOf(1.25, 0, cfg)).toBe("balanced");
    expect(lodOf(1.251, 0, cfg)).toBe("detail");
    expect(lodOf(1, 1.0, cfg)).toBe("balanced");
    expect(lodOf(1, 1.001, cfg)).toBe("degraded");
    expect(agentsVisible("cluster")).toBe(false);
    expect(agentsVisible("degraded")).toBe(false);
    expect(agentsVisible("detail")).toBe(true);
  });
  it("labels: always in detail, in balanced up to LABELS_MAX workers, never in cluster or degraded", () => {
    expect(labelsShown("balanced", LABELS_MAX)).toBe(true);
    expect(labelsShown("balanced", LABELS_MAX + 1)).toBe(false);
    expect(labelsShown("detail", 4096)).toBe(true);
    expect(labelsShown("cluster", 1)).toBe(false);
    expect(labelsShown("degraded", 1)).toBe(false);
  });
  it("zoom stays within 0.45..2.4", () => {
    expect(clampZoom(0.1)).toBe(0.45);
    expect(clampZoom(9)).toBe(2.4);
    expect(clampZoom(1.3)).toBe(1.3);
  });
  const paced = (ticks: number[], fps = 30): number[] => {
    const p = new FramePacer(fps);
    return ticks.filter((t) => p.due(t));
  };
  const mostInWindow = (at: number[], ms: number): number => Math.max(...at.map((t) => at.filter((u) => u >= t && u < t + ms).length));
  it("renders at most frame_cap_fps: a 60 Hz rAF renders every second tick", () => {
    const r = paced(Array.from({ length: 600 }, (_, i) => i * (1000 / 60)));
    expect(r.length).toBe(300);
    expect(mostInWindow(r, 1000)).toBeLessThanOrEqual(31);
  });
  it("a 50 Hz or jittery rAF still averages the cap, never above it, and a stall brings no burst", () => {
    const r50 = paced(Array.from({ length: 500 }, (_, i) => i * 20));
    expect(r50.length).toBeGreaterThanOrEqual(299);
    expect(r50.length).toBeLessThanOrEqual(301);
    expect(mostInWindow(r50, 1000)).toBeLessThanOrEqual(32);
    let t = 0;
    const jitter = Array.from({ length: 1000 }, (_, i) => (t += 16.7 + ((i * 7919) % 11) - 3));
    const rj = paced(jitter);
    expect(rj.length / (t / 1000)).toBeLessThanOrEqual(30.1);
    expect(rj.length / (t / 1000)).toBeGreaterThan(27);
    expect(mostInWindow(rj, 1000)).toBeLessThanOrEqual(32);
    // A 500 ms stall, then 60 Hz again: no two renders closer than half an interval.
    const rs = paced([0, 16.7, 33.4, 533, 550, 566, 583, 600, 616, 633, 650]);
    for (let i = 1; i < rs.length; i++) expect(rs[i] - rs[i - 1]).toBeGreaterThanOrEqual(1000 / 60 - 1);
  });
});

describe("browser model", () => {
  const agents = [{ id: "queen", role: "queen" as const, namespace: "/queen" }, ...Array.from({ length: 4 }, (_, i) => ({ id: `worker-${i + 1}`, role: "worker-heartbeat" as const, namespace: `/shard/0${i % 2}/worker/worker-${i + 1}` }))];
  it("consumes at most lod_event_budget events per step", () => {
    const m = new HiveModel(cfg);
    m.setAgents(agents);
    m.enqueue(Array.from({ length: 1200 }, (_, i) => ev(i + 1, `worker-${(i % 4) + 1}`)));
    m.step(0.016);
    expect(m.consumed).toBe(512);
    expect(m.pendingCount).toBe(688);
    m.step(0.016);
    m.step(0.016);
    expect(m.consumed).toBe(1200);
    expect(m.pendingCount).toBe(0);
  });
  it("drops the oldest past pending_event_cap and counts them", () => {
    const m = new HiveModel({ ...cfg, pending_event_cap: 100 });
    m.setAgents(agents);
    m.enqueue(Array.from({ length: 100 }, (_, i) => ev(i + 1, "worker-1")));
    expect([m.pendingCount, m.droppedPending]).toEqual([100, 0]);
    m.enqueue([ev(101, "worker-1")]);
    expect([m.pendingCount, m.droppedPending]).toEqual([100, 1]);
  });
  it("heat rises on telemetry and decays at 0.22/s; an error tints, pulses (at most 80) and decays at 1.4/s", () => {
    const m = new HiveModel(cfg);
    m.setAgents(agents);
    m.enqueue([ev(1, "worker-1")]);
    m.step(0);
    expect(m.agents.get("worker-1")?.heat).toBe(1);
    m.step(1);
    expect(m.agents.get("worker-1")?.heat).toBeCloseTo(0.78, 6);
    m.pressure = 2; // intensity clamp(1 - 0.8, 0.35, 1) = 0.35
    m.enqueue([ev(2, "worker-2")]);
    m.step(0);
    expect(m.agents.get("worker-2")?.heat).toBeCloseTo(0.35, 6);
    m.enqueue(Array.from({ length: 90 }, (_, i) => ev(10 + i, "worker-3", "error")));
    m.step(0);
    expect(m.agents.get("worker-3")?.error).toBe(1);
    expect(m.pulses.length).toBe(PULSE_MAX);
    m.step(0.5);
    expect(m.agents.get("worker-3")?.error).toBeCloseTo(0.3, 6);
  });
  it("a removed agent goes; events for unknown agents are ignored", () => {
    const m = new HiveModel(cfg);
    m.setAgents(agents);
    m.setAgents(agents.filter((a) => a.id !== "worker-2"));
    expect([...m.agents.keys()]).toEqual(["queen", "worker-1", "worker-3", "worker-4"]);
    m.enqueue([ev(1, "worker-2")]);
    m.step(0);
    expect(m.agents.has("worker-2")).toBe(false);
  });
  it("keeps detail_lines lines per agent within per_worker_bytes", () => {
    const m = new HiveModel({ ...cfg, detail_lines: 5, per_worker_bytes: 29 });
    m.setAgents(agents);
    m.enqueue(Array.from({ length: 9 }, (_, i) => ev(i + 1, "worker-1")));
    // 5 lines of 6 bytes are 30 > 29: the fifth-newest goes too.
    expect(m.linesOf("worker-1", 50)).toEqual(["line 6", "line 7", "line 8", "line 9"]);
    const n = new HiveModel({ ...cfg, detail_lines: 5, per_worker_bytes: 30 });
    n.setAgents(agents);
    n.enqueue(Array.from({ length: 9 }, (_, i) => ev(i + 1, "worker-1")));
    expect(n.linesOf("worker-1", 50)).toEqual(["line 5", "line 6", "line 7", "line 8", "line 9"]);
  });
  it("labels are numeric suffixes, else the next free integer; clusters by shard", () => {
    expect(Object.fromEntries(labelsFor(["worker-3", "alpha", "worker-1", "beta"]))).toEqual({ "worker-3": "3", "worker-1": "1", alpha: "2", beta: "4" });
    expect(clusterKey("/shard/0a/worker/w")).toBe("shard/0a");
    expect(clusterKey("/worker/w")).toBe("worker");
    expect([clusterRadius(0), clusterRadius(1), clusterRadius(5), clusterRadius(100)]).toEqual([28, 32, 56, 120]);
    const m = new HiveModel(cfg);
    m.setAgents(agents);
    expect(m.toggleCluster("shard/00")).toBe(true);
    expect(m.toggleCluster("shard/00")).toBe(false);
  });
});

describe("server: the console rate limit", () => {
  it("accepts `limit` commands in a window, refuses the next with the delay, frees one slot per expiry", () => {
    let now = 1000;
    const r = new RateLimit(3, 1000, () => now);
    expect([r.take(), (now += 10, r.take()), (now += 10, r.take())]).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(r.take()).toEqual({ ok: false, delayMs: 980 });
    now = 1999;
    expect(r.take()).toEqual({ ok: false, delayMs: 1 });
    now = 2000;
    expect(r.take()).toEqual({ ok: true });
    expect(r.take()).toEqual({ ok: false, delayMs: 10 });
    now = 5000;
    expect([r.take(), r.take(), r.take(), r.take()].map((t) => t.ok)).toEqual([true, true, true, false]);
    expect(() => new RateLimit(0, 1000)).toThrow(RangeError);
  });
});

describe("server: lines, buffers, queue", () => {
  const t = { agent: "worker-1", role: "worker-heartbeat", namespace: "/worker/worker-1" };
  it("drops framing, makes ERR lines error events with their reason, clips details by bytes", () => {
    expect(classify("", 1, t, 160)).toBeNull();
    expect(classify("OK TAIL path=/x", 1, t, 160)).toBeNull();
    expect(classify("END", 1, t, 160)).toBeNull();
    expect(classify("ERR TELEMETRY reason=quota detail=x", 2, t, 160)).toMatchObject({ kind: "error", reason: "quota", seq: 2 });
    expect(classify("hello", 3, t, 160)).toMatchObject({ kind: "telemetry", reason: null, detail: "hello" });
    expect(classify("x".repeat(161), 4, t, 160)?.detail?.length).toBe(160);
    expect(clipBytes("ééé", 5)).toBe("éé");
  });
  it("a worker's buffer holds at most its lines and bytes", () => {
    const b = new LineBuffer(3, 2048);
    for (const l of ["a", "b", "c"]) b.push(l);
    expect(b.last(10)).toEqual(["a", "b", "c"]);
    b.push("d");
    expect(b.last(10)).toEqual(["b", "c", "d"]);
    const c = new LineBuffer(50, 10);
    c.push("12345");
    c.push("67890");
    expect(c.byteLength).toBe(10);
    c.push("x");
    expect(c.last(10)).toEqual(["67890", "x"]);
  });
  it("the queue keeps snapshot_max_events, dropping and counting the oldest", () => {
    const q = new EventQueue(4);
    for (let i = 1; i <= 4; i++) q.push(ev(i, "w"));
    expect([q.length, q.dropped]).toEqual([4, 0]);
    q.push(ev(5, "w"));
    expect([q.length, q.dropped]).toEqual([4, 1]);
    expect(q.take(2).map((e) => e.seq)).toEqual([2, 3]);
  });
  it("roles from id prefixes", () => {
    expect(["worker-gpu-1", "worker-lora-2", "worker-bus-3", "worker-heartbeat-4", "worker-9", "queen"].map(roleOf)).toEqual(["worker-gpu", "worker-lora", "worker-bus", "worker-heartbeat", "worker-heartbeat", "queen"]);
  });
  it("status lines", () => {
    expect(parseRoot("reachable=yes", "cut_reason=none")).toEqual({ reachable: true, cut_reason: null });
    expect(parseRoot("reachable=no", "cut_reason=link-down")).toEqual({ reachable: false, cut_reason: "link-down" });
    expect(parseSessions("active=2 draining=1")).toEqual({ active: 2, draining: 1 });
    expect(parseSchedule("queued=1 active=0 completed=3 over_budget=1 tick_ms=5", ["job-1 role=worker-heartbeat priority=5 ticks=10 budget_ms=100"], 64)).toEqual({ summary: { queue: 1, max_entries: 64, dequeued: 3, dropped: 1 }, queue: [{ id: "job-1", role: "worker-heartbeat", priority: 5, ticks: 10, budget_ms: 100, seq: 1 }] });
    expect(parseLease("active=1 expired=0 preempted=2", ["gpu-GPU-1 subject=worker-4 resource=GPU-1 priority=0 expires_ms=600017"], 64, 17).active[0]).toMatchObject({ id: "gpu-GPU-1", subject: "worker-4", resource: "GPU-1", ttl_s: 600 });
  });
});

describe("snapshots and transcripts (CBOR)", () => {
  it("the fixture has the original's leading bytes and decodes back to itself", () => {
    const bytes = readFileSync(new URL("./swarmui/demo.cbor", import.meta.url));
    expect(Buffer.from(bytes.subarray(0, 22)).toString("hex")).toMatch(/^a46776657273696f6e016a637265617465645f6d731b/);
    expect(Buffer.from(encodeSnapshot(demoSnapshot())).equals(bytes)).toBe(true);
    const d = decodeReplay(bytes, 4096, 160);
    expect(d.ok && d.from).toBe("snapshot");
    if (d.ok) expect(d.value).toEqual(demoSnapshot());
  });
  it("refuses a wrong version, malformed events, and more than snapshot_max_events (at the edge: accepted)", () => {
    const s = demoSnapshot();
    expect(decodeReplay(encodeSnapshot(s), 600, 160).ok).toBe(true);
    expect(decodeReplay(encodeSnapshot(s), 599, 160)).toEqual({ ok: false, error: "snapshot has 600 events > snapshot_max_events 599" });
    expect(decodeReplay(encode({ ...s, version: 2 }), 4096, 160)).toEqual({ ok: false, error: "unsupported snapshot version 2 (expected 1)" });
    expect(decodeReplay(encode({ ...s, events: [{ seq: 1, kind: "other" }] }), 4096, 160).ok).toBe(false);
    expect(decodeReplay(new Uint8Array([0xff, 0x00]), 4096, 160).ok).toBe(false);
    expect(decodeReplay(encode([1, 2]), 4096, 160).ok).toBe(false);
  });
  it("a recorded cohsh transcript becomes events of worker-replay", () => {
    const d = decodeReplay(encode({ ok: true, lines: ["OK TAIL path=/worker/worker-1/telemetry", "tick 1", "ERR TAIL reason=busy detail=x", "END"] }), 4096, 160);
    expect(d.ok && d.from).toBe("transcript");
    if (d.ok) {
      expect(d.value.agents).toEqual([{ id: "worker-replay", role: "worker", namespace: "/worker/worker-replay" }]);
      expect(d.value.events.map((e) => [e.kind, e.detail])).toEqual([["telemetry", "tick 1"], ["error", "ERR TAIL reason=busy detail=x"]]);
    }
  });
});

describe("offline store", () => {
  it("sanitises keys (slashes become dots; ≤ 96 of [A-Za-z0-9-_.:])", () => {
    expect(sanitizeKey("hive:demo")).toBe("hive:demo");
    expect(sanitizeKey("namespace:/proc/boot")).toBe("namespace:.proc.boot");
    expect(sanitizeKey("k".repeat(96))).toHaveLength(96);
    expect(() => sanitizeKey("k".repeat(97))).toThrow(/1\.\.96/);
    expect(() => sanitizeKey("a b")).toThrow(/A-Za-z0-9/);
    expect(() => sanitizeKey("..x")).toThrow();
  });
  it("writes {version, created_ms, expires_ms, payload as uint array} atomically and reads it back", () => {
    const st = new SnapshotStore({ dir: join(tmp, "a"), ttlS: 3600, maxBytes: 262_144, now: () => 1000 });
    const r = st.put("hive:demo", new Uint8Array([1, 2, 255]));
    expect(r.path).toBe(join(tmp, "a", "hive:demo.cbor"));
    expect(decode(readFileSync(r.path))).toEqual({ version: 1, created_ms: 1000, expires_ms: 3_601_000, payload: [1, 2, 255] });
    expect(readdirSync(join(tmp, "a"))).toEqual(["hive:demo.cbor"]);
    expect([...st.get("hive:demo")]).toEqual([1, 2, 255]);
  });
  it("an expired entry is deleted on read", () => {
    let now = 0;
    const st = new SnapshotStore({ dir: join(tmp, "b"), ttlS: 10, maxBytes: 4096, now: () => now });
    const { path } = st.put("hive:x", new Uint8Array([7]));
    now = 9_999;
    expect([...st.get("hive:x")]).toEqual([7]);
    now = 10_000;
    expect(() => st.get("hive:x")).toThrow("snapshot expired");
    expect(existsSync(path)).toBe(false);
  });
  it("refuses writes and reads over cache.max_bytes (at the edge: accepted)", () => {
    const payload = new Uint8Array(100).fill(1);
    const size = encode({ version: 1, created_ms: 5, expires_ms: 3_600_005, payload: Array.from(payload) }).length;
    const at = new SnapshotStore({ dir: join(tmp, "c"), ttlS: 3600, maxBytes: size, now: () => 5 });
    expect(at.put("k", payload).bytes).toBe(size);
    const over = new SnapshotStore({ dir: join(tmp, "c"), ttlS: 3600, maxBytes: size - 1, now: () => 5 });
    expect(() => over.put("k2", payload)).toThrow(`snapshot too large (${size} > ${size - 1} bytes)`);
    expect(existsSync(join(tmp, "c", "k2.cbor"))).toBe(false);
    expect(() => over.get("k")).toThrow(/snapshot too large/);
    writeFileSync(join(tmp, "c", "bad.cbor"), "nope");
    expect(() => at.get("bad")).toThrow(/not/);
    expect(() => at.get("missing")).toThrow("no snapshot 'missing'");
  });
});
