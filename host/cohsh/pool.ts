// `pool bench k=v…`: append records through several console sessions at once and check that
// every one of them landed. Prints the original's result lines; the figures are informational.

import { MANIFEST } from "../generated/manifest.js";
import type { Reply } from "../sdk/console/grammar.js";
import { Session } from "../sdk/console/session.js";
import type { Connector } from "../sdk/pipe.js";

export interface PoolOptions {
  path: string;
  ops: number;
  batch: number;
  /** Text each record carries after its tag (`payload=`); padded with x to payloadBytes. */
  payload: string;
  payloadBytes: number;
  /** Pause before each pooled append (`delay_ms=`). */
  delayMs: number;
  injectFailures: number;
  /** Size of each injected record (`inject_bytes=`): must exceed console.echo_max to be refused. */
  injectBytes: number;
  exhaust: boolean;
  kind: "control" | "telemetry";
}

// Sessions per pool kind (the original's client policy: 2 control, 4 telemetry); hand constant
// until the manifest carries cohsh.pool.* (--pool-control-sessions / --pool-telemetry-sessions).
export const POOL_SESSIONS = { control: 2, telemetry: 4 } as const;
export const POOL_DELAY_MAX_MS = 1000;

const KEYS = ["path", "ops", "batch", "payload", "payload_bytes", "inject_failures", "inject_bytes", "exhaust", "kind", "delay_ms"];

export function parsePoolArgs(words: string[]): PoolOptions | string {
  const o: PoolOptions = { path: "/log/queen.log", ops: 64, batch: 8, payload: "", payloadBytes: 16, delayMs: 0, injectFailures: 0, injectBytes: MANIFEST.console.echo_max + 1, exhaust: false, kind: "control" };
  const seen = new Set<string>();
  for (const w of words) {
    const i = w.indexOf("=");
    if (i <= 0) return `expected key=value, got '${w}'`;
    const k = w.slice(0, i);
    const v = w.slice(i + 1);
    if (!KEYS.includes(k)) return `unknown key '${k}' (allowed: ${KEYS.join(", ")})`;
    if (seen.has(k)) return `key '${k}' given twice`;
    seen.add(k);
    const n = Number(v);
    const int = /^\d{1,6}$/.test(v);
    if (k === "path") o.path = v;
    else if (k === "kind") {
      if (v !== "control" && v !== "telemetry") return "kind must be control or telemetry";
      o.kind = v;
    } else if (k === "payload") {
      if (!/^[A-Za-z0-9._:-]{1,64}$/.test(v)) return "payload must be 1-64 characters of [A-Za-z0-9._:-]";
      o.payload = v;
    } else if (!int) return `${k} must be a whole number, got '${v}'`;
    else if (k === "ops") o.ops = n;
    else if (k === "batch") o.batch = n;
    else if (k === "payload_bytes") o.payloadBytes = n;
    else if (k === "inject_failures") o.injectFailures = n;
    else if (k === "inject_bytes") o.injectBytes = n;
    else if (k === "delay_ms") o.delayMs = n;
    else if (k === "exhaust") o.exhaust = n !== 0;
  }
  if (o.ops < 1 || o.ops > MANIFEST.console.log_lines) return `ops must be 1..${MANIFEST.console.log_lines} (what one TAIL can observe)`;
  if (o.batch < 1 || o.batch > 64) return "batch must be 1..64";
  if (o.payloadBytes < 12 || o.payloadBytes > MANIFEST.console.echo_max) return `payload_bytes must be 12..${MANIFEST.console.echo_max}`;
  if (o.payload && 17 + o.payload.length > o.payloadBytes && seen.has("payload_bytes")) return `payload '${o.payload}' does not fit payload_bytes=${o.payloadBytes} with its ${17}-byte tag`;
  if (o.payload && 17 + o.payload.length > MANIFEST.console.echo_max) return `payload '${o.payload}' with its tag exceeds console.echo_max (${MANIFEST.console.echo_max})`;
  // An injected failure is a record the guest must refuse: longer than echo_max, within one line.
  const injectMax = MANIFEST.console.line_max - 6 - o.path.length;
  if (o.injectBytes <= MANIFEST.console.echo_max || o.injectBytes > injectMax) return `inject_bytes must be ${MANIFEST.console.echo_max + 1}..${injectMax} (past console.echo_max, so the guest refuses it; within console.line_max)`;
  if (o.delayMs > POOL_DELAY_MAX_MS) return `delay_ms must be 0..${POOL_DELAY_MAX_MS}`;
  return o;
}

