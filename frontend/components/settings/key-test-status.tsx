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

/** The live result of a key test: spinner, green check, red cross or rate-limit notice. */
export function KeyTestStatus({ state, testId, className }: { state: KeyTestState; testId: string; className?: string }) {
  let content: React.ReactNode = null;
  let tone = "";
  if (state.kind === "testing") {
    tone = "text-muted-foreground";
    content = (
      <>
        <Spinner className="mt-0.5" />
        <span>Testing the key…</span>
      </>
    );
  } else if (state.kind === "success") {
    tone = "text-success";
    content = (
      <>
        <CheckCircle2 className="mt-0.5 size-4 shrink-0" aria-label="Valid" role="img" data-testid="key-test-success" />
        <span>{state.message}</span>
      </>
    );
  } else if (state.kind === "failure") {
    tone = "text-destructive";
    content = (
      <>
        <XCircle className="mt-0.5 size-4 shrink-0" aria-label="Failed" role="img" data-testid="key-test-failure" />
        <span>{state.message}</span>
      </>
    );
  } else if (state.kind === "rate_limited") {
    tone = "text-warning";
    content = (
      <>
        <Clock className="mt-0.5 size-4 shrink-0" aria-hidden />
        <span>{rateLimitMessage(state.secondsLeft)}</span>
      </>
    );
  }
  return (
    <div
      role="status"
      aria-live="polite"
      data-testid={testId}
      data-state={state.kind}
      className={cn("flex min-h-5 items-start gap-2 text-sm break-words", tone, className)}
    >
      {content}
    </div>
  );
}
