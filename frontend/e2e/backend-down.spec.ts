import { expect, screenshot, test } from "./fixtures";

test.describe("Backend down", () => {
  test("one banner names the API's address, and the page recovers by itself", async ({ page, consoleGuard }) => {
    // The aborted requests are logged by Chromium.
    consoleGuard.allow(/Failed to load resource|ERR_FAILED/);
    await page.goto("/settings");
    await expect(page.getByRole("heading", { name: "AI Providers" })).toBeVisible();

    // The API stops answering (every call through the dashboard's proxy fails).
    const down = (route: import("@playwright/test").Route) => route.abort("connectionrefused");
    await page.route("**/api/v1/**", down);
    await page.route("**/health", down);

    // Signed in, moving to a page not loaded yet: its data can't load.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit" }).click();
    const banner = page.getByTestId("backend-down");
    await expect(banner).toBeVisible();
    await expect(page.getByTestId("backend-down")).toHaveCount(1);
    await expect(banner).toContainText("Can't reach the API at");
    await expect(banner.getByTestId("backend-down-address")).toHaveText(process.env.E2E_BACKEND_URL!);
    // One message: the page waits under the banner, neither "could not load" nor an empty state.
    await expect(page.getByTestId("waiting-for-api")).toBeVisible();
    await expect(page.getByText("Could not load this page")).toHaveCount(0);
    await expect(page.getByText(/No .* yet|Nothing yet|Nothing recorded/)).toHaveCount(0);
    await screenshot(page, "backend-down");

    // It comes back: the banner goes and the page loads without a reload.
    await page.unroute("**/api/v1/**");
    await page.unroute("**/health");
    await expect(page.getByTestId("waiting-for-api")).toHaveCount(0, { timeout: 20_000 });
    await expect(page.getByRole("heading", { name: "Audit", level: 1 })).toBeVisible();
    await expect(page.getByTestId("backend-down")).toHaveCount(0);
  });

  test("a page opened while the API is down waits under the banner, then signs in by itself", async ({ page, consoleGuard }) => {
    consoleGuard.allow(/Failed to load resource|ERR_FAILED/);
    const down = (route: import("@playwright/test").Route) => route.abort("connectionrefused");
    await page.route("**/api/v1/**", down);
    await page.route("**/health", down);
    await page.goto("/settings");
    await expect(page.getByTestId("backend-down")).toBeVisible();
    await expect(page.getByText("Could not load this page")).toHaveCount(0);
    await screenshot(page, "backend-down-start");
    await page.unroute("**/api/v1/**");
    await page.unroute("**/health");
    await expect(page.getByRole("heading", { name: "AI Providers" })).toBeVisible({ timeout: 20_000 });
    await expect(page.getByTestId("backend-down")).toHaveCount(0);
  });
});
