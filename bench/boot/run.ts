// bench/boot: wall time from spawning QEMU to `Cohesix console ready` on serial, N runs.
// A figure to read, not a test: nothing here asserts a time.
//
//   npm run bench:boot -- [--runs N] [--gic 2|3] [--cpu NAME] [--json]

import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { QemuGuest, READY } from "../../host/runtime/qemu.js";

async function once(gic: 2 | 3, cpu: string, noNet: boolean): Promise<number> {
  const q = await QemuGuest.start({ gic, cpu, noNet });
  try {
    await q.waitReady(30_000);
    return Number(process.hrtime.bigint() - q.spawnedAt) / 1e6;
  } finally {
    await q.stop();
  }
}

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .option("runs", { type: "number", default: 20 })
    .option("gic", { choices: [2, 3] as const, default: 3 as 2 | 3 })
    .option("cpu", { type: "string", default: "cortex-a57" })
    .option("net", { type: "boolean", default: true, describe: "--no-net boots without the NIC" })
    .option("json", { type: "boolean", default: false })
    .strict()
    .parseAsync();
  const ms: number[] = [];
  await once(argv.gic, argv.cpu, !argv.net); // warm the page cache so run 1 is not an outlier of disk reads
  for (let i = 0; i < argv.runs; i++) ms.push(await once(argv.gic, argv.cpu, !argv.net));
  ms.sort((a, b) => a - b);
  const median = ms.length % 2 ? ms[(ms.length - 1) / 2] : (ms[ms.length / 2 - 1] + ms[ms.length / 2]) / 2;
  const result = { runs: ms.length, gic: argv.gic, cpu: argv.cpu, net: argv.net, min_ms: ms[0], median_ms: median, max_ms: ms[ms.length - 1] };
  if (argv.json) {
    process.stdout.write(JSON.stringify(result) + "\n");
  } else {
    const f = (v: number): string => v.toFixed(1);
    process.stdout.write(
      `boot: QEMU spawn -> "${READY}" (${result.runs} runs, gic v${result.gic}, ${result.cpu}, ${result.net ? "virtio-net" : "no NIC"}): ` +
        `min ${f(result.min_ms)} ms  median ${f(result.median_ms)} ms  max ${f(result.max_ms)} ms\n`,
    );
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench/boot: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
