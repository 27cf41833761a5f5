// One pass of host-ticket-agent over /host/tickets/spec (reference §2.6, v1): for each line after
// the cursor, claim it in the durable journal before anything runs, decide or execute, persist
// the exact receipt before publishing it, then mark it terminal and move the cursor. After a
// crash the journal says where each ticket was: work that began is never repeated (it becomes
// `failed replay-ambiguous…`), a receipt persisted but maybe not published is published unless
// it is already visible, and a terminal ticket is never run again.

import { MANIFEST } from "../generated/manifest.js";
import { NsRefusal, type NamespaceClient } from "../sdk/ns.js";
import { ExecError, type ExecContext, type Executor } from "./executors.js";
import type { Entry, Journal } from "./journal.js";
import { parseSpec, receiptLine, resultFile, TERMINAL, ticketKey, type TicketSpec, type TicketState } from "./schema.js";
import { validate, ValidationError } from "./validate.js";

export const MSG = {
  claimed: "claimed by durable compatibility executor",
  running: "compatibility executor starting",
  ambiguous: "replay-ambiguous: prior execution may have committed; execution not repeated",
  unverified: "replay-unverified: pre-journal terminal record retained; execution not repeated",
  conflict: "EPERM idempotency-conflict",
  stale: "EPERM stale-writer",
  expired: "ticket expired before execution",
  notAllowed: "ticket action is not in generated allowlist",
} as const;

export interface PassStats {
  seen: number;
  executed: number;
  succeeded: number;
  failed: number;
  expired: number;
  skipped_terminal: number;
  skipped_remote: number;
  conflicts: number;
  invalid: number;
}

export interface AgentOptions {
  ns: NamespaceClient;
  journal: Journal;
  mount?: string;
  localHive?: string;
  writerEpoch?: number;
  allowlist?: string[];
  executorFor: (action: string) => Executor | null;
  ctx: ExecContext;
  now?: () => number;
  log?: (line: string) => void;
  /** Fault injection for the crash tests: called at each journal state with its name. */
  crashPoint?: (state: string) => void;
}

const zero = (): PassStats => ({ seen: 0, executed: 0, succeeded: 0, failed: 0, expired: 0, skipped_terminal: 0, skipped_remote: 0, conflicts: 0, invalid: 0 });

export class Agent {
  readonly mount: string;
  private allow: Set<string>;
  private visible = new Map<string, Set<string>>();

  constructor(private o: AgentOptions) {
    this.mount = o.mount ?? MANIFEST.host.mount_at;
    this.allow = new Set(o.allowlist ?? MANIFEST.host.ticket_actions.split(","));
  }

  private point(s: string): void {
    this.o.crashPoint?.(s);
  }

  private async lines(path: string): Promise<Set<string>> {
    let v = this.visible.get(path);
    if (!v) {
      v = new Set(await this.o.ns.read(path));
      this.visible.set(path, v);
    }
    return v;
  }

  /** Appends unless (for inherited work) the identical line is already there. */
  private async publish(path: string, line: string, check: boolean): Promise<void> {
    if (check && (await this.lines(path)).has(line)) return;
    await this.o.ns.append(path, line);
    this.visible.get(path)?.add(line);
  }

  /** Terminal (id, key) pairs visible in status and deadletter (for tickets the journal never saw). */
  private async visibleTerminals(): Promise<Set<string>> {
    const out = new Set<string>();
    for (const f of ["status", "deadletter"]) {
      for (const l of await this.lines(`${this.mount}/tickets/${f}`)) {
        try {
          const r = JSON.parse(l) as { id: string; idempotency_key: string; state: TicketState };
          if (TERMINAL.includes(r.state)) out.add(ticketKey(r));
        } catch {
          /* the guest validated it; nothing to learn from a line we cannot read */
        }
      }
    }
    return out;
  }

  async pass(): Promise<PassStats> {
    const st = zero();
    this.visible.clear();
    const j = this.o.journal;
    const specs = await this.o.ns.read(`${this.mount}/tickets/spec`);
    if (j.cursor > specs.length) {
      // The hive's spec is shorter than our cursor: the guest restarted. The journal still dedupes.
      this.o.log?.(`host-ticket-agent: spec has ${specs.length} lines, cursor was ${j.cursor}; rescanning from 0`);
      j.saveCursor(0);
    }
    let terminals: Set<string> | null = null;
    for (let i = j.cursor; i < specs.length; i++) {
      st.seen++;
      const line = specs[i];
      const p = parseSpec(line);
      if ("error" in p) {
        st.invalid++;
        this.o.log?.(`host-ticket-agent: spec line ${i} skipped: ${p.error}`);
      } else {
        if (!terminals && !j.get(ticketKey(p.spec))) terminals = await this.visibleTerminals();
        await this.one(p.spec, line, i, st, terminals);
      }
      this.point("terminal");
      j.saveCursor(i + 1);
    }
    return st;
  }

