import { E2E_ADMIN, expect, mobileScreenshot, screenshot, test } from "./fixtures";

test.describe("Audit", () => {
  test("lists the sign-ins, filtered by action, actor and outcome", async ({ page }) => {
    // The fixture signed the e2e admin in through the API: that sign-in is recorded.
    await page.goto("/audit");
    await expect(page.getByRole("heading", { name: "Audit", level: 1 })).toBeVisible();
    await page.getByLabel("Action").selectOption("login");
    await page.getByLabel("Outcome").selectOption("ok");
    await page.getByLabel("Actor").fill(E2E_ADMIN.username);
    await page.getByTestId("audit-apply").click();

    const rows = page.getByTestId("audit-row");
    await expect(rows.first()).toBeVisible();
    const count = await rows.count();
    expect(count).toBeGreaterThan(0);
    for (let i = 0; i < count; i++) {
      await expect(rows.nth(i)).toHaveAttribute("data-action", "login");
      await expect(rows.nth(i)).toHaveAttribute("data-outcome", "ok");
    }
    await expect(rows.first()).toContainText(E2E_ADMIN.username);
    await expect(rows.first()).toContainText("Sign-in");
    await expect(rows.first()).toContainText("127.0.0.1");
    await expect(page.getByTestId("audit-range")).toHaveText(new RegExp(`^1–${count} of \\d+$`));
    await screenshot(page, "audit");
    await mobileScreenshot(page, "audit");
  });
});
