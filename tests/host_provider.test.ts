// /host (manifest [host], docs/HOST.md) on the in-process guest: the tree and its listings, status
// values that replace, entities that grow to their bound, control sinks that become tickets, the
// worker view, the lifecycle gate, and strict host-ticket/v1 / host-ticket-result/v1 validation
// with every bound tested at and past its edge (a refused line changes nothing).

import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ConsoleClient } from "../host/sdk/console/client.js";
import { MANIFEST } from "../host/generated/manifest.js";
import { P9Error } from "../host/sdk/p9/client.js";
import { Guest } from "../host/runtime/guest.js";
import { authed, queen } from "./helpers/console.js";
import { nineSession } from "./helpers/p9.js";
import { buildRegressionCore } from "./helpers/regression_core.js";
import { manifestTicket } from "./helpers/tickets.js";

const H = MANIFEST.host;
const M = H.mount_at;
const wall = 1_800_000_000_000n;

let guest: Guest;
let q: ConsoleClient;

beforeEach(async () => {
  guest = await Guest.start({ manualClock: true, wallMs: () => wall });
  q = await queen(guest);
});
afterEach(async () => {
  await guest.stop();
});

const echo = async (p: string, v: string): Promise<string> => (await q.request(`ECHO ${p} ${v}`)).ack;
const cat = async (p: string): Promise<string[]> => {
  const r = await q.request(`CAT ${p}`);
  if (!r.ok) throw new Error(r.ack);
  return r.lines;
};
const ls = async (p: string): Promise<string[]> => {
  const r = await q.request(`LS ${p}`);
  if (!r.ok) throw new Error(r.ack);
  return r.lines;
};
const log = async (): Promise<string[]> => (await q.request("LOG")).lines;
const counters = async (): Promise<string[]> => cat("/proc/host/tickets");
const nineAppend = async (path: string, line: string): Promise<string> => {
  const { c, root } = await nineSession(guest, wall);
  try {
    await c.append(root, path, line + "\n");
    return "ok";
  } catch (e) {
    return e instanceof P9Error ? e.code : String(e);
  } finally {
    c.end();
  }
};

const spec = (id: string, key = "k1", extra = ""): string => `{"schema":"host-ticket/v1","id":"${id}","idempotency_key":"${key}","action":"systemd.restart"${extra}}`;
const result = (id: string, state: string, key = "k1", msg = "ok"): string =>
  `{"schema":"host-ticket-result/v1","id":"${id}","idempotency_key":"${key}","action":"systemd.restart","state":"${state}","message":"${msg}"}`;

