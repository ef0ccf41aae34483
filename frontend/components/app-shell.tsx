"use client";

import * as React from "react";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import {
  Activity,
  BellRing,
  Camera,
  KeySquare,
  ScrollText,
  Settings,
  ShieldCheck,
  Users,
  type LucideIcon,
} from "lucide-react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { BackendDownContext, ErrorState, LoadingState } from "@/components/states";
import { BackendDownBanner, useBackendDown } from "@/components/backend-banner";
import { NotificationBell } from "@/components/notification-bell";
import { NotificationsProvider } from "@/components/notifications-provider";
import { AuthProvider, useAuth } from "@/components/auth-provider";
import { NoAccess } from "@/components/auth/no-access";
import { UserMenu } from "@/components/auth/user-menu";
import { canAccess, isActivePath, isPublicPath, navItemsFor, type NavItem } from "@/lib/access";
import { api } from "@/lib/api";
import { encryptionProblems } from "@/lib/key-health";
import { queryKeys, useApiQuery } from "@/lib/query";
import { cn } from "@/lib/utils";

const ICONS: Record<string, LucideIcon> = {
  "/": Activity,
  "/cameras": Camera,
  "/alert-rules": BellRing,
  "/users": Users,
  "/tokens": KeySquare,
  "/audit": ScrollText,
  "/settings": Settings,
};

export function AppShell({ children }: { children: React.ReactNode }) {
  return (
    <AuthProvider>
      <Shell>{children}</Shell>
    </AuthProvider>
  );
}

function Brand() {
  return (
    <Link
      href="/"
      className="flex items-center gap-2 rounded-md font-semibold tracking-tight focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none"
    >
      <span className="flex size-8 items-center justify-center rounded-lg bg-primary text-primary-foreground">
        <ShieldCheck className="size-4.5" aria-hidden />
      </span>
      <span className="whitespace-nowrap">Live Object AI</span>
    </Link>
  );
}

/**
 * Decides what a page shows: the sign-in and onboarding pages alone; every
 * other page only for a signed-in user, inside the navigation, and only if
 * their role may use it ("You don't have access" otherwise). While no user
 * exists, every page goes to /setup.
 */
export function Shell({ children }: { children: React.ReactNode }) {
  const pathname = usePathname() ?? "/";
  const router = useRouter();
  const auth = useAuth();
  const status = auth.state.status;
  // While the API can't be reached: one banner, and the sign-in check again once it answers.
  const { reload } = auth;
  const backendDown = useBackendDown(
    React.useCallback(() => {
      if (status === "error") void reload();
    }, [status, reload]),
  );

  React.useEffect(() => {
    if (status === "setup" && pathname !== "/setup") router.replace("/setup");
  }, [status, pathname, router]);

  if (isPublicPath(pathname)) {
    return (
      <>
      {backendDown ? <BackendDownBanner /> : null}
      <div className="flex min-h-screen flex-col items-center px-4 py-8 sm:py-14">
        <div className="mb-8">
          <Brand />
        </div>
        <main id="main" className="flex w-full flex-col items-center">
          {children}
        </main>
      </div>
      </>
    );
  }

  if (auth.state.status !== "signed-in") {
    return (
      <>
      {backendDown ? <BackendDownBanner /> : null}
      <main id="main" className="mx-auto w-full max-w-md px-4 py-16">
        {auth.state.status === "error" && backendDown ? (
          <LoadingState label="Waiting for the API…" rows={1} />
        ) : auth.state.status === "error" ? (
          <ErrorState message={auth.state.message} onRetry={() => void auth.reload()} />
        ) : (
          <LoadingState label="Checking your sign-in…" rows={1} />
        )}
      </main>
      </>
    );
  }

  const role = auth.state.user.role;
  return (
    <BackendDownContext.Provider value={backendDown}>
    <NotificationsProvider>
      <a
        href="#main"
        className="sr-only z-50 rounded-md bg-primary px-3 py-2 text-primary-foreground focus:not-sr-only focus:fixed focus:top-2 focus:left-2"
      >
        Skip to content
      </a>
      {backendDown ? <BackendDownBanner /> : null}
      <header className="sticky top-0 z-40 border-b bg-card/90 backdrop-blur supports-[backdrop-filter]:bg-card/75">
        <div className="mx-auto flex h-14 max-w-6xl items-center gap-4 px-4 sm:px-6">
          <Brand />
          <nav aria-label="Main" className="hidden flex-1 lg:block">
            <NavLinks pathname={pathname} items={navItemsFor(role)} />
          </nav>
          <div className="ml-auto flex items-center gap-1">
            <NotificationBell />
            <UserMenu />
          </div>
        </div>
        <nav aria-label="Main (compact)" className="border-t px-2 lg:hidden">
          <NavLinks pathname={pathname} items={navItemsFor(role)} compact />
        </nav>
      </header>
      <main id="main" className="mx-auto w-full max-w-6xl px-4 py-6 sm:px-6 sm:py-8">
        {role === "admin" && !backendDown ? <AdminKeyBanners pathname={pathname} /> : null}
        {canAccess(role, pathname) ? children : <NoAccess />}
      </main>
    </NotificationsProvider>
    </BackendDownContext.Provider>
  );
}

