import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { NotificationBell } from "@/components/notification-bell";
import { NotificationsProvider } from "@/components/notifications-provider";
import { queryKeys, useApiQuery } from "@/lib/query";
import { api } from "@/lib/api";
import type { Notification } from "@/lib/types";
import { json, mockFetch } from "../helpers";
import { render, screen, waitFor, within } from "../render";

afterEach(() => vi.unstubAllGlobals());

function note(id: number, is_read: boolean): Notification {
  return { id, rule_id: 1, event_id: id, title: `Person ${id}`, message: "At the door", is_read, created_at: new Date().toISOString() };
}

/** A second reader of the same query, as the events page's "Unread notifications" tile is. */
function UnreadTile() {
  const page = useApiQuery(queryKeys.notifications, (signal) => api.notifications.list({ limit: 20 }, signal));
  return <p data-testid="tile">{page.data ? String(page.data.unread_count) : "—"}</p>;
}

describe("notification queries", () => {
  it("marking read invalidates the notifications query: the server's answer reaches every reader", async () => {
    let items = [note(2, false), note(1, false)];
    const { calls } = mockFetch((call) => {
      if (call.method === "PATCH") {
        // The server also marks #1 read (another tab did): only a refetch can tell.
        items = items.map((n) => ({ ...n, is_read: true }));
        return json({ ...items[0] });
      }
      return json({ items, total: items.length, unread_count: items.filter((n) => !n.is_read).length, limit: 20, offset: 0 });
    });
    const user = userEvent.setup();
    render(
      <NotificationsProvider pollMs={600000}>
        <NotificationBell />
        <UnreadTile />
      </NotificationsProvider>,
    );
    await waitFor(() => expect(screen.getByTestId("tile")).toHaveTextContent("2"));
    const gets = () => calls.filter((c) => c.method === "GET").length;
    const before = gets();

    await user.click(screen.getByTestId("notification-bell"));
    const panel = screen.getByTestId("notification-panel");
    await user.click(within(panel).getByRole("button", { name: "Mark “Person 2” as read" }));

    // Optimistic 1, then the refetch after the mutation brings the server's 0 to the bell and the tile.
    await waitFor(() => expect(screen.getByTestId("tile")).toHaveTextContent("0"));
    expect(screen.queryByTestId("notification-count")).toBeNull();
    expect(gets()).toBe(before + 1);
  });
});
