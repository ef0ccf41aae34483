"use client";

import * as React from "react";
import { Save } from "lucide-react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardFooter } from "@/components/ui/card";
import { FieldHint, Input, Label, fieldErrorText, withoutError } from "@/components/ui/input";
import { Spinner } from "@/components/ui/spinner";
import { Switch } from "@/components/ui/switch";
import { FormHeader } from "@/components/crud";
import { HeadersEditor, newHeaderRow, rowsFromHeaders, type HeaderRow } from "@/components/rules/headers-editor";
import { api, errorMessage, isApiError } from "@/lib/api";
import { COMMON_OBJECT_TYPES, DAYS, DAY_NAMES, isKnownPlainHeader, isSensitiveHeaderName } from "@/lib/rules";
import type { AlertRule, AlertRuleInput, Camera, RuleConditions, WebhookInput } from "@/lib/types";
import { cn, splitList } from "@/lib/utils";

interface Draft {
  name: string;
  is_enabled: boolean;
  cooldown: string;
  objectTypes: string[];
  otherTypes: string;
  cameras: number[];
  minConfidence: string;
  useTimeWindow: boolean;
  start: string;
  end: string;
  days: number[];
  keywords: string;
  dashboard: boolean;
  useWebhook: boolean;
  url: string; // typed URL only; empty = keep the stored one
  headers: HeaderRow[];
}

const COMMON = new Set<string>(COMMON_OBJECT_TYPES);

function draftFrom(rule: AlertRule | null): Draft {
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
    headers: webhook ? rowsFromHeaders(webhook.headers ?? {}, webhook.secret_headers ?? [], webhook.plain_headers ?? []) : [],
  };
}

