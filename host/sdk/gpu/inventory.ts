// GPU inventory for gpu-bridge-host and coh: the mock list, or the live GPUs as nvidia-smi
// reports them. nvidia-smi is found on PATH (tests put a fake one there that prints recorded
// outputs). nvidia-smi has no SM-count field, so sm_count is 0 on the live path.

import { execFile } from "node:child_process";
import { MOCK_GPUS, type GpuInfo } from "./snapshot.js";

export class InventoryError extends Error {
  override readonly name = "InventoryError";
}

/** The fields asked of nvidia-smi, in this order. */
export const QUERY_FIELDS = ["index", "name", "uuid", "memory.total", "driver_version", "mig.mode.current"] as const;
export const QUERY_ARGS = [`--query-gpu=${QUERY_FIELDS.join(",")}`, "--format=csv,noheader,nounits"];

export interface LiveGpu extends GpuInfo {
  uuid: string;
  mig: string;
}

export interface Inventory {
  backend: "mock" | "nvidia-smi";
  gpus: GpuInfo[];
  /** Notes worth a progress line (MIG mode, missing values). */
  notes: string[];
}

export function mockInventory(): Inventory {
  return { backend: "mock", gpus: MOCK_GPUS.map((g) => ({ ...g })), notes: [] };
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  missing: boolean;
}

function run(bin: string, args: string[], timeoutMs: number): Promise<Run> {
  return new Promise((res) => {
    execFile(bin, args, { timeout: timeoutMs, encoding: "utf8" }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { code?: string | number }) | null;
      if (e && e.code === "ENOENT") return res({ code: -1, stdout: "", stderr: "", missing: true });
      const code = e ? (typeof e.code === "number" ? e.code : 1) : 0;
      res({ code, stdout: String(stdout), stderr: String(stderr), missing: false });
    });
  });
}

/** `CUDA Version: 12.4` from nvidia-smi's banner, or "unknown". */
export function cudaVersion(banner: string): string {
  const m = /CUDA Version:\s*([0-9]+(?:\.[0-9]+)*)/.exec(banner);
  return m ? m[1] : "unknown";
}

const NA = /^\[(N\/A|Not Supported|Unknown Error)\]$/;

/** Parses the csv,noheader,nounits query output: one GPU per line. */
export function parseQuery(csv: string, runtime: string): { gpus: LiveGpu[]; notes: string[] } {
  const gpus: LiveGpu[] = [];
  const notes: string[] = [];
  for (const [n, raw] of csv.split("\n").entries()) {
    const line = raw.trim();
    if (!line) continue;
    const f = line.split(",").map((x) => x.trim());
    if (f.length !== QUERY_FIELDS.length) throw new InventoryError(`nvidia-smi output line ${n + 1}: ${f.length} fields, expected ${QUERY_FIELDS.length} (${QUERY_FIELDS.join(",")})`);
    const [index, name, uuid, mem, driver, mig] = f;
    if (!/^\d+$/.test(index)) throw new InventoryError(`nvidia-smi output line ${n + 1}: index '${index}' is not a number`);
    let memory = 0;
    if (NA.test(mem)) notes.push(`GPU-${index}: memory.total ${mem}, published as 0`);
    else if (/^\d+$/.test(mem)) memory = Number(mem);
    else throw new InventoryError(`nvidia-smi output line ${n + 1}: memory.total '${mem}' is not a number`);
    if (mig === "Enabled") notes.push(`GPU-${index}: MIG enabled; published as the whole GPU (MIG instances are not leased one by one)`);
    gpus.push({ id: `GPU-${index}`, name, uuid, memory_mb: memory, sm_count: 0, driver_version: NA.test(driver) || !driver ? "unknown" : driver, runtime_version: runtime, mig });
  }
  return { gpus, notes };
}

/** The live inventory from `nvidia-smi` (the binary named by `bin`, default from PATH). */
export async function nvidiaSmiInventory(bin = "nvidia-smi", timeoutMs = 10_000): Promise<Inventory> {
  const q = await run(bin, QUERY_ARGS, timeoutMs);
  if (q.missing) throw new InventoryError("nvidia-smi not found on PATH: no NVIDIA driver here; use --mock for the mock inventory");
  if (q.code !== 0) {
    const why = (q.stderr.trim() || q.stdout.trim()).split("\n")[0] || "no output";
    throw new InventoryError(`nvidia-smi failed (exit ${q.code}): ${why}; use --mock when there is no usable GPU`);
  }
  const banner = await run(bin, [], timeoutMs);
  const runtime = banner.code === 0 ? cudaVersion(banner.stdout) : "unknown";
  const { gpus, notes } = parseQuery(q.stdout, runtime);
  if (gpus.length === 0) throw new InventoryError("nvidia-smi reported no GPUs; use --mock for the mock inventory");
  return { backend: "nvidia-smi", gpus: gpus.map(({ uuid: _u, mig: _m, ...g }) => g), notes };
}
