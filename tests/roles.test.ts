// Roles and tickets: ATTACH with tickets, and the full role x path x operation matrix of the role
// views (reference §3.3), written out independently of the implementation and run over both
// surfaces (console verbs and Secure9P), which share one session policy (ninedoor/session.ts).

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ConsoleClient } from "../host/sdk/console/client.js";
import { MANIFEST } from "../host/generated/manifest.js";
import { Guest } from "../host/runtime/guest.js";
import { mintTicket, signTicket, type TicketClaims } from "../host/sdk/ticket/index.js";
import { O_APPEND, O_RDONLY, O_WRONLY, P9Error, type P9Client } from "../host/sdk/p9/client.js";
import { authed, queen } from "./helpers/console.js";
import { nineSession } from "./helpers/p9.js";
import { manifestTicket } from "./helpers/tickets.js";

let guest: Guest;
let q: ConsoleClient;
let wall = 1_800_000_000_000n;

beforeEach(async () => {
  wall = 1_800_000_000_000n;
  guest = await Guest.start({ manualClock: true, wallMs: () => wall });
  q = await queen(guest);
  // worker-1 (heartbeat, shard 13) and worker-2 (gpu, shard 1c)
  expect((await q.request('ECHO /queen/ctl {"spawn":"heartbeat","ticks":0}')).ok).toBe(true);
  expect((await q.request('ECHO /queen/ctl {"spawn":"gpu","lease":{"gpu_id":"GPU-0","mem_mb":1,"streams":1,"ttl_s":3600}}')).ok).toBe(true);
});
afterEach(async () => {
  await guest.stop();
});

function ticket(role: keyof typeof MANIFEST.tickets, subject?: string): string {
  return manifestTicket(role, subject, wall);
}

/** A ticket whose ops budget outlasts the matrix (the minted defaults give a GPU worker 64 requests). */
function matrixTicket(role: keyof typeof MANIFEST.tickets, subject?: string): string {
  const s = signTicket({ role, subject, issuedAtMs: wall, mounts: { service: "", at: "" }, ops: 1_000_000n, ttlS: 3600n }, MANIFEST.tickets[role]);
  if (!s.ok) throw new Error(s.error.message);
  return s.value;
}

async function as(role: keyof typeof MANIFEST.tickets, subject?: string): Promise<ConsoleClient> {
  const c = await authed(guest);
  const r = await c.request(`ATTACH ${role} ${ticket(role, subject)}`);
  expect(r.ack).toBe(`OK ATTACH role=${role}`);
  return c;
}

