// /trace/{ctl,events,status} and /kmesg: what each surface records, the level and category
// filter, the ring bounds at and past their edges, strict /trace/ctl parsing, role denial, no
// secrets in events, and a replay that leaves the live filter and ring alone.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ConsoleClient } from "../host/sdk/console/client.js";
import { loopbackPipe } from "../host/sdk/connect.js";
import { MANIFEST } from "../host/generated/manifest.js";
import { P9Client } from "../host/sdk/p9/client.js";
import { Guest } from "../host/runtime/guest.js";
import { authed, CONSOLE_PORT, dial, queen, settle, waitClosed } from "./helpers/console.js";
import { manifestTicket } from "./helpers/tickets.js";
import { xorshift } from "./helpers/rng.js";
import { buildKmesgWasm } from "./helpers/kmesg_wasm.js";

interface Event {
  seq: number;
  ms: number;
  level: string;
  cat: string;
  msg: string;
}

const ALL = "console,p9,ns,lifecycle,workers,net";
const CAP = MANIFEST.trace.events_max;

let guest: Guest;
let q: ConsoleClient;
const wall = 1_800_000_000_000n;

beforeEach(async () => {
  guest = await Guest.start({ manualClock: true, wallMs: () => wall });
  q = await queen(guest);
});
afterEach(async () => {
  await guest.stop();
});

const events = async (c: ConsoleClient = q): Promise<Event[]> => {
  const r = await c.request("CAT /trace/events");
  expect(r.ok, r.ack).toBe(true);
  return r.lines.map((l) => JSON.parse(l) as Event);
};
const status = async (): Promise<Record<string, string>> => {
  const r = await q.request("CAT /trace/status");
  expect(r.lines).toHaveLength(1);
  return Object.fromEntries(r.lines[0].split(" ").map((kv) => kv.split("=") as [string, string]));
};
const ctl = async (payload: string): Promise<string> => (await q.request(`ECHO /trace/ctl ${payload}`)).ack;
const msgs = (es: Event[], cat: string): string[] => es.filter((e) => e.cat === cat).map((e) => `${e.level} ${e.msg}`);

function ticket(role: keyof typeof MANIFEST.tickets, subject?: string): string {
  return manifestTicket(role, subject, wall);
}

