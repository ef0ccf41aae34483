// What a provider key card's health badge says, from the settings' `key_health`
// and `secret_status` (pure, so the rule is tested on its own).
import type { EncryptionStatus, SecretStatus, Settings } from "./types";

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
  if (status === "undecryptable") return { tone: "danger", label: "Failing: the stored key must be entered again", at: null };
  if (!health) return { tone: "warning", label: "Not tested" };
  if (health.outcome === "valid") return { tone: "success", label: "Working", at: health.at };
  return { tone: "danger", label: `Failing: ${health.message || health.outcome}`, at: health.at };
}

export type EncryptionProblem = { kind: "undecryptable" | "plaintext" | "rotation" | "previous_keys"; text: string };

function secrets(n: number): string {
  return n === 1 ? "1 stored secret" : `${n} stored secrets`;
}

/**
 * What the key health banner warns about: secrets that can't be decrypted or
 * are stored in plaintext, a rotation left half done, or previous keys still
 * configured after a finished rotation. Empty: all is well.
 */
export function encryptionProblems(status: EncryptionStatus): EncryptionProblem[] {
  const out: EncryptionProblem[] = [];
  const { totals, rotation } = status;
  if (totals.undecryptable > 0)
    out.push({ kind: "undecryptable", text: `${secrets(totals.undecryptable)} can't be decrypted with the configured keys.` });
  if (totals.plaintext > 0)
    out.push({ kind: "plaintext", text: `${secrets(totals.plaintext)} ${totals.plaintext === 1 ? "is" : "are"} not encrypted.` });
  if (rotation.in_progress)
    out.push({ kind: "rotation", text: "A key rotation is unfinished: run rotate-key again to finish it." });
  else if (status.previous_keys > 0 && rotation.finished_at && totals.previous === 0)
    out.push({
      kind: "previous_keys",
      text: "The key rotation finished, but previous keys are still configured: remove them from ENCRYPTION_KEYS_PREVIOUS.",
    });
  return out;
}
