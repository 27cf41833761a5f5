// The NATS JetStream side of `host-ticket-agent --relay --relay-bus nats://HOST:PORT`
// (docs/FEDERATION.md): two file-backed work-queue streams shared by every hive on the bus —
//   COHESIX_TICKETS  subjects cohesix.tickets.<target_hive>  (relayed spec lines)
//   COHESIX_RESULTS  subjects cohesix.results.<source_hive>  (terminal receipts coming home)
// — and this hive's two durable pull consumers, one per stream, filtered to its own subject.
// Every bound (stream size and age, duplicate window, ack wait, redeliveries, batch) is the
// manifest's [federation] bus_*; the streams refuse new messages when full (discard new) so a
// full bus defers work at the source instead of dropping what nobody has consumed yet.
// This module only moves bytes; what they mean and when they are acknowledged is the relay's
// (relay.ts, source side) and bus_serve.ts's (target side).

import { connect, credsAuthenticator, type NatsConnection } from "@nats-io/transport-node";
import { AckPolicy, DiscardPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType, type JetStreamClient, type JetStreamManager, type JsMsg } from "@nats-io/jetstream";
import { MANIFEST } from "../generated/manifest.js";

export const TICKETS_STREAM = "COHESIX_TICKETS";
export const RESULTS_STREAM = "COHESIX_RESULTS";
export type BusKind = "tickets" | "results";
const STREAM: Record<BusKind, string> = { tickets: TICKETS_STREAM, results: RESULTS_STREAM };

/**
 * A hive name as one NATS subject token: the manifest allows '.', but NATS splits subjects on
 * it, so `hive.a` would be two tokens (and its consumer name invalid). Null = usable.
 */
export function subjectTokenProblem(hive: string): string | null {
  return /^[A-Za-z0-9_-]{1,64}$/.test(hive) ? null : `hive name '${hive}' is not one NATS subject token (letters, digits, '_' and '-' only)`;
}

export const subjectFor = (kind: BusKind, hive: string): string => `cohesix.${kind}.${hive}`;

export interface BusBounds {
  maxMsgs: number;
  maxBytes: number;
  maxAgeMs: number;
  duplicateWindowMs: number;
  ackWaitMs: number;
  maxDeliver: number;
  fetchBatch: number;
  requestTimeoutMs: number;
}

export function manifestBounds(): BusBounds {
  const f = MANIFEST.federation;
  return {
    maxMsgs: f.bus_stream_max_msgs,
    maxBytes: f.bus_stream_max_bytes,
    maxAgeMs: f.bus_stream_max_age_ms,
    duplicateWindowMs: f.bus_duplicate_window_ms,
    ackWaitMs: f.bus_ack_wait_ms,
    maxDeliver: f.bus_max_deliver,
    fetchBatch: f.bus_fetch_batch,
    requestTimeoutMs: f.peer_timeout_ms,
  };
}

/** Credentials, already resolved from their references (never logged, never in a file we write). */
export interface BusAuth {
  token?: string;
  /** The text of a NATS .creds file (user JWT + NKey seed). */
  creds?: string;
}

export class BusConfigError extends Error {
  override readonly name = "BusConfigError";
}

/** One message taken from a consumer; exactly one of ack / nak / term should follow. */
export interface Delivery {
  subject: string;
  line: string;
  msgId: string | undefined;
  deliveries: number;
  ack(): void;
  /** Redeliver later (a transient local failure). */
  nak(): void;
  /** Never redeliver (a message that can never be used). */
  term(): void;
}

const ns = (ms: number): number => ms * 1_000_000;
const durableOf = (hive: string): string => `hive-${hive}`;

/** `nats://host:port` (or tls://): credentials are refused here so they cannot reach a log line. */
export function checkBusUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new BusConfigError(`--relay-bus ${url}: not a URL (give nats://HOST:PORT)`);
  }
  if (!["nats:", "tls:"].includes(u.protocol)) throw new BusConfigError(`--relay-bus ${u.protocol}//…: give nats://HOST:PORT (or tls://)`);
  if (u.username || u.password) throw new BusConfigError("--relay-bus: credentials do not go in the URL; use --relay-bus-token or --relay-bus-creds (env:NAME or file:/abs/path)");
  return `${u.protocol}//${u.host}`;
}

