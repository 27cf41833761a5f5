// The error vocabulary (host/coh-rtc/protocol.ts, generated into the core and host/generated/
// protocol.ts): every code is provoked on every surface that can produce it, and the console's
// reason/detail words and the 9P errno must be the table's. One namespace decides, the table words.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ConsoleClient } from "../host/sdk/console/client.js";
import { ERRORS, ERRNO_NAMES } from "../host/generated/protocol.js";
import { MANIFEST } from "../host/generated/manifest.js";
import { loopbackPipe } from "../host/sdk/connect.js";
import { O_APPEND, O_RDONLY, O_WRONLY, P9Client, P9Error } from "../host/sdk/p9/client.js";
import { Guest } from "../host/runtime/guest.js";
import { signTicket, type TicketClaims } from "../host/sdk/ticket/index.js";
import { authed, CONSOLE_PORT, queen } from "./helpers/console.js";
import { manifestTicket } from "./helpers/tickets.js";

type Code = (typeof ERRORS)[number]["code"];

interface Row {
  code: Code;
  /** Console lines the queen runs first (each must succeed). */
  setup?: string[];
  op: "write" | "read" | "list";
  path: string;
  payload?: string;
  /** A scoped ticket: reads go through a session holding it (both surfaces). */
  scoped?: boolean;
  /** Surfaces that cannot produce this code, with why. */
  not?: { console?: string; p9?: string };
}

const ROWS: Row[] = [
  { code: "invalid-path", op: "write", path: "/queen/ctl", payload: '{"bind":{"from":"/proc/../x","to":"/y"}}' },
  { code: "not-found", op: "write", path: "/queen/ctl", payload: '{"kill":"worker-9"}' },
  { code: "is-dir", op: "read", path: "/proc" },
  { code: "not-dir", op: "list", path: "/proc/boot", not: { console: "LS of a file lists the file itself" } },
  { code: "denied", op: "write", path: "/proc/boot", payload: "x" },
  { code: "scope", op: "read", path: "/proc/boot", scoped: true },
  { code: "rate", op: "read", path: "/log/queen.log", scoped: true },
  { code: "invalid-payload", op: "write", path: "/queen/ctl", payload: "not json" },
  {
    code: "buffer-full",
    setup: Array.from({ length: 8 }, (_, i) => `ECHO /queen/ctl {"bind":{"from":"/proc","to":"/b${i}"}}`),
    op: "write",
    path: "/queen/ctl",
    payload: '{"bind":{"from":"/proc","to":"/b8"}}',
  },
  {
    code: "budget",
    setup: ['ECHO /queen/ctl {"spawn":"heartbeat","ticks":0,"budget":{"ops":1}}', "ECHO /worker/worker-1/telemetry one"],
    op: "write",
    path: "/worker/worker-1/telemetry",
    payload: "two",
  },
  {
    code: "lease-quota",
    setup: ['ECHO /queen/lease/ctl {"op":"quota","subject":"s","resource":"r","max_active":0,"max_preemptions":0}'],
    op: "write",
    path: "/queen/lease/ctl",
    payload: '{"op":"grant","id":"l1","subject":"s","resource":"r","ttl_s":60,"priority":1}',
  },
  {
    code: "worker-limit",
    setup: Array.from({ length: MANIFEST.workers.max }, () => 'ECHO /queen/ctl {"spawn":"heartbeat","ticks":0}'),
    op: "write",
    path: "/queen/ctl",
    payload: '{"spawn":"heartbeat","ticks":0}',
  },
  { code: "lifecycle-denied", op: "write", path: "/queen/lifecycle/ctl", payload: "drain" },
  {
    code: "window-closed",
    setup: ['ECHO /queen/export/ctl {"op":"open","id":"w1","ttl_s":60}', 'ECHO /queen/export/ctl {"op":"close","id":"w1","reason":"done"}'],
    op: "write",
    path: "/queen/export/ctl",
    payload: '{"op":"close","id":"w1","reason":"again"}',
  },
  { code: "expired", op: "read", path: "/proc/boot", not: { console: "a ticket's ttl: tests/session_ticket.test.ts", p9: "tests/session_ticket.test.ts" } },
  { code: "out-of-window", op: "write", path: "/replay/ctl", payload: '{"from":99999}' },
  {
    code: "rate-limited",
    setup: Array.from({ length: MANIFEST.audit.replay_max_per_s }, () => 'ECHO /replay/ctl {"from":0}'),
    op: "write",
    path: "/replay/ctl",
    payload: '{"from":0}',
  },
  {
    code: "busy",
    setup: ['ECHO /queen/ctl {"spawn":"gpu","lease":{"gpu_id":"GPU-0","mem_mb":1,"streams":1,"ttl_s":60}}'],
    op: "write",
    path: "/queen/ctl",
    payload: '{"spawn":"gpu","lease":{"gpu_id":"GPU-0","mem_mb":1,"streams":1,"ttl_s":60}}',
  },
];

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

