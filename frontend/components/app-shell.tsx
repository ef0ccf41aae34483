"use client";

import * as React from "react";
import Link from "next/link";
import { usePathname } from "next/navigation";
import { Activity, BellRing, Camera, Settings, ShieldCheck } from "lucide-react";
import { NotificationBell } from "@/components/notification-bell";
import { NotificationsProvider } from "@/components/notifications-provider";
import { cn } from "@/lib/utils";

const NAV = [
  { href: "/", label: "Events", icon: Activity },
  { href: "/cameras", label: "Cameras", icon: Camera },
  { href: "/alert-rules", label: "Alert rules", icon: BellRing },
  { href: "/settings", label: "Settings", icon: Settings },
] as const;

function isActive(pathname: string, href: string): boolean {
  return href === "/" ? pathname === "/" : pathname === href || pathname.startsWith(`${href}/`);
}

export function AppShell({ children }: { children: React.ReactNode }) {
  const pathname = usePathname() ?? "/";
  return (
    <NotificationsProvider>
      <a
        href="#main"
        className="sr-only z-50 rounded-md bg-primary px-3 py-2 text-primary-foreground focus:not-sr-only focus:fixed focus:top-2 focus:left-2"
      >
        Skip to content
      </a>
      <header className="sticky top-0 z-40 border-b bg-card/90 backdrop-blur supports-[backdrop-filter]:bg-card/75">
        <div className="mx-auto flex h-14 max-w-6xl items-center gap-4 px-4 sm:px-6">
          <Link
            href="/"
            className="flex items-center gap-2 rounded-md font-semibold tracking-tight focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none"
          >
            <span className="flex size-8 items-center justify-center rounded-lg bg-primary text-primary-foreground">
              <ShieldCheck className="size-4.5" aria-hidden />
            </span>
            <span>Live Object AI</span>
          </Link>
          <nav aria-label="Main" className="hidden flex-1 md:block">
            <NavLinks pathname={pathname} />
          </nav>
          <div className="ml-auto flex items-center gap-1">
            <NotificationBell />
          </div>
        </div>
        <nav aria-label="Main (compact)" className="border-t px-2 md:hidden">
          <NavLinks pathname={pathname} compact />
        </nav>
      </header>
      <main id="main" className="mx-auto w-full max-w-6xl px-4 py-6 sm:px-6 sm:py-8">
        {children}
      </main>
    </NotificationsProvider>
  );
}

function NavLinks({ pathname, compact = false }: { pathname: string; compact?: boolean }) {
  return (
    <ul className={cn("flex items-center gap-1", compact && "justify-between overflow-x-auto py-1")}>
      {NAV.map(({ href, label, icon: Icon }) => {
        const active = isActive(pathname, href);
        return (
          <li key={href}>
            <Link
              href={href}
              aria-current={active ? "page" : undefined}
              className={cn(
                "flex items-center gap-2 rounded-md px-3 py-2 text-sm font-medium transition-colors",
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
