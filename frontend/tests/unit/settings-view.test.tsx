import { render, screen, waitFor } from "../render";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { SettingsView } from "@/components/settings/settings-view";
import { GeneralSettings } from "@/components/settings/general-settings";
import { PROVIDERS, type Settings } from "@/lib/types";
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

  it("shows the server's 422 at the model field and the fallback list, the rest in the notice", async () => {
    const refusals = [
      { field: "ai_model_grok", message: "Use letters, digits, dots, dashes and colons only." },
      { field: "ai_fallback_order.0", message: "Input should be 'openai', 'anthropic', 'google' or 'grok'" },
    ];
    let answer = () => json({ detail: "Invalid request", code: "invalid", errors: refusals }, 422);
    const { calls } = mockFetch(withKey((call) => (call.method === "PUT" ? answer() : json(settingsFixture()))));
    const user = userEvent.setup();
    render(<SettingsView />);
    const model = await screen.findByTestId("ai-model-grok");
    await user.clear(model);
    await user.type(model, "grok 3 vision!");
    await user.click(screen.getByLabelText(/Google Gemini/, { selector: "input[type=checkbox]" }));
    await user.click(screen.getByTestId("ai-preferences-save"));

    expect(await screen.findByTestId("ai-model-grok-error")).toHaveTextContent("Use letters, digits, dots, dashes and colons only.");
    expect(model).toHaveAttribute("aria-invalid", "true");
    expect(model.getAttribute("aria-describedby")).toContain("ai-model-grok-error");
    expect(model).toHaveFocus();
    const fallback = screen.getByLabelText(/Google Gemini/, { selector: "input[type=checkbox]" });
    expect(fallback).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByTestId("ai-fallback-order-error")).toHaveTextContent("Input should be");
    expect(screen.getByTestId("ai-model-openai")).not.toHaveAttribute("aria-invalid");
    expect(screen.getByTestId("ai-primary-provider")).not.toHaveAttribute("aria-invalid");
    expect(screen.queryByText("Provider preferences saved.")).toBeNull();
    expect(calls.find((c) => c.method === "PUT")!.body).toEqual({
      ai_primary_provider: "openai",
      ai_fallback_order: ["anthropic", "google"],
      ai_model_openai: "gpt-4o-mini",
      ai_model_anthropic: "claude-3-5-haiku-latest",
      ai_model_google: "gemini-2.0-flash",
      ai_model_grok: "grok 3 vision!",
    });

    // An error with no field of this form goes to the notice.
    answer = () => json({ detail: "Invalid request: body: not a JSON object", code: "invalid", errors: [{ field: "body", message: "not a JSON object" }] }, 422);
    await user.click(screen.getByTestId("ai-preferences-save"));
    expect(await screen.findByRole("alert")).toHaveTextContent("Invalid request: body: not a JSON object");
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

describe("GeneralSettings", () => {
  const stored = () => settingsFixture() as unknown as Settings;
  /** The line a field's aria-describedby points at. */
  const describedBy = (el: HTMLElement) => document.getElementById(el.getAttribute("aria-describedby")!.split(" ").pop()!);

  it("refuses an empty prompt at its field before asking the server", async () => {
    const { calls } = mockFetch(() => json(settingsFixture()));
    const user = userEvent.setup();
    render(<GeneralSettings settings={stored()} onSaved={vi.fn()} />);
    const prompt = screen.getByLabelText("Description prompt");
    expect(prompt).toHaveValue("Describe the image.");
    expect(prompt).not.toHaveAttribute("aria-invalid");
    await user.clear(prompt);
    await user.click(screen.getByRole("button", { name: "Save settings" }));
    await waitFor(() => expect(prompt).toHaveAttribute("aria-invalid", "true"));
    expect(describedBy(prompt)).toHaveTextContent("Enter a prompt: it tells the AI what to describe.");
    expect(prompt).toHaveFocus();
    expect(screen.getByLabelText("Max tokens per description")).not.toHaveAttribute("aria-invalid");
    expect(calls).toHaveLength(0);

    // Fixed, the error goes and the hint is back.
    await user.type(prompt, "Name the people.");
    await waitFor(() => expect(prompt).not.toHaveAttribute("aria-invalid"));
    expect(describedBy(prompt)).toHaveTextContent("up to 2000 characters");
  });

  it("puts a server 422 on the prompt at the prompt, in the form's words", async () => {
    const { calls } = mockFetch(() =>
      json(
        { detail: "Some fields are not valid.", errors: [{ field: "ai_description_prompt", message: "String should have at most 2000 characters" }] },
        422,
      ),
    );
    const user = userEvent.setup();
    const onSaved = vi.fn();
    render(<GeneralSettings settings={stored()} onSaved={onSaved} />);
    await user.click(screen.getByRole("button", { name: "Save settings" }));
    const prompt = screen.getByLabelText("Description prompt");
    await waitFor(() => expect(prompt).toHaveAttribute("aria-invalid", "true"));
    expect(describedBy(prompt)).toHaveTextContent("Enter a prompt of 1 to 2000 characters.");
    expect(screen.getByLabelText("Max tokens per description")).not.toHaveAttribute("aria-invalid");
    expect(screen.queryByText(/String should have/)).toBeNull();
    expect(screen.queryByRole("alert")).toBeNull();
    expect(onSaved).not.toHaveBeenCalled();
    expect(calls[0]).toMatchObject({
      method: "PUT",
      url: "/api/v1/settings",
      body: { ai_description_prompt: "Describe the image.", ai_max_tokens: 300, webhook_block_private_networks: false },
    });
  });

  it("puts a server 422 on the private-network switch at the switch", async () => {
    mockFetch(() =>
      json({ detail: "Some fields are not valid.", errors: [{ field: "webhook_block_private_networks", message: "Input should be a valid boolean" }] }, 422),
    );
    const user = userEvent.setup();
    render(<GeneralSettings settings={stored()} onSaved={vi.fn()} />);
    await user.click(screen.getByRole("button", { name: "Save settings" }));
    const toggle = screen.getByRole("switch", { name: "Block webhooks to private networks" });
    await waitFor(() => expect(toggle).toHaveAttribute("aria-invalid", "true"));
    expect(describedBy(toggle)).toHaveTextContent("Choose on or off.");
  });

  it("says any other failure above no field", async () => {
    mockFetch(() => json({ detail: "Database unavailable" }, 503));
    const user = userEvent.setup();
    render(<GeneralSettings settings={stored()} onSaved={vi.fn()} />);
    await user.click(screen.getByRole("button", { name: "Save settings" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Database unavailable");
    expect(screen.getByLabelText("Description prompt")).not.toHaveAttribute("aria-invalid");
    expect(screen.getByLabelText("Max tokens per description")).not.toHaveAttribute("aria-invalid");
  });

  it("saves the prompt and max tokens as the server's fields, and shows what it stored", async () => {
    const { calls } = mockFetch((call) => json(settingsFixture({ ...(call.body as object) })));
    const user = userEvent.setup();
    const onSaved = vi.fn();
    render(<GeneralSettings settings={stored()} onSaved={onSaved} />);
    const prompt = screen.getByLabelText("Description prompt");
    await user.clear(prompt);
    await user.type(prompt, "Name the vehicles.");
    const tokens = screen.getByLabelText("Max tokens per description");
    await user.clear(tokens);
    await user.type(tokens, "512");
    await user.click(screen.getByRole("button", { name: "Save settings" }));
    expect(await screen.findByRole("status")).toHaveTextContent("Settings saved.");
    expect(calls[0].body).toEqual({ ai_description_prompt: "Name the vehicles.", ai_max_tokens: 512, webhook_block_private_networks: false });
    expect(onSaved).toHaveBeenCalledWith(expect.objectContaining({ ai_max_tokens: 512 }));
  });
});