describe("ATTACH with tickets", () => {
  it("a worker attaches with a ticket naming its own record", async () => {
    await as("worker-heartbeat", "worker-1");
    await as("worker-gpu", "worker-2");
    const log = (await q.request("LOG")).lines.join("\n");
    expect(log).toMatch(/console attach outcome=allow role=worker-heartbeat subject=worker-1 ticket=[0-9a-f]{16}/);
    expect(log).not.toContain("cohesix-ticket-"); // the audit log never holds a raw ticket
  });

  it("refusals: no ticket, wrong role's ticket, unknown or wrong-kind worker, tampered MAC, expired", async () => {
    const c = await authed(guest);
    const tryAttach = async (line: string): Promise<string> => {
      guest.advance(70_000); // past any back-off
      return (await c.request(line)).ack;
    };
    expect(await tryAttach("ATTACH worker-heartbeat")).toBe('ERR ATTACH reason=policy detail=ticket-required hint="cohsh --mint-ticket --role <role> --ticket-subject <id>"');
    expect(await tryAttach(`ATTACH worker-heartbeat ${ticket("worker-gpu", "worker-1")}`)).toBe("ERR ATTACH reason=policy detail=role-mismatch");
    expect(await tryAttach(`ATTACH worker-heartbeat ${ticket("worker-heartbeat", "worker-9")}`)).toBe("ERR ATTACH reason=policy detail=unknown-subject");
    expect(await tryAttach(`ATTACH worker-heartbeat ${ticket("worker-heartbeat", "worker-2")}`)).toBe("ERR ATTACH reason=policy detail=unknown-subject");
    const t = ticket("worker-heartbeat", "worker-1");
    const flipped = t.slice(0, -1) + (t.endsWith("0") ? "1" : "0");
    expect(await tryAttach(`ATTACH worker-heartbeat ${flipped}`)).toBe("ERR ATTACH reason=policy detail=bad-mac");
    expect(await tryAttach("ATTACH queen cohesix-ticket-zz.00")).toBe("ERR ATTACH reason=policy detail=invalid-claims");
    const old = ticket("worker-heartbeat", "worker-1"); // ttl 300 s from `wall`
    wall += 300_000n;
    expect(await tryAttach(`ATTACH worker-heartbeat ${old}`)).toBe("ERR ATTACH reason=quota detail=expired");
  });

  it("the original's fixture tickets: the expired queen ticket is refused as expired", async () => {
    const c = await authed(guest);
    const expired = "cohesix-ticket-0100040000000000000000000000000000000000000000.e9b8bc4e26e2f06725347bdd8983fb3efc170658fc6af53cabb746bef58deddb";
    expect((await c.request(`ATTACH queen ${expired}`)).ack).toBe("ERR ATTACH reason=quota detail=expired");
  });

  it("worker attach is gated by the lifecycle", async () => {
    expect((await q.request("ECHO /queen/lifecycle/ctl reset")).ack).toContain("outstanding-leases");
    await q.request('ECHO /queen/ctl {"kill":"worker-2"}');
    await q.request("ECHO /queen/lifecycle/ctl cordon");
    await as("worker-heartbeat", "worker-1"); // DRAINING still admits workers
    await q.request('ECHO /queen/ctl {"kill":"worker-1"}');
    await q.request("ECHO /queen/lifecycle/ctl drain");
    const c = await authed(guest);
    expect((await c.request(`ATTACH worker-bus ${ticket("worker-bus", "modbus-main")}`)).ack).toBe(
      "ERR ATTACH reason=policy detail=lifecycle-denied state=QUIESCED",
    );
  });
});

describe("scoped queen ticket (the original's telemetry_ring.coh)", () => {
  it("scopes allow by longest prefix and verb; a 1/s scope rate answers ELIMIT the second time", async () => {
    const claims: TicketClaims = {
      role: "queen",
      issuedAtMs: wall,
      mounts: { service: "", at: "" },
      scopes: [
        { path: "/log", verb: "read", ratePerS: 1 },
        { path: "/queen", verb: "write", ratePerS: 0 },
        { path: "/shard", verb: "write", ratePerS: 0 },
      ],
    };
    const signed = signTicket(claims, MANIFEST.tickets.queen);
    if (!signed.ok) throw new Error(signed.error.message);
    const c = await authed(guest);
    expect((await c.request(`ATTACH queen ${signed.value}`)).ack).toBe("OK ATTACH role=queen");
    expect((await c.request("ECHO /log/queen.log x")).ack).toBe("ERR ECHO reason=policy path=/log/queen.log error=EPERM");
    expect((await c.request("CAT /log/queen.log")).ok).toBe(true);
    expect((await c.request("CAT /log/queen.log")).ack).toBe("ERR CAT reason=quota path=/log/queen.log error=ELIMIT");
    guest.advance(1000);
    expect((await c.request("CAT /log/queen.log")).ok).toBe(true);
    expect((await c.request("ECHO /shard/13/worker/worker-1/telemetry t")).ok).toBe(true);
    expect((await c.request("CAT /shard/13/worker/worker-1/telemetry")).ack).toBe("ERR CAT reason=policy path=/shard/13/worker/worker-1/telemetry error=EPERM");
    expect((await c.request("CAT /proc/boot")).ack).toBe("ERR CAT reason=policy path=/proc/boot error=EPERM");
    const log = (await q.request("LOG")).lines;
    expect(log.some((l) => /^ui-ticket outcome=deny reason=rate role=queen ticket=[0-9a-f]{16} path=\/log\/queen.log verb=read$/.test(l))).toBe(true);
    expect(log.some((l) => l.includes("ui-ticket outcome=deny reason=scope") && l.includes("verb=write"))).toBe(true);
  });
});

