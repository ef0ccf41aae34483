import { render, screen, waitFor, within } from "../render";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { encryptionStatusFixture, json, mockFetch, navigationMock, type Call } from "../helpers";

const nav = vi.hoisted(() => ({ current: null as ReturnType<typeof navigationMock> | null }));
vi.mock("next/navigation", async () => {
  const { navigationMock: make } = await import("../helpers");
  nav.current = make();
  return nav.current.module;
});

import { AuthProvider } from "@/components/auth-provider";
import { KeyLocation } from "@/components/auth/key-backup";
import { SetupWizard } from "@/components/auth/setup-wizard";

const OWNER = { id: 1, username: "owner", role: "admin" };
const LOGIN = { access_token: "x", token_type: "bearer", expires_at: "2030-01-01T00:00:00Z", user: OWNER };

function fresh(opts: { setup?: (call: Call) => Response; status?: Record<string, unknown> } = {}) {
  let confirmed: string | null = null;
  return mockFetch((call) => {
    if (call.url === "/api/v1/auth/status") return json({ setup_required: true });
    if (call.url === "/api/v1/auth/setup") return opts.setup ? opts.setup(call) : json(LOGIN, 201);
    if (call.url === "/api/v1/encryption/status")
      return json(encryptionStatusFixture({ backup_confirmed_at: confirmed, ...opts.status }));
    if (call.url === "/api/v1/encryption/backup-confirmation") {
      confirmed = "2026-12-01T11:00:00Z";
      return json({ backup_confirmed_at: confirmed });
    }
    return json({ detail: "unexpected" }, 500);
  });
}

function renderWizard() {
  return render(
    <AuthProvider>
      <SetupWizard />
    </AuthProvider>,
  );
}

async function fillAccount(user: ReturnType<typeof userEvent.setup>, password: string, confirm = password) {
  await user.type(await screen.findByLabelText("Username"), "owner");
  await user.type(screen.getByLabelText("Password"), password);
  await user.type(screen.getByLabelText("Confirm password"), confirm);
  await user.click(screen.getByTestId("setup-submit"));
}

beforeEach(() => {
  nav.current!.router.replace.mockClear();
  nav.current!.state.pathname = "/setup";
  window.history.replaceState({}, "", "/setup");
});
afterEach(() => vi.unstubAllGlobals());

/** The server's 422 answer with field errors. */
function invalid(detail: string, errors: { field: string; message: string }[]) {
  return json({ detail, code: "invalid", errors }, 422);
}

