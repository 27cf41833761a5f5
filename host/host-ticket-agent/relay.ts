// The relay (reference §2.11; docs/FEDERATION.md): tickets in this hive's spec whose target_hive
// is another hive go to that hive's gateway, and the peer's terminal receipt comes back into this
// hive's status or deadletter — each exactly once, across crashes at any point:
//   1. the relayed line is written to the WAL (pending) before any peer hears of it;
//   2. forwarded to the peer's /host/tickets/spec unless the peer already holds the same line
//      (a crash after the peer's ACK, before the WAL said so, must not send it twice);
//   3. the peer's receipt is kept byte for byte in the WAL (terminal_retained), then appended
//      locally unless the identical line is already there, then the entry is delivered.
// Backpressure defers (the ticket stays in the spec and is seen again next pass), never drops.

import { MANIFEST } from "../generated/manifest.js";
import type { NamespaceClient } from "../sdk/ns.js";
import { parseReceipt, parseSpec, receiptLimit, receiptLine, resultFile, TERMINAL, type TicketSpec } from "./schema.js";
import { NsRefusal } from "../sdk/ns.js";
import type { Wal, WalEntry } from "./wal.js";

export const RELAY_HOP_MAX = 32; // the guest's bound on relay_hop (1..32)
export const RELAY_ERROR = "relay dispatch, observation or terminal return unavailable";

export interface RelayStats {
  seen: number;
  candidates: number;
  deduped: number;
  forwarded: number;
  remote_write_failures: number;
  backpressure_drops: number;
  rejected: number;
  terminal_returned: number;
  queue_depth: number;
}

/** A receipt a carrier brought back; the relay settles it once the receipt is durable locally. */
export interface CarriedReceipt {
  line: string;
  /** Done with it: delivered now, already delivered before, or one the relay cannot use. */
  settle(outcome: "delivered" | "duplicate" | "unusable"): void;
  /** Not done (the local hive refused the append): the carrier offers it again later. */
  retry(): void;
}

/**
 * Another way for relayed tickets to travel than peer gateways (bus_relay.ts: NATS JetStream).
 * The WAL and its states stay the relay's; the carrier only sends and brings receipts back.
 */
export interface RelayCarrier {
  /** Why a target can never be reached this way (a final refusal), or null. */
  refuses(target: string): string | null;
  /** Hands a pending entry over; resolves once the carrier holds it durably (its msg id = the key). */
  send(e: WalEntry): Promise<void>;
  /** Receipts for this hive's relayed tickets that arrived since the last pass. */
  receipts(): Promise<CarriedReceipt[]>;
}

export interface RelayOptions {
  local: NamespaceClient;
  wal: Wal;
  /** Set: tickets travel by this carrier instead of `peer` gateways. */
  carrier?: RelayCarrier;
  /** A connected, queen-attached client of a peer hive's gateway, or null if the peer is unknown. */
  peer: (hive: string) => Promise<NamespaceClient | null>;
  localHive?: string;
  mount?: string;
  actions?: string[];
  queueMaxEntries?: number;
  queueMaxBytes?: number;
  log?: (line: string) => void;
  crashPoint?: (state: string) => void;
}

export const relayKey = (s: TicketSpec, local: string): string => `${s.id}:${s.idempotency_key}:${s.source_hive ?? local}:${s.target_hive}`;

/** The spec as the peer gets it: provenance set, hop counted, correlation id = the relay key. */
export function relayPayload(s: TicketSpec, local: string, key: string): string {
  return JSON.stringify({ ...s, source_hive: s.source_hive ?? local, target_hive: s.target_hive, relay_hop: (s.relay_hop ?? 0) + 1, relay_correlation_id: key });
}

const zero = (): RelayStats => ({ seen: 0, candidates: 0, deduped: 0, forwarded: 0, remote_write_failures: 0, backpressure_drops: 0, rejected: 0, terminal_returned: 0, queue_depth: 0 });

export class Relay {
  readonly totals: RelayStats = zero();
  private readonly localHive: string;
  private readonly mount: string;
  private readonly actions: Set<string>;

  constructor(private o: RelayOptions) {
    this.localHive = o.localHive ?? MANIFEST.federation.local_hive;
    this.mount = o.mount ?? MANIFEST.host.mount_at;
    this.actions = new Set(o.actions ?? MANIFEST.federation.relay_actions.split(","));
  }

  private point(s: string): void {
    this.o.crashPoint?.(s);
  }

