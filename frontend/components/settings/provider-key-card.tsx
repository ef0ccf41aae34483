"use client";

import * as React from "react";
import { useForm, useWatch } from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import { AlertTriangle, CheckCircle2, CircleHelp, FlaskConical, KeyRound, Save, XCircle } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardFooter, CardHeader, CardTitle } from "@/components/ui/card";
import { IconTile } from "@/components/ui/icon-tile";
import { Spinner } from "@/components/ui/spinner";
import { ConfirmDeleteButton, NoticeText } from "@/components/crud";
import { TextField, applyServerErrors } from "@/components/auth/field";
import { EMPTY_KEY, keyInputSchema, keySchema, serverKeyField, type KeyInput } from "@/components/settings/provider-key-card-schema";
import { KeyTestStatus, type KeyTestState } from "@/components/settings/key-test-status";
import { api, errorMessage, isApiError } from "@/lib/api";
import { keyHealthBadge, type KeyHealth } from "@/lib/key-health";
import { PROVIDER_INFO, keyField } from "@/lib/providers";
import type { KeyTestResult, Provider, SecretStatus, Settings } from "@/lib/types";
import type { Notice } from "@/lib/use-save-notice";
import { formatRelative, isMasked } from "@/lib/utils";

export interface ProviderKeyCardProps {
  provider: Provider;
  /** Masked value from the API ("****abcd") or null. Never the key itself. */
  masked?: string | null;
  status: SecretStatus;
  isPrimary?: boolean;
  /** The stored key's last test or use (settings' `key_health[provider]`). */
  health?: KeyHealth | null;
  /** The primary provider before any save here (null: none is set). */
  primaryProvider?: Provider | null;
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
      // Neutral: whether the key works is the health badge's to say.
      <Badge tone="neutral" data-testid="masked-key" title="Stored key (masked)">
        <KeyRound aria-hidden /> <span className="font-mono">{safe}</span>
      </Badge>
    );
  }
  return (
    <Badge tone="neutral" data-testid="masked-key">
      Not set
    </Badge>
  );
}

/** Whether the stored key works: green "Working", amber "Not tested", red "Failing: <why>". */
export function KeyHealthBadge({ status, health }: { status: SecretStatus; health?: KeyHealth | null }) {
  const badge = keyHealthBadge(status, health);
  if (!badge) return null;
  const when = "at" in badge && badge.at ? formatRelative(badge.at) : null;
  const Icon = badge.tone === "success" ? CheckCircle2 : badge.tone === "warning" ? CircleHelp : XCircle;
  return (
    <Badge
      tone={badge.tone}
      data-testid="key-health"
      data-tone={badge.tone}
      title={"at" in badge && badge.at ? new Date(badge.at).toLocaleString() : undefined}
      className="max-w-full whitespace-normal"
    >
      <Icon aria-hidden />
      <span className="break-words">
        {badge.label}
        {when ? <span className="font-normal opacity-80"> · {when}</span> : null}
      </span>
    </Badge>
  );
}

type Pending = { key: string; message: string };

