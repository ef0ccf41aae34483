import { E2E_ADMIN, expect, mobileScreenshot, screenshot, test, uid } from "./fixtures";

test.describe("Users", () => {
  test("create with a role, change role, disable and enable, reset password, delete; refusals shown", async ({ page, anonymous, consoleGuard }) => {
    consoleGuard.allow(/status of 409/); // demoting oneself is refused
    const username = `kim-${uid()}`;
    const first = "e2e-fake-kim-passphrase-1";
    const reset = "e2e-fake-kim-passphrase-2";
    const login = (password: string) => anonymous.post("/api/v1/auth/login", { data: { username, password } });

    await page.goto("/users");
    await page.getByTestId("user-add").click();
    const form = page.getByTestId("user-form");
    await form.getByLabel("Username").fill(username);
    await form.getByLabel("Role").selectOption("viewer");
    await form.getByLabel("Password", { exact: true }).fill(first);
    await form.getByLabel("Confirm password").fill(first);
    await form.getByTestId("user-save").click();
    await expect(form).toBeHidden();
    await expect(page.getByText(`User “${username}” created.`)).toBeVisible();
    const row = page.getByTestId("user-row").filter({ hasText: username });
    await expect(row.getByLabel(`Role of ${username}`)).toHaveValue("viewer");
    expect((await login(first)).status()).toBe(200);

    await row.getByLabel(`Role of ${username}`).selectOption("admin");
    await expect(page.getByText(`“${username}” is now admin.`)).toBeVisible();

    await row.getByRole("button", { name: "Disable" }).click();
    await expect(row.getByTestId("user-status")).toHaveText("Disabled");
    await row.getByRole("button", { name: "Enable" }).click();
    await expect(row.getByTestId("user-status")).toHaveText("Active");

    await row.getByRole("button", { name: "Reset password" }).click();
    await row.getByLabel("New password", { exact: true }).fill(reset);
    await row.getByLabel("Confirm new password").fill(reset);
    await row.getByRole("button", { name: "Set password" }).click();
    await expect(page.getByText(`Password of “${username}” reset.`)).toBeVisible();
    expect((await login(reset)).status()).toBe(200);

    // The backend's refusal, at the row: an admin may not demote themself.
    const me = page.getByTestId("user-row").filter({ hasText: E2E_ADMIN.username });
    await me.getByLabel(`Role of ${E2E_ADMIN.username}`).selectOption("viewer");
    await expect(me.getByTestId("user-error")).toContainText(`Could not update “${E2E_ADMIN.username}”`);
    await expect(me.getByLabel(`Role of ${E2E_ADMIN.username}`)).toHaveValue("admin");
    await screenshot(page, "users");
    await mobileScreenshot(page, "users");

    await row.getByRole("button", { name: `Delete ${username}` }).click();
    await row.getByRole("group", { name: `Confirm deleting ${username}` }).getByRole("button", { name: "Delete" }).click();
    await expect(page.getByText(`User “${username}” deleted.`)).toBeVisible();
    await expect(page.getByTestId("user-row").filter({ hasText: username })).toHaveCount(0);
  });
});
