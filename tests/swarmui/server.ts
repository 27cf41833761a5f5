// SwarmUI for tests: settings as the CLI resolves them, an in-process server on a free port
// (port 0), and API calls with its session token. Stopped by the caller (afterAll / finally).

import { buildParser, resolveConfig, type SwarmConfig } from "../../host/swarmui/config.js";
import { startSwarm, type RunningSwarm } from "../../host/swarmui/server.js";
import { ensureUi } from "../../host/swarmui/build_ui.js";

export async function swarmConfig(args: string[], env: NodeJS.ProcessEnv = {}): Promise<SwarmConfig> {
  return resolveConfig(await buildParser(["--port", "0", ...args]).parseAsync(), env);
}

let built: Promise<void> | null = null;
/** Builds the UI once per test file when its output is stale (the project build normally has). */
export function uiReady(): Promise<void> {
  built ??= ensureUi(() => undefined, false);
  return built;
}

export async function startTestSwarm(args: string[], env: NodeJS.ProcessEnv = {}, opts: { now?: () => number } = {}): Promise<RunningSwarm> {
  return startSwarm(await swarmConfig(args, env), opts);
}

export async function get<T = unknown>(s: RunningSwarm, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: T; headers: Headers }> {
  const r = await fetch(new URL(path, s.url), { headers: { "x-swarmui-session": s.token, ...headers } });
  return { status: r.status, body: (await r.json()) as T, headers: r.headers };
}

export async function post<T = unknown>(s: RunningSwarm, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
  const r = await fetch(new URL(path, s.url), { method: "POST", headers: { "x-swarmui-session": s.token, "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  return { status: r.status, body: (await r.json()) as T };
}
