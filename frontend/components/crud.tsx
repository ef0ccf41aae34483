"use client";

import * as React from "react";
import { Plus, Trash2 } from "lucide-react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Spinner } from "@/components/ui/spinner";
import { useMutation } from "@tanstack/react-query";
import { ErrorState, LoadingState, PageHeader } from "@/components/states";
import { errorMessage } from "@/lib/api";
import type { ApiQuery } from "@/lib/query";
import type { Notice } from "@/lib/use-save-notice";

interface Named {
  id: number;
  name: string;
}

/**
 * State of a list page with an inline create/edit form: which item is being
 * edited, the success notice, and the error of the last row action. Saves
 * and deletes update the cached list in place (every page showing it agrees).
 * `noun` starts the notices ("Camera “x” saved."); `createdVerb` ends the one
 * for a new item.
 */
export function useCrudList<T extends Named>(items: ApiQuery<T[]>, noun: string, createdVerb: string) {
  const [editing, setEditing] = React.useState<T | "new" | null>(null);
  const [notice, setNotice] = React.useState<string | null>(null);
  const [actionError, setActionError] = React.useState<string | null>(null);

  function onSaved(saved: T, created: boolean) {
    items.setData((prev = []) => (created ? [...prev, saved] : prev.map((x) => (x.id === saved.id ? saved : x))));
    setEditing(null);
    setNotice(created ? `${noun} “${saved.name}” ${createdVerb}.` : `${noun} “${saved.name}” saved.`);
  }

  function startNew() {
    setNotice(null);
    setEditing("new");
  }

  function startEdit(item: T) {
    setNotice(null);
    setEditing(item);
    window.scrollTo({ top: 0, behavior: "smooth" });
  }

  function onChanged(item: T) {
    items.setData((prev = []) => prev.map((x) => (x.id === item.id ? item : x)));
  }

  function onDeleted(item: T) {
    items.setData((prev = []) => prev.filter((x) => x.id !== item.id));
    if (editing !== null && editing !== "new" && editing.id === item.id) setEditing(null);
    setNotice(`${noun} “${item.name}” deleted.`);
  }

  /** The handlers a row of the list takes. */
  function rowHandlers(item: T) {
    return { onEdit: () => startEdit(item), onChanged, onDeleted: () => onDeleted(item), onError: setActionError };
  }

  return { rowHandlers, editing, setEditing, notice, setNotice, actionError, setActionError, onSaved, startNew };
}

/** Enable/disable and delete (behind a confirmation) for one row of a list page. */
export function useRowActions<T extends Named>(
  item: T,
  {
    update,
    remove,
    onChanged,
    onDeleted,
    onError,
  }: {
    update: (enabled: boolean) => Promise<T>;
    remove: () => Promise<unknown>;
    onChanged: (item: T) => void;
    onDeleted: () => void;
    onError: (message: string | null) => void;
  },
) {
  const [confirmDelete, setConfirmDelete] = React.useState(false);
  const toggleMutation = useMutation({
    mutationFn: update,
    onMutate: () => onError(null),
    onSuccess: onChanged,
    onError: (err) => onError(`Could not update “${item.name}”: ${errorMessage(err)}`),
  });
  const removeMutation = useMutation({
    mutationFn: remove,
    onMutate: () => onError(null),
    onSuccess: onDeleted,
    onError: (err) => {
      onError(`Could not delete “${item.name}”: ${errorMessage(err)}`);
      setConfirmDelete(false);
    },
  });

  return {
    toggling: toggleMutation.isPending,
    toggle: (enabled: boolean) => toggleMutation.mutate(enabled),
    confirmDelete,
    setConfirmDelete,
    deleting: removeMutation.isPending || removeMutation.isSuccess,
    remove: () => removeMutation.mutate(),
  };
}

/** A list page's dismissable success notice and the error of the last row action. */
export function ListNotices({
  notice,
  actionError,
  onDismiss,
}: {
  notice: string | null;
  actionError: string | null;
  onDismiss: () => void;
}) {
  return (
    <>
      {notice ? (
        <Alert
          tone="success"
          action={
            <Button variant="ghost" size="sm" onClick={onDismiss}>
              Dismiss
            </Button>
          }
        >
          {notice}
        </Alert>
      ) : null}
      {actionError ? <Alert tone="error">{actionError}</Alert> : null}
    </>
  );
}

/**
 * The body of a list page: loading, load error (with retry), `empty` when the
 * list is empty, otherwise `children(list)`.
 */
