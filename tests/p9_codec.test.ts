// Secure9P codec: golden bytes for every message both ways (expected bytes written out by hand
// from the 9P2000.L layouts: size[4] type[1] tag[2] body, little-endian), then property tests of
// the host decoder and of the guest's decoder (random, truncated, mis-sized and huge-count frames).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loopbackPipe } from "../host/sdk/connect.js";
import { MANIFEST } from "../host/generated/manifest.js";
import { decode, encode, type Fields, P9Client, P9CodecError, parseDirents, TYPES } from "../host/sdk/p9/client.js";
import { Guest } from "../host/runtime/guest.js";
import { mintTicket } from "../host/sdk/ticket/index.js";
import { CONSOLE_PORT } from "./helpers/console.js";
import { lcg } from "./helpers/rng.js";

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const z = (n: number): string => "00".repeat(n);
const NOFID = 0xffffffff;

// [name, tag, fields, bytes]
const GOLDEN: Array<[string, number, Fields, string]> = [
  ["Tversion", 1, { msize: 8192, version: "9P2000.L" }, "15000000 64 0100 00200000 0800 3950323030302e4c"],
  ["Rversion", 1, { msize: 8192, version: "9P2000.L" }, "15000000 65 0100 00200000 0800 3950323030302e4c"],
  ["Tauth", 2, { afid: 5, uname: "queen", aname: "", n_uname: 0 }, "18000000 66 0200 05000000 0500 717565656e 0000 00000000"],
  ["Tattach", 3, { fid: 1, afid: NOFID, uname: "queen", aname: "t", n_uname: NOFID }, "1d000000 68 0300 01000000 ffffffff 0500 717565656e 0100 74 ffffffff"],
  ["Rattach", 3, { qid: { type: 0x80, version: 0, path: 1n } }, "14000000 69 0300 80 00000000 0100000000000000"],
  ["Rlerror", 4, { ecode: 13 }, "0b000000 07 0400 0d000000"],
  ["Rerror", 4, { code: "Permission", message: "denied" }, "1b000000 6b 0400 0a00 5065726d697373696f6e 0600 64656e696564"],
  ["Tflush", 5, { oldtag: 3 }, "09000000 6c 0500 0300"],
  ["Rflush", 5, {}, "07000000 6d 0500"],
  ["Twalk", 6, { fid: 1, newfid: 2, names: ["proc", "boot"] }, "1d000000 6e 0600 01000000 02000000 0200 0400 70726f63 0400 626f6f74"],
  ["Rwalk", 6, { qids: [{ type: 0x80, version: 0, path: 1n }, { type: 0, version: 0, path: 2n }] },
    "23000000 6f 0600 0200 80 00000000 0100000000000000 00 00000000 0200000000000000"],
  ["Topen", 7, { fid: 2, mode: 0x81 }, "0c000000 70 0700 02000000 81"],
  ["Ropen", 7, { qid: { type: 0x40, version: 0, path: 3n }, iounit: 8168 }, "18000000 71 0700 40 00000000 0300000000000000 e81f0000"],
  ["Tlopen", 8, { fid: 2, flags: 0 }, "0f000000 0c 0800 02000000 00000000"],
  ["Rlopen", 8, { qid: { type: 0, version: 0, path: 4n }, iounit: 0 }, "18000000 0d 0800 00 00000000 0400000000000000 00000000"],
  ["Tread", 9, { fid: 2, offset: 16n, count: 100 }, "17000000 74 0900 02000000 1000000000000000 64000000"],
  ["Rread", 9, { data: new Uint8Array([0x68, 0x69, 0x0a]) }, "0e000000 75 0900 03000000 68690a"],
  ["Twrite", 10, { fid: 2, offset: 0xffffffffffffffffn, data: new Uint8Array([0x6f, 0x6b]) }, "19000000 76 0a00 02000000 ffffffffffffffff 02000000 6f6b"],
  ["Rwrite", 10, { count: 2 }, "0b000000 77 0a00 02000000"],
  ["Tclunk", 11, { fid: 2 }, "0b000000 78 0b00 02000000"],
  ["Rclunk", 11, {}, "07000000 79 0b00"],
  ["Tremove", 12, { fid: 2 }, "0b000000 7a 0c00 02000000"],
  // The classic Tcreate and Tstat, which the generated table carries (the guest refuses them).
  ["Tcreate", 8, { fid: 2, name: "x", perm: 0o644, mode: 1 }, "13000000 72 0800 02000000 0100 78 a4010000 01"],
  ["Tstat", 13, { fid: 2 }, "0b000000 7c 0d00 02000000"],
  ["Tstatfs", 13, { fid: 1 }, "0b000000 08 0d00 01000000"],
  ["Rstatfs", 13, { type: 0x01021997, bsize: 4096, blocks: 0n, bfree: 0n, bavail: 0n, files: 0n, ffree: 0n, fsid: 0n, namelen: 64 },
    "43000000 09 0d00 97190201 00100000" + z(48) + "40000000"],
  ["Tgetattr", 14, { fid: 1, mask: 0x7ffn }, "13000000 18 0e00 01000000 ff07000000000000"],
  ["Rgetattr", 14, { valid: 0x7ffn, qid: { type: 0x80, version: 0, path: 1n }, mode: 0o40555, nlink: 2n, blksize: 4096n },
    "a0000000 19 0e00 ff07000000000000 80 00000000 0100000000000000 6d410000 00000000 00000000 0200000000000000" +
    z(8) + z(8) + "0010000000000000" + z(88)],
  ["Tsetattr", 15, { fid: 1, valid: 8 }, "43000000 1a 0f00 01000000 08000000 00000000 00000000 00000000" + z(40)],
  ["Treaddir", 16, { fid: 3, offset: 0n, count: 8181 }, "17000000 28 1000 03000000 0000000000000000 f51f0000"],
  ["Rreaddir", 16, { data: hex("80 00000000 0100000000000000 0100000000000000 04 0300 6c6f67") },
    "26000000 29 1000 1b000000 80 00000000 0100000000000000 0100000000000000 04 0300 6c6f67"],
  ["Tlcreate", 17, { fid: 1, name: "x", flags: 1, mode: 0o644, gid: 0 }, "1a000000 0e 1100 01000000 0100 78 01000000 a4010000 00000000"],
  ["Rlcreate", 17, { qid: { type: 0x40, version: 0, path: 9n }, iounit: 0 }, "18000000 0f 1100 40 00000000 0900000000000000 00000000"],
  ["Tmkdir", 18, { dfid: 1, name: "d", mode: 0o755, gid: 0 }, "16000000 48 1200 01000000 0100 64 ed010000 00000000"],
  ["Tsymlink", 19, { fid: 1, name: "l", symtgt: "t", gid: 0 }, "15000000 10 1300 01000000 0100 6c 0100 74 00000000"],
  ["Tmknod", 20, { dfid: 1, name: "n" }, "1e000000 12 1400 01000000 0100 6e 00000000 00000000 00000000 00000000"],
  ["Trename", 21, { fid: 2, dfid: 1, name: "r" }, "12000000 14 1500 02000000 01000000 0100 72"],
  ["Treadlink", 22, { fid: 2 }, "0b000000 16 1600 02000000"],
  ["Txattrwalk", 23, { fid: 1, newfid: 5, name: "" }, "11000000 1e 1700 01000000 05000000 0000"],
  ["Txattrcreate", 24, { fid: 1, name: "a", attr_size: 0n, flags: 0 }, "1a000000 20 1800 01000000 0100 61 0000000000000000 00000000"],
  ["Tfsync", 25, { fid: 2, datasync: 0 }, "0f000000 32 1900 02000000 00000000"],
  ["Rfsync", 25, {}, "07000000 33 1900"],
  ["Tlock", 26, { fid: 2, type: 0, flags: 0, start: 0n, length: 0n, proc_id: 1, client_id: "c" },
    "27000000 34 1a00 02000000 00 00000000 0000000000000000 0000000000000000 01000000 0100 63"],
  ["Tgetlock", 27, { fid: 2, type: 0, start: 0n, length: 0n, proc_id: 1, client_id: "c" },
    "23000000 36 1b00 02000000 00 0000000000000000 0000000000000000 01000000 0100 63"],
  ["Tlink", 28, { dfid: 1, fid: 2, name: "k" }, "12000000 46 1c00 01000000 02000000 0100 6b"],
  ["Trenameat", 29, { olddirfid: 1, oldname: "a", newdirfid: 1, newname: "b" }, "15000000 4a 1d00 01000000 0100 61 01000000 0100 62"],
  ["Tunlinkat", 30, { dirfd: 1, name: "u", flags: 0 }, "12000000 4c 1e00 01000000 0100 75 00000000"],
];

