"use client";

import * as React from "react";
import { useForm } from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import { Check, Copy, KeySquare } from "lucide-react";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardFooter } from "@/components/ui/card";
import { Input, Label } from "@/components/ui/input";
import { ConfirmDeleteButton, ListPage } from "@/components/crud";
import { EmptyState } from "@/components/states";
import { CreateFormCard, ItemList, LastTime, RoleSelect, RowCard, useConfirmedRemove, useCreateList } from "@/components/admin/admin-list";
import {
  TOKEN_CREATE_DEFAULTS,
  TOKEN_MAX_DAYS,
  tokenCreateSchema,
  type TokenCreateInput,
  type TokenCreateValues,
} from "@/components/admin/tokens-schema";
import { FormActions, FormTextField, useServerSubmit } from "@/components/auth/field";
import { ROLE_LABEL } from "@/components/auth/user-menu";
import { api } from "@/lib/api";
import type { ApiToken, ApiTokenCreated } from "@/lib/types";
import { queryKeys, useApiQuery } from "@/lib/query";
import { formatDateTime } from "@/lib/utils";

export function TokensView() {
  const tokens = useApiQuery(queryKeys.tokens, (signal) => api.tokens.list(signal));
  const list = useCreateList();
  // The new token's value lives only here, until "Done": it is never shown again.
  const [created, setCreated] = React.useState<ApiTokenCreated | null>(null);

  return (
    <ListPage
      title="API tokens"
      description="For REST clients and scripts such as Home Assistant or curl: send it as “Authorization: Bearer <token>”."
      addLabel="New token"
      addTestId="token-add"
      crud={{ ...list, editing: list.editing ?? created }}
      form={
        <>
          {created ? <TokenCreated token={created} onDone={() => setCreated(null)} /> : null}
          {list.creating ? (
            <TokenCreateForm
              onCancel={() => list.setCreating(false)}
              onCreated={(t) => {
                const { token: _secret, ...listed } = t;
                void _secret;
                tokens.setData((prev) => [...(prev ?? []), { ...listed, last_used_at: null, created_by: null }]);
                list.setCreating(false);
                setCreated(t);
              }}
            />
          ) : null}
        </>
      }
      resource={tokens}
      loadingLabel="Loading API tokens…"
      empty={
        <EmptyState icon={<KeySquare />} title="No API tokens">
          Create one for each client, so that each can be revoked alone.
        </EmptyState>
      }
    >
      {(items) => (
        <ItemList label="API tokens" testId="token-list" items={items}>
          {(t) => (
            <TokenRow
              token={t}
              onRevoked={() => {
                tokens.setData((prev) => (prev ?? []).filter((x) => x.id !== t.id));
                if (created?.id === t.id) setCreated(null);
                list.setNotice(`Token “${t.name}” revoked.`);
              }}
              onError={list.setActionError}
            />
          )}
        </ItemList>
      )}
    </ListPage>
  );
}

function TokenCreateForm({ onCreated, onCancel }: { onCreated: (t: ApiTokenCreated) => void; onCancel: () => void }) {
  const form = useForm<TokenCreateInput, unknown, TokenCreateValues>({
    resolver: zodResolver(tokenCreateSchema),
    defaultValues: TOKEN_CREATE_DEFAULTS,
  });
  const { onSubmit, formError, busy } = useServerSubmit(form, async (values) => {
    onCreated(await api.tokens.create(values));
  });

  return (
    <CreateFormCard
      testId="token-form"
      title="New API token"
      description="The token is shown once, right after it is created."
      formError={formError}
      onSubmit={onSubmit}
      gridClassName="sm:grid-cols-3"
      actions={
        <FormActions busy={busy} label="Create token" icon={<KeySquare aria-hidden />} onCancel={onCancel} submitTestId="token-save" />
      }
    >
      <FormTextField form={form} name="name" id="token-name" label="Name" placeholder="Home Assistant" />
      <div className="space-y-1.5">
        <Label htmlFor="token-role">Role</Label>
        <RoleSelect id="token-role" {...form.register("role")} />
      </div>
      <FormTextField
        form={form}
        name="expires_in_days"
        id="token-expiry"
        label="Expires after (days)"
        type="number"
        inputMode="numeric"
        min={1}
        max={TOKEN_MAX_DAYS}
        placeholder="Never"
        hint="Empty: the token does not expire."
      />
    </CreateFormCard>
  );
}

