// Secure9P served by the guest on the console port (told apart by the first frame), through the
// Node host's loopback network: attach with tickets, walk/read/readdir/getattr, append-only
// writes, refusals with errnos, bounds, the classic dialect, and parity with the console.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ConsoleClient } from "../host/sdk/console/client.js";
import { loopbackPipe } from "../host/sdk/connect.js";
import { MANIFEST } from "../host/generated/manifest.js";
import { encode, O_RDONLY, O_WRONLY, O_APPEND, P9Client, P9Error, QT_APPEND, QT_DIR } from "../host/sdk/p9/client.js";
import { Guest } from "../host/runtime/guest.js";
import { Shell } from "../host/cohsh/shell.js";
import { NsWire } from "../host/cohsh/wire.js";
import { NineNamespace } from "../host/sdk/ns_9p.js";
import { cohsh } from "./helpers/cohsh.js";
import { mintTicket } from "../host/sdk/ticket/index.js";
import { CONSOLE_PORT, queen, settle } from "./helpers/console.js";
import { manifestTicket } from "./helpers/tickets.js";

let guest: Guest;
let q: ConsoleClient;
const wall = 1_800_000_000_000n;

beforeEach(async () => {
  guest = await Guest.start({ manualClock: true, wallMs: () => wall });
  q = await queen(guest);
  expect((await q.request('ECHO /queen/ctl {"spawn":"heartbeat","ticks":0}')).ok).toBe(true); // worker-1, shard 13
});
afterEach(async () => {
  await guest.stop();
});

function ticket(role: keyof typeof MANIFEST.tickets, subject?: string): string {
  return manifestTicket(role, subject, wall);
}

function dial9p(): P9Client {
  const end = guest.loopback.connect(CONSOLE_PORT);
  if (!end) throw new Error("nothing listens on the console port");
  return new P9Client(loopbackPipe(end));
}