describe("the tree", () => {
  it("lists the manifest's entities with the reference's files; values start unknown", async () => {
    expect(await ls(M)).toEqual(["docker", "k8s", "nvidia", "systemd", "tickets"]);
    const units = H.systemd_units.split(",").sort();
    expect(await ls(`${M}/systemd`)).toEqual([...units, "status"].sort());
    expect(await ls(`${M}/systemd/${units[0]}`)).toEqual(["restart", "start", "status", "stop"]);
    expect(await ls(`${M}/k8s/node`)).toEqual(H.k8s_nodes.split(",").sort());
    expect(await ls(`${M}/k8s/node/node-1`)).toEqual(["cordon", "drain", "status"]);
    expect(await ls(`${M}/docker`)).toEqual(["restart", "status", "stop"]);
    expect(await ls(`${M}/nvidia/gpu/0`)).toEqual(["power_cap", "status", "thermal"]);
    expect(await ls(`${M}/tickets`)).toEqual(["deadletter", "deadletter.snapshot", "spec", "spec.snapshot", "status", "status.snapshot"]);
    expect(await cat(`${M}/systemd/ssh.service/status`)).toEqual(["state=unknown reason=unpublished"]);
    expect(await cat(`${M}/nvidia/gpu/0/thermal`)).toEqual(["temp_c=unknown"]);
    expect(await cat(`${M}/systemd/ssh.service/restart`)).toEqual([]);
    expect(await cat(`${M}/systemd/status`)).toEqual(units.map((u) => `unit=${u} state=unknown reason=unpublished`));
    expect((await q.request(`CAT ${M}/systemd/nope.service/status`)).ack).toBe(`ERR CAT reason=policy detail=not-found path=${M}/systemd/nope.service/status error=no such file`);
  });

  it("a status write replaces the value; only a change is logged as host-write", async () => {
    expect(await echo(`${M}/systemd/ssh.service/status`, "state=active sub=running")).toBe(`OK ECHO path=${M}/systemd/ssh.service/status bytes=24`);
    expect(await echo(`${M}/systemd/ssh.service/status`, "state=active sub=running")).toMatch(/^OK ECHO/);
    expect(await cat(`${M}/systemd/ssh.service/status`)).toEqual(["state=active sub=running"]);
    expect(await echo(`${M}/systemd/ssh.service/status`, "state=failed sub=failed")).toMatch(/^OK ECHO/);
    expect(await cat(`${M}/systemd/ssh.service/status`)).toEqual(["state=failed sub=failed"]);
    expect(await cat(`${M}/systemd/status`)).toContain("unit=ssh.service state=failed sub=failed");
    const writes = (await log()).filter((l) => l.startsWith("host-write"));
    expect(writes).toEqual([
      `host-write outcome=allow role=queen ticket=- path=${M}/systemd/ssh.service/status bytes=24`,
      `host-write outcome=allow role=queen ticket=- path=${M}/systemd/ssh.service/status bytes=23`,
    ]);
  });

  it(`status values: ${H.status_line_max} bytes accepted, one more refused; empty and control characters refused`, async () => {
    const p = `${M}/k8s/node/node-1/status`;
    expect(await nineAppend(p, "s".repeat(H.status_line_max))).toBe("ok");
    expect(await cat(p)).toEqual(["s".repeat(H.status_line_max)]);
    expect(await nineAppend(p, "t".repeat(H.status_line_max + 1))).toBe("EINVAL");
    expect(await cat(p)).toEqual(["s".repeat(H.status_line_max)]);
    expect(await nineAppend(p, "a\tb")).toBe("EINVAL");
    expect(await nineAppend(p, "   ")).toBe("EINVAL");
    expect(await cat(p)).toEqual(["s".repeat(H.status_line_max)]);
  });

  for (const [what, dir, max, name, boot] of [
    ["units", "systemd", H.units_max, (i: number) => `u${i}.service`, H.systemd_units.split(",").length],
    ["nodes", "k8s/node", H.nodes_max, (i: number) => `n${i}`, H.k8s_nodes.split(",").length],
    ["gpus", "nvidia/gpu", H.gpus_max, (i: number) => `${i + 10}`, H.nvidia_gpus.split(",").length],
  ] as const) {
    it(`${what} grow by publishing up to ${what}_max (${max}); one more is refused buffer-full and changes nothing`, async () => {
      for (let i = 0; i < max - boot; i++) expect(await echo(`${M}/${dir}/${name(i)}/status`, "state=ok")).toMatch(/^OK ECHO/);
      const before = await ls(`${M}/${dir}`);
      expect(before.filter((n) => n !== "status")).toHaveLength(max);
      expect(await echo(`${M}/${dir}/${name(max)}/status`, "state=ok")).toMatch(/^ERR ECHO reason=quota detail=buffer-full path=\S+ error=.* holds its maximum of /);
      expect(await ls(`${M}/${dir}`)).toEqual(before);
      expect(await cat(`${M}/${dir}/${name(0)}/status`)).toEqual(["state=ok"]);
    });
  }

  it("names outside an entity's charset are not found; a sink of an unpublished entity is refused", async () => {
    expect(await echo(`${M}/k8s/node/Node_1/status`, "state=ok")).toMatch(/^ERR ECHO reason=policy detail=not-found/);
    expect(await echo(`${M}/nvidia/gpu/abc/status`, "state=ok")).toMatch(/^ERR ECHO reason=policy detail=not-found/);
    expect(await echo(`${M}/systemd/new.service/restart`, "now")).toMatch(/^ERR ECHO reason=policy detail=not-found path=\S+ error=no such systemd new.service/);
    expect(await ls(`${M}/systemd`)).not.toContain("new.service");
  });
});

