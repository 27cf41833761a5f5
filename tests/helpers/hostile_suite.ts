// The nine findings of issue 10 (minus 9, tickets for the whole session, which has its own
// tests) as one suite, registered once for the mock and once for QEMU. Each scenario runs at the
// scale the finding was seen at or larger, on a freshly started guest, and then checks that the
// guest neither stopped (trap) nor lost its answers.

import { expect, it } from "vitest";
import { encodeFrame } from "../../host/sdk/console/frame.js";
import { MANIFEST } from "../../host/generated/manifest.js";
import { encode, NOFID } from "../../host/sdk/p9/codec.js";
import {
  closedWithin, Console, floodConsole, floodTread, memoryPages, openFid, queenConsole, raw9p, Raw9p, type Target,
} from "./hostile.js";
import { manifestTicket } from "./tickets.js";

export interface Booted {
  target: Target;
  stop(): Promise<void>;
}

const APPEND = 0o2001; // O_WRONLY | O_APPEND

/** How much of each scenario to run: the scale of the finding, or a multiple of it. */
export interface Scale {
  catBoot: number; // CAT /proc/boot requests (trapped after ~12,000)
  lsProc: number; // LS /proc (~31,000)
  catLog: number; // CAT /log/queen.log (~15,000)
  treadBoot: number; // worker Treads of /proc/boot (~9,300 trapped); one session of the default worker ticket holds 10,000 ops (attach, walk, open included), so 9,990 is the most one session may send
  treadSeg: number; // Tread count=1 of a 20 KB segment (~320)
  uname: number; // 8 KB-uname Tattachs (260 broke LOG)
  wipe: number; // refused attaches and mid-frame closes (256 each wiped the ring)
}

export const FULL_SCALE: Scale = { catBoot: 13_000, lsProc: 32_000, catLog: 16_000, treadBoot: 9_990, treadSeg: 1_000, uname: 300, wipe: 300 };

/** `p`, or a rejection after `ms` (so a scenario fails with a count, never by hanging). */
function within<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`no answer in ${ms} ms`)), ms);
    p.then(
      (v) => (clearTimeout(t), res(v)),
      (e: unknown) => (clearTimeout(t), rej(e)),
    );
  });
}

async function withGuest(boot: () => Promise<Booted>, body: (t: Target) => Promise<void>): Promise<void> {
  const b = await boot();
  try {
    await body(b.target);
    expect(b.target.fault()).toBeNull();
    // Still alive and answering after the scenario (over 9P: a console lockout may be in force).
    const p = await retry(() => raw9p(b.target, "queen"));
    await openFid(p, "/proc/memory", 2);
    const r = await p.rpc("Tread", { fid: 2, offset: 0n, count: 4000 });
    expect(Buffer.from(r.fields.data as Uint8Array).toString()).toMatch(/^pages=\d+/);
    p.pipe.end();
  } finally {
    await b.stop();
  }
}

async function spawnWorker(q: Console): Promise<string> {
  const r = await q.request('ECHO /queen/ctl {"spawn":"heartbeat","ticks":0}');
  expect(r.ok, r.ack).toBe(true);
  const ls = await q.request("LS /worker");
  return ls.lines[ls.lines.length - 1];
}

/** Retries `fn` until it resolves (a slot freed by a close the guest has not seen yet), for up to 10 s. */
async function retry<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

