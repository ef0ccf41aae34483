import type { AlertRule, HeaderPolicyData, RuleConditions } from "./types";

export const DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] as const;
export const DAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"] as const;
export const COMMON_OBJECT_TYPES = ["person", "vehicle", "animal", "package"] as const;

/**
 * How the server classifies a webhook's headers, read from
 * `GET /api/v1/alert-rules/header-policy` (docs/API.md): the form shows each
 * header as it will be stored, and the server applies the same rules on save.
 */
export interface HeaderPolicy {
  /** Stored and shown in clear unless marked secret (Content-Type, Accept...); every other header is secret unless marked plain. */
  isKnownPlain(name: string): boolean;
  /** The name says it carries a credential: always secret, never plain. */
  isCredentialName(name: string): boolean;
  maxHeaders: number;
}

export function headerPolicy(data: HeaderPolicyData): HeaderPolicy {
  const plain = new Set(data.plain_headers.map((n) => n.toLowerCase()));
  const credential = new RegExp(data.credential_name_pattern, "i");
  return {
    isKnownPlain: (name) => plain.has(name.trim().toLowerCase()),
    isCredentialName: (name) => credential.test(name),
    maxHeaders: data.max_headers,
  };
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
