// UEFI boots for the e2e tests: AAVMF with a private copy of its variable store per run, the QEMU
// monitor on a unix socket (for screendump), and the RAM banks the shim reports after carving
// out what the firmware keeps.

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { QemuGuest, type QemuOptions } from "../../host/runtime/qemu.js";
import type { Range } from "../../host/runtime/bootinfo.js";

export const AAVMF_VARS = "/usr/share/AAVMF/AAVMF_VARS.fd";
export const PROMPT = "cohesix> ";

export interface UefiGuest {
  q: QemuGuest;
  monitor: string;
  stop: () => Promise<void>;
}

/** Boots out/cohesix-esp.img under AAVMF (qemu/run.sh --uefi); the caller must stop() it. */
export async function startUefi(opts: QemuOptions & { acpi?: boolean } = {}): Promise<UefiGuest> {
  const dir = mkdtempSync(join(tmpdir(), "cohesix-uefi-"));
  const vars = join(dir, "vars.fd");
  const cp = spawnSync("cp", ["--sparse=always", AAVMF_VARS, vars]);
  if (cp.status !== 0) throw new Error(`cannot copy ${AAVMF_VARS}: ${cp.stderr.toString()}`);
  const monitor = join(dir, "monitor.sock");
  const runArgs = ["--uefi", "--vars", vars, ...(opts.acpi ? ["--acpi"] : [])];
  const q = await QemuGuest.start({ ...opts, runArgs, qemuArgs: ["-monitor", `unix:${monitor},server,nowait`] });
  return {
    q,
    monitor,
    stop: async () => {
      try {
        await q.stop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

export function countPrompts(s: string): number {
  return s.split(PROMPT).length - 1;
}

/** Types each line after the previous prompt (the console must be ready). */
export async function typeLines(q: QemuGuest, lines: string[], timeoutMs = 20_000): Promise<void> {
  const base = countPrompts(q.output);
  for (let i = 0; i < lines.length; i++) {
    q.send(lines[i] + "\r");
    await q.waitFor((o) => countPrompts(o) >= base + i + 1, timeoutMs, `prompt after '${lines[i].slice(0, 20)}'`);
  }
}

/** `[shim] ram=B+S,B+S,... dtb=...` -> the banks the bootinfo was built from. */
export function reportedRam(output: string): Range[] {
  const m = /\[shim\] ram=([0-9a-fx+,]+) /.exec(output);
  if (!m) throw new Error("no [shim] ram= line in the output");
  return m[1].split(",").map((r) => {
    const [b, s] = r.split("+");
    return { base: BigInt(b), size: BigInt(s) };
  });
}

/** One human-monitor command over the unix socket; resolves with what the monitor printed. */
export async function monitorCommand(path: string, cmd: string, timeoutMs = 10_000): Promise<string> {
  const sock = connect(path);
  let buf = "";
  return await new Promise<string>((res, rej) => {
    const t = setTimeout(() => {
      sock.destroy();
      rej(new Error(`monitor: no answer to '${cmd}' in ${timeoutMs} ms: ${buf}`));
    }, timeoutMs);
    let sent = false;
    sock.on("data", (d) => {
      buf += d.toString("latin1");
      // the banner ends with the first prompt; the command's output ends with the next one
      if (!sent && buf.includes("(qemu) ")) {
        sent = true;
        buf = "";
        sock.write(cmd + "\n");
      } else if (sent && buf.includes("(qemu) ")) {
        clearTimeout(t);
        sock.end();
        res(buf);
      }
    });
    sock.on("error", (e) => {
      clearTimeout(t);
      rej(e);
    });
  });
}

export interface Ppm {
  width: number;
  height: number;
  rgb: Buffer;
}

/** Binary PPM (P6, maxval 255), as QEMU's screendump writes it. */
export function decodePpm(b: Buffer): Ppm {
  let off = 0;
  const tokens: string[] = [];
  while (tokens.length < 4) {
    while (off < b.length && /\s/.test(String.fromCharCode(b[off]))) off++;
    if (b[off] === 0x23) {
      while (off < b.length && b[off] !== 0x0a) off++;
      continue;
    }
    let t = "";
    while (off < b.length && !/\s/.test(String.fromCharCode(b[off]))) t += String.fromCharCode(b[off++]);
    tokens.push(t);
  }
  off++; // the single whitespace byte after maxval
  const [magic, w, h, max] = tokens;
  if (magic !== "P6" || max !== "255") throw new Error(`not a P6/255 PPM: ${tokens.join(" ")}`);
  const width = Number(w);
  const height = Number(h);
  const rgb = b.subarray(off, off + width * height * 3);
  if (rgb.length !== width * height * 3) throw new Error("PPM shorter than its header says");
  return { width, height, rgb };
}
