"use client";

import * as React from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { WifiOff } from "lucide-react";
import { api } from "@/lib/api";
import { backendAddress, isBackendDown } from "@/lib/backend-status";

const HEALTH_KEY = ["health"] as const;
/** How often /health is asked: quietly while it answers, often while it does not. */
export const HEALTH_POLL_MS = 20_000;
export const HEALTH_RETRY_MS = 3_000;

/**
 * Whether the API can be reached: /health, asked every 20 s, at once when any
 * query fails as if it were down, and every 3 s while it is. When it answers
 * again, every query is loaded again and `onRecovered` runs.
 */
export function useBackendDown(onRecovered?: () => void): boolean {
  const client = useQueryClient();
  const health = useQuery({
    queryKey: HEALTH_KEY,
    queryFn: ({ signal }) => api.health(signal),
    refetchInterval: (query) => (isBackendDown(query.state.error) ? HEALTH_RETRY_MS : HEALTH_POLL_MS),
    retry: false,
  });
  const down = health.isError && isBackendDown(health.error);

  React.useEffect(
    () =>
      client.getQueryCache().subscribe((event) => {
        if (event.type !== "updated" || event.action.type !== "error") return;
        if (event.query.queryKey[0] === HEALTH_KEY[0] || !isBackendDown(event.action.error)) return;
        void client.refetchQueries({ queryKey: HEALTH_KEY });
      }),
    [client],
  );

  const recovered = React.useRef(onRecovered);
  React.useEffect(() => {
    recovered.current = onRecovered;
  });
  const wasDown = React.useRef(false);
  React.useEffect(() => {
    if (down) {
      wasDown.current = true;
    } else if (wasDown.current && health.isSuccess) {
      wasDown.current = false;
      void client.invalidateQueries({ predicate: (q) => q.queryKey[0] !== HEALTH_KEY[0] });
      recovered.current?.();
    }
  }, [down, health.isSuccess, client]);
  return down;
}

/** The one "can't reach the API" banner, naming the address the dashboard uses. */
export function BackendDownBanner() {
  // Shown only after a request failed in the browser, so never rendered on the server.
  const address = backendAddress();
  return (
    <div
      role="alert"
      data-testid="backend-down"
      className="border-b border-destructive/25 bg-danger-soft px-4 py-2.5 text-sm text-destructive"
    >
      <div className="mx-auto flex max-w-6xl items-start gap-2 sm:px-2">
        <WifiOff className="mt-0.5 size-4 shrink-0" aria-hidden />
        <p className="min-w-0 break-words">
          <strong className="font-semibold">Can&apos;t reach the API</strong>
          {" "}
          at <code className="font-mono text-xs break-all" data-testid="backend-down-address">{address}</code>
          . Check that the backend is running; this page reconnects by itself, and shows nothing it could not load.
        </p>
      </div>
    </div>
  );
}
