#!/usr/bin/env node
// `npm run mock`: the core on the Node host. Its serial console is this terminal (Ctrl-] exits)
// and its network ports are real sockets on 127.0.0.1, so `cohsh` connects to it as to QEMU.

import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { MANIFEST } from "../generated/manifest.js";
import { CoreStoppedError, DEFAULT_WASM } from "./abi.js";
import { Guest } from "./guest.js";

const EXIT_KEY = 0x1d; // Ctrl-]

async function main(): Promise<number> {
  const n = MANIFEST.network;
  const argv = await yargs(hideBin(process.argv))
    .scriptName("cohesix-mock")
    .usage("$0 [options]\n\nRuns the Cohesix core on the Node host (Ctrl-] exits).")
    .option("wasm", { type: "string", default: DEFAULT_WASM, describe: "core module built by npm run build" })
    .option("ram-mib", { type: "number", default: 1024, describe: "RAM of the synthetic virt machine" })
    .option("gic", { choices: [2, 3] as const, default: 3 as 2 | 3, describe: "GIC version of the synthetic machine" })
    .option("net", { choices: ["sockets", "none"] as const, default: "sockets" as const, describe: "serve the console ports on 127.0.0.1" })
    .option("tcp-port", { type: "number", default: Number(process.env.COH_TCP_PORT ?? n.console_port) })
    .option("udp-port", { type: "number", default: Number(process.env.COH_UDP_PORT ?? n.udp_echo_port) })
    .option("smoke-port", { type: "number", default: Number(process.env.COH_SMOKE_PORT ?? n.tcp_smoke_port) })
    .strict()
    .help()
    .parseAsync();

  const guest = await Guest.start({
    wasm: argv.wasm,
    ramMiB: argv["ram-mib"],
    gic: argv.gic,
    net: argv.net === "sockets" ? "sockets" : "loopback",
    sockets: { portMap: { [n.console_port]: argv["tcp-port"], [n.udp_echo_port]: argv["udp-port"], [n.tcp_smoke_port]: argv["smoke-port"] } },
    serialWrite: (b) => process.stdout.write(b),
  });
  // Machine-readable ready line on stderr (ports actually bound: --tcp-port 0 picks a free one).
  if (argv.net === "sockets") {
    const b = guest.sockets.bound;
    process.stderr.write(`cohesix-mock: ready console=${b.get(n.console_port)} udp=${b.get(n.udp_echo_port)} smoke=${b.get(n.tcp_smoke_port)} pid=${process.pid}\n`);
  }

  const tty = process.stdin.isTTY;
  if (tty) process.stdin.setRawMode(true);
  return await new Promise<number>((done) => {
    const finish = (code: number): void => {
      if (tty) process.stdin.setRawMode(false);
      process.stdin.pause();
      void guest.stop().then(() => done(code));
    };
    process.stdin.on("data", (chunk: Buffer) => {
      const stop = chunk.indexOf(EXIT_KEY);
      try {
        guest.core.serialInput(stop >= 0 ? chunk.subarray(0, stop) : chunk);
      } catch (e) {
        if (e instanceof CoreStoppedError) return finish(70);
        throw e;
      }
      if (stop >= 0) finish(0);
    });
    // Without a terminal (a pipe that ended), keep serving the network until killed.
    process.stdin.on("end", () => {
      if (argv.net === "none") finish(0);
    });
  });
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`cohesix-mock: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