/**
 * Admins only: the key health banner (undecryptable or plaintext secrets, an
 * unfinished rotation, previous keys left after a finished one), and a small
 * reminder until the key's backup has been confirmed once.
 */
function AdminKeyBanners({ pathname }: { pathname: string }) {
  // Asked again on each page change, so a banner goes once its cause is fixed.
  const status = useApiQuery([...queryKeys.encryptionStatus, { page: pathname }], (signal) => api.encryption.status(signal));
  const [hidden, setHidden] = React.useState(false);
  if (!status.data) return null;
  const problems = encryptionProblems(status.data);
  const remind = !hidden && pathname !== "/setup/key" && !status.data.backup_confirmed_at;
  if (!problems.length && !remind) return null;
  return (
    <div className="mb-6 space-y-3">
      {problems.length ? (
        <Alert tone="warning" data-testid="key-health-banner" title="The encryption key needs attention">
          <ul className="list-disc space-y-0.5 pl-4">
            {problems.map((p) => (
              <li key={p.kind}>{p.text}</li>
            ))}
          </ul>
          {pathname !== "/settings/keys" ? (
            <Link href="/settings/keys" className="mt-1 inline-block font-medium underline underline-offset-2">
              Open key health
            </Link>
          ) : null}
        </Alert>
      ) : null}
      {remind ? (
        <Alert
          tone="warning"
          data-testid="backup-reminder"
          action={
            <Button variant="ghost" size="sm" onClick={() => setHidden(true)}>
              Later
            </Button>
          }
        >
          Your encryption key has not been backed up yet: without it, stored secrets cannot be recovered.{" "}
          <Link href="/setup/key" className="font-medium underline underline-offset-2">
            Back up the key
          </Link>
        </Alert>
      ) : null}
    </div>
  );
}

function NavLinks({ pathname, items, compact = false }: { pathname: string; items: NavItem[]; compact?: boolean }) {
  return (
    <ul className={cn("flex items-center gap-1", compact && "justify-between overflow-x-auto py-1")}>
      {items.map(({ href, label }) => {
        const active = isActivePath(pathname, href);
        const Icon = ICONS[href] ?? Activity;
        return (
          <li key={href} className={compact ? "shrink-0" : undefined}>
            <Link
              href={href}
              aria-current={active ? "page" : undefined}
              className={cn(
                "flex items-center gap-2 rounded-md px-3 py-2 text-sm font-medium whitespace-nowrap transition-colors",
                "focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none",
                compact && "flex-col gap-0.5 px-2 py-1.5 text-xs",
                active ? "bg-accent text-accent-foreground" : "text-muted-foreground hover:bg-muted hover:text-foreground",
              )}
            >
              <Icon className="size-4" aria-hidden />
              {label}
            </Link>
          </li>
        );
      })}
    </ul>
  );
}