  async pass(): Promise<RelayStats> {
    const st = zero();
    const t = (f: string): string => `${this.mount}/tickets/${f}`;
    const [spec, status, dead] = await Promise.all([this.o.local.read(t("spec")), this.o.local.read(t("status")), this.o.local.read(t("deadletter"))]);
    const localLines = new Set([...status, ...dead]);
    const localTerminal = new Set<string>();
    for (const l of localLines) {
      const r = parseReceipt(l);
      if (r && r.target_hive !== undefined && TERMINAL.includes(r.state)) localTerminal.add(`${r.id}:${r.idempotency_key}:${r.source_hive}:${r.target_hive}`);
    }
    const wal = this.o.wal;
    for (const line of spec) {
      st.seen++;
      const p = parseSpec(line);
      if ("error" in p) continue;
      const s = p.spec;
      // Only what this hive originates: a line relayed here from elsewhere is never relayed again.
      if (s.target_hive === undefined || s.target_hive === this.localHive || (s.source_hive !== undefined && s.source_hive !== this.localHive)) continue;
      st.candidates++;
      const key = relayKey(s, this.localHive);
      if (wal.get(key) || localTerminal.has(key)) {
        st.deduped++;
        continue;
      }
      const unreachable = this.o.carrier?.refuses(s.target_hive) ?? null;
      if (!this.actions.has(s.action) || (s.relay_hop ?? 0) + 1 > RELAY_HOP_MAX || unreachable) {
        await this.reject(s, !this.actions.has(s.action) ? "relay refused: action not relayable" : unreachable ? `relay refused: ${unreachable}` : `relay refused: relay_hop would exceed ${RELAY_HOP_MAX}`, localLines);
        st.rejected++;
        continue;
      }
      const payload = relayPayload(s, this.localHive, key);
      // The peer refuses a spec whose receipt (which echoes the relay fields) could not fit its
      // line: say so here, once, instead of sending what can never be accepted.
      const relayed = JSON.parse(payload) as TicketSpec;
      if (Buffer.byteLength(receiptLine(relayed, "succeeded", "")) > receiptLimit(relayed)) {
        await this.reject(s, "relay refused: receipt too long with relay fields (shorten id or key)", localLines);
        st.rejected++;
        continue;
      }
      const open = wal.unfinished();
      const bytes = open.reduce((n, e) => n + Buffer.byteLength(e.payload) + 1, 0);
      if (open.length >= (this.o.queueMaxEntries ?? MANIFEST.federation.relay_queue_max_entries) || bytes + Buffer.byteLength(payload) + 1 > (this.o.queueMaxBytes ?? MANIFEST.federation.relay_queue_max_bytes) || !wal.add(key, s.target_hive, payload)) {
        st.backpressure_drops++; // deferred: still in the spec, seen again next pass
        continue;
      }
      this.point("relay-pending");
    }
    // Receipts a carrier brought back first: a pending entry may already be answered (a crash
    // after the send, before the WAL said so), and then it must not be sent again.
    if (this.o.carrier) await this.intake(this.o.carrier, localLines, st);
    // Work the WAL: forward what is pending, fetch receipts of what is awaiting, deliver what is retained.
    const peerSpecs = new Map<string, Set<string>>();
    const peerResults = new Map<string, string[]>();
    for (const e of wal.unfinished()) {
      try {
        if (e.state === "pending") {
          if (this.o.carrier) {
            await this.o.carrier.send(e);
            this.point("relay-forwarded");
            st.forwarded++;
            wal.update(e, { state: "awaiting_terminal", last_error: undefined });
          } else await this.forward(e, peerSpecs, st);
        }
        if (e.state === "awaiting_terminal" && !this.o.carrier) await this.observe(e, peerResults);
        if (e.state === "terminal_retained") {
          await this.deliver(e, localLines);
          st.terminal_returned++;
        }
      } catch (err) {
        if (e.state === "pending" && err instanceof NsRefusal && err.detail === "invalid-payload") {
          // The peer's final word on this line (not busy, not cut, not a credential to fix): end it here, once.
          const s = JSON.parse(e.payload) as TicketSpec;
          await this.reject({ ...s, relay_hop: undefined, relay_correlation_id: undefined }, `relay refused by ${e.target_hive}: ${err.detail}`, localLines).catch(() => undefined);
          wal.update(e, { state: "rejected", attempts: e.attempts + 1, last_error: `refused by peer: ${err.detail}` });
          st.rejected++;
          continue;
        }
        if (e.state === "pending") st.remote_write_failures++;
        wal.update(e, { attempts: e.attempts + 1, last_error: RELAY_ERROR });
        this.o.log?.(`host-ticket-agent relay: ${e.key} (${e.state}) attempt ${e.attempts}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    st.queue_depth = wal.unfinished().length;
    for (const k of Object.keys(st) as (keyof RelayStats)[]) if (k !== "queue_depth") this.totals[k] += st[k];
    this.totals.queue_depth = st.queue_depth;
    return st;
  }

  /** Carried receipts: retained in the WAL, appended locally once, and only then settled. */
  private async intake(carrier: RelayCarrier, localLines: Set<string>, st: RelayStats): Promise<void> {
    for (const c of await carrier.receipts()) {
      const r = parseReceipt(c.line);
      const e = r?.relay_correlation_id !== undefined ? this.o.wal.get(r.relay_correlation_id) : undefined;
      if (!r || !TERMINAL.includes(r.state) || !e) {
        // Not a terminal receipt of ours. An entry the WAL already dropped was delivered (only
        // finished entries are dropped), so its receipt is a duplicate either way.
        c.settle(r && localLines.has(c.line) ? "duplicate" : "unusable");
        continue;
      }
      const want = JSON.parse(e.payload) as TicketSpec;
      if (r.id !== want.id || r.idempotency_key !== want.idempotency_key) {
        c.settle("unusable");
        continue;
      }
      if (e.state === "delivered" || e.state === "rejected") {
        c.settle("duplicate");
        continue;
      }
      try {
        if (e.state !== "terminal_retained") {
          this.o.wal.update(e, { state: "terminal_retained", terminal_result: c.line, last_error: undefined });
          this.point("relay-retained");
        }
        await this.deliver(e, localLines);
        st.terminal_returned++;
        c.settle("delivered");
      } catch (err) {
        // The WAL keeps the receipt (terminal_retained): the loop below or the next pass delivers it.
        c.retry();
        this.o.log?.(`host-ticket-agent relay: ${e.key} receipt not appended yet: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }

  private async peerOf(e: WalEntry): Promise<NamespaceClient> {
    const p = await this.o.peer(e.target_hive);
    if (!p) throw new Error(`no peer gateway configured for hive ${e.target_hive} (--relay-peer ${e.target_hive}=URL)`);
    return p;
  }

  private async forward(e: WalEntry, peerSpecs: Map<string, Set<string>>, st: RelayStats): Promise<void> {
    const peer = await this.peerOf(e);
    const path = `${this.mount}/tickets/spec`;
    let held = peerSpecs.get(e.target_hive);
    if (!held) {
      held = new Set(await peer.read(path));
      peerSpecs.set(e.target_hive, held);
    }
    if (!held.has(e.payload)) {
      await peer.append(path, e.payload);
      held.add(e.payload);
      this.point("relay-forwarded");
    }
    st.forwarded++;
    this.o.wal.update(e, { state: "awaiting_terminal", last_error: undefined });
  }

  private async observe(e: WalEntry, cache: Map<string, string[]>): Promise<void> {
    let lines = cache.get(e.target_hive);
    if (!lines) {
      const peer = await this.peerOf(e);
      lines = [...(await peer.read(`${this.mount}/tickets/status`)), ...(await peer.read(`${this.mount}/tickets/deadletter`))];
      cache.set(e.target_hive, lines);
    }
    const want = JSON.parse(e.payload) as TicketSpec;
    const found = lines.filter((l) => {
      const r = parseReceipt(l);
      return r !== null && TERMINAL.includes(r.state) && r.id === want.id && r.idempotency_key === want.idempotency_key && r.relay_correlation_id === e.key;
    });
    if (found.length === 0) return; // not finished there yet
    if (new Set(found).size > 1) throw new Error(`conflicting terminal receipts for ${e.key} on ${e.target_hive}`);
    this.o.wal.update(e, { state: "terminal_retained", terminal_result: found[0], last_error: undefined });
    this.point("relay-retained");
  }

  private async deliver(e: WalEntry, localLines: Set<string>): Promise<void> {
    const line = e.terminal_result!;
    const r = parseReceipt(line)!;
    if (!localLines.has(line)) {
      await this.o.local.append(resultFile(r.state, this.mount), line);
      localLines.add(line);
      this.point("relay-appended");
    }
    this.o.wal.update(e, { state: "delivered" });
  }

  /** A ticket the relay will not carry ends here, once: a failed receipt in the local deadletter. */
  private async reject(s: TicketSpec, why: string, localLines: Set<string>): Promise<void> {
    // No relay_correlation_id: it was never relayed, and (id, key, source, target) dedupe it already.
    const line = receiptLine({ ...s, source_hive: s.source_hive ?? this.localHive }, "failed", why);
    if (!localLines.has(line)) {
      await this.o.local.append(`${this.mount}/tickets/deadletter`, line);
      localLines.add(line);
    }
  }
}
