import { render, screen, waitFor, within } from "../render";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { KeyHealthBadge, ProviderKeyCard } from "@/components/settings/provider-key-card";
import { GeneralSettings } from "@/components/settings/general-settings";
import { SettingsView } from "@/components/settings/settings-view";
import { encryptionProblems, keyHealthBadge } from "@/lib/key-health";
import type { EncryptionStatus, Settings } from "@/lib/types";
import { encryptionStatusFixture, json, mockFetch, settingsFixture, type Call } from "../helpers";

afterEach(() => vi.unstubAllGlobals());

const AT = "2026-12-01T14:00:00Z";

describe("keyHealthBadge", () => {
  it("is green only when the stored key's last outcome is valid", () => {
    expect(keyHealthBadge("set", { outcome: "valid", message: "The key works.", at: AT })).toEqual({
      tone: "success",
      label: "Working",
      at: AT,
    });
  });

  it("is amber when a key is stored but never tested", () => {
    expect(keyHealthBadge("set", null)).toEqual({ tone: "warning", label: "Not tested" });
    expect(keyHealthBadge("set", undefined)).toEqual({ tone: "warning", label: "Not tested" });
  });

  it("is red with the message for any other outcome", () => {
    for (const outcome of ["invalid_key", "no_quota", "rate_limited", "unreachable", "provider_error"]) {
      const badge = keyHealthBadge("set", { outcome, message: "The provider rejected this key.", at: AT });
      expect(badge).toEqual({ tone: "danger", label: "Failing: The provider rejected this key.", at: AT });
    }
    expect(keyHealthBadge("undecryptable", null)?.tone).toBe("danger");
  });

  it("shows nothing when no key is stored (even with an old health entry)", () => {
    expect(keyHealthBadge("unset", null)).toBeNull();
    expect(keyHealthBadge("unset", { outcome: "valid", message: "ok", at: AT })).toBeNull();
  });

  it("renders the badge with its time", () => {
    const { rerender } = render(<KeyHealthBadge status="set" health={{ outcome: "valid", message: "ok", at: AT }} />);
    expect(screen.getByTestId("key-health")).toHaveAttribute("data-tone", "success");
    expect(screen.getByTestId("key-health")).toHaveTextContent(/^Working · /);
    rerender(<KeyHealthBadge status="set" health={{ outcome: "invalid_key", message: "Rejected by OpenAI.", at: AT }} />);
    expect(screen.getByTestId("key-health")).toHaveAttribute("data-tone", "danger");
    expect(screen.getByTestId("key-health")).toHaveTextContent("Failing: Rejected by OpenAI.");
    rerender(<KeyHealthBadge status="set" health={null} />);
    expect(screen.getByTestId("key-health")).toHaveTextContent("Not tested");
  });
});

function keyServer(valid: boolean, saved: Record<string, unknown> = {}) {
  return mockFetch((call) => {
    if (call.url === "/api/v1/ai/test-key")
      return json({
        valid,
        provider: "openai",
        outcome: valid ? "valid" : "invalid_key",
        message: valid ? "The key works: OpenAI accepted it." : "OpenAI rejected this key.",
      });
    if (call.method === "PUT") return json(settingsFixture({ ai_api_key_openai: "****7-ok", ...saved }));
    return json({ detail: "unexpected" }, 500);
  });
}

function renderCard(props: Partial<React.ComponentProps<typeof ProviderKeyCard>> = {}) {
  const onSaved = vi.fn();
  render(<ProviderKeyCard provider="openai" masked={null} status="unset" onSaved={onSaved} {...props} />);
  return { onSaved };
}

/** Type `key` into the OpenAI card and press "Save & test"; the user, for what follows. */
async function saveAndTest(key: string) {
  const user = userEvent.setup();
  await user.type(screen.getByLabelText("OpenAI API key"), key);
  await user.click(screen.getByRole("button", { name: "Save & test OpenAI key" }));
  return user;
}

