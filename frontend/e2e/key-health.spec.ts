import { expect, screenshot, test } from "./fixtures";

interface Status {
  fingerprint: string;
  key_source: string;
  previous_keys: number;
  places: { place: string; primary: number; previous: number; plaintext: number; undecryptable: number }[];
  totals: { primary: number; previous: number; plaintext: number; undecryptable: number };
}

test.describe("Key health", () => {
  test("the page shows the key's source, fingerprint and the per-place counts the API gives", async ({ page, backend }) => {
    const status = (await (await backend.get("/api/v1/encryption/status")).json()) as Status;
    await page.goto("/settings");
    await page.getByRole("link", { name: "Key health" }).first().click();
    await expect(page).toHaveURL(/\/settings\/keys$/);
    await expect(page.getByRole("heading", { name: "Key health", level: 1 })).toBeVisible();
    await expect(page.getByTestId("key-fingerprint")).toHaveText(status.fingerprint);
    await expect(page.getByTestId("key-previous")).toContainText(status.previous_keys === 0 ? "None configured" : String(status.previous_keys));
    const table = page.getByTestId("key-places");
    for (const p of status.places) {
      const row = table.getByRole("row").filter({ has: page.getByRole("rowheader", { name: p.place, exact: true }) });
      await expect(row).toContainText(String(p.primary));
    }
    await expect(page.getByTestId("key-total-primary")).toHaveText(String(status.totals.primary));
    await expect(page.getByTestId("key-total-undecryptable")).toHaveText(String(status.totals.undecryptable));
    // The key itself is never on the page.
    await expect(page.locator("body")).not.toContainText(/[A-Za-z0-9_-]{43}=/);
    await screenshot(page, "key-health");
  });

  test("an admin page warns when a secret can't be decrypted, linking to the key health page", async ({ page, backend }) => {
    const status = (await (await backend.get("/api/v1/encryption/status")).json()) as Status;
    // The e2e database is healthy: show the banner for an answer with one undecryptable secret.
    await page.route("**/api/v1/encryption/status", (route) =>
      route.fulfill({
        json: { ...status, backup_confirmed_at: "2026-12-01T12:00:00Z", totals: { ...status.totals, undecryptable: 1 } },
      }),
    );
    await page.goto("/cameras");
    const banner = page.getByTestId("key-health-banner");
    await expect(banner).toContainText("1 stored secret can't be decrypted");
    await banner.getByRole("link", { name: "Open key health" }).click();
    await expect(page).toHaveURL(/\/settings\/keys$/);
    await expect(page.getByTestId("key-health-problems")).toContainText("can't be decrypted");
    await screenshot(page, "key-health-banner");
  });
});