describe("events", () => {
  it("boot and the first session: lifecycle, then console open, AUTH, ATTACH; ms is guest time", async () => {
    const es = await events();
    expect(es.map((e) => [e.seq, e.level, e.cat, e.msg])).toEqual([
      [0, "info", "lifecycle", "transition old=BOOTING new=ONLINE reason=boot-complete"],
      [1, "info", "console", "session open conn=1"],
      [2, "info", "console", "auth ok conn=1"],
      [3, "info", "console", "attach ok role=queen ticket=-"],
    ]);
    guest.advance(1234);
    await q.request("ECHO /log/queen.log hi");
    expect((await events()).at(-1)).toEqual({ seq: 4, ms: 1234, level: "info", cat: "ns", msg: "write path=/log/queen.log role=queen outcome=ok" });
    expect(await status()).toEqual({ level: "info", cats: ALL, capacity: String(CAP), recorded: "5", filtered: "0", dropped: "0" });
  });

  it("console: a bad token, the lockout, a locked-out AUTH, a refused ATTACH, a close", async () => {
    for (let i = 0; i < MANIFEST.console.auth_fail_limit; i++) {
      const c = dial(guest);
      expect((await c.request("AUTH nope")).ack).toBe("ERR AUTH reason=invalid-token");
      await waitClosed(c);
    }
    const locked = dial(guest);
    expect((await locked.request("AUTH changeme")).ack).toMatch(/^ERR AUTH reason=quota/);
    await waitClosed(locked);
    guest.advance(MANIFEST.console.auth_lockout_ms);
    const w = await authed(guest);
    expect((await w.request("ATTACH worker-heartbeat")).ack).toBe("ERR ATTACH reason=policy detail=denied");
    w.close();
    await waitClosed(w);
    await settle();
    const c = msgs(await events(), "console");
    expect(c).toEqual([
      "info session open conn=1",
      "info auth ok conn=1",
      "info attach ok role=queen ticket=-",
      "info session open conn=2",
      "warn auth fail conn=2 reason=invalid-token",
      "info session close conn=2",
      "info session open conn=3",
      "warn auth fail conn=3 reason=invalid-token",
      "info session close conn=3",
      "info session open conn=4",
      "warn lockout conn=4 ms=90000",
      "warn auth fail conn=4 reason=invalid-token",
      "info session close conn=4",
      "info session open conn=5",
      "warn auth refused conn=5 reason=locked-out",
      "info session close conn=5",
      "info session open conn=6",
      "info auth ok conn=6",
      "warn attach refused detail=denied role=worker-heartbeat cause=ticket-required",
      "info session close conn=6",
    ]);
  });

  it("a busy console and an AUTH timeout", async () => {
    const others = await Promise.all([1, 2, 3].map(() => authed(guest)));
    const fifth = dial(guest);
    expect((await fifth.collect()).ack).toBe("ERR CONSOLE reason=busy");
    others[0].close();
    await waitClosed(others[0]);
    const silent = dial(guest);
    await settle(); // accepted before the clock moves
    guest.advance(MANIFEST.console.auth_timeout_ms);
    expect((await silent.collect()).ack).toBe("ERR AUTH reason=timeout");
    const c = msgs(await events(), "console");
    expect(c).toContain("warn session refused conn=5 reason=busy");
    expect(c).toContain("warn session timeout conn=6 phase=auth");
  });

  it("control writes: path, role and outcome, never the payload", async () => {
    await q.request('ECHO /queen/ctl {"spawn":"heartbeat","ticks":0}');
    await q.request('ECHO /queen/ctl {"spawn":"payload-secret-xyz"}');
    await q.request("ECHO /proc/boot nope");
    await q.request("ECHO /worker/worker-1/telemetry data-record"); // data: not traced
    const es = await events();
    expect(msgs(es, "ns")).toEqual([
      "info write path=/queen/ctl role=queen outcome=ok",
      "warn write path=/queen/ctl role=queen outcome=err error=policy/invalid-payload",
      "warn write path=/proc/boot role=queen outcome=err error=policy/denied",
    ]);
    const text = JSON.stringify(es);
    expect(text).not.toContain("payload-secret-xyz");
    expect(text).not.toContain("data-record");
  });

  it("lifecycle transitions and denials; worker spawn, kill, budget and ttl exits", async () => {
    await q.request("ECHO /queen/lifecycle/ctl drain");
    await q.request("ECHO /queen/lifecycle/ctl cordon");
    await q.request("ECHO /queen/lifecycle/ctl resume");
    await q.request("ECHO /queen/lifecycle/ctl some-secret-typo");
    await q.request('ECHO /queen/ctl {"spawn":"heartbeat","ticks":0}');
    await q.request('ECHO /queen/ctl {"spawn":"heartbeat","ticks":1}');
    await q.request('ECHO /queen/ctl {"spawn":"heartbeat","ticks":0,"budget":{"ttl_s":2}}');
    await q.request("KILL worker-1");
    guest.advance(MANIFEST.workers.heartbeat_ms);
    guest.advance(2000);
    const es = await events();
    expect(msgs(es, "lifecycle")).toEqual([
      "info transition old=BOOTING new=ONLINE reason=boot-complete",
      "warn denied action=drain state=ONLINE reason=invalid-transition",
      "info transition old=ONLINE new=DRAINING reason=cordon",
      "info transition old=DRAINING new=ONLINE reason=resume",
      "warn denied action=unknown state=ONLINE reason=invalid-command",
    ]);
    expect(JSON.stringify(es)).not.toContain("some-secret-typo");
    expect(msgs(es, "workers")).toEqual([
      "info spawn id=worker-1 kind=heartbeat shard=13",
      "info spawn id=worker-2 kind=heartbeat shard=1c",
      "info spawn id=worker-3 kind=heartbeat shard=" + msgs(es, "workers")[2].split("shard=")[1],
      "info exit id=worker-1 reason=killed",
      "info exit id=worker-2 reason=ticks-exhausted",
      "info exit id=worker-3 reason=ttl-expired",
    ]);
  });

  it("Secure9P attach: allowed and refused", async () => {
    const end = guest.loopback.connect(CONSOLE_PORT);
    if (!end) throw new Error("no console");
    const c = new P9Client(loopbackPipe(end));
    await c.negotiate(8192, "9P2000.L");
    await expect(c.attach("queen", "")).rejects.toThrow();
    guest.advance(1000);
    const t = ticket("queen");
    await c.attach("queen", t);
    const es = await events();
    const p9 = msgs(es, "p9");
    expect(p9).toHaveLength(2);
    expect(p9[0]).toBe("warn attach refused detail=denied role=queen cause=ticket-required");
    expect(p9[1]).toMatch(/^info attach ok role=queen ticket=[0-9a-f]{16}$/);
    expect(JSON.stringify(es)).not.toContain(t);
    expect(JSON.stringify(es)).not.toContain("cohesix-ticket-");
  });
});

