import { render, screen, waitFor, within } from "../render";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CameraHealthBadge, cameraHealth } from "@/components/cameras/camera-status";
import { CameraTestResultView } from "@/components/cameras/camera-test-result";
import { DeliveryHealthBadge, deliveryHealth } from "@/components/rules/delivery-health";
import { RulesView } from "@/components/rules/rules-view";
import { WebhookLogs } from "@/components/rules/webhook-logs";
import { EventDetailBody, EventDetailView } from "@/components/events/event-detail";
import type { AlertRule, EventDetail } from "@/lib/types";
import { HEADER_POLICY_DATA, HEADER_POLICY_URL, json, mockFetch } from "../helpers";

afterEach(() => vi.unstubAllGlobals());

const NOW = Date.parse("2026-12-01T12:00:00Z");
const twoMinAgo = "2026-12-01T11:58:00Z";

describe("cameraHealth", () => {
  it("is untested without a last test", () => {
    expect(cameraHealth(null, NOW)).toEqual({ kind: "untested", label: "Untested" });
    expect(cameraHealth(undefined, NOW).kind).toBe("untested");
  });

  it("is online with the time of a passed test", () => {
    const h = cameraHealth({ success: true, at: twoMinAgo, message: "Connected", codecs: ["H264"], resolution: "320x240" }, NOW);
    expect(h.kind).toBe("online");
    expect(h.label).toBe("Online · tested 2 minutes ago");
  });

  it("is offline with the message of a failed test, or its time when a viewer gets no message", () => {
    const admin = cameraHealth({ success: false, at: twoMinAgo, error_code: "unreachable", message: "Connection refused" }, NOW);
    expect(admin).toMatchObject({ kind: "offline", label: "Offline: Connection refused" });
    const viewer = cameraHealth({ success: false, at: twoMinAgo }, NOW);
    expect(viewer).toMatchObject({ kind: "offline", label: "Offline · tested 2 minutes ago" });
  });

  it("renders a badge per state", () => {
    const { rerender } = render(<CameraHealthBadge lastTest={null} testId="h" />);
    expect(screen.getByTestId("h")).toHaveAttribute("data-health", "untested");
    rerender(<CameraHealthBadge lastTest={{ success: false, at: twoMinAgo, message: "Timed out" }} testId="h" />);
    expect(screen.getByTestId("h")).toHaveAttribute("data-health", "offline");
    expect(screen.getByTestId("h")).toHaveTextContent("Offline: Timed out");
  });

  it("shows the snapshot a test answered with", () => {
    render(
      <CameraTestResultView
        state={{ kind: "done", result: { success: true, message: "Connected", latency_ms: 3, snapshot: "data:image/jpeg;base64,AAAA" } }}
      />,
    );
    expect(screen.getByRole("img", { name: "Snapshot from the test" })).toHaveAttribute("src", "data:image/jpeg;base64,AAAA");
  });
});

describe("deliveryHealth", () => {
  it("is nothing before the first delivery", () => {
    expect(deliveryHealth(null, NOW)).toEqual({ kind: "none" });
  });

  it("is delivering after a success and failing with the reason after a failure", () => {
    expect(deliveryHealth({ success: true, status_code: 200, message: "Delivered", at: twoMinAgo }, NOW)).toMatchObject({
      kind: "delivering",
      label: "Delivering · 2 minutes ago",
    });
    expect(deliveryHealth({ success: false, status_code: 500, message: "The receiver answered HTTP 500", at: twoMinAgo }, NOW)).toMatchObject({
      kind: "failing",
      reason: "The receiver answered HTTP 500",
      label: "Failing: The receiver answered HTTP 500 · 2 minutes ago",
    });
    // No message: the status code is the reason.
    expect(deliveryHealth({ success: false, status_code: 502, message: "", at: twoMinAgo }, NOW)).toMatchObject({ reason: "HTTP 502" });
  });

  it("says a failed test's status once", async () => {
    const { SendTestOutcome } = await import("@/components/rules/delivery-health");
    render(<SendTestOutcome state={{ kind: "done", result: { success: false, status_code: 500, message: "HTTP 500" } }} />);
    expect(screen.getByTestId("rule-send-test-result")).toHaveTextContent(/^Test failed: HTTP 500$/);
  });

  it("renders a red badge for a failing rule", () => {
    render(<DeliveryHealthBadge lastDelivery={{ success: false, status_code: null, message: "Connection refused", at: twoMinAgo }} />);
    const badge = screen.getByTestId("rule-delivery-health");
    expect(badge).toHaveAttribute("data-health", "failing");
    expect(badge).toHaveTextContent("Failing: Connection refused");
  });
});

