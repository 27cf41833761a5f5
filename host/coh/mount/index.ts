// `coh mount --at DIR` and `coh mount --unmount DIR` (docs/COH.md; reference §2.5). Picks the
// backend — Secure9P over TCP (mode=fuse), the in-process core over 9P (--mock, mode=mock) or
// hive-gateway (--rest-url, mode=rest, one per URL by the lock file) — mounts it with FUSE,
// prints `OK MOUNT mode=… at=DIR` and stays in the foreground until SIGINT/SIGTERM or until the
// hive goes away; then it unmounts, so the directory is left usable. FUSE's auto_unmount covers a
// mount whose process is killed outright (fusermount, still running, unmounts it).

import { existsSync, mkdirSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { MANIFEST } from "../../generated/manifest.js";
import { mockTransport } from "../../sdk/connect.js";
import { tcpPipe } from "../../sdk/pipe.js";
import { resolveSecret, secretFromEnv } from "../../sdk/secret.js";
import { mintTicket, parseRole } from "../../sdk/ticket/index.js";
import { bound, CohError, type Ctx, policyString, REST_AUTH_ENV, REST_URL_ENV } from "../context.js";
import type { Backend } from "./backend.js";
import { nameOf } from "./errno.js";
import { loadFuse, type FuseMount } from "./fuse.js";
import { LockHeld, takeRestLock, type RestLock } from "./lock.js";
import { NineBackend } from "./nine.js";
import { makeOps } from "./ops.js";
import { PathRule } from "./paths.js";
import { RestBackend } from "./rest.js";
import { FSNAME, mountedAt, unmount } from "./unmount.js";

export interface MountArgs {
  at?: string;
  unmount?: string;
  debug?: boolean;
}

export interface MountResult {
  mode: string;
  at: string;
  ended: "signal";
  signal?: string;
}

const C = MANIFEST.cohsh;

/** The pinned policy's [mount] table as a path rule. */
export function ruleFrom(ctx: Ctx): PathRule {
  const m = ctx.policy.mount as { allowlist?: unknown } | undefined;
  const list = m?.allowlist;
  if (!Array.isArray(list) || !list.every((e) => typeof e === "string")) throw new CohError("policy-unavailable: [mount] allowlist is missing from the coh policy");
  return new PathRule({ root: policyString(ctx.policy, "mount", "root"), allowlist: list as string[], walkDepth: MANIFEST.namespace.walk_depth, componentMax: MANIFEST.namespace.component_max });
}

function ticketFor(ctx: Ctx, role: string): string {
  const given = resolveSecret("--ticket", ctx.args.ticket);
  if (given) return given;
  // Over 9P every role needs a ticket; the queen's is minted from this build's manifest secret.
  if (role !== "queen") throw new CohError(`a ${role} mount needs --ticket (mint one: cohsh --mint-ticket --role ${role} --ticket-subject <worker id>)`);
  const t = mintTicket({ role: "queen", secret: MANIFEST.tickets.queen });
  if (!t.ok) throw new CohError(`cannot mint a queen ticket: ${t.error.message}`);
  return t.value.token;
}

async function backendFor(ctx: Ctx, log: (l: string) => void): Promise<{ backend: Backend; lock?: RestLock; stop?: () => Promise<void> }> {
  const a = ctx.args;
  const role = parseRole(a.role) ?? a.role;
  const restUrl = a["rest-url"] ?? REST_URL_ENV.map((n) => process.env[n]).find((v) => v);
  const nine = { role, timeoutMs: C.timeout_ms, keepaliveMs: C.heartbeat_ms, retry: { attempts: C.retry_max_attempts, backoffMs: C.retry_backoff_ms, ceilingMs: C.retry_ceiling_ms }, recordMax: MANIFEST.telemetry_ingest.max_record_bytes, log };
  if (a.mock) {
    const t = await mockTransport();
    try {
      const backend = await NineBackend.open({ ...nine, mode: "mock", connector: t.connector, ticket: ticketFor(ctx, role) });
      return { backend, stop: () => t.stop() };
    } catch (e) {
      await t.stop();
      throw e;
    }
  }
  if (restUrl) {
    if (role !== "queen") throw new CohError("rest-transport-queen-only");
    const token = a["rest-auth-token"] !== undefined ? resolveSecret("--rest-auth-token", a["rest-auth-token"]) : secretFromEnv("--rest-auth-token", REST_AUTH_ENV);
    let lock: RestLock;
    try {
      lock = takeRestLock(restUrl);
    } catch (e) {
      throw e instanceof LockHeld ? new CohError(e.message) : e;
    }
    try {
      const backend = await RestBackend.open({ url: restUrl, token: token ?? "", ticket: resolveSecret("--ticket", a.ticket), kindTtlMs: bound(ctx.policy, "mount", "entry_ttl_ms"), pollMs: C.heartbeat_ms, log });
      return { backend, lock };
    } catch (e) {
      lock.release();
      throw e;
    }
  }
  const backend = await NineBackend.open({ ...nine, mode: "fuse", connector: () => tcpPipe(a.host, a.port, C.timeout_ms), ticket: ticketFor(ctx, role) });
  return { backend };
}

function mountFuse(f: FuseMount): Promise<void> {
  return new Promise((res, rej) => f.mount((e) => (e ? rej(e) : res())));
}

function unmountFuse(f: FuseMount): Promise<void> {
  return new Promise((res, rej) => f.unmount((e) => (e ? rej(e) : res())));
}

export async function mountCommand(ctx: Ctx, m: MountArgs): Promise<MountResult | { unmounted: string; how: string }> {
  if (m.unmount !== undefined) {
    const dir = resolve(m.unmount);
    const cur = await mountedAt(dir);
    if (!cur || !cur.fstype.startsWith("fuse")) throw new CohError(`${dir} is not a FUSE mount`);
    const how = await unmount(dir);
    ctx.out.line(`OK MOUNT unmounted at=${dir}${how === "lazy" ? " lazy=1" : ""}`);
    return { unmounted: dir, how };
  }
  if (m.at === undefined) throw new CohError("give --at DIR (or --unmount DIR)");
  const dir = resolve(m.at);
  const rule = ruleFrom(ctx);
  const entryTtlMs = bound(ctx.policy, "mount", "entry_ttl_ms");
  const snapshotMax = bound(ctx.policy, "mount", "snapshot_max_bytes");
  const cur = await mountedAt(dir);
  if (cur) throw new CohError(`${dir} is already a mount (${cur.fstype} from ${cur.source}); unmount it first: coh mount --unmount ${dir}`);
  // Not mounted yet, so a synchronous look at the directory cannot wait on this process.
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true });
  else if (!statSync(dir).isDirectory()) throw new CohError(`${dir} is not a directory`);

  const log = (l: string): void => void process.stderr.write(l + "\n");
  const { backend, lock, stop } = await backendFor(ctx, log);
  let fuse: FuseMount | null = null;
  const cleanup = async (): Promise<void> => {
    if (fuse) await unmountFuse(fuse).catch((e: unknown) => log(`[coh][mount] unmount: ${e instanceof Error ? e.message : String(e)}`));
    fuse = null;
    await backend.close().catch(() => undefined);
    await stop?.().catch(() => undefined);
    lock?.release();
  };
  try {
    const ops = makeOps(backend, rule, {
      snapshotMax,
      uid: process.getuid?.() ?? 0,
      gid: process.getgid?.() ?? 0,
      onError: m.debug ? (n, op, p, why) => log(`[coh][mount] ${op} ${p}: ${nameOf(n)} ${why}`) : (n, op, p, why) => {
        if (n === 5) log(`[coh][mount] ${op} ${p}: EIO ${why}`);
      },
    });
    // fuse-native joins its options with commas into one -o; the ones it has no field for ride
    // along after fsname: direct_io (reads go to the hive, never stop at a cached size) and the
    // caches — names for entry_ttl, attributes never (every append changes a size).
    const ttl = (entryTtlMs / 1000).toFixed(3);
    const opts = [FSNAME, "direct_io", `entry_timeout=${ttl}`, "attr_timeout=0", "negative_timeout=0"].join(",");
    // fuse-native answers ETIMEDOUT for a callback slower than this: our own bound (every reconnect
    // attempt timing out, plus the back-offs) comes first.
    const opTimeout = C.timeout_ms * (C.retry_max_attempts + 2) + C.retry_ceiling_ms * C.retry_max_attempts;
    const Fuse = loadFuse();
    fuse = new Fuse(dir, ops, { fsname: opts, subtype: FSNAME, autoUnmount: true, timeout: opTimeout, debug: m.debug === true });
    await mountFuse(fuse);
  } catch (e) {
    await cleanup();
    throw e instanceof Error && /fuse|mount/i.test(e.message) && !(e instanceof CohError) ? new CohError(`cannot mount ${dir}: ${e.message} (coh doctor checks /dev/fuse and fusermount)`) : e;
  }

  const line = `OK MOUNT mode=${backend.mode} at=${dir}`;
  ctx.out.line(line);
  // In --json mode the final document comes at exit; the mounted moment is announced now.
  if (ctx.args.json) process.stdout.write(JSON.stringify({ ok: true, verb: "MOUNT", event: "mounted", mode: backend.mode, at: dir }) + "\n");

  const ended = await new Promise<{ how: "signal"; sig: string } | { how: "gone"; why: string } | { how: "outside" }>((res) => {
    const onSig = (sig: NodeJS.Signals): void => res({ how: "signal", sig });
    process.once("SIGINT", onSig);
    process.once("SIGTERM", onSig);
    backend.onGone((why) => res({ how: "gone", why }));
    // Unmounted by someone else (coh mount --unmount, fusermount -u): FUSE's loop has ended, so
    // this process has nothing left to serve. Read from the kernel's table, never the mount point.
    const watch = setInterval(() => {
      void mountedAt(dir).then((m) => {
        if (!m) {
          clearInterval(watch);
          res({ how: "outside" });
        }
      }, () => undefined);
    }, C.tail_poll_ms);
  });
  if (ended.how === "outside") fuse = null;
  await cleanup();
  if (ended.how === "gone") throw new CohError(`${ended.why}; unmounted ${dir}`);
  if (ended.how === "outside") {
    ctx.out.line(`OK MOUNT unmounted at=${dir} by=other`);
    return { mode: backend.mode, at: dir, ended: "signal", signal: "unmount" };
  }
  ctx.out.line(`OK MOUNT unmounted at=${dir} signal=${ended.sig}`);
  return { mode: backend.mode, at: dir, ended: "signal", signal: ended.sig };
}
