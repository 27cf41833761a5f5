// A userland 9P2000.L client that is not ours: Debian's diod package (diodls, diodcat, built on
// libnpclient) against the QEMU guest. These tools send Tauth first and take Rlerror(ENOENT) as
// "no authentication needed", pass the ticket as `aname`, send the caller's user name as `uname`,
// and walk from directory fids they have opened (diodls -l). .ci/setup installs diod.

import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QemuGuest } from "../host/runtime/qemu.js";
import { ConsoleClient } from "../host/sdk/console/client.js";
import { tcpPipe } from "../host/sdk/pipe.js";
import { manifestTicket } from "./helpers/tickets.js";

const SBIN = "/usr/sbin";

function diod(tool: "diodls" | "diodcat", args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(`${SBIN}/${tool}`, args, { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === "number" ? Number((err as NodeJS.ErrnoException).code) : 1) : 0;
      res({ code, stdout, stderr });
    });
  });
}

describe("diod's userland 9P2000.L clients (diodls, diodcat) against the QEMU guest", () => {
  let q: QemuGuest;
  let server: string;
  beforeAll(async () => {
    if (!existsSync(`${SBIN}/diodls`)) throw new Error("diodls not found: install Debian's diod package (bash .ci/setup does)");
    q = await QemuGuest.start();
    await q.waitReady();
    server = `127.0.0.1:${q.ports.tcp}`;
  }, 120_000);
  afterAll(async () => {
    await q?.stop();
  });

  it("diodls with a queen ticket as aname lists the root (Tauth answered ENOENT, then Tattach)", async () => {
    const r = await diod("diodls", ["-s", server, "-t", "20", "-a", manifestTicket("queen"), "/"]);
    expect(r.code, r.stderr).toBe(0);
    const names = r.stdout.trim().split("\n");
    for (const n of ["proc", "log", "queen", "worker"]) expect(names).toContain(n);
  });

  it("diodls -l walks from the directory fid it opened and stats every entry", async () => {
    const r = await diod("diodls", ["-l", "-s", server, "-t", "20", "-a", manifestTicket("queen"), "/proc"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/ boot\n/);
    expect(r.stdout).toMatch(/ lifecycle\n/);
  });

  it("diodcat reads a file, and the attach is audited as a 9P attach", async () => {
    const boot = await diod("diodcat", ["-s", server, "-t", "20", "-a", manifestTicket("queen"), "proc/boot"]);
    expect(boot.code, boot.stderr).toBe(0);
    expect(boot.stdout).toContain("Cohesix boot: root-task online");
    const log = await diod("diodcat", ["-s", server, "-t", "20", "-a", manifestTicket("queen"), "log/queen.log"]);
    expect(log.stdout).toMatch(/9p attach outcome=allow role=queen ticket=[0-9a-f]{16}/);
  });

  it("without a ticket (diod's default aname) or with a forged one the attach is refused, and the tool says so", async () => {
    for (const extra of [[], ["-a", "cohesix-ticket-forged"]]) {
      const r = await diod("diodls", ["-s", server, "-t", "20", ...extra, "/"]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/error attaching to aname=/);
      expect(r.stdout).toBe("");
    }
  });

  it("a worker ticket reads its own view and is refused the queen's control file", async () => {
    const c = new ConsoleClient(await tcpPipe("127.0.0.1", q.ports.tcp));
    expect((await c.request("AUTH changeme")).ok).toBe(true);
    expect((await c.request("ATTACH queen")).ok).toBe(true);
    expect((await c.request('ECHO /queen/ctl {"spawn":"heartbeat","ticks":0}')).ok).toBe(true);
    const id = (await c.request("LS /worker")).lines.at(-1) ?? "";
    c.close();
    expect(id).toMatch(/^worker-\d+$/);
    const ticket = manifestTicket("worker-heartbeat", id);
    const boot = await diod("diodcat", ["-s", server, "-t", "20", "-a", ticket, "proc/boot"]);
    expect(boot.code, boot.stderr).toBe(0);
    expect(boot.stdout).toContain("Cohesix boot");
    const ctl = await diod("diodcat", ["-s", server, "-t", "20", "-a", ticket, "queen/ctl"]);
    expect(ctl.code).not.toBe(0);
    expect(ctl.stdout).toBe("");
    expect(ctl.stderr).toMatch(/Permission denied|Operation not permitted/);
  });
});
