// A FAKE Docker Engine API on a unix socket, for host-ticket-agent's docker executor: the few
// routes it calls (GET /info, GET /containers/<c>/json, POST /containers/<c>/{restart,stop}) with
// the real API's status codes (204, 304 already stopped, 404 no such container) and state that
// persists across calls; every mutating call is counted per container.

import { createServer, type Server } from "node:http";
import { rmSync } from "node:fs";

export interface FakeContainer {
  running: boolean;
  startedAt: string;
}

export interface FakeDocker {
  socket: string;
  containers: Map<string, FakeContainer>;
  /** `restart <name>` / `stop <name>` → how many times it ran. */
  exec: Map<string, number>;
  stop(): Promise<void>;
}

export async function startFakeDocker(socket: string, names: string[]): Promise<FakeDocker> {
  const containers = new Map(names.map((n) => [n, { running: true, startedAt: new Date(0).toISOString() }]));
  const exec = new Map<string, number>();
  let clock = 1;
  const send = (res: import("node:http").ServerResponse, status: number, body?: unknown): void => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(body === undefined ? "" : JSON.stringify(body));
  };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://docker");
    const path = url.pathname.replace(/^\/v[0-9.]+/, "");
    if (req.method === "GET" && path === "/info") {
      const cs = [...containers.values()];
      return send(res, 200, { ServerVersion: "27.1.1-fake", Containers: cs.length, ContainersRunning: cs.filter((c) => c.running).length });
    }
    const m = /^\/containers\/([^/]+)\/(json|restart|stop)$/.exec(path);
    if (!m) return send(res, 404, { message: `page not found: ${path}` });
    const name = decodeURIComponent(m[1]);
    const c = containers.get(name);
    if (!c) return send(res, 404, { message: `No such container: ${name}` });
    if (req.method === "GET" && m[2] === "json") return send(res, 200, { Name: `/${name}`, State: { Status: c.running ? "running" : "exited", Running: c.running, StartedAt: c.startedAt } });
    if (req.method !== "POST") return send(res, 405, { message: "method not allowed" });
    exec.set(`${m[2]} ${name}`, (exec.get(`${m[2]} ${name}`) ?? 0) + 1);
    if (m[2] === "stop") {
      if (!c.running) return send(res, 304);
      c.running = false;
      return send(res, 204);
    }
    c.running = true;
    c.startedAt = new Date(clock++ * 1000).toISOString();
    return send(res, 204);
  });
  rmSync(socket, { force: true });
  await new Promise<void>((res, rej) => {
    server.once("error", rej);
    server.listen(socket, () => res());
  });
  return {
    socket,
    containers,
    exec,
    stop: () => new Promise<void>((res) => server.close(() => (rmSync(socket, { force: true }), res()))),
  };
}