export class Bus {
  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    readonly localHive: string,
    readonly bounds: BusBounds,
  ) {}

  /** Connects (the client reconnects by itself after a server restart) and makes sure the streams and this hive's consumers exist with the manifest's bounds. */
  static async open(url: string, localHive: string, auth: BusAuth, bounds: BusBounds = manifestBounds()): Promise<Bus> {
    const why = subjectTokenProblem(localHive);
    if (why) throw new BusConfigError(`--relay-bus: --local-hive: ${why}`);
    const nc = await connect({
      servers: checkBusUrl(url),
      name: `host-ticket-agent ${localHive}`,
      token: auth.token,
      authenticator: auth.creds !== undefined ? credsAuthenticator(new TextEncoder().encode(auth.creds)) : undefined,
      timeout: bounds.requestTimeoutMs,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    });
    try {
      const jsm = await jetstreamManager(nc, { timeout: bounds.requestTimeoutMs });
      const bus = new Bus(nc, jetstream(nc, { timeout: bounds.requestTimeoutMs }), jsm, localHive, bounds);
      await bus.ensure();
      return bus;
    } catch (e) {
      await nc.close().catch(() => undefined);
      throw e;
    }
  }

  private async ensure(): Promise<void> {
    const b = this.bounds;
    for (const kind of ["tickets", "results"] as const) {
      const name = STREAM[kind];
      const want = { max_msgs: b.maxMsgs, max_bytes: b.maxBytes, max_age: ns(b.maxAgeMs), duplicate_window: ns(b.duplicateWindowMs) };
      const have = await this.jsm.streams.info(name).catch(() => null);
      if (!have) {
        try {
          await this.jsm.streams.add({ name, subjects: [`cohesix.${kind}.>`], retention: RetentionPolicy.Workqueue, discard: DiscardPolicy.New, storage: StorageType.File, num_replicas: 1, ...want });
        } catch (e) {
          // Another hive's agent created it between our look and our add: take theirs. Anything
          // else (JetStream off, no permission) is the add's own error.
          if (!(await this.jsm.streams.info(name).then(() => true, () => false))) throw e;
        }
      } else if (have.config.max_msgs !== want.max_msgs || have.config.max_bytes !== want.max_bytes || have.config.max_age !== want.max_age || have.config.duplicate_window !== want.duplicate_window) {
        // The manifest moved (a new build): the bus follows the latest agent's bounds.
        await this.jsm.streams.update(name, want);
      }
      const durable = durableOf(this.localHive);
      const cfg = { ack_wait: ns(b.ackWaitMs), max_deliver: b.maxDeliver };
      const c = await this.jsm.consumers.info(name, durable).catch(() => null);
      if (!c) await this.jsm.consumers.add(name, { durable_name: durable, ack_policy: AckPolicy.Explicit, filter_subject: subjectFor(kind, this.localHive), ...cfg });
      else if (c.config.ack_wait !== cfg.ack_wait || c.config.max_deliver !== cfg.max_deliver) await this.jsm.consumers.update(name, durable, cfg);
    }
  }

  /**
   * Publishes `line` with `Nats-Msg-Id: msgId` and waits for JetStream's PubAck (the message is
   * in the stream's file store). `duplicate` = the server dropped it as a replay inside the window.
   */
  async publish(kind: BusKind, hive: string, msgId: string, line: string): Promise<{ duplicate: boolean }> {
    const a = await this.js.publish(subjectFor(kind, hive), line, { msgID: msgId, timeout: this.bounds.requestTimeoutMs });
    return { duplicate: a.duplicate };
  }

  /** Up to fetch_batch messages waiting on this hive's consumer of `kind` (none: returns at once). */
  async take(kind: BusKind): Promise<Delivery[]> {
    // Our own acks first: one still in flight would look like a dead agent's delivery below.
    await this.nc.flush();
    const c = await this.js.consumers.get(STREAM[kind], durableOf(this.localHive));
    const info = await c.info(true);
    // Only what is waiting now: a fetch for more waits out its expiry (1 s at least) for
    // messages that are not there. Deliveries a dead agent left unacknowledged come back after
    // ack_wait and are then served ahead of new ones; when nothing new waits, ask for them.
    const want = Math.min(this.bounds.fetchBatch, info.num_pending > 0 ? info.num_pending : info.num_ack_pending);
    if (want === 0) return [];
    const out: Delivery[] = [];
    const it = await c.fetch({ max_messages: want, expires: 1000 });
    for await (const m of it) out.push(delivery(m));
    return out;
  }

  /** Waits until the server has every ack sent so far (before a run-once process exits). */
  async flush(): Promise<void> {
    await this.nc.flush();
  }

  async close(): Promise<void> {
    await this.nc.drain().catch(() => this.nc.close());
  }
}

