import type { Metadata } from "next";
import { RulesView } from "@/components/rules/rules-view";

export const metadata: Metadata = { title: "Alert rules" };

export default function AlertRulesPage() {
  return <RulesView />;
}
