"use client";

import * as React from "react";
import { errorMessage } from "./api";

export type Notice = { tone: "success" | "error"; text: string };

/**
 * A save button's state: `run(action)` marks it saving, clears the notice, and
 * shows the text `action` resolves to, or the error it throws.
 */
export function useSaveNotice() {
  const [saving, setSaving] = React.useState(false);
  const [notice, setNotice] = React.useState<Notice | null>(null);

  async function run(action: () => Promise<string>) {
    setSaving(true);
    setNotice(null);
    try {
      setNotice({ tone: "success", text: await action() });
    } catch (err) {
      setNotice({ tone: "error", text: errorMessage(err) });
    } finally {
      setSaving(false);
    }
  }

  return { saving, notice, setNotice, run };
}