function delivery(m: JsMsg): Delivery {
  return {
    subject: m.subject,
    line: m.string(),
    msgId: m.headers?.get("Nats-Msg-Id") || undefined,
    deliveries: m.info.deliveryCount,
    ack: () => m.ack(),
    nak: () => m.nak(),
    term: () => m.term(),
  };
}

/** What the bus did, for the pass line, `--json` and relay-status.json. */
export interface BusStats {
  /** Passes that could not reach the bus (the work waits in the WAL and the spec). */
  unavailable: number;
  tickets_published: number;
  /** Publishes JetStream dropped as replays of a msg id inside the duplicate window. */
  tickets_publish_duplicates: number;
  tickets_in: number;
  tickets_appended: number;
  tickets_already_held: number;
  tickets_refused: number;
  tickets_retried: number;
  receipts_published: number;
  receipts_publish_duplicates: number;
  receipts_publish_failures: number;
  results_in: number;
  results_delivered: number;
  results_duplicate: number;
  results_unusable: number;
}

export const zeroBusStats = (): BusStats => ({
  unavailable: 0,
  tickets_published: 0,
  tickets_publish_duplicates: 0,
  tickets_in: 0,
  tickets_appended: 0,
  tickets_already_held: 0,
  tickets_refused: 0,
  tickets_retried: 0,
  receipts_published: 0,
  receipts_publish_duplicates: 0,
  receipts_publish_failures: 0,
  results_in: 0,
  results_delivered: 0,
  results_duplicate: 0,
  results_unusable: 0,
});

/**
 * The connection, opened on first use and again after a failed open (a bus that is down when
 * the agent starts must not stop the agent executing its own hive's tickets). Once open, the
 * client reconnects by itself; requests made while it is away fail and are retried next pass.
 */
export class BusLink {
  private bus: Bus | null = null;
  readonly stats: BusStats = zeroBusStats();

  constructor(
    private readonly url: string,
    private readonly localHive: string,
    private readonly auth: BusAuth,
    private readonly bounds: BusBounds = manifestBounds(),
  ) {
    checkBusUrl(url);
  }

  async get(): Promise<Bus> {
    if (!this.bus) this.bus = await Bus.open(this.url, this.localHive, this.auth, this.bounds);
    return this.bus;
  }

  /** The open bus, or null (counted) when it cannot be reached now. */
  async tryGet(log?: (l: string) => void): Promise<Bus | null> {
    try {
      return await this.get();
    } catch (e) {
      if (e instanceof BusConfigError) throw e;
      this.stats.unavailable++;
      log?.(`host-ticket-agent bus: unavailable: ${e instanceof Error ? e.message : String(e)}`);
      return null;
    }
  }

  async close(): Promise<void> {
    await this.bus?.flush().catch(() => undefined);
    await this.bus?.close();
    this.bus = null;
  }
}
