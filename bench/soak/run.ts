// bench/soak: N clients against the mock and/or the QEMU guest for a given time (issue 10);
// prints ops, memory high-water and records lost / duplicated / reordered (all must be 0).
// Exits non-zero when a record was lost, duplicated or reordered, or a client failed.
//
//   npm run bench:soak -- [--target mock|qemu|both] [--duration-s 60] [--clients 4] [--seed 1] [--json]
//   an hour, in the background:  nice -n 19 npm run bench:soak -- --duration-s 3600 --json > soak.json

import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { loopbackPipe } from "../../host/sdk/connect.js";
import { tcpPipe } from "../../host/sdk/pipe.js";
import { MANIFEST } from "../../host/generated/manifest.js";
import { Guest } from "../../host/runtime/guest.js";
import { QemuGuest } from "../../host/runtime/qemu.js";
import { soak, type SoakReport } from "./soak.js";

const argv = yargs(hideBin(process.argv))
  .scriptName("bench:soak")
  .option("target", { choices: ["mock", "qemu", "both"] as const, default: "both" as const, describe: "which guest to soak" })
  .option("duration-s", { type: "number", default: 60, describe: "how long each guest is soaked" })
  .option("clients", { type: "number", default: 4, describe: "concurrent clients (each: a queen console, a queen 9P and a worker 9P session)" })
  .option("seed", { type: "number", default: 1, describe: "seed of every client's op mix" })
  .option("json", { type: "boolean", default: false, describe: "print one JSON object" })
  .strict()
  .parseSync();

if (!(argv["duration-s"] > 0) || !(argv.clients >= 1 && argv.clients <= 8)) {
  console.error("bench:soak: --duration-s must be > 0 and --clients 1..8 (the ingest keeps max_devices devices; each client uses one)");
  process.exit(2);
}

async function onMock(): Promise<SoakReport> {
  const g = await Guest.start();
  try {
    return await soak({
      connect: async () => loopbackPipe(g.loopback.connect(MANIFEST.network.console_port)!),
      durationMs: argv["duration-s"] * 1000,
      clients: argv.clients,
      seed: argv.seed,
    });
  } finally {
    if (g.core.stopped) console.error(`bench:soak: the mock's core stopped: ${g.serialOutput.slice(-200)}`);
    await g.stop();
  }
}

async function onQemu(): Promise<SoakReport> {
  const q = await QemuGuest.start();
  try {
    await q.waitReady();
    const r = await soak({ connect: () => tcpPipe("127.0.0.1", q.ports.tcp), durationMs: argv["duration-s"] * 1000, clients: argv.clients, seed: argv.seed });
    const trap = /\[trap\][^\n]*/.exec(q.output);
    if (trap) r.errors.push(trap[0]);
    return r;
  } finally {
    await q.stop();
  }
}

const reports: Record<string, SoakReport> = {};
if (argv.target !== "qemu") reports.mock = await onMock();
if (argv.target !== "mock") reports.qemu = await onQemu();

let bad = false;
for (const [name, r] of Object.entries(reports)) {
  if (r.records_lost + r.records_duplicated + r.records_reordered > 0 || r.errors.length > 0) bad = true;
  if (!argv.json) {
    console.log(`${name}: ${r.ops_total} ops in ${(r.duration_ms / 1000).toFixed(1)} s (${Math.round((r.ops_total * 1000) / r.duration_ms)}/s), ${r.clients} clients, seed ${r.seed}`);
    console.log(`  ${Object.entries(r.ops).map(([k, v]) => `${k}=${v}`).join(" ")}`);
    console.log(`  records acked=${r.records_acked} lost=${r.records_lost} duplicated=${r.records_duplicated} reordered=${r.records_reordered} busy=${r.refused_busy}`);
    console.log(`  memory high-water ${r.memory_high_water_pages} pages (${(r.memory_high_water_bytes / 1048576).toFixed(1)} MiB), ${r.memory_pages_end} pages at the end`);
    for (const e of r.errors) console.log(`  error: ${e}`);
  }
}
if (argv.json) console.log(JSON.stringify(reports, null, 2));
process.exit(bad ? 1 : 0);
