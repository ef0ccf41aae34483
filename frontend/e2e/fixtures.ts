import fs from "node:fs";
import path from "node:path";
import { test as base, expect, type APIRequestContext, type Page } from "@playwright/test";

export interface E2EState {
  backend_url: string;
  provider_url: string;
  webhook_url: string;
  camera: { rtsp_url: string; username?: string; password?: string } | null;
}

export function readState(): E2EState {
  const file = process.env.E2E_STATE_FILE;
  if (!file || !fs.existsSync(file)) throw new Error(`E2E state file missing (${file}): is serve_e2e running?`);
  return JSON.parse(fs.readFileSync(file, "utf8")) as E2EState;
}

export const SCREENSHOT_DIR = path.join(__dirname, "..", "test-results", "screenshots");

export async function screenshot(page: Page, name: string): Promise<void> {
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

interface ConsoleGuard {
  errors: string[];
  /** Allow an expected browser message (e.g. Chromium logging a deliberate 422). */
  allow: (pattern: RegExp) => void;
}

type Fixtures = {
  state: E2EState;
  backend: APIRequestContext;
  consoleGuard: ConsoleGuard;
};

export const test = base.extend<Fixtures>({
  state: async ({}, use) => {
    await use(readState());
  },
  backend: async ({ playwright }, use) => {
    // Talks to the backend directly (not through the dashboard's proxy).
    const ctx = await playwright.request.newContext({ baseURL: process.env.E2E_BACKEND_URL });
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

/** A unique suffix so the scenarios do not depend on each other's data. */
export function uid(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}
