// End to end over real TCP: the QEMU-booted image's console, UDP echo and smoke port, and the
// same .coh scripts through the mock and through QEMU with byte-identical transcripts.

import { createSocket } from "node:dgram";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConsoleClient } from "../host/sdk/console/client.js";
import { tcpPipe } from "../host/sdk/pipe.js";
import { Guest } from "../host/runtime/guest.js";
import { QemuGuest } from "../host/runtime/qemu.js";
import { frameOfLength, waitClosed } from "./helpers/console.js";
import { cohsh, loopbackConnector, runCohFile, tcpConnector } from "./helpers/cohsh.js";

const SCRIPTS = ["tests/scripts/tcp_basic.coh", "tests/scripts/log_batch.coh", "tests/scripts/negative.coh", "tests/scripts/lifecycle_basic.coh", "tests/scripts/workers.coh", "tests/scripts/telemetry_push.coh", "tests/scripts/tickets.coh", "tests/scripts/replay_journal.coh", "tests/scripts/operator_walkthrough.coh", "tests/scripts/schedule_lease.coh", "tests/scripts/trace_kmesg.coh", "tests/scripts/export_window.coh"];

async function dialRaw(port: number): Promise<{ client: ConsoleClient; sock: Socket }> {
  // A raw socket shared with a ConsoleClient: tests write arbitrary bytes, read frames back.
  const sock = connect({ host: "127.0.0.1", port });
  await new Promise<void>((res, rej) => {
    sock.once("connect", () => res());
    sock.once("error", rej);
  });
  const closeCbs: Array<(r: string) => void> = [];
  sock.on("close", () => closeCbs.forEach((cb) => cb("closed by peer")));
  sock.on("error", () => undefined);
  const client = new ConsoleClient({
    write: (b) => void sock.write(b),
    end: () => sock.end(),
    onData: (cb) => void sock.on("data", cb),
    onClose: (cb) => void closeCbs.push(cb),
  });
  return { client, sock };
}

async function authed(port: number): Promise<ConsoleClient> {
  const c = new ConsoleClient(await tcpPipe("127.0.0.1", port));
  expect((await c.request("AUTH changeme")).ack).toBe("OK AUTH");
  return c;
}

