// coh mount without QEMU: the pure parts (line buffer, path rule, REST lock), then real FUSE mounts
// of the in-process core (--mock), of the core on the Node host with sockets over Secure9P
// (mode=fuse, a queen and a worker-ticket mount, the hive killed under them), and of hive-gateway
// --mock (mode=rest, one per URL). Every access goes through child processes (mount_helpers.ts).

import { existsSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MANIFEST, MANIFEST_SHA256 } from "../host/generated/manifest.js";
import { LineBuffer } from "../host/coh/mount/lines.js";
import { lockPath, takeRestLock } from "../host/coh/mount/lock.js";
import { PathRule } from "../host/coh/mount/paths.js";
import { MountError } from "../host/coh/mount/errno.js";
import { spawnGateway, TOKEN, type GatewayProcess } from "./helpers/gateway.js";
import { manifestTicket } from "./helpers/tickets.js";
import { cleanupMount, coh, isMounted, mountDir, sh, startMockHive, startMount, type MockHive, type MountProc } from "./mount_helpers.js";

const ALLOW = MANIFEST.coh.mount_allowlist.split(",");

describe("append-line buffer", () => {
  it("whole lines out, a partial line kept until its newline or close; CR dropped, empty lines skipped", () => {
    const b = new LineBuffer(16);
    expect(b.push(Buffer.from("one\ntw"))).toEqual(["one"]);
    expect(b.pendingBytes).toBe(2);
    expect(b.push(Buffer.from("o\r\n\nthree\nfo"))).toEqual(["two", "three"]);
    expect(b.takeRest()).toBe("fo");
    expect(b.takeRest()).toBeNull();
  });
  it("a line at the record bound passes, one byte past is EMSGSIZE and nothing is kept", () => {
    const b = new LineBuffer(8);
    expect(b.push(Buffer.from("12345678\n"))).toEqual(["12345678"]);
    expect(() => b.push(Buffer.from("123456789\n"))).toThrow(MountError);
    expect(b.push(Buffer.from("1234"))).toEqual([]);
    expect(() => b.push(Buffer.from("56789"))).toThrow(/EMSGSIZE/);
    expect(b.pendingBytes).toBe(0);
    // The rest of that line is dropped up to its newline; what follows it is taken again.
    expect(() => b.push(Buffer.from("more"))).toThrow(/EMSGSIZE/);
    expect(() => b.push(Buffer.from("\n"))).toThrow(/EMSGSIZE/);
    expect(b.push(Buffer.from("x\nok\n"))).toEqual(["x", "ok"]);
    expect(b.push(Buffer.from("1234"))).toEqual([]);
    expect(() => b.push(Buffer.from("56789"))).toThrow(/EMSGSIZE/);
    expect(b.push(Buffer.from("tail\nnext\n"))).toEqual(["next"]);
    expect(() => b.push(Buffer.from([0xff, 0x0a]))).toThrow(/EINVAL/);
  });
});

describe("path rule (coh.mount.allowlist, walk_depth)", () => {
  const rule = new PathRule({ root: "/", allowlist: ["/proc", "/queen/telemetry"], walkDepth: 4, componentMax: 8 });
  it("entries and below are allowed, the way down is an ancestor, the rest EACCES", () => {
    expect(rule.reach("/proc/boot")).toBe("allowed");
    expect(rule.reach("/queen")).toBe("ancestor");
    expect(rule.reach("/")).toBe("ancestor");
    expect(() => rule.reach("/queen/ctl")).toThrow(/EACCES/);
    expect(() => rule.reach("/procx")).toThrow(/EACCES/);
    expect(rule.filter("/", ["log", "proc", "queen"])).toEqual(["proc", "queen"]);
  });
  it("depth at walk_depth passes, past it ENAMETOOLONG; component_max; no . or ..", () => {
    expect(rule.remote("/a/b/c/d")).toBe("/a/b/c/d");
    expect(() => rule.remote("/a/b/c/d/e")).toThrow(/ENAMETOOLONG/);
    expect(rule.remote("/12345678")).toBe("/12345678");
    expect(() => rule.remote("/123456789")).toThrow(/ENAMETOOLONG/);
    expect(() => rule.remote("/proc/../log")).toThrow(/EINVAL/);
  });
  it("an entry equal to the root allows everything", () => {
    expect(new PathRule({ root: "/", allowlist: ["/"], walkDepth: 8, componentMax: 64 }).reach("/actions")).toBe("allowed");
  });
});

