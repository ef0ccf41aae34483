"use client";

import * as React from "react";
import { FieldHint, Input, Label } from "@/components/ui/input";
import { errorMessage, isApiError } from "@/lib/api";

/** A labelled input with an optional hint and its error line (aria-invalid, aria-describedby). */
export const TextField = React.forwardRef<
  HTMLInputElement,
  Omit<React.InputHTMLAttributes<HTMLInputElement>, "id"> & {
    id: string;
    label: string;
    error?: string;
    hint?: React.ReactNode;
  }
>(function TextField({ id, label, error, hint, className, ...props }, ref) {
  const describedBy = [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className={className ?? "space-y-1.5"}>
      <Label htmlFor={id}>{label}</Label>
      <Input ref={ref} id={id} aria-invalid={error ? true : undefined} aria-describedby={describedBy} {...props} />
      {hint ? <FieldHint id={`${id}-hint`}>{hint}</FieldHint> : null}
      {error ? (
        <p id={`${id}-error`} className="text-xs text-destructive" data-testid={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  );
});

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_POLICY = "At least 12 characters, not a common password, and not the username.";

/**
 * Checks the browser can make before asking the server (which also refuses
 * common passwords): length and the confirmation. Keys are the form's fields.
 */
export function checkNewPassword(
  password: string,
  confirmation: string,
  { passwordField = "password", confirmField = "confirm", username }: { passwordField?: string; confirmField?: string; username?: string } = {},
): Record<string, string> {
  const errors: Record<string, string> = {};
  if (password.length < PASSWORD_MIN_LENGTH) errors[passwordField] = `Use at least ${PASSWORD_MIN_LENGTH} characters.`;
  else if (password.length > 256) errors[passwordField] = "Use at most 256 characters.";
  else if (username && password.toLowerCase() === username.trim().toLowerCase())
    errors[passwordField] = "The password must not be the username.";
  if (confirmation !== password) errors[confirmField] = "The two passwords are not the same.";
  return errors;
}

/** The server's field errors (422 `errors[]`) by field, with the form's own names where they differ. */
export function serverFieldErrors(err: unknown, rename: Record<string, string> = {}): Record<string, string> {
  if (!isApiError(err)) return {};
  const out: Record<string, string> = {};
  for (const { field, message } of err.fieldErrors) {
    const name = rename[field] ?? field;
    if (name && !out[name]) out[name] = message;
  }
  return out;
}

/**
 * A form's error and busy state with the one submit flow the account forms share:
 * show the browser-side `found` errors (and stop) or run `action`, then put the
 * server's field errors at their fields, anything else above the form.
 */
export function useFormSubmit() {
  const [errors, setErrors] = React.useState<Record<string, string>>({});
  const [formError, setFormError] = React.useState<string | null>(null);
  const [busy, setBusy] = React.useState(false);

  async function submit(found: Record<string, string>, action: () => Promise<void>): Promise<void> {
    setErrors(found);
    setFormError(null);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    try {
      await action();
    } catch (err) {
      const fields = serverFieldErrors(err);
      if (Object.keys(fields).length > 0) setErrors(fields);
      else setFormError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return { errors, formError, busy, submit };
}
