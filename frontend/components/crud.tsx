"use client";

import * as React from "react";
import { Pencil, Plus, Save, Trash2 } from "lucide-react";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { CardDescription, CardFooter, CardHeader, CardTitle } from "@/components/ui/card";
import { Spinner } from "@/components/ui/spinner";
import { Switch } from "@/components/ui/switch";
import { useMutation } from "@tanstack/react-query";
import { PageHeader, QueryState } from "@/components/states";
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
  function rowHandlers(item: T): RowHandlers<T> {
    return { onEdit: () => startEdit(item), onChanged, onDeleted: () => onDeleted(item), onError: setActionError };
  }

  return { rowHandlers, editing, setEditing, notice, setNotice, actionError, setActionError, onSaved, startNew };
}

/** What a row of a list page gets from `useCrudList().rowHandlers(item)`. */
export interface RowHandlers<T> {
  onEdit: () => void;
  onChanged: (item: T) => void;
  onDeleted: () => void;
  onError: (message: string | null) => void;
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
  return (
    <QueryState query={resource} loadingLabel={loadingLabel} isEmpty={(list) => list.length === 0} empty={empty}>
      {children}
    </QueryState>
  );
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

/** A settings card's footer: its submit button (a spinner while saving) and the save's notice. */
export function SaveFooter({
  label,
  saving,
  notice,
  testId,
}: {
  label: string;
  saving: boolean;
  notice: Notice | null;
  testId: string;
}) {
  return (
    <CardFooter>
      <Button type="submit" disabled={saving} data-testid={testId}>
        {saving ? <Spinner /> : <Save aria-hidden />} {label}
      </Button>
      <NoticeText notice={notice} />
    </CardFooter>
  );
}

/**
 * A list page's inline form while an item (or "new") is being edited, or null.
 * It is keyed by the item, so switching items opens a fresh form.
 */
export function editForm<T extends Named>(
  crud: { editing: T | "new" | null; setEditing: (editing: null) => void; onSaved: (saved: T, created: boolean) => void },
  render: (item: T | null, handlers: { onSaved: (saved: T, created: boolean) => void; onCancel: () => void }) => React.ReactNode,
): React.ReactNode {
  if (crud.editing === null) return null;
  const item = crud.editing === "new" ? null : crud.editing;
  return (
    <React.Fragment key={item?.id ?? "new"}>{render(item, { onSaved: crud.onSaved, onCancel: () => crud.setEditing(null) })}</React.Fragment>
  );
}

/** The button of an empty list page's empty state: it opens the form for a new item. */
export function AddFirstButton({ crud, children }: { crud: { setEditing: (editing: "new") => void }; children: React.ReactNode }) {
  return (
    <Button onClick={() => crud.setEditing("new")}>
      <Plus aria-hidden /> {children}
    </Button>
  );
}

type RowActions = ReturnType<typeof useRowActions>;

/** "Enabled" / "Disabled", as a list row shows its item's state. */
export function EnabledBadge({ enabled }: { enabled: boolean }) {
  return <Badge tone={enabled ? "success" : "neutral"}>{enabled ? "Enabled" : "Disabled"}</Badge>;
}

/** The switch that enables or disables a row's item (named "<name> enabled"). */
export function RowEnabledSwitch({ row, item }: { row: RowActions; item: Named & { is_enabled: boolean } }) {
  return (
    <Switch
      checked={item.is_enabled}
      onCheckedChange={(v) => void row.toggle(v)}
      disabled={row.toggling}
      aria-label={`${item.name} enabled`}
    />
  );
}

/** A row's Edit button (named "Edit <name>"). */
export function RowEditButton({ name, onEdit }: { name: string; onEdit: () => void }) {
  return (
    <Button variant="outline" size="sm" onClick={onEdit} aria-label={`Edit ${name}`}>
      <Pencil aria-hidden /> Edit
    </Button>
  );
}

/** A row's Delete button, at the end of its button line, asking again before deleting. */
export function RowDeleteButton({ row, name }: { row: RowActions; name: string }) {
  return (
    <div className="ml-auto">
      <ConfirmDeleteButton
        confirming={row.confirmDelete}
        onConfirmingChange={row.setConfirmDelete}
        onConfirm={() => void row.remove()}
        busy={row.deleting}
        groupLabel={`Confirm deleting ${name}`}
        triggerLabel={`Delete ${name}`}
      />
    </div>
  );
}
