import { render, screen, waitFor, within } from "../render";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { RuleForm } from "@/components/rules/rule-form";
import { RulesView } from "@/components/rules/rules-view";
import { summarizeConditions } from "@/lib/rules";
import type { AlertRule } from "@/lib/types";
import { HEADER_POLICY_DATA, HEADER_POLICY_URL, json, mockFetch, testHeaderPolicy } from "../helpers";

afterEach(() => vi.unstubAllGlobals());

const rule: AlertRule = {
  id: 9,
  name: "Person at night",
  is_enabled: true,
  cooldown_minutes: 5,
  conditions: { object_types: ["person"], min_confidence: 70, time_window: { start: "22:00", end: "06:00" }, days_of_week: [5, 6] },
  actions: {
    dashboard_notification: true,
    webhook: {
      url: "https://hooks.example.com/****",
      headers: { Authorization: "****", "X-Custom": "****", "Content-Type": "application/json" },
      secret_headers: ["X-Custom"],
    },
  },
  last_triggered_at: null,
  last_delivery: null,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};

describe("summarizeConditions", () => {
  it("describes the conditions in words", () => {
    expect(summarizeConditions(rule.conditions, (id) => `cam${id}`)).toEqual([
      "person",
      "≥ 70% confidence",
      "22:00–06:00",
      "Weekends",
    ]);
  });
});

/** The rule form for `stored` (null: a new rule) against a backend that answers every call with `answer()`. */
function renderForm(stored: AlertRule | null, answer: () => Response, cameras: React.ComponentProps<typeof RuleForm>["cameras"] = []) {
  const { calls } = mockFetch(answer);
  const onSaved = vi.fn();
  const user = userEvent.setup();
  render(<RuleForm rule={stored} cameras={cameras} policy={testHeaderPolicy} onSaved={onSaved} onCancel={() => {}} />);
  /** Press Save and wait for the saved answer: the body the form sent. */
  async function save(): Promise<AlertRule> {
    await user.click(screen.getByTestId("rule-save"));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    return calls[0].body as AlertRule;
  }
  return { calls, user, save };
}

/** Each header value input's type and value, in order. */
function headerValues() {
  return screen.getAllByTestId("header-value").map((el) => [el.getAttribute("type"), (el as HTMLInputElement).value]);
}

