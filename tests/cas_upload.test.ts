// cas-tool upload (host/cas-tool/upload.ts) into the in-process guest's /updates, over the console
// over Secure9P and through hive-gateway (REST, the gateway in-process on its own mock guest): base and delta accepted, re-runs skip everything, a wrong key and a replayed
// epoch refused, a tampered chunk quarantined, a manifest sent first waits, and an upload cut off
// mid-way resumes without sending (or storing) anything twice.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildBundle, loadBundle, type LoadedBundle } from "../host/cas-tool/bundle.js";
import { CasToolError, EXIT_REFUSED } from "../host/cas-tool/errors.js";
import { readSigningKey } from "../host/cas-tool/keys.js";
import { DEFAULT_LIMITS } from "../host/cas-tool/limits.js";
import { guestView, uploadBundle } from "../host/cas-tool/upload.js";
import { mockTransport, restClient, type Transport } from "../host/sdk/connect.js";
import { NsClosed, type NamespaceClient } from "../host/sdk/ns.js";
import { clientOn } from "../host/sdk/open.js";
import { MANIFEST } from "../host/generated/manifest.js";
import type { RunningGateway } from "../host/hive-gateway/gateway.js";
import { inProcess, TOKEN } from "./helpers/gateway.js";
import { manifestTicket } from "./helpers/tickets.js";
import { xorshift } from "./helpers/rng.js";

