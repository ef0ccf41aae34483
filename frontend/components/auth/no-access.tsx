import Link from "next/link";
import { Lock } from "lucide-react";
import { EmptyState } from "@/components/states";

/** What a signed-in user sees on a page their role may not use. */
export function NoAccess() {
  return (
    <EmptyState
      icon={<Lock />}
      title="You don't have access to this page"
      className="mt-6"
      action={
        <Link
          href="/"
          className="inline-flex h-10 items-center rounded-md border border-input bg-card px-4 text-sm font-medium hover:bg-muted focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none"
        >
          Back to events
        </Link>
      }
    >
      Your account can see events, notifications and cameras. Ask an admin of this installation if you need more.
    </EmptyState>
  );
}
