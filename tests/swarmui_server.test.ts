// The swarmui server against the in-process core (--mock, the same wasm QEMU boots): the live
// poller's bounds, the API's session token, Host and Origin checks, CSP, batch shape, SSE,
// namespace roots, the read-only console, minting, snapshots and offline mode (no hive request).

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MANIFEST } from "../host/generated/manifest.js";
import { clientOn, startTransport } from "../host/sdk/open.js";
import { decodeTicket } from "../host/sdk/ticket/index.js";
import { CSP } from "../host/swarmui/app.js";
import { ConfigError, ROOT } from "../host/swarmui/config.js";
import { HELP_LINES } from "../host/swarmui/console.js";
import { LiveSource } from "../host/swarmui/poller.js";
import { shardLabel } from "../host/swarmui/shard.js";
import type { RunningSwarm } from "../host/swarmui/server.js";
import type { Bootstrap, PollBatch } from "../host/swarmui/shared/types.js";
import { get, post, startTestSwarm, swarmConfig, uiReady } from "./swarmui/server.js";

const data = mkdtempSync(join(tmpdir(), "swarmui-server-"));
let s: RunningSwarm;

beforeAll(async () => {
  await uiReady();
  // The console's rate-limit clock moves 1 s per command here, so these tests never meet
  // swarmui.console_commands_per_s; its own test below holds a clock still.
  let clock = 0;
  s = await startTestSwarm(["--mock", "--mock-workers", "3", "--data-dir", data], {}, { now: () => (clock += 1000) });
}, 120_000);
afterAll(async () => {
  await s?.stop();
  rmSync(data, { recursive: true, force: true });
});

function raw(path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const u = new URL(path, s.url);
  return new Promise((res, rej) => {
    const r = request({ host: u.hostname, port: u.port, path: u.pathname + u.search, headers }, (m) => {
      let body = "";
      m.on("data", (d: Buffer) => (body += d.toString()));
      m.on("end", () => res({ status: m.statusCode ?? 0, body }));
    });
    r.on("error", rej);
    r.end();
  });
}

describe("settings", () => {
  it("refuses non-loopback binds unless opted in, bad transports and mixed modes", async () => {
    await expect(swarmConfig(["--bind", "0.0.0.0"])).rejects.toThrow(/refusing to bind 0\.0\.0\.0/);
    await expect(swarmConfig(["--bind", "0.0.0.0", "--allow-non-loopback-bind"])).rejects.toThrow(/--tls-cert/);
    await expect(swarmConfig(["--tls-cert", "/nonexistent.pem"])).rejects.toThrow(/go together/);
    expect((await swarmConfig(["--bind", "127.0.0.2"])).bind.host).toBe("127.0.0.2");
    await expect(swarmConfig([], { SWARMUI_TRANSPORT: "udp" })).rejects.toThrow(ConfigError);
    await expect(swarmConfig([], { SWARMUI_TRANSPORT: "rest" })).rejects.toThrow(/SWARMUI_REST_URL/);
    await expect(swarmConfig(["--mock", "--replay", "x.cbor"])).rejects.toThrow(/cannot be combined/);
    const c = await swarmConfig(["--replay", "x.cbor", "--data-dir", data], { SWARMUI_TRANSPORT: "secure9p", SWARMUI_9P_PORT: "4000", COHSH_AUTH_TOKEN: "tok", COH_REST_AUTH_TOKEN: "r" });
    expect(c).toMatchObject({ transport: "9p", port: 4000, authToken: "tok", restToken: "r", replay: join(data, "traces", "x.cbor") });
    expect((await swarmConfig([], { SWARMUI_AUTH_TOKEN: "env:NOPE_X" }).catch((e: Error) => e.message))).toMatch(/NOPE_X is not set/);
  });
});

