// A new password and its confirmation, as every account form asks for them.
// The browser checks only what it can know: both filled in, and the same.
// The policy (length, common passwords, not the username) is the server's:
// its 422 field error shows at the password field.
import { z } from "zod";

/** What the server asks of a password, shown under every new-password field. */
export const PASSWORD_POLICY = "At least 12 characters, not a common password, and not the username.";

export const newPasswordShape = {
  password: z.string().min(1, "Choose a password."),
  confirm: z.string(),
};

export type NewPasswordValues = { password: string; confirm: string };

/** `shape` plus the new password and its confirmation, which must be the same. */
export function withNewPassword<S extends z.ZodRawShape>(shape: S) {
  return z
    .object({ ...shape, ...newPasswordShape })
    .refine((v) => (v as NewPasswordValues).confirm === (v as NewPasswordValues).password, { path: ["confirm"], message: "The two passwords are not the same." });
}

export const NEW_PASSWORD_DEFAULTS: NewPasswordValues = { password: "", confirm: "" };
