import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    alias: { "@": fileURLToPath(new URL("./", import.meta.url)) },
  },
  oxc: {
    jsx: { runtime: "automatic" },
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./tests/setup.ts"],
    include: ["tests/unit/**/*.test.{ts,tsx}"],
    css: false,
    restoreMocks: true,
    // Typing-heavy form tests take seconds on a loaded 2-core machine: 5 s timed them out.
    testTimeout: 20_000,
    // Vitest leaves a core free by default: one worker on 2 cores, which then sits idle while jsdom
    // and React wait on timers and the DOM. Every core: 37 s instead of 58 s here.
    maxWorkers: Math.max(2, availableParallelism()),
  },
});
