// bench/9p: small-file read ops/s (walk + open + read + clunk of /proc/boot) and append ops/s
// (walk + open + write + clunk on /log/queen.log) with our 9P client, against the QEMU guest and
// against the mock, in one run. Figures only.
//
//   npm run bench:9p -- [--ops N] [--json]

import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import type { BytePipe } from "../../host/sdk/pipe.js";
import { tcpPipe } from "../../host/sdk/pipe.js";
import { loopbackPipe } from "../../host/sdk/connect.js";
import { MANIFEST } from "../../host/generated/manifest.js";
import { P9Client } from "../../host/sdk/p9/client.js";
import { Guest } from "../../host/runtime/guest.js";
import { QemuGuest } from "../../host/runtime/qemu.js";
import { mintTicket } from "../../host/sdk/ticket/index.js";

interface Figures {
  host: string;
  ops: number;
  read_ops_per_s: number;
  append_ops_per_s: number;
}

async function run(host: string, pipe: BytePipe, ops: number): Promise<Figures> {
  const c = new P9Client(pipe);
  await c.negotiate();
  const t = mintTicket({ role: "queen", secret: MANIFEST.tickets.queen });
  if (!t.ok) throw new Error(t.error.message);
  const { fid: root } = await c.attach("queen", t.value.token);
  for (let i = 0; i < 20; i++) await c.cat(root, "/proc/boot"); // warm-up
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) await c.cat(root, "/proc/boot");
  const readS = Number(process.hrtime.bigint() - t0) / 1e9;
  t0 = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) await c.append(root, "/log/queen.log", `bench-${i}\n`);
  const appendS = Number(process.hrtime.bigint() - t0) / 1e9;
  return { host, ops, read_ops_per_s: Math.round(ops / readS), append_ops_per_s: Math.round(ops / appendS) };
}

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .option("ops", { type: "number", default: 500 })
    .option("json", { type: "boolean", default: false })
    .strict()
    .parseAsync();
  const results: Figures[] = [];
  const mock = await Guest.start();
  try {
    const end = mock.loopback.connect(MANIFEST.network.console_port);
    if (!end) throw new Error("mock console not listening");
    results.push(await run("mock", loopbackPipe(end), argv.ops));
  } finally {
    await mock.stop();
  }
  const q = await QemuGuest.start();
  try {
    await q.waitReady(30_000);
    results.push(await run("qemu", await tcpPipe("127.0.0.1", q.ports.tcp), argv.ops));
  } finally {
    await q.stop();
  }
  if (argv.json) {
    process.stdout.write(JSON.stringify(results) + "\n");
    return;
  }
  for (const r of results) {
    process.stdout.write(`${r.host.padEnd(5)} 9P (${r.ops} ops each): small-file read ${r.read_ops_per_s} ops/s  append ${r.append_ops_per_s} ops/s\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench/9p: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