describe("filter", () => {
  it("level threshold: below it events are counted as filtered, not kept", async () => {
    expect(await ctl('{"set":{"level":"warn"}}')).toMatch(/^OK ECHO/);
    const before = await status();
    await q.request("ECHO /log/queen.log ok-write"); // info: filtered
    await q.request("ECHO /proc/boot nope"); // warn: kept
    const after = await status();
    expect(after.level).toBe("warn");
    expect(Number(after.filtered)).toBe(Number(before.filtered) + 1);
    expect(Number(after.recorded)).toBe(Number(before.recorded) + 1);
    const last = (await events()).at(-1) as Event;
    expect(last.msg).toBe("write path=/proc/boot role=queen outcome=err error=policy/denied");
    expect(await ctl('{"set":{"level":"error"}}')).toMatch(/^OK/);
    await q.request("ECHO /proc/boot nope"); // warn under an error threshold: filtered
    expect((await status()).recorded).toBe(after.recorded);
    expect(await ctl('{"set":{"level":"debug"}}')).toMatch(/^OK/);
    expect((await status()).level).toBe("debug");
  });

  it("categories: only the listed ones are kept; [] keeps none; the filter change itself is traced", async () => {
    expect(await ctl('{"set":{"cats":["lifecycle","workers"]}}')).toMatch(/^OK/);
    expect((await status()).cats).toBe("lifecycle,workers");
    // The ctl write's own ns event meets the new filter: it is counted as filtered.
    expect(await status()).toMatchObject({ recorded: "4", filtered: "1" });
    const n = (await events()).length;
    await q.request("ECHO /queen/lifecycle/ctl cordon"); // lifecycle kept, ns filtered
    const es = await events();
    expect(es.slice(n).map((e) => e.cat)).toEqual(["lifecycle"]);
    expect(await ctl('{"set":{"cats":[],"level":"info"}}')).toMatch(/^OK/);
    expect((await status()).cats).toBe("none");
    const st = await status();
    await q.request("ECHO /queen/lifecycle/ctl resume");
    expect((await status()).recorded).toBe(st.recorded);
    expect(await ctl(`{"set":{"cats":${JSON.stringify(ALL.split(","))}}}`)).toMatch(/^OK/);
    expect((await status()).cats).toBe(ALL);
  });
});

