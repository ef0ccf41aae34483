"use client";

import * as React from "react";
import { useRouter } from "next/navigation";
import { api, errorMessage, isApiError, setUnauthorizedHandler } from "@/lib/api";
import { isPublicPath, loginHref } from "@/lib/access";
import type { Me, Role, SessionUser } from "@/lib/types";

export type AuthState =
  | { status: "loading" }
  /** No user exists yet: every page goes to the onboarding. */
  | { status: "setup" }
  | { status: "anonymous" }
  | { status: "error"; message: string }
  | { status: "signed-in"; user: Me };

export interface AuthContextValue {
  state: AuthState;
  user: Me | null;
  role: Role | null;
  isAdmin: boolean;
  /** Ask the backend again (status, then who is signed in). */
  reload: () => Promise<void>;
  /** After a successful login or setup. */
  signedIn: (user: SessionUser) => void;
  /** POST logout, then the sign-in page. */
  signOut: () => Promise<void>;
}

export function authValue(state: AuthState, actions: Partial<Pick<AuthContextValue, "reload" | "signedIn" | "signOut">> = {}): AuthContextValue {
  const user = state.status === "signed-in" ? state.user : null;
  return {
    state,
    user,
    role: user?.role ?? null,
    isAdmin: user?.role === "admin",
    reload: actions.reload ?? (async () => undefined),
    signedIn: actions.signedIn ?? (() => undefined),
    signOut: actions.signOut ?? (async () => undefined),
  };
}

/** Outside a provider nobody is signed in: admin-only parts stay hidden (fail closed). */
export const AuthContext = React.createContext<AuthContextValue>(authValue({ status: "loading" }));

export function useAuth(): AuthContextValue {
  return React.useContext(AuthContext);
}

/** Ask the backend: is a set-up needed, and if not, who is signed in? */
export async function fetchAuthState(): Promise<AuthState> {
  try {
    const status = await api.auth.status();
    if (status.setup_required) return { status: "setup" };
    return { status: "signed-in", user: await api.auth.me() };
  } catch (err) {
    if (isApiError(err) && err.status === 401) return { status: "anonymous" };
    return { status: "error", message: errorMessage(err) };
  }
}

function currentPath(): string {
  return `${window.location.pathname}${window.location.search}`;
}

/**
 * Who is signed in, for the whole dashboard. Registers the one 401 handler of
 * the API client: any call answered 401 sends the user to
 * /login?next=<the page they were on>.
 */
export function AuthProvider({ children }: { children: React.ReactNode }) {
  const router = useRouter();
  const routerRef = React.useRef(router);
  const [state, setState] = React.useState<AuthState>({ status: "loading" });

  React.useEffect(() => {
    routerRef.current = router;
  });

  React.useEffect(() => {
    let live = true;
    setUnauthorizedHandler(() => {
      setState({ status: "anonymous" });
      if (isPublicPath(window.location.pathname)) return;
      routerRef.current.replace(loginHref(currentPath()));
    });
    void fetchAuthState().then((next) => {
      if (live) setState(next);
    });
    return () => {
      live = false;
      setUnauthorizedHandler(null);
    };
  }, []);

  const signedIn = React.useCallback((user: SessionUser) => {
    setState({ status: "signed-in", user: { ...user, auth: "session" } });
  }, []);

  const signOut = React.useCallback(async () => {
    try {
      await api.auth.logout();
    } catch (err) {
      // Already signed out (session expired or revoked) is fine; anything else is shown.
      if (!(isApiError(err) && err.status === 401)) throw err;
    }
    setState({ status: "anonymous" });
    routerRef.current.replace("/login");
  }, []);

  const reload = React.useCallback(async () => {
    setState({ status: "loading" });
    setState(await fetchAuthState());
  }, []);

  const value = React.useMemo<AuthContextValue>(() => {
    const user = state.status === "signed-in" ? state.user : null;
    return { state, user, role: user?.role ?? null, isAdmin: user?.role === "admin", reload, signedIn, signOut };
  }, [state, reload, signedIn, signOut]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}