export function hostileSuite(boot: () => Promise<Booted>, scale: Scale = FULL_SCALE): void {
  it(`1. sustained CAT /proc/boot (${scale.catBoot}), LS /proc (${scale.lsProc}), CAT /log/queen.log (${scale.catLog}), 100 per segment: served, memory plateaus`, async () => {
    await withGuest(boot, async (t) => {
      const q = await queenConsole(t);
      for (const [line, n] of [["CAT /proc/boot", scale.catBoot], ["LS /proc", scale.lsProc], ["CAT /log/queen.log", scale.catLog]] as const) {
        const first = await floodConsole(q, line, Math.floor(n / 3));
        const mid = await memoryPages(t);
        const rest = await floodConsole(q, line, n - first.sent);
        const end = await memoryPages(t);
        expect({ line, ok: first.ok + rest.ok, busy: first.busy + rest.busy, other: first.other.concat(rest.other) }).toEqual({ line, ok: n, busy: 0, other: [] });
        // The plateau: the last two thirds of the flood did not grow linear memory.
        expect(end.high, line).toBe(mid.high);
        expect(end.high).toBeLessThan(256);
      }
      q.close();
    });
  });

  it(`1. a worker ticket alone over 9P: ${scale.treadBoot} Treads of /proc/boot, ${scale.treadSeg} Treads count=1 of a 20 KB ingest segment`, async () => {
    await withGuest(boot, async (t) => {
      const q = await queenConsole(t);
      const id = await spawnWorker(q);
      // A 20 KB ingest segment, written by the queen over 9P.
      expect((await q.request('ECHO /queen/telemetry/dev1/ctl {"new":"segment","mime":"text/plain"}')).ok).toBe(true);
      const qp = await raw9p(t, "queen");
      await openFid(qp, "/queen/telemetry/dev1/seg/seg-000001", 2, APPEND);
      for (let i = 0; i < 5; i++) {
        const w = await qp.rpc("Twrite", { fid: 2, offset: 0xffffffffffffffffn, data: Buffer.from("r".repeat(4000) + i + "\n") });
        expect(w.name, JSON.stringify(w.fields)).toBe("Rwrite");
      }
      const w = await raw9p(t, "worker-heartbeat", id);
      await openFid(w, "/proc/boot", 2);
      const boot1 = await floodTread(w, 2, 8000, scale.treadBoot);
      expect(boot1).toMatchObject({ ok: scale.treadBoot, busy: 0, other: [] });
      await openFid(qp, "/queen/telemetry/dev1/seg/seg-000001", 3);
      const seg = await floodTread(qp, 3, 1, scale.treadSeg);
      expect(seg).toMatchObject({ ok: scale.treadSeg, busy: 0, other: [] });
      q.close();
    });
  });

  it("2. one long record (3-4 KB, up to the 4096-byte bound) over 9P to /log/queen.log and /queen/ctl; 4097 is refused", async () => {
    await withGuest(boot, async (t) => {
      const p = await raw9p(t, "queen");
      await openFid(p, "/log/queen.log", 2, APPEND);
      await openFid(p, "/queen/ctl", 3, APPEND);
      for (const size of [3000, 3500, 4000, 4096]) {
        for (let i = 0; i < 10; i++) {
          // Quotes and backslashes: every character of the record needs escaping in the journal.
          const rec = Buffer.from('"\\'.repeat(size / 2).slice(0, size));
          const a = await p.rpc("Twrite", { fid: 2, offset: 0xffffffffffffffffn, data: rec });
          expect(a.name, `${size}: ${JSON.stringify(a.fields)}`).toBe("Rwrite");
          const b = await p.rpc("Twrite", { fid: 3, offset: 0xffffffffffffffffn, data: rec });
          expect(b.name).toBe("Rlerror"); // not a control line, and refused without harm
        }
      }
      const over = await p.rpc("Twrite", { fid: 2, offset: 0xffffffffffffffffn, data: Buffer.alloc(4097, 0x41) });
      expect(over).toMatchObject({ name: "Rlerror", fields: { ecode: 90 } }); // EMSGSIZE
      const q = await queenConsole(t);
      // LOG, TAIL and a 9P read of the log all still work; no frame over frame_max arrives.
      expect((await q.request("LOG")).ok).toBe(true);
      expect((await q.request("TAIL /log/queen.log")).ok).toBe(true);
      await openFid(p, "/log/queen.log", 4);
      expect((await p.rpc("Tread", { fid: 4, offset: 0n, count: 8000 })).name).toBe("Rread");
      expect((await p.rpc("Tread", { fid: 4, offset: 0n, count: 8000 })).name).toBe("Rread");
      q.close();
    });
  });

  it(`3. ${scale.uname} Tattachs with an 8 KB uname and no ticket: refused, logged bounded; LOG and reads of the log stay within frame_max`, async () => {
    await withGuest(boot, async (t) => {
      for (let i = 0; i < scale.uname; i++) {
        const p = new Raw9p(await t.console());
        await p.rpc("Tversion", { msize: 8192, version: "9P2000.L" }, 0xffff);
        const a = await p.rpc("Tattach", { fid: 1, afid: NOFID, uname: "U".repeat(8000), aname: "", n_uname: NOFID });
        expect(a.name).toBe("Rlerror");
        p.pipe.end();
      }
      const q = await queenConsole(t);
      const log = await q.request("LOG"); // a frame over frame_max would close the client here
      expect(log.ok).toBe(true);
      for (const l of log.lines) expect(Buffer.byteLength(l) + 4).toBeLessThanOrEqual(MANIFEST.console.frame_max);
      expect(log.lines.some((l) => l.includes("U".repeat(200)))).toBe(false);
      expect((await q.request("TAIL /log/queen.log")).ok).toBe(true);
      const p = await raw9p(t, "queen");
      await openFid(p, "/log/queen.log", 2);
      let off = 0n;
      for (;;) {
        const r = await p.rpc("Tread", { fid: 2, offset: off, count: 8000 });
        expect(r.name).toBe("Rread");
        if ((r.fields.data as Uint8Array).length === 0) break;
        off += BigInt((r.fields.data as Uint8Array).length);
      }
      q.close();
    });
  });

  it(`4. ${scale.wipe} refused 9P attaches and ${scale.wipe} console connections closed mid-frame do not evict the audit record`, async () => {
    await withGuest(boot, async (t) => {
      const q = await queenConsole(t);
      const tag = "audit-" + Date.now();
      expect((await q.request(`ECHO /log/queen.log ${tag}`)).ok).toBe(true);
      // An audit record written by the core itself: a lifecycle transition.
      expect((await q.request("ECHO /queen/lifecycle/ctl cordon")).ok).toBe(true);
      for (let i = 0; i < scale.wipe; i++) {
        const p = new Raw9p(await t.console());
        await p.rpc("Tversion", { msize: 8192, version: "9P2000.L" }, 0xffff);
        expect((await p.rpc("Tattach", { fid: 1, afid: NOFID, uname: "queen", aname: "", n_uname: NOFID })).name).toBe("Rlerror");
        p.pipe.end();
        const c = await t.console();
        c.write(encodeFrame("AUTH changeme").subarray(0, 6)); // half a frame, then gone
        await new Promise((r) => setImmediate(r));
        c.end();
      }
      const p = await raw9p(t, "queen");
      await openFid(p, "/log/queen.log", 2);
      let text = "";
      let off = 0n;
      for (;;) {
        const r = await p.rpc("Tread", { fid: 2, offset: off, count: 8000 });
        const d = Buffer.from(r.fields.data as Uint8Array);
        if (d.length === 0) break;
        text += d.toString("utf8");
        off += BigInt(d.length);
      }
      expect(text).toContain("lifecycle transition old=ONLINE new=DRAINING");
      expect(text).toContain(tag);
      expect((await q.request("ECHO /queen/lifecycle/ctl resume")).ok).toBe(true);
      q.close();
    });
  });

  it("5. silent connections (twice the pre-auth pool, reopened as dropped) cannot keep the operator out of the console, 9P or the smoke port", async () => {
    await withGuest(boot, async (t) => {
      let stop = false;
      const silent: Promise<void>[] = [];
      const hold = async (open: () => Promise<import("../../host/sdk/pipe.js").BytePipe>): Promise<void> => {
        while (!stop) {
          const p = await within(open(), 10_000).catch(() => null);
          if (!p) {
            await new Promise((r) => setTimeout(r, 20)); // a refused connect is retried, not spun on
            continue;
          }
          await new Promise<void>((res) => {
            p.onClose(() => res());
            // Once stopped: close our end, and do not wait forever for the guest's FIN.
            const iv = setInterval(() => stop && (clearInterval(iv), p.end(), setTimeout(res, 5_000)), 20);
          });
        }
      };
      for (let i = 0; i < 2 * MANIFEST.console.preauth_max; i++) silent.push(hold(() => t.console()));
      for (let i = 0; i < 2 * MANIFEST.network.smoke_max_conns; i++) silent.push(hold(() => t.smoke()));
      try {
        let console = 0;
        let nine = 0;
        let smoke = 0;
        const until = Date.now() + 120_000; // a guest that keeps the operator out fails here, not by hanging
        for (let i = 0; i < 25 && Date.now() < until; i++) {
          // Every step is bounded: a guest that keeps the operator out shows up as a count below 25.
          const q = await within(queenConsole(t), 15_000).catch(() => null);
          if (q && (await within(q.request("PING"), 15_000).catch(() => null))?.ok) console++;
          q?.close();
          const p = await within(raw9p(t, "queen"), 15_000).catch(() => null);
          if (p) nine++;
          p?.pipe.end();
          const s = await within(t.smoke(), 15_000).catch(() => null);
          if (!s) continue;
          const got = await new Promise<string>((res) => {
            let b = "";
            const t = setTimeout(() => res("timeout"), 10_000);
            s.onData((d) => (b += Buffer.from(d).toString()));
            s.onClose(() => {
              clearTimeout(t);
              res(b);
            });
            s.write(Buffer.from("hi"));
          });
          if (got === "timeout") s.end();
          if (got === "ok\n") smoke++;
        }
        expect({ console, nine, smoke }).toEqual({ console: 25, nine: 25, smoke: 25 });
      } finally {
        stop = true;
        await Promise.all(silent);
      }
    });
  });

  it("5. a silent smoke connection is closed after smoke_timeout_ms", async () => {
    await withGuest(boot, async (t) => {
      const s = await t.smoke();
      const started = Date.now();
      await closedWithin(s, MANIFEST.network.smoke_timeout_ms + 5000);
      expect(Date.now() - started).toBeGreaterThanOrEqual(MANIFEST.network.smoke_timeout_ms - 50);
    });
  });

  it("6. a burst of /replay/ctl requests (console batch and one 9P write of 100) is bounded, not a trap", async () => {
    await withGuest(boot, async (t) => {
      const q = await queenConsole(t);
      for (let i = 0; i < 20; i++) await q.request(`ECHO /log/queen.log r${i}`);
      const burst = await floodConsole(q, 'ECHO /replay/ctl {"from":0}', 100);
      expect(burst.ok + burst.busy).toBe(100);
      expect(burst.ok).toBeGreaterThan(0);
      const p = await raw9p(t, "queen");
      await openFid(p, "/replay/ctl", 2, APPEND);
      const many = Buffer.from(Array.from({ length: 100 }, () => '{"from":0}').join("\n") + "\n");
      const r = await p.rpc("Twrite", { fid: 2, offset: 0xffffffffffffffffn, data: many });
      expect(r.name).toBe("Rlerror"); // one request per write
      const status = await q.request("CAT /replay/status");
      expect(status.ok).toBe(true);
      q.close();
    });
  });

  it("7. two wrong tokens then a right one, repeated: the lockout still triggers", async () => {
    await withGuest(boot, async (t) => {
      const acks: string[] = [];
      for (let round = 0; round < 2; round++) {
        for (const token of ["wrong1", "wrong2", MANIFEST.console.auth_token]) {
          const c = await Console.open(t);
          acks.push((await c.request("AUTH " + token)).ack);
          c.close();
        }
      }
      // Failures 1, 2, (success), 3 → locked: the 6th AUTH (the right token) is refused too.
      expect(acks.slice(0, 4)).toEqual(["ERR AUTH reason=invalid-token", "ERR AUTH reason=invalid-token", "OK AUTH", "ERR AUTH reason=invalid-token"]);
      expect(acks[4]).toMatch(/^ERR AUTH reason=quota detail=rate-limited delay_ms=\d+$/);
      expect(acks[5]).toMatch(/^ERR AUTH reason=quota detail=rate-limited delay_ms=\d+$/);
    });
  });

  it("8. CR, LF and other control characters in an ECHO payload are refused: no forged records", async () => {
    await withGuest(boot, async (t) => {
      const q = await queenConsole(t);
      const before = (await q.request("LOG")).lines.length;
      for (const bad of ["a\nconsole attach outcome=allow role=queen ticket=forged", "a\rb", "a\u0000b", "a\u001bb"]) {
        const r = await q.request(`ECHO /log/queen.log ${bad}`);
        expect(r.ack).toMatch(/^ERR ECHO reason=policy detail=invalid-payload/);
      }
      const after = await q.request("LOG");
      expect(after.lines.length).toBe(before + 0);
      expect(after.lines.some((l) => l.includes("ticket=forged"))).toBe(false);
      q.close();
    });
  });

  it("issue 12: the 5th session is told the console is full (max_sessions), over the console and 9P; a slot stays reserved for the queen", async () => {
    await withGuest(boot, async (t) => {
      const max = MANIFEST.console.max_sessions;
      const sessions = await Promise.all(Array.from({ length: max }, () => queenConsole(t)));
      const fifth = await Console.open(t);
      expect((await fifth.client.collect()).ack).toBe(`ERR CONSOLE reason=busy detail=console-full max_sessions=${max}`);
      const p = new Raw9p(await t.console());
      // The connection is refused at accept: nothing 9P comes back, the guest closes it.
      await closedWithin(p.pipe, 10_000);
      for (const s of sessions) s.close();
      await Promise.all(sessions.map((s) => s.client.whenClosed()));
      // Workers may take max - queen_reserved slots; the last one stays for a queen. (Closed
      // sessions free their slots once the guest has seen the close: retry until then.)
      const q = await retry(() => queenConsole(t));
      const ids: string[] = [];
      for (let i = 0; i < max; i++) ids.push(await spawnWorker(q));
      q.close();
      const workers: Raw9p[] = [];
      await q.client.whenClosed();
      for (let i = 0; i < max - MANIFEST.console.queen_reserved; i++) workers.push(await retry(() => raw9p(t, "worker-heartbeat", ids[i])));
      const extra = await retry(async () => {
        const x = new Raw9p(await t.console());
        await x.rpc("Tversion", { msize: 8192, version: "9P2000.L" }, 0xffff);
        return x;
      });
      const refused = await extra.rpc("Tattach", { fid: 1, afid: NOFID, uname: "worker-heartbeat", aname: manifestTicket("worker-heartbeat", ids[max - 1], t.wallMs()), n_uname: NOFID });
      expect(refused).toMatchObject({ name: "Rlerror", fields: { ecode: 16 } }); // EBUSY
      const queen = await retry(() => raw9p(t, "queen"));
      expect(queen.closed).toBe(false);
      for (const w of workers) w.pipe.end();
      queen.pipe.end();
    });
  });
}

export { encode };
