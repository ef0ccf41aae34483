import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { RuleForm } from "@/components/rules/rule-form";
import { newHeaderRow } from "@/components/rules/headers-editor";
import { draftFrom, ruleDraftSchema, ruleServerErrors } from "@/components/rules/rule-schema";
import { ApiError } from "@/lib/api";
import { json, mockFetch, testHeaderPolicy } from "../helpers";
import { render, screen } from "../render";

afterEach(() => vi.unstubAllGlobals());

function issues(draft: ReturnType<typeof draftFrom>, storedUrl: string | null = null) {
  const result = ruleDraftSchema(storedUrl, testHeaderPolicy).safeParse(draft);
  return result.success ? {} : Object.fromEntries(result.error.issues.map((i) => [i.path.join("."), i.message]));
}

describe("ruleDraftSchema", () => {
  it("accepts a new rule's defaults with a name", () => {
    expect(issues({ ...draftFrom(null, testHeaderPolicy), name: "Porch" })).toEqual({});
  });

  it("names each field it refuses, with the form's messages", () => {
    const draft = {
      ...draftFrom(null, testHeaderPolicy),
      name: "  ",
      cooldown: "10081",
      minConfidence: "101",
      useTimeWindow: true,
      start: "",
      dashboard: false,
      useWebhook: true,
      headers: [newHeaderRow(testHeaderPolicy, { name: "X-A", value: "1" }), newHeaderRow(testHeaderPolicy, { name: "x-a", value: "2" }), newHeaderRow(testHeaderPolicy, { name: "" })],
    };
    expect(issues(draft)).toEqual({
      name: "Enter a name.",
      cooldown: "Enter minutes from 0 to 10080.",
      minConfidence: "Enter a whole number from 0 to 100.",
      timeWindow: "Enter a start and an end time.",
      url: "Enter the webhook URL.",
      "headers.1": "This header is listed twice.",
      "headers.2": "Enter a header name, or remove the row.",
    });
  });

  it("keeps a stored URL and a stored secret header when left empty", () => {
    const draft = {
      ...draftFrom(null, testHeaderPolicy),
      name: "Kept",
      useWebhook: true,
      headers: [newHeaderRow(testHeaderPolicy, { name: "X-Token", value: "", secret: true, stored: true })],
    };
    expect(issues(draft, "https://hooks.example.com/****")).toEqual({});
  });
});

describe("ruleServerErrors", () => {
  const headers = [newHeaderRow(testHeaderPolicy, { name: "Content-Type", value: "application/json" }), newHeaderRow(testHeaderPolicy, { name: "X-Bad Name", value: "v" })];

  it("maps body fields to inputs and header errors to their row", () => {
    const err = new ApiError(422, "Some fields are not valid.", {
      code: "invalid",
      fieldErrors: [
        { field: "cooldown_minutes", message: "too large" },
        { field: "actions.webhook.url", message: "Use a public address." },
        { field: "actions.webhook.headers.x-bad name", message: "Not a header name." },
        { field: "somewhere.else", message: "elsewhere" },
      ],
    });
    expect(ruleServerErrors(err, headers)).toEqual([
      ["cooldown", "too large"],
      ["url", "Use a public address."],
      ["headers.1", "Not a header name."],
    ]);
  });

  it("has nothing for an error that is not the server's", () => {
    expect(ruleServerErrors(new Error("boom"), headers)).toEqual([]);
  });
});

