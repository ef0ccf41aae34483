import { render, screen, waitFor, within } from "../render";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ADMIN_ME, VIEWER_ME, json, mockFetch, type Call } from "../helpers";
import { AuthContext, authValue } from "@/components/auth-provider";
import { AuditView } from "@/components/admin/audit-view";
import { TokensView } from "@/components/admin/tokens-view";
import { UsersView } from "@/components/admin/users-view";
import { ChangePasswordDialog } from "@/components/auth/change-password";
import { CamerasView } from "@/components/cameras/cameras-view";
import type { Me } from "@/lib/types";

afterEach(() => vi.unstubAllGlobals());

/** The server's 422 answer with field errors. */
function invalid(detail: string, errors: { field: string; message: string }[]) {
  return json({ detail, code: "invalid", errors }, 422);
}

function as(me: Me, ui: React.ReactNode) {
  return render(<AuthContext.Provider value={authValue({ status: "signed-in", user: me })}>{ui}</AuthContext.Provider>);
}

const now = "2026-12-01T10:00:00Z";
const SECRET = "loac_e2eFakeTokenValue0123456789abcdef";

describe("TokensView", () => {
  /** No tokens yet, the new-token form open; the server answers a POST with `created`. */
  async function openTokenForm(created: () => Response) {
    const { calls } = mockFetch((call) => (call.method === "POST" ? created() : json([])));
    const user = userEvent.setup();
    as(ADMIN_ME, <TokensView />);
    await screen.findByText("No API tokens");
    await user.click(screen.getByTestId("token-add"));
    return { calls, user };
  }

  it("asks for a name in the browser, and shows the server's 422 at the name field", async () => {
    const { calls, user } = await openTokenForm(() =>
      invalid("Invalid request: name: too long", [{ field: "name", message: "String should have at most 100 characters" }]),
    );
    await user.type(screen.getByLabelText("Name"), "   ");
    await user.click(screen.getByTestId("token-save"));
    expect(screen.getByTestId("token-name-error")).toHaveTextContent("Give the token a name");
    expect(screen.getByLabelText("Name")).toHaveAttribute("aria-invalid", "true");
    expect(calls.some((c) => c.method === "POST")).toBe(false);

    await user.type(screen.getByLabelText("Name"), "a rather long client name");
    await user.click(screen.getByTestId("token-save"));
    expect(await screen.findByTestId("token-name-error")).toHaveTextContent("at most 100 characters");
    expect(screen.getByLabelText("Name")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByLabelText("Name")).toHaveFocus();
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({ name: "a rather long client name", role: "viewer", expires_in_days: null });
    expect(screen.queryByTestId("token-created")).toBeNull();
  });

  it("shows an error the form has no field for above the form", async () => {
    const { user } = await openTokenForm(() => invalid("Invalid request: body: not a JSON object", [{ field: "body", message: "not a JSON object" }]));
    await user.type(screen.getByLabelText("Name"), "curl");
    await user.click(screen.getByTestId("token-save"));
    expect(await within(screen.getByTestId("token-form")).findByRole("alert")).toHaveTextContent("Invalid request: body: not a JSON object");
    expect(screen.getByLabelText("Name")).not.toHaveAttribute("aria-invalid");
  });

  it("shows a new token once, with copy and the warning; after Done only the prefix remains", async () => {
    const listed: unknown[] = [];
    const { calls } = mockFetch((call) => {
      if (call.url === "/api/v1/tokens" && call.method === "POST")
        return json({ id: 9, name: "Home Assistant", role: "viewer", token: SECRET, prefix: "loac_e2eF", created_at: now, expires_at: "2026-12-31T10:00:00Z" }, 201);
      if (call.url === "/api/v1/tokens") return json(listed);
      return json({}, 500);
    });
    const user = userEvent.setup(); // (installs its own clipboard stub: ours goes after)
    const writeText = vi.fn(async () => undefined);
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    as(ADMIN_ME, <TokensView />);
    await screen.findByText("No API tokens");
    await user.click(screen.getByTestId("token-add"));
    await user.type(screen.getByLabelText("Name"), "Home Assistant");
    await user.type(screen.getByLabelText("Expires after (days)"), "30");
    await user.click(screen.getByTestId("token-save"));
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({ name: "Home Assistant", role: "viewer", expires_in_days: 30 });

    const created = await screen.findByTestId("token-created");
    expect(within(created).getByTestId("token-value")).toHaveValue(SECRET);
    expect(created).toHaveTextContent("It won't be shown again");
    await user.click(within(created).getByTestId("token-copy"));
    expect(writeText).toHaveBeenCalledWith(SECRET);
    expect(within(created).getByTestId("token-copy")).toHaveTextContent("Copied");

    const row = screen.getByTestId("token-row");
    expect(within(row).getByTestId("token-prefix")).toHaveTextContent("loac_e2eF…");
    expect(row).not.toHaveTextContent(SECRET);

    await user.click(screen.getByTestId("token-done"));
    expect(screen.queryByTestId("token-created")).toBeNull();
    expect(document.body.innerHTML).not.toContain(SECRET);
  });

  it("checks the expiry and revokes behind a confirmation", async () => {
    const { calls } = mockFetch((call) => {
      if (call.method === "DELETE") return new Response(null, { status: 204 });
      return json([{ id: 3, name: "curl", role: "admin", prefix: "loac_abc", created_at: now, expires_at: null, last_used_at: now, created_by: "owner" }]);
    });
    const user = userEvent.setup();
    as(ADMIN_ME, <TokensView />);
    const row = await screen.findByTestId("token-row");
    expect(row).toHaveTextContent("Never"); // expires
    expect(row).toHaveTextContent("by owner");

    await user.click(screen.getByTestId("token-add"));
    await user.type(screen.getByLabelText("Name"), "x");
    await user.type(screen.getByLabelText("Expires after (days)"), "9999");
    await user.click(screen.getByTestId("token-save"));
    expect(screen.getByTestId("token-expiry-error")).toHaveTextContent("from 1 to 3650");
    expect(screen.getByLabelText("Expires after (days)")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByLabelText("Expires after (days)")).toHaveAccessibleDescription(/Empty: the token does not expire\. Enter a whole number/);
    expect(calls.some((c) => c.method === "POST")).toBe(false);

    await user.click(within(row).getByRole("button", { name: "Revoke curl" }));
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);
    await user.click(within(within(row).getByRole("group", { name: "Confirm revoking curl" })).getByRole("button", { name: "Revoke" }));
    await waitFor(() => expect(screen.queryByTestId("token-row")).toBeNull());
    expect(calls.find((c) => c.method === "DELETE")?.url).toBe("/api/v1/tokens/3");
    expect(screen.getByText("Token “curl” revoked.")).toBeInTheDocument();
  });
});

