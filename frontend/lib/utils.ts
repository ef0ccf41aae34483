import { clsx, type ClassValue } from "clsx";
import { twMerge } from "tailwind-merge";

export function cn(...inputs: ClassValue[]): string {
  return twMerge(clsx(inputs));
}

const rtf = typeof Intl !== "undefined" ? new Intl.RelativeTimeFormat("en", { numeric: "auto" }) : null;

/** "3 min ago", "yesterday"; falls back to the locale date. */
export function formatRelative(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return "—";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "—";
  const diff = Math.round((t - now) / 1000);
  const abs = Math.abs(diff);
  if (!rtf) return new Date(t).toLocaleString();
  if (abs < 45) return "just now";
  if (abs < 3600) return rtf.format(Math.round(diff / 60), "minute");
  if (abs < 86400) return rtf.format(Math.round(diff / 3600), "hour");
  if (abs < 86400 * 7) return rtf.format(Math.round(diff / 86400), "day");
  return new Date(t).toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return "—";
  return new Date(t).toLocaleString(undefined, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}

/** Split "a, b,c" into trimmed, non-empty, unique items. */
export function splitList(value: string): string[] {
  const seen = new Set<string>();
  for (const part of value.split(",")) {
    const item = part.trim();
    if (item) seen.add(item);
  }
  return [...seen];
}

/** True when a value is one of the backend's masked forms ("****", "****abcd"). */
export function isMasked(value: string | null | undefined): boolean {
  return typeof value === "string" && value.startsWith("****");
}

/**
 * A form's keydown handler: Escape closes it (cancels), unless a control
 * inside (a select's list, a dialog) already handled the key.
 */
export function closeOnEscape(onCancel: () => void) {
  return (e: { key: string; defaultPrevented: boolean; preventDefault: () => void }) => {
    if (e.key !== "Escape" || e.defaultPrevented) return;
    e.preventDefault();
    onCancel();
  };
}