describe("the live poller on the mock core", () => {
  it("tails at most poll_workers_per_tick workers per poll, each at most once per tail interval, and drops killed workers", async () => {
    const t = await startTransport({ transport: "mock" });
    const ns = clientOn(t, {});
    try {
      await ns.attach("queen");
      for (let i = 0; i < 5; i++) await ns.append("/queen/ctl", '{"spawn":"heartbeat","ticks":0}');
      for (const id of await ns.ls("/worker")) await ns.append(`/worker/${id}/telemetry`, `seed ${id}`);
      let now = 0;
      let tails = 0;
      const counted = new Proxy(ns, { get: (o, k) => (k === "tail" ? (p: string) => (tails++, o.tail(p)) : Reflect.get(o, k)) });
      const src = new LiveSource({ ns: counted, role: "queen", now: () => now, section: { ...MANIFEST.swarmui, poll_workers_per_tick: 2, lod_event_budget: 3 } });
      const boot = await src.bootstrap();
      expect(boot.agents.map((a) => a.id)).toEqual(["queen", "worker-1", "worker-2", "worker-3", "worker-4", "worker-5"]);
      expect(boot.agents[1].namespace).toBe(`/shard/${shardLabel("worker-1")}/worker/worker-1`);
      expect(await ns.ls(`/shard/${shardLabel("worker-1")}/worker`)).toContain("worker-1");
      const b1 = await src.poll();
      expect(b1.events.map((e) => e.agent)).toEqual(["worker-1", "worker-2"]); // two workers tailed
      expect(b1.events.length).toBeLessThanOrEqual(3);
      expect(b1.agents?.length).toBe(6);
      expect(b1.root).toEqual({ reachable: true, cut_reason: null });
      const b2 = await src.poll();
      expect(b2.events.map((e) => e.agent)).toEqual(["worker-3", "worker-4"]);
      expect(b2.agents).toBeNull();
      const b3 = await src.poll();
      expect(b3.events.map((e) => e.agent)).toEqual(["worker-5"]); // the others are not due yet
      expect(tails).toBe(5);
      const b4 = await src.poll();
      expect(b4.events).toEqual([]);
      expect(tails).toBe(5); // status reads only: nobody is due
      now = 1_000_000; // every worker due again; new lines only
      await ns.append("/worker/worker-1/telemetry", "second");
      await ns.append("/queen/ctl", '{"kill":"worker-2"}');
      const b5 = await src.poll();
      expect(b5.agents?.map((a) => a.id)).toEqual(["queen", "worker-1", "worker-3", "worker-4", "worker-5"]);
      const w1 = b5.events.filter((e) => e.agent === "worker-1").map((e) => e.detail);
      expect(w1.every((d) => d !== "seed worker-1")).toBe(true);
      expect(src.detail("worker-1", 50)?.lines[0]).toBe("seed worker-1");
    } finally {
      await ns.close();
      await t.stop();
    }
  });
  it("queues past lod_event_budget as backlog and pressure, dropping past snapshot_max_events", async () => {
    const t = await startTransport({ transport: "mock" });
    const ns = clientOn(t, {});
    try {
      await ns.attach("queen");
      await ns.append("/queen/ctl", '{"spawn":"heartbeat","ticks":0}');
      for (let i = 0; i < 8; i++) await ns.append("/worker/worker-1/telemetry", `l${i}`);
      const src = new LiveSource({ ns, role: "queen", section: { ...MANIFEST.swarmui, lod_event_budget: 3, snapshot_max_events: 6 } });
      await src.bootstrap();
      const b = await src.poll();
      expect(b.events.map((e) => e.detail)).toEqual(["l2", "l3", "l4"]);
      expect([b.backlog, b.pressure, b.dropped]).toEqual([3, 1, 2]);
    } finally {
      await ns.close();
      await t.stop();
    }
  });
});

