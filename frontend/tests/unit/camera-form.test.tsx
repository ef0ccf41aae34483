import { render, screen, waitFor } from "../render";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CameraForm } from "@/components/cameras/camera-form";
import { CredentialBadge } from "@/components/cameras/cameras-view";
import { SecretInput } from "@/components/secret-input";
import type { Camera } from "@/lib/types";
import { json, mockFetch } from "../helpers";

afterEach(() => vi.unstubAllGlobals());

const camera: Camera = {
  id: 4,
  name: "Front door",
  type: "rtsp",
  rtsp_url: "rtsp://192.168.1.20:554/stream1",
  username: "admin",
  password: "****",
  device_index: null,
  is_enabled: true,
  credential_status: "set",
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};

describe("SecretInput", () => {
  it("is a password field, never pre-filled, showing Set · Replace when stored", () => {
    render(<SecretInput id="pw" label="Password" stored value="" onValueChange={() => {}} />);
    const input = screen.getByLabelText("Password");
    expect(input).toHaveAttribute("type", "password");
    expect(input).toHaveValue("");
    expect(screen.getByTestId("pw-state")).toHaveTextContent("Set · Replace");
    expect(screen.getByText(/Leave empty to keep/)).toBeInTheDocument();
  });

  it("says Not set when nothing is stored", () => {
    render(<SecretInput id="pw" label="Password" stored={false} value="" onValueChange={() => {}} />);
    expect(screen.getByTestId("pw-state")).toHaveTextContent("Not set");
  });
});

describe("CredentialBadge", () => {
  it("shows credential status without any secret", () => {
    const { rerender } = render(<CredentialBadge camera={camera} />);
    expect(screen.getByText("Password set")).toBeInTheDocument();
    rerender(<CredentialBadge camera={{ ...camera, credential_status: "undecryptable" }} />);
    expect(screen.getByText("Password needs re-entry")).toBeInTheDocument();
    rerender(<CredentialBadge camera={{ ...camera, password: null, credential_status: "none" }} />);
    expect(screen.getByText("No password")).toBeInTheDocument();
  });
});

describe("CameraForm", () => {
  it("does not pre-fill the password when editing and omits it from the update when left empty", async () => {
    const { calls } = mockFetch(() => json({ ...camera, name: "Front porch" }));
    const onSaved = vi.fn();
    const user = userEvent.setup();
    render(<CameraForm camera={camera} onSaved={onSaved} onCancel={() => {}} />);
    expect(screen.getByTestId("camera-password")).toHaveValue("");
    expect(screen.getByTestId("camera-form")).toHaveTextContent("Set · Replace");
    const name = screen.getByTestId("camera-name");
    await user.clear(name);
    await user.type(name, "Front porch");
    await user.click(screen.getByTestId("camera-save"));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(calls[0].method).toBe("PUT");
    expect(calls[0].url).toBe("/api/v1/cameras/4");
    expect(calls[0].body).not.toHaveProperty("password");
  });

  it("asks for the password again when the host changed (422 password_required)", async () => {
    let attempt = 0;
    const { calls } = mockFetch(() => {
      attempt += 1;
      if (attempt === 1)
        return json(
          {
            detail: "The camera address changed: enter the password again to send it to the new host.",
            code: "password_required",
          },
          422,
        );
      return json({ ...camera, rtsp_url: "rtsp://192.168.1.99:554/stream1" });
    });
    const onSaved = vi.fn();
    const user = userEvent.setup();
    render(<CameraForm camera={camera} onSaved={onSaved} onCancel={() => {}} />);
    const url = screen.getByTestId("camera-rtsp-url");
    await user.clear(url);
    await user.type(url, "rtsp://192.168.1.99:554/stream1");
    await user.click(screen.getByTestId("camera-save"));

    expect(await screen.findByTestId("camera-password-required")).toHaveTextContent("enter the password again");
    const password = screen.getByTestId("camera-password");
    expect(password).toHaveAttribute("aria-invalid", "true");
    await waitFor(() => expect(password).toHaveFocus());
    expect(onSaved).not.toHaveBeenCalled();

    await user.type(password, "n3w-secret");
    await user.click(screen.getByTestId("camera-save"));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(calls[1].body).toMatchObject({ password: "n3w-secret", rtsp_url: "rtsp://192.168.1.99:554/stream1" });
  });

  it("tests new details and shows codecs and resolution", async () => {
    const { calls } = mockFetch(() =>
      json({ success: true, message: "Connected", codecs: ["H264", "PCMA"], resolution: "1920x1080", auth: "digest", latency_ms: 12 }),
    );
    const user = userEvent.setup();
    render(<CameraForm camera={null} onSaved={() => {}} onCancel={() => {}} />);
    await user.type(screen.getByTestId("camera-name"), "Garage");
    await user.type(screen.getByTestId("camera-rtsp-url"), "rtsp://127.0.0.1:8554/stream");
    await user.type(screen.getByTestId("camera-username"), "admin");
    await user.type(screen.getByTestId("camera-password"), "pw");
    await user.click(screen.getByTestId("camera-test"));
    const result = await screen.findByTestId("camera-test-result");
    await waitFor(() => expect(result).toHaveAttribute("data-state", "success"));
    expect(result).toHaveTextContent("H264");
    expect(result).toHaveTextContent("1920x1080");
    expect(calls[0]).toMatchObject({ url: "/api/v1/cameras/test", method: "POST" });
    expect(calls[0].body).toMatchObject({ rtsp_url: "rtsp://127.0.0.1:8554/stream", username: "admin", password: "pw" });
  });

  it("tests an unchanged saved camera with its stored password", async () => {
    const { calls } = mockFetch(() => json({ success: false, message: "Authentication failed", error_code: "auth_failed" }));
    const user = userEvent.setup();
    render(<CameraForm camera={camera} onSaved={() => {}} onCancel={() => {}} />);
    await user.click(screen.getByTestId("camera-test"));
    const result = screen.getByTestId("camera-test-result");
    await waitFor(() => expect(result).toHaveAttribute("data-state", "failure"));
    expect(result).toHaveTextContent("Authentication failed");
    expect(result).toHaveTextContent("Check the username and password.");
    expect(calls[0].url).toBe("/api/v1/cameras/4/test");
  });

  it("validates required fields before calling the API", async () => {
    const { calls } = mockFetch(() => json({}));
    const user = userEvent.setup();
    render(<CameraForm camera={null} onSaved={() => {}} onCancel={() => {}} />);
    await user.click(screen.getByTestId("camera-save"));
    expect(screen.getByText("Enter a name.")).toBeInTheDocument();
    expect(screen.getByText("Enter the stream address.")).toBeInTheDocument();
    expect(calls).toHaveLength(0);
  });
});
