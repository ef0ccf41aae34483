"use client";

import * as React from "react";
import { CheckCircle2, RefreshCw, RotateCcw, XCircle } from "lucide-react";
import { useQueryClient } from "@tanstack/react-query";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Spinner } from "@/components/ui/spinner";
import { TableHead } from "@/components/ui/table";
import { api, errorMessage } from "@/lib/api";
import type { WebhookLog } from "@/lib/types";
import { queryKeys, useApiQuery } from "@/lib/query";
import { formatDateTime, formatRelative } from "@/lib/utils";

const COLUMNS = [
  { label: "Result", className: "w-20" },
  { label: "When", className: "w-28" },
  { label: "Attempt", className: "hidden w-20 sm:table-cell" },
  { label: "Time", className: "hidden w-20 sm:table-cell" },
  { label: "Details" },
];

/** Recent delivery attempts of one rule's webhook (GET /api/v1/webhooks/logs?rule_id=). */
export function WebhookLogs({ ruleId }: { ruleId: number }) {
  const logs = useApiQuery(queryKeys.webhookLogs({ rule_id: ruleId, limit: 10 }), (signal) =>
    api.webhooks.logs({ rule_id: ruleId, limit: 10 }, signal),
  );
  const items = logs.data?.items ?? [];
  const queryClient = useQueryClient();
  const [resending, setResending] = React.useState<number | null>(null);
  const [notice, setNotice] = React.useState<{ ok: boolean; text: string } | null>(null);

  async function resend(log: WebhookLog) {
    if (log.delivery_id == null) return;
    setResending(log.delivery_id);
    setNotice(null);
    try {
      await api.webhooks.resend(log.delivery_id);
      setNotice({ ok: true, text: "Delivery queued again: the new attempt appears here when it is made." });
    } catch (err) {
      setNotice({ ok: false, text: `Could not resend: ${errorMessage(err)}` });
    } finally {
      setResending(null);
    }
    await Promise.all([logs.reload(), queryClient.invalidateQueries({ queryKey: queryKeys.alertRules })]);
  }

  return (
    <div className="space-y-2" data-testid={`webhook-logs-${ruleId}`}>
      <div className="flex items-center justify-between gap-2">
        <h4 className="text-sm font-medium">Recent deliveries</h4>
        <Button variant="ghost" size="sm" onClick={() => void logs.reload()} aria-label="Refresh deliveries">
          <RefreshCw aria-hidden className={logs.loading ? "animate-spin" : undefined} />
        </Button>
      </div>
      <p
        role="status"
        aria-live="polite"
        data-testid="webhook-resend-result"
        className={notice ? (notice.ok ? "text-sm text-success" : "text-sm text-destructive") : "sr-only"}
      >
        {notice?.text ?? ""}
      </p>
      {logs.loading && !logs.data ? (
        <p role="status" className="text-sm text-muted-foreground">
          Loading deliveries…
        </p>
      ) : logs.error && !logs.data ? (
        <p role="alert" className="text-sm text-destructive">
          Could not load deliveries: {logs.error}
        </p>
      ) : items.length === 0 ? (
        <p className="text-sm text-muted-foreground">No deliveries yet.</p>
      ) : (
        <div className="rounded-lg border">
          <table className="w-full table-fixed text-left text-sm">
            <caption className="sr-only">Recent webhook deliveries</caption>
            <TableHead columns={COLUMNS} className="bg-muted/60 text-xs text-muted-foreground" cellClassName="px-3 py-2 font-medium" />
            <tbody className="divide-y">
              {items.map((log) => (
                <tr key={log.id} className="align-top" data-testid="webhook-log-row">
                  <td className="px-3 py-2">
                    {log.success ? (
                      <span className="inline-flex items-center gap-1 text-success">
                        <CheckCircle2 className="size-4 shrink-0" aria-hidden /> {log.status_code ?? "OK"}
                      </span>
                    ) : (
                      <span className="inline-flex items-center gap-1 text-destructive">
                        <XCircle className="size-4 shrink-0" aria-hidden /> {log.status_code ?? "Failed"}
                      </span>
                    )}
                  </td>
                  <td className="px-3 py-2" title={formatDateTime(log.created_at)}>
                    {formatRelative(log.created_at)}
                  </td>
                  <td className="hidden px-3 py-2 sm:table-cell">{log.attempt}</td>
                  <td className="hidden px-3 py-2 sm:table-cell">{log.duration_ms != null ? `${log.duration_ms} ms` : "—"}</td>
                  <td className="px-3 py-2 text-xs text-muted-foreground" data-testid="webhook-log-reason">
                    <div className="flex flex-wrap items-center gap-1.5">
                      {log.test ? <Badge tone="info">Test</Badge> : null}
                      {log.delivery_status === "pending" ? <Badge tone="warning">Queued</Badge> : null}
                      <span className="min-w-0 [overflow-wrap:anywhere] whitespace-normal">
                        {log.error ?? log.response_body ?? ""}
                      </span>
                    </div>
                    {log.can_resend && log.delivery_id != null ? (
                      <Button
                        variant="outline"
                        size="sm"
                        className="mt-2"
                        onClick={() => void resend(log)}
                        disabled={resending !== null}
                        aria-label={`Resend delivery ${log.delivery_id}`}
                      >
                        {resending === log.delivery_id ? <Spinner /> : <RotateCcw aria-hidden />} Resend
                      </Button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