const failingRule: AlertRule = {
  id: 4,
  name: "Gate hook",
  is_enabled: true,
  cooldown_minutes: 0,
  conditions: {},
  actions: { dashboard_notification: false, webhook: { url: "http://127.0.0.1:9/****", headers: {}, secret_headers: [] } },
  last_triggered_at: null,
  last_delivery: { success: false, status_code: 500, message: "The receiver answered HTTP 500", at: twoMinAgo },
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};

describe("RulesView webhook health", () => {
  it("sends a test, shows the outcome and reloads the rule", async () => {
    let delivered = false;
    const { calls } = mockFetch((call) => {
      if (call.url === "/api/v1/alert-rules/4/test" && call.method === "POST") {
        delivered = true;
        return json({ success: true, status_code: 204, message: "The receiver accepted the test." });
      }
      if (call.url === HEADER_POLICY_URL) return json(HEADER_POLICY_DATA);
      if (call.url.startsWith("/api/v1/alert-rules"))
        return json([
          delivered
            ? { ...failingRule, last_delivery: { success: true, status_code: 204, message: "Delivered", at: new Date().toISOString() } }
            : failingRule,
        ]);
      return json([]);
    });
    render(<RulesView />);
    const row = await screen.findByTestId("rule-row");
    expect(within(row).getByTestId("rule-delivery-health")).toHaveAttribute("data-health", "failing");
    await userEvent.click(within(row).getByRole("button", { name: "Send test to Gate hook" }));
    const outcome = within(row).getByTestId("rule-send-test-result");
    await waitFor(() => expect(outcome).toHaveAttribute("data-state", "success"));
    expect(outcome).toHaveTextContent("Test delivered (HTTP 204). The receiver accepted the test.");
    await waitFor(() => expect(within(row).getByTestId("rule-delivery-health")).toHaveAttribute("data-health", "delivering"));
    expect(calls.filter((c) => c.url.startsWith("/api/v1/alert-rules") && c.method === "GET").length).toBeGreaterThanOrEqual(2);
  });
});

describe("WebhookLogs resend", () => {
  it("offers Resend only for entries that can be resent, and posts it", async () => {
    const base = { rule_id: 4, event_id: 7, url: "http://127.0.0.1:9/****", attempt: 3, duration_ms: 4, response_body: null, created_at: twoMinAgo };
    const { calls } = mockFetch((call) => {
      if (call.url === "/api/v1/webhooks/deliveries/12/resend") return json({ delivery_id: 12, status: "pending" }, 202);
      if (call.url.startsWith("/api/v1/alert-rules")) return json([]);
      return json({
        items: [
          { ...base, id: 1, success: false, status_code: 500, error: "The receiver answered HTTP 500 after a very long explanation", delivery_id: 12, can_resend: true, test: false, delivery_status: "failed" },
          { ...base, id: 2, success: false, status_code: 500, error: "Test failed", delivery_id: null, can_resend: false, test: true, delivery_status: null },
        ],
        total: 2,
        limit: 10,
        offset: 0,
      });
    });
    render(<WebhookLogs ruleId={4} />);
    const rows = await screen.findAllByTestId("webhook-log-row");
    expect(within(rows[1]).queryByRole("button", { name: /Resend/ })).toBeNull();
    expect(within(rows[1]).getByText("Test")).toBeInTheDocument();
    await userEvent.click(within(rows[0]).getByRole("button", { name: "Resend delivery 12" }));
    expect(await screen.findByText(/Delivery queued again/)).toBeInTheDocument();
    expect(calls.some((c) => c.url === "/api/v1/webhooks/deliveries/12/resend" && c.method === "POST")).toBe(true);
  });
});

const failedEvent: EventDetail = {
  id: 31,
  camera_id: 2,
  camera_name: "Front door",
  description: "",
  description_error: "No AI provider could describe the image: the key was rejected",
  objects_detected: ["person"],
  confidence: 75,
  timestamp: twoMinAgo,
  created_at: twoMinAgo,
  ai_provider: null,
  has_image: true,
  image_url: "/api/v1/events/31/image",
  ai_attempts: [
    { provider: "openai", outcome: "invalid_key", message: "OpenAI rejected the key." },
    { provider: "grok", outcome: "timeout", message: "Grok did not answer in time." },
  ],
  rules_skipped: "camera disabled",
  rules: [
    { id: 4, name: "Gate hook" },
    { id: 5, name: null },
  ],
  deliveries: [
    {
      id: 12,
      rule_id: 4,
      status: "failed",
      attempts: 3,
      last_error: "The receiver answered HTTP 500",
      next_attempt_at: null,
      last_attempt: { success: false, status_code: 500, error: "The receiver answered HTTP 500", at: twoMinAgo },
    },
  ],
};

