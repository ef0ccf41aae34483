import { expect, mobileScreenshot, screenshot, test, uid } from "./fixtures";

test.describe("Events and notifications", () => {
  test("an event posted to the API shows up in the bell and the event list", async ({ page, backend, state }) => {
    const tag = uid();
    // A camera and a rule with a dashboard notification, made through the API.
    const cameraBody = state.camera
      ? { name: `Porch ${tag}`, type: "rtsp", rtsp_url: state.camera.rtsp_url, username: state.camera.username ?? null, password: state.camera.password ?? null }
      : { name: `Porch ${tag}`, type: "usb", device_index: 0 };
    const camRes = await backend.post("/api/v1/cameras", { data: cameraBody });
    expect(camRes.status(), await camRes.text()).toBe(201);
    const camera = (await camRes.json()) as { id: number };

    const ruleRes = await backend.post("/api/v1/alert-rules", {
      data: {
        name: `Anyone on the porch ${tag}`,
        is_enabled: true,
        cooldown_minutes: 0,
        conditions: { object_types: ["person"], cameras: [camera.id] },
        actions: { dashboard_notification: true, webhook: null },
      },
    });
    expect(ruleRes.status(), await ruleRes.text()).toBe(201);

    await page.goto("/");
    await expect(page.getByRole("heading", { name: "Events", level: 1 })).toBeVisible();
    const bell = page.getByTestId("notification-bell");
    await expect(bell).toBeVisible();
    const unread = async () =>
      ((await (await backend.get("/api/v1/notifications?limit=1")).json()) as { unread_count: number }).unread_count;
    const before = await unread();

    const description = `A person in a red jacket waits at the porch door ${tag}`;
    const evRes = await backend.post("/api/v1/events", {
      data: { camera_id: camera.id, description, objects_detected: ["person"], confidence: 92 },
    });
    expect(evRes.status(), await evRes.text()).toBe(201);
    const after = await unread();
    expect(after).toBeGreaterThan(before);

    // The bell polls: the count goes up without a reload.
    await expect(page.getByTestId("notification-count")).toHaveText(String(after), { timeout: 20_000 });
    await expect(page.getByTestId("event-list")).toContainText(description, { timeout: 20_000 });

    await bell.click();
    const panel = page.getByTestId("notification-panel");
    await expect(panel).toBeVisible();
    const item = panel.getByTestId("notification-item").filter({ hasText: tag }).first();
    await expect(item).toHaveAttribute("data-read", "false");
    await screenshot(page, "notifications");

    await item.getByRole("button", { name: /Mark .* as read/ }).click();
    await expect(item).toHaveAttribute("data-read", "true");
    await page.keyboard.press("Escape");
    await expect(panel).toBeHidden();
    await expect(bell).toBeFocused();

    // Keyboard only: Enter opens the list again, Tab reaches "Mark all read".
    await page.keyboard.press("Enter");
    await expect(panel).toBeVisible();
    await page.keyboard.press("Tab");
    await expect(panel.getByRole("button", { name: /Mark all read/ })).toBeFocused();
    await page.keyboard.press("Escape");
    await expect(panel).toBeHidden();

    await screenshot(page, "events");
    await mobileScreenshot(page, "events");
  });
});
