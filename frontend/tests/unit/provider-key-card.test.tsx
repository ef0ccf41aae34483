import { act, render, screen, waitFor } from "../render";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { MaskedKey, ProviderKeyCard } from "@/components/settings/provider-key-card";
import { deferred, json, mockFetch, settingsFixture } from "../helpers";

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

function renderCard(props: Partial<React.ComponentProps<typeof ProviderKeyCard>> = {}) {
  const onSaved = vi.fn();
  render(
    <ProviderKeyCard provider="openai" masked="****abcd" status="set" onSaved={onSaved} {...props} />,
  );
  return { onSaved };
}

describe("MaskedKey", () => {
  it("shows the masked key, Not set, or Needs re-entry", () => {
    const { rerender } = render(<MaskedKey masked="****abcd" status="set" />);
    expect(screen.getByTestId("masked-key")).toHaveTextContent("****abcd");
    rerender(<MaskedKey masked={null} status="unset" />);
    expect(screen.getByTestId("masked-key")).toHaveTextContent("Not set");
    rerender(<MaskedKey masked="****" status="undecryptable" />);
    expect(screen.getByTestId("masked-key")).toHaveTextContent("Needs re-entry");
  });

  it("never renders an unmasked value even if the server sent one", () => {
    render(<MaskedKey masked="fake-live-secret-value" status="set" />);
    expect(screen.getByTestId("masked-key")).toHaveTextContent("****");
    expect(screen.queryByText(/fake-live-secret-value/)).toBeNull();
  });
});

