// gpu-bridge-host: the live inventory through a fake nvidia-smi on PATH printing kept outputs
// (one GPU, eight GPUs, MIG enabled, driver error; tests/fixtures/nvidia-smi/), the registry
// rules (missing = empty, malformed = an error naming the file), and the CLI publishing to a
// Node-hosted guest on a real TCP port over the console and Secure9P, once and on an interval.

import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MANIFEST } from "../host/generated/manifest.js";
import { Guest } from "../host/runtime/guest.js";
import { InventoryError, nvidiaSmiInventory, parseQuery } from "../host/sdk/gpu/inventory.js";
import { loadRegistry, RegistryError } from "../host/sdk/gpu/registry.js";
import { infoJson } from "../host/sdk/gpu/snapshot.js";
import { tcpTransport } from "../host/sdk/connect.js";
import { clientOn } from "../host/sdk/open.js";
import { manifestTicket } from "./helpers/tickets.js";
import { runBin, type Ran } from "./helpers/run.js";

const ROOT = resolve(import.meta.dirname, "..");
const FIX = join(ROOT, "tests/fixtures/nvidia-smi");
const tmp = mkdtempSync(join(tmpdir(), "gpu-bridge-"));
const fakeBin = join(tmp, "bin");
mkdirSync(fakeBin);
symlinkSync(join(FIX, "nvidia-smi"), join(fakeBin, "nvidia-smi"));
const withFake = (set: string): NodeJS.ProcessEnv => ({ ...process.env, PATH: `${fakeBin}:${process.env.PATH}`, FAKE_NVIDIA_SMI_DIR: join(FIX, set) });