async function session(uname: string, tk: string, version = "9P2000.L"): Promise<{ c: P9Client; root: number }> {
  const c = dial9p();
  await c.negotiate(8192, version);
  const { fid } = await c.attach(uname, tk);
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

describe("attach", () => {
  it("every role needs a ticket; uname is the role, or empty to take it from the ticket", async () => {
    const c = dial9p();
    expect(await c.negotiate(65536)).toEqual({ msize: 8192, version: "9P2000.L" });
    expect(await errno(c.rpc("Tauth", { afid: 1, uname: "queen", aname: "", n_uname: 0 }))).toBe("ENOENT"); // "no auth needed" to libnpclient
    expect(await errno(c.attach("queen", ""))).toBe("EACCES");
    expect(await errno(c.attach("queen", ticket("queen")))).toBe("EAGAIN"); // back-off, as on the console
    guest.advance(300);
    expect(await errno(c.attach("worker-heartbeat:worker-9", ticket("worker-heartbeat", "worker-9")))).toBe("ENOENT");
    guest.advance(600);
    expect(await errno(c.attach("worker-heartbeat:worker-1", ticket("worker-gpu", "worker-1")))).toBe("EACCES");
    guest.advance(1100);
    const t = ticket("queen");
    expect(await errno(c.attach("queen", t.slice(0, -1) + (t.endsWith("0") ? "1" : "0")))).toBe("EACCES");
    guest.advance(2100); // 4.1 s: still within auth_timeout_ms for the first successful attach
    const qa = await c.attach("queen", ticket("queen"));
    expect(qa.qid.type).toBe(QT_DIR);
    const w = await c.attach("", ticket("worker-heartbeat", "worker-1"));
    expect(await c.cat(w.fid, "/proc/boot")).toContain("Cohesix boot: root-task online");
    const nobody = await c.attach("nobody", ticket("worker-heartbeat", "worker-1")); // Linux's default uname
    expect(await errno(c.walkPath(nobody.fid, "/queen/ctl"))).toBe("EACCES");
    const log = (await q.request("LOG")).lines.join("\n");
    expect(log).toMatch(/9p attach outcome=allow role=queen ticket=[0-9a-f]{16}/);
    expect(log).toMatch(/9p attach outcome=allow role=worker-heartbeat subject=worker-1 ticket=[0-9a-f]{16}/);
    expect(log).toMatch(/9p attach outcome=deny detail=ticket-required role=queen cause=ticket-required/);
    expect(log).not.toContain("cohesix-ticket-");
  });

  it("attach before version is refused; a 9P session counts as an active session", async () => {
    const c = dial9p();
    expect(await c.negotiate(8192, "9P2000.u")).toEqual({ msize: 8192, version: "unknown" });
    expect(await errno(c.attach("queen", ticket("queen")))).toBe("EINVAL");
    await c.negotiate();
    await c.attach("queen", ticket("queen"));
    expect((await q.request("CAT /proc/9p/session/active")).lines).toEqual(["active=2 draining=0"]);
  });
});

describe("namespace over 9P", () => {
  it("walks and reads /proc/boot with the console's content; qids are stable and typed", async () => {
    const { c, root } = await session("queen", ticket("queen"));
    const text = await c.cat(root, "/proc/boot");
    const lines = (await q.request("TAIL /proc/boot")).lines;
    expect(text).toBe(lines.join("\n") + "\n");
    const a = await c.walkPath(root, "/proc/boot");
    const b = await c.walkPath(root, "/proc/boot");
    expect(a.qids[1].path).toBe(b.qids[1].path);
    expect(a.qids[0].type).toBe(QT_DIR);
    const attr = await c.getattr(a.fid);
    expect(attr.size).toBe(BigInt(Buffer.byteLength(text)));
    expect(attr.mode).toBe(0o100444);
    const log = await c.walkPath(root, "/log/queen.log");
    expect(log.qids[1].type).toBe(QT_APPEND);
    // Offsets: a read from the middle, and past the end.
    await c.open(a.fid, O_RDONLY);
    expect(Buffer.from(await c.read(a.fid, 7, 4)).toString()).toBe(text.slice(7, 11));
    expect((await c.read(a.fid, 1 << 20, 100)).length).toBe(0);
    expect(await c.ls(root, "/")).toEqual((await q.request("LS /")).lines);
    expect(await c.ls(root, "/proc")).toEqual((await q.request("LS /proc")).lines);
    expect((await c.statfs(root)).type).toBe(0x01021997);
  });

  it("a read pass sees one version of a line file: rendered at offset 0, served by offset after; past its end it renders again", async () => {
    const { c, root } = await session("queen", ticket("queen"));
    const f = await c.walkPath(root, "/proc/lifecycle/state");
    await c.open(f.fid, O_RDONLY);
    expect(Buffer.from(await c.read(f.fid, 0, 6)).toString()).toBe("state=");
    expect((await q.request("ECHO /queen/lifecycle/ctl cordon")).ok).toBe(true);
    // The same pass goes on in the version it started with, not a splice of two versions.
    expect(Buffer.from(await c.read(f.fid, 6, 100)).toString()).toBe("ONLINE\n");
    // Past that version's end (13 bytes) the file is rendered again: a growing file is followed.
    const now = (await q.request("CAT /proc/lifecycle/state")).lines[0] + "\n";
    expect(now).not.toBe("state=ONLINE\n");
    expect(Buffer.from(await c.read(f.fid, 13, 100)).toString()).toBe(now.slice(13));
    // A new pass from offset 0 sees the new state whole; another fid has its own pass.
    expect(Buffer.from(await c.read(f.fid, 0, 100)).toString()).toBe(now);
    expect(await c.cat(root, "/proc/lifecycle/state")).toBe(now);
    expect((await q.request("ECHO /queen/lifecycle/ctl resume")).ok).toBe(true);
    expect(Buffer.from(await c.read(f.fid, 0, 100)).toString()).toBe("state=ONLINE\n");
  });

  it("appends to /log/queen.log, one record per line, read back over 9P and the console", async () => {
    const { c, root } = await session("queen", ticket("queen"));
    expect(await c.append(root, "/log/queen.log", "hello from 9p\nsecond line\n")).toBe(26);
    const text = await c.cat(root, "/log/queen.log");
    expect(text).toContain("hello from 9p\nsecond line\n");
    const log = (await q.request("LOG")).lines;
    expect(log.slice(-2)).toEqual(["hello from 9p", "second line"]);
    // The same record written over the console reads back identically.
    await q.request("ECHO /log/queen.log from console");
    expect((await c.cat(root, "/log/queen.log")).endsWith("from console\n")).toBe(true);
  });

  it("refusals: read-only file, outside a worker's view, mkdir, create, truncate, remove", async () => {
    const { c, root } = await session("queen", ticket("queen"));
    const boot = await c.walkPath(root, "/proc/boot");
    expect(await errno(c.open(boot.fid, O_WRONLY))).toBe("EACCES");
    expect(await errno(c.rpc("Tmkdir", { dfid: root, name: "x", mode: 0o755, gid: 0 }))).toBe("EPERM");
    expect(await errno(c.rpc("Tlcreate", { fid: root, name: "x", flags: 1, mode: 0o644, gid: 0 }))).toBe("EPERM");
    expect(await errno(c.rpc("Tsetattr", { fid: boot.fid, valid: 8, size: 0n }))).toBe("EPERM");
    expect(await errno(c.rpc("Tunlinkat", { dirfd: root, name: "proc", flags: 0 }))).toBe("EPERM");
    expect(await errno(c.rpc("Trenameat", { olddirfid: root, oldname: "proc", newdirfid: root, newname: "p" }))).toBe("EPERM");
    expect(await errno(c.rpc("Txattrwalk", { fid: root, newfid: 99, name: "security.selinux" }))).toBe("EOPNOTSUPP");
    const lg = await c.walkPath(root, "/log/queen.log");
    expect(await errno(c.open(lg.fid, O_WRONLY | 0o1000))).toBe("EPERM");
    expect(await errno(c.rpc("Tremove", { fid: lg.fid }))).toBe("EPERM");
    expect(await errno(c.clunk(lg.fid))).toBe("EBADF"); // Tremove clunked it

    const w = await session("worker-heartbeat:worker-1", ticket("worker-heartbeat", "worker-1"));
    expect(await errno(w.c.walkPath(w.root, "/queen/ctl"))).toBe("EACCES");
    expect(await errno(w.c.ls(w.root, "/"))).toBe("EACCES");
    expect(await w.c.cat(w.root, "/proc/boot")).toContain("Cohesix boot");
    expect(await w.c.append(w.root, "/shard/13/worker/worker-1/telemetry", "t1\n")).toBe(3);
    expect(await errno(w.c.append(w.root, "/proc/boot", "x"))).toBe("EACCES");
    expect(await errno(w.c.walkPath(w.root, "/proc/nope"))).toBe("ENOENT");
  });
});

describe("bounds", () => {
  it("a 9P connection that does not attach within auth_timeout_ms is closed", async () => {
    const c = dial9p();
    await c.negotiate();
    guest.advance(MANIFEST.console.auth_timeout_ms);
    await settle();
    expect(c.closed).not.toBeNull();
  });

  it("walk of 9 names, a 65-byte component, '..', fid and msize limits", async () => {
    const { c, root } = await session("queen", ticket("queen"));
    expect(await errno(c.walk(root, ["a", "b", "c", "d", "e", "f", "g", "h", "i"]))).toBe("EINVAL");
    expect(await errno(c.walk(root, ["a".repeat(65)]))).toBe("ENAMETOOLONG");
    expect(await errno(c.walk(root, [".."]))).toBe("EINVAL");
    expect(await errno(c.walk(root, ["a\0b"]))).toBe("EINVAL");
    const fids: number[] = [];
    for (let i = 0; i < 63; i++) fids.push((await c.walk(root, [])).fid);
    expect(await errno(c.walk(root, []))).toBe("EMFILE");
    await c.clunk(fids[0]);
    await c.walk(root, []);
    expect(await errno(c.negotiate(100))).toBe("EINVAL");
    expect((await c.negotiate(4096)).msize).toBe(4096);
    // Tversion reset the session: the old fids are gone.
    expect(await errno(c.clunk(root))).toBe("EBADF");
    const { fid } = await c.attach("queen", ticket("queen"));
    const f = await c.walkPath(fid, "/proc/boot");
    await c.open(f.fid);
    expect((await c.read(f.fid, 0, 1 << 30)).length).toBeLessThanOrEqual(4096 - 11);
  });

  it("malformed frames get a clean error and leave the session as it was", async () => {
    const { c, root } = await session("queen", ticket("queen"));
    const good = encode("Tclunk", 7, { fid: 12345 });
    const frames: Uint8Array[] = [];
    let seed = 42;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 200; i++) {
      const len = 7 + rnd(60);
      const b = Buffer.alloc(len);
      for (let k = 0; k < len; k++) b[k] = rnd(256);
      b.writeUInt32LE(len, 0);
      if (b[4] === 100) b[4] = 99; // keep the session (a Tversion would reset it)
      b.writeUInt16LE(500 + i, 5);
      frames.push(b);
    }
    // Truncated bodies and huge counts, with the size field consistent with the frame.
    const walk = Buffer.from(encode("Twalk", 900, { fid: root, newfid: 77, names: ["proc", "boot"] }));
    for (let cut = 8; cut < walk.length; cut++) {
      const b = Buffer.from(walk.subarray(0, cut));
      b.writeUInt32LE(cut, 0);
      frames.push(b);
    }
    const huge = Buffer.from(encode("Twrite", 901, { fid: root, offset: 0n, data: new Uint8Array(4) }));
    huge.writeUInt32LE(0xffffffff, 7 + 4 + 8);
    frames.push(huge);
    for (const f of frames) {
      const tag = Buffer.from(f).readUInt16LE(5);
      const r = await c.rawRequest(f, tag);
      expect(r.name).toBe("Rlerror");
    }
    expect((await c.rawRequest(good, 7)).fields.ecode).toBe(9); // EBADF: nothing was created
    expect(await c.cat(root, "/proc/boot")).toContain("Cohesix boot");
    expect(await errno(c.clunk(77))).toBe("EBADF");
  });

  it("pipelined requests (more than 16 tags at once) are answered one by one, in order", async () => {
    const { c, root } = await session("queen", ticket("queen"));
    const tags = Array.from({ length: 32 }, (_, i) => 1000 + i);
    const replies = tags.map((tg) => c.rawRequest(new Uint8Array(0), tg));
    const order: number[] = [];
    replies.forEach((p, i) => void p.then(() => order.push(tags[i])));
    c.rawRequest(Buffer.concat(tags.map((tg) => Buffer.from(encode("Tgetattr", tg, { fid: root, mask: 0x7ffn })))), 999).catch(() => undefined);
    const got = await Promise.all(replies);
    expect(got.every((m) => m.name === "Rgetattr")).toBe(true);
    expect(order).toEqual(tags);
  });

  it("a frame larger than msize closes the connection", async () => {
    const c = dial9p();
    await c.negotiate();
    const b = Buffer.alloc(11);
    b.writeUInt32LE(9000, 0);
    b[4] = 120;
    const r = await c.rawRequest(b, 0xffff);
    expect(r.fields.ecode).toBe(90);
    await settle();
    expect(c.closed).not.toBeNull();
  });
});

