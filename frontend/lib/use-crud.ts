"use client";

import * as React from "react";
import { errorMessage } from "./api";
import type { Resource } from "./use-resource";

interface Named {
  id: number;
  name: string;
}

/**
 * State of a list page with an inline create/edit form: which item is being
 * edited, the success notice, and the error of the last row action.
 * `noun` starts the notices ("Camera “x” saved."); `createdVerb` ends the one
 * for a new item.
 */
export function useCrudList<T extends Named>(items: Resource<T[]>, noun: string, createdVerb: string) {
  const [editing, setEditing] = React.useState<T | "new" | null>(null);
  const [notice, setNotice] = React.useState<string | null>(null);
  const [actionError, setActionError] = React.useState<string | null>(null);

  function onSaved(saved: T, created: boolean) {
    items.setData((prev) => {
      const list = prev ?? [];
      return created ? [...list, saved] : list.map((x) => (x.id === saved.id ? saved : x));
    });
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
    items.setData((prev) => (prev ?? []).map((x) => (x.id === item.id ? item : x)));
  }

  function onDeleted(item: T) {
    items.setData((prev) => (prev ?? []).filter((x) => x.id !== item.id));
    if (editing !== null && editing !== "new" && editing.id === item.id) setEditing(null);
    setNotice(`${noun} “${item.name}” deleted.`);
  }

  /** The handlers a row of the list takes. */
  function rowHandlers(item: T) {
    return {
      onEdit: () => startEdit(item),
      onChanged,
      onDeleted: () => onDeleted(item),
      onError: setActionError,
    };
  }

  return {
    rowHandlers,
    editing,
    setEditing,
    notice,
    setNotice,
    actionError,
    setActionError,
    onSaved,
    startNew,
    startEdit,
    onChanged,
    onDeleted,
  };
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
  const [toggling, setToggling] = React.useState(false);
  const [confirmDelete, setConfirmDelete] = React.useState(false);
  const [deleting, setDeleting] = React.useState(false);

  async function toggle(enabled: boolean) {
    setToggling(true);
    onError(null);
    try {
      onChanged(await update(enabled));
    } catch (err) {
      onError(`Could not update “${item.name}”: ${errorMessage(err)}`);
    } finally {
      setToggling(false);
    }
  }

  async function removeItem() {
    setDeleting(true);
    onError(null);
    try {
      await remove();
      onDeleted();
    } catch (err) {
      onError(`Could not delete “${item.name}”: ${errorMessage(err)}`);
      setDeleting(false);
      setConfirmDelete(false);
    }
  }

  return { toggling, toggle, confirmDelete, setConfirmDelete, deleting, remove: removeItem };
}
