import { Sparkles } from "lucide-react";
import { Badge } from "@/components/ui/badge";

/** What an event saw and which AI provider described it: the badges the list and the detail page share. */
export function EventTags({ objects, provider }: { objects: string[]; provider?: string | null }) {
  return (
    <>
      {objects.map((o) => (
        <Badge key={o} tone="info" className="capitalize">
          {o}
        </Badge>
      ))}
      {provider ? (
        <Badge tone="neutral">
          <Sparkles aria-hidden /> {provider}
        </Badge>
      ) : null}
    </>
  );
}
