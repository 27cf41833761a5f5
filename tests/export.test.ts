// /queen/export: windows opened and closed through the strict JSONL ctl (and expired by the guest
// clock), LoRA job bundles filled from the telemetry ingest while a window is open, their bounds,
// refusals that change nothing, the queen-only view, the journal, replay, and Secure9P's raw read.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "smol-toml";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ConsoleClient } from "../host/sdk/console/client.js";
import { MANIFEST, MANIFEST_SHA256 } from "../host/generated/manifest.js";
import { O_RDONLY, O_WRONLY, P9Client, P9Error } from "../host/sdk/p9/client.js";
import { Guest } from "../host/runtime/guest.js";
import { type CborValue, decodeCbor, fromB64Lines } from "./helpers/cbor.js";
import { authed, queen } from "./helpers/console.js";
import { nineSession } from "./helpers/p9.js";
import { buildRegressionCore } from "./helpers/regression_core.js";
import { ROOT } from "./helpers/serial.js";
import { manifestTicket } from "./helpers/tickets.js";
import { lcg } from "./helpers/rng.js";

const X = MANIFEST.export;
const CTL = "/queen/export/ctl";
const JOBS = "/queen/export/lora_jobs";
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

const ctl = async (j: string): Promise<string> => (await q.request(`ECHO ${CTL} ${j}`)).ack;
const cat = async (p: string): Promise<string[]> => {
  const r = await q.request(`CAT ${p}`);
  if (!r.ok) throw new Error(r.ack);
  return r.lines;
};
const ls = async (p: string): Promise<string[]> => (await q.request(`LS ${p}`)).lines;
const open = (id: string, ttl = 900, extra = ""): Promise<string> => ctl(`{"op":"open","id":"${id}","ttl_s":${ttl}${extra}}`);
const close = (id: string, reason = "window-complete"): Promise<string> => ctl(`{"op":"close","id":"${id}","reason":"${reason}"}`);

async function segment(dev: string, mime = "text/plain"): Promise<string> {
  const r = await q.request(`ECHO /queen/telemetry/${dev}/ctl {"new":"segment","mime":"${mime}"}`);
  expect(r.ok, r.ack).toBe(true);
  return (await cat(`/queen/telemetry/${dev}/latest`))[0];
}

async function ingest(dev: string, seg: string, record: string): Promise<void> {
  const r = await q.request(`ECHO /queen/telemetry/${dev}/seg/${seg} ${record}`);
  expect(r.ok, r.ack).toBe(true);
}

async function frames(id: string): Promise<Array<Map<string, CborValue>>> {
  const d = decodeCbor(fromB64Lines(await cat(`${JOBS}/${id}/telemetry.cbor`)), ["ms"]);
  expect(d.nonShortest).toEqual([]);
  expect(d.unsortedMaps).toBe(0);
  return d.value as Array<Map<string, CborValue>>;
}

function status(lines: string[], id: string): Record<string, string> {
  const l = lines.find((s) => s.startsWith(`window id=${id} `));
  if (!l) throw new Error(`no status line for ${id}`);
  return Object.fromEntries(l.split(" ").slice(1).map((kv) => kv.split("=") as [string, string]));
}

/** policy.toml as key -> value (section-qualified). */
function toml(lines: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  let sec = "";
  for (const l of lines) {
    const m = /^\[(\w+)\]$/.exec(l);
    if (m) sec = m[1] + ".";
    else {
      const [k, v] = l.split(" = ");
      out[sec + k] = v;
    }
  }
  return out;
}

/** The encoded size of one frame, written out from docs/NAMESPACE.md independently of the core. */
function frameLen(f: { seg: string; seq: number; mime: string; device: string; payload: string }): number {
  const head = (n: number): number => (n < 24 ? 1 : n < 256 ? 2 : n < 65536 ? 3 : 5);
  const text = (s: string): number => head(Buffer.byteLength(s)) + Buffer.byteLength(s);
  return (
    1 + text("ms") + 9 + text("seg") + text(f.seg) + text("seq") + head(f.seq) + text("mime") + text(f.mime) +
    text("device") + text(f.device) + text("schema") + text("telemetry-frame/v1") + text("payload") + text(f.payload)
  );
}