describe("control sinks", () => {
  it("a systemd restart is logged with its control label and becomes a host-ticket/v1 line", async () => {
    expect(await echo(`${M}/systemd/ssh.service/restart`, "operator-request")).toMatch(/^OK ECHO/);
    expect(await cat(`${M}/systemd/ssh.service/restart`)).toEqual(["operator-request"]);
    expect((await log()).filter((l) => l.startsWith("host-write"))).toEqual([
      `host-write outcome=allow role=queen ticket=- path=${M}/systemd/ssh.service/restart control=systemd.restart bytes=16`,
    ]);
    const lines = await cat(`${M}/tickets/spec`);
    expect(lines).toEqual([`{"schema":"host-ticket/v1","id":"sink-1","idempotency_key":"sink-${wall}-1","action":"systemd.restart","target":"${M}/systemd/ssh.service/restart"}`]);
    expect(await echo(`${M}/k8s/node/node-1/drain`, "1")).toMatch(/^OK ECHO/);
    expect(await echo(`${M}/docker/restart`, "web-1")).toMatch(/^OK ECHO/);
    expect((await cat(`${M}/tickets/spec`)).slice(1)).toEqual([
      `{"schema":"host-ticket/v1","id":"sink-2","idempotency_key":"sink-${wall}-2","action":"k8s.drain","target":"${M}/k8s/node/node-1/drain"}`,
      `{"schema":"host-ticket/v1","id":"sink-3","idempotency_key":"sink-${wall}-3","action":"docker.restart","args":{"container":"web-1"}}`,
    ]);
    // power_cap has no ticket action: it is stored and logged only.
    expect(await echo(`${M}/nvidia/gpu/0/power_cap`, "250")).toMatch(/^OK ECHO/);
    expect(await cat(`${M}/tickets/spec`)).toHaveLength(3);
    expect(await counters()).toContain("sink_tickets=3");
  });

  it(`sink values: ${H.sink_line_max} bytes accepted, one more refused; docker needs a container name`, async () => {
    expect(await echo(`${M}/systemd/ssh.service/stop`, "x".repeat(H.sink_line_max))).toMatch(/^OK ECHO/);
    expect(await echo(`${M}/systemd/ssh.service/stop`, "y".repeat(H.sink_line_max + 1))).toMatch(/^ERR ECHO reason=policy detail=invalid-payload path=\S+ error=invalid payload: stop value is/);
    expect(await cat(`${M}/systemd/ssh.service/stop`)).toEqual(["x".repeat(H.sink_line_max)]);
    expect(await echo(`${M}/docker/stop`, "bad name")).toMatch(/^ERR ECHO reason=policy detail=invalid-payload path=\S+ error=invalid payload: docker stop needs a container name/);
    expect(await cat(`${M}/docker/stop`)).toEqual([]);
    expect(await cat(`${M}/tickets/spec`)).toHaveLength(1);
  });
});

describe("who may write", () => {
  it("a worker reads and lists /host but cannot write it", async () => {
    expect((await q.request('ECHO /queen/ctl {"spawn":"heartbeat","ticks":0}')).ok).toBe(true);
    const w = await authed(guest);
    expect((await w.request(`ATTACH worker-heartbeat ${manifestTicket("worker-heartbeat", "worker-1", wall)}`)).ack).toBe("OK ATTACH role=worker-heartbeat");
    expect((await w.request(`CAT ${M}/systemd/ssh.service/status`)).lines).toEqual(["state=unknown reason=unpublished"]);
    expect((await w.request(`LS ${M}/k8s/node`)).lines).toEqual(["node-1"]);
    expect((await w.request(`ECHO ${M}/systemd/ssh.service/status state=hacked`)).ack).toMatch(/^ERR ECHO reason=policy detail=denied/);
    expect((await w.request(`ECHO ${M}/tickets/spec ${spec("w1")}`)).ack).toMatch(/^ERR ECHO reason=policy detail=denied/);
    expect(await cat(`${M}/systemd/ssh.service/status`)).toEqual(["state=unknown reason=unpublished"]);
    expect(await cat(`${M}/tickets/spec`)).toEqual([]);
  });

  it("the lifecycle's host-publish gate: DRAINING refuses publishes and logs the deny", async () => {
    expect((await q.request("ECHO /queen/lifecycle/ctl cordon")).ok).toBe(true);
    expect(await echo(`${M}/docker/status`, "version=27.0 containers=1 running=1 paused=0 stopped=0")).toMatch(/^ERR ECHO reason=policy detail=lifecycle-denied path=\S+ error=gate host-publish closed state=DRAINING/);
    expect(await cat(`${M}/docker/status`)).toEqual(["state=unknown reason=unpublished"]);
    expect((await log()).filter((l) => l.startsWith("host-write"))).toEqual([`host-write outcome=deny role=queen ticket=- path=${M}/docker/status bytes=54`]);
    expect((await q.request("ECHO /queen/lifecycle/ctl resume")).ok).toBe(true);
    expect(await echo(`${M}/docker/status`, "version=27.0 containers=1 running=1 paused=0 stopped=0")).toMatch(/^OK ECHO/);
  });
});

