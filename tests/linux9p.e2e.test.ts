// The Linux kernel's own 9P2000.L client mounts the QEMU-booted Cohesix image: a real,
// independent client for Secure9P (x86_64 Linux in QEMU, through the host's forwarded port).

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MANIFEST } from "../host/generated/manifest.js";
import { QemuGuest } from "../host/runtime/qemu.js";
import { runLinuxClient } from "./helpers/linux9p.js";
import { queenAt } from "./helpers/console.js";
import { manifestTicket } from "./helpers/tickets.js";

const token = (role: keyof typeof MANIFEST.tickets, subject?: string): string => manifestTicket(role, subject);

describe("Linux v9fs mounts the guest", () => {
  let q: QemuGuest;
  beforeAll(async () => {
    q = await QemuGuest.start();
    await q.waitReady();
  });
  afterAll(async () => {
    await q?.stop();
  });

  it("queen: ls -R, cat, append and read back, read-only file refused, mkdir refused, clean umount", async () => {
    const r = await runLinuxClient({
      port: q.ports.tcp,
      uname: "queen",
      aname: token("queen"),
      commands: [
        "ls -R /mnt | head -160", // /gpu and /host list ~60 lines before /log
        "cat /mnt/proc/boot",
        "echo hello-from-linux >> /mnt/log/queen.log",
        "tail -n 2 /mnt/log/queen.log",
        "echo nope >> /mnt/proc/boot",
        "mkdir /mnt/newdir",
        "umount /mnt",
      ],
    });
    expect(r.output).toContain("@@MOUNT 0");
    const [ls, cat, append, tail, ro, mkdir, umount] = r.results;
    expect(ls.out).toContain("proc");
    expect(ls.out).toContain("queen.log");
    expect(cat.out).toContain("Cohesix boot: root-task online");
    expect(append.rc).toBe(0);
    expect(tail.out).toContain("hello-from-linux");
    expect(ro.rc).not.toBe(0);
    expect(ro.out).toMatch(/Permission denied|Operation not permitted|Read-only/);
    expect(mkdir.rc).not.toBe(0);
    expect(umount.rc).toBe(0);
    // The same record is visible over the console.
    const c = await queenAt(q.ports.tcp);
    expect((await c.request("LOG")).lines).toContain("hello-from-linux");
    c.close();
  }, 120_000);

  it("a worker sees only its view: the queen's files are refused", async () => {
    const c = await queenAt(q.ports.tcp);
    expect((await c.request('ECHO /queen/ctl {"spawn":"heartbeat","ticks":0}')).ok).toBe(true);
    const id = (await c.request("LS /worker")).lines.at(-1) ?? "worker-1";
    c.close();
    const r = await runLinuxClient({
      port: q.ports.tcp,
      uname: `worker-heartbeat:${id}`,
      aname: token("worker-heartbeat", id),
      commands: ["cat /mnt/proc/boot | head -1", "cat /mnt/queen/ctl", `echo beat >> /mnt/worker/${id}/telemetry`, "umount /mnt"],
    });
    expect(r.output).toContain("@@MOUNT 0");
    const [boot, queenCtl, own, umount] = r.results;
    expect(boot.out).toContain("Cohesix boot");
    expect(queenCtl.rc).not.toBe(0);
    expect(queenCtl.out).toMatch(/Permission denied|Operation not permitted/);
    expect(own.rc).toBe(0);
    expect(umount.rc).toBe(0);
  }, 120_000);
});