/** A queen Secure9P session on the console port. */
const nine = (): Promise<{ c: P9Client; root: number }> => nineSession(guest, wall);

describe("windows", () => {
  it("the seed lines open and close a window; status, bundle files and the log follow", async () => {
    expect(await cat("/queen/export/status")).toEqual([`export held=0 open=0 windows_max=${X.windows_max} telemetry_max_bytes=${X.telemetry_max_bytes}`]);
    expect(await ctl('{"op":"open","id":"export-1","ttl_s":900}')).toBe(`OK ECHO path=${CTL} bytes=41`);
    expect(await ls("/queen/export")).toEqual(["ctl", "lora_jobs", "status"]);
    expect(await ls(JOBS)).toEqual(["export-1"]);
    expect(await ls(`${JOBS}/export-1`)).toEqual(["base_model.ref", "policy.toml", "telemetry.cbor"]);
    expect(await cat("/queen/export/status")).toEqual([
      `export held=1 open=1 windows_max=${X.windows_max} telemetry_max_bytes=${X.telemetry_max_bytes}`,
      "window id=export-1 state=open records=0 bytes=1 dropped=0 expires_ms=900000 reason=-",
    ]);
    expect(await cat(`${JOBS}/export-1/base_model.ref`)).toEqual([`base_model=${X.base_model_default}`]);
    expect(await cat(`${JOBS}/export-1/telemetry.cbor`)).toEqual(["b64:gA=="]); // an empty array
    expect((await q.request(`CAT ${JOBS}/export-1/telemetry.cbor`)).ack).toBe(`OK CAT path=${JOBS}/export-1/telemetry.cbor data=bytes=1 encoding=b64`);
    guest.advance(1000);
    expect(await ctl('{"op":"close","id":"export-1","reason":"window-complete"}')).toMatch(/^OK ECHO/);
    const p = toml(await cat(`${JOBS}/export-1/policy.toml`));
    expect(p).toEqual({
      schema: '"cohesix-export-policy/v1"',
      manifest_sha256: `"${MANIFEST_SHA256}"`,
      "window.id": '"export-1"',
      "window.state": '"closed"',
      "window.reason": '"window-complete"',
      "window.ttl_s": "900",
      "window.opened_ms": "0",
      "window.expires_ms": "900000",
      "window.closed_ms": "1000",
      "telemetry.file": '"telemetry.cbor"',
      "telemetry.frame_schema": '"telemetry-frame/v1"',
      "telemetry.records": "0",
      "telemetry.bytes": "1",
      "telemetry.dropped": "0",
      "bounds.telemetry_max_bytes": String(X.telemetry_max_bytes),
      "bounds.policy_max_bytes": "8192",
      "bounds.base_model_max_bytes": "1024",
      "bounds.ttl_max_s": String(X.ttl_max_s),
      "bounds.windows_max": String(X.windows_max),
      "base_model.ref": `"${X.base_model_default}"`,
    });
    expect(status(await cat("/queen/export/status"), "export-1")).toMatchObject({ state: "closed", expires_ms: "-", reason: "window-complete" });
    const log = (await q.request("LOG")).lines.filter((l) => l.startsWith("export "));
    expect(log).toEqual([
      `export open id=export-1 ttl_s=900 base_model=${X.base_model_default}`,
      "export close id=export-1 reason=window-complete records=0 bytes=1 dropped=0",
    ]);
    // Bundle files are read-only, for the queen too.
    expect((await q.request(`ECHO ${JOBS}/export-1/policy.toml x`)).ack).toContain("ERR ECHO reason=policy detail=denied");
    expect((await q.request(`ECHO /queen/export/status x`)).ack).toContain("ERR ECHO reason=policy detail=denied");
  });

  it("expires by the guest clock with reason ttl-expired", async () => {
    expect(await open("short", 2, ',"base_model":"hf:org/model@rev-1"')).toMatch(/^OK/);
    guest.advance(1999);
    expect(status(await cat("/queen/export/status"), "short").state).toBe("open");
    guest.advance(1);
    expect(status(await cat("/queen/export/status"), "short")).toMatchObject({ state: "closed", reason: "ttl-expired" });
    expect(await cat(`${JOBS}/short/base_model.ref`)).toEqual(["base_model=hf:org/model@rev-1"]);
    expect(toml(await cat(`${JOBS}/short/policy.toml`))["window.closed_ms"]).toBe("2000");
    expect((await q.request("LOG")).lines).toContain("export expire id=short reason=ttl-expired records=0 bytes=1 dropped=0");
    expect(await close("short")).toBe(`ERR ECHO reason=policy detail=window-closed path=${CTL} error=window short already closed reason=ttl-expired`);
    expect(await close("nope")).toBe(`ERR ECHO reason=policy detail=not-found path=${CTL} error=window nope not held`);
    expect(await open("short")).toContain("error=invalid payload: window short already held (state=closed)");
  });
});

