import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, api, errorMessage, request, setUnauthorizedHandler } from "@/lib/api";
import { json, mockFetch } from "../helpers";

afterEach(() => {
  vi.unstubAllGlobals();
  setUnauthorizedHandler(null);
});

describe("API client", () => {
  it("returns parsed JSON on success and sends JSON bodies", async () => {
    const { calls } = mockFetch(() => json({ valid: true, message: "ok", provider: "openai" }));
    const result = await api.ai.testKey("openai", "fake-openai-test-ok");
    expect(result.valid).toBe(true);
    expect(calls[0]).toMatchObject({
      url: "/api/v1/ai/test-key",
      method: "POST",
      body: { provider: "openai", api_key: "fake-openai-test-ok" },
    });
  });

  it("omits api_key to test the stored key", async () => {
    const { calls } = mockFetch(() => json({ valid: true, message: "ok", provider: "grok" }));
    await api.ai.testKey("grok");
    expect(calls[0].body).toEqual({ provider: "grok" });
  });

  it("builds query strings and skips empty values", async () => {
    const { calls } = mockFetch(() => json({ items: [], total: 0, limit: 10, offset: 0 }));
    await api.webhooks.logs({ rule_id: 7, limit: 10 });
    await api.events.list({ camera_id: null, limit: 5 });
    expect(calls[0].url).toBe("/api/v1/webhooks/logs?rule_id=7&limit=10");
    expect(calls[1].url).toBe("/api/v1/events?limit=5");
  });

  it("turns error bodies into ApiError with detail and code", async () => {
    mockFetch(() =>
      json(
        { detail: "The camera address changed: enter the password again.", code: "password_required" },
        422,
      ),
    );
    const err = await api.cameras.update(1, { rtsp_url: "rtsp://10.0.0.9/s" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 422, code: "password_required" });
    expect(errorMessage(err)).toMatch(/enter the password again/);
  });

  it("reads field errors from validation answers", async () => {
    mockFetch(() => json({ detail: "Invalid input", errors: [{ field: "name", message: "too long" }] }, 422));
    const err = (await api.cameras.create({ name: "x" }).catch((e: unknown) => e)) as ApiError;
    expect(err.fieldErrors).toEqual([{ field: "name", message: "too long" }]);
  });

  it("reads retry_after from a 429 body, else the Retry-After header", async () => {
    mockFetch(() => json({ detail: "Too many key tests. Try again in 42 seconds.", retry_after: 42 }, 429));
    const a = (await api.ai.testKey("openai", "k").catch((e: unknown) => e)) as ApiError;
    expect(a.status).toBe(429);
    expect(a.retryAfter).toBe(42);

    mockFetch(() => new Response("slow down", { status: 429, headers: { "Retry-After": "17" } }));
    const b = (await api.ai.testKey("openai", "k").catch((e: unknown) => e)) as ApiError;
    expect(b.retryAfter).toBe(17);
    expect(b.message).toMatch(/Too many requests/);
  });

  it("adds the request id to 500 messages without exception text", async () => {
    mockFetch(() => json({ detail: "Internal server error", request_id: "abc123" }, 500));
    const err = (await api.settings.get().catch((e: unknown) => e)) as ApiError;
    expect(err.message).toBe("Internal server error (request abc123)");
  });

  it("uses a readable fallback when the body is not JSON", async () => {
    mockFetch(() => new Response("<html>Bad gateway</html>", { status: 502 }));
    const err = (await api.settings.get().catch((e: unknown) => e)) as ApiError;
    expect(err.status).toBe(502);
    expect(err.message).toBe("The server is not reachable right now.");
  });

  it("reports network failures as status 0", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => Promise.reject(new TypeError("fetch failed"))));
    const err = (await api.cameras.list().catch((e: unknown) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(0);
    expect(err.message).toMatch(/Cannot reach the server/);
  });

  it("calls the single 401 handler (ready for the login redirect)", async () => {
    const handler = vi.fn();
    setUnauthorizedHandler(handler);
    mockFetch(() => json({ detail: "Not authenticated" }, 401));
    await expect(api.alertRules.list()).rejects.toBeInstanceOf(ApiError);
    expect(handler).toHaveBeenCalledTimes(1);
    expect(handler.mock.calls[0][0]).toMatchObject({ status: 401 });
  });

  it("handles 204 No Content", async () => {
    mockFetch(() => new Response(null, { status: 204 }));
    await expect(api.cameras.remove(3)).resolves.toBeUndefined();
  });

  it("rejects a 200 that is not JSON", async () => {
    mockFetch(() => new Response("not json", { status: 200 }));
    await expect(request("/api/v1/settings")).rejects.toMatchObject({ code: "invalid_response" });
  });

  it("formats FastAPI's default validation detail", async () => {
    mockFetch(() => json({ detail: [{ loc: ["body", "name"], msg: "Field required", type: "missing" }] }, 422));
    const err = (await api.alertRules.create({} as never).catch((e: unknown) => e)) as ApiError;
    expect(err.message).toBe("name: Field required");
  });
});
