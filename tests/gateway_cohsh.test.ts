// cohsh over REST (the shell on the SDK's REST client, as `--transport rest` runs it, through hive-gateway) prints the same transcripts as
// over the TCP console, script by script, each from a fresh hive on both sides. The one
// difference is hive state, not grammar: /log/queen.log records the gateway's own sessions
// attaching (`console attach outcome=allow …`) where the console run records cohsh's one attach.

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseScript, runScript } from "../host/cohsh/script.js";
import { Shell } from "../host/cohsh/shell.js";
import { NsWire } from "../host/cohsh/wire.js";
import { restClient } from "../host/sdk/connect.js";
import { Guest } from "../host/runtime/guest.js";
import { loopbackConnector, runCohFile } from "./helpers/cohsh.js";
import { inProcess, TOKEN } from "./helpers/gateway.js";
import { ROOT } from "./helpers/serial.js";

// trace_kmesg counts trace events (the gateway's sessions add some) and session_pool opens
// console sessions of its own: both are about the console connection itself, so not here.
const SCRIPTS = ["tcp_basic", "log_batch", "negative", "lifecycle_basic", "workers", "telemetry_push", "tickets", "replay_journal", "operator_walkthrough", "schedule_lease", "export_window"];
const attachAudit = (t: string): string => t.split("\n").filter((l) => !l.includes("console attach outcome=")).join("\n");

describe("cohsh --transport rest: transcripts equal the console's", () => {
  for (const name of SCRIPTS) {
    it(`tests/scripts/${name}.coh`, async () => {
      const file = `tests/scripts/${name}.coh`;
      const [gw, guest] = await Promise.all([inProcess(["--mock"]), Guest.start()]);
      try {
        const viaConsole = await runCohFile(file, loopbackConnector(guest));
        const wire = new NsWire(await restClient(gw.url, TOKEN));
        const lines: string[] = [];
        const result = await runScript(parseScript(readFileSync(resolve(ROOT, file), "utf8")), new Shell(wire).runLine, (l) => lines.push(l));
        expect(viaConsole.result, "console").toMatchObject({ ok: true });
        expect(result, "rest").toMatchObject({ ok: true });
        const viaRest = lines.join("\n") + "\n";
        expect(attachAudit(viaRest)).toBe(attachAudit(viaConsole.transcript));
        if (!viaConsole.transcript.includes("console attach outcome=")) expect(viaRest).toBe(viaConsole.transcript);
      } finally {
        await Promise.all([gw.stop(), guest.stop()]);
      }
    });
  }
});
