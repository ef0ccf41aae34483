import fs from "node:fs";
import path from "node:path";
import { test as base, expect, type APIRequestContext, type Page, type PlaywrightWorkerArgs } from "@playwright/test";

export interface E2EState {
  backend_url: string;
  public_url?: string;
  provider_url: string;
  webhook_url: string;
  /** A receiver that answers every request with HTTP 500. */
  failing_webhook_url: string;
  camera: { rtsp_url: string; username?: string; password?: string } | null;
  /** A camera streaming real H.264 (320x240): its test returns a snapshot. */
  video_camera: { rtsp_url: string; username: string; password: string };
}

export function readState(): E2EState {
  const file = process.env.E2E_STATE_FILE;
  if (!file || !fs.existsSync(file)) throw new Error(`E2E state file missing (${file}): is serve_e2e running?`);
  return JSON.parse(fs.readFileSync(file, "utf8")) as E2EState;
}

export const SCREENSHOT_DIR = path.join(__dirname, "..", "test-results", "screenshots");

/** A full-page picture of each page, for people to look at; `make test` turns them off
 * (E2E_SCREENSHOTS=0: no assertion depends on them, and they cost a fifth of the run). */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (process.env.E2E_SCREENSHOTS === "0") return;
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
  // Let fonts, polling and transitions settle before the picture.
  await page.waitForLoadState("networkidle").catch(() => undefined);
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true, animations: "disabled" });
}

/** The same page at phone width (390 px), then back to the desktop size. */
export async function mobileScreenshot(page: Page, name: string): Promise<void> {
  const size = page.viewportSize();
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, `${name}-mobile`);
  // Nothing may overflow sideways at phone width.
  const wide = await page.evaluate(() => {
    const limit = document.documentElement.clientWidth;
    const culprits: string[] = [];
    for (const el of Array.from(document.querySelectorAll("body *"))) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.right > limit + 0.5) {
        culprits.push(`${el.tagName.toLowerCase()}.${String(el.className).slice(0, 60)} right=${r.right.toFixed(1)}`);
      }
    }
    return { overflow: document.documentElement.scrollWidth - limit, culprits: culprits.slice(0, 5) };
  });
  expect(wide.overflow, `horizontal overflow at 390 px: ${wide.culprits.join(" | ")}`).toBeLessThanOrEqual(0);
  if (size) await page.setViewportSize(size);
}

/** The e2e admin, created by 00-onboarding.spec.ts (or by the fixture when a spec runs alone). Fake values. */
export const E2E_ADMIN = { username: "e2e-owner", password: "e2e-fake-owner-passphrase-7319" } as const;
/** The viewer the viewer spec signs in as; created through the API when missing. Fake values. */
export const E2E_VIEWER = { username: "e2e-viewer", password: "e2e-fake-viewer-passphrase-4826" } as const;

export interface Account {
  username: string;
  password: string;
}

/** The dashboard's own address (its rewrites proxy /api/v1 to the backend). */
export function webUrl(): string {
  return `http://127.0.0.1:${process.env.E2E_WEB_PORT}`;
}

function backendUrl(): string {
  const url = process.env.E2E_BACKEND_URL;
  if (!url) throw new Error("E2E_BACKEND_URL is not set: run through `npm run e2e` (playwright.config.ts)");
  return url;
}

async function ok(res: { ok(): boolean; status(): number; text(): Promise<string> }, what: string): Promise<void> {
  if (!res.ok()) throw new Error(`${what}: ${res.status()} ${await res.text()}`);
}

/** Create the e2e admin through the API if the backend has no user yet (a spec run alone). */
export async function ensureSetup(playwright: PlaywrightWorkerArgs["playwright"]): Promise<void> {
  const ctx = await playwright.request.newContext({ baseURL: backendUrl() });
  try {
    const status = (await (await ctx.get("/api/v1/auth/status")).json()) as { setup_required: boolean };
    if (status.setup_required) await ok(await ctx.post("/api/v1/auth/setup", { data: E2E_ADMIN }), "setup");
  } finally {
    await ctx.dispose();
  }
}

/** Sign in through the API; the answer's access token, usable as a Bearer token. */
export async function apiToken(playwright: PlaywrightWorkerArgs["playwright"], account: Account): Promise<string> {
  const ctx = await playwright.request.newContext({ baseURL: backendUrl() });
  try {
    const res = await ctx.post("/api/v1/auth/login", { data: account });
    await ok(res, `login ${account.username}`);
    return ((await res.json()) as { access_token: string }).access_token;
  } finally {
    await ctx.dispose();
  }
}

