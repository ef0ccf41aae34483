"use client";

import * as React from "react";
import { ArrowDown, ArrowUp, Save } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardFooter, CardHeader, CardTitle } from "@/components/ui/card";
import { FieldHint, Input, Label, Select } from "@/components/ui/input";
import { Spinner } from "@/components/ui/spinner";
import { NoticeText } from "@/components/crud";
import { api } from "@/lib/api";
import { PROVIDER_INFO, keyStatus, modelField } from "@/lib/providers";
import { PROVIDERS, type Provider, type Settings } from "@/lib/types";
import { useSaveNotice } from "@/lib/use-save-notice";
import { cn } from "@/lib/utils";

interface Draft {
  primary: Provider | "";
  fallback: Provider[];
  models: Record<Provider, string>;
}

function draftFrom(settings: Settings): Draft {
  const primary = settings.ai_primary_provider ?? "";
  return {
    primary,
    fallback: (settings.ai_fallback_order ?? []).filter((p) => PROVIDERS.includes(p) && p !== primary),
    models: Object.fromEntries(PROVIDERS.map((p) => [p, settings[modelField(p)] ?? ""])) as Record<Provider, string>,
  };
}

export function ProviderPreferences({ settings, onSaved }: { settings: Settings; onSaved: (s: Settings) => void }) {
  const [draft, setDraft] = React.useState<Draft>(() => draftFrom(settings));
  const { saving, notice, setNotice, run } = useSaveNotice();

  const others = PROVIDERS.filter((p) => p !== draft.primary);
  // Fallbacks in their order first, then the unused providers.
  const ordered = [...draft.fallback, ...others.filter((p) => !draft.fallback.includes(p))];

  function setPrimary(value: Provider | "") {
    setDraft((d) => ({ ...d, primary: value, fallback: d.fallback.filter((p) => p !== value) }));
    setNotice(null);
  }

  function toggleFallback(p: Provider, on: boolean) {
    setDraft((d) => ({ ...d, fallback: on ? [...d.fallback, p] : d.fallback.filter((x) => x !== p) }));
    setNotice(null);
  }

  function move(p: Provider, delta: -1 | 1) {
    setDraft((d) => {
      const list = [...d.fallback];
      const i = list.indexOf(p);
      const j = i + delta;
      if (i < 0 || j < 0 || j >= list.length) return d;
      [list[i], list[j]] = [list[j], list[i]];
      return { ...d, fallback: list };
    });
    setNotice(null);
  }

  async function save() {
    await run(async () => {
      const patch: Partial<Settings> = {
        ai_primary_provider: draft.primary || null,
        ai_fallback_order: draft.fallback,
      };
      for (const p of PROVIDERS) {
        const model = draft.models[p].trim();
        if (model) (patch as Record<string, unknown>)[modelField(p)] = model;
      }
      const next = await api.settings.update(patch);
      setDraft(draftFrom(next));
      onSaved(next);
      return "Provider preferences saved.";
    });
  }

  return (
    <Card>
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
              value={draft.primary}
              onChange={(e) => setPrimary(e.target.value as Provider | "")}
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
          </div>
          <fieldset className="space-y-2">
            <legend className="text-sm font-medium">Fallback order</legend>
            <FieldHint>Tick the providers to fall back to and arrange them with the arrows.</FieldHint>
            <ol className="divide-y rounded-lg border" data-testid="ai-fallback-order">
              {ordered.map((p) => {
                const index = draft.fallback.indexOf(p);
                const on = index >= 0;
                const id = `fallback-${p}`;
                return (
                  <li key={p} className={cn("flex items-center gap-3 px-3 py-2", !on && "text-muted-foreground")}>
                    <input
                      id={id}
                      type="checkbox"
                      checked={on}
                      onChange={(e) => toggleFallback(p, e.target.checked)}
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
                      onClick={() => move(p, -1)}
                      disabled={!on || index === 0}
                      aria-label={`Move ${PROVIDER_INFO[p].name} up`}
                    >
                      <ArrowUp aria-hidden />
                    </Button>
                    <Button
                      variant="ghost"
                      size="icon"
                      className="size-8"
                      onClick={() => move(p, 1)}
                      disabled={!on || index === draft.fallback.length - 1}
                      aria-label={`Move ${PROVIDER_INFO[p].name} down`}
                    >
                      <ArrowDown aria-hidden />
                    </Button>
                  </li>
                );
              })}
            </ol>
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
                value={draft.models[p]}
                onChange={(e) => {
                  const v = e.target.value;
                  setDraft((d) => ({ ...d, models: { ...d.models, [p]: v } }));
                  setNotice(null);
                }}
                className="font-mono text-xs"
                spellCheck={false}
                data-testid={`ai-model-${p}`}
              />
            </div>
          ))}
        </fieldset>
      </CardContent>
      <CardFooter>
        <Button onClick={() => void save()} disabled={saving} data-testid="ai-preferences-save">
          {saving ? <Spinner /> : <Save aria-hidden />} Save preferences
        </Button>
        <NoticeText notice={notice} />
      </CardFooter>
    </Card>
  );
}
