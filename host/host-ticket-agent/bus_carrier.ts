// The source side of the NATS bus (docs/FEDERATION.md): the relay (relay.ts) keeps its WAL and
// its states; this carrier publishes a pending entry to cohesix.tickets.<target_hive> with
// Nats-Msg-Id = the relay key, and hands back what arrived on cohesix.results.<local_hive>.
//   - The entry is on disk (pending) before the publish; the WAL says awaiting_terminal only
//     after JetStream's PubAck. A crash in between re-publishes the same msg id, which the
//     server drops inside the duplicate window (and past it the target still holds the same
//     spec line, which it does not append twice).
//   - A result is acknowledged only after the relay made it durable locally (WAL retained, then
//     the identical line in status/deadletter); a crash before the ack redelivers it, and the
//     relay recognises it (WAL delivered, or the identical line already there).

import { subjectTokenProblem, type BusLink } from "./bus.js";
import type { CarriedReceipt, RelayCarrier } from "./relay.js";
import type { WalEntry } from "./wal.js";

export class BusCarrier implements RelayCarrier {
  private failed: string | null = null;

  constructor(
    private readonly link: BusLink,
    private readonly log?: (l: string) => void,
  ) {}

  refuses(target: string): string | null {
    return subjectTokenProblem(target);
  }

  async send(e: WalEntry): Promise<void> {
    // One failed publish (the server away, a full stream) ends this pass's sends: each further
    // one would wait out its own timeout for the same answer. The entries wait, pending.
    if (this.failed) throw new Error(`bus unavailable this pass (${this.failed})`);
    try {
      const bus = await this.link.get();
      const r = await bus.publish("tickets", e.target_hive, e.key, e.payload);
      this.link.stats.tickets_published++;
      if (r.duplicate) this.link.stats.tickets_publish_duplicates++;
    } catch (err) {
      this.failed = err instanceof Error ? err.message : String(err);
      throw err;
    }
  }

  /** Called once at the start of each relay pass (relay.ts), before any send. */
  async receipts(): Promise<CarriedReceipt[]> {
    this.failed = null;
    const bus = await this.link.tryGet(this.log);
    if (!bus) return [];
    const st = this.link.stats;
    let got;
    try {
      got = await bus.take("results");
    } catch (e) {
      st.unavailable++;
      this.log?.(`host-ticket-agent bus: results not fetched: ${e instanceof Error ? e.message : String(e)}`);
      return [];
    }
    st.results_in += got.length;
    return got.map((d) => ({
      line: d.line,
      settle: (outcome) => {
        if (outcome === "delivered") st.results_delivered++;
        else if (outcome === "duplicate") st.results_duplicate++;
        else {
          st.results_unusable++;
          this.log?.(`host-ticket-agent bus: a result on ${d.subject} matches no relayed ticket of this hive; dropped`);
        }
        d.ack();
      },
      retry: () => d.nak(),
    }));
  }
}
