"use client";

import * as React from "react";
import { CheckCircle2, RefreshCw, XCircle } from "lucide-react";
import { Button } from "@/components/ui/button";
import { api } from "@/lib/api";
import { queryKeys, useApiQuery } from "@/lib/query";
import { formatDateTime, formatRelative } from "@/lib/utils";

/** Recent delivery attempts of one rule's webhook (GET /api/v1/webhooks/logs?rule_id=). */
export function WebhookLogs({ ruleId }: { ruleId: number }) {
  const logs = useApiQuery(queryKeys.webhookLogs({ rule_id: ruleId, limit: 10 }), (signal) =>
    api.webhooks.logs({ rule_id: ruleId, limit: 10 }, signal),
  );
  const items = logs.data?.items ?? [];

  return (
    <div className="space-y-2" data-testid={`webhook-logs-${ruleId}`}>
      <div className="flex items-center justify-between gap-2">
        <h4 className="text-sm font-medium">Recent deliveries</h4>
        <Button variant="ghost" size="sm" onClick={() => void logs.reload()} aria-label="Refresh deliveries">
          <RefreshCw aria-hidden className={logs.loading ? "animate-spin" : undefined} />
        </Button>
      </div>
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
        <div className="overflow-x-auto rounded-lg border">
          <table className="w-full text-left text-sm">
            <caption className="sr-only">Recent webhook deliveries</caption>
            <thead className="bg-muted/60 text-xs text-muted-foreground">
              <tr>
                <th scope="col" className="px-3 py-2 font-medium">Result</th>
                <th scope="col" className="px-3 py-2 font-medium">When</th>
                <th scope="col" className="px-3 py-2 font-medium">Attempt</th>
                <th scope="col" className="px-3 py-2 font-medium">Time</th>
                <th scope="col" className="px-3 py-2 font-medium">Details</th>
              </tr>
            </thead>
            <tbody className="divide-y">
              {items.map((log) => (
                <tr key={log.id}>
                  <td className="px-3 py-2 whitespace-nowrap">
                    {log.success ? (
                      <span className="inline-flex items-center gap-1 text-success">
                        <CheckCircle2 className="size-4" aria-hidden /> {log.status_code ?? "OK"}
                      </span>
                    ) : (
                      <span className="inline-flex items-center gap-1 text-destructive">
                        <XCircle className="size-4" aria-hidden /> {log.status_code ?? "Failed"}
                      </span>
                    )}
                  </td>
                  <td className="px-3 py-2 whitespace-nowrap" title={formatDateTime(log.created_at)}>
                    {formatRelative(log.created_at)}
                  </td>
                  <td className="px-3 py-2">{log.attempt}</td>
                  <td className="px-3 py-2 whitespace-nowrap">{log.duration_ms != null ? `${log.duration_ms} ms` : "—"}</td>
                  <td className="max-w-64 truncate px-3 py-2 text-xs text-muted-foreground" title={log.error ?? log.response_body ?? undefined}>
                    {log.error ?? log.response_body ?? ""}
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
