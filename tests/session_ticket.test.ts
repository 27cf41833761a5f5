// Tickets hold for the whole session (issue 10 item 9): the ttl is checked on every request, `ops`
// is charged per request and `ticks` (heartbeat intervals of session time) by the clock, over the
// console and over Secure9P alike (one session policy, ninedoor/session.ts), with one audit line;
// the session is detached when the ticket runs out. The guest's clocks are injected: no sleeps.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ConsoleClient } from "../host/sdk/console/client.js";
import { loopbackPipe } from "../host/sdk/connect.js";
import { MANIFEST } from "../host/generated/manifest.js";
import { P9Client, P9Error } from "../host/sdk/p9/client.js";
import { Guest } from "../host/runtime/guest.js";
import { signTicket, type TicketClaims } from "../host/sdk/ticket/index.js";
import { authed, CONSOLE_PORT, queen } from "./helpers/console.js";

let guest: Guest;
let q: ConsoleClient;
let wall = 1_800_000_000_000n;

beforeEach(async () => {
  wall = 1_800_000_000_000n;
  guest = await Guest.start({ manualClock: true, wallMs: () => wall });
  q = await queen(guest);
  expect((await q.request('ECHO /queen/ctl {"spawn":"heartbeat","ticks":0}')).ok).toBe(true); // worker-1
});
afterEach(async () => {
  await guest.stop();
});

function workerTicket(budget: { ttlS?: bigint; ops?: bigint; ticks?: bigint }): string {
  const claims: TicketClaims = { role: "worker-heartbeat", subject: "worker-1", issuedAtMs: wall, mounts: { service: "", at: "" }, ...budget };
  const s = signTicket(claims, MANIFEST.tickets["worker-heartbeat"]);
  if (!s.ok) throw new Error(s.error.message);
  return s.value;
}

async function consoleWith(ticket: string): Promise<ConsoleClient> {
  const c = await authed(guest);
  expect((await c.request(`ATTACH worker-heartbeat ${ticket}`)).ack).toBe("OK ATTACH role=worker-heartbeat");
  return c;
}

async function nineWith(ticket: string): Promise<{ c: P9Client; root: number }> {
  const end = guest.loopback.connect(CONSOLE_PORT);
  if (!end) throw new Error("nothing listens on the console port");
  const c = new P9Client(loopbackPipe(end));
  await c.negotiate(8192);
  const { fid } = await c.attach("worker-heartbeat:worker-1", ticket);
  return { c, root: fid };
}

async function errno(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof P9Error) return e.code;
    throw e;
  }
  return "ok";
}

async function detachLines(): Promise<string[]> {
  return (await q.request("LOG")).lines.filter((l) => l.startsWith("ticket outcome=detach"));
}

describe("a 3 s ttl", () => {
  it("console: works until the wall clock reaches issued_at + 3 s, then ERR expired and the session is detached", async () => {
    const c = await consoleWith(workerTicket({ ttlS: 3n }));
    expect((await c.request("CAT /proc/boot")).ok).toBe(true);
    wall += 2999n;
    expect((await c.request("CAT /proc/boot")).ok).toBe(true); // 1 ms before the edge
    wall += 1n;
    expect((await c.request("CAT /proc/boot")).ack).toBe("ERR CAT reason=quota detail=expired error=ticket expired; attach again");
    expect((await c.request("CAT /proc/boot")).ack).toBe("ERR CAT reason=policy detail=not-attached hint=attach");
    expect(await detachLines()).toEqual([expect.stringMatching(/^ticket outcome=detach reason=expired surface=console role=worker-heartbeat ticket=[0-9a-f]{16}$/)]);
  });

  it("9P: the same edge answers EACCES, and every fid of that attach is gone", async () => {
    const { c, root } = await nineWith(workerTicket({ ttlS: 3n }));
    expect(await c.cat(root, "/proc/boot")).toContain("Cohesix boot");
    wall += 3000n;
    expect(await errno(c.walk(root, ["proc"]))).toBe("EACCES");
    expect(await errno(c.walk(root, ["proc"]))).toBe("EBADF"); // detached: the root fid is dropped
    expect(await detachLines()).toEqual([expect.stringMatching(/^ticket outcome=detach reason=expired surface=9p role=worker-heartbeat ticket=[0-9a-f]{16}$/)]);
  });
});

