import { created, expect, mobileScreenshot, screenshot, test, uid, webhookRule } from "./fixtures";

// A closed loopback port: nothing answers there.
const CLOSED_RTSP = "rtsp://127.0.0.1:1/stream1";

test.describe("Camera health", () => {
  test("a tested camera is online with its snapshot, on the card and in the form", async ({ page, state, backend }) => {
    const name = `Porch ${uid()}`;
    const cam = state.video_camera;
    await created(backend, "/api/v1/cameras", { name, type: "rtsp", rtsp_url: cam.rtsp_url, username: cam.username, password: cam.password });

    await page.goto("/cameras");
    const row = page.getByTestId("camera-row").filter({ hasText: name });
    await expect(row.locator("[data-health]")).toHaveAttribute("data-health", "untested");
    await expect(row.getByTestId("camera-snapshot")).toHaveCount(0);

    await row.getByRole("button", { name: `Test ${name}`, exact: true }).click();
    await expect(row.locator("[data-testid^=camera-test-result-]")).toHaveAttribute("data-state", "success", { timeout: 20_000 });
    // The list is reloaded after the test: the card shows the remembered status and the frame.
    await expect(row.locator("[data-health]")).toHaveAttribute("data-health", "online");
    await expect(row.locator("[data-health]")).toContainText("Online · tested");
    const snapshot = row.getByTestId("camera-snapshot");
    await expect(snapshot).toBeVisible();
    await expect.poll(() => snapshot.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(320);
    await expect(page.locator("body")).not.toContainText(cam.password);
    await screenshot(page, "camera-online");

    // The form's own test shows the frame it grabbed; Esc closes the form.
    await row.getByRole("button", { name: `Edit ${name}` }).click();
    const form = page.getByTestId("camera-form");
    await form.getByTestId("camera-test").click();
    const formSnapshot = form.getByTestId("camera-test-snapshot");
    await expect(formSnapshot).toBeVisible({ timeout: 20_000 });
    await expect.poll(() => formSnapshot.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(320);
    await screenshot(page, "camera-form-snapshot");
    await form.getByTestId("camera-name").focus();
    await page.keyboard.press("Escape");
    await expect(form).toBeHidden();
    await mobileScreenshot(page, "camera-online");
  });

  test("a camera that does not answer is offline with the reason", async ({ page, backend }) => {
    const name = `Garage ${uid()}`;
    await created(backend, "/api/v1/cameras", { name, type: "rtsp", rtsp_url: CLOSED_RTSP });

    await page.goto("/cameras");
    const row = page.getByTestId("camera-row").filter({ hasText: name });
    await row.getByRole("button", { name: `Test ${name}`, exact: true }).click();
    await expect(row.locator("[data-testid^=camera-test-result-]")).toHaveAttribute("data-state", "failure", { timeout: 20_000 });
    await expect(row.locator("[data-health]")).toHaveAttribute("data-health", "offline");
    await expect(row.locator("[data-health]")).toContainText("Offline:");
    await expect(row.getByTestId("camera-snapshot")).toHaveCount(0);

    // Remembered: still offline after a reload.
    await page.reload();
    const again = page.getByTestId("camera-row").filter({ hasText: name });
    await expect(again.locator("[data-health]")).toHaveAttribute("data-health", "offline");
    await screenshot(page, "camera-offline");
  });
});

test.describe("Webhook health", () => {
  test("a rule whose receiver answers 500 is failing; Send test shows the outcome", async ({ page, state, backend }) => {
    const tag = uid();
    const camera = await created(backend, "/api/v1/cameras", { name: `Shed ${tag}`, type: "rtsp", rtsp_url: CLOSED_RTSP });
    const name = `Shed alarm ${tag}`;
    await created(backend, "/api/v1/alert-rules", webhookRule(name, camera.id, `${state.failing_webhook_url}/hook/${tag}`));

    await page.goto("/alert-rules");
    const row = page.getByTestId("rule-row").filter({ hasText: name });
    await expect(row).toBeVisible();
    await expect(row.getByTestId("rule-delivery-health")).toHaveCount(0);

    await row.getByRole("button", { name: `Send test to ${name}` }).click();
    const outcome = row.getByTestId("rule-send-test-result");
    await expect(outcome).toHaveAttribute("data-state", "failure", { timeout: 20_000 });
    await expect(outcome).toContainText("500");
    // The rule is refreshed: its last delivery (the test) failed.
    const badge = row.getByTestId("rule-delivery-health");
    await expect(badge).toHaveAttribute("data-health", "failing");
    await expect(badge).toContainText("Failing:");
    await screenshot(page, "rule-send-test");

    // Remembered after a reload, and the delivery log reads on a phone.
    await page.reload();
    const again = page.getByTestId("rule-row").filter({ hasText: name });
    await expect(again.getByTestId("rule-delivery-health")).toHaveAttribute("data-health", "failing");
    await again.getByRole("button", { name: `Deliveries of ${name}` }).click();
    const logs = again.locator("[data-testid^=webhook-logs-]");
    await expect(logs.getByTestId("webhook-log-row").first()).toContainText("500");
    await expect(logs.getByTestId("webhook-log-row").first()).toContainText("Test");
    await screenshot(page, "rule-failing");
    await mobileScreenshot(page, "rule-failing");
  });
});

test.describe("Event detail", () => {
  test("an event whose AI description failed shows the reason, the attempts and the image", async ({ page, state, backend }) => {
    const before = (await (await backend.get("/api/v1/settings")).json()) as {
      ai_primary_provider: string | null;
      ai_fallback_order: string[];
      secret_status?: Record<string, string>;
    };
    const tag = uid();
    // A key the fake provider rejects, alone in the order: the description fails.
    const put = await backend.put("/api/v1/settings", {
      data: { ai_api_key_grok: `fake-grok-e2e-${tag}-bad`, ai_primary_provider: "grok", ai_fallback_order: [] },
    });
    expect(put.status(), await put.text()).toBe(200);
    try {
      const cam = state.video_camera;
      const camera = await created(backend, "/api/v1/cameras", {
        name: `Drive ${tag}`,
        type: "rtsp",
        rtsp_url: cam.rtsp_url,
        username: cam.username,
        password: cam.password,
      });
      // The camera's own frame is the event's image: its test grabs one.
      const tested = await backend.post(`/api/v1/cameras/${camera.id}/test`);
      expect(tested.status(), await tested.text()).toBe(200);
      const frame = await backend.get(`/api/v1/cameras/${camera.id}/snapshot`);
      expect(frame.status()).toBe(200);
      const jpeg = await frame.body();
      // A rule for this camera only, calling the failing receiver: the detail lists it and its delivery.
      const ruleName = `Drive hook ${tag}`;
      await created(backend, "/api/v1/alert-rules", webhookRule(ruleName, camera.id, `${state.failing_webhook_url}/hook/${tag}`, { dashboard: true }));

      // Through the dashboard's address with the browser's session, as a client would post it.
      await page.goto("/");
      const evRes = await page.request.post("/api/v1/events", {
        headers: { Origin: new URL(page.url()).origin },
        multipart: {
          camera_id: String(camera.id),
          objects_detected: "person",
          confidence: "75",
          image: { name: "frame.jpg", mimeType: "image/jpeg", buffer: jpeg },
        },
      });
      expect(evRes.status(), await evRes.text()).toBe(201);
      const event = (await evRes.json()) as { id: number; description_error: string | null };
      expect(event.description_error).toBeTruthy();

      // Opened from the events list.
      await page.reload();
      await page.locator(`a[href="/events/${event.id}"]`).first().click();
      await expect(page).toHaveURL(new RegExp(`/events/${event.id}$`));
      const detail = page.getByTestId("event-detail");
      await expect(detail.getByTestId("event-description-error")).toContainText(
        `AI description failed: ${event.description_error}`,
      );
      await expect(detail.getByTestId("event-ai-attempt").first()).toContainText("grok");
      await expect(detail.getByTestId("event-rules")).toContainText(ruleName);
      await expect(detail.getByTestId("event-delivery").first()).toContainText(ruleName);
      const image = detail.getByTestId("event-image");
      await expect(image).toBeVisible();
      await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(320);
      await expect(page.locator("body")).not.toContainText(`fake-grok-e2e-${tag}-bad`);
      await screenshot(page, "event-failed-ai");
      await mobileScreenshot(page, "event-failed-ai");

      // Opened from its notification in the bell (the notification carries the event id).
      await page.goto("/cameras");
      await page.getByTestId("notification-bell").click();
      const note = page.getByTestId("notification-item").filter({ hasText: ruleName });
      await note.getByTestId("notification-event-link").click();
      await expect(page).toHaveURL(new RegExp(`/events/${event.id}$`));
      await expect(page.getByTestId("notification-panel")).toBeHidden();
      await expect(page.getByTestId("event-description-error")).toBeVisible();

      // Its delivery fails 3 of 3 attempts (the receiver answers 500): the log offers Resend.
      await page.goto("/alert-rules");
      const ruleRow = page.getByTestId("rule-row").filter({ hasText: ruleName });
      await ruleRow.getByRole("button", { name: `Deliveries of ${ruleName}` }).click();
      const logs = ruleRow.locator("[data-testid^=webhook-logs-]");
      const resend = logs.getByRole("button", { name: /^Resend delivery/ }).first();
      await expect(async () => {
        await logs.getByRole("button", { name: "Refresh deliveries" }).click();
        await expect(resend).toBeVisible({ timeout: 1000 });
      }).toPass({ timeout: 30_000 });
      await resend.click();
      await expect(logs.getByTestId("webhook-resend-result")).toContainText("Delivery queued again");
      await screenshot(page, "webhook-resend");
    } finally {
      const restore = await backend.put("/api/v1/settings", {
        data: {
          ai_primary_provider: before.ai_primary_provider,
          ai_fallback_order: before.ai_fallback_order,
          ...(before.secret_status?.grok === "set" ? {} : { ai_api_key_grok: null }),
        },
      });
      expect(restore.status(), await restore.text()).toBe(200);
    }
  });
});

test.describe("Health for a viewer", () => {
  test.use({ account: "viewer" });

  test("a viewer sees camera health and opens an event's page", async ({ page, backend }) => {
    const cameras = (await (await backend.get("/api/v1/cameras")).json()) as {
      name: string;
      last_test: { success: boolean } | null;
    }[];
    const online = cameras.find((c) => c.last_test?.success);
    expect(online, "a tested camera (the camera test above makes one)").toBeTruthy();
    await page.goto("/cameras");
    const row = page.getByTestId("camera-row").filter({ hasText: online!.name });
    await expect(row.locator("[data-health]")).toHaveAttribute("data-health", "online");

    const events = (await (await backend.get("/api/v1/events?limit=1")).json()) as { items: { id: number }[] };
    expect(events.items.length, "an event (the event test above makes one)").toBeGreaterThan(0);
    const id = events.items[0].id;
    await page.goto("/");
    await page.locator(`a[href="/events/${id}"]`).first().click();
    await expect(page).toHaveURL(new RegExp(`/events/${id}$`));
    await expect(page.getByTestId("event-detail")).toBeVisible();
    await expect(page.getByRole("heading", { name: `Event #${id}`, level: 1 })).toBeVisible();
  });
});