describe("bundles", () => {
  it("capture every accepted record while open, into every open window, with its own seq", async () => {
    const s1 = await segment("dev-a");
    const s2 = await segment("dev-b", "application/json");
    await ingest("dev-a", s1, "before-open");
    await open("w1");
    guest.advance(7);
    await ingest("dev-a", s1, "r1");
    await open("w2", 60, ',"base_model":"local/base"');
    guest.advance(300);
    await ingest("dev-b", s2, '{"t":21.5}');
    // A record the ingest refuses is not captured either.
    expect((await q.request(`ECHO /queen/telemetry/dev-a/seg/${s1} ${'{"schema":"bogus"}'}`)).ok).toBe(false);
    await close("w1");
    await ingest("dev-a", s1, "after-w1");
    const f1 = await frames("w1");
    expect(f1.map((m) => Object.fromEntries(m))).toEqual([
      { ms: 7, seg: s1, seq: 1, mime: "text/plain", device: "dev-a", schema: "telemetry-frame/v1", payload: "r1" },
      { ms: 307, seg: s2, seq: 2, mime: "application/json", device: "dev-b", schema: "telemetry-frame/v1", payload: '{"t":21.5}' },
    ]);
    expect([...f1[0].keys()]).toEqual(["ms", "seg", "seq", "mime", "device", "schema", "payload"]);
    const f2 = await frames("w2");
    expect(f2.map((m) => [m.get("seq"), m.get("payload")])).toEqual([
      [1, '{"t":21.5}'],
      [2, "after-w1"],
    ]);
    const st = await cat("/queen/export/status");
    const bytes1 = 1 + frameLen({ seg: s1, seq: 1, mime: "text/plain", device: "dev-a", payload: "r1" }) +
      frameLen({ seg: s2, seq: 2, mime: "application/json", device: "dev-b", payload: '{"t":21.5}' });
    expect(status(st, "w1")).toMatchObject({ records: "2", bytes: String(bytes1), dropped: "0" });
    expect(status(st, "w2")).toMatchObject({ records: "2", state: "open" });
    expect(toml(await cat(`${JOBS}/w1/policy.toml`))["telemetry.bytes"]).toBe(String(bytes1));
  });

  it(`fills to exactly telemetry_max_bytes (${X.telemetry_max_bytes}); later records are dropped, the ingest still succeeds`, async () => {
    await open("big");
    const dev = "dev-fill";
    const arrayHead = (n: number): number => (n < 24 ? 1 : n < 256 ? 2 : n < 65536 ? 3 : 5);
    let seg = await segment(dev);
    let segBytes = 0;
    let seq = 0;
    let body = 0; // bytes of the frames so far; the file is arrayHead(seq) + body
    const frame = (k: number, n: number): number => frameLen({ seg, seq: k, mime: "text/plain", device: dev, payload: "x".repeat(n) });
    const add = async (n: number): Promise<void> => {
      if (segBytes + n + 1 > MANIFEST.telemetry_ingest.max_bytes_per_segment) {
        seg = await segment(dev);
        segBytes = 0;
      }
      const f = frame(seq + 1, n);
      await ingest(dev, seg, "x".repeat(n));
      segBytes += n + 1;
      seq++;
      body += f;
    };
    const full = MANIFEST.console.echo_max; // the longest console record
    // Full-size records while the room left after one stays at least a full frame...
    while (X.telemetry_max_bytes - arrayHead(seq + 3) - body - frame(seq + 1, full) >= frame(seq + 2, full)) await add(full);
    expect(seq).toBeGreaterThan(500);
    expect(status(await cat("/queen/export/status"), "big")).toMatchObject({ records: String(seq), bytes: String(arrayHead(seq) + body), dropped: "0" });
    // ...then two records sized so the file ends on exactly the last byte.
    const room = X.telemetry_max_bytes - arrayHead(seq + 2) - body;
    let pick: [number, number] | null = null;
    for (let a = full; a >= 1 && !pick; a--) for (let b = full; b >= 1 && !pick; b--) if (frame(seq + 1, a) + frame(seq + 2, b) === room) pick = [a, b];
    expect(pick).not.toBeNull();
    await add(pick![0]);
    await add(pick![1]);
    expect(status(await cat("/queen/export/status"), "big")).toMatchObject({ records: String(seq), bytes: String(X.telemetry_max_bytes), dropped: "0" });
    // Past the edge: a record of one byte is dropped (and so is everything after it).
    await ingest(dev, seg, "y");
    await ingest(dev, seg, "z");
    const st = status(await cat("/queen/export/status"), "big");
    expect(st).toMatchObject({ records: String(seq), bytes: String(X.telemetry_max_bytes), dropped: "2" });
    expect(toml(await cat(`${JOBS}/big/policy.toml`))["telemetry.dropped"]).toBe("2");
    const f = await frames("big");
    expect(f).toHaveLength(seq);
    expect(f.map((m) => m.get("seq"))).toEqual(Array.from({ length: seq }, (_, i) => i + 1));
  });
});

