import { render, screen, waitFor, within } from "../render";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ADMIN_ME, VIEWER_ME, encryptionStatusFixture, json, mockFetch, navigationMock, type Call } from "../helpers";

const nav = vi.hoisted(() => ({ current: null as ReturnType<typeof navigationMock> | null }));
vi.mock("next/navigation", async () => {
  const { navigationMock: make } = await import("../helpers");
  nav.current = make();
  return nav.current.module;
});

import { AppShell } from "@/components/app-shell";
import { isBackendDown } from "@/lib/backend-status";
import { ApiError } from "@/lib/api";
import { BackendDownContext, ErrorState } from "@/components/states";

const CONFIRMED = "2026-01-01T00:00:00Z";

function backend(me: object, key: Record<string, unknown>, extra: (call: Call) => Response | null = () => null) {
  return mockFetch((call) => {
    const answer = extra(call);
    if (answer) return answer;
    if (call.url === "/health") return json({ status: "ok", version: "test", database: "ok" });
    if (call.url === "/api/v1/auth/status") return json({ setup_required: false });
    if (call.url === "/api/v1/auth/me") return json(me);
    if (call.url.startsWith("/api/v1/notifications")) return json({ items: [], total: 0, unread_count: 0, limit: 20, offset: 0 });
    if (call.url === "/api/v1/encryption/status") return json(encryptionStatusFixture({ backup_confirmed_at: CONFIRMED, ...key }));
    return json({ detail: "Not for this role" }, 403);
  });
}

function Page() {
  return <p>page content</p>;
}

beforeEach(() => {
  nav.current!.state.pathname = "/cameras";
  window.history.replaceState({}, "", "/cameras");
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

const zero = { primary: 2, previous: 0, plaintext: 0, undecryptable: 0 };

describe("key health banner", () => {
  it.each([
    ["undecryptable secrets", { totals: { ...zero, undecryptable: 1 } }, /can't be decrypted/],
    ["plaintext secrets", { totals: { ...zero, plaintext: 3 } }, /3 stored secrets are not encrypted/],
    ["an unfinished rotation", { totals: zero, rotation: { started_at: CONFIRMED, finished_at: null, in_progress: true } }, /unfinished/],
    [
      "previous keys after a finished rotation",
      { totals: zero, previous_keys: 1, rotation: { started_at: CONFIRMED, finished_at: CONFIRMED, in_progress: false } },
      /remove them/,
    ],
  ])("shows an admin %s, linking to the key health page", async (_what, key, text) => {
    backend(ADMIN_ME, key);
    render(<AppShell><Page /></AppShell>);
    const banner = await screen.findByTestId("key-health-banner");
    expect(banner).toHaveTextContent(text);
    expect(within(banner).getByRole("link", { name: "Open key health" })).toHaveAttribute("href", "/settings/keys");
    // The backup was confirmed: no reminder beside it.
    expect(screen.queryByTestId("backup-reminder")).toBeNull();
  });

  it("is absent when all is well, and for a viewer", async () => {
    backend(ADMIN_ME, { totals: zero });
    const { unmount } = render(<AppShell><Page /></AppShell>);
    await screen.findByText("page content");
    await waitFor(() => expect(screen.queryByTestId("key-health-banner")).toBeNull());
    unmount();
    const { calls } = backend(VIEWER_ME, { totals: { ...zero, undecryptable: 4 } });
    render(<AppShell><Page /></AppShell>);
    await screen.findByText("page content");
    expect(screen.queryByTestId("key-health-banner")).toBeNull();
    expect(calls.some((c) => c.url === "/api/v1/encryption/status")).toBe(false);
  });

  it("keeps the backup reminder beside it", async () => {
    backend(ADMIN_ME, { backup_confirmed_at: null, totals: { ...zero, plaintext: 1 } });
    render(<AppShell><Page /></AppShell>);
    expect(await screen.findByTestId("key-health-banner")).toBeInTheDocument();
    expect(screen.getByTestId("backup-reminder")).toBeInTheDocument();
  });
});

describe("backend-down banner", () => {
  it("counts a network error, a 502/503/504 and a proxy's 500 as down, not the backend's own errors", () => {
    expect(isBackendDown(new ApiError(0, "x"))).toBe(true);
    for (const status of [502, 503, 504]) expect(isBackendDown(new ApiError(status, "x"))).toBe(true);
    expect(isBackendDown(new ApiError(500, "x"))).toBe(true);
    expect(isBackendDown(new ApiError(500, "x", { requestId: "abc" }))).toBe(false);
    expect(isBackendDown(new ApiError(401, "x"))).toBe(false);
    expect(isBackendDown(new Error("x"))).toBe(false);
  });

  it("shows one banner naming the address while the API can't be reached, and recovers by itself", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    let down = true;
    backend(ADMIN_ME, { totals: zero }, (call) => {
      if (!down) return null;
      if (call.url === "/health") return new Response("Internal Server Error", { status: 500 });
      return json({ detail: "Bad gateway" }, 502);
    });
    render(<AppShell><Page /></AppShell>);
    const banner = await screen.findByTestId("backend-down");
    expect(screen.getAllByTestId("backend-down")).toHaveLength(1);
    expect(banner).toHaveTextContent("Can't reach the API at");
    expect(within(banner).getByTestId("backend-down-address")).toHaveTextContent(/^http:\/\/.+/);
    // No "could not load" box under the banner: it waits for the API.
    expect(screen.queryByText("Could not load this page")).toBeNull();
    expect(screen.queryByText("page content")).toBeNull();

    down = false;
    await vi.advanceTimersByTimeAsync(3500);
    expect(await screen.findByText("page content")).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByTestId("backend-down")).toBeNull());
  });

  it("appears on a signed-in page when a later call fails with a network error", async () => {
    let down = false;
    backend(ADMIN_ME, { totals: zero }, (call) => {
      if (down && (call.url === "/health" || call.url.startsWith("/api/v1/"))) throw new TypeError("Failed to fetch");
      return null;
    });
    const { client } = render(<AppShell><Page /></AppShell>);
    await screen.findByText("page content");
    expect(screen.queryByTestId("backend-down")).toBeNull();
    down = true;
    await client.refetchQueries({ queryKey: ["notifications"] }).catch(() => undefined);
    expect(await screen.findByTestId("backend-down")).toBeInTheDocument();
    // The page stays as it was (nothing replaced by an empty state).
    expect(screen.getByText("page content")).toBeInTheDocument();
  });
});

describe("pages while the API is down", () => {
  it("show no 'could not load' box of their own under the banner, and the error again once it is up", () => {
    const { rerender } = render(
      <BackendDownContext.Provider value={true}>
        <ErrorState message="Cannot reach the server." />
      </BackendDownContext.Provider>,
    );
    expect(screen.getByTestId("waiting-for-api")).toHaveTextContent("Waiting for the API");
    expect(screen.queryByText("Could not load this page")).toBeNull();
    rerender(
      <BackendDownContext.Provider value={false}>
        <ErrorState message="Database unavailable" />
      </BackendDownContext.Provider>,
    );
    expect(screen.getByText("Could not load this page")).toBeInTheDocument();
  });
});