describe("Onboarding", () => {
  it("step 1 shows the policy and checks only what the browser knows: filled in, and the same twice", async () => {
    const { calls } = fresh();
    const user = userEvent.setup();
    renderWizard();
    expect(await screen.findByText(/At least 12 characters, not a common password/)).toBeInTheDocument();
    await user.click(screen.getByTestId("setup-submit"));
    expect(screen.getByTestId("setup-username-error")).toHaveTextContent("Choose a username.");
    expect(screen.getByLabelText("Username")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByTestId("setup-password-error")).toHaveTextContent("Choose a password.");

    await fillAccount(user, "short", "other");
    expect(screen.getByTestId("setup-confirm-error")).toHaveTextContent("The two passwords are not the same.");
    expect(screen.getByLabelText("Confirm password")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByLabelText("Confirm password")).toHaveAccessibleDescription("The two passwords are not the same.");
    expect(screen.queryByTestId("setup-username-error")).toBeNull();
    expect(screen.queryByTestId("setup-password-error")).toBeNull();
    expect(calls.some((c) => c.url === "/api/v1/auth/setup")).toBe(false);
  });

  it("shows the server's field error at its field (a common password)", async () => {
    fresh({
      setup: () =>
        invalid("Some fields are not valid.", [{ field: "password", message: "This password is too common." }]),
    });
    const user = userEvent.setup();
    renderWizard();
    await fillAccount(user, "passwordpassword");
    expect(await screen.findByTestId("setup-password-error")).toHaveTextContent("This password is too common.");
    expect(screen.getByLabelText("Password")).toHaveAccessibleDescription(/too common/);
    expect(screen.getByLabelText("Password")).toHaveAttribute("aria-invalid", "true");
    expect(screen.queryByRole("alert")).toBeNull();
    expect(screen.queryByTestId("key-backup")).toBeNull();
  });

  it("leaves the username's and the length's rules to the server and shows its answers at the fields", async () => {
    const { calls } = fresh({
      setup: () =>
        invalid("Invalid request: username: not allowed", [{ field: "username", message: "String should match pattern of the allowed characters" }, { field: "password", message: "Use at least 12 characters." }]),
    });
    const user = userEvent.setup();
    renderWizard();
    await user.type(await screen.findByLabelText("Username"), "owner with spaces");
    await user.type(screen.getByLabelText("Password"), "short");
    await user.type(screen.getByLabelText("Confirm password"), "short");
    await user.click(screen.getByTestId("setup-submit"));
    expect(await screen.findByTestId("setup-username-error")).toHaveTextContent("allowed characters");
    expect(screen.getByLabelText("Username")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByLabelText("Username")).toHaveFocus();
    expect(screen.getByTestId("setup-password-error")).toHaveTextContent("Use at least 12 characters.");
    expect(calls.find((c) => c.url === "/api/v1/auth/setup")?.body).toEqual({ username: "owner with spaces", password: "short" });

    // Typing again clears the server's error at that field.
    await user.type(screen.getByLabelText("Username"), "x");
    expect(screen.queryByTestId("setup-username-error")).toBeNull();
  });

  it("says so when an owner already exists (409)", async () => {
    fresh({ setup: () => json({ detail: "Setup is done.", code: "setup_done" }, 409) });
    const user = userEvent.setup();
    renderWizard();
    await fillAccount(user, "e2e-fake-owner-passphrase");
    expect(await screen.findByText(/already has an owner account/)).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Sign in" })).toHaveAttribute("href", "/login");
  });

  it("step 2 shows the key file, the fingerprint and the advice; Continue confirms the backup", async () => {
    const { calls } = fresh();
    const user = userEvent.setup();
    renderWizard();
    await fillAccount(user, "e2e-fake-owner-passphrase");
    expect(calls.find((c) => c.url === "/api/v1/auth/setup")?.body).toEqual({ username: "owner", password: "e2e-fake-owner-passphrase" });

    const step = await screen.findByTestId("key-backup");
    expect(within(step).getByTestId("key-location-path")).toHaveTextContent("/var/lib/loaic/encryption.key");
    expect(within(step).getByTestId("key-fingerprint")).toHaveTextContent(/^3fa9c02b7d1e$/);
    expect(step).toHaveTextContent("Keep the key apart from the database backup");
    expect(step).toHaveTextContent("Without the key, stored secrets cannot be recovered");
    // Still on the onboarding although the owner is signed in now.
    expect(nav.current!.router.replace).not.toHaveBeenCalled();

    const cont = within(step).getByTestId("backup-continue");
    expect(cont).toBeDisabled();
    await user.click(within(step).getByLabelText(/I have backed up my key/));
    expect(cont).toBeEnabled();
    await user.click(cont);
    await waitFor(() => expect(nav.current!.router.replace).toHaveBeenCalledWith("/"));
    expect(calls.find((c) => c.url === "/api/v1/encryption/backup-confirmation")?.method).toBe("POST");
  });

  it("leaves the onboarding for the dashboard once a user exists", async () => {
    mockFetch((call) =>
      call.url === "/api/v1/auth/status" ? json({ setup_required: false }) : json({ ...OWNER, auth: "session" }),
    );
    renderWizard();
    await waitFor(() => expect(nav.current!.router.replace).toHaveBeenCalledWith("/"));
    expect(screen.queryByTestId("setup-account")).toBeNull();
  });

  it("describes a key from the environment without a path", () => {
    render(<KeyLocation status={{ key_source: "environment", key_location: null }} />);
    expect(screen.getByTestId("key-location")).toHaveTextContent("From the environment / Docker secret");
    expect(screen.queryByTestId("key-location-path")).toBeNull();
  });
});