describe("RuleForm", () => {
  it("keeps stored secret header values write-only and sends the masked form back", async () => {
    const { calls, save } = renderForm(rule, () => json(rule));
    // Secret values are empty password inputs; the plain one is shown.
    expect(headerValues()).toEqual([
      ["password", ""],
      ["password", ""],
      ["text", "application/json"],
    ]);
    // The URL field is empty (write-only); the masked URL is a hint only.
    expect(screen.getByTestId("rule-webhook-url")).toHaveValue("");

    const body = await save();
    expect(calls[0].method).toBe("PUT");
    expect(body.actions.webhook).toEqual({
      url: "https://hooks.example.com/****",
      headers: { Authorization: "****", "X-Custom": "****", "Content-Type": "application/json" },
      secret_headers: ["Authorization", "X-Custom"],
    });
  });

  it("creates a rule with a secret header and all conditions", async () => {
    const { calls, user, save } = renderForm(null, () => json({ ...rule, id: 10 }, 201), [
      { id: 1, name: "Front", type: "rtsp", rtsp_url: null, username: null, password: null, device_index: null, is_enabled: true, credential_status: "none", created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z" },
    ]);
    await user.type(screen.getByTestId("rule-name"), "Doorbell");
    await user.click(screen.getByTestId("rule-object-person"));
    await user.click(screen.getByRole("button", { name: "Front" }));
    await user.type(screen.getByTestId("rule-min-confidence"), "60");
    await user.click(screen.getByRole("button", { name: "Monday" }));
    await user.click(screen.getByTestId("rule-webhook"));
    await user.type(screen.getByTestId("rule-webhook-url"), "https://hooks.example.com/abc/secret-path");
    await user.click(screen.getByTestId("header-add"));
    const names = screen.getAllByTestId("header-name");
    const values = screen.getAllByTestId("header-value");
    await user.type(names[1], "X-Signing");
    await user.type(values[1], "s3cr3t-value");
    await user.click(screen.getAllByTestId("header-secret")[1]);
    expect(values[1]).toHaveAttribute("type", "password");
    const body = await save();
    expect(calls[0].method).toBe("POST");
    expect(body.conditions).toEqual({ object_types: ["person"], cameras: [1], min_confidence: 60, days_of_week: [0] });
    expect(body.actions.webhook?.headers).toEqual({ "Content-Type": "application/json", "X-Signing": "s3cr3t-value" });
    expect(body.actions.webhook?.secret_headers).toEqual(["X-Signing"]);
  });

  it("treats a new custom header as secret, and sends it in plain_headers when switched off", async () => {
    const stored: AlertRule = {
      ...rule,
      actions: {
        dashboard_notification: false,
        webhook: {
          url: "https://hooks.example.com/****",
          headers: { "X-Title": "Front door", "X-Device": "****" },
          secret_headers: [],
          plain_headers: ["X-Title"],
        },
      },
    };
    const { user, save } = renderForm(stored, () => json(stored));
    expect(headerValues()).toEqual([
      ["text", "Front door"],
      ["password", ""], // masked by the server: secret
    ]);
    await user.click(screen.getByTestId("header-add"));
    await user.type(screen.getAllByTestId("header-name")[2], "X-Room");
    const values = screen.getAllByTestId("header-value");
    expect(values[2]).toHaveAttribute("type", "password"); // a new custom header starts secret
    await user.type(values[2], "kitchen");
    await user.click(screen.getAllByTestId("header-secret")[2]); // the user marks it plain
    expect(values[2]).toHaveAttribute("type", "text");
    const body = await save();
    expect(body.actions.webhook).toEqual({
      url: "https://hooks.example.com/****",
      headers: { "X-Title": "Front door", "X-Device": "****", "X-Room": "kitchen" },
      secret_headers: ["X-Device"],
      plain_headers: ["X-Title", "X-Room"],
    });
  });

  it("asks for secret headers again when the URL origin changed (secret_required)", async () => {
    const { user } = renderForm(rule, () => json({ detail: "The webhook URL changed: enter the secret headers again.", code: "secret_required" }, 422));
    await user.type(screen.getByTestId("rule-webhook-url"), "https://other.example.net/hook");
    await user.click(screen.getByTestId("rule-save"));
    expect(await screen.findByText(/enter the secret headers again/)).toBeInTheDocument();
    const secretValues = screen.getAllByTestId("header-value").filter((el) => el.getAttribute("type") === "password");
    for (const el of secretValues) expect(el).toHaveAttribute("aria-invalid", "true");
  });

  it("requires a name and at least one action", async () => {
    const { calls, user } = renderForm(null, () => json({}));
    await user.click(screen.getByTestId("rule-dashboard"));
    await user.click(screen.getByTestId("rule-save"));
    expect(screen.getByText("Enter a name.")).toBeInTheDocument();
    expect(screen.getByText("Choose at least one action.")).toBeInTheDocument();
    expect(calls).toHaveLength(0);
  });
});

describe("RulesView", () => {
  it("lists rules with secret header values masked", async () => {
    mockFetch((call) => {
      if (call.url === HEADER_POLICY_URL) return json(HEADER_POLICY_DATA);
      if (call.url.startsWith("/api/v1/alert-rules")) return json([rule]);
      if (call.url.startsWith("/api/v1/cameras")) return json([]);
      return json({ items: [], total: 0, limit: 10, offset: 0 });
    });
    render(<RulesView />);
    const row = await screen.findByTestId("rule-row");
    expect(within(row).getByText("Person at night")).toBeInTheDocument();
    expect(within(row).getByTestId("rule-webhook-host")).toHaveTextContent("hooks.example.com");
    const values = within(row).getAllByTestId("rule-header-value").map((el) => el.textContent?.trim());
    expect(values).toEqual(["****", "****", "application/json"]);
  });

  it("shows an empty state", async () => {
    mockFetch((call) => (call.url === HEADER_POLICY_URL ? json(HEADER_POLICY_DATA) : json([])));
    render(<RulesView />);
    expect(await screen.findByText("No alert rules yet")).toBeInTheDocument();
  });
});
