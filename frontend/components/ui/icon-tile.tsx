import * as React from "react";
import { cn } from "@/lib/utils";

/** The muted square that holds an item's icon at the start of a card's header (size-10 unless told). */
export function IconTile({ className, children }: { className?: string; children: React.ReactNode }) {
  return (
    <span className={cn("flex size-10 shrink-0 items-center justify-center rounded-lg bg-muted text-muted-foreground", className)}>
      {children}
    </span>
  );
}
