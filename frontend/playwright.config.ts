/**
 * End-to-end tests in Debian's Chromium against the real backend.
 *
 * `npm run e2e` (= `playwright test`) is self-contained. Its two web servers:
 *  1. `backend/tests/fakes/serve_e2e.py`: the fake AI provider, the fake RTSP
 *     camera and the webhook receiver on 127.0.0.1, then the backend (uvicorn)
 *     with a throw-away SQLite database and key;
 *  2. a production build of the dashboard, built for this run into `.next-e2e`
 *     (rewrites are fixed at build time, so it is built with BACKEND_URL pointing
 *     at the e2e backend; `make run`'s `.next` is left alone), then `next start`.
 * Ports are free ones picked here (or E2E_BACKEND_PORT / E2E_WEB_PORT).
 * Accounts: the backend starts with no user and PUBLIC_URL = the dashboard's
 * address; `e2e/00-onboarding.spec.ts` (first by name) creates the e2e admin
 * through the onboarding, the other specs sign in (e2e/fixtures.ts), and each
 * still runs alone (the fixture does the set-up through the API if needed).
 * E2E_SKIP_BUILD=1 reuses an existing `.next-e2e`: only valid with a fixed E2E_BACKEND_PORT
 * equal to the one it was built for (the proxy target is baked in at build time).
 * E2E_DASHBOARD_DIR: a dashboard laid out as its image (the runtime stage of frontend/Dockerfile),
 * served there with `next start` and not built again; `make test` passes the one the compose
 * smoke test built (scripts/e2e.sh checks it was built for E2E_BACKEND_PORT).
 * Chromium: CHROMIUM_PATH, else /usr/bin/chromium (`apt-get install chromium`).
 */
import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { defineConfig, devices } from "@playwright/test";

function freePort(): string {
  // Synchronous so that the config (evaluated again in each worker) stays stable:
  // the ports are put in process.env, which the workers inherit.
  return execFileSync(
    process.execPath,
    ["-e", "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})"],
    { encoding: "utf8" },
  ).trim();
}

process.env.E2E_BACKEND_PORT ||= freePort();
process.env.E2E_WEB_PORT ||= freePort();
const backendPort = process.env.E2E_BACKEND_PORT;
const webPort = process.env.E2E_WEB_PORT;
process.env.E2E_STATE_FILE ||= path.join(os.tmpdir(), `loaic-e2e-${backendPort}.json`);
process.env.E2E_BACKEND_URL = `http://127.0.0.1:${backendPort}`;

const chromium = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const backendDir = path.resolve(__dirname, "..", "backend");
const python = process.env.E2E_PYTHON || path.join(backendDir, ".venv", "bin", "python");
const nextBin = path.join(__dirname, "node_modules", ".bin", "next");
const buildCmd = process.env.E2E_SKIP_BUILD === "1" ? "" : `"${nextBin}" build && `;
const imageDir = process.env.E2E_DASHBOARD_DIR;
const startArgs = `start --hostname 127.0.0.1 --port ${webPort}`;
const dashboard: { command: string; cwd: string; env: Record<string, string> } = imageDir
  ? {
      command: `"${path.join(imageDir, "node_modules", ".bin", "next")}" ${startArgs}`,
      cwd: imageDir,
      env: { NODE_ENV: "production", NEXT_TELEMETRY_DISABLED: "1" },
    }
  : {
      command: `${buildCmd}"${nextBin}" ${startArgs}`,
      cwd: __dirname,
      env: {
        BACKEND_URL: `http://127.0.0.1:${backendPort}`,
        NEXT_DIST_DIR: ".next-e2e",
        NEXT_TELEMETRY_DISABLED: "1",
      },
    };

export default defineConfig({
  testDir: "./e2e",
  outputDir: "./test-results/artifacts",
  fullyParallel: false,
  workers: 1, // one backend and one database shared by the scenarios
  retries: process.env.CI ? 1 : 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  forbidOnly: !!process.env.CI,
  reporter: [["list"], ["html", { outputFolder: "playwright-report", open: "never" }]],
  use: {
    baseURL: `http://127.0.0.1:${webPort}`,
    // Recorded on the retry of a failed test (CI retries once), not for every passing one: recording
    // every test cost a quarter of the run's CPU.
    trace: "on-first-retry",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: chromium,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"], viewport: { width: 1280, height: 860 }, headless: true } }],
  webServer: [
    {
      name: "backend",
      command: `"${python}" -m tests.fakes.serve_e2e --port ${backendPort} --public-url http://127.0.0.1:${webPort} --state-file "${process.env.E2E_STATE_FILE}"`,
      cwd: backendDir,
      url: `http://127.0.0.1:${backendPort}/health`,
      timeout: 120_000,
      reuseExistingServer: false,
      stdout: "pipe",
      stderr: "pipe",
    },
    {
      name: "dashboard",
      ...dashboard,
      url: `http://127.0.0.1:${webPort}/login`,
      timeout: 300_000,
      reuseExistingServer: false,
      stdout: "ignore",
      stderr: "pipe",
    },
  ],
});
