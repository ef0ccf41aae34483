// Is the backend reachable? Decided from the answer of /health (or any call):
// a network error, a 502/503/504 from the dashboard's proxy, or a 5xx that did
// not come from the backend itself (no request id: Next's own "Internal Server
// Error" when it can't connect) mean the API can't be reached.
import { isApiError } from "./api";

export function isBackendDown(err: unknown): boolean {
  if (!isApiError(err)) return false;
  if (err.status === 0) return true;
  if (err.status === 502 || err.status === 503 || err.status === 504) return true;
  return err.status >= 500 && err.requestId === null;
}

/**
 * Where the dashboard sends API calls: the BACKEND_URL it was built with (its
 * rewrites proxy /api/v1 there), else this page's own /api.
 */
export function backendAddress(origin: string = typeof window !== "undefined" ? window.location.origin : ""): string {
  const built = process.env.NEXT_PUBLIC_BACKEND_URL;
  if (built) return built;
  return `${origin}/api`;
}
