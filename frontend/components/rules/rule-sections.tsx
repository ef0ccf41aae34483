"use client";

// The sections of the alert-rule form. Each reads and writes the one
// react-hook-form draft of RuleForm through `useRuleDraft()`.
import * as React from "react";
import { useFormContext, useWatch, type FieldErrors } from "react-hook-form";
import { FieldHint, Input, Label, fieldErrorText } from "@/components/ui/input";
import { Switch } from "@/components/ui/switch";
import { HeadersEditor } from "@/components/rules/headers-editor";
import { defaultHeaders, type RuleDraft } from "@/components/rules/rule-schema";
import type { HeaderPolicy } from "@/lib/rules";
import { COMMON_OBJECT_TYPES, DAYS, DAY_NAMES } from "@/lib/rules";
import type { Camera } from "@/lib/types";
import { cn } from "@/lib/utils";

/** Every field's message by name (header rows' messages are under `headers`). */
function messages(errors: FieldErrors<RuleDraft>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, error] of Object.entries(errors)) {
    if (name !== "headers" && typeof error?.message === "string") out[name] = error.message;
  }
  return out;
}

/**
 * The draft's current values, its errors, and `set`: a change to a field
 * clears that field's error and the form's message (the rest wait for the
 * next save).
 */
export function useRuleDraft() {
  const form = useFormContext<RuleDraft>();
  const draft = useWatch({ control: form.control }) as RuleDraft;
  const errors = messages(form.formState.errors);
  const set = <K extends keyof RuleDraft>(key: K, value: RuleDraft[K]) => {
    form.setValue(key, value as never);
    form.clearErrors([key, "root"] as never);
  };
  return { form, draft, errors, set };
}

function toggleIn<T>(list: T[], item: T, on: boolean): T[] {
  return on ? (list.includes(item) ? list : [...list, item]) : list.filter((x) => x !== item);
}

function SectionTitle({ id, children }: { id: string; children: React.ReactNode }) {
  return (
    <h3 id={id} className="text-sm font-semibold tracking-wide text-muted-foreground uppercase">
      {children}
    </h3>
  );
}

/** A labelled text input bound to one draft field, with its error line. */
function DraftInput({
  idp,
  field,
  label,
  labelClassName,
  errorId = true,
  ...props
}: {
  idp: string;
  field: "name" | "cooldown" | "otherTypes" | "minConfidence" | "keywords" | "url" | "start" | "end";
  label: React.ReactNode;
  labelClassName?: string;
  /** Point aria-describedby at the error line while there is one. */
  errorId?: boolean;
} & Omit<React.InputHTMLAttributes<HTMLInputElement>, "value" | "onChange">) {
  const { draft, errors, set } = useRuleDraft();
  const id = `${idp}-${field === "otherTypes" ? "other-types" : field === "minConfidence" ? "confidence" : field}`;
  const describedBy = errorId && errors[field] ? `${idp}-${field}-error` : props["aria-describedby"];
  return (
    <>
      <Label htmlFor={id} className={labelClassName}>
        {label}
      </Label>
      <Input
        id={id}
        value={draft[field]}
        onChange={(e) => set(field, e.target.value)}
        aria-invalid={errors[field] ? true : undefined}
        {...props}
        aria-describedby={describedBy}
      />
    </>
  );
}

/** A draft field with its error line (and an optional hint after it), stacked. */
function DraftField({ hint, ...props }: React.ComponentProps<typeof DraftInput> & { hint?: React.ReactNode }) {
  const { errors } = useRuleDraft();
  return (
    <div className="space-y-1.5">
      <DraftInput {...props} />
      {fieldErrorText(errors, props.idp, props.field)}
      {hint}
    </div>
  );
}

export function BasicsSection({ idp }: { idp: string }) {
  const { draft, set } = useRuleDraft();
  return (
    <div className="grid grid-cols-1 gap-5 sm:grid-cols-[minmax(0,1fr)_10rem_auto] sm:items-start">
      <DraftField idp={idp} field="name" label="Name" placeholder="Person at night" maxLength={100} data-testid="rule-name" />
      <DraftField idp={idp} field="cooldown" label="Cooldown (min)" type="number" min={0} inputMode="numeric" data-testid="rule-cooldown" />
      <div className="flex items-center gap-3 sm:pt-7">
        <Switch checked={draft.is_enabled} onCheckedChange={(v) => set("is_enabled", v)} aria-labelledby={`${idp}-enabled`} />
        <span id={`${idp}-enabled`} className="text-sm">
          Enabled
        </span>
      </div>
    </div>
  );
}

