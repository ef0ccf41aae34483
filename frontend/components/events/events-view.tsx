"use client";

import * as React from "react";
import Link from "next/link";
import { Activity, Bell, BellRing, Camera as CameraIcon, CheckCheck } from "lucide-react";
import { EventTags } from "@/components/events/event-tags";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Label, Select } from "@/components/ui/input";
import { Spinner } from "@/components/ui/spinner";
import { EmptyState, PageHeader, QueryState, RefreshButton } from "@/components/states";
import { useNotifications } from "@/components/notifications-provider";
import { useAuth } from "@/components/auth-provider";
import { api, errorMessage } from "@/lib/api";
import type { EventItem } from "@/lib/types";
import { queryKeys, useApiQuery } from "@/lib/query";
import { cn, formatDateTime, formatRelative } from "@/lib/utils";

const PAGE_SIZE = 20;

export function EventsView() {
  const [cameraId, setCameraId] = React.useState<number | null>(null);
  const firstQuery = { camera_id: cameraId, limit: PAGE_SIZE, offset: 0 };
  const events = useApiQuery(queryKeys.events(firstQuery), (signal) => api.events.list(firstQuery, signal), {
    intervalMs: 10000,
  });
  const cameras = useApiQuery(queryKeys.cameras, (signal) => api.cameras.list(signal));
  const { isAdmin } = useAuth();
  // Alert rules are admin-only: a viewer's page never asks for them.
  const rules = useApiQuery(queryKeys.alertRules, (signal) => api.alertRules.list(signal), { enabled: isAdmin });
  const notifications = useNotifications();
  const [more, setMore] = React.useState<EventItem[]>([]);
  const [loadingMore, setLoadingMore] = React.useState(false);
  const [moreError, setMoreError] = React.useState<string | null>(null);

  const cameraList = cameras.data ?? [];
  const cameraName = (id: number | null) =>
    id == null ? "Unknown camera" : (cameraList.find((c) => c.id === id)?.name ?? `Camera #${id}`);

  // Merge the polled first page with pages loaded by "Load more".
  const firstPage = events.data?.items ?? [];
  const seen = new Set(firstPage.map((e) => e.id));
  const items = [...firstPage, ...more.filter((e) => !seen.has(e.id))];
  const total = events.data?.total ?? 0;

  async function loadMore() {
    setLoadingMore(true);
    setMoreError(null);
    try {
      const page = await api.events.list({ camera_id: cameraId, limit: PAGE_SIZE, offset: items.length });
      setMore((prev) => [...prev, ...page.items]);
    } catch (err) {
      setMoreError(errorMessage(err));
    } finally {
      setLoadingMore(false);
    }
  }

  const activeRules = (rules.data ?? []).filter((r) => r.is_enabled).length;
  const enabledCameras = cameraList.filter((c) => c.is_enabled).length;

  return (
    <>
      <PageHeader
        title="Events"
        description="What your cameras saw, described by AI, newest first."
        actions={<RefreshButton query={events} />}
      />
      <section aria-label="Overview" className={cn("mb-6 grid grid-cols-2 gap-3", isAdmin ? "lg:grid-cols-4" : "lg:grid-cols-3")}>
        <Stat label="Events" value={events.data ? String(total) : "—"} icon={<Activity />} />
        <Stat
          label="Cameras enabled"
          value={cameras.data ? `${enabledCameras} / ${cameraList.length}` : "—"}
          icon={<CameraIcon />}
          href="/cameras"
        />
        {isAdmin ? (
          <Stat label="Active rules" value={rules.data ? String(activeRules) : "—"} icon={<BellRing />} href="/alert-rules" />
        ) : null}
        <Stat
          label="Unread notifications"
          value={notifications.loaded ? String(notifications.unreadCount) : "—"}
          icon={<Bell />}
          highlight={notifications.unreadCount > 0}
        />
      </section>

      <div className="grid grid-cols-1 gap-6 lg:grid-cols-[minmax(0,1fr)_20rem]">
        <section aria-labelledby="recent-events" className="min-w-0 space-y-4">
          <div className="flex flex-wrap items-end justify-between gap-3">
            <h2 id="recent-events" className="text-lg font-semibold">
              Recent events
            </h2>
            <div className="flex items-center gap-2">
              <Label htmlFor="events-camera" className="text-muted-foreground">
                Camera
              </Label>
              <Select
                id="events-camera"
                className="h-9 w-44"
                value={cameraId ?? ""}
                onChange={(e) => {
                  setMore([]);
                  setCameraId(e.target.value ? Number(e.target.value) : null);
                }}
              >
                <option value="">All cameras</option>
                {cameraList.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.name}
                  </option>
                ))}
              </Select>
            </div>
          </div>
          <QueryState
            query={events}
            loadingLabel="Loading events…"
            rows={4}
            isEmpty={() => items.length === 0}
            empty={
              <EmptyState
                icon={<Activity />}
                title="No events yet"
                action={
                  cameraList.length === 0 && isAdmin ? (
                    <Link
                      href="/cameras"
                      className="inline-flex h-10 items-center gap-2 rounded-md border border-input bg-card px-4 text-sm font-medium hover:bg-muted focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none"
                    >
                      <CameraIcon className="size-4" aria-hidden /> Add a camera
                    </Link>
                  ) : null
                }
              >
                {cameraList.length === 0 && isAdmin
                  ? "Add a camera first. Its events, with an AI description, will appear here."
                  : "Events from your cameras will appear here as they happen."}
              </EmptyState>
            }
          >
            {() => (
              <>
                <ol className="space-y-3" data-testid="event-list" aria-label="Events">
                  {items.map((ev) => (
                    <li key={ev.id}>
                      <EventCard event={ev} cameraName={cameraName(ev.camera_id)} />
                    </li>
                  ))}
                </ol>
                {moreError ? (
                  <p role="alert" className="text-sm text-destructive">
                    {moreError}
                  </p>
                ) : null}
                {items.length < total ? (
                  <div className="flex justify-center">
                    <Button variant="outline" onClick={() => void loadMore()} disabled={loadingMore}>
                      {loadingMore ? <Spinner /> : null} Load more ({total - items.length} left)
                    </Button>
                  </div>
                ) : null}
              </>
            )}
          </QueryState>
        </section>
        <aside aria-labelledby="recent-notifications">
          <Card>
            <CardHeader className="flex-row items-center justify-between gap-2 pb-2">
              <CardTitle as="h2">
                <span id="recent-notifications">Notifications</span>
              </CardTitle>
              <Button
                variant="ghost"
                size="sm"
                onClick={() => void notifications.markAllRead()}
                disabled={notifications.unreadCount === 0}
              >
                <CheckCheck aria-hidden /> Mark all read
              </Button>
            </CardHeader>
            <CardContent className="px-0 pb-2">
              {!notifications.loaded ? (
                <p className="px-5 py-4 text-sm text-muted-foreground">Loading…</p>
              ) : notifications.items.length === 0 ? (
                <p className="px-5 py-4 text-sm text-muted-foreground">
                  Nothing yet. Rules with a dashboard notification post here.
                </p>
              ) : (
                <ul className="divide-y">
                  {notifications.items.slice(0, 8).map((n) => (
                    <li key={n.id} className="px-5 py-3">
                      <div className="flex items-start gap-2">
                        <span
                          aria-hidden="true"
                          className={cn("mt-1.5 size-2 shrink-0 rounded-full", n.is_read ? "bg-transparent" : "bg-primary")}
                        />
                        <div className="min-w-0 flex-1">
                          <p className={cn("text-sm break-words", !n.is_read && "font-semibold")}>
                            {n.event_id != null ? (
                              <Link
                                href={`/events/${n.event_id}`}
                                className="rounded underline-offset-2 hover:underline focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none"
                              >
                                {n.title}
                              </Link>
                            ) : (
                              n.title
                            )}
                          </p>
                          <p className="text-xs text-muted-foreground">
                            {formatRelative(n.created_at)}
                            {!n.is_read ? (
                              <>
                                {" · "}
                                <button
                                  type="button"
                                  className="rounded text-primary underline-offset-2 hover:underline focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none"
                                  onClick={() => void notifications.markRead(n.id)}
                                >
                                  Mark read<span className="sr-only">: {n.title}</span>
                                </button>
                              </>
                            ) : null}
                          </p>
                        </div>
                      </div>
                    </li>
                  ))}
                </ul>
              )}
            </CardContent>
          </Card>
        </aside>
      </div>
    </>
  );
}

