"use client";

import * as React from "react";
import { CheckCircle2, Send, XCircle } from "lucide-react";
import { useQueryClient } from "@tanstack/react-query";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Spinner } from "@/components/ui/spinner";
import { api, errorMessage } from "@/lib/api";
import { queryKeys } from "@/lib/query";
import type { LastDelivery, WebhookTestResult } from "@/lib/types";
import { formatDateTime, formatRelative } from "@/lib/utils";

export type DeliveryHealth =
  | { kind: "none" }
  | { kind: "delivering"; label: string; at: string }
  | { kind: "failing"; label: string; reason: string; at: string };

/** The reason a delivery failed, in words: the message, else the receiver's status. */
function failureReason(d: { message: string; status_code: number | null }): string {
  if (d.message) return d.message;
  return d.status_code != null ? `HTTP ${d.status_code}` : "Delivery failed";
}

/** What a rule card says about its webhook's last delivery (a test send included). */
export function deliveryHealth(last: LastDelivery | null | undefined, now: number = Date.now()): DeliveryHealth {
  if (!last) return { kind: "none" };
  const when = formatRelative(last.at, now);
  if (last.success) return { kind: "delivering", label: `Delivering · ${when}`, at: last.at };
  const reason = failureReason(last);
  return { kind: "failing", label: `Failing: ${reason} · ${when}`, reason, at: last.at };
}

export function DeliveryHealthBadge({ lastDelivery }: { lastDelivery: LastDelivery | null | undefined }) {
  const health = deliveryHealth(lastDelivery);
  if (health.kind === "none") return null;
  const title = `Last delivery: ${formatDateTime(health.at)}`;
  if (health.kind === "delivering") {
    return (
      <Badge tone="success" data-testid="rule-delivery-health" data-health="delivering" title={title}>
        <CheckCircle2 aria-hidden /> {health.label}
      </Badge>
    );
  }
  return (
    <Badge
      tone="danger"
      data-testid="rule-delivery-health"
      data-health="failing"
      title={title}
      className="max-w-full whitespace-normal break-words"
    >
      <XCircle aria-hidden className="shrink-0" /> <span className="min-w-0">{health.label}</span>
    </Badge>
  );
}

export type SendState =
  | { kind: "idle" }
  | { kind: "sending" }
  | { kind: "done"; result: WebhookTestResult }
  | { kind: "error"; message: string };

/** "Send test": a sample event through the rule's real webhook path; the rule and its log refresh after. */
export function useSendTest(ruleId: number) {
  const [state, setState] = React.useState<SendState>({ kind: "idle" });
  const queryClient = useQueryClient();

  async function send() {
    setState({ kind: "sending" });
    try {
      setState({ kind: "done", result: await api.alertRules.sendTest(ruleId) });
    } catch (err) {
      setState({ kind: "error", message: errorMessage(err) });
    }
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: queryKeys.alertRules }),
      queryClient.invalidateQueries({ queryKey: ["webhook-logs"] }),
    ]);
  }
  return { state, send };
}

export function SendTestButton({ ruleName, state, onSend }: { ruleName: string; state: SendState; onSend: () => void }) {
  return (
    <Button
      variant="outline"
      size="sm"
      onClick={onSend}
      disabled={state.kind === "sending"}
      aria-label={`Send test to ${ruleName}`}
    >
      {state.kind === "sending" ? <Spinner /> : <Send aria-hidden />}
      Send test
    </Button>
  );
}

export function SendTestOutcome({ state }: { state: SendState }) {
  const base = "mt-3 text-sm break-words";
  if (state.kind === "idle" || state.kind === "sending") {
    return <p role="status" aria-live="polite" data-testid="rule-send-test-result" data-state={state.kind} className="sr-only" />;
  }
  if (state.kind === "error") {
    return (
      <p role="status" aria-live="polite" data-testid="rule-send-test-result" data-state="failure" className={`${base} text-destructive`}>
        Test not sent: {state.message}
      </p>
    );
  }
  const r = state.result;
  // The status code, unless the message already says it.
  const status = r.status_code != null && !r.message.includes(String(r.status_code)) ? ` (HTTP ${r.status_code})` : "";
  return r.success ? (
    <p role="status" aria-live="polite" data-testid="rule-send-test-result" data-state="success" className={`${base} flex items-start gap-1.5 text-success`}>
      <CheckCircle2 className="mt-0.5 size-4 shrink-0" aria-hidden /> Test delivered{status}. {r.message}
    </p>
  ) : (
    <p role="status" aria-live="polite" data-testid="rule-send-test-result" data-state="failure" className={`${base} flex items-start gap-1.5 text-destructive`}>
      <XCircle className="mt-0.5 size-4 shrink-0" aria-hidden /> Test failed{status}: {r.message}
    </p>
  );
}
