import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["tests/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // QEMU e2e files boot guests; two workers match the 2-core CI machine.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