const USERS = [
  { id: 1, username: "owner", role: "admin", is_active: true, created_at: now, last_login_at: now },
  { id: 2, username: "guest", role: "viewer", is_active: true, created_at: now, last_login_at: null },
];

describe("UsersView", () => {
  /** The two users listed, the add-user form open; `answer` replies to anything but the list. */
  async function openUserForm(answer: (call: Call) => Response) {
    const { calls } = mockFetch((call) => (call.method === "GET" ? json(USERS) : answer(call)));
    const user = userEvent.setup();
    as(ADMIN_ME, <UsersView />);
    await screen.findAllByTestId("user-row");
    await user.click(screen.getByTestId("user-add"));
    return { calls, user, form: screen.getByTestId("user-form") };
  }

  it("changes a role, disables, and shows the backend's 409 at the row", async () => {
    const { calls } = mockFetch((call) => {
      if (call.method === "PUT" && call.url === "/api/v1/users/1")
        return json({ detail: "You cannot demote or disable yourself.", code: "self" }, 409);
      if (call.method === "PUT") return json({ ...USERS[1], ...(call.body as object) });
      if (call.method === "DELETE") return json({ detail: "That would leave no active admin.", code: "last_admin" }, 409);
      return json(USERS);
    });
    const user = userEvent.setup();
    as(ADMIN_ME, <UsersView />);
    const rows = await screen.findAllByTestId("user-row");
    const [me, guest] = rows;
    expect(within(me).getByText("You")).toBeInTheDocument();

    await user.selectOptions(within(guest).getByLabelText("Role of guest"), "admin");
    await waitFor(() => expect(within(guest).getByLabelText("Role of guest")).toHaveValue("admin"));
    expect(calls.find((c) => c.method === "PUT")?.body).toEqual({ role: "admin" });

    await user.click(within(guest).getByRole("button", { name: "Disable" }));
    await waitFor(() => expect(within(guest).getByTestId("user-status")).toHaveTextContent("Disabled"));

    await user.selectOptions(within(me).getByLabelText("Role of owner"), "viewer");
    expect(await within(me).findByTestId("user-error")).toHaveTextContent("You cannot demote or disable yourself.");
    expect(within(me).getByLabelText("Role of owner")).toHaveValue("admin");

    await user.click(within(me).getByRole("button", { name: "Delete owner" }));
    await user.click(within(within(me).getByRole("group", { name: "Confirm deleting owner" })).getByRole("button", { name: "Delete" }));
    expect(await within(me).findByTestId("user-error")).toHaveTextContent("That would leave no active admin.");
    expect(screen.getAllByTestId("user-row")).toHaveLength(2);
  });

  it("creates a user with a role and resets a password, checking the confirmation first", async () => {
    const { calls, user, form } = await openUserForm((call) =>
      call.method === "POST" ? json({ id: 3, username: "kim", role: "admin", is_active: true, created_at: now, last_login_at: null }, 201) : json(USERS[1]),
    );
    await user.type(within(form).getByLabelText("Username"), "kim");
    await user.selectOptions(within(form).getByLabelText("Role"), "admin");
    await user.type(within(form).getByLabelText("Password"), "e2e-fake-kim-passphrase");
    await user.type(within(form).getByLabelText("Confirm password"), "e2e-fake-kim-passphrase");
    await user.click(within(form).getByTestId("user-save"));
    expect(await screen.findByText("User “kim” created.")).toBeInTheDocument();
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({ username: "kim", password: "e2e-fake-kim-passphrase", role: "admin" });

    const guest = screen.getAllByTestId("user-row")[1];
    await user.click(within(guest).getByRole("button", { name: "Reset password" }));
    await user.type(within(guest).getByLabelText("New password"), "e2e-fake-guest-passphrase");
    await user.type(within(guest).getByLabelText("Confirm new password"), "e2e-fake-guest-typo");
    await user.click(within(guest).getByRole("button", { name: "Set password" }));
    expect(within(guest).getByText("The two passwords are not the same.")).toBeInTheDocument();
    expect(within(guest).getByLabelText("Confirm new password")).toHaveAttribute("aria-invalid", "true");
    expect(calls.some((c) => c.method === "PUT")).toBe(false);
  });

  it("checks the new user's fields in the browser, then shows the server's 422 at each field", async () => {
    const { calls, user, form } = await openUserForm(() =>
      invalid("Invalid request: username: not allowed", [
        { field: "username", message: "Use letters, digits and . _ @ - only." },
        { field: "password", message: "The password must not be (or merely extend) the username." },
      ]),
    );
    await user.click(within(form).getByTestId("user-save"));
    expect(within(form).getByLabelText("Username")).toHaveAttribute("aria-invalid", "true");
    expect(within(form).getByLabelText("Username")).toHaveAccessibleDescription("Enter a username.");
    expect(within(form).getByTestId("user-password-error")).toHaveTextContent("Choose a password.");
    expect(calls.some((c) => c.method === "POST")).toBe(false);

    await user.type(within(form).getByLabelText("Username"), "kim lee");
    await user.type(within(form).getByLabelText("Password"), "kim lee 1");
    await user.type(within(form).getByLabelText("Confirm password"), "kim lee 1");
    await user.click(within(form).getByTestId("user-save"));
    expect(await within(form).findByTestId("user-username-error")).toHaveTextContent("Use letters, digits and . _ @ - only.");
    expect(within(form).getByLabelText("Username")).toHaveAttribute("aria-invalid", "true");
    expect(within(form).getByTestId("user-password-error")).toHaveTextContent("must not be (or merely extend) the username");
    expect(within(form).getByLabelText("Password")).toHaveAttribute("aria-invalid", "true");
    expect(within(form).queryByRole("alert")).toBeNull();
    expect(screen.getByTestId("user-form")).toBeInTheDocument();
  });

  it("shows the server's policy answer at the reset form's password field", async () => {
    mockFetch((call) => {
      if (call.method === "PUT")
        return invalid("Use at least 12 characters.", [{ field: "password", message: "Use at least 12 characters." }]);
      return json(USERS);
    });
    const user = userEvent.setup();
    as(ADMIN_ME, <UsersView />);
    const guest = (await screen.findAllByTestId("user-row"))[1];
    await user.click(within(guest).getByRole("button", { name: "Reset password" }));
    expect(within(guest).getByLabelText("New password")).toHaveFocus();
    await user.type(within(guest).getByLabelText("New password"), "short");
    await user.type(within(guest).getByLabelText("Confirm new password"), "short");
    await user.click(within(guest).getByRole("button", { name: "Set password" }));
    expect(await within(guest).findByTestId("user-2-reset-password-error")).toHaveTextContent("Use at least 12 characters.");
    expect(within(guest).getByLabelText("New password")).toHaveAttribute("aria-invalid", "true");
    expect(within(guest).getByRole("form", { name: "New password for guest" })).toBeInTheDocument();
  });
});