describe("QEMU guest over TCP", () => {
  let q: QemuGuest;
  beforeAll(async () => {
    q = await QemuGuest.start();
    await q.waitReady();
  });
  afterAll(async () => {
    await q?.stop();
  });

  // Each script starts from a freshly booted guest on both sides, as a fresh hive would.
  for (const file of SCRIPTS) {
    it(`${file}: byte-identical transcripts on the mock and on QEMU`, async () => {
      const [fresh, freshMock] = await Promise.all([QemuGuest.start(), Guest.start()]);
      try {
        await fresh.waitReady();
        const viaMock = await runCohFile(file, loopbackConnector(freshMock));
        const viaQemu = await runCohFile(file, tcpConnector(fresh.ports.tcp));
        expect(viaMock.result, file).toMatchObject({ ok: true });
        expect(viaQemu.result, file).toMatchObject({ ok: true });
        expect(viaQemu.transcript, file).toBe(viaMock.transcript);
      } finally {
        await fresh.stop();
        await freshMock.stop();
      }
    });
  }

  it("framing errors: fatal before AUTH, recoverable after; the console keeps serving", async () => {
    for (const bytes of [frameOfLength(3), frameOfLength(8193), frameOfLength(4 + 257, Buffer.alloc(257, 0x41))]) {
      const { client, sock } = await dialRaw(q.ports.tcp);
      sock.write(bytes);
      expect((await client.collect()).ack).toBe("ERR AUTH reason=invalid-length");
      await waitClosed(client, 5000);
    }
    const { client, sock } = await dialRaw(q.ports.tcp);
    expect((await client.request("AUTH changeme")).ack).toBe("OK AUTH");
    sock.write(frameOfLength(2));
    expect((await client.collect()).ack).toBe("ERR FRAME reason=invalid-length");
    sock.write(Buffer.concat([frameOfLength(8193), Buffer.alloc(8189, 0x07)]));
    expect((await client.collect()).ack).toBe("ERR FRAME reason=invalid-length");
    expect((await client.request("PING")).ack).toBe("OK PING reply=pong");
    sock.write(frameOfLength(6, Uint8Array.from([0xff, 0xfe])));
    expect((await client.collect()).ack).toBe("ERR FRAME reason=invalid-length");
    await waitClosed(client, 5000);
  });

  it("four sessions at once; the fifth is told busy; a client killed mid-frame frees its slot", async () => {
    const four = await Promise.all([0, 1, 2, 3].map(() => authed(q.ports.tcp)));
    const fifth = new ConsoleClient(await tcpPipe("127.0.0.1", q.ports.tcp));
    expect((await fifth.collect()).ack).toBe("ERR CONSOLE reason=busy detail=console-full max_sessions=4");
    await waitClosed(fifth, 5000);
    const replies = await Promise.all(four.map((c) => c.request("PING")));
    for (const r of replies) expect(r.ack).toBe("OK PING reply=pong");
    // Kill one mid-frame (half a header and some payload, then RST).
    four[0].close();
    await waitClosed(four[0], 5000);
    const { client, sock } = await dialRaw(q.ports.tcp);
    expect((await client.request("AUTH changeme")).ack).toBe("OK AUTH");
    sock.write(frameOfLength(40, Buffer.from("ECHO /log")));
    sock.resetAndDestroy();
    // Its slot comes back: a new session attaches while three others are still open.
    let fresh: ConsoleClient | null = null;
    for (let i = 0; i < 50 && !fresh; i++) {
      const c = new ConsoleClient(await tcpPipe("127.0.0.1", q.ports.tcp));
      const r = await c.request("AUTH changeme");
      if (r.ok) fresh = c;
      else await waitClosed(c, 5000);
    }
    expect(fresh).not.toBeNull();
    const stats = await (fresh as ConsoleClient).request("NETSTATS");
    expect(stats.lines.join(" ")).toMatch(/mid_frame_closes=[1-9]/);
    for (const c of [...four.slice(1), fresh as ConsoleClient]) c.close();
  });

  it("pool bench over QEMU: every record observed", async () => {
    const r = await cohsh(["--tcp-port", String(q.ports.tcp), "--script", "tests/scripts/session_pool.coh"], "", 60_000);
    expect(r.stderr).toBe("");
    expect(r.stdout).toContain("pool bench result OK retries=1 pool_exhausted=1 failures=0 expected=64 observed=64");
  });

  it("a 190 KB CAT reaches a client that stops reading for a while, whole (lwIP window + queue + backlog)", async () => {
    const q2 = await authed(q.ports.tcp);
    expect((await q2.request("ATTACH queen")).ok).toBe(true);
    expect((await q2.request('ECHO /queen/export/ctl {"op":"open","id":"big","ttl_s":3600}')).ok).toBe(true);
    // Fill the bundle from ingested telemetry until it drops records (it is then full).
    let seg = 0;
    for (let i = 0; ; i++) {
      if (i % 250 === 0) {
        expect((await q2.request('ECHO /queen/telemetry/bulk/ctl {"new":"segment","mime":"text/plain"}')).ok).toBe(true);
        seg++;
      }
      const r = `bulk-${i}-`.padEnd(120, "y");
      expect((await q2.request(`ECHO /queen/telemetry/bulk/seg/seg-${String(seg).padStart(6, "0")} ${r}`)).ok).toBe(true);
      if (i % 50 === 49 && /window id=big [^\n]*dropped=[1-9]/.test((await q2.request("CAT /queen/export/status")).lines.join("\n"))) break;
    }
    const bytes = Number(/window id=big \S+ records=\d+ bytes=(\d+)/.exec((await q2.request("CAT /queen/export/status")).lines.join("\n"))?.[1]);
    expect(bytes).toBeGreaterThan(120_000);
    const { client, sock } = await dialRaw(q.ports.tcp);
    expect((await client.request("AUTH changeme")).ok).toBe(true);
    expect((await client.request("ATTACH queen")).ok).toBe(true);
    sock.pause();
    client.send("CAT /queen/export/lora_jobs/big/telemetry.cbor");
    client.send("PING");
    await new Promise((r) => setTimeout(r, 1000));
    sock.resume();
    const cat = await client.collect(20_000);
    expect(cat.ack).toContain("OK CAT path=/queen/export/lora_jobs/big/telemetry.cbor");
    const raw = Buffer.concat(cat.lines.map((l) => Buffer.from(l.replace(/^b64:/, ""), "base64")));
    expect(raw.length).toBe(bytes);
    expect((await client.collect()).ack).toBe("OK PING reply=pong");
    expect((await q2.request("NETSTATS")).lines.join(" ")).toMatch(/slow_reader_cuts=0/);
    client.close();
    q2.close();
  }, 120_000);

  it("UDP 31338 echoes and TCP 31339 answers ok", async () => {
    const u = createSocket("udp4");
    const reply = await new Promise<string>((res, rej) => {
      const t = setTimeout(() => rej(new Error("no UDP echo")), 5000);
      u.on("message", (m) => {
        clearTimeout(t);
        res(m.toString());
      });
      u.send("probe-1", q.ports.udp, "127.0.0.1");
    });
    u.close();
    expect(reply).toBe("ECHO:probe-1");
    const s = connect({ host: "127.0.0.1", port: q.ports.smoke });
    const got = await new Promise<string>((res, rej) => {
      let data = "";
      s.on("connect", () => s.write("hello"));
      s.on("data", (d) => (data += d.toString()));
      s.on("close", () => res(data));
      s.on("error", rej);
    });
    expect(got).toBe("ok\n");
  });
});