describe("ring bound", () => {
  it(`holds events_max (${CAP}) events; one more drops the oldest and counts it`, async () => {
    const start = Number((await status()).recorded);
    for (let i = start; i < CAP; i++) await q.request(`ECHO /log/queen.log r${i}`);
    let es = await events();
    expect(es).toHaveLength(CAP);
    expect(es[0].seq).toBe(0);
    expect(es.at(-1)?.seq).toBe(CAP - 1);
    expect(await status()).toMatchObject({ recorded: String(CAP), dropped: "0" });
    await q.request("ECHO /log/queen.log one-more");
    es = await events();
    expect(es).toHaveLength(CAP);
    expect(es[0].seq).toBe(1);
    expect(es.at(-1)?.seq).toBe(CAP);
    expect(es.map((e) => e.seq)).toEqual(Array.from({ length: CAP }, (_, i) => i + 1));
    expect(await status()).toMatchObject({ recorded: String(CAP + 1), dropped: "1" });
    // TAIL shows the newest console.log_lines of them.
    const tail = (await q.request("TAIL /trace/events")).lines.map((l) => JSON.parse(l) as Event);
    expect(tail).toHaveLength(MANIFEST.console.log_lines);
    expect(tail.at(-1)?.seq).toBe(CAP);
  });

  it("a msg longer than trace.msg_max is cut", async () => {
    const long = "/" + Array.from({ length: 7 }, () => "c".repeat(12)).join("/"); // 91 bytes, a valid path
    await q.request(`ECHO ${long} x`);
    const last = (await events()).at(-1) as Event;
    expect(Buffer.byteLength(last.msg)).toBeLessThanOrEqual(MANIFEST.trace.msg_max);
    expect(last.msg).toContain(long);
  });
});

