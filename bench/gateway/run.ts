// bench/gateway: against one QEMU-booted guest, REST `cat` through hive-gateway next to direct
// console CAT, latency at 1/16/64 concurrent clients, cached vs uncached /proc reads, and an
// overload run's 429 count and lost writes (must be 0). Figures only; nothing here asserts speed.
//
//   npm run bench:gateway -- [--ops N] [--json]

import { Agent, request } from "node:http";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { ConsoleClient } from "../../host/sdk/console/client.js";
import { tcpPipe } from "../../host/sdk/pipe.js";
import { freePort, QemuGuest } from "../../host/runtime/qemu.js";
import { resolvedManifest, spawnGateway, TOKEN } from "../../tests/helpers/gateway.js";

const H = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

function pct(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return Number(s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))].toFixed(2));
}

// A plain keep-alive HTTP client: the load generator shares the 2 cores with QEMU and the
// gateway, and undici's fetch costs several times more CPU per request than http.request.
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
function get(url: string): Promise<number> {
  return new Promise((res, rej) => {
    const req = request(url, { agent, headers: H }, (r) => {
      r.resume();
      r.on("end", () => res(r.statusCode ?? 0));
    });
    req.on("error", rej);
    req.end();
  });
}

/** `clients` loops, each sending requests back to back until `total` have been sent. */
async function load(url: string, clients: number, total: number): Promise<{ reqPerS: number; p50: number; p99: number; statuses: Record<string, number> }> {
  const lat: number[] = [];
  const statuses: Record<string, number> = {};
  let sent = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (sent < total) {
        sent++;
        const t = process.hrtime.bigint();
        const status = await get(url);
        lat.push(ms(t));
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }),
  );
  return { reqPerS: Math.round((total * 1000) / ms(t0)), p50: pct(lat, 0.5), p99: pct(lat, 0.99), statuses };
}

async function consoleCat(port: number, path: string, ops: number): Promise<{ opsPerS: number; p50: number; p99: number }> {
  const c = new ConsoleClient(await tcpPipe("127.0.0.1", port));
  await c.request("AUTH changeme");
  await c.request("ATTACH queen ");
  for (let i = 0; i < 20; i++) await c.request(`CAT ${path}`);
  const lat: number[] = [];
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) {
    const t = process.hrtime.bigint();
    const r = await c.request(`CAT ${path}`);
    if (!r.ok) throw new Error(r.ack);
    lat.push(ms(t));
  }
  const total = ms(t0);
  c.close();
  return { opsPerS: Math.round((ops * 1000) / total), p50: pct(lat, 0.5), p99: pct(lat, 0.99) };
}

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv)).option("ops", { type: "number", default: 1000 }).option("json", { type: "boolean", default: false }).strict().parseAsync();
  const q = await QemuGuest.start();
  const out: Record<string, unknown> = {};
  try {
    await q.waitReady(60_000);
    const env = (bind: string): NodeJS.ProcessEnv => ({ COH_TCP_PORT: String(q.ports.tcp), COH_AUTH_TOKEN: "changeme", HIVE_GATEWAY_REQUEST_AUTH_TOKEN: TOKEN, HIVE_GATEWAY_BIND: bind });

    // 1) Cache on (the manifest's default): REST vs console on an uncached file, latency by clients, cached /proc.
    let gw = await spawnGateway([], env(`127.0.0.1:${await freePort()}`));
    const seg = await fetch(`${gw.url}/v1/fs/echo`, { method: "POST", headers: H, body: JSON.stringify({ path: "/queen/telemetry/bench/ctl", line: '{"new":"segment","mime":"text/plain"}' }) });
    if (seg.status !== 200) throw new Error(`cannot create the bench segment: ${await seg.text()}`);
    const uncachedPath = "/queen/telemetry/bench/latest";
    const uncached = `${gw.url}/v1/fs/cat?path=${uncachedPath}&max_bytes=4096`;
    await load(uncached, 4, 100); // warm
    out.console_cat = await consoleCat(q.ports.tcp, uncachedPath, argv.ops);
    const byClients: Record<string, unknown> = {};
    for (const c of [1, 16, 64]) byClients[c] = await load(uncached, c, argv.ops);
    out.rest_cat_uncached = byClients;
    const procUrl = `${gw.url}/v1/fs/cat?path=/proc/lifecycle/state&max_bytes=4096`;
    out.rest_proc_cached = { 1: await load(procUrl, 1, argv.ops), 64: await load(procUrl, 64, argv.ops) };
    await gw.stop();

    // 2) Cache off: the same /proc reads each go upstream.
    const noCache = resolvedManifest({ cache_ttl_ms: 0 });
    gw = await spawnGateway(["--manifest", noCache], env(`127.0.0.1:${await freePort()}`));
    out.rest_proc_uncached = { 1: await load(`${gw.url}/v1/fs/cat?path=/proc/lifecycle/state&max_bytes=4096`, 1, argv.ops), 64: await load(`${gw.url}/v1/fs/cat?path=/proc/lifecycle/state&max_bytes=4096`, 64, argv.ops) };
    await gw.stop();

    // 3) Overload: one session and two waiting per lane; 64 writers at once, read back.
    const tiny = resolvedManifest({ control_sessions: 1, telemetry_sessions: 1, control_queue_max: 2, telemetry_queue_max: 2 });
    gw = await spawnGateway(["--manifest", tiny], env(`127.0.0.1:${await freePort()}`));
    await fetch(`${gw.url}/v1/fs/echo`, { method: "POST", headers: H, body: JSON.stringify({ path: "/queen/telemetry/ovl/ctl", line: '{"new":"segment","mime":"text/plain"}' }) });
    const segPath = "/queen/telemetry/ovl/seg/seg-000001";
    const results = await Promise.all(
      Array.from({ length: 64 }, async (_, i) => {
        const r = await fetch(`${gw.url}/v1/fs/echo`, { method: "POST", headers: H, body: JSON.stringify({ path: segPath, line: `ovl-${i}` }) });
        return { tag: `ovl-${i}`, status: r.status };
      }),
    );
    const back = (await (await fetch(`${gw.url}/v1/fs/cat?path=${segPath}&max_bytes=65536`, { headers: H })).json()) as { lines: string[] };
    const landed = back.lines.filter((l) => l.startsWith("ovl-"));
    const acked = results.filter((r) => r.status === 200).map((r) => r.tag);
    out.overload = {
      writers: 64,
      acked: acked.length,
      rejected_429: results.filter((r) => r.status === 429).length,
      other: results.filter((r) => r.status !== 200 && r.status !== 429).length,
      lost_writes: acked.filter((t) => !landed.includes(t)).length,
      duplicated: landed.length - new Set(landed).size,
      landed_unacked: landed.filter((t) => !acked.includes(t)).length,
    };
    await gw.stop();
  } finally {
    await q.stop();
  }
  const c = out.console_cat as { opsPerS: number };
  const r = out.rest_cat_uncached as Record<string, { reqPerS: number }>;
  out.ratio_rest_over_console = { 1: Number((r[1].reqPerS / c.opsPerS).toFixed(2)), 16: Number((r[16].reqPerS / c.opsPerS).toFixed(2)), 64: Number((r[64].reqPerS / c.opsPerS).toFixed(2)) };
  if (argv.json) process.stdout.write(JSON.stringify(out) + "\n");
  else process.stdout.write(JSON.stringify(out, null, 2) + "\n");
}

main().catch((e: unknown) => {
  process.stderr.write(`bench/gateway: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
