"use client";

import * as React from "react";
import { api, errorMessage } from "@/lib/api";
import type { Notification } from "@/lib/types";

interface NotificationsState {
  items: Notification[];
  unreadCount: number;
  total: number;
  loaded: boolean;
  error: string | null;
  refresh: () => Promise<void>;
  markRead: (id: number) => Promise<void>;
  markAllRead: () => Promise<void>;
}

const NotificationsContext = React.createContext<NotificationsState | null>(null);

export const NOTIFICATION_POLL_MS = 4000;

export function NotificationsProvider({
  children,
  pollMs = NOTIFICATION_POLL_MS,
}: {
  children: React.ReactNode;
  pollMs?: number;
}) {
  const [items, setItems] = React.useState<Notification[]>([]);
  const [unreadCount, setUnreadCount] = React.useState(0);
  const [total, setTotal] = React.useState(0);
  const [loaded, setLoaded] = React.useState(false);
  const [error, setError] = React.useState<string | null>(null);

  const refresh = React.useCallback(async () => {
    try {
      const page = await api.notifications.list({ limit: 20 });
      setItems(page.items);
      setUnreadCount(page.unread_count);
      setTotal(page.total);
      setError(null);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setLoaded(true);
    }
  }, []);

  React.useEffect(() => {
    // Initial load, then poll while the tab is visible.
    const first = window.setTimeout(() => void refresh(), 0);
    const id = window.setInterval(() => {
      if (document.visibilityState === "visible") void refresh();
    }, pollMs);
    const onFocus = () => void refresh();
    window.addEventListener("focus", onFocus);
    return () => {
      window.clearTimeout(first);
      window.clearInterval(id);
      window.removeEventListener("focus", onFocus);
    };
  }, [refresh, pollMs]);

  const markRead = React.useCallback(
    async (id: number) => {
      const target = items.find((n) => n.id === id);
      if (!target || target.is_read) return;
      // Optimistic: update at once, roll back on failure.
      setItems((prev) => prev.map((n) => (n.id === id ? { ...n, is_read: true } : n)));
      setUnreadCount((c) => Math.max(0, c - 1));
      try {
        await api.notifications.markRead(id);
      } catch (err) {
        setError(errorMessage(err));
        await refresh();
      }
    },
    [items, refresh],
  );

  const markAllRead = React.useCallback(async () => {
    setItems((prev) => prev.map((n) => ({ ...n, is_read: true })));
    setUnreadCount(0);
    try {
      await api.notifications.markAllRead();
    } catch (err) {
      setError(errorMessage(err));
    }
    await refresh();
  }, [refresh]);

  const value = React.useMemo(
    () => ({ items, unreadCount, total, loaded, error, refresh, markRead, markAllRead }),
    [items, unreadCount, total, loaded, error, refresh, markRead, markAllRead],
  );
  return <NotificationsContext.Provider value={value}>{children}</NotificationsContext.Provider>;
}

export function useNotifications(): NotificationsState {
  const ctx = React.useContext(NotificationsContext);
  if (!ctx) throw new Error("useNotifications must be used inside <NotificationsProvider>");
  return ctx;
}
