// Secure9P carries update bytes as they are: a Twrite to /updates/<e>/chunks/<id> or manifest.cbor
// stores its bytes (newlines, NULs, invalid UTF-8 and all), only at the end of what the guest
// holds — so a Twrite repeated after a lost reply is refused with EINVAL, never stored twice —
// and only by the queen. The console keeps its `b64:` records for the same files.

import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConsoleClient } from "../host/sdk/console/client.js";
import { O_APPEND, O_WRONLY, P9Client, P9Error } from "../host/sdk/p9/client.js";
import { Guest } from "../host/runtime/guest.js";
import { queen } from "./helpers/console.js";
import { nineSession } from "./helpers/p9.js";
import { xorshift } from "./helpers/rng.js";

const wall = 1_800_000_000_000n;
let guest: Guest;
let q: ConsoleClient;
let c: P9Client;
let root: number;

beforeAll(async () => {
  guest = await Guest.start({ manualClock: true, wallMs: () => wall });
  q = await queen(guest);
  ({ c, root } = await nineSession(guest, wall));
}, 60_000);
afterAll(async () => {
  await guest?.stop();
});

function bytes(n: number, seed: number): Buffer {
  const rnd = xorshift(seed);
  const b = Buffer.from(Uint8Array.from({ length: n }, () => rnd(256)));
  b[0] = 0x0a; // a newline, a NUL and a lone continuation byte: nothing a text record could be
  b[1] = 0x00;
  b[2] = 0x80;
  return b;
}

async function openAppend(path: string): Promise<number> {
  const { fid } = await c.walkPath(root, path);
  await c.open(fid, O_WRONLY | O_APPEND);
  return fid;
}

const errnoOf = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof P9Error) return e.code;
    throw e;
  }
  return "ok";
};

const status = async (epoch: string): Promise<string[]> => (await q.request(`CAT /updates/${epoch}/status`)).lines;

describe("binary Twrite to /updates", () => {
  it("stores raw bytes at the end only: a repeated Twrite is EINVAL and the chunk commits once, byte-exact", async () => {
    const data = bytes(4096, 11);
    const id = createHash("sha256").update(data).digest("hex");
    const fid = await openAppend(`/updates/500/chunks/${id}`);
    expect(await c.write(fid, 0n, data.subarray(0, 1000))).toBe(1000);
    // The same Twrite again (a client that lost the Rwrite and retried): refused, nothing stored.
    expect(await errnoOf(c.write(fid, 0n, data.subarray(0, 1000)))).toBe("EINVAL");
    expect((await status("500")).some((l) => l === `pending chunk=${id} bytes=1000`)).toBe(true);
    // A gap is refused too; the right offset and u64::MAX (append at the end) both land.
    expect(await errnoOf(c.write(fid, 2000n, data.subarray(2000, 3000)))).toBe("EINVAL");
    expect(await c.write(fid, 1000n, data.subarray(1000, 3000))).toBe(2000);
    expect(await c.write(fid, 0xffffffffffffffffn, data.subarray(3000))).toBe(1096);
    await c.clunk(fid);
    expect(await c.catBytes(root, `/updates/500/chunks/${id}`)).toEqual(new Uint8Array(data));
    expect((await q.request(`LS /updates/500/chunks`)).lines).toContain(id);
  });

  it("a committed chunk takes a byte-identical re-send (idempotent) and refuses different bytes", async () => {
    const data = bytes(4096, 12);
    const id = createHash("sha256").update(data).digest("hex");
    let fid = await openAppend(`/updates/501/chunks/${id}`);
    await c.write(fid, 0xffffffffffffffffn, data);
    await c.clunk(fid);
    const used = (await q.request("CAT /updates/status")).lines[0];
    fid = await openAppend(`/updates/501/chunks/${id}`);
    expect(await c.write(fid, 0n, data)).toBe(4096);
    const other = Buffer.from(data);
    other[100] ^= 1;
    expect(await errnoOf(c.write(fid, 0n, other))).not.toBe("ok");
    await c.clunk(fid);
    expect((await q.request("CAT /updates/status")).lines[0]).toBe(used);
  });

  it("over 9P a chunk file is bytes: a `b64:` line is stored as its own text, not decoded", async () => {
    const text = Buffer.from("b64:AAAA\n");
    const id = createHash("sha256").update(text).digest("hex");
    const fid = await openAppend(`/updates/502/chunks/${id}`);
    expect(await c.write(fid, 0xffffffffffffffffn, text)).toBe(text.length);
    await c.clunk(fid);
    expect(Buffer.from(await c.catBytes(root, `/updates/502/chunks/${id}`)).toString()).toBe("b64:AAAA\n");
  });

  it("a worker's Twrite to a chunk is refused (EACCES) and leaves nothing behind", async () => {
    const spawned = await q.request('ECHO /queen/ctl {"spawn":"heartbeat","ticks":0}');
    expect(spawned.ok, spawned.ack).toBe(true);
    const w = await nineSession(guest, wall, "worker-heartbeat", "worker-1");
    const data = bytes(512, 13);
    const id = createHash("sha256").update(data).digest("hex");
    const e = await errnoOf(
      (async () => {
        const { fid } = await w.c.walkPath(w.root, `/updates/503/chunks/${id}`);
        await w.c.open(fid, O_WRONLY | O_APPEND);
        await w.c.write(fid, 0xffffffffffffffffn, data);
      })(),
    );
    expect(e).toBe("EACCES");
    expect((await q.request("LS /updates")).lines).not.toContain("503");
    w.c.end();
  });
});
