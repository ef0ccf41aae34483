import { Fingerprint } from "lucide-react";
import { cn } from "@/lib/utils";

/**
 * A key's fingerprint (12 hex characters, as the CLI and the start-up summary
 * print it), always in this badge so it reads the same everywhere.
 */
export function KeyFingerprint({ value, className }: { value: string; className?: string }) {
  return (
    <span
      className={cn(
        "inline-flex items-center gap-1.5 rounded-md border bg-muted px-2 py-0.5 font-mono text-sm tracking-wider text-foreground",
        className,
      )}
      title="Key fingerprint"
    >
      <Fingerprint className="size-3.5 shrink-0 text-muted-foreground" aria-hidden />
      <span data-testid="key-fingerprint">{value}</span>
    </span>
  );
}
