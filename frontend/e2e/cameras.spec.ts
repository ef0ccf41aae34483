import { expect, mobileScreenshot, screenshot, test, uid } from "./fixtures";

test.describe("Cameras", () => {
  test("add an RTSP camera, test it, and see the password only as a status", async ({ page, state, consoleGuard }) => {
    test.skip(!state.camera, "the fake RTSP camera is not available (backend/tests/fakes)");
    const cam = state.camera!;
    const name = `Driveway ${uid()}`;

    await page.goto("/cameras");
    await page.getByTestId("camera-add").click();
    const form = page.getByTestId("camera-form");
    await form.getByTestId("camera-name").fill(name);
    await form.getByTestId("camera-rtsp-url").fill(cam.rtsp_url);
    if (cam.username) await form.getByTestId("camera-username").fill(cam.username);
    if (cam.password) await form.getByTestId("camera-password").fill(cam.password);

    await form.getByTestId("camera-test").click();
    const result = form.getByTestId("camera-test-result");
    await expect(result).toHaveAttribute("data-state", "success");
    await expect(result.getByTestId("camera-test-codecs")).not.toBeEmpty();
    await expect(result.getByTestId("camera-test-resolution")).toHaveText(/^\d+x\d+$/);

    await screenshot(page, "camera-form");
    await form.getByTestId("camera-save").click();
    await expect(form).toBeHidden();
    const row = page.getByTestId("camera-row").filter({ hasText: name });
    await expect(row).toBeVisible();
    await expect(row).toContainText(cam.password ? "Password set" : "No password");
    if (cam.password) await expect(page.locator("body")).not.toContainText(cam.password);

    // Test the saved camera with its stored password.
    await row.getByRole("button", { name: `Test ${name}`, exact: true }).click();
    await expect(row.locator("[data-testid^=camera-test-result-]")).toHaveAttribute("data-state", "success");

    // Editing: the password field is write-only and empty.
    await row.getByRole("button", { name: "Edit" }).click();
    const edit = page.getByTestId("camera-form");
    await expect(edit.getByTestId("camera-password")).toHaveValue("");
    await expect(edit).toContainText("Set · Replace");

    // A new host without the password: the backend refuses (422), the form asks for it.
    consoleGuard.allow(/status of 422/);
    const moved = cam.rtsp_url.replace("127.0.0.1", "localhost");
    await edit.getByTestId("camera-rtsp-url").fill(moved);
    await edit.getByTestId("camera-save").click();
    await expect(edit.getByTestId("camera-password-required")).toBeVisible();
    await expect(edit.getByTestId("camera-password")).toBeFocused();
    await expect(edit.getByTestId("camera-password")).toHaveAttribute("aria-invalid", "true");
    await edit.getByTestId("camera-password").fill(cam.password ?? "");
    await edit.getByTestId("camera-save").click();
    await expect(edit).toBeHidden();
    await expect(row).toContainText(moved);

    await screenshot(page, "cameras");
    await mobileScreenshot(page, "cameras");
  });
});
