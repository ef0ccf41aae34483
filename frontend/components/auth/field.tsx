"use client";

import * as React from "react";
import { useFormState, type FieldValues, type Path, type UseFormReturn } from "react-hook-form";
import { Button, type ButtonProps } from "@/components/ui/button";
import { FieldHint, Input, Label } from "@/components/ui/input";
import { Spinner } from "@/components/ui/spinner";
import { errorMessage, isApiError } from "@/lib/api";
import { cn } from "@/lib/utils";

type TextFieldProps = Omit<React.InputHTMLAttributes<HTMLInputElement>, "id"> & {
  id: string;
  label: string;
  error?: string;
  hint?: React.ReactNode;
};

/** A labelled input with an optional hint and its error line (aria-invalid, aria-describedby). */
export const TextField = React.forwardRef<HTMLInputElement, TextFieldProps>(function TextField(
  { id, label, error, hint, className, ...props },
  ref,
) {
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

/** A `TextField` bound to field `name` of a react-hook-form form: its value, and its error (browser's or server's). */
export function FormTextField<T extends FieldValues, TOut extends FieldValues = T>({
  form,
  name,
  ...props
}: Omit<TextFieldProps, "error" | "name" | "form"> & {
  form: Pick<UseFormReturn<T, unknown, TOut>, "control" | "register" | "getFieldState">;
  name: Path<T>;
}) {
  const { error } = form.getFieldState(name, useFormState({ control: form.control, name }));
  return <TextField {...props} {...form.register(name)} error={error?.message} />;
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
 * Puts a caught API error on a react-hook-form form: each of the server's
 * field errors (422 `errors[]`, server names mapped through `rename`) at the
 * form's field of that name, the first one focused. Returns the message for
 * the alert above the form, or null when every error found its field.
 */
export function applyServerErrors<T extends FieldValues>(
  form: Pick<UseFormReturn<T>, "getValues" | "setError">,
  err: unknown,
  rename: Readonly<Record<string, Path<T>>> = {},
): string | null {
  const known = new Set(Object.keys(form.getValues()));
  const placed = Object.entries(serverFieldErrors(err, rename)).filter(([name]) => known.has(name));
  placed.forEach(([name, message], i) => form.setError(name as Path<T>, { type: "server", message }, { shouldFocus: i === 0 }));
  const unplaced = isApiError(err) && err.fieldErrors.some(({ field }) => !known.has(rename[field] ?? field));
  return placed.length > 0 && !unplaced ? null : errorMessage(err);
}

/**
 * The submit flow of a form that asks the server: the schema's checks first
 * (errors at their fields), then `send(values)`; a refusal goes through
 * `applyServerErrors`, or `alertFor` when it has its own words for it.
 * `formError` is for the alert above the form.
 */
export function useServerSubmit<TIn extends FieldValues, TOut extends FieldValues>(
  form: UseFormReturn<TIn, unknown, TOut>,
  send: (values: TOut) => Promise<void>,
  { rename, alertFor }: { rename?: Readonly<Record<string, Path<TIn>>>; alertFor?: (err: unknown) => React.ReactNode } = {},
) {
  const [formError, setFormError] = React.useState<React.ReactNode>(null);
  function onSubmit(e: React.FormEvent) {
    setFormError(null);
    void form.handleSubmit(async (values) => {
      try {
        await send(values);
      } catch (err) {
        setFormError(alertFor?.(err) || applyServerErrors(form, err, rename));
      }
    })(e);
  }
  return { onSubmit, formError, busy: form.formState.isSubmitting };
}

/** A form's submit button (spinner while busy) and its Cancel. */
export function FormActions({
  busy,
  label,
  icon,
  onCancel,
  submitTestId,
  size,
  cancelFirst = false,
  className,
}: {
  busy: boolean;
  label: string;
  icon?: React.ReactNode;
  onCancel: () => void;
  submitTestId?: string;
  size?: ButtonProps["size"];
  /** Cancel before the submit button, both at the end (a dialog's footer). */
  cancelFirst?: boolean;
  className?: string;
}) {
  const submit = (
    <Button key="submit" type="submit" size={size} disabled={busy} data-testid={submitTestId}>
      {busy ? <Spinner /> : icon} {label}
    </Button>
  );
  const cancel = (
    <Button key="cancel" variant="ghost" size={size} onClick={onCancel}>
      Cancel
    </Button>
  );
  return (
    <div className={cn("flex flex-wrap gap-2", cancelFirst && "justify-end pt-1", className)}>
      {cancelFirst ? [cancel, submit] : [submit, cancel]}
    </div>
  );
}