describe("REST mount lock", () => {
  it("one holder per URL with the reference's message; a dead holder's lock is taken over; release deletes it", () => {
    const dir = tmpdir();
    const url = `http://127.0.0.1:1/${process.pid}-${Date.now()}`;
    const a = takeRestLock(url, dir);
    expect(a.file).toBe(lockPath(url, dir));
    writeFileSync(a.file, `rest_url=${url}\npid=1\n`); // pid 1 is alive: another live holder
    expect(() => takeRestLock(url, dir)).toThrow(`rest mount already active for ${url}; only one rest mount is allowed`);
    writeFileSync(a.file, `rest_url=${url}\npid=2147483646\n`); // no such process: stale
    const b = takeRestLock(url, dir);
    b.release();
    expect(existsSync(b.file)).toBe(false);
  });
});

describe("coh --mock mount (the in-process core over 9P, real FUSE)", () => {
  let m: MountProc | undefined;
  beforeAll(async () => {
    m = await startMount(mountDir("mock"), ["--mock"]);
  }, 60_000);
  afterAll(async () => {
    await cleanupMount(m);
    if (m) rmSync(dirname(m.dir), { recursive: true, force: true });
  });

  it("prints OK MOUNT mode=mock; the root lists the allowlist, directories 0555, read-only 0444, append-only 0666 for the queen", async () => {
    expect(m!.out()).toContain(`OK MOUNT mode=mock at=${m!.dir}\n`);
    const root = await sh(`cd ${m!.dir} && ls -1 && stat -c '%A %n' proc log/queen.log proc/boot queen/ctl`);
    expect(root.code, root.stderr).toBe(0);
    const [names, modes] = [root.stdout.split("\n").slice(0, -5), root.stdout.split("\n").slice(-5, -1)];
    expect(names).toEqual(ALLOW.map((e) => e.slice(1)).sort());
    expect(modes).toEqual(["dr-xr-xr-x proc", "-rw-rw-rw- log/queen.log", "-r--r--r-- proc/boot", "-rw-rw-rw- queen/ctl"]);
  });

  it("cat, head and sizes agree with the hive", async () => {
    const r = await sh(`cd ${m!.dir} && cat proc/lifecycle/state && head -n 1 log/queen.log && stat -c %s proc/boot && wc -c < proc/boot && grep -c manifest.sha256=${MANIFEST_SHA256} proc/boot`);
    expect(r.code, r.stderr).toBe(0);
    const l = r.stdout.split("\n");
    expect(l[0]).toBe("state=ONLINE");
    expect(l[1]).toBe("lifecycle transition old=BOOTING new=ONLINE reason=boot-complete");
    expect(Number(l[2])).toBeGreaterThan(100);
    expect(l[3]).toBe(l[2]);
    expect(l[4]).toBe("2");
  });

  it("refuses with the right errno: write/truncate, names, xattrs, outside the allowlist", async () => {
    const cases: Array<[string, string]> = [
      [`echo x > proc/boot`, "Permission denied"],
      [`echo x >> proc/boot`, "Permission denied"],
      [`echo x > log/queen.log`, "Operation not permitted"],
      [`mkdir proc/new`, "Operation not permitted"],
      [`rm proc/boot`, "Operation not permitted"],
      [`mv proc/boot proc/boot2`, "Operation not permitted"],
      [`touch proc/newfile`, "Operation not permitted"],
      [`ln -s boot proc/link`, "Operation not permitted"],
      [`chmod 777 proc/boot`, "Operation not permitted"],
      [`truncate -s 0 log/queen.log`, "Operation not permitted"],
      [`ls actions`, "Permission denied"],
      [`cat proc/nonexistent`, "No such file or directory"],
      [`python3 -c "import os; os.setxattr('proc/boot', 'user.x', b'1')"`, "Operation not supported"],
    ];
    for (const [cmd, msg] of cases) {
      const r = await sh(`cd ${m!.dir} && ${cmd}`);
      expect(r.code, cmd).not.toBe(0);
      expect(r.stderr, cmd).toContain(msg);
    }
  });

  it("append-only writes: whole lines become records, a partial line waits for close; other offsets are EINVAL; the record bound holds", async () => {
    const node = (js: string): ReturnType<typeof sh> => sh(`cd ${m!.dir} && node -e ${JSON.stringify(js)}`);
    const w = await node(`const fs=require('fs');const fd=fs.openSync('log/queen.log','a');fs.writeSync(fd,'mnt-part-');fs.writeSync(fd,'one\\nmnt-two\\n');fs.writeSync(fd,'mnt-tail');fs.closeSync(fd);`);
    expect(w.code, w.stderr).toBe(0);
    const t = await sh(`tail -n 3 ${m!.dir}/log/queen.log`);
    expect(t.stdout).toBe("mnt-part-one\nmnt-two\nmnt-tail\n");
    const off = await node(`const fs=require('fs');const fd=fs.openSync('log/queen.log','r+');try{fs.writeSync(fd,'x\\n',0);}catch(e){console.log(e.code)}`);
    expect(off.stdout.trim()).toBe("EINVAL");
    // Secure9P takes records of telemetry_ingest.max_record_bytes: at the bound, and one past.
    const max = MANIFEST.telemetry_ingest.max_record_bytes;
    const seg = `queen/telemetry/mnt-edge`;
    const r = await sh(`cd ${m!.dir} && printf '{"new":"segment","mime":"text/plain"}\\n' >> ${seg}/ctl && head -c ${max} /dev/zero | tr '\\0' a >> ${seg}/seg/seg-000001 && echo ok1; head -c ${max + 1} /dev/zero | tr '\\0' b >> ${seg}/seg/seg-000001 || echo refused; wc -c < ${seg}/seg/seg-000001`);
    expect(r.stdout.split("\n").slice(0, 3)).toEqual(["ok1", "refused", String(max + 1)]); // nothing of the b line landed
    expect(r.stderr).toContain("Message too long");
  });

  it("statfs answers (df) and --unmount refuses a directory that is not a mount", async () => {
    const df = await sh(`df -P ${m!.dir} | tail -n 1`);
    expect(df.stdout).toMatch(/^coh\s/);
    const u = await coh(["mount", "--unmount", dirname(m!.dir)]);
    expect(u.code).toBe(1);
    expect(u.stdout).toBe(`ERR MOUNT reason=${dirname(m!.dir)} is not a FUSE mount\n`);
    const none = await coh(["mount"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("give exactly one of --at DIR and --unmount DIR");
  });

  it("SIGTERM unmounts and leaves the directory usable", async () => {
    expect(await m!.stop("SIGTERM")).toBe(0);
    expect(m!.out()).toContain(`OK MOUNT unmounted at=${m!.dir} signal=SIGTERM`);
    expect(await isMounted(m!.dir)).toBe(false);
    const ls = await sh(`ls -A ${m!.dir}`);
    expect(ls).toMatchObject({ code: 0, stdout: "" });
  });
});

describe("a mount killed outright", () => {
  it("kill -9 of coh: FUSE's auto_unmount takes the mount down, the directory is usable; --json announces the mount", async () => {
    const dir = mountDir("kill9");
    const m = await startMount(dir, ["--mock", "--json"]);
    try {
      expect(JSON.parse(m.out().trim().split("\n")[0])).toEqual({ ok: true, verb: "MOUNT", event: "mounted", mode: "mock", at: dir });
      expect((await sh(`cat ${dir}/proc/lifecycle/state`)).stdout).toBe("state=ONLINE\n");
      expect(await m.stop("SIGKILL")).toBe(137);
      // fusermount (auto_unmount) notices its parent gone; wait on the kernel's table, bounded.
      const deadline = Date.now() + 10_000;
      while ((await isMounted(dir)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(await isMounted(dir)).toBe(false);
      expect(await sh(`ls -A ${dir}`)).toMatchObject({ code: 0, stdout: "" });
    } finally {
      await cleanupMount(m);
    }
  });
});

describe("over Secure9P to a hive on TCP (mode=fuse): a worker's view, a mount left behind, the hive going away", () => {
  let hive: MockHive | undefined;
  let q: MountProc | undefined;
  let w: MountProc | undefined;
  let left: MountProc | undefined;
  beforeAll(async () => {
    hive = await startMockHive();
    q = await startMount(mountDir("q"), ["--port", String(hive.port)]);
  }, 60_000);
  afterAll(async () => {
    for (const x of [w, q, left]) await cleanupMount(x);
    await hive?.stop("SIGKILL");
  });

  it("the queen mount is mode=fuse; a worker-ticket mount sees only its worker's view", async () => {
    expect(q!.out()).toContain(`OK MOUNT mode=fuse at=${q!.dir}`);
    const sp = await sh(`printf '{"spawn":"heartbeat","ticks":0}\\n' >> ${q!.dir}/queen/ctl && ls ${q!.dir}/worker`);
    expect(sp.code, sp.stderr).toBe(0);
    const id = sp.stdout.trim().split("\n")[0];
    expect(id).toMatch(/^worker-\d+$/);
    w = await startMount(mountDir("w"), ["--port", String(hive!.port), "--role", "worker-heartbeat", "--ticket", manifestTicket("worker-heartbeat", id)]);
    // docs/NAMESPACE.md's worker-heartbeat row: read /proc/boot and /log/queen.log, list /proc and
    // /log, append to its own telemetry; nothing of /queen, no listing of /worker.
    const v = await sh(`cd ${w.dir} && head -n 1 proc/boot && stat -c '%A %n' log/queen.log worker/${id}/telemetry && ls proc | grep -c boot`);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toBe(`Cohesix boot: root-task online\n-r--r--r-- log/queen.log\n-rw-rw-rw- worker/${id}/telemetry\n1\n`);
    for (const [cmd, msg] of [[`ls worker`, "Permission denied"], [`ls queen`, "Permission denied"], [`cat queen/ctl`, "Permission denied"], [`printf 'x\\n' >> log/queen.log`, "Permission denied"], [`printf '{"kill":"${id}"}\\n' >> queen/ctl`, "Permission denied"]]) {
      const e = await sh(`cd ${w.dir} && ${cmd}`);
      expect(e.code, cmd).not.toBe(0);
      expect(e.stderr, cmd).toContain(msg);
    }
    const hb = await sh(`printf 'hb-from-mount\\n' >> ${w.dir}/worker/${id}/telemetry && tail -n 1 ${q!.dir}/worker/${id}/telemetry`);
    expect(hb.stdout).toBe("hb-from-mount\n");
  });

  it("coh mount --unmount DIR takes down a mount from outside; its process then exits 0", async () => {
    left = await startMount(mountDir("left"), ["--port", String(hive!.port)]);
    const u = await coh(["mount", "--unmount", left.dir]);
    expect(u.stdout).toMatch(new RegExp(`^OK MOUNT unmounted at=${left.dir}`));
    expect(await left.exited).toBe(0);
    expect(await isMounted(left.dir)).toBe(false);
  });

  it("killing the hive under both mounts: they unmount and exit 1 within a bounded time, the directories usable", async () => {
    const t0 = Date.now();
    await hive!.stop("SIGKILL");
    const [cq, cw] = await Promise.all([q!.exited, w!.exited]);
    expect([cq, cw]).toEqual([1, 1]);
    // The retry policy's back-offs plus connect refusals: well under the attempts x timeout bound.
    const C = MANIFEST.cohsh;
    expect(Date.now() - t0).toBeLessThan(C.retry_max_attempts * (C.timeout_ms + C.retry_ceiling_ms));
    expect(q!.out()).toMatch(/ERR MOUNT reason=the hive went away .*; unmounted /);
    for (const d of [q!.dir, w!.dir]) {
      expect(await isMounted(d)).toBe(false);
      expect(await sh(`ls -A ${d}`)).toMatchObject({ code: 0, stdout: "" });
    }
  });
});

describe("through hive-gateway (mode=rest), one mount per gateway URL", () => {
  let gw: GatewayProcess | undefined;
  let r: MountProc | undefined;
  const env = { HIVE_GATEWAY_REQUEST_AUTH_TOKEN: TOKEN };
  beforeAll(async () => {
    gw = await spawnGateway(["--mock", "--bind", "127.0.0.1:0"], env);
    r = await startMount(mountDir("rest"), ["--rest-url", gw.url, "--rest-auth-token", "env:HIVE_GATEWAY_REQUEST_AUTH_TOKEN"], env);
  }, 60_000);
  afterAll(async () => {
    await cleanupMount(r);
    await gw?.stop();
  });

  it("reads, appends and refuses as the 9P mount does", async () => {
    expect(r!.out()).toContain(`OK MOUNT mode=rest at=${r!.dir}`);
    const x = await sh(`cd ${r!.dir} && ls -1 && cat proc/lifecycle/state && printf 'rest-line\\n' >> log/queen.log && tail -n 1 log/queen.log && stat -c '%A' proc/boot proc`);
    expect(x.code, x.stderr).toBe(0);
    const l = x.stdout.split("\n");
    expect(l.slice(0, ALLOW.length)).toEqual(ALLOW.map((e) => e.slice(1)).sort());
    expect(l.slice(ALLOW.length)).toEqual(["state=ONLINE", "rest-line", "-rw-r--r--", "dr-xr-xr-x", ""]);
    for (const [cmd, msg] of [[`echo x > log/queen.log`, "Operation not permitted"], [`echo x >> proc/boot`, "Permission denied"], [`mkdir proc/x`, "Operation not permitted"], [`ls actions`, "Permission denied"]]) {
      const e = await sh(`cd ${r!.dir} && ${cmd}`);
      expect(e.stderr, cmd).toContain(msg);
    }
  });

  it("a second REST mount of the same URL is refused with the reference's message", async () => {
    const second = await coh(["--rest-url", gw!.url, "--rest-auth-token", TOKEN, "mount", "--at", mountDir("rest2")]);
    expect(second.code).toBe(1);
    expect(second.stdout).toBe(`ERR MOUNT reason=rest mount already active for ${gw!.url}; only one rest mount is allowed\n`);
    const worker = await coh(["--rest-url", gw!.url, "--role", "worker-heartbeat", "mount", "--at", mountDir("rest3")]);
    expect(worker.stdout).toBe("ERR MOUNT reason=rest-transport-queen-only\n");
  });

  it("the gateway stopping ends the mount: unmounted, exit 1, lock released", async () => {
    await gw!.stop();
    expect(await r!.exited).toBe(1);
    expect(r!.out()).toMatch(/ERR MOUNT reason=the gateway went away/);
    expect(await isMounted(r!.dir)).toBe(false);
    expect(existsSync(join(tmpdir(), lockPath(gw!.url).split("/").pop()!))).toBe(false);
  });
});