describe("/trace/ctl is strict", () => {
  const refused: Array<[string, string]> = [
    ["", "missing required argument"],
    ["not-json", "invalid payload: unexpected character"],
    ["{", "invalid payload: expected a key"],
    ['{"set":{"level":"debug"}', "invalid payload: unexpected end"],
    ['{"set":{"level":"debug"}} x', "trailing characters"],
    ["[]", 'expected {"set":{...}}'],
    ["{}", 'expected {"set":{...}}'],
    ['{"set":{}}', "set must name level and/or cats"],
    ['{"set":1}', 'expected {"set":{...}}'],
    ['{"set":null}', 'expected {"set":{...}}'],
    ['{"clear":true}', "unknown field clear"],
    ['{"set":{"level":"debug"},"x":1}', "unknown field x"],
    ['{"set":{"level":"debug","colour":"red"}}', "unknown field set.colour"],
    ['{"set":{"level":"verbose"}}', "level must be one of error,warn,info,debug"],
    ['{"set":{"level":"DEBUG"}}', "level must be one of"],
    ['{"set":{"level":3}}', "level must be one of"],
    ['{"set":{"level":["debug"]}}', "level must be one of"],
    ['{"set":{"level":null}}', "level must be one of"],
    ['{"set":{"cats":"ns"}}', "cats must be an array of category names"],
    ['{"set":{"cats":{"ns":true}}}', "cats must be an array"],
    ['{"set":{"cats":["ns","disk"]}}', "cats[1] is not one of console,p9,ns,lifecycle,workers,net"],
    ['{"set":{"cats":[1]}}', "cats[0] is not one of"],
    ['{"set":{"cats":[["ns"]]}}', "cats[0] is not one of"],
    ['{"set":{"cats":["ns","ns"]}}', "cats[1] repeats a category"],
    ['{"set":{"cats":["ns","p9","console","lifecycle","workers","net","ns"]}}', "cats lists at most 6 categories"],
    ['{"set":{"cats":[' + Array(33).fill("1").join(",") + "]}}", "too many items"],
    ['{"set":{"level":"debug","level":"info"}}', "duplicate key level"],
    ['{"set":{"level":"de\\u0062ug"}}', "unsupported escape"],
    ['{"set":{"level":"warn","cats":["bogus"]}}', "cats[0] is not one of"], // nothing half-applied
  ];
  it("malformed JSON, unknown fields, wrong types, unknown values, over-long arrays: clear error, filter unchanged", async () => {
    expect(await ctl('{"set":{"level":"debug","cats":["ns","console"]}}')).toMatch(/^OK/);
    const before = await status();
    for (const [payload, why] of refused) {
      const ack = await ctl(payload);
      if (payload === "") expect(ack).toContain(why);
      else {
        expect(ack, payload).toMatch(/^ERR ECHO reason=policy detail=invalid-payload path=\/trace\/ctl error=invalid payload: /);
        expect(ack, payload).toContain(why);
      }
      const now = await status();
      expect({ level: now.level, cats: now.cats }, payload).toEqual({ level: before.level, cats: before.cats });
    }
  });

  it("fuzz: mutated payloads either apply a well-formed filter or leave it unchanged", async () => {
    const rnd = xorshift(0x9e3779b9);
    const bases = ['{"set":{"level":"warn","cats":["ns","p9"]}}', '{"set":{"cats":["lifecycle"]}}', '{"set":{"level":"debug"}}'];
    const alphabet = '{}[]",:\\ abcdefglnoprstuvw0123456789';
    for (let i = 0; i < 200; i++) {
      const chars = [...bases[rnd(bases.length)]];
      for (let k = 1 + rnd(3); k > 0; k--) {
        const at = rnd(chars.length);
        const op = rnd(3);
        if (op === 0) chars.splice(at, 1);
        else if (op === 1) chars.splice(at, 0, alphabet[rnd(alphabet.length)]);
        else chars[at] = alphabet[rnd(alphabet.length)];
      }
      const payload = chars.join("").trim();
      if (payload.length === 0) continue;
      const before = await status();
      const ack = await ctl(payload);
      const after = await status();
      if (ack.startsWith("ERR")) {
        expect(ack, payload).toContain("detail=invalid-payload");
        expect({ level: after.level, cats: after.cats }, payload).toEqual({ level: before.level, cats: before.cats });
        continue;
      }
      expect(ack, payload).toMatch(/^OK ECHO/);
      const set = (JSON.parse(payload) as { set: { level?: string; cats?: string[] } }).set;
      expect(after.level, payload).toBe(set.level ?? before.level);
      const want = set.cats === undefined ? before.cats : ALL.split(",").filter((c) => set.cats?.includes(c)).join(",") || "none";
      expect(after.cats, payload).toBe(want);
    }
  });
});

