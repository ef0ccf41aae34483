"use client";

// Data fetching through TanStack Query: one QueryClient (see
// components/query-provider.tsx), the keys every page shares, and
// `useApiQuery`, the state a page renders (data, a message to show, loading,
// reload, and a local update of the cached answer).
import * as React from "react";
import {
  QueryClient,
  keepPreviousData,
  useQuery,
  useQueryClient,
  type QueryFunctionContext,
  type QueryKey,
} from "@tanstack/react-query";
import { errorMessage } from "./api";
import type { AuditQuery, EventQuery, WebhookLogQuery } from "./types";

/** Query keys: a mutation invalidates by prefix (e.g. every `notifications` page). */
export const queryKeys = {
  settings: ["settings"] as const,
  encryptionStatus: ["encryption", "status"] as const,
  cameras: ["cameras"] as const,
  alertRules: ["alert-rules"] as const,
  headerPolicy: ["alert-rules", "header-policy"] as const,
  events: (query: EventQuery) => ["events", query] as const,
  event: (id: number) => ["event", id] as const,
  notifications: ["notifications"] as const,
  webhookLogs: (query: WebhookLogQuery) => ["webhook-logs", query] as const,
  users: ["users"] as const,
  tokens: ["tokens"] as const,
  audit: (query: AuditQuery) => ["audit", query] as const,
};

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      // The API client already says what went wrong; a retry would only delay it.
      queries: { retry: false, refetchOnWindowFocus: false, staleTime: 0 },
      mutations: { retry: false },
    },
  });
}

export interface ApiQuery<T> {
  data: T | undefined;
  /** What to show when the last load failed. */
  error: string | null;
  /** The first load, a change of key, or a reload the user asked for; not a quiet poll. */
  loading: boolean;
  reload: () => Promise<void>;
  /** Change the cached answer in place (after a mutation that answered with the new row). */
  setData: (updater: (prev: T | undefined) => T) => void;
}

/**
 * Load `key` with `load` (given the query's AbortSignal). While a new key
 * loads, the previous answer stays on screen; `intervalMs` polls quietly.
 */
export function useApiQuery<T>(
  key: QueryKey,
  load: (signal: AbortSignal) => Promise<T>,
  { intervalMs, enabled = true }: { intervalMs?: number; enabled?: boolean } = {},
): ApiQuery<T> {
  const client = useQueryClient();
  const query = useQuery({
    queryKey: key,
    queryFn: ({ signal }: QueryFunctionContext) => load(signal),
    placeholderData: keepPreviousData,
    refetchInterval: intervalMs,
    enabled,
  });
  const [reloading, setReloading] = React.useState(false);
  const { refetch } = query;
  const reload = React.useCallback(async () => {
    setReloading(true);
    try {
      await refetch();
    } finally {
      setReloading(false);
    }
  }, [refetch]);
  // The key's content, not its identity, names the cache entry.
  const hash = JSON.stringify(key);
  const setData = React.useCallback(
    (updater: (prev: T | undefined) => T) => client.setQueryData<T>(JSON.parse(hash) as QueryKey, updater),
    [client, hash],
  );
  return {
    data: query.data,
    error: query.error ? errorMessage(query.error) : null,
    loading: enabled && (query.isPending || query.isPlaceholderData || reloading),
    reload,
    setData,
  };
}
