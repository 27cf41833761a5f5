import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    // The regression core several files share is built once, before the workers start.
    globalSetup: ["tests/helpers/global_setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // QEMU e2e files boot guests; two workers match the 2-core CI machine.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
