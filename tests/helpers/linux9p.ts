// A real 9P2000.L client: the Linux kernel, booted in an x86_64 QEMU with a busybox initramfs,
// mounting a Cohesix guest's namespace through the host's forwarded console port (10.0.2.2 is
// the host from inside QEMU's user network). Facts: shared/reference/linux-v9fs-client.md.

import { spawn, spawnSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../host/runtime/qemu.js";

/** Unpacks (once) the kernel, modules and busybox: build/fetch-linux9p.sh. */
export function linuxRoot(): string {
  const r = spawnSync("bash", [join(ROOT, "build/fetch-linux9p.sh")], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`fetch-linux9p failed: ${r.stderr}`);
  return r.stdout.trim();
}

interface Entry {
  name: string;
  mode: number;
  data: Buffer;
}

/** A newc cpio archive (the initramfs format), written here because the machine has no cpio. */
export function cpioNewc(entries: Entry[]): Buffer {
  const parts: Buffer[] = [];
  const pad4 = (n: number): Buffer => Buffer.alloc((4 - (n % 4)) % 4);
  const hex = (v: number): string => v.toString(16).padStart(8, "0");
  let ino = 1;
  const add = (name: string, mode: number, data: Buffer): void => {
    const nameBuf = Buffer.from(name + "\0");
    const header =
      "070701" + hex(ino++) + hex(mode) + hex(0) + hex(0) + hex(1) + hex(0) + hex(data.length) + hex(0) + hex(0) + hex(0) + hex(0) + hex(nameBuf.length) + hex(0);
    parts.push(Buffer.from(header), nameBuf, pad4(110 + nameBuf.length), data, pad4(data.length));
  };
  for (const e of entries) add(e.name, e.mode, e.data);
  add("TRAILER!!!", 0, Buffer.alloc(0));
  return Buffer.concat(parts);
}

export interface LinuxRun {
  output: string;
  /** Per command: its output and exit status, in order. */
  results: Array<{ cmd: string; out: string; rc: number }>;
}

const DIR = 0o040755;
const FILE = 0o100755;

function initScript(mountOpts: string, commands: string[], modules: string[]): string {
  const lines = [
    "#!/bin/busybox sh",
    "/bin/busybox --install -s /bin",
    "mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev",
    ...modules.map((m) => `insmod /modules/${m}.ko`),
    "ip link set lo up; ip link set eth0 up; ip addr add 10.0.2.15/24 dev eth0; ip route add default via 10.0.2.2",
    "mkdir -p /mnt",
    `mount -t 9p -o ${mountOpts} 10.0.2.2 /mnt; echo "@@MOUNT $?"`,
  ];
  commands.forEach((c, i) => {
    // Markers delimit each command's output on the serial console.
    lines.push(`echo "@@CMD ${i}"`, `(${c}) 2>&1`, `echo "@@RC ${i} $?"`);
  });
  lines.push('echo "@@DONE"', "poweroff -f");
  return lines.join("\n") + "\n";
}

/** Boots Linux, mounts 9P from the host's `port`, runs `commands` in /bin/sh, powers off. */
export async function runLinuxClient(opts: { port: number; uname: string; aname: string; commands: string[]; timeoutMs?: number }): Promise<LinuxRun> {
  const root = linuxRoot();
  const modules = readFileSync(join(root, "modules/order"), "utf8").trim().split(/\s+/);
  const mountOpts = `trans=tcp,port=${opts.port},version=9p2000.L,msize=8192,aname=${opts.aname},uname=${opts.uname},access=any`;
  const entries: Entry[] = [
    { name: "bin", mode: DIR, data: Buffer.alloc(0) },
    { name: "bin/busybox", mode: FILE, data: readFileSync(join(root, "busybox")) },
    { name: "proc", mode: DIR, data: Buffer.alloc(0) },
    { name: "sys", mode: DIR, data: Buffer.alloc(0) },
    { name: "dev", mode: DIR, data: Buffer.alloc(0) },
    { name: "modules", mode: DIR, data: Buffer.alloc(0) },
    ...readdirSync(join(root, "modules"))
      .filter((f) => f.endsWith(".ko"))
      .map((f) => ({ name: `modules/${f}`, mode: 0o100644, data: readFileSync(join(root, "modules", f)) })),
    { name: "init", mode: FILE, data: Buffer.from(initScript(mountOpts, opts.commands, modules)) },
  ];
  const initrd = join(ROOT, "out/test", `linux9p-${process.pid}-${Date.now()}.cpio`);
  spawnSync("mkdir", ["-p", join(ROOT, "out/test")]);
  const { writeFileSync, rmSync } = await import("node:fs");
  writeFileSync(initrd, cpioNewc(entries));
  const args = [
    "-M", "q35", "-m", "256", "-smp", "1", "-nographic", "-no-reboot",
    "-L", "/usr/share/qemu", "-bios", "/usr/share/qemu/qboot.rom", "-vga", "none",
    "-kernel", join(root, "vmlinuz"), "-initrd", initrd,
    "-append", "console=ttyS0 quiet panic=-1 rdinit=/init",
    "-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0,romfile=",
  ];
  const proc = spawn("qemu-system-x86_64", args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr.on("data", (d: Buffer) => (out += d.toString()));
  try {
    await new Promise<void>((res, rej) => {
      const t = setTimeout(() => rej(new Error(`Linux client did not finish in ${opts.timeoutMs ?? 60000} ms:\n${out}`)), opts.timeoutMs ?? 60000);
      proc.once("exit", () => {
        clearTimeout(t);
        res();
      });
    });
  } finally {
    if (proc.exitCode === null && proc.pid !== undefined) {
      process.kill(proc.pid, "SIGKILL");
      await new Promise((r) => proc.once("exit", r));
    }
    rmSync(initrd, { force: true });
  }
  const text = out.replace(/\r/g, "");
  const results = opts.commands.map((cmd, i) => {
    const start = text.indexOf(`@@CMD ${i}\n`);
    const rcMatch = new RegExp(`@@RC ${i} (\\d+)`).exec(text);
    const end = rcMatch ? rcMatch.index : -1;
    return { cmd, out: start >= 0 && end > start ? text.slice(start + `@@CMD ${i}\n`.length, end) : "", rc: rcMatch ? Number(rcMatch[1]) : -1 };
  });
  return { output: text, results };
}