/** Sign in through the dashboard's address, as the browser would: the session cookie, as a storage state. */
export async function sessionState(playwright: PlaywrightWorkerArgs["playwright"], account: Account) {
  const ctx = await playwright.request.newContext({ baseURL: webUrl(), extraHTTPHeaders: { Origin: webUrl() } });
  try {
    await ok(await ctx.post("/api/v1/auth/login", { data: account }), `login ${account.username}`);
    return await ctx.storageState();
  } finally {
    await ctx.dispose();
  }
}

/** Make sure `account` exists as an active user with `role` and this password (admin token needed). */
export async function ensureUser(
  playwright: PlaywrightWorkerArgs["playwright"],
  adminToken: string,
  account: Account,
  role: "admin" | "viewer",
): Promise<void> {
  const ctx = await playwright.request.newContext({
    baseURL: backendUrl(),
    extraHTTPHeaders: { Authorization: `Bearer ${adminToken}` },
  });
  try {
    const users = (await (await ctx.get("/api/v1/users")).json()) as { id: number; username: string }[];
    const found = users.find((u) => u.username.toLowerCase() === account.username.toLowerCase());
    if (found) {
      await ok(
        await ctx.put(`/api/v1/users/${found.id}`, { data: { role, is_active: true, password: account.password } }),
        `update ${account.username}`,
      );
    } else {
      await ok(await ctx.post("/api/v1/users", { data: { ...account, role } }), `create ${account.username}`);
    }
  } finally {
    await ctx.dispose();
  }
}

interface ConsoleGuard {
  errors: string[];
  /** Allow an expected browser message (e.g. Chromium logging a deliberate 422). */
  allow: (pattern: RegExp) => void;
}

type Options = {
  /** Who the page is signed in as: "admin" (default), "viewer", or "none" (signed out). */
  account: "admin" | "viewer" | "none";
};

type Fixtures = {
  state: E2EState;
  /** A Bearer token of the e2e admin (setting the backend up first when it has no user). */
  adminToken: string;
  /** The backend directly (not through the dashboard's proxy), as the e2e admin (Bearer). */
  backend: APIRequestContext;
  /** No credentials: for the fakes (webhook receiver) and for requests that must be anonymous. */
  anonymous: APIRequestContext;
  consoleGuard: ConsoleGuard;
};

export const test = base.extend<Fixtures & Options>({
  account: ["admin", { option: true }],
  state: async ({}, use) => {
    await use(readState());
  },
  adminToken: async ({ playwright }, use) => {
    await ensureSetup(playwright);
    await use(await apiToken(playwright, E2E_ADMIN));
  },
  // The page's browser context starts with a session cookie made by signing in through the API.
  storageState: async ({ account, playwright }, use) => {
    if (account === "none") {
      await use({ cookies: [], origins: [] });
      return;
    }
    await ensureSetup(playwright);
    if (account === "viewer") await ensureUser(playwright, await apiToken(playwright, E2E_ADMIN), E2E_VIEWER, "viewer");
    await use(await sessionState(playwright, account === "viewer" ? E2E_VIEWER : E2E_ADMIN));
  },
  backend: async ({ playwright, adminToken }, use) => {
    const ctx = await playwright.request.newContext({
      baseURL: backendUrl(),
      extraHTTPHeaders: { Authorization: `Bearer ${adminToken}` },
    });
    await use(ctx);
    await ctx.dispose();
  },
  anonymous: async ({ playwright }, use) => {
    const ctx = await playwright.request.newContext({ baseURL: backendUrl() });
    await use(ctx);
    await ctx.dispose();
  },
  // Every page must be free of console errors and uncaught exceptions.
  consoleGuard: [
    async ({ page }, use) => {
      const errors: string[] = [];
      const allowed: RegExp[] = [];
      page.on("console", (msg) => {
        if (msg.type() === "error") errors.push(msg.text());
      });
      page.on("pageerror", (err) => errors.push(`pageerror: ${err.message}`));
      await use({ errors, allow: (pattern) => allowed.push(pattern) });
      const unexpected = errors.filter((text) => !allowed.some((re) => re.test(text)));
      expect(unexpected, "console errors on the page").toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };

/** POST `data` to `path` (as `backend`'s account), expect 201, and return the created row. */
export async function created<T = { id: number }>(backend: APIRequestContext, path: string, data: unknown): Promise<T> {
  const res = await backend.post(path, { data });
  expect(res.status(), await res.text()).toBe(201);
  return (await res.json()) as T;
}

/**
 * An enabled alert rule with no cooldown that calls `webhookUrl`, for `cameraId`'s events only
 * (so other specs' events never reach the spec's receiver).
 */
export function webhookRule(name: string, cameraId: number, webhookUrl: string, { dashboard = false } = {}) {
  return {
    name,
    is_enabled: true,
    cooldown_minutes: 0,
    conditions: { cameras: [cameraId] },
    actions: { dashboard_notification: dashboard, webhook: { url: webhookUrl } },
  };
}

/** A unique suffix so the scenarios do not depend on each other's data. */
export function uid(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}
