"use client";

import { useRouter } from "next/navigation";
import { PageHeader } from "@/components/states";
import { KeyBackup } from "@/components/auth/key-backup";

/** /setup/key: the onboarding's key step again, for admins, inside the dashboard. */
export function KeyBackupPage() {
  const router = useRouter();
  return (
    <div className="max-w-3xl">
      <PageHeader
        title="Encryption key"
        description="Where the key that protects stored secrets lives, its fingerprint, and its backup."
      />
      <KeyBackup onDone={() => router.push("/")} doneLabel="Done" />
    </div>
  );
}
