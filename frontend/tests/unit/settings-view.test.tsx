import { render, screen, waitFor } from "../render";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { SettingsView } from "@/components/settings/settings-view";
import { PROVIDERS } from "@/lib/types";
import { encryptionStatusFixture, json, mockFetch, settingsFixture, type Call } from "../helpers";

/** The settings page also shows the encryption key's summary. */
function withKey(handler: (call: Call) => Response) {
  return (call: Call) => (call.url === "/api/v1/encryption/status" ? json(encryptionStatusFixture()) : handler(call));
}

afterEach(() => vi.unstubAllGlobals());

describe("SettingsView", () => {
  it("renders one card per provider with masked or missing keys and empty inputs", async () => {
    mockFetch(withKey(() => json(settingsFixture())));
    render(<SettingsView />);
    expect(await screen.findByRole("heading", { name: "AI Providers" })).toBeInTheDocument();
    for (const p of PROVIDERS) {
      expect(screen.getByTestId(`ai-key-input-${p}`)).toHaveValue("");
      expect(screen.getByTestId(`ai-key-test-${p}`)).toBeInTheDocument();
      expect(screen.getByTestId(`ai-key-status-${p}`)).toBeInTheDocument();
      expect(screen.getByTestId(`ai-key-save-${p}`)).toBeInTheDocument();
    }
    expect(screen.getByTestId("ai-provider-card-openai")).toHaveTextContent("****abcd");
    expect(screen.getByTestId("ai-provider-card-anthropic")).toHaveTextContent("Not set");
    expect(screen.getByTestId("ai-provider-card-google")).toHaveTextContent("Needs re-entry");
    expect(screen.getByRole("heading", { name: /Google Gemini/ })).toBeInTheDocument();
    expect(screen.getByRole("heading", { name: /xAI Grok/ })).toBeInTheDocument();
    // The key: where it lives and its fingerprint, in the same badge as the onboarding.
    const key = await screen.findByTestId("key-fingerprint");
    expect(key).toHaveTextContent("3fa9c02b7d1e");
    expect(screen.getByTestId("key-summary")).toHaveTextContent("/var/lib/loaic/encryption.key");
    expect(screen.getByRole("link", { name: "Back up the key" })).toHaveAttribute("href", "/setup/key");
  });

  it("shows an error state with retry", async () => {
    let fail = true;
    mockFetch(withKey(() => (fail ? json({ detail: "Database unavailable" }, 503) : json(settingsFixture()))));
    const user = userEvent.setup();
    render(<SettingsView />);
    expect(await screen.findByText("Database unavailable")).toBeInTheDocument();
    fail = false;
    await user.click(screen.getByRole("button", { name: /Try again/ }));
    expect(await screen.findByRole("heading", { name: "AI Providers" })).toBeInTheDocument();
  });

  it("saves primary provider, fallback order and models", async () => {
    const { calls } = mockFetch(withKey((call) => (call.method === "PUT" ? json(settingsFixture({ ...(call.body as object) })) : json(settingsFixture()))));
    const user = userEvent.setup();
    render(<SettingsView />);
    await user.selectOptions(await screen.findByTestId("ai-primary-provider"), "anthropic");
    await user.click(screen.getByLabelText(/OpenAI/, { selector: "input[type=checkbox]" }));
    await user.click(screen.getByRole("button", { name: "Move OpenAI up" }));
    const model = screen.getByTestId("ai-model-grok");
    await user.clear(model);
    await user.type(model, "grok-3");
    await user.click(screen.getByTestId("ai-preferences-save"));
    await waitFor(() => expect(calls.some((c) => c.method === "PUT")).toBe(true));
    const put = calls.find((c) => c.method === "PUT")!;
    expect(put.body).toMatchObject({ ai_primary_provider: "anthropic", ai_model_grok: "grok-3" });
    expect((put.body as { ai_fallback_order: string[] }).ai_fallback_order).toEqual(["openai"]);
    expect(put.body).not.toHaveProperty("ai_api_key_openai");
    expect(await screen.findByText("Provider preferences saved.")).toBeInTheDocument();
  });

  it("saves webhook_block_private_networks", async () => {
    const { calls } = mockFetch(withKey((call) => (call.method === "PUT" ? json(settingsFixture({ webhook_block_private_networks: true })) : json(settingsFixture()))));
    const user = userEvent.setup();
    render(<SettingsView />);
    const toggle = await screen.findByRole("switch", { name: "Block webhooks to private networks" });
    expect(toggle).toHaveAttribute("aria-checked", "false");
    await user.click(toggle);
    await user.click(screen.getByTestId("general-settings-save"));
    await waitFor(() => expect(calls.some((c) => c.method === "PUT")).toBe(true));
    expect(calls.find((c) => c.method === "PUT")!.body).toMatchObject({ webhook_block_private_networks: true });
  });
});
