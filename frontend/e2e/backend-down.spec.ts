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
    await page.reload();

    const banner = page.getByTestId("backend-down");
    await expect(banner).toBeVisible();
    await expect(page.getByTestId("backend-down")).toHaveCount(1);
    await expect(banner).toContainText("Can't reach the API at");
    await expect(banner.getByTestId("backend-down-address")).toHaveText(process.env.E2E_BACKEND_URL!);
    // Nothing pretends to be loaded or empty while it waits.
    await expect(page.getByText("Could not load this page")).toHaveCount(0);
    await expect(page.getByText(/No .* yet|Nothing yet/)).toHaveCount(0);
    await screenshot(page, "backend-down");

    // It comes back: the banner goes and the page loads without a reload.
    await page.unroute("**/api/v1/**");
    await page.unroute("**/health");
    await expect(page.getByRole("heading", { name: "AI Providers" })).toBeVisible({ timeout: 20_000 });
    await expect(page.getByTestId("backend-down")).toHaveCount(0);
  });
});
