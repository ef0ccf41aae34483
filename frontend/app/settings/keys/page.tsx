import type { Metadata } from "next";
import { KeyHealthView } from "@/components/settings/key-health-view";

export const metadata: Metadata = { title: "Key health" };

export default function KeyHealthPage() {
  return <KeyHealthView />;
}
