"use client";

import * as React from "react";
import { useForm } from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import { ChevronLeft, ChevronRight, ScrollText, Search } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import { Label, Select } from "@/components/ui/input";
import { TableHead } from "@/components/ui/table";
import { EmptyState, PageHeader, QueryState, RefreshButton } from "@/components/states";
import { FormTextField, applyServerErrors } from "@/components/auth/field";
import { NO_FILTERS, auditFilterSchema, type AuditFilterInput, type AuditFilters } from "@/components/admin/audit-schema";
import { api } from "@/lib/api";
import { AUDIT_ACTIONS, AUDIT_OUTCOMES } from "@/lib/types";
import { queryKeys, useApiQuery } from "@/lib/query";
import { formatDateTime } from "@/lib/utils";

export const AUDIT_PAGE_SIZE = 50;

const ACTION_LABEL: Record<string, string> = {
  login: "Sign-in",
  logout: "Sign-out",
  setup: "Set-up",
  password_change: "Password change",
  user_create: "User created",
  user_update: "User changed",
  user_delete: "User deleted",
  token_create: "Token created",
  token_revoke: "Token revoked",
  credential_change: "Credential changed",
  key_test: "Key test",
  camera_test: "Camera test",
  backup_confirmed: "Key backup confirmed",
  rotation_start: "Key rotation started",
  rotation_end: "Key rotation finished",
};

const COLUMNS = ["When", "Actor", "Action", "Target", "Address", "Outcome"] as const;

const OUTCOME_TONE: Record<string, "success" | "danger" | "warning" | "neutral"> = {
  ok: "success",
  failed: "danger",
  refused: "warning",
};