const FIX = resolve(import.meta.dirname, "fixtures/cas");
const SEED = readSigningKey(join(FIX, "cas_signing_key.hex"));
const tmp = mkdtempSync(join(tmpdir(), "cas-upload-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function payload(bytes: number, seed: number): Buffer {
  const rnd = xorshift(seed);
  return Buffer.from(Uint8Array.from({ length: bytes }, () => rnd(256)));
}

function bundle(epoch: string, data: Buffer, chunkBytes: number, base: LoadedBundle | null = null, seed: Uint8Array = SEED): LoadedBundle {
  const b = buildBundle(epoch, data, chunkBytes, base, seed, DEFAULT_LIMITS);
  const dec = { manifest: b.manifest, signedPrefix: 0 };
  return { dir: tmp, manifestBytes: b.bytes, manifest: dec.manifest, signedPrefix: dec.signedPrefix, chunks: b.chunks };
}

/** A client whose connection "breaks" after `n` appends (what a killed uploader leaves behind). */
function cutAfter(ns: NamespaceClient, n: number): NamespaceClient {
  let left = n;
  return new Proxy(ns, {
    get(target, prop, recv) {
      if (prop === "append") {
        return async (path: string, record: string) => {
          if (left-- <= 0) throw new NsClosed("connection cut by the test");
          return target.append(path, record);
        };
      }
      if (prop === "appendBytes" && target.appendBytes) {
        // Binary (9P): each call lands only its first 1,500 bytes (a few Twrites), then the cut.
        const inner = target.appendBytes.bind(target);
        return async (path: string, data: Uint8Array, onWrite?: (n: number) => void) => {
          if (left-- <= 0) throw new NsClosed("connection cut by the test");
          if (data.length <= 1500) return inner(path, data, onWrite);
          await inner(path, data.subarray(0, 1500), onWrite);
          throw new NsClosed("connection cut by the test mid-write");
        };
      }
      const v = Reflect.get(target, prop, recv) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

const storeUsed = async (ns: NamespaceClient): Promise<number> => Number(/store_bytes=(\d+)\//.exec((await ns.read("/updates/status"))[0])![1]);
const refusal = async (p: Promise<unknown>): Promise<CasToolError> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof CasToolError) return e;
    throw e;
  }
  throw new Error("expected a refusal");
};

for (const protocol of ["console", "9p", "rest"] as const) {
  describe(`upload over ${protocol} (mock guest)`, () => {
    let t: Transport | undefined;
    let gw: RunningGateway | undefined;
    let ns: NamespaceClient;
    // REST: the gateway's own record bound (ns.caps.maxRecord) is the one that binds.
    const maxRecord = protocol === "9p" ? MANIFEST.telemetry_ingest.max_record_bytes : protocol === "rest" ? Number.MAX_SAFE_INTEGER : MANIFEST.console.echo_max;
    // Epochs rise through the file: the guest refuses any not above the highest accepted.
    let epoch = 1000;
    const next = (): string => String(epoch++);

    beforeAll(async () => {
      if (protocol === "rest") {
        gw = await inProcess(["--mock"]);
        ns = await restClient(gw.url, TOKEN);
        await ns.attach("queen");
        return;
      }
      t = await mockTransport();
      ns = clientOn(t, { protocol, authToken: MANIFEST.console.auth_token, heartbeatMs: 0, timeoutMs: 20_000 });
      await ns.attach("queen", protocol === "9p" ? manifestTicket("queen") : undefined);
    }, 60_000);
    afterAll(async () => {
      await ns?.close();
      await t?.stop();
      await gw?.stop();
    });

    it("accepts a base and a delta on it; a re-run sends nothing and stores nothing more", async () => {
      const base = bundle(next(), payload(3 * 4096, 1), 4096);
      const r = await uploadBundle(ns, base, { maxRecord });
      expect(r).toMatchObject({ state: "ready", chunksSent: 3, chunksSkipped: 0, resumedBytes: 0 });
      const delta = bundle(next(), payload(4096, 2), 4096, base);
      expect(await uploadBundle(ns, delta, { maxRecord })).toMatchObject({ state: "ready", chunksSent: 1 });
      const used = await storeUsed(ns);
      expect(await uploadBundle(ns, base, { maxRecord })).toMatchObject({ state: "ready", chunksSent: 0, chunksSkipped: 3, bytesSent: 0 });
      expect(await storeUsed(ns)).toBe(used);
      const status = await ns.read(`/updates/${delta.manifest.epoch}/status`);
      expect(status[4]).toBe(`delta_base_epoch=${base.manifest.epoch} delta_base_sha256=${Buffer.from(base.manifest.payloadSha256).toString("hex")}`);
    });

    it("refuses a bundle signed by a key the manifest does not list", async () => {
      const b = bundle(next(), payload(4096, 3), 4096, null, Buffer.alloc(32, 9));
      const e = await refusal(uploadBundle(ns, b, { maxRecord }));
      expect(e.exitCode).toBe(EXIT_REFUSED);
      expect(e.message).toMatch(/reason=signature-failed|signature/);
      expect((await guestView(ns, b.manifest.epoch)).lastError).toBe("signature-failed");
    });

    it("refuses a replayed old epoch (rollback protection)", async () => {
      const b = bundle("999", payload(4096, 4), 4096);
      const e = await refusal(uploadBundle(ns, b, { maxRecord }));
      expect(e.message).toMatch(/rollback/);
    });

    it("quarantines a tampered chunk with the log line; the good bytes are then accepted", async () => {
      const good = bundle(next(), payload(2 * 4096, 5), 4096);
      const bad: LoadedBundle = { ...good, chunks: good.chunks.map((c, i) => (i === 1 ? { digest: c.digest, data: Buffer.from(c.data).fill(0x55, 0, 16) } : c)) };
      const e = await refusal(uploadBundle(ns, bad, { maxRecord }));
      expect(e.message).toMatch(/state=chunks_pending/);
      const id = good.chunks[1].digest.toString("hex");
      const log = await ns.tail("/log/queen.log");
      expect(log.some((l) => l.includes(`cas-chunk quarantined epoch=${good.manifest.epoch} expected=${id} `) && l.endsWith(" bytes=4096"))).toBe(true);
      expect((await ns.read("/updates/status")).some((l) => l.startsWith(`quarantine epoch=${good.manifest.epoch} expected=${id}`))).toBe(true);
      expect(await uploadBundle(ns, good, { maxRecord })).toMatchObject({ state: "ready", chunksSent: 1, chunksSkipped: 1 });
    });

    it("a manifest sent before its chunks waits for them", async () => {
      const b = bundle(next(), payload(2 * 4096, 6), 4096);
      const path = `/updates/${b.manifest.epoch}/manifest.cbor`;
      for (let off = 0; off < b.manifestBytes.length; off += 60) {
        const piece = b.manifestBytes.subarray(off, off + 60);
        // Secure9P carries the bytes as they are; the console and REST, `b64:` records.
        if (ns.appendBytes) await ns.appendBytes(path, piece);
        else await ns.append(path, "b64:" + piece.toString("base64"));
      }
      expect((await guestView(ns, b.manifest.epoch)).state).toBe("chunks_pending");
      const r = await uploadBundle(ns, b, { maxRecord });
      expect(r).toMatchObject({ state: "ready", chunksSent: 2 });
      expect(r.bytesSent).toBe(2 * 4096); // the held manifest is not sent again
    });

    it("resumes an upload cut off mid-chunk and mid-manifest: nothing sent or stored twice", async () => {
      const b = bundle(next(), payload(3 * 4096, 7), 4096);
      const expected = 3 * 4096 + b.manifestBytes.length;
      const usedBefore = await storeUsed(ns);
      let sent = 0;
      let runs = 0;
      // Cut every run after a few records: the chunks, then the manifest, arrive over several runs.
      const per = protocol === "9p" ? 1 : 20;
      for (;;) {
        runs++;
        try {
          const r = await uploadBundle(cutAfter(ns, per), b, { maxRecord });
          sent += r.bytesSent;
          break;
        } catch (e) {
          if (!(e instanceof NsClosed)) throw e;
        }
        const v = await guestView(ns, b.manifest.epoch);
        sent = [...v.committed].length * 4096 + [...v.pending.values()].reduce((a, n) => a + n, 0) + v.manifestPendingBytes;
        expect(runs).toBeLessThan(200);
      }
      expect(runs).toBeGreaterThan(2);
      expect((await guestView(ns, b.manifest.epoch)).state).toBe("ready");
      expect(await storeUsed(ns)).toBe(usedBefore + expected);
      expect(sent).toBeLessThanOrEqual(expected);
    });
  });
}