/** What an event must show: object types, cameras, confidence, keywords. */
export function ConditionsSection({ idp, cameras, children }: { idp: string; cameras: Camera[]; children?: React.ReactNode }) {
  const { draft, errors, set } = useRuleDraft();
  return (
    <section aria-labelledby={`${idp}-conditions`} className="space-y-5">
      <SectionTitle id={`${idp}-conditions`}>Conditions</SectionTitle>
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
          <DraftInput
            idp={idp}
            field="otherTypes"
            label="Other object types"
            labelClassName="sr-only"
            errorId={false}
            placeholder="Other types, comma separated (e.g. bicycle, cat)"
          />
          {fieldErrorText(errors, idp, "otherTypes")}
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

        <DraftField
          idp={idp}
          field="minConfidence"
          label="Minimum confidence (%)"
          errorId={false}
          type="number"
          min={0}
          max={100}
          inputMode="numeric"
          placeholder="Any"
          className="max-w-32"
          data-testid="rule-min-confidence"
        />

        {children}

        <DraftField
          idp={idp}
          field="keywords"
          label="Description keywords"
          errorId={false}
          placeholder="door, garage"
          aria-describedby={`${idp}-keywords-hint`}
          hint={<FieldHint id={`${idp}-keywords-hint`}>Comma separated; any one must appear in the AI description.</FieldHint>}
        />
      </div>
    </section>
  );
}

/** When the rule applies: a time window (may wrap midnight) and days of the week. */
export function ScheduleFields({ idp }: { idp: string }) {
  const { draft, errors, set } = useRuleDraft();
  return (
    <>
      <div className="space-y-2">
        <div className="flex items-center gap-3">
          <Switch checked={draft.useTimeWindow} onCheckedChange={(v) => set("useTimeWindow", v)} aria-labelledby={`${idp}-tw-label`} />
          <span id={`${idp}-tw-label`} className="text-sm font-medium">
            Only between
          </span>
        </div>
        {draft.useTimeWindow ? (
          <div className="flex flex-wrap items-center gap-2">
            <DraftInput idp={idp} field="start" label="Start time" labelClassName="sr-only" errorId={false} type="time" className="w-32" />
            <span className="text-sm text-muted-foreground">and</span>
            <DraftInput idp={idp} field="end" label="End time" labelClassName="sr-only" errorId={false} type="time" className="w-32" />
          </div>
        ) : (
          <FieldHint>Any time of day. A window may wrap midnight (22:00–06:00).</FieldHint>
        )}
        {fieldErrorText(errors, idp, "timeWindow")}
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
    </>
  );
}

/** What a match does: a dashboard notification and/or a webhook. */
type WebhookProps = { idp: string; storedUrl: string | null; policy: HeaderPolicy };

export function ActionsSection({ idp, storedUrl, policy }: WebhookProps) {
  const { draft, errors, set } = useRuleDraft();
  return (
    <section aria-labelledby={`${idp}-actions`} className="space-y-5">
      <SectionTitle id={`${idp}-actions`}>Actions</SectionTitle>
      {fieldErrorText(errors, idp, "actions")}
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
              if (v && draft.headers.length === 0 && !storedUrl) set("headers", defaultHeaders(policy));
            }}
            aria-labelledby={`${idp}-wh`}
            data-testid="rule-webhook"
          />
        </div>
        {draft.useWebhook ? <WebhookFields idp={idp} storedUrl={storedUrl} policy={policy} /> : null}
      </div>
    </section>
  );
}

/** The webhook's URL (write-only once stored) and its headers. */
function WebhookFields({ idp, storedUrl, policy }: WebhookProps) {
  const { form, draft, errors, set } = useRuleDraft();
  const rowErrors = form.formState.errors.headers;
  const headerErrors: Record<string, string> = {};
  draft.headers.forEach((h, i) => {
    const message = Array.isArray(rowErrors) ? rowErrors[i]?.message : undefined;
    if (typeof message === "string") headerErrors[h.key] = message;
  });
  return (
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
        {fieldErrorText(errors, idp, "url") ?? (
          <FieldHint id={`${idp}-url-hint`}>
            {storedUrl
              ? "The stored URL's path and query are secret and stay hidden. Changing the host asks for secret headers again."
              : "Stored encrypted; afterwards only the scheme and host are shown."}
          </FieldHint>
        )}
      </div>
      <HeadersEditor policy={policy} rows={draft.headers} onChange={(rows) => set("headers", rows)} idPrefix={idp} errors={headerErrors} />
    </div>
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
