// Names the dashboard uses for the backend's shapes. Every type here is taken
// from lib/api-schema.ts, generated from the backend's OpenAPI schema
// (`npm run api:generate`), so a changed field breaks the build, not the page.
// Secrets never appear as plaintext: the backend answers with masked values.
import type { components, operations } from "./api-schema";

type Schemas = components["schemas"];
/** An input type whose fields `K` have a server-side default, so may be left out. */
type WithDefaults<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;
type QueryOf<K extends keyof operations> = NonNullable<operations[K]["parameters"]["query"]>;

export type Provider = Schemas["KeyTestCreate"]["provider"];
export const PROVIDERS = ["openai", "anthropic", "google", "grok"] as const satisfies readonly Provider[];

export type SecretStatus = NonNullable<Schemas["SettingsRead"]["secret_status"]>[string];

export type Settings = Schemas["SettingsRead"];
export type SettingsUpdate = Schemas["SettingsUpdate"];
export type KeyTestResult = Schemas["KeyTestRead"];

export type Camera = Schemas["CameraRead"];
export type CameraType = Camera["type"];
export type CredentialStatus = Camera["credential_status"];
export type CameraInput = Schemas["CameraUpdate"];
export type CameraTestResult = Schemas["CameraTestResult"];
export type HeaderPolicyData = Schemas["HeaderPolicyRead"];
/** A camera's remembered last test: the full record for admins, `{success, at}` for viewers. */
export type CameraLastTest = Schemas["CameraLastTest"] | Schemas["CameraStatus"];

export type TimeWindow = Schemas["TimeWindow"];
export type RuleConditions = Schemas["AlertConditions"];
export type WebhookAction = Schemas["WebhookRead"];
export type WebhookInput = Schemas["WebhookIn"];
export type RuleActions = Schemas["AlertActionsRead"];
export type AlertRule = Schemas["AlertRuleRead"];
export type AlertRuleInput = Schemas["AlertRuleCreate"];
export type AlertRuleUpdate = Schemas["AlertRuleUpdate"];
export type LastDelivery = Schemas["LastDeliveryRead"];
export type WebhookTestResult = Schemas["WebhookTestResult"];

export type EventItem = Schemas["EventRead"];
export type EventPage = Schemas["EventPage"];
export type EventDetail = Schemas["EventDetailRead"];
export type EventQuery = QueryOf<"list_events_api_v1_events_get">;

export type Notification = Schemas["NotificationRead"];
export type NotificationPage = Schemas["NotificationPage"];
export type NotificationQuery = QueryOf<"list_notifications_api_v1_notifications_get">;

export type WebhookLog = Schemas["WebhookLogRead"];
export type WebhookLogPage = Schemas["WebhookLogPage"];
export type DeliveryResent = Schemas["DeliveryResent"];
export type WebhookLogQuery = QueryOf<"list_webhook_logs_api_v1_webhooks_logs_get">;

export type Role = Schemas["UserRead"]["role"];
export const ROLES = ["admin", "viewer"] as const satisfies readonly Role[];

export type AuthStatus = Schemas["AuthStatus"];
export type SessionUser = Schemas["UserBrief"];
/** GET /api/v1/auth/me: who is asking, and how they signed in. */
export type Me = Schemas["Me"];
export type Credentials = Schemas["Credentials"];
/** The answer of login and setup; the dashboard relies on the cookie and ignores the token. */
export type LoginResult = Schemas["LoginResult"];
export type PasswordChange = Schemas["PasswordChange"];

export type User = Schemas["UserRead"];
export type UserCreate = WithDefaults<Schemas["UserCreate"], "is_active">;
export type UserUpdate = Schemas["UserUpdate"];

export type ApiToken = Schemas["TokenRead"];
export type ApiTokenCreate = Schemas["TokenCreate"];
/** POST /api/v1/tokens: the only answer that carries the token itself. */
export type ApiTokenCreated = Schemas["TokenCreated"];

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


export type AuditEntry = Schemas["AuditRead"];
export type AuditQuery = QueryOf<"list_audit_api_v1_audit_get">;
export type AuditPage = Schemas["AuditPage"];
export type AuditOutcome = NonNullable<AuditQuery["outcome"]>;
export const AUDIT_OUTCOMES = ["ok", "failed", "refused"] as const satisfies readonly AuditOutcome[];

export type EncryptionStatus = Schemas["EncryptionStatus"];
export type SecretCounts = Schemas["Totals"];
export type BackupConfirmed = Schemas["BackupConfirmed"];
export type Health = Record<string, string>;
