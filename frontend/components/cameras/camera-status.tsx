import { CircleDashed, Wifi, WifiOff } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import type { CameraLastTest } from "@/lib/types";
import { formatDateTime, formatRelative } from "@/lib/utils";

export type CameraHealth =
  | { kind: "untested"; label: string }
  | { kind: "online"; label: string; at: string }
  | { kind: "offline"; label: string; at: string };

/** What a camera card says about the camera's last connection test. */
export function cameraHealth(lastTest: CameraLastTest | null | undefined, now: number = Date.now()): CameraHealth {
  if (!lastTest) return { kind: "untested", label: "Untested" };
  if (lastTest.success) {
    return { kind: "online", label: `Online · tested ${formatRelative(lastTest.at, now)}`, at: lastTest.at };
  }
  const message = "message" in lastTest && lastTest.message ? lastTest.message : null;
  return {
    kind: "offline",
    label: message ? `Offline: ${message}` : `Offline · tested ${formatRelative(lastTest.at, now)}`,
    at: lastTest.at,
  };
}

export function CameraHealthBadge({ lastTest, testId }: { lastTest: CameraLastTest | null | undefined; testId?: string }) {
  const health = cameraHealth(lastTest);
  if (health.kind === "untested") {
    return (
      <Badge tone="neutral" data-testid={testId} data-health="untested" title="Run a test to check the connection">
        <CircleDashed aria-hidden /> Untested
      </Badge>
    );
  }
  const when = formatDateTime(health.at);
  if (health.kind === "online") {
    return (
      <Badge tone="success" data-testid={testId} data-health="online" title={`Last test: ${when}`}>
        <Wifi aria-hidden /> {health.label}
      </Badge>
    );
  }
  return (
    <Badge
      tone="danger"
      data-testid={testId}
      data-health="offline"
      title={`Last test: ${when}`}
      className="max-w-full whitespace-normal break-words"
    >
      <WifiOff aria-hidden className="shrink-0" /> <span className="min-w-0">{health.label}</span>
    </Badge>
  );
}

/** The frame the last successful test grabbed (served to signed-in users only). */
export function CameraSnapshot({
  url,
  name,
  version,
  className,
}: {
  url: string | null | undefined;
  name: string;
  /** The last test's time: a new test's frame is not taken from the browser's cache. */
  version?: string;
  className?: string;
}) {
  if (!url) return null;
  const src = version ? `${url}${url.includes("?") ? "&" : "?"}v=${encodeURIComponent(version)}` : url;
  return (
    // eslint-disable-next-line @next/next/no-img-element -- an authenticated API image, not a static asset
    <img
      src={src}
      alt={`Latest snapshot from ${name}`}
      className={className ?? "aspect-video w-full rounded-lg border bg-muted object-cover"}
      data-testid="camera-snapshot"
      loading="lazy"
    />
  );
}
