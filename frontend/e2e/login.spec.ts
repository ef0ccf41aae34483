import { E2E_ADMIN, expect, mobileScreenshot, screenshot, test, webUrl } from "./fixtures";

test.use({ account: "none" });

test.describe("Sign-in", () => {
  test("signed out: to the sign-in page and back to the page; wrong password; sign out", async ({ page, consoleGuard, adminToken }) => {
    expect(adminToken).toBeTruthy(); // the e2e admin exists (created here if this spec runs alone)
    // The dashboard's "who am I" and the wrong password answer 401: Chromium logs those.
    consoleGuard.allow(/status of 401/);

    await page.goto("/cameras");
    await expect(page).toHaveURL(/\/login\?next=%2Fcameras$/);
    await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();

    await page.getByLabel("Username").fill(E2E_ADMIN.username);
    await page.getByLabel("Password").fill("e2e-fake-wrong-password");
    await page.getByTestId("login-submit").click();
    await expect(page.getByTestId("login-error")).toHaveText("Wrong username or password.");
    await expect(page.getByLabel("Password")).toHaveValue("");
    await expect(page.getByLabel("Password")).toBeFocused();
    await screenshot(page, "login-error");
    await mobileScreenshot(page, "login-error");

    await page.getByLabel("Password").fill(E2E_ADMIN.password);
    await page.getByTestId("login-submit").click();
    await expect(page).toHaveURL(/\/cameras$/);
    await expect(page.getByRole("heading", { name: "Cameras", level: 1 })).toBeVisible();

    // The user menu: name, role, sign out.
    await page.getByTestId("user-menu").click();
    await expect(page.getByTestId("user-menu-username")).toHaveText(E2E_ADMIN.username);
    await expect(page.getByTestId("user-menu-role")).toHaveText("Admin");
    await page.getByTestId("sign-out").click();
    await expect(page).toHaveURL(/\/login$/);
    // The session is over: the cookie no longer opens anything.
    expect((await page.request.get("/api/v1/auth/me")).status()).toBe(401);
    await page.goto("/alert-rules");
    await expect(page).toHaveURL(/\/login\?next=%2Falert-rules$/);

    // `next` may only be a path on this site: an absolute or protocol-relative URL gives "/".
    // (A closed loopback port, in case it were followed.)
    await page.goto(`/login?next=${encodeURIComponent("http://127.0.0.1:1/evil")}`);
    await page.getByLabel("Username").fill(E2E_ADMIN.username);
    await page.getByLabel("Password").fill(E2E_ADMIN.password);
    await page.getByTestId("login-submit").click();
    await expect(page).toHaveURL(`${webUrl()}/`);
    await expect(page.getByRole("heading", { name: "Events", level: 1 })).toBeVisible();
    await page.goto(`/login?next=${encodeURIComponent("//127.0.0.1:1/evil")}`);
    await expect(page).toHaveURL(`${webUrl()}/`);
  });

  test("change password: field errors, then the new password signs in", async ({ page, adminToken, playwright, consoleGuard }) => {
    expect(adminToken).toBeTruthy();
    consoleGuard.allow(/status of 401/); // "who am I" on the sign-in page
    consoleGuard.allow(/status of 422/); // the wrong current password
    // A user of its own, so that the e2e admin's password never changes.
    const username = `pw-${Date.now().toString(36)}`;
    const first = "e2e-fake-first-passphrase-1";
    const second = "e2e-fake-second-passphrase-2";
    const admin = await playwright.request.newContext({
      baseURL: process.env.E2E_BACKEND_URL,
      extraHTTPHeaders: { Authorization: `Bearer ${adminToken}` },
    });
    expect((await admin.post("/api/v1/users", { data: { username, password: first, role: "viewer" } })).status()).toBe(201);

    await page.goto("/login");
    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Password").fill(first);
    await page.getByTestId("login-submit").click();
    await expect(page.getByRole("heading", { name: "Events", level: 1 })).toBeVisible();

    await page.getByTestId("user-menu").click();
    await page.getByRole("menuitem", { name: "Change password" }).click();
    const dialog = page.getByTestId("change-password-dialog");
    await expect(dialog).toBeVisible();
    await expect(dialog.getByLabel("Current password")).toBeFocused();
    // The server's answer for a wrong current password, at its field.
    await dialog.getByLabel("Current password").fill("e2e-fake-not-the-current-one");
    await dialog.getByLabel("New password", { exact: true }).fill(second);
    await dialog.getByLabel("Confirm new password").fill(second);
    await dialog.getByTestId("pw-submit").click();
    await expect(dialog.getByTestId("pw-current-error")).not.toBeEmpty();
    await dialog.getByLabel("Current password").fill(first);
    await dialog.getByTestId("pw-submit").click();
    await expect(dialog).toBeHidden();
    await expect(page.getByText("Password changed.")).toBeVisible();

    const anon = await playwright.request.newContext({ baseURL: process.env.E2E_BACKEND_URL });
    expect((await anon.post("/api/v1/auth/login", { data: { username, password: second } })).status()).toBe(200);
    await anon.dispose();
    await admin.dispose();
  });
});
