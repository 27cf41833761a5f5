// coh run --gpu ID -- CMD… (reference §2.2): the GPU's lease must be ACTIVE; a gpu-breadcrumb/v1
// START line goes to /gpu/<id>/status, the command runs with this terminal's stdio (SIGINT and
// SIGTERM forwarded to it), an EXIT line follows, and coh exits with the command's code.

import { spawn, type ChildProcess } from "node:child_process";
import { constants } from "node:os";
import { bound, CohError, policyString, type Ctx } from "./context.js";
import { clipError, procLease, RECEIPT_SCHEMA, writeReceipt } from "./receipt.js";

export interface Lease {
  schema: string;
  state: string;
  gpu_id: string;
  worker_id: string;
  mem_mb: number;
  streams: number;
  ttl_s: number;
  priority: number;
}

/** Checks the last non-empty lease line (the authoritative one). */
export function activeLease(ctx: Ctx, gpu: string, lines: string[]): Lease {
  const last = [...lines].reverse().find((l) => l.trim());
  if (!last) throw new CohError(`no active lease for gpu ${gpu}`);
  let l: Lease;
  try {
    l = JSON.parse(last) as Lease;
  } catch {
    throw new CohError(`lease line for gpu ${gpu} is not JSON`);
  }
  const schema = policyString(ctx.policy, "run", "lease_schema");
  if (l.schema !== schema) throw new CohError(`lease schema mismatch: expected ${schema} got ${String(l.schema)}`);
  if (l.state !== policyString(ctx.policy, "run", "lease_active_state")) throw new CohError(`no active lease for gpu ${gpu}`);
  if (l.gpu_id !== gpu) throw new CohError(`lease gpu_id mismatch: expected ${gpu} got ${String(l.gpu_id)}`);
  if (!(l.mem_mb >= 1 && l.streams >= 1 && l.ttl_s >= 1) || typeof l.worker_id !== "string" || !l.worker_id) throw new CohError(`lease for gpu ${gpu} is malformed`);
  return l;
}

/** Cuts `s` to at most `max` UTF-8 bytes without splitting a character. */
export function cutUtf8(s: string, max: number): string {
  if (Buffer.byteLength(s) <= max) return s;
  let out = "";
  for (const ch of s) {
    if (Buffer.byteLength(out + ch) > max) break;
    out += ch;
  }
  return out;
}

/** One breadcrumb line, its command cut so the whole line fits `lineMax` (and the command `cmdMax`). */
export function breadcrumb(schema: string, event: "START" | "EXIT", argv: string[], status: "RUNNING" | "OK" | "ERR", exitCode: number | undefined, lineMax: number, cmdMax: number): string {
  const make = (cmd: string): string =>
    JSON.stringify({ schema, event, command: cmd, status, ...(exitCode !== undefined ? { exit_code: exitCode } : {}) });
  let cmd = cutUtf8(argv.join(" "), cmdMax);
  while (Buffer.byteLength(make(cmd)) > lineMax && cmd.length > 0) cmd = cutUtf8(cmd, Buffer.byteLength(cmd) - 1);
  return make(cmd);
}

/**
 * Signals for the command: held from the start of the run (a signal before the command exists is
 * delivered to it as soon as it does) until coh has written the EXIT breadcrumb, so coh itself is
 * never stopped half way.
 */
class Relay {
  private child: ChildProcess | null = null;
  private pending: NodeJS.Signals[] = [];
  private readonly onInt = (): void => this.deliver("SIGINT");
  private readonly onTerm = (): void => this.deliver("SIGTERM");

  constructor() {
    process.on("SIGINT", this.onInt);
    process.on("SIGTERM", this.onTerm);
  }

  private deliver(s: NodeJS.Signals): void {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) this.child.kill(s);
    else if (!this.child) this.pending.push(s);
  }

  attach(c: ChildProcess): void {
    this.child = c;
    for (const s of this.pending.splice(0)) c.kill(s);
  }

  close(): void {
    process.off("SIGINT", this.onInt);
    process.off("SIGTERM", this.onTerm);
  }
}

function runChild(argv: string[], relay: Relay): Promise<{ code: number | null; signal: NodeJS.Signals | null; spawnError?: string }> {
  return new Promise((res) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: "inherit" });
    relay.attach(child);
    child.once("error", (e) => res({ code: null, signal: null, spawnError: e.message }));
    child.once("exit", (code, signal) => res({ code, signal }));
  });
}

/** Returns the exit code coh should end with. */
export async function run(ctx: Ctx, gpu: string, argv: string[], receiptOut?: string): Promise<number> {
  if (argv.length === 0) throw new CohError("run needs a command after --");
  const acks: string[] = [];
  let error: string | undefined;
  let exit = 1;
  const status = `/gpu/${gpu}/status`;
  const schema = policyString(ctx.policy, "run", "breadcrumb_schema");
  const ns = await ctx.ns();
  const lineMax = Math.min(bound(ctx.policy, "run", "breadcrumb_max_line_bytes"), ns.caps.maxRecord);
  const cmdMax = bound(ctx.policy, "run", "breadcrumb_max_command_bytes");
  const relay = new Relay();
  try {
    activeLease(ctx, gpu, await ctx.cat(`/gpu/${gpu}/lease`, bound(ctx.policy, "run", "lease_max_bytes")));
    acks.push(`OK CAT path=/gpu/${gpu}/lease`);
    acks.push(await ctx.echo(status, breadcrumb(schema, "START", argv, "RUNNING", undefined, lineMax, cmdMax)));
    const r = await runChild(argv, relay);
    const code = r.code ?? undefined;
    const ok = r.code === 0;
    acks.push(await ctx.echo(status, breadcrumb(schema, "EXIT", argv, ok ? "OK" : "ERR", code, lineMax, cmdMax)));
    if (r.spawnError) throw new CohError(`command failed to start: ${r.spawnError}`);
    if (r.signal) {
      exit = 128 + (constants.signals[r.signal] ?? 0);
      throw new CohError("command terminated by signal");
    }
    exit = r.code ?? 1;
    if (exit !== 0) throw new CohError(`command exited with code ${exit}`);
    return 0;
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
    const line = (e as { line?: string }).line;
    if (line) acks.push(line);
    (e as { exitCode?: number }).exitCode = exit;
    throw e;
  } finally {
    relay.close();
    if (receiptOut) {
      const receipt: Record<string, unknown> = { schema: RECEIPT_SCHEMA, kind: "run", manifest_sha256: ctx.manifestSha256, gpu_id: gpu, command: argv, status: error ? "err" : "ok" };
      if (error) receipt.error = clipError(error);
      receipt.acks = acks;
      const p = await procLease(ctx, false).catch(() => null);
      receipt.proc_lease = p ? { summary: p.summary, active: p.active, preemptions: p.preemptions } : null;
      writeReceipt(receiptOut, receipt);
    }
  }
}