describe("EventDetail", () => {
  it("shows the failed description with each attempt, the image, skipped rules, fired rules and deliveries", () => {
    render(<EventDetailBody event={failedEvent} />);
    expect(screen.getByRole("heading", { name: "Event #31", level: 1 })).toBeInTheDocument();
    expect(screen.getByTestId("event-description-error")).toHaveTextContent(
      "AI description failed: No AI provider could describe the image: the key was rejected",
    );
    const attempts = screen.getAllByTestId("event-ai-attempt");
    expect(attempts).toHaveLength(2);
    expect(attempts[0]).toHaveTextContent("openai");
    expect(attempts[0]).toHaveTextContent("invalid_key");
    expect(attempts[1]).toHaveTextContent("Grok did not answer in time.");
    expect(screen.getByRole("img", { name: "What Front door saw" })).toHaveAttribute("src", "/api/v1/events/31/image");
    expect(screen.getByTestId("event-rules-skipped")).toHaveTextContent("Rules skipped: camera disabled");
    const rules = within(screen.getByTestId("event-rules"));
    expect(rules.getByText("Gate hook")).toBeInTheDocument();
    expect(rules.getByText("Deleted rule #5")).toBeInTheDocument();
    const delivery = screen.getByTestId("event-delivery");
    expect(delivery).toHaveTextContent("Gate hook");
    expect(delivery).toHaveTextContent("failed");
    expect(delivery).toHaveTextContent("3 attempts");
    expect(delivery).toHaveTextContent("HTTP 500");
  });

  it("shows the description and no image when none came", () => {
    render(
      <EventDetailBody
        event={{ ...failedEvent, description: "A person at the door", description_error: null, image_url: null, has_image: false, rules_skipped: null }}
      />,
    );
    expect(screen.getByTestId("event-description")).toHaveTextContent("A person at the door");
    expect(screen.queryByTestId("event-description-error")).toBeNull();
    expect(screen.getByTestId("event-no-image")).toBeInTheDocument();
    expect(screen.queryByTestId("event-rules-skipped")).toBeNull();
  });

  it("loads the event by id and shows the API's error", async () => {
    const { calls } = mockFetch((call) =>
      call.url === "/api/v1/events/31" ? json(failedEvent) : json({ detail: "Event not found", code: "not_found" }, 404),
    );
    const { unmount } = render(<EventDetailView id="31" />);
    expect(await screen.findByTestId("event-detail")).toBeInTheDocument();
    expect(calls[0].url).toBe("/api/v1/events/31");
    unmount();
    render(<EventDetailView id="999" />);
    expect(await screen.findByText(/Event not found/)).toBeInTheDocument();
  });

  it("follows a delivery still being retried until it settles", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      let calls = 0;
      const pendingDelivery = { ...failedEvent.deliveries[0], status: "pending", next_attempt_at: twoMinAgo };
      mockFetch(() => {
        calls += 1;
        return json({ ...failedEvent, deliveries: [calls === 1 ? pendingDelivery : failedEvent.deliveries[0]] });
      });
      render(<EventDetailView id="31" />);
      expect(await screen.findByText("pending")).toBeInTheDocument();
      await vi.advanceTimersByTimeAsync(5500);
      expect(await screen.findByText("failed")).toBeInTheDocument();
      await vi.advanceTimersByTimeAsync(11000);
      expect(calls).toBe(2); // settled: no more polling
    } finally {
      vi.useRealTimers();
    }
  });

  it("does not ask the API for an id that is not a number", () => {
    const { calls } = mockFetch(() => json({}));
    render(<EventDetailView id="abc" />);
    expect(screen.getByText('"abc" is not an event number.')).toBeInTheDocument();
    expect(calls).toHaveLength(0);
  });
});

describe("event detail access", () => {
  it("is open to viewers as well as admins", async () => {
    const { canAccess } = await import("@/lib/access");
    expect(canAccess("viewer", "/events/31")).toBe(true);
    expect(canAccess("admin", "/events/31")).toBe(true);
  });
});
