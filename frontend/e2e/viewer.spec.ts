import { E2E_VIEWER, expect, mobileScreenshot, screenshot, test, uid } from "./fixtures";

// Signed in as a viewer (the fixture creates the user through the API when missing).
test.use({ account: "viewer" });

const ADMIN_PAGES = [
  { path: "/settings", link: "Settings" },
  { path: "/alert-rules", link: "Alert rules" },
  { path: "/users", link: "Users" },
  { path: "/tokens", link: "API tokens" },
  { path: "/audit", link: "Audit" },
];

test.describe("A viewer", () => {
  test("sees events, notifications and camera names; no admin page, no credential field", async ({ page, backend, state }) => {
    // A camera with credentials, made by the admin: the viewer sees its name and status only.
    const name = `Back gate ${uid()}`;
    const body = state.camera
      ? { name, type: "rtsp", rtsp_url: state.camera.rtsp_url, username: state.camera.username ?? null, password: state.camera.password ?? null }
      : { name, type: "usb", device_index: 0 };
    const res = await backend.post("/api/v1/cameras", { data: body });
    expect(res.status(), await res.text()).toBe(201);

    await page.goto("/");
    await expect(page.getByRole("heading", { name: "Events", level: 1 })).toBeVisible();
    await expect(page.getByTestId("user-menu")).toHaveAccessibleName(`Account: ${E2E_VIEWER.username} (Viewer)`);
    const nav = page.getByRole("navigation", { name: "Main", exact: true });
    await expect(nav.getByRole("link", { name: "Events" })).toBeVisible();
    await expect(nav.getByRole("link", { name: "Cameras" })).toBeVisible();
    // Absent, not disabled: no link anywhere on the page (both navigations, the overview tiles).
    for (const { link } of ADMIN_PAGES) await expect(page.getByRole("link", { name: link, exact: true })).toHaveCount(0);
    await expect(page.getByText("Active rules")).toHaveCount(0);
    await expect(page.getByTestId("notification-bell")).toBeVisible();
    await expect(page.getByTestId("backup-reminder")).toHaveCount(0);
    await screenshot(page, "viewer-events");
    await mobileScreenshot(page, "viewer-events");

    // Cameras: names and status; no form, test, switch or delete.
    await page.goto("/cameras");
    const row = page.getByTestId("camera-row").filter({ hasText: name });
    await expect(row).toBeVisible();
    await expect(row).toContainText("Enabled");
    await expect(page.getByTestId("camera-add")).toHaveCount(0);
    await expect(page.getByRole("button", { name: /Test|Edit|Delete|Add/ })).toHaveCount(0);
    await expect(page.getByRole("switch")).toHaveCount(0);
    await expect(page.locator("input")).toHaveCount(0);
    if (state.camera) {
      await expect(page.locator("body")).not.toContainText(state.camera.rtsp_url);
      if (state.camera.password) await expect(page.locator("body")).not.toContainText(state.camera.password);
    }
    await screenshot(page, "viewer-cameras");

    // Admin pages by URL: a plain no-access state, and no field at all.
    for (const { path } of [...ADMIN_PAGES, { path: "/setup/key" }]) {
      await page.goto(path);
      await expect(page.getByRole("heading", { name: "You don't have access to this page" })).toBeVisible();
      await expect(page.locator("main input, main select, main textarea")).toHaveCount(0);
      await expect(page.locator('input[type="password"]')).toHaveCount(0);
    }
    await screenshot(page, "viewer-no-access");

    // The backend agrees (the dashboard only hides; the API refuses).
    expect((await page.request.get("/api/v1/settings")).status()).toBe(403);
    expect((await page.request.get("/api/v1/users")).status()).toBe(403);
  });
});
