"use client";

import type { UseFormReturn } from "react-hook-form";
import { FormTextField } from "@/components/auth/field";
import { PASSWORD_POLICY, type NewPasswordValues } from "@/components/auth/password-schema";

/**
 * The new password (with the policy as its hint) and its confirmation, bound
 * to the `password` and `confirm` fields of a form built on `withNewPassword`.
 * Ids: `${idPrefix}-password`, `${idPrefix}-confirm`.
 */
export function NewPasswordFields<T extends NewPasswordValues>({
  form,
  idPrefix,
  label = "Password",
  confirmLabel = "Confirm password",
  autoFocus,
}: {
  form: UseFormReturn<T>;
  idPrefix: string;
  label?: string;
  confirmLabel?: string;
  autoFocus?: boolean;
}) {
  // The two names exist on every such form; TypeScript cannot see it through the generic.
  const f = form as unknown as UseFormReturn<NewPasswordValues>;
  return (
    <>
      <FormTextField
        form={f}
        name="password"
        id={`${idPrefix}-password`}
        label={label}
        type="password"
        autoComplete="new-password"
        hint={PASSWORD_POLICY}
        autoFocus={autoFocus}
      />
      <FormTextField form={f} name="confirm" id={`${idPrefix}-confirm`} label={confirmLabel} type="password" autoComplete="new-password" />
    </>
  );
}
