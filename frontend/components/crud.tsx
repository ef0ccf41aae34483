"use client";

import * as React from "react";
import { Plus, Trash2 } from "lucide-react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { Spinner } from "@/components/ui/spinner";
import { ErrorState, LoadingState, PageHeader } from "@/components/states";
import type { Notice } from "@/lib/use-save-notice";
import type { Resource } from "@/lib/use-resource";

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
  resource: Resource<T[]>;
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
  resource: Resource<T[]>;
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