/** The new token, once: copy button and the warning that it will not be shown again. */
export function TokenCreated({ token, onDone }: { token: ApiTokenCreated; onDone: () => void }) {
  const [copied, setCopied] = React.useState<"yes" | "failed" | null>(null);
  const fieldRef = React.useRef<HTMLInputElement>(null);

  async function copy() {
    try {
      await navigator.clipboard.writeText(token.token);
      setCopied("yes");
    } catch {
      // No clipboard access (plain http on another host): select it for Ctrl+C.
      fieldRef.current?.select();
      setCopied("failed");
    }
  }

  return (
    <Card className="border-success/40" data-testid="token-created">
      <CardContent className="space-y-3 pt-5">
        <Alert tone="warning" title="Copy the token now">
          It won&apos;t be shown again. If it is lost, revoke it and create a new one.
        </Alert>
        <div className="space-y-1.5">
          <Label htmlFor="token-value">
            Token “{token.name}” ({ROLE_LABEL[token.role]}
            {token.expires_at ? `, expires ${formatDateTime(token.expires_at)}` : ", no expiry"})
          </Label>
          <div className="flex gap-2">
            <Input
              ref={fieldRef}
              id="token-value"
              readOnly
              value={token.token}
              className="font-mono text-xs"
              onFocus={(e) => e.currentTarget.select()}
              data-testid="token-value"
              autoComplete="off"
              spellCheck={false}
            />
            <Button variant="outline" onClick={() => void copy()} data-testid="token-copy">
              {copied === "yes" ? <Check aria-hidden /> : <Copy aria-hidden />}
              {copied === "yes" ? "Copied" : "Copy"}
            </Button>
          </div>
          {copied === "failed" ? (
            <p className="text-xs text-muted-foreground" role="status">
              The browser did not allow copying: the token is selected, press Ctrl+C (⌘C).
            </p>
          ) : null}
        </div>
      </CardContent>
      <CardFooter>
        <Button onClick={onDone} data-testid="token-done">
          I have copied it
        </Button>
      </CardFooter>
    </Card>
  );
}

function TokenRow({ token, onRevoked, onError }: { token: ApiToken; onRevoked: () => void; onError: (m: string | null) => void }) {
  const revoke = useConfirmedRemove({
    remove: () => api.tokens.revoke(token.id),
    onRemoved: onRevoked,
    onError,
    failure: `Could not revoke “${token.name}”`,
  });
  const [shownAt] = React.useState(() => Date.now());
  const expired = token.expires_at ? Date.parse(token.expires_at) < shownAt : false;

  return (
    <RowCard
      testId="token-row"
      title={token.name}
      badges={
        <>
          <Badge tone={token.role === "admin" ? "info" : "neutral"}>{ROLE_LABEL[token.role]}</Badge>
          {expired ? <Badge tone="warning">Expired</Badge> : null}
        </>
      }
      details={
        <dl className="mt-2 grid grid-cols-[auto_minmax(0,1fr)] gap-x-3 gap-y-0.5 text-xs text-muted-foreground sm:grid-cols-[auto_auto_auto_auto] sm:gap-x-4">
          <dt>Prefix</dt>
          <dd>
            <code className="font-mono text-foreground" data-testid="token-prefix">
              {token.prefix}…
            </code>
          </dd>
          <dt>Created</dt>
          <dd>
            {formatDateTime(token.created_at)}
            {token.created_by ? ` by ${token.created_by}` : ""}
          </dd>
          <dt>Expires</dt>
          <dd>{token.expires_at ? formatDateTime(token.expires_at) : "Never"}</dd>
          <dt>Last used</dt>
          <dd>
            <LastTime at={token.last_used_at} never="Never" />
          </dd>
        </dl>
      }
      aside={
        <ConfirmDeleteButton
          confirming={revoke.confirming}
          onConfirmingChange={revoke.setConfirming}
          onConfirm={revoke.remove}
          busy={revoke.busy}
          label="Revoke"
          prompt="Revoke this token now?"
          groupLabel={`Confirm revoking ${token.name}`}
          triggerLabel={`Revoke ${token.name}`}
        />
      }
    />
  );
}