let guest: Guest;
let port: number;
beforeAll(async () => {
  guest = await Guest.start({ net: "sockets", sockets: { portMap: { 31337: 0, 31338: 0, 31339: 0 } } });
  port = guest.sockets.bound.get(31337)!;
});
afterAll(async () => {
  await guest?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

/** The CLI as a child process (the guest it talks to runs in this process's event loop). */
const cli = (args: string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> => runBin("gpu-bridge-host", args, { env });

async function queenCat(path: string): Promise<string[]> {
  const ns = clientOn(tcpTransport("127.0.0.1", port), {});
  try {
    await ns.attach("queen");
    return await ns.read(path);
  } finally {
    await ns.close();
  }
}

describe("live inventory through nvidia-smi (a fake on PATH printing kept outputs)", () => {
  const inv = async (set: string) => {
    const saved = { PATH: process.env.PATH, D: process.env.FAKE_NVIDIA_SMI_DIR };
    Object.assign(process.env, { PATH: withFake(set).PATH, FAKE_NVIDIA_SMI_DIR: join(FIX, set) });
    try {
      return await nvidiaSmiInventory();
    } finally {
      process.env.PATH = saved.PATH;
      if (saved.D === undefined) delete process.env.FAKE_NVIDIA_SMI_DIR;
      else process.env.FAKE_NVIDIA_SMI_DIR = saved.D;
    }
  };

  it("one GPU: name, memory and driver from the query, CUDA version from the banner, sm_count 0", async () => {
    const r = await inv("one");
    expect(r.backend).toBe("nvidia-smi");
    expect(r.gpus).toEqual([{ id: "GPU-0", name: "NVIDIA GeForce RTX 4090", memory_mb: 24564, sm_count: 0, driver_version: "550.54.15", runtime_version: "12.4" }]);
    expect(r.notes).toEqual([]);
  });

  it("eight GPUs, ids GPU-0..GPU-7", async () => {
    const r = await inv("eight");
    expect(r.gpus.map((g) => g.id)).toEqual(Array.from({ length: 8 }, (_, i) => `GPU-${i}`));
    expect(r.gpus.every((g) => g.memory_mb === 81559 && g.runtime_version === "12.2")).toBe(true);
  });

  it("MIG enabled: the GPU is published whole, with a note", async () => {
    const r = await inv("mig");
    expect(r.gpus).toHaveLength(2);
    expect(r.notes).toEqual(["GPU-0: MIG enabled; published as the whole GPU (MIG instances are not leased one by one)"]);
  });

  it("the older drivers' 79-column banner gives the CUDA version too; [N/A] MIG on a board without MIG is no note", async () => {
    const r = await inv("legacy");
    expect(r.gpus).toEqual([{ id: "GPU-0", name: "Tesla T4", memory_mb: 15360, sm_count: 0, driver_version: "470.223.02", runtime_version: "11.4" }]);
    expect(r.notes).toEqual([]);
  });

  it("driver error, no devices and no nvidia-smi: a clear error naming --mock", async () => {
    await expect(inv("no-devices")).rejects.toThrow(/^nvidia-smi failed \(exit 6\): No devices were found; use --mock when there is no usable GPU$/);
    await expect(inv("driver-error")).rejects.toThrow(/^nvidia-smi failed \(exit 9\): NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.*use --mock/);
    await expect(nvidiaSmiInventory(join(tmp, "no-such-nvidia-smi"))).rejects.toThrow(/nvidia-smi not found on PATH.*use --mock/);
  });

  it("malformed query output is an error, [N/A] memory a note", () => {
    expect(() => parseQuery("0, X, GPU-u, 100\n", "12.4")).toThrow(InventoryError);
    expect(() => parseQuery("a, X, GPU-u, 100, 1.0, Disabled\n", "12.4")).toThrow(/index 'a'/);
    expect(parseQuery("0, X, GPU-u, [N/A], 1.0, [N/A]\n", "12.4").notes).toEqual(["GPU-0: memory.total [N/A], published as 0"]);
  });
});

describe("the registry", () => {
  const reg = (name: string): string => join(tmp, name);
  const model = (root: string, id: string, text = `[model]\nid = "${id}"\n`): void => {
    mkdirSync(join(root, "available", id), { recursive: true });
    writeFileSync(join(root, "available", id, "manifest.toml"), text);
  };

  it("missing registry = empty catalogue; a directory without manifest.toml is not a model yet", () => {
    expect(loadRegistry(undefined)).toEqual({ models: [], active: "" });
    expect(loadRegistry(reg("absent"))).toEqual({ models: [], active: "" });
    const r = reg("ok");
    model(r, "b-model");
    model(r, "a-model");
    mkdirSync(join(r, "available", "half-imported"));
    writeFileSync(join(r, "active"), "\nb-model\n");
    expect(loadRegistry(r)).toEqual({ models: [{ id: "a-model", manifest: '[model]\nid = "a-model"' }, { id: "b-model", manifest: '[model]\nid = "b-model"' }], active: "b-model" });
  });

  it("malformed: each error names the file", () => {
    const r1 = reg("bad-toml");
    model(r1, "m", "[model\nid=");
    expect(() => loadRegistry(r1)).toThrow(new RegExp(`${r1}/available/m/manifest.toml: not TOML`));
    const r2 = reg("wrong-id");
    model(r2, "m", '[model]\nid = "other"\n');
    expect(() => loadRegistry(r2)).toThrow(/available\/m\/manifest.toml: \[model\] id must be "m"/);
    const r3 = reg("unknown-active");
    model(r3, "m");
    writeFileSync(join(r3, "active"), "ghost\n");
    expect(() => loadRegistry(r3)).toThrow(new RegExp(`${r3}/active: active model ghost is not in`));
    const r4 = reg("too-big");
    model(r4, "m", `[model]\nid = "m"\nx = "${"y".repeat(MANIFEST.gpu.manifest_max_bytes)}"\n`);
    expect(() => loadRegistry(r4)).toThrow(RegistryError);
    const r5 = reg("bad-name");
    model(r5, "a b");
    expect(() => loadRegistry(r5)).toThrow(/'a b' is not a model id/);
  });
});

describe("the CLI", () => {
  it("--mock --list prints the v1 namespace JSON", async () => {
    const r = await cli(["--mock", "--list"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.nodes.map((n: { id: string }) => n.id)).toEqual(["GPU-0", "GPU-1"]);
    expect(doc.nodes[0].info_payload).toBe(infoJson({ id: "GPU-0", name: "Mock 4090", memory_mb: 24576, sm_count: 144, driver_version: "555.0", runtime_version: "12.4" }));
    expect(doc.models).toEqual({ active: "", available: [] });
    expect(doc.telemetry_schema.schema_version).toBe("gpu-telemetry/v1");
  });

  it("usage errors exit 2 with one line; no GPU exits 1 naming --mock", async () => {
    expect(await cli(["--mock"])).toMatchObject({ code: 2, stderr: "gpu-bridge-host: error: give exactly one of --list or --publish\n" });
    expect((await cli(["--mock", "--list", "--interval-ms", "50"])).code).toBe(2);
    const r = await cli(["--list"], withFake("driver-error"));
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/use --mock/);
    expect((await cli(["--list", "--json"], withFake("driver-error"))).stdout).toMatch(/^\{"ok":false,"error":"nvidia-smi failed/);
  });

  it("--publish over the console: eight live GPUs (fake nvidia-smi) and a registry, one summary line", async () => {
    const r = reg2();
    const out = await cli(["--publish", "--registry", r, "--tcp-port", String(port)], withFake("eight"));
    expect(out.stderr).toMatch(/inventory backend=nvidia-smi gpus=8 models=1 active=edge-v1/);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^published bytes=\d+ sha256=[0-9a-f]{64} gpus=8 models=1 ms=\d+\n$/);
    expect(await queenCat("/gpu/bridge/status")).toEqual([expect.stringMatching(/^state=ok bytes=\d+ sha256=[0-9a-f]{64}$/)]);
    expect((await queenCat("/gpu/GPU-7/info")).join("\n")).toContain('"name": "NVIDIA H100 80GB HBM3"');
    expect(await queenCat("/gpu/models/active")).toContain("edge-v1");
  });

  it("--publish over Secure9P with a queen ticket (env: reference), --json", async () => {
    const env = { ...process.env, QUEEN_TICKET: manifestTicket("queen") };
    const out = await cli(["--mock", "--publish", "--protocol", "9p", "--ticket", "env:QUEEN_TICKET", "--tcp-port", String(port), "--json"], env);
    expect(out.code).toBe(0);
    const j = JSON.parse(out.stdout);
    expect(j).toMatchObject({ ok: true, gpus: 2, models: 0 });
    expect(j.lines).toBeLessThan(10); // 4 KiB lines over 9P, not 124-character ones
    expect(out.stdout + out.stderr).not.toContain("cohesix-ticket-");
  });

  it("a snapshot over bridge_max_bytes is refused before anything is sent", async () => {
    const r = join(tmp, "huge");
    for (let i = 0; i < MANIFEST.gpu.models_max; i++) {
      const id = `m-${String(i).padStart(3, "0")}`;
      mkdirSync(join(r, "available", id), { recursive: true });
      writeFileSync(join(r, "available", id, "manifest.toml"), `[model]\nid = "${id}"\npad = "${"p".repeat(MANIFEST.gpu.manifest_max_bytes - 40)}"\n`);
    }
    const before = await queenCat("/gpu/bridge/status");
    const out = await cli(["--mock", "--publish", "--registry", r, "--tcp-port", String(port)]);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/exceeds \[gpu\] bridge_max_bytes 131072; nothing was sent/);
    expect(await queenCat("/gpu/bridge/status")).toEqual(before);
  });

  it("--interval-ms publishes again and again; SIGTERM stops it cleanly", async () => {
    const child = spawn(join(ROOT, "bin/gpu-bridge-host"), ["--mock", "--publish", "--interval-ms", "200", "--tcp-port", String(port)], { cwd: ROOT });
    try {
      let out = "";
      await new Promise<void>((res, rej) => {
        const t = setTimeout(() => rej(new Error("no second publish: " + out)), 30_000);
        child.stdout.on("data", (b: Buffer) => {
          out += b.toString();
          if ((out.match(/^published /gm) ?? []).length >= 2) {
            clearTimeout(t);
            res();
          }
        });
      });
      const code = await new Promise<number | null>((res) => {
        child.once("exit", (c) => res(c));
        child.kill("SIGTERM");
      });
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});

function reg2(): string {
  const r = join(tmp, "live");
  mkdirSync(join(r, "available", "edge-v1"), { recursive: true });
  writeFileSync(join(r, "available", "edge-v1", "manifest.toml"), '[model]\nid = "edge-v1"\nbase = "cohesix/base@v1"\n');
  writeFileSync(join(r, "active"), "edge-v1\n");
  return r;
}
