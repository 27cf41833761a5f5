// Fuzz-style refusals for every control file: truncated lines, unknown fields (top level and
// nested), wrong types, over-long ids, non-objects, deep nesting and random garbage. Each must be
// refused with a complete `ERR ECHO reason=… detail=… path=… error=…` line and leave the
// namespace exactly as it was. Inputs come from a seeded generator, so a failure reproduces.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import type { ConsoleClient } from "../host/sdk/console/client.js";
import { Guest } from "../host/runtime/guest.js";
import { queen } from "./helpers/console.js";
import { xorshift } from "./helpers/rng.js";

let guest: Guest;
let q: ConsoleClient;

beforeAll(async () => {
  guest = await Guest.start({ manualClock: true });
  q = await queen(guest);
  // Some state for the refusals to (not) disturb.
  for (const line of [
    'ECHO /queen/ctl {"spawn":"heartbeat","ticks":0}',
    'ECHO /queen/schedule/ctl {"id":"s-0","role":"worker-gpu","priority":1,"ticks":2,"budget_ms":50}',
    'ECHO /queen/lease/ctl {"op":"grant","id":"l-0","subject":"queen","resource":"gpu0","ttl_s":300,"priority":5}',
    'ECHO /queen/telemetry/dev-1/ctl {"new":"segment","mime":"text/plain"}',
    'ECHO /actions/queue {"id":"a-0","target":"/queen/ctl","decision":"approve"}',
    'ECHO /queen/export/ctl {"op":"open","id":"export-0","ttl_s":900}',
  ]) {
    expect((await q.request(line)).ack, line).toMatch(/^OK ECHO/);
  }
});
afterAll(async () => {
  await guest.stop();
});

const STATE = [
  "CAT /proc/lifecycle/state",
  "LS /worker",
  "CAT /proc/schedule/queue",
  "CAT /proc/schedule/active",
  "CAT /proc/schedule/summary",
  "CAT /proc/lease/active",
  "CAT /proc/lease/summary",
  "LS /queen/telemetry",
  "LS /queen/telemetry/dev-1/seg",
  "LS /actions",
  "CAT /actions/queue",
  "CAT /policy/rules",
  "CAT /policy/revisions",
  "CAT /replay/status",
  "CAT /queen/export/status",
  "LS /queen/export/lora_jobs",
  "CAT /trace/status",
];