  private async one(spec: TicketSpec, line: string, index: number, st: PassStats, terminals: Set<string> | null): Promise<void> {
    const j = this.o.journal;
    if (spec.target_hive !== undefined && spec.target_hive !== (this.o.localHive ?? "hive-a")) {
      st.skipped_remote++;
      return;
    }
    const key = ticketKey(spec);
    let e = j.get(key);
    if (e && e.spec !== line) {
      // The same pair with other bytes: refused with its own receipt, journalled by spec index.
      st.conflicts++;
      const ck = `conflict:${index}:${key}`;
      let c = j.get(ck);
      if (c?.terminal) return;
      const inherited = c !== undefined;
      if (!c) {
        c = j.put(ck, { spec: line, executing: false, result: [resultFile("failed", this.mount), receiptLine(spec, "failed", MSG.conflict)], terminal: false });
        j.save();
      }
      return this.finish(c, inherited, st);
    }
    if (e?.terminal) {
      st.skipped_terminal++;
      return;
    }
    // An unfinished entry (a crash, or a publish the hive refused last pass): its lines may be visible.
    const inherited = e !== undefined;
    if (!e) {
      const pre = this.decide(spec, key, terminals);
      e = j.put(key, { spec: line, executing: false, result: pre ? [resultFile(pre[0], this.mount), receiptLine(spec, pre[0], pre[1])] : null, terminal: false });
      j.save();
      this.point("prepared");
    }
    if (e.result) return this.finish(e, inherited, st);
    if (e.executing) {
      // Crashed after execution began: never run it again.
      e.result = [resultFile("failed", this.mount), receiptLine(spec, "failed", MSG.ambiguous)];
      j.save();
      return this.finish(e, false, st);
    }
    const status = `${this.mount}/tickets/status`;
    await this.publish(status, receiptLine(spec, "claimed", MSG.claimed), inherited);
    this.point("claimed");
    await this.publish(status, receiptLine(spec, "running", MSG.running), inherited);
    e.executing = true;
    j.save();
    this.point("executing");
    st.executed++;
    const [state, message] = await this.execute(spec);
    this.point("executed");
    e.result = [resultFile(state, this.mount), receiptLine(spec, state, message)];
    j.save();
    this.point("result-persisted");
    return this.finish(e, false, st);
  }

  /** The outcomes that need no execution, in the reference's order; null = execute. */
  private decide(spec: TicketSpec, key: string, terminals: Set<string> | null): [TicketState, string] | null {
    if (terminals?.has(key)) return ["failed", MSG.unverified];
    if (this.o.writerEpoch !== undefined && spec.writer_epoch !== undefined && spec.writer_epoch !== this.o.writerEpoch) return ["failed", MSG.stale];
    const now = (this.o.now ?? Date.now)();
    if (spec.expires_unix_ms !== undefined && now >= spec.expires_unix_ms) return ["expired", MSG.expired];
    if (!this.allow.has(spec.action)) return ["failed", MSG.notAllowed];
    try {
      validate(spec, this.mount);
    } catch (e) {
      if (e instanceof ValidationError) return ["failed", e.message];
      throw e;
    }
    if (!this.o.executorFor(spec.action)) return ["failed", "EPERM unsupported-provider-action"];
    return null;
  }

  private async execute(spec: TicketSpec): Promise<[TicketState, string]> {
    const ex = this.o.executorFor(spec.action)!;
    const deadline = this.o.ctx.deadlineMs;
    let timer: NodeJS.Timeout | undefined;
    try {
      const v = validate(spec, this.mount);
      const detail = await Promise.race([
        ex(spec, v, this.o.ctx),
        new Promise<never>((_, rej) => {
          timer = setTimeout(() => rej(new ExecError(`deadline of ${deadline} ms exceeded`)), deadline);
        }),
      ]);
      return ["succeeded", detail];
    } catch (e) {
      const msg = e instanceof ExecError || e instanceof ValidationError ? e.message : e instanceof NsRefusal ? (e.line ?? e.message) : `executor error: ${e instanceof Error ? e.message : String(e)}`;
      return ["failed", msg];
    } finally {
      clearTimeout(timer);
    }
  }

  private async finish(e: Entry, inherited: boolean, st: PassStats): Promise<void> {
    const [path, line] = e.result!;
    await this.publish(path, line, inherited);
    this.point("published");
    e.terminal = true;
    this.o.journal.save();
    const state = (JSON.parse(line) as { state: TicketState }).state;
    if (state === "succeeded") st.succeeded++;
    else if (state === "expired") st.expired++;
    else st.failed++;
  }
}
