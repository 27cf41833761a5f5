// coh mount against the QEMU-booted image (one guest for the whole file): a Secure9P mount
// ("Host A") and, through hive-gateway, a REST mount ("Host B"); ordinary child processes read
// and write them — ls -la, cat, head, the seed's bidirectional telemetry transfer smoke verbatim,
// the refusals with their errnos, a worker-ticket mount's view, the Python FilesystemBackend — a
// second REST mount of the gateway's URL is refused, and killing the guest under the mounts leaves
// no hung process and usable directories. Sessions: the guest takes console.max_sessions (4); the
// gateway holds 3 of them, so the worker mount comes before the gateway starts.

import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MANIFEST } from "../host/generated/manifest.js";
import { freePort, QemuGuest } from "../host/runtime/qemu.js";
import { spawnGateway, TOKEN, type GatewayProcess } from "./helpers/gateway.js";
import { ROOT } from "./helpers/serial.js";
import { manifestTicket } from "./helpers/tickets.js";
import { cleanupMount, coh, isMounted, mountDir, runCmd, sh, startMount, type MountProc } from "./mount_helpers.js";

let q: QemuGuest;
let gw: GatewayProcess | undefined;
let a: MountProc | undefined;
let b: MountProc | undefined;
let w: MountProc | undefined;
const ALLOW = MANIFEST.coh.mount_allowlist.split(",").map((e) => e.slice(1)).sort();

beforeAll(async () => {
  q = await QemuGuest.start();
  await q.waitReady(120_000);
  a = await startMount(mountDir("hostA"), ["--host", "127.0.0.1", "--port", String(q.ports.tcp), "--auth-token", "changeme"]);
}, 180_000);
afterAll(async () => {
  for (const m of [w, b, a]) await cleanupMount(m);
  await gw?.stop();
  await q?.stop();
});

/** The seed's smoke, verbatim: Host A creates a segment and writes; Host B confirms. */
const smokeWrite = (mnt: string, dev: string): string => `MNT=${mnt}
DEV=${dev}
printf '{"new":"segment","mime":"text/plain"}\\n' >> "\${MNT}/queen/telemetry/\${DEV}/ctl"
printf "hello-from-jetson ts_ms=%s\\n" "$(date +%s000)" >> "\${MNT}/queen/telemetry/\${DEV}/seg/seg-000001"`;
const smokeRead = (mnt: string, dev: string): string => `MNT=${mnt}
DEV=${dev}
cat "\${MNT}/queen/telemetry/\${DEV}/latest"
tail -n 5 "\${MNT}/queen/telemetry/\${DEV}/seg/seg-000001"`;