async function snapshot(): Promise<string> {
  const out: string[] = [];
  for (const r of STATE) {
    const got = await q.request(r);
    // Refusals are events: the trace's counters move by design; its filter must not.
    const keep = (l: string): string => (r === "CAT /trace/status" ? l.replace(/ capacity=.*/, "") : l);
    out.push(r, keep(got.ack), ...got.lines.map(keep));
  }
  return out.join("\n");
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Values of every other type than `v`, plus out-of-range ones of its own type. */
function wrongValues(v: Json): Json[] {
  const all: Json[] = [null, true, [], {}, [1], { a: 1 }];
  if (typeof v === "string") return [...all, 7, -1, "x".repeat(65), "x".repeat(200), ""];
  if (typeof v === "number") return [...all, "7", -1, 1.5, 1e300, 2 ** 64];
  if (typeof v === "object" && v !== null && !Array.isArray(v)) return [...all.filter((x) => typeof x !== "object" || x === null || Array.isArray(x)), "x", 7];
  return [...all, "x", 7];
}

/** Malformed lines derived from one valid line of a JSON control file. */
function mutants(valid: Record<string, Json>, optional: string[], seed: number): string[] {
  const text = JSON.stringify(valid);
  const rnd = xorshift(seed);
  const out = new Set<string>();
  for (let i = 0; i < 6; i++) out.add(text.slice(0, 1 + rnd(text.length - 1))); // proper prefixes
  out.add(text.slice(0, -1));
  out.add(JSON.stringify({ ...valid, zz_unknown: 1 }));
  out.add(JSON.stringify({ zz: 1, ...valid }));
  for (const [k, v] of Object.entries(valid)) {
    for (const w of wrongValues(v)) out.add(JSON.stringify({ ...valid, [k]: w }));
    if (!optional.includes(k)) {
      const { [k]: _gone, ...rest } = valid;
      out.add(JSON.stringify(rest));
    }
    if (typeof v === "object" && v !== null && !Array.isArray(v)) out.add(JSON.stringify({ ...valid, [k]: { ...v, zz_nested: 1 } }));
    if (k === "id" || k.endsWith("_id") || k === "kill") {
      out.add(JSON.stringify({ ...valid, [k]: "i".repeat(65) }));
      out.add(JSON.stringify({ ...valid, [k]: "i".repeat(100) }));
      out.add(JSON.stringify({ ...valid, [k]: "bad id" }));
    }
  }
  for (const s of ["[]", "1", '"s"', "null", "true", "{}", "[".repeat(64) + "]".repeat(64), '{"a":'.repeat(40) + "1" + "}".repeat(40), text + text, text + ",", `{"${"k".repeat(90)}":1}`]) out.add(s);
  // Random garbage from JSON's own alphabet; Node's parser decides which of it is not JSON at all.
  const alphabet = '{}[]":,0123456789abcdeftrunl -.\\';
  for (let n = 0; n < 24; n++) {
    let s = "";
    const len = 1 + rnd(60);
    for (let i = 0; i < len; i++) s += alphabet[rnd(alphabet.length)];
    try {
      JSON.parse(s);
    } catch {
      out.add(s);
    }
  }
  out.delete(text);
  return [...out].filter((s) => s.trim().length > 0);
}

const sha0 = createHash("sha256").update("[]").digest("hex");
const CONTROL: { path: string; valid: Record<string, Json>[]; optional: string[] }[] = [
  {
    path: "/queen/ctl",
    valid: [{ spawn: "heartbeat", ticks: 5 }, { kill: "worker-1" }, { bind: { from: "/proc", to: "/shadow" } }, { spawn: "gpu", lease: { gpu_id: "GPU-0", mem_mb: 1, streams: 1, ttl_s: 60 } }],
    optional: ["budget"],
  },
  { path: "/queen/schedule/ctl", valid: [{ id: "s-1", role: "worker-gpu", priority: 2, ticks: 3, budget_ms: 120 }], optional: [] },
  {
    path: "/queen/lease/ctl",
    valid: [
      { op: "grant", id: "l-1", subject: "queen", resource: "gpu0", ttl_s: 300, priority: 5 },
      { op: "renew", id: "l-0", ttl_s: 600, priority: 6 },
      { op: "preempt", id: "l-0", reason: "timeout" },
      { op: "quota", subject: "queen", resource: "gpu0", max_active: 4, max_preemptions: 8 },
    ],
    optional: ["priority"], // renew may keep the lease's priority
  },
  { path: "/queen/telemetry/dev-1/ctl", valid: [{ new: "segment", mime: "text/plain" }], optional: [] },
  { path: "/actions/queue", valid: [{ id: "a-1", target: "/queen/ctl", decision: "approve" }], optional: [] },
  { path: "/policy/ctl", valid: [{ op: "apply", id: "rev-1", sha256: sha0 }], optional: [] },
  { path: "/replay/ctl", valid: [{ from: 0 }], optional: [] },
  {
    path: "/queen/export/ctl",
    valid: [
      { op: "open", id: "export-1", ttl_s: 900 },
      { op: "close", id: "export-0", reason: "window-complete" },
    ],
    optional: ["base_model"],
  },
  { path: "/trace/ctl", valid: [{ set: { level: "debug", cats: ["ns", "p9"] } }], optional: [] },
];

const REFUSAL = /^ERR ECHO reason=(policy|quota|busy|cut) detail=[a-z-]+ path=\S+ error=\S.*$/;

describe("control files refuse malformed input and keep their state", () => {
  for (const c of CONTROL) {
    it(c.path, async () => {
      const before = await snapshot();
      let n = 0;
      for (const [i, v] of c.valid.entries()) {
        for (const line of mutants(v, c.optional, 0xc0de + i)) {
          const r = await q.request(`ECHO ${c.path} ${line}`);
          // Lines past the console's bounds are refused before any file sees them: past the frame's
          // payload bound by the framing, past the echo bound by the parser.
          if (r.ack.startsWith("ERR FRAME")) {
            expect(r.ack, line).toBe("ERR FRAME reason=invalid-length");
          } else if (r.ack.startsWith("ERR PARSE")) {
            expect(r.ack, line).toMatch(/^ERR PARSE reason=policy detail=\S/);
          } else {
            expect(r.ack, `${c.path} ${line}`).toMatch(REFUSAL);
          }
          n++;
        }
      }
      expect(n).toBeGreaterThan(40);
      expect(await snapshot()).toBe(before);
      expect((await q.request("PING")).ack).toBe("OK PING reply=pong");
    });
  }

  it("/queen/lifecycle/ctl takes one known token and nothing else", async () => {
    const before = await snapshot();
    for (const line of ["CORDON", "cordon now", "cordon\tx", "{}", '{"op":"cordon"}', "drain1", "reset reset", "x".repeat(100), "resume;", "é"]) {
      const r = await q.request(`ECHO /queen/lifecycle/ctl ${line}`);
      expect(r.ack, line).toMatch(REFUSAL);
    }
    expect(await snapshot()).toBe(before);
  });
});
