// The target side of the NATS bus (docs/FEDERATION.md): tickets other hives relayed here come
// off this hive's durable consumer of cohesix.tickets.<local_hive> into the local
// /host/tickets/spec (where the local agent executes them as usual), and the terminal receipts
// of such tickets go home to cohesix.results.<source_hive>.
//   - A ticket is acknowledged only after the hive accepted the append (or already held the
//     identical line: a redelivery after a crash before the ack); it is never appended twice,
//     and the agent's journal would not execute it twice anyway.
//   - A receipt is published with Nats-Msg-Id = <relay key>:<state>, then recorded in a small
//     outbox journal (bus-outbox.json, durable replace). A crash between the PubAck and the
//     journal re-publishes it, which JetStream drops inside the duplicate window (and the source
//     skips a line it already holds). The journal keeps only ids still visible in the hive's
//     status/deadletter, so it is bounded by the guest's own bounds on those files.

import { NsRefusal, type NamespaceClient } from "../sdk/ns.js";
import { subjectTokenProblem, type Bus, type BusLink } from "./bus.js";
import { readIfExists, writeDurable } from "./durable.js";
import { parseReceipt, parseSpec, receiptLine, TERMINAL } from "./schema.js";

const OUTBOX_SCHEMA = "host-ticket-agent-bus-outbox/v1";

export class OutboxError extends Error {
  override readonly name = "OutboxError";
}

/** The ids of receipts already handed to the bus. */
export class Outbox {
  private ids = new Set<string>();
  private dirty = false;

  constructor(readonly file: string) {}

  load(): void {
    const text = readIfExists(this.file);
    if (text === null) return;
    let d: { schema?: string; published?: unknown };
    try {
      d = JSON.parse(text) as typeof d;
    } catch {
      throw new OutboxError(`${this.file}: not JSON (it is only ever replaced whole; move it away to re-publish every visible receipt, which the source dedupes)`);
    }
    if (d.schema !== OUTBOX_SCHEMA || !Array.isArray(d.published) || !d.published.every((x) => typeof x === "string")) throw new OutboxError(`${this.file}: not a ${OUTBOX_SCHEMA} document`);
    this.ids = new Set(d.published as string[]);
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }

  add(id: string): void {
    this.ids.add(id);
    this.dirty = true;
  }

  /** Forgets ids no longer visible (the hive dropped those lines: they can never come up again). */
  keepOnly(visible: Set<string>): void {
    for (const id of this.ids)
      if (!visible.has(id)) {
        this.ids.delete(id);
        this.dirty = true;
      }
  }

  save(): void {
    if (!this.dirty) return;
    writeDurable(this.file, JSON.stringify({ schema: OUTBOX_SCHEMA, published: [...this.ids] }) + "\n");
    this.dirty = false;
  }
}

export interface BusServeOptions {
  local: NamespaceClient;
  link: BusLink;
  outbox: Outbox;
  localHive: string;
  mount: string;
  log?: (line: string) => void;
  crashPoint?: (state: string) => void;
}

export class BusServe {
  constructor(private readonly o: BusServeOptions) {}

  private path(f: string): string {
    return `${this.o.mount}/tickets/${f}`;
  }

  /** Relayed tickets for this hive → the local spec (run before the local agent's pass). */
  async intake(): Promise<void> {
    const bus = await this.o.link.tryGet(this.o.log);
    if (!bus) return;
    const st = this.o.link.stats;
    const got = await bus.take("tickets");
    if (got.length === 0) return;
    st.tickets_in += got.length;
    const spec = new Set(await this.o.local.read(this.path("spec")));
    for (const d of got) {
      const p = parseSpec(d.line);
      const s = "spec" in p ? p.spec : null;
      const bad = !s ? ("error" in p ? p.error : "unreadable") : s.target_hive !== this.o.localHive ? `target_hive is ${String(s.target_hive)}, not ${this.o.localHive}` : !s.source_hive || s.source_hive === this.o.localHive || !s.relay_correlation_id ? "not a relayed ticket (source_hive and relay_correlation_id)" : subjectTokenProblem(s.source_hive);
      if (bad || !s) {
        // Nothing can ever be done with it, and without a usable source there is nobody to tell.
        st.tickets_refused++;
        this.o.log?.(`host-ticket-agent bus: a message on ${d.subject} refused: ${bad ?? "unreadable"}`);
        d.term();
        continue;
      }
      if (spec.has(d.line)) {
        st.tickets_already_held++;
        d.ack();
        continue;
      }
      try {
        await this.o.local.append(this.path("spec"), d.line);
        spec.add(d.line);
        this.o.crashPoint?.("bus-ticket-appended");
        st.tickets_appended++;
        d.ack();
      } catch (e) {
        if (e instanceof NsRefusal && e.detail === "invalid-payload") {
          // This hive's final word on the line: the source hears it as one failed receipt.
          const line = receiptLine(s, "failed", `relay refused by ${this.o.localHive}: invalid-payload`);
          await this.publishReceipt(bus, `${s.relay_correlation_id}:failed`, s.source_hive!, line);
          st.tickets_refused++;
          d.term();
        } else {
          st.tickets_retried++;
          d.nak();
          this.o.log?.(`host-ticket-agent bus: ${s.relay_correlation_id} not appended yet: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    }
    await bus.flush();
  }

  /** Terminal receipts of tickets relayed here → their source hives (run after the local agent's pass). */
  async outbound(): Promise<void> {
    const bus = await this.o.link.tryGet(this.o.log);
    if (!bus) return;
    const [status, dead] = await Promise.all([this.o.local.read(this.path("status")), this.o.local.read(this.path("deadletter"))]);
    const visible = new Set<string>();
    const todo: Array<{ id: string; source: string; line: string }> = [];
    for (const line of [...status, ...dead]) {
      const r = parseReceipt(line);
      if (!r || !TERMINAL.includes(r.state) || r.target_hive !== this.o.localHive || !r.source_hive || r.source_hive === this.o.localHive || !r.relay_correlation_id || subjectTokenProblem(r.source_hive)) continue;
      const id = `${r.relay_correlation_id}:${r.state}`;
      visible.add(id);
      if (!this.o.outbox.has(id)) todo.push({ id, source: r.source_hive, line });
    }
    const batch = bus.bounds.fetchBatch;
    try {
      for (let i = 0; i < todo.length; i += batch) {
        const part = todo.slice(i, i + batch);
        const done = await Promise.allSettled(part.map((t) => this.publishReceipt(bus, t.id, t.source, t.line)));
        done.forEach((r, j) => {
          if (r.status === "fulfilled") this.o.outbox.add(part[j].id);
          else this.o.link.stats.receipts_publish_failures++;
        });
        if (done.some((r) => r.status === "rejected")) break; // the bus is away: the rest next pass
      }
    } finally {
      this.o.outbox.keepOnly(visible);
      this.o.outbox.save();
    }
  }

  private async publishReceipt(bus: Bus, id: string, source: string, line: string): Promise<void> {
    const r = await bus.publish("results", source, id, line);
    this.o.crashPoint?.("bus-receipt-published");
    this.o.link.stats.receipts_published++;
    if (r.duplicate) this.o.link.stats.receipts_publish_duplicates++;
  }
}
