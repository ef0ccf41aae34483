import { act, render, screen, waitFor, within } from "../render";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ADMIN_ME, VIEWER_ME, encryptionStatusFixture, json, mockFetch, navigationMock, type Call } from "../helpers";

const nav = vi.hoisted(() => ({ current: null as ReturnType<typeof navigationMock> | null }));
vi.mock("next/navigation", async () => {
  const { navigationMock: make } = await import("../helpers");
  nav.current = make();
  return nav.current.module;
});

import { AppShell } from "@/components/app-shell";
import { api } from "@/lib/api";

const ADMIN_LINKS = ["Alert rules", "Users", "API tokens", "Audit", "Settings"];

function backend(me: object | null, extra: (call: Call) => Response | null = () => null) {
  return mockFetch((call) => {
    const answer = extra(call);
    if (answer) return answer;
    if (call.url === "/api/v1/auth/status") return json({ setup_required: false });
    if (call.url === "/api/v1/auth/me") return me ? json(me) : json({ detail: "Sign in to continue.", code: "not_authenticated" }, 401);
    if (call.url.startsWith("/api/v1/notifications")) return json({ items: [], total: 0, unread_count: 0, limit: 20, offset: 0 });
    if (call.url === "/api/v1/encryption/status") return json(encryptionStatusFixture({ backup_confirmed_at: "2026-01-01T00:00:00Z" }));
    return json({ detail: "Not for this role", code: "forbidden" }, 403);
  });
}

function at(path: string) {
  const [pathname, search = ""] = path.split("?");
  nav.current!.state.pathname = pathname;
  nav.current!.state.search = search;
  window.history.replaceState({}, "", path);
}

function Page() {
  return <p>page content</p>;
}

beforeEach(() => {
  nav.current!.router.replace.mockClear();
  at("/");
});
afterEach(() => vi.unstubAllGlobals());

describe("AppShell", () => {
  it("shows an admin every page in the navigation, and the user menu", async () => {
    backend(ADMIN_ME);
    const user = userEvent.setup();
    render(<AppShell><Page /></AppShell>);
    const main = await screen.findByRole("navigation", { name: "Main" });
    for (const label of ["Events", "Cameras", ...ADMIN_LINKS]) expect(within(main).getByRole("link", { name: label })).toBeInTheDocument();
    expect(screen.getByText("page content")).toBeInTheDocument();
    await user.click(screen.getByTestId("user-menu"));
    expect(screen.getByTestId("user-menu-username")).toHaveTextContent("owner");
    expect(screen.getByTestId("user-menu-role")).toHaveTextContent("Admin");
    expect(screen.getByRole("menuitem", { name: "Change password" })).toBeInTheDocument();
  });

  it("gives a viewer Events and Cameras only: admin links absent, not disabled", async () => {
    const { calls } = backend(VIEWER_ME);
    render(<AppShell><Page /></AppShell>);
    await screen.findByRole("navigation", { name: "Main" });
    for (const name of ["Main", "Main (compact)"]) {
      const navEl = screen.getByRole("navigation", { name });
      expect(within(navEl).getAllByRole("link").map((a) => a.textContent)).toEqual(["Events", "Cameras"]);
    }
    for (const label of ADMIN_LINKS) expect(screen.queryByRole("link", { name: label })).toBeNull();
    // Nothing admin-only is even asked for (no 403s): no key-backup reminder call.
    await waitFor(() => expect(calls.some((c) => c.url.startsWith("/api/v1/notifications"))).toBe(true));
    expect(calls.some((c) => c.url === "/api/v1/encryption/status")).toBe(false);
  });

  it.each(["/settings", "/alert-rules", "/users", "/tokens", "/audit", "/setup/key"])(
    "shows a viewer “You don't have access to this page” at %s instead of the page",
    async (path) => {
      at(path);
      backend(VIEWER_ME);
      render(<AppShell><Page /></AppShell>);
      expect(await screen.findByRole("heading", { name: "You don't have access to this page" })).toBeInTheDocument();
      expect(screen.queryByText("page content")).toBeNull();
    },
  );

  it("sends every page to /setup while no user exists", async () => {
    at("/cameras");
    const { calls } = mockFetch((call) => (call.url === "/api/v1/auth/status" ? json({ setup_required: true }) : json({}, 500)));
    render(<AppShell><Page /></AppShell>);
    await waitFor(() => expect(nav.current!.router.replace).toHaveBeenCalledWith("/setup"));
    expect(screen.queryByText("page content")).toBeNull();
    // Nothing but the set-up question (and the API's liveness) is asked.
    expect(calls.map((c) => c.url).filter((u) => u !== "/health")).toEqual(["/api/v1/auth/status"]);
  });

  it("sends a signed-out visitor to /login?next=<the page>", async () => {
    at("/cameras?id=4");
    backend(null);
    render(<AppShell><Page /></AppShell>);
    await waitFor(() => expect(nav.current!.router.replace).toHaveBeenCalledWith("/login?next=%2Fcameras%3Fid%3D4"));
    expect(screen.queryByText("page content")).toBeNull();
  });

  it("sends the user to sign in when any later call answers 401 (session ended)", async () => {
    at("/alert-rules");
    backend(ADMIN_ME, (call) => (call.url === "/api/v1/alert-rules" ? json({ detail: "Sign in to continue." }, 401) : null));
    render(<AppShell><Page /></AppShell>);
    await screen.findByText("page content");
    await act(async () => {
      await api.alertRules.list().catch(() => undefined);
    });
    expect(nav.current!.router.replace).toHaveBeenCalledWith("/login?next=%2Falert-rules");
  });

  it("reminds an admin to back up the key until it is confirmed", async () => {
    backend(ADMIN_ME, (call) => (call.url === "/api/v1/encryption/status" ? json(encryptionStatusFixture()) : null));
    render(<AppShell><Page /></AppShell>);
    const banner = await screen.findByTestId("backup-reminder");
    expect(within(banner).getByRole("link", { name: "Back up the key" })).toHaveAttribute("href", "/setup/key");
  });

  it("signs out: POST logout, then the sign-in page", async () => {
    const { calls } = backend(ADMIN_ME, (call) => (call.url === "/api/v1/auth/logout" ? new Response(null, { status: 204 }) : null));
    const user = userEvent.setup();
    render(<AppShell><Page /></AppShell>);
    await user.click(await screen.findByTestId("user-menu"));
    await user.click(screen.getByTestId("sign-out"));
    await waitFor(() => expect(nav.current!.router.replace).toHaveBeenCalledWith("/login"));
    expect(calls.find((c) => c.url === "/api/v1/auth/logout")?.method).toBe("POST");
  });
});

