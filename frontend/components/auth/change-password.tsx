"use client";

import { useForm } from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import { z } from "zod";
import { Alert } from "@/components/ui/alert";
import { Dialog } from "@/components/ui/dialog";
import { FormActions, FormTextField, useServerSubmit } from "@/components/auth/field";
import { NewPasswordFields } from "@/components/auth/new-password-fields";
import { NEW_PASSWORD_DEFAULTS, withNewPassword } from "@/components/auth/password-schema";
import { api } from "@/lib/api";

const changePasswordSchema = withNewPassword({ current_password: z.string().min(1, "Enter your current password.") }).refine(
  (v) => !v.password || v.password !== v.current_password,
  { path: ["password"], message: "Choose a password different from the current one." },
);
type ChangePasswordValues = z.infer<typeof changePasswordSchema>;
/** The server names the new password `new_password`; the shared fields call it `password`. */
const SERVER_FIELDS = { new_password: "password" } as const;

/** Change one's own password: current, new, confirmation; the server ends the other sessions. */
export function ChangePasswordDialog({ username, onClose, onChanged }: { username: string; onClose: () => void; onChanged: () => void }) {
  const form = useForm<ChangePasswordValues>({
    resolver: zodResolver(changePasswordSchema),
    defaultValues: { current_password: "", ...NEW_PASSWORD_DEFAULTS },
  });
  const { onSubmit, formError, busy } = useServerSubmit(
    form,
    async ({ current_password, password }) => {
      await api.auth.changePassword({ current_password, new_password: password });
      onChanged();
    },
    { rename: SERVER_FIELDS },
  );

  return (
    <Dialog
      title="Change password"
      description="Your other sessions are signed out; this one stays signed in."
      onClose={onClose}
      testId="change-password-dialog"
    >
      <form className="space-y-4" onSubmit={onSubmit} noValidate>
        {formError ? <Alert tone="error">{formError}</Alert> : null}
        {/* For password managers: the account whose password changes. */}
        <input type="text" autoComplete="username" value={username} readOnly hidden />
        <FormTextField
          form={form}
          name="current_password"
          id="pw-current"
          label="Current password"
          type="password"
          autoComplete="current-password"
        />
        <NewPasswordFields form={form} idPrefix="pw" label="New password" confirmLabel="Confirm new password" />
        <FormActions busy={busy} label="Change password" onCancel={onClose} submitTestId="pw-submit" cancelFirst />
      </form>
    </Dialog>
  );
}
