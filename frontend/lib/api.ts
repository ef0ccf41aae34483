// The one API client. Every request to the backend goes through `request()`,
// so error handling and the redirect to the login page on a 401 (the handler
// registered by the AuthProvider) live in exactly one place.
import type {
  AlertRule,
  HeaderPolicyData,
  AlertRuleInput,
  AlertRuleUpdate,
  ApiToken,
  ApiTokenCreate,
  ApiTokenCreated,
  AuditPage,
  AuditQuery,
  AuthStatus,
  BackupConfirmed,
  Camera,
  CameraInput,
  CameraTestResult,
  DeliveryResent,
  Credentials,
  EncryptionStatus,
  EventDetail,
  EventPage,
  EventQuery,
  Health,
  KeyTestResult,
  LoginResult,
  Me,
  Notification,
  NotificationPage,
  NotificationQuery,
  PasswordChange,
  Provider,
  Settings,
  SettingsUpdate,
  User,
  UserCreate,
  UserUpdate,
  WebhookLogPage,
  WebhookLogQuery,
  WebhookTestResult,
} from "./types";

export interface FieldError {
  field: string;
  message: string;
}

/** An error answered by the backend (or a network failure, with status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string | null;
  readonly retryAfter: number | null;
  readonly fieldErrors: FieldError[];
  readonly requestId: string | null;

  constructor(
    status: number,
    message: string,
    opts: { code?: string | null; retryAfter?: number | null; fieldErrors?: FieldError[]; requestId?: string | null } = {},
  ) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = opts.code ?? null;
    this.retryAfter = opts.retryAfter ?? null;
    this.fieldErrors = opts.fieldErrors ?? [];
    this.requestId = opts.requestId ?? null;
  }
}

export function isApiError(err: unknown): err is ApiError {
  return err instanceof ApiError;
}

/** A message that is safe and useful to show to the user. */
export function errorMessage(err: unknown): string {
  if (isApiError(err)) return err.message;
  if (err instanceof Error && err.name === "AbortError") return "The request was cancelled.";
  return "Something went wrong. Please try again.";
}

type UnauthorizedHandler = (err: ApiError) => void;

// Registered once by the AuthProvider: a 401 from any call sends the user to
// /login?next=<where they were>.
let unauthorizedHandler: UnauthorizedHandler | null = null;

export function setUnauthorizedHandler(handler: UnauthorizedHandler | null): void {
  unauthorizedHandler = handler;
}

type Query = Record<string, string | number | boolean | null | undefined>;

export interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  body?: unknown;
  query?: Query;
  signal?: AbortSignal;
  /** Do not call the 401 handler (sign-in itself answers 401 for a wrong password). */
  skipUnauthorizedHandler?: boolean;
}

let baseUrl = "";

/** Base URL prefix; empty in the browser (same origin, proxied by Next rewrites). */
export function setBaseUrl(url: string): void {
  baseUrl = url.replace(/\/+$/, "");
}

function buildUrl(path: string, query?: Query): string {
  let url = `${baseUrl}${path}`;
  if (query) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value === undefined || value === null || value === "") continue;
      params.set(key, String(value));
    }
    const qs = params.toString();
    if (qs) url += `?${qs}`;
  }
  return url;
}

function fallbackMessage(status: number): string {
  if (status === 400) return "The request was not accepted.";
  if (status === 401) return "Please sign in to continue.";
  if (status === 403) return "You do not have permission to do that.";
  if (status === 404) return "Not found.";
  if (status === 409) return "That conflicts with existing data.";
  if (status === 422) return "Some fields are not valid.";
  if (status === 429) return "Too many requests. Please wait a moment.";
  if (status === 502 || status === 503 || status === 504) return "The server is not reachable right now.";
  if (status >= 500) return "The server had a problem. Please try again.";
  return `Request failed (${status}).`;
}

function parseRetryAfter(header: string | null, body: Record<string, unknown> | null): number | null {
  const fromBody = body?.retry_after;
  if (typeof fromBody === "number" && Number.isFinite(fromBody)) return Math.max(0, Math.ceil(fromBody));
  if (header) {
    const seconds = Number(header);
    if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
    const date = Date.parse(header);
    if (!Number.isNaN(date)) return Math.max(0, Math.ceil((date - Date.now()) / 1000));
  }
  return null;
}

