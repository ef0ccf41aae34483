import type { Metadata } from "next";
import { KeyBackupPage } from "@/components/auth/key-backup-page";

export const metadata: Metadata = { title: "Encryption key" };

export default function SetupKeyPage() {
  return <KeyBackupPage />;
}
