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

test.describe("Settings: descriptions and webhooks", () => {
  test("max tokens out of range is refused at its field; a valid value is saved and kept", async ({ page, backend }) => {
    const before = (await (await backend.get("/api/v1/settings")).json()) as { ai_max_tokens: number };
    await page.goto("/settings");
    const tokens = page.getByLabel("Max tokens per description");
    await expect(tokens).toHaveValue(String(before.ai_max_tokens));

    await tokens.fill("9000");
    await page.getByTestId("general-settings-save").click();
    await expect(tokens).toHaveAttribute("aria-invalid", "true");
    await expect(tokens).toBeFocused();
    await expect(page.getByTestId("ai-max-tokens-hint")).toHaveText("Enter a whole number from 16 to 4096.");

    const next = before.ai_max_tokens === 512 ? 640 : 512;
    await tokens.fill(String(next));
    await expect(tokens).not.toHaveAttribute("aria-invalid");
    await page.getByTestId("general-settings-save").click();
    await expect(page.getByText("Settings saved.")).toBeVisible();
    await page.reload();
    await expect(page.getByLabel("Max tokens per description")).toHaveValue(String(next));

    // Put it back for the other specs.
    const restored = await backend.put("/api/v1/settings", { data: { ai_max_tokens: before.ai_max_tokens } });
    expect(restored.status(), await restored.text()).toBe(200);
  });
});