function detailToMessage(detail: unknown): string | null {
  if (typeof detail === "string" && detail.trim()) return detail;
  // FastAPI's default validation shape: [{loc, msg, type}]
  if (Array.isArray(detail) && detail.length > 0) {
    const first = detail[0] as { msg?: unknown; loc?: unknown };
    if (typeof first?.msg === "string") {
      const loc = Array.isArray(first.loc) ? first.loc.filter((p) => p !== "body").join(".") : "";
      return loc ? `${loc}: ${first.msg}` : first.msg;
    }
  }
  return null;
}

function fieldErrorsFrom(body: Record<string, unknown> | null): FieldError[] {
  const errors = body?.errors;
  if (!Array.isArray(errors)) return [];
  return errors
    .filter((e): e is { field: unknown; message: unknown } => typeof e === "object" && e !== null)
    .map((e) => ({ field: String(e.field ?? ""), message: String(e.message ?? "") }));
}

export async function request<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const { method = "GET", body, query, signal, skipUnauthorizedHandler = false } = opts;
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";

  let response: Response;
  try {
    response = await fetch(buildUrl(path, query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch (err) {
    if (err instanceof Error && err.name === "AbortError") throw err;
    throw new ApiError(0, "Cannot reach the server. Check that the backend is running.", { code: "network_error" });
  }

  if (response.status === 204) return undefined as T;

  const text = await response.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }

  if (!response.ok) {
    const obj = data && typeof data === "object" && !Array.isArray(data) ? (data as Record<string, unknown>) : null;
    const requestId = (typeof obj?.request_id === "string" ? obj.request_id : null) ?? response.headers.get("X-Request-ID");
    let message = detailToMessage(obj?.detail) ?? fallbackMessage(response.status);
    if (response.status >= 500 && requestId) message = `${message} (request ${requestId})`;
    const err = new ApiError(response.status, message, {
      code: typeof obj?.code === "string" ? obj.code : null,
      retryAfter: response.status === 429 ? parseRetryAfter(response.headers.get("Retry-After"), obj) : null,
      fieldErrors: fieldErrorsFrom(obj),
      requestId,
    });
    if (response.status === 401 && unauthorizedHandler && !skipUnauthorizedHandler) unauthorizedHandler(err);
    throw err;
  }

  if (text && data === null) {
    throw new ApiError(response.status, "The server sent an unexpected answer.", { code: "invalid_response" });
  }
  return data as T;
}

export const api = {
  auth: {
    status: (signal?: AbortSignal) => request<AuthStatus>("/api/v1/auth/status", { signal }),
    setup: (input: Credentials) =>
      request<LoginResult>("/api/v1/auth/setup", { method: "POST", body: input, skipUnauthorizedHandler: true }),
    login: (input: Credentials) =>
      request<LoginResult>("/api/v1/auth/login", { method: "POST", body: input, skipUnauthorizedHandler: true }),
    logout: () => request<void>("/api/v1/auth/logout", { method: "POST", skipUnauthorizedHandler: true }),
    me: (signal?: AbortSignal) => request<Me>("/api/v1/auth/me", { signal }),
    changePassword: (input: PasswordChange) => request<void>("/api/v1/auth/password", { method: "PUT", body: input }),
  },

  users: {
    list: (signal?: AbortSignal) => request<User[]>("/api/v1/users", { signal }),
    create: (input: UserCreate) => request<User>("/api/v1/users", { method: "POST", body: input }),
    update: (id: number, input: UserUpdate) => request<User>(`/api/v1/users/${id}`, { method: "PUT", body: input }),
    remove: (id: number) => request<void>(`/api/v1/users/${id}`, { method: "DELETE" }),
  },

  tokens: {
    list: (signal?: AbortSignal) => request<ApiToken[]>("/api/v1/tokens", { signal }),
    create: (input: ApiTokenCreate) => request<ApiTokenCreated>("/api/v1/tokens", { method: "POST", body: input }),
    revoke: (id: number) => request<void>(`/api/v1/tokens/${id}`, { method: "DELETE" }),
  },

  audit: {
    list: (query: AuditQuery = {}, signal?: AbortSignal) =>
      request<AuditPage>("/api/v1/audit", { query: { ...query }, signal }),
  },

  encryption: {
    status: (signal?: AbortSignal) => request<EncryptionStatus>("/api/v1/encryption/status", { signal }),
    confirmBackup: () =>
      request<BackupConfirmed>("/api/v1/encryption/backup-confirmation", { method: "POST" }),
  },

  health: (signal?: AbortSignal) => request<Health>("/health", { signal }),

  settings: {
    get: (signal?: AbortSignal) => request<Settings>("/api/v1/settings", { signal }),
    update: (patch: SettingsUpdate) => request<Settings>("/api/v1/settings", { method: "PUT", body: patch }),
  },

  ai: {
    /** Test a key; omit `apiKey` to test the stored key. Nothing is stored. */
    testKey: (provider: Provider, apiKey?: string) =>
      request<KeyTestResult>("/api/v1/ai/test-key", {
        method: "POST",
        body: apiKey ? { provider, api_key: apiKey } : { provider },
      }),
  },

  cameras: {
    list: (signal?: AbortSignal) => request<Camera[]>("/api/v1/cameras", { signal }),
    get: (id: number) => request<Camera>(`/api/v1/cameras/${id}`),
    create: (input: CameraInput) => request<Camera>("/api/v1/cameras", { method: "POST", body: input }),
    update: (id: number, input: CameraInput) => request<Camera>(`/api/v1/cameras/${id}`, { method: "PUT", body: input }),
    remove: (id: number) => request<void>(`/api/v1/cameras/${id}`, { method: "DELETE" }),
    /** Test unsaved details (nothing stored). */
    test: (input: CameraInput) => request<CameraTestResult>("/api/v1/cameras/test", { method: "POST", body: input }),
    /** Test the stored camera with its stored password. */
    testSaved: (id: number) => request<CameraTestResult>(`/api/v1/cameras/${id}/test`, { method: "POST" }),
  },

  alertRules: {
    list: (signal?: AbortSignal) => request<AlertRule[]>("/api/v1/alert-rules", { signal }),
    get: (id: number) => request<AlertRule>(`/api/v1/alert-rules/${id}`),
    create: (input: AlertRuleInput) => request<AlertRule>("/api/v1/alert-rules", { method: "POST", body: input }),
    update: (id: number, input: AlertRuleUpdate) =>
      request<AlertRule>(`/api/v1/alert-rules/${id}`, { method: "PUT", body: input }),
    remove: (id: number) => request<void>(`/api/v1/alert-rules/${id}`, { method: "DELETE" }),
    /** Which webhook headers the server stores as secret (see lib/rules.ts headerPolicy). */
    headerPolicy: (signal?: AbortSignal) => request<HeaderPolicyData>("/api/v1/alert-rules/header-policy", { signal }),
    /** Send a sample event through the rule's webhook (retries off). */
    sendTest: (id: number) => request<WebhookTestResult>(`/api/v1/alert-rules/${id}/test`, { method: "POST" }),
  },

  events: {
    list: (params: EventQuery = {}, signal?: AbortSignal) =>
      request<EventPage>("/api/v1/events", { query: params, signal }),
    get: (id: number, signal?: AbortSignal) => request<EventDetail>(`/api/v1/events/${id}`, { signal }),
  },

  notifications: {
    list: (params: NotificationQuery = {}, signal?: AbortSignal) =>
      request<NotificationPage>("/api/v1/notifications", { query: params, signal }),
    markRead: (id: number, isRead = true) =>
      request<Notification>(`/api/v1/notifications/${id}`, { method: "PATCH", body: { is_read: isRead } }),
    markAllRead: () => request<{ updated: number }>("/api/v1/notifications/mark-all-read", { method: "POST" }),
  },

  webhooks: {
    logs: (params: WebhookLogQuery = {}, signal?: AbortSignal) =>
      request<WebhookLogPage>("/api/v1/webhooks/logs", { query: params, signal }),
    /** Queue a failed delivery again (202). */
    resend: (deliveryId: number) =>
      request<DeliveryResent>(`/api/v1/webhooks/deliveries/${deliveryId}/resend`, { method: "POST" }),
  },
};
