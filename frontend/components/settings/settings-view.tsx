"use client";

import * as React from "react";
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
            <div className="grid grid-cols-1 gap-4 md:grid-cols-2">
              {PROVIDERS.map((p) => (
                <ProviderKeyCard
                  key={p}
                  provider={p}
                  masked={settings[keyField(p)]}
                  status={keyStatus(settings, p)}
                  isPrimary={settings.ai_primary_provider === p}
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
          </section>
        </div>
      )}
    </>
  );
}
