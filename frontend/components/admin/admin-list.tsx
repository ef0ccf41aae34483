"use client";

import * as React from "react";
import { useMutation } from "@tanstack/react-query";
import { Alert } from "@/components/ui/alert";
import { Card, CardContent, CardFooter } from "@/components/ui/card";
import { Select } from "@/components/ui/input";
import { FormHeader } from "@/components/crud";
import { ROLE_LABEL } from "@/components/auth/user-menu";
import { errorMessage } from "@/lib/api";
import { ROLES } from "@/lib/types";
import { cn, formatDateTime, formatRelative } from "@/lib/utils";

/**
 * State of an admin list page whose form only creates (users, API tokens):
 * whether the form is open, the success notice and the last row action's
 * error, in the shape `ListPage` takes.
 */
export function useCreateList() {
  const [creating, setCreating] = React.useState(false);
  const [notice, setNotice] = React.useState<string | null>(null);
  const [actionError, setActionError] = React.useState<string | null>(null);
  return {
    creating,
    setCreating,
    notice,
    setNotice,
    actionError,
    setActionError,
    editing: creating ? ("new" as const) : null,
    startNew: () => {
      setNotice(null);
      setCreating(true);
    },
  };
}

/**
 * A row's delete (or revoke) behind a confirmation: `remove` runs on confirm;
 * on failure `onError` gets "`failure`: why" and the confirmation closes.
 * `busy` stays on after success (the row goes away).
 */
export function useConfirmedRemove({
  remove,
  onRemoved,
  onError,
  failure,
}: {
  remove: () => Promise<unknown>;
  onRemoved: () => void;
  onError: (message: string | null) => void;
  failure: string;
}) {
  const [confirming, setConfirming] = React.useState(false);
  const mutation = useMutation({
    mutationFn: remove,
    onMutate: () => onError(null),
    onSuccess: onRemoved,
    onError: (err) => {
      onError(`${failure}: ${errorMessage(err)}`);
      setConfirming(false);
    },
  });
  return { confirming, setConfirming, busy: mutation.isPending || mutation.isSuccess, remove: () => mutation.mutate() };
}

/** A select of the roles (Admin, Viewer). */
export const RoleSelect = React.forwardRef<HTMLSelectElement, React.SelectHTMLAttributes<HTMLSelectElement>>(function RoleSelect(
  props,
  ref,
) {
  return (
    <Select ref={ref} {...props}>
      {ROLES.map((r) => (
        <option key={r} value={r}>
          {ROLE_LABEL[r]}
        </option>
      ))}
    </Select>
  );
});

/** The items of an admin list, one `<li>` each (keyed by id). */
export function ItemList<T extends { id: number }>({
  label,
  testId,
  items,
  children,
}: {
  label: string;
  testId: string;
  items: T[];
  children: (item: T) => React.ReactNode;
}) {
  return (
    <ul className="space-y-3" aria-label={label} data-testid={testId}>
      {items.map((item) => (
        <li key={item.id}>{children(item)}</li>
      ))}
    </ul>
  );
}

/** When something last happened, relative with the full time on hover, or `never`. */
export function LastTime({ at, never }: { at: string | null | undefined; never: string }) {
  return at ? (
    <time dateTime={at} title={formatDateTime(at)}>
      {formatRelative(at)}
    </time>
  ) : (
    <>{never}</>
  );
}

/** An inline create form in a card: header, the error above the fields, the fields in a grid, the actions. */
export function CreateFormCard({
  testId,
  title,
  description,
  formError,
  onSubmit,
  gridClassName,
  actions,
  children,
}: {
  testId: string;
  title: string;
  description: string;
  formError: React.ReactNode;
  onSubmit: (e: React.FormEvent) => void;
  /** The grid's columns, e.g. "sm:grid-cols-2". */
  gridClassName: string;
  actions: React.ReactNode;
  children: React.ReactNode;
}) {
  return (
    <Card data-testid={testId}>
      <FormHeader title={title} description={description} />
      <form onSubmit={onSubmit} noValidate>
        <CardContent className="space-y-4">
          {formError ? <Alert tone="error">{formError}</Alert> : null}
          <div className={cn("grid gap-4", gridClassName)}>{children}</div>
        </CardContent>
        <CardFooter>{actions}</CardFooter>
      </form>
    </Card>
  );
}

/** One item of an admin list: its name with badges, details below, controls beside, then `children`. */
export function RowCard({
  title,
  titleId,
  badges,
  details,
  aside,
  testId,
  children,
}: {
  title: string;
  titleId?: string;
  badges: React.ReactNode;
  details: React.ReactNode;
  aside: React.ReactNode;
  testId: string;
  children?: React.ReactNode;
}) {
  return (
    <Card className="p-4 sm:p-5" data-testid={testId} aria-labelledby={titleId}>
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <div className="flex flex-wrap items-center gap-2">
            <h3 id={titleId} className="font-semibold break-all">
              {title}
            </h3>
            {badges}
          </div>
          {details}
        </div>
        {aside}
      </div>
      {children}
    </Card>
  );
}
