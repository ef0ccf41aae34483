"use client";

import * as React from "react";
import { CheckCircle2, Clock, XCircle } from "lucide-react";
import { Spinner } from "@/components/ui/spinner";
import { cn } from "@/lib/utils";

export type KeyTestState =
  | { kind: "idle" }
  | { kind: "testing" }
  | { kind: "success"; message: string }
  | { kind: "failure"; message: string }
  | { kind: "rate_limited"; secondsLeft: number };

export function rateLimitMessage(seconds: number): string {
  return `Too many tests — try again in ${Math.max(0, Math.ceil(seconds))} s`;
}

/** How each state of a key test looks: its colour and its icon (none while idle). */
const LOOK: Record<KeyTestState["kind"], { tone: string; icon: React.ReactNode }> = {
  idle: { tone: "", icon: null },
  testing: { tone: "text-muted-foreground", icon: <Spinner className="mt-0.5" /> },
  success: {
    tone: "text-success",
    icon: <CheckCircle2 className="mt-0.5 size-4 shrink-0" aria-label="Valid" role="img" data-testid="key-test-success" />,
  },
  failure: {
    tone: "text-destructive",
    icon: <XCircle className="mt-0.5 size-4 shrink-0" aria-label="Failed" role="img" data-testid="key-test-failure" />,
  },
  rate_limited: { tone: "text-warning", icon: <Clock className="mt-0.5 size-4 shrink-0" aria-hidden /> },
};

function stateText(state: KeyTestState): string | null {
  switch (state.kind) {
    case "idle":
      return null;
    case "testing":
      return "Testing the key…";
    case "rate_limited":
      return rateLimitMessage(state.secondsLeft);
    default:
      return state.message;
  }
}

/** The live result of a key test: spinner, green check, red cross or rate-limit notice. */
export function KeyTestStatus({ state, testId, className }: { state: KeyTestState; testId: string; className?: string }) {
  const { tone, icon } = LOOK[state.kind];
  const text = stateText(state);
  return (
    <div
      role="status"
      aria-live="polite"
      data-testid={testId}
      data-state={state.kind}
      className={cn("flex min-h-5 items-start gap-2 text-sm break-words", tone, className)}
    >
      {icon}
      {text !== null ? <span>{text}</span> : null}
    </div>
  );
}
