"use client";

import * as React from "react";
import * as DialogPrimitive from "@radix-ui/react-dialog";
import { X } from "lucide-react";
import { Button } from "@/components/ui/button";
import { cn } from "@/lib/utils";

/** Open on the first field rather than on the close button. */
function focusFirstField(event: Event) {
  const content = event.currentTarget as HTMLElement;
  const field = content.querySelector<HTMLElement>("input:not([type=hidden]):not([hidden]):not([aria-hidden=true]), select, textarea");
  if (!field) return;
  event.preventDefault();
  field.focus();
}

/**
 * A modal dialog on Radix's Dialog: focus moves into it when it opens and back
 * to where it was when it closes; Escape, a click outside and the close
 * button call `onClose`; Tab stays inside.
 */
export function Dialog({
  title,
  description,
  onClose,
  children,
  className,
  testId,
}: {
  title: string;
  description?: React.ReactNode;
  onClose: () => void;
  children: React.ReactNode;
  className?: string;
  testId?: string;
}) {
  // Radix returns focus to its Trigger; these dialogs are opened by the page (no
  // Trigger), so focus goes back to what had it when the dialog first rendered.
  const [returnTo] = React.useState<HTMLElement | null>(() =>
    typeof document === "undefined" ? null : (document.activeElement as HTMLElement | null),
  );
  const restoreFocus = React.useCallback(
    (event: Event) => {
      if (!returnTo?.isConnected) return;
      event.preventDefault();
      returnTo.focus();
    },
    [returnTo],
  );
  return (
    <DialogPrimitive.Root open onOpenChange={(open) => (open ? undefined : onClose())}>
      <DialogPrimitive.Portal>
        <DialogPrimitive.Overlay className="fixed inset-0 z-50 bg-black/40" />
        <div className="pointer-events-none fixed inset-0 z-50 flex items-start justify-center overflow-y-auto p-4 sm:items-center">
          <DialogPrimitive.Content
            data-testid={testId}
            onOpenAutoFocus={focusFirstField}
            onCloseAutoFocus={restoreFocus}
            {...(description ? {} : { "aria-describedby": undefined })}
            className={cn("pointer-events-auto w-full max-w-md rounded-xl border bg-card p-5 shadow-xl outline-none", className)}
          >
            <div className="mb-4 flex items-start justify-between gap-3">
              <div className="min-w-0">
                <DialogPrimitive.Title className="text-lg font-semibold">{title}</DialogPrimitive.Title>
                {description ? (
                  <DialogPrimitive.Description className="mt-1 text-sm text-muted-foreground">{description}</DialogPrimitive.Description>
                ) : null}
              </div>
              <DialogPrimitive.Close asChild>
                <Button variant="ghost" size="icon" aria-label="Close">
                  <X aria-hidden />
                </Button>
              </DialogPrimitive.Close>
            </div>
            {children}
          </DialogPrimitive.Content>
        </div>
      </DialogPrimitive.Portal>
    </DialogPrimitive.Root>
  );
}