describe("ChangePasswordDialog", () => {
  /** Types into the dialog's fields that are given (after clearing them), then submits. */
  async function submitDialog(user: ReturnType<typeof userEvent.setup>, fields: { current?: string; next?: string; confirm?: string }) {
    const labels = { current: "Current password", next: "New password", confirm: "Confirm new password" } as const;
    for (const key of ["current", "next", "confirm"] as const) {
      const value = fields[key];
      if (value === undefined) continue;
      await user.clear(screen.getByLabelText(labels[key]));
      await user.type(screen.getByLabelText(labels[key]), value);
    }
    await user.click(screen.getByTestId("pw-submit"));
  }

  /** The dialog against a server that answers every change with a 422 at `field`. */
  function renderDialog(field: string, message: string) {
    const { calls } = mockFetch(() => invalid("Some fields are not valid.", [{ field, message }]));
    const onChanged = vi.fn();
    render(<ChangePasswordDialog username="owner" onClose={() => undefined} onChanged={onChanged} />);
    return { calls, onChanged, user: userEvent.setup() };
  }

  it("shows the server's field errors at their fields", async () => {
    const { calls, onChanged, user } = renderDialog("current_password", "The current password is wrong.");
    expect(screen.getByLabelText("Current password")).toHaveFocus();
    await submitDialog(user, { current: "e2e-fake-old-pass", next: "e2e-fake-new-passphrase", confirm: "e2e-fake-new-passphrase-typo" });
    expect(screen.getByTestId("pw-confirm-error")).toHaveTextContent("not the same");
    expect(calls).toHaveLength(0);

    await submitDialog(user, { confirm: "e2e-fake-new-passphrase" });
    expect(await screen.findByTestId("pw-current-error")).toHaveTextContent("The current password is wrong.");
    expect(calls[0]).toMatchObject({ url: "/api/v1/auth/password", method: "PUT", body: { current_password: "e2e-fake-old-pass", new_password: "e2e-fake-new-passphrase" } });
    expect(screen.getByLabelText("Current password")).toHaveAttribute("aria-invalid", "true");
    expect(onChanged).not.toHaveBeenCalled();
  });

  it("checks in the browser what it can, and shows the server's new_password error at the new password", async () => {
    const { calls, onChanged, user } = renderDialog("new_password", "This password is too common or too easy to guess; choose another.");
    await submitDialog(user, {});
    expect(screen.getByTestId("pw-current-error")).toHaveTextContent("Enter your current password.");
    expect(screen.getByLabelText("Current password")).toHaveAttribute("aria-invalid", "true");
    await submitDialog(user, { current: "e2e-fake-same-pass", next: "e2e-fake-same-pass", confirm: "e2e-fake-same-pass" });
    expect(screen.getByTestId("pw-password-error")).toHaveTextContent("different from the current one");
    expect(calls).toHaveLength(0);

    await submitDialog(user, { next: "password1234", confirm: "password1234" });
    expect(await screen.findByTestId("pw-password-error")).toHaveTextContent("too common");
    expect(screen.getByLabelText("New password")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByLabelText("New password")).toHaveAccessibleDescription(/too common/);
    expect(calls[0].body).toEqual({ current_password: "e2e-fake-same-pass", new_password: "password1234" });
    expect(screen.queryByRole("alert")).toBeNull();
    expect(onChanged).not.toHaveBeenCalled();
  });
});

