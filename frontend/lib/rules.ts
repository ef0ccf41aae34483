import type { AlertRule, RuleConditions } from "./types";

export const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] as const;
export const DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"] as const;
export const COMMON_OBJECT_TYPES = ["person", "vehicle", "animal", "package"] as const;

/** Headers whose values the backend stores and shows in clear (docs/API.md); every other header is secret unless marked plain. */
export const KNOWN_PLAIN_HEADERS: ReadonlySet<string> = new Set([
  "accept",
  "accept-charset",
  "accept-encoding",
  "accept-language",
  "cache-control",
  "content-language",
  "content-type",
  "dnt",
  "pragma",
  "user-agent",
]);

export function isKnownPlainHeader(name: string): boolean {
  return KNOWN_PLAIN_HEADERS.has(name.trim().toLowerCase());
}

const CREDENTIAL_NAME = /auth|token|key|secret|pass|pwd|pin|otp|cred|session|cookie|sign|sig\b|sig-|hmac|nonce|bearer|jwt|csrf|xsrf/i;

/** Header names that are always secret: the backend refuses to store them plain (docs/API.md). */
export function isSensitiveHeaderName(name: string): boolean {
  return CREDENTIAL_NAME.test(name);
}

export function describeDays(days: number[] | null | undefined): string | null {
  if (!days || days.length === 0 || days.length === 7) return null;
  const sorted = [...days].sort((a, b) => a - b);
  if (sorted.join() === "0,1,2,3,4") return "Weekdays";
  if (sorted.join() === "5,6") return "Weekends";
  return sorted.map((d) => DAYS[d] ?? String(d)).join(", ");
}

/** Short, human summaries of a rule's conditions ("any" parts are left out). */
export function summarizeConditions(c: RuleConditions, cameraName: (id: number) => string): string[] {
  const parts: string[] = [];
  if (c.object_types?.length) parts.push(c.object_types.join(", "));
  if (c.cameras?.length) parts.push(`on ${c.cameras.map(cameraName).join(", ")}`);
  if (typeof c.min_confidence === "number" && c.min_confidence > 0) parts.push(`≥ ${c.min_confidence}% confidence`);
  if (c.time_window) parts.push(`${c.time_window.start}–${c.time_window.end}`);
  const days = describeDays(c.days_of_week);
  if (days) parts.push(days);
  if (c.keywords?.length) parts.push(`mentions “${c.keywords.join("”, “")}”`);
  return parts;
}

export function webhookHost(rule: AlertRule): string | null {
  const url = rule.actions.webhook?.url;
  if (!url) return null;
  try {
    return new URL(url.replace(/\*+/g, "x")).host;
  } catch {
    return url;
  }
}
