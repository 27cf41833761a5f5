// AuditFS and ReplayFS: every control write is journalled (never a raw ticket), retention is
// bounded and visible in /audit/export, and replay re-applies a window deterministically.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ConsoleClient } from "../host/sdk/console/client.js";
import { Guest } from "../host/runtime/guest.js";
import { queen } from "./helpers/console.js";

let guest: Guest;
let q: ConsoleClient;

beforeEach(async () => {
  guest = await Guest.start({ manualClock: true });
  q = await queen(guest);
});
afterEach(async () => {
  await guest.stop();
});

interface Entry {
  seq: number;
  kind: string;
  path: string;
  payload: string;
  outcome: string;
  error?: string;
  role: string;
  ticket: string;
}

const journal = async (): Promise<Entry[]> => (await q.request("CAT /audit/journal")).lines.map((l) => JSON.parse(l) as Entry);
const exported = async (): Promise<Record<string, unknown>> => JSON.parse((await q.request("CAT /audit/export")).lines[0]) as Record<string, unknown>;
const status = async (): Promise<Record<string, unknown>> => JSON.parse((await q.request("CAT /replay/status")).lines[0]) as Record<string, unknown>;

/** FNV-1a 64, computed here independently of the guest. */
function fnv(entries: Entry[]): string {
  let h = 0xcbf29ce484222325n;
  for (const e of entries) {
    for (const b of Buffer.from(`${e.path}\n${e.payload}\n${e.outcome}\n`)) {
      h ^= BigInt(b);
      h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
    }
  }
  return h.toString(16).padStart(16, "0");
}

describe("audit journal", () => {
  it("records every control write, accepted or refused, with role and ticket hash", async () => {
    await q.request('ECHO /queen/ctl {"spawn":"heartbeat","ticks":1}');
    await q.request("ECHO /queen/ctl not-json");
    await q.request("ECHO /queen/lifecycle/ctl cordon");
    await q.request("ECHO /worker/worker-1/telemetry data"); // telemetry is data: not journalled
    const j = await journal();
    expect(j.map((e) => [e.seq, e.path, e.outcome])).toEqual([
      [0, "/queen/ctl", "ok"],
      [1, "/queen/ctl", "err"],
      [2, "/queen/lifecycle/ctl", "ok"],
    ]);
    expect(j[1].error).toEqual({ code: "policy/invalid-payload", message: "invalid payload: unexpected character at 0" });
    expect(j[0]).toMatchObject({ kind: "write", role: "queen", ticket: "-", payload: '{"spawn":"heartbeat","ticks":1}' });
    expect((await q.request("ECHO /audit/journal forged")).ack).toContain("error=EPERM");
  });

  it("keeps at most journal_max_bytes; /audit/export shows the window", async () => {
    for (let i = 0; i < 120; i++) await q.request(`ECHO /log/queen.log record-${i}`);
    const j = await journal();
    const bytes = j.reduce((a, e) => a + Buffer.byteLength(JSON.stringify(e)) + 1, 0);
    expect(bytes).toBeLessThanOrEqual(8192);
    const x = await exported();
    expect(x.journal_next).toBe(120);
    expect(x.journal_base).toBe(j[0].seq);
    expect(j[j.length - 1].seq).toBe(119);
  });
});

describe("replay", () => {
  it("re-applies from a cursor with matching outcomes and a deterministic FNV-1a", async () => {
    expect(await status()).toEqual({ state: "idle" });
    await q.request("ECHO /queen/lifecycle/ctl cordon");
    await q.request("ECHO /queen/lifecycle/ctl drain");
    expect((await q.request('ECHO /replay/ctl {"from":0}')).ok).toBe(true);
    const j = await journal();
    const st = await status();
    expect(st).toEqual({ state: "ok", from: 0, to: 2, entries: 2, match: true, sequence_fnv1a: fnv(j) });
    // Same journal, same digest.
    await q.request('ECHO /replay/ctl {"from":0}');
    expect((await status()).sequence_fnv1a).toBe(st.sequence_fnv1a);
  });

  it("a window that starts mid-history replays on a fresh state and reports the mismatch", async () => {
    await q.request('ECHO /queen/ctl {"spawn":"heartbeat","ticks":0}');
    await q.request('ECHO /queen/ctl {"kill":"worker-1"}');
    await q.request('ECHO /replay/ctl {"from":1}');
    expect(await status()).toMatchObject({ state: "ok", from: 1, entries: 1, match: false });
  });

  it("out-of-window and malformed requests are refused", async () => {
    expect((await q.request('ECHO /replay/ctl {"from":999999}')).ack).toBe(
      "ERR ECHO reason=policy detail=out-of-window path=/replay/ctl error=cursor 999999 outside [0,0]",
    );
    expect((await q.request('ECHO /replay/ctl {"from":-1}')).ack).toContain("from must be a cursor");
    expect((await q.request('ECHO /replay/ctl {"from":0,"x":1}')).ack).toContain("invalid-payload");
    expect(await status()).toEqual({ state: "idle" });
  });
});
