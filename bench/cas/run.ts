// bench/cas: a signed 1 MiB update bundle (16 chunks of 64 KiB) uploaded into /updates and
// accepted (chunks, then the manifest, whose last record makes the guest verify the Ed25519
// signature and hash the assembled payload) — over the console (`b64:` records), Secure9P (raw
// Twrites) and hive-gateway (REST), on the mock core and on QEMU; plus the Ed25519 verify itself:
// the guest's AssemblyScript verifier (the same sources, in Node) against node:crypto, and the
// manifest record's round trip on each host. Figures only, no assertions.
//
//   npm run bench:cas -- [--no-qemu] [--verifies N] [--json]

import { createPrivateKey, createPublicKey, sign, verify } from "node:crypto";
import { join, resolve } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { buildBundle, type LoadedBundle } from "../../host/cas-tool/bundle.js";
import { readSigningKey } from "../../host/cas-tool/keys.js";
import { DEFAULT_LIMITS } from "../../host/cas-tool/limits.js";
import { guestView, uploadBundle } from "../../host/cas-tool/upload.js";
import { MANIFEST } from "../../host/generated/manifest.js";
import { QemuGuest, freePort } from "../../host/runtime/qemu.js";
import { mockTransport, restClient, tcpTransport, type Transport } from "../../host/sdk/connect.js";
import type { NamespaceClient } from "../../host/sdk/ns.js";
import { clientOn } from "../../host/sdk/open.js";
import { mintTicket } from "../../host/sdk/ticket/index.js";
import { loadCasWasm } from "../../tests/helpers/cas_wasm.js";
import { spawnGateway, TOKEN, type GatewayProcess } from "../../tests/helpers/gateway.js";
import { xorshift } from "../../tests/helpers/rng.js";

const ROOT = resolve(import.meta.dirname, "../..");
const SEED = readSigningKey(join(ROOT, "tests/fixtures/cas/cas_signing_key.hex"));
const CHUNK = 65_536;
const BYTES = 16 * CHUNK;

interface UploadRow {
  host: string;
  transport: string;
  bytes: number;
  ms: number;
  kib_per_s: number;
  /** Status read, the manifest's records, the guest's verify + payload hash, status read. */
  manifest_phase_ms: number;
}

function payload(seed: number): Buffer {
  const rnd = xorshift(seed);
  return Buffer.from(Uint8Array.from({ length: BYTES }, () => rnd(256)));
}

function bundle(epoch: number): LoadedBundle {
  const b = buildBundle(String(epoch), payload(epoch), CHUNK, null, SEED, DEFAULT_LIMITS);
  return { dir: "", manifestBytes: b.bytes, manifest: b.manifest, signedPrefix: 0, chunks: b.chunks };
}

/** A bundle's chunks only, then the manifest timed on its own: its last record carries the verify. */
async function upload(host: string, transport: string, ns: NamespaceClient, epoch: number, maxRecord: number): Promise<UploadRow> {
  const b = bundle(epoch);
  const chunksOnly: LoadedBundle = { ...b, manifestBytes: Buffer.alloc(0) };
  const t0 = performance.now();
  // Chunks: the upload loop with an empty manifest. It ends with "not accepted" (no manifest yet).
  await uploadBundle(ns, chunksOnly, { maxRecord }).catch(() => undefined);
  const tm = performance.now();
  await uploadBundle(ns, b, { maxRecord });
  const t1 = performance.now();
  const state = (await guestView(ns, String(epoch))).state;
  if (state !== "ready") throw new Error(`${host}/${transport}: epoch ${epoch} state=${state}`);
  const ms = t1 - t0;
  return { host, transport, bytes: BYTES + b.manifestBytes.length, ms: Math.round(ms), kib_per_s: Math.round(BYTES / 1024 / (ms / 1000)), manifest_phase_ms: Math.round(t1 - tm) };
}

async function queenOn(t: Transport, protocol: "console" | "9p"): Promise<NamespaceClient> {
  const ns = clientOn(t, { protocol, authToken: MANIFEST.console.auth_token, heartbeatMs: 0, timeoutMs: 120_000 });
  let ticket: string | undefined;
  if (protocol === "9p") {
    const m = mintTicket({ role: "queen", secret: MANIFEST.tickets.queen });
    if (!m.ok) throw new Error(m.error.message);
    ticket = m.value.token;
  }
  await ns.attach("queen", ticket);
  return ns;
}

