import * as React from "react";
import { AlertTriangle, RefreshCw } from "lucide-react";
import { Button } from "@/components/ui/button";
import type { ApiQuery } from "@/lib/query";
import { cn } from "@/lib/utils";

export function PageHeader({
  title,
  description,
  actions,
}: {
  title: string;
  description?: React.ReactNode;
  actions?: React.ReactNode;
}) {
  return (
    <div className="mb-6 flex flex-col gap-3 sm:flex-row sm:items-end sm:justify-between">
      <div className="min-w-0">
        <h1 className="text-2xl font-semibold tracking-tight">{title}</h1>
        {description ? <p className="mt-1 max-w-2xl text-sm text-muted-foreground">{description}</p> : null}
      </div>
      {actions ? <div className="flex flex-wrap gap-2">{actions}</div> : null}
    </div>
  );
}

export function LoadingState({ label = "Loading…", rows = 3 }: { label?: string; rows?: number }) {
  return (
    <div role="status" aria-live="polite" className="space-y-3">
      <span className="sr-only">{label}</span>
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} aria-hidden="true" className="h-20 animate-pulse rounded-xl border bg-muted/70" />
      ))}
    </div>
  );
}

export function EmptyState({
  icon,
  title,
  children,
  action,
  className,
}: {
  icon?: React.ReactNode;
  title: string;
  children?: React.ReactNode;
  action?: React.ReactNode;
  className?: string;
}) {
  return (
    <div
      className={cn(
        "flex flex-col items-center justify-center rounded-xl border border-dashed bg-card px-6 py-12 text-center",
        className,
      )}
    >
      {icon ? (
        <div className="mb-3 flex size-11 items-center justify-center rounded-full bg-muted text-muted-foreground [&_svg]:size-5">
          {icon}
        </div>
      ) : null}
      <h2 className="text-base font-semibold">{title}</h2>
      {children ? <div className="mt-1 max-w-md text-sm text-muted-foreground">{children}</div> : null}
      {action ? <div className="mt-4">{action}</div> : null}
    </div>
  );
}

/** True while the app shell's "can't reach the API" banner is shown (components/backend-banner.tsx). */
export const BackendDownContext = React.createContext(false);

export function ErrorState({ message, onRetry }: { message: string; onRetry?: () => void }) {
  // The banner at the top already says the API can't be reached: wait quietly, then load again.
  if (React.useContext(BackendDownContext)) {
    return (
      <div role="status" className="rounded-xl border border-dashed bg-card px-6 py-10 text-center text-sm text-muted-foreground" data-testid="waiting-for-api">
        Waiting for the API to answer…
      </div>
    );
  }
  return (
    <div
      role="alert"
      className="flex flex-col items-center justify-center rounded-xl border border-destructive/25 bg-danger-soft px-6 py-10 text-center"
    >
      <AlertTriangle className="mb-2 size-6 text-destructive" aria-hidden />
      <p className="font-medium text-destructive">Could not load this page</p>
      <p className="mt-1 max-w-md text-sm text-foreground/80">{message}</p>
      {onRetry ? (
        <Button variant="outline" size="sm" className="mt-4" onClick={onRetry}>
          <RefreshCw aria-hidden /> Try again
        </Button>
      ) : null}
    </div>
  );
}

/**
 * The body of a page showing one query: the loading skeleton, the load error
 * (with retry), `empty` when `isEmpty(data)`, otherwise `children(data)`.
 */
export function QueryState<T>({
  query,
  loadingLabel,
  rows,
  isEmpty,
  empty = null,
  children,
}: {
  query: Pick<ApiQuery<T>, "data" | "error" | "loading" | "reload">;
  loadingLabel: string;
  rows?: number;
  isEmpty?: (data: T) => boolean;
  empty?: React.ReactNode;
  children: (data: T) => React.ReactNode;
}) {
  if (query.loading && query.data == null) return <LoadingState label={loadingLabel} rows={rows} />;
  if (query.data == null)
    return <ErrorState message={query.error ?? "Unknown error"} onRetry={() => void query.reload()} />;
  if (isEmpty?.(query.data)) return <>{empty}</>;
  return <>{children(query.data)}</>;
}

/** A page header's Refresh button: reloads the query, its icon turning while it loads. */
export function RefreshButton({ query }: { query: Pick<ApiQuery<unknown>, "loading" | "reload"> }) {
  return (
    <Button variant="outline" onClick={() => void query.reload()} disabled={query.loading}>
      <RefreshCw aria-hidden className={query.loading ? "animate-spin" : undefined} /> Refresh
    </Button>
  );
}
