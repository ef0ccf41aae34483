// Runs first (by name) on the fresh e2e backend: no user exists yet.
import { E2E_ADMIN, expect, mobileScreenshot, screenshot, test } from "./fixtures";

test.use({ account: "none" });

test.describe("Onboarding", () => {
  test("first visit: owner account, key step with fingerprint, backup confirmed, dashboard", async ({ page, anonymous, consoleGuard }) => {
    consoleGuard.allow(/status of 422/); // the short and the common password, refused by the server
    const status = (await (await anonymous.get("/api/v1/auth/status")).json()) as { setup_required: boolean };
    expect(status.setup_required, "the onboarding needs a backend without users (a fresh `npm run e2e`)").toBe(true);

    // Any page goes to the onboarding while no user exists.
    await page.goto("/cameras");
    await expect(page).toHaveURL(/\/setup$/);
    const account = page.getByTestId("setup-account");
    await expect(account.getByRole("heading", { name: "Create the owner account" })).toBeVisible();
    await expect(account).toContainText("At least 12 characters, not a common password");

    // The browser's own check: the confirmation differs (nothing is sent).
    await page.getByLabel("Username").fill(E2E_ADMIN.username);
    await page.getByLabel("Password", { exact: true }).fill("short");
    await page.getByLabel("Confirm password").fill("shorter");
    await page.getByTestId("setup-submit").click();
    await expect(page.getByTestId("setup-confirm-error")).toHaveText("The two passwords are not the same.");
    await expect(page.getByLabel("Confirm password")).toHaveAttribute("aria-invalid", "true");
    await expect(page.getByTestId("setup-password-error")).toHaveCount(0);

    // The server's policy, shown at the field: too short.
    await page.getByLabel("Confirm password").fill("short");
    await page.getByTestId("setup-submit").click();
    await expect(page.getByTestId("setup-password-error")).toHaveText("Use at least 12 characters.");
    await expect(page.getByLabel("Password", { exact: true })).toHaveAttribute("aria-invalid", "true");
    await expect(page.getByTestId("setup-confirm-error")).toHaveCount(0);

    // The server's policy, shown at the field: a common password of 12 characters.
    await page.getByLabel("Password", { exact: true }).fill("password1234");
    await page.getByLabel("Confirm password").fill("password1234");
    await page.getByTestId("setup-submit").click();
    await expect(page.getByTestId("setup-password-error")).toContainText("too common");
    await expect(page.getByTestId("setup-confirm-error")).toHaveCount(0);
    expect(((await (await anonymous.get("/api/v1/auth/status")).json()) as { setup_required: boolean }).setup_required).toBe(true);

    await page.getByLabel("Password", { exact: true }).fill(E2E_ADMIN.password);
    await page.getByLabel("Confirm password").fill(E2E_ADMIN.password);
    await screenshot(page, "onboarding-account");
    await mobileScreenshot(page, "onboarding-account");
    await page.getByTestId("setup-submit").click();

    // Step 2: where the key lives, its fingerprint, the advice; never the key.
    const key = page.getByTestId("key-backup");
    await expect(key).toBeVisible();
    await expect(key.getByTestId("key-location")).toContainText("From the environment / Docker secret");
    const fingerprint = key.getByTestId("key-fingerprint");
    await expect(fingerprint).toHaveText(/^[0-9a-f]{12}$/);
    const api = (await (await page.request.get("/api/v1/encryption/status")).json()) as { fingerprint: string };
    await expect(fingerprint).toHaveText(api.fingerprint);
    await expect(key).toContainText("Keep the key apart from the database backup");
    await expect(key).toContainText("Without the key, stored secrets cannot be recovered");
    // A Fernet key is 44 URL-safe base64 characters ending in "=": none on the page.
    expect(await page.locator("body").innerText()).not.toMatch(/[A-Za-z0-9_-]{43}=/);

    const cont = page.getByTestId("backup-continue");
    await expect(cont).toBeDisabled();
    await page.getByTestId("backup-checkbox").check();
    await expect(cont).toBeEnabled();
    await screenshot(page, "onboarding-key");
    await mobileScreenshot(page, "onboarding-key");
    await cont.click();

    // The dashboard, signed in as the owner; the backup is remembered (no reminder).
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByRole("heading", { name: "Events", level: 1 })).toBeVisible();
    await expect(page.getByTestId("user-menu")).toHaveAccessibleName(`Account: ${E2E_ADMIN.username} (Admin)`);
    await expect(page.getByTestId("backup-reminder")).toHaveCount(0);
    const after = (await (await page.request.get("/api/v1/encryption/status")).json()) as { backup_confirmed_at: string | null };
    expect(after.backup_confirmed_at).not.toBeNull();

    // Onboarding is closed now: the API refuses a second owner, the page sends the user on.
    const again = await anonymous.post("/api/v1/auth/setup", { data: { username: "second-owner", password: "e2e-fake-second-owner-pw" } });
    expect(again.status()).toBe(409);
    await page.goto("/setup");
    await expect(page).toHaveURL(/\/$/);

    // The key step stays reachable for admins, with the same fingerprint badge.
    await page.goto("/setup/key");
    await expect(page.getByTestId("backup-confirmed")).toBeVisible();
    await expect(page.getByTestId("key-fingerprint")).toHaveText(api.fingerprint);
  });
});