describe("tickets", () => {
  it("the seed's ticket lines are accepted over the console past echo_max", async () => {
    const seed = '{"schema":"host-ticket/v1","id":"llmops-gpu-lease-1","idempotency_key":"llmops-run-20260218","action":"gpu.lease.grant","args":{"gpu_id":"GPU-0","mem_mb":4096,"streams":1,"ttl_s":600}}';
    expect(seed.length).toBeGreaterThan(MANIFEST.console.echo_max);
    expect(await echo(`${M}/tickets/spec`, seed)).toBe(`OK ECHO path=${M}/tickets/spec bytes=${seed.length}`);
    expect(await cat(`${M}/tickets/spec`)).toEqual([seed]);
    // other files keep echo_max
    expect((await q.request(`ECHO ${M}/systemd/ssh.service/status ${"s".repeat(MANIFEST.console.echo_max + 1)}`)).ack).toBe(`ERR PARSE reason=policy detail=argument payload ${MANIFEST.console.echo_max + 1} bytes > ${MANIFEST.console.echo_max}`);
  });

  const bad: Array<[string, string, RegExp]> = [
    ["unknown field", spec("a", "k", ',"color":"red"'), /unknown field color/],
    ["duplicate field", spec("a", "k", ',"id":"b"'), /duplicate key id/],
    ["v2 schema", '{"schema":"host-ticket/v2","id":"a","idempotency_key":"k","action":"gpu.lease.grant"}', /schema must be host-ticket\/v1/],
    ["missing schema", '{"id":"a","idempotency_key":"k","action":"x"}', /missing schema/],
    ["missing key", '{"schema":"host-ticket/v1","id":"a","action":"x"}', /missing idempotency_key/],
    ["token with a space", spec("a b"), /id must be 1-128 characters/],
    ["token starting with -", spec("-a"), /id must be 1-128 characters/],
    ["token of 129", spec("i".repeat(129)), /id must be 1-128 characters/],
    ["target not a path", spec("a", "k", ',"target":"host/x"'), /target must be a namespace path/],
    ["a receipt that could not fit", spec("i".repeat(75), "k".repeat(65)), /its receipt would be 2\d\d bytes, more than result_line_max 224/],
    ["a writer_epoch receipt past echo_max", spec("i".repeat(40), "k", ',"writer_epoch":1'), /more than the writer_epoch receipt bound 128/],
    ["args not an object", spec("a", "k", ',"args":[1]'), /args must be an object/],
    ["expires 0", spec("a", "k", ',"expires_unix_ms":0'), /expires_unix_ms must be an integer/],
    ["relay_hop 33", spec("a", "k", ',"relay_hop":33'), /relay_hop must be an integer in 1..32/],
    ["source without target hive", spec("a", "k", ',"source_hive":"h1"'), /source_hive and target_hive go together/],
    ["worker receipt mode", spec("a", "k", ',"receipt_mode":"worker"'), /receipt_mode must be none/],
    ["malformed JSON", '{"schema":"host-ticket/v1",', /invalid payload/],
  ];
  for (const [what, line, why] of bad) {
    it(`spec refuses ${what} and keeps nothing`, async () => {
      const ack = await echo(`${M}/tickets/spec`, line);
      expect(ack).toMatch(/^ERR ECHO reason=policy detail=invalid-payload/);
      expect(ack).toMatch(why);
      expect(await cat(`${M}/tickets/spec`)).toEqual([]);
      expect(await counters()).toContain("refused spec=1 status=0 deadletter=0");
    });
  }

  it("the receipt bound decides a long token: an id of 127 fits (receipt 224 bytes), 128 does not (225)", async () => {
    const t = (n: number): string => `{"schema":"host-ticket/v1","id":"${"i".repeat(n)}","idempotency_key":"k","action":"a"}`;
    expect(await echo(`${M}/tickets/spec`, t(127))).toMatch(/^OK/);
    expect(await echo(`${M}/tickets/spec`, t(128))).toMatch(/its receipt would be 225 bytes, more than result_line_max 224/);
    expect(await cat(`${M}/tickets/spec`)).toEqual([t(127)]);
  });

  it("every optional field is accepted", async () => {
    const epoch = '{"writer_epoch":3,"schema":"host-ticket/v1","id":"e1","idempotency_key":"k","action":"k8s.cordon"}';
    expect(await nineAppend(`${M}/tickets/spec`, epoch)).toBe("ok");
    const line = `{"schema":"host-ticket/v1","id":"i","idempotency_key":"k:1.a","action":"k8s.drain","target":"${M}/k8s/node/node-1/drain","args":{"unit":"ssh.service"},"expires_unix_ms":1800000060000,"source_hive":"hive-a","target_hive":"hive-b","relay_hop":32,"relay_correlation_id":"x:y","receipt_mode":"none"}`;
    expect(await nineAppend(`${M}/tickets/spec`, line)).toBe("ok");
    expect(await cat(`${M}/tickets/spec`)).toEqual([epoch, line]);
  });

  it(`spec lines: ${H.ticket_line_max} bytes accepted over 9P, one more refused`, async () => {
    const pad = (n: number): string => {
      const base = spec("big", "k1", ',"args":{"note":""}');
      return base.replace('"note":""', `"note":"${"n".repeat(n - base.length)}"`);
    };
    expect(pad(H.ticket_line_max)).toHaveLength(H.ticket_line_max);
    expect(await nineAppend(`${M}/tickets/spec`, pad(H.ticket_line_max))).toBe("ok");
    expect(await nineAppend(`${M}/tickets/spec`, pad(H.ticket_line_max + 1))).toBe("EINVAL");
    expect(await cat(`${M}/tickets/spec`)).toHaveLength(1);
  });

  it("receipts: status takes claimed/running/succeeded, deadletter failed/expired, each only for a ticket in spec", async () => {
    expect(await echo(`${M}/tickets/spec`, spec("t1"))).toMatch(/^OK/);
    for (const s of ["claimed", "running", "succeeded"]) expect(await echo(`${M}/tickets/status`, result("t1", s))).toMatch(/^OK/);
    expect(await echo(`${M}/tickets/deadletter`, result("t1", "failed"))).toMatch(/^OK/);
    expect(await echo(`${M}/tickets/deadletter`, result("t1", "expired"))).toMatch(/^OK/);
    expect(await echo(`${M}/tickets/status`, result("t1", "failed"))).toMatch(/state failed belongs in deadletter/);
    expect(await echo(`${M}/tickets/deadletter`, result("t1", "succeeded"))).toMatch(/state succeeded belongs in status/);
    expect(await echo(`${M}/tickets/status`, result("t1", "queued"))).toMatch(/state must be claimed, running/);
    expect(await echo(`${M}/tickets/status`, result("t2", "claimed"))).toMatch(/^ERR ECHO reason=policy detail=not-found path=\S+ error=no ticket t2/);
    expect(await echo(`${M}/tickets/status`, result("t1", "claimed", "other"))).toMatch(/detail=not-found/);
    expect(await echo(`${M}/tickets/status`, result("t1", "claimed", "k1", "a\tb"))).toMatch(/error=control characters .* are not allowed in a record/);
    expect(await cat(`${M}/tickets/status`)).toEqual(["claimed", "running", "succeeded"].map((s) => result("t1", s)));
    expect(await counters()).toEqual([
      "spec=1 status=3 deadletter=2",
      `bytes spec=${spec("t1").length} status=${["claimed", "running", "succeeded"].map((s) => result("t1", s).length).reduce((a, b) => a + b)} deadletter=${result("t1", "failed").length + result("t1", "expired").length}`,
      "refused spec=0 status=4 deadletter=1",
      "claimed=1 running=1 succeeded=1 failed=1 expired=1",
      "sink_tickets=0",
      `max_lines=${H.ticket_lines_max} max_bytes=${H.ticket_bytes_max} line_max=${H.ticket_line_max} result_line_max=${H.result_line_max}`,
    ]);
  });

  it(`receipt lines: ${H.result_line_max} bytes accepted over the console, one more refused`, async () => {
    expect(await echo(`${M}/tickets/spec`, spec("t1"))).toMatch(/^OK/);
    const at = (n: number): string => result("t1", "claimed", "k1", "m".repeat(n - result("t1", "claimed", "k1", "").length));
    expect(at(H.result_line_max)).toHaveLength(H.result_line_max);
    expect(await echo(`${M}/tickets/status`, at(H.result_line_max))).toMatch(/^OK ECHO/);
    expect(await echo(`${M}/tickets/status`, at(H.result_line_max + 1))).toMatch(/^ERR ECHO reason=policy detail=invalid-payload path=\S+ error=invalid payload: line is 225 bytes/);
    expect(await cat(`${M}/tickets/status`)).toEqual([at(H.result_line_max)]);
  });

  it(`spec holds ticket_lines_max (${H.ticket_lines_max}) lines; one more is refused buffer-full; the snapshot shows the newest ${H.snapshot_lines}`, async () => {
    for (let i = 0; i < H.ticket_lines_max; i++) expect(await echo(`${M}/tickets/spec`, spec(`t${i}`))).toMatch(/^OK/);
    expect(await echo(`${M}/tickets/spec`, spec("over"))).toMatch(/^ERR ECHO reason=quota detail=buffer-full path=\S+ error=tickets\/spec is full \(lines=2048/);
    const all = await cat(`${M}/tickets/spec`);
    expect(all).toHaveLength(H.ticket_lines_max);
    expect(await cat(`${M}/tickets/spec.snapshot`)).toEqual(all.slice(-H.snapshot_lines));
  });

  it(`spec holds ticket_bytes_max (${H.ticket_bytes_max}) bytes; a line past it is refused buffer-full`, async () => {
    const line = (i: number, n: number): string => spec(`b${i}`, "k1", `,"args":{"n":"${"x".repeat(n)}"}`);
    const len = line(0, 0).length;
    const { c, root } = await nineSession(guest, wall);
    let used = 0;
    let i = 0;
    while (used + 2000 <= H.ticket_bytes_max) {
      const l = line(i++, 2000 - len + (i < 10 ? 0 : 0) - String(i - 1).length + 1);
      await c.append(root, `${M}/tickets/spec`, l + "\n");
      used += l.length;
    }
    const room = H.ticket_bytes_max - used;
    const fill = line(i, 0);
    const exact = spec(`b${i}`, "k1", `,"args":{"n":"${"x".repeat(room - fill.length)}"}`);
    expect(used + exact.length).toBe(H.ticket_bytes_max);
    await c.append(root, `${M}/tickets/spec`, exact + "\n");
    let code = "ok";
    await c.append(root, `${M}/tickets/spec`, spec("z") + "\n").catch((e) => (code = e instanceof P9Error ? e.code : String(e)));
    expect(code).toBe("EDQUOT");
    c.end();
    expect((await counters())[1]).toBe(`bytes spec=${H.ticket_bytes_max} status=0 deadletter=0`);
  });
});

describe("the policy gate (regression manifest gates /host/systemd/*/restart)", () => {
  let wasm = "";
  beforeAll(() => {
    wasm = buildRegressionCore("host"); // shared with policy.test.ts; built once (global setup in npm test)
  }, 300_000);
  it("a restart needs an approval; one approval allows one write (and so one ticket)", async () => {
    const g = await Guest.start({ manualClock: true, wallMs: () => wall, wasm });
    try {
      const r = await queen(g);
      expect((await r.request("ECHO /queen/lifecycle/ctl resume")).ok).toBe(true);
      const restart = `ECHO ${M}/systemd/ssh.service/restart now`;
      expect((await r.request(restart)).ack).toBe(`ERR ECHO reason=policy detail=denied path=${M}/systemd/ssh.service/restart error=EPERM`);
      expect((await r.request(`CAT ${M}/tickets/spec`)).lines).toEqual([]);
      expect((await r.request(`ECHO /actions/queue {"id":"ok-1","target":"${M}/systemd/ssh.service/restart","decision":"approve"}`)).ok).toBe(true);
      expect((await r.request(restart)).ok).toBe(true);
      expect((await r.request(restart)).ack).toContain("error=EPERM");
      expect((await r.request(`CAT ${M}/tickets/spec`)).lines).toHaveLength(1);
      // status publishes are not gated
      expect((await r.request(`ECHO ${M}/systemd/ssh.service/status state=active`)).ok).toBe(true);
    } finally {
      await g.stop();
    }
  });
});