describe("access", () => {
  it("workers cannot read events, status or kmesg, nor write ctl; ctl reads are empty", async () => {
    expect((await q.request('ECHO /queen/ctl {"spawn":"heartbeat","ticks":0}')).ok).toBe(true);
    const w = await authed(guest);
    expect((await w.request(`ATTACH worker-heartbeat ${ticket("worker-heartbeat", "worker-1")}`)).ack).toBe("OK ATTACH role=worker-heartbeat");
    for (const p of ["/trace/events", "/trace/status", "/trace/ctl", "/kmesg"]) {
      expect((await w.request(`CAT ${p}`)).ack, p).toBe(`ERR CAT reason=policy detail=denied path=${p} error=EPERM`);
    }
    expect((await w.request("LS /trace")).ack).toContain("error=EPERM");
    expect((await w.request('ECHO /trace/ctl {"set":{"level":"debug"}}')).ack).toContain("error=EPERM");
    expect((await status()).level).toBe("info");
    expect((await q.request("ECHO /trace/events forged")).ack).toContain("error=EPERM");
    expect((await q.request("ECHO /trace/status forged")).ack).toContain("error=EPERM");
    expect((await q.request("ECHO /kmesg forged")).ack).toContain("error=EPERM");
    expect((await q.request("CAT /trace/ctl")).lines).toEqual([]);
    expect((await q.request("LS /trace")).lines).toEqual(["ctl", "events", "status"]);
  });

  it("no raw ticket, AUTH token or payload ever appears in events", async () => {
    const bad = dial(guest);
    await bad.request("AUTH wrong-token-abc123");
    await waitClosed(bad);
    expect((await q.request('ECHO /queen/ctl {"spawn":"heartbeat","ticks":0}')).ok).toBe(true);
    const t = ticket("worker-heartbeat", "worker-1");
    const w = await authed(guest);
    expect((await w.request(`ATTACH worker-heartbeat ${t}`)).ok).toBe(true);
    const wrong = ticket("worker-gpu", "worker-1");
    guest.advance(1000);
    const w2 = await authed(guest);
    expect((await w2.request(`ATTACH worker-heartbeat ${wrong}`)).ok).toBe(false);
    await w.request("ECHO /worker/worker-1/telemetry secret-telemetry");
    await q.request('ECHO /trace/ctl {"set":{"level":"debug"}}');
    await q.request('ECHO /queen/ctl {"bind":{"from":"/proc","to":"/secret-bind"}}');
    const text = (await q.request("CAT /trace/events")).lines.join("\n");
    for (const s of ["changeme", "wrong-token-abc123", t, wrong, "cohesix-ticket-", t.split(".")[1], "secret-telemetry", "secret-bind"]) {
      expect(text, s).not.toContain(s);
    }
    expect(text).toContain("attach ok role=worker-heartbeat subject=worker-1 ticket=");
    // An unknown role is client text (it could be anything, a ticket included): not repeated.
    guest.advance(70_000);
    expect((await w2.request(`ATTACH ${"x".repeat(16)}`)).ack).toBe("ERR ATTACH reason=policy detail=invalid-role");
    const last = (await q.request("TAIL /trace/events")).lines.map((l) => JSON.parse(l) as Event).filter((e) => e.cat === "console").at(-1);
    expect(last?.msg).toBe("attach refused detail=invalid-role");
  });
});

describe("replay", () => {
  it("replaying /trace/ctl writes changes neither the live filter nor the live ring", async () => {
    const window = MANIFEST.audit.replay_max_entries;
    expect(await ctl('{"set":{"level":"error","cats":["net"]}}')).toMatch(/^OK/); // journal seq 0
    for (let i = 1; i < window; i++) await q.request(`ECHO /log/queen.log j${i}`);
    expect(await ctl('{"set":{"level":"debug","cats":["ns","lifecycle"]}}')).toMatch(/^OK/); // outside the window
    expect(await ctl('{"set":{"level":"bogus"}}')).toContain("invalid-payload");
    const before = await status();
    const ring = await events();
    expect(before).toMatchObject({ level: "debug", cats: "ns,lifecycle" });
    // The scratch replay applies seq 0 (level error, cats net) and stops at the window: a leak
    // into the live filter would leave it at error/net.
    expect((await q.request('ECHO /replay/ctl {"from":0}')).ok).toBe(true);
    const st = JSON.parse((await q.request("CAT /replay/status")).lines[0]) as { entries: number; match: boolean };
    expect(st).toMatchObject({ entries: window, match: true });
    const after = await status();
    expect(after).toMatchObject({ level: "debug", cats: "ns,lifecycle" });
    // The live ring gained exactly one event: the /replay/ctl write itself.
    expect(Number(after.recorded)).toBe(Number(before.recorded) + 1);
    expect(Number(after.filtered)).toBe(Number(before.filtered));
    const now = await events();
    expect(now.slice(0, ring.length)).toEqual(ring);
    expect(now.slice(ring.length).map((e) => e.msg)).toEqual(["write path=/replay/ctl role=queen outcome=ok"]);
    // The refused ctl line is replayed as refused too.
    expect((await q.request('ECHO /replay/ctl {"from":' + String(window) + "}")).ok).toBe(true);
    expect(JSON.parse((await q.request("CAT /replay/status")).lines[0])).toMatchObject({ entries: 2, match: true });
    expect(await status()).toMatchObject({ level: "debug", cats: "ns,lifecycle" });
  });
});