describe("bounds and refusals", () => {
  it("ttl_s 1..ttl_max_s, ids 1..57 characters (the console's path_max), base_model charset", async () => {
    expect(await open("t0", 0)).toContain(`ttl_s must be an integer in 1..${X.ttl_max_s}`);
    expect(await open("tmax-plus", X.ttl_max_s + 1)).toContain("ttl_s must be an integer");
    expect(await open("tmax", X.ttl_max_s)).toMatch(/^OK/);
    const id57 = "i".repeat(57);
    expect(await open(id57)).toMatch(/^OK/);
    expect(await open("i".repeat(58))).toContain("id must be 1-57 characters of [A-Za-z0-9._-]");
    const r = await q.request(`CAT ${JOBS}/${id57}/telemetry.cbor`);
    expect(r.ok, r.ack).toBe(true);
    expect(await open("b1", 60, ',"base_model":"bad model"')).toContain("base_model must be 1-128 characters of [A-Za-z0-9._:/@+-]");
    expect(await close("tmax", "bad reason")).toContain("reason must be 1-64 characters");
    expect(await close("tmax", "r".repeat(65))).toContain("reason must be 1-64 characters");
    expect(await close("tmax", "r".repeat(64))).toMatch(/^OK/);
    // base_model's 128-character edge needs a longer record than the console's echo_max: 9P.
    const { c, root } = await nine();
    await c.append(root, CTL, `{"op":"open","id":"b3","ttl_s":60,"base_model":"${"m".repeat(128)}"}\n`);
    expect(await cat(`${JOBS}/b3/base_model.ref`)).toEqual([`base_model=${"m".repeat(128)}`]);
    let code = "ok";
    await c.append(root, CTL, `{"op":"open","id":"b4","ttl_s":60,"base_model":"${"m".repeat(129)}"}\n`).catch((e) => (code = e instanceof P9Error ? e.code : String(e)));
    expect(code).toBe("EINVAL");
    expect(await ls(JOBS)).not.toContain("b4");
    c.end();
  });

  it(`holds windows_max (${X.windows_max}) bundles; the oldest closed one makes room, all open refuses`, async () => {
    for (let i = 1; i <= X.windows_max; i++) expect(await open(`w${i}`)).toMatch(/^OK/);
    const before = [await ls(JOBS), await cat("/queen/export/status")];
    expect(await open("extra")).toBe(`ERR ECHO reason=quota detail=buffer-full path=${CTL} error=export windows full: ${X.windows_max} open`);
    expect([await ls(JOBS), await cat("/queen/export/status")]).toEqual(before);
    await close("w3");
    await close("w2");
    expect(await open("extra")).toMatch(/^OK/);
    // w2 was opened earlier than w3: it is the oldest closed bundle.
    expect(await ls(JOBS)).toEqual(["extra", "w1", "w3", ...Array.from({ length: X.windows_max - 3 }, (_, i) => `w${i + 4}`)].sort());
    expect((await q.request(`CAT ${JOBS}/w2/policy.toml`)).ack).toContain("detail=not-found");
    expect((await q.request("LOG")).lines).toContain("export evict id=w2 records=0 bytes=1 dropped=0");
    expect(await open("w2")).toMatch(/^OK/); // the id is free again
    expect(await open("one-more")).toContain("reason=quota detail=buffer-full");
  });

  it("malformed lines are refused with a clear error and change nothing", async () => {
    await open("keep");
    await open("done");
    await close("done");
    const snapshot = async (): Promise<unknown> => [await ls(JOBS), await cat("/queen/export/status"), await cat(`${JOBS}/keep/policy.toml`)];
    const before = await snapshot();
    const cases: Array<[string, string]> = [
      ["not json", "invalid payload: unexpected character at 0"],
      ['{"op":"open","id":"x","ttl_s":900', "unexpected end"],
      ['["open"]', "expected a JSON object"],
      ['{"id":"x","ttl_s":900}', "op must be open or close"],
      ['{"op":"reopen","id":"x"}', "op must be open or close"],
      ['{"op":1,"id":"x"}', "op must be open or close"],
      ['{"op":"open","id":"x","ttl_s":900,"extra":1}', "unknown field extra"],
      ['{"op":"open","id":"x","ttl_s":"900"}', "ttl_s must be an integer"],
      ['{"op":"open","id":"x","ttl_s":9.5}', "only integers are accepted"],
      ['{"op":"open","id":"x","ttl_s":-1}', "ttl_s must be an integer"],
      ['{"op":"open","id":"x"}', "ttl_s must be an integer"],
      ['{"op":"open","ttl_s":900}', "id must be 1-57 characters"],
      ['{"op":"open","id":"","ttl_s":900}', "id must be 1-57 characters"],
      ['{"op":"open","id":"..","ttl_s":900}', "id must be 1-57 characters"],
      ['{"op":"open","id":"a/b","ttl_s":900}', "id must be 1-57 characters"],
      ['{"op":"open","id":7,"ttl_s":900}', "id must be 1-57 characters"],
      ['{"op":"open","id":"x","ttl_s":900,"base_model":null}', "base_model must be"],
      ['{"op":"open","id":"x","ttl_s":900,"base_model":"a\\"b"}', "base_model must be"],
      ['{"op":"open","id":"x","ttl_s":900,"op":"open"}', "duplicate key op"],
      ['{"op":"open","id":"keep","ttl_s":900}', "window keep already held (state=open)"],
      ['{"op":"close","id":"keep"}', "reason must be 1-64 characters"],
      ['{"op":"close","id":"keep","reason":"done","ttl_s":1}', "unknown field ttl_s"],
      ['{"op":"close","id":"keep","reason":"a b"}', "reason must be 1-64 characters"],
      ['{"op":"close","id":"keep","reason":true}', "reason must be 1-64 characters"],
      ['{"op":"open","id":"x","ttl_s":1000000000000000}', "integer too large"],
    ];
    for (const [line, why] of cases) {
      const r = await ctl(line);
      expect(r, line).toMatch(/^ERR ECHO reason=policy detail=invalid-payload path=\/queen\/export\/ctl error=invalid payload: /);
      expect(r, line).toContain(why);
    }
    // Random mutations of a line that is well-formed but refused (done is already closed; no
    // 1-3 character change turns it into an open or names another held id): never a change.
    const rnd = lcg(12345);
    const good = '{"op":"close","id":"done","reason":"window-complete"}';
    for (let k = 0; k < 80; k++) {
      const a = good.split("");
      for (let m = 0; m < 1 + rnd(3); m++) a.splice(rnd(a.length), 1, String.fromCharCode(0x20 + rnd(95)));
      const line = a.join("").trim();
      const r = await ctl(line);
      expect(r, line).toMatch(/^ERR ECHO reason=policy detail=(invalid-payload|not-found|window-closed) /);
    }
    expect(await snapshot()).toEqual(before);
  });

  it("workers cannot see or write /queen/export", async () => {
    expect((await q.request('ECHO /queen/ctl {"spawn":"heartbeat","ticks":0}')).ok).toBe(true);
    await open("export-1");
    const w = await authed(guest);
    expect((await w.request(`ATTACH worker-heartbeat ${manifestTicket("worker-heartbeat", "worker-1", wall)}`)).ok).toBe(true);
    expect((await w.request(`ECHO ${CTL} {"op":"close","id":"export-1","reason":"x"}`)).ack).toBe(`ERR ECHO reason=policy detail=denied path=${CTL} error=EPERM`);
    expect((await w.request("CAT /queen/export/status")).ack).toContain("ERR CAT reason=policy detail=denied");
    expect((await w.request(`CAT ${JOBS}/export-1/telemetry.cbor`)).ack).toContain("ERR CAT reason=policy detail=denied");
    expect((await w.request(`LS ${JOBS}`)).ack).toContain("ERR LS reason=policy detail=denied");
    expect(status(await cat("/queen/export/status"), "export-1").state).toBe("open");
  });
});