describe("ticket quotas (UI tickets: those with scopes or quotas)", () => {
  async function withQuotas(bandwidthBytes: bigint, cursorAdvances: number): Promise<ConsoleClient> {
    const claims: TicketClaims = {
      role: "queen",
      issuedAtMs: wall,
      mounts: { service: "", at: "" },
      quotas: { bandwidthBytes, cursorResumes: 0, cursorAdvances },
    };
    const signed = signTicket(claims, MANIFEST.tickets.queen);
    if (!signed.ok) throw new Error(signed.error.message);
    const c = await authed(guest);
    expect((await c.request(`ATTACH queen ${signed.value}`)).ack).toBe("OK ATTACH role=queen");
    return c;
  }

  it("bandwidth: reads are charged by bytes; the read that would pass the quota is refused whole", async () => {
    const boot = (await q.request("CAT /proc/boot")).lines;
    const size = boot.reduce((a, l) => a + Buffer.byteLength(l) + 1, 0);
    const c = await withQuotas(BigInt(size * 2), 0);
    expect((await c.request("CAT /proc/boot")).ok).toBe(true);
    expect((await c.request("CAT /proc/boot")).ok).toBe(true); // exactly at the quota
    expect((await c.request("CAT /proc/boot")).ack).toBe("ERR CAT reason=quota path=/proc/boot error=ELIMIT");
    expect((await q.request("LOG")).lines.some((l) => l.startsWith("ui-ticket outcome=deny reason=bandwidth role=queen"))).toBe(true);
  });

  it("cursor advances: each telemetry read uses one", async () => {
    const c = await withQuotas(0n, 1);
    expect((await c.request("CAT /worker/worker-1/telemetry")).ok).toBe(true);
    expect((await c.request("CAT /worker/worker-1/telemetry")).ack).toBe("ERR CAT reason=quota path=/worker/worker-1/telemetry error=ELIMIT");
    expect((await c.request("CAT /proc/boot")).ok).toBe(true); // other paths are not cursors
    expect((await q.request("LOG")).lines.some((l) => l.startsWith("ui-ticket outcome=deny reason=cursor-advance"))).toBe(true);
  });

  it("a plain ticket (no scopes, no quotas) is not metered", async () => {
    const c = await as("worker-heartbeat", "worker-1");
    for (let i = 0; i < 300; i++) expect((await c.request("CAT /worker/worker-1/telemetry")).ok).toBe(true);
  });
});

// ---- the matrix ---------------------------------------------------------------------------

type Op = "read" | "write" | "list";
const PATHS = [
  "/",
  "/proc",
  "/proc/boot",
  "/proc/lifecycle/state",
  "/log",
  "/log/queen.log",
  "/queen",
  "/queen/ctl",
  "/queen/lifecycle/ctl",
  "/shard",
  "/shard/13/worker",
  "/shard/13/worker/worker-1/telemetry",
  "/shard/1c/worker/worker-2/telemetry",
  "/worker",
  "/worker/worker-1/telemetry",
  "/worker/worker-2/telemetry",
  // governance: queen-only, whatever the file
  "/queen/schedule/ctl",
  "/queen/lease/ctl",
  "/queen/export/ctl",
  "/queen/export/status",
  "/proc/schedule/queue",
  "/proc/lease/active",
  "/policy",
  "/policy/ctl",
  "/policy/rules",
  "/policy/revisions",
  "/policy/preflight/req",
  "/policy/preflight/diff.cbor",
  "/actions/queue",
  "/audit/journal",
  "/audit/decisions",
  "/audit/export",
  "/replay/ctl",
  "/replay/status",
  "/trace/ctl",
  "/trace/events",
  "/trace/status",
  "/kmesg",
  // /gpu (providers/gpu.ts): worker-2 leases GPU-0, so worker-gpu sees GPU-0's files and no other
  "/gpu",
  "/gpu/GPU-0/info",
  "/gpu/GPU-0/ctl",
  "/gpu/GPU-0/lease",
  "/gpu/GPU-0/status",
  "/gpu/GPU-1/info",
  "/gpu/GPU-1/status",
  "/gpu/bridge/ctl",
  "/gpu/bridge/status",
];