describe("the API", () => {
  it("serves the page with its session token, CSP without unsafe-eval, and no console token", async () => {
    const r = await fetch(s.url);
    const html = await r.text();
    expect(r.headers.get("content-security-policy")).toBe(CSP);
    expect(CSP).not.toMatch(/unsafe-eval|unsafe-inline/);
    expect(html).toContain(`<meta name="swarmui-session" content="${s.token}"`);
    expect(html).not.toContain(MANIFEST.console.auth_token);
    expect(html).not.toMatch(/<script>(?!<)/);
  });
  it("refuses calls without the token, from a foreign Host, and cross-origin writes", async () => {
    expect((await get(s, "/api/bootstrap", { "x-swarmui-session": "wrong" })).status).toBe(401);
    expect((await raw("/api/bootstrap", {})).status).toBe(401);
    const rebind = await raw("/api/bootstrap", { host: "evil.example:80", "x-swarmui-session": s.token });
    expect(rebind.status).toBe(421);
    expect(JSON.parse(rebind.body)).toMatchObject({ reason: "policy" });
    expect((await post(s, "/api/console", { line: "help" }, { origin: "http://evil.example" })).status).toBe(403);
  });
  it("bootstrap and poll batches have the reference's shape", async () => {
    const b = (await get<Bootstrap>(s, "/api/bootstrap")).body;
    expect(b.agents[0]).toEqual({ id: "queen", role: "queen", namespace: "/queen" });
    expect(b.agents.filter((a) => a.role === "worker-gpu")).toHaveLength(1);
    expect(b.namespace_roots).toEqual(["/proc", "/queen", "/worker", "/log", "/gpu"]);
    expect(b.hive.frame_cap_fps).toBe(30);
    expect(b).toMatchObject({ replay: false, mode: "live", session: { role: "queen", transport: "mock" } });
    const p = (await get<{ batches: PollBatch[] }>(s, "/api/poll?after=0")).body.batches[0];
    expect(Object.keys(p).sort()).toEqual(["agents", "at_ms", "backlog", "batch", "detail", "done", "dropped", "events", "lease", "overlays", "pressure", "pressure_counters", "root", "schedule", "sessions"]);
    expect(p.pressure_counters).toEqual({ busy: 0, quota: 0, cut: 0, policy: 0 });
    expect(p.lease?.active[0]).toMatchObject({ resource: "GPU-0" });
    expect(p.events.some((e) => e.kind === "error" && e.reason === "quota")).toBe(true);
  });
  it("streams batches over server-sent events", async () => {
    const ctl = new AbortController();
    const r = await fetch(new URL(`/api/events?session=${s.token}`, s.url), { signal: ctl.signal });
    expect(r.headers.get("content-type")).toBe("text/event-stream");
    const reader = (r.body as ReadableStream<Uint8Array>).getReader();
    let text = "";
    while (!/event: batch\ndata: \{/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    ctl.abort();
    expect(text).toMatch(/^retry: \d+/);
  });
  it("browses only inside the namespace roots, fleet and GPU panels read the hive", async () => {
    expect((await get<{ entries: string[] }>(s, "/api/ns/ls?path=/proc")).body.entries).toContain("ingest");
    expect((await get<{ lines: string[] }>(s, "/api/ns/cat?path=/proc/root/reachable")).body.lines).toEqual(["reachable=yes"]);
    expect((await get(s, "/api/ns/ls?path=/policy")).status).toBe(403);
    expect((await get(s, "/api/ns/cat?path=/proc/../policy/rules")).status).toBe(403);
    expect((await get(s, "/api/ns/ls")).status).toBe(400);
    const fleet = (await get<{ lines: string[] }>(s, "/api/fleet")).body.lines;
    expect(fleet[0]).toBe("OK CAT path=/proc/ingest/*");
    expect(fleet.slice(1, 6).map((l) => l.split(":")[0])).toEqual(["p50_ms", "p95_ms", "backpressure", "dropped", "queued"].map((k) => `/proc/ingest/${k}`));
    expect(fleet).toContain("worker=worker-1");
    const gpu = (await get<{ gpus: Array<{ id: string; lease: string[] }> }>(s, "/api/gpu")).body;
    expect(gpu.gpus.map((g) => g.id)).toEqual(["GPU-0", "GPU-1"]);
    expect(gpu.gpus[0].lease.join("\n")).toMatch(/"state":"ACTIVE"/);
    expect((await get<{ lines: string[] }>(s, "/api/telemetry?worker=")).body.lines).toEqual(["ERR TAIL missing worker id (run ls /worker to list active workers)"]);
    expect((await get(s, "/api/telemetry?worker=a%20b")).status).toBe(400);
  });
  it("the console answers the reference's subset read-only", async () => {
    const c = async (line: string) => (await post<{ ok: boolean; lines: string[] }>(s, "/api/console", { line })).body;
    expect((await c("help")).lines).toEqual(HELP_LINES);
    expect((await c("ls /proc/root")).lines).toEqual(["OK LS path=/proc/root entries=3", "cut_reason", "last_seen_ms", "reachable", "END"]);
    expect((await c("ping")).lines).toEqual(["PONG", "OK PING reply=pong"]);
    for (const w of ["echo hi > /log/queen.log", "spawn heartbeat ticks=1", "kill worker-1"]) {
      const r = await c(w);
      expect(r.ok).toBe(false);
      expect(r.lines[0]).toMatch(/^ERR (ECHO|SPAWN|KILL) reason=policy detail=read-only/);
    }
    expect((await c("cat /nope")).lines[0]).toMatch(/^ERR CAT reason=policy/);
    expect((await c("test")).lines[0]).toMatch(/^ERR PARSE reason=policy detail=unsupported command 'test'/);
    expect((await c("ls")).lines[0]).toBe("ERR PARSE reason=policy detail=usage: ls <path>");
    expect((await post(s, "/api/console", { line: "x".repeat(MANIFEST.console.line_max + 1) })).status).toBe(400);
  });
  it("rate-limits the console at console_commands_per_s per second: at the bound 200, past it 429 + Retry-After, then again after the window", async () => {
    let now = 5_000_000;
    const r = await startTestSwarm(["--replay", join(ROOT, "tests/swarmui/demo.cbor"), "--data-dir", data], {}, { now: () => now });
    try {
      const c = (line: string) => post<{ lines?: string[]; reason?: string; detail?: string }>(r, "/api/console", { line });
      const max = MANIFEST.swarmui.console_commands_per_s;
      for (let i = 0; i < max; i++) {
        now += i === 0 ? 0 : 1; // all inside one window
        const ok = await c(i % 2 ? "help" : "nope");
        expect(ok.status, `command ${i + 1} of ${max}`).toBe(200);
      }
      const res = await fetch(new URL("/api/console", r.url), { method: "POST", headers: { "x-swarmui-session": r.token, "content-type": "application/json" }, body: JSON.stringify({ line: "help" }) });
      expect(res.status).toBe(429);
      // The oldest accepted command was max-1 ms ago: it leaves the window in 1000-(max-1) ms.
      const delay = 1000 - (max - 1);
      expect(res.headers.get("retry-after")).toBe("1");
      expect(await res.json()).toEqual({ error: `rate-limited: ERR CONSOLE reason=rate-limited delay_ms=${delay} (swarmui.console_commands_per_s ${max})`, reason: "rate-limited", detail: `ERR CONSOLE reason=rate-limited delay_ms=${delay} (swarmui.console_commands_per_s ${max})` });
      now += delay - 1; // 1 ms short of the window: still refused, and refusals do not count
      expect((await c("help")).body.detail).toMatch(/delay_ms=1 /);
      now += 1;
      expect((await c("help")).status).toBe(200);
      expect((await c("help")).status).toBe(429); // one slot left the window, so exactly one more
    } finally {
      await r.stop();
    }
  });
  it("mints tickets the hive's secrets verify; refuses unknown roles", async () => {
    const r = await post<{ ticket: string }>(s, "/api/mint", { role: "worker-heartbeat", subject: "worker-1" });
    expect(r.status).toBe(200);
    const d = decodeTicket(r.body.ticket, MANIFEST.tickets["worker-heartbeat"]);
    expect(d.ok && d.value.subject).toBe("worker-1");
    expect((await post(s, "/api/mint", { role: "king" })).status).toBe(400);
  });
  it("limits live streams to sse_clients_max (429 + Retry-After past it)", async () => {
    const ctl = new AbortController();
    const open: Response[] = [];
    try {
      const have = (await get<{ subscribers: number }>(s, "/api/status")).body.subscribers;
      for (let i = have; i < MANIFEST.swarmui.sse_clients_max; i++) {
        const r = await fetch(new URL(`/api/events?session=${s.token}`, s.url), { signal: ctl.signal });
        expect(r.status).toBe(200);
        open.push(r);
      }
      const past = await fetch(new URL(`/api/events?session=${s.token}`, s.url));
      expect(past.status).toBe(429);
      expect(past.headers.get("retry-after")).toBe("2");
    } finally {
      ctl.abort();
    }
  });
  it("saves a snapshot, then offline serves it without one hive request, and back online", async () => {
    await get(s, "/api/poll?after=0");
    const saved = await post<{ path: string; events: number }>(s, "/api/snapshot", { key: "t1" });
    expect(saved.status).toBe(200);
    expect(saved.body.path).toBe(join(data, "snapshots", "hive:t1.cbor"));
    expect((await post(s, "/api/mode", { offline: true, key: "missing" })).status).toBe(404);
    expect((await post(s, "/api/mode", { offline: true, key: "t1" })).body).toEqual({ mode: "offline" });
    const before = s.state.hiveRequests;
    const b = (await get<Bootstrap>(s, "/api/bootstrap")).body;
    expect(b.mode).toBe("offline");
    const batches = (await get<{ batches: PollBatch[] }>(s, "/api/poll?after=0")).body.batches;
    expect(batches[0].events.length).toBe(Math.min(saved.body.events, MANIFEST.swarmui.lod_event_budget));
    const refused = await get<{ detail: string }>(s, "/api/fleet");
    expect(refused.status).toBe(404); // nothing cached (cache.enabled = 0), and no network
    const cons = (await post<{ lines: string[] }>(s, "/api/console", { line: "ls /proc" })).body.lines;
    expect(cons[0]).toMatch(/not connected \(offline mode/);
    expect(s.state.hiveRequests).toBe(before);
    expect(s.state.link).toBeNull();
    expect((await post(s, "/api/mode", { offline: false })).body).toEqual({ mode: "live" });
    expect((await get<Bootstrap>(s, "/api/bootstrap")).body.mode).toBe("live");
  });
});

describe("replay", () => {
  it("replays the fixture in min(lod_event_budget, snapshot_max_events) batches until done; a bad file stops start-up", async () => {
    const r = await startTestSwarm(["--replay", new URL("./swarmui/demo.cbor", import.meta.url).pathname, "--data-dir", data]);
    try {
      const boot = (await get<Bootstrap>(r, "/api/bootstrap")).body;
      expect(boot).toMatchObject({ replay: true, mode: "replay" });
      expect(boot.agents).toHaveLength(13);
      const b1 = (await get<{ batches: PollBatch[] }>(r, "/api/poll?after=0")).body.batches[0];
      expect([b1.events.length, b1.backlog, b1.done]).toEqual([512, 88, false]);
      const b2 = (await get<{ batches: PollBatch[] }>(r, `/api/poll?after=${b1.batch}`)).body.batches[0];
      expect([b2.events.length, b2.backlog, b2.done, b2.pressure]).toEqual([88, 0, true, 0]);
      expect((await post(r, "/api/connect", { role: "queen" })).status).toBe(409);
    } finally {
      await r.stop();
    }
    const bad = join(data, "bad.cbor");
    writeFileSync(bad, "not cbor");
    await expect(startTestSwarm(["--replay", bad])).rejects.toThrow(/--replay .*bad\.cbor: not CBOR/);
  });
});

describe("through hive-gateway (seed scenario A's transport)", () => {
  it("SWARMUI_TRANSPORT=rest reads the hive through the gateway's REST API", async () => {
    const { inProcess, TOKEN } = await import("./helpers/gateway.js");
    const gw = await inProcess(["--mock"]);
    let r: RunningSwarm | undefined;
    try {
      r = await startTestSwarm(["--data-dir", data], { SWARMUI_TRANSPORT: "rest", SWARMUI_REST_URL: gw.url, SWARMUI_REST_AUTH_TOKEN: TOKEN });
      const b = (await get<Bootstrap>(r, "/api/bootstrap")).body;
      expect(b.session).toMatchObject({ role: "queen", transport: "rest" });
      const p = (await get<{ batches: PollBatch[] }>(r, "/api/poll?after=0")).body.batches[0];
      expect(p.root).toEqual({ reachable: true, cut_reason: null });
      expect((await post<{ lines: string[] }>(r, "/api/console", { line: "ls /proc/root" })).body.lines[0]).toBe("OK LS path=/proc/root entries=3");
      await expect(startTestSwarm(["--data-dir", data], { SWARMUI_TRANSPORT: "rest", SWARMUI_REST_URL: gw.url, SWARMUI_REST_AUTH_TOKEN: "wrong-token" })).rejects.toThrow(/cannot reach the hive \(rest/);
    } finally {
      await r?.stop();
      await gw.stop();
    }
  }, 60_000);
});
