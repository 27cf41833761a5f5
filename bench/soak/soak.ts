// The soak (issue 10): N clients for a given time against one guest, over the console and 9P,
// with queen and worker tickets, mixing reads, lists, appends, spawns/kills and telemetry
// ingest carrying sequence numbers. Each client's ingest stream is read back segment by segment
// and checked: every acknowledged record present once, in order (lost / duplicated / reordered
// must all be 0). It stops itself at the deadline and reports ops, memory high-water and those
// counts. The guest is whatever `connect` reaches: the mock or QEMU (bench/soak/run.ts).

import { ConsoleClient } from "../../host/sdk/console/client.js";
import type { BytePipe } from "../../host/sdk/pipe.js";
import { MANIFEST } from "../../host/generated/manifest.js";
import { O_APPEND, O_RDONLY, O_WRONLY, P9Client, P9Error } from "../../host/sdk/p9/client.js";
import { mintTicket } from "../../host/sdk/ticket/index.js";

export interface SoakOptions {
  /** Dials the guest's console port (console and 9P share it). Clients must fit max_sessions. */
  connect: () => Promise<BytePipe>;
  durationMs: number;
  clients: number;
  seed: number;
  /** Wall-clock ms for minting tickets (the guest checks expiry against it). */
  wallMs?: () => bigint;
}

export interface SoakReport {
  duration_ms: number;
  clients: number;
  seed: number;
  ops: Record<string, number>;
  ops_total: number;
  refused_busy: number;
  errors: string[];
  records_acked: number;
  records_lost: number;
  records_duplicated: number;
  records_reordered: number;
  memory_high_water_pages: number;
  memory_high_water_bytes: number;
  memory_pages_end: number;
}

/** Segments are checked and rotated before they reach this size (max_bytes_per_segment 32 KiB). */
const ROTATE_BYTES = MANIFEST.telemetry_ingest.max_bytes_per_segment - 2048;

function ticket(role: keyof typeof MANIFEST.tickets, subject: string | undefined, now: bigint): string {
  const r = mintTicket({ role, subject, secret: MANIFEST.tickets[role], nowMs: now });
  if (!r.ok) throw new Error(r.error.message);
  return r.value.token;
}

function rng(seed: number): (n: number) => number {
  let s = seed >>> 0 || 1;
  return (n) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
}

class Tally {
  ops: Record<string, number> = {};
  busy = 0;
  errors: string[] = [];
  count(op: string): void {
    this.ops[op] = (this.ops[op] ?? 0) + 1;
  }
  error(what: string): void {
    if (this.errors.length < 20) this.errors.push(what);
  }
}

/** Checks that `lines` hold exactly `expected` sequence numbers, once each, in order. */
export function checkSequence(lines: string[], expected: number[], tag: string): { lost: number; duplicated: number; reordered: number } {
  const got: number[] = [];
  for (const l of lines) {
    const m = new RegExp(`^${tag} seq=(\\d+)(?: |$)`).exec(l);
    if (m) got.push(Number(m[1]));
  }
  const want = new Set(expected);
  const seen = new Map<number, number>();
  for (const g of got) seen.set(g, (seen.get(g) ?? 0) + 1);
  let lost = 0;
  let duplicated = 0;
  let reordered = 0;
  for (const e of expected) if (!seen.has(e)) lost++;
  for (const [g, n] of seen) if (n > 1 && want.has(g)) duplicated += n - 1;
  for (let i = 1; i < got.length; i++) if (got[i] < got[i - 1]) reordered++;
  return { lost, duplicated, reordered };
}

async function console9(connect: () => Promise<BytePipe>): Promise<ConsoleClient> {
  const c = new ConsoleClient(await connect());
  const a = await c.request(`AUTH ${MANIFEST.console.auth_token}`, 20_000);
  if (!a.ok) throw new Error(a.ack);
  const r = await c.request("ATTACH queen", 20_000);
  if (!r.ok) throw new Error(r.ack);
  return c;
}

async function p9(connect: () => Promise<BytePipe>, role: keyof typeof MANIFEST.tickets, subject: string | undefined, now: bigint): Promise<{ c: P9Client; root: number }> {
  const c = new P9Client(await connect(), 20_000);
  await c.negotiate(8192);
  const { fid } = await c.attach(role, ticket(role, subject, now));
  return { c, root: fid };
}

/** What one client speaks: client i is kinds[i % 3]. Every session holds one max_sessions slot. */
const KINDS = ["console-queen", "9p-queen", "9p-worker"] as const;
type Kind = (typeof KINDS)[number];

