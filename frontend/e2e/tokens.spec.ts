import { expect, mobileScreenshot, screenshot, test, uid } from "./fixtures";

test.describe("API tokens", () => {
  test("a new token is shown once, works as a Bearer token, and stops working when revoked", async ({ page, context, anonymous }) => {
    await context.grantPermissions(["clipboard-read", "clipboard-write"]);
    const name = `Home Assistant ${uid()}`;

    await page.goto("/tokens");
    await page.getByTestId("token-add").click();
    const form = page.getByTestId("token-form");
    await form.getByLabel("Name").fill(name);
    await form.getByLabel("Role").selectOption("viewer");
    await form.getByLabel("Expires after (days)").fill("30");
    await form.getByTestId("token-save").click();

    const created = page.getByTestId("token-created");
    await expect(created).toBeVisible();
    await expect(created).toContainText("It won't be shown again");
    const value = await created.getByTestId("token-value").inputValue();
    expect(value.length).toBeGreaterThan(20);
    await created.getByTestId("token-copy").click();
    await expect(created.getByTestId("token-copy")).toHaveText("Copied");
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(value);
    await screenshot(page, "tokens-created");

    // It works for a REST client, with the role it was given.
    const me = await anonymous.get("/api/v1/auth/me", { headers: { Authorization: `Bearer ${value}` } });
    expect(me.status()).toBe(200);
    expect(((await me.json()) as { role: string }).role).toBe("viewer");
    expect((await anonymous.get("/api/v1/settings", { headers: { Authorization: `Bearer ${value}` } })).status()).toBe(403);

    // Once dismissed it is gone for good: the list shows its prefix only.
    await created.getByTestId("token-done").click();
    await expect(created).toBeHidden();
    const row = page.getByTestId("token-row").filter({ hasText: name });
    await expect(row).toBeVisible();
    await expect(page.locator("body")).not.toContainText(value);
    await page.reload();
    await expect(row).toBeVisible();
    await expect(page.locator("body")).not.toContainText(value);
    const prefix = (await row.getByTestId("token-prefix").innerText()).replace(/…$/, "");
    expect(prefix.length).toBeGreaterThan(0);
    expect(value.startsWith(prefix)).toBe(true);
    await expect(row).toContainText("Last used");
    await screenshot(page, "tokens");
    await mobileScreenshot(page, "tokens");

    // Revoke, behind a confirmation: refused at once.
    await row.getByRole("button", { name: `Revoke ${name}` }).click();
    await row.getByRole("group", { name: `Confirm revoking ${name}` }).getByRole("button", { name: "Revoke" }).click();
    await expect(row).toHaveCount(0);
    await expect(page.getByText(`Token “${name}” revoked.`)).toBeVisible();
    expect((await anonymous.get("/api/v1/auth/me", { headers: { Authorization: `Bearer ${value}` } })).status()).toBe(401);
  });
});