/** A queen ticket scoped to reading /log at 1 request per second. */
function scopedTicket(): string {
  const claims: TicketClaims = { role: "queen", issuedAtMs: wall, mounts: { service: "", at: "" }, scopes: [{ path: "/log", verb: "read", ratePerS: 1 }] };
  const s = signTicket(claims, MANIFEST.tickets.queen);
  if (!s.ok) throw new Error(s.error.message);
  return s.value;
}

async function consoleFor(row: Row): Promise<ConsoleClient> {
  if (!row.scoped) return q;
  const c = await authed(guest);
  expect((await c.request(`ATTACH queen ${scopedTicket()}`)).ack).toBe("OK ATTACH role=queen");
  return c;
}

async function nineFor(row: Row): Promise<{ c: P9Client; root: number }> {
  const end = guest.loopback.connect(CONSOLE_PORT);
  if (!end) throw new Error("nothing listens on the console port");
  const c = new P9Client(loopbackPipe(end));
  await c.negotiate(8192);
  const { fid } = await c.attach("queen", row.scoped ? scopedTicket() : manifestTicket("queen", undefined, wall));
  return { c, root: fid };
}

/** The errno name 9P answers for the row's operation (repeated up to three times, for a rate). */
async function nineErrno(c: P9Client, root: number, row: Row): Promise<string> {
  for (let attempt = 0; attempt < 3; attempt++) {
    let fid: number | undefined;
    try {
      fid = (await c.walkPath(root, row.path)).fid;
      if (row.op === "write") {
        await c.open(fid, O_WRONLY | O_APPEND);
        await c.write(fid, 0xffffffffffffffffn, row.payload + "\n");
      } else {
        await c.open(fid, O_RDONLY);
        if (row.op === "list") await c.readdir(fid);
        else await c.read(fid, 0, 4096);
      }
    } catch (e) {
      if (e instanceof P9Error) return e.code;
      throw e;
    } finally {
      if (fid !== undefined) await c.clunk(fid).catch(() => undefined);
    }
  }
  return "ok";
}

describe("the error vocabulary", () => {
  it("every code has a row here, and every errno a name", () => {
    expect(ROWS.map((r) => r.code).sort()).toEqual(ERRORS.map((e) => e.code).sort());
    for (const e of ERRORS) {
      expect((ERRNO_NAMES as Record<number, string>)[e.errnoValue]).toBe(e.errno);
      expect(e.http).toBeGreaterThanOrEqual(400);
      expect(e.http).toBeLessThan(600);
      // Come-back-later refusals carry Retry-After; an expired ticket is 401 (a fresh ticket, not waiting, fixes it).
      if (e.reason === "busy" || (e.reason === "quota" && e.code !== "expired")) expect([429, 503]).toContain(e.http);
    }
  });

  for (const row of ROWS) {
    const spec = ERRORS.find((e) => e.code === row.code)!;
    it(`${row.code}: console reason=${spec.reason}${spec.detail ? ` detail=${spec.detail}` : ""}, 9P ${spec.errno}`, async () => {
      for (const line of row.setup ?? []) expect((await q.request(line)).ok, line).toBe(true);
      if (row.not?.console === undefined) {
        const c = await consoleFor(row);
        const verb = row.op === "write" ? "ECHO" : row.op === "list" ? "LS" : "CAT";
        const line = row.op === "write" ? `ECHO ${row.path} ${row.payload}` : `${verb} ${row.path}`;
        let ack = (await c.request(line)).ack;
        if (row.code === "rate") ack = (await c.request(line)).ack; // the second read in the window
        const want = `ERR ${verb} reason=${spec.reason}${spec.detail ? ` detail=${spec.detail}` : ""} path=${row.path} error=`;
        expect(ack.startsWith(want), `${ack} should start with ${want}`).toBe(true);
      }
      if (row.not?.p9 === undefined) {
        const { c, root } = await nineFor(row);
        expect(await nineErrno(c, root, row)).toBe(spec.errno);
        c.end();
      }
    });
  }
});
