// The alert-rule form's draft: its zod schema (what the browser checks before
// asking the server), how a stored rule becomes a draft, how a draft becomes
// the request body, and where the server's 422 field errors belong.
// Everything else (URL rules, header-name syntax, limits beyond these) is the
// server's to say: its field errors are shown at the matching fields.
import { z } from "zod";
import { newHeaderRow, rowsFromHeaders, type HeaderRow } from "@/components/rules/headers-editor";
import { isApiError } from "@/lib/api";
import { COMMON_OBJECT_TYPES, type HeaderPolicy } from "@/lib/rules";
import type { AlertRule, AlertRuleInput, RuleConditions, WebhookInput } from "@/lib/types";
import { splitList } from "@/lib/utils";

/** The server's limit for `cooldown_minutes` (one week), checked here to answer at once. */
export const COOLDOWN_MAX_MINUTES = 10080;

const wholeNumber = (value: string, min: number, max: number) => {
  const n = Number(value);
  return value !== "" && Number.isInteger(n) && n >= min && n <= max;
};

const headerRow = z.object({
  key: z.string(),
  name: z.string(),
  value: z.string(),
  secret: z.boolean(),
  stored: z.boolean(),
  needsValue: z.boolean().optional(),
});

/** The schema of a draft; `storedUrl` is the rule's webhook URL on the server (empty = keep it). */
export function ruleDraftSchema(storedUrl: string | null, policy: HeaderPolicy) {
  return z
    .object({
      name: z.string().trim().min(1, "Enter a name."),
      is_enabled: z.boolean(),
      cooldown: z
        .string()
        .refine((v) => wholeNumber(v, 0, COOLDOWN_MAX_MINUTES), `Enter minutes from 0 to ${COOLDOWN_MAX_MINUTES}.`),
      objectTypes: z.array(z.string()),
      otherTypes: z.string(),
      cameras: z.array(z.number()),
      minConfidence: z.string().refine((v) => v === "" || wholeNumber(v, 0, 100), "Enter a whole number from 0 to 100."),
      useTimeWindow: z.boolean(),
      start: z.string(),
      end: z.string(),
      days: z.array(z.number()),
      keywords: z.string(),
      dashboard: z.boolean(),
      useWebhook: z.boolean(),
      url: z.string(), // typed URL only; empty = keep the stored one
      headers: z.array(headerRow),
      timeWindow: z.unknown().optional(), // error slot only
      actions: z.unknown().optional(), // error slot only
    })
    .superRefine((d, ctx) => {
      if (d.useTimeWindow && (!d.start || !d.end))
        ctx.addIssue({ code: "custom", path: ["timeWindow"], message: "Enter a start and an end time." });
      if (!d.dashboard && !d.useWebhook)
        ctx.addIssue({ code: "custom", path: ["actions"], message: "Choose at least one action." });
      if (!d.useWebhook) return;
      if (!d.url.trim() && !storedUrl) ctx.addIssue({ code: "custom", path: ["url"], message: "Enter the webhook URL." });
      const names = new Set<string>();
      d.headers.forEach((h, i) => {
        const name = h.name.trim();
        const lower = name.toLowerCase();
        let message: string | null = null;
        if (!name) message = "Enter a header name, or remove the row.";
        else if (names.has(lower)) message = "This header is listed twice.";
        else if (!h.value && !(h.stored && (h.secret || policy.isCredentialName(name)))) message = "Enter a value.";
        names.add(lower);
        if (message) ctx.addIssue({ code: "custom", path: ["headers", i], message });
      });
    });
}

export type RuleDraft = z.infer<ReturnType<typeof ruleDraftSchema>>;

const COMMON = new Set<string>(COMMON_OBJECT_TYPES);

