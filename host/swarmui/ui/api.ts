// Same-origin API calls with this page's session token (from the served index.html). The page
// never holds the console token; every call returns a Result-like {ok, value | error}.

import type { ApiError, Bootstrap, PollBatch } from "../shared/types.js";

const token = document.querySelector<HTMLMetaElement>('meta[name="swarmui-session"]')?.content ?? "";

export type Got<T> = { ok: true; value: T } | { ok: false; error: string; status: number; detail?: string };

async function call<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<Got<T>> {
  try {
    const r = await fetch(path, {
      method,
      headers: { "x-swarmui-session": token, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      cache: "no-store",
    });
    const j = (await r.json().catch(() => ({ error: `HTTP ${r.status}` }))) as T & Partial<ApiError>;
    if (!r.ok) return { ok: false, error: j.error ?? `HTTP ${r.status}`, status: r.status, detail: j.detail };
    return { ok: true, value: j };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e), status: 0 };
  }
}

export const api = {
  bootstrap: () => call<Bootstrap>("GET", "/api/bootstrap"),
  poll: (after: number) => call<{ batches: PollBatch[] }>("GET", `/api/poll?after=${after}`),
  detail: (agent: string) => call<{ agent: string; lines: string[] }>("GET", `/api/detail?agent=${encodeURIComponent(agent)}`),
  ls: (path: string) => call<{ path: string; entries: string[] }>("GET", `/api/ns/ls?path=${encodeURIComponent(path)}`),
  cat: (path: string) => call<{ path: string; lines: string[] }>("GET", `/api/ns/cat?path=${encodeURIComponent(path)}`),
  fleet: () => call<{ lines: string[] }>("GET", "/api/fleet"),
  telemetry: (worker: string) => call<{ ok: boolean; lines: string[] }>("GET", `/api/telemetry?worker=${encodeURIComponent(worker)}`),
  gpu: () => call<{ gpus: Array<{ id: string; info: string; lease: string[]; status: string[] }>; bridge: string | null }>("GET", "/api/gpu"),
  console: (line: string) => call<{ ok: boolean; lines: string[] }>("POST", "/api/console", { line }),
  connect: (role: string, ticket?: string) => call<{ ok: boolean; role: string; mode: string }>("POST", "/api/connect", { role, ticket }),
  mode: (offline: boolean, key: string) => call<{ mode: string }>("POST", "/api/mode", { offline, key }),
  snapshot: (key: string) => call<{ path: string; bytes: number; events: number }>("POST", "/api/snapshot", { key }),
  reset: () => call<{ ok: boolean }>("POST", "/api/hive/reset", {}),
  mint: (role: string, subject?: string) => call<{ ticket: string; role: string }>("POST", "/api/mint", { role, subject }),
  /** Live batches by server-sent events (EventSource cannot set headers: the token rides in the query). */
  events: (onBatch: (b: PollBatch) => void, onError: () => void): EventSource => {
    const es = new EventSource(`/api/events?session=${encodeURIComponent(token)}`);
    es.addEventListener("batch", (e) => onBatch(JSON.parse((e as MessageEvent<string>).data) as PollBatch));
    es.onerror = onError;
    return es;
  },
};
