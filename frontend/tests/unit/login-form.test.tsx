import { act, fireEvent, render, screen, waitFor } from "../render";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ADMIN_ME, json, mockFetch, navigationMock } from "../helpers";

const nav = vi.hoisted(() => ({ current: null as ReturnType<typeof navigationMock> | null }));
vi.mock("next/navigation", async () => {
  const { navigationMock: make } = await import("../helpers");
  nav.current = make();
  return nav.current.module;
});

import { AuthProvider } from "@/components/auth-provider";
import { LoginForm } from "@/components/auth/login-form";

function renderLogin() {
  return render(
    <AuthProvider>
      <LoginForm />
    </AuthProvider>,
  );
}

/** Type the username and password, then press Sign in. */
async function signIn(username: string, password: string) {
  const user = userEvent.setup();
  await user.type(screen.getByLabelText("Username"), username);
  await user.type(screen.getByLabelText("Password"), password);
  await user.click(screen.getByTestId("login-submit"));
}

/** The server's answer to a right password. */
const SIGNED_IN = { access_token: "x", token_type: "bearer", expires_at: "2030-01-01T00:00:00Z", user: ADMIN_ME };

/** The backend of a signed-out browser: status, me (401), then `login` decides. */
function backend(login: (body: unknown) => Response) {
  return mockFetch((call) => {
    if (call.url === "/api/v1/auth/status") return json({ setup_required: false });
    if (call.url === "/api/v1/auth/me") return json({ detail: "Sign in to continue.", code: "not_authenticated" }, 401);
    if (call.url === "/api/v1/auth/login") return login(call.body);
    return json({ detail: "unexpected" }, 500);
  });
}

beforeEach(() => {
  nav.current!.router.replace.mockClear();
  nav.current!.state.search = "";
  window.history.replaceState({}, "", "/login");
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("LoginForm", () => {
  it("shows the plain error for a wrong password, empties and focuses the password", async () => {
    const { calls } = backend(() => json({ detail: "Wrong username or password.", code: "invalid_credentials" }, 401));
    renderLogin();
    await signIn("owner", "e2e-not-it");
    expect(await screen.findByTestId("login-error")).toHaveTextContent("Wrong username or password.");
    expect(screen.getByLabelText("Password")).toHaveValue("");
    expect(screen.getByLabelText("Password")).toHaveFocus();
    expect(calls.find((c) => c.url === "/api/v1/auth/login")?.body).toEqual({ username: "owner", password: "e2e-not-it" });
    // A wrong password is not "signed out": no redirect from the sign-in page itself.
    expect(nav.current!.router.replace).not.toHaveBeenCalled();
  });

  it("counts down retry_after with the button disabled, then allows a new try", async () => {
    // Only the countdown's clock is faked (RTL's own waiting uses setTimeout).
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval", "Date"] });
    backend(() =>
      json({ detail: "Too many failed sign-ins. Try again in 3 seconds.", code: "rate_limited", retry_after: 3 }, 429, { "Retry-After": "3" }),
    );
    renderLogin();
    fireEvent.change(screen.getByLabelText("Username"), { target: { value: "owner" } });
    fireEvent.change(screen.getByLabelText("Password"), { target: { value: "e2e-not-it-either" } });
    await act(async () => {
      fireEvent.click(screen.getByTestId("login-submit"));
    });
    const button = screen.getByTestId("login-submit");
    await screen.findByText("Try again in 3 s");
    expect(button).toBeDisabled();
    expect(screen.getByTestId("login-error")).toHaveTextContent("Too many failed sign-ins.");

    await act(async () => {
      vi.advanceTimersByTime(1000);
    });
    expect(button).toHaveTextContent("Try again in 2 s");
    await act(async () => {
      vi.advanceTimersByTime(1000);
    });
    expect(button).toHaveTextContent("Try again in 1 s");
    expect(button).toBeDisabled();
    await act(async () => {
      vi.advanceTimersByTime(1250);
    });
    expect(button).toHaveTextContent("Sign in");
    expect(button).toBeEnabled();
    expect(screen.queryByTestId("login-error")).toBeNull();
  });

  it.each([
    { what: "goes back to the page in ?next= after signing in", next: "/cameras?id=2", to: "/cameras?id=2" },
    { what: "ignores an absolute ?next= and goes to the start page", next: "https://evil.example/phish", to: "/" },
  ])("$what", async ({ next, to }) => {
    nav.current!.state.search = `next=${encodeURIComponent(next)}`;
    backend(() => json(SIGNED_IN));
    renderLogin();
    await signIn("owner", "e2e-fake-right-password");
    await waitFor(() => expect(nav.current!.router.replace).toHaveBeenCalledWith(to));
    // Never anywhere else (an absolute ?next= is not followed, not even once).
    for (const [url] of nav.current!.router.replace.mock.calls) expect(url).toBe(to);
  });

  it("asks for both fields before calling the server", async () => {
    const { calls } = backend(() => json({}, 500));
    const user = userEvent.setup();
    renderLogin();
    await user.click(screen.getByTestId("login-submit"));
    expect(await screen.findByTestId("login-error")).toHaveTextContent("Enter your username and password.");
    expect(calls.some((c) => c.url === "/api/v1/auth/login")).toBe(false);
  });
});