describe("Save & test", () => {
  it("names the field and the buttons after the provider", () => {
    renderCard();
    expect(screen.getByLabelText("OpenAI API key")).toHaveAttribute("type", "password");
    expect(screen.getByRole("button", { name: "Test OpenAI key" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Save & test OpenAI key" })).toBeInTheDocument();
  });

  it("tests the key first, then saves it when the test passed", async () => {
    const { calls } = keyServer(true);
    const { onSaved } = renderCard({ primaryProvider: "anthropic" });
    await saveAndTest("fake-new-7-ok");
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual(["POST /api/v1/ai/test-key", "PUT /api/v1/settings"]);
    expect(calls[0].body).toEqual({ provider: "openai", api_key: "fake-new-7-ok" });
    expect(calls[1].body).toEqual({ ai_api_key_openai: "fake-new-7-ok" });
    expect(screen.getByText("Key saved.")).toBeInTheDocument();
    expect(screen.getByLabelText("OpenAI API key")).toHaveValue("");
    // A primary provider was already set: nothing is said about it.
    expect(screen.queryByTestId("ai-key-primary-openai")).toBeNull();
  });

  it("asks before saving a key whose test failed, and saves nothing on cancel", async () => {
    const { calls } = keyServer(false);
    const { onSaved } = renderCard();
    const user = await saveAndTest("fake-wrong-bad");
    const ask = await screen.findByRole("group", { name: "Save the OpenAI key although its test failed?" });
    expect(ask).toHaveTextContent("OpenAI rejected this key.");
    expect(ask).toHaveTextContent("Save anyway?");
    await user.click(within(ask).getByRole("button", { name: "Don't save" }));
    expect(screen.queryByRole("group", { name: /although its test failed/ })).toBeNull();
    expect(calls.map((c) => c.method)).toEqual(["POST"]);
    expect(onSaved).not.toHaveBeenCalled();
  });

  it("saves the failing key when the user says so", async () => {
    const { calls } = keyServer(false);
    const { onSaved } = renderCard();
    const user = await saveAndTest("fake-wrong-bad");
    await user.click(await screen.findByRole("button", { name: "Save OpenAI key anyway" }));
    await waitFor(() => expect(onSaved).toHaveBeenCalled());
    expect(calls.map((c) => c.method)).toEqual(["POST", "PUT"]);
    expect(calls[1].body).toEqual({ ai_api_key_openai: "fake-wrong-bad" });
    expect(screen.getByText("Key saved, although its test failed.")).toBeInTheDocument();
  });

  it("says so when the first key saved became the primary provider", async () => {
    keyServer(true, { ai_primary_provider: "openai" });
    renderCard({ primaryProvider: null });
    await saveAndTest("fake-new-7-ok");
    expect(await screen.findByTestId("ai-key-primary-openai")).toHaveTextContent("OpenAI is now the primary provider");
  });
});

function settingsServer(settings: Record<string, unknown>, onPut: (call: Call) => Response = () => json(settings)) {
  return mockFetch((call) => {
    if (call.url === "/api/v1/encryption/status") return json(encryptionStatusFixture());
    if (call.method === "PUT") return onPut(call);
    return json(settings);
  });
}

describe("Settings page", () => {
  const none = {
    ai_api_key_openai: null,
    ai_api_key_google: null,
    ai_primary_provider: null,
    secret_status: {
      ai_api_key_openai: "unset",
      ai_api_key_anthropic: "unset",
      ai_api_key_google: "unset",
      ai_api_key_grok: "unset",
    },
  };

  it("says plainly that AI descriptions are off while no key is stored", async () => {
    settingsServer(settingsFixture(none));
    render(<SettingsView />);
    const banner = await screen.findByTestId("ai-off-banner");
    expect(banner).toHaveTextContent("AI descriptions are off");
    expect(banner).toHaveTextContent("Save & test");
  });

  it("has no AI-off banner once a key is stored, and shows each card's health", async () => {
    settingsServer(
      settingsFixture({
        key_health: { openai: { outcome: "invalid_key", message: "OpenAI rejected this key.", at: AT }, google: null },
      }),
    );
    render(<SettingsView />);
    const card = await screen.findByTestId("ai-provider-card-openai");
    expect(screen.queryByTestId("ai-off-banner")).toBeNull();
    expect(within(card).getByTestId("key-health")).toHaveTextContent("Failing: OpenAI rejected this key.");
    expect(within(screen.getByTestId("ai-provider-card-anthropic")).queryByTestId("key-health")).toBeNull();
    expect(screen.getAllByRole("link", { name: /Key health/ })[0]).toHaveAttribute("href", "/settings/keys");
  });
});

describe("Max tokens", () => {
  it("refuses a value outside 16-4096 at the field, before asking the server", async () => {
    const { calls } = mockFetch(() => json(settingsFixture()));
    const user = userEvent.setup();
    render(<GeneralSettings settings={settingsFixture() as unknown as Settings} onSaved={vi.fn()} />);
    const field = screen.getByLabelText("Max tokens per description");
    expect(field).toHaveAttribute("min", "16");
    expect(field).toHaveAttribute("max", "4096");
    await user.clear(field);
    await user.type(field, "8");
    await user.click(screen.getByRole("button", { name: "Save settings" }));
    expect(await screen.findByTestId("ai-max-tokens-hint")).toHaveTextContent("Enter a whole number from 16 to 4096.");
    expect(field).toHaveAttribute("aria-invalid", "true");
    expect(calls).toHaveLength(0);
  });

  it("puts the server's 422 at the field in the form's words", async () => {
    mockFetch(() =>
      json(
        { detail: "Some fields are not valid.", errors: [{ field: "ai_max_tokens", message: "Input should be less than or equal to 4096" }] },
        422,
      ),
    );
    const user = userEvent.setup();
    render(<GeneralSettings settings={settingsFixture() as unknown as Settings} onSaved={vi.fn()} />);
    await user.click(screen.getByRole("button", { name: "Save settings" }));
    expect(await screen.findByTestId("ai-max-tokens-hint")).toHaveTextContent("Enter a whole number from 16 to 4096.");
    expect(screen.queryByText(/Input should be/)).toBeNull();
  });
});

describe("encryptionProblems", () => {
  const status = (o: Record<string, unknown>) => encryptionStatusFixture(o) as unknown as EncryptionStatus;
  const zero = { primary: 3, previous: 0, plaintext: 0, undecryptable: 0 };

  it("is empty when every secret is under the primary key", () => {
    expect(encryptionProblems(status({ totals: zero }))).toEqual([]);
  });

  it("names undecryptable and plaintext secrets", () => {
    const kinds = encryptionProblems(status({ totals: { ...zero, undecryptable: 2, plaintext: 1 } })).map((p) => p.kind);
    expect(kinds).toEqual(["undecryptable", "plaintext"]);
  });

  it("names an unfinished rotation", () => {
    const problems = encryptionProblems(
      status({ totals: zero, previous_keys: 1, rotation: { started_at: AT, finished_at: null, in_progress: true } }),
    );
    expect(problems.map((p) => p.kind)).toEqual(["rotation"]);
  });

  it("asks to remove previous keys after a finished rotation, not before one", () => {
    const finished = { started_at: AT, finished_at: AT, in_progress: false };
    const done = encryptionProblems(status({ totals: zero, previous_keys: 2, rotation: finished }));
    expect(done.map((p) => p.kind)).toEqual(["previous_keys"]);
    expect(done[0].text).toMatch(/remove them/);
    expect(encryptionProblems(status({ totals: zero, previous_keys: 2 }))).toEqual([]);
    expect(encryptionProblems(status({ totals: zero, previous_keys: 0, rotation: finished }))).toEqual([]);
  });
});
