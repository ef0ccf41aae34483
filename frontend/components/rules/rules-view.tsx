"use client";

import * as React from "react";
import { Bell, BellRing, ChevronDown, Clock, LockKeyhole, Pencil, Plus, Trash2, Webhook } from "lucide-react";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { Spinner } from "@/components/ui/spinner";
import { Switch } from "@/components/ui/switch";
import { EmptyState, ErrorState, LoadingState, PageHeader } from "@/components/states";
import { RuleForm } from "@/components/rules/rule-form";
import { WebhookLogs } from "@/components/rules/webhook-logs";
import { api, errorMessage } from "@/lib/api";
import { isSensitiveHeaderName, summarizeConditions, webhookHost } from "@/lib/rules";
import type { AlertRule, Camera } from "@/lib/types";
import { useResource } from "@/lib/use-resource";
import { formatDateTime, formatRelative } from "@/lib/utils";

export function RulesView() {
  const rules = useResource<AlertRule[]>((signal) => api.alertRules.list(signal));
  const cameras = useResource<Camera[]>((signal) => api.cameras.list(signal));
  const [editing, setEditing] = React.useState<AlertRule | "new" | null>(null);
  const [notice, setNotice] = React.useState<string | null>(null);
  const [actionError, setActionError] = React.useState<string | null>(null);

  const cameraList = React.useMemo(() => cameras.data ?? [], [cameras.data]);
  const cameraName = React.useCallback(
    (id: number) => cameraList.find((c) => c.id === id)?.name ?? `camera #${id}`,
    [cameraList],
  );

  function onSaved(saved: AlertRule, created: boolean) {
    rules.setData((prev) => {
      const items = prev ?? [];
      return created ? [...items, saved] : items.map((r) => (r.id === saved.id ? saved : r));
    });
    setEditing(null);
    setNotice(created ? `Rule “${saved.name}” created.` : `Rule “${saved.name}” saved.`);
  }

  const list = rules.data ?? [];
  return (
    <>
      <PageHeader
        title="Alert rules"
        description="When an event matches a rule's conditions, it notifies you here and can call a webhook."
        actions={
          editing === null ? (
            <Button
              onClick={() => {
                setNotice(null);
                setEditing("new");
              }}
              data-testid="rule-add"
            >
              <Plus aria-hidden /> New rule
            </Button>
          ) : null
        }
      />
      <div className="space-y-6">
        {notice ? (
          <Alert
            tone="success"
            action={
              <Button variant="ghost" size="sm" onClick={() => setNotice(null)}>
                Dismiss
              </Button>
            }
          >
            {notice}
          </Alert>
        ) : null}
        {actionError ? <Alert tone="error">{actionError}</Alert> : null}
        {editing !== null ? (
          <RuleForm
            key={editing === "new" ? "new" : editing.id}
            rule={editing === "new" ? null : editing}
            cameras={cameraList}
            onSaved={onSaved}
            onCancel={() => setEditing(null)}
          />
        ) : null}
        {rules.loading && !rules.data ? (
          <LoadingState label="Loading alert rules…" />
        ) : !rules.data ? (
          <ErrorState message={rules.error ?? "Unknown error"} onRetry={() => void rules.reload()} />
        ) : list.length === 0 ? (
          editing === null ? (
            <EmptyState
              icon={<BellRing />}
              title="No alert rules yet"
              action={
                <Button onClick={() => setEditing("new")}>
                  <Plus aria-hidden /> Create a rule
                </Button>
              }
            >
              For example: a person on the front door camera between 22:00 and 06:00 sends a notification and calls
              Home Assistant.
            </EmptyState>
          ) : null
        ) : (
          <ul className="space-y-4" aria-label="Alert rules" data-testid="rule-list">
            {list.map((rule) => (
              <li key={rule.id}>
                <RuleRow
                  rule={rule}
                  cameraName={cameraName}
                  onEdit={() => {
                    setNotice(null);
                    setEditing(rule);
                    window.scrollTo({ top: 0, behavior: "smooth" });
                  }}
                  onChanged={(r) => rules.setData((prev) => (prev ?? []).map((x) => (x.id === r.id ? r : x)))}
                  onDeleted={() => {
                    rules.setData((prev) => (prev ?? []).filter((x) => x.id !== rule.id));
                    if (editing !== null && editing !== "new" && editing.id === rule.id) setEditing(null);
                    setNotice(`Rule “${rule.name}” deleted.`);
                  }}
                  onError={setActionError}
                />
              </li>
            ))}
          </ul>
        )}
      </div>
    </>
  );
}