/** A sequence-numbered ingest stream into one device, checked segment by segment. */
class Stream {
  seg = 0;
  bytes = 0;
  seqs: number[] = [];
  seq = 0;
  constructor(readonly dev: string, readonly tag: string) {}
  get path(): string {
    return `/queen/telemetry/${this.dev}/seg/seg-${String(this.seg).padStart(6, "0")}`;
  }
  record(rnd: (n: number) => number, max: number): string {
    return `${this.tag} seq=${this.seq} ${"x".repeat(rnd(max))}`;
  }
  acked(rec: string, acked: { n: number }): void {
    this.seqs.push(this.seq++);
    this.bytes += Buffer.byteLength(rec) + 1;
    acked.n++;
  }
  check(lines: string[], checks: { lost: number; duplicated: number; reordered: number }): void {
    const r = checkSequence(lines, this.seqs, this.tag);
    if (process.env.SOAK_DEBUG && r.lost + r.duplicated + r.reordered > 0) console.error(this.tag, this.path, r, this.seqs.length, lines.length, lines.slice(0, 3), lines.slice(-2));
    checks.lost += r.lost;
    checks.duplicated += r.duplicated;
    checks.reordered += r.reordered;
  }
}

interface Ctx {
  o: SoakOptions;
  deadline: number;
  t: Tally;
  acked: { n: number };
  checks: { lost: number; duplicated: number; reordered: number };
  now: () => bigint;
}

/** Spawns a heartbeat worker and returns its id (the one name LS shows now and did not before), or null. */
async function spawnOne(con: ConsoleClient): Promise<string | null> {
  const before = new Set((await con.request("LS /worker", 20_000)).lines);
  const r = await con.request('ECHO /queen/ctl {"spawn":"heartbeat","ticks":0}', 20_000);
  if (!r.ok) return null;
  return (await con.request("LS /worker", 20_000)).lines.find((l) => !before.has(l)) ?? null;
}