function Stat({
  label,
  value,
  icon,
  href,
  highlight,
}: {
  label: string;
  value: string;
  icon: React.ReactNode;
  href?: string;
  highlight?: boolean;
}) {
  const body = (
    <Card className={cn("flex items-center gap-3 p-4 transition-colors", href && "hover:bg-muted/50")}>
      <span
        className={cn(
          "flex size-9 shrink-0 items-center justify-center rounded-lg sm:size-10 [&_svg]:size-5",
          highlight ? "bg-primary text-primary-foreground" : "bg-accent text-accent-foreground",
        )}
        aria-hidden="true"
      >
        {icon}
      </span>
      <div className="min-w-0">
        <p className="text-xl leading-tight font-semibold tabular-nums">{value}</p>
        <p className="text-xs leading-tight text-muted-foreground">{label}</p>
      </div>
    </Card>
  );
  return href ? (
    <Link href={href} className="rounded-xl focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none">
      {body}
    </Link>
  ) : (
    body
  );
}

function EventCard({ event, cameraName }: { event: EventItem; cameraName: string }) {
  const confidence = Math.max(0, Math.min(100, Math.round(event.confidence ?? 0)));
  const tone = confidence >= 80 ? "bg-success" : confidence >= 50 ? "bg-warning" : "bg-muted-foreground";
  return (
    <Card className="p-4" data-testid="event-item">
      <div className="flex flex-wrap items-start justify-between gap-2">
        <div className="min-w-0">
          <p className="font-medium">{cameraName}</p>
          <p className="text-xs text-muted-foreground">
            <time dateTime={event.timestamp} title={formatDateTime(event.timestamp)}>
              {formatRelative(event.timestamp)}
            </time>
            {" · "}
            {formatDateTime(event.timestamp)}
          </p>
        </div>
        <div className="flex items-center gap-2" aria-label={`Confidence ${confidence}%`} role="img">
          <div className="h-1.5 w-20 overflow-hidden rounded-full bg-muted" aria-hidden="true">
            <div className={cn("h-full rounded-full", tone)} style={{ width: `${confidence}%` }} />
          </div>
          <span className="text-xs font-medium tabular-nums" aria-hidden="true">
            {confidence}%
          </span>
        </div>
      </div>
      {event.description ? <p className="mt-2 text-sm leading-relaxed break-words">{event.description}</p> : null}
      {event.description_error ? (
        <p className="mt-2 text-sm break-words text-destructive" data-testid="event-item-description-error">
          AI description failed: {event.description_error}
        </p>
      ) : null}
      <div className="mt-3 flex flex-wrap items-center gap-1.5">
        <EventTags objects={event.objects_detected} provider={event.ai_provider} />
        <Link
          href={`/events/${event.id}`}
          className="ml-auto rounded text-sm font-medium text-primary underline-offset-2 hover:underline focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none"
          data-testid="event-open"
        >
          Open<span className="sr-only"> event from {cameraName}, {formatDateTime(event.timestamp)}</span>
        </Link>
      </div>
    </Card>
  );
}