export function AuditView() {
  // The bar's fields; `filters` is what was last applied (a typed actor waits for Apply).
  const form = useForm<AuditFilterInput, unknown, AuditFilters>({ resolver: zodResolver(auditFilterSchema), defaultValues: NO_FILTERS });
  const [filters, setFilters] = React.useState<AuditFilters>(NO_FILTERS);
  const [offset, setOffset] = React.useState(0);
  const query = { action: filters.action, actor: filters.actor, outcome: filters.outcome || null, limit: AUDIT_PAGE_SIZE, offset };
  const page = useApiQuery(queryKeys.audit(query), (signal) =>
    api.audit.list(query, signal).catch((err: unknown) => {
      // A filter the server refuses (422) is marked at its field; the load error says the rest.
      applyServerErrors(form, err);
      throw err;
    }),
  );

  function apply(next: Partial<AuditFilters>) {
    setFilters((f) => ({ ...f, ...next }));
    setOffset(0);
  }

  const total = page.data?.total ?? 0;
  const items = page.data?.items ?? [];
  const first = total === 0 ? 0 : offset + 1;
  const last = offset + items.length;

  return (
    <>
      <PageHeader
        title="Audit"
        description="Who did what, when, and from where: sign-ins, account and token changes, credential changes and tests. Values are never recorded."
        actions={<RefreshButton query={page} />}
      />
      <Card className="mb-4 p-4">
        <form
          className="grid grid-cols-1 gap-3 sm:grid-cols-[repeat(3,minmax(0,1fr))_auto] sm:items-end"
          aria-label="Filters"
          noValidate
          onSubmit={(e) => void form.handleSubmit((values) => apply(values))(e)}
        >
          <FilterSelect
            id="audit-action"
            label="Action"
            all="All actions"
            options={AUDIT_ACTIONS.map((a) => [a, ACTION_LABEL[a] ?? a] as const)}
            {...form.register("action", { onChange: (e) => apply({ action: auditFilterSchema.shape.action.parse(e.target.value) }) })}
          />
          <FormTextField form={form} name="actor" id="audit-actor" label="Actor" placeholder="User or token name" autoCapitalize="none" spellCheck={false} />
          <FilterSelect
            id="audit-outcome"
            label="Outcome"
            all="Any outcome"
            options={AUDIT_OUTCOMES.map((o) => [o, o] as const)}
            {...form.register("outcome", { onChange: (e) => apply({ outcome: auditFilterSchema.shape.outcome.parse(e.target.value) }) })}
          />
          <Button type="submit" variant="outline" data-testid="audit-apply">
            <Search aria-hidden /> Apply
          </Button>
        </form>
      </Card>

      <QueryState
        query={page}
        loadingLabel="Loading the audit trail…"
        rows={4}
        isEmpty={(data) => data.items.length === 0}
        empty={
          <EmptyState icon={<ScrollText />} title="Nothing recorded">
            {filters.action || filters.actor || filters.outcome ? "No entry matches these filters." : "Entries appear here as people sign in and change things."}
          </EmptyState>
        }
      >
        {(data) => (
          <>
            <div className="overflow-hidden rounded-xl border bg-card">
              <table className="block w-full text-sm md:table" data-testid="audit-table">
                <TableHead
                  columns={COLUMNS}
                  className="hidden border-b bg-muted/60 text-left text-xs text-muted-foreground md:table-header-group"
                  cellClassName="px-4 py-2 font-medium"
                />
                <tbody className="block divide-y md:table-row-group">
                  {data.items.map((e) => (
                    <tr key={e.id} className="block px-4 py-3 md:table-row md:p-0" data-testid="audit-row" data-action={e.action} data-outcome={e.outcome}>
                      <Cell label="When">
                        <time dateTime={e.at ?? undefined}>{formatDateTime(e.at)}</time>
                      </Cell>
                      <Cell label="Actor">{e.actor ?? "—"}</Cell>
                      <Cell label="Action">{ACTION_LABEL[e.action] ?? e.action}</Cell>
                      <Cell label="Target">{e.target ?? "—"}</Cell>
                      <Cell label="Address" mono>
                        {e.address ?? "—"}
                      </Cell>
                      <Cell label="Outcome">
                        <Badge tone={OUTCOME_TONE[e.outcome] ?? "neutral"}>{e.outcome}</Badge>
                      </Cell>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <nav className="mt-4 flex flex-wrap items-center justify-between gap-3" aria-label="Pages">
              <p className="text-sm text-muted-foreground" data-testid="audit-range">
                {first}–{last} of {total}
              </p>
              <div className="flex gap-2">
                <Button
                  variant="outline"
                  size="sm"
                  disabled={offset === 0 || page.loading}
                  onClick={() => setOffset(Math.max(0, offset - AUDIT_PAGE_SIZE))}
                >
                  <ChevronLeft aria-hidden /> Previous
                </Button>
                <Button
                  variant="outline"
                  size="sm"
                  disabled={last >= total || page.loading}
                  onClick={() => setOffset(offset + AUDIT_PAGE_SIZE)}
                >
                  Next <ChevronRight aria-hidden />
                </Button>
              </div>
            </nav>
          </>
        )}
      </QueryState>
    </>
  );
}

/** A filter's select: "all" first, then `options` as [value, label]. */
function FilterSelect({
  id,
  label,
  all,
  options,
  ...props
}: Omit<React.ComponentProps<typeof Select>, "children"> & { id: string; label: string; all: string; options: readonly (readonly [string, string])[] }) {
  return (
    <div className="space-y-1.5">
      <Label htmlFor={id}>{label}</Label>
      <Select id={id} {...props}>
        <option value="">{all}</option>
        {options.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </Select>
    </div>
  );
}

/** A table cell; below md each row is a card and the cell shows its column's name. */
function Cell({ label, mono = false, children }: { label: string; mono?: boolean; children: React.ReactNode }) {
  return (
    <td className="flex gap-3 py-0.5 md:table-cell md:px-4 md:py-2.5">
      <span className="w-20 shrink-0 text-xs text-muted-foreground md:hidden" aria-hidden>
        {label}
      </span>
      <span className={mono ? "min-w-0 font-mono text-xs break-all" : "min-w-0 break-words"}>{children}</span>
    </td>
  );
}
