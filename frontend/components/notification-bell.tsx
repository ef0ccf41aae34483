"use client";

import * as React from "react";
import Link from "next/link";
import { Bell, BellOff, CheckCheck } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Popover, PopoverContent, PopoverTrigger } from "@/components/ui/popover";
import { useNotifications } from "@/components/notifications-provider";
import { cn, formatRelative } from "@/lib/utils";

/**
 * The bell and its panel (Radix Popover): the panel gets focus when it opens,
 * so Tab goes on to its buttons; Escape and a click outside close it and
 * focus goes back to the bell.
 */
export function NotificationBell() {
  const { items, unreadCount, loaded, error, markRead, markAllRead } = useNotifications();
  const [open, setOpen] = React.useState(false);

  const label = unreadCount > 0 ? `Notifications, ${unreadCount} unread` : "Notifications";
  const countText = unreadCount > 99 ? "99+" : String(unreadCount);

  return (
    <Popover open={open} onOpenChange={setOpen}>
      <PopoverTrigger asChild>
        <Button variant="ghost" size="icon" aria-label={label} data-testid="notification-bell" className="relative">
          <Bell aria-hidden />
          {unreadCount > 0 ? (
            <span
              data-testid="notification-count"
              className="absolute -top-0.5 -right-0.5 flex h-5 min-w-5 items-center justify-center rounded-full bg-destructive px-1 text-[11px] leading-none font-semibold text-white ring-2 ring-card"
            >
              {countText}
            </span>
          ) : null}
        </Button>
      </PopoverTrigger>
      <span className="sr-only" aria-live="polite">
        {unreadCount > 0 ? `${unreadCount} unread notifications` : ""}
      </span>

      <PopoverContent
        size="lg"
        aria-label="Notifications"
        data-testid="notification-panel"
        onOpenAutoFocus={(e) => {
          e.preventDefault();
          (e.currentTarget as HTMLElement).focus();
        }}
      >
        <div className="flex items-center justify-between gap-2 border-b px-4 py-3">
          <div>
            <p className="text-sm font-semibold">Notifications</p>
            <p className="text-xs text-muted-foreground">{unreadCount} unread</p>
          </div>
          <Button variant="ghost" size="sm" onClick={() => void markAllRead()} disabled={unreadCount === 0}>
            <CheckCheck aria-hidden /> Mark all read
          </Button>
        </div>
        {error ? <p className="border-b bg-danger-soft px-4 py-2 text-xs text-destructive">{error}</p> : null}
        <div className="max-h-[60vh] overflow-y-auto">
          {!loaded ? (
            <p className="px-4 py-8 text-center text-sm text-muted-foreground">Loading…</p>
          ) : items.length === 0 && error ? null : items.length === 0 ? (
            <div className="flex flex-col items-center px-4 py-10 text-center text-sm text-muted-foreground">
              <BellOff className="mb-2 size-5" aria-hidden />
              No notifications yet. Alert rules with “Dashboard notification” post here.
            </div>
          ) : (
            <ul className="divide-y" data-testid="notification-list">
              {items.map((n) => (
                <li key={n.id} data-testid="notification-item" data-read={n.is_read ? "true" : "false"}>
                  <div className={cn("flex gap-3 px-4 py-3", !n.is_read && "bg-accent/50")}>
                    <span
                      aria-hidden="true"
                      className={cn("mt-1.5 size-2 shrink-0 rounded-full", n.is_read ? "bg-transparent" : "bg-primary")}
                    />
                    <div className="min-w-0 flex-1">
                      <p className={cn("text-sm break-words", n.is_read ? "font-normal" : "font-semibold")}>
                        {n.event_id != null ? (
                          <Link
                            href={`/events/${n.event_id}`}
                            onClick={() => setOpen(false)}
                            className="rounded underline-offset-2 hover:underline focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none"
                            data-testid="notification-event-link"
                          >
                            {n.title}
                          </Link>
                        ) : (
                          n.title
                        )}
                      </p>
                      {n.message ? (
                        <p className="mt-0.5 line-clamp-3 text-sm break-words text-muted-foreground">{n.message}</p>
                      ) : null}
                      <p className="mt-1 text-xs text-muted-foreground">
                        <time dateTime={n.created_at}>{formatRelative(n.created_at)}</time>
                      </p>
                    </div>
                    {!n.is_read ? (
                      <Button
                        variant="ghost"
                        size="sm"
                        className="self-start text-xs"
                        onClick={() => void markRead(n.id)}
                        aria-label={`Mark “${n.title}” as read`}
                      >
                        Mark read
                      </Button>
                    ) : (
                      <span className="sr-only">Read</span>
                    )}
                  </div>
                </li>
              ))}
            </ul>
          )}
        </div>
      </PopoverContent>
    </Popover>
  );
}