export function ProviderKeyCard({ provider, masked, status, isPrimary, health, primaryProvider = null, onSaved }: ProviderKeyCardProps) {
  const info = PROVIDER_INFO[provider];
  const inputId = `ai-key-${provider}`;
  // The key lives only in this input and the request: no server defaults, emptied after a save.
  const form = useForm<KeyInput>({ resolver: zodResolver(keyInputSchema), defaultValues: EMPTY_KEY });
  const value = useWatch({ control: form.control, name: "key" });
  const keyError = form.formState.errors.key?.message;
  const [test, setTest] = React.useState<KeyTestState>({ kind: "idle" });
  const [retryUntil, setRetryUntil] = React.useState<number | null>(null);
  const [saving, setSaving] = React.useState(false);
  const [notice, setNotice] = React.useState<Notice | null>(null);
  const [confirmRemove, setConfirmRemove] = React.useState(false);
  // A key whose test failed, waiting for "Save anyway?".
  const [pending, setPending] = React.useState<Pending | null>(null);
  const [madePrimary, setMadePrimary] = React.useState(false);

  const stored = status === "set";
  const typed = keySchema.parse(value ?? "");
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

  function onChange() {
    form.clearErrors("key");
    setNotice(null);
    setPending(null);
    setMadePrimary(false);
    // A result belongs to the key that was tested: clear it when the key changes.
    if (test.kind === "success" || test.kind === "failure") setTest({ kind: "idle" });
  }

  /** Test `key` (or the stored key when undefined); the result is shown, and returned (null: could not test). */
  async function testKey(key: string | undefined): Promise<KeyTestResult | null> {
    setNotice(null);
    setTest({ kind: "testing" });
    try {
      const result = await api.ai.testKey(provider, key);
      const prefix = key === undefined ? "Stored key: " : "";
      if (result.valid) {
        setTest({ kind: "success", message: `${prefix}${result.message || "The key works."}` });
      } else {
        setTest({ kind: "failure", message: `${prefix}${result.message || "The key was rejected."}` });
      }
      return result;
    } catch (err) {
      if (isApiError(err) && err.status === 429) {
        const seconds = err.retryAfter ?? 60;
        setRetryUntil(Date.now() + seconds * 1000);
        setTest({ kind: "rate_limited", secondsLeft: seconds });
      } else {
        setTest({ kind: "failure", message: errorMessage(err) });
      }
      return null;
    }
  }

  async function runTest() {
    if (testing || rateLimited) return;
    setPending(null);
    await testKey(typed || undefined);
  }

  async function save(newValue: string | null, doneText: string) {
    setSaving(true);
    setNotice(null);
    try {
      const settings = await api.settings.update({ [keyField(provider)]: newValue });
      form.reset(EMPTY_KEY);
      setConfirmRemove(false);
      setPending(null);
      if (newValue === null) setTest({ kind: "idle" });
      // The server makes the first key's provider the primary one when none was set.
      setMadePrimary(newValue !== null && !primaryProvider && settings.ai_primary_provider === provider);
      onSaved(settings);
      setNotice({ tone: "success", text: doneText });
    } catch (err) {
      // A refusal of the key itself is shown at the input; anything else in the notice.
      const text = applyServerErrors(form, err, serverKeyField(provider));
      if (text) setNotice({ tone: "error", text });
    } finally {
      setSaving(false);
    }
  }

  /** "Save & test": test the typed key first; save it when it passed, ask when it did not. */
  async function saveAndTest() {
    const key = typed;
    if (!key || testing || saving) return;
    setPending(null);
    setMadePrimary(false);
    const result = await testKey(key);
    if (result?.valid) {
      await save(key, "Key saved.");
      return;
    }
    setPending({
      key,
      message: result ? result.message || "The key was rejected." : "The key could not be tested.",
    });
  }

  const testLabel = typed || !stored ? `Test ${info.name} key` : `Test stored ${info.name} key`;
  const canTest = (typed.length > 0 || stored) && !testing && !rateLimited;
  const keyLabel = stored ? `New ${info.name} API key` : `${info.name} API key`;

  return (
    <Card data-testid={`ai-provider-card-${provider}`} className="flex flex-col">
      <CardHeader className="flex-row items-start justify-between gap-3">
        <div className="flex min-w-0 items-center gap-3">
          <IconTile className="size-9">
            <KeyRound className="size-4" aria-hidden />
          </IconTile>
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
        <KeyHealthBadge status={status} health={health} />
        {status === "undecryptable" ? (
          <p className="flex items-start gap-2 rounded-md bg-warning-soft px-3 py-2 text-xs text-warning">
            <AlertTriangle className="mt-0.5 size-3.5 shrink-0" aria-hidden />
            The stored key can no longer be decrypted. Enter it again to use {info.name}.
          </p>
        ) : null}
        <form
          noValidate
          onSubmit={(e) => {
            // Enter tests the key (harmless); saving is an explicit click.
            e.preventDefault();
            if (canTest) void runTest();
          }}
        >
          <TextField
            id={inputId}
            label={keyLabel}
            {...form.register("key", { onChange })}
            error={keyError}
            hint={
              stored
                ? "Write-only. Leave empty to keep the stored key; it is never shown again."
                : "Write-only. Stored encrypted; only the last four characters are ever shown."
            }
            type="password"
            placeholder={stored ? "Leave empty to keep the stored key" : info.placeholder}
            autoComplete="off"
            autoCapitalize="off"
            autoCorrect="off"
            spellCheck={false}
            // TextField's className is its wrapper's: the key itself in monospace.
            className="space-y-1.5 [&_input]:font-mono"
            aria-describedby={[`${inputId}-hint`, `${inputId}-status`, keyError ? `${inputId}-error` : null].filter(Boolean).join(" ")}
            data-testid={`ai-key-input-${provider}`}
            data-1p-ignore
            data-lpignore="true"
          />
        </form>
        <div id={`${inputId}-status`}>
          <KeyTestStatus state={test} testId={`ai-key-status-${provider}`} />
        </div>
        {pending ? (
          <div
            role="group"
            aria-label={`Save the ${info.name} key although its test failed?`}
            className="space-y-2 rounded-md border border-destructive/25 bg-danger-soft px-3 py-2 text-sm"
            data-testid={`ai-key-confirm-${provider}`}
          >
            <p className="text-destructive">
              The test failed: {pending.message} Save anyway? Events will not be described with this key until it works.
            </p>
            <div className="flex flex-wrap gap-2">
              <Button
                size="sm"
                variant="destructive"
                onClick={() => void save(pending.key, "Key saved, although its test failed.")}
                disabled={saving}
                data-testid={`ai-key-save-anyway-${provider}`}
              >
                {saving ? <Spinner /> : <Save aria-hidden />} Save {info.name} key anyway
              </Button>
              <Button size="sm" variant="outline" onClick={() => setPending(null)} data-testid={`ai-key-cancel-${provider}`}>
                Don&apos;t save
              </Button>
            </div>
          </div>
        ) : null}
        <NoticeText notice={notice} />
        {madePrimary ? (
          <p role="status" className="text-sm text-success" data-testid={`ai-key-primary-${provider}`}>
            {info.name} is now the primary provider: AI descriptions are on.
          </p>
        ) : null}
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
            onClick={() => void saveAndTest()}
            disabled={!typed || saving || testing || rateLimited}
            data-testid={`ai-key-save-${provider}`}
          >
            {saving ? <Spinner /> : <Save aria-hidden />}
            Save &amp; test <span className="sr-only">{info.name} key</span>
          </Button>
        </div>
        {status !== "unset" ? (
          <ConfirmDeleteButton
            confirming={confirmRemove}
            onConfirmingChange={setConfirmRemove}
            onConfirm={() => void save(null, "Key removed.")}
            busy={saving}
            groupLabel={`Confirm removing the ${info.name} key`}
            label="Remove"
            triggerLabel={`Remove ${info.name} key`}
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
