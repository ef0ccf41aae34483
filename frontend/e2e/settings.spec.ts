import type { Page } from "@playwright/test";
import { expect, mobileScreenshot, screenshot, test } from "./fixtures";

/** On the settings page, type `key` into `provider`'s card and press Test: the card's status line. */
async function testKey(page: Page, provider: string, key: string) {
  await page.goto("/settings");
  await page.getByTestId(`ai-key-input-${provider}`).fill(key);
  await page.getByTestId(`ai-key-test-${provider}`).click();
  return page.getByTestId(`ai-key-status-${provider}`);
}

test.describe("Settings: AI provider keys", () => {
  test("a valid key shows a green check", async ({ page }) => {
    const status = await testKey(page, "openai", "fake-openai-e2e-valid-ok");
    await expect(status).toHaveAttribute("data-state", "success");
    await expect(status.getByRole("img", { name: "Valid" })).toBeVisible();
    await expect(status).toHaveClass(/text-success/);
  });

  test("an invalid key shows a red cross and the message", async ({ page }) => {
    const status = await testKey(page, "anthropic", "fake-anthropic-e2e-wrong-bad");
    await expect(status).toHaveAttribute("data-state", "failure");
    await expect(status.getByRole("img", { name: "Failed" })).toBeVisible();
    await expect(status).not.toHaveText("");
    // The provider's error text echoes the key: the page must never show it.
    await expect(page.locator("body")).not.toContainText("fake-anthropic-e2e-wrong-bad");
  });

  test("a saved key is masked after reload and the input stays empty", async ({ page }) => {
    const key = "fake-grok-e2e-saved-1234-ok";
    await expect(await testKey(page, "grok", key)).toHaveAttribute("data-state", "success");
    await page.getByTestId("ai-key-save-grok").click();
    const card = page.getByTestId("ai-provider-card-grok");
    await expect(card.getByText("Key saved.")).toBeVisible();
    await expect(card.getByTestId("masked-key")).toHaveText(`****${key.slice(-4)}`);

    await page.reload();
    await expect(card.getByTestId("masked-key")).toHaveText(`****${key.slice(-4)}`);
    await expect(page.getByTestId("ai-key-input-grok")).toHaveValue("");
    await expect(page.locator("body")).not.toContainText(key);

    // The stored key can be tested without typing it again.
    await expect(page.getByTestId("ai-key-test-grok")).toHaveText(/Test stored xAI Grok key/);
    await page.getByTestId("ai-key-test-grok").click();
    await expect(page.getByTestId("ai-key-status-grok")).toHaveAttribute("data-state", "success");

    await screenshot(page, "settings");
    await mobileScreenshot(page, "settings");
  });
});