describe("RuleForm with the server's field errors", () => {
  it("shows a 422's field errors at their inputs and its message above the form", async () => {
    const { calls } = mockFetch(() =>
      json(
        {
          detail: "Some fields are not valid.",
          code: "invalid",
          errors: [
            { field: "name", message: "A rule with this name exists." },
            { field: "actions.webhook.url", message: "Use a public address." },
          ],
        },
        422,
      ),
    );
    const user = userEvent.setup();
    render(<RuleForm rule={null} cameras={[]} policy={testHeaderPolicy} onSaved={() => undefined} onCancel={() => undefined} />);
    await user.type(screen.getByTestId("rule-name"), "Porch");
    await user.click(screen.getByTestId("rule-webhook"));
    await user.type(screen.getByTestId("rule-webhook-url"), "http://127.0.0.1:9/hook");
    await user.click(screen.getByTestId("rule-save"));

    expect(await screen.findByText("A rule with this name exists.")).toHaveAttribute("id", "rule-new-name-error");
    expect(screen.getByTestId("rule-name")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByText("Use a public address.")).toHaveAttribute("id", "rule-new-url-error");
    expect(screen.getByRole("alert")).toHaveTextContent("Some fields are not valid.");
    expect(calls).toHaveLength(1);

    // Typing in a field clears its error (and the form's message), not the others'.
    await user.type(screen.getByTestId("rule-name"), " 2");
    expect(screen.queryByText("A rule with this name exists.")).toBeNull();
    expect(screen.getByText("Use a public address.")).toBeInTheDocument();
  });
});

describe("the header policy from the API", () => {
  it("classifies names as the server's answer says (case-insensitive)", () => {
    expect(testHeaderPolicy.isKnownPlain(" Content-Type ")).toBe(true);
    expect(testHeaderPolicy.isKnownPlain("X-Custom")).toBe(false);
    expect(testHeaderPolicy.isCredentialName("X-API-KEY")).toBe(true);
    expect(testHeaderPolicy.isCredentialName("X-Hub-Sig")).toBe(true);
    expect(testHeaderPolicy.isCredentialName("X-Sigma")).toBe(false); // `sig\b`: a word, not a prefix
    expect(testHeaderPolicy.isCredentialName("X-Title")).toBe(false);
  });

  it("sends a header switched to plain in plain_headers, and never a credential name", async () => {
    const { calls } = mockFetch(() => json({}, 201));
    const user = userEvent.setup();
    render(<RuleForm rule={null} cameras={[]} policy={testHeaderPolicy} onSaved={() => undefined} onCancel={() => undefined} />);
    await user.type(screen.getByTestId("rule-name"), "Porch");
    await user.click(screen.getByTestId("rule-webhook"));
    await user.type(screen.getByTestId("rule-webhook-url"), "https://hooks.example.com/h");
    for (const [name, value] of [["X-Title", "Front"], ["X-Auth-Pin", "fake-pin-1"]]) {
      await user.click(screen.getByTestId("header-add"));
      const rows = screen.getAllByTestId("header-row");
      const row = rows[rows.length - 1];
      await user.type(row.querySelector("[data-testid=header-name]")!, name);
      await user.type(row.querySelector("[data-testid=header-value]")!, value);
    }
    const switches = screen.getAllByTestId("header-secret");
    // Content-Type (plain by the policy), X-Title (secret until switched off), X-Auth-Pin (a credential name: locked on).
    expect(switches.map((s) => s.getAttribute("aria-checked"))).toEqual(["false", "true", "true"]);
    expect(switches[2]).toBeDisabled();
    await user.click(switches[1]);
    // The policy's limit is 4 headers in this test: one more row, then Add header is off.
    await user.click(screen.getByTestId("header-add"));
    expect(screen.getByTestId("header-add")).toBeDisabled();
    await user.click(screen.getAllByRole("button", { name: /Remove header/ })[3]);

    await user.click(screen.getByTestId("rule-save"));
    await vi.waitFor(() => expect(calls).toHaveLength(1));
    const webhook = (calls[0].body as { actions: { webhook: Record<string, unknown> } }).actions.webhook;
    expect(webhook.headers).toEqual({ "Content-Type": "application/json", "X-Title": "Front", "X-Auth-Pin": "fake-pin-1" });
    expect(webhook.secret_headers).toEqual(["X-Auth-Pin"]);
    expect(webhook.plain_headers).toEqual(["X-Title"]);
  });
});