/** The expected answer, from reference §3.3 (not from the implementation). */
const READ_ONLY = [
  "/proc/boot",
  "/proc/lifecycle/state",
  "/queen/export/status",
  "/proc/schedule/queue",
  "/proc/lease/active",
  "/policy/rules",
  "/policy/revisions",
  "/policy/preflight/req",
  "/policy/preflight/diff.cbor",
  "/audit/journal",
  "/audit/decisions",
  "/audit/export",
  "/replay/status",
  "/trace/events",
  "/trace/status",
  "/kmesg",
  "/gpu/GPU-0/info",
  "/gpu/GPU-0/lease",
  "/gpu/GPU-1/info",
  "/gpu/bridge/status",
];

/** worker-gpu's own GPU (the one worker-2's lease names): read all of it, append to ctl and status. */
const GPU_OWN_READ = ["/gpu/GPU-0/info", "/gpu/GPU-0/ctl", "/gpu/GPU-0/lease", "/gpu/GPU-0/status"];
const GPU_OWN_WRITE = ["/gpu/GPU-0/ctl", "/gpu/GPU-0/status"];

function expected(role: string, path: string, op: Op): boolean {
  if (op === "write" && READ_ONLY.includes(path)) return false; // the file's mode, for every role
  if (role === "queen") return true;
  const own = role === "worker-heartbeat" ? "worker-1" : role === "worker-gpu" ? "worker-2" : null;
  if (own) {
    const ownPaths = role === "worker-heartbeat" ? ["/shard/13/worker/worker-1/telemetry", "/worker/worker-1/telemetry"] : ["/shard/1c/worker/worker-2/telemetry", "/worker/worker-2/telemetry"];
    const gpuRead = role === "worker-gpu" ? GPU_OWN_READ : [];
    const gpuWrite = role === "worker-gpu" ? GPU_OWN_WRITE : [];
    if (op === "write") return ownPaths.includes(path) || gpuWrite.includes(path);
    if (op === "list") return path === "/proc" || path === "/log";
    return path === "/proc/boot" || path === "/log/queen.log" || ownPaths.includes(path) || gpuRead.includes(path);
  }
  // worker-bus / worker-lora: the boot text and the log, and their own sidecar scope (absent here)
  if (op === "read") return path === "/proc/boot" || path === "/log/queen.log";
  return false;
}

/**
 * What the console answered: allowed (OK, or an error that is not a permission refusal, such as
 * `is a directory`), or denied (EPERM from the role view or the file's mode).
 */
async function attempt(c: ConsoleClient, path: string, op: Op): Promise<boolean> {
  const line = op === "read" ? `CAT ${path}` : op === "list" ? `LS ${path}` : `ECHO ${path} matrix`;
  const r = await c.request(line);
  if (r.ok) return true;
  return !r.ack.includes("error=EPERM");
}

const subjects: Record<string, string> = { "worker-heartbeat": "worker-1", "worker-gpu": "worker-2", "worker-bus": "modbus-main", "worker-lora": "lora-main" };

