// What a provider key card's health badge says, from the settings' `key_health`
// and `secret_status` (pure, so the rule is tested on its own).
import type { SecretStatus, Settings } from "./types";

export type KeyHealth = NonNullable<NonNullable<Settings["key_health"]>[string]>;

export type KeyHealthBadge =
  | { tone: "success"; label: "Working"; at: string }
  | { tone: "warning"; label: "Not tested" }
  | { tone: "danger"; label: string; at: string | null };

/**
 * Green only when the stored key's last use passed; amber when a key is stored
 * but was never tested (or was replaced since); red otherwise. No badge when
 * no key is stored.
 */
export function keyHealthBadge(status: SecretStatus, health: KeyHealth | null | undefined): KeyHealthBadge | null {
  if (status === "unset") return null;
  if (status === "undecryptable") return { tone: "danger", label: "Failing: the stored key can no longer be decrypted", at: null };
  if (!health) return { tone: "warning", label: "Not tested" };
  if (health.outcome === "valid") return { tone: "success", label: "Working", at: health.at };
  return { tone: "danger", label: `Failing: ${health.message || health.outcome}`, at: health.at };
}
