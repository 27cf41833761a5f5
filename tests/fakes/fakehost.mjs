#!/usr/bin/env node
// FAKE host tools for tests (docs/HOST.md, "real and fake"): one script answering as `systemctl`,
// `docker`, `kubectl` or `nvidia-smi` (by the name it was called with, via the symlinks in
// tests/fakes/bin/). State lives in the JSON file $FAKE_HOST_STATE, so it persists between calls:
// a restart gives a unit a new InvocationID, a cordon marks the node, and every mutating call is
// counted in `exec` (what the crash tests compare against tickets). `fail.<tool>` = "message"
// makes that tool exit 1 with the message (a provider that is not available).
// Calls are serialised with an O_EXCL lock file so concurrent callers never lose an update.

import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { randomBytes } from "node:crypto";

const tool = basename(process.argv[1]);
const args = process.argv.slice(2);
const file = process.env.FAKE_HOST_STATE;
if (!file) {
  process.stderr.write(`${tool}: FAKE_HOST_STATE is not set (this is the test fake, not the real ${tool})\n`);
  process.exit(2);
}

function lock() {
  const l = file + ".lock";
  for (let i = 0; i < 2000; i++) {
    try {
      closeSync(openSync(l, "wx"));
      return () => rmSync(l, { force: true });
    } catch {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
  rmSync(l, { force: true }); // a holder killed with SIGKILL: take it over
  closeSync(openSync(l, "wx"));
  return () => rmSync(l, { force: true });
}

const unlock = lock();
const state = existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : {};
let dirty = false;
const save = () => {
  const t = `${file}.${process.pid}.tmp`;
  writeFileSync(t, JSON.stringify(state, null, 1));
  renameSync(t, file);
};
const count = (what) => {
  state.exec = state.exec ?? {};
  state.exec[what] = (state.exec[what] ?? 0) + 1;
  dirty = true;
};
const out = (s) => process.stdout.write(s);
const done = (code, err) => {
  if (err) process.stderr.write(err + "\n");
  if (dirty) save();
  unlock();
  process.exit(code);
};

if (state.fail?.[tool]) done(1, state.fail[tool]);

const inv = () => randomBytes(16).toString("hex");

if (tool === "systemctl") {
  const units = (state.units = state.units ?? {});
  const [verb, unit, ...rest] = args;
  if (verb === "show") {
    const props = (rest.find((a) => a.startsWith("--property=")) ?? "--property=ActiveState,SubState").slice(11).split(",");
    const u = units[unit];
    // The real systemctl shows an unknown unit as inactive/dead with an empty InvocationID.
    const v = u ?? { ActiveState: "inactive", SubState: "dead", InvocationID: "" };
    for (const p of props) out(`${p}=${v[p] ?? ""}\n`);
    done(0);
  }
  if (["start", "stop", "restart"].includes(verb)) {
    const u = units[unit];
    if (!u) done(5, `Failed to ${verb} ${unit}: Unit ${unit} not found.`);
    count(`systemctl ${verb} ${unit}`);
    if (u.brokenRestart && verb !== "stop") done(0); // exits 0 but changes nothing: the postcondition must catch it
    if (verb === "stop") Object.assign(u, { ActiveState: "inactive", SubState: "dead", InvocationID: "" });
    else if (verb === "start" && u.ActiveState === "active") {
      /* already running: systemd keeps the invocation */
    } else Object.assign(u, { ActiveState: "active", SubState: "running", InvocationID: inv() });
    done(0);
  }
  done(1, `systemctl (fake): unsupported ${args.join(" ")}`);
}

if (tool === "docker") {
  const d = (state.docker = state.docker ?? { version: "27.1.1", containers: {} });
  if (args[0] === "info") {
    const cs = Object.values(d.containers);
    const n = (s) => cs.filter((c) => c.state === s).length;
    out(`${d.version} ${cs.length} ${n("running")} ${n("paused")} ${n("exited")}\n`);
    done(0);
  }
  done(1, `docker (fake): unsupported ${args.join(" ")}`);
}

if (tool === "kubectl") {
  const nodes = (state.nodes = state.nodes ?? {});
  if (args[0] === "get" && args[1] === "nodes") {
    for (const [name, n] of Object.entries(nodes)) {
      const status = (n.ready ? "Ready" : "NotReady") + (n.unschedulable ? ",SchedulingDisabled" : "");
      out(`${name}   ${status}   ${n.roles ?? "<none>"}   ${n.age ?? "10d"}   ${n.version ?? "v1.30.2"}\n`);
    }
    done(0);
  }
  if (args[0] === "cordon" || args[0] === "drain") {
    const name = args[1];
    const n = nodes[name];
    if (!n) done(1, `Error from server (NotFound): nodes "${name}" not found`);
    count(`kubectl ${args[0]} ${name}`);
    n.unschedulable = true;
    if (args[0] === "drain") {
      const blocked = (n.pods ?? []).filter((p) => p.pdbBlocked);
      if (blocked.length > 0) done(1, `error when evicting pods/"${blocked[0].name}" -n "default" (will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.`);
      n.pods = [];
    }
    out(`node/${name} ${args[0] === "drain" ? "drained" : "cordoned"}\n`);
    done(0);
  }
  done(1, `kubectl (fake): unsupported ${args.join(" ")}`);
}

if (tool === "nvidia-smi") {
  const gpus = state.gpus ?? [];
  if (!args.some((a) => a.startsWith("--query-gpu="))) done(1, "nvidia-smi (fake): only --query-gpu is faked");
  for (const g of gpus) out(`${g.index}, ${g.util}, ${g.memUsed}, ${g.memTotal}, ${g.temp}, ${g.power}\n`);
  done(0);
}

done(1, `fakehost: unknown tool ${tool}`);
