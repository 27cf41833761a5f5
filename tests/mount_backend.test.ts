// The mount's Secure9P backend on its own, against the in-process core: kinds and role perms from
// Tgetattr + Tlopen probes, the snapshot read and the offset read of a file longer than one reply
// (byte-equal to the SDK client's read), a dropped connection re-dialled under an open handle,
// and the hive going for good reported once through onGone.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NineBackend } from "../host/coh/mount/nine.js";
import { mockTransport } from "../host/sdk/connect.js";
import { P9Client } from "../host/sdk/p9/client.js";
import { ConnectError, type BytePipe } from "../host/sdk/pipe.js";
import { manifestTicket } from "./helpers/tickets.js";

type Mock = Awaited<ReturnType<typeof mockTransport>>;
let t: Mock;
let b: NineBackend;
const pipes: BytePipe[] = [];
const gone: string[] = [];
/** The hive "goes away": the connector refuses from now on. */
let down = false;

beforeAll(async () => {
  t = await mockTransport();
  b = await NineBackend.open({
    connector: async () => {
      if (down) throw new ConnectError("connect ECONNREFUSED (the test's hive is down)");
      const p = await t.connector();
      pipes.push(p);
      return p;
    },
    mode: "mock",
    role: "queen",
    ticket: manifestTicket("queen"),
    timeoutMs: 5000,
    keepaliveMs: 60_000,
    retry: { attempts: 3, backoffMs: 20, ceilingMs: 80 },
    recordMax: 4096,
  });
  b.onGone((why) => gone.push(why));
});
afterAll(async () => {
  await b?.close();
  await t?.stop();
});

describe("NineBackend", () => {
  it("kinds and what the queen may do", async () => {
    expect(await b.stat("/proc")).toMatchObject({ kind: "dir", size: 0 });
    const boot = await b.stat("/proc/boot");
    expect(boot).toMatchObject({ kind: "file", readable: true, writable: false });
    expect(boot.size).toBeGreaterThan(100);
    expect(await b.stat("/log/queen.log")).toMatchObject({ kind: "append", readable: true, writable: true });
    await expect(b.stat("/proc/nope")).rejects.toMatchObject({ errno: 2 });
  });

  it("a file longer than one reply: the snapshot and the offset reads equal the SDK client's bytes", async () => {
    const w = await b.openAppend("/log/queen.log");
    for (let i = 0; i < 200; i++) await w.append(`backend-line-${i}-${"x".repeat(60)}`);
    await w.close();
    const c = new P9Client(await t.connector());
    await c.negotiate();
    const { fid } = await c.attach("queen", manifestTicket("queen"));
    const direct = Buffer.from(await c.catBytes(fid, "/log/queen.log"));
    expect(direct.length).toBeGreaterThan(8192);
    const snap = await b.openRead("/log/queen.log", 1 << 20);
    expect(Buffer.compare(await snap.read(0, 1 << 20), direct)).toBe(0);
    expect(snap.size).toBe(direct.length);
    // Past the snapshot bound: read at offsets through a held fid.
    const off = await b.openRead("/log/queen.log", 4096);
    expect(off.size).toBe(direct.length);
    const parts: Buffer[] = [];
    for (let p = 0; p < direct.length; p += 5000) parts.push(await off.read(p, 5000));
    expect(Buffer.compare(Buffer.concat(parts), direct)).toBe(0);
    expect((await off.read(direct.length + 10, 100)).length).toBe(0);
    // The connection dropped under the open handle: re-dialled, the fid re-opened, the read served.
    pipes.at(-1)!.end();
    expect(Buffer.compare(await off.read(0, 64), direct.subarray(0, 64))).toBe(0);
    await off.close();
    c.end();
    expect(pipes.length).toBe(2); // the first dial and the re-dial
    expect(gone).toEqual([]);
  });

  it("a directory cannot be opened for reading as a file (EISDIR)", async () => {
    await expect(b.openRead("/proc", 4096)).rejects.toMatchObject({ errno: 21 });
  });

  it("the hive gone: every re-dial fails, onGone fires once, calls answer EIO", async () => {
    down = true;
    pipes.at(-1)!.end();
    await expect(b.stat("/proc/boot")).rejects.toMatchObject({ errno: 5 });
    expect(gone).toHaveLength(1);
    expect(gone[0]).toMatch(/^the hive went away \(3 reconnect attempts failed: /);
    await expect(b.list("/")).rejects.toMatchObject({ errno: 5 });
    expect(gone).toHaveLength(1);
  });
});