export function ResourceList<T>({
  resource,
  loadingLabel,
  empty,
  children,
}: {
  resource: ApiQuery<T[]>;
  loadingLabel: string;
  empty: React.ReactNode;
  children: (list: T[]) => React.ReactNode;
}) {
  if (resource.loading && !resource.data) return <LoadingState label={loadingLabel} />;
  if (!resource.data)
    return <ErrorState message={resource.error ?? "Unknown error"} onRetry={() => void resource.reload()} />;
  if (resource.data.length === 0) return <>{empty}</>;
  return <>{children(resource.data)}</>;
}

/**
 * A list page with an inline create/edit form: the header with the add button
 * (hidden while the form is open), the notices, the form, then the list.
 * `empty` shows for an empty list unless the form is open.
 */
export function ListPage<T>({
  title,
  description,
  addLabel,
  addTestId,
  crud,
  form,
  resource,
  loadingLabel,
  empty,
  children,
}: {
  title: string;
  description: React.ReactNode;
  addLabel: string;
  addTestId: string;
  crud: {
    editing: unknown;
    notice: string | null;
    actionError: string | null;
    setNotice: (notice: string | null) => void;
    startNew: () => void;
  };
  form: React.ReactNode;
  resource: ApiQuery<T[]>;
  loadingLabel: string;
  empty: React.ReactNode;
  children: (list: T[]) => React.ReactNode;
}) {
  return (
    <>
      <PageHeader
        title={title}
        description={description}
        actions={
          crud.editing === null ? (
            <Button onClick={crud.startNew} data-testid={addTestId}>
              <Plus aria-hidden /> {addLabel}
            </Button>
          ) : null
        }
      />
      <div className="space-y-6">
        <ListNotices notice={crud.notice} actionError={crud.actionError} onDismiss={() => crud.setNotice(null)} />
        {form}
        <ResourceList resource={resource} loadingLabel={loadingLabel} empty={crud.editing === null ? empty : null}>
          {children}
        </ResourceList>
      </div>
    </>
  );
}

/** The header of an inline create/edit form; its title takes the focus when the form opens. */
export function FormHeader({ title, description }: { title: string; description: React.ReactNode }) {
  const headingRef = React.useRef<HTMLSpanElement>(null);

  React.useEffect(() => {
    headingRef.current?.focus();
  }, []);

  return (
    <CardHeader>
      <CardTitle as="h2">
        <span ref={headingRef} tabIndex={-1} className="outline-none">
          {title}
        </span>
      </CardTitle>
      <CardDescription>{description}</CardDescription>
    </CardHeader>
  );
}

/** A destructive button that asks again (Confirm / Cancel) before acting. */
export function ConfirmDeleteButton({
  confirming,
  onConfirmingChange,
  onConfirm,
  busy,
  groupLabel,
  label = "Delete",
  triggerLabel,
  prompt,
  spinner = true,
  confirmTestId,
  triggerTestId,
}: {
  confirming: boolean;
  onConfirmingChange: (confirming: boolean) => void;
  onConfirm: () => void;
  busy: boolean;
  /** aria-label of the Confirm / Cancel group. */
  groupLabel: string;
  label?: string;
  /** aria-label of the first button. */
  triggerLabel?: string;
  prompt?: string;
  /** Show a spinner in the confirm button while busy. */
  spinner?: boolean;
  confirmTestId?: string;
  triggerTestId?: string;
}) {
  return confirming ? (
    <div className="flex items-center gap-2" role="group" aria-label={groupLabel}>
      {prompt ? <span className="text-xs text-muted-foreground">{prompt}</span> : null}
      <Button variant="destructive" size="sm" onClick={onConfirm} disabled={busy} data-testid={confirmTestId}>
        {spinner ? (
          <>
            {busy ? <Spinner /> : null} {label}
          </>
        ) : (
          label
        )}
      </Button>
      <Button variant="ghost" size="sm" onClick={() => onConfirmingChange(false)}>
        Cancel
      </Button>
    </div>
  ) : (
    <Button
      variant="ghost"
      size="sm"
      className="text-destructive hover:bg-danger-soft"
      onClick={() => onConfirmingChange(true)}
      aria-label={triggerLabel}
      data-testid={triggerTestId}
    >
      <Trash2 aria-hidden /> {label}
    </Button>
  );
}

/** The line under a save button: "saved" (status) or the error (alert). */
export function NoticeText({ notice }: { notice: Notice | null }) {
  return notice ? (
    <p
      role={notice.tone === "error" ? "alert" : "status"}
      className={notice.tone === "error" ? "text-sm text-destructive" : "text-sm text-success"}
    >
      {notice.text}
    </p>
  ) : null;
}