describe("UserMenu", () => {
  it("opens from its button as a menu, moves with the arrow keys and closes on Escape", async () => {
    backend(ADMIN_ME);
    const user = userEvent.setup();
    render(<AppShell><Page /></AppShell>);
    const trigger = await screen.findByTestId("user-menu");
    expect(trigger).toHaveAccessibleName("Account: owner (Admin)");
    expect(trigger).toHaveAttribute("aria-expanded", "false");
    expect(trigger).toHaveAttribute("aria-haspopup", "menu");

    await user.click(trigger);
    const menu = screen.getByRole("menu");
    expect(trigger).toHaveAttribute("aria-expanded", "true");
    expect(within(menu).getAllByRole("menuitem").map((i) => i.textContent?.trim())).toEqual(["Change password", "Sign out"]);
    await user.keyboard("{ArrowDown}");
    expect(within(menu).getByRole("menuitem", { name: "Change password" })).toHaveFocus();
    await user.keyboard("{ArrowDown}");
    expect(screen.getByTestId("sign-out")).toHaveFocus();

    await user.keyboard("{Escape}");
    await waitFor(() => expect(screen.queryByRole("menu")).toBeNull());
    expect(trigger).toHaveAttribute("aria-expanded", "false");
    await waitFor(() => expect(trigger).toHaveFocus());
  });

  it("offers no password change to a user signed in with an API token", async () => {
    backend({ ...VIEWER_ME, auth: "token" });
    const user = userEvent.setup();
    render(<AppShell><Page /></AppShell>);
    await user.click(await screen.findByTestId("user-menu"));
    expect(within(screen.getByRole("menu")).getAllByRole("menuitem").map((i) => i.textContent?.trim())).toEqual(["Sign out"]);
  });

  it("opens the change-password dialog from its item; Cancel gives focus back to the menu button", async () => {
    backend(ADMIN_ME);
    const user = userEvent.setup();
    render(<AppShell><Page /></AppShell>);
    const trigger = await screen.findByTestId("user-menu");
    await user.click(trigger);
    await user.click(screen.getByRole("menuitem", { name: "Change password" }));
    const dialog = await screen.findByRole("dialog", { name: "Change password" });
    expect(screen.queryByRole("menu")).toBeNull();
    await waitFor(() => expect(within(dialog).getByLabelText("Current password")).toHaveFocus());

    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    await waitFor(() => expect(trigger).toHaveFocus());
  });

  it("after a password change, opens the menu again with the notice", async () => {
    const { calls } = backend(ADMIN_ME, (call) => (call.url === "/api/v1/auth/password" ? new Response(null, { status: 204 }) : null));
    const user = userEvent.setup();
    render(<AppShell><Page /></AppShell>);
    await user.click(await screen.findByTestId("user-menu"));
    await user.keyboard("{ArrowDown}{Enter}");
    const dialog = await screen.findByRole("dialog", { name: "Change password" });
    await user.type(within(dialog).getByLabelText("Current password"), "fake-old-passphrase");
    await user.type(within(dialog).getByLabelText("New password"), "fake-new-passphrase-1");
    await user.type(within(dialog).getByLabelText("Confirm new password"), "fake-new-passphrase-1");
    await user.click(within(dialog).getByTestId("pw-submit"));

    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    const menu = await screen.findByRole("menu");
    expect(within(menu).getByRole("status")).toHaveTextContent("Password changed. Your other sessions were signed out.");
    expect(calls.find((c) => c.url === "/api/v1/auth/password")).toMatchObject({
      method: "PUT",
      body: { current_password: "fake-old-passphrase", new_password: "fake-new-passphrase-1" },
    });
  });

  it("stays open and says why when signing out fails", async () => {
    backend(ADMIN_ME, (call) => (call.url === "/api/v1/auth/logout" ? json({ detail: "Database unavailable" }, 503) : null));
    const user = userEvent.setup();
    render(<AppShell><Page /></AppShell>);
    await user.click(await screen.findByTestId("user-menu"));
    await user.click(screen.getByTestId("sign-out"));
    const menu = screen.getByRole("menu");
    expect(await within(menu).findByRole("alert")).toHaveTextContent("Could not sign out: Database unavailable");
    expect(nav.current!.router.replace).not.toHaveBeenCalledWith("/login");
  });
});
