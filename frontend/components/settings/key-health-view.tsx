"use client";

import * as React from "react";
import Link from "next/link";
import { ArrowLeft, CheckCircle2, RefreshCw, ShieldAlert } from "lucide-react";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { TableHead } from "@/components/ui/table";
import { PageHeader, QueryState } from "@/components/states";
import { KeyFingerprint } from "@/components/auth/fingerprint";
import { KeyLocation } from "@/components/auth/key-backup";
import { api } from "@/lib/api";
import { encryptionProblems } from "@/lib/key-health";
import { queryKeys, useApiQuery } from "@/lib/query";
import type { EncryptionStatus } from "@/lib/types";
import { cn, formatDateTime } from "@/lib/utils";

const SOURCE_LABEL: Record<EncryptionStatus["key_source"], string> = {
  environment: "Environment",
  env_file: "Settings file (.env)",
  key_file: "Key file",
};

const KEY_CHECK_LABEL: Record<EncryptionStatus["key_check"], string> = {
  primary: "Written with the primary key",
  previous: "Written with a previous key (finish the rotation)",
  undecryptable: "Can't be read with the configured keys",
  absent: "Not written yet",
};

function Row({ label, children, testId }: { label: string; children: React.ReactNode; testId?: string }) {
  return (
    <div className="grid gap-1 py-2.5 sm:grid-cols-[14rem_1fr] sm:gap-4" data-testid={testId}>
      <dt className="text-sm text-muted-foreground">{label}</dt>
      <dd className="min-w-0 text-sm break-words">{children}</dd>
    </div>
  );
}

function rotationText(rotation: EncryptionStatus["rotation"]): React.ReactNode {
  if (rotation.in_progress) {
    return (
      <Badge tone="warning">
        <ShieldAlert aria-hidden /> Unfinished: started {formatDateTime(rotation.started_at)}
      </Badge>
    );
  }
  if (!rotation.started_at && !rotation.finished_at) return "Never rotated";
  return (
    <>
      Started {formatDateTime(rotation.started_at)}, finished {formatDateTime(rotation.finished_at)}
    </>
  );
}

const STATES = [
  { key: "primary", label: "Primary key" },
  { key: "previous", label: "Previous key" },
  { key: "plaintext", label: "Plaintext" },
  { key: "undecryptable", label: "Undecryptable" },
] as const;

const COLUMNS = [{ label: "Place" }, ...STATES.map((st) => ({ key: st.key, label: st.label, className: "text-right" }))];

/** Settings › Key health: the same figures as `python -m app.cli encryption-status`, never the key. */
export function KeyHealthView() {
  const status = useApiQuery(queryKeys.encryptionStatus, (signal) => api.encryption.status(signal));
  return (
    <>
      <PageHeader
        title="Key health"
        description="The encryption key that protects every stored secret: where it comes from, and which secrets it can read. The key itself is never shown."
        actions={
          <>
            <Link
              href="/settings"
              className="inline-flex h-10 items-center gap-1.5 rounded-md border px-4 text-sm font-medium hover:bg-muted focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none"
            >
              <ArrowLeft className="size-4" aria-hidden /> Settings
            </Link>
            <Button variant="outline" onClick={() => void status.reload()} disabled={status.loading}>
              <RefreshCw aria-hidden /> Check again
            </Button>
          </>
        }
      />
      <QueryState query={status} loadingLabel="Loading the key's health…">
        {(s) => <KeyHealthBody s={s} />}
      </QueryState>
    </>
  );
}

