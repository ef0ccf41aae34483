import { CheckCircle2, XCircle } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import { Spinner } from "@/components/ui/spinner";
import type { CameraTestResult } from "@/lib/types";
import { cn } from "@/lib/utils";

export type CameraTestState =
  | { kind: "idle" }
  | { kind: "testing" }
  | { kind: "done"; result: CameraTestResult }
  | { kind: "error"; message: string };

const ERROR_HINTS: Record<string, string> = {
  auth_failed: "Check the username and password.",
  unreachable: "Check the address and that the camera is on the network.",
  timeout: "The camera did not answer in time.",
  not_rtsp: "The address does not answer as an RTSP server.",
  rtsp_error: "The camera answered but refused the stream: check the path in the URL.",
  credentials_undecryptable: "The stored password can no longer be decrypted: enter it again.",
  no_device: "No video device at that index.",
  address_not_allowed: "That address is never contacted (link-local, cloud metadata, multicast or unspecified): use the camera's LAN address.",
  invalid: "The connection details are not valid.",
};

export function CameraTestResultView({ state, testId = "camera-test-result", className, showSnapshot = true }: {
  state: CameraTestState;
  testId?: string;
  className?: string;
  /** Off where the snapshot already shows (a camera card). */
  showSnapshot?: boolean;
}) {
  if (state.kind === "idle") {
    return <div role="status" aria-live="polite" data-testid={testId} data-state="idle" className={className} />;
  }
  if (state.kind === "testing") {
    return (
      <div role="status" aria-live="polite" data-testid={testId} data-state="testing" className={cn("flex items-center gap-2 text-sm text-muted-foreground", className)}>
        <Spinner /> Connecting to the camera…
      </div>
    );
  }
  if (state.kind === "error") {
    return (
      <div role="status" aria-live="polite" data-testid={testId} data-state="failure" className={cn("flex items-start gap-2 rounded-lg border border-destructive/25 bg-danger-soft px-3 py-2 text-sm text-destructive", className)}>
        <XCircle className="mt-0.5 size-4 shrink-0" aria-hidden />
        <span className="break-words">{state.message}</span>
      </div>
    );
  }
  const r = state.result;
  if (!r.success) {
    const hint = r.error_code ? ERROR_HINTS[r.error_code] : undefined;
    return (
      <div role="status" aria-live="polite" data-testid={testId} data-state="failure" className={cn("flex items-start gap-2 rounded-lg border border-destructive/25 bg-danger-soft px-3 py-2 text-sm text-destructive", className)}>
        <XCircle className="mt-0.5 size-4 shrink-0" aria-label="Connection failed" role="img" />
        <div className="min-w-0">
          <p className="font-medium break-words">{r.message || "Connection failed."}</p>
          {hint ? <p className="mt-0.5 text-xs text-foreground/75">{hint}</p> : null}
        </div>
      </div>
    );
  }
  return (
    <div role="status" aria-live="polite" data-testid={testId} data-state="success" className={cn("rounded-lg border border-success/25 bg-success-soft px-3 py-2 text-sm text-success", className)}>
      <p className="flex items-start gap-2 font-medium">
        <CheckCircle2 className="mt-0.5 size-4 shrink-0" aria-label="Connected" role="img" />
        <span className="break-words">{r.message || "Connected."}</span>
      </p>
      <dl className="mt-2 flex flex-wrap gap-x-4 gap-y-1 text-xs text-foreground/80">
        {r.codecs && r.codecs.length > 0 ? (
          <div className="flex items-center gap-1.5">
            <dt className="text-muted-foreground">Codecs</dt>
            <dd className="flex gap-1" data-testid="camera-test-codecs">
              {r.codecs.map((c) => (
                <Badge key={c} className="font-mono">{c}</Badge>
              ))}
            </dd>
          </div>
        ) : null}
        {r.resolution ? (
          <div className="flex items-center gap-1.5">
            <dt className="text-muted-foreground">Resolution</dt>
            <dd className="font-mono" data-testid="camera-test-resolution">{r.resolution}</dd>
          </div>
        ) : null}
        {r.auth ? (
          <div className="flex items-center gap-1.5">
            <dt className="text-muted-foreground">Auth</dt>
            <dd>{r.auth}</dd>
          </div>
        ) : null}
        {typeof r.latency_ms === "number" ? (
          <div className="flex items-center gap-1.5">
            <dt className="text-muted-foreground">Latency</dt>
            <dd>{r.latency_ms} ms</dd>
          </div>
        ) : null}
      </dl>
      {showSnapshot && r.snapshot ? (
        // eslint-disable-next-line @next/next/no-img-element -- a data: URL the test answered with
        <img
          src={r.snapshot}
          alt="Snapshot from the test"
          className="mt-2 aspect-video w-full max-w-sm rounded-md border bg-muted object-cover"
          data-testid="camera-test-snapshot"
        />
      ) : null}
    </div>
  );
}
