"use client";

import * as React from "react";
import { Check, Copy, KeySquare, Plus } from "lucide-react";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardFooter } from "@/components/ui/card";
import { Input, Label, Select } from "@/components/ui/input";
import { Spinner } from "@/components/ui/spinner";
import { ConfirmDeleteButton, FormHeader, ListNotices, ResourceList } from "@/components/crud";
import { EmptyState, PageHeader } from "@/components/states";
import { TextField, useFormSubmit } from "@/components/auth/field";
import { ROLE_LABEL } from "@/components/auth/user-menu";
import { api, errorMessage } from "@/lib/api";
import { ROLES, type ApiToken, type ApiTokenCreated, type Role } from "@/lib/types";
import { queryKeys, useApiQuery } from "@/lib/query";
import { formatDateTime, formatRelative } from "@/lib/utils";

export function TokensView() {
  const tokens = useApiQuery(queryKeys.tokens, (signal) => api.tokens.list(signal));
  const [creating, setCreating] = React.useState(false);
  // The new token's value lives only here, until "Done": it is never shown again.
  const [created, setCreated] = React.useState<ApiTokenCreated | null>(null);
  const [notice, setNotice] = React.useState<string | null>(null);
  const [actionError, setActionError] = React.useState<string | null>(null);

  return (
    <>
      <PageHeader
        title="API tokens"
        description="For REST clients and scripts such as Home Assistant or curl: send it as “Authorization: Bearer <token>”."
        actions={
          creating || created ? null : (
            <Button
              onClick={() => {
                setNotice(null);
                setCreating(true);
              }}
              data-testid="token-add"
            >
              <Plus aria-hidden /> New token
            </Button>
          )
        }
      />
      <div className="space-y-6">
        <ListNotices notice={notice} actionError={actionError} onDismiss={() => setNotice(null)} />
        {created ? <TokenCreated token={created} onDone={() => setCreated(null)} /> : null}
        {creating ? (
          <TokenCreateForm
            onCancel={() => setCreating(false)}
            onCreated={(t) => {
              const { token: _secret, ...listed } = t;
              void _secret;
              tokens.setData((prev) => [...(prev ?? []), { ...listed, last_used_at: null, created_by: null }]);
              setCreating(false);
              setCreated(t);
            }}
          />
        ) : null}
        <ResourceList
          resource={tokens}
          loadingLabel="Loading API tokens…"
          empty={
            creating ? null : (
              <EmptyState icon={<KeySquare />} title="No API tokens">
                Create one for each client, so that each can be revoked alone.
              </EmptyState>
            )
          }
        >
          {(list) => (
            <ul className="space-y-3" aria-label="API tokens" data-testid="token-list">
              {list.map((t) => (
                <li key={t.id}>
                  <TokenRow
                    token={t}
                    onRevoked={() => {
                      tokens.setData((prev) => (prev ?? []).filter((x) => x.id !== t.id));
                      if (created?.id === t.id) setCreated(null);
                      setNotice(`Token “${t.name}” revoked.`);
                    }}
                    onError={setActionError}
                  />
                </li>
              ))}
            </ul>
          )}
        </ResourceList>
      </div>
    </>
  );
}

function TokenCreateForm({ onCreated, onCancel }: { onCreated: (t: ApiTokenCreated) => void; onCancel: () => void }) {
  const [name, setName] = React.useState("");
  const [role, setRole] = React.useState<Role>("viewer");
  const [days, setDays] = React.useState("");
  const { errors, formError, busy, submit } = useFormSubmit();

  async function onSubmit(e: React.FormEvent) {
    e.preventDefault();
    const found: Record<string, string> = {};
    if (!name.trim()) found.name = "Give the token a name, such as the client that uses it.";
    else if (name.trim().length > 100) found.name = "Use at most 100 characters.";
    let expires: number | null = null;
    if (days.trim()) {
      const n = Number(days);
      if (!Number.isInteger(n) || n < 1 || n > 3650) found.expires_in_days = "Enter a whole number of days from 1 to 3650, or leave it empty.";
      else expires = n;
    }
    await submit(found, async () => {
      onCreated(await api.tokens.create({ name: name.trim(), role, expires_in_days: expires }));
    });
  }

  return (
    <Card data-testid="token-form">
      <FormHeader title="New API token" description="The token is shown once, right after it is created." />
      <form onSubmit={(e) => void onSubmit(e)} noValidate>
        <CardContent className="grid gap-4 sm:grid-cols-3">
          {formError ? (
            <Alert tone="error" className="sm:col-span-3">
              {formError}
            </Alert>
          ) : null}
          <TextField
            id="token-name"
            label="Name"
            placeholder="Home Assistant"
            value={name}
            onChange={(e) => setName(e.target.value)}
            error={errors.name}
          />
          <div className="space-y-1.5">
            <Label htmlFor="token-role">Role</Label>
            <Select id="token-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {ROLES.map((r) => (
                <option key={r} value={r}>
                  {ROLE_LABEL[r]}
                </option>
              ))}
            </Select>
          </div>
          <TextField
            id="token-expiry"
            label="Expires after (days)"
            type="number"
            inputMode="numeric"
            min={1}
            max={3650}
            placeholder="Never"
            value={days}
            onChange={(e) => setDays(e.target.value)}
            error={errors.expires_in_days}
            hint="Empty: the token does not expire."
          />
        </CardContent>
        <CardFooter>
          <Button type="submit" disabled={busy} data-testid="token-save">
            {busy ? <Spinner /> : <KeySquare aria-hidden />} Create token
          </Button>
          <Button variant="ghost" onClick={onCancel}>
            Cancel
          </Button>
        </CardFooter>
      </form>
    </Card>
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
  const [confirming, setConfirming] = React.useState(false);
  const [busy, setBusy] = React.useState(false);
  const [shownAt] = React.useState(() => Date.now());
  const expired = token.expires_at ? Date.parse(token.expires_at) < shownAt : false;

  async function revoke() {
    setBusy(true);
    onError(null);
    try {
      await api.tokens.revoke(token.id);
      onRevoked();
    } catch (err) {
      onError(`Could not revoke “${token.name}”: ${errorMessage(err)}`);
      setBusy(false);
      setConfirming(false);
    }
  }

  return (
    <Card className="p-4 sm:p-5" data-testid="token-row">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <div className="flex flex-wrap items-center gap-2">
            <h3 className="font-semibold break-all">{token.name}</h3>
            <Badge tone={token.role === "admin" ? "info" : "neutral"}>{ROLE_LABEL[token.role]}</Badge>
            {expired ? <Badge tone="warning">Expired</Badge> : null}
          </div>
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
              {token.last_used_at ? (
                <time dateTime={token.last_used_at} title={formatDateTime(token.last_used_at)}>
                  {formatRelative(token.last_used_at)}
                </time>
              ) : (
                "Never"
              )}
            </dd>
          </dl>
        </div>
        <ConfirmDeleteButton
          confirming={confirming}
          onConfirmingChange={setConfirming}
          onConfirm={() => void revoke()}
          busy={busy}
          label="Revoke"
          prompt="Revoke this token now?"
          groupLabel={`Confirm revoking ${token.name}`}
          triggerLabel={`Revoke ${token.name}`}
        />
      </div>
    </Card>
  );
}
