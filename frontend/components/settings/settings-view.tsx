"use client";

import * as React from "react";
import Link from "next/link";
import { KeyRound } from "lucide-react";
import { Alert } from "@/components/ui/alert";
import { ErrorState, LoadingState, PageHeader } from "@/components/states";
import { GeneralSettings } from "@/components/settings/general-settings";
import { KeySummary } from "@/components/settings/key-summary";
import { ProviderKeyCard } from "@/components/settings/provider-key-card";
import { ProviderPreferences } from "@/components/settings/provider-preferences";
import { api } from "@/lib/api";
import { keyField, keyStatus } from "@/lib/providers";
import { PROVIDERS, type Settings } from "@/lib/types";
import { queryKeys, useApiQuery } from "@/lib/query";

export function SettingsView() {
  const { data: settings, error, loading, reload, setData } = useApiQuery(queryKeys.settings, (signal) => api.settings.get(signal));
  const onSaved = React.useCallback((next: Settings) => setData(() => next), [setData]);

  return (
    <>
      <PageHeader
        title="Settings"
        description="AI providers that describe events, and system options. Keys are encrypted at rest and never shown again after saving."
        actions={
          <Link
            href="/settings/keys"
            className="inline-flex h-10 items-center gap-1.5 rounded-md border px-4 text-sm font-medium hover:bg-muted focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none"
          >
            <KeyRound className="size-4" aria-hidden /> Key health
          </Link>
        }
      />
      {!settings && loading ? (
        <LoadingState label="Loading settings…" rows={4} />
      ) : !settings ? (
        <ErrorState message={error ?? "Unknown error"} onRetry={() => void reload()} />
      ) : (
        <div className="space-y-10">
          <section aria-labelledby="ai-providers-heading" className="space-y-4">
            <div>
              <h2 id="ai-providers-heading" className="text-lg font-semibold">
                AI Providers
              </h2>
              <p className="text-sm text-muted-foreground">
                Test a key before saving it. Testing sends it only to the provider and stores nothing.
              </p>
            </div>
            {PROVIDERS.every((p) => keyStatus(settings, p) !== "set") ? (
              <Alert tone="warning" title="AI descriptions are off" data-testid="ai-off-banner">
                No AI provider key is stored, so events are saved without a description. To turn descriptions on,
                enter a key from OpenAI, Anthropic, Google or xAI below and choose <strong>Save &amp; test</strong>: the
                first key you save becomes the primary provider.
              </Alert>
            ) : null}
            <div className="grid grid-cols-1 gap-4 md:grid-cols-2">
              {PROVIDERS.map((p) => (
                <ProviderKeyCard
                  key={p}
                  provider={p}
                  masked={settings[keyField(p)]}
                  status={keyStatus(settings, p)}
                  isPrimary={settings.ai_primary_provider === p}
                  primaryProvider={settings.ai_primary_provider ?? null}
                  health={settings.key_health?.[p] ?? null}
                  onSaved={onSaved}
                />
              ))}
            </div>
            <ProviderPreferences settings={settings} onSaved={onSaved} />
          </section>
          <section aria-labelledby="system-heading" className="space-y-4">
            <h2 id="system-heading" className="text-lg font-semibold">
              System
            </h2>
            <GeneralSettings settings={settings} onSaved={onSaved} />
            <KeySummary />
            <p className="text-sm">
              <Link
                href="/settings/keys"
                className="inline-flex items-center gap-1.5 font-medium text-primary underline-offset-2 hover:underline"
                data-testid="key-health-link"
              >
                <KeyRound className="size-4" aria-hidden /> Key health: where each secret is encrypted, rotations
              </Link>
            </p>
          </section>
        </div>
      )}
    </>
  );
}