describe("golden bytes, host codec", () => {
  it("covers every message type in the table", () => {
    expect(new Set(GOLDEN.map((g) => g[0]))).toEqual(new Set(Object.keys(TYPES)));
  });

  for (const [name, tag, fields, bytes] of GOLDEN) {
    it(`${name}: encode and decode`, () => {
      const want = hex(bytes);
      expect(Buffer.from(encode(name, tag, fields)).toString("hex")).toBe(Buffer.from(want).toString("hex"));
      const m = decode(want);
      expect(m.name).toBe(name);
      expect(m.tag).toBe(tag);
      for (const [k, v] of Object.entries(fields)) expect(m.fields[k]).toEqual(v);
    });
  }

  it("dirents parse", () => {
    expect(parseDirents(hex("80 00000000 0100000000000000 0100000000000000 04 0300 6c6f67"))).toEqual([
      { qid: { type: 0x80, version: 0, path: 1n }, offset: 1n, type: 4, name: "log" },
    ]);
  });
});

describe("host decoder properties", () => {
  const rnd = lcg(7);
  it("random, truncated, mis-sized and huge-count frames throw P9CodecError only", () => {
    const inputs: Uint8Array[] = [];
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.alloc(rnd(80));
      for (let k = 0; k < b.length; k++) b[k] = rnd(256);
      if (b.length >= 5 && rnd(2) === 0) {
        b.writeUInt32LE(b.length, 0);
        b[4] = Object.values(TYPES)[rnd(Object.keys(TYPES).length)];
      }
      inputs.push(b);
    }
    for (const [, , , bytes] of GOLDEN) {
      const g = Buffer.from(hex(bytes));
      for (let cut = 0; cut < g.length; cut++) inputs.push(g.subarray(0, cut)); // truncated (size now lies)
      for (let cut = 7; cut < g.length; cut++) {
        const b = Buffer.from(g.subarray(0, cut));
        b.writeUInt32LE(cut, 0); // consistent size, truncated body
        inputs.push(b);
      }
      const wrong = Buffer.from(g);
      wrong.writeUInt32LE(g.length + 1, 0);
      inputs.push(wrong);
      inputs.push(Buffer.concat([g, Buffer.from([0])])); // trailing byte
    }
    const huge = Buffer.from(hex("0e000000 75 0900 03000000 68690a"));
    huge.writeUInt32LE(0xfffffff0, 7);
    inputs.push(huge);
    let ok = 0;
    for (const b of inputs) {
      try {
        decode(new Uint8Array(b));
        ok++;
      } catch (e) {
        expect(e).toBeInstanceOf(P9CodecError);
      }
    }
    expect(ok).toBeLessThan(inputs.length);
  });
});

