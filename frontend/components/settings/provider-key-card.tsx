"use client";

import * as React from "react";
import { AlertTriangle, CheckCircle2, FlaskConical, KeyRound, Save } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardFooter, CardHeader, CardTitle } from "@/components/ui/card";
import { FieldHint, Input, Label } from "@/components/ui/input";
import { Spinner } from "@/components/ui/spinner";
import { ConfirmDeleteButton, NoticeText } from "@/components/crud";
import { KeyTestStatus, type KeyTestState } from "@/components/settings/key-test-status";
import { api, errorMessage, isApiError } from "@/lib/api";
import { PROVIDER_INFO, keyField } from "@/lib/providers";
import type { Provider, SecretStatus, Settings } from "@/lib/types";
import { useSaveNotice } from "@/lib/use-save-notice";
import { isMasked } from "@/lib/utils";

export interface ProviderKeyCardProps {
  provider: Provider;
  /** Masked value from the API ("****abcd") or null. Never the key itself. */
  masked?: string | null;
  status: SecretStatus;
  isPrimary?: boolean;
  onSaved: (settings: Settings) => void;
}

/** Display for a stored key: only ever the masked form the API returned. */
export function MaskedKey({ masked, status }: { masked?: string | null; status: SecretStatus }) {
  if (status === "undecryptable") {
    return (
      <Badge tone="warning" data-testid="masked-key">
        <AlertTriangle aria-hidden /> Needs re-entry
      </Badge>
    );
  }
  if (status === "set" && masked) {
    // Defensive: show only a masked form, even if the server sent something else.
    const safe = isMasked(masked) ? masked : "****";
    return (
      <Badge tone="success" data-testid="masked-key">
        <CheckCircle2 aria-hidden /> <span className="font-mono">{safe}</span>
      </Badge>
    );
  }
  return (
    <Badge tone="neutral" data-testid="masked-key">
      Not set
    </Badge>
  );
}

