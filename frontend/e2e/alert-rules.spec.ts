import { expect, mobileScreenshot, screenshot, test, uid } from "./fixtures";

test.describe("Alert rules", () => {
  test("create a rule with a secret header: masked after save", async ({ page, state, backend, anonymous }) => {
    const name = `Person at night ${uid()}`;
    const secretValue = `hdr-secret-${uid()}`;
    const urlSecretPath = `/hooks/${uid()}-path-secret`;

    await page.goto("/alert-rules");
    await page.getByTestId("rule-add").click();
    const form = page.getByTestId("rule-form");
    await form.getByTestId("rule-name").fill(name);
    await form.getByTestId("rule-object-person").click();
    await form.getByTestId("rule-min-confidence").fill("60");
    await form.getByTestId("rule-webhook").click();
    await form.getByTestId("rule-webhook-url").fill(`${state.webhook_url}${urlSecretPath}`);
    await form.getByTestId("header-add").click();
    await form.getByTestId("header-name").last().fill("X-Shared-Value");
    await form.getByTestId("header-value").last().fill(secretValue);
    // A custom header is secret by default (only Content-Type, Accept, User-Agent... are plain).
    await expect(form.getByTestId("header-secret").last()).toBeChecked();
    await expect(form.getByTestId("header-value").last()).toHaveAttribute("type", "password");
    await screenshot(page, "alert-rule-form");
    await form.getByTestId("rule-save").click();

    await expect(form).toBeHidden();
    const row = page.getByTestId("rule-row").filter({ hasText: name });
    await expect(row).toBeVisible();
    const header = row.getByTestId("rule-headers");
    await expect(header).toContainText("X-Shared-Value:");
    await expect(header).toContainText("****");
    await expect(page.locator("body")).not.toContainText(secretValue);
    await expect(page.locator("body")).not.toContainText(urlSecretPath);

    await page.reload();
    const again = page.getByTestId("rule-row").filter({ hasText: name });
    await expect(again.getByTestId("rule-headers")).toContainText("****");
    await expect(page.locator("body")).not.toContainText(secretValue);

    // Editing shows the secret header empty (write-only).
    await again.getByRole("button", { name: "Edit" }).click();
    const edit = page.getByTestId("rule-form");
    const secretInput = edit.getByTestId("header-value").last();
    await expect(secretInput).toHaveValue("");
    await expect(secretInput).toHaveAttribute("type", "password");
    await expect(edit.getByTestId("rule-webhook-url")).toHaveValue("");
    await edit.getByRole("button", { name: "Cancel" }).click();

    // An event that matches: the webhook is delivered with the real header value,
    // and the delivery shows in the rule's log.
    const camRes = await backend.post("/api/v1/cameras", {
      data: { name: `Yard ${uid()}`, type: "rtsp", rtsp_url: state.camera!.rtsp_url, username: state.camera!.username, password: state.camera!.password },
    });
    expect(camRes.status(), await camRes.text()).toBe(201);
    const camera = (await camRes.json()) as { id: number };
    const evRes = await backend.post("/api/v1/events", {
      data: { camera_id: camera.id, description: "A person crosses the yard", objects_detected: ["person"], confidence: 88 },
    });
    expect(evRes.status(), await evRes.text()).toBe(201);

    await again.getByRole("button", { name: "Deliveries" }).click();
    const logs = again.locator("[data-testid^=webhook-logs-]");
    await expect(async () => {
      await logs.getByRole("button", { name: "Refresh deliveries" }).click();
      await expect(logs.locator("tbody tr").first()).toContainText("200", { timeout: 1000 });
    }).toPass({ timeout: 20_000 });
    await expect(page.locator("body")).not.toContainText(secretValue);

    const received = (await (await anonymous.get(`${state.webhook_url}/__receiver/requests`)).json()) as {
      path: string;
      headers: Record<string, string>;
    }[];
    const hit = received.find((r) => r.path === urlSecretPath);
    expect(hit, "the webhook receiver got the delivery").toBeTruthy();
    expect(hit!.headers["x-shared-value"]).toBe(secretValue);
    await screenshot(page, "alert-rules");
    await mobileScreenshot(page, "alert-rules");
  });
});
