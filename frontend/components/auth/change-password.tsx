"use client";

import * as React from "react";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { Spinner } from "@/components/ui/spinner";
import { PASSWORD_POLICY, TextField, checkNewPassword, useFormSubmit } from "@/components/auth/field";
import { api } from "@/lib/api";

/** Change one's own password: current, new, confirmation; the server ends the other sessions. */
export function ChangePasswordDialog({ username, onClose, onChanged }: { username: string; onClose: () => void; onChanged: () => void }) {
  const [current, setCurrent] = React.useState("");
  const [next, setNext] = React.useState("");
  const [confirm, setConfirm] = React.useState("");
  const { errors, formError, busy, submit } = useFormSubmit();

  async function onSubmit(e: React.FormEvent) {
    e.preventDefault();
    const found: Record<string, string> = {};
    if (!current) found.current_password = "Enter your current password.";
    Object.assign(found, checkNewPassword(next, confirm, { passwordField: "new_password", username }));
    if (!found.new_password && current && next === current) found.new_password = "Choose a password different from the current one.";
    await submit(found, async () => {
      await api.auth.changePassword({ current_password: current, new_password: next });
      onChanged();
    });
  }

  return (
    <Dialog
      title="Change password"
      description="Your other sessions are signed out; this one stays signed in."
      onClose={onClose}
      testId="change-password-dialog"
    >
      <form className="space-y-4" onSubmit={(e) => void onSubmit(e)} noValidate>
        {formError ? <Alert tone="error">{formError}</Alert> : null}
        {/* For password managers: the account whose password changes. */}
        <input type="text" autoComplete="username" value={username} readOnly hidden />
        <TextField
          id="pw-current"
          label="Current password"
          type="password"
          autoComplete="current-password"
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
          error={errors.current_password}
        />
        <TextField
          id="pw-new"
          label="New password"
          type="password"
          autoComplete="new-password"
          value={next}
          onChange={(e) => setNext(e.target.value)}
          error={errors.new_password}
          hint={PASSWORD_POLICY}
        />
        <TextField
          id="pw-confirm"
          label="Confirm new password"
          type="password"
          autoComplete="new-password"
          value={confirm}
          onChange={(e) => setConfirm(e.target.value)}
          error={errors.confirm}
        />
        <div className="flex flex-wrap justify-end gap-2 pt-1">
          <Button variant="ghost" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" disabled={busy} data-testid="pw-submit">
            {busy ? <Spinner /> : null} Change password
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