describe("journal and replay", () => {
  it("ctl writes are journalled; expiry is journalled as the close it amounts to; replay matches", async () => {
    const base = JSON.parse((await cat("/audit/export"))[0]).journal_next as number;
    await open("r1", 1);
    await open("r2", 600);
    await ctl("garbage");
    guest.advance(1000); // r1 expires
    await close("r1"); // refused: already closed
    await close("r2");
    for (let i = 3; i <= X.windows_max + 1; i++) await open(`r${i}`, 600); // evicts r1
    const entries = (await cat("/audit/journal")).map((l) => JSON.parse(l)).filter((e) => e.seq >= base);
    expect(entries.map((e) => [e.path, e.role, e.outcome, e.payload])).toEqual([
      [CTL, "queen", "ok", '{"op":"open","id":"r1","ttl_s":1}'],
      [CTL, "queen", "ok", '{"op":"open","id":"r2","ttl_s":600}'],
      [CTL, "queen", "err", "garbage"],
      [CTL, "system", "ok", '{"op":"close","id":"r1","reason":"ttl-expired"}'],
      [CTL, "queen", "err", '{"op":"close","id":"r1","reason":"window-complete"}'],
      [CTL, "queen", "ok", '{"op":"close","id":"r2","reason":"window-complete"}'],
      ...Array.from({ length: X.windows_max - 1 }, (_, i) => [CTL, "queen", "ok", `{"op":"open","id":"r${i + 3}","ttl_s":600}`]),
    ]);
    expect((await q.request(`ECHO /replay/ctl {"from":0}`)).ok).toBe(true);
    const st = JSON.parse((await cat("/replay/status"))[0]);
    expect(st).toMatchObject({ state: "ok", from: 0, entries: entries.length + base, match: true });
    // Replaying twice gives the same digest.
    await q.request(`ECHO /replay/ctl {"from":0}`);
    expect(JSON.parse((await cat("/replay/status"))[0]).sequence_fnv1a).toBe(st.sequence_fnv1a);
    // The live state is untouched by replay.
    expect(await ls(JOBS)).toEqual(["r2", ...Array.from({ length: X.windows_max - 1 }, (_, i) => `r${i + 3}`)].sort());
  });

  it("no session can attach as the system role that journalled expiries carry", async () => {
    expect((await q.request("ATTACH system")).ack).toBe("ERR ATTACH reason=policy detail=invalid-role");
    const { c, root } = await nine();
    let code = "ok";
    await c.attach("system", "").catch((e) => (code = e instanceof P9Error ? e.code : String(e)));
    expect(code).toBe("EINVAL");
    expect(await c.ls(root, "/queen/export")).toEqual(["ctl", "lora_jobs", "status"]);
    c.end();
  });
});