describe("guest codec", () => {
  let guest: Guest;
  beforeAll(async () => {
    guest = await Guest.start({ manualClock: true, wallMs: () => 1_800_000_000_000n });
  });
  afterAll(async () => {
    await guest.stop();
  });

  function dial(): P9Client {
    const end = guest.loopback.connect(CONSOLE_PORT);
    if (!end) throw new Error("no console port");
    return new P9Client(loopbackPipe(end));
  }
  const golden = (name: string): Uint8Array => hex(GOLDEN.find((g) => g[0] === name)![3]);
  const bytesOf = (m: { name: string; tag: number; fields: Fields }): string => Buffer.from(encode(m.name, m.tag, m.fields)).toString("hex");

  it("answers the golden T-messages with the golden R-messages", async () => {
    const c = dial();
    expect(bytesOf(await c.rawRequest(golden("Tversion"), 1))).toBe(Buffer.from(golden("Rversion")).toString("hex"));
    expect(bytesOf(await c.rawRequest(golden("Tflush"), 5))).toBe(Buffer.from(golden("Rflush")).toString("hex"));
    expect(bytesOf(await c.rawRequest(golden("Tclunk"), 11))).toBe("0b000000070b0009000000"); // Rlerror EBADF
    const t = mintTicket({ role: "queen", secret: MANIFEST.tickets.queen, nowMs: 1_800_000_000_000n });
    if (!t.ok) throw new Error(t.error.message);
    const { fid } = await c.attach("queen", t.value.token, 1);
    expect(fid).toBe(1);
    // Every refused T-message of the golden set decodes in the guest (no EPROTO) and is refused.
    for (const name of ["Tlcreate", "Tmkdir", "Tsymlink", "Tmknod", "Trename", "Treadlink", "Txattrwalk", "Txattrcreate", "Tlock", "Tgetlock", "Tlink", "Trenameat", "Tunlinkat", "Tsetattr", "Tauth"]) {
      const g = GOLDEN.find((x) => x[0] === name)!;
      const r = await c.rawRequest(hex(g[3]), g[1]);
      expect(r.name, name).toBe("Rlerror");
      expect(r.fields.ecode, name).not.toBe(71);
    }
    expect((await c.rawRequest(golden("Tstatfs"), 13)).name).toBe("Rstatfs");
    expect((await c.rawRequest(golden("Tgetattr"), 14)).name).toBe("Rgetattr");
  });

  it("random frames of every type: a clean Rlerror, no trap, the session unchanged", async () => {
    const c = dial();
    await c.negotiate();
    const t = mintTicket({ role: "queen", secret: MANIFEST.tickets.queen, nowMs: 1_800_000_000_000n });
    if (!t.ok) throw new Error(t.error.message);
    const { fid } = await c.attach("queen", t.value.token);
    const rnd = lcg(99);
    const types = Object.values(TYPES).filter((x) => x % 2 === 0 && x !== 100 && x !== 104 && x !== 110);
    for (let i = 0; i < 500; i++) {
      const b = Buffer.alloc(7 + rnd(40));
      for (let k = 0; k < b.length; k++) b[k] = rnd(256);
      b.writeUInt32LE(b.length, 0);
      b[4] = types[rnd(types.length)];
      if (b.length >= 11) b.writeUInt32LE(0x40000000 + rnd(1000), 7); // fids that do not exist: the session stays as it was
      b.writeUInt16LE(i, 5);
      const r = await c.rawRequest(b, i);
      expect(["Rlerror", "Rflush"]).toContain(r.name);
    }
    expect(await c.cat(fid, "/proc/lifecycle/state")).toBe("state=ONLINE\n");
  });
});
