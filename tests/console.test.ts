// The serial root console, through the Node host: verbs, line editing and the line bound.

import { beforeAll, describe, expect, it } from "vitest";
import { bootMock, mockTranscript, PROMPT, READY } from "./helpers/serial.js";

const NL = "\r\n";

/** Boots a fresh core, sends raw bytes, returns only what was printed after the first prompt. */
async function after(input: string | Uint8Array, chunk = 0): Promise<string> {
  const { core, output } = await bootMock();
  const boot = output();
  const bytes = typeof input === "string" ? Buffer.from(input, "utf8") : input;
  if (chunk > 0) {
    for (let i = 0; i < bytes.length; i += chunk) core.serialInput(bytes.subarray(i, i + chunk));
  } else {
    core.serialInput(bytes);
  }
  return output().slice(boot.length);
}

describe("root console boot", () => {
  let boot = "";
  beforeAll(async () => {
    boot = (await bootMock()).output();
  });

  it("prints the boot lines, the ready banner, then the prompt", () => {
    const lines = boot.split(NL);
    expect(lines[0]).toBe("[cohesix:root-task] root-task online abi=1");
    expect(lines[1]).toMatch(/^\[cohesix:root-task\] manifest\.schema=1\.5 manifest\.sha256=[0-9a-f]{64}$/);
    expect(lines[2]).toMatch(/^\[cohesix:root-task\] bootinfo node_bits=12 untyped=\d+ empty=\[0x[0-9a-f]{4}\.\.0x1000\)$/);
    expect(lines[3]).toBe(
      "[net-console] config: iface_ip=10.0.2.15/24 gateway=10.0.2.2 listen_port=31337 udp_echo_port=31338 tcp_smoke_port=31339 max_sessions=4",
    );
    expect(boot).not.toContain("unavailable");
    expect(lines).toContain(READY);
    expect(boot.endsWith(READY + NL + PROMPT)).toBe(true);
  });
});

describe("root console verbs", () => {
  it("help lists every verb", async () => {
    const out = await after("help\r");
    expect(out.startsWith("help" + NL + "Commands:" + NL)).toBe(true);
    for (const v of ["help", "bi", "caps", "mem", "ping", "smp", "quit", "test"]) expect(out).toContain(NL + v + " - ");
    expect(out.endsWith(PROMPT)).toBe(true);
  });

  it("smp says what runs where: one CPU online, one event loop, no isolation; an argument is refused", async () => {
    expect(await after("smp\r")).toBe("smp" + NL + "smp cpus_online=1 scheduler=event-loop isolation=none note=secondary CPUs are not started" + NL + PROMPT);
    expect(await after("smp all\r")).toBe("smp all" + NL + "ERR PARSE reason=policy detail=unexpected argument" + NL + PROMPT);
  });

  it("ping answers pong, case-insensitively and with spaces around", async () => {
    expect(await after("ping\r")).toBe("ping" + NL + "pong" + NL + PROMPT);
    expect(await after("PiNg\r")).toBe("PiNg" + NL + "pong" + NL + PROMPT);
    expect(await after("  ping \r")).toBe("  ping " + NL + "pong" + NL + PROMPT);
  });

  it("verbs that take no arguments refuse them", async () => {
    expect(await after("ping now\r")).toBe("ping now" + NL + "ERR PARSE reason=policy detail=unexpected argument" + NL + PROMPT);
    expect(await after("bi 1\r")).toContain("detail=unexpected argument");
  });

  it("quit and test are refused on the root console", async () => {
    expect(await after("quit\r")).toBe("quit" + NL + "quit not supported on root console" + NL + PROMPT);
    expect(await after("test\r")).toBe("test" + NL + "test not supported on root console" + NL + PROMPT);
  });

  it("an unknown verb gets a parse error and the console keeps going", async () => {
    const out = await after("frobnicate now\rping\r");
    expect(out).toBe(
      "frobnicate now" + NL + "ERR PARSE reason=policy detail=unsupported console command" + NL + PROMPT + "ping" + NL + "pong" + NL + PROMPT,
    );
  });

  it("bi reports node bits, the empty window and the IPC buffer from bootinfo", async () => {
    const out = await after("bi\r");
    expect(out).toContain("[bi] node_bits=12 empty=[0x002a..0x1000) ipc=0x43fff000" + NL);
    expect(out).toContain("[bi] untyped=[0x0011..0x002a) gic=v3" + NL);
  });

  it("caps reports the key slots", async () => {
    const out = await after("caps\r");
    expect(out).toContain("[caps] root=0x0002 ep=0x000f uart=0x0010" + NL);
    expect(out).toContain("[caps] tcb=0x0001 vspace=0x0003" + NL);
  });

  it("mem splits untyped into RAM and device and follows the machine's RAM size", async () => {
    const out = await after("mem\r");
    // 1 GiB at 0x40000000 minus the 64 MiB kernel window = 960 MiB of RAM untypeds.
    expect(out).toContain("[mem] untyped caps=25 ram_ut=4 device_ut=21" + NL);
    expect(out).toContain("[mem] ram_bytes=" + String(960 * 1024 * 1024) + " ");
    const small = await mockTranscript(["mem"], { ramMiB: 512 });
    expect(small).toContain("[mem] ram_bytes=" + String(448 * 1024 * 1024) + " ");
  });
});

