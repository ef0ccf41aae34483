"use client";

import * as React from "react";
import { LockKeyhole, Plus, Trash2 } from "lucide-react";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/input";
import { Switch } from "@/components/ui/switch";
import type { HeaderPolicy } from "@/lib/rules";
import { cn } from "@/lib/utils";

export interface HeaderRow {
  key: string; // stable React key
  name: string;
  /** What the user typed. For a stored secret this starts empty (= keep). */
  value: string;
  secret: boolean;
  /** A secret value is stored on the server (the API showed "****"). */
  stored: boolean;
  /** The server asked for this secret again (422 secret_required). */
  needsValue?: boolean;
}

let counter = 0;
/** A new row is secret unless it is one of the known-plain headers (Content-Type, Accept...). */
export function newHeaderRow(policy: HeaderPolicy, partial: Partial<HeaderRow> = {}): HeaderRow {
  counter += 1;
  const secret = !policy.isKnownPlain(partial.name ?? "");
  return { key: `h${counter}`, name: "", value: "", secret, stored: false, ...partial };
}

/** Rows from an API rule: secret values arrive masked and are never put in an input. */
export function rowsFromHeaders(
  policy: HeaderPolicy,
  headers: Record<string, string>,
  secretNames: string[] = [],
  plainNames: string[] = [],
): HeaderRow[] {
  const secretSet = new Set(secretNames.map((n) => n.toLowerCase()));
  const plainSet = new Set(plainNames.map((n) => n.toLowerCase()));
  return Object.entries(headers).map(([name, value]) => {
    const masked = value.startsWith("****");
    const lower = name.toLowerCase();
    const secret =
      masked ||
      secretSet.has(lower) ||
      policy.isCredentialName(name) ||
      (!plainSet.has(lower) && !policy.isKnownPlain(name));
    return newHeaderRow(policy, { name, value: secret ? "" : value, secret, stored: secret });
  });
}

export function HeadersEditor({
  rows,
  onChange,
  idPrefix,
  errors,
  policy,
}: {
  policy: HeaderPolicy;
  rows: HeaderRow[];
  onChange: (rows: HeaderRow[]) => void;
  idPrefix: string;
  errors?: Record<string, string>;
}) {
  function update(key: string, patch: Partial<HeaderRow>) {
    onChange(rows.map((r) => (r.key === key ? { ...r, ...patch } : r)));
  }

  return (
    <fieldset className="space-y-2" data-testid="headers-editor">
      <legend className="text-sm font-medium">Headers</legend>
      <p className="text-xs text-muted-foreground">
        Every header value is secret (stored encrypted, never shown again) unless you switch it off; Content-Type,
        Accept, User-Agent and the like are plain. Leave a stored secret empty to keep it. Names such as Authorization,
        or with “token”, “key” or “pin” in them, are always secret.
      </p>
      {rows.length > 0 ? (
        <ul className="space-y-2">
          {rows.map((row, i) => {
            const forced = policy.isCredentialName(row.name);
            const secret = row.secret || forced;
            const nameId = `${idPrefix}-header-${i}-name`;
            const valueId = `${idPrefix}-header-${i}-value`;
            const err = errors?.[row.key];
            return (
              <li
                key={row.key}
                className={cn(
                  "grid grid-cols-1 gap-2 rounded-lg border p-3 sm:grid-cols-[minmax(0,1fr)_minmax(0,1.4fr)_auto_auto] sm:items-center sm:border-0 sm:p-0",
                  row.needsValue && "border-warning sm:rounded-md sm:p-1 sm:ring-1 sm:ring-warning",
                )}
                data-testid="header-row"
              >
                <label htmlFor={nameId} className="sr-only">
                  Header {i + 1} name
                </label>
                <Input
                  id={nameId}
                  value={row.name}
                  onChange={(e) => update(row.key, { name: e.target.value })}
                  placeholder="Header name"
                  className="font-mono text-xs"
                  spellCheck={false}
                  autoComplete="off"
                  data-testid="header-name"
                  aria-invalid={err ? true : undefined}
                />
                <label htmlFor={valueId} className="sr-only">
                  Header {i + 1} value{secret ? " (secret)" : ""}
                </label>
                <Input
                  id={valueId}
                  type={secret ? "password" : "text"}
                  value={row.value}
                  onChange={(e) => update(row.key, { value: e.target.value, needsValue: false })}
                  placeholder={row.stored && secret ? "•••• stored (leave empty to keep)" : secret ? "Secret value" : "Value"}
                  className="font-mono text-xs"
                  spellCheck={false}
                  autoComplete={secret ? "new-password" : "off"}
                  data-testid="header-value"
                  aria-invalid={row.needsValue || undefined}
                />
                <div className="flex items-center justify-between gap-2 sm:contents">
                <div className="flex items-center gap-2">
                  <Switch
                    checked={secret}
                    disabled={forced}
                    onCheckedChange={(v) => update(row.key, { secret: v })}
                    aria-label={`Header ${i + 1} value is secret`}
                    title={forced ? "Always secret because of its name" : undefined}
                    data-testid="header-secret"
                  />
                  <span className="flex items-center gap-1 text-xs text-muted-foreground">
                    <LockKeyhole className="size-3" aria-hidden /> Secret
                  </span>
                </div>
                <Button
                  variant="ghost"
                  size="icon"
                  onClick={() => onChange(rows.filter((r) => r.key !== row.key))}
                  aria-label={`Remove header ${row.name || i + 1}`}
                  className="justify-self-end"
                >
                  <Trash2 aria-hidden />
                </Button>
                </div>
                {err ? <p className="text-xs text-destructive sm:col-span-4">{err}</p> : null}
              </li>
            );
          })}
        </ul>
      ) : null}
      <Button
        variant="outline"
        size="sm"
        onClick={() => onChange([...rows, newHeaderRow(policy)])}
        disabled={rows.length >= policy.maxHeaders}
        title={rows.length >= policy.maxHeaders ? `At most ${policy.maxHeaders} headers` : undefined}
        data-testid="header-add"
      >
        <Plus aria-hidden /> Add header
      </Button>
    </fieldset>
  );
}