function KeyHealthBody({ s }: { s: EncryptionStatus }) {
  const problems = encryptionProblems(s);
  return (
    <div className="space-y-6" data-testid="key-health-page">
      {problems.length ? (
        <Alert tone="warning" title="Needs attention" data-testid="key-health-problems">
          <ul className="list-disc space-y-0.5 pl-4">
            {problems.map((p) => (
              <li key={p.kind}>{p.text}</li>
            ))}
          </ul>
        </Alert>
      ) : (
        <Alert tone="success" data-testid="key-health-ok">
          Every stored secret is encrypted with the primary key.
        </Alert>
      )}
      <Card>
        <CardHeader>
          <CardTitle as="h2">The key</CardTitle>
          <CardDescription>
            The fingerprint is the one <code className="font-mono text-xs">python -m app.cli check-key</code> prints.
          </CardDescription>
        </CardHeader>
        <CardContent>
          <dl className="divide-y">
            <Row label="Source" testId="key-source">
              <div className="space-y-1">
                <p className="font-medium">{SOURCE_LABEL[s.key_source]}</p>
                <KeyLocation status={s} />
              </div>
            </Row>
            <Row label="Fingerprint">
              <KeyFingerprint value={s.fingerprint} />
            </Row>
            <Row label="Previous keys" testId="key-previous">
              {s.previous_keys === 0 ? "None configured" : `${s.previous_keys} configured (ENCRYPTION_KEYS_PREVIOUS)`}
            </Row>
            <Row label="Key check" testId="key-check">
              {KEY_CHECK_LABEL[s.key_check]}
              {s.key_check_at ? <span className="text-muted-foreground">, {formatDateTime(s.key_check_at)}</span> : null}
            </Row>
            <Row label="Last rotation" testId="key-rotation">
              {rotationText(s.rotation)}
            </Row>
            <Row label="Backup" testId="key-backup-state">
              {s.backup_confirmed_at ? (
                <span className="inline-flex items-center gap-1.5 text-success">
                  <CheckCircle2 className="size-4" aria-hidden /> Confirmed on {formatDateTime(s.backup_confirmed_at)}
                </span>
              ) : (
                <span className="inline-flex flex-wrap items-center gap-1.5 text-warning">
                  <ShieldAlert className="size-4" aria-hidden /> Not confirmed.{" "}
                  <Link href="/setup/key" className="font-medium underline underline-offset-2">
                    Back up the key
                  </Link>
                </span>
              )}
            </Row>
          </dl>
        </CardContent>
      </Card>
      <Card>
        <CardHeader>
          <CardTitle as="h2">Stored secrets</CardTitle>
          <CardDescription>How each place&apos;s secrets are stored, as counted now.</CardDescription>
        </CardHeader>
        <CardContent className="overflow-x-auto">
          <table className="w-full text-sm" data-testid="key-places">
            <caption className="sr-only">Stored secrets per place, by the key that encrypts them</caption>
            <TableHead columns={COLUMNS} rowClassName="border-b text-left text-muted-foreground" cellClassName="py-2 pr-4 font-medium" />
            <tbody>
              {s.places.map((p) => (
                <tr key={p.place} className="border-b last:border-0">
                  <th scope="row" className="py-2 pr-4 text-left font-normal">
                    {p.place}
                  </th>
                  {STATES.map((st) => (
                    <td
                      key={st.key}
                      className={cn(
                        "py-2 pr-4 text-right tabular-nums",
                        p[st.key] > 0 && (st.key === "plaintext" || st.key === "undecryptable") && "font-semibold text-destructive",
                        p[st.key] > 0 && st.key === "previous" && "font-semibold text-warning",
                      )}
                    >
                      {p[st.key]}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr className="border-t font-medium">
                <th scope="row" className="py-2 pr-4 text-left">
                  Total
                </th>
                {STATES.map((st) => (
                  <td key={st.key} className="py-2 pr-4 text-right tabular-nums" data-testid={`key-total-${st.key}`}>
                    {s.totals[st.key]}
                  </td>
                ))}
              </tr>
            </tfoot>
          </table>
          {s.unreadable_places.length ? (
            <div className="mt-4 text-sm" data-testid="key-unreadable">
              <p className="font-medium text-destructive">Secrets that can&apos;t be read:</p>
              <ul className="mt-1 list-disc pl-5 font-mono text-xs">
                {s.unreadable_places.map((place) => (
                  <li key={place}>{place}</li>
                ))}
              </ul>
            </div>
          ) : null}
        </CardContent>
      </Card>
    </div>
  );
}
