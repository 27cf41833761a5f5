// hive-gateway routes over the in-process core (--mock): shapes, every validation and status
// code, the read cache, and the same routes over a real socket. The OpenAPI document equals
// the registered routes and its committed snapshot.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningGateway } from "../host/hive-gateway/gateway.js";
import { MANIFEST } from "../host/generated/manifest.js";
import { auth, inProcess, TOKEN } from "./helpers/gateway.js";

const MAX_READ = MANIFEST.console.reply_backlog_bytes + MANIFEST.console.tx_queue_bytes;

describe("hive-gateway routes (mock core)", () => {
  let gw: RunningGateway;
  const get = (url: string, headers = auth()) => gw.app.inject({ method: "GET", url, headers });
  const post = (url: string, payload: unknown, headers = auth()) => gw.app.inject({ method: "POST", url, headers: { ...headers, "content-type": "application/json" }, payload: JSON.stringify(payload) });

  beforeAll(async () => {
    gw = await inProcess();
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it("GET /v1/meta/bounds needs no token and comes from the manifest", async () => {
    const r = await gw.app.inject({ method: "GET", url: "/v1/meta/bounds" });
    expect(r.statusCode).toBe(200);
    const b = r.json();
    expect(b.manifest_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(b.console).toMatchObject({ max_line_len: MANIFEST.console.line_max, max_path_len: MANIFEST.console.path_max, max_echo_len: MANIFEST.console.echo_max, max_tail_lines: MANIFEST.console.log_lines });
    expect(b.secure9p).toEqual({ msize: MANIFEST.console.frame_max, walk_depth: MANIFEST.namespace.walk_depth });
    expect(b.gateway).toMatchObject({ control_sessions: MANIFEST.gateway.control_sessions, telemetry_sessions: MANIFEST.gateway.telemetry_sessions, max_read_bytes: MAX_READ, mcp_enable: false });
  });

  it("GET /v1/meta/status reports the pool, lanes and counters", async () => {
    const r = await get("/v1/meta/status");
    expect(r.statusCode).toBe(200);
    const s = r.json();
    expect(s).toMatchObject({ connected: true, backend_class: "host-model", caller: { role: "queen", ticket: false } });
    expect(s.sessions).toHaveLength(MANIFEST.gateway.control_sessions + MANIFEST.gateway.telemetry_sessions);
    expect(s.sessions.every((x: { state: string }) => x.state === "up")).toBe(true);
    for (const k of ["control_waiters", "telemetry_waiters", "pool_exhausted", "timeout_rejections", "checkout_retries", "proc_cache_hits", "proc_cache_misses", "proc_cache_evictions", "control_requests", "telemetry_requests"]) {
      expect(typeof s.broker[k], k).toBe("number");
    }
  });

  it("ls, cat, tail answer the reference's GatewayResponse with the console's ack", async () => {
    const ls = (await get("/v1/fs/ls?path=/")).json();
    expect(ls).toMatchObject({ status: "OK", verb: "LS", path: "/", end: true, ack: `OK LS path=/ entries=${ls.lines.length}` });
    expect(ls.lines).toContain("proc");
    const cat = await get("/v1/fs/cat?path=/proc/lifecycle/state&max_bytes=64");
    expect(cat.statusCode).toBe(200);
    expect(cat.json()).toMatchObject({ status: "OK", verb: "CAT", lines: ["state=ONLINE"], bytes: 12 });
    expect(cat.json().ack).toBe("OK CAT path=/proc/lifecycle/state data=state=ONLINE");
    const tail = (await get("/v1/fs/tail?path=/log/queen.log&max_bytes=65536&lines=2")).json();
    expect(tail).toMatchObject({ status: "OK", verb: "TAIL", ack: "OK TAIL path=/log/queen.log" });
    expect(tail.lines).toHaveLength(2);
    const b64 = (await get("/v1/fs/cat?path=/proc/lifecycle/state&max_bytes=64&encoding=base64")).json();
    expect(b64).toMatchObject({ encoding: "base64", bytes: 12 });
    expect(Buffer.from(b64.data, "base64").toString()).toBe("state=ONLINE\n");
    expect(b64.lines).toBeUndefined();
  });

  it("echo appends once and a telemetry ctl write returns the new seg_id; echo-batch keeps order", async () => {
    const e = await post("/v1/fs/echo", { path: "/queen/telemetry/gw-dev/ctl", line: '{"new":"segment","mime":"text/plain"}' });
    expect(e.statusCode).toBe(200);
    expect(e.json()).toMatchObject({ status: "OK", verb: "ECHO", seg_id: "seg-000001", lines: ["seg-000001"], bytes: 37, ack: "OK ECHO path=/queen/telemetry/gw-dev/ctl bytes=37" });
    const lines = Array.from({ length: MANIFEST.gateway.echo_batch_max }, (_, i) => `batch-${i}`);
    const b = await post("/v1/fs/echo-batch", { path: "/queen/telemetry/gw-dev/seg/seg-000001", lines });
    expect(b.statusCode).toBe(200);
    expect(b.json()).toMatchObject({ status: "OK", verb: "ECHO_BATCH", bytes: lines.join("").length });
    const back = (await get("/v1/fs/cat?path=/queen/telemetry/gw-dev/seg/seg-000001&max_bytes=4096")).json();
    expect(back.lines.filter((l: string) => l.startsWith("batch-"))).toEqual(lines);
  });

  const bad: Array<[string, () => Promise<{ statusCode: number; json: () => { error?: string; status?: string } }>, number, string | RegExp]> = [
    ["path missing", () => get("/v1/fs/ls"), 400, "path is required"],
    ["path relative", () => get("/v1/fs/ls?path=proc"), 400, "path must be absolute"],
    ["path with NUL", () => get("/v1/fs/ls?path=/proc%00x"), 400, "path contains NUL byte"],
    ["path with a line break", () => get("/v1/fs/cat?path=/proc%0Aboot&max_bytes=9"), 400, /whitespace or line breaks/],
    ["path with '..' (the guest's rule)", () => get("/v1/fs/cat?path=/proc/../proc/boot&max_bytes=99"), 400, "ERR CAT reason=policy detail=invalid-path path=/proc/../proc/boot error=invalid path"],
    ["path deeper than walk_depth", () => get("/v1/fs/ls?path=/a/b/c/d/e/f/g/h/i"), 400, /invalid-path/],
    ["path longer than path_max", () => get(`/v1/fs/ls?path=/${"p".repeat(MANIFEST.console.path_max)}`), 400, `ERR PARSE reason=policy detail=argument path ${MANIFEST.console.path_max + 1} bytes > ${MANIFEST.console.path_max}`],
    ["max_bytes missing", () => get("/v1/fs/cat?path=/proc/boot"), 400, "max_bytes is required"],
    ["max_bytes zero", () => get("/v1/fs/cat?path=/proc/boot&max_bytes=0"), 400, /max_bytes/],
    ["max_bytes not a number", () => get("/v1/fs/cat?path=/proc/boot&max_bytes=lots"), 400, /max_bytes/],
    ["max_bytes past the bound", () => get(`/v1/fs/cat?path=/proc/boot&max_bytes=${MAX_READ + 1}`), 400, `max_bytes ${MAX_READ + 1} exceeds bound ${MAX_READ}`],
    ["reply larger than max_bytes", () => get("/v1/fs/cat?path=/proc/lifecycle/state&max_bytes=11"), 400, "read exceeded max_bytes 11"],
    ["tail larger than max_bytes", () => get("/v1/fs/tail?path=/proc/lifecycle/state&max_bytes=5"), 400, "tail exceeded max_bytes 5"],
    ["tail lines 0", () => get("/v1/fs/tail?path=/log/queen.log&max_bytes=99&lines=0"), 400, /lines/],
    ["tail lines past max_tail_lines", () => get(`/v1/fs/tail?path=/log/queen.log&max_bytes=99&lines=${MANIFEST.console.log_lines + 1}`), 400, `lines ${MANIFEST.console.log_lines + 1} exceeds max_tail_lines ${MANIFEST.console.log_lines}`],
    ["unknown query field", () => get("/v1/fs/ls?path=/&x=1"), 400, "unknown field 'x'"],
    ["echo of two lines", () => post("/v1/fs/echo", { path: "/log/queen.log", line: "a\nb" }), 400, "payload must be a single line"],
    ["echo with CR", () => post("/v1/fs/echo", { path: "/log/queen.log", line: "a\rb" }), 400, "payload must be a single line"],
    ["echo past echo_max (the console's bound)", () => post("/v1/fs/echo", { path: "/log/queen.log", line: "x".repeat(MANIFEST.console.echo_max + 1) }), 400, `ERR PARSE reason=policy detail=argument payload ${MANIFEST.console.echo_max + 1} bytes > ${MANIFEST.console.echo_max}`],
    ["echo without line", () => post("/v1/fs/echo", { path: "/log/queen.log" }), 400, /line/],
    ["echo body not JSON", () => gw.app.inject({ method: "POST", url: "/v1/fs/echo", headers: { ...auth(), "content-type": "application/json" }, payload: "{nope" }), 400, /JSON/],
    ["echo-batch empty", () => post("/v1/fs/echo-batch", { path: "/log/queen.log", lines: [] }), 400, /lines/],
    ["echo-batch past echo_batch_max", () => post("/v1/fs/echo-batch", { path: "/log/queen.log", lines: Array(MANIFEST.gateway.echo_batch_max + 1).fill("x") }), 400, /lines/],
    ["file that does not exist", () => get("/v1/fs/cat?path=/proc/nothing-here&max_bytes=99"), 404, "ERR CAT reason=policy detail=not-found path=/proc/nothing-here error=no such file"],
    ["write to a read-only file", () => post("/v1/fs/echo", { path: "/proc/boot", line: "nope" }), 403, /ERR ECHO reason=policy detail=denied path=\/proc\/boot error=EPERM/],
    ["body past body_max_bytes", () => post("/v1/fs/echo", { path: "/log/queen.log", line: "x".repeat(MANIFEST.gateway.body_max_bytes) }), 413, `request body exceeds ${MANIFEST.gateway.body_max_bytes} bytes (gateway.body_max_bytes)`],
    ["unknown route", () => get("/v1/fs/nope"), 404, "no route GET /v1/fs/nope"],
  ];
  for (const [what, call, status, msg] of bad) {
    it(`${what} → ${status}`, async () => {
      const r = await call();
      expect(r.statusCode).toBe(status);
      const body = r.json();
      expect(body.status).toBe("ERR");
      if (typeof msg === "string") expect(body.error).toBe(msg);
      else expect(body.error).toMatch(msg);
    });
  }

  it("bounds hold at their edge: max_bytes = bound, lines = max_tail_lines, echo = echo_max, batch = echo_batch_max", async () => {
    expect((await get(`/v1/fs/cat?path=/proc/boot&max_bytes=${MAX_READ}`)).statusCode).toBe(200);
    expect((await get(`/v1/fs/tail?path=/log/queen.log&max_bytes=65536&lines=${MANIFEST.console.log_lines}`)).statusCode).toBe(200);
    expect((await post("/v1/fs/echo", { path: "/log/queen.log", line: "e".repeat(MANIFEST.console.echo_max) })).statusCode).toBe(200);
    expect((await get("/v1/fs/cat?path=/proc/lifecycle/state&max_bytes=12")).statusCode).toBe(200);
  });

  it("a console refusal is never a 200: 429 for quota/busy carries Retry-After", async () => {
    // Fill the lease table's quota: a second grant past max_active is refused with reason=quota.
    const q = await post("/v1/fs/echo", { path: "/queen/lease/ctl", line: '{"op":"quota","subject":"w-q","resource":"gpu0","max_active":1,"max_preemptions":0}' });
    expect(q.statusCode, q.body).toBe(200);
    expect((await post("/v1/fs/echo", { path: "/queen/lease/ctl", line: '{"op":"grant","id":"lq-1","subject":"w-q","resource":"gpu0","ttl_s":60,"priority":1}' })).statusCode).toBe(200);
    const r = await post("/v1/fs/echo", { path: "/queen/lease/ctl", line: '{"op":"grant","id":"lq-2","subject":"w-q","resource":"gpu0","ttl_s":60,"priority":1}' });
    expect(r.statusCode).toBe(429);
    expect(r.headers["retry-after"]).toMatch(/^\d+$/);
    expect(r.json().error).toMatch(/^ERR ECHO reason=quota detail=lease-quota/);
  });

  it("single-flight cache: 64 concurrent readers of /proc/lease/active cost one upstream read", async () => {
    const before = gw.hive.cache.counters.misses;
    const reqBefore = gw.hive.broker.lanes.telemetry.counters.requests;
    const rs = await Promise.all(Array.from({ length: 64 }, () => get("/v1/fs/cat?path=/proc/lease/active&max_bytes=65536")));
    expect(rs.every((r) => r.statusCode === 200)).toBe(true);
    expect(new Set(rs.map((r) => r.body)).size).toBe(1);
    expect(gw.hive.cache.counters.misses - before).toBe(1);
    expect(gw.hive.broker.lanes.telemetry.counters.requests - reqBefore).toBe(1);
  });

  it("a write invalidates what it can change: lifecycle cordon is seen at once through the cache", async () => {
    expect((await get("/v1/fs/cat?path=/proc/lifecycle/state&max_bytes=64")).json().lines).toEqual(["state=ONLINE"]);
    expect((await post("/v1/fs/echo", { path: "/queen/lifecycle/ctl", line: "cordon" })).statusCode).toBe(200);
    expect((await get("/v1/fs/cat?path=/proc/lifecycle/state&max_bytes=64")).json().lines).toEqual(["state=DRAINING"]);
    expect((await post("/v1/fs/echo", { path: "/queen/lifecycle/ctl", line: "resume" })).statusCode).toBe(200);
    expect((await get("/v1/fs/cat?path=/proc/lifecycle/state&max_bytes=64")).json().lines).toEqual(["state=ONLINE"]);
  });

  it("/metrics is Prometheus text with latency histograms by route and status and the broker counters", async () => {
    const r = await gw.app.inject({ method: "GET", url: "/metrics" });
    expect(r.statusCode).toBe(200);
    expect(r.headers["content-type"]).toMatch(/^text\/plain/);
    expect(r.body).toMatch(/^hive_gateway_request_duration_seconds_count\{route="\/v1\/fs\/cat",status="200"\} \d+$/m);
    expect(r.body).toMatch(/^hive_gateway_request_duration_seconds_bucket\{route="\/v1\/fs\/cat",status="400",le="\+Inf"\} \d+$/m);
    expect(r.body).toMatch(/^hive_gateway_lane_requests_total\{lane="control"\} \d+$/m);
    expect(r.body).toMatch(/^hive_gateway_cache_hits_total \d+$/m);
    expect(r.body).toMatch(/^hive_gateway_upstream_up\{session="0"\} 1$/m);
  });

  it("OpenAPI: JSON and YAML list exactly the routes, from the schemas that validate; /docs is offline", async () => {
    const doc = (await gw.app.inject({ method: "GET", url: "/v1/openapi.json" })).json();
    const routes = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    expect(routes.sort()).toEqual(["GET /v1/fs/cat", "GET /v1/fs/ls", "GET /v1/fs/tail", "GET /v1/meta/bounds", "GET /v1/meta/status", "POST /v1/fs/echo", "POST /v1/fs/echo-batch"]);
    const cat = doc.paths["/v1/fs/cat"].get;
    expect(cat.parameters.map((p: { name: string; required?: boolean }) => `${p.name}:${p.required === true}`).sort()).toEqual(["encoding:false", "max_bytes:true", "path:true"]);
    expect(Object.keys(cat.responses).sort()).toEqual(["200", "400", "401", "403", "404", "413", "429", "503", "504"]);
    expect(doc.paths["/v1/fs/echo-batch"].post.requestBody.content["application/json"].schema.properties.lines.maxItems).toBe(MANIFEST.gateway.echo_batch_max);
    await expect(JSON.stringify(doc, null, 2) + "\n").toMatchFileSnapshot("fixtures/gateway_openapi.json");
    const yaml = await gw.app.inject({ method: "GET", url: "/v1/openapi.yaml" });
    expect(yaml.headers["content-type"]).toMatch(/^application\/yaml/);
    expect(yaml.body).toMatch(/^openapi: 3\.1\.0$/m);
    expect(yaml.body).toContain("/v1/fs/echo-batch:");
    const docs = await gw.app.inject({ method: "GET", url: "/docs" });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain("<code>/v1/fs/tail</code>");
    expect(docs.body).not.toMatch(/<script|https?:\/\/(?!127)/);
  });

  it("over a real socket: the same answers, and x-cohesix-auth works like the bearer", async () => {
    const base = gw.url;
    const r = await fetch(`${base}/v1/fs/cat?path=/proc/lifecycle/state&max_bytes=64`, { headers: { "x-cohesix-auth": TOKEN } });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ status: "OK", lines: ["state=ONLINE"] });
    const e = await fetch(`${base}/v1/fs/echo`, { method: "POST", headers: { authorization: `bearer ${TOKEN}`, "content-type": "application/json" }, body: JSON.stringify({ path: "/log/queen.log", line: "over-a-socket" }) });
    expect(e.status).toBe(200);
    const none = await fetch(`${base}/v1/fs/ls?path=/`);
    expect(none.status).toBe(401);
  });
});