describe("Secure9P", () => {
  it("serves telemetry.cbor raw (the bytes behind the console's b64: lines); bundle files are read-only", async () => {
    await open("nine");
    const seg = await segment("dev-9");
    for (let i = 0; i < 12; i++) await ingest("dev-9", seg, `record-${i}-${"p".repeat(90)}`);
    const viaConsole = fromB64Lines(await cat(`${JOBS}/nine/telemetry.cbor`));
    expect(viaConsole.length).toBeGreaterThan(48 * 20); // several b64: lines
    const lines = await cat(`${JOBS}/nine/telemetry.cbor`);
    expect(lines.slice(0, -1).every((l) => l.length === 4 + 64)).toBe(true);
    const { c, root } = await nine();
    const { fid } = await c.walkPath(root, `${JOBS}/nine/telemetry.cbor`);
    expect((await c.getattr(fid)).size).toBe(BigInt(viaConsole.length));
    expect((await c.getattr(fid)).mode).toBe(0o100444);
    await c.open(fid, O_RDONLY);
    const parts: Buffer[] = [];
    for (let off = 0; ; ) {
      const d = await c.read(fid, off, 500); // small reads: offsets inside the file
      if (d.length === 0) break;
      parts.push(Buffer.from(d));
      off += d.length;
    }
    expect(new Uint8Array(Buffer.concat(parts))).toEqual(viaConsole);
    expect((decodeCbor(viaConsole, ["ms"]).value as unknown[]).length).toBe(12);
    const pol = await c.walkPath(root, `${JOBS}/nine/policy.toml`);
    let code = "ok";
    await c.open(pol.fid, O_WRONLY).catch((e) => (code = e instanceof P9Error ? e.code : String(e)));
    expect(code).toBe("EACCES");
    expect(await c.cat(root, `${JOBS}/nine/base_model.ref`)).toBe(`base_model=${X.base_model_default}\n`);
    c.end();
  });
});

