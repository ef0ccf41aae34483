"use client";

import Link from "next/link";
import { CheckCircle2, ShieldAlert } from "lucide-react";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { KeyFingerprint } from "@/components/auth/fingerprint";
import { KeyLocation } from "@/components/auth/key-backup";
import { api } from "@/lib/api";
import { queryKeys, useApiQuery } from "@/lib/query";
import { formatDateTime } from "@/lib/utils";

/** Settings' view of the encryption key: where it lives, its fingerprint, whether its backup was confirmed. */
export function KeySummary() {
  const status = useApiQuery(queryKeys.encryptionStatus, (signal) => api.encryption.status(signal));
  const s = status.data;
  return (
    <Card data-testid="key-summary">
      <CardHeader>
        <CardTitle as="h3">Encryption key</CardTitle>
        <CardDescription>The key that protects every stored secret. The dashboard never shows the key itself.</CardDescription>
      </CardHeader>
      <CardContent className="space-y-3 text-sm">
        {!s ? (
          <p className="text-muted-foreground" role={status.error ? "alert" : "status"}>
            {status.error ?? "Loading…"}
          </p>
        ) : (
          <>
            <KeyLocation status={s} />
            <div className="flex flex-wrap items-center gap-2">
              <span className="text-muted-foreground">Fingerprint</span>
              <KeyFingerprint value={s.fingerprint} />
            </div>
            {s.backup_confirmed_at ? (
              <p className="flex items-center gap-1.5 text-success">
                <CheckCircle2 className="size-4" aria-hidden /> Backup confirmed on {formatDateTime(s.backup_confirmed_at)}.{" "}
                <Link href="/setup/key" className="text-primary underline-offset-2 hover:underline">
                  Backup advice
                </Link>
              </p>
            ) : (
              <p className="flex flex-wrap items-center gap-1.5 text-warning">
                <ShieldAlert className="size-4" aria-hidden /> The backup has not been confirmed.{" "}
                <Link href="/setup/key" className="font-medium underline underline-offset-2">
                  Back up the key
                </Link>
              </p>
            )}
          </>
        )}
      </CardContent>
    </Card>
  );
}