export function RuleForm({
  rule,
  cameras,
  onSaved,
  onCancel,
}: {
  rule: AlertRule | null;
  cameras: Camera[];
  onSaved: (rule: AlertRule, created: boolean) => void;
  onCancel: () => void;
}) {
  const editing = rule !== null;
  const storedUrl = rule?.actions.webhook?.url ?? null;
  const [draft, setDraft] = React.useState<Draft>(() => draftFrom(rule));
  const [errors, setErrors] = React.useState<Record<string, string>>({});
  const [formError, setFormError] = React.useState<string | null>(null);
  const [saving, setSaving] = React.useState(false);
  const idp = editing ? `rule-${rule.id}` : "rule-new";

  function set<K extends keyof Draft>(key: K, value: Draft[K]) {
    setDraft((d) => ({ ...d, [key]: value }));
    setFormError(null);
    setErrors((e) => withoutError(e, key));
  }

  function toggleIn<T>(list: T[], item: T, on: boolean): T[] {
    return on ? (list.includes(item) ? list : [...list, item]) : list.filter((x) => x !== item);
  }

  function validate(d: Draft): Record<string, string> {
    const e: Record<string, string> = {};
    if (!d.name.trim()) e.name = "Enter a name.";
    const cd = Number(d.cooldown);
    if (d.cooldown === "" || !Number.isInteger(cd) || cd < 0 || cd > 10080) e.cooldown = "Enter minutes from 0 to 10080.";
    if (d.minConfidence !== "") {
      const mc = Number(d.minConfidence);
      if (!Number.isInteger(mc) || mc < 0 || mc > 100) e.minConfidence = "Enter a whole number from 0 to 100.";
    }
    if (d.useTimeWindow && (!/^\d\d:\d\d$/.test(d.start) || !/^\d\d:\d\d$/.test(d.end)))
      e.timeWindow = "Enter a start and an end time.";
    if (!d.dashboard && !d.useWebhook) e.actions = "Choose at least one action.";
    if (d.useWebhook) {
      const url = d.url.trim();
      if (!url && !storedUrl) e.url = "Enter the webhook URL.";
      else if (url && !/^https?:\/\/[^/\s]+/i.test(url)) e.url = "Use an http:// or https:// URL.";
      const names = new Set<string>();
      for (const h of d.headers) {
        const name = h.name.trim();
        if (!name) e[h.key] = "Enter a header name, or remove the row.";
        else if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) e[h.key] = "Header names use letters, digits and - only.";
        else if (names.has(name.toLowerCase())) e[h.key] = "This header is listed twice.";
        else if (!h.value && !(h.stored && (h.secret || isSensitiveHeaderName(name)))) e[h.key] = "Enter a value.";
        names.add(name.toLowerCase());
      }
    }
    return e;
  }

  function toInput(d: Draft): AlertRuleInput {
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
        const secret = h.secret || isSensitiveHeaderName(name);
        // Empty stored secret = keep: send the masked form back.
        headers[name] = h.value === "" && h.stored ? "****" : h.value;
        if (secret) secretHeaders.push(name);
        else if (!isKnownPlainHeader(name)) plainHeaders.push(name); // switched off: the user marks it plain
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

  async function save(e: React.FormEvent) {
    e.preventDefault();
    const v = validate(draft);
    setErrors(v);
    if (Object.keys(v).length) {
      setFormError("Please fix the highlighted fields.");
      return;
    }
    setSaving(true);
    setFormError(null);
    try {
      const input = toInput(draft);
      const saved = editing ? await api.alertRules.update(rule.id, input) : await api.alertRules.create(input);
      onSaved(saved, !editing);
    } catch (err) {
      if (isApiError(err) && err.code === "secret_required") {
        // The URL's origin changed: every stored secret header must be typed again.
        setDraft((d) => ({
          ...d,
          headers: d.headers.map((h) => (h.stored && !h.value ? { ...h, needsValue: true } : h)),
        }));
        setFormError(err.message);
      } else {
        setFormError(errorMessage(err));
      }
    } finally {
      setSaving(false);
    }
  }

  const errorText = (key: string) => fieldErrorText(errors, idp, key);

  const headerErrors = Object.fromEntries(draft.headers.filter((h) => errors[h.key]).map((h) => [h.key, errors[h.key]]));

  return (
    <Card className="border-primary/30 shadow-md" data-testid="rule-form">
      <form onSubmit={save} noValidate>
        <FormHeader
          title={editing ? `Edit “${rule.name}”` : "New alert rule"}
          description="An event that matches every condition runs the actions. Empty conditions match anything."
        />
        <CardContent className="space-y-8">
          {formError ? <Alert tone="error">{formError}</Alert> : null}

          <div className="grid grid-cols-1 gap-5 sm:grid-cols-[minmax(0,1fr)_10rem_auto] sm:items-start">
            <div className="space-y-1.5">
              <Label htmlFor={`${idp}-name`}>Name</Label>
              <Input
                id={`${idp}-name`}
                value={draft.name}
                onChange={(e) => set("name", e.target.value)}
                placeholder="Person at night"
                maxLength={100}
                aria-invalid={errors.name ? true : undefined}
                aria-describedby={errors.name ? `${idp}-name-error` : undefined}
                data-testid="rule-name"
              />
              {errorText("name")}
            </div>
            <div className="space-y-1.5">
              <Label htmlFor={`${idp}-cooldown`}>Cooldown (min)</Label>
              <Input
                id={`${idp}-cooldown`}
                type="number"
                min={0}
                inputMode="numeric"
                value={draft.cooldown}
                onChange={(e) => set("cooldown", e.target.value)}
                aria-invalid={errors.cooldown ? true : undefined}
                aria-describedby={errors.cooldown ? `${idp}-cooldown-error` : undefined}
                data-testid="rule-cooldown"
              />
              {errorText("cooldown")}
            </div>
            <div className="flex items-center gap-3 sm:pt-7">
              <Switch
                checked={draft.is_enabled}
                onCheckedChange={(v) => set("is_enabled", v)}
                aria-labelledby={`${idp}-enabled`}
              />
              <span id={`${idp}-enabled`} className="text-sm">
                Enabled
              </span>
            </div>
          </div>

          <section aria-labelledby={`${idp}-conditions`} className="space-y-5">
            <h3 id={`${idp}-conditions`} className="text-sm font-semibold tracking-wide text-muted-foreground uppercase">
              Conditions
            </h3>
            <div className="grid grid-cols-1 gap-6 md:grid-cols-2">
              <fieldset className="space-y-2">
                <legend className="text-sm font-medium">Object types</legend>
                <div className="flex flex-wrap gap-2">
                  {COMMON_OBJECT_TYPES.map((t) => (
                    <ChipToggle
                      key={t}
                      pressed={draft.objectTypes.includes(t)}
                      onChange={(on) => set("objectTypes", toggleIn(draft.objectTypes, t, on))}
                      testId={`rule-object-${t}`}
                      className="capitalize"
                    >
                      {t}
                    </ChipToggle>
                  ))}
                </div>
                <Label htmlFor={`${idp}-other-types`} className="sr-only">
                  Other object types
                </Label>
                <Input
                  id={`${idp}-other-types`}
                  value={draft.otherTypes}
                  onChange={(e) => set("otherTypes", e.target.value)}
                  placeholder="Other types, comma separated (e.g. bicycle, cat)"
                />
                <FieldHint>None selected: any object.</FieldHint>
              </fieldset>

              <fieldset className="space-y-2">
                <legend className="text-sm font-medium">Cameras</legend>
                {cameras.length === 0 ? (
                  <FieldHint>No cameras yet: the rule applies to any camera.</FieldHint>
                ) : (
                  <div className="flex flex-wrap gap-2">
                    {cameras.map((c) => (
                      <ChipToggle
                        key={c.id}
                        pressed={draft.cameras.includes(c.id)}
                        onChange={(on) => set("cameras", toggleIn(draft.cameras, c.id, on))}
                      >
                        {c.name}
                      </ChipToggle>
                    ))}
                  </div>
                )}
                <FieldHint>None selected: any camera.</FieldHint>
              </fieldset>

              <div className="space-y-1.5">
                <Label htmlFor={`${idp}-confidence`}>Minimum confidence (%)</Label>
                <Input
                  id={`${idp}-confidence`}
                  type="number"
                  min={0}
                  max={100}
                  inputMode="numeric"
                  placeholder="Any"
                  value={draft.minConfidence}
                  onChange={(e) => set("minConfidence", e.target.value)}
                  className="max-w-32"
                  aria-invalid={errors.minConfidence ? true : undefined}
                  data-testid="rule-min-confidence"
                />
                {errorText("minConfidence")}
              </div>

              <div className="space-y-2">
                <div className="flex items-center gap-3">
                  <Switch
                    checked={draft.useTimeWindow}
                    onCheckedChange={(v) => set("useTimeWindow", v)}
                    aria-labelledby={`${idp}-tw-label`}
                  />
                  <span id={`${idp}-tw-label`} className="text-sm font-medium">
                    Only between
                  </span>
                </div>
                {draft.useTimeWindow ? (
                  <div className="flex flex-wrap items-center gap-2">
                    <Label htmlFor={`${idp}-start`} className="sr-only">
                      Start time
                    </Label>
                    <Input
                      id={`${idp}-start`}
                      type="time"
                      value={draft.start}
                      onChange={(e) => set("start", e.target.value)}
                      className="w-32"
                    />
                    <span className="text-sm text-muted-foreground">and</span>
                    <Label htmlFor={`${idp}-end`} className="sr-only">
                      End time
                    </Label>
                    <Input
                      id={`${idp}-end`}
                      type="time"
                      value={draft.end}
                      onChange={(e) => set("end", e.target.value)}
                      className="w-32"
                    />
                  </div>
                ) : (
                  <FieldHint>Any time of day. A window may wrap midnight (22:00–06:00).</FieldHint>
                )}
                {errorText("timeWindow")}
              </div>

              <fieldset className="space-y-2">
                <legend className="text-sm font-medium">Days</legend>
                <div className="flex flex-wrap gap-1.5">
                  {DAYS.map((d, i) => (
                    <ChipToggle
                      key={d}
                      pressed={draft.days.includes(i)}
                      onChange={(on) => set("days", toggleIn(draft.days, i, on))}
                      ariaLabel={DAY_NAMES[i]}
                      className="w-12 justify-center"
                    >
                      {d}
                    </ChipToggle>
                  ))}
                </div>
                <FieldHint>None selected: every day.</FieldHint>
              </fieldset>

              <div className="space-y-1.5">
                <Label htmlFor={`${idp}-keywords`}>Description keywords</Label>
                <Input
                  id={`${idp}-keywords`}
                  value={draft.keywords}
                  onChange={(e) => set("keywords", e.target.value)}
                  placeholder="door, garage"
                  aria-describedby={`${idp}-keywords-hint`}
                />
                <FieldHint id={`${idp}-keywords-hint`}>Comma separated; any one must appear in the AI description.</FieldHint>
              </div>
            </div>
          </section>

          <section aria-labelledby={`${idp}-actions`} className="space-y-5">
            <h3 id={`${idp}-actions`} className="text-sm font-semibold tracking-wide text-muted-foreground uppercase">
              Actions
            </h3>
            {errorText("actions")}
            <div className="flex items-start justify-between gap-4 rounded-lg border p-4">
              <div>
                <p id={`${idp}-dash`} className="text-sm font-medium">
                  Dashboard notification
                </p>
                <p className="text-xs text-muted-foreground">Show it under the bell at the top of the page.</p>
              </div>
              <Switch
                checked={draft.dashboard}
                onCheckedChange={(v) => set("dashboard", v)}
                aria-labelledby={`${idp}-dash`}
                data-testid="rule-dashboard"
              />
            </div>
            <div className="space-y-4 rounded-lg border p-4">
              <div className="flex items-start justify-between gap-4">
                <div>
                  <p id={`${idp}-wh`} className="text-sm font-medium">
                    Webhook
                  </p>
                  <p className="text-xs text-muted-foreground">POST the event as JSON to a URL, e.g. Home Assistant.</p>
                </div>
                <Switch
                  checked={draft.useWebhook}
                  onCheckedChange={(v) => {
                    set("useWebhook", v);
                    if (v && draft.headers.length === 0 && !storedUrl)
                      set("headers", [newHeaderRow({ name: "Content-Type", value: "application/json" })]);
                  }}
                  aria-labelledby={`${idp}-wh`}
                  data-testid="rule-webhook"
                />
              </div>
              {draft.useWebhook ? (
                <div className="space-y-4">
                  <div className="space-y-1.5">
                    <div className="flex items-center justify-between gap-2">
                      <Label htmlFor={`${idp}-url`}>URL</Label>
                      {storedUrl ? <span className="text-xs text-success">Set · Replace</span> : null}
                    </div>
                    <Input
                      id={`${idp}-url`}
                      type="url"
                      inputMode="url"
                      value={draft.url}
                      onChange={(e) => set("url", e.target.value)}
                      placeholder={storedUrl ? `${storedUrl} (leave empty to keep)` : "https://example.com/hooks/…"}
                      className="font-mono text-xs"
                      spellCheck={false}
                      autoComplete="off"
                      aria-invalid={errors.url ? true : undefined}
                      aria-describedby={errors.url ? `${idp}-url-error` : `${idp}-url-hint`}
                      data-testid="rule-webhook-url"
                    />
                    {errorText("url") ?? (
                      <FieldHint id={`${idp}-url-hint`}>
                        {storedUrl
                          ? "The stored URL's path and query are secret and stay hidden. Changing the host asks for secret headers again."
                          : "Stored encrypted; afterwards only the scheme and host are shown."}
                      </FieldHint>
                    )}
                  </div>
                  <HeadersEditor
                    rows={draft.headers}
                    onChange={(rows) => set("headers", rows)}
                    idPrefix={idp}
                    errors={headerErrors}
                  />
                </div>
              ) : null}
            </div>
          </section>
        </CardContent>
        <CardFooter className="justify-end">
          <Button variant="ghost" onClick={onCancel}>
            Cancel
          </Button>
          <Button type="submit" disabled={saving} data-testid="rule-save">
            {saving ? <Spinner /> : <Save aria-hidden />}
            {editing ? "Save rule" : "Create rule"}
          </Button>
        </CardFooter>
      </form>
    </Card>
  );
}

function ChipToggle({
  pressed,
  onChange,
  children,
  ariaLabel,
  className,
  testId,
}: {
  pressed: boolean;
  onChange: (on: boolean) => void;
  children: React.ReactNode;
  ariaLabel?: string;
  className?: string;
  testId?: string;
}) {
  return (
    <button
      type="button"
      aria-pressed={pressed}
      aria-label={ariaLabel}
      onClick={() => onChange(!pressed)}
      data-testid={testId}
      className={cn(
        "inline-flex h-8 items-center rounded-full border px-3 text-sm transition-colors",
        "focus-visible:ring-2 focus-visible:ring-ring focus-visible:ring-offset-1 focus-visible:outline-none",
        pressed ? "border-primary bg-primary text-primary-foreground" : "bg-card hover:bg-muted",
        className,
      )}
    >
      {children}
    </button>
  );
}