describe("cohsh test against the QEMU guest", () => {
  it("quick, full and negative self-tests pass from the guest's own /proc/tests", async () => {
    const fresh = await QemuGuest.start();
    try {
      await fresh.waitReady();
      const r = await cohsh(["--tcp-port", String(fresh.ports.tcp), "--role", "queen"], "test --mode quick\ntest --mode full\ntest --mode negative\nquit\n", 60_000);
      expect(r.code).toBe(0);
      for (const m of ["quick", "full", "negative"]) expect(r.stdout).toMatch(new RegExp(`test ${m}: PASS`));
    } finally {
      await fresh.stop();
    }
  });
});

describe("cohsh --transport qemu", () => {
  it("boots its own guest on free ports, runs a script over TCP, and stops the guest", async () => {
    const r = await cohsh(["--transport", "qemu", "--script", "tests/scripts/tcp_basic.coh"], "", 60_000);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("OK ATTACH role=queen");
    expect(r.stdout).toContain("OK QUIT");
  });
});

describe("QEMU guest: AUTH timeout and lockout (own boot: the lockout covers every host client)", () => {
  let q: QemuGuest;
  beforeAll(async () => {
    q = await QemuGuest.start();
    await q.waitReady();
  });
  afterAll(async () => {
    await q?.stop();
  });

  it("a silent client gets ERR AUTH reason=timeout after about 5 s", async () => {
    const c = new ConsoleClient(await tcpPipe("127.0.0.1", q.ports.tcp));
    const started = Date.now();
    expect((await c.collect(10_000)).ack).toBe("ERR AUTH reason=timeout");
    expect(Date.now() - started).toBeGreaterThanOrEqual(4900);
    await waitClosed(c, 5000);
  });

  it("three wrong tokens lock the console out; the right token is then rate-limited", async () => {
    for (let i = 0; i < 3; i++) {
      const c = new ConsoleClient(await tcpPipe("127.0.0.1", q.ports.tcp));
      expect((await c.request("AUTH wrong")).ack).toBe("ERR AUTH reason=invalid-token");
      await waitClosed(c, 5000);
    }
    const c = new ConsoleClient(await tcpPipe("127.0.0.1", q.ports.tcp));
    expect((await c.request("AUTH changeme")).ack).toMatch(/^ERR AUTH reason=quota detail=rate-limited delay_ms=\d+$/);
    await waitClosed(c, 5000);
  });
});
