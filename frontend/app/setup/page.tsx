import type { Metadata } from "next";
import { SetupWizard } from "@/components/auth/setup-wizard";

export const metadata: Metadata = { title: "Set up" };

export default function SetupPage() {
  return <SetupWizard />;
}
