// bench/boot: wall time from spawning QEMU to `Cohesix console ready` on serial, N runs.
// A figure to read, not a test: nothing here asserts a time.
//
//   npm run bench:boot -- [--runs N] [--gic 2|3] [--cpu NAME] [--json]
//   npm run bench:boot -- --uefi [--runs N]   the ESP under AAVMF beside -kernel, in one run, with
//                                             the firmware's share (spawn -> our first line) apart

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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

/** ms from spawn to the first appearance of each marker on serial (NaN if it never came). */
async function marks(opts: Parameters<typeof QemuGuest.start>[0], markers: string[]): Promise<number[]> {
  const q = await QemuGuest.start(opts);
  const seen = markers.map(() => NaN);
  const poll = (): void => {
    const now = Number(process.hrtime.bigint() - q.spawnedAt) / 1e6;
    markers.forEach((m, i) => {
      if (Number.isNaN(seen[i]) && q.output.includes(m)) seen[i] = now;
    });
  };
  try {
    await q.waitFor(() => (poll(), !seen.some(Number.isNaN)), 60_000, markers.join(", "));
    return seen;
  } finally {
    await q.stop();
  }
}

const median = (v: number[]): number => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function uefiBench(runs: number, json: boolean): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "cohesix-bench-uefi-"));
  try {
    const kernel: number[][] = [];
    const uefi: number[][] = [];
    for (let i = 0; i <= runs; i++) {
      const vars = join(dir, `vars${i}.fd`);
      spawnSync("cp", ["--sparse=always", "/usr/share/AAVMF/AAVMF_VARS.fd", vars]);
      const k = await marks({ noNet: true }, ["[shim] cohesix", READY]);
      const u = await marks({ noNet: true, runArgs: ["--uefi", "--vars", vars] }, ["[shim] efi:", "[shim] cohesix", READY]);
      if (i > 0) {
        kernel.push(k); // run 0 only warms the page cache
        uefi.push(u);
      }
    }
    const col = (rows: number[][], i: number): number => median(rows.map((r) => r[i]));
    const result = {
      runs,
      kernel: { first_line_ms: col(kernel, 0), ready_ms: col(kernel, 1) },
      uefi: { firmware_to_efi_stage_ms: col(uefi, 0), first_shim_line_ms: col(uefi, 1), ready_ms: col(uefi, 2) },
    };
    if (json) process.stdout.write(JSON.stringify(result) + "\n");
    else {
      const f = (v: number): string => v.toFixed(1);
      process.stdout.write(
        `boot (median of ${runs}, no NIC): -kernel: first line ${f(result.kernel.first_line_ms)} ms, ready ${f(result.kernel.ready_ms)} ms\n` +
          `  UEFI ESP: firmware until our EFI stage ${f(result.uefi.firmware_to_efi_stage_ms)} ms, first [shim] line after ExitBootServices ` +
          `${f(result.uefi.first_shim_line_ms)} ms, ready ${f(result.uefi.ready_ms)} ms\n`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .option("runs", { type: "number", default: 20 })
    .option("gic", { choices: [2, 3] as const, default: 3 as 2 | 3 })
    .option("cpu", { type: "string", default: "cortex-a57" })
    .option("net", { type: "boolean", default: true, describe: "--no-net boots without the NIC" })
    .option("json", { type: "boolean", default: false })
    .option("uefi", { type: "boolean", default: false, describe: "UEFI from the ESP beside -kernel (docs/UEFI.md)" })
    .strict()
    .parseAsync();
  if (argv.uefi) return uefiBench(argv.runs, argv.json);
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
