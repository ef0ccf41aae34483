"use client";

import Link from "next/link";
import { useQueryClient } from "@tanstack/react-query";
import { AlertTriangle, ArrowLeft, BellRing, CheckCircle2, Clock, ImageOff, XCircle } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import { EventTags } from "@/components/events/event-tags";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { ErrorState, PageHeader, QueryState } from "@/components/states";
import { api } from "@/lib/api";
import { queryKeys, useApiQuery } from "@/lib/query";
import type { EventDetail } from "@/lib/types";
import { formatDateTime, formatRelative } from "@/lib/utils";

/** GET /api/v1/events/{id}: admins and viewers alike. */
export function EventDetailView({ id }: { id: string }) {
  const eventId = /^\d+$/.test(id) ? Number(id) : null;
  const key = queryKeys.event(eventId ?? 0);
  // The answer shown now (the cache): while a delivery is still retried, follow it quietly.
  const shown = useQueryClient().getQueryData<EventDetail>(key);
  const pending = shown?.deliveries.some((d) => d.status === "pending") ?? false;
  const event = useApiQuery(key, (signal) => api.events.get(eventId ?? 0, signal), {
    enabled: eventId !== null,
    intervalMs: pending ? 5000 : undefined,
  });
  return (
    <>
      <Link
        href="/"
        className="mb-4 inline-flex items-center gap-1.5 rounded text-sm text-muted-foreground hover:text-foreground focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none"
      >
        <ArrowLeft className="size-4" aria-hidden /> All events
      </Link>
      {eventId === null ? (
        <ErrorState message={`"${id}" is not an event number.`} />
      ) : (
        <QueryState query={event} loadingLabel="Loading the event…">
          {(data) => <EventDetailBody event={data} />}
        </QueryState>
      )}
    </>
  );
}

const DELIVERY_TONE = { delivered: "success", failed: "danger", pending: "warning" } as const;

