import type * as React from "react";
import { render, screen, waitFor, within } from "../render";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { NotificationBell } from "@/components/notification-bell";
import { NotificationsProvider } from "@/components/notifications-provider";
import type { Notification } from "@/lib/types";
import { json, mockFetch } from "../helpers";

afterEach(() => vi.unstubAllGlobals());

function note(id: number, is_read: boolean): Notification {
  return { id, rule_id: 1, event_id: id, title: `Person at door ${id}`, message: "Someone is at the door", is_read, created_at: new Date().toISOString() };
}

/** The bell in its provider (polling slower than any test), after `before` on the page. */
function renderBell(before?: React.ReactNode) {
  const user = userEvent.setup();
  render(
    <NotificationsProvider pollMs={60000}>
      {before}
      <NotificationBell />
    </NotificationsProvider>,
  );
  return user;
}

describe("NotificationBell", () => {
  it("shows the unread count, lists notifications and marks them read", async () => {
    let items = [note(2, false), note(1, false), note(0, true)];
    const { calls } = mockFetch((call) => {
      if (call.method === "PATCH") {
        const id = Number(call.url.split("/").pop());
        items = items.map((n) => (n.id === id ? { ...n, is_read: true } : n));
        return json(items.find((n) => n.id === id));
      }
      if (call.url.endsWith("/mark-all-read")) {
        items = items.map((n) => ({ ...n, is_read: true }));
        return json({ updated: 1 });
      }
      return json({ items, total: items.length, unread_count: items.filter((n) => !n.is_read).length, limit: 20, offset: 0 });
    });
    const user = renderBell();
    await waitFor(() => expect(screen.getByTestId("notification-count")).toHaveTextContent("2"));
    const bell = screen.getByTestId("notification-bell");
    expect(bell).toHaveAccessibleName("Notifications, 2 unread");
    expect(bell).toHaveAttribute("aria-expanded", "false");

    await user.click(bell);
    expect(bell).toHaveAttribute("aria-expanded", "true");
    const panel = screen.getByTestId("notification-panel");
    expect(within(panel).getAllByTestId("notification-item")).toHaveLength(3);

    await user.click(within(panel).getByRole("button", { name: "Mark “Person at door 2” as read" }));
    await waitFor(() => expect(screen.getByTestId("notification-count")).toHaveTextContent("1"));
    expect(calls.some((c) => c.method === "PATCH" && c.url === "/api/v1/notifications/2")).toBe(true);

    await user.click(within(panel).getByRole("button", { name: /Mark all read/ }));
    await waitFor(() => expect(screen.queryByTestId("notification-count")).toBeNull());
    expect(calls.some((c) => c.method === "POST" && c.url === "/api/v1/notifications/mark-all-read")).toBe(true);

    await user.keyboard("{Escape}");
    expect(screen.queryByTestId("notification-panel")).toBeNull();
    expect(bell).toHaveFocus();
  });

  it("shows an empty state", async () => {
    mockFetch(() => json({ items: [], total: 0, unread_count: 0, limit: 20, offset: 0 }));
    const user = renderBell();
    await user.click(screen.getByTestId("notification-bell"));
    expect(await screen.findByText(/No notifications yet/)).toBeInTheDocument();
  });

  it("is a dialog that takes focus when it opens, and closes on a click outside", async () => {
    const items = [note(3, false)];
    mockFetch(() => json({ items, total: 1, unread_count: 1, limit: 20, offset: 0 }));
    const user = renderBell(<p>elsewhere on the page</p>);
    const bell = screen.getByTestId("notification-bell");
    await waitFor(() => expect(bell).toHaveAccessibleName("Notifications, 1 unread"));
    expect(bell).toHaveAttribute("aria-haspopup", "dialog");
    await user.click(bell);
    const panel = screen.getByRole("dialog", { name: "Notifications" });
    expect(panel).toHaveAttribute("data-testid", "notification-panel");
    expect(bell).toHaveAttribute("aria-controls", panel.id);
    await waitFor(() => expect(panel).toHaveFocus());
    await user.tab();
    expect(within(panel).getByRole("button", { name: /Mark all read/ })).toHaveFocus();

    await user.click(screen.getByText("elsewhere on the page"));
    await waitFor(() => expect(screen.queryByTestId("notification-panel")).toBeNull());
    expect(bell).toHaveAttribute("aria-expanded", "false");
  });

  it("closes when a notification's event link is followed", async () => {
    mockFetch(() => json({ items: [note(7, false)], total: 1, unread_count: 1, limit: 20, offset: 0 }));
    const user = renderBell();
    await waitFor(() => expect(screen.getByTestId("notification-count")).toHaveTextContent("1"));
    await user.click(screen.getByTestId("notification-bell"));
    const link = within(screen.getByTestId("notification-panel")).getByRole("link", { name: "Person at door 7" });
    expect(link).toHaveAttribute("href", "/events/7");
    // jsdom cannot load another document: the page stays, the panel must still close.
    const stay = (e: Event) => e.preventDefault();
    window.addEventListener("click", stay);
    await user.click(link);
    window.removeEventListener("click", stay);
    await waitFor(() => expect(screen.queryByTestId("notification-panel")).toBeNull());
  });
});
