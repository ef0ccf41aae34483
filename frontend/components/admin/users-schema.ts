// The users page's forms. The username's syntax and the password policy are
// the server's to check: its 422 field errors show at the fields.
import { z } from "zod";
import { NEW_PASSWORD_DEFAULTS, withNewPassword } from "@/components/auth/password-schema";
import { ROLES } from "@/lib/types";

export const userCreateSchema = withNewPassword({
  username: z.string().trim().min(1, "Enter a username."),
  role: z.enum(ROLES),
});
export type UserCreateValues = z.infer<typeof userCreateSchema>;
export const USER_CREATE_DEFAULTS: UserCreateValues = { username: "", role: "viewer", ...NEW_PASSWORD_DEFAULTS };

/** Setting another user's password: the new one, twice. */
export const passwordResetSchema = withNewPassword({});
export type PasswordResetValues = z.infer<typeof passwordResetSchema>;
