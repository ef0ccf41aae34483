import { expect, screenshot, test } from "./fixtures";

const NO_KEYS = {
  ai_api_key_openai: null,
  ai_api_key_anthropic: null,
  ai_api_key_google: null,
  ai_api_key_grok: null,
  ai_primary_provider: null,
};

test.describe("Settings: AI provider health", () => {
  // Start with no key stored, and leave none behind for the other specs.
  test.beforeEach(async ({ backend }) => {
    expect((await backend.put("/api/v1/settings", { data: NO_KEYS })).ok()).toBe(true);
  });
  test.afterEach(async ({ backend }) => {
    expect((await backend.put("/api/v1/settings", { data: NO_KEYS })).ok()).toBe(true);
  });

  test("a key that fails its test is saved only when asked, and shows red", async ({ page, backend }) => {
    const bad = "fake-e2e-health-4711-bad";
    await page.goto("/settings");
    // No key at all: the page says AI descriptions are off and how to turn them on.
    await expect(page.getByTestId("ai-off-banner")).toContainText("AI descriptions are off");

    const card = page.getByTestId("ai-provider-card-openai");
    await card.getByLabel("OpenAI API key").fill(bad);
    await card.getByRole("button", { name: "Save & test OpenAI key" }).click();
    const ask = card.getByRole("group", { name: "Save the OpenAI key although its test failed?" });
    await expect(ask).toContainText("Save anyway?");
    // Nothing is stored before the answer.
    const before = (await (await backend.get("/api/v1/settings")).json()) as { ai_api_key_openai: string | null };
    expect(before.ai_api_key_openai).toBeNull();

    await ask.getByRole("button", { name: "Save OpenAI key anyway" }).click();
    await expect(card.getByText("Key saved, although its test failed.")).toBeVisible();
    // The first key while no primary was set: the server made it primary, and the page says so.
    await expect(card.getByTestId("ai-key-primary-openai")).toContainText("OpenAI is now the primary provider");
    await expect(page.getByTestId("ai-off-banner")).toHaveCount(0);

    const badge = card.getByTestId("key-health");
    await expect(badge).toHaveAttribute("data-tone", "danger");
    await expect(badge).toContainText("Failing:");
    // The failure is remembered by the server, not only by this page.
    await page.reload();
    await expect(card.getByTestId("key-health")).toHaveAttribute("data-tone", "danger");
    await expect(card.getByText("Primary")).toBeVisible();
    await expect(page.locator("body")).not.toContainText(bad);
    await screenshot(page, "ai-key-failing");

    // A working key replaces it: green, "Working", with its time.
    await card.getByLabel("New OpenAI API key").fill("fake-e2e-health-4712-ok");
    await card.getByRole("button", { name: "Save & test OpenAI key" }).click();
    await expect(card.getByText("Key saved.")).toBeVisible();
    await expect(card.getByTestId("key-health")).toHaveAttribute("data-tone", "success");
    await expect(card.getByTestId("key-health")).toContainText("Working");
  });

  test("a failing key is not saved when the user declines", async ({ page, backend }) => {
    await page.goto("/settings");
    const card = page.getByTestId("ai-provider-card-anthropic");
    await card.getByLabel("Anthropic API key").fill("fake-anthropic-e2e-declined-bad");
    await card.getByRole("button", { name: "Save & test Anthropic key" }).click();
    await card.getByRole("button", { name: "Don't save" }).click();
    await expect(card.getByTestId("masked-key")).toHaveText("Not set");
    const now = (await (await backend.get("/api/v1/settings")).json()) as { ai_api_key_anthropic: string | null };
    expect(now.ai_api_key_anthropic).toBeNull();
  });
});
