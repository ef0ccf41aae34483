// The new-API-token form: a name, a role and an optional lifetime in days.
// The name's length is the server's to check: its 422 field error shows at the field.
import { z } from "zod";
import { ROLES } from "@/lib/types";

/** The longest lifetime the form offers (its number field's `max`). */
export const TOKEN_MAX_DAYS = 3650;
const DAYS = `Enter a whole number of days from 1 to ${TOKEN_MAX_DAYS}, or leave it empty.`;

export const tokenCreateSchema = z.object({
  name: z.string().trim().min(1, "Give the token a name, such as the client that uses it."),
  role: z.enum(ROLES),
  // The field's text: empty for "never expires".
  expires_in_days: z
    .string()
    .trim()
    .transform((days) => (days === "" ? null : Number(days)))
    .pipe(z.number({ error: DAYS }).int(DAYS).min(1, DAYS).max(TOKEN_MAX_DAYS, DAYS).nullable()),
});
export type TokenCreateInput = z.input<typeof tokenCreateSchema>;
export type TokenCreateValues = z.output<typeof tokenCreateSchema>;
export const TOKEN_CREATE_DEFAULTS: TokenCreateInput = { name: "", role: "viewer", expires_in_days: "" };
