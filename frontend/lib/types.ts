// Shapes of the backend API (see docs/API.md). Secrets never appear in these
// types as plaintext: the backend answers with masked values only.

export const PROVIDERS = ["openai", "anthropic", "google", "grok"] as const;
export type Provider = (typeof PROVIDERS)[number];

export type SecretStatus = "set" | "unset" | "undecryptable";

export interface Settings {
  ai_api_key_openai: string | null;
  ai_api_key_anthropic: string | null;
  ai_api_key_google: string | null;
  ai_api_key_grok: string | null;
  secret_status: Partial<Record<string, SecretStatus>>;
  ai_primary_provider: Provider | null;
  ai_fallback_order: Provider[];
  ai_model_openai: string | null;
  ai_model_anthropic: string | null;
  ai_model_google: string | null;
  ai_model_grok: string | null;
  ai_description_prompt: string | null;
  ai_max_tokens: number | null;
  webhook_block_private_networks: boolean;
}

export type SettingsUpdate = Partial<Omit<Settings, "secret_status">>;

export type KeyTestOutcome =
  | "valid"
  | "invalid_key"
  | "permission_denied"
  | "no_quota"
  | "rate_limited"
  | "unreachable"
  | "provider_error"
  | "not_configured";

export interface KeyTestResult {
  valid: boolean;
  message: string;
  provider: string;
  outcome?: KeyTestOutcome | string;
}

export type CameraType = "rtsp" | "usb";
export type CredentialStatus = "none" | "set" | "undecryptable";

export interface Camera {
  id: number;
  name: string;
  type: CameraType;
  rtsp_url: string | null;
  username: string | null;
  password: string | null; // "****" when stored, never the secret
  device_index: number | null;
  is_enabled: boolean;
  credential_status?: CredentialStatus;
  created_at?: string;
  updated_at?: string;
}

export interface CameraInput {
  name?: string;
  type?: CameraType;
  rtsp_url?: string | null;
  username?: string | null;
  password?: string | null;
  device_index?: number | null;
  is_enabled?: boolean;
}

export interface CameraTestResult {
  success: boolean;
  message: string;
  error_code?: string | null;
  codecs?: string[] | null;
  resolution?: string | null;
  auth?: string | null;
  latency_ms?: number | null;
}

export interface TimeWindow {
  start: string;
  end: string;
}

export interface RuleConditions {
  object_types?: string[];
  cameras?: number[];
  min_confidence?: number;
  time_window?: TimeWindow;
  days_of_week?: number[];
  keywords?: string[];
}

export interface WebhookAction {
  url: string;
  headers: Record<string, string>;
  secret_headers?: string[];
  /** Headers the user marked plain (stored and shown in clear); every other non-standard header is secret. */
  plain_headers?: string[];
}

export interface RuleActions {
  dashboard_notification: boolean;
  webhook: WebhookAction | null;
}

export interface AlertRule {
  id: number;
  name: string;
  is_enabled: boolean;
  cooldown_minutes: number;
  conditions: RuleConditions;
  actions: RuleActions;
  last_triggered_at?: string | null;
  created_at?: string;
  updated_at?: string;
}

export interface AlertRuleInput {
  name: string;
  is_enabled: boolean;
  cooldown_minutes: number;
  conditions: RuleConditions;
  actions: RuleActions;
}

export interface EventItem {
  id: number;
  camera_id: number | null;
  description: string | null;
  objects_detected: string[];
  confidence: number;
  timestamp: string;
  ai_provider?: string | null;
  created_at?: string;
  triggered_rules?: number[];
}

export interface EventInput {
  camera_id: number;
  description?: string;
  objects_detected: string[];
  confidence: number;
  timestamp?: string;
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number;
}

export interface Notification {
  id: number;
  rule_id: number | null;
  event_id: number | null;
  title: string;
  message: string;
  is_read: boolean;
  created_at: string;
}

export interface NotificationPage extends Page<Notification> {
  unread_count: number;
}

export interface WebhookLog {
  id: number;
  rule_id: number | null;
  event_id: number | null;
  delivery_id: number | null;
  url: string;
  attempt: number;
  status_code: number | null;
  success: boolean;
  duration_ms: number | null;
  error: string | null;
  response_body: string | null;
  created_at: string;
}

// --- Accounts, sessions, tokens, audit (docs: /api/v1/auth, users, tokens, audit) ---

export const ROLES = ["admin", "viewer"] as const;
export type Role = (typeof ROLES)[number];

export interface AuthStatus {
  setup_required: boolean;
}

export interface SessionUser {
  id: number;
  username: string;
  role: Role;
}

/** GET /api/v1/auth/me: who is asking, and how they signed in. */
export interface Me extends SessionUser {
  auth: "session" | "token" | "proxy";
}

export interface Credentials {
  username: string;
  password: string;
}

/** The answer of login and setup; the dashboard relies on the cookie and ignores the token. */
export interface LoginResult {
  access_token: string;
  token_type: "bearer";
  expires_at: string;
  user: SessionUser;
}

export interface PasswordChange {
  current_password: string;
  new_password: string;
}

export interface User {
  id: number;
  username: string;
  role: Role;
  is_active: boolean;
  created_at: string;
  last_login_at: string | null;
}

export interface UserCreate {
  username: string;
  password: string;
  role: Role;
  is_active?: boolean;
}

export type UserUpdate = Partial<{ username: string; role: Role; is_active: boolean; password: string }>;

export interface ApiToken {
  id: number;
  name: string;
  role: Role;
  prefix: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  created_by: string | null;
}

export interface ApiTokenCreate {
  name: string;
  role: Role;
  expires_in_days: number | null;
}

/** POST /api/v1/tokens: the only answer that carries the token itself. */
export interface ApiTokenCreated {
  id: number;
  name: string;
  role: Role;
  token: string;
  prefix: string;
  created_at: string;
  expires_at: string | null;
}

export const AUDIT_ACTIONS = [
  "login",
  "logout",
  "setup",
  "password_change",
  "user_create",
  "user_update",
  "user_delete",
  "token_create",
  "token_revoke",
  "credential_change",
  "key_test",
  "camera_test",
  "backup_confirmed",
  "rotation_start",
  "rotation_end",
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export const AUDIT_OUTCOMES = ["ok", "failed", "refused"] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

export interface AuditEntry {
  id: number;
  at: string;
  actor: string | null;
  address: string | null;
  action: AuditAction | string;
  target: string | null;
  outcome: AuditOutcome | string;
}

export interface AuditQuery {
  actor?: string;
  action?: string;
  outcome?: string;
  since?: string;
  until?: string;
  limit?: number;
  offset?: number;
}

export interface AuditPage {
  items: AuditEntry[];
  total: number;
  limit?: number;
  offset?: number;
}

export type KeySource = "environment" | "env_file" | "key_file";

export interface SecretCounts {
  primary: number;
  previous: number;
  plaintext: number;
  undecryptable: number;
}

export interface EncryptionStatus {
  key_source: KeySource;
  /** A file path (never the key), or null when the key comes from the environment. */
  key_location: string | null;
  /** 12 hex characters identifying the key. */
  fingerprint: string;
  previous_keys: number;
  /** Which key opened the database's check value at start. */
  key_check?: "primary" | "previous" | "undecryptable" | "absent";
  key_check_at: string | null;
  rotation: { started_at: string | null; finished_at: string | null; in_progress: boolean };
  backup_confirmed_at: string | null;
  places: (SecretCounts & { place: string })[];
  totals: SecretCounts;
  unreadable_places?: string[];
}
