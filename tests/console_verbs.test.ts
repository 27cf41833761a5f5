// Console verbs over TCP (loopback), against the minimal namespace: exact ACK lines and errors.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ConsoleClient } from "../host/sdk/console/client.js";
import { Guest } from "../host/runtime/guest.js";
import { authed, queen } from "./helpers/console.js";

let guest: Guest;
let q: ConsoleClient;

beforeEach(async () => {
  guest = await Guest.start({ manualClock: true });
  q = await queen(guest);
});
afterEach(async () => {
  await guest.stop();
});

describe("verbs without a session", () => {
  it("HELP, BI, CAPS, MEM answer before ATTACH", async () => {
    const c = await authed(guest);
    const help = await c.request("HELP");
    expect(help.ack).toBe("OK HELP");
    expect(help.lines[0]).toBe("Commands:");
    expect((await c.request("BI")).ack).toBe("OK BOOTINFO");
    expect((await c.request("bi")).lines[0]).toMatch(/^\[bi\] node_bits=12 /);
    expect((await c.request("CAPS")).ack).toBe("OK CAPS");
    expect((await c.request("MEM")).lines[0]).toBe("[mem] untyped caps=25 ram_ut=4 device_ut=21");
  });

  it("TEST is host-only; an unknown verb and an empty line are parse errors", async () => {
    expect((await q.request("TEST")).ack).toBe("ERR TEST reason=policy detail=host-only");
    expect((await q.request("FROB")).ack).toBe("ERR PARSE reason=policy detail=unsupported console command");
    expect((await q.request("")).ack).toBe("ERR PARSE reason=policy detail=empty command");
  });

  it("session verbs before ATTACH are refused as not-attached", async () => {
    const c = await authed(guest);
    for (const [line, label] of [
      ["LS /", "LS"],
      ["CAT /proc/boot", "CAT"],
      ["TAIL /log/queen.log", "TAIL"],
      ["ECHO /log/queen.log x", "ECHO"],
      ["LOG", "LOG"],
      ["SPAWN {}", "SPAWN"],
      ["KILL worker-1", "KILL"],
    ]) {
      expect((await c.request(line)).ack).toBe(`ERR ${label} reason=policy detail=not-attached hint=attach`);
    }
  });
});

describe("ATTACH", () => {
  it("queen attaches without a ticket; the worker alias and roles need tickets (denied until tickets land)", async () => {
    const c = await authed(guest);
    expect((await c.request("ATTACH worker-gpu")).ack).toBe('ERR ATTACH reason=policy detail=ticket-required hint="cohsh --mint-ticket --role <role> --ticket-subject <id>"');
    guest.advance(250);
    expect((await c.request("ATTACH queen ")).ack).toBe("OK ATTACH role=queen");
  });

  it("an invalid role is refused, and repeated failures back off exponentially", async () => {
    const c = await authed(guest);
    expect((await c.request("ATTACH king")).ack).toBe("ERR ATTACH reason=policy detail=invalid-role");
    expect((await c.request("ATTACH queen")).ack).toBe("ERR ATTACH reason=quota detail=throttled delay_ms=250");
    guest.advance(250);
    expect((await c.request("ATTACH king")).ack).toBe("ERR ATTACH reason=policy detail=invalid-role");
    expect((await c.request("ATTACH queen")).ack).toBe("ERR ATTACH reason=quota detail=throttled delay_ms=500");
    guest.advance(500);
    expect((await c.request("ATTACH queen")).ack).toBe("OK ATTACH role=queen");
  });

  it("argument bounds: role 16, ticket 224 bytes", async () => {
    const c = await authed(guest);
    expect((await c.request("ATTACH " + "q".repeat(17))).ack).toBe("ERR PARSE reason=policy detail=argument role 17 bytes > 16");
    expect((await c.request("ATTACH queen " + "t".repeat(225))).ack).toBe("ERR PARSE reason=policy detail=argument ticket 225 bytes > 224");
    expect((await c.request("ATTACH")).ack).toBe("ERR PARSE reason=policy detail=missing required argument: role");
  });
});

