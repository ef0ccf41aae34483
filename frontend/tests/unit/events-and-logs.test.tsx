import { render, screen, within } from "../render";
import { afterEach, describe, expect, it, vi } from "vitest";
import { EventsView } from "@/components/events/events-view";
import { NotificationsProvider } from "@/components/notifications-provider";
import { WebhookLogs } from "@/components/rules/webhook-logs";
import { json, mockFetch } from "../helpers";

afterEach(() => vi.unstubAllGlobals());

const now = new Date().toISOString();

/** The events page against a backend where `answer` decides (no notifications; `[]` for anything else). */
function renderEvents(answer: (url: string) => Response | undefined) {
  mockFetch((call) => {
    if (call.url.startsWith("/api/v1/notifications")) return json({ items: [], total: 0, unread_count: 0, limit: 20, offset: 0 });
    return answer(call.url) ?? json([]);
  });
  render(
    <NotificationsProvider pollMs={60000}>
      <EventsView />
    </NotificationsProvider>,
  );
}

describe("EventsView", () => {
  it("lists events with camera names, objects and confidence", async () => {
    renderEvents((url) => {
      if (url.startsWith("/api/v1/events"))
        return json({
          items: [
            { id: 1, camera_id: 2, description: "A person at the gate", objects_detected: ["person"], confidence: 87, timestamp: now, ai_provider: "openai", created_at: now },
          ],
          total: 1,
          limit: 20,
          offset: 0,
        });
      if (url.startsWith("/api/v1/cameras"))
        return json([{ id: 2, name: "Gate", type: "rtsp", rtsp_url: "rtsp://10.0.0.2/s", username: null, password: null, device_index: null, is_enabled: true }]);
    });
    const item = await screen.findByTestId("event-item");
    expect(within(item).getByText("A person at the gate")).toBeInTheDocument();
    expect(await within(item).findByText("Gate")).toBeInTheDocument();
    expect(within(item).getByRole("img", { name: "Confidence 87%" })).toBeInTheDocument();
    expect(within(item).getByText("person")).toBeInTheDocument();
  });

  it("shows an empty state", async () => {
    renderEvents((url) => (url.startsWith("/api/v1/events") ? json({ items: [], total: 0, limit: 20, offset: 0 }) : undefined));
    expect(await screen.findByText("No events yet")).toBeInTheDocument();
  });

  it("shows an error state", async () => {
    renderEvents((url) => (url.startsWith("/api/v1/events") ? json({ detail: "Internal server error", request_id: "r1" }, 500) : undefined));
    expect(await screen.findByText("Internal server error (request r1)")).toBeInTheDocument();
  });
});

describe("WebhookLogs", () => {
  it("shows recent deliveries for one rule", async () => {
    const { calls } = mockFetch(() =>
      json({
        items: [
          { id: 2, rule_id: 5, event_id: 1, url: "https://hooks.example.com/****", attempt: 1, status_code: 200, success: true, duration_ms: 42, error: null, response_body: "ok", created_at: now },
          { id: 1, rule_id: 5, event_id: 1, url: "https://hooks.example.com/****", attempt: 2, status_code: null, success: false, duration_ms: 10000, error: "timed out", response_body: null, created_at: now },
        ],
        total: 2,
        limit: 10,
        offset: 0,
      }),
    );
    render(<WebhookLogs ruleId={5} />);
    const rows = await screen.findAllByRole("row");
    expect(rows).toHaveLength(3); // header + 2
    expect(rows[1]).toHaveTextContent("200");
    expect(rows[2]).toHaveTextContent("Failed");
    expect(rows[2]).toHaveTextContent("timed out");
    expect(calls[0].url).toBe("/api/v1/webhooks/logs?rule_id=5&limit=10");
  });

  it("says when there are no deliveries", async () => {
    mockFetch(() => json({ items: [], total: 0, limit: 10, offset: 0 }));
    render(<WebhookLogs ruleId={1} />);
    expect(await screen.findByText("No deliveries yet.")).toBeInTheDocument();
  });
});