function record(tag: string, i: number, bytes: number, payload: string): string {
  const head = `${tag}-${String(i).padStart(4, "0")}${payload ? "-" + payload : ""}`;
  return head + "x".repeat(Math.max(0, bytes - head.length));
}

async function open(connector: Connector, token: string, timeoutMs: number): Promise<Session> {
  const s = new Session({ connector, authToken: token, heartbeatMs: 0, timeoutMs, retry: { maxAttempts: 1, backoffMs: 0, ceilingMs: 0 } });
  const r = await s.attach("queen");
  if (!r.ok) throw new Error(r.ack);
  return s;
}

/** Runs the bench; returns the lines to print and whether every record was observed. */
export async function poolBench(o: PoolOptions, connector: Connector, token: string, timeoutMs: number, sessions: { control: number; telemetry: number } = POOL_SESSIONS): Promise<{ lines: string[]; ok: boolean }> {
  const lines = [`pool bench limits msize=${MANIFEST.console.frame_max} max_payload=${MANIFEST.console.echo_max} batch=${o.batch} kind=${o.kind}`];
  const tag = `pb${Date.now().toString(36)}`;
  // Baseline: one session, one record at a time.
  const base = await open(connector, token, timeoutMs);
  let t0 = Date.now();
  for (let i = 0; i < o.ops; i++) await base.request(`ECHO ${o.path} ${record(tag + "b", i, o.payloadBytes, o.payload)}`);
  const baseMs = Date.now() - t0;
  lines.push(`pool bench baseline ops=${o.ops} elapsed_ms=${baseMs} ops_per_s=${Math.round((o.ops * 1000) / Math.max(1, baseMs))}`);
  base.close();

  // The shell's own session holds one of the guest's console.max_sessions slots.
  const n = Math.max(1, Math.min(sessions[o.kind], MANIFEST.console.max_sessions - 1));
  const pool: Session[] = [];
  for (let i = 0; i < n; i++) pool.push(await open(connector, token, timeoutMs));
  let exhausted = 0;
  if (o.exhaust) {
    // One session past what the guest admits is refused (busy), and the pool carries on.
    const extra: Session[] = [];
    try {
      for (let i = n; i < MANIFEST.console.max_sessions + 1; i++) extra.push(await open(connector, token, timeoutMs));
    } catch {
      exhausted++;
    }
    for (const s of extra) s.close();
  }
  let failures = 0;
  let retries = 0;
  const injected = new Set<number>();
  for (let i = 0; i < Math.min(o.injectFailures, o.ops); i++) injected.add(Math.floor((i * o.ops) / Math.max(1, o.injectFailures)));
  t0 = Date.now();
  for (let start = 0; start < o.ops; start += o.batch) {
    const jobs: Promise<void>[] = [];
    for (let i = start; i < Math.min(o.ops, start + o.batch); i++) {
      const s = pool[i % pool.length];
      jobs.push(
        (async () => {
          let r: Reply;
          if (injected.has(i)) {
            // An injected failure: an over-long record the guest must refuse; then the real one.
            r = await s.request(`ECHO ${o.path} ${"y".repeat(o.injectBytes)}`);
            if (!r.ok) retries++;
          }
          if (o.delayMs > 0) await new Promise((res) => setTimeout(res, o.delayMs));
          r = await s.request(`ECHO ${o.path} ${record(tag + "p", i, o.payloadBytes, o.payload)}`);
          if (!r.ok) failures++;
        })(),
      );
    }
    await Promise.all(jobs);
  }
  const poolMs = Date.now() - t0;
  lines.push(`pool bench pooled ops=${o.ops} sessions=${n} elapsed_ms=${poolMs} ops_per_s=${Math.round((o.ops * 1000) / Math.max(1, poolMs))}`);
  const seen = await pool[0].request(`TAIL ${o.path}`);
  const observed = seen.lines.filter((l) => l.startsWith(tag + "p-")).length;
  for (const s of pool) s.close();
  const ok = failures === 0 && observed === o.ops;
  lines.push(`pool bench result ${ok ? "OK" : "ERR"} retries=${retries} pool_exhausted=${exhausted} failures=${failures} expected=${o.ops} observed=${observed}`);
  return { lines, ok };
}