async function retrying<T>(fn: () => Promise<T>): Promise<T> {
  const until = Date.now() + 20_000;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** A queen on the console: reads, lists, echoes, spawns/kills, ingest by ECHO into its own device. */
async function consoleQueen(i: number, x: Ctx): Promise<void> {
  const rnd = rng(x.o.seed * 7919 + i);
  const con = await retrying(() => console9(x.o.connect));
  const req = async (line: string): Promise<boolean> => {
    const r = await con.request(line, 20_000);
    if (r.ok) return true;
    if (/reason=busy/.test(r.ack)) x.t.busy++;
    else x.t.error(`${line.slice(0, 40)}: ${r.ack}`);
    return false;
  };
  const st = new Stream(`soak-${i}`, `soak-${i}`);
  const rotate = async (): Promise<void> => {
    if (st.seg > 0) {
      st.check((await con.request(`CAT ${st.path}`, 20_000)).lines, x.checks);
      x.t.count("verify");
    }
    if (!(await req(`ECHO /queen/telemetry/${st.dev}/ctl {"new":"segment","mime":"text/plain"}`))) throw new Error("cannot create a segment");
    st.seg++;
    st.bytes = 0;
    st.seqs = [];
  };
  await rotate();
  const spawned: string[] = [];
  try {
    while (Date.now() < x.deadline) {
      const op = rnd(8);
      if (op <= 2) {
        for (let k = 0; k < 8; k++) {
          const rec = st.record(rnd, 80); // echo_max 128 bounds a console record
          if (await req(`ECHO ${st.path} ${rec}`)) st.acked(rec, x.acked);
          x.t.count("ingest");
        }
        if (st.bytes >= ROTATE_BYTES / 4) await rotate(); // console CATs stay small
      } else if (op === 3) {
        await req(rnd(2) === 0 ? "CAT /proc/boot" : "LS /proc");
        x.t.count("console-read");
      } else if (op === 4) {
        await req(`ECHO /log/queen.log soak-${i} echo=${st.seq}`);
        x.t.count("console-append");
      } else if (op === 5 && i === 0) {
        // Spawns and kills come from client 0 alone, so the new worker is the one LS did not list before.
        if (spawned.length < 4 && rnd(2) === 0) {
          const id = await spawnOne(con);
          if (id) {
            spawned.push(id);
            x.t.count("spawn");
          } else x.t.busy++;
        } else if (spawned.length > 0) {
          await req(`KILL ${spawned.shift() as string}`);
          x.t.count("kill");
        }
      } else if (op === 6) {
        await req("TAIL /log/queen.log");
        x.t.count("console-tail");
      } else {
        await req("CAT /proc/memory");
        x.t.count("console-memory");
      }
    }
    st.check((await con.request(`CAT ${st.path}`, 20_000)).lines, x.checks);
    x.t.count("verify");
  } finally {
    for (const id of spawned) await con.request(`KILL ${id}`, 20_000).catch(() => undefined);
    con.close();
    await con.whenClosed();
  }
}

/** A queen over 9P: ingest with sequence numbers (one Twrite per record), reads and listings. */
async function nineQueen(i: number, x: Ctx): Promise<void> {
  const rnd = rng(x.o.seed * 7919 + i);
  // Its device is created through its own session: the queen's 9P write to the device's ctl.
  const q = await retrying(() => p9(x.o.connect, "queen", undefined, x.now()));
  const st = new Stream(`soak-${i}`, `soak-${i}`);
  const rotate = async (): Promise<void> => {
    if (st.seg > 0) {
      st.check((await q.c.cat(q.root, st.path)).split("\n"), x.checks);
      x.t.count("verify");
    }
    await q.c.append(q.root, `/queen/telemetry/${st.dev}/ctl`, '{"new":"segment","mime":"text/plain"}\n');
    st.seg++;
    st.bytes = 0;
    st.seqs = [];
  };
  await rotate();
  try {
    while (Date.now() < x.deadline) {
      const op = rnd(6);
      try {
        if (op <= 2) {
          if (st.bytes + 8 * 450 > MANIFEST.telemetry_ingest.max_bytes_per_segment) await rotate();
          const { fid } = await q.c.walkPath(q.root, st.path);
          await q.c.open(fid, O_WRONLY | O_APPEND);
          for (let k = 0; k < 8; k++) {
            const rec = st.record(rnd, 400);
            await q.c.write(fid, 0xffffffffffffffffn, rec + "\n");
            st.acked(rec, x.acked);
            x.t.count("ingest");
          }
          await q.c.clunk(fid);
        } else if (op === 3) {
          await q.c.cat(q.root, "/proc/boot");
          x.t.count("9p-read");
        } else if (op === 4) {
          await q.c.ls(q.root, "/proc");
          x.t.count("9p-list");
        } else {
          await q.c.append(q.root, "/log/queen.log", `soak-${i} 9p=${st.seq}\n`);
          x.t.count("9p-append");
        }
      } catch (e) {
        if (e instanceof P9Error && e.errno === 11) x.t.busy++;
        else throw e;
      }
    }
    st.check((await q.c.cat(q.root, st.path)).split("\n"), x.checks);
    x.t.count("verify");
  } finally {
    q.c.end();
  }
}

/** A heartbeat worker over 9P with its own ticket: reads, and re-attaches when the ticket ends. */
async function nineWorker(i: number, x: Ctx, id: string): Promise<void> {
  const rnd = rng(x.o.seed * 7919 + i);
  let w = await retrying(() => p9(x.o.connect, "worker-heartbeat", id, x.now()));
  try {
    while (Date.now() < x.deadline) {
      try {
        if (rnd(2) === 0) await w.c.cat(w.root, "/proc/boot");
        else await w.c.ls(w.root, "/proc");
        x.t.count("9p-worker-read");
      } catch (e) {
        if (e instanceof P9Error && e.errno === 11) {
          x.t.busy++;
          continue;
        }
        // A worker ticket has a lifetime and an ops budget: when it ends, the worker does what a
        // real one does, mints a fresh ticket and attaches again.
        w.c.end();
        w = await retrying(() => p9(x.o.connect, "worker-heartbeat", id, x.now()));
        x.t.count("worker-reattach");
      }
    }
  } finally {
    w.c.end();
  }
}

async function highWater(connect: () => Promise<BytePipe>): Promise<{ high: number; pages: number }> {
  const c = await console9(connect);
  try {
    const r = await c.request("CAT /proc/memory", 20_000);
    const all = r.lines.join(" ");
    return { pages: Number(/pages=(\d+)/.exec(all)?.[1] ?? 0), high: Number(/high_water_pages=(\d+)/.exec(all)?.[1] ?? 0) };
  } finally {
    c.close();
  }
}

export async function soak(o: SoakOptions): Promise<SoakReport> {
  const t = new Tally();
  const acked = { n: 0 };
  const checks = { lost: 0, duplicated: 0, reordered: 0 };
  const now = o.wallMs ?? (() => BigInt(Date.now()));
  const kinds: Kind[] = Array.from({ length: o.clients }, (_, i) => KINDS[i % KINDS.length]);
  // Setup: one worker record per worker client, spawned by a setup session closed before the run.
  const setup = await console9(o.connect);
  const ids: string[] = [];
  for (const k of kinds) {
    if (k !== "9p-worker") continue;
    const id = await spawnOne(setup);
    if (!id) throw new Error("cannot spawn a worker for a worker client");
    ids.push(id);
  }
  setup.close();
  await setup.whenClosed();
  const started = Date.now();
  const x: Ctx = { o, deadline: started + o.durationMs, t, acked, checks, now };
  let w = 0;
  const results = await Promise.allSettled(
    kinds.map((k, i) => (k === "console-queen" ? consoleQueen(i, x) : k === "9p-queen" ? nineQueen(i, x) : nineWorker(i, x, ids[w++]))),
  );
  for (const r of results) if (r.status === "rejected") t.error(`client failed: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`);
  const mem = await retrying(() => highWater(o.connect));
  const total = Object.values(t.ops).reduce((a, b) => a + b, 0);
  return {
    duration_ms: Date.now() - started,
    clients: o.clients,
    seed: o.seed,
    ops: t.ops,
    ops_total: total,
    refused_busy: t.busy,
    errors: t.errors,
    records_acked: acked.n,
    records_lost: checks.lost,
    records_duplicated: checks.duplicated,
    records_reordered: checks.reordered,
    memory_high_water_pages: mem.high,
    memory_high_water_bytes: mem.high * 65536,
    memory_pages_end: mem.pages,
  };
}