describe("another manifest's bounds (configs/root_task_regression.toml)", () => {
  const R = (parse(readFileSync(join(ROOT, "configs/root_task_regression.toml"), "utf8")) as { export: Record<string, number> }).export;
  let wasm = "";
  beforeAll(() => {
    wasm = buildRegressionCore("export");
  });

  it("windows_max, ttl_max_s and telemetry_max_bytes come from the manifest", async () => {
    const g = await Guest.start({ manualClock: true, wasm });
    try {
      const r = await queen(g);
      const ask = async (line: string): Promise<string> => (await r.request(line)).ack;
      expect(await ask("ECHO /queen/lifecycle/ctl resume")).toMatch(/^OK/); // this manifest boots BOOTING
      expect(await ask(`ECHO ${CTL} {"op":"open","id":"a","ttl_s":${R.ttl_max_s + 1}}`)).toContain(`ttl_s must be an integer in 1..${R.ttl_max_s}`);
      for (let i = 0; i < R.windows_max; i++) expect(await ask(`ECHO ${CTL} {"op":"open","id":"w${i}","ttl_s":${R.ttl_max_s}}`)).toMatch(/^OK/);
      expect(await ask(`ECHO ${CTL} {"op":"open","id":"x","ttl_s":60}`)).toContain(`export windows full: ${R.windows_max} open`);
      expect(await ask('ECHO /queen/telemetry/d/ctl {"new":"segment","mime":"text/plain"}')).toMatch(/^OK/);
      let n = 0;
      for (; n < 20; n++) expect(await ask(`ECHO /queen/telemetry/d/seg/seg-000001 ${"p".repeat(100)}`)).toMatch(/^OK/);
      const st = (await r.request("CAT /queen/export/status")).lines;
      const w0 = status(st, "w0");
      const frame = frameLen({ seg: "seg-000001", seq: 1, mime: "text/plain", device: "d", payload: "p".repeat(100) });
      const fit = Math.floor((R.telemetry_max_bytes - 1) / frame); // seq < 24: one-byte heads throughout
      expect(w0).toMatchObject({ records: String(fit), bytes: String(1 + fit * frame), dropped: String(n - fit) });
      expect(Number(w0.bytes)).toBeLessThanOrEqual(R.telemetry_max_bytes);
      expect(status(st, "w1")).toMatchObject({ records: String(fit), dropped: String(n - fit) });
    } finally {
      await g.stop();
    }
  });
});