describe("the original's classic dialect", () => {
  it("Topen with the append bit, Rerror with code and message", async () => {
    const { c, root } = await session("queen", ticket("queen"), "9P2000");
    const f = await c.walkPath(root, "/log/queen.log");
    await c.rpc("Topen", { fid: f.fid, mode: 0x80 | 1 });
    expect(await c.write(f.fid, 0, "classic")).toBe(7);
    const boot = await c.walkPath(root, "/proc/boot");
    try {
      await c.rpc("Topen", { fid: boot.fid, mode: 1 });
      expect.unreachable();
    } catch (e) {
      expect((e as P9Error).code).toBe("Permission");
      expect((e as P9Error).message).toContain("cannot write read-only file /proc/boot");
    }
    expect((await q.request("LOG")).lines.at(-1)).toBe("classic");
  });
});

describe("the console port still serves the console", () => {
  it("a console client and a 9P client side by side", async () => {
    const { c, root } = await session("queen", ticket("queen"));
    expect((await q.request("PING")).ack).toBe("OK PING reply=pong");
    expect(await c.cat(root, "/proc/lifecycle/state")).toBe("state=ONLINE\n");
    await c.append(root, "/queen/ctl", '{"spawn":"heartbeat","ticks":0}\n');
    expect((await q.request("LS /shard")).lines.length).toBeGreaterThan(0);
    expect((await q.request("LOG")).lines.some((l) => l.startsWith("worker spawn id=worker-2"))).toBe(true);
  });
});