describe("ProviderKeyCard", () => {
  it("never pre-fills the key input and uses a password field", () => {
    renderCard();
    const input = screen.getByTestId("ai-key-input-openai");
    expect(input).toHaveValue("");
    expect(input).toHaveAttribute("type", "password");
    expect(document.body.innerHTML).not.toContain("abcd\"");
    expect(screen.getByTestId("masked-key")).toHaveTextContent("****abcd");
  });

  it("goes idle → spinner → green check for a valid key", async () => {
    const pending = deferred<Response>();
    const { calls } = mockFetch(() => pending.promise);
    const user = userEvent.setup();
    renderCard({ masked: null, status: "unset" });

    const status = screen.getByTestId("ai-key-status-openai");
    expect(status).toHaveAttribute("data-state", "idle");
    await user.type(screen.getByTestId("ai-key-input-openai"), "fake-openai-test-ok");
    await user.click(screen.getByTestId("ai-key-test-openai"));

    expect(status).toHaveAttribute("data-state", "testing");
    expect(screen.getByTestId("ai-key-test-openai")).toBeDisabled();
    expect(status.querySelector("[data-testid=spinner]")).not.toBeNull();

    await act(async () => pending.resolve(json({ valid: true, message: "The key works.", provider: "openai", outcome: "valid" })));
    await waitFor(() => expect(status).toHaveAttribute("data-state", "success"));
    expect(status).toHaveTextContent("The key works.");
    expect(screen.getByRole("img", { name: "Valid" })).toBeInTheDocument();
    expect(calls[0].body).toEqual({ provider: "openai", api_key: "fake-openai-test-ok" });
  });

  it("shows a red cross and the message for an invalid key", async () => {
    mockFetch(() => json({ valid: false, message: "The provider rejected this key.", provider: "openai", outcome: "invalid_key" }));
    const user = userEvent.setup();
    renderCard({ masked: null, status: "unset" });
    await user.type(screen.getByTestId("ai-key-input-openai"), "fake-openai-test-bad");
    await user.click(screen.getByTestId("ai-key-test-openai"));
    const status = screen.getByTestId("ai-key-status-openai");
    await waitFor(() => expect(status).toHaveAttribute("data-state", "failure"));
    expect(status).toHaveTextContent("The provider rejected this key.");
    expect(screen.getByRole("img", { name: "Failed" })).toBeInTheDocument();
  });

  it("shows 'Too many tests — try again in N s' on 429 and counts down", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    mockFetch(() => json({ detail: "Too many key tests. Try again in 5 seconds.", retry_after: 5 }, 429, { "Retry-After": "5" }));
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    renderCard({ masked: null, status: "unset" });
    await user.type(screen.getByTestId("ai-key-input-openai"), "fake-openai-test-ok");
    await user.click(screen.getByTestId("ai-key-test-openai"));
    const status = screen.getByTestId("ai-key-status-openai");
    await waitFor(() => expect(status).toHaveTextContent("Too many tests — try again in 5 s"));
    expect(screen.getByTestId("ai-key-test-openai")).toBeDisabled();
    await act(async () => {
      vi.advanceTimersByTime(2000);
    });
    expect(status).toHaveTextContent(/try again in [34] s/);
    await act(async () => {
      vi.advanceTimersByTime(4000);
    });
    expect(status).toHaveAttribute("data-state", "idle");
    expect(screen.getByTestId("ai-key-test-openai")).toBeEnabled();
  });

  it("tests the stored key without retyping it", async () => {
    const { calls } = mockFetch(() => json({ valid: true, message: "The key works.", provider: "openai" }));
    const user = userEvent.setup();
    renderCard();
    const button = screen.getByTestId("ai-key-test-openai");
    expect(button).toHaveTextContent("Test stored OpenAI key");
    await user.click(button);
    await waitFor(() => expect(screen.getByTestId("ai-key-status-openai")).toHaveAttribute("data-state", "success"));
    expect(calls[0].body).toEqual({ provider: "openai" });
    expect(screen.getByTestId("ai-key-status-openai")).toHaveTextContent("Stored key: The key works.");
  });

  it("removes a key with PUT null after confirmation", async () => {
    const { calls } = mockFetch(() => json(settingsFixture({ ai_api_key_openai: null })));
    const user = userEvent.setup();
    renderCard();
    await user.click(screen.getByTestId("ai-key-remove-openai"));
    await user.click(screen.getByTestId("ai-key-remove-confirm-openai"));
    await waitFor(() => expect(calls).toHaveLength(1));
    expect(calls[0].body).toEqual({ ai_api_key_openai: null });
  });

  it("asks for re-entry when the stored key cannot be decrypted", () => {
    renderCard({ provider: "google", masked: "****", status: "undecryptable" });
    expect(screen.getByTestId("masked-key")).toHaveTextContent("Needs re-entry");
    expect(screen.getByText(/can no longer be decrypted/)).toBeInTheDocument();
    expect(screen.getByTestId("ai-key-input-google")).toHaveValue("");
    // Nothing usable is stored, so the test button needs a typed key.
    expect(screen.getByTestId("ai-key-test-google")).toBeDisabled();
  });

  it("clears a stale result when the key is edited", async () => {
    mockFetch(() => json({ valid: false, message: "Rejected.", provider: "openai" }));
    const user = userEvent.setup();
    renderCard({ masked: null, status: "unset" });
    const input = screen.getByTestId("ai-key-input-openai");
    await user.type(input, "fake-openai-test-bad");
    await user.click(screen.getByTestId("ai-key-test-openai"));
    const status = screen.getByTestId("ai-key-status-openai");
    await waitFor(() => expect(status).toHaveAttribute("data-state", "failure"));
    await user.type(input, "x");
    expect(status).toHaveAttribute("data-state", "idle");
  });

  it("Enter in the key field tests the key and does not save it", async () => {
    const { calls } = mockFetch(() => json({ valid: true, message: "The key works.", provider: "openai" }));
    const user = userEvent.setup();
    renderCard({ masked: null, status: "unset" });
    await user.type(screen.getByTestId("ai-key-input-openai"), "fake-openai-test-ok{Enter}");
    await waitFor(() => expect(screen.getByTestId("ai-key-status-openai")).toHaveAttribute("data-state", "success"));
    expect(calls).toHaveLength(1);
    expect(calls[0].url).toBe("/api/v1/ai/test-key");
  });
  it("shows the server's 422 on the key at the input, sends only the typed key, and empties the input after a save", async () => {
    let refuse = true;
    const { calls } = mockFetch((call) => {
      if (call.url === "/api/v1/ai/test-key") return json({ valid: true, message: "The key works.", provider: "openai", outcome: "valid" });
      return refuse
        ? json({ detail: "Invalid request", code: "invalid", errors: [{ field: "ai_api_key_openai", message: "The key has a line break in it." }] }, 422)
        : json(settingsFixture({ ai_api_key_openai: "****5678" }));
    });
    const user = userEvent.setup();
    const { onSaved } = renderCard({ masked: null, status: "unset" });
    const input = screen.getByTestId("ai-key-input-openai");
    const save = screen.getByTestId("ai-key-save-openai");
    expect(save).toBeDisabled();
    await user.type(input, "   ");
    expect(save).toBeDisabled();
    await user.clear(input);
    await user.type(input, "  fake-openai-key-1234  ");
    expect(save).toBeEnabled();
    await user.click(save);

    expect(await screen.findByTestId("ai-key-openai-error")).toHaveTextContent("The key has a line break in it.");
    expect(input).toHaveAttribute("aria-invalid", "true");
    expect(input.getAttribute("aria-describedby")!.split(" ")).toEqual(["ai-key-openai-hint", "ai-key-openai-status", "ai-key-openai-error"]);
    expect(screen.queryByRole("alert")).toBeNull();
    expect(input).toHaveValue("  fake-openai-key-1234  ");
    expect(calls.map((c) => c.body)).toEqual([
      { provider: "openai", api_key: "fake-openai-key-1234" },
      { ai_api_key_openai: "fake-openai-key-1234" },
    ]);
    expect(onSaved).not.toHaveBeenCalled();

    // Editing the key clears the error; a saved key leaves the input empty.
    await user.type(input, "x");
    expect(input).not.toHaveAttribute("aria-invalid");
    expect(screen.queryByTestId("ai-key-openai-error")).toBeNull();
    refuse = false;
    await user.click(save);
    expect(await screen.findByText("Key saved.")).toBeInTheDocument();
    expect(calls.at(-1)!.body).toEqual({ ai_api_key_openai: "fake-openai-key-1234  x" });
    expect(input).toHaveValue("");
    expect(onSaved).toHaveBeenCalledTimes(1);
    expect(document.body.innerHTML).not.toContain("fake-openai-key-1234");
  });
});
