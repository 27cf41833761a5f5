// npm run flash (host/flash): the write/verify path against regular-file targets, the refusals
// against a fake /sys + /proc tree describing an (unattached) loop device node, and the decision
// rules on their own. Never a real disk: every block-device case here is refused before writing,
// and none passes --yes.

import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decide, gatherFacts, type TargetFacts } from "../host/flash/target.js";
import { MANIFEST } from "../host/generated/manifest.js";
import { ROOT } from "../host/runtime/qemu.js";

const tmp = mkdtempSync(join(tmpdir(), "cohesix-flash-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const image = join(tmp, "disk.img");
writeFileSync(image, Buffer.from(Array.from({ length: 9 << 20 }, (_, i) => (i * 7 + (i >> 12)) & 0xff))); // 9 MiB: three chunks

function flash(args: string[], stdin = ""): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [resolve(ROOT, "node_modules/tsx/dist/cli.mjs"), resolve(ROOT, "host/flash/cli.ts"), "--image", image, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    p.stdin.end(stdin);
    p.on("exit", (code) => res({ code, stdout, stderr }));
  });
}

/** /sys/block/<name> and /proc/{mounts,swaps} as the kernel lays them out. */
function fakeRoots(name: string, opts: { removable: boolean; sectors: number; mounted?: string }): { sys: string; proc: string } {
  const r = mkdtempSync(join(tmp, "roots-"));
  const dev = join(r, "sys/block", name);
  mkdirSync(join(dev, `${name}p1`), { recursive: true });
  mkdirSync(join(dev, "device"), { recursive: true });
  writeFileSync(join(dev, "removable"), opts.removable ? "1\n" : "0\n");
  writeFileSync(join(dev, "size"), `${opts.sectors}\n`);
  writeFileSync(join(dev, "device/model"), "Fake Stick\n");
  mkdirSync(join(r, "proc"));
  writeFileSync(join(r, "proc/mounts"), opts.mounted ? `/dev/${opts.mounted} /media/stick vfat rw 0 0\nproc /proc proc rw 0 0\n` : "proc /proc proc rw 0 0\n");
  writeFileSync(join(r, "proc/swaps"), "Filename\tType\tSize\tUsed\tPriority\n");
  return { sys: join(r, "sys"), proc: join(r, "proc") };
}

describe("npm run flash: file targets (write, progress, read-back)", () => {
  it("--yes writes the image, reports progress on stderr and a verified result as JSON", async () => {
    const out = join(tmp, "out1.img");
    writeFileSync(out, Buffer.alloc(16 << 20, 0xaa)); // bigger than the image: the file is replaced, not merged
    const r = await flash(["--device", out, "--yes", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(out).equals(readFileSync(image))).toBe(true);
    expect(r.stderr).toMatch(/\[flash\] writing 100% \(9437184\/9437184 bytes/);
    expect(r.stderr).toMatch(/\[flash\] verifying 100%/);
    expect(r.stderr).toMatch(/regular file, 16777216 bytes/);
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: "file", bytes: 9 << 20, verified: true });
  });

  it("asks first: 'yes' on stdin writes, anything else writes nothing", async () => {
    const out = join(tmp, "out2.img");
    writeFileSync(out, "keep me");
    const no = await flash(["--device", out], "no\n");
    expect(no.code).toBe(1);
    expect(no.stderr).toContain("ERR FLASH reason=not-confirmed detail=nothing written");
    expect(readFileSync(out, "utf8")).toBe("keep me");
    const yes = await flash(["--device", out], "yes\n");
    expect(yes.code, yes.stderr).toBe(0);
    expect(yes.stderr).toMatch(/type yes to overwrite/);
    expect(statSync(out).size).toBe(9 << 20);
  });

  it("a missing target or image is a clear error", async () => {
    const r = await flash(["--device", join(tmp, "nope", "x.img"), "--yes", "--json"]);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, reason: "refused" });
    expect(r.stderr).toMatch(/ERR FLASH reason=refused detail=.*does not exist/);
  });
});

describe("npm run flash: block devices are checked before anything is written", () => {
  const node = "/dev/loop7"; // a device node that exists here; the fake tree describes it
  const onlyIfNode = statSync(node, { throwIfNoEntry: false })?.isBlockDevice() ? it : it.skip;

  onlyIfNode("a mounted partition of the disk: refused even with --force", async () => {
    const roots = fakeRoots("loop7", { removable: true, sectors: 2 << 21, mounted: "loop7p1" });
    const f = gatherFacts(node, { ...roots, dev: "/dev" });
    expect(f).toMatchObject({ kind: "block", name: "loop7", removable: true, inUse: ["loop7p1"], model: "Fake Stick" });
    const r = await flash(["--device", node, "--force", "--sys-root", roots.sys, "--proc-root", roots.proc], "no\n");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/reason=refused detail=.*in use: loop7p1 mounted or swap/);
    expect(r.stderr).not.toContain("writing");
  });

  onlyIfNode("a non-removable disk needs --force", async () => {
    const roots = fakeRoots("loop7", { removable: false, sectors: 2 << 21 });
    const r = await flash(["--device", node, "--sys-root", roots.sys, "--proc-root", roots.proc], "no\n");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/reason=needs-force detail=.*not a removable disk \(--force to write anyway\)/);
  });
});

describe("flash decision rules", () => {
  const img = 44040192;
  const max = MANIFEST.uefi.flash_max_gib * 2 ** 30;
  const stick = (over: Partial<TargetFacts>): TargetFacts => ({ path: "/dev/sdz", kind: "block", name: "sdz", removable: true, sizeBytes: 8 * 2 ** 30, inUse: [], ...over });

  it("a free removable disk within the bound is written", () => {
    expect(decide(stick({}), img, max, false)).toEqual({ ok: true, forceable: [], fatal: [] });
  });
  it(`[uefi] flash_max_gib (${MANIFEST.uefi.flash_max_gib}): at the bound allowed, one sector past it needs --force`, () => {
    expect(decide(stick({ sizeBytes: max }), img, max, false).ok).toBe(true);
    const past = decide(stick({ sizeBytes: max + 512 }), img, max, false);
    expect(past.ok).toBe(false);
    expect(past.forceable[0]).toMatch(/over the \d+-byte bound/);
    expect(decide(stick({ sizeBytes: max + 512 }), img, max, true).ok).toBe(true);
  });
  it("too small, a partition, in use: never, --force or not", () => {
    for (const f of [stick({ sizeBytes: img - 512 }), stick({ isPartition: true, name: "sdz1" }), stick({ inUse: ["sdz1"] })]) {
      const d = decide(f, img, max, true);
      expect(d.ok).toBe(false);
      expect(d.fatal.length).toBe(1);
    }
    expect(decide(stick({ sizeBytes: img }), img, max, false).ok).toBe(true); // exactly the image's size
  });
});