describe("Host A: the image over Secure9P", () => {
  it("OK MOUNT mode=fuse; ls -la of the root and /proc with real kinds and sizes", async () => {
    expect(a!.out()).toContain(`OK MOUNT mode=fuse at=${a!.dir}\n`);
    const r = await sh(`ls -la ${a!.dir} && ls -la ${a!.dir}/proc && stat -c '%s' ${a!.dir}/proc/boot && wc -c < ${a!.dir}/proc/boot`);
    expect(r.code, r.stderr).toBe(0);
    const names = r.stdout.split("\n").filter((l) => /^d/.test(l) && !/ \.\.?$/.test(l));
    expect(names.slice(0, ALLOW.length).map((l) => l.split(/\s+/).at(-1))).toEqual(ALLOW);
    for (const l of names) expect(l).toMatch(/^dr-xr-xr-x /);
    expect(r.stdout).toMatch(/^-r--r--r-- +1 \S+ \S+ +\d+ .* boot$/m);
    const [size, bytes] = r.stdout.trim().split("\n").slice(-2);
    expect(Number(size)).toBeGreaterThan(100);
    expect(bytes).toBe(size);
  });

  it("cat /proc/lifecycle/state, head -n 5 log/queen.log", async () => {
    const r = await sh(`cat ${a!.dir}/proc/lifecycle/state && head -n 5 ${a!.dir}/log/queen.log`);
    expect(r.code, r.stderr).toBe(0);
    const l = r.stdout.trim().split("\n");
    expect(l[0]).toBe("state=ONLINE");
    expect(l[1]).toBe("lifecycle transition old=BOOTING new=ONLINE reason=boot-complete");
    expect(l.length).toBeGreaterThanOrEqual(3);
    expect(l.length).toBeLessThanOrEqual(6);
  });

  it("echo x > /proc/boot fails with EACCES; > on a log EPERM; mkdir, rm, mv fail EPERM", async () => {
    const cases: Array<[string, string]> = [
      [`echo x > proc/boot`, "Permission denied"],
      [`echo x > log/queen.log`, "Operation not permitted"],
      [`mkdir proc/new`, "Operation not permitted"],
      [`rm proc/boot`, "Operation not permitted"],
      [`mv proc/boot proc/boot.old`, "Operation not permitted"],
    ];
    for (const [cmd, msg] of cases) {
      const r = await sh(`cd ${a!.dir} && ${cmd}`);
      expect(r.code, cmd).not.toBe(0);
      expect(r.stderr, cmd).toContain(msg);
    }
    const still = await sh(`head -n 1 ${a!.dir}/proc/boot`);
    expect(still.stdout).toBe("Cohesix boot: root-task online\n");
  });

  it("a worker-ticket mount sees only its worker's view", async () => {
    const sp = await sh(`printf '{"spawn":"heartbeat","ticks":0}\\n' >> ${a!.dir}/queen/ctl && ls ${a!.dir}/worker`);
    expect(sp.code, sp.stderr).toBe(0);
    const id = sp.stdout.trim().split("\n").at(-1)!;
    w = await startMount(mountDir("worker"), ["--port", String(q.ports.tcp), "--role", "worker-heartbeat", "--ticket", manifestTicket("worker-heartbeat", id)]);
    const v = await sh(`cd ${w.dir} && stat -c '%A %n' log/queen.log worker/${id}/telemetry && printf 'hb-via-mount\\n' >> worker/${id}/telemetry && grep -c -x hb-via-mount ${a!.dir}/worker/${id}/telemetry`);
    // grep, not tail -n 1: the worker's own heartbeats (every heartbeat_ms) may land after our line.
    expect(v.stdout).toBe(`-r--r--r-- log/queen.log\n-rw-rw-rw- worker/${id}/telemetry\n1\n`);
    for (const cmd of [`ls queen`, `cat queen/ctl`, `ls worker`, `printf 'x\\n' >> log/queen.log`]) {
      const e = await sh(`cd ${w.dir} && ${cmd}`);
      expect(e.stderr, cmd).toContain("Permission denied");
    }
    expect(await w.stop()).toBe(0);
    w = undefined;
  });
});

