// Assembles one running SwarmUI from its settings: the mock hive (--mock), the batch source
// (live, --replay file, or --offline store), the HTTP app on its bound port. Tests start it
// in-process through here; the CLI does the same and adds signals.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { MANIFEST } from "../generated/manifest.js";
import { buildApp } from "./app.js";
import { ROOT, type SwarmConfig } from "./config.js";
import { startMockHive, type MockHive } from "./hive.js";
import { ReplaySource } from "./replay.js";
import { decodeReplay } from "./snapshot.js";
import { SwarmState } from "./state.js";

export const UI_DIR = join(ROOT, "out/swarmui/ui");

export interface RunningSwarm {
  app: FastifyInstance;
  state: SwarmState;
  url: string;
  /** The per-start session token (tests drive the API with it; it is printed nowhere). */
  token: string;
  stop(): Promise<void>;
}

export class StartError extends Error {
  override readonly name = "StartError";
}

export async function startSwarm(cfg: SwarmConfig, opts: { uiDir?: string; token?: string; now?: () => number } = {}): Promise<RunningSwarm> {
  let mock: MockHive | null = null;
  let initial;
  if (cfg.replay) {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(cfg.replay);
    } catch (e) {
      throw new StartError(`--replay ${cfg.replay}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    const d = decodeReplay(bytes, MANIFEST.swarmui.snapshot_max_events, MANIFEST.swarmui.line_cap_bytes);
    if (!d.ok) throw new StartError(`--replay ${cfg.replay}: ${d.error}`);
    initial = new ReplaySource(d.value, "replay");
  } else {
    initial = new ReplaySource({ version: 1, created_ms: 0, agents: [], events: [] }, "offline");
  }
  if (cfg.mock) mock = await startMockHive(cfg.mockWorkers, cfg.mockWasm);
  const state = new SwarmState(cfg, mock, initial);
  if (!cfg.replay) {
    if (cfg.offline) {
      try {
        await state.goOffline("demo");
      } catch {
        // No stored snapshot yet: offline with an empty hive (the UI says so).
      }
    } else {
      await state.goOnline(cfg.role, cfg.ticket).catch(async (e: unknown) => {
        await state.stop();
        throw new StartError(`cannot reach the hive (${cfg.transport}${cfg.transport === "rest" ? " " + cfg.restUrl : ` ${cfg.host}:${cfg.port}`}): ${e instanceof Error ? e.message : String(e)}`);
      });
    }
  }
  const { app, token } = await buildApp({ state, uiDir: opts.uiDir ?? UI_DIR, token: opts.token, allowAnyHost: cfg.allowNonLoopback, https: cfg.tls, now: opts.now });
  await app.listen({ host: cfg.bind.host, port: cfg.bind.port });
  const addr = app.server.address();
  const port = addr && typeof addr === "object" ? addr.port : cfg.bind.port;
  const host = cfg.bind.host.includes(":") ? `[${cfg.bind.host}]` : cfg.bind.host;
  return {
    app,
    state,
    token,
    url: `${cfg.tls ? "https" : "http"}://${host}:${port}/`,
    stop: async () => {
      await app.close();
      await state.stop();
    },
  };
}
