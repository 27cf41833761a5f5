// coh-rtc: the committed generated files match the manifest, and bad manifests are refused
// with an error that names the field.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { compile } from "../host/coh-rtc/cli.js";
import { ROOT } from "./helpers/serial.js";

const base = readFileSync(resolve(ROOT, "configs/root_task.toml"), "utf8");

function withEdit(edit: (s: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), "coh-rtc-"));
  const p = join(dir, "m.toml");
  writeFileSync(p, edit(base));
  return p;
}

describe("coh-rtc", () => {
  it("committed generated files are up to date with configs/root_task.toml", () => {
    const r = compile(resolve(ROOT, "configs/root_task.toml"), true);
    expect(r.errors).toBeUndefined();
    expect(r.changed).toEqual([]);
    expect(r.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("the regression manifest validates", () => {
    const r = compile(resolve(ROOT, "configs/root_task_regression.toml"), true);
    expect(r.errors).toBeUndefined();
    expect(r.sha256).not.toBe(compile(resolve(ROOT, "configs/root_task.toml"), true).sha256);
  });

  const bad: Array<[string, (s: string) => string, string]> = [
    ["unknown field", (s) => s.replace("[console]", "[console]\nline_maxx = 3"), "console.line_maxx: unknown field"],
    ["unknown section", (s) => s + "\n[consol]\nx = 1\n", "unknown section [consol]"],
    ["missing field", (s) => s.replace(/^max_sessions = .*$/m, ""), "console.max_sessions: missing field"],
    ["out of range", (s) => s.replace(/^max_sessions = \d+/m, "max_sessions = 0"), "console.max_sessions: must be within 1..64, got 0"],
    ["wrong type", (s) => s.replace(/^tick_ms = \d+/m, 'tick_ms = "5"'), "event_pump.tick_ms: must be an integer"],
    ["bad ip", (s) => s.replace('ip = "10.0.2.15"', 'ip = "10.0.2.256"'), "network.ip: has an invalid value"],
    ["gateway outside subnet", (s) => s.replace('gateway = "10.0.2.2"', 'gateway = "10.0.3.2"'), "network.gateway 10.0.3.2 is not in 10.0.2.15/24"],
    ["line does not fit a frame", (s) => s.replace(/^frame_max = \d+/m, "frame_max = 128"), "line_max <= frame_max - 4"],
    ["multicast mac", (s) => s.replace('mac = "52:55:00:d1:55:01"', 'mac = "53:55:00:d1:55:01"'), "network.mac must be a unicast address"],
    ["token with a space", (s) => s.replace('auth_token = "changeme"', 'auth_token = "change me"'), "console.auth_token: has an invalid value (hidden)"],
    ["not TOML", () => "[console\n", ""],
    ["a worker record larger than its ring", (s) => s.replace(/^record_max = \d+/m, "record_max = 2048"), "workers.record_max must be <= workers.ring_bytes"],
    ["a role without a ticket secret", (s) => s.replace(/\[\[tickets\]\]\nrole = "worker-lora"\nsecret = "worker-lora"\n/, ""), "no [[tickets]] entry for role worker-lora"],
    ["a role listed twice", (s) => s + '\n[[tickets]]\nrole = "queen"\nsecret = "again"\n', "role queen listed twice"],
    ["an unknown trace level", (s) => s.replace('default_level = "info"', 'default_level = "verbose"'), "trace.default_level: has an invalid value"],
    ["an unknown trace category", (s) => s.replace(/^default_cats = .*$/m, 'default_cats = "console,disk"'), "trace.default_cats: has an invalid value"],
    ["a trace category listed twice", (s) => s.replace(/^default_cats = .*$/m, 'default_cats = "ns,p9,ns"'), "trace.default_cats lists a category twice"],
    ["a trace ring below its bound", (s) => s.replace(/^events_max = \d+/m, "events_max = 8"), "trace.events_max: must be within 16..4096, got 8"],
    ["an unknown ticket role", (s) => s + '\n[[tickets]]\nrole = "king"\nsecret = "x"\n', "tickets[5].role: must be one of"],
    ["an export bundle past coh peft's 131072 bytes", (s) => s.replace(/^telemetry_max_bytes = \d+/m, "telemetry_max_bytes = 131073"), "export.telemetry_max_bytes: must be within 64..131072, got 131073"],
    ["no export windows", (s) => s.replace(/^windows_max = \d+/m, "windows_max = 0"), "export.windows_max: must be within 1..16, got 0"],
    ["a base model ref with a space", (s) => s.replace(/^base_model_default = .*$/m, 'base_model_default = "my model"'), 'export.base_model_default: has an invalid value "my model"'],
    ["no [export] section", (s) => s.replace(/^\[export\]\n(.*\n)+?\n/m, ""), "export: missing section [export]"],
    ["a path_max too short for export job paths", (s) => s.replace(/^path_max = \d+/m, "path_max = 46"), "console.path_max must be >= 47"],
  ];
  for (const [name, edit, message] of bad) {
    it(`refuses a manifest with ${name}`, () => {
      const r = compile(withEdit(edit), true);
      expect(r.ok).toBe(false);
      expect(r.errors?.length).toBeGreaterThan(0);
      const text = (r.errors ?? []).map((e) => `${e.path}: ${e.message}`).join("\n");
      expect(text).toContain(message);
    });
  }
});