export function draftFrom(rule: AlertRule | null, policy: HeaderPolicy): RuleDraft {
  const c = rule?.conditions ?? {};
  const types = c.object_types ?? [];
  const webhook = rule?.actions.webhook ?? null;
  return {
    name: rule?.name ?? "",
    is_enabled: rule?.is_enabled ?? true,
    cooldown: String(rule?.cooldown_minutes ?? 5),
    objectTypes: types.filter((t) => COMMON.has(t)),
    otherTypes: types.filter((t) => !COMMON.has(t)).join(", "),
    cameras: c.cameras ?? [],
    minConfidence: typeof c.min_confidence === "number" ? String(c.min_confidence) : "",
    useTimeWindow: Boolean(c.time_window),
    start: c.time_window?.start ?? "22:00",
    end: c.time_window?.end ?? "06:00",
    days: c.days_of_week ?? [],
    keywords: (c.keywords ?? []).join(", "),
    dashboard: rule?.actions.dashboard_notification ?? true,
    useWebhook: webhook !== null,
    url: "",
    headers: webhook ? rowsFromHeaders(policy, webhook.headers ?? {}, webhook.secret_headers ?? [], webhook.plain_headers ?? []) : [],
  };
}

/** The first header row of a new webhook. */
export const defaultHeaders = (policy: HeaderPolicy): HeaderRow[] => [
  newHeaderRow(policy, { name: "Content-Type", value: "application/json" }),
];

export function toInput(d: RuleDraft, storedUrl: string | null, policy: HeaderPolicy): AlertRuleInput {
  const conditions: RuleConditions = {};
  const types = [...d.objectTypes, ...splitList(d.otherTypes).map((t) => t.toLowerCase())];
  if (types.length) conditions.object_types = [...new Set(types)];
  if (d.cameras.length) conditions.cameras = d.cameras;
  if (d.minConfidence !== "") conditions.min_confidence = Number(d.minConfidence);
  if (d.useTimeWindow) conditions.time_window = { start: d.start, end: d.end };
  if (d.days.length && d.days.length < 7) conditions.days_of_week = [...d.days].sort((a, b) => a - b);
  const keywords = splitList(d.keywords);
  if (keywords.length) conditions.keywords = keywords;

  let webhook: WebhookInput | null = null;
  if (d.useWebhook) {
    const headers: Record<string, string> = {};
    const secretHeaders: string[] = [];
    const plainHeaders: string[] = [];
    for (const h of d.headers) {
      const name = h.name.trim();
      const secret = h.secret || policy.isCredentialName(name);
      // Empty stored secret = keep: send the masked form back.
      headers[name] = h.value === "" && h.stored ? "****" : h.value;
      if (secret) secretHeaders.push(name);
      else if (!policy.isKnownPlain(name)) plainHeaders.push(name); // switched off: the user marks it plain
    }
    webhook = { url: d.url.trim() || storedUrl || "", headers, secret_headers: secretHeaders };
    if (plainHeaders.length) webhook.plain_headers = plainHeaders;
  }
  return {
    name: d.name.trim(),
    is_enabled: d.is_enabled,
    cooldown_minutes: Number(d.cooldown),
    conditions,
    actions: { dashboard_notification: d.dashboard, webhook },
  };
}

/** Where a server field (the request body's path, dotted) shows in the form. */
const SERVER_FIELDS: Record<string, keyof RuleDraft> = {
  name: "name",
  cooldown_minutes: "cooldown",
  is_enabled: "is_enabled",
  "conditions.object_types": "otherTypes",
  "conditions.min_confidence": "minConfidence",
  "conditions.time_window": "timeWindow",
  "conditions.time_window.start": "timeWindow",
  "conditions.time_window.end": "timeWindow",
  "conditions.keywords": "keywords",
  actions: "actions",
  "actions.webhook": "url",
  "actions.webhook.url": "url",
};

export type RuleFieldPath = keyof RuleDraft | `headers.${number}`;

/**
 * The server's 422 field errors as form paths: body fields to their inputs,
 * `actions.webhook.headers.<Name>` to that header's row. An error with no
 * field of its own is left out (the form's message above it says it).
 */
export function ruleServerErrors(err: unknown, headers: HeaderRow[]): [RuleFieldPath, string][] {
  if (!isApiError(err)) return [];
  const out: [RuleFieldPath, string][] = [];
  const headerPrefix = "actions.webhook.headers.";
  for (const { field, message } of err.fieldErrors) {
    const row = field.startsWith(headerPrefix)
      ? headers.findIndex((h) => h.name.trim().toLowerCase() === field.slice(headerPrefix.length).toLowerCase())
      : -1;
    const target: RuleFieldPath | undefined = row >= 0 ? `headers.${row}` : SERVER_FIELDS[field];
    if (target) out.push([target, message]);
  }
  return out;
}
