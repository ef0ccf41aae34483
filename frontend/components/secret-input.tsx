"use client";

import * as React from "react";
import { KeyRound, LockKeyhole } from "lucide-react";
import { FieldHint, Input, Label } from "@/components/ui/input";
import { cn } from "@/lib/utils";

export interface SecretInputProps
  extends Omit<React.InputHTMLAttributes<HTMLInputElement>, "type" | "value" | "defaultValue" | "onChange"> {
  id: string;
  label: string;
  /** Whether a secret is stored already (the field then means "replace"). */
  stored: boolean;
  value: string;
  onValueChange: (value: string) => void;
  hint?: React.ReactNode;
  invalid?: boolean;
}

/**
 * A write-only secret field. It is never pre-filled: the stored secret stays on
 * the server and an empty field means "keep what is stored" ("Set · Replace").
 */
export const SecretInput = React.forwardRef<HTMLInputElement, SecretInputProps>(function SecretInput(
  { id, label, stored, value, onValueChange, hint, invalid, className, placeholder, ...props },
  ref,
) {
  const hintId = `${id}-hint`;
  return (
    <div className="space-y-1.5">
      <div className="flex items-center justify-between gap-2">
        <Label htmlFor={id}>{label}</Label>
        <span
          className={cn(
            "inline-flex items-center gap-1 text-xs",
            stored ? "text-success" : "text-muted-foreground",
          )}
          data-testid={`${id}-state`}
        >
          {stored ? (
            <>
              <LockKeyhole className="size-3" aria-hidden /> Set · Replace
            </>
          ) : (
            <>
              <KeyRound className="size-3" aria-hidden /> Not set
            </>
          )}
        </span>
      </div>
      <Input
        ref={ref}
        id={id}
        type="password"
        // Never pre-filled: the value is only what the user types now.
        value={value}
        onChange={(e) => onValueChange(e.target.value)}
        autoComplete="new-password"
        autoCapitalize="off"
        autoCorrect="off"
        spellCheck={false}
        placeholder={placeholder ?? (stored ? "•••••••• (leave empty to keep)" : "")}
        aria-describedby={hintId}
        aria-invalid={invalid || undefined}
        className={cn("font-mono", className)}
        {...props}
      />
      <FieldHint id={hintId}>
        {hint ?? (stored ? "Stored encrypted. Leave empty to keep it, or type a new value to replace it." : "Write-only: it is stored encrypted and never shown again.")}
      </FieldHint>
    </div>
  );
});
