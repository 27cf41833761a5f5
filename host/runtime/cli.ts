#!/usr/bin/env node
// `npm run mock`: the core's serial console on this terminal, through the Node host.
// Same wasm as the QEMU image; Ctrl-] leaves (QEMU's Ctrl-A x does not apply here).

import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { Core, CoreStoppedError, DEFAULT_WASM } from "./abi.js";
import { encodeBootInfo, virtMachine } from "./bootinfo.js";

const EXIT_KEY = 0x1d; // Ctrl-]

async function main(): Promise<number> {
  const argv = await yargs(hideBin(process.argv))
    .scriptName("cohesix-mock")
    .usage("$0 [options]\n\nRuns the Cohesix core's serial root console on this terminal (Ctrl-] exits).")
    .option("wasm", { type: "string", default: DEFAULT_WASM, describe: "core module built by npm run build" })
    .option("ram-mib", { type: "number", default: 1024, describe: "RAM of the synthetic virt machine" })
    .option("gic", { choices: [2, 3] as const, default: 3 as 2 | 3, describe: "GIC version of the synthetic machine" })
    .strict()
    .help()
    .parseAsync();

  let exitCode = 0;
  let timer: NodeJS.Timeout | null = null;
  const core = await Core.load(
    {
      serialWrite: (b) => process.stdout.write(b),
      bootinfo: encodeBootInfo(virtMachine(argv["ram-mib"], argv.gic)),
      timerPeriod: (ms) => {
        if (timer) clearInterval(timer);
        timer = ms > 0 ? setInterval(() => core.tick(BigInt(Math.round(performance.now()))), ms) : null;
      },
      powerOff: (code) => {
        exitCode = code;
        process.stdin.pause();
      },
    },
    argv.wasm,
  );
  core.init();

  const tty = process.stdin.isTTY;
  if (tty) process.stdin.setRawMode(true);
  return await new Promise<number>((done) => {
    const finish = (code: number): void => {
      if (timer) clearInterval(timer);
      if (tty) process.stdin.setRawMode(false);
      process.stdin.pause();
      done(code);
    };
    process.stdin.on("data", (chunk: Buffer) => {
      const stop = chunk.indexOf(EXIT_KEY);
      try {
        core.serialInput(stop >= 0 ? chunk.subarray(0, stop) : chunk);
      } catch (e) {
        if (e instanceof CoreStoppedError) return finish(70);
        throw e;
      }
      if (stop >= 0) finish(exitCode);
    });
    process.stdin.on("end", () => finish(exitCode));
  });
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`cohesix-mock: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