async function uploads(host: string, t: Transport, gateway: () => Promise<GatewayProcess>, firstEpoch: number): Promise<UploadRow[]> {
  const rows: UploadRow[] = [];
  let epoch = firstEpoch;
  for (const protocol of ["console", "9p"] as const) {
    const ns = await queenOn(t, protocol);
    try {
      rows.push(await upload(host, protocol, ns, epoch++, protocol === "9p" ? MANIFEST.telemetry_ingest.max_record_bytes : MANIFEST.console.echo_max));
    } finally {
      await ns.close();
    }
    process.stderr.write(`[bench:cas] ${host} ${protocol} done\n`);
  }
  const gw = await gateway();
  try {
    const ns = await restClient(gw.url, TOKEN);
    await ns.attach("queen");
    rows.push(await upload(host, "rest", ns, epoch++, Number.MAX_SAFE_INTEGER));
    await ns.close();
  } finally {
    await gw.stop();
  }
  process.stderr.write(`[bench:cas] ${host} rest done\n`);
  return rows;
}

/** Ed25519 verify of a manifest-sized message: the guest's verifier (wasm in Node) vs node:crypto. */
async function verifies(n: number): Promise<{ n: number; guest_wasm_ms: number; node_crypto_ms: number }> {
  const wasm = await loadCasWasm("bench");
  // An Ed25519 PKCS#8 key is a fixed 16-byte prefix and the 32-byte seed (RFC 8410).
  const der = Buffer.concat([Buffer.from("302e020100300506032b657004220420", "hex"), Buffer.from(SEED)]);
  const priv = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
  const pubDer = createPublicKey(priv).export({ format: "der", type: "spki" });
  const pub = new Uint8Array(pubDer.subarray(pubDer.length - 32));
  const msg = new Uint8Array(bundle(1).manifestBytes.subarray(0, 900));
  const sig = new Uint8Array(sign(null, msg, priv));
  const pubKey = createPublicKey(priv);
  let t0 = performance.now();
  for (let i = 0; i < n; i++) if (!wasm.verify(pub, sig, msg)) throw new Error("guest verifier refused a good signature");
  const g = (performance.now() - t0) / n;
  t0 = performance.now();
  for (let i = 0; i < n; i++) if (!verify(null, msg, pubKey, sig)) throw new Error("node:crypto refused a good signature");
  const c = (performance.now() - t0) / n;
  return { n, guest_wasm_ms: +g.toFixed(3), node_crypto_ms: +c.toFixed(4) };
}

async function main(): Promise<void> {
  const a = await yargs(hideBin(process.argv))
    .option("qemu", { type: "boolean", default: true, describe: "also on QEMU (--no-qemu: the mock only)" })
    .option("verifies", { type: "number", default: 200 })
    .option("json", { type: "boolean", default: false })
    .strict()
    .parseAsync();
  const rows: UploadRow[] = [];
  const mock = await mockTransport();
  try {
    rows.push(...(await uploads("mock", mock, async () => spawnGateway(["--mock"], { HIVE_GATEWAY_REQUEST_AUTH_TOKEN: TOKEN, HIVE_GATEWAY_BIND: `127.0.0.1:${await freePort()}` }), 1000)));
  } finally {
    await mock.stop();
  }
  if (a.qemu) {
    const q = await QemuGuest.start();
    try {
      await q.waitReady(120_000);
      const env = async (): Promise<NodeJS.ProcessEnv> => ({ COH_TCP_PORT: String(q.ports.tcp), COH_AUTH_TOKEN: MANIFEST.console.auth_token, HIVE_GATEWAY_REQUEST_AUTH_TOKEN: TOKEN, HIVE_GATEWAY_BIND: `127.0.0.1:${await freePort()}` });
      rows.push(...(await uploads("qemu", tcpTransport("127.0.0.1", q.ports.tcp), async () => spawnGateway([], await env()), 2000)));
    } finally {
      await q.stop();
    }
  }
  const v = await verifies(a.verifies);
  if (a.json) {
    process.stdout.write(JSON.stringify({ upload_1mib: rows, ed25519_verify: v }, null, 2) + "\n");
    return;
  }
  console.log(`upload + accept, ${BYTES / 1024} KiB payload in ${BYTES / CHUNK} chunks of ${CHUNK / 1024} KiB (manifest phase = its records + the guest's verify and payload hash)`);
  for (const r of rows) console.log(`  ${r.host.padEnd(5)} ${r.transport.padEnd(8)} ms=${r.ms} KiB/s=${r.kib_per_s} manifest_phase_ms=${r.manifest_phase_ms}`);
  console.log(`ed25519 verify, ${v.n} runs: guest verifier (wasm in Node) ${v.guest_wasm_ms} ms, node:crypto ${v.node_crypto_ms} ms`);
}

await main();
