"use client";

import * as React from "react";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, errorMessage } from "@/lib/api";
import { queryKeys } from "@/lib/query";
import type { Notification, NotificationPage } from "@/lib/types";

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

const FIRST_PAGE = { limit: 20 };
type Cached = NotificationPage | undefined;

/** Every notification of the first page read, locally (before the server answers). */
function markedRead(page: Cached, id: number | null): Cached {
  if (!page) return page;
  const hits = page.items.filter((n) => !n.is_read && (id === null || n.id === id)).length;
  return {
    ...page,
    items: page.items.map((n) => (id === null || n.id === id ? { ...n, is_read: true } : n)),
    unread_count: id === null ? 0 : Math.max(0, page.unread_count - hits),
  };
}

/**
 * The first page of notifications, polled while the tab is visible and
 * refetched on focus. Marking read is optimistic; every mutation then
 * invalidates the `notifications` queries, so the bell and the events page
 * (which reads the same query) agree.
 */
export function NotificationsProvider({
  children,
  pollMs = NOTIFICATION_POLL_MS,
}: {
  children: React.ReactNode;
  pollMs?: number;
}) {
  const client = useQueryClient();
  const key = queryKeys.notifications;
  const query = useQuery({
    queryKey: key,
    queryFn: ({ signal }) => api.notifications.list(FIRST_PAGE, signal),
    refetchInterval: pollMs,
    refetchOnWindowFocus: true,
  });

  const optimistic = (id: number | null) => async () => {
    await client.cancelQueries({ queryKey: key });
    client.setQueryData<NotificationPage>(key, (page) => markedRead(page, id));
  };
  const settle = () => client.invalidateQueries({ queryKey: key });
  const markOne = useMutation({
    mutationFn: (id: number) => api.notifications.markRead(id),
    onMutate: (id: number) => optimistic(id)(),
    onSettled: settle,
  });
  const markAll = useMutation({
    mutationFn: () => api.notifications.markAllRead(),
    onMutate: optimistic(null),
    onSettled: settle,
  });

  const page = query.data;
  const items = React.useMemo(() => page?.items ?? [], [page]);
  const failed = [markOne, markAll].find((m) => m.isError && m.submittedAt > query.dataUpdatedAt);
  const error = failed ? errorMessage(failed.error) : query.error ? errorMessage(query.error) : null;
  const { mutateAsync: markOneAsync } = markOne;
  const { mutateAsync: markAllAsync } = markAll;
  const { refetch } = query;

  const markRead = React.useCallback(
    async (id: number) => {
      const target = items.find((n) => n.id === id);
      if (!target || target.is_read) return;
      await markOneAsync(id).catch(() => undefined);
    },
    [items, markOneAsync],
  );
  const markAllRead = React.useCallback(() => markAllAsync().then(
    () => undefined,
    () => undefined,
  ), [markAllAsync]);
  const refresh = React.useCallback(() => refetch().then(() => undefined), [refetch]);

  const value = React.useMemo(
    () => ({
      items,
      unreadCount: page?.unread_count ?? 0,
      total: page?.total ?? 0,
      loaded: !query.isPending,
      error,
      refresh,
      markRead,
      markAllRead,
    }),
    [items, page, query.isPending, error, refresh, markRead, markAllRead],
  );
  return <NotificationsContext.Provider value={value}>{children}</NotificationsContext.Provider>;
}

export function useNotifications(): NotificationsState {
  const ctx = React.useContext(NotificationsContext);
  if (!ctx) throw new Error("useNotifications must be used inside <NotificationsProvider>");
  return ctx;
}
