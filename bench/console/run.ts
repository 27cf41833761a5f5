// bench/console: against one QEMU-booted guest, the console's PING round trip next to the UDP
// echo round trip (the network floor), their ratio, and QEMU spawn -> `OK AUTH`. Figures only.
//
//   npm run bench:console -- [--pings N] [--boots N] [--json]

import { createSocket } from "node:dgram";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { ConsoleClient } from "../../host/sdk/console/client.js";
import { tcpPipe } from "../../host/sdk/pipe.js";
import { QemuGuest } from "../../host/runtime/qemu.js";

function stats(xs: number[]): { median: number; p95: number; min: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))];
  return { median: at(0.5), p95: at(0.95), min: s[0], max: s[s.length - 1] };
}

const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

/** Spawn -> OK AUTH: connect as soon as the console is ready, retrying until the forward answers. */
async function bootToAuth(): Promise<number> {
  const q = await QemuGuest.start();
  try {
    await q.waitReady(30_000);
    for (;;) {
      try {
        const c = new ConsoleClient(await tcpPipe("127.0.0.1", q.ports.tcp, 2000));
        const r = await c.request("AUTH changeme", 5000);
        const t = ms(q.spawnedAt);
        c.close();
        if (r.ok) return t;
      } catch {
        // slirp accepts before the guest is listening on the very first try; go again
      }
    }
  } finally {
    await q.stop();
  }
}

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .option("pings", { type: "number", default: 300 })
    .option("boots", { type: "number", default: 10 })
    .option("json", { type: "boolean", default: false })
    .strict()
    .parseAsync();

  const q = await QemuGuest.start();
  const pings: number[] = [];
  const udp: number[] = [];
  try {
    await q.waitReady(30_000);
    const c = new ConsoleClient(await tcpPipe("127.0.0.1", q.ports.tcp));
    await c.request("AUTH changeme");
    const u = createSocket("udp4");
    await new Promise<void>((res) => u.bind(0, "127.0.0.1", () => res()));
    const echo = (payload: string): Promise<number> =>
      new Promise((res, rej) => {
        const t0 = process.hrtime.bigint();
        const timer = setTimeout(() => rej(new Error("UDP echo timed out")), 5000);
        u.once("message", () => {
          clearTimeout(timer);
          res(ms(t0));
        });
        u.send(payload, q.ports.udp, "127.0.0.1");
      });
    const ping = async (): Promise<number> => {
      const t0 = process.hrtime.bigint();
      await c.request("PING");
      return ms(t0);
    };
    for (let i = 0; i < 20; i++) {
      await ping(); // warm the guest's translation cache on both paths
      await echo("warm");
    }
    // Interleaved, so both figures see the same machine load.
    for (let i = 0; i < argv.pings; i++) {
      pings.push(await ping());
      udp.push(await echo("PING"));
    }
    u.close();
    c.close();
  } finally {
    await q.stop();
  }
  const boots: number[] = [];
  for (let i = 0; i < argv.boots; i++) boots.push(await bootToAuth());

  const p = stats(pings);
  const e = stats(udp);
  const b = stats(boots);
  const result = {
    pings: argv.pings,
    ping_rtt_ms: { median: p.median, p95: p.p95 },
    udp_echo_rtt_ms: { median: e.median, p95: e.p95 },
    ratio_median: p.median / e.median,
    spawn_to_ok_auth_ms: { runs: boots.length, min: b.min, median: b.median, max: b.max },
  };
  if (argv.json) {
    process.stdout.write(JSON.stringify(result) + "\n");
    return;
  }
  const f = (v: number): string => v.toFixed(3);
  process.stdout.write(
    `console PING rtt  (${argv.pings}): median ${f(p.median)} ms  p95 ${f(p.p95)} ms\n` +
      `UDP echo rtt      (${argv.pings}): median ${f(e.median)} ms  p95 ${f(e.p95)} ms\n` +
      `ratio PING/UDP median: ${result.ratio_median.toFixed(2)}\n` +
      `QEMU spawn -> OK AUTH (${boots.length} boots): min ${b.min.toFixed(1)} ms  median ${b.median.toFixed(1)} ms  max ${b.max.toFixed(1)} ms\n`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`bench/console: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
