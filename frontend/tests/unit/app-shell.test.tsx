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
    expect(screen.getByRole("button", { name: "Change password" })).toBeInTheDocument();
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