export function ProviderKeyCard({ provider, masked, status, isPrimary, onSaved }: ProviderKeyCardProps) {
  const info = PROVIDER_INFO[provider];
  const inputId = `ai-key-${provider}`;
  const [value, setValue] = React.useState("");
  const [test, setTest] = React.useState<KeyTestState>({ kind: "idle" });
  const [retryUntil, setRetryUntil] = React.useState<number | null>(null);
  const { saving, notice, setNotice, run } = useSaveNotice();
  const [confirmRemove, setConfirmRemove] = React.useState(false);

  const stored = status === "set";
  const typed = value.trim();
  const testing = test.kind === "testing";
  const rateLimited = test.kind === "rate_limited";

  // Count down a 429 "try again in N s".
  React.useEffect(() => {
    if (retryUntil === null) return;
    const tick = () => {
      const left = Math.ceil((retryUntil - Date.now()) / 1000);
      if (left <= 0) {
        setRetryUntil(null);
        setTest({ kind: "idle" });
      } else {
        setTest({ kind: "rate_limited", secondsLeft: left });
      }
    };
    const id = window.setInterval(tick, 1000);
    return () => window.clearInterval(id);
  }, [retryUntil]);

  function onChange(next: string) {
    setValue(next);
    setNotice(null);
    // A result belongs to the key that was tested: clear it when the key changes.
    if (test.kind === "success" || test.kind === "failure") setTest({ kind: "idle" });
  }

  async function runTest() {
    if (testing || rateLimited) return;
    const useStored = !typed;
    setNotice(null);
    setTest({ kind: "testing" });
    try {
      const result = await api.ai.testKey(provider, useStored ? undefined : typed);
      const prefix = useStored ? "Stored key: " : "";
      if (result.valid) {
        setTest({ kind: "success", message: `${prefix}${result.message || "The key works."}` });
      } else {
        setTest({ kind: "failure", message: `${prefix}${result.message || "The key was rejected."}` });
      }
    } catch (err) {
      if (isApiError(err) && err.status === 429) {
        const seconds = err.retryAfter ?? 60;
        setRetryUntil(Date.now() + seconds * 1000);
        setTest({ kind: "rate_limited", secondsLeft: seconds });
      } else {
        setTest({ kind: "failure", message: errorMessage(err) });
      }
    }
  }

  async function save(newValue: string | null) {
    await run(async () => {
      const settings = await api.settings.update({ [keyField(provider)]: newValue });
      setValue("");
      setConfirmRemove(false);
      if (newValue === null) setTest({ kind: "idle" });
      onSaved(settings);
      return newValue === null ? "Key removed." : "Key saved.";
    });
  }

  const testLabel = typed || !stored ? "Test API Key" : "Test stored key";
  const canTest = (typed.length > 0 || stored) && !testing && !rateLimited;

  return (
    <Card data-testid={`ai-provider-card-${provider}`} className="flex flex-col">
      <CardHeader className="flex-row items-start justify-between gap-3">
        <div className="flex min-w-0 items-center gap-3">
          <span className="flex size-9 shrink-0 items-center justify-center rounded-lg bg-muted text-muted-foreground">
            <KeyRound className="size-4" aria-hidden />
          </span>
          <div className="min-w-0">
            <CardTitle className="flex flex-wrap items-center gap-2">
              {info.name}
              {isPrimary ? <Badge tone="info">Primary</Badge> : null}
            </CardTitle>
            <CardDescription>{info.docsHint}</CardDescription>
          </div>
        </div>
        <MaskedKey masked={masked} status={status} />
      </CardHeader>
      <CardContent className="flex-1 space-y-3">
        {status === "undecryptable" ? (
          <p className="flex items-start gap-2 rounded-md bg-warning-soft px-3 py-2 text-xs text-warning">
            <AlertTriangle className="mt-0.5 size-3.5 shrink-0" aria-hidden />
            The stored key can no longer be decrypted. Enter it again to use {info.name}.
          </p>
        ) : null}
        <form
          className="space-y-1.5"
          onSubmit={(e) => {
            // Enter tests the key (harmless); saving is an explicit click.
            e.preventDefault();
            if (canTest) void runTest();
          }}
        >
          <Label htmlFor={inputId}>{stored ? "Replace API key" : "API key"}</Label>
          <Input
            id={inputId}
            name={`ai-key-${provider}`}
            type="password"
            value={value}
            onChange={(e) => onChange(e.target.value)}
            placeholder={stored ? "New key (leave empty to keep)" : info.placeholder}
            autoComplete="off"
            autoCapitalize="off"
            autoCorrect="off"
            spellCheck={false}
            className="font-mono"
            aria-describedby={`${inputId}-hint ${inputId}-status`}
            data-testid={`ai-key-input-${provider}`}
            data-1p-ignore
            data-lpignore="true"
          />
          <FieldHint id={`${inputId}-hint`}>
            {stored
              ? "Write-only. Leave empty to keep the stored key; it is never shown again."
              : "Write-only. Stored encrypted; only the last four characters are ever shown."}
          </FieldHint>
        </form>
        <div id={`${inputId}-status`}>
          <KeyTestStatus state={test} testId={`ai-key-status-${provider}`} />
        </div>
        <NoticeText notice={notice} />
      </CardContent>
      <CardFooter className="justify-between">
        <div className="flex flex-wrap gap-2">
          <Button
            variant="outline"
            size="sm"
            onClick={() => void runTest()}
            disabled={!canTest}
            aria-busy={testing || undefined}
            data-testid={`ai-key-test-${provider}`}
          >
            {testing ? <Spinner /> : <FlaskConical aria-hidden />}
            {testLabel}
          </Button>
          <Button
            size="sm"
            onClick={() => void save(typed)}
            disabled={!typed || saving}
            data-testid={`ai-key-save-${provider}`}
          >
            {saving ? <Spinner /> : <Save aria-hidden />}
            Save
          </Button>
        </div>
        {status !== "unset" ? (
          <ConfirmDeleteButton
            confirming={confirmRemove}
            onConfirmingChange={setConfirmRemove}
            onConfirm={() => void save(null)}
            busy={saving}
            groupLabel={`Confirm removing the ${info.name} key`}
            label="Remove"
            prompt="Remove key?"
            spinner={false}
            confirmTestId={`ai-key-remove-confirm-${provider}`}
            triggerTestId={`ai-key-remove-${provider}`}
          />
        ) : null}
      </CardFooter>
    </Card>
  );
}