export function EventDetailBody({ event }: { event: EventDetail }) {
  const camera = event.camera_name ?? (event.camera_id != null ? `Camera #${event.camera_id}` : "Unknown camera");
  const ruleName = (ruleId: number) => {
    const rule = event.rules.find((r) => r.id === ruleId);
    return rule?.name ?? `Deleted rule #${ruleId}`;
  };
  return (
    <div data-testid="event-detail">
      <PageHeader
        title={`Event #${event.id}`}
        description={
          <>
            {camera} ·{" "}
            <time dateTime={event.timestamp} title={formatDateTime(event.timestamp)}>
              {formatDateTime(event.timestamp)}
            </time>{" "}
            ({formatRelative(event.timestamp)})
          </>
        }
      />
      <div className="grid grid-cols-1 gap-6 lg:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
        <div className="min-w-0 space-y-6">
          <Card className="overflow-hidden">
            {event.image_url ? (
              // eslint-disable-next-line @next/next/no-img-element -- an authenticated API image, not a static asset
              <img
                src={event.image_url}
                alt={`What ${camera} saw`}
                className="max-h-[32rem] w-full bg-muted object-contain"
                data-testid="event-image"
              />
            ) : (
              <div className="flex flex-col items-center gap-2 px-4 py-10 text-sm text-muted-foreground" data-testid="event-no-image">
                <ImageOff className="size-6" aria-hidden />
                No image came with this event.
              </div>
            )}
          </Card>

          <Card>
            <CardHeader className="pb-2">
              <CardTitle as="h2">Description</CardTitle>
            </CardHeader>
            <CardContent className="space-y-3">
              {event.description_error ? (
                <p
                  role="alert"
                  className="flex items-start gap-2 rounded-lg border border-destructive/25 bg-danger-soft px-3 py-2 text-sm break-words text-destructive"
                  data-testid="event-description-error"
                >
                  <AlertTriangle className="mt-0.5 size-4 shrink-0" aria-hidden />
                  <span className="min-w-0">AI description failed: {event.description_error}</span>
                </p>
              ) : null}
              {event.description ? (
                <p className="text-sm leading-relaxed break-words" data-testid="event-description">
                  {event.description}
                </p>
              ) : !event.description_error ? (
                <p className="text-sm text-muted-foreground">No description.</p>
              ) : null}
              <div className="flex flex-wrap gap-1.5">
                <EventTags objects={event.objects_detected} provider={event.ai_provider} />
                <Badge tone="neutral">Confidence {Math.round(event.confidence ?? 0)}%</Badge>
              </div>
              {event.ai_attempts.length > 0 ? (
                <div>
                  <h3 className="mb-1 text-sm font-medium">AI attempts</h3>
                  <ol className="space-y-1.5" data-testid="event-ai-attempts" aria-label="AI attempts">
                    {event.ai_attempts.map((a, i) => (
                      <li key={i} className="flex items-start gap-2 text-sm" data-testid="event-ai-attempt">
                        {a.outcome === "success" || a.outcome === "valid" ? (
                          <CheckCircle2 className="mt-0.5 size-4 shrink-0 text-success" aria-hidden />
                        ) : (
                          <XCircle className="mt-0.5 size-4 shrink-0 text-destructive" aria-hidden />
                        )}
                        <span className="min-w-0 break-words">
                          <span className="font-medium">{a.provider}</span>{" "}
                          <Badge tone="neutral" className="font-mono">
                            {a.outcome}
                          </Badge>{" "}
                          {a.message}
                        </span>
                      </li>
                    ))}
                  </ol>
                </div>
              ) : null}
            </CardContent>
          </Card>
        </div>

        <Card className="h-fit min-w-0">
          <CardHeader className="pb-2">
            <CardTitle as="h2">Rules and deliveries</CardTitle>
          </CardHeader>
          <CardContent className="space-y-3 text-sm">
            {event.rules_skipped ? (
              <p className="rounded-lg bg-warning-soft px-3 py-2 break-words text-warning" data-testid="event-rules-skipped">
                Rules skipped: {event.rules_skipped}
              </p>
            ) : null}
            {event.rules.length === 0 ? (
              <p className="text-muted-foreground">No rule fired for this event.</p>
            ) : (
              <ul className="space-y-1" aria-label="Rules fired" data-testid="event-rules">
                {event.rules.map((r) => (
                  <li key={r.id} className="flex items-center gap-2">
                    <BellRing className="size-4 shrink-0 text-muted-foreground" aria-hidden />
                    <span className="break-words">{r.name ?? `Deleted rule #${r.id}`}</span>
                  </li>
                ))}
              </ul>
            )}
            {event.deliveries.length > 0 ? (
              <div>
                <h3 className="mb-1 font-medium">Webhook deliveries</h3>
                <ul className="divide-y rounded-lg border" data-testid="event-deliveries">
                  {event.deliveries.map((d) => (
                    <li key={d.id} className="space-y-1 px-3 py-2" data-testid="event-delivery">
                      <div className="flex flex-wrap items-center gap-1.5">
                        <span className="font-medium break-words">{ruleName(d.rule_id)}</span>
                        <Badge tone={DELIVERY_TONE[d.status as keyof typeof DELIVERY_TONE] ?? "neutral"}>{d.status}</Badge>
                        <span className="text-xs text-muted-foreground">
                          {d.attempts} {d.attempts === 1 ? "attempt" : "attempts"}
                        </span>
                      </div>
                      {d.last_error ? <p className="text-xs break-words text-destructive">{d.last_error}</p> : null}
                      {d.last_attempt ? (
                        <p className="text-xs text-muted-foreground">
                          Last attempt {formatRelative(d.last_attempt.at)}
                          {d.last_attempt.status_code != null ? ` · HTTP ${d.last_attempt.status_code}` : ""}
                        </p>
                      ) : null}
                      {d.status === "pending" && d.next_attempt_at ? (
                        <p className="flex items-center gap-1 text-xs text-muted-foreground">
                          <Clock className="size-3" aria-hidden /> Next try {formatRelative(d.next_attempt_at)}
                        </p>
                      ) : null}
                    </li>
                  ))}
                </ul>
              </div>
            ) : null}
          </CardContent>
        </Card>
      </div>
    </div>
  );
}