describe("cohsh --transport 9p", () => {
  it("the shell's commands map to walk/open/read/write with console-shaped replies", async () => {
    const connector = async () => loopbackPipe(guest.loopback.connect(CONSOLE_PORT)!);
    const session = new NsWire(new NineNamespace({ connector }));
    const shell = new Shell(session);
    await session.connect();
    expect((await shell.run("ls /proc")).response).toBe("ERR LS reason=policy detail=not-attached hint=attach");
    expect((await shell.run(`attach queen ${ticket("queen")}`)).response).toBe("OK ATTACH role=queen");
    const ls = await shell.run("ls /proc");
    expect(ls.lines).toEqual(["OK LS path=/proc entries=" + ((await q.request("LS /proc")).lines.length), ...(await q.request("LS /proc")).lines, "END"]);
    expect((await shell.run("cat /proc/boot")).lines).toContain("Cohesix boot: root-task online");
    expect((await shell.run("echo over nine > /log/queen.log")).response).toBe("OK ECHO path=/log/queen.log bytes=9");
    expect((await shell.run("tail /log/queen.log")).lines.at(-2)).toBe("over nine");
    expect((await q.request("LOG")).lines.at(-1)).toBe("over nine");
    expect((await shell.run("cat /proc/nope")).response).toBe("ERR CAT reason=policy path=/proc/nope error=ENOENT");
    expect((await shell.run("echo x > /proc/boot")).response).toBe("ERR ECHO reason=policy path=/proc/boot error=EACCES");
    expect((await shell.run("spawn heartbeat ticks=1")).ok).toBe(true);
    expect((await shell.run("quit")).exit).toBe(true);
  });
});