describe("an ops budget of 1", () => {
  it("console: one request, then ERR budget and detached", async () => {
    const c = await consoleWith(workerTicket({ ops: 1n }));
    expect((await c.request("CAT /proc/boot")).ok).toBe(true);
    expect((await c.request("CAT /proc/boot")).ack).toBe("ERR CAT reason=quota detail=budget error=ticket budget used up; attach again");
    expect((await c.request("LS /proc")).ack).toBe("ERR LS reason=policy detail=not-attached hint=attach");
    expect(await detachLines()).toHaveLength(1);
    expect((await detachLines())[0]).toContain("reason=ops surface=console");
  });

  it("9P: one request, then EDQUOT and detached", async () => {
    const { c, root } = await nineWith(workerTicket({ ops: 1n }));
    const { fid } = await c.walk(root, ["proc"]);
    expect(await errno(c.walk(root, ["log"]))).toBe("EDQUOT");
    expect(await errno(c.walk(fid, []))).toBe("EBADF");
    expect((await detachLines())[0]).toContain("reason=ops surface=9p");
  });

  it("help and ping need no attach and are not charged; a fresh ATTACH gets a fresh budget", async () => {
    const t = workerTicket({ ops: 1n });
    const c = await consoleWith(t);
    expect((await c.request("PING")).ok).toBe(true);
    expect((await c.request("CAT /proc/boot")).ok).toBe(true);
    expect((await c.request("CAT /proc/boot")).ok).toBe(false);
    expect((await c.request(`ATTACH worker-heartbeat ${t}`)).ok).toBe(true);
    expect((await c.request("CAT /proc/boot")).ok).toBe(true);
  });
});

describe("a ticks budget", () => {
  it(`2 ticks = 2 heartbeat intervals (${MANIFEST.workers.heartbeat_ms} ms) of session time, on both surfaces`, async () => {
    const c = await consoleWith(workerTicket({ ticks: 2n }));
    const { c: n, root } = await nineWith(workerTicket({ ticks: 2n }));
    guest.advance(2 * MANIFEST.workers.heartbeat_ms - 1);
    expect((await c.request("CAT /proc/boot")).ok).toBe(true);
    expect(await errno(n.walk(root, ["proc"]))).toBe("ok");
    guest.advance(1);
    expect((await c.request("CAT /proc/boot")).ack).toContain("reason=quota detail=budget");
    expect(await errno(n.walk(root, ["proc"]))).toBe("EDQUOT");
    const lines = await detachLines();
    expect(lines.map((l) => l.split(" ").slice(2, 4).join(" "))).toEqual(["reason=ticks surface=console", "reason=ticks surface=9p"]);
  });
});

describe("9P attach refusals say why", () => {
  it("the classic dialect's Rerror carries the console's detail word; .L the errno", async () => {
    const end = guest.loopback.connect(CONSOLE_PORT);
    if (!end) throw new Error("nothing listens on the console port");
    const c = new P9Client(loopbackPipe(end));
    await c.negotiate(8192, "9P2000");
    let failures = 0;
    const refused = async (uname: string, t: string): Promise<string> => {
      // Past the back-off (250 ms x 2^n), well within the 5 s an unattached connection may idle.
      if (failures > 0) guest.advance(250 * 2 ** (failures - 1));
      failures++;
      try {
        await c.attach(uname, t);
      } catch (e) {
        if (e instanceof P9Error) return `${e.code} ${e.message.replace(/^Tattach: \w+: /, "")}`; // the client prefixes request and code
        throw e;
      }
      return "ok";
    };
    expect(await refused("worker-heartbeat", "")).toBe("Permission ticket-required");
    const t = workerTicket({});
    expect(await refused("worker-heartbeat", t.slice(0, -1) + (t.endsWith("0") ? "1" : "0"))).toBe("Permission bad-mac");
    expect(await refused("worker-gpu:worker-1", t)).toBe("Permission role-mismatch");
    const w9 = signTicket({ role: "worker-heartbeat", subject: "worker-9", issuedAtMs: wall, mounts: { service: "", at: "" } }, MANIFEST.tickets["worker-heartbeat"]);
    if (!w9.ok) throw new Error(w9.error.message);
    expect(await refused("worker-heartbeat", w9.value)).toBe("NotFound unknown-subject");
  });
});
