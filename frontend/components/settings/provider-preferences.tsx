"use client";

import * as React from "react";
import { useForm, useWatch } from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import { ArrowDown, ArrowUp } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { FieldHint, Input, Label, Select } from "@/components/ui/input";
import { SaveFooter } from "@/components/crud";
import { useServerSubmit } from "@/components/auth/field";
import {
  SERVER_FIELDS,
  draftFrom,
  modelKey,
  moved,
  patchFrom,
  providerPreferencesSchema,
  type PreferencesDraft,
} from "@/components/settings/provider-preferences-schema";
import { api } from "@/lib/api";
import { PROVIDER_INFO, keyStatus } from "@/lib/providers";
import { PROVIDERS, type Provider, type Settings } from "@/lib/types";
import type { Notice } from "@/lib/use-save-notice";
import { cn } from "@/lib/utils";

/** A control's error line, and the props that point the control at it. */
function errorProps(id: string, error: string | undefined, describedBy?: string) {
  const ids = [describedBy, error ? `${id}-error` : null].filter(Boolean).join(" ") || undefined;
  return { "aria-invalid": error ? true : undefined, "aria-describedby": ids } as const;
}

function ErrorLine({ id, error, className }: { id: string; error?: string; className?: string }) {
  return error ? (
    <p id={`${id}-error`} className={cn("text-xs text-destructive", className)} data-testid={`${id}-error`}>
      {error}
    </p>
  ) : null;
}

const SAVED: Notice = { tone: "success", text: "Provider preferences saved." };

export function ProviderPreferences({ settings, onSaved }: { settings: Settings; onSaved: (s: Settings) => void }) {
  const form = useForm<PreferencesDraft>({ resolver: zodResolver(providerPreferencesSchema), defaultValues: draftFrom(settings) });
  const [saved, setSaved] = React.useState(false);
  const { errors } = form.formState;
  const primary = useWatch({ control: form.control, name: "primary" });
  const fallback = useWatch({ control: form.control, name: "fallback" });

  const others = PROVIDERS.filter((p) => p !== primary);
  // Fallbacks in their order first, then the unused providers.
  const ordered = [...fallback, ...others.filter((p) => !fallback.includes(p))];

  function setFallback(list: Provider[]) {
    form.setValue("fallback", list, { shouldDirty: true });
    form.clearErrors("fallback");
    setSaved(false);
  }

  // Field errors (the browser's or the server's 422) at their fields; any other refusal in the notice.
  const { onSubmit, formError, busy: saving } = useServerSubmit(
    form,
    async (values) => {
      setSaved(false);
      const next = await api.settings.update(patchFrom(values));
      form.reset(draftFrom(next));
      onSaved(next);
      setSaved(true);
    },
    { rename: SERVER_FIELDS },
  );
  const notice: Notice | null = formError ? { tone: "error", text: String(formError) } : saved ? SAVED : null;

  return (
    <Card>
      <form noValidate onSubmit={onSubmit} onChange={() => setSaved(false)}>
        <CardHeader>
          <CardTitle as="h3">Provider order and models</CardTitle>
          <CardDescription>
            The primary provider describes each event; when it fails, the fallbacks are tried in order.
          </CardDescription>
        </CardHeader>
        <CardContent className="grid grid-cols-1 gap-6 lg:grid-cols-2">
          <div className="space-y-5">
            <div className="space-y-1.5">
              <Label htmlFor="ai-primary-provider">Primary provider</Label>
              <Select
                id="ai-primary-provider"
                {...form.register("primary", {
                  // A provider is not its own fallback.
                  onChange: (e: React.ChangeEvent<HTMLSelectElement>) =>
                    form.setValue("fallback", form.getValues("fallback").filter((p) => p !== e.target.value)),
                })}
                {...errorProps("ai-primary-provider", errors.primary?.message)}
                data-testid="ai-primary-provider"
              >
                <option value="">None (AI descriptions off)</option>
                {PROVIDERS.map((p) => (
                  <option key={p} value={p}>
                    {PROVIDER_INFO[p].name}
                    {keyStatus(settings, p) === "set" ? "" : " (no key stored)"}
                  </option>
                ))}
              </Select>
              <ErrorLine id="ai-primary-provider" error={errors.primary?.message} />
            </div>
            <fieldset className="space-y-2">
              <legend className="text-sm font-medium">Fallback order</legend>
              <FieldHint id="ai-fallback-order-hint">Tick the providers to fall back to and arrange them with the arrows.</FieldHint>
              <ol className="divide-y rounded-lg border" data-testid="ai-fallback-order">
                {ordered.map((p) => {
                  const index = fallback.indexOf(p);
                  const on = index >= 0;
                  const id = `fallback-${p}`;
                  return (
                    <li key={p} className={cn("flex items-center gap-3 px-3 py-2", !on && "text-muted-foreground")}>
                      <input
                        id={id}
                        type="checkbox"
                        checked={on}
                        onChange={(e) => setFallback(e.target.checked ? [...fallback, p] : fallback.filter((x) => x !== p))}
                        {...errorProps("ai-fallback-order", errors.fallback?.message, "ai-fallback-order-hint")}
                        className="size-4 accent-[var(--primary)] focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none"
                      />
                      <label htmlFor={id} className="flex-1 text-sm">
                        {on ? <span className="mr-2 font-mono text-xs text-muted-foreground">{index + 1}.</span> : null}
                        {PROVIDER_INFO[p].name}
                        {keyStatus(settings, p) !== "set" ? (
                          <span className="ml-2 text-xs text-muted-foreground">no key</span>
                        ) : null}
                      </label>
                      <Button
                        variant="ghost"
                        size="icon"
                        className="size-8"
                        onClick={() => setFallback(moved(fallback, p, -1))}
                        disabled={!on || index === 0}
                        aria-label={`Move ${PROVIDER_INFO[p].name} up`}
                      >
                        <ArrowUp aria-hidden />
                      </Button>
                      <Button
                        variant="ghost"
                        size="icon"
                        className="size-8"
                        onClick={() => setFallback(moved(fallback, p, 1))}
                        disabled={!on || index === fallback.length - 1}
                        aria-label={`Move ${PROVIDER_INFO[p].name} down`}
                      >
                        <ArrowDown aria-hidden />
                      </Button>
                    </li>
                  );
                })}
              </ol>
              <ErrorLine id="ai-fallback-order" error={errors.fallback?.message} />
            </fieldset>
          </div>
          <fieldset className="space-y-3">
            <legend className="text-sm font-medium">Model per provider</legend>
            {PROVIDERS.map((p) => (
              <div key={p} className="grid items-center gap-1.5 sm:grid-cols-[9rem_1fr]">
                <Label htmlFor={`ai-model-${p}`} className="font-normal text-muted-foreground">
                  {PROVIDER_INFO[p].name}
                </Label>
                <Input
                  id={`ai-model-${p}`}
                  {...form.register(modelKey(p))}
                  {...errorProps(`ai-model-${p}`, errors[modelKey(p)]?.message)}
                  className="font-mono text-xs"
                  spellCheck={false}
                  data-testid={`ai-model-${p}`}
                />
                <ErrorLine id={`ai-model-${p}`} error={errors[modelKey(p)]?.message} className="sm:col-start-2" />
              </div>
            ))}
          </fieldset>
        </CardContent>
        <SaveFooter label="Save preferences" saving={saving} notice={notice} testId="ai-preferences-save" />
      </form>
    </Card>
  );
}
