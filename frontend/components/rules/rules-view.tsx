"use client";

import * as React from "react";
import { Bell, BellRing, ChevronDown, Clock, LockKeyhole, Webhook } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { AddFirstButton, EnabledBadge, ListPage, RowDeleteButton, RowEditButton, RowEnabledSwitch, editForm, useCrudList, useRowActions, type RowHandlers } from "@/components/crud";
import { EmptyState, QueryState } from "@/components/states";
import { RuleForm } from "@/components/rules/rule-form";
import { WebhookLogs } from "@/components/rules/webhook-logs";
import { DeliveryHealthBadge, SendTestButton, SendTestOutcome, useSendTest } from "@/components/rules/delivery-health";
import { api } from "@/lib/api";
import { headerPolicy, summarizeConditions, webhookHost, type HeaderPolicy } from "@/lib/rules";
import type { AlertRule } from "@/lib/types";
import { queryKeys, useApiQuery } from "@/lib/query";
import { formatDateTime, formatRelative } from "@/lib/utils";

export function RulesView() {
  // How the server stores webhook headers: the form and the rows show each one so.
  const policyQuery = useApiQuery(queryKeys.headerPolicy, (signal) => api.alertRules.headerPolicy(signal));
  const policy = React.useMemo(() => (policyQuery.data ? headerPolicy(policyQuery.data) : null), [policyQuery.data]);
  return (
    <QueryState query={{ ...policyQuery, data: policy ?? undefined }} loadingLabel="Loading alert rules…">
      {(loaded) => <RulesList policy={loaded} />}
    </QueryState>
  );
}

function RulesList({ policy }: { policy: HeaderPolicy }) {
  const rules = useApiQuery(queryKeys.alertRules, (signal) => api.alertRules.list(signal));
  const cameras = useApiQuery(queryKeys.cameras, (signal) => api.cameras.list(signal));
  const crud = useCrudList(rules, "Rule", "created");

  const cameraList = React.useMemo(() => cameras.data ?? [], [cameras.data]);
  const cameraName = React.useCallback(
    (id: number) => cameraList.find((c) => c.id === id)?.name ?? `camera #${id}`,
    [cameraList],
  );

  return (
    <ListPage
      title="Alert rules"
      description="When an event matches a rule's conditions, it notifies you here and can call a webhook."
      addLabel="New rule"
      addTestId="rule-add"
      crud={crud}
      form={editForm(crud, (rule, handlers) => <RuleForm rule={rule} cameras={cameraList} policy={policy} {...handlers} />)}
      resource={rules}
      loadingLabel="Loading alert rules…"
      empty={
        <EmptyState icon={<BellRing />} title="No alert rules yet" action={<AddFirstButton crud={crud}>Create a rule</AddFirstButton>}>
          For example: a person on the front door camera between 22:00 and 06:00 sends a notification and calls Home
          Assistant.
        </EmptyState>
      }
    >
      {(list) => (
        <ul className="space-y-4" aria-label="Alert rules" data-testid="rule-list">
          {list.map((rule) => (
            <li key={rule.id}>
              <RuleRow rule={rule} cameraName={cameraName} policy={policy} {...crud.rowHandlers(rule)} />
            </li>
          ))}
        </ul>
      )}
    </ListPage>
  );
}

function RuleRow({
  rule,
  cameraName,
  policy,
  onEdit,
  ...handlers
}: { rule: AlertRule; cameraName: (id: number) => string; policy: HeaderPolicy } & RowHandlers<AlertRule>) {
  const [showLogs, setShowLogs] = React.useState(false);
  const row = useRowActions(rule, {
    update: (enabled) => api.alertRules.update(rule.id, { is_enabled: enabled }),
    remove: () => api.alertRules.remove(rule.id),
    ...handlers,
  });
  const summary = summarizeConditions(rule.conditions ?? {}, cameraName);
  const webhook = rule.actions.webhook;
  const host = webhookHost(rule);
  const secretNames = new Set((webhook?.secret_headers ?? []).map((n) => n.toLowerCase()));
  const logsId = `rule-${rule.id}-logs`;
  const sendTest = useSendTest(rule.id);

  return (
    <Card className="p-5" data-testid="rule-row">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0 flex-1">
          <div className="flex flex-wrap items-center gap-2">
            <h3 className="font-semibold">{rule.name}</h3>
            <EnabledBadge enabled={rule.is_enabled} />
          </div>
          <p className="mt-1 text-sm text-muted-foreground">
            {summary.length ? summary.join(" · ") : "Any event"}
          </p>
        </div>
        <RowEnabledSwitch row={row} item={rule} />
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
        {webhook ? <DeliveryHealthBadge lastDelivery={rule.last_delivery} /> : null}
      </div>

      {webhook && Object.keys(webhook.headers ?? {}).length > 0 ? (
        <dl className="mt-3 grid gap-1 rounded-lg bg-muted/60 px-3 py-2 font-mono text-xs" data-testid="rule-headers">
          {Object.entries(webhook.headers).map(([name, value]) => {
            const secret = value.startsWith("****") || secretNames.has(name.toLowerCase()) || policy.isCredentialName(name);
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
        <RowEditButton name={rule.name} onEdit={onEdit} />
        {webhook ? <SendTestButton ruleName={rule.name} state={sendTest.state} onSend={() => void sendTest.send()} /> : null}
        {webhook ? (
          <Button
            variant="ghost"
            size="sm"
            aria-expanded={showLogs}
            aria-controls={logsId}
            aria-label={`Deliveries of ${rule.name}`}
            onClick={() => setShowLogs((s) => !s)}
          >
            <ChevronDown aria-hidden className={showLogs ? "rotate-180 transition-transform" : "transition-transform"} />
            Deliveries
          </Button>
        ) : null}
        <RowDeleteButton row={row} name={rule.name} />
      </div>
      {webhook ? <SendTestOutcome state={sendTest.state} /> : null}
      {showLogs ? (
        <div id={logsId} className="mt-4 border-t pt-4">
          <WebhookLogs ruleId={rule.id} />
        </div>
      ) : null}
    </Card>
  );
}