describe("role x path x operation matrix (console)", () => {
  for (const role of ["queen", "worker-heartbeat", "worker-gpu", "worker-bus", "worker-lora"] as const) {
    it(`${role}: every cell`, async () => {
      let c = q;
      if (role !== "queen") {
        c = await authed(guest);
        expect((await c.request(`ATTACH ${role} ${matrixTicket(role, subjects[role])}`)).ok).toBe(true);
      }
      const cells: string[] = [];
      for (const path of PATHS) {
        for (const op of ["read", "list", "write"] as const) {
          // Writes to the lifecycle ctl would change state under the other cells: check them last.
          if (op === "write" && path === "/queen/lifecycle/ctl") continue;
          const got = await attempt(c, path, op);
          if (got !== expected(role, path, op)) cells.push(`${op} ${path}: got ${got ? "allowed" : "denied"}`);
        }
      }
      expect(cells).toEqual([]);
      const lc = await attempt(c, "/queen/lifecycle/ctl", "write");
      expect(lc).toBe(role === "queen");
    });
  }
});

// ---- the same matrix over Secure9P ----------------------------------------------------------

/** The directories among PATHS: 9P lists them (Treaddir); files are read (Tread) and written (Twrite). */
const DIRS = ["/", "/proc", "/log", "/queen", "/shard", "/shard/13/worker", "/worker", "/policy", "/gpu"];

/**
 * What 9P answered: denied is EACCES (role view, scope, the file's mode or the policy gate,
 * at walk, open or write); any other outcome, including EINVAL for a payload a ctl file refuses
 * and EPERM (a lifecycle refusal over 9P),
 * is allowed. 9P has no "read a directory" or "list a file" (those are EISDIR/ENOTDIR by
 * protocol), so a directory is tried with list only and a file with read and write only.
 */
async function attempt9p(c: P9Client, root: number, path: string, op: Op): Promise<boolean> {
  let held: number | undefined; // the fid to clunk, whatever happens
  try {
    // One name per Twalk: a refused first name is answered with its errno, whereas a multi-name
    // walk that stops part way only says how far it got.
    let fid = (await c.walk(root, [])).fid;
    held = fid;
    for (const name of path.split("/").filter((n) => n.length > 0)) {
      const next = (await c.walk(fid, [name])).fid;
      await c.clunk(fid);
      fid = next;
      held = fid;
    }
    if (op === "list") {
      await c.open(fid, O_RDONLY);
      await c.readdir(fid);
    } else if (op === "read") {
      await c.open(fid, O_RDONLY);
      await c.read(fid, 0, 4096);
    } else {
      await c.open(fid, O_WRONLY | O_APPEND);
      await c.write(fid, 0xffffffffffffffffn, "matrix\n");
    }
    return true;
  } catch (e) {
    if (!(e instanceof P9Error)) throw e;
    return e.code !== "EACCES";
  } finally {
    if (held !== undefined) await c.clunk(held).catch(() => undefined);
  }
}

describe("role x path x operation matrix (Secure9P)", () => {
  for (const role of ["queen", "worker-heartbeat", "worker-gpu", "worker-bus", "worker-lora"] as const) {
    it(`${role}: every cell`, async () => {
      const { c, root } = await nineSession(guest, wall, role, role === "queen" ? undefined : subjects[role], matrixTicket(role, role === "queen" ? undefined : subjects[role]));
      const cells: string[] = [];
      let tried = 0;
      for (const path of PATHS) {
        const ops: Op[] = DIRS.includes(path) ? ["list"] : ["read", "write"];
        for (const op of ops) {
          if (op === "write" && path === "/queen/lifecycle/ctl") continue;
          tried++;
          const got = await attempt9p(c, root, path, op);
          if (got !== expected(role, path, op)) cells.push(`${op} ${path}: got ${got ? "allowed" : "denied"}`);
        }
      }
      expect(cells).toEqual([]);
      expect(tried).toBe(DIRS.length + (PATHS.length - DIRS.length) * 2 - 1);
      expect(await attempt9p(c, root, "/queen/lifecycle/ctl", "write")).toBe(role === "queen");
      c.end();
    });
  }
});