describe("cohsh --transport 9p (the CLI, real TCP)", () => {
  it("attaches with --role/--ticket and runs a script", async () => {
    const tcp = await Guest.start({ net: "sockets", sockets: { portMap: { 31337: 0, 31338: 0, 31339: 0 } } });
    try {
      const port = String(tcp.sockets.bound.get(31337));
      const tk = mintTicket({ role: "queen", secret: MANIFEST.tickets.queen });
      if (!tk.ok) throw new Error(tk.error.message);
      const r = await cohsh(["--transport", "9p", "--tcp-port", port, "--role", "queen", "--ticket", tk.value.token], "cat /proc/lifecycle/state\necho via cli > /log/queen.log\nlog\nquit\n");
      expect(r.stdout).toContain("OK ATTACH role=queen");
      expect(r.stdout).toContain("state=ONLINE");
      expect(r.stdout).toContain("via cli");
      expect(r.code).toBe(0);
    } finally {
      await tcp.stop();
    }
  });
});

describe("record bounds reachable only over 9P", () => {
  it("a worker telemetry record of 512 bytes (workers.record_max) is accepted, 513 is refused", async () => {
    const { c, root } = await session("queen", ticket("queen"));
    expect(await c.append(root, "/worker/worker-1/telemetry", "a".repeat(512) + "\n")).toBeGreaterThan(0);
    expect(await errno(c.append(root, "/worker/worker-1/telemetry", "b".repeat(513) + "\n"))).not.toBe("ok");
    expect(await c.cat(root, "/worker/worker-1/telemetry")).toBe("a".repeat(512) + "\n");
  });

  it("an ingest record of 4096 bytes is accepted, 4097 is refused (quota)", async () => {
    const { c, root } = await session("queen", ticket("queen"));
    await c.append(root, "/queen/telemetry/dev/ctl", '{"new":"segment","mime":"text/plain"}\n');
    expect(await c.append(root, "/queen/telemetry/dev/seg/seg-000001", "c".repeat(4096) + "\n")).toBeGreaterThan(0);
    expect(await errno(c.append(root, "/queen/telemetry/dev/seg/seg-000001", "d".repeat(4097) + "\n"))).not.toBe("ok");
    const seg = await c.cat(root, "/queen/telemetry/dev/seg/seg-000001");
    expect(seg).toBe("c".repeat(4096) + "\n");
  });
});