describe("line editing", () => {
  it("backspace and DEL erase the previous character", async () => {
    expect(await after("pinx\bg\r")).toBe("pinx\b \bg" + NL + "pong" + NL + PROMPT);
    expect(await after("pinx\x7fg\r")).toBe("pinx\b \bg" + NL + "pong" + NL + PROMPT);
  });

  it("backspace on an empty line does nothing", async () => {
    expect(await after("\b\x7fping\r")).toBe("ping" + NL + "pong" + NL + PROMPT);
  });

  it("CR, LF and CR LF each end exactly one line", async () => {
    const one = "ping" + NL + "pong" + NL + PROMPT;
    expect(await after("ping\r")).toBe(one);
    expect(await after("ping\n")).toBe(one);
    expect(await after("ping\r\n")).toBe(one);
    expect(await after("ping\r\nping\n")).toBe(one + one);
  });

  it("an empty line just re-prompts", async () => {
    expect(await after("\r")).toBe(NL + PROMPT);
  });

  it("other control characters and escape sequences are dropped", async () => {
    expect(await after("p\x01i\x1b[An\x1bOBg\x07\r")).toBe("ping" + NL + "pong" + NL + PROMPT);
  });

  it("Ctrl-U kills the line, Ctrl-C cancels it", async () => {
    expect(await after("xyz\x15ping\r")).toBe("xyz\b \b\b \b\b \bping" + NL + "pong" + NL + PROMPT);
    expect(await after("xyz\x03ping\r")).toBe("xyz^C" + NL + PROMPT + "ping" + NL + "pong" + NL + PROMPT);
  });

  it("input split at any byte boundary gives the same result", async () => {
    const whole = await after("help\rbi\rping\r");
    for (const chunk of [1, 2, 3, 7]) expect(await after("help\rbi\rping\r", chunk)).toBe(whole);
  });

  it("multi-byte UTF-8 is echoed whole and erased whole", async () => {
    expect(await after("é\bping\r")).toBe("é\b \bping" + NL + "pong" + NL + PROMPT);
    expect(await after("é\r")).toBe("é" + NL + "ERR PARSE reason=policy detail=unsupported console command" + NL + PROMPT);
  });

  it("invalid UTF-8 is refused with a clear error", async () => {
    const out = await after(Uint8Array.from([0x70, 0xc3, 0x28, 0x0d]));
    expect(out).toContain("ERR PARSE reason=policy detail=invalid utf-8" + NL + PROMPT);
    const surrogate = await after(Uint8Array.from([0xed, 0xa0, 0x80, 0x0d]));
    expect(surrogate).toContain("ERR PARSE reason=policy detail=invalid utf-8");
  });
});

describe("line bound (256 bytes)", () => {
  const TOO_LONG = "ERR PARSE reason=policy detail=console line exceeded maximum length";

  it("a line of exactly 256 bytes is accepted and parsed", async () => {
    const line = "ping" + " ".repeat(252);
    expect(line.length).toBe(256);
    expect(await after(line + "\r")).toBe(line + NL + "pong" + NL + PROMPT);
  });

  it("257 bytes is refused, the excess is not echoed, and nothing runs", async () => {
    const line = "ping" + " ".repeat(253);
    const out = await after(line + "\r");
    expect(out).toBe(line.slice(0, 256) + NL + TOO_LONG + NL + PROMPT);
    expect(out).not.toContain("pong");
  });

  it("a huge paste is bounded and the console recovers", async () => {
    const out = await after("z".repeat(100_000) + "\rping\r");
    expect(out).toBe("z".repeat(256) + NL + TOO_LONG + NL + PROMPT + "ping" + NL + "pong" + NL + PROMPT);
  });

  it("erasing after an overflow does not resurrect the line", async () => {
    const out = await after("p".repeat(300) + "\b\b\r");
    expect(out.endsWith(TOO_LONG + NL + PROMPT)).toBe(true);
  });
});