describe("Host B: the image through hive-gateway (REST), and the transfer smoke between A and B", () => {
  const env = { HIVE_GATEWAY_REQUEST_AUTH_TOKEN: TOKEN };
  beforeAll(async () => {
    const bind = `127.0.0.1:${await freePort()}`;
    gw = await spawnGateway([], { COH_TCP_HOST: "127.0.0.1", COH_TCP_PORT: String(q.ports.tcp), COH_AUTH_TOKEN: "changeme", HIVE_GATEWAY_REQUEST_AUTH_TOKEN: TOKEN, COH_ROLE: "queen", HIVE_GATEWAY_BIND: bind });
    b = await startMount(mountDir("hostB"), ["--rest-url", gw.url, "--rest-auth-token", "env:HIVE_GATEWAY_REQUEST_AUTH_TOKEN"], env);
  }, 60_000);

  it("the seed's reads over REST: cat lifecycle state, head -n 5 of the queen log; ls -la", async () => {
    expect(b!.out()).toContain(`OK MOUNT mode=rest at=${b!.dir}\n`);
    const r = await sh(`cat ${b!.dir}/proc/lifecycle/state && head -n 5 ${b!.dir}/log/queen.log | wc -l && ls -la ${b!.dir}/proc | grep -c ' boot$'`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe("state=ONLINE\n5\n1\n");
  });

  it("A writes, B reads; then B writes, A reads (the seed's smoke verbatim, both directions)", async () => {
    const w1 = await sh(smokeWrite(a!.dir, "jetson-xfer-1"));
    expect(w1.code, w1.stderr).toBe(0);
    const r1 = await sh(smokeRead(b!.dir, "jetson-xfer-1"));
    expect(r1.code, r1.stderr).toBe(0);
    expect(r1.stdout).toMatch(/^seg-000001\nhello-from-jetson ts_ms=\d{13}\n$/);
    const w2 = await sh(smokeWrite(b!.dir, "g5g-xfer-1"));
    expect(w2.code, w2.stderr).toBe(0);
    const r2 = await sh(smokeRead(a!.dir, "g5g-xfer-1"));
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.stdout).toMatch(/^seg-000001\nhello-from-jetson ts_ms=\d{13}\n$/);
  });

  it("the same refusals over REST", async () => {
    for (const [cmd, msg] of [[`echo x > proc/boot`, "Operation not permitted"], [`echo x >> proc/boot`, "Permission denied"], [`mkdir proc/new`, "Operation not permitted"], [`rm proc/boot`, "Operation not permitted"], [`mv proc/boot proc/b`, "Operation not permitted"]]) {
      const e = await sh(`cd ${b!.dir} && ${cmd}`);
      expect(e.code, cmd).not.toBe(0);
      expect(e.stderr, cmd).toContain(msg);
    }
  });

  it("a second REST mount of the same gateway URL is refused", async () => {
    const r = await coh(["--rest-url", gw!.url, "--rest-auth-token", TOKEN, "mount", "--at", mountDir("hostB2")]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`ERR MOUNT reason=rest mount already active for ${gw!.url}; only one rest mount is allowed\n`);
  });

  it("the Python client's FilesystemBackend works on both mounts", async () => {
    const py = (mnt: string, dev: string): string => `
from cohesix.backends.fs import FilesystemBackend
b = FilesystemBackend(${JSON.stringify(mnt)})
print(",".join(b.list_dir("/")))
print(b.read_lines("/proc/lifecycle/state", 256)[0])
print(b.write_append("/queen/telemetry/${dev}/ctl", '{"new":"segment","mime":"text/plain"}'))
print(b.write_append("/queen/telemetry/${dev}/seg/seg-000001", "py-record"))
print(b.tail_lines("/queen/telemetry/${dev}/seg/seg-000001", 4096)[-1])
`;
    for (const [m, dev] of [[a!, "py-a"], [b!, "py-b"]] as const) {
      const r = await runCmd("python3", ["-c", py(m.dir, dev)], { env: { PYTHONPATH: join(ROOT, "tools/cohesix-py") } });
      expect(r.code, r.stderr).toBe(0);
      const l = r.stdout.trim().split("\n");
      expect(l[0]).toBe(ALLOW.join(","));
      expect(l[1]).toBe("state=ONLINE");
      expect(l[2]).toMatch(/^OK ECHO /);
      expect(l[4]).toBe("py-record");
    }
  });
});

describe("the guest killed under the mounts", () => {
  it("the 9P mount unmounts and exits within a bounded time; the REST mount follows its gateway; both directories usable", async () => {
    const t0 = Date.now();
    q.proc.kill("SIGKILL");
    const C = MANIFEST.cohsh;
    const bound = C.retry_max_attempts * (C.timeout_ms + C.retry_ceiling_ms) + C.heartbeat_ms;
    const code = await Promise.race([a!.exited, new Promise<number>((r) => setTimeout(() => r(-1), bound))]);
    expect(code, a!.out() + a!.err()).toBe(1);
    expect(Date.now() - t0).toBeLessThan(bound);
    expect(a!.out()).toMatch(/ERR MOUNT reason=the hive went away .*; unmounted /);
    expect(await isMounted(a!.dir)).toBe(false);
    expect(await sh(`ls -A ${a!.dir}`)).toMatchObject({ code: 0, stdout: "" });
    // The gateway outlives the guest (it re-dials); reads through B fail (EIO) rather than hang.
    // (Not a /proc path: the gateway's read cache may still answer those for cache_ttl_ms.)
    const rd = await sh(`cat ${b!.dir}/log/queen.log`, 60_000);
    expect(rd.stderr).toContain("Input/output error");
    expect(rd.code).not.toBe(0);
    expect(rd.signal).toBeNull();
    await gw!.stop();
    const cb = await Promise.race([b!.exited, new Promise<number>((r) => setTimeout(() => r(-1), C.heartbeat_ms * 2 + 10_000))]);
    expect(cb, b!.out() + b!.err()).toBe(1);
    expect(await isMounted(b!.dir)).toBe(false);
    expect(await sh(`ls -A ${b!.dir}`)).toMatchObject({ code: 0, stdout: "" });
  }, 120_000);
});
