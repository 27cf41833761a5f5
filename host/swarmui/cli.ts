// swarmui: serves the Live Hive web app and its API; prints one start-up line (its URL) on
// stdout once it listens (`--json`: as JSON). SIGTERM/SIGINT stop it. `--mint-ticket` prints a
// ticket and exits, as cohsh does.

import { spawn } from "node:child_process";
import { hideBin } from "yargs/helpers";
import { buildParser, ConfigError, resolveConfig } from "./config.js";
import { ensureUi } from "./build_ui.js";
import { mint } from "./mint.js";
import { startSwarm } from "./server.js";

async function main(): Promise<number> {
  const argv = await buildParser(hideBin(process.argv)).parseAsync();
  let cfg;
  try {
    cfg = resolveConfig(argv, process.env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`swarmui: ${e.message}\n`);
    return 2;
  }
  if (argv["mint-ticket"]) {
    const m = mint(cfg.role, cfg.subject, cfg.ticketSecret, cfg.ticketConfig);
    if (!m.ok) {
      process.stderr.write(`swarmui: ${m.error}\n`);
      return 2;
    }
    process.stdout.write(cfg.json ? JSON.stringify({ role: m.role, ticket: m.ticket }) + "\n" : m.ticket + "\n");
    return 0;
  }
  await ensureUi((l) => process.stderr.write(`swarmui: ${l}\n`), cfg.mock);
  const s = await startSwarm(cfg);
  let stopping = false;
  const stop = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      await s.stop().catch(() => undefined);
    }
    process.exit(code);
  };
  process.once("SIGTERM", () => void stop(143));
  process.once("SIGINT", () => void stop(130));
  const line = { url: s.url, mode: s.state.mode, transport: cfg.mock ? "mock" : cfg.transport, role: s.state.link?.role ?? null };
  process.stdout.write(cfg.json ? JSON.stringify(line) + "\n" : `swarmui listening on ${s.url} (mode ${line.mode}, transport ${line.transport})\n`);
  if (cfg.open) {
    const opener = process.platform === "darwin" ? "open" : process.platform === "win32" ? "explorer" : "xdg-open";
    const p = spawn(opener, [s.url], { stdio: "ignore", detached: true });
    p.on("error", () => process.stderr.write(`swarmui: could not run ${opener}; open ${s.url} yourself\n`));
    p.unref();
  }
  return new Promise<number>(() => undefined);
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`swarmui: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