function RuleRow({
  rule,
  cameraName,
  onEdit,
  onChanged,
  onDeleted,
  onError,
}: {
  rule: AlertRule;
  cameraName: (id: number) => string;
  onEdit: () => void;
  onChanged: (r: AlertRule) => void;
  onDeleted: () => void;
  onError: (message: string | null) => void;
}) {
  const [showLogs, setShowLogs] = React.useState(false);
  const [toggling, setToggling] = React.useState(false);
  const [confirmDelete, setConfirmDelete] = React.useState(false);
  const [deleting, setDeleting] = React.useState(false);
  const summary = summarizeConditions(rule.conditions ?? {}, cameraName);
  const webhook = rule.actions.webhook;
  const host = webhookHost(rule);
  const secretNames = new Set((webhook?.secret_headers ?? []).map((n) => n.toLowerCase()));
  const logsId = `rule-${rule.id}-logs`;

  async function toggle(enabled: boolean) {
    setToggling(true);
    onError(null);
    try {
      onChanged(await api.alertRules.update(rule.id, { is_enabled: enabled }));
    } catch (err) {
      onError(`Could not update “${rule.name}”: ${errorMessage(err)}`);
    } finally {
      setToggling(false);
    }
  }

  async function remove() {
    setDeleting(true);
    onError(null);
    try {
      await api.alertRules.remove(rule.id);
      onDeleted();
    } catch (err) {
      onError(`Could not delete “${rule.name}”: ${errorMessage(err)}`);
      setDeleting(false);
      setConfirmDelete(false);
    }
  }

  return (
    <Card className="p-5" data-testid="rule-row">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0 flex-1">
          <div className="flex flex-wrap items-center gap-2">
            <h3 className="font-semibold">{rule.name}</h3>
            <Badge tone={rule.is_enabled ? "success" : "neutral"}>{rule.is_enabled ? "Enabled" : "Disabled"}</Badge>
          </div>
          <p className="mt-1 text-sm text-muted-foreground">
            {summary.length ? summary.join(" · ") : "Any event"}
          </p>
        </div>
        <Switch
          checked={rule.is_enabled}
          onCheckedChange={(v) => void toggle(v)}
          disabled={toggling}
          aria-label={`${rule.name} enabled`}
        />
      </div>

      <div className="mt-3 flex flex-wrap gap-1.5 text-xs">
        {rule.actions.dashboard_notification ? (
          <Badge tone="info">
            <Bell aria-hidden /> Dashboard
          </Badge>
        ) : null}
        {webhook ? (
          <Badge tone="info" data-testid="rule-webhook-host">
            <Webhook aria-hidden /> {host}
          </Badge>
        ) : null}
        <Badge tone="neutral">
          <Clock aria-hidden /> {rule.cooldown_minutes} min cooldown
        </Badge>
        {rule.last_triggered_at ? (
          <Badge tone="neutral" title={formatDateTime(rule.last_triggered_at)}>
            Last triggered {formatRelative(rule.last_triggered_at)}
          </Badge>
        ) : null}
      </div>

      {webhook && Object.keys(webhook.headers ?? {}).length > 0 ? (
        <dl className="mt-3 grid gap-1 rounded-lg bg-muted/60 px-3 py-2 font-mono text-xs" data-testid="rule-headers">
          {Object.entries(webhook.headers).map(([name, value]) => {
            const secret = value.startsWith("****") || secretNames.has(name.toLowerCase()) || isSensitiveHeaderName(name);
            return (
              <div key={name} className="flex min-w-0 gap-2">
                <dt className="shrink-0 text-muted-foreground">{name}:</dt>
                <dd className="flex min-w-0 items-center gap-1 truncate" data-testid="rule-header-value">
                  {secret ? (
                    <>
                      <LockKeyhole className="size-3 shrink-0" aria-label="secret" role="img" /> ****
                    </>
                  ) : (
                    value
                  )}
                </dd>
              </div>
            );
          })}
        </dl>
      ) : null}

      <div className="mt-4 flex flex-wrap items-center gap-2">
        <Button variant="outline" size="sm" onClick={onEdit}>
          <Pencil aria-hidden /> Edit
        </Button>
        {webhook ? (
          <Button
            variant="ghost"
            size="sm"
            aria-expanded={showLogs}
            aria-controls={logsId}
            onClick={() => setShowLogs((s) => !s)}
          >
            <ChevronDown aria-hidden className={showLogs ? "rotate-180 transition-transform" : "transition-transform"} />
            Deliveries
          </Button>
        ) : null}
        <div className="ml-auto">
          {confirmDelete ? (
            <div className="flex items-center gap-2" role="group" aria-label={`Confirm deleting ${rule.name}`}>
              <Button variant="destructive" size="sm" onClick={() => void remove()} disabled={deleting}>
                {deleting ? <Spinner /> : null} Delete
              </Button>
              <Button variant="ghost" size="sm" onClick={() => setConfirmDelete(false)}>
                Cancel
              </Button>
            </div>
          ) : (
            <Button
              variant="ghost"
              size="sm"
              className="text-destructive hover:bg-danger-soft"
              onClick={() => setConfirmDelete(true)}
              aria-label={`Delete ${rule.name}`}
            >
              <Trash2 aria-hidden /> Delete
            </Button>
          )}
        </div>
      </div>
      {showLogs ? (
        <div id={logsId} className="mt-4 border-t pt-4">
          <WebhookLogs ruleId={rule.id} />
        </div>
      ) : null}
    </Card>
  );
}