describe("CamerasView for a viewer", () => {
  it("lists names and status only: no form, test, switch or delete", async () => {
    mockFetch(() => json([{ id: 1, name: "Porch", type: "rtsp", is_enabled: true, created_at: now, updated_at: now }]));
    as(VIEWER_ME, <CamerasView />);
    const row = await screen.findByTestId("camera-row");
    expect(row).toHaveTextContent("Porch");
    expect(row).toHaveTextContent("Enabled");
    expect(screen.queryByRole("button")).toBeNull();
    expect(screen.queryByRole("switch")).toBeNull();
    expect(document.querySelector("input")).toBeNull();
  });

  it("keeps the admin's form and test buttons for an admin", async () => {
    mockFetch(() => json([{ id: 1, name: "Porch", type: "rtsp", rtsp_url: "rtsp://127.0.0.1:1/s", username: null, password: null, device_index: null, is_enabled: true }]));
    as(ADMIN_ME, <CamerasView />);
    await screen.findByTestId("camera-row");
    expect(screen.getByTestId("camera-add")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Test Porch" })).toBeInTheDocument();
  });
});

describe("AuditView", () => {
  it("filters by action, actor and outcome, and pages with limit/offset", async () => {
    const item = (id: number) => ({ id, at: now, actor: "owner", address: "127.0.0.1", action: "login", target: null, outcome: "ok" });
    const { calls } = mockFetch((call) => {
      const offset = Number(new URL(call.url, "http://x").searchParams.get("offset") ?? 0);
      return json({ items: Array.from({ length: offset === 0 ? 50 : 7 }, (_, i) => item(offset + i + 1)), total: 57 });
    });
    const user = userEvent.setup();
    render(<AuditView />);
    expect(await screen.findAllByTestId("audit-row")).toHaveLength(50);
    expect(calls[0].url).toBe("/api/v1/audit?limit=50&offset=0");
    expect(screen.getByTestId("audit-range")).toHaveTextContent("1–50 of 57");

    await user.click(screen.getByRole("button", { name: /Next/ }));
    await waitFor(() => expect(screen.getByTestId("audit-range")).toHaveTextContent("51–57 of 57"));
    expect(calls.at(-1)!.url).toBe("/api/v1/audit?limit=50&offset=50");
    expect(screen.getByRole("button", { name: /Next/ })).toBeDisabled();

    await user.selectOptions(screen.getByLabelText("Action"), "login");
    await user.selectOptions(screen.getByLabelText("Outcome"), "failed");
    await user.type(screen.getByLabelText("Actor"), "owner{Enter}");
    await waitFor(() => expect(calls.at(-1)!.url).toBe("/api/v1/audit?action=login&actor=owner&outcome=failed&limit=50&offset=0"));
    const row = (await screen.findAllByTestId("audit-row"))[0];
    expect(row).toHaveTextContent("Sign-in");
    expect(row).toHaveTextContent("127.0.0.1");
  });
  it("applies the selects at once and the actor on Apply, and shows the server's 422 at the actor field", async () => {
    const { calls } = mockFetch((call) =>
      new URL(call.url, "http://x").searchParams.has("actor")
        ? invalid("Invalid request: actor: too long", [{ field: "actor", message: "String should have at most 120 characters" }])
        : json({ items: [], total: 0 }),
    );
    const user = userEvent.setup();
    render(<AuditView />);
    expect(await screen.findByText("Nothing recorded")).toBeInTheDocument();
    await user.selectOptions(screen.getByLabelText("Outcome"), "refused");
    await waitFor(() => expect(calls.at(-1)!.url).toBe("/api/v1/audit?outcome=refused&limit=50&offset=0"));

    const actor = screen.getByLabelText("Actor");
    await user.type(actor, "  a-very-long-fake-actor-name  ");
    expect(calls.at(-1)!.url).toBe("/api/v1/audit?outcome=refused&limit=50&offset=0");
    await user.click(screen.getByTestId("audit-apply"));
    expect(await screen.findByTestId("audit-actor-error")).toHaveTextContent("String should have at most 120 characters");
    expect(actor).toHaveAttribute("aria-invalid", "true");
    expect(actor).toHaveAttribute("aria-describedby", "audit-actor-error");
    expect(calls.at(-1)!.url).toBe("/api/v1/audit?actor=a-very-long-fake-actor-name&outcome=refused&limit=50&offset=0");
    expect(screen.getByLabelText("Outcome")).not.toHaveAttribute("aria-invalid");
  });
});
