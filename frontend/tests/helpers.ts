import { vi } from "vitest";
import { headerPolicy } from "@/lib/rules";

export interface Call {
  url: string;
  method: string;
  body: unknown;
}

export type Handler = (call: Call) => Response | Promise<Response>;

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json", ...headers },
  });
}

/** Replace global fetch; every call is recorded in the returned array. */
export function mockFetch(handler: Handler) {
  const calls: Call[] = [];
  const fn = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.toString() : input.url;
    const call: Call = {
      url,
      method: (init?.method ?? "GET").toUpperCase(),
      body: typeof init?.body === "string" ? JSON.parse(init.body) : undefined,
    };
    calls.push(call);
    return handler(call);
  });
  vi.stubGlobal("fetch", fn);
  return { calls, fn };
}

export function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export function settingsFixture(overrides: Record<string, unknown> = {}) {
  return {
    ai_api_key_openai: "****abcd",
    ai_api_key_anthropic: null,
    ai_api_key_google: "****",
    ai_api_key_grok: null,
    secret_status: {
      ai_api_key_openai: "set",
      ai_api_key_anthropic: "unset",
      ai_api_key_google: "undecryptable",
      ai_api_key_grok: "unset",
    },
    ai_primary_provider: "openai",
    ai_fallback_order: ["anthropic"],
    ai_model_openai: "gpt-4o-mini",
    ai_model_anthropic: "claude-3-5-haiku-latest",
    ai_model_google: "gemini-2.0-flash",
    ai_model_grok: "grok-2-vision-latest",
    ai_description_prompt: "Describe the image.",
    ai_max_tokens: 300,
    webhook_block_private_networks: false,
    ...overrides,
  };
}

/** A `next/navigation` stand-in for components rendered outside Next (see vi.mock in the tests). */
export function navigationMock() {
  const state = { pathname: "/", search: "" };
  const router = { replace: vi.fn(), push: vi.fn(), refresh: vi.fn(), back: vi.fn(), forward: vi.fn(), prefetch: vi.fn() };
  return {
    state,
    router,
    module: {
      useRouter: () => router,
      usePathname: () => state.pathname,
      useSearchParams: () => new URLSearchParams(state.search),
    },
  };
}

export const ADMIN_ME = { id: 1, username: "owner", role: "admin", auth: "session" } as const;
export const VIEWER_ME = { id: 2, username: "guest", role: "viewer", auth: "session" } as const;

export function encryptionStatusFixture(overrides: Record<string, unknown> = {}) {
  const zero = { primary: 0, previous: 0, plaintext: 0, undecryptable: 0 };
  return {
    key_source: "key_file",
    key_location: "/var/lib/loaic/encryption.key",
    fingerprint: "3fa9c02b7d1e",
    previous_keys: 0,
    key_check_at: null,
    rotation: { started_at: null, finished_at: null, in_progress: false },
    backup_confirmed_at: null,
    places: [],
    totals: zero,
    ...overrides,
  };
}

/** The webhook header policy as `GET /api/v1/alert-rules/header-policy` answers it (test data, kept short). */
export const HEADER_POLICY_URL = "/api/v1/alert-rules/header-policy";
export const HEADER_POLICY_DATA = {
  plain_headers: ["accept", "content-type", "user-agent"],
  credential_name_pattern: "auth|token|key|secret|pass|pin|sign|sig\\b",
  max_headers: 4,
};
export const testHeaderPolicy = headerPolicy(HEADER_POLICY_DATA);