describe("/kmesg", () => {
  it("holds the root task's own serial lines, in order, and nothing the shim or the prompt printed", async () => {
    const lines = (await q.request("CAT /kmesg")).lines;
    const serial = guest.serialOutput.split("\r\n");
    expect(lines).toEqual(serial.slice(0, lines.length));
    expect(lines[0]).toMatch(/^\[cohesix:root-task\] root-task online abi=\d+$/);
    expect(lines.at(-1)).toBe("Cohesix console ready");
    expect(lines.join("\n")).not.toContain("cohesix> ");
    expect((await q.request("CAT /proc/boot")).lines.slice(4)).toEqual(lines.slice(0, lines.length - 2));
  });

  it("bounds at and past the edge (the ring itself, driven through a test-only entry)", async () => {
    const k = await loadKmesg();
    expect(k.bounds()).toEqual([MANIFEST.trace.kmesg_lines, MANIFEST.trace.kmesg_line_bytes]);
    const N = MANIFEST.trace.kmesg_lines;
    for (let i = 0; i < N; i++) k.record(`line ${i}`);
    expect(k.dump()).toEqual(Array.from({ length: N }, (_, i) => `line ${i}`));
    expect(k.dropped()).toBe(0n);
    k.record(`line ${N}`);
    expect(k.dump()).toEqual(Array.from({ length: N }, (_, i) => `line ${i + 1}`));
    expect(k.dropped()).toBe(1n);
    for (let i = N + 1; i < 3 * N + 5; i++) k.record(`line ${i}`);
    expect(k.dump()).toEqual(Array.from({ length: N }, (_, i) => `line ${2 * N + 5 + i}`));
    expect(k.total()).toBe(BigInt(3 * N + 5));
    // Line bytes: exactly the bound is kept whole; longer is cut, never inside a character.
    const B = MANIFEST.trace.kmesg_line_bytes;
    k.record("a".repeat(B));
    expect(k.dump().at(-1)).toBe("a".repeat(B));
    k.record("b".repeat(B + 1));
    expect(k.dump().at(-1)).toBe("b".repeat(B));
    k.record("c".repeat(B - 1) + "é");
    expect(k.dump().at(-1)).toBe("c".repeat(B - 1));
    k.record("d".repeat(B - 2) + "😀");
    expect(k.dump().at(-1)).toBe("d".repeat(B - 2));
  });
});

interface KmesgWasm {
  bounds(): [number, number];
  record(line: string): void;
  dump(): string[];
  dropped(): bigint;
  total(): bigint;
}

async function loadKmesg(): Promise<KmesgWasm> {
  const outFile = buildKmesgWasm();
  // The ring needs no platform: every import is a stub that must not be called.
  const stub = new Proxy({}, { get: (_t, name) => () => { throw new Error(`unexpected import ${String(name)}`); } });
  const { instance } = await WebAssembly.instantiate(readFileSync(outFile), new Proxy({}, { get: () => stub }));
  const x = instance.exports as unknown as {
    memory: WebAssembly.Memory;
    inBuf(): number;
    outBuf(): number;
    bounds(): bigint;
    record(len: number): void;
    dump(): number;
    dropped(): bigint;
    total(): bigint;
  };
  const mem = (): Uint8Array => new Uint8Array(x.memory.buffer);
  return {
    bounds: () => {
      const b = x.bounds();
      return [Number(b >> 32n), Number(b & 0xffffffffn)];
    },
    record: (line) => {
      const b = Buffer.from(line, "utf8");
      mem().set(b, x.inBuf() >>> 0);
      x.record(b.length);
    },
    dump: () => {
      const n = x.dump();
      const at = x.outBuf() >>> 0;
      return Buffer.from(mem().slice(at, at + n)).toString("utf8").split("\n");
    },
    dropped: () => x.dropped(),
    total: () => x.total(),
  };
}
