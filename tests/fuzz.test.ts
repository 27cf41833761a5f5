// A few seconds of bench/fuzz in every `npm test`: each parser, its own seed, against the
// Node-hosted core (docs/TESTING.md has the 10,000,000-input runs). A crash fails the test and
// leaves its reproducer under out/fuzz/crashes/.

import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { buildBootinfoEntry, campaign, PARSERS } from "../bench/fuzz/fuzz.js";
import { ROOT } from "./helpers/serial.js";

const INPUTS: Record<string, number> = { console: 20_000, "9p": 10_000, json: 6_000, ticket: 6_000, cbor: 4_000, bootinfo: 200_000 };

describe("bench/fuzz, short runs", () => {
  let bootinfoWasm = "";
  // An AssemblyScript compile: seconds alone, over a minute on a 2-core machine under full load.
  beforeAll(() => {
    bootinfoWasm = buildBootinfoEntry(join(ROOT, "out/test/fuzz-bootinfo.wasm"));
  }, 240_000);
  for (const parser of PARSERS) {
    it(`${parser}: ${INPUTS[parser]} seeded inputs, no crash, no broken invariant`, async () => {
      const seed = 1000 + PARSERS.indexOf(parser);
      const r = await campaign({ parser, seed, inputs: INPUTS[parser], crashDir: join(ROOT, "out/fuzz/crashes"), bootinfoWasm });
      expect({ crashes: r.crashes, invariant_errors: r.invariant_errors, reproducers: r.reproducers }).toEqual({ crashes: 0, invariant_errors: 0, reproducers: [] });
      expect(r.inputs).toBe(INPUTS[parser]);
    }, 120_000);
  }
});