describe("namespace verbs", () => {
  it("ls / lists the namespace in lexicographic order", async () => {
    expect(await q.request("LS /")).toEqual({ lines: ["actions", "audit", "gpu", "host", "kmesg", "log", "policy", "proc", "queen", "replay", "shard", "trace", "updates", "worker"], ack: "OK LS path=/ entries=14", ok: true });
    expect((await q.request("LS /proc")).lines).toEqual(["9p", "boot", "host", "ingest", "lease", "lifecycle", "memory", "pressure", "root", "schedule", "tests"]);
  });

  it("cat /proc/boot shows the boot text with a bounded summary", async () => {
    const r = await q.request("CAT /proc/boot");
    expect(r.lines[0]).toBe("Cohesix boot: root-task online");
    expect(r.lines).toContain("manifest.schema=1.5");
    expect(r.ack.startsWith("OK CAT path=/proc/boot data=Cohesix boot: root-task online|manifest.schema=1.5|")).toBe(true);
    expect(r.ack.length - "OK CAT ".length).toBeLessThanOrEqual(128);
  });

  it("echo appends to the queen log; cat shows only the echoed records as its summary", async () => {
    for (const n of [1, 2, 3]) expect((await q.request(`ECHO /log/queen.log batch-${n}`)).ack).toBe(`OK ECHO path=/log/queen.log bytes=7`);
    expect(await q.request("CAT /log/queen.log")).toEqual({ lines: [], ack: "OK CAT path=/log/queen.log data=batch-1|batch-2|batch-3", ok: true });
    const tail = await q.request("TAIL /log/queen.log");
    expect(tail.ack).toBe("OK TAIL path=/log/queen.log");
    expect(tail.lines.slice(-3)).toEqual(["batch-1", "batch-2", "batch-3"]);
    expect((await q.request("LOG")).lines).toContain("console attach outcome=allow role=queen ticket=-");
  });

  it("the echo payload bound is 128 bytes, inclusive", async () => {
    expect((await q.request("ECHO /log/queen.log " + "p".repeat(128))).ack).toBe("OK ECHO path=/log/queen.log bytes=128");
    expect((await q.request("ECHO /log/queen.log " + "p".repeat(129))).ack).toBe("ERR PARSE reason=policy detail=argument payload 129 bytes > 128");
    expect((await q.request("ECHO /log/queen.log")).ack).toBe("ERR PARSE reason=policy detail=missing required argument: payload");
  });

  it("read-only files refuse writes; bad paths are invalid-path", async () => {
    expect((await q.request("ECHO /proc/boot x")).ack).toBe("ERR ECHO reason=policy detail=denied path=/proc/boot error=EPERM");
    expect((await q.request("CAT /nope")).ack).toBe("ERR CAT reason=policy detail=not-found path=/nope error=no such file"); // well-formed, names nothing
    expect((await q.request("CAT /proc/../log/queen.log")).ack).toBe("ERR CAT reason=policy detail=invalid-path path=/proc/../log/queen.log error=invalid path");
    expect((await q.request("LS relative")).ack).toBe("ERR LS reason=policy detail=invalid-path path=relative error=invalid path");
    expect((await q.request("CAT /proc")).ack).toBe("ERR CAT reason=policy detail=invalid-path path=/proc error=is a directory");
    expect((await q.request("LS //proc")).ack).toBe("ERR LS reason=policy detail=invalid-path path=//proc error=invalid path");
  });

  it("walk depth is 8 components; component length is 64 bytes; path length is 96 bytes", async () => {
    const eight = "/a/b/c/d/e/f/g/h";
    expect((await q.request(`LS ${eight}`)).ack).toBe(`ERR LS reason=policy detail=not-found path=${eight} error=no such file`); // eight is allowed
    // Depth is checked before lookup: nine components is refused the same way even under a real prefix.
    expect((await q.request(`LS /proc/boot/x/x/x/x/x/x/x`)).ack).toContain("detail=invalid-path");
    expect((await q.request(`LS /${"c".repeat(65)}`)).ack).toContain("detail=invalid-path");
    expect((await q.request(`LS /${"c".repeat(96)}`)).ack).toBe("ERR PARSE reason=policy detail=argument path 97 bytes > 96");
  });

  it("spawn and kill go to /queen/ctl; malformed control lines are refused", async () => {
    const spawn = '{"spawn":"heartbeat","ticks":100}';
    expect((await q.request("SPAWN " + spawn)).ack).toBe("OK SPAWN payload=" + spawn);
    expect((await q.request("KILL worker-1")).ack).toBe("OK KILL id=worker-1");
    expect((await q.request("KILL worker-1")).ack).toBe("ERR KILL reason=policy detail=not-found path=/queen/ctl error=worker worker-1 not found");
    expect((await q.request("KILL bad/id")).ack).toBe("ERR PARSE reason=policy detail=invalid value for argument worker");
    expect((await q.request("SPAWN not-json")).ack).toBe("ERR SPAWN reason=policy detail=invalid-payload path=/queen/ctl error=invalid payload: unexpected character at 0");
    expect((await q.request("CAT /queen/ctl")).lines).toEqual([spawn, '{"kill":"worker-1"}']);
    expect((await q.request("LOG")).lines).toContain("queen ctl accepted role=queen payload=" + spawn);
  });

  it("NETSTATS reports five lines; NETTEST reports what the services have served", async () => {
    const s = await q.request("NETSTATS");
    expect(s.ack).toBe("OK NETSTATS");
    expect(s.lines).toHaveLength(5);
    expect(s.lines[4]).toBe("nettest: console_listen=0 smoke_listen=0 echo_bind=0");
    await guest.loopback.dgram(31338, Buffer.from("x"));
    const t = await q.request("NETTEST");
    expect(t.lines).toEqual(["[net-selftest] triggered", "[net-selftest] result tx_ok=1 udp_echo_ok=1 tcp_ok=0 console_ok=1"]);
    expect(t.ack).toBe("OK NETTEST");
  });
});
