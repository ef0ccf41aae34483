"use client";

import * as React from "react";
import { ArrowRight, FileKey2, ServerCog, ShieldAlert } from "lucide-react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardFooter, CardHeader, CardTitle } from "@/components/ui/card";
import { Spinner } from "@/components/ui/spinner";
import { ErrorState, LoadingState } from "@/components/states";
import { KeyFingerprint } from "@/components/auth/fingerprint";
import { api, errorMessage } from "@/lib/api";
import type { EncryptionStatus } from "@/lib/types";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { queryKeys, useApiQuery } from "@/lib/query";
import { formatDateTime } from "@/lib/utils";

/** Where the key lives, in words: a file path, or the environment. Never the key. */
export function KeyLocation({ status }: { status: Pick<EncryptionStatus, "key_source" | "key_location"> }) {
  if (status.key_source === "environment" || !status.key_location) {
    return (
      <div className="flex items-start gap-2" data-testid="key-location">
        <ServerCog className="mt-0.5 size-4 shrink-0 text-muted-foreground" aria-hidden />
        <p>
          From the environment / Docker secret (<code className="font-mono text-xs">ENCRYPTION_KEY</code>). Keep a copy
          of the value wherever you set it.
        </p>
      </div>
    );
  }
  const what = status.key_source === "env_file" ? "In the settings file" : "In the key file";
  return (
    <div className="flex min-w-0 items-start gap-2" data-testid="key-location">
      <FileKey2 className="mt-0.5 size-4 shrink-0 text-muted-foreground" aria-hidden />
      <p className="min-w-0">
        {what}{" "}
        <code className="font-mono text-xs break-all" data-testid="key-location-path">
          {status.key_location}
        </code>
      </p>
    </div>
  );
}

/**
 * The onboarding's second step (also at /setup/key): where the encryption key
 * lives, its fingerprint, why it must be backed up apart from the database,
 * and "I have backed up my key".
 */
export function KeyBackup({
  onDone,
  doneLabel = "Continue",
  onLater,
}: {
  onDone: () => void;
  doneLabel?: string;
  onLater?: () => void;
}) {
  const status = useApiQuery(queryKeys.encryptionStatus, (signal) => api.encryption.status(signal));
  const [checked, setChecked] = React.useState(false);
  const client = useQueryClient();
  const confirmation = useMutation({
    mutationFn: () => api.encryption.confirmBackup(),
    onSuccess: ({ backup_confirmed_at }) => {
      // Every cached status (this card, the reminder banner, settings) hears it at once.
      client.setQueriesData<EncryptionStatus>({ queryKey: queryKeys.encryptionStatus }, (prev) =>
        prev ? { ...prev, backup_confirmed_at } : prev,
      );
      onDone();
    },
  });
  const busy = confirmation.isPending;
  const error = confirmation.error ? errorMessage(confirmation.error) : null;

  if (status.loading && !status.data) return <LoadingState label="Loading the key's details…" rows={2} />;
  if (!status.data) return <ErrorState message={status.error ?? "Unknown error"} onRetry={() => void status.reload()} />;
  const s = status.data;
  const confirm = () => confirmation.mutate();

  return (
    <Card data-testid="key-backup">
      <CardHeader>
        <CardTitle as="h2">Back up your encryption key</CardTitle>
        <CardDescription>
          Camera passwords, AI provider keys and webhook secrets are stored encrypted with this key.
        </CardDescription>
      </CardHeader>
      <CardContent className="space-y-5 text-sm">
        <dl className="grid gap-4 sm:grid-cols-[10rem_minmax(0,1fr)]">
          <dt className="font-medium">Where it lives</dt>
          <dd className="min-w-0">
            <KeyLocation status={s} />
          </dd>
          <dt className="font-medium">Fingerprint</dt>
          <dd className="min-w-0 space-y-1">
            <KeyFingerprint value={s.fingerprint} />
            <p className="text-xs text-muted-foreground">
              Compare it with <code className="font-mono">python -m app.cli check-key</code> to tell which key a backup is.
            </p>
          </dd>
        </dl>
        <Alert tone="warning" title="Keep the key apart from the database backup">
          <ul className="mt-1 list-disc space-y-1 pl-4">
            <li>Without the key, stored secrets cannot be recovered: every password and API key would have to be entered again.</li>
            <li>Whoever has both the key and the database can read every stored secret, so never keep them in the same place.</li>
            <li>A password manager or an offline copy works well. The dashboard never shows the key itself.</li>
          </ul>
        </Alert>
        {s.backup_confirmed_at ? (
          <Alert tone="success" data-testid="backup-confirmed">
            Backup confirmed on {formatDateTime(s.backup_confirmed_at)}.
          </Alert>
        ) : (
          <label className="flex cursor-pointer items-start gap-3 rounded-lg border p-3">
            <input
              type="checkbox"
              className="mt-0.5 size-4 accent-[var(--primary)]"
              checked={checked}
              onChange={(e) => setChecked(e.target.checked)}
              data-testid="backup-checkbox"
            />
            <span>
              <span className="font-medium">I have backed up my key</span>
              <span className="block text-xs text-muted-foreground">
                Stored apart from the database backup, where I can find it again.
              </span>
            </span>
          </label>
        )}
        {error ? <Alert tone="error">{error}</Alert> : null}
      </CardContent>
      <CardFooter>
        {s.backup_confirmed_at ? (
          <Button onClick={onDone} data-testid="backup-continue">
            {doneLabel} <ArrowRight aria-hidden />
          </Button>
        ) : (
          <>
            <Button onClick={() => void confirm()} disabled={!checked || busy} data-testid="backup-continue">
              {busy ? <Spinner /> : null} {doneLabel} <ArrowRight aria-hidden />
            </Button>
            {onLater ? (
              <Button variant="ghost" onClick={onLater} data-testid="backup-later">
                <ShieldAlert aria-hidden /> Remind me later
              </Button>
            ) : null}
          </>
        )}
      </CardFooter>
    </Card>
  );
}
