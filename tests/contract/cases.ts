// The NamespaceClient contract: the same cases for every implementation (console, 9P, and REST
// through hive-gateway). Each case gets a fresh, unattached client from `make` and must leave
// the hive usable for the next (records it appends carry a unique tag).

import { expect, it } from "vitest";
import { MANIFEST } from "../../host/generated/manifest.js";
import { NsRefusal, type NamespaceClient } from "../../host/sdk/ns.js";
import { manifestTicket } from "../helpers/tickets.js";

export interface ContractTarget {
  /** A new client on the hive, not attached yet. */
  make(): Promise<NamespaceClient>;
  /** The ticket attach("queen") needs on this protocol ("" on the console). */
  queenTicket(): string;
}

async function refusal(p: Promise<unknown>): Promise<NsRefusal> {
  try {
    await p;
  } catch (e) {
    if (e instanceof NsRefusal) return e;
    throw e;
  }
  throw new Error("expected an NsRefusal, the call succeeded");
}

let seq = 0;
const tag = (): string => `ct${process.pid.toString(36)}-${(seq++).toString(36)}`;

export function contractCases(t: () => ContractTarget): void {
  const withClient = (f: (ns: NamespaceClient) => Promise<void>) => async () => {
    const ns = await t().make();
    try {
      await f(ns);
    } finally {
      await ns.close();
    }
  };
  const queen = async (ns: NamespaceClient): Promise<void> => ns.attach("queen", t().queenTicket());
  // After a refused attach the hive backs off (250 ms × 2^n, docs/CONSOLE.md): busy until then.
  const attachAfterRefusal = async (ns: NamespaceClient, role: string, ticket: string): Promise<void> => {
    for (let i = 0; ; i++) {
      try {
        return await ns.attach(role, ticket);
      } catch (e) {
        // The console says quota/throttled, 9P EAGAIN (busy) until the one session policy lands.
        if (!(e instanceof NsRefusal) || (e.reason !== "busy" && e.detail !== "throttled") || i > 40) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };

  it("refuses namespace calls before attach, with the console's words", withClient(async (ns) => {
    expect(ns.role).toBeNull();
    const r = await refusal(ns.ls("/proc"));
    expect(r).toMatchObject({ reason: "policy", detail: "not-attached", httpStatus: 401 });
  }));

  it("attach sets the role; an unknown role is refused and leaves the client detached", withClient(async (ns) => {
    const bad = await refusal(ns.attach("king", ""));
    expect(bad.reason).toBe("policy");
    expect(ns.role).toBeNull();
    await attachAfterRefusal(ns, "queen", t().queenTicket());
    expect(ns.role).toBe("queen");
  }));

  it("ls lists a directory in the hive's order", withClient(async (ns) => {
    await queen(ns);
    const names = await ns.ls("/proc");
    expect(names).toEqual(expect.arrayContaining(["boot", "lifecycle", "tests"]));
    expect(await ns.ls("/proc/lifecycle")).toEqual(expect.arrayContaining(["state", "reason"]));
  }));

  it("read returns a text file's lines; readBytes its bytes", withClient(async (ns) => {
    await queen(ns);
    expect(await ns.read("/proc/lifecycle/state")).toEqual(["state=ONLINE"]);
    expect(Buffer.from(await ns.readBytes("/proc/lifecycle/state")).toString("utf8")).toBe("state=ONLINE\n");
  }));

  it("append adds one record; tail and read of the queen log show it", withClient(async (ns) => {
    await queen(ns);
    const rec = tag();
    expect(await ns.append("/log/queen.log", rec)).toEqual({ bytes: Buffer.byteLength(rec) });
    expect((await ns.tail("/log/queen.log")).at(-1)).toBe(rec);
    expect(await ns.read("/log/queen.log")).toContain(rec);
  }));

  it("tail shows at most console.log_lines lines", withClient(async (ns) => {
    await queen(ns);
    const lines = await ns.tail("/log/queen.log");
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(MANIFEST.console.log_lines);
  }));

  it("a missing file and a read-only file are typed refusals naming the path", withClient(async (ns) => {
    await queen(ns);
    const missing = await refusal(ns.read("/proc/nope"));
    expect(missing.path).toBe("/proc/nope");
    expect(missing.reason).toBe("policy");
    const ro = await refusal(ns.append("/proc/boot", "x"));
    expect(ro.path).toBe("/proc/boot");
    expect(ro.httpStatus).toBe(403);
    // The session is still usable after refusals.
    expect(await ns.read("/proc/lifecycle/state")).toEqual(["state=ONLINE"]);
  }));

  it("caps.maxRecord is honoured at its edge and refused past it", withClient(async (ns) => {
    await queen(ns);
    // The tighter of the connection's bound and the ingest's (console: 128; 9P: 4096).
    const max = Math.min(ns.caps.maxRecord, MANIFEST.telemetry_ingest.max_record_bytes);
    await ns.append("/queen/telemetry/ct-dev/ctl", '{"new":"segment","mime":"text/plain"}');
    const seg = (await ns.read("/queen/telemetry/ct-dev/latest"))[0];
    const path = `/queen/telemetry/ct-dev/seg/${seg}`;
    expect(await ns.append(path, "a".repeat(max))).toEqual({ bytes: max });
    const past = await refusal(ns.append(path, "b".repeat(max + 1)));
    expect(past.reason).toBe("quota");
    expect(past.path).toBe(path);
    expect((await ns.read(path)).at(-1)).toBe("a".repeat(max));
  }));

  it("follow hands over the snapshot, then only new lines, until aborted", withClient(async (ns) => {
    await queen(ns);
    const rec = tag();
    const got: string[][] = [];
    const stop = new AbortController();
    const done = ns.follow("/log/queen.log", {
      signal: stop.signal,
      pollMs: 20,
      onLines: (l) => {
        got.push(l);
        if (l.includes(rec)) stop.abort();
      },
    });
    // A second client appends while the first follows (the console serialises one session).
    const writer = await t().make();
    try {
      await queen(writer);
      while (got.length === 0) await new Promise((r) => setTimeout(r, 5));
      await writer.append("/log/queen.log", rec);
      await done;
    } finally {
      await writer.close();
    }
    expect(got.length).toBeGreaterThanOrEqual(2);
    expect(got.at(-1)).toContain(rec);
    expect(got.slice(1).flat().filter((l) => l === rec)).toHaveLength(1);
  }));

  it("the queen ticket is needed where the protocol says so", withClient(async (ns) => {
    // REST: the gateway's request token admits its own (queen) role; a ticket only narrows.
    if (ns.caps.protocol === "console" || ns.caps.protocol === "rest") {
      await ns.attach("queen");
      expect(ns.role).toBe("queen");
    } else {
      const r = await refusal(ns.attach("queen", ""));
      expect(r.reason).toBe("policy");
      await attachAfterRefusal(ns, "queen", manifestTicket("queen"));
      expect(ns.role).toBe("queen");
    }
  }));
}
